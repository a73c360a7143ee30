/* fuzz_sup.c: ts-supervisor's tradesuite.ini parser on any text, then the
 * table check, pattern matching, placeholder expansion and command splitting
 * on what it kept. Input: the ini text; its first line is also used as a
 * subscription to match every pattern against. */
#include <string.h>

#include "../cmd/ts-supervisor/sup.h"
#include "fuzz.h"
#include "log.h"

static struct sup_conf conf;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *nl;
	char sub[TS_TOPIC_MAX];
	int errs;

	ts_log_set_level(TS_LOG_ERROR);
	memcpy(s, data, size);
	s[size] = '\0';
	nl = strchr(s, '\n');
	snprintf(sub, sizeof sub, "%.*s", nl ? (int)(nl - s) : (int)strlen(s), s);
	sup_conf_init(&conf);
	FUZZ_ASSERT(conf.errors == 0);
	errs = sup_conf_parse(&conf, "fuzz", s);
	FUZZ_ASSERT(errs >= 0 && errs == conf.errors);
	sup_conf_check(&conf);
	FUZZ_ASSERT(conf.nsvc >= 0 && conf.nsvc <= SUP_MAX_SVCS);
	for (int i = 0; i < conf.nsvc; i++) {
		struct sup_svc *v = &conf.svc[i];
		char out[SUP_CMD_MAX], words[SUP_CMD_MAX * 2];
		char *argv[SUP_MAX_ARGS];
		const char *bad = NULL;
		int n;

		FUZZ_ASSERT(memchr(v->name, 0, sizeof v->name) && v->name[0]);
		FUZZ_ASSERT(memchr(v->cmd, 0, sizeof v->cmd));
		FUZZ_ASSERT(v->npat >= 0 && v->npat <= SUP_MAX_PATS);
		for (int k = 0; k < v->npat; k++) {
			struct sup_vars vars;
			FUZZ_ASSERT(memchr(v->pat[k], 0, sizeof v->pat[k]));
			memset(&vars, 0, sizeof vars);
			if (sup_pat_match(v->pat[k], sub, &vars)) {
				FUZZ_ASSERT(vars.n >= 0 && vars.n <= SUP_MAX_VARS);
				if (!sup_expand(v->cmd, &vars, out, sizeof out, &bad))
					FUZZ_ASSERT(strlen(out) < sizeof out);
				(void)sup_expand(v->name, &vars, out, 8, &bad);
			}
		}
		n = sup_split(v->cmd, words, sizeof words, argv, SUP_MAX_ARGS);
		FUZZ_ASSERT(n >= -1 && n < SUP_MAX_ARGS);
		if (n >= 0) {
			FUZZ_ASSERT(argv[n] == NULL);
			for (int k = 0; k < n; k++)
				FUZZ_ASSERT(argv[k] >= words && argv[k] < words + sizeof words);
		}
		n = sup_split(v->cmd, words, 16, argv, 4);
		FUZZ_ASSERT(n >= -1 && n < 4);
	}
	free(s);
	return 0;
}
