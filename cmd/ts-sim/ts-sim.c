/* ts-sim: a local exchange speaking Coinbase's and Binance's real websocket and REST protocols */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
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
#include "sim_replay.h"
#include "tm.h"

static const char usage[] =
"usage: ts-sim [--port N] [--seed S] [--rate MSGS_PER_S|max] [--symbols SYM,...]\n"
"              [--replay FILE] [--fault SPEC[@SECONDS]]... [--truth FILE]\n"
"              [--ping SECONDS] [--tls CERT,KEY] [--ready-fd FD] EXCHANGE...\n"
"\n"
"Serve a local exchange on 127.0.0.1: the websocket and REST endpoints of\n"
"each EXCHANGE (coinbase, binance) on one port, in the exchanges' own paths\n"
"and message shapes, from a deterministic random-walk market or from a\n"
"recording. Ground truth and faults are under /_sim/ (see ts-sim(1)).\n"
"\n"
"  -p, --port N       listen on 127.0.0.1:N (default 8800; 0 picks a free\n"
"                     port); 'port N' is the first line on stdout\n"
"  -s, --seed S       seed of the market (default 1): same seed, same market\n"
"  -r, --rate R       market messages a second in all (default 100); 'max'\n"
"                     generates as fast as the clients read\n"
"  -S, --symbols LIST canonical symbols for every EXCHANGE (default\n"
"                     coinbase BTC-USD,ETH-USD; binance BTC-USDT,ETH-USDT)\n"
"  -R, --replay FILE  play a recording (.jsonl or .jsonl.zst) instead\n"
"  -f, --fault SPEC   inject a fault, at start or after @SECONDS: drop, skip,\n"
"                     repeat, malformed, snapshot-delay=S, stall=S, rest-429=N,\n"
"                     rest-500=N, refuse=S, shutdown, cross=SYMBOL\n"
"  -t, --truth FILE   write every generated trade as a JSON line\n"
"      --ping S       Binance ping interval (default 20)\n"
"      --tls CERT,KEY serve https and wss instead of http and ws on the same\n"
"                     port, with this certificate and private key (PEM)\n"
"      --ready-fd FD  write a newline to FD once listening\n"
"  -h, --help         show this help\n"
"\n"
"Exit status: 0 on SIGINT or SIGTERM, 100 usage error (a --tls file too),\n"
"111 cannot listen.\n";

enum { SUB_BOOK = 1, SUB_TRADE = 2 };

/* Outgoing websocket frames, already framed: written to the socket in big
 * raw chunks that always end on a frame boundary. */
struct outq {
	unsigned char *buf;
	size_t head, tail, cap;
};

struct conn {
	struct lws *wsi;
	enum sim_ex ex;
	int combined;       /* Binance /stream: wrap in {"stream","data"} */
	int heartbeats;     /* Coinbase */
	int closing, close_after_drain, want_ping;
	uint8_t sub[SIM_MAX_SYMS];
	uint64_t seqnum;    /* Coinbase sequence_num */
	uint64_t frames;
	struct outq q;
	int replaying;
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

struct fault_at {
	lws_sorted_usec_list_t sul;
	char spec[64];
};

#define HWM (1u << 20)        /* queued bytes above which the market waits */
#define CHUNK (64u * 1024)    /* raw bytes written at once */
#define MAX_FAULTS 32
#define CLOSE_GRACE_S 2       /* a dropped client that does not read is cut off */

static struct {
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct sim_market m;
	unsigned enabled;
	double rate; /* 0: max */
	double budget;
	int64_t last_tick;
	int paused, stop;
	struct conn *conns;
	int nconns;
	/* faults */
	int skip[SIM_NEX], repeat[SIM_NEX];
	int rest429, rest500;
	int64_t snap_delay_us, stall_until, refuse_until;
	/* stats */
	uint64_t frames, pongs, bad_in, refused, faults;
	uint64_t hb_counter;
	int64_t start_us;
	int ping_s;
	/* replay */
	struct sim_replay rp;
	struct sim_rtruth rt; /* the truth of what has been replayed */
	int replay;
	enum sim_ex replay_ex;
	/* scratch */
	struct sim_buf h, t, d, w;
	struct sim_buf q; /* the query of the request being answered */
	struct ts_ratelimit bad_rl;
	lws_sorted_usec_list_t tick_sul, hb_sul, ping_sul, flush_sul, stall_sul;
	struct fault_at fat[MAX_FAULTS];
	int nfat;
} G;

static void kick_all(void);

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

/* Frame header of a server text frame (unmasked) of n payload bytes. */
static size_t
frame_hdr(unsigned char *p, size_t n)
{
	p[0] = 0x81;
	if (n < 126) {
		p[1] = (unsigned char)n;
		return 2;
	}
	if (n < 65536) {
		p[1] = 126;
		p[2] = (unsigned char)(n >> 8);
		p[3] = (unsigned char)n;
		return 4;
	}
	p[1] = 127;
	for (int i = 0; i < 8; i++)
		p[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	return 10;
}

/* Length of the frame at p (header included). */
static size_t
frame_len(const unsigned char *p)
{
	size_t n = p[1] & 0x7f;
	if (n < 126)
		return 2 + n;
	if (n == 126)
		return 4 + ((size_t)p[2] << 8 | p[3]);
	n = 0;
	for (int i = 0; i < 8; i++)
		n = n << 8 | p[2 + i];
	return 10 + n;
}

/* Queue one text frame made of up to three pieces. */
static void
q_frame(struct conn *c, const char *a, size_t an, const char *b, size_t bn,
    const char *d, size_t dn)
{
	size_t n = an + bn + dn;
	unsigned char *p = q_reserve(&c->q, n + 10);
	size_t h = frame_hdr(p, n);

	memcpy(p + h, a, an);
	if (bn)
		memcpy(p + h + an, b, bn);
	if (dn)
		memcpy(p + h + an + bn, d, dn);
	c->q.tail += h + n;
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
}

static void
q_text(struct conn *c, const char *s, size_t n)
{
	q_frame(c, s, n, NULL, 0, NULL, 0);
}

/* A Coinbase message: head, this connection's sequence_num, tail. */
static void
q_cb(struct conn *c, const struct sim_buf *h, const struct sim_buf *t, uint64_t seq)
{
	char num[24];
	int i = sizeof num;

	do {
		num[--i] = (char)('0' + seq % 10);
		seq /= 10;
	} while (seq);
	q_frame(c, h->p, h->len, num + i, sizeof num - (size_t)i, t->p, t->len);
}

/* A Binance stream payload, wrapped for combined streams. */
static void
q_bn(struct conn *c, const char *stream_sym, const char *stream, const struct sim_buf *d)
{
	if (c->combined) {
		char pre[96];
		size_t a = strlen(stream_sym), b = strlen(stream), k = 0;
		memcpy(pre, "{\"stream\":\"", 11);
		k = 11;
		memcpy(pre + k, stream_sym, a);
		k += a;
		pre[k++] = '@';
		memcpy(pre + k, stream, b);
		k += b;
		memcpy(pre + k, "\",\"data\":", 9);
		k += 9;
		q_frame(c, pre, k, d->p, d->len, "}", 1);
	} else {
		q_text(c, d->p, d->len);
	}
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

/* Send one market event to the connections that want it; returns the
 * number of messages it counts for. */
static int
fanout(const struct sim_event *ev)
{
	const struct sim_sym *s = ev->s;
	int book_fmt = 0, trade_fmt = 0, msgs;
	int64_t now = ev->ts_us;

	msgs = 1 + (s->ex == SIM_BINANCE ? ev->nfill : ev->nfill > 0);
	if (s->ex == SIM_COINBASE) {
		int skip = 0, rep = 0, any = 0;
		for (struct conn *c = G.conns; c; c = c->next)
			if (c->ex == SIM_COINBASE && (c->sub[s->idx] & SUB_BOOK) && !c->closing)
				any = 1;
		if (any && G.skip[SIM_COINBASE]) {
			G.skip[SIM_COINBASE]--;
			skip = 1;
		} else if (any && G.repeat[SIM_COINBASE]) {
			G.repeat[SIM_COINBASE]--;
			rep = 1;
		}
		for (struct conn *c = G.conns; c; c = c->next) {
			if (c->ex != SIM_COINBASE || c->closing || c->replaying)
				continue;
			if (c->sub[s->idx] & SUB_BOOK) {
				if (!book_fmt++)
					sim_cb_l2(&G.h, &G.t, ev);
				if (skip) {
					c->seqnum++; /* the number and its data are lost */
				} else {
					q_cb(c, &G.h, &G.t, c->seqnum);
					if (rep)
						q_cb(c, &G.h, &G.t, c->seqnum);
					c->seqnum++;
				}
			}
			if ((c->sub[s->idx] & SUB_TRADE) && ev->nfill) {
				/* G.h/G.t hold the book message: use the others */
				if (!trade_fmt++)
					sim_cb_trades(&G.d, &G.w, ev);
				q_cb(c, &G.d, &G.w, c->seqnum++);
			}
		}
		return msgs;
	}
	/* Binance */
	{
		int skip = 0, rep = 0, any = 0;
		for (struct conn *c = G.conns; c; c = c->next)
			if (c->ex == SIM_BINANCE && (c->sub[s->idx] & SUB_BOOK) && !c->closing)
				any = 1;
		if (any && G.skip[SIM_BINANCE]) {
			G.skip[SIM_BINANCE]--;
			skip = 1;
		} else if (any && G.repeat[SIM_BINANCE]) {
			G.repeat[SIM_BINANCE]--;
			rep = 1;
		}
		for (struct conn *c = G.conns; c; c = c->next) {
			if (c->ex != SIM_BINANCE || c->closing || c->replaying)
				continue;
			if ((c->sub[s->idx] & SUB_BOOK) && !skip) {
				if (!book_fmt++) {
					G.d.len = 0;
					sim_bn_depth(&G.d, ev);
				}
				q_bn(c, s->lower, "depth@100ms", &G.d);
				if (rep)
					q_bn(c, s->lower, "depth@100ms", &G.d);
			}
			if (c->sub[s->idx] & SUB_TRADE)
				for (int i = 0; i < ev->nfill; i++) {
					G.w.len = 0;
					sim_bn_trade(&G.w, s, &ev->fill[i], now);
					q_bn(c, s->lower, "trade", &G.w);
				}
		}
	}
	return msgs;
}

static int
any_subscriber(void)
{
	for (struct conn *c = G.conns; c; c = c->next)
		if (!c->replaying && !c->closing)
			for (int i = 0; i < G.m.nsym; i++)
				if (c->sub[i])
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

	if (G.replay || G.paused || G.m.nsym == 0) {
		G.last_tick = mono;
		return;
	}
	if (G.rate > 0) {
		G.budget += G.rate * (double)(mono - G.last_tick) / 1e6;
		if (G.budget > G.rate * 0.05 + 64) /* no burst after a pause or stall */
			G.budget = G.rate * 0.05 + 64;
	} else if (!any_subscriber()) {
		G.last_tick = mono;
		return; /* max rate and no one to send to: the market rests */
	}
	G.last_tick = mono;
	while ((G.rate == 0 || G.budget >= 1) && n < 50000) {
		if ((n & 31) == 0 && blocked())
			break;
		int k;
		sim_market_step(&G.m, sim_market_pick(&G.m), now, &ev);
		k = fanout(&ev);
		n += k;
		if (G.rate > 0)
			G.budget -= k;
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
	lws_sul_schedule(G.ctx, 0, sul, on_tick, tick_us());
}

/* ---- replay ---- */

/* Does a recorded frame carry a book update (for skip and repeat)? */
static int
rec_is_book(const struct sim_rec *r)
{
	return memmem(r->data, r->len, "\"l2_data\"", 9) ||
	    memmem(r->data, r->len, "\"depthUpdate\"", 13);
}

/* A Coinbase connection's sequence_num goes on from the last one replayed,
 * so the heartbeats that keep it alive after the recording ends continue
 * the sequence the way the exchange's would. */
static void
replay_seq(struct conn *c, const struct sim_rec *r)
{
	static const char key[] = "\"sequence_num\":";
	const char *p = memmem(r->data, r->len, key, sizeof key - 1);
	uint64_t n = 0;

	if (!p)
		return;
	p += sizeof key - 1;
	while (p < r->data + r->len && *p >= '0' && *p <= '9')
		n = n * 10 + (uint64_t)(*p++ - '0');
	c->seqnum = n + 1;
}

/* Has the connection been sent the whole recording? */
static int
replay_done(const struct conn *c)
{
	return c->replaying && c->replay_pos >= G.rp.nrecv;
}

static void
replay_fill(struct conn *c)
{
	int n = 0;

	while (c->replaying && c->replay_pos < G.rp.nrecv && q_len(&c->q) < HWM && n < 4096) {
		const struct sim_rec *r = &G.rp.recv[c->replay_pos++];
		struct ts_jval obj, data;
		n++;
		if (rec_is_book(r) && G.skip[G.replay_ex]) {
			G.skip[G.replay_ex]--;
			continue;
		}
		/* a raw Binance connection gets the payload without its wrapper */
		if (c->ex == SIM_BINANCE && !c->combined &&
		    ts_json_parse(r->data, r->len, &obj, NULL) == 0 &&
		    ts_json_get(&obj, "data", &data) == 0 && data.type == TS_J_OBJ)
			q_text(c, data.p, data.n);
		else
			q_text(c, r->data, r->len);
		if (rec_is_book(r) && G.repeat[G.replay_ex]) {
			G.repeat[G.replay_ex]--;
			q_text(c, r->data, r->len);
		}
		if (c->ex == SIM_COINBASE)
			replay_seq(c, r);
	}
	if (c->replay_pos > G.rt.pos)
		sim_rtruth_advance(&G.rt, &G.rp, c->replay_pos);
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

/* Connections open and not closing. */
static int
conns_open(void)
{
	int n = 0;

	for (const struct conn *c = G.conns; c; c = c->next)
		n += !c->closing;
	return n;
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

/* Parse "btcusdt@trade" / "btcusdt@depth@100ms" / "btcusdt@depth".
 * Returns the subscription bit and the symbol, or 0. */
static int
bn_stream(const char *st, size_t n, struct sim_sym **sp)
{
	char name[64];
	const char *at;
	struct sim_sym *s = NULL;
	int bit;

	if (n >= sizeof name)
		return 0;
	memcpy(name, st, n);
	name[n] = '\0';
	if (!(at = strchr(name, '@')))
		return 0;
	if (!strcmp(at, "@trade"))
		bit = SUB_TRADE;
	else if (!strcmp(at, "@depth@100ms") || !strcmp(at, "@depth"))
		bit = SUB_BOOK;
	else
		return 0;
	for (int i = 0; i < G.m.nsym; i++)
		if (G.m.sym[i]->ex == SIM_BINANCE &&
		    !strncmp(G.m.sym[i]->lower, name, (size_t)(at - name)) &&
		    G.m.sym[i]->lower[at - name] == '\0')
			s = G.m.sym[i];
	*sp = s;
	return bit;
}

/* Subscribe to a list of streams separated by '/'. */
static void
bn_sub_list(struct conn *c, const char *list)
{
	const char *p = list;

	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		struct sim_sym *s = NULL;
		int bit = bn_stream(p, n, &s);
		if (bit && s)
			c->sub[s->idx] |= (uint8_t)bit;
		else if (!bit)
			ts_warn_rl(&G.bad_rl, "unknown stream '%.*s'", (int)n, p);
		p += n + (e ? 1 : 0);
	}
}

static void
bn_reply_error(struct conn *c, int code, const char *msg, const struct ts_jval *id)
{
	struct sim_buf b = { 0 };
	SIM_PUTS(&b, "{\"error\":{\"code\":");
	sim_put_i64(&b, code);
	SIM_PUTS(&b, ",\"msg\":\"");
	sim_puts(&b, msg);
	SIM_PUTS(&b, "\"},\"id\":");
	if (id)
		sim_put(&b, id->p, id->n);
	else
		SIM_PUTS(&b, "null");
	SIM_PUTS(&b, "}");
	q_text(c, b.p, b.len);
	sim_buf_free(&b);
}

static void
bn_receive(struct conn *c, const char *in, size_t len)
{
	struct ts_jval obj, method, params, id, v;
	struct ts_jiter it;
	struct sim_buf b = { 0 };
	int has_id;

	if (ts_json_parse(in, len, &obj, NULL) < 0 || obj.type != TS_J_OBJ) {
		G.bad_in++;
		ts_warn_rl(&G.bad_rl, "binance client sent invalid JSON");
		bn_reply_error(c, 3, "Invalid JSON: expected an object", NULL);
		return;
	}
	has_id = ts_json_get(&obj, "id", &id) == 0;
	if (ts_json_get(&obj, "method", &method) < 0 || method.type != TS_J_STR) {
		G.bad_in++;
		bn_reply_error(c, 1, "Invalid request: missing method", has_id ? &id : NULL);
		return;
	}
	if (ts_json_str_eq(&method, "LIST_SUBSCRIPTIONS")) {
		int n = 0;
		SIM_PUTS(&b, "{\"result\":[");
		for (int i = 0; i < G.m.nsym; i++) {
			const struct sim_sym *s = G.m.sym[i];
			if (s->ex != SIM_BINANCE)
				continue;
			if (c->sub[i] & SUB_TRADE) {
				sim_puts(&b, n++ ? ",\"" : "\"");
				sim_puts(&b, s->lower);
				SIM_PUTS(&b, "@trade\"");
			}
			if (c->sub[i] & SUB_BOOK) {
				sim_puts(&b, n++ ? ",\"" : "\"");
				sim_puts(&b, s->lower);
				SIM_PUTS(&b, "@depth@100ms\"");
			}
		}
		SIM_PUTS(&b, "],\"id\":");
	} else if (ts_json_str_eq(&method, "SUBSCRIBE") || ts_json_str_eq(&method, "UNSUBSCRIBE")) {
		int on = ts_json_str_eq(&method, "SUBSCRIBE");
		if (ts_json_get(&obj, "params", &params) < 0 || params.type != TS_J_ARR) {
			G.bad_in++;
			bn_reply_error(c, 2, "Invalid request: params must be an array of streams",
			    has_id ? &id : NULL);
			return;
		}
		ts_json_iter(&it, &params);
		while (ts_json_next(&it, NULL, &v)) {
			size_t n;
			const char *st = ts_json_str_raw(&v, &n);
			struct sim_sym *s = NULL;
			int bit = st ? bn_stream(st, n, &s) : 0;
			if (!bit) {
				G.bad_in++;
				bn_reply_error(c, 2, "Invalid request: unknown stream name",
				    has_id ? &id : NULL);
				return;
			}
			if (!s) /* Binance accepts any symbol; nothing flows for it */
				continue;
			if (on)
				c->sub[s->idx] |= (uint8_t)bit;
			else
				c->sub[s->idx] &= (uint8_t)~bit;
		}
		if (G.replay && on && !c->replaying)
			c->replaying = 1;
		SIM_PUTS(&b, "{\"result\":null,\"id\":");
	} else {
		G.bad_in++;
		bn_reply_error(c, 1, "Invalid request: unknown method", has_id ? &id : NULL);
		return;
	}
	if (has_id)
		sim_put(&b, id.p, id.n);
	else
		SIM_PUTS(&b, "null");
	SIM_PUTS(&b, "}");
	q_text(c, b.p, b.len);
	sim_buf_free(&b);
	if (c->replaying)
		replay_fill(c);
}

static void
cb_error_msg(struct conn *c, const char *msg)
{
	struct sim_buf b = { 0 };
	SIM_PUTS(&b, "{\"type\":\"error\",\"message\":\"");
	sim_puts(&b, msg);
	SIM_PUTS(&b, "\"}");
	q_text(c, b.p, b.len);
	sim_buf_free(&b);
}

/* The inner object of a subscriptions message for connection c. */
static void
cb_subs_text(struct conn *c, struct sim_buf *b)
{
	static const struct { const char *name; int bit; } chans[] = {
		{ "level2", SUB_BOOK }, { "market_trades", SUB_TRADE },
	};
	int nch = 0;

	SIM_PUTS(b, "{");
	for (size_t k = 0; k < 2; k++) {
		int n = 0;
		for (int i = 0; i < G.m.nsym; i++) {
			if (G.m.sym[i]->ex != SIM_COINBASE || !(c->sub[i] & chans[k].bit))
				continue;
			if (n == 0) {
				if (nch++)
					SIM_PUTS(b, ",");
				SIM_PUTS(b, "\"");
				sim_puts(b, chans[k].name);
				SIM_PUTS(b, "\":[");
			}
			sim_puts(b, n++ ? ",\"" : "\"");
			sim_puts(b, G.m.sym[i]->native);
			SIM_PUTS(b, "\"");
		}
		if (n)
			SIM_PUTS(b, "]");
	}
	if (c->heartbeats) {
		if (nch++)
			SIM_PUTS(b, ",");
		SIM_PUTS(b, "\"heartbeats\":[\"heartbeats\"]");
	}
	SIM_PUTS(b, "}");
	b->p[b->len] = '\0';
}

static void
cb_receive(struct conn *c, const char *in, size_t len)
{
	struct ts_jval obj, ids, v;
	struct ts_jiter it;
	char type[32], chan[32];
	int bit = 0, on;
	struct sim_sym *list[SIM_MAX_SYMS];
	int nl = 0;
	int64_t now = ts_now_us();

	if (ts_json_parse(in, len, &obj, NULL) < 0 || obj.type != TS_J_OBJ ||
	    ts_json_get_str(&obj, "type", type, sizeof type) < 0) {
		G.bad_in++;
		ts_warn_rl(&G.bad_rl, "coinbase client sent a message that is not a JSON object with a type");
		cb_error_msg(c, "malformed message");
		return;
	}
	on = !strcmp(type, "subscribe");
	if (!on && strcmp(type, "unsubscribe")) {
		G.bad_in++;
		cb_error_msg(c, "unknown message type");
		return;
	}
	if (ts_json_get_str(&obj, "channel", chan, sizeof chan) < 0) {
		G.bad_in++;
		cb_error_msg(c, "channel is required");
		return;
	}
	if (!strcmp(chan, "level2") || !strcmp(chan, "l2_data"))
		bit = SUB_BOOK;
	else if (!strcmp(chan, "market_trades"))
		bit = SUB_TRADE;
	else if (strcmp(chan, "heartbeats")) {
		G.bad_in++;
		cb_error_msg(c, "Failure to subscribe: unsupported channel");
		return;
	}
	if (ts_json_get(&obj, "product_ids", &ids) == 0) {
		if (ids.type != TS_J_ARR) {
			G.bad_in++;
			cb_error_msg(c, "product_ids must be an array");
			return;
		}
		ts_json_iter(&it, &ids);
		while (ts_json_next(&it, NULL, &v)) {
			char id[32];
			struct sim_sym *s;
			if (ts_json_str(&v, id, sizeof id) < 0 ||
			    !(s = sim_market_find(&G.m, SIM_COINBASE, id))) {
				if (G.replay)
					continue;
				G.bad_in++;
				cb_error_msg(c, "Failure to subscribe: unknown product");
				return;
			}
			if (nl < SIM_MAX_SYMS)
				list[nl++] = s;
		}
	}
	if (bit && nl == 0 && !G.replay) {
		cb_error_msg(c, "Failure to subscribe: product_ids is required");
		return;
	}
	if (G.replay) {
		if (!bit) /* kept alive with heartbeats once the recording ends */
			c->heartbeats = on;
		c->replaying = 1;
		replay_fill(c);
		return;
	}
	if (!bit) {
		c->heartbeats = on;
	} else {
		for (int i = 0; i < nl; i++) {
			struct sim_sym *s = list[i];
			int had = c->sub[s->idx] & bit;
			if (!on) {
				c->sub[s->idx] &= (uint8_t)~bit;
				continue;
			}
			c->sub[s->idx] |= (uint8_t)bit;
			if (had)
				continue;
			if (bit == SUB_BOOK)
				sim_cb_l2_snapshot(&G.h, &G.t, s, now);
			else
				sim_cb_trades_snapshot(&G.h, &G.t, s, 50, now);
			q_cb(c, &G.h, &G.t, c->seqnum++);
		}
	}
	G.d.len = 0;
	cb_subs_text(c, &G.d);
	sim_cb_subscriptions(&G.h, &G.t, now, G.d.p);
	q_cb(c, &G.h, &G.t, c->seqnum++);
}

/* The exchange a websocket path belongs to, or -1. */
static int
ws_exchange(const char *path)
{
	if (G.replay)
		return (int)G.replay_ex;
	if (!strcmp(path, "/"))
		return SIM_COINBASE;
	if (!strcmp(path, "/stream") || !strcmp(path, "/ws") || !strncmp(path, "/ws/", 4))
		return SIM_BINANCE;
	return -1;
}

static int
ws_established(struct lws *wsi, struct pss *ps)
{
	struct sim_buf path = { 0 };
	const char *q;
	struct conn *c;
	int ex, plen = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);

	/* the path, like the query, can be long: /ws/a@trade/b@trade/… */
	sim_buf_need(&path, (size_t)(plen > 0 ? plen : 0) + 1);
	if (plen <= 0 || lws_hdr_copy(wsi, path.p, plen + 1, WSI_TOKEN_GET_URI) < 0)
		path.p[0] = '\0';
	ex = ws_exchange(path.p);
	if (ex < 0 || !(G.enabled & (1u << ex))) {
		sim_buf_free(&path);
		return -1;
	}
	c = ts_xcalloc(1, sizeof *c);
	c->wsi = wsi;
	c->ex = (enum sim_ex)ex;
	ps->c = c;
	conn_link(c);
	if (ex == SIM_BINANCE) {
		q = get_query(wsi, &G.q);
		if (!strcmp(path.p, "/stream")) {
			size_t n = strlen(q) + 1;
			char *v = ts_xmalloc(n);
			c->combined = 1;
			if (sim_query_get(q, "streams", v, n))
				bn_sub_list(c, v);
			free(v);
		} else if (!strncmp(path.p, "/ws/", 4)) {
			bn_sub_list(c, path.p + 4);
		}
		if (G.replay && (c->combined || !strncmp(path.p, "/ws/", 4)))
			c->replaying = 1;
		if (c->replaying)
			replay_fill(c);
	}
	ts_debug("websocket %s '%.200s' connected (%d open)", sim_ex_name(c->ex), path.p,
	    G.nconns);
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
	if (G.stall_until && ts_mono_us() < G.stall_until)
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
		while (n < avail && (n == 0 || n + frame_len(p + n) <= CHUNK)) {
			n += frame_len(p + n);
			frames++;
		}
		if (lws_write(wsi, p, n, LWS_WRITE_RAW) < (int)n)
			return ws_close_now(ps);
		c->q.head += n;
		c->frames += frames;
		G.frames += frames;
		budget -= n < budget ? n : budget;
	}
	if (q_len(&c->q) == 0) {
		c->q.head = c->q.tail = 0;
		if (c->close_after_drain) {
			conn_close(c);
			return 0;
		}
	}
	if (c->replaying)
		replay_fill(c);
	if (q_len(&c->q) > 0)
		lws_callback_on_writable(wsi);
	else if (G.rate == 0)
		pump(); /* max rate: the market moves when the clients have read */
	return 0;
}

/* ---- faults ---- */

static void
on_stall_end(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	G.stall_until = 0;
	ts_info("stall over");
	kick_all();
}

static void
kick_all(void)
{
	for (struct conn *c = G.conns; c; c = c->next)
		lws_callback_on_writable(c->wsi);
}

/* Does a client of exchange ex stream a book (or a recording)? A replay
 * arms skip and repeat for the next client anyway: it plays from the start. */
static int
book_streamed(enum sim_ex ex)
{
	for (struct conn *c = G.conns; c; c = c->next) {
		if (c->ex != ex || c->closing)
			continue;
		if (c->replaying)
			return 1;
		for (int i = 0; i < G.m.nsym; i++)
			if (c->sub[i] & SUB_BOOK)
				return 1;
	}
	return 0;
}

/* Check a fault SPEC: its name into name (32 bytes) and its number.
 * Returns 0, or -1 with *why. */
static int
fault_parse(const char *spec, char *name, double *arg, const char **why)
{
	const char *eq = strchr(spec, '=');
	size_t nl = eq ? (size_t)(eq - spec) : strlen(spec);

	*arg = 0;
	if (nl >= 32) {
		*why = "unknown fault";
		return -1;
	}
	memcpy(name, spec, nl);
	name[nl] = '\0';
	if (!strcmp(name, "cross")) { /* cross=SYMBOL: a name, not a number */
		if (!eq || !eq[1] || strlen(eq + 1) >= 24) {
			*why = "needs =SYMBOL";
			return -1;
		}
		return 0;
	}
	if (eq) {
		char *end;
		*arg = strtod(eq + 1, &end);
		if (end == eq + 1 || *end || !(*arg >= 0) || *arg > 86400) {
			*why = "bad number";
			return -1;
		}
	}
	if (!strcmp(name, "drop") || !strcmp(name, "skip") || !strcmp(name, "repeat") ||
	    !strcmp(name, "malformed") || !strcmp(name, "shutdown")) {
		if (eq) {
			*why = "takes no value";
			return -1;
		}
	} else if (!strcmp(name, "snapshot-delay") || !strcmp(name, "stall") ||
	    !strcmp(name, "rest-429") || !strcmp(name, "rest-500") || !strcmp(name, "refuse")) {
		if (!eq) {
			*why = "needs =NUMBER";
			return -1;
		}
	} else {
		*why = "unknown fault";
		return -1;
	}
	return 0;
}

/* cross=SYMBOL: one book update that puts a bid at the best ask of SYMBOL
 * (canonical or native, on each exchange that has it), sent to the clients
 * streaming its book, so that their book is crossed and must be resynced.
 * The simulator's own book is not changed: it stays the truth a resynced
 * client must equal. On Binance the update takes the next update id, so
 * the U/u chain stays whole. Returns 0, or -1 with *why. */
static int
fault_cross(const char *sym, const char **why)
{
	int found = 0;

	if (G.replay) {
		*why = "cannot cross a book when replaying";
		return -1;
	}
	for (int e = 0; e < SIM_NEX; e++) {
		struct sim_sym *s = sim_market_find(&G.m, (enum sim_ex)e, sym);
		struct sim_event ev;
		int fmt = 0;

		if (!s)
			continue;
		found = 1;
		if (s->n[0] == 0 || s->n[1] == 0)
			continue;
		memset(&ev, 0, sizeof ev);
		ev.s = s;
		ev.ts_us = ts_now_us();
		ev.nchg = 1;
		ev.chg[0].side = 0;
		ev.chg[0].px = s->lv[1][0].px;  /* a bid at the best ask */
		ev.chg[0].qty = s->lv[0][0].qty;
		for (struct conn *c = G.conns; c; c = c->next) {
			if (c->ex != s->ex || c->closing || c->replaying || !(c->sub[s->idx] & SUB_BOOK))
				continue;
			if (s->ex == SIM_COINBASE) {
				if (!fmt++)
					sim_cb_l2(&G.h, &G.t, &ev);
				q_cb(c, &G.h, &G.t, c->seqnum++);
			} else {
				if (!fmt++) {
					ev.first_uid = ev.last_uid = ++s->update_id;
					G.d.len = 0;
					sim_bn_depth(&G.d, &ev);
				}
				q_bn(c, s->lower, "depth@100ms", &G.d);
			}
		}
		if (!fmt)
			ts_warn("fault 'cross=%s': no %s client streams its book", sym,
			    sim_ex_name(s->ex));
	}
	if (!found) {
		*why = "unknown symbol";
		return -1;
	}
	return 0;
}

/* Apply a fault now. Returns 0, or -1 with *why for a bad SPEC. */
static int
fault_apply(const char *spec, const char **why)
{
	char name[32];
	double arg;

	if (fault_parse(spec, name, &arg, why) < 0)
		return -1;
	if (!strcmp(name, "cross") && fault_cross(strchr(spec, '=') + 1, why) < 0)
		return -1;
	G.faults++;
	ts_info("fault '%s'", spec);
	if (!strcmp(name, "drop")) {
		for (struct conn *c = G.conns; c; c = c->next)
			conn_close(c);
	} else if (!strcmp(name, "skip") || !strcmp(name, "repeat")) {
		/* only where a book is streamed, or it would hit a later client */
		int any = 0;
		for (int i = 0; i < SIM_NEX; i++)
			if (book_streamed((enum sim_ex)i) || (G.replay && i == (int)G.replay_ex)) {
				(name[0] == 's' ? G.skip : G.repeat)[i]++;
				any = 1;
			}
		if (!any)
			ts_warn("fault '%s': no client streams a book; nothing to %s", spec, name);
	} else if (!strcmp(name, "malformed")) {
		static const char bad_cb[] = "{\"channel\":\"l2_data\",\"client_id\":\"\",\"events\":[{\"type\":";
		static const char bad_bn[] = "{\"e\":\"depthUpdate\",\"E\":16339985,\"s\":";
		for (struct conn *c = G.conns; c; c = c->next) {
			if (c->closing)
				continue;
			if (c->ex == SIM_COINBASE)
				q_text(c, bad_cb, sizeof bad_cb - 1);
			else
				q_text(c, bad_bn, sizeof bad_bn - 1);
		}
	} else if (!strcmp(name, "shutdown")) {
		char msg[64];
		int k = snprintf(msg, sizeof msg, "{\"e\":\"serverShutdown\",\"E\":%lld}",
		    (long long)(ts_now_us() / 1000));
		for (struct conn *c = G.conns; c; c = c->next) {
			if (c->ex != SIM_BINANCE)
				continue;
			q_text(c, msg, (size_t)k);
			c->close_after_drain = 1;
		}
	} else if (!strcmp(name, "snapshot-delay")) {
		G.snap_delay_us = (int64_t)(arg * 1e6);
	} else if (!strcmp(name, "stall")) {
		G.stall_until = ts_mono_us() + (int64_t)(arg * 1e6);
		/* stall=0 ends a stall at once */
		lws_sul_schedule(G.ctx, 0, &G.stall_sul, on_stall_end, (lws_usec_t)(arg * 1e6) + 1);
	} else if (!strcmp(name, "rest-429")) {
		G.rest429 = (int)arg;
	} else if (!strcmp(name, "rest-500")) {
		G.rest500 = (int)arg;
	} else if (!strcmp(name, "refuse")) {
		G.refuse_until = ts_mono_us() + (int64_t)(arg * 1e6);
	}
	return 0;
}

static void
on_fault_timer(lws_sorted_usec_list_t *sul)
{
	struct fault_at *f = lws_container_of(sul, struct fault_at, sul);
	const char *why;

	if (fault_apply(f->spec, &why) < 0)
		ts_warn("bad fault '%s': %s", f->spec, why);
}

/* ---- timers ---- */

static void
on_heartbeat(lws_sorted_usec_list_t *sul)
{
	int64_t now = ts_now_us();

	G.hb_counter++;
	if (!(G.stall_until && ts_mono_us() < G.stall_until)) {
		int fmt = 0;
		for (struct conn *c = G.conns; c; c = c->next) {
			if (c->ex != SIM_COINBASE || !c->heartbeats || c->closing ||
			    (c->replaying && !replay_done(c)))
				continue;
			if (!fmt++)
				sim_cb_heartbeat(&G.h, &G.t, now, G.hb_counter, G.start_us);
			q_cb(c, &G.h, &G.t, c->seqnum++);
		}
	}
	lws_sul_schedule(G.ctx, 0, sul, on_heartbeat, LWS_US_PER_SEC);
}

static void
on_ping(lws_sorted_usec_list_t *sul)
{
	if (!(G.stall_until && ts_mono_us() < G.stall_until))
		for (struct conn *c = G.conns; c; c = c->next)
			if (c->ex == SIM_BINANCE) {
				c->want_ping = 1;
				lws_callback_on_writable(c->wsi);
			}
	lws_sul_schedule(G.ctx, 0, sul, on_ping, (lws_usec_t)G.ping_s * LWS_US_PER_SEC);
}

static void
on_flush(lws_sorted_usec_list_t *sul)
{
	if (G.m.truth)
		fflush(G.m.truth);
	lws_sul_schedule(G.ctx, 0, sul, on_flush, LWS_US_PER_SEC);
}

/* ---- HTTP ---- */

static void
sim_json_error(struct sim_resp *r, int status, const char *msg)
{
	r->status = status;
	r->body.len = 0;
	SIM_PUTS(&r->body, "{\"error\":\"");
	sim_puts(&r->body, msg);
	SIM_PUTS(&r->body, "\"}");
}

static struct sim_sym *
sim_sym_arg(const char *q, struct sim_resp *r)
{
	char ex[32], sym[32];
	int e;
	struct sim_sym *s;

	if (!sim_query_get(q, "exchange", ex, sizeof ex) || (e = sim_ex_parse(ex)) < 0 ||
	    !sim_query_get(q, "symbol", sym, sizeof sym)) {
		sim_json_error(r, 400, "exchange and symbol are required");
		return NULL;
	}
	if (!(s = sim_market_find(&G.m, (enum sim_ex)e, sym))) {
		sim_json_error(r, 404, "unknown symbol");
		return NULL;
	}
	return s;
}

/* /_sim/book and /_sim/trades of a replay: what the recording has up to
 * where the client furthest on has been sent. */
static void
replay_truth(const char *path, const char *q, struct sim_resp *r)
{
	char ex[32], sym[32];
	const struct sim_rsym *s;

	if (!sim_query_get(q, "exchange", ex, sizeof ex) || sim_ex_parse(ex) < 0 ||
	    !sim_query_get(q, "symbol", sym, sizeof sym)) {
		sim_json_error(r, 400, "exchange and symbol are required");
		return;
	}
	if (sim_ex_parse(ex) != (int)G.replay_ex || !(s = sim_rtruth_find(&G.rt, sym))) {
		sim_json_error(r, 404, "unknown symbol");
		return;
	}
	if (path[6] == 'b') {
		struct ts_jw w = { 0 };
		if (!s->have_book) {
			sim_json_error(r, 404, "no book in the recording yet");
			return;
		}
		ts_jw_obj(&w);
		ts_book_write(&s->book, &w, 0);
		ts_jw_obj_end(&w);
		sim_put(&r->body, w.buf, w.len);
		ts_jw_free(&w);
		return;
	}
	SIM_PUTS(&r->body, "{\"count\":");
	sim_put_u64(&r->body, s->ntrades);
	SIM_PUTS(&r->body, ",\"first_id\":\"");
	if (s->ntrades)
		sim_put_i64(&r->body, s->first_id);
	SIM_PUTS(&r->body, "\",\"last_id\":\"");
	if (s->ntrades)
		sim_put_i64(&r->body, s->last_id);
	SIM_PUTS(&r->body, "\"}");
}

static void
sim_endpoint(const char *path, const char *q, struct sim_resp *r)
{
	struct sim_sym *s;
	char spec[80];
	const char *why;

	r->status = 200;
	r->body.len = 0;
	if (!strcmp(path, "/_sim/book") || !strcmp(path, "/_sim/trades")) {
		if (G.replay) {
			replay_truth(path, q, r);
			return;
		}
		if (!(s = sim_sym_arg(q, r)))
			return;
		if (path[6] == 'b') {
			sim_truth_book(&r->body, s);
			return;
		}
		SIM_PUTS(&r->body, "{\"count\":");
		sim_put_u64(&r->body, s->ntrades);
		SIM_PUTS(&r->body, ",\"first_id\":\"");
		if (s->ntrades)
			sim_put_u64(&r->body, s->first_trade_id);
		SIM_PUTS(&r->body, "\",\"last_id\":\"");
		if (s->ntrades)
			sim_put_u64(&r->body, s->next_trade_id - 1);
		SIM_PUTS(&r->body, "\"}");
		if (G.m.truth)
			fflush(G.m.truth);
	} else if (!strcmp(path, "/_sim/pause") || !strcmp(path, "/_sim/resume")) {
		G.paused = path[6] == 'p';
		G.budget = 0;
		if (G.m.truth)
			fflush(G.m.truth);
		sim_puts(&r->body, G.paused ? "{\"paused\":true}" : "{\"paused\":false}");
	} else if (!strcmp(path, "/_sim/fault")) {
		if (!sim_query_get(q, "spec", spec, sizeof spec)) {
			sim_json_error(r, 400, "spec is required");
		} else if (fault_apply(spec, &why) < 0) {
			sim_json_error(r, 400, why);
		} else {
			SIM_PUTS(&r->body, "{\"ok\":true}");
		}
	} else if (!strcmp(path, "/_sim/stats")) {
		SIM_PUTS(&r->body, "{\"connections\":");
		sim_put_i64(&r->body, conns_open());
		SIM_PUTS(&r->body, ",\"messages\":");
		sim_put_u64(&r->body, G.frames);
		SIM_PUTS(&r->body, ",\"events\":");
		sim_put_u64(&r->body, G.m.events);
		SIM_PUTS(&r->body, ",\"trades\":");
		sim_put_u64(&r->body, G.m.trades);
		SIM_PUTS(&r->body, ",\"pongs\":");
		sim_put_u64(&r->body, G.pongs);
		SIM_PUTS(&r->body, ",\"faults\":");
		sim_put_u64(&r->body, G.faults);
		SIM_PUTS(&r->body, ",\"bad_input\":");
		sim_put_u64(&r->body, G.bad_in);
		SIM_PUTS(&r->body, ",\"refused\":");
		sim_put_u64(&r->body, G.refused);
		sim_puts(&r->body, G.paused ? ",\"paused\":true}" : ",\"paused\":false}");
	} else {
		sim_json_error(r, 404, "no such endpoint");
	}
}

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

	ps->wsi = wsi;
	ps->off = 0;
	ps->hdr_sent = 0;
	ps->ready = 1;
	ps->resp.retry_after = 0;
	ps->resp.is_depth = 0;
	if (!strncmp(path, "/_sim/", 6)) {
		sim_endpoint(path, q, &ps->resp);
	} else if (G.rest429 > 0 || G.rest500 > 0) {
		int binance = !strncmp(path, "/api/v3/", 8) && strncmp(path, "/api/v3/brokerage", 17);
		ps->resp.body.len = 0;
		if (G.rest429 > 0) {
			G.rest429--;
			ps->resp.status = 429;
			ps->resp.retry_after = 1;
			if (binance)
				SIM_PUTS(&ps->resp.body, "{\"code\":-1003,\"msg\":\"Too many requests; current limit of IP is 6000 request weight per 1 MINUTE.\"}");
			else
				SIM_PUTS(&ps->resp.body, "{\"error\":\"RATE_LIMIT_EXCEEDED\",\"error_details\":\"Too many requests\",\"message\":\"Too many requests\"}");
		} else {
			G.rest500--;
			ps->resp.status = 500;
			if (binance)
				SIM_PUTS(&ps->resp.body, "{\"code\":-1000,\"msg\":\"An unknown error occured while processing the request.\"}");
			else
				SIM_PUTS(&ps->resp.body, "{\"error\":\"INTERNAL\",\"error_details\":\"internal error\",\"message\":\"internal error\"}");
		}
	} else if (G.replay) {
		const struct sim_rec *rec = sim_replay_http(&G.rp, path, q);
		ps->resp.body.len = 0;
		if (rec) {
			ps->resp.status = 200;
			sim_put(&ps->resp.body, rec->data, rec->len);
			ps->resp.is_depth = !strcmp(path, "/api/v3/depth");
		} else {
			sim_json_error(&ps->resp, 404, "not in the recording");
		}
	} else {
		sim_rest(&G.m, G.enabled, path, q, now, &ps->resp);
	}
	ts_debug("GET %s?%.200s -> %d", path, q, ps->resp.status);
	if (ps->resp.is_depth && G.snap_delay_us > 0) {
		ps->ready = 0;
		lws_sul_schedule(G.ctx, 0, &ps->sul, on_http_delay, G.snap_delay_us);
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
		if (G.refuse_until && ts_mono_us() < G.refuse_until) {
			G.refused++;
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
			G.bad_in++;
			ts_warn_rl(&G.bad_rl, "fragmented client message ignored");
			return 0;
		}
		if (ps->c->ex == SIM_COINBASE)
			cb_receive(ps->c, in, len);
		else
			bn_receive(ps->c, in, len);
		return 0;
	case LWS_CALLBACK_RECEIVE_PONG:
		G.pongs++;
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
	if (G.ctx)
		lws_cancel_service(G.ctx);
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
		ts_die(TS_EXIT_USAGE, "bad %s '%s'", opt, s);
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
		ts_die(TS_EXIT_USAGE, "bad --tls '%s': expected CERT,KEY (two PEM files)", arg);
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
		{ 0, 0, 0, 0 },
	};
	struct lws_context_creation_info info;
	const char *symbols = NULL, *replay = NULL, *truth = NULL, *faults[MAX_FAULTS];
	char *tls_cert = NULL, *tls_key = NULL;
	int nfaults = 0, o, port = 8800, ready_fd = -1;
	struct sigaction sa;

	ts_log_init(argv[0]);
	G.rate = 100;
	G.ping_s = 20;
	G.m.seed = 1;
	G.bad_rl = (struct ts_ratelimit)TS_RATELIMIT_INIT(1, 10);
	while ((o = getopt_long(argc, argv, "p:s:r:S:R:f:t:h", opts, NULL)) != -1) {
		switch (o) {
		case 'p': port = (int)num_arg("--port", optarg, 0, 65535); break;
		case 's': {
			char *end;
			errno = 0;
			G.m.seed = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end)
				ts_die(TS_EXIT_USAGE, "bad --seed '%s'", optarg);
			break;
		}
		case 'r':
			if (!strcmp(optarg, "max")) {
				G.rate = 0;
			} else {
				char *end;
				G.rate = strtod(optarg, &end);
				if (end == optarg || *end || !(G.rate > 0) || G.rate > 1e8)
					ts_die(TS_EXIT_USAGE, "bad --rate '%s'", optarg);
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
				ts_die(TS_EXIT_USAGE, "too many --fault options");
			if (n >= sizeof spec)
				ts_die(TS_EXIT_USAGE, "bad --fault '%s': too long", optarg);
			memcpy(spec, optarg, n);
			spec[n] = '\0';
			if (fault_parse(spec, name, &arg, &why) < 0)
				ts_die(TS_EXIT_USAGE, "bad --fault '%s': %s", optarg, why);
			if (at && (end = NULL, !(strtod(at + 1, &end) >= 0) || end == at + 1 || *end))
				ts_die(TS_EXIT_USAGE, "bad --fault '%s': bad delay after '@'", optarg);
			faults[nfaults++] = optarg;
			break;
		}
		case 't': truth = optarg; break;
		case OPT_PING: G.ping_s = (int)num_arg("--ping", optarg, 1, 3600); break;
		case OPT_READY: ready_fd = (int)num_arg("--ready-fd", optarg, 0, 1 << 20); break;
		case OPT_TLS: tls_arg(optarg, &tls_cert, &tls_key); break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return TS_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return TS_EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		int e = sim_ex_parse(argv[i]);
		if (e < 0)
			ts_die(TS_EXIT_USAGE, "unknown exchange '%s' (known: coinbase, binance)", argv[i]);
		G.enabled |= 1u << e;
	}
	G.start_us = ts_now_us();
	G.m.rr = G.m.seed * 0x9e3779b97f4a7c15ULL + 1; /* which symbol moves: by seed too */
	if (replay) {
		char err[512];
		int e;
		if (argc - optind != 1)
			ts_die(TS_EXIT_USAGE, "--replay plays one exchange; give exactly one EXCHANGE");
		e = sim_ex_parse(argv[optind]);
		if (sim_replay_load(&G.rp, replay, err, sizeof err) < 0)
			ts_die(TS_EXIT_USAGE, "%s", err);
		if (strcasecmp(G.rp.exchange, argv[optind]))
			ts_die(TS_EXIT_USAGE, "'%s' is a recording of '%s', not '%s'", replay,
			    G.rp.exchange, argv[optind]);
		G.replay = 1;
		G.replay_ex = (enum sim_ex)e;
		sim_rtruth_init(&G.rt, &G.rp, e == SIM_BINANCE);
		ts_info("replaying '%s': %zu messages, %zu REST answers, %zu lines skipped",
		    replay, G.rp.nrecv, G.rp.nhttp, G.rp.bad);
	} else {
		for (int e = 0; e < SIM_NEX; e++) {
			const char *list = symbols ? symbols :
			    e == SIM_COINBASE ? "BTC-USD,ETH-USD" : "BTC-USDT,ETH-USDT";
			char *dup, *tok, *save = NULL;
			if (!(G.enabled & (1u << e)))
				continue;
			dup = ts_xstrdup(list);
			for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				const char *why;
				if (!sim_market_add(&G.m, (enum sim_ex)e, tok, G.start_us, &why))
					ts_die(TS_EXIT_USAGE, "bad symbol '%s': %s", tok, why);
			}
			free(dup);
		}
	}
	if (truth && !(G.m.truth = fopen(truth, "w")))
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
	if (!(G.ctx = lws_create_context(&info))) {
		if (tls_cert)
			ts_die(TS_EXIT_TEMP, "cannot listen on 127.0.0.1:%d with certificate '%s' "
			    "and key '%s'", port, tls_cert, tls_key);
		ts_die(TS_EXIT_TEMP, "cannot listen on 127.0.0.1:%d", port);
	}
	G.vh = lws_get_vhost_by_name(G.ctx, "default");
	if (G.vh)
		port = lws_get_vhost_listen_port(G.vh);
	if (port <= 0)
		ts_die(TS_EXIT_TEMP, "cannot listen on 127.0.0.1: no port");
	printf("port %d\n", port);
	fflush(stdout);
	ts_info("serving %s%s%s on 127.0.0.1:%d%s", (G.enabled & 1) ? "coinbase" : "",
	    G.enabled == 3 ? " and " : "", (G.enabled & 2) ? "binance" : "", port,
	    tls_cert ? " over TLS" : "");

	for (int i = 0; i < nfaults; i++) {
		const char *at = strchr(faults[i], '@'), *why;
		struct fault_at *f = &G.fat[G.nfat++];
		size_t n = at ? (size_t)(at - faults[i]) : strlen(faults[i]);
		memcpy(f->spec, faults[i], n);
		f->spec[n] = '\0';
		if (at) {
			lws_sul_schedule(G.ctx, 0, &f->sul, on_fault_timer,
			    (lws_usec_t)(strtod(at + 1, NULL) * 1e6));
		} else if (fault_apply(f->spec, &why) < 0) {
			ts_die(TS_EXIT_USAGE, "bad --fault '%s': %s", faults[i], why);
		}
	}
	G.last_tick = ts_mono_us();
	lws_sul_schedule(G.ctx, 0, &G.tick_sul, on_tick, tick_us());
	lws_sul_schedule(G.ctx, 0, &G.hb_sul, on_heartbeat, LWS_US_PER_SEC);
	lws_sul_schedule(G.ctx, 0, &G.ping_sul, on_ping, (lws_usec_t)G.ping_s * LWS_US_PER_SEC);
	lws_sul_schedule(G.ctx, 0, &G.flush_sul, on_flush, LWS_US_PER_SEC);
	if (ready_fd >= 0) {
		if (write(ready_fd, "\n", 1) != 1)
			ts_warn_errno("cannot write to --ready-fd %d", ready_fd);
		close(ready_fd);
	}
	while (!G.stop && lws_service(G.ctx, 0) >= 0)
		;
	ts_info("stopping: %llu messages sent, %llu trades generated",
	    (unsigned long long)G.frames, (unsigned long long)G.m.trades);
	lws_context_destroy(G.ctx);
	if (G.m.truth && fclose(G.m.truth) != 0)
		ts_warn_errno("cannot write '%s'", truth);
	sim_market_free(&G.m);
	sim_rtruth_free(&G.rt);
	sim_replay_free(&G.rp);
	sim_buf_free(&G.h);
	sim_buf_free(&G.t);
	sim_buf_free(&G.d);
	sim_buf_free(&G.w);
	sim_buf_free(&G.q);
	free(tls_cert);
	return 0;
}
