/* sim_replay.c: ts-sim's recordings: load a zstd JSON-lines capture (shared/data/README.md) into memory */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "sim_ex.h"
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

struct sim_rsym *
sim_rtruth_sym(struct sim_rtruth *t, const char *native, size_t n)
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

int
sim_book_pairs(struct ts_book *b, enum ts_side side, const struct ts_jval *arr)
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

void
sim_rtruth_trade(struct sim_rsym *s, int64_t id)
{
	if (s->last_id >= 0 && id <= s->last_id)
		return;
	if (s->first_id < 0)
		s->first_id = id;
	s->last_id = id;
	s->ntrades++;
}

void
sim_rtruth_init(struct sim_rtruth *t, const struct sim_replay *r, const struct sim_ex *ex)
{
	memset(t, 0, sizeof *t);
	t->ex = ex;
	if (ex->truth_init)
		ex->truth_init(t, r);
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
		    (t->ex->truth_apply && t->ex->truth_apply(t, &msg) < 0))
			t->bad++;
	}
}

const struct sim_rsym *
sim_rtruth_find(const struct sim_rtruth *t, const char *name)
{
	char native[32] = "", base[32];
	const char *dash = strchr(name, '-');

	/* canonical BTC-USDT is Binance's BTCUSDT: the exchange's own name */
	if (dash && (size_t)(dash - name) < sizeof base) {
		memcpy(base, name, (size_t)(dash - name));
		base[dash - name] = '\0';
		t->ex->native(native, sizeof native, base, dash + 1);
	}
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].native, name) || (native[0] && !strcmp(t->v[i].native, native)))
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
