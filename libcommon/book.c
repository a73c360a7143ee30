/* book.c: L2 book as sorted chunks of levels, best last (book.h says why) */
#include "book.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define HALF (TS_BOOK_CHUNK / 2)

void
ts_book_clear(struct ts_book *b)
{
	for (int s = 0; s < 2; s++) {
		for (size_t k = 0; k < b->nc[s]; k++)
			free(b->c[s][k]);
		b->nc[s] = b->n[s] = 0;
	}
}

void
ts_book_free(struct ts_book *b)
{
	ts_book_clear(b);
	for (int s = 0; s < 2; s++) {
		free(b->c[s]);
		free(b->last[s]);
	}
	memset(b, 0, sizeof *b);
}

/* ts_dec_cmp, inline for the usual case of prices at one scale */
static inline int
cmp_px(struct ts_dec a, struct ts_dec b)
{
	if (a.scale == b.scale)
		return (a.m > b.m) - (a.m < b.m);
	return ts_dec_cmp(a, b);
}

/* Where px is in side, or where it would go: chunk *c, index *i; returns 1
 * when found. The order is ascending for bids, descending for asks. */
static int
search(const struct ts_book *b, enum ts_side side, struct ts_dec px, size_t *c, size_t *i)
{
	struct ts_book_chunk *const *ch = b->c[side];
	const struct ts_dec *last = b->last[side];
	size_t lo = 0, hi = b->nc[side];
	int dir = side == TS_BID ? 1 : -1;
	const struct ts_level *lv;

	/* the first chunk whose last level is at or after px */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_px(last[mid], px) * dir < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == b->nc[side]) { /* after everything: the end of the last chunk */
		*c = lo ? lo - 1 : 0;
		*i = lo ? ch[lo - 1]->n : 0;
		return 0;
	}
	*c = lo;
	lv = ch[lo]->lv;
	lo = 0;
	hi = ch[*c]->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cmp_px(lv[mid].px, px) * dir;
		if (r == 0) {
			*i = mid;
			return 1;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*i = lo;
	return 0;
}

/* Chunk c changed: its last price again. */
static void
rekey(struct ts_book *b, enum ts_side side, size_t c)
{
	const struct ts_book_chunk *ch = b->c[side][c];

	b->last[side][c] = ch->lv[ch->n - 1].px;
}

/* Put a new, empty chunk at position c of side (rekey it once filled). */
static struct ts_book_chunk *
chunk_insert(struct ts_book *b, enum ts_side side, size_t c)
{
	struct ts_book_chunk *ch = ts_xmalloc(sizeof *ch);

	ch->n = 0;
	ts_xgrow((void **)&b->c[side], &b->capc[side], b->nc[side] + 1, sizeof *b->c[side]);
	ts_xgrow((void **)&b->last[side], &b->capl[side], b->nc[side] + 1, sizeof *b->last[side]);
	memmove(&b->c[side][c + 1], &b->c[side][c], (b->nc[side] - c) * sizeof *b->c[side]);
	memmove(&b->last[side][c + 1], &b->last[side][c], (b->nc[side] - c) * sizeof *b->last[side]);
	b->c[side][c] = ch;
	b->nc[side]++;
	return ch;
}

static void
chunk_remove(struct ts_book *b, enum ts_side side, size_t c)
{
	free(b->c[side][c]);
	memmove(&b->c[side][c], &b->c[side][c + 1], (b->nc[side] - c - 1) * sizeof *b->c[side]);
	memmove(&b->last[side][c], &b->last[side][c + 1],
	    (b->nc[side] - c - 1) * sizeof *b->last[side]);
	b->nc[side]--;
}

static void
remove_at(struct ts_book *b, enum ts_side side, size_t c, size_t i)
{
	struct ts_book_chunk *ch = b->c[side][c], *next;

	memmove(&ch->lv[i], &ch->lv[i + 1], (ch->n - i - 1) * sizeof ch->lv[0]);
	ch->n--;
	b->n[side]--;
	if (ch->n == 0) {
		chunk_remove(b, side, c);
		return;
	}
	/* a chunk under a quarter full takes in the next one when both fit in
	 * one, so churn cannot leave a book of near-empty chunks */
	if (ch->n < TS_BOOK_CHUNK / 4 && c + 1 < b->nc[side] &&
	    ch->n + (next = b->c[side][c + 1])->n <= TS_BOOK_CHUNK) {
		memcpy(&ch->lv[ch->n], next->lv, next->n * sizeof ch->lv[0]);
		ch->n += next->n;
		chunk_remove(b, side, c + 1);
	}
	rekey(b, side, c);
}

static void
insert_at(struct ts_book *b, enum ts_side side, size_t c, size_t i, struct ts_dec px,
    struct ts_dec qty)
{
	struct ts_book_chunk *ch;

	if (b->nc[side] == 0)
		chunk_insert(b, side, 0);
	ch = b->c[side][c];
	if (ch->n == TS_BOOK_CHUNK) { /* full: its upper half goes to a new chunk */
		struct ts_book_chunk *up = chunk_insert(b, side, c + 1);
		memcpy(up->lv, &ch->lv[HALF], (TS_BOOK_CHUNK - HALF) * sizeof ch->lv[0]);
		up->n = TS_BOOK_CHUNK - HALF;
		ch->n = HALF;
		rekey(b, side, c);
		rekey(b, side, c + 1);
		if (i > HALF) {
			ch = up;
			c++;
			i -= HALF;
		}
	}
	memmove(&ch->lv[i + 1], &ch->lv[i], (ch->n - i) * sizeof ch->lv[0]);
	ch->lv[i].px = px;
	ch->lv[i].qty = qty;
	ch->n++;
	b->n[side]++;
	rekey(b, side, c);
}

int
ts_book_set(struct ts_book *b, enum ts_side side, struct ts_dec px, struct ts_dec qty)
{
	size_t c, i;
	int found;

	if (ts_dec_sign(qty) < 0)
		return -1;
	found = search(b, side, px, &c, &i);
	if (ts_dec_is_zero(qty)) {
		if (!found)
			return 0;
		remove_at(b, side, c, i);
		return 1;
	}
	if (found) {
		b->c[side][c]->lv[i].px = px;
		b->c[side][c]->lv[i].qty = qty;
		rekey(b, side, c);
		return 1;
	}
	insert_at(b, side, c, i, px, qty);
	return 1;
}

const struct ts_level *
ts_book_find(const struct ts_book *b, enum ts_side side, struct ts_dec px)
{
	size_t c, i;

	return search(b, side, px, &c, &i) ? &b->c[side][c]->lv[i] : NULL;
}

const struct ts_level *
ts_book_best(const struct ts_book *b, enum ts_side side)
{
	const struct ts_book_chunk *ch;

	if (!b->nc[side])
		return NULL;
	ch = b->c[side][b->nc[side] - 1];
	return &ch->lv[ch->n - 1];
}

const struct ts_level *
ts_book_at(const struct ts_book *b, enum ts_side side, size_t i)
{
	for (size_t c = b->nc[side]; c-- > 0;) {
		const struct ts_book_chunk *ch = b->c[side][c];
		if (i < ch->n)
			return &ch->lv[ch->n - 1 - i];
		i -= ch->n;
	}
	return NULL;
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
	for (int s = 0; s < 2; s++) {
		size_t drop = b->n[s] > depth ? b->n[s] - depth : 0;
		/* the worst levels are at the front */
		while (drop && b->c[s][0]->n <= drop) {
			drop -= b->c[s][0]->n;
			b->n[s] -= b->c[s][0]->n;
			chunk_remove(b, (enum ts_side)s, 0);
		}
		if (drop) {
			struct ts_book_chunk *ch = b->c[s][0];
			memmove(ch->lv, &ch->lv[drop], (ch->n - drop) * sizeof ch->lv[0]);
			ch->n -= drop;
			b->n[s] -= drop;
		}
	}
}

int
ts_book_equal(const struct ts_book *a, const struct ts_book *b)
{
	for (int s = 0; s < 2; s++) {
		struct ts_book_it ia = ts_book_iter(a, (enum ts_side)s);
		struct ts_book_it ib = ts_book_iter(b, (enum ts_side)s);
		const struct ts_level *la, *lb;
		if (a->n[s] != b->n[s])
			return 0;
		while ((la = ts_book_next(&ia)) && (lb = ts_book_next(&ib)))
			if (ts_dec_cmp(la->px, lb->px) || ts_dec_cmp(la->qty, lb->qty))
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
		struct ts_book_it it = ts_book_iter(b, (enum ts_side)s);
		ts_jw_key(w, names[s]);
		ts_jw_arr(w);
		for (size_t i = 0; i < n; i++) {
			const struct ts_level *l = ts_book_next(&it);
			ts_jw_arr(w);
			ts_jw_dec(w, l->px);
			ts_jw_dec(w, l->qty);
			ts_jw_arr_end(w);
		}
		ts_jw_arr_end(w);
	}
}
