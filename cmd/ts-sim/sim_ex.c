/* sim_ex.c: the registry of ts-sim's exchange protocols (ex/NAME.c register with SIM_EX_REGISTER) */
#include <string.h>

#include "log.h"
#include "sim_ex.h"

static struct sim_ex *registry; /* in name order */
static int nregistered;
static char names[256];

void
sim_ex_register(struct sim_ex *x)
{
	struct sim_ex **pp = &registry;

	if (nregistered >= SIM_MAX_EX)
		ts_die(TS_EXIT_USAGE, "too many exchange protocols (at most %d)", SIM_MAX_EX);
	/* a protocol without what every exchange needs is a programming error:
	 * say so at start, not at the first client */
	if (!x->name || !x->symbols || !x->profile || !x->native || !x->ws_match ||
	    !x->ws_receive || !x->send_book || !x->send_trades ||
	    (x->rest_match && (!x->rest || !x->rest_error)))
		ts_die(TS_EXIT_USAGE, "exchange protocol '%s' lacks a hook sim_ex.h requires",
		    x->name ? x->name : "?");
	while (*pp && strcmp((*pp)->name, x->name) < 0)
		pp = &(*pp)->next;
	x->next = *pp;
	*pp = x;
	x->id = nregistered++;
	names[0] = '\0';
}

const struct sim_ex *
sim_ex_find(const char *name)
{
	for (const struct sim_ex *x = registry; x; x = x->next)
		if (!strcmp(x->name, name))
			return x;
	return NULL;
}

const struct sim_ex *
sim_ex_first(void)
{
	return registry;
}

int
sim_ex_count(void)
{
	return nregistered;
}

const char *
sim_ex_names(void)
{
	if (!names[0]) {
		size_t k = 0;
		for (const struct sim_ex *x = registry; x; x = x->next) {
			size_t n = strlen(x->name);
			if (k + n + 3 >= sizeof names)
				break;
			if (k) {
				memcpy(names + k, ", ", 2);
				k += 2;
			}
			memcpy(names + k, x->name, n);
			k += n;
		}
		names[k] = '\0';
	}
	return names;
}

int
sim_path_match(const char *path, const char *pattern)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return !strncmp(path, pattern, n - 1) ? (int)n - 1 : 0;
	return !strcmp(path, pattern) ? (int)n : 0;
}
