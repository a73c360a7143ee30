/* binance.c: ts-feed adapter for Binance spot (@trade, @depth@100ms + REST depth snapshot) */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ex.h"
#include "log.h"
#include "tm.h"

/* Pages of 1000 trades one backfill may fetch before reporting the rest. */
#define BACKFILL_PAGES 20

struct bn_sym {
	int sub;          /* CH_ bits subscribed on this connection */
	struct feed_evq q; /* depth events buffered while a snapshot is on its way */
	struct feed_snapreq snap;
	int bf_pages;
	int64_t bf_before;
};

static struct bn_sym *
bs(struct fsym *s)
{
	if (!s->xd)
		s->xd = ts_xcalloc(1, sizeof(struct bn_sym));
	return s->xd;
}

static void
bn_free_sym(struct fsym *s)
{
	struct bn_sym *b = s->xd;

	if (!b)
		return;
	feed_evq_free(&b->q);
	free(b);
	s->xd = NULL;
}

/* The options (-o NAME=VALUE), in f->conf. */
struct bn_conf {
	int agg; /* trades=agg: aggregated trades (aggTrade) instead of trade */
};

static int
agg_trades(const struct feed *f)
{
	const struct bn_conf *c = f->conf;

	return c && c->agg;
}

static int
bn_option(struct feed *f, const char *name, const char *value, const char **why)
{
	struct bn_conf *c;

	if (strcmp(name, "trades")) {
		*why = "binance takes trades=trade or trades=agg";
		return -1;
	}
	if (strcmp(value, "trade") && strcmp(value, "agg")) {
		*why = "trades is 'trade' (every trade) or 'agg' (aggregated trades)";
		return -1;
	}
	if (!f->conf)
		f->conf = ts_xcalloc(1, sizeof(struct bn_conf));
	c = f->conf;
	c->agg = !strcmp(value, "agg");
	return 0;
}

static void
stream_name(const struct feed *f, const struct fsym *s, int ch, char *buf, size_t n)
{
	size_t i, k = 0;

	for (i = 0; s->native[i] && k + 1 < n; i++)
		buf[k++] = (char)tolower((unsigned char)s->native[i]);
	buf[k] = '\0';
	snprintf(buf + k, n - k, "%s", ch == CH_BOOK ? "@depth@100ms" :
	    agg_trades(f) ? "@aggTrade" : "@trade");
}

static void
send_method(struct feed *f, const char *method, struct fsym *s, int chs)
{
	static unsigned long id;
	struct ts_jw w = { 0 };
	char name[64];

	ts_jw_obj(&w);
	ts_jw_kstr(&w, "method", method);
	ts_jw_key(&w, "params");
	ts_jw_arr(&w);
	for (int ch = CH_TRADES; ch <= CH_BOOK; ch <<= 1)
		if (chs & ch) {
			stream_name(f, s, ch, name, sizeof name);
			ts_jw_str(&w, name);
		}
	ts_jw_arr_end(&w);
	ts_jw_key(&w, "id");
	ts_jw_u64(&w, ++id);
	ts_jw_obj_end(&w);
	f->ops.ws_send(f->ops.ctx, w.buf, w.len);
	ts_jw_free(&w);
}

static void
request_snapshot(struct feed *f, struct fsym *s)
{
	char path[128];

	snprintf(path, sizeof path, "/api/v3/depth?symbol=%s&limit=1000", s->native);
	feed_snap_get(f, s, &bs(s)->snap, path);
}

/* The connection's first streams go in its URL
 * (/stream?streams=a@trade/b@depth@100ms); beyond URL_STREAMS_MAX bytes the
 * rest are subscribed by one SUBSCRIBE message once connected, since long
 * request lines are where servers and proxies differ. */
#define URL_STREAMS_MAX 400

static void
bn_ws_path(struct feed *f, char *buf, size_t n)
{
	size_t len;
	int any = 0;

	len = (size_t)snprintf(buf, n, "/stream?streams=");
	for (size_t i = 0; i < f->nsym; i++) {
		struct fsym *s = f->symv[i];
		char names[2][64];
		size_t need = 0;
		bs(s)->sub = 0;
		if (!s->want)
			continue;
		for (int ch = CH_TRADES; ch <= CH_BOOK; ch <<= 1) {
			stream_name(f, s, ch, names[ch - 1], sizeof names[0]);
			if (s->want & ch)
				need += strlen(names[ch - 1]) + 1;
		}
		if (len + need >= URL_STREAMS_MAX || len + need >= n)
			continue; /* SUBSCRIBE adds it */
		for (int ch = CH_TRADES; ch <= CH_BOOK; ch <<= 1) {
			if (!(s->want & ch))
				continue;
			len += (size_t)snprintf(buf + len, n - len, "%s%s", any ? "/" : "",
			    names[ch - 1]);
			any = 1;
		}
		bs(s)->sub = s->want;
	}
	if (!any)
		snprintf(buf, n, "/ws");
}

/* SUBSCRIBE or UNSUBSCRIBE, for every symbol, the channels chs(s) gives,
 * in messages of at most 200 streams (the rate limit counts messages). */
static void
send_batch(struct feed *f, const char *method, int (*chs)(struct fsym *))
{
	static unsigned long id;
	struct ts_jw w = { 0 };
	char name[64];
	int count = 0;

	for (size_t i = 0; i <= f->nsym; i++) {
		int c = i < f->nsym ? chs(f->symv[i]) : 0;
		if ((i == f->nsym || count >= 200) && count) {
			ts_jw_arr_end(&w);
			ts_jw_key(&w, "id");
			ts_jw_u64(&w, ++id + 1000000);
			ts_jw_obj_end(&w);
			f->ops.ws_send(f->ops.ctx, w.buf, w.len);
			count = 0;
		}
		if (!c)
			continue;
		if (!count) {
			ts_jw_reset(&w);
			ts_jw_obj(&w);
			ts_jw_kstr(&w, "method", method);
			ts_jw_key(&w, "params");
			ts_jw_arr(&w);
		}
		for (int ch = CH_TRADES; ch <= CH_BOOK; ch <<= 1)
			if (c & ch) {
				stream_name(f, f->symv[i], ch, name, sizeof name);
				ts_jw_str(&w, name);
				count++;
			}
	}
	ts_jw_free(&w);
}

static int to_add(struct fsym *s) { return s->want & ~bs(s)->sub; }
static int to_del(struct fsym *s) { return bs(s)->sub & ~s->want; }

static void
bn_on_connect(struct feed *f)
{
	send_batch(f, "SUBSCRIBE", to_add);
	send_batch(f, "UNSUBSCRIBE", to_del);
	for (size_t i = 0; i < f->nsym; i++) {
		struct fsym *s = f->symv[i];
		struct bn_sym *b = bs(s);
		b->sub = s->want;
		feed_evq_clear(&b->q);
		if (s->want & CH_BOOK)
			request_snapshot(f, s);
	}
}

static void
bn_on_disconnect(struct feed *f)
{
	for (size_t i = 0; i < f->nsym; i++) {
		struct bn_sym *b = bs(f->symv[i]);
		b->sub = 0;
		feed_evq_clear(&b->q);
	}
}

static void
bn_channel(struct feed *f, struct fsym *s, int ch, int on)
{
	struct bn_sym *b = bs(s);

	send_method(f, on ? "SUBSCRIBE" : "UNSUBSCRIBE", s, ch);
	if (on)
		b->sub |= ch;
	else
		b->sub &= ~ch;
	if (ch == CH_BOOK) {
		feed_evq_clear(&b->q);
		if (on)
			request_snapshot(f, s);
	}
}

static void
bn_book_resync(struct feed *f, struct fsym *s)
{
	feed_evq_clear(&bs(s)->q);
	request_snapshot(f, s);
}

/* The one-letter members of a stream event (an object in validated text),
 * read in one pass. */
struct ev {
	struct ts_jval e, s, t, p, q, T, m, U, u, b, a, E;
	uint64_t has;
};
#define HAS(c) (UINT64_C(1) << ((c) - 'A'))

/* Record the member with key k (its text with quotes) and value v. */
static void
ev_member(struct ev *x, const struct ts_jval *k, const struct ts_jval *v)
{
	if (k->n != 3)
		return; /* "x" with its quotes */
	switch (k->p[1]) {
	case 'e': x->e = *v; break;
	case 's': x->s = *v; break;
	case 't': x->t = *v; break;
	case 'p': x->p = *v; break;
	case 'q': x->q = *v; break;
	case 'T': x->T = *v; break;
	case 'm': x->m = *v; break;
	case 'U': x->U = *v; break;
	case 'u': x->u = *v; break;
	case 'b': x->b = *v; break;
	case 'a': x->a = *v; break;
	case 'E': x->E = *v; break;
	default: return;
	}
	x->has |= HAS(k->p[1]);
}

static void
read_ev(const struct ts_jval *d, struct ev *x)
{
	struct ts_jiter it;
	struct ts_jval k, v;

	x->has = 0;
	ts_json_iter(&it, d);
	while (ts_json_vnext(&it, &k, &v))
		ev_member(x, &k, &v);
}

/* The same from members ts_json_parse_obj recorded: m[i…] at depth d. */
static void
read_ev_members(const struct ts_jmember *m, size_t i, size_t n, int d, struct ev *x)
{
	x->has = 0;
	for (; i < n && m[i].depth >= d; i++)
		if (m[i].depth == d)
			ev_member(x, &m[i].key, &m[i].val);
}

struct depth {
	int64_t first, last, ts;
	struct ts_jval b, a;
};

static int
depth_of(const struct ev *x, struct depth *e)
{
	if ((x->has & (HAS('U') | HAS('u') | HAS('b') | HAS('a'))) !=
	    (HAS('U') | HAS('u') | HAS('b') | HAS('a')) ||
	    ts_json_i64(&x->U, &e->first) || ts_json_i64(&x->u, &e->last) ||
	    x->b.type != TS_J_ARR || x->a.type != TS_J_ARR || e->last < e->first)
		return -1;
	e->b = x->b;
	e->a = x->a;
	if (!(x->has & HAS('E')) || ts_json_i64(&x->E, &e->ts) < 0)
		e->ts = 0;
	e->ts = feed_ms_to_us(e->ts);
	return 0;
}

static int
read_depth(const struct ts_jval *d, struct depth *e)
{
	struct ev x;

	read_ev(d, &x);
	return depth_of(&x, e);
}

/* Where a depth update of s goes before its levels are applied: 1 apply,
 * 0 not (buffered, stale, or a gap that started a resync). */
static int
depth_wanted(struct feed *f, struct fsym *s, const struct ts_jval *d, const struct depth *e)
{
	if (s->bstate == BOOK_SYNCING) {
		feed_evq_push(&bs(s)->q, d->p, d->n);
		return 0;
	}
	if (s->bstate != BOOK_LIVE)
		return 0;
	if (e->last <= s->book_id)
		return 0; /* older than the book, or sent twice */
	if (e->first > s->book_id + 1) {
		char why[96];
		snprintf(why, sizeof why, "gap: update %lld after %lld",
		    (long long)e->first, (long long)s->book_id);
		feed_book_resync(f, s, why);
		return 0;
	}
	return 1;
}

static int
on_depth(struct feed *f, struct fsym *s, const struct ts_jval *d, const struct ev *x,
    int64_t rt)
{
	struct depth e;

	if (depth_of(x, &e) < 0)
		return -1;
	if (!depth_wanted(f, s, d, &e))
		return 0;
	feed_delta_begin(f, s);
	if (feed_levels(f, s, &e.b, TS_BID) < 0 || feed_levels(f, s, &e.a, TS_ASK) < 0) {
		f->in_delta = 0;
		feed_book_resync(f, s, "malformed update");
		return -1;
	}
	s->book_id = e.last;
	feed_delta_end(f, s, e.ts ? e.ts : rt, rt);
	return 0;
}

/* The hot path: the usual depth update of a combined stream,
 * {"stream":"…","data":{"e":"depthUpdate","E":…,"s":"…","U":…,"u":…,
 * "b":[["px","qty"],…],"a":[…]}}, read and validated in one pass before
 * anything is applied. Any other shape (another event, an unknown,
 * repeated or differently typed member, a level that bn_on_message would
 * find malformed, more levels than FAST_LEVELS) returns 0 untouched and
 * the general path reads the message, so what this accepts it handles
 * exactly as that path would. Otherwise 1, with *ret what
 * bn_on_message returns. */
#define FAST_LEVELS 1024
static struct ts_level fast_lv[FAST_LEVELS];

/* [["px","qty"],…] into fast_lv from *nlv on; 0, or -1. */
static int
fast_levels(struct ts_jrd *r, size_t *nlv)
{
	int more = ts_jrd_open(r, '[');

	while (more == 1) {
		struct ts_level *l = &fast_lv[*nlv];
		if (*nlv >= FAST_LEVELS || ts_jrd_open(r, '[') != 1 ||
		    ts_jrd_dec_str(r, &l->px) < 0 || ts_jrd_sep(r, ']') != 1 ||
		    ts_jrd_dec_str(r, &l->qty) < 0 || ts_jrd_sep(r, ']') != 0 ||
		    l->px.m <= 0 || l->qty.m < 0)
			return -1;
		++*nlv;
		more = ts_jrd_sep(r, ']');
	}
	return more;
}

#define KEY1(k) ((k).n == 3 ? (k).p[1] : 0)

static int
fast_depth(struct feed *f, const char *p, size_t n, int64_t rt, int *ret)
{
	struct ts_jrd r;
	struct ts_jval k, d = { 0 }, sym = { 0 }, e;
	struct depth x;
	struct fsym *s;
	int64_t ms = 0;
	size_t nlv = 0, nbid = 0;
	unsigned has = 0;
	int more;

	ts_jrd_init(&r, p, n);
	if (ts_jrd_open(&r, '{') != 1)
		return 0;
	do {
		if (ts_jrd_key(&r, &k) < 0)
			return 0;
		if (TS_JSON_KEY_IS(&k, "stream") && !(has & 1)) {
			if (ts_jrd_str(&r, &e) < 0)
				return 0;
			has |= 1;
			continue;
		}
		if (!TS_JSON_KEY_IS(&k, "data") || (has & 2) ||
		    ts_jrd_peek(&r) != '{')
			return 0;
		has |= 2;
		d.p = r.p;
		d.type = TS_J_OBJ;
		if (ts_jrd_open(&r, '{') != 1)
			return 0;
		do {
			unsigned bit;
			int c;
			if (ts_jrd_key(&r, &k) < 0)
				return 0;
			switch ((c = KEY1(k))) {
			case 'e': bit = 4; break;
			case 'E': bit = 8; break;
			case 's': bit = 16; break;
			case 'U': bit = 32; break;
			case 'u': bit = 64; break;
			case 'b': bit = 128; break;
			case 'a': bit = 256; break;
			default: return 0;
			}
			if (has & bit)
				return 0;
			has |= bit;
			switch (c) {
			case 'e':
				if (ts_jrd_str(&r, &e) < 0 || !ts_json_str_eq(&e, "depthUpdate"))
					return 0;
				break;
			case 'E':
				if (ts_jrd_int(&r, &ms) < 0)
					return 0;
				break;
			case 's':
				if (ts_jrd_str(&r, &sym) < 0)
					return 0;
				break;
			case 'U':
			case 'u':
				if (ts_jrd_int(&r, c == 'U' ? &x.first : &x.last) < 0)
					return 0;
				break;
			default:
				/* bids first: asks may come before them in the text */
				if (c == 'b' && (has & 256))
					return 0;
				if (fast_levels(&r, &nlv) < 0)
					return 0;
				if (c == 'b')
					nbid = nlv;
				break;
			}
		} while ((more = ts_jrd_sep(&r, '}')) == 1);
		if (more < 0)
			return 0;
		d.n = (size_t)(r.p - d.p);
	} while ((more = ts_jrd_sep(&r, '}')) == 1);
	if (more < 0 || ts_jrd_end(&r) < 0 || (has | 8) != 511) /* E may be missing */
		return 0;
	/* from here on as bn_on_message and on_depth */
	*ret = 0;
	s = feed_sym_native(f, sym.p + 1, sym.n - 2);
	if (!s || !(s->want & CH_BOOK)) {
		*ret = FEED_IGNORED;
		return 1;
	}
	if (x.last < x.first) {
		*ret = -1;
		return 1;
	}
	x.ts = feed_ms_to_us(ms);
	if (!depth_wanted(f, s, &d, &x))
		return 1;
	feed_delta_begin(f, s);
	for (size_t i = 0; i < nlv; i++)
		feed_level(f, s, i < nbid ? TS_BID : TS_ASK, fast_lv[i].px, fast_lv[i].qty);
	s->book_id = x.last;
	feed_delta_end(f, s, x.ts ? x.ts : rt, rt);
	return 1;
}

/* The documented procedure: drop buffered events with u <= lastUpdateId;
 * the first applied one must have U <= lastUpdateId+1 <= u, each next one
 * U == previous u + 1. */
static void
on_snapshot(struct feed *f, struct fsym *s, const char *body, size_t n, int64_t rt)
{
	struct bn_sym *b = bs(s);
	struct ts_jval doc, bids, asks, ev;
	struct depth e;
	int64_t lid, ts = rt;

	if (ts_json_parse(body, n, &doc, NULL) < 0 || ts_json_get_i64(&doc, "lastUpdateId", &lid) ||
	    ts_json_get(&doc, "bids", &bids) || ts_json_get(&doc, "asks", &asks)) {
		feed_malformed(f, "depth snapshot", body, n);
		request_snapshot(f, s);
		return;
	}
	if (b->q.nev) {
		if (ts_json_parse(b->q.ev[0], b->q.evn[0], &ev, NULL) < 0 || read_depth(&ev, &e) < 0 ||
		    e.first > lid + 1) {
			/* the snapshot is older than the stream we hold: again */
			request_snapshot(f, s);
			return;
		}
	}
	feed_snap_begin(f, s);
	if (feed_levels(f, s, &bids, TS_BID) < 0 || feed_levels(f, s, &asks, TS_ASK) < 0) {
		feed_malformed(f, "depth snapshot", body, n);
		ts_book_clear(&s->book);
		request_snapshot(f, s);
		return;
	}
	s->book_id = lid;
	for (size_t i = 0; i < b->q.nev; i++) {
		if (ts_json_parse(b->q.ev[i], b->q.evn[i], &ev, NULL) < 0 || read_depth(&ev, &e) < 0)
			continue;
		if (e.last <= s->book_id)
			continue;
		if (e.first > s->book_id + 1) {
			/* a hole inside what we buffered: start over */
			feed_evq_clear(&b->q);
			ts_book_clear(&s->book);
			request_snapshot(f, s);
			return;
		}
		if (feed_levels(f, s, &e.b, TS_BID) < 0 || feed_levels(f, s, &e.a, TS_ASK) < 0)
			continue;
		s->book_id = e.last;
		if (e.ts)
			ts = e.ts;
	}
	feed_evq_clear(&b->q);
	feed_snap_end(f, s, ts, rt);
}

static void
request_backfill(struct feed *f, struct fsym *s)
{
	struct bn_sym *b = bs(s);
	char path[160];
	int64_t want = b->bf_before - s->last_id - 1;

	if (want > 1000)
		want = 1000;
	b->bf_pages++;
	snprintf(path, sizeof path, "/api/v3/%s?symbol=%s&fromId=%lld&limit=%lld",
	    agg_trades(f) ? "aggTrades" : "historicalTrades", s->native,
	    (long long)(s->last_id + 1), (long long)want);
	f->ops.rest_get(f->ops.ctx, s, REST_BACKFILL, path);
}

static void
bn_backfill(struct feed *f, struct fsym *s, int64_t after_id, int64_t before_id)
{
	struct bn_sym *b = bs(s);

	(void)after_id;
	b->bf_pages = 0;
	b->bf_before = before_id;
	request_backfill(f, s);
}

/* [{"id":28457,"price":"4.00000100","qty":"12.00000000","quoteQty":"48.000012",
 *   "time":1499865549590,"isBuyerMaker":true,"isBestMatch":true}], or with
 * trades=agg [{"a":26129,"p":"0.01633102","q":"4.70443515","f":27781,
 *   "l":27781,"T":1498793709153,"m":true,"M":true}] */
static void
on_backfill(struct feed *f, struct fsym *s, const char *body, size_t n, int64_t rt)
{
	struct bn_sym *b = bs(s);
	struct ts_jval doc, t, v;
	struct ts_jiter it;
	int64_t before = s->last_id;
	int agg = agg_trades(f);

	if (ts_json_parse(body, n, &doc, NULL) < 0 || doc.type != TS_J_ARR) {
		feed_malformed(f, "trade history", body, n);
		feed_backfill_done(f, s);
		return;
	}
	ts_json_iter(&it, &doc);
	while (ts_json_next(&it, NULL, &t)) {
		struct ts_dec px, qty;
		int64_t id, tm;
		int maker;
		if (ts_json_get_i64(&t, agg ? "a" : "id", &id) ||
		    ts_json_get_dec(&t, agg ? "p" : "price", &px) ||
		    ts_json_get_dec(&t, agg ? "q" : "qty", &qty) ||
		    ts_json_get_i64(&t, agg ? "T" : "time", &tm) ||
		    ts_json_get(&t, agg ? "m" : "isBuyerMaker", &v) || ts_json_bool(&v, &maker)) {
			feed_malformed(f, "historical trade", t.p, t.n);
			continue;
		}
		tm = feed_ms_to_us(tm);
		feed_trade(f, s, id, px, qty, maker ? 's' : 'b', tm ? tm : rt, rt, 1);
	}
	if (s->backfilling && s->last_id > before && s->last_id + 1 < b->bf_before &&
	    b->bf_pages < BACKFILL_PAGES) {
		request_backfill(f, s);
		return;
	}
	feed_backfill_done(f, s);
}

static void
bn_on_rest(struct feed *f, struct fsym *s, int kind, long status, const char *body, size_t n)
{
	struct bn_sym *b = bs(s);
	int64_t rt = ts_now_us();

	if (kind == REST_SNAPSHOT) {
		if (feed_snap_answer(f, s, &b->snap, status, request_snapshot))
			on_snapshot(f, s, body, n, rt);
	} else if (kind == REST_BACKFILL) {
		if (feed_backfill_answer(f, s, status))
			on_backfill(f, s, body, n, rt);
	}
}

/* A trade or, with trades=agg, an aggregated trade: the same members but
 * for the id, "t" or "a". */
static int
on_trade(struct feed *f, struct fsym *s, const struct ev *x, int agg, int64_t rt)
{
	const struct ts_jval *idv = agg ? &x->a : &x->t;
	uint64_t need = (agg ? HAS('a') : HAS('t')) | HAS('p') | HAS('q') | HAS('m');
	struct ts_dec px, qty;
	int64_t id, t;
	int maker;

	if ((x->has & need) != need ||
	    ts_json_i64(idv, &id) || ts_json_dec(&x->p, &px) || ts_json_dec(&x->q, &qty) ||
	    ts_json_bool(&x->m, &maker) || px.m <= 0 || qty.m <= 0)
		return -1;
	if (!(x->has & HAS('T')) || ts_json_i64(&x->T, &t) < 0)
		t = 0;
	/* m: the buyer was the maker, so the taker sold */
	t = feed_ms_to_us(t);
	feed_trade(f, s, id, px, qty, maker ? 's' : 'b', t ? t : rt, rt, 0);
	return 0;
}

#define MAX_MEMBERS 32

static int
bn_on_message(struct feed *f, const char *p, size_t n, int64_t rt)
{
	struct ts_jmember m[MAX_MEMBERS];
	struct ts_jval msg, d;
	struct ev x;
	const char *sp;
	size_t sn, nm, i, di = 0;
	struct fsym *s;
	int has_stream = 0, has_data = 0, fr;

	if (fast_depth(f, p, n, rt, &fr))
		return fr;
	/* one validating pass that also splits the top-level object and the
	 * objects in it (the event of a combined stream) */
	if (ts_json_parse_obj(p, n, &msg, m, MAX_MEMBERS, 1, &nm, NULL) < 0 ||
	    msg.type != TS_J_OBJ)
		return -1;
	if (nm == MAX_MEMBERS) {
		/* more members than recorded: walk the text instead */
		struct ts_jiter it;
		struct ts_jval k, v;
		ts_json_iter(&it, &msg);
		while (ts_json_vnext(&it, &k, &v)) {
			if (TS_JSON_KEY_IS(&k, "data")) {
				if (!has_data)
					d = v;
				has_data = 1;
			} else if (TS_JSON_KEY_IS(&k, "stream")) {
				has_stream = 1;
			}
		}
		if (!(has_stream && has_data))
			d = msg;
		else if (d.type != TS_J_OBJ)
			return -1;
		read_ev(&d, &x);
	} else {
		/* combined streams wrap the event: {"stream":…,"data":{…}} */
		for (i = 0; i < nm; i++) {
			if (m[i].depth)
				continue;
			if (m[i].key.n == 6 && !memcmp(m[i].key.p, "\"data\"", 6)) {
				if (!has_data)
					di = i;
				has_data = 1;
			} else if (m[i].key.n == 8 && !memcmp(m[i].key.p, "\"stream\"", 8)) {
				has_stream = 1;
			}
		}
		if (has_stream && has_data) {
			d = m[di].val;
			if (d.type != TS_J_OBJ)
				return -1;
			read_ev_members(m, di + 1, nm, 1, &x);
		} else {
			d = msg;
			read_ev_members(m, 0, nm, 0, &x);
		}
	}
	if (!(x.has & HAS('e'))) {
		struct ts_jval id, r;
		if (ts_json_get(&d, "id", &id) == 0 && ts_json_get(&d, "result", &r) == 0)
			return 0; /* a SUBSCRIBE answered */
		if (ts_json_get(&d, "code", &r) == 0) {
			char text[200];
			if (ts_json_get_str(&d, "msg", text, sizeof text) < 0)
				snprintf(text, sizeof text, "(no msg)");
			ts_warn("binance reports an error: %s", text);
			feed_status(f, NULL, "exchange_error", text);
			return 0;
		}
		if ((x.has & HAS('s')) && (x.has & HAS('u')))
			return FEED_IGNORED; /* bookTicker: not ours */
		return -1;
	}
	if (ts_json_str_eq(&x.e, "trade") || ts_json_str_eq(&x.e, "aggTrade")) {
		int agg = x.e.n > 7; /* "aggTrade" with its quotes */
		if (!(x.has & HAS('s')) || !(sp = ts_json_str_raw(&x.s, &sn)))
			return -1;
		s = feed_sym_native(f, sp, sn);
		if (!s || !(s->want & CH_TRADES) || agg != agg_trades(f))
			return FEED_IGNORED; /* a stream we no longer or never asked for */
		return on_trade(f, s, &x, agg, rt);
	}
	if (ts_json_str_eq(&x.e, "depthUpdate")) {
		if (!(x.has & HAS('s')) || !(sp = ts_json_str_raw(&x.s, &sn)))
			return -1;
		s = feed_sym_native(f, sp, sn);
		if (!s || !(s->want & CH_BOOK))
			return FEED_IGNORED;
		return on_depth(f, s, &d, &x, rt);
	}
	if (ts_json_str_eq(&x.e, "serverShutdown")) {
		ts_info("binance announced a server shutdown: reconnecting");
		f->ops.reconnect(f->ops.ctx, "server shutdown", 1);
		return 0;
	}
	return FEED_IGNORED; /* kline, …: not ours */
}

/* {"symbols":[{"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC",
 * "quoteAsset":"USDT",…},…]} */
static int
bn_instruments(struct feed *f, const char *body, size_t n)
{
	struct ts_jval doc, syms, p;
	struct ts_jiter it;
	int count = 0;

	if (ts_json_parse(body, n, &doc, NULL) < 0 || ts_json_get(&doc, "symbols", &syms) ||
	    syms.type != TS_J_ARR)
		return -1;
	ts_json_iter(&it, &syms);
	while (ts_json_next(&it, NULL, &p)) {
		char id[64], base[32], quote[32], canon[80], status[32];
		if (ts_json_get_str(&p, "symbol", id, sizeof id) <= 0 ||
		    ts_json_get_str(&p, "baseAsset", base, sizeof base) <= 0 ||
		    ts_json_get_str(&p, "quoteAsset", quote, sizeof quote) <= 0)
			continue;
		if (ts_json_get_str(&p, "status", status, sizeof status) > 0 &&
		    strcmp(status, "TRADING"))
			continue;
		snprintf(canon, sizeof canon, "%s-%s", base, quote);
		feed_instrument(f, canon, id);
		count++;
	}
	return count ? 0 : -1;
}

static struct ex_adapter binance = {
	.name = "binance",
	.ws_base = "wss://stream.binance.com:9443",
	.rest_base = "https://api.binance.com",
	.instruments_path = "/api/v3/exchangeInfo",
	.ws_msgs_per_sec = 5,              /* incoming messages per second limit */
	.watchdog_us = 60000000,           /* pings come every 20 s */
	.max_conn_us = INT64_C(23) * 3600 * 1000000, /* the cut comes at 24 h */
	.instruments = bn_instruments,
	.ws_path = bn_ws_path,
	.on_connect = bn_on_connect,
	.channel = bn_channel,
	.on_message = bn_on_message,
	.book_resync = bn_book_resync,
	.backfill = bn_backfill,
	.on_rest = bn_on_rest,
	.on_disconnect = bn_on_disconnect,
	.free_sym = bn_free_sym,
	.option = bn_option,
	.options_help = "trades=trade|agg",
};
EX_REGISTER(binance)
