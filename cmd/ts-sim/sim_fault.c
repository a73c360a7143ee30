/* sim_fault.c: ts-sim's fault injection (--fault, /_sim/fault): the faults every exchange has, and each protocol's own */
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "log.h"
#include "sim_core.h"
#include "tm.h"

#define MAX_FAULTS 32

struct fault_at {
	lws_sorted_usec_list_t sul;
	char spec[64];
};

static struct {
	int skip[SIM_MAX_EX], repeat[SIM_MAX_EX]; /* book messages to lose or send twice */
	int rest429, rest500;   /* REST answers still to fail */
	int64_t snap_delay_us;  /* snapshot answers wait this long */
	int64_t stall_until, refuse_until; /* monotonic µs, 0 none */
	uint64_t faults;        /* applied */
	lws_sorted_usec_list_t stall_sul;
	struct fault_at fat[MAX_FAULTS];
	int nfat;
} F;

/* The faults every exchange has; a protocol adds its own (sim_ex.faults). */
static const struct {
	const char *name;
	int arg; /* 0 none, 1 =NUMBER */
} core_faults[] = {
	{ "drop", 0 }, { "skip", 0 }, { "repeat", 0 }, { "malformed", 0 },
	{ "snapshot-delay", 1 }, { "stall", 1 }, { "rest-429", 1 }, { "rest-500", 1 },
	{ "refuse", 1 },
};

/* Does fault `name` exist, and does it take a number? -1 unknown. */
static int
fault_arg(const char *name)
{
	for (size_t i = 0; i < sizeof core_faults / sizeof core_faults[0]; i++)
		if (!strcmp(name, core_faults[i].name))
			return core_faults[i].arg;
	for (const struct sim_ex *x = sim_ex_first(); x; x = x->next)
		for (const struct sim_fault_def *d = x->faults; d && d->name; d++)
			if (!strcmp(name, d->name))
				return d->arg;
	return -1;
}

int
sim_fault_parse(const char *spec, char *name, double *arg, const char **why)
{
	const char *eq = strchr(spec, '=');
	size_t nl = eq ? (size_t)(eq - spec) : strlen(spec);
	int takes;

	*arg = 0;
	if (nl >= 32) {
		*why = "unknown fault";
		return -1;
	}
	memcpy(name, spec, nl);
	name[nl] = '\0';
	if (!strcmp(name, "cross")) { /* cross=SYMBOL: a name, not a number */
		if (!eq || !eq[1] || strlen(eq + 1) >= 24) {
			*why = "needs =SYMBOL";
			return -1;
		}
		return 0;
	}
	if (eq) {
		char *end;
		*arg = strtod(eq + 1, &end);
		if (end == eq + 1 || *end || !(*arg >= 0) || *arg > 86400) {
			*why = "bad number";
			return -1;
		}
	}
	if ((takes = fault_arg(name)) < 0) {
		*why = "unknown fault";
		return -1;
	}
	if (!takes && eq) {
		*why = "takes no value";
		return -1;
	}
	if (takes && !eq) {
		*why = "needs =NUMBER";
		return -1;
	}
	return 0;
}

/* cross=SYMBOL: one book update that puts a bid at the best ask of SYMBOL
 * (canonical or native, on each exchange that has it), sent to the clients
 * streaming its book, so that their book is crossed and must be resynced.
 * The simulator's own book is not changed: it stays the truth a resynced
 * client must equal. The update takes the next update id, so a Binance
 * U/u chain stays whole. Returns 0, or -1 with *why. */
static int
fault_cross(const char *sym, const char **why)
{
	int found = 0;

	if (sim_st.replay_ex) {
		*why = "cannot cross a book when replaying";
		return -1;
	}
	for (const struct sim_ex *x = sim_ex_first(); x; x = x->next) {
		struct sim_sym *s = sim_market_find(&sim_st.m, x, sym);
		struct sim_event ev;
		int fmt = 0;

		if (!s)
			continue;
		found = 1;
		if (s->n[0] == 0 || s->n[1] == 0)
			continue;
		memset(&ev, 0, sizeof ev);
		ev.s = s;
		ev.ts_us = ts_now_us();
		ev.nchg = 1;
		ev.chg[0].side = 0;
		ev.chg[0].px = s->lv[1][0].px;  /* a bid at the best ask */
		ev.chg[0].qty = s->lv[0][0].qty;
		for (struct sim_conn *c = sim_conn_next(x, NULL); c; c = sim_conn_next(x, c)) {
			if (c->replaying || !(c->sub[s->idx] & SIM_SUB_BOOK))
				continue;
			if (!fmt)
				ev.first_uid = ev.last_uid = ++s->update_id;
			x->send_book(c, &ev, !fmt++, SIM_COPIES_ONE);
		}
		if (!fmt)
			ts_warn("fault 'cross=%s': no %s client streams its book", sym, x->name);
	}
	if (!found) {
		*why = "unknown symbol";
		return -1;
	}
	return 0;
}

static void
on_stall_end(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	F.stall_until = 0;
	ts_info("stall over");
	sim_conns_kick();
}

int
sim_fault_apply(const char *spec, const char **why)
{
	char name[32];
	double arg;

	if (sim_fault_parse(spec, name, &arg, why) < 0)
		return -1;
	if (!strcmp(name, "cross") && fault_cross(strchr(spec, '=') + 1, why) < 0)
		return -1;
	F.faults++;
	ts_info("fault '%s'", spec);
	if (!strcmp(name, "drop")) {
		sim_conns_drop();
	} else if (!strcmp(name, "skip") || !strcmp(name, "repeat")) {
		/* only where a book is streamed, or it would hit a later client */
		int any = 0;
		for (const struct sim_ex *x = sim_ex_first(); x; x = x->next)
			if (sim_book_streamed(x) || sim_st.replay_ex == x) {
				(name[0] == 's' ? F.skip : F.repeat)[x->id]++;
				any = 1;
			}
		if (!any)
			ts_warn("fault '%s': no client streams a book; nothing to %s", spec, name);
	} else if (!strcmp(name, "malformed")) {
		for (const struct sim_ex *x = sim_ex_first(); x; x = x->next)
			for (struct sim_conn *c = sim_conn_next(x, NULL); c && x->malformed;
			    c = sim_conn_next(x, c))
				sim_send(c, x->malformed, strlen(x->malformed));
	} else if (!strcmp(name, "snapshot-delay")) {
		F.snap_delay_us = (int64_t)(arg * 1e6);
	} else if (!strcmp(name, "stall")) {
		F.stall_until = ts_mono_us() + (int64_t)(arg * 1e6);
		/* stall=0 ends a stall at once */
		lws_sul_schedule(sim_st.ctx, 0, &F.stall_sul, on_stall_end, (lws_usec_t)(arg * 1e6) + 1);
	} else if (!strcmp(name, "rest-429")) {
		F.rest429 = (int)arg;
	} else if (!strcmp(name, "rest-500")) {
		F.rest500 = (int)arg;
	} else if (!strcmp(name, "refuse")) {
		F.refuse_until = ts_mono_us() + (int64_t)(arg * 1e6);
	} else {
		for (const struct sim_ex *x = sim_ex_first(); x; x = x->next)
			for (const struct sim_fault_def *d = x->faults; d && d->name; d++)
				if (!strcmp(name, d->name))
					d->apply(arg);
	}
	return 0;
}

static void
on_fault_timer(lws_sorted_usec_list_t *sul)
{
	struct fault_at *f = lws_container_of(sul, struct fault_at, sul);
	const char *why;

	if (sim_fault_apply(f->spec, &why) < 0)
		ts_warn("bad fault '%s': %s", f->spec, why);
}

void
sim_fault_schedule(const char *arg)
{
	const char *at = strchr(arg, '@'), *why;
	struct fault_at *f;
	size_t n = at ? (size_t)(at - arg) : strlen(arg);

	if (F.nfat >= MAX_FAULTS)
		ts_die(TS_EXIT_USAGE, "too many --fault options");
	if (n >= sizeof f->spec)
		ts_die(TS_EXIT_USAGE, "bad --fault '%s': too long", arg);
	f = &F.fat[F.nfat++];
	memcpy(f->spec, arg, n);
	f->spec[n] = '\0';
	if (at)
		lws_sul_schedule(sim_st.ctx, 0, &f->sul, on_fault_timer,
		    (lws_usec_t)(strtod(at + 1, NULL) * 1e6));
	else if (sim_fault_apply(f->spec, &why) < 0)
		ts_die(TS_EXIT_USAGE, "bad --fault '%s': %s", arg, why);
}

int
sim_fault_book(const struct sim_ex *x)
{
	if (F.skip[x->id]) {
		F.skip[x->id]--;
		return SIM_COPIES_LOST;
	}
	if (F.repeat[x->id]) {
		F.repeat[x->id]--;
		return SIM_COPIES_TWICE;
	}
	return SIM_COPIES_ONE;
}

int
sim_fault_stalled(void)
{
	return F.stall_until && ts_mono_us() < F.stall_until;
}

int
sim_fault_refusing(void)
{
	return F.refuse_until && ts_mono_us() < F.refuse_until;
}

int
sim_fault_rest(const char *path, struct sim_resp *r)
{
	const struct sim_ex *x;

	if (F.rest429 <= 0 && F.rest500 <= 0)
		return 0;
	x = sim_rest_owner(path);
	r->body.len = 0;
	if (F.rest429 > 0) {
		F.rest429--;
		r->status = 429;
		r->retry_after = 1;
	} else {
		F.rest500--;
		r->status = 500;
	}
	if (x)
		x->rest_error(r, r->status);
	else if (r->status == 429)
		SIM_PUTS(&r->body, "{\"error\":\"RATE_LIMIT_EXCEEDED\",\"message\":\"Too many requests\"}");
	else
		SIM_PUTS(&r->body, "{\"error\":\"INTERNAL\",\"message\":\"internal error\"}");
	return 1;
}

int64_t
sim_fault_snapshot_delay(void)
{
	return F.snap_delay_us;
}

uint64_t
sim_fault_count(void)
{
	return F.faults;
}
