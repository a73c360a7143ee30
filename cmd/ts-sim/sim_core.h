/* sim_core.h: what ts-sim.c shares with its faults (sim_fault.c) and control API (sim_ctl.c); protocols use sim_ex.h */
#ifndef TS_SIM_CORE_H
#define TS_SIM_CORE_H

#include <stdint.h>

#include "sim.h"
#include "sim_ex.h"
#include "sim_replay.h"

struct lws_context;

/* The market and the recording, and the counters /_sim/stats reports.
 * ts-sim.c owns it; the other core files read it and move the counters. */
struct sim_state {
	struct lws_context *ctx;
	struct sim_market m;
	unsigned enabled;             /* exchanges served: bits by sim_ex id */
	int paused;                   /* /_sim/pause: the market stands still */
	double budget;                /* market messages the rate allows now */
	int64_t start_us;
	/* --replay */
	const struct sim_ex *replay_ex; /* NULL when generating */
	struct sim_replay rp;
	struct sim_rtruth rt;         /* the truth of what has been replayed */
	/* stats */
	uint64_t frames, pongs, bad_in, refused;
};
extern struct sim_state sim_st;

/* ts-sim.c */
/* Open connections (not being closed), of every exchange. */
int sim_conns_open(void);
/* Drop every connection: what is queued is lost (the drop fault). */
void sim_conns_drop(void);
/* Ask lws to call every connection's writeable (after a stall). */
void sim_conns_kick(void);
/* Does a client of exchange x stream a book (or the recording)? */
int sim_book_streamed(const struct sim_ex *x);

/* sim_fault.c: --fault and /_sim/fault */
/* Check a fault SPEC: its name into name (32 bytes) and its number.
 * Returns 0, or -1 with *why. */
int sim_fault_parse(const char *spec, char *name, double *arg, const char **why);
/* Apply SPEC now. 0, or -1 with *why. */
int sim_fault_apply(const char *spec, const char **why);
/* Apply SPEC (as given to --fault, with an optional @SECONDS) at start
 * or later. Dies with exit 100 for a bad one. */
void sim_fault_schedule(const char *arg);
/* How the next book message of x goes out: SIM_COPIES_LOST (a pending
 * skip, taken), _TWICE (a pending repeat, taken) or _ONE. Ask only for a
 * message some client gets, or a later client takes the fault. */
int sim_fault_book(const struct sim_ex *x);
/* Is a stall holding every output? */
int sim_fault_stalled(void);
/* Is a refuse fault turning connections away? */
int sim_fault_refusing(void);
/* Answer a REST request with a pending 429 or 500 (1), or not (0). */
int sim_fault_rest(const char *path, struct sim_resp *r);
/* The snapshot-delay fault's delay (µs), 0 for none. */
int64_t sim_fault_snapshot_delay(void);
/* Faults applied so far. */
uint64_t sim_fault_count(void);

/* sim_ctl.c: GET /_sim/… */
void sim_ctl(const char *path, const char *query, struct sim_resp *r);

#endif
