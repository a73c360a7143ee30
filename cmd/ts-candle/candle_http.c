/* candle_http.c: libcurl multi GETs on the libcommon loop (see candle_http.h) */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "candle_http.h"
#include "http.h"
#include "log.h"


struct chttp_req {
	struct chttp *h;
	CURL *easy;
	chttp_done_fn *fn;
	void *arg;
	struct ts_http_body b;
	struct chttp_req *prev, *next;
};

struct chttp {
	struct ts_loop *l;
	CURLM *multi;
	unsigned timer;
	struct chttp_req *reqs;
	size_t running;
};

static void
req_free(struct chttp_req *r)
{
	struct chttp *h = r->h;

	if (r->prev)
		r->prev->next = r->next;
	else
		h->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	curl_multi_remove_handle(h->multi, r->easy);
	curl_easy_cleanup(r->easy);
	ts_http_body_free(&r->b);
	free(r);
	h->running--;
}

/* Report every finished transfer. */
static void
collect(struct chttp *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left))) {
		struct chttp_req *r = NULL;
		struct chttp_result res = { 0 };
		CURLcode rc;

		if (m->msg != CURLMSG_DONE)
			continue;
		rc = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (!r)
			continue;
		res.retry_after = r->b.retry_after;
		if (rc == CURLE_OK) {
			curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
			res.body = r->b.buf ? r->b.buf : "";
			res.len = r->b.len;
		} else {
			res.err = r->b.too_big ? "reply larger than 64 MiB" : curl_easy_strerror(rc);
			res.body = "";
		}
		/* out of the multi handle first: the callback may start others */
		curl_multi_remove_handle(h->multi, r->easy);
		r->fn(r->arg, &res);
		req_free(r);
	}
}

static void
on_io(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct chttp *h = arg;
	int mask = 0, running;

	(void)l, (void)sock;
	if (rev & ZMQ_POLLIN)
		mask |= CURL_CSELECT_IN;
	if (rev & ZMQ_POLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (rev & ZMQ_POLLERR)
		mask |= CURL_CSELECT_ERR;
	curl_multi_socket_action(h->multi, fd, mask, &running);
	collect(h);
}

static int
on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct chttp *h = userp;
	short ev = 0;

	(void)e, (void)socketp;
	if (what == CURL_POLL_REMOVE) {
		ts_loop_del(h->l, NULL, s);
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= ZMQ_POLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= ZMQ_POLLOUT;
	ts_loop_add(h->l, NULL, s, ev, on_io, h);
	return 0;
}

static void
on_timeout(struct ts_loop *l, unsigned id, void *arg)
{
	struct chttp *h = arg;
	int running;

	(void)l, (void)id;
	h->timer = 0;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect(h);
}

static int
on_timer_change(CURLM *multi, long timeout_ms, void *userp)
{
	struct chttp *h = userp;

	(void)multi;
	if (h->timer)
		ts_loop_cancel(h->l, h->timer);
	h->timer = 0;
	if (timeout_ms >= 0)
		h->timer = ts_loop_timer(h->l, (int64_t)timeout_ms * 1000, 0, on_timeout, h);
	return 0;
}

struct chttp *
chttp_new(struct ts_loop *l)
{
	struct chttp *h = ts_xcalloc(1, sizeof *h);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    !(h->multi = curl_multi_init()))
		ts_die(TS_EXIT_TEMP, "cannot initialise libcurl");
	h->l = l;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

void
chttp_free(struct chttp **hp)
{
	struct chttp *h = *hp;

	if (!h)
		return;
	while (h->reqs)
		req_free(h->reqs);
	if (h->timer)
		ts_loop_cancel(h->l, h->timer);
	curl_multi_cleanup(h->multi);
	curl_global_cleanup();
	free(h);
	*hp = NULL;
}

struct chttp_req *
chttp_get(struct chttp *h, const char *url, long timeout_ms, chttp_done_fn *fn,
    void *arg)
{
	struct chttp_req *r = ts_xcalloc(1, sizeof *r);

	r->h = h;
	r->fn = fn;
	r->arg = arg;
	if (!(r->easy = curl_easy_init()))
		ts_die(TS_EXIT_TEMP, "cannot initialise libcurl");
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	ts_http_body_attach(r->easy, &r->b);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "tradesuite/0.1");
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	r->next = h->reqs;
	if (h->reqs)
		h->reqs->prev = r;
	h->reqs = r;
	h->running++;
	if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK)
		ts_die(TS_EXIT_TEMP, "cannot start a request for '%s'", url);
	return r;
}

void
chttp_cancel(struct chttp *h, struct chttp_req *r)
{
	(void)h;
	req_free(r);
}

size_t
chttp_running(const struct chttp *h)
{
	return h->running;
}
