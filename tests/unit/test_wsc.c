/* test_wsc: ts-feed's websocket client: the wire format, the upgrade check,
 * and whole conversations with a scripted server on 127.0.0.1 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "t.h"
#include "tm.h"
#include "wsc.h"
#include "wsframe.h"

/* what the callbacks saw */
static struct {
	int opened, closed, was_open;
	char why[512];
	int nmsg, binary;
	char *msg[16];
	size_t len[16];
} seen;

static void
reset_seen(void)
{
	for (int i = 0; i < seen.nmsg; i++)
		free(seen.msg[i]);
	memset(&seen, 0, sizeof seen);
}

static void
on_open(void *ctx)
{
	(void)ctx;
	seen.opened++;
}

static void
on_message(void *ctx, const char *p, size_t n, int binary)
{
	(void)ctx;
	if (seen.nmsg < 16) {
		seen.msg[seen.nmsg] = malloc(n + 1);
		memcpy(seen.msg[seen.nmsg], p, n);
		seen.msg[seen.nmsg][n] = '\0';
		seen.len[seen.nmsg++] = n;
	}
	seen.binary += binary;
}

static void
on_closed(void *ctx, const char *why, int was_open)
{
	(void)ctx;
	seen.closed++;
	seen.was_open = was_open;
	snprintf(seen.why, sizeof seen.why, "%s", why);
}

static const struct wsc_cb cbs = { NULL, on_open, on_message, on_closed };

static void
test_frame_parse(void)
{
	struct ts_ws_hdr f;
	const char *err = NULL;
	unsigned char small[] = { 0x81, 5, 'h', 'e', 'l', 'l', 'o' };
	unsigned char mid[4] = { 0x01, 126, 0x01, 0x00 };
	unsigned char big[10] = { 0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0 };
	unsigned char huge[10] = { 0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0 };
	unsigned char masked[] = { 0x81, 0x85, 1, 2, 3, 4 };
	unsigned char rsv[] = { 0xc1, 0 };
	unsigned char longping[] = { 0x89, 126, 0, 200 };
	unsigned char fragping[] = { 0x09, 0 };
	unsigned char op3[] = { 0x83, 0 }, op11[] = { 0x8b, 0 };

	CHECK_INT(ts_ws_hdr_read(small, 1, 0, &f, &err), 0);
	CHECK_INT(ts_ws_hdr_read(small, sizeof small, 0, &f, &err), 2);
	CHECK_INT(f.fin, 1);
	CHECK_INT(f.opcode, 1);
	CHECK_INT(f.len, 5);
	CHECK_INT(ts_ws_hdr_read(mid, 3, 0, &f, &err), 0);
	CHECK_INT(ts_ws_hdr_read(mid, 4, 0, &f, &err), 4);
	CHECK_INT(f.fin, 0);
	CHECK_INT(f.opcode, 1);
	CHECK_INT(f.len, 256);
	CHECK_INT(ts_ws_hdr_read(big, 9, 0, &f, &err), 0);
	CHECK_INT(ts_ws_hdr_read(big, 10, 0, &f, &err), 10);
	CHECK_INT(f.len, (uint64_t)1 << 32);
	CHECK_INT(f.opcode, 2);
	CHECK_INT(ts_ws_hdr_read(huge, 10, 0, &f, &err), -1);
	CHECK_INT(ts_ws_hdr_read(masked, sizeof masked, 0, &f, &err), -1);
	CHECK(strstr(err, "masked"));
	CHECK_INT(ts_ws_hdr_read(rsv, 2, 0, &f, &err), -1);
	CHECK(strstr(err, "reserved"));
	CHECK_INT(ts_ws_hdr_read(longping, 4, 0, &f, &err), -1);
	CHECK_INT(ts_ws_hdr_read(fragping, 2, 0, &f, &err), -1);
	CHECK_INT(ts_ws_hdr_read(op3, 2, 0, &f, &err), -1);
	CHECK_INT(ts_ws_hdr_read(op11, 2, 0, &f, &err), -1);
}

/* Unmask a client frame as a server would; returns the header length. */
static size_t
unmask(const unsigned char *p, unsigned char *out, size_t *len, int *opcode)
{
	struct ts_ws_hdr f;
	const char *err = NULL;
	int h = ts_ws_hdr_read(p, TS_WS_HDR_MAX, 1, &f, &err);

	if (h <= 0) {
		printf("#   not a client frame: %s\n", err ? err : "short");
		t_failed_checks++;
		*len = 0;
		return 0;
	}
	*opcode = f.opcode;
	for (size_t i = 0; i < f.len; i++)
		out[i] = p[(size_t)h + i] ^ f.mask[i & 3];
	*len = (size_t)f.len;
	return (size_t)h;
}

static void
test_frame_build(void)
{
	static unsigned char out[70000 + 14], back[70000];
	static char text[70000];
	const unsigned char mask[4] = { 0x11, 0x22, 0x33, 0x44 };
	size_t sizes[] = { 0, 5, 125, 126, 65535, 65536, 70000 }, len, h;
	int op;

	for (size_t i = 0; i < sizeof text; i++)
		text[i] = (char)('a' + i % 26);
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		size_t n = wsc_frame_build(out, 1, text, sizes[k], mask);
		CHECK(out[0] == 0x81);
		CHECK(out[1] & 0x80); /* a client always masks */
		h = unmask(out, back, &len, &op);
		CHECK_INT(n, h + sizes[k]);
		CHECK_INT(len, sizes[k]);
		CHECK_INT(op, 1);
		CHECK(memcmp(back, text, sizes[k]) == 0);
		CHECK(sizes[k] < 4 || memcmp(out + h, text, 4) != 0);
	}
}

static void
test_accept(void)
{
	char out[32];

	/* RFC 6455 section 1.3's example */
	wsc_accept_for("dGhlIHNhbXBsZSBub25jZQ==", out);
	CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void
test_upgrade(void)
{
	const char *acc = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
	const char *ok = "HTTP/1.1 101 Switching Protocols\r\n"
	    "upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
	    "Sec-WebSocket-Accept:   s3pPLMBiTxaQ9kYGzzhZRbK+xOo=  \r\n\r\n\x81\x01x";
	char err[300], big[20000];

	CHECK_INT(wsc_check_upgrade(ok, strlen(ok), acc, err, sizeof err), (int)strlen(ok) - 3);
	CHECK_INT(wsc_check_upgrade(ok, 40, acc, err, sizeof err), 0);
	{
		const char *r429 = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n\r\n";
		CHECK_INT(wsc_check_upgrade(r429, strlen(r429), acc, err, sizeof err), -1);
	}
	CHECK(strstr(err, "refused: 'HTTP/1.1 429 Too Many Requests'"));
	CHECK_INT(wsc_check_upgrade("SSH-2.0-OpenSSH\r\n\r\n", 19, acc, err, sizeof err), -1);
	CHECK(strstr(err, "not an HTTP/1.1"));
	{
		const char *noup = "HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n"
		    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
		CHECK_INT(wsc_check_upgrade(noup, strlen(noup), acc, err, sizeof err), -1);
		CHECK(strstr(err, "Upgrade: websocket"));
	}
	{
		const char *bad = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		    "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n";
		CHECK_INT(wsc_check_upgrade(bad, strlen(bad), acc, err, sizeof err), -1);
		CHECK(strstr(err, "Sec-WebSocket-Accept"));
	}
	{
		const char *ext = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
		    "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
		CHECK_INT(wsc_check_upgrade(ext, strlen(ext), acc, err, sizeof err), -1);
		CHECK(strstr(err, "permessage-deflate"));
	}
	memset(big, 'x', sizeof big);
	CHECK_INT(wsc_check_upgrade(big, sizeof big, acc, err, sizeof err), -1);
}

/* a scripted server */

static int
listener(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	*port = ntohs(sa.sin_port);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Let the client work for up to ms, or until done() says so. */
static void
pump(struct wsc *w, int ms, int (*done)(void))
{
	int64_t end = ts_mono_us() + (int64_t)ms * 1000;

	while (ts_mono_us() < end && !(done && done())) {
		struct pollfd p = { w->fd, (short)(POLLIN | (wsc_want_write(w) ? POLLOUT : 0)), 0 };
		wsc_tick(w, ts_mono_us());
		if (w->fd < 0) {
			usleep(2000);
			continue;
		}
		if (poll(&p, 1, 10) > 0)
			wsc_io(w);
	}
}

static int srv = -1;     /* the accepted connection */
static char req[8192];
static size_t reqlen;

/* Accept and read the client's upgrade request (pumping the client). */
static int
got_request(void)
{
	return reqlen && strstr(req, "\r\n\r\n");
}

static int lfd = -1;

static int
poll_server(void)
{
	if (srv < 0 && (srv = accept(lfd, NULL, NULL)) >= 0)
		fcntl(srv, F_SETFL, O_NONBLOCK);
	if (srv >= 0) {
		ssize_t r = read(srv, req + reqlen, sizeof req - 1 - reqlen);
		if (r > 0) {
			reqlen += (size_t)r;
			req[reqlen] = '\0';
		}
	}
	return got_request();
}

static void
server_answer(const char *status, const unsigned char *after, size_t n)
{
	char key[64] = "", acc[32], resp[512];
	const char *k = strstr(req, "Sec-WebSocket-Key: ");
	int len;

	if (k)
		sscanf(k + 19, "%63[^\r]", key);
	wsc_accept_for(key, acc);
	len = snprintf(resp, sizeof resp, "%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", status, acc);
	CHECK(write(srv, resp, (size_t)len) == len);
	if (n)
		CHECK(write(srv, after, n) == (ssize_t)n);
}

/* Write n bytes to the client while pumping it (it reads as it goes). */
static void
server_write(struct wsc *w, const unsigned char *p, size_t n)
{
	size_t off = 0;
	int64_t end = ts_mono_us() + 5 * TS_US_PER_SEC;

	while (off < n && ts_mono_us() < end) {
		ssize_t r = write(srv, p + off, n - off > 7000 ? 7000 : n - off);
		if (r > 0)
			off += (size_t)r;
		pump(w, 2, NULL);
	}
	CHECK_INT(off, n);
}

static size_t
server_frame(unsigned char *out, int fin, int op, const void *p, size_t n)
{
	size_t h = ts_ws_hdr_write(out, op, n, NULL);

	if (!fin)
		out[0] &= 0x7f;
	memcpy(out + h, p, n);
	return h + n;
}

/* Read what the client sent after its request: its frames, unmasked. */
static unsigned char cin[70000];
static size_t cinlen;

static void
server_read(void)
{
	ssize_t r;

	while ((r = read(srv, cin + cinlen, sizeof cin - cinlen)) > 0)
		cinlen += (size_t)r;
}

static int
closed(void)
{
	return seen.closed > 0;
}

static int nwant;
static int
got_msgs(void)
{
	return seen.nmsg >= nwant || seen.closed;
}

static void
start(struct wsc *w, const char *host)
{
	int port;

	reset_seen();
	srv = -1;
	reqlen = cinlen = 0;
	req[0] = '\0';
	CHECK((lfd = listener(&port)) >= 0);
	wsc_init(w, &cbs);
	CHECK_INT(wsc_connect(w, host, port, 0, "/ws?streams=a/b"), 0);
	pump(w, 3000, poll_server);
	CHECK(got_request());
}

static void
finish(struct wsc *w)
{
	wsc_free(w);
	if (srv >= 0)
		close(srv);
	close(lfd);
	reset_seen();
}

static void
test_conversation(void)
{
	struct wsc w;
	unsigned char buf[400000], frame[400000 + 14], out[200];
	static char big[300000];
	size_t n = 0, len, h;
	int op;

	start(&w, "127.0.0.1");
	CHECK(strncmp(req, "GET /ws?streams=a/b HTTP/1.1\r\n", 30) == 0);
	CHECK(strstr(req, "\r\nHost: 127.0.0.1:"));
	CHECK(strstr(req, "\r\nSec-WebSocket-Version: 13\r\n"));
	/* the answer and the first frames in one write */
	n = server_frame(buf, 1, 1, "hello", 5);
	n += server_frame(buf + n, 0, 1, "ab", 2);          /* fragmented ... */
	n += server_frame(buf + n, 1, 9, "pp", 2);          /* a ping between */
	n += server_frame(buf + n, 1, 0, "cd", 2);          /* ... text "abcd" */
	n += server_frame(buf + n, 1, 2, "\x01\x02", 2);    /* binary */
	server_answer("HTTP/1.1 101 Switching Protocols", buf, n);
	nwant = 3;
	pump(&w, 3000, got_msgs);
	CHECK_INT(seen.opened, 1);
	CHECK_INT(seen.nmsg, 3);
	CHECK_STR(seen.msg[0], "hello");
	CHECK_STR(seen.msg[1], "abcd");
	CHECK_INT(seen.len[2], 2);
	CHECK_INT(seen.binary, 1);
	CHECK_INT(w.frames, 5);
	/* the ping was answered with a masked pong of the same payload */
	pump(&w, 50, NULL);
	server_read();
	CHECK(cinlen >= 8);
	h = unmask(cin, out, &len, &op);
	CHECK_INT(op, 10);
	CHECK_INT(len, 2);
	CHECK(memcmp(out, "pp", 2) == 0);
	cinlen = 0;
	(void)h;

	/* a message larger than the read buffer, trickled in pieces; a
	 * frame header split across reads */
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);
	n = server_frame(frame, 1, 1, big, sizeof big);
	server_write(&w, frame, 1);
	pump(&w, 20, NULL);
	server_write(&w, frame + 1, n - 1);
	nwant = 4;
	pump(&w, 3000, got_msgs);
	CHECK_INT(seen.nmsg, 4);
	CHECK_INT(seen.len[3], sizeof big);
	CHECK(seen.msg[3] && memcmp(seen.msg[3], big, sizeof big) == 0);

	/* sending: a masked text frame */
	CHECK_INT(wsc_send_text(&w, "{\"op\":\"subscribe\"}", 18), 0);
	pump(&w, 50, NULL);
	server_read();
	unmask(cin, out, &len, &op);
	CHECK_INT(op, 1);
	CHECK_INT(len, 18);
	CHECK(memcmp(out, "{\"op\":\"subscribe\"}", 18) == 0);
	cinlen = 0;

	/* the server closes: the client answers with the same code, and says why */
	n = server_frame(buf, 1, 8, "\x03\xe9" "bye", 5);
	server_write(&w, buf, n);
	pump(&w, 3000, closed);
	CHECK_INT(seen.closed, 1);
	CHECK_INT(seen.was_open, 1);
	CHECK(strstr(seen.why, "code 1001: bye"));
	CHECK_INT(w.state, WSC_IDLE);
	CHECK_INT(w.fd, -1);
	server_read();
	CHECK(cinlen >= 8);
	unmask(cin, out, &len, &op);
	CHECK_INT(op, 8);
	CHECK_INT(len, 2);
	CHECK(out[0] == 0x03 && out[1] == 0xe9);
	finish(&w);
}

static void
test_local_close(void)
{
	struct wsc w;
	unsigned char buf[64];
	size_t n;
	int op;
	unsigned char out[16];
	size_t len;

	/* we close: a close frame goes out, frames arriving after it are not
	 * delivered, and closed is called once */
	start(&w, "localhost"); /* a name: looked up asynchronously */
	n = server_frame(buf, 1, 1, "one", 3);
	n += server_frame(buf + n, 1, 1, "two", 3);
	server_answer("HTTP/1.1 101 Switching Protocols", NULL, 0);
	nwant = 1;
	pump(&w, 3000, got_msgs);
	CHECK_INT(seen.opened, 1);
	wsc_close(&w, "done here");
	CHECK_INT(seen.closed, 1);
	CHECK_STR(seen.why, "done here");
	CHECK_INT(seen.was_open, 1);
	CHECK(write(srv, buf, n) == (ssize_t)n);
	pump(&w, 50, NULL);
	CHECK_INT(seen.nmsg, 0);
	CHECK_INT(seen.closed, 1);
	usleep(20000);
	server_read();
	CHECK(cinlen >= 8);
	unmask(cin, out, &len, &op);
	CHECK_INT(op, 8); /* a close frame, code 1000 */
	CHECK(len == 2 && out[0] == 0x03 && out[1] == 0xe8);
	finish(&w);
}

static void
test_failures(void)
{
	struct wsc w;
	unsigned char buf[32];
	int port, fd;

	/* refused upgrade */
	start(&w, "127.0.0.1");
	server_answer("HTTP/1.1 429 Too Many Requests", NULL, 0);
	pump(&w, 3000, closed);
	CHECK_INT(seen.closed, 1);
	CHECK_INT(seen.was_open, 0);
	CHECK_INT(seen.opened, 0);
	CHECK(strstr(seen.why, "429"));
	finish(&w);

	/* a masked frame from the server is a protocol error */
	start(&w, "127.0.0.1");
	memcpy(buf, "\x81\x82\x01\x02\x03\x04xx", 8);
	server_answer("HTTP/1.1 101 Switching Protocols", buf, 8);
	pump(&w, 3000, closed);
	CHECK_INT(seen.opened, 1);
	CHECK(strstr(seen.why, "masked frame"));
	CHECK_INT(seen.nmsg, 0);
	finish(&w);

	/* the peer goes away */
	start(&w, "127.0.0.1");
	server_answer("HTTP/1.1 101 Switching Protocols", NULL, 0);
	pump(&w, 100, NULL);
	close(srv);
	srv = -1;
	pump(&w, 3000, closed);
	CHECK(strstr(seen.why, "closed by the peer"));
	CHECK_INT(seen.was_open, 1);
	finish(&w);

	/* nobody listens */
	CHECK((fd = listener(&port)) >= 0);
	close(fd);
	reset_seen();
	wsc_init(&w, &cbs);
	wsc_connect(&w, "127.0.0.1", port, 0, "/");
	pump(&w, 3000, closed);
	CHECK_INT(seen.closed, 1);
	CHECK(strstr(seen.why, "refused"));
	wsc_free(&w);
	reset_seen();
}

int
main(void)
{
	RUN(test_frame_parse);
	RUN(test_frame_build);
	RUN(test_accept);
	RUN(test_upgrade);
	RUN(test_conversation);
	RUN(test_local_close);
	RUN(test_failures);
	return DONE();
}
