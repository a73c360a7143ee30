/* test_okx: ts-feed's OKX adapter: the documented checksums, the seqId
 * chain of the docs' example (heartbeat, reset), the REST bootstrap, sizes
 * in base or quote units, trades, and every book message of the real 2022
 * recording (legacy checksum, no seqId) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/ts-feed/ex/okx.h"
#include "book.h"
#include "json.h"
#include "log.h"
#include "feed_fake.h"
#include "t.h"

/* A message received now (feed_fake's msg receives at 1970). */
static void
recv_msg(const char *s)
{
	feed_message(&F, s, strlen(s), 1700000000000000);
}

static int
sent_has(const char *needle)
{
	for (int i = 0; i < nsent; i++)
		if (strstr(sent[i], needle))
			return 1;
	return 0;
}

static void
level(struct ts_book *b, enum ts_side side, const char *px, const char *qty)
{
	struct ts_dec p, q;

	ts_dec_parse_str(px, &p);
	ts_dec_parse_str(qty, &q);
	ts_book_set(b, side, p, q);
}

/* OKX's documented examples: "3366.1:7:3366.8:9:3366:6:3368:8" and, with
 * one bid against three asks (the longer side's rest appended),
 * "3366.1:7:3366.8:9:3368:8:3372:8". */
static void
test_checksum_vectors(void)
{
	struct ts_book b = { 0 };

	level(&b, TS_BID, "3366.1", "7");
	level(&b, TS_BID, "3366", "6");
	level(&b, TS_ASK, "3366.8", "9");
	level(&b, TS_ASK, "3368", "8");
	CHECK_INT(okx_checksum(&b), -1881014294);
	ts_book_clear(&b);
	level(&b, TS_BID, "3366.1", "7");
	level(&b, TS_ASK, "3366.8", "9");
	level(&b, TS_ASK, "3368", "8");
	level(&b, TS_ASK, "3372", "8");
	CHECK_INT(okx_checksum(&b), 831078360);
	/* beyond 25 levels nothing counts */
	{
		int32_t before = okx_checksum(&b);
		char px[32];
		for (int i = 0; i < 30; i++) {
			snprintf(px, sizeof px, "%d", 3000 - i);
			level(&b, TS_BID, px, "1");
		}
		before = okx_checksum(&b);
		level(&b, TS_BID, "2000", "5");
		CHECK_INT(okx_checksum(&b), before);
		level(&b, TS_BID, "2999", "5"); /* the 3rd bid */
		CHECK(okx_checksum(&b) != before);
	}
	ts_book_free(&b);
}

static void
test_canonical(void)
{
	char c[TS_SYM_MAX];

	CHECK_INT(okx_canonical("BTC-USDT", c, sizeof c), 0);
	CHECK_STR(c, "BTC-USDT");
	CHECK_INT(okx_canonical("BTC-USDT-SWAP", c, sizeof c), 0);
	CHECK_STR(c, "BTC-USDT-PERP");
	CHECK_INT(okx_canonical("BTC-USD-SWAP", c, sizeof c), 0);
	CHECK_STR(c, "BTC-USD-PERP");
	CHECK_INT(okx_canonical("BTC-USD-220527", c, sizeof c), 0);
	CHECK_STR(c, "BTC-USD-220527");
	CHECK_INT(okx_canonical("BTC-USD-220527-30000-C", c, sizeof c), -1);
	CHECK_INT(okx_canonical("BTCUSDT", c, sizeof c), -1);
}

static const char *INSTRUMENTS[] = {
	"{\"code\":\"0\",\"data\":[{\"instId\":\"BTC-USDT\",\"instType\":\"SPOT\","
	"\"baseCcy\":\"BTC\",\"quoteCcy\":\"USDT\",\"ctType\":\"\",\"ctVal\":\"\","
	"\"ctValCcy\":\"\",\"state\":\"live\"},{\"instId\":\"OLD-USDT\",\"instType\":\"SPOT\","
	"\"state\":\"suspend\"}],\"msg\":\"\"}",
	"{\"code\":\"0\",\"data\":[{\"instId\":\"BTC-USDT-SWAP\",\"instType\":\"SWAP\","
	"\"uly\":\"BTC-USDT\",\"ctType\":\"linear\",\"ctVal\":\"0.01\",\"ctMult\":\"1\","
	"\"ctValCcy\":\"BTC\",\"settleCcy\":\"USDT\",\"state\":\"live\"},"
	"{\"instId\":\"BTC-USD-SWAP\",\"instType\":\"SWAP\",\"uly\":\"BTC-USD\","
	"\"ctType\":\"inverse\",\"ctVal\":\"100\",\"ctMult\":\"1\",\"ctValCcy\":\"USD\","
	"\"settleCcy\":\"BTC\",\"state\":\"live\"},"
	"{\"instId\":\"ODD-USDT-SWAP\",\"instType\":\"SWAP\",\"ctType\":\"linear\","
	"\"ctVal\":\"1\",\"ctValCcy\":\"USDT\",\"state\":\"live\"}],\"msg\":\"\"}",
	"{\"code\":\"0\",\"data\":[{\"instId\":\"BTC-USD-220527\",\"instType\":\"FUTURES\","
	"\"uly\":\"BTC-USD\",\"ctType\":\"inverse\",\"ctVal\":\"100\",\"ctMult\":\"1\","
	"\"ctValCcy\":\"USD\",\"settleCcy\":\"BTC\",\"state\":\"live\"}],\"msg\":\"\"}",
};

static void
load_lists(void)
{
	for (size_t i = 0; i < sizeof INSTRUMENTS / sizeof *INSTRUMENTS; i++)
		CHECK_INT(F.ex->instruments(&F, INSTRUMENTS[i], strlen(INSTRUMENTS[i])), 0);
}

static void
test_instruments(void)
{
	const char *err = "{\"code\":\"50011\",\"msg\":\"Too Many Requests\",\"data\":[]}";

	setup("okx");
	CHECK(strstr(F.ex->instruments_path, "instType=SPOT ") != NULL);
	CHECK(strstr(F.ex->instruments_path, "instType=SWAP ") != NULL);
	CHECK(strstr(F.ex->instruments_path, "instType=FUTURES") != NULL);
	load_lists();
	CHECK_STR(feed_native(&F, "BTC-USDT"), "BTC-USDT");
	CHECK_STR(feed_native(&F, "BTC-USDT-PERP"), "BTC-USDT-SWAP");
	CHECK_STR(feed_native(&F, "BTC-USD-PERP"), "BTC-USD-SWAP");
	CHECK_STR(feed_native(&F, "BTC-USD-220527"), "BTC-USD-220527");
	CHECK(feed_native(&F, "OLD-USDT") == NULL);      /* not live */
	CHECK(feed_native(&F, "ODD-USDT-PERP") == NULL); /* sizes in no known unit */
	CHECK_INT(F.ex->instruments(&F, err, strlen(err)), -1);
	feed_free(&F);
	reset_io();
}

/* Sizes are never contracts: 3 contracts of BTC-USDT-SWAP (0.01 BTC each)
 * are 0.03 BTC; 2 of BTC-USD-SWAP (100 USD each) are 200 USD. */
static void
test_sizes_and_trades(void)
{
	setup("okx");
	load_lists();
	feed_want(&F, "BTC-USDT-PERP", CH_TRADES | CH_BOOK, 1);
	feed_want(&F, "BTC-USD-PERP", CH_TRADES, 1);
	feed_want(&F, "BTC-USDT", CH_TRADES, 1);
	feed_connected(&F);
	CHECK(sent_has("{\"op\":\"subscribe\",\"args\":[{\"channel\":\"trades\","
	    "\"instId\":\"BTC-USDT-SWAP\"},{\"channel\":\"books\",\"instId\":\"BTC-USDT-SWAP\"},"
	    "{\"channel\":\"trades\",\"instId\":\"BTC-USD-SWAP\"},{\"channel\":\"trades\","
	    "\"instId\":\"BTC-USDT\"}]}"));
	recv_msg("{\"event\":\"subscribe\",\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT-SWAP\"},"
	    "\"connId\":\"a4d3ae55\"}");
	recv_msg("{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT-SWAP\"},\"action\":\"snapshot\","
	    "\"data\":[{\"asks\":[[\"65000.1\",\"3\",\"0\",\"1\"]],\"bids\":[[\"65000\",\"250\",\"0\","
	    "\"4\"]],\"ts\":\"1700000000123\",\"checksum\":0,\"prevSeqId\":-1,\"seqId\":100}]}");
	CHECK_INT(feed_sym(&F, "BTC-USDT-PERP")->bstate, BOOK_LIVE);
	CHECK(strstr(last_on("book/okx/BTC-USDT-PERP"),
	    "\"bids\":[[65000,2.50]],\"asks\":[[65000.1,0.03]],\"ts\":1700000000123000"));
	recv_msg("{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT-SWAP\"},\"data\":[{\"instId\":"
	    "\"BTC-USDT-SWAP\",\"tradeId\":\"500\",\"px\":\"65000.1\",\"sz\":\"3\",\"side\":\"buy\","
	    "\"ts\":\"1700000000200\",\"count\":\"1\"}]}");
	CHECK(strstr(last_on("trades/okx/BTC-USDT-PERP"), "{\"ex\":\"okx\",\"sym\":\"BTC-USDT-PERP\","
	    "\"id\":\"500\",\"px\":65000.1,\"qty\":0.03,\"side\":\"buy\",\"ts\":1700000000200000,"));
	recv_msg("{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USD-SWAP\"},\"data\":[{\"instId\":"
	    "\"BTC-USD-SWAP\",\"tradeId\":\"77\",\"px\":\"64999.5\",\"sz\":\"2\",\"side\":\"sell\","
	    "\"ts\":\"1700000000300\"}]}");
	CHECK(strstr(last_on("trades/okx/BTC-USD-PERP"), "\"px\":64999.5,\"qty\":200,\"side\":\"sell\""));
	recv_msg("{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":[{\"instId\":"
	    "\"BTC-USDT\",\"tradeId\":\"9\",\"px\":\"65000.2\",\"sz\":\"0.00100000\",\"side\":\"buy\","
	    "\"ts\":\"1700000000400\"}]}");
	CHECK(strstr(last_on("trades/okx/BTC-USDT"), "\"qty\":0.00100000,"));
	/* an aggregate of 3 fills (ids 501..503) follows 500 with no gap */
	recv_msg("{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT-SWAP\"},\"data\":[{\"instId\":"
	    "\"BTC-USDT-SWAP\",\"tradeId\":\"503\",\"px\":\"65000.1\",\"sz\":\"7\",\"side\":\"sell\","
	    "\"ts\":\"1700000000500\",\"count\":\"3\"}]}");
	CHECK_INT(count_on("trades/okx/BTC-USDT-PERP", NULL), 2);
	CHECK_INT(feed_sym(&F, "BTC-USDT-PERP")->gaps, 0);
	CHECK_INT(nreq, 0);
	CHECK_INT(F.malformed, 0);
	/* pong answers the keepalive */
	CHECK_STR(F.ex->ping_text, "ping");
	CHECK(F.ex->ping_us > 0 && F.ex->ping_us < 30000000);
	recv_msg("pong");
	CHECK_INT(F.malformed, 0);
	feed_free(&F);
	reset_io();
}

/* No duplicate across a reconnect; a gap is backfilled by id from
 * history-trades, before the first fill of the trade that showed it. */
static void
test_trades_reconnect_backfill(void)
{
	const char *t1 = "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":["
	    "{\"instId\":\"BTC-USDT\",\"tradeId\":\"10\",\"px\":\"1.5\",\"sz\":\"1\",\"side\":\"buy\","
	    "\"ts\":\"1700000000000\"},{\"instId\":\"BTC-USDT\",\"tradeId\":\"11\",\"px\":\"1.6\","
	    "\"sz\":\"2\",\"side\":\"sell\",\"ts\":\"1700000000001\"}]}";
	struct fsym *s;

	setup("okx");
	load_lists();
	feed_want(&F, "BTC-USDT", CH_TRADES, 1);
	feed_connected(&F);
	s = feed_sym(&F, "BTC-USDT");
	recv_msg(t1);
	feed_disconnected(&F, "test");
	feed_connected(&F);
	recv_msg(t1); /* sent again after the reconnect */
	CHECK_INT(count_on("trades/okx/BTC-USDT", NULL), 2);
	CHECK_INT(s->dups, 2);
	/* 12..15 missing: 16 is an aggregate of 16..18 */
	recv_msg("{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":[{\"instId\":"
	    "\"BTC-USDT\",\"tradeId\":\"18\",\"px\":\"1.7\",\"sz\":\"3\",\"side\":\"buy\","
	    "\"ts\":\"1700000000010\",\"count\":\"3\"}]}");
	CHECK_INT(nreq, 1);
	CHECK_INT(reqs[0].kind, REST_BACKFILL);
	CHECK_STR(reqs[0].path, "/api/v5/market/history-trades?instId=BTC-USDT&type=1&after=16"
	    "&limit=100");
	CHECK_INT(count_on("trades/okx/BTC-USDT", NULL), 2); /* held */
	{
		const char *body = "{\"code\":\"0\",\"msg\":\"\",\"data\":["
		    "{\"instId\":\"BTC-USDT\",\"side\":\"sell\",\"sz\":\"1\",\"px\":\"1.65\","
		    "\"tradeId\":\"15\",\"ts\":\"1700000000009\"},"
		    "{\"instId\":\"BTC-USDT\",\"side\":\"buy\",\"sz\":\"1\",\"px\":\"1.64\","
		    "\"tradeId\":\"14\",\"ts\":\"1700000000008\"},"
		    "{\"instId\":\"BTC-USDT\",\"side\":\"buy\",\"sz\":\"1\",\"px\":\"1.63\","
		    "\"tradeId\":\"13\",\"ts\":\"1700000000007\"},"
		    "{\"instId\":\"BTC-USDT\",\"side\":\"buy\",\"sz\":\"1\",\"px\":\"1.62\","
		    "\"tradeId\":\"12\",\"ts\":\"1700000000006\"}]}";
		F.ex->on_rest(&F, reqs[0].s, REST_BACKFILL, 200, body, strlen(body));
	}
	CHECK_INT(count_on("trades/okx/BTC-USDT", NULL), 7);
	CHECK_INT(s->backfilled, 4);
	CHECK_INT(s->missed, 0);
	CHECK(strstr(last_on("trades/okx/BTC-USDT"), "\"id\":\"18\",\"px\":1.7,\"qty\":3,"));
	/* ids in order */
	{
		int64_t prev = 0;
		int ok = 1;
		for (size_t i = 0; i < nout; i++) {
			struct ts_jval v;
			int64_t id;
			if (strcmp(outs[i].topic, "trades/okx/BTC-USDT"))
				continue;
			ts_json_parse(outs[i].json, strlen(outs[i].json), &v, NULL);
			ts_json_get_i64(&v, "id", &id);
			ok = ok && id > prev;
			prev = id;
		}
		CHECK(ok);
	}
	feed_free(&F);
	reset_io();
}

static char *
book_msg(const char *inst, const char *action, long long prev, long long seq,
    const char *bids, const char *asks, long long checksum)
{
	static char buf[2048];

	snprintf(buf, sizeof buf, "{\"arg\":{\"channel\":\"books\",\"instId\":\"%s\"},"
	    "\"action\":\"%s\",\"data\":[{\"asks\":[%s],\"bids\":[%s],\"ts\":\"1700000001000\","
	    "\"checksum\":%lld,\"prevSeqId\":%lld,\"seqId\":%lld}]}", inst, action, asks, bids,
	    checksum, prev, seq);
	return buf;
}

/* The docs' example chain: snapshot 10, update 10->15, heartbeat 15->15,
 * reset after maintenance 15->3, update 3->5; then a gap resyncs that
 * symbol alone, from REST, without a new subscription. */
static void
test_sequence_chain(void)
{
	struct fsym *s, *other;
	size_t subs;

	setup("okx");
	load_lists();
	feed_want(&F, "BTC-USDT", CH_BOOK, 1);
	feed_want(&F, "BTC-USD-220527", CH_BOOK, 1);
	feed_connected(&F);
	s = feed_sym(&F, "BTC-USDT");
	other = feed_sym(&F, "BTC-USD-220527");
	recv_msg(book_msg("BTC-USD-220527", "snapshot", -1, 1, "[\"30000\",\"5\",\"0\",\"1\"]",
	    "[\"30001\",\"5\",\"0\",\"1\"]", 0));
	recv_msg(book_msg("BTC-USDT", "snapshot", -1, 10, "[\"100\",\"1\",\"0\",\"1\"]",
	    "[\"101\",\"1\",\"0\",\"1\"]", 0));
	CHECK_INT(s->bstate, BOOK_LIVE);
	recv_msg(book_msg("BTC-USDT", "update", 10, 15, "[\"100\",\"2\",\"0\",\"1\"]", "", 0));
	recv_msg(book_msg("BTC-USDT", "update", 15, 15, "", "", 0));
	recv_msg(book_msg("BTC-USDT", "update", 15, 3, "[\"99\",\"4\",\"0\",\"1\"]", "", 0));
	recv_msg(book_msg("BTC-USDT", "update", 3, 5, "", "[\"101\",\"0\",\"0\",\"0\"],"
	    "[\"102\",\"7\",\"0\",\"1\"]", 0));
	CHECK_INT(s->bstate, BOOK_LIVE);
	CHECK_INT(s->resyncs, 0);
	CHECK_INT(F.seq_gaps, 0);
	CHECK_INT(count_on("book/okx/BTC-USDT", "\"type\":\"delta\""), 3); /* not the heartbeat */
	CHECK(strstr(last_on("book/okx/BTC-USDT"), "\"bids\":[],\"asks\":[[101,0],[102,7]]"));
	CHECK(replay_equals(s));
	subs = nsent;
	/* 5 -> 9 is a gap: a reset, a REST snapshot, nothing sent */
	recv_msg(book_msg("BTC-USDT", "update", 7, 9, "[\"98\",\"1\",\"0\",\"1\"]", "", 0));
	CHECK_INT(s->bstate, BOOK_SYNCING);
	CHECK_INT(s->resyncs, 1);
	CHECK_INT(F.seq_gaps, 1);
	CHECK_INT(count_on("book/okx/BTC-USDT", "\"type\":\"reset\""), 1);
	CHECK_INT(nreq, 1);
	CHECK_INT(reqs[0].kind, REST_SNAPSHOT);
	CHECK_STR(reqs[0].path, "/api/v5/market/books?instId=BTC-USDT&sz=400");
	CHECK_INT(nsent, subs);
	CHECK_INT(other->bstate, BOOK_LIVE);
	CHECK_INT(other->resyncs, 0);
	/* meanwhile: 9->11 (before the snapshot), 11->12 (after it) */
	recv_msg(book_msg("BTC-USDT", "update", 9, 11, "[\"97\",\"1\",\"0\",\"1\"]", "", 0));
	recv_msg(book_msg("BTC-USDT", "update", 11, 12, "[\"96\",\"1\",\"0\",\"1\"]", "", 0));
	{
		const char *body = "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"asks\":[[\"101\","
		    "\"2\",\"0\",\"1\"]],\"bids\":[[\"100\",\"3\",\"0\",\"1\"],[\"97\",\"1\",\"0\","
		    "\"1\"]],\"ts\":\"1700000002000\",\"seqId\":11}]}";
		F.ex->on_rest(&F, reqs[0].s, REST_SNAPSHOT, 200, body, strlen(body));
	}
	CHECK_INT(s->bstate, BOOK_LIVE);
	CHECK_INT(s->book_id, 12);
	CHECK(strstr(last_on("book/okx/BTC-USDT"),
	    "\"type\":\"snapshot\",\"bids\":[[100,3],[97,1],[96,1]],\"asks\":[[101,2]]"));
	recv_msg(book_msg("BTC-USDT", "update", 12, 13, "", "[\"101\",\"1\",\"0\",\"1\"]", 0));
	CHECK(strstr(last_on("book/okx/BTC-USDT"), "\"type\":\"delta\""));
	CHECK_INT(s->resyncs, 1);
	feed_free(&F);
	reset_io();
}

/* OKX's 2026 notice: no snapshot on subscribing and checksum 0. Updates
 * are buffered, the REST snapshot comes, the ones it covers are dropped and
 * the first applied straddles it. */
static void
test_no_snapshot(void)
{
	struct fsym *s;

	setup("okx");
	load_lists();
	feed_want(&F, "BTC-USDT-PERP", CH_BOOK, 1);
	feed_connected(&F);
	s = feed_sym(&F, "BTC-USDT-PERP");
	recv_msg(book_msg("BTC-USDT-SWAP", "update", 200, 205, "[\"50\",\"1\",\"0\",\"1\"]", "", 0));
	CHECK_INT(nreq, 1);
	CHECK_STR(reqs[0].path, "/api/v5/market/books?instId=BTC-USDT-SWAP&sz=400");
	recv_msg(book_msg("BTC-USDT-SWAP", "update", 205, 210, "[\"49\",\"1\",\"0\",\"1\"]", "", 0));
	recv_msg(book_msg("BTC-USDT-SWAP", "update", 210, 215, "[\"48\",\"1\",\"0\",\"1\"]", "", 0));
	CHECK_INT(nreq, 1); /* one request */
	CHECK_INT(count_on("book/okx/BTC-USDT-PERP", NULL), 0);
	{
		const char *body = "{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"asks\":[[\"51\","
		    "\"10\",\"0\",\"1\"]],\"bids\":[[\"50\",\"1\",\"0\",\"1\"],[\"49\",\"1\",\"0\","
		    "\"1\"]],\"ts\":\"1700000002000\",\"seqId\":212}]}";
		F.ex->on_rest(&F, reqs[0].s, REST_SNAPSHOT, 200, body, strlen(body));
	}
	CHECK_INT(s->bstate, BOOK_LIVE);
	CHECK_INT(s->book_id, 215);
	CHECK(strstr(last_on("book/okx/BTC-USDT-PERP"),
	    "\"type\":\"snapshot\",\"bids\":[[50,0.01],[49,0.01],[48,0.01]],\"asks\":[[51,0.10]]"));
	CHECK_INT(s->resyncs, 0);
	feed_free(&F);
	reset_io();
}

/* A non-zero checksum that disagrees resyncs that symbol (a 2022-style
 * stream without seqId: by subscribing its books again). */
static void
test_checksum_mismatch(void)
{
	struct fsym *s;
	char good[2048];
	struct ts_book b = { 0 };
	int32_t sum;

	setup("okx");
	load_lists();
	feed_want(&F, "BTC-USDT", CH_BOOK, 1);
	feed_connected(&F);
	s = feed_sym(&F, "BTC-USDT");
	level(&b, TS_BID, "100", "1");
	level(&b, TS_ASK, "101", "2");
	sum = okx_checksum(&b);
	ts_book_free(&b);
	snprintf(good, sizeof good, "{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},"
	    "\"action\":\"snapshot\",\"data\":[{\"asks\":[[\"101\",\"2\",\"0\",\"1\"]],\"bids\":"
	    "[[\"100\",\"1\",\"0\",\"1\"]],\"ts\":\"1700000000000\",\"checksum\":%d}]}", (int)sum);
	recv_msg(good);
	CHECK_INT(s->bstate, BOOK_LIVE);
	reset_io();
	recv_msg("{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},\"action\":\"update\","
	    "\"data\":[{\"asks\":[],\"bids\":[[\"100\",\"3\",\"0\",\"1\"]],\"ts\":\"1700000000100\","
	    "\"checksum\":12345}]}");
	CHECK_INT(s->bstate, BOOK_SYNCING);
	CHECK_INT(s->resyncs, 1);
	CHECK_INT(count_on("book/okx/BTC-USDT", "\"type\":\"delta\""), 0);
	CHECK_INT(count_on("book/okx/BTC-USDT", "\"type\":\"reset\""), 1);
	CHECK(strstr(last_on("status/feed/okx"), "\"event\":\"checksum_mismatch\"") ||
	    count_on("status/feed/okx", "checksum_mismatch") == 1);
	CHECK(sent_has("{\"op\":\"unsubscribe\",\"args\":[{\"channel\":\"books\","
	    "\"instId\":\"BTC-USDT\"}]}"));
	CHECK(sent_has("{\"op\":\"subscribe\",\"args\":[{\"channel\":\"books\","
	    "\"instId\":\"BTC-USDT\"}]}"));
	recv_msg(good); /* the new snapshot */
	CHECK_INT(s->bstate, BOOK_LIVE);
	CHECK_INT(F.malformed, 0);
	feed_free(&F);
	reset_io();
}

/* ---- the shared recording ---- */

/* An independent rebuild of one instrument's book from the recording:
 * sizes times the contract value, with no code of the adapter. */
static void
rebuild(struct rec *r, size_t n, const char *inst, const char *ct, struct ts_book *b,
    size_t *sums)
{
	struct ts_dec ctv;

	ts_dec_parse_str(ct, &ctv);
	for (size_t i = 0; i < n; i++) {
		struct ts_jval v, arg, id, action, data, d, side, lv, px, sz;
		struct ts_jiter it, it2, it3;
		if (strcmp(r[i].t, "recv") || ts_json_parse(r[i].data, r[i].n, &v, NULL) < 0 ||
		    ts_json_get(&v, "arg", &arg) || ts_json_get(&arg, "instId", &id) ||
		    !ts_json_str_eq(&id, inst) || ts_json_get(&arg, "channel", &px) ||
		    !ts_json_str_eq(&px, "books") || ts_json_get(&v, "action", &action) ||
		    ts_json_get(&v, "data", &data))
			continue;
		if (ts_json_str_eq(&action, "snapshot"))
			ts_book_clear(b);
		ts_json_iter(&it, &data);
		while (ts_json_next(&it, NULL, &d)) {
			int64_t sum;
			if (ts_json_get_i64(&d, "checksum", &sum) == 0 && sum != 0)
				++*sums;
			for (int k = 0; k < 2; k++) {
				if (ts_json_get(&d, k ? "asks" : "bids", &side))
					continue;
				ts_json_iter(&it2, &side);
				while (ts_json_next(&it2, NULL, &lv)) {
					struct ts_dec dp, ds, q;
					ts_json_iter(&it3, &lv);
					ts_json_next(&it3, NULL, &px);
					ts_json_next(&it3, NULL, &sz);
					ts_json_dec(&px, &dp);
					ts_json_dec(&sz, &ds);
					ts_dec_mul(ds, ctv, &q);
					ts_book_set(b, k ? TS_ASK : TS_BID, dp, q);
				}
			}
		}
	}
}

/* The 2022 recording: BTC-USDT spot, the inverse swap UNI-USD-SWAP (10 USD
 * a contract) and the inverse future BTC-USD-220527 (100 USD), with their
 * REST lists. Its books carry the legacy checksum and no seqId, so the
 * chain is covered by test_sequence_chain and test_no_snapshot above, and
 * here every checksum (290) verifies: no resync, no gap, no malformed
 * message; the books equal an independent rebuild and a consumer's. */
static void
test_recording(void)
{
	char path[600];
	size_t n, sums = 0, ntrades = 0;
	struct rec *r;
	static const struct { const char *canon, *inst, *ct; } m[] = {
		{ "BTC-USDT", "BTC-USDT", "1" },
		{ "UNI-USD-PERP", "UNI-USD-SWAP", "10" },
		{ "BTC-USD-220527", "BTC-USD-220527", "100" },
	};

	r = load_recording(shared_recording("OKX.jsonl.zst", path, sizeof path), 1, &n);
	if (!r || n < 100) {
		printf("# cannot read the recording OKX.jsonl.zst\n");
		CHECK(0);
		return;
	}
	setup("okx");
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].t, "http") && strstr(r[i].url, "/api/v5/public/instruments?"))
			CHECK_INT(F.ex->instruments(&F, r[i].data, r[i].n), 0);
	for (size_t k = 0; k < 3; k++) {
		CHECK_STR(feed_native(&F, m[k].canon), m[k].inst);
		CHECK_INT(feed_want(&F, m[k].canon, CH_TRADES | CH_BOOK, 1), 0);
	}
	feed_connected(&F);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].t, "recv"))
			feed_message(&F, r[i].data, r[i].n, (int64_t)(r[i].ts * 1e6));
	CHECK_INT(F.malformed, 0);
	CHECK_INT(F.resyncs, 0);
	CHECK_INT(F.seq_gaps, 0);
	CHECK_INT(nreconnect, 0);
	/* the 28 ticker messages, nothing else */
	CHECK_INT(F.ignored, 28);
	for (size_t k = 0; k < 3; k++) {
		struct fsym *s = feed_sym(&F, m[k].canon);
		struct ts_book b = { 0 };
		rebuild(r, n, m[k].inst, m[k].ct, &b, &sums);
		CHECK_INT(s->bstate, BOOK_LIVE);
		CHECK(s->book.n[0] > 50 && s->book.n[1] > 50);
		CHECK(ts_book_equal(&b, &s->book));
		CHECK(replay_equals(s));
		CHECK_INT(count_on(s->t_book, "\"type\":\"snapshot\""), 1);
		CHECK_INT(count_on(s->t_book, "\"type\":\"reset\""), 0);
		ntrades += s->trades;
		CHECK_INT(s->dups, 0);
		printf("# %s: %llu trades, %llu gaps, %llu missed, %zu bids, %zu asks\n", m[k].canon,
		    (unsigned long long)s->trades, (unsigned long long)s->gaps,
		    (unsigned long long)s->missed, s->book.n[0], s->book.n[1]);
		ts_book_free(&b);
	}
	CHECK_INT(sums, 290);
	CHECK_INT(count_on("book/okx/BTC-USDT", NULL), 98);
	/* trades: taker side, µs, exact digits, sizes in quote units */
	CHECK_INT(ntrades, F.trades);
	CHECK(ntrades >= 70);
	CHECK(count_on("trades/okx/UNI-USD-PERP", "\"id\":\"12883020\",\"px\":5.123,\"qty\":1000,"
	    "\"side\":\"sell\",\"ts\":1652459215150000,") == 1);
	CHECK(count_on("trades/okx/BTC-USD-220527", "\"id\":\"7852\",\"px\":30229.6,\"qty\":3000,"
	    "\"side\":\"buy\",\"ts\":1652459234354000,") == 1);
	/* every checksum verified: one flipped digit is caught */
	{
		struct fsym *s = feed_sym(&F, "BTC-USDT");
		uint64_t before = s->resyncs;
		const char *bad = "{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},"
		    "\"action\":\"update\",\"data\":[{\"asks\":[],\"bids\":[],\"ts\":\"1652459300000\","
		    "\"checksum\":1}]}";
		recv_msg(bad);
		CHECK_INT(s->resyncs, before + 1);
	}
	feed_free(&F);
	reset_io();
	free_recording(r, n);
}

int
main(void)
{
	ts_log_init("test_okx");
	RUN(test_checksum_vectors);
	RUN(test_canonical);
	RUN(test_instruments);
	RUN(test_sizes_and_trades);
	RUN(test_trades_reconnect_backfill);
	RUN(test_sequence_chain);
	RUN(test_no_snapshot);
	RUN(test_checksum_mismatch);
	RUN(test_recording);
	return DONE();
}
