/* bybit.c: ts-feed adapter for Bybit v5 spot and linear perpetuals (orderbook.N, publicTrade), one connection per category */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../ex.h"
#include "log.h"
#include "tm.h"

/* Bybit serves each market category on its own websocket endpoint. The
 * adapter keeps one connection per category (the core's conn_of); a
 * symbol's native name carries its category, "s.BTCUSDT" or "l.BTCUSDT",
 * because both categories call BTC-USDT and BTC-USDT-PERP "BTCUSDT". */
enum { CAT_SPOT, CAT_LINEAR, NCAT };
static const char *const cat_name[NCAT] = { "spot", "linear" };
static const char cat_tag[NCAT] = { 's', 'l' };

/* Topics one subscribe request may carry (spot's documented limit; linear
 * takes more, ten keeps both alike), and the length of all topics of one
 * connection beyond which Bybit refuses them. */
#define ARGS_PER_REQ 10
#define ARGS_CHARS_MAX 21000
/* Order book depths Bybit offers on both categories; the deepest is the
 * default. */
static const int depths[] = { 1, 50, 200, 1000 };
#define DEPTH_DEFAULT 1000
/* Resyncs of one book in a row that brought no snapshot before the
 * connection is renewed instead. */
#define RESYNC_TRIES 3
/* Live trades held while recent-trade answers; beyond this the rest is
 * published and the gap reported. */
#define HELD_MAX 100000
/* recent-trade's largest page per category. */
static const int recent_max[NCAT] = { 60, 1000 };

struct btrade {
	int64_t T, rt;        /* ms; when it was received (µs) */
	struct ts_dec px, qty;
	char side;
	int block;
	unsigned char idn;
	char id[TRADE_ID_MAX];
};

struct by_sym {
	int sub;              /* CH_ bits subscribed on the connection */
	int tries;            /* book resyncs with no snapshot since */
	/* trades: the last published time and the ids published at it, which
	 * are what a repeated trade (a reconnect, recent-trade) is told by */
	int have_last;
	int64_t last_T;
	struct btrade *at;    /* published at last_T (id only matters) */
	size_t nat, capat;
	/* after a reconnect: the first live trade starts a recent-trade fetch,
	 * and live trades wait in held until it answers */
	int check_gap, filling;
	struct btrade *held;
	size_t nheld, capheld;
	uint64_t restarts;    /* u = 1 snapshots seen while live */
};

/* The feed's own, in f->conf (which feed_free frees): the options (-o),
 * and the subscribe requests of each connection not yet answered. Trades
 * missed while away are fetched once they are all answered (so the page
 * reaches at least to where the streams start), or at the first live
 * trade, whichever comes first. */
struct by_feed {
	int depth;            /* -o depth=N; 0: DEPTH_DEFAULT */
	int acks_due[NCAT];
};

static struct by_feed *
bf(struct feed *f)
{
	if (!f->conf)
		f->conf = ts_xcalloc(1, sizeof(struct by_feed));
	return f->conf;
}

static struct by_sym *
bs(struct fsym *s)
{
	if (!s->xd)
		s->xd = ts_xcalloc(1, sizeof(struct by_sym));
	return s->xd;
}

static void
by_free_sym(struct fsym *s)
{
	struct by_sym *b = s->xd;

	if (!b)
		return;
	free(b->at);
	free(b->held);
	free(b);
	s->xd = NULL;
}

static int
cat_of(const struct fsym *s)
{
	return s->native[0] == cat_tag[CAT_LINEAR] ? CAT_LINEAR : CAT_SPOT;
}

static int
by_conn_of(const struct feed *f, const struct fsym *s)
{
	(void)f;
	return cat_of(s);
}

/* The exchange's own name of s: after the category tag. */
static const char *
wire(const struct fsym *s)
{
	return s->native + 2;
}

/* The symbol that connection f->conn calls wire[0..n). */
static struct fsym *
sym_of(struct feed *f, const char *w, size_t n)
{
	char key[40];

	if (n + 2 >= sizeof key)
		return NULL;
	key[0] = cat_tag[f->conn == CAT_LINEAR];
	key[1] = '.';
	memcpy(key + 2, w, n);
	return feed_sym_native(f, key, n + 2);
}

static int
book_depth(const struct feed *f)
{
	const struct by_feed *c = f->conf;

	return c && c->depth ? c->depth : DEPTH_DEFAULT;
}

/* -o depth=N: one of the depths Bybit offers. */
static int
by_option(struct feed *f, const char *name, const char *value, const char **why)
{
	char *e;
	long d;

	if (strcmp(name, "depth")) {
		*why = "bybit takes depth=1|50|200|1000";
		return -1;
	}
	d = strtol(value, &e, 10);
	for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++)
		if (*value && !*e && d == depths[i]) {
			bf(f)->depth = (int)d;
			return 0;
		}
	*why = "bybit offers book depths 1, 50, 200 and 1000";
	return -1;
}

static void
topic_name(const struct feed *f, const struct fsym *s, int ch, char *buf, size_t n)
{
	if (ch == CH_BOOK)
		snprintf(buf, n, "orderbook.%d.%s", book_depth(f), wire(s));
	else
		snprintf(buf, n, "publicTrade.%s", wire(s));
}

/* Subscribe or unsubscribe, for the symbols of connection f->conn, the
 * channels chs(f, s) gives, ARGS_PER_REQ topics a request. */
static void
flush_ops(struct feed *f, struct ts_jw *w, int *count)
{
	if (!*count)
		return;
	ts_jw_arr_end(w);
	ts_jw_obj_end(w);
	f->ops.ws_send(f->ops.ctx, w->buf, w->len);
	bf(f)->acks_due[f->conn == CAT_LINEAR]++; /* send_ops subscribes only */
	*count = 0;
}

static void
send_ops(struct feed *f, const char *op, int (*chs)(struct feed *, struct fsym *))
{
	struct ts_jw w = { 0 };
	char name[80];
	int count = 0;
	size_t chars = 0;

	for (size_t i = 0; i < f->nsym; i++) {
		struct fsym *s = f->symv[i];
		int c = s->conn == f->conn ? chs(f, s) : 0;
		for (int ch = CH_TRADES; ch <= CH_BOOK; ch <<= 1) {
			if (!(c & ch))
				continue;
			topic_name(f, s, ch, name, sizeof name);
			if ((chars += strlen(name)) > ARGS_CHARS_MAX) {
				ts_warn_rl(&f->rl, "bybit %s: too many topics for one connection, "
				    "'%s' not subscribed", cat_name[f->conn == CAT_LINEAR], name);
				bs(s)->sub &= ~ch;
				continue;
			}
			if (count >= ARGS_PER_REQ)
				flush_ops(f, &w, &count);
			if (!count) {
				ts_jw_reset(&w);
				ts_jw_obj(&w);
				ts_jw_kstr(&w, "op", op);
				ts_jw_key(&w, "args");
				ts_jw_arr(&w);
			}
			ts_jw_str(&w, name);
			count++;
		}
	}
	flush_ops(f, &w, &count);
	ts_jw_free(&w);
}

static void
send_one(struct feed *f, const char *op, struct fsym *s, int ch)
{
	struct ts_jw w = { 0 };
	char name[80];

	topic_name(f, s, ch, name, sizeof name);
	ts_jw_obj(&w);
	ts_jw_kstr(&w, "op", op);
	ts_jw_key(&w, "args");
	ts_jw_arr(&w);
	ts_jw_str(&w, name);
	ts_jw_arr_end(&w);
	ts_jw_obj_end(&w);
	f->ops.ws_send(f->ops.ctx, w.buf, w.len);
	bf(f)->acks_due[f->conn == CAT_LINEAR]++;
	ts_jw_free(&w);
}

static void
by_ws_path(struct feed *f, char *buf, size_t n)
{
	snprintf(buf, n, "/v5/public/%s", cat_name[f->conn == CAT_LINEAR]);
}

static void
trades_forget(struct by_sym *b)
{
	b->have_last = 0;
	b->nat = 0;
	b->check_gap = b->filling = 0;
	b->nheld = 0;
}

static int wanted(struct feed *f, struct fsym *s) { (void)f; return s->want; }

static void
by_on_connect(struct feed *f)
{
	for (size_t i = 0; i < f->nsym; i++) {
		struct fsym *s = f->symv[i];
		struct by_sym *b = bs(s);
		if (s->conn != f->conn)
			continue;
		b->sub = s->want;
		if (!(s->want & CH_TRADES))
			trades_forget(b);
	}
	bf(f)->acks_due[f->conn == CAT_LINEAR] = 0;
	send_ops(f, "subscribe", wanted);
}

/* Publish t unless it was published already (its time is before the last
 * published, or it is one of the ids published at that time). 1 when
 * published. */
static int
publish(struct feed *f, struct fsym *s, const struct btrade *t, int backfill)
{
	struct by_sym *b = bs(s);

	if (b->have_last) {
		if (t->T < b->last_T) {
			s->dups++;
			return 0;
		}
		if (t->T == b->last_T)
			for (size_t i = 0; i < b->nat; i++)
				if (b->at[i].idn == t->idn && !memcmp(b->at[i].id, t->id, t->idn)) {
					s->dups++;
					return 0;
				}
	}
	if (!feed_trade_text(f, s, t->id, t->idn, t->px, t->qty, t->side, t->T * 1000,
	    t->rt, t->block ? TRADE_BLOCK : 0))
		return 0;
	if (!b->have_last || t->T != b->last_T)
		b->nat = 0;
	b->have_last = 1;
	b->last_T = t->T;
	ts_xgrow((void **)&b->at, &b->capat, b->nat + 1, sizeof *b->at);
	b->at[b->nat++] = *t;
	if (backfill)
		s->backfilled++;
	return 1;
}

/* Live trades held during a fill are published in order; the fill is over. */
static void
release_held(struct feed *f, struct fsym *s)
{
	struct by_sym *b = bs(s);
	size_t n = b->nheld;

	b->filling = 0;
	b->nheld = 0;
	for (size_t i = 0; i < n; i++)
		publish(f, s, &b->held[i], 0);
}

static void
by_on_disconnect(struct feed *f)
{
	for (size_t i = 0; i < f->nsym; i++) {
		struct fsym *s = f->symv[i];
		struct by_sym *b = bs(s);
		if (s->conn != f->conn)
			continue;
		b->sub = 0;
		if (b->filling)
			release_held(f, s);
		/* trades may pass while we are away: the first one after the
		 * reconnect is checked against recent-trade */
		if (b->have_last && (s->want & CH_TRADES))
			b->check_gap = 1;
	}
}

static void
by_channel(struct feed *f, struct fsym *s, int ch, int on)
{
	struct by_sym *b = bs(s);

	send_one(f, on ? "subscribe" : "unsubscribe", s, ch);
	if (on)
		b->sub |= ch;
	else
		b->sub &= ~ch;
	if (ch == CH_TRADES)
		trades_forget(b); /* a later subscriber starts afresh */
	if (ch == CH_BOOK)
		b->tries = 0;
}

/* A book found out of sync is rebuilt by subscribing its topic again:
 * Bybit answers a subscription with a snapshot, and leaves the other
 * symbols alone. Deltas that come before it are ignored (the book is
 * syncing). A book whose resyncs keep failing gets a new connection. */
static void
by_book_resync(struct feed *f, struct fsym *s)
{
	struct by_sym *b = bs(s);

	if (++b->tries > RESYNC_TRIES) {
		b->tries = 0;
		f->ops.reconnect(f->ops.ctx, "book keeps losing sync", 0);
		return;
	}
	send_one(f, "unsubscribe", s, CH_BOOK);
	send_one(f, "subscribe", s, CH_BOOK);
}

/* {"topic":"orderbook.N.SYM","type":"snapshot"|"delta","ts":ms,
 *  "data":{"s":SYM,"b":[…],"a":[…],"u":N,"seq":N},"cts":ms}. Levels may
 * come in any price order; a size of 0 deletes, and deleting a level that
 * is not there does nothing (ts_book_set). */
static int
on_book(struct feed *f, const struct ts_jval *type, const struct ts_jval *data, int64_t ts,
    int64_t rt)
{
	struct ts_jval k, v, sym = { 0 }, bids = { 0 }, asks = { 0 }, u = { 0 };
	struct ts_jiter it;
	struct fsym *s;
	const char *p;
	size_t n;
	int64_t uid;
	int snap, got = 0;

	if (data->type != TS_J_OBJ)
		return -1;
	ts_json_iter(&it, data);
	while (ts_json_vnext(&it, &k, &v)) {
		if (TS_JSON_KEY_IS(&k, "s") && !(got & 1))
			sym = v, got |= 1;
		else if (TS_JSON_KEY_IS(&k, "b") && !(got & 2))
			bids = v, got |= 2;
		else if (TS_JSON_KEY_IS(&k, "a") && !(got & 4))
			asks = v, got |= 4;
		else if (TS_JSON_KEY_IS(&k, "u") && !(got & 8))
			u = v, got |= 8;
	}
	if (got != 15 || !(p = ts_json_str_raw(&sym, &n)) || ts_json_i64(&u, &uid) < 0 ||
	    uid <= 0)
		return -1;
	if (ts_json_str_eq(type, "snapshot"))
		snap = 1;
	else if (ts_json_str_eq(type, "delta"))
		snap = 0;
	else
		return -1;
	s = sym_of(f, p, n);
	if (!s || !(s->want & CH_BOOK))
		return FEED_IGNORED;
	if (!ts)
		ts = rt;
	if (snap) {
		/* a snapshot replaces the book, whatever came before: the one a
		 * subscription brings, depth 1's repeats, and u = 1, Bybit's
		 * service restart, which overwrites a live book */
		if (uid == 1 && s->bstate == BOOK_LIVE) {
			bs(s)->restarts++;
			ts_info("bybit %s: the service restarted (u = 1): book replaced", s->sym);
		}
		feed_snap_begin(f, s);
		if (feed_levels(f, s, &bids, TS_BID) < 0 || feed_levels(f, s, &asks, TS_ASK) < 0) {
			ts_book_clear(&s->book);
			feed_book_resync(f, s, "malformed snapshot");
			return -1;
		}
		s->book_id = uid;
		if (feed_snap_end(f, s, ts, rt) == 0)
			bs(s)->tries = 0;
		return 0;
	}
	if (s->bstate != BOOK_LIVE)
		return FEED_IGNORED; /* waiting for a snapshot */
	if (uid <= s->book_id) {
		f->dup_msgs++;
		return 0; /* sent twice, or older than the snapshot */
	}
	if (uid != s->book_id + 1) {
		char why[96];
		f->seq_gaps++;
		snprintf(why, sizeof why, "gap: update %lld after %lld", (long long)uid,
		    (long long)s->book_id);
		feed_book_resync(f, s, why);
		return 0;
	}
	feed_delta_begin(f, s);
	if (feed_levels(f, s, &bids, TS_BID) < 0 || feed_levels(f, s, &asks, TS_ASK) < 0) {
		/* part of it may be applied: the book cannot be trusted */
		f->in_delta = 0;
		feed_book_resync(f, s, "malformed update");
		return -1;
	}
	s->book_id = uid;
	feed_delta_end(f, s, ts, rt);
	return 0;
}

/* An id as text, checked: digits, letters and '-' (feed_trade_text's). */
static int
read_id(const struct ts_jval *v, struct btrade *t)
{
	const char *p;
	size_t n;
	char buf[24];

	if (v->type == TS_J_NUM) {
		int64_t id;
		if (ts_json_i64(v, &id) < 0 || id < 0)
			return -1;
		n = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)id);
		p = buf;
	} else if (!(p = ts_json_str_raw(v, &n))) {
		return -1;
	}
	if (!n || n > TRADE_ID_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') || p[i] == '-'))
			return -1;
	memcpy(t->id, p, n);
	t->idn = (unsigned char)n;
	return 0;
}

static int
read_side(const struct ts_jval *v, char *side)
{
	if (ts_json_str_eq(v, "Buy"))
		*side = 'b';
	else if (ts_json_str_eq(v, "Sell"))
		*side = 's';
	else
		return -1;
	return 0;
}

static void
request_recent(struct feed *f, struct fsym *s)
{
	char path[160];
	int c = cat_of(s);

	snprintf(path, sizeof path, "/v5/market/recent-trade?category=%s&symbol=%s&limit=%d",
	    cat_name[c], wire(s), recent_max[c]);
	f->ops.rest_get(f->ops.ctx, s, REST_BACKFILL, path);
}

/* Fetch what s missed while away; live trades wait for the answer. */
static void
start_fill(struct feed *f, struct fsym *s)
{
	struct by_sym *b = bs(s);

	b->check_gap = 0;
	b->filling = 1;
	b->nheld = 0;
	request_recent(f, s);
}

/* Every subscribe request of connection f->conn is answered: its streams
 * flow, so a recent-trade page now reaches to where they start. */
static void
subscribed(struct feed *f)
{
	int *due = &bf(f)->acks_due[f->conn == CAT_LINEAR];

	if (*due > 0 && --*due > 0)
		return;
	for (size_t i = 0; i < f->nsym; i++)
		if (f->symv[i]->conn == f->conn && bs(f->symv[i])->check_gap &&
		    (f->symv[i]->want & CH_TRADES))
			start_fill(f, f->symv[i]);
}

/* A live trade of s: published, or held while a fill runs. */
static void
live_trade(struct feed *f, struct fsym *s, const struct btrade *t)
{
	struct by_sym *b = bs(s);

	if (b->check_gap)
		start_fill(f, s);
	if (b->filling) {
		if (b->nheld < HELD_MAX) {
			ts_xgrow((void **)&b->held, &b->capheld, b->nheld + 1, sizeof *b->held);
			b->held[b->nheld++] = *t;
			return;
		}
		char detail[160];
		snprintf(detail, sizeof detail, "%s: recent-trade too slow, trades before "
		    "%lld ms may be missing", s->sym, (long long)b->held[0].T);
		feed_trade_gap(f, s, 0, detail);
		release_held(f, s);
	}
	publish(f, s, t, 0);
}

/* {"topic":"publicTrade.SYM","type":"snapshot","ts":ms,"data":[{"T":ms,
 *  "s":SYM,"S":"Buy"|"Sell","v":"qty","p":"px","L":…,"i":id,"BT":bool,
 *  "seq":N},…]}: S is the taker's side; i is digits on spot, a UUID on
 * linear. */
static int
on_trades(struct feed *f, const struct ts_jval *data, int64_t rt)
{
	struct ts_jval t, k, v;
	struct ts_jiter it, it2;
	int bad = 0, used = 0;

	if (data->type != TS_J_ARR)
		return -1;
	ts_json_iter(&it, data);
	while (ts_json_vnext(&it, NULL, &t)) {
		struct ts_jval sym = { 0 }, side = { 0 }, qty = { 0 }, px = { 0 }, id = { 0 },
		    tm = { 0 }, bt = { 0 };
		struct btrade x = { 0 };
		struct fsym *s;
		const char *p;
		size_t n;
		int got = 0;
		if (t.type != TS_J_OBJ) {
			bad = 1;
			continue;
		}
		ts_json_iter(&it2, &t);
		while (ts_json_vnext(&it2, &k, &v)) {
			if (k.n != 3 && k.n != 4)
				continue;
			if (TS_JSON_KEY_IS(&k, "s") && !(got & 1))
				sym = v, got |= 1;
			else if (TS_JSON_KEY_IS(&k, "S") && !(got & 2))
				side = v, got |= 2;
			else if (TS_JSON_KEY_IS(&k, "v") && !(got & 4))
				qty = v, got |= 4;
			else if (TS_JSON_KEY_IS(&k, "p") && !(got & 8))
				px = v, got |= 8;
			else if (TS_JSON_KEY_IS(&k, "i") && !(got & 16))
				id = v, got |= 16;
			else if (TS_JSON_KEY_IS(&k, "T") && !(got & 32))
				tm = v, got |= 32;
			else if (TS_JSON_KEY_IS(&k, "BT") && !(got & 64))
				bt = v, got |= 64;
		}
		if ((got & 63) != 63 || !(p = ts_json_str_raw(&sym, &n)) ||
		    read_side(&side, &x.side) < 0 || ts_json_dec(&qty, &x.qty) < 0 ||
		    ts_json_dec(&px, &x.px) < 0 || read_id(&id, &x) < 0 ||
		    ts_json_i64(&tm, &x.T) < 0 || !feed_ms_to_us(x.T) || x.px.m <= 0 || x.qty.m <= 0 ||
		    ((got & 64) && ts_json_bool(&bt, &x.block) < 0)) {
			bad = 1;
			continue;
		}
		s = sym_of(f, p, n);
		if (!s || !(s->want & CH_TRADES))
			continue;
		x.rt = rt;
		live_trade(f, s, &x);
		used = 1;
	}
	return bad ? -1 : used ? 0 : FEED_IGNORED;
}

/* {"retCode":0,"result":{"category":…,"list":[{"execId":…,"symbol":…,
 *  "price":…,"size":…,"side":"Buy","time":"ms","isBlockTrade":false},…]}},
 * newest first. What it has between the last trade published and the
 * first held is published; when it does not reach back to the last one
 * published (and holds as many as were asked for, so older ones exist),
 * the trades between may be missing: that is reported. */
static void
on_recent(struct feed *f, struct fsym *s, long status, const char *body, size_t n)
{
	struct by_sym *b = bs(s);
	struct ts_jval doc, res, list, t, v;
	struct ts_jiter it;
	struct btrade *r = NULL;
	size_t nr = 0, capr = 0;
	int reached = 0, asked = recent_max[cat_of(s)];
	int64_t code, now = ts_now_us();
	char detail[200];

	if (!b->filling)
		return; /* no longer needed */
	if (status != 200 || ts_json_parse(body, n, &doc, NULL) < 0 ||
	    ts_json_get_i64(&doc, "retCode", &code) < 0 || code != 0 ||
	    ts_json_get(&doc, "result", &res) < 0 || ts_json_get(&res, "list", &list) < 0 ||
	    list.type != TS_J_ARR) {
		if (status == 200)
			feed_malformed(f, "recent-trade answer", body ? body : "", body ? n : 0);
		snprintf(detail, sizeof detail, "%s: recent-trade failed (HTTP %ld): trades "
		    "before %lld ms may be missing", s->sym, status,
		    (long long)(b->nheld ? b->held[0].T : 0));
		feed_trade_gap(f, s, 0, detail);
		release_held(f, s);
		return;
	}
	ts_json_iter(&it, &list);
	while (ts_json_next(&it, NULL, &t)) {
		struct btrade x = { 0 };
		struct ts_jval side;
		if (ts_json_get(&t, "execId", &v) < 0 || read_id(&v, &x) < 0 ||
		    ts_json_get_dec(&t, "price", &x.px) < 0 || ts_json_get_dec(&t, "size", &x.qty) < 0 ||
		    ts_json_get(&t, "side", &side) < 0 || read_side(&side, &x.side) < 0 ||
		    ts_json_get_i64(&t, "time", &x.T) < 0 || !feed_ms_to_us(x.T) ||
		    x.px.m <= 0 || x.qty.m <= 0) {
			feed_malformed(f, "recent trade", t.p, t.n);
			continue;
		}
		if (ts_json_get(&t, "isBlockTrade", &v) == 0 && ts_json_bool(&v, &x.block) < 0)
			x.block = 0;
		x.rt = now;
		ts_xgrow((void **)&r, &capr, nr + 1, sizeof *r);
		r[nr++] = x;
	}
	/* reached back: it holds the last published trade or one before it */
	for (size_t i = 0; i < nr && !reached; i++) {
		if (r[i].T < b->last_T)
			reached = 1;
		for (size_t j = 0; j < b->nat && !reached && r[i].T == b->last_T; j++)
			if (b->at[j].idn == r[i].idn && !memcmp(b->at[j].id, r[i].id, r[i].idn))
				reached = 1;
	}
	if ((int)nr < asked)
		reached = 1; /* the whole recent history */
	if (!reached) {
		snprintf(detail, sizeof detail, "%s: trades between %lld and %lld ms may be "
		    "missing (recent-trade reaches back to %lld ms only)", s->sym,
		    (long long)b->last_T, (long long)(nr ? r[nr - 1].T : 0),
		    (long long)(nr ? r[nr - 1].T : 0));
		feed_trade_gap(f, s, 0, detail);
	}
	/* oldest first, up to the first held one */
	for (size_t i = nr; i-- > 0;) {
		int live = 0;
		if (b->nheld) {
			const struct btrade *h = &b->held[0];
			if (r[i].T > h->T)
				break;
			for (size_t j = 0; j < b->nheld && b->held[j].T == r[i].T && !live; j++)
				live = b->held[j].idn == r[i].idn &&
				    !memcmp(b->held[j].id, r[i].id, r[i].idn);
			if (live)
				continue;
		}
		publish(f, s, &r[i], 1);
	}
	free(r);
	release_held(f, s);
}

static void
by_on_rest(struct feed *f, struct fsym *s, int kind, long status, const char *body, size_t n)
{
	if (kind == REST_BACKFILL && s)
		on_recent(f, s, status, body, n);
}

#define MAX_MEMBERS 16

static int
by_on_message(struct feed *f, const char *p, size_t n, int64_t rt)
{
	struct ts_jmember m[MAX_MEMBERS];
	struct ts_jval msg, topic, type, data, v;
	size_t nm;
	int64_t ms = 0;
	const char *tp;
	size_t tn;

	if (ts_json_parse_obj(p, n, &msg, m, MAX_MEMBERS, 0, &nm, NULL) < 0 ||
	    msg.type != TS_J_OBJ)
		return -1;
	if (nm == MAX_MEMBERS)
		return -1; /* no message of Bybit's has that many members */
	if (ts_json_mget(m, nm, "topic", &topic) < 0) {
		struct ts_jval op, ok;
		int success = 1;
		char text[200];
		if (ts_json_mget(m, nm, "op", &op) < 0)
			return -1;
		if (ts_json_mget(m, nm, "success", &ok) == 0 && ts_json_bool(&ok, &success) < 0)
			return -1;
		if (ts_json_str_eq(&op, "subscribe"))
			subscribed(f);
		if (success)
			return 0; /* subscribed, pong */
		if (ts_json_mget(m, nm, "ret_msg", &v) < 0 || ts_json_str(&v, text, sizeof text) < 0)
			snprintf(text, sizeof text, "(no ret_msg)");
		ts_warn("bybit %s refused a request: %s", cat_name[f->conn == CAT_LINEAR], text);
		feed_status(f, NULL, "exchange_error", text);
		return 0;
	}
	if (!(tp = ts_json_str_raw(&topic, &tn)) || ts_json_mget(m, nm, "data", &data) < 0)
		return -1;
	if (ts_json_mget(m, nm, "ts", &v) == 0 && ts_json_i64(&v, &ms) < 0)
		return -1;
	if (tn > 10 && !memcmp(tp, "orderbook.", 10)) {
		if (ts_json_mget(m, nm, "type", &type) < 0)
			return -1;
		return on_book(f, &type, &data, feed_ms_to_us(ms), rt);
	}
	if (tn > 12 && !memcmp(tp, "publicTrade.", 12))
		return on_trades(f, &data, rt);
	return FEED_IGNORED; /* tickers, kline, …: not ours */
}

/* instruments */

/* Bybit's delivery time (ms) as YYMMDD: 0, or -1 when out of range. */
static int
yymmdd(int64_t ms, char *buf, size_t n)
{
	time_t t;
	struct tm tm;

	if (ms <= 0)
		return -1;
	t = (time_t)(ms / 1000);
	if (!gmtime_r(&t, &tm))
		return -1;
	snprintf(buf, n, "%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday);
	return 0;
}

/* {"retCode":0,"result":{"category":"spot"|"linear","list":[{"symbol":
 * "BTCUSDT","baseCoin":"BTC","quoteCoin":"USDT","status":"Trading",
 * "contractType":"LinearPerpetual"|"LinearFutures","deliveryTime":"ms",…},
 * …]}}: spot pairs become BASE-QUOTE, perpetuals BASE-QUOTE-PERP and
 * dated futures BASE-QUOTE-YYMMDD. Linear sizes are in the base coin
 * already (one contract is one coin), as DESIGN.md wants them. */
static int
by_instruments(struct feed *f, const char *body, size_t n)
{
	struct ts_jval doc, res, list, p;
	struct ts_jiter it;
	char cat[16];
	int count = 0, c;
	int64_t code;

	if (ts_json_parse(body, n, &doc, NULL) < 0 || ts_json_get_i64(&doc, "retCode", &code) < 0 ||
	    code != 0 || ts_json_get(&doc, "result", &res) < 0 ||
	    ts_json_get_str(&res, "category", cat, sizeof cat) <= 0 ||
	    ts_json_get(&res, "list", &list) < 0 || list.type != TS_J_ARR)
		return -1;
	if (!strcmp(cat, "spot"))
		c = CAT_SPOT;
	else if (!strcmp(cat, "linear"))
		c = CAT_LINEAR;
	else
		return -1;
	ts_json_iter(&it, &list);
	while (ts_json_next(&it, NULL, &p)) {
		char id[32], base[24], quote[24], status[24], ctype[32], canon[120], native[40];
		char date[40];
		int64_t dt;
		if (ts_json_get_str(&p, "symbol", id, sizeof id) <= 0 ||
		    ts_json_get_str(&p, "baseCoin", base, sizeof base) <= 0 ||
		    ts_json_get_str(&p, "quoteCoin", quote, sizeof quote) <= 0)
			continue;
		if (ts_json_get_str(&p, "status", status, sizeof status) > 0 &&
		    strcmp(status, "Trading"))
			continue;
		if (c == CAT_SPOT) {
			snprintf(canon, sizeof canon, "%s-%s", base, quote);
		} else {
			if (ts_json_get_str(&p, "contractType", ctype, sizeof ctype) <= 0)
				continue;
			if (!strcmp(ctype, "LinearPerpetual"))
				snprintf(canon, sizeof canon, "%s-%s-PERP", base, quote);
			else if (!strcmp(ctype, "LinearFutures") &&
			    ts_json_get_i64(&p, "deliveryTime", &dt) == 0 &&
			    yymmdd(dt, date, sizeof date) == 0)
				snprintf(canon, sizeof canon, "%s-%s-%s", base, quote, date);
			else
				continue;
		}
		snprintf(native, sizeof native, "%c.%s", cat_tag[c], id);
		feed_instrument(f, canon, native);
		count++;
	}
	return count ? 0 : -1;
}

static struct ex_adapter bybit = {
	.name = "bybit",
	.ws_base = "wss://stream.bybit.com",
	.rest_base = "https://api.bybit.com",
	.instruments_path = "/v5/market/instruments-info?category=spot "
	    "/v5/market/instruments-info?category=linear&limit=1000",
	.ws_msgs_per_sec = 10,      /* requests a connection sends: a cautious rate */
	.watchdog_us = 30000000,    /* pongs come every 20 s, data more often */
	.max_conn_us = 0,
	.ping_text = "{\"op\":\"ping\"}",
	.ping_us = 20000000,        /* Bybit asks for one every 20 s (data counts too) */
	.nconn = NCAT,
	.conn_of = by_conn_of,
	.instruments = by_instruments,
	.ws_path = by_ws_path,
	.on_connect = by_on_connect,
	.channel = by_channel,
	.on_message = by_on_message,
	.book_resync = by_book_resync,
	.backfill = NULL,           /* trades: the adapter's own, by recent-trade */
	.on_rest = by_on_rest,
	.on_disconnect = by_on_disconnect,
	.free_sym = by_free_sym,
	.option = by_option,
	.options_help = "depth=1|50|200|1000",
};
EX_REGISTER(bybit)
