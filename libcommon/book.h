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

/* Sorted arrays, best level LAST (bids ascending, asks descending): most
 * changes are near the top of the book, and there an insert or a removal
 * moves only the few levels above it. Read levels best first with
 * ts_book_at; n[side] is the count. Zero-initialise; ts_book_free releases
 * the memory. */
struct ts_book {
	struct ts_level *lv[2];
	size_t n[2], cap[2];
};

/* The i-th best level of a side (0: the best); i < n[side]. */
static inline const struct ts_level *
ts_book_at(const struct ts_book *b, enum ts_side side, size_t i)
{
	return &b->lv[side][b->n[side] - 1 - i];
}

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
