/* ts-candle: trades -> exact OHLCV candles per timeframe, with REST history */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "candle.h"
#include "candle_http.h"
#include "json.h"
#include "klines.h"
#include "log.h"
#include "loop.h"
#include "map.h"
#include "msg.h"
#include "tm.h"
#include "topic.h"

static const char usage[] =
"usage: ts-candle [-B ENDPOINT] [-n COUNT] [-r RATE] [-g DURATION]\n"
"                 [-S DURATION] [--rest EXCHANGE=URL]... [--insecure]\n"
"       ts-candle --stdin [-t TF,...] [-T] [-u] [-r RATE] [-v] [FILE]\n"
"\n"
"Aggregate trades into OHLCV candles with exact decimal arithmetic.\n"
"\n"
"On the bus (default), ts-candle produces candles/EXCHANGE/SYMBOL/TF when\n"
"someone subscribes to it: it subscribes to trades/EXCHANGE/SYMBOL (once\n"
"per market), publishes a {\"type\":\"history\",\"candles\":[...]} batch from\n"
"ts-store's history service when it answers and the exchange's REST candle\n"
"endpoint for the rest (loading without stalling other topics; the\n"
"market's trades wait meanwhile), then the open candle at most RATE\n"
"times a second and every candle once more with \"closed\":true when its\n"
"interval ends. When the last subscriber leaves, it drops the topic.\n"
"\n"
"With --stdin it is a filter: trade JSON lines (plain or TOPIC<tab>JSON)\n"
"in, candle JSON lines out as they come: every closed candle, then at the\n"
"end of input or on SIGINT/SIGTERM the open ones with \"closed\":false.\n"
"Lines of other topics (book/..., status/...) are skipped without a word.\n"
"\n"
"Timeframes: 1s 5s 15s 1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w (UTC; weeks\n"
"start on Monday).\n"
"\n"
"  -B ENDPOINT          bus directory, ipc://DIR or tcp://HOST:PORT\n"
"  -n, --history COUNT  candles of history per topic (default 500; 0: none)\n"
"  -r, --rate RATE      open-candle updates per second per topic (default 10;\n"
"                       0: every trade)\n"
"  -g, --grace DURATION close a candle this long after its interval ends, for\n"
"                       trades still on their way (default 250ms)\n"
"  -S, --store-wait DURATION  how long ts-store may take to answer a history\n"
"                       request (default 300ms; 0: do not ask it)\n"
"      --rest EXCHANGE=URL  the exchange's REST base, e.g.\n"
"                       binance=http://127.0.0.1:8800 (repeatable)\n"
"      --insecure       allow a tcp bus on a non-loopback address\n"
"      --stdin          filter mode: read trades from FILE or stdin\n"
"  -t, --timeframes TF,...  filter mode: timeframes to build (default 1m)\n"
"  -T, --topic          filter mode: write TOPIC<tab>JSON lines\n"
"  -u, --updates        filter mode: also write the open candle as it\n"
"                       changes (each trade from a file; at most RATE a\n"
"                       second from a pipe)\n"
"  -v, --verbose        filter mode: count the lines read, skipped and bad\n"
"  -h, --help           show this help\n"
"      --version        show the version\n"
"\n"
"Exit status: 0 success (stopped by SIGINT/SIGTERM, or end of input);\n"
"100 usage error, or in filter mode some lines were invalid (the others\n"
"were used); 111 system error.\n";

/* Extra candles fetched before the history wanted (see load_history). */
#define HISTORY_LEAD 16

/* Longest a REST request may take, retries aside. */
#define REST_TIMEOUT_MS 10000
/* Trades of a market kept while a history of it loads. */
#define LOAD_BUF_MAX 200000

struct tfctx;

/* A history load in flight for one topic: ts-store first, then the
 * exchange's REST for what the store lacks, each step started by the reply
 * to the one before, none blocking the loop. */
struct load {
	struct tfctx *t;
	int64_t cut;   /* trades before this are in the history */
	int64_t start; /* the window: [start, open + tf), open holding cut */
	int64_t open;
	size_t count;
	void *req;     /* REQ socket to ts-store while asking it */
	unsigned store_timer;
	struct ts_candle *stored; /* the store's run of candles (see join) */
	size_t nstored;
	int64_t from;  /* REST serves [from, open + tf) */
	const struct ts_klines_ex *kx; /* NULL: no REST for this topic */
	struct ts_klines_plan plan;
	int planned;
	struct chttp_req *http;
	char url[1024];
	int attempt;
	unsigned retry_timer;
};

/* One candles topic: a timeframe of a market. */
struct tfctx {
	struct ts_candle_series s;
	struct market *m;
	int tf; /* index in ts_tf_names */
	char topic[TS_TOPIC_MAX];
	int dirty;       /* the open candle changed since it was published */
	int pending;     /* its history waits for the market to be live */
	struct load *load; /* its history is loading: trades wait in m->buf */
	int64_t last_pub; /* monotonic µs of the last open-candle publication */
	uint64_t reported_late, reported_dup;
};

struct market {
	char ex[32], sym[48];
	char trades_topic[TS_TOPIC_MAX];
	struct tfctx *tf[TS_TF_COUNT];
	int ntf;
	/* A new trades subscription takes a while to flow (the supervisor may
	 * start ts-feed, which opens its channel): history is fetched once the
	 * first trade has arrived (or after WARMUP_US), so every trade after
	 * the cut arrives live. */
	int live;
	unsigned warmup_timer;
	/* trades that arrived while some timeframe's history loads, applied
	 * to it when the history is in */
	int loading;
	struct ts_candle_trade *buf;
	size_t nbuf, capbuf;
	uint64_t buf_dropped;
	struct app *app;
};

#define WARMUP_US (2 * TS_US_PER_SEC)

struct app {
	int filter;
	struct ts_loop *l;
	struct ts_pub pub;
	void *sub;
	struct ts_map markets; /* trades topic -> struct market * */
	struct ts_map rest;    /* exchange -> REST base (char *) */
	struct ts_jw w;
	size_t hist_n;
	int64_t gap_us, grace_us;
	int64_t store_wait_us; /* how long ts-store may take; 0: do not ask */
	struct ts_bus_ep ep;
	struct chttp *http;
	unsigned timer;
	/* filter mode */
	int tfs[TS_TF_COUNT], ntfs;
	int with_topic, updates, verbose;
	struct ts_map seqs;
	FILE *out;
	/* counters */
	uint64_t trades, bad, other;
	struct ts_ratelimit bad_rl, late_rl;
};

static volatile int out_failed;

static struct market *
market_get(struct app *a, const char *ex, const char *sym, int *created)
{
	char key[TS_TOPIC_MAX];
	struct ts_map_entry *e;
	struct market *m;

	ts_topic_build(key, sizeof key, "trades", ex, sym, NULL);
	e = ts_map_put(&a->markets, key, created);
	if (e->v.p)
		return e->v.p;
	m = ts_xcalloc(1, sizeof *m);
	snprintf(m->ex, sizeof m->ex, "%s", ex);
	snprintf(m->sym, sizeof m->sym, "%s", sym);
	snprintf(m->trades_topic, sizeof m->trades_topic, "%s", key);
	e->v.p = m;
	return m;
}

static struct tfctx *
tf_add(struct app *a, struct market *m, int tf)
{
	struct tfctx *t = ts_xcalloc(1, sizeof *t);

	/* a history batch is the kept closed candles and the open one */
	ts_candle_series_init(&t->s, ts_tf_us(ts_tf_names[tf]), a->hist_n ? a->hist_n - 1 : 0);
	t->m = m;
	t->tf = tf;
	ts_topic_build(t->topic, sizeof t->topic, "candles", m->ex, m->sym, ts_tf_names[tf]);
	m->tf[tf] = t;
	m->ntf++;
	return t;
}

static void load_cancel(struct app *a, struct tfctx *t);

static void
tf_free(struct market *m, int tf)
{
	struct tfctx *t = m->tf[tf];

	if (!t)
		return;
	if (t->load)
		load_cancel(m->app, t);
	if (t->s.late || t->s.dup || t->s.overflow || t->s.unfilled)
		ts_info("'%s': %" PRIu64 " trades, %" PRIu64 " late (for closed candles), "
		    "%" PRIu64 " already in history, %" PRIu64 " overflowing, %" PRIu64
		    " intervals not filled", t->topic, t->s.trades, t->s.late, t->s.dup,
		    t->s.overflow, t->s.unfilled);
	ts_candle_series_free(&t->s);
	free(t);
	m->tf[tf] = NULL;
	m->ntf--;
}

/* ---- output ---- */

static void
write_line(struct app *a, const char *topic, struct ts_jw *w)
{
	struct ts_map_entry *e = ts_map_put(&a->seqs, topic, NULL);

	/* the same seq member ts_pub_send appends on the bus */
	w->len--;
	fprintf(a->out, "%s%s%.*s,\"seq\":%" PRIu64 "}\n", a->with_topic ? topic : "",
	    a->with_topic ? "\t" : "", (int)w->len, w->buf, ++e->v.u);
	if (ferror(a->out))
		out_failed = 1;
}

static void
emit(struct app *a, struct tfctx *t, const struct ts_candle *c)
{
	ts_jw_reset(&a->w);
	ts_candle_write(&a->w, t->m->ex, t->m->sym, ts_tf_names[t->tf], c);
	if (a->filter)
		write_line(a, t->topic, &a->w);
	else if (ts_pub_send(&a->pub, t->topic, &a->w) < 0)
		ts_warn_rl(&a->late_rl, "cannot publish on '%s': %s", t->topic,
		    zmq_strerror(errno));
}

static struct app *the_app;

static void
on_closed(void *arg, const struct ts_candle_series *s, const struct ts_candle *c)
{
	struct tfctx *t = arg;

	(void)s;
	emit(the_app, t, c);
	t->dirty = 1; /* the next interval's candle is news too */
	t->last_pub = ts_mono_us();
}

static void
publish_history(struct app *a, struct tfctx *t)
{
	struct ts_jw *w = &a->w;

	ts_jw_reset(w);
	ts_jw_obj(w);
	ts_jw_kstr(w, "type", "history");
	ts_jw_key(w, "candles");
	ts_jw_arr(w);
	for (size_t i = 0; i < t->s.len; i++)
		ts_candle_write(w, t->m->ex, t->m->sym, ts_tf_names[t->tf],
		    ts_candle_series_at(&t->s, i));
	if (t->s.has)
		ts_candle_write(w, t->m->ex, t->m->sym, ts_tf_names[t->tf], &t->s.cur);
	ts_jw_arr_end(w);
	ts_jw_obj_end(w);
	if (ts_pub_send(&a->pub, t->topic, w) < 0)
		ts_warn("cannot publish history on '%s': %s", t->topic, zmq_strerror(errno));
	t->dirty = 0;
	t->last_pub = ts_mono_us();
}

/* ---- trades ---- */

static void
report_counts(struct app *a, struct tfctx *t, int r, int64_t ts)
{
	char when[40];

	ts_rfc3339_fmt(ts, when, sizeof when);
	if (r == TS_CANDLE_LATE)
		ts_warn_rl(&a->late_rl, "'%s': trade at %s is for a closed candle; "
		    "not applied (%" PRIu64 " so far)", t->topic, when, t->s.late);
	else if (r == TS_CANDLE_OVERFLOW)
		ts_warn_rl(&a->late_rl, "'%s': volume overflows at %s; trade not applied",
		    t->topic, when);
}

static void
apply_one(struct app *a, struct tfctx *t, const struct ts_candle_trade *tr)
{
	int r = ts_candle_trade(&t->s, tr->ts, tr->px, tr->qty, tr->buy, on_closed, t);

	if (r == TS_CANDLE_APPLIED) {
		if (a->filter && a->updates && !a->gap_us)
			emit(a, t, &t->s.cur);
		else
			t->dirty = 1;
	} else if (r != TS_CANDLE_DUP) {
		report_counts(a, t, r, tr->ts);
	}
}

static void
apply_trade(struct app *a, struct market *m, const struct ts_candle_trade *tr)
{
	a->trades++;
	if (m->loading) {
		/* a timeframe waits for its history: keep the trade for it */
		if (m->nbuf < LOAD_BUF_MAX) {
			ts_xgrow((void **)&m->buf, &m->capbuf, m->nbuf + 1, sizeof *m->buf);
			m->buf[m->nbuf++] = *tr;
		} else if (m->buf_dropped++ == 0) {
			ts_warn("'%s': more than %d trades while history loads; the "
			    "loading timeframes miss the rest", m->trades_topic, LOAD_BUF_MAX);
		}
	}
	for (int i = 0; i < TS_TF_COUNT; i++)
		if (m->tf[i] && !m->tf[i]->load)
			apply_one(a, m->tf[i], tr);
}

/* ---- filter mode ---- */

static void flush_dirty(struct app *a, int64_t mono);

/* Set by SIGINT/SIGTERM in filter mode: write what is open and stop. The
 * handler is installed without SA_RESTART, so a blocked read or poll
 * returns at once. */
static volatile sig_atomic_t filter_stop;

static void
on_filter_signal(int signo)
{
	(void)signo;
	filter_stop = 1;
}

/* One input line (without its newline, NUL-terminated). */
static void
filter_line(struct app *a, char *line, size_t len, const char *name, long lineno)
{
	struct ts_candle_trade tr;
	struct ts_topic top;
	const char *json = line, *why = NULL;
	struct market *m;
	int created;

	while (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0)
		return;
	top.ex[0] = top.sym[0] = '\0';
	if (line[0] != '{') {
		char *tab = strchr(line, '\t');
		if (!tab) {
			a->bad++;
			ts_warn_rl(&a->bad_rl, "%s:%ld: expected JSON or TOPIC<tab>JSON; "
			    "skipped", name, lineno);
			return;
		}
		*tab = '\0';
		if (ts_topic_parse(line, &top, &why) < 0) {
			a->bad++;
			ts_warn_rl(&a->bad_rl, "%s:%ld: bad topic '%s': %s; skipped",
			    name, lineno, line, why);
			return;
		}
		/* book and status lines among trades are normal in a pipeline
		 * (ts-feed --stdout): not for us, not an error */
		if (strcmp(top.kind, "trades")) {
			a->other++;
			return;
		}
		json = tab + 1;
	}
	if (ts_candle_parse_trade(json, (size_t)(line + len - json), &tr, &why) < 0) {
		a->bad++;
		ts_warn_rl(&a->bad_rl, "%s:%ld: not a trade: %s; skipped", name, lineno, why);
		return;
	}
	if (!tr.ex[0])
		snprintf(tr.ex, sizeof tr.ex, "%s", top.ex);
	if (!tr.sym[0])
		snprintf(tr.sym, sizeof tr.sym, "%s", top.sym);
	if (!ts_ex_valid(tr.ex) || !ts_sym_valid(tr.sym)) {
		a->bad++;
		ts_warn_rl(&a->bad_rl, "%s:%ld: bad or missing \"ex\"/\"sym\"; skipped",
		    name, lineno);
		return;
	}
	m = market_get(a, tr.ex, tr.sym, &created);
	if (created)
		for (int k = 0; k < a->ntfs; k++)
			tf_add(a, m, a->tfs[k]);
	apply_trade(a, m, &tr);
}

static void
filter_flush(struct app *a)
{
	if (fflush(a->out) == EOF)
		out_failed = 1;
}

/* How long the filter may wait for input before a conflated update is due
 * (poll's milliseconds; -1: nothing is due). */
static int
filter_wait_ms(struct app *a)
{
	int64_t mono = ts_mono_us(), next = INT64_MAX;
	size_t i = 0;
	struct ts_map_entry *e;

	if (!a->updates || !a->gap_us)
		return -1;
	while ((e = ts_map_next(&a->markets, &i))) {
		struct market *m = e->v.p;
		for (int k = 0; k < TS_TF_COUNT; k++) {
			struct tfctx *t = m->tf[k];
			if (t && t->dirty && t->s.has && t->last_pub + a->gap_us - mono < next)
				next = t->last_pub + a->gap_us - mono;
		}
	}
	if (next == INT64_MAX)
		return -1;
	return next <= 0 ? 0 : (int)((next + 999) / 1000);
}

/* Trades in, candles out, as the input comes: a closed candle is written
 * when the trade that closes it is read, the open one (with -u) after each
 * trade from a file or at most RATE times a second from a pipe or terminal,
 * and whatever is buffered goes out whenever the input goes idle. At the
 * end of input or on SIGINT/SIGTERM the open candles are written too. */
static int
run_filter(struct app *a, int fd, const char *name)
{
	struct sigaction sa = { .sa_handler = on_filter_signal };
	char *buf = NULL, *p, *nl;
	size_t cap = 0, len = 0, i;
	long lineno = 0;
	int eof = 0;
	struct ts_map_entry *e;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!eof && !filter_stop && !out_failed) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int r = poll(&pfd, 1, 0);

		if (r == 0) {
			/* the input is idle: what we have goes out now */
			if (a->updates && a->gap_us)
				flush_dirty(a, ts_mono_us());
			filter_flush(a);
			r = poll(&pfd, 1, filter_wait_ms(a));
			if (r == 0)
				continue; /* an update is due */
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ts_die_errno(TS_EXIT_TEMP, "cannot poll '%s'", name);
		}
		ts_xgrow((void **)&buf, &cap, len + 65536 + 1, 1);
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			ts_die_errno(TS_EXIT_TEMP, "cannot read '%s'", name);
		}
		if (n == 0) {
			eof = 1;
			if (len > 0 && buf[len - 1] != '\n')
				buf[len++] = '\n'; /* a last line without its newline */
		}
		len += (size_t)n;
		p = buf;
		while ((nl = memchr(p, '\n', len - (size_t)(p - buf)))) {
			*nl = '\0';
			filter_line(a, p, (size_t)(nl - p), name, ++lineno);
			p = nl + 1;
		}
		len -= (size_t)(p - buf);
		memmove(buf, p, len);
	}
	free(buf);
	if (a->verbose)
		ts_info("'%s': %ld lines: %" PRIu64 " trades, %" PRIu64 " of other topics "
		    "(skipped), %" PRIu64 " bad", name, lineno, a->trades, a->other, a->bad);
	/* the candles still open at the end of input */
	i = 0;
	while ((e = ts_map_next(&a->markets, &i))) {
		struct market *m = e->v.p;
		for (int k = 0; k < TS_TF_COUNT; k++)
			if (m->tf[k] && m->tf[k]->s.has)
				emit(a, m->tf[k], &m->tf[k]->s.cur);
	}
	filter_flush(a);
	if (out_failed && errno != EPIPE)
		ts_die_errno(TS_EXIT_TEMP, "cannot write to stdout");
	return 0;
}

/* ---- bus mode ---- */

static void
flush_dirty(struct app *a, int64_t mono)
{
	size_t i = 0;
	struct ts_map_entry *e;

	while ((e = ts_map_next(&a->markets, &i))) {
		struct market *m = e->v.p;
		for (int k = 0; k < TS_TF_COUNT; k++) {
			struct tfctx *t = m->tf[k];
			if (!t || !t->dirty || !t->s.has)
				continue;
			if (a->gap_us && mono - t->last_pub < a->gap_us)
				continue;
			emit(a, t, &t->s.cur);
			t->dirty = 0;
			t->last_pub = mono;
		}
	}
}

static void on_timer(struct ts_loop *l, unsigned id, void *arg);
static void market_live(struct app *a, struct market *m);

/* One timer, set to the nearest deadline: a candle's end (plus grace) or a
 * conflated update that is due. */
static void
schedule(struct app *a)
{
	int64_t now = ts_now_us(), mono = ts_mono_us(), next = INT64_MAX;
	size_t i = 0;
	struct ts_map_entry *e;

	while ((e = ts_map_next(&a->markets, &i))) {
		struct market *m = e->v.p;
		for (int k = 0; k < TS_TF_COUNT; k++) {
			struct tfctx *t = m->tf[k];
			int64_t d;
			if (!t || !t->s.has)
				continue;
			d = ts_candle_end(&t->s) + a->grace_us - now;
			if (d < next)
				next = d;
			if (t->dirty) {
				d = t->last_pub + a->gap_us - mono;
				if (d < next)
					next = d;
			}
		}
	}
	if (a->timer)
		ts_loop_cancel(a->l, a->timer);
	a->timer = 0;
	if (next != INT64_MAX)
		a->timer = ts_loop_timer(a->l, next > 0 ? next : 0, 0, on_timer, a);
}

static void
on_timer(struct ts_loop *l, unsigned id, void *arg)
{
	struct app *a = arg;
	int64_t now = ts_now_us() - a->grace_us;
	size_t i = 0;
	struct ts_map_entry *e;

	(void)l, (void)id;
	a->timer = 0;
	while ((e = ts_map_next(&a->markets, &i))) {
		struct market *m = e->v.p;
		for (int k = 0; k < TS_TF_COUNT; k++)
			if (m->tf[k] && !m->tf[k]->load)
				ts_candle_advance(&m->tf[k]->s, now, on_closed, m->tf[k]);
	}
	flush_dirty(a, ts_mono_us());
	schedule(a);
}

static void
on_trades(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct app *a = arg;
	struct ts_msg msg;
	int n = 0;
	int64_t now = ts_now_us(); /* one clock read for the batch */

	(void)l, (void)fd, (void)rev;
	for (; n < 10000; n++) {
		struct ts_map_entry *e;
		struct ts_candle_trade tr;
		const char *why;

		if (ts_msg_recv(sock, &msg, ZMQ_DONTWAIT) < 0) {
			if (errno == EPROTO)
				continue;
			break;
		}
		e = ts_map_get(&a->markets, msg.topic);
		if (!e) {
			/* a prefix match (BTC-USDT for BTC-USD) or a dropped market */
			a->other++;
			ts_msg_close(&msg);
			continue;
		}
		if (ts_candle_parse_trade(msg.data, msg.len, &tr, &why) < 0 ||
		    (ts_time_ahead(tr.ts, now) && (why = "\"ts\" is far in the future"))) {
			a->bad++;
			ts_warn_rl(&a->bad_rl, "bad trade on '%s': %s; skipped (%" PRIu64
			    " so far)", msg.topic, why, a->bad);
		} else {
			struct market *m = e->v.p;
			if (!m->live)
				market_live(a, m);
			apply_trade(a, m, &tr);
		}
		ts_msg_close(&msg);
	}
	flush_dirty(a, ts_mono_us());
	schedule(a);
}

static const char *
rest_base(struct app *a, const char *ex)
{
	struct ts_map_entry *e = ts_map_get(&a->rest, ex);

	return e ? e->v.p : NULL;
}

/* ---- history: ts-store, then REST, without blocking ---- */

static void
load_free(struct app *a, struct load *ld)
{
	if (ld->req) {
		ts_loop_del(a->l, ld->req, -1);
		ts_bus_close(&ld->req);
	}
	if (ld->store_timer)
		ts_loop_cancel(a->l, ld->store_timer);
	if (ld->retry_timer)
		ts_loop_cancel(a->l, ld->retry_timer);
	if (ld->http)
		chttp_cancel(a->http, ld->http);
	if (ld->planned)
		ts_klines_plan_free(&ld->plan);
	free(ld->stored);
	free(ld);
}

/* A load of m ended: with none left, the trades kept for them go. */
static void
market_load_ended(struct market *m)
{
	if (--m->loading == 0) {
		m->nbuf = 0;
		m->buf_dropped = 0;
	}
}

static void
load_cancel(struct app *a, struct tfctx *t)
{
	ts_debug("'%s': history load abandoned", t->topic);
	load_free(a, t->load);
	t->load = NULL;
	market_load_ended(t->m);
}

/* The history is in (n may be 0: none): load it, publish the batch, then
 * apply the trades that came meanwhile, as live ones. */
static void
load_finish(struct app *a, struct tfctx *t, const struct ts_candle *c, size_t n,
    const char *source)
{
	struct market *m = t->m;
	struct load *ld = t->load;

	if (n > 0)
		ts_candle_series_load(&t->s, c, n, ld->cut);
	ts_debug("'%s': %zu candles of history (%s)", t->topic,
	    t->s.len + (t->s.has ? 1 : 0), source);
	t->load = NULL;
	publish_history(a, t);
	for (size_t i = 0; i < m->nbuf; i++)
		apply_one(a, t, &m->buf[i]);
	if (m->buf_dropped)
		ts_warn("'%s': %" PRIu64 " trades that came while its history loaded "
		    "were not kept", t->topic, m->buf_dropped);
	market_load_ended(m);
	flush_dirty(a, ts_mono_us());
	schedule(a);
	load_free(a, ld); /* last: c may point into it */
}

/* The stored run, then the REST candles from where it ends. */
static void
join_and_finish(struct app *a, struct tfctx *t, struct ts_candle *rest, size_t nrest)
{
	struct load *ld = t->load;
	struct ts_candle *all;
	size_t n = ld->nstored;

	if (ld->nstored == 0) {
		load_finish(a, t, rest, nrest, "REST");
		return;
	}
	all = ts_xmalloc((ld->nstored + nrest + 1) * sizeof *all);
	memcpy(all, ld->stored, ld->nstored * sizeof *all);
	for (size_t i = 0; i < nrest; i++)
		if (rest[i].t >= ld->from)
			all[n++] = rest[i];
	load_finish(a, t, all, n, nrest ? "ts-store and REST" : "ts-store");
	free(all);
}

static void rest_next(struct app *a, struct tfctx *t);
static void on_rest_retry(struct ts_loop *l, unsigned id, void *arg);

static void
rest_failed(struct app *a, struct tfctx *t, const char *err)
{
	struct load *ld = t->load;

	if (ld->nstored && ld->from == ld->open) {
		/* the store has every closed candle: only the open one's trades
		 * before the cut are missing */
		ts_warn("'%s': %s; history from ts-store, the open candle from live "
		    "trades only", t->topic, err);
		join_and_finish(a, t, NULL, 0);
		return;
	}
	ts_warn("'%s': no history: %s", t->topic, err);
	load_finish(a, t, NULL, 0, "none");
}

static void
on_rest_reply(void *arg, const struct chttp_result *res)
{
	struct tfctx *t = arg;
	struct load *ld = t->load;
	struct app *a = t->m->app;
	char err[1400];
	long wait;
	int r;

	ld->http = NULL;
	if (res->status == 0) {
		snprintf(err, sizeof err, "cannot get '%s': %s", ld->url, res->err);
		rest_failed(a, t, err);
		return;
	}
	r = ts_klines_plan_reply(&ld->plan, ld->url, res->status, res->body, res->len,
	    res->retry_after, ld->attempt, &wait, err, sizeof err);
	if (r < 0) {
		rest_failed(a, t, err);
	} else if (r == 1) {
		ld->attempt++;
		ld->retry_timer = ts_loop_timer(a->l, wait * TS_US_PER_SEC, 0,
		    on_rest_retry, t);
	} else {
		ld->attempt = 0;
		rest_next(a, t);
	}
}

static void
on_rest_retry(struct ts_loop *l, unsigned id, void *arg)
{
	struct tfctx *t = arg;

	(void)l, (void)id;
	t->load->retry_timer = 0;
	t->load->http = chttp_get(t->m->app->http, t->load->url, REST_TIMEOUT_MS,
	    on_rest_reply, t);
}

static void
rest_next(struct app *a, struct tfctx *t)
{
	struct load *ld = t->load;
	char err[300];
	int r = ts_klines_plan_next(&ld->plan, ld->url, sizeof ld->url, err, sizeof err);

	if (r == 1) {
		ld->http = chttp_get(a->http, ld->url, REST_TIMEOUT_MS, on_rest_reply, t);
	} else if (r == 0) {
		struct ts_candle *c;
		size_t n;
		ts_klines_plan_finish(&ld->plan, &c, &n);
		join_and_finish(a, t, c, n);
		free(c);
	} else {
		rest_failed(a, t, err);
	}
}

/* What the store gave (maybe nothing) is known: decide what REST fetches. */
static void
rest_start(struct app *a, struct tfctx *t)
{
	struct load *ld = t->load;
	char err[300];
	size_t keep;

	ld->from = ts_klines_join_point(ld->stored, ld->nstored, t->s.tf_us, ld->start,
	    ld->open, HISTORY_LEAD * t->s.tf_us, ld->kx != NULL, &keep);
	ld->nstored = keep;
	if (!ld->kx) {
		const struct ts_klines_ex *kx = ts_klines_find(t->m->ex);
		char why[120];

		if (kx)
			snprintf(why, sizeof why, "%s serves no candles that build %s",
			    kx->name, ts_tf_names[t->tf]);
		else
			snprintf(why, sizeof why, "no REST candle endpoint for '%s'", t->m->ex);
		if (ld->from < 0) {
			ts_info("'%s': %s; live candles only", t->topic, why);
			load_finish(a, t, NULL, 0, "none");
		} else {
			ts_info("'%s': %s; history from ts-store, the open candle from "
			    "live trades", t->topic, why);
			join_and_finish(a, t, NULL, 0);
		}
		return;
	}
	if (ts_klines_plan_init(&ld->plan, ld->kx, rest_base(a, t->m->ex), t->m->sym,
	    t->s.tf_us, ld->cut, (size_t)((ld->open + t->s.tf_us - ld->from) / t->s.tf_us),
	    err, sizeof err) < 0) {
		rest_failed(a, t, err);
		return;
	}
	ld->planned = 1;
	rest_next(a, t);
}

static void
store_close(struct app *a, struct load *ld)
{
	ts_loop_del(a->l, ld->req, -1);
	ts_bus_close(&ld->req);
	if (ld->store_timer)
		ts_loop_cancel(a->l, ld->store_timer);
	ld->store_timer = 0;
}

static void
on_store_timeout(struct ts_loop *l, unsigned id, void *arg)
{
	struct tfctx *t = arg;
	struct app *a = t->m->app;

	(void)l, (void)id;
	t->load->store_timer = 0;
	ts_debug("'%s': no answer from ts-store at '%s' within %" PRId64 "ms",
	    t->topic, a->ep.history, a->store_wait_us / 1000);
	store_close(a, t->load);
	rest_start(a, t);
}

/* Parse a store reply into ld->stored. 0, or -1 with *why. */
static int
store_parse(struct load *ld, const char *body, size_t len, const char **why)
{
	struct ts_jval root, v, arr, el;
	struct ts_jiter it;
	size_t cap = 0;
	static char msg[200];

	if (ts_json_parse(body, len, &root, NULL) < 0 || root.type != TS_J_OBJ) {
		*why = "reply is not a JSON object";
		return -1;
	}
	if (ts_json_get(&root, "type", &v) < 0 || !ts_json_str_eq(&v, "history")) {
		if (ts_json_get_str(&root, "error", msg, sizeof msg) > 0)
			*why = msg;
		else
			*why = "reply is not a history";
		return -1;
	}
	if (ts_json_get(&root, "candles", &arr) < 0 || arr.type != TS_J_ARR) {
		*why = "reply has no \"candles\" array";
		return -1;
	}
	ts_json_iter(&it, &arr);
	while (ts_json_next(&it, NULL, &el)) {
		ts_xgrow((void **)&ld->stored, &cap, ld->nstored + 1, sizeof *ld->stored);
		if (ts_candle_parse(&el, &ld->stored[ld->nstored], why) < 0) {
			ld->nstored = 0;
			return -1;
		}
		ld->nstored++;
	}
	return 0;
}

static void
on_store_reply(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct tfctx *t = arg;
	struct load *ld = t->load;
	struct app *a = t->m->app;
	const char *why;
	zmq_msg_t msg;

	(void)l, (void)fd, (void)rev;
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&msg);
		return;
	}
	if (store_parse(ld, zmq_msg_data(&msg), zmq_msg_size(&msg), &why) < 0)
		ts_warn("'%s': bad history from ts-store at '%s': %s; using REST",
		    t->topic, a->ep.history, why);
	else
		ts_debug("'%s': %zu candles from ts-store", t->topic, ld->nstored);
	zmq_msg_close(&msg);
	store_close(a, ld);
	rest_start(a, t);
}

/* Ask ts-store first, when one may be there. */
static int
store_ask(struct app *a, struct tfctx *t)
{
	struct load *ld = t->load;
	struct ts_jw w = { 0 };
	int zero = 0;

	if (!a->store_wait_us || !a->ep.history[0])
		return -1;
	/* no socket file: no ts-store on this bus, no need to wait for it */
	if (!a->ep.tcp && access(a->ep.history + 6, F_OK) < 0)
		return -1;
	if (!(ld->req = zmq_socket(ts_bus_ctx(), ZMQ_REQ)))
		return -1;
	zmq_setsockopt(ld->req, ZMQ_LINGER, &zero, sizeof zero);
	ts_bus_secure(ld->req, 0); /* CURVE when the tcp bus has keys */
	ts_jw_obj(&w);
	ts_jw_kstr(&w, "topic", t->topic);
	ts_jw_ki64(&w, "since", ld->start);
	ts_jw_ki64(&w, "until", ld->open);
	ts_jw_ki64(&w, "limit", (int64_t)ld->count);
	ts_jw_obj_end(&w);
	if (zmq_connect(ld->req, a->ep.history) < 0 ||
	    zmq_send(ld->req, w.buf, w.len, ZMQ_DONTWAIT) < 0) {
		ts_debug("cannot ask ts-store at '%s': %s", a->ep.history, zmq_strerror(errno));
		ts_bus_close(&ld->req);
		ts_jw_free(&w);
		return -1;
	}
	ts_jw_free(&w);
	ts_loop_add(a->l, ld->req, -1, ZMQ_POLLIN, on_store_reply, t);
	ld->store_timer = ts_loop_timer(a->l, a->store_wait_us, 0, on_store_timeout, t);
	return 0;
}

static void
load_history(struct app *a, struct tfctx *t)
{
	const struct ts_klines_ex *kx = ts_klines_find(t->m->ex);
	struct load *ld = ts_xcalloc(1, sizeof *ld);

	ld->t = t;
	/* trades before the cut are in the history; those after it come live
	 * (the trades subscription was made before this request) */
	ld->cut = ts_now_us();
	ld->open = ts_tf_align(ld->cut, t->s.tf_us);
	/* a few candles more than wanted: an exchange that omits empty
	 * intervals (Coinbase) may leave the oldest ones out, and the flat
	 * candles that fill them need the close before them */
	ld->count = a->hist_n + HISTORY_LEAD;
	ld->start = ld->open + t->s.tf_us - (int64_t)ld->count * t->s.tf_us;
	if (kx && ts_klines_source(kx, t->tf) >= 0)
		ld->kx = kx;
	t->load = ld;
	t->m->loading++;
	if (store_ask(a, t) < 0)
		rest_start(a, t);
}

/* The market's trades flow (or WARMUP_US passed): start loading the
 * history of the timeframes that wait for it. Trades queued meanwhile are
 * older than the cut and in the history. */
static void
market_live(struct app *a, struct market *m)
{
	m->live = 1;
	if (m->warmup_timer)
		ts_loop_cancel(a->l, m->warmup_timer);
	m->warmup_timer = 0;
	for (int k = 0; k < TS_TF_COUNT; k++) {
		struct tfctx *t = m->tf[k];
		if (!t || !t->pending)
			continue;
		t->pending = 0;
		load_history(a, t); /* publishes it when it is in */
	}
}

static void
on_warmup(struct ts_loop *l, unsigned id, void *arg)
{
	struct market *m = arg;

	(void)l, (void)id;
	m->warmup_timer = 0;
	if (!m->live) {
		ts_debug("'%s': no trade yet; fetching history anyway", m->trades_topic);
		market_live(m->app, m);
		schedule(m->app);
	}
}

static void
on_want(struct app *a, const char *topic, int on)
{
	struct ts_topic tp;
	struct ts_map_entry *e;
	struct market *m;
	const char *why;
	int tf = -1, created;

	if (strncmp(topic, "candles/", 8))
		return; /* someone else's topic (our own trades subscription too) */
	if (ts_topic_parse(topic, &tp, &why) < 0) {
		ts_debug("ignoring subscription '%s': %s", topic, why);
		return;
	}
	for (int i = 0; i < TS_TF_COUNT; i++)
		if (!strcmp(tp.tf, ts_tf_names[i]))
			tf = i;
	if (!on) {
		char key[TS_TOPIC_MAX];
		ts_topic_build(key, sizeof key, "trades", tp.ex, tp.sym, NULL);
		if (!(e = ts_map_get(&a->markets, key)))
			return;
		m = e->v.p;
		ts_info("'%s' has no subscriber: dropped", topic);
		tf_free(m, tf);
		if (m->ntf == 0) {
			if (m->warmup_timer)
				ts_loop_cancel(a->l, m->warmup_timer);
			ts_bus_unsubscribe(a->sub, m->trades_topic);
			ts_map_del(&a->markets, key);
			free(m->buf);
			free(m);
		}
		schedule(a);
		return;
	}
	m = market_get(a, tp.ex, tp.sym, &created);
	if (created) {
		ts_info("subscribing to '%s'", m->trades_topic);
		ts_bus_subscribe(a->sub, m->trades_topic);
		m->app = a;
		if (a->hist_n)
			m->warmup_timer = ts_loop_timer(a->l, WARMUP_US, 0, on_warmup, m);
		else
			m->live = 1;
	}
	if (m->tf[tf]) {
		/* another subscriber of a topic we produce: it gets history
		 * (now, or with everyone when the loading one is in) */
		if (a->hist_n && !m->tf[tf]->pending && !m->tf[tf]->load)
			publish_history(a, m->tf[tf]);
		return;
	}
	ts_info("producing '%s'", topic);
	tf_add(a, m, tf);
	if (a->hist_n) {
		if (m->live) {
			load_history(a, m->tf[tf]);
		} else {
			m->tf[tf]->pending = 1;
		}
	}
	schedule(a);
}

static void
on_xpub(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct app *a = arg;
	char topic[TS_TOPIC_MAX + 8];
	int on;

	(void)l, (void)fd, (void)rev;
	for (;;) {
		int r = ts_bus_sub_event(sock, topic, sizeof topic, &on, ZMQ_DONTWAIT);
		if (r < 0)
			break;
		if (r == 0)
			on_want(a, topic, on);
	}
}

static void
on_stop(struct ts_loop *l, int signo, void *arg)
{
	(void)signo, (void)arg;
	ts_loop_stop(l);
}

static void
parse_tfs(struct app *a, const char *list)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof buf, "%s", list);
	a->ntfs = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int tf = -1;
		for (int i = 0; i < TS_TF_COUNT; i++)
			if (!strcmp(tok, ts_tf_names[i]))
				tf = i;
		if (tf < 0)
			ts_usage_error(NULL, "bad timeframe '%s' (one of 1s 5s 15s 1m 3m 5m "
			    "15m 30m 1h 2h 4h 6h 12h 1d 1w)", tok);
		for (int i = 0; i < a->ntfs; i++)
			if (a->tfs[i] == tf)
				tf = -1;
		if (tf >= 0)
			a->tfs[a->ntfs++] = tf;
	}
	if (!a->ntfs)
		ts_usage_error(NULL, "no timeframe in '%s'", list);
}

static void
add_rest(struct app *a, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char ex[40];
	size_t n;
	char *url;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof ex)
		ts_usage_error(NULL, "bad --rest '%s': expected EXCHANGE=URL", arg);
	memcpy(ex, arg, (size_t)(eq - arg));
	ex[eq - arg] = '\0';
	if (!ts_klines_find(ex))
		ts_usage_error(NULL, "bad --rest '%s': no REST candle endpoint for '%s'",
		    arg, ex);
	if (strncmp(eq + 1, "http://", 7) && strncmp(eq + 1, "https://", 8))
		ts_usage_error(NULL, "bad --rest '%s': URL must start with http:// or "
		    "https://", arg);
	url = ts_xstrdup(eq + 1);
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	{
		struct ts_map_entry *e = ts_map_put(&a->rest, ex, NULL);
		free(e->v.p);
		e->v.p = url;
	}
}

static void
free_all(struct app *a)
{
	size_t i = 0;
	struct ts_map_entry *e;

	while ((e = ts_map_next(&a->markets, &i))) {
		struct market *m = e->v.p;
		for (int k = 0; k < TS_TF_COUNT; k++)
			tf_free(m, k);
		free(m->buf);
		free(m);
	}
	ts_map_clear(&a->markets);
	i = 0;
	while ((e = ts_map_next(&a->rest, &i)))
		free(e->v.p);
	ts_map_clear(&a->rest);
	ts_map_clear(&a->seqs);
	ts_jw_free(&a->w);
}

int
main(int argc, char **argv)
{
	enum { OPT_REST = 256, OPT_INSECURE, OPT_STDIN };
	static const struct option opts[] = {
		{ "bus", required_argument, NULL, 'B' },
		{ "history", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "grace", required_argument, NULL, 'g' },
		{ "store-wait", required_argument, NULL, 'S' },
		{ "rest", required_argument, NULL, OPT_REST },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ "stdin", no_argument, NULL, OPT_STDIN },
		{ "timeframes", required_argument, NULL, 't' },
		{ "topic", no_argument, NULL, 'T' },
		{ "updates", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	struct app a = {
		.hist_n = 500,
		.gap_us = TS_US_PER_SEC / 10,
		.grace_us = 250000,
		.store_wait_us = 300000,
		.bad_rl = TS_RATELIMIT_INIT(1, 10),
		.late_rl = TS_RATELIMIT_INIT(1, 10),
	};
	const char *bus = NULL, *tfs = NULL;
	char err[256], *end;
	int o, insecure = 0, verbose = 1, rate_given = 0;
	long v;
	double rate;

	ts_log_init(argv[0]);
	the_app = &a;
	while ((o = getopt_long(argc, argv, "B:n:r:g:S:t:Tuvh", opts, NULL)) != -1) {
		switch (o) {
		case 'B': bus = optarg; break;
		case 'n':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 0 || v > 100000)
				ts_usage_error(NULL, "bad --history '%s' (0 to 100000)", optarg);
			a.hist_n = (size_t)v;
			break;
		case 'r':
			rate = strtod(optarg, &end);
			if (*end || end == optarg || rate < 0 || rate > 1e6)
				ts_usage_error(NULL, "bad --rate '%s'", optarg);
			a.gap_us = rate > 0 ? (int64_t)(1e6 / rate) : 0;
			rate_given = 1;
			break;
		case 'g':
			if (ts_duration_parse(optarg, &a.grace_us) < 0 || a.grace_us < 0 ||
			    a.grace_us > 60 * TS_US_PER_SEC)
				ts_usage_error(NULL, "bad --grace '%s' (0 to 60s)", optarg);
			break;
		case 'S':
			if (ts_duration_parse(optarg, &a.store_wait_us) < 0 ||
			    a.store_wait_us < 0 || a.store_wait_us > 60 * TS_US_PER_SEC)
				ts_usage_error(NULL, "bad --store-wait '%s' (0 to 60s)", optarg);
			break;
		case OPT_REST: add_rest(&a, optarg); break;
		case OPT_INSECURE: insecure = 1; break;
		case OPT_STDIN: a.filter = 1; break;
		case 't': tfs = optarg; break;
		case 'T': a.with_topic = 1; break;
		case 'u': a.updates = 1; break;
		case 'v': a.verbose = 1; break;
		case 'h': fputs(usage, stdout); free_all(&a); return 0;
		case 'V': ts_version(NULL);
		default: ts_usage_error(NULL, NULL);
		}
	}
	signal(SIGPIPE, SIG_IGN);

	if (a.filter) {
		const char *name = "stdin";
		int fd = 0;
		struct stat st;
		if (optind < argc) {
			name = argv[optind++];
			if (strcmp(name, "-") && (fd = open(name, O_RDONLY | O_CLOEXEC)) < 0)
				ts_die_errno(TS_EXIT_USAGE, "cannot open '%s'", name);
		}
		if (optind < argc)
			ts_usage_error(NULL, "unexpected argument '%s'", argv[optind]);
		parse_tfs(&a, tfs ? tfs : "1m");
		a.hist_n = 0;
		/* a file is read as fast as it goes: every update, the same
		 * output each time; a live input is conflated as on the bus */
		if (!rate_given && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			a.gap_us = 0;
		a.out = stdout;
		ts_stdout_buffered();
		run_filter(&a, fd, name);
		if (fd != 0)
			close(fd);
		free_all(&a);
		if (a.bad) {
			ts_warn("%" PRIu64 " invalid lines skipped", a.bad);
			return TS_EXIT_USAGE;
		}
		return 0;
	}

	if (tfs || a.with_topic || a.updates || a.verbose)
		ts_usage_error(NULL, "-t, -T, -u and -v belong to --stdin");
	if (optind < argc)
		ts_usage_error(NULL, "unexpected argument '%s'", argv[optind]);
	if (ts_bus_resolve(bus, &a.ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	if (!ts_bus_is_safe(&a.ep) && !insecure)
		ts_die(TS_EXIT_USAGE, "refusing a tcp bus on non-loopback '%s' without "
		    "CURVE keys (see ts-supervisor keygen; --insecure allows it "
		    "unencrypted)", a.ep.host);

	a.l = ts_loop_new();
	ts_loop_signal(a.l, SIGINT, on_stop, NULL);
	ts_loop_signal(a.l, SIGTERM, on_stop, NULL);
	a.http = chttp_new(a.l);
	a.pub.sock = ts_bus_producer(&a.ep);
	/* every subscription, repeats too: a second subscriber of a topic
	 * gets its own history batch */
	zmq_setsockopt(a.pub.sock, ZMQ_XPUB_VERBOSE, &verbose, sizeof verbose);
	a.sub = ts_bus_sub(&a.ep);
	ts_loop_add(a.l, a.pub.sock, -1, ZMQ_POLLIN, on_xpub, &a);
	ts_loop_add(a.l, a.sub, -1, ZMQ_POLLIN, on_trades, &a);

	if (ts_loop_run(a.l) < 0)
		ts_die_errno(TS_EXIT_TEMP, "poll failed");
	ts_info("stopping: %" PRIu64 " trades, %" PRIu64 " invalid, %" PRIu64
	    " candles published", a.trades, a.bad, a.pub.sent);
	free_all(&a); /* ends the loads: their sockets close before the context */
	chttp_free(&a.http);
	{
		int zero = 0;
		zmq_setsockopt(a.sub, ZMQ_LINGER, &zero, sizeof zero);
	}
	ts_bus_close(&a.sub);
	ts_bus_close(&a.pub.sock);
	ts_bus_term();
	ts_pub_clear(&a.pub);
	ts_loop_free(&a.l);
	return 0;
}
