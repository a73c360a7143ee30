/* gw_bus.c: ts-gateway's view of the bus: held topics, their caches, and ZeroMQ sockets watched from lws */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "gw.h"
#include "msg.h"
#include "tm.h"

/* ---- ZeroMQ sockets and fds in lws's loop ---- */

struct gw_watch {
	struct lws *wsi;
	gw_watch_fn *fn;
	void *arg;
};

static int
raw_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
    size_t len)
{
	struct gw_watch *w = lws_get_opaque_user_data(wsi);

	(void)user, (void)in, (void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (w)
			w->fn(w->arg);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (w)
			w->wsi = NULL;
		return 0;
	default:
		return 0;
	}
}

const struct lws_protocols gw_raw_protocol = {
	"gw-raw", raw_callback, 0, 0, 0, NULL, 0
};

struct gw_watch *
gw_watch_fd(int fd, gw_watch_fn *fn, void *arg)
{
	struct gw_watch *w = ts_xcalloc(1, sizeof *w);
	lws_sock_file_fd_type u;

	w->fn = fn;
	w->arg = arg;
	u.filefd = (lws_filefd_type)fd;
	if (!(w->wsi = lws_adopt_descriptor_vhost(G.vh, LWS_ADOPT_RAW_FILE_DESC, u,
	    gw_raw_protocol.name, NULL)))
		ts_die(TS_EXIT_TEMP, "cannot watch fd %d from libwebsockets", fd);
	lws_set_opaque_user_data(w->wsi, w);
	return w;
}

struct gw_watch *
gw_watch_zmq(void *sock, gw_watch_fn *fn, void *arg)
{
	int fd, dfd;
	size_t len = sizeof fd;

	/* a dup: lws closes what it adopted, and zmq_close aborts on a closed ZMQ_FD */
	if (zmq_getsockopt(sock, ZMQ_FD, &fd, &len) < 0 || (dfd = dup(fd)) < 0)
		ts_die(TS_EXIT_TEMP, "cannot get the bus socket's fd: %s", zmq_strerror(errno));
	return gw_watch_fd(dfd, fn, arg);
}

void
gw_watch_del(struct gw_watch **w)
{
	if (!*w)
		return;
	if ((*w)->wsi) {
		lws_set_opaque_user_data((*w)->wsi, NULL);
		lws_set_timeout((*w)->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
	free(*w);
	*w = NULL;
}

/* ---- topics ---- */

static struct gw_watch *sub_watch;
static int nwild; /* wildcard topics held */

static enum gw_kind
kind_of(const char *kind)
{
	if (!strcmp(kind, "candles"))
		return GW_CANDLES;
	if (!strcmp(kind, "book"))
		return GW_BOOK;
	if (!strcmp(kind, "trades"))
		return GW_TRADES;
	return GW_OTHER;
}

struct gw_topic *
gw_topic_hold(const char *name)
{
	int created;
	struct ts_map_entry *e = ts_map_put(&G.topics, name, &created);
	struct gw_topic *t;

	if (!created) {
		t = e->v.p;
	} else {
		size_t n = strlen(name);
		t = ts_xcalloc(1, sizeof *t);
		snprintf(t->name, sizeof t->name, "%s", name);
		t->wildcard = n > 0 && name[n - 1] == '/';
		nwild += t->wildcard;
		if (t->wildcard || ts_topic_parse(name, &t->tp, NULL) < 0)
			t->kind = GW_OTHER;
		else
			t->kind = kind_of(t->tp.kind);
		if (t->kind == GW_CANDLES)
			t->tf_us = ts_tf_us(t->tp.tf);
		if (t->kind == GW_TRADES)
			t->tr = ts_xcalloc(GW_TRADES_KEEP, sizeof *t->tr);
		e->v.p = t;
		ts_info("subscribing to '%s'", name);
		ts_bus_subscribe(G.sub, name);
		gw_bus_drain();
	}
	t->refs++;
	t->idle_since = 0;
	return t;
}

void
gw_topic_release(struct gw_topic *t)
{
	if (--t->refs == 0)
		t->idle_since = ts_mono_us();
}

static void
topic_free(struct gw_topic *t)
{
	ts_info("'%s' has no client left: unsubscribing", t->name);
	ts_bus_unsubscribe(G.sub, t->name);
	nwild -= t->wildcard;
	free(t->cd);
	ts_book_free(&t->book);
	if (t->tr)
		for (size_t i = 0; i < GW_TRADES_KEEP; i++)
			free(t->tr[i].p);
	free(t->tr);
	ts_map_del(&G.topics, t->name);
	free(t);
}

void
gw_bus_tick(void)
{
	int64_t now = ts_mono_us();
	struct ts_map_entry *e;
	size_t i = 0;

	while ((e = ts_map_next(&G.topics, &i))) {
		struct gw_topic *t = e->v.p;
		if (t->refs == 0 && t->idle_since && now - t->idle_since >= G.linger_us)
			topic_free(t); /* deleting while iterating is allowed */
	}
	gw_bus_drain();
}

void
gw_sink_add(struct gw_topic *t, struct gw_sink *s)
{
	s->t = t;
	s->next = t->sinks;
	t->sinks = s;
	t->refs++;
	t->idle_since = 0;
}

void
gw_sink_del(struct gw_sink *s)
{
	struct gw_sink **pp;

	if (!s->t)
		return;
	for (pp = &s->t->sinks; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	gw_topic_release(s->t);
	s->t = NULL;
}

/* ---- the caches ---- */

static void
candle_put(struct gw_topic *t, const struct ts_candle *c)
{
	if (t->ncd && t->cd[t->ncd - 1].t == c->t) {
		t->cd[t->ncd - 1] = *c;
		return;
	}
	if (t->ncd && t->cd[t->ncd - 1].t > c->t)
		return; /* older than what we have: a late duplicate */
	if (t->ncd == GW_CANDLES_KEEP) {
		memmove(t->cd, t->cd + 1, (t->ncd - 1) * sizeof *t->cd);
		t->ncd--;
	}
	ts_xgrow((void **)&t->cd, &t->capcd, t->ncd + 1, sizeof *t->cd);
	t->cd[t->ncd++] = *c;
}

static int
cache_candles(struct gw_topic *t, const struct ts_jval *obj)
{
	struct ts_jval v, arr, el;
	struct ts_candle c;
	const char *why;

	if (!ts_json_get(obj, "type", &v) && ts_json_str_eq(&v, "history")) {
		struct ts_jiter it;
		if (ts_json_get(obj, "candles", &arr) < 0 || arr.type != TS_J_ARR)
			return -1;
		t->ncd = 0;
		ts_json_iter(&it, &arr);
		while (ts_json_next(&it, NULL, &el))
			if (ts_candle_parse(&el, &c, &why) == 0)
				candle_put(t, &c);
		t->have_hist = 1;
		gw_topic_wake(t);
		return 0;
	}
	if (ts_candle_parse(obj, &c, &why) < 0)
		return -1;
	candle_put(t, &c);
	return 0;
}

static void
cache_trade(struct gw_topic *t, const char *data, size_t len)
{
	struct gw_trade_slot *s = &t->tr[(t->tr_head + t->tr_n) % GW_TRADES_KEEP];

	if (t->tr_n == GW_TRADES_KEEP)
		t->tr_head = (t->tr_head + 1) % GW_TRADES_KEEP;
	else
		t->tr_n++;
	if (s->cap < len) /* grows to the largest trade once, then reused */
		s->p = ts_xrealloc(s->p, s->cap = len + 64);
	memcpy(s->p, data, len);
	s->n = len;
	if (t->tr_n == 1)
		gw_topic_wake(t);
}

static void
status_put(const char *topic, const char *data, size_t len)
{
	int created;
	struct ts_map_entry *e = ts_map_put(&G.status, topic, &created);
	struct gw_status *s = created ? ts_xcalloc(1, sizeof *s) : e->v.p;

	e->v.p = s;
	free(s->p);
	s->p = ts_xstrndup(data, len);
	s->n = len;
	s->rx = ts_now_us();
	if (!strcmp(topic, "status/supervisor")) {
		/* a feed may have failed: waiting calls look again */
		size_t i = 0;
		while ((e = ts_map_next(&G.topics, &i)))
			if (((struct gw_topic *)e->v.p)->waiters)
				gw_topic_wake(e->v.p);
	}
}

static void
fan_out(struct gw_topic *t, const char *topic, size_t tlen, const char *data, size_t len)
{
	for (struct gw_sink *s = t->sinks, *next; s; s = next) {
		next = s->next; /* fn may remove s */
		s->fn(s, topic, tlen, data, len);
	}
}

static void
on_message(const struct ts_msg *m)
{
	struct ts_map_entry *e;
	struct ts_jval obj;
	size_t i = 0;

	G.bus_msgs++;
	if (!strncmp(m->topic, "status/", 7))
		status_put(m->topic, m->data, m->len);
	if ((e = ts_map_get(&G.topics, m->topic))) {
		struct gw_topic *t = e->v.p;
		int bad = 0;
		t->msgs++;
		t->last_rx = ts_now_us();
		switch (t->kind) {
		case GW_CANDLES:
			bad = ts_json_parse(m->data, m->len, &obj, NULL) < 0 ||
			    cache_candles(t, &obj) < 0;
			break;
		case GW_BOOK: {
			int r = -1, was_live = t->book_live;
			if (ts_json_parse(m->data, m->len, &obj, NULL) == 0)
				r = ts_book_apply_msg(&t->book, &obj);
			if (r == TS_BOOK_SNAPSHOT)
				t->book_live = 1;
			else if (r == TS_BOOK_RESET)
				t->book_live = 0;
			bad = r < 0;
			if (t->book_live && !was_live)
				gw_topic_wake(t);
			break;
		}
		case GW_TRADES:
			cache_trade(t, m->data, m->len);
			break;
		default:
			break;
		}
		if (bad) {
			G.bad_msgs++;
			ts_warn_rl(&G.bad_rl, "malformed message on '%s' ignored", m->topic);
		} else {
			fan_out(t, m->topic, m->topic_len, m->data, m->len);
		}
	}
	/* wildcard subscriptions (alerts/, status/): few, so a walk */
	while (nwild && (e = ts_map_next(&G.topics, &i))) {
		struct gw_topic *t = e->v.p;
		if (t->wildcard && ts_topic_match(t->name, m->topic, m->topic_len))
			fan_out(t, m->topic, m->topic_len, m->data, m->len);
	}
}

static void on_drain_later(lws_sorted_usec_list_t *sul);

void
gw_bus_drain(void)
{
	int budget = 20000, events = 0;
	size_t el = sizeof events;
	struct ts_msg m;

	if (!G.sub)
		return;
	while (budget-- > 0) {
		if (ts_msg_recv(G.sub, &m, ZMQ_DONTWAIT) < 0) {
			if (errno == EPROTO) {
				G.bad_msgs++;
				continue;
			}
			break;
		}
		on_message(&m);
		ts_msg_close(&m);
	}
	/* a bounded amount of work per wake-up; the edge-triggered fd will not
	 * signal what is already waiting, so come back for the rest */
	if (zmq_getsockopt(G.sub, ZMQ_EVENTS, &events, &el) == 0 && (events & ZMQ_POLLIN))
		lws_sul_schedule(G.ctx, 0, &G.drain_sul, on_drain_later, 1);
}

static void
on_drain_later(lws_sorted_usec_list_t *sul)
{
	(void)sul;
	gw_bus_drain();
}

static void
on_sub_readable(void *arg)
{
	(void)arg;
	gw_bus_drain();
}

void
gw_bus_init(void)
{
	G.sub = ts_bus_sub(&G.ep);
	sub_watch = gw_watch_zmq(G.sub, on_sub_readable, NULL);
	ts_bus_subscribe(G.sub, "status/");
	gw_bus_drain();
}

void
gw_bus_close(void)
{
	struct ts_map_entry *e;
	size_t i = 0;

	lws_sul_cancel(&G.drain_sul);
	gw_watch_del(&sub_watch);
	while ((e = ts_map_next(&G.status, &i))) {
		struct gw_status *s = e->v.p;
		free(s->p);
		free(s);
	}
	ts_map_clear(&G.status);
	ts_bus_close(&G.sub);
}

/* ---- the cache as messages ---- */

static void
candle_obj(struct ts_jw *w, const struct gw_topic *t, const struct ts_candle *c, int64_t now)
{
	struct ts_candle x = *c;
	char iso[40];

	if (x.t + t->tf_us <= now)
		x.flags |= TS_CANDLE_CLOSED;
	ts_candle_write(w, t->tp.ex, t->tp.sym, t->tp.tf, &x);
	/* and the open time in ISO 8601, for people reading it */
	w->len--; /* the '}' */
	w->comma = 1;
	ts_rfc3339_fmt(x.t, iso, sizeof iso);
	ts_jw_kstr(w, "time", iso);
	ts_jw_obj_end(w);
}

int
gw_topic_history(const struct gw_topic *t, struct ts_jw *w, int64_t since,
    int64_t until, long limit)
{
	size_t from = 0, to = t->ncd;
	int64_t now = ts_now_us();

	if (t->kind != GW_CANDLES || !t->have_hist)
		return -1;
	while (from < to && t->cd[from].t < since)
		from++;
	while (to > from && t->cd[to - 1].t >= until)
		to--;
	if (limit > 0 && to - from > (size_t)limit)
		from = to - (size_t)limit;
	ts_jw_obj(w);
	ts_jw_kstr(w, "type", "history");
	ts_jw_kstr(w, "topic", t->name);
	ts_jw_key(w, "candles");
	ts_jw_arr(w);
	for (size_t i = from; i < to; i++)
		candle_obj(w, t, &t->cd[i], now);
	ts_jw_arr_end(w);
	ts_jw_obj_end(w);
	return 0;
}

int
gw_topic_snapshot(const struct gw_topic *t, struct ts_jw *w, size_t depth)
{
	if (t->kind != GW_BOOK || !t->book_live)
		return -1;
	ts_jw_obj(w);
	ts_jw_kstr(w, "ex", t->tp.ex);
	ts_jw_kstr(w, "sym", t->tp.sym);
	ts_jw_kstr(w, "type", "snapshot");
	ts_book_write(&t->book, w, depth);
	ts_jw_ki64(w, "rt", t->last_rx);
	ts_jw_obj_end(w);
	return 0;
}
