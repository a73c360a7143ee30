/* store.h: what the parts of ts-store share (database, parsing, influx sink, books, history) */
#ifndef TS_STORE_H
#define TS_STORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "book.h"
#include "bus.h"
#include "dec.h"
#include "json.h"
#include "map.h"

/* ---- messages (store_parse.c) ---- */

enum { STORE_BUY = 0, STORE_SELL = 1 };

struct store_trade {
	char ex[48], sym[48];
	char id[128];
	struct ts_dec px, qty;
	int side;             /* STORE_BUY or STORE_SELL */
	int64_t ts, rt;
	int has_rt;
};

struct store_candle {
	char ex[48], sym[48], tf[48];
	int64_t t, n;
	struct ts_dec o, h, l, c, v, bv;
	int has_bv, has_n, closed;
};

/* Parse a bus trade object. ex/sym default to def_ex/def_sym (from the
 * topic; may be NULL) when the object has none. 0, or -1 with *why set. */
int store_parse_trade(const struct ts_jval *obj, const char *def_ex,
    const char *def_sym, struct store_trade *t, const char **why);
/* Parse the JSON text of a trade object in one pass (validation included),
 * for flat objects whose strings have no escapes, as ts-feed writes them.
 * 0 parsed (*seq and *has_seq from its "seq" member when seq is not NULL),
 * -1 a valid object that is a bad trade (*why set), -2 not handled here
 * (nested values, escapes, a "tf" member, or not valid JSON): the caller
 * falls back to ts_json_parse and store_parse_trade, which decide. */
int store_scan_trade(const char *s, size_t n, const char *def_ex, const char *def_sym,
    struct store_trade *t, int64_t *seq, int *has_seq, const char **why);
/* Parse one candle object; def_* as above (def_tf may be NULL). */
int store_parse_candle(const struct ts_jval *obj, const char *def_ex,
    const char *def_sym, const char *def_tf, struct store_candle *c, const char **why);
/* Write a trade or candle as the bus writes it (without seq). */
void store_write_trade(struct ts_jw *w, const struct store_trade *t);
void store_write_candle(struct ts_jw *w, const struct store_candle *c);

/* ---- database (store_db.c) ---- */

struct store_stats {
	uint64_t trades, dups, candles, books, commits, rows;
	uint64_t lost;          /* rows of transactions or statements that failed */
	int64_t commit_us_last, commit_us_max;
};

/* Trades queued for one multi-row INSERT: SQLite's cost per statement
 * (begin, cursors, halt) is as large as its cost per row. */
#define STORE_TRADE_QUEUE 32

struct store {
	sqlite3 *db;
	char path[PATH_MAX];
	sqlite3_stmt *ins_trade, *ins_candle, *ins_book, *upd_run, *ins_gap;
	sqlite3_stmt *ins_trades;  /* STORE_TRADE_QUEUE rows, prepared on first use */
	struct store_trade queue[STORE_TRADE_QUEUE];
	int64_t queue_market[STORE_TRADE_QUEUE];
	int nqueue;
	struct ts_map markets;  /* "ex/sym" -> market id */
	char last_ex[48], last_sym[48];
	int64_t last_market;    /* the market of the last row, or -1 */
	int in_txn;
	long pending;           /* rows in the open transaction */
	int64_t txn_mono;       /* when the open transaction began */
	int64_t run_id;
	struct store_stats st;
};

/* The default database path: $XDG_DATA_HOME/tradesuite/store.db (or
 * ~/.local/share/…). Creates the directory when mkdirs. 0 or -1 (errno). */
int store_default_path(char *buf, size_t n, int mkdirs);
/* Open (creating the schema when writable) a database. readonly opens an
 * existing one for queries. 0, or -1 with a message in err. */
int store_open(struct store *s, const char *path, int readonly, char *err, size_t errlen);
void store_close(struct store *s);
/* The market id of ex/sym; create makes it when absent. -1 when absent. */
int64_t store_market(struct store *s, const char *ex, const char *sym, int create);

/* Rows go into one open transaction; store_commit ends it. Each returns
 * 1 stored, 0 duplicate (trades), -1 database error (message logged). */
int store_trade(struct store *s, const struct store_trade *t);
/* The bulk path: queue a trade into the open transaction; it is inserted
 * with the next STORE_TRADE_QUEUE - 1 in one statement, or by
 * store_trade_flush (which store_commit, store_trade and the queries call).
 * Duplicates are counted in st.dups, stored rows in st.trades, but the
 * caller learns neither per row: use store_trade when it must (to forward
 * only new trades). 0, or -1 when a flush failed (its rows are counted in
 * st.lost). */
int store_trade_queue(struct store *s, const struct store_trade *t);
int store_trade_flush(struct store *s);
int store_candle(struct store *s, const struct store_candle *c);
int store_book_row(struct store *s, int64_t market, int64_t ts, const char *const *txt,
    const char *bid_bins, const char *ask_bins, int bin_bps, const char *levels);
int store_begin(struct store *s);
int store_commit(struct store *s);
/* Record a gap (topic may be "*" for all). */
int store_gap(struct store *s, const char *topic, int64_t since, int64_t until,
    int64_t missing, const char *reason);

/* Collector runs: store_run_start notes a new run and reports how the last
 * one ended (a crash leaves a gap from its last commit to now, which is
 * logged and recorded). store_run_stop marks a clean end. */
int store_run_start(struct store *s, int64_t now);
int store_run_stop(struct store *s, int64_t now);

/* Retention: a negative age keeps forever. */
struct store_retention {
	int64_t trades, candles, book;
	int64_t book_thin_after, book_thin_every; /* keep one sample per every */
};
void store_retention_default(struct store_retention *r);
/* Parse "KIND=DURATION|forever" into r. 0 or -1. */
int store_retention_set(struct store_retention *r, const char *spec);
/* Delete and thin old rows; counts deleted rows into *deleted. 0 or -1. */
int store_prune(struct store *s, const struct store_retention *r, int64_t now,
    uint64_t *deleted);

/* ---- query (store_query.c) ---- */

enum store_fmt { STORE_JSON, STORE_CSV };

/* Stream rows of topic (trades/EX/SYM, candles/EX/SYM/TF, book/EX/SYM) in
 * [since, until) to out; limit 0 is no limit, else the last `limit` rows of
 * the range. Returns rows written; -1 for a topic that cannot be queried
 * (bad, or not a stored kind), -2 when the database or the output failed;
 * err says why. */
long store_query(struct store *s, const char *topic, int64_t since, int64_t until,
    long limit, enum store_fmt fmt, FILE *out, char *err, size_t errlen);
/* The same into a history batch {"type":"history","topic":…,"candles":[…]}
 * (or "trades" for a trades topic) written to w. Rows or -1 with err. */
long store_history(struct store *s, const char *topic, int64_t since, int64_t until,
    long limit, struct ts_jw *w, char *err, size_t errlen);
/* Parse a time argument: RFC 3339, "now", "-DURATION" (before now) or
 * integer microseconds. 0 or -1. */
int store_parse_time(const char *s, int64_t now, int64_t *us);
/* `ts-store stats`: per market and kind, rows, first, last, bytes. */
int store_print_stats(struct store *s, FILE *out);
/* `ts-store gaps`: the recorded gaps. */
int store_print_gaps(struct store *s, FILE *out);

/* ---- the InfluxDB sink (store_influx.c) ---- */

struct influx;
struct influx_conf {
	const char *url;        /* http://HOST:PORT (base) or a full write URL */
	const char *db;         /* 1.x database (default "tradesuite") */
	const char *org, *bucket; /* 2.x: both set selects /api/v2/write */
	const char *spool_dir;  /* default $XDG_STATE_HOME/tradesuite/influx-spool */
	size_t spool_max;       /* bytes on disk at most */
	long batch_points;      /* points per request */
	int64_t flush_us;       /* longest a point waits in memory */
};
struct influx_stats {
	uint64_t points, sent, dropped, failures, spooled_bytes, spooled_files;
	int up;
};
/* Creates the sink (the spool directory too). NULL with err on failure. */
struct influx *influx_new(const struct influx_conf *c, char *err, size_t errlen);
void influx_free(struct influx **ix); /* writes what is in memory to the spool */
void influx_trade(struct influx *ix, const struct store_trade *t);
void influx_candle(struct influx *ix, const struct store_candle *c);
void influx_book(struct influx *ix, const char *ex, const char *sym, int64_t ts,
    const char *const *txt, const struct ts_dec *bins, int nbins);
/* Drive the sink: move a due batch to the spool, send the oldest segment,
 * collect finished transfers. Call often (every 10–50 ms). */
void influx_tick(struct influx *ix, int64_t now_mono);
/* 1 when nothing is waiting (memory and spool empty, nothing in flight). */
int influx_idle(const struct influx *ix);
void influx_stats(const struct influx *ix, struct influx_stats *st);

/* ---- books (store_book.c) ---- */

struct books;
struct books_conf {
	int nbins, bin_bps, levels;
};
struct books *books_new(const struct books_conf *c);
void books_free(struct books **b);
/* Apply one book message of topic (parsed ex/sym). -1 malformed. */
int books_apply(struct books *b, const char *ex, const char *sym, const struct ts_jval *obj);
/* Sample every book changed since the last sample into s (and ix when not
 * NULL). Returns the number of samples. */
int books_sample(struct books *b, struct store *s, struct influx *ix, int64_t now);

/* ---- history service (store_hist.c) ---- */

/* The history service endpoint of a bus: ipc://DIR/history, or
 * tcp://HOST:PORT+3. 0 or -1. */
int store_history_endpoint(const struct ts_bus_ep *ep, char *buf, size_t n);
/* Answer one request text (JSON) into w. Always writes a reply object. */
void store_history_answer(struct store *s, const char *req, size_t n, struct ts_jw *w);

#endif
