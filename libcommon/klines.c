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

/* ---- Kraken spot ---- */

/* REST names the pair with Kraken's own asset names: BTC-USD is XBTUSD. */
static size_t
kraken_pair(char *buf, size_t n, const char *sym)
{
	size_t j = 0;

	for (const char *p = sym; *p;) {
		size_t len = strcspn(p, "-"), out = len;
		const char *a = p;
		if (len == 3 && !strncmp(p, "BTC", 3))
			a = "XBT";
		else if (len == 4 && !strncmp(p, "DOGE", 4))
			a = "XDG", out = 3;
		if (j + out >= n)
			return 0;
		memcpy(buf + j, a, out);
		j += out;
		p += len;
		if (*p == '-')
			p++;
	}
	buf[j] = '\0';
	return j;
}

static size_t
kraken_url(char *buf, size_t n, const char *base, const char *sym,
    const char *tfname, int64_t start_us, int64_t end_us, size_t limit)
{
	char pair[64];
	int r;

	/* the answer is the (at most 720) candles after `since`, whatever the
	 * window's end: a second before the window so its first is in */
	(void)end_us, (void)limit;
	if (!kraken_pair(pair, sizeof pair, sym))
		return 0;
	r = snprintf(buf, n, "%s/0/public/OHLC?pair=%s&interval=%s&since=%" PRId64,
	    base, pair, tfname, start_us / TS_US_PER_SEC - 1);
	return r > 0 && (size_t)r < n ? (size_t)r : 0;
}

/* {"error":[],"result":{"XXBTZUSD":[[1688671200,"30306.1","30306.2","30305.7",
 * "30305.7","30306.1","3.39243896",23],…],"last":1688672160}} */
static int
kraken_parse(const char *body, size_t len, struct ts_candle **out,
    size_t *n, size_t *cap, char *err, size_t errlen)
{
	struct ts_jval root, res, e, k, rows = { 0 }, row, f[8];
	struct ts_jiter it, jt;

	if (ts_json_parse(body, len, &root, NULL) < 0)
		return fail(err, errlen, "%s", "reply is not JSON");
	if (ts_json_get(&root, "error", &e) == 0 && e.type == TS_J_ARR && ts_json_len(&e)) {
		ts_json_iter(&it, &e);
		if (ts_json_next(&it, NULL, &row) && row.type == TS_J_STR) {
			char msg[160];
			ts_json_str(&row, msg, sizeof msg);
			return fail(err, errlen, "%s", msg);
		}
		return fail(err, errlen, "%s", "reply lists an error");
	}
	if (ts_json_get(&root, "result", &res) < 0 || res.type != TS_J_OBJ)
		return fail(err, errlen, "%s", "reply has no \"result\" object");
	ts_json_iter(&it, &res);
	while (ts_json_next(&it, &k, &row))
		if (row.type == TS_J_ARR && !rows.p)
			rows = row; /* the pair's candles; "last" is the cursor */
	if (!rows.p)
		return fail(err, errlen, "%s", "reply has no candles array");
	ts_json_iter(&it, &rows);
	while (ts_json_next(&it, NULL, &row)) {
		struct ts_candle c = { 0 };
		int64_t open_s, count;
		size_t nf = 0;

		if (row.type != TS_J_ARR)
			return fail(err, errlen, "%s", "candle is not an array");
		ts_json_iter(&jt, &row);
		while (nf < 8 && ts_json_next(&jt, NULL, &f[nf]))
			nf++;
		if (nf < 8 || ts_json_i64(&f[0], &open_s) < 0 || open_s < 0 ||
		    open_s > INT64_MAX / TS_US_PER_SEC ||
		    ts_json_dec(&f[1], &c.o) < 0 || ts_json_dec(&f[2], &c.h) < 0 ||
		    ts_json_dec(&f[3], &c.l) < 0 || ts_json_dec(&f[4], &c.c) < 0 ||
		    ts_json_dec(&f[6], &c.v) < 0 || ts_json_i64(&f[7], &count) < 0 || count < 0)
			return fail(err, errlen, "%s", "candle with a bad field");
		c.t = open_s * TS_US_PER_SEC;
		c.n = (uint64_t)count;
		/* Kraken reports no taker-buy volume */
		c.flags = TS_CANDLE_NO_BV;
		if (ts_dec_is_zero(c.v))
			c.flags |= TS_CANDLE_FLAT;
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

static const struct ts_klines_ex kraken = {
	.name = "kraken",
	.base = "https://api.kraken.com",
	.max_per_req = 720, /* all the API keeps of an interval */
	/* 1s 5s 15s 1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w, in minutes */
	.tf = { NULL, NULL, NULL, "1", NULL, "5", "15", "30", "60", NULL, "240",
		NULL, NULL, "1440", "10080" },
	.url = kraken_url,
	.parse = kraken_parse,
};

/* ---- Bybit v5, spot and linear ---- */

/* The category and Bybit's name of a canonical symbol: BTC-USDT is spot
 * BTCUSDT, BTC-USDT-PERP linear BTCUSDT, BTC-USDT-260814 linear
 * BTCUSDT-14AUG26. 0 when it does not fit. */
static size_t
bybit_symbol(char *buf, size_t n, const char **cat, const char *sym)
{
	static const char months[] = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC";
	const char *d1 = strchr(sym, '-'), *d2 = d1 ? strchr(d1 + 1, '-') : NULL;
	size_t qn = d2 ? (size_t)(d2 - d1 - 1) : d1 ? strlen(d1 + 1) : 0;
	int r;

	if (!d1)
		return 0;
	*cat = d2 ? "linear" : "spot";
	if (d2 && strcmp(d2 + 1, "PERP")) {
		const char *t = d2 + 1;
		int mon;
		if (strlen(t) != 6 || strspn(t, "0123456789") != 6)
			return 0;
		mon = (t[2] - '0') * 10 + (t[3] - '0');
		if (mon < 1 || mon > 12)
			return 0;
		r = snprintf(buf, n, "%.*s%.*s-%.2s%.3s%.2s", (int)(d1 - sym), sym, (int)qn,
		    d1 + 1, t + 4, months + 3 * (mon - 1), t);
	} else {
		r = snprintf(buf, n, "%.*s%.*s", (int)(d1 - sym), sym, (int)qn, d1 + 1);
	}
	return r > 0 && (size_t)r < n ? (size_t)r : 0;
}

static size_t
bybit_url(char *buf, size_t n, const char *base, const char *sym,
    const char *tfname, int64_t start_us, int64_t end_us, size_t limit)
{
	char native[64];
	const char *cat;
	int r;

	if (!bybit_symbol(native, sizeof native, &cat, sym))
		return 0;
	/* start and end are inclusive milliseconds */
	r = snprintf(buf, n, "%s/v5/market/kline?category=%s&symbol=%s&interval=%s"
	    "&start=%" PRId64 "&end=%" PRId64 "&limit=%zu",
	    base, cat, native, tfname, start_us / 1000, end_us / 1000 - 1, limit);
	return r > 0 && (size_t)r < n ? (size_t)r : 0;
}

/* {"retCode":0,"retMsg":"OK","result":{"category":"spot","symbol":"BTCUSDT",
 * "list":[["1670608800000","17071","17073","17027","17055.5","268611",
 * "15.74462667"],…]}}, newest first: start, open, high, low, close, volume
 * (base coin), turnover. */
static int
bybit_parse(const char *body, size_t len, struct ts_candle **out,
    size_t *n, size_t *cap, char *err, size_t errlen)
{
	struct ts_jval root, res, list, row, f[7];
	struct ts_jiter it, jt;
	int64_t code;

	if (ts_json_parse(body, len, &root, NULL) < 0)
		return fail(err, errlen, "%s", "reply is not JSON");
	if (ts_json_get_i64(&root, "retCode", &code) < 0)
		return fail(err, errlen, "%s", "reply has no \"retCode\"");
	if (code != 0) {
		char msg[160] = "(no retMsg)";
		ts_json_get_str(&root, "retMsg", msg, sizeof msg);
		return fail(err, errlen, "%s", msg);
	}
	if (ts_json_get(&root, "result", &res) < 0 || ts_json_get(&res, "list", &list) < 0 ||
	    list.type != TS_J_ARR)
		return fail(err, errlen, "%s", "reply has no \"result\".\"list\" array");
	ts_json_iter(&it, &list);
	while (ts_json_next(&it, NULL, &row)) {
		struct ts_candle c = { 0 };
		int64_t open_ms;
		size_t k = 0;

		if (row.type != TS_J_ARR)
			return fail(err, errlen, "%s", "kline is not an array");
		ts_json_iter(&jt, &row);
		while (k < 7 && ts_json_next(&jt, NULL, &f[k]))
			k++;
		if (k < 6)
			return fail(err, errlen, "%s", "kline with fewer than 6 fields");
		if (ts_json_i64(&f[0], &open_ms) < 0 || open_ms < 0 ||
		    ts_json_dec(&f[1], &c.o) < 0 || ts_json_dec(&f[2], &c.h) < 0 ||
		    ts_json_dec(&f[3], &c.l) < 0 || ts_json_dec(&f[4], &c.c) < 0 ||
		    ts_json_dec(&f[5], &c.v) < 0)
			return fail(err, errlen, "%s", "kline with a bad field");
		c.t = open_ms * 1000;
		/* Bybit reports neither taker-buy volume nor trade counts */
		c.flags = TS_CANDLE_NO_BV | TS_CANDLE_NO_N;
		*append(out, n, cap) = c;
	}
	return 0;
}

static const struct ts_klines_ex bybit = {
	.name = "bybit",
	.base = "https://api.bybit.com",
	.max_per_req = 1000,
	.tf = { NULL, NULL, NULL, "1", "3", "5", "15", "30", "60", "120",
		"240", "360", "720", "D", "W" },
	.url = bybit_url,
	.parse = bybit_parse,
};

const struct ts_klines_ex *const ts_klines_table[] = { &coinbase, &binance, &kraken, &bybit,
	NULL };

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

int
ts_klines_plan_init(struct ts_klines_plan *p, const struct ts_klines_ex *ex,
    const char *base, const char *sym, int64_t tf_us, int64_t now_us, size_t count,
    char *err, size_t errlen)
{
	int tf = -1;
	size_t nreq;

	memset(p, 0, sizeof *p);
	for (int i = 0; i < TS_TF_COUNT; i++)
		if (ts_tf_us(ts_tf_names[i]) == tf_us)
			tf = i;
	if (tf < 0 || count == 0) {
		snprintf(err, errlen, "no timeframe of %" PRId64 " us", tf_us);
		return -1;
	}
	if ((p->src = ts_klines_source(ex, tf)) < 0) {
		snprintf(err, errlen, "%s serves no candles that build %s", ex->name,
		    ts_tf_names[tf]);
		return -1;
	}
	if (strlen(sym) >= sizeof p->sym) {
		snprintf(err, errlen, "symbol '%s' too long", sym);
		return -1;
	}
	p->ex = ex;
	p->base = base ? base : ex->base;
	snprintf(p->sym, sizeof p->sym, "%s", sym);
	p->tf_us = tf_us;
	p->src_us = ts_tf_us(ts_tf_names[p->src]);
	p->end = ts_tf_align(now_us, tf_us) + tf_us;
	p->start = p->end - (int64_t)count * tf_us;
	p->window = (int64_t)ex->max_per_req * p->src_us;
	nreq = (size_t)((p->end - p->start + p->window - 1) / p->window);
	if (nreq > MAX_REQUESTS) {
		/* keep the newest part, starting on a tf_us boundary so the
		 * roll-up has whole candles */
		p->start = ts_tf_align(p->end - MAX_REQUESTS * p->window, tf_us);
		if (p->start < p->end - MAX_REQUESTS * p->window)
			p->start += tf_us;
	}
	p->next = p->start;
	return 0;
}

int
ts_klines_plan_next(struct ts_klines_plan *p, char *url, size_t n, char *err,
    size_t errlen)
{
	int64_t ws = p->next, we;

	if (ws >= p->end)
		return 0;
	we = ws + p->window < p->end ? ws + p->window : p->end;
	if (!p->ex->url(url, n, p->base, p->sym, p->ex->tf[p->src], ws, we,
	    (size_t)((we - ws) / p->src_us))) {
		snprintf(err, errlen, "URL for '%s' too long", p->sym);
		return -1;
	}
	p->next = we;
	return 1;
}

int
ts_klines_plan_reply(struct ts_klines_plan *p, const char *url, long status,
    const char *body, size_t len, long retry_after, int attempt, long *wait_s,
    char *err, size_t errlen)
{
	char why[200];

	*wait_s = 0;
	if (status != 200) {
		ts_klines_http_error(status, body, len, why, sizeof why);
		if ((status == 429 || status >= 500) && attempt < 2) {
			*wait_s = retry_after >= 0 && retry_after < 2 ? retry_after : 1;
			ts_warn("'%s': %s; retrying in %lds", url, why, *wait_s);
			return 1;
		}
		snprintf(err, errlen, "'%s': %s", url, why);
		return -1;
	}
	if (p->ex->parse(body, len, &p->c, &p->len, &p->cap, why, sizeof why) < 0) {
		snprintf(err, errlen, "bad reply from '%s': %s", url, why);
		return -1;
	}
	return 0;
}

void
ts_klines_plan_finish(struct ts_klines_plan *p, struct ts_candle **out, size_t *n)
{
	size_t k = 0;

	/* drop what lies outside [start, end): windows may overlap an edge */
	for (size_t i = 0; i < p->len; i++)
		if (p->c[i].t >= p->start && p->c[i].t < p->end)
			p->c[k++] = p->c[i];
	*n = ts_klines_rollup(p->c, k, p->tf_us);
	*out = p->c;
	p->c = NULL;
	p->len = p->cap = 0;
}

void
ts_klines_plan_free(struct ts_klines_plan *p)
{
	free(p->c);
	p->c = NULL;
	p->len = p->cap = 0;
}

static int
by_open_time(const void *a, const void *b)
{
	const struct ts_candle *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

int64_t
ts_klines_join_point(struct ts_candle *stored, size_t n, int64_t tf_us,
    int64_t start, int64_t open, int64_t slack_us, int rest_ok, size_t *keep)
{
	size_t k = 0, run;

	*keep = 0;
	for (size_t i = 0; i < n; i++)
		if (stored[i].t >= start && stored[i].t < open &&
		    ts_tf_align(stored[i].t, tf_us) == stored[i].t)
			stored[k++] = stored[i];
	if (k > 1)
		qsort(stored, k, sizeof *stored, by_open_time);
	/* the run from the oldest: each candle the next interval (a repeated
	 * time ends it too: a store holds one candle per interval) */
	for (run = k ? 1 : 0; run < k; run++)
		if (stored[run].t != stored[run - 1].t + tf_us)
			break;
	if (rest_ok) {
		if (run == 0 || stored[0].t > start + slack_us)
			return start;
		*keep = run;
		return stored[run - 1].t + tf_us;
	}
	if (run == 0 || stored[run - 1].t + tf_us != open)
		return -1;
	*keep = run;
	return open;
}

static int
get_page(struct ts_klines_plan *p, const char *url, long timeout_ms, char *err,
    size_t errlen)
{
	struct ts_http_resp r;
	long wait;
	int rc;

	for (int attempt = 0;; attempt++) {
		if (ts_http_get(url, timeout_ms, &r) < 0) {
			snprintf(err, errlen, "cannot get '%s': %s", url, r.err);
			ts_http_resp_free(&r);
			return -1;
		}
		rc = ts_klines_plan_reply(p, url, r.status, r.body, r.len, r.retry_after,
		    attempt, &wait, err, errlen);
		ts_http_resp_free(&r);
		if (rc <= 0)
			return rc;
		{
			struct timespec ts = { wait, 0 };
			nanosleep(&ts, NULL);
		}
	}
}

int
ts_klines_fetch(const struct ts_klines_ex *ex, const char *base,
    const char *sym, int64_t tf_us, int64_t now_us, size_t count,
    long timeout_ms, struct ts_candle **out, size_t *n, char *err, size_t errlen)
{
	struct ts_klines_plan p;
	char url[1024];
	int r;

	*out = NULL;
	*n = 0;
	if (ts_klines_plan_init(&p, ex, base, sym, tf_us, now_us, count, err, errlen) < 0)
		return -1;
	while ((r = ts_klines_plan_next(&p, url, sizeof url, err, errlen)) == 1)
		if (get_page(&p, url, timeout_ms, err, errlen) < 0)
			break;
	if (r != 0) {
		ts_klines_plan_free(&p);
		return -1;
	}
	ts_klines_plan_finish(&p, out, n);
	return 0;
}
