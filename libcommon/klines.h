/* klines.h: candle history from the exchanges' REST candle endpoints
 *
 * A table holds, per exchange, its REST base, the timeframes it serves under
 * its own names, how many candles one request may return, and two functions:
 * one writes the request URL, the other parses the reply into struct
 * ts_candle. Adding an exchange is adding one entry. Timeframes an exchange
 * does not serve are rolled up from the coarsest finer one it serves that
 * divides them (Coinbase 3m from 1m, 1w from 1d; Binance 5s from 1s).
 *
 * ts-feed's adapters will own the exchanges' REST code; until they do, the
 * candle endpoints live here so ts-candle and ts-gui share them. */
#ifndef TS_KLINES_H
#define TS_KLINES_H

#include <stddef.h>
#include <stdint.h>

#include "candle.h"
#include "tm.h"

struct ts_klines_ex {
	const char *name;      /* "coinbase", "binance" */
	const char *base;      /* default REST base, scheme://host[:port] */
	size_t max_per_req;    /* candles one request may ask for */
	const char *tf[TS_TF_COUNT]; /* the exchange's name of each ts_tf_names
	                              * timeframe, NULL when it does not serve it */
	/* Write the URL of the candles with open times in [start_us, end_us)
	 * (at most max_per_req of them) of the exchange's interval `tfname` for
	 * canonical symbol sym. Returns the length, 0 when it does not fit. */
	size_t (*url)(char *buf, size_t n, const char *base, const char *sym,
	    const char *tfname, int64_t start_us, int64_t end_us, size_t limit);
	/* Parse a 200 reply, appending its candles (any order) to *out (*n of
	 * *cap, grown with ts_xgrow). Returns 0, or -1 with err set. */
	int (*parse)(const char *body, size_t len, struct ts_candle **out,
	    size_t *n, size_t *cap, char *err, size_t errlen);
};

/* The table, NULL-terminated. */
extern const struct ts_klines_ex *const ts_klines_table[];

/* The entry of exchange `name`, or NULL when it has no candle endpoint. */
const struct ts_klines_ex *ts_klines_find(const char *name);

/* The ts_tf_names index whose candles build timeframe index `tf`: tf itself
 * when served, else the coarsest served one that divides it, else -1. */
int ts_klines_source(const struct ts_klines_ex *ex, int tf);

/* Sort candles by open time, merge duplicates (the later-listed wins), and
 * roll them up into timeframe tf_us (aligned with ts_tf_align). Returns the
 * new count; works in place. */
size_t ts_klines_rollup(struct ts_candle *c, size_t n, int64_t tf_us);

/* A history fetch split into its requests, for a caller that makes them
 * itself (ts-candle drives them from its loop with curl's multi API):
 *
 *   ts_klines_plan_init(&p, …);
 *   while ((r = ts_klines_plan_next(&p, url, sizeof url, …)) == 1)
 *           GET url, then ts_klines_plan_reply(&p, …) (again after a wait
 *           while it returns 1);
 *   ts_klines_plan_finish(&p, &c, &n);
 *   ts_klines_plan_free(&p);
 *
 * The plan covers the last `count` candles of timeframe tf_us up to the one
 * holding now_us, cut at its old end when it would take more than 40
 * requests. */
struct ts_klines_plan {
	const struct ts_klines_ex *ex;
	const char *base;   /* not copied: lives as long as the plan */
	char sym[48];
	int src;            /* ts_tf_names index of the served timeframe */
	int64_t tf_us, src_us, start, end, window;
	int64_t next;       /* start of the next request's window */
	struct ts_candle *c; /* the candles so far, as the replies listed them */
	size_t len, cap;
};

/* Plan the fetch (base NULL: the table's). Returns 0, or -1 with err set
 * (no such timeframe, or the exchange serves nothing that builds it). */
int ts_klines_plan_init(struct ts_klines_plan *p, const struct ts_klines_ex *ex,
    const char *base, const char *sym, int64_t tf_us, int64_t now_us, size_t count,
    char *err, size_t errlen);

/* Write the next request's URL into url and move on. Returns 1, 0 when
 * every request has been made, or -1 with err set (URL too long). */
int ts_klines_plan_next(struct ts_klines_plan *p, char *url, size_t n, char *err,
    size_t errlen);

/* Take the reply to the request for url: HTTP status, body, the seconds of
 * a Retry-After header (-1: none) and how many times it was retried so far.
 * Returns 0 (its candles are kept), 1 when the caller should repeat it
 * after *wait_s seconds (429 and 5xx, twice at most), or -1 with err set. */
int ts_klines_plan_reply(struct ts_klines_plan *p, const char *url, long status,
    const char *body, size_t len, long retry_after, int attempt, long *wait_s,
    char *err, size_t errlen);

/* The candles fetched, in the plan's window, sorted, merged and rolled up
 * to tf_us: *out is a new array (oldest first) the caller frees, possibly
 * with gaps (Coinbase omits empty intervals) and fewer than count candles.
 * The plan keeps nothing after this. */
void ts_klines_plan_finish(struct ts_klines_plan *p, struct ts_candle **out, size_t *n);

/* Free what the plan holds (after finish too, or to abandon it). */
void ts_klines_plan_free(struct ts_klines_plan *p);

/* Fetch with blocking requests of at most timeout_ms each (429 and 5xx
 * answers are retried twice): the plan above, made in a row. *out is a new
 * array, oldest first, that the caller frees. Returns 0, or -1 with err
 * set (*out NULL). For programs that may block (a command-line tool). */
int ts_klines_fetch(const struct ts_klines_ex *ex, const char *base,
    const char *sym, int64_t tf_us, int64_t now_us, size_t count,
    long timeout_ms, struct ts_candle **out, size_t *n, char *err, size_t errlen);

/* Where REST takes over from stored candles. Given the closed candles of
 * timeframe tf_us that ts-store holds for the window [start, open) (open:
 * the interval holding now, whose candle no store has closed), in any
 * order: sorts them and keeps the run that begins with the oldest and has
 * no missing interval. When that run reaches back to start + slack_us
 * (an exchange may have no older candle either), the history is the run
 * and REST serves [its end, now]: returns its end and sets *keep to its
 * length. Otherwise the store helps too little: returns start and sets
 * *keep to 0 (REST serves everything). With no REST (rest_ok 0) the run is
 * used only when it reaches open (returns open), else nothing (*keep 0,
 * returns -1). */
int64_t ts_klines_join_point(struct ts_candle *stored, size_t n, int64_t tf_us,
    int64_t start, int64_t open, int64_t slack_us, int rest_ok, size_t *keep);

/* The exchange's error text from a non-200 reply body, or the status:
 * written into err. */
void ts_klines_http_error(long status, const char *body, size_t len, char *err,
    size_t errlen);

#endif
