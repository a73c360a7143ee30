/* bench_bus.c: bus throughput and latency, publisher -> [proxy] -> subscriber
 *
 *   bench_bus PUB_ENDPOINT SUB_ENDPOINT COUNT RATE
 *
 * Forks a publisher that connects (or, for a direct link, binds when the
 * endpoint is the same as SUB_ENDPOINT) and sends COUNT 200-byte messages,
 * as fast as it can (RATE 0) or paced at RATE a second, each stamped with
 * CLOCK_MONOTONIC. The parent subscribes, receives, and prints one line:
 *   received=N lost=N secs=S rate=R p50=US p99=US p999=US max=US
 * Latency is meaningful for paced runs; rate for unpaced ones. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define TOPIC "trades/coinbase/BTC-USD"
#define MSG_BYTES 200

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_bus: %s: %s\n", what, zmq_strerror(errno));
	exit(111);
}

static void
publisher(const char *ep, int bind, long count, double rate)
{
	void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_XPUB);
	int hwm = 0, linger = 10000;
	char buf[MSG_BYTES + 1], sub[256];
	long long t0;
	long i;

	zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
	if ((bind ? zmq_bind(s, ep) : zmq_connect(s, ep)) < 0)
		die(ep);
	/* wait until the subscription has arrived: no slow-joiner loss */
	for (;;) {
		int n = zmq_recv(s, sub, sizeof sub, 0);
		if (n > 1 && sub[0] == 1)
			break;
	}
	t0 = now_ns();
	for (i = 0; i < count; i++) {
		long long t = now_ns();
		int n;
		if (rate > 0) {
			/* sleep, not spin: a spinning publisher would take a core
			 * from the proxy on a 2-core machine and time that, not it */
			long long due = t0 + (long long)((double)i * 1e9 / rate);
			if (due - t > 50000) {
				struct timespec ts = { (time_t)(due / 1000000000),
					(long)(due % 1000000000) };
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			}
			t = now_ns();
		}
		n = snprintf(buf, sizeof buf,
		    "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"id\":\"%ld\",\"px\":65086.18,"
		    "\"qty\":0.0013,\"side\":\"buy\",\"ts\":%lld,\"rt\":%lld,\"seq\":%ld,\"pad\":\"",
		    i, t / 1000, t, i + 1);
		while (n < MSG_BYTES - 2)
			buf[n++] = 'x';
		buf[n++] = '"';
		buf[n++] = '}';
		if (zmq_send(s, TOPIC, sizeof TOPIC - 1, ZMQ_SNDMORE) < 0 ||
		    zmq_send(s, buf, (size_t)n, 0) < 0)
			die("send");
	}
	zmq_close(s);
	zmq_ctx_term(ctx);
	exit(0);
}

static int
cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	void *ctx, *s;
	long count, got = 0;
	double rate;
	long long *lat, first = 0, last = 0;
	int hwm = 0, timeout = 3000, direct, status;
	char topic[64], buf[512];
	pid_t pid;

	if (argc != 5) {
		fprintf(stderr, "usage: bench_bus PUB_ENDPOINT SUB_ENDPOINT COUNT RATE\n");
		return 100;
	}
	count = atol(argv[3]);
	rate = atof(argv[4]);
	direct = !strcmp(argv[1], argv[2]);
	lat = calloc((size_t)count, sizeof *lat);
	ctx = zmq_ctx_new();
	s = zmq_socket(ctx, ZMQ_SUB);
	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
	if (zmq_connect(s, argv[2]) < 0)
		die(argv[2]);
	zmq_setsockopt(s, ZMQ_SUBSCRIBE, TOPIC, sizeof TOPIC - 1);
	pid = fork();
	if (pid == 0) {
		/* a fresh context: a ZeroMQ context does not survive fork */
		publisher(argv[1], direct, count, rate);
	}
	while (got < count) {
		int n = zmq_recv(s, topic, sizeof topic, 0);
		long long t;
		char *p;
		if (n < 0)
			break; /* timed out: the rest was lost */
		n = zmq_recv(s, buf, sizeof buf - 1, 0);
		t = now_ns();
		if (n < 0)
			break;
		buf[n] = '\0';
		p = strstr(buf, "\"rt\":");
		if (p)
			lat[got] = t - atoll(p + 5);
		if (!got)
			first = t;
		last = t;
		got++;
	}
	waitpid(pid, &status, 0);
	qsort(lat, (size_t)got, sizeof *lat, cmp);
	printf("received=%ld lost=%ld secs=%.3f rate=%.0f p50=%.1f p99=%.1f p999=%.1f max=%.1f\n",
	    got, count - got, (double)(last - first) / 1e9,
	    got > 1 ? (double)(got - 1) * 1e9 / (double)(last - first) : 0.0,
	    got ? (double)lat[got / 2] / 1e3 : 0.0,
	    got ? (double)lat[(size_t)((double)got * 0.99)] / 1e3 : 0.0,
	    got ? (double)lat[(size_t)((double)got * 0.999)] / 1e3 : 0.0,
	    got ? (double)lat[got - 1] / 1e3 : 0.0);
	zmq_close(s);
	zmq_ctx_term(ctx);
	free(lat);
	return got == count ? 0 : 111;
}
