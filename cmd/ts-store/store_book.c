/* store_book.c: order books kept from bus messages and sampled at a cadence
 * (best bid/ask, spread, mid, depth binned in basis points around the mid) */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "tm.h"

struct bk {
	struct ts_book b;
	char ex[48], sym[48];
	int live, dirty;
	int64_t ts;
};

struct books {
	struct books_conf c;
	struct ts_map map; /* "ex/sym" -> struct bk * */
	struct ts_dec *bins; /* 2 * nbins */
	struct ts_jw w;
};

struct books *
books_new(const struct books_conf *c)
{
	struct books *b = ts_xcalloc(1, sizeof *b);

	b->c = *c;
	if (b->c.nbins < 1)
		b->c.nbins = 10;
	if (b->c.bin_bps < 1)
		b->c.bin_bps = 5;
	b->bins = ts_xcalloc(2 * (size_t)b->c.nbins, sizeof *b->bins);
	return b;
}

void
books_free(struct books **bp)
{
	struct books *b = *bp;
	struct ts_map_entry *e;
	size_t i = 0;

	if (!b)
		return;
	while ((e = ts_map_next(&b->map, &i))) {
		struct bk *k = e->v.p;
		ts_book_free(&k->b);
		free(k);
	}
	ts_map_clear(&b->map);
	ts_jw_free(&b->w);
	free(b->bins);
	free(b);
	*bp = NULL;
}

int
books_apply(struct books *b, const char *ex, const char *sym, const struct ts_jval *obj)
{
	char key[96];
	struct ts_map_entry *e;
	struct bk *k;
	int created, r;
	int64_t ts;

	snprintf(key, sizeof key, "%s/%s", ex, sym);
	e = ts_map_put(&b->map, key, &created);
	if (created) {
		e->v.p = ts_xcalloc(1, sizeof *k);
		k = e->v.p;
		snprintf(k->ex, sizeof k->ex, "%s", ex);
		snprintf(k->sym, sizeof k->sym, "%s", sym);
	}
	k = e->v.p;
	/* a delta before the first snapshot would build a partial book */
	r = ts_book_apply_msg(&k->b, obj);
	if (r < 0) {
		k->live = 0; /* not trusted until the next snapshot */
		return -1;
	}
	if (r == TS_BOOK_SNAPSHOT)
		k->live = 1;
	else if (r == TS_BOOK_RESET)
		k->live = 0;
	if (!k->live)
		return 0;
	k->dirty = 1;
	if (ts_json_get_i64(obj, "ts", &ts) == 0 && ts > 0)
		k->ts = ts;
	else
		k->ts = ts_now_us();
	return 0;
}

static void
add_to(struct ts_dec *bin, struct ts_dec q)
{
	struct ts_dec sum;

	if (!ts_dec_add(*bin, q, &sum) ||
	    !ts_dec_add(ts_dec_norm(*bin), ts_dec_norm(q), &sum))
		*bin = sum;
	else
		ts_warn("book depth bin overflows; a size was left out");
}

/* The exact mid: half the sum, one more digit when the sum is odd. */
static struct ts_dec
mid_of(struct ts_dec bid, struct ts_dec ask)
{
	struct ts_dec s;

	if (ts_dec_add(bid, ask, &s))
		return bid;
	if (s.m % 2 == 0) {
		s.m /= 2;
	} else if (s.scale < TS_DEC_MAX_SCALE && s.m < INT64_MAX / 5) {
		s.m *= 5;
		s.scale++;
	} else {
		s.m /= 2; /* cannot be exact at 18 digits: truncated */
	}
	return s;
}

static void
bins_json(struct ts_jw *w, const struct ts_dec *bins, int n)
{
	ts_jw_reset(w);
	ts_jw_arr(w);
	for (int i = 0; i < n; i++)
		ts_jw_dec(w, bins[i]);
	ts_jw_arr_end(w);
}

static int
sample(struct books *b, struct bk *k, struct store *s, struct influx *ix)
{
	const struct ts_level *bb = ts_book_best(&k->b, TS_BID), *ba = ts_book_best(&k->b, TS_ASK);
	char t[6][TS_DEC_STRLEN];
	const char *tp[6] = { t[0], t[1], t[2], t[3], t[4], t[5] };
	struct ts_dec spread, mid;
	char *bid_bins, *ask_bins, *levels = NULL;
	int nb = b->c.nbins, r = 0;
	double mid_d;

	if (!bb || !ba || ts_book_crossed(&k->b))
		return 0;
	if (ts_dec_sub(ba->px, bb->px, &spread))
		return 0;
	mid = mid_of(bb->px, ba->px);
	mid_d = ts_dec_to_double(mid);
	memset(b->bins, 0, 2 * (size_t)nb * sizeof *b->bins);
	for (int side = 0; side < 2; side++) {
		struct ts_book_it it = ts_book_iter(&k->b, (enum ts_side)side);
		for (const struct ts_level *lv; (lv = ts_book_next(&it));) {
			double d = (ts_dec_to_double(lv->px) - mid_d) / mid_d * 1e4;
			long bin;
			if (side == TS_BID)
				d = -d;
			bin = d <= 0 ? 0 : (long)(d / b->c.bin_bps);
			if (bin >= nb)
				bin = nb - 1; /* the outer bin catches the rest */
			add_to(&b->bins[side * nb + bin], lv->qty);
		}
	}
	ts_dec_fmt(bb->px, t[0], sizeof t[0]);
	ts_dec_fmt(bb->qty, t[1], sizeof t[1]);
	ts_dec_fmt(ba->px, t[2], sizeof t[2]);
	ts_dec_fmt(ba->qty, t[3], sizeof t[3]);
	ts_dec_fmt(spread, t[4], sizeof t[4]);
	ts_dec_fmt(mid, t[5], sizeof t[5]);
	if (s) {
		int64_t market = store_market(s, k->ex, k->sym, 1);
		bins_json(&b->w, b->bins, nb);
		bid_bins = ts_xstrdup(b->w.buf);
		bins_json(&b->w, b->bins + nb, nb);
		ask_bins = ts_xstrdup(b->w.buf);
		if (b->c.levels > 0) {
			ts_jw_reset(&b->w);
			ts_jw_obj(&b->w);
			ts_book_write(&k->b, &b->w, (size_t)b->c.levels);
			ts_jw_obj_end(&b->w);
			levels = b->w.buf;
		}
		if (market >= 0)
			r = store_book_row(s, market, k->ts, tp, bid_bins, ask_bins,
			    b->c.bin_bps, levels) > 0;
		free(bid_bins);
		free(ask_bins);
	}
	if (ix)
		influx_book(ix, k->ex, k->sym, k->ts, tp, b->bins, nb);
	return r || (!s && ix);
}

int
books_sample(struct books *b, struct store *s, struct influx *ix, int64_t now)
{
	struct ts_map_entry *e;
	size_t i = 0;
	int n = 0;

	(void)now;
	while ((e = ts_map_next(&b->map, &i))) {
		struct bk *k = e->v.p;
		if (!k->live || !k->dirty)
			continue;
		k->dirty = 0;
		n += sample(b, k, s, ix);
	}
	return n;
}
