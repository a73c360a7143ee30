/* sup_guard.c: the guard: a process that ends the supervisor's children when the supervisor dies
 *
 * Why a separate process: PR_SET_PDEATHSIG (set in every child) reaches only
 * the direct child, and a service may be a shell pipeline, `sh -c 'a | b'`,
 * whose members are grandchildren; a supervisor killed with SIGKILL, or one
 * that crashed, can no longer stop them, and a restarted supervisor would
 * start second copies beside them. A child subreaper does not help either:
 * it adopts orphans only while it lives.
 *
 * So each child runs in its own process group (pgid = its pid) and the
 * supervisor forks one guard, which holds the read end of a pipe and a list
 * of process groups. The child tells the guard its group itself, between
 * fork and exec (so the guard knows it before any grandchild can exist); the
 * supervisor tells it too (a lost write of one is made up by the other) and
 * tells it when a group has ended. When the supervisor dies, however it
 * dies, the kernel closes the pipe's write end: the guard reads EOF, sends
 * SIGTERM and SIGCONT to every group still listed, SIGKILL after the stop
 * timeout to what is left, and exits. A supervisor that exits normally has
 * ended its groups first, so its guard exits at once.
 *
 * The pipe carries 4-byte records in the supervisor's byte order: +PGID a
 * group started, -PGID it ended (writes under PIPE_BUF are atomic, so the
 * child's and the supervisor's records never interleave). The guard is
 * forked from a process that runs ZeroMQ's threads, so it calls only
 * async-signal-safe functions: no stdio, no malloc, no exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sup.h"
#include "tm.h"

#define GUARD_MAX (2 * SUP_MAX_PROCS) /* a leader's group and an orphan group each */

/* The guard's own state (used in the guard process only). */
static pid_t groups[GUARD_MAX];
static int ngroups;

/* Append s to buf at *o, and n in decimal after it when n >= 0
 * (async-signal-safe: no stdio in the guard). */
static void
put(char *buf, size_t size, size_t *o, const char *s, long n)
{
	char num[24];
	int i = (int)sizeof num;

	while (*s && *o + 1 < size)
		buf[(*o)++] = *s++;
	if (n < 0)
		return;
	do
		num[--i] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	while (i < (int)sizeof num && *o + 1 < size)
		buf[(*o)++] = num[i++];
}

/* "ts-supervisor (guard): A N B\n" on stderr. */
static void
say(const char *a, long n, const char *b)
{
	char buf[200];
	size_t o = 0;

	put(buf, sizeof buf, &o, "ts-supervisor (guard): ", -1);
	put(buf, sizeof buf, &o, a, n);
	put(buf, sizeof buf, &o, b, -1);
	buf[o++] = '\n';
	(void)!write(2, buf, o);
}

static void
guard_note(int32_t rec)
{
	pid_t g = rec > 0 ? rec : -rec;
	int i;

	if (g <= 1)
		return;
	for (i = 0; i < ngroups && groups[i] != g; i++)
		;
	if (rec > 0 && i == ngroups) {
		if (ngroups < GUARD_MAX)
			groups[ngroups++] = g;
		else
			say("too many process groups; not watching ", g, "");
	} else if (rec < 0 && i < ngroups) {
		groups[i] = groups[--ngroups];
	}
}

static int
guard_alive(void)
{
	int n = 0;

	for (int i = 0; i < ngroups; i++)
		n += kill(-groups[i], 0) == 0;
	return n;
}

/* The supervisor is gone: SIGTERM every listed group, SIGKILL after the
 * timeout what is still there. */
static void
guard_end(pid_t parent, int64_t timeout_us)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	int64_t waited = 0;
	int n = 0;

	for (int i = 0; i < ngroups; i++) {
		if (kill(-groups[i], SIGTERM) == 0) {
			kill(-groups[i], SIGCONT);
			n++;
		}
	}
	if (!n)
		return;
	say("the supervisor (pid ", parent, ") is gone: SIGTERM to its children's process groups");
	while (waited < timeout_us && guard_alive() > 0) {
		nanosleep(&tick, NULL);
		waited += 50000;
	}
	if ((n = guard_alive()) > 0) {
		say("SIGKILL to ", n, " process group(s) still there after the stop timeout");
		for (int i = 0; i < ngroups; i++)
			kill(-groups[i], SIGKILL);
	}
}

static void __attribute__((noreturn))
guard_main(int fd, pid_t parent, int64_t timeout_us)
{
	struct sigaction sa;
	sigset_t none;
	unsigned char buf[4 * 64];
	size_t have = 0;

	/* its life is the supervisor's: a terminal's ^C or a SIGTERM to the
	 * process group is for the supervisor, which stops its children itself */
	memset(&sa, 0, sizeof sa);
	for (int sig = 1; sig < NSIG; sig++) {
		sa.sa_handler = sig == SIGINT || sig == SIGTERM || sig == SIGHUP ||
		    sig == SIGQUIT || sig == SIGPIPE || sig == SIGTSTP ? SIG_IGN : SIG_DFL;
		sigaction(sig, &sa, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* hold nothing of the supervisor's: not its bus lock, sockets or the
	 * readiness fd someone waits on to close */
	if (fd != 3) {
		dup2(fd, 3);
		fd = 3;
	}
	fcntl(fd, F_SETFL, 0);
	close_range(4, ~0U, 0);
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - have);
		size_t i;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		for (i = 0; i + 4 <= have; i += 4) {
			int32_t rec;
			memcpy(&rec, buf + i, 4);
			guard_note(rec);
		}
		memmove(buf, buf + i, have - i);
		have -= i;
	}
	guard_end(parent, timeout_us);
	_exit(0);
}

void
sup_guard_group(struct sup *s, pid_t pgid, int on)
{
	static struct ts_ratelimit rl = TS_RATELIMIT_INIT(0.1, 3);
	int32_t rec = on ? (int32_t)pgid : -(int32_t)pgid;

	sup_groups_save(s);
	if (s->guard_fd < 0 || pgid <= 1)
		return;
	if (write(s->guard_fd, &rec, sizeof rec) != (ssize_t)sizeof rec && errno != EPIPE)
		ts_warn_rl(&rl, "cannot tell the guard about process group %ld: %s",
		    (long)pgid, strerror(errno));
}

void
sup_guard_start(struct sup *s)
{
	int fds[2];
	pid_t parent = getpid(), pid;
	sigset_t all, old;

	if (s->guard_fd >= 0)
		close(s->guard_fd);
	s->guard_fd = -1;
	s->guard_pid = 0;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		ts_warn_errno("cannot start the guard: cannot make a pipe (a kill -9 of "
		    "the supervisor would leave pipelines' processes behind)");
		return;
	}
	/* no signal handler of ours may run in the guard before it resets them */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		guard_main(fds[0], parent, s->conf.set.stop_timeout_us);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[0]);
	if (pid < 0) {
		ts_warn_errno("cannot start the guard: fork failed (a kill -9 of the "
		    "supervisor would leave pipelines' processes behind)");
		close(fds[1]);
		return;
	}
	/* non-blocking: a guard that stopped reading must not stop the bus */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	s->guard_fd = fds[1];
	s->guard_pid = pid;
	s->guard_started_us = ts_mono_us();
	ts_debug("guard started (pid %ld)", (long)pid);
	for (int i = 0; i < SUP_MAX_PROCS; i++) {
		const struct sup_proc *p = &s->proc[i];
		if (!p->used)
			continue;
		if (p->pid > 0)
			sup_guard_group(s, p->pid, 1);
		if (p->orphan_pgid > 0)
			sup_guard_group(s, p->orphan_pgid, 1);
	}
}

static void
on_guard_timer(struct ts_loop *l, unsigned id, void *arg)
{
	struct sup *s = arg;

	(void)l, (void)id;
	s->t_guard = 0;
	if (!s->shutting_down && s->guard_pid <= 0)
		sup_guard_start(s);
}

int
sup_guard_reaped(struct sup *s, pid_t pid, int status)
{
	int64_t now = ts_mono_us();

	if (pid <= 0 || pid != s->guard_pid)
		return 0;
	s->guard_pid = 0;
	close(s->guard_fd);
	s->guard_fd = -1;
	if (s->shutting_down)
		return 1;
	ts_warn("the guard (pid %ld) ended (%s %d): starting a new one", (long)pid,
	    WIFSIGNALED(status) ? "signal" : "exit",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	/* a guard killed in a loop is restarted at most once a second */
	if (s->t_guard)
		ts_loop_cancel(s->loop, s->t_guard);
	s->t_guard = ts_loop_timer(s->loop, now - s->guard_started_us < TS_US_PER_SEC ?
	    TS_US_PER_SEC - (now - s->guard_started_us) : 0, 0, on_guard_timer, s);
	return 1;
}

void
sup_guard_stop(struct sup *s)
{
	int status;

	if (s->t_guard)
		ts_loop_cancel(s->loop, s->t_guard);
	s->t_guard = 0;
	if (s->guard_fd >= 0)
		close(s->guard_fd);
	s->guard_fd = -1;
	if (s->guard_pid > 0)
		while (waitpid(s->guard_pid, &status, 0) < 0 && errno == EINTR)
			;
	s->guard_pid = 0;
}
