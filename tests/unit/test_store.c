/* test_store.c: ts-store's parsing, exact storage, dedup, queries, book samples, retention */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "t.h"
#include "tm.h"

#define ANSWER(req) store_history_answer(&s, (req), strlen(req), &w)
#define PARSE(text) ts_json_parse((text), strlen(text), &v, NULL)

static char dir[] = "/tmp/test_store.XXXXXX";
static char path[256];

static int
parse_trade(const char *json, struct store_trade *t, const char **why)
{
	struct ts_jval v;

	if (ts_json_parse(json, strlen(json), &v, NULL) < 0)
		return -2;
	return store_parse_trade(&v, NULL, NULL, t, why);
}

static void
test_parse_trade(void)
{
	struct store_trade t;
	struct ts_jw w = { 0 };
	const char *why = NULL;
	const char *in = "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"id\":\"686921\",\"px\":65086.10,"
	    "\"qty\":0.00130,\"side\":\"buy\",\"ts\":1700000000000001,\"rt\":1700000000000009}";

	CHECK_INT(parse_trade(in, &t, &why), 0);
	store_write_trade(&w, &t);
	CHECK_STR(w.buf, in);
	/* ids may be numbers; prices may be strings; rt is optional */
	CHECK_INT(parse_trade("{\"ex\":\"kraken\",\"sym\":\"ETH-USD\",\"id\":42,\"px\":\"3000.5\","
	    "\"qty\":\"1e-8\",\"side\":\"sell\",\"ts\":1}", &t, &why), 0);
	CHECK_STR(t.id, "42");
	CHECK_INT(t.has_rt, 0);
	CHECK_INT(t.side, STORE_SELL);
	ts_jw_reset(&w);
	store_write_trade(&w, &t);
	CHECK_STR(w.buf, "{\"ex\":\"kraken\",\"sym\":\"ETH-USD\",\"id\":\"42\",\"px\":3000.5,"
	    "\"qty\":0.00000001,\"side\":\"sell\",\"ts\":1}");
	CHECK_INT(parse_trade("{\"ex\":\"kraken\",\"sym\":\"ETH-USD\",\"id\":\"1\",\"px\":-1,"
	    "\"qty\":1,\"side\":\"buy\",\"ts\":1}", &t, &why), -1);
	CHECK_STR(why, "missing or bad \"px\"");
	CHECK_INT(parse_trade("{\"ex\":\"kraken\",\"sym\":\"ETH-USD\",\"id\":\"1\",\"px\":1,"
	    "\"qty\":1,\"side\":\"bid\",\"ts\":1}", &t, &why), -1);
	CHECK_INT(parse_trade("{\"ex\":\"Kraken\",\"sym\":\"ETH-USD\",\"id\":\"1\",\"px\":1,"
	    "\"qty\":1,\"side\":\"buy\",\"ts\":1}", &t, &why), -1);
	CHECK_INT(parse_trade("{\"ex\":\"kraken\",\"sym\":\"ETH-USD\",\"px\":1,"
	    "\"qty\":1,\"side\":\"buy\",\"ts\":1}", &t, &why), -1);
	CHECK_STR(why, "missing \"id\"");
	CHECK_INT(parse_trade("[1]", &t, &why), -1);
	ts_jw_free(&w);
}

/* The single-pass trade scanner agrees with ts_json_parse + store_parse_trade
 * on every input it takes, and hands back (-2) what it does not. */
static void
scan_agrees(const char *json, int want)
{
	struct store_trade a, b;
	struct ts_jw wa = { 0 }, wb = { 0 };
	const char *wa_why = NULL, *wb_why = NULL;
	int64_t seq = -1;
	int has_seq = 0, r, g;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	r = store_scan_trade(json, strlen(json), "binance", "BTC-USDT", &a, &seq, &has_seq, &wa_why);
	if (r != want)
		printf("#   scanner on %s\n", json);
	CHECK_INT(r, want);
	if (r == -2)
		return;
	{
		struct ts_jval v;
		CHECK_INT(ts_json_parse(json, strlen(json), &v, NULL), 0);
		g = store_parse_trade(&v, "binance", "BTC-USDT", &b, &wb_why);
	}
	CHECK_INT(r, g);
	if (r < 0) {
		CHECK_STR(wa_why, wb_why);
		return;
	}
	store_write_trade(&wa, &a);
	store_write_trade(&wb, &b);
	CHECK_STR(wa.buf, wb.buf);
	ts_jw_free(&wa);
	ts_jw_free(&wb);
}

static void
test_scan_trade(void)
{
	struct store_trade t;
	const char *why = NULL;
	int64_t seq = 0;
	int has_seq = 0;
	const char *flat = "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"id\":\"3000000001\","
	    "\"px\":60001.01,\"qty\":0.00002,\"side\":\"buy\",\"ts\":1700000000604800,"
	    "\"rt\":1700000000605600,\"seq\":2}";

	CHECK_INT(store_scan_trade(flat, strlen(flat), NULL, NULL, &t, &seq, &has_seq, &why), 0);
	CHECK_INT(has_seq, 1);
	CHECK_INT(seq, 2);
	CHECK_STR(t.id, "3000000001");
	CHECK_INT(t.px.m, 6000101);
	CHECK_INT(t.px.scale, 2);
	scan_agrees(flat, 0);
	/* whitespace, other members, literals, ids as numbers, ex/sym from the topic */
	scan_agrees(" { \"id\" : 7 , \"px\" : \"1.50\" , \"qty\":1e-3, \"side\":\"sell\", "
	    "\"ts\":1.7e15, \"x\":null, \"y\":true, \"z\":false, \"seq\":-1 } \n", 0);
	/* the first of two equal keys wins, as in ts_json_get */
	scan_agrees("{\"id\":\"1\",\"id\":\"2\",\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":5,"
	    "\"px\":2}", 0);
	/* valid objects that are bad trades: the same reason */
	scan_agrees("{\"id\":\"1\",\"px\":0,\"qty\":1,\"side\":\"buy\",\"ts\":5}", -1);
	scan_agrees("{\"id\":\"1\",\"px\":1,\"qty\":1,\"side\":\"bid\",\"ts\":5}", -1);
	scan_agrees("{\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":5}", -1);
	scan_agrees("{\"ex\":\"Binance\",\"id\":\"1\",\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":5}", -1);
	scan_agrees("{\"id\":\"1\",\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":-5}", -1);
	scan_agrees("{\"id\":1.5,\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":5}", -1);
	/* handed back: escapes, nesting, candles, empty objects, not JSON */
	scan_agrees("{\"id\":\"a\\\"b\",\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":5}", -2);
	scan_agrees("{\"id\":\"1\",\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":5,\"m\":{}}", -2);
	scan_agrees("{\"tf\":\"1m\",\"t\":0,\"o\":1,\"h\":1,\"l\":1,\"c\":1,\"v\":1}", -2);
	scan_agrees("{}", -2);
	scan_agrees("[1]", -2);
	scan_agrees("{\"id\":\"1\",\"px\":01,\"qty\":1,\"side\":\"buy\",\"ts\":5}", -2);
	scan_agrees("{\"id\":\"1\",\"px\":1.,\"qty\":1,\"side\":\"buy\",\"ts\":5}", -2);
	scan_agrees("{\"id\":\"1\",\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":5,}", -2);
	scan_agrees("{\"id\":\"1\",\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":5} x", -2);
	scan_agrees("{\"id\":\"1\",\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":5", -2);
	scan_agrees("{\"id\":\"1\"\"px\":1}", -2);
	scan_agrees("{\"id\":tru}", -2);
	scan_agrees("{\"id\":\"a\tb\",\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":5}", -2);
	/* every prefix of a good line is handed back (never read past the end) */
	for (size_t n = 0; n < strlen(flat); n++) {
		char buf[512];
		memcpy(buf, flat, n);
		buf[n] = '\0';
		scan_agrees(buf, -2);
	}
}

static void
test_parse_candle(void)
{
	struct store_candle c;
	struct ts_jval v;
	struct ts_jw w = { 0 };
	const char *why;
	const char *in = "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"tf\":\"1m\",\"t\":60000000,"
	    "\"o\":1.10,\"h\":2,\"l\":0.5,\"c\":1.00,\"v\":10.000,\"bv\":4,\"n\":7,\"closed\":true}";
	const char *open = "{\"t\":60000000,\"o\":1,\"h\":1,\"l\":1,\"c\":1,\"v\":0,\"closed\":false}";

	ts_json_parse(in, strlen(in), &v, NULL);
	CHECK_INT(store_parse_candle(&v, NULL, NULL, NULL, &c, &why), 0);
	store_write_candle(&w, &c);
	CHECK_STR(w.buf, in);
	/* ex/sym/tf from the topic when the object has none */
	ts_json_parse(open, strlen(open), &v, NULL);
	CHECK_INT(store_parse_candle(&v, NULL, NULL, NULL, &c, &why), -1);
	CHECK_INT(store_parse_candle(&v, "okx", "SOL-USDT", "5m", &c, &why), 0);
	CHECK_STR(c.tf, "5m");
	CHECK_INT(c.closed, 0);
	CHECK_INT(c.has_bv, 0);
	CHECK_INT(store_parse_candle(&v, "okx", "SOL-USDT", "7m", &c, &why), -1);
	/* Coinbase history has no taker volume or count: null is accepted as absent */
	{
		const char *nulls = "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"tf\":\"5m\","
		    "\"t\":300000000,\"o\":1,\"h\":1,\"l\":1,\"c\":1,\"v\":2,\"bv\":null,"
		    "\"n\":null,\"closed\":true}";
		ts_json_parse(nulls, strlen(nulls), &v, NULL);
		CHECK_INT(store_parse_candle(&v, NULL, NULL, NULL, &c, &why), 0);
		CHECK_INT(c.has_bv, 0);
		CHECK_INT(c.has_n, 0);
	}
	ts_jw_free(&w);
}

static void
add_trade(struct store *s, const char *id, const char *px, const char *qty, int64_t ts, int want)
{
	struct store_trade t = { .side = STORE_BUY, .ts = ts, .rt = ts + 5, .has_rt = 1 };

	strcpy(t.ex, "binance");
	strcpy(t.sym, "BTC-USDT");
	snprintf(t.id, sizeof t.id, "%s", id);
	ts_dec_parse_str(px, &t.px);
	ts_dec_parse_str(qty, &t.qty);
	CHECK_INT(store_trade(s, &t), want);
}

static void
add_trade_ret(struct store *s, const char *id, const char *px, const char *qty, int64_t ts,
    int *failed)
{
	struct store_trade t = { .side = STORE_SELL, .ts = ts };

	strcpy(t.ex, "binance");
	strcpy(t.sym, "BTC-USDT");
	snprintf(t.id, sizeof t.id, "%s", id);
	ts_dec_parse_str(px, &t.px);
	ts_dec_parse_str(qty, &t.qty);
	if (store_trade(s, &t) < 0)
		*failed = 1;
}

static char *
query(struct store *s, const char *topic, int64_t since, int64_t until, long limit,
    enum store_fmt fmt)
{
	char *buf = NULL, err[256];
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	long r = store_query(s, topic, since, until, limit, fmt, f, err, sizeof err);

	fclose(f);
	if (r < 0) {
		free(buf);
		return ts_xstrdup(err);
	}
	return buf;
}

static void
test_trades_roundtrip_and_dedup(void)
{
	struct store s;
	char err[512], *out;

	CHECK_INT(store_open(&s, path, 0, err, sizeof err), 0);
	add_trade(&s, "10", "65000.10", "0.00100", 1000, 1);
	add_trade(&s, "011", "0.00000001", "123456789.5", 2000, 1); /* not canonical: text */
	add_trade(&s, "abc-1", "1", "0", 3000, 1);
	add_trade(&s, "10", "65000.10", "0.00100", 1000, 0); /* duplicate */
	add_trade(&s, "10", "65000.10", "0.00100", 1500, 0); /* same id, other time */
	CHECK_INT(store_commit(&s), 0);
	CHECK_INT(s.st.trades, 3);
	CHECK_INT(s.st.dups, 2);
	out = query(&s, "trades/binance/BTC-USDT", 0, INT64_MAX, 0, STORE_JSON);
	CHECK_STR(out,
	    "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"id\":\"10\",\"px\":65000.10,\"qty\":0.00100,\"side\":\"buy\",\"ts\":1000,\"rt\":1005}\n"
	    "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"id\":\"011\",\"px\":0.00000001,\"qty\":123456789.5,\"side\":\"buy\",\"ts\":2000,\"rt\":2005}\n"
	    "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"id\":\"abc-1\",\"px\":1,\"qty\":0,\"side\":\"buy\",\"ts\":3000,\"rt\":3005}\n");
	free(out);
	out = query(&s, "trades/binance/BTC-USDT", 1000, 3000, 1, STORE_CSV);
	CHECK_STR(out, "ex,sym,id,px,qty,side,ts,rt\n"
	    "binance,BTC-USDT,011,0.00000001,123456789.5,buy,2000,2005\n");
	free(out);
	/* a market never seen: no rows, no error */
	out = query(&s, "trades/binance/ETH-USDT", 0, INT64_MAX, 0, STORE_JSON);
	CHECK_STR(out, "");
	free(out);
	out = query(&s, "status/store", 0, INT64_MAX, 0, STORE_JSON);
	CHECK(strstr(out, "only trades, candles and book") != NULL);
	free(out);
	store_close(&s);
}

static int
queue_trade(struct store *s, int id, int64_t ts)
{
	struct store_trade t = { .side = STORE_SELL, .ts = ts };

	strcpy(t.ex, "binance");
	strcpy(t.sym, "BTC-USDT");
	snprintf(t.id, sizeof t.id, "%d", id);
	ts_dec_parse_str("60000.10", &t.px);
	ts_dec_parse_str("0.00100", &t.qty);
	return store_trade_queue(s, &t);
}

static long
count_rows(struct store *s)
{
	char *out = query(s, "trades/binance/BTC-USDT", 0, INT64_MAX, 0, STORE_CSV);
	long rows = -1;

	for (char *q = out; (q = strchr(q, '\n')); q++)
		rows++;
	free(out);
	return rows;
}

/* The bulk path: full multi-row statements and the rest row by row, with
 * duplicates inside one statement, across statements, against the
 * per-row path and across a restart; queued rows are visible to queries. */
static void
test_trade_queue(void)
{
	struct store s;
	char err[512], p2[300], *out;
	int failed = 0;

	snprintf(p2, sizeof p2, "%s/queue.db", dir);
	CHECK_INT(store_open(&s, p2, 0, err, sizeof err), 0);
	for (int i = 0; i < 100; i++) {
		CHECK_INT(queue_trade(&s, i, 1000 + i), 0);
		if (i == 5)
			CHECK_INT(queue_trade(&s, 5, 1005), 0);  /* same statement */
		if (i == 40)
			CHECK_INT(queue_trade(&s, 10, 1010), 0); /* an earlier one */
	}
	CHECK(s.nqueue > 0);
	add_trade(&s, "99", "60000.10", "0.00100", 1099, 0); /* queued: a duplicate */
	CHECK_INT(s.nqueue, 0);
	CHECK_INT(queue_trade(&s, 100, 1100), 0);
	CHECK_INT(count_rows(&s), 101); /* the query flushed the queue */
	CHECK_INT(store_commit(&s), 0);
	CHECK_INT(s.st.trades, 101);
	CHECK_INT(s.st.dups, 3);
	CHECK_INT(s.st.lost, 0);
	out = query(&s, "trades/binance/BTC-USDT", 1050, 1051, 0, STORE_JSON);
	CHECK_STR(out, "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"id\":\"50\",\"px\":60000.10,"
	    "\"qty\":0.00100,\"side\":\"sell\",\"ts\":1050}\n");
	free(out);
	for (int i = 0; i < 5; i++)
		CHECK_INT(queue_trade(&s, 200 + i, 2000 + i), 0);
	store_close(&s); /* commits what is queued */
	CHECK_INT(store_open(&s, p2, 0, err, sizeof err), 0);
	for (int i = 0; i <= 100; i++)
		CHECK_INT(queue_trade(&s, i, 1000 + i), 0);
	CHECK_INT(store_commit(&s), 0);
	CHECK_INT(s.st.trades, 0);
	CHECK_INT(s.st.dups, 101);
	CHECK_INT(count_rows(&s), 106);
	store_close(&s);

	/* a full disk: the failure is reported and counted, the database stays whole */
	snprintf(p2, sizeof p2, "%s/queue-full.db", dir);
	CHECK_INT(store_open(&s, p2, 0, err, sizeof err), 0);
	sqlite3_exec(s.db, "PRAGMA max_page_count = 60", NULL, NULL, NULL);
	for (int i = 0; i < 20000 && !failed; i++) {
		if (queue_trade(&s, 1000000 + i, 1000 + i) < 0)
			failed = 1;
		if (i % 1000 == 999 && store_commit(&s) < 0)
			failed = 1;
	}
	CHECK(failed);
	store_commit(&s);
	CHECK(s.st.lost > 0);
	CHECK(count_rows(&s) > 0);
	CHECK(count_rows(&s) <= (long)s.st.trades);
	store_close(&s);
}

static void
test_candles_upsert_and_history(void)
{
	struct store s;
	struct store_candle c = { .t = 60000000, .closed = 1, .has_n = 1, .n = 3 };
	struct ts_jw w = { 0 };
	char err[512], *out;

	CHECK_INT(store_open(&s, path, 0, err, sizeof err), 0);
	strcpy(c.ex, "binance");
	strcpy(c.sym, "BTC-USDT");
	strcpy(c.tf, "1m");
	ts_dec_parse_str("1.10", &c.o);
	ts_dec_parse_str("2", &c.h);
	ts_dec_parse_str("0.5", &c.l);
	ts_dec_parse_str("1.00", &c.c);
	ts_dec_parse_str("10.000", &c.v);
	CHECK_INT(store_candle(&s, &c), 1);
	ts_dec_parse_str("3", &c.h);
	CHECK_INT(store_candle(&s, &c), 1); /* the same open time: replaced */
	c.t = 120000000;
	CHECK_INT(store_candle(&s, &c), 1);
	CHECK_INT(store_commit(&s), 0);
	out = query(&s, "candles/binance/BTC-USDT/1m", 0, INT64_MAX, 0, STORE_JSON);
	CHECK_STR(out,
	    "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"tf\":\"1m\",\"t\":60000000,\"o\":1.10,\"h\":3,\"l\":0.5,\"c\":1.00,\"v\":10.000,\"n\":3,\"closed\":true}\n"
	    "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"tf\":\"1m\",\"t\":120000000,\"o\":1.10,\"h\":3,\"l\":0.5,\"c\":1.00,\"v\":10.000,\"n\":3,\"closed\":true}\n");
	free(out);
	out = query(&s, "candles/binance/BTC-USDT/5m", 0, INT64_MAX, 0, STORE_JSON);
	CHECK_STR(out, "");
	free(out);
	ANSWER("{\"topic\":\"candles/binance/BTC-USDT/1m\",\"limit\":1}");
	CHECK_STR(w.buf, "{\"type\":\"history\",\"topic\":\"candles/binance/BTC-USDT/1m\",\"candles\":["
	    "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"tf\":\"1m\",\"t\":120000000,\"o\":1.10,\"h\":3,\"l\":0.5,\"c\":1.00,\"v\":10.000,\"n\":3,\"closed\":true}]}");
	ANSWER("{\"topic\":\"candles/binance/BTC-USDT/1m\",\"until\":120000000}");
	CHECK(strstr(w.buf, "\"t\":60000000") && !strstr(w.buf, "\"t\":120000000"));
	ANSWER("{\"topic\":1}");
	CHECK_STR(w.buf, "{\"type\":\"error\",\"error\":\"missing or bad \\\"topic\\\"\"}");
	ANSWER("nope");
	CHECK_STR(w.buf, "{\"type\":\"error\",\"error\":\"request is not a JSON object\"}");
	ANSWER("{\"topic\":\"candles/binance/BTC-USDT/1m\",\"limit\":\"x\"}");
	CHECK(strstr(w.buf, "must be integers") != NULL);
	ts_jw_free(&w);
	store_close(&s);
}

static void
test_book_sample(void)
{
	struct books_conf bc = { .nbins = 4, .bin_bps = 5, .levels = 1 };
	struct books *b = books_new(&bc);
	struct store s;
	struct ts_jval v;
	char err[512], *out;
	const char *snap = "{\"type\":\"snapshot\",\"bids\":[[100.00,1],[99.97,2],[99.90,0.5],[90,3]],"
	    "\"asks\":[[100.01,0.25],[100.30,1]],\"ts\":5000}";
	const char *delta = "{\"type\":\"delta\",\"bids\":[[99.97,0]],\"asks\":[],\"ts\":6000}";

	CHECK_INT(store_open(&s, path, 0, err, sizeof err), 0);
	ts_json_parse(snap, strlen(snap), &v, NULL);
	CHECK_INT(books_apply(b, "kraken", "ETH-USD", &v), 0);
	CHECK_INT(books_sample(b, &s, NULL, 0), 1);
	CHECK_INT(books_sample(b, &s, NULL, 0), 0); /* unchanged: no new sample */
	ts_json_parse(delta, strlen(delta), &v, NULL);
	CHECK_INT(books_apply(b, "kraken", "ETH-USD", &v), 0);
	CHECK_INT(books_sample(b, &s, NULL, 0), 1);
	CHECK_INT(store_commit(&s), 0);
	out = query(&s, "book/kraken/ETH-USD", 0, INT64_MAX, 0, STORE_JSON);
	/* mid 100.005; bids: 100.00 at 0.5 bps, 99.97 at 3.5, 99.90 at 10.5,
	 * 90 far out (outer bin); asks: 100.01 at 0.5, 100.30 at 29.5 (outer) */
	CHECK_STR(out,
	    "{\"ex\":\"kraken\",\"sym\":\"ETH-USD\",\"ts\":5000,\"bid\":100.00,\"bid_qty\":1,\"ask\":100.01,\"ask_qty\":0.25,\"spread\":0.01,\"mid\":100.005,\"bin_bps\":5,\"bid_bins\":[3,0,0.5,3],\"ask_bins\":[0.25,0,0,1],\"levels\":{\"bids\":[[100.00,1]],\"asks\":[[100.01,0.25]]}}\n"
	    "{\"ex\":\"kraken\",\"sym\":\"ETH-USD\",\"ts\":6000,\"bid\":100.00,\"bid_qty\":1,\"ask\":100.01,\"ask_qty\":0.25,\"spread\":0.01,\"mid\":100.005,\"bin_bps\":5,\"bid_bins\":[1,0,0.5,3],\"ask_bins\":[0.25,0,0,1],\"levels\":{\"bids\":[[100.00,1]],\"asks\":[[100.01,0.25]]}}\n");
	free(out);
	/* a reset stops sampling; deltas before the next snapshot are ignored */
	PARSE("{\"type\":\"reset\",\"reason\":\"gap\"}");
	CHECK_INT(books_apply(b, "kraken", "ETH-USD", &v), 0);
	ts_json_parse(delta, strlen(delta), &v, NULL);
	CHECK_INT(books_apply(b, "kraken", "ETH-USD", &v), 0);
	CHECK_INT(books_sample(b, &s, NULL, 0), 0);
	PARSE("{\"type\":\"delta\",\"bids\":[[\"x\",1]]}");
	CHECK_INT(books_apply(b, "kraken", "ETH-USD", &v), -1);
	books_free(&b);
	CHECK(b == NULL);
	store_close(&s);
}

static void
test_retention_and_times(void)
{
	struct store_retention r;
	int64_t t;

	store_retention_default(&r);
	CHECK_INT(r.candles, -1);
	CHECK_INT(store_retention_set(&r, "trades=7d"), 0);
	CHECK_INT(r.trades, 7 * 86400 * TS_US_PER_SEC);
	CHECK_INT(store_retention_set(&r, "candles=forever"), 0);
	CHECK_INT(store_retention_set(&r, "book-thin-every=10s"), 0);
	CHECK_INT(r.book_thin_every, 10 * TS_US_PER_SEC);
	CHECK_INT(store_retention_set(&r, "trades"), -1);
	CHECK_INT(store_retention_set(&r, "quotes=1d"), -1);
	CHECK_INT(store_retention_set(&r, "trades=-1d"), -1);
	CHECK_INT(store_parse_time("now", 5000000, &t), 0);
	CHECK_INT(t, 5000000);
	CHECK_INT(store_parse_time("-1s", 5000000, &t), 0);
	CHECK_INT(t, 4000000);
	CHECK_INT(store_parse_time("1700000000000000", 0, &t), 0);
	CHECK_INT(t, 1700000000000000);
	CHECK_INT(store_parse_time("2023-11-14T22:13:20Z", 0, &t), 0);
	CHECK_INT(t, 1700000000000000);
	CHECK_INT(store_parse_time("yesterday", 0, &t), -1);
}

static void
test_prune(void)
{
	struct store s;
	struct store_retention r;
	uint64_t n;
	char err[512], *out;

	CHECK_INT(store_open(&s, path, 0, err, sizeof err), 0);
	store_retention_default(&r);
	r.book = -1;
	r.book_thin_after = -1;
	r.trades = 2500; /* now 4000: keeps ts >= 1500 */
	CHECK_INT(store_prune(&s, &r, 4000, &n), 0);
	CHECK_INT(n, 1);
	out = query(&s, "trades/binance/BTC-USDT", 0, INT64_MAX, 0, STORE_CSV);
	CHECK(!strstr(out, ",1000,") && strstr(out, ",2000,") && strstr(out, ",3000,"));
	free(out);
	store_close(&s);
}

static void
test_runs_and_gaps(void)
{
	struct store s;
	char err[512], *buf = NULL;
	size_t n = 0;
	FILE *f;

	CHECK_INT(store_open(&s, path, 0, err, sizeof err), 0);
	CHECK_INT(store_run_start(&s, 1000000), 0);
	store_close(&s); /* no store_run_stop: as if killed */
	CHECK_INT(store_open(&s, path, 0, err, sizeof err), 0);
	CHECK_INT(store_run_start(&s, 9000000), 0);
	CHECK_INT(store_run_stop(&s, 9500000), 0);
	f = open_memstream(&buf, &n);
	CHECK_INT(store_print_gaps(&s, f), 0);
	fclose(f);
	CHECK(buf && strstr(buf, "crash\t1970-01-01T00:00:01.000000Z\t1970-01-01T00:00:09.000000Z\t*"));
	free(buf);
	store_close(&s);
}

/* A full disk (here: a page limit): the failing rows are reported, and what
 * the counters say was stored is what the database holds. */
static void
test_full_database(void)
{
	struct store s;
	char err[512], p2[300], id[32], *out;
	int failed = 0;
	long rows = 0;

	snprintf(p2, sizeof p2, "%s/full.db", dir);
	CHECK_INT(store_open(&s, p2, 0, err, sizeof err), 0);
	sqlite3_exec(s.db, "PRAGMA max_page_count = 60", NULL, NULL, NULL);
	for (int i = 0; i < 20000 && !failed; i++) {
		snprintf(id, sizeof id, "%d", 1000000 + i);
		add_trade_ret(&s, id, "1.5", "2", 1000 + i, &failed);
		if (i % 1000 == 999 && store_commit(&s) < 0)
			failed = 1;
	}
	CHECK(failed);
	store_commit(&s);
	CHECK_INT(s.in_txn, 0);
	out = query(&s, "trades/binance/BTC-USDT", 0, INT64_MAX, 0, STORE_CSV);
	for (char *q = out; (q = strchr(q, '\n')); q++)
		rows++;
	CHECK_INT(rows - 1, (long)(s.st.trades - s.st.lost));
	CHECK(s.st.trades > 0);
	free(out);
	store_close(&s);
}

static void
test_history_endpoint(void)
{
	struct ts_bus_ep ep;
	char buf[300], err[256];

	CHECK_INT(ts_bus_resolve("/run/x/bus", &ep, err, sizeof err), 0);
	CHECK_INT(store_history_endpoint(&ep, buf, sizeof buf), 0);
	CHECK_STR(buf, "ipc:///run/x/bus/history");
	CHECK_INT(ts_bus_resolve("tcp://127.0.0.1:5550", &ep, err, sizeof err), 0);
	CHECK_INT(store_history_endpoint(&ep, buf, sizeof buf), 0);
	CHECK_STR(buf, "tcp://127.0.0.1:5553");
}

int
main(void)
{
	if (!mkdtemp(dir))
		return 111;
	snprintf(path, sizeof path, "%s/store.db", dir);
	RUN(test_parse_trade);
	RUN(test_scan_trade);
	RUN(test_parse_candle);
	RUN(test_trades_roundtrip_and_dedup);
	RUN(test_trade_queue);
	RUN(test_candles_upsert_and_history);
	RUN(test_book_sample);
	RUN(test_retention_and_times);
	RUN(test_prune);
	RUN(test_runs_and_gaps);
	RUN(test_full_database);
	RUN(test_history_endpoint);
	{
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# cannot remove %s\n", dir);
	}
	return DONE();
}
