/* ts-supervisor: owns the bus: the XSUB/XPUB proxy every program connects to */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "log.h"
#include "path.h"
#include "loop.h"
#include "sup.h"
#include "tm.h"

static const char usage[] =
"usage: ts-supervisor [-B ENDPOINT] [-c FILE] [--demo] [--demo-port N] [--insecure]\n"
"                     [--ready-fd FD] [-v]\n"
"       ts-supervisor [-B ENDPOINT] status [--json]\n"
"       ts-supervisor [-B ENDPOINT] stop|restart NAME\n"
"       ts-supervisor [-c FILE] [--demo] --check\n"
"       ts-supervisor keygen [DIR]\n"
"       ts-supervisor [-B ENDPOINT] paths\n"
"\n"
"Run the TradeSuite bus: publishers connect to its XSUB endpoint,\n"
"subscribers to its XPUB endpoint, and it forwards messages one way and\n"
"subscriptions the other. It watches the subscriptions: when a topic that\n"
"a service serves (tradesuite.ini(5)) gains its first subscriber, it starts\n"
"the service's program; when the last one leaves, it stops it after a\n"
"linger. Children that die (exit 111 or a signal) are restarted with\n"
"backoff; exit 100 is a permanent error. status/supervisor carries the\n"
"process table.\n"
"\n"
"  -B ENDPOINT     bus directory, ipc://DIR or tcp://HOST:PORT\n"
"                  (default: $TS_BUS, else $XDG_RUNTIME_DIR/tradesuite,\n"
"                  else /tmp/tradesuite-$UID)\n"
"  -c, --config FILE  service table (default:\n"
"                  $XDG_CONFIG_HOME/tradesuite/tradesuite.ini)\n"
"      --demo      also run ts-sim on 127.0.0.1 and point the feeds at it\n"
"      --demo-port N  ts-sim's port in demo mode (default 8800; 0: a free one)\n"
"      --insecure  allow a tcp bus on a non-loopback address without\n"
"                  CURVE keys (unencrypted)\n"
"      --ready-fd FD  write a newline to FD once the endpoints are bound\n"
"      --check     read the configuration, print the service table, exit\n"
"  -v, --verbose   log every subscription and unsubscription\n"
"  -h, --help      show this help\n"
"      --version   show the version\n"
"\n"
"Commands (sent to the running supervisor on its control socket):\n"
"  status [--json]  print the process table\n"
"  stop NAME        stop a service; it stays down until subscribed anew\n"
"  restart NAME     stop and start a service (also one that failed)\n"
"  keygen [DIR]     make the bus's CURVE key pair for a tcp bus across\n"
"                   hosts (default DIR: $TS_BUS_KEYS, else\n"
"                   $XDG_CONFIG_HOME/tradesuite/curve); copy server.pub to\n"
"                   the other hosts' key directories\n"
"  paths            print where TradeSuite's programs find the bus, their\n"
"                   configuration, data, state and cache in this environment\n"
"\n"
"Exit status: 0 stopped by SIGTERM/SIGINT (or a command done), 100 usage\n"
"error, the endpoints are owned by another supervisor, or a bad\n"
"configuration (--check), 111 system error or no supervisor answered.\n";

struct proxy {
	void *xsub; /* publishers connect here */
	void *xpub; /* subscribers connect here */
	struct ts_bus_ep ep;
	int lockfd;
	int verbose;
	uint64_t forwarded, subs, unsubs;
	struct sup *sup;
};

/* Move one whole message (all its frames) from `from` to `to`. Returns its
 * size in bytes, or -1 when `from` had nothing (EAGAIN). A message the far
 * side cannot take is dropped by ZeroMQ's PUB semantics; a consumer sees the
 * gap in seq. */
static long
move_message(void *from, void *to)
{
	zmq_msg_t f;
	int more;
	long bytes = 0;

	do {
		zmq_msg_init(&f);
		if (zmq_msg_recv(&f, from, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&f);
			return bytes ? bytes : -1;
		}
		bytes += (long)zmq_msg_size(&f);
		more = zmq_msg_more(&f);
		if (zmq_msg_send(&f, to, more ? ZMQ_SNDMORE : 0) < 0)
			zmq_msg_close(&f);
	} while (more);
	return bytes;
}

static void
on_xsub(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct proxy *p = arg;

	(void)l, (void)fd, (void)rev;
	long bytes;

	/* a bounded batch, so subscriptions are not starved by a flood */
	for (int i = 0; i < 4096 && (bytes = move_message(sock, p->xpub)) >= 0; i++) {
		p->forwarded++;
		sup_peers_forwarded(p->sup->peers, (size_t)bytes);
	}
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
			if (n - 1 < TS_TOPIC_MAX) {
				char topic[TS_TOPIC_MAX];
				memcpy(topic, d + 1, n - 1);
				topic[n - 1] = '\0';
				if (!memchr(topic, '\0', n - 1))
					sup_topic_event(p->sup, topic, d[0]);
			}
		}
		if (zmq_msg_send(&f, p->xsub, 0) < 0)
			zmq_msg_close(&f);
	}
}

/* The ipc directory's lock says who owns the endpoints: a live supervisor
 * holds it, so a second one is refused and a dead one's socket files are
 * stale and safe to remove. */
static void
take_ownership(struct proxy *p)
{
	char path[300], err[400];
	const char *names[] = { "pub", "sub", "ctl" };
	char pid[32];
	int n;

	if (p->ep.tcp) {
		p->lockfd = -1;
		return;
	}
	/* a directory another user made or may write is refused, and the
	 * lock is never a link: a root supervisor truncated a root-only file
	 * through a planted 'lock' link */
	if (ts_bus_mkdir(&p->ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	snprintf(path, sizeof path, "%s/lock", p->ep.dir);
	if ((p->lockfd = ts_bus_open_own(path, O_RDWR | O_CREAT, err, sizeof err)) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
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
	const char *names[] = { "pub", "sub", "ctl", "groups", "lock" };

	if (p->ep.tcp)
		return;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		snprintf(path, sizeof path, "%s/%s", p->ep.dir, names[i]);
		unlink(path);
	}
	close(p->lockfd);
}

static void *
bound(int type, const char *endpoint, const struct sup_peers *pp)
{
	void *s = zmq_socket(ts_bus_ctx(), type);

	if (!s)
		ts_die(TS_EXIT_TEMP, "cannot create a socket: %s", zmq_strerror(errno));
	ts_bus_sockopts(s, type);
	sup_peers_apply(pp, s, type);
	ts_bus_secure(s, 1);
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

static struct sup sup; /* big (the process table): not on the stack */
static struct proxy proxy;
static struct sup_peers peers;

static void
publish_status(struct sup *s)
{
	static struct ts_jw w;

	sup_status_json(s, &w);
	ts_pub_send(&s->status_pub, "status/supervisor", &w);
}

static void
on_status_timer(struct ts_loop *l, unsigned id, void *arg)
{
	struct sup *s = arg;

	(void)l, (void)id;
	if (s->peers)
		sup_peers_scan(s->peers); /* who is behind: named in this status */
	publish_status(arg);
}

static unsigned soon_timer;

static void
on_status_soon(struct ts_loop *l, unsigned id, void *arg)
{
	(void)l, (void)id;
	soon_timer = 0;
	publish_status(arg);
}

/* A state changed: publish once the current burst of events is handled. */
static void
on_change(struct sup *s)
{
	if (!soon_timer)
		soon_timer = ts_loop_timer(s->loop, 20000, 0, on_status_soon, s);
}

static void
on_child(struct ts_loop *l, int signo, void *arg)
{
	struct sup *s = arg;

	(void)signo;
	sup_reap(s);
	if (s->shutting_down && !sup_running(s))
		ts_loop_stop(l);
}

static void
on_stop(struct ts_loop *l, int signo, void *arg)
{
	struct sup *s = arg;

	if (s->shutting_down) {
		ts_info("signal %d again: killing every child", signo);
		for (int i = 0; i < SUP_MAX_PROCS; i++) {
			const struct sup_proc *c = &s->proc[i];
			if (c->used && c->pid > 0)
				kill(-c->pid, SIGKILL), kill(c->pid, SIGKILL);
			if (c->used && c->orphan_pgid > 0)
				kill(-c->orphan_pgid, SIGKILL);
		}
		return;
	}
	ts_info("stopping on signal %d", signo);
	if (sup_stop_all(s))
		ts_loop_stop(l);
}

/* systemd's Type=notify without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void
sd_notify_msg(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof sa.sun_path)
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		ts_warn_errno("cannot notify systemd on '%s'", path);
	close(fd);
}

/* A free TCP port on 127.0.0.1 for ts-sim (--demo-port 0). */
static int
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	if (port < 0)
		ts_die_errno(TS_EXIT_TEMP, "cannot find a free port for ts-sim");
	return port;
}

static void
config_path(char *buf, size_t n)
{
	if (ts_xdg_path(TS_XDG_CONFIG, "tradesuite.ini", buf, n) < 0)
		buf[0] = '\0';
}

/* Where every program of this environment finds its files: what units and
 * shells must agree on (the same resolvers as the programs: bus.h, path.h). */
static int
print_paths(const char *bus)
{
	static const struct {
		const char *name;
		enum ts_xdg which;
	} dirs[] = {
		{ "config", TS_XDG_CONFIG },
		{ "data", TS_XDG_DATA },
		{ "state", TS_XDG_STATE },
		{ "cache", TS_XDG_CACHE },
	};
	struct ts_bus_ep ep;
	char err[256], dir[PATH_MAX];

	if (ts_bus_resolve(bus, &ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	/* ep.pub is tcp://HOST:PORT, the port -B names */
	printf("bus\t%s\t(%s)\n", ep.tcp ? ep.pub : ep.dir, ep.source);
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (ts_xdg_path(dirs[i].which, NULL, dir, sizeof dir) < 0)
			printf("%s\t-\t(no home directory and no %s)\n", dirs[i].name,
			    ts_xdg_var(dirs[i].which));
		else
			printf("%s\t%s\n", dirs[i].name, dir);
	}
	return fflush(stdout) == EOF ? TS_EXIT_TEMP : 0;
}

static void
print_table(const struct sup *s)
{
	const struct sup_settings *t = &s->conf.set;

	printf("# linger %.3gs, stop-timeout %.3gs, backoff-max %.3gs, backoff-reset %.3gs, "
	    "ready-timeout %.3gs, status-interval %.3gs, demo port %d\n",
	    t->linger_us / 1e6, t->stop_timeout_us / 1e6, t->backoff_max_us / 1e6,
	    t->backoff_reset_us / 1e6, t->ready_timeout_us / 1e6, t->status_every_us / 1e6,
	    t->demo_port);
	for (int i = 0; i < s->conf.nsvc; i++) {
		const struct sup_svc *v = &s->conf.svc[i];
		int active = v->enabled && (s->demo || !v->demo_only);
		printf("%s\t%s\t", v->name, !v->enabled ? "disabled" :
		    !active ? "demo-only" : v->always ? "always" : "on-demand");
		for (int k = 0; k < v->npat; k++)
			printf("%s%s", k ? " " : "", v->pat[k]);
		if (!v->npat)
			printf("-");
		printf("\t%s\n", s->demo && v->demo_cmd[0] ? v->demo_cmd : v->cmd);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bus", required_argument, NULL, 'B' },
		{ "config", required_argument, NULL, 'c' },
		{ "demo", no_argument, NULL, 'D' },
		{ "demo-port", required_argument, NULL, 'P' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "ready-fd", required_argument, NULL, 'R' },
		{ "check", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	struct proxy *p = &proxy;
	struct sup *s = &sup;
	struct ts_loop *l;
	const char *bus = NULL, *config = NULL, *cmd = NULL;
	char err[256], cfgbuf[512], req[256];
	void *ctl;
	int c, insecure = 0, ready_fd = -1, check = 0, json = 0, demo_port = -1;

	ts_log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "B:c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'B': bus = optarg; break;
		case 'c': config = optarg; break;
		case 'D': s->demo = 1; break;
		case 'P': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 0 || v > 65535)
				ts_usage_error(NULL, "bad --demo-port '%s'", optarg);
			demo_port = (int)v;
			break;
		}
		case 'I': insecure = 1; break;
		case 'R':
			ready_fd = atoi(optarg);
			if (ready_fd < 0 || fcntl(ready_fd, F_GETFD) < 0)
				ts_usage_error(NULL, "bad --ready-fd '%s': not an open fd", optarg);
			break;
		case 'C': check = 1; break;
		case 'j': json = 1; break;
		case 'v': p->verbose = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': ts_version(NULL);
		default: ts_usage_error(NULL, NULL);
		}
	}
	if (optind < argc) {
		cmd = argv[optind++];
		if (!strcmp(cmd, "keygen")) {
			const char *dir = optind < argc ? argv[optind++] : ts_bus_keydir();
			if (optind < argc)
				ts_usage_error(NULL, "unexpected argument '%s'", argv[optind]);
			if (ts_bus_keygen(dir, err, sizeof err) < 0)
				ts_die(TS_EXIT_USAGE, "%s", err);
			ts_info("wrote '%s/server.key' (secret) and '%s/server.pub'", dir, dir);
			return 0;
		}
		if (!strcmp(cmd, "paths")) {
			if (optind < argc)
				ts_usage_error(NULL, "unexpected argument '%s'", argv[optind]);
			return print_paths(bus);
		}
		if (!strcmp(cmd, "status")) {
			snprintf(req, sizeof req, "status");
		} else if (!strcmp(cmd, "stop") || !strcmp(cmd, "restart")) {
			if (optind >= argc)
				ts_usage_error(NULL, "%s: missing service NAME (see 'ts-supervisor "
				    "status')", cmd);
			if (strlen(argv[optind]) >= SUP_NAME_MAX)
				ts_usage_error(NULL, "no service '%s'", argv[optind]);
			snprintf(req, sizeof req, "%s %s", cmd, argv[optind++]);
		} else {
			ts_usage_error(NULL, "unknown command '%s' (status, stop, restart, "
			    "keygen or paths)", cmd);
		}
		if (optind < argc)
			ts_usage_error(NULL, "unexpected argument '%s'", argv[optind]);
	}
	if (json && (!cmd || strcmp(cmd, "status")))
		ts_usage_error(NULL, "--json goes with 'status'");
	if (ts_bus_resolve(bus, &p->ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	if (cmd)
		return sup_ctl_client(&p->ep, req, json);

	sup_conf_init(&s->conf);
	if (!config)
		config_path(cfgbuf, sizeof cfgbuf), config = cfgbuf[0] ? cfgbuf : NULL;
	if (config)
		sup_conf_load(&s->conf, config);
	sup_conf_check(&s->conf);
	if (demo_port >= 0)
		s->conf.set.demo_port = demo_port;
	if (check) {
		print_table(s);
		return s->conf.errors ? TS_EXIT_USAGE : 0;
	}
	if (s->conf.errors)
		ts_warn("%d error%s in the configuration: the lines named above were "
		    "skipped", s->conf.errors, s->conf.errors == 1 ? "" : "s");
	if (!ts_bus_is_safe(&p->ep) && !insecure)
		ts_die(TS_EXIT_USAGE, "refusing a tcp bus on non-loopback '%s' without "
		    "CURVE keys in '%s' (see 'ts-supervisor keygen'; --insecure allows "
		    "it unencrypted)", p->ep.host, ts_bus_keydir());
	if (s->demo && s->conf.set.demo_port == 0)
		s->conf.set.demo_port = free_port();

	l = ts_loop_new();
	s->loop = l;
	s->ep = p->ep;
	s->on_change = on_change;
	s->started_us = ts_mono_us();
	s->guard_fd = -1;
	snprintf(s->bus_env, sizeof s->bus_env, "%.255s", p->ep.tcp ? p->ep.pub : p->ep.dir);
	{
		char exe[512];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		if (n > 0) {
			exe[n] = '\0';
			*strrchr(exe, '/') = '\0';
			snprintf(s->self_dir, sizeof s->self_dir, "%s", exe);
		}
	}
	p->sup = s;
	ts_loop_signal(l, SIGTERM, on_stop, s);
	ts_loop_signal(l, SIGINT, on_stop, s);
	ts_loop_signal(l, SIGCHLD, on_child, s);
	signal(SIGPIPE, SIG_IGN);

	take_ownership(p);
	/* before binding: a dead supervisor's children would reconnect */
	if (!p->ep.tcp)
		snprintf(s->groups_path, sizeof s->groups_path, "%.300s/groups", p->ep.dir);
	sup_groups_end_leftovers(s);
	sup_peers_init(&peers, &p->ep);
	s->peers = &peers;
	p->xsub = bound(ZMQ_XSUB, p->ep.pub, &peers);
	p->xpub = bound(ZMQ_XPUB, p->ep.sub, &peers);
	ctl = sup_ctl_bind(s);
	s->xpub = p->xpub;
	s->status_pub.sock = p->xpub;
	ts_loop_add(l, p->xsub, -1, ZMQ_POLLIN, on_xsub, p);
	ts_loop_add(l, p->xpub, -1, ZMQ_POLLIN, on_xpub, p);
	ts_loop_timer(l, s->conf.set.status_every_us, s->conf.set.status_every_us,
	    on_status_timer, s);
	ts_info("bus ready: publishers '%s', subscribers '%s'", p->ep.pub, p->ep.sub);
	if (s->demo)
		ts_info("demo mode: ts-sim on 127.0.0.1:%d, feeds pointed at it",
		    s->conf.set.demo_port);
	/* what a child leaves behind (a pipeline's other members) becomes ours,
	 * so its end is a SIGCHLD and a stop waits for it (sup_proc.c) */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		ts_warn_errno("cannot become a child subreaper");
	sup_guard_start(s);
	sup_proc_start_always(s);
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "\n", 1);
		close(ready_fd);
	}
	sd_notify_msg("READY=1");

	if (ts_loop_run(l) < 0)
		ts_die_errno(TS_EXIT_TEMP, "poll failed");
	sd_notify_msg("STOPPING=1");

	ts_info("forwarded %llu messages, %llu subscriptions, %llu unsubscriptions",
	    (unsigned long long)p->forwarded, (unsigned long long)p->subs,
	    (unsigned long long)p->unsubs);
	sup_guard_stop(s);
	ts_bus_close(&ctl);
	ts_bus_close(&p->xsub);
	ts_bus_close(&p->xpub);
	release_ownership(p);
	ts_loop_free(&l);
	ts_bus_term();
	ts_pub_clear(&s->status_pub);
	ts_map_clear(&s->topics);
	return 0;
}
