/* scan.c: the scanner's metrics per closed candle, scans.conf, scan messages */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "scan.h"
#include "tm.h"
#include "topic.h"

const char *const ts_scan_metric_names[TS_SCAN_NMETRIC] = {
	"RSI", "zscore", "%B", "ATRstretch", "VWAPgap", "VWAPgap_daily", "BTC_rel_zscore",
	"VolumeZScore", "RVOL", "BBW", "ADX14", "MACD", "MACD_signal", "MACD_hist",
};

int
ts_scan_metric_find(const char *name, size_t len)
{
	for (int k = 0; k < TS_SCAN_NMETRIC; k++)
		if (strlen(ts_scan_metric_names[k]) == len &&
		    !memcmp(ts_scan_metric_names[k], name, len))
			return k;
	if (len == 3 && !memcmp(name, "ADX", 3))
		return TS_SCAN_ADX;
	return -1;
}

/* ---- the metrics ---------------------------------------------------------- */

void
ts_scan_calc_init(struct ts_scan_calc *s, int64_t anchor_us)
{
	memset(s, 0, sizeof *s);
	ts_ind_rsi_init(&s->rsi, 14);
	ts_ind_win_init(&s->c50, 50);
	ts_ind_win_init(&s->v20, 20);
	ts_ind_win_init(&s->ratio50, 50);
	ts_ind_bb_init(&s->bb, 20, 2);
	ts_ind_atr_init(&s->atr, 14);
	ts_ind_adx_init(&s->adx, 14);
	/* INT64_MIN is the daily anchor in ind.h: one past it takes every bar */
	ts_ind_vwap_init(&s->va, anchor_us == TS_SCAN_ANCHOR_FIRST ? INT64_MIN + 1 : anchor_us);
	ts_ind_vwap_init(&s->vd, TS_IND_VWAP_DAILY);
	ts_ind_macd_init(&s->macd, 12, 26, 9);
	s->anchor_us = anchor_us;
	s->t = INT64_MIN;
	s->close = s->volume = NAN;
	for (int k = 0; k < TS_SCAN_NMETRIC; k++)
		s->m[k] = s->prev[k] = NAN;
}

void
ts_scan_calc_free(struct ts_scan_calc *s)
{
	ts_ind_win_free(&s->c50);
	ts_ind_win_free(&s->v20);
	ts_ind_win_free(&s->ratio50);
	ts_ind_bb_free(&s->bb);
}

void
ts_scan_calc_ratio_reset(struct ts_scan_calc *s)
{
	ts_ind_win_reset(&s->ratio50);
	s->m[TS_SCAN_BTC_REL] = NAN;
}

static double
zscore(double x, double mean, double sd)
{
	return sd > 0 ? (x - mean) / sd : NAN;
}

static double
gap(double c, double vwap)
{
	return vwap != 0 ? (c - vwap) / vwap : NAN;
}

void
ts_scan_calc_ratio(struct ts_scan_calc *s, double close, double btc_close)
{
	double r;

	if (!(btc_close > 0) || isnan(close)) {
		s->m[TS_SCAN_BTC_REL] = NAN;
		return;
	}
	r = close / btc_close;
	ts_ind_win_push(&s->ratio50, r);
	s->m[TS_SCAN_BTC_REL] = zscore(r, ts_ind_win_sma(&s->ratio50),
	    ts_ind_win_std(&s->ratio50));
}

int
ts_scan_calc_push(struct ts_scan_calc *s, const struct ts_ind_bar *b, double btc_close)
{
	double *m = s->m, sma20, atr, vsma;

	if (s->bars && b->t <= s->t)
		return 0;
	memcpy(s->prev, s->m, sizeof s->prev);
	s->t = b->t;
	s->close = b->c;
	s->volume = b->v;
	s->bars++;
	m[TS_SCAN_RSI] = ts_ind_rsi_push(&s->rsi, b->c);
	ts_ind_win_push(&s->c50, b->c);
	m[TS_SCAN_ZSCORE] = zscore(b->c, ts_ind_win_sma(&s->c50), ts_ind_win_std(&s->c50));
	ts_ind_bb_push(&s->bb, b->c);
	m[TS_SCAN_PCTB] = s->bb.pctb;
	m[TS_SCAN_BBW] = s->bb.width;
	sma20 = s->bb.mid;
	atr = ts_ind_atr_push(&s->atr, b);
	m[TS_SCAN_ATRSTRETCH] = atr > 0 ? fabs(b->c - sma20) / atr : NAN;
	m[TS_SCAN_VWAPGAP] = gap(b->c, ts_ind_vwap_push(&s->va, b));
	m[TS_SCAN_VWAPGAP_DAILY] = gap(b->c, ts_ind_vwap_push(&s->vd, b));
	ts_scan_calc_ratio(s, b->c, btc_close);
	ts_ind_win_push(&s->v20, b->v);
	vsma = ts_ind_win_sma(&s->v20);
	m[TS_SCAN_VOLZ] = zscore(b->v, vsma, ts_ind_win_std(&s->v20));
	m[TS_SCAN_RVOL] = vsma > 0 ? b->v / vsma : NAN;
	m[TS_SCAN_ADX] = ts_ind_adx_push(&s->adx, b);
	ts_ind_macd_push(&s->macd, b->c);
	m[TS_SCAN_MACD] = s->macd.line;
	m[TS_SCAN_MACD_SIGNAL] = s->macd.signal;
	m[TS_SCAN_MACD_HIST] = s->macd.hist;
	return 1;
}

double
ts_scan_calc_delta(const struct ts_scan_calc *s, int k)
{
	return s->m[k] - s->prev[k]; /* NaN when either is */
}

/* ---- scans.conf ------------------------------------------------------------ */

const char ts_scan_default_conf[] =
"scan Overbought_Extreme_V1 2 RSI > 78, zscore > 2.5, ATRstretch > 3, VWAPgap > 0.15\n"
"scan Potential_Mean_Reversion_Short 1 RSI > 60, zscore > 2\n"
"scan Oversold_Interest 1 RSI < 40, VWAPgap < -0.05\n"
"scan BTC_Strong_Outperformers 2 BTC_rel_zscore > 1.5, RSI > 55\n"
"scan BTC_Potential_Catch_Up 2 BTC_rel_zscore > 0.25, RSI > 50, VWAPgap > 0\n"
"scan BTC_Extreme_Underperformers 1 BTC_rel_zscore < -1.5\n"
"scan Volatility_Squeeze_Alert 1 BBW < 0.05\n";

void
ts_scan_conf_init(struct ts_scan_conf *c)
{
	memset(c, 0, sizeof *c);
	c->anchor_us = TS_SCAN_ANCHOR_FIRST;
	ts_scan_conf_parse(c, "(built-in)", ts_scan_default_conf, stderr);
	c->defaults = 1;
}

void
ts_scan_conf_free(struct ts_scan_conf *c)
{
	free(c->watch);
	c->watch = NULL;
	c->nwatch = 0;
}

struct pctx {
	const char *name;
	int line, errors;
	FILE *errs;
};

static void
perr(struct pctx *p, const char *fmt, ...)
{
	va_list ap;

	p->errors++;
	if (!p->errs)
		return;
	fprintf(p->errs, "%s:%d: ", p->name, p->line);
	va_start(ap, fmt);
	vfprintf(p->errs, fmt, ap);
	va_end(ap);
	fputc('\n', p->errs);
}

static const char *
skip_blank(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == ','))
		s++;
	return s;
}

static const char *
word_end(const char *s, const char *end)
{
	while (s < end && *s != ' ' && *s != '\t' && *s != ',')
		s++;
	return s;
}

/* Conditions "METRIC OP NUMBER", blanks around OP optional, separated by
 * blanks or commas. */
static void
parse_conds(struct pctx *p, struct ts_scan_def *d, const char *s, const char *end)
{
	for (s = skip_blank(s, end); s < end; s = skip_blank(s, end)) {
		const char *m = s, *me, *num;
		char buf[64], *e;
		int k, op;
		size_t len;

		while (s < end && (isalnum((unsigned char)*s) || *s == '_' || *s == '%'))
			s++;
		if (s == m) {
			perr(p, "expected a metric name at '%.*s'", (int)(word_end(s, end) - s), s);
			return;
		}
		if ((k = ts_scan_metric_find(m, (size_t)(s - m))) < 0) {
			perr(p, "unknown metric '%.*s'", (int)(s - m), m);
			return;
		}
		me = s;
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (s < end && (*s == '>' || *s == '<')) {
			int eq = s + 1 < end && s[1] == '=';
			op = *s == '>' ? (eq ? TS_SCAN_GE : TS_SCAN_GT) : (eq ? TS_SCAN_LE : TS_SCAN_LT);
			s += 1 + eq;
		} else {
			perr(p, "expected >, >=, < or <= after '%.*s'", (int)(me - m), m);
			return;
		}
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		num = s;
		s = word_end(s, end);
		len = (size_t)(s - num);
		if (!len || len >= sizeof buf) {
			perr(p, "expected a number after '%.*s'", (int)(num - m), m);
			return;
		}
		memcpy(buf, num, len);
		buf[len] = '\0';
		errno = 0;
		double v = strtod(buf, &e);
		if (*e || errno || !isfinite(v)) {
			perr(p, "bad number '%s'", buf);
			return;
		}
		if (d->nconds == TS_SCAN_MAX_CONDS) {
			perr(p, "more than %d conditions", TS_SCAN_MAX_CONDS);
			return;
		}
		d->cond[d->nconds++] = (struct ts_scan_cond){ k, op, v };
	}
}

static void
parse_scan(struct pctx *p, struct ts_scan_conf *c, const char *s, const char *end)
{
	struct ts_scan_def d;
	const char *n = skip_blank(s, end), *ne = word_end(n, end), *mn, *me;
	char buf[16], *e;
	long min;

	memset(&d, 0, sizeof d);
	if (n == ne) {
		perr(p, "scan without a name");
		return;
	}
	if ((size_t)(ne - n) >= sizeof d.name) {
		perr(p, "scan name longer than %d", TS_SCAN_NAME_MAX - 1);
		return;
	}
	for (const char *q = n; q < ne; q++)
		if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-' && *q != '.') {
			perr(p, "scan name '%.*s': use letters, digits, '_', '-' and '.'",
			    (int)(ne - n), n);
			return;
		}
	memcpy(d.name, n, (size_t)(ne - n));
	mn = skip_blank(ne, end);
	me = word_end(mn, end);
	if (mn == me || (size_t)(me - mn) >= sizeof buf) {
		perr(p, "scan '%s': expected the number of conditions that must hold", d.name);
		return;
	}
	memcpy(buf, mn, (size_t)(me - mn));
	buf[me - mn] = '\0';
	min = strtol(buf, &e, 10);
	if (*e || min < 1) {
		perr(p, "scan '%s': '%s' is not a number of conditions (1 or more)", d.name, buf);
		return;
	}
	{
		int before = p->errors;
		parse_conds(p, &d, me, end);
		if (p->errors != before)
			return;
	}
	if (!d.nconds) {
		perr(p, "scan '%s' has no condition", d.name);
		return;
	}
	if (min > d.nconds) {
		perr(p, "scan '%s' needs %ld of its %d conditions", d.name, min, d.nconds);
		return;
	}
	d.min = (int)min;
	for (int i = 0; i < c->nscans; i++)
		if (!strcmp(c->scan[i].name, d.name)) {
			perr(p, "scan '%s' defined twice", d.name);
			return;
		}
	if (c->nscans == TS_SCAN_MAX_SCANS) {
		perr(p, "more than %d scans", TS_SCAN_MAX_SCANS);
		return;
	}
	c->scan[c->nscans++] = d;
}

static void
parse_watch(struct pctx *p, struct ts_scan_conf *c, const char *s, const char *end)
{
	for (s = skip_blank(s, end); s < end; s = skip_blank(s, end)) {
		const char *e = word_end(s, end), *slash = memchr(s, '/', (size_t)(e - s));
		char ex[48], sym[48];
		size_t exn = slash ? (size_t)(slash - s) : 0, symn = slash ? (size_t)(e - slash - 1) : 0;

		if (!slash || exn >= sizeof ex || symn >= sizeof sym) {
			perr(p, "'%.*s' is not EXCHANGE/SYMBOL", (int)(e - s), s);
			return;
		}
		memcpy(ex, s, exn), ex[exn] = '\0';
		memcpy(sym, slash + 1, symn), sym[symn] = '\0';
		if (!ts_ex_valid(ex) || !ts_sym_valid(sym)) {
			perr(p, "'%.*s' is not EXCHANGE/SYMBOL (coinbase/BTC-USD)", (int)(e - s), s);
			return;
		}
		if (c->nwatch == TS_SCAN_MAX_WATCH) {
			perr(p, "more than %d markets", TS_SCAN_MAX_WATCH);
			return;
		}
		if (!c->watch)
			c->watch = ts_xcalloc(TS_SCAN_MAX_WATCH, sizeof *c->watch);
		snprintf(c->watch[c->nwatch++], sizeof c->watch[0], "%s/%s", ex, sym);
		s = e;
	}
}

static void
parse_tfs(struct pctx *p, struct ts_scan_conf *c, const char *s, const char *end)
{
	c->ntf = 0;
	for (s = skip_blank(s, end); s < end; s = skip_blank(s, end)) {
		const char *e = word_end(s, end);
		int k;
		for (k = 0; k < TS_TF_COUNT; k++)
			if (strlen(ts_tf_names[k]) == (size_t)(e - s) &&
			    !memcmp(ts_tf_names[k], s, (size_t)(e - s)))
				break;
		if (k == TS_TF_COUNT) {
			perr(p, "unknown timeframe '%.*s'", (int)(e - s), s);
			return;
		}
		if (c->ntf < (int)(sizeof c->tf / sizeof c->tf[0]))
			c->tf[c->ntf++] = k;
		s = e;
	}
}

static void
parse_anchor(struct pctx *p, struct ts_scan_conf *c, const char *s, const char *end)
{
	const char *e;

	s = skip_blank(s, end);
	e = word_end(s, end);
	if (e - s == 5 && !memcmp(s, "first", 5))
		c->anchor_us = TS_SCAN_ANCHOR_FIRST;
	else if (ts_rfc3339_parse(s, (size_t)(e - s), &c->anchor_us) < 0)
		perr(p, "anchor '%.*s' is neither an RFC 3339 time nor 'first'", (int)(e - s), s);
	else if (skip_blank(e, end) < end)
		perr(p, "anchor takes one time");
}

/* One logical line (continuations joined) without its comment. */
static void
parse_line(struct pctx *p, struct ts_scan_conf *c, const char *s, const char *end,
    int *replaced)
{
	const char *kw = skip_blank(s, end), *ke = word_end(kw, end);
	size_t n = (size_t)(ke - kw);

	if (kw == end)
		return;
	if (n == 4 && !memcmp(kw, "scan", 4)) {
		if (!*replaced) {
			c->nscans = 0; /* a file's scans replace the defaults */
			c->defaults = 0;
			*replaced = 1;
		}
		parse_scan(p, c, ke, end);
	} else if (n == 5 && !memcmp(kw, "watch", 5)) {
		parse_watch(p, c, ke, end);
	} else if (n == 10 && !memcmp(kw, "timeframes", 10)) {
		parse_tfs(p, c, ke, end);
	} else if (n == 6 && !memcmp(kw, "anchor", 6)) {
		parse_anchor(p, c, ke, end);
	} else {
		perr(p, "unknown keyword '%.*s' (scan, watch, timeframes, anchor)", (int)n, kw);
	}
}

int
ts_scan_conf_parse(struct ts_scan_conf *c, const char *name, const char *text, FILE *errs)
{
	struct pctx p = { name, 0, 0, errs };
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int first_line = 0, replaced = 0;
	const char *s = text;

	/* a line that starts with a blank continues the one above; errors name
	 * the line the joined line starts on */
	for (int line = 1; *s; line++) {
		const char *e = strchr(s, '\n'), *hash, *q;
		size_t n;
		if (!e)
			e = s + strlen(s);
		for (hash = s; hash < e; hash++)
			if (*hash == '#' && (hash == s || hash[-1] == ' ' || hash[-1] == '\t'))
				break;
		n = (size_t)(hash - s);
		for (q = s; q < s + n && (*q == ' ' || *q == '\t' || *q == '\r'); q++)
			;
		if (q < s + n) {
			if ((s[0] != ' ' && s[0] != '\t') || !len) {
				if (len) {
					p.line = first_line;
					parse_line(&p, c, buf, buf + len, &replaced);
				}
				len = 0;
				first_line = line;
			}
			ts_xgrow((void **)&buf, &cap, len + n + 2, 1);
			buf[len++] = ' ';
			memcpy(buf + len, s, n);
			len += n;
			while (len && buf[len - 1] == '\r')
				len--;
		}
		s = *e ? e + 1 : e;
	}
	if (len) {
		p.line = first_line;
		parse_line(&p, c, buf, buf + len, &replaced);
	}
	free(buf);
	return p.errors;
}

int
ts_scan_conf_load(struct ts_scan_conf *c, const char *path, FILE *errs)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	int r;

	if (!f)
		return -1;
	do {
		ts_xgrow((void **)&text, &cap, len + 4097, 1);
		n = fread(text + len, 1, 4096, f);
		len += n;
	} while (n == 4096);
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		free(text);
		errno = e;
		return -1;
	}
	fclose(f);
	text[len] = '\0';
	if (strlen(text) != len) {
		if (errs)
			fprintf(errs, "%s: holds a NUL byte\n", path);
		free(text);
		return 1;
	}
	r = ts_scan_conf_parse(c, path, text, errs);
	free(text);
	return r;
}

int
ts_scan_flags(const struct ts_scan_def *d, const double *m)
{
	int n = 0;

	for (int i = 0; i < d->nconds; i++) {
		double v = m[d->cond[i].metric], x = d->cond[i].value;
		if (isnan(v))
			continue;
		switch (d->cond[i].op) {
		case TS_SCAN_GT: n += v > x; break;
		case TS_SCAN_GE: n += v >= x; break;
		case TS_SCAN_LT: n += v < x; break;
		case TS_SCAN_LE: n += v <= x; break;
		}
	}
	return n;
}

int
ts_scan_btc_sym(const char *sym, char *buf, size_t n)
{
	const char *dash = strchr(sym, '-');
	size_t base = dash ? (size_t)(dash - sym) : 0;

	if (!dash || !dash[1] || (base == 3 && !memcmp(sym, "BTC", 3)))
		return -1;
	if ((size_t)snprintf(buf, n, "BTC%s", dash) >= n)
		return -1;
	return 0;
}

void
ts_scan_write(struct ts_jw *w, const struct ts_scan_calc *s, const struct ts_scan_conf *c)
{
	char key[48];

	ts_jw_ki64(w, "t", s->t);
	ts_jw_key(w, "close");
	ts_jw_double(w, s->close);
	ts_jw_key(w, "volume");
	ts_jw_double(w, s->volume);
	ts_jw_key(w, "metrics");
	ts_jw_obj(w);
	for (int k = 0; k < TS_SCAN_NMETRIC; k++) {
		ts_jw_key(w, ts_scan_metric_names[k]);
		ts_jw_double(w, s->m[k]);
	}
	ts_jw_obj_end(w);
	ts_jw_key(w, "delta");
	ts_jw_obj(w);
	for (int k = 0; k < TS_SCAN_NMETRIC; k++) {
		snprintf(key, sizeof key, "delta_%s", ts_scan_metric_names[k]);
		ts_jw_key(w, key);
		ts_jw_double(w, ts_scan_calc_delta(s, k));
	}
	ts_jw_obj_end(w);
	ts_jw_key(w, "flags");
	ts_jw_obj(w);
	for (int i = 0; i < c->nscans; i++) {
		ts_jw_key(w, c->scan[i].name);
		ts_jw_i64(w, ts_scan_flags(&c->scan[i], s->m));
	}
	ts_jw_obj_end(w);
	ts_jw_key(w, "scans");
	ts_jw_arr(w);
	for (int i = 0; i < c->nscans; i++)
		if (ts_scan_flags(&c->scan[i], s->m) >= c->scan[i].min)
			ts_jw_str(w, c->scan[i].name);
	ts_jw_arr_end(w);
}
