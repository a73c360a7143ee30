/* dec.c: exact decimal text <-> fixed point */
#include "dec.h"

#include <string.h>

static const int64_t pow10[19] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, 10000000000, 100000000000, 1000000000000, 10000000000000,
	100000000000000, 1000000000000000, 10000000000000000,
	100000000000000000, 1000000000000000000,
};

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

int
ts_dec_parse(const char *s, size_t n, struct ts_dec *out)
{
	size_t i = 0;
	int neg = 0, sig = 0, frac = 0, exp = 0, eneg = 0;
	int64_t m = 0;
	int32_t scale;

	if (i < n && s[i] == '-')
		neg = 1, i++;
	if (i >= n || !isdig(s[i]))
		return -1;
	if (s[i] == '0' && i + 1 < n && isdig(s[i + 1]))
		return -1; /* leading zero */
	for (; i < n && isdig(s[i]); i++) {
		if (sig || s[i] != '0') {
			if (++sig > 18)
				return -1;
		}
		m = m * 10 + (s[i] - '0');
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !isdig(s[i]))
			return -1;
		for (; i < n && isdig(s[i]); i++) {
			if (sig || s[i] != '0') {
				if (++sig > 18)
					return -1;
			}
			m = m * 10 + (s[i] - '0');
			frac++;
		}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i] == '-', i++;
		if (i >= n || !isdig(s[i]))
			return -1;
		for (; i < n && isdig(s[i]); i++) {
			exp = exp * 10 + (s[i] - '0');
			if (exp > 60)
				return -1;
		}
		if (eneg)
			exp = -exp;
	}
	if (i != n)
		return -1;
	scale = frac - exp;
	if (scale < 0) {
		/* "1.5e3": fold the exponent into the mantissa */
		if (-scale > 18 || (m && sig - scale > 18))
			return -1;
		m *= pow10[-scale];
		scale = 0;
	}
	if (scale > TS_DEC_MAX_SCALE) {
		/* only trailing zeros may be shed to fit */
		while (scale > TS_DEC_MAX_SCALE && m % 10 == 0 && m)
			m /= 10, scale--;
		if (scale > TS_DEC_MAX_SCALE) {
			if (m)
				return -1;
			scale = TS_DEC_MAX_SCALE;
		}
	}
	out->m = neg ? -m : m;
	out->scale = scale;
	return 0;
}

int
ts_dec_parse_str(const char *s, struct ts_dec *out)
{
	return ts_dec_parse(s, strlen(s), out);
}

/* Decimal text two digits at a time. */
static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

size_t
ts_dec_fmt(struct ts_dec d, char *buf, size_t n)
{
	char tmp[TS_DEC_STRLEN], digs[20];
	char *o = n >= TS_DEC_STRLEN ? buf : tmp; /* room enough: write in place */
	uint64_t u = d.m < 0 ? -(uint64_t)d.m : (uint64_t)d.m;
	size_t nd = sizeof digs, cnt, len = 0;
	size_t scale = d.scale > 0 ? (size_t)d.scale : 0;

	while (u >= 100) {
		nd -= 2;
		memcpy(digs + nd, digits2 + 2 * (u % 100), 2);
		u /= 100;
	}
	if (u >= 10) {
		nd -= 2;
		memcpy(digs + nd, digits2 + 2 * u, 2);
	} else {
		digs[--nd] = (char)('0' + u);
	}
	cnt = sizeof digs - nd;
	if (d.m < 0)
		o[len++] = '-';
	if (cnt <= scale) {
		/* 0.000ddd */
		o[len++] = '0';
		o[len++] = '.';
		memset(o + len, '0', scale - cnt);
		len += scale - cnt;
		memcpy(o + len, digs + nd, cnt);
		len += cnt;
	} else {
		memcpy(o + len, digs + nd, cnt - scale);
		len += cnt - scale;
		if (scale) {
			o[len++] = '.';
			memcpy(o + len, digs + nd + cnt - scale, scale);
			len += scale;
		}
	}
	if (o == buf) {
		buf[len] = '\0';
	} else if (n) {
		size_t c = len < n - 1 ? len : n - 1;
		memcpy(buf, tmp, c);
		buf[c] = '\0';
	}
	return len;
}

/* a * 10^k as a 128-bit integer; k <= 36 cannot overflow for |a| < 2^63 */
static __int128
scaled(int64_t a, int32_t k)
{
	__int128 v = a;

	while (k >= 18)
		v *= pow10[18], k -= 18;
	return v * pow10[k];
}

int
ts_dec_cmp(struct ts_dec a, struct ts_dec b)
{
	int32_t s = a.scale > b.scale ? a.scale : b.scale;
	__int128 x, y;

	if (a.scale == b.scale) /* the usual case: one book's prices */
		return (a.m > b.m) - (a.m < b.m);
	x = scaled(a.m, s - a.scale);
	y = scaled(b.m, s - b.scale);
	return (x > y) - (x < y);
}

struct ts_dec
ts_dec_norm(struct ts_dec d)
{
	if (d.m == 0)
		return (struct ts_dec){ 0, 0 };
	while (d.scale > 0 && d.m % 10 == 0)
		d.m /= 10, d.scale--;
	return d;
}

/* Store v at scale s, shedding trailing zeros if v is too wide. */
static int
fit(__int128 v, int32_t s, struct ts_dec *out)
{
	while ((v > INT64_MAX || v < -INT64_MAX) && s > 0 && v % 10 == 0)
		v /= 10, s--;
	if (v > INT64_MAX || v < -INT64_MAX)
		return -1;
	while (s > TS_DEC_MAX_SCALE && v % 10 == 0)
		v /= 10, s--;
	if (s > TS_DEC_MAX_SCALE)
		return -1;
	out->m = (int64_t)v;
	out->scale = s;
	return 0;
}

int
ts_dec_add(struct ts_dec a, struct ts_dec b, struct ts_dec *out)
{
	int32_t s = a.scale > b.scale ? a.scale : b.scale;

	return fit(scaled(a.m, s - a.scale) + scaled(b.m, s - b.scale), s, out);
}

int
ts_dec_sub(struct ts_dec a, struct ts_dec b, struct ts_dec *out)
{
	int32_t s = a.scale > b.scale ? a.scale : b.scale;

	return fit(scaled(a.m, s - a.scale) - scaled(b.m, s - b.scale), s, out);
}

int
ts_dec_mul(struct ts_dec a, struct ts_dec b, struct ts_dec *out)
{
	a = ts_dec_norm(a);
	b = ts_dec_norm(b);
	return fit((__int128)a.m * b.m, a.scale + b.scale, out);
}

int
ts_dec_to_fixed(struct ts_dec d, int32_t scale, int64_t *out)
{
	__int128 v;

	if (scale < 0 || scale > TS_DEC_MAX_SCALE)
		return -1;
	if (d.scale > scale) {
		int64_t p = pow10[d.scale - scale];
		if (d.m % p)
			return -1;
		*out = d.m / p;
		return 0;
	}
	v = scaled(d.m, scale - d.scale);
	if (v > INT64_MAX || v < INT64_MIN)
		return -1;
	*out = (int64_t)v;
	return 0;
}

double
ts_dec_to_double(struct ts_dec d)
{
	/* dividing by an exact power of ten rounds once: the nearest double */
	return (double)d.m / (double)pow10[d.scale];
}
