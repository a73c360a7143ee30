/* sup_peers.c: the proxy's memory bounded in bytes, and who is being dropped
 *
 * Measured before (bench/supervisor/stall.sh): with one subscriber stopped
 * and a fast publisher, the supervisor grew from 7 to 646 MB on 700 messages
 * of 1 MB, since ZeroMQ's high-water mark counts messages (100,000 of
 * them), whatever their size.
 *
 * ZeroMQ cannot say how many bytes wait for one subscriber, and its HWM
 * cannot follow the message size: ZeroMQ 4.3.4 applies a new HWM to
 * connected pipes, but a pipe whose HWM shrank stops after HWM messages for
 * good (its reader still acknowledges at the old low-water mark; seen in
 * t0101: 283 messages, then nothing). So the bound is kept here:
 *  - a message is at most max_msg bytes (ZMQ_MAXMSGSIZE on the publishers'
 *    socket; a publisher that sends more is disconnected) and a
 *    subscription at most 4 KiB;
 *  - the HWM is the budget over a small message's cost, at most
 *    TS_BUS_HWM, set once;
 *  - the proxy's own connections to subscribers are scanned (SIOCOUTQ, the
 *    bytes waiting in the kernel) at every status and after every eighth
 *    of the budget forwarded: a subscriber with a backlog at two scans in a
 *    row is named in status; one that has read nothing (its process's read
 *    count, or tcp's acknowledged bytes, unchanged) while more than the
 *    budget was forwarded holds no more than that in its pipe, and is cut
 *    off (shutdown(2) of its socket: ZeroMQ frees its queue, and
 *    the subscriber reconnects and resubscribes when it reads again, seeing
 *    the gap in seq). The other subscribers' pipes are their own: ZeroMQ's
 *    PUB drops for the full pipe alone, and nobody is slowed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#include "log.h"
#include "sup.h"
#include "tm.h"

/* What ZeroMQ keeps for a message besides its bytes: two frames' msg_t, the
 * content header of a large one, the pipe's chunk (measured: 100,000
 * messages of 100 bytes queued for a stalled subscriber took 64 MB). */
#define MSG_COST 640
/* bytes in a subscriber's socket at two scans in a row: it is behind */
#define BACKLOG 4096

static int64_t
env_bytes(const char *name, int64_t dflt, int64_t lo, int64_t hi)
{
	const char *v = getenv(name);
	char *end;
	long long n;

	if (!v || !*v)
		return dflt;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v)
		return dflt;
	if (*end == 'k' || *end == 'K')
		n *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		n *= 1024 * 1024, end++;
	else if (*end == 'g' || *end == 'G')
		n *= 1024LL * 1024 * 1024, end++;
	if (*end || n < lo || n > hi) {
		ts_warn("%s='%s' is not a size from %lld to %lld bytes: using %lld", name, v,
		    (long long)lo, (long long)hi, (long long)dflt);
		return dflt;
	}
	return n;
}

void
sup_peers_init(struct sup_peers *pp, const struct ts_bus_ep *ep)
{
	const char *colon = strrchr(ep->sub, ':');
	int64_t h;

	memset(pp, 0, sizeof *pp);
	pp->budget = env_bytes("TS_BUS_BUFFER", 64LL << 20, 1LL << 20, 1LL << 40);
	pp->max_msg = env_bytes("TS_BUS_MAXMSG", 16LL << 20, 4096, 1LL << 31);
	h = pp->budget / MSG_COST;
	pp->hwm = h > ts_bus_hwm() ? ts_bus_hwm() : h < 100 ? 100 : (int)h;
	if (ep->tcp)
		pp->sub_port = colon ? atoi(colon + 1) : 0;
	else
		snprintf(pp->sub_path, sizeof pp->sub_path, "%s", ep->sub + 6);
}

void
sup_peers_apply(const struct sup_peers *pp, void *sock, int type)
{
	int64_t small = 4096;

	/* publishers send messages; subscribers send only subscriptions */
	if (type == ZMQ_XSUB) {
		zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &pp->max_msg, sizeof pp->max_msg);
		zmq_setsockopt(sock, ZMQ_RCVHWM, &pp->hwm, sizeof pp->hwm);
	}
	if (type == ZMQ_XPUB) {
		zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &small, sizeof small);
		zmq_setsockopt(sock, ZMQ_SNDHWM, &pp->hwm, sizeof pp->hwm);
	}
}

void
sup_peers_forwarded(struct sup_peers *pp, size_t bytes)
{
	pp->forwarded += bytes;
	if (pp->forwarded - pp->scanned_at >= (uint64_t)pp->budget / 8)
		sup_peers_scan(pp);
}

/* The peer of a connected socket, for a message: its command line (pid in
 * *pid) or HOST:PORT. */
static void
peer_name(int fd, long *pid, char *who, size_t n)
{
	struct ucred cr;
	socklen_t cl = sizeof cr;
	struct sockaddr_storage sa;
	socklen_t sl = sizeof sa;

	*pid = 0;
	snprintf(who, n, "?");
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0 && cr.pid > 0) {
		char cmd[100];
		ssize_t r;
		*pid = cr.pid;
		if ((r = sup_proc_read(cr.pid, "cmdline", cmd, sizeof cmd)) < 0)
			return;
		/* arguments joined by spaces; nothing that could forge a log line */
		for (ssize_t i = 0; i < r; i++)
			if (cmd[i] == '\0' && i < r - 1)
				cmd[i] = ' ';
			else if ((unsigned char)cmd[i] < ' ' && cmd[i])
				cmd[i] = '?';
		snprintf(who, n, "%s", cmd);
		return;
	}
	if (getpeername(fd, (struct sockaddr *)&sa, &sl) == 0 && sa.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&sa;
		const unsigned char *a = (const unsigned char *)&in->sin_addr;
		snprintf(who, n, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3],
		    (unsigned)ntohs(in->sin_port));
	}
}

/* A counter that grows while the peer of fd reads: the bytes its process
 * has read (ipc: /proc/PID/io, the peer's pid from SO_PEERCRED) or the bytes
 * it acknowledged (tcp). A socket's backlog alone cannot tell a stopped
 * peer from one that reads as fast as it can while ZeroMQ refills it. -1
 * when it cannot be known (then the peer is never cut off). */
static long long
peer_progress(int fd, long pid)
{
	struct tcp_info ti;
	socklen_t tl = sizeof ti;
	char buf[512], *p;

	if (pid <= 0) {
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 &&
		    tl >= offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof ti.tcpi_bytes_acked)
			return (long long)ti.tcpi_bytes_acked;
		return -1;
	}
	if (sup_proc_read(pid, "io", buf, sizeof buf) < 0 || !(p = strstr(buf, "rchar:")))
		return -1;
	return strtoll(p + 6, NULL, 10);
}

/* 1 when fd is a connection accepted on the subscribers' endpoint. */
static int
is_sub_conn(const struct sup_peers *pp, int fd)
{
	struct sockaddr_storage sa;
	socklen_t sl = sizeof sa;
	int listening = 0;
	socklen_t l = sizeof listening;

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l) < 0 || listening ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		return 0;
	if (sa.ss_family == AF_UNIX && pp->sub_path[0]) {
		const struct sockaddr_un *un = (const void *)&sa;
		return sl > offsetof(struct sockaddr_un, sun_path) &&
		    !strcmp(un->sun_path, pp->sub_path);
	}
	if (sa.ss_family == AF_INET && !pp->sub_path[0])
		return ntohs(((const struct sockaddr_in *)(const void *)&sa)->sin_port) ==
		    pp->sub_port;
	if (sa.ss_family == AF_INET6 && !pp->sub_path[0])
		return ntohs(((const struct sockaddr_in6 *)(const void *)&sa)->sin6_port) ==
		    pp->sub_port;
	return 0;
}

void
sup_peers_scan(struct sup_peers *pp)
{
	static struct ts_ratelimit rl = TS_RATELIMIT_INIT(0.2, 3);
	struct sup_peer now_behind[SUP_PEERS_MAX];
	int n = 0;
	int64_t now = ts_mono_us();
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	pp->scanned_at = pp->forwarded;
	if (!d)
		return;
	while ((e = readdir(d)) && n < SUP_PEERS_MAX) {
		struct stat st;
		struct sup_peer *q = &now_behind[n], *was = NULL;
		int fd = atoi(e->d_name), queued = 0;
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(d) ||
		    fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) || !is_sub_conn(pp, fd))
			continue;
		/* a peer that reads drains its socket at once; ZeroMQ's pipe
		 * behind a socket that stays full fills next (a unix socket of
		 * small writes holds about 50 KB) */
		if (ioctl(fd, SIOCOUTQ, &queued) < 0 || queued < BACKLOG)
			continue;
		for (int i = 0; i < pp->n; i++)
			if (pp->peer[i].fd == fd && pp->peer[i].ino == st.st_ino)
				was = &pp->peer[i];
		if (was) {
			long long prog = peer_progress(fd, was->pid);
			*q = *was;
			q->scans++;
			/* it read something: count from here */
			if (prog < 0 || prog != was->progress)
				q->forwarded_at = pp->forwarded;
			q->progress = prog;
		} else {
			memset(q, 0, sizeof *q);
			q->fd = fd;
			q->ino = st.st_ino;
			q->since_us = now;
			q->forwarded_at = pp->forwarded;
			peer_name(fd, &q->pid, q->who, sizeof q->who);
			q->progress = peer_progress(fd, q->pid);
		}
		q->queued = queued;
		n++;
		if (q->scans == 1) {
			ts_warn_rl(&rl, "subscriber %s (pid %ld) is not keeping up: %d bytes wait "
			    "in its socket; its messages are dropped, for it alone, past %d "
			    "queued, and it is cut off when it has read nothing while %lld "
			    "bytes were forwarded", q->who, q->pid, queued, pp->hwm,
			    (long long)pp->budget);
		}
		if (q->scans >= 1 && pp->forwarded - q->forwarded_at > (uint64_t)pp->budget) {
			ts_warn("subscriber %s (pid %ld) read nothing while %llu bytes were "
			    "forwarded: cut off, its queue freed (it reconnects when it reads "
			    "again)", q->who, q->pid,
			    (unsigned long long)(pp->forwarded - q->forwarded_at));
			shutdown(fd, SHUT_RDWR); /* ZeroMQ sees the end and closes it */
			pp->cut++;
			n--;
		}
	}
	closedir(d);
	memcpy(pp->peer, now_behind, sizeof now_behind[0] * (size_t)n);
	pp->n = n;
}

void
sup_peers_json(const struct sup_peers *pp, struct ts_jw *w)
{
	int64_t now = ts_mono_us();

	ts_jw_key(w, "bus_memory");
	ts_jw_obj(w);
	ts_jw_ki64(w, "budget", pp->budget);
	ts_jw_ki64(w, "max_message", pp->max_msg);
	ts_jw_ki64(w, "hwm", pp->hwm);
	ts_jw_ki64(w, "cut_off", (int64_t)pp->cut);
	ts_jw_key(w, "dropping");
	ts_jw_arr(w);
	for (int i = 0; i < pp->n; i++) {
		const struct sup_peer *q = &pp->peer[i];
		if (q->scans < 1)
			continue; /* a backlog at one scan only: maybe a burst */
		ts_jw_obj(w);
		ts_jw_ki64(w, "pid", q->pid);
		ts_jw_kstr(w, "who", q->who);
		ts_jw_ki64(w, "queued", q->queued);
		ts_jw_ki64(w, "behind_for", (now - q->since_us) / TS_US_PER_SEC);
		ts_jw_obj_end(w);
	}
	ts_jw_arr_end(w);
	ts_jw_obj_end(w);
}
