/* sim-wsclient: a test websocket client: send messages, print or count what arrives (tests and bench of ts-sim) */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

static const char usage[] =
"usage: sim-wsclient [-n COUNT] [-w SECONDS] [-s TEXT]... [-q] [-r] ws://127.0.0.1:PORT/PATH\n"
"\n"
"Connect, send each TEXT, and print each text message received as a line.\n"
"  -n COUNT   exit after COUNT messages\n"
"  -w SECONDS exit after SECONDS (default 10)\n"
"  -q         print nothing, only count\n"
"  -r         print 'messages N bytes B seconds S rate R' on stderr at the end\n"
"Exit status: 0 on COUNT messages, at SECONDS or when the server closes\n"
"(a line '# closed' on stderr says so); 100 usage; 111 cannot connect.\n";

static struct {
	const char *sends[16];
	int nsend, quiet, report, done, failed, closed;
	long count, got;
	unsigned long long bytes;
	double t0, t1;
	char *frag;
	size_t flen, fcap;
} C;

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
got_message(const char *p, size_t n)
{
	if (C.got == 0)
		C.t0 = now_s();
	C.got++;
	C.bytes += n;
	if (!C.quiet) {
		fwrite(p, 1, n, stdout);
		putchar('\n');
	}
	if (C.count && C.got >= C.count)
		C.done = 1;
}

static int
cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (C.nsend)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (C.nsend) {
			static int next;
			unsigned char buf[LWS_PRE + 4096];
			size_t n = strlen(C.sends[next]);
			if (n > 4096)
				n = 4096;
			memcpy(buf + LWS_PRE, C.sends[next], n);
			if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
				return -1;
			next++;
			C.nsend--;
			for (int i = 0; i < C.nsend; i++)
				C.sends[i] = C.sends[next + i];
			next = 0;
			if (C.nsend)
				lws_callback_on_writable(wsi);
		}
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (lws_is_first_fragment(wsi) && lws_is_final_fragment(wsi)) {
			got_message(in, len);
		} else {
			if (lws_is_first_fragment(wsi))
				C.flen = 0;
			if (C.flen + len > C.fcap) {
				C.fcap = (C.flen + len) * 2;
				if (!(C.frag = realloc(C.frag, C.fcap)))
					abort();
			}
			memcpy(C.frag + C.flen, in, len);
			C.flen += len;
			if (lws_is_final_fragment(wsi))
				got_message(C.frag, C.flen);
		}
		if (C.done)
			return -1;
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "sim-wsclient: cannot connect: %s\n", in ? (char *)in : "error");
		C.failed = 1;
		C.done = 1;
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (!C.done) {
			fprintf(stderr, "# closed\n");
			C.closed = 1;
		}
		C.done = 1;
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protos[] = {
	{ "sim-wsclient", cb, 0, 1 << 16, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void
on_alarm(int s)
{
	(void)s;
	C.done = 1;
}

int
main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;
	struct lws_context *ctx;
	const char *prot, *path;
	char url[1024], pathbuf[1024];
	double wait = 10;
	int o;

	while ((o = getopt(argc, argv, "n:w:s:qrh")) != -1) {
		switch (o) {
		case 'n': C.count = atol(optarg); break;
		case 'w': wait = atof(optarg); break;
		case 's':
			if (C.nsend < 16)
				C.sends[C.nsend++] = optarg;
			break;
		case 'q': C.quiet = 1; break;
		case 'r': C.report = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 100;
		}
	}
	if (optind != argc - 1 || strlen(argv[optind]) >= sizeof url) {
		fputs(usage, stderr);
		return 100;
	}
	strcpy(url, argv[optind]);
	memset(&ci, 0, sizeof ci);
	if (lws_parse_uri(url, &prot, &ci.address, &ci.port, &path) || strcmp(prot, "ws")) {
		fprintf(stderr, "sim-wsclient: bad url '%s'\n", argv[optind]);
		return 100;
	}
	snprintf(pathbuf, sizeof pathbuf, "/%s", path);
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protos;
	if (!(ctx = lws_create_context(&info)))
		return 111;
	ci.context = ctx;
	ci.path = pathbuf;
	ci.host = ci.address;
	ci.origin = ci.address;
	ci.protocol = NULL;
	if (!lws_client_connect_via_info(&ci)) {
		fprintf(stderr, "sim-wsclient: cannot connect to '%s'\n", argv[optind]);
		return 111;
	}
	signal(SIGALRM, on_alarm);
	signal(SIGTERM, on_alarm);
	signal(SIGINT, on_alarm);
	if (wait > 0) {
		struct itimerval it = { { 0, 0 }, { (long)wait, (long)((wait - (long)wait) * 1e6) } };
		setitimer(ITIMER_REAL, &it, NULL);
	}
	while (!C.done && lws_service(ctx, 100) >= 0)
		;
	C.t1 = now_s();
	fflush(stdout);
	if (C.report) {
		double s = C.got > 1 ? C.t1 - C.t0 : 0;
		fprintf(stderr, "messages %ld bytes %llu seconds %.3f rate %.0f\n", C.got, C.bytes,
		    s, s > 0 ? (double)C.got / s : 0);
	}
	lws_context_destroy(ctx);
	free(C.frag);
	return C.failed ? 111 : 0;
}
