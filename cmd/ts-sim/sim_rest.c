/* sim_rest.c: ts-sim's REST plumbing: query parameters, and each GET to the exchange whose path it is */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sim.h"
#include "sim_ex.h"

int
sim_query_get(const char *query, const char *name, char *buf, size_t n)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
		if ((size_t)(end - p) > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			size_t vl = (size_t)(end - p) - nl - 1;
			if (n == 0)
				return 1;
			if (vl >= n)
				vl = n - 1;
			memcpy(buf, p + nl + 1, vl);
			buf[vl] = '\0';
			return 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

int
sim_query_int(const char *query, const char *name, int64_t *v)
{
	char buf[32], *end;

	if (!sim_query_get(query, name, buf, sizeof buf))
		return 0;
	if (!buf[0])
		return -1;
	*v = strtoll(buf, &end, 10);
	return *end ? -1 : 1;
}

const struct sim_ex *
sim_rest_owner(const char *path)
{
	const struct sim_ex *best = NULL;
	int bn = 0;

	for (const struct sim_ex *x = sim_ex_first(); x; x = x->next) {
		int k = x->rest_match ? x->rest_match(path) : 0;
		if (k > bn) {
			bn = k;
			best = x;
		}
	}
	return best;
}

void
sim_rest(struct sim_market *m, unsigned enabled, const char *path, const char *query,
    int64_t now_us, struct sim_resp *r)
{
	const struct sim_ex *x = sim_rest_owner(path);

	r->body.len = 0;
	r->retry_after = 0;
	if (!query)
		query = "";
	if (x && (enabled & (1u << x->id))) {
		x->rest(m, path, query, now_us, r);
	} else {
		r->status = 404;
		SIM_PUTS(&r->body, "{\"error\":\"NOT_FOUND\",\"message\":\"no such endpoint\"}");
	}
}
