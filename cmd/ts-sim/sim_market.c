/* sim_market.c: ts-sim's deterministic random-walk market: books, trades that take liquidity, candles */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "map.h"
#include "sim.h"
#include "topic.h"

static const char *const ex_names[SIM_NEX] = { "coinbase", "binance" };

const char *
sim_ex_name(enum sim_ex ex)
{
	return ex < SIM_NEX ? ex_names[ex] : "?";
}

int
sim_ex_parse(const char *s)
{
	for (int i = 0; i < SIM_NEX; i++)
		if (!strcmp(s, ex_names[i]))
			return i;
	return -1;
}

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

/* A depth index: mostly near the top of the book. */
static int
rnd_depth(uint64_t *st, int n)
{
	int i = (int)(-log(rnd_u(st)) * 6.0);
	return i < n ? i : (int)rnd_n(st, n);
}

static int64_t
pow10i(int n)
{
	int64_t v = 1;
	while (n-- > 0)
		v *= 10;
	return v;
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
	/* Coinbase sizes go to 1e-8; Binance lots are coarser for cheap coins */
	if (s->ex == SIM_BINANCE)
		s->step = px >= 1000 ? 1000 : px >= 10 ? 10000 : px >= 0.1 ? 1000000 : 100000000;
	else
		s->step = px >= 10 ? 1 : 100000;
	*mid = px;
}

static void
book_init(struct sim_sym *s, double mid)
{
	uint64_t *st = &s->rng;
	int64_t m = (int64_t)(mid * (double)pow10i(s->px_scale));
	int depth = 100 + (int)rnd_n(st, 50);
	int64_t spread = 1 + rnd_n(st, 3);

	s->lv[0][0].px = m - spread / 2 - 0;
	s->lv[1][0].px = s->lv[0][0].px + spread;
	for (int side = 0; side < 2; side++) {
		for (int i = 0; i < depth; i++) {
			struct sim_level *l = &s->lv[side][i];
			if (i > 0) {
				int64_t gap = 1 + rnd_n(st, 3);
				l->px = s->lv[side][i - 1].px + (side ? gap : -gap);
			}
			l->qty = 0;
		}
		s->n[side] = depth;
	}
	for (int side = 0; side < 2; side++)
		for (int i = 0; i < depth; i++)
			s->lv[side][i].qty = level_qty(s, st);
}

struct sim_sym *
sim_market_add(struct sim_market *m, enum sim_ex ex, const char *sym, int64_t now_us,
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
	if (ex == SIM_BINANCE)
		snprintf(s->native, sizeof s->native, "%s%s", s->base, s->quote);
	else
		snprintf(s->native, sizeof s->native, "%s", sym);
	for (size_t i = 0; s->native[i]; i++)
		s->lower[i] = (char)(s->native[i] >= 'A' && s->native[i] <= 'Z' ?
		    s->native[i] + 32 : s->native[i]);
	{
		char key[64];
		int kl = snprintf(key, sizeof key, "%s:%s", sim_ex_name(ex), sym);
		s->rng = m->seed ^ ts_hash(key, (size_t)kl);
	}
	rnd(&s->rng);
	sym_params(s, &s->rng, &mid);
	book_init(s, mid);
	s->first_trade_id = s->next_trade_id =
	    (ex == SIM_BINANCE ? 100000000 : 500000000) + (uint64_t)rnd_n(&s->rng, 100000000);
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
		free(m->sym[i]);
		m->sym[i] = NULL;
	}
	m->nsym = 0;
}

struct sim_sym *
sim_market_find(const struct sim_market *m, enum sim_ex ex, const char *name)
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

static void
chg(struct sim_event *ev, int side, int64_t px, int64_t qty)
{
	if (ev->nchg < SIM_MAX_CHG) {
		ev->chg[ev->nchg].side = side;
		ev->chg[ev->nchg].px = px;
		ev->chg[ev->nchg].qty = qty;
		ev->nchg++;
	}
}

static void
lv_insert(struct sim_sym *s, int side, int at, int64_t px, int64_t qty)
{
	struct sim_level *a = s->lv[side];
	memmove(a + at + 1, a + at, (size_t)(s->n[side] - at) * sizeof *a);
	a[at].px = px;
	a[at].qty = qty;
	s->n[side]++;
}

static void
lv_remove(struct sim_sym *s, int side, int at)
{
	struct sim_level *a = s->lv[side];
	memmove(a + at, a + at + 1, (size_t)(s->n[side] - at - 1) * sizeof *a);
	s->n[side]--;
}

/* Keep a side at least SIM_MIN_DEPTH deep by adding levels at its far end. */
static void
refill(struct sim_sym *s, int side, struct sim_event *ev)
{
	while (s->n[side] < SIM_MIN_DEPTH && ev->nchg < SIM_MAX_CHG) {
		struct sim_level *last = &s->lv[side][s->n[side] - 1];
		int64_t gap = (1 + rnd_n(&s->rng, 3)) * s->tick;
		int64_t px = side ? last->px + gap : last->px - gap;
		int64_t q;
		if (px <= 0)
			break;
		q = level_qty(s, &s->rng);
		lv_insert(s, side, s->n[side], px, q);
		chg(ev, side, px, q);
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

/* A taker order of side `buy` that sweeps the other side from its best level. */
static void
step_trade(struct sim_market *m, struct sim_sym *s, int64_t now_us, struct sim_event *ev)
{
	uint64_t *st = &s->rng;
	int buy = (int)rnd_n(st, 2);
	int side = buy ? 1 : 0; /* the side it takes from */
	int levels = rnd_u(st) < 0.75 ? 0 : 1 + (int)rnd_n(st, 3);
	int64_t want = 0;

	if (levels >= s->n[side] - 1)
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
	refill(s, side, ev);
}

/* A new level: often a better quote inside the spread, else in a gap. */
static void
step_insert(struct sim_sym *s, int side, struct sim_event *ev)
{
	uint64_t *st = &s->rng;
	struct sim_level *a = s->lv[side];
	int64_t spread = s->lv[1][0].px - s->lv[0][0].px;
	int64_t px, q = level_qty(s, st);
	int at;

	if (s->n[side] >= SIM_MAX_DEPTH) {
		int last = s->n[side] - 1;
		chg(ev, side, a[last].px, 0);
		lv_remove(s, side, last);
		return;
	}
	if (spread > s->tick && rnd_n(st, 3) == 0) {
		int64_t in = s->tick * (1 + rnd_n(st, spread / s->tick - 1));
		px = side ? a[0].px - in : a[0].px + in;
		if (px > s->lv[0][0].px && px < s->lv[1][0].px) {
			lv_insert(s, side, 0, px, q);
			chg(ev, side, px, q);
			return;
		}
	}
	at = rnd_depth(st, s->n[side]);
	/* find a gap at or below `at`, else extend the far end */
	for (; at < s->n[side] - 1; at++) {
		int64_t d = side ? a[at + 1].px - a[at].px : a[at].px - a[at + 1].px;
		if (d > s->tick)
			break;
	}
	if (at >= s->n[side] - 1) {
		int64_t gap = s->tick * (1 + rnd_n(st, 3));
		px = side ? a[s->n[side] - 1].px + gap : a[s->n[side] - 1].px - gap;
		if (px <= 0)
			return;
		lv_insert(s, side, s->n[side], px, q);
	} else {
		px = side ? a[at].px + s->tick : a[at].px - s->tick;
		lv_insert(s, side, at + 1, px, q);
	}
	chg(ev, side, px, q);
}

void
sim_market_step(struct sim_market *m, struct sim_sym *s, int64_t now_us, struct sim_event *ev)
{
	uint64_t *st = &s->rng;
	int r = (int)rnd_n(st, 100), side = (int)rnd_n(st, 2);

	ev->s = s;
	ev->ts_us = now_us;
	ev->nchg = ev->nfill = 0;
	m->events++;
	if (r < 20) {
		step_trade(m, s, now_us, ev);
	} else if (r < 50) {
		int i = rnd_depth(st, s->n[side]);
		s->lv[side][i].qty = level_qty(s, st);
		chg(ev, side, s->lv[side][i].px, s->lv[side][i].qty);
	} else if (r < 76 || s->n[side] <= SIM_MIN_DEPTH) {
		step_insert(s, side, ev);
	} else {
		int i = rnd_depth(st, s->n[side]);
		/* a cancel never empties the top of a thin book */
		if (i == 0 && s->lv[1][0].px - s->lv[0][0].px > 8 * s->tick)
			i = 1;
		chg(ev, side, s->lv[side][i].px, 0);
		lv_remove(s, side, i);
	}
	if (ev->nchg == 0) { /* nothing moved (e.g. no room): touch the best level */
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
