/* kraken.c: ts-sim speaks Kraken spot: websocket v2 on "/v2" (book with CRC32 checksums, trade, heartbeat, ping), the /0/public REST */
#include <stdlib.h>
#include <string.h>

#include "../sim_ex.h"
#include "crc32.h"
#include "log.h"
#include "tm.h"

static struct sim_ex kraken;

/* The depths a book may be subscribed at, and the default. */
static const int kr_depths[] = { 10, 25, 100, 500, 1000 };
#define KR_DEPTHS 5
#define KR_DEFAULT_DEPTH 10

/* A connection's own state: each symbol's book depth (0: not subscribed). */
struct kr_conn {
	uint16_t depth[SIM_MAX_SYMS];
};

/* The update of the current event, one per depth a client has (a client
 * of depth 10 is sent less than one of 1000); len 0 with valid: nothing
 * of it lies within that depth. */
static struct {
	struct sim_buf b;
	int valid;
} upd[KR_DEPTHS];
static struct sim_buf trade_b, msg_b;
static int bad_checksums; /* the checksum fault: book messages still to spoil */
static uint64_t conn_ids;

/*
 * How the book moves, measured on KRAKEN.jsonl.zst in
 * ../shared/data/recordings/ (v1, 2021, ten pairs at depth 1000; distances
 * in the pairs' own ticks): one level a book message (4,269 updates, 2 at
 * most), 37.8% of them deleted, 14 ticks from the top at p50 and 3,302 at
 * p90, 10% inside the spread; the snapshots hold 60 to 850 levels a side.
 * The band levels are the recorded ones out to 1,000 ticks and four times
 * them further out, so a side reaches max_depth, past the 1000 levels a
 * client subscribes: updates push levels out of its depth (Kraken sends no
 * removal for those) as they do on Kraken's busy pairs.
 */
static const struct sim_profile kr_profile = {
	/* the trades' deletes come on top */
	.levels_mean = 1.0, .delete_share = 0.33,
	/* ten pairs this quiet traded 8 times in the recording: the usual mix */
	.trade_share = 0.10, .sweep_mean = 1.39,
	.max_depth = 1100,
	.nband = 18,
	.band = {
		{ 1, 0.188, 1 }, { 2, 0.071, 0.7 }, { 3, 0.048, 0.25 },
		{ 5, 0.060, 0.7 }, { 10, 0.078, 1.45 }, { 20, 0.104, 1.9 },
		{ 50, 0.069, 4.2 }, { 100, 0.065, 6.7 }, { 200, 0.056, 12.25 },
		{ 500, 0.080, 26.9 }, { 1000, 0.036, 30.6 }, { 2000, 0.024, 171 },
		{ 5000, 0.034, 243 }, { 10000, 0.034, 91 }, { 20000, 0.025, 125 },
		{ 50000, 0.017, 158 }, { 100000, 0.011, 97 }, { 1000000, 0.002, 168 },
	},
};

/* websocket v2 names pairs BASE/QUOTE with the usual asset names: BTC/USD. */
static void
kr_native(char *buf, size_t n, const char *base, const char *quote)
{
	snprintf(buf, n, "%s/%s", base, quote);
}

/* Sizes go to 1e-8. */
static int64_t
kr_lot(double px)
{
	(void)px;
	return 1;
}

/* REST's asset names: XBT for BTC, XDG for DOGE. */
static const char *
rest_asset(const char *a)
{
	return !strcmp(a, "BTC") ? "XBT" : !strcmp(a, "DOGE") ? "XDG" : a;
}

/* ---- messages ---- */

/* RFC 3339 with six fraction digits, as Kraken writes: …T07:49:37.708706Z */
static void
put_time(struct sim_buf *b, int64_t us)
{
	sim_put_time_ns(b, us);
	b->len -= 4; /* "000Z" */
	SIM_PUTS(b, "Z");
}

/* Prices at the pair's decimals and sizes at 8, trailing zeros kept: the
 * digits a float would lose. */
static void
put_level(struct sim_buf *b, const struct sim_sym *s, int64_t px, int64_t qty)
{
	SIM_PUTS(b, "{\"price\":");
	sim_put_fix(b, px, s->px_scale, s->px_scale);
	SIM_PUTS(b, ",\"qty\":");
	sim_put_fix(b, qty, s->qty_scale, s->qty_scale);
	SIM_PUTS(b, "}");
}

/* Kraken's checksum of the book as it stands: the CRC-32 of the ten best
 * asks, then bids, each price and size as the integer of its digits. */
static uint32_t
checksum(const struct sim_sym *s)
{
	char buf[2 * 10 * 2 * 20];
	size_t n = 0;

	for (int k = 0; k < 2; k++) {
		int side = k ? 0 : 1;
		for (int i = 0; i < 10 && i < s->n[side]; i++) {
			struct sim_buf t = { buf + n, 0, sizeof buf - n };
			sim_put_u64(&t, (uint64_t)s->lv[side][i].px);
			sim_put_u64(&t, (uint64_t)s->lv[side][i].qty);
			n += t.len;
		}
	}
	return ts_crc32(0, buf, n);
}

/* The end of a book message: checksum (spoilt by the fault), time. */
static void
book_tail(struct sim_buf *b, const struct sim_sym *s, int64_t ts_us, int bad)
{
	uint32_t c = checksum(s);

	SIM_PUTS(b, "],\"checksum\":");
	sim_put_u64(b, bad ? c ^ 0x5a5a5a5au : c);
	SIM_PUTS(b, ",\"timestamp\":\"");
	put_time(b, ts_us);
	SIM_PUTS(b, "\"}]}");
}

static void
book_snapshot(struct sim_buf *b, const struct sim_sym *s, int depth, int64_t now_us)
{
	b->len = 0;
	SIM_PUTS(b, "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"");
	sim_puts(b, s->native);
	for (int side = 0; side < 2; side++) {
		if (side)
			SIM_PUTS(b, "],\"asks\":[");
		else
			SIM_PUTS(b, "\",\"bids\":[");
		for (int i = 0; i < depth && i < s->n[side]; i++) {
			if (i)
				SIM_PUTS(b, ",");
			put_level(b, s, s->lv[side][i].px, s->lv[side][i].qty);
		}
	}
	book_tail(b, s, now_us, 0);
}

/* Is a change at px within the best `depth` levels of the side as the book
 * stands after it? (A removed level worse than the depth-th is one the
 * client has cut off itself, or never had.) */
static int
in_depth(const struct sim_sym *s, int side, int64_t px, int depth)
{
	int64_t last;

	if (s->n[side] < depth)
		return 1;
	last = s->lv[side][depth - 1].px;
	return side ? px <= last : px >= last;
}

/* The update of ev for a client of `depth`: its changes within that depth,
 * and for each level removed there, the level that has come into it from
 * below (as Kraken sends them). len 0 when nothing is left. */
static void
book_update(struct sim_buf *b, const struct sim_event *ev, int depth, int bad)
{
	const struct sim_sym *s = ev->s;
	int any = 0;

	b->len = 0;
	SIM_PUTS(b, "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"");
	sim_puts(b, s->native);
	for (int side = 0; side < 2; side++) {
		int first = 1, gone = 0;
		if (side)
			SIM_PUTS(b, "],\"asks\":[");
		else
			SIM_PUTS(b, "\",\"bids\":[");
		for (int i = 0; i < ev->nchg; i++) {
			const struct sim_chg *c = &ev->chg[i];
			if (c->side != side || !in_depth(s, side, c->px, depth))
				continue;
			if (!first)
				SIM_PUTS(b, ",");
			first = 0;
			put_level(b, s, c->px, c->qty);
			gone += c->qty == 0;
		}
		for (int i = depth - gone; gone && i < depth && i < s->n[side]; i++) {
			if (i < 0)
				continue;
			if (!first)
				SIM_PUTS(b, ",");
			first = 0;
			put_level(b, s, s->lv[side][i].px, s->lv[side][i].qty);
		}
		any |= !first;
	}
	if (!any) {
		b->len = 0;
		return;
	}
	book_tail(b, s, ev->ts_us, bad);
}

static void
put_trade(struct sim_buf *b, const struct sim_sym *s, const struct sim_trade *t)
{
	SIM_PUTS(b, "{\"symbol\":\"");
	sim_puts(b, s->native);
	if (t->taker_buy)
		SIM_PUTS(b, "\",\"side\":\"buy\",\"price\":");
	else
		SIM_PUTS(b, "\",\"side\":\"sell\",\"price\":");
	sim_put_fix(b, t->px, s->px_scale, s->px_scale);
	SIM_PUTS(b, ",\"qty\":");
	sim_put_fix(b, t->qty, s->qty_scale, s->qty_scale);
	SIM_PUTS(b, ",\"ord_type\":\"market\",\"trade_id\":");
	sim_put_u64(b, t->id);
	SIM_PUTS(b, ",\"timestamp\":\"");
	put_time(b, t->ts_us);
	SIM_PUTS(b, "\"}");
}

/* The last `count` trades of s, oldest first. */
static void
trades_snapshot(struct sim_buf *b, const struct sim_sym *s, int count)
{
	uint64_t from = s->next_trade_id;
	int n = 0;

	while (from > s->first_trade_id && n < count && sim_trade_get(s, from - 1))
		from--, n++;
	b->len = 0;
	SIM_PUTS(b, "{\"channel\":\"trade\",\"type\":\"snapshot\",\"data\":[");
	for (uint64_t id = from; id < s->next_trade_id; id++) {
		if (id > from)
			SIM_PUTS(b, ",");
		put_trade(b, s, sim_trade_get(s, id));
	}
	SIM_PUTS(b, "]}");
}

static int
depth_slot(int depth)
{
	for (int i = 0; i < KR_DEPTHS; i++)
		if (kr_depths[i] == depth)
			return i;
	return KR_DEPTHS - 1;
}

static void
kr_send_book(struct sim_conn *c, const struct sim_event *ev, int first, int copies)
{
	struct kr_conn *x = c->xd;
	int k = depth_slot(x->depth[ev->s->idx]);
	static int spoilt;

	if (first) {
		for (int i = 0; i < KR_DEPTHS; i++)
			upd[i].valid = 0;
		spoilt = 0;
	}
	if (!upd[k].valid) {
		book_update(&upd[k].b, ev, kr_depths[k], spoilt);
		upd[k].valid = 1;
		/* the checksum fault takes the first message that goes out */
		if (upd[k].b.len && !spoilt && bad_checksums > 0 && copies != SIM_COPIES_LOST) {
			bad_checksums--;
			spoilt = 1;
			for (int i = 0; i < KR_DEPTHS; i++)
				upd[i].valid = 0;
			book_update(&upd[k].b, ev, kr_depths[k], spoilt);
			upd[k].valid = 1;
			ts_info("kraken: a wrong checksum for %s", ev->s->sym);
		}
	}
	if (!upd[k].b.len)
		return;
	for (int i = 0; i < copies; i++)
		sim_send(c, upd[k].b.p, upd[k].b.len);
}

static void
kr_send_trades(struct sim_conn *c, const struct sim_event *ev, int first)
{
	if (first) {
		trade_b.len = 0;
		SIM_PUTS(&trade_b, "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[");
		for (int i = 0; i < ev->nfill; i++) {
			if (i)
				SIM_PUTS(&trade_b, ",");
			put_trade(&trade_b, ev->s, &ev->fill[i]);
		}
		SIM_PUTS(&trade_b, "]}");
	}
	sim_send(c, trade_b.p, trade_b.len);
}

/* Heartbeats go to a connection subscribed to anything, once a second. */
static void
kr_second(struct sim_conn *c, int64_t now_us, uint64_t tick, int first)
{
	static const char hb[] = "{\"channel\":\"heartbeat\"}";
	const struct sim_market *m = sim_the_market();

	(void)now_us, (void)tick, (void)first;
	for (int i = 0; i < m->nsym; i++)
		if (c->sub[i]) {
			sim_send(c, hb, sizeof hb - 1);
			return;
		}
}

/* ---- what a client sends ---- */

/* "time_in":…,"time_out":…(,"req_id":N)} closing an answer */
static void
answer_end(struct sim_buf *b, const struct ts_jval *req_id, int64_t now_us)
{
	SIM_PUTS(b, ",\"time_in\":\"");
	put_time(b, now_us);
	SIM_PUTS(b, "\",\"time_out\":\"");
	put_time(b, now_us);
	SIM_PUTS(b, "\"");
	if (req_id && req_id->type == TS_J_NUM) {
		SIM_PUTS(b, ",\"req_id\":");
		sim_put(b, req_id->p, req_id->n);
	}
	SIM_PUTS(b, "}");
}

static void
kr_error(struct sim_conn *c, const char *method, const char *symbol, const char *err,
    const struct ts_jval *req_id)
{
	msg_b.len = 0;
	SIM_PUTS(&msg_b, "{\"error\":\"");
	sim_puts(&msg_b, err);
	SIM_PUTS(&msg_b, "\",\"method\":\"");
	sim_puts(&msg_b, method);
	SIM_PUTS(&msg_b, "\",\"success\":false");
	if (symbol) {
		SIM_PUTS(&msg_b, ",\"symbol\":\"");
		sim_puts(&msg_b, symbol);
		SIM_PUTS(&msg_b, "\"");
	}
	answer_end(&msg_b, req_id, ts_now_us());
	sim_send(c, msg_b.p, msg_b.len);
}

/* One symbol of a subscribe or unsubscribe: the acknowledgement, then on
 * subscribe the snapshot when asked for. */
static void
sub_one(struct sim_conn *c, int on, int bit, struct sim_sym *s, int depth, int snapshot,
    const struct ts_jval *req_id, int64_t now)
{
	struct kr_conn *x = c->xd;
	const char *method = on ? "subscribe" : "unsubscribe";

	if (on && (c->sub[s->idx] & bit)) {
		kr_error(c, method, s->native, "Already subscribed", req_id);
		return;
	}
	if (!on && !(c->sub[s->idx] & bit)) {
		kr_error(c, method, s->native, "Subscription Not Found", req_id);
		return;
	}
	msg_b.len = 0;
	SIM_PUTS(&msg_b, "{\"method\":\"");
	sim_puts(&msg_b, method);
	SIM_PUTS(&msg_b, "\",\"result\":{\"channel\":\"");
	sim_puts(&msg_b, bit == SIM_SUB_BOOK ? "book" : "trade");
	SIM_PUTS(&msg_b, "\",");
	if (bit == SIM_SUB_BOOK) {
		SIM_PUTS(&msg_b, "\"depth\":");
		sim_put_i64(&msg_b, on ? depth : x->depth[s->idx]);
		SIM_PUTS(&msg_b, ",");
	}
	if (on)
		sim_puts(&msg_b, snapshot ? "\"snapshot\":true," : "\"snapshot\":false,");
	SIM_PUTS(&msg_b, "\"symbol\":\"");
	sim_puts(&msg_b, s->native);
	SIM_PUTS(&msg_b, "\"},\"success\":true");
	answer_end(&msg_b, req_id, now);
	sim_send(c, msg_b.p, msg_b.len);
	if (!on) {
		c->sub[s->idx] &= (uint8_t)~bit;
		if (bit == SIM_SUB_BOOK)
			x->depth[s->idx] = 0;
		return;
	}
	c->sub[s->idx] |= (uint8_t)bit;
	if (bit == SIM_SUB_BOOK)
		x->depth[s->idx] = (uint16_t)depth;
	if (!snapshot)
		return;
	if (bit == SIM_SUB_BOOK)
		book_snapshot(&msg_b, s, depth, now);
	else
		trades_snapshot(&msg_b, s, 50);
	sim_send(c, msg_b.p, msg_b.len);
}

/* {"method":"subscribe"|"unsubscribe","params":{"channel":"book"|"trade",
 * "symbol":[…],"depth":N,"snapshot":bool},"req_id":N} and
 * {"method":"ping","req_id":N}. */
static void
kr_receive(struct sim_conn *c, const char *in, size_t len)
{
	struct sim_market *m = sim_the_market();
	struct ts_jval obj, req_id = { 0 }, params, syms, v, snap;
	struct ts_jiter it;
	char method[32], chan[32];
	int on, bit, depth = KR_DEFAULT_DEPTH, snapshot = 1;
	int64_t now = ts_now_us(), d;

	if (ts_json_parse(in, len, &obj, NULL) < 0 || obj.type != TS_J_OBJ ||
	    ts_json_get_str(&obj, "method", method, sizeof method) < 0) {
		sim_bad_input("kraken client sent a message that is not a JSON object with a method");
		kr_error(c, "", NULL, "EGeneral:Invalid arguments", NULL);
		return;
	}
	ts_json_get(&obj, "req_id", &req_id);
	if (!strcmp(method, "ping")) {
		msg_b.len = 0;
		SIM_PUTS(&msg_b, "{\"method\":\"pong\"");
		answer_end(&msg_b, &req_id, now);
		sim_send(c, msg_b.p, msg_b.len);
		return;
	}
	on = !strcmp(method, "subscribe");
	if (!on && strcmp(method, "unsubscribe")) {
		sim_bad_input(NULL);
		kr_error(c, method, NULL, "Method not found", &req_id);
		return;
	}
	if (ts_json_get(&obj, "params", &params) < 0 ||
	    ts_json_get_str(&params, "channel", chan, sizeof chan) < 0) {
		sim_bad_input(NULL);
		kr_error(c, method, NULL, "EGeneral:Invalid arguments", &req_id);
		return;
	}
	if (!strcmp(chan, "book"))
		bit = SIM_SUB_BOOK;
	else if (!strcmp(chan, "trade"))
		bit = SIM_SUB_TRADE;
	else {
		sim_bad_input(NULL);
		kr_error(c, method, NULL, "EGeneral:Invalid arguments:channel", &req_id);
		return;
	}
	if (ts_json_get_i64(&params, "depth", &d) == 0) {
		int ok = 0;
		for (int i = 0; i < KR_DEPTHS; i++)
			ok |= d == kr_depths[i];
		if (!ok || bit != SIM_SUB_BOOK) {
			sim_bad_input(NULL);
			kr_error(c, method, NULL, "EGeneral:Invalid arguments:depth", &req_id);
			return;
		}
		depth = (int)d;
	}
	if (ts_json_get(&params, "snapshot", &snap) == 0 && ts_json_bool(&snap, &snapshot) < 0) {
		sim_bad_input(NULL);
		kr_error(c, method, NULL, "EGeneral:Invalid arguments:snapshot", &req_id);
		return;
	}
	if (ts_json_get(&params, "symbol", &syms) < 0 || syms.type != TS_J_ARR ||
	    !ts_json_len(&syms)) {
		sim_bad_input(NULL);
		kr_error(c, method, NULL, "EGeneral:Invalid arguments:symbol", &req_id);
		return;
	}
	ts_json_iter(&it, &syms);
	while (ts_json_next(&it, NULL, &v)) {
		char name[32], err[80];
		struct sim_sym *s;
		if (ts_json_str(&v, name, sizeof name) < 0 ||
		    !(s = sim_market_find(m, &kraken, name)) || strcmp(s->native, name)) {
			snprintf(err, sizeof err, "Currency pair not supported %s", name);
			kr_error(c, method, name, err, &req_id);
			continue;
		}
		sub_one(c, on, bit, s, depth, snapshot, &req_id, now);
	}
}

/* A new connection hears the system's status first. */
static int
kr_ws_open(struct sim_conn *c, const char *path, const char *query)
{
	(void)path, (void)query;
	msg_b.len = 0;
	SIM_PUTS(&msg_b, "{\"channel\":\"status\",\"data\":[{\"api_version\":\"v2\","
	    "\"connection_id\":");
	sim_put_u64(&msg_b, 14000000000000000000u + ++conn_ids);
	SIM_PUTS(&msg_b, ",\"system\":\"online\",\"version\":\"2.0.10\"}],\"type\":\"update\"}");
	sim_send(c, msg_b.p, msg_b.len);
	return 0;
}

static int
kr_ws_match(const char *path)
{
	return sim_path_match(path, "/v2");
}

/* ---- REST ---- */

static void
kr_rest_err(struct sim_resp *r, int status, const char *err)
{
	r->status = status;
	r->body.len = 0;
	SIM_PUTS(&r->body, "{\"error\":[\"");
	sim_puts(&r->body, err);
	SIM_PUTS(&r->body, "\"]}");
}

/* REST's name of a pair: XBTUSD. */
static void
rest_name(char *buf, size_t n, const struct sim_sym *s)
{
	snprintf(buf, n, "%s%s", rest_asset(s->base), rest_asset(s->quote));
}

/* The pair a query names (pair=XBTUSD, or BTC/USD), or NULL with the answer. */
static struct sim_sym *
kr_pair(struct sim_market *m, const char *query, struct sim_resp *r)
{
	char want[48], name[48];

	if (!sim_query_get(query, "pair", want, sizeof want) || !want[0]) {
		kr_rest_err(r, 200, "EGeneral:Invalid arguments");
		return NULL;
	}
	for (int i = 0; i < m->nsym; i++) {
		struct sim_sym *s = m->sym[i];
		if (s->ex != &kraken)
			continue;
		rest_name(name, sizeof name, s);
		if (!strcmp(name, want) || !strcmp(s->native, want))
			return s;
	}
	kr_rest_err(r, 200, "EQuery:Unknown asset pair");
	return NULL;
}

static void
kr_asset_pair(struct sim_buf *b, const struct sim_sym *s)
{
	char name[48];

	rest_name(name, sizeof name, s);
	SIM_PUTS(b, "\"");
	sim_puts(b, name);
	SIM_PUTS(b, "\":{\"altname\":\"");
	sim_puts(b, name);
	SIM_PUTS(b, "\",\"wsname\":\"");
	sim_puts(b, rest_asset(s->base));
	SIM_PUTS(b, "\\/");
	sim_puts(b, rest_asset(s->quote));
	SIM_PUTS(b, "\",\"aclass_base\":\"currency\",\"base\":\"");
	sim_puts(b, rest_asset(s->base));
	SIM_PUTS(b, "\",\"aclass_quote\":\"currency\",\"quote\":\"");
	sim_puts(b, rest_asset(s->quote));
	SIM_PUTS(b, "\",\"lot\":\"unit\",\"cost_decimals\":5,\"pair_decimals\":");
	sim_put_i64(b, s->px_scale);
	SIM_PUTS(b, ",\"lot_decimals\":");
	sim_put_i64(b, s->qty_scale);
	SIM_PUTS(b, ",\"lot_multiplier\":1,\"leverage_buy\":[],\"leverage_sell\":[],"
	    "\"fees\":[[0,0.26],[50000,0.24]],\"fees_maker\":[[0,0.16],[50000,0.14]],"
	    "\"fee_volume_currency\":\"ZUSD\",\"margin_call\":80,\"margin_stop\":40,"
	    "\"ordermin\":\"0.0001\",\"costmin\":\"0.5\",\"tick_size\":\"");
	sim_put_fix(b, s->tick, s->px_scale, -1);
	SIM_PUTS(b, "\",\"status\":\"online\"}");
}

static void
put_rest_trade(struct sim_buf *b, const struct sim_sym *s, const struct sim_trade *t)
{
	SIM_PUTS(b, "[\"");
	sim_put_fix(b, t->px, s->px_scale, s->px_scale);
	SIM_PUTS(b, "\",\"");
	sim_put_fix(b, t->qty, s->qty_scale, s->qty_scale);
	SIM_PUTS(b, "\",");
	sim_put_fix(b, t->ts_us, 6, 6);
	if (t->taker_buy)
		SIM_PUTS(b, ",\"b\",\"m\",\"\",");
	else
		SIM_PUTS(b, ",\"s\",\"m\",\"\",");
	sim_put_u64(b, t->id);
	SIM_PUTS(b, "]");
}

/* Trades after `since` (a time: ns, or seconds when short), oldest first,
 * `count` at most (1000), a trade of one time never split between pages;
 * "last" is where the next page starts. */
static void
kr_trades(struct sim_sym *s, const char *query, struct sim_resp *r)
{
	char name[48];
	int64_t since = 0, count = 1000, last_ts = 0;
	uint64_t id, from;
	int n = 0, hs = sim_query_int(query, "since", &since);

	if (hs < 0 || sim_query_int(query, "count", &count) < 0 || count < 1) {
		kr_rest_err(r, 200, "EGeneral:Invalid arguments");
		return;
	}
	if (count > 1000)
		count = 1000;
	if (hs && since < 100000000000) /* seconds */
		since *= 1000000000;
	from = s->next_trade_id;
	while (from > s->first_trade_id) {
		const struct sim_trade *t = sim_trade_get(s, from - 1);
		if (!t || (hs ? t->ts_us * 1000 <= since : s->next_trade_id - from >= (uint64_t)count))
			break;
		from--;
	}
	rest_name(name, sizeof name, s);
	r->status = 200;
	SIM_PUTS(&r->body, "{\"error\":[],\"result\":{\"");
	sim_puts(&r->body, name);
	SIM_PUTS(&r->body, "\":[");
	for (id = from; id < s->next_trade_id; id++) {
		const struct sim_trade *t = sim_trade_get(s, id);
		if (!t || (n >= count && t->ts_us != last_ts))
			break;
		if (n++)
			SIM_PUTS(&r->body, ",");
		put_rest_trade(&r->body, s, t);
		last_ts = t->ts_us;
	}
	SIM_PUTS(&r->body, "],\"last\":\"");
	sim_put_i64(&r->body, n ? last_ts * 1000 : (hs ? since : 0));
	SIM_PUTS(&r->body, "\"}}");
}

/* OHLC: interval in minutes; the 720 most recent candles at most, those
 * opening after `since`, the one still open last; "last" is the last
 * closed one's open time. */
static void
kr_ohlc(struct sim_sym *s, const char *query, int64_t now_us, struct sim_resp *r)
{
	static const int64_t mins[] = { 1, 5, 15, 30, 60, 240, 1440, 10080, 21600 };
	char name[48];
	int64_t iv = 1, since = 0, sec = 0, now = now_us / 1000000, from;
	struct sim_candle *c;
	size_t n;

	if (sim_query_int(query, "interval", &iv) < 0 || sim_query_int(query, "since", &since) < 0) {
		kr_rest_err(r, 200, "EGeneral:Invalid arguments");
		return;
	}
	for (size_t i = 0; i < sizeof mins / sizeof mins[0]; i++)
		if (iv == mins[i])
			sec = iv * 60;
	if (!sec) {
		kr_rest_err(r, 200, "EGeneral:Invalid arguments");
		return;
	}
	from = now - now % sec - 719 * sec;
	if (since + 1 > from)
		from = since + 1;
	c = ts_xcalloc(721, sizeof *c);
	n = sim_candles(s, sec, from, now, 1, c, 721);
	rest_name(name, sizeof name, s);
	r->status = 200;
	SIM_PUTS(&r->body, "{\"error\":[],\"result\":{\"");
	sim_puts(&r->body, name);
	SIM_PUTS(&r->body, "\":[");
	for (size_t k = 0; k < n; k++) {
		const struct sim_candle *x = &c[k];
		/* qv adds price times size in integer units: over v, a price */
		int64_t vwap = x->v ? (int64_t)(x->qv / (double)x->v + 0.5) : 0;
		if (k)
			SIM_PUTS(&r->body, ",");
		SIM_PUTS(&r->body, "[");
		sim_put_i64(&r->body, x->t);
		SIM_PUTS(&r->body, ",\"");
		sim_put_fix(&r->body, x->o, s->px_scale, s->px_scale);
		SIM_PUTS(&r->body, "\",\"");
		sim_put_fix(&r->body, x->h, s->px_scale, s->px_scale);
		SIM_PUTS(&r->body, "\",\"");
		sim_put_fix(&r->body, x->l, s->px_scale, s->px_scale);
		SIM_PUTS(&r->body, "\",\"");
		sim_put_fix(&r->body, x->c, s->px_scale, s->px_scale);
		SIM_PUTS(&r->body, "\",\"");
		sim_put_fix(&r->body, vwap, s->px_scale, s->px_scale);
		SIM_PUTS(&r->body, "\",\"");
		sim_put_fix(&r->body, x->v, s->qty_scale, s->qty_scale);
		SIM_PUTS(&r->body, "\",");
		sim_put_i64(&r->body, x->n);
		SIM_PUTS(&r->body, "]");
	}
	SIM_PUTS(&r->body, "],\"last\":");
	sim_put_i64(&r->body, n > 1 ? c[n - 2].t : n ? c[0].t : since);
	SIM_PUTS(&r->body, "}}");
	free(c);
}

static void
kr_rest(struct sim_market *m, const char *path, const char *query, int64_t now_us,
    struct sim_resp *r)
{
	struct sim_sym *s;

	if (!strcmp(path, "/0/public/AssetPairs")) {
		int n = 0;
		r->status = 200;
		SIM_PUTS(&r->body, "{\"error\":[],\"result\":{");
		for (int i = 0; i < m->nsym; i++) {
			if (m->sym[i]->ex != &kraken)
				continue;
			if (n++)
				SIM_PUTS(&r->body, ",");
			kr_asset_pair(&r->body, m->sym[i]);
		}
		SIM_PUTS(&r->body, "}}");
	} else if (!strcmp(path, "/0/public/Trades")) {
		if ((s = kr_pair(m, query, r)))
			kr_trades(s, query, r);
	} else if (!strcmp(path, "/0/public/OHLC")) {
		if ((s = kr_pair(m, query, r)))
			kr_ohlc(s, query, now_us, r);
	} else if (!strcmp(path, "/0/public/Time")) {
		r->status = 200;
		SIM_PUTS(&r->body, "{\"error\":[],\"result\":{\"unixtime\":");
		sim_put_i64(&r->body, now_us / 1000000);
		SIM_PUTS(&r->body, ",\"rfc1123\":\"\"}}");
	} else {
		kr_rest_err(r, 404, "EGeneral:Unknown method");
	}
}

static int
kr_rest_match(const char *path)
{
	return sim_path_match(path, "/0/public/*");
}

static void
kr_rest_error(struct sim_resp *r, int status)
{
	if (status == 429)
		SIM_PUTS(&r->body, "{\"error\":[\"EGeneral:Too many requests\"]}");
	else
		SIM_PUTS(&r->body, "{\"error\":[\"EService:Unavailable\"]}");
}

/* ---- faults ---- */

/* checksum: the next book message carries a wrong checksum (its levels
 * are right), so its symbol's clients must resync that book. */
static void
kr_fault_checksum(double arg)
{
	(void)arg;
	bad_checksums++;
}

static const struct sim_fault_def kr_faults[] = {
	{ "checksum", 0, kr_fault_checksum },
	{ NULL, 0, NULL },
};

/* ---- replay: the recording is Kraken's v1 protocol, sent as recorded ---- */

static int
kr_rec_is_book(const struct sim_rec *r)
{
	return memmem(r->data, r->len, "\"book-", 6) != NULL;
}

static int
kr_truth_apply(struct sim_rtruth *t, const struct ts_jval *msg)
{
	(void)t, (void)msg;
	return 0;
}

static struct sim_ex kraken = {
	.name = "kraken",
	.symbols = "BTC-USD,ETH-USD",
	.profile = &kr_profile,
	.digits = -1,
	.trade_id_base = 60000000,
	.native = kr_native,
	.lot = kr_lot,
	.conn_size = sizeof(struct kr_conn),
	.ws_match = kr_ws_match,
	.ws_open = kr_ws_open,
	.ws_receive = kr_receive,
	.send_book = kr_send_book,
	.send_trades = kr_send_trades,
	.trades_batched = 1,
	.second = kr_second,
	.rest_match = kr_rest_match,
	.rest = kr_rest,
	.rest_error = kr_rest_error,
	.malformed = "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":",
	.faults = kr_faults,
	.rec_is_book = kr_rec_is_book,
	.truth_apply = kr_truth_apply,
};
SIM_EX_REGISTER(kraken)
