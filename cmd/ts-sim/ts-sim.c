/* ts-sim: a local exchange speaking real exchanges' websocket and REST protocols (one file each in ex/) */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "json.h"
#include "log.h"
#include "sim.h"
#include "sim_core.h"
#include "sim_ex.h"
#include "sim_replay.h"
#include "tm.h"
#include "wsframe.h"

static const char usage[] =
"usage: ts-sim [--port N] [--seed S] [--rate MSGS_PER_S|max] [--symbols SYM,...]\n"
"              [--replay FILE] [--fault SPEC[@SECONDS]]... [--truth FILE]\n"
"              [--ping SECONDS] [--tls CERT,KEY] [--ready-fd FD] EXCHANGE...\n"
"\n"
"Serve a local exchange on 127.0.0.1: the websocket and REST endpoints of\n"
"each EXCHANGE (listed below) on one port, in the exchanges' own paths\n"
"and message shapes, from a deterministic random-walk market or from a\n"
"recording. Ground truth and faults are under /_sim/ (see ts-sim(1)).\n"
"\n"
"  -p, --port N       listen on 127.0.0.1:N (default 8800; 0 picks a free\n"
"                     port); 'port N' is the first line on stdout\n"
"  -s, --seed S       seed of the market (default 1): same seed, same market\n"
"  -r, --rate R       market messages a second in all (default 100); 'max'\n"
"                     generates as fast as the clients read\n"
"  -S, --symbols LIST canonical symbols for every EXCHANGE (default: its own\n"
"                     below)\n"
"  -R, --replay FILE  play a recording (.jsonl or .jsonl.zst) instead\n"
"  -f, --fault SPEC   inject a fault, at start or after @SECONDS: drop, skip,\n"
"                     repeat, malformed, snapshot-delay=S, stall=S, rest-429=N,\n"
"                     rest-500=N, refuse=S, shutdown, checksum, cross=SYMBOL\n"
"  -t, --truth FILE   write every generated trade as a JSON line\n"
"      --ping S       Binance ping interval (default 20)\n"
"      --tls CERT,KEY serve https and wss instead of http and ws on the same\n"
"                     port, with this certificate and private key (PEM)\n"
"      --ready-fd FD  write a newline to FD once listening\n"
"  -h, --help         show this help\n"
"      --version      show the version\n"
"\n"
"Exit status: 0 on SIGINT or SIGTERM, 100 usage error (a --tls file too),\n"
"111 cannot listen.\n"
"\n"
"Exchanges and their default symbols:\n";

/* The usage, then each exchange ts-sim speaks (one file each in ex/). */
static void
usage_print(FILE *fp)
{
	fputs(usage, fp);
	for (const struct sim_ex *x = sim_ex_first(); x; x = x->next)
		fprintf(fp, "  %-10s %s\n", x->name, x->symbols);
}

/* Outgoing websocket frames, already framed: written to the socket in big
 * raw chunks that always end on a frame boundary. */
struct outq {
	unsigned char *buf;
	size_t head, tail, cap;
};

/* A websocket: the protocol's part (sim_ex.h), then the core's. */
struct conn {
	struct sim_conn pub;
	struct lws *wsi;
	int closing, close_after_drain, want_ping;
	uint64_t frames;
	struct outq q;
	size_t replay_pos;
	struct conn *next, *prev;
};

/* Per-session data: a websocket's conn, or an HTTP answer in progress. */
struct pss {
	struct conn *c;
	struct lws *wsi;
	struct sim_resp resp;
	size_t off;
	int hdr_sent, ready;
	lws_sorted_usec_list_t sul;
};

#define HWM (1u << 20)        /* queued bytes above which the market waits */
#define CHUNK (64u * 1024)    /* raw bytes written at once */
#define MAX_FAULTS 32
#define CLOSE_GRACE_S 2       /* a dropped client that does not read is cut off */

struct sim_state sim_st;

/* The loop's own state. */
static struct {
	struct lws_vhost *vh;
	double rate; /* 0: max */
	int64_t last_tick;
	int stop;
	struct conn *conns;
	int nconns;
	uint64_t seconds;     /* one-second ticks since start */
	int ping_s;
	struct sim_buf q;     /* the query of the request being handled */
	struct ts_ratelimit bad_rl;
	lws_sorted_usec_list_t tick_sul, sec_sul, ping_sul, flush_sul;
} G;


/* ---- the output queue ---- */

static unsigned char *
q_reserve(struct outq *q, size_t n)
{
	if (q->tail + n > q->cap) {
		if (q->head > 0) { /* slide what is left to the front */
			memmove(q->buf, q->buf + q->head, q->tail - q->head);
			q->tail -= q->head;
			q->head = 0;
		}
		if (q->tail + n > q->cap)
			ts_xgrow((void **)&q->buf, &q->cap, q->tail + n + 4096, 1);
	}
	return q->buf + q->tail;
}

static size_t
q_len(const struct outq *q)
{
	return q->tail - q->head;
}

/* Length of the queued frame at p (header included; avail bytes from p
 * on, the whole frame among them: the queue holds only our own frames). */
static size_t
frame_len(const unsigned char *p, size_t avail)
{
	struct ts_ws_hdr f;
	const char *err;
	int h = ts_ws_hdr_read(p, avail, 0, &f, &err);

	return h > 0 ? (size_t)h + (size_t)f.len : avail;
}

static struct conn *
conn_of(struct sim_conn *c)
{
	return (struct conn *)((char *)c - offsetof(struct conn, pub));
}

void
sim_send3(struct sim_conn *pc, const char *a, size_t an, const char *b, size_t bn,
    const char *d, size_t dn)
{
	struct conn *c = conn_of(pc);
	size_t n = an + bn + dn;
	unsigned char *p = q_reserve(&c->q, n + TS_WS_HDR_MAX);
	size_t h = ts_ws_hdr_write(p, TS_WS_TEXT, n, NULL);

	memcpy(p + h, a, an);
	if (bn)
		memcpy(p + h + an, b, bn);
	if (dn)
		memcpy(p + h + an + bn, d, dn);
	c->q.tail += h + n;
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
}

void
sim_send(struct sim_conn *c, const char *p, size_t n)
{
	sim_send3(c, p, n, NULL, 0, NULL, 0);
}

void
sim_close_after_drain(struct sim_conn *c)
{
	conn_of(c)->close_after_drain = 1;
}

struct sim_conn *
sim_conn_next(const struct sim_ex *x, struct sim_conn *prev)
{
	struct conn *c = prev ? conn_of(prev)->next : G.conns;

	for (; c; c = c->next)
		if (!c->closing && c->pub.ex == x)
			return &c->pub;
	return NULL;
}

struct sim_market *
sim_the_market(void)
{
	return &sim_st.m;
}

int
sim_replaying(void)
{
	return sim_st.replay_ex != NULL;
}

int64_t
sim_start_us(void)
{
	return sim_st.start_us;
}

void
sim_bad_input(const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	sim_st.bad_in++;
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ts_warn_rl(&G.bad_rl, "%s", msg);
}

/* ---- the market pump ---- */

static int
blocked(void)
{
	for (struct conn *c = G.conns; c; c = c->next)
		if (!c->closing && q_len(&c->q) > HWM)
			return 1;
	return 0;
}

/* Send one market event to the connections of its exchange that want it;
 * returns the number of messages it counts for. */
static int
fanout(const struct sim_event *ev)
{
	const struct sim_sym *s = ev->s;
	const struct sim_ex *x = s->ex;
	int book_first = 1, trade_first = 1, copies = SIM_COPIES_ONE, any = 0;
	struct sim_conn *c;

	for (c = sim_conn_next(x, NULL); c && !any; c = sim_conn_next(x, c))
		any = (c->sub[s->idx] & SIM_SUB_BOOK) != 0;
	if (any)
		copies = sim_fault_book(x);
	for (c = sim_conn_next(x, NULL); c; c = sim_conn_next(x, c)) {
		if (c->replaying)
			continue;
		if (c->sub[s->idx] & SIM_SUB_BOOK) {
			x->send_book(c, ev, book_first, copies);
			book_first = 0;
		}
		if ((c->sub[s->idx] & SIM_SUB_TRADE) && ev->nfill) {
			x->send_trades(c, ev, trade_first);
			trade_first = 0;
		}
	}
	return 1 + (x->trades_batched ? ev->nfill > 0 : ev->nfill);
}

static int
any_subscriber(void)
{
	for (struct conn *c = G.conns; c; c = c->next)
		if (!c->pub.replaying && !c->closing)
			for (int i = 0; i < sim_st.m.nsym; i++)
				if (c->pub.sub[i])
					return 1;
	return 0;
}

/* Move the market by what the rate allows since the last call, as far as
 * the clients keep up. */
static void
pump(void)
{
	int64_t now = ts_now_us(), mono = ts_mono_us();
	struct sim_event ev;
	int n = 0;

	if (sim_st.replay_ex || sim_st.paused || sim_st.m.nsym == 0) {
		G.last_tick = mono;
		return;
	}
	if (G.rate > 0) {
		sim_st.budget += G.rate * (double)(mono - G.last_tick) / 1e6;
		if (sim_st.budget > G.rate * 0.05 + 64) /* no burst after a pause or stall */
			sim_st.budget = G.rate * 0.05 + 64;
	} else if (!any_subscriber()) {
		G.last_tick = mono;
		return; /* max rate and no one to send to: the market rests */
	}
	G.last_tick = mono;
	while ((G.rate == 0 || sim_st.budget >= 1) && n < 50000) {
		if ((n & 31) == 0 && blocked())
			break;
		int k;
		sim_market_step(&sim_st.m, sim_market_pick(&sim_st.m), now, &ev);
		k = fanout(&ev);
		n += k;
		if (G.rate > 0)
			sim_st.budget -= k;
	}
}

/* How often the market moves. lws rounds a timer's wait down to whole
 * milliseconds and polls without waiting for the rest, so a 1 ms tick spins
 * a core; at a set rate the market moves every 10 ms by what the rate
 * allows (like depth@100ms, in batches), at --rate max every 1 ms. */
static lws_usec_t
tick_us(void)
{
	return G.rate > 0 ? 10000 : 1000;
}

static void
on_tick(lws_sorted_usec_list_t *sul)
{
	pump();
	lws_sul_schedule(sim_st.ctx, 0, sul, on_tick, tick_us());
}

/* ---- replay ---- */

/* Has the connection been sent the whole recording? */
static int
replay_done(const struct conn *c)
{
	return c->pub.replaying && c->replay_pos >= sim_st.rp.nrecv;
}

static void
replay_fill(struct conn *c)
{
	const struct sim_ex *x = c->pub.ex;
	int n = 0;

	while (c->pub.replaying && c->replay_pos < sim_st.rp.nrecv && q_len(&c->q) < HWM &&
	    n < 4096) {
		const struct sim_rec *r = &sim_st.rp.recv[c->replay_pos++];
		int copies = x->rec_is_book && x->rec_is_book(r) ? sim_fault_book(x) :
		    SIM_COPIES_ONE;
		n++;
		if (copies == SIM_COPIES_LOST)
			continue;
		if (x->replay_send)
			x->replay_send(&c->pub, r);
		else
			sim_send(&c->pub, r->data, r->len);
		if (copies == SIM_COPIES_TWICE)
			sim_send(&c->pub, r->data, r->len);
	}
	if (c->replay_pos > sim_st.rt.pos)
		sim_rtruth_advance(&sim_st.rt, &sim_st.rp, c->replay_pos);
}

void
sim_replay_start(struct sim_conn *c)
{
	if (!sim_st.replay_ex)
		return;
	c->replaying = 1;
	replay_fill(conn_of(c));
}

/* ---- websocket connections ---- */

static void
conn_link(struct conn *c)
{
	c->next = G.conns;
	if (G.conns)
		G.conns->prev = c;
	G.conns = c;
	G.nconns++;
}

static void
conn_unlink(struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		G.conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	G.nconns--;
	free(c->q.buf);
	free(c->pub.xd);
	free(c);
}

/* Close a websocket as a dropped connection: what is queued is lost, and
 * the connection leaves the market at once (blocked() and the counts skip
 * it). The close frame goes out at the next WRITEABLE; a client that does
 * not read never gets one, so a timeout cuts it off (lws closes a timed-out
 * wsi at once, with CLOSED). Without this, a dropped client that had
 * stopped reading kept its full queue and held the market for everyone,
 * the reconnected clients included, for good. */
static void
conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	free(c->q.buf);
	memset(&c->q, 0, sizeof c->q);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, CLOSE_GRACE_S);
	lws_callback_on_writable(c->wsi);
}

int
sim_conns_open(void)
{
	int n = 0;

	for (const struct conn *c = G.conns; c; c = c->next)
		n += !c->closing;
	return n;
}

void
sim_conns_drop(void)
{
	for (struct conn *c = G.conns; c; c = c->next)
		conn_close(c);
}

void
sim_conns_kick(void)
{
	for (struct conn *c = G.conns; c; c = c->next)
		lws_callback_on_writable(c->wsi);
}

/* A replay arms skip and repeat for the next client anyway: it plays from
 * the start. */
int
sim_book_streamed(const struct sim_ex *x)
{
	for (struct sim_conn *c = sim_conn_next(x, NULL); c; c = sim_conn_next(x, c)) {
		if (c->replaying)
			return 1;
		for (int i = 0; i < sim_st.m.nsym; i++)
			if (c->sub[i] & SIM_SUB_BOOK)
				return 1;
	}
	return 0;
}

/* The request's query: its URI argument fragments joined with '&', into b
 * (NUL-terminated; the buffer grows to any length). Binance takes up to
 * 1024 streams in one /stream?streams=… URL: a fixed buffer would cut it. */
static const char *
get_query(struct lws *wsi, struct sim_buf *b)
{
	b->len = 0;
	sim_buf_need(b, 1);
	b->p[0] = '\0';
	for (int i = 0; ; i++) {
		int flen = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i), k;
		if (flen < 0)
			break;
		sim_buf_need(b, (size_t)flen + 2);
		if (b->len)
			b->p[b->len++] = '&';
		k = lws_hdr_copy_fragment(wsi, b->p + b->len, flen + 1, WSI_TOKEN_HTTP_URI_ARGS, i);
		if (k < 0) { /* no such fragment: the list is over */
			if (b->len)
				b->len--;
			break;
		}
		b->len += (size_t)k;
	}
	b->p[b->len] = '\0';
	return b->p;
}

/* The enabled exchange a websocket path belongs to (the best ws_match), or
 * NULL. A replay takes every path. */
static const struct sim_ex *
ws_exchange(const char *path)
{
	const struct sim_ex *best = NULL;
	int bn = 0;

	if (sim_st.replay_ex)
		return sim_st.replay_ex;
	for (const struct sim_ex *x = sim_ex_first(); x; x = x->next) {
		int k;
		if (!(sim_st.enabled & (1u << x->id)) || (k = x->ws_match(path)) <= bn)
			continue;
		bn = k;
		best = x;
	}
	return best;
}

static int
ws_established(struct lws *wsi, struct pss *ps)
{
	struct sim_buf path = { 0 };
	const struct sim_ex *x;
	struct conn *c;
	int plen = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);

	/* the path, like the query, can be long: /ws/a@trade/b@trade/… */
	sim_buf_need(&path, (size_t)(plen > 0 ? plen : 0) + 1);
	if (plen <= 0 || lws_hdr_copy(wsi, path.p, plen + 1, WSI_TOKEN_GET_URI) < 0)
		path.p[0] = '\0';
	if (!(x = ws_exchange(path.p))) {
		sim_buf_free(&path);
		return -1;
	}
	c = ts_xcalloc(1, sizeof *c);
	c->wsi = wsi;
	c->pub.ex = x;
	c->pub.xd = ts_xcalloc(1, x->conn_size ? x->conn_size : 1);
	ps->c = c;
	conn_link(c);
	if (x->ws_open && x->ws_open(&c->pub, path.p, get_query(wsi, &G.q)) < 0) {
		ts_debug("websocket %s '%.200s' refused", x->name, path.p);
		sim_buf_free(&path);
		ps->c = NULL;
		conn_unlink(c);
		return -1;
	}
	ts_debug("websocket %s '%.200s' connected (%d open)", x->name, path.p, G.nconns);
	sim_buf_free(&path);
	return 0;
}

/* The websocket of ps is being closed by us (we return -1 to lws next):
 * its conn goes now. Over TLS lws sends a close_notify and then holds the
 * wsi in LRS_SHUTDOWN until the peer's EOF or timeout_secs (30 s) before
 * it calls CLOSED (plain ws shuts the socket down and calls it at once),
 * so a conn left for CLOSED to free would linger that long: counted as
 * open, its queue counted by blocked(). */
static int
ws_close_now(struct pss *ps)
{
	conn_unlink(ps->c);
	ps->c = NULL;
	return -1;
}

/* Write what is queued in raw chunks that end on frame boundaries. */
static int
ws_writeable(struct lws *wsi, struct pss *ps)
{
	struct conn *c = ps->c;
	size_t budget = 4 * CHUNK;

	if (c->closing) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, (unsigned char *)"bye", 3);
		return ws_close_now(ps);
	}
	if (sim_fault_stalled())
		return 0;
	if (c->want_ping) {
		unsigned char pb[LWS_PRE + 8];
		c->want_ping = 0;
		if (lws_write(wsi, pb + LWS_PRE, 0, LWS_WRITE_PING) < 0)
			return ws_close_now(ps);
	}
	while (q_len(&c->q) > 0 && budget > 0 && !lws_send_pipe_choked(wsi)) {
		size_t n = 0, avail = q_len(&c->q), frames = 0;
		unsigned char *p = c->q.buf + c->q.head;
		while (n < avail && (n == 0 || n + frame_len(p + n, avail - n) <= CHUNK)) {
			n += frame_len(p + n, avail - n);
			frames++;
		}
		if (lws_write(wsi, p, n, LWS_WRITE_RAW) < (int)n)
			return ws_close_now(ps);
		c->q.head += n;
		c->frames += frames;
		sim_st.frames += frames;
		budget -= n < budget ? n : budget;
	}
	if (q_len(&c->q) == 0) {
		c->q.head = c->q.tail = 0;
		if (c->close_after_drain) {
			conn_close(c);
			return 0;
		}
	}
	if (c->pub.replaying)
		replay_fill(c);
	if (q_len(&c->q) > 0)
		lws_callback_on_writable(wsi);
	else if (G.rate == 0)
		pump(); /* max rate: the market moves when the clients have read */
	return 0;
}

/* ---- timers ---- */

static void
on_second(lws_sorted_usec_list_t *sul)
{
	int64_t now = ts_now_us();

	G.seconds++;
	if (!sim_fault_stalled())
		for (const struct sim_ex *x = sim_ex_first(); x; x = x->next) {
			int first = 1;
			if (!x->second)
				continue;
			for (struct sim_conn *c = sim_conn_next(x, NULL); c; c = sim_conn_next(x, c)) {
				if (c->replaying && !replay_done(conn_of(c)))
					continue;
				x->second(c, now, G.seconds, first);
				first = 0;
			}
		}
	lws_sul_schedule(sim_st.ctx, 0, sul, on_second, LWS_US_PER_SEC);
}

static void
on_ping(lws_sorted_usec_list_t *sul)
{
	if (!sim_fault_stalled())
		for (struct conn *c = G.conns; c; c = c->next)
			if (c->pub.ex->ws_ping) {
				c->want_ping = 1;
				lws_callback_on_writable(c->wsi);
			}
	lws_sul_schedule(sim_st.ctx, 0, sul, on_ping, (lws_usec_t)G.ping_s * LWS_US_PER_SEC);
}

static void
on_flush(lws_sorted_usec_list_t *sul)
{
	if (sim_st.m.truth)
		fflush(sim_st.m.truth);
	lws_sul_schedule(sim_st.ctx, 0, sul, on_flush, LWS_US_PER_SEC);
}

/* ---- HTTP ---- */

static void
on_http_delay(lws_sorted_usec_list_t *sul)
{
	struct pss *ps = lws_container_of(sul, struct pss, sul);
	ps->ready = 1;
	lws_callback_on_writable(ps->wsi);
}

static int
http_request(struct lws *wsi, struct pss *ps, const char *path)
{
	int64_t now = ts_now_us();
	const char *q = get_query(wsi, &G.q);
	const struct sim_ex *owner = sim_rest_owner(path);

	ps->wsi = wsi;
	ps->off = 0;
	ps->hdr_sent = 0;
	ps->ready = 1;
	ps->resp.retry_after = 0;
	if (!strncmp(path, "/_sim/", 6)) {
		sim_ctl(path, q, &ps->resp);
	} else if (sim_fault_rest(path, &ps->resp)) {
		;
	} else if (sim_st.replay_ex) {
		const struct sim_rec *rec = sim_replay_http(&sim_st.rp, path, q);
		ps->resp.body.len = 0;
		if (rec) {
			ps->resp.status = 200;
			sim_put(&ps->resp.body, rec->data, rec->len);
		} else {
			ps->resp.status = 404;
			SIM_PUTS(&ps->resp.body, "{\"error\":\"not in the recording\"}");
		}
	} else {
		sim_rest(&sim_st.m, sim_st.enabled, path, q, now, &ps->resp);
	}
	ts_debug("GET %s?%.200s -> %d", path, q, ps->resp.status);
	/* snapshot-delay holds back the book snapshots a client syncs from */
	if (owner && owner->snapshot_path && !strcmp(path, owner->snapshot_path) &&
	    ps->resp.status == 200 && sim_fault_snapshot_delay() > 0 &&
	    (sim_st.replay_ex || (sim_st.enabled & (1u << owner->id)))) {
		ps->ready = 0;
		lws_sul_schedule(sim_st.ctx, 0, &ps->sul, on_http_delay, sim_fault_snapshot_delay());
		return 0;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

static int
http_writeable(struct lws *wsi, struct pss *ps)
{
	static unsigned char wb[LWS_PRE + 32768];
	size_t left, n;
	int last;

	if (!ps->ready)
		return 0;
	if (!ps->hdr_sent) {
		unsigned char hb[LWS_PRE + 1024], *start = hb + LWS_PRE, *p = start,
		    *end = hb + sizeof hb - 1;
		if (lws_add_http_common_headers(wsi, (unsigned)ps->resp.status, "application/json",
		    ps->resp.body.len, &p, end))
			return 1;
		if (ps->resp.retry_after) {
			char ra[16];
			int k = snprintf(ra, sizeof ra, "%d", ps->resp.retry_after);
			if (lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
			    (const unsigned char *)ra, k, &p, end))
				return 1;
		}
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return 1;
		ps->hdr_sent = 1;
		if (ps->resp.body.len == 0) {
			sim_buf_free(&ps->resp.body);
			ps->ready = 0;
			return lws_http_transaction_completed(wsi) ? -1 : 0;
		}
		lws_callback_on_writable(wsi);
		return 0;
	}
	left = ps->resp.body.len - ps->off;
	n = left < sizeof wb - LWS_PRE ? left : sizeof wb - LWS_PRE;
	last = n == left;
	memcpy(wb + LWS_PRE, ps->resp.body.p + ps->off, n);
	if (lws_write(wsi, wb + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
		return 1;
	ps->off += n;
	if (last) {
		/* lws frees the session data of a kept-alive connection with no
		 * CLOSED_HTTP: release the body now (REST is not the hot path) */
		sim_buf_free(&ps->resp.body);
		ps->ready = 0;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct pss *ps = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (sim_fault_refusing()) {
			sim_st.refused++;
			return 1;
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		return ws_established(wsi, ps);
	case LWS_CALLBACK_CLOSED:
		if (ps && ps->c) {
			conn_unlink(ps->c);
			ps->c = NULL;
		}
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ps && ps->c ? ws_writeable(wsi, ps) : 0;
	case LWS_CALLBACK_RECEIVE:
		if (!ps || !ps->c)
			return 0;
		if (!lws_is_first_fragment(wsi) || !lws_is_final_fragment(wsi)) {
			sim_bad_input("fragmented client message ignored");
			return 0;
		}
		ps->c->pub.ex->ws_receive(&ps->c->pub, in, len);
		return 0;
	case LWS_CALLBACK_RECEIVE_PONG:
		sim_st.pongs++;
		return 0;
	case LWS_CALLBACK_HTTP:
		return http_request(wsi, ps, in ? (const char *)in : "/");
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_writeable(wsi, ps);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL: /* a keep-alive transaction is over */
	case LWS_CALLBACK_CLOSED_HTTP:
		if (ps) {
			lws_sul_cancel(&ps->sul);
			sim_buf_free(&ps->resp.body);
		}
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
	{ "ts-sim", callback, sizeof(struct pss), 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void
on_signal(int signo)
{
	(void)signo;
	G.stop = 1;
	if (sim_st.ctx)
		lws_cancel_service(sim_st.ctx);
}

static void
lws_log(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && line[n - 1] == '\n')
		n--;
	if (level & LLL_ERR)
		ts_warn("lws: %.*s", (int)n, line);
	else
		ts_debug("lws: %.*s", (int)n, line);
}

/* Can 127.0.0.1:port be bound? Asked before lws tries, for a clear
 * message (and because lws leaks when its listener fails). */
static int
port_free(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, rc, e;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

static long
num_arg(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		ts_usage_error(NULL, "bad %s '%s'", opt, s);
	return v;
}

/* Check that a --tls file is a readable PEM file (lws only logs why it
 * cannot load one, and then fails as if the port were taken). */
static void
tls_file_check(const char *what, const char *path)
{
	char buf[4096];
	size_t n;
	FILE *fp;

	if (!(fp = fopen(path, "r")))
		ts_die_errno(TS_EXIT_USAGE, "cannot open --tls %s '%s'", what, path);
	n = fread(buf, 1, sizeof buf - 1, fp);
	if (ferror(fp)) {
		int e = errno;
		fclose(fp);
		errno = e;
		ts_die_errno(TS_EXIT_USAGE, "cannot read --tls %s '%s'", what, path);
	}
	fclose(fp);
	buf[n] = '\0';
	if (!strstr(buf, "-----BEGIN "))
		ts_die(TS_EXIT_USAGE, "--tls %s '%s' is not a PEM file", what, path);
}

/* --tls CERT,KEY: split at the last comma (so a certificate path may hold
 * one); *key points into the same allocation as *cert. */
static void
tls_arg(const char *arg, char **cert, char **key)
{
	char *c = ts_xstrdup(arg), *comma = strrchr(c, ',');

	if (!comma || comma == c || !comma[1])
		ts_usage_error(NULL, "bad --tls '%s': expected CERT,KEY (two PEM files)", arg);
	*comma = '\0';
	free(*cert);
	*cert = c;
	*key = comma + 1;
	tls_file_check("certificate", *cert);
	tls_file_check("key", *key);
}

int
main(int argc, char **argv)
{
	enum { OPT_READY = 256, OPT_PING, OPT_TLS };
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "symbols", required_argument, NULL, 'S' },
		{ "replay", required_argument, NULL, 'R' },
		{ "fault", required_argument, NULL, 'f' },
		{ "truth", required_argument, NULL, 't' },
		{ "ping", required_argument, NULL, OPT_PING },
		{ "ready-fd", required_argument, NULL, OPT_READY },
		{ "tls", required_argument, NULL, OPT_TLS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	struct lws_context_creation_info info;
	const char *symbols = NULL, *replay = NULL, *truth = NULL, *faults[MAX_FAULTS];
	char *tls_cert = NULL, *tls_key = NULL;
	int nfaults = 0, o, port = 8800, ready_fd = -1, nserved = 0;
	const struct sim_ex *served[SIM_MAX_EX];
	char serving[256];
	size_t k = 0;
	struct sigaction sa;

	ts_log_init(argv[0]);
	G.rate = 100;
	G.ping_s = 20;
	sim_st.m.seed = 1;
	G.bad_rl = (struct ts_ratelimit)TS_RATELIMIT_INIT(1, 10);
	while ((o = getopt_long(argc, argv, "p:s:r:S:R:f:t:h", opts, NULL)) != -1) {
		switch (o) {
		case 'p': port = (int)num_arg("--port", optarg, 0, 65535); break;
		case 's': {
			char *end;
			errno = 0;
			sim_st.m.seed = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end)
				ts_usage_error(NULL, "bad --seed '%s'", optarg);
			break;
		}
		case 'r':
			if (!strcmp(optarg, "max")) {
				G.rate = 0;
			} else {
				char *end;
				G.rate = strtod(optarg, &end);
				if (end == optarg || *end || !(G.rate > 0) || G.rate > 1e8)
					ts_usage_error(NULL, "bad --rate '%s'", optarg);
			}
			break;
		case 'S': symbols = optarg; break;
		case 'R': replay = optarg; break;
		case 'f': {
			const char *why, *at = strchr(optarg, '@');
			char spec[64], name[32], *end;
			size_t n = at ? (size_t)(at - optarg) : strlen(optarg);
			double arg;
			if (nfaults >= MAX_FAULTS)
				ts_usage_error(NULL, "too many --fault options");
			if (n >= sizeof spec)
				ts_usage_error(NULL, "bad --fault '%s': too long", optarg);
			memcpy(spec, optarg, n);
			spec[n] = '\0';
			if (sim_fault_parse(spec, name, &arg, &why) < 0)
				ts_usage_error(NULL, "bad --fault '%s': %s", optarg, why);
			if (at && (end = NULL, !(strtod(at + 1, &end) >= 0) || end == at + 1 || *end))
				ts_usage_error(NULL, "bad --fault '%s': bad delay after '@'", optarg);
			faults[nfaults++] = optarg;
			break;
		}
		case 't': truth = optarg; break;
		case OPT_PING: G.ping_s = (int)num_arg("--ping", optarg, 1, 3600); break;
		case OPT_READY: ready_fd = (int)num_arg("--ready-fd", optarg, 0, 1 << 20); break;
		case OPT_TLS: tls_arg(optarg, &tls_cert, &tls_key); break;
		case 'h': usage_print(stdout); return 0;
		case 'V': ts_version(NULL);
		default: ts_usage_error(NULL, NULL);
		}
	}
	if (optind >= argc)
		ts_usage_error(NULL, "missing EXCHANGE (known: %s)", sim_ex_names());
	for (int i = optind; i < argc; i++) {
		const struct sim_ex *x = sim_ex_find(argv[i]);
		if (!x)
			ts_die(TS_EXIT_USAGE, "unknown exchange '%s' (known: %s)", argv[i],
			    sim_ex_names());
		if (!(sim_st.enabled & (1u << x->id)))
			served[nserved++] = x;
		sim_st.enabled |= 1u << x->id;
	}
	sim_st.start_us = ts_now_us();
	sim_st.m.rr = sim_st.m.seed * 0x9e3779b97f4a7c15ULL + 1; /* which symbol moves: by seed too */
	if (replay) {
		char err[512];
		if (argc - optind != 1)
			ts_usage_error(NULL, "--replay plays one exchange; give exactly one EXCHANGE");
		if (sim_replay_load(&sim_st.rp, replay, err, sizeof err) < 0)
			ts_die(TS_EXIT_USAGE, "%s", err);
		if (strcasecmp(sim_st.rp.exchange, argv[optind]))
			ts_die(TS_EXIT_USAGE, "'%s' is a recording of '%s', not '%s'", replay,
			    sim_st.rp.exchange, argv[optind]);
		sim_st.replay_ex = served[0];
		sim_rtruth_init(&sim_st.rt, &sim_st.rp, served[0]);
		ts_info("replaying '%s': %zu messages, %zu REST answers, %zu lines skipped",
		    replay, sim_st.rp.nrecv, sim_st.rp.nhttp, sim_st.rp.bad);
	} else {
		/* in the order given: the symbols' order makes the market */
		for (int e = 0; e < nserved; e++) {
			char *dup = ts_xstrdup(symbols ? symbols : served[e]->symbols), *tok, *save = NULL;
			for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				const char *why;
				if (!sim_market_add(&sim_st.m, served[e], tok, sim_st.start_us, &why))
					ts_die(TS_EXIT_USAGE, "bad symbol '%s': %s", tok, why);
			}
			free(dup);
		}
	}
	if (truth && !(sim_st.m.truth = fopen(truth, "w")))
		ts_die_errno(TS_EXIT_USAGE, "cannot open '%s'", truth);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	lws_set_log_level(LLL_ERR | (ts_log_get_level() >= TS_LOG_DEBUG ? LLL_WARN | LLL_NOTICE : 0),
	    lws_log);
	if (port && port_free(port) < 0)
		ts_die_errno(TS_EXIT_TEMP, "cannot listen on 127.0.0.1:%d", port);
	memset(&info, 0, sizeof info);
	info.port = port;
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	info.pt_serv_buf_size = 256 * 1024;
	/* Binance takes 1024 streams in one URL: about 40 KB of request line */
	info.max_http_header_data = 48 * 1024;
	info.timeout_secs = 30;
	info.ka_time = 0;
	if (tls_cert) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = tls_cert;
		info.ssl_private_key_filepath = tls_key;
		/* HTTP/1.1 only: the REST answers are written as HTTP/1.1
		 * bodies, and a websocket upgrade is an HTTP/1.1 request */
		info.alpn = "http/1.1";
	}
	if (!(sim_st.ctx = lws_create_context(&info))) {
		if (tls_cert)
			ts_die(TS_EXIT_TEMP, "cannot listen on 127.0.0.1:%d with certificate '%s' "
			    "and key '%s'", port, tls_cert, tls_key);
		ts_die(TS_EXIT_TEMP, "cannot listen on 127.0.0.1:%d", port);
	}
	G.vh = lws_get_vhost_by_name(sim_st.ctx, "default");
	if (G.vh)
		port = lws_get_vhost_listen_port(G.vh);
	if (port <= 0)
		ts_die(TS_EXIT_TEMP, "cannot listen on 127.0.0.1: no port");
	printf("port %d\n", port);
	fflush(stdout);
	serving[0] = '\0';
	for (int e = 0; e < nserved; e++) /* "coinbase", "coinbase and binance", "a, b and c" */
		k += (size_t)snprintf(serving + k, k < sizeof serving ? sizeof serving - k : 0, "%s%s",
		    e == 0 ? "" : e == nserved - 1 ? " and " : ", ", served[e]->name);
	ts_info("serving %s on 127.0.0.1:%d%s", serving, port, tls_cert ? " over TLS" : "");

	for (int i = 0; i < nfaults; i++)
		sim_fault_schedule(faults[i]);
	G.last_tick = ts_mono_us();
	lws_sul_schedule(sim_st.ctx, 0, &G.tick_sul, on_tick, tick_us());
	lws_sul_schedule(sim_st.ctx, 0, &G.sec_sul, on_second, LWS_US_PER_SEC);
	lws_sul_schedule(sim_st.ctx, 0, &G.ping_sul, on_ping, (lws_usec_t)G.ping_s * LWS_US_PER_SEC);
	lws_sul_schedule(sim_st.ctx, 0, &G.flush_sul, on_flush, LWS_US_PER_SEC);
	if (ready_fd >= 0) {
		if (write(ready_fd, "\n", 1) != 1)
			ts_warn_errno("cannot write to --ready-fd %d", ready_fd);
		close(ready_fd);
	}
	while (!G.stop && lws_service(sim_st.ctx, 0) >= 0)
		;
	ts_info("stopping: %llu messages sent, %llu trades generated",
	    (unsigned long long)sim_st.frames, (unsigned long long)sim_st.m.trades);
	lws_context_destroy(sim_st.ctx);
	if (sim_st.m.truth && fclose(sim_st.m.truth) != 0)
		ts_warn_errno("cannot write '%s'", truth);
	sim_market_free(&sim_st.m);
	sim_rtruth_free(&sim_st.rt);
	sim_replay_free(&sim_st.rp);
	sim_buf_free(&G.q);
	free(tls_cert);
	return 0;
}
