/* gw_http.c: the lws callback: REST routes, bearer tokens, CORS, the /mcp endpoint and websocket streams */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "tm.h"

#define WS_QMAX (4u << 20)  /* bytes queued for one websocket before it is
                              * cut (trades) or conflated (book) */
#define WS_QLOW (WS_QMAX / 4) /* a conflated book resumes below this */
#define WS_MAX_SINKS 32
#define WS_IN_MAX 16384

/* ---- websockets ---- */

struct wsc;
struct wsink {
	struct gw_sink s;
	struct wsc *c;
};

/* Queued messages: [u32 length][LWS_PRE][payload], back to back. */
struct wsc {
	struct lws *wsi;
	struct wsink sink[WS_MAX_SINKS];
	int nsink, mux, closing;
	unsigned char *q;
	size_t head, tail, cap;
	char close_why[64];
	struct ts_jw w;
};

struct pss {
	struct lws *wsi;
	struct wsc *ws;
	/* an HTTP request */
	char path[256];
	char method[8];
	int can_write, is_mcp;
	struct gw_call call;
	int call_live;
	struct gw_mcp_req *mreq;
	char *body;
	size_t blen;
	int too_big;
	/* its answer */
	int status, ready, hdr_sent;
	char *resp;
	size_t rlen, off;
	const char *ctype;
	char allow_origin[160];
};

static size_t
q_len(const struct wsc *c)
{
	return c->tail - c->head;
}

static void
ws_enqueue(struct wsc *c, const char *p, size_t n)
{
	size_t need = 4 + LWS_PRE + n;
	uint32_t len = (uint32_t)n;

	if (c->closing)
		return;
	if (c->tail + need > c->cap) {
		if (c->head > 0) {
			memmove(c->q, c->q + c->head, c->tail - c->head);
			c->tail -= c->head;
			c->head = 0;
		}
		if (c->tail + need > c->cap) {
			size_t cap = c->cap ? c->cap : 16384;
			while (cap < c->tail + need)
				cap *= 2;
			c->q = ts_xrealloc(c->q, cap);
			c->cap = cap;
		}
	}
	memcpy(c->q + c->tail, &len, 4);
	memcpy(c->q + c->tail + 4 + LWS_PRE, p, n);
	c->tail += need;
	lws_callback_on_writable(c->wsi);
}

/* {"topic":T,"data":D} */
static void
ws_send(struct wsc *c, const char *topic, size_t tlen, const char *data, size_t n)
{
	ts_jw_reset(&c->w);
	ts_jw_obj(&c->w);
	ts_jw_key(&c->w, "topic");
	ts_jw_strn(&c->w, topic, tlen);
	ts_jw_key(&c->w, "data");
	ts_jw_raw(&c->w, data, n);
	ts_jw_obj_end(&c->w);
	ws_enqueue(c, c->w.buf, c->w.len);
}

static void
ws_cut(struct wsc *c, const char *why)
{
	if (c->closing)
		return;
	snprintf(c->close_why, sizeof c->close_why, "%s", why);
	c->closing = 1;
	c->head = c->tail = 0;
	G.ws_cut++;
	ts_warn_rl(&G.bad_rl, "websocket cut: %s", why);
	lws_callback_on_writable(c->wsi);
}

/* The cached state a new subscriber starts from. */
static void
ws_initial(struct wsc *c, struct wsink *k)
{
	struct gw_topic *t = k->s.t;
	struct ts_jw w = { 0 };

	if (t->kind == GW_CANDLES && gw_topic_history(t, &w, 0, INT64_MAX, 0) == 0) {
		ws_send(c, t->name, strlen(t->name), w.buf, w.len);
	} else if (t->kind == GW_BOOK) {
		if (gw_topic_snapshot(t, &w, 0) == 0)
			ws_send(c, t->name, strlen(t->name), w.buf, w.len);
		else
			k->s.need_snapshot = 1;
	} else if (t->wildcard && !strcmp(t->name, "status/")) {
		struct ts_map_entry *e;
		size_t i = 0;
		while ((e = ts_map_next(&G.status, &i))) {
			struct gw_status *s = e->v.p;
			ws_send(c, e->key, strlen(e->key), s->p, s->n);
		}
	}
	ts_jw_free(&w);
}

static void
on_sink(struct gw_sink *s, const char *topic, size_t tlen, const char *data, size_t n)
{
	struct wsink *k = (struct wsink *)s;
	struct wsc *c = k->c;
	struct gw_topic *t = s->t;

	if (c->closing)
		return;
	if (t->kind == GW_BOOK) {
		int snap = n > 10 && memmem(data, n < 200 ? n : 200, "\"snapshot\"", 10);
		if (s->need_snapshot && !snap)
			return;
		s->need_snapshot = 0;
		if (s->conflating) {
			/* skipping deltas; when the queue has drained, a fresh
			 * snapshot from our book stands for all of them */
			if (q_len(c) > WS_QLOW || !t->book_live)
				return;
			s->conflating = 0;
			ts_jw_reset(&c->w);
			{
				struct ts_jw w = { 0 };
				gw_topic_snapshot(t, &w, 0);
				ws_send(c, t->name, strlen(t->name), w.buf, w.len);
				ts_jw_free(&w);
			}
			return;
		}
		if (q_len(c) > WS_QMAX) {
			s->conflating = 1;
			G.ws_conflated++;
			return;
		}
	} else if (q_len(c) > WS_QMAX) {
		ws_cut(c, "too slow: queue over 4 MiB");
		return;
	}
	ws_send(c, topic, tlen, data, n);
}

static int
ws_sub(struct wsc *c, const char *topic, const char **why)
{
	struct ts_topic tp;
	struct wsink *k;

	if (ts_topic_valid_sub(topic, why) < 0)
		return -1;
	if (strncmp(topic, "candles/", 8) && strncmp(topic, "trades/", 7) &&
	    strncmp(topic, "book/", 5) && strncmp(topic, "alerts/", 7) &&
	    strncmp(topic, "status/", 7) && strncmp(topic, "scan/", 5)) {
		*why = "kinds served: candles, trades, book, alerts, status, scan";
		return -1;
	}
	if (topic[strlen(topic) - 1] == '/' && strncmp(topic, "alerts/", 7) &&
	    strncmp(topic, "status/", 7)) {
		*why = "only alerts/ and status/ may be wildcards";
		return -1;
	}
	if (topic[strlen(topic) - 1] != '/' && ts_topic_parse(topic, &tp, why) < 0)
		return -1;
	for (int i = 0; i < c->nsink; i++)
		if (c->sink[i].s.t && !strcmp(c->sink[i].s.t->name, topic))
			return 0; /* already */
	if (c->nsink >= WS_MAX_SINKS) {
		*why = "too many topics on one websocket (32)";
		return -1;
	}
	k = &c->sink[c->nsink++];
	memset(k, 0, sizeof *k);
	k->c = c;
	k->s.fn = on_sink;
	k->s.arg = k;
	gw_sink_add(gw_topic_hold(topic), &k->s);
	gw_topic_release(k->s.t); /* the sink holds it now */
	ws_initial(c, k);
	return 0;
}

static void
ws_unsub(struct wsc *c, const char *topic)
{
	for (int i = 0; i < c->nsink; i++)
		if (c->sink[i].s.t && !strcmp(c->sink[i].s.t->name, topic)) {
			gw_sink_del(&c->sink[i].s);
			c->sink[i] = c->sink[--c->nsink];
			c->sink[i].s.arg = &c->sink[i];
			/* the moved sink's list node moved: relink it */
			if (i < c->nsink && c->sink[i].s.t) {
				struct gw_topic *t = c->sink[i].s.t;
				struct gw_sink **pp;
				for (pp = &t->sinks; *pp; pp = &(*pp)->next)
					if (*pp == &c->sink[c->nsink].s) {
						*pp = &c->sink[i].s;
						break;
					}
			}
			return;
		}
}

static void
ws_free(struct pss *ps)
{
	struct wsc *c = ps->ws;

	if (!c)
		return;
	for (int i = 0; i < c->nsink; i++)
		gw_sink_del(&c->sink[i].s);
	free(c->q);
	ts_jw_free(&c->w);
	free(c);
	ps->ws = NULL;
	G.nws--;
}

static void
ws_reply(struct wsc *c, const char *op, const char *err)
{
	ts_jw_reset(&c->w);
	ts_jw_obj(&c->w);
	ts_jw_kstr(&c->w, "op", op);
	if (err)
		ts_jw_kstr(&c->w, "error", err);
	ts_jw_obj_end(&c->w);
	ws_enqueue(c, c->w.buf, c->w.len);
}

/* {"op":"subscribe"|"unsubscribe","topics":[…]} on /ws/v1 */
static void
ws_receive(struct wsc *c, const char *in, size_t n)
{
	struct ts_jval obj, v, arr, el;
	struct ts_jiter it;
	char topic[TS_TOPIC_MAX], errbuf[300];
	const char *why = NULL;
	int sub;

	if (ts_json_parse(in, n, &obj, NULL) < 0 || obj.type != TS_J_OBJ ||
	    ts_json_get(&obj, "op", &v) < 0) {
		ws_reply(c, "error", "expected {\"op\":\"subscribe\",\"topics\":[...]}");
		return;
	}
	if (ts_json_str_eq(&v, "ping")) {
		ws_reply(c, "pong", NULL);
		return;
	}
	sub = ts_json_str_eq(&v, "subscribe");
	if (!sub && !ts_json_str_eq(&v, "unsubscribe")) {
		ws_reply(c, "error", "'op' is subscribe, unsubscribe or ping");
		return;
	}
	if (!c->mux) {
		ws_reply(c, "error", "this stream has one topic; subscribe on /ws/v1");
		return;
	}
	if (ts_json_get(&obj, "topics", &arr) < 0 || arr.type != TS_J_ARR) {
		ws_reply(c, "error", "'topics' must be an array of topics");
		return;
	}
	ts_json_iter(&it, &arr);
	while (ts_json_next(&it, NULL, &el)) {
		long l = ts_json_str(&el, topic, sizeof topic);
		if (l <= 0 || (size_t)l >= sizeof topic) {
			ws_reply(c, "error", "a topic must be a string");
			return;
		}
		if (!sub) {
			ws_unsub(c, topic);
		} else if (ws_sub(c, topic, &why) < 0) {
			snprintf(errbuf, sizeof errbuf, "bad topic '%.100s': %s", topic, why);
			ws_reply(c, "error", errbuf);
			return;
		}
	}
	ws_reply(c, sub ? "subscribed" : "unsubscribed", NULL);
}

/* /ws/v1, /ws/v1/candles/EX/SYM/TF, /ws/v1/trades/EX/SYM, /ws/v1/book/EX/SYM,
 * /ws/v1/alerts */
static int
ws_established(struct lws *wsi, struct pss *ps)
{
	char path[256], topic[TS_TOPIC_MAX];
	const char *why = NULL;
	struct wsc *c;
	int n = lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI);

	if (n <= 0)
		return -1;
	c = ts_xcalloc(1, sizeof *c);
	c->wsi = wsi;
	ps->ws = c;
	G.nws++;
	G.ws_clients++;
	if (!strcmp(path, "/ws/v1") || !strcmp(path, "/ws/v1/")) {
		c->mux = 1;
		return 0;
	}
	if (!strcmp(path, "/ws/v1/alerts")) {
		snprintf(topic, sizeof topic, "alerts/");
	} else if (!strncmp(path, "/ws/v1/", 7)) {
		snprintf(topic, sizeof topic, "%.180s", path + 7);
		if (strncmp(topic, "candles/", 8) && strncmp(topic, "trades/", 7) &&
		    strncmp(topic, "book/", 5) && strncmp(topic, "scan/", 5)) {
			ws_cut(c, "no such stream");
			return 0;
		}
	} else {
		ws_cut(c, "no such stream");
		return 0;
	}
	if (ws_sub(c, topic, &why) < 0) {
		char err[300];
		snprintf(err, sizeof err, "bad stream '%.100s': %s", path, why);
		ws_reply(c, "error", err);
		c->closing = 1;
		snprintf(c->close_why, sizeof c->close_why, "bad stream");
	}
	return 0;
}

static int
ws_writeable(struct lws *wsi, struct wsc *c)
{
	int budget = 64;

	while (q_len(c) > 0 && budget-- > 0 && !lws_send_pipe_choked(wsi)) {
		uint32_t len;
		memcpy(&len, c->q + c->head, 4);
		if (lws_write(wsi, c->q + c->head + 4 + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len)
			return -1;
		c->head += 4 + LWS_PRE + len;
	}
	if (q_len(c) == 0) {
		c->head = c->tail = 0;
		if (c->closing) {
			lws_close_reason(wsi, c->close_why[0] == 't' ?
			    LWS_CLOSE_STATUS_POLICY_VIOLATION : LWS_CLOSE_STATUS_NORMAL,
			    (unsigned char *)c->close_why, strlen(c->close_why));
			return -1;
		}
		/* a conflated book may resume now */
		for (int i = 0; i < c->nsink; i++)
			if (c->sink[i].s.conflating && c->sink[i].s.t->book_live) {
				struct ts_jw w = { 0 };
				c->sink[i].s.conflating = 0;
				gw_topic_snapshot(c->sink[i].s.t, &w, 0);
				ws_send(c, c->sink[i].s.t->name, strlen(c->sink[i].s.t->name),
				    w.buf, w.len);
				ts_jw_free(&w);
			}
	}
	if (q_len(c) > 0)
		lws_callback_on_writable(wsi);
	return 0;
}

/* ---- HTTP ---- */

static void
set_reply(struct pss *ps, int status, const char *ctype, const char *body, size_t n)
{
	free(ps->resp);
	ps->resp = ts_xmalloc(n + 1);
	memcpy(ps->resp, body, n);
	ps->rlen = n;
	ps->off = 0;
	ps->status = status;
	ps->ctype = ctype;
	ps->ready = 1;
	ps->hdr_sent = 0;
	lws_callback_on_writable(ps->wsi);
}

static void
reply_error(struct pss *ps, int status, const char *field, const char *msg)
{
	struct ts_jw w = { 0 };

	ts_jw_obj(&w);
	ts_jw_kstr(&w, "error", msg);
	if (field)
		ts_jw_kstr(&w, "field", field);
	ts_jw_ki64(&w, "status", status);
	ts_jw_obj_end(&w);
	set_reply(ps, status, "application/json", w.buf, w.len);
	ts_jw_free(&w);
}

static void
on_call_done(struct gw_call *c)
{
	struct pss *ps = c->owner;

	set_reply(ps, c->status, "application/json", c->out.buf ? c->out.buf : "{}",
	    c->out.buf ? c->out.len : 2);
}

static void
on_mcp_reply(void *arg, const char *json, size_t n)
{
	struct pss *ps = arg;

	ps->mreq = NULL;
	if (!json)
		set_reply(ps, 202, "application/json", "", 0);
	else
		set_reply(ps, 200, "application/json", json, n);
}

static void
query_args(struct lws *wsi, struct gw_args *a)
{
	char frag[1024];

	for (int i = 0; ; i++) {
		int k = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
		char *eq;
		if (k < 0)
			break;
		if (!(eq = strchr(frag, '=')))
			gw_args_add(a, frag, strlen(frag), "", 0);
		else
			gw_args_add(a, frag, (size_t)(eq - frag), eq + 1, strlen(eq + 1));
	}
}

/* The route of a method and path: an operation, and an id from the path. */
static const char *
route(const char *m, const char *path, char *id, size_t idn)
{
	static const struct { const char *m, *path, *op; } fixed[] = {
		{ "GET", "/api/v1/health", "health" },
		{ "GET", "/api/v1/status", "status" },
		{ "GET", "/api/v1/markets", "markets" },
		{ "GET", "/api/v1/candles", "candles" },
		{ "GET", "/api/v1/book", "book" },
		{ "GET", "/api/v1/trades", "trades" },
		{ "GET", "/api/v1/alerts", "alerts" },
		{ "POST", "/api/v1/alerts", "alerts_create" },
		{ "GET", "/api/v1/scan", "scan" },
		{ "POST", "/api/v1/explain_price_action", "explain_price_action" },
		{ "GET", "/api/v1/openapi.json", "openapi" },
	};
	const char *p;
	int known = 0;

	id[0] = '\0';
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (!strcmp(path, fixed[i].path)) {
			if (!strcmp(m, fixed[i].m))
				return fixed[i].op;
			known = 1;
		}
	if (known)
		return ""; /* the path, not with this method */
	/* /api/v1/alerts/ID, /api/v1/alerts/ID/enable|disable */
	if (!strncmp(path, "/api/v1/alerts/", 15)) {
		size_t n;
		p = path + 15;
		n = strcspn(p, "/");
		if (n == 0 || n >= idn)
			return NULL;
		memcpy(id, p, n);
		id[n] = '\0';
		p += n;
		if (!*p)
			return !strcmp(m, "DELETE") ? "alerts_delete" : "";
		if (!strcmp(p, "/enable"))
			return !strcmp(m, "POST") ? "alerts_enable" : "";
		if (!strcmp(p, "/disable"))
			return !strcmp(m, "POST") ? "alerts_disable" : "";
	}
	return NULL;
}

static void
start_call(struct pss *ps, const char *op, const char *id)
{
	struct gw_call *c = &ps->call;

	if (ps->call_live)
		gw_call_clear(c);
	memset(c, 0, sizeof *c);
	ps->call_live = 1;
	c->op = op;
	c->owner = ps;
	c->done = on_call_done;
	c->can_write = ps->can_write;
	query_args(ps->wsi, &c->a);
	if (ps->body && ps->blen) {
		if (gw_args_from_json(&c->a, ps->body, ps->blen) < 0) {
			reply_error(ps, 400, "body", "the body must be a JSON object");
			return;
		}
		c->body = ps->body;
		c->body_len = ps->blen;
	}
	if (id && *id)
		gw_args_add(&c->a, "id", 2, id, strlen(id));
	gw_call_start(c);
}

static void
dispatch(struct pss *ps)
{
	char id[128];
	const char *op;

	if (ps->too_big) {
		reply_error(ps, 413, "body", "the request body is over 64 KiB");
		return;
	}
	if (ps->is_mcp) {
		if (strcmp(ps->method, "POST")) {
			reply_error(ps, 405, NULL, "MCP over streamable HTTP: POST JSON-RPC "
			    "messages to /mcp (no server-sent event stream here)");
			return;
		}
		ps->mreq = gw_mcp_handle(ps->body ? ps->body : "", ps->blen, ps->can_write,
		    on_mcp_reply, ps);
		return;
	}
	op = route(ps->method, ps->path, id, sizeof id);
	if (!op) {
		reply_error(ps, 404, NULL, "no such endpoint (see /api/v1/openapi.json)");
		return;
	}
	if (!*op) {
		reply_error(ps, 405, NULL, "method not allowed on this endpoint");
		return;
	}
	start_call(ps, op, id);
}

static int
header(struct lws *wsi, enum lws_token_indexes h, char *buf, size_t n)
{
	int k = lws_hdr_copy(wsi, buf, (int)n, h);

	if (k <= 0) {
		buf[0] = '\0';
		return 0;
	}
	return k;
}

/* Bearer token, when tokens are in use: 0 allowed (ps->can_write set), -1
 * answered with 401. */
static int
authorize(struct pss *ps)
{
	char auth[300];
	int scope;

	if (!G.need_tokens) {
		ps->can_write = 1;
		return 0;
	}
	header(ps->wsi, WSI_TOKEN_HTTP_AUTHORIZATION, auth, sizeof auth);
	if (strncasecmp(auth, "Bearer ", 7)) {
		reply_error(ps, 401, "authorization", "a token is needed: 'Authorization: "
		    "Bearer TOKEN' (ts-gateway token add NAME)");
		return -1;
	}
	scope = gw_token_check(G.tokens_path, auth + 7);
	if (scope == GW_TOKEN_NONE) {
		reply_error(ps, 401, "authorization", "unknown token");
		return -1;
	}
	ps->can_write = scope == GW_TOKEN_WRITE;
	return 0;
}

/* CORS: an Origin on the allow-list (--cors) is echoed back. */
extern const char *gw_cors;
static void
cors(struct pss *ps)
{
	char origin[160];
	const char *p;
	size_t n;

	ps->allow_origin[0] = '\0';
	if (!gw_cors || !header(ps->wsi, WSI_TOKEN_ORIGIN, origin, sizeof origin))
		return;
	n = strlen(origin);
	for (p = gw_cors; *p;) {
		size_t k = strcspn(p, ",");
		if ((k == 1 && *p == '*') || (k == n && !strncmp(p, origin, n))) {
			snprintf(ps->allow_origin, sizeof ps->allow_origin, "%s", origin);
			return;
		}
		p += k + (p[k] == ',');
	}
}

static int
http_request(struct lws *wsi, struct pss *ps, const char *path)
{
	char cl[32];

	ps->wsi = wsi;
	ps->ready = ps->hdr_sent = 0;
	ps->too_big = 0;
	free(ps->body);
	ps->body = NULL;
	ps->blen = 0;
	snprintf(ps->path, sizeof ps->path, "%s", path);
	if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
		snprintf(ps->method, sizeof ps->method, "POST");
	else if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI) > 0)
		snprintf(ps->method, sizeof ps->method, "DELETE");
	else if (lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI) > 0)
		snprintf(ps->method, sizeof ps->method, "OPTIONS");
	else if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
		snprintf(ps->method, sizeof ps->method, "GET");
	else
		snprintf(ps->method, sizeof ps->method, "OTHER");
	ts_debug("%s %s", ps->method, path);
	ps->is_mcp = !strcmp(path, "/mcp");
	cors(ps);
	if (!strcmp(ps->method, "OPTIONS")) {
		set_reply(ps, 204, "application/json", "", 0);
		return 0;
	}
	if (authorize(ps) < 0)
		return 0;
	if (!strcmp(ps->method, "POST") &&
	    header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof cl) && atol(cl) > 0) {
		if (atol(cl) > GW_BODY_MAX)
			ps->too_big = 1;
		return 0; /* the body follows: HTTP_BODY, then HTTP_BODY_COMPLETION */
	}
	dispatch(ps);
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
		unsigned char hb[LWS_PRE + 2048], *start = hb + LWS_PRE, *p = start,
		    *end = hb + sizeof hb - 1;
		if (lws_add_http_common_headers(wsi, (unsigned)ps->status, ps->ctype,
		    ps->rlen, &p, end))
			return 1;
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
		    (const unsigned char *)"no-store", 8, &p, end))
			return 1;
		if (ps->allow_origin[0]) {
			static const char hdrs[] = "authorization, content-type, mcp-session-id, "
			    "mcp-protocol-version";
			static const char meths[] = "GET, POST, DELETE, OPTIONS";
			if (lws_add_http_header_by_name(wsi,
			    (const unsigned char *)"access-control-allow-origin:",
			    (const unsigned char *)ps->allow_origin, (int)strlen(ps->allow_origin),
			    &p, end) ||
			    lws_add_http_header_by_name(wsi,
			    (const unsigned char *)"access-control-allow-headers:",
			    (const unsigned char *)hdrs, (int)sizeof hdrs - 1, &p, end) ||
			    lws_add_http_header_by_name(wsi,
			    (const unsigned char *)"access-control-allow-methods:",
			    (const unsigned char *)meths, (int)sizeof meths - 1, &p, end) ||
			    lws_add_http_header_by_name(wsi, (const unsigned char *)"vary:",
			    (const unsigned char *)"Origin", 6, &p, end))
				return 1;
		}
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return 1;
		ps->hdr_sent = 1;
		if (ps->rlen == 0) {
			ps->ready = 0;
			return lws_http_transaction_completed(wsi) ? -1 : 0;
		}
		lws_callback_on_writable(wsi);
		return 0;
	}
	left = ps->rlen - ps->off;
	n = left < sizeof wb - LWS_PRE ? left : sizeof wb - LWS_PRE;
	last = n == left;
	memcpy(wb + LWS_PRE, ps->resp + ps->off, n);
	if (lws_write(wsi, wb + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n)
		return 1;
	ps->off += n;
	if (last) {
		free(ps->resp);
		ps->resp = NULL;
		ps->ready = 0;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

static void
http_free(struct pss *ps)
{
	if (ps->call_live) {
		gw_call_clear(&ps->call);
		ps->call_live = 0;
	}
	if (ps->mreq) {
		gw_mcp_cancel(ps->mreq);
		ps->mreq = NULL;
	}
	free(ps->body);
	ps->body = NULL;
	free(ps->resp);
	ps->resp = NULL;
	ps->ready = 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct pss *ps = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
		/* a websocket needs what a request needs: a token, when in use */
		char auth[300];
		if (!G.need_tokens)
			return 0;
		header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, auth, sizeof auth);
		return strncasecmp(auth, "Bearer ", 7) ||
		    gw_token_check(G.tokens_path, auth + 7) == GW_TOKEN_NONE;
	}
	case LWS_CALLBACK_ESTABLISHED:
		return ws_established(wsi, ps);
	case LWS_CALLBACK_CLOSED:
		ws_free(ps);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ps && ps->ws ? ws_writeable(wsi, ps->ws) : 0;
	case LWS_CALLBACK_RECEIVE:
		if (!ps || !ps->ws)
			return 0;
		if (!lws_is_first_fragment(wsi) || !lws_is_final_fragment(wsi) || len > WS_IN_MAX) {
			ws_reply(ps->ws, "error", "messages are single frames of at most 16 KiB");
			return 0;
		}
		ws_receive(ps->ws, in, len);
		return 0;
	case LWS_CALLBACK_HTTP:
		return http_request(wsi, ps, in ? (const char *)in : "/");
	case LWS_CALLBACK_HTTP_BODY:
		if (ps->too_big || ps->blen + len > GW_BODY_MAX) {
			ps->too_big = 1;
			return 0;
		}
		ps->body = ts_xrealloc(ps->body, ps->blen + len + 1);
		memcpy(ps->body + ps->blen, in, len);
		ps->blen += len;
		ps->body[ps->blen] = '\0';
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		dispatch(ps);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_writeable(wsi, ps);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL: /* a keep-alive transaction is over */
	case LWS_CALLBACK_CLOSED_HTTP:
		if (ps)
			http_free(ps);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const struct lws_protocols gw_http_protocol = {
	"ts-gateway", callback, sizeof(struct pss), 65536, 0, NULL, 0
};
