/* explain.c: the facts of a window of candles and the sentences drawn from them (explain.h) */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "log.h"
#include "tm.h"

#define SWING_K 3
#define SQUEEZE_LOOKBACK 50
#define VWAP_UNDER 3
#define SQUEEZE_OF_MEAN 0.6
#define BREAKOUT_AFTER 10
#define SPIKE_Z 3.0

enum {
	EV_SWING_HIGH, EV_SWING_LOW, EV_RSI_OB, EV_RSI_OS, EV_VOLUME, EV_VWAP_UP,
	EV_VWAP_DOWN, EV_SQUEEZE, EV_BREAK_UP, EV_BREAK_DOWN,
};
static const char *const ev_names[] = {
	"swing_high", "swing_low", "rsi_left_overbought", "rsi_left_oversold",
	"volume_spike", "vwap_reclaimed", "vwap_lost", "squeeze", "breakout_up",
	"breakout_down",
};

struct event {
	int64_t t;
	int type;
	double a, b, c; /* the type's values, in the order explain.h lists them */
	int flag;
};

/* Per-candle series of the indicators, over every candle given. */
struct series {
	double *rsi, *pctb, *upper, *lower, *bbw, *adx, *pdi, *mdi, *volz, *rvol, *vwap;
};

static double *
col(size_t n)
{
	double *p = ts_xmalloc(n * sizeof *p);

	for (size_t i = 0; i < n; i++)
		p[i] = NAN;
	return p;
}

static void
compute(struct series *s, const struct ts_ind_bar *b, size_t n, size_t ws)
{
	struct ts_ind_rsi rsi;
	struct ts_ind_bb bb;
	struct ts_ind_adx adx;
	struct ts_ind_win v20;
	struct ts_ind_vwap vw;

	s->rsi = col(n), s->pctb = col(n), s->upper = col(n), s->lower = col(n);
	s->bbw = col(n), s->adx = col(n), s->pdi = col(n), s->mdi = col(n);
	s->volz = col(n), s->rvol = col(n), s->vwap = col(n);
	ts_ind_rsi_init(&rsi, 14);
	ts_ind_bb_init(&bb, 20, 2);
	ts_ind_adx_init(&adx, 14);
	ts_ind_win_init(&v20, 20);
	ts_ind_vwap_init(&vw, b[ws].t);
	for (size_t i = 0; i < n; i++) {
		double m, sd;
		s->rsi[i] = ts_ind_rsi_push(&rsi, b[i].c);
		ts_ind_bb_push(&bb, b[i].c);
		s->pctb[i] = bb.pctb, s->upper[i] = bb.upper, s->lower[i] = bb.lower;
		s->bbw[i] = bb.width;
		s->adx[i] = ts_ind_adx_push(&adx, &b[i]);
		s->pdi[i] = adx.pdi, s->mdi[i] = adx.mdi;
		ts_ind_win_push(&v20, b[i].v);
		m = ts_ind_win_sma(&v20);
		sd = ts_ind_win_std(&v20);
		s->volz[i] = sd > 0 ? (b[i].v - m) / sd : NAN;
		s->rvol[i] = m > 0 ? b[i].v / m : NAN;
		if (i >= ws)
			s->vwap[i] = ts_ind_vwap_push(&vw, &b[i]);
	}
	ts_ind_bb_free(&bb);
	ts_ind_win_free(&v20);
}

static void
series_free(struct series *s)
{
	free(s->rsi), free(s->pctb), free(s->upper), free(s->lower), free(s->bbw);
	free(s->adx), free(s->pdi), free(s->mdi), free(s->volz), free(s->rvol);
	free(s->vwap);
}

struct evlist {
	struct event *e;
	size_t n, cap;
};

static void
add(struct evlist *l, int64_t t, int type, double a, double b, double c, int flag)
{
	ts_xgrow((void **)&l->e, &l->cap, l->n + 1, sizeof *l->e);
	l->e[l->n++] = (struct event){ t, type, a, b, c, flag };
}

static int
swing(const struct ts_ind_bar *b, size_t n, size_t i, int high)
{
	if (i < SWING_K || i + SWING_K >= n)
		return 0;
	for (size_t j = i - SWING_K; j <= i + SWING_K; j++)
		if (j != i && (high ? b[j].h >= b[i].h : b[j].l <= b[i].l))
			return 0;
	return 1;
}

/* Were the VWAP_UNDER closes before i all under (side -1) or over (1) the
 * VWAP? */
static int
vwap_side(const struct ts_ind_bar *b, const struct series *s, size_t i, int side)
{
	for (size_t j = i - VWAP_UNDER; j < i; j++)
		if (side < 0 ? !(b[j].c < s->vwap[j]) : !(b[j].c > s->vwap[j]))
			return 0;
	return 1;
}

/* The events of candles ws .. n-1 (the squeeze state runs from the first
 * candle, so a squeeze that began before the window is known inside it). */
static void
events(struct evlist *l, const struct ts_ind_bar *b, size_t n, size_t ws,
    const struct series *s, int *squeezed_at_end)
{
	int in_sq = 0;
	double sq_end = 0;
	size_t last_sq = (size_t)-1;

	for (size_t i = 0; i < n; i++) {
		int inwin = i >= ws;
		double w = s->bbw[i];
		if (!isnan(w)) {
			int lowest = i >= SQUEEZE_LOOKBACK;
			double sum = w;
			for (size_t j = i - (lowest ? SQUEEZE_LOOKBACK - 1 : 0); lowest && j < i; j++) {
				if (isnan(s->bbw[j]) || s->bbw[j] < w)
					lowest = 0;
				else
					sum += s->bbw[j];
			}
			if (lowest && w >= SQUEEZE_OF_MEAN * sum / SQUEEZE_LOOKBACK)
				lowest = 0;
			if (in_sq) {
				if (w >= sq_end)
					in_sq = 0;
			} else if (lowest) {
				in_sq = 1;
				sq_end = SQUEEZE_OF_MEAN * sum / SQUEEZE_LOOKBACK;
				if (inwin)
					add(l, b[i].t, EV_SQUEEZE, w, 0, 0, 0);
			}
			if (in_sq)
				last_sq = i;
		}
		if (!inwin)
			continue;
		if (swing(b, n, i, 1))
			add(l, b[i].t, EV_SWING_HIGH, b[i].h, 0, 0, 0);
		if (swing(b, n, i, 0))
			add(l, b[i].t, EV_SWING_LOW, b[i].l, 0, 0, 0);
		if (i > 0 && s->rsi[i - 1] >= 70 && s->rsi[i] < 70) {
			double ext = s->rsi[i - 1];
			for (size_t j = i - 1; j > 0 && s->rsi[j - 1] >= 70; j--)
				if (s->rsi[j - 1] > ext)
					ext = s->rsi[j - 1];
			add(l, b[i].t, EV_RSI_OB, s->rsi[i], ext, 0, 0);
		}
		if (i > 0 && s->rsi[i - 1] <= 30 && s->rsi[i] > 30) {
			double ext = s->rsi[i - 1];
			for (size_t j = i - 1; j > 0 && s->rsi[j - 1] <= 30; j--)
				if (s->rsi[j - 1] < ext)
					ext = s->rsi[j - 1];
			add(l, b[i].t, EV_RSI_OS, s->rsi[i], ext, 0, 0);
		}
		if (s->volz[i] >= SPIKE_Z)
			add(l, b[i].t, EV_VOLUME, b[i].v, s->rvol[i], s->volz[i], 0);
		if (i >= ws + VWAP_UNDER && b[i].c > s->vwap[i] && vwap_side(b, s, i, -1))
			add(l, b[i].t, EV_VWAP_UP, b[i].c, s->vwap[i], 0, 0);
		if (i >= ws + VWAP_UNDER && b[i].c < s->vwap[i] && vwap_side(b, s, i, 1))
			add(l, b[i].t, EV_VWAP_DOWN, b[i].c, s->vwap[i], 0, 0);
		if (i > 0) {
			int after = last_sq != (size_t)-1 && last_sq < i && i - last_sq <= BREAKOUT_AFTER;
			if (b[i].c > s->upper[i] && !(b[i - 1].c > s->upper[i - 1]))
				add(l, b[i].t, EV_BREAK_UP, b[i].c, s->upper[i], 0, after);
			if (b[i].c < s->lower[i] && !(b[i - 1].c < s->lower[i - 1]))
				add(l, b[i].t, EV_BREAK_DOWN, b[i].c, s->lower[i], 0, after);
		}
	}
	*squeezed_at_end = in_sq;
}

/* ---- writing -------------------------------------------------------------- */

static void
kdouble(struct ts_jw *w, const char *k, double v)
{
	ts_jw_key(w, k);
	ts_jw_double(w, v);
}

/* An open time as RFC 3339, without the fraction when it is 0. */
static const char *
when(int64_t t, char *buf, size_t n)
{
	size_t len = ts_rfc3339_fmt(t, buf, n);

	if (len > 8 && !strcmp(buf + len - 8, ".000000Z"))
		strcpy(buf + len - 8, "Z");
	return buf;
}

static void
write_event(struct ts_jw *w, const struct event *e)
{
	char ts[40];

	ts_jw_obj(w);
	ts_jw_ki64(w, "t", e->t);
	ts_jw_kstr(w, "time", when(e->t, ts, sizeof ts));
	ts_jw_kstr(w, "type", ev_names[e->type]);
	switch (e->type) {
	case EV_SWING_HIGH:
	case EV_SWING_LOW:
		kdouble(w, "price", e->a);
		break;
	case EV_RSI_OB:
	case EV_RSI_OS:
		kdouble(w, "rsi", e->a);
		kdouble(w, "extreme", e->b);
		break;
	case EV_VOLUME:
		kdouble(w, "volume", e->a);
		kdouble(w, "rvol", e->b);
		kdouble(w, "zscore", e->c);
		break;
	case EV_VWAP_UP:
	case EV_VWAP_DOWN:
		kdouble(w, "close", e->a);
		kdouble(w, "vwap", e->b);
		break;
	case EV_SQUEEZE:
		kdouble(w, "bbw", e->a);
		break;
	case EV_BREAK_UP:
	case EV_BREAK_DOWN:
		kdouble(w, "close", e->a);
		kdouble(w, "band", e->b);
		ts_jw_kbool(w, "after_squeeze", e->flag);
		break;
	}
	ts_jw_obj_end(w);
}

struct text {
	char buf[4096];
	size_t len;
};

static void
say(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (t->len >= sizeof t->buf - 1)
		return;
	va_start(ap, fmt);
	r = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
	va_end(ap);
	if (r > 0)
		t->len += (size_t)r < sizeof t->buf - t->len ? (size_t)r : sizeof t->buf - 1 - t->len;
}

static void
describe_event(struct text *t, const struct event *e)
{
	char ts[40];

	when(e->t, ts, sizeof ts);
	switch (e->type) {
	case EV_SWING_HIGH: say(t, "a swing high at %.8g (%s)", e->a, ts); break;
	case EV_SWING_LOW: say(t, "a swing low at %.8g (%s)", e->a, ts); break;
	case EV_RSI_OB:
		say(t, "RSI left overbought at %.1f after peaking at %.1f (%s)", e->a, e->b, ts);
		break;
	case EV_RSI_OS:
		say(t, "RSI left oversold at %.1f after bottoming at %.1f (%s)", e->a, e->b, ts);
		break;
	case EV_VOLUME:
		say(t, "a volume spike of %.8g, %.2fx the average (%s)", e->a, e->b, ts);
		break;
	case EV_VWAP_UP: say(t, "the close reclaimed the VWAP at %.8g (%s)", e->b, ts); break;
	case EV_VWAP_DOWN: say(t, "the close lost the VWAP at %.8g (%s)", e->b, ts); break;
	case EV_SQUEEZE: say(t, "a Bollinger squeeze, width %.4f (%s)", e->a, ts); break;
	case EV_BREAK_UP:
	case EV_BREAK_DOWN:
		say(t, "a close of %.8g %s the %s band at %.8g%s (%s)", e->a,
		    e->type == EV_BREAK_UP ? "above" : "below",
		    e->type == EV_BREAK_UP ? "upper" : "lower", e->b,
		    e->flag ? ", out of a squeeze" : "", ts);
		break;
	}
}

struct facts {
	const char *market, *tf;
	size_t bars;
	double open, high, low, close, change, dd;
	double rsi, rsi1, rsi5, pctb, gap, adx, pdi, mdi, bbw, rvol;
	int squeezed;
};

static void
explanation(struct text *t, const struct facts *f, const struct evlist *l, size_t first)
{
	const struct event *spike = NULL;

	say(t, "%s on %s ", f->market, f->tf);
	if (isnan(f->adx))
		say(t, "has too few candles for a trend reading (no ADX yet). ");
	else if (f->adx >= 25)
		say(t, "is trending %s (ADX %.1f, +DI %.1f against -DI %.1f). ",
		    f->pdi >= f->mdi ? "up" : "down", f->adx, f->pdi, f->mdi);
	else if (f->adx < 20)
		say(t, "is ranging (ADX %.1f). ", f->adx);
	else
		say(t, "is in a weak trend (ADX %.1f). ", f->adx);
	say(t, "Over the last %zu candles it %s %.2f%% from %.8g to %.8g, between %.8g and "
	    "%.8g, with a largest drawdown of %.2f%%. ", f->bars,
	    f->change >= 0 ? "rose" : "fell", fabs(f->change), f->open, f->close, f->low,
	    f->high, f->dd);
	if (!isnan(f->rsi)) {
		say(t, "RSI is %.1f (%s)", f->rsi,
		    f->rsi >= 70 ? "overbought" : f->rsi <= 30 ? "oversold" : "neutral");
		if (!isnan(f->rsi5))
			say(t, ", %s %.1f over 5 candles", f->rsi5 >= 0 ? "up" : "down", fabs(f->rsi5));
		say(t, "; ");
	}
	if (!isnan(f->pctb))
		say(t, "the close is %s (%%B %.2f)",
		    f->pctb > 1 ? "above the upper Bollinger band" :
		    f->pctb < 0 ? "below the lower Bollinger band" :
		    f->pctb >= 0.8 ? "near the upper Bollinger band" :
		    f->pctb <= 0.2 ? "near the lower Bollinger band" : "inside the Bollinger bands",
		    f->pctb);
	else
		say(t, "the Bollinger bands have no width yet");
	if (!isnan(f->gap))
		say(t, " and %.2f%% %s the window's VWAP. ", fabs(f->gap),
		    f->gap >= 0 ? "above" : "below");
	else
		say(t, ". ");
	if (!isnan(f->rvol))
		say(t, "The last candle traded %.2fx its 20-candle average volume", f->rvol);
	else
		say(t, "The 20-candle average volume is zero or unknown");
	for (size_t i = first; i < l->n; i++)
		if (l->e[i].type == EV_VOLUME)
			spike = &l->e[i];
	if (spike) {
		say(t, "; the latest spike was ");
		describe_event(t, spike);
		say(t, ". ");
	} else {
		say(t, ", with no volume spike in the window. ");
	}
	if (f->squeezed && !isnan(f->bbw))
		say(t, "The bands are squeezed (width %.4f). ", f->bbw);
	if (l->n > first) {
		say(t, "Most recently: ");
		describe_event(t, &l->e[l->n - 1]);
		say(t, ".");
	} else {
		say(t, "No key event in the window.");
	}
}

int
ts_explain(struct ts_jw *w, const char *market, const char *tf,
    const struct ts_ind_bar *b, size_t n, size_t lookback)
{
	struct series s;
	struct evlist l = { 0 };
	struct facts f = { .market = market, .tf = tf };
	struct text t = { .len = 0 };
	size_t ws, last = n - 1, first;
	double peak, vol = 0;
	char ts[40];

	if (!n)
		return -1;
	if (!lookback)
		lookback = TS_EXPLAIN_DEFAULT_LOOKBACK;
	ws = n > lookback ? n - lookback : 0;
	compute(&s, b, n, ws);
	events(&l, b, n, ws, &s, &f.squeezed);
	first = l.n > TS_EXPLAIN_MAX_EVENTS ? l.n - TS_EXPLAIN_MAX_EVENTS : 0;

	f.bars = n - ws;
	f.open = b[ws].o, f.close = b[last].c, f.high = b[ws].h, f.low = b[ws].l;
	peak = b[ws].o;
	f.dd = 0;
	for (size_t i = ws; i < n; i++) {
		if (b[i].h > f.high)
			f.high = b[i].h;
		if (b[i].l < f.low)
			f.low = b[i].l;
		vol += b[i].v;
		if (b[i].c > peak)
			peak = b[i].c;
		if (peak > 0 && (peak - b[i].c) / peak * 100 > f.dd)
			f.dd = (peak - b[i].c) / peak * 100;
	}
	f.change = f.open != 0 ? (f.close / f.open - 1) * 100 : NAN;
	f.rsi = s.rsi[last];
	f.rsi1 = last >= 1 ? s.rsi[last] - s.rsi[last - 1] : NAN;
	f.rsi5 = last >= 5 ? s.rsi[last] - s.rsi[last - 5] : NAN;
	f.pctb = s.pctb[last];
	f.gap = s.vwap[last] != 0 ? (b[last].c / s.vwap[last] - 1) * 100 : NAN;
	f.adx = s.adx[last], f.pdi = s.pdi[last], f.mdi = s.mdi[last];
	f.bbw = s.bbw[last], f.rvol = s.rvol[last];

	ts_jw_obj(w);
	ts_jw_kstr(w, "market", market);
	ts_jw_kstr(w, "tf", tf);
	ts_jw_key(w, "visible_window_summary");
	ts_jw_obj(w);
	ts_jw_ki64(w, "from", b[ws].t);
	ts_jw_ki64(w, "to", b[last].t);
	ts_jw_ki64(w, "bars", (int64_t)f.bars);
	kdouble(w, "open", f.open);
	kdouble(w, "high", f.high);
	kdouble(w, "low", f.low);
	kdouble(w, "close", f.close);
	kdouble(w, "volume", vol);
	kdouble(w, "change_pct", f.change);
	kdouble(w, "max_drawdown_pct", f.dd);
	ts_jw_obj_end(w);
	ts_jw_key(w, "current_candle_state");
	ts_jw_obj(w);
	ts_jw_ki64(w, "t", b[last].t);
	ts_jw_kstr(w, "time", when(b[last].t, ts, sizeof ts));
	kdouble(w, "close", f.close);
	kdouble(w, "RSI", f.rsi);
	kdouble(w, "RSI_change_1", f.rsi1);
	kdouble(w, "RSI_change_5", f.rsi5);
	kdouble(w, "pctB", f.pctb);
	kdouble(w, "vwap", s.vwap[last]);
	kdouble(w, "vwap_gap_pct", f.gap);
	kdouble(w, "ADX", f.adx);
	kdouble(w, "plus_DI", f.pdi);
	kdouble(w, "minus_DI", f.mdi);
	kdouble(w, "BBW", f.bbw);
	kdouble(w, "RVOL", f.rvol);
	ts_jw_kbool(w, "squeeze", f.squeezed);
	ts_jw_obj_end(w);
	ts_jw_key(w, "key_events_in_window");
	ts_jw_arr(w);
	for (size_t i = first; i < l.n; i++)
		write_event(w, &l.e[i]);
	ts_jw_arr_end(w);
	explanation(&t, &f, &l, first);
	ts_jw_kstr(w, "explanation", t.buf);
	ts_jw_obj_end(w);
	free(l.e);
	series_free(&s);
	return 0;
}
