/* json.h: a small non-allocating JSON scanner and a reusable JSON writer
 *
 * The scanner validates RFC 8259 text and hands out values as spans of the
 * original text, so a price keeps its exchange's exact digits (jv turns
 * numbers into doubles). The writer appends compact JSON to a buffer that is
 * reused from message to message, so the hot path does not allocate. */
#ifndef TS_JSON_H
#define TS_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dec.h"

enum ts_jtype { TS_J_NONE, TS_J_NULL, TS_J_BOOL, TS_J_NUM, TS_J_STR, TS_J_ARR, TS_J_OBJ };

/* A value: its raw text (strings with their quotes) and its type. */
struct ts_jval {
	const char *p;
	size_t n;
	enum ts_jtype type;
};

#define TS_JSON_MAX_DEPTH 64

/* Validate that s holds exactly one JSON value (whitespace around allowed) and
 * point *out at it. Returns 0, or -1 with *err (if not NULL) set to the byte
 * offset of the first error. */
int ts_json_parse(const char *s, size_t n, struct ts_jval *out, size_t *err);

/* Member `key` of object `obj` (a validated value). Returns 0, or -1 when obj
 * is not an object or has no such member. The first match wins. */
int ts_json_get(const struct ts_jval *obj, const char *key, struct ts_jval *out);

/* Walk an array's elements or an object's members in order. */
struct ts_jiter {
	const char *p, *end;
	int obj;
};
void ts_json_iter(struct ts_jiter *it, const struct ts_jval *container);
/* Next element (key is left alone for arrays; may be NULL). 1, or 0 at end. */
int ts_json_next(struct ts_jiter *it, struct ts_jval *key, struct ts_jval *val);
/* Number of elements of an array or members of an object. */
size_t ts_json_len(const struct ts_jval *container);

/* Typed reads; each returns 0, or -1 when the value has another type or does
 * not fit. ts_json_dec and ts_json_i64 accept a number or a string holding
 * one, since exchanges send prices and ids as strings. */
int ts_json_dec(const struct ts_jval *v, struct ts_dec *out);
int ts_json_i64(const struct ts_jval *v, int64_t *out);
int ts_json_double(const struct ts_jval *v, double *out);
int ts_json_bool(const struct ts_jval *v, int *out);
/* Unescape a string into buf (NUL-terminated, truncated to n-1 bytes).
 * Returns the unescaped length, or -1 if v is not a string or is malformed. */
long ts_json_str(const struct ts_jval *v, char *buf, size_t n);
/* 1 when v is a string equal to s (no unescaping: for plain ASCII names). */
int ts_json_str_eq(const struct ts_jval *v, const char *s);
/* 1 when k, a key or string as read (quotes included, no escapes), is the
 * string literal lit: the length is known when compiling, for hot paths. */
#define TS_JSON_KEY_IS(k, lit) \
	((k)->n == sizeof lit + 1 && !memcmp((k)->p + 1, lit, sizeof lit - 1))
/* The bytes between a string's quotes, unescaped or not (NULL if not a string). */
const char *ts_json_str_raw(const struct ts_jval *v, size_t *len);

/* One pass for the hot paths. A member of an object, and how deep its
 * object lies (0: the top-level object, 1: an object that is the value of
 * one of its members, …): */
struct ts_jmember {
	struct ts_jval key, val;
	int depth;
};
/* ts_json_parse, recording on the way the members of the value when it is
 * an object, and those of objects that are values of members, down to
 * `levels` levels below it (0: the top-level members only); arrays are not
 * entered. Members go in m in document order, a nested object's members
 * right after the member that holds it; the first `max` are recorded and
 * *nm is set to their count (0 when the value is not an object; members
 * beyond max are validated, not recorded, so *nm == max may mean more).
 * The text is scanned once. */
int ts_json_parse_obj(const char *s, size_t n, struct ts_jval *out,
    struct ts_jmember *m, size_t max, int levels, size_t *nm, size_t *err);
/* The value of member `key` among m[0..n) at depth 0 (the first match
 * wins): 0, or -1. */
int ts_json_mget(const struct ts_jmember *m, size_t n, const char *key, struct ts_jval *out);
/* ts_json_next for containers inside text that ts_json_parse (or
 * ts_json_parse_obj) validated: values are skipped without being checked
 * again, so it costs a fraction of ts_json_next. On text that was not
 * validated it stays within the container's bounds, but which spans it
 * returns is unspecified. */
int ts_json_vnext(struct ts_jiter *it, struct ts_jval *key, struct ts_jval *val);

/* A validating pull reader for hot paths that expect one shape of message:
 * the caller walks the text once, in order, reading what it needs as it
 * goes, and everything consumed is validated as ts_json_parse would. A
 * return of -1 means malformed text or another shape than asked for (the
 * caller then falls back to a general path); r->p is unspecified after. */
struct ts_jrd {
	const char *p, *end;
	int depth; /* containers open, for TS_JSON_MAX_DEPTH */
};
static inline void ts_jrd_init(struct ts_jrd *r, const char *s, size_t n)
{
	r->p = s;
	r->end = s + n;
	r->depth = 0;
}
/* '{' or '[' (open): 1 when a member or element follows, 0 when the
 * container was empty (its close consumed), -1 when another byte is next. */
int ts_jrd_open(struct ts_jrd *r, char open);
/* After a member or element: 1 when ',' (another follows), 0 when the
 * close byte was consumed, -1 otherwise. */
int ts_jrd_sep(struct ts_jrd *r, char close);
/* A member's key (with its quotes) and the ':' after it. */
int ts_jrd_key(struct ts_jrd *r, struct ts_jval *k);
/* Any value, validated (nested ones too). */
int ts_jrd_value(struct ts_jrd *r, struct ts_jval *v);
/* A string (with its quotes); escapes are validated and left as they are. */
int ts_jrd_str(struct ts_jrd *r, struct ts_jval *v);
/* A string holding a decimal (ts_dec_parse's grammar), e.g. "0.01000";
 * -1 for any other value. */
int ts_jrd_dec_str(struct ts_jrd *r, struct ts_dec *d);
/* A number that is an integer (no fraction or exponent) fitting int64. */
int ts_jrd_int(struct ts_jrd *r, int64_t *v);
/* Nothing but whitespace left: 0, or -1. */
int ts_jrd_end(struct ts_jrd *r);
/* The byte after whitespace at the reader (0 at the end), not consumed. */
int ts_jrd_peek(struct ts_jrd *r);

/* Convenience: member `key` read as the given type; -1 when missing too. */
int ts_json_get_dec(const struct ts_jval *obj, const char *key, struct ts_dec *out);
int ts_json_get_i64(const struct ts_jval *obj, const char *key, int64_t *out);
long ts_json_get_str(const struct ts_jval *obj, const char *key, char *buf, size_t n);

/* Copy validated JSON text without insignificant whitespace. out must hold n
 * bytes; returns the compact length (no NUL written). */
size_t ts_json_compact(const char *in, size_t n, char *out);

/* The writer. Zero-initialise (or ts_jw_reset) and append; buf grows as
 * needed and is kept across resets. ts_jw_free releases it. */
struct ts_jw {
	char *buf;
	size_t len, cap;
	int comma;
};
void ts_jw_reset(struct ts_jw *w);
void ts_jw_free(struct ts_jw *w);
void ts_jw_obj(struct ts_jw *w);     /* { */
void ts_jw_obj_end(struct ts_jw *w); /* } */
void ts_jw_arr(struct ts_jw *w);     /* [ */
void ts_jw_arr_end(struct ts_jw *w); /* ] */
void ts_jw_key(struct ts_jw *w, const char *key);
void ts_jw_str(struct ts_jw *w, const char *s);
void ts_jw_strn(struct ts_jw *w, const char *s, size_t n);
void ts_jw_i64(struct ts_jw *w, int64_t v);
void ts_jw_u64(struct ts_jw *w, uint64_t v);
void ts_jw_double(struct ts_jw *w, double v); /* shortest text that reads back */
void ts_jw_dec(struct ts_jw *w, struct ts_dec d); /* exact, as a JSON number */
void ts_jw_bool(struct ts_jw *w, int v);
void ts_jw_null(struct ts_jw *w);
/* Append a value that is already valid JSON (a number's exchange text, a
 * nested object), verbatim. */
void ts_jw_raw(struct ts_jw *w, const char *s, size_t n);
/* Shorthands for "key":value members. */
void ts_jw_kstr(struct ts_jw *w, const char *key, const char *s);
void ts_jw_ki64(struct ts_jw *w, const char *key, int64_t v);
void ts_jw_kdec(struct ts_jw *w, const char *key, struct ts_dec d);
void ts_jw_kbool(struct ts_jw *w, const char *key, int v);

#endif
