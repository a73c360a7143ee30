/* fuzz_json.c: ts_json_parse on any bytes; on what parses, walk every value
 * with iter/get/len/str/dec/i64/double/bool and check they agree, that
 * compact text parses back to itself and that the writer's strings read back */
#include <string.h>

#include "fuzz.h"
#include "json.h"

static void
check_value(const struct ts_jval *v, int depth)
{
	struct ts_jiter it;
	struct ts_jval k, e, got;
	struct ts_dec d;
	int64_t i;
	double x;
	int b;
	size_t count = 0;

	FUZZ_ASSERT(v->n > 0 && v->type != TS_J_NONE);
	if (v->type == TS_J_STR) {
		char small[8], *buf = malloc(v->n + 1);
		size_t rawn;
		const char *raw = ts_json_str_raw(v, &rawn);
		long n = ts_json_str(v, buf, v->n + 1);
		long n2 = ts_json_str(v, small, sizeof small);
		FUZZ_ASSERT(raw && rawn == v->n - 2);
		/* unescaping never lengthens: \uXXXX is 6 bytes for at most 3,
		 * a surrogate pair 12 for 4 */
		FUZZ_ASSERT(n >= 0 && (size_t)n <= rawn);
		FUZZ_ASSERT(n2 == n);
		FUZZ_ASSERT(!memcmp(small, buf, (size_t)n < sizeof small ? (size_t)n : sizeof small - 1));
		/* the writer writes it back as a string that unescapes the same */
		{
			struct ts_jw w = { 0 };
			struct ts_jval wv;
			char *back = malloc((size_t)n + 1);
			ts_jw_strn(&w, buf, (size_t)n);
			FUZZ_ASSERT(!ts_json_parse(w.buf, w.len, &wv, NULL) && wv.type == TS_J_STR);
			FUZZ_ASSERT(ts_json_str(&wv, back, (size_t)n + 1) == n);
			FUZZ_ASSERT(!memcmp(back, buf, (size_t)n));
			free(back);
			ts_jw_free(&w);
		}
		free(buf);
	}
	if (v->type == TS_J_NUM) {
		/* a validated number always reads as a double */
		FUZZ_ASSERT(!ts_json_double(v, &x));
		if (!ts_json_i64(v, &i))
			FUZZ_ASSERT(x == (double)i || (i > (INT64_C(1) << 53) || i < -(INT64_C(1) << 53)));
	} else {
		(void)ts_json_double(v, &x);
		(void)ts_json_i64(v, &i);
	}
	if (!ts_json_dec(v, &d)) {
		char txt[TS_DEC_STRLEN];
		struct ts_dec d2;
		size_t len = ts_dec_fmt(d, txt, sizeof txt);
		FUZZ_ASSERT(len < sizeof txt);
		FUZZ_ASSERT(!ts_dec_parse(txt, len, &d2) && d2.m == d.m && d2.scale == d.scale);
	}
	if (!ts_json_bool(v, &b))
		FUZZ_ASSERT(v->type == TS_J_BOOL && (b == 0 || b == 1));
	if (v->type != TS_J_OBJ && v->type != TS_J_ARR) {
		FUZZ_ASSERT(ts_json_len(v) == 0);
		FUZZ_ASSERT(ts_json_get(v, "a", &got) == -1);
		return;
	}
	ts_json_iter(&it, v);
	while (ts_json_next(&it, &k, &e)) {
		count++;
		FUZZ_ASSERT(e.p >= v->p && e.p + e.n <= v->p + v->n);
		if (v->type == TS_J_OBJ) {
			/* get finds the first member of that (raw) name */
			char key[256];
			struct ts_jiter it2;
			struct ts_jval k2, e2;
			FUZZ_ASSERT(k.type == TS_J_STR && k.n >= 2);
			if (k.n - 2 < sizeof key) {
				memcpy(key, k.p + 1, k.n - 2);
				key[k.n - 2] = '\0';
				FUZZ_ASSERT(!ts_json_get(v, key, &got));
				ts_json_iter(&it2, v);
				while (ts_json_next(&it2, &k2, &e2))
					if (k2.n == k.n && !memcmp(k2.p, k.p, k.n))
						break;
				FUZZ_ASSERT(got.p == e2.p && got.n == e2.n && got.type == e2.type);
			}
		}
		if (depth < 20)
			check_value(&e, depth + 1);
	}
	FUZZ_ASSERT(count == ts_json_len(v));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so reading past the end is caught */
	char *s = malloc(size ? size : 1);
	struct ts_jval v, v2;
	size_t err = (size_t)-1;

	memcpy(s, data, size);
	if (ts_json_parse(s, size, &v, &err) == 0) {
		char *c = malloc(v.n ? v.n : 1), *c2 = malloc(v.n ? v.n : 1);
		size_t cn, cn2;
		FUZZ_ASSERT(v.p >= s && v.p + v.n <= s + size);
		check_value(&v, 0);
		/* compact text is valid, no longer, and compacting it again changes nothing */
		cn = ts_json_compact(v.p, v.n, c);
		FUZZ_ASSERT(cn <= v.n);
		FUZZ_ASSERT(!ts_json_parse(c, cn, &v2, NULL) && v2.type == v.type && v2.n == cn);
		cn2 = ts_json_compact(c, cn, c2);
		FUZZ_ASSERT(cn2 == cn && !memcmp(c, c2, cn));
		free(c);
		free(c2);
	} else {
		FUZZ_ASSERT(err <= size);
	}
	free(s);
	return 0;
}
