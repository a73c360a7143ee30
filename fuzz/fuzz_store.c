/* fuzz_store.c: ts-store's trade and candle parsers on any JSON; what they
 * accept must write back (store_write_*) as text they read to the same
 * struct, digits and scales included. */
#include <string.h>

#include "../cmd/ts-store/store.h"
#include "fuzz.h"
#include "tm.h"
#include "topic.h"

static int
dec_same(struct ts_dec a, struct ts_dec b)
{
	return a.m == b.m && a.scale == b.scale;
}

static void
trade(const struct ts_jval *v)
{
	struct store_trade t, t2;
	struct ts_jw w = { 0 };
	struct ts_jval back;
	const char *why = NULL;

	memset(&t, 0, sizeof t);
	if (store_parse_trade(v, "coinbase", "BTC-USD", &t, &why)) {
		FUZZ_ASSERT(why && *why);
		return;
	}
	FUZZ_ASSERT(ts_ex_valid(t.ex) && ts_sym_valid(t.sym) && t.id[0]);
	FUZZ_ASSERT(ts_dec_sign(t.px) > 0 && ts_dec_sign(t.qty) >= 0 && t.ts >= 0);
	store_write_trade(&w, &t);
	FUZZ_ASSERT(!ts_json_parse(w.buf, w.len, &back, NULL));
	memset(&t2, 0, sizeof t2);
	FUZZ_ASSERT(!store_parse_trade(&back, NULL, NULL, &t2, &why));
	FUZZ_ASSERT(!strcmp(t.ex, t2.ex) && !strcmp(t.sym, t2.sym) && !strcmp(t.id, t2.id));
	FUZZ_ASSERT(dec_same(t.px, t2.px) && dec_same(t.qty, t2.qty));
	FUZZ_ASSERT(t.side == t2.side && t.ts == t2.ts && t.has_rt == t2.has_rt);
	FUZZ_ASSERT(!t.has_rt || t.rt == t2.rt);
	ts_jw_free(&w);
}

static void
candle(const struct ts_jval *v)
{
	struct store_candle c, c2;
	struct ts_jw w = { 0 };
	struct ts_jval back;
	const char *why = NULL;

	memset(&c, 0, sizeof c);
	if (store_parse_candle(v, "binance", "BTC-USDT", "1m", &c, &why)) {
		FUZZ_ASSERT(why && *why);
		return;
	}
	FUZZ_ASSERT(ts_ex_valid(c.ex) && ts_sym_valid(c.sym) && ts_tf_us(c.tf) > 0);
	store_write_candle(&w, &c);
	FUZZ_ASSERT(!ts_json_parse(w.buf, w.len, &back, NULL));
	memset(&c2, 0, sizeof c2);
	FUZZ_ASSERT(!store_parse_candle(&back, NULL, NULL, NULL, &c2, &why));
	FUZZ_ASSERT(!strcmp(c.ex, c2.ex) && !strcmp(c.sym, c2.sym) && !strcmp(c.tf, c2.tf));
	FUZZ_ASSERT(c.t == c2.t && c.closed == c2.closed);
	FUZZ_ASSERT(dec_same(c.o, c2.o) && dec_same(c.h, c2.h) && dec_same(c.l, c2.l) &&
	    dec_same(c.c, c2.c) && dec_same(c.v, c2.v));
	FUZZ_ASSERT(c.has_bv == c2.has_bv && (!c.has_bv || dec_same(c.bv, c2.bv)));
	FUZZ_ASSERT(c.has_n == c2.has_n && (!c.has_n || c.n == c2.n));
	ts_jw_free(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	struct ts_jval v;

	memcpy(s, data, size);
	if (!ts_json_parse(s, size, &v, NULL)) {
		trade(&v);
		candle(&v);
	}
	free(s);
	return 0;
}
