/* json.c: JSON scanning over spans of text, and a compact writer */
#include "json.h"
#include "log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *
ws(const char *p, const char *end)
{
	if (p < end && (unsigned char)*p > ' ')
		return p; /* the usual case: compact text */
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Bytes a string scan must stop at: the quote, the backslash and the
 * control characters (which JSON strings may not hold raw). */
static const unsigned char str_stop[256] = {
	[0x00] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1,
};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR 1
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
/* The high bit of each byte of x that is '"', '\\' or below 0x20 (exact
 * for the lowest such byte, which is all a scan needs: the borrows of
 * these tricks only mark bytes above a true one). */
static inline uint64_t
str_stops8(const char *p)
{
	uint64_t x, q, b;

	memcpy(&x, p, 8);
	q = x ^ (ONES * '"');
	b = x ^ (ONES * '\\');
	return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((x - ONES * 0x20) & ~x)) & HIGHS;
}
#endif

/* The first byte at or after p that str_stop marks, or end. */
static inline const char *
str_find_stop(const char *p, const char *end)
{
#ifdef SWAR
	while (end - p >= 8) {
		uint64_t m = str_stops8(p);
		if (m)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	while (p < end && !str_stop[(unsigned char)*p])
		p++;
	return p;
}

/* p at the opening quote; returns the byte after the closing quote or NULL */
static const char *
scan_string(const char *p, const char *end)
{
	for (p++; (p = str_find_stop(p, end)) < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		/* a backslash */
		if (++p >= end)
			return NULL;
		switch (*p) {
		case '"': case '\\': case '/': case 'b': case 'f':
		case 'n': case 'r': case 't':
			break;
		case 'u':
			if (end - p < 5)
				return NULL;
			for (int i = 1; i <= 4; i++)
				if (hexval(p[i]) < 0)
					return NULL;
			p += 4;
			break;
		default:
			return NULL;
		}
	}
	return NULL;
}

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

static const char *
scan_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p >= end || !isdig(*p))
		return NULL;
	if (*p == '0')
		p++;
	else
		while (p < end && isdig(*p))
			p++;
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !isdig(*p))
			return NULL;
		while (p < end && isdig(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !isdig(*p))
			return NULL;
		while (p < end && isdig(*p))
			p++;
	}
	return p;
}

static const char *
scan_lit(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - p) < n || memcmp(p, lit, n))
		return NULL;
	return p + n;
}

/* Scan one value at p (no leading whitespace); NULL on error, with *errp set
 * to where it went wrong. */
static const char *
scan_value(const char *p, const char *end, int depth, enum ts_jtype *type,
    const char **errp)
{
	const char *q;
	enum ts_jtype t;

	*errp = p;
	if (p >= end)
		return NULL;
	switch (*p) {
	case '"':
		*type = TS_J_STR;
		return scan_string(p, end);
	case 't':
		*type = TS_J_BOOL;
		return scan_lit(p, end, "true");
	case 'f':
		*type = TS_J_BOOL;
		return scan_lit(p, end, "false");
	case 'n':
		*type = TS_J_NULL;
		return scan_lit(p, end, "null");
	case '[':
	case '{': {
		int obj = *p == '{';
		char close = obj ? '}' : ']';
		*type = obj ? TS_J_OBJ : TS_J_ARR;
		if (depth >= TS_JSON_MAX_DEPTH)
			return NULL;
		p = ws(p + 1, end);
		if (p < end && *p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				*errp = p;
				if (p >= end || *p != '"' || !(p = scan_string(p, end)))
					return NULL;
				p = ws(p, end);
				*errp = p;
				if (p >= end || *p != ':')
					return NULL;
				p = ws(p + 1, end);
			}
			if (!(q = scan_value(p, end, depth + 1, &t, errp)))
				return NULL;
			p = ws(q, end);
			*errp = p;
			if (p >= end)
				return NULL;
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p = ws(p + 1, end);
		}
	}
	default:
		*type = TS_J_NUM;
		return scan_number(p, end);
	}
}

/* The end of a top-level parse: the value [p, q) (q NULL when scanning
 * failed at errp) must be followed by nothing but whitespace. */
static int
finish_parse(const char *s, const char *end, const char *p, const char *q,
    const char *errp, enum ts_jtype t, struct ts_jval *out, size_t *err)
{
	if (q && ws(q, end) != end) {
		errp = ws(q, end);
		q = NULL;
	}
	if (!q) {
		if (err)
			*err = (size_t)(errp - s);
		return -1;
	}
	out->p = p;
	out->n = (size_t)(q - p);
	out->type = t;
	return 0;
}

int
ts_json_parse(const char *s, size_t n, struct ts_jval *out, size_t *err)
{
	const char *end = s + n, *p = ws(s, end), *q, *errp = p;
	enum ts_jtype t = TS_J_NONE;

	q = scan_value(p, end, 0, &t, &errp);
	return finish_parse(s, end, p, q, errp, t, out, err);
}

void
ts_json_iter(struct ts_jiter *it, const struct ts_jval *c)
{
	it->obj = c->type == TS_J_OBJ;
	if (c->type != TS_J_OBJ && c->type != TS_J_ARR) {
		it->p = it->end = c->p;
		return;
	}
	it->end = c->p + c->n - 1; /* the closing bracket */
	it->p = ws(c->p + 1, it->end);
}

/* The member after a key that ends at q: records the key, returns where
 * its value starts, or NULL (the iterator is then at its end). */
static const char *
iter_key(struct ts_jiter *it, struct ts_jval *key, const char *p, const char *q)
{
	if (key) {
		key->p = p;
		key->n = (size_t)(q - p);
		key->type = TS_J_STR;
	}
	p = ws(q, it->end);
	if (p >= it->end || *p != ':')
		return it->p = it->end, NULL;
	p = ws(p + 1, it->end);
	if (p >= it->end)
		return it->p = it->end, NULL;
	return p;
}

/* The value [p, q) of type t; the iterator moves past its comma. */
static int
iter_value(struct ts_jiter *it, struct ts_jval *val, const char *p, const char *q,
    enum ts_jtype t)
{
	val->p = p;
	val->n = (size_t)(q - p);
	val->type = t;
	p = ws(q, it->end);
	if (p < it->end && *p == ',')
		p = ws(p + 1, it->end);
	it->p = p;
	return 1;
}

int
ts_json_next(struct ts_jiter *it, struct ts_jval *key, struct ts_jval *val)
{
	const char *p = it->p, *q, *e;
	enum ts_jtype t;

	if (p >= it->end)
		return 0;
	if (it->obj) {
		if (!(q = scan_string(p, it->end)) || !(p = iter_key(it, key, p, q)))
			return it->p = it->end, 0;
	}
	q = scan_value(p, it->end, 0, &t, &e);
	if (!q)
		return it->p = it->end, 0;
	return iter_value(it, val, p, q, t);
}

size_t
ts_json_len(const struct ts_jval *c)
{
	struct ts_jiter it;
	struct ts_jval v;
	size_t n = 0;

	ts_json_iter(&it, c);
	while (ts_json_next(&it, NULL, &v))
		n++;
	return n;
}

/* Skipping over text already validated: no checks but the bounds. */
/* Bytes a skip over a container must look at. */
static const unsigned char skip_stop[256] = {
	['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1,
};

static const char *
skip_string(const char *p, const char *end)
{
	for (p++; (p = str_find_stop(p, end)) < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\')
			p++;
	}
	return end;
}

static const char *
skip_value(const char *p, const char *end, enum ts_jtype *type)
{
	int depth = 0;

	switch (*p) {
	case '"':
		*type = TS_J_STR;
		return skip_string(p, end);
	case '{':
	case '[':
		*type = *p == '{' ? TS_J_OBJ : TS_J_ARR;
		for (; p < end; p++) {
			char c = *p;
			if (!skip_stop[(unsigned char)c])
				continue;
			if (c == '"') {
				p = skip_string(p, end) - 1;
			} else if (c == '{' || c == '[') {
				depth++;
			} else if (c == '}' || c == ']') {
				if (--depth == 0)
					return p + 1;
			}
		}
		return end;
	case 't':
	case 'f':
	case 'n': {
		size_t k = *p == 'f' ? 5 : 4;
		*type = *p == 'n' ? TS_J_NULL : TS_J_BOOL;
		return (size_t)(end - p) < k ? end : p + k;
	}
	default:
		*type = TS_J_NUM;
		while (p < end && (isdig(*p) || *p == '-' || *p == '+' || *p == '.' ||
		    *p == 'e' || *p == 'E'))
			p++;
		return p;
	}
}

int
ts_json_vnext(struct ts_jiter *it, struct ts_jval *key, struct ts_jval *val)
{
	const char *p = it->p, *q;
	enum ts_jtype t;

	if (p >= it->end)
		return 0;
	if (it->obj) {
		if (*p != '"' || !(p = iter_key(it, key, p, skip_string(p, it->end))))
			return it->p = it->end, 0;
	}
	q = skip_value(p, it->end, &t);
	if (q <= p)
		return it->p = it->end, 0;
	return iter_value(it, val, p, q, t);
}

/* The pull reader. */

int
ts_jrd_peek(struct ts_jrd *r)
{
	r->p = ws(r->p, r->end);
	return r->p < r->end ? (unsigned char)*r->p : 0;
}

int
ts_jrd_open(struct ts_jrd *r, char open)
{
	const char *p = ws(r->p, r->end);

	if (p >= r->end || *p != open || r->depth >= TS_JSON_MAX_DEPTH)
		return -1;
	p = ws(p + 1, r->end);
	if (p < r->end && *p == (open == '{' ? '}' : ']')) {
		r->p = p + 1;
		return 0;
	}
	r->p = p;
	r->depth++;
	return 1;
}

int
ts_jrd_sep(struct ts_jrd *r, char close)
{
	const char *p = ws(r->p, r->end);

	if (p >= r->end)
		return -1;
	r->p = p + 1;
	if (*p == ',')
		return 1;
	if (*p == close) {
		r->depth--;
		return 0;
	}
	return -1;
}

int
ts_jrd_str(struct ts_jrd *r, struct ts_jval *v)
{
	const char *p = ws(r->p, r->end), *q;

	if (p >= r->end || *p != '"' || !(q = scan_string(p, r->end)))
		return -1;
	v->p = p;
	v->n = (size_t)(q - p);
	v->type = TS_J_STR;
	r->p = q;
	return 0;
}

int
ts_jrd_key(struct ts_jrd *r, struct ts_jval *k)
{
	const char *p = ws(r->p, r->end);

	/* one-letter keys (Binance's) without the general scan */
	if (r->end - p >= 4 && p[0] == '"' && p[2] == '"' && !str_stop[(unsigned char)p[1]]) {
		k->p = p;
		k->n = 3;
		k->type = TS_J_STR;
		r->p = p + 3;
	} else if (ts_jrd_str(r, k) < 0) {
		return -1;
	}
	p = ws(r->p, r->end);
	if (p >= r->end || *p != ':')
		return -1;
	r->p = p + 1;
	return 0;
}

int
ts_jrd_value(struct ts_jrd *r, struct ts_jval *v)
{
	const char *p = ws(r->p, r->end), *q, *errp;
	enum ts_jtype t;

	if (!(q = scan_value(p, r->end, r->depth, &t, &errp)))
		return -1;
	v->p = p;
	v->n = (size_t)(q - p);
	v->type = t;
	r->p = q;
	return 0;
}

int
ts_jrd_dec_str(struct ts_jrd *r, struct ts_dec *d)
{
	const char *p = ws(r->p, r->end), *end = r->end, *s, *ds, *q;
	uint64_t m = 0;
	int neg = 0;
	size_t nd, frac = 0;

	if (p >= end || *p != '"')
		return -1;
	s = ++p;
	/* the usual plain form, parsed as it is read */
	if (p < end && *p == '-')
		neg = 1, p++;
	for (ds = p; p < end && isdig(*p); p++)
		m = m * 10 + (uint64_t)(*p - '0');
	nd = (size_t)(p - ds);
	if (p < end && *p == '.') {
		const char *fs = ++p;
		for (; p < end && isdig(*p); p++)
			m = m * 10 + (uint64_t)(*p - '0');
		frac = (size_t)(p - fs);
		if (!frac)
			nd = 0; /* "1." is malformed: let the general parse say so */
	}
	if (p < end && *p == '"' && nd && nd + frac <= 18 && (nd == 1 || *ds != '0')) {
		d->m = neg ? -(int64_t)m : (int64_t)m;
		d->scale = (int32_t)frac;
		r->p = p + 1;
		return 0;
	}
	/* anything else: the whole string, then ts_dec_parse's rules */
	if (!(q = scan_string(s - 1, end)) || memchr(s, '\\', (size_t)(q - 1 - s)) ||
	    ts_dec_parse(s, (size_t)(q - 1 - s), d) < 0)
		return -1;
	r->p = q;
	return 0;
}

int
ts_jrd_int(struct ts_jrd *r, int64_t *v)
{
	const char *p = ws(r->p, r->end), *end = r->end, *i;
	uint64_t u = 0;

	/* -?(0|[1-9][0-9]*) not followed by a fraction or an exponent */
	i = p < end && *p == '-' ? p + 1 : p;
	if (i >= end || !isdig(*i))
		return -1;
	if (*i == '0') {
		r->p = i + 1;
	} else {
		const char *c = i;
		for (; c < end && isdig(*c); c++)
			u = u * 10 + (uint64_t)(*c - '0');
		if (c - i > 19 || u > (uint64_t)INT64_MAX)
			return -1; /* 19 digits cannot wrap a uint64_t */
		r->p = c;
	}
	if (r->p < end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E' || isdig(*r->p)))
		return -1;
	*v = *p == '-' ? -(int64_t)u : (int64_t)u;
	return 0;
}

int
ts_jrd_end(struct ts_jrd *r)
{
	return ws(r->p, r->end) == r->end ? 0 : -1;
}

struct rec {
	struct ts_jmember *m;
	size_t max, count;
	int levels;
};

/* scan_value for an object at p whose members are recorded (depth d) */
static const char *
scan_obj_rec(const char *p, const char *end, int d, struct rec *r, const char **errp)
{
	const char *q, *k;
	enum ts_jtype t;

	*errp = p;
	if (d >= TS_JSON_MAX_DEPTH)
		return NULL;
	p = ws(p + 1, end);
	if (p < end && *p == '}')
		return p + 1;
	for (;;) {
		struct ts_jmember *e = NULL;
		*errp = p;
		if (p >= end || *p != '"' || !(q = scan_string(p, end)))
			return NULL;
		k = p;
		if (r->count < r->max) {
			e = &r->m[r->count++];
			e->key.p = k;
			e->key.n = (size_t)(q - k);
			e->key.type = TS_J_STR;
			e->depth = d;
		}
		p = ws(q, end);
		*errp = p;
		if (p >= end || *p != ':')
			return NULL;
		p = ws(p + 1, end);
		if (p < end && *p == '{' && d < r->levels) {
			t = TS_J_OBJ;
			q = scan_obj_rec(p, end, d + 1, r, errp);
		} else {
			q = scan_value(p, end, d + 1, &t, errp);
		}
		if (!q)
			return NULL;
		if (e) {
			e->val.p = p;
			e->val.n = (size_t)(q - p);
			e->val.type = t;
		}
		p = ws(q, end);
		*errp = p;
		if (p >= end)
			return NULL;
		if (*p == '}')
			return p + 1;
		if (*p != ',')
			return NULL;
		p = ws(p + 1, end);
	}
}

int
ts_json_parse_obj(const char *s, size_t n, struct ts_jval *out,
    struct ts_jmember *m, size_t max, int levels, size_t *nm, size_t *err)
{
	const char *end = s + n, *p = ws(s, end), *q, *errp = p;
	struct rec r = { m, max, 0, levels };

	*nm = 0;
	if (p >= end || *p != '{')
		return ts_json_parse(s, n, out, err);
	q = scan_obj_rec(p, end, 0, &r, &errp);
	if (finish_parse(s, end, p, q, errp, TS_J_OBJ, out, err) < 0)
		return -1;
	*nm = r.count;
	return 0;
}

int
ts_json_mget(const struct ts_jmember *m, size_t n, const char *key, struct ts_jval *out)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < n; i++)
		if (m[i].depth == 0 && m[i].key.n == klen + 2 &&
		    !memcmp(m[i].key.p + 1, key, klen)) {
			*out = m[i].val;
			return 0;
		}
	return -1;
}

/* key is plain ASCII; compares without unescaping (keys with escapes never
 * match, which no schema here uses) */
static int
key_eq(const struct ts_jval *k, const char *key, size_t klen)
{
	return k->n == klen + 2 && !memcmp(k->p + 1, key, klen);
}

int
ts_json_get(const struct ts_jval *obj, const char *key, struct ts_jval *out)
{
	struct ts_jiter it;
	struct ts_jval k;
	size_t klen = strlen(key);

	if (obj->type != TS_J_OBJ)
		return -1;
	ts_json_iter(&it, obj);
	while (ts_json_next(&it, &k, out))
		if (key_eq(&k, key, klen))
			return 0;
	return -1;
}

const char *
ts_json_str_raw(const struct ts_jval *v, size_t *len)
{
	if (v->type != TS_J_STR)
		return NULL;
	*len = v->n - 2;
	return v->p + 1;
}

int
ts_json_str_eq(const struct ts_jval *v, const char *s)
{
	size_t n = strlen(s);

	return v->type == TS_J_STR && v->n == n + 2 && !memcmp(v->p + 1, s, n);
}

static size_t
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static unsigned
hex4(const char *p)
{
	return (unsigned)(hexval(p[0]) << 12 | hexval(p[1]) << 8 |
	    hexval(p[2]) << 4 | hexval(p[3]));
}

long
ts_json_str(const struct ts_jval *v, char *buf, size_t n)
{
	const char *p, *end;
	size_t len = 0;
	char tmp[4];

	if (v->type != TS_J_STR || v->n < 2)
		return -1;
	p = v->p + 1;
	end = v->p + v->n - 1;
	while (p < end) {
		size_t k = 1;
		if (*p != '\\') {
			tmp[0] = *p++;
		} else {
			p++;
			if (p >= end)
				return -1;
			switch (*p) {
			case 'b': tmp[0] = '\b'; break;
			case 'f': tmp[0] = '\f'; break;
			case 'n': tmp[0] = '\n'; break;
			case 'r': tmp[0] = '\r'; break;
			case 't': tmp[0] = '\t'; break;
			case 'u': {
				unsigned cp;
				if (end - p < 5)
					return -1;
				cp = hex4(p + 1);
				p += 4;
				if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 7 &&
				    p[1] == '\\' && p[2] == 'u') {
					unsigned lo = hex4(p + 3);
					if (lo >= 0xdc00 && lo < 0xe000) {
						cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
						p += 6;
					}
				}
				k = put_utf8(tmp, cp);
				break;
			}
			default: tmp[0] = *p; break;
			}
			p++;
		}
		for (size_t i = 0; i < k; i++, len++)
			if (len + 1 < n)
				buf[len] = tmp[i];
	}
	if (n)
		buf[len < n ? len : n - 1] = '\0';
	return (long)len;
}

/* The text of a number, or of a string holding one. */
static int
numtext(const struct ts_jval *v, const char **p, size_t *n)
{
	if (v->type == TS_J_NUM) {
		*p = v->p;
		*n = v->n;
		return 0;
	}
	if (v->type == TS_J_STR && v->n > 2 && !memchr(v->p, '\\', v->n)) {
		*p = v->p + 1;
		*n = v->n - 2;
		return 0;
	}
	return -1;
}

int
ts_json_dec(const struct ts_jval *v, struct ts_dec *out)
{
	const char *p;
	size_t n;

	return numtext(v, &p, &n) ? -1 : ts_dec_parse(p, n, out);
}

int
ts_json_i64(const struct ts_jval *v, int64_t *out)
{
	const char *p;
	size_t n, i = 0;
	int neg = 0;
	uint64_t u = 0;

	if (numtext(v, &p, &n))
		return -1;
	if (p[0] == '-')
		neg = 1, i = 1;
	if (i >= n)
		return -1;
	for (; i < n; i++) {
		if (!isdig(p[i]))
			return -1;
		if (u > (UINT64_MAX - 9) / 10)
			return -1;
		u = u * 10 + (uint64_t)(p[i] - '0');
	}
	if (u > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? -(int64_t)u : (int64_t)u;
	return 0;
}

int
ts_json_double(const struct ts_jval *v, double *out)
{
	char buf[64], *big = NULL;
	const char *p;
	size_t n;
	char *end;

	if (numtext(v, &p, &n) || !scan_number(p, p + n) || scan_number(p, p + n) != p + n)
		return -1;
	if (n >= sizeof buf) /* a valid number of any length reads (rare: no hot path) */
		big = ts_xstrndup(p, n);
	else
		memcpy(buf, p, n), buf[n] = '\0';
	*out = strtod(big ? big : buf, &end);
	free(big);
	return 0;
}

int
ts_json_bool(const struct ts_jval *v, int *out)
{
	if (v->type != TS_J_BOOL)
		return -1;
	*out = v->p[0] == 't';
	return 0;
}

int
ts_json_get_dec(const struct ts_jval *obj, const char *key, struct ts_dec *out)
{
	struct ts_jval v;

	return ts_json_get(obj, key, &v) ? -1 : ts_json_dec(&v, out);
}

int
ts_json_get_i64(const struct ts_jval *obj, const char *key, int64_t *out)
{
	struct ts_jval v;

	return ts_json_get(obj, key, &v) ? -1 : ts_json_i64(&v, out);
}

long
ts_json_get_str(const struct ts_jval *obj, const char *key, char *buf, size_t n)
{
	struct ts_jval v;

	return ts_json_get(obj, key, &v) ? -1 : ts_json_str(&v, buf, n);
}

size_t
ts_json_compact(const char *in, size_t n, char *out)
{
	size_t o = 0;
	int instr = 0;

	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (instr) {
			out[o++] = c;
			if (c == '\\' && i + 1 < n)
				out[o++] = in[++i];
			else if (c == '"')
				instr = 0;
		} else if (c == '"') {
			instr = 1;
			out[o++] = c;
		} else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			out[o++] = c;
		}
	}
	return o;
}

/* writer */

static void
put(struct ts_jw *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->cap)
		ts_xgrow((void **)&w->buf, &w->cap, w->len + n + 1, 1);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void
putc1(struct ts_jw *w, char c)
{
	if (w->len + 2 > w->cap)
		ts_xgrow((void **)&w->buf, &w->cap, w->len + 2, 1);
	w->buf[w->len++] = c;
	w->buf[w->len] = '\0';
}

static void
sep(struct ts_jw *w)
{
	if (w->comma)
		putc1(w, ',');
	w->comma = 1;
}

void
ts_jw_reset(struct ts_jw *w)
{
	w->len = 0;
	w->comma = 0;
	if (w->buf)
		w->buf[0] = '\0';
}

void
ts_jw_free(struct ts_jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof *w);
}

void ts_jw_obj(struct ts_jw *w) { sep(w); putc1(w, '{'); w->comma = 0; }
void ts_jw_obj_end(struct ts_jw *w) { putc1(w, '}'); w->comma = 1; }
void ts_jw_arr(struct ts_jw *w) { sep(w); putc1(w, '['); w->comma = 0; }
void ts_jw_arr_end(struct ts_jw *w) { putc1(w, ']'); w->comma = 1; }

static void
put_escaped(struct ts_jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	putc1(w, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t k = 2;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			k = 6;
		}
		put(w, esc, k);
	}
	put(w, s + run, n - run);
	putc1(w, '"');
}

void
ts_jw_key(struct ts_jw *w, const char *key)
{
	sep(w);
	put_escaped(w, key, strlen(key));
	putc1(w, ':');
	w->comma = 0;
}

void ts_jw_strn(struct ts_jw *w, const char *s, size_t n) { sep(w); put_escaped(w, s, n); }
void ts_jw_str(struct ts_jw *w, const char *s) { ts_jw_strn(w, s, strlen(s)); }

void
ts_jw_i64(struct ts_jw *w, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof b, "%lld", (long long)v);

	sep(w);
	put(w, b, (size_t)n);
}

void
ts_jw_u64(struct ts_jw *w, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof b, "%llu", (unsigned long long)v);

	sep(w);
	put(w, b, (size_t)n);
}

void
ts_jw_double(struct ts_jw *w, double v)
{
	char b[32];
	int n;

	sep(w);
	if (!isfinite(v)) {
		put(w, "null", 4);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		n = snprintf(b, sizeof b, "%.*g", prec, v);
		if (strtod(b, NULL) == v)
			break;
	}
	put(w, b, (size_t)n);
}

void
ts_jw_dec(struct ts_jw *w, struct ts_dec d)
{
	char b[TS_DEC_STRLEN];
	size_t n = ts_dec_fmt(d, b, sizeof b);

	sep(w);
	put(w, b, n);
}

void ts_jw_bool(struct ts_jw *w, int v) { sep(w); put(w, v ? "true" : "false", v ? 4 : 5); }
void ts_jw_null(struct ts_jw *w) { sep(w); put(w, "null", 4); }
void ts_jw_raw(struct ts_jw *w, const char *s, size_t n) { sep(w); put(w, s, n); }
void ts_jw_kstr(struct ts_jw *w, const char *k, const char *s) { ts_jw_key(w, k); ts_jw_str(w, s); }
void ts_jw_ki64(struct ts_jw *w, const char *k, int64_t v) { ts_jw_key(w, k); ts_jw_i64(w, v); }
void ts_jw_kdec(struct ts_jw *w, const char *k, struct ts_dec d) { ts_jw_key(w, k); ts_jw_dec(w, d); }
void ts_jw_kbool(struct ts_jw *w, const char *k, int v) { ts_jw_key(w, k); ts_jw_bool(w, v); }
