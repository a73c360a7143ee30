/* coinbase.c: ts-feed adapter for Coinbase Advanced Trade (level2, market_trades, heartbeats) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ex.h"
#include "log.h"

/* Subscribe or unsubscribe one channel for the products in syms. */
static void
send_sub(struct feed *f, const char *type, const char *channel,
    struct fsym **syms, size_t n)
{
	struct ts_jw w = { 0 };

	ts_jw_obj(&w);
	ts_jw_kstr(&w, "type", type);
	ts_jw_key(&w, "product_ids");
	ts_jw_arr(&w);
	for (size_t i = 0; i < n; i++)
		ts_jw_str(&w, syms[i]->native);
	ts_jw_arr_end(&w);
	ts_jw_kstr(&w, "channel", channel);
	ts_jw_obj_end(&w);
	f->ops.ws_send(f->ops.ctx, w.buf, w.len);
	ts_jw_free(&w);
}

static void
cb_ws_path(struct feed *f, char *buf, size_t n)
{
	(void)f;
	snprintf(buf, n, "/");
}

static void
cb_on_connect(struct feed *f)
{
	struct fsym **v = ts_xcalloc(f->nsym + 1, sizeof *v);
	size_t n;

	n = 0;
	for (size_t i = 0; i < f->nsym; i++)
		if (f->symv[i]->want)
			v[n++] = f->symv[i];
	/* heartbeats keep a quiet connection talking, for the watchdog */
	send_sub(f, "subscribe", "heartbeats", v, n);
	n = 0;
	for (size_t i = 0; i < f->nsym; i++)
		if (f->symv[i]->want & CH_TRADES)
			v[n++] = f->symv[i];
	if (n)
		send_sub(f, "subscribe", "market_trades", v, n);
	n = 0;
	for (size_t i = 0; i < f->nsym; i++)
		if (f->symv[i]->want & CH_BOOK)
			v[n++] = f->symv[i];
	if (n)
		send_sub(f, "subscribe", "level2", v, n);
	free(v);
}

static void
cb_channel(struct feed *f, struct fsym *s, int ch, int on)
{
	send_sub(f, on ? "subscribe" : "unsubscribe",
	    ch == CH_BOOK ? "level2" : "market_trades", &s, 1);
}

/* Per product: level2 resyncs asked in a row with no snapshot that brought
 * the book back; beyond RESYNC_TRIES the connection is renewed instead. */
struct cb_sym {
	int tries;
};
#define RESYNC_TRIES 3

static struct cb_sym *
cs(struct fsym *s)
{
	if (!s->xd)
		s->xd = ts_xcalloc(1, sizeof(struct cb_sym));
	return s->xd;
}

/* Coinbase sends a level2 snapshot on subscription: a book found out of
 * sync for a reason of its own (crossed, a malformed update of its product)
 * is rebuilt by unsubscribing and subscribing its level2 again, which
 * leaves the other products alone. Updates of the product that come before
 * its new snapshot are ignored (its book is syncing). A product whose
 * resyncs keep failing gets a new connection, with backoff. A sequence_num
 * gap, which no product can be blamed for, renews the connection at once
 * (cb_on_message). */
static void
cb_book_resync(struct feed *f, struct fsym *s)
{
	struct cb_sym *c = cs(s);

	if (++c->tries > RESYNC_TRIES) {
		c->tries = 0;
		f->ops.reconnect(f->ops.ctx, "book keeps losing sync", 0);
		return;
	}
	send_sub(f, "unsubscribe", "level2", &s, 1);
	send_sub(f, "subscribe", "level2", &s, 1);
}


static int
l2_event(struct feed *f, const struct ts_jval *ev, int64_t ts, int64_t rt)
{
	struct ts_jval type, pid, ups, u, side, px, qty;
	struct ts_dec dpx, dqty;
	struct ts_jiter it;
	const char *p;
	size_t n;
	struct fsym *s;
	int snap;

	struct ts_jval k, v;
	int got = 0;

	/* ev lies in text cb_on_message validated: one fast walk of its members */
	ts_json_iter(&it, ev);
	while (ts_json_vnext(&it, &k, &v)) {
		if (TS_JSON_KEY_IS(&k, "type") && !(got & 1))
			type = v, got |= 1;
		else if (TS_JSON_KEY_IS(&k, "product_id") && !(got & 2))
			pid = v, got |= 2;
		else if (TS_JSON_KEY_IS(&k, "updates") && !(got & 4))
			ups = v, got |= 4;
	}
	if (got != 7 || ups.type != TS_J_ARR || !(p = ts_json_str_raw(&pid, &n)))
		return -1;
	if (ts_json_str_eq(&type, "snapshot"))
		snap = 1;
	else if (ts_json_str_eq(&type, "update"))
		snap = 0;
	else
		return -1;
	s = feed_sym_native(f, p, n);
	if (!s || !(s->want & CH_BOOK))
		return 0;
	if (!snap && s->bstate != BOOK_LIVE)
		return 0; /* waiting for the snapshot of a new connection */
	if (snap)
		feed_snap_begin(f, s);
	else
		feed_delta_begin(f, s);
	ts_json_iter(&it, &ups);
	while (ts_json_vnext(&it, NULL, &u)) {
		struct ts_jiter it2;
		enum ts_side sd;
		if (u.type != TS_J_OBJ)
			goto bad;
		got = 0;
		ts_json_iter(&it2, &u);
		while (ts_json_vnext(&it2, &k, &v)) {
			if (TS_JSON_KEY_IS(&k, "side") && !(got & 1))
				side = v, got |= 1;
			else if (TS_JSON_KEY_IS(&k, "price_level") && !(got & 2))
				px = v, got |= 2;
			else if (TS_JSON_KEY_IS(&k, "new_quantity") && !(got & 4))
				qty = v, got |= 4;
		}
		if (got != 7 || ts_json_dec(&px, &dpx) || ts_json_dec(&qty, &dqty) || dpx.m <= 0)
			goto bad;
		if (ts_json_str_eq(&side, "bid"))
			sd = TS_BID;
		else if (ts_json_str_eq(&side, "offer") || ts_json_str_eq(&side, "ask"))
			sd = TS_ASK;
		else
			goto bad;
		if (feed_level(f, s, sd, dpx, dqty) < 0)
			goto bad;
	}
	if (snap) {
		if (feed_snap_end(f, s, ts, rt) == 0)
			cs(s)->tries = 0;
	} else
		feed_delta_end(f, s, ts, rt);
	return 0;
bad:
	/* part of this update may be applied: the book cannot be trusted */
	f->in_delta = 0;
	feed_book_resync(f, s, "malformed update");
	return -1;
}

struct cb_trade {
	int64_t id;
	int got; /* bits of the members found */
	struct ts_jval pid, px, qty, side, tm;
};

static int
by_id(const void *a, const void *b)
{
	const struct cb_trade *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static int
trades_event(struct feed *f, const struct ts_jval *ev, int64_t rt)
{
	static struct cb_trade *v;
	static size_t cap;
	struct ts_jval trades, t, tid, pid, px, qty, side, tm;
	struct ts_jiter it;
	size_t n = 0;
	int bad = 0;

	struct ts_jval k, val;
	int got;

	got = 0;
	ts_json_iter(&it, ev);
	while (ts_json_vnext(&it, &k, &val))
		if (TS_JSON_KEY_IS(&k, "trades")) {
			trades = val;
			got = 1;
			break;
		}
	if (!got || trades.type != TS_J_ARR)
		return -1;
	/* snapshots come newest first: publish in id order */
	ts_json_iter(&it, &trades);
	while (ts_json_vnext(&it, NULL, &t)) {
		struct ts_jiter it2;
		int64_t id;
		if (t.type != TS_J_OBJ) {
			bad = 1;
			continue;
		}
		/* every member in one walk */
		got = 0;
		ts_json_iter(&it2, &t);
		while (ts_json_vnext(&it2, &k, &val)) {
			int bit;
			if (TS_JSON_KEY_IS(&k, "trade_id"))
				bit = 1;
			else if (TS_JSON_KEY_IS(&k, "product_id"))
				bit = 2;
			else if (TS_JSON_KEY_IS(&k, "price"))
				bit = 4;
			else if (TS_JSON_KEY_IS(&k, "size"))
				bit = 8;
			else if (TS_JSON_KEY_IS(&k, "side"))
				bit = 16;
			else if (TS_JSON_KEY_IS(&k, "time"))
				bit = 32;
			else
				continue;
			if (got & bit)
				continue; /* the first match wins */
			got |= bit;
			switch (bit) {
			case 1: tid = val; break;
			case 2: pid = val; break;
			case 4: px = val; break;
			case 8: qty = val; break;
			case 16: side = val; break;
			default: tm = val; break;
			}
		}
		if (!(got & 1) || ts_json_i64(&tid, &id) < 0) {
			bad = 1;
			continue;
		}
		ts_xgrow((void **)&v, &cap, n + 1, sizeof *v);
		v[n].id = id;
		v[n].got = got;
		v[n].pid = pid, v[n].px = px, v[n].qty = qty, v[n].side = side, v[n].tm = tm;
		n++;
	}
	if (n > 1)
		qsort(v, n, sizeof *v, by_id);
	for (size_t i = 0; i < n; i++) {
		struct ts_dec dpx, dqty;
		const char *p;
		size_t pn;
		struct fsym *s;
		char sd;

		if (v[i].got != 63 || !(p = ts_json_str_raw(&v[i].pid, &pn)) ||
		    ts_json_dec(&v[i].px, &dpx) || ts_json_dec(&v[i].qty, &dqty) ||
		    dpx.m <= 0 || dqty.m <= 0) {
			bad = 1;
			continue;
		}
		side = v[i].side;
		tm = v[i].tm;
		/* Coinbase's side is the maker's: a SELL maker met a buying taker */
		if (ts_json_str_eq(&side, "SELL"))
			sd = 'b';
		else if (ts_json_str_eq(&side, "BUY"))
			sd = 's';
		else {
			bad = 1;
			continue;
		}
		s = feed_sym_native(f, p, pn);
		if (!s)
			continue;
		feed_trade(f, s, v[i].id, dpx, dqty, sd, feed_rfc3339(&tm), rt, 0);
	}
	return bad ? -1 : 0;
}

/* Member key of obj from the members recorded (m[0..nm)), or from obj
 * itself when they were too many to record (nm 0). */
static int
get(const struct ts_jval *obj, const struct ts_jmember *m, size_t nm, const char *key,
    struct ts_jval *out)
{
	return nm ? ts_json_mget(m, nm, key, out) : ts_json_get(obj, key, out);
}

/* The connection's sequence_num sn: 1 when the message is to be read, 0
 * when not (sent twice, or a gap that renews the connection). */
static int
seq_check(struct feed *f, int64_t sn)
{
	if (f->conn_seq >= 0 && sn <= f->conn_seq) {
		f->dup_msgs++;
		return 0; /* sent twice */
	}
	if (f->conn_seq >= 0 && sn > f->conn_seq + 1) {
		char detail[96];
		f->seq_gaps++;
		snprintf(detail, sizeof detail, "sequence_num %lld after %lld",
		    (long long)sn, (long long)f->conn_seq);
		ts_warn_rl(&f->rl, "coinbase: gap in %s", detail);
		feed_status(f, NULL, "sequence_gap", detail);
		/* any channel may have lost a message: every book is
		 * suspect, and the trades too (a new connection's
		 * snapshots bring both back) */
		feed_books_lost(f, "sequence gap");
		f->conn_seq = sn;
		f->ops.reconnect(f->ops.ctx, "sequence gap", 1);
		return 0;
	}
	f->conn_seq = sn;
	return 1;
}

/* The hot path: the usual level2 message,
 * {"channel":"l2_data","client_id":"","timestamp":"…","sequence_num":N,
 * "events":[{"type":"update","product_id":"…","updates":[{"side":"bid",
 * "event_time":"…","price_level":"…","new_quantity":"…"},…]},…]},
 * read and validated in one pass before anything is applied. Any other
 * shape (another channel, a repeated or differently typed member, an
 * update that l2_event would find malformed, more events or levels than
 * fit here) returns 0 untouched and the general path reads the message,
 * so what this accepts it handles exactly as that path would. Otherwise
 * 1, with *ret what cb_on_message returns. */
#define FAST_LEVELS 4096
#define FAST_EVENTS 8
static struct ts_level fast_lv[FAST_LEVELS];
static unsigned char fast_side[FAST_LEVELS];

struct fast_ev {
	int snap;
	struct ts_jval pid;
	size_t from, to; /* its levels in fast_lv */
};

/* {"side":…,"price_level":…,"new_quantity":…} into fast_lv[i]: 0, or -1 */
static int
fast_update(struct ts_jrd *r, size_t i)
{
	struct ts_jval k, v;
	int got = 0, more;

	if (ts_jrd_open(r, '{') != 1)
		return -1;
	do {
		if (ts_jrd_key(r, &k) < 0)
			return -1;
		if (TS_JSON_KEY_IS(&k, "price_level")) {
			if ((got & 2) || ts_jrd_dec_str(r, &fast_lv[i].px) < 0)
				return -1;
			got |= 2;
		} else if (TS_JSON_KEY_IS(&k, "new_quantity")) {
			if ((got & 4) || ts_jrd_dec_str(r, &fast_lv[i].qty) < 0)
				return -1;
			got |= 4;
		} else if (TS_JSON_KEY_IS(&k, "side")) {
			if ((got & 1) || ts_jrd_str(r, &v) < 0)
				return -1;
			if (ts_json_str_eq(&v, "bid"))
				fast_side[i] = TS_BID;
			else if (ts_json_str_eq(&v, "offer") || ts_json_str_eq(&v, "ask"))
				fast_side[i] = TS_ASK;
			else
				return -1;
			got |= 1;
		} else if (ts_jrd_value(r, &v) < 0) {
			return -1;
		}
	} while ((more = ts_jrd_sep(r, '}')) == 1);
	return more == 0 && got == 7 && fast_lv[i].px.m > 0 && fast_lv[i].qty.m >= 0 ? 0 : -1;
}

/* {"type":…,"product_id":…,"updates":[…]} into e, its levels from *nlv on */
static int
fast_event(struct ts_jrd *r, struct fast_ev *e, size_t *nlv)
{
	struct ts_jval k, v;
	int got = 0, more;

	if (ts_jrd_open(r, '{') != 1)
		return -1;
	do {
		if (ts_jrd_key(r, &k) < 0)
			return -1;
		if (TS_JSON_KEY_IS(&k, "type")) {
			if ((got & 1) || ts_jrd_str(r, &v) < 0)
				return -1;
			if (ts_json_str_eq(&v, "update"))
				e->snap = 0;
			else if (ts_json_str_eq(&v, "snapshot"))
				e->snap = 1;
			else
				return -1;
			got |= 1;
		} else if (TS_JSON_KEY_IS(&k, "product_id")) {
			if ((got & 2) || ts_jrd_str(r, &e->pid) < 0)
				return -1;
			got |= 2;
		} else if (TS_JSON_KEY_IS(&k, "updates")) {
			if (got & 4)
				return -1;
			got |= 4;
			e->from = *nlv;
			for (more = ts_jrd_open(r, '['); more == 1; more = ts_jrd_sep(r, ']')) {
				if (*nlv >= FAST_LEVELS || fast_update(r, *nlv) < 0)
					return -1;
				++*nlv;
			}
			if (more < 0)
				return -1;
			e->to = *nlv;
		} else if (ts_jrd_value(r, &v) < 0) {
			return -1;
		}
	} while ((more = ts_jrd_sep(r, '}')) == 1);
	return more == 0 && got == 7 ? 0 : -1;
}

static int
fast_l2(struct feed *f, const char *p, size_t n, int64_t rt, int *ret)
{
	struct fast_ev ev[FAST_EVENTS];
	struct ts_jrd r;
	struct ts_jval k, v, ts;
	size_t nev = 0, nlv = 0;
	int64_t sn = 0, t;
	int got = 0, more;

	ts_jrd_init(&r, p, n);
	if (ts_jrd_open(&r, '{') != 1)
		return 0;
	do {
		if (ts_jrd_key(&r, &k) < 0)
			return 0;
		if (TS_JSON_KEY_IS(&k, "channel")) {
			if ((got & 1) || ts_jrd_str(&r, &v) < 0 || !ts_json_str_eq(&v, "l2_data"))
				return 0;
			got |= 1;
		} else if (TS_JSON_KEY_IS(&k, "sequence_num")) {
			if ((got & 2) || ts_jrd_int(&r, &sn) < 0)
				return 0;
			got |= 2;
		} else if (TS_JSON_KEY_IS(&k, "timestamp")) {
			if ((got & 4) || ts_jrd_str(&r, &ts) < 0)
				return 0;
			got |= 4;
		} else if (TS_JSON_KEY_IS(&k, "events")) {
			if (got & 8)
				return 0;
			got |= 8;
			for (more = ts_jrd_open(&r, '['); more == 1; more = ts_jrd_sep(&r, ']')) {
				if (nev >= FAST_EVENTS || fast_event(&r, &ev[nev], &nlv) < 0)
					return 0;
				nev++;
			}
			if (more < 0)
				return 0;
		} else if (ts_jrd_value(&r, &v) < 0) {
			return 0;
		}
	} while ((more = ts_jrd_sep(&r, '}')) == 1);
	if (more < 0 || ts_jrd_end(&r) < 0 || !(got & 1) || !(got & 8))
		return 0;
	/* from here on as cb_on_message and l2_event */
	*ret = 0;
	if ((got & 2) && seq_check(f, sn) == 0)
		return 1;
	t = got & 4 ? feed_rfc3339(&ts) : 0;
	if (!t)
		t = rt;
	for (size_t i = 0; i < nev; i++) {
		struct fast_ev *e = &ev[i];
		struct fsym *s = feed_sym_native(f, e->pid.p + 1, e->pid.n - 2);
		if (!s || !(s->want & CH_BOOK))
			continue;
		if (!e->snap && s->bstate != BOOK_LIVE)
			continue; /* waiting for the snapshot of a new connection */
		if (e->snap)
			feed_snap_begin(f, s);
		else
			feed_delta_begin(f, s);
		for (size_t j = e->from; j < e->to; j++)
			feed_level(f, s, fast_side[j], fast_lv[j].px, fast_lv[j].qty);
		if (e->snap) {
			if (feed_snap_end(f, s, t, rt) == 0)
				cs(s)->tries = 0;
		} else {
			feed_delta_end(f, s, t, rt);
		}
	}
	return 1;
}

static int
cb_on_message(struct feed *f, const char *p, size_t n, int64_t rt)
{
	struct ts_jmember m[16];
	struct ts_jval msg, ch, seq, evs, ev, ts;
	struct ts_jiter it;
	int64_t sn, t;
	size_t nm;
	int l2, r = 0;

	if (fast_l2(f, p, n, rt, &r))
		return r;
	/* one validating pass that also splits the top-level object */
	if (ts_json_parse_obj(p, n, &msg, m, 16, 0, &nm, NULL) < 0 || msg.type != TS_J_OBJ)
		return -1;
	if (nm == 16)
		nm = 0; /* more members than recorded: get() reads the object */
	if (get(&msg, m, nm, "channel", &ch) < 0) {
		struct ts_jval type;
		char text[200];
		if (!ts_json_get(&msg, "type", &type) && ts_json_str_eq(&type, "error")) {
			if (ts_json_get_str(&msg, "message", text, sizeof text) < 0)
				snprintf(text, sizeof text, "(no message)");
			ts_warn("coinbase reports an error: %s", text);
			feed_status(f, NULL, "exchange_error", text);
			return 0;
		}
		return -1;
	}
	if (get(&msg, m, nm, "sequence_num", &seq) == 0) {
		if (ts_json_i64(&seq, &sn) < 0)
			return -1;
		if (seq_check(f, sn) == 0)
			return 0;
	}
	l2 = ts_json_str_eq(&ch, "l2_data");
	if (!l2 && !ts_json_str_eq(&ch, "market_trades"))
		return ts_json_str_eq(&ch, "heartbeats") || ts_json_str_eq(&ch, "subscriptions") ?
		    0 : FEED_IGNORED; /* a channel we did not ask for */
	if (get(&msg, m, nm, "events", &evs) || evs.type != TS_J_ARR)
		return -1;
	t = 0;
	if (get(&msg, m, nm, "timestamp", &ts) == 0)
		t = feed_rfc3339(&ts);
	if (!t)
		t = rt;
	ts_json_iter(&it, &evs);
	while (ts_json_vnext(&it, NULL, &ev)) {
		if (ev.type != TS_J_OBJ) {
			r = -1;
			continue;
		}
		if ((l2 ? l2_event(f, &ev, t, rt) : trades_event(f, &ev, rt)) < 0)
			r = -1;
	}
	return r;
}

/* {"products":[{"product_id":"BTC-USD","base_currency_id":"BTC",
 * "quote_currency_id":"USD","status":"online",…},…]} */
static int
cb_instruments(struct feed *f, const char *body, size_t n)
{
	struct ts_jval doc, prods, p;
	struct ts_jiter it;
	int count = 0;

	if (ts_json_parse(body, n, &doc, NULL) < 0 || ts_json_get(&doc, "products", &prods) ||
	    prods.type != TS_J_ARR)
		return -1;
	ts_json_iter(&it, &prods);
	while (ts_json_next(&it, NULL, &p)) {
		char id[64], base[32], quote[32], canon[80], status[32];
		if (ts_json_get_str(&p, "product_id", id, sizeof id) <= 0)
			continue;
		if (ts_json_get_str(&p, "status", status, sizeof status) > 0 &&
		    !strcmp(status, "delisted"))
			continue;
		if (ts_json_get_str(&p, "base_currency_id", base, sizeof base) > 0 &&
		    ts_json_get_str(&p, "quote_currency_id", quote, sizeof quote) > 0)
			snprintf(canon, sizeof canon, "%s-%s", base, quote);
		else
			snprintf(canon, sizeof canon, "%s", id);
		feed_instrument(f, canon, id);
		count++;
	}
	return count ? 0 : -1;
}

static struct ex_adapter coinbase = {
	.name = "coinbase",
	.ws_base = "wss://advanced-trade-ws.coinbase.com",
	.rest_base = "https://api.coinbase.com",
	.instruments_path = "/api/v3/brokerage/market/products",
	.ws_msgs_per_sec = 8,      /* unauthenticated messages per second */
	.watchdog_us = 10000000,   /* heartbeats come every second */
	.max_conn_us = 0,
	.instruments = cb_instruments,
	.ws_path = cb_ws_path,
	.on_connect = cb_on_connect,
	.channel = cb_channel,
	.on_message = cb_on_message,
	.book_resync = cb_book_resync,
	.backfill = NULL, /* no trade history by id: gaps are reported */
};
EX_REGISTER(coinbase)
