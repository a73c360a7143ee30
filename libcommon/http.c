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
	struct ts_http_resp *r = arg;
	size_t n = size * nmemb, cap = r->len + 1;

	if (r->len + n > BODY_MAX)
		return 0;
	ts_xgrow((void **)&r->body, &cap, r->len + n + 1, 1);
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct ts_http_resp *r = arg;
	size_t n = size * nmemb;

	if (n > 12 && !strncasecmp(p, "Retry-After:", 12))
		r->retry_after = strtol(p + 12, NULL, 10);
	return n;
}

static int
perform(CURL *c, struct ts_http_resp *r, long timeout_ms)
{
	CURLcode rc;

	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tradesuite/0.1");
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(r->err, sizeof r->err, "%s", curl_easy_strerror(rc));
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
