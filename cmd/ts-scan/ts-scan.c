/* ts-scan: the scanner's metrics and scans on every candle close, a ranked one-shot run, and explain */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bus.h"
#include "candle.h"
#include "explain.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "map.h"
#include "msg.h"
#include "scan.h"
#include "tm.h"
#include "topic.h"

static const char usage[] =
"usage: ts-scan [-B ENDPOINT] [-f FILE] [-t TF,...] [--insecure] [MARKET...]\n"
"       ts-scan run [-B ENDPOINT] [-f FILE] [-t TF,...] [-w DURATION] [-i FILE] [--top N] [--json] [MARKET...]\n"
"       ts-scan explain [-B ENDPOINT] [-w DURATION] [-i FILE] [--lookback N] MARKET TF\n"
"       ts-scan check FILE\n"
"\n"
"The scanner of the original TradeSuite, incrementally: on every closed\n"
"candle of a market (EXCHANGE/SYMBOL, e.g. coinbase/BTC-USD) it updates\n"
"RSI, zscore, %B, ATRstretch, VWAPgap, VWAPgap_daily, BTC_rel_zscore,\n"
"VolumeZScore, RVOL, BBW, ADX14 and MACD in constant time, evaluates the\n"
"scans of scans.conf(5) and publishes scan/EXCHANGE/SYMBOL/TF with the\n"
"metrics, their deltas and the scans passed. It subscribes to the candles\n"
"(whose history batch seeds the metrics at once) of the markets given, of\n"
"the config's watchlist, and of every scan topic someone subscribes to.\n"
"\n"
"run computes the metrics once from the candles' history and prints, for\n"
"each scan, the markets that pass it ranked by conditions met (--json: one\n"
"object). explain prints the facts of a market's recent candles and a text\n"
"drawn from them, as JSON.\n"
"\n"
"  -B ENDPOINT        bus directory, ipc://DIR or tcp://HOST:PORT\n"
"  -f, --scans FILE   scans and watchlist (default\n"
"                     $XDG_CONFIG_HOME/tradesuite/scans.conf; none: the\n"
"                     original's seven scans)\n"
"  -t, --timeframes TF,...  timeframes of the markets given (default: the\n"
"                     config's, else 1h)\n"
"  -w, --wait DURATION  run, explain: how long to wait for history (default 10s)\n"
"  -i, --input FILE   run, explain: read candle JSON lines (ts-candle --stdin,\n"
"                     plain or TOPIC<tab>JSON) from FILE ('-': stdin), not the bus\n"
"      --top N        run: markets shown a scan (default 20)\n"
"      --json         run: one JSON object\n"
"  -n, --lookback N   explain: candles in the window (default 100)\n"
"      --insecure     allow a tcp bus on a non-loopback address\n"
"  -V, --version      print the version\n"
"  -h, --help         show this help\n"
"\n"
"Exit status: 0 success (stopped by SIGINT/SIGTERM); 100 usage error, or\n"
"check found errors; 111 system error, or run/explain got no candles in\n"
"time for some market.\n";

#define DEFAULT_WAIT_US (10 * TS_US_PER_SEC)
/* How long a close waits for BTC's close of the same candle. */
#define BTC_WAIT_US (1500 * INT64_C(1000))
#define RECENT 64 /* closes kept for BTC ratios */

struct opts {
	const char *bus, *scans, *input, *tfs;
	int insecure, json, top;
	int64_t wait_us;
	size_t lookback;
};

/* One market at one timeframe. */
struct mtf {
	char ex[48], sym[48];
	int tf;
	char key[TS_TOPIC_MAX];     /* EX/SYM/TF */
	char ctopic[TS_TOPIC_MAX];  /* candles/EX/SYM/TF */
	char stopic[TS_TOPIC_MAX];  /* scan/EX/SYM/TF */
	struct ts_scan_calc calc;
	int seeded;    /* history (or a first close) is in */
	int wanted;    /* watchlist, command line, scan subscribers */
	int deps;      /* markets whose BTC this is */
	struct mtf *btc;
	int ratio_missing; /* a close pushed without BTC's, which may still come */
	int64_t rt[RECENT];
	double rc[RECENT];
	size_t nrecent;
	struct ts_ind_bar pending; /* a close waiting for BTC's */
	int has_pending;
	int64_t pending_since;
	struct ts_ind_bar *bars;   /* explain: every closed candle */
	size_t nbars, capbars;
};

struct app {
	struct opts *o;
	struct ts_scan_conf conf;
	struct ts_bus_ep ep;
	struct ts_loop *l;
	void *sub;
	struct ts_pub pub;
	struct ts_jw w;
	struct ts_map mtfs;  /* key -> struct mtf */
	int live, keep_bars;
	int accept_all; /* run -i with no market given: every market of the input */
	uint64_t closes, published, bad;
	struct ts_ratelimit bad_rl;
};

/* ---- markets --------------------------------------------------------------- */

static int
tf_index(const char *s)
{
	for (int i = 0; i < TS_TF_COUNT; i++)
		if (!strcmp(s, ts_tf_names[i]))
			return i;
	return -1;
}

/* Split "EX/SYM" into ex and sym. Returns 0 or -1. */
static int
split_market(const char *m, char *ex, size_t exn, char *sym, size_t symn)
{
	const char *slash = strchr(m, '/');

	if (!slash || (size_t)(slash - m) >= exn || strlen(slash + 1) >= symn)
		return -1;
	memcpy(ex, m, (size_t)(slash - m));
	ex[slash - m] = '\0';
	strcpy(sym, slash + 1);
	return ts_ex_valid(ex) && ts_sym_valid(sym) ? 0 : -1;
}

static struct mtf *
mtf_find(struct app *a, const char *ex, const char *sym, int tf)
{
	char key[TS_TOPIC_MAX];
	struct ts_map_entry *e;

	snprintf(key, sizeof key, "%s/%s/%s", ex, sym, ts_tf_names[tf]);
	e = ts_map_get(&a->mtfs, key);
	return e ? e->v.p : NULL;
}

/* The market-timeframe, created and subscribed to when new (with its BTC
 * as a dependency). */
static struct mtf *
mtf_get(struct app *a, const char *ex, const char *sym, int tf)
{
	struct mtf *m = mtf_find(a, ex, sym, tf);
	char btc[48];

	if (m)
		return m;
	m = ts_xcalloc(1, sizeof *m);
	snprintf(m->ex, sizeof m->ex, "%s", ex);
	snprintf(m->sym, sizeof m->sym, "%s", sym);
	m->tf = tf;
	snprintf(m->key, sizeof m->key, "%s/%s/%s", ex, sym, ts_tf_names[tf]);
	ts_topic_build(m->ctopic, sizeof m->ctopic, "candles", ex, sym, ts_tf_names[tf]);
	ts_topic_build(m->stopic, sizeof m->stopic, "scan", ex, sym, ts_tf_names[tf]);
	ts_scan_calc_init(&m->calc, a->conf.anchor_us);
	ts_map_put(&a->mtfs, m->key, NULL)->v.p = m;
	if (a->sub) {
		ts_bus_subscribe(a->sub, m->ctopic);
		ts_debug("subscribed to '%s'", m->ctopic);
	}
	if (!ts_scan_btc_sym(sym, btc, sizeof btc) && ts_sym_valid(btc)) {
		m->btc = mtf_get(a, ex, btc, tf);
		m->btc->deps++;
	}
	return m;
}

static void
mtf_release(struct app *a, struct mtf *m)
{
	struct mtf *btc;

	if (m->wanted > 0 || m->deps > 0)
		return;
	btc = m->btc;
	if (a->sub)
		ts_bus_unsubscribe(a->sub, m->ctopic);
	ts_debug("dropped '%s'", m->key);
	ts_map_del(&a->mtfs, m->key);
	ts_scan_calc_free(&m->calc);
	free(m->bars);
	free(m);
	if (btc) {
		btc->deps--;
		mtf_release(a, btc);
	}
}

/* BTC's close at open time t, NaN when it has none (yet). */
static double
recent_close(const struct mtf *m, int64_t t)
{
	size_t n = m->nrecent < RECENT ? m->nrecent : RECENT;

	for (size_t k = 0; k < n; k++) {
		size_t i = (m->nrecent - 1 - k) % RECENT;
		if (m->rt[i] == t)
			return m->rc[i];
		if (m->rt[i] < t)
			break;
	}
	return NAN;
}

/* ---- publishing -------------------------------------------------------------- */

static void
write_scan(struct app *a, const struct mtf *m)
{
	ts_jw_reset(&a->w);
	ts_jw_obj(&a->w);
	ts_jw_kstr(&a->w, "ex", m->ex);
	ts_jw_kstr(&a->w, "sym", m->sym);
	ts_jw_kstr(&a->w, "tf", ts_tf_names[m->tf]);
	ts_scan_write(&a->w, &m->calc, &a->conf);
	ts_jw_obj_end(&a->w);
}

static void
publish(struct app *a, struct mtf *m)
{
	static struct ts_ratelimit rl = TS_RATELIMIT_INIT(1, 10);

	if (!a->live || !m->wanted || !m->calc.bars)
		return;
	write_scan(a, m);
	if (ts_pub_send(&a->pub, m->stopic, &a->w) < 0)
		ts_warn_rl(&rl, "cannot publish on '%s': %s", m->stopic, zmq_strerror(errno));
	else
		a->published++;
}

/* ---- candles in ----------------------------------------------------------------- */

static void
remember(struct mtf *m, const struct ts_ind_bar *b)
{
	size_t i = m->nrecent % RECENT;

	m->rt[i] = b->t;
	m->rc[i] = b->c;
	m->nrecent++;
}

static int
push_bar(struct app *a, struct mtf *m, const struct ts_ind_bar *b, double btc_close)
{
	if (!ts_scan_calc_push(&m->calc, b, btc_close))
		return 0;
	remember(m, b);
	a->closes++;
	if (m->btc && isnan(btc_close))
		m->ratio_missing = 1; /* until BTC's close of b->t turns up, or cannot */
	return 1;
}

/* Replay the BTC ratios of the closes kept: BTC's closes came after
 * them (its history loaded later, or a close came later than BTC_WAIT_US).
 * The window is then the one an inner join of the two series gives. A
 * close BTC has passed without one stays out for good. */
static void
rebuild_ratios(struct mtf *m)
{
	size_t n = m->nrecent < RECENT ? m->nrecent : RECENT;

	ts_scan_calc_ratio_reset(&m->calc);
	m->ratio_missing = 0;
	for (size_t k = n; k > 0; k--) {
		size_t i = (m->nrecent - k) % RECENT;
		double b = recent_close(m->btc, m->rt[i]);
		if (isnan(b) && (!m->btc->calc.bars || m->btc->calc.t < m->rt[i]))
			m->ratio_missing = 1;
		if (!isnan(b) || k == 1)
			ts_scan_calc_ratio(&m->calc, m->rc[i], b);
	}
}

static void
flush_pending(struct app *a, struct mtf *m)
{
	struct ts_ind_bar b = m->pending;

	if (!m->has_pending)
		return;
	m->has_pending = 0;
	if (push_bar(a, m, &b, m->btc ? recent_close(m->btc, b.t) : NAN))
		publish(a, m);
}

/* BTC market x has closed up to x->calc.t: the markets waiting for it go. */
static void
wake_dependents(struct app *a, struct mtf *x)
{
	struct ts_map_entry *e;
	size_t i = 0;

	if (!x->deps)
		return;
	while ((e = ts_map_next(&a->mtfs, &i))) {
		struct mtf *d = e->v.p;
		if (d->btc != x)
			continue;
		if (d->seeded && d->ratio_missing)
			rebuild_ratios(d);
		if (d->has_pending && d->pending.t <= x->calc.t)
			flush_pending(a, d);
	}
}

/* A candle of m closed. A market measured against BTC waits (a while) for
 * BTC's close of the same candle, so its ratio is the one of that time. */
static void
on_close(struct app *a, struct mtf *m, const struct ts_ind_bar *b)
{
	double btc = NAN;

	flush_pending(a, m);
	if (m->calc.bars && b->t <= m->calc.t)
		return;
	m->seeded = 1;
	if (m->btc) {
		btc = recent_close(m->btc, b->t);
		if (isnan(btc) && (!m->btc->calc.bars || m->btc->calc.t < b->t) && a->live) {
			m->pending = *b;
			m->has_pending = 1;
			m->pending_since = ts_mono_us();
			return;
		}
	}
	if (push_bar(a, m, b, btc))
		publish(a, m);
	wake_dependents(a, m);
}

/* A history batch (or the whole of an input file) for m: oldest first. */
static void
on_history(struct app *a, struct mtf *m, const struct ts_ind_bar *b, size_t n)
{
	size_t pushed = 0;

	flush_pending(a, m);
	for (size_t i = 0; i < n; i++)
		pushed += push_bar(a, m, &b[i], m->btc ? recent_close(m->btc, b[i].t) : NAN);
	m->seeded = 1;
	ts_debug("'%s': %zu candles of history, %zu new", m->key, n, pushed);
	if (pushed)
		publish(a, m);
	wake_dependents(a, m);
}

static void
keep_bar(struct mtf *m, const struct ts_ind_bar *b)
{
	if (m->nbars && b->t <= m->bars[m->nbars - 1].t)
		return;
	ts_xgrow((void **)&m->bars, &m->capbars, m->nbars + 1, sizeof *m->bars);
	m->bars[m->nbars++] = *b;
}

static void
to_bar(const struct ts_candle *c, struct ts_ind_bar *b)
{
	b->t = c->t;
	b->o = ts_dec_to_double(c->o);
	b->h = ts_dec_to_double(c->h);
	b->l = ts_dec_to_double(c->l);
	b->c = ts_dec_to_double(c->c);
	b->v = ts_dec_to_double(c->v);
}

/* A candle object: 1 with *b set when it is closed ("closed" absent counts
 * as closed: a stored candle), 0 when open, -1 when malformed. */
static int
parse_bar(const struct ts_jval *obj, struct ts_ind_bar *b, const char **why)
{
	struct ts_candle c;
	struct ts_jval v;
	int closed = 1;

	if (ts_candle_parse(obj, &c, why) < 0)
		return -1;
	if (!ts_json_get(obj, "closed", &v) && ts_json_bool(&v, &closed) < 0)
		return *why = "\"closed\" is not a boolean", -1;
	to_bar(&c, b);
	return closed;
}

/* The market a message is for: from its topic, else (input files) from
 * the candle's own ex, sym and tf. NULL when it is none of ours. */
static struct mtf *
msg_mtf(struct app *a, const char *topic, const struct ts_jval *obj)
{
	struct ts_topic tp;
	char ex[48], sym[48], tf[48];
	struct ts_jval v;
	int k;

	if (topic) {
		if (ts_topic_parse(topic, &tp, NULL) < 0 || strcmp(tp.kind, "candles"))
			return NULL;
		snprintf(ex, sizeof ex, "%s", tp.ex);
		snprintf(sym, sizeof sym, "%s", tp.sym);
		snprintf(tf, sizeof tf, "%s", tp.tf);
	} else {
		struct ts_jval first;
		const struct ts_jval *c = obj;
		if (!ts_json_get(obj, "candles", &v) && v.type == TS_J_ARR) {
			struct ts_jiter it;
			ts_json_iter(&it, &v);
			if (!ts_json_next(&it, NULL, &first))
				return NULL;
			c = &first;
		}
		if (ts_json_get_str(c, "ex", ex, sizeof ex) < 0 ||
		    ts_json_get_str(c, "sym", sym, sizeof sym) < 0 ||
		    ts_json_get_str(c, "tf", tf, sizeof tf) < 0)
			return NULL;
	}
	if ((k = tf_index(tf)) < 0)
		return NULL;
	if (a->accept_all && !mtf_find(a, ex, sym, k)) {
		if (!ts_ex_valid(ex) || !ts_sym_valid(sym))
			return NULL;
		mtf_get(a, ex, sym, k)->wanted++;
	}
	return mtf_find(a, ex, sym, k);
}

/* One candle or history message. Returns 0, or -1 with *why when it is
 * malformed (counted). */
static int
handle(struct app *a, const char *topic, const char *data, size_t len, const char **why)
{
	struct ts_jval obj, v, el;
	struct ts_jiter it;
	struct ts_ind_bar b;
	struct mtf *m;
	int r;

	*why = NULL;
	if (ts_json_parse(data, len, &obj, NULL) < 0 || obj.type != TS_J_OBJ)
		return a->bad++, *why = "not a JSON object", -1;
	if (!(m = msg_mtf(a, topic, &obj)))
		return 0;
	if (!ts_json_get(&obj, "type", &v) && ts_json_str_eq(&v, "history")) {
		struct ts_ind_bar *h = NULL;
		size_t n = 0, cap = 0, bad = 0;
		if (ts_json_get(&obj, "candles", &v) || v.type != TS_J_ARR)
			return a->bad++, *why = "history without a \"candles\" array", -1;
		ts_json_iter(&it, &v);
		while (ts_json_next(&it, NULL, &el)) {
			if ((r = parse_bar(&el, &b, why)) < 0)
				bad++;
			if (r <= 0 || (n && b.t <= h[n - 1].t))
				continue;
			ts_xgrow((void **)&h, &cap, n + 1, sizeof *h);
			h[n++] = b;
		}
		if (a->keep_bars)
			for (size_t i = 0; i < n; i++)
				keep_bar(m, &h[i]);
		if (a->live || !a->o->input)
			on_history(a, m, h, n);
		free(h);
		if (bad) {
			a->bad++;
			*why = "history holds malformed candles (skipped)";
			return -1;
		}
		return 0;
	}
	if ((r = parse_bar(&obj, &b, why)) < 0)
		return a->bad++, -1;
	if (r == 0)
		return 0; /* the open candle: the metrics are of closed ones */
	if (a->keep_bars)
		keep_bar(m, &b);
	if (a->live || !a->o->input)
		on_close(a, m, &b);
	return 0;
}

/* ---- the bus ------------------------------------------------------------------- */

static void
on_sub(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct app *a = arg;
	struct ts_msg msg;
	const char *why;
	int n = 0;

	(void)l, (void)fd, (void)rev;
	while (n++ < 4096) {
		if (ts_msg_recv(sock, &msg, ZMQ_DONTWAIT) < 0) {
			if (errno == EPROTO)
				continue;
			break;
		}
		if (!strncmp(msg.topic, "candles/", 8) && handle(a, msg.topic, msg.data,
		    msg.len, &why) < 0)
			ts_warn_rl(&a->bad_rl, "bad message on '%s': %s; skipped", msg.topic, why);
		ts_msg_close(&msg);
	}
}

/* Someone subscribed to (or left) scan/EX/SYM/TF. */
static void
on_want(const char *topic, int on, void *arg)
{
	struct app *a = arg;
	struct ts_topic tp;
	struct mtf *m;
	int tf;

	if (strncmp(topic, "scan/", 5))
		return;
	if (ts_topic_parse(topic, &tp, NULL) < 0 || !ts_ex_valid(tp.ex) ||
	    !ts_sym_valid(tp.sym) || (tf = tf_index(tp.tf)) < 0) {
		ts_debug("subscription '%s': not a scan topic this produces", topic);
		return;
	}
	if (on) {
		m = mtf_get(a, tp.ex, tp.sym, tf);
		if (m->wanted++ == 0)
			ts_info("producing '%s'", topic);
		else
			publish(a, m); /* a late subscriber has values at once */
		if (m->seeded)
			publish(a, m);
	} else if ((m = mtf_find(a, tp.ex, tp.sym, tf)) && m->wanted > 0) {
		if (--m->wanted == 0)
			ts_info("'%s' has no subscriber: dropped", topic);
		mtf_release(a, m);
	}
}

static void
on_xpub(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	(void)l, (void)fd, (void)rev;
	ts_bus_sub_events(sock, on_want, arg);
}

static void
on_tick(struct ts_loop *l, unsigned id, void *arg)
{
	struct app *a = arg;
	struct ts_map_entry *e;
	size_t i = 0;
	int64_t now = ts_mono_us();

	(void)l, (void)id;
	while ((e = ts_map_next(&a->mtfs, &i))) {
		struct mtf *m = e->v.p;
		if (m->has_pending && now - m->pending_since >= BTC_WAIT_US)
			flush_pending(a, m); /* BTC's close did not come: without it */
	}
}

static void
on_signal(struct ts_loop *l, int signo, void *arg)
{
	struct app *a = arg;

	if (signo == SIGUSR1) {
		ts_info("%zu markets, %llu closes, %llu published, %llu malformed",
		    a->mtfs.len, (unsigned long long)a->closes,
		    (unsigned long long)a->published, (unsigned long long)a->bad);
		return;
	}
	ts_loop_stop(l);
}

static void
bus_open(struct app *a, int producer)
{
	char err[256];

	if (ts_bus_resolve(a->o->bus, &a->ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	if (!ts_bus_is_safe(&a->ep) && !a->o->insecure)
		ts_die(TS_EXIT_USAGE, "refusing a tcp bus on non-loopback '%s' without "
		    "CURVE keys (see ts-supervisor keygen; --insecure allows it "
		    "unencrypted)", a->ep.host);
	a->sub = ts_bus_sub(&a->ep);
	if (producer)
		a->pub.sock = ts_bus_producer(&a->ep);
}

/* ---- the one-shot modes --------------------------------------------------------- */

/* Are all markets in (and their BTC too)? */
static int
all_in(struct app *a)
{
	struct ts_map_entry *e;
	size_t i = 0;

	while ((e = ts_map_next(&a->mtfs, &i))) {
		struct mtf *m = e->v.p;
		if (!m->seeded)
			return 0;
	}
	return 1;
}

static void
on_sub_once(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct app *a = arg;

	on_sub(l, sock, fd, rev, arg);
	if (all_in(a))
		ts_loop_stop(l);
}

static void
on_deadline(struct ts_loop *l, unsigned id, void *arg)
{
	(void)id, (void)arg;
	ts_loop_stop(l);
}

/* Wait on the bus (opened, the markets subscribed) until every market has
 * its history, or the deadline. */
static void
gather_bus(struct app *a)
{
	a->l = ts_loop_new();
	ts_loop_add(a->l, a->sub, -1, ZMQ_POLLIN, on_sub_once, a);
	ts_loop_timer(a->l, a->o->wait_us, 0, on_deadline, a);
	ts_loop_signal(a->l, SIGINT, on_signal, a);
	ts_loop_signal(a->l, SIGTERM, on_signal, a);
	if (ts_loop_run(a->l) < 0)
		ts_die_errno(TS_EXIT_TEMP, "poll failed");
	ts_loop_free(&a->l);
}

static int
by_deps_first(const void *x, const void *y)
{
	const struct mtf *p = *(struct mtf *const *)x, *q = *(struct mtf *const *)y;

	if ((p->deps > 0) != (q->deps > 0))
		return p->deps > 0 ? -1 : 1;
	return strcmp(p->key, q->key);
}

/* The markets, sorted by cmp (NULL: by key). *n is set; caller frees. */
static struct mtf **
mtf_list(struct app *a, size_t *n, int (*cmp)(const void *, const void *))
{
	struct mtf **v = ts_xcalloc(a->mtfs.len + 1, sizeof *v);
	struct ts_map_entry *e;
	size_t i = 0;

	*n = 0;
	while ((e = ts_map_next(&a->mtfs, &i)))
		v[(*n)++] = e->v.p;
	qsort(v, *n, sizeof *v, cmp);
	return v;
}

/* Read candle lines from the input file; then feed each market its
 * candles as one history, BTC markets first. */
static void
gather_input(struct app *a)
{
	FILE *f = strcmp(a->o->input, "-") ? fopen(a->o->input, "r") : stdin;
	char *line = NULL;
	size_t cap = 0, lineno = 0, n;
	ssize_t len;
	struct mtf **v;

	if (!f)
		ts_die_errno(TS_EXIT_USAGE, "cannot open '%s'", a->o->input);
	a->keep_bars = 1;
	while ((len = getline(&line, &cap, f)) > 0) {
		char *json = line, *tab = memchr(line, '\t', (size_t)len);
		char topic[TS_TOPIC_MAX] = "";
		const char *why;
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		if (tab) {
			snprintf(topic, sizeof topic, "%.*s", (int)(tab - line), line);
			json = tab + 1;
		}
		if (handle(a, tab ? topic : NULL, json, strlen(json), &why) < 0)
			ts_warn_rl(&a->bad_rl, "%s:%zu: %s; skipped", a->o->input, lineno, why);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	v = mtf_list(a, &n, by_deps_first);
	for (size_t i = 0; i < n; i++)
		on_history(a, v[i], v[i]->bars, v[i]->nbars);
	free(v);
}

static const char *
market_name(const struct mtf *m)
{
	static char b[96];

	snprintf(b, sizeof b, "%s/%s", m->ex, m->sym);
	return b;
}

static const char *
num(double v, char *b, size_t n)
{
	if (isnan(v))
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.4g", v);
	return b;
}

static void
print_value(double v)
{
	if (isnan(v))
		printf(" %9s", "-");
	else
		printf(" %9.4g", v);
}

static const char *const op_text[] = { ">", ">=", "<", "<=" };

struct ranked {
	struct mtf *m;
	int passed, flags;
};

static int
by_rank(const void *x, const void *y)
{
	const struct ranked *p = x, *q = y;

	if (p->passed != q->passed)
		return q->passed - p->passed;
	if (p->flags != q->flags)
		return q->flags - p->flags;
	return strcmp(p->m->key, q->m->key);
}

static int scan_k; /* the scan by_scan_flags sorts by */
static const struct ts_scan_conf *scan_conf;

static int
by_scan_flags(const void *x, const void *y)
{
	const struct ranked *p = x, *q = y;
	int fp = ts_scan_flags(&scan_conf->scan[scan_k], p->m->calc.m);
	int fq = ts_scan_flags(&scan_conf->scan[scan_k], q->m->calc.m);

	return fp != fq ? fq - fp : strcmp(p->m->key, q->m->key);
}

static void
report(struct app *a, struct ranked *r, size_t n)
{
	const struct ts_scan_conf *c = &a->conf;
	char nb[32];
	struct ranked *tmp = ts_xcalloc(n + 1, sizeof *tmp);

	if (a->o->json) {
		ts_jw_reset(&a->w);
		ts_jw_obj(&a->w);
		ts_jw_key(&a->w, "scans");
		ts_jw_arr(&a->w);
	}
	for (int k = 0; k < c->nscans; k++) {
		const struct ts_scan_def *d = &c->scan[k];
		size_t np = 0;
		for (size_t i = 0; i < n; i++)
			if (ts_scan_flags(d, r[i].m->calc.m) >= d->min)
				tmp[np++] = r[i];
		scan_k = k, scan_conf = c;
		qsort(tmp, np, sizeof *tmp, by_scan_flags);
		if (np > (size_t)a->o->top)
			np = (size_t)a->o->top;
		if (a->o->json) {
			ts_jw_obj(&a->w);
			ts_jw_kstr(&a->w, "name", d->name);
			ts_jw_ki64(&a->w, "min", d->min);
			ts_jw_ki64(&a->w, "conditions", d->nconds);
			ts_jw_key(&a->w, "passed");
			ts_jw_arr(&a->w);
			for (size_t i = 0; i < np; i++) {
				ts_jw_obj(&a->w);
				ts_jw_kstr(&a->w, "ex", tmp[i].m->ex);
				ts_jw_kstr(&a->w, "sym", tmp[i].m->sym);
				ts_jw_kstr(&a->w, "tf", ts_tf_names[tmp[i].m->tf]);
				ts_jw_ki64(&a->w, "flags", ts_scan_flags(d, tmp[i].m->calc.m));
				ts_jw_obj_end(&a->w);
			}
			ts_jw_arr_end(&a->w);
			ts_jw_obj_end(&a->w);
			continue;
		}
		printf("%s: %d of", d->name, d->min);
		for (int j = 0; j < d->nconds; j++)
			printf("%s %s %s %g", j ? "," : "", ts_scan_metric_names[d->cond[j].metric],
			    op_text[d->cond[j].op], d->cond[j].value);
		printf("\n");
		if (!np)
			printf("  (none)\n");
		for (size_t i = 0; i < np; i++) {
			printf("  %-24s %-3s %d flags ", market_name(tmp[i].m),
			    ts_tf_names[tmp[i].m->tf], ts_scan_flags(d, tmp[i].m->calc.m));
			for (int j = 0; j < d->nconds; j++)
				printf(" %s %s", ts_scan_metric_names[d->cond[j].metric],
				    num(tmp[i].m->calc.m[d->cond[j].metric], nb, sizeof nb));
			printf("\n");
		}
		printf("\n");
	}
	if (a->o->json) {
		ts_jw_arr_end(&a->w);
		ts_jw_key(&a->w, "markets");
		ts_jw_arr(&a->w);
		for (size_t i = 0; i < n; i++) {
			ts_jw_obj(&a->w);
			ts_jw_kstr(&a->w, "ex", r[i].m->ex);
			ts_jw_kstr(&a->w, "sym", r[i].m->sym);
			ts_jw_kstr(&a->w, "tf", ts_tf_names[r[i].m->tf]);
			ts_scan_write(&a->w, &r[i].m->calc, c);
			ts_jw_obj_end(&a->w);
		}
		ts_jw_arr_end(&a->w);
		ts_jw_obj_end(&a->w);
		fwrite(a->w.buf, 1, a->w.len, stdout);
		putchar('\n');
	} else {
		static const int cols[] = { TS_SCAN_RSI, TS_SCAN_ZSCORE, TS_SCAN_PCTB,
			TS_SCAN_ATRSTRETCH, TS_SCAN_VWAPGAP, TS_SCAN_VWAPGAP_DAILY, TS_SCAN_BTC_REL,
			TS_SCAN_VOLZ, TS_SCAN_RVOL, TS_SCAN_BBW, TS_SCAN_ADX };
		printf("%-24s %-3s %6s %12s", "MARKET", "TF", "SCANS", "CLOSE");
		for (size_t j = 0; j < sizeof cols / sizeof *cols; j++) {
			const char *nm = ts_scan_metric_names[cols[j]];
			printf(" %9.9s", cols[j] == TS_SCAN_BTC_REL ? "BTCrel_z" :
			    cols[j] == TS_SCAN_VWAPGAP_DAILY ? "VWAPgap_d" : nm);
		}
		printf("\n");
		for (size_t i = 0; i < n; i++) {
			printf("%-24s %-3s %6d %12.8g", market_name(r[i].m), ts_tf_names[r[i].m->tf],
			    r[i].passed, r[i].m->calc.close);
			for (size_t j = 0; j < sizeof cols / sizeof *cols; j++)
				print_value(r[i].m->calc.m[cols[j]]);
			printf("\n");
		}
	}
	free(tmp);
}

/* run: the metrics of every market given at its last closed candle. */
static int
cmd_run(struct app *a)
{
	struct mtf **v;
	struct ranked *r;
	size_t n, nr = 0;
	int missing = 0;

	if (a->o->input)
		gather_input(a);
	else
		gather_bus(a);
	v = mtf_list(a, &n, by_deps_first);
	r = ts_xcalloc(n + 1, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		struct mtf *m = v[i];
		if (!m->calc.bars) {
			if (m->wanted) {
				ts_warn("'%s': no candles%s", m->key, a->o->input ? " in the input" :
				    " in time (is ts-supervisor running?)");
				missing = 1;
			} else {
				ts_warn("'%s': no candles: BTC_rel_zscore of its markets has no value",
				    m->key);
			}
		}
		if (!m->wanted || !m->calc.bars)
			continue;
		r[nr].m = m;
		for (int k = 0; k < a->conf.nscans; k++) {
			int f = ts_scan_flags(&a->conf.scan[k], m->calc.m);
			if (f >= a->conf.scan[k].min) {
				r[nr].passed++;
				r[nr].flags += f;
			}
		}
		nr++;
	}
	qsort(r, nr, sizeof *r, by_rank);
	report(a, r, nr);
	free(r);
	free(v);
	fflush(stdout);
	return missing ? TS_EXIT_TEMP : 0;
}

static int
cmd_explain(struct app *a, struct mtf *m)
{
	a->keep_bars = 1;
	if (a->o->input)
		gather_input(a);
	else
		gather_bus(a);
	if (!m->nbars) {
		ts_warn("'%s': no candles%s", m->key, a->o->input ? " in the input" :
		    " in time (is ts-supervisor running?)");
		return TS_EXIT_TEMP;
	}
	ts_jw_reset(&a->w);
	{
		char market[96];
		snprintf(market, sizeof market, "%s/%s", m->ex, m->sym);
		ts_explain(&a->w, market, ts_tf_names[m->tf], m->bars, m->nbars, a->o->lookback);
	}
	fwrite(a->w.buf, 1, a->w.len, stdout);
	putchar('\n');
	fflush(stdout);
	return 0;
}

/* The service: until SIGINT or SIGTERM. */
static int
cmd_live(struct app *a)
{
	a->live = 1;
	a->l = ts_loop_new();
	ts_loop_add(a->l, a->sub, -1, ZMQ_POLLIN, on_sub, a);
	ts_loop_add(a->l, a->pub.sock, -1, ZMQ_POLLIN, on_xpub, a);
	ts_loop_timer(a->l, 250000, 250000, on_tick, a);
	ts_loop_signal(a->l, SIGINT, on_signal, a);
	ts_loop_signal(a->l, SIGTERM, on_signal, a);
	ts_loop_signal(a->l, SIGUSR1, on_signal, a);
	ts_info("scanning %zu market timeframes with %d scans", a->mtfs.len, a->conf.nscans);
	if (ts_loop_run(a->l) < 0)
		ts_die_errno(TS_EXIT_TEMP, "poll failed");
	ts_loop_free(&a->l);
	return 0;
}

/* ---- start --------------------------------------------------------------------- */

static const char *
default_scans(char *buf, size_t n)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (x && *x)
		snprintf(buf, n, "%s/tradesuite/scans.conf", x);
	else
		snprintf(buf, n, "%s/.config/tradesuite/scans.conf", home ? home : ".");
	return buf;
}

static void
load_conf(struct app *a)
{
	char path[4096];
	const char *file = a->o->scans ? a->o->scans : default_scans(path, sizeof path);
	int r;

	ts_scan_conf_init(&a->conf);
	r = ts_scan_conf_load(&a->conf, file, stderr);
	if (r < 0 && (a->o->scans || errno != ENOENT))
		ts_die_errno(TS_EXIT_USAGE, "cannot read '%s'", file);
	if (r > 0)
		ts_die(TS_EXIT_USAGE, "'%s': %d error%s", file, r, r == 1 ? "" : "s");
}

static void
parse_tfs(const char *list, int *tfs, int *ntf)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof buf, "%s", list);
	*ntf = 0;
	for (tok = strtok_r(buf, ",", &save); tok && *ntf < 16; tok = strtok_r(NULL, ",", &save)) {
		int k = tf_index(tok);
		if (k < 0)
			ts_usage_error(NULL, "bad timeframe '%s' (one of 1s 5s 15s 1m 3m 5m 15m "
			    "30m 1h 2h 4h 6h 12h 1d 1w)", tok);
		tfs[(*ntf)++] = k;
	}
	if (!*ntf)
		ts_usage_error(NULL, "no timeframe in '%s'", list);
}

/* Want every market of argv (else the watchlist) at every timeframe. */
static void
want_markets(struct app *a, char **mk, int nmk)
{
	int tfs[16], ntf = 0;
	char ex[48], sym[48];

	if (a->o->tfs)
		parse_tfs(a->o->tfs, tfs, &ntf);
	else if (a->conf.ntf)
		memcpy(tfs, a->conf.tf, sizeof(int) * (size_t)(ntf = a->conf.ntf));
	else
		tfs[ntf++] = tf_index("1h");
	for (int i = 0; i < nmk; i++) {
		if (split_market(mk[i], ex, sizeof ex, sym, sizeof sym) < 0)
			ts_usage_error(NULL, "bad market '%s' (EXCHANGE/SYMBOL, e.g. "
			    "coinbase/BTC-USD)", mk[i]);
		for (int k = 0; k < ntf; k++)
			mtf_get(a, ex, sym, tfs[k])->wanted++;
	}
	if (!nmk)
		for (int i = 0; i < a->conf.nwatch; i++)
			if (!split_market(a->conf.watch[i], ex, sizeof ex, sym, sizeof sym))
				for (int k = 0; k < ntf; k++)
					mtf_get(a, ex, sym, tfs[k])->wanted++;
}

static void
free_all(struct app *a)
{
	struct ts_map_entry *e;
	size_t i = 0;

	while ((e = ts_map_next(&a->mtfs, &i))) {
		struct mtf *m = e->v.p;
		ts_scan_calc_free(&m->calc);
		free(m->bars);
		free(m);
	}
	ts_map_clear(&a->mtfs);
	ts_scan_conf_free(&a->conf);
	ts_jw_free(&a->w);
	ts_pub_clear(&a->pub);
	ts_bus_close(&a->sub);
	ts_bus_close(&a->pub.sock);
	ts_bus_term();
}

int
main(int argc, char **argv)
{
	enum { OPT_INSECURE = 256, OPT_JSON, OPT_TOP };
	static const struct option longopts[] = {
		{ "bus", required_argument, NULL, 'B' },
		{ "scans", required_argument, NULL, 'f' },
		{ "timeframes", required_argument, NULL, 't' },
		{ "wait", required_argument, NULL, 'w' },
		{ "input", required_argument, NULL, 'i' },
		{ "lookback", required_argument, NULL, 'n' },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct opts o = { .wait_us = DEFAULT_WAIT_US, .top = 20 };
	struct app a;
	const char *cmd = "";
	char **args;
	int opt, nargs, rc;
	long v;
	char *end;

	ts_log_init(argv[0]);
	while ((opt = getopt_long(argc, argv, "B:f:t:w:i:n:Vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'B': o.bus = optarg; break;
		case 'f': o.scans = optarg; break;
		case 't': o.tfs = optarg; break;
		case 'w':
			if (ts_duration_parse(optarg, &o.wait_us) < 0 || o.wait_us <= 0)
				ts_usage_error(NULL, "bad --wait '%s'", optarg);
			break;
		case 'i': o.input = optarg; break;
		case 'n':
			v = strtol(optarg, &end, 10);
			if (*end || v < 2 || v > 100000)
				ts_usage_error(NULL, "bad --lookback '%s' (2 to 100000)", optarg);
			o.lookback = (size_t)v;
			break;
		case OPT_TOP:
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 100000)
				ts_usage_error(NULL, "bad --top '%s'", optarg);
			o.top = (int)v;
			break;
		case OPT_JSON: o.json = 1; break;
		case OPT_INSECURE: o.insecure = 1; break;
		case 'V': ts_version(NULL);
		case 'h': fputs(usage, stdout); return 0;
		default: ts_usage_error(NULL, NULL);
		}
	}
	args = argv + optind;
	nargs = argc - optind;
	if (nargs && (!strcmp(args[0], "run") || !strcmp(args[0], "explain") ||
	    !strcmp(args[0], "check"))) {
		cmd = args[0];
		args++, nargs--;
	}
	if (!strcmp(cmd, "check")) {
		struct ts_scan_conf c;
		if (nargs != 1)
			ts_usage_error(NULL, "check takes one FILE");
		ts_scan_conf_init(&c);
		rc = ts_scan_conf_load(&c, args[0], stderr);
		if (rc < 0)
			ts_die_errno(TS_EXIT_USAGE, "cannot read '%s'", args[0]);
		if (!rc)
			printf("%s: %d scans, %d markets, %d timeframes\n", args[0], c.nscans,
			    c.nwatch, c.ntf);
		ts_scan_conf_free(&c);
		return rc ? TS_EXIT_USAGE : 0;
	}
	if (o.input && !*cmd)
		ts_usage_error(NULL, "--input is for run and explain");
	memset(&a, 0, sizeof a);
	a.o = &o;
	a.bad_rl = (struct ts_ratelimit)TS_RATELIMIT_INIT(1, 10);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(cmd, "explain")) {
		char ex[48], sym[48];
		int tf;
		struct mtf *m;
		if (nargs != 2)
			ts_usage_error(NULL, "explain takes MARKET TF");
		if (split_market(args[0], ex, sizeof ex, sym, sizeof sym) < 0)
			ts_usage_error(NULL, "bad market '%s' (EXCHANGE/SYMBOL)", args[0]);
		if ((tf = tf_index(args[1])) < 0)
			ts_usage_error(NULL, "bad timeframe '%s'", args[1]);
		ts_scan_conf_init(&a.conf);
		if (!o.input)
			bus_open(&a, 0);
		/* explain reads no BTC: a bare market, not mtf_get's */
		m = ts_xcalloc(1, sizeof *m);
		snprintf(m->ex, sizeof m->ex, "%s", ex);
		snprintf(m->sym, sizeof m->sym, "%s", sym);
		m->tf = tf;
		m->wanted = 1;
		snprintf(m->key, sizeof m->key, "%s/%s/%s", ex, sym, ts_tf_names[tf]);
		ts_topic_build(m->ctopic, sizeof m->ctopic, "candles", ex, sym, ts_tf_names[tf]);
		ts_scan_calc_init(&m->calc, a.conf.anchor_us);
		ts_map_put(&a.mtfs, m->key, NULL)->v.p = m;
		if (a.sub)
			ts_bus_subscribe(a.sub, m->ctopic);
		rc = cmd_explain(&a, m);
		free_all(&a);
		return rc;
	}
	load_conf(&a);
	if (!strcmp(cmd, "run")) {
		if (!o.input)
			bus_open(&a, 0);
		want_markets(&a, args, nargs);
		if (!a.mtfs.len && !o.input)
			ts_usage_error(NULL, "run: no market given and no watchlist in the scans file");
		if (!a.mtfs.len)
			a.accept_all = 1;
		rc = cmd_run(&a);
		free_all(&a);
		return rc;
	}
	bus_open(&a, 1);
	want_markets(&a, args, nargs);
	rc = cmd_live(&a);
	free_all(&a);
	return rc;
}
