/* ts-pub: publish each JSON line of stdin onto a bus topic */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "json.h"
#include "log.h"
#include "msg.h"
#include "tm.h"
#include "topic.h"

static const char usage[] =
"usage: ts-pub [-B ENDPOINT] [-w SECONDS] [-r RATE] [--insecure] TOPIC [FILE]\n"
"       ts-pub [-B ENDPOINT] [-w SECONDS] [-r RATE] [--insecure] -T [FILE]\n"
"\n"
"Publish each line of FILE (default: stdin), one JSON object, on TOPIC.\n"
"With -T each line is TOPIC<tab>JSON instead (what ts-cat -T and\n"
"ts-feed --stdout write), so a capture can be replayed. Each message gets\n"
"the next \"seq\" of its topic (a seq already in the line is replaced).\n"
"A line that is not a JSON object is reported with its number and skipped;\n"
"nothing that does not parse is published.\n"
"\n"
"  -B ENDPOINT      bus directory, ipc://DIR or tcp://HOST:PORT\n"
"  -w, --wait SECONDS  wait at most this long for a subscriber of the topic\n"
"                   before publishing (default 5; 0 publishes at once)\n"
"  -r, --rate RATE  publish at most RATE messages a second\n"
"  -T, --topics     lines are TOPIC<tab>JSON\n"
"      --insecure   allow a tcp bus on a non-loopback address without\n"
"                   CURVE keys (unencrypted)\n"
"  -h, --help       show this help\n"
"      --version    show the version\n"
"\n"
"Exit status: 0 every line published, 100 usage error or some lines were\n"
"invalid (the valid ones were published), 111 system error.\n";

static volatile sig_atomic_t interrupted;

static void
on_signal(int signo)
{
	(void)signo;
	interrupted = 1;
}

/* Wait until a subscription that receives `topic` (or any, when NULL) shows
 * up on the XPUB socket, for at most wait_us. Returns 1 when one did. */
static int
wait_subscriber(void *xpub, const char *topic, int64_t wait_us)
{
	int64_t deadline = ts_mono_us() + wait_us;
	char sub[512];
	int on;

	while (!interrupted) {
		int64_t left = deadline - ts_mono_us();
		zmq_pollitem_t it = { xpub, 0, ZMQ_POLLIN, 0 };
		if (left <= 0)
			return 0;
		if (zmq_poll(&it, 1, (long)(left / 1000) + 1) <= 0)
			continue;
		if (ts_bus_sub_event(xpub, sub, sizeof sub, &on, ZMQ_DONTWAIT) != 0)
			continue;
		if (on && (!topic || !strncmp(topic, sub, strlen(sub))))
			return 1;
	}
	return 0;
}

/* Send one message. ZeroMQ's blocking send on an XPUB with NODROP spins a
 * core while a subscriber is slow, so send without blocking and back off
 * with short sleeps instead. Returns 0, or -1 when interrupted. */
static int
publish(struct ts_pub *pub, const char *topic, struct ts_jw *w)
{
	int64_t since = 0;
	long nap_us = 100;
	int warned = 0;

	for (;;) {
		if (ts_pub_send_flags(pub, topic, w, ZMQ_DONTWAIT) == 0)
			break;
		if (errno != EAGAIN)
			ts_die(TS_EXIT_TEMP, "cannot publish on '%s': %s", topic,
			    zmq_strerror(errno));
		if (interrupted)
			return -1;
		if (!since)
			since = ts_mono_us();
		if (!warned && ts_mono_us() - since > 5 * TS_US_PER_SEC) {
			ts_warn("the bus is not taking messages on '%s' (no ts-supervisor, "
			    "or a slow subscriber); waiting", topic);
			warned = 1;
		}
		usleep((useconds_t)nap_us);
		if (nap_us < 10000)
			nap_us *= 2;
	}
	return 0;
}

/* Remove a top-level "seq" member from compact object text (in place). */
static size_t
strip_seq(char *s, size_t n)
{
	struct ts_jval obj, key, val;
	struct ts_jiter it;

	if (ts_json_parse(s, n, &obj, NULL) || obj.type != TS_J_OBJ)
		return n;
	ts_json_iter(&it, &obj);
	while (ts_json_next(&it, &key, &val)) {
		char *from, *to;
		if (key.n != 5 || memcmp(key.p, "\"seq\"", 5))
			continue;
		from = (char *)(uintptr_t)key.p;
		to = (char *)(uintptr_t)(val.p + val.n);
		if (*to == ',')
			to++;
		else if (from[-1] == ',')
			from--;
		memmove(from, to, (size_t)(s + n - to));
		return n - (size_t)(to - from);
	}
	return n;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bus", required_argument, NULL, 'B' },
		{ "wait", required_argument, NULL, 'w' },
		{ "rate", required_argument, NULL, 'r' },
		{ "topics", no_argument, NULL, 'T' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	const char *bus = NULL, *topic = NULL, *file = NULL, *why;
	struct ts_bus_ep ep;
	struct ts_pub pub = { 0 };
	struct ts_jw w = { 0 };
	struct sigaction sa;
	char err[256];
	char *line = NULL, *compact = NULL;
	size_t cap = 0, ccap = 0;
	ssize_t len;
	long lineno = 0, bad = 0;
	int64_t wait_us = 5 * TS_US_PER_SEC, t0;
	double rate = 0;
	int c, topics = 0, insecure = 0, one = 1, linger = 30000;
	FILE *in = stdin;

	ts_log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "B:w:r:Th", opts, NULL)) != -1) {
		switch (c) {
		case 'B': bus = optarg; break;
		case 'w':
			if (ts_duration_parse(optarg, &wait_us) < 0)
				ts_usage_error(NULL, "bad --wait '%s'", optarg);
			break;
		case 'r':
			rate = strtod(optarg, NULL);
			if (rate <= 0)
				ts_usage_error(NULL, "bad --rate '%s'", optarg);
			break;
		case 'T': topics = 1; break;
		case 'I': insecure = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': ts_version(NULL);
		default: ts_usage_error(NULL, NULL);
		}
	}
	if (!topics) {
		if (optind >= argc)
			ts_usage_error(NULL, "missing TOPIC (or -T for TOPIC<tab>JSON lines)");
		topic = argv[optind++];
		if (ts_topic_parse(topic, NULL, &why) < 0)
			ts_usage_error(NULL, "bad topic '%s': %s", topic, why);
	}
	if (optind < argc)
		file = argv[optind++];
	if (optind < argc)
		ts_usage_error(NULL, "unexpected argument '%s'", argv[optind]);
	if (file && strcmp(file, "-") && !(in = fopen(file, "r")))
		ts_die_errno(TS_EXIT_USAGE, "cannot open '%s'", file);
	if (ts_bus_resolve(bus, &ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	if (!ts_bus_is_safe(&ep) && !insecure)
		ts_die(TS_EXIT_USAGE, "refusing a tcp bus on non-loopback '%s' without "
		    "CURVE keys (see ts-supervisor keygen; --insecure allows it "
		    "unencrypted)", ep.host);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* An XPUB with NODROP: it sees who subscribes, and when a subscriber
	 * is slow it blocks rather than dropping lines. */
	pub.sock = ts_bus_producer(&ep);
	zmq_setsockopt(pub.sock, ZMQ_XPUB_NODROP, &one, sizeof one);
	zmq_setsockopt(pub.sock, ZMQ_LINGER, &linger, sizeof linger);
	if (wait_us > 0 && !wait_subscriber(pub.sock, topic, wait_us) && !interrupted)
		ts_warn("no subscriber for '%s' after %.1fs; publishing anyway",
		    topic ? topic : "any topic", (double)wait_us / 1e6);

	t0 = ts_mono_us();
	while (!interrupted && (len = getline(&line, &cap, in)) >= 0) {
		const char *json = line, *t = topic;
		char tbuf[TS_TOPIC_MAX];
		struct ts_jval obj;
		size_t n, at;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (topics) {
			char *tab = strchr(line, '\t');
			if (!tab || (size_t)(tab - line) >= sizeof tbuf) {
				ts_warn("%s:%ld: expected TOPIC<tab>JSON; skipped",
				    file ? file : "stdin", lineno);
				bad++;
				continue;
			}
			memcpy(tbuf, line, (size_t)(tab - line));
			tbuf[tab - line] = '\0';
			if (ts_topic_parse(tbuf, NULL, &why) < 0) {
				ts_warn("%s:%ld: bad topic '%s': %s; skipped",
				    file ? file : "stdin", lineno, tbuf, why);
				bad++;
				continue;
			}
			t = tbuf;
			json = tab + 1;
		}
		n = (size_t)len - (size_t)(json - line);
		if (ts_json_parse(json, n, &obj, &at) < 0) {
			ts_warn("%s:%ld: invalid JSON at byte %zu; skipped",
			    file ? file : "stdin", lineno, at + 1);
			bad++;
			continue;
		}
		if (obj.type != TS_J_OBJ) {
			ts_warn("%s:%ld: not a JSON object; skipped",
			    file ? file : "stdin", lineno);
			bad++;
			continue;
		}
		ts_xgrow((void **)&compact, &ccap, n + 1, 1);
		n = ts_json_compact(json, n, compact);
		n = strip_seq(compact, n);
		ts_jw_reset(&w);
		ts_jw_raw(&w, compact, n);
		if (publish(&pub, t, &w) < 0)
			break;
		if (rate > 0) {
			int64_t due = t0 + (int64_t)((double)pub.sent * 1e6 / rate);
			int64_t now = ts_mono_us();
			if (due > now) {
				struct timespec ts = { (due - now) / 1000000, (due - now) % 1000000 * 1000 };
				nanosleep(&ts, NULL);
			}
		}
	}
	if (ferror(in))
		ts_die_errno(TS_EXIT_TEMP, "cannot read '%s'", file ? file : "stdin");
	ts_debug("published %llu messages", (unsigned long long)pub.sent);
	if (interrupted) {
		int zero = 0; /* do not wait to deliver what is queued */
		zmq_setsockopt(pub.sock, ZMQ_LINGER, &zero, sizeof zero);
	}
	ts_bus_close(&pub.sock);
	ts_bus_term();
	ts_pub_clear(&pub);
	ts_jw_free(&w);
	free(line);
	free(compact);
	if (bad) {
		ts_warn("%ld of %ld lines were invalid and skipped", bad, lineno);
		return TS_EXIT_USAGE;
	}
	return interrupted ? TS_EXIT_TEMP : 0;
}
