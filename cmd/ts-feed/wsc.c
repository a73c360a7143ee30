/* wsc.c: ts-feed's websocket client (see wsc.h) */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "tm.h"
#include "wsc.h"
#include "wsframe.h"

#define CONNECT_LIMIT_US (10 * TS_US_PER_SEC)
#define RX_START (256 * 1024)    /* one read takes in hundreds of messages */
#define READS_PER_IO 16          /* then the loop gets a turn */
#define MAX_HEADER 16384         /* of the server's upgrade answer */
#define MAX_WQUEUE (16u << 20)   /* unsent bytes before the peer is given up */

static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static SSL_CTX *tls_ctx;

/* A name lookup with everything glibc reads from it while it runs. */
struct gaireq {
	struct gaicb cb; /* first: a struct gaicb * is a struct gaireq * */
	struct addrinfo hints;
	char name[256], service[8];
};

static void
gai_free(struct gaicb *g)
{
	if (g->ar_result)
		freeaddrinfo(g->ar_result);
	free(g);
}

/* Name lookups abandoned while under way: glibc still writes to them. */
struct orphan {
	struct gaicb *g;
	struct orphan *next;
};
static struct orphan *orphans;

/* the wire format */

size_t
wsc_frame_build(unsigned char *out, int opcode, const void *p, size_t n,
    const unsigned char mask[4])
{
	const unsigned char *s = p;
	size_t h = ts_ws_hdr_write(out, opcode, n, mask);

	for (size_t i = 0; i < n; i++)
		out[h + i] = s[i] ^ mask[i & 3];
	return h + n;
}

void
wsc_accept_for(const char *key, char out[32])
{
	unsigned char md[SHA_DIGEST_LENGTH];
	char buf[128];
	int n = snprintf(buf, sizeof buf, "%s%s", key, guid);

	SHA1((unsigned char *)buf, (size_t)n, md);
	EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}

/* Does the comma-separated header value v (length n) hold token t? */
static int
has_token(const char *v, size_t n, const char *t)
{
	size_t tl = strlen(t);

	while (n) {
		size_t i = 0, e;
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		v += i, n -= i;
		for (e = 0; e < n && v[e] != ','; e++)
			;
		i = e;
		while (i && (v[i - 1] == ' ' || v[i - 1] == '\t'))
			i--;
		if (i == tl && !strncasecmp(v, t, tl))
			return 1;
		if (e == n)
			break;
		v += e + 1, n -= e + 1;
	}
	return 0;
}

int
wsc_check_upgrade(const char *p, size_t n, const char *accept, char *err, size_t errn)
{
	const char *end = memmem(p, n, "\r\n\r\n", 4), *line, *eol;
	int status = 0, upgrade = 0, conn = 0, acc = 0;

	if (!end) {
		if (n > MAX_HEADER) {
			snprintf(err, errn, "the answer to the upgrade has no end of header in %d bytes",
			    MAX_HEADER);
			return -1;
		}
		return 0;
	}
	eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
	/* the text is not NUL-terminated: no sscanf */
	if (eol - p >= 12 && !memcmp(p, "HTTP/1.1 ", 9) && p[9] >= '0' && p[9] <= '9' &&
	    p[10] >= '0' && p[10] <= '9' && p[11] >= '0' && p[11] <= '9')
		status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (!status) {
		snprintf(err, errn, "not an HTTP/1.1 answer to the upgrade: '%.*s'",
		    (int)(eol - p > 80 ? 80 : eol - p), p);
		return -1;
	}
	if (status != 101) {
		snprintf(err, errn, "the upgrade was refused: '%.*s'",
		    (int)(eol - p > 120 ? 120 : eol - p), p);
		return -1;
	}
	for (line = eol + 2; line < end + 2; line = eol + 2) {
		const char *colon, *v;
		size_t vn;
		eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
		if (!(colon = memchr(line, ':', (size_t)(eol - line))))
			continue;
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		vn = (size_t)(eol - v);
		while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
			vn--;
#define IS(name) ((size_t)(colon - line) == sizeof name - 1 && !strncasecmp(line, name, sizeof name - 1))
		if (IS("Upgrade"))
			upgrade = has_token(v, vn, "websocket");
		else if (IS("Connection"))
			conn = has_token(v, vn, "upgrade");
		else if (IS("Sec-WebSocket-Accept"))
			acc = vn == strlen(accept) && !memcmp(v, accept, vn);
		else if (IS("Sec-WebSocket-Extensions") && vn) {
			snprintf(err, errn, "the server chose an extension that was not offered: '%.*s'",
			    (int)(vn > 80 ? 80 : vn), v);
			return -1;
		}
#undef IS
	}
	if (!upgrade || !conn) {
		snprintf(err, errn, "the answer to the upgrade lacks 'Upgrade: websocket' or "
		    "'Connection: Upgrade'");
		return -1;
	}
	if (!acc) {
		snprintf(err, errn, "the answer to the upgrade has a wrong Sec-WebSocket-Accept");
		return -1;
	}
	return (int)(end + 4 - p);
}

/* the connection */

void
wsc_init(struct wsc *w, const struct wsc_cb *cb)
{
	memset(w, 0, sizeof *w);
	w->cb = *cb;
	w->fd = -1;
	w->max_msg = (size_t)64 << 20;
}

static void
drop_gai(struct wsc *w)
{
	struct gaicb *g = w->gai;

	if (!g)
		return;
	w->gai = NULL;
	if (gai_error(g) == EAI_INPROGRESS && gai_cancel(g) != EAI_CANCELED) {
		struct orphan *o = ts_xmalloc(sizeof *o);
		o->g = g;
		o->next = orphans;
		orphans = o;
		return;
	}
	gai_free(g);
}

static void
reap_orphans(void)
{
	for (struct orphan **pp = &orphans, *o; (o = *pp);) {
		if (gai_error(o->g) == EAI_INPROGRESS) {
			pp = &o->next;
			continue;
		}
		*pp = o->next;
		gai_free(o->g);
		free(o);
	}
}

/* Tear the connection down, quietly. */
static void
teardown(struct wsc *w)
{
	if (w->ssl) {
		SSL_free(w->ssl);
		w->ssl = NULL;
	}
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	drop_gai(w);
	if (w->ai) {
		freeaddrinfo(w->ai);
		w->ai = w->ai_next = NULL;
	}
	w->state = WSC_IDLE;
	w->rlen = w->wlen = w->wpos = w->mlen = 0;
	w->mop = 0;
	w->tls_want_write = w->rx_more = 0;
	w->gen++;
}

/* The connection failed or ended: tear down and tell. Returns -1. */
static int
fail(struct wsc *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct wsc *w, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	int was_open = w->state == WSC_OPEN;

	if (w->state == WSC_IDLE)
		return -1;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	teardown(w);
	w->cb.closed(w->cb.ctx, why, was_open);
	return -1;
}

void
wsc_free(struct wsc *w)
{
	teardown(w);
	free(w->path);
	free(w->rb);
	free(w->wb);
	free(w->mb);
	w->path = NULL;
	w->rb = w->wb = NULL;
	w->mb = NULL;
	reap_orphans();
}

static const char *
tls_error(struct wsc *w, int ret, char *buf, size_t n)
{
	int e = SSL_get_error(w->ssl, ret);
	unsigned long code = ERR_peek_last_error();
	long vr = SSL_get_verify_result(w->ssl);

	if (vr != X509_V_OK) {
		snprintf(buf, n, "certificate verify failed: %s", X509_verify_cert_error_string(vr));
	} else if (code) {
		char s[256];
		ERR_error_string_n(code, s, sizeof s);
		snprintf(buf, n, "%s", s);
	} else if (e == SSL_ERROR_SYSCALL) {
		snprintf(buf, n, "%s", errno ? strerror(errno) : "connection closed by the peer");
	} else if (e == SSL_ERROR_ZERO_RETURN) {
		snprintf(buf, n, "connection closed by the peer");
	} else {
		snprintf(buf, n, "TLS error %d", e);
	}
	ERR_clear_error();
	return buf;
}

/* Room for n more bytes at the end of the send queue, or NULL when the
 * peer has stopped reading (the connection is then failed). */
static unsigned char *
queue_room(struct wsc *w, size_t n)
{
	if (w->wpos == w->wlen)
		w->wpos = w->wlen = 0;
	if (w->wlen - w->wpos + n > MAX_WQUEUE) {
		fail(w, "the server does not read what is sent (%u MiB queued)", MAX_WQUEUE >> 20);
		return NULL;
	}
	ts_xgrow((void **)&w->wb, &w->wcap, w->wlen + n, 1);
	return w->wb + w->wlen;
}

static int
queue_bytes(struct wsc *w, const void *p, size_t n)
{
	unsigned char *q = queue_room(w, n);

	if (!q)
		return -1;
	memcpy(q, p, n);
	w->wlen += n;
	return 0;
}

static int
queue_frame(struct wsc *w, int opcode, const void *p, size_t n)
{
	unsigned char mask[4], *q;

	if (RAND_bytes(mask, 4) != 1)
		return fail(w, "no random bytes for the frame mask");
	if (!(q = queue_room(w, n + 14)))
		return -1;
	w->wlen += wsc_frame_build(q, opcode, p, n, mask);
	return 0;
}

/* Write what is queued. Returns 0 (all or some written), -1 failed. */
static int
flush(struct wsc *w)
{
	while (w->wpos < w->wlen) {
		size_t n = w->wlen - w->wpos;
		ssize_t r;
		if (w->ssl) {
			int s = SSL_write(w->ssl, w->wb + w->wpos, n > INT32_MAX ? INT32_MAX : (int)n);
			if (s <= 0) {
				int e = SSL_get_error(w->ssl, s);
				char buf[256];
				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
					return 0;
				return fail(w, "cannot send: %s", tls_error(w, s, buf, sizeof buf));
			}
			r = s;
		} else {
			r = send(w->fd, w->wb + w->wpos, n, MSG_NOSIGNAL);
			if (r < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					return 0;
				return fail(w, "cannot send: %s", strerror(errno));
			}
		}
		w->wpos += (size_t)r;
	}
	w->wpos = w->wlen = 0;
	return 0;
}

/* Read into rb. Returns bytes read, 0 when nothing is there now, -1 failed
 * (or the peer closed; cb.closed was called). */
static ssize_t
rx(struct wsc *w)
{
	size_t room;
	ssize_t r;

	if (w->rcap - w->rlen < 4096)
		ts_xgrow((void **)&w->rb, &w->rcap, w->rlen + (w->rcap < RX_START ? RX_START : 4096), 1);
	room = w->rcap - w->rlen;
	if (w->ssl) {
		int s = SSL_read(w->ssl, w->rb + w->rlen, room > INT32_MAX ? INT32_MAX : (int)room);
		if (s <= 0) {
			int e = SSL_get_error(w->ssl, s);
			char buf[256];
			if (e == SSL_ERROR_WANT_READ)
				return 0;
			if (e == SSL_ERROR_WANT_WRITE) {
				w->tls_want_write = 1;
				return 0;
			}
			return fail(w, "%s", e == SSL_ERROR_ZERO_RETURN ? "connection closed by the peer" :
			    tls_error(w, s, buf, sizeof buf));
		}
		w->tls_want_write = 0;
		r = s;
	} else {
		r = recv(w->fd, w->rb + w->rlen, room, 0);
		if (r == 0)
			return fail(w, "connection closed by the peer");
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return 0;
			return fail(w, "cannot receive: %s", strerror(errno));
		}
	}
	w->rlen += (size_t)r;
	w->rx_at = ts_now_us(); /* one clock read for all the messages read */
	return r;
}

static void
send_upgrade(struct wsc *w)
{
	unsigned char nonce[16];
	char key[32], req[4096 + 600];
	int n;

	if (RAND_bytes(nonce, sizeof nonce) != 1) {
		fail(w, "no random bytes for the websocket key");
		return;
	}
	EVP_EncodeBlock((unsigned char *)key, nonce, sizeof nonce);
	wsc_accept_for(key, w->accept);
	n = snprintf(req, sizeof req,
	    "GET %s HTTP/1.1\r\n"
	    "Host: %s%s%s:%d\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "User-Agent: tradesuite/0.1\r\n"
	    "\r\n",
	    w->path, strchr(w->host, ':') ? "[" : "", w->host, strchr(w->host, ':') ? "]" : "",
	    w->port, key);
	if (n < 0 || (size_t)n >= sizeof req) {
		fail(w, "the websocket path is too long");
		return;
	}
	w->state = WSC_UPGRADE;
	if (queue_bytes(w, req, (size_t)n) == 0)
		flush(w);
}

static int
start_tls(struct wsc *w)
{
	struct in6_addr ip;
	int is_ip = inet_pton(AF_INET, w->host, &ip) == 1 || inet_pton(AF_INET6, w->host, &ip) == 1;
	SSL *s;

	if (!tls_ctx) {
		static const unsigned char alpn[] = "\x08http/1.1";
		if (!(tls_ctx = SSL_CTX_new(TLS_client_method())))
			return fail(w, "cannot create the TLS context");
		SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION);
		/* the system's CAs, or SSL_CERT_FILE / SSL_CERT_DIR */
		SSL_CTX_set_default_verify_paths(tls_ctx);
		SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_mode(tls_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
		    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		SSL_CTX_set_alpn_protos(tls_ctx, alpn, sizeof alpn - 1);
	}
	if (!(s = SSL_new(tls_ctx)))
		return fail(w, "cannot create a TLS session");
	w->ssl = s;
	SSL_set_fd(s, w->fd);
	if (is_ip) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), w->host);
	} else {
		SSL_set_tlsext_host_name(s, w->host);
		SSL_set1_host(s, w->host);
	}
	w->state = WSC_TLS;
	return 0;
}

static int
try_connect(struct wsc *w)
{
	struct addrinfo *ai;
	char why[256] = "no address";
	int one = 1;

	while ((ai = w->ai_next)) {
		w->ai_next = ai->ai_next;
		if (w->fd >= 0) {
			close(w->fd);
			w->fd = -1;
		}
		if ((w->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol)) < 0) {
			snprintf(why, sizeof why, "%s", strerror(errno));
			continue;
		}
		setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(w->fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
			w->state = WSC_CONNECTING;
			return 0;
		}
		snprintf(why, sizeof why, "%s", strerror(errno));
	}
	return fail(w, "cannot connect to %s:%d: %s", w->host, w->port, why);
}

static void
resolved(struct wsc *w, struct addrinfo *res)
{
	w->ai = w->ai_next = res;
	try_connect(w);
}

int
wsc_connect(struct wsc *w, const char *host, int port, int tls, const char *path)
{
	struct addrinfo hints, *res = NULL;
	char portstr[8];
	struct gaireq *q;
	struct gaicb *g;
	struct sigevent sev;

	teardown(w);
	snprintf(w->host, sizeof w->host, "%s", host);
	free(w->path);
	w->path = ts_xstrdup(path);
	w->port = port;
	w->tls = tls;
	w->deadline = ts_mono_us() + CONNECT_LIMIT_US;
	w->state = WSC_RESOLVING;
	snprintf(portstr, sizeof portstr, "%d", port);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, portstr, &hints, &res) == 0) {
		resolved(w, res);
		return w->state == WSC_IDLE ? -1 : 0;
	}
	/* a name: looked up in glibc's thread, polled by wsc_tick */
	q = ts_xmalloc(sizeof *q);
	memset(q, 0, sizeof *q);
	snprintf(q->name, sizeof q->name, "%s", host);
	memcpy(q->service, portstr, sizeof q->service);
	q->hints.ai_socktype = SOCK_STREAM;
	q->hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
	q->cb.ar_name = q->name;
	q->cb.ar_service = q->service;
	q->cb.ar_request = &q->hints;
	g = &q->cb;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_NONE;
	if (getaddrinfo_a(GAI_NOWAIT, &g, 1, &sev) != 0) {
		free(q);
		return fail(w, "cannot look up '%s'", host);
	}
	w->gai = g;
	return 0;
}

void
wsc_tick(struct wsc *w, int64_t now)
{
	if (orphans)
		reap_orphans();
	if (w->state == WSC_RESOLVING && w->gai) {
		struct gaicb *g = w->gai;
		int e = gai_error(g);
		if (e != EAI_INPROGRESS) {
			struct addrinfo *res = g->ar_result;
			g->ar_result = NULL;
			w->gai = NULL;
			gai_free(g);
			if (e) {
				fail(w, "cannot look up '%s': %s", w->host, gai_strerror(e));
				return;
			}
			resolved(w, res);
			return;
		}
	}
	if (w->state != WSC_IDLE && w->state != WSC_OPEN && now > w->deadline)
		fail(w, "no websocket to %s:%d within %d s (stuck %s)", w->host, w->port,
		    (int)(CONNECT_LIMIT_US / TS_US_PER_SEC),
		    w->state == WSC_RESOLVING ? "looking up the name" :
		    w->state == WSC_CONNECTING ? "connecting" :
		    w->state == WSC_TLS ? "in the TLS handshake" : "waiting for the upgrade");
}

int
wsc_want_write(const struct wsc *w)
{
	return w->state == WSC_CONNECTING || (w->state == WSC_TLS && w->tls_want_write) ||
	    (w->state >= WSC_UPGRADE && (w->wpos < w->wlen || w->tls_want_write || w->rx_more));
}

/* Hand a complete message over. Returns -1 when the callback tore the
 * connection down. */
static int
deliver(struct wsc *w, unsigned gen, int op, const char *p, size_t n)
{
	w->cb.message(w->cb.ctx, p, n, op == TS_WS_BINARY);
	return gen == w->gen ? 0 : -1;
}

/* Act on the frames in rb; keep a partial one. Returns -1 when the
 * connection went away. */
static int
frames(struct wsc *w, unsigned gen)
{
	size_t off = 0, need = 0;
	int ret = 0;

	while (off < w->rlen) {
		struct ts_ws_hdr f;
		const char *err;
		const unsigned char *pl;
		int h = ts_ws_hdr_read(w->rb + off, w->rlen - off, 0, &f, &err);
		if (h < 0)
			return fail(w, "protocol error: %s", err);
		if (h == 0)
			break;
		if (f.len > w->max_msg)
			return fail(w, "a message larger than %zu MiB", w->max_msg >> 20);
		if (f.hlen + f.len > w->rlen - off) {
			need = f.hlen + (size_t)f.len;
			break;
		}
		pl = w->rb + off + f.hlen;
		off += f.hlen + (size_t)f.len;
		w->frames++;
		switch (f.opcode) {
		case TS_WS_TEXT:
		case TS_WS_BINARY:
			if (w->mop)
				return fail(w, "protocol error: a new message inside a fragmented one");
			if (f.fin) {
				if (deliver(w, gen, f.opcode, (const char *)pl, (size_t)f.len) < 0)
					return -1;
				break;
			}
			w->mop = f.opcode;
			w->mlen = 0;
			/* fall through */
		case TS_WS_CONT:
			if (!w->mop)
				return fail(w, "protocol error: a continuation with no message");
			if (w->mlen + f.len > w->max_msg)
				return fail(w, "a message larger than %zu MiB", w->max_msg >> 20);
			ts_xgrow((void **)&w->mb, &w->mcap, w->mlen + (size_t)f.len + 1, 1);
			memcpy(w->mb + w->mlen, pl, (size_t)f.len);
			w->mlen += (size_t)f.len;
			if (f.fin) {
				int op = w->mop;
				w->mop = 0;
				if (deliver(w, gen, op, w->mb, w->mlen) < 0)
					return -1;
			}
			break;
		case TS_WS_PING:
			if (queue_frame(w, TS_WS_PONG, pl, (size_t)f.len) < 0)
				return -1;
			break;
		case TS_WS_PONG:
			break;
		case TS_WS_CLOSE: {
			unsigned code = f.len >= 2 ? (unsigned)pl[0] << 8 | pl[1] : 1005;
			int rn = f.len > 2 ? (int)f.len - 2 : 0;
			const char *reason = (const char *)pl + 2;
			/* answer with the same code, then go */
			if (queue_frame(w, TS_WS_CLOSE, pl, f.len >= 2 ? 2 : 0) == 0)
				flush(w);
			return fail(w, "closed by the peer (code %u%s%.*s)", code, rn ? ": " : "",
			    rn > 120 ? 120 : rn, reason);
		}
		}
	}
	if (off) {
		memmove(w->rb, w->rb + off, w->rlen - off);
		w->rlen -= off;
	}
	if (need > w->rcap)
		ts_xgrow((void **)&w->rb, &w->rcap, need, 1);
	if (w->wpos < w->wlen)
		ret = flush(w); /* pongs */
	return ret;
}

static void
step_connect(struct wsc *w)
{
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err == 0) {
		/* connected, unless the poll woke us for nothing */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		if (getpeername(w->fd, (struct sockaddr *)&ss, &sl) < 0) {
			if (errno == ENOTCONN)
				return;
			err = errno;
		}
	}
	if (err) {
		if (w->ai_next) {
			try_connect(w);
			return;
		}
		fail(w, "cannot connect to %s:%d: %s", w->host, w->port, strerror(err));
		return;
	}
	freeaddrinfo(w->ai);
	w->ai = w->ai_next = NULL;
	if (w->tls) {
		start_tls(w);
		return;
	}
	send_upgrade(w);
}

static void
step_tls(struct wsc *w)
{
	int r;
	char buf[256];

	ERR_clear_error();
	r = SSL_connect(w->ssl);
	if (r == 1) {
		w->tls_want_write = 0;
		send_upgrade(w);
		return;
	}
	switch (SSL_get_error(w->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		w->tls_want_write = 0;
		return;
	case SSL_ERROR_WANT_WRITE:
		w->tls_want_write = 1;
		return;
	default:
		fail(w, "TLS with %s:%d failed: %s", w->host, w->port, tls_error(w, r, buf, sizeof buf));
	}
}

/* Act on what rb holds: the answer to the upgrade, then frames. Returns -1
 * when the connection went away. */
static int
process(struct wsc *w, unsigned gen)
{
	if (w->state == WSC_UPGRADE) {
		char err[300];
		int h = wsc_check_upgrade((const char *)w->rb, w->rlen, w->accept, err, sizeof err);
		if (h < 0)
			return fail(w, "%s", err);
		if (h == 0)
			return 0;
		memmove(w->rb, w->rb + h, w->rlen - (size_t)h);
		w->rlen -= (size_t)h;
		w->state = WSC_OPEN;
		w->cb.open(w->cb.ctx);
		if (gen != w->gen)
			return -1;
	}
	if (w->state != WSC_OPEN)
		return -1;
	return frames(w, gen) < 0 || gen != w->gen ? -1 : 0;
}

void
wsc_feed(struct wsc *w, const void *p, size_t n)
{
	if (w->state != WSC_UPGRADE && w->state != WSC_OPEN)
		return;
	ts_xgrow((void **)&w->rb, &w->rcap, w->rlen + n, 1);
	memcpy(w->rb + w->rlen, p, n);
	w->rlen += n;
	process(w, w->gen);
}

void
wsc_io(struct wsc *w)
{
	unsigned gen = w->gen;

	if (w->state == WSC_CONNECTING)
		step_connect(w);
	if (w->state == WSC_TLS)
		step_tls(w);
	if (w->state < WSC_UPGRADE || gen != w->gen)
		return;
	if (w->wpos < w->wlen && (flush(w) < 0 || gen != w->gen))
		return;
	w->rx_more = 0;
	for (int i = 0; i < READS_PER_IO; i++) {
		ssize_t n = rx(w);
		if (n <= 0 || process(w, gen) < 0)
			return;
	}
	/* more may be waiting (in the kernel or in OpenSSL's buffer, which
	 * poll cannot see): come back on the next turn of the loop */
	w->rx_more = 1;
}

int
wsc_send_text(struct wsc *w, const char *p, size_t n)
{
	if (w->state != WSC_OPEN)
		return -1;
	if (queue_frame(w, TS_WS_TEXT, p, n) < 0)
		return -1;
	return flush(w);
}

void
wsc_close(struct wsc *w, const char *why)
{
	if (w->state == WSC_IDLE)
		return;
	if (w->state == WSC_OPEN) {
		static const unsigned char normal[2] = { 1000 >> 8, 1000 & 0xff };
		unsigned gen = w->gen;
		if (queue_frame(w, TS_WS_CLOSE, normal, 2) == 0)
			flush(w);
		if (gen != w->gen)
			return;
		if (w->ssl && w->wpos == w->wlen)
			SSL_shutdown(w->ssl);
	}
	fail(w, "%s", why);
}
