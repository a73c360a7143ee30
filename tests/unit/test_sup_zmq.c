/* test_sup_zmq.c: how ZeroMQ 4.3 reports subscribers through ts-supervisor's
 * proxy (XSUB | XPUB with XPUB_VERBOSER), which the supervisor's demand
 * counting is built on. Every expectation ends with a marker subscription on
 * the same socket, so "nothing else was reported" needs no timing. */
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

static void *ctx, *xsub, *xpub, *prod;
static char dir[] = "/tmp/test_sup_zmq.XXXXXX", ep_pub[64], ep_sub[64];

/* One event from `s` as "+topic"/"-topic", within 2 s ("" if none). */
static const char *
event(void *s)
{
	static char out[300];
	char b[256];
	int n = -1, t = 20;

	/* the proxy's sockets must run their commands (pipe attach and end)
	 * as in the supervisor's loop: ask for their events while waiting */
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &t, sizeof t);
	for (int i = 0; i < 100 && n < 0; i++) {
		int ev;
		size_t el = sizeof ev;
		zmq_getsockopt(xsub, ZMQ_EVENTS, &ev, &el);
		zmq_getsockopt(xpub, ZMQ_EVENTS, &ev, &el);
		n = zmq_recv(s, b, sizeof b, 0);
	}
	if (n < 1 || n > (int)sizeof b)
		return "";
	snprintf(out, sizeof out, "%c%.*s", b[0] ? '+' : '-', n - 1, b + 1);
	return out;
}

/* The proxy's job for one event: read it from the XPUB (what the supervisor
 * counts) and pass it to the XSUB (what the producers then see). */
static const char *
proxy_event(void)
{
	static char out[300];
	const char *e = event(xpub);
	char b[256];

	snprintf(out, sizeof out, "%s", e);
	if (*e) {
		b[0] = e[0] == '+';
		memcpy(b + 1, e + 1, strlen(e) - 1);
		zmq_send(xsub, b, strlen(e), 0);
	}
	return out;
}

static void *
sub_socket(void)
{
	void *s = zmq_socket(ctx, ZMQ_SUB);
	int zero = 0;

	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
	zmq_connect(s, ep_sub);
	return s;
}

static void sub(void *s, const char *t) { zmq_setsockopt(s, ZMQ_SUBSCRIBE, t, strlen(t)); }
static void unsub(void *s, const char *t) { zmq_setsockopt(s, ZMQ_UNSUBSCRIBE, t, strlen(t)); }

/* Subscribe and unsubscribe a marker on s; the proxy and the producer see
 * both, after everything s caused before. */
static void
marker(void *s, const char *m)
{
	char plus[64], minus[64];

	snprintf(plus, sizeof plus, "+%s", m);
	snprintf(minus, sizeof minus, "-%s", m);
	sub(s, m);
	CHECK_STR(proxy_event(), plus);
	CHECK_STR(event(prod), plus);
	unsub(s, m);
	CHECK_STR(proxy_event(), minus);
	CHECK_STR(event(prod), minus);
}

static void
test_two_subscribers(void)
{
	void *a = sub_socket(), *b = sub_socket();

	sub(a, "trades/t/A-B");
	CHECK_STR(proxy_event(), "+trades/t/A-B");
	sub(b, "trades/t/A-B");
	CHECK_STR(proxy_event(), "+trades/t/A-B"); /* VERBOSER: every one */
	CHECK_STR(event(prod), "+trades/t/A-B");   /* the producer: the first */
	unsub(a, "trades/t/A-B");
	CHECK_STR(proxy_event(), "-trades/t/A-B");
	marker(b, "m1"); /* the producer saw no unsubscription yet */
	unsub(b, "trades/t/A-B");
	CHECK_STR(proxy_event(), "-trades/t/A-B");
	CHECK_STR(event(prod), "-trades/t/A-B"); /* the last one: passed on */
	zmq_close(a);
	zmq_close(b);
}

static void
test_dies_without_unsubscribing(void)
{
	void *a = sub_socket(), *b = sub_socket();

	sub(a, "trades/d/A-B");
	sub(a, "book/d/A-B");
	CHECK_STR(proxy_event(), "+trades/d/A-B");
	CHECK_STR(proxy_event(), "+book/d/A-B");
	CHECK_STR(event(prod), "+trades/d/A-B");
	CHECK_STR(event(prod), "+book/d/A-B");
	zmq_close(a); /* gone: its pipe ends, and ZeroMQ unsubscribes for it */
	{
		const char *e1 = proxy_event(), *e2;
		char first[300];
		snprintf(first, sizeof first, "%s", e1);
		e2 = proxy_event();
		CHECK((!strcmp(first, "-trades/d/A-B") && !strcmp(e2, "-book/d/A-B")) ||
		    (!strcmp(first, "-book/d/A-B") && !strcmp(e2, "-trades/d/A-B")));
		/* and the producer hears both: nobody else wanted them */
		snprintf(first, sizeof first, "%s", event(prod));
		e2 = event(prod);
		CHECK((!strcmp(first, "-trades/d/A-B") && !strcmp(e2, "-book/d/A-B")) ||
		    (!strcmp(first, "-book/d/A-B") && !strcmp(e2, "-trades/d/A-B")));
	}
	marker(b, "m2");
	zmq_close(b);
}

/* The one case counting cannot see: a socket that subscribes a topic twice
 * sends both subscriptions but only its last unsubscription. The proxy's
 * count (and its XSUB's, hence the producer's) stays at 1. Subscribers must
 * subscribe each topic once per socket; tradesuite.ini(5) BUGS says so. */
static void
test_duplicate_on_one_socket(void)
{
	void *a = sub_socket();

	sub(a, "trades/u/A-B");
	sub(a, "trades/u/A-B");
	CHECK_STR(proxy_event(), "+trades/u/A-B");
	CHECK_STR(proxy_event(), "+trades/u/A-B");
	CHECK_STR(event(prod), "+trades/u/A-B");
	unsub(a, "trades/u/A-B");
	marker(a, "m3"); /* the first unsubscription stays inside the SUB */
	unsub(a, "trades/u/A-B");
	CHECK_STR(proxy_event(), "-trades/u/A-B"); /* one, for two subscriptions */
	marker(a, "m4"); /* and the producer never hears of it */
	zmq_close(a);
}

static void
test_wildcards(void)
{
	void *a = sub_socket();

	/* a wildcard is a topic of its own: no per-topic events for what it covers */
	sub(a, "trades/");
	CHECK_STR(proxy_event(), "+trades/");
	CHECK_STR(event(prod), "+trades/");
	sub(a, "");
	CHECK_STR(proxy_event(), "+");
	CHECK_STR(event(prod), "+");
	sub(a, "trades/w/A-B");
	CHECK_STR(proxy_event(), "+trades/w/A-B");
	CHECK_STR(event(prod), "+trades/w/A-B");
	unsub(a, "trades/");
	CHECK_STR(proxy_event(), "-trades/");
	CHECK_STR(event(prod), "-trades/");
	unsub(a, "");
	CHECK_STR(proxy_event(), "-");
	CHECK_STR(event(prod), "-");
	unsub(a, "trades/w/A-B");
	CHECK_STR(proxy_event(), "-trades/w/A-B");
	CHECK_STR(event(prod), "-trades/w/A-B");
	marker(a, "m5");
	zmq_close(a);
}

static void
test_late_producer_learns_current_subscriptions(void)
{
	void *a = sub_socket(), *late = zmq_socket(ctx, ZMQ_XPUB);
	int zero = 0;

	sub(a, "trades/l/A-B");
	CHECK_STR(proxy_event(), "+trades/l/A-B");
	CHECK_STR(event(prod), "+trades/l/A-B");
	zmq_setsockopt(late, ZMQ_LINGER, &zero, sizeof zero);
	zmq_connect(late, ep_pub);
	CHECK_STR(event(late), "+trades/l/A-B"); /* the XSUB replays them */
	zmq_close(late);
	zmq_close(a);
	CHECK_STR(proxy_event(), "-trades/l/A-B");
	CHECK_STR(event(prod), "-trades/l/A-B");
}

int
main(void)
{
	int one = 1, zero = 0, r;

	if (!mkdtemp(dir))
		return 111;
	snprintf(ep_pub, sizeof ep_pub, "ipc://%s/pub", dir);
	snprintf(ep_sub, sizeof ep_sub, "ipc://%s/sub", dir);
	ctx = zmq_ctx_new();
	xsub = zmq_socket(ctx, ZMQ_XSUB);
	xpub = zmq_socket(ctx, ZMQ_XPUB);
	zmq_setsockopt(xpub, ZMQ_XPUB_VERBOSER, &one, sizeof one);
	zmq_setsockopt(xsub, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(xpub, ZMQ_LINGER, &zero, sizeof zero);
	if (zmq_bind(xsub, ep_pub) < 0 || zmq_bind(xpub, ep_sub) < 0)
		return 111;
	prod = zmq_socket(ctx, ZMQ_XPUB); /* a producer, as ts_bus_producer makes */
	zmq_setsockopt(prod, ZMQ_LINGER, &zero, sizeof zero);
	zmq_connect(prod, ep_pub);

	RUN(test_two_subscribers);
	RUN(test_dies_without_unsubscribing);
	RUN(test_duplicate_on_one_socket);
	RUN(test_wildcards);
	RUN(test_late_producer_learns_current_subscriptions);
	r = DONE();
	zmq_close(prod);
	zmq_close(xsub);
	zmq_close(xpub);
	zmq_ctx_term(ctx);
	{
		char p[128];
		snprintf(p, sizeof p, "%s/pub", dir); unlink(p);
		snprintf(p, sizeof p, "%s/sub", dir); unlink(p);
		rmdir(dir);
	}
	return r;
}
