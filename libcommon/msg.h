/* msg.h: bus messages: a topic frame, then one compact JSON object with a per-topic seq */
#ifndef TS_MSG_H
#define TS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "json.h"
#include "map.h"
#include "topic.h"

/* A received message. Both frames stay in zmq_msg_t storage until
 * ts_msg_close; topic is NUL-terminated, data (the JSON) is not. */
struct ts_msg {
	char topic[TS_TOPIC_MAX];
	size_t topic_len;
	const char *data;
	size_t len;
	unsigned char frame[64]; /* a zmq_msg_t, kept opaque here */
};

/* Receive one message (both frames). flags as zmq_recv (ZMQ_DONTWAIT).
 * Returns 0; -1 with errno EAGAIN/EINTR/ETERM from ZeroMQ, or EPROTO for a
 * message that is not two frames or whose topic is too long (it is consumed
 * and dropped). */
int ts_msg_recv(void *sock, struct ts_msg *m, int flags);
void ts_msg_close(struct ts_msg *m);

/* Send `json` (n bytes) on `topic` as two frames. Returns 0 or -1 (errno). */
int ts_msg_send(void *sock, const char *topic, const char *json, size_t n, int flags);

/* A producer's view of the bus: one socket and the next seq of each topic.
 * Messages are objects built with struct ts_jw, closed; ts_pub_send adds
 * "seq" as their last member. */
struct ts_pub {
	void *sock;
	struct ts_map seqs;
	uint64_t sent, dropped;
};
/* Send object w (its text is changed: the seq member is appended).
 * Returns 0, or -1 when ZeroMQ refused it (counted in dropped). */
int ts_pub_send(struct ts_pub *p, const char *topic, struct ts_jw *w);
/* The same with zmq_send flags (ZMQ_DONTWAIT). On failure w is given back
 * as it was and the seq is not used up, so EAGAIN can be retried. */
int ts_pub_send_flags(struct ts_pub *p, const char *topic, struct ts_jw *w, int flags);
/* Send a jv object (consumed): dumped compact, with seq set. For status and
 * other cold paths where building with jv reads better. */
int ts_pub_send_jv(struct ts_pub *p, const char *topic, jv obj);
/* The seq the next message on topic will carry (starts at 1). */
uint64_t ts_pub_next_seq(struct ts_pub *p, const char *topic);
void ts_pub_clear(struct ts_pub *p); /* frees the seq table, not the socket */

/* A consumer's gap detector: the last seq seen per topic. */
struct ts_seqcheck {
	struct ts_map last;
};
enum { TS_SEQ_OK, TS_SEQ_FIRST, TS_SEQ_GAP, TS_SEQ_RESTART, TS_SEQ_DUP };
/* Record seq on topic. TS_SEQ_GAP sets *missing to the number of messages
 * skipped; TS_SEQ_RESTART means seq went back to 1 (the producer restarted);
 * TS_SEQ_DUP a seq not above the last one. */
int ts_seqcheck(struct ts_seqcheck *c, const char *topic, uint64_t seq, uint64_t *missing);
void ts_seqcheck_clear(struct ts_seqcheck *c);

/* Parse a message's JSON and read its seq. Returns 0 with *seq set, 1 when
 * the object has no seq, -1 when the payload is not a JSON object. */
int ts_msg_seq(const char *data, size_t len, uint64_t *seq);

#endif
