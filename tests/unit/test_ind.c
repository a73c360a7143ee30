/* test_ind: the incremental indicators against naive reference values
 *
 * tests/data/ind/ref.txt holds 300 hourly candles (a climb, 30 flat candles
 * of a gap, a fall) and, for every bar, each indicator as
 * tests/tools/ind_ref.py computes it from scratch in 40-digit decimal
 * arithmetic ("nan" during the warm-up). Every value must agree to 1e-9
 * relative, and be absent exactly where the reference has none. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ind.h"
#include "t.h"

#define MAXBARS 400
#define MAXCOLS 32

static char names[MAXCOLS][32];
static int ncols;
static double val[MAXBARS][MAXCOLS];
static int nbars;

static const char *
top(void)
{
	const char *t = getenv("TS_TOP");
	return t ? t : ".";
}

static int
load(void)
{
	char path[512], line[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/tests/data/ind/ref.txt", top());
	if (!(f = fopen(path, "r"))) {
		printf("# cannot open '%s'\n", path);
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *save, *tok;
		int k = 0;
		if (line[0] == '#')
			continue;
		if (!ncols) {
			for (tok = strtok_r(line, " \n", &save); tok && k < MAXCOLS;
			    tok = strtok_r(NULL, " \n", &save))
				snprintf(names[k++], sizeof names[0], "%s", tok);
			ncols = k;
			continue;
		}
		if (nbars == MAXBARS)
			break;
		for (tok = strtok_r(line, " \n", &save); tok && k < ncols;
		    tok = strtok_r(NULL, " \n", &save))
			val[nbars][k++] = strtod(tok, NULL);
		if (k == ncols)
			nbars++;
	}
	fclose(f);
	return nbars > 0 ? 0 : -1;
}

static int
col(const char *name)
{
	for (int k = 0; k < ncols; k++)
		if (!strcmp(names[k], name))
			return k;
	printf("# no column '%s'\n", name);
	exit(1);
}

static struct ts_ind_bar
bar(int i)
{
	struct ts_ind_bar b = {
		.t = (int64_t)val[i][col("t")], .o = val[i][col("o")], .h = val[i][col("h")],
		.l = val[i][col("l")], .c = val[i][col("c")], .v = val[i][col("v")],
	};
	return b;
}

static int mismatches;

/* got against the reference column at bar i: both absent, or within 1e-9
 * relative (an exact 0 must be exact). */
static void
cmp(const char *name, int i, double got)
{
	double want = val[i][col(name)];
	int ok;

	if (isnan(want) || isnan(got))
		ok = isnan(want) && isnan(got);
	else if (want == 0)
		ok = got == 0;
	else
		ok = fabs(got - want) <= 1e-9 * fabs(want);
	if (!ok && mismatches++ < 20)
		printf("#   bar %d %s: got %.17g, want %.17g\n", i + 1, name, got, want);
	CHECK(ok);
}

/* One of each indicator, for a period n (MACD: fast n - 2, slow 2n - 2,
 * signal n - 5, so n = 14 gives the usual 12, 26, 9). */
struct set {
	struct ts_ind_win w;
	struct ts_ind_ema e;
	struct ts_ind_rsi rsi;
	struct ts_ind_atr atr;
	struct ts_ind_adx adx;
	struct ts_ind_bb bb;
	struct ts_ind_vwap va, vd;
	struct ts_ind_macd macd;
	/* of the last bar */
	double sma, std, ema, rsiv, atrv, adxv, vwap_a, vwap_d;
};

static void
set_init(struct set *s, int win, int ema, int n, int64_t anchor)
{
	ts_ind_win_init(&s->w, win);
	ts_ind_ema_init(&s->e, ema);
	ts_ind_rsi_init(&s->rsi, n);
	ts_ind_atr_init(&s->atr, n);
	ts_ind_adx_init(&s->adx, n);
	ts_ind_bb_init(&s->bb, win, 2);
	ts_ind_vwap_init(&s->va, anchor);
	ts_ind_vwap_init(&s->vd, TS_IND_VWAP_DAILY);
	ts_ind_macd_init(&s->macd, n - 2, 2 * n - 2, n - 5);
}

static void
set_push(struct set *s, const struct ts_ind_bar *b)
{
	ts_ind_win_push(&s->w, b->c);
	s->sma = ts_ind_win_sma(&s->w);
	s->std = ts_ind_win_std(&s->w);
	s->ema = ts_ind_ema_push(&s->e, b->c);
	s->rsiv = ts_ind_rsi_push(&s->rsi, b->c);
	s->atrv = ts_ind_atr_push(&s->atr, b);
	s->adxv = ts_ind_adx_push(&s->adx, b);
	ts_ind_bb_push(&s->bb, b->c);
	s->vwap_a = ts_ind_vwap_push(&s->va, b);
	s->vwap_d = ts_ind_vwap_push(&s->vd, b);
	ts_ind_macd_push(&s->macd, b->c);
}

static void
set_free(struct set *s)
{
	ts_ind_win_free(&s->w);
	ts_ind_bb_free(&s->bb);
}

static void
test_reference(void)
{
	struct set s;

	set_init(&s, 20, 12, 14, bar(10).t);
	for (int i = 0; i < nbars; i++) {
		struct ts_ind_bar b = bar(i);
		set_push(&s, &b);
		cmp("sma20", i, s.sma);
		cmp("std20", i, s.std);
		cmp("ema12", i, s.ema);
		cmp("rsi14", i, s.rsiv);
		cmp("atr14", i, s.atrv);
		cmp("adx14", i, s.adxv);
		cmp("bb_upper", i, s.bb.upper);
		cmp("bb_lower", i, s.bb.lower);
		cmp("bb_pctb", i, s.bb.pctb);
		cmp("bb_width", i, s.bb.width);
		cmp("vwap_anchor", i, s.vwap_a);
		cmp("vwap_daily", i, s.vwap_d);
		cmp("macd", i, s.macd.line);
		cmp("macd_signal", i, s.macd.signal);
		cmp("macd_hist", i, s.macd.hist);
	}
	set_free(&s);
}

/* The warm-ups end exactly where ind.h says: the first value at bar n
 * (SMA, STD, EMA), n + 1 (RSI, ATR), 2n (ADX), s + g - 1 (MACD signal);
 * a fixed VWAP anchor's first value at the anchor. */
static void
test_warmup(void)
{
	int first[9] = { 0 };
	struct set s;

	set_init(&s, 5, 5, 7, 12); /* MACD 5, 12, 2 */
	for (int i = 1; i <= 40; i++) {
		struct ts_ind_bar b = { .t = i, .o = 100 + i % 7, .h = 103 + i % 7 + i % 3,
			.l = 98 + i % 7 - i % 2, .c = 100 + (i * 7) % 11, .v = 1 };
		double v[9];
		set_push(&s, &b);
		v[0] = s.sma, v[1] = s.std, v[2] = s.ema, v[3] = s.rsiv, v[4] = s.atrv;
		v[5] = s.adxv, v[6] = s.macd.line, v[7] = s.macd.signal, v[8] = s.vwap_a;
		for (int k = 0; k < 9; k++)
			if (!first[k] && !isnan(v[k]))
				first[k] = i;
	}
	CHECK_INT(first[0], 5);
	CHECK_INT(first[1], 5);
	CHECK_INT(first[2], 5);
	CHECK_INT(first[3], 8);
	CHECK_INT(first[4], 8);
	CHECK_INT(first[5], 14);
	CHECK_INT(first[6], 12);
	CHECK_INT(first[7], 13);
	CHECK_INT(first[8], 12);
	set_free(&s);
}

/* Flat candles: a window of equal values has exactly its value as mean and
 * 0 as deviation however long the rounding history before it; RSI of a
 * market that never moved is 50; ADX of flat bars is 0. */
static void
test_flat(void)
{
	struct ts_ind_win w;
	struct ts_ind_rsi r;
	struct ts_ind_adx x;
	struct ts_ind_bb bb;
	double rv = 0, xv = 0;

	ts_ind_win_init(&w, 20);
	ts_ind_bb_init(&bb, 20, 2);
	for (int i = 0; i < 1000; i++) {
		ts_ind_win_push(&w, 65000 + 0.1 * (i % 13) + 1e-3 * i);
		ts_ind_bb_push(&bb, 65000.01 * (1 + (i % 5) * 1e-4));
	}
	for (int i = 0; i < 20; i++) {
		ts_ind_win_push(&w, 65432.1);
		ts_ind_bb_push(&bb, 65432.1);
	}
	CHECK(ts_ind_win_sma(&w) == 65432.1);
	CHECK(ts_ind_win_std(&w) == 0);
	CHECK(bb.upper == bb.lower);
	CHECK(isnan(bb.pctb));
	CHECK(bb.width == 0);
	ts_ind_win_push(&w, 65432.2);
	CHECK(ts_ind_win_std(&w) > 0);
	ts_ind_rsi_init(&r, 14);
	ts_ind_adx_init(&x, 14);
	for (int i = 0; i < 40; i++) {
		struct ts_ind_bar b = { .t = i, .o = 7, .h = 7, .l = 7, .c = 7, .v = 0 };
		rv = ts_ind_rsi_push(&r, 7);
		xv = ts_ind_adx_push(&x, &b);
	}
	CHECK(rv == 50);
	CHECK(xv == 0);
	ts_ind_win_free(&w);
	ts_ind_bb_free(&bb);
}

/* Wilder's RSI on the worked example everyone reprints (StockCharts' RSI
 * article and its spreadsheet, 14 periods): 70.46 after the first 15
 * closes, then 66.25, 66.48, ... as the spreadsheet's unrounded columns give
 * (the article's prose rounds the averages to 0.24 and 0.10 first and so
 * prints 70.53). */
static void
test_wilder_example(void)
{
	static const double c[] = {
		44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.10, 45.42, 45.84, 46.08,
		45.89, 46.03, 45.61, 46.28, 46.28, 46.00, 46.03, 46.41, 46.22, 45.64,
	};
	static const double want[] = { 70.46, 66.25, 66.48, 69.35, 66.29, 57.92 };
	struct ts_ind_rsi r;
	double v[20];

	ts_ind_rsi_init(&r, 14);
	for (int i = 0; i < 20; i++)
		v[i] = ts_ind_rsi_push(&r, c[i]);
	CHECK(isnan(v[13]));
	for (int i = 0; i < 6; i++) {
		if (fabs(v[14 + i] - want[i]) >= 0.005)
			printf("#   RSI at close %d: %.4f, want %.2f\n", 15 + i, v[14 + i], want[i]);
		CHECK(fabs(v[14 + i] - want[i]) < 0.005);
	}
}

int
main(void)
{
	if (load() < 0) {
		printf("not ok - test_ind: no reference data\n");
		return 1;
	}
	RUN(test_reference);
	RUN(test_warmup);
	RUN(test_flat);
	RUN(test_wilder_example);
	return DONE();
}
