/* alert_eval.c: per-market state (last trade, book, candle series) and rule evaluation */
#include "alert.h"
#include "log.h"
#include "tm.h"

#include <jq.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { TK_TRADES, TK_BOOK, TK_CANDLES, TK_OTHER };

/* The rules reading one topic, and where its data lands. */
struct alert_topic {
	int kind;
	struct alert_market *mk;     /* NULL for TK_OTHER */
	struct alert_series *series; /* TK_CANDLES */
	struct alert_rule **rules;
	size_t n, cap;
	int has_jq;
	char *last;                  /* last message (jq topics, for `test`) */
	size_t last_len;
	int64_t last_ts;
};

#define DAY_US (INT64_C(86400) * TS_US_PER_SEC)

/* ---- markets and series ------------------------------------------------- */

static struct alert_market *
market_get(struct alert_engine *e, const char *ex, const char *sym)
{
	char key[96];
	struct ts_map_entry *me;
	struct alert_market *mk;
	int created;

	snprintf(key, sizeof key, "%s:%s", ex, sym);
	me = ts_map_put(&e->markets, key, &created);
	if (!created)
		return me->v.p;
	mk = ts_xcalloc(1, sizeof *mk);
	snprintf(mk->ex, sizeof mk->ex, "%s", ex);
	snprintf(mk->sym, sizeof mk->sym, "%s", sym);
	me->v.p = mk;
	return mk;
}

static void
market_free(struct alert_market *mk)
{
	for (size_t i = 0; i < mk->nseries; i++)
		free(mk->series[i].c);
	free(mk->series);
	ts_book_free(&mk->book);
	free(mk);
}

static struct alert_series *
series_get(struct alert_market *mk, const char *tf, int64_t tf_us)
{
	for (size_t i = 0; i < mk->nseries; i++)
		if (!strcmp(mk->series[i].tf, tf))
			return &mk->series[i];
	mk->series = ts_xrealloc(mk->series, (mk->nseries + 1) * sizeof *mk->series);
	memset(&mk->series[mk->nseries], 0, sizeof *mk->series);
	snprintf(mk->series[mk->nseries].tf, sizeof mk->series->tf, "%s", tf);
	mk->series[mk->nseries].tf_us = tf_us;
	return &mk->series[mk->nseries++];
}

static size_t
rule_keep(const struct alert_rule *r)
{
	int64_t per = r->tf_us > 0 ? r->window_us / r->tf_us : 0;

	switch (r->kind) {
	case AK_CHANGE: case AK_CVD: case AK_RATIO: return (size_t)per + 2;
	case AK_CVD_LEVEL: return (size_t)(DAY_US / r->tf_us) + 2;
	case AK_VOLATILITY: return (size_t)r->n + 2;
	case AK_VOLUME: return (size_t)(per * (r->n + 1)) + 2;
	default: return 0;
	}
}

size_t
alert_rule_candles(const struct alert_rule *r)
{
	return r->tf_us > 0 ? rule_keep(r) : 0;
}

/* Insert or replace the candle with open time c->t, keeping t sorted. */
static void
series_put(struct alert_series *s, const struct alert_candle *c)
{
	size_t lo = 0, hi = s->n;

	if (s->n && s->c[s->n - 1].t == c->t) {
		s->c[s->n - 1] = *c;
		return;
	}
	if (!s->n || s->c[s->n - 1].t < c->t) {
		lo = s->n;
	} else {
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (s->c[mid].t < c->t)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < s->n && s->c[lo].t == c->t) {
			s->c[lo] = *c;
			return;
		}
	}
	ts_xgrow((void **)&s->c, &s->cap, s->n + 1, sizeof *s->c);
	memmove(s->c + lo + 1, s->c + lo, (s->n - lo) * sizeof *s->c);
	s->c[lo] = *c;
	s->n++;
	/* trim the oldest in batches so the memmove is amortised */
	if (s->keep && s->n > 2 * s->keep + 64) {
		size_t drop = s->n - s->keep;
		memmove(s->c, s->c + drop, s->keep * sizeof *s->c);
		s->n = s->keep;
	}
}

static int
num(const struct ts_jval *obj, const char *key, double *out)
{
	struct ts_jval v;
	struct ts_dec d;

	if (ts_json_get(obj, key, &v))
		return -1;
	if (v.type == TS_J_STR) {
		if (ts_json_dec(&v, &d))
			return -1;
		*out = ts_dec_to_double(d);
		return 0;
	}
	return ts_json_double(&v, out);
}

static int
parse_candle(const struct ts_jval *o, struct alert_candle *c)
{
	if (o->type != TS_J_OBJ || ts_json_get_i64(o, "t", &c->t) ||
	    num(o, "o", &c->o) || num(o, "h", &c->h) || num(o, "l", &c->l) ||
	    num(o, "c", &c->c) || num(o, "v", &c->v) || c->c <= 0 || c->o <= 0 ||
	    c->v < 0)
		return -1;
	if (num(o, "bv", &c->bv))
		c->bv = NAN;
	return 0;
}

/* ---- binding ------------------------------------------------------------ */

static void
topic_free(struct alert_topic *t)
{
	free(t->rules);
	free(t->last);
	free(t);
}

void
alert_engine_bind(struct alert_engine *e, struct alert_rules *rs)
{
	struct ts_map_entry *me;
	struct ts_map used = { 0 };
	size_t i = 0;

	while ((me = ts_map_next(&e->by_topic, &i)))
		topic_free(me->v.p);
	ts_map_clear(&e->by_topic);
	e->rules = rs;
	i = 0;
	while ((me = ts_map_next(&e->markets, &i))) {
		struct alert_market *mk = me->v.p;
		for (size_t k = 0; k < mk->nseries; k++)
			mk->series[k].keep = 0;
	}
	/* create every series first: series_get may move a market's array */
	for (size_t k = 0; k < rs->n; k++) {
		struct ts_topic tp;
		if (rs->r[k].enabled && !strncmp(rs->r[k].topic, "candles/", 8) &&
		    ts_topic_parse(rs->r[k].topic, &tp, NULL) == 0)
			series_get(market_get(e, tp.ex, tp.sym), tp.tf, ts_tf_us(tp.tf));
	}
	for (size_t k = 0; k < rs->n; k++) {
		struct alert_rule *r = &rs->r[k];
		struct alert_topic *t;
		int created;
		char mkey[96];

		if (!r->enabled)
			continue;
		me = ts_map_put(&e->by_topic, r->topic, &created);
		if (created) {
			t = me->v.p = ts_xcalloc(1, sizeof *t);
			if (!strncmp(r->topic, "trades/", 7))
				t->kind = TK_TRADES;
			else if (!strncmp(r->topic, "book/", 5))
				t->kind = TK_BOOK;
			else if (!strncmp(r->topic, "candles/", 8))
				t->kind = TK_CANDLES;
			else
				t->kind = TK_OTHER;
			if (t->kind != TK_OTHER) {
				struct ts_topic tp;
				if (ts_topic_parse(r->topic, &tp, NULL) == 0) {
					t->mk = market_get(e, tp.ex, tp.sym);
					snprintf(mkey, sizeof mkey, "%s:%s", tp.ex, tp.sym);
					ts_map_put(&used, mkey, NULL);
					if (t->kind == TK_CANDLES)
						t->series = series_get(t->mk, tp.tf, ts_tf_us(tp.tf));
				} else {
					t->kind = TK_OTHER;
				}
			}
		}
		t = me->v.p;
		ts_xgrow((void **)&t->rules, &t->cap, t->n + 1, sizeof *t->rules);
		t->rules[t->n++] = r;
		if (r->kind == AK_JQ)
			t->has_jq = 1;
		if (t->series && rule_keep(r) > t->series->keep)
			t->series->keep = rule_keep(r);
	}
	/* forget markets no rule reads any more */
	i = 0;
	while ((me = ts_map_next(&e->markets, &i))) {
		if (ts_map_get(&used, me->key))
			continue;
		market_free(me->v.p);
		ts_map_del(&e->markets, me->key);
	}
	ts_map_clear(&used);
}

void
alert_engine_free(struct alert_engine *e)
{
	struct ts_map_entry *me;
	size_t i = 0;

	while ((me = ts_map_next(&e->by_topic, &i)))
		topic_free(me->v.p);
	ts_map_clear(&e->by_topic);
	i = 0;
	while ((me = ts_map_next(&e->markets, &i)))
		market_free(me->v.p);
	ts_map_clear(&e->markets);
}

struct ts_map_entry *
alert_engine_next_topic(struct alert_engine *e, size_t *i)
{
	return ts_map_next(&e->by_topic, i);
}

/* ---- conditions --------------------------------------------------------- */

static int
book_top(const struct alert_market *mk, double *bid, double *ask)
{
	const struct ts_level *b = ts_book_best(&mk->book, TS_BID);
	const struct ts_level *a = ts_book_best(&mk->book, TS_ASK);

	if (!b || !a || ts_book_crossed(&mk->book))
		return -1;
	*bid = ts_dec_to_double(b->px);
	*ask = ts_dec_to_double(a->px);
	return 0;
}

/* Index of the first candle with t >= start. */
static size_t
first_from(const struct alert_series *s, int64_t start)
{
	size_t i = s->n;

	while (i > 0 && s->c[i - 1].t >= start)
		i--;
	return i;
}

/* The rule's value now: 0 with *v set, or -1 when the data is not there
 * yet; `why` says what is missing. */
static int
rule_value(const struct alert_rule *r, const struct alert_market *mk,
    const struct alert_series *s, double *v, const char **why)
{
	double bid, ask, mid, sum = 0, buy = 0, sell = 0;
	size_t i0;
	int64_t last, start;

	*why = NULL;
	switch (r->kind) {
	case AK_PRICE_CROSS:
		if (!mk->have_px)
			return *why = "no trade seen yet", -1;
		*v = ts_dec_to_double(mk->last_px);
		return 0;
	case AK_MID_CROSS: case AK_SPREAD: case AK_IMBALANCE:
		if (book_top(mk, &bid, &ask) < 0)
			return *why = "no order book in sync yet", -1;
		mid = (bid + ask) / 2;
		if (r->kind == AK_MID_CROSS) {
			*v = mid;
		} else if (r->kind == AK_SPREAD) {
			*v = (ask - bid) / mid * 1e4;
		} else {
			double lo = mid * (1 - r->band), hi = mid * (1 + r->band);
			struct ts_book_it bi = ts_book_iter(&mk->book, TS_BID);
			struct ts_book_it ai = ts_book_iter(&mk->book, TS_ASK);
			const struct ts_level *l;
			while ((l = ts_book_next(&bi)) && ts_dec_to_double(l->px) >= lo)
				buy += ts_dec_to_double(l->qty);
			while ((l = ts_book_next(&ai)) && ts_dec_to_double(l->px) <= hi)
				sell += ts_dec_to_double(l->qty);
			if (buy + sell <= 0)
				return *why = "no size within the band", -1;
			*v = (buy - sell) / (buy + sell);
		}
		return 0;
	case AK_JQ: case AK_COUNT:
		return *why = "evaluated per message", -1;
	default:
		break;
	}
	if (!s || !s->n)
		return *why = "no candles yet", -1;
	last = s->c[s->n - 1].t;
	start = last - r->window_us + s->tf_us;
	switch (r->kind) {
	case AK_CHANGE: {
		double ref;
		i0 = first_from(s, start);
		if (i0 < s->n && s->c[i0].t == start)
			ref = s->c[i0].o;
		else if (i0 > 0)
			ref = s->c[i0 - 1].c;
		else
			return *why = "candles do not cover the lookback yet", -1;
		*v = (s->c[s->n - 1].c - ref) / ref * 100;
		return 0;
	}
	case AK_CVD: case AK_CVD_LEVEL: case AK_RATIO:
		if (r->kind == AK_CVD_LEVEL)
			start = last / DAY_US * DAY_US;
		i0 = first_from(s, start);
		if (r->kind == AK_RATIO && i0 == 0 && s->c[0].t != start)
			return *why = "candles do not cover the window yet", -1;
		for (size_t k = i0; k < s->n; k++) {
			if (isnan(s->c[k].bv))
				return *why = "candles carry no buy volume (bv)", -1;
			buy += s->c[k].bv;
			sell += s->c[k].v - s->c[k].bv;
		}
		if (r->kind == AK_RATIO) {
			if (buy <= 0 || sell <= 0)
				return *why = "no buy or no sell volume in the window", -1;
			*v = buy / sell;
		} else {
			*v = buy - sell;
		}
		return 0;
	case AK_VOLATILITY: {
		double mean = 0, var = 0, rets[64], *rv = rets;
		int n = r->n;
		if (s->n < (size_t)n + 1)
			return *why = "not enough candles yet", -1;
		if (n > 64)
			rv = ts_xmalloc((size_t)n * sizeof *rv);
		for (int k = 0; k < n; k++) {
			const struct alert_candle *a = &s->c[s->n - (size_t)n - 1 + (size_t)k];
			rv[k] = log(a[1].c / a[0].c);
			mean += rv[k];
		}
		mean /= n;
		for (int k = 0; k < n; k++)
			var += (rv[k] - mean) * (rv[k] - mean);
		if (rv != rets)
			free(rv);
		*v = sqrt(var / (n - 1)) * 100;
		return 0;
	}
	case AK_VOLUME: {
		int64_t from = start - r->window_us * r->n;
		if (s->c[0].t > from)
			return *why = "candles do not cover the averaging windows yet", -1;
		for (size_t k = first_from(s, from); k < s->n; k++) {
			if (s->c[k].t >= start)
				buy += s->c[k].v;    /* this window */
			else
				sell += s->c[k].v;   /* the n before it */
		}
		sum = sell / r->n;
		if (sum <= 0)
			return *why = "no volume in the averaging windows", -1;
		*v = buy / sum;
		return 0;
	}
	default:
		return *why = "unknown condition", -1;
	}
}

static int
compare(enum alert_op op, double v, double t)
{
	switch (op) {
	case OP_GT: return v > t;
	case OP_GE: return v >= t;
	case OP_LT: return v < t;
	case OP_LE: return v <= t;
	case OP_ABOVE: return v >= t;
	case OP_BELOW: return v <= t;
	}
	return 0;
}

static int
rule_truth(const struct alert_rule *r, const struct alert_market *mk, double v)
{
	if (r->kind == AK_PRICE_CROSS) {
		int c = ts_dec_cmp(mk->last_px, r->level);
		return r->op == OP_ABOVE ? c >= 0 : c <= 0;
	}
	return compare(r->op, v, r->threshold);
}

static int64_t
cooldown(const struct alert_engine *e, const struct alert_rule *r)
{
	return r->cooldown_us >= 0 ? r->cooldown_us : e->rules->set.cooldown_us;
}

/* Edge-triggered: fire when the condition turns true (for crossings, only
 * from a known false), unless the last alert is within the cooldown. */
static void
settle(struct alert_engine *e, struct alert_rule *r, const struct alert_market *mk,
    double v, int64_t ts, alert_fire_fn *fn, void *arg)
{
	int truth = rule_truth(r, mk, v), prev = r->st;
	struct alert_fire f;

	r->evals++;
	r->last_value = v;
	r->have_value = 1;
	if (truth == prev)
		return;
	r->st = truth;
	e->dirty = 1;
	if (!truth)
		return;
	if (prev == -1 && (r->kind == AK_PRICE_CROSS || r->kind == AK_MID_CROSS))
		return; /* the first price seen is no crossing */
	if (r->last_fired && ts - r->last_fired < cooldown(e, r)) {
		r->suppressed++;
		return;
	}
	r->last_fired = ts;
	r->fired++;
	memset(&f, 0, sizeof f);
	f.rule = r;
	f.value = v;
	f.ts = ts;
	if (r->kind == AK_PRICE_CROSS) {
		f.exact = 1;
		f.dvalue = mk->last_px;
	}
	fn(&f, arg);
}

/* Run a jq rule on one message: 1 truthy (output in *out), 0 not, -1 error. */
static int
run_jq(struct alert_rule *r, jv input, jv *out, char *err, size_t errlen)
{
	jv res;

	jq_start(r->jq, input, 0);
	res = jq_next(r->jq);
	if (!jv_is_valid(res)) {
		jv msg = jv_invalid_get_msg(res);
		int ret = 0;
		if (jv_get_kind(msg) == JV_KIND_STRING) {
			snprintf(err, errlen, "%s", jv_string_value(msg));
			ret = -1;
		} else if (jv_get_kind(msg) != JV_KIND_NULL) {
			jv s = jv_dump_string(jv_copy(msg), 0);
			snprintf(err, errlen, "%s", jv_string_value(s));
			jv_free(s);
			ret = -1;
		}
		jv_free(msg);
		return ret;
	}
	if (jv_get_kind(res) == JV_KIND_FALSE || jv_get_kind(res) == JV_KIND_NULL) {
		jv_free(res);
		return 0;
	}
	*out = res;
	return 1;
}

static void
fire_jq(struct alert_engine *e, struct alert_rule *r, jv input, int64_t ts,
    alert_fire_fn *fn, void *arg)
{
	static struct ts_ratelimit rl = TS_RATELIMIT_INIT(1, 5);
	char err[256];
	jv out;
	int t;

	r->evals++;
	e->evals++;
	t = run_jq(r, input, &out, err, sizeof err);
	if (t < 0) {
		ts_warn_rl(&rl, "rule '%s': jq error on '%s': %s", r->id, r->topic, err);
		return;
	}
	if (!t)
		return;
	if (r->last_fired && ts - r->last_fired < cooldown(e, r)) {
		r->suppressed++;
		jv_free(out);
		return;
	}
	{
		struct alert_fire f;
		jv s = jv_dump_string(out, 0);
		memset(&f, 0, sizeof f);
		f.rule = r;
		f.ts = ts;
		f.jvalue = jv_string_value(s);
		r->last_fired = ts;
		r->fired++;
		e->dirty = 1;
		fn(&f, arg);
		jv_free(s);
	}
}

/* ---- feeding ------------------------------------------------------------ */

int
alert_engine_feed(struct alert_engine *e, const char *topic,
    const char *data, size_t len, int64_t now_us, alert_fire_fn *fn, void *arg,
    const char **why)
{
	struct ts_map_entry *me = ts_map_get(&e->by_topic, topic);
	struct alert_topic *t;
	struct alert_market *mk;
	struct ts_jval obj, v;
	int64_t ts = 0;

	*why = NULL;
	if (!me)
		return 0;
	t = me->v.p;
	mk = t->mk;
	e->msgs++;
	if (ts_json_parse(data, len, &obj, NULL) < 0 || obj.type != TS_J_OBJ) {
		e->bad++;
		return *why = "not a JSON object", -1;
	}
	if (ts_json_get_i64(&obj, "ts", &ts) < 0 || ts <= 0)
		ts = 0;
	switch (t->kind) {
	case TK_TRADES: {
		struct ts_dec px;
		if (ts_json_get_dec(&obj, "px", &px) < 0 || ts_dec_sign(px) <= 0) {
			e->bad++;
			return *why = "trade without a positive \"px\"", -1;
		}
		mk->last_px = px;
		mk->have_px = 1;
		break;
	}
	case TK_BOOK: {
		int r = ts_book_apply_msg(&mk->book, &obj);
		if (r < 0) {
			ts_book_clear(&mk->book);
			mk->book_live = 0;
			e->bad++;
			return *why = "malformed book message (book cleared until the next snapshot)", -1;
		}
		if (r == TS_BOOK_RESET)
			mk->book_live = 0;
		else if (r == TS_BOOK_SNAPSHOT)
			mk->book_live = 1;
		if (!mk->book_live)
			return 0;
		break;
	}
	case TK_CANDLES: {
		struct alert_candle c;
		if (!ts_json_get(&obj, "type", &v) && ts_json_str_eq(&v, "history")) {
			struct ts_jiter it;
			struct ts_jval el;
			size_t bad = 0;
			if (ts_json_get(&obj, "candles", &v) || v.type != TS_J_ARR) {
				e->bad++;
				return *why = "history without a \"candles\" array", -1;
			}
			ts_json_iter(&it, &v);
			while (ts_json_next(&it, NULL, &el)) {
				if (parse_candle(&el, &c) < 0)
					bad++;
				else
					series_put(t->series, &c);
			}
			if (bad) {
				e->bad++;
				*why = "history holds malformed candles (skipped)";
			}
		} else if (parse_candle(&obj, &c) < 0) {
			e->bad++;
			return *why = "candle without numeric t, o, h, l, c, v", -1;
		} else {
			series_put(t->series, &c);
		}
		if (!t->series->n)
			return *why ? -1 : 0;
		if (!ts)
			ts = t->series->c[t->series->n - 1].t;
		break;
	}
	default:
		break;
	}
	if (!ts)
		ts = now_us;
	if (mk)
		mk->last_ts = ts;
	if (t->has_jq) {
		jv input = jv_parse_sized(data, (int)len);
		if (!jv_is_valid(input)) {
			jv_free(input);
			e->bad++;
			return *why = "payload does not parse as JSON", -1;
		}
		for (size_t k = 0; k < t->n; k++)
			if (t->rules[k]->kind == AK_JQ)
				fire_jq(e, t->rules[k], jv_copy(input), ts, fn, arg);
		jv_free(input);
		free(t->last);
		t->last = ts_xstrndup(data, len);
		t->last_len = len;
		t->last_ts = ts;
	}
	for (size_t k = 0; k < t->n; k++) {
		struct alert_rule *r = t->rules[k];
		const char *miss;
		double val;

		if (r->kind == AK_JQ)
			continue;
		e->evals++;
		if (rule_value(r, mk, t->series, &val, &miss) < 0)
			continue;
		settle(e, r, mk, val, ts, fn, arg);
	}
	return *why ? -1 : 0;
}

/* ---- explaining --------------------------------------------------------- */

static const char *
value_name(const struct alert_rule *r)
{
	switch (r->kind) {
	case AK_PRICE_CROSS: return "last trade price";
	case AK_MID_CROSS: return "mid price";
	case AK_CHANGE: return "change (%)";
	case AK_CVD: return "volume delta over the window";
	case AK_CVD_LEVEL: return "volume delta since 00:00 UTC";
	case AK_RATIO: return "buy/sell volume ratio";
	case AK_VOLATILITY: return "volatility (% stdev of returns)";
	case AK_VOLUME: return "volume vs its average (x)";
	case AK_IMBALANCE: return "book imbalance";
	case AK_SPREAD: return "spread (bps)";
	default: return "value";
	}
}

int
alert_engine_explain(struct alert_engine *e, struct alert_rule *r, char *buf, size_t n)
{
	struct ts_map_entry *me = ts_map_get(&e->by_topic, r->topic);
	struct alert_topic *t = me ? me->v.p : NULL;
	const char *why;
	double v;
	int truth;
	size_t o;

	if (!r->enabled) {
		snprintf(buf, n, "rule is disabled: it would not fire");
		return -1;
	}
	if (!t) {
		snprintf(buf, n, "nothing received on '%s'", r->topic);
		return -1;
	}
	if (r->kind == AK_JQ) {
		char err[256];
		jv out, input;
		if (!t->last) {
			snprintf(buf, n, "no message on '%s' yet", r->topic);
			return -1;
		}
		input = jv_parse_sized(t->last, (int)t->last_len);
		truth = run_jq(r, input, &out, err, sizeof err);
		if (truth < 0) {
			snprintf(buf, n, "the jq expression fails on the last message of '%s': %s",
			    r->topic, err);
			return -1;
		}
		if (truth) {
			jv s = jv_dump_string(out, 0);
			o = (size_t)snprintf(buf, n, "the last message of '%s' gives %s: it would "
			    "fire", r->topic, jv_string_value(s));
			jv_free(s);
		} else {
			o = (size_t)snprintf(buf, n, "the last message of '%s' gives false or "
			    "null: it would not fire", r->topic);
		}
		goto cooldown;
	}
	if (rule_value(r, t->mk, t->series, &v, &why) < 0) {
		snprintf(buf, n, "not enough data on '%s': %s", r->topic, why);
		return -1;
	}
	truth = rule_truth(r, t->mk, v);
	o = (size_t)snprintf(buf, n, "%s is %.10g, so '%s' is %s", value_name(r), v,
	    r->cond, truth ? "true" : "false");
	if (!truth) {
		o += (size_t)snprintf(buf + o, o < n ? n - o : 0, ": it would not fire");
		return 0;
	}
	if (r->st == 1) {
		o += (size_t)snprintf(buf + o, o < n ? n - o : 0, ", but it was true already at "
		    "the last alert: it fires again once it has been false");
		return 1;
	}
	if ((r->kind == AK_PRICE_CROSS || r->kind == AK_MID_CROSS) && r->st == -1) {
		o += (size_t)snprintf(buf + o, o < n ? n - o : 0, ", but no price on the other "
		    "side has been seen: a crossing fires, not a level");
		return 1;
	}
	o += (size_t)snprintf(buf + o, o < n ? n - o : 0, ": it would fire");
cooldown:
	if (truth && r->last_fired && t->mk && t->mk->last_ts - r->last_fired < cooldown(e, r)) {
		char tb[40];
		ts_rfc3339_fmt(r->last_fired + cooldown(e, r), tb, sizeof tb);
		snprintf(buf + o, o < n ? n - o : 0, " (held by its cooldown until %s)", tb);
	}
	return truth;
}
