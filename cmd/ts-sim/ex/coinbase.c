/* coinbase.c: ts-sim speaks Coinbase Advanced Trade: level2, market_trades and heartbeats channels on wss "/", brokerage market REST */
#include <stdlib.h>
#include <string.h>

#include "../sim_ex.h"
#include "log.h"
#include "tm.h"

static struct sim_ex coinbase;

/* A connection's own state. */
struct cb_conn {
	int heartbeats;  /* subscribed to the heartbeats channel */
	uint64_t seqnum; /* the connection's next sequence_num */
};

/* Messages are written in two pieces around sequence_num, the one part that
 * differs between connections: head, the number, then tail. */
static struct sim_buf book_h, book_t, trade_h, trade_t, msg_h, msg_t;

/*
 * How the book moves, measured on COINBASE.jsonl.zst in
 * ../shared/data/recordings/ with bench/sim/realism.py (bench/sim/realism.md):
 * 773 l2_data updates of BTC-USD, ETH-USD: 6.29 levels a message (p50 5, p90
 * 14, max 60), 24.4% deleted, 482 ticks from the top at p50 and 76,212 at
 * p90; 13.6 book messages a market_trades message, 1.39 trades in one (p90
 * 2, max 6); the level2 snapshots hold 6,935 to 27,236 levels a side.
 */
static const struct sim_profile cb_profile = {
	.levels_mean = 6.29, .delete_share = 0.244,
	.trade_share = 1 / 13.6, .sweep_mean = 1.39,
	.max_depth = 8000,
	/* band levels: the mean of the recorded snapshots' sides out to
	 * 50,000 ticks; further out the recorded 1,100 to 7,400 a band
	 * are cut to 800 to 1,000, so a side holds about 5,500 levels, not
	 * 17,000: one snapshot is 1.4 MB instead of 4 */
	.nband = 19,
	.band = {
		{ 1, 0.068, 1 }, { 2, 0.015, 0.5 }, { 3, 0.008, 0.2 },
		{ 5, 0.018, 0.75 }, { 10, 0.024, 2 }, { 20, 0.023, 3 },
		{ 50, 0.011, 7 }, { 100, 0.073, 14 }, { 200, 0.150, 30 },
		{ 500, 0.122, 53 }, { 1000, 0.062, 59 }, { 2000, 0.006, 70 },
		{ 5000, 0.109, 244 }, { 10000, 0.072, 366 },
		{ 20000, 0.031, 580 }, { 50000, 0.094, 1290 },
		{ 100000, 0.030, 1000 }, { 200000, 0.040, 1000 },
		{ 1000000, 0.043, 800 },
	},
};

/* Product ids are the canonical names: BTC-USD. */
static void
cb_native(char *buf, size_t n, const char *base, const char *quote)
{
	snprintf(buf, n, "%s-%s", base, quote);
}

/* Sizes go to 1e-8 (1e-3 for coins under $10). */
static int64_t
cb_lot(double px)
{
	return px >= 10 ? 1 : 100000;
}

/* ---- messages ---- */

/* {"channel":"CH","client_id":"","timestamp":"…","sequence_num": */
static void
cb_head(struct sim_buf *h, const char *channel, int64_t now_us)
{
	h->len = 0;
	SIM_PUTS(h, "{\"channel\":\"");
	sim_puts(h, channel);
	SIM_PUTS(h, "\",\"client_id\":\"\",\"timestamp\":\"");
	sim_put_time_ns(h, now_us);
	SIM_PUTS(h, "\",\"sequence_num\":");
}

static void
cb_update(struct sim_buf *t, const struct sim_sym *s, int side, int64_t px, int64_t qty,
    int64_t ts_us)
{
	SIM_PUTS(t, "{\"side\":\"");
	if (side)
		SIM_PUTS(t, "offer");
	else
		SIM_PUTS(t, "bid");
	SIM_PUTS(t, "\",\"event_time\":\"");
	sim_put_time_ns(t, ts_us);
	SIM_PUTS(t, "\",\"price_level\":\"");
	sim_put_px(t, s, px);
	SIM_PUTS(t, "\",\"new_quantity\":\"");
	sim_put_qty(t, s, qty);
	SIM_PUTS(t, "\"}");
}

static void
cb_l2(struct sim_buf *head, struct sim_buf *tail, const struct sim_event *ev)
{
	cb_head(head, "l2_data", ev->ts_us);
	tail->len = 0;
	SIM_PUTS(tail, ",\"events\":[{\"type\":\"update\",\"product_id\":\"");
	sim_puts(tail, ev->s->native);
	SIM_PUTS(tail, "\",\"updates\":[");
	for (int i = 0; i < ev->nchg; i++) {
		if (i)
			SIM_PUTS(tail, ",");
		cb_update(tail, ev->s, ev->chg[i].side, ev->chg[i].px, ev->chg[i].qty, ev->ts_us);
	}
	SIM_PUTS(tail, "]}]}");
}

static void
cb_l2_snapshot(struct sim_buf *head, struct sim_buf *tail, const struct sim_sym *s,
    int64_t now_us)
{
	int first = 1;

	cb_head(head, "l2_data", now_us);
	tail->len = 0;
	SIM_PUTS(tail, ",\"events\":[{\"type\":\"snapshot\",\"product_id\":\"");
	sim_puts(tail, s->native);
	SIM_PUTS(tail, "\",\"updates\":[");
	for (int side = 0; side < 2; side++)
		for (int i = 0; i < s->n[side]; i++) {
			if (!first)
				SIM_PUTS(tail, ",");
			first = 0;
			cb_update(tail, s, side, s->lv[side][i].px, s->lv[side][i].qty, now_us);
		}
	SIM_PUTS(tail, "]}]}");
}

static void
cb_trade(struct sim_buf *t, const struct sim_sym *s, const struct sim_trade *tr)
{
	SIM_PUTS(t, "{\"trade_id\":\"");
	sim_put_u64(t, tr->id);
	SIM_PUTS(t, "\",\"product_id\":\"");
	sim_puts(t, s->native);
	SIM_PUTS(t, "\",\"price\":\"");
	sim_put_px(t, s, tr->px);
	SIM_PUTS(t, "\",\"size\":\"");
	sim_put_qty(t, s, tr->qty);
	/* Coinbase documents side as the maker's: a taker buy hits a SELL */
	if (tr->taker_buy)
		SIM_PUTS(t, "\",\"side\":\"SELL\",\"time\":\"");
	else
		SIM_PUTS(t, "\",\"side\":\"BUY\",\"time\":\"");
	sim_put_time_ns(t, tr->ts_us);
	SIM_PUTS(t, "\"}");
}

static void
cb_trades(struct sim_buf *head, struct sim_buf *tail, const struct sim_event *ev)
{
	cb_head(head, "market_trades", ev->ts_us);
	tail->len = 0;
	SIM_PUTS(tail, ",\"events\":[{\"type\":\"update\",\"trades\":[");
	/* newest first, as Coinbase lists them */
	for (int i = ev->nfill - 1; i >= 0; i--) {
		cb_trade(tail, ev->s, &ev->fill[i]);
		if (i)
			SIM_PUTS(tail, ",");
	}
	SIM_PUTS(tail, "]}]}");
}

static void
cb_trades_snapshot(struct sim_buf *head, struct sim_buf *tail, const struct sim_sym *s,
    int count, int64_t now_us)
{
	int n = 0;

	cb_head(head, "market_trades", now_us);
	tail->len = 0;
	SIM_PUTS(tail, ",\"events\":[{\"type\":\"snapshot\",\"trades\":[");
	for (uint64_t id = s->next_trade_id; id > s->first_trade_id && n < count; id--) {
		const struct sim_trade *t = sim_trade_get(s, id - 1);
		if (!t)
			break;
		if (n++)
			SIM_PUTS(tail, ",");
		cb_trade(tail, s, t);
	}
	SIM_PUTS(tail, "]}]}");
}

static void
cb_heartbeat(struct sim_buf *head, struct sim_buf *tail, int64_t now_us, uint64_t counter,
    int64_t start_us)
{
	int64_t up = now_us - start_us;
	char when[40];
	size_t k;

	cb_head(head, "heartbeats", now_us);
	tail->len = 0;
	SIM_PUTS(tail, ",\"events\":[{\"current_time\":\"");
	/* Go's time.String(): "2026-08-09 21:05:48.854840045 +0000 UTC m=+41691.260485341" */
	{
		struct sim_buf t = { when, 0, sizeof when };
		sim_put_time_ns(&t, now_us);
		k = t.len;
	}
	when[10] = ' ';
	sim_put(tail, when, k - 1);
	SIM_PUTS(tail, " +0000 UTC m=+");
	sim_put_fix(tail, up < 0 ? 0 : up * 1000, 9, 9);
	SIM_PUTS(tail, "\",\"heartbeat_counter\":");
	sim_put_u64(tail, counter);
	SIM_PUTS(tail, "}]}");
}

static void
cb_subscriptions(struct sim_buf *head, struct sim_buf *tail, int64_t now_us, const char *subs)
{
	cb_head(head, "subscriptions", now_us);
	tail->len = 0;
	SIM_PUTS(tail, ",\"events\":[{\"subscriptions\":");
	sim_puts(tail, subs);
	SIM_PUTS(tail, "}]}");
}


/* Queue a message on c: head, c's sequence_num, tail. */
static void
cb_send(struct sim_conn *c, const struct sim_buf *h, const struct sim_buf *t, uint64_t seq)
{
	char num[24];
	int i = sizeof num;

	do {
		num[--i] = (char)('0' + seq % 10);
		seq /= 10;
	} while (seq);
	sim_send3(c, h->p, h->len, num + i, sizeof num - (size_t)i, t->p, t->len);
}

static void
cb_send_book(struct sim_conn *c, const struct sim_event *ev, int first, int copies)
{
	struct cb_conn *x = c->xd;

	if (first)
		cb_l2(&book_h, &book_t, ev);
	/* a lost message still takes its number: the client sees the gap */
	for (int i = 0; i < copies; i++)
		cb_send(c, &book_h, &book_t, x->seqnum);
	x->seqnum++;
}

static void
cb_send_trades(struct sim_conn *c, const struct sim_event *ev, int first)
{
	struct cb_conn *x = c->xd;

	if (first)
		cb_trades(&trade_h, &trade_t, ev);
	cb_send(c, &trade_h, &trade_t, x->seqnum++);
}

static void
cb_second(struct sim_conn *c, int64_t now_us, uint64_t tick, int first)
{
	struct cb_conn *x = c->xd;

	if (first)
		cb_heartbeat(&msg_h, &msg_t, now_us, tick, sim_start_us());
	if (x->heartbeats)
		cb_send(c, &msg_h, &msg_t, x->seqnum++);
}

/* ---- what a client sends ---- */

static void
cb_error_msg(struct sim_conn *c, const char *msg)
{
	struct sim_buf b = { 0 };
	SIM_PUTS(&b, "{\"type\":\"error\",\"message\":\"");
	sim_puts(&b, msg);
	SIM_PUTS(&b, "\"}");
	sim_send(c, b.p, b.len);
	sim_buf_free(&b);
}

/* The inner object of a subscriptions message for connection c. */
static void
cb_subs_text(struct sim_conn *c, struct sim_buf *b)
{
	static const struct { const char *name; int bit; } chans[] = {
		{ "level2", SIM_SUB_BOOK }, { "market_trades", SIM_SUB_TRADE },
	};
	const struct sim_market *m = sim_the_market();
	struct cb_conn *x = c->xd;
	int nch = 0;

	SIM_PUTS(b, "{");
	for (size_t k = 0; k < 2; k++) {
		int n = 0;
		for (int i = 0; i < m->nsym; i++) {
			if (m->sym[i]->ex != &coinbase || !(c->sub[i] & chans[k].bit))
				continue;
			if (n == 0) {
				if (nch++)
					SIM_PUTS(b, ",");
				SIM_PUTS(b, "\"");
				sim_puts(b, chans[k].name);
				SIM_PUTS(b, "\":[");
			}
			sim_puts(b, n++ ? ",\"" : "\"");
			sim_puts(b, m->sym[i]->native);
			SIM_PUTS(b, "\"");
		}
		if (n)
			SIM_PUTS(b, "]");
	}
	if (x->heartbeats) {
		if (nch++)
			SIM_PUTS(b, ",");
		SIM_PUTS(b, "\"heartbeats\":[\"heartbeats\"]");
	}
	SIM_PUTS(b, "}");
	b->p[b->len] = '\0';
}

/* {"type":"subscribe"|"unsubscribe","channel":…,"product_ids":[…]}: a
 * snapshot of each newly subscribed book or trade list, then the
 * subscriptions message. Replaying, any subscription starts the recording. */
static void
cb_receive(struct sim_conn *c, const char *in, size_t len)
{
	struct cb_conn *x = c->xd;
	struct sim_market *m = sim_the_market();
	struct ts_jval obj, ids, v;
	struct ts_jiter it;
	char type[32], chan[32];
	int bit = 0, on, replay = sim_replaying();
	struct sim_sym *list[SIM_MAX_SYMS];
	int nl = 0;
	int64_t now = ts_now_us();
	struct sim_buf subs = { 0 };

	if (ts_json_parse(in, len, &obj, NULL) < 0 || obj.type != TS_J_OBJ ||
	    ts_json_get_str(&obj, "type", type, sizeof type) < 0) {
		sim_bad_input("coinbase client sent a message that is not a JSON object with a type");
		cb_error_msg(c, "malformed message");
		return;
	}
	on = !strcmp(type, "subscribe");
	if (!on && strcmp(type, "unsubscribe")) {
		sim_bad_input(NULL);
		cb_error_msg(c, "unknown message type");
		return;
	}
	if (ts_json_get_str(&obj, "channel", chan, sizeof chan) < 0) {
		sim_bad_input(NULL);
		cb_error_msg(c, "channel is required");
		return;
	}
	if (!strcmp(chan, "level2") || !strcmp(chan, "l2_data"))
		bit = SIM_SUB_BOOK;
	else if (!strcmp(chan, "market_trades"))
		bit = SIM_SUB_TRADE;
	else if (strcmp(chan, "heartbeats")) {
		sim_bad_input(NULL);
		cb_error_msg(c, "Failure to subscribe: unsupported channel");
		return;
	}
	if (ts_json_get(&obj, "product_ids", &ids) == 0) {
		if (ids.type != TS_J_ARR) {
			sim_bad_input(NULL);
			cb_error_msg(c, "product_ids must be an array");
			return;
		}
		ts_json_iter(&it, &ids);
		while (ts_json_next(&it, NULL, &v)) {
			char id[32];
			struct sim_sym *s;
			if (ts_json_str(&v, id, sizeof id) < 0 ||
			    !(s = sim_market_find(m, &coinbase, id))) {
				if (replay)
					continue;
				sim_bad_input(NULL);
				cb_error_msg(c, "Failure to subscribe: unknown product");
				return;
			}
			if (nl < SIM_MAX_SYMS)
				list[nl++] = s;
		}
	}
	if (bit && nl == 0 && !replay) {
		cb_error_msg(c, "Failure to subscribe: product_ids is required");
		return;
	}
	if (replay) {
		if (!bit) /* kept alive with heartbeats once the recording ends */
			x->heartbeats = on;
		sim_replay_start(c);
		return;
	}
	if (!bit) {
		x->heartbeats = on;
	} else {
		for (int i = 0; i < nl; i++) {
			struct sim_sym *s = list[i];
			int had = c->sub[s->idx] & bit;
			if (!on) {
				c->sub[s->idx] &= (uint8_t)~bit;
				continue;
			}
			c->sub[s->idx] |= (uint8_t)bit;
			if (had)
				continue;
			if (bit == SIM_SUB_BOOK)
				cb_l2_snapshot(&msg_h, &msg_t, s, now);
			else
				cb_trades_snapshot(&msg_h, &msg_t, s, 50, now);
			cb_send(c, &msg_h, &msg_t, x->seqnum++);
		}
	}
	cb_subs_text(c, &subs);
	cb_subscriptions(&msg_h, &msg_t, now, subs.p);
	cb_send(c, &msg_h, &msg_t, x->seqnum++);
	sim_buf_free(&subs);
}

static int
cb_ws_match(const char *path)
{
	return sim_path_match(path, "/");
}

/* ---- REST ---- */

static void
cb_error(struct sim_resp *r, int status, const char *err, const char *msg)
{
	r->status = status;
	r->body.len = 0;
	SIM_PUTS(&r->body, "{\"error\":\"");
	sim_puts(&r->body, err);
	SIM_PUTS(&r->body, "\",\"error_details\":\"");
	sim_puts(&r->body, msg);
	SIM_PUTS(&r->body, "\",\"message\":\"");
	sim_puts(&r->body, msg);
	SIM_PUTS(&r->body, "\"}");
}

static void
cb_product(struct sim_buf *b, const struct sim_sym *s)
{
	int64_t mid = (s->lv[0][0].px + s->lv[1][0].px) / 2;

	SIM_PUTS(b, "{\"product_id\":\"");
	sim_puts(b, s->native);
	SIM_PUTS(b, "\",\"price\":\"");
	sim_put_px(b, s, mid);
	SIM_PUTS(b, "\",\"base_increment\":\"");
	sim_put_fix(b, s->step, s->qty_scale, -1);
	SIM_PUTS(b, "\",\"quote_increment\":\"");
	sim_put_fix(b, s->tick, s->px_scale, -1);
	SIM_PUTS(b, "\",\"quote_min_size\":\"1\",\"quote_max_size\":\"150000000\",\"base_min_size\":\"");
	sim_put_fix(b, s->step, s->qty_scale, -1);
	SIM_PUTS(b, "\",\"base_max_size\":\"3400\",\"base_name\":\"");
	sim_puts(b, s->base);
	SIM_PUTS(b, "\",\"quote_name\":\"");
	sim_puts(b, s->quote);
	SIM_PUTS(b, "\",\"watched\":false,\"is_disabled\":false,\"new\":false,\"status\":\"online\","
	    "\"cancel_only\":false,\"limit_only\":false,\"post_only\":false,\"trading_disabled\":false,"
	    "\"auction_mode\":false,\"product_type\":\"SPOT\",\"quote_currency_id\":\"");
	sim_puts(b, s->quote);
	SIM_PUTS(b, "\",\"base_currency_id\":\"");
	sim_puts(b, s->base);
	SIM_PUTS(b, "\",\"base_display_symbol\":\"");
	sim_puts(b, s->base);
	SIM_PUTS(b, "\",\"quote_display_symbol\":\"");
	sim_puts(b, s->quote);
	SIM_PUTS(b, "\",\"view_only\":false,\"price_increment\":\"");
	sim_put_fix(b, s->tick, s->px_scale, -1);
	SIM_PUTS(b, "\",\"display_name\":\"");
	sim_puts(b, s->native);
	SIM_PUTS(b, "\",\"product_venue\":\"CBE\"}");
}

static const struct {
	const char *name;
	int64_t sec;
} cb_grans[] = {
	{ "ONE_MINUTE", 60 }, { "FIVE_MINUTE", 300 }, { "FIFTEEN_MINUTE", 900 },
	{ "THIRTY_MINUTE", 1800 }, { "ONE_HOUR", 3600 }, { "TWO_HOUR", 7200 },
	{ "SIX_HOUR", 21600 }, { "ONE_DAY", 86400 },
};

static void
cb_candles(struct sim_sym *s, const char *query, int64_t now_us, struct sim_resp *r)
{
	char g[32];
	int64_t start, end, sec = 0;
	struct sim_candle *c;
	size_t n;

	if (!sim_query_get(query, "granularity", g, sizeof g)) {
		cb_error(r, 400, "INVALID_ARGUMENT", "granularity is required");
		return;
	}
	for (size_t i = 0; i < sizeof cb_grans / sizeof cb_grans[0]; i++)
		if (!strcmp(g, cb_grans[i].name))
			sec = cb_grans[i].sec;
	if (!sec) {
		cb_error(r, 400, "INVALID_ARGUMENT", "invalid granularity");
		return;
	}
	if (sim_query_int(query, "start", &start) != 1 || sim_query_int(query, "end", &end) != 1 || end < start) {
		cb_error(r, 400, "INVALID_ARGUMENT", "start and end must be unix seconds, start before end");
		return;
	}
	if ((end - start) / sec > 350) {
		cb_error(r, 400, "INVALID_ARGUMENT",
		    "number of candles requested should be less than 350");
		return;
	}
	if (end > now_us / 1000000)
		end = now_us / 1000000;
	c = ts_xcalloc(351, sizeof *c);
	n = sim_candles(s, sec, start, end, 0, c, 351);
	r->status = 200;
	SIM_PUTS(&r->body, "{\"candles\":[");
	for (size_t k = n; k > 0; k--) { /* newest first */
		const struct sim_candle *x = &c[k - 1];
		if (k != n)
			SIM_PUTS(&r->body, ",");
		SIM_PUTS(&r->body, "{\"start\":\"");
		sim_put_i64(&r->body, x->t);
		SIM_PUTS(&r->body, "\",\"low\":\"");
		sim_put_px(&r->body, s, x->l);
		SIM_PUTS(&r->body, "\",\"high\":\"");
		sim_put_px(&r->body, s, x->h);
		SIM_PUTS(&r->body, "\",\"open\":\"");
		sim_put_px(&r->body, s, x->o);
		SIM_PUTS(&r->body, "\",\"close\":\"");
		sim_put_px(&r->body, s, x->c);
		SIM_PUTS(&r->body, "\",\"volume\":\"");
		sim_put_qty(&r->body, s, x->v);
		SIM_PUTS(&r->body, "\"}");
	}
	SIM_PUTS(&r->body, "]}");
	free(c);
}

static void
cb_ticker(struct sim_sym *s, const char *query, struct sim_resp *r)
{
	int64_t limit = 100;
	int n = 0;

	if (sim_query_int(query, "limit", &limit) < 0 || limit < 1) {
		cb_error(r, 400, "INVALID_ARGUMENT", "limit must be a positive number");
		return;
	}
	if (limit > 1000)
		limit = 1000;
	r->status = 200;
	SIM_PUTS(&r->body, "{\"trades\":[");
	for (uint64_t id = s->next_trade_id; id > s->first_trade_id && n < limit; id--) {
		const struct sim_trade *t = sim_trade_get(s, id - 1);
		if (!t)
			break;
		if (n++)
			SIM_PUTS(&r->body, ",");
		SIM_PUTS(&r->body, "{\"trade_id\":\"");
		sim_put_u64(&r->body, t->id);
		SIM_PUTS(&r->body, "\",\"product_id\":\"");
		sim_puts(&r->body, s->native);
		SIM_PUTS(&r->body, "\",\"price\":\"");
		sim_put_px(&r->body, s, t->px);
		SIM_PUTS(&r->body, "\",\"size\":\"");
		sim_put_qty(&r->body, s, t->qty);
		SIM_PUTS(&r->body, "\",\"time\":\"");
		sim_put_time_ns(&r->body, t->ts_us);
		if (t->taker_buy)
			SIM_PUTS(&r->body, "\",\"side\":\"SELL\",\"bid\":\"\",\"ask\":\"\",\"exchange\":\"coinbase\"}");
		else
			SIM_PUTS(&r->body, "\",\"side\":\"BUY\",\"bid\":\"\",\"ask\":\"\",\"exchange\":\"coinbase\"}");
	}
	SIM_PUTS(&r->body, "],\"best_bid\":\"");
	sim_put_px(&r->body, s, s->lv[0][0].px);
	SIM_PUTS(&r->body, "\",\"best_ask\":\"");
	sim_put_px(&r->body, s, s->lv[1][0].px);
	SIM_PUTS(&r->body, "\"}");
}

static void
cb_rest(struct sim_market *m, const char *path, const char *query, int64_t now_us,
    struct sim_resp *r)
{
	static const char pfx[] = "/api/v3/brokerage/market/products";
	const char *rest = path + sizeof pfx - 1, *slash;
	char id[32];
	struct sim_sym *s;

	if (strncmp(path, pfx, sizeof pfx - 1))
		goto notfound;

	if (!strcmp(rest, "") || !strcmp(rest, "/")) {
		int n = 0;
		r->status = 200;
		SIM_PUTS(&r->body, "{\"products\":[");
		for (int i = 0; i < m->nsym; i++) {
			if (m->sym[i]->ex != &coinbase)
				continue;
			if (n++)
				SIM_PUTS(&r->body, ",");
			cb_product(&r->body, m->sym[i]);
		}
		SIM_PUTS(&r->body, "],\"num_products\":");
		sim_put_i64(&r->body, n);
		SIM_PUTS(&r->body, "}");
		return;
	}
	if (*rest != '/')
		goto notfound;
	rest++;
	slash = strchr(rest, '/');
	if ((size_t)(slash ? slash - rest : (long)strlen(rest)) >= sizeof id)
		goto notfound;
	memcpy(id, rest, slash ? (size_t)(slash - rest) : strlen(rest) + 1);
	id[slash ? slash - rest : (long)strlen(rest)] = '\0';
	if (!(s = sim_market_find(m, &coinbase, id))) {
		cb_error(r, 404, "NOT_FOUND", "ProductID is invalid");
		return;
	}
	if (!slash) {
		r->status = 200;
		cb_product(&r->body, s);
	} else if (!strcmp(slash, "/candles")) {
		cb_candles(s, query, now_us, r);
	} else if (!strcmp(slash, "/ticker")) {
		cb_ticker(s, query, r);
	} else {
		goto notfound;
	}
	return;
notfound:
	cb_error(r, 404, "NOT_FOUND", "no such endpoint");
}


static int
cb_rest_match(const char *path)
{
	return sim_path_match(path, "/api/v3/brokerage/*");
}

static void
cb_rest_error(struct sim_resp *r, int status)
{
	if (status == 429)
		SIM_PUTS(&r->body, "{\"error\":\"RATE_LIMIT_EXCEEDED\",\"error_details\":\"Too many requests\",\"message\":\"Too many requests\"}");
	else
		SIM_PUTS(&r->body, "{\"error\":\"INTERNAL\",\"error_details\":\"internal error\",\"message\":\"internal error\"}");
}

/* ---- replay ---- */

static int
cb_rec_is_book(const struct sim_rec *r)
{
	return memmem(r->data, r->len, "\"l2_data\"", 9) != NULL;
}

/* A connection's sequence_num goes on from the last one replayed, so the
 * heartbeats that keep it alive after the recording ends continue the
 * sequence the way the exchange's would. */
static void
cb_replay_send(struct sim_conn *c, const struct sim_rec *r)
{
	static const char key[] = "\"sequence_num\":";
	struct cb_conn *x = c->xd;
	const char *p;
	uint64_t n = 0;

	sim_send(c, r->data, r->len);
	if (!(p = memmem(r->data, r->len, key, sizeof key - 1)))
		return;
	p += sizeof key - 1;
	while (p < r->data + r->len && *p >= '0' && *p <= '9')
		n = n * 10 + (uint64_t)(*p++ - '0');
	x->seqnum = n + 1;
}

static int
cb_truth_apply(struct sim_rtruth *t, const struct ts_jval *msg)
{
	struct ts_jval ch, evs, ev, type, pid, ups, u, side, px, qty, trs, tr;
	struct ts_jiter it, iu;
	const char *p;
	size_t n;

	if (ts_json_get(msg, "channel", &ch) < 0 || ts_json_get(msg, "events", &evs) < 0 ||
	    evs.type != TS_J_ARR)
		return 0;
	if (!ts_json_str_eq(&ch, "l2_data") && !ts_json_str_eq(&ch, "market_trades"))
		return 0;
	ts_json_iter(&it, &evs);
	while (ts_json_next(&it, NULL, &ev)) {
		struct sim_rsym *s;
		if (ts_json_str_eq(&ch, "market_trades")) {
			if (ts_json_get(&ev, "trades", &trs) < 0 || trs.type != TS_J_ARR)
				return -1;
			ts_json_iter(&iu, &trs);
			while (ts_json_next(&iu, NULL, &tr)) {
				int64_t id;
				if (ts_json_get(&tr, "product_id", &pid) < 0 ||
				    !(p = ts_json_str_raw(&pid, &n)) ||
				    ts_json_get_i64(&tr, "trade_id", &id) < 0 || !(s = sim_rtruth_sym(t, p, n)))
					return -1;
				sim_rtruth_trade(s, id);
			}
			continue;
		}
		if (ts_json_get(&ev, "type", &type) < 0 || ts_json_get(&ev, "product_id", &pid) < 0 ||
		    !(p = ts_json_str_raw(&pid, &n)) || ts_json_get(&ev, "updates", &ups) < 0 ||
		    ups.type != TS_J_ARR || !(s = sim_rtruth_sym(t, p, n)))
			return -1;
		if (ts_json_str_eq(&type, "snapshot")) {
			ts_book_clear(&s->book);
			s->have_book = 1;
		} else if (!s->have_book) {
			continue;
		}
		ts_json_iter(&iu, &ups);
		while (ts_json_next(&iu, NULL, &u)) {
			struct ts_dec dp, dq;
			if (ts_json_get(&u, "side", &side) < 0 ||
			    ts_json_get(&u, "price_level", &px) < 0 ||
			    ts_json_get(&u, "new_quantity", &qty) < 0 ||
			    ts_json_dec(&px, &dp) || ts_json_dec(&qty, &dq) ||
			    ts_book_set(&s->book, ts_json_str_eq(&side, "bid") ? TS_BID : TS_ASK,
			    dp, dq) < 0)
				return -1;
		}
	}
	return 0;
}


static struct sim_ex coinbase = {
	.name = "coinbase",
	.symbols = "BTC-USD,ETH-USD",
	.profile = &cb_profile,
	.digits = -1,
	.trade_id_base = 500000000,
	.native = cb_native,
	.lot = cb_lot,
	.conn_size = sizeof(struct cb_conn),
	.ws_match = cb_ws_match,
	.ws_receive = cb_receive,
	.send_book = cb_send_book,
	.send_trades = cb_send_trades,
	.trades_batched = 1,
	.second = cb_second,
	.rest_match = cb_rest_match,
	.rest = cb_rest,
	.rest_error = cb_rest_error,
	.malformed = "{\"channel\":\"l2_data\",\"client_id\":\"\",\"events\":[{\"type\":",
	.rec_is_book = cb_rec_is_book,
	.replay_send = cb_replay_send,
	.truth_apply = cb_truth_apply,
};
SIM_EX_REGISTER(coinbase)
