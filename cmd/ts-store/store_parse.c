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

/* Times are integer microseconds; jq may have written them as 1.7e15. */
static int
get_time(const struct ts_jval *obj, const char *key, int64_t *out)
{
	struct ts_jval v;
	double d;

	if (ts_json_get(obj, key, &v))
		return -1;
	if (!ts_json_i64(&v, out))
		return 0;
	if (v.type == TS_J_NUM && !ts_json_double(&v, &d) && d >= 0 && d < 9.2e18 &&
	    d == (double)(int64_t)d) {
		*out = (int64_t)d;
		return 0;
	}
	return -1;
}

int
store_parse_trade(const struct ts_jval *obj, const char *def_ex, const char *def_sym,
    struct store_trade *t, const char **why)
{
	struct ts_jval v;
	int64_t iid;

	if (obj->type != TS_J_OBJ)
		WHY("not an object");
	if (get_name(obj, "ex", def_ex, t->ex, sizeof t->ex) || !ts_ex_valid(t->ex))
		WHY("missing or bad \"ex\"");
	if (get_name(obj, "sym", def_sym, t->sym, sizeof t->sym) || !ts_sym_valid(t->sym))
		WHY("missing or bad \"sym\"");
	if (ts_json_get(obj, "id", &v))
		WHY("missing \"id\"");
	if (v.type == TS_J_STR) {
		long n = ts_json_str(&v, t->id, sizeof t->id);
		if (n <= 0 || (size_t)n >= sizeof t->id)
			WHY("bad \"id\"");
	} else if (v.type == TS_J_NUM && !ts_json_i64(&v, &iid) && v.n < sizeof t->id) {
		memcpy(t->id, v.p, v.n);
		t->id[v.n] = '\0';
	} else {
		WHY("bad \"id\"");
	}
	if (ts_json_get_dec(obj, "px", &t->px) || ts_dec_sign(t->px) <= 0)
		WHY("missing or bad \"px\"");
	if (ts_json_get_dec(obj, "qty", &t->qty) || ts_dec_sign(t->qty) < 0)
		WHY("missing or bad \"qty\"");
	if (ts_json_get(obj, "side", &v))
		WHY("missing \"side\"");
	if (ts_json_str_eq(&v, "buy"))
		t->side = STORE_BUY;
	else if (ts_json_str_eq(&v, "sell"))
		t->side = STORE_SELL;
	else
		WHY("\"side\" is neither buy nor sell");
	if (get_time(obj, "ts", &t->ts) || t->ts < 0)
		WHY("missing or bad \"ts\"");
	t->has_rt = !get_time(obj, "rt", &t->rt);
	return 0;
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
	c->has_bv = !ts_json_get(obj, "bv", &v);
	if (c->has_bv && ts_json_dec(&v, &c->bv))
		WHY("bad \"bv\"");
	c->has_n = !ts_json_get(obj, "n", &v);
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
