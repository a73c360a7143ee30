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
	int64_t last_ts;   /* time of the last trade published, 0 none */
	int64_t bf_before; /* the backfill stops before this trade id */
	int bf_pages;
};

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

static void
kr_free_sym(struct fsym *s)
{
	free(s->xd);
	s->xd = NULL;
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

static size_t
put_u64(char *b, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (size_t i = 0; i < n; i++)
		b[i] = tmp[n - 1 - i];
	return n;
}

/* d as the integer of its digits at prec fraction digits (its own when
 * prec < 0), written at b; 0 when it does not fit. */
static size_t
put_fixed(char *b, struct ts_dec d, int prec)
{
	int64_t v;

	if (ts_dec_to_fixed(d, prec < 0 ? d.scale : prec, &v) < 0 || v < 0)
		return 0;
	return put_u64(b, (uint64_t)v);
}

int
kraken_checksum(const struct ts_book *b, int pprec, int qprec, uint32_t *out)
{
	char buf[2 * 10 * 2 * 20];
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
		ts_jw_ki64(&w, "depth", KRAKEN_DEPTH);
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

/* Apply [{"price":…,"qty":…},…] to side sd of s: 0, or -1 when malformed. */
static int
apply_levels(struct feed *f, struct fsym *s, const struct ts_jval *arr, enum ts_side sd)
{
	static const char *const keys[] = { "price", "qty" };
	struct ts_jiter it;
	struct ts_jval lv, m[2];

	if (arr->type != TS_J_ARR)
		return -1;
	ts_json_iter(&it, arr);
	while (ts_json_vnext(&it, NULL, &lv)) {
		struct ts_dec dpx, dqty;
		if (lv.type != TS_J_OBJ || members(&lv, keys, 2, m) != 3 ||
		    ts_json_dec(&m[0], &dpx) || ts_json_dec(&m[1], &dqty) || dpx.m <= 0 ||
		    feed_level(f, s, sd, dpx, dqty) < 0)
			return -1;
	}
	return 0;
}

/* Kraken sends no removal for a level an update pushes out of the
 * subscribed depth: drop it here, and say so in the delta published. */
static void
trim(struct feed *f, struct fsym *s)
{
	static const struct ts_dec zero = { 0, 0 };

	for (int sd = 0; sd < 2; sd++)
		while (s->book.n[sd] > KRAKEN_DEPTH) {
			struct ts_dec px = ts_book_at(&s->book, (enum ts_side)sd, KRAKEN_DEPTH)->px;
			feed_level(f, s, (enum ts_side)sd, px, zero);
		}
}

/* One element of a book message's data: {"symbol":…,"bids":[…],"asks":[…],
 * "checksum":N,"timestamp":…}. The checksum is verified after every
 * message, snapshot or update, once its levels are applied and the book
 * truncated; a mismatch resyncs that symbol and publishes nothing of it. */
static int
on_book(struct feed *f, const struct ts_jval *d, int snap, int64_t rt)
{
	static const char *const keys[] = { "symbol", "bids", "asks", "checksum", "timestamp" };
	enum { SYM, BIDS, ASKS, CS, TM };
	struct ts_jval m[5];
	struct fsym *s;
	struct kr_sym *x;
	const char *p;
	size_t n;
	int64_t want, ts = 0;
	uint32_t got_cs;
	unsigned got;

	if (d->type != TS_J_OBJ)
		return -1;
	got = members(d, keys, 5, m);
	if ((got & 15) != 15 || !(p = ts_json_str_raw(&m[SYM], &n)) ||
	    ts_json_i64(&m[CS], &want) < 0 || want < 0 || want > UINT32_MAX)
		return -1;
	s = feed_sym_native(f, p, n);
	if (!s || !(s->want & CH_BOOK))
		return 0;
	if (!snap && s->bstate != BOOK_LIVE)
		return 0; /* waiting for the snapshot */
	x = ks(s);
	if (snap)
		feed_snap_begin(f, s);
	else
		feed_delta_begin(f, s);
	if (apply_levels(f, s, &m[BIDS], TS_BID) < 0 || apply_levels(f, s, &m[ASKS], TS_ASK) < 0) {
		/* part of it may be applied: the book cannot be trusted */
		f->in_delta = 0;
		feed_book_resync(f, s, "malformed update");
		return -1;
	}
	if (snap)
		ts_book_truncate(&s->book, KRAKEN_DEPTH);
	else
		trim(f, s);
	if (kraken_checksum(&s->book, x->p.pprec, x->p.qprec, &got_cs) < 0 ||
	    got_cs != (uint32_t)want) {
		char detail[96];
		f->in_delta = 0;
		snprintf(detail, sizeof detail, "%s: checksum mismatch", s->sym);
		feed_status(f, NULL, "checksum_mismatch", detail);
		feed_book_resync(f, s, "checksum mismatch");
		return 0;
	}
	if (got & 1u << TM)
		ts = feed_rfc3339(&m[TM]);
	if (!ts)
		ts = rt;
	if (snap)
		feed_snap_end(f, s, ts, rt);
	else
		feed_delta_end(f, s, ts, rt);
	return 0;
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
		while (ts_json_vnext(&it, NULL, &d))
			if (on_book(f, &d, snap, rt) < 0)
				r = -1;
		return r;
	}
	if (ts_json_str_eq(&ch, "trade")) {
		if (snap < 0 || ts_json_mget(m, nm, "data", &data) < 0 || data.type != TS_J_ARR)
			return -1;
		return on_trades(f, &data, rt);
	}
	return 0; /* a channel we did not ask for */
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
	.free_sym = kr_free_sym,
};
EX_REGISTER(kraken)
