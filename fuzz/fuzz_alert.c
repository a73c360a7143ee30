/* fuzz_alert.c: ts-alert's rules file parser (alerts.conf(5)) on any text.
 * Every rule it keeps must format (alert_rule_format) as a line that splits
 * and parses back to the same rule, and formats the same again. jq
 * expressions are not compiled: libjq is not ours to fuzz. */
#include <string.h>

#include "../cmd/ts-alert/alert.h"
#include "fuzz.h"
#include "log.h"

static void
check_rule(const struct alert_rule *r)
{
	char line[4096], line2[4096], buf[8192], err[400], tiny[16];
	char *w[64];
	const char *why = NULL;
	struct alert_rule r2;
	size_t n, n2;
	int nw;

	n = alert_rule_format(r, line, sizeof line);
	FUZZ_ASSERT(n == strlen(line));
	/* a short buffer truncates, never overflows */
	FUZZ_ASSERT(alert_rule_format(r, tiny, sizeof tiny) < sizeof tiny);
	FUZZ_ASSERT(strlen(tiny) < sizeof tiny);
	if (n >= sizeof line - 1)
		return; /* truncated: cannot read back */
	nw = alert_split(line, buf, sizeof buf, w, 64, &why);
	FUZZ_ASSERT(nw >= 3);
	if (alert_rule_from_words(w, nw, "fuzz", 0, &r2, err, sizeof err)) {
		fprintf(stderr, "'%s' does not read back: %s\n", line, err);
		FUZZ_ASSERT(!"a formatted rule reads back");
	}
	FUZZ_ASSERT(!strcmp(r->id, r2.id) && !strcmp(r->ex, r2.ex) && !strcmp(r->sym, r2.sym));
	FUZZ_ASSERT(r->kind == r2.kind && r->op == r2.op && r->enabled == r2.enabled);
	FUZZ_ASSERT(r->cooldown_us == r2.cooldown_us && r->nnotify == r2.nnotify);
	FUZZ_ASSERT(!strcmp(r->tf, r2.tf) && !strcmp(r->topic, r2.topic));
	FUZZ_ASSERT(r->window_us == r2.window_us && r->n == r2.n);
	FUZZ_ASSERT(r->hash == r2.hash);
	n2 = alert_rule_format(&r2, line2, sizeof line2);
	FUZZ_ASSERT(n2 == n && !strcmp(line, line2));
	alert_rule_free(&r2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	struct alert_rules rs;

	ts_log_set_level(TS_LOG_ERROR);
	memcpy(s, data, size);
	FUZZ_ASSERT(alert_rules_parse(s, size, "fuzz", 0, &rs, NULL) == 0);
	for (size_t i = 0; i < rs.n; i++) {
		FUZZ_ASSERT(rs.r[i].line >= 1 && rs.r[i].end_line >= rs.r[i].line);
		FUZZ_ASSERT(alert_rules_find(&rs, rs.r[i].id) == &rs.r[i]);
		check_rule(&rs.r[i]);
	}
	alert_rules_free(&rs);
	free(s);
	return 0;
}
