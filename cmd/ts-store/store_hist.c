/* store_hist.c: the history service: where it listens and how it answers
 *
 * Request (one frame, a JSON object):
 *   {"topic":"candles/EX/SYM/TF","since":µs,"until":µs,"limit":N}
 * since defaults to 0, until to now, limit to 1000 (at most 100000): the
 * last `limit` rows of [since, until), oldest first. trades/EX/SYM works too.
 * Reply (one frame): {"type":"history","topic":…,"candles":[…]} with each
 * candle in the bus schema, or {"type":"error","error":"…"}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "tm.h"
#include "topic.h"

#define HIST_DEFAULT_LIMIT 1000
#define HIST_MAX_LIMIT 100000

int
store_history_endpoint(const struct ts_bus_ep *ep, char *buf, size_t n)
{
	int r;

	if (!ep->history[0])
		return -1; /* tcp PORT+3 beyond 65535 */
	r = snprintf(buf, n, "%s", ep->history);
	return r > 0 && (size_t)r < n ? 0 : -1;
}

static void
error_reply(struct ts_jw *w, const char *msg)
{
	ts_jw_reset(w);
	ts_jw_obj(w);
	ts_jw_kstr(w, "type", "error");
	ts_jw_kstr(w, "error", msg);
	ts_jw_obj_end(w);
}

void
store_history_answer(struct store *s, const char *req, size_t n, struct ts_jw *w)
{
	struct ts_jval obj, v;
	char topic[TS_TOPIC_MAX], err[300];
	int64_t since = 0, until = ts_now_us(), limit = HIST_DEFAULT_LIMIT;
	long r;

	if (ts_json_parse(req, n, &obj, NULL) < 0 || obj.type != TS_J_OBJ) {
		error_reply(w, "request is not a JSON object");
		return;
	}
	r = ts_json_get_str(&obj, "topic", topic, sizeof topic);
	if (r <= 0 || (size_t)r >= sizeof topic) {
		error_reply(w, "missing or bad \"topic\"");
		return;
	}
	if ((!ts_json_get(&obj, "since", &v) && ts_json_i64(&v, &since)) ||
	    (!ts_json_get(&obj, "until", &v) && ts_json_i64(&v, &until)) ||
	    (!ts_json_get(&obj, "limit", &v) && (ts_json_i64(&v, &limit) || limit < 1))) {
		error_reply(w, "\"since\", \"until\" and \"limit\" must be integers");
		return;
	}
	if (limit > HIST_MAX_LIMIT)
		limit = HIST_MAX_LIMIT;
	if (strncmp(topic, "candles/", 8) && strncmp(topic, "trades/", 7)) {
		error_reply(w, "only candles/… and trades/… topics have history");
		return;
	}
	ts_jw_reset(w);
	if (store_history(s, topic, since, until, (long)limit, w, err, sizeof err) < 0)
		error_reply(w, err);
}
