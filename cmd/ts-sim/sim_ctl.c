/* sim_ctl.c: ts-sim's control API: GET /_sim/book, trades, pause, resume, fault and stats */
#include <string.h>

#include "book.h"
#include "json.h"
#include "log.h"
#include "sim_core.h"

static void
json_error(struct sim_resp *r, int status, const char *msg)
{
	r->status = status;
	r->body.len = 0;
	SIM_PUTS(&r->body, "{\"error\":\"");
	sim_puts(&r->body, msg);
	SIM_PUTS(&r->body, "\"}");
}

/* ?exchange=&symbol= of the generated market, or an error answer and NULL. */
static struct sim_sym *
sym_arg(const char *q, struct sim_resp *r)
{
	char ex[32], sym[32];
	const struct sim_ex *x;
	struct sim_sym *s;

	if (!sim_query_get(q, "exchange", ex, sizeof ex) || !(x = sim_ex_find(ex)) ||
	    !sim_query_get(q, "symbol", sym, sizeof sym)) {
		json_error(r, 400, "exchange and symbol are required");
		return NULL;
	}
	if (!(s = sim_market_find(&sim_st.m, x, sym))) {
		json_error(r, 404, "unknown symbol");
		return NULL;
	}
	return s;
}

/* The same of a replay: what the recording has up to where the client
 * furthest on has been sent. */
static const struct sim_rsym *
rsym_arg(const char *q, struct sim_resp *r)
{
	char ex[32], sym[32];
	const struct sim_ex *x;
	const struct sim_rsym *s;

	if (!sim_query_get(q, "exchange", ex, sizeof ex) || !(x = sim_ex_find(ex)) ||
	    !sim_query_get(q, "symbol", sym, sizeof sym)) {
		json_error(r, 400, "exchange and symbol are required");
		return NULL;
	}
	if (x != sim_st.replay_ex || !(s = sim_rtruth_find(&sim_st.rt, sym))) {
		json_error(r, 404, "unknown symbol");
		return NULL;
	}
	return s;
}

static void
put_count(struct sim_buf *b, uint64_t n, int64_t first, int64_t last)
{
	SIM_PUTS(b, "{\"count\":");
	sim_put_u64(b, n);
	SIM_PUTS(b, ",\"first_id\":\"");
	if (n)
		sim_put_i64(b, first);
	SIM_PUTS(b, "\",\"last_id\":\"");
	if (n)
		sim_put_i64(b, last);
	SIM_PUTS(b, "\"}");
}

/* {"bids":[[px,qty],…],"asks":[…]}: the book a client must have. */
static void
ctl_book(const char *q, struct sim_resp *r)
{
	if (sim_st.replay_ex) {
		const struct sim_rsym *s = rsym_arg(q, r);
		struct ts_jw w = { 0 };
		if (!s)
			return;
		if (!s->have_book) {
			json_error(r, 404, "no book in the recording yet");
			return;
		}
		ts_jw_obj(&w);
		ts_book_write(&s->book, &w, 0);
		ts_jw_obj_end(&w);
		sim_put(&r->body, w.buf, w.len);
		ts_jw_free(&w);
	} else {
		struct sim_sym *s = sym_arg(q, r);
		if (s)
			sim_truth_book(&r->body, s);
	}
}

/* {"count":N,"first_id":"…","last_id":"…"}: the trades a client must have. */
static void
ctl_trades(const char *q, struct sim_resp *r)
{
	if (sim_st.replay_ex) {
		const struct sim_rsym *s = rsym_arg(q, r);
		if (s)
			put_count(&r->body, s->ntrades, s->first_id, s->last_id);
	} else {
		struct sim_sym *s = sym_arg(q, r);
		if (!s)
			return;
		put_count(&r->body, s->ntrades, (int64_t)s->first_trade_id,
		    (int64_t)s->next_trade_id - 1);
		if (sim_st.m.truth)
			fflush(sim_st.m.truth);
	}
}

static void
set_paused(int paused, struct sim_resp *r)
{
	sim_st.paused = paused;
	sim_st.budget = 0;
	if (sim_st.m.truth)
		fflush(sim_st.m.truth);
	sim_puts(&r->body, paused ? "{\"paused\":true}" : "{\"paused\":false}");
}

static void
ctl_pause(const char *q, struct sim_resp *r)
{
	(void)q;
	set_paused(1, r);
}

static void
ctl_resume(const char *q, struct sim_resp *r)
{
	(void)q;
	set_paused(0, r);
}

static void
ctl_fault(const char *q, struct sim_resp *r)
{
	char spec[80];
	const char *why;

	if (!sim_query_get(q, "spec", spec, sizeof spec))
		json_error(r, 400, "spec is required");
	else if (sim_fault_apply(spec, &why) < 0)
		json_error(r, 400, why);
	else
		SIM_PUTS(&r->body, "{\"ok\":true}");
}

static void
ctl_stats(const char *q, struct sim_resp *r)
{
	(void)q;
	SIM_PUTS(&r->body, "{\"connections\":");
	sim_put_i64(&r->body, sim_conns_open());
	SIM_PUTS(&r->body, ",\"messages\":");
	sim_put_u64(&r->body, sim_st.frames);
	SIM_PUTS(&r->body, ",\"events\":");
	sim_put_u64(&r->body, sim_st.m.events);
	SIM_PUTS(&r->body, ",\"trades\":");
	sim_put_u64(&r->body, sim_st.m.trades);
	SIM_PUTS(&r->body, ",\"pongs\":");
	sim_put_u64(&r->body, sim_st.pongs);
	SIM_PUTS(&r->body, ",\"faults\":");
	sim_put_u64(&r->body, sim_fault_count());
	SIM_PUTS(&r->body, ",\"bad_input\":");
	sim_put_u64(&r->body, sim_st.bad_in);
	SIM_PUTS(&r->body, ",\"refused\":");
	sim_put_u64(&r->body, sim_st.refused);
	sim_puts(&r->body, sim_st.paused ? ",\"paused\":true}" : ",\"paused\":false}");
}

static const struct {
	const char *path;
	void (*answer)(const char *query, struct sim_resp *r);
} routes[] = {
	{ "/_sim/book", ctl_book },
	{ "/_sim/trades", ctl_trades },
	{ "/_sim/pause", ctl_pause },
	{ "/_sim/resume", ctl_resume },
	{ "/_sim/fault", ctl_fault },
	{ "/_sim/stats", ctl_stats },
};

void
sim_ctl(const char *path, const char *query, struct sim_resp *r)
{
	r->status = 200;
	r->body.len = 0;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (!strcmp(path, routes[i].path)) {
			routes[i].answer(query, r);
			return;
		}
	json_error(r, 404, "no such endpoint");
}
