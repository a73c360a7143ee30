/* test_sim: ts-sim's market model (determinism, book and trade consistency, candles), the protocols' messages (through sim_ex.h, with a fake core) and REST */
#include <stdlib.h>
#include <string.h>

#include "book.h"
#include "json.h"
#include "sim.h"
#include "sim_ex.h"
#include "sim_replay.h"
#include "t.h"

#define T0 INT64_C(1786309548000000) /* 2026-08-09T21:05:48Z */

#define SIM_COINBASE sim_ex_find("coinbase")
#define SIM_BINANCE sim_ex_find("binance")

/* ---- a fake core: the frames a protocol queues go into `sent` ---- */

static struct sim_market *fake_market;
static struct sim_buf sent;   /* the frames, each followed by a newline */
static int nsent, nbad;

struct sim_market *sim_the_market(void) { return fake_market; }
int sim_replaying(void) { return 0; }
int64_t sim_start_us(void) { return T0; }
void sim_close_after_drain(struct sim_conn *c) { (void)c; }
void sim_replay_start(struct sim_conn *c) { (void)c; }
struct sim_conn *sim_conn_next(const struct sim_ex *x, struct sim_conn *prev)
{
	(void)x;
	(void)prev;
	return NULL;
}
void sim_bad_input(const char *fmt, ...) { (void)fmt; nbad++; }

void
sim_send3(struct sim_conn *c, const char *a, size_t an, const char *b, size_t bn,
    const char *d, size_t dn)
{
	(void)c;
	sim_put(&sent, a, an);
	sim_put(&sent, b, bn);
	sim_put(&sent, d, dn);
	SIM_PUTS(&sent, "\n");
	nsent++;
}

void
sim_send(struct sim_conn *c, const char *p, size_t n)
{
	sim_send3(c, p, n, NULL, 0, NULL, 0);
}

/* A connection of exchange x (free c->xd). */
static struct sim_conn
fake_conn(const struct sim_ex *x)
{
	struct sim_conn c;
	memset(&c, 0, sizeof c);
	c.ex = x;
	c.xd = calloc(1, x->conn_size ? x->conn_size : 1);
	return c;
}

/* The last frame sent, as a NUL-terminated string in `last`. */
static char last[1 << 20];
static const char *
last_frame(void)
{
	size_t end = sent.len, start;
	if (end == 0)
		return "";
	start = end - 1;
	while (start > 0 && sent.p[start - 1] != '\n')
		start--;
	snprintf(last, sizeof last, "%.*s", (int)(end - 1 - start), sent.p + start);
	return last;
}

static void
market(struct sim_market *m, uint64_t seed, const struct sim_ex *ex, const char *sym)
{
	const char *why;
	memset(m, 0, sizeof *m);
	m->seed = seed;
	m->rr = seed;
	if (!sim_market_add(m, ex, sym, T0, &why))
		printf("#   cannot add %s: %s\n", sym, why);
}

static struct ts_dec
dec_of(const struct sim_sym *s, int64_t v, int px)
{
	struct sim_buf b = { 0 };
	struct ts_dec d = { 0, 0 };
	if (px)
		sim_put_px(&b, s, v);
	else
		sim_put_qty(&b, s, v);
	ts_dec_parse(b.p, b.len, &d);
	sim_buf_free(&b);
	return d;
}

static void
book_of(struct ts_book *b, const struct sim_sym *s)
{
	ts_book_clear(b);
	for (int side = 0; side < 2; side++)
		for (int i = 0; i < s->n[side]; i++)
			ts_book_set(b, (enum ts_side)side, dec_of(s, s->lv[side][i].px, 1),
			    dec_of(s, s->lv[side][i].qty, 0));
}

static void
test_fix_format(void)
{
	struct sim_buf b = { 0 };
#define FIX(v, sc, dg, want) do { b.len = 0; sim_put_fix(&b, v, sc, dg); \
	sim_put(&b, "", 1); CHECK_STR(b.p, want); } while (0)
	FIX(6500012, 2, 8, "65000.12000000");
	FIX(6500000, 2, -1, "65000");
	FIX(6500010, 2, -1, "65000.1");
	FIX(5, 8, -1, "0.00000005");
	FIX(0, 8, 8, "0.00000000");
	FIX(0, 8, -1, "0");
	FIX(-125, 2, -1, "-1.25");
	FIX(123456789, 8, 8, "1.23456789");
	b.len = 0;
	sim_put_time_ns(&b, T0 + 228568);
	sim_put(&b, "", 1);
	CHECK_STR(b.p, "2026-08-09T21:05:48.228568000Z");
	sim_buf_free(&b);
}

/* Same seed, same market; another seed, another one. */
static int
same_event(const struct sim_event *a, const struct sim_event *b)
{
	if (a->nchg != b->nchg || a->nfill != b->nfill || a->first_uid != b->first_uid)
		return 0;
	for (int i = 0; i < a->nchg; i++)
		if (a->chg[i].side != b->chg[i].side || a->chg[i].px != b->chg[i].px ||
		    a->chg[i].qty != b->chg[i].qty)
			return 0;
	for (int i = 0; i < a->nfill; i++)
		if (a->fill[i].id != b->fill[i].id || a->fill[i].px != b->fill[i].px ||
		    a->fill[i].qty != b->fill[i].qty || a->fill[i].taker_buy != b->fill[i].taker_buy)
			return 0;
	return 1;
}

static void
test_deterministic(void)
{
	struct sim_market a, b, c;
	struct sim_event ea, eb, ec;
	int same = 1, differ = 0;

	market(&a, 42, SIM_BINANCE, "BTC-USDT");
	market(&b, 42, SIM_BINANCE, "BTC-USDT");
	market(&c, 43, SIM_BINANCE, "BTC-USDT");
	for (int i = 0; i < 20000; i++) {
		int64_t t = T0 + i * 1000;
		sim_market_step(&a, a.sym[0], t, &ea);
		sim_market_step(&b, b.sym[0], t, &eb);
		sim_market_step(&c, c.sym[0], t, &ec);
		if (!same_event(&ea, &eb))
			same = 0;
		if (!same_event(&ea, &ec))
			differ = 1;
	}
	CHECK(same);
	CHECK(differ);
	CHECK(a.trades > 1000);
	CHECK_INT(a.trades, b.trades);
	sim_market_free(&a);
	sim_market_free(&b);
	sim_market_free(&c);
}

/* A client that applies every event's changes to the snapshot it got ends
 * with the simulator's book; trades take exactly what left the book. */
static void
test_book_consistent(void)
{
	struct sim_market m;
	struct ts_book mirror = { 0 }, truth = { 0 };
	struct sim_event ev;
	int crossed = 0, unsorted = 0, shallow = 0, deep = 0, badfill = 0, equal = 1;
	uint64_t last_u;

	market(&m, 7, SIM_COINBASE, "ETH-USD");
	book_of(&mirror, m.sym[0]);
	last_u = m.sym[0]->update_id;
	for (int i = 0; i < 50000; i++) {
		struct sim_sym *s = m.sym[0];
		int64_t best_other[2] = { s->lv[0][0].px, s->lv[1][0].px };
		sim_market_step(&m, s, T0 + i * 100, &ev);
		if (ev.first_uid != last_u + 1 || ev.last_uid != last_u + (uint64_t)ev.nchg)
			equal = 0;
		last_u = ev.last_uid;
		for (int k = 0; k < ev.nfill; k++) {
			/* a buy takes asks from the best one up, a sell bids down */
			if (ev.fill[k].taker_buy ? ev.fill[k].px < best_other[1] :
			    ev.fill[k].px > best_other[0])
				badfill++;
			if (ev.fill[k].qty <= 0)
				badfill++;
		}
		for (int k = 0; k < ev.nchg; k++)
			ts_book_set(&mirror, (enum ts_side)ev.chg[k].side,
			    dec_of(s, ev.chg[k].px, 1), dec_of(s, ev.chg[k].qty, 0));
		for (int side = 0; side < 2; side++) {
			if (s->n[side] < SIM_MIN_DEPTH - SIM_MAX_FILL)
				shallow++;
			if (s->n[side] > sim_max_depth(s->ex))
				deep++;
			for (int j = 1; j < s->n[side]; j++)
				if (side ? s->lv[1][j].px <= s->lv[1][j - 1].px :
				    s->lv[0][j].px >= s->lv[0][j - 1].px)
					unsorted++;
		}
		if (s->lv[0][0].px >= s->lv[1][0].px)
			crossed++;
		if (i % 997 == 0) {
			book_of(&truth, s);
			if (!ts_book_equal(&mirror, &truth))
				equal = 0;
		}
	}
	book_of(&truth, m.sym[0]);
	CHECK(ts_book_equal(&mirror, &truth));
	CHECK(equal);
	CHECK_INT(crossed, 0);
	CHECK_INT(unsorted, 0);
	CHECK_INT(shallow, 0);
	CHECK_INT(deep, 0);
	CHECK_INT(badfill, 0);
	ts_book_free(&mirror);
	ts_book_free(&truth);
	sim_market_free(&m);
}

/* Candles served are made of the trades that were generated. */
static void
test_candles_from_trades(void)
{
	struct sim_market m;
	struct sim_event ev;
	struct sim_candle c[64];
	int64_t vol = 0, hi = 0, lo = INT64_MAX, n = 0, cv = 0, cn = 0, ch = 0, cl = INT64_MAX;
	size_t k;
	struct sim_sym *s;

	market(&m, 9, SIM_BINANCE, "ETH-USDT");
	s = m.sym[0];
	for (int i = 0; i < 30000; i++) { /* 30000 events over 10 minutes */
		sim_market_step(&m, s, T0 + (int64_t)i * 20000, &ev);
		for (int j = 0; j < ev.nfill; j++) {
			vol += ev.fill[j].qty;
			n++;
			if (ev.fill[j].px > hi)
				hi = ev.fill[j].px;
			if (ev.fill[j].px < lo)
				lo = ev.fill[j].px;
		}
	}
	k = sim_candles(s, 60, T0 / 1000000 - 60, T0 / 1000000 + 700, 0, c, 64);
	CHECK(k >= 10);
	for (size_t i = 0; i < k; i++) {
		if (c[i].t < s->start_min)
			continue; /* generated history */
		cv += c[i].v;
		cn += c[i].n;
		if (c[i].h > ch)
			ch = c[i].h;
		if (c[i].l < cl)
			cl = c[i].l;
		CHECK(c[i].l <= c[i].o && c[i].o <= c[i].h);
		CHECK(c[i].l <= c[i].c && c[i].c <= c[i].h);
	}
	CHECK_INT(cv, vol);
	CHECK_INT(cn, n);
	CHECK_INT(ch, hi);
	CHECK_INT(cl, lo);
	/* an hour made of the same minutes */
	k = sim_candles(s, 3600, s->start_min / 3600 * 3600, T0 / 1000000 + 700, 0, c, 64);
	CHECK(k >= 1);
	/* history before the start is there and ends at the opening price */
	k = sim_candles(s, 60, s->start_min - 120, s->start_min - 60, 0, c, 64);
	CHECK_INT(k, 2);
	if (k == 2)
		CHECK_INT(c[1].c, s->open_px);
	sim_market_free(&m);
}

static int
parse_str(const char *p, struct ts_jval *v)
{
	return ts_json_parse(p, strlen(p), v, NULL);
}

static void
test_messages(void)
{
	const struct sim_ex *cb = SIM_COINBASE, *bn = SIM_BINANCE;
	struct sim_market m;
	struct sim_event ev;
	struct sim_conn c;
	struct ts_jval v, x;
	char buf[64];
	int64_t seq = -1;
	int trades = 0;
	static const char sub[] =
	    "{\"type\":\"subscribe\",\"channel\":\"level2\",\"product_ids\":[\"BTC-USD\"]}";

	CHECK(cb != NULL && bn != NULL);
	if (!cb || !bn)
		return;
	/* Coinbase: a subscription gets the snapshot, then the subscriptions */
	market(&m, 3, cb, "BTC-USD");
	fake_market = &m;
	c = fake_conn(cb);
	sent.len = 0;
	nsent = 0;
	cb->ws_receive(&c, sub, sizeof sub - 1);
	CHECK_INT(nsent, 2);
	CHECK(c.sub[0] & SIM_SUB_BOOK);
	CHECK_INT(ts_json_parse(sent.p, (size_t)((char *)memchr(sent.p, '\n', sent.len) - sent.p),
	    &v, NULL), 0);
	CHECK_INT(ts_json_get_str(&v, "channel", buf, sizeof buf) > 0, 1);
	CHECK_STR(buf, "l2_data");
	CHECK_INT(ts_json_get_i64(&v, "sequence_num", &seq), 0);
	CHECK_INT(seq, 0);
	CHECK_INT(parse_str(last_frame(), &v), 0);
	CHECK_INT(ts_json_get_str(&v, "channel", buf, sizeof buf) > 0, 1);
	CHECK_STR(buf, "subscriptions");
	for (int i = 0; i < 200 && !trades; i++) {
		sim_market_step(&m, m.sym[0], T0, &ev);
		if (!ev.nfill)
			continue;
		trades = 1;
		cb->send_trades(&c, &ev, 1);
		CHECK_INT(parse_str(last_frame(), &v), 0);
		CHECK_INT(ts_json_get(&v, "events", &x), 0);
		CHECK_INT(ts_json_get_i64(&v, "sequence_num", &seq), 0);
		CHECK_INT(seq, 2);
		/* the maker side: a taker buy is listed as SELL */
		CHECK(strstr(last, ev.fill[0].taker_buy ? "\"side\":\"SELL\"" : "\"side\":\"BUY\"") != NULL);
	}
	CHECK(trades);
	/* a lost book message still takes its sequence number */
	nsent = 0;
	cb->send_book(&c, &ev, 1, SIM_COPIES_LOST);
	CHECK_INT(nsent, 0);
	cb->send_book(&c, &ev, 1, SIM_COPIES_TWICE);
	CHECK_INT(nsent, 2);
	CHECK_INT(parse_str(last_frame(), &v), 0);
	CHECK_INT(ts_json_get_i64(&v, "sequence_num", &seq), 0);
	CHECK_INT(seq, 4);
	free(c.xd);
	sim_market_free(&m);

	/* Binance: a raw payload, and the same wrapped for a combined stream */
	market(&m, 3, bn, "BTC-USDT");
	fake_market = &m;
	sim_market_step(&m, m.sym[0], T0, &ev);
	c = fake_conn(bn);
	bn->send_book(&c, &ev, 1, SIM_COPIES_ONE);
	CHECK_INT(parse_str(last_frame(), &v), 0);
	CHECK_INT(ts_json_get_str(&v, "s", buf, sizeof buf) > 0, 1);
	CHECK_STR(buf, "BTCUSDT");
	{
		int64_t U = 0, u = 0;
		CHECK_INT(ts_json_get_i64(&v, "U", &U), 0);
		CHECK_INT(ts_json_get_i64(&v, "u", &u), 0);
		CHECK_INT(U, (int64_t)ev.first_uid);
		CHECK_INT(u, (int64_t)ev.last_uid);
	}
	free(c.xd);
	c = fake_conn(bn);
	CHECK_INT(bn->ws_open(&c, "/stream", "streams=btcusdt@depth@100ms"), 0);
	CHECK(c.sub[0] & SIM_SUB_BOOK);
	bn->send_book(&c, &ev, 1, SIM_COPIES_ONE);
	CHECK_INT(parse_str(last_frame(), &v), 0);
	CHECK_INT(ts_json_get_str(&v, "stream", buf, sizeof buf) > 0, 1);
	CHECK_STR(buf, "btcusdt@depth@100ms");
	CHECK_INT(ts_json_get(&v, "data", &x), 0);
	free(c.xd);
	sim_market_free(&m);
	sim_buf_free(&sent);
}

static void
rest(struct sim_market *m, const char *path, const char *q, struct sim_resp *r, struct ts_jval *v)
{
	sim_rest(m, ~0u, path, q, T0 + 600 * INT64_C(1000000), r);
	if (ts_json_parse(r->body.p, r->body.len, v, NULL) < 0) {
		printf("#   %s?%s: not JSON: %.*s\n", path, q, (int)r->body.len, r->body.p);
		t_failed_checks++;
	}
}

static void
test_rest(void)
{
	struct sim_market m = { .seed = 5 };
	struct sim_resp r = { 0 };
	struct sim_event ev;
	struct ts_jval v, x;
	char buf[64];
	const char *why;
	int64_t i64;

	sim_market_add(&m, SIM_COINBASE, "BTC-USD", T0, &why);
	sim_market_add(&m, SIM_BINANCE, "BTC-USDT", T0, &why);
	for (int i = 0; i < 3000; i++)
		sim_market_step(&m, m.sym[i % 2], T0 + i * INT64_C(100000), &ev);

	rest(&m, "/api/v3/brokerage/market/products", "", &r, &v);
	CHECK_INT(r.status, 200);
	CHECK_INT(ts_json_get(&v, "products", &x), 0);
	CHECK_INT(ts_json_len(&x), 1);
	rest(&m, "/api/v3/brokerage/market/products/NOPE-USD/candles", "granularity=ONE_MINUTE", &r, &v);
	CHECK_INT(r.status, 404);
	CHECK_INT(ts_json_get_str(&v, "error", buf, sizeof buf) > 0, 1);
	CHECK_STR(buf, "NOT_FOUND");
	rest(&m, "/api/v3/brokerage/market/products/BTC-USD/candles",
	    "start=1786309000&end=1786310000&granularity=ONE_MINUTE", &r, &v);
	CHECK_INT(r.status, 200);
	CHECK_INT(ts_json_get(&v, "candles", &x), 0);
	CHECK(ts_json_len(&x) >= 10);
	rest(&m, "/api/v3/brokerage/market/products/BTC-USD/candles",
	    "start=1786000000&end=1786310000&granularity=ONE_MINUTE", &r, &v);
	CHECK_INT(r.status, 400);
	rest(&m, "/api/v3/brokerage/market/products/BTC-USD/ticker", "limit=5", &r, &v);
	CHECK_INT(r.status, 200);
	CHECK_INT(ts_json_get(&v, "trades", &x), 0);
	CHECK_INT(ts_json_len(&x), 5);

	rest(&m, "/api/v3/exchangeInfo", "", &r, &v);
	CHECK_INT(r.status, 200);
	CHECK(strstr(r.body.p, "\"tickSize\":\"0.01000000\"") != NULL);
	rest(&m, "/api/v3/depth", "symbol=BTCUSDT&limit=5", &r, &v);
	CHECK_INT(r.status, 200);
	CHECK_INT(ts_json_get_i64(&v, "lastUpdateId", &i64), 0);
	CHECK_INT(i64, (int64_t)m.sym[1]->update_id);
	CHECK_INT(ts_json_get(&v, "bids", &x), 0);
	CHECK_INT(ts_json_len(&x), 5);
	rest(&m, "/api/v3/depth", "symbol=NOPEUSDT", &r, &v);
	CHECK_INT(r.status, 400);
	CHECK_INT(ts_json_get_i64(&v, "code", &i64), 0);
	CHECK_INT(i64, -1121);
	rest(&m, "/api/v3/historicalTrades", "symbol=BTCUSDT&limit=3&fromId=0", &r, &v);
	CHECK_INT(r.status, 200);
	{
		uint64_t first = m.sym[1]->first_trade_id;
		char q[96];
		snprintf(q, sizeof q, "symbol=BTCUSDT&limit=3&fromId=%llu", (unsigned long long)first + 2);
		rest(&m, "/api/v3/historicalTrades", q, &r, &v);
		CHECK_INT(ts_json_len(&v), 3);
		struct ts_jiter it;
		ts_json_iter(&it, &v);
		CHECK(ts_json_next(&it, NULL, &x));
		CHECK_INT(ts_json_get_i64(&x, "id", &i64), 0);
		CHECK_INT(i64, (int64_t)first + 2);
	}
	rest(&m, "/api/v3/trades", "symbol=BTCUSDT&limit=7", &r, &v);
	CHECK_INT(ts_json_len(&v), 7);
	rest(&m, "/api/v3/klines", "symbol=BTCUSDT&interval=1m&limit=1000", &r, &v);
	CHECK_INT(r.status, 200);
	CHECK_INT(ts_json_len(&v), 1000);
	rest(&m, "/api/v3/klines", "symbol=BTCUSDT&interval=1M&limit=2", &r, &v);
	CHECK_INT(r.status, 200);
	rest(&m, "/api/v3/klines", "symbol=BTCUSDT&interval=7m", &r, &v);
	CHECK_INT(r.status, 400);
	sim_buf_free(&r.body);
	sim_market_free(&m);
}

static void
test_query(void)
{
	char b[16];
	CHECK_INT(sim_query_get("a=1&symbol=BTCUSDT&limit=5", "symbol", b, sizeof b), 1);
	CHECK_STR(b, "BTCUSDT");
	CHECK_INT(sim_query_get("xsymbol=1", "symbol", b, sizeof b), 0);
	CHECK_INT(sim_query_get("", "symbol", b, sizeof b), 0);
}

/* Paths go to the exchange whose pattern matches most of them; the
 * registry is in name order. */
static void
test_routes(void)
{
	const struct sim_ex *prev = NULL;

	CHECK_INT(sim_path_match("/ws/btcusdt@trade", "/ws/*"), 4);
	CHECK_INT(sim_path_match("/ws", "/ws/*"), 0);
	CHECK_INT(sim_path_match("/ws", "/ws"), 3);
	CHECK_INT(sim_path_match("/wsx", "/ws"), 0);
	CHECK(sim_rest_owner("/api/v3/brokerage/market/products/BTC-USD/candles") == SIM_COINBASE);
	CHECK(sim_rest_owner("/api/v3/depth") == SIM_BINANCE);
	CHECK(sim_rest_owner("/nothing") == NULL);
	CHECK(SIM_BINANCE->ws_match("/ws/btcusdt@trade") > 0);
	CHECK(SIM_BINANCE->ws_match("/") == 0);
	CHECK(SIM_COINBASE->ws_match("/") > 0);
	for (const struct sim_ex *x = sim_ex_first(); x; prev = x, x = x->next)
		CHECK(!prev || strcmp(prev->name, x->name) < 0);
	CHECK(strstr(sim_ex_names(), "binance, ") != NULL && strstr(sim_ex_names(), "coinbase") != NULL);
}

static void
test_replay_load(void)
{
	struct sim_replay r;
	char err[256], path[512];
	const char *top = getenv("TS_TOP");

	snprintf(path, sizeof path, "%s/tests/data/sim/binance.jsonl.zst", top ? top : ".");
	if (sim_replay_load(&r, path, err, sizeof err) < 0) {
		printf("#   %s\n", err);
		t_failed_checks++;
		return;
	}
	CHECK_STR(r.exchange, "BINANCE");
	CHECK(r.nrecv > 10);
	CHECK(sim_replay_http(&r, "/api/v3/depth", "symbol=NKNUSDT&limit=1000") != NULL);
	CHECK(sim_replay_http(&r, "/api/v3/depth", "symbol=NKNUSDT&limit=50") != NULL);
	CHECK(sim_replay_http(&r, "/api/v3/depth", "symbol=BTCUSDT") == NULL);
	{
		/* the replay's truth: the recorded snapshot, then the diffs after it */
		struct sim_rtruth t;
		const struct sim_rsym *s;
		int64_t snap_u = 0;
		sim_rtruth_init(&t, &r, SIM_BINANCE);
		s = sim_rtruth_find(&t, "NKN-USDT");
		CHECK(s != NULL && s->have_book && s->book.n[0] > 0 && s->book.n[1] > 0);
		CHECK(sim_rtruth_find(&t, "NKNUSDT") == s);
		CHECK(sim_rtruth_find(&t, "BTC-USDT") == NULL);
		if (s)
			snap_u = s->last_u;
		sim_rtruth_advance(&t, &r, r.nrecv);
		CHECK_INT(t.pos, r.nrecv);
		CHECK_INT(t.bad, 0);
		s = sim_rtruth_find(&t, "NKN-USDT"); /* the table may have grown */
		CHECK(s != NULL && s->last_u > snap_u && !ts_book_crossed(&s->book));
		sim_rtruth_advance(&t, &r, r.nrecv + 5); /* beyond the end: no more */
		CHECK_INT(t.pos, r.nrecv);
		sim_rtruth_free(&t);
	}
	sim_replay_free(&r);
	CHECK(sim_replay_load(&r, "/nonexistent.jsonl.zst", err, sizeof err) < 0);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The generated stream has the recordings' shape (bench/sim/realism.md):
 * level changes per book message, deletes, distance from the top, trades
 * per taker order, book depth; a level appears once in a message; no book
 * is ever crossed. */
static void
realism(const struct sim_ex *ex, const char *sym, double levels, double deletes, int64_t p50_lo,
    int64_t p50_hi, int depth_lo)
{
	struct sim_market m;
	struct sim_event ev;
	enum { STEPS = 20000 };
	int64_t *dist = malloc(STEPS * SIM_MAX_CHG * sizeof *dist);
	long nchg = 0, ndel = 0, nd = 0, ntrade = 0, nfill = 0, repeated = 0, crossed = 0;

	market(&m, 5, ex, sym);
	for (int i = 0; i < STEPS; i++) {
		struct sim_sym *s = m.sym[0];
		int64_t best[2] = { s->lv[0][0].px, s->lv[1][0].px };
		sim_market_step(&m, s, T0 + i * 1000, &ev);
		nchg += ev.nchg;
		ntrade += ev.nfill > 0;
		nfill += ev.nfill;
		for (int k = 0; k < ev.nchg; k++) {
			const struct sim_chg *c = &ev.chg[k];
			int64_t d = (c->side ? c->px - best[1] : best[0] - c->px) / s->tick;
			ndel += c->qty == 0;
			dist[nd++] = d < 0 ? 0 : d;
			for (int j = 0; j < k; j++)
				repeated += ev.chg[j].side == c->side && ev.chg[j].px == c->px;
		}
		crossed += s->lv[0][0].px >= s->lv[1][0].px;
	}
	qsort(dist, (size_t)nd, sizeof *dist, cmp_i64);
	printf("#   %s %s: %.2f levels a message, %.1f%% deletes, p50 %lld ticks from the top, "
	    "%.2f trades a taker order, depth %d/%d\n", ex->name, sym,
	    (double)nchg / STEPS, 100.0 * (double)ndel / (double)nchg, (long long)dist[nd / 2],
	    (double)nfill / (double)ntrade, m.sym[0]->n[0], m.sym[0]->n[1]);
	CHECK((double)nchg / STEPS > levels * 0.85 && (double)nchg / STEPS < levels * 1.15);
	CHECK((double)ndel / (double)nchg > deletes * 0.8 && (double)ndel / (double)nchg < deletes * 1.2);
	CHECK(dist[nd / 2] >= p50_lo && dist[nd / 2] <= p50_hi);
	CHECK((double)nfill / (double)ntrade > 1.2 && (double)nfill / (double)ntrade < 1.6);
	for (int side = 0; side < 2; side++)
		CHECK(m.sym[0]->n[side] >= depth_lo && m.sym[0]->n[side] <= sim_max_depth(ex));
	CHECK_INT(repeated, 0);
	CHECK_INT(crossed, 0);
	free(dist);
	sim_market_free(&m);
}

static void
test_realism(void)
{
	/* recorded: 2.38 levels, 8.3% deletes, p50 4 ticks; 174..1000 levels */
	realism(SIM_BINANCE, "BTC-USDT", 2.38, 0.083, 2, 8, 500);
	/* recorded: 6.29 levels, 24.4% deletes, p50 482 ticks; thousands */
	realism(SIM_COINBASE, "BTC-USD", 6.29, 0.244, 300, 700, 3000);
}

int
main(void)
{
	RUN(test_fix_format);
	RUN(test_deterministic);
	RUN(test_book_consistent);
	RUN(test_realism);
	RUN(test_candles_from_trades);
	RUN(test_messages);
	RUN(test_rest);
	RUN(test_query);
	RUN(test_routes);
	RUN(test_replay_load);
	return DONE();
}
