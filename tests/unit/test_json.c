/* test_json.c: the JSON scanner and writer */
#include "t.h"
#include "json.h"

#include <stdlib.h>

static int
valid(const char *s)
{
	struct ts_jval v;

	return ts_json_parse(s, strlen(s), &v, NULL) == 0;
}

static void
test_validate(void)
{
	const char *good[] = { "{}", "[]", "0", "-0.5e+10", "\"a\\u00e9\\n\"", "true",
		" {\"a\" : [1, 2, {\"b\": null}], \"c\": \"x\"} ", "[[[]]]", "\"\"" };
	const char *bad[] = { "", "{", "}", "{\"a\":}", "{\"a\" 1}", "[1,]", "[,1]",
		"{\"a\":1,}", "01", "1.", ".1", "+1", "tru", "nul", "\"abc", "\"\\x\"",
		"\"\\u12G4\"", "{} {}", "[1] x", "{a:1}", "'a'", "\"a\tb\"", "NaN", "-" };

	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		if (!valid(good[i]))
			printf("#   rejected %s\n", good[i]);
		CHECK(valid(good[i]));
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (valid(bad[i]))
			printf("#   accepted %s\n", bad[i]);
		CHECK(!valid(bad[i]));
	}
}

static void
test_depth_limit(void)
{
	char deep[200];

	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	CHECK(ts_json_parse(deep, 200, &(struct ts_jval){ 0 }, NULL) < 0);
	CHECK(ts_json_parse(deep + 40, 120, &(struct ts_jval){ 0 }, NULL) == 0);
}

static void
test_error_offset(void)
{
	struct ts_jval v;
	size_t at = 0;

	CHECK_INT(ts_json_parse("{\"a\":1,\"b\":x}", 13, &v, &at), -1);
	CHECK_INT(at, 11);
}

static void
test_get_and_types(void)
{
	const char *s = "{\"e\":\"trade\",\"p\":\"65000.12\",\"q\":0.00001000,\"t\":12345,"
			"\"m\":true,\"name\":\"a\\\"b\\u00e9\",\"arr\":[1,[2,3],{\"x\":4}]}";
	struct ts_jval obj, v;
	struct ts_dec d;
	char buf[64];
	int64_t i;
	int b;

	CHECK_INT(ts_json_parse(s, strlen(s), &obj, NULL), 0);
	CHECK_INT(obj.type, TS_J_OBJ);
	CHECK_INT(ts_json_get(&obj, "p", &v), 0);
	CHECK(ts_json_str_eq(&v, "65000.12"));
	CHECK_INT(ts_json_dec(&v, &d), 0);
	ts_dec_fmt(d, buf, sizeof buf);
	CHECK_STR(buf, "65000.12");
	CHECK_INT(ts_json_get_dec(&obj, "q", &d), 0);
	ts_dec_fmt(d, buf, sizeof buf);
	CHECK_STR(buf, "0.00001000"); /* a JSON number keeps its digits too */
	CHECK_INT(ts_json_get_i64(&obj, "t", &i), 0);
	CHECK_INT(i, 12345);
	CHECK_INT(ts_json_get(&obj, "m", &v), 0);
	CHECK_INT(ts_json_bool(&v, &b), 0);
	CHECK_INT(b, 1);
	CHECK_INT(ts_json_get_str(&obj, "name", buf, sizeof buf), 5);
	CHECK_STR(buf, "a\"b\xc3\xa9");
	CHECK_INT(ts_json_get(&obj, "missing", &v), -1);
	CHECK_INT(ts_json_get_i64(&obj, "e", &i), -1); /* wrong type */
	CHECK_INT(ts_json_get(&obj, "arr", &v), 0);
	CHECK_INT(ts_json_len(&v), 3);
}

static void
test_iterate(void)
{
	const char *s = "[[\"65000.10\",\"0.5\"],[\"65000.00\",\"1.25\"]]";
	struct ts_jval arr, lv, px;
	struct ts_jiter it, lt;
	int n = 0;

	CHECK_INT(ts_json_parse(s, strlen(s), &arr, NULL), 0);
	ts_json_iter(&it, &arr);
	while (ts_json_next(&it, NULL, &lv)) {
		ts_json_iter(&lt, &lv);
		CHECK(ts_json_next(&lt, NULL, &px));
		CHECK(ts_json_str_eq(&px, n == 0 ? "65000.10" : "65000.00"));
		n++;
	}
	CHECK_INT(n, 2);
}

static void
test_compact(void)
{
	const char *s = " { \"a\" : [ 1 , 2 ] ,\n\t\"b\" : \"x y\\\" z\" } ";
	char out[64];
	size_t n = ts_json_compact(s, strlen(s), out);

	out[n] = '\0';
	CHECK_STR(out, "{\"a\":[1,2],\"b\":\"x y\\\" z\"}");
}

static void
test_writer(void)
{
	struct ts_jw w = { 0 };
	struct ts_dec d;
	struct ts_jval v;

	ts_dec_parse_str("0.00001000", &d);
	ts_jw_obj(&w);
	ts_jw_kstr(&w, "ex", "coinbase");
	ts_jw_kdec(&w, "qty", d);
	ts_jw_ki64(&w, "ts", 1675974770714964LL);
	ts_jw_key(&w, "bids");
	ts_jw_arr(&w);
	ts_jw_arr(&w);
	ts_jw_str(&w, "q\"\n\x01");
	ts_jw_double(&w, 0.1);
	ts_jw_arr_end(&w);
	ts_jw_arr_end(&w);
	ts_jw_kbool(&w, "closed", 0);
	ts_jw_key(&w, "n");
	ts_jw_null(&w);
	ts_jw_obj_end(&w);
	CHECK_STR(w.buf, "{\"ex\":\"coinbase\",\"qty\":0.00001000,\"ts\":1675974770714964,"
			 "\"bids\":[[\"q\\\"\\n\\u0001\",0.1]],\"closed\":false,\"n\":null}");
	CHECK_INT(ts_json_parse(w.buf, w.len, &v, NULL), 0);
	ts_jw_reset(&w);
	ts_jw_obj(&w);
	ts_jw_obj_end(&w);
	CHECK_STR(w.buf, "{}");
	ts_jw_free(&w);
}

/* Found by fuzz/fuzz_json: a valid number of 64 characters or more did not
 * read as a double. */
static void
test_long_number(void)
{
	char text[200];
	struct ts_jval v;
	double d = 0;
	int n;

	n = snprintf(text, sizeof text, "0.%s", "1000000000000000000000000000000000000000000000000000000000000000000000000001");
	CHECK(!ts_json_parse(text, (size_t)n, &v, NULL));
	CHECK_INT(ts_json_double(&v, &d), 0);
	CHECK(d == 0.1);
	n = snprintf(text, sizeof text, "\"-%sE-60\"", "1000000000000000000000000000000000000000000000000000000000000000");
	CHECK(!ts_json_parse(text, (size_t)n, &v, NULL));
	CHECK_INT(ts_json_double(&v, &d), 0);
	CHECK(d == -1000.0);
}

int
main(void)
{
	RUN(test_validate);
	RUN(test_depth_limit);
	RUN(test_error_offset);
	RUN(test_get_and_types);
	RUN(test_iterate);
	RUN(test_compact);
	RUN(test_writer);
	RUN(test_long_number);
	return DONE();
}
