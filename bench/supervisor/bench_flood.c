/* bench_flood.c: a fast publisher for bench/supervisor/stall.sh
 *
 *   bench_flood PUB_ENDPOINT TOPIC COUNT BYTES
 *
 * Connects a PUB socket to the supervisor's publisher endpoint, waits for
 * the connection, sends COUNT messages (topic frame, then a payload of
 * BYTES bytes) as fast as the proxy takes them, and prints one line:
 *   sent=N secs=S */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

int
main(int argc, char **argv)
{
	void *ctx, *pub;
	long count, bytes, sent = 0;
	int hwm = 0, linger = 5000;
	char *payload;
	struct timespec t0, t1, pause = { 0, 300 * 1000 * 1000 };

	if (argc != 5) {
		fprintf(stderr, "usage: bench_flood PUB_ENDPOINT TOPIC COUNT BYTES\n");
		return 100;
	}
	count = atol(argv[3]);
	bytes = atol(argv[4]);
	if (count <= 0 || bytes <= 0 || !(payload = malloc((size_t)bytes)))
		return 100;
	memset(payload, 'x', (size_t)bytes);
	ctx = zmq_ctx_new();
	pub = zmq_socket(ctx, ZMQ_PUB);
	zmq_setsockopt(pub, ZMQ_SNDHWM, &hwm, sizeof hwm); /* unbounded: a flood */
	zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
	if (zmq_connect(pub, argv[1]) < 0) {
		fprintf(stderr, "bench_flood: cannot connect to '%s': %s\n", argv[1],
		    zmq_strerror(errno));
		return 111;
	}
	nanosleep(&pause, NULL); /* the connection and subscriptions settle */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (; sent < count; sent++) {
		if (zmq_send(pub, argv[2], strlen(argv[2]), ZMQ_SNDMORE) < 0 ||
		    zmq_send(pub, payload, (size_t)bytes, 0) < 0)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("sent=%ld secs=%.3f\n", sent, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	zmq_close(pub);
	zmq_ctx_term(ctx);
	free(payload);
	return 0;
}
