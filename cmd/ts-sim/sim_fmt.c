/* sim_fmt.c: ts-sim's message shapes: Coinbase Advanced Trade and Binance spot, written without stdio */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sim.h"

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
	sim_put_fix(b, px, s->px_scale, s->ex == SIM_BINANCE ? 8 : -1);
}

void
sim_put_qty(struct sim_buf *b, const struct sim_sym *s, int64_t qty)
{
	sim_put_fix(b, qty, s->qty_scale, s->ex == SIM_BINANCE ? 8 : -1);
}

/* {"channel":"CH","client_id":"","timestamp":"…","sequence_num": */
static void
cb_head(struct sim_buf *h, const char *channel, int64_t now_us)
{
	h->len = 0;
	SIM_PUTS(h, "{\"channel\":\"");
	sim_puts(h, channel);
	SIM_PUTS(h, "\",\"client_id\":\"\",\"timestamp\":\"");
	sim_put_time_ns(h, now_us);
	SIM_PUTS(h, "\",\"sequence_num\":");
}

static void
cb_update(struct sim_buf *t, const struct sim_sym *s, int side, int64_t px, int64_t qty,
    int64_t ts_us)
{
	SIM_PUTS(t, "{\"side\":\"");
	if (side)
		SIM_PUTS(t, "offer");
	else
		SIM_PUTS(t, "bid");
	SIM_PUTS(t, "\",\"event_time\":\"");
	sim_put_time_ns(t, ts_us);
	SIM_PUTS(t, "\",\"price_level\":\"");
	sim_put_px(t, s, px);
	SIM_PUTS(t, "\",\"new_quantity\":\"");
	sim_put_qty(t, s, qty);
	SIM_PUTS(t, "\"}");
}

void
sim_cb_l2(struct sim_buf *head, struct sim_buf *tail, const struct sim_event *ev)
{
	cb_head(head, "l2_data", ev->ts_us);
	tail->len = 0;
	SIM_PUTS(tail, ",\"events\":[{\"type\":\"update\",\"product_id\":\"");
	sim_puts(tail, ev->s->native);
	SIM_PUTS(tail, "\",\"updates\":[");
	for (int i = 0; i < ev->nchg; i++) {
		if (i)
			SIM_PUTS(tail, ",");
		cb_update(tail, ev->s, ev->chg[i].side, ev->chg[i].px, ev->chg[i].qty, ev->ts_us);
	}
	SIM_PUTS(tail, "]}]}");
}

void
sim_cb_l2_snapshot(struct sim_buf *head, struct sim_buf *tail, const struct sim_sym *s,
    int64_t now_us)
{
	int first = 1;

	cb_head(head, "l2_data", now_us);
	tail->len = 0;
	SIM_PUTS(tail, ",\"events\":[{\"type\":\"snapshot\",\"product_id\":\"");
	sim_puts(tail, s->native);
	SIM_PUTS(tail, "\",\"updates\":[");
	for (int side = 0; side < 2; side++)
		for (int i = 0; i < s->n[side]; i++) {
			if (!first)
				SIM_PUTS(tail, ",");
			first = 0;
			cb_update(tail, s, side, s->lv[side][i].px, s->lv[side][i].qty, now_us);
		}
	SIM_PUTS(tail, "]}]}");
}

static void
cb_trade(struct sim_buf *t, const struct sim_sym *s, const struct sim_trade *tr)
{
	SIM_PUTS(t, "{\"trade_id\":\"");
	sim_put_u64(t, tr->id);
	SIM_PUTS(t, "\",\"product_id\":\"");
	sim_puts(t, s->native);
	SIM_PUTS(t, "\",\"price\":\"");
	sim_put_px(t, s, tr->px);
	SIM_PUTS(t, "\",\"size\":\"");
	sim_put_qty(t, s, tr->qty);
	/* Coinbase documents side as the maker's: a taker buy hits a SELL */
	if (tr->taker_buy)
		SIM_PUTS(t, "\",\"side\":\"SELL\",\"time\":\"");
	else
		SIM_PUTS(t, "\",\"side\":\"BUY\",\"time\":\"");
	sim_put_time_ns(t, tr->ts_us);
	SIM_PUTS(t, "\"}");
}

void
sim_cb_trades(struct sim_buf *head, struct sim_buf *tail, const struct sim_event *ev)
{
	cb_head(head, "market_trades", ev->ts_us);
	tail->len = 0;
	SIM_PUTS(tail, ",\"events\":[{\"type\":\"update\",\"trades\":[");
	/* newest first, as Coinbase lists them */
	for (int i = ev->nfill - 1; i >= 0; i--) {
		cb_trade(tail, ev->s, &ev->fill[i]);
		if (i)
			SIM_PUTS(tail, ",");
	}
	SIM_PUTS(tail, "]}]}");
}

void
sim_cb_trades_snapshot(struct sim_buf *head, struct sim_buf *tail, const struct sim_sym *s,
    int count, int64_t now_us)
{
	int n = 0;

	cb_head(head, "market_trades", now_us);
	tail->len = 0;
	SIM_PUTS(tail, ",\"events\":[{\"type\":\"snapshot\",\"trades\":[");
	for (uint64_t id = s->next_trade_id; id > s->first_trade_id && n < count; id--) {
		const struct sim_trade *t = sim_trade_get(s, id - 1);
		if (!t)
			break;
		if (n++)
			SIM_PUTS(tail, ",");
		cb_trade(tail, s, t);
	}
	SIM_PUTS(tail, "]}]}");
}

void
sim_cb_heartbeat(struct sim_buf *head, struct sim_buf *tail, int64_t now_us, uint64_t counter,
    int64_t start_us)
{
	int64_t up = now_us - start_us;
	char when[40];
	size_t k;

	cb_head(head, "heartbeats", now_us);
	tail->len = 0;
	SIM_PUTS(tail, ",\"events\":[{\"current_time\":\"");
	/* Go's time.String(): "2026-08-09 21:05:48.854840045 +0000 UTC m=+41691.260485341" */
	{
		struct sim_buf t = { when, 0, sizeof when };
		sim_put_time_ns(&t, now_us);
		k = t.len;
	}
	when[10] = ' ';
	sim_put(tail, when, k - 1);
	SIM_PUTS(tail, " +0000 UTC m=+");
	sim_put_fix(tail, up < 0 ? 0 : up * 1000, 9, 9);
	SIM_PUTS(tail, "\",\"heartbeat_counter\":");
	sim_put_u64(tail, counter);
	SIM_PUTS(tail, "}]}");
}

void
sim_cb_subscriptions(struct sim_buf *head, struct sim_buf *tail, int64_t now_us, const char *subs)
{
	cb_head(head, "subscriptions", now_us);
	tail->len = 0;
	SIM_PUTS(tail, ",\"events\":[{\"subscriptions\":");
	sim_puts(tail, subs);
	SIM_PUTS(tail, "}]}");
}

static void
bn_levels(struct sim_buf *b, const struct sim_event *ev, int side)
{
	int first = 1;

	SIM_PUTS(b, "[");
	for (int i = 0; i < ev->nchg; i++) {
		if (ev->chg[i].side != side)
			continue;
		if (!first)
			SIM_PUTS(b, ",");
		first = 0;
		SIM_PUTS(b, "[\"");
		sim_put_px(b, ev->s, ev->chg[i].px);
		SIM_PUTS(b, "\",\"");
		sim_put_qty(b, ev->s, ev->chg[i].qty);
		SIM_PUTS(b, "\"]");
	}
	SIM_PUTS(b, "]");
}

void
sim_bn_depth(struct sim_buf *b, const struct sim_event *ev)
{
	SIM_PUTS(b, "{\"e\":\"depthUpdate\",\"E\":");
	sim_put_i64(b, ev->ts_us / 1000);
	SIM_PUTS(b, ",\"s\":\"");
	sim_puts(b, ev->s->native);
	SIM_PUTS(b, "\",\"U\":");
	sim_put_u64(b, ev->first_uid);
	SIM_PUTS(b, ",\"u\":");
	sim_put_u64(b, ev->last_uid);
	SIM_PUTS(b, ",\"b\":");
	bn_levels(b, ev, 0);
	SIM_PUTS(b, ",\"a\":");
	bn_levels(b, ev, 1);
	SIM_PUTS(b, "}");
}

void
sim_bn_trade(struct sim_buf *b, const struct sim_sym *s, const struct sim_trade *t, int64_t now_us)
{
	SIM_PUTS(b, "{\"e\":\"trade\",\"E\":");
	sim_put_i64(b, now_us / 1000);
	SIM_PUTS(b, ",\"s\":\"");
	sim_puts(b, s->native);
	SIM_PUTS(b, "\",\"t\":");
	sim_put_u64(b, t->id);
	SIM_PUTS(b, ",\"p\":\"");
	sim_put_px(b, s, t->px);
	SIM_PUTS(b, "\",\"q\":\"");
	sim_put_qty(b, s, t->qty);
	SIM_PUTS(b, "\",\"T\":");
	sim_put_i64(b, t->ts_us / 1000);
	/* m: the buyer is the maker, i.e. the taker sold */
	if (t->taker_buy)
		SIM_PUTS(b, ",\"m\":false,\"M\":true}");
	else
		SIM_PUTS(b, ",\"m\":true,\"M\":true}");
}

void
sim_truth_line(struct sim_buf *b, const struct sim_sym *s, const struct sim_trade *t)
{
	SIM_PUTS(b, "{\"ex\":\"");
	sim_puts(b, sim_ex_name(s->ex));
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
