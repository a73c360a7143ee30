/* sim_ex.h: ts-sim's exchange protocol interface and the core services a protocol calls
 *
 * The core (ts-sim.c) owns the market, the websocket connections and their
 * output queues, the timers, the REST plumbing, replay and faults (sim_fault.c)
 * and the /_sim/ control API (sim_ctl.c). A protocol (ex/NAME.c) speaks one
 * exchange's wire format: it says which websocket and REST paths are its own,
 * parses what a client sends, writes the exchange's messages for what the
 * market does and answers its REST requests. It registers itself at start-up
 * with SIM_EX_REGISTER, so adding an exchange touches no other file.
 *
 * Every hook runs on the core's one thread. Hooks marked optional may be
 * NULL; sim_ex_register dies at start-up when a required one is missing.
 * A protocol keeps per-connection state in c->xd (conn_size bytes, zeroed by
 * the core, freed with the connection) and anything of its own in statics. */
#ifndef TS_SIM_EX_H
#define TS_SIM_EX_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "sim.h"
#include "sim_replay.h"

/* Channels a connection takes of a symbol, as bits of sim_conn.sub[i]. The
 * core reads SIM_SUB_BOOK (faults, cross) and "any bit" (is anyone
 * listening); a protocol may use higher bits of its own. */
enum { SIM_SUB_BOOK = 1, SIM_SUB_TRADE = 2 };

/* A websocket client of one exchange. The core allocates it when the
 * upgrade is accepted and frees it when the socket goes. */
struct sim_conn {
	const struct sim_ex *ex;
	uint8_t sub[SIM_MAX_SYMS]; /* SIM_SUB_ bits by market symbol index */
	int replaying;             /* playing the recording (sim_replay_start) */
	void *xd;                  /* ex->conn_size bytes of the protocol's own */
};

/* How a book message goes out under the skip and repeat faults. */
enum { SIM_COPIES_LOST = 0, SIM_COPIES_ONE = 1, SIM_COPIES_TWICE = 2 };

/* An exchange-specific fault: --fault NAME[=ARG], /_sim/fault?spec=NAME[=ARG]. */
struct sim_fault_def {
	const char *name;   /* "shutdown" */
	int arg;            /* 0 takes no value, 1 needs =NUMBER */
	/* Apply it to this exchange's connections (arg is 0 when it takes none). */
	void (*apply)(double arg);
};

struct sim_ex {
	const char *name;     /* "coinbase": the EXCHANGE argument and ?exchange= */
	const char *symbols;  /* default --symbols: "BTC-USD,ETH-USD" */

	/* ---- the market (sim_market.c reads these) ---- */
	const struct sim_profile *profile; /* how its book moves (sim.h) */
	int digits;           /* fraction digits of prices and sizes: -1 trimmed */
	uint64_t trade_id_base; /* trade ids start at base + rnd(1e8) */
	/* The exchange's name for BASE-QUOTE into buf ("BTCUSDT", "BTC/USD"). */
	void (*native)(char *buf, size_t n, const char *base, const char *quote);
	/* The size increment (at 8 decimals) of a symbol priced px. Optional:
	 * 1 (1e-8). */
	int64_t (*lot)(double px);

	/* ---- websocket ---- */
	size_t conn_size;     /* bytes of c->xd */
	/* How well path (without query) is this exchange's websocket path: the
	 * length of the matched part (sim_path_match), 0 for none. The best
	 * match among the enabled exchanges takes the connection. */
	int (*ws_match)(const char *path);
	/* A client connected on path?query (query "" when none). 0, or -1 to
	 * refuse it. Optional. */
	int (*ws_open)(struct sim_conn *c, const char *path, const char *query);
	/* One complete text frame from the client (subscribe, ping, ...). */
	void (*ws_receive)(struct sim_conn *c, const char *p, size_t n);
	/* Send websocket pings every --ping seconds to this exchange's clients. */
	int ws_ping;

	/* ---- what the market does, to the connections that want it ---- */
	/* Queue the book update of ev on c (c->sub[ev->s->idx] has
	 * SIM_SUB_BOOK). first: c is the first connection ev goes to (format
	 * into the protocol's scratch then, reuse it for the others). copies:
	 * SIM_COPIES_LOST (skip fault: the message is lost, a per-connection
	 * sequence number still moves), _ONE, or _TWICE (repeat fault). */
	void (*send_book)(struct sim_conn *c, const struct sim_event *ev, int first, int copies);
	/* Queue the trades of ev (ev->nfill > 0) on c (SIM_SUB_TRADE). */
	void (*send_trades)(struct sim_conn *c, const struct sim_event *ev, int first);
	/* 1: all trades of an event are one message; 0: a message each. Counts
	 * for --rate. */
	int trades_batched;
	/* Called once a second for each open connection (not while a stall
	 * fault holds, nor while a recording is still being played to it):
	 * heartbeats. tick counts the core's seconds since start, stalled ones
	 * included. Optional. */
	void (*second)(struct sim_conn *c, int64_t now_us, uint64_t tick, int first);

	/* ---- REST (optional: all three NULL for an exchange with none) ---- */
	/* How well path is one of this exchange's REST paths (as ws_match; the
	 * best match among all exchanges, enabled or not, owns the path: its
	 * error shape is used for 404s, faults and when it is not enabled). */
	int (*rest_match)(const char *path);
	/* Answer GET path?query from the generated market: r->status and
	 * r->body (empty on entry). Unknown paths get the exchange's 404. */
	void (*rest)(struct sim_market *m, const char *path, const char *query,
	    int64_t now_us, struct sim_resp *r);
	/* The exchange's error body for status 429 (rate limit) or 500 into
	 * r->body (empty on entry). */
	void (*rest_error)(struct sim_resp *r, int status);
	/* The REST path of a book snapshot ("/api/v3/depth"), whose answers
	 * the snapshot-delay fault holds back; NULL when none. */
	const char *snapshot_path;

	/* ---- faults ---- */
	/* A message cut short, in the shape of a book update (malformed fault).
	 * Optional: its clients get none. */
	const char *malformed;
	/* Faults of this exchange alone (ends with a NULL name); NULL for none. */
	const struct sim_fault_def *faults;

	/* ---- replay (--replay FILE: the recording's "recv" records) ---- */
	/* Does a recorded frame carry a book update (skip and repeat apply)?
	 * Optional: none does. */
	int (*rec_is_book)(const struct sim_rec *r);
	/* Queue recorded frame r on c as this connection should get it (e.g.
	 * without a combined-stream wrapper), noting what it implies (the last
	 * sequence number). Optional: sent as recorded. */
	void (*replay_send)(struct sim_conn *c, const struct sim_rec *r);
	/* Set up the truth of a replay before any record is applied (e.g. the
	 * books of the recorded REST snapshots). Optional. */
	void (*truth_init)(struct sim_rtruth *t, const struct sim_replay *r);
	/* Apply one recorded message (parsed) to the truth: books and trades
	 * (sim_rtruth_sym, sim_rtruth_trade, sim_book_pairs). 0, or -1 when
	 * it cannot be read (counted). Optional: /_sim/book and /_sim/trades of
	 * a replay then know no symbol. */
	int (*truth_apply)(struct sim_rtruth *t, const struct ts_jval *msg);

	/* ---- set by sim_ex_register ---- */
	int id;               /* 0, 1, ...: the core's index of the exchange */
	struct sim_ex *next;
};

#define SIM_MAX_EX 16

void sim_ex_register(struct sim_ex *x);
/* By name, or NULL. */
const struct sim_ex *sim_ex_find(const char *name);
/* The registry in name order; sim_ex_count() entries. */
const struct sim_ex *sim_ex_first(void);
int sim_ex_count(void);
/* "binance, coinbase": the known names, for messages. */
const char *sim_ex_names(void);
#define SIM_EX_REGISTER(x) \
	__attribute__((constructor)) static void sim_ex_register_##x(void) { sim_ex_register(&x); }

/* The length of pattern when path matches it, else 0. A pattern ending in
 * '*' matches any path that starts with what comes before it. */
int sim_path_match(const char *path, const char *pattern);

/* ---- core services (ts-sim.c; test_sim has fakes) ---- */

/* The generated market (no symbols when replaying). */
struct sim_market *sim_the_market(void);
/* 1 when playing a recording. */
int sim_replaying(void);
/* When ts-sim started (µs since the epoch). */
int64_t sim_start_us(void);

/* Queue one text frame on c. sim_send3 makes it of three pieces (b and d
 * may be empty), so a per-connection number or wrapper needs no copy. */
void sim_send(struct sim_conn *c, const char *p, size_t n);
void sim_send3(struct sim_conn *c, const char *a, size_t an, const char *b, size_t bn,
    const char *d, size_t dn);
/* Close c once what is queued has been written (after a goodbye message). */
void sim_close_after_drain(struct sim_conn *c);
/* The open connections of exchange x: for (c = sim_conn_next(x, NULL); c;
 * c = sim_conn_next(x, c)). Connections being closed are skipped. */
struct sim_conn *sim_conn_next(const struct sim_ex *x, struct sim_conn *prev);
/* Start playing the recording to c from its beginning (replay only; does
 * nothing when c plays it already). */
void sim_replay_start(struct sim_conn *c);
/* A client message was not understood: counted in /_sim/stats bad_input,
 * and logged (rate-limited) when fmt is not NULL. */
void sim_bad_input(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
