/* klines.c: REST candle history per exchange (URL, reply parser, roll-up) */
#include "klines.h"
#include "http.h"
#include "json.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Requests one fetch may make; a longer history is cut at its old end. */
#define MAX_REQUESTS 40

static int
fail(char *err, size_t errlen, const char *fmt, const char *what)
{
	snprintf(err, errlen, fmt, what);
	return -1;
}

static struct ts_candle *
append(struct ts_candle **out, size_t *n, size_t *cap)
{
	ts_xgrow((void **)out, cap, *n + 1, sizeof **out);
	memset(&(*out)[*n], 0, sizeof **out);
	return &(*out)[(*n)++];
}

/* ---- Coinbase Advanced Trade ---- */

static size_t
coinbase_url(char *buf, size_t n, const char *base, const char *sym,
    const char *tfname, int64_t start_us, int64_t end_us, size_t limit)
{
	int r;

	/* start and end are inclusive unix seconds: end one second short of
	 * the next window, so windows do not overlap */
	r = snprintf(buf, n, "%s/api/v3/brokerage/market/products/%s/candles"
	    "?start=%" PRId64 "&end=%" PRId64 "&granularity=%s&limit=%zu",
	    base, sym, start_us / TS_US_PER_SEC, end_us / TS_US_PER_SEC - 1,
	    tfname, limit);
	return r > 0 && (size_t)r < n ? (size_t)r : 0;
}

static int
coinbase_parse(const char *body, size_t len, struct ts_candle **out,
    size_t *n, size_t *cap, char *err, size_t errlen)
{
	struct ts_jval root, arr, el;
	struct ts_jiter it;

	if (ts_json_parse(body, len, &root, NULL) < 0)
		return fail(err, errlen, "%s", "reply is not JSON");
	if (ts_json_get(&root, "candles", &arr) < 0 || arr.type != TS_J_ARR)
		return fail(err, errlen, "%s", "reply has no \"candles\" array");
	ts_json_iter(&it, &arr);
	while (ts_json_next(&it, NULL, &el)) {
		struct ts_candle c = { 0 };
		int64_t start;

		if (ts_json_get_i64(&el, "start", &start) < 0)
			return fail(err, errlen, "%s", "candle with a bad \"start\"");
		if (ts_json_get_dec(&el, "open", &c.o) < 0 ||
		    ts_json_get_dec(&el, "high", &c.h) < 0 ||
		    ts_json_get_dec(&el, "low", &c.l) < 0 ||
		    ts_json_get_dec(&el, "close", &c.c) < 0 ||
		    ts_json_get_dec(&el, "volume", &c.v) < 0)
			return fail(err, errlen, "%s", "candle with a bad price or volume");
		c.t = start * TS_US_PER_SEC;
		/* Coinbase reports neither taker-buy volume nor trade counts */
		c.flags = TS_CANDLE_NO_BV | TS_CANDLE_NO_N;
		*append(out, n, cap) = c;
	}
	return 0;
}

/* ---- Binance spot ---- */

static size_t
binance_url(char *buf, size_t n, const char *base, const char *sym,
    const char *tfname, int64_t start_us, int64_t end_us, size_t limit)
{
	char native[64];
	size_t j = 0;
	int r;

	for (const char *p = sym; *p && j < sizeof native - 1; p++)
		if (*p != '-')
			native[j++] = *p;
	native[j] = '\0';
	r = snprintf(buf, n, "%s/api/v3/klines?symbol=%s&interval=%s"
	    "&startTime=%" PRId64 "&endTime=%" PRId64 "&limit=%zu",
	    base, native, tfname, start_us / 1000, end_us / 1000 - 1, limit);
	return r > 0 && (size_t)r < n ? (size_t)r : 0;
}

static int
binance_parse(const char *body, size_t len, struct ts_candle **out,
    size_t *n, size_t *cap, char *err, size_t errlen)
{
	struct ts_jval root, row, f[12];
	struct ts_jiter it, jt;

	if (ts_json_parse(body, len, &root, NULL) < 0)
		return fail(err, errlen, "%s", "reply is not JSON");
	if (root.type != TS_J_ARR)
		return fail(err, errlen, "%s", "reply is not an array of klines");
	ts_json_iter(&it, &root);
	while (ts_json_next(&it, NULL, &row)) {
		struct ts_candle c = { 0 };
		int64_t open_ms, count;
		size_t k = 0;

		if (row.type != TS_J_ARR)
			return fail(err, errlen, "%s", "kline is not an array");
		ts_json_iter(&jt, &row);
		while (k < 12 && ts_json_next(&jt, NULL, &f[k]))
			k++;
		if (k < 11)
			return fail(err, errlen, "%s", "kline with fewer than 11 fields");
		if (ts_json_i64(&f[0], &open_ms) < 0 ||
		    ts_json_dec(&f[1], &c.o) < 0 || ts_json_dec(&f[2], &c.h) < 0 ||
		    ts_json_dec(&f[3], &c.l) < 0 || ts_json_dec(&f[4], &c.c) < 0 ||
		    ts_json_dec(&f[5], &c.v) < 0 || ts_json_i64(&f[8], &count) < 0 ||
		    count < 0 || ts_json_dec(&f[9], &c.bv) < 0)
			return fail(err, errlen, "%s", "kline with a bad field");
		c.t = open_ms * 1000;
		c.n = (uint64_t)count;
		if (ts_dec_is_zero(c.v))
			c.flags = TS_CANDLE_FLAT; /* no trades: o=h=l=c, the last close */
		*append(out, n, cap) = c;
	}
	return 0;
}

static const struct ts_klines_ex coinbase = {
	.name = "coinbase",
	.base = "https://api.coinbase.com",
	.max_per_req = 300, /* the API allows 350 */
	/* 1s 5s 15s 1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w */
	.tf = { NULL, NULL, NULL, "ONE_MINUTE", NULL, "FIVE_MINUTE",
		"FIFTEEN_MINUTE", "THIRTY_MINUTE", "ONE_HOUR", "TWO_HOUR", NULL,
		"SIX_HOUR", NULL, "ONE_DAY", NULL },
	.url = coinbase_url,
	.parse = coinbase_parse,
};

static const struct ts_klines_ex binance = {
	.name = "binance",
	.base = "https://api.binance.com",
	.max_per_req = 1000,
	.tf = { "1s", NULL, NULL, "1m", "3m", "5m", "15m", "30m", "1h", "2h",
		"4h", "6h", "12h", "1d", "1w" },
	.url = binance_url,
	.parse = binance_parse,
};

const struct ts_klines_ex *const ts_klines_table[] = { &coinbase, &binance, NULL };

const struct ts_klines_ex *
ts_klines_find(const char *name)
{
	for (size_t i = 0; ts_klines_table[i]; i++)
		if (!strcmp(ts_klines_table[i]->name, name))
			return ts_klines_table[i];
	return NULL;
}

int
ts_klines_source(const struct ts_klines_ex *ex, int tf)
{
	int64_t us;

	if (tf < 0 || tf >= TS_TF_COUNT)
		return -1;
	us = ts_tf_us(ts_tf_names[tf]);
	for (int i = tf; i >= 0; i--)
		if (ex->tf[i] && us % ts_tf_us(ts_tf_names[i]) == 0)
			return i;
	return -1;
}

struct tagged {
	struct ts_candle c;
	size_t pos;
};

static int
by_time(const void *a, const void *b)
{
	const struct tagged *x = a, *y = b;

	if (x->c.t != y->c.t)
		return (x->c.t > y->c.t) - (x->c.t < y->c.t);
	return (x->pos > y->pos) - (x->pos < y->pos);
}

size_t
ts_klines_rollup(struct ts_candle *c, size_t n, int64_t tf_us)
{
	struct tagged *tg;
	size_t out = 0;

	if (n == 0)
		return 0;
	tg = ts_xmalloc(n * sizeof *tg);
	for (size_t i = 0; i < n; i++)
		tg[i] = (struct tagged){ c[i], i };
	qsort(tg, n, sizeof *tg, by_time);
	for (size_t i = 0; i < n; i++) {
		struct ts_candle next = tg[i].c;
		int64_t t = ts_tf_align(next.t, tf_us);

		if (i + 1 < n && tg[i + 1].c.t == next.t)
			continue; /* the same source candle again: the later wins */
		next.t = t;
		if (out > 0 && c[out - 1].t == t) {
			if (ts_candle_merge(&c[out - 1], &next) < 0)
				ts_warn("volume of the %" PRId64 " candle overflows", t);
		} else {
			c[out++] = next;
		}
	}
	free(tg);
	return out;
}

void
ts_klines_http_error(long status, const char *body, size_t len, char *err,
    size_t errlen)
{
	struct ts_jval root;
	char msg[160] = "", code[40] = "";
	struct ts_jval v;

	if (body && ts_json_parse(body, len, &root, NULL) == 0 && root.type == TS_J_OBJ) {
		/* Binance {"code":-1121,"msg":…}; Coinbase {"error":…,"message":…} */
		if (ts_json_get_str(&root, "msg", msg, sizeof msg) < 0)
			ts_json_get_str(&root, "message", msg, sizeof msg);
		if (ts_json_get(&root, "code", &v) == 0 && v.type == TS_J_NUM)
			snprintf(code, sizeof code, "%.*s", (int)v.n, v.p);
		else
			ts_json_get_str(&root, "error", code, sizeof code);
	}
	if (*msg || *code)
		snprintf(err, errlen, "HTTP %ld: %s%s%s%s", status, msg,
		    *code ? " (" : "", code, *code ? ")" : "");
	else
		snprintf(err, errlen, "HTTP %ld", status);
}

static int
get_page(const struct ts_klines_ex *ex, const char *url, long timeout_ms,
    struct ts_candle **out, size_t *n, size_t *cap, char *err, size_t errlen)
{
	struct ts_http_resp r;
	char why[200];

	for (int attempt = 0;; attempt++) {
		if (ts_http_get(url, timeout_ms, &r) < 0) {
			snprintf(err, errlen, "cannot get '%s': %s", url, r.err);
			ts_http_resp_free(&r);
			return -1;
		}
		if (r.status == 200)
			break;
		ts_klines_http_error(r.status, r.body, r.len, why, sizeof why);
		if ((r.status == 429 || r.status >= 500) && attempt < 2) {
			long wait = r.retry_after >= 0 && r.retry_after < 2 ? r.retry_after : 1;
			struct timespec ts = { wait, 0 };
			ts_warn("'%s': %s; retrying in %lds", url, why, wait);
			ts_http_resp_free(&r);
			nanosleep(&ts, NULL);
			continue;
		}
		snprintf(err, errlen, "'%s': %s", url, why);
		ts_http_resp_free(&r);
		return -1;
	}
	if (ex->parse(r.body, r.len, out, n, cap, why, sizeof why) < 0) {
		snprintf(err, errlen, "bad reply from '%s': %s", url, why);
		ts_http_resp_free(&r);
		return -1;
	}
	ts_http_resp_free(&r);
	return 0;
}

int
ts_klines_fetch(const struct ts_klines_ex *ex, const char *base,
    const char *sym, int64_t tf_us, int64_t now_us, size_t count,
    long timeout_ms, struct ts_candle **out, size_t *n, char *err, size_t errlen)
{
	int tf = -1, src;
	int64_t src_us, end, start, window;
	struct ts_candle *c = NULL;
	size_t len = 0, cap = 0, nreq;
	char url[1024];

	*out = NULL;
	*n = 0;
	for (int i = 0; i < TS_TF_COUNT; i++)
		if (ts_tf_us(ts_tf_names[i]) == tf_us)
			tf = i;
	if (tf < 0 || count == 0) {
		snprintf(err, errlen, "no timeframe of %" PRId64 " us", tf_us);
		return -1;
	}
	if ((src = ts_klines_source(ex, tf)) < 0) {
		snprintf(err, errlen, "%s serves no candles that build %s", ex->name,
		    ts_tf_names[tf]);
		return -1;
	}
	src_us = ts_tf_us(ts_tf_names[src]);
	if (!base)
		base = ex->base;
	end = ts_tf_align(now_us, tf_us) + tf_us;
	start = end - (int64_t)count * tf_us;
	window = (int64_t)ex->max_per_req * src_us;
	nreq = (size_t)((end - start + window - 1) / window);
	if (nreq > MAX_REQUESTS) {
		/* keep the newest part; the roll-up stays aligned since a whole
		 * number of source windows is a whole number of tf intervals
		 * only when window % tf_us == 0: align start up to tf_us */
		start = ts_tf_align(end - MAX_REQUESTS * window, tf_us);
		if (start < end - MAX_REQUESTS * window)
			start += tf_us;
	}
	for (int64_t ws = start; ws < end; ws += window) {
		int64_t we = ws + window < end ? ws + window : end;
		size_t want = (size_t)((we - ws) / src_us);
		if (!ex->url(url, sizeof url, base, sym, ex->tf[src], ws, we, want)) {
			free(c);
			snprintf(err, errlen, "URL for '%s' too long", sym);
			return -1;
		}
		if (get_page(ex, url, timeout_ms, &c, &len, &cap, err, errlen) < 0) {
			free(c);
			return -1;
		}
	}
	/* drop what lies outside [start, end): windows may overlap an edge */
	{
		size_t k = 0;
		for (size_t i = 0; i < len; i++)
			if (c[i].t >= start && c[i].t < end)
				c[k++] = c[i];
		len = k;
	}
	len = ts_klines_rollup(c, len, tf_us);
	*out = c;
	*n = len;
	return 0;
}
