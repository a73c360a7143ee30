/* store_parse.c: bus trade and candle objects to structs and back, exactly */
#include <string.h>

#include "store.h"
#include "tm.h"
#include "topic.h"

#define WHY(s) do { *why = (s); return -1; } while (0)

static int
get_name(const struct ts_jval *obj, const char *key, const char *def, char *buf,
    size_t n)
{
	struct ts_jval v;

	if (!ts_json_get(obj, key, &v)) {
		long len = ts_json_str(&v, buf, n);
		return len > 0 && (size_t)len < n ? 0 : -1;
	}
	if (!def || strlen(def) >= n)
		return -1;
	strcpy(buf, def);
	return 0;
}

static int time_val(const struct ts_jval *v, int64_t *out);

static int
get_time(const struct ts_jval *obj, const char *key, int64_t *out)
{
	struct ts_jval v;

	if (ts_json_get(obj, key, &v))
		return -1;
	return time_val(&v, out);
}

/* Trades are the hot path: one walk over the members instead of a
 * lookup per field (the first occurrence of a key wins, as in ts_json_get). */
enum { F_EX = 1, F_SYM = 2, F_ID = 4, F_PX = 8, F_QTY = 16, F_SIDE = 32, F_TS = 64, F_RT = 128 };

static int
trade_key(const struct ts_jval *k)
{
	const char *p = k->p + 1;
	size_t n = k->n - 2;

#define K(s, f) if (n == sizeof s - 1 && !memcmp(p, s, n)) return f
	K("ex", F_EX); K("sym", F_SYM); K("id", F_ID); K("px", F_PX); K("qty", F_QTY);
	K("side", F_SIDE); K("ts", F_TS); K("rt", F_RT);
#undef K
	return 0;
}

/* Times are integer microseconds; jq may have written them as 1.7e15. */
static int
time_val(const struct ts_jval *v, int64_t *out)
{
	double d;

	if (!ts_json_i64(v, out))
		return 0;
	if (v->type == TS_J_NUM && !ts_json_double(v, &d) && d >= 0 && d < 9.2e18 &&
	    d == (double)(int64_t)d) {
		*out = (int64_t)d;
		return 0;
	}
	return -1;
}

/* The fields of a trade once its members are found: f[i] holds the value of
 * the key with bit 1<<i when seen has that bit. */
static int
trade_fields(const struct ts_jval *f, unsigned seen, const char *def_ex,
    const char *def_sym, struct store_trade *t, const char **why)
{
	struct ts_jval v;
	int64_t iid;
	long n;

	if (seen & F_EX) {
		n = ts_json_str(&f[0], t->ex, sizeof t->ex);
		if (n <= 0 || (size_t)n >= sizeof t->ex)
			WHY("missing or bad \"ex\"");
	} else if (!def_ex || strlen(def_ex) >= sizeof t->ex) {
		WHY("missing or bad \"ex\"");
	} else {
		strcpy(t->ex, def_ex);
	}
	if (!ts_ex_valid(t->ex))
		WHY("missing or bad \"ex\"");
	if (seen & F_SYM) {
		n = ts_json_str(&f[1], t->sym, sizeof t->sym);
		if (n <= 0 || (size_t)n >= sizeof t->sym)
			WHY("missing or bad \"sym\"");
	} else if (!def_sym || strlen(def_sym) >= sizeof t->sym) {
		WHY("missing or bad \"sym\"");
	} else {
		strcpy(t->sym, def_sym);
	}
	if (!ts_sym_valid(t->sym))
		WHY("missing or bad \"sym\"");
	if (!(seen & F_ID))
		WHY("missing \"id\"");
	v = f[2];
	if (v.type == TS_J_STR) {
		n = ts_json_str(&v, t->id, sizeof t->id);
		if (n <= 0 || (size_t)n >= sizeof t->id)
			WHY("bad \"id\"");
	} else if (v.type == TS_J_NUM && !ts_json_i64(&v, &iid) && v.n < sizeof t->id) {
		memcpy(t->id, v.p, v.n);
		t->id[v.n] = '\0';
	} else {
		WHY("bad \"id\"");
	}
	if (!(seen & F_PX) || ts_json_dec(&f[3], &t->px) || ts_dec_sign(t->px) <= 0)
		WHY("missing or bad \"px\"");
	if (!(seen & F_QTY) || ts_json_dec(&f[4], &t->qty) || ts_dec_sign(t->qty) < 0)
		WHY("missing or bad \"qty\"");
	if (!(seen & F_SIDE))
		WHY("missing \"side\"");
	if (ts_json_str_eq(&f[5], "buy"))
		t->side = STORE_BUY;
	else if (ts_json_str_eq(&f[5], "sell"))
		t->side = STORE_SELL;
	else
		WHY("\"side\" is neither buy nor sell");
	if (!(seen & F_TS) || time_val(&f[6], &t->ts) || t->ts < 0)
		WHY("missing or bad \"ts\"");
	t->has_rt = (seen & F_RT) && !time_val(&f[7], &t->rt);
	return 0;
}

/* Note the member k=v of a trade object in f/seen (the first occurrence of
 * a key wins, as in ts_json_get). */
static void
trade_member(const struct ts_jval *k, const struct ts_jval *v, struct ts_jval *f,
    unsigned *seen)
{
	int bit = trade_key(k), i = 0;

	if (!bit || (*seen & (unsigned)bit))
		return;
	*seen |= (unsigned)bit;
	while (!(bit & (1 << i)))
		i++;
	f[i] = *v;
}

int
store_parse_trade(const struct ts_jval *obj, const char *def_ex, const char *def_sym,
    struct store_trade *t, const char **why)
{
	struct ts_jval k, v, f[8];
	struct ts_jiter it;
	unsigned seen = 0;

	if (obj->type != TS_J_OBJ)
		WHY("not an object");
	ts_json_iter(&it, obj);
	while (ts_json_next(&it, &k, &v))
		trade_member(&k, &v, f, &seen);
	return trade_fields(f, seen, def_ex, def_sym, t, why);
}

/* ---- the single-pass path for flat trade objects ----
 *
 * ts_json_parse validates a message and store_parse_trade walks it again;
 * for the common flat object (scalar values, strings without escapes) one
 * scan here does both. It accepts exactly what ts_json_parse accepts and
 * hands anything else (nesting, escapes, errors) back to that path. */

static int
ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
dig(char c)
{
	return c >= '0' && c <= '9';
}

/* A string without escapes starting at the quote at p: its end, or NULL. */
static const char *
flat_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c < 0x20 || c == '\\')
			return NULL;
	}
	return NULL;
}

/* RFC 8259 number grammar, as json.c scans it. */
static const char *
flat_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p >= end || !dig(*p))
		return NULL;
	if (*p == '0')
		p++;
	else
		while (p < end && dig(*p))
			p++;
	if (p < end && *p == '.') {
		if (++p >= end || !dig(*p))
			return NULL;
		while (p < end && dig(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !dig(*p))
			return NULL;
		while (p < end && dig(*p))
			p++;
	}
	return p;
}

static const char *
flat_lit(const char *p, const char *end, const char *lit, size_t n)
{
	return (size_t)(end - p) >= n && !memcmp(p, lit, n) ? p + n : NULL;
}

int
store_scan_trade(const char *s, size_t n, const char *def_ex, const char *def_sym,
    struct store_trade *t, int64_t *seq, int *has_seq, const char **why)
{
	const char *p = s, *end = s + n, *q;
	struct ts_jval k, v, f[8], seqv = { NULL, 0, TS_J_NONE };
	unsigned seen = 0;

	while (p < end && ws(*p))
		p++;
	if (p >= end || *p != '{')
		return -2;
	for (p++;;) {
		while (p < end && ws(*p))
			p++;
		if (p >= end || *p != '"' || !(q = flat_string(p, end)))
			return -2; /* also an empty object: not a trade anyway */
		k = (struct ts_jval){ p, (size_t)(q - p), TS_J_STR };
		for (p = q; p < end && ws(*p); p++)
			;
		if (p >= end || *p != ':')
			return -2;
		for (p++; p < end && ws(*p); p++)
			;
		if (p >= end)
			return -2;
		switch (*p) {
		case '"':
			q = flat_string(p, end), v.type = TS_J_STR;
			break;
		case 't':
			q = flat_lit(p, end, "true", 4), v.type = TS_J_BOOL;
			break;
		case 'f':
			q = flat_lit(p, end, "false", 5), v.type = TS_J_BOOL;
			break;
		case 'n':
			q = flat_lit(p, end, "null", 4), v.type = TS_J_NULL;
			break;
		default:
			q = flat_number(p, end), v.type = TS_J_NUM;
			break;
		}
		if (!q)
			return -2;
		v.p = p, v.n = (size_t)(q - p);
		/* "tf" marks a candle: the caller decides what the object is */
		if (k.n == 4 && !memcmp(k.p, "\"tf\"", 4))
			return -2;
		if (k.n == 5 && !memcmp(k.p, "\"seq\"", 5)) {
			if (seqv.type == TS_J_NONE)
				seqv = v;
		} else {
			trade_member(&k, &v, f, &seen);
		}
		for (p = q; p < end && ws(*p); p++)
			;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}')
			break;
		return -2;
	}
	for (p++; p < end && ws(*p); p++)
		;
	if (p != end)
		return -2;
	if (has_seq)
		*has_seq = seqv.type != TS_J_NONE && seq && !ts_json_i64(&seqv, seq);
	return trade_fields(f, seen, def_ex, def_sym, t, why) ? -1 : 0;
}

int
store_parse_candle(const struct ts_jval *obj, const char *def_ex, const char *def_sym,
    const char *def_tf, struct store_candle *c, const char **why)
{
	struct ts_jval v;

	if (obj->type != TS_J_OBJ)
		WHY("not an object");
	if (get_name(obj, "ex", def_ex, c->ex, sizeof c->ex) || !ts_ex_valid(c->ex))
		WHY("missing or bad \"ex\"");
	if (get_name(obj, "sym", def_sym, c->sym, sizeof c->sym) || !ts_sym_valid(c->sym))
		WHY("missing or bad \"sym\"");
	if (get_name(obj, "tf", def_tf, c->tf, sizeof c->tf) || ts_tf_us(c->tf) < 0)
		WHY("missing or bad \"tf\"");
	if (get_time(obj, "t", &c->t))
		WHY("missing or bad \"t\"");
	if (ts_json_get_dec(obj, "o", &c->o) || ts_json_get_dec(obj, "h", &c->h) ||
	    ts_json_get_dec(obj, "l", &c->l) || ts_json_get_dec(obj, "c", &c->c))
		WHY("missing or bad \"o\", \"h\", \"l\" or \"c\"");
	if (ts_json_get_dec(obj, "v", &c->v))
		WHY("missing or bad \"v\"");
	c->bv = (struct ts_dec){ 0, 0 };
	c->n = 0;
	/* null: the exchange does not say (Coinbase history has no taker
	 * volume or trade count), the same as absent */
	c->has_bv = !ts_json_get(obj, "bv", &v) && v.type != TS_J_NULL;
	if (c->has_bv && ts_json_dec(&v, &c->bv))
		WHY("bad \"bv\"");
	c->has_n = !ts_json_get(obj, "n", &v) && v.type != TS_J_NULL;
	if (c->has_n && ts_json_i64(&v, &c->n))
		WHY("bad \"n\"");
	c->closed = 1;
	if (!ts_json_get(obj, "closed", &v) && ts_json_bool(&v, &c->closed))
		WHY("bad \"closed\"");
	return 0;
}

void
store_write_trade(struct ts_jw *w, const struct store_trade *t)
{
	ts_jw_obj(w);
	ts_jw_kstr(w, "ex", t->ex);
	ts_jw_kstr(w, "sym", t->sym);
	ts_jw_kstr(w, "id", t->id);
	ts_jw_kdec(w, "px", t->px);
	ts_jw_kdec(w, "qty", t->qty);
	ts_jw_kstr(w, "side", t->side == STORE_BUY ? "buy" : "sell");
	ts_jw_ki64(w, "ts", t->ts);
	if (t->has_rt)
		ts_jw_ki64(w, "rt", t->rt);
	ts_jw_obj_end(w);
}

void
store_write_candle(struct ts_jw *w, const struct store_candle *c)
{
	ts_jw_obj(w);
	ts_jw_kstr(w, "ex", c->ex);
	ts_jw_kstr(w, "sym", c->sym);
	ts_jw_kstr(w, "tf", c->tf);
	ts_jw_ki64(w, "t", c->t);
	ts_jw_kdec(w, "o", c->o);
	ts_jw_kdec(w, "h", c->h);
	ts_jw_kdec(w, "l", c->l);
	ts_jw_kdec(w, "c", c->c);
	ts_jw_kdec(w, "v", c->v);
	if (c->has_bv)
		ts_jw_kdec(w, "bv", c->bv);
	if (c->has_n)
		ts_jw_ki64(w, "n", c->n);
	ts_jw_kbool(w, "closed", c->closed);
	ts_jw_obj_end(w);
}
