/* sim_replay.h: a recording (shared/data/README.md format) held in memory for ts-sim --replay */
#ifndef TS_SIM_REPLAY_H
#define TS_SIM_REPLAY_H

#include <stddef.h>

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

#endif
