/* ts-cat: print the messages of bus topics as JSON lines */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "log.h"
#include "loop.h"
#include "msg.h"
#include "tm.h"
#include "topic.h"

static const char usage[] =
"usage: ts-cat [-B ENDPOINT] [-n COUNT] [-w SECONDS] [-T] [-q] [--insecure]\n"
"              TOPIC...\n"
"\n"
"Print each message of the TOPICs as one compact JSON object per line.\n"
"A TOPIC ending in '/' is a wildcard (\"trades/\", \"book/coinbase/\");\n"
"any other matches exactly, so trades/coinbase/BTC-USD never shows\n"
"BTC-USDT. A gap in a topic's \"seq\" is reported on stderr.\n"
"\n"
"  -B ENDPOINT      bus directory, ipc://DIR or tcp://HOST:PORT\n"
"  -n, --count COUNT    exit after COUNT messages\n"
"  -w, --wait SECONDS   exit after SECONDS\n"
"  -T, --topic      prefix each line with the topic and a tab\n"
"  -q, --quiet      do not report seq gaps\n"
"      --insecure   allow a tcp bus on a non-loopback address without\n"
"                   CURVE keys (unencrypted)\n"
"  -h, --help       show this help\n"
"      --version    show the version\n"
"\n"
"Exit status: 0 on COUNT messages, at the end of SECONDS, on SIGINT or\n"
"SIGTERM, or when the reader of stdout goes away; 100 usage error;\n"
"111 system error, or -w ran out before -n COUNT messages arrived.\n";

struct cat {
	void *sub;
	char **topics;
	int ntopics;
	long count, printed;
	int with_topic, quiet;
	int timed_out;
	struct ts_seqcheck seq;
	struct ts_ratelimit gap_rl;
	uint64_t gaps, missing;
};

static int
wanted(const struct cat *c, const struct ts_msg *m)
{
	for (int i = 0; i < c->ntopics; i++)
		if (ts_topic_match(c->topics[i], m->topic, m->topic_len))
			return 1;
	return 0;
}

/* Producers append seq last, so look there before parsing the object. */
static int
find_seq(const char *d, size_t n, uint64_t *seq)
{
	size_t i = n;
	uint64_t v = 0, mul = 1;

	if (i < 2 || d[i - 1] != '}')
		return ts_msg_seq(d, n, seq);
	i--;
	while (i > 0 && d[i - 1] >= '0' && d[i - 1] <= '9' && mul < 10000000000000000000ULL) {
		v += (uint64_t)(d[i - 1] - '0') * mul;
		mul *= 10;
		i--;
	}
	if (mul > 1 && i >= 6 && !memcmp(d + i - 6, "\"seq\":", 6) &&
	    (d[i - 7] == ',' || d[i - 7] == '{')) {
		*seq = v;
		return 0;
	}
	return ts_msg_seq(d, n, seq);
}

static void
check_seq(struct cat *c, const struct ts_msg *m)
{
	uint64_t seq, missing;

	if (c->quiet || find_seq(m->data, m->len, &seq) != 0)
		return;
	switch (ts_seqcheck(&c->seq, m->topic, seq, &missing)) {
	case TS_SEQ_GAP:
		c->gaps++;
		c->missing += missing;
		ts_warn_rl(&c->gap_rl, "gap in '%s': %llu messages missing before seq %llu",
		    m->topic, (unsigned long long)missing, (unsigned long long)seq);
		break;
	case TS_SEQ_RESTART:
		ts_warn_rl(&c->gap_rl, "'%s' started again at seq 1 (producer restarted)",
		    m->topic);
		break;
	case TS_SEQ_DUP:
		ts_warn_rl(&c->gap_rl, "'%s': seq %llu repeated or out of order",
		    m->topic, (unsigned long long)seq);
		break;
	}
}

static void
out_error(struct ts_loop *l)
{
	if (errno == EPIPE) {
		ts_loop_stop(l); /* the reader is gone: a clean end */
		return;
	}
	ts_die_errno(TS_EXIT_TEMP, "cannot write to stdout");
}

static void
on_sub(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct cat *c = arg;
	struct ts_msg m;

	(void)fd, (void)rev;
	/* drain what is queued, then flush once: low latency, few syscalls */
	for (;;) {
		if (ts_msg_recv(sock, &m, ZMQ_DONTWAIT) < 0) {
			if (errno == EPROTO)
				continue; /* not a two-frame message: dropped */
			break;
		}
		if (!wanted(c, &m)) {
			ts_msg_close(&m);
			continue;
		}
		check_seq(c, &m);
		if ((c->with_topic && (fwrite(m.topic, 1, m.topic_len, stdout) != m.topic_len ||
		    putchar('\t') == EOF)) ||
		    fwrite(m.data, 1, m.len, stdout) != m.len || putchar('\n') == EOF) {
			ts_msg_close(&m);
			out_error(l);
			return;
		}
		ts_msg_close(&m);
		if (c->count && ++c->printed >= c->count) {
			ts_loop_stop(l);
			break;
		}
		if (c->printed % 1024 == 0 && fflush(stdout) == EOF)
			break;
	}
	if (fflush(stdout) == EOF)
		out_error(l);
}

/* stdout's reader went away (POLLERR on a pipe): end now, not at the next
 * message, so `ts-cat … | head -1` returns at once. */
static void
on_stdout(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	(void)sock, (void)fd, (void)rev, (void)arg;
	ts_loop_stop(l);
}

static void
on_timeout(struct ts_loop *l, unsigned id, void *arg)
{
	struct cat *c = arg;

	(void)id;
	c->timed_out = 1;
	ts_loop_stop(l);
}

static void
on_stop(struct ts_loop *l, int signo, void *arg)
{
	(void)signo, (void)arg;
	ts_loop_stop(l);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bus", required_argument, NULL, 'B' },
		{ "count", required_argument, NULL, 'n' },
		{ "wait", required_argument, NULL, 'w' },
		{ "topic", no_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	struct cat c = { .gap_rl = TS_RATELIMIT_INIT(1, 10) };
	struct ts_bus_ep ep;
	struct ts_loop *l;
	const char *bus = NULL, *why;
	char err[256];
	char *end;
	int64_t wait_us = 0;
	int o, insecure = 0;

	ts_log_init(argv[0]);
	while ((o = getopt_long(argc, argv, "B:n:w:Tqh", opts, NULL)) != -1) {
		switch (o) {
		case 'B': bus = optarg; break;
		case 'n':
			c.count = strtol(optarg, &end, 10);
			if (*end || c.count <= 0)
				ts_usage_error(NULL, "bad --count '%s'", optarg);
			break;
		case 'w':
			if (ts_duration_parse(optarg, &wait_us) < 0 || wait_us <= 0)
				ts_usage_error(NULL, "bad --wait '%s'", optarg);
			break;
		case 'T': c.with_topic = 1; break;
		case 'q': c.quiet = 1; break;
		case 'I': insecure = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': ts_version(NULL);
		default: ts_usage_error(NULL, NULL);
		}
	}
	if (optind >= argc)
		ts_usage_error(NULL, "missing TOPIC");
	c.topics = argv + optind;
	c.ntopics = argc - optind;
	for (int i = 0; i < c.ntopics; i++)
		if (ts_topic_valid_sub(c.topics[i], &why) < 0)
			ts_usage_error(NULL, "bad topic '%s': %s", c.topics[i], why);
	if (ts_bus_resolve(bus, &ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	if (!ts_bus_is_safe(&ep) && !insecure)
		ts_die(TS_EXIT_USAGE, "refusing a tcp bus on non-loopback '%s' without "
		    "CURVE keys (see ts-supervisor keygen; --insecure allows it "
		    "unencrypted)", ep.host);

	signal(SIGPIPE, SIG_IGN);
	l = ts_loop_new();
	ts_loop_signal(l, SIGINT, on_stop, NULL);
	ts_loop_signal(l, SIGTERM, on_stop, NULL);
	if (isatty(1))
		setvbuf(stdout, NULL, _IOLBF, 0);
	else
		ts_stdout_buffered();

	c.sub = ts_bus_sub(&ep);
	/* Once per topic: ZeroMQ passes a socket's every subscribe upstream but
	 * only its last unsubscribe, so a repeated one would look to producers
	 * like a subscriber that never leaves. */
	for (int i = 0; i < c.ntopics; i++) {
		int seen = 0;
		for (int j = 0; j < i; j++)
			seen |= !strcmp(c.topics[i], c.topics[j]);
		if (!seen)
			ts_bus_subscribe(c.sub, c.topics[i]);
	}
	ts_loop_add(l, c.sub, -1, ZMQ_POLLIN, on_sub, &c);
	ts_loop_add(l, NULL, 1, ZMQ_POLLERR, on_stdout, &c);
	if (wait_us)
		ts_loop_timer(l, wait_us, 0, on_timeout, &c);

	if (ts_loop_run(l) < 0)
		ts_die_errno(TS_EXIT_TEMP, "poll failed");
	fflush(stdout);
	if (c.gaps)
		ts_warn("%llu gaps, %llu messages missing in all",
		    (unsigned long long)c.gaps, (unsigned long long)c.missing);
	{
		int zero = 0;
		zmq_setsockopt(c.sub, ZMQ_LINGER, &zero, sizeof zero);
	}
	ts_bus_close(&c.sub);
	ts_bus_term();
	ts_loop_free(&l);
	ts_seqcheck_clear(&c.seq);
	if (c.timed_out && c.count && c.printed < c.count) {
		ts_warn("%ld of %ld messages after %.1fs", c.printed, c.count,
		    (double)wait_us / 1e6);
		return TS_EXIT_TEMP;
	}
	return 0;
}
