/* ind.h: incremental technical indicators, O(1) work per closed candle
 *
 * Each indicator is a small state fed one value or one candle at a time,
 * oldest first. None recomputes its window: a push costs O(1) (the rolling
 * window's exact re-summation every n pushes is O(1) amortized). Shared by
 * ts-scan, ts-alert, ts-gui and ts-gateway.
 *
 * "No value" is NaN: an indicator has none during its warm-up (before it has
 * seen enough bars) and where its formula would divide by zero, as stated
 * for each. Test with isnan(); ts_jw_double writes NaN as null.
 *
 * Bars are numbered 1, 2, … in the order pushed. A flat candle (a gap, no
 * trade: o = h = l = c = the previous close, v = 0) is an ordinary bar.
 *
 * The definitions (checked to 1e-9 relative against tests/tools/ind_ref.py,
 * which computes them naively in 40-digit decimal arithmetic):
 *
 * SMA(n)    mean of the last n values; from bar n.
 * STD(n)    sample standard deviation (divisor n - 1, as pandas'
 *           rolling().std(), which the original scanner used) of the last n
 *           values; from bar n (n >= 2). When the n values are all equal it
 *           is exactly 0 and the mean exactly that value.
 * EMA(n)    alpha = 2 / (n + 1); the first value, at bar n, is SMA(n) of
 *           bars 1..n; then EMA = EMA' + alpha (x - EMA').
 * RSI(n)    Wilder. Change d_t = c_t - c_{t-1} (t >= 2), gain max(d, 0),
 *           loss max(-d, 0). At bar n + 1 the averages are the means of the
 *           first n gains and losses; after that avg = (avg' (n - 1) + x) / n.
 *           RSI = 100 - 100 / (1 + avgGain / avgLoss); 100 when avgLoss = 0 <
 *           avgGain; 50 when both are 0 (no movement at all).
 * TR        max(h - l, |h - c'|, |l - c'|) with c' the previous close (from
 *           bar 2).
 * ATR(n)    Wilder: at bar n + 1 the mean of TR over bars 2..n+1, then
 *           ATR = (ATR' (n - 1) + TR) / n.
 * ADX(n)    Wilder. up = h - h', down = l' - l; +DM = up when up > down and
 *           up > 0, else 0; -DM = down when down > up and down > 0, else 0.
 *           TRn, +DMn, -DMn: at bar n + 1 the sums over bars 2..n+1, then
 *           S = S' - S' / n + x. +DI = 100 +DMn / TRn, -DI = 100 -DMn / TRn
 *           (both 0 when TRn = 0); DX = 100 |+DI - -DI| / (+DI + -DI) (0 when
 *           the sum is 0), from bar n + 1. ADX at bar 2n is the mean of the
 *           first n DX, then ADX = (ADX' (n - 1) + DX) / n.
 * BB(n, k)  middle SMA(n), upper/lower middle +/- k STD(n) (sample, see STD);
 *           %B = (c - lower) / (upper - lower) (none when upper = lower);
 *           width = (upper - lower) / middle (none when middle = 0).
 * VWAP      anchored: sum(c v) / sum(v) over the bars whose open time is at
 *           or after the anchor (the close as price, as the original
 *           scanner); none before the anchor or while sum(v) = 0. The daily
 *           form re-anchors at 00:00 UTC of each bar's open time.
 * MACD(f, s, g)  line = EMA(f) - EMA(s) of the closes, from bar s; signal =
 *           EMA(g) of the line (first value the mean of the first g lines,
 *           at bar s + g - 1); histogram = line - signal. */
#ifndef TS_IND_H
#define TS_IND_H

#include <stdint.h>

/* One candle as the indicators read it (times in µs since the epoch). */
struct ts_ind_bar {
	int64_t t;
	double o, h, l, c, v;
};

/* A rolling window of the last n values: SMA and STD. */
struct ts_ind_win {
	int n;
	double *ring;    /* n values, owned */
	int head, count; /* next slot; values held (<= n) */
	double mean, m2; /* of the values held (Welford, slid) */
	int since;       /* pushes since the last exact re-summation */
	int run;         /* how many of the last pushes equal the last value */
	double last;
};
/* n >= 1 (STD needs n >= 2). Allocates the ring (dies on failure);
 * ts_ind_win_free releases it. */
void ts_ind_win_init(struct ts_ind_win *w, int n);
void ts_ind_win_free(struct ts_ind_win *w);
void ts_ind_win_reset(struct ts_ind_win *w); /* forget the values, keep n */
void ts_ind_win_push(struct ts_ind_win *w, double x);
/* SMA and sample STD of the window, NaN until it holds n values. */
double ts_ind_win_sma(const struct ts_ind_win *w);
double ts_ind_win_std(const struct ts_ind_win *w);

struct ts_ind_ema {
	int n, count;
	double alpha, sum, val;
};
void ts_ind_ema_init(struct ts_ind_ema *e, int n);
/* Push x; returns the EMA (NaN during the warm-up). */
double ts_ind_ema_push(struct ts_ind_ema *e, double x);

struct ts_ind_rsi {
	int n, count; /* closes seen */
	double prev, gain, loss; /* sums during the warm-up, then the averages */
	double val;
};
void ts_ind_rsi_init(struct ts_ind_rsi *r, int n);
double ts_ind_rsi_push(struct ts_ind_rsi *r, double close);

struct ts_ind_atr {
	int n, count; /* bars seen */
	double prev_c, sum, val;
};
void ts_ind_atr_init(struct ts_ind_atr *a, int n);
double ts_ind_atr_push(struct ts_ind_atr *a, const struct ts_ind_bar *b);

struct ts_ind_adx {
	int n, count;   /* bars seen */
	int ndx;        /* DX values seen */
	double prev_h, prev_l, prev_c;
	double tr, pdm, mdm; /* the smoothed sums (warm-up: plain sums) */
	double dxsum, val;
	double pdi, mdi, dx; /* of the last bar, NaN during the warm-up */
};
void ts_ind_adx_init(struct ts_ind_adx *a, int n);
/* Push a bar; returns ADX (NaN before bar 2n). pdi, mdi and dx hold the
 * last bar's +DI, -DI and DX (from bar n + 1). */
double ts_ind_adx_push(struct ts_ind_adx *a, const struct ts_ind_bar *b);

struct ts_ind_bb {
	struct ts_ind_win w;
	double k;
	double mid, upper, lower, pctb, width; /* of the last close, NaN: none */
};
/* Allocates (ts_ind_bb_free releases). */
void ts_ind_bb_init(struct ts_ind_bb *b, int n, double k);
void ts_ind_bb_free(struct ts_ind_bb *b);
void ts_ind_bb_push(struct ts_ind_bb *b, double close);

/* Anchored VWAP: anchor_us is the fixed anchor; TS_IND_VWAP_DAILY instead
 * re-anchors at each UTC day. */
#define TS_IND_VWAP_DAILY INT64_MIN
struct ts_ind_vwap {
	int64_t anchor_us, day;
	double pv, v;
};
void ts_ind_vwap_init(struct ts_ind_vwap *v, int64_t anchor_us);
double ts_ind_vwap_push(struct ts_ind_vwap *v, const struct ts_ind_bar *b);

struct ts_ind_macd {
	struct ts_ind_ema fast, slow, sig;
	double line, signal, hist;
};
void ts_ind_macd_init(struct ts_ind_macd *m, int fast, int slow, int sig);
void ts_ind_macd_push(struct ts_ind_macd *m, double close);

#endif
