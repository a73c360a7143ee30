/* test_book.c: the exact-price order book */
#include "t.h"
#include "book.h"

static struct ts_dec
D(const char *s)
{
	struct ts_dec d = { 0, 0 };

	ts_dec_parse_str(s, &d);
	return d;
}

static void
test_sorted_sides(void)
{
	struct ts_book b = { 0 };

	ts_book_set(&b, TS_BID, D("100.5"), D("1"));
	ts_book_set(&b, TS_BID, D("101"), D("2"));
	ts_book_set(&b, TS_BID, D("99.99"), D("3"));
	ts_book_set(&b, TS_ASK, D("102"), D("1"));
	ts_book_set(&b, TS_ASK, D("101.50"), D("4"));
	CHECK_INT(b.n[TS_BID], 3);
	CHECK_INT(ts_dec_cmp(ts_book_best(&b, TS_BID)->px, D("101")), 0);
	CHECK_INT(ts_dec_cmp(ts_book_best(&b, TS_ASK)->px, D("101.5")), 0);
	CHECK_INT(ts_dec_cmp(ts_book_at(&b, TS_BID, 2)->px, D("99.99")), 0);
	CHECK_INT(ts_dec_cmp(ts_book_at(&b, TS_ASK, 1)->px, D("102")), 0);
	CHECK(!ts_book_crossed(&b));
	/* "101.00" is the same level as "101": updated, not added */
	CHECK_INT(ts_book_set(&b, TS_BID, D("101.00"), D("5")), 1);
	CHECK_INT(b.n[TS_BID], 3);
	CHECK_INT(ts_dec_cmp(ts_book_find(&b, TS_BID, D("101"))->qty, D("5")), 0);
	/* removing */
	CHECK_INT(ts_book_set(&b, TS_BID, D("101"), D("0")), 1);
	CHECK_INT(ts_book_set(&b, TS_BID, D("101"), D("0.000")), 0);
	CHECK_INT(b.n[TS_BID], 2);
	CHECK_INT(ts_book_set(&b, TS_BID, D("1"), D("-1")), -1);
	/* crossing */
	ts_book_set(&b, TS_BID, D("101.5"), D("1"));
	CHECK(ts_book_crossed(&b));
	ts_book_free(&b);
}

static void
test_apply_messages(void)
{
	const char *snap = "{\"type\":\"snapshot\",\"bids\":[[\"65000.10\",\"0.5\"],[65000.00,1.25]],"
			   "\"asks\":[[\"65000.20\",\"0.00001000\"]],\"seq\":1}";
	const char *delta = "{\"type\":\"delta\",\"bids\":[[\"65000.10\",\"0\"]],\"asks\":[[\"65000.30\",\"2\"]]}";
	const char *bad = "{\"type\":\"delta\",\"bids\":[[\"65000.10\"]]}";
	const char *reset = "{\"type\":\"reset\",\"reason\":\"gap\"}";
	struct ts_book b = { 0 };
	struct ts_jval v;
	struct ts_jw w = { 0 };

	ts_json_parse(snap, strlen(snap), &v, NULL);
	CHECK_INT(ts_book_apply_msg(&b, &v), TS_BOOK_SNAPSHOT);
	ts_json_parse(delta, strlen(delta), &v, NULL);
	CHECK_INT(ts_book_apply_msg(&b, &v), TS_BOOK_DELTA);
	CHECK_INT(b.n[TS_BID], 1);
	CHECK_INT(b.n[TS_ASK], 2);
	ts_jw_obj(&w);
	ts_book_write(&b, &w, 0);
	ts_jw_obj_end(&w);
	CHECK_STR(w.buf, "{\"bids\":[[65000.00,1.25]],\"asks\":[[65000.20,0.00001000],[65000.30,2]]}");
	ts_json_parse(bad, strlen(bad), &v, NULL);
	CHECK_INT(ts_book_apply_msg(&b, &v), -1);
	ts_json_parse(reset, strlen(reset), &v, NULL);
	CHECK_INT(ts_book_apply_msg(&b, &v), TS_BOOK_RESET);
	CHECK_INT(b.n[TS_BID] + b.n[TS_ASK], 0);
	ts_jw_free(&w);
	ts_book_free(&b);
}

static void
test_many_levels(void)
{
	struct ts_book a = { 0 }, b = { 0 };
	char px[32];

	for (int i = 0; i < 5000; i++) {
		snprintf(px, sizeof px, "%d.%02d", 60000 + (i * 7919) % 5000, i % 100);
		ts_book_set(&a, TS_BID, D(px), D("1"));
	}
	for (size_t i = 1; i < a.n[TS_BID]; i++)
		CHECK(ts_dec_cmp(ts_book_at(&a, TS_BID, i - 1)->px, ts_book_at(&a, TS_BID, i)->px) > 0);
	CHECK(!ts_book_equal(&a, &b));
	for (size_t i = a.n[TS_BID]; i-- > 0;)
		ts_book_set(&b, TS_BID, ts_book_at(&a, TS_BID, i)->px, ts_book_at(&a, TS_BID, i)->qty);
	CHECK(ts_book_equal(&a, &b));
	{
		struct ts_dec best = ts_book_best(&a, TS_BID)->px, tenth = ts_book_at(&a, TS_BID, 9)->px;
		ts_book_truncate(&a, 10);
		CHECK_INT(a.n[TS_BID], 10);
		/* the best ten are kept */
		CHECK_INT(ts_dec_cmp(ts_book_best(&a, TS_BID)->px, best), 0);
		CHECK_INT(ts_dec_cmp(ts_book_at(&a, TS_BID, 9)->px, tenth), 0);
	}
	ts_book_free(&a);
	ts_book_free(&b);
}

/* Chunks split, empty and merge under churn: a side is checked against a
 * plain array indexed by tick after every 1,000 of 200,000 random changes
 * (a third removals), with a band that drifts so chunks empty at both ends. */
static void
test_churn(void)
{
	enum { TICKS = 20000 };
	static int64_t ref[TICKS]; /* size in lots at tick i, 0 for none */
	struct ts_book b = { 0 };
	unsigned x = 12345;
	size_t n = 0;
	int ok = 1;

	for (int op = 0; op < 200000 && ok; op++) {
		int base = (op / 20) % (TICKS - 3000), t;
		int64_t q;
		x = x * 1103515245u + 12345u;
		t = base + (int)((x >> 8) % 3000);
		q = (x >> 4) % 3 == 0 ? 0 : 1 + (int64_t)((x >> 12) % 1000);
		n += (ref[t] == 0 && q) - (ref[t] && q == 0);
		ref[t] = q;
		ts_book_set(&b, TS_BID, (struct ts_dec){ 1000000 + t, 2 }, (struct ts_dec){ q, 0 });
		if (op % 1000 == 999) {
			struct ts_book_it it = ts_book_iter(&b, TS_BID);
			const struct ts_level *l;
			int i = TICKS;
			size_t k = 0;
			ok = b.n[TS_BID] == n;
			while (ok && (l = ts_book_next(&it))) { /* best (highest) first */
				while (--i >= 0 && !ref[i])
					;
				ok = i >= 0 && l->px.m == 1000000 + i && l->qty.m == ref[i] &&
				    ts_book_at(&b, TS_BID, k) == l;
				k++;
			}
			ok = ok && k == n;
			/* no run of near-empty chunks: at most one under a
			 * quarter full between two fuller ones, on average */
			ok = ok && b.nc[TS_BID] <= n / (TS_BOOK_CHUNK / 4) + 2;
		}
	}
	CHECK(ok);
	ts_book_truncate(&b, 100);
	CHECK_INT(b.n[TS_BID], 100);
	{
		int i = TICKS, k = 0;
		while (k < 100) {
			while (!ref[--i])
				;
			k++;
		}
		CHECK_INT(ts_book_at(&b, TS_BID, 99)->px.m, 1000000 + i);
		CHECK(ts_book_at(&b, TS_BID, 100) == NULL);
	}
	ts_book_free(&b);
}

int
main(void)
{
	RUN(test_sorted_sides);
	RUN(test_apply_messages);
	RUN(test_many_levels);
	RUN(test_churn);
	return DONE();
}
