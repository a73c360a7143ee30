/* ts-supervisor: owns the bus: the XSUB/XPUB proxy every program connects to */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "log.h"
#include "loop.h"
#include "tm.h"

static const char usage[] =
"usage: ts-supervisor [-B ENDPOINT] [--insecure] [--ready-fd FD]\n"
"\n"
"Run the TradeSuite bus: publishers connect to its XSUB endpoint,\n"
"subscribers to its XPUB endpoint, and it forwards messages one way and\n"
"subscriptions the other.\n"
"\n"
"  -B ENDPOINT     bus directory, ipc://DIR or tcp://HOST:PORT\n"
"                  (default: $TS_BUS, else $XDG_RUNTIME_DIR/tradesuite,\n"
"                  else /tmp/tradesuite-$UID)\n"
"      --insecure  allow a tcp bus on a non-loopback address\n"
"      --ready-fd FD  write a newline to FD once the endpoints are bound\n"
"  -v, --verbose   log every subscription and unsubscription\n"
"  -h, --help      show this help\n"
"\n"
"Exit status: 0 stopped by SIGTERM/SIGINT, 100 usage error or the endpoints\n"
"are owned by another supervisor, 111 system error.\n";

struct proxy {
	void *xsub; /* publishers connect here */
	void *xpub; /* subscribers connect here */
	struct ts_bus_ep ep;
	int lockfd;
	int verbose;
	uint64_t forwarded, subs, unsubs;
};

/* Move one whole message (all its frames) from `from` to `to`. Returns 0,
 * or -1 when `from` had nothing (EAGAIN). A message the far side cannot take
 * is dropped by ZeroMQ's PUB semantics; a consumer sees the gap in seq. */
static int
move_message(void *from, void *to)
{
	zmq_msg_t f;
	int more;

	do {
		zmq_msg_init(&f);
		if (zmq_msg_recv(&f, from, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&f);
			return -1;
		}
		more = zmq_msg_more(&f);
		if (zmq_msg_send(&f, to, more ? ZMQ_SNDMORE : 0) < 0)
			zmq_msg_close(&f);
	} while (more);
	return 0;
}

static void
on_xsub(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct proxy *p = arg;

	(void)l, (void)fd, (void)rev;
	/* a bounded batch, so subscriptions are not starved by a flood */
	for (int i = 0; i < 4096 && move_message(sock, p->xpub) == 0; i++)
		p->forwarded++;
}

static void
on_xpub(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct proxy *p = arg;
	zmq_msg_t f;

	(void)l, (void)fd, (void)rev;
	for (int i = 0; i < 4096; i++) {
		const unsigned char *d;
		size_t n;
		zmq_msg_init(&f);
		if (zmq_msg_recv(&f, sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&f);
			return;
		}
		d = zmq_msg_data(&f);
		n = zmq_msg_size(&f);
		if (n >= 1 && (d[0] == 0 || d[0] == 1)) {
			if (d[0])
				p->subs++;
			else
				p->unsubs++;
			if (p->verbose)
				ts_info("%s '%.*s'", d[0] ? "subscribe" : "unsubscribe",
				    (int)(n - 1), (const char *)d + 1);
		}
		if (zmq_msg_send(&f, p->xsub, 0) < 0)
			zmq_msg_close(&f);
	}
}

static void
on_stop(struct ts_loop *l, int signo, void *arg)
{
	(void)arg;
	ts_info("stopping on signal %d", signo);
	ts_loop_stop(l);
}

/* The ipc directory's lock says who owns the endpoints: a live supervisor
 * holds it, so a second one is refused and a dead one's socket files are
 * stale and safe to remove. */
static void
take_ownership(struct proxy *p)
{
	char path[300];
	const char *names[] = { "pub", "sub", "ctl" };
	char pid[32];
	int n;

	if (p->ep.tcp) {
		p->lockfd = -1;
		return;
	}
	if (ts_bus_mkdir(&p->ep) < 0)
		ts_die_errno(TS_EXIT_TEMP, "cannot create bus directory '%s'", p->ep.dir);
	snprintf(path, sizeof path, "%s/lock", p->ep.dir);
	p->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (p->lockfd < 0)
		ts_die_errno(TS_EXIT_TEMP, "cannot open '%s'", path);
	if (flock(p->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			ts_die_errno(TS_EXIT_TEMP, "cannot lock '%s'", path);
		n = (int)pread(p->lockfd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		ts_die(TS_EXIT_USAGE, "another ts-supervisor (pid %s) owns the bus in '%s'",
		    *pid ? pid : "?", p->ep.dir);
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(p->lockfd, 0) < 0 || pwrite(p->lockfd, pid, (size_t)n, 0) != n)
		ts_warn_errno("cannot write pid to '%s'", path);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		snprintf(path, sizeof path, "%s/%s", p->ep.dir, names[i]);
		if (unlink(path) == 0)
			ts_info("removed stale socket '%s'", path);
	}
}

static void
release_ownership(struct proxy *p)
{
	char path[300];
	const char *names[] = { "pub", "sub", "ctl", "lock" };

	if (p->ep.tcp)
		return;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		snprintf(path, sizeof path, "%s/%s", p->ep.dir, names[i]);
		unlink(path);
	}
	close(p->lockfd);
}

static void *
bound(int type, const char *endpoint)
{
	void *s = zmq_socket(ts_bus_ctx(), type);

	if (!s)
		ts_die(TS_EXIT_TEMP, "cannot create a socket: %s", zmq_strerror(errno));
	ts_bus_sockopts(s, type);
	if (type == ZMQ_XPUB) {
		/* pass every subscribe and unsubscribe upstream, so the XSUB
		 * (and producers behind it) can count them to zero */
		int one = 1;
		zmq_setsockopt(s, ZMQ_XPUB_VERBOSER, &one, sizeof one);
	}
	if (zmq_bind(s, endpoint) < 0) {
		if (errno == EADDRINUSE)
			ts_die(TS_EXIT_USAGE, "cannot bind '%s': address in use "
			    "(another ts-supervisor owns the bus?)", endpoint);
		ts_die(TS_EXIT_TEMP, "cannot bind '%s': %s", endpoint, zmq_strerror(errno));
	}
	return s;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bus", required_argument, NULL, 'B' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "ready-fd", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct proxy p = { 0 };
	struct ts_loop *l;
	const char *bus = NULL;
	char err[256];
	int c, insecure = 0, ready_fd = -1;

	ts_log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "B:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'B': bus = optarg; break;
		case 'I': insecure = 1; break;
		case 'R':
			ready_fd = atoi(optarg);
			if (ready_fd < 0 || fcntl(ready_fd, F_GETFD) < 0)
				ts_die(TS_EXIT_USAGE, "--ready-fd: '%s' is not an open fd", optarg);
			break;
		case 'v': p.verbose = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return TS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ts-supervisor: unexpected argument '%s'\n%s", argv[optind], usage);
		return TS_EXIT_USAGE;
	}
	if (ts_bus_resolve(bus, &p.ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	if (!ts_bus_is_local(&p.ep) && !insecure)
		ts_die(TS_EXIT_USAGE, "refusing a tcp bus on non-loopback '%s' without "
		    "encryption (use --insecure to allow it)", p.ep.host);

	l = ts_loop_new();
	ts_loop_signal(l, SIGTERM, on_stop, NULL);
	ts_loop_signal(l, SIGINT, on_stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	take_ownership(&p);
	p.xsub = bound(ZMQ_XSUB, p.ep.pub);
	p.xpub = bound(ZMQ_XPUB, p.ep.sub);
	ts_loop_add(l, p.xsub, -1, ZMQ_POLLIN, on_xsub, &p);
	ts_loop_add(l, p.xpub, -1, ZMQ_POLLIN, on_xpub, &p);
	ts_info("bus ready: publishers '%s', subscribers '%s'", p.ep.pub, p.ep.sub);
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "\n", 1);
		close(ready_fd);
	}

	if (ts_loop_run(l) < 0)
		ts_die_errno(TS_EXIT_TEMP, "poll failed");

	ts_info("forwarded %llu messages, %llu subscriptions, %llu unsubscriptions",
	    (unsigned long long)p.forwarded, (unsigned long long)p.subs,
	    (unsigned long long)p.unsubs);
	ts_bus_close(&p.xsub);
	ts_bus_close(&p.xpub);
	release_ownership(&p);
	ts_loop_free(&l);
	ts_bus_term();
	return 0;
}
