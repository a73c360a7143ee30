/* alert_rules.c: the alerts.conf format: words, rules, settings, atomic file writes */
#include "alert.h"
#include "log.h"
#include "path.h"
#include "tm.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jq.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_WORDS 64
#define MAX_KEEP 20000 /* candles one rule may need */

static const char *const kind_names[AK_COUNT] = {
	"price", "mid", "change", "cvd", "cvd-level", "ratio", "volatility",
	"volume", "imbalance", "spread", "jq",
};

const char *
alert_kind_name(enum alert_kind k)
{
	return (unsigned)k < AK_COUNT ? kind_names[k] : "?";
}

/* ---- paths and files ---------------------------------------------------- */

const char *
alert_default_rules_path(void)
{
	static char buf[PATH_MAX];
	return ts_xdg_path(TS_XDG_CONFIG, "alerts.conf", buf, sizeof buf) < 0 ? NULL : buf;
}

const char *
alert_default_state_path(void)
{
	static char buf[PATH_MAX];
	return ts_xdg_path(TS_XDG_STATE, "alerts.state", buf, sizeof buf) < 0 ? NULL : buf;
}

char *
alert_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		ts_xgrow((void **)&buf, &cap, n + 4096 + 1, 1);
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		free(buf);
		errno = e;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* ---- editing the rules file (ts-alert add/rm/enable/disable, ts-gateway) ---- */

/* The file's text; a missing file is empty. NULL with errno. */
static char *
rules_text(const char *path, size_t *len)
{
	char *t = alert_read_file(path, len);

	if (!t && errno == ENOENT) {
		*len = 0;
		return ts_xstrdup("");
	}
	return t;
}

int
alert_rules_file_add(const char *path, const struct alert_rule *r, int *line)
{
	struct alert_rules rs;
	struct alert_rule *old;
	char l[8192];
	size_t len, ll;
	char *text, *out;
	int rc;

	if (!(text = rules_text(path, &len)))
		return -1;
	alert_rules_parse(text, len, path, 0, &rs, NULL);
	if ((old = alert_rules_find(&rs, r->id))) {
		if (line)
			*line = old->line;
		alert_rules_free(&rs);
		free(text);
		return -2;
	}
	alert_rules_free(&rs);
	ll = alert_rule_format(r, l, sizeof l);
	out = ts_xmalloc(len + ll + 3);
	memcpy(out, text, len);
	if (len && text[len - 1] != '\n')
		out[len++] = '\n';
	memcpy(out + len, l, ll);
	out[len + ll] = '\n';
	rc = ts_write_atomic(path, out, len + ll + 1, 0600);
	free(out);
	free(text);
	return rc;
}

/* Write text with lines [from, to] (1-based) replaced by repl (NULL: deleted). */
static int
replace_lines(const char *path, const char *text, size_t len, int from, int to,
    const char *repl)
{
	char *out = ts_xmalloc(len + (repl ? strlen(repl) : 0) + 2);
	size_t o = 0;
	int line = 1, rc;

	for (const char *p = text; p < text + len;) {
		const char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(text + len - p);
		if (line < from || line > to) {
			memcpy(out + o, p, n);
			o += n;
		} else if (line == from && repl) {
			size_t rl = strlen(repl);
			memcpy(out + o, repl, rl);
			o += rl;
			out[o++] = '\n';
		}
		p += n;
		line++;
	}
	rc = ts_write_atomic(path, out, o, 0600);
	free(out);
	return rc;
}

int
alert_rules_file_edit(const char *path, const char *what, const char *id)
{
	struct alert_rules rs;
	struct alert_rule *r;
	char line[8192];
	size_t len;
	char *text = rules_text(path, &len);
	int rc = 0;

	if (!text)
		return -1;
	alert_rules_parse(text, len, path, 0, &rs, NULL);
	if (!(r = alert_rules_find(&rs, id))) {
		rc = -2;
	} else if (!strcmp(what, "rm")) {
		rc = replace_lines(path, text, len, r->line, r->end_line, NULL);
	} else {
		int en = !strcmp(what, "enable");
		if (r->enabled == en) {
			rc = 1;
		} else {
			r->enabled = en;
			alert_rule_format(r, line, sizeof line);
			rc = replace_lines(path, text, len, r->line, r->end_line, line);
		}
	}
	alert_rules_free(&rs);
	free(text);
	return rc;
}

/* ---- words -------------------------------------------------------------- */

int
alert_split(const char *line, char *buf, size_t bufsize, char **words,
    int maxwords, const char **why)
{
	const char *p = line;
	size_t o = 0;
	int n = 0;

	for (;;) {
		int in_word = 0;
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '#') {
			/* a comment ends its physical line, not the rule it continues */
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (!*p)
			break;
		if (n >= maxwords) {
			*why = "too many words";
			return -1;
		}
		if (o >= bufsize) {
			*why = "line too long";
			return -1;
		}
		words[n] = buf + o;
		while (*p && !(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
			if (*p == '\'') {
				const char *q = strchr(p + 1, '\'');
				if (!q) {
					*why = "unterminated ' quote";
					return -1;
				}
				for (p++; p < q; p++) {
					if (o + 1 >= bufsize)
						goto toolong;
					buf[o++] = *p == '\n' ? ' ' : *p; /* a quote across lines */
				}
				p++;
			} else if (*p == '"') {
				for (p++; *p && *p != '"'; p++) {
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					if (o + 1 >= bufsize)
						goto toolong;
					buf[o++] = *p == '\n' ? ' ' : *p;
				}
				if (*p != '"') {
					*why = "unterminated \" quote";
					return -1;
				}
				p++;
			} else {
				if (o + 1 >= bufsize)
					goto toolong;
				buf[o++] = *p++;
			}
			in_word = 1;
		}
		(void)in_word;
		buf[o++] = '\0';
		n++;
	}
	return n;
toolong:
	*why = "line too long";
	return -1;
}

/* Append word w to buf, quoted when the file format needs it. */
static void
put_word(char *buf, size_t n, size_t *o, const char *w)
{
	int plain = *w != '\0';

	for (const char *p = w; *p; p++)
		if (isspace((unsigned char)*p) || *p == '\'' || *p == '"' || *p == '#' ||
		    *p == '\\')
			plain = 0;
	if (*o && *o + 1 < n)
		buf[(*o)++] = ' ';
	if (plain) {
		*o += (size_t)snprintf(buf + *o, *o < n ? n - *o : 0, "%s", w);
	} else if (!strchr(w, '\'')) {
		*o += (size_t)snprintf(buf + *o, *o < n ? n - *o : 0, "'%s'", w);
	} else {
		if (*o + 1 < n)
			buf[(*o)++] = '"';
		for (const char *p = w; *p && *o + 2 < n; p++) {
			if (*p == '"' || *p == '\\')
				buf[(*o)++] = '\\';
			buf[(*o)++] = *p;
		}
		if (*o + 1 < n)
			buf[(*o)++] = '"';
	}
	if (*o >= n)
		*o = n ? n - 1 : 0;
	if (n)
		buf[*o] = '\0';
}

/* ---- numbers ------------------------------------------------------------ */

/* A number with an optional unit suffix from `units` ("%", "bps", "x");
 * *unit says whether it was there. */
static int
num_unit(const char *s, const char *unit, double *v, int *had_unit)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (end == s || errno || !isfinite(*v) || isalpha((unsigned char)*s))
		return -1;
	if (had_unit)
		*had_unit = 0;
	if (!*end)
		return 0;
	if (unit && !strcmp(end, unit)) {
		if (had_unit)
			*had_unit = 1;
		return 0;
	}
	return -1;
}

static int
parse_op(const char *s, enum alert_op *op)
{
	if (!strcmp(s, ">") || !strcmp(s, "above")) *op = OP_GT;
	else if (!strcmp(s, ">=")) *op = OP_GE;
	else if (!strcmp(s, "<") || !strcmp(s, "below")) *op = OP_LT;
	else if (!strcmp(s, "<=")) *op = OP_LE;
	else return -1;
	return 0;
}

/* The default candle timeframe of a window: 1m, or 1s for windows that are
 * not whole minutes, or 1h for windows longer than a day (alerts.conf(5)). */
static const char *
auto_tf(int64_t window)
{
	int64_t m = 60 * TS_US_PER_SEC, h = 60 * m;

	if (window % m)
		return window % TS_US_PER_SEC ? NULL : "1s";
	if (window > 24 * h && window % h == 0)
		return "1h";
	return "1m";
}

static int
is_option(const char *w)
{
	return !strcmp(w, "cooldown") || !strcmp(w, "notify") || !strcmp(w, "tf") ||
	    !strcmp(w, "disabled") || !strcmp(w, "enabled");
}

/* ---- targets ------------------------------------------------------------ */

int
alert_target_valid(const char *t, const char **why)
{
	static const char *const url_kinds[] = { "webhook:", "discord:", "slack:", "ntfy:" };

	for (size_t i = 0; i < sizeof url_kinds / sizeof *url_kinds; i++) {
		size_t k = strlen(url_kinds[i]);
		if (strncmp(t, url_kinds[i], k))
			continue;
		if (strncmp(t + k, "http://", 7) && strncmp(t + k, "https://", 8) &&
		    strncmp(t + k, "${", 2)) {
			*why = "expected an http:// or https:// URL (or ${VAR})";
			return -1;
		}
		return 0;
	}
	if (!strncmp(t, "command:", 8)) {
		if (!t[8]) {
			*why = "empty command";
			return -1;
		}
		return 0;
	}
	if (!strncmp(t, "mail:", 5)) {
		const char *at = strchr(t + 5, '@');
		if (!at || at == t + 5 || !at[1] || strpbrk(t + 5, " <>\r\n,")) {
			*why = "expected mail:USER@HOST";
			return -1;
		}
		return 0;
	}
	*why = "unknown target (command:, webhook:, discord:, slack:, ntfy:, mail:)";
	return -1;
}

/* ---- one rule ----------------------------------------------------------- */

void
alert_rule_free(struct alert_rule *r)
{
	jq_state *jq = r->jq;

	if (jq)
		jq_teardown(&jq);
	r->jq = NULL;
	free(r->jq_text);
	r->jq_text = NULL;
	for (int i = 0; i < r->nnotify; i++)
		free(r->notify[i]);
	r->nnotify = 0;
}

struct jq_err {
	char *buf;
	size_t n;
};

static void
jq_err_cb(void *arg, jv msg)
{
	struct jq_err *e = arg;

	if (jv_get_kind(msg) == JV_KIND_STRING && e->buf[0] == '\0')
		snprintf(e->buf, e->n, "%s", jv_string_value(msg));
	jv_free(msg);
}

static int
compile_jq(struct alert_rule *r, char *err, size_t errlen)
{
	char msg[300] = "";
	struct jq_err e = { msg, sizeof msg };
	jq_state *jq = jq_init();

	if (!jq) {
		snprintf(err, errlen, "cannot initialise jq");
		return -1;
	}
	jq_set_error_cb(jq, jq_err_cb, &e);
	if (!jq_compile(jq, r->jq_text)) {
		char *nl, *m = msg;
		size_t ml;
		while ((nl = strchr(msg, '\n')))
			*nl = ' ';
		ml = strlen(msg);
		while (ml > 0 && msg[ml - 1] == ' ')
			msg[--ml] = '\0';
		if (!strncmp(m, "jq: error: ", 11))
			m += 11;
		snprintf(err, errlen, "jq expression does not compile: %s",
		    m[0] ? m : "syntax error");
		jq_teardown(&jq);
		return -1;
	}
	jq_set_error_cb(jq, NULL, NULL);
	r->jq = jq;
	return 0;
}

static size_t
fmt_dur(int64_t us, char *buf, size_t n)
{
	static const struct { int64_t us; const char *u; } units[] = {
		{ INT64_C(604800000000), "w" }, { INT64_C(86400000000), "d" },
		{ INT64_C(3600000000), "h" }, { INT64_C(60000000), "m" },
		{ INT64_C(1000000), "s" }, { INT64_C(1000), "ms" },
	};
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (us && us % units[i].us == 0)
			return (size_t)snprintf(buf, n, "%lld%s",
			    (long long)(us / units[i].us), units[i].u);
	return (size_t)snprintf(buf, n, "%lldus", (long long)us);
}

static int
need_candles(struct alert_rule *r, const char *tf_opt, int64_t keep_windows,
    char *err, size_t errlen)
{
	const char *tf = tf_opt;

	if (!tf)
		tf = r->kind == AK_CVD_LEVEL ? "1m" : auto_tf(r->window_us);
	if (!tf) {
		snprintf(err, errlen, "no timeframe divides the window; add 'tf TF'");
		return -1;
	}
	if ((r->tf_us = ts_tf_us(tf)) < 0) {
		snprintf(err, errlen, "unknown timeframe '%s'", tf);
		return -1;
	}
	snprintf(r->tf, sizeof r->tf, "%s", tf);
	if (r->kind != AK_CVD_LEVEL && r->kind != AK_VOLATILITY &&
	    (r->window_us % r->tf_us || r->window_us < r->tf_us)) {
		snprintf(err, errlen, "window is not a multiple of the %s timeframe", tf);
		return -1;
	}
	if (r->kind != AK_VOLATILITY && r->kind != AK_CVD_LEVEL &&
	    r->window_us / r->tf_us * keep_windows > MAX_KEEP) {
		snprintf(err, errlen, "window needs more than %d %s candles; use a larger 'tf'",
		    MAX_KEEP, tf);
		return -1;
	}
	return 0;
}

/* Parse the condition words c[0..nc) into r. */
static int
parse_cond(struct alert_rule *r, char **c, int nc, const char *tf_opt,
    int compile, char *err, size_t errlen)
{
	const char *k = nc ? c[0] : "";
	int unit;

#define WANT(cnt, form) do { if (nc != (cnt)) { \
	snprintf(err, errlen, "expected '%s'", form); return -1; } } while (0)
	if (!strcmp(k, "price") || !strcmp(k, "mid")) {
		const char *form = !strcmp(k, "price") ? "price crosses above|below LEVEL" :
		    "mid crosses above|below LEVEL";
		WANT(4, form);
		r->kind = k[0] == 'p' ? AK_PRICE_CROSS : AK_MID_CROSS;
		if (strcmp(c[1], "crosses") ||
		    (strcmp(c[2], "above") && strcmp(c[2], "below"))) {
			snprintf(err, errlen, "expected '%s'", form);
			return -1;
		}
		r->op = c[2][0] == 'a' ? OP_ABOVE : OP_BELOW;
		if (ts_dec_parse_str(c[3], &r->level) < 0 || ts_dec_sign(r->level) <= 0) {
			snprintf(err, errlen, "bad price level '%s'", c[3]);
			return -1;
		}
		r->threshold = ts_dec_to_double(r->level);
		snprintf(r->topic, sizeof r->topic, "%s/%s/%s",
		    r->kind == AK_PRICE_CROSS ? "trades" : "book", r->ex, r->sym);
		return 0;
	}
	if (!strcmp(k, "change")) {
		WANT(5, "change OP X% over DURATION");
		r->kind = AK_CHANGE;
		if (parse_op(c[1], &r->op) < 0 || num_unit(c[2], "%", &r->threshold, &unit) < 0 ||
		    strcmp(c[3], "over")) {
			snprintf(err, errlen, "expected 'change OP X%% over DURATION'");
			return -1;
		}
		if (ts_duration_parse(c[4], &r->window_us) < 0 || r->window_us <= 0) {
			snprintf(err, errlen, "bad duration '%s'", c[4]);
			return -1;
		}
		return need_candles(r, tf_opt, 1, err, errlen);
	}
	if (!strcmp(k, "cvd") || !strcmp(k, "ratio")) {
		int ratio = k[0] == 'r';
		if (!ratio && nc == 4 && !strcmp(c[1], "level")) {
			r->kind = AK_CVD_LEVEL;
			if (parse_op(c[2], &r->op) < 0 || num_unit(c[3], NULL, &r->threshold, NULL) < 0) {
				snprintf(err, errlen, "expected 'cvd level OP X'");
				return -1;
			}
			return need_candles(r, tf_opt, 1, err, errlen);
		}
		WANT(5, ratio ? "ratio over DURATION OP X" : "cvd over DURATION OP X");
		r->kind = ratio ? AK_RATIO : AK_CVD;
		if (strcmp(c[1], "over") || parse_op(c[3], &r->op) < 0 ||
		    num_unit(c[4], NULL, &r->threshold, NULL) < 0) {
			snprintf(err, errlen, "expected '%s over DURATION OP X'", k);
			return -1;
		}
		if (ts_duration_parse(c[2], &r->window_us) < 0 || r->window_us <= 0) {
			snprintf(err, errlen, "bad duration '%s'", c[2]);
			return -1;
		}
		if (ratio && r->threshold <= 0) {
			snprintf(err, errlen, "a buy/sell ratio is above 0");
			return -1;
		}
		return need_candles(r, tf_opt, 1, err, errlen);
	}
	if (!strcmp(k, "volatility")) {
		char *end;
		long n;
		WANT(5, "volatility N TF OP X%");
		r->kind = AK_VOLATILITY;
		n = strtol(c[1], &end, 10);
		if (*end || n < 2 || n > MAX_KEEP - 2) {
			snprintf(err, errlen, "bad candle count '%s' (2 to %d)", c[1], MAX_KEEP - 2);
			return -1;
		}
		r->n = (int)n;
		if (ts_tf_us(c[2]) < 0) {
			snprintf(err, errlen, "unknown timeframe '%s'", c[2]);
			return -1;
		}
		if (parse_op(c[3], &r->op) < 0 || num_unit(c[4], "%", &r->threshold, NULL) < 0) {
			snprintf(err, errlen, "expected 'volatility N TF OP X%%'");
			return -1;
		}
		if (tf_opt && strcmp(tf_opt, c[2])) {
			snprintf(err, errlen, "'tf %s' disagrees with the condition's '%s'", tf_opt, c[2]);
			return -1;
		}
		r->window_us = ts_tf_us(c[2]) * (n + 1);
		return need_candles(r, c[2], 1, err, errlen);
	}
	if (!strcmp(k, "volume")) {
		char *end;
		long n;
		WANT(6, "volume DURATION OP Fx avg N");
		r->kind = AK_VOLUME;
		if (ts_duration_parse(c[1], &r->window_us) < 0 || r->window_us <= 0) {
			snprintf(err, errlen, "bad duration '%s'", c[1]);
			return -1;
		}
		if (parse_op(c[2], &r->op) < 0 || num_unit(c[3], "x", &r->threshold, NULL) < 0 ||
		    strcmp(c[4], "avg")) {
			snprintf(err, errlen, "expected 'volume DURATION OP Fx avg N'");
			return -1;
		}
		n = strtol(c[5], &end, 10);
		if (*end || n < 1 || n > 1000) {
			snprintf(err, errlen, "bad window count '%s' (1 to 1000)", c[5]);
			return -1;
		}
		r->n = (int)n;
		return need_candles(r, tf_opt, n + 1, err, errlen);
	}
	if (!strcmp(k, "imbalance")) {
		WANT(5, "imbalance within B% OP X");
		r->kind = AK_IMBALANCE;
		if (strcmp(c[1], "within") || num_unit(c[2], "%", &r->band, NULL) < 0 ||
		    r->band <= 0 || r->band >= 100 || parse_op(c[3], &r->op) < 0 ||
		    num_unit(c[4], NULL, &r->threshold, NULL) < 0 ||
		    r->threshold < -1 || r->threshold > 1) {
			snprintf(err, errlen, "expected 'imbalance within B%% OP X' (0 < B < 100, "
			    "-1 <= X <= 1)");
			return -1;
		}
		r->band /= 100;
		snprintf(r->topic, sizeof r->topic, "book/%s/%s", r->ex, r->sym);
		return 0;
	}
	if (!strcmp(k, "spread")) {
		WANT(3, "spread OP Xbps");
		r->kind = AK_SPREAD;
		if (parse_op(c[1], &r->op) < 0 || num_unit(c[2], "bps", &r->threshold, NULL) < 0 ||
		    r->threshold < 0) {
			snprintf(err, errlen, "expected 'spread OP Xbps'");
			return -1;
		}
		snprintf(r->topic, sizeof r->topic, "book/%s/%s", r->ex, r->sym);
		return 0;
	}
	if (!strcmp(k, "jq")) {
		const char *t = nc > 1 ? c[1] : "", *why;
		WANT(3, "jq TOPIC 'EXPRESSION'");
		r->kind = AK_JQ;
		if (!strcmp(t, "trades") || !strcmp(t, "book")) {
			snprintf(r->topic, sizeof r->topic, "%s/%s/%s", t, r->ex, r->sym);
		} else if (!strncmp(t, "candles/", 8) && !strchr(t + 8, '/')) {
			if (ts_tf_us(t + 8) < 0) {
				snprintf(err, errlen, "unknown timeframe '%s'", t + 8);
				return -1;
			}
			snprintf(r->topic, sizeof r->topic, "candles/%s/%s/%s", r->ex, r->sym, t + 8);
		} else if (ts_topic_parse(t, NULL, &why) == 0) {
			snprintf(r->topic, sizeof r->topic, "%s", t);
		} else {
			snprintf(err, errlen, "bad topic '%s' (trades, book, candles/TF or a "
			    "full topic)", t);
			return -1;
		}
		r->jq_text = ts_xstrdup(c[2]);
		if (compile && compile_jq(r, err, errlen) < 0)
			return -1;
		return 0;
	}
	snprintf(err, errlen, "unknown condition '%s' (price, mid, change, cvd, ratio, "
	    "volatility, volume, imbalance, spread, jq)", k);
	return -1;
#undef WANT
}

static int
parse_words(char **w, int n, int compile, struct alert_rule *r, char *err, size_t errlen)
{
	const char *colon, *tf_opt = NULL;
	int nc, i;
	size_t o = 0;

	memset(r, 0, sizeof *r);
	r->cooldown_us = -1;
	r->enabled = 1;
	r->st = -1;
	if (n < 3) {
		snprintf(err, errlen, "expected 'ID EXCHANGE:SYMBOL CONDITION [OPTIONS]'");
		return -1;
	}
	if (strlen(w[0]) >= sizeof r->id || strspn(w[0], "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(w[0])) {
		snprintf(err, errlen, "bad rule id '%s' (letters, digits, '.', '_', '-'; "
		    "at most %zu)", w[0], sizeof r->id - 1);
		return -1;
	}
	snprintf(r->id, sizeof r->id, "%s", w[0]);
	colon = strchr(w[1], ':');
	if (!colon || (size_t)(colon - w[1]) >= sizeof r->ex ||
	    strlen(colon + 1) >= sizeof r->sym) {
		snprintf(err, errlen, "bad market '%s' (expected EXCHANGE:BASE-QUOTE)", w[1]);
		return -1;
	}
	memcpy(r->ex, w[1], (size_t)(colon - w[1]));
	r->ex[colon - w[1]] = '\0';
	snprintf(r->sym, sizeof r->sym, "%s", colon + 1);
	if (!ts_ex_valid(r->ex) || !ts_sym_valid(r->sym)) {
		snprintf(err, errlen, "bad market '%s' (expected EXCHANGE:BASE-QUOTE, e.g. "
		    "coinbase:BTC-USD)", w[1]);
		return -1;
	}
	for (nc = 2; nc < n && !is_option(w[nc]); nc++)
		;
	for (i = nc; i < n; i++) {
		const char *why;
		if (!strcmp(w[i], "disabled")) {
			r->enabled = 0;
		} else if (!strcmp(w[i], "enabled")) {
			r->enabled = 1;
		} else if (i + 1 >= n) {
			snprintf(err, errlen, "'%s' needs a value", w[i]);
			goto fail;
		} else if (!strcmp(w[i], "cooldown")) {
			if (ts_duration_parse(w[++i], &r->cooldown_us) < 0 || r->cooldown_us < 0) {
				snprintf(err, errlen, "bad cooldown '%s'", w[i]);
				goto fail;
			}
		} else if (!strcmp(w[i], "tf")) {
			tf_opt = w[++i];
			if (ts_tf_us(tf_opt) < 0) {
				snprintf(err, errlen, "unknown timeframe '%s'", tf_opt);
				goto fail;
			}
		} else if (!strcmp(w[i], "notify")) {
			if (alert_target_valid(w[++i], &why) < 0) {
				snprintf(err, errlen, "bad notify target '%s': %s", w[i], why);
				goto fail;
			}
			if (r->nnotify >= ALERT_MAX_NOTIFY) {
				snprintf(err, errlen, "more than %d notify targets", ALERT_MAX_NOTIFY);
				goto fail;
			}
			r->notify[r->nnotify++] = ts_xstrdup(w[i]);
		} else {
			snprintf(err, errlen, "unknown option '%s' (cooldown, notify, tf, "
			    "enabled, disabled)", w[i]);
			goto fail;
		}
	}
	if (parse_cond(r, w + 2, nc - 2, tf_opt, compile, err, errlen) < 0)
		goto fail;
	if (tf_opt && (r->kind == AK_PRICE_CROSS || r->kind == AK_MID_CROSS ||
	    r->kind == AK_IMBALANCE || r->kind == AK_SPREAD || r->kind == AK_JQ)) {
		snprintf(err, errlen, "'tf' applies to candle conditions only");
		goto fail;
	}
	if (r->tf[0])
		snprintf(r->topic, sizeof r->topic, "candles/%s/%s/%s", r->ex, r->sym, r->tf);
	for (i = 2; i < nc; i++)
		put_word(r->cond, sizeof r->cond, &o, w[i]);
	{
		char key[ALERT_COND_MAX + 128];
		int kl = snprintf(key, sizeof key, "%s:%s %s %s", r->ex, r->sym, r->cond, r->tf);
		r->hash = ts_hash(key, (size_t)kl < sizeof key ? (size_t)kl : sizeof key - 1);
	}
	return 0;
fail:
	alert_rule_free(r);
	return -1;
}

int
alert_rule_from_words(char **w, int n, const char *file, int compile_jq,
    struct alert_rule *out, char *err, size_t errlen)
{
	(void)file;
	return parse_words(w, n, compile_jq, out, err, errlen);
}

size_t
alert_rule_format(const struct alert_rule *r, char *buf, size_t n)
{
	char market[96], d[32];
	size_t o = 0;

	if (n)
		buf[0] = '\0';
	put_word(buf, n, &o, r->id);
	snprintf(market, sizeof market, "%s:%s", r->ex, r->sym);
	put_word(buf, n, &o, market);
	if (o + 1 < n)
		o += (size_t)snprintf(buf + o, n - o, " %s", r->cond);
	if (o >= n)
		o = n ? n - 1 : 0;
	if (r->tf[0] && r->kind != AK_VOLATILITY) {
		put_word(buf, n, &o, "tf");
		put_word(buf, n, &o, r->tf);
	}
	if (r->cooldown_us >= 0) {
		fmt_dur(r->cooldown_us, d, sizeof d);
		put_word(buf, n, &o, "cooldown");
		put_word(buf, n, &o, r->cooldown_us ? d : "0");
	}
	for (int i = 0; i < r->nnotify; i++) {
		put_word(buf, n, &o, "notify");
		put_word(buf, n, &o, r->notify[i]);
	}
	if (!r->enabled)
		put_word(buf, n, &o, "disabled");
	return o;
}

/* ---- files -------------------------------------------------------------- */

static void
perr(FILE *f, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (!f)
		return;
	fprintf(f, "%s: %s:%d: ", ts_log_prog() ? ts_log_prog() : "ts-alert", file, line);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

static int
parse_set(struct alert_settings *s, char **w, int n, char *err, size_t errlen)
{
	char **dst = NULL;
	const char *why;

	if (n != 3) {
		snprintf(err, errlen, "expected 'set NAME VALUE'");
		return -1;
	}
	if (!strcmp(w[1], "cooldown")) {
		if (ts_duration_parse(w[2], &s->cooldown_us) < 0 || s->cooldown_us < 0) {
			snprintf(err, errlen, "bad cooldown '%s'", w[2]);
			return -1;
		}
		return 0;
	}
	if (!strcmp(w[1], "notify")) {
		if (alert_target_valid(w[2], &why) < 0) {
			snprintf(err, errlen, "bad notify target '%s': %s", w[2], why);
			return -1;
		}
		if (s->nnotify >= ALERT_MAX_NOTIFY) {
			snprintf(err, errlen, "more than %d notify targets", ALERT_MAX_NOTIFY);
			return -1;
		}
		s->notify[s->nnotify++] = ts_xstrdup(w[2]);
		return 0;
	}
	if (!strcmp(w[1], "smtp")) {
		if (strncmp(w[2], "smtp://", 7) && strncmp(w[2], "smtps://", 8)) {
			snprintf(err, errlen, "expected an smtp:// or smtps:// URL");
			return -1;
		}
		dst = &s->smtp_url;
	} else if (!strcmp(w[1], "smtp-from")) {
		if (!strchr(w[2], '@') || strpbrk(w[2], " <>\r\n")) {
			snprintf(err, errlen, "bad address '%s'", w[2]);
			return -1;
		}
		dst = &s->smtp_from;
	} else if (!strcmp(w[1], "smtp-user")) {
		dst = &s->smtp_user;
	} else if (!strcmp(w[1], "smtp-tls")) {
		if (strcmp(w[2], "starttls") && strcmp(w[2], "none")) {
			snprintf(err, errlen, "smtp-tls is 'starttls' or 'none'");
			return -1;
		}
		dst = &s->smtp_tls;
	} else if (!strcmp(w[1], "smtp-cacert")) {
		dst = &s->smtp_cacert;
	} else {
		snprintf(err, errlen, "unknown setting '%s' (cooldown, notify, smtp, smtp-from, "
		    "smtp-user, smtp-tls, smtp-cacert)", w[1]);
		return -1;
	}
	free(*dst);
	*dst = ts_xstrdup(w[2]);
	return 0;
}

static void
add_rule(struct alert_rules *rs, const struct alert_rule *r)
{
	ts_xgrow((void **)&rs->r, &rs->cap, rs->n + 1, sizeof *rs->r);
	rs->r[rs->n++] = *r;
}

int
alert_rules_parse(const char *text, size_t len, const char *file,
    int compile_jq, struct alert_rules *out, FILE *errf)
{
	const char *p = text, *end = text + len;
	char *logical = NULL;
	size_t lcap = 0, llen = 0;
	int lineno = 0, start = 0, last = 0;

	memset(out, 0, sizeof *out);
	out->set.cooldown_us = 60 * TS_US_PER_SEC;
	/* Join continuation lines (indented) to the rule above; then split. */
	for (;;) {
		const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		const char *le = nl ? nl : end;
		int at_end = p >= end;
		int cont = 0, blank = 1;

		if (!at_end) {
			lineno++;
			for (const char *q = p; q < le; q++) {
				if (*q == '#')
					break;
				if (!isspace((unsigned char)*q)) {
					blank = 0;
					break;
				}
			}
			cont = !blank && (*p == ' ' || *p == '\t') && llen > 0;
		}
		if (!at_end && blank) {
			p = nl ? nl + 1 : end;
			continue;
		}
		if (!at_end && cont) {
			ts_xgrow((void **)&logical, &lcap, llen + (size_t)(le - p) + 2, 1);
			logical[llen++] = '\n'; /* keeps a comment on the line above to its line */
			memcpy(logical + llen, p, (size_t)(le - p));
			llen += (size_t)(le - p);
			logical[llen] = '\0';
			last = lineno;
			p = nl ? nl + 1 : end;
			continue;
		}
		/* a new logical line starts (or the text ends): finish the last */
		if (llen > 0) {
			char buf[8192], err[400];
			char *w[MAX_WORDS];
			const char *why;
			int n = alert_split(logical, buf, sizeof buf, w, MAX_WORDS, &why);
			struct alert_rule r;

			if (n < 0) {
				perr(errf, file, start, "%s", why);
				out->errors++;
			} else if (n > 0 && !strcmp(w[0], "set")) {
				if (parse_set(&out->set, w, n, err, sizeof err) < 0) {
					perr(errf, file, start, "%s", err);
					out->errors++;
				}
			} else if (n > 0) {
				if (parse_words(w, n, compile_jq, &r, err, sizeof err) < 0) {
					perr(errf, file, start, "rule '%s': %s", w[0], err);
					out->errors++;
				} else if (alert_rules_find(out, r.id)) {
					perr(errf, file, start, "rule '%s': duplicate id (first on line %d)",
					    r.id, alert_rules_find(out, r.id)->line);
					alert_rule_free(&r);
					out->errors++;
				} else {
					r.line = start;
					r.end_line = last;
					add_rule(out, &r);
				}
			}
			llen = 0;
		}
		if (at_end)
			break;
		if (*p == ' ' || *p == '\t') {
			/* an indented line with nothing above it */
			perr(errf, file, lineno, "continuation line without a rule above it");
			out->errors++;
			p = nl ? nl + 1 : end;
			continue;
		}
		start = last = lineno;
		ts_xgrow((void **)&logical, &lcap, (size_t)(le - p) + 1, 1);
		memcpy(logical, p, (size_t)(le - p));
		llen = (size_t)(le - p);
		logical[llen] = '\0';
		p = nl ? nl + 1 : end;
	}
	free(logical);
	return 0;
}

int
alert_rules_load(const char *path, int compile_jq, struct alert_rules *out, FILE *errf)
{
	size_t len;
	char *text = alert_read_file(path, &len);

	if (!text) {
		if (errno == ENOENT) {
			alert_rules_parse("", 0, path, compile_jq, out, errf);
			return 0;
		}
		memset(out, 0, sizeof *out);
		return -1;
	}
	alert_rules_parse(text, len, path, compile_jq, out, errf);
	free(text);
	return 0;
}

struct alert_rule *
alert_rules_find(struct alert_rules *rs, const char *id)
{
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->r[i].id, id))
			return &rs->r[i];
	return NULL;
}

void
alert_rules_free(struct alert_rules *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		alert_rule_free(&rs->r[i]);
	free(rs->r);
	for (int i = 0; i < rs->set.nnotify; i++)
		free(rs->set.notify[i]);
	free(rs->set.smtp_url);
	free(rs->set.smtp_from);
	free(rs->set.smtp_user);
	free(rs->set.smtp_tls);
	free(rs->set.smtp_cacert);
	memset(rs, 0, sizeof *rs);
}
