/* feed_fake.h: the outside world of ts-feed's core faked for the adapter
 * tests (what is published, sent and asked of REST), the recordings read,
 * and a book rebuilt from what was published. Included by one test file
 * each; what a test does not use is not an error. */
#ifndef TS_FEED_FAKE_H
#define TS_FEED_FAKE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/ts-feed/ex.h"
#include "book.h"
#include "json.h"
#include "log.h"
#include "t.h"

#define FAKE static __attribute__((unused))

/* A fake outside world: everything published, sent and requested. */
struct out {
	char topic[96];
	char *json;
};
FAKE struct out *outs;
FAKE size_t nout, capout;
FAKE struct feed F;
FAKE char sent[64][512];
FAKE int sent_conn[64]; /* the connection each went to (F.conn) */
FAKE int nsent;
struct req {
	struct fsym *s;
	int kind;
	char path[256];
};
FAKE struct req reqs[64];
FAKE int nreq, nreconnect;

FAKE void
f_emit(void *ctx, const char *topic, const char *json, size_t n)
{
	(void)ctx;
	ts_xgrow((void **)&outs, &capout, nout + 1, sizeof *outs);
	snprintf(outs[nout].topic, sizeof outs[nout].topic, "%s", topic);
	outs[nout++].json = ts_xstrndup(json, n);
}

FAKE void
f_send(void *ctx, const char *text, size_t n)
{
	(void)ctx;
	if (nsent < 64) {
		sent_conn[nsent] = F.conn;
		snprintf(sent[nsent++], sizeof sent[0], "%.*s", (int)n, text);
	}
}

FAKE void
f_rest(void *ctx, struct fsym *s, int kind, const char *path)
{
	(void)ctx;
	if (nreq < 64) {
		reqs[nreq].s = s;
		reqs[nreq].kind = kind;
		snprintf(reqs[nreq++].path, sizeof reqs[0].path, "%s", path);
	}
}

FAKE void
f_reconnect(void *ctx, const char *reason, int now)
{
	(void)ctx, (void)reason, (void)now;
	nreconnect++;
}

FAKE void
reset_io(void)
{
	for (size_t i = 0; i < nout; i++)
		free(outs[i].json);
	nout = 0;
	nsent = nreq = nreconnect = 0;
}

FAKE void
setup(const char *ex)
{
	struct feed_ops ops = { NULL, f_emit, f_send, f_rest, f_reconnect };

	reset_io();
	feed_init(&F, ex_find(ex), &ops);
}

FAKE char *
slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, len = 0, got;
	char tmp[65536];

	if (!fp)
		return NULL;
	while ((got = fread(tmp, 1, sizeof tmp, fp)) > 0) {
		ts_xgrow((void **)&buf, &cap, len + got + 1, 1);
		memcpy(buf + len, tmp, got);
		len += got;
	}
	fclose(fp);
	if (buf)
		buf[len] = '\0';
	*n = len;
	return buf;
}

FAKE const char *
top(void)
{
	const char *t = getenv("TS_TOP");
	return t ? t : ".";
}

FAKE void
msg(const char *s)
{
	feed_message(&F, s, strlen(s), 1000);
}

/* The last message published on topic, or NULL. */
FAKE const char *
last_on(const char *topic)
{
	for (size_t i = nout; i-- > 0;)
		if (!strcmp(outs[i].topic, topic))
			return outs[i].json;
	return NULL;
}

FAKE size_t
count_on(const char *topic, const char *needle)
{
	size_t c = 0;
	for (size_t i = 0; i < nout; i++)
		if (!strcmp(outs[i].topic, topic) && (!needle || strstr(outs[i].json, needle)))
			c++;
	return c;
}

/* Rebuild a book from everything published on its topic, as a consumer
 * would, and check it equals the feed's own; seq must be consecutive. */
FAKE int
replay_equals(struct fsym *s)
{
	struct ts_book b = { 0 };
	uint64_t want = 1;
	int ok = 1;

	for (size_t i = 0; i < nout; i++) {
		struct ts_jval v;
		int64_t seq;
		if (strcmp(outs[i].topic, s->t_book))
			continue;
		if (ts_json_parse(outs[i].json, strlen(outs[i].json), &v, NULL) < 0 ||
		    ts_book_apply_msg(&b, &v) < 0 || ts_json_get_i64(&v, "seq", &seq) < 0 ||
		    (uint64_t)seq != want++) {
			ok = 0;
			break;
		}
	}
	if (ok)
		ok = ts_book_equal(&b, &s->book);
	ts_book_free(&b);
	return ok;
}

/* Read a recording (zstd JSON lines) into records: t, ts, url, data. */
struct rec {
	char t[8];
	double ts;
	char url[256];
	int conn;  /* the number that ends "conn" ("BYBIT.ws.2": 2), -1 none */
	char *data;
	size_t n;
};

FAKE int
by_ts(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	return (x->ts > y->ts) - (x->ts < y->ts);
}

FAKE struct rec *
load_recording(const char *path, int zstd, size_t *nrec)
{
	char cmd[700];
	FILE *fp;
	char *line = NULL;
	size_t cap = 0, n = 0, rcap = 0;
	ssize_t len;
	struct rec *r = NULL;

	if (zstd) {
		snprintf(cmd, sizeof cmd, "zstd -dc '%s' 2>/dev/null", path);
		fp = popen(cmd, "r");
	} else {
		fp = fopen(path, "r");
	}
	if (!fp)
		return NULL;
	while ((len = getline(&line, &cap, fp)) > 0) {
		struct ts_jval v, d, ts;
		if (ts_json_parse(line, (size_t)len, &v, NULL) < 0)
			continue;
		ts_xgrow((void **)&r, &rcap, n + 1, sizeof *r);
		memset(&r[n], 0, sizeof r[n]);
		ts_json_get_str(&v, "t", r[n].t, sizeof r[n].t);
		ts_json_get_str(&v, "url", r[n].url, sizeof r[n].url);
		r[n].conn = -1;
		{
			char conn[64];
			const char *dot;
			if (ts_json_get_str(&v, "conn", conn, sizeof conn) > 0 &&
			    (dot = strrchr(conn, '.')))
				r[n].conn = atoi(dot + 1);
		}
		if (ts_json_get(&v, "ts", &ts) == 0)
			ts_json_double(&ts, &r[n].ts);
		if (ts_json_get(&v, "data", &d) == 0) {
			r[n].data = ts_xmalloc(d.n + 1);
			r[n].n = (size_t)ts_json_str(&d, r[n].data, d.n + 1);
		}
		n++;
	}
	free(line);
	if (zstd)
		pclose(fp);
	else
		fclose(fp);
	qsort(r, n, sizeof *r, by_ts); /* REST answers interleave with the stream by time */
	*nrec = n;
	return r;
}

FAKE void
free_recording(struct rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].data);
	free(r);
}

FAKE const char *
shared_recording(const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "%s/../shared/data/recordings/%s", top(), name);
	return buf;
}

#endif
