/* candle.h: exact OHLCV candles: trades aggregated per UTC-aligned timeframe
 *
 * One struct ts_candle_series is one timeframe of one market: the open
 * candle, a ring of the last closed ones (the history a late subscriber is
 * given), and counters of the trades it could not apply. Prices and volumes
 * are struct ts_dec, so a 1d candle's volume is the exact sum of its trades'
 * sizes. Shared by ts-candle, ts-gui, ts-store and ts-alert. */
#ifndef TS_CANDLE_H
#define TS_CANDLE_H

#include <stddef.h>
#include <stdint.h>

#include "dec.h"
#include "json.h"

enum {
	TS_CANDLE_CLOSED = 1, /* its interval has ended: it will not change */
	TS_CANDLE_FLAT = 2,   /* no trade yet: o=h=l=c is the previous close, v=0 */
	TS_CANDLE_NO_BV = 4,  /* taker-buy volume unknown (history from an exchange
	                       * that does not report it): written as null */
	TS_CANDLE_NO_N = 8,   /* trade count unknown: written as null */
};

struct ts_candle {
	int64_t t; /* open time, µs since the epoch, aligned with ts_tf_align */
	struct ts_dec o, h, l, c;
	struct ts_dec v, bv; /* volume and taker-buy volume */
	uint64_t n;          /* trades */
	unsigned flags;      /* TS_CANDLE_* */
};

/* What ts_candle_trade did with a trade. */
enum {
	TS_CANDLE_APPLIED = 0, /* changed the open candle */
	TS_CANDLE_LATE,        /* for a candle already closed: counted in late */
	TS_CANDLE_DUP,         /* older than the history cut: already in history */
	TS_CANDLE_OVERFLOW,    /* the volume no longer fits a ts_dec: counted */
};

/* Gaps longer than this many intervals are not filled with flat candles
 * (a clock jump or a bad timestamp would otherwise flood); counted in
 * unfilled. */
#define TS_CANDLE_MAX_FILL 100000

struct ts_candle_series {
	int64_t tf_us;
	int has;               /* cur holds the open candle */
	struct ts_candle cur;
	int64_t first_ts;      /* times of the trades that set cur.o and cur.c, */
	int64_t last_ts;       /* so out-of-order trades keep o first and c last */
	int64_t cut_us;        /* trades before this are in the loaded history */
	struct ts_candle *ring; /* closed candles, oldest first from head */
	size_t keep, len, head;
	uint64_t trades, late, dup, overflow, unfilled;
};

/* Called with each candle as it closes (flags has TS_CANDLE_CLOSED). */
typedef void ts_candle_emit_fn(void *arg, const struct ts_candle_series *s,
    const struct ts_candle *c);

/* Start an empty series of timeframe tf_us (ts_tf_us) that keeps the last
 * `keep` closed candles. ts_candle_series_free releases the ring. */
void ts_candle_series_init(struct ts_candle_series *s, int64_t tf_us, size_t keep);
void ts_candle_series_free(struct ts_candle_series *s);

/* Apply one trade: ts in µs, px > 0, qty >= 0, buy 1 when the taker bought.
 * A trade in a later interval first closes the open candle (and fills the
 * intervals between with flat candles at its close), calling closed_fn
 * (may be NULL) for each. Returns TS_CANDLE_*. */
int ts_candle_trade(struct ts_candle_series *s, int64_t ts, struct ts_dec px,
    struct ts_dec qty, int buy, ts_candle_emit_fn *closed_fn, void *arg);

/* Close every candle whose interval ended at or before now_us, filling empty
 * intervals with flat candles, and open a flat candle for the interval
 * holding now_us. Returns the number of candles closed. */
size_t ts_candle_advance(struct ts_candle_series *s, int64_t now_us,
    ts_candle_emit_fn *closed_fn, void *arg);

/* When the open candle ends (µs), or INT64_MAX when there is none. */
int64_t ts_candle_end(const struct ts_candle_series *s);

/* Load history (n candles of this timeframe, oldest first, aligned; gaps are
 * filled with flat candles, duplicates of a time are merged by keeping the
 * later one) fetched at cut_us: candles that ended by cut_us go to the ring,
 * the one holding cut_us becomes the open candle, and live trades before
 * cut_us are ignored from then on (TS_CANDLE_DUP), since history counted
 * them. Replaces what the series held. */
void ts_candle_series_load(struct ts_candle_series *s, const struct ts_candle *h,
    size_t n, int64_t cut_us);

/* The i-th kept closed candle, oldest first (i < s->len). */
const struct ts_candle *ts_candle_series_at(const struct ts_candle_series *s, size_t i);

/* Fold candle `next` (later, same or finer timeframe) into `into`: high and
 * low widen, close moves, volumes and counts add. Returns 0, or -1 when a
 * volume overflows (into unchanged). */
int ts_candle_merge(struct ts_candle *into, const struct ts_candle *next);

/* Write one candle object {"ex","sym","tf","t","o","h","l","c","v","bv","n",
 * "closed"} (closed, without seq) to w. */
void ts_candle_write(struct ts_jw *w, const char *ex, const char *sym,
    const char *tf, const struct ts_candle *c);

/* Parse one candle object of the bus schema (a history batch's element, or
 * a ts-store reply's) into c: "t", "o", "h", "l", "c" and "v" must be
 * there; "bv" and "n" absent or null set TS_CANDLE_NO_BV / TS_CANDLE_NO_N;
 * a zero volume sets TS_CANDLE_FLAT; "closed" is not read (flags gets no
 * TS_CANDLE_CLOSED). Returns 0, or -1 with *why naming the bad field. */
int ts_candle_parse(const struct ts_jval *obj, struct ts_candle *c, const char **why);

/* A bus trade, {"ex","sym","id","px","qty","side","ts",…}, as read. */
struct ts_candle_trade {
	char ex[32];
	char sym[48];
	int64_t ts;
	struct ts_dec px, qty;
	int buy;
};

/* Parse a trade object (px and qty read exactly, never through a double).
 * Returns 0, or -1 with *why saying which field is missing or bad. ex and
 * sym may be absent when the caller knows them (from the topic): they are
 * then left empty. A trade whose "ts" is more than TS_TIME_AHEAD_MAX_US after
 * its "rt" (tm.h) is refused: it would close candles up to its time. */
int ts_candle_parse_trade(const char *json, size_t n, struct ts_candle_trade *t,
    const char **why);

#endif
