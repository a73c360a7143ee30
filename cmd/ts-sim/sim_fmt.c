/* sim_fmt.c: ts-sim's output buffers, numbers and times in the exchanges' text, the truth's shapes; no stdio */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sim.h"
#include "sim_ex.h"

void
sim_buf_need(struct sim_buf *b, size_t n)
{
	if (b->len + n > b->cap)
		ts_xgrow((void **)&b->p, &b->cap, b->len + n + 256, 1);
}

void
sim_buf_free(struct sim_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
sim_puts(struct sim_buf *b, const char *s)
{
	sim_put(b, s, strlen(s));
}

void
sim_put_u64(struct sim_buf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sim_put(b, tmp + i, sizeof tmp - (size_t)i);
}

void
sim_put_i64(struct sim_buf *b, int64_t v)
{
	if (v < 0) {
		SIM_PUTS(b, "-");
		sim_put_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		sim_put_u64(b, (uint64_t)v);
	}
}

void
sim_put_fix(struct sim_buf *b, int64_t v, int scale, int digits)
{
	char tmp[48];
	int i = sizeof tmp, neg = v < 0, frac;
	uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	/* pad or cut the fraction to `digits` (when trimming, to scale) */
	frac = digits < 0 ? scale : digits;
	if (frac > scale) {
		for (int k = 0; k < frac - scale; k++)
			tmp[--i] = '0';
	} else {
		for (int k = 0; k < scale - frac; k++)
			u /= 10; /* only when digits < scale: never used to round */
	}
	for (int k = 0; k < (frac < scale ? frac : scale); k++) {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	}
	if (frac > 0)
		tmp[--i] = '.';
	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg)
		tmp[--i] = '-';
	{
		size_t n = sizeof tmp - (size_t)i;
		if (digits < 0 && frac > 0) {
			while (tmp[i + (int)n - 1] == '0')
				n--;
			if (tmp[i + (int)n - 1] == '.')
				n--;
		}
		sim_put(b, tmp + i, n);
	}
}

void
sim_put_time_ns(struct sim_buf *b, int64_t us)
{
	/* cache the date and time of the current second: one gmtime a second */
	static int64_t cached_sec = INT64_MIN;
	static char head[24];
	int64_t sec = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
	int64_t frac = us - sec * 1000000;
	char f[16];

	if (sec != cached_sec) {
		time_t t = (time_t)sec;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S.", &tm);
		cached_sec = sec;
	}
	sim_put(b, head, 20);
	for (int i = 5; i >= 0; i--) {
		f[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	memcpy(f + 6, "000Z", 4);
	sim_put(b, f, 10);
}

void
sim_put_px(struct sim_buf *b, const struct sim_sym *s, int64_t px)
{
	sim_put_fix(b, px, s->px_scale, s->ex->digits);
}

void
sim_put_qty(struct sim_buf *b, const struct sim_sym *s, int64_t qty)
{
	sim_put_fix(b, qty, s->qty_scale, s->ex->digits);
}

void
sim_truth_line(struct sim_buf *b, const struct sim_sym *s, const struct sim_trade *t)
{
	SIM_PUTS(b, "{\"ex\":\"");
	sim_puts(b, s->ex->name);
	SIM_PUTS(b, "\",\"sym\":\"");
	sim_puts(b, s->sym);
	SIM_PUTS(b, "\",\"id\":\"");
	sim_put_u64(b, t->id);
	SIM_PUTS(b, "\",\"px\":");
	sim_put_px(b, s, t->px);
	SIM_PUTS(b, ",\"qty\":");
	sim_put_qty(b, s, t->qty);
	if (t->taker_buy)
		SIM_PUTS(b, ",\"side\":\"buy\"}");
	else
		SIM_PUTS(b, ",\"side\":\"sell\"}");
}

void
sim_truth_book(struct sim_buf *b, const struct sim_sym *s)
{
	SIM_PUTS(b, "{\"bids\":[");
	for (int side = 0; side < 2; side++) {
		if (side)
			SIM_PUTS(b, "],\"asks\":[");
		for (int i = 0; i < s->n[side]; i++) {
			if (i)
				SIM_PUTS(b, ",");
			SIM_PUTS(b, "[");
			sim_put_px(b, s, s->lv[side][i].px);
			SIM_PUTS(b, ",");
			sim_put_qty(b, s, s->lv[side][i].qty);
			SIM_PUTS(b, "]");
		}
	}
	SIM_PUTS(b, "]}");
}
