/* ts-feed: one exchange's websocket and REST market data as normalized trades/ and book/ topics */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <zmq.h>

#include "bus.h"
#include "ex.h"
#include "http.h"
#include "log.h"
#include "path.h"
#include "loop.h"
#include "msg.h"
#include "tm.h"
#include "topic.h"
#include "wsc.h"

static const char usage[] =
"usage: ts-feed [-B ENDPOINT] [--stdout] [--url WSBASE] [--rest RESTBASE]\n"
"               [--channels LIST] [--watchdog SECONDS] [--stats] [--insecure]\n"
"               [-o NAME=VALUE]... EXCHANGE [SYMBOL...]\n"
"       ts-feed --list [--rest RESTBASE] [-o NAME=VALUE]... EXCHANGE\n"
"\n"
"Connect to EXCHANGE's websocket and REST APIs and publish normalized\n"
"trades/EXCHANGE/SYMBOL and book/EXCHANGE/SYMBOL messages, and its health\n"
"on status/feed/EXCHANGE. On the bus a channel opens when its topic gains\n"
"its first subscriber and closes when it loses its last; the SYMBOLs\n"
"(canonical BASE-QUOTE, BASE-QUOTE-PERP or BASE-QUOTE-YYMMDD) are always\n"
"open, both trades and book. --list prints what can be subscribed.\n"
"\n"
"  -B ENDPOINT        bus directory, ipc://DIR or tcp://HOST:PORT\n"
"      --stdout       write TOPIC<tab>JSON lines to stdout instead of the bus\n"
"      --url WSBASE   ws://HOST:PORT or wss://HOST[:PORT] replacing the\n"
"                     exchange's websocket scheme, host and port\n"
"      --rest RESTBASE  http://HOST:PORT or https://HOST[:PORT] for REST\n"
"      --channels LIST  what SYMBOLs open: trades, book or trades,book\n"
"                     (the default)\n"
"      --watchdog SECONDS  reconnect after this long without data\n"
"                     (default 10 for coinbase and kraken, 60 for binance,\n"
"                     30 for bybit)\n"
"  -o, --option NAME=VALUE  an exchange's own option (repeatable); binance:\n"
"                     trades=agg takes aggregated trades (aggTrade, ids from\n"
"                     \"a\") instead of every trade (trades=trade, the default)\n"
"                     bybit: depth=1|50|200|1000 book levels (1000, the default)\n"
"                     kraken: depth=10|25|100|500|1000 book levels (1000)\n"
"      --list         print the SYMBOLs of EXCHANGE's instrument list (or of\n"
"                     its cached copy), one a line, sorted, and exit\n"
"      --stats        print messages, CPU time, peak RSS and processing\n"
"                     latency percentiles on stderr at exit\n"
"      --insecure     allow a tcp bus on a non-loopback address\n"
"  -h, --help         show this help\n"
"      --version      show the version\n"
"\n"
"Exchanges: coinbase, binance, bybit, kraken.\n"
"\n"
"Exit status: 0 on SIGINT or SIGTERM; 100 usage error, unknown exchange,\n"
"bad URL, or no SYMBOL given is known; 111 the instrument list cannot be\n"
"fetched (network, host unreachable) or another system error.\n";

/* A base URL: scheme, host and port. */
struct base {
	int tls;
	char host[256];
	int port;
	char text[300];
};

struct outmsg {
	char *p;
	size_t n;
};

enum { C_IDLE, C_CONNECTING, C_OPEN };

struct rreq {
	CURL *h;
	struct fsym *s;
	int kind, attempts;
	char url[600];
	struct ts_http_body b; /* kept across retries */
	int64_t due;
	struct rreq *next;
};

/* One websocket connection (an adapter may keep several: conn_of). */
struct conn {
	struct app *a;
	int idx;
	struct wsc w;       /* ours (wsc.c), its socket polled by the loop */
	int sockfd;         /* the socket the loop watches, -1 for none */
	int cstate, attempts, reconnect_now;
	int64_t last_rx, opened_at, last_ping;
	uint64_t rx_seen;   /* w.frames at the last watchdog */
	struct outmsg *q;
	size_t nq, capq, qhead;
	double tokens;
	int64_t tok_t;
	char path[4096];
	/* one-shot timers (0: not set) */
	unsigned t_reconnect, t_send, t_maxconn;
};

struct app {
	struct feed f;
	const struct ex_adapter *ex;
	struct base ws, rest;
	int instruments_cached; /* the list came from the cache, not the exchange */
	struct ts_loop *loop;
	struct conn c[FEED_CONN_MAX];
	int nconn;
	int64_t watchdog_us;
	/* REST */
	CURLM *multi;
	struct rreq *pending, *active;
	int64_t rest_block_until, rest_last;
	/* the bus, or stdout */
	int to_stdout;
	void *xpub;
	struct ts_map pinned; /* canonical -> CH_ bits given on the command line */
	uint64_t emitted, dropped;
	unsigned t_rest;
	/* --stats */
	int stats;
	uint64_t lat_hist[64], lat_n;
	double cpu_at_open;   /* CPU seconds when the first connection opened, -1 before */
};

static struct app A;
static int stopping; /* set through the loop (signals reach it by its self-pipe) or on EPIPE */

static void
stop_now(struct app *a)
{
	stopping = 1;
	ts_loop_stop(a->loop);
}

static void
on_signal(struct ts_loop *l, int signo, void *arg)
{
	(void)l, (void)signo;
	stop_now(arg);
}

/* (Re)arm the one-shot timer *id to fire after after_us with arg; fn NULL cancels. */
static void
timer_set(struct app *a, unsigned *id, int64_t after_us, ts_timer_fn *fn, void *arg)
{
	if (*id)
		ts_loop_cancel(a->loop, *id);
	*id = fn ? ts_loop_timer(a->loop, after_us, 0, fn, arg) : 0;
}

static int
parse_base(const char *s, const char *plain, const char *tls, struct base *b)
{
	const char *p, *h, *colon, *end;
	size_t n;

	memset(b, 0, sizeof *b);
	if (!strncmp(s, tls, strlen(tls)) && !strncmp(s + strlen(tls), "://", 3)) {
		b->tls = 1;
		p = s + strlen(tls) + 3;
	} else if (!strncmp(s, plain, strlen(plain)) && !strncmp(s + strlen(plain), "://", 3)) {
		p = s + strlen(plain) + 3;
	} else {
		return -1;
	}
	h = p;
	end = p + strcspn(p, "/?#");
	if (*end && strcmp(end, "/"))
		return -1; /* only the scheme, host and port are replaced */
	colon = memchr(h, ':', (size_t)(end - h));
	n = (size_t)((colon ? colon : end) - h);
	if (n == 0 || n >= sizeof b->host)
		return -1;
	memcpy(b->host, h, n);
	for (size_t i = 0; i < n; i++)
		if (!(b->host[i] == '.' || b->host[i] == '-' ||
		    (b->host[i] >= '0' && b->host[i] <= '9') ||
		    (b->host[i] >= 'a' && b->host[i] <= 'z') ||
		    (b->host[i] >= 'A' && b->host[i] <= 'Z')))
			return -1;
	b->port = b->tls ? 443 : 80;
	if (colon) {
		char *e;
		long port = strtol(colon + 1, &e, 10);
		if (e != end || port <= 0 || port > 65535)
			return -1;
		b->port = (int)port;
	}
	snprintf(b->text, sizeof b->text, "%s://%s:%d", b->tls ? tls : plain, b->host, b->port);
	return 0;
}

/* output */

static void
emit(void *ctx, const char *topic, const char *json, size_t n)
{
	struct app *a = ctx;

	if (a->to_stdout) {
		/* one thread: stdio without its lock on every call */
		if (fputs_unlocked(topic, stdout) == EOF || putchar_unlocked('\t') == EOF ||
		    fwrite_unlocked(json, 1, n, stdout) != n || putchar_unlocked('\n') == EOF) {
			if (errno == EPIPE) {
				stop_now(a);
				return;
			}
			ts_die_errno(TS_EXIT_TEMP, "cannot write to stdout");
		}
		a->emitted++;
		return;
	}
	if (ts_msg_send(a->xpub, topic, json, n, ZMQ_DONTWAIT) < 0) {
		a->dropped++;
		a->f.bus_dropped++;
		ts_warn_rl(&a->f.rl, "the bus refused a message on '%s' (%s): dropped", topic,
		    zmq_strerror(errno));
	}
	else
		a->emitted++;
}

/* the websocket connections */

static void schedule_connect(struct conn *c, int64_t delay_us);
static void on_send_timer(struct ts_loop *l, unsigned id, void *arg);
static void on_sock(struct ts_loop *l, void *sock, int fd, short revents, void *arg);

/* The feed core's events of connection c: f->conn names it. */
static struct feed *
feed_of(struct conn *c)
{
	c->a->f.conn = c->idx;
	return &c->a->f;
}

/* 1 when a symbol that connection c carries is wanted. */
static int
conn_wanted(struct conn *c)
{
	struct feed *f = &c->a->f;

	for (size_t i = 0; i < f->nsym; i++)
		if (f->symv[i]->want && f->symv[i]->conn == c->idx)
			return 1;
	return 0;
}

/* Keep the loop watching the connection's socket: a new one added, an old
 * one dropped, output asked for when wsc wants it (or wants to be called
 * again at once: a socket that can be written wakes the loop). */
static void
sync_sock(struct conn *c)
{
	struct app *a = c->a;

	if (c->sockfd != c->w.fd) {
		if (c->sockfd >= 0)
			ts_loop_del(a->loop, NULL, c->sockfd);
		c->sockfd = c->w.fd;
	}
	if (c->sockfd >= 0)
		ts_loop_add(a->loop, NULL, c->sockfd,
		    (short)(ZMQ_POLLIN | (wsc_want_write(&c->w) ? ZMQ_POLLOUT : 0)), on_sock, c);
}

static void
queue_clear(struct conn *c)
{
	for (size_t i = c->qhead; i < c->nq; i++)
		free(c->q[i].p);
	c->nq = c->qhead = 0;
}

/* The most messages that may go at once. */
static double
burst(const struct ex_adapter *ex)
{
	return ex->ws_msgs_burst > 0 ? ex->ws_msgs_burst : ex->ws_msgs_per_sec;
}

/* Send what is queued as fast as the exchange's message rate limit allows. */
static void
pump_sends(struct conn *c)
{
	const struct ex_adapter *ex = c->a->ex;

	while (c->cstate == C_OPEN && c->qhead < c->nq) {
		int64_t now = ts_mono_us();
		struct outmsg *m;
		c->tokens += (double)(now - c->tok_t) * ex->ws_msgs_per_sec / 1e6;
		if (c->tokens > burst(ex))
			c->tokens = burst(ex);
		c->tok_t = now;
		if (c->tokens < 1) {
			timer_set(c->a, &c->t_send,
			    (int64_t)((1 - c->tokens) * 1e6 / ex->ws_msgs_per_sec) + 1000,
			    on_send_timer, c);
			break;
		}
		c->tokens -= 1;
		m = &c->q[c->qhead++];
		ts_debug("sending %.*s", (int)m->n, m->p);
		wsc_send_text(&c->w, m->p, m->n); /* a failure comes back as ws_closed */
		free(m->p);
	}
	if (c->qhead >= c->nq)
		c->qhead = c->nq = 0;
	sync_sock(c);
}

static void
conn_send(struct conn *c, const char *text, size_t n)
{
	if (c->cstate != C_OPEN)
		return; /* on_connect sends everything wanted again */
	ts_xgrow((void **)&c->q, &c->capq, c->nq + 1, sizeof *c->q);
	c->q[c->nq].p = ts_xmalloc(n);
	memcpy(c->q[c->nq].p, text, n);
	c->q[c->nq++].n = n;
	pump_sends(c);
}

static void
ws_send(void *ctx, const char *text, size_t n)
{
	struct app *a = ctx;

	conn_send(&a->c[a->f.conn], text, n);
}

static void
on_send_timer(struct ts_loop *l, unsigned id, void *arg)
{
	struct conn *c = arg;

	(void)l, (void)id;
	c->t_send = 0;
	pump_sends(c);
}

static int64_t
backoff_us(struct conn *c)
{
	int64_t d = INT64_C(250000) << (c->attempts < 7 ? c->attempts : 7);

	if (d > 30 * TS_US_PER_SEC)
		d = 30 * TS_US_PER_SEC;
	c->attempts++;
	/* jitter: half to all of it, so many clients do not return in step */
	return d / 2 + (int64_t)((double)(d / 2) * ((double)rand() / RAND_MAX));
}

/* Close the connection; now: connect again at once, not after a backoff. */
static void
begin_close(struct conn *c, const char *reason, int now)
{
	if (c->cstate == C_IDLE)
		return;
	c->reconnect_now = now;
	wsc_close(&c->w, reason); /* ws_closed does the rest */
	sync_sock(c);
}

static void
reconnect(void *ctx, const char *reason, int now)
{
	struct app *a = ctx;
	struct conn *c = &a->c[a->f.conn];

	if (c->cstate == C_OPEN)
		ts_info("reconnecting to '%s%s': %s", a->ws.text, c->path, reason);
	begin_close(c, reason, now);
}

static void
do_connect(struct conn *c)
{
	struct app *a = c->a;

	if (c->cstate != C_IDLE || stopping)
		return;
	if (!conn_wanted(c)) {
		if (!feed_any_wanted(&a->f))
			feed_status(&a->f, "idle", NULL, NULL);
		return; /* nothing runs that nobody is listening to */
	}
	a->ex->ws_path(feed_of(c), c->path, sizeof c->path);
	c->cstate = C_CONNECTING;
	ts_debug("connecting to '%s%s'", a->ws.text, c->path);
	wsc_connect(&c->w, a->ws.host, a->ws.port, a->ws.tls, c->path);
	sync_sock(c);
}

static void
on_reconnect_timer(struct ts_loop *l, unsigned id, void *arg)
{
	struct conn *c = arg;

	(void)l, (void)id;
	c->t_reconnect = 0;
	do_connect(c);
}

static void
schedule_connect(struct conn *c, int64_t delay_us)
{
	timer_set(c->a, &c->t_reconnect, delay_us, on_reconnect_timer, c);
}

static void
on_maxconn(struct ts_loop *l, unsigned id, void *arg)
{
	struct conn *c = arg;

	(void)l, (void)id;
	c->t_maxconn = 0;
	feed_of(c);
	reconnect(c->a, "connection age limit", 1);
}

/* every 250 ms */
static void
on_watchdog(struct ts_loop *l, unsigned id, void *arg)
{
	struct app *a = arg;
	int64_t now = ts_loop_now(l);

	(void)id;
	for (int i = 0; i < a->nconn; i++) {
		struct conn *c = &a->c[i];
		/* every frame counts, pings too; the time of the last is taken
		 * here, a clock read every 250 ms instead of one per frame */
		if (c->w.frames != c->rx_seen) {
			c->rx_seen = c->w.frames;
			c->last_rx = now;
		}
		if (c->cstate != C_OPEN)
			continue;
		/* a quiet connection is kept open by the exchange's text ping
		 * (its answer is a frame like any other) */
		if (a->ex->ping_text && now - c->last_rx >= a->ex->ping_us &&
		    now - c->last_ping >= a->ex->ping_us) {
			c->last_ping = now;
			ts_debug("sending %s", a->ex->ping_text);
			wsc_send_text(&c->w, a->ex->ping_text, strlen(a->ex->ping_text));
			sync_sock(c);
		}
		if (now - c->last_rx > a->watchdog_us) {
			char why[64];
			snprintf(why, sizeof why, "no data for %.1fs",
			    (double)(now - c->last_rx) / 1e6);
			ts_warn("'%s%s' went silent (%s); reconnecting", a->ws.text, c->path, why);
			feed_status(&a->f, NULL, "watchdog", why);
			begin_close(c, why, 0);
		}
	}
}

static void
record_latency(struct app *a, int64_t ns)
{
	int b = 0;

	while (ns > 1 && b < 63) {
		ns >>= 1;
		b++;
	}
	a->lat_hist[b]++;
	a->lat_n++;
}

static int64_t
mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static double
cpu_of(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
	    (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return cpu_of(&ru);
}

static void
ws_open(void *ctx)
{
	struct conn *c = ctx;
	struct app *a = c->a;

	if (a->stats && a->cpu_at_open < 0)
		a->cpu_at_open = cpu_seconds();
	c->cstate = C_OPEN;
	c->last_rx = c->opened_at = ts_mono_us();
	c->last_ping = 0;
	c->tokens = burst(a->ex);
	c->tok_t = c->opened_at;
	ts_info("connected to '%s%s'", a->ws.text, c->path);
	feed_connected(feed_of(c));
	if (a->ex->max_conn_us)
		timer_set(a, &c->t_maxconn, a->ex->max_conn_us, on_maxconn, c);
}

static void
ws_message(void *ctx, const char *p, size_t n, int binary)
{
	struct conn *c = ctx;
	struct app *a = c->a;
	int64_t t0;
	int sample;

	if (binary) {
		feed_malformed(&a->f, "binary frame", "", 0);
		return;
	}
	c->attempts = 0; /* data flows: the next failure starts backoff afresh */
	/* --stats samples the latency of one message in 8: two clock reads a
	 * message would cost more than the rest of the bookkeeping */
	sample = a->stats && (a->f.msgs & 7) == 0;
	t0 = sample ? mono_ns() : 0;
	feed_message(feed_of(c), p, n, c->w.rx_at);
	if (sample)
		record_latency(a, mono_ns() - t0);
}

/* The connection is gone (closed, failed, or never made): try again later. */
static void
ws_closed(void *ctx, const char *why, int was_open)
{
	struct conn *c = ctx;
	struct app *a = c->a;

	if (was_open) {
		if (!stopping)
			ts_warn("lost '%s%s': %s", a->ws.text, c->path, why);
		feed_disconnected(feed_of(c), why);
	} else if (!stopping) {
		ts_warn("cannot connect to '%s%s': %s", a->ws.text, c->path, why);
		feed_status(&a->f, "reconnecting", "connect_failed", why);
	}
	c->cstate = C_IDLE;
	queue_clear(c);
	timer_set(a, &c->t_maxconn, 0, NULL, NULL);
	timer_set(a, &c->t_send, 0, NULL, NULL);
	if (!stopping)
		schedule_connect(c, c->reconnect_now ? 10000 : backoff_us(c));
	c->reconnect_now = 0;
}

static void
on_sock(struct ts_loop *l, void *sock, int fd, short revents, void *arg)
{
	struct conn *c = arg;
	struct app *a = c->a;
	unsigned gen = c->w.gen;

	(void)l, (void)sock;
	if (fd != c->w.fd)
		return; /* a socket already given up */
	wsc_io(&c->w);
	/* wsc reads or writes on every call once connected, which finds any
	 * error out; this is for one it did not (poll would report it again
	 * and again) */
	if ((revents & ZMQ_POLLERR) && !(revents & ZMQ_POLLIN) &&
	    gen == c->w.gen && c->w.state >= WSC_UPGRADE)
		wsc_close(&c->w, "the connection hung up or failed");
	sync_sock(c);
	if (a->to_stdout && fflush(stdout) == EOF && errno == EPIPE)
		stop_now(a);
}

/* REST over curl multi, driven by a timer so the websocket never waits */

static void on_rest_timer(struct ts_loop *l, unsigned id, void *arg);

static void
rest_kick(struct app *a, int64_t delay_us)
{
	timer_set(a, &a->t_rest, delay_us, on_rest_timer, a);
}

static void
rest_get(void *ctx, struct fsym *s, int kind, const char *path)
{
	struct app *a = ctx;
	struct rreq *r = ts_xcalloc(1, sizeof *r), **pp;

	r->s = s;
	r->kind = kind;
	snprintf(r->url, sizeof r->url, "%s%s", a->rest.text, path);
	for (pp = &a->pending; *pp; pp = &(*pp)->next)
		;
	*pp = r;
	rest_kick(a, 0);
}

static void
rest_start(struct app *a, struct rreq *r)
{
	r->h = curl_easy_init();
	if (!r->h)
		ts_die(TS_EXIT_TEMP, "cannot start a REST request: out of memory");
	r->b.len = 0;
	r->b.too_big = 0;
	curl_easy_setopt(r->h, CURLOPT_URL, r->url);
	ts_http_body_attach(r->h, &r->b);
	curl_easy_setopt(r->h, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(r->h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(r->h, CURLOPT_USERAGENT, "tradesuite-feed/0.1");
	curl_easy_setopt(r->h, CURLOPT_PRIVATE, r);
	curl_multi_add_handle(a->multi, r->h);
	r->next = a->active;
	a->active = r;
}

static void
rest_done(struct app *a, struct rreq *r, CURLcode rc)
{
	long status = 0;
	int64_t now = ts_mono_us();

	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(a->multi, r->h);
	curl_easy_cleanup(r->h);
	r->h = NULL;
	if (rc != CURLE_OK)
		status = 0;
	/* temporary failures are retried here, with the exchange's Retry-After
	 * honoured for every request, up to a bound */
	if ((status == 0 || status == 429 || status == 418 || status >= 500) && r->attempts < 6 &&
	    !stopping) {
		int64_t wait = (INT64_C(250000) << r->attempts);
		if ((status == 429 || status == 418)) {
			wait = (r->b.retry_after > 0 ? r->b.retry_after : 1) * TS_US_PER_SEC;
			if (now + wait > a->rest_block_until)
				a->rest_block_until = now + wait;
		}
		r->attempts++;
		ts_warn_rl(&a->f.rl, "GET '%s': %s; retrying in %.1fs", r->url,
		    status ? "" : curl_easy_strerror(rc), (double)wait / 1e6);
		if (status)
			ts_debug("GET '%s' answered %ld", r->url, status);
		r->due = now + wait;
		r->next = a->pending;
		a->pending = r;
		return;
	}
	if (status != 200)
		ts_warn_rl(&a->f.rl, "GET '%s' failed: %s%ld", r->url,
		    status ? "HTTP " : curl_easy_strerror(rc), status);
	if (a->ex->on_rest) {
		a->f.conn = r->s ? r->s->conn : 0;
		a->ex->on_rest(&a->f, r->s, r->kind, status, r->b.buf, r->b.len);
	}
	ts_http_body_free(&r->b);
	free(r);
}

static void
on_rest_timer(struct ts_loop *l, unsigned id, void *arg)
{
	struct app *a = arg;
	int64_t now = ts_loop_now(l), next = -1;
	struct rreq **pp;
	CURLMsg *m;
	int running, left;

	(void)id;
	a->t_rest = 0;
	/* start what is due, at most ten requests a second in all */
	for (pp = &a->pending; *pp;) {
		struct rreq *r = *pp;
		int64_t due = r->due;
		if (due < a->rest_block_until)
			due = a->rest_block_until;
		if (due < a->rest_last + 100000)
			due = a->rest_last + 100000;
		if (due > now) {
			if (next < 0 || due - now < next)
				next = due - now;
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		a->rest_last = now;
		rest_start(a, r);
	}
	curl_multi_perform(a->multi, &running);
	while ((m = curl_multi_info_read(a->multi, &left))) {
		struct rreq *r = NULL, **ap;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		for (ap = &a->active; *ap; ap = &(*ap)->next)
			if (*ap == r) {
				*ap = r->next;
				break;
			}
		rest_done(a, r, m->data.result);
	}
	if (a->active)
		next = 2000; /* poll transfers in flight every 2 ms */
	else if (a->pending && next < 0)
		next = 1000;
	if (next >= 0)
		rest_kick(a, next < 1000 ? 1000 : next);
}

/* the bus: subscriptions open and close channels */

static int
parse_market_topic(struct app *a, const char *t, char *sym, size_t n)
{
	struct ts_topic tp;

	if (ts_topic_parse(t, &tp, NULL) < 0 || strcmp(tp.ex, a->ex->name) || tp.tf[0])
		return 0;
	snprintf(sym, n, "%s", tp.sym);
	if (!strcmp(tp.kind, "trades"))
		return CH_TRADES;
	if (!strcmp(tp.kind, "book"))
		return CH_BOOK;
	return 0;
}

static void
drain_bus(struct app *a)
{
	char topic[512], sym[64];
	int on, ch, ev;
	size_t evsz = sizeof ev;

	for (;;) {
		int r = ts_bus_sub_event(a->xpub, topic, sizeof topic, &on, ZMQ_DONTWAIT);
		if (r < 0)
			break;
		if (r > 0 || !(ch = parse_market_topic(a, topic, sym, sizeof sym)))
			continue;
		if (on) {
			struct fsym *s = feed_sym(&a->f, sym);
			ts_debug("subscription to '%s'", topic);
			if (s && (s->want & ch)) {
				/* another subscriber: a late joiner needs the whole book */
				if (ch == CH_BOOK)
					feed_book_republish(&a->f, s);
				continue;
			}
			if (feed_want(&a->f, sym, ch, 1) == 0 &&
			    (s = feed_sym(&a->f, sym)) && a->c[s->conn].cstate == C_IDLE)
				schedule_connect(&a->c[s->conn], 0);
		} else {
			struct ts_map_entry *e = ts_map_get(&a->pinned, sym);
			ts_debug("last subscriber of '%s' left", topic);
			if (e && (e->v.u & (uint64_t)ch))
				continue;
			feed_want(&a->f, sym, ch, 0);
			for (int i = 0; i < a->nconn; i++)
				if (!conn_wanted(&a->c[i]) && a->c[i].cstate == C_OPEN)
					/* reconnects only when wanted */
					begin_close(&a->c[i], "nothing wanted", 1);
		}
	}
	if (zmq_getsockopt(a->xpub, ZMQ_EVENTS, &ev, &evsz) == 0 && (ev & ZMQ_POLLIN))
		drain_bus(a);
}

static void
on_bus(struct ts_loop *l, void *sock, int fd, short revents, void *arg)
{
	(void)l, (void)sock, (void)fd, (void)revents;
	drain_bus(arg);
}

/* every 5 s */
static void
on_status_timer(struct ts_loop *l, unsigned id, void *arg)
{
	struct app *a = arg;

	(void)l, (void)id;
	feed_status(&a->f, NULL, NULL, NULL);
}

/* Every 20 ms: output that came from elsewhere than the socket (REST
 * answers, status) is flushed, and a connection being made is moved on
 * (name lookups are polled, connect limits checked). Output is flushed
 * after every read of the socket too. */
static void
on_tick(struct ts_loop *l, unsigned id, void *arg)
{
	struct app *a = arg;

	(void)id;
	if (a->to_stdout && fflush(stdout) == EOF && errno == EPIPE)
		stop_now(a);
	for (int i = 0; i < a->nconn; i++) {
		struct conn *c = &a->c[i];
		if (c->w.state != WSC_IDLE && c->w.state != WSC_OPEN) {
			wsc_tick(&c->w, ts_loop_now(l));
			sync_sock(c);
		}
	}
}

/* the instrument list */

/* The cache is keyed by exchange and REST host: the simulator's list of two
 * symbols must never stand in for the real exchange's. The exchange's
 * second and later lists (list > 0) have "-N" before ".json". */
static int
cache_path(struct app *a, int list, char *buf, size_t n)
{
	char host[320], leaf[400];
	size_t i;

	snprintf(host, sizeof host, "%s_%d", a->rest.host, a->rest.port);
	for (i = 0; host[i]; i++)
		if (!isalnum((unsigned char)host[i]) && host[i] != '.' && host[i] != '-')
			host[i] = '_';
	if (list > 0)
		snprintf(host + i, sizeof host - i, "-%d", list + 1);
	snprintf(leaf, sizeof leaf, "instruments-%s-%s.json", a->ex->name, host);
	return ts_xdg_path(TS_XDG_CACHE, leaf, buf, n);
}

static void
save_cache(struct app *a, int list, const char *body, size_t n)
{
	char path[1024];

	if (cache_path(a, list, path, sizeof path) < 0 ||
	    ts_write_atomic(path, body, n, 0600) < 0)
		ts_debug("cannot cache the instrument list in '%s': %s", path, strerror(errno));
}

/* Fetch one instrument list (path, the list-th of the adapter's) before
 * the loop starts (nothing to keep alive yet, so a bounded blocking call);
 * fall back to its cached copy. */
static void
load_list(struct app *a, int list, const char *path, size_t pathlen)
{
	char url[700], cpath[1024];
	struct ts_http_resp r;
	int ok = 0;

	snprintf(url, sizeof url, "%s%.*s", a->rest.text, (int)pathlen, path);
	for (int attempt = 0; attempt < 3 && !ok; attempt++) {
		memset(&r, 0, sizeof r);
		if (ts_http_get(url, 10000, &r) < 0) {
			ts_warn("cannot fetch '%s': %s", url, r.err);
			ts_http_resp_free(&r);
			break; /* the host is not there: no point insisting */
		}
		if (r.status == 200 && a->ex->instruments(&a->f, r.body, r.len) == 0) {
			save_cache(a, list, r.body, r.len);
			ok = 1;
		} else if (r.status == 200) {
			ts_warn("'%s' is not the instrument list expected", url);
		} else {
			ts_warn("cannot fetch '%s': HTTP %ld", url, r.status);
			if (r.status == 429 || r.status >= 500)
				sleep(r.retry_after > 0 && r.retry_after < 10 ? (unsigned)r.retry_after : 1);
		}
		ts_http_resp_free(&r);
	}
	if (!ok) {
		FILE *fp;
		char *body = NULL;
		size_t cap = 0, n = 0, got;
		cache_path(a, list, cpath, sizeof cpath);
		if ((fp = fopen(cpath, "r"))) {
			char buf[65536];
			while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
				ts_xgrow((void **)&body, &cap, n + got + 1, 1);
				memcpy(body + n, buf, got);
				n += got;
			}
			fclose(fp);
			if (body && a->ex->instruments(&a->f, body, n) == 0) {
				ts_warn("using the cached instrument list '%s'", cpath);
				a->instruments_cached = 1;
				ok = 1;
			}
			free(body);
		}
	}
	if (!ok)
		ts_die(TS_EXIT_TEMP, "cannot load the %s instrument list from '%s'",
		    a->ex->name, url);
}

/* Every list of instruments_path, in order. */
static void
load_instruments(struct app *a)
{
	const char *p = a->ex->instruments_path;
	int list = 0;

	while (*p) {
		size_t n = strcspn(p, " ");
		if (n)
			load_list(a, list++, p, n);
		p += n;
		p += strspn(p, " ");
	}
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* --list: the canonical symbols, what trades/EX/SYM and book/EX/SYM take */
static int
print_instruments(struct app *a)
{
	const char **v = ts_xcalloc(a->f.inst.len + 1, sizeof *v);
	struct ts_map_entry *e;
	size_t it = 0, n = 0;

	while ((e = ts_map_next(&a->f.inst, &it)) && n < a->f.inst.len)
		v[n++] = e->key;
	qsort(v, n, sizeof *v, cmp_str);
	for (size_t i = 0; i < n; i++)
		printf("%s\n", v[i]);
	free(v);
	if (fflush(stdout) == 0 || errno == EPIPE)
		return 0; /* the reader having gone (| head) is no failure */
	ts_die_errno(TS_EXIT_TEMP, "cannot write the list");
}

static void
print_stats(struct app *a)
{
	struct rusage ru;
	double cpu;
	uint64_t acc = 0, p50 = 0, p99 = 0;

	getrusage(RUSAGE_SELF, &ru);
	cpu = cpu_of(&ru);
	for (int b = 0; b < 64; b++) {
		acc += a->lat_hist[b];
		if (!p50 && acc * 2 >= a->lat_n)
			p50 = (uint64_t)1 << b;
		if (!p99 && acc * 100 >= a->lat_n * 99)
			p99 = (uint64_t)1 << b;
	}
	fprintf(stderr, "stats: msgs %llu published %llu dropped %llu malformed %llu "
	    "trades %llu book %llu cpu %.3fs cpu_connected %.3fs maxrss %ldkB "
	    "latency_p50_le %lluns latency_p99_le %lluns\n",
	    (unsigned long long)a->f.msgs, (unsigned long long)a->emitted,
	    (unsigned long long)a->dropped, (unsigned long long)a->f.malformed,
	    (unsigned long long)a->f.trades, (unsigned long long)a->f.book_msgs, cpu,
	    a->cpu_at_open < 0 ? 0 : cpu - a->cpu_at_open,
	    ru.ru_maxrss, (unsigned long long)p50, (unsigned long long)p99);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bus", required_argument, NULL, 'B' },
		{ "stdout", no_argument, NULL, 'S' },
		{ "url", required_argument, NULL, 'U' },
		{ "rest", required_argument, NULL, 'R' },
		{ "watchdog", required_argument, NULL, 'W' },
		{ "channels", required_argument, NULL, 'C' },
		{ "stats", no_argument, NULL, 's' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "option", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	struct feed_ops ops = { &A, emit, ws_send, rest_get, reconnect };
	struct app *a = &A;
	const char *bus = NULL, *url = NULL, *rest = NULL;
	char err[256];
	int c, insecure = 0, known = 0, chans = CH_TRADES | CH_BOOK;
	int64_t watchdog = 0;
	char **options = ts_xcalloc((size_t)argc, sizeof *options);
	int noptions = 0, list_only = 0;

	ts_log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "B:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'B': bus = optarg; break;
		case 'S': a->to_stdout = 1; break;
		case 'U': url = optarg; break;
		case 'R': rest = optarg; break;
		case 'W':
			if (ts_duration_parse(optarg, &watchdog) < 0 || watchdog <= 0)
				ts_usage_error(NULL, "bad --watchdog '%s'", optarg);
			break;
		case 's': a->stats = 1; break;
		case 'C':
			if (!strcmp(optarg, "trades"))
				chans = CH_TRADES;
			else if (!strcmp(optarg, "book"))
				chans = CH_BOOK;
			else if (!strcmp(optarg, "trades,book") || !strcmp(optarg, "book,trades"))
				chans = CH_TRADES | CH_BOOK;
			else
				ts_usage_error(NULL, "bad --channels '%s': expected trades, book or "
				    "trades,book", optarg);
			break;
		case 'I': insecure = 1; break;
		case 'o': options[noptions++] = optarg; break;
		case 'L': list_only = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': ts_version(NULL);
		default: ts_usage_error(NULL, NULL);
		}
	}
	if (optind >= argc)
		ts_usage_error(NULL, "missing EXCHANGE");
	if (!(a->ex = ex_find(argv[optind]))) {
		char list[256] = "";
		for (const struct ex_adapter *e = ex_first(); e; e = e->next)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
			    list[0] ? ", " : "", e->name);
		ts_die(TS_EXIT_USAGE, "unknown exchange '%s' (known: %s)", argv[optind], list);
	}
	optind++;
	if (parse_base(url ? url : a->ex->ws_base, "ws", "wss", &a->ws) < 0)
		ts_usage_error(NULL, "bad --url '%s': expected ws://HOST[:PORT] or wss://HOST[:PORT]",
		    url);
	if (parse_base(rest ? rest : a->ex->rest_base, "http", "https", &a->rest) < 0)
		ts_usage_error(NULL, "bad --rest '%s': expected http://HOST[:PORT] or "
		    "https://HOST[:PORT]", rest);
	for (int i = optind; i < argc; i++)
		if (!ts_sym_valid(argv[i]))
			ts_die(TS_EXIT_USAGE, "bad symbol '%s': expected BASE-QUOTE, BASE-QUOTE-PERP or "
			    "BASE-QUOTE-YYMMDD such as BTC-USD",
			    argv[i]);
	a->watchdog_us = watchdog ? watchdog : a->ex->watchdog_us;

	a->loop = ts_loop_new();
	ts_loop_signal(a->loop, SIGINT, on_signal, a);
	ts_loop_signal(a->loop, SIGTERM, on_signal, a);
	signal(SIGPIPE, SIG_IGN);
	srand((unsigned)(ts_now_us() ^ getpid()));
	curl_global_init(CURL_GLOBAL_DEFAULT);

	feed_init(&a->f, a->ex, &ops);
	for (int i = 0; i < noptions; i++) {
		char *eq = strchr(options[i], '=');
		const char *why = "the exchange takes no options";
		if (!eq || eq == options[i])
			ts_die(TS_EXIT_USAGE, "bad -o '%s': expected NAME=VALUE", options[i]);
		*eq = '\0';
		if (!a->ex->option || a->ex->option(&a->f, options[i], eq + 1, &why) < 0)
			ts_die(TS_EXIT_USAGE, "bad -o '%s=%s' for %s: %s", options[i], eq + 1,
			    a->ex->name, why);
	}
	free(options);
	if (list_only) {
		if (optind < argc)
			ts_usage_error(NULL, "--list takes no SYMBOL: unexpected '%s'", argv[optind]);
		load_instruments(a);
		return print_instruments(a);
	}
	a->nconn = a->ex->nconn > 0 && a->ex->nconn <= FEED_CONN_MAX ? a->ex->nconn : 1;
	for (int i = 0; i < a->nconn; i++) {
		struct wsc_cb wcb = { &a->c[i], ws_open, ws_message, ws_closed };
		a->c[i].a = a;
		a->c[i].idx = i;
		a->c[i].sockfd = -1;
		wsc_init(&a->c[i].w, &wcb);
	}
	a->cpu_at_open = -1;
	if (!a->to_stdout) {
		struct ts_bus_ep ep;
		int one = 1;
		if (ts_bus_resolve(bus, &ep, err, sizeof err) < 0)
			ts_die(TS_EXIT_USAGE, "%s", err);
		if (!ts_bus_is_safe(&ep) && !insecure)
			ts_die(TS_EXIT_USAGE, "refusing a tcp bus on non-loopback '%s' without "
			    "CURVE keys (see ts-supervisor keygen; --insecure allows it "
			    "unencrypted)", ep.host);
		a->xpub = ts_bus_producer(&ep);
		/* every subscription, repeated ones too: a late joiner of a book
		 * topic is answered with a snapshot */
		zmq_setsockopt(a->xpub, ZMQ_XPUB_VERBOSE, &one, sizeof one);
	} else {
		ts_stdout_buffered();
	}
	load_instruments(a);
	for (int i = optind; i < argc; i++) {
		if (feed_want(&a->f, argv[i], chans, 1) < 0)
			continue; /* reported; the others keep flowing */
		ts_map_put(&a->pinned, argv[i], NULL)->v.u = (uint64_t)chans;
		known++;
	}
	/* A cached list may be stale: the symbol may be listed by now, so that
	 * is a failure that may pass, for the supervisor to retry. */
	if (optind < argc && !known && a->instruments_cached)
		ts_die(TS_EXIT_TEMP, "none of the symbols is in the cached %s instrument "
		    "list (the exchange's REST API is unreachable)", a->ex->name);
	if (optind < argc && !known)
		ts_die(TS_EXIT_USAGE, "none of the symbols is known to %s", a->ex->name);

	if (!(a->multi = curl_multi_init()))
		ts_die(TS_EXIT_TEMP, "cannot create the REST client");
	if (a->xpub)
		ts_loop_add(a->loop, a->xpub, -1, ZMQ_POLLIN, on_bus, a);
	feed_status(&a->f, "starting", NULL, NULL);
	ts_loop_timer(a->loop, 250000, 250000, on_watchdog, a);
	ts_loop_timer(a->loop, 5 * TS_US_PER_SEC, 5 * TS_US_PER_SEC, on_status_timer, a);
	ts_loop_timer(a->loop, 20000, 20000, on_tick, a);
	if (a->xpub)
		drain_bus(a);
	for (int i = 0; i < a->nconn; i++)
		schedule_connect(&a->c[i], 0);

	if (!stopping && ts_loop_run(a->loop) < 0)
		ts_die_errno(TS_EXIT_TEMP, "the event loop failed");

	if (a->stats)
		print_stats(a);
	for (int i = 0; i < a->nconn; i++) {
		feed_of(&a->c[i]);
		wsc_close(&a->c[i].w, "stopping"); /* books reset */
	}
	feed_status(&a->f, "stopped", NULL, NULL);
	if (a->to_stdout)
		fflush(stdout);
	for (struct rreq *r = a->active, *n; r; r = n) {
		n = r->next;
		curl_multi_remove_handle(a->multi, r->h);
		curl_easy_cleanup(r->h);
		ts_http_body_free(&r->b);
		free(r);
	}
	for (struct rreq *r = a->pending, *n; r; r = n) {
		n = r->next;
		ts_http_body_free(&r->b);
		free(r);
	}
	curl_multi_cleanup(a->multi);
	curl_global_cleanup();
	if (a->xpub) {
		int zero = 0;
		zmq_setsockopt(a->xpub, ZMQ_LINGER, &zero, sizeof zero);
		ts_bus_close(&a->xpub);
		ts_bus_term();
	}
	for (int i = 0; i < a->nconn; i++) {
		queue_clear(&a->c[i]);
		free(a->c[i].q);
		wsc_free(&a->c[i].w);
	}
	ts_loop_free(&a->loop);
	ts_map_clear(&a->pinned);
	feed_free(&a->f);
	return 0;
}
