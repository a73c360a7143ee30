/* sim_rest.c: ts-sim's REST endpoints: Coinbase products/candles/ticker, Binance exchangeInfo/depth/trades/klines */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sim.h"

int
sim_query_get(const char *query, const char *name, char *buf, size_t n)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
		if ((size_t)(end - p) > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			size_t vl = (size_t)(end - p) - nl - 1;
			if (n == 0)
				return 1;
			if (vl >= n)
				vl = n - 1;
			memcpy(buf, p + nl + 1, vl);
			buf[vl] = '\0';
			return 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

/* A whole decimal number parameter: 1 and *v, 0 when absent, -1 when bad. */
static int
q_int(const char *query, const char *name, int64_t *v)
{
	char buf[32], *end;

	if (!sim_query_get(query, name, buf, sizeof buf))
		return 0;
	if (!buf[0])
		return -1;
	*v = strtoll(buf, &end, 10);
	return *end ? -1 : 1;
}

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

/* A quote volume (price units × size units) at 8 decimals. */
static void
put_qv(struct sim_buf *b, const struct sim_sym *s, double qv)
{
	double div = 1;
	for (int i = 0; i < s->px_scale + s->qty_scale - 8; i++)
		div *= 10;
	sim_put_fix(b, (int64_t)(qv / div), 8, s->ex == SIM_BINANCE ? 8 : -1);
}

/* ---- Coinbase ---- */

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
	if (q_int(query, "start", &start) != 1 || q_int(query, "end", &end) != 1 || end < start) {
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

	if (q_int(query, "limit", &limit) < 0 || limit < 1) {
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
coinbase(struct sim_market *m, const char *path, const char *query, int64_t now_us,
    struct sim_resp *r)
{
	static const char pfx[] = "/api/v3/brokerage/market/products";
	const char *rest = path + sizeof pfx - 1, *slash;
	char id[32];
	struct sim_sym *s;

	if (!strcmp(rest, "") || !strcmp(rest, "/")) {
		int n = 0;
		r->status = 200;
		SIM_PUTS(&r->body, "{\"products\":[");
		for (int i = 0; i < m->nsym; i++) {
			if (m->sym[i]->ex != SIM_COINBASE)
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
	if (!(s = sim_market_find(m, SIM_COINBASE, id))) {
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

/* ---- Binance ---- */

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
	if (!(s = sim_market_find(m, SIM_BINANCE, name)) || !strcmp(name, s->sym)) {
		bn_error(r, 400, -1121, "Invalid symbol.");
		return NULL;
	}
	return s;
}

static int
bn_limit(const char *query, int64_t def, int64_t max, int64_t *limit, struct sim_resp *r)
{
	int k = q_int(query, "limit", limit);
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
	hs = q_int(query, "startTime", &from);
	he = q_int(query, "endTime", &to);
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
binance(struct sim_market *m, const char *path, const char *query, int64_t now_us,
    struct sim_resp *r)
{
	struct sim_sym *s;
	int64_t limit;

	if (!strcmp(path, "/api/v3/exchangeInfo")) {
		char one[32];
		int n = 0, filter = sim_query_get(query, "symbol", one, sizeof one);
		if (filter && !(s = sim_market_find(m, SIM_BINANCE, one))) {
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
			if (m->sym[i]->ex != SIM_BINANCE || (filter && strcmp(one, m->sym[i]->native)))
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
		r->is_depth = 1;
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
		if (!strcmp(path, "/api/v3/historicalTrades") && q_int(query, "fromId", &from) < 0) {
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

void
sim_rest(struct sim_market *m, unsigned enabled, const char *path, const char *query,
    int64_t now_us, struct sim_resp *r)
{
	r->body.len = 0;
	r->retry_after = 0;
	r->is_depth = 0;
	if (!query)
		query = "";
	if (!strncmp(path, "/api/v3/brokerage/market/products", 33) &&
	    (enabled & (1u << SIM_COINBASE))) {
		coinbase(m, path, query, now_us, r);
	} else if (!strncmp(path, "/api/v3/", 8) && strncmp(path, "/api/v3/brokerage", 17) &&
	    (enabled & (1u << SIM_BINANCE))) {
		binance(m, path, query, now_us, r);
	} else {
		r->status = 404;
		SIM_PUTS(&r->body, "{\"error\":\"NOT_FOUND\",\"message\":\"no such endpoint\"}");
	}
}
