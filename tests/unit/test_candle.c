/* test_candle.c: golden tests of candle aggregation (candle.c) and REST history (klines.c) */
#include <stdlib.h>

#include "candle.h"
#include "klines.h"
#include "tm.h"
#include "t.h"

#define S TS_US_PER_SEC
/* Monday 2024-01-01 00:00:00 UTC */
#define MON INT64_C(1704067200000000)

static struct ts_dec
D(const char *s)
{
	struct ts_dec d;

	if (ts_dec_parse_str(s, &d) < 0)
		abort();
	return d;
}

static const char *
F(struct ts_dec d)
{
	static char buf[8][TS_DEC_STRLEN];
	static int i;

	i = (i + 1) % 8;
	ts_dec_fmt(d, buf[i], sizeof buf[i]);
	return buf[i];
}

struct sink {
	struct ts_candle c[64];
	int n;
};

static void
collect(void *arg, const struct ts_candle_series *s, const struct ts_candle *c)
{
	struct sink *k = arg;

	(void)s;
	if (k->n < 64)
		k->c[k->n++] = *c;
}

static void
test_alignment_every_timeframe(void)
{
	/* the last µs of an interval and the first of the next go to two
	 * candles, at every timeframe, weeks included (Monday 00:00 UTC) */
	for (int i = 0; i < TS_TF_COUNT; i++) {
		int64_t tf = ts_tf_us(ts_tf_names[i]);
		int64_t b = MON + 3 * 7 * 86400 * S; /* a Monday: a boundary of all */
		struct ts_candle_series s;
		struct sink k = { .n = 0 };

		ts_candle_series_init(&s, tf, 10);
		CHECK_INT(ts_candle_trade(&s, b - 1, D("10.5"), D("1"), 1, collect, &k), TS_CANDLE_APPLIED);
		CHECK_INT(s.cur.t, b - tf);
		CHECK_INT(ts_candle_trade(&s, b, D("11"), D("2"), 0, collect, &k), TS_CANDLE_APPLIED);
		CHECK_INT(k.n, 1);
		CHECK_INT(k.c[0].t, b - tf);
		CHECK(k.c[0].flags & TS_CANDLE_CLOSED);
		CHECK_STR(F(k.c[0].v), "1");
		CHECK_INT(s.cur.t, b);
		CHECK_STR(F(s.cur.o), "11");
		CHECK_STR(F(s.cur.bv), "0");
		/* the last µs of this interval still belongs to it */
		CHECK_INT(ts_candle_trade(&s, b + tf - 1, D("12"), D("3"), 1, collect, &k), TS_CANDLE_APPLIED);
		CHECK_INT(k.n, 1);
		CHECK_STR(F(s.cur.v), "5");
		CHECK_INT(ts_candle_end(&s), b + tf);
		ts_candle_series_free(&s);
	}
	/* a week opens on Monday, not on the epoch's Thursday */
	CHECK_INT(ts_tf_align(MON + 3 * 86400 * S, 7 * 86400 * S), MON);
	CHECK_INT(ts_tf_align(MON - 1, 7 * 86400 * S), MON - 7 * 86400 * S);
}

static void
test_ohlc_and_order(void)
{
	struct ts_candle_series s;
	struct sink k = { .n = 0 };
	int64_t t0 = MON + 60 * S;

	ts_candle_series_init(&s, 60 * S, 10);
	ts_candle_trade(&s, t0 + 10 * S, D("100.10"), D("0.5"), 1, collect, &k);
	ts_candle_trade(&s, t0 + 20 * S, D("101.2"), D("0.25"), 0, collect, &k);
	ts_candle_trade(&s, t0 + 30 * S, D("99.95"), D("0.125"), 1, collect, &k);
	/* out of order, within the open candle: an earlier trade becomes the
	 * open, but does not move the close */
	CHECK_INT(ts_candle_trade(&s, t0 + 5 * S, D("100.00"), D("1"), 0, collect, &k), TS_CANDLE_APPLIED);
	CHECK_STR(F(s.cur.o), "100.00");
	CHECK_STR(F(s.cur.h), "101.2");
	CHECK_STR(F(s.cur.l), "99.95");
	CHECK_STR(F(s.cur.c), "99.95");
	CHECK_STR(F(s.cur.v), "1.875");
	CHECK_STR(F(s.cur.bv), "0.625");
	CHECK_INT(s.cur.n, 4);
	/* a trade at the same time as the last one is the later: it closes */
	ts_candle_trade(&s, t0 + 30 * S, D("100.5"), D("0"), 1, collect, &k);
	CHECK_STR(F(s.cur.c), "100.5");
	/* the next interval closes this one; a trade for it is late */
	ts_candle_trade(&s, t0 + 61 * S, D("102"), D("1"), 1, collect, &k);
	CHECK_INT(k.n, 1);
	CHECK_INT(ts_candle_trade(&s, t0 + 59 * S, D("1"), D("1"), 1, collect, &k), TS_CANDLE_LATE);
	CHECK_INT(s.late, 1);
	CHECK_STR(F(s.cur.l), "102");
	ts_candle_series_free(&s);
}

static void
test_empty_intervals_flat(void)
{
	struct ts_candle_series s;
	struct sink k = { .n = 0 };

	ts_candle_series_init(&s, 60 * S, 3);
	ts_candle_trade(&s, MON + 1 * S, D("50.5"), D("2"), 1, collect, &k);
	ts_candle_trade(&s, MON + 2 * S, D("51.5"), D("1"), 1, collect, &k);
	/* three empty minutes, then a trade */
	ts_candle_trade(&s, MON + 4 * 60 * S + 1, D("49"), D("1"), 0, collect, &k);
	CHECK_INT(k.n, 4);
	for (int i = 1; i < 4; i++) {
		CHECK_INT(k.c[i].t, MON + i * 60 * S);
		CHECK_STR(F(k.c[i].o), "51.5");
		CHECK_STR(F(k.c[i].h), "51.5");
		CHECK_STR(F(k.c[i].l), "51.5");
		CHECK_STR(F(k.c[i].c), "51.5");
		CHECK_STR(F(k.c[i].v), "0");
		CHECK_INT(k.c[i].n, 0);
		CHECK(k.c[i].flags & TS_CANDLE_CLOSED);
	}
	/* the first trade of an empty interval sets its open */
	CHECK_STR(F(s.cur.o), "49");
	CHECK_STR(F(s.cur.h), "49");
	/* the ring keeps the last 3 closed, oldest first */
	CHECK_INT(s.len, 3);
	CHECK_INT(ts_candle_series_at(&s, 0)->t, MON + 60 * S);
	CHECK_INT(ts_candle_series_at(&s, 2)->t, MON + 3 * 60 * S);
	/* the timer closes with no trade: one closed, a flat one opens */
	k.n = 0;
	CHECK_INT(ts_candle_advance(&s, MON + 5 * 60 * S, collect, &k), 1);
	CHECK_INT(s.cur.t, MON + 5 * 60 * S);
	CHECK(s.cur.flags & TS_CANDLE_FLAT);
	CHECK_STR(F(s.cur.c), "49");
	CHECK_INT(ts_candle_advance(&s, MON + 5 * 60 * S + 59 * S, collect, &k), 0);
	/* a gap too long to fill is counted, not flooded */
	k.n = 0;
	ts_candle_trade(&s, MON + (int64_t)(TS_CANDLE_MAX_FILL + 10) * 60 * S, D("1"), D("1"), 1, collect, &k);
	CHECK_INT(k.n, 1);
	CHECK(s.unfilled > 0);
	ts_candle_series_free(&s);
}

static void
test_day_and_week_exact(void)
{
	/* a trade every 10 s for a week of 1 satoshi-ish sizes: the 1d and 1w
	 * volumes are the exact sums (a double would drift) */
	struct ts_candle_series d, w;
	struct sink kd = { .n = 0 }, kw = { .n = 0 };
	int64_t n = 0;

	ts_candle_series_init(&d, 86400 * S, 10);
	ts_candle_series_init(&w, 7 * 86400 * S, 10);
	for (int64_t t = MON; t < MON + 7 * 86400 * S; t += 10 * S, n++) {
		struct ts_dec px = { 6500000 + n % 1000, 2 }, qty = D("0.00000001");
		ts_candle_trade(&d, t, px, qty, n % 3 == 0, collect, &kd);
		ts_candle_trade(&w, t, px, qty, n % 3 == 0, collect, &kw);
	}
	CHECK_INT(n, 60480);
	ts_candle_advance(&d, MON + 7 * 86400 * S, collect, &kd);
	ts_candle_advance(&w, MON + 7 * 86400 * S, collect, &kw);
	CHECK_INT(kd.n, 7);
	CHECK_INT(kw.n, 1);
	CHECK_STR(F(kd.c[0].v), "0.00008640");
	CHECK_INT(kd.c[0].n, 8640);
	CHECK_INT(kd.c[6].t, MON + 6 * 86400 * S);
	CHECK_INT(kw.c[0].t, MON);
	CHECK_STR(F(kw.c[0].v), "0.00060480");
	CHECK_STR(F(kw.c[0].bv), "0.00020160");
	CHECK_STR(F(kw.c[0].o), "65000.00");
	CHECK_STR(F(kw.c[0].h), "65009.99");
	CHECK_STR(F(kw.c[0].l), "65000.00");
	CHECK_INT(kw.c[0].n, 60480);
	ts_candle_series_free(&d);
	ts_candle_series_free(&w);
}

static void
test_mixed_scales(void)
{
	struct ts_candle_series s;

	ts_candle_series_init(&s, S, 0);
	ts_candle_trade(&s, MON, D("65000.1"), D("0.1"), 1, NULL, NULL);
	ts_candle_trade(&s, MON + 1, D("65000.09"), D("0.00000001"), 1, NULL, NULL);
	ts_candle_trade(&s, MON + 2, D("65000.10000"), D("2"), 0, NULL, NULL);
	CHECK_STR(F(s.cur.l), "65000.09");
	CHECK_STR(F(s.cur.h), "65000.1");
	CHECK_STR(F(s.cur.c), "65000.10000");
	CHECK_STR(F(s.cur.v), "2.10000001");
	CHECK_STR(F(s.cur.bv), "0.10000001");
	ts_candle_series_free(&s);
}

static void
test_history_seam(void)
{
	/* history up to the cut: 3 candles, the last still open, one gap */
	struct ts_candle h[3] = {
		{ MON, D("10"), D("12"), D("9"), D("11"), D("5"), D("2"), 7, 0 },
		{ MON + 120 * S, D("11"), D("13"), D("10"), D("12"), D("1"), D("0"), 1, 0 },
		{ MON + 180 * S, D("12"), D("14"), D("11"), D("13"), D("3"), D("1"),
		  0, TS_CANDLE_NO_BV | TS_CANDLE_NO_N },
	};
	struct ts_candle_series s;
	struct sink k = { .n = 0 };
	int64_t cut = MON + 200 * S;

	ts_candle_series_init(&s, 60 * S, 10);
	ts_candle_series_load(&s, h, 3, cut);
	CHECK_INT(s.len, 3); /* the two closed and the flat gap filler */
	CHECK_INT(ts_candle_series_at(&s, 1)->t, MON + 60 * S);
	CHECK_STR(F(ts_candle_series_at(&s, 1)->c), "11");
	CHECK_STR(F(ts_candle_series_at(&s, 1)->v), "0");
	CHECK(ts_candle_series_at(&s, 2)->flags & TS_CANDLE_CLOSED);
	CHECK_INT(s.cur.t, MON + 180 * S);
	CHECK(!(s.cur.flags & TS_CANDLE_CLOSED));
	/* a trade before the cut is in history already: not added twice */
	CHECK_INT(ts_candle_trade(&s, cut - S, D("20"), D("1"), 1, collect, &k), TS_CANDLE_DUP);
	CHECK_STR(F(s.cur.v), "3");
	/* after the cut it merges into the seam candle: open kept */
	CHECK_INT(ts_candle_trade(&s, cut + S, D("15"), D("0.5"), 1, collect, &k), TS_CANDLE_APPLIED);
	CHECK_STR(F(s.cur.o), "12");
	CHECK_STR(F(s.cur.h), "15");
	CHECK_STR(F(s.cur.c), "15");
	CHECK_STR(F(s.cur.v), "3.5");
	CHECK(s.cur.flags & TS_CANDLE_NO_BV);
	/* the next candle is built live: bv and n known again */
	ts_candle_trade(&s, MON + 245 * S, D("16"), D("1"), 0, collect, &k);
	CHECK_INT(k.n, 1);
	CHECK_INT(k.c[0].t, MON + 180 * S);
	CHECK(!(s.cur.flags & (TS_CANDLE_NO_BV | TS_CANDLE_NO_N)));
	CHECK_INT(s.cur.n, 1);

	/* history that ends before the cut's interval (an empty one Coinbase
	 * omits): flat candles up to the open one at the cut */
	ts_candle_series_load(&s, h, 2, cut);
	CHECK_INT(s.cur.t, MON + 180 * S);
	CHECK(s.cur.flags & TS_CANDLE_FLAT);
	CHECK_STR(F(s.cur.o), "12");
	CHECK_INT(s.len, 3);
	ts_candle_series_free(&s);
}

static void
test_write(void)
{
	struct ts_jw w = { 0 };
	struct ts_candle c = { MON, D("1.50"), D("2"), D("1"), D("1.75"), D("0.30"),
		D("0.10"), 3, TS_CANDLE_CLOSED };

	ts_candle_write(&w, "binance", "BTC-USDT", "1m", &c);
	ts_jw_obj_end(&w); /* (a spare byte, overwritten by the NUL) */
	w.buf[w.len - 1] = '\0';
	CHECK_STR(w.buf, "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"tf\":\"1m\","
	    "\"t\":1704067200000000,\"o\":1.50,\"h\":2,\"l\":1,\"c\":1.75,\"v\":0.30,"
	    "\"bv\":0.10,\"n\":3,\"closed\":true}");
	c.flags = TS_CANDLE_NO_BV | TS_CANDLE_NO_N;
	ts_jw_reset(&w);
	ts_candle_write(&w, "coinbase", "BTC-USD", "1d", &c);
	ts_jw_obj_end(&w);
	w.buf[w.len - 1] = '\0';
	CHECK(strstr(w.buf, "\"bv\":null,\"n\":null,\"closed\":false}"));
	ts_jw_free(&w);
}

static void
test_parse_trade(void)
{
	struct ts_candle_trade t;
	const char *why;
	const char *ok = "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"id\":\"1\",\"px\":65086.18,"
	    "\"qty\":0.0013,\"side\":\"buy\",\"ts\":1700000000123456,\"rt\":1,\"seq\":3}";

	CHECK_INT(ts_candle_parse_trade(ok, strlen(ok), &t, &why), 0);
	CHECK_STR(t.ex, "coinbase");
	CHECK_STR(t.sym, "BTC-USD");
	CHECK_STR(F(t.px), "65086.18");
	CHECK_STR(F(t.qty), "0.0013");
	CHECK_INT(t.buy, 1);
	CHECK_INT(t.ts, 1700000000123456);
	{
		const char *js = "{\"px\":\"1\",\"qty\":\"2\",\"side\":\"sell\",\"ts\":5}";
		CHECK_INT(ts_candle_parse_trade(js, strlen(js), &t, &why), 0);
	}
	CHECK_INT(t.buy, 0);
	CHECK_STR(t.ex, "");
#define BAD(js, reason) do { \
	CHECK_INT(ts_candle_parse_trade(js, strlen(js), &t, &why), -1); \
	CHECK_STR(why, reason); } while (0)
	BAD("{\"px\":1,\"qty\":1,\"side\":\"buy\"}", "no \"ts\"");
	BAD("{\"px\":-1,\"qty\":1,\"side\":\"buy\",\"ts\":1}", "bad \"px\"");
	BAD("{\"px\":1,\"qty\":-1,\"side\":\"buy\",\"ts\":1}", "bad \"qty\"");
	BAD("{\"px\":1,\"qty\":1,\"side\":\"BUY\",\"ts\":1}", "bad \"side\"");
	BAD("{\"px\":1e400,\"qty\":1,\"side\":\"buy\",\"ts\":1}", "bad \"px\"");
	BAD("{\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":1.5}", "bad \"ts\"");
	BAD("{\"qty\":1,\"side\":\"buy\",\"ts\":1}", "no \"px\"");
	/* stamped 2100, received 2026: it would close candles up to 2100 */
	BAD("{\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":4102444800000000,"
	    "\"rt\":1767225600000000}", "\"ts\" is far after its receive time \"rt\"");
	BAD("{\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":1,\"rt\":\"x\"}", "bad \"rt\"");
	{
		const char *js = "{\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":1767225601000000,"
		    "\"rt\":1767225600000000}"; /* 1 s ahead: a clock off a little */
		CHECK_INT(ts_candle_parse_trade(js, strlen(js), &t, &why), 0);
	}
	BAD("[1,2]", "not a JSON object");
	BAD("{\"px\":1,", "invalid JSON");
}

static void
test_klines_binance(void)
{
	const struct ts_klines_ex *b = ts_klines_find("binance");
	const char *body = "[[1704067200000,\"42283.58\",\"42298.62\",\"42261.02\",\"42298.61\","
	    "\"35.92724000\",1704067259999,\"1519365.94\",1284,\"21.43\",\"906.1\",\"0\"],"
	    "[1704067260000,\"42298.62\",\"42320.00\",\"42298.61\",\"42320.00\",\"0.00000000\","
	    "1704067319999,\"0\",0,\"0.00000000\",\"0\",\"0\"]]";
	struct ts_candle *c = NULL;
	size_t n = 0, cap = 0;
	char err[200], url[512];

	CHECK(b != NULL);
	CHECK(ts_klines_find("nosuchex") == NULL);
	CHECK_INT(b->parse(body, strlen(body), &c, &n, &cap, err, sizeof err), 0);
	CHECK_INT(n, 2);
	CHECK_INT(c[0].t, MON);
	CHECK_STR(F(c[0].o), "42283.58");
	CHECK_STR(F(c[0].v), "35.92724000");
	CHECK_STR(F(c[0].bv), "21.43");
	CHECK_INT(c[0].n, 1284);
	CHECK(c[1].flags & TS_CANDLE_FLAT);
	CHECK_INT(b->parse("{\"code\":-1}", 11, &c, &n, &cap, err, sizeof err), -1);
	CHECK_INT(b->parse("[[1,\"x\"]]", 9, &c, &n, &cap, err, sizeof err), -1);
	b->url(url, sizeof url, "http://127.0.0.1:9", "BTC-USDT", "1m", MON, MON + 1000 * 60 * S, 1000);
	CHECK_STR(url, "http://127.0.0.1:9/api/v3/klines?symbol=BTCUSDT&interval=1m"
	    "&startTime=1704067200000&endTime=1704127199999&limit=1000");
	free(c);
	/* 5s and 15s come from 1s; all others are served */
	CHECK_INT(ts_klines_source(b, 1), 0);
	CHECK_INT(ts_klines_source(b, 2), 0);
	CHECK_INT(ts_klines_source(b, 14), 14);
	ts_klines_http_error(400, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}", 38, err, sizeof err);
	CHECK_STR(err, "HTTP 400: Invalid symbol. (-1121)");
	ts_klines_http_error(502, "<html>", 6, err, sizeof err);
	CHECK_STR(err, "HTTP 502");
}

static void
test_klines_coinbase_rollup(void)
{
	const struct ts_klines_ex *cb = ts_klines_find("coinbase");
	/* newest first; minute 2 missing (no trades); minute 1 twice (two
	 * overlapping windows): the later copy wins */
	const char *body = "{\"candles\":["
	    "{\"start\":\"1704067380\",\"low\":\"9\",\"high\":\"15\",\"open\":\"13\",\"close\":\"14\",\"volume\":\"0.3\"},"
	    "{\"start\":\"1704067260\",\"low\":\"10\",\"high\":\"13\",\"open\":\"11\",\"close\":\"12\",\"volume\":\"0.2\"},"
	    "{\"start\":\"1704067200\",\"low\":\"8\",\"high\":\"11\",\"open\":\"10\",\"close\":\"11\",\"volume\":\"0.1\"},"
	    "{\"start\":\"1704067260\",\"low\":\"10\",\"high\":\"13\",\"open\":\"11\",\"close\":\"12.5\",\"volume\":\"0.25\"}]}";
	struct ts_candle *c = NULL;
	size_t n = 0, cap = 0;
	char err[200], url[512];

	CHECK_INT(cb->parse(body, strlen(body), &c, &n, &cap, err, sizeof err), 0);
	CHECK_INT(n, 4);
	CHECK(c[0].flags & TS_CANDLE_NO_BV);
	n = ts_klines_rollup(c, n, 3 * 60 * S);
	CHECK_INT(n, 2);
	CHECK_INT(c[0].t, MON);
	CHECK_STR(F(c[0].o), "10");
	CHECK_STR(F(c[0].h), "13");
	CHECK_STR(F(c[0].l), "8");
	CHECK_STR(F(c[0].c), "12.5");
	CHECK_STR(F(c[0].v), "0.35");
	CHECK_INT(c[1].t, MON + 180 * S);
	CHECK_STR(F(c[1].v), "0.3");
	free(c);
	c = NULL;
	n = cap = 0;
	CHECK_INT(cb->parse("{\"candles\":[{\"start\":\"x\"}]}", 26, &c, &n, &cap, err, sizeof err), -1);
	free(c);
	cb->url(url, sizeof url, "https://api.coinbase.com", "BTC-USD", "ONE_MINUTE", MON, MON + 300 * 60 * S, 300);
	CHECK_STR(url, "https://api.coinbase.com/api/v3/brokerage/market/products/BTC-USD/candles"
	    "?start=1704067200&end=1704085199&granularity=ONE_MINUTE&limit=300");
	/* 3m from 1m, 4h from 2h, 12h from 6h, 1w from 1d, none below 1m */
	CHECK_INT(ts_klines_source(cb, 4), 3);
	CHECK_INT(ts_klines_source(cb, 10), 9);
	CHECK_INT(ts_klines_source(cb, 12), 11);
	CHECK_INT(ts_klines_source(cb, 14), 13);
	CHECK_INT(ts_klines_source(cb, 1), -1);
	ts_klines_http_error(404, "{\"error\":\"NOT_FOUND\",\"message\":\"no product\"}", 44, err, sizeof err);
	CHECK_STR(err, "HTTP 404: no product (NOT_FOUND)");
}

/* Store candles at minutes mins[] (offsets from MON) */
static size_t
stored_at(struct ts_candle *c, const int *mins, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(&c[i], 0, sizeof c[i]);
		c[i].t = MON + mins[i] * 60 * S;
	}
	return n;
}

static void
test_join_point(void)
{
	/* the window: minutes [0, 36), the open candle at minute 35 */
	const int64_t M = 60 * S, start = MON, open = MON + 35 * M, slack = 16 * M;
	struct ts_candle c[40];
	size_t keep, n;

	/* a run from the window's start to minute 29: REST from minute 30 */
	{
		const int m[] = { 29, 3, 0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
			15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28 };
		n = stored_at(c, m, 30);
		CHECK_INT(ts_klines_join_point(c, n, M, start, open, slack, 1, &keep), MON + 30 * M);
		CHECK_INT(keep, 30);
		CHECK_INT(c[0].t, MON); /* sorted */
		CHECK_INT(c[29].t, MON + 29 * M);
	}
	/* a missing minute ends the run: REST serves from it on */
	{
		const int m[] = { 2, 3, 4, 6, 7 };
		n = stored_at(c, m, 5);
		CHECK_INT(ts_klines_join_point(c, n, M, start, open, slack, 1, &keep), MON + 5 * M);
		CHECK_INT(keep, 3);
	}
	/* a run that starts too late: REST serves it all */
	{
		const int m[] = { 17, 18, 19, 20 };
		n = stored_at(c, m, 4);
		CHECK_INT(ts_klines_join_point(c, n, M, start, open, slack, 1, &keep), start);
		CHECK_INT(keep, 0);
	}
	/* nothing stored; candles outside the window or unaligned are ignored */
	CHECK_INT(ts_klines_join_point(c, 0, M, start, open, slack, 1, &keep), start);
	CHECK_INT(keep, 0);
	{
		const int m[] = { 35, 36, -1 };
		n = stored_at(c, m, 3);
		c[1].t = MON + 5 * M + 7; /* not aligned */
		CHECK_INT(ts_klines_join_point(c, n, M, start, open, slack, 1, &keep), start);
		CHECK_INT(keep, 0);
	}
	/* a repeated minute ends the run too */
	{
		const int m[] = { 0, 1, 1, 2 };
		n = stored_at(c, m, 4);
		CHECK_INT(ts_klines_join_point(c, n, M, start, open, slack, 1, &keep), MON + 2 * M);
		CHECK_INT(keep, 2);
	}
	/* without REST the run must reach the open candle */
	{
		int m[35];
		for (int i = 0; i < 35; i++)
			m[i] = i;
		n = stored_at(c, m, 35);
		CHECK_INT(ts_klines_join_point(c, n, M, start, open, slack, 0, &keep), open);
		CHECK_INT(keep, 35);
		n = stored_at(c, m, 34);
		CHECK_INT(ts_klines_join_point(c, n, M, start, open, slack, 0, &keep), -1);
		CHECK_INT(keep, 0);
	}
}

static void
test_parse_candle(void)
{
	const char *js = "{\"ex\":\"binance\",\"t\":1704067200000000,\"o\":1.5,\"h\":2,"
	    "\"l\":1.25,\"c\":1.75,\"v\":0.010,\"bv\":0.004,\"n\":3,\"closed\":true}";
	const char *flat = "{\"t\":1704067260000000,\"o\":1.75,\"h\":1.75,\"l\":1.75,"
	    "\"c\":1.75,\"v\":0,\"bv\":null}";
	struct ts_jval obj;
	struct ts_candle c;
	const char *why;

	CHECK_INT(ts_json_parse(js, strlen(js), &obj, NULL), 0);
	CHECK_INT(ts_candle_parse(&obj, &c, &why), 0);
	CHECK_INT(c.t, MON);
	CHECK_STR(F(c.o), "1.5");
	CHECK_STR(F(c.v), "0.010");
	CHECK_STR(F(c.bv), "0.004");
	CHECK_INT(c.n, 3);
	CHECK_INT(c.flags, 0);
	CHECK_INT(ts_json_parse(flat, strlen(flat), &obj, NULL), 0);
	CHECK_INT(ts_candle_parse(&obj, &c, &why), 0);
	CHECK_INT(c.flags, TS_CANDLE_FLAT | TS_CANDLE_NO_BV | TS_CANDLE_NO_N);
#define BADC(text, reason) do { \
	CHECK_INT(ts_json_parse(text, strlen(text), &obj, NULL), 0); \
	CHECK_INT(ts_candle_parse(&obj, &c, &why), -1); \
	CHECK_STR(why, reason); } while (0)
	BADC("{\"o\":1,\"h\":1,\"l\":1,\"c\":1,\"v\":1}", "bad or missing \"t\"");
	BADC("{\"t\":1,\"o\":1,\"h\":1,\"l\":1,\"c\":1}", "bad or missing price or volume");
	BADC("{\"t\":1,\"o\":1,\"h\":1,\"l\":1,\"c\":\"x\",\"v\":1}", "bad or missing price or volume");
	BADC("{\"t\":1,\"o\":1,\"h\":1,\"l\":1,\"c\":1,\"v\":1,\"n\":-2}", "bad \"n\"");
	BADC("{\"t\":1,\"o\":1,\"h\":1,\"l\":1,\"c\":1,\"v\":1,\"bv\":\"y\"}", "bad \"bv\"");
	BADC("[1]", "candle is not an object");
}

/* The plan's requests cover the window once, without overlap, and its
 * replies are sorted, merged and rolled up; 5xx asks for a retry. */
static void
test_klines_plan(void)
{
	const struct ts_klines_ex *b = ts_klines_find("binance");
	const struct ts_klines_ex *cb = ts_klines_find("coinbase");
	struct ts_klines_plan p;
	struct ts_candle *c;
	const char *body;
	size_t n;
	long wait;
	char url[512], err[300];
	/* now: minute 1500 after MON; 1200 one-minute candles: 2 requests */
	int64_t now = MON + 1500 * 60 * S + 7 * S;

	CHECK_INT(ts_klines_plan_init(&p, b, "http://h", "BTC-USDT", 60 * S, now, 1200, err,
	    sizeof err), 0);
	CHECK_INT(ts_klines_plan_next(&p, url, sizeof url, err, sizeof err), 1);
	CHECK_STR(url, "http://h/api/v3/klines?symbol=BTCUSDT&interval=1m"
	    "&startTime=1704085260000&endTime=1704145259999&limit=1000");
	CHECK_INT(ts_klines_plan_reply(&p, url, 503, "", 0, -1, 0, &wait, err, sizeof err), 1);
	CHECK_INT(wait, 1);
	CHECK_INT(ts_klines_plan_reply(&p, url, 503, "", 0, 1, 2, &wait, err, sizeof err), -1);
	CHECK_STR(err, "'http://h/api/v3/klines?symbol=BTCUSDT&interval=1m"
	    "&startTime=1704085260000&endTime=1704145259999&limit=1000': HTTP 503");
	body = "[[1704145200000,\"1\",\"2\",\"1\",\"2\",\"5\",0,\"0\",2,\"1\",\"0\",\"0\"]]";
	CHECK_INT(ts_klines_plan_reply(&p, url, 200, body, strlen(body), -1, 0, &wait, err,
	    sizeof err), 0);
	CHECK_INT(ts_klines_plan_next(&p, url, sizeof url, err, sizeof err), 1);
	CHECK_STR(url, "http://h/api/v3/klines?symbol=BTCUSDT&interval=1m"
	    "&startTime=1704145260000&endTime=1704157259999&limit=200");
	body = "[[1704157200000,\"3\",\"4\",\"3\",\"4\",\"1\",0,\"0\",1,\"0\",\"0\",\"0\"],"
	    "[1704157260000,\"9\",\"9\",\"9\",\"9\",\"1\",0,\"0\",1,\"0\",\"0\",\"0\"]]";
	CHECK_INT(ts_klines_plan_reply(&p, url, 200, body, strlen(body), -1, 0, &wait, err,
	    sizeof err), 0);
	CHECK_INT(ts_klines_plan_next(&p, url, sizeof url, err, sizeof err), 0);
	ts_klines_plan_finish(&p, &c, &n);
	CHECK_INT(n, 2); /* the one after the window is dropped */
	CHECK_INT(c[0].t, MON + 1300 * 60 * S);
	CHECK_INT(c[1].t, MON + 1500 * 60 * S); /* the open one */
	CHECK_STR(F(c[1].c), "4");
	free(c);
	ts_klines_plan_free(&p);
	/* Coinbase 3m from 1m: 10 candles are 30 minutes, one request */
	CHECK_INT(ts_klines_plan_init(&p, cb, NULL, "BTC-USD", 180 * S, now, 10, err,
	    sizeof err), 0);
	CHECK_INT(ts_klines_plan_next(&p, url, sizeof url, err, sizeof err), 1);
	CHECK_STR(url, "https://api.coinbase.com/api/v3/brokerage/market/products/BTC-USD"
	    "/candles?start=1704155580&end=1704157379&granularity=ONE_MINUTE&limit=30");
	CHECK_INT(ts_klines_plan_reply(&p, url, 200, "{\"candles\":[x]}", 14, -1, 0, &wait,
	    err, sizeof err), -1);
	CHECK(strncmp(err, "bad reply from ", 15) == 0);
	ts_klines_plan_free(&p);
	/* Coinbase serves nothing under a minute */
	CHECK_INT(ts_klines_plan_init(&p, cb, NULL, "BTC-USD", 5 * S, now, 10, err,
	    sizeof err), -1);
	CHECK_STR(err, "coinbase serves no candles that build 5s");
}

int
main(void)
{
	RUN(test_alignment_every_timeframe);
	RUN(test_ohlc_and_order);
	RUN(test_empty_intervals_flat);
	RUN(test_day_and_week_exact);
	RUN(test_mixed_scales);
	RUN(test_history_seam);
	RUN(test_write);
	RUN(test_parse_trade);
	RUN(test_klines_binance);
	RUN(test_klines_coinbase_rollup);
	RUN(test_join_point);
	RUN(test_parse_candle);
	RUN(test_klines_plan);
	return DONE();
}
