/* sup_proc.c: the process table: demand per service, children, readiness, restarts
 *
 * state × event (w = wanted: always-on, subscribed, or kicked by restart):
 *
 *             | w becomes 1      | w becomes 0        | ready  | exit 111/signal     | exit 100/other | exit 0 | timer
 *   DOWN      | start (≥1 s gap) | -                  | -      | -                   | -              | -      | -
 *   STARTING  | cancel linger    | linger, then stop  | UP     | BACKOFF (w) or DOWN | FAILED         | DOWN   | ready: UP or warn
 *   UP        | cancel linger    | linger, then stop  | -      | BACKOFF (w) or DOWN | FAILED         | DOWN   | linger: STOPPING
 *   STOPPING  | start on exit    | -                  | -      | DOWN, start if w    | DOWN, start if w | same | kill: SIGKILL
 *   BACKOFF   | -                | DOWN               | -      | -                   | -              | -      | start
 *   FAILED    | new demand: start| -                  | -      | -                   | -              | -      | -
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "log.h"
#include "sup.h"
#include "tm.h"

extern char **environ;

static void update(struct sup_proc *p);

const char *
sup_state_name(enum sup_state s)
{
	static const char *const names[] = { "down", "starting", "up", "stopping",
		"backoff", "failed" };
	return (unsigned)s < sizeof names / sizeof *names ? names[s] : "?";
}

static const struct sup_svc *
svc_of(const struct sup_proc *p)
{
	return &p->sup->conf.svc[p->svc];
}

static void
changed(struct sup_proc *p)
{
	if (p->sup->on_change)
		p->sup->on_change(p->sup);
}

static void
cancel(struct sup_proc *p, unsigned *t)
{
	if (*t)
		ts_loop_cancel(p->sup->loop, *t);
	*t = 0;
}

static int
wanted(const struct sup_proc *p)
{
	if (p->sup->shutting_down)
		return 0;
	if (p->kick)
		return 1;
	if (p->user_stopped)
		return 0;
	return svc_of(p)->always || p->subs > 0;
}

static void
close_ready(struct sup_proc *p)
{
	if (p->ready_fd >= 0) {
		ts_loop_del(p->sup->loop, NULL, p->ready_fd);
		close(p->ready_fd);
	}
	p->ready_fd = -1;
}

static void
set_up(struct sup_proc *p, const char *how)
{
	if (p->state != SUP_STARTING)
		return;
	cancel(p, &p->t_ready);
	p->state = SUP_UP;
	p->ready_us = ts_mono_us();
	sup_groups_save(p->sup); /* it has run exec: its executable is known */
	ts_info("'%s' (pid %ld) is up: %s after %.3fs", p->name, (long)p->pid, how,
	    (double)(p->ready_us - p->started_us) / 1e6);
	changed(p);
}

static void
on_ready_fd(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct sup_proc *p = arg;
	char buf[64];
	ssize_t n;

	(void)l, (void)sock, (void)rev;
	n = read(fd, buf, sizeof buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0 && memchr(buf, '\n', (size_t)n)) {
		close_ready(p);
		set_up(p, "it told readiness");
		return;
	}
	if (n <= 0) {
		/* closed without a newline (or it exited): readiness can no
		 * longer come; a live child stays 'starting' */
		close_ready(p);
		if (p->state == SUP_STARTING && svc_of(p)->ready_us == 0)
			ts_debug("'%s' (pid %ld) closed its readiness fd without a newline",
			    p->name, (long)p->pid);
	}
}

static void
on_ready_timer(struct ts_loop *l, unsigned id, void *arg)
{
	struct sup_proc *p = arg;

	(void)l, (void)id;
	p->t_ready = 0;
	if (p->state != SUP_STARTING)
		return;
	if (svc_of(p)->ready_us > 0)
		set_up(p, "running for a while (it does not tell readiness)");
	else
		ts_warn("'%s' (pid %ld) has not told readiness after %.1fs; still 'starting'",
		    p->name, (long)p->pid,
		    (double)p->sup->conf.set.ready_timeout_us / 1e6);
}

/* Build the child's environment in the parent: after fork only
 * async-signal-safe calls are allowed (ZeroMQ runs threads). */
static char **
child_env(struct sup *s, int ready_fd, char *store, size_t n)
{
	size_t count = 0, o = 0;
	char **env;

	for (char **e = environ; *e; e++)
		count++;
	env = ts_xcalloc(count + 4, sizeof *env);
	count = 0;
	for (char **e = environ; *e; e++) {
		if (!strncmp(*e, "TS_READY_FD=", 12) || !strncmp(*e, "TS_BUS=", 7) ||
		    !strncmp(*e, "NOTIFY_SOCKET=", 14) || !strncmp(*e, "LISTEN_FDS=", 11) ||
		    !strncmp(*e, "LISTEN_PID=", 11))
			continue;
		env[count++] = *e;
	}
	env[count++] = store + o;
	o += (size_t)snprintf(store + o, n - o, "TS_READY_FD=%d", ready_fd) + 1;
	env[count++] = store + o;
	snprintf(store + o, n - o, "TS_BUS=%s", s->bus_env);
	env[count] = NULL;
	return env;
}

static void
child_fail(const char *what, const char *arg)
{
	char msg[600];
	int e = errno;
	int n = snprintf(msg, sizeof msg, "ts-supervisor: cannot %s '%s': %s\n", what, arg,
	    strerror(e));

	if (n > 0)
		(void)!write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
	/* a program that is not there or cannot run will not get better */
	_exit(e == ENOENT || e == EACCES || e == ENOEXEC ? TS_EXIT_USAGE : TS_EXIT_TEMP);
}

static void
spawn(struct sup_proc *p)
{
	struct sup *s = p->sup;
	const struct sup_svc *v = svc_of(p);
	struct sup_vars vars = p->vars;
	char words[SUP_CMD_MAX], *argv[SUP_MAX_ARGS], path[1024], envstore[512];
	char **env;
	const char *bad;
	int fds[2], argc;
	pid_t parent = getpid(), pid;
	sigset_t all, old;

	p->kick = 0;
	cancel(p, &p->t_backoff);
	cancel(p, &p->t_linger);
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
		ts_warn_errno("cannot start '%s': cannot make a pipe", p->name);
		goto retry;
	}
	/* sup_pat_match leaves room for these two */
	snprintf(vars.name[vars.n], sizeof vars.name[0], "port");
	snprintf(vars.val[vars.n], sizeof vars.val[0], "%d", s->conf.set.demo_port);
	vars.n++;
	snprintf(vars.name[vars.n], sizeof vars.name[0], "ready_fd");
	snprintf(vars.val[vars.n], sizeof vars.val[0], "%d", SUP_READY_FD);
	vars.n++;
	if (sup_expand(s->demo && v->demo_cmd[0] ? v->demo_cmd : v->cmd, &vars,
	    p->cmdline, sizeof p->cmdline, &bad) < 0 ||
	    (argc = sup_split(p->cmdline, words, sizeof words, argv, SUP_MAX_ARGS)) <= 0) {
		ts_warn("cannot start '%s': bad command '%s'", p->name, p->cmdline);
		close(fds[0]);
		close(fds[1]);
		p->state = SUP_FAILED;
		snprintf(p->last_exit, sizeof p->last_exit, "bad command");
		changed(p);
		return;
	}
	path[0] = '\0';
	if (!strchr(argv[0], '/') && s->self_dir[0])
		snprintf(path, sizeof path, "%s/%s", s->self_dir, argv[0]);
	env = child_env(s, SUP_READY_FD, envstore, sizeof envstore);
	/* signals stay blocked in the child until its handlers are reset, so a
	 * SIGTERM meant for it cannot run our handler instead */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);

	pid = fork();
	if (pid != 0)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		ts_warn_errno("cannot start '%s': fork failed", p->name);
		free(env);
		close(fds[0]);
		close(fds[1]);
		goto retry;
	}
	if (pid == 0) {
		int nullfd;
		int32_t me = (int32_t)getpid();
		struct sigaction dfl;
		sigset_t none;
		/* Dying with the supervisor: the child gets SIGTERM when the
		 * supervisor dies (PR_SET_PDEATHSIG; checked after the prctl in
		 * case it died before); the rest of its process group (a
		 * pipeline's other members) is ended by the guard, which learns
		 * the group here, before any grandchild exists (sup_guard.c). */
		setpgid(0, 0);
		if (s->guard_fd >= 0)
			(void)!write(s->guard_fd, &me, sizeof me);
		memset(&dfl, 0, sizeof dfl);
		dfl.sa_handler = SIG_DFL;
		for (int sig = 1; sig < NSIG; sig++)
			sigaction(sig, &dfl, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(TS_EXIT_TEMP);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if ((nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0 && nullfd != 0) {
			dup2(nullfd, 0);
			close(nullfd);
		}
		fcntl(0, F_SETFD, 0);
		/* readiness on fd 3 always, so `echo >&3` works in any sh */
		if (fds[1] == SUP_READY_FD)
			fcntl(fds[1], F_SETFD, 0);
		else
			dup2(fds[1], SUP_READY_FD);
		fcntl(SUP_READY_FD, F_SETFL, 0);
		if (path[0] && access(path, X_OK) == 0)
			execve(path, argv, env);
		execvpe(argv[0], argv, env);
		child_fail("run", argv[0]);
	}
	setpgid(pid, pid); /* also here: no race with kill(-pid) */
	free(env);
	close(fds[1]);
	p->ready_fd = fds[0];
	ts_loop_add(s->loop, NULL, p->ready_fd, ZMQ_POLLIN, on_ready_fd, p);
	p->pid = pid;
	p->pid_start = sup_groups_start_of(pid);
	p->exe[0] = '\0';
	sup_guard_group(s, pid, 1);
	p->state = SUP_STARTING;
	p->started_us = ts_mono_us();
	p->ready_us = 0;
	p->starts++;
	if (v->ready_us > 0) {
		ts_info("starting '%s' (pid %ld): %s; it does not tell readiness: taken as "
		    "ready after running %.1fs", p->name, (long)pid, p->cmdline,
		    (double)v->ready_us / 1e6);
		p->t_ready = ts_loop_timer(s->loop, v->ready_us, 0, on_ready_timer, p);
	} else {
		ts_info("starting '%s' (pid %ld): %s", p->name, (long)pid, p->cmdline);
		p->t_ready = ts_loop_timer(s->loop, s->conf.set.ready_timeout_us, 0,
		    on_ready_timer, p);
	}
	changed(p);
	update(p); /* started by `restart` with nobody subscribed: linger */
	return;
retry:
	p->state = SUP_DOWN;
	p->started_us = ts_mono_us();
	update(p);
}

static void
on_backoff(struct ts_loop *l, unsigned id, void *arg)
{
	struct sup_proc *p = arg;

	(void)l, (void)id;
	p->t_backoff = 0;
	if (p->state != SUP_BACKOFF)
		return;
	if (wanted(p)) {
		spawn(p);
	} else {
		p->state = SUP_DOWN;
		changed(p);
	}
}

/* Start now, or after the rest of a second since the last start (runit's
 * throttle), unless `restart` asked for it. */
static void
start_soon(struct sup_proc *p)
{
	int64_t now = ts_mono_us(), next = p->started_us + TS_US_PER_SEC;

	if (p->kick || !p->starts || now >= next) {
		spawn(p);
		return;
	}
	p->state = SUP_BACKOFF;
	cancel(p, &p->t_backoff);
	p->t_backoff = ts_loop_timer(p->sup->loop, next - now, 0, on_backoff, p);
	changed(p);
}

static void
on_kill(struct ts_loop *l, unsigned id, void *arg)
{
	struct sup_proc *p = arg;

	(void)l, (void)id;
	p->t_kill = 0;
	if (p->state != SUP_STOPPING || p->pid <= 0)
		return;
	ts_warn("'%s' (pid %ld) did not stop within %.1fs of SIGTERM: SIGKILL",
	    p->name, (long)p->pid, (double)p->sup->conf.set.stop_timeout_us / 1e6);
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL);
}

static void
stop_now(struct sup_proc *p, const char *why)
{
	cancel(p, &p->t_linger);
	cancel(p, &p->t_ready);
	if (p->pid <= 0)
		return;
	ts_info("stopping '%s' (pid %ld): %s", p->name, (long)p->pid, why);
	p->state = SUP_STOPPING;
	kill(-p->pid, SIGTERM);
	kill(p->pid, SIGTERM);
	kill(-p->pid, SIGCONT);
	cancel(p, &p->t_kill);
	p->t_kill = ts_loop_timer(p->sup->loop, p->sup->conf.set.stop_timeout_us, 0, on_kill, p);
	changed(p);
}

static void
on_linger(struct ts_loop *l, unsigned id, void *arg)
{
	struct sup_proc *p = arg;

	(void)l, (void)id;
	p->t_linger = 0;
	if ((p->state == SUP_STARTING || p->state == SUP_UP) && !wanted(p))
		stop_now(p, "no subscriber left");
}

static void
update(struct sup_proc *p)
{
	int w = wanted(p);
	const struct sup_svc *v = svc_of(p);
	int64_t linger = v->linger_us >= 0 ? v->linger_us : p->sup->conf.set.linger_us;

	switch (p->state) {
	case SUP_DOWN:
		if (w)
			start_soon(p);
		break;
	case SUP_BACKOFF:
		if (!w) {
			cancel(p, &p->t_backoff);
			p->state = SUP_DOWN;
			changed(p);
		} else if (p->kick) {
			spawn(p);
		}
		break;
	case SUP_STARTING:
	case SUP_UP:
		if (w) {
			cancel(p, &p->t_linger);
		} else if (p->sup->shutting_down) {
			stop_now(p, "the supervisor is stopping");
		} else if (p->user_stopped) {
			stop_now(p, "asked to stop");
		} else if (linger == 0) {
			stop_now(p, "no subscriber left");
		} else if (!p->t_linger) {
			ts_debug("'%s': no subscriber left; stopping in %.1fs", p->name,
			    (double)linger / 1e6);
			p->t_linger = ts_loop_timer(p->sup->loop, linger, 0, on_linger, p);
		}
		break;
	case SUP_STOPPING:
	case SUP_FAILED:
		break;
	}
}

/* What a leader left in its group is followed until the group is empty:
 * the supervisor is a child subreaper (main), so those processes become its
 * children and each one's end is a SIGCHLD (sup_reap calls this). */
static void
orphans_check(struct sup_proc *p)
{
	if (p->orphan_pgid <= 0 || kill(-p->orphan_pgid, 0) == 0)
		return;
	cancel(p, &p->t_orphan);
	sup_guard_group(p->sup, p->orphan_pgid, 0);
	p->orphan_pgid = 0;
}

static void
on_orphans(struct ts_loop *l, unsigned id, void *arg)
{
	struct sup_proc *p = arg;

	(void)l, (void)id;
	p->t_orphan = 0;
	if (p->orphan_pgid > 0 && kill(-p->orphan_pgid, 0) == 0) {
		ts_warn("'%s': what was left in process group %ld did not end on SIGTERM: "
		    "SIGKILL", p->name, (long)p->orphan_pgid);
		kill(-p->orphan_pgid, SIGKILL);
	}
	orphans_check(p);
}

/* The leader is gone; what it left in its group (the other end of a
 * pipeline) gets SIGTERM now and SIGKILL after the stop timeout. */
static void
end_group(struct sup_proc *p, pid_t pgid)
{
	if (kill(-pgid, SIGTERM) < 0) {
		sup_guard_group(p->sup, pgid, 0); /* nobody left */
		return;
	}
	kill(-pgid, SIGCONT);
	if (p->orphan_pgid > 0 && p->orphan_pgid != pgid) {
		/* the previous run's leftovers are still there: no more waiting */
		cancel(p, &p->t_orphan);
		kill(-p->orphan_pgid, SIGKILL);
		sup_guard_group(p->sup, p->orphan_pgid, 0);
	}
	p->orphan_pgid = pgid;
	p->orphan_start = p->pid_start;
	p->t_orphan = ts_loop_timer(p->sup->loop, p->sup->conf.set.stop_timeout_us, 0,
	    on_orphans, p);
}

static void
exited(struct sup_proc *p, int status)
{
	struct sup *s = p->sup;
	int64_t now = ts_mono_us(), ran = now - p->started_us;
	int was_stopping = p->state == SUP_STOPPING;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;

	cancel(p, &p->t_kill);
	cancel(p, &p->t_ready);
	cancel(p, &p->t_linger);
	end_group(p, p->pid);
	close_ready(p);
	if (sig)
		snprintf(p->last_exit, sizeof p->last_exit, "signal %d", sig);
	else
		snprintf(p->last_exit, sizeof p->last_exit, "exit %d", code);
	p->pid = 0;
	sup_groups_save(s);
	if (was_stopping) {
		ts_info("'%s' stopped (%s)", p->name, p->last_exit);
		p->state = SUP_DOWN;
		changed(p);
		update(p);
		return;
	}
	if (!wanted(p)) {
		ts_info("'%s' ended (%s)", p->name, p->last_exit);
		p->state = SUP_DOWN;
		changed(p);
		return;
	}
	if (sig || code == TS_EXIT_TEMP) {
		int64_t delay;
		if (ran >= s->conf.set.backoff_reset_us)
			p->backoff_us = TS_US_PER_SEC;
		delay = p->started_us + p->backoff_us - now;
		if (delay < 0)
			delay = 0;
		p->backoff_us *= 2;
		if (p->backoff_us > s->conf.set.backoff_max_us)
			p->backoff_us = s->conf.set.backoff_max_us;
		ts_warn("'%s' died (%s) after %.1fs: restarting in %.1fs", p->name,
		    p->last_exit, (double)ran / 1e6, (double)delay / 1e6);
		p->state = SUP_BACKOFF;
		p->restarts++;
		p->t_backoff = ts_loop_timer(s->loop, delay, 0, on_backoff, p);
		changed(p);
		return;
	}
	if (code == 0) {
		ts_info("'%s' finished (exit 0); not restarted until it is wanted anew",
		    p->name);
		p->state = SUP_DOWN;
		p->user_stopped = 1; /* cleared by new demand or `restart` */
	} else {
		ts_warn("'%s' failed (exit %d%s): not restarted until its topics are "
		    "subscribed anew or 'ts-supervisor restart %s'", p->name, code,
		    code == TS_EXIT_USAGE ? ": a permanent error" : ", not 111", p->name);
		p->state = SUP_FAILED;
	}
	changed(p);
}

void
sup_reap(struct sup *s)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (sup_guard_reaped(s, pid, status))
			continue;
		for (int i = 0; i < SUP_MAX_PROCS; i++) {
			if (s->proc[i].used && s->proc[i].pid == pid) {
				exited(&s->proc[i], status);
				break;
			}
		}
	}
	for (int i = 0; i < SUP_MAX_PROCS; i++)
		if (s->proc[i].used)
			orphans_check(&s->proc[i]);
}

static struct sup_proc *
find(struct sup *s, const char *name)
{
	for (int i = 0; i < SUP_MAX_PROCS; i++)
		if (s->proc[i].used && !strcmp(s->proc[i].name, name))
			return &s->proc[i];
	return NULL;
}

/* "no service 'NAME'" and the names status shows, for a stop or restart
 * of a name that is none of them. */
static void
no_service(const struct sup *s, const char *name, char *err, size_t n)
{
	size_t len;
	int any = 0;

	snprintf(err, n, "no service '%s' (known:", name);
	for (int i = 0; i < SUP_MAX_PROCS; i++) {
		if (!s->proc[i].used)
			continue;
		len = strlen(err);
		snprintf(err + len, n - len, "%s %s", any ? "," : "", s->proc[i].name);
		any = 1;
	}
	len = strlen(err);
	snprintf(err + len, n - len, "%s)", any ? "" : " none");
}

/* The instance of service `svc` for these bindings, made when absent (a
 * slot of a stopped instance nobody wants is reused when the table is full). */
static struct sup_proc *
instance(struct sup *s, int svc, const struct sup_vars *v)
{
	static struct ts_ratelimit rl = TS_RATELIMIT_INIT(0.1, 3);
	char name[SUP_NAME_MAX];
	const char *bad;
	struct sup_proc *p, *spare = NULL;

	if (sup_expand(s->conf.svc[svc].name, v, name, sizeof name, &bad) < 0)
		return NULL;
	if ((p = find(s, name)))
		return p;
	for (int i = 0; i < SUP_MAX_PROCS && !spare; i++)
		if (!s->proc[i].used)
			spare = &s->proc[i];
	for (int i = 0; i < SUP_MAX_PROCS && !spare; i++) {
		struct sup_proc *q = &s->proc[i];
		if (q->state == SUP_DOWN && q->subs == 0 && !q->t_backoff && !q->orphan_pgid &&
		    !s->conf.svc[q->svc].always)
			spare = q;
	}
	if (!spare) {
		ts_warn_rl(&rl, "cannot start '%s': the process table is full (%d)", name,
		    SUP_MAX_PROCS);
		return NULL;
	}
	memset(spare, 0, sizeof *spare);
	spare->sup = s;
	spare->used = 1;
	spare->svc = svc;
	spare->vars = *v;
	spare->ready_fd = -1;
	spare->backoff_us = TS_US_PER_SEC;
	snprintf(spare->name, sizeof spare->name, "%s", name);
	return spare;
}

static int
svc_active(const struct sup *s, const struct sup_svc *v)
{
	return v->enabled && (s->demo || !v->demo_only);
}

void
sup_proc_start_always(struct sup *s)
{
	struct sup_vars none = { .n = 0 };

	for (int i = 0; i < s->conf.nsvc; i++) {
		struct sup_proc *p;
		if (!s->conf.svc[i].always || !svc_active(s, &s->conf.svc[i]))
			continue;
		if ((p = instance(s, i, &none)))
			update(p);
	}
}

void
sup_topic_event(struct sup *s, const char *topic, int on)
{
	struct ts_map_entry *e = ts_map_get(&s->topics, topic);
	struct sup_proc *touched[SUP_MAX_SVCS];
	int ntouched = 0;

	if (on) {
		e = ts_map_put(&s->topics, topic, NULL);
		e->v.u++;
	} else {
		if (!e || e->v.u == 0)
			return; /* an unsubscription of what we never saw */
		if (--e->v.u == 0)
			ts_map_del(&s->topics, topic);
	}
	for (int i = 0; i < s->conf.nsvc; i++) {
		const struct sup_svc *v = &s->conf.svc[i];
		if (!svc_active(s, v))
			continue;
		for (int k = 0; k < v->npat; k++) {
			struct sup_vars vars;
			struct sup_proc *p;
			int dup = 0;
			if (!sup_pat_match(v->pat[k], topic, &vars))
				continue;
			p = on ? instance(s, i, &vars) : NULL;
			if (!on) {
				char name[SUP_NAME_MAX];
				const char *bad;
				if (sup_expand(v->name, &vars, name, sizeof name, &bad) == 0)
					p = find(s, name);
			}
			if (!p)
				continue;
			for (int j = 0; j < ntouched; j++)
				dup |= touched[j] == p;
			if (dup || ntouched >= SUP_MAX_SVCS)
				continue;
			touched[ntouched++] = p;
			if (on) {
				p->subs++;
				/* new demand: a user stop or a permanent failure is retried */
				p->user_stopped = 0;
				if (p->state == SUP_FAILED)
					p->state = SUP_DOWN;
			} else if (p->subs > 0) {
				p->subs--;
			}
			update(p);
			changed(p);
		}
	}
}

static int
cmp_sym(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
sup_proc_markets(const struct sup *s, const struct sup_proc *p,
    char (*sym)[TS_SYM_MAX], int max)
{
	const struct sup_svc *v = &s->conf.svc[p->svc];
	struct ts_map_entry *e;
	size_t it = 0;
	int n = 0;

	while ((e = ts_map_next(&s->topics, &it)) && n < max) {
		struct ts_topic t;
		int mine = 0, dup = 0;
		for (int k = 0; k < v->npat && !mine; k++) {
			struct sup_vars vars;
			char name[SUP_NAME_MAX];
			const char *bad;
			mine = sup_pat_match(v->pat[k], e->key, &vars) &&
			    sup_expand(v->name, &vars, name, sizeof name, &bad) == 0 &&
			    !strcmp(name, p->name);
		}
		if (!mine || ts_topic_parse(e->key, &t, NULL) < 0 || !t.sym[0])
			continue;
		for (int i = 0; i < n && !dup; i++)
			dup = !strcmp(sym[i], t.sym);
		if (!dup)
			snprintf(sym[n++], TS_SYM_MAX, "%s", t.sym);
	}
	qsort(sym, (size_t)n, sizeof *sym, cmp_sym);
	return n;
}

int
sup_running(const struct sup *s)
{
	int n = 0;

	for (int i = 0; i < SUP_MAX_PROCS; i++) {
		const struct sup_proc *p = &s->proc[i];
		n += p->used && (p->pid > 0 || (p->orphan_pgid > 0 &&
		    kill(-p->orphan_pgid, 0) == 0));
	}
	return n;
}

int
sup_stop_all(struct sup *s)
{
	s->shutting_down = 1;
	for (int i = 0; i < SUP_MAX_PROCS; i++) {
		struct sup_proc *p = &s->proc[i];
		if (!p->used)
			continue;
		cancel(p, &p->t_backoff);
		if (p->state == SUP_BACKOFF)
			p->state = SUP_DOWN;
		if (p->pid > 0 && p->state != SUP_STOPPING)
			stop_now(p, "the supervisor is stopping");
	}
	return sup_running(s) == 0;
}

int
sup_cmd_stop(struct sup *s, const char *name, char *err, size_t n)
{
	struct sup_proc *p = find(s, name);

	if (!p) {
		no_service(s, name, err, n);
		return -1;
	}
	p->user_stopped = 1;
	p->kick = 0;
	if (p->state == SUP_STARTING || p->state == SUP_UP)
		stop_now(p, "asked to stop");
	else
		update(p);
	ts_info("'%s' stopped on request; it stays down until it is subscribed anew "
	    "or restarted", p->name);
	return 0;
}

int
sup_cmd_restart(struct sup *s, const char *name, char *err, size_t n)
{
	struct sup_proc *p = find(s, name);

	if (!p) {
		no_service(s, name, err, n);
		return -1;
	}
	p->user_stopped = 0;
	p->kick = 1;
	p->restarts++;
	switch (p->state) {
	case SUP_STARTING:
	case SUP_UP:
		stop_now(p, "asked to restart");
		break;
	case SUP_FAILED:
		p->state = SUP_DOWN;
		/* fall through */
	case SUP_DOWN:
	case SUP_BACKOFF:
		spawn(p);
		break;
	case SUP_STOPPING:
		break; /* starts again when it has exited */
	}
	return 0;
}
