/* dec.h: exact decimals, parsed from an exchange's text and written back unchanged */
#ifndef TS_DEC_H
#define TS_DEC_H

#include <stddef.h>
#include <stdint.h>

/* value = m / 10^scale. The scale keeps the text's fraction digits, trailing
 * zeros included, so "0.00001000" is {1000, 8} and formats back to
 * "0.00001000". At most 18 fraction digits and 18 significant digits. */
struct ts_dec {
	int64_t m;
	int32_t scale;
};

#define TS_DEC_MAX_SCALE 18
/* Longest text ts_dec_fmt writes, NUL included. */
#define TS_DEC_STRLEN 44

/* Parse `n` bytes of decimal text: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * Leading '+', leading zeros ("007"), a bare or trailing '.', spaces, hex,
 * inf and nan are rejected. Exponent forms ("1e-8", "1.5E3") are accepted
 * deliberately, since some exchanges send them for tiny sizes; they format
 * back in plain notation ("0.00000001"). Returns 0, or -1 when the text is
 * malformed or does not fit. */
int ts_dec_parse(const char *s, size_t n, struct ts_dec *out);
/* The same for a NUL-terminated string. */
int ts_dec_parse_str(const char *s, struct ts_dec *out);

/* Write d in plain notation into buf; returns the length (without NUL).
 * buf should hold TS_DEC_STRLEN bytes. */
size_t ts_dec_fmt(struct ts_dec d, char *buf, size_t n);

/* Compare by value: -1, 0, 1 ("1.50" equals "1.5"). */
int ts_dec_cmp(struct ts_dec a, struct ts_dec b);
/* The same value with trailing fraction zeros removed: a canonical key. */
struct ts_dec ts_dec_norm(struct ts_dec d);
/* Exact sum and difference at the larger scale. Return 0, or -1 on overflow
 * (out untouched). */
int ts_dec_add(struct ts_dec a, struct ts_dec b, struct ts_dec *out);
int ts_dec_sub(struct ts_dec a, struct ts_dec b, struct ts_dec *out);
/* Exact product; the scale is the sum of scales, reduced by dropping trailing
 * zeros when needed. Returns -1 when it cannot be held exactly. */
int ts_dec_mul(struct ts_dec a, struct ts_dec b, struct ts_dec *out);
/* Value at a fixed scale (an integer key), or -1 when not exact or too big. */
int ts_dec_to_fixed(struct ts_dec d, int32_t scale, int64_t *out);
double ts_dec_to_double(struct ts_dec d);
static inline int ts_dec_is_zero(struct ts_dec d) { return d.m == 0; }
static inline int ts_dec_sign(struct ts_dec d) { return (d.m > 0) - (d.m < 0); }

#endif
