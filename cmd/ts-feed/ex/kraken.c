/* kraken.c: ts-feed adapter for Kraken spot, websocket v2 (book with CRC32 checksums, trade, heartbeat) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ex.h"
#include "crc32.h"
#include "kraken.h"
#include "log.h"
#include "tm.h"

/* A ping this often keeps the connection well inside Kraken's idle limit
 * (the heartbeats it sends every second do not count as our traffic). */
#define PING_US (30 * TS_US_PER_SEC)
/* Symbols one subscribe request names. */
#define SUB_BATCH 50
/* Pages of 1000 trades one backfill may fetch before reporting the rest. */
#define BACKFILL_PAGES 10

/* What AssetPairs says of a pair, by its websocket v2 name ("BTC/USD"). */
struct kr_pair {
	char rest[32];    /* REST's name, the altname: XBTUSD */
	int pprec, qprec; /* pair_decimals, lot_decimals; -1 unknown */
};
static struct ts_map pairs; /* native -> struct kr_pair * */

struct kr_sym {
	struct kr_pair p;
	uint32_t cs;       /* the checksum of the book's ten best levels */
	int cs_ok;         /* cs is the book's (0 after a snapshot began) */
	int64_t last_ts;   /* time of the last trade published, 0 none */
	int64_t bf_before; /* the backfill stops before this trade id */
	int bf_pages;
};

/* The options (-o NAME=VALUE), in f->conf. */
struct kr_conf {
	int depth; /* depth=N: book levels subscribed and kept */
};

static size_t
depth_of(const struct feed *f)
{
	const struct kr_conf *c = f->conf;

	return c && c->depth ? (size_t)c->depth : KRAKEN_DEPTH;
}

static int
kr_option(struct feed *f, const char *name, const char *value, const char **why)
{
	static const char *const depths[] = { "10", "25", "100", "500", "1000" };
	struct kr_conf *c;

	if (strcmp(name, "depth")) {
		*why = "kraken takes depth=10|25|100|500|1000";
		return -1;
	}
	for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++)
		if (!strcmp(value, depths[i])) {
			if (!f->conf)
				f->conf = ts_xcalloc(1, sizeof(struct kr_conf));
			c = f->conf;
			c->depth = atoi(value);
			return 0;
		}
	*why = "depth is one of Kraken's: 10, 25, 100, 500 or 1000";
	return -1;
}

static int64_t last_ping; /* rt of the last ping (or of the connection's first message) */
static unsigned long req_id;

static struct kr_sym *
ks(struct fsym *s)
{
	if (!s->xd) {
		struct kr_sym *k = ts_xcalloc(1, sizeof *k);
		struct ts_map_entry *e = ts_map_get(&pairs, s->native);
		if (e)
			k->p = *(struct kr_pair *)e->v.p;
		else
			k->p.pprec = k->p.qprec = -1;
		s->xd = k;
	}
	return s->xd;
}

/* The members of obj (in validated text) named keys[0..n), the first of
 * each, into out[i]: returns the bits (1 << i) of those found. */
static unsigned
members(const struct ts_jval *obj, const char *const *keys, int n, struct ts_jval *out)
{
	struct ts_jiter it;
	struct ts_jval k, v;
	unsigned got = 0;

	ts_json_iter(&it, obj);
	while (ts_json_vnext(&it, &k, &v))
		for (int i = 0; i < n; i++)
			if (!(got & 1u << i) && k.n == strlen(keys[i]) + 2 &&
			    !memcmp(k.p + 1, keys[i], k.n - 2)) {
				out[i] = v;
				got |= 1u << i;
				break;
			}
	return got;
}

/* checksums */

/* d as the integer of its digits at prec fraction digits (its own when
 * prec < 0), written at b (TS_DEC_STRLEN bytes of room); 0 when it does
 * not fit. */
static size_t
put_fixed(char *b, struct ts_dec d, int prec)
{
	int64_t v = d.m;

	/* the usual case: the text has the pair's digits */
	if (prec >= 0 && d.scale != prec && ts_dec_to_fixed(d, prec, &v) < 0)
		return 0;
	return v > 0 ? ts_dec_fmt((struct ts_dec){ v, 0 }, b, TS_DEC_STRLEN) : 0;
}

int
kraken_checksum(const struct ts_book *b, int pprec, int qprec, uint32_t *out)
{
	char buf[2 * 10 * 2 * 20 + TS_DEC_STRLEN];
	size_t n = 0;

	for (int k = 0; k < 2; k++) {
		struct ts_book_it it = ts_book_iter(b, k ? TS_BID : TS_ASK);
		const struct ts_level *l;
		for (int i = 0; i < 10 && (l = ts_book_next(&it)); i++) {
			size_t a = put_fixed(buf + n, l->px, pprec), c;
			if (!a || !(c = put_fixed(buf + n + a, l->qty, qprec)))
				return -1;
			n += a + c;
		}
	}
	*out = ts_crc32(0, buf, n);
	return 0;
}

/* requests */

/* End the request being written in w with its req_id, send it, free w. */
static void
send_req(struct feed *f, struct ts_jw *w)
{
	ts_jw_key(w, "req_id");
	ts_jw_u64(w, ++req_id);
	ts_jw_obj_end(w);
	f->ops.ws_send(f->ops.ctx, w->buf, w->len);
	ts_jw_free(w);
}

/* {"method":…,"params":{"channel":…,"symbol":[…],("depth":…,)"snapshot":true},"req_id":…} */
static void
send_sub(struct feed *f, const char *method, int ch, struct fsym **v, size_t n)
{
	struct ts_jw w = { 0 };
	int on = !strcmp(method, "subscribe");

	ts_jw_obj(&w);
	ts_jw_kstr(&w, "method", method);
	ts_jw_key(&w, "params");
	ts_jw_obj(&w);
	ts_jw_kstr(&w, "channel", ch == CH_BOOK ? "book" : "trade");
	ts_jw_key(&w, "symbol");
	ts_jw_arr(&w);
	for (size_t i = 0; i < n; i++)
		ts_jw_str(&w, v[i]->native);
	ts_jw_arr_end(&w);
	if (ch == CH_BOOK)
		ts_jw_ki64(&w, "depth", (int64_t)depth_of(f));
	if (on)
		/* the trade snapshot of a new connection shows what was missed */
		ts_jw_kbool(&w, "snapshot", 1);
	ts_jw_obj_end(&w);
	send_req(f, &w);
}

static void
kr_ws_path(struct feed *f, char *buf, size_t n)
{
	(void)f;
	snprintf(buf, n, "/v2");
}

static void
kr_on_connect(struct feed *f)
{
	struct fsym **v = ts_xcalloc(SUB_BATCH, sizeof *v);

	last_ping = 0;
	for (int ch = CH_TRADES; ch <= CH_BOOK; ch <<= 1) {
		size_t n = 0;
		for (size_t i = 0; i <= f->nsym; i++) {
			if (n && (i == f->nsym || n == SUB_BATCH)) {
				send_sub(f, "subscribe", ch, v, n);
				n = 0;
			}
			if (i < f->nsym && (f->symv[i]->want & ch))
				v[n++] = f->symv[i];
		}
	}
	free(v);
}

static void
kr_channel(struct feed *f, struct fsym *s, int ch, int on)
{
	send_sub(f, on ? "subscribe" : "unsubscribe", ch, &s, 1);
}

/* A book out of sync (a checksum mismatch, a crossed or malformed update)
 * is rebuilt by subscribing its book again, which brings a new snapshot
 * and leaves every other symbol and the connection alone. Its updates are
 * ignored until that snapshot (the book is syncing). */
static void
kr_book_resync(struct feed *f, struct fsym *s)
{
	send_sub(f, "unsubscribe", CH_BOOK, &s, 1);
	send_sub(f, "subscribe", CH_BOOK, &s, 1);
}

/* books */

/* A book message's element, read before anything is applied. */
struct kr_lv {
	struct ts_dec px, qty;
	enum ts_side side;
};
struct kr_book {
	struct ts_jval sym, tm; /* tm.p NULL: no timestamp */
	int64_t checksum;
	size_t from, to;        /* its levels in lvs[] */
};
static struct kr_lv *lvs;
static size_t nlvs, caplvs;

static int
add_level(enum ts_side side, const struct ts_jval *px, const struct ts_jval *qty)
{
	struct kr_lv *l;

	ts_xgrow((void **)&lvs, &caplvs, nlvs + 1, sizeof *lvs);
	l = &lvs[nlvs];
	if (ts_json_dec(px, &l->px) || ts_json_dec(qty, &l->qty) || l->px.m <= 0 || l->qty.m < 0)
		return -1;
	l->side = side;
	nlvs++;
	return 0;
}

/* [{"price":…,"qty":…},…] of side sd into lvs: 0, or -1 when malformed. */
static int
read_levels(const struct ts_jval *arr, enum ts_side sd)
{
	static const char *const keys[] = { "price", "qty" };
	struct ts_jiter it;
	struct ts_jval lv, m[2];

	if (arr->type != TS_J_ARR)
		return -1;
	ts_json_iter(&it, arr);
	while (ts_json_vnext(&it, NULL, &lv))
		if (lv.type != TS_J_OBJ || members(&lv, keys, 2, m) != 3 ||
		    add_level(sd, &m[0], &m[1]) < 0)
			return -1;
	return 0;
}

/* {"symbol":…,"bids":[…],"asks":[…],"checksum":N,"timestamp":…} (in
 * validated text) into b and lvs: 0, or -1 when malformed. */
static int
read_book(const struct ts_jval *d, struct kr_book *b)
{
	static const char *const keys[] = { "symbol", "bids", "asks", "checksum", "timestamp" };
	enum { SYM, BIDS, ASKS, CS, TM };
	struct ts_jval m[5];
	unsigned got;

	if (d->type != TS_J_OBJ)
		return -1;
	got = members(d, keys, 5, m);
	b->from = nlvs;
	if ((got & 15) != 15 || m[SYM].type != TS_J_STR || ts_json_i64(&m[CS], &b->checksum) < 0 ||
	    read_levels(&m[BIDS], TS_BID) < 0 || read_levels(&m[ASKS], TS_ASK) < 0)
		return -1;
	b->to = nlvs;
	b->sym = m[SYM];
	b->tm = got & 1u << TM ? m[TM] : (struct ts_jval){ 0 };
	return 0;
}

/* Kraken sends no removal for a level an update pushes out of the
 * subscribed depth: drop it here, and say so in the delta published. */
static void
trim(struct feed *f, struct fsym *s)
{
	static const struct ts_dec zero = { 0, 0 };
	size_t depth = depth_of(f);

	for (int sd = 0; sd < 2; sd++)
		while (s->book.n[sd] > depth) {
			struct ts_dec px = ts_book_at(&s->book, (enum ts_side)sd, depth)->px;
			feed_level(f, s, (enum ts_side)sd, px, zero);
		}
}

/* Can changes at best (the best price changed on side sd, m 0: none)
 * have touched the ten best levels of the book as it is now? Only when
 * best is among them (or the side has no more than ten): changes all
 * below the tenth leave the ten as they were, and the checksum too. */
static int
top_touched(const struct ts_book *b, enum ts_side sd, struct ts_dec best)
{
	const struct ts_level *tenth;

	if (!best.m)
		return 0;
	if (b->n[sd] <= 10 || !(tenth = ts_book_at(b, sd, 9)))
		return 1;
	return sd == TS_BID ? ts_dec_cmp(best, tenth->px) >= 0 : ts_dec_cmp(best, tenth->px) <= 0;
}

/* Apply one element of a book message. The checksum is verified after
 * every message, snapshot or update, once its levels are applied and the
 * book truncated; a mismatch resyncs that symbol and publishes nothing of
 * it. */
static int
apply_book(struct feed *f, const struct kr_book *b, int snap, int64_t rt)
{
	struct ts_dec best[2] = { { 0, 0 }, { 0, 0 } };
	struct fsym *s;
	struct kr_sym *x;
	int64_t ts = 0;

	if (b->checksum < 0 || b->checksum > UINT32_MAX)
		return -1;
	s = feed_sym_native(f, b->sym.p + 1, b->sym.n - 2);
	if (!s || !(s->want & CH_BOOK))
		return 0;
	if (!snap && s->bstate != BOOK_LIVE)
		return 0; /* waiting for the snapshot */
	x = ks(s);
	if (snap)
		feed_snap_begin(f, s);
	else
		feed_delta_begin(f, s);
	for (size_t i = b->from; i < b->to; i++) {
		const struct kr_lv *l = &lvs[i];
		feed_level(f, s, l->side, l->px, l->qty);
		if (!best[l->side].m || (ts_dec_cmp(l->px, best[l->side]) > 0) == (l->side == TS_BID))
			best[l->side] = l->px;
	}
	if (snap)
		ts_book_truncate(&s->book, depth_of(f));
	else
		trim(f, s);
	/* an update below the ten best leaves the checksum as it was */
	if (snap || !x->cs_ok || top_touched(&s->book, TS_BID, best[TS_BID]) ||
	    top_touched(&s->book, TS_ASK, best[TS_ASK]))
		x->cs_ok = kraken_checksum(&s->book, x->p.pprec, x->p.qprec, &x->cs) == 0;
	if (!x->cs_ok || x->cs != (uint32_t)b->checksum) {
		char detail[96];
		f->in_delta = 0;
		snprintf(detail, sizeof detail, "%s: checksum mismatch", s->sym);
		feed_status(f, NULL, "checksum_mismatch", detail);
		feed_book_resync(f, s, "checksum mismatch");
		return 0;
	}
	if (b->tm.p)
		ts = feed_rfc3339(&b->tm);
	if (!ts)
		ts = rt;
	if (snap)
		feed_snap_end(f, s, ts, rt);
	else
		feed_delta_end(f, s, ts, rt);
	return 0;
}

/* The hot path: the usual book message, {"channel":"book","type":"update",
 * "data":[{"symbol":"BTC/USD","bids":[{"price":N,"qty":N},…],"asks":[…],
 * "checksum":N,"timestamp":"…"}]}, read and validated in one pass. Any
 * other shape (another channel, a repeated member, a level the general
 * path would refuse, more than one element) returns 0 untouched and the
 * general path reads the message, so what this accepts it handles exactly
 * as that path would. Otherwise 1, with *ret what kr_on_message returns. */
static int
fast_levels(struct ts_jrd *r, enum ts_side side)
{
	int more;

	for (more = ts_jrd_open(r, '['); more == 1; more = ts_jrd_sep(r, ']')) {
		struct ts_jval k, v, px, qty;
		int got = 0, m;
		if (ts_jrd_open(r, '{') != 1)
			return -1;
		do {
			int bit;
			if (ts_jrd_key(r, &k) < 0 || ts_jrd_value(r, &v) < 0)
				return -1;
			bit = TS_JSON_KEY_IS(&k, "price") ? 1 : TS_JSON_KEY_IS(&k, "qty") ? 2 : 0;
			if (got & bit)
				return -1;
			got |= bit;
			if (bit == 1)
				px = v;
			else if (bit == 2)
				qty = v;
		} while ((m = ts_jrd_sep(r, '}')) == 1);
		if (m < 0 || got != 3 || add_level(side, &px, &qty) < 0)
			return -1;
	}
	return more;
}

static int
fast_book(struct feed *f, const char *p, size_t n, int64_t rt, int *ret)
{
	struct ts_jrd r;
	struct ts_jval k, v;
	struct kr_book b = { 0 };
	int got = 0, more, snap = 0, nel = 0;

	nlvs = 0;
	ts_jrd_init(&r, p, n);
	if (ts_jrd_open(&r, '{') != 1)
		return 0;
	do {
		if (ts_jrd_key(&r, &k) < 0)
			return 0;
		if (TS_JSON_KEY_IS(&k, "channel")) {
			if ((got & 1) || ts_jrd_str(&r, &v) < 0 || !ts_json_str_eq(&v, "book"))
				return 0;
			got |= 1;
		} else if (TS_JSON_KEY_IS(&k, "type")) {
			if ((got & 2) || ts_jrd_str(&r, &v) < 0)
				return 0;
			if (ts_json_str_eq(&v, "update"))
				snap = 0;
			else if (ts_json_str_eq(&v, "snapshot"))
				snap = 1;
			else
				return 0;
			got |= 2;
		} else if (TS_JSON_KEY_IS(&k, "data")) {
			if ((got & 4) || ts_jrd_open(&r, '[') != 1 || ts_jrd_open(&r, '{') != 1)
				return 0;
			got |= 4;
			b.from = nlvs;
			do {
				if (ts_jrd_key(&r, &k) < 0)
					return 0;
				if (TS_JSON_KEY_IS(&k, "symbol")) {
					if ((got & 8) || ts_jrd_str(&r, &b.sym) < 0)
						return 0;
					got |= 8;
				} else if (TS_JSON_KEY_IS(&k, "bids") || TS_JSON_KEY_IS(&k, "asks")) {
					int bid = k.p[1] == 'b', bit = bid ? 16 : 32;
					if ((got & bit) || fast_levels(&r, bid ? TS_BID : TS_ASK) < 0)
						return 0;
					got |= bit;
				} else if (TS_JSON_KEY_IS(&k, "checksum")) {
					if ((got & 64) || ts_jrd_int(&r, &b.checksum) < 0)
						return 0;
					got |= 64;
				} else if (TS_JSON_KEY_IS(&k, "timestamp")) {
					if ((got & 128) || ts_jrd_str(&r, &b.tm) < 0)
						return 0;
					got |= 128;
				} else if (ts_jrd_value(&r, &v) < 0) {
					return 0;
				}
			} while ((more = ts_jrd_sep(&r, '}')) == 1);
			b.to = nlvs;
			nel = 1;
			if (more < 0 || ts_jrd_sep(&r, ']') != 0)
				return 0; /* another element: the general path */
		} else if (ts_jrd_value(&r, &v) < 0) {
			return 0;
		}
	} while ((more = ts_jrd_sep(&r, '}')) == 1);
	if (more < 0 || ts_jrd_end(&r) < 0 || (got & 127) != 127 || !nel)
		return 0;
	*ret = apply_book(f, &b, snap, rt);
	return 1;
}

/* trades */

struct kr_trade {
	int64_t id, ts;
	struct fsym *s;
	struct ts_dec px, qty;
	char side;
};

static int
by_id(const void *a, const void *b)
{
	const struct kr_trade *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* Hand trades to the core in id order; remember the time of the last one
 * published, where a backfill's REST window starts. */
static void
publish_trades(struct feed *f, struct kr_trade *v, size_t n, int64_t rt, int backfill)
{
	if (n > 1)
		qsort(v, n, sizeof *v, by_id);
	for (size_t i = 0; i < n; i++) {
		struct fsym *s = v[i].s;
		if (feed_trade(f, s, v[i].id, v[i].px, v[i].qty, v[i].side, v[i].ts, rt, backfill))
			ks(s)->last_ts = v[i].ts;
	}
}

/* [{"symbol":"BTC/USD","side":"buy","price":…,"qty":…,"ord_type":"market",
 * "trade_id":N,"timestamp":"…"},…]: side is the taker's */
static int
on_trades(struct feed *f, const struct ts_jval *data, int64_t rt)
{
	static struct kr_trade *v;
	static size_t cap;
	static const char *const keys[] = { "symbol", "side", "price", "qty", "trade_id",
		"timestamp" };
	enum { SYM, SIDE, PX, QTY, ID, TM };
	struct ts_jiter it;
	struct ts_jval t, m[6];
	size_t n = 0;
	int bad = 0;

	ts_json_iter(&it, data);
	while (ts_json_vnext(&it, NULL, &t)) {
		struct kr_trade x;
		const char *p;
		size_t pn;
		unsigned got = 0;
		if (t.type == TS_J_OBJ)
			got = members(&t, keys, 6, m);
		if ((got & 31) != 31 || !(p = ts_json_str_raw(&m[SYM], &pn)) ||
		    ts_json_i64(&m[ID], &x.id) || ts_json_dec(&m[PX], &x.px) ||
		    ts_json_dec(&m[QTY], &x.qty) || x.px.m <= 0 || x.qty.m <= 0) {
			bad = 1;
			continue;
		}
		if (ts_json_str_eq(&m[SIDE], "buy"))
			x.side = 'b';
		else if (ts_json_str_eq(&m[SIDE], "sell"))
			x.side = 's';
		else {
			bad = 1;
			continue;
		}
		if (!(x.s = feed_sym_native(f, p, pn)) || !(x.s->want & CH_TRADES))
			continue;
		x.ts = got & 1u << TM ? feed_rfc3339(&m[TM]) : 0;
		if (!x.ts)
			x.ts = rt;
		ts_xgrow((void **)&v, &cap, n + 1, sizeof *v);
		v[n++] = x;
	}
	publish_trades(f, v, n, rt, 0);
	return bad ? -1 : 0;
}

/* Kraken's REST times: seconds with up to nine fraction digits. */
static int64_t
secs_to_us(struct ts_dec d)
{
	int64_t v = d.m;

	if (d.m <= 0)
		return 0;
	for (int32_t s = d.scale; s > 6; s--)
		v /= 10;
	for (int32_t s = d.scale; s < 6; s++) {
		if (v > INT64_MAX / 10)
			return 0;
		v *= 10;
	}
	return v;
}

static void
request_backfill(struct feed *f, struct fsym *s, const char *since)
{
	struct kr_sym *x = ks(s);
	char path[200];

	x->bf_pages++;
	snprintf(path, sizeof path, "/0/public/Trades?pair=%s&since=%s&count=1000",
	    x->p.rest, since);
	f->ops.rest_get(f->ops.ctx, s, REST_BACKFILL, path);
}

/* REST Trades takes a time, not an id: the window opens at the last
 * published trade (the core drops what it has already published, and
 * what the live stream holds). */
static void
kr_backfill(struct feed *f, struct fsym *s, int64_t after_id, int64_t before_id)
{
	struct kr_sym *x = ks(s);
	char since[32];

	(void)after_id;
	if (!x->last_ts || !x->p.rest[0]) {
		feed_backfill_done(f, s); /* nothing to start from: the gap is reported */
		return;
	}
	x->bf_pages = 0;
	x->bf_before = before_id;
	snprintf(since, sizeof since, "%lld", (long long)(x->last_ts - 1) * 1000);
	request_backfill(f, s, since);
}

/* {"error":[],"result":{"XXBTZUSD":[["30243.40000","0.34507674",1688669597.8277369,
 * "b","m","",61044952],…],"last":"1688671969993150842"}} */
static void
on_backfill(struct feed *f, struct fsym *s, const char *body, size_t n, int64_t rt)
{
	static struct kr_trade *v;
	static size_t cap;
	struct kr_sym *x = ks(s);
	struct ts_jval doc, err, res, k, rows = { 0 }, last = { 0 }, row, fld[7];
	struct ts_jiter it;
	char since[32];
	size_t nv = 0;
	int64_t maxid = -1;

	if (ts_json_parse(body, n, &doc, NULL) < 0 || ts_json_get(&doc, "result", &res) ||
	    res.type != TS_J_OBJ) {
		if (ts_json_parse(body, n, &doc, NULL) == 0 && !ts_json_get(&doc, "error", &err) &&
		    err.type == TS_J_ARR && ts_json_len(&err)) {
			char detail[200];
			snprintf(detail, sizeof detail, "%s: trade history: %.*s", s->sym,
			    (int)(err.n > 150 ? 150 : err.n), err.p);
			ts_warn_rl(&f->rl, "kraken %s", detail);
			feed_status(f, NULL, "rest_error", detail);
		} else {
			feed_malformed(f, "trade history", body, n);
		}
		feed_backfill_done(f, s);
		return;
	}
	ts_json_iter(&it, &res);
	while (ts_json_next(&it, &k, &row)) {
		if (TS_JSON_KEY_IS(&k, "last"))
			last = row;
		else if (row.type == TS_J_ARR && !rows.p)
			rows = row;
	}
	if (rows.p) {
		ts_json_iter(&it, &rows);
		while (ts_json_next(&it, NULL, &row)) {
			struct ts_jiter jt;
			struct kr_trade t;
			struct ts_dec tm;
			size_t nf = 0;
			if (row.type == TS_J_ARR) {
				ts_json_iter(&jt, &row);
				while (nf < 7 && ts_json_next(&jt, NULL, &fld[nf]))
					nf++;
			}
			if (nf < 7 || ts_json_dec(&fld[0], &t.px) || ts_json_dec(&fld[1], &t.qty) ||
			    ts_json_dec(&fld[2], &tm) || ts_json_i64(&fld[6], &t.id) ||
			    t.px.m <= 0 || t.qty.m <= 0 ||
			    (!ts_json_str_eq(&fld[3], "b") && !ts_json_str_eq(&fld[3], "s"))) {
				feed_malformed(f, "historical trade", row.p, row.n);
				continue;
			}
			t.side = ts_json_str_eq(&fld[3], "b") ? 'b' : 's';
			t.ts = secs_to_us(tm);
			if (!t.ts)
				t.ts = rt;
			t.s = s;
			if (t.id > maxid)
				maxid = t.id;
			ts_xgrow((void **)&v, &cap, nv + 1, sizeof *v);
			v[nv++] = t;
		}
	}
	publish_trades(f, v, nv, rt, 1);
	/* more to fetch: the page was full of trades older than the gap's end */
	if (s->backfilling && nv && maxid + 1 < x->bf_before && x->bf_pages < BACKFILL_PAGES &&
	    ts_json_str(&last, since, sizeof since) > 0) {
		request_backfill(f, s, since);
		return;
	}
	feed_backfill_done(f, s);
}

static void
kr_on_rest(struct feed *f, struct fsym *s, int kind, long status, const char *body, size_t n)
{
	if (kind != REST_BACKFILL || !s->backfilling)
		return;
	if (status != 200) {
		char detail[160];
		snprintf(detail, sizeof detail, "%s: trade history answered %ld", s->sym, status);
		ts_warn_rl(&f->rl, "kraken %s", detail);
		feed_status(f, NULL, "rest_error", detail);
		feed_backfill_done(f, s);
		return;
	}
	on_backfill(f, s, body, n, ts_now_us());
}

/* messages */

static void
ping(struct feed *f)
{
	struct ts_jw w = { 0 };

	ts_jw_obj(&w);
	ts_jw_kstr(&w, "method", "ping");
	send_req(f, &w);
}

/* {"method":"subscribe","success":false,"error":"…","symbol":"…",…} */
static void
on_answer(struct feed *f, const struct ts_jmember *m, size_t nm)
{
	struct ts_jval ok, err, sym;
	char text[160], name[48] = "", detail[220];
	int success = 1;

	if (ts_json_mget(m, nm, "success", &ok) < 0 || ts_json_bool(&ok, &success) < 0 || success)
		return; /* pong, subscribe and unsubscribe acknowledgements */
	if (ts_json_mget(m, nm, "error", &err) < 0 || ts_json_str(&err, text, sizeof text) < 0)
		snprintf(text, sizeof text, "(no error text)");
	if (ts_json_mget(m, nm, "symbol", &sym) == 0)
		ts_json_str(&sym, name, sizeof name);
	snprintf(detail, sizeof detail, "%s%s%s", name, name[0] ? ": " : "", text);
	ts_warn_rl(&f->rl, "kraken reports an error: %s", detail);
	feed_status(f, NULL, "exchange_error", detail);
}

static int
kr_on_message(struct feed *f, const char *p, size_t n, int64_t rt)
{
	struct ts_jmember m[16];
	struct ts_jval msg, ch, type, data, d;
	struct ts_jiter it;
	size_t nm;
	int snap, r = 0;

	if (!last_ping)
		last_ping = rt;
	else if (rt - last_ping >= PING_US) {
		last_ping = rt;
		ping(f);
	}
	if (fast_book(f, p, n, rt, &r))
		return r;
	if (ts_json_parse_obj(p, n, &msg, m, 16, 0, &nm, NULL) < 0 || msg.type != TS_J_OBJ ||
	    nm == 16)
		return -1;
	if (ts_json_mget(m, nm, "channel", &ch) < 0) {
		if (ts_json_mget(m, nm, "method", &ch) == 0) {
			on_answer(f, m, nm);
			return 0;
		}
		return -1;
	}
	if (ts_json_str_eq(&ch, "heartbeat") || ts_json_str_eq(&ch, "status"))
		return 0;
	snap = -1;
	if (ts_json_mget(m, nm, "type", &type) == 0)
		snap = ts_json_str_eq(&type, "snapshot") ? 1 :
		    ts_json_str_eq(&type, "update") ? 0 : -1;
	if (ts_json_str_eq(&ch, "book")) {
		if (snap < 0 || ts_json_mget(m, nm, "data", &data) < 0 || data.type != TS_J_ARR)
			return -1;
		ts_json_iter(&it, &data);
		while (ts_json_vnext(&it, NULL, &d)) {
			struct kr_book b;
			nlvs = 0;
			if (read_book(&d, &b) < 0 || apply_book(f, &b, snap, rt) < 0)
				r = -1;
		}
		return r;
	}
	if (ts_json_str_eq(&ch, "trade")) {
		if (snap < 0 || ts_json_mget(m, nm, "data", &data) < 0 || data.type != TS_J_ARR)
			return -1;
		return on_trades(f, &data, rt);
	}
	return FEED_IGNORED; /* a channel we did not ask for */
}

/* instruments */

/* Kraken's REST names of two assets; websocket v2 uses the usual ones. */
static void
asset_name(char *out, size_t n, const char *p, size_t len)
{
	if (len == 3 && !memcmp(p, "XBT", 3))
		snprintf(out, n, "BTC");
	else if (len == 3 && !memcmp(p, "XDG", 3))
		snprintf(out, n, "DOGE");
	else
		snprintf(out, n, "%.*s", (int)len, p);
}

/* {"error":[],"result":{"XXBTZUSD":{"altname":"XBTUSD","wsname":"XBT/USD",
 * "base":"XXBT","quote":"ZUSD","pair_decimals":1,"lot_decimals":8,
 * "status":"online",…},…}} */
static int
kr_instruments(struct feed *f, const char *body, size_t n)
{
	struct ts_jval doc, res, k, p;
	struct ts_jiter it;
	int count = 0;

	if (ts_json_parse(body, n, &doc, NULL) < 0 || ts_json_get(&doc, "result", &res) ||
	    res.type != TS_J_OBJ)
		return -1;
	ts_json_iter(&it, &res);
	while (ts_json_next(&it, &k, &p)) {
		char ws[64], alt[32], status[32], base[32], quote[32], canon[80], native[80];
		struct ts_map_entry *e;
		struct kr_pair *kp;
		int64_t pd, ld;
		const char *slash;
		if (p.type != TS_J_OBJ || ts_json_get_str(&p, "wsname", ws, sizeof ws) <= 0 ||
		    ts_json_get_str(&p, "altname", alt, sizeof alt) <= 0 ||
		    !(slash = strchr(ws, '/')))
			continue; /* dark pools (.d) have no websocket name */
		if (ts_json_get_str(&p, "status", status, sizeof status) > 0 &&
		    !strcmp(status, "delisted"))
			continue;
		asset_name(base, sizeof base, ws, (size_t)(slash - ws));
		asset_name(quote, sizeof quote, slash + 1, strlen(slash + 1));
		snprintf(canon, sizeof canon, "%s-%s", base, quote);
		snprintf(native, sizeof native, "%s/%s", base, quote);
		if (!ts_sym_valid(canon) || strlen(native) >= sizeof ((struct fsym *)0)->native)
			continue;
		feed_instrument(f, canon, native);
		e = ts_map_put(&pairs, native, NULL);
		if (!e->v.p)
			e->v.p = ts_xcalloc(1, sizeof *kp);
		kp = e->v.p;
		snprintf(kp->rest, sizeof kp->rest, "%s", alt);
		kp->pprec = ts_json_get_i64(&p, "pair_decimals", &pd) == 0 && pd >= 0 && pd <= 18 ?
		    (int)pd : -1;
		kp->qprec = ts_json_get_i64(&p, "lot_decimals", &ld) == 0 && ld >= 0 && ld <= 18 ?
		    (int)ld : -1;
		count++;
	}
	return count ? 0 : -1;
}

static struct ex_adapter kraken = {
	.name = "kraken",
	.ws_base = "wss://ws.kraken.com",
	.rest_base = "https://api.kraken.com",
	.instruments_path = "/0/public/AssetPairs",
	.ws_msgs_per_sec = 5,      /* no fixed limit is documented: stay modest */
	.watchdog_us = 10000000,   /* heartbeats come every second */
	.max_conn_us = 0,
	.instruments = kr_instruments,
	.ws_path = kr_ws_path,
	.on_connect = kr_on_connect,
	.channel = kr_channel,
	.on_message = kr_on_message,
	.book_resync = kr_book_resync,
	.backfill = kr_backfill,
	.on_rest = kr_on_rest,
	.option = kr_option,
	.options_help = "depth=10|25|100|500|1000",
};
EX_REGISTER(kraken)
