/* sim.h: ts-sim's market model, message formats and REST answers (no lws here) */
#ifndef TS_SIM_H
#define TS_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum sim_ex { SIM_COINBASE, SIM_BINANCE, SIM_NEX };

#define SIM_MAX_SYMS 64
/* Levels a side of a book holds at most (the model aims at fewer: see
 * the profiles in sim_market.c). Binance's stays within what one REST
 * snapshot (limit 1000) returns, so a client's book can equal the truth. */
#define SIM_BN_MAX_DEPTH 1000
#define SIM_CB_MAX_DEPTH 8000
#define SIM_MIN_DEPTH 20    /* a cancel never takes a side below this */
#define SIM_MAX_FILL 8      /* trades of one taker order */
#define SIM_MAX_CHG 64      /* level changes of one book message */
#define SIM_RING 65536      /* trades kept per symbol (a power of two) */
#define SIM_HIST_MIN (7 * 1440) /* minutes of generated history before start */
#define SIM_SEC_RING 3600   /* one-second candles kept */

/* Exchange names, "coinbase" and "binance"; sim_ex_parse returns -1 for others. */
const char *sim_ex_name(enum sim_ex ex);
int sim_ex_parse(const char *s);

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
	enum sim_ex ex;
	int idx;
	char sym[24];    /* canonical: BTC-USD */
	char base[12], quote[12];
	char native[24]; /* the exchange's name: BTC-USD, BTCUSDT */
	char lower[24];  /* Binance stream name: btcusdt */
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
	uint64_t update_id; /* Binance: last book update id */
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
	uint64_t first_uid, last_uid; /* Binance U and u */
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
struct sim_sym *sim_market_add(struct sim_market *m, enum sim_ex ex,
    const char *sym, int64_t now_us, const char **why);
void sim_market_free(struct sim_market *m);
/* The symbol of an exchange by canonical or native name, or NULL. */
struct sim_sym *sim_market_find(const struct sim_market *m, enum sim_ex ex, const char *name);
/* Move symbol s by one book message's worth: level changes (new, changed
 * and cancelled levels, how many and how far from the top as in the
 * exchange's recordings) and, sometimes, a taker order that sweeps levels.
 * Fills ev, records trades (ring, candles, truth). */
void sim_market_step(struct sim_market *m, struct sim_sym *s, int64_t now_us,
    struct sim_event *ev);
/* The most levels a side of a book of exchange ex holds. */
int sim_max_depth(enum sim_ex ex);
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
/* A price or size in the exchange's own text (Binance: 8 decimals). */
void sim_put_px(struct sim_buf *b, const struct sim_sym *s, int64_t px);
void sim_put_qty(struct sim_buf *b, const struct sim_sym *s, int64_t qty);

/* Messages. Coinbase messages are split around sequence_num: the caller
 * writes head, the connection's number, then tail. */
void sim_cb_l2(struct sim_buf *head, struct sim_buf *tail, const struct sim_event *ev);
void sim_cb_l2_snapshot(struct sim_buf *head, struct sim_buf *tail,
    const struct sim_sym *s, int64_t now_us);
void sim_cb_trades(struct sim_buf *head, struct sim_buf *tail, const struct sim_event *ev);
/* Snapshot of the last `count` trades, newest first. */
void sim_cb_trades_snapshot(struct sim_buf *head, struct sim_buf *tail,
    const struct sim_sym *s, int count, int64_t now_us);
void sim_cb_heartbeat(struct sim_buf *head, struct sim_buf *tail, int64_t now_us,
    uint64_t counter, int64_t start_us);
/* {"channel":"subscriptions",…,"events":[{"subscriptions":{CHANNEL:[ids]…}}]}:
 * `subs` is the inner object text. */
void sim_cb_subscriptions(struct sim_buf *head, struct sim_buf *tail, int64_t now_us,
    const char *subs);
/* Binance payloads (the "data" of a combined stream). */
void sim_bn_depth(struct sim_buf *b, const struct sim_event *ev);
void sim_bn_trade(struct sim_buf *b, const struct sim_sym *s, const struct sim_trade *t,
    int64_t now_us);
/* The canonical truth line of a trade (no newline). */
void sim_truth_line(struct sim_buf *b, const struct sim_sym *s, const struct sim_trade *t);

/* A REST answer. */
struct sim_resp {
	int status;
	struct sim_buf body;
	int retry_after; /* seconds, or 0 for no header */
	int is_depth;    /* a Binance depth snapshot (snapshot-delay applies) */
};
/* Answer GET path?query for the exchanges enabled in `enabled` (a bit per
 * enum sim_ex). query is the raw text after '?' ("" when none). The body is
 * replaced. Unknown paths get 404 in the shape of the exchange the path
 * belongs to. */
void sim_rest(struct sim_market *m, unsigned enabled, const char *path,
    const char *query, int64_t now_us, struct sim_resp *r);
/* Find parameter `name` in a query string and copy its (percent-decoded)
 * value into buf. Returns 1 when present, 0 when not. */
int sim_query_get(const char *query, const char *name, char *buf, size_t n);
/* The answer for GET /_sim/book: {"bids":[[px,qty],…],"asks":[…]}. */
void sim_truth_book(struct sim_buf *b, const struct sim_sym *s);

#endif
