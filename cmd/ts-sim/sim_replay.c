/* sim_replay.c: ts-sim's recordings: load a zstd JSON-lines capture (shared/data/README.md) into memory */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "sim_replay.h"

/* The JSON string member `key` of obj, unescaped into a new string. */
static char *
get_str(const struct ts_jval *obj, const char *key, size_t *len)
{
	struct ts_jval v;
	char *s;
	long n;

	if (ts_json_get(obj, key, &v) < 0 || v.type != TS_J_STR)
		return NULL;
	s = ts_xmalloc(v.n + 1);
	if ((n = ts_json_str(&v, s, v.n + 1)) < 0) {
		free(s);
		return NULL;
	}
	if (len)
		*len = (size_t)n;
	return s;
}

static FILE *
open_recording(const char *path, int *is_pipe)
{
	size_t n = strlen(path);
	FILE *f;

	*is_pipe = 0;
	if (n > 4 && !strcmp(path + n - 4, ".zst")) {
		char *cmd;
		FILE *probe = fopen(path, "r");
		if (!probe)
			return NULL;
		fclose(probe);
		/* zstd -dc through a pipe: quote the path for the shell */
		cmd = ts_xmalloc(4 * n + 32);
		{
			char *p = cmd + sprintf(cmd, "zstd -dcq -- '");
			for (const char *q = path; *q; q++) {
				if (*q == '\'') {
					memcpy(p, "'\\''", 4);
					p += 4;
				} else {
					*p++ = *q;
				}
			}
			strcpy(p, "'");
		}
		f = popen(cmd, "r");
		free(cmd);
		*is_pipe = 1;
		return f;
	}
	return fopen(path, "r");
}

int
sim_replay_load(struct sim_replay *r, const char *path, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int is_pipe, rc;
	FILE *f;

	memset(r, 0, sizeof *r);
	if (!(f = open_recording(path, &is_pipe))) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		struct ts_jval obj;
		char t[16];

		lineno++;
		if (ts_json_parse(line, (size_t)len, &obj, NULL) < 0 || obj.type != TS_J_OBJ ||
		    ts_json_get_str(&obj, "t", t, sizeof t) < 0) {
			r->bad++;
			continue;
		}
		if (!strcmp(t, "header")) {
			ts_json_get_str(&obj, "exchange", r->exchange, sizeof r->exchange);
		} else if (!strcmp(t, "recv")) {
			size_t n;
			char *d = get_str(&obj, "data", &n);
			if (!d) { /* binary frames (b64) are not replayed */
				r->bad++;
				continue;
			}
			ts_xgrow((void **)&r->recv, &r->cap_recv, r->nrecv + 1, sizeof *r->recv);
			r->recv[r->nrecv].data = d;
			r->recv[r->nrecv].len = n;
			r->nrecv++;
		} else if (!strcmp(t, "http")) {
			char *url = get_str(&obj, "url", NULL), *d, *p;
			size_t n;
			if (!url || !(d = get_str(&obj, "data", &n))) {
				free(url);
				r->bad++;
				continue;
			}
			/* keep path?query: drop scheme and host */
			p = strstr(url, "://");
			p = p ? strchr(p + 3, '/') : url;
			ts_xgrow((void **)&r->http, &r->cap_http, r->nhttp + 1, sizeof *r->http);
			r->http[r->nhttp].target = ts_xstrdup(p ? p : "/");
			r->http[r->nhttp].data = d;
			r->http[r->nhttp].len = n;
			r->nhttp++;
			free(url);
		}
	}
	free(line);
	rc = is_pipe ? pclose(f) : fclose(f);
	if (rc != 0 || lineno == 0) {
		snprintf(err, errlen, "cannot read '%s'%s", path,
		    lineno == 0 ? ": empty or not a recording" : ": zstd failed");
		sim_replay_free(r);
		return -1;
	}
	if (!r->exchange[0]) {
		snprintf(err, errlen, "'%s' has no header line", path);
		sim_replay_free(r);
		return -1;
	}
	return 0;
}

void
sim_replay_free(struct sim_replay *r)
{
	for (size_t i = 0; i < r->nrecv; i++)
		free(r->recv[i].data);
	for (size_t i = 0; i < r->nhttp; i++) {
		free(r->http[i].target);
		free(r->http[i].data);
	}
	free(r->recv);
	free(r->http);
	memset(r, 0, sizeof *r);
}

/* Value of name= in a query string, as a span. */
static const char *
qval(const char *q, const char *name, size_t *n)
{
	size_t nl = strlen(name);
	for (const char *p = q; p && *p;) {
		const char *amp = strchr(p, '&');
		if (!strncmp(p, name, nl) && p[nl] == '=') {
			*n = (size_t)((amp ? amp : p + strlen(p)) - (p + nl + 1));
			return p + nl + 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}

const struct sim_rec *
sim_replay_http(const struct sim_replay *r, const char *path, const char *query)
{
	const struct sim_rec *same_sym = NULL;
	size_t pl = strlen(path), sn = 0;
	const char *sym = qval(query, "symbol", &sn);

	for (size_t i = 0; i < r->nhttp; i++) {
		const char *t = r->http[i].target, *q;
		if (strncmp(t, path, pl) || (t[pl] != '\0' && t[pl] != '?'))
			continue;
		q = t[pl] == '?' ? t + pl + 1 : "";
		if (!strcmp(q, query))
			return &r->http[i];
		if (!same_sym) {
			size_t n2;
			const char *s2 = qval(q, "symbol", &n2);
			if ((!sym && !s2) || (sym && s2 && n2 == sn && !strncmp(sym, s2, sn)))
				same_sym = &r->http[i];
		}
	}
	return same_sym;
}

/* ---- the ground truth of a replay ---- */

static struct sim_rsym *
rsym(struct sim_rtruth *t, const char *native, size_t n)
{
	struct sim_rsym *s;

	if (n == 0 || n >= sizeof t->v[0].native)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (!strncmp(t->v[i].native, native, n) && t->v[i].native[n] == '\0')
			return &t->v[i];
	ts_xgrow((void **)&t->v, &t->cap, t->n + 1, sizeof *t->v);
	s = &t->v[t->n++];
	memset(s, 0, sizeof *s);
	memcpy(s->native, native, n);
	s->first_id = s->last_id = -1;
	return s;
}

/* Set the levels of an array of [px, qty] pairs. 0, or -1 when malformed. */
static int
set_pairs(struct ts_book *b, enum ts_side side, const struct ts_jval *arr)
{
	struct ts_jiter it, in;
	struct ts_jval pair, px, qty;

	if (arr->type != TS_J_ARR)
		return -1;
	ts_json_iter(&it, arr);
	while (ts_json_next(&it, NULL, &pair)) {
		struct ts_dec dp, dq;
		if (pair.type != TS_J_ARR)
			return -1;
		ts_json_iter(&in, &pair);
		if (!ts_json_next(&in, NULL, &px) || !ts_json_next(&in, NULL, &qty) ||
		    ts_json_dec(&px, &dp) || ts_json_dec(&qty, &dq) || ts_book_set(b, side, dp, dq) < 0)
			return -1;
	}
	return 0;
}

static void
trade_seen(struct sim_rsym *s, int64_t id)
{
	if (s->last_id >= 0 && id <= s->last_id)
		return;
	if (s->first_id < 0)
		s->first_id = id;
	s->last_id = id;
	s->ntrades++;
}

void
sim_rtruth_init(struct sim_rtruth *t, const struct sim_replay *r, int binance)
{
	memset(t, 0, sizeof *t);
	t->binance = binance;
	if (!binance)
		return;
	/* the depth answer each recorded symbol's client will get */
	for (size_t i = 0; i < r->nhttp; i++) {
		const char *q = strchr(r->http[i].target, '?'), *sym;
		const struct sim_rec *rec;
		struct ts_jval doc, v;
		struct sim_rsym *s;
		char query[96];
		size_t n;

		if (strncmp(r->http[i].target, "/api/v3/depth?", 14) || !q ||
		    !(sym = qval(q + 1, "symbol", &n)) || n >= 32)
			continue;
		snprintf(query, sizeof query, "symbol=%.*s&limit=1000", (int)n, sym);
		if (!(rec = sim_replay_http(r, "/api/v3/depth", query)) || !(s = rsym(t, sym, n)) ||
		    s->have_book)
			continue;
		if (ts_json_parse(rec->data, rec->len, &doc, NULL) < 0 ||
		    ts_json_get_i64(&doc, "lastUpdateId", &s->last_u) < 0 ||
		    ts_json_get(&doc, "bids", &v) < 0 || set_pairs(&s->book, TS_BID, &v) < 0 ||
		    ts_json_get(&doc, "asks", &v) < 0 || set_pairs(&s->book, TS_ASK, &v) < 0) {
			ts_book_clear(&s->book);
			t->bad++;
			continue;
		}
		s->have_book = 1;
	}
}

static int
bn_apply(struct sim_rtruth *t, const struct ts_jval *msg)
{
	struct ts_jval d, e, sym, v;
	struct sim_rsym *s;
	const char *p;
	size_t n;
	int64_t u, id;

	if (ts_json_get(msg, "data", &d) < 0)
		d = *msg;
	if (d.type != TS_J_OBJ || ts_json_get(&d, "e", &e) < 0)
		return 0; /* answers to requests and the like */
	if (ts_json_get(&d, "s", &sym) < 0 || !(p = ts_json_str_raw(&sym, &n)))
		return -1;
	if (ts_json_str_eq(&e, "trade")) {
		if (ts_json_get_i64(&d, "t", &id) < 0 || !(s = rsym(t, p, n)))
			return -1;
		trade_seen(s, id);
	} else if (ts_json_str_eq(&e, "depthUpdate")) {
		if (ts_json_get_i64(&d, "u", &u) < 0 || !(s = rsym(t, p, n)))
			return -1;
		if (!s->have_book || u <= s->last_u)
			return 0;
		if (ts_json_get(&d, "b", &v) < 0 || set_pairs(&s->book, TS_BID, &v) < 0 ||
		    ts_json_get(&d, "a", &v) < 0 || set_pairs(&s->book, TS_ASK, &v) < 0)
			return -1;
		s->last_u = u;
	}
	return 0;
}

static int
cb_apply(struct sim_rtruth *t, const struct ts_jval *msg)
{
	struct ts_jval ch, evs, ev, type, pid, ups, u, side, px, qty, trs, tr;
	struct ts_jiter it, iu;
	const char *p;
	size_t n;

	if (ts_json_get(msg, "channel", &ch) < 0 || ts_json_get(msg, "events", &evs) < 0 ||
	    evs.type != TS_J_ARR)
		return 0;
	if (!ts_json_str_eq(&ch, "l2_data") && !ts_json_str_eq(&ch, "market_trades"))
		return 0;
	ts_json_iter(&it, &evs);
	while (ts_json_next(&it, NULL, &ev)) {
		struct sim_rsym *s;
		if (ts_json_str_eq(&ch, "market_trades")) {
			if (ts_json_get(&ev, "trades", &trs) < 0 || trs.type != TS_J_ARR)
				return -1;
			ts_json_iter(&iu, &trs);
			while (ts_json_next(&iu, NULL, &tr)) {
				int64_t id;
				if (ts_json_get(&tr, "product_id", &pid) < 0 ||
				    !(p = ts_json_str_raw(&pid, &n)) ||
				    ts_json_get_i64(&tr, "trade_id", &id) < 0 || !(s = rsym(t, p, n)))
					return -1;
				trade_seen(s, id);
			}
			continue;
		}
		if (ts_json_get(&ev, "type", &type) < 0 || ts_json_get(&ev, "product_id", &pid) < 0 ||
		    !(p = ts_json_str_raw(&pid, &n)) || ts_json_get(&ev, "updates", &ups) < 0 ||
		    ups.type != TS_J_ARR || !(s = rsym(t, p, n)))
			return -1;
		if (ts_json_str_eq(&type, "snapshot")) {
			ts_book_clear(&s->book);
			s->have_book = 1;
		} else if (!s->have_book) {
			continue;
		}
		ts_json_iter(&iu, &ups);
		while (ts_json_next(&iu, NULL, &u)) {
			struct ts_dec dp, dq;
			if (ts_json_get(&u, "side", &side) < 0 ||
			    ts_json_get(&u, "price_level", &px) < 0 ||
			    ts_json_get(&u, "new_quantity", &qty) < 0 ||
			    ts_json_dec(&px, &dp) || ts_json_dec(&qty, &dq) ||
			    ts_book_set(&s->book, ts_json_str_eq(&side, "bid") ? TS_BID : TS_ASK,
			    dp, dq) < 0)
				return -1;
		}
	}
	return 0;
}

void
sim_rtruth_advance(struct sim_rtruth *t, const struct sim_replay *r, size_t pos)
{
	if (pos > r->nrecv)
		pos = r->nrecv;
	for (; t->pos < pos; t->pos++) {
		const struct sim_rec *rec = &r->recv[t->pos];
		struct ts_jval msg;
		if (ts_json_parse(rec->data, rec->len, &msg, NULL) < 0 || msg.type != TS_J_OBJ ||
		    (t->binance ? bn_apply(t, &msg) : cb_apply(t, &msg)) < 0)
			t->bad++;
	}
}

const struct sim_rsym *
sim_rtruth_find(const struct sim_rtruth *t, const char *name)
{
	char flat[32];
	size_t k = 0;

	/* canonical BTC-USDT is Binance's BTCUSDT; Coinbase's ids are canonical */
	for (const char *p = name; *p && k + 1 < sizeof flat; p++)
		if (*p != '-')
			flat[k++] = *p;
	flat[k] = '\0';
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].native, name) || (t->binance && !strcmp(t->v[i].native, flat)))
			return &t->v[i];
	return NULL;
}

void
sim_rtruth_free(struct sim_rtruth *t)
{
	for (size_t i = 0; i < t->n; i++)
		ts_book_free(&t->v[i].book);
	free(t->v);
	memset(t, 0, sizeof *t);
}
