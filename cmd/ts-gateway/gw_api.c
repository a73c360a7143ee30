/* gw_api.c: the API's operations, one function each, shared by REST and MCP */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "tm.h"

#define CANDLES_DEFAULT 500
#define BOOK_DEPTH_DEFAULT 50
#define BOOK_DEPTH_MAX 1000
#define TRADES_DEFAULT 100

/* ---- arguments ---- */

int
gw_args_add(struct gw_args *a, const char *k, size_t kn, const char *v, size_t vn)
{
	if (a->n >= GW_MAX_ARGS)
		return -1;
	a->k[a->n] = ts_xstrndup(k, kn);
	a->v[a->n] = ts_xstrndup(v, vn);
	a->n++;
	return 0;
}

const char *
gw_args_get(const struct gw_args *a, const char *k)
{
	for (int i = 0; i < a->n; i++)
		if (!strcmp(a->k[i], k))
			return a->v[i];
	return NULL;
}

void
gw_args_free(struct gw_args *a)
{
	for (int i = 0; i < a->n; i++) {
		free(a->k[i]);
		free(a->v[i]);
	}
	a->n = 0;
}

int
gw_args_from_json(struct gw_args *a, const char *text, size_t n)
{
	struct ts_jval obj, k, v;
	struct ts_jiter it;
	char key[64];

	if (ts_json_parse(text, n, &obj, NULL) < 0 || obj.type != TS_J_OBJ)
		return -1;
	ts_json_iter(&it, &obj);
	while (ts_json_next(&it, &k, &v)) {
		long kl = ts_json_str(&k, key, sizeof key);
		if (kl < 0 || (size_t)kl >= sizeof key)
			continue;
		if (v.type == TS_J_STR) {
			char *buf = ts_xmalloc(v.n + 1);
			long l = ts_json_str(&v, buf, v.n + 1);
			if (l >= 0)
				gw_args_add(a, key, (size_t)kl, buf, (size_t)l);
			free(buf);
		} else if (v.type != TS_J_NULL) {
			gw_args_add(a, key, (size_t)kl, v.p, v.n);
		}
	}
	return 0;
}

/* ---- replies ---- */

void
gw_call_error(struct gw_call *c, int status, const char *field, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->status = status;
	ts_jw_reset(&c->out);
	ts_jw_obj(&c->out);
	ts_jw_kstr(&c->out, "error", msg);
	if (field)
		ts_jw_kstr(&c->out, "field", field);
	ts_jw_ki64(&c->out, "status", status);
	ts_jw_obj_end(&c->out);
}

static void
finish(struct gw_call *c)
{
	if (c->t) {
		gw_topic_release(c->t);
		c->t = NULL;
	}
	if (!c->cancelled && c->done)
		c->done(c);
}

/* ---- waiting for a topic's first data ---- */

static void run(struct gw_call *c);

static void
unwait(struct gw_call *c)
{
	struct gw_call **pp;

	if (!c->waiting)
		return;
	for (pp = &c->t->waiters; *pp; pp = &(*pp)->wnext)
		if (*pp == c) {
			*pp = c->wnext;
			break;
		}
	lws_sul_cancel(&c->sul);
	c->waiting = 0;
}

static void
on_wait_timeout(lws_sorted_usec_list_t *sul)
{
	struct gw_call *c = lws_container_of(sul, struct gw_call, sul);

	unwait(c);
	c->timed_out = 1;
	run(c);
}

static void
wait_for(struct gw_call *c)
{
	int64_t now = ts_mono_us();

	if (!c->deadline)
		c->deadline = now + G.wait_us;
	c->waiting = 1;
	c->wnext = c->t->waiters;
	c->t->waiters = c;
	/* woken calls wait again for what is left, not for a fresh --wait */
	lws_sul_schedule(G.ctx, 0, &c->sul, on_wait_timeout,
	    c->deadline > now ? c->deadline - now : 1);
}

void
gw_topic_wake(struct gw_topic *t)
{
	struct gw_call *c, *list = t->waiters;

	/* detach first: a call still short of data waits again, on a new list */
	t->waiters = NULL;
	while ((c = list)) {
		list = c->wnext;
		lws_sul_cancel(&c->sul);
		c->waiting = 0;
		run(c);
	}
}

void
gw_call_cancel(struct gw_call *c)
{
	unwait(c);
	c->cancelled = 1;
	if (c->t) {
		gw_topic_release(c->t);
		c->t = NULL;
	}
}

void
gw_call_clear(struct gw_call *c)
{
	gw_call_cancel(c);
	gw_args_free(&c->a);
	ts_jw_free(&c->out);
}

/* ---- validation ---- */

static const char *
arg(struct gw_call *c, const char *k)
{
	const char *v = gw_args_get(&c->a, k);

	return v && *v ? v : NULL;
}

static int
get_market(struct gw_call *c, char *ex, size_t exn, char *sym, size_t symn)
{
	const char *e = arg(c, "exchange"), *s = arg(c, "symbol");

	if (!e) {
		gw_call_error(c, 400, "exchange", "missing 'exchange' (e.g. coinbase)");
		return -1;
	}
	if (!ts_ex_valid(e) || strlen(e) >= exn) {
		gw_call_error(c, 400, "exchange", "bad exchange '%.64s': lowercase letters, "
		    "digits and '_'", e);
		return -1;
	}
	if (!s) {
		gw_call_error(c, 400, "symbol", "missing 'symbol' (e.g. BTC-USD)");
		return -1;
	}
	if (!ts_sym_valid(s) || strlen(s) >= symn) {
		gw_call_error(c, 400, "symbol", "bad symbol '%.64s': canonical BASE-QUOTE in "
		    "upper case (BTC-USD, ETH-USDT)", s);
		return -1;
	}
	snprintf(ex, exn, "%s", e);
	snprintf(sym, symn, "%s", s);
	return 0;
}

/* A time: integer µs since the epoch, or RFC 3339 / ISO 8601. */
static int
get_time(struct gw_call *c, const char *k, int64_t *out)
{
	const char *v = arg(c, k);
	char *end;

	if (!v)
		return 0;
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (!errno && end != v && !*end)
		return 0;
	if (ts_rfc3339_parse(v, strlen(v), out) == 0)
		return 0;
	gw_call_error(c, 400, k, "bad '%s' '%.64s': microseconds since the epoch or an "
	    "ISO 8601 time (2026-01-02T03:04:05Z)", k, v);
	return -1;
}

static int
get_count(struct gw_call *c, const char *k, long def, long max, long *out)
{
	const char *v = arg(c, k);
	char *end;
	long n;

	*out = def;
	if (!v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > max) {
		gw_call_error(c, 400, k, "bad '%s' '%.64s': a whole number from 1 to %ld",
		    k, v, max);
		return -1;
	}
	*out = n;
	return 0;
}

/* The supervisor's last status, parsed (text in G.status). */
static int
supervisor_status(struct ts_jval *obj)
{
	struct ts_map_entry *e = ts_map_get(&G.status, "status/supervisor");
	struct gw_status *s = e ? e->v.p : NULL;

	return s && ts_json_parse(s->p, s->n, obj, NULL) == 0 ? 0 : -1;
}

/* The state of the supervisor's service that feeds c's market ("" when
 * unknown) and how it last exited. */
static void
feed_state(struct gw_call *c, char *svc, size_t svcn, char *state, size_t sn,
    char *last, size_t ln)
{
	struct ts_jval sup, arr, el, v;
	struct ts_jiter it;

	snprintf(svc, svcn, "feed-%s", c->t->tp.ex);
	state[0] = last[0] = '\0';
	if (supervisor_status(&sup) < 0 || ts_json_get(&sup, "services", &arr) < 0)
		return;
	ts_json_iter(&it, &arr);
	while (ts_json_next(&it, NULL, &el))
		if (!ts_json_get(&el, "name", &v) && ts_json_str_eq(&v, svc)) {
			ts_json_get_str(&el, "state", state, sn);
			ts_json_get_str(&el, "last_exit", last, ln);
		}
}

/* The feed of c's market failed for good (an exchange ts-feed does not
 * know exits 100): a 404 saying so, and 1. */
static int
feed_failed(struct gw_call *c)
{
	char svc[64], state[32], last[200];

	feed_state(c, svc, sizeof svc, state, sizeof state, last, sizeof last);
	if (strcmp(state, "failed"))
		return 0;
	gw_call_error(c, 404, "exchange", "no feed serves '%s/%s': %s failed%s%s",
	    c->t->tp.ex, c->t->tp.sym, svc, last[0] ? " after " : "", last);
	return 1;
}

/* Nothing came for c's topic in time: say why as well as we can. */
static void
no_data(struct gw_call *c, const char *what)
{
	char svc[64], state[32], last[200];

	if (feed_failed(c))
		return;
	feed_state(c, svc, sizeof svc, state, sizeof state, last, sizeof last);
	if (!ts_map_get(&G.status, "status/supervisor")) {
		gw_call_error(c, 503, NULL, "no ts-supervisor on the bus: nothing starts "
		    "the producers of '%s'", c->t->name);
		return;
	}
	gw_call_error(c, 504, NULL, "no %s for '%s' within %.3g s (%s is %s; does %s "
	    "list '%s'?)", what, c->t->name, (double)G.wait_us / 1e6, svc,
	    state[0] ? state : "not started", c->t->tp.ex, c->t->tp.sym);
}

/* ---- operations ---- */

static void
op_health(struct gw_call *c)
{
	char iso[40];
	int64_t now = ts_now_us();
	struct ts_map_entry *e = ts_map_get(&G.status, "status/supervisor");
	struct gw_status *s = e ? e->v.p : NULL;

	c->status = 200;
	ts_jw_reset(&c->out);
	ts_jw_obj(&c->out);
	ts_jw_kstr(&c->out, "status", "ok");
	ts_jw_ki64(&c->out, "time_us", now);
	ts_rfc3339_fmt(now, iso, sizeof iso);
	ts_jw_kstr(&c->out, "time", iso);
	ts_jw_ki64(&c->out, "uptime_s", (ts_mono_us() - G.start_us) / TS_US_PER_SEC);
	ts_jw_kstr(&c->out, "bus", G.ep.sub);
	ts_jw_key(&c->out, "supervisor_seen_us");
	if (s)
		ts_jw_i64(&c->out, s->rx);
	else
		ts_jw_null(&c->out);
	ts_jw_obj_end(&c->out);
}

static void
op_status(struct gw_call *c)
{
	struct ts_map_entry *e;
	size_t i = 0;
	int feeds = 0;

	c->status = 200;
	ts_jw_reset(&c->out);
	ts_jw_obj(&c->out);
	ts_jw_key(&c->out, "supervisor");
	if ((e = ts_map_get(&G.status, "status/supervisor")))
		ts_jw_raw(&c->out, ((struct gw_status *)e->v.p)->p, ((struct gw_status *)e->v.p)->n);
	else
		ts_jw_null(&c->out);
	ts_jw_key(&c->out, "feeds");
	ts_jw_obj(&c->out);
	while ((e = ts_map_next(&G.status, &i))) {
		struct gw_status *s = e->v.p;
		if (strncmp(e->key, "status/feed/", 12))
			continue;
		ts_jw_key(&c->out, e->key + 12);
		ts_jw_raw(&c->out, s->p, s->n);
		feeds++;
	}
	ts_jw_obj_end(&c->out);
	ts_jw_key(&c->out, "other");
	ts_jw_obj(&c->out);
	i = 0;
	while ((e = ts_map_next(&G.status, &i))) {
		struct gw_status *s = e->v.p;
		if (!strncmp(e->key, "status/feed/", 12) || !strcmp(e->key, "status/supervisor"))
			continue;
		ts_jw_key(&c->out, e->key);
		ts_jw_raw(&c->out, s->p, s->n);
	}
	ts_jw_obj_end(&c->out);
	ts_jw_key(&c->out, "gateway");
	ts_jw_obj(&c->out);
	ts_jw_ki64(&c->out, "uptime_s", (ts_mono_us() - G.start_us) / TS_US_PER_SEC);
	ts_jw_ki64(&c->out, "topics", (int64_t)G.topics.len);
	ts_jw_ki64(&c->out, "websockets", G.nws);
	ts_jw_key(&c->out, "requests");
	ts_jw_u64(&c->out, G.requests);
	ts_jw_key(&c->out, "bus_messages");
	ts_jw_u64(&c->out, G.bus_msgs);
	ts_jw_key(&c->out, "bus_malformed");
	ts_jw_u64(&c->out, G.bad_msgs);
	ts_jw_key(&c->out, "ws_cut_slow");
	ts_jw_u64(&c->out, G.ws_cut);
	ts_jw_key(&c->out, "ws_conflated");
	ts_jw_u64(&c->out, G.ws_conflated);
	ts_jw_obj_end(&c->out);
	ts_jw_obj_end(&c->out);
	(void)feeds;
}

/* Exchanges: those the supervisor has run a feed for and those whose feed
 * reported; symbols: those each feed has open and those held here. */
static void
op_markets(struct gw_call *c)
{
	struct ts_map ex = { 0 };
	struct ts_map_entry *e;
	struct ts_jval sup, arr, el, v;
	struct ts_jiter it;
	size_t i = 0;
	char name[64];

	if (supervisor_status(&sup) == 0 && ts_json_get(&sup, "services", &arr) == 0) {
		ts_json_iter(&it, &arr);
		while (ts_json_next(&it, NULL, &el))
			if (ts_json_get_str(&el, "name", name, sizeof name) > 5 &&
			    !strncmp(name, "feed-", 5))
				ts_map_put(&ex, name + 5, NULL);
	}
	while ((e = ts_map_next(&G.status, &i)))
		if (!strncmp(e->key, "status/feed/", 12))
			ts_map_put(&ex, e->key + 12, NULL);
	c->status = 200;
	ts_jw_reset(&c->out);
	ts_jw_obj(&c->out);
	ts_jw_key(&c->out, "exchanges");
	ts_jw_arr(&c->out);
	i = 0;
	while ((e = ts_map_next(&ex, &i))) {
		char topic[TS_TOPIC_MAX], state[32] = "";
		struct ts_map syms = { 0 };
		struct ts_map_entry *f, *s;
		size_t j = 0;

		ts_topic_build(topic, sizeof topic, "status", "feed", e->key, NULL);
		if ((f = ts_map_get(&G.status, topic))) {
			struct gw_status *st = f->v.p;
			struct ts_jval obj, sy, k;
			if (ts_json_parse(st->p, st->n, &obj, NULL) == 0) {
				ts_json_get_str(&obj, "state", state, sizeof state);
				if (ts_json_get(&obj, "symbols", &sy) == 0 && sy.type == TS_J_OBJ) {
					ts_json_iter(&it, &sy);
					while (ts_json_next(&it, &k, &v) &&
					    ts_json_str(&k, name, sizeof name) > 0)
						ts_map_put(&syms, name, NULL);
				}
			}
		}
		while ((s = ts_map_next(&G.topics, &j))) {
			struct gw_topic *t = s->v.p;
			if (!t->wildcard && t->kind != GW_OTHER && !strcmp(t->tp.ex, e->key))
				ts_map_put(&syms, t->tp.sym, NULL);
		}
		ts_jw_obj(&c->out);
		ts_jw_kstr(&c->out, "exchange", e->key);
		ts_jw_kstr(&c->out, "feed", state[0] ? state : "not running");
		ts_jw_key(&c->out, "symbols");
		ts_jw_arr(&c->out);
		j = 0;
		while ((s = ts_map_next(&syms, &j)))
			ts_jw_str(&c->out, s->key);
		ts_jw_arr_end(&c->out);
		ts_jw_obj_end(&c->out);
		ts_map_clear(&syms);
	}
	ts_jw_arr_end(&c->out);
	ts_jw_key(&c->out, "timeframes");
	ts_jw_arr(&c->out);
	for (int k = 0; k < TS_TF_COUNT; k++)
		ts_jw_str(&c->out, ts_tf_names[k]);
	ts_jw_arr_end(&c->out);
	ts_jw_obj_end(&c->out);
	ts_map_clear(&ex);
}

/* Hold the market topic of kind for c (first time through run). */
static int
hold(struct gw_call *c, const char *kind, const char *tf)
{
	char ex[32], sym[48], topic[TS_TOPIC_MAX];

	if (c->t)
		return 0;
	if (get_market(c, ex, sizeof ex, sym, sizeof sym) < 0)
		return -1;
	ts_topic_build(topic, sizeof topic, kind, ex, sym, tf);
	c->t = gw_topic_hold(topic);
	return 0;
}

static void
op_candles(struct gw_call *c)
{
	const char *tf = arg(c, "timeframe");
	int64_t since = 0, until = INT64_MAX;
	long limit;

	if (!tf) {
		gw_call_error(c, 400, "timeframe", "missing 'timeframe' (1s 5s 15s 1m 3m 5m "
		    "15m 30m 1h 2h 4h 6h 12h 1d 1w)");
		return;
	}
	if (ts_tf_us(tf) < 0) {
		gw_call_error(c, 400, "timeframe", "bad timeframe '%.32s' (1s 5s 15s 1m 3m 5m "
		    "15m 30m 1h 2h 4h 6h 12h 1d 1w)", tf);
		return;
	}
	if (get_time(c, "since", &since) < 0 || get_time(c, "until", &until) < 0 ||
	    get_count(c, "limit", CANDLES_DEFAULT, GW_CANDLES_KEEP, &limit) < 0)
		return;
	if (since >= until) {
		gw_call_error(c, 400, "until", "'until' must be after 'since'");
		return;
	}
	if (hold(c, "candles", tf) < 0)
		return;
	if (!c->t->have_hist) {
		if (!c->timed_out && !feed_failed(c)) {
			wait_for(c);
			return;
		}
		no_data(c, "candle history");
		return;
	}
	c->status = 200;
	ts_jw_reset(&c->out);
	gw_topic_history(c->t, &c->out, since, until, limit);
}

static void
op_book(struct gw_call *c)
{
	long depth;

	if (get_count(c, "depth", BOOK_DEPTH_DEFAULT, BOOK_DEPTH_MAX, &depth) < 0 ||
	    hold(c, "book", NULL) < 0)
		return;
	if (!c->t->book_live) {
		if (!c->timed_out && !feed_failed(c)) {
			wait_for(c);
			return;
		}
		no_data(c, "book snapshot");
		return;
	}
	c->status = 200;
	ts_jw_reset(&c->out);
	gw_topic_snapshot(c->t, &c->out, (size_t)depth);
}

static void
op_trades(struct gw_call *c)
{
	struct gw_topic *t;
	long limit;
	size_t from;

	if (get_count(c, "limit", TRADES_DEFAULT, GW_TRADES_KEEP, &limit) < 0 ||
	    hold(c, "trades", NULL) < 0)
		return;
	t = c->t;
	if (t->tr_n == 0 && !c->timed_out && !feed_failed(c)) {
		wait_for(c);
		return;
	}
	if (t->tr_n == 0 && c->status == 404)
		return;
	if (t->tr_n == 0 && t->msgs == 0) {
		no_data(c, "trade");
		return;
	}
	c->status = 200;
	ts_jw_reset(&c->out);
	ts_jw_obj(&c->out);
	ts_jw_kstr(&c->out, "topic", t->name);
	ts_jw_key(&c->out, "trades");
	ts_jw_arr(&c->out);
	from = t->tr_n > (size_t)limit ? t->tr_n - (size_t)limit : 0;
	for (size_t i = from; i < t->tr_n; i++) {
		const struct gw_trade_slot *s = &t->tr[(t->tr_head + i) % GW_TRADES_KEEP];
		ts_jw_raw(&c->out, s->p, s->n);
	}
	ts_jw_arr_end(&c->out);
	ts_jw_obj_end(&c->out);
}

/* The scanner (ts-scan, its own issue) answers these once it runs. */
static void
op_scanner(struct gw_call *c)
{
	gw_call_error(c, 503, NULL, "the scanner is not running: ts-scan is not "
	    "reachable on this bus (%s needs it)", c->op);
}

static void
op_openapi(struct gw_call *c)
{
	c->status = 200;
	ts_jw_reset(&c->out);
	ts_jw_raw(&c->out, gw_openapi_json, strlen(gw_openapi_json));
}

static void op_alerts_list(struct gw_call *c) { gw_alerts_list(c); }
static void op_alerts_create(struct gw_call *c) { gw_alerts_create(c); }
static void op_alerts_delete(struct gw_call *c) { gw_alerts_edit(c, "rm"); }
static void op_alerts_enable(struct gw_call *c) { gw_alerts_edit(c, "enable"); }
static void op_alerts_disable(struct gw_call *c) { gw_alerts_edit(c, "disable"); }

static const struct op {
	const char *name;
	void (*fn)(struct gw_call *c);
	int writes;
} ops[] = {
	{ "health", op_health, 0 },
	{ "status", op_status, 0 },
	{ "markets", op_markets, 0 },
	{ "candles", op_candles, 0 },
	{ "book", op_book, 0 },
	{ "trades", op_trades, 0 },
	{ "alerts", op_alerts_list, 0 },
	{ "alerts_create", op_alerts_create, 1 },
	{ "alerts_delete", op_alerts_delete, 1 },
	{ "alerts_enable", op_alerts_enable, 1 },
	{ "alerts_disable", op_alerts_disable, 1 },
	{ "scan", op_scanner, 0 },
	{ "explain_price_action", op_scanner, 0 },
	{ "openapi", op_openapi, 0 },
};

static const struct op *
find_op(const char *name)
{
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(ops[i].name, name))
			return &ops[i];
	return NULL;
}

int
gw_op_known(const char *name, int *writes)
{
	const struct op *o = find_op(name);

	if (o && writes)
		*writes = o->writes;
	return o != NULL;
}

static void
run(struct gw_call *c)
{
	const struct op *o = find_op(c->op);

	if (!o) {
		gw_call_error(c, 404, NULL, "no operation '%s'", c->op);
	} else if (o->writes && !c->can_write) {
		gw_call_error(c, 403, NULL, "'%s' changes rules: it needs a read-write token",
		    c->op);
	} else {
		o->fn(c);
		if (c->waiting)
			return;
	}
	finish(c);
}

void
gw_call_start(struct gw_call *c)
{
	G.requests++;
	c->status = 500;
	c->cancelled = c->timed_out = c->waiting = 0;
	c->deadline = 0;
	run(c);
}
