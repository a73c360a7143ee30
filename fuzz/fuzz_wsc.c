/* fuzz_wsc.c: ts-feed's websocket client (cmd/ts-feed/wsc.c) on any byte
 * stream from a server. Input: byte 0 picks the start (even: the upgrade is
 * done and frames follow; odd: the server's answer to the upgrade comes
 * first, to be checked against the accept value for the key
 * "dGhlIHNhbXBsZSBub25jZQ=="), byte 1 the size of the pieces the rest is
 * read in. Oracles: what is delivered (messages, their kind, the reason of
 * the close) does not depend on how the stream was cut into reads; no
 * message is longer than the stream; nothing comes after the close, which
 * comes at most once. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "wsc.h"

struct seen {
	unsigned char log[1 << 16]; /* kinds, lengths and hashes of what came */
	size_t n;
	int closed, after_close, too_long;
	size_t input;
};

static void
note(struct seen *s, const void *p, size_t n)
{
	if (s->n + n <= sizeof s->log) {
		memcpy(s->log + s->n, p, n);
		s->n += n;
	}
}

static void
on_open(void *ctx)
{
	note(ctx, "O", 1);
}

static void
on_message(void *ctx, const char *p, size_t n, int binary)
{
	struct seen *s = ctx;
	uint64_t h = 1469598103934665603u;

	if (s->closed)
		s->after_close = 1;
	if (n > s->input)
		s->too_long = 1;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211u;
	note(s, binary ? "B" : "T", 1);
	note(s, &n, sizeof n);
	note(s, &h, sizeof h);
}

static void
on_closed(void *ctx, const char *why, int was_open)
{
	struct seen *s = ctx;

	s->closed++;
	note(s, "C", 1);
	note(s, &was_open, sizeof was_open);
	/* a failure to send (a pong) may say so differently; the rest is exact */
	if (strncmp(why, "cannot send", 11))
		note(s, why, strlen(why));
}

static void
run(const uint8_t *data, size_t size, size_t piece, struct seen *s)
{
	struct wsc_cb cb = { s, on_open, on_message, on_closed };
	struct wsc w;
	int sv[2];

	memset(s, 0, sizeof *s);
	s->input = size;
	wsc_init(&w, &cb);
	w.max_msg = 1 << 20;
	FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	w.fd = sv[0]; /* where pongs and close answers go */
	if (data[0] & 1) {
		w.state = WSC_UPGRADE;
		wsc_accept_for("dGhlIHNhbXBsZSBub25jZQ==", w.accept);
	} else {
		w.state = WSC_OPEN;
	}
	for (size_t off = 2; off < size && w.state != WSC_IDLE; off += piece) {
		char sink[4096];
		wsc_feed(&w, data + off, size - off < piece ? size - off : piece);
		while (read(sv[1], sink, sizeof sink) > 0)
			;
	}
	wsc_free(&w); /* closes sv[0] */
	close(sv[1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen whole, cut;

	if (size < 2)
		return 0;
	run(data, size, size, &whole);
	run(data, size, (size_t)data[1] % 97 + 1, &cut);
	FUZZ_ASSERT(!whole.after_close && !cut.after_close);
	FUZZ_ASSERT(!whole.too_long && !cut.too_long);
	FUZZ_ASSERT(whole.closed <= 1 && cut.closed <= 1);
	FUZZ_ASSERT(whole.n == cut.n && memcmp(whole.log, cut.log, whole.n) == 0);
	return 0;
}
