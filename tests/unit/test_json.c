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

/* ts_json_parse_obj records members in one pass; ts_json_vnext walks
 * validated text like ts_json_next */
static void
test_parse_obj(void)
{
	const char *s = " {\"stream\":\"x@depth\", \"data\": {\"e\":\"depthUpdate\",\"n\":{\"z\":1},"
	    "\"b\":[[\"1.5\",\"2\"],[\"1.4\",\"0\"]],\"s\":\"a\\\"b\"}, \"k\": [ {\"q\":2} ] } ";
	const char *bad[] = { "{\"a\":1,}", "{\"a\":{\"b\":}}", "{\"a\":1} x", "{\"a\" 1}", "{" };
	struct ts_jmember m[16];
	struct ts_jval v, ref;
	size_t nm, at, at2;

	CHECK_INT(ts_json_parse_obj(s, strlen(s), &v, m, 16, 1, &nm, NULL), 0);
	CHECK_INT(ts_json_parse(s, strlen(s), &ref, NULL), 0);
	CHECK(v.p == ref.p && v.n == ref.n && v.type == TS_J_OBJ);
	CHECK_INT(nm, 7); /* stream, data, e, n, b, s (depth 1), k; z is deeper */
	CHECK_INT(m[0].depth, 0);
	CHECK(m[0].key.n == 8 && !memcmp(m[0].key.p, "\"stream\"", 8));
	CHECK(ts_json_str_eq(&m[0].val, "x@depth"));
	CHECK_INT(m[1].depth, 0);
	CHECK_INT(m[1].val.type, TS_J_OBJ);
	CHECK(m[1].val.p[0] == '{' && m[1].val.p[m[1].val.n - 1] == '}');
	CHECK_INT(m[2].depth, 1);
	CHECK(ts_json_str_eq(&m[2].val, "depthUpdate"));
	CHECK_INT(m[3].depth, 1);
	CHECK_INT(m[3].val.type, TS_J_OBJ);
	CHECK_INT(m[4].val.type, TS_J_ARR);
	CHECK_INT(m[5].depth, 1);
	CHECK_INT(m[5].val.n, 6);
	CHECK_INT(m[6].depth, 0);
	CHECK_INT(m[6].val.type, TS_J_ARR);
	CHECK_INT(ts_json_mget(m, nm, "k", &v), 0);
	CHECK_INT(v.type, TS_J_ARR);
	CHECK_INT(ts_json_mget(m, nm, "e", &v), -1); /* depth 1 only */
	/* levels 0: top-level members only; max bounds what is recorded */
	CHECK_INT(ts_json_parse_obj(s, strlen(s), &v, m, 16, 0, &nm, NULL), 0);
	CHECK_INT(nm, 3);
	CHECK_INT(ts_json_parse_obj(s, strlen(s), &v, m, 2, 1, &nm, NULL), 0);
	CHECK_INT(nm, 2);
	/* not an object: validated, nothing recorded */
	CHECK_INT(ts_json_parse_obj("[1]", 3, &v, m, 16, 1, &nm, NULL), 0);
	CHECK_INT(nm, 0);
	CHECK_INT(v.type, TS_J_ARR);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		CHECK_INT(ts_json_parse_obj(bad[i], strlen(bad[i]), &v, m, 16, 1, &nm, &at), -1);
		CHECK_INT(ts_json_parse(bad[i], strlen(bad[i]), &v, &at2), -1);
		CHECK_INT(at, at2); /* the same error offset */
	}
	/* the depth limit holds through recorded objects too */
	{
		char obj[800];
		size_t k = 0;
		for (int i = 0; i < 70; i++)
			k += (size_t)sprintf(obj + k, "{\"a\":");
		obj[k++] = '1';
		for (int i = 0; i < 70; i++)
			obj[k++] = '}';
		CHECK_INT(ts_json_parse_obj(obj, k, &v, m, 16, 100, &nm, NULL), -1);
		CHECK_INT(ts_json_parse(obj, k, &v, NULL), -1);
	}
}

static void
test_vnext(void)
{
	const char *s = "{\"a\" : [1, -2.5e3, \"x\\\"]\", {\"b\": [true, null]}, false], \"c\":{}}";
	struct ts_jval doc, k1, v1, k2, v2, a;
	struct ts_jiter it1, it2;
	int n = 0;

	CHECK_INT(ts_json_parse(s, strlen(s), &doc, NULL), 0);
	ts_json_iter(&it1, &doc);
	ts_json_iter(&it2, &doc);
	for (;;) {
		int r1 = ts_json_next(&it1, &k1, &v1), r2 = ts_json_vnext(&it2, &k2, &v2);
		CHECK_INT(r1, r2);
		if (!r1)
			break;
		CHECK(k1.p == k2.p && k1.n == k2.n && v1.p == v2.p && v1.n == v2.n &&
		    v1.type == v2.type);
		n++;
	}
	CHECK_INT(n, 2);
	CHECK_INT(ts_json_get(&doc, "a", &a), 0);
	ts_json_iter(&it1, &a);
	ts_json_iter(&it2, &a);
	n = 0;
	for (;;) {
		int r1 = ts_json_next(&it1, NULL, &v1), r2 = ts_json_vnext(&it2, NULL, &v2);
		CHECK_INT(r1, r2);
		if (!r1)
			break;
		CHECK(v1.p == v2.p && v1.n == v2.n && v1.type == v2.type);
		n++;
	}
	CHECK_INT(n, 5);
	/* text never validated: stays inside the bounds and ends */
	{
		const char *junk = "[\"abc, {[[, 7";
		struct ts_jval j = { junk, strlen(junk), TS_J_ARR };
		ts_json_iter(&it2, &j);
		n = 0;
		while (ts_json_vnext(&it2, NULL, &v2) && n < 100) {
			CHECK(v2.p >= junk && v2.p + v2.n <= junk + strlen(junk));
			n++;
		}
		CHECK(n < 100);
	}
}

/* The pull reader accepts exactly what ts_json_parse accepts (here: any
 * value walked generically) and reads decimals and integers as the typed
 * reads do. */
static int
jrd_walk(struct ts_jrd *r)
{
	struct ts_jval v;
	int c = ts_jrd_peek(r), more;

	if (c == '{' || c == '[') {
		for (more = ts_jrd_open(r, (char)c); more == 1; more = ts_jrd_sep(r, c == '{' ? '}' : ']'))
			if ((c == '{' && ts_jrd_key(r, &v) < 0) || jrd_walk(r) < 0)
				return -1;
		return more;
	}
	return ts_jrd_value(r, &v);
}

static void
test_pull_reader(void)
{
	const char *docs[] = { "{\"a\":1,\"b\":[1,2,{\"c\":\"x\\\"y\"}]}", " [ ] ", "{}",
		"{\"e\":\"\\u00e9\", \"x\" : [true,false,null,-0.5e3]}", "[1,]", "{\"a\"1}",
		"{\"a\":1,}", "[\"\x01\"]", "{\"a\":[1]]", "[01]", "\"abcdefghijklmnopqrstu\\\"vw\"",
		"[\"abcdefghijklmnop\x1f\"]", "{\"k\":{}}x" };
	for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
		struct ts_jrd r;
		struct ts_jval v;
		int ok = ts_json_parse(docs[i], strlen(docs[i]), &v, NULL) == 0;
		ts_jrd_init(&r, docs[i], strlen(docs[i]));
		CHECK_INT(jrd_walk(&r) == 0 && ts_jrd_end(&r) == 0, ok);
	}

	const char *decs[] = { "\"65000.12\"", "\"0.00001000\"", "\"-3.25\"", "\"1e-8\"",
		"\"007\"", "\"5.\"", "\"\"", "\"1234567890123456789\"", "\"0.0000000000000000010\"",
		"\"1\\u0030\"", "1.5", "\"123456789012345678\"", "\"-\"" };
	for (size_t i = 0; i < sizeof decs / sizeof *decs; i++) {
		struct ts_jrd r;
		struct ts_jval v;
		struct ts_dec a, b;
		int want;
		CHECK(ts_json_parse(decs[i], strlen(decs[i]), &v, NULL) == 0);
		want = v.type == TS_J_STR && ts_json_dec(&v, &a) == 0;
		ts_jrd_init(&r, decs[i], strlen(decs[i]));
		CHECK_INT(ts_jrd_dec_str(&r, &b) == 0 && ts_jrd_end(&r) == 0, want);
		if (want)
			CHECK(a.m == b.m && a.scale == b.scale);
	}

	const char *ints[] = { "0", "-0", "1795295178923", "9223372036854775807",
		"9223372036854775808", "-9223372036854775807", "12345678901234567890", "1.5",
		"1e3", "01", "-", "\"5\"" };
	for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
		struct ts_jrd r;
		struct ts_jval v;
		int64_t a, b;
		int want = ts_json_parse(ints[i], strlen(ints[i]), &v, NULL) == 0 &&
		    v.type == TS_J_NUM && ts_json_i64(&v, &a) == 0;
		ts_jrd_init(&r, ints[i], strlen(ints[i]));
		CHECK_INT(ts_jrd_int(&r, &b) == 0 && ts_jrd_end(&r) == 0, want);
		if (want)
			CHECK(a == b);
	}
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
	RUN(test_parse_obj);
	RUN(test_vnext);
	RUN(test_pull_reader);
	return DONE();
}
