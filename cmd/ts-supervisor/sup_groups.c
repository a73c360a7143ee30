/* sup_groups.c: the groups file: the process groups a supervisor's children
 * run in, so the next supervisor on the same bus can end what a dead one left
 *
 * The guard (sup_guard.c) ends a dead supervisor's children. When the guard
 * dies with it (a kill -9 of both at once, the OOM killer), the children
 * would stay, publish into the next supervisor's bus (ZeroMQ reconnects) and
 * run beside the copies it starts. So DIR/groups (ipc buses: beside the
 * lock) lists "PGID STARTTIME" of each group, STARTTIME being the leader's
 * start time in clock ticks since boot (/proc/PID/stat), so a pid the kernel
 * has given to another process is told apart, and EXE, the leader's
 * executable once it has run exec ("-" before, or for a group whose leader
 * is gone). A supervisor that takes over the bus directory ends the groups
 * its predecessor listed before it binds.
 *
 * The file is read as a hostile one (issue 20: a planted groups file made a
 * root supervisor kill an unrelated process group): never through a link,
 * and a group is signalled only when its leader (or, the leader gone, a
 * member) has the recorded start time, the recorded executable, and the
 * TS_BUS entry this supervisor gives its children in its environment, so
 * that it was started for this bus.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "log.h"
#include "path.h"
#include "sup.h"
#include "tm.h"

/* The process group and start time of `pid` from /proc; 0, or -1 when it
 * is not there (or is a zombie: it holds nothing any more). */
ssize_t
sup_proc_read(long pid, const char *what, char *buf, size_t n)
{
	char path[64];
	ssize_t r;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/%s", pid, what);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	r = read(fd, buf, n - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	return r;
}

static int
proc_stat(pid_t pid, pid_t *pgrp, unsigned long long *start)
{
	char buf[1024], *p;
	char state;
	long long grp;

	if (sup_proc_read(pid, "stat", buf, sizeof buf) < 0)
		return -1;
	/* the name in parentheses may hold anything: fields follow the last ')' */
	if (!(p = strrchr(buf, ')')))
		return -1;
	if (sscanf(p + 1, " %c %*d %lld %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
	    "%*d %*d %*d %*d %llu", &state, &grp, start) != 3 || state == 'Z')
		return -1;
	*pgrp = (pid_t)grp;
	return 0;
}

unsigned long long
sup_groups_start_of(pid_t pid)
{
	pid_t g;
	unsigned long long start = 0;

	return proc_stat(pid, &g, &start) == 0 ? start : 0;
}

/* The executable of pid into buf (n bytes); 0, or -1 when unknown. */
static int
proc_exe(pid_t pid, char *buf, size_t n)
{
	char path[64];
	ssize_t r;

	snprintf(path, sizeof path, "/proc/%ld/exe", (long)pid);
	if ((r = readlink(path, buf, n - 1)) <= 0 || (size_t)r >= n - 1)
		return -1;
	buf[r] = '\0';
	return strchr(buf, '\n') ? -1 : 0;
}

/* 1 when the environment pid was started with holds `entry` ("K=V"). */
static int
proc_env_has(pid_t pid, const char *entry)
{
	static char buf[256 * 1024];
	char path[64];
	size_t have = 0, len = strlen(entry);
	ssize_t r;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	while (have < sizeof buf - 1 && (r = read(fd, buf + have, sizeof buf - 1 - have)) > 0)
		have += (size_t)r;
	close(fd);
	buf[have] = '\0';
	for (size_t o = 0; o < have; o += strlen(buf + o) + 1)
		if (!strncmp(buf + o, entry, len) && buf[o + len] == '\0')
			return 1;
	return 0;
}

void
sup_groups_save(struct sup *s)
{
	static struct ts_ratelimit rl = TS_RATELIMIT_INIT(0.1, 3);
	char self[256], *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!s->groups_path[0])
		return;
	if (proc_exe(getpid(), self, sizeof self) < 0)
		self[0] = '\0';
	if (!(f = open_memstream(&buf, &len)))
		ts_die(TS_EXIT_TEMP, "out of memory");
	for (int i = 0; i < SUP_MAX_PROCS; i++) {
		struct sup_proc *p = &s->proc[i];
		if (!p->used)
			continue;
		/* until the child has run exec, /proc shows our own executable */
		if (p->pid > 0 && !p->exe[0] &&
		    (proc_exe(p->pid, p->exe, sizeof p->exe) < 0 || !strcmp(p->exe, self)))
			p->exe[0] = '\0';
		if (p->pid > 0 && p->pid_start)
			fprintf(f, "%ld %llu %s\n", (long)p->pid, p->pid_start,
			    p->exe[0] ? p->exe : "-");
		if (p->orphan_pgid > 0 && p->orphan_start)
			fprintf(f, "%ld %llu -\n", (long)p->orphan_pgid, p->orphan_start);
	}
	if (fclose(f) != 0)
		ts_die(TS_EXIT_TEMP, "out of memory");
	/* a new file of our own, never one someone left (or linked) there */
	if (ts_write_atomic(s->groups_path, buf, len, 0600) < 0)
		ts_warn_rl(&rl, "cannot write '%s': %s", s->groups_path, strerror(errno));
	free(buf);
}

/* Is group `pgid`, whose leader started at `start` and runs `exe` ("-":
 * not known), still there, and one a supervisor of this bus started (busenv
 * in its environment)? Its leader with that start time and executable, or
 * (the leader gone) a member that started no earlier. A leader's pid now
 * held by a process that started at another time means the group is long
 * gone. */
static int
group_left(pid_t pgid, unsigned long long start, const char *exe, const char *busenv)
{
	unsigned long long t;
	pid_t g;
	DIR *d;
	struct dirent *e;
	int found = 0;
	char now[256];

	if (proc_stat(pgid, &g, &t) == 0)
		return t == start && g == pgid && proc_env_has(pgid, busenv) &&
		    (!strcmp(exe, "-") || (proc_exe(pgid, now, sizeof now) == 0 &&
		    !strcmp(now, exe)));
	if (!(d = opendir("/proc")))
		return 0;
	while (!found && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		found = proc_stat((pid_t)pid, &g, &t) == 0 && g == pgid && t >= start &&
		    proc_env_has((pid_t)pid, busenv);
	}
	closedir(d);
	return found;
}

void
sup_groups_end_leftovers(struct sup *s)
{
	pid_t groups[2 * SUP_MAX_PROCS];
	int n = 0, alive, fd, skipped = 0;
	unsigned long long start;
	long pgid;
	int64_t deadline;
	char line[512], exe[300], busenv[sizeof s->bus_env + 8], err[400];
	struct stat st;
	FILE *f;

	if (!s->groups_path[0] || lstat(s->groups_path, &st) < 0)
		return;
	if ((fd = ts_bus_open_own(s->groups_path, O_RDONLY, err, sizeof err)) < 0) {
		ts_warn("%s; its process groups are left alone", err);
		unlink(s->groups_path);
		return;
	}
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		return;
	}
	snprintf(busenv, sizeof busenv, "TS_BUS=%s", s->bus_env);
	while (n < (int)(sizeof groups / sizeof *groups) && fgets(line, sizeof line, f)) {
		if (sscanf(line, "%ld %llu %299[^\n]", &pgid, &start, exe) != 3)
			continue;
		if (pgid <= 1 || pgid == getpid() || pgid == getpgrp())
			continue;
		if (!group_left((pid_t)pgid, start, exe, busenv)) {
			skipped += kill(-(pid_t)pgid, 0) == 0;
			continue;
		}
		if (kill(-(pid_t)pgid, SIGTERM) == 0) {
			kill(-(pid_t)pgid, SIGCONT);
			groups[n++] = (pid_t)pgid;
		}
	}
	fclose(f);
	unlink(s->groups_path);
	if (skipped)
		ts_warn("'%s' lists %d running process group%s that this bus's supervisor "
		    "did not start (another start time, executable or bus): left alone",
		    s->groups_path, skipped, skipped == 1 ? "" : "s");
	if (!n)
		return;
	ts_warn("%d process group%s that a dead supervisor left behind still ran: "
	    "SIGTERM (first: %ld)", n, n == 1 ? "" : "s", (long)groups[0]);
	deadline = ts_mono_us() + s->conf.set.stop_timeout_us;
	do {
		struct timespec tick = { 0, 50 * 1000 * 1000 };
		alive = 0;
		for (int i = 0; i < n; i++)
			alive += kill(-groups[i], 0) == 0;
		if (alive)
			nanosleep(&tick, NULL);
	} while (alive && ts_mono_us() < deadline);
	if (alive) {
		ts_warn("%d of them did not end within %.1fs: SIGKILL", alive,
		    (double)s->conf.set.stop_timeout_us / 1e6);
		for (int i = 0; i < n; i++)
			kill(-groups[i], SIGKILL);
	}
}
