/* fuzz_book.c: sequences of bus book messages (one JSON object a line)
 * through ts_book_apply_msg, checked after each against a naive reference
 * book and for the invariants every consumer relies on: each side sorted
 * best first with no two levels at one price and no empty level; what
 * ts_book_write prints reads back as the same book. ts_book_apply_msg does
 * not refuse a crossed book (ts-feed checks that), so crossing is only
 * checked to agree with ts_book_crossed. */
#include <string.h>

#include "book.h"
#include "fuzz.h"

#define REF_MAX 4096

struct ref {
	struct ts_level lv[2][REF_MAX];
	size_t n[2];
	int overflow;
};

static void
ref_set(struct ref *r, int side, struct ts_dec px, struct ts_dec qty)
{
	for (size_t i = 0; i < r->n[side]; i++)
		if (!ts_dec_cmp(r->lv[side][i].px, px)) {
			if (ts_dec_is_zero(qty))
				r->lv[side][i] = r->lv[side][--r->n[side]];
			else
				r->lv[side][i].qty = qty;
			return;
		}
	if (ts_dec_is_zero(qty))
		return;
	if (r->n[side] == REF_MAX) {
		r->overflow = 1;
		return;
	}
	r->lv[side][r->n[side]].px = px;
	r->lv[side][r->n[side]++].qty = qty;
}

/* The reference reading of one message: -1 when it is not a valid one. */
static int
ref_apply(struct ref *r, const struct ts_jval *msg)
{
	static const char *const names[2] = { "bids", "asks" };
	struct ts_jval type, side, lv, pv, qv;
	struct ts_jiter it, lt;
	struct ts_dec px, qty;

	if (msg->type != TS_J_OBJ || ts_json_get(msg, "type", &type))
		return -1;
	if (ts_json_str_eq(&type, "reset")) {
		r->n[0] = r->n[1] = 0;
		return 0;
	}
	if (ts_json_str_eq(&type, "snapshot"))
		r->n[0] = r->n[1] = 0;
	else if (!ts_json_str_eq(&type, "delta"))
		return -1;
	for (int s = 0; s < 2; s++) {
		if (ts_json_get(msg, names[s], &side))
			continue;
		if (side.type != TS_J_ARR)
			return -1;
		ts_json_iter(&it, &side);
		while (ts_json_next(&it, NULL, &lv)) {
			if (lv.type != TS_J_ARR)
				return -1;
			ts_json_iter(&lt, &lv);
			if (!ts_json_next(&lt, NULL, &pv) || !ts_json_next(&lt, NULL, &qv) ||
			    ts_json_dec(&pv, &px) || ts_json_dec(&qv, &qty) || ts_dec_sign(qty) < 0)
				return -1;
			ref_set(r, s, px, qty);
		}
	}
	return 0;
}

static void
check_book(const struct ts_book *b)
{
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < b->n[s]; i++) {
			const struct ts_level *l = ts_book_at(b, s, i);
			FUZZ_ASSERT(ts_dec_sign(l->qty) > 0);
			if (i) /* best first: each worse than the one before */
				FUZZ_ASSERT(ts_dec_cmp(ts_book_at(b, s, i - 1)->px, l->px) ==
				    (s == TS_BID ? 1 : -1));
			FUZZ_ASSERT(ts_book_find(b, s, l->px) == l);
		}
	FUZZ_ASSERT(ts_book_crossed(b) == (b->n[0] && b->n[1] &&
	    ts_dec_cmp(ts_book_at(b, TS_BID, 0)->px, ts_book_at(b, TS_ASK, 0)->px) >= 0));
}

static void
check_equal(const struct ts_book *b, const struct ref *r)
{
	for (int s = 0; s < 2; s++) {
		FUZZ_ASSERT(b->n[s] == r->n[s]);
		for (size_t i = 0; i < r->n[s]; i++) {
			const struct ts_level *l = ts_book_find(b, s, r->lv[s][i].px);
			FUZZ_ASSERT(l && !ts_dec_cmp(l->qty, r->lv[s][i].qty));
		}
	}
}

/* Print the book as a snapshot and read it into a fresh book. */
static void
check_write(const struct ts_book *b)
{
	struct ts_jw w = { 0 };
	struct ts_jval v;
	struct ts_book c = { 0 };

	ts_jw_obj(&w);
	ts_jw_kstr(&w, "type", "snapshot");
	ts_book_write(b, &w, 0);
	ts_jw_obj_end(&w);
	FUZZ_ASSERT(!ts_json_parse(w.buf, w.len, &v, NULL));
	FUZZ_ASSERT(ts_book_apply_msg(&c, &v) == TS_BOOK_SNAPSHOT);
	FUZZ_ASSERT(ts_book_equal(b, &c));
	ts_book_free(&c);
	ts_jw_free(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref r;
	struct ts_book b = { 0 };
	const char *p = (const char *)data, *end = p + size;
	int msgs = 0;

	memset(&r, 0, sizeof r);
	while (p < end && msgs++ < 64) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = malloc(n ? n : 1);
		struct ts_jval v;
		int t, rt;

		memcpy(line, p, n);
		p += n + (nl != NULL);
		if (ts_json_parse(line, n, &v, NULL)) {
			free(line);
			continue;
		}
		t = ts_book_apply_msg(&b, &v);
		rt = ref_apply(&r, &v);
		FUZZ_ASSERT((t < 0) == (rt < 0));
		FUZZ_ASSERT(t < 0 || t == TS_BOOK_SNAPSHOT || t == TS_BOOK_DELTA ||
		    t == TS_BOOK_RESET);
		free(line);
		check_book(&b);
		if (r.overflow)
			break;
		/* after a bad message too: the levels before the bad one were
		 * applied by both, in the same order */
		check_equal(&b, &r);
		check_write(&b);
	}
	ts_book_free(&b);
	return 0;
}
