/* test_loop.c: timers, fds, ZeroMQ sockets and signals in one loop */
#include "t.h"
#include "bus.h"
#include "loop.h"
#include "tm.h"

#include <signal.h>
#include <unistd.h>
#include <zmq.h>

static int fired[4];
static int64_t first_at;

static void
on_timer(struct ts_loop *l, unsigned id, void *arg)
{
	int k = (int)(intptr_t)arg;

	(void)id;
	fired[k]++;
	if (k == 0 && !first_at)
		first_at = ts_mono_us();
	if (k == 2)
		ts_loop_stop(l);
}

static void
test_timers(void)
{
	struct ts_loop *l = ts_loop_new();
	int64_t t0 = ts_mono_us();
	unsigned cancelled;

	memset(fired, 0, sizeof fired);
	ts_loop_timer(l, 20000, 0, on_timer, (void *)0);
	ts_loop_timer(l, 10000, 10000, on_timer, (void *)1);
	cancelled = ts_loop_timer(l, 5000, 0, on_timer, (void *)3);
	ts_loop_cancel(l, cancelled);
	ts_loop_timer(l, 105000, 0, on_timer, (void *)2);
	CHECK_INT(ts_loop_run(l), 0);
	CHECK_INT(fired[0], 1);
	CHECK(fired[1] >= 1 && fired[1] <= 11); /* periodic, never in a burst */
	CHECK_INT(fired[2], 1);
	CHECK_INT(fired[3], 0);
	/* never early: the one-shot ran no sooner than asked */
	CHECK(first_at - t0 >= 20000);
	ts_loop_free(&l);
	CHECK(l == NULL);
}

static int got_signal, got_bytes, got_zmq;

static void
on_sig(struct ts_loop *l, int signo, void *arg)
{
	(void)arg;
	got_signal = signo;
	ts_loop_stop(l);
}

static void
on_fd(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	char buf[16];

	(void)l, (void)sock, (void)arg;
	if (rev & ZMQ_POLLIN)
		got_bytes += (int)read(fd, buf, sizeof buf);
	ts_loop_del(l, NULL, fd);
}

static void
on_zmq(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	char buf[16];

	(void)l, (void)fd, (void)rev, (void)arg;
	while (zmq_recv(sock, buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
		got_zmq++;
	kill(getpid(), SIGUSR1);
}

static void
test_fd_zmq_signal(void)
{
	struct ts_loop *l = ts_loop_new();
	void *a = zmq_socket(ts_bus_ctx(), ZMQ_PAIR), *b = zmq_socket(ts_bus_ctx(), ZMQ_PAIR);
	int p[2];

	CHECK_INT(pipe(p), 0);
	CHECK_INT(write(p[1], "hello", 5), 5);
	zmq_bind(a, "inproc://loop");
	zmq_connect(b, "inproc://loop");
	zmq_send(a, "x", 1, 0);
	zmq_send(a, "y", 1, 0);
	ts_loop_add(l, NULL, p[0], ZMQ_POLLIN, on_fd, NULL);
	ts_loop_add(l, b, -1, ZMQ_POLLIN, on_zmq, NULL);
	ts_loop_signal(l, SIGUSR1, on_sig, NULL);
	ts_loop_timer(l, 5 * TS_US_PER_SEC, 0, on_timer, (void *)2); /* a bound */
	CHECK_INT(ts_loop_run(l), 0);
	CHECK_INT(got_signal, SIGUSR1);
	CHECK_INT(got_bytes, 5);
	CHECK_INT(got_zmq, 2);
	ts_loop_signal(l, SIGUSR1, NULL, NULL);
	ts_loop_free(&l);
	zmq_close(a);
	zmq_close(b);
	close(p[0]);
	close(p[1]);
	ts_bus_term();
}

int
main(void)
{
	RUN(test_timers);
	RUN(test_fd_zmq_signal);
	return DONE();
}
