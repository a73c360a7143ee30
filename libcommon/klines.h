/* klines.h: candle history from the exchanges' REST candle endpoints
 *
 * A table holds, per exchange, its REST base, the timeframes it serves under
 * its own names, how many candles one request may return, and two functions:
 * one writes the request URL, the other parses the reply into struct
 * ts_candle. Adding an exchange is adding one entry. Timeframes an exchange
 * does not serve are rolled up from the coarsest finer one it serves that
 * divides them (Coinbase 3m from 1m, 1w from 1d; Binance 5s from 1s).
 *
 * ts_feed's adapters will own the exchanges' REST code; until they do, the
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

/* Fetch the last `count` candles of timeframe tf_us (a ts_tf_us value) up
 * to the one holding now_us, from base (NULL: the table's), with blocking
 * requests of at most timeout_ms each (429 and 5xx answers are retried
 * twice). *out is a new array, oldest first, that the caller frees; it may
 * hold gaps where the exchange has no candle (Coinbase omits empty
 * intervals) and fewer than count candles. Returns 0, or -1 with err set
 * (*out NULL). */
int ts_klines_fetch(const struct ts_klines_ex *ex, const char *base,
    const char *sym, int64_t tf_us, int64_t now_us, size_t count,
    long timeout_ms, struct ts_candle **out, size_t *n, char *err, size_t errlen);

/* The exchange's error text from a non-200 reply body, or the status:
 * written into err. */
void ts_klines_http_error(long status, const char *body, size_t len, char *err,
    size_t errlen);

#endif
