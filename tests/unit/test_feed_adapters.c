/* test_feed_adapters: ts-feed's core and its Coinbase and Binance adapters on
 * documented example messages and on the real recordings */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/ts-feed/ex.h"
#include "book.h"
#include "json.h"
#include "log.h"
#include "t.h"
#include "feed_fake.h"

static void
load_instruments(const char *file)
{
	char path[512];
	size_t n;
	char *body;

	snprintf(path, sizeof path, "%s/tests/data/feed/%s", top(), file);
	body = slurp(path, &n);
	CHECK(body != NULL);
	if (body)
		CHECK_INT(F.ex->instruments(&F, body, n), 0);
	free(body);
}

static void
test_instruments(void)
{
	setup("binance");
	load_instruments("binance-exchangeinfo.json");
	CHECK_STR(feed_native(&F, "BTC-USDT"), "BTCUSDT");
	CHECK_STR(feed_native(&F, "NKN-USDT"), "NKNUSDT");
	CHECK(feed_native(&F, "FOO-BAR") == NULL);
	CHECK_INT(feed_want(&F, "FOO-BAR", CH_TRADES, 1), -1);
	CHECK(last_on("status/feed/binance") != NULL);
	CHECK(strstr(last_on("status/feed/binance"), "\"event\":\"unknown_symbol\""));
	CHECK(strstr(last_on("status/feed/binance"), "\"detail\":\"FOO-BAR\""));
	CHECK_INT(feed_want(&F, "BTC-USDT", CH_TRADES, 1), 0);
	CHECK(feed_sym_native(&F, "BTCUSDT", 7) == feed_sym(&F, "BTC-USDT"));
	feed_free(&F);

	setup("coinbase");
	load_instruments("coinbase-products.json");
	CHECK_STR(feed_native(&F, "BTC-USD"), "BTC-USD");
	CHECK_STR(feed_native(&F, "ETH-USD"), "ETH-USD");
	CHECK(feed_native(&F, "BTC-USDT") == NULL);
	feed_free(&F);
}

/* Coinbase's documented shapes: snapshot, update, trades (maker side), gaps. */
static void
test_coinbase_examples(void)
{
	struct fsym *s;

	setup("coinbase");
	load_instruments("coinbase-products.json");
	feed_want(&F, "BTC-USD", CH_TRADES | CH_BOOK, 1);
	feed_connected(&F);
	CHECK_INT(nsent, 3);
	CHECK_STR(sent[0], "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\"],\"channel\":\"heartbeats\"}");
	CHECK_STR(sent[1], "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\"],\"channel\":\"market_trades\"}");
	CHECK_STR(sent[2], "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\"],\"channel\":\"level2\"}");
	s = feed_sym(&F, "BTC-USD");
	CHECK_INT(s->bstate, BOOK_SYNCING);

	/* an update before the snapshot is ignored */
	msg("{\"channel\":\"l2_data\",\"client_id\":\"\",\"timestamp\":\"2023-02-09T20:32:50.714964855Z\",\"sequence_num\":0,\"events\":[{\"type\":\"update\",\"product_id\":\"BTC-USD\",\"updates\":[{\"side\":\"bid\",\"event_time\":\"1970-01-01T00:00:00Z\",\"price_level\":\"21921.73\",\"new_quantity\":\"0.06317902\"}]}]}");
	CHECK_INT(count_on("book/coinbase/BTC-USD", NULL), 0);
	msg("{\"channel\":\"l2_data\",\"client_id\":\"\",\"timestamp\":\"2023-02-09T20:32:50.714964855Z\",\"sequence_num\":1,\"events\":[{\"type\":\"snapshot\",\"product_id\":\"BTC-USD\",\"updates\":["
	    "{\"side\":\"bid\",\"event_time\":\"1970-01-01T00:00:00Z\",\"price_level\":\"21921.73\",\"new_quantity\":\"0.06317902\"},"
	    "{\"side\":\"bid\",\"event_time\":\"1970-01-01T00:00:00Z\",\"price_level\":\"21921.30\",\"new_quantity\":\"0.02\"},"
	    "{\"side\":\"offer\",\"event_time\":\"1970-01-01T00:00:00Z\",\"price_level\":\"21921.74\",\"new_quantity\":\"1.5\"}]}]}");
	CHECK_INT(s->bstate, BOOK_LIVE);
	CHECK_STR(last_on("book/coinbase/BTC-USD"),
	    "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"type\":\"snapshot\",\"bids\":[[21921.73,0.06317902],[21921.30,0.02]],"
	    "\"asks\":[[21921.74,1.5]],\"ts\":1675974770714964,\"rt\":1000,\"seq\":1}");
	msg("{\"channel\":\"l2_data\",\"client_id\":\"\",\"timestamp\":\"2023-02-09T20:32:51Z\",\"sequence_num\":2,\"events\":[{\"type\":\"update\",\"product_id\":\"BTC-USD\",\"updates\":["
	    "{\"side\":\"offer\",\"event_time\":\"2023-02-09T20:32:50.714964855Z\",\"price_level\":\"21921.74\",\"new_quantity\":\"0\"},"
	    "{\"side\":\"offer\",\"event_time\":\"2023-02-09T20:32:50.714964855Z\",\"price_level\":\"21930\",\"new_quantity\":\"0.1\"},"
	    "{\"side\":\"bid\",\"event_time\":\"2023-02-09T20:32:50.714964855Z\",\"price_level\":\"1.00\",\"new_quantity\":\"0\"}]}]}");
	CHECK_STR(last_on("book/coinbase/BTC-USD"),
	    "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"type\":\"delta\",\"bids\":[],"
	    "\"asks\":[[21921.74,0],[21930,0.1]],\"ts\":1675974771000000,\"rt\":1000,\"seq\":2}");

	/* trades: the snapshot comes newest first; side is the maker's */
	msg("{\"channel\":\"market_trades\",\"client_id\":\"\",\"timestamp\":\"2023-02-09T20:19:35.39625135Z\",\"sequence_num\":3,\"events\":[{\"type\":\"snapshot\",\"trades\":["
	    "{\"trade_id\":\"101\",\"product_id\":\"BTC-USD\",\"price\":\"21921.74\",\"size\":\"0.00050000\",\"side\":\"SELL\",\"time\":\"2023-02-09T20:19:35.401Z\"},"
	    "{\"trade_id\":\"100\",\"product_id\":\"BTC-USD\",\"price\":\"21921.73\",\"size\":\"0.001\",\"side\":\"BUY\",\"time\":\"2023-02-09T20:19:35.400Z\"}]}]}");
	CHECK_INT(count_on("trades/coinbase/BTC-USD", NULL), 2);
	CHECK_STR(outs[nout - 2].json, "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"id\":\"100\",\"px\":21921.73,\"qty\":0.001,"
	    "\"side\":\"sell\",\"ts\":1675973975400000,\"rt\":1000,\"seq\":1}");
	CHECK_STR(outs[nout - 1].json, "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"id\":\"101\",\"px\":21921.74,\"qty\":0.00050000,"
	    "\"side\":\"buy\",\"ts\":1675973975401000,\"rt\":1000,\"seq\":2}");
	/* the same trade again (a reconnect's snapshot) is dropped */
	msg("{\"channel\":\"market_trades\",\"timestamp\":\"2023-02-09T20:19:36Z\",\"sequence_num\":4,\"events\":[{\"type\":\"update\",\"trades\":["
	    "{\"trade_id\":\"101\",\"product_id\":\"BTC-USD\",\"price\":\"21921.74\",\"size\":\"0.00050000\",\"side\":\"SELL\",\"time\":\"2023-02-09T20:19:35.401Z\"}]}]}");
	CHECK_INT(count_on("trades/coinbase/BTC-USD", NULL), 2);
	CHECK_INT(s->dups, 1);
	/* a repeated sequence_num is ignored, not applied twice */
	msg("{\"channel\":\"heartbeats\",\"timestamp\":\"2023-02-09T20:19:36Z\",\"sequence_num\":4,\"events\":[{\"current_time\":\"x\",\"heartbeat_counter\":1}]}");
	CHECK_INT(F.dup_msgs, 1);
	/* malformed JSON: counted, nothing else changes */
	msg("{\"channel\":\"l2_data\",");
	CHECK_INT(F.malformed, 1);
	CHECK_INT(s->bstate, BOOK_LIVE);
	/* a gap: the book is reset and the connection renewed */
	msg("{\"channel\":\"heartbeats\",\"timestamp\":\"2023-02-09T20:19:36Z\",\"sequence_num\":6,\"events\":[{\"current_time\":\"x\",\"heartbeat_counter\":2}]}");
	CHECK_INT(F.seq_gaps, 1);
	CHECK(nreconnect >= 1);
	CHECK_INT(s->bstate, BOOK_SYNCING);
	CHECK(strstr(last_on("book/coinbase/BTC-USD"), "\"type\":\"reset\""));
	CHECK(strstr(last_on("book/coinbase/BTC-USD"), "\"seq\":3"));
	feed_free(&F);
}

/* A crossed book is out of sync: reset, never published as a book, and
 * resynced alone by renewing its product's level2 subscription; the other
 * product's book goes on. */
#define CB_L2(seq, type, pid, ups) \
	"{\"channel\":\"l2_data\",\"timestamp\":\"2023-02-09T20:32:50Z\",\"sequence_num\":" #seq \
	",\"events\":[{\"type\":\"" type "\",\"product_id\":\"" pid "\",\"updates\":[" ups "]}]}"
#define CB_LV(side, px, q) \
	"{\"side\":\"" side "\",\"event_time\":\"x\",\"price_level\":\"" px "\",\"new_quantity\":\"" q "\"}"

static void
test_crossed(void)
{
	struct fsym *s, *o;

	setup("coinbase");
	load_instruments("coinbase-products.json");
	feed_want(&F, "ETH-USD", CH_BOOK, 1);
	feed_want(&F, "BTC-USD", CH_BOOK, 1);
	feed_connected(&F);
	s = feed_sym(&F, "ETH-USD");
	o = feed_sym(&F, "BTC-USD");
	msg(CB_L2(0, "snapshot", "ETH-USD", CB_LV("bid", "100", "1") "," CB_LV("offer", "101", "1")));
	msg(CB_L2(1, "snapshot", "BTC-USD", CB_LV("bid", "200", "1") "," CB_LV("offer", "201", "1")));
	CHECK_INT(s->bstate, BOOK_LIVE);
	CHECK_INT(o->bstate, BOOK_LIVE);
	nreconnect = 0;
	nsent = 0;
	msg(CB_L2(2, "update", "ETH-USD", CB_LV("bid", "101.5", "1")));
	CHECK_INT(s->bstate, BOOK_SYNCING);
	CHECK_INT(nreconnect, 0);
	CHECK(strstr(last_on("book/coinbase/ETH-USD"), "\"type\":\"reset\",\"reason\":\"crossed\""));
	CHECK_INT(count_on("book/coinbase/ETH-USD", "\"type\":\"delta\""), 0);
	/* only ETH-USD's level2 is renewed */
	CHECK_INT(nsent, 2);
	CHECK_STR(sent[0], "{\"type\":\"unsubscribe\",\"product_ids\":[\"ETH-USD\"],\"channel\":\"level2\"}");
	CHECK_STR(sent[1], "{\"type\":\"subscribe\",\"product_ids\":[\"ETH-USD\"],\"channel\":\"level2\"}");
	/* the other book is untouched and keeps going */
	CHECK_INT(o->bstate, BOOK_LIVE);
	CHECK_INT(count_on("book/coinbase/BTC-USD", "\"type\":\"reset\""), 0);
	msg(CB_L2(3, "update", "BTC-USD", CB_LV("offer", "202", "2")));
	CHECK(strstr(last_on("book/coinbase/BTC-USD"), "\"type\":\"delta\",\"bids\":[],\"asks\":[[202,2]]"));
	/* an update of ETH-USD before its new snapshot is ignored */
	msg(CB_L2(4, "update", "ETH-USD", CB_LV("bid", "99", "1")));
	CHECK_INT(s->bstate, BOOK_SYNCING);
	CHECK_INT(count_on("book/coinbase/ETH-USD", "\"type\":\"delta\""), 0);
	/* its new snapshot brings it back */
	msg(CB_L2(5, "snapshot", "ETH-USD", CB_LV("bid", "100", "2") "," CB_LV("offer", "101", "1")));
	CHECK_INT(s->bstate, BOOK_LIVE);
	CHECK(strstr(last_on("book/coinbase/ETH-USD"), "\"type\":\"snapshot\",\"bids\":[[100,2]],\"asks\":[[101,1]]"));
	/* a malformed update of one product resyncs that product alone */
	nsent = 0;
	msg(CB_L2(6, "update", "ETH-USD", CB_LV("bid", "100", "-1")));
	CHECK_INT(F.malformed, 1);
	CHECK(strstr(last_on("book/coinbase/ETH-USD"), "\"type\":\"reset\",\"reason\":\"malformed update\""));
	CHECK_INT(nsent, 2);
	CHECK(strstr(sent[0], "unsubscribe") && strstr(sent[0], "\"ETH-USD\"]"));
	CHECK_INT(o->bstate, BOOK_LIVE);
	CHECK_INT(nreconnect, 0);
	/* snapshots that keep coming crossed: the connection is renewed */
	msg(CB_L2(7, "snapshot", "ETH-USD", CB_LV("bid", "102", "1") "," CB_LV("offer", "101", "1")));
	msg(CB_L2(8, "snapshot", "ETH-USD", CB_LV("bid", "102", "1") "," CB_LV("offer", "101", "1")));
	CHECK_INT(nreconnect, 0);
	msg(CB_L2(9, "snapshot", "ETH-USD", CB_LV("bid", "102", "1") "," CB_LV("offer", "101", "1")));
	CHECK_INT(nreconnect, 1);
	CHECK_INT(count_on("book/coinbase/BTC-USD", "\"type\":\"reset\""), 0);
	feed_free(&F);
}

/* A sequence_num gap cannot be blamed on a product: every live book is
 * reset and the connection renewed, with no per-product resubscription. */
static void
test_gap_resyncs_all(void)
{
	setup("coinbase");
	load_instruments("coinbase-products.json");
	feed_want(&F, "ETH-USD", CH_BOOK, 1);
	feed_want(&F, "BTC-USD", CH_BOOK, 1);
	feed_connected(&F);
	msg(CB_L2(0, "snapshot", "ETH-USD", CB_LV("bid", "100", "1") "," CB_LV("offer", "101", "1")));
	msg(CB_L2(1, "snapshot", "BTC-USD", CB_LV("bid", "200", "1") "," CB_LV("offer", "201", "1")));
	nsent = nreconnect = 0;
	msg(CB_L2(3, "update", "BTC-USD", CB_LV("offer", "202", "2")));
	CHECK_INT(F.seq_gaps, 1);
	CHECK_INT(nreconnect, 1);
	CHECK_INT(nsent, 0);
	CHECK(strstr(last_on("book/coinbase/ETH-USD"), "\"type\":\"reset\",\"reason\":\"sequence gap\""));
	CHECK(strstr(last_on("book/coinbase/BTC-USD"), "\"type\":\"reset\",\"reason\":\"sequence gap\""));
	CHECK_INT(feed_sym(&F, "ETH-USD")->bstate, BOOK_SYNCING);
	CHECK_INT(feed_sym(&F, "BTC-USD")->bstate, BOOK_SYNCING);
	feed_free(&F);
}

/* The whole Coinbase recording: contiguous sequence_num, so zero gaps,
 * zero resyncs, both books live, every trade once, and the books that a
 * consumer rebuilds from what was published equal the feed's own. */
static void
test_coinbase_recording(void)
{
	char path[600];
	size_t n;
	struct rec *r = load_recording(shared_recording("COINBASE.jsonl.zst", path, sizeof path),
	    1, &n);
	struct fsym *btc, *eth;
	uint64_t ntrades_uniq = 0;

	if (!r || n < 100) {
		printf("# skipped: cannot read %s\n", path);
		free_recording(r, r ? n : 0);
		return;
	}
	setup("coinbase");
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].t, "http"))
			CHECK_INT(F.ex->instruments(&F, r[i].data, r[i].n), 0);
	feed_want(&F, "BTC-USD", CH_TRADES | CH_BOOK, 1);
	feed_want(&F, "ETH-USD", CH_TRADES | CH_BOOK, 1);
	feed_connected(&F);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].t, "recv"))
			feed_message(&F, r[i].data, r[i].n, (int64_t)(r[i].ts * 1e6));
	btc = feed_sym(&F, "BTC-USD");
	eth = feed_sym(&F, "ETH-USD");
	CHECK_INT(F.msgs, 1030);
	CHECK_INT(F.malformed, 0);
	CHECK_INT(F.seq_gaps, 0);
	CHECK_INT(F.resyncs, 0);
	CHECK_INT(nreconnect, 0);
	CHECK_INT(btc->bstate, BOOK_LIVE);
	CHECK_INT(eth->bstate, BOOK_LIVE);
	CHECK(btc->book.n[0] > 100 && btc->book.n[1] > 100);
	CHECK(!ts_book_crossed(&btc->book) && !ts_book_crossed(&eth->book));
	CHECK(replay_equals(btc));
	CHECK(replay_equals(eth));
	CHECK_INT(count_on("book/coinbase/BTC-USD", "\"type\":\"snapshot\""), 1);
	CHECK_INT(count_on("book/coinbase/BTC-USD", "\"type\":\"reset\""), 0);
	/* trades: ids strictly increasing per symbol, none missing */
	for (int k = 0; k < 2; k++) {
		struct fsym *s = k ? eth : btc;
		int64_t prev = -1;
		int order_ok = 1;
		for (size_t i = 0; i < nout; i++) {
			struct ts_jval v;
			int64_t id;
			if (strcmp(outs[i].topic, s->t_trades))
				continue;
			ts_json_parse(outs[i].json, strlen(outs[i].json), &v, NULL);
			ts_json_get_i64(&v, "id", &id);
			if (prev >= 0 && id != prev + 1)
				order_ok = 0;
			prev = id;
			ntrades_uniq++;
		}
		CHECK(order_ok);
		CHECK_INT(s->missed, 0);
	}
	CHECK(ntrades_uniq > 50);
	CHECK_INT(ntrades_uniq, F.trades);
	feed_free(&F);
	free_recording(r, n);
}

/* Play Binance records: answer the feed's snapshot requests with the
 * recorded REST answer for that symbol when its time comes. */
static void
play_binance(struct rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(r[i].t, "recv")) {
			feed_message(&F, r[i].data, r[i].n, (int64_t)(r[i].ts * 1e6));
		} else if (!strcmp(r[i].t, "http") && strstr(r[i].url, "/api/v3/depth?")) {
			for (int k = 0; k < nreq; k++) {
				const char *q = strstr(r[i].url, "/api/v3/depth?");
				if (reqs[k].kind == REST_SNAPSHOT && !strcmp(reqs[k].path, q)) {
					struct req rq = reqs[k];
					reqs[k] = reqs[--nreq];
					F.ex->on_rest(&F, rq.s, rq.kind, 200, r[i].data, r[i].n);
					break;
				}
			}
		}
	}
}

static void
test_binance_fixture(void)
{
	char path[600];
	size_t n;
	struct rec *r;
	struct fsym *s;

	setup("binance");
	load_instruments("binance-exchangeinfo.json");
	feed_want(&F, "NKN-USDT", CH_BOOK, 1);
	{
		char p[256];
		F.ex->ws_path(&F, p, sizeof p);
		CHECK_STR(p, "/stream?streams=nknusdt@depth@100ms");
	}
	feed_connected(&F);
	CHECK_INT(nsent, 0); /* the URL carries the streams */
	CHECK_INT(nreq, 1);
	CHECK_STR(reqs[0].path, "/api/v3/depth?symbol=NKNUSDT&limit=1000");
	snprintf(path, sizeof path, "%s/tests/data/feed/binance-nknusdt.jsonl", top());
	r = load_recording(path, 0, &n);
	CHECK(r != NULL);
	if (!r)
		return;
	play_binance(r, n);
	s = feed_sym(&F, "NKN-USDT");
	CHECK_INT(s->bstate, BOOK_LIVE);
	CHECK_INT(F.resyncs, 0);
	CHECK_INT(F.malformed, 0);
	CHECK(replay_equals(s));
	CHECK_INT(count_on("book/binance/NKN-USDT", "\"type\":\"snapshot\""), 1);
	CHECK(count_on("book/binance/NKN-USDT", "\"type\":\"delta\"") > 40);
	/* prices keep Binance's own digits */
	CHECK(strstr(last_on("book/binance/NKN-USDT"), ".00000000]") != NULL);
	free_recording(r, n);
	feed_free(&F);
}

/* The whole Binance recording: four symbols, each synced by the documented
 * U/u procedure against its recorded snapshot. */
static void
test_binance_recording(void)
{
	char path[600];
	size_t n;
	struct rec *r = load_recording(shared_recording("BINANCE.jsonl.zst", path, sizeof path),
	    1, &n);
	static const char *syms[] = { "NKN-USDT", "BLZ-ETH", "LRC-BTC", "RUNE-EUR" };

	if (!r || n < 100) {
		printf("# skipped: cannot read %s\n", path);
		free_recording(r, r ? n : 0);
		return;
	}
	setup("binance");
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].t, "http") && strstr(r[i].url, "exchangeInfo"))
			CHECK_INT(F.ex->instruments(&F, r[i].data, r[i].n), 0);
	for (int k = 0; k < 4; k++)
		feed_want(&F, syms[k], CH_TRADES | CH_BOOK, 1);
	feed_connected(&F);
	CHECK_INT(nreq, 4);
	play_binance(r, n);
	CHECK_INT(F.malformed, 0);
	/* 84 bookTicker, 2 kline and 2 aggTrade frames: not used by default,
	 * and counted */
	CHECK_INT(F.ignored, 88);
	CHECK_INT(count_on("trades/binance/NKN-USDT", NULL), 0);
	CHECK_INT(F.resyncs, 0);
	for (int k = 0; k < 4; k++) {
		struct fsym *s = feed_sym(&F, syms[k]);
		/* RUNE-EUR's two updates predate its snapshot: it is live with
		 * nothing after; the others apply every update after theirs */
		CHECK_INT(s->bstate, BOOK_LIVE);
		CHECK(replay_equals(s));
		CHECK(!ts_book_crossed(&s->book));
	}
	free_recording(r, n);
	feed_free(&F);
}

/* The recording holds aggregated trades (the stream recorders keep):
 * with trades=agg they are the trades, ids from "a", side from "m". */
static void
test_binance_recording_agg(void)
{
	char path[600];
	const char *why = NULL;
	size_t n;
	struct rec *r = load_recording(shared_recording("BINANCE.jsonl.zst", path, sizeof path),
	    1, &n);

	if (!r || n < 100) {
		printf("# skipped: cannot read %s\n", path);
		free_recording(r, r ? n : 0);
		return;
	}
	setup("binance");
	CHECK_INT(F.ex->option(&F, "trades", "every", &why), -1);
	CHECK(why && strstr(why, "'agg'"));
	CHECK_INT(F.ex->option(&F, "depth", "5", &why), -1);
	CHECK_INT(F.ex->option(&F, "trades", "agg", &why), 0);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].t, "http") && strstr(r[i].url, "exchangeInfo"))
			CHECK_INT(F.ex->instruments(&F, r[i].data, r[i].n), 0);
	feed_want(&F, "NKN-USDT", CH_TRADES, 1);
	feed_want(&F, "LRC-BTC", CH_TRADES, 1);
	{
		char p[256];
		F.ex->ws_path(&F, p, sizeof p);
		CHECK(strstr(p, "nknusdt@aggTrade") && strstr(p, "lrcbtc@aggTrade"));
	}
	feed_connected(&F);
	play_binance(r, n);
	CHECK_INT(F.malformed, 0);
	CHECK_INT(F.ignored, 84 + 2 + 177); /* bookTicker, kline, depth unasked */
	CHECK_INT(count_on("trades/binance/NKN-USDT", NULL), 1);
	CHECK_INT(count_on("trades/binance/LRC-BTC", NULL), 1);
	CHECK(strstr(last_on("trades/binance/NKN-USDT"), "{\"ex\":\"binance\",\"sym\":\"NKN-USDT\","
	    "\"id\":\"15683430\",\"px\":0.35280000,\"qty\":58.00000000,\"side\":\"buy\","
	    "\"ts\":1633998523963000,\"rt\":"));
	CHECK(strstr(last_on("trades/binance/LRC-BTC"), "\"id\":\"9213679\",\"px\":0.00000638,"
	    "\"qty\":177.00000000,\"side\":\"buy\""));
	free_recording(r, n);
	feed_free(&F);
}

static const char *
trade_msg(char *buf, size_t n, int64_t id)
{
	snprintf(buf, n, "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1672515782136,"
	    "\"s\":\"BTCUSDT\",\"t\":%lld,\"p\":\"0.00100000\",\"q\":\"100.00000000\","
	    "\"T\":1672515782136,\"m\":%s,\"M\":true}}", (long long)id, id % 2 ? "true" : "false");
	return buf;
}

static void
test_binance_trades_backfill(void)
{
	char b[512];
	struct fsym *s;
	const char *hist = "[{\"id\":3,\"price\":\"0.00100000\",\"qty\":\"1.0\",\"quoteQty\":\"0.001\",\"time\":1672515782000,\"isBuyerMaker\":true,\"isBestMatch\":true},"
	    "{\"id\":4,\"price\":\"0.00100000\",\"qty\":\"2.0\",\"quoteQty\":\"0.002\",\"time\":1672515782001,\"isBuyerMaker\":false,\"isBestMatch\":true},"
	    "{\"id\":5,\"price\":\"0.00100000\",\"qty\":\"3.0\",\"quoteQty\":\"0.003\",\"time\":1672515782002,\"isBuyerMaker\":false,\"isBestMatch\":true}]";

	setup("binance");
	load_instruments("binance-exchangeinfo.json");
	feed_want(&F, "BTC-USDT", CH_TRADES, 1);
	feed_connected(&F);
	s = feed_sym(&F, "BTC-USDT");
	msg(trade_msg(b, sizeof b, 1));
	msg(trade_msg(b, sizeof b, 2));
	CHECK_STR(last_on("trades/binance/BTC-USDT"), "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"id\":\"2\","
	    "\"px\":0.00100000,\"qty\":100.00000000,\"side\":\"buy\",\"ts\":1672515782136000,\"rt\":1000,\"seq\":2}");
	msg(trade_msg(b, sizeof b, 2)); /* again */
	CHECK_INT(s->dups, 1);
	feed_disconnected(&F, "test");
	feed_connected(&F);
	/* trades 3-5 were missed: 6 is held while they are fetched */
	msg(trade_msg(b, sizeof b, 6));
	CHECK_INT(count_on("trades/binance/BTC-USDT", NULL), 2);
	CHECK_INT(nreq, 1);
	CHECK_STR(reqs[0].path, "/api/v3/historicalTrades?symbol=BTCUSDT&fromId=3&limit=3");
	msg(trade_msg(b, sizeof b, 7)); /* also held, in order */
	F.ex->on_rest(&F, s, REST_BACKFILL, 200, hist, strlen(hist));
	CHECK_INT(count_on("trades/binance/BTC-USDT", NULL), 7);
	{
		int k = 0;
		for (size_t i = 0; i < nout; i++) {
			char want[32];
			if (strcmp(outs[i].topic, "trades/binance/BTC-USDT"))
				continue;
			snprintf(want, sizeof want, "\"id\":\"%d\"", ++k);
			CHECK(strstr(outs[i].json, want) != NULL);
			if (k == 3) /* isBuyerMaker: the taker sold */
				CHECK(strstr(outs[i].json, "\"side\":\"sell\"") != NULL);
		}
		CHECK_INT(k, 7);
	}
	CHECK_INT(s->missed, 0);

	/* a backfill that cannot fill everything reports the gap */
	nreq = 0;
	msg(trade_msg(b, sizeof b, 10));
	CHECK_INT(nreq, 1);
	F.ex->on_rest(&F, s, REST_BACKFILL, 500, "", 0);
	CHECK_INT(s->missed, 2);
	CHECK(strstr(last_on("status/feed/binance"), "\"event\":\"trade_gap\""));
	CHECK(strstr(last_on("trades/binance/BTC-USDT"), "\"id\":\"10\""));
	feed_free(&F);
}

static const char *
depth_msg(char *buf, size_t n, int64_t U, int64_t u, const char *bids, const char *asks)
{
	snprintf(buf, n, "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1672515782136,"
	    "\"s\":\"BTCUSDT\",\"U\":%lld,\"u\":%lld,\"b\":%s,\"a\":%s}}", (long long)U, (long long)u,
	    bids, asks);
	return buf;
}

static void
test_binance_sync(void)
{
	char b[512];
	struct fsym *s;
	const char *old = "{\"lastUpdateId\":90,\"bids\":[[\"100.0\",\"1\"]],\"asks\":[[\"101.0\",\"1\"]]}";
	const char *snap = "{\"lastUpdateId\":105,\"bids\":[[\"100.0\",\"1\"],[\"99.5\",\"2\"]],\"asks\":[[\"101.0\",\"1\"]]}";

	setup("binance");
	load_instruments("binance-exchangeinfo.json");
	feed_want(&F, "BTC-USDT", CH_BOOK, 1);
	feed_connected(&F);
	s = feed_sym(&F, "BTC-USDT");
	CHECK_INT(nreq, 1);
	msg(depth_msg(b, sizeof b, 100, 104, "[[\"100.0\",\"5\"]]", "[]"));
	msg(depth_msg(b, sizeof b, 105, 107, "[[\"99.0\",\"3\"]]", "[]"));
	/* a snapshot older than the first buffered event: fetch again */
	nreq = 0;
	F.ex->on_rest(&F, s, REST_SNAPSHOT, 200, old, strlen(old));
	CHECK_INT(s->bstate, BOOK_SYNCING);
	CHECK_INT(nreq, 1);
	CHECK_INT(count_on("book/binance/BTC-USDT", NULL), 0);
	/* a good one: 100-104 dropped, 105-107 applied (U <= 106 <= u) */
	F.ex->on_rest(&F, s, REST_SNAPSHOT, 200, snap, strlen(snap));
	CHECK_INT(s->bstate, BOOK_LIVE);
	CHECK_INT(s->book_id, 107);
	/* (rt is the answer's arrival: compare the prefix) */
	CHECK(!strncmp(last_on("book/binance/BTC-USDT"), "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"type\":\"snapshot\","
	    "\"bids\":[[100.0,1],[99.5,2],[99.0,3]],\"asks\":[[101.0,1]],\"ts\":1672515782136000,\"rt\":", 120));
	/* repeated: ignored */
	msg(depth_msg(b, sizeof b, 105, 107, "[[\"99.0\",\"4\"]]", "[]"));
	CHECK_INT(count_on("book/binance/BTC-USDT", "delta"), 0);
	msg(depth_msg(b, sizeof b, 108, 108, "[]", "[[\"101.0\",\"0\"],[\"102.5\",\"0.5\"]]"));
	CHECK_STR(last_on("book/binance/BTC-USDT"), "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"type\":\"delta\",\"bids\":[],"
	    "\"asks\":[[101.0,0],[102.5,0.5]],\"ts\":1672515782136000,\"rt\":1000,\"seq\":2}");
	/* skipped 109: reset first, then a new snapshot is requested */
	nreq = 0;
	msg(depth_msg(b, sizeof b, 110, 111, "[]", "[]"));
	CHECK_INT(s->bstate, BOOK_SYNCING);
	CHECK(strstr(last_on("book/binance/BTC-USDT"), "\"type\":\"reset\""));
	CHECK_INT(nreq, 1);
	CHECK_INT(F.resyncs, 1);
	/* malformed frames are counted, never fatal */
	msg("{\"stream\":");
	msg("[1,2]");
	CHECK_INT(F.malformed, 2);
	/* serverShutdown: reconnect */
	msg("{\"e\":\"serverShutdown\",\"E\":1672515782136}");
	CHECK_INT(nreconnect, 1);
	/* SUBSCRIBE answers are fine */
	msg("{\"result\":null,\"id\":1}");
	CHECK_INT(F.malformed, 2);
	/* a channel opened while connected is a SUBSCRIBE */
	nsent = 0;
	feed_want(&F, "BTC-USDT", CH_TRADES, 1);
	CHECK_INT(nsent, 1);
	CHECK(strstr(sent[0], "\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\"]") != NULL);
	feed_want(&F, "BTC-USDT", CH_TRADES, 0);
	CHECK(strstr(sent[1], "\"method\":\"UNSUBSCRIBE\",\"params\":[\"btcusdt@trade\"]") != NULL);
	feed_free(&F);
}

/* Found by fuzz/fuzz_binance: times of a hostile or broken peer beyond
 * INT64_MAX/1000 ms overflowed when turned into µs (undefined behaviour);
 * they now read as unknown, so the receive time stands in. */
static void
test_binance_time_overflow(void)
{
	struct fsym *s;
	const char *big = "9223372036854775807";
	char b[512];

	setup("binance");
	load_instruments("binance-exchangeinfo.json");
	feed_want(&F, "BTC-USDT", CH_TRADES, 1);
	feed_connected(&F);
	s = feed_sym(&F, "BTC-USDT");
	snprintf(b, sizeof b, "{\"e\":\"trade\",\"E\":%s,\"s\":\"BTCUSDT\",\"t\":1,"
	    "\"p\":\"1.5\",\"q\":\"2\",\"T\":%s,\"m\":false}", big, big);
	msg(b);
	CHECK_INT(F.malformed, 0);
	CHECK_STR(last_on("trades/binance/BTC-USDT"), "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\","
	    "\"id\":\"1\",\"px\":1.5,\"qty\":2,\"side\":\"buy\",\"ts\":1000,\"rt\":1000,\"seq\":1}");
	/* a backfilled trade with such a time too */
	msg("{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":3,\"p\":\"1.5\",\"q\":\"2\",\"T\":1,\"m\":true}");
	CHECK(s->backfilling);
	{
		const char *hist = "[{\"id\":2,\"price\":\"1\",\"qty\":\"1\",\"time\":"
		    "9223372036854775807,\"isBuyerMaker\":true}]";
		F.ex->on_rest(&F, s, REST_BACKFILL, 200, hist, strlen(hist));
	}
	CHECK(count_on("trades/binance/BTC-USDT", "\"id\":\"2\"") == 1);
	CHECK(strstr(last_on("trades/binance/BTC-USDT"), "\"id\":\"3\",") != NULL);
	feed_free(&F);
	/* a depth update: its time falls back to the receive time */
	setup("binance");
	load_instruments("binance-exchangeinfo.json");
	feed_want(&F, "BTC-USDT", CH_BOOK, 1);
	feed_connected(&F);
	s = feed_sym(&F, "BTC-USDT");
	snprintf(b, sizeof b, "{\"e\":\"depthUpdate\",\"E\":%s,\"s\":\"BTCUSDT\",\"U\":5,"
	    "\"u\":6,\"b\":[[\"1\",\"1\"]],\"a\":[]}", big);
	msg(b);
	CHECK_INT(F.malformed, 0);
	{
		const char *snap = "{\"lastUpdateId\":4,\"bids\":[],\"asks\":[[\"2\",\"1\"]]}";
		F.ex->on_rest(&F, s, REST_SNAPSHOT, 200, snap, strlen(snap));
	}
	CHECK_INT(s->bstate, BOOK_LIVE);
	CHECK(strstr(last_on("book/binance/BTC-USDT"), "\"bids\":[[1,1]]") != NULL);
	feed_free(&F);
}

/* A trade stamped far after its receive time is malformed, never published
 * (issue 20: one trade stamped 2100 wedged ts-candle's market for good);
 * a clock a few seconds off, or one never set, is no reason to drop one. */
static void
test_trade_from_the_future(void)
{
	const int64_t rt = INT64_C(1767225600000000); /* 2026-01-01 */
	char b[512];

	setup("binance");
	load_instruments("binance-exchangeinfo.json");
	feed_want(&F, "BTC-USDT", CH_TRADES, 1);
	feed_connected(&F);
	snprintf(b, sizeof b, "{\"e\":\"trade\",\"E\":4102444800000,\"s\":\"BTCUSDT\","
	    "\"t\":1,\"p\":\"1.5\",\"q\":\"2\",\"T\":4102444800000,\"m\":false}");
	feed_message(&F, b, strlen(b), rt);
	CHECK_INT(F.malformed, 1);
	CHECK_INT(count_on("trades/binance/BTC-USDT", NULL), 0);
	/* 10 s ahead of the receive time: a clock off a little */
	snprintf(b, sizeof b, "{\"e\":\"trade\",\"E\":1767225610000,\"s\":\"BTCUSDT\","
	    "\"t\":2,\"p\":\"1.5\",\"q\":\"2\",\"T\":1767225610000,\"m\":false}");
	feed_message(&F, b, strlen(b), rt);
	CHECK_INT(F.malformed, 1);
	CHECK(strstr(last_on("trades/binance/BTC-USDT"), "\"id\":\"2\",") != NULL);
	/* a receive clock that was never set (1970) judges nothing */
	snprintf(b, sizeof b, "{\"e\":\"trade\",\"E\":4102444800000,\"s\":\"BTCUSDT\","
	    "\"t\":3,\"p\":\"1.5\",\"q\":\"2\",\"T\":4102444800000,\"m\":false}");
	feed_message(&F, b, strlen(b), 1000);
	CHECK_INT(F.malformed, 1);
	CHECK(strstr(last_on("trades/binance/BTC-USDT"), "\"id\":\"3\",") != NULL);
	feed_free(&F);
}

/* The one-pass readers: members in any order, unknown ones, a repeated
 * one (the first wins), and more members than the adapters record at once
 * (the slow path must give the same result). */
static void
test_member_walks(void)
{
	char b[4096], pad[2048];
	size_t k = 0;

	for (int i = 0; i < 40; i++)
		k += (size_t)snprintf(pad + k, sizeof pad - k, "\"x%d\":{\"y\":[%d]},", i, i);
	pad[k] = '\0';
	setup("binance");
	load_instruments("binance-exchangeinfo.json");
	feed_want(&F, "BTC-USDT", CH_TRADES, 1);
	feed_connected(&F);
	/* combined stream, the event's members in another order */
	msg("{\"data\":{\"m\":true,\"q\":\"2\",\"p\":\"1.5\",\"t\":1,\"s\":\"BTCUSDT\",\"e\":\"trade\",\"T\":7},"
	    "\"stream\":\"btcusdt@trade\"}");
	CHECK_STR(last_on("trades/binance/BTC-USDT"), "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\","
	    "\"id\":\"1\",\"px\":1.5,\"qty\":2,\"side\":\"sell\",\"ts\":7000,\"rt\":1000,\"seq\":1}");
	/* more than 32 members in all: the event is read from its text */
	snprintf(b, sizeof b, "{\"stream\":\"btcusdt@trade\",%s\"data\":{\"e\":\"trade\",\"s\":\"BTCUSDT\","
	    "\"t\":2,\"p\":\"1.6\",\"q\":\"3\",\"T\":8,\"m\":false}}", pad);
	msg(b);
	CHECK_STR(last_on("trades/binance/BTC-USDT"), "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\","
	    "\"id\":\"2\",\"px\":1.6,\"qty\":3,\"side\":\"buy\",\"ts\":8000,\"rt\":1000,\"seq\":2}");
	/* and a raw (not combined) event with as many */
	snprintf(b, sizeof b, "{%s\"e\":\"trade\",\"s\":\"BTCUSDT\",\"t\":3,\"p\":\"1.7\",\"q\":\"4\","
	    "\"T\":9,\"m\":false}", pad);
	msg(b);
	CHECK(strstr(last_on("trades/binance/BTC-USDT"), "\"id\":\"3\",\"px\":1.7,\"qty\":4,") != NULL);
	/* invalid JSON deep inside is still refused */
	msg("{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"s\":\"BTCUSDT\",\"t\":4,"
	    "\"p\":\"1.7\",\"q\":\"4\",\"T\":9,\"m\":false,\"z\":[1,]}}");
	CHECK_INT(F.malformed, 0 + 1);
	CHECK_INT(count_on("trades/binance/BTC-USDT", NULL), 3);
	feed_free(&F);

	setup("coinbase");
	load_instruments("coinbase-products.json");
	feed_want(&F, "BTC-USD", CH_TRADES | CH_BOOK, 1);
	feed_connected(&F);
	/* members reordered, unknown ones, a repeated price (the first wins) */
	msg("{\"events\":[{\"updates\":[{\"new_quantity\":\"1\",\"price_level\":\"10\",\"price_level\":\"99\","
	    "\"side\":\"bid\",\"extra\":{\"side\":\"offer\"}},{\"price_level\":\"11\",\"side\":\"offer\",\"new_quantity\":\"2\"}],"
	    "\"product_id\":\"BTC-USD\",\"type\":\"snapshot\"}],\"sequence_num\":0,\"channel\":\"l2_data\","
	    "\"timestamp\":\"2023-02-09T20:32:50Z\"}");
	CHECK_STR(last_on("book/coinbase/BTC-USD"), "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"type\":\"snapshot\","
	    "\"bids\":[[10,1]],\"asks\":[[11,2]],\"ts\":1675974770000000,\"rt\":1000,\"seq\":1}");
	/* an update lacking new_quantity is malformed */
	msg(CB_L2(1, "update", "BTC-USD", "{\"side\":\"bid\",\"price_level\":\"10\"}"));
	CHECK_INT(F.malformed, 1);
	/* more than 16 top-level members: looked up in the text */
	snprintf(b, sizeof b, "{%s\"channel\":\"market_trades\",\"sequence_num\":2,\"timestamp\":\"2023-02-09T20:32:50Z\","
	    "\"events\":[{\"type\":\"update\",\"trades\":[{\"time\":\"2023-02-09T20:19:35.400Z\",\"side\":\"BUY\","
	    "\"size\":\"0.5\",\"price\":\"100\",\"product_id\":\"BTC-USD\",\"trade_id\":\"7\",\"trade_id\":\"8\"}]}]}", pad);
	msg(b);
	CHECK_STR(last_on("trades/coinbase/BTC-USD"), "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"id\":\"7\","
	    "\"px\":100,\"qty\":0.5,\"side\":\"sell\",\"ts\":1675973975400000,\"rt\":1000,\"seq\":1}");
	CHECK_INT(F.malformed, 1);
	/* a trade without its time is malformed and not published */
	msg("{\"channel\":\"market_trades\",\"sequence_num\":3,\"events\":[{\"type\":\"update\",\"trades\":["
	    "{\"trade_id\":\"9\",\"product_id\":\"BTC-USD\",\"price\":\"1\",\"size\":\"1\",\"side\":\"BUY\"}]}]}");
	CHECK_INT(F.malformed, 2);
	CHECK_INT(count_on("trades/coinbase/BTC-USD", NULL), 1);
	feed_free(&F);
}

int
main(void)
{
	ts_log_init("test_feed_adapters");
	ts_log_set_level(TS_LOG_ERROR);
	RUN(test_instruments);
	RUN(test_coinbase_examples);
	RUN(test_crossed);
	RUN(test_gap_resyncs_all);
	RUN(test_coinbase_recording);
	RUN(test_binance_fixture);
	RUN(test_binance_recording);
	RUN(test_binance_recording_agg);
	RUN(test_binance_trades_backfill);
	RUN(test_binance_sync);
	RUN(test_trade_from_the_future);
	RUN(test_binance_time_overflow);
	RUN(test_member_walks);
	reset_io();
	free(outs);
	return DONE();
}
