/* loop.h: one poll loop over ZeroMQ sockets, raw fds, timers and signals
 *
 * The poll timeout is the nearest timer's deadline. Signals are caught by a
 * handler that only writes the signal number to a self-pipe; the loop reads
 * it and calls the program's function outside signal context. Not for
 * libwebsockets, which must own its loop (see PLATFORM.md). */
#ifndef TS_LOOP_H
#define TS_LOOP_H

#include <stdint.h>

struct ts_loop;

/* For a ZeroMQ socket `sock` is set and fd is -1; for a raw fd the reverse.
 * events and revents are ZMQ_POLLIN/ZMQ_POLLOUT/ZMQ_POLLERR for fds too
 * (not poll(2)'s values: ZMQ_POLLOUT is 2, POLLOUT 4); zmq_poll reports a
 * hang-up or error on an fd as ZMQ_POLLERR. */
typedef void ts_io_fn(struct ts_loop *l, void *sock, int fd, short revents, void *arg);
typedef void ts_timer_fn(struct ts_loop *l, unsigned id, void *arg);
typedef void ts_signal_fn(struct ts_loop *l, int signo, void *arg);

struct ts_loop *ts_loop_new(void);
/* Frees the loop and sets *l to NULL; closes nothing it was given. */
void ts_loop_free(struct ts_loop **l);

/* Watch a socket or an fd for events (ZMQ_POLLIN, ZMQ_POLLOUT). Adding one
 * that is watched already changes its events, function and argument. */
void ts_loop_add(struct ts_loop *l, void *sock, int fd, short events,
    ts_io_fn *fn, void *arg);
void ts_loop_del(struct ts_loop *l, void *sock, int fd);

/* A timer after `after_us`, then every `every_us` if not 0. Returns its id
 * (never 0). Timers may be added and cancelled from any callback. */
unsigned ts_loop_timer(struct ts_loop *l, int64_t after_us, int64_t every_us,
    ts_timer_fn *fn, void *arg);
void ts_loop_cancel(struct ts_loop *l, unsigned id);

/* Deliver signo to fn through the loop. fn NULL restores the default. Only
 * one loop per process handles signals. SIGPIPE is best ignored with
 * signal(SIGPIPE, SIG_IGN) and handled as EPIPE where writing. */
void ts_loop_signal(struct ts_loop *l, int signo, ts_signal_fn *fn, void *arg);

/* Run until ts_loop_stop. Returns 0, or -1 when polling failed (errno). */
int ts_loop_run(struct ts_loop *l);
void ts_loop_stop(struct ts_loop *l);
/* Run one iteration, waiting at most max_wait_us (-1: up to the next timer). */
int ts_loop_once(struct ts_loop *l, int64_t max_wait_us);

/* The monotonic time (µs) at the start of this iteration. */
int64_t ts_loop_now(const struct ts_loop *l);

#endif
