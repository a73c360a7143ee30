/* wsc.h: ts-feed's websocket client (RFC 6455) on a non-blocking socket, with
 * TLS by OpenSSL
 *
 * libwebsockets 4.1 (Debian 12's) reads a client's frames a byte at a time,
 * which measured about half of ts-feed's CPU, and its RAW client cannot do
 * TLS (it starts the handshake before the socket exists). So the connection
 * is ours: resolve (getaddrinfo_a), connect, TLS (certificate and host name
 * verified), the HTTP upgrade, then frames read where they lie in one big
 * buffer. The caller's loop (ts-feed's: libcommon/loop.h) polls wsc.fd for
 * input always and for output while wsc_want_write() says so, and calls
 * wsc_io on either, and wsc_tick every few tens of ms (resolving, timeouts).
 *
 * Every wsc_connect ends in exactly one cb.closed: a failure at any stage, the
 * peer's close, or wsc_close. Callbacks may call wsc_send_text or wsc_close;
 * wsc notices and stops what it was doing. */
#ifndef TS_FEED_WSC_H
#define TS_FEED_WSC_H

#include <stddef.h>
#include <stdint.h>

enum wsc_state { WSC_IDLE, WSC_RESOLVING, WSC_CONNECTING, WSC_TLS, WSC_UPGRADE, WSC_OPEN };

struct wsc_cb {
	void *ctx;
	/* the upgrade was accepted: messages may be sent */
	void (*open)(void *ctx);
	/* one whole message (fragments joined); binary: not a text message */
	void (*message)(void *ctx, const char *p, size_t n, int binary);
	/* the connection is gone or was never made; was_open: open had run */
	void (*closed)(void *ctx, const char *why, int was_open);
};

struct wsc {
	struct wsc_cb cb;
	enum wsc_state state;
	int fd;                    /* the socket, -1 when none */
	void *ssl;                 /* SSL *, NULL for ws:// */
	int tls, port;
	char host[256];
	char *path;
	void *gai;                 /* the name lookup under way */
	void *ai, *ai_next;        /* struct addrinfo: all addresses, the next to try */
	int64_t deadline;          /* monotonic µs by which the upgrade must be done */
	int tls_want_write, rx_more;
	char accept[32];           /* the Sec-WebSocket-Accept expected */
	unsigned char *rb;         /* received bytes not consumed yet */
	size_t rlen, rcap;
	unsigned char *wb;         /* bytes to send, from wpos */
	size_t wlen, wpos, wcap;
	char *mb;                  /* a fragmented message being joined */
	size_t mlen, mcap;
	int mop;                   /* its opcode, 0 when none */
	unsigned gen;              /* bumped by every teardown */
	uint64_t frames;           /* frames received, pings and pongs too */
	int64_t rx_at;             /* wall-clock µs of the last read: the
	                            * receive time of every message in it */
	size_t max_msg;            /* largest message accepted */
};

void wsc_init(struct wsc *w, const struct wsc_cb *cb);
void wsc_free(struct wsc *w);

/* Start connecting to ws[s]://host:port/path (path starts with '/').
 * Returns 0, or -1 with cb.closed already called. */
int wsc_connect(struct wsc *w, const char *host, int port, int tls, const char *path);
/* The socket is readable or writable (or in error): make progress. */
void wsc_io(struct wsc *w);
/* Call every few tens of ms: finishes name lookups, enforces the 10 s
 * connect-to-upgrade limit. now: monotonic µs. */
void wsc_tick(struct wsc *w, int64_t now);
/* 1 when the socket should be polled for output. */
int wsc_want_write(const struct wsc *w);
/* Send a text message. Returns 0, or -1 when the connection failed. */
int wsc_send_text(struct wsc *w, const char *p, size_t n);
/* Close (a close frame when open, best effort) and call cb.closed(why). */
void wsc_close(struct wsc *w, const char *why);

/* Bytes received, as if read from the socket (wsc_io reads, then does the
 * same); for the tests and the fuzzer. Only while upgrading or open. */
void wsc_feed(struct wsc *w, const void *p, size_t n);

/* The wire format, for the tests (headers: libcommon/wsframe.h). */
/* Write a masked client frame into out (room: n + 14). Returns its length. */
size_t wsc_frame_build(unsigned char *out, int opcode, const void *p, size_t n,
    const unsigned char mask[4]);
/* Sec-WebSocket-Accept for a key: base64(SHA-1(key GUID)), 28 chars + NUL. */
void wsc_accept_for(const char *key, char out[32]);
/* Check the server's answer to the upgrade. Returns the length of its
 * header (frames may follow), 0 while incomplete, or -1 with err filled. */
int wsc_check_upgrade(const char *p, size_t n, const char *accept, char *err, size_t errn);

#endif
