/* tm.h: microsecond clocks, RFC 3339 times, durations and timeframes */
#ifndef TS_TM_H
#define TS_TM_H

#include <stddef.h>
#include <stdint.h>

#define TS_US_PER_SEC INT64_C(1000000)

int64_t ts_now_us(void);  /* CLOCK_REALTIME, microseconds since the epoch */
int64_t ts_mono_us(void); /* CLOCK_MONOTONIC, microseconds */

/* How far an event time may run ahead of the clock it is compared with
 * (its receive time, a consumer's clock) before it is taken for garbage:
 * exchanges' clocks are good to milliseconds, a host without NTP drifts
 * by seconds a day. A trade stamped in 2100 that got through would close a
 * consumer's candles up to 2100 and make every later trade "late". */
#define TS_TIME_AHEAD_MAX_US (300 * TS_US_PER_SEC)
/* 1 when `ts` (µs) is more than TS_TIME_AHEAD_MAX_US after `ref`, a clock
 * reading in µs. A ref before 2020 is a clock that was never set (a board
 * without a real-time clock before NTP): nothing is judged by it (0). */
int ts_time_ahead(int64_t ts, int64_t ref);

/* Parse RFC 3339 ("2023-02-09T20:32:50.714964855Z", "…+02:00", a space for
 * 'T' and lower-case 'z' accepted) into microseconds since the epoch. Digits
 * beyond the sixth fractional one are truncated. Returns 0, or -1 on any
 * malformed or out-of-range field. `n` is the text's length (no NUL needed). */
int ts_rfc3339_parse(const char *s, size_t n, int64_t *us);

/* Write `us` as "2023-02-09T20:32:50.714964Z" (always six fractional digits)
 * into buf (at least 28 bytes). Returns the length. */
size_t ts_rfc3339_fmt(int64_t us, char *buf, size_t n);

/* Parse a duration "500ms", "5s", "15m", "4h", "1d", "1w" or a plain number
 * of seconds ("2.5") into microseconds. Returns 0 or -1. */
int ts_duration_parse(const char *s, int64_t *us);

/* Candle timeframes: "1s" … "1w" of DESIGN.md. */
#define TS_TF_COUNT 15
extern const char *const ts_tf_names[TS_TF_COUNT];
/* Length of a timeframe in microseconds, or -1 for a name not in the list. */
int64_t ts_tf_us(const char *tf);
/* Open time of the candle of timeframe length `tf_us` that contains `t`,
 * aligned to UTC; weeks start on Monday 00:00 UTC. */
int64_t ts_tf_align(int64_t t, int64_t tf_us);

#endif
