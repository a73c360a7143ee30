/* okx.c: ts-feed adapter for OKX v5 public: spot, perpetual swaps and dated
 * futures (books 400 levels with seqId chain and CRC32, trades, REST book
 * bootstrap and trade backfill)
 *
 * Sizes: a derivative's sizes are contracts; each is multiplied exactly
 * (ts_dec_mul) by its contract value, ctVal x ctMult in ctValCcy, which is
 * the base currency of a linear instrument and the quote currency of an
 * inverse one (DESIGN.md: sizes are never contracts). The checksum is over
 * the exchange's own text, so a derivative also keeps its book in contracts
 * (struct ok_sym's raw) beside the core's converted one.
 *
 * Books: a snapshot (prevSeqId -1) starts the chain; each update's
 * prevSeqId is the last seqId; prevSeqId == seqId with no levels is a
 * heartbeat; seqId < prevSeqId is the documented reset after maintenance,
 * which continues the chain. Anything else is a gap and resyncs that symbol
 * alone. A non-zero checksum is verified after every message; 0 means
 * absent (OKX's 2026 notice). When updates come without a snapshot (the
 * same notice), they are buffered and the book is bootstrapped from REST
 * /api/v5/market/books: updates with seqId <= the snapshot's are dropped,
 * the first applied must straddle it (prevSeqId <= snapshot < seqId). The
 * 2022 protocol (the shared recording) has no seqId: there the checksum is
 * the only check, and a resync subscribes the symbol's books again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ex.h"
#include "crc32.h"
#include "log.h"
#include "okx.h"
#include "tm.h"

/* Subscription arguments per message (OKX caps a request at 64 KB). */
#define SUB_BATCH 100

/* How the first update after a REST snapshot joins it: by sequence
 * (prevSeqId <= snapshot < seqId), or by time when the answer had no seqId. */
enum { BRIDGE_NONE, BRIDGE_SEQ, BRIDGE_TIME };

/* An instrument of the lists: its contract value (1 for spot). */
struct ok_inst {
	struct ts_dec ct;
	int deriv;
};

/* native -> struct ok_inst *: the lists outlive any one feed, and a feed
 * has no hook to free its adapter's table, so the table is the file's */
static struct ts_map insts;

struct ok_sym {
	int sub;           /* CH_ bits subscribed on this connection */
	int looked;        /* inst below was looked up */
	struct ok_inst inst;
	struct ts_book raw; /* a derivative's book in contracts, for the checksum */
	int has_seq;       /* this symbol's stream carries seqId */
	int bridge;        /* after a REST snapshot: how the next update joins it */
	int64_t snap_ts;   /* that snapshot's time */
	struct feed_evq q; /* updates buffered while syncing (their data objects) */
	struct feed_snapreq snap;
	int64_t count;     /* fills of the trade being handed to the core */
	int64_t bf_first, bf_last; /* the fills of the trade a backfill is for */
};

static int64_t
ms_to_us(int64_t ms)
{
	return ms > 0 && ms <= INT64_MAX / 1000 ? ms * 1000 : 0;
}

static struct ok_sym *
os(struct fsym *s)
{
	struct ok_sym *o = s->xd;

	if (!o)
		o = s->xd = ts_xcalloc(1, sizeof(struct ok_sym));
	if (!o->looked) {
		struct ts_map_entry *e = ts_map_get(&insts, s->native);
		o->looked = 1;
		o->inst.ct.m = 1;
		if (e)
			o->inst = *(struct ok_inst *)e->v.p;
	}
	return o;
}

static void
ok_free_sym(struct fsym *s)
{
	struct ok_sym *o = s->xd;

	if (!o)
		return;
	feed_evq_free(&o->q);
	ts_book_free(&o->raw);
	free(o);
	s->xd = NULL;
}

/* ---- checksum ---- */

int32_t
okx_checksum(const struct ts_book *b)
{
	char buf[OKX_CHECKSUM_LEVELS * 4 * (TS_DEC_STRLEN + 1)];
	struct ts_book_it bi = ts_book_iter(b, TS_BID), ai = ts_book_iter(b, TS_ASK);
	size_t n = 0;

	for (int i = 0; i < OKX_CHECKSUM_LEVELS; i++) {
		const struct ts_level *lv[2] = { ts_book_next(&bi), ts_book_next(&ai) };
		if (!lv[0] && !lv[1])
			break;
		for (int k = 0; k < 2; k++) {
			if (!lv[k])
				continue;
			if (n)
				buf[n++] = ':';
			n += ts_dec_fmt(lv[k]->px, buf + n, TS_DEC_STRLEN);
			buf[n++] = ':';
			n += ts_dec_fmt(lv[k]->qty, buf + n, TS_DEC_STRLEN);
		}
	}
	return (int32_t)ts_crc32(0, buf, n);
}

/* ---- instruments ---- */

int
okx_canonical(const char *inst_id, char *buf, size_t n)
{
	const char *a = strchr(inst_id, '-'), *b = a ? strchr(a + 1, '-') : NULL;
	int r;

	if (b && !strcmp(b + 1, "SWAP"))
		r = snprintf(buf, n, "%.*s-PERP", (int)(b - inst_id), inst_id);
	else
		r = snprintf(buf, n, "%s", inst_id);
	return r > 0 && (size_t)r < n && ts_sym_valid(buf) ? 0 : -1;
}

/* {"code":"0","data":[{"instType":"SWAP","instId":"BTC-USDT-SWAP",
 * "uly":"BTC-USDT","ctType":"linear","ctVal":"0.01","ctMult":"1",
 * "ctValCcy":"BTC","state":"live",…},…]}: one instType per list */
static int
ok_instruments(struct feed *f, const char *body, size_t n)
{
	struct ts_jval doc, data, p;
	struct ts_jiter it;
	char code[16];

	if (ts_json_parse(body, n, &doc, NULL) < 0 ||
	    ts_json_get_str(&doc, "code", code, sizeof code) < 0 || strcmp(code, "0") ||
	    ts_json_get(&doc, "data", &data) || data.type != TS_J_ARR)
		return -1;
	ts_json_iter(&it, &data);
	while (ts_json_next(&it, NULL, &p)) {
		char id[64], type[16], state[16], canon[TS_SYM_MAX], cty[16], ccy[32];
		struct ok_inst in = { { 1, 0 }, 0 };
		struct ts_dec val, mult;
		struct ts_map_entry *e;
		int created;

		if (ts_json_get_str(&p, "instId", id, sizeof id) <= 0 ||
		    ts_json_get_str(&p, "instType", type, sizeof type) <= 0 ||
		    okx_canonical(id, canon, sizeof canon) < 0)
			continue;
		if (ts_json_get_str(&p, "state", state, sizeof state) > 0 &&
		    strcmp(state, "live"))
			continue;
		if (!strcmp(type, "SWAP") || !strcmp(type, "FUTURES")) {
			const char *dash = strchr(canon, '-'), *quote = dash + 1;
			size_t qn = strcspn(quote, "-");
			int linear;
			if (ts_json_get_str(&p, "ctType", cty, sizeof cty) <= 0 ||
			    ts_json_get_dec(&p, "ctVal", &val) < 0 || val.m <= 0 ||
			    ts_json_get_str(&p, "ctValCcy", ccy, sizeof ccy) <= 0)
				continue;
			if (ts_json_get_dec(&p, "ctMult", &mult) < 0 || mult.m <= 0)
				mult = (struct ts_dec){ 1, 0 };
			linear = !strcmp(cty, "linear");
			if (!linear && strcmp(cty, "inverse"))
				continue;
			/* the unit of the sizes must be the base (linear) or the
			 * quote (inverse): anything else could not be compared */
			if (linear ? strlen(ccy) != (size_t)(dash - canon) ||
				memcmp(ccy, canon, strlen(ccy))
				   : strlen(ccy) != qn || memcmp(ccy, quote, qn))
				continue;
			if (ts_dec_mul(val, mult, &in.ct) < 0)
				continue;
			in.deriv = 1;
		} else if (strcmp(type, "SPOT")) {
			continue;
		}
		e = ts_map_put(&insts, id, &created);
		if (created)
			e->v.p = ts_xmalloc(sizeof in);
		*(struct ok_inst *)e->v.p = in;
		feed_instrument(f, canon, id);
	}
	/* every symbol already in use takes the list's value again */
	for (size_t i = 0; i < f->nsym; i++)
		if (f->symv[i]->xd)
			((struct ok_sym *)f->symv[i]->xd)->looked = 0;
	return 0;
}

/* ---- subscriptions ---- */

static void
ok_ws_path(struct feed *f, char *buf, size_t n)
{
	(void)f;
	snprintf(buf, n, "/ws/v5/public");
}

static const char *
chan_name(int ch)
{
	return ch == CH_BOOK ? "books" : "trades";
}

/* {"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"},…]}:
 * for every symbol the channels chs(s) gives, SUB_BATCH arguments a message */
static void
send_op(struct feed *f, const char *op, int (*chs)(struct fsym *, int), int arg)
{
	struct ts_jw w = { 0 };
	int count = 0;

	for (size_t i = 0; i <= f->nsym; i++) {
		int c = i < f->nsym ? chs(f->symv[i], arg) : 0;
		if ((i == f->nsym || count >= SUB_BATCH) && count) {
			ts_jw_arr_end(&w);
			ts_jw_obj_end(&w);
			f->ops.ws_send(f->ops.ctx, w.buf, w.len);
			count = 0;
		}
		if (!c)
			continue;
		for (int ch = CH_TRADES; ch <= CH_BOOK; ch <<= 1) {
			if (!(c & ch))
				continue;
			if (!count) {
				ts_jw_reset(&w);
				ts_jw_obj(&w);
				ts_jw_kstr(&w, "op", op);
				ts_jw_key(&w, "args");
				ts_jw_arr(&w);
			}
			ts_jw_obj(&w);
			ts_jw_kstr(&w, "channel", chan_name(ch));
			ts_jw_kstr(&w, "instId", f->symv[i]->native);
			ts_jw_obj_end(&w);
			count++;
		}
	}
	ts_jw_free(&w);
}

static int wanted(struct fsym *s, int arg) { (void)arg; return s->want; }

static struct fsym *only;
static int just(struct fsym *s, int ch) { return s == only ? ch : 0; }

static void
send_one(struct feed *f, const char *op, struct fsym *s, int ch)
{
	only = s;
	send_op(f, op, just, ch);
	only = NULL;
}

/* Forget a symbol's book: nothing buffered, no chain. */
static void
book_forget(struct fsym *s)
{
	struct ok_sym *o = os(s);

	feed_evq_clear(&o->q);
	ts_book_clear(&o->raw);
	o->bridge = 0;
}

static void
ok_on_connect(struct feed *f)
{
	for (size_t i = 0; i < f->nsym; i++) {
		struct fsym *s = f->symv[i];
		os(s)->sub = s->want;
		book_forget(s);
		os(s)->has_seq = 0;
	}
	send_op(f, "subscribe", wanted, 0);
}

static void
ok_on_disconnect(struct feed *f)
{
	for (size_t i = 0; i < f->nsym; i++) {
		os(f->symv[i])->sub = 0;
		book_forget(f->symv[i]);
	}
}

static void
ok_channel(struct feed *f, struct fsym *s, int ch, int on)
{
	struct ok_sym *o = os(s);

	send_one(f, on ? "subscribe" : "unsubscribe", s, ch);
	if (on)
		o->sub |= ch;
	else
		o->sub &= ~ch;
	if (ch == CH_BOOK) {
		book_forget(s);
		o->has_seq = 0;
	}
}

static void
request_snapshot(struct feed *f, struct fsym *s)
{
	char path[160];

	snprintf(path, sizeof path, "/api/v5/market/books?instId=%s&sz=%d", s->native,
	    OKX_DEPTH);
	feed_snap_get(f, s, &os(s)->snap, path);
}

/* A stream with seqId is bootstrapped from REST while its updates are
 * buffered, without a new subscription (OKX counts those: 480 an hour); one
 * without (2022) can only be subscribed again, for a new snapshot. */
static void
ok_book_resync(struct feed *f, struct fsym *s)
{
	struct ok_sym *o = os(s);

	book_forget(s);
	if (o->has_seq) {
		request_snapshot(f, s);
		return;
	}
	if (o->sub & CH_BOOK) {
		send_one(f, "unsubscribe", s, CH_BOOK);
		send_one(f, "subscribe", s, CH_BOOK);
	}
}

/* ---- books ---- */

/* One element of a books message's data (or of the REST answer's). */
struct bdata {
	struct ts_jval bids, asks;
	int64_t ts, seq, prev, checksum;
	int has_seq, has_prev, has_sum;
};

static int
read_bdata(const struct ts_jval *d, struct bdata *b)
{
	struct ts_jiter it;
	struct ts_jval k, v;
	int got = 0;

	memset(b, 0, sizeof *b);
	if (d->type != TS_J_OBJ)
		return -1;
	ts_json_iter(&it, d);
	while (ts_json_vnext(&it, &k, &v)) {
		if (TS_JSON_KEY_IS(&k, "bids") && !(got & 1)) {
			b->bids = v, got |= 1;
		} else if (TS_JSON_KEY_IS(&k, "asks") && !(got & 2)) {
			b->asks = v, got |= 2;
		} else if (TS_JSON_KEY_IS(&k, "ts") && !(got & 4)) {
			if (ts_json_i64(&v, &b->ts) < 0)
				return -1;
			got |= 4;
		} else if (TS_JSON_KEY_IS(&k, "seqId") && !b->has_seq) {
			if (ts_json_i64(&v, &b->seq) < 0)
				return -1;
			b->has_seq = 1;
		} else if (TS_JSON_KEY_IS(&k, "prevSeqId") && !b->has_prev) {
			if (ts_json_i64(&v, &b->prev) < 0)
				return -1;
			b->has_prev = 1;
		} else if (TS_JSON_KEY_IS(&k, "checksum") && !b->has_sum) {
			if (ts_json_i64(&v, &b->checksum) < 0)
				return -1;
			b->has_sum = 1;
		}
	}
	if ((got & 3) != 3 || b->bids.type != TS_J_ARR || b->asks.type != TS_J_ARR)
		return -1;
	b->ts = ms_to_us(b->ts);
	return 0;
}

/* Apply one side's [["px","sz","0","orders"],…]; -1 when malformed. */
static int
apply_side(struct feed *f, struct fsym *s, const struct ts_jval *arr, enum ts_side side)
{
	struct ok_sym *o = os(s);
	struct ts_jiter it, it2;
	struct ts_jval lv, px, sz;

	ts_json_iter(&it, arr);
	while (ts_json_vnext(&it, NULL, &lv)) {
		struct ts_dec dpx, dsz, qty;
		if (lv.type != TS_J_ARR)
			return -1;
		ts_json_iter(&it2, &lv);
		if (!ts_json_vnext(&it2, NULL, &px) || !ts_json_vnext(&it2, NULL, &sz) ||
		    ts_json_dec(&px, &dpx) || ts_json_dec(&sz, &dsz) || dpx.m <= 0 || dsz.m < 0)
			return -1;
		if (o->inst.deriv) {
			if (ts_dec_mul(dsz, o->inst.ct, &qty) < 0 ||
			    ts_book_set(&o->raw, side, dpx, dsz) < 0)
				return -1;
		} else {
			qty = dsz;
		}
		if (feed_level(f, s, side, dpx, qty) < 0)
			return -1;
	}
	return 0;
}

/* The checksum of what s's book now holds against b's: 0 when it agrees
 * or b has none (0: absent), -1 after starting a resync. */
static int
verify(struct feed *f, struct fsym *s, const struct bdata *b)
{
	struct ok_sym *o = os(s);
	int32_t mine;
	char detail[160];

	if (!b->has_sum || b->checksum == 0)
		return 0;
	mine = okx_checksum(o->inst.deriv ? &o->raw : &s->book);
	if (mine == (int32_t)b->checksum)
		return 0;
	snprintf(detail, sizeof detail, "%s: checksum %d, the book gives %d", s->sym,
	    (int)b->checksum, (int)mine);
	ts_warn_rl(&f->rl, "okx %s", detail);
	feed_status(f, NULL, "checksum_mismatch", detail);
	f->in_delta = 0;
	feed_book_resync(f, s, "checksum mismatch");
	return -1;
}

static void
gap(struct feed *f, struct fsym *s, const struct bdata *b)
{
	char detail[160];

	f->seq_gaps++;
	snprintf(detail, sizeof detail, "%s: update %lld after %lld, last applied %lld",
	    s->sym, (long long)b->seq, (long long)b->prev, (long long)s->book_id);
	ts_warn_rl(&f->rl, "okx gap in %s", detail);
	feed_status(f, NULL, "sequence_gap", detail);
	feed_book_resync(f, s, "sequence gap");
}

/* Where an update goes by its sequence, without side effects but on the
 * bridge: 1 apply, 0 skip (the snapshot has it), -1 a hole. */
static int
seq_step(struct ok_sym *o, struct fsym *s, const struct bdata *b)
{
	if (o->bridge == BRIDGE_TIME) {
		if (b->ts <= o->snap_ts)
			return 0;
		o->bridge = BRIDGE_NONE;
		return 1;
	}
	if (!b->has_seq)
		return 1; /* the 2022 protocol: the checksum alone guards it */
	if (!b->has_prev)
		return -1;
	if (o->bridge == BRIDGE_SEQ) {
		if (b->seq <= s->book_id)
			return 0;
		if (b->prev > s->book_id)
			return -1;
		o->bridge = BRIDGE_NONE;
		return 1;
	}
	/* prev == seq: a heartbeat (no levels); seq < prev: the reset after
	 * maintenance, which the next update continues */
	return b->prev == s->book_id ? 1 : -1;
}

/* A live update: chained, applied, checked, published. */
static int
apply_update(struct feed *f, struct fsym *s, const struct bdata *b, int64_t rt)
{
	int step = seq_step(os(s), s, b);

	if (step < 0)
		gap(f, s, b);
	if (step <= 0)
		return 0;
	if (b->has_seq)
		s->book_id = b->seq;
	feed_delta_begin(f, s);
	if (apply_side(f, s, &b->bids, TS_BID) < 0 || apply_side(f, s, &b->asks, TS_ASK) < 0) {
		f->in_delta = 0;
		feed_book_resync(f, s, "malformed update");
		return -1;
	}
	if (verify(f, s, b) < 0)
		return 0;
	feed_delta_end(f, s, b->ts ? b->ts : rt, rt);
	return 0;
}

/* A snapshot from the websocket (prevSeqId -1) or from REST (rest 1),
 * applied and verified but not published: 1, 0 after a checksum mismatch
 * (a resync started), -1 when malformed (the book is empty). */
static int
apply_snapshot(struct feed *f, struct fsym *s, const struct bdata *b, int rest)
{
	struct ok_sym *o = os(s);

	if (!rest)
		feed_evq_clear(&o->q);
	feed_snap_begin(f, s);
	ts_book_clear(&o->raw);
	if (apply_side(f, s, &b->bids, TS_BID) < 0 || apply_side(f, s, &b->asks, TS_ASK) < 0) {
		ts_book_clear(&s->book);
		return -1;
	}
	if (verify(f, s, b) < 0)
		return 0;
	s->book_id = b->has_seq ? b->seq : 0;
	o->snap_ts = b->ts;
	o->bridge = !rest ? BRIDGE_NONE : b->has_seq ? BRIDGE_SEQ : BRIDGE_TIME;
	if (!rest)
		o->has_seq = b->has_seq;
	return 1;
}

/* The REST answer: {"code":"0","data":[{"asks":[…],"bids":[…],"ts":"…",
 * "seqId":N}]}. The buffered updates are replayed over it; a hole between
 * it and them, or among them, asks for a newer one (the buffer is kept: what
 * a newer snapshot covers is skipped). An answer without seqId is joined by
 * time. */
static void
on_snapshot(struct feed *f, struct fsym *s, const char *body, size_t n, int64_t rt)
{
	struct ok_sym *o = os(s);
	struct ts_jval doc, data, d, ev;
	struct ts_jiter it;
	struct bdata b, u;
	char code[16];
	int64_t ts;

	if (ts_json_parse(body, n, &doc, NULL) < 0 ||
	    ts_json_get_str(&doc, "code", code, sizeof code) < 0 || strcmp(code, "0") ||
	    ts_json_get(&doc, "data", &data) || data.type != TS_J_ARR ||
	    (ts_json_iter(&it, &data), !ts_json_next(&it, NULL, &d)) || read_bdata(&d, &b) < 0) {
		feed_malformed(f, "book snapshot", body, n);
		request_snapshot(f, s);
		return;
	}
	if (apply_snapshot(f, s, &b, 1) <= 0) {
		if (s->bstate == BOOK_SYNCING && !o->snap.inflight)
			request_snapshot(f, s);
		return;
	}
	ts = b.ts ? b.ts : rt;
	for (size_t i = 0; i < o->q.nev; i++) {
		int step;
		if (ts_json_parse(o->q.ev[i], o->q.evn[i], &ev, NULL) < 0 || read_bdata(&ev, &u) < 0)
			continue;
		if ((step = seq_step(o, s, &u)) == 0)
			continue;
		if (step < 0) {
			ts_book_clear(&s->book);
			ts_book_clear(&o->raw);
			request_snapshot(f, s);
			return;
		}
		if (u.has_seq)
			s->book_id = u.seq;
		if (apply_side(f, s, &u.bids, TS_BID) < 0 || apply_side(f, s, &u.asks, TS_ASK) < 0) {
			ts_book_clear(&s->book);
			ts_book_clear(&o->raw);
			feed_evq_clear(&o->q);
			request_snapshot(f, s);
			return;
		}
		if (u.ts)
			ts = u.ts;
	}
	feed_evq_clear(&o->q);
	feed_snap_end(f, s, ts, rt);
}

/* data[]: one element per message in practice; each read alone. */
static int
on_books(struct feed *f, struct fsym *s, const struct ts_jval *action,
    const struct ts_jval *data, int64_t rt)
{
	struct ok_sym *o = os(s);
	struct ts_jiter it;
	struct ts_jval d;
	int snap, r = 0;

	if (ts_json_str_eq(action, "snapshot"))
		snap = 1;
	else if (ts_json_str_eq(action, "update"))
		snap = 0;
	else
		return -1;
	ts_json_iter(&it, data);
	while (ts_json_vnext(&it, NULL, &d)) {
		struct bdata b;
		if (read_bdata(&d, &b) < 0) {
			r = -1;
			continue;
		}
		if (snap) {
			int k = apply_snapshot(f, s, &b, 0);
			if (k < 0) {
				feed_book_resync(f, s, "malformed snapshot");
				r = -1;
			} else if (k > 0) {
				feed_snap_end(f, s, b.ts ? b.ts : rt, rt);
			}
			continue;
		}
		if (s->bstate == BOOK_SYNCING) {
			/* no snapshot (yet): the REST one, with the stream buffered;
			 * a stream without seqId can only wait for its snapshot */
			if (!b.has_seq)
				continue;
			o->has_seq = 1;
			feed_evq_push(&o->q, d.p, d.n);
			if (!o->snap.inflight)
				request_snapshot(f, s);
			continue;
		}
		if (s->bstate != BOOK_LIVE)
			continue;
		if (apply_update(f, s, &b, rt) < 0)
			r = -1;
	}
	return r;
}

/* ---- trades ---- */

/* One trade {"instId":…,"tradeId":"130639474","px":"42219.9",
 * "sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3"}: side is
 * the taker's; count the fills OKX aggregated into it (tradeId the last of
 * them, so the ids before it belong to it, not to a gap). */
static int
one_trade(struct feed *f, struct fsym *s, const struct ts_jval *t, int64_t rt, int backfill)
{
	struct ok_sym *o = os(s);
	struct ts_jval side, v;
	struct ts_dec px, sz, qty;
	int64_t id, ms, count = 1;
	char sd;

	if (ts_json_get_i64(t, "tradeId", &id) || ts_json_get_dec(t, "px", &px) ||
	    ts_json_get_dec(t, "sz", &sz) || ts_json_get(t, "side", &side) ||
	    px.m <= 0 || sz.m <= 0 || id < 0)
		return -1;
	if (ts_json_str_eq(&side, "buy"))
		sd = 'b';
	else if (ts_json_str_eq(&side, "sell"))
		sd = 's';
	else
		return -1;
	if (ts_json_get(t, "count", &v) == 0 && (ts_json_i64(&v, &count) < 0 || count < 1 ||
	    count > id + 1))
		return -1;
	if (ts_json_get_i64(t, "ts", &ms) < 0)
		ms = 0;
	qty = sz;
	if (o->inst.deriv && ts_dec_mul(sz, o->inst.ct, &qty) < 0)
		return -1;
	/* an aggregate that follows the last published trade is no gap */
	if (!backfill && count > 1 && s->last_id >= 0 && s->last_id == id - count &&
	    !s->backfilling)
		s->last_id = id - 1;
	o->count = count;
	ms = ms_to_us(ms);
	feed_trade(f, s, id, px, qty, sd, ms ? ms : rt, rt, backfill);
	o->count = 1;
	return 0;
}

static int
on_trades(struct feed *f, struct fsym *s, const struct ts_jval *data, int64_t rt)
{
	struct ts_jiter it;
	struct ts_jval t;
	int r = 0;

	ts_json_iter(&it, data);
	while (ts_json_next(&it, NULL, &t))
		if (t.type != TS_J_OBJ || one_trade(f, s, &t, rt, 0) < 0)
			r = -1;
	return r;
}

/* Trades after after_id up to before_id (the first fill of the trade that
 * showed the gap) from /api/v5/market/history-trades, paginated by id: the
 * 100 before it, newest first. A longer gap keeps its older part reported. */
static void
ok_backfill(struct feed *f, struct fsym *s, int64_t after_id, int64_t before_id)
{
	char path[200];

	struct ok_sym *o = os(s);

	(void)after_id;
	o->bf_last = before_id;
	o->bf_first = before_id - (o->count - 1);
	snprintf(path, sizeof path,
	    "/api/v5/market/history-trades?instId=%s&type=1&after=%lld&limit=100", s->native,
	    (long long)o->bf_first);
	f->ops.rest_get(f->ops.ctx, s, REST_BACKFILL, path);
}

struct idval {
	int64_t id;
	struct ts_jval v;
};

static int
by_id(const void *a, const void *b)
{
	const struct idval *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static void
on_backfill(struct feed *f, struct fsym *s, const char *body, size_t n, int64_t rt)
{
	struct ts_jval doc, data, t;
	struct ts_jiter it;
	struct idval *v = NULL;
	size_t nv = 0, cap = 0;
	char code[16];

	if (ts_json_parse(body, n, &doc, NULL) < 0 ||
	    ts_json_get_str(&doc, "code", code, sizeof code) < 0 || strcmp(code, "0") ||
	    ts_json_get(&doc, "data", &data) || data.type != TS_J_ARR) {
		feed_malformed(f, "trade history", body, n);
		feed_backfill_done(f, s);
		return;
	}
	ts_json_iter(&it, &data);
	while (ts_json_next(&it, NULL, &t)) {
		int64_t id;
		if (ts_json_get_i64(&t, "tradeId", &id) < 0) {
			feed_malformed(f, "historical trade", t.p, t.n);
			continue;
		}
		ts_xgrow((void **)&v, &cap, nv + 1, sizeof *v);
		v[nv].id = id;
		v[nv++].v = t;
	}
	qsort(v, nv, sizeof *v, by_id); /* newest first on the wire */
	for (size_t i = 0; i < nv; i++)
		if (one_trade(f, s, &v[i].v, rt, 1) < 0)
			feed_malformed(f, "historical trade", v[i].v.p, v[i].v.n);
	free(v);
	/* the held aggregate's own fills are no gap */
	if (s->last_id == os(s)->bf_first - 1)
		s->last_id = os(s)->bf_last - 1;
	feed_backfill_done(f, s);
}

static void
ok_on_rest(struct feed *f, struct fsym *s, int kind, long status, const char *body, size_t n)
{
	struct ok_sym *o = os(s);
	int64_t rt = ts_now_us();

	if (kind == REST_SNAPSHOT) {
		if (feed_snap_answer(f, s, &o->snap, status, request_snapshot))
			on_snapshot(f, s, body, n, rt);
	} else if (kind == REST_BACKFILL) {
		if (feed_backfill_answer(f, s, status))
			on_backfill(f, s, body, n, rt);
	}
}

/* ---- messages ---- */

/* {"event":"subscribe"|"unsubscribe"|"error"|"notice",…} */
static int
on_event(struct feed *f, const struct ts_jval *msg, const struct ts_jval *event)
{
	char text[200], code[16];

	if (ts_json_str_eq(event, "subscribe") || ts_json_str_eq(event, "unsubscribe"))
		return 0;
	if (ts_json_get_str(msg, "msg", text, sizeof text) < 0)
		snprintf(text, sizeof text, "(no msg)");
	if (ts_json_get_str(msg, "code", code, sizeof code) < 0)
		code[0] = '\0';
	if (ts_json_str_eq(event, "error")) {
		char detail[240];
		snprintf(detail, sizeof detail, "%s %s", code, text);
		ts_warn_rl(&f->rl, "okx reports an error: %s", detail);
		feed_status(f, NULL, "exchange_error", detail);
		return 0;
	}
	if (ts_json_str_eq(event, "notice")) {
		/* 64008: the connection closes soon for a service upgrade */
		ts_info("okx notice %s: %s; reconnecting", code, text);
		f->ops.reconnect(f->ops.ctx, "service upgrade notice", 1);
		return 0;
	}
	return FEED_IGNORED; /* login, channel-conn-count, …: not ours */
}

static int
ok_on_message(struct feed *f, const char *p, size_t n, int64_t rt)
{
	struct ts_jmember m[16];
	struct ts_jval msg, arg, ch, inst, action, data, ev;
	struct fsym *s;
	const char *ip;
	size_t nm, in;
	int got = 0, in_arg = 0;

	if (n == 4 && !memcmp(p, "pong", 4))
		return 0; /* the answer to our keepalive */
	if (ts_json_parse_obj(p, n, &msg, m, 16, 1, &nm, NULL) < 0 || msg.type != TS_J_OBJ)
		return -1;
	for (size_t i = 0; i < nm; i++) {
		const struct ts_jval *k = &m[i].key;
		if (m[i].depth == 0) {
			in_arg = 0;
			if (TS_JSON_KEY_IS(k, "arg") && !(got & 1))
				arg = m[i].val, got |= 1, in_arg = 1;
			else if (TS_JSON_KEY_IS(k, "data") && !(got & 2))
				data = m[i].val, got |= 2;
			else if (TS_JSON_KEY_IS(k, "action") && !(got & 4))
				action = m[i].val, got |= 4;
			else if (TS_JSON_KEY_IS(k, "event") && !(got & 8))
				ev = m[i].val, got |= 8;
		} else if (m[i].depth == 1 && in_arg) {
			if (TS_JSON_KEY_IS(k, "channel") && !(got & 16))
				ch = m[i].val, got |= 16;
			else if (TS_JSON_KEY_IS(k, "instId") && !(got & 32))
				inst = m[i].val, got |= 32;
		}
	}
	if (nm == 16) {
		/* more members than recorded: read the object itself */
		got = 0;
		if (ts_json_get(&msg, "arg", &arg) == 0)
			got |= 1;
		if (ts_json_get(&msg, "data", &data) == 0)
			got |= 2;
		if (ts_json_get(&msg, "action", &action) == 0)
			got |= 4;
		if (ts_json_get(&msg, "event", &ev) == 0)
			got |= 8;
		if ((got & 1) && ts_json_get(&arg, "channel", &ch) == 0)
			got |= 16;
		if ((got & 1) && ts_json_get(&arg, "instId", &inst) == 0)
			got |= 32;
	}
	if (got & 8)
		return on_event(f, &msg, &ev);
	if ((got & (1 | 2 | 16 | 32)) != (1 | 2 | 16 | 32) || arg.type != TS_J_OBJ ||
	    data.type != TS_J_ARR || !(ip = ts_json_str_raw(&inst, &in)))
		return -1;
	if (ts_json_str_eq(&ch, "books")) {
		if (!(got & 4))
			return -1;
		s = feed_sym_native(f, ip, in);
		if (!s || !(s->want & CH_BOOK))
			return FEED_IGNORED;
		return on_books(f, s, &action, &data, rt);
	}
	if (ts_json_str_eq(&ch, "trades")) {
		s = feed_sym_native(f, ip, in);
		if (!s || !(s->want & CH_TRADES))
			return FEED_IGNORED;
		return on_trades(f, s, &data, rt);
	}
	return FEED_IGNORED; /* tickers, …: not ours */
}

static struct ex_adapter okx = {
	.name = "okx",
	.ws_base = "wss://ws.okx.com:8443",
	.rest_base = "https://www.okx.com",
	.instruments_path = "/api/v5/public/instruments?instType=SPOT "
	    "/api/v5/public/instruments?instType=SWAP "
	    "/api/v5/public/instruments?instType=FUTURES",
	.ws_msgs_per_sec = 480.0 / 3600, /* subscribe/unsubscribe: 480 an hour */
	.ws_msgs_burst = 60,
	.ping_text = "ping",
	.ping_us = 20000000,       /* OKX closes a connection silent for 30 s */
	.watchdog_us = 30000000,
	.max_conn_us = 0,
	.instruments = ok_instruments,
	.ws_path = ok_ws_path,
	.on_connect = ok_on_connect,
	.channel = ok_channel,
	.on_message = ok_on_message,
	.book_resync = ok_book_resync,
	.backfill = ok_backfill,
	.on_rest = ok_on_rest,
	.on_disconnect = ok_on_disconnect,
	.free_sym = ok_free_sym,
};
EX_REGISTER(okx)
