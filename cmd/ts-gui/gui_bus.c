/* gui_bus.c: ts-gui's bus: one SUB socket in the GLib main loop, shared streams, status */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <zmq.h>

#include "bus.h"
#include "gui.h"
#include "json.h"
#include "log.h"
#include "msg.h"
#include "tm.h"

#define DRAIN_BUDGET_US 8000 /* then yield to drawing and input, and go on in an idle */
#define DRAIN_PERIOD_MS 8     /* at most one wake-up by the bus this often */

static struct ts_ratelimit bad_rl = TS_RATELIMIT_INIT(1, 5);
static guint idle_id, sub_src, mon_src, tick_src, resume_id;
static GPtrArray *dirty; /* streams changed during this drain */

const char *const gui_builtin_markets[] = {
	"coinbase BTC-USD", "coinbase ETH-USD", "coinbase SOL-USD", "coinbase XRP-USD",
	"coinbase DOGE-USD", "coinbase ADA-USD", "coinbase LTC-USD", "coinbase AVAX-USD",
	"coinbase LINK-USD", "coinbase ETH-BTC", "coinbase BTC-USDT", "coinbase USDT-USD",
	"binance BTC-USDT", "binance ETH-USDT", "binance SOL-USDT", "binance BNB-USDT",
	"binance XRP-USDT", "binance DOGE-USDT", "binance ADA-USDT", "binance LTC-USDT",
	"binance AVAX-USDT", "binance LINK-USDT", "binance ETH-BTC", "binance BTC-FDUSD",
	NULL,
};

void
gui_bus_note_market(const char *ex, const char *sym)
{
	char key[100];

	if (!ts_ex_valid(ex) || !ts_sym_valid(sym))
		return;
	snprintf(key, sizeof key, "%s %s", ex, sym);
	for (guint i = 0; i < G.markets->len; i++)
		if (!strcmp(g_ptr_array_index(G.markets, i), key))
			return;
	g_ptr_array_add(G.markets, g_strdup(key));
}

/* ---- streams ---- */

struct gui_stream *
gui_stream_ref(const char *topic, enum gui_stream_kind kind, struct gui_view *v)
{
	int created;
	struct ts_map_entry *e = ts_map_put(&G.streams, topic, &created);
	struct gui_stream *s;

	if (created) {
		s = ts_xcalloc(1, sizeof *s);
		snprintf(s->topic, sizeof s->topic, "%s", topic);
		s->kind = kind;
		s->views = g_ptr_array_new();
		s->changed_from = SIZE_MAX;
		e->v.p = s;
		if (G.sub && ts_bus_subscribe(G.sub, topic) < 0)
			ts_warn("cannot subscribe to '%s'", topic);
	}
	s = e->v.p;
	s->refs++;
	g_ptr_array_add(s->views, v);
	return s;
}

void
gui_stream_unref(struct gui_stream **sp, struct gui_view *v)
{
	struct gui_stream *s = *sp;

	if (!s)
		return;
	*sp = NULL;
	g_ptr_array_remove(s->views, v);
	if (--s->refs > 0)
		return;
	if (G.sub)
		ts_bus_unsubscribe(G.sub, s->topic);
	if (dirty)
		g_ptr_array_remove(dirty, s);
	ts_map_del(&G.streams, s->topic);
	ts_book_free(&s->book);
	free(s->c);
	g_ptr_array_free(s->views, TRUE);
	free(s);
}

double
gui_stream_tps(const struct gui_stream *s)
{
	int64_t now = ts_now_us() / TS_US_PER_SEC;
	uint64_t sum = 0;

	/* the full seconds before the current one */
	for (int i = 0; i < GUI_TPS_SECS; i++)
		if (s->tps_sec[i] < now && s->tps_sec[i] >= now - GUI_TPS_SECS)
			sum += s->tps_cnt[i];
	return (double)sum / GUI_TPS_SECS;
}

static int
jnum(const struct ts_jval *o, const char *key, double *out)
{
	struct ts_jval v;
	struct ts_dec d;

	if (ts_json_get(o, key, &v))
		return -1;
	if (v.type == TS_J_NUM)
		return ts_json_double(&v, out);
	if (v.type == TS_J_STR && !ts_json_dec(&v, &d)) {
		*out = ts_dec_to_double(d);
		return 0;
	}
	return -1;
}

static int
parse_candle(const struct ts_jval *o, struct gui_candle *c)
{
	double t, n = 0;
	struct ts_jval cl;

	if (o->type != TS_J_OBJ || jnum(o, "t", &t) || jnum(o, "o", &c->o) ||
	    jnum(o, "h", &c->h) || jnum(o, "l", &c->l) || jnum(o, "c", &c->c) ||
	    jnum(o, "v", &c->v))
		return -1;
	if (!isfinite(c->o) || !isfinite(c->h) || !isfinite(c->l) || !isfinite(c->c) ||
	    c->h < c->l || !(t > 0))
		return -1;
	c->t = (int64_t)t;
	if (jnum(o, "bv", &c->bv))
		c->bv = 0;
	jnum(o, "n", &n);
	c->n = (int64_t)n;
	c->closed = 0;
	if (!ts_json_get(o, "closed", &cl))
		ts_json_bool(&cl, &c->closed);
	return 0;
}

/* Insert or replace one candle, keeping the array sorted by t. */
static void
candle_put(struct gui_stream *s, const struct gui_candle *c)
{
	size_t lo = 0, hi = s->nc;

	if (s->nc && s->c[s->nc - 1].t < c->t)
		lo = hi = s->nc; /* the usual case: a new candle at the end */
	else if (s->nc && s->c[s->nc - 1].t == c->t)
		lo = s->nc - 1, hi = s->nc - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->c[mid].t < c->t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nc && s->c[lo].t == c->t) {
		s->c[lo] = *c;
	} else {
		if (s->nc == GUI_MAX_CANDLES) { /* drop the oldest */
			if (lo == 0)
				return;
			memmove(s->c, s->c + 1, (s->nc - 1) * sizeof *s->c);
			s->nc--;
			lo--;
			s->changed_from = 0;
		}
		ts_xgrow((void **)&s->c, &s->capc, s->nc + 1, sizeof *s->c);
		memmove(s->c + lo + 1, s->c + lo, (s->nc - lo) * sizeof *s->c);
		s->c[lo] = *c;
		s->nc++;
	}
	if (lo < s->changed_from)
		s->changed_from = lo;
}

static int
on_candles(struct gui_stream *s, const struct ts_jval *o)
{
	struct ts_jval type, arr, el;
	struct ts_jiter it;
	struct gui_candle c;
	int bad = 0;

	if (!ts_json_get(o, "type", &type) && ts_json_str_eq(&type, "history")) {
		if (ts_json_get(o, "candles", &arr) || arr.type != TS_J_ARR)
			return -1;
		/* a history batch replaces what came before it: it is what the
		 * producer holds now, live candles follow it */
		s->nc = 0;
		s->changed_from = 0;
		ts_json_iter(&it, &arr);
		while (ts_json_next(&it, NULL, &el))
			if (parse_candle(&el, &c) == 0)
				candle_put(s, &c);
			else
				bad++;
		s->history_batches++;
		if (bad)
			ts_warn_rl(&bad_rl, "'%s': %d malformed candles in a history batch skipped",
			    s->topic, bad);
		return 0;
	}
	if (parse_candle(o, &c) < 0)
		return -1;
	candle_put(s, &c);
	return 0;
}

static int
on_book(struct gui_stream *s, const struct ts_jval *o)
{
	int t = ts_book_apply_msg(&s->book, o);

	switch (t) {
	case TS_BOOK_SNAPSHOT:
		s->snapshots++;
		s->book_state = GUI_BOOK_LIVE;
		break;
	case TS_BOOK_DELTA:
		if (s->book_state == GUI_BOOK_WAITING && s->book.n[0] + s->book.n[1] > 0)
			s->book_state = GUI_BOOK_LIVE;
		break;
	case TS_BOOK_RESET:
		s->resets++;
		s->book_state = GUI_BOOK_RESYNC;
		break;
	default:
		/* the book may now be wrong: show it as resyncing and ask for a
		 * fresh snapshot by subscribing again */
		s->book_state = GUI_BOOK_RESYNC;
		if (G.sub) {
			ts_bus_unsubscribe(G.sub, s->topic);
			ts_bus_subscribe(G.sub, s->topic);
		}
		return -1;
	}
	return 0;
}

static int
on_trade(struct gui_stream *s, const struct ts_jval *o)
{
	struct gui_trade t;
	double ts;
	char side[8];
	int64_t sec;
	int b;

	if (jnum(o, "px", &t.px) || jnum(o, "qty", &t.qty) || !(t.px > 0) || !(t.qty >= 0) ||
	    ts_json_get_str(o, "side", side, sizeof side) < 0)
		return -1;
	if (!strcmp(side, "sell"))
		t.sell = 1;
	else if (!strcmp(side, "buy"))
		t.sell = 0;
	else
		return -1;
	if (jnum(o, "ts", &ts) || !(ts > 0))
		ts = (double)ts_now_us();
	t.ts = (int64_t)ts;
	s->tr[s->trhead] = t;
	s->trhead = (s->trhead + 1) % GUI_TRADE_RING;
	if (s->ntr < GUI_TRADE_RING)
		s->ntr++;
	s->ntrades++;
	sec = ts_now_us() / TS_US_PER_SEC; /* arrival time: an exchange clock may be off */
	b = (int)(sec % GUI_TPS_SECS);
	if (s->tps_sec[b] != sec) {
		s->tps_sec[b] = sec;
		s->tps_cnt[b] = 0;
	}
	s->tps_cnt[b]++;
	return 0;
}

static int
on_alert(struct gui_stream *s, const char *topic, const struct ts_jval *o)
{
	struct gui_alert *a = &s->al[s->alhead];
	char rule[64] = "?", cond[64] = "", ex[48] = "", sym[48] = "";
	struct ts_jval v;
	double ts = 0;
	char val[48] = "", thr[48] = "";

	if (o->type != TS_J_OBJ)
		return -1;
	if (!ts_json_get(o, "rule", &v)) {
		if (v.type == TS_J_STR)
			ts_json_str(&v, rule, sizeof rule);
		else
			snprintf(rule, sizeof rule, "%.*s", (int)(v.n < 60 ? v.n : 60), v.p);
	}
	ts_json_get_str(o, "cond", cond, sizeof cond);
	ts_json_get_str(o, "ex", ex, sizeof ex);
	ts_json_get_str(o, "sym", sym, sizeof sym);
	if (!ts_json_get(o, "value", &v))
		snprintf(val, sizeof val, "%.*s", (int)(v.n < 40 ? v.n : 40), v.p);
	if (!ts_json_get(o, "threshold", &v))
		snprintf(thr, sizeof thr, "%.*s", (int)(v.n < 40 ? v.n : 40), v.p);
	if (!*ex) {
		struct ts_topic tp;
		if (ts_topic_parse(topic, &tp, NULL) == 0) {
			snprintf(ex, sizeof ex, "%s", tp.ex);
			snprintf(sym, sizeof sym, "%s", tp.sym);
		}
	}
	jnum(o, "ts", &ts);
	a->ts = ts > 0 ? (int64_t)ts : ts_now_us();
	snprintf(a->text, sizeof a->text, "%s %s  rule %s: %s  value %s  threshold %s",
	    ex, sym, rule, cond, val, thr);
	s->alhead = (s->alhead + 1) % GUI_ALERT_RING;
	if (s->nal < GUI_ALERT_RING)
		s->nal++;
	return 0;
}

static void
on_status(const char *topic, const char *data, size_t len)
{
	int created;
	struct ts_map_entry *e = ts_map_put(&G.status, topic, &created);
	struct ts_jval o, syms, el;
	struct ts_jiter it;
	char ex[48], sym[48];

	g_free(e->v.p);
	e->v.p = g_strndup(data, len);
	/* a feed's status may list its symbols: offer them in the market dialog */
	if (!strncmp(topic, "status/feed/", 12) && !ts_json_parse(data, len, &o, NULL) &&
	    !ts_json_get(&o, "symbols", &syms) &&
	    (syms.type == TS_J_ARR || syms.type == TS_J_OBJ)) {
		struct ts_jval key;
		snprintf(ex, sizeof ex, "%.47s", topic + 12);
		ts_json_iter(&it, &syms);
		while (ts_json_next(&it, &key, &el))
			if (ts_json_str(syms.type == TS_J_OBJ ? &key : &el, sym, sizeof sym) > 0)
				gui_bus_note_market(ex, sym);
	}
}

static void
mark_dirty(struct gui_stream *s)
{
	if (!s->dirty) {
		s->dirty = 1;
		g_ptr_array_add(dirty, s);
	}
}

static void
check_seq(struct gui_stream *s, const char *data, size_t len)
{
	uint64_t seq;

	if (ts_msg_seq(data, len, &seq) != 0)
		return;
	if (s->last_seq && seq > s->last_seq + 1 && seq != 1) {
		s->gaps++;
		ts_warn_rl(&bad_rl, "gap in '%s': %llu messages missing before seq %llu",
		    s->topic, (unsigned long long)(seq - s->last_seq - 1),
		    (unsigned long long)seq);
		if (s->kind == GUI_ST_BOOK && s->book_state == GUI_BOOK_LIVE) {
			s->book_state = GUI_BOOK_RESYNC;
			ts_bus_unsubscribe(G.sub, s->topic);
			ts_bus_subscribe(G.sub, s->topic);
		}
	}
	s->last_seq = seq;
}

static void
dispatch(struct ts_msg *m)
{
	struct ts_map_entry *e;
	struct gui_stream *s = NULL;
	struct ts_jval o;
	struct ts_topic tp;
	int rc = 0;

	G.nmsg++;
	if (!strncmp(m->topic, "status/", 7)) {
		on_status(m->topic, m->data, m->len);
		return;
	}
	if ((e = ts_map_get(&G.streams, m->topic)))
		s = e->v.p;
	else if (!strncmp(m->topic, "alerts/", 7) && (e = ts_map_get(&G.streams, "alerts/")))
		s = e->v.p;
	if (!s)
		return; /* a prefix match of another topic (BTC-USDT for BTC-USD) */
	if (ts_json_parse(m->data, m->len, &o, NULL) < 0 || o.type != TS_J_OBJ) {
		G.nbad++;
		s->bad++;
		ts_warn_rl(&bad_rl, "'%s': message is not a JSON object, skipped", m->topic);
		return;
	}
	if (s->kind != GUI_ST_ALERTS)
		check_seq(s, m->data, m->len);
	switch (s->kind) {
	case GUI_ST_CANDLES: rc = on_candles(s, &o); break;
	case GUI_ST_BOOK: rc = on_book(s, &o); break;
	case GUI_ST_TRADES: rc = on_trade(s, &o); break;
	case GUI_ST_ALERTS: rc = on_alert(s, m->topic, &o); break;
	case GUI_ST_STATUS: break;
	}
	if (rc < 0) {
		G.nbad++;
		s->bad++;
		ts_warn_rl(&bad_rl, "'%s': malformed message skipped: %.*s", m->topic,
		    (int)(m->len < 120 ? m->len : 120), m->data);
		return;
	}
	s->nmsg++;
	s->last_rx_mono = ts_mono_us();
	if (!s->first_data_mono)
		s->first_data_mono = s->last_rx_mono;
	if (ts_topic_parse(m->topic, &tp, NULL) == 0 && s->kind != GUI_ST_ALERTS)
		gui_bus_note_market(tp.ex, tp.sym);
	mark_dirty(s);
}

/* Tell each view of the streams that changed during the drain: one call per
 * stream per drain, so a burst of book deltas costs one redraw. */
static void
flush_dirty(void)
{
	for (guint i = 0; i < dirty->len; i++) {
		struct gui_stream *s = g_ptr_array_index(dirty, i);
		s->dirty = 0;
		for (guint j = 0; j < s->views->len; j++) {
			struct gui_view *v = g_ptr_array_index(s->views, j);
			v->ops->data(v, s);
		}
		s->changed_from = SIZE_MAX;
	}
	g_ptr_array_set_size(dirty, 0);
}

static gboolean drain(gpointer unused);

static gboolean
drain_idle(gpointer unused)
{
	idle_id = 0;
	return drain(unused);
}

/* ZMQ_FD is edge-triggered: read until ZMQ_EVENTS has no POLLIN, or stop at
 * the time budget and continue from an idle callback. Messages are read
 * until EAGAIN first; ZMQ_EVENTS, which rearms the fd, is asked only then. */
static gboolean
drain(gpointer unused)
{
	int64_t t0 = ts_mono_us();
	struct ts_msg m;
	int events, n = 0;
	size_t len = sizeof events;

	(void)unused;
	for (;;) {
		if (ts_msg_recv(G.sub, &m, ZMQ_DONTWAIT) < 0) {
			if (errno == EPROTO)
				continue;
			len = sizeof events;
			if (zmq_getsockopt(G.sub, ZMQ_EVENTS, &events, &len) < 0 ||
			    !(events & ZMQ_POLLIN))
				break;
			continue;
		}
		dispatch(&m);
		ts_msg_close(&m);
		if ((++n & 63) == 0 && ts_mono_us() - t0 > DRAIN_BUDGET_US) {
			if (!idle_id)
				idle_id = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, drain_idle, NULL, NULL);
			break;
		}
	}
	flush_dirty();
	{
		double ms = (double)(ts_mono_us() - t0) / 1000.0;
		if (ms > G.drain_ms_max)
			G.drain_ms_max = ms;
	}
	return G_SOURCE_CONTINUE;
}

/* Conflation: after a drain the fd is not watched for DRAIN_PERIOD_MS, so
 * a fast market costs a few hundred drains a second, each a batch, instead
 * of one main-loop wake-up per message. */
static gboolean on_sub_fd(gint fd, GIOCondition cond, gpointer unused);

static gboolean
on_resume(gpointer unused)
{
	int fd;
	size_t len = sizeof fd;

	resume_id = 0;
	drain(unused);
	zmq_getsockopt(G.sub, ZMQ_FD, &fd, &len);
	sub_src = g_unix_fd_add(fd, G_IO_IN, on_sub_fd, NULL);
	return G_SOURCE_REMOVE;
}

static gboolean
on_sub_fd(gint fd, GIOCondition cond, gpointer unused)
{
	(void)fd, (void)cond;
	drain(unused);
	sub_src = 0;
	resume_id = g_timeout_add(DRAIN_PERIOD_MS, on_resume, NULL);
	return G_SOURCE_REMOVE;
}

/* ---- supervisor presence, through a ZeroMQ socket monitor ---- */

static void
set_connected(int on)
{
	if (G.connected == on)
		return;
	G.connected = on;
	G.connect_since = ts_mono_us();
	if (on)
		ts_info("connected to the bus at '%s'", G.bus_sub);
	else
		ts_warn("no supervisor at '%s': retrying", G.bus_sub);
}

static gboolean
on_mon_fd(gint fd, GIOCondition cond, gpointer unused)
{
	int events;
	size_t len = sizeof events;

	(void)fd, (void)cond, (void)unused;
	for (;;) {
		zmq_msg_t f1, f2;
		uint16_t ev;

		if (zmq_getsockopt(G.mon, ZMQ_EVENTS, &events, &len) < 0 || !(events & ZMQ_POLLIN))
			break;
		zmq_msg_init(&f1);
		if (zmq_msg_recv(&f1, G.mon, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&f1);
			break;
		}
		if (zmq_msg_more(&f1)) {
			zmq_msg_init(&f2);
			zmq_msg_recv(&f2, G.mon, 0);
			zmq_msg_close(&f2);
		}
		if (zmq_msg_size(&f1) >= 2) {
			memcpy(&ev, zmq_msg_data(&f1), 2);
			if (ev == ZMQ_EVENT_CONNECTED)
				set_connected(1);
			else if (ev == ZMQ_EVENT_DISCONNECTED || ev == ZMQ_EVENT_CLOSED)
				set_connected(0);
		}
		zmq_msg_close(&f1);
	}
	return G_SOURCE_CONTINUE;
}

/* Once a second: message rate, status bar, the banner and view states. */
static void
refresh_status(void)
{
	GString *s = g_string_new(NULL);
	size_t i = 0;
	struct ts_map_entry *e;
	int n = 0;

	g_string_append_printf(s, "bus %s · %.0f msg/s", G.connected ? "connected" : "DOWN",
	    G.msg_rate);
	if (G.nbad)
		g_string_append_printf(s, " · %llu bad", (unsigned long long)G.nbad);
	while ((e = ts_map_next(&G.status, &i)) && n < 6) {
		struct ts_jval o, k, v;
		struct ts_jiter it;
		int shown = 0;

		if (ts_json_parse(e->v.p, strlen(e->v.p), &o, NULL) || o.type != TS_J_OBJ)
			continue;
		n++;
		g_string_append_printf(s, "  │  %s:", e->key + 7);
		ts_json_iter(&it, &o);
		while (ts_json_next(&it, &k, &v) && shown < 5) {
			char key[40];
			if (ts_json_str(&k, key, sizeof key) < 0 || !strcmp(key, "seq") ||
			    !strcmp(key, "ts") || !strcmp(key, "rt") || !strcmp(key, "ex"))
				continue;
			if (v.type == TS_J_STR || v.type == TS_J_BOOL || v.type == TS_J_NUM) {
				char val[48];
				if (v.type == TS_J_STR)
					ts_json_str(&v, val, sizeof val);
				else
					snprintf(val, sizeof val, "%.*s", (int)(v.n < 40 ? v.n : 40), v.p);
				g_string_append_printf(s, " %s=%s", key, val);
				shown++;
			}
		}
	}
	gtk_label_set_text(GTK_LABEL(G.status_label), s->str);
	g_string_free(s, TRUE);
}

static gboolean
on_tick(gpointer unused)
{
	static uint64_t last;
	int show;

	(void)unused;
	G.msg_rate = (double)(G.nmsg - last);
	last = G.nmsg;
	refresh_status();
	show = !G.connected && ts_mono_us() - G.connect_since > 700000;
	if (show) {
		char t[400];
		snprintf(t, sizeof t, "No supervisor running at %s — retrying. "
		    "Start it with: ts-supervisor", G.bus_sub);
		gtk_label_set_text(GTK_LABEL(G.banner_label), t);
	}
	gtk_widget_set_visible(G.banner, show);
	/* feed states and trades/s change without bus messages on the view */
	for (guint j = 0; j < G.views->len; j++) {
		struct gui_view *v = g_ptr_array_index(G.views, j);
		v->ops->data(v, NULL);
	}
	return G_SOURCE_CONTINUE;
}

const char *
gui_feed_state(const char *ex)
{
	char topic[TS_TOPIC_MAX], st[32];
	struct ts_map_entry *e;
	struct ts_jval o;

	snprintf(topic, sizeof topic, "status/feed/%s", ex);
	if (!(e = ts_map_get(&G.status, topic)))
		return "";
	if (ts_json_parse(e->v.p, strlen(e->v.p), &o, NULL) ||
	    ts_json_get_str(&o, "state", st, sizeof st) < 0)
		return "";
	if (!strcmp(st, "live") || !strcmp(st, "connected") || !strcmp(st, "ok") ||
	    !strcmp(st, "up") || !strcmp(st, "running"))
		return "live";
	return "stale";
}

static gboolean
first_drain(gpointer unused)
{
	on_mon_fd(-1, 0, unused);
	drain(unused);
	return G_SOURCE_REMOVE;
}

static void
connect_sub(void)
{
	if (zmq_connect(G.sub, G.bus_sub) < 0)
		ts_warn("cannot connect to '%s': %s", G.bus_sub, zmq_strerror(errno));
}

void
gui_bus_retry(void)
{
	zmq_disconnect(G.sub, G.bus_sub);
	connect_sub();
	G.connect_since = ts_mono_us();
}

void
gui_bus_start(const char *endpoint)
{
	struct ts_bus_ep ep;
	char err[256];
	int fd;
	size_t len = sizeof fd;
	int ivl = 250, ivlmax = 2000;

	if (ts_bus_resolve(endpoint, &ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	snprintf(G.bus_sub, sizeof G.bus_sub, "%s", ep.sub);
	dirty = g_ptr_array_new();
	G.sub = zmq_socket(ts_bus_ctx(), ZMQ_SUB);
	if (!G.sub)
		ts_die(TS_EXIT_TEMP, "cannot create a bus socket: %s", zmq_strerror(errno));
	ts_bus_sockopts(G.sub, ZMQ_SUB);
	ts_bus_secure(G.sub, 0);
	zmq_setsockopt(G.sub, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
	zmq_setsockopt(G.sub, ZMQ_RECONNECT_IVL_MAX, &ivlmax, sizeof ivlmax);
	if (zmq_socket_monitor(G.sub, "inproc://ts-gui-monitor",
	    ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED) < 0)
		ts_die(TS_EXIT_TEMP, "cannot monitor the bus socket: %s", zmq_strerror(errno));
	G.mon = zmq_socket(ts_bus_ctx(), ZMQ_PAIR);
	if (!G.mon || zmq_connect(G.mon, "inproc://ts-gui-monitor") < 0)
		ts_die(TS_EXIT_TEMP, "cannot read the bus socket's monitor: %s", zmq_strerror(errno));
	G.connect_since = ts_mono_us();
	ts_bus_subscribe(G.sub, "status/");
	/* streams created before the socket existed */
	{
		size_t i = 0;
		struct ts_map_entry *e;
		while ((e = ts_map_next(&G.streams, &i)))
			ts_bus_subscribe(G.sub, e->key);
	}
	connect_sub();
	zmq_getsockopt(G.sub, ZMQ_FD, &fd, &len);
	sub_src = g_unix_fd_add(fd, G_IO_IN, on_sub_fd, NULL);
	len = sizeof fd;
	zmq_getsockopt(G.mon, ZMQ_FD, &fd, &len);
	mon_src = g_unix_fd_add(fd, G_IO_IN, on_mon_fd, NULL);
	tick_src = g_timeout_add(1000, on_tick, NULL);
	/* events may already be queued: the fds only signal new edges */
	g_idle_add(first_drain, NULL);
}

void
gui_bus_stop(void)
{
	int zero = 0;

	if (sub_src)
		g_source_remove(sub_src);
	if (mon_src)
		g_source_remove(mon_src);
	if (tick_src)
		g_source_remove(tick_src);
	if (idle_id)
		g_source_remove(idle_id);
	if (resume_id)
		g_source_remove(resume_id);
	sub_src = mon_src = tick_src = idle_id = resume_id = 0;
	zmq_socket_monitor(G.sub, NULL, 0);
	zmq_setsockopt(G.sub, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(G.mon, ZMQ_LINGER, &zero, sizeof zero);
	ts_bus_close(&G.mon);
	ts_bus_close(&G.sub);
	ts_bus_term();
}
