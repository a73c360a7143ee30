/* http.c: libcurl easy requests */
#include "http.h"
#include "log.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BODY_MAX (64u << 20)

static int curl_ready;

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct ts_http_body *b = arg;
	size_t n = size * nmemb;

	if (b->len + n > BODY_MAX) {
		b->too_big = 1;
		return 0;
	}
	ts_xgrow((void **)&b->buf, &b->cap, b->len + n + 1, 1);
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct ts_http_body *b = arg;
	size_t n = size * nmemb;

	if (n > 12 && !strncasecmp(p, "Retry-After:", 12))
		b->retry_after = strtol(p + 12, NULL, 10);
	return n;
}

static void
ca_from_env(void *curl)
{
	/* curl built with OpenSSL reads its compiled-in CA file, not
	 * OpenSSL's SSL_CERT_FILE: honour it here so that REST trusts what
	 * an OpenSSL-based websocket client trusts */
	const char *f = getenv("SSL_CERT_FILE");

	if (f && *f)
		curl_easy_setopt(curl, CURLOPT_CAINFO, f);
}

void
ts_http_body_attach(void *curl, struct ts_http_body *b)
{
	ca_from_env(curl);
	b->retry_after = -1;
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, b);
}

void
ts_http_body_free(struct ts_http_body *b)
{
	free(b->buf);
	memset(b, 0, sizeof *b);
}

static int
perform(CURL *c, struct ts_http_resp *r, long timeout_ms)
{
	struct ts_http_body b = { 0 };
	CURLcode rc;

	ts_http_body_attach(c, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tradesuite/0.1");
	rc = curl_easy_perform(c);
	r->retry_after = b.retry_after;
	if (b.buf) {
		free(r->body);
		r->body = b.buf;
		r->len = b.len;
	}
	if (rc != CURLE_OK) {
		snprintf(r->err, sizeof r->err, "%s",
		    b.too_big ? "reply larger than 64 MiB" : curl_easy_strerror(rc));
		r->status = 0;
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
}

static CURL *
start(const char *url, struct ts_http_resp *r)
{
	CURL *c;

	memset(r, 0, sizeof *r);
	r->retry_after = -1;
	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
	}
	c = curl_easy_init();
	if (!c)
		ts_die(TS_EXIT_TEMP, "cannot initialise libcurl");
	curl_easy_setopt(c, CURLOPT_URL, url);
	r->body = ts_xmalloc(1);
	r->body[0] = '\0';
	return c;
}

int
ts_http_get(const char *url, long timeout_ms, struct ts_http_resp *r)
{
	CURL *c = start(url, r);
	int rc = perform(c, r, timeout_ms);

	curl_easy_cleanup(c);
	return rc;
}

int
ts_http_post(const char *url, const char *content_type, const char *body,
    size_t len, const char *const *extra, long timeout_ms, struct ts_http_resp *r)
{
	CURL *c = start(url, r);
	struct curl_slist *h = NULL;
	char ct[256];
	int rc;

	snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
	h = curl_slist_append(h, ct);
	for (; extra && *extra; extra++)
		h = curl_slist_append(h, *extra);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	rc = perform(c, r, timeout_ms);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}

void
ts_http_resp_free(struct ts_http_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}
