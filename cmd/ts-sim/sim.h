/* sim.h: ts-sim's market model, output buffers and REST plumbing (no lws here) */
#ifndef TS_SIM_H
#define TS_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sim_ex; /* an exchange protocol: sim_ex.h */

#define SIM_MAX_SYMS 64
#define SIM_MIN_DEPTH 20    /* a cancel never takes a side below this */
#define SIM_MAX_FILL 8      /* trades of one taker order */
#define SIM_MAX_CHG 64      /* level changes of one book message */
#define SIM_RING 65536      /* trades kept per symbol (a power of two) */
#define SIM_HIST_MIN (7 * 1440) /* minutes of generated history before start */
#define SIM_SEC_RING 3600   /* one-second candles kept */

/*
 * How an exchange's book moves (its protocol file's struct sim_profile,
 * measured on its recordings: see bench/sim/realism.md). A message's level
 * count is geometric with levels_mean. Each change falls in a band of
 * distance from the top of its side (in ticks) with the band's share of
 * changes; in the band it is a new level, a cancelled one or a new
 * quantity, the first two weighted by how far the band's level count is
 * from `levels`, so the book keeps the recorded shape and share of deletes.
 */
struct sim_band {
	int64_t hi;    /* the band is [previous hi, hi) ticks from the top */
	double share;  /* of the changes */
	double levels; /* a side holds this many in it, on average */
};

struct sim_profile {
	double levels_mean;  /* level changes in one book message */
	double delete_share; /* of the level changes */
	double trade_share;  /* book messages that come with a taker order */
	double sweep_mean;   /* trades (levels touched) of one taker order */
	int max_depth;       /* levels a side holds at most */
	int nband;
	struct sim_band band[24];
};

/* Prices are integers at px_scale decimals, sizes at qty_scale decimals. */
struct sim_level {
	int64_t px, qty;
};

struct sim_trade {
	uint64_t id;
	int64_t px, qty, ts_us;
	int taker_buy;
};

/* An OHLCV bucket; n == 0 means no trade in it. */
struct sim_candle {
	int64_t t; /* open time, seconds */
	int64_t o, h, l, c, v, bv, n;
	double qv, qbv; /* quote volume, all and taker buys */
};

struct sim_sym {
	const struct sim_ex *ex;
	int idx;
	char sym[24];    /* canonical: BTC-USD */
	char base[12], quote[12];
	char native[24]; /* the exchange's name: BTC-USD, BTCUSDT */
	char lower[24];  /* native in lower case (Binance stream names: btcusdt) */
	int px_scale, qty_scale;
	int64_t tick, step; /* price increment and size increment */
	/* [0] bids best first, [1] asks; n[side] levels from lv[side][0]. lv
	 * points into lvbuf, with room before and after it, so a level near the
	 * top moves only the levels above it. */
	struct sim_level *lv[2];
	int n[2];
	struct sim_level *lvbuf[2];
	int lvcap; /* entries of each lvbuf */
	uint64_t rng;
	uint64_t next_trade_id, first_trade_id;
	uint64_t update_id; /* last book update id (Binance U/u) */
	uint64_t ntrades;
	struct sim_trade *ring; /* SIM_RING entries; ring[id & (SIM_RING-1)] */
	int64_t start_us, start_min; /* start time; its minute (seconds, aligned) */
	int64_t open_px;             /* mid at start */
	struct sim_candle *hist;     /* SIM_HIST_MIN generated minutes, oldest first; lazy */
	struct sim_candle *live;     /* minutes since start_min */
	size_t nlive, cap_live;
	struct sim_candle sec[SIM_SEC_RING]; /* sec[t % SIM_SEC_RING] */
};

/* A level change (qty 0 removes it) and the trades of one market event. */
struct sim_chg {
	int side;
	int64_t px, qty;
};
struct sim_event {
	struct sim_sym *s;
	int64_t ts_us;
	int nchg, nfill;
	struct sim_chg chg[SIM_MAX_CHG];
	struct sim_trade fill[SIM_MAX_FILL];
	uint64_t first_uid, last_uid; /* update ids of the event (Binance U and u) */
};

struct sim_market {
	struct sim_sym *sym[SIM_MAX_SYMS];
	int nsym;
	uint64_t seed;
	uint64_t rr;    /* which symbol moves next */
	FILE *truth;    /* --truth: one line per trade, or NULL */
	uint64_t events, trades;
};

/* Add a symbol of an exchange (canonical name). Everything about it follows
 * from seed, exchange and name. Returns it, or NULL with *why set for a
 * malformed name or when the table is full. */
struct sim_sym *sim_market_add(struct sim_market *m, const struct sim_ex *ex,
    const char *sym, int64_t now_us, const char **why);
void sim_market_free(struct sim_market *m);
/* The symbol of an exchange by canonical or native name, or NULL. */
struct sim_sym *sim_market_find(const struct sim_market *m, const struct sim_ex *ex,
    const char *name);
/* Move symbol s by one book message's worth: level changes (new, changed
 * and cancelled levels, how many and how far from the top as in the
 * exchange's recordings) and, sometimes, a taker order that sweeps levels.
 * Fills ev, records trades (ring, candles, truth). */
void sim_market_step(struct sim_market *m, struct sim_sym *s, int64_t now_us,
    struct sim_event *ev);
/* The most levels a side of a book of exchange ex holds. */
int sim_max_depth(const struct sim_ex *ex);
/* The symbol that moves next (deterministic round robin by seed). */
struct sim_sym *sim_market_pick(struct sim_market *m);
/* A trade by id, or NULL when it is not (or no longer) in the ring. */
const struct sim_trade *sim_trade_get(const struct sim_sym *s, uint64_t id);
/* Candles of `sec` seconds (a multiple of 60, or 1) whose open time is in
 * [from, to] (seconds), oldest first, at most max; fills the buckets
 * without a trade only when `fill_empty`. Months: sec == -1. Returns the
 * count; out holds max entries. */
size_t sim_candles(struct sim_sym *s, int64_t sec, int64_t from, int64_t to,
    int fill_empty, struct sim_candle *out, size_t max);

/* An output buffer that grows (dies on failure). */
struct sim_buf {
	char *p;
	size_t len, cap;
};
void sim_buf_need(struct sim_buf *b, size_t n);
void sim_buf_free(struct sim_buf *b);
static inline void
sim_put(struct sim_buf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap)
		sim_buf_need(b, n);
	for (size_t i = 0; i < n; i++)
		b->p[b->len + i] = s[i];
	b->len += n;
}
/* lit must be a string literal (the "" makes anything else fail to compile) */
#define SIM_PUTS(b, lit) sim_put((b), "" lit, sizeof("" lit) - 1)
void sim_puts(struct sim_buf *b, const char *s);
void sim_put_u64(struct sim_buf *b, uint64_t v);
void sim_put_i64(struct sim_buf *b, int64_t v);
/* v / 10^scale with exactly `digits` fraction digits, or trimmed of
 * trailing zeros (and the point) when digits < 0. */
void sim_put_fix(struct sim_buf *b, int64_t v, int scale, int digits);
/* RFC 3339 with nine fraction digits, as Coinbase writes: …T21:05:48.228568000Z */
void sim_put_time_ns(struct sim_buf *b, int64_t us);
/* A price or size in the exchange's own text (its digits: Binance 8). */
void sim_put_px(struct sim_buf *b, const struct sim_sym *s, int64_t px);
void sim_put_qty(struct sim_buf *b, const struct sim_sym *s, int64_t qty);

/* The canonical truth line of a trade (no newline). */
void sim_truth_line(struct sim_buf *b, const struct sim_sym *s, const struct sim_trade *t);

/* A REST answer. */
struct sim_resp {
	int status;
	struct sim_buf body;
	int retry_after; /* seconds, or 0 for no header */
};
/* The exchange whose REST paths path belongs to (the best rest_match of
 * all registered), or NULL. */
const struct sim_ex *sim_rest_owner(const char *path);
/* Answer GET path?query for the exchanges enabled in `enabled` (a bit per
 * sim_ex id). query is the raw text after '?' ("" when none). The body is
 * replaced. Unknown paths get 404 in the shape of the exchange the path
 * belongs to. */
void sim_rest(struct sim_market *m, unsigned enabled, const char *path,
    const char *query, int64_t now_us, struct sim_resp *r);
/* Find parameter `name` in a query string and copy its value into buf.
 * Returns 1 when present, 0 when not. */
int sim_query_get(const char *query, const char *name, char *buf, size_t n);
/* A whole decimal number parameter: 1 and *v, 0 when absent, -1 when bad. */
int sim_query_int(const char *query, const char *name, int64_t *v);
/* The answer for GET /_sim/book: {"bids":[[px,qty],…],"asks":[…]}. */
void sim_truth_book(struct sim_buf *b, const struct sim_sym *s);

#endif
