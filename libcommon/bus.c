/* bus.c: endpoint resolution and bus sockets */
#include "bus.h"
#include "log.h"
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

static void *ctx;

/* The CURVE settings of the bus this process resolved last: one per process. */
static struct {
	int on;
	char server_pub[41];
	char keydir[256];
} curve;

#define ERR(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static int
resolve_tcp(const char *spec, struct ts_bus_ep *ep, char *err, size_t errlen)
{
	const char *hp = spec + 6, *colon;
	char host[128];
	char *end;
	long port;
	size_t hl;

	if (*hp == '[') {
		const char *rb = strchr(hp, ']');
		if (!rb || rb[1] != ':')
			ERR("bad bus endpoint '%s': expected tcp://[ADDR]:PORT", spec);
		colon = rb + 1;
	} else {
		colon = strrchr(hp, ':');
	}
	if (!colon || colon == hp)
		ERR("bad bus endpoint '%s': expected tcp://HOST:PORT", spec);
	hl = (size_t)(colon - hp);
	if (hl >= sizeof host)
		ERR("bad bus endpoint '%s': host too long", spec);
	memcpy(host, hp, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 1 || port > 65533)
		ERR("bad bus endpoint '%s': port must be 1..65533 (it uses PORT..PORT+2)", spec);
	ep->tcp = 1;
	snprintf(ep->host, sizeof ep->host, "%s", host);
	snprintf(ep->pub, sizeof ep->pub, "tcp://%s:%ld", host, port);
	snprintf(ep->sub, sizeof ep->sub, "tcp://%s:%ld", host, port + 1);
	snprintf(ep->ctl, sizeof ep->ctl, "tcp://%s:%ld", host, port + 2);
	if (port + 3 <= 65535)
		snprintf(ep->history, sizeof ep->history, "tcp://%s:%ld", host, port + 3);
	return 0;
}

static int
resolve_dir(const char *dir, struct ts_bus_ep *ep, char *err, size_t errlen)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 0)
		ERR("bad bus endpoint: empty directory");
	/* a Unix socket path holds at most 107 bytes */
	if (n + sizeof "/pub" > 100)
		ERR("bus directory '%.*s' is too long for a Unix socket path", (int)n, dir);
	ep->tcp = 0;
	snprintf(ep->dir, sizeof ep->dir, "%.*s", (int)n, dir);
	snprintf(ep->pub, sizeof ep->pub, "ipc://%s/pub", ep->dir);
	snprintf(ep->sub, sizeof ep->sub, "ipc://%s/sub", ep->dir);
	snprintf(ep->ctl, sizeof ep->ctl, "ipc://%s/ctl", ep->dir);
	snprintf(ep->history, sizeof ep->history, "ipc://%s/history", ep->dir);
	return 0;
}

const char *
ts_bus_keydir(void)
{
	const char *d = getenv("TS_BUS_KEYS");

	if (d && *d)
		snprintf(curve.keydir, sizeof curve.keydir, "%s", d);
	else if (ts_xdg_path(TS_XDG_CONFIG, "curve", curve.keydir, sizeof curve.keydir) < 0)
		snprintf(curve.keydir, sizeof curve.keydir, "curve"); /* no home: found nowhere */
	return curve.keydir;
}

static int
z85_key(const char *s)
{
	uint8_t bin[32];

	return strlen(s) == 40 && zmq_z85_decode(bin, s) != NULL;
}

/* Read the first line of path into buf (n bytes); -1 when absent. */
static int
read_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)n, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int
find_curve(struct ts_bus_ep *ep, char *err, size_t errlen)
{
	const char *env = getenv("TS_BUS_SERVER_KEY");
	char path[300], key[64];

	curve.on = 0;
	if (env && *env) {
		if (!z85_key(env))
			ERR("TS_BUS_SERVER_KEY is not a 40-character Z85 CURVE key");
		snprintf(key, sizeof key, "%s", env);
	} else {
		snprintf(path, sizeof path, "%s/server.pub", ts_bus_keydir());
		if (read_line(path, key, sizeof key) < 0)
			return 0;
		if (!z85_key(key))
			ERR("'%s' does not hold a 40-character Z85 CURVE key", path);
	}
	if (!zmq_has("curve"))
		ERR("a CURVE key is set but this ZeroMQ has no CURVE support");
	ep->curve = curve.on = 1;
	snprintf(ep->server_pub, sizeof ep->server_pub, "%s", key);
	snprintf(curve.server_pub, sizeof curve.server_pub, "%s", key);
	return 0;
}

int
ts_bus_resolve(const char *opt, struct ts_bus_ep *ep, char *err, size_t errlen)
{
	const char *spec = opt, *xdg;
	char dir[200];

	memset(ep, 0, sizeof *ep);
	ep->source = "-B";
	if (!spec || !*spec) {
		spec = getenv("TS_BUS");
		ep->source = "TS_BUS";
	}
	if (spec && *spec) {
		if (!strncmp(spec, "tcp://", 6))
			return resolve_tcp(spec, ep, err, errlen) < 0 ? -1 :
			    find_curve(ep, err, errlen);
		if (!strncmp(spec, "ipc://", 6))
			spec += 6;
		else if (strstr(spec, "://"))
			ERR("bad bus endpoint '%s': use a directory, ipc://DIR or tcp://HOST:PORT", spec);
		return resolve_dir(spec, ep, err, errlen);
	}
	xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg == '/') {
		ep->source = "XDG_RUNTIME_DIR";
		snprintf(dir, sizeof dir, "%s/tradesuite", xdg);
	} else {
		ep->source = "/tmp";
		snprintf(dir, sizeof dir, "/tmp/tradesuite-%u", (unsigned)getuid());
	}
	return resolve_dir(dir, ep, err, errlen);
}

int
ts_bus_is_local(const struct ts_bus_ep *ep)
{
	const char *h = ep->host;

	if (!ep->tcp)
		return 1;
	return !strncmp(h, "127.", 4) || !strcmp(h, "localhost") ||
	    !strcmp(h, "[::1]") || !strcmp(h, "::1");
}

int
ts_bus_is_safe(const struct ts_bus_ep *ep)
{
	return ts_bus_is_local(ep) || ep->curve;
}

void
ts_bus_secure(void *sock, int server)
{
	char pub[41], sec[41], path[300];
	struct stat st;

	if (!curve.on)
		return;
	if (server) {
		int one = 1;
		snprintf(path, sizeof path, "%s/server.key", ts_bus_keydir());
		if (stat(path, &st) < 0 || read_line(path, sec, sizeof sec) < 0)
			ts_die(TS_EXIT_USAGE, "cannot read the bus's secret key '%s' "
			    "(make one with 'ts-supervisor keygen')", path);
		if (st.st_mode & 077)
			ts_die(TS_EXIT_USAGE, "'%s' is readable by others: chmod 600 it", path);
		if (!z85_key(sec))
			ts_die(TS_EXIT_USAGE, "'%s' does not hold a 40-character Z85 key", path);
		zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one);
		zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, 40);
		memset(sec, 0, sizeof sec);
		return;
	}
	if (zmq_curve_keypair(pub, sec) < 0)
		ts_die(TS_EXIT_TEMP, "cannot make a CURVE key pair: %s", zmq_strerror(errno));
	zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, curve.server_pub, 40);
	zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, 40);
	zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, 40);
	memset(sec, 0, sizeof sec);
}

int
ts_bus_keygen(const char *dir, char *err, size_t errlen)
{
	char pub[41], sec[41], path[300];
	FILE *f;
	int fd;

	if (!zmq_has("curve"))
		ERR("this ZeroMQ has no CURVE support");
	if (zmq_curve_keypair(pub, sec) < 0)
		ERR("cannot make a CURVE key pair: %s", zmq_strerror(errno));
	snprintf(path, sizeof path, "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		ERR("cannot create '%s': %s", dir, strerror(errno));
	snprintf(path, sizeof path, "%s/server.key", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		ERR("cannot create '%s': %s", path, strerror(errno));
	if (write(fd, sec, 40) != 40 || write(fd, "\n", 1) != 1 || close(fd) < 0)
		ERR("cannot write '%s': %s", path, strerror(errno));
	memset(sec, 0, sizeof sec);
	snprintf(path, sizeof path, "%s/server.pub", dir);
	if (!(f = fopen(path, "w")) || fprintf(f, "%s\n", pub) < 0 || fclose(f) != 0)
		ERR("cannot write '%s': %s", path, strerror(errno));
	return 0;
}

int
ts_bus_mkdir(const struct ts_bus_ep *ep, char *err, size_t errlen)
{
	char path[sizeof ep->dir];
	struct stat st;

	if (ep->tcp)
		return 0;
	snprintf(path, sizeof path, "%s", ep->dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			ERR("cannot create '%s': %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		ERR("cannot create bus directory '%s': %s", path, strerror(errno));
	/* the default /tmp/tradesuite-UID can be made first by anyone: a
	 * directory of another user's, or one others may write, could hold a
	 * planted lock (a link to a file of ours) or groups file (whose
	 * process groups a supervisor ends); refused as ssh-agent and tmux do */
	if (lstat(path, &st) < 0)
		ERR("cannot use bus directory '%s': %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		ERR("bus directory '%s' is not a directory (a symbolic link?): refused", path);
	if (st.st_uid != geteuid())
		ERR("bus directory '%s' belongs to uid %u, not to this user (uid %u): refused",
		    path, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & 022)
		ERR("bus directory '%s' is writable by others (mode %03o): refused; "
		    "chmod go-w it", path, (unsigned)(st.st_mode & 0777));
	return 0;
}

int
ts_bus_open_own(const char *path, int flags, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == ELOOP)
			ERR("'%s' is a symbolic link: refused", path);
		ERR("cannot open '%s': %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_nlink != 1) {
		close(fd);
		ERR("'%s' is not a plain file of this user's with one link: refused", path);
	}
	return fd;
}

int
ts_bus_hwm(void)
{
	const char *s = getenv("TS_BUS_HWM");
	long v;

	if (s && *s && (v = strtol(s, NULL, 10)) >= 0 && v <= 100000000)
		return (int)v;
	return 100000;
}

void *
ts_bus_ctx(void)
{
	if (!ctx) {
		ctx = zmq_ctx_new();
		if (!ctx)
			ts_die_errno(TS_EXIT_TEMP, "cannot create a ZeroMQ context");
	}
	return ctx;
}

void
ts_bus_term(void)
{
	if (ctx)
		zmq_ctx_term(ctx);
	ctx = NULL;
}

void
ts_bus_sockopts(void *sock, int type)
{
	int hwm = ts_bus_hwm(), one = 1, linger = 2000;

	if (type == ZMQ_PUB || type == ZMQ_XPUB)
		zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
	if (type == ZMQ_SUB || type == ZMQ_XSUB || type == ZMQ_XPUB)
		zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
	if (type == ZMQ_XSUB)
		zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
	zmq_setsockopt(sock, ZMQ_IPV6, &one, sizeof one);
	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
}

static void *
connected(int type, const char *endpoint)
{
	void *s = zmq_socket(ts_bus_ctx(), type);

	if (!s)
		ts_die(TS_EXIT_TEMP, "cannot create a bus socket: %s", zmq_strerror(errno));
	ts_bus_sockopts(s, type);
	ts_bus_secure(s, 0);
	if (zmq_connect(s, endpoint) < 0)
		ts_die(TS_EXIT_TEMP, "cannot connect to '%s': %s", endpoint,
		    zmq_strerror(errno));
	return s;
}

void *ts_bus_pub(const struct ts_bus_ep *ep) { return connected(ZMQ_PUB, ep->pub); }
void *ts_bus_producer(const struct ts_bus_ep *ep) { return connected(ZMQ_XPUB, ep->pub); }
void *ts_bus_sub(const struct ts_bus_ep *ep) { return connected(ZMQ_SUB, ep->sub); }

void
ts_bus_close(void **sock)
{
	if (*sock)
		zmq_close(*sock);
	*sock = NULL;
}

int
ts_bus_subscribe(void *sub, const char *topic)
{
	return zmq_setsockopt(sub, ZMQ_SUBSCRIBE, topic, strlen(topic));
}

int
ts_bus_unsubscribe(void *sub, const char *topic)
{
	return zmq_setsockopt(sub, ZMQ_UNSUBSCRIBE, topic, strlen(topic));
}

int
ts_bus_sub_event(void *xpub, char *topic, size_t n, int *on, int flags)
{
	char buf[512];
	int r = zmq_recv(xpub, buf, sizeof buf, flags);
	size_t len;

	if (r < 0)
		return -1;
	len = (size_t)r;
	if (len == 0 || len > sizeof buf || (buf[0] != 0 && buf[0] != 1) || len > n)
		return 1;
	*on = buf[0];
	memcpy(topic, buf + 1, len - 1);
	topic[len - 1] = '\0';
	return 0;
}

void
ts_bus_sub_events(void *xpub, ts_bus_want_fn *fn, void *arg)
{
	char topic[TS_BUS_TOPIC_MAX];
	int on, r;

	while ((r = ts_bus_sub_event(xpub, topic, sizeof topic, &on, ZMQ_DONTWAIT)) >= 0)
		if (r == 0)
			fn(topic, on, arg);
}
