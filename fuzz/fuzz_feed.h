/* fuzz_feed.h: the harness shared by fuzz_coinbase.c and fuzz_binance.c,
 * which define FUZZ_EX and the instruments before including it.
 *
 * The input is a session, one line at a time: a websocket message; or
 * "R BODY" (the oldest pending REST request answered 200 with BODY);
 * "E" (it answered 503); "D" (the connection dropped and came back).
 * Every symbol wants trades and book from the start. After each line:
 * every published message is a valid JSON object on a valid topic with
 * consecutive seqs; trade ids on a topic only go up; and a consumer that
 * applies the book topic's messages holds exactly the feed's book whenever
 * the feed says it is live (and no book otherwise), never crossed. */
#include <string.h>

#include "../cmd/ts-feed/ex.h"
#include "book.h"
#include "fuzz.h"
#include "log.h"
#include "topic.h"

#define NSYM (sizeof fuzz_syms / sizeof *fuzz_syms)

struct consumer {
	struct ts_book book;
	uint64_t seq_book, seq_trades;
	int64_t last_trade;
};

static struct consumer cons[NSYM];

struct pending {
	struct fsym *s;
	int kind;
};
static struct pending reqs[64];
static size_t nreq;
static struct feed F;

static size_t
sym_index(const char *sym)
{
	for (size_t i = 0; i < NSYM; i++)
		if (!strcmp(fuzz_syms[i][0], sym))
			return i;
	FUZZ_ASSERT(!"message for a symbol nobody wants");
	return 0;
}

static void
f_emit(void *ctx, const char *topic, const char *json, size_t n)
{
	struct ts_topic t;
	struct ts_jval v, typ;
	int64_t seq;

	(void)ctx;
	FUZZ_ASSERT(!ts_topic_parse(topic, &t, NULL));
	FUZZ_ASSERT(!ts_json_parse(json, n, &v, NULL) && v.type == TS_J_OBJ);
	FUZZ_ASSERT(!ts_json_get_i64(&v, "seq", &seq) && seq > 0);
	if (!strcmp(t.kind, "status"))
		return;
	FUZZ_ASSERT(!strcmp(t.ex, FUZZ_EX));
	struct consumer *c = &cons[sym_index(t.sym)];
	if (!strcmp(t.kind, "trades")) {
		char id[32];
		struct ts_dec px, qty;
		int64_t iid;
		FUZZ_ASSERT((uint64_t)seq == ++c->seq_trades);
		FUZZ_ASSERT(ts_json_get_str(&v, "id", id, sizeof id) > 0);
		FUZZ_ASSERT(!ts_json_get_i64(&v, "id", &iid));
		/* no duplicates: ids only go up */
		FUZZ_ASSERT(c->last_trade < 0 || iid > c->last_trade);
		c->last_trade = iid;
		FUZZ_ASSERT(!ts_json_get_dec(&v, "px", &px) && ts_dec_sign(px) > 0);
		FUZZ_ASSERT(!ts_json_get_dec(&v, "qty", &qty) && ts_dec_sign(qty) >= 0);
		FUZZ_ASSERT(!ts_json_get(&v, "side", &typ) &&
		    (ts_json_str_eq(&typ, "buy") || ts_json_str_eq(&typ, "sell")));
		return;
	}
	FUZZ_ASSERT(!strcmp(t.kind, "book"));
	FUZZ_ASSERT((uint64_t)seq == ++c->seq_book);
	FUZZ_ASSERT(ts_book_apply_msg(&c->book, &v) > 0);
	FUZZ_ASSERT(!ts_book_crossed(&c->book));
}

static void
f_send(void *ctx, const char *text, size_t n)
{
	struct ts_jval v;

	(void)ctx;
	FUZZ_ASSERT(!ts_json_parse(text, n, &v, NULL));
}

static void
f_rest(void *ctx, struct fsym *s, int kind, const char *path)
{
	(void)ctx;
	FUZZ_ASSERT(path[0] == '/');
	if (nreq < sizeof reqs / sizeof *reqs) {
		reqs[nreq].s = s;
		reqs[nreq++].kind = kind;
	}
}

static void
f_reconnect(void *ctx, const char *reason, int now)
{
	(void)ctx, (void)reason, (void)now;
}

static void
answer(long status, const char *body, size_t n)
{
	struct pending r;

	if (!nreq)
		return;
	r = reqs[0];
	memmove(reqs, reqs + 1, --nreq * sizeof *reqs);
	F.ex->on_rest(&F, r.s, r.kind, status, body, n);
}

static void
check_books(void)
{
	for (size_t i = 0; i < NSYM; i++) {
		struct fsym *s = feed_sym(&F, fuzz_syms[i][0]);
		FUZZ_ASSERT(s);
		if (s->bstate == BOOK_LIVE) {
			FUZZ_ASSERT(!ts_book_crossed(&s->book));
			FUZZ_ASSERT(ts_book_equal(&s->book, &cons[i].book));
		} else {
			FUZZ_ASSERT(cons[i].book.n[0] + cons[i].book.n[1] == 0);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed_ops ops = { NULL, f_emit, f_send, f_rest, f_reconnect };
	const char *p = (const char *)data, *end = p + size;
	int64_t rt = INT64_C(1700000000000000);

	ts_log_set_level(TS_LOG_ERROR);
	nreq = 0;
	for (size_t i = 0; i < NSYM; i++) {
		ts_book_clear(&cons[i].book);
		cons[i].seq_book = cons[i].seq_trades = 0;
		cons[i].last_trade = -1;
	}
	feed_init(&F, ex_find(FUZZ_EX), &ops);
	FUZZ_ASSERT(F.ex);
	for (size_t i = 0; i < NSYM; i++) {
		feed_instrument(&F, fuzz_syms[i][0], fuzz_syms[i][1]);
		FUZZ_ASSERT(!feed_want(&F, fuzz_syms[i][0], CH_TRADES | CH_BOOK, 1));
	}
	feed_connected(&F);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = malloc(n ? n : 1);

		memcpy(line, p, n);
		p += n + (nl != NULL);
		rt += 1000;
		if (n >= 2 && line[0] == 'R' && line[1] == ' ')
			answer(200, line + 2, n - 2);
		else if (n == 1 && line[0] == 'E')
			answer(503, "", 0);
		else if (n == 1 && line[0] == 'D') {
			feed_disconnected(&F, "fuzz");
			nreq = 0;
			feed_connected(&F);
		} else
			feed_message(&F, line, n, rt);
		free(line);
		check_books();
	}
	feed_free(&F);
	return 0;
}
