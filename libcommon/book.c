/* book.c: sorted-array L2 book, best level last: most changes are near the
 * top, where a memmove is short, so this beats a tree for the thousands of
 * levels an exchange sends. (Best first, a change at the top of a Coinbase
 * book of 20,000 levels moved all of them: 70% of ts-feed's CPU.) */
#include "book.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

void
ts_book_free(struct ts_book *b)
{
	free(b->lv[0]);
	free(b->lv[1]);
	memset(b, 0, sizeof *b);
}

void
ts_book_clear(struct ts_book *b)
{
	b->n[0] = b->n[1] = 0;
}

/* ts_dec_cmp, inline for the usual case of prices at one scale */
static inline int
cmp_px(struct ts_dec a, struct ts_dec b)
{
	if (a.scale == b.scale)
		return (a.m > b.m) - (a.m < b.m);
	return ts_dec_cmp(a, b);
}

/* Index of px in side, or where it would go (*found says which). Bids are
 * sorted ascending, asks descending: the best is last. */
static size_t
search(const struct ts_book *b, enum ts_side side, struct ts_dec px, int *found)
{
	size_t lo = 0, hi = b->n[side];
	const struct ts_level *lv = b->lv[side];
	int dir = side == TS_BID ? 1 : -1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_px(lv[mid].px, px) * dir;
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

int
ts_book_set(struct ts_book *b, enum ts_side side, struct ts_dec px, struct ts_dec qty)
{
	int found;
	size_t i;

	if (ts_dec_sign(qty) < 0)
		return -1;
	i = search(b, side, px, &found);
	if (ts_dec_is_zero(qty)) {
		if (!found)
			return 0;
		memmove(&b->lv[side][i], &b->lv[side][i + 1],
		    (b->n[side] - i - 1) * sizeof(struct ts_level));
		b->n[side]--;
		return 1;
	}
	if (found) {
		b->lv[side][i].px = px;
		b->lv[side][i].qty = qty;
		return 1;
	}
	ts_xgrow((void **)&b->lv[side], &b->cap[side], b->n[side] + 1, sizeof(struct ts_level));
	memmove(&b->lv[side][i + 1], &b->lv[side][i],
	    (b->n[side] - i) * sizeof(struct ts_level));
	b->lv[side][i].px = px;
	b->lv[side][i].qty = qty;
	b->n[side]++;
	return 1;
}

const struct ts_level *
ts_book_find(const struct ts_book *b, enum ts_side side, struct ts_dec px)
{
	int found;
	size_t i = search(b, side, px, &found);

	return found ? &b->lv[side][i] : NULL;
}

const struct ts_level *
ts_book_best(const struct ts_book *b, enum ts_side side)
{
	return b->n[side] ? &b->lv[side][b->n[side] - 1] : NULL;
}

int
ts_book_crossed(const struct ts_book *b)
{
	const struct ts_level *bid = ts_book_best(b, TS_BID), *ask = ts_book_best(b, TS_ASK);

	return bid && ask && cmp_px(bid->px, ask->px) >= 0;
}

void
ts_book_truncate(struct ts_book *b, size_t depth)
{
	for (int s = 0; s < 2; s++)
		if (b->n[s] > depth) {
			memmove(b->lv[s], b->lv[s] + (b->n[s] - depth), depth * sizeof(struct ts_level));
			b->n[s] = depth;
		}
}

int
ts_book_equal(const struct ts_book *a, const struct ts_book *b)
{
	for (int s = 0; s < 2; s++) {
		if (a->n[s] != b->n[s])
			return 0;
		for (size_t i = 0; i < a->n[s]; i++)
			if (ts_dec_cmp(a->lv[s][i].px, b->lv[s][i].px) ||
			    ts_dec_cmp(a->lv[s][i].qty, b->lv[s][i].qty))
				return 0;
	}
	return 1;
}

/* Apply [[px,qty],…]; -1 at the first malformed level. */
static int
apply_side(struct ts_book *b, enum ts_side side, const struct ts_jval *levels)
{
	struct ts_jiter it, lt;
	struct ts_jval lv, pv, qv;
	struct ts_dec px, qty;

	if (levels->type != TS_J_ARR)
		return -1;
	ts_json_iter(&it, levels);
	while (ts_json_next(&it, NULL, &lv)) {
		if (lv.type != TS_J_ARR)
			return -1;
		ts_json_iter(&lt, &lv);
		if (!ts_json_next(&lt, NULL, &pv) || !ts_json_next(&lt, NULL, &qv) ||
		    ts_json_dec(&pv, &px) || ts_json_dec(&qv, &qty) ||
		    ts_book_set(b, side, px, qty) < 0)
			return -1;
	}
	return 0;
}

int
ts_book_apply_msg(struct ts_book *b, const struct ts_jval *msg)
{
	struct ts_jval type, bids, asks;
	int t;

	if (msg->type != TS_J_OBJ || ts_json_get(msg, "type", &type))
		return -1;
	if (ts_json_str_eq(&type, "reset")) {
		ts_book_clear(b);
		return TS_BOOK_RESET;
	}
	if (ts_json_str_eq(&type, "snapshot"))
		t = TS_BOOK_SNAPSHOT;
	else if (ts_json_str_eq(&type, "delta"))
		t = TS_BOOK_DELTA;
	else
		return -1;
	if (t == TS_BOOK_SNAPSHOT)
		ts_book_clear(b);
	if ((!ts_json_get(msg, "bids", &bids) && apply_side(b, TS_BID, &bids)) ||
	    (!ts_json_get(msg, "asks", &asks) && apply_side(b, TS_ASK, &asks)))
		return -1;
	return t;
}

void
ts_book_write(const struct ts_book *b, struct ts_jw *w, size_t depth)
{
	static const char *const names[2] = { "bids", "asks" };

	for (int s = 0; s < 2; s++) {
		size_t n = depth && depth < b->n[s] ? depth : b->n[s];
		ts_jw_key(w, names[s]);
		ts_jw_arr(w);
		for (size_t i = 0; i < n; i++) {
			ts_jw_arr(w);
			const struct ts_level *l = ts_book_at(b, (enum ts_side)s, i);
			ts_jw_dec(w, l->px);
			ts_jw_dec(w, l->qty);
			ts_jw_arr_end(w);
		}
		ts_jw_arr_end(w);
	}
}
