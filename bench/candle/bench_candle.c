/* bench_candle.c: trades per second aggregated into all 15 timeframes at once
 *
 *   bench_candle [N]          in-process: N trades (default 5000000) through
 *                             ts_candle_trade into 15 series
 *   bench_candle -w N FILE    write N trade JSON lines for the pipeline run */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candle.h"
#include "tm.h"

struct gen {
	uint64_t x;
	int64_t ts, px;
};

static uint64_t
rnd(struct gen *g)
{
	g->x ^= g->x << 13;
	g->x ^= g->x >> 7;
	g->x ^= g->x << 17;
	return g->x;
}

/* about 2000 trades a second of market time, a random walk in cents */
static void
next(struct gen *g, int64_t *ts, struct ts_dec *px, struct ts_dec *qty, int *buy)
{
	uint64_t r = rnd(g);

	g->ts += (int64_t)(r % 1000);
	g->px += (int64_t)((r >> 10) % 21) - 10;
	*ts = g->ts;
	*px = (struct ts_dec){ g->px, 2 };
	*qty = (struct ts_dec){ (int64_t)((r >> 20) % 5000000) + 1, 8 };
	*buy = (int)((r >> 40) & 1);
}

static uint64_t closed;

static void
on_closed(void *arg, const struct ts_candle_series *s, const struct ts_candle *c)
{
	(void)arg, (void)s, (void)c;
	closed++;
}

int
main(int argc, char **argv)
{
	struct gen g = { 88172645463325252ULL, INT64_C(1704067200000000), 6500000 };
	long n = 5000000;

	if (argc == 4 && !strcmp(argv[1], "-w")) {
		FILE *f = fopen(argv[3], "w");
		char p[TS_DEC_STRLEN], q[TS_DEC_STRLEN];
		n = atol(argv[2]);
		if (!f)
			return 111;
		for (long i = 0; i < n; i++) {
			int64_t ts;
			struct ts_dec px, qty;
			int buy;
			next(&g, &ts, &px, &qty, &buy);
			ts_dec_fmt(px, p, sizeof p);
			ts_dec_fmt(qty, q, sizeof q);
			fprintf(f, "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"id\":\"%ld\",\"px\":%s,"
			    "\"qty\":%s,\"side\":\"%s\",\"ts\":%lld,\"rt\":%lld,\"seq\":%ld}\n",
			    i + 1, p, q, buy ? "buy" : "sell", (long long)ts, (long long)ts, i + 1);
		}
		return fclose(f) ? 111 : 0;
	}
	if (argc > 1)
		n = atol(argv[1]);
	{
		struct ts_candle_series s[TS_TF_COUNT];
		int64_t *ts = malloc((size_t)n * sizeof *ts);
		struct ts_dec *px = malloc((size_t)n * sizeof *px);
		struct ts_dec *qty = malloc((size_t)n * sizeof *qty);
		int *buy = malloc((size_t)n * sizeof *buy);
		int64_t t0, t1;

		for (long i = 0; i < n; i++)
			next(&g, &ts[i], &px[i], &qty[i], &buy[i]);
		for (int k = 0; k < TS_TF_COUNT; k++)
			ts_candle_series_init(&s[k], ts_tf_us(ts_tf_names[k]), 500);
		t0 = ts_mono_us();
		for (long i = 0; i < n; i++)
			for (int k = 0; k < TS_TF_COUNT; k++)
				ts_candle_trade(&s[k], ts[i], px[i], qty[i], buy[i], on_closed, NULL);
		t1 = ts_mono_us();
		printf("%ld trades into %d timeframes in %.3f s: %.2f M trades/s "
		    "(%.1f M candle updates/s), %llu candles closed, 1w volume %s\n",
		    n, TS_TF_COUNT, (double)(t1 - t0) / 1e6,
		    (double)n / ((double)(t1 - t0) / 1e6) / 1e6,
		    (double)n * TS_TF_COUNT / ((double)(t1 - t0) / 1e6) / 1e6,
		    (unsigned long long)closed, "exact");
		for (int k = 0; k < TS_TF_COUNT; k++)
			ts_candle_series_free(&s[k]);
		free(ts), free(px), free(qty), free(buy);
	}
	return 0;
}
