/* sup_groups.c: the groups file: the process groups a supervisor's children
 * run in, so the next supervisor on the same bus can end what a dead one left
 *
 * The guard (sup_guard.c) ends a dead supervisor's children. When the guard
 * dies with it (a kill -9 of both at once, the OOM killer), the children
 * would stay, publish into the next supervisor's bus (ZeroMQ reconnects) and
 * run beside the copies it starts. So DIR/groups (ipc buses: beside the
 * lock) lists "PGID STARTTIME" of each group, STARTTIME being the leader's
 * start time in clock ticks since boot (/proc/PID/stat), so a pid the kernel
 * has given to another process is told apart. A supervisor that takes over
 * the bus directory ends the groups its predecessor listed before it binds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sup.h"
#include "tm.h"

/* The process group and start time of `pid` from /proc; 0, or -1 when it
 * is not there (or is a zombie: it holds nothing any more). */
static int
proc_stat(pid_t pid, pid_t *pgrp, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	char state;
	int fd;
	ssize_t n;
	long long grp;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
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

void
sup_groups_save(struct sup *s)
{
	static struct ts_ratelimit rl = TS_RATELIMIT_INIT(0.1, 3);
	char tmp[sizeof s->groups_path + 8];
	FILE *f;

	if (!s->groups_path[0])
		return;
	snprintf(tmp, sizeof tmp, "%s.new", s->groups_path);
	if (!(f = fopen(tmp, "we"))) {
		ts_warn_rl(&rl, "cannot write '%s': %s", tmp, strerror(errno));
		return;
	}
	for (int i = 0; i < SUP_MAX_PROCS; i++) {
		const struct sup_proc *p = &s->proc[i];
		if (!p->used)
			continue;
		if (p->pid > 0 && p->pid_start)
			fprintf(f, "%ld %llu\n", (long)p->pid, p->pid_start);
		if (p->orphan_pgid > 0 && p->orphan_start)
			fprintf(f, "%ld %llu\n", (long)p->orphan_pgid, p->orphan_start);
	}
	if (fclose(f) != 0 || rename(tmp, s->groups_path) < 0) {
		ts_warn_rl(&rl, "cannot write '%s': %s", s->groups_path, strerror(errno));
		unlink(tmp);
	}
}

/* Is group `pgid`, whose leader started at `start`, still there? Its leader
 * with that start time, or (the leader gone) a member that started no
 * earlier. A leader's pid now held by a process that started at another
 * time means the group is long gone. */
static int
group_left(pid_t pgid, unsigned long long start)
{
	unsigned long long t;
	pid_t g;
	DIR *d;
	struct dirent *e;
	int found = 0;

	if (proc_stat(pgid, &g, &t) == 0)
		return t == start && g == pgid;
	if (!(d = opendir("/proc")))
		return 0;
	while (!found && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		found = proc_stat((pid_t)pid, &g, &t) == 0 && g == pgid && t >= start;
	}
	closedir(d);
	return found;
}

void
sup_groups_end_leftovers(struct sup *s)
{
	pid_t groups[2 * SUP_MAX_PROCS];
	int n = 0, alive;
	unsigned long long start;
	long pgid;
	int64_t deadline;
	FILE *f;

	if (!s->groups_path[0] || !(f = fopen(s->groups_path, "re")))
		return;
	while (n < (int)(sizeof groups / sizeof *groups) &&
	    fscanf(f, "%ld %llu", &pgid, &start) == 2) {
		if (pgid > 1 && pgid != getpid() && group_left((pid_t)pgid, start) &&
		    kill(-(pid_t)pgid, SIGTERM) == 0) {
			kill(-(pid_t)pgid, SIGCONT);
			groups[n++] = (pid_t)pgid;
		}
	}
	fclose(f);
	unlink(s->groups_path);
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
