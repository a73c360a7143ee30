/* bench_alert.c: feed ts-alert trades at a fixed rate over many markets and
 * measure trade-on-the-bus to alert-on-the-bus latency.
 *
 * usage: bench_alert BUSDIR MARKETS RATE SECONDS
 * Publishes trades/b/Mnn-USD round robin at RATE a second (0: as fast as
 * possible) with "ts" = the wall clock at sending; every alert's "ts" is its
 * trade's, so now - ts is the latency. Ends with one trade on
 * trades/b/END-USD, which a jq rule turns into an alert: the time it
 * arrives bounds how long ts-alert took for everything before it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "bus.h"
#include "json.h"
#include "log.h"
#include "msg.h"
#include "tm.h"

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct ts_bus_ep ep;
	struct ts_pub pub = { 0 };
	struct ts_jw w = { 0 };
	char err[256], topic[64];
	void *sub;
	int markets, one = 1, done = 0;
	double rate, secs;
	int64_t *lat = NULL, t0, t_end_sent = 0, t_end_seen = 0, total, sent = 0;
	size_t nlat = 0, cap = 0;
	double *px;
	unsigned seed = 42;

	ts_log_init(argv[0]);
	if (argc != 5)
		ts_die(100, "usage: bench_alert BUSDIR MARKETS RATE SECONDS");
	markets = atoi(argv[2]);
	rate = atof(argv[3]);
	secs = atof(argv[4]);
	if (ts_bus_resolve(argv[1], &ep, err, sizeof err) < 0)
		ts_die(100, "%s", err);
	sub = ts_bus_sub(&ep);
	ts_bus_subscribe(sub, "alerts/");
	pub.sock = ts_bus_producer(&ep);
	zmq_setsockopt(pub.sock, ZMQ_XPUB_NODROP, &one, sizeof one);
	{
		/* wait until ts-alert subscribed to the sentinel topic */
		char s[256];
		int on;
		while (ts_bus_sub_event(pub.sock, s, sizeof s, &on, 0) != 0 ||
		    strcmp(s, "trades/b/END-USD"))
			;
	}
	px = calloc((size_t)markets, sizeof *px);
	for (int m = 0; m < markets; m++)
		px[m] = 100;
	total = (int64_t)(rate > 0 ? rate * secs : secs);
	t0 = ts_mono_us();
	while (!done) {
		zmq_pollitem_t it = { sub, 0, ZMQ_POLLIN, 0 };
		/* send what is due */
		if (sent < total) {
			int64_t due = rate > 0 ? t0 + (int64_t)((double)sent * 1e6 / rate) : 0;
			int burst = 0;
			while (sent < total && ts_mono_us() >= due && burst++ < 256) {
				int m = (int)(sent % markets);
				double step = ((double)(rand_r(&seed) % 201) - 100) / 1000.0;
				double qty = rand_r(&seed) % 1000 == 0 ? 10 : 0.01 * (1 + rand_r(&seed) % 9);
				char num[64];
				px[m] += step;
				if (px[m] < 95) px[m] = 95;
				if (px[m] > 105) px[m] = 105;
				snprintf(topic, sizeof topic, "trades/b/M%02d-USD", m);
				ts_jw_reset(&w);
				ts_jw_obj(&w);
				ts_jw_kstr(&w, "ex", "b");
				snprintf(num, sizeof num, "M%02d-USD", m);
				ts_jw_kstr(&w, "sym", num);
				ts_jw_ki64(&w, "id", sent);
				snprintf(num, sizeof num, "%.2f", px[m]);
				ts_jw_key(&w, "px");
				ts_jw_raw(&w, num, strlen(num));
				snprintf(num, sizeof num, "%.2f", qty);
				ts_jw_key(&w, "qty");
				ts_jw_raw(&w, num, strlen(num));
				ts_jw_kstr(&w, "side", sent & 1 ? "buy" : "sell");
				ts_jw_ki64(&w, "ts", ts_now_us());
				ts_jw_obj_end(&w);
				ts_pub_send(&pub, topic, &w);
				sent++;
				if (rate > 0)
					due = t0 + (int64_t)((double)sent * 1e6 / rate);
			}
			if (sent == total) {
				ts_jw_reset(&w);
				ts_jw_obj(&w);
				ts_jw_kstr(&w, "id", "end");
				ts_jw_ki64(&w, "px", 1);
				ts_jw_ki64(&w, "ts", ts_now_us());
				ts_jw_obj_end(&w);
				ts_pub_send(&pub, "trades/b/END-USD", &w);
				t_end_sent = ts_mono_us();
				sent++;
			}
		}
		if (zmq_poll(&it, 1, sent < total ? 0 : 1000) > 0) {
			struct ts_msg msg;
			while (ts_msg_recv(sub, &msg, ZMQ_DONTWAIT) == 0) {
				struct ts_jval o;
				int64_t ts;
				int64_t now = ts_now_us();
				if (ts_json_parse(msg.data, msg.len, &o, NULL) == 0 &&
				    ts_json_get_i64(&o, "ts", &ts) == 0) {
					if (!strcmp(msg.topic, "alerts/b/END-USD")) {
						t_end_seen = ts_mono_us();
						done = 1;
					} else {
						ts_xgrow((void **)&lat, &cap, nlat + 1, sizeof *lat);
						lat[nlat++] = now - ts;
					}
				}
				ts_msg_close(&msg);
			}
		}
		if (sent > total && ts_mono_us() - t_end_sent > 60 * TS_US_PER_SEC)
			ts_die(111, "no alert for the end trade after 60s");
	}
	qsort(lat, nlat, sizeof *lat, cmp_i64);
	printf("trades %lld in %.3fs (%.0f/s offered), processed all by %.3fs after the "
	    "first: %.0f trades/s\n", (long long)total, (double)(t_end_sent - t0) / 1e6,
	    (double)total / ((double)(t_end_sent - t0) / 1e6), (double)(t_end_seen - t0) / 1e6,
	    (double)total / ((double)(t_end_seen - t0) / 1e6));
	if (nlat)
		printf("alerts %zu latency trade->alert p50 %lldus p99 %lldus max %lldus\n", nlat,
		    (long long)lat[nlat / 2], (long long)lat[nlat * 99 / 100],
		    (long long)lat[nlat - 1]);
	ts_bus_close(&pub.sock);
	ts_bus_close(&sub);
	ts_bus_term();
	return 0;
}
