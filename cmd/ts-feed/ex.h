/* ex.h: ts-feed's exchange adapter interface and the core services adapters call
 *
 * The core (feed.c) owns symbols, the per-symbol book state machine, trade
 * de-duplication and backfill bookkeeping, and publishing. An adapter
 * (ex/NAME.c) turns its exchange's wire messages into calls of the core and
 * registers itself at start-up with EX_REGISTER, so adding an exchange
 * touches no other file. The core reaches the network only through
 * struct feed_ops, which ts-feed.c implements with wsc.c and curl and
 * the unit tests with fakes. */
#ifndef TS_FEED_EX_H
#define TS_FEED_EX_H

#include <stddef.h>
#include <stdint.h>

#include "book.h"
#include "dec.h"
#include "json.h"
#include "log.h"
#include "map.h"
#include "topic.h"

struct feed;
struct fsym;

/* Channels of a symbol, as bits. */
enum { CH_TRADES = 1, CH_BOOK = 2 };

/* Book states: nothing wanted, waiting for a verified snapshot, in sync. */
enum book_state { BOOK_OFF, BOOK_SYNCING, BOOK_LIVE };

/* Kinds of REST request an adapter makes (passed back to on_rest). */
enum { REST_SNAPSHOT = 1, REST_BACKFILL };

/* on_message's answer for a message the adapter has no use for. */
#define FEED_IGNORED 1

/* Websocket connections one feed may keep (an exchange with one endpoint
 * per market category, Bybit's spot and linear, keeps one for each). */
#define FEED_CONN_MAX 4

/* Flags of a trade (feed_trade_text), and the longest id text it takes. */
#define TRADE_ID_MAX 64
enum { TRADE_BLOCK = 1 }; /* a block trade, negotiated off the book */

struct ex_adapter {
	const char *name;       /* "coinbase": the topic's exchange segment */
	const char *ws_base;    /* "wss://host[:port]" of the real exchange */
	const char *rest_base;  /* "https://host[:port]" */
	/* REST path of the instrument list, or of several lists separated by
	 * spaces ("/a?type=X /a?type=Y"), each fetched (or read from its
	 * cache) and given to instruments() in turn */
	const char *instruments_path;
	double ws_msgs_per_sec; /* documented limit of messages a client sends */
	double ws_msgs_burst;   /* messages it may send at once; 0: ws_msgs_per_sec */
	/* A text keepalive: sent on each open connection (outside the rate
	 * limit) when nothing was received on it for ping_us; NULL when the
	 * exchange needs none. */
	const char *ping_text;
	int64_t ping_us;
	int64_t watchdog_us;    /* default: silence after which we reconnect */
	int64_t max_conn_us;    /* reconnect before the exchange cuts us; 0 none */
	/* Connections (1 when 0) and the one that carries symbol s (NULL: 0).
	 * The core sets f->conn to the connection an event concerns before it
	 * calls ws_path, on_connect, channel, on_message, book_resync and
	 * on_disconnect; ops.ws_send and ops.reconnect act on f->conn. */
	int nconn;
	int (*conn_of)(const struct feed *f, const struct fsym *s);
	/* Parse an instrument list (one of instruments_path's); call
	 * feed_instrument for each tradable symbol. 0, or -1 when the body is
	 * not what was expected. */
	int (*instruments)(struct feed *f, const char *body, size_t n);
	/* The websocket path (with query) for a new connection. */
	void (*ws_path)(struct feed *f, char *buf, size_t n);
	/* A connection is up: subscribe every wanted channel. */
	void (*on_connect)(struct feed *f);
	/* A channel of s became wanted (on) or unwanted while connected. */
	void (*channel)(struct feed *f, struct fsym *s, int ch, int on);
	/* One complete text message; rt is its receive time (µs). Returns 0
	 * for a message it used, FEED_IGNORED for a well-formed one it has no
	 * use for (a stream nobody asked for, an event type it does not read:
	 * the core counts it as "ignored"), or -1 for a malformed message
	 * (the core counts it as "malformed"). */
	int (*on_message)(struct feed *f, const char *p, size_t n, int64_t rt);
	/* The book of s must be (re)built: start whatever brings a snapshot. */
	void (*book_resync)(struct feed *f, struct fsym *s);
	/* Trades after `after_id` up to before `before_id` were missed: fetch
	 * them (calling feed_trade, then feed_backfill_done). NULL when the
	 * exchange cannot; the core then reports the gap. */
	void (*backfill)(struct feed *f, struct fsym *s, int64_t after_id, int64_t before_id);
	/* The answer to feed_rest (status 0: no answer at all, body NULL). */
	void (*on_rest)(struct feed *f, struct fsym *s, int kind, long status,
	    const char *body, size_t n);
	/* Connection f->conn went away: forget its state. */
	void (*on_disconnect)(struct feed *f);
	/* Free s->xd and what it owns. NULL: the core frees s->xd, a block
	 * that owns nothing. */
	void (*free_sym)(struct fsym *s);
	/* An exchange option (-o NAME=VALUE), before the first connection:
	 * 0, or -1 with *why set when NAME is not one of the exchange's or
	 * VALUE is not one NAME takes. Options live in f->conf, which
	 * feed_free frees. NULL: the exchange takes none. */
	int (*option)(struct feed *f, const char *name, const char *value,
	    const char **why);
	const char *options_help; /* "trades=trade|agg" for the usage, or NULL */
	const struct ex_adapter *next; /* the registry's list */
};

void ex_register(struct ex_adapter *a);
const struct ex_adapter *ex_find(const char *name);
const struct ex_adapter *ex_first(void);
#define EX_REGISTER(a) \
	__attribute__((constructor)) static void ex_register_##a(void) { ex_register(&a); }

/* A buffered trade waiting for a backfill to finish. */
struct ftrade {
	int64_t id;
	struct ts_dec px, qty;
	int64_t ts, rt;
	char side; /* 'b' or 's' */
};

struct fsym {
	char sym[TS_SYM_MAX]; /* canonical: BTC-USD, BTC-USDT-PERP, BTC-USD-220527 */
	char native[32];  /* the exchange's name */
	char t_trades[96], t_book[96];
	int want;         /* CH_ bits wanted by subscribers */
	int conn;         /* the connection that carries it (adapter->conn_of) */
	/* book */
	enum book_state bstate;
	struct ts_book book;
	int64_t book_id;  /* the exchange's last applied update id */
	uint64_t seq_book, seq_trades;
	uint64_t resyncs, book_msgs;
	/* trades */
	int64_t last_id;  /* last published trade id, -1 none */
	int backfilling;
	struct ftrade *held;  /* live trades held during a backfill */
	size_t nheld, capheld;
	uint64_t trades, dups, missed, gaps, backfilled;
	void *xd;         /* the adapter's own state */
};

/* Messages an adapter holds while a book snapshot is on its way: copies of
 * their text, at most FEED_EVQ_MAX; when full the older half goes in one
 * move (one at a time was a shift of 20,000 pointers per message while a
 * snapshot was late), and the sync procedure notices the hole.
 * Zero-initialise; feed_evq_free releases it. */
#define FEED_EVQ_MAX 20000
struct feed_evq {
	char **ev;
	size_t *evn, nev, capev, capevn;
};
void feed_evq_push(struct feed_evq *q, const char *p, size_t n);
/* Drop every message, keeping the memory. */
void feed_evq_clear(struct feed_evq *q);
void feed_evq_free(struct feed_evq *q);

/* What the core needs from the outside world. */
struct feed_ops {
	void *ctx;
	/* Publish one message (json is a complete object with seq). */
	void (*emit)(void *ctx, const char *topic, const char *json, size_t n);
	/* Queue a text frame on connection f->conn. */
	void (*ws_send)(void *ctx, const char *text, size_t n);
	/* GET REST base + path; the answer goes to adapter->on_rest. */
	void (*rest_get)(void *ctx, struct fsym *s, int kind, const char *path);
	/* Drop connection f->conn and connect again (now: without backoff). */
	void (*reconnect)(void *ctx, const char *reason, int now);
};

struct feed {
	const struct ex_adapter *ex;
	struct feed_ops ops;
	struct ts_map inst;      /* canonical -> native (strdup'd) */
	struct ts_map syms;      /* canonical -> struct fsym * */
	struct ts_map bynative;  /* native -> struct fsym * */
	struct fsym **symv;
	size_t nsym, capsym;
	unsigned connected;      /* bit c: connection c is open */
	int conn;                /* the connection of the current event */
	int64_t conn_seq;        /* per-connection sequence (Coinbase), -1 none */
	void *xd;                /* the adapter's connection state */
	void *conf;              /* the adapter's options (see option) */
	struct ts_jw w;          /* scratch writer for messages */
	struct ts_level *chg[2]; /* levels a delta changed */
	size_t nchg[2], capchg[2];
	int in_delta;
	uint64_t status_seq;
	char state[24];          /* last state published on status/feed/EX */
	uint64_t rate_msgs;      /* msgs at the last status, for the rate */
	int64_t rate_t;
	/* counters for status/feed/EX */
	uint64_t msgs, malformed, ignored, trades, book_msgs, resyncs, reconnects;
	uint64_t seq_gaps, dup_msgs;
	uint64_t bus_dropped;     /* messages the bus refused (set by ts-feed.c) */
	struct ts_ratelimit rl;
};

/* Set up a feed for adapter ex; ops are copied. feed_free releases all. */
void feed_init(struct feed *f, const struct ex_adapter *ex, const struct feed_ops *ops);
void feed_free(struct feed *f);

/* Record an instrument (from the adapter's list parser). */
void feed_instrument(struct feed *f, const char *canon, const char *native);
/* The native name of a canonical symbol, or NULL when unknown. */
const char *feed_native(const struct feed *f, const char *canon);

/* Subscribers want (on) or no longer want channel ch of canonical symbol
 * sym. Returns 0, or -1 for an unknown symbol (reported on stderr and
 * status/feed/EX). Calls adapter->channel when connected. */
int feed_want(struct feed *f, const char *sym, int ch, int on);
/* A symbol by canonical or native name (NULL if no channel was ever wanted). */
struct fsym *feed_sym(const struct feed *f, const char *canon);
struct fsym *feed_sym_native(const struct feed *f, const char *native, size_t n);
/* 1 when any channel of any symbol is wanted. */
int feed_any_wanted(const struct feed *f);

/* Connection events of connection f->conn (ts-feed.c calls these): they
 * concern the symbols it carries. */
void feed_connected(struct feed *f);
void feed_disconnected(struct feed *f, const char *reason);
/* 1 when connection c is open. */
int feed_conn_up(const struct feed *f, int c);
/* A message arrived: counts it and hands it to the adapter. */
void feed_message(struct feed *f, const char *p, size_t n, int64_t rt);

/* A trade. side: 'b' taker bought, 's' taker sold. Duplicates (id not above
 * the last published) are dropped; a gap starts a backfill or is reported.
 * A trade stamped more than TS_TIME_AHEAD_MAX_US after rt (tm.h) is counted
 * as malformed and dropped: it would wedge consumers' candles.
 * backfill: the trade comes from a backfill answer. Returns 1 published,
 * 0 dropped or held. */
int feed_trade(struct feed *f, struct fsym *s, int64_t id, struct ts_dec px,
    struct ts_dec qty, char side, int64_t ts, int64_t rt, int backfill);
/* A trade whose id is the exchange's own text (digits, letters, '-'; at
 * most 64 bytes: a UUID on Bybit's linear market), published as it is,
 * with flags (TRADE_BLOCK adds "block":true). The core neither orders nor
 * de-duplicates such ids: the adapter has dropped duplicates and dealt
 * with gaps. A trade stamped too far ahead is dropped as feed_trade drops
 * it. Returns 1 published, 0 not (not wanted, or dropped). */
int feed_trade_text(struct feed *f, struct fsym *s, const char *id, size_t idn,
    struct ts_dec px, struct ts_dec qty, char side, int64_t ts, int64_t rt, int flags);
/* A gap in the trades of s that could not be filled: count the trades
 * known missing (0 when unknown) and report it, detail saying where. */
void feed_trade_gap(struct feed *f, struct fsym *s, uint64_t missing, const char *detail);
/* The backfill started for s is over (complete or not). */
void feed_backfill_done(struct feed *f, struct fsym *s);

/* Book updates. A snapshot: feed_snap_begin, feed_level…, feed_snap_end.
 * A delta: feed_delta_begin, feed_level…, feed_delta_end. Levels are
 * applied to s->book as they come; _end checks the book (a crossed book
 * is out of sync) and publishes. Both ends return 0, or -1 when the book
 * was found out of sync (a resync has been started). */
void feed_snap_begin(struct feed *f, struct fsym *s);
int feed_snap_end(struct feed *f, struct fsym *s, int64_t ts, int64_t rt);
void feed_delta_begin(struct feed *f, struct fsym *s);
int feed_delta_end(struct feed *f, struct fsym *s, int64_t ts, int64_t rt);
/* Returns 0, or -1 for a negative size. */
int feed_level(struct feed *f, struct fsym *s, enum ts_side side,
    struct ts_dec px, struct ts_dec qty);
/* The book of s lost sync: publish reset (when it was live) and resync. */
void feed_book_resync(struct feed *f, struct fsym *s, const char *reason);
/* Every book lost sync for a reason of the whole connection (one that no
 * symbol can be blamed for): publish reset on each live one and mark every
 * wanted one syncing, without adapter->book_resync; the caller renews the
 * connection, whose snapshots bring them back. */
void feed_books_lost(struct feed *f, const char *reason);
/* Publish the full book of s again (a late subscriber). */
void feed_book_republish(struct feed *f, struct fsym *s);

/* Publish status/feed/EX: state is "connected", "reconnecting", …;
 * event and detail (both may be NULL) name what happened. */
void feed_status(struct feed *f, const char *state, const char *event, const char *detail);

/* A REST answer other than 200 to what ("depth snapshot") of s: warned
 * (rate-limited) and reported on status/feed/EX as rest_error. Returns 1
 * when the status says asking again is useless (a 4xx but 429 and 418,
 * the rate limits), else 0. */
int feed_rest_error(struct feed *f, struct fsym *s, const char *what, long status);

/* A REST book snapshot an adapter waits for (zero-initialise): one at a
 * time per symbol. */
struct feed_snapreq {
	int inflight, again;
};
/* GET path as s's REST_SNAPSHOT, unless one is on its way: then that
 * answer, which may predate the need, is dropped and asked again. */
void feed_snap_get(struct feed *f, struct fsym *s, struct feed_snapreq *r, const char *path);
/* on_rest's answer to it: 1 when body is the snapshot to apply. 0 when it
 * is no longer needed (s not syncing, or disconnected), was superseded, or
 * failed (reported); ask(f, s) then asks again, unless the failure is
 * permanent or it is not needed. */
int feed_snap_answer(struct feed *f, struct fsym *s, struct feed_snapreq *r, long status,
    void (*ask)(struct feed *, struct fsym *));
/* on_rest's answer to a REST_BACKFILL: 1 when body is to be read; 0 when
 * no backfill runs any more, or it failed (reported, the backfill ended). */
int feed_backfill_answer(struct feed *f, struct fsym *s, long status);

/* Count a malformed message and warn (rate-limited). */
void feed_malformed(struct feed *f, const char *what, const char *p, size_t n);

/* Helpers for adapters. */
int64_t feed_rfc3339(const struct ts_jval *v); /* µs, or 0 when unreadable */
/* Milliseconds in microseconds; 0 (unreadable) for a time a peer sent out
 * of range, which would overflow. */
int64_t feed_ms_to_us(int64_t ms);
/* Apply arr, [[px,qty,…],…] (strings or numbers, in text that
 * ts_json_parse validated), to one side of s through feed_level. Returns
 * 0, or -1 when malformed (what came before is applied). */
int feed_levels(struct feed *f, struct fsym *s, const struct ts_jval *arr, enum ts_side side);
const char *feed_state_name(enum book_state st);

#endif
