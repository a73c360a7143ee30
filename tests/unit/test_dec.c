/* test_dec.c: exact decimals */
#include <string.h>

#include "t.h"
#include "dec.h"

static const char *
rt(const char *s)
{
	static char buf[TS_DEC_STRLEN];
	struct ts_dec d;

	if (ts_dec_parse_str(s, &d) < 0)
		return "(rejected)";
	ts_dec_fmt(d, buf, sizeof buf);
	return buf;
}

static void
test_roundtrip_unchanged(void)
{
	const char *ok[] = { "0", "1", "65000.12", "0.00001000", "0.5", "-3.25",
		"123456789012345678", "0.000000000000000001", "100", "1.0",
		"99999.99999999", "0.00000000" };
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		CHECK_STR(rt(ok[i]), ok[i]);
}

/* ts_dec_fmt writes in place or truncates into a short buffer, and
 * returns the full length either way */
static void
test_fmt_buffers(void)
{
	const char *v[] = { "-0.00012", "-12.5", "0.00000000", "-123456789012345678", "7" };
	char small[5];
	struct ts_dec d;
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		CHECK_STR(rt(v[i]), v[i]);
		CHECK(ts_dec_parse_str(v[i], &d) == 0);
		CHECK_INT((long)ts_dec_fmt(d, small, sizeof small), (long)strlen(v[i]));
		CHECK(!strncmp(small, v[i], sizeof small - 1) && strlen(small) < sizeof small);
	}
	d.m = 5, d.scale = 3;
	CHECK_INT((long)ts_dec_fmt(d, small, 0), 5); /* "0.005": nothing written */
}

static void
test_rejected(void)
{
	const char *bad[] = { "", "-", "+1", ".5", "5.", "007", "00.1", "1..2",
		"1.2.3", " 1", "1 ", "0x10", "inf", "nan", "1e", "1e+", "--1",
		"1234567890123456789", "0.1234567890123456789", "1,5", "1e999" };
	struct ts_dec d;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (ts_dec_parse_str(bad[i], &d) == 0)
			printf("#   accepted '%s'\n", bad[i]);
		CHECK(ts_dec_parse_str(bad[i], &d) < 0);
	}
}

static void
test_exponent_handled(void)
{
	/* deliberate: accepted, written back plain */
	CHECK_STR(rt("1e-8"), "0.00000001");
	CHECK_STR(rt("1.5E3"), "1500");
	CHECK_STR(rt("2.50e-1"), "0.250");
	CHECK_STR(rt("0e5"), "0");
	CHECK_STR(rt("1e-19"), "(rejected)");
}

static void
test_compare_and_norm(void)
{
	struct ts_dec a, b;

	ts_dec_parse_str("1.50", &a);
	ts_dec_parse_str("1.5", &b);
	CHECK_INT(ts_dec_cmp(a, b), 0);
	CHECK_INT(ts_dec_norm(a).m, 15);
	CHECK_INT(ts_dec_norm(a).scale, 1);
	ts_dec_parse_str("65000.12", &a);
	ts_dec_parse_str("65000.119999999", &b);
	CHECK_INT(ts_dec_cmp(a, b), 1);
	CHECK_INT(ts_dec_cmp(b, a), -1);
	ts_dec_parse_str("-0.1", &a);
	ts_dec_parse_str("0.01", &b);
	CHECK_INT(ts_dec_cmp(a, b), -1);
	ts_dec_parse_str("0.000", &a);
	CHECK(ts_dec_is_zero(a));
	CHECK_INT(ts_dec_norm(a).scale, 0);
}

static void
test_arithmetic_exact(void)
{
	struct ts_dec sum = { 0, 0 }, d, r;
	char buf[TS_DEC_STRLEN];

	/* 0.1 added ten thousand times is exactly 1000.0, unlike a double */
	ts_dec_parse_str("0.1", &d);
	for (int i = 0; i < 10000; i++)
		CHECK_INT(ts_dec_add(sum, d, &sum), 0);
	ts_dec_fmt(sum, buf, sizeof buf);
	CHECK_STR(buf, "1000.0");
	ts_dec_parse_str("0.00001000", &d);
	ts_dec_add(sum, d, &sum);
	ts_dec_fmt(sum, buf, sizeof buf);
	CHECK_STR(buf, "1000.00001000");
	ts_dec_sub(sum, d, &r);
	ts_dec_fmt(r, buf, sizeof buf);
	CHECK_STR(buf, "1000.00000000");
	/* products for notional: 65000.12 * 0.0013 */
	{
		struct ts_dec px, qty;
		ts_dec_parse_str("65000.12", &px);
		ts_dec_parse_str("0.0013", &qty);
		CHECK_INT(ts_dec_mul(px, qty, &r), 0);
		ts_dec_fmt(r, buf, sizeof buf);
		CHECK_STR(buf, "84.500156");
	}
	/* overflow is reported, not wrapped */
	ts_dec_parse_str("900000000000000000", &d);
	CHECK_INT(ts_dec_add(d, d, &r), 0); /* 1.8e18 fits */
	CHECK_INT(ts_dec_add(r, r, &r), 0); /* 3.6e18 */
	CHECK_INT(ts_dec_add(r, r, &r), 0); /* 7.2e18 */
	CHECK_INT(ts_dec_add(r, r, &d), -1); /* 1.44e19 does not fit */
	CHECK_INT(r.m, 7200000000000000000LL);
	{
		struct ts_dec big = { 9000000000000000000LL, 0 };
		CHECK_INT(ts_dec_add(big, big, &r), -1);
		CHECK_INT(ts_dec_mul(big, big, &r), -1);
	}
}

static void
test_fixed_and_double(void)
{
	struct ts_dec d;
	int64_t v;

	ts_dec_parse_str("65000.12", &d);
	CHECK_INT(ts_dec_to_fixed(d, 8, &v), 0);
	CHECK_INT(v, 6500012000000LL);
	CHECK_INT(ts_dec_to_fixed(d, 1, &v), -1); /* not exact at one digit */
	CHECK(ts_dec_to_double(d) == 65000.12);
	ts_dec_parse_str("0.00001000", &d);
	CHECK(ts_dec_to_double(d) == 0.00001);
}

int
main(void)
{
	RUN(test_roundtrip_unchanged);
	RUN(test_fmt_buffers);
	RUN(test_rejected);
	RUN(test_exponent_handled);
	RUN(test_compare_and_norm);
	RUN(test_arithmetic_exact);
	RUN(test_fixed_and_double);
	return DONE();
}
