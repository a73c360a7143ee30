/* loop.c: zmq_poll over sockets and fds; timers; signals through a self-pipe */
#include "loop.h"
#include "log.h"
#include "tm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

struct watch {
	void *sock;
	int fd;
	short events;
	ts_io_fn *fn;
	void *arg;
	int dead;
};

struct timer {
	unsigned id;
	int64_t due, every;
	ts_timer_fn *fn;
	void *arg;
};

struct sigh {
	ts_signal_fn *fn;
	void *arg;
};

struct ts_loop {
	struct watch *w;
	size_t nw, capw;
	zmq_pollitem_t *items;
	size_t capi;
	struct timer *t;
	size_t nt, capt;
	unsigned next_id;
	struct sigh sig[65];
	int stop;
	int64_t now;
};

static int sigpipe_fds[2] = { -1, -1 };

static void
on_signal(int signo)
{
	unsigned char b = (unsigned char)signo;
	int e = errno;

	(void)!write(sigpipe_fds[1], &b, 1);
	errno = e;
}

static void
read_signals(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	unsigned char buf[64];
	ssize_t n;

	(void)sock;
	(void)rev;
	(void)arg;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] < 65 && l->sig[buf[i]].fn)
				l->sig[buf[i]].fn(l, buf[i], l->sig[buf[i]].arg);
}

struct ts_loop *
ts_loop_new(void)
{
	struct ts_loop *l = ts_xcalloc(1, sizeof *l);

	l->next_id = 1;
	l->now = ts_mono_us();
	return l;
}

void
ts_loop_free(struct ts_loop **lp)
{
	struct ts_loop *l = *lp;

	if (!l)
		return;
	for (int s = 1; s < 65; s++)
		if (l->sig[s].fn)
			signal(s, SIG_DFL);
	free(l->w);
	free(l->items);
	free(l->t);
	free(l);
	*lp = NULL;
}

static struct watch *
find(struct ts_loop *l, void *sock, int fd)
{
	for (size_t i = 0; i < l->nw; i++)
		if (!l->w[i].dead && l->w[i].sock == sock && l->w[i].fd == fd)
			return &l->w[i];
	return NULL;
}

void
ts_loop_add(struct ts_loop *l, void *sock, int fd, short events, ts_io_fn *fn,
    void *arg)
{
	struct watch *w = find(l, sock, fd);

	if (!w) {
		ts_xgrow((void **)&l->w, &l->capw, l->nw + 1, sizeof *l->w);
		w = &l->w[l->nw++];
	}
	*w = (struct watch){ sock, sock ? -1 : fd, events, fn, arg, 0 };
}

void
ts_loop_del(struct ts_loop *l, void *sock, int fd)
{
	struct watch *w = find(l, sock, sock ? -1 : fd);

	if (w)
		w->dead = 1; /* compacted between iterations */
}

unsigned
ts_loop_timer(struct ts_loop *l, int64_t after_us, int64_t every_us,
    ts_timer_fn *fn, void *arg)
{
	struct timer *t;

	ts_xgrow((void **)&l->t, &l->capt, l->nt + 1, sizeof *l->t);
	t = &l->t[l->nt++];
	t->id = l->next_id++;
	if (!l->next_id)
		l->next_id = 1;
	t->due = ts_mono_us() + (after_us > 0 ? after_us : 0);
	t->every = every_us;
	t->fn = fn;
	t->arg = arg;
	return t->id;
}

void
ts_loop_cancel(struct ts_loop *l, unsigned id)
{
	for (size_t i = 0; i < l->nt; i++) {
		if (l->t[i].id == id) {
			l->t[i] = l->t[--l->nt];
			return;
		}
	}
}

void
ts_loop_signal(struct ts_loop *l, int signo, ts_signal_fn *fn, void *arg)
{
	struct sigaction sa;

	if (signo <= 0 || signo >= 65)
		return;
	if (sigpipe_fds[0] < 0) {
		if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0)
			ts_die_errno(TS_EXIT_TEMP, "cannot create the signal pipe");
	}
	if (!find(l, NULL, sigpipe_fds[0]))
		ts_loop_add(l, NULL, sigpipe_fds[0], ZMQ_POLLIN, read_signals, NULL);
	l->sig[signo] = (struct sigh){ fn, arg };
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn ? on_signal : SIG_DFL;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(signo, &sa, NULL);
}

void ts_loop_stop(struct ts_loop *l) { l->stop = 1; }
int64_t ts_loop_now(const struct ts_loop *l) { return l->now; }

static void
compact(struct ts_loop *l)
{
	size_t j = 0;

	for (size_t i = 0; i < l->nw; i++)
		if (!l->w[i].dead)
			l->w[j++] = l->w[i];
	l->nw = j;
}

static void
run_timers(struct ts_loop *l)
{
	/* Collect the due ids first: callbacks may add or cancel timers. */
	unsigned due[64];
	size_t n = 0;

	for (size_t i = 0; i < l->nt && n < 64; i++)
		if (l->t[i].due <= l->now)
			due[n++] = l->t[i].id;
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < l->nt; i++) {
			struct timer t = l->t[i];
			if (t.id != due[k])
				continue;
			if (t.every > 0) {
				l->t[i].due += t.every;
				if (l->t[i].due <= l->now) /* fell behind: no burst */
					l->t[i].due = l->now + t.every;
			} else {
				l->t[i] = l->t[--l->nt];
			}
			t.fn(l, t.id, t.arg);
			break;
		}
	}
}

int
ts_loop_once(struct ts_loop *l, int64_t max_wait_us)
{
	int64_t wait = max_wait_us;
	long timeout_ms;
	size_t n;
	int r;

	compact(l);
	l->now = ts_mono_us();
	for (size_t i = 0; i < l->nt; i++) {
		int64_t d = l->t[i].due - l->now;
		if (d < 0)
			d = 0;
		if (wait < 0 || d < wait)
			wait = d;
	}
	/* round up so a timer is never polled for too early, which would spin */
	timeout_ms = wait < 0 ? -1 : (long)((wait + 999) / 1000);
	n = l->nw;
	ts_xgrow((void **)&l->items, &l->capi, n + 1, sizeof *l->items);
	for (size_t i = 0; i < n; i++) {
		l->items[i].socket = l->w[i].sock;
		l->items[i].fd = l->w[i].fd;
		l->items[i].events = l->w[i].events;
		l->items[i].revents = 0;
	}
	r = zmq_poll(l->items, (int)n, timeout_ms);
	if (r < 0 && errno != EINTR)
		return -1;
	l->now = ts_mono_us();
	for (size_t i = 0; r > 0 && i < n; i++) {
		struct watch w = l->w[i];
		if (l->items[i].revents && !w.dead)
			w.fn(l, w.sock, w.fd, l->items[i].revents, w.arg);
	}
	l->now = ts_mono_us();
	run_timers(l);
	return 0;
}

int
ts_loop_run(struct ts_loop *l)
{
	l->stop = 0;
	while (!l->stop)
		if (ts_loop_once(l, -1) < 0)
			return -1;
	return 0;
}
