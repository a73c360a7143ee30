/* sim_replay.h: a recording (shared/data/README.md format) held in memory for ts-sim --replay */
#ifndef TS_SIM_REPLAY_H
#define TS_SIM_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "book.h"
#include "json.h"

struct sim_ex;

struct sim_rec {
	char *target; /* http: "/path?query"; NULL for recv */
	char *data;   /* the payload, unescaped */
	size_t len;
};

struct sim_replay {
	char exchange[32];   /* from the header: "COINBASE" */
	struct sim_rec *recv; /* every "recv" record in file order */
	size_t nrecv, cap_recv;
	struct sim_rec *http; /* every "http" record */
	size_t nhttp, cap_http;
	size_t bad;          /* lines skipped: not JSON, unknown shape, binary */
};

/* Load `path` (".zst" is decompressed through zstd -dc). Returns 0, or -1
 * with a message in err. sim_replay_free releases everything. */
int sim_replay_load(struct sim_replay *r, const char *path, char *err, size_t errlen);
void sim_replay_free(struct sim_replay *r);
/* The recorded answer for GET path?query: the same target, else the same
 * path with the same "symbol" parameter; NULL when none. */
const struct sim_rec *sim_replay_http(const struct sim_replay *r, const char *path,
    const char *query);

/* The ground truth of a replay: each symbol's book and trades as the
 * recording has them up to a position in its "recv" records (ts-sim
 * advances it to the furthest any client has been sent). The exchange's
 * protocol reads the records (truth_init, truth_apply in sim_ex.h): a
 * Coinbase book starts at a level2 snapshot; a Binance book starts at the
 * recorded REST depth answer a client would get and takes the depthUpdates
 * after its lastUpdateId. Trades count the ids above the highest seen. */
struct sim_rsym {
	char native[32];
	struct ts_book book;
	int have_book;
	int64_t last_u;      /* last applied update id (Binance) */
	uint64_t ntrades;
	int64_t first_id, last_id;
};
struct sim_rtruth {
	const struct sim_ex *ex;
	struct sim_rsym *v;
	size_t n, cap;
	size_t pos;          /* records applied */
	size_t bad;          /* records that could not be read */
};
/* Start the truth of r, a recording of exchange ex. */
void sim_rtruth_init(struct sim_rtruth *t, const struct sim_replay *r, const struct sim_ex *ex);
/* Apply r's recv records up to (not including) pos. */
void sim_rtruth_advance(struct sim_rtruth *t, const struct sim_replay *r, size_t pos);
/* A symbol by native name or canonical BASE-QUOTE, or NULL. */
const struct sim_rsym *sim_rtruth_find(const struct sim_rtruth *t, const char *name);
void sim_rtruth_free(struct sim_rtruth *t);

/* For the protocols' truth_apply: the symbol of native name p (n bytes),
 * added when new (NULL for an empty or too long name); a trade id seen
 * (counted when above the last); levels from a JSON array of [px, qty]
 * pairs (0, or -1 when malformed). */
struct sim_rsym *sim_rtruth_sym(struct sim_rtruth *t, const char *p, size_t n);
void sim_rtruth_trade(struct sim_rsym *s, int64_t id);
int sim_book_pairs(struct ts_book *b, enum ts_side side, const struct ts_jval *arr);

#endif
