/* sim_market.c: ts-sim's deterministic random-walk market: books, trades that take liquidity, candles */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "map.h"
#include "sim.h"
#include "sim_ex.h"
#include "topic.h"

/* splitmix64: small, fast and good enough for a market that must only be
 * plausible and repeatable. */
static uint64_t
rnd(uint64_t *st)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n) */
static int64_t
rnd_n(uint64_t *st, int64_t n)
{
	return n <= 1 ? 0 : (int64_t)(rnd(st) % (uint64_t)n);
}

/* uniform in (0, 1) */
static double
rnd_u(uint64_t *st)
{
	return ((double)(rnd(st) >> 11) + 0.5) / 9007199254740992.0;
}

static int64_t
pow10i(int n)
{
	int64_t v = 1;
	while (n-- > 0)
		v *= 10;
	return v;
}

int
sim_max_depth(const struct sim_ex *ex)
{
	return ex->profile->max_depth;
}

/* at least 1, geometric with the given mean */
static int
rnd_geo(uint64_t *st, double mean)
{
	double k;

	if (mean <= 1)
		return 1;
	k = 1 + floor(log(rnd_u(st)) / log(1 - 1 / mean));
	return k > 1e6 ? 1000000 : (int)k;
}

/* A size for a resting level: a notional of about $100 to $40,000. */
static int64_t
level_qty(struct sim_sym *s, uint64_t *st)
{
	double px = (double)s->lv[0][0].px / (double)pow10i(s->px_scale);
	double notional = exp(log(100.0) + rnd_u(st) * log(400.0));
	double q = notional / (px > 0 ? px : 1) * (double)pow10i(s->qty_scale);
	int64_t units = (int64_t)(q / (double)s->step);
	return (units < 1 ? 1 : units) * s->step;
}

/* Parameters of a symbol: a believable price and increments by base asset. */
static void
sym_params(struct sim_sym *s, uint64_t *st, double *mid)
{
	static const struct { const char *base; double px; } known[] = {
		{ "BTC", 65000 }, { "ETH", 1900 }, { "SOL", 150 }, { "BNB", 580 },
		{ "XRP", 0.52 }, { "DOGE", 0.12 }, { "LTC", 72 }, { "ADA", 0.38 },
	};
	double px = 0;

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(s->base, known[i].base))
			px = known[i].px;
	if (px == 0)
		px = exp(log(0.05) + rnd_u(st) * log(10000.0)); /* 0.05 .. 500 */
	if (!strcmp(s->quote, "BTC") || !strcmp(s->quote, "ETH"))
		px /= 30000.0;
	s->px_scale = px >= 100 ? 2 : px >= 1 ? 4 : px >= 0.01 ? 6 : 8;
	s->qty_scale = 8;
	s->tick = 1;
	s->step = s->ex->lot ? s->ex->lot(px) : 1;
	*mid = px;
}

/* ---- the book: each side an array, best first, with room on both ends ---- */

static void
lv_sync(struct sim_sym *s, int side, int off)
{
	s->lv[side] = s->lvbuf[side] + off;
}

static int
lv_off(const struct sim_sym *s, int side)
{
	return (int)(s->lv[side] - s->lvbuf[side]);
}

/* The index of price px on a side, or where it would go (levels before it
 * are better). *found tells which. */
static int
lv_find(const struct sim_sym *s, int side, int64_t px, int *found)
{
	const struct sim_level *a = s->lv[side];
	int lo = 0, hi = s->n[side];

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (side ? a[mid].px < px : a[mid].px > px)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < s->n[side] && a[lo].px == px;
	return lo;
}

/* Insert at index at: the shorter part of the array moves. */
static void
lv_insert(struct sim_sym *s, int side, int at, int64_t px, int64_t qty)
{
	int off = lv_off(s, side), n = s->n[side];
	struct sim_level *buf = s->lvbuf[side];

	if (off + n >= s->lvcap || (off == 0 && at < n - at)) { /* re-centre */
		int to = (s->lvcap - n) / 2;
		memmove(buf + to, buf + off, (size_t)n * sizeof *buf);
		off = to;
	}
	if (off > 0 && at < n - at) {
		memmove(buf + off - 1, buf + off, (size_t)at * sizeof *buf);
		off--;
	} else {
		memmove(buf + off + at + 1, buf + off + at, (size_t)(n - at) * sizeof *buf);
	}
	buf[off + at].px = px;
	buf[off + at].qty = qty;
	s->n[side]++;
	lv_sync(s, side, off);
}

static void
lv_remove(struct sim_sym *s, int side, int at)
{
	int off = lv_off(s, side), n = s->n[side];
	struct sim_level *buf = s->lvbuf[side];

	if (at < n - 1 - at) {
		memmove(buf + off + 1, buf + off, (size_t)at * sizeof *buf);
		off++;
	} else {
		memmove(buf + off + at, buf + off + at + 1, (size_t)(n - at - 1) * sizeof *buf);
	}
	s->n[side]--;
	lv_sync(s, side, off);
}

/* The price `ticks` behind the top of a side (0 when there is none). */
static int64_t
behind(const struct sim_sym *s, int side, int64_t ticks)
{
	int64_t px = side ? s->lv[1][0].px + ticks * s->tick : s->lv[0][0].px - ticks * s->tick;
	return px > 0 ? px : 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* A book of the profile's shape around mid: each band gets its level
 * count (the fraction by chance) at distinct ticks. */
static void
book_init(struct sim_sym *s, double mid)
{
	const struct sim_profile *p = s->ex->profile;
	uint64_t *st = &s->rng;
	int64_t m = (int64_t)(mid * (double)pow10i(s->px_scale));
	int64_t spread = 1 + rnd_n(st, 3);
	int64_t *d = ts_xcalloc((size_t)p->max_depth, sizeof *d);

	s->lvcap = 2 * p->max_depth + 64;
	for (int side = 0; side < 2; side++) {
		int nd = 0, k = 0;
		int64_t top = side ? m - spread / 2 + spread : m - spread / 2;

		s->lvbuf[side] = ts_xcalloc((size_t)s->lvcap, sizeof *s->lvbuf[side]);
		lv_sync(s, side, p->max_depth / 2 + 32);
		d[nd++] = 0;
		for (int b = 1; b < p->nband; b++) {
			int64_t lo = p->band[b - 1].hi, width = p->band[b].hi - lo;
			double want = p->band[b].levels;
			int count = (int)want + (rnd_u(st) < want - floor(want));
			for (int i = 0; i < count && nd < p->max_depth; i++)
				d[nd++] = lo + rnd_n(st, width);
		}
		qsort(d, (size_t)nd, sizeof *d, cmp_i64);
		for (int i = 0; i < nd; i++) {
			int64_t px = side ? top + d[i] * s->tick : top - d[i] * s->tick;
			if ((i > 0 && d[i] == d[i - 1]) || px <= 0)
				continue;
			s->lv[side][k].px = px;
			s->lv[side][k].qty = 0;
			k++;
		}
		s->n[side] = k;
	}
	free(d);
	for (int side = 0; side < 2; side++)
		for (int i = 0; i < s->n[side]; i++)
			s->lv[side][i].qty = level_qty(s, st);
}

struct sim_sym *
sim_market_add(struct sim_market *m, const struct sim_ex *ex, const char *sym, int64_t now_us,
    const char **why)
{
	struct sim_sym *s;
	const char *dash;
	double mid;
	size_t bl;

	if (!ts_sym_valid(sym)) {
		*why = "not a BASE-QUOTE symbol";
		return NULL;
	}
	if (m->nsym >= SIM_MAX_SYMS) {
		*why = "too many symbols";
		return NULL;
	}
	if (sim_market_find(m, ex, sym)) {
		*why = "given twice";
		return NULL;
	}
	dash = strchr(sym, '-');
	bl = (size_t)(dash - sym);
	if (bl >= sizeof s->base || strlen(dash + 1) >= sizeof s->quote) {
		*why = "name too long";
		return NULL;
	}
	s = ts_xcalloc(1, sizeof *s);
	s->ex = ex;
	s->idx = m->nsym;
	snprintf(s->sym, sizeof s->sym, "%s", sym);
	memcpy(s->base, sym, bl);
	snprintf(s->quote, sizeof s->quote, "%s", dash + 1);
	ex->native(s->native, sizeof s->native, s->base, s->quote);
	for (size_t i = 0; s->native[i]; i++)
		s->lower[i] = (char)(s->native[i] >= 'A' && s->native[i] <= 'Z' ?
		    s->native[i] + 32 : s->native[i]);
	{
		char key[64];
		int kl = snprintf(key, sizeof key, "%s:%s", ex->name, sym);
		s->rng = m->seed ^ ts_hash(key, (size_t)kl);
	}
	rnd(&s->rng);
	sym_params(s, &s->rng, &mid);
	book_init(s, mid);
	s->first_trade_id = s->next_trade_id =
	    ex->trade_id_base + (uint64_t)rnd_n(&s->rng, 100000000);
	s->update_id = 1000000000 + (uint64_t)rnd_n(&s->rng, 1000000000);
	s->ring = ts_xcalloc(SIM_RING, sizeof *s->ring);
	s->start_us = now_us;
	s->start_min = now_us / 1000000 / 60 * 60;
	s->open_px = (s->lv[0][0].px + s->lv[1][0].px) / 2;
	m->sym[m->nsym++] = s;
	return s;
}

void
sim_market_free(struct sim_market *m)
{
	for (int i = 0; i < m->nsym; i++) {
		free(m->sym[i]->ring);
		free(m->sym[i]->hist);
		free(m->sym[i]->live);
		free(m->sym[i]->lvbuf[0]);
		free(m->sym[i]->lvbuf[1]);
		free(m->sym[i]);
		m->sym[i] = NULL;
	}
	m->nsym = 0;
}

struct sim_sym *
sim_market_find(const struct sim_market *m, const struct sim_ex *ex, const char *name)
{
	for (int i = 0; i < m->nsym; i++) {
		struct sim_sym *s = m->sym[i];
		if (s->ex == ex && (!strcmp(s->sym, name) || !strcmp(s->native, name)))
			return s;
	}
	return NULL;
}

struct sim_sym *
sim_market_pick(struct sim_market *m)
{
	if (m->nsym == 0)
		return NULL;
	return m->sym[rnd_n(&m->rr, m->nsym)];
}

const struct sim_trade *
sim_trade_get(const struct sim_sym *s, uint64_t id)
{
	const struct sim_trade *t;

	if (id < s->first_trade_id || id >= s->next_trade_id)
		return NULL;
	t = &s->ring[id & (SIM_RING - 1)];
	return t->id == id ? t : NULL;
}

/* Record a level change; a second change of the same level in one message
 * replaces the first, as an exchange's aggregated update shows it once. */
static void
chg(struct sim_event *ev, int side, int64_t px, int64_t qty)
{
	for (int i = 0; i < ev->nchg; i++)
		if (ev->chg[i].px == px && ev->chg[i].side == side) {
			ev->chg[i].qty = qty;
			return;
		}
	if (ev->nchg < SIM_MAX_CHG) {
		ev->chg[ev->nchg].side = side;
		ev->chg[ev->nchg].px = px;
		ev->chg[ev->nchg].qty = qty;
		ev->nchg++;
	}
}

static void
candle_add(struct sim_candle *c, int64_t t, const struct sim_trade *tr)
{
	if (c->t != t || c->n == 0) {
		c->t = t;
		c->o = c->h = c->l = c->c = tr->px;
		c->v = c->bv = c->n = 0;
		c->qv = c->qbv = 0;
	}
	if (tr->px > c->h)
		c->h = tr->px;
	if (tr->px < c->l)
		c->l = tr->px;
	c->c = tr->px;
	c->v += tr->qty;
	c->qv += (double)tr->px * (double)tr->qty;
	if (tr->taker_buy) {
		c->bv += tr->qty;
		c->qbv += (double)tr->px * (double)tr->qty;
	}
	c->n++;
}

static void
record_trade(struct sim_market *m, struct sim_sym *s, const struct sim_trade *t)
{
	int64_t sec = t->ts_us / 1000000, min = sec / 60 * 60;
	size_t mi;

	s->ring[t->id & (SIM_RING - 1)] = *t;
	s->ntrades++;
	m->trades++;
	candle_add(&s->sec[sec % SIM_SEC_RING], sec, t);
	if (min < s->start_min)
		min = s->start_min; /* a clock that stepped back */
	mi = (size_t)((min - s->start_min) / 60);
	if (mi >= s->cap_live) {
		size_t old = s->cap_live;
		ts_xgrow((void **)&s->live, &s->cap_live, mi + 1, sizeof *s->live);
		memset(s->live + old, 0, (s->cap_live - old) * sizeof *s->live);
	}
	if (mi >= s->nlive)
		s->nlive = mi + 1;
	candle_add(&s->live[mi], min, t);
	if (m->truth) {
		struct sim_buf b = { 0 };
		sim_truth_line(&b, s, t);
		SIM_PUTS(&b, "\n");
		fwrite(b.p, 1, b.len, m->truth);
		sim_buf_free(&b);
	}
}

/* A taker order of side `buy` that sweeps the other side from its best
 * level: it takes the levels it touches but the last, and part or all of
 * that one. */
static void
step_trade(struct sim_market *m, struct sim_sym *s, int64_t now_us, struct sim_event *ev)
{
	const struct sim_profile *p = s->ex->profile;
	uint64_t *st = &s->rng;
	int buy = (int)rnd_n(st, 2);
	int side = buy ? 1 : 0; /* the side it takes from */
	int levels = rnd_geo(st, p->sweep_mean) - 1;
	int64_t want = 0;

	if (levels > SIM_MAX_FILL - 1)
		levels = SIM_MAX_FILL - 1;
	if (levels > s->n[side] - SIM_MIN_DEPTH)
		levels = 0;
	for (int i = 0; i < levels; i++)
		want += s->lv[side][i].qty;
	want += s->step * (1 + rnd_n(st, s->lv[side][levels].qty / s->step));
	while (want > 0 && s->n[side] > 1 && ev->nfill < SIM_MAX_FILL) {
		struct sim_level *best = &s->lv[side][0];
		struct sim_trade *t = &ev->fill[ev->nfill++];
		int64_t q = want < best->qty ? want : best->qty;

		t->id = s->next_trade_id++;
		t->px = best->px;
		t->qty = q;
		t->ts_us = now_us;
		t->taker_buy = buy;
		want -= q;
		best->qty -= q;
		chg(ev, side, best->px, best->qty);
		if (best->qty == 0)
			lv_remove(s, side, 0);
		record_trade(m, s, t);
	}
}

/* A new level in band b ([lo, hi) ticks behind the top of the side); in
 * band 0 a better price inside the spread. Returns 0 when there is no room. */
static int
level_new(struct sim_sym *s, int side, int b, struct sim_event *ev)
{
	const struct sim_profile *p = s->ex->profile;
	uint64_t *st = &s->rng;
	int64_t lo = b ? p->band[b - 1].hi : 0, hi = p->band[b].hi;

	if (s->n[side] >= p->max_depth)
		return 0;
	if (b == 0) {
		int64_t spread = (s->lv[1][0].px - s->lv[0][0].px) / s->tick, in, px;
		if (spread <= 1)
			return 0;
		/* often one tick from the other side, as market makers quote */
		in = rnd_n(st, 2) ? spread - 1 : 1 + rnd_n(st, spread - 1);
		px = side ? s->lv[1][0].px - in * s->tick : s->lv[0][0].px + in * s->tick;
		lv_insert(s, side, 0, px, level_qty(s, st));
		chg(ev, side, px, s->lv[side][0].qty);
		return 1;
	}
	for (int tries = 0; tries < 4; tries++) {
		int64_t px = behind(s, side, lo + rnd_n(st, hi - lo));
		int found, at;
		if (px == 0)
			continue;
		at = lv_find(s, side, px, &found);
		if (found)
			continue;
		lv_insert(s, side, at, px, level_qty(s, st));
		chg(ev, side, px, s->lv[side][at].qty);
		return 1;
	}
	return 0;
}

/* One level change: a band by its share of the changes, then a new level,
 * a cancel or a new quantity there. A band with fewer levels than the
 * profile's gets more new ones and fewer cancels, and the other way round. */
static void
step_level(struct sim_sym *s, struct sim_event *ev)
{
	const struct sim_profile *p = s->ex->profile;
	uint64_t *st = &s->rng;
	int side = (int)rnd_n(st, 2), b = 0, i0, i1, found, nb;
	double u = rnd_u(st), sum = 0, r, p_new, p_del;

	for (int k = 0; k < p->nband; k++)
		sum += p->band[k].share;
	u *= sum;
	while (b < p->nband - 1 && u >= p->band[b].share)
		u -= p->band[b++].share;
	if (b && side == 0 && behind(s, 0, p->band[b - 1].hi) == 0)
		side = 1; /* no bids that far below: the asks reach further */
	i0 = b ? lv_find(s, side, behind(s, side, p->band[b - 1].hi), &found) : 0;
	i1 = b == p->nband - 1 ? s->n[side] : lv_find(s, side, behind(s, side, p->band[b].hi), &found);
	if (b && behind(s, side, p->band[b - 1].hi) == 0)
		i0 = s->n[side]; /* a band of bids below zero */
	if (b < p->nband - 1 && behind(s, side, p->band[b].hi) == 0)
		i1 = s->n[side];
	nb = i1 - i0;
	r = (nb + 0.5) / (p->band[b].levels + 0.5);
	if (b == 0) /* the top: a wide spread draws better prices */
		r = 1.0 / (double)((s->lv[1][0].px - s->lv[0][0].px) / s->tick);
	p_new = p->delete_share / r;
	p_del = p->delete_share * r;
	if (p_new > 0.45)
		p_new = 0.45;
	if (p_del > 0.45)
		p_del = 0.45;
	u = rnd_u(st);
	if (nb == 0 || u < p_new) {
		if (level_new(s, side, b, ev) || nb == 0)
			return;
	} else if (u < p_new + p_del && s->n[side] > SIM_MIN_DEPTH) {
		int at = i0 + (int)rnd_n(st, nb);
		chg(ev, side, s->lv[side][at].px, 0);
		lv_remove(s, side, at);
		return;
	}
	{
		int at = i0 + (int)rnd_n(st, nb);
		s->lv[side][at].qty = level_qty(s, st);
		chg(ev, side, s->lv[side][at].px, s->lv[side][at].qty);
	}
}

void
sim_market_step(struct sim_market *m, struct sim_sym *s, int64_t now_us, struct sim_event *ev)
{
	const struct sim_profile *p = s->ex->profile;
	uint64_t *st = &s->rng;
	int want = rnd_geo(st, p->levels_mean);

	if (want > SIM_MAX_CHG - SIM_MAX_FILL)
		want = SIM_MAX_CHG - SIM_MAX_FILL;
	ev->s = s;
	ev->ts_us = now_us;
	ev->nchg = ev->nfill = 0;
	m->events++;
	if (rnd_u(st) < p->trade_share)
		step_trade(m, s, now_us, ev);
	for (int tries = 0; ev->nchg < want && tries < 4 * want; tries++)
		step_level(s, ev);
	if (ev->nchg == 0) { /* nothing moved: touch the best level */
		int side = (int)rnd_n(st, 2);
		s->lv[side][0].qty = level_qty(s, st);
		chg(ev, side, s->lv[side][0].px, s->lv[side][0].qty);
	}
	ev->first_uid = s->update_id + 1;
	s->update_id += (uint64_t)ev->nchg;
	ev->last_uid = s->update_id;
}

/* History before the start: one-minute candles walking backwards from the
 * opening price, from a generator of their own so that they do not depend
 * on how long the simulator has run. */
static void
hist_make(struct sim_sym *s)
{
	uint64_t st;
	int64_t next_open = s->open_px;
	double vol = 0.0006;

	st = (uint64_t)s->first_trade_id * 0x9e3779b97f4a7c15ULL ^ (uint64_t)s->open_px;
	s->hist = ts_xcalloc(SIM_HIST_MIN, sizeof *s->hist);
	for (int i = SIM_HIST_MIN - 1; i >= 0; i--) {
		struct sim_candle *c = &s->hist[i];
		double z = (rnd_u(&st) - 0.5) * 2 * vol;
		int64_t close = next_open, open = (int64_t)((double)close * (1 + z));
		int64_t hi = open > close ? open : close, lo = open < close ? open : close;
		double base_qty = (double)level_qty(s, &st) * (1 + 20 * rnd_u(&st));
		if (open < 1)
			open = 1;
		c->t = s->start_min - (int64_t)(SIM_HIST_MIN - i) * 60;
		c->o = open;
		c->c = close;
		c->h = hi + (int64_t)((double)hi * vol * rnd_u(&st) * 0.5);
		c->l = lo - (int64_t)((double)lo * vol * rnd_u(&st) * 0.5);
		if (c->l < 1)
			c->l = 1;
		c->v = (int64_t)base_qty / s->step * s->step;
		if (c->v < s->step)
			c->v = s->step;
		c->bv = (int64_t)((double)c->v * (0.3 + 0.4 * rnd_u(&st))) / s->step * s->step;
		c->n = 5 + rnd_n(&st, 200);
		c->qv = (double)c->v * (double)(open + close) / 2;
		c->qbv = (double)c->bv * (double)(open + close) / 2;
		next_open = open;
	}
}

/* The one-minute candle at open time t (seconds), or NULL for none. */
static const struct sim_candle *
minute_at(struct sim_sym *s, int64_t t)
{
	if (t < s->start_min) {
		int64_t i = (t - (s->start_min - (int64_t)SIM_HIST_MIN * 60)) / 60;
		if (i < 0)
			return NULL;
		if (!s->hist)
			hist_make(s);
		return &s->hist[i];
	}
	if ((size_t)((t - s->start_min) / 60) >= s->nlive)
		return NULL;
	return &s->live[(t - s->start_min) / 60];
}

static const struct sim_candle *
second_at(const struct sim_sym *s, int64_t t)
{
	const struct sim_candle *c = &s->sec[t % SIM_SEC_RING];
	return c->n && c->t == t ? c : NULL;
}

static void
merge(struct sim_candle *acc, const struct sim_candle *c)
{
	if (!c || c->n == 0)
		return;
	if (acc->n == 0) {
		acc->o = c->o;
		acc->h = c->h;
		acc->l = c->l;
	}
	if (c->h > acc->h)
		acc->h = c->h;
	if (c->l < acc->l)
		acc->l = c->l;
	acc->c = c->c;
	acc->v += c->v;
	acc->bv += c->bv;
	acc->qv += c->qv;
	acc->qbv += c->qbv;
	acc->n += c->n;
}

/* Month arithmetic for Binance's 1M: first second of the month of t, and
 * the month after. */
static int64_t
month_start(int64_t t, int add)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon += add;
	return (int64_t)timegm(&tm);
}

size_t
sim_candles(struct sim_sym *s, int64_t sec, int64_t from, int64_t to, int fill_empty,
    struct sim_candle *out, size_t max)
{
	int64_t first = s->start_min - (int64_t)SIM_HIST_MIN * 60;
	int64_t t, prev_close = 0;
	size_t n = 0;

	if (from < first)
		from = first;
	if (sec == -1)
		t = month_start(from, 0);
	else if (sec == 7 * 86400) /* weeks start on Monday: epoch day 4 */
		t = (from - 4 * 86400) / sec * sec + 4 * 86400;
	else
		t = from / sec * sec;
	if (t < from && sec != -1)
		t += sec;
	for (; t <= to && n < max; t = sec == -1 ? month_start(t, 1) : t + sec) {
		int64_t end = sec == -1 ? month_start(t, 1) : t + sec;
		struct sim_candle acc = { .t = t };
		if (sec == 1) {
			merge(&acc, second_at(s, t));
		} else {
			for (int64_t mt = t; mt < end; mt += 60)
				merge(&acc, minute_at(s, mt));
		}
		if (acc.n == 0) {
			if (!fill_empty || prev_close == 0) {
				/* before any trade is known: look for the last close */
				if (!fill_empty)
					continue;
				for (int64_t mt = t - 60; mt >= first && prev_close == 0; mt -= 60) {
					const struct sim_candle *c = minute_at(s, mt);
					if (c && c->n)
						prev_close = c->c;
					if (t - mt > 86400 * 8)
						break;
				}
				if (prev_close == 0)
					continue;
			}
			acc.o = acc.h = acc.l = acc.c = prev_close;
		}
		prev_close = acc.c;
		out[n++] = acc;
	}
	return n;
}
