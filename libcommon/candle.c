/* candle.c: trades into exact OHLCV candles per timeframe */
#include "candle.h"
#include "log.h"
#include "tm.h"

#include <stdlib.h>
#include <string.h>

/* Comparisons and sums: the same scale is the common case (one market sends
 * one precision), so it skips ts_dec's 128-bit path. */
static inline int
dcmp(struct ts_dec a, struct ts_dec b)
{
	if (a.scale == b.scale)
		return (a.m > b.m) - (a.m < b.m);
	return ts_dec_cmp(a, b);
}

static inline int
dadd(struct ts_dec *acc, struct ts_dec x)
{
	int64_t r;

	if (acc->scale == x.scale && !__builtin_add_overflow(acc->m, x.m, &r)) {
		acc->m = r;
		return 0;
	}
	return ts_dec_add(*acc, x, acc);
}

void
ts_candle_series_init(struct ts_candle_series *s, int64_t tf_us, size_t keep)
{
	memset(s, 0, sizeof *s);
	s->tf_us = tf_us;
	s->keep = keep;
	if (keep)
		s->ring = ts_xcalloc(keep, sizeof *s->ring);
}

void
ts_candle_series_free(struct ts_candle_series *s)
{
	free(s->ring);
	s->ring = NULL;
	s->len = s->head = 0;
}

const struct ts_candle *
ts_candle_series_at(const struct ts_candle_series *s, size_t i)
{
	return &s->ring[(s->head + i) % s->keep];
}

static void
keep_closed(struct ts_candle_series *s, const struct ts_candle *c)
{
	if (!s->keep)
		return;
	if (s->len < s->keep) {
		s->ring[(s->head + s->len) % s->keep] = *c;
		s->len++;
	} else {
		s->ring[s->head] = *c;
		s->head = (s->head + 1) % s->keep;
	}
}

static void
open_flat(struct ts_candle_series *s, int64_t t, struct ts_dec close)
{
	struct ts_candle *c = &s->cur;

	c->t = t;
	c->o = c->h = c->l = c->c = close;
	c->v = c->bv = (struct ts_dec){ 0, 0 };
	c->n = 0;
	c->flags = TS_CANDLE_FLAT;
	s->first_ts = INT64_MAX;
	s->last_ts = INT64_MIN;
}

/* Close cur and open the next interval flat; returns the closed count. */
static size_t
close_until(struct ts_candle_series *s, int64_t upto, ts_candle_emit_fn *fn, void *arg)
{
	int64_t target = ts_tf_align(upto, s->tf_us);
	size_t closed = 0;

	if (!s->has || s->cur.t >= target)
		return 0;
	s->cur.flags |= TS_CANDLE_CLOSED;
	keep_closed(s, &s->cur);
	if (fn)
		fn(arg, s, &s->cur);
	closed++;
	if ((target - s->cur.t) / s->tf_us > TS_CANDLE_MAX_FILL) {
		s->unfilled += (uint64_t)((target - s->cur.t) / s->tf_us - 1);
		open_flat(s, target, s->cur.c);
		return closed;
	}
	open_flat(s, s->cur.t + s->tf_us, s->cur.c);
	while (s->cur.t < target) {
		s->cur.flags |= TS_CANDLE_CLOSED;
		keep_closed(s, &s->cur);
		if (fn)
			fn(arg, s, &s->cur);
		closed++;
		open_flat(s, s->cur.t + s->tf_us, s->cur.c);
	}
	return closed;
}

size_t
ts_candle_advance(struct ts_candle_series *s, int64_t now_us,
    ts_candle_emit_fn *closed_fn, void *arg)
{
	return close_until(s, now_us, closed_fn, arg);
}

int64_t
ts_candle_end(const struct ts_candle_series *s)
{
	return s->has ? s->cur.t + s->tf_us : INT64_MAX;
}

int
ts_candle_trade(struct ts_candle_series *s, int64_t ts, struct ts_dec px,
    struct ts_dec qty, int buy, ts_candle_emit_fn *closed_fn, void *arg)
{
	struct ts_candle *c = &s->cur;
	struct ts_dec v, bv;
	int64_t nv, nbv;

	/* the hot path: a trade in the open candle, volumes at one scale */
	if (__builtin_expect(s->has && ts >= c->t && ts - c->t < s->tf_us &&
	    ts >= s->cut_us && !(c->flags & TS_CANDLE_FLAT) &&
	    qty.scale == c->v.scale && qty.scale == c->bv.scale &&
	    !__builtin_add_overflow(c->v.m, qty.m, &nv) &&
	    !__builtin_add_overflow(c->bv.m, buy ? qty.m : 0, &nbv), 1)) {
		c->v.m = nv;
		c->bv.m = nbv;
		c->n++;
		s->trades++;
		if (dcmp(px, c->h) > 0)
			c->h = px;
		else if (dcmp(px, c->l) < 0)
			c->l = px;
		if (ts >= s->last_ts) {
			c->c = px;
			s->last_ts = ts;
		}
		if (ts < s->first_ts) {
			c->o = px;
			s->first_ts = ts;
		}
		return TS_CANDLE_APPLIED;
	}
	if (ts < s->cut_us) {
		s->dup++;
		return TS_CANDLE_DUP;
	}
	if (!s->has) {
		s->has = 1;
		open_flat(s, ts_tf_align(ts, s->tf_us), px);
	} else if (ts < c->t) {
		s->late++;
		return TS_CANDLE_LATE;
	} else if (ts - c->t >= s->tf_us) {
		close_until(s, ts, closed_fn, arg);
	}
	v = c->v;
	bv = c->bv;
	if (dadd(&v, qty) < 0 || (buy && dadd(&bv, qty) < 0)) {
		s->overflow++;
		return TS_CANDLE_OVERFLOW;
	}
	c->v = v;
	c->bv = bv;
	c->n++;
	s->trades++;
	if (c->flags & TS_CANDLE_FLAT) {
		c->flags &= ~(unsigned)TS_CANDLE_FLAT;
		c->o = c->h = c->l = c->c = px;
		s->first_ts = s->last_ts = ts;
		return TS_CANDLE_APPLIED;
	}
	if (dcmp(px, c->h) > 0)
		c->h = px;
	if (dcmp(px, c->l) < 0)
		c->l = px;
	if (ts >= s->last_ts) {
		c->c = px;
		s->last_ts = ts;
	}
	if (ts < s->first_ts) {
		c->o = px;
		s->first_ts = ts;
	}
	return TS_CANDLE_APPLIED;
}

void
ts_candle_series_load(struct ts_candle_series *s, const struct ts_candle *h,
    size_t n, int64_t cut_us)
{
	s->has = 0;
	s->len = s->head = 0;
	s->cut_us = 0;
	for (size_t i = 0; i < n; i++) {
		if (s->has && h[i].t < s->cur.t)
			continue; /* out of order: not aligned history */
		if (!s->has || h[i].t > s->cur.t)
			close_until(s, h[i].t, NULL, NULL);
		s->has = 1;
		s->cur = h[i];
		s->cur.flags &= ~(unsigned)TS_CANDLE_CLOSED;
		if (ts_dec_is_zero(s->cur.v))
			s->cur.flags |= TS_CANDLE_FLAT; /* an empty interval */
		/* history holds trades before the cut: keep its o; a live trade
		 * at or after the cut moves c */
		s->first_ts = INT64_MIN;
		s->last_ts = INT64_MIN;
	}
	if (s->has)
		close_until(s, cut_us, NULL, NULL);
	s->cut_us = cut_us;
}

int
ts_candle_merge(struct ts_candle *into, const struct ts_candle *next)
{
	struct ts_dec v = into->v, bv = into->bv;

	if (dadd(&v, next->v) < 0 || dadd(&bv, next->bv) < 0)
		return -1;
	into->v = v;
	into->bv = bv;
	into->n += next->n;
	into->flags |= next->flags & (TS_CANDLE_NO_BV | TS_CANDLE_NO_N);
	if (next->flags & TS_CANDLE_FLAT)
		return 0;
	if (into->flags & TS_CANDLE_FLAT) {
		into->flags &= ~(unsigned)TS_CANDLE_FLAT;
		into->o = next->o;
		into->h = next->h;
		into->l = next->l;
	} else {
		if (dcmp(next->h, into->h) > 0)
			into->h = next->h;
		if (dcmp(next->l, into->l) < 0)
			into->l = next->l;
	}
	into->c = next->c;
	return 0;
}

void
ts_candle_write(struct ts_jw *w, const char *ex, const char *sym, const char *tf,
    const struct ts_candle *c)
{
	ts_jw_obj(w);
	ts_jw_kstr(w, "ex", ex);
	ts_jw_kstr(w, "sym", sym);
	ts_jw_kstr(w, "tf", tf);
	ts_jw_ki64(w, "t", c->t);
	ts_jw_kdec(w, "o", c->o);
	ts_jw_kdec(w, "h", c->h);
	ts_jw_kdec(w, "l", c->l);
	ts_jw_kdec(w, "c", c->c);
	ts_jw_kdec(w, "v", c->v);
	ts_jw_key(w, "bv");
	if (c->flags & TS_CANDLE_NO_BV)
		ts_jw_null(w);
	else
		ts_jw_dec(w, c->bv);
	ts_jw_key(w, "n");
	if (c->flags & TS_CANDLE_NO_N)
		ts_jw_null(w);
	else
		ts_jw_u64(w, c->n);
	ts_jw_kbool(w, "closed", !!(c->flags & TS_CANDLE_CLOSED));
	ts_jw_obj_end(w);
}

int
ts_candle_parse(const struct ts_jval *obj, struct ts_candle *c, const char **why)
{
	static const char *const keys[] = { "o", "h", "l", "c", "v" };
	struct ts_dec *const dst[] = { &c->o, &c->h, &c->l, &c->c, &c->v };
	struct ts_jval v;
	int64_t n;

	memset(c, 0, sizeof *c);
	*why = NULL;
	if (obj->type != TS_J_OBJ) {
		*why = "candle is not an object";
		return -1;
	}
	if (ts_json_get_i64(obj, "t", &c->t) < 0 || c->t < 0) {
		*why = "bad or missing \"t\"";
		return -1;
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (ts_json_get_dec(obj, keys[i], dst[i]) < 0 || ts_dec_sign(*dst[i]) < 0) {
			*why = "bad or missing price or volume";
			return -1;
		}
	}
	if (ts_json_get(obj, "bv", &v) < 0 || v.type == TS_J_NULL)
		c->flags |= TS_CANDLE_NO_BV;
	else if (ts_json_dec(&v, &c->bv) < 0 || ts_dec_sign(c->bv) < 0) {
		*why = "bad \"bv\"";
		return -1;
	}
	if (ts_json_get(obj, "n", &v) < 0 || v.type == TS_J_NULL)
		c->flags |= TS_CANDLE_NO_N;
	else if (ts_json_i64(&v, &n) < 0 || n < 0) {
		*why = "bad \"n\"";
		return -1;
	} else
		c->n = (uint64_t)n;
	if (ts_dec_is_zero(c->v))
		c->flags |= TS_CANDLE_FLAT;
	return 0;
}

static int
keyis(const struct ts_jval *k, const char *name, size_t len)
{
	return k->n == len + 2 && !memcmp(k->p + 1, name, len);
}

int
ts_candle_parse_trade(const char *json, size_t n, struct ts_candle_trade *t,
    const char **why)
{
	struct ts_jval obj, k, v;
	struct ts_jiter it;
	int have_px = 0, have_qty = 0, have_side = 0, have_ts = 0;
	int64_t rt = 0;

	t->ex[0] = t->sym[0] = '\0';
	if (ts_json_parse(json, n, &obj, NULL) < 0) {
		*why = "invalid JSON";
		return -1;
	}
	if (obj.type != TS_J_OBJ) {
		*why = "not a JSON object";
		return -1;
	}
	ts_json_iter(&it, &obj);
	while (ts_json_next(&it, &k, &v)) {
		if (keyis(&k, "px", 2)) {
			if (ts_json_dec(&v, &t->px) < 0 || ts_dec_sign(t->px) <= 0) {
				*why = "bad \"px\"";
				return -1;
			}
			have_px = 1;
		} else if (keyis(&k, "qty", 3)) {
			if (ts_json_dec(&v, &t->qty) < 0 || ts_dec_sign(t->qty) < 0) {
				*why = "bad \"qty\"";
				return -1;
			}
			have_qty = 1;
		} else if (keyis(&k, "ts", 2)) {
			if (ts_json_i64(&v, &t->ts) < 0 || t->ts <= 0) {
				*why = "bad \"ts\"";
				return -1;
			}
			have_ts = 1;
		} else if (keyis(&k, "rt", 2)) {
			if (ts_json_i64(&v, &rt) < 0) {
				*why = "bad \"rt\"";
				return -1;
			}
		} else if (keyis(&k, "side", 4)) {
			if (ts_json_str_eq(&v, "buy"))
				t->buy = 1;
			else if (ts_json_str_eq(&v, "sell"))
				t->buy = 0;
			else {
				*why = "bad \"side\"";
				return -1;
			}
			have_side = 1;
		} else if (keyis(&k, "ex", 2)) {
			if (ts_json_str(&v, t->ex, sizeof t->ex) < 0) {
				*why = "bad \"ex\"";
				return -1;
			}
		} else if (keyis(&k, "sym", 3)) {
			if (ts_json_str(&v, t->sym, sizeof t->sym) < 0) {
				*why = "bad \"sym\"";
				return -1;
			}
		}
	}
	*why = !have_px ? "no \"px\"" : !have_qty ? "no \"qty\"" :
	    !have_side ? "no \"side\"" : !have_ts ? "no \"ts\"" :
	    ts_time_ahead(t->ts, rt) ? "\"ts\" is far after its receive time \"rt\"" : NULL;
	return *why ? -1 : 0;
}
