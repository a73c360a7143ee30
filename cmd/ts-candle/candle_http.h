/* candle_http.h: non-blocking HTTP GETs for ts-candle: libcurl's multi
 * interface driven by the libcommon loop (its sockets watched as fds, its
 * timeout a loop timer), so one market's slow history never stalls the
 * others' live candles. */
#ifndef CANDLE_HTTP_H
#define CANDLE_HTTP_H

#include <stddef.h>

#include "loop.h"

struct chttp;
struct chttp_req;

/* The outcome of one GET: status 0 and err set when no response came
 * (connection refused, timeout), else the status and the body (NUL-
 * terminated, owned by chttp: valid only during the call). retry_after is
 * a Retry-After header's seconds, or -1. */
struct chttp_result {
	long status;
	const char *body;
	size_t len;
	long retry_after;
	const char *err;
};

/* Called once per request that was not cancelled; the request is freed
 * after it returns. It may start and cancel other requests. */
typedef void chttp_done_fn(void *arg, const struct chttp_result *r);

/* A client on loop l; dies when libcurl cannot be set up (exit 111).
 * chttp_free cancels what is in flight (no callbacks) and sets *h NULL. */
struct chttp *chttp_new(struct ts_loop *l);
void chttp_free(struct chttp **h);

/* Start GET url, at most timeout_ms in all; TLS verifies the peer and the
 * host name. Returns the request (for chttp_cancel); fn reports the end. */
struct chttp_req *chttp_get(struct chttp *h, const char *url, long timeout_ms,
    chttp_done_fn *fn, void *arg);
/* Abandon a request that has not reported yet: no callback; freed. */
void chttp_cancel(struct chttp *h, struct chttp_req *r);
/* Requests in flight. */
size_t chttp_running(const struct chttp *h);

#endif
