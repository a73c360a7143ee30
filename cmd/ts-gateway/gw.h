/* gw.h: what the parts of ts-gateway share: the bus cache, API calls, websocket sinks, tokens */
#ifndef GW_H
#define GW_H

#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "book.h"
#include "bus.h"
#include "candle.h"
#include "json.h"
#include "log.h"
#include "map.h"
#include "topic.h"

#define GW_TRADES_KEEP 1000   /* trades kept per market (GET /trades' limit) */
#define GW_CANDLES_KEEP 5000  /* candles kept per topic */
#define GW_MAX_ARGS 24
#define GW_BODY_MAX (64 * 1024) /* a request body above this is a 413 */

enum gw_kind { GW_CANDLES, GW_BOOK, GW_TRADES, GW_OTHER };

struct gw_topic;
struct gw_call;

/* ---- the bus cache (gw_bus.c) ----------------------------------------------
 * One SUB socket. A topic is subscribed while it is held (by a websocket
 * sink or a call waiting for it) and for --linger after the last release,
 * so that REST calls in a row find it warm; then it is unsubscribed, which
 * lets ts-supervisor stop the producers nobody else wants. */

/* A websocket's view of one topic. fn gets every message on it; state is
 * the sink's own (gw_http.c). Linked into its topic's list. */
struct gw_sink;
typedef void gw_sink_fn(struct gw_sink *s, const char *topic, size_t tlen,
    const char *data, size_t len);
struct gw_sink {
	gw_sink_fn *fn;
	void *arg;
	struct gw_topic *t;
	int need_snapshot;  /* book: nothing until a snapshot passes */
	int conflating;     /* book: skipping deltas until the queue drains */
	struct gw_sink *next;
};

struct gw_trade_slot {
	char *p;
	size_t n, cap;
};

struct gw_topic {
	char name[TS_TOPIC_MAX];
	struct ts_topic tp;
	enum gw_kind kind;
	int wildcard;          /* ends in '/': matched by prefix */
	int refs;
	int64_t idle_since;    /* mono µs the last ref went; 0 while held */
	int64_t tf_us;
	struct ts_candle *cd;  /* candles, oldest first */
	size_t ncd, capcd;
	int have_hist;
	struct ts_book book;
	int book_live;
	struct gw_trade_slot *tr; /* ring of GW_TRADES_KEEP */
	size_t tr_head, tr_n;
	uint64_t msgs;
	int64_t last_rx;       /* wall µs of the last message */
	struct gw_call *waiters;
	struct gw_sink *sinks;
};

/* Status topics' last messages, kept for GET /status. */
struct gw_status {
	char *p;
	size_t n;
	int64_t rx;
};

struct gw {
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct ts_bus_ep ep;
	void *sub;
	struct ts_map topics;   /* name -> struct gw_topic * */
	struct ts_map status;   /* status topic -> struct gw_status * */
	int64_t start_us, linger_us, wait_us;
	uint64_t bus_msgs, bad_msgs, requests, ws_clients, ws_cut, ws_conflated;
	int nws;                /* websockets open */
	int stop;
	const char *rules_path;  /* alerts.conf */
	const char *tokens_path; /* the hashed tokens */
	int need_tokens;         /* every request must carry a token */
	struct ts_ratelimit bad_rl;
	lws_sorted_usec_list_t drain_sul, tick_sul;
};
extern struct gw G;

/* Create the SUB socket, watch it from lws, subscribe status/. Dies (111)
 * when the bus cannot be reached. */
void gw_bus_init(void);
void gw_bus_close(void);
/* Read what the bus has (after any zmq call on the SUB socket too: its fd
 * is edge-triggered). */
void gw_bus_drain(void);
/* Hold `name` (a valid topic or wildcard subscription): created and
 * subscribed on first use. Never NULL. */
struct gw_topic *gw_topic_hold(const char *name);
void gw_topic_release(struct gw_topic *t);
/* Start or stop delivering t's messages to s (which holds t meanwhile). */
void gw_sink_add(struct gw_topic *t, struct gw_sink *s);
void gw_sink_del(struct gw_sink *s);
/* Once a second: unsubscribe topics idle for longer than the linger. */
void gw_bus_tick(void);
/* The cache as messages: a candle topic's history batch, a book's snapshot
 * (depth 0: all). Appended to w; 0, or -1 when there is nothing yet. */
int gw_topic_history(const struct gw_topic *t, struct ts_jw *w, int64_t since,
    int64_t until, long limit);
int gw_topic_snapshot(const struct gw_topic *t, struct ts_jw *w, size_t depth);

/* Watch a ZeroMQ socket from lws (a dup of its ZMQ_FD is adopted): fn runs
 * when it may be readable. gw_watch_del before closing the socket. */
struct gw_watch;
typedef void gw_watch_fn(void *arg);
struct gw_watch *gw_watch_zmq(void *sock, gw_watch_fn *fn, void *arg);
struct gw_watch *gw_watch_fd(int fd, gw_watch_fn *fn, void *arg);
void gw_watch_del(struct gw_watch **w);
extern const struct lws_protocols gw_raw_protocol;

/* ---- API calls (gw_api.c), shared by REST and MCP ---------------------------
 * A call names an operation and carries its arguments as strings; its
 * reply is a status and a JSON text in out. gw_call_start runs it and calls
 * done exactly once, now or later (a call waits for a topic's first data
 * at most --wait); after gw_call_cancel done is never called. */
struct gw_args {
	int n;
	char *k[GW_MAX_ARGS], *v[GW_MAX_ARGS];
};
/* Add a copy of key and value (the first GW_MAX_ARGS); -1 when full. */
int gw_args_add(struct gw_args *a, const char *k, size_t kn, const char *v, size_t vn);
const char *gw_args_get(const struct gw_args *a, const char *k);
void gw_args_free(struct gw_args *a);
/* The members of a JSON object as arguments: strings unescaped, other
 * values as their JSON text. -1 when text is not an object. */
int gw_args_from_json(struct gw_args *a, const char *text, size_t n);

typedef void gw_done_fn(struct gw_call *c);
struct gw_call {
	const char *op;
	struct gw_args a;
	const char *body;       /* a POST's JSON (not owned), or NULL */
	size_t body_len;
	int can_write;          /* the client's token allows changes */
	int status;             /* the reply: HTTP status, */
	struct ts_jw out;       /* and JSON text */
	gw_done_fn *done;
	void *owner;
	/* waiting for a topic */
	struct gw_topic *t;
	struct gw_call *wnext;
	int waiting, timed_out, cancelled;
	int64_t deadline;       /* mono µs: the wait ends */
	lws_sorted_usec_list_t sul;
};
void gw_call_start(struct gw_call *c);
void gw_call_cancel(struct gw_call *c);
/* Free what the call owns (arguments, reply); not c itself. */
void gw_call_clear(struct gw_call *c);
/* Waiters of t: its data changed (history in, book live, a trade). */
void gw_topic_wake(struct gw_topic *t);
/* 1 when the operation exists; *writes set when it changes something. */
int gw_op_known(const char *op, int *writes);
/* Error reply: {"error":msg,"field":field} with status. */
void gw_call_error(struct gw_call *c, int status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- alert rules (gw_alerts.c) ---- */
void gw_alerts_list(struct gw_call *c);
void gw_alerts_create(struct gw_call *c);
void gw_alerts_edit(struct gw_call *c, const char *what);

/* ---- MCP (gw_mcp.c) ----
 * Handle one JSON-RPC message (text, n bytes). The reply goes to fn when
 * ready (maybe later: tool calls wait as calls do); a notification gets
 * none (fn is called with NULL, 0). */
typedef void gw_mcp_reply_fn(void *arg, const char *json, size_t n);
struct gw_mcp_req;
struct gw_mcp_req *gw_mcp_handle(const char *text, size_t n, int can_write,
    gw_mcp_reply_fn *fn, void *arg);
void gw_mcp_cancel(struct gw_mcp_req *r);
/* ts-gateway mcp: JSON-RPC lines on stdin and stdout. */
int gw_mcp_stdio(void);

/* ---- tokens (gw_token.c) ---- */
enum { GW_TOKEN_NONE = 0, GW_TOKEN_READ = 1, GW_TOKEN_WRITE = 2 };
/* The scope of a presented token (GW_TOKEN_NONE when unknown). */
int gw_token_check(const char *path, const char *token);
/* Number of tokens in the file (0 when missing). */
int gw_token_count(const char *path);
const char *gw_token_default_path(void);
/* ts-gateway token add|list|rm ... */
int gw_token_cmd(const char *path, int argc, char **argv);

/* ---- the OpenAPI document (gw_openapi.c) ---- */
extern const char gw_openapi_json[];

#endif
