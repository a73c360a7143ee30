/* alert_state.c: what each rule last saw and when it last fired, kept across restarts
 *
 * One line per rule: "ID HASH STATE LAST_FIRED_US". HASH is of the market
 * and condition, so an edited condition starts afresh. */
#include "alert.h"
#include "log.h"
#include "path.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void
alert_state_load(const char *path, struct alert_rules *rs)
{
	size_t len;
	char *text = alert_read_file(path, &len), *line, *save = NULL;

	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char id[ALERT_ID_MAX];
		uint64_t hash;
		int st;
		long long fired;
		struct alert_rule *r;

		if (sscanf(line, "%63s %" SCNx64 " %d %lld", id, &hash, &st, &fired) != 4 ||
		    st < -1 || st > 1 || fired < 0)
			continue;
		if (!(r = alert_rules_find(rs, id)) || r->hash != hash)
			continue;
		r->st = st;
		r->last_fired = fired;
	}
	free(text);
}

int
alert_state_save(const char *path, const struct alert_rules *rs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (!f)
		ts_die(TS_EXIT_TEMP, "out of memory");
	for (size_t i = 0; i < rs->n; i++) {
		const struct alert_rule *a = &rs->r[i];
		fprintf(f, "%s %016" PRIx64 " %d %lld\n", a->id, a->hash, a->st,
		    (long long)a->last_fired);
	}
	fclose(f);
	r = ts_write_atomic(path, buf, len, 0600);
	free(buf);
	return r;
}
