/* test_bus.c: endpoint resolution, messages and seq over real sockets */
#include "t.h"
#include "bus.h"
#include "msg.h"

#include <stdlib.h>
#include <unistd.h>
#include <zmq.h>

static void
test_resolve(void)
{
	struct ts_bus_ep ep;
	char err[256];

	unsetenv("TS_BUS");
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	CHECK_INT(ts_bus_resolve(NULL, &ep, err, sizeof err), 0);
	CHECK_STR(ep.pub, "ipc:///run/user/1000/tradesuite/pub");
	CHECK_STR(ep.sub, "ipc:///run/user/1000/tradesuite/sub");
	CHECK_STR(ep.source, "XDG_RUNTIME_DIR");
	unsetenv("XDG_RUNTIME_DIR");
	CHECK_INT(ts_bus_resolve(NULL, &ep, err, sizeof err), 0);
	{
		char want[64];
		snprintf(want, sizeof want, "ipc:///tmp/tradesuite-%u/sub", (unsigned)getuid());
		CHECK_STR(ep.sub, want);
	}
	setenv("TS_BUS", "tcp://127.0.0.1:5555", 1);
	CHECK_INT(ts_bus_resolve(NULL, &ep, err, sizeof err), 0);
	CHECK_STR(ep.pub, "tcp://127.0.0.1:5555");
	CHECK_STR(ep.sub, "tcp://127.0.0.1:5556");
	CHECK_STR(ep.ctl, "tcp://127.0.0.1:5557");
	CHECK_STR(ep.history, "tcp://127.0.0.1:5558");
	CHECK(ts_bus_is_local(&ep));
	/* -B beats TS_BUS */
	CHECK_INT(ts_bus_resolve("/srv/bus/", &ep, err, sizeof err), 0);
	CHECK_STR(ep.pub, "ipc:///srv/bus/pub");
	CHECK_STR(ep.source, "-B");
	CHECK_STR(ep.history, "ipc:///srv/bus/history");
	CHECK_INT(ts_bus_resolve("ipc:///srv/x", &ep, err, sizeof err), 0);
	CHECK_STR(ep.dir, "/srv/x");
	CHECK_INT(ts_bus_resolve("tcp://[::1]:7000", &ep, err, sizeof err), 0);
	CHECK_STR(ep.sub, "tcp://[::1]:7001");
	CHECK(ts_bus_is_local(&ep));
	CHECK_INT(ts_bus_resolve("tcp://10.1.2.3:7000", &ep, err, sizeof err), 0);
	CHECK(!ts_bus_is_local(&ep));
	CHECK_INT(ts_bus_resolve("tcp://127.0.0.1:65533", &ep, err, sizeof err), 0);
	CHECK_STR(ep.history, ""); /* PORT+3 does not exist: no history service */
	CHECK_INT(ts_bus_resolve("tcp://127.0.0.1:65535", &ep, err, sizeof err), -1);
	CHECK_INT(ts_bus_resolve("tcp://127.0.0.1", &ep, err, sizeof err), -1);
	CHECK_INT(ts_bus_resolve("tcp://127.0.0.1:x", &ep, err, sizeof err), -1);
	CHECK_INT(ts_bus_resolve("udp://127.0.0.1:1", &ep, err, sizeof err), -1);
	CHECK_INT(ts_bus_resolve("/a/very/long/path/that/does/not/fit/into/a/unix/socket/"
				 "address/because/those/are/limited/to/108/bytes/x", &ep, err,
		      sizeof err), -1);
	CHECK(strstr(err, "too long") != NULL);
	unsetenv("TS_BUS");
}

static void
test_messages_and_seq(void)
{
	void *ctx = ts_bus_ctx();
	void *pub = zmq_socket(ctx, ZMQ_PUB), *sub = zmq_socket(ctx, ZMQ_SUB);
	struct ts_pub p = { 0 };
	struct ts_jw w = { 0 };
	struct ts_msg m;
	uint64_t seq;
	int timeout = 2000;

	zmq_bind(pub, "inproc://t");
	zmq_connect(sub, "inproc://t");
	zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
	ts_bus_subscribe(sub, "trades/coinbase/BTC-USD");
	usleep(100000);
	p.sock = pub;
	for (int i = 0; i < 3; i++) {
		ts_jw_reset(&w);
		ts_jw_obj(&w);
		ts_jw_ki64(&w, "i", i);
		ts_jw_obj_end(&w);
		CHECK_INT(ts_pub_send(&p, i == 1 ? "trades/coinbase/BTC-USDT" :
		    "trades/coinbase/BTC-USD", &w), 0);
	}
	/* the USDT message arrives too (prefix match); its seq is its own */
	CHECK_INT(ts_msg_recv(sub, &m, 0), 0);
	CHECK_STR(m.topic, "trades/coinbase/BTC-USD");
	CHECK(m.len == 15 && !memcmp(m.data, "{\"i\":0,\"seq\":1}", 15));
	ts_msg_close(&m);
	CHECK_INT(ts_msg_recv(sub, &m, 0), 0);
	CHECK_STR(m.topic, "trades/coinbase/BTC-USDT");
	CHECK(!ts_topic_match("trades/coinbase/BTC-USD", m.topic, m.topic_len));
	CHECK_INT(ts_msg_seq(m.data, m.len, &seq), 0);
	CHECK_INT(seq, 1);
	ts_msg_close(&m);
	CHECK_INT(ts_msg_recv(sub, &m, 0), 0);
	CHECK_INT(ts_msg_seq(m.data, m.len, &seq), 0);
	CHECK_INT(seq, 2);
	ts_msg_close(&m);
	CHECK_INT(ts_pub_next_seq(&p, "trades/coinbase/BTC-USD"), 3);
	/* a one-frame message is refused as EPROTO, and the next one still reads */
	zmq_send(pub, "trades/coinbase/BTC-USD", 23, 0);
	ts_jw_reset(&w);
	ts_jw_obj(&w);
	ts_jw_obj_end(&w);
	ts_pub_send(&p, "trades/coinbase/BTC-USD", &w);
	CHECK_INT(ts_msg_recv(sub, &m, 0), -1);
	CHECK_INT(errno, EPROTO);
	CHECK_INT(ts_msg_recv(sub, &m, 0), 0);
	CHECK(m.len == 9 && !memcmp(m.data, "{\"seq\":3}", 9));
	ts_msg_close(&m);
	/* jv path */
	CHECK_INT(ts_pub_send_jv(&p, "status/feed/x", jv_parse("{\"a\":1}")), 0);
	ts_pub_clear(&p);
	ts_jw_free(&w);
	zmq_close(pub);
	zmq_close(sub);
	ts_bus_term();
}

static void
test_seqcheck(void)
{
	struct ts_seqcheck c = { 0 };
	uint64_t missing;

	CHECK_INT(ts_seqcheck(&c, "a", 5, &missing), TS_SEQ_FIRST);
	CHECK_INT(ts_seqcheck(&c, "a", 6, &missing), TS_SEQ_OK);
	CHECK_INT(ts_seqcheck(&c, "a", 9, &missing), TS_SEQ_GAP);
	CHECK_INT(missing, 2);
	CHECK_INT(ts_seqcheck(&c, "a", 9, &missing), TS_SEQ_DUP);
	CHECK_INT(ts_seqcheck(&c, "b", 1, &missing), TS_SEQ_FIRST);
	CHECK_INT(ts_seqcheck(&c, "a", 1, &missing), TS_SEQ_RESTART);
	CHECK_INT(ts_seqcheck(&c, "a", 2, &missing), TS_SEQ_OK);
	CHECK_INT(ts_msg_seq("{\"x\":1}", 7, &missing), 1);
	CHECK_INT(ts_msg_seq("[1]", 3, &missing), -1);
	CHECK_INT(ts_msg_seq("{\"seq\":", 7, &missing), -1);
	ts_seqcheck_clear(&c);
}

int
main(void)
{
	RUN(test_resolve);
	RUN(test_messages_and_seq);
	RUN(test_seqcheck);
	return DONE();
}
