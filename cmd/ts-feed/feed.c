/* feed.c: ts-feed's core: symbols, book state machine, trade dedup/backfill, publishing */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ex.h"
#include "log.h"
#include "tm.h"
#include "topic.h"

/* Live trades held while a backfill runs; beyond this the backfill is
 * abandoned and the gap reported, so memory stays bounded. */
#define HELD_MAX 200000

static struct ex_adapter *registry;

void
ex_register(struct ex_adapter *a)
{
	a->next = registry;
	registry = a;
}

const struct ex_adapter *
ex_find(const char *name)
{
	for (const struct ex_adapter *a = registry; a; a = a->next)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

const struct ex_adapter *ex_first(void) { return registry; }

const char *
feed_state_name(enum book_state st)
{
	switch (st) {
	case BOOK_OFF: return "off";
	case BOOK_SYNCING: return "syncing";
	case BOOK_LIVE: return "live";
	}
	return "?";
}

void
feed_init(struct feed *f, const struct ex_adapter *ex, const struct feed_ops *ops)
{
	struct ts_ratelimit rl = TS_RATELIMIT_INIT(1, 20);

	memset(f, 0, sizeof *f);
	f->ex = ex;
	f->ops = *ops;
	f->conn_seq = -1;
	f->rl = rl;
	snprintf(f->state, sizeof f->state, "starting");
}

void
feed_free(struct feed *f)
{
	struct ts_map_entry *e;
	size_t i = 0;

	while ((e = ts_map_next(&f->inst, &i)))
		free(e->v.p);
	ts_map_clear(&f->inst);
	ts_map_clear(&f->syms);
	ts_map_clear(&f->bynative);
	for (size_t k = 0; k < f->nsym; k++) {
		struct fsym *s = f->symv[k];
		if (f->ex->free_sym)
			f->ex->free_sym(s);
		else
			free(s->xd);
		ts_book_free(&s->book);
		free(s->held);
		free(s);
	}
	free(f->symv);
	free(f->chg[0]);
	free(f->chg[1]);
	free(f->conf);
	ts_jw_free(&f->w);
	memset(f, 0, sizeof *f);
}

void
feed_instrument(struct feed *f, const char *canon, const char *native)
{
	struct ts_map_entry *e;
	int created;

	if (!ts_sym_valid(canon) || strlen(native) >= sizeof ((struct fsym *)0)->native)
		return;
	e = ts_map_put(&f->inst, canon, &created);
	if (!created)
		free(e->v.p);
	e->v.p = ts_xstrdup(native);
}

const char *
feed_native(const struct feed *f, const char *canon)
{
	struct ts_map_entry *e = ts_map_get(&f->inst, canon);
	return e ? e->v.p : NULL;
}

struct fsym *
feed_sym(const struct feed *f, const char *canon)
{
	struct ts_map_entry *e = ts_map_get(&f->syms, canon);
	return e ? e->v.p : NULL;
}

struct fsym *
feed_sym_native(const struct feed *f, const char *native, size_t n)
{
	char key[64];
	struct ts_map_entry *e;

	if (n >= sizeof key)
		return NULL;
	/* a few symbols (the usual case): compare, without copying the key */
	if (f->nsym <= 8) {
		for (size_t i = 0; i < f->nsym; i++) {
			struct fsym *s = f->symv[i];
			if (!memcmp(s->native, native, n) && s->native[n] == '\0')
				return s;
		}
		return NULL;
	}
	memcpy(key, native, n);
	key[n] = '\0';
	e = ts_map_get(&f->bynative, key);
	return e ? e->v.p : NULL;
}

int
feed_any_wanted(const struct feed *f)
{
	for (size_t i = 0; i < f->nsym; i++)
		if (f->symv[i]->want)
			return 1;
	return 0;
}

static struct fsym *
sym_get(struct feed *f, const char *canon, const char *native)
{
	struct ts_map_entry *e;
	struct fsym *s;
	int created;

	e = ts_map_put(&f->syms, canon, &created);
	if (!created)
		return e->v.p;
	s = ts_xcalloc(1, sizeof *s);
	snprintf(s->sym, sizeof s->sym, "%s", canon);
	snprintf(s->native, sizeof s->native, "%s", native);
	ts_topic_build(s->t_trades, sizeof s->t_trades, "trades", f->ex->name, canon, NULL);
	ts_topic_build(s->t_book, sizeof s->t_book, "book", f->ex->name, canon, NULL);
	s->last_id = -1;
	s->conn = f->ex->conn_of ? f->ex->conn_of(f, s) : 0;
	if (s->conn < 0 || s->conn >= FEED_CONN_MAX)
		s->conn = 0;
	e->v.p = s;
	ts_map_put(&f->bynative, native, NULL)->v.p = s;
	ts_xgrow((void **)&f->symv, &f->capsym, f->nsym + 1, sizeof *f->symv);
	f->symv[f->nsym++] = s;
	return s;
}

int
feed_want(struct feed *f, const char *sym, int ch, int on)
{
	const char *native = feed_native(f, sym);
	struct fsym *s;
	int changed;

	if (!native) {
		if (!on)
			return -1;
		ts_warn("unknown symbol '%s' on %s", sym, f->ex->name);
		feed_status(f, NULL, "unknown_symbol", sym);
		return -1;
	}
	s = sym_get(f, sym, native);
	changed = on ? ch & ~s->want : ch & s->want;
	for (int bit = CH_TRADES; bit <= CH_BOOK; bit <<= 1) {
		if (!(changed & bit))
			continue;
		if (on)
			s->want |= bit;
		else
			s->want &= ~bit;
		if (bit == CH_BOOK) {
			if (on) {
				s->bstate = BOOK_SYNCING;
			} else {
				s->bstate = BOOK_OFF;
				ts_book_clear(&s->book);
			}
		}
		if (bit == CH_TRADES && !on) {
			/* nobody listens: a later subscriber starts afresh */
			s->last_id = -1;
			s->backfilling = 0;
			s->nheld = 0;
		}
		if (feed_conn_up(f, s->conn) && f->ex->channel) {
			f->conn = s->conn;
			f->ex->channel(f, s, bit, on);
		}
	}
	return 0;
}

int
feed_conn_up(const struct feed *f, int c)
{
	return c >= 0 && c < FEED_CONN_MAX && (f->connected >> c & 1);
}

void
feed_connected(struct feed *f)
{
	f->connected |= 1u << f->conn;
	f->conn_seq = -1;
	for (size_t i = 0; i < f->nsym; i++) {
		struct fsym *s = f->symv[i];
		if (s->conn == f->conn && (s->want & CH_BOOK))
			s->bstate = BOOK_SYNCING;
	}
	f->ex->on_connect(f);
	feed_status(f, "connected", NULL, NULL);
}

static void
publish_reset(struct feed *f, struct fsym *s, const char *reason)
{
	struct ts_jw *w = &f->w;

	ts_jw_reset(w);
	ts_jw_obj(w);
	ts_jw_kstr(w, "ex", f->ex->name);
	ts_jw_kstr(w, "sym", s->sym);
	ts_jw_kstr(w, "type", "reset");
	ts_jw_kstr(w, "reason", reason);
	ts_jw_key(w, "seq");
	ts_jw_u64(w, ++s->seq_book);
	ts_jw_obj_end(w);
	f->ops.emit(f->ops.ctx, s->t_book, w->buf, w->len);
}

void
feed_disconnected(struct feed *f, const char *reason)
{
	int was = feed_conn_up(f, f->conn);

	f->connected &= ~(1u << f->conn);
	f->conn_seq = -1;
	for (size_t i = 0; i < f->nsym; i++) {
		struct fsym *s = f->symv[i];
		if (s->conn != f->conn)
			continue;
		if (s->bstate == BOOK_LIVE)
			publish_reset(f, s, "disconnected");
		if (s->want & CH_BOOK) {
			s->bstate = BOOK_SYNCING;
			ts_book_clear(&s->book);
		}
	}
	if (f->ex->on_disconnect)
		f->ex->on_disconnect(f);
	if (was)
		f->reconnects++;
	feed_status(f, "reconnecting", "disconnected", reason);
}

void
feed_message(struct feed *f, const char *p, size_t n, int64_t rt)
{
	int r;

	f->msgs++;
	if ((r = f->ex->on_message(f, p, n, rt)) < 0)
		feed_malformed(f, "message", p, n);
	else if (r == FEED_IGNORED)
		f->ignored++;
}

void
feed_malformed(struct feed *f, const char *what, const char *p, size_t n)
{
	f->malformed++;
	ts_warn_rl(&f->rl, "malformed %s from %s skipped: '%.*s'", what, f->ex->name,
	    (int)(n > 120 ? 120 : n), p);
}

int
feed_rest_error(struct feed *f, struct fsym *s, const char *what, long status)
{
	char detail[160];

	snprintf(detail, sizeof detail, "%s: %s answered %ld", s->sym, what, status);
	ts_warn_rl(&f->rl, "%s %s", f->ex->name, detail);
	feed_status(f, NULL, "rest_error", detail);
	return status >= 400 && status < 500 && status != 429 && status != 418;
}

void
feed_snap_get(struct feed *f, struct fsym *s, struct feed_snapreq *r, const char *path)
{
	if (r->inflight) {
		r->again = 1;
		return;
	}
	r->inflight = 1;
	r->again = 0;
	f->ops.rest_get(f->ops.ctx, s, REST_SNAPSHOT, path);
}

int
feed_snap_answer(struct feed *f, struct fsym *s, struct feed_snapreq *r, long status,
    void (*ask)(struct feed *, struct fsym *))
{
	r->inflight = 0;
	if (s->bstate != BOOK_SYNCING || !f->connected)
		return 0;
	if (status != 200) {
		if (!feed_rest_error(f, s, "book snapshot", status))
			ask(f, s);
		return 0;
	}
	if (r->again) {
		r->again = 0;
		ask(f, s);
		return 0;
	}
	return 1;
}

int
feed_backfill_answer(struct feed *f, struct fsym *s, long status)
{
	if (!s->backfilling)
		return 0;
	if (status != 200) {
		feed_rest_error(f, s, "trade history", status);
		feed_backfill_done(f, s);
		return 0;
	}
	return 1;
}

int64_t
feed_rfc3339(const struct ts_jval *v)
{
	const char *p;
	size_t n;
	int64_t us;

	if (!(p = ts_json_str_raw(v, &n)) || ts_rfc3339_parse(p, n, &us) < 0)
		return 0;
	return us;
}

int64_t
feed_ms_to_us(int64_t ms)
{
	return ms > 0 && ms <= INT64_MAX / 1000 ? ms * 1000 : 0;
}

int
feed_levels(struct feed *f, struct fsym *s, const struct ts_jval *arr, enum ts_side side)
{
	struct ts_jval lv, px, qty;
	struct ts_jiter it, it2;

	if (arr->type != TS_J_ARR)
		return -1;
	/* arr lies in text ts_json_parse validated: the fast walk */
	ts_json_iter(&it, arr);
	while (ts_json_vnext(&it, NULL, &lv)) {
		struct ts_dec dpx, dqty;
		if (lv.type != TS_J_ARR)
			return -1;
		ts_json_iter(&it2, &lv);
		if (!ts_json_vnext(&it2, NULL, &px) || !ts_json_vnext(&it2, NULL, &qty) ||
		    ts_json_dec(&px, &dpx) || ts_json_dec(&qty, &dqty) || dpx.m <= 0 ||
		    feed_level(f, s, side, dpx, dqty) < 0)
			return -1;
	}
	return 0;
}

/* trades */

/* Decimal text two digits at a time (times are 16 digits long). */
static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static const uint64_t pow10u[20] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, 10000000000, 100000000000, 1000000000000, 10000000000000,
	100000000000000, 1000000000000000, 10000000000000000,
	100000000000000000, 1000000000000000000, 10000000000000000000u,
};

/* v in decimal at b, written from its last digit backwards */
static size_t
put_u64(char *b, uint64_t v)
{
	/* digits: log10 from the bit length, corrected by one compare */
	unsigned t = (unsigned)(64 - __builtin_clzll(v | 1)) * 1233 >> 12;
	size_t n = t + (v >= pow10u[t]);
	char *o;

	if (!n)
		n = 1;
	o = b + n;
	while (v >= 100) {
		o -= 2;
		memcpy(o, digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(o - 2, digits2 + 2 * v, 2);
	else
		o[-1] = (char)('0' + v);
	return n;
}

static size_t
put_i64(char *b, int64_t v)
{
	if (v < 0) {
		b[0] = '-';
		return 1 + put_u64(b + 1, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(b, (uint64_t)v);
}

#define PUTS(lit) (memcpy(b + n, lit, sizeof lit - 1), n += sizeof lit - 1)

/* The hot path: a trade is written straight into a stack buffer (the same
 * text ts_jw would make, without a printf per number). */
static void
publish_trade(struct feed *f, struct fsym *s, const struct ftrade *t, const char *tid,
    size_t tidn, int flags)
{
	char b[128 + 2 * TS_SYM_MAX + TRADE_ID_MAX + 2 * TS_DEC_STRLEN + 4 * 24];
	size_t n = 0;

	PUTS("{\"ex\":\"");
	memcpy(b + n, f->ex->name, strlen(f->ex->name));
	n += strlen(f->ex->name);
	PUTS("\",\"sym\":\"");
	memcpy(b + n, s->sym, strlen(s->sym));
	n += strlen(s->sym);
	PUTS("\",\"id\":\"");
	if (tid) {
		memcpy(b + n, tid, tidn);
		n += tidn;
	} else {
		n += put_i64(b + n, t->id);
	}
	PUTS("\",\"px\":");
	n += ts_dec_fmt(t->px, b + n, TS_DEC_STRLEN);
	PUTS(",\"qty\":");
	n += ts_dec_fmt(t->qty, b + n, TS_DEC_STRLEN);
	if (t->side == 'b')
		PUTS(",\"side\":\"buy\",\"ts\":");
	else
		PUTS(",\"side\":\"sell\",\"ts\":");
	n += put_i64(b + n, t->ts);
	PUTS(",\"rt\":");
	n += put_i64(b + n, t->rt);
	if (flags & TRADE_BLOCK)
		PUTS(",\"block\":true");
	PUTS(",\"seq\":");
	n += put_u64(b + n, ++s->seq_trades);
	b[n++] = '}';
	f->ops.emit(f->ops.ctx, s->t_trades, b, n);
	if (!tid)
		s->last_id = t->id;
	s->trades++;
	f->trades++;
}

/* A trade stamped too far after its receipt: published, it would wedge
 * every consumer's candles in the future; skipped, it is a gap like any
 * lost trade. */
static void
stamped_ahead(struct feed *f, struct fsym *s, const char *id, size_t idn, int64_t ts,
    int64_t rt)
{
	char when[40], got[40];

	ts_rfc3339_fmt(ts, when, sizeof when);
	ts_rfc3339_fmt(rt, got, sizeof got);
	f->malformed++;
	ts_warn_rl(&f->rl, "malformed trade from %s skipped: %s %.*s is stamped %s, "
	    "received %s", f->ex->name, s->sym, (int)idn, id, when, got);
}

int
feed_trade_text(struct feed *f, struct fsym *s, const char *id, size_t idn,
    struct ts_dec px, struct ts_dec qty, char side, int64_t ts, int64_t rt, int flags)
{
	struct ftrade t = { 0, px, qty, ts, rt, side };

	if (!(s->want & CH_TRADES) || !idn || idn > TRADE_ID_MAX)
		return 0;
	for (size_t i = 0; i < idn; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') || id[i] == '-'))
			return 0; /* nothing a JSON string would need escaped */
	if (ts_time_ahead(ts, rt)) {
		stamped_ahead(f, s, id, idn, ts, rt);
		return 0;
	}
	publish_trade(f, s, &t, id, idn, flags);
	return 1;
}

void
feed_trade_gap(struct feed *f, struct fsym *s, uint64_t missing, const char *detail)
{
	s->gaps++;
	s->missed += missing;
	ts_warn_rl(&f->rl, "%s %s", f->ex->name, detail);
	feed_status(f, NULL, "trade_gap", detail);
}

static void
report_gap(struct feed *f, struct fsym *s, int64_t after, int64_t before)
{
	char detail[160];

	snprintf(detail, sizeof detail, "%s: %lld trades missing after id %lld",
	    s->sym, (long long)(before - after - 1), (long long)after);
	feed_trade_gap(f, s, (uint64_t)(before - after - 1), detail);
}

static void
hold(struct fsym *s, const struct ftrade *t)
{
	ts_xgrow((void **)&s->held, &s->capheld, s->nheld + 1, sizeof *s->held);
	s->held[s->nheld++] = *t;
}

/* Publish t unless it is a duplicate; a gap before it is reported (or,
 * when allowed and the exchange can, backfilled while t is held). */
static int
accept_trade(struct feed *f, struct fsym *s, const struct ftrade *t, int may_backfill)
{
	if (s->last_id >= 0 && t->id <= s->last_id) {
		s->dups++;
		return 0;
	}
	if (s->last_id >= 0 && t->id > s->last_id + 1) {
		if (may_backfill && f->ex->backfill) {
			s->backfilling = 1;
			hold(s, t);
			f->ex->backfill(f, s, s->last_id, t->id);
			return 0;
		}
		report_gap(f, s, s->last_id, t->id);
	}
	publish_trade(f, s, t, NULL, 0, 0);
	return 1;
}

int
feed_trade(struct feed *f, struct fsym *s, int64_t id, struct ts_dec px,
    struct ts_dec qty, char side, int64_t ts, int64_t rt, int backfill)
{
	struct ftrade t = { id, px, qty, ts, rt, side };

	if (!(s->want & CH_TRADES))
		return 0;
	if (ts_time_ahead(ts, rt)) {
		char text[24];
		snprintf(text, sizeof text, "%lld", (long long)id);
		stamped_ahead(f, s, text, strlen(text), ts, rt);
		return 0;
	}
	if (backfill) {
		if (!s->backfilling || (s->nheld && id >= s->held[0].id))
			return 0; /* the live stream has it */
		if (s->last_id >= 0 && id <= s->last_id) {
			s->dups++;
			return 0;
		}
		if (accept_trade(f, s, &t, 0) != 1)
			return 0;
		s->backfilled++;
		return 1;
	}
	if (s->backfilling) {
		if (s->nheld >= HELD_MAX) {
			ts_warn("%s %s: backfill too slow, giving up on it", f->ex->name, s->sym);
			feed_backfill_done(f, s);
		} else {
			hold(s, &t);
			return 0;
		}
	}
	return accept_trade(f, s, &t, 1);
}

void
feed_backfill_done(struct feed *f, struct fsym *s)
{
	size_t n;

	if (!s->backfilling)
		return;
	s->backfilling = 0;
	n = s->nheld;
	s->nheld = 0;
	for (size_t i = 0; i < n; i++)
		accept_trade(f, s, &s->held[i], 0);
}

/* books */

void
feed_evq_push(struct feed_evq *q, const char *p, size_t n)
{
	if (q->nev >= FEED_EVQ_MAX) {
		size_t drop = q->nev / 2;
		for (size_t i = 0; i < drop; i++)
			free(q->ev[i]);
		memmove(q->ev, q->ev + drop, (q->nev - drop) * sizeof *q->ev);
		memmove(q->evn, q->evn + drop, (q->nev - drop) * sizeof *q->evn);
		q->nev -= drop;
	}
	ts_xgrow((void **)&q->ev, &q->capev, q->nev + 1, sizeof *q->ev);
	ts_xgrow((void **)&q->evn, &q->capevn, q->nev + 1, sizeof *q->evn);
	q->ev[q->nev] = ts_xstrndup(p, n);
	q->evn[q->nev++] = n;
}

void
feed_evq_clear(struct feed_evq *q)
{
	for (size_t i = 0; i < q->nev; i++)
		free(q->ev[i]);
	q->nev = 0;
}

void
feed_evq_free(struct feed_evq *q)
{
	feed_evq_clear(q);
	free(q->ev);
	free(q->evn);
	memset(q, 0, sizeof *q);
}

static void
publish_snapshot(struct feed *f, struct fsym *s, int64_t ts, int64_t rt)
{
	struct ts_jw *w = &f->w;

	ts_jw_reset(w);
	ts_jw_obj(w);
	ts_jw_kstr(w, "ex", f->ex->name);
	ts_jw_kstr(w, "sym", s->sym);
	ts_jw_kstr(w, "type", "snapshot");
	ts_book_write(&s->book, w, 0);
	ts_jw_ki64(w, "ts", ts);
	ts_jw_ki64(w, "rt", rt);
	ts_jw_key(w, "seq");
	ts_jw_u64(w, ++s->seq_book);
	ts_jw_obj_end(w);
	f->ops.emit(f->ops.ctx, s->t_book, w->buf, w->len);
	s->book_msgs++;
	f->book_msgs++;
}

/* Reset the book of s; 1 when it is wanted (and now syncing). */
static int
book_lost(struct feed *f, struct fsym *s, const char *reason)
{
	if (s->bstate == BOOK_LIVE)
		publish_reset(f, s, reason);
	if (!(s->want & CH_BOOK))
		return 0;
	s->resyncs++;
	f->resyncs++;
	s->bstate = BOOK_SYNCING;
	s->book_id = 0;
	ts_book_clear(&s->book);
	return 1;
}

void
feed_book_resync(struct feed *f, struct fsym *s, const char *reason)
{
	if (!book_lost(f, s, reason))
		return;
	ts_warn_rl(&f->rl, "%s %s: book out of sync (%s), resyncing", f->ex->name,
	    s->sym, reason);
	if (feed_conn_up(f, s->conn) && f->ex->book_resync) {
		f->conn = s->conn;
		f->ex->book_resync(f, s);
	}
}

void
feed_books_lost(struct feed *f, const char *reason)
{
	int n = 0;

	for (size_t i = 0; i < f->nsym; i++)
		if (f->symv[i]->bstate == BOOK_LIVE)
			n += book_lost(f, f->symv[i], reason);
	if (n)
		ts_warn_rl(&f->rl, "%s: %d books out of sync (%s), resyncing", f->ex->name, n,
		    reason);
}

void
feed_book_republish(struct feed *f, struct fsym *s)
{
	if (s->bstate == BOOK_LIVE)
		publish_snapshot(f, s, ts_now_us(), ts_now_us());
}

void
feed_snap_begin(struct feed *f, struct fsym *s)
{
	f->in_delta = 0;
	ts_book_clear(&s->book);
}

int
feed_snap_end(struct feed *f, struct fsym *s, int64_t ts, int64_t rt)
{
	if (ts_book_crossed(&s->book)) {
		feed_book_resync(f, s, "crossed");
		return -1;
	}
	s->bstate = BOOK_LIVE;
	publish_snapshot(f, s, ts, rt);
	return 0;
}

void
feed_delta_begin(struct feed *f, struct fsym *s)
{
	(void)s;
	f->in_delta = 1;
	f->nchg[0] = f->nchg[1] = 0;
}

int
feed_level(struct feed *f, struct fsym *s, enum ts_side side, struct ts_dec px,
    struct ts_dec qty)
{
	int r = ts_book_set(&s->book, side, px, qty);

	if (r < 0)
		return -1;
	if (r == 1 && f->in_delta) {
		ts_xgrow((void **)&f->chg[side], &f->capchg[side], f->nchg[side] + 1,
		    sizeof *f->chg[side]);
		f->chg[side][f->nchg[side]].px = px;
		f->chg[side][f->nchg[side]].qty = qty;
		f->nchg[side]++;
	}
	return 0;
}

/* Deltas are the other hot path: written straight into f->w's buffer. */
static size_t
put_levels(char *b, const char *key, const struct ts_level *lv, size_t n)
{
	size_t k = 0;

	b[k++] = '"';
	memcpy(b + k, key, 4);
	k += 4;
	memcpy(b + k, "\":[", 3);
	k += 3;
	for (size_t i = 0; i < n; i++) {
		if (i)
			b[k++] = ',';
		b[k++] = '[';
		k += ts_dec_fmt(lv[i].px, b + k, TS_DEC_STRLEN);
		b[k++] = ',';
		k += ts_dec_fmt(lv[i].qty, b + k, TS_DEC_STRLEN);
		b[k++] = ']';
	}
	b[k++] = ']';
	return k;
}

int
feed_delta_end(struct feed *f, struct fsym *s, int64_t ts, int64_t rt)
{
	struct ts_jw *w = &f->w;
	size_t n = 0, need;
	char *b;

	f->in_delta = 0;
	if (s->bstate != BOOK_LIVE)
		return 0;
	if (ts_book_crossed(&s->book)) {
		feed_book_resync(f, s, "crossed");
		return -1;
	}
	if (f->nchg[0] + f->nchg[1] == 0)
		return 0;
	need = 256 + strlen(f->ex->name) + strlen(s->sym) +
	    (f->nchg[0] + f->nchg[1]) * (2 * TS_DEC_STRLEN + 4);
	ts_xgrow((void **)&w->buf, &w->cap, need, 1);
	b = w->buf;
	PUTS("{\"ex\":\"");
	memcpy(b + n, f->ex->name, strlen(f->ex->name));
	n += strlen(f->ex->name);
	PUTS("\",\"sym\":\"");
	memcpy(b + n, s->sym, strlen(s->sym));
	n += strlen(s->sym);
	PUTS("\",\"type\":\"delta\",");
	n += put_levels(b + n, "bids", f->chg[0], f->nchg[0]);
	b[n++] = ',';
	n += put_levels(b + n, "asks", f->chg[1], f->nchg[1]);
	PUTS(",\"ts\":");
	n += put_i64(b + n, ts);
	PUTS(",\"rt\":");
	n += put_i64(b + n, rt);
	PUTS(",\"seq\":");
	n += put_u64(b + n, ++s->seq_book);
	b[n++] = '}';
	w->len = n;
	f->ops.emit(f->ops.ctx, s->t_book, b, n);
	s->book_msgs++;
	f->book_msgs++;
	return 0;
}

/* status */

static void
ku64(struct ts_jw *w, const char *key, uint64_t v)
{
	ts_jw_key(w, key);
	ts_jw_u64(w, v);
}

void
feed_status(struct feed *f, const char *state, const char *event, const char *detail)
{
	struct ts_jw *w = &f->w;
	char topic[96];
	int64_t now = ts_mono_us();
	double rate = 0;

	if (state)
		snprintf(f->state, sizeof f->state, "%s", state);
	if (f->rate_t && now > f->rate_t)
		rate = (double)(f->msgs - f->rate_msgs) * 1e6 / (double)(now - f->rate_t);
	f->rate_t = now;
	f->rate_msgs = f->msgs;
	ts_topic_build(topic, sizeof topic, "status", "feed", f->ex->name, NULL);
	ts_jw_reset(w);
	ts_jw_obj(w);
	ts_jw_kstr(w, "ex", f->ex->name);
	ts_jw_kstr(w, "state", f->state);
	if (event)
		ts_jw_kstr(w, "event", event);
	if (detail)
		ts_jw_kstr(w, "detail", detail);
	ku64(w, "msgs", f->msgs);
	ts_jw_key(w, "rate");
	ts_jw_double(w, (double)(int64_t)(rate * 10) / 10);
	ku64(w, "malformed", f->malformed);
	ku64(w, "ignored", f->ignored);
	ku64(w, "trades", f->trades);
	ku64(w, "book_msgs", f->book_msgs);
	ku64(w, "resyncs", f->resyncs);
	ku64(w, "reconnects", f->reconnects);
	ku64(w, "seq_gaps", f->seq_gaps);
	ku64(w, "bus_dropped", f->bus_dropped);
	ts_jw_key(w, "symbols");
	ts_jw_obj(w);
	for (size_t i = 0; i < f->nsym; i++) {
		struct fsym *s = f->symv[i];
		if (!s->want)
			continue;
		ts_jw_key(w, s->sym);
		ts_jw_obj(w);
		if (s->want & CH_BOOK)
			ts_jw_kstr(w, "book", feed_state_name(s->bstate));
		if (s->want & CH_TRADES) {
			ku64(w, "trades", s->trades);
			ku64(w, "dups", s->dups);
			ku64(w, "missed", s->missed);
			ku64(w, "backfilled", s->backfilled);
		}
		ku64(w, "resyncs", s->resyncs);
		ts_jw_obj_end(w);
	}
	ts_jw_obj_end(w);
	ts_jw_ki64(w, "ts", ts_now_us());
	ts_jw_key(w, "seq");
	ts_jw_u64(w, ++f->status_seq);
	ts_jw_obj_end(w);
	f->ops.emit(f->ops.ctx, topic, w->buf, w->len);
}
