/* msg.c: two-frame messages and per-topic sequence numbers */
#include "msg.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

_Static_assert(sizeof(zmq_msg_t) <= sizeof(((struct ts_msg *)0)->frame),
    "struct ts_msg frame too small for zmq_msg_t");

static int
more(void *sock)
{
	int m = 0;
	size_t sz = sizeof m;

	zmq_getsockopt(sock, ZMQ_RCVMORE, &m, &sz);
	return m;
}

/* Drop the rest of a multi-part message. */
static void
drain(void *sock)
{
	zmq_msg_t f;

	while (more(sock)) {
		zmq_msg_init(&f);
		zmq_msg_recv(&f, sock, 0);
		zmq_msg_close(&f);
	}
}

int
ts_msg_recv(void *sock, struct ts_msg *m, int flags)
{
	zmq_msg_t *f = (zmq_msg_t *)(void *)m->frame;
	zmq_msg_t t;
	int n;

	zmq_msg_init(&t);
	n = zmq_msg_recv(&t, sock, flags);
	if (n < 0) {
		zmq_msg_close(&t);
		return -1;
	}
	if (!more(sock) || (size_t)n >= sizeof m->topic) {
		zmq_msg_close(&t);
		drain(sock);
		errno = EPROTO;
		return -1;
	}
	memcpy(m->topic, zmq_msg_data(&t), (size_t)n);
	m->topic[n] = '\0';
	m->topic_len = (size_t)n;
	zmq_msg_close(&t);
	zmq_msg_init(f);
	/* the second frame of a message is already here once the first is */
	if (zmq_msg_recv(f, sock, 0) < 0) {
		zmq_msg_close(f);
		return -1;
	}
	if (more(sock)) {
		zmq_msg_close(f);
		drain(sock);
		errno = EPROTO;
		return -1;
	}
	m->data = zmq_msg_data(f);
	m->len = zmq_msg_size(f);
	return 0;
}

void
ts_msg_close(struct ts_msg *m)
{
	zmq_msg_close((zmq_msg_t *)(void *)m->frame);
	m->data = NULL;
	m->len = 0;
}

int
ts_msg_send(void *sock, const char *topic, const char *json, size_t n, int flags)
{
	if (zmq_send(sock, topic, strlen(topic), ZMQ_SNDMORE | flags) < 0)
		return -1;
	/* once the first frame is queued the second always is */
	if (zmq_send(sock, json, n, flags & ~ZMQ_DONTWAIT) < 0)
		return -1;
	return 0;
}

uint64_t
ts_pub_next_seq(struct ts_pub *p, const char *topic)
{
	struct ts_map_entry *e = ts_map_get(&p->seqs, topic);

	return e ? e->v.u + 1 : 1;
}

int
ts_pub_send_flags(struct ts_pub *p, const char *topic, struct ts_jw *w, int flags)
{
	struct ts_map_entry *e = ts_map_put(&p->seqs, topic, NULL);
	size_t len = w->len;
	char tail[32];
	int n;

	if (len < 2 || w->buf[len - 1] != '}')
		ts_die(TS_EXIT_USAGE, "ts_pub_send: message on '%s' is not an object", topic);
	n = snprintf(tail, sizeof tail, "%s\"seq\":%llu}", len > 2 ? "," : "",
	    (unsigned long long)(e->v.u + 1));
	w->len--; /* reopen the object */
	ts_xgrow((void **)&w->buf, &w->cap, w->len + (size_t)n + 1, 1);
	memcpy(w->buf + w->len, tail, (size_t)n + 1);
	w->len += (size_t)n;
	if (ts_msg_send(p->sock, topic, w->buf, w->len, flags) < 0) {
		int err = errno;
		/* give the object back as it came, so a caller can retry */
		w->len = len;
		w->buf[len - 1] = '}';
		w->buf[len] = '\0';
		if (err != EAGAIN)
			p->dropped++;
		errno = err;
		return -1;
	}
	e->v.u++;
	p->sent++;
	return 0;
}

int
ts_pub_send(struct ts_pub *p, const char *topic, struct ts_jw *w)
{
	return ts_pub_send_flags(p, topic, w, 0);
}

int
ts_pub_send_jv(struct ts_pub *p, const char *topic, jv obj)
{
	struct ts_map_entry *e = ts_map_put(&p->seqs, topic, NULL);
	jv text;
	int r;

	obj = jv_object_set(obj, jv_string("seq"), jv_number((double)(e->v.u + 1)));
	text = jv_dump_string(obj, 0);
	r = ts_msg_send(p->sock, topic, jv_string_value(text),
	    (size_t)jv_string_length_bytes(jv_copy(text)), 0);
	jv_free(text);
	if (r < 0) {
		p->dropped++;
		return -1;
	}
	e->v.u++;
	p->sent++;
	return 0;
}

void
ts_pub_clear(struct ts_pub *p)
{
	ts_map_clear(&p->seqs);
}

int
ts_seqcheck(struct ts_seqcheck *c, const char *topic, uint64_t seq, uint64_t *missing)
{
	int created;
	struct ts_map_entry *e = ts_map_put(&c->last, topic, &created);
	uint64_t last = e->v.u;

	*missing = 0;
	if (created) {
		e->v.u = seq;
		return TS_SEQ_FIRST;
	}
	if (seq == last + 1) {
		e->v.u = seq;
		return TS_SEQ_OK;
	}
	if (seq == 1) {
		e->v.u = seq;
		return TS_SEQ_RESTART;
	}
	if (seq <= last)
		return TS_SEQ_DUP;
	*missing = seq - last - 1;
	e->v.u = seq;
	return TS_SEQ_GAP;
}

void
ts_seqcheck_clear(struct ts_seqcheck *c)
{
	ts_map_clear(&c->last);
}

int
ts_msg_seq(const char *data, size_t len, uint64_t *seq)
{
	struct ts_jval obj, v;
	int64_t s;

	if (ts_json_parse(data, len, &obj, NULL) || obj.type != TS_J_OBJ)
		return -1;
	if (ts_json_get(&obj, "seq", &v) || v.type != TS_J_NUM || ts_json_i64(&v, &s) ||
	    s < 0)
		return 1;
	*seq = (uint64_t)s;
	return 0;
}
