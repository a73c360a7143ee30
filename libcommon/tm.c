/* tm.c: clocks and time text */
#include "tm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t
ts_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * TS_US_PER_SEC + ts.tv_nsec / 1000;
}

int
ts_time_ahead(int64_t ts, int64_t ref)
{
	const int64_t set = INT64_C(1577836800) * TS_US_PER_SEC; /* 2020-01-01 */

	return ref >= set && ts > ref && ts - ref > TS_TIME_AHEAD_MAX_US;
}

int64_t
ts_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * TS_US_PER_SEC + ts.tv_nsec / 1000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), valid for any year we care about. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
digits(const char *s, size_t n, size_t at, size_t count, int *out)
{
	int v = 0;

	if (at + count > n)
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (s[at + i] < '0' || s[at + i] > '9')
			return -1;
		v = v * 10 + (s[at + i] - '0');
	}
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dim[m - 1];
}

int
ts_rfc3339_parse(const char *s, size_t n, int64_t *us)
{
	int y, mo, d, h, mi, sec, oh, om;
	int64_t frac = 0, t;
	size_t i;
	int fd = 0, sign;

	if (digits(s, n, 0, 4, &y) || n < 20 || s[4] != '-' ||
	    digits(s, n, 5, 2, &mo) || s[7] != '-' || digits(s, n, 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s, n, 11, 2, &h) || s[13] != ':' || digits(s, n, 14, 2, &mi) ||
	    s[16] != ':' || digits(s, n, 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	i = 19;
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return -1;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			if (fd < 6) {
				frac = frac * 10 + (s[i] - '0');
				fd++;
			}
		}
		for (; fd < 6; fd++)
			frac *= 10;
	}
	if (i >= n)
		return -1;
	if (s[i] == 'Z' || s[i] == 'z') {
		oh = om = 0;
		sign = 1;
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		sign = s[i] == '-' ? -1 : 1;
		if (digits(s, n, i + 1, 2, &oh) || i + 3 >= n || s[i + 3] != ':' ||
		    digits(s, n, i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		i += 6;
	} else {
		return -1;
	}
	if (i != n)
		return -1;
	if (sec == 60) /* a leap second reads as the next second's start */
		sec = 59, frac = 999999;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	*us = t * TS_US_PER_SEC + frac;
	return 0;
}

size_t
ts_rfc3339_fmt(int64_t us, char *buf, size_t n)
{
	int64_t secs = us / TS_US_PER_SEC, frac = us % TS_US_PER_SEC, days, rem;
	int y, m, d;
	int r;

	if (frac < 0)
		frac += TS_US_PER_SEC, secs--;
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0)
		rem += 86400, days--;
	civil_from_days(days, &y, &m, &d);
	r = snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", y, m, d,
	    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)frac);
	return r > 0 ? (size_t)r : 0;
}

int
ts_duration_parse(const char *s, int64_t *us)
{
	char *end;
	double v;
	int64_t unit;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	v = strtod(s, &end);
	if (end == s || v < 0 || v != v)
		return -1;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		unit = TS_US_PER_SEC;
	else if (!strcmp(end, "ms"))
		unit = 1000;
	else if (!strcmp(end, "us"))
		unit = 1;
	else if (!strcmp(end, "m"))
		unit = 60 * TS_US_PER_SEC;
	else if (!strcmp(end, "h"))
		unit = 3600 * TS_US_PER_SEC;
	else if (!strcmp(end, "d"))
		unit = 86400 * TS_US_PER_SEC;
	else if (!strcmp(end, "w"))
		unit = 7 * 86400 * TS_US_PER_SEC;
	else
		return -1;
	if (v * (double)unit > 9.2e18)
		return -1;
	*us = (int64_t)(v * (double)unit + 0.5);
	return 0;
}

const char *const ts_tf_names[TS_TF_COUNT] = {
	"1s", "5s", "15s", "1m", "3m", "5m", "15m", "30m",
	"1h", "2h", "4h", "6h", "12h", "1d", "1w",
};

static const int64_t tf_secs[TS_TF_COUNT] = {
	1, 5, 15, 60, 180, 300, 900, 1800,
	3600, 7200, 14400, 21600, 43200, 86400, 604800,
};

int64_t
ts_tf_us(const char *tf)
{
	for (int i = 0; i < TS_TF_COUNT; i++)
		if (!strcmp(tf, ts_tf_names[i]))
			return tf_secs[i] * TS_US_PER_SEC;
	return -1;
}

int64_t
ts_tf_align(int64_t t, int64_t tf_us)
{
	/* The epoch was a Thursday; Monday 1970-01-05 is the week origin. */
	int64_t origin = tf_us == 7 * 86400 * TS_US_PER_SEC ?
	    4 * 86400 * TS_US_PER_SEC : 0;
	int64_t r = (t - origin) % tf_us;

	if (r < 0)
		r += tf_us;
	return t - r;
}
