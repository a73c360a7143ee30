/* ind.c: incremental technical indicators (definitions in ind.h) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ind.h"
#include "log.h"

/* ---- rolling window ------------------------------------------------------ */

void
ts_ind_win_init(struct ts_ind_win *w, int n)
{
	memset(w, 0, sizeof *w);
	w->n = n < 1 ? 1 : n;
	w->ring = ts_xcalloc((size_t)w->n, sizeof *w->ring);
}

void
ts_ind_win_free(struct ts_ind_win *w)
{
	free(w->ring);
	w->ring = NULL;
}

void
ts_ind_win_reset(struct ts_ind_win *w)
{
	w->head = w->count = w->since = w->run = 0;
	w->mean = w->m2 = w->last = 0;
}

/* Sum the window again from its values: the slid mean and m2 drift by a
 * rounding error a push; doing this every n pushes bounds the drift and
 * costs O(1) a push amortized. */
static void
resum(struct ts_ind_win *w)
{
	double s = 0, m2 = 0;

	for (int i = 0; i < w->count; i++)
		s += w->ring[i];
	s /= w->count;
	for (int i = 0; i < w->count; i++)
		m2 += (w->ring[i] - s) * (w->ring[i] - s);
	w->mean = s;
	w->m2 = m2;
	w->since = 0;
}

void
ts_ind_win_push(struct ts_ind_win *w, double x)
{
	if (w->count && x == w->last)
		w->run += w->run < w->n;
	else
		w->run = 1;
	w->last = x;
	if (w->count < w->n) {
		double d = x - w->mean;
		w->ring[w->head] = x;
		w->count++;
		w->mean += d / w->count;
		w->m2 += d * (x - w->mean);
		if (w->count == w->n)
			resum(w);
	} else {
		double old = w->ring[w->head], m0 = w->mean;
		w->ring[w->head] = x;
		w->mean += (x - old) / w->n;
		w->m2 += (x - old) * (x - w->mean + old - m0);
		if (++w->since >= w->n)
			resum(w);
	}
	w->head = (w->head + 1) % w->n;
}

double
ts_ind_win_sma(const struct ts_ind_win *w)
{
	if (w->count < w->n)
		return NAN;
	return w->run >= w->n ? w->last : w->mean;
}

double
ts_ind_win_std(const struct ts_ind_win *w)
{
	if (w->n < 2 || w->count < w->n)
		return NAN;
	if (w->run >= w->n || w->m2 <= 0)
		return 0;
	return sqrt(w->m2 / (w->n - 1));
}

/* ---- EMA ------------------------------------------------------------------ */

void
ts_ind_ema_init(struct ts_ind_ema *e, int n)
{
	memset(e, 0, sizeof *e);
	e->n = n < 1 ? 1 : n;
	e->alpha = 2.0 / (e->n + 1);
	e->val = NAN;
}

double
ts_ind_ema_push(struct ts_ind_ema *e, double x)
{
	if (e->count < e->n) {
		e->sum += x;
		if (++e->count == e->n)
			e->val = e->sum / e->n;
		return e->val;
	}
	e->val += e->alpha * (x - e->val);
	return e->val;
}

/* ---- RSI ------------------------------------------------------------------ */

void
ts_ind_rsi_init(struct ts_ind_rsi *r, int n)
{
	memset(r, 0, sizeof *r);
	r->n = n < 1 ? 1 : n;
	r->val = NAN;
}

static double
rsi_of(double g, double l)
{
	if (l == 0)
		return g == 0 ? 50 : 100;
	return 100 - 100 / (1 + g / l);
}

double
ts_ind_rsi_push(struct ts_ind_rsi *r, double c)
{
	double d, g, l;

	if (r->count++ == 0) {
		r->prev = c;
		return NAN;
	}
	d = c - r->prev;
	r->prev = c;
	g = d > 0 ? d : 0;
	l = d < 0 ? -d : 0;
	if (r->count <= r->n) { /* changes 1 .. n-1 */
		r->gain += g;
		r->loss += l;
		return NAN;
	}
	if (r->count == r->n + 1) {
		r->gain = (r->gain + g) / r->n;
		r->loss = (r->loss + l) / r->n;
	} else {
		r->gain = (r->gain * (r->n - 1) + g) / r->n;
		r->loss = (r->loss * (r->n - 1) + l) / r->n;
	}
	return r->val = rsi_of(r->gain, r->loss);
}

/* ---- ATR ------------------------------------------------------------------ */

static double
true_range(const struct ts_ind_bar *b, double prev_c)
{
	double tr = b->h - b->l, x;

	if ((x = fabs(b->h - prev_c)) > tr)
		tr = x;
	if ((x = fabs(b->l - prev_c)) > tr)
		tr = x;
	return tr;
}

void
ts_ind_atr_init(struct ts_ind_atr *a, int n)
{
	memset(a, 0, sizeof *a);
	a->n = n < 1 ? 1 : n;
	a->val = NAN;
}

double
ts_ind_atr_push(struct ts_ind_atr *a, const struct ts_ind_bar *b)
{
	double tr;

	if (a->count++ == 0) {
		a->prev_c = b->c;
		return NAN;
	}
	tr = true_range(b, a->prev_c);
	a->prev_c = b->c;
	if (a->count <= a->n) {
		a->sum += tr;
		return NAN;
	}
	if (a->count == a->n + 1)
		a->val = (a->sum + tr) / a->n;
	else
		a->val = (a->val * (a->n - 1) + tr) / a->n;
	return a->val;
}

/* ---- ADX ------------------------------------------------------------------ */

void
ts_ind_adx_init(struct ts_ind_adx *a, int n)
{
	memset(a, 0, sizeof *a);
	a->n = n < 1 ? 1 : n;
	a->val = a->pdi = a->mdi = a->dx = NAN;
}

double
ts_ind_adx_push(struct ts_ind_adx *a, const struct ts_ind_bar *b)
{
	double tr, up, down, pdm, mdm, sum;

	if (a->count++ == 0) {
		a->prev_h = b->h, a->prev_l = b->l, a->prev_c = b->c;
		return NAN;
	}
	tr = true_range(b, a->prev_c);
	up = b->h - a->prev_h;
	down = a->prev_l - b->l;
	pdm = up > down && up > 0 ? up : 0;
	mdm = down > up && down > 0 ? down : 0;
	a->prev_h = b->h, a->prev_l = b->l, a->prev_c = b->c;
	if (a->count <= a->n + 1) {
		a->tr += tr, a->pdm += pdm, a->mdm += mdm;
		if (a->count <= a->n)
			return NAN;
	} else {
		a->tr = a->tr - a->tr / a->n + tr;
		a->pdm = a->pdm - a->pdm / a->n + pdm;
		a->mdm = a->mdm - a->mdm / a->n + mdm;
	}
	if (a->tr > 0) {
		a->pdi = 100 * a->pdm / a->tr;
		a->mdi = 100 * a->mdm / a->tr;
	} else {
		a->pdi = a->mdi = 0;
	}
	sum = a->pdi + a->mdi;
	a->dx = sum > 0 ? 100 * fabs(a->pdi - a->mdi) / sum : 0;
	a->ndx++;
	if (a->ndx < a->n) {
		a->dxsum += a->dx;
		return NAN;
	}
	if (a->ndx == a->n)
		a->val = (a->dxsum + a->dx) / a->n;
	else
		a->val = (a->val * (a->n - 1) + a->dx) / a->n;
	return a->val;
}

/* ---- Bollinger bands ------------------------------------------------------ */

void
ts_ind_bb_init(struct ts_ind_bb *b, int n, double k)
{
	ts_ind_win_init(&b->w, n);
	b->k = k;
	b->mid = b->upper = b->lower = b->pctb = b->width = NAN;
}

void
ts_ind_bb_free(struct ts_ind_bb *b)
{
	ts_ind_win_free(&b->w);
}

void
ts_ind_bb_push(struct ts_ind_bb *b, double c)
{
	double sd;

	ts_ind_win_push(&b->w, c);
	b->mid = ts_ind_win_sma(&b->w);
	sd = ts_ind_win_std(&b->w);
	b->upper = b->mid + b->k * sd;
	b->lower = b->mid - b->k * sd;
	b->pctb = b->upper > b->lower ? (c - b->lower) / (b->upper - b->lower) : NAN;
	b->width = b->mid != 0 ? (b->upper - b->lower) / b->mid : NAN;
}

/* ---- VWAP ----------------------------------------------------------------- */

#define US_PER_DAY (86400 * INT64_C(1000000))

static int64_t
day_of(int64_t t)
{
	return t >= 0 ? t / US_PER_DAY : -((-t + US_PER_DAY - 1) / US_PER_DAY);
}

void
ts_ind_vwap_init(struct ts_ind_vwap *v, int64_t anchor_us)
{
	memset(v, 0, sizeof *v);
	v->anchor_us = anchor_us;
	v->day = INT64_MIN;
}

double
ts_ind_vwap_push(struct ts_ind_vwap *v, const struct ts_ind_bar *b)
{
	if (v->anchor_us == TS_IND_VWAP_DAILY) {
		int64_t d = day_of(b->t);
		if (d != v->day) {
			v->day = d;
			v->pv = v->v = 0;
		}
	} else if (b->t < v->anchor_us) {
		return NAN;
	}
	v->pv += b->c * b->v;
	v->v += b->v;
	return v->v > 0 ? v->pv / v->v : NAN;
}

/* ---- MACD ----------------------------------------------------------------- */

void
ts_ind_macd_init(struct ts_ind_macd *m, int fast, int slow, int sig)
{
	ts_ind_ema_init(&m->fast, fast);
	ts_ind_ema_init(&m->slow, slow);
	ts_ind_ema_init(&m->sig, sig);
	m->line = m->signal = m->hist = NAN;
}

void
ts_ind_macd_push(struct ts_ind_macd *m, double c)
{
	double f = ts_ind_ema_push(&m->fast, c), s = ts_ind_ema_push(&m->slow, c);

	m->line = f - s;
	if (isnan(m->line))
		return;
	m->signal = ts_ind_ema_push(&m->sig, m->line);
	m->hist = m->line - m->signal;
}
