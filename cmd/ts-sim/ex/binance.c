/* binance.c: ts-sim speaks Binance spot: combined and raw streams (depth@100ms, trade) with SUBSCRIBE requests, the /api/v3 REST */
#include <stdlib.h>
#include <string.h>

#include "../sim_ex.h"
#include "log.h"
#include "tm.h"

static struct sim_ex binance;

/* A connection's own state. */
struct bn_conn {
	int combined; /* /stream: each payload wrapped in {"stream","data"} */
};

static struct sim_buf book_b, trade_b;
static struct ts_ratelimit warn_rl = TS_RATELIMIT_INIT(1, 10);

/*
 * How the book moves, measured on BINANCE.jsonl.zst in
 * ../shared/data/recordings/ with bench/sim/realism.py (bench/sim/realism.md):
 * 177 depthUpdates of NKNUSDT, BLZETH, LRCBTC, RUNEEUR: 2.38 levels a message
 * (p50 2, p90 5, max 13), 8.3% of the changed levels deleted, changed levels
 * 4 ticks from the top at p50 and 35 at p90; the REST snapshots (limit 1000)
 * hold 174 to 1000 levels a side.
 */
static const struct sim_profile bn_profile = {
	/* the trades' deletes come on top: 0.068 gives the recorded 8.3% */
	.levels_mean = 2.38, .delete_share = 0.068,
	/* the recording has no trade stream: the generator's old mix */
	.trade_share = 0.20, .sweep_mean = 1.39,
	/* within what one REST snapshot (limit 1000) returns, so a client's
	 * book can equal the truth */
	.max_depth = 1000,
	/* band levels: NKNUSDT's and LRCBTC's snapshots (the two with
	 * trading near the top), about 860 a side */
	.nband = 14,
	.band = {
		{ 1, 0.150, 1 }, { 2, 0.113, 0.8 }, { 3, 0.078, 0.8 },
		{ 5, 0.164, 1.5 }, { 10, 0.208, 4 }, { 20, 0.132, 8 },
		{ 50, 0.091, 20 }, { 100, 0.059, 25 }, { 200, 0.005, 45 },
		/* none recorded further out (p99 77 ticks): seldom */
		{ 500, 0.0005, 110 }, { 1000, 0.0002, 170 },
		{ 2000, 0.0001, 200 }, { 5000, 0.00005, 170 },
		{ 10000, 0.00003, 100 },
	},
};

/* Symbols are BASE and QUOTE run together: BTCUSDT. */
static void
bn_native(char *buf, size_t n, const char *base, const char *quote)
{
	snprintf(buf, n, "%s%s", base, quote);
}

/* Lots are coarser for cheap coins. */
static int64_t
bn_lot(double px)
{
	return px >= 1000 ? 1000 : px >= 10 ? 10000 : px >= 0.1 ? 1000000 : 100000000;
}

/* ---- messages ---- */

static void
bn_levels(struct sim_buf *b, const struct sim_event *ev, int side)
{
	int first = 1;

	SIM_PUTS(b, "[");
	for (int i = 0; i < ev->nchg; i++) {
		if (ev->chg[i].side != side)
			continue;
		if (!first)
			SIM_PUTS(b, ",");
		first = 0;
		SIM_PUTS(b, "[\"");
		sim_put_px(b, ev->s, ev->chg[i].px);
		SIM_PUTS(b, "\",\"");
		sim_put_qty(b, ev->s, ev->chg[i].qty);
		SIM_PUTS(b, "\"]");
	}
	SIM_PUTS(b, "]");
}

static void
bn_depth(struct sim_buf *b, const struct sim_event *ev)
{
	SIM_PUTS(b, "{\"e\":\"depthUpdate\",\"E\":");
	sim_put_i64(b, ev->ts_us / 1000);
	SIM_PUTS(b, ",\"s\":\"");
	sim_puts(b, ev->s->native);
	SIM_PUTS(b, "\",\"U\":");
	sim_put_u64(b, ev->first_uid);
	SIM_PUTS(b, ",\"u\":");
	sim_put_u64(b, ev->last_uid);
	SIM_PUTS(b, ",\"b\":");
	bn_levels(b, ev, 0);
	SIM_PUTS(b, ",\"a\":");
	bn_levels(b, ev, 1);
	SIM_PUTS(b, "}");
}

static void
bn_trade(struct sim_buf *b, const struct sim_sym *s, const struct sim_trade *t, int64_t now_us)
{
	SIM_PUTS(b, "{\"e\":\"trade\",\"E\":");
	sim_put_i64(b, now_us / 1000);
	SIM_PUTS(b, ",\"s\":\"");
	sim_puts(b, s->native);
	SIM_PUTS(b, "\",\"t\":");
	sim_put_u64(b, t->id);
	SIM_PUTS(b, ",\"p\":\"");
	sim_put_px(b, s, t->px);
	SIM_PUTS(b, "\",\"q\":\"");
	sim_put_qty(b, s, t->qty);
	SIM_PUTS(b, "\",\"T\":");
	sim_put_i64(b, t->ts_us / 1000);
	/* m: the buyer is the maker, i.e. the taker sold */
	if (t->taker_buy)
		SIM_PUTS(b, ",\"m\":false,\"M\":true}");
	else
		SIM_PUTS(b, ",\"m\":true,\"M\":true}");
}


/* A stream payload, wrapped for combined streams. */
static void
bn_send(struct sim_conn *c, const char *stream_sym, const char *stream, const struct sim_buf *d)
{
	struct bn_conn *x = c->xd;

	if (x->combined) {
		char pre[96];
		size_t a = strlen(stream_sym), b = strlen(stream), k = 0;
		memcpy(pre, "{\"stream\":\"", 11);
		k = 11;
		memcpy(pre + k, stream_sym, a);
		k += a;
		pre[k++] = '@';
		memcpy(pre + k, stream, b);
		k += b;
		memcpy(pre + k, "\",\"data\":", 9);
		k += 9;
		sim_send3(c, pre, k, d->p, d->len, "}", 1);
	} else {
		sim_send(c, d->p, d->len);
	}
}

static void
bn_send_book(struct sim_conn *c, const struct sim_event *ev, int first, int copies)
{
	if (first) {
		book_b.len = 0;
		bn_depth(&book_b, ev);
	}
	for (int i = 0; i < copies; i++)
		bn_send(c, ev->s->lower, "depth@100ms", &book_b);
}

static void
bn_send_trades(struct sim_conn *c, const struct sim_event *ev, int first)
{
	(void)first;
	for (int i = 0; i < ev->nfill; i++) {
		trade_b.len = 0;
		bn_trade(&trade_b, ev->s, &ev->fill[i], ev->ts_us);
		bn_send(c, ev->s->lower, "trade", &trade_b);
	}
}

/* ---- what a client sends ---- */

/* Parse "btcusdt@trade" / "btcusdt@depth@100ms" / "btcusdt@depth".
 * Returns the subscription bit and the symbol (NULL when unknown), or 0. */
static int
bn_stream(const char *st, size_t n, struct sim_sym **sp)
{
	const struct sim_market *m = sim_the_market();
	char name[64];
	const char *at;
	struct sim_sym *s = NULL;
	int bit;

	if (n >= sizeof name)
		return 0;
	memcpy(name, st, n);
	name[n] = '\0';
	if (!(at = strchr(name, '@')))
		return 0;
	if (!strcmp(at, "@trade"))
		bit = SIM_SUB_TRADE;
	else if (!strcmp(at, "@depth@100ms") || !strcmp(at, "@depth"))
		bit = SIM_SUB_BOOK;
	else
		return 0;
	for (int i = 0; i < m->nsym; i++)
		if (m->sym[i]->ex == &binance &&
		    !strncmp(m->sym[i]->lower, name, (size_t)(at - name)) &&
		    m->sym[i]->lower[at - name] == '\0')
			s = m->sym[i];
	*sp = s;
	return bit;
}

/* Subscribe to a list of streams separated by '/'. */
static void
bn_sub_list(struct sim_conn *c, const char *list)
{
	const char *p = list;

	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		struct sim_sym *s = NULL;
		int bit = bn_stream(p, n, &s);
		if (bit && s)
			c->sub[s->idx] |= (uint8_t)bit;
		else if (!bit)
			ts_warn_rl(&warn_rl, "unknown stream '%.*s'", (int)n, p);
		p += n + (e ? 1 : 0);
	}
}

static void
bn_reply_error(struct sim_conn *c, int code, const char *msg, const struct ts_jval *id)
{
	struct sim_buf b = { 0 };
	SIM_PUTS(&b, "{\"error\":{\"code\":");
	sim_put_i64(&b, code);
	SIM_PUTS(&b, ",\"msg\":\"");
	sim_puts(&b, msg);
	SIM_PUTS(&b, "\"},\"id\":");
	if (id)
		sim_put(&b, id->p, id->n);
	else
		SIM_PUTS(&b, "null");
	SIM_PUTS(&b, "}");
	sim_send(c, b.p, b.len);
	sim_buf_free(&b);
}

/* {"method":"SUBSCRIBE"|"UNSUBSCRIBE"|"LIST_SUBSCRIPTIONS","params":[…],"id":…}.
 * Replaying, a subscription starts the recording. */
static void
bn_receive(struct sim_conn *c, const char *in, size_t len)
{
	const struct sim_market *m = sim_the_market();
	struct ts_jval obj, method, params, id, v;
	struct ts_jiter it;
	struct sim_buf b = { 0 };
	int has_id;

	if (ts_json_parse(in, len, &obj, NULL) < 0 || obj.type != TS_J_OBJ) {
		sim_bad_input("binance client sent invalid JSON");
		bn_reply_error(c, 3, "Invalid JSON: expected an object", NULL);
		return;
	}
	has_id = ts_json_get(&obj, "id", &id) == 0;
	if (ts_json_get(&obj, "method", &method) < 0 || method.type != TS_J_STR) {
		sim_bad_input(NULL);
		bn_reply_error(c, 1, "Invalid request: missing method", has_id ? &id : NULL);
		return;
	}
	if (ts_json_str_eq(&method, "LIST_SUBSCRIPTIONS")) {
		int n = 0;
		SIM_PUTS(&b, "{\"result\":[");
		for (int i = 0; i < m->nsym; i++) {
			const struct sim_sym *s = m->sym[i];
			if (s->ex != &binance)
				continue;
			if (c->sub[i] & SIM_SUB_TRADE) {
				sim_puts(&b, n++ ? ",\"" : "\"");
				sim_puts(&b, s->lower);
				SIM_PUTS(&b, "@trade\"");
			}
			if (c->sub[i] & SIM_SUB_BOOK) {
				sim_puts(&b, n++ ? ",\"" : "\"");
				sim_puts(&b, s->lower);
				SIM_PUTS(&b, "@depth@100ms\"");
			}
		}
		SIM_PUTS(&b, "],\"id\":");
	} else if (ts_json_str_eq(&method, "SUBSCRIBE") || ts_json_str_eq(&method, "UNSUBSCRIBE")) {
		int on = ts_json_str_eq(&method, "SUBSCRIBE");
		if (ts_json_get(&obj, "params", &params) < 0 || params.type != TS_J_ARR) {
			sim_bad_input(NULL);
			bn_reply_error(c, 2, "Invalid request: params must be an array of streams",
			    has_id ? &id : NULL);
			return;
		}
		ts_json_iter(&it, &params);
		while (ts_json_next(&it, NULL, &v)) {
			size_t n;
			const char *st = ts_json_str_raw(&v, &n);
			struct sim_sym *s = NULL;
			int bit = st ? bn_stream(st, n, &s) : 0;
			if (!bit) {
				sim_bad_input(NULL);
				bn_reply_error(c, 2, "Invalid request: unknown stream name",
				    has_id ? &id : NULL);
				return;
			}
			if (!s) /* Binance accepts any symbol; nothing flows for it */
				continue;
			if (on)
				c->sub[s->idx] |= (uint8_t)bit;
			else
				c->sub[s->idx] &= (uint8_t)~bit;
		}
		if (sim_replaying() && on && !c->replaying)
			c->replaying = 1;
		SIM_PUTS(&b, "{\"result\":null,\"id\":");
	} else {
		sim_bad_input(NULL);
		bn_reply_error(c, 1, "Invalid request: unknown method", has_id ? &id : NULL);
		return;
	}
	if (has_id)
		sim_put(&b, id.p, id.n);
	else
		SIM_PUTS(&b, "null");
	SIM_PUTS(&b, "}");
	sim_send(c, b.p, b.len);
	sim_buf_free(&b);
	if (c->replaying)
		sim_replay_start(c);
}

/* /stream?streams=a@trade/b@depth (combined), /ws/a@trade/… or /ws (raw). */
static int
bn_ws_match(const char *path)
{
	int k = sim_path_match(path, "/stream");
	if (!k)
		k = sim_path_match(path, "/ws");
	if (!k)
		k = sim_path_match(path, "/ws/*");
	return k;
}

static int
bn_ws_open(struct sim_conn *c, const char *path, const char *query)
{
	struct bn_conn *x = c->xd;

	if (!strcmp(path, "/stream")) {
		size_t n = strlen(query) + 1;
		char *v = ts_xmalloc(n);
		x->combined = 1;
		if (sim_query_get(query, "streams", v, n))
			bn_sub_list(c, v);
		free(v);
	} else if (!strncmp(path, "/ws/", 4)) {
		bn_sub_list(c, path + 4);
	}
	if (sim_replaying() && (x->combined || !strncmp(path, "/ws/", 4)))
		sim_replay_start(c);
	return 0;
}

/* ---- REST ---- */

static void
bn_error(struct sim_resp *r, int status, int code, const char *msg)
{
	r->status = status;
	r->body.len = 0;
	SIM_PUTS(&r->body, "{\"code\":");
	sim_put_i64(&r->body, code);
	SIM_PUTS(&r->body, ",\"msg\":\"");
	sim_puts(&r->body, msg);
	SIM_PUTS(&r->body, "\"}");
}

/* A quote volume (price units × size units) at 8 decimals. */
static void
put_qv(struct sim_buf *b, const struct sim_sym *s, double qv)
{
	double div = 1;
	for (int i = 0; i < s->px_scale + s->qty_scale - 8; i++)
		div *= 10;
	sim_put_fix(b, (int64_t)(qv / div), 8, s->ex->digits);
}

static void
bn_symbol_info(struct sim_buf *b, const struct sim_sym *s)
{
	SIM_PUTS(b, "{\"symbol\":\"");
	sim_puts(b, s->native);
	SIM_PUTS(b, "\",\"status\":\"TRADING\",\"baseAsset\":\"");
	sim_puts(b, s->base);
	SIM_PUTS(b, "\",\"baseAssetPrecision\":8,\"quoteAsset\":\"");
	sim_puts(b, s->quote);
	SIM_PUTS(b, "\",\"quotePrecision\":8,\"quoteAssetPrecision\":8,"
	    "\"orderTypes\":[\"LIMIT\",\"LIMIT_MAKER\",\"MARKET\"],\"isSpotTradingAllowed\":true,"
	    "\"filters\":[{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"");
	sim_put_px(b, s, s->tick);
	SIM_PUTS(b, "\",\"maxPrice\":\"1000000.00000000\",\"tickSize\":\"");
	sim_put_px(b, s, s->tick);
	SIM_PUTS(b, "\"},{\"filterType\":\"LOT_SIZE\",\"minQty\":\"");
	sim_put_qty(b, s, s->step);
	SIM_PUTS(b, "\",\"maxQty\":\"9000.00000000\",\"stepSize\":\"");
	sim_put_qty(b, s, s->step);
	SIM_PUTS(b, "\"}],\"permissions\":[\"SPOT\"]}");
}

/* The symbol named by ?symbol=, or an error answer and NULL. */
static struct sim_sym *
bn_sym(struct sim_market *m, const char *query, struct sim_resp *r)
{
	char name[32];
	struct sim_sym *s;

	if (!sim_query_get(query, "symbol", name, sizeof name) || !name[0]) {
		bn_error(r, 400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
		return NULL;
	}
	if (!(s = sim_market_find(m, &binance, name)) || !strcmp(name, s->sym)) {
		bn_error(r, 400, -1121, "Invalid symbol.");
		return NULL;
	}
	return s;
}

static int
bn_limit(const char *query, int64_t def, int64_t max, int64_t *limit, struct sim_resp *r)
{
	int k = sim_query_int(query, "limit", limit);
	if (k == 0)
		*limit = def;
	if (k < 0 || *limit < 1) {
		bn_error(r, 400, -1100, "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.");
		return -1;
	}
	if (*limit > max)
		*limit = max;
	return 0;
}

static void
bn_trade_row(struct sim_buf *b, const struct sim_sym *s, const struct sim_trade *t)
{
	SIM_PUTS(b, "{\"id\":");
	sim_put_u64(b, t->id);
	SIM_PUTS(b, ",\"price\":\"");
	sim_put_px(b, s, t->px);
	SIM_PUTS(b, "\",\"qty\":\"");
	sim_put_qty(b, s, t->qty);
	SIM_PUTS(b, "\",\"quoteQty\":\"");
	put_qv(b, s, (double)t->px * (double)t->qty);
	SIM_PUTS(b, "\",\"time\":");
	sim_put_i64(b, t->ts_us / 1000);
	if (t->taker_buy)
		SIM_PUTS(b, ",\"isBuyerMaker\":false,\"isBestMatch\":true}");
	else
		SIM_PUTS(b, ",\"isBuyerMaker\":true,\"isBestMatch\":true}");
}

static const struct {
	const char *name;
	int64_t sec;
} bn_intervals[] = {
	{ "1s", 1 }, { "1m", 60 }, { "3m", 180 }, { "5m", 300 }, { "15m", 900 },
	{ "30m", 1800 }, { "1h", 3600 }, { "2h", 7200 }, { "4h", 14400 }, { "6h", 21600 },
	{ "8h", 28800 }, { "12h", 43200 }, { "1d", 86400 }, { "3d", 259200 },
	{ "1w", 604800 }, { "1M", -1 },
};

static void
bn_klines(struct sim_sym *s, const char *query, int64_t now_us, struct sim_resp *r)
{
	char iv[8];
	int64_t sec = 0, limit, from = 0, to = 0, now = now_us / 1000000;
	int hs, he;
	struct sim_candle *c;
	size_t n;

	if (!sim_query_get(query, "interval", iv, sizeof iv)) {
		bn_error(r, 400, -1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.");
		return;
	}
	for (size_t i = 0; i < sizeof bn_intervals / sizeof bn_intervals[0]; i++)
		if (!strcmp(iv, bn_intervals[i].name))
			sec = bn_intervals[i].sec;
	if (!sec) {
		bn_error(r, 400, -1120, "Invalid interval.");
		return;
	}
	if (bn_limit(query, 500, 1000, &limit, r) < 0)
		return;
	hs = sim_query_int(query, "startTime", &from);
	he = sim_query_int(query, "endTime", &to);
	if (hs < 0 || he < 0) {
		bn_error(r, 400, -1100, "Illegal characters found in a parameter.");
		return;
	}
	from = hs ? from / 1000 : 0;
	to = he ? to / 1000 : now;
	if (to > now)
		to = now;
	if (!hs) { /* the last `limit` ending at `to` */
		int64_t span = sec == -1 ? 31 * 86400 : sec;
		from = to - (limit - 1) * span - (sec == -1 ? 0 : to % (sec > 0 ? sec : 1));
		if (from < 0)
			from = 0;
	}
	c = ts_xcalloc((size_t)limit + 40, sizeof *c);
	n = sim_candles(s, sec, from, to, 1, c, (size_t)limit + 40);
	if (n > (size_t)limit) { /* months and weeks: keep the newest when no start */
		if (!hs)
			memmove(c, c + (n - (size_t)limit), (size_t)limit * sizeof *c);
		n = (size_t)limit;
	}
	r->status = 200;
	SIM_PUTS(&r->body, "[");
	for (size_t k = 0; k < n; k++) {
		const struct sim_candle *x = &c[k];
		int64_t close_ms;
		if (sec == -1)
			close_ms = (x->t + 28 * 86400) / 86400 * 86400 * 1000; /* fixed below */
		else
			close_ms = (x->t + sec) * 1000 - 1;
		if (sec == -1) {
			/* the next month's first second, minus 1 ms */
			struct sim_candle tmp[1];
			size_t m2 = sim_candles(s, -1, x->t + 1, x->t + 40 * 86400, 1, tmp, 1);
			close_ms = m2 ? tmp[0].t * 1000 - 1 : (x->t + 31 * 86400) * 1000 - 1;
		}
		if (k)
			SIM_PUTS(&r->body, ",");
		SIM_PUTS(&r->body, "[");
		sim_put_i64(&r->body, x->t * 1000);
		SIM_PUTS(&r->body, ",\"");
		sim_put_px(&r->body, s, x->o);
		SIM_PUTS(&r->body, "\",\"");
		sim_put_px(&r->body, s, x->h);
		SIM_PUTS(&r->body, "\",\"");
		sim_put_px(&r->body, s, x->l);
		SIM_PUTS(&r->body, "\",\"");
		sim_put_px(&r->body, s, x->c);
		SIM_PUTS(&r->body, "\",\"");
		sim_put_qty(&r->body, s, x->v);
		SIM_PUTS(&r->body, "\",");
		sim_put_i64(&r->body, close_ms);
		SIM_PUTS(&r->body, ",\"");
		put_qv(&r->body, s, x->qv);
		SIM_PUTS(&r->body, "\",");
		sim_put_i64(&r->body, x->n);
		SIM_PUTS(&r->body, ",\"");
		sim_put_qty(&r->body, s, x->bv);
		SIM_PUTS(&r->body, "\",\"");
		put_qv(&r->body, s, x->qbv);
		SIM_PUTS(&r->body, "\",\"0\"]");
	}
	SIM_PUTS(&r->body, "]");
	free(c);
}

static void
bn_rest(struct sim_market *m, const char *path, const char *query, int64_t now_us,
    struct sim_resp *r)
{
	struct sim_sym *s;
	int64_t limit;

	if (!strcmp(path, "/api/v3/exchangeInfo")) {
		char one[32];
		int n = 0, filter = sim_query_get(query, "symbol", one, sizeof one);
		if (filter && !(s = sim_market_find(m, &binance, one))) {
			bn_error(r, 400, -1121, "Invalid symbol.");
			return;
		}
		r->status = 200;
		SIM_PUTS(&r->body, "{\"timezone\":\"UTC\",\"serverTime\":");
		sim_put_i64(&r->body, now_us / 1000);
		SIM_PUTS(&r->body, ",\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\","
		    "\"interval\":\"MINUTE\",\"intervalNum\":1,\"limit\":6000}],"
		    "\"exchangeFilters\":[],\"symbols\":[");
		for (int i = 0; i < m->nsym; i++) {
			if (m->sym[i]->ex != &binance || (filter && strcmp(one, m->sym[i]->native)))
				continue;
			if (n++)
				SIM_PUTS(&r->body, ",");
			bn_symbol_info(&r->body, m->sym[i]);
		}
		SIM_PUTS(&r->body, "]}");
	} else if (!strcmp(path, "/api/v3/depth")) {
		if (!(s = bn_sym(m, query, r)) || bn_limit(query, 100, 5000, &limit, r) < 0)
			return;
		r->status = 200;
		SIM_PUTS(&r->body, "{\"lastUpdateId\":");
		sim_put_u64(&r->body, s->update_id);
		for (int side = 0; side < 2; side++) {
			if (side)
				SIM_PUTS(&r->body, "],\"asks\":[");
			else
				SIM_PUTS(&r->body, ",\"bids\":[");
			for (int i = 0; i < s->n[side] && i < limit; i++) {
				if (i)
					SIM_PUTS(&r->body, ",");
				SIM_PUTS(&r->body, "[\"");
				sim_put_px(&r->body, s, s->lv[side][i].px);
				SIM_PUTS(&r->body, "\",\"");
				sim_put_qty(&r->body, s, s->lv[side][i].qty);
				SIM_PUTS(&r->body, "\"]");
			}
		}
		SIM_PUTS(&r->body, "]}");
	} else if (!strcmp(path, "/api/v3/trades") || !strcmp(path, "/api/v3/historicalTrades")) {
		int64_t from = -1;
		uint64_t first;
		int n = 0;
		if (!(s = bn_sym(m, query, r)) || bn_limit(query, 500, 1000, &limit, r) < 0)
			return;
		if (!strcmp(path, "/api/v3/historicalTrades") && sim_query_int(query, "fromId", &from) < 0) {
			bn_error(r, 400, -1100, "Illegal characters found in parameter 'fromId'.");
			return;
		}
		first = from >= 0 ? (uint64_t)from :
		    s->next_trade_id - s->first_trade_id > (uint64_t)limit ?
		    s->next_trade_id - (uint64_t)limit : s->first_trade_id;
		/* ids that left the ring are gone: start at the oldest one kept */
		while (first < s->next_trade_id && !sim_trade_get(s, first))
			first++;
		r->status = 200;
		SIM_PUTS(&r->body, "[");
		for (uint64_t id = first; id < s->next_trade_id && n < limit; id++) {
			const struct sim_trade *t = sim_trade_get(s, id);
			if (!t)
				break;
			if (n++)
				SIM_PUTS(&r->body, ",");
			bn_trade_row(&r->body, s, t);
		}
		SIM_PUTS(&r->body, "]");
	} else if (!strcmp(path, "/api/v3/klines")) {
		if (!(s = bn_sym(m, query, r)))
			return;
		bn_klines(s, query, now_us, r);
	} else if (!strcmp(path, "/api/v3/ping")) {
		r->status = 200;
		SIM_PUTS(&r->body, "{}");
	} else if (!strcmp(path, "/api/v3/time")) {
		r->status = 200;
		SIM_PUTS(&r->body, "{\"serverTime\":");
		sim_put_i64(&r->body, now_us / 1000);
		SIM_PUTS(&r->body, "}");
	} else {
		bn_error(r, 404, -1000, "Unknown endpoint.");
	}
}


static int
bn_rest_match(const char *path)
{
	return sim_path_match(path, "/api/v3/*");
}

static void
bn_rest_error(struct sim_resp *r, int status)
{
	if (status == 429)
		SIM_PUTS(&r->body, "{\"code\":-1003,\"msg\":\"Too many requests; current limit of IP is 6000 request weight per 1 MINUTE.\"}");
	else
		SIM_PUTS(&r->body, "{\"code\":-1000,\"msg\":\"An unknown error occured while processing the request.\"}");
}

/* ---- faults ---- */

/* shutdown: serverShutdown, then the connection closes (Binance's notice
 * before maintenance). */
static void
bn_shutdown(double arg)
{
	char msg[64];
	int k = snprintf(msg, sizeof msg, "{\"e\":\"serverShutdown\",\"E\":%lld}",
	    (long long)(ts_now_us() / 1000));

	(void)arg;
	for (struct sim_conn *c = sim_conn_next(&binance, NULL); c; c = sim_conn_next(&binance, c)) {
		sim_send(c, msg, (size_t)k);
		sim_close_after_drain(c);
	}
}

static const struct sim_fault_def bn_faults[] = {
	{ "shutdown", 0, bn_shutdown },
	{ NULL, 0, NULL },
};

/* ---- replay ---- */

static int
bn_rec_is_book(const struct sim_rec *r)
{
	return memmem(r->data, r->len, "\"depthUpdate\"", 13) != NULL;
}

/* A raw connection gets the payload without its combined-stream wrapper. */
static void
bn_replay_send(struct sim_conn *c, const struct sim_rec *r)
{
	struct bn_conn *x = c->xd;
	struct ts_jval obj, data;

	if (!x->combined && ts_json_parse(r->data, r->len, &obj, NULL) == 0 &&
	    ts_json_get(&obj, "data", &data) == 0 && data.type == TS_J_OBJ)
		sim_send(c, data.p, data.n);
	else
		sim_send(c, r->data, r->len);
}

/* Each recorded symbol's book starts at the depth answer its client will
 * get. */
static void
bn_truth_init(struct sim_rtruth *t, const struct sim_replay *r)
{
	for (size_t i = 0; i < r->nhttp; i++) {
		const char *q = strchr(r->http[i].target, '?');
		const struct sim_rec *rec;
		struct ts_jval doc, v;
		struct sim_rsym *s;
		char query[96], sym[40];
		size_t n;

		if (strncmp(r->http[i].target, "/api/v3/depth?", 14) || !q ||
		    !sim_query_get(q + 1, "symbol", sym, sizeof sym) || (n = strlen(sym)) >= 32)
			continue;
		snprintf(query, sizeof query, "symbol=%s&limit=1000", sym);
		if (!(rec = sim_replay_http(r, "/api/v3/depth", query)) ||
		    !(s = sim_rtruth_sym(t, sym, n)) || s->have_book)
			continue;
		if (ts_json_parse(rec->data, rec->len, &doc, NULL) < 0 ||
		    ts_json_get_i64(&doc, "lastUpdateId", &s->last_u) < 0 ||
		    ts_json_get(&doc, "bids", &v) < 0 || sim_book_pairs(&s->book, TS_BID, &v) < 0 ||
		    ts_json_get(&doc, "asks", &v) < 0 || sim_book_pairs(&s->book, TS_ASK, &v) < 0) {
			ts_book_clear(&s->book);
			t->bad++;
			continue;
		}
		s->have_book = 1;
	}
}

static int
bn_truth_apply(struct sim_rtruth *t, const struct ts_jval *msg)
{
	struct ts_jval d, e, sym, v;
	struct sim_rsym *s;
	const char *p;
	size_t n;
	int64_t u, id;

	if (ts_json_get(msg, "data", &d) < 0)
		d = *msg;
	if (d.type != TS_J_OBJ || ts_json_get(&d, "e", &e) < 0)
		return 0; /* answers to requests and the like */
	if (ts_json_get(&d, "s", &sym) < 0 || !(p = ts_json_str_raw(&sym, &n)))
		return -1;
	if (ts_json_str_eq(&e, "trade")) {
		if (ts_json_get_i64(&d, "t", &id) < 0 || !(s = sim_rtruth_sym(t, p, n)))
			return -1;
		sim_rtruth_trade(s, id);
	} else if (ts_json_str_eq(&e, "depthUpdate")) {
		if (ts_json_get_i64(&d, "u", &u) < 0 || !(s = sim_rtruth_sym(t, p, n)))
			return -1;
		if (!s->have_book || u <= s->last_u)
			return 0;
		if (ts_json_get(&d, "b", &v) < 0 || sim_book_pairs(&s->book, TS_BID, &v) < 0 ||
		    ts_json_get(&d, "a", &v) < 0 || sim_book_pairs(&s->book, TS_ASK, &v) < 0)
			return -1;
		s->last_u = u;
	}
	return 0;
}


static struct sim_ex binance = {
	.name = "binance",
	.symbols = "BTC-USDT,ETH-USDT",
	.profile = &bn_profile,
	.digits = 8,
	.trade_id_base = 100000000,
	.native = bn_native,
	.lot = bn_lot,
	.conn_size = sizeof(struct bn_conn),
	.ws_match = bn_ws_match,
	.ws_open = bn_ws_open,
	.ws_receive = bn_receive,
	.ws_ping = 1,
	.send_book = bn_send_book,
	.send_trades = bn_send_trades,
	.rest_match = bn_rest_match,
	.rest = bn_rest,
	.rest_error = bn_rest_error,
	.snapshot_path = "/api/v3/depth",
	.malformed = "{\"e\":\"depthUpdate\",\"E\":16339985,\"s\":",
	.faults = bn_faults,
	.rec_is_book = bn_rec_is_book,
	.replay_send = bn_replay_send,
	.truth_init = bn_truth_init,
	.truth_apply = bn_truth_apply,
};
SIM_EX_REGISTER(binance)
