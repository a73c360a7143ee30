/* http.h: blocking HTTP GET/POST with libcurl, for cold paths (snapshots,
 * history, webhooks). Programs that must not block use curl's multi API. */
#ifndef TS_HTTP_H
#define TS_HTTP_H

#include <stddef.h>

struct ts_http_resp {
	long status;   /* HTTP status, 0 when no response */
	char *body;    /* NUL-terminated; caller frees with ts_http_resp_free */
	size_t len;
	long retry_after; /* seconds from a Retry-After header, or -1 */
	char err[256]; /* why it failed when status is 0 */
};

/* GET url, waiting at most timeout_ms in all. TLS verifies the peer and
 * host name. Returns 0 when a response arrived (any status), -1 when none
 * did (resp->err says why). Bodies are capped at 64 MiB. */
int ts_http_get(const char *url, long timeout_ms, struct ts_http_resp *resp);
/* POST body with the given Content-Type; extra_headers is NULL or a
 * NULL-terminated list of "Name: value" lines. */
int ts_http_post(const char *url, const char *content_type, const char *body,
    size_t len, const char *const *extra_headers, long timeout_ms,
    struct ts_http_resp *resp);
void ts_http_resp_free(struct ts_http_resp *resp);

/* A reply being received by code that drives curl itself (a multi handle):
 * the body (NUL-terminated once anything arrived), Retry-After, and whether
 * the body passed the 64 MiB cap. Zero-initialise, then attach. */
struct ts_http_body {
	char *buf;
	size_t len, cap;
	long retry_after; /* seconds, or -1 */
	int too_big;
};
/* Point the easy handle's write and header callbacks at b (and set
 * b->retry_after to -1). When the environment has SSL_CERT_FILE (OpenSSL's
 * variable), the handle trusts the CAs in that file instead of curl's
 * default list, as OpenSSL-based clients do. curl is a CURL *. */
void ts_http_body_attach(void *curl, struct ts_http_body *b);
/* Free the body and zero b. */
void ts_http_body_free(struct ts_http_body *b);

#endif
