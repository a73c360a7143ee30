/* test_tm.c: clocks, RFC 3339, durations, timeframes */
#include "t.h"
#include "tm.h"

static void
test_rfc3339(void)
{
	int64_t us;
	char buf[40];

	CHECK_INT(ts_rfc3339_parse("2023-02-09T20:32:50.714964855Z", 30, &us), 0);
	CHECK_INT(us, 1675974770714964LL);
	CHECK_INT(ts_rfc3339_parse("1970-01-01T00:00:00Z", 20, &us), 0);
	CHECK_INT(us, 0);
	CHECK_INT(ts_rfc3339_parse("2024-02-29T12:00:00.5+02:00", 27, &us), 0);
	CHECK_INT(us, 1709200800500000LL);
	CHECK_INT(ts_rfc3339_parse("2024-02-29 12:00:00.5z", 22, &us), 0);
	CHECK_INT(us, 1709208000500000LL);
	ts_rfc3339_fmt(1675974770714964LL, buf, sizeof buf);
	CHECK_STR(buf, "2023-02-09T20:32:50.714964Z");
	ts_rfc3339_fmt(-1, buf, sizeof buf);
	CHECK_STR(buf, "1969-12-31T23:59:59.999999Z");
}

static void
test_rfc3339_malformed(void)
{
	const char *bad[] = { "", "2023-02-09", "2023-02-09T20:32:50", "2023-13-01T00:00:00Z",
		"2023-02-29T00:00:00Z", "2023-02-09T24:00:00Z", "2023-02-09T20:32:50.Z",
		"2023-02-09T20:32:50Zjunk", "2023-02-09T20:32:50+2:00", "2023/02/09T20:32:50Z",
		"20230209T203250Z", "2023-02-09T20:32:50.123+25:00" };
	int64_t us;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK_INT(ts_rfc3339_parse(bad[i], strlen(bad[i]), &us), -1);
}

static void
test_durations(void)
{
	int64_t us;

	CHECK_INT(ts_duration_parse("5m", &us), 0);
	CHECK_INT(us, 300000000LL);
	CHECK_INT(ts_duration_parse("2.5", &us), 0);
	CHECK_INT(us, 2500000LL);
	CHECK_INT(ts_duration_parse("250ms", &us), 0);
	CHECK_INT(us, 250000LL);
	CHECK_INT(ts_duration_parse("1w", &us), 0);
	CHECK_INT(us, 604800000000LL);
	CHECK_INT(ts_duration_parse("-1s", &us), -1);
	CHECK_INT(ts_duration_parse("5x", &us), -1);
	CHECK_INT(ts_duration_parse("", &us), -1);
}

static void
test_timeframes(void)
{
	int64_t t;

	CHECK_INT(ts_tf_us("1m"), 60000000LL);
	CHECK_INT(ts_tf_us("1w"), 604800000000LL);
	CHECK_INT(ts_tf_us("2m"), -1);
	for (int i = 0; i < TS_TF_COUNT; i++)
		CHECK(ts_tf_us(ts_tf_names[i]) > 0);
	/* 2023-02-09T20:32:50.714964Z, a Thursday */
	t = 1675974770714964LL;
	CHECK_INT(ts_tf_align(t, ts_tf_us("1m")), 1675974720000000LL);
	CHECK_INT(ts_tf_align(t, ts_tf_us("4h")), 1675972800000000LL); /* 20:00 */
	CHECK_INT(ts_tf_align(t, ts_tf_us("1d")), 1675900800000000LL);
	/* the week starts on Monday 2023-02-06 00:00 UTC */
	CHECK_INT(ts_tf_align(t, ts_tf_us("1w")), 1675641600000000LL);
	/* a Monday midnight is its own week start */
	CHECK_INT(ts_tf_align(1675641600000000LL, ts_tf_us("1w")), 1675641600000000LL);
	CHECK_INT(ts_tf_align(1675641600000000LL - 1, ts_tf_us("1w")), 1675036800000000LL);
}

static void
test_clocks(void)
{
	int64_t a = ts_mono_us(), b = ts_mono_us(), now = ts_now_us();

	CHECK(b >= a);
	CHECK(now > 1600000000000000LL);
}

int
main(void)
{
	RUN(test_rfc3339);
	RUN(test_rfc3339_malformed);
	RUN(test_durations);
	RUN(test_timeframes);
	RUN(test_clocks);
	return DONE();
}
