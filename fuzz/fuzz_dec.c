/* fuzz_dec.c: ts_dec_parse against a reference reading of the same text
 * (grammar and value, by string arithmetic), the parse -> fmt -> parse round
 * trip, and cmp/add/sub/mul/norm/to_fixed on pairs of parsed values.
 * Input: one decimal text, or two separated by a space. */
#include <string.h>

#include "dec.h"
#include "fuzz.h"

/* The value of the documented grammar -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * as sign, significant digits without leading or trailing zeros, and the
 * power of ten of the last one. Returns 0, or -1 when the text is not in the
 * grammar. An empty digit string means zero. */
struct refdec {
	int neg;
	char dig[256];
	size_t nd;
	long exp;
	int toolong;
};

static int
ref_parse(const char *s, size_t n, struct refdec *r)
{
	size_t i = 0, int0, intn, frac0 = 0, fracn = 0;
	long e = 0;
	int eneg = 0;
	char *all;
	size_t na = 0, lead = 0;

	memset(r, 0, sizeof *r);
	if (i < n && s[i] == '-')
		r->neg = 1, i++;
	int0 = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	intn = i - int0;
	if (intn == 0 || (intn > 1 && s[int0] == '0'))
		return -1;
	if (i < n && s[i] == '.') {
		frac0 = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		fracn = i - frac0;
		if (!fracn)
			return -1;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t e0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i] == '-', i++;
		e0 = i;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (e < 100000)
				e = e * 10 + (s[i] - '0');
			i++;
		}
		if (i == e0)
			return -1;
		if (eneg)
			e = -e;
	}
	if (i != n)
		return -1;
	all = malloc(intn + fracn);
	memcpy(all, s + int0, intn);
	memcpy(all + intn, s + frac0, fracn);
	na = intn + fracn;
	while (lead < na && all[lead] == '0')
		lead++;
	while (na > lead && all[na - 1] == '0')
		na--, e++; /* each trailing zero moves the last digit up */
	r->nd = na - lead;
	if (r->nd > sizeof r->dig)
		r->toolong = 1; /* far more digits than a decimal holds */
	else
		memcpy(r->dig, all + lead, r->nd);
	r->exp = e - (long)fracn;
	free(all);
	return 0;
}

/* Plain text of a reference value with its trailing zeros shed. */
static void
ref_plain(const struct refdec *r, char *buf, size_t n)
{
	size_t o = 0;
	long pos;

	if (!r->nd) {
		snprintf(buf, n, "0");
		return;
	}
	if (r->neg)
		buf[o++] = '-';
	if (r->exp >= 0) {
		memcpy(buf + o, r->dig, r->nd);
		o += r->nd;
		for (long k = 0; k < r->exp; k++)
			buf[o++] = '0';
	} else {
		pos = (long)r->nd + r->exp; /* digits before the point */
		if (pos <= 0) {
			buf[o++] = '0';
			buf[o++] = '.';
			for (long k = 0; k < -pos; k++)
				buf[o++] = '0';
			memcpy(buf + o, r->dig, r->nd);
			o += r->nd;
		} else {
			memcpy(buf + o, r->dig, (size_t)pos);
			o += (size_t)pos;
			buf[o++] = '.';
			memcpy(buf + o, r->dig + pos, r->nd - (size_t)pos);
			o += r->nd - (size_t)pos;
		}
	}
	buf[o] = '\0';
}

/* ts_dec_fmt's text with trailing fraction zeros (and "-0") canonicalised. */
static void
canon(char *t)
{
	size_t n = strlen(t);

	if (strchr(t, '.')) {
		while (t[n - 1] == '0')
			t[--n] = '\0';
		if (t[n - 1] == '.')
			t[--n] = '\0';
	}
	if (!strcmp(t, "-0"))
		strcpy(t, "0");
}

static int
check_one(const char *s, size_t n, struct ts_dec *out)
{
	struct refdec r;
	struct ts_dec d, d2;
	char txt[TS_DEC_STRLEN], want[512];
	size_t len;
	int ok = ts_dec_parse(s, n, &d) == 0, rok = ref_parse(s, n, &r) == 0;

	/* what the reference rejects, the parser rejects */
	if (!rok) {
		FUZZ_ASSERT(!ok);
		return -1;
	}
	/* short plain numbers always fit */
	if (!r.toolong && n <= 16 && !memchr(s, 'e', n) && !memchr(s, 'E', n))
		FUZZ_ASSERT(ok);
	if (!ok)
		return -1;
	FUZZ_ASSERT(d.scale >= 0 && d.scale <= TS_DEC_MAX_SCALE);
	FUZZ_ASSERT(d.m > -INT64_C(1000000000000000000) && d.m < INT64_C(1000000000000000000));
	len = ts_dec_fmt(d, txt, sizeof txt);
	FUZZ_ASSERT(len < sizeof txt && strlen(txt) == len);
	/* the round trip is the identity, trailing zeros included */
	FUZZ_ASSERT(!ts_dec_parse(txt, len, &d2) && d2.m == d.m && d2.scale == d.scale);
	/* and the value is the text's value */
	FUZZ_ASSERT(!r.toolong && r.nd <= 40 && (!r.nd || (r.exp <= 40 && r.exp >= -60)));
	ref_plain(&r, want, sizeof want);
	canon(txt);
	if (strcmp(txt, want)) {
		fprintf(stderr, "'%.*s' reads as '%s', the reference says '%s'\n",
		    (int)n, s, txt, want);
		FUZZ_ASSERT(!"value differs from the reference");
	}
	*out = d;
	return 0;
}

static void
check_pair(struct ts_dec a, struct ts_dec b)
{
	struct ts_dec s, back, p, na = ts_dec_norm(a);
	int c = ts_dec_cmp(a, b);
	int64_t fx;

	FUZZ_ASSERT(c == -ts_dec_cmp(b, a));
	FUZZ_ASSERT(ts_dec_cmp(a, a) == 0 && ts_dec_cmp(na, a) == 0);
	FUZZ_ASSERT(na.scale <= a.scale);
	if (!ts_dec_add(a, b, &s)) {
		FUZZ_ASSERT(ts_dec_cmp(s, a) == ts_dec_sign(b));
		if (!ts_dec_sub(s, b, &back))
			FUZZ_ASSERT(ts_dec_cmp(back, a) == 0);
	}
	if (!ts_dec_sub(a, b, &s))
		FUZZ_ASSERT(ts_dec_sign(s) == c);
	if (!ts_dec_mul(a, b, &p)) {
		FUZZ_ASSERT(ts_dec_sign(p) == ts_dec_sign(a) * ts_dec_sign(b));
		if (!ts_dec_mul(b, a, &s))
			FUZZ_ASSERT(ts_dec_cmp(s, p) == 0);
	}
	for (int32_t k = 0; k <= TS_DEC_MAX_SCALE; k += 3)
		if (!ts_dec_to_fixed(a, k, &fx)) {
			struct ts_dec f = { fx, k };
			FUZZ_ASSERT(ts_dec_cmp(f, a) == 0);
		}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	const char *sp;
	struct ts_dec a, b;

	memcpy(s, data, size);
	sp = memchr(s, ' ', size);
	if (!sp) {
		check_one(s, size, &a);
	} else if (!check_one(s, (size_t)(sp - s), &a) &&
	    !check_one(sp + 1, size - (size_t)(sp - s) - 1, &b)) {
		check_pair(a, b);
		check_pair(b, a);
	}
	free(s);
	return 0;
}
