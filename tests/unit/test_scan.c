/* test_scan: scan metrics against brute force, scans.conf, crafted series
 * whose scans are known, and explain's golden outputs
 *
 * The golden files are tests/data/scan/explain-*.json; after a deliberate
 * change, TS_UPDATE_GOLDEN=1 rewrites them (review the diff). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "json.h"
#include "log.h"
#include "scan.h"
#include "t.h"

#define HOUR (3600 * INT64_C(1000000))
#define T0 INT64_C(1767225600000000) /* 2026-01-01T00:00:00Z */

static unsigned long rng_state;

static double
rnd(void) /* in [0, 1) */
{
	rng_state = (rng_state * 1103515245 + 12345) % 2147483648UL;
	return rng_state / 2147483648.0;
}

/* A candle around close c after prev. */
static struct ts_ind_bar
mk(int i, double prev, double c, double wick, double v)
{
	struct ts_ind_bar b = { .t = T0 + i * HOUR, .o = prev, .c = c, .v = v };

	b.h = (prev > c ? prev : c) + wick * rnd();
	b.l = (prev < c ? prev : c) - wick * rnd();
	return b;
}

/* ---- metrics against brute force --------------------------------------- */

static double
mean(const double *x, int n)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += x[i];
	return s / n;
}

static double
sd(const double *x, int n)
{
	double m = mean(x, n), s = 0;
	for (int i = 0; i < n; i++)
		s += (x[i] - m) * (x[i] - m);
	return sqrt(s / (n - 1));
}

static int
close_to(double got, double want)
{
	if (isnan(want) || isnan(got))
		return isnan(want) && isnan(got);
	return fabs(got - want) <= 1e-9 * fabs(want) + 1e-12;
}

static void
test_metrics_brute(void)
{
	enum { N = 400 };
	static double c[N], v[N], btc[N], ratio[N];
	struct ts_ind_bar b[N];
	struct ts_scan_calc s;
	double px = 2000, bp = 60000;
	int bad = 0;

	rng_state = 7;
	for (int i = 0; i < N; i++) {
		double nc = px + (rnd() - 0.48) * 30, nb = bp + (rnd() - 0.5) * 400;
		b[i] = mk(i, px, nc, 10, 1 + rnd() * 10);
		c[i] = nc, v[i] = b[i].v, btc[i] = nb, ratio[i] = nc / nb;
		px = nc, bp = nb;
	}
	ts_scan_calc_init(&s, TS_SCAN_ANCHOR_FIRST);
	for (int i = 0; i < N; i++) {
		double want[TS_SCAN_NMETRIC];
		for (int k = 0; k < TS_SCAN_NMETRIC; k++)
			want[k] = s.m[k]; /* indicators checked by test_ind */
		ts_scan_calc_push(&s, &b[i], btc[i]);
		want[TS_SCAN_ZSCORE] = i >= 49 ? (c[i] - mean(c + i - 49, 50)) / sd(c + i - 49, 50) : NAN;
		want[TS_SCAN_BTC_REL] = i >= 49 ?
		    (ratio[i] - mean(ratio + i - 49, 50)) / sd(ratio + i - 49, 50) : NAN;
		want[TS_SCAN_VOLZ] = i >= 19 ? (v[i] - mean(v + i - 19, 20)) / sd(v + i - 19, 20) : NAN;
		want[TS_SCAN_RVOL] = i >= 19 ? v[i] / mean(v + i - 19, 20) : NAN;
		{
			double m = i >= 19 ? mean(c + i - 19, 20) : NAN, d = i >= 19 ? sd(c + i - 19, 20) : NAN;
			want[TS_SCAN_BBW] = 4 * d / m;
			want[TS_SCAN_PCTB] = (c[i] - (m - 2 * d)) / (4 * d);
		}
		{
			double pv = 0, sv = 0;
			for (int j = 0; j <= i; j++)
				pv += c[j] * v[j], sv += v[j];
			want[TS_SCAN_VWAPGAP] = (c[i] - pv / sv) / (pv / sv);
		}
		for (int k = 0; k < TS_SCAN_NMETRIC; k++) {
			if (k == TS_SCAN_ZSCORE || k == TS_SCAN_BTC_REL || k == TS_SCAN_VOLZ ||
			    k == TS_SCAN_RVOL || k == TS_SCAN_BBW || k == TS_SCAN_PCTB ||
			    k == TS_SCAN_VWAPGAP) {
				if (!close_to(s.m[k], want[k]) && bad++ < 10)
					printf("#   bar %d %s: %.17g, want %.17g\n", i, ts_scan_metric_names[k],
					    s.m[k], want[k]);
			}
		}
		if (i > 0) /* the deltas are against the bar before */
			for (int k = 0; k < TS_SCAN_NMETRIC; k++)
				if (!isnan(s.prev[k]) && !isnan(s.m[k]))
					CHECK(ts_scan_calc_delta(&s, k) == s.m[k] - s.prev[k]);
	}
	CHECK(bad == 0);
	/* an old or repeated bar changes nothing */
	CHECK_INT(ts_scan_calc_push(&s, &b[N - 1], btc[N - 1]), 0);
	CHECK_INT(s.bars, N);
	/* BTC_rel_zscore: a bar without BTC is left out of the ratio window */
	{
		struct ts_ind_bar nb = mk(N, px, px + 1, 1, 1);
		ts_scan_calc_push(&s, &nb, NAN);
		CHECK(isnan(s.m[TS_SCAN_BTC_REL]));
		CHECK_INT(s.ratio50.count, 50);
	}
	ts_scan_calc_free(&s);
}

/* ---- scans.conf --------------------------------------------------------- */

static void
test_conf_defaults(void)
{
	struct ts_scan_conf c;
	double m[TS_SCAN_NMETRIC];

	ts_scan_conf_init(&c);
	CHECK_INT(c.nscans, 7);
	CHECK_STR(c.scan[0].name, "Overbought_Extreme_V1");
	CHECK_INT(c.scan[0].min, 2);
	CHECK_INT(c.scan[0].nconds, 4);
	CHECK_INT(c.scan[0].cond[3].metric, TS_SCAN_VWAPGAP);
	CHECK(c.scan[0].cond[3].value == 0.15);
	CHECK_STR(c.scan[6].name, "Volatility_Squeeze_Alert");
	CHECK_INT(c.scan[2].cond[1].op, TS_SCAN_LT);
	CHECK(c.scan[2].cond[1].value == -0.05);
	for (int k = 0; k < TS_SCAN_NMETRIC; k++)
		m[k] = NAN;
	m[TS_SCAN_RSI] = 80;
	CHECK_INT(ts_scan_flags(&c.scan[0], m), 1);
	m[TS_SCAN_ZSCORE] = 2.6;
	CHECK_INT(ts_scan_flags(&c.scan[0], m), 2);
	m[TS_SCAN_RSI] = 78; /* > is strict */
	CHECK_INT(ts_scan_flags(&c.scan[0], m), 1);
	ts_scan_conf_free(&c);
}

static void
test_conf_file(void)
{
	struct ts_scan_conf c;
	char *out = NULL;
	size_t outn = 0;
	FILE *errs;
	int n;

	ts_scan_conf_init(&c);
	n = ts_scan_conf_parse(&c, "s.conf",
	    "# my scans\n"
	    "watch coinbase/BTC-USD binance/ETH-USDT  # two markets\n"
	    "timeframes 1m,1h\n"
	    "anchor 2026-01-01T00:00:00Z\n"
	    "scan Hot 2\n"
	    "\tRSI>70\n"
	    "\tADX >= 25, %B > 1\n"
	    "\n"
	    "scan Cold 1 RSI <= 30\n", NULL);
	CHECK_INT(n, 0);
	CHECK_INT(c.nscans, 2);
	CHECK_INT(c.defaults, 0);
	CHECK_INT(c.scan[0].nconds, 3);
	CHECK_INT(c.scan[0].cond[1].metric, TS_SCAN_ADX);
	CHECK_INT(c.scan[0].cond[1].op, TS_SCAN_GE);
	CHECK_INT(c.scan[0].cond[2].metric, TS_SCAN_PCTB);
	CHECK_INT(c.scan[1].cond[0].op, TS_SCAN_LE);
	CHECK_INT(c.nwatch, 2);
	CHECK_STR(c.watch[1], "binance/ETH-USDT");
	CHECK_INT(c.ntf, 2);
	CHECK(c.anchor_us == T0);
	ts_scan_conf_free(&c);

	ts_scan_conf_init(&c);
	errs = open_memstream(&out, &outn);
	n = ts_scan_conf_parse(&c, "bad.conf",
	    "scan A 1 RSI > 70\n"
	    "scan B 3 RSI > 70,\n"
	    "  zscore > 1\n"
	    "scan C 1 FOO > 1\n"
	    "watch coinbase-BTC-USD\n"
	    "timeframes 7m\n"
	    "frobnicate\n"
	    "scan A 1 RSI < 1\n"
	    "scan D 1 RSI = 3\n"
	    "anchor yesterday\n", errs);
	fclose(errs);
	CHECK_INT(n, 8);
	CHECK(strstr(out, "bad.conf:2: scan 'B' needs 3 of its 2 conditions\n") != NULL);
	CHECK(strstr(out, "bad.conf:4: unknown metric 'FOO'\n") != NULL);
	CHECK(strstr(out, "bad.conf:5: 'coinbase-BTC-USD' is not EXCHANGE/SYMBOL\n") != NULL);
	CHECK(strstr(out, "bad.conf:6: unknown timeframe '7m'\n") != NULL);
	CHECK(strstr(out, "bad.conf:7: unknown keyword 'frobnicate'") != NULL);
	CHECK(strstr(out, "bad.conf:8: scan 'A' defined twice\n") != NULL);
	CHECK(strstr(out, "bad.conf:9: expected >, >=, < or <= after 'RSI'\n") != NULL);
	CHECK(strstr(out, "bad.conf:10: anchor 'yesterday'") != NULL);
	if (n != 8)
		printf("%s", out);
	free(out);
	ts_scan_conf_free(&c);
}

static void
test_btc_sym(void)
{
	char b[48];

	CHECK(ts_scan_btc_sym("ETH-USD", b, sizeof b) == 0);
	CHECK_STR(b, "BTC-USD");
	CHECK(ts_scan_btc_sym("SOL-USDT-PERP", b, sizeof b) == 0);
	CHECK_STR(b, "BTC-USDT-PERP");
	CHECK(ts_scan_btc_sym("BTC-USD", b, sizeof b) < 0);
	CHECK(ts_scan_btc_sym("WBTC-USD", b, sizeof b) == 0);
}

/* ---- crafted series whose scans are known ------------------------------ */

/* The scans a series passes at its last bar, as a comma-separated list. */
static void
passed(const struct ts_ind_bar *b, const double *btc, int n, char *out, size_t outn)
{
	struct ts_scan_calc s;
	struct ts_scan_conf c;

	ts_scan_conf_init(&c);
	ts_scan_calc_init(&s, TS_SCAN_ANCHOR_FIRST);
	for (int i = 0; i < n; i++)
		ts_scan_calc_push(&s, &b[i], btc ? btc[i] : NAN);
	out[0] = '\0';
	for (int i = 0; i < c.nscans; i++)
		if (ts_scan_flags(&c.scan[i], s.m) >= c.scan[i].min)
			snprintf(out + strlen(out), outn - strlen(out), "%s%s", *out ? "," : "",
			    c.scan[i].name);
	ts_scan_calc_free(&s);
	ts_scan_conf_free(&c);
}

/* A series: fn gives candle i's close after prev, its wick and volume. */
typedef double closer(int i, double prev, double *wick, double *v);

static void
make_series(struct ts_ind_bar *b, int n, double px, closer *fn)
{
	for (int i = 0; i < n; i++) {
		double wick, v, c = fn(i, px, &wick, &v);
		b[i] = mk(i, px, c, wick, v);
		px = c;
	}
}

enum { NC = 200 };

/* a quiet range, then 12 candles each up 2%: overbought on RSI and
 * z-score, far above the VWAP and stretched in ATRs */
static double
hot(int i, double prev, double *wick, double *v)
{
	*wick = 0.3, *v = 10;
	return i < NC - 12 ? 100 + (rnd() - 0.5) * 2 : prev * 1.02;
}

/* a steady fall of 0.5% a candle: oversold, well under the VWAP */
static double
falling(int i, double prev, double *wick, double *v)
{
	*wick = 0.1, *v = 10;
	return prev * (i < 100 ? 1 + (rnd() - 0.5) * 0.002 : 0.995);
}

/* a price that hardly moves: the bands squeeze under 5% width; RSI near 50
 * and the last close up (above the VWAP) give Catch_Up's 2 of 3 */
static double
still(int i, double prev, double *wick, double *v)
{
	(void)prev;
	*wick = 0.05, *v = 10;
	return 100 + (i % 2 ? 0.1 : -0.1);
}

/* ETH flat, then up 1% a candle (BTC stays flat) */
static double
eth_up(int i, double prev, double *wick, double *v)
{
	*wick = 1, *v = 10;
	return i < NC - 5 ? 2000 + (i % 3 - 1) * 20 : prev * 1.01;
}

/* ETH flat all along (BTC rises at the end) */
static double
eth_flat(int i, double prev, double *wick, double *v)
{
	(void)prev;
	*wick = 1, *v = 10;
	return 2000 + (i % 3 - 1) * 20;
}

static void
test_crafted(void)
{
	static struct ts_ind_bar b[NC];
	static double btc[NC];
	char got[512];

	rng_state = 1;
	make_series(b, NC, 100, hot);
	passed(b, NULL, NC, got, sizeof got);
	/* (with no BTC, Catch_Up's RSI > 50 and VWAPgap > 0 make its 2 of 3) */
	CHECK_STR(got, "Overbought_Extreme_V1,Potential_Mean_Reversion_Short,BTC_Potential_Catch_Up");

	make_series(b, NC, 100, falling);
	passed(b, NULL, NC, got, sizeof got);
	CHECK_STR(got, "Oversold_Interest");

	make_series(b, NC, 100, still);
	passed(b, NULL, NC, got, sizeof got);
	CHECK_STR(got, "BTC_Potential_Catch_Up,Volatility_Squeeze_Alert");

	/* ETH's ratio to a flat BTC goes far above its mean, and so do its own
	 * RSI and z-score (the bands, 4 standard deviations of ~35 on 2000,
	 * are wider than 5%) */
	for (int i = 0; i < NC; i++)
		btc[i] = 60000 + (i % 2) * 10;
	make_series(b, NC, 2000, eth_up);
	passed(b, btc, NC, got, sizeof got);
	CHECK_STR(got, "Overbought_Extreme_V1,Potential_Mean_Reversion_Short,"
	    "BTC_Strong_Outperformers,BTC_Potential_Catch_Up");
	/* ... and the mirror: BTC rises 1% a candle while ETH stays */
	for (int i = NC - 5; i < NC; i++)
		btc[i] = btc[i - 1] * 1.01;
	make_series(b, NC, 2000, eth_flat);
	passed(b, btc, NC, got, sizeof got);
	CHECK(strstr(got, "BTC_Extreme_Underperformers") != NULL);
}

/* ---- explain ------------------------------------------------------------ */

static const char *
top(void)
{
	const char *t = getenv("TS_TOP");
	return t ? t : ".";
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = ts_xmalloc((size_t)n + 1);
	s[fread(s, 1, (size_t)n, f)] = '\0';
	fclose(f);
	return s;
}

/* Compare explain's output with its golden file (rewritten on request). */
static void
golden(const char *name, const struct ts_ind_bar *b, size_t n, size_t lookback,
    struct ts_jw *w)
{
	char path[512];
	char *want;

	ts_jw_reset(w);
	CHECK(ts_explain(w, "coinbase/TEST-USD", "1h", b, n, lookback) == 0);
	snprintf(path, sizeof path, "%s/tests/data/scan/explain-%s.json", top(), name);
	if (getenv("TS_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");
		if (f) {
			fwrite(w->buf, 1, w->len, f);
			fputc('\n', f);
			fclose(f);
		}
	}
	want = slurp(path);
	if (!want || strlen(want) != w->len + 1 || memcmp(want, w->buf, w->len)) {
		printf("#   explain %s differs from %s; got:\n#   %.*s", name, path,
		    (int)w->len, w->buf);
		CHECK(0);
	}
	free(want);
	{
		struct ts_jval v;
		CHECK(ts_json_parse(w->buf, w->len, &v, NULL) == 0 && v.type == TS_J_OBJ);
	}
}

static int
has(const struct ts_jw *w, const char *s)
{
	return memmem(w->buf, w->len, s, strlen(s)) != NULL;
}

enum { NX = 220 };

/* The series of explain's golden files. */

/* an uptrend: +0.4% a candle with noise */
static double
uptrend(int i, double prev, double *wick, double *v)
{
	(void)i;
	*wick = 0.3;
	*v = 10 + rnd() * 5;
	return prev * (1.004 + (rnd() - 0.5) * 0.03);
}

/* a range: a sine between 97 and 103 and as much noise */
static double
range(int i, double prev, double *wick, double *v)
{
	(void)prev;
	*wick = 0.5;
	*v = 10 + rnd() * 5;
	return 100 + 3 * sin(i * 0.5) + 3 * (rnd() - 0.5);
}

/* a squeeze, then a breakout: ranging noise narrows to almost nothing,
 * then six candles up 1.5% each */
static double
squeeze(int i, double prev, double *wick, double *v)
{
	double amp = i < 120 ? 2 : i < NX - 6 ? 0.1 : 0;

	*wick = amp / 4;
	*v = 10 + rnd() * 5;
	return i < NX - 6 ? 100 + (rnd() - 0.5) * amp : prev * 1.015;
}

/* a capitulation: a slow drift down, then two candles of -8% on ten times
 * the volume, then a dead-cat bounce */
static double
capitulation(int i, double prev, double *wick, double *v)
{
	*wick = 0.2;
	*v = 10 + rnd() * 3;
	if (i < NX - 8)
		return prev * (0.999 + (rnd() - 0.5) * 0.004);
	if (i < NX - 6) {
		*v *= 10;
		return prev * 0.92;
	}
	return prev * 1.004;
}

static void
test_explain(void)
{
	static struct ts_ind_bar b[NX];
	struct ts_jw w = { 0 };

	rng_state = 11;
	make_series(b, NX, 100, uptrend);
	golden("uptrend", b, NX, 100, &w);
	CHECK(has(&w, "is trending up"));
	CHECK(has(&w, "it rose"));

	make_series(b, NX, 100, range);
	golden("range", b, NX, 100, &w);
	CHECK(has(&w, "is ranging"));
	CHECK(has(&w, "\"type\":\"swing_high\""));
	CHECK(has(&w, "\"type\":\"swing_low\""));

	make_series(b, NX, 100, squeeze);
	golden("squeeze-breakout", b, NX, 100, &w);
	CHECK(has(&w, "\"type\":\"squeeze\""));
	CHECK(has(&w, "\"type\":\"breakout_up\""));
	CHECK(has(&w, "\"after_squeeze\":true"));

	make_series(b, NX, 100, capitulation);
	golden("capitulation", b, NX, 100, &w);
	CHECK(has(&w, "\"type\":\"volume_spike\""));
	CHECK(has(&w, "it fell"));
	CHECK(has(&w, "oversold"));

	/* the lookback bounds the window; nothing to explain without candles */
	ts_jw_reset(&w);
	ts_explain(&w, "coinbase/TEST-USD", "1h", b, NX, 30);
	CHECK(has(&w, "\"bars\":30"));
	ts_jw_reset(&w);
	CHECK(ts_explain(&w, "coinbase/TEST-USD", "1h", b, 0, 30) == -1);
	CHECK_INT(w.len, 0);
	ts_jw_free(&w);
}

int
main(void)
{
	RUN(test_metrics_brute);
	RUN(test_conf_defaults);
	RUN(test_conf_file);
	RUN(test_btc_sym);
	RUN(test_crafted);
	RUN(test_explain);
	return DONE();
}
