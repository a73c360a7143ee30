/* test_map.c: the string-keyed hash map */
#include "t.h"
#include "map.h"

#include <stdio.h>

static void
test_put_get_del(void)
{
	struct ts_map m = { 0 };
	char key[32];
	int created;

	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof key, "trades/x/K%d-USD", i);
		ts_map_put(&m, key, &created)->v.u = (uint64_t)i;
		CHECK(created);
	}
	CHECK_INT(m.len, 10000);
	for (int i = 0; i < 10000; i += 7) {
		snprintf(key, sizeof key, "trades/x/K%d-USD", i);
		CHECK(ts_map_get(&m, key) && ts_map_get(&m, key)->v.u == (uint64_t)i);
	}
	ts_map_put(&m, "trades/x/K5-USD", &created);
	CHECK(!created);
	for (int i = 0; i < 10000; i += 2) {
		snprintf(key, sizeof key, "trades/x/K%d-USD", i);
		CHECK_INT(ts_map_del(&m, key), 1);
	}
	CHECK_INT(ts_map_del(&m, "nope"), 0);
	CHECK_INT(m.len, 5000);
	CHECK(ts_map_get(&m, "trades/x/K2-USD") == NULL);
	CHECK(ts_map_get(&m, "trades/x/K3-USD") != NULL);
	/* reinsert over tombstones */
	for (int i = 0; i < 10000; i += 2) {
		snprintf(key, sizeof key, "trades/x/K%d-USD", i);
		ts_map_put(&m, key, &created);
		CHECK(created);
	}
	CHECK_INT(m.len, 10000);
	ts_map_clear(&m);
	CHECK_INT(m.len, 0);
}

static void
test_iterate(void)
{
	struct ts_map m = { 0 };
	struct ts_map_entry *e;
	size_t i = 0;
	uint64_t sum = 0;
	int n = 0;

	for (int k = 1; k <= 100; k++) {
		char key[16];
		snprintf(key, sizeof key, "k%d", k);
		ts_map_put(&m, key, NULL)->v.u = (uint64_t)k;
	}
	while ((e = ts_map_next(&m, &i))) {
		sum += e->v.u;
		n++;
		if (e->v.u % 2)
			ts_map_del(&m, e->key); /* deleting while iterating is allowed */
	}
	CHECK_INT(n, 100);
	CHECK_INT(sum, 5050);
	CHECK_INT(m.len, 50);
	ts_map_clear(&m);
}

int
main(void)
{
	RUN(test_put_get_del);
	RUN(test_iterate);
	return DONE();
}
