/* book.h: an L2 order book keyed by exact decimal prices */
#ifndef TS_BOOK_H
#define TS_BOOK_H

#include <stddef.h>

#include "dec.h"
#include "json.h"

enum ts_side { TS_BID = 0, TS_ASK = 1 };

/* A level keeps the exchange's own text for price and size (the scale of a
 * struct ts_dec), so what is published is what was received. */
struct ts_level {
	struct ts_dec px, qty;
};

/* Each side is a sorted run of chunks of at most TS_BOOK_CHUNK levels, best
 * level last (bids ascending, asks descending). A change costs a search and
 * a move of at most one chunk, wherever it is in the book: a real Coinbase
 * BTC-USD book holds 45,000 levels and changes them far from the top (p90
 * 76,000 ticks away, bench/sim/realism.md), where one flat array moved
 * tens of kilobytes a change. n[side] is the count; read levels with
 * ts_book_best, ts_book_at or an iterator, never the chunks. Zero-initialise;
 * ts_book_free releases the memory. */
#define TS_BOOK_CHUNK 64

struct ts_book_chunk {
	size_t n;
	struct ts_level lv[TS_BOOK_CHUNK];
};

struct ts_book {
	struct ts_book_chunk **c[2];
	struct ts_dec *last[2]; /* each chunk's last price: a search reads
	                         * these, not one chunk per step */
	size_t nc[2], capc[2], capl[2];
	size_t n[2];
};

/* Levels of a side best first:
 *	struct ts_book_it it = ts_book_iter(b, TS_BID);
 *	for (const struct ts_level *l; (l = ts_book_next(&it));) … */
struct ts_book_it {
	const struct ts_book *b;
	enum ts_side side;
	size_t c, i; /* the next is chunk c-1, level i-1 */
};

static inline struct ts_book_it
ts_book_iter(const struct ts_book *b, enum ts_side side)
{
	size_t nc = b->nc[side];
	return (struct ts_book_it){ b, side, nc, nc ? b->c[side][nc - 1]->n : 0 };
}

static inline const struct ts_level *
ts_book_next(struct ts_book_it *it)
{
	while (it->c > 0) {
		const struct ts_book_chunk *ch = it->b->c[it->side][it->c - 1];
		if (it->i > 0)
			return &ch->lv[--it->i];
		if (--it->c > 0)
			it->i = it->b->c[it->side][it->c - 1]->n;
	}
	return NULL;
}

/* The i-th best level of a side (0: the best), or NULL past the end; walks
 * the chunks from the top, so meant for the first few hundred. */
const struct ts_level *ts_book_at(const struct ts_book *b, enum ts_side side, size_t i);

void ts_book_free(struct ts_book *b);
/* Remove every level, keeping the memory. */
void ts_book_clear(struct ts_book *b);
/* Set a level's size; a size of zero removes it. Returns 1 when the book
 * changed, 0 when not (removing an absent level), -1 for a negative size. */
int ts_book_set(struct ts_book *b, enum ts_side side, struct ts_dec px, struct ts_dec qty);
/* The size at px, or NULL. */
const struct ts_level *ts_book_find(const struct ts_book *b, enum ts_side side, struct ts_dec px);
/* Best level of a side, or NULL when it is empty. */
const struct ts_level *ts_book_best(const struct ts_book *b, enum ts_side side);
/* 1 when the best bid is at or above the best ask: such a book is out of sync. */
int ts_book_crossed(const struct ts_book *b);
/* Keep at most `depth` levels per side (the best ones). */
void ts_book_truncate(struct ts_book *b, size_t depth);
/* 1 when both books hold the same levels at equal values. */
int ts_book_equal(const struct ts_book *a, const struct ts_book *b);

/* Apply one bus book message (DESIGN.md): "snapshot" replaces the book,
 * "delta" changes levels, "reset" empties it. Returns the type
 * (TS_BOOK_SNAPSHOT, TS_BOOK_DELTA, TS_BOOK_RESET), or -1 for a malformed
 * message (the book is left as it was before the bad level). */
enum { TS_BOOK_SNAPSHOT = 1, TS_BOOK_DELTA, TS_BOOK_RESET };
int ts_book_apply_msg(struct ts_book *b, const struct ts_jval *msg);

/* Append "bids":[[px,qty],…],"asks":[…] members (the top `depth` levels,
 * 0 for all) to an object being written. */
void ts_book_write(const struct ts_book *b, struct ts_jw *w, size_t depth);

#endif
