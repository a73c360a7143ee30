/* store_influx.c: the InfluxDB sink: line protocol batches through an on-disk
 * spool, sent with libcurl's multi interface so the collector never blocks
 *
 * Every batch becomes a spool segment (a file, renamed into place when
 * complete) before it is sent; a segment is deleted once the server answers
 * 2xx. So a server outage, or a restart of ts-store, loses nothing until the
 * spool reaches its size limit, and then the newest batches are dropped and
 * counted. Points resent after a crash are harmless: InfluxDB overwrites a
 * point with the same series and time. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"
#include "path.h"
#include "store.h"
#include "tm.h"

struct nudge {
	int64_t ts;
	int64_t k;
};

struct influx {
	struct influx_conf c;
	char url[1024];
	char auth[512];
	char dir[PATH_MAX];
	char *buf;           /* the batch being filled */
	size_t len, cap;
	long npoints;
	int64_t first_mono;
	uint64_t seg_first, seg_next; /* segments [first, next) are on disk */
	uint64_t spool_bytes;
	CURLM *multi;
	CURL *easy;
	struct curl_slist *hdrs;
	int busy;
	char *body;
	size_t body_len;
	int64_t retry_at, backoff;
	char resp[512];
	size_t resp_len;
	struct influx_stats st;
	struct ts_map series; /* trades series -> struct nudge * */
	struct ts_ratelimit rl;
};

static void
seg_path(const struct influx *ix, uint64_t seg, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%016" PRIx64 ".lp", ix->dir, seg);
}

/* Find the segments a previous run left. */
static int
scan_spool(struct influx *ix)
{
	DIR *d = opendir(ix->dir);
	struct dirent *e;
	uint64_t lo = UINT64_MAX, hi = 0;
	int any = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char *end, path[PATH_MAX + 32];
		uint64_t v;
		struct stat sb;
		if (strlen(e->d_name) != 19 || strcmp(e->d_name + 16, ".lp"))
			continue;
		v = strtoull(e->d_name, &end, 16);
		if (end != e->d_name + 16)
			continue;
		snprintf(path, sizeof path, "%s/%s", ix->dir, e->d_name);
		if (stat(path, &sb) == 0)
			ix->spool_bytes += (uint64_t)sb.st_size;
		any = 1;
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	closedir(d);
	if (any) {
		ix->seg_first = lo;
		ix->seg_next = hi + 1;
		ts_info("influx spool '%s' holds %" PRIu64 " batches from a previous run",
		    ix->dir, hi - lo + 1);
	}
	return 0;
}

static size_t
on_body(char *p, size_t sz, size_t nm, void *arg)
{
	struct influx *ix = arg;
	size_t n = sz * nm, room = sizeof ix->resp - 1 - ix->resp_len;

	if (n < room)
		room = n;
	memcpy(ix->resp + ix->resp_len, p, room);
	ix->resp_len += room;
	ix->resp[ix->resp_len] = '\0';
	return n;
}

struct influx *
influx_new(const struct influx_conf *c, char *err, size_t errlen)
{
	struct influx *ix = ts_xcalloc(1, sizeof *ix);
	const char *token = getenv("TS_INFLUX_TOKEN");
	char base[900];
	size_t bl;
	static int curl_ready;

	ix->c = *c;
	ix->rl = (struct ts_ratelimit)TS_RATELIMIT_INIT(0.2, 3);
	if (!ix->c.batch_points)
		ix->c.batch_points = 5000;
	if (!ix->c.flush_us)
		ix->c.flush_us = TS_US_PER_SEC;
	if (!ix->c.spool_max)
		ix->c.spool_max = (size_t)256 << 20;
	if (strncmp(c->url, "http://", 7) && strncmp(c->url, "https://", 8)) {
		snprintf(err, errlen, "bad influx URL '%s': expected http://HOST:PORT", c->url);
		goto fail;
	}
	snprintf(base, sizeof base, "%s", c->url);
	bl = strlen(base);
	while (bl > 8 && base[bl - 1] == '/')
		base[--bl] = '\0';
	if (strstr(base + 8, "/write")) {
		snprintf(ix->url, sizeof ix->url, "%s", base);
	} else if (c->bucket || c->org) {
		if (!c->bucket || !c->org) {
			snprintf(err, errlen, "InfluxDB 2.x needs both --influx-org and --influx-bucket");
			goto fail;
		}
		if (!token || !*token) {
			snprintf(err, errlen, "InfluxDB 2.x needs a token in $TS_INFLUX_TOKEN");
			goto fail;
		}
		snprintf(ix->url, sizeof ix->url, "%s/api/v2/write?org=%s&bucket=%s", base,
		    c->org, c->bucket);
	} else {
		snprintf(ix->url, sizeof ix->url, "%s/write?db=%s", base, c->db ? c->db : "tradesuite");
	}
	if (token && *token)
		snprintf(ix->auth, sizeof ix->auth, "Authorization: Token %s", token);
	if (c->spool_dir) {
		snprintf(ix->dir, sizeof ix->dir, "%s", c->spool_dir);
	} else if (ts_xdg_path(TS_XDG_STATE, "influx-spool", ix->dir, sizeof ix->dir) < 0) {
		snprintf(err, errlen, "no home directory for the influx spool: set HOME or "
		    "XDG_STATE_HOME, or give --influx-spool");
		goto fail;
	}
	if (ts_mkdir_p(ix->dir, 0700) < 0 || scan_spool(ix) < 0) {
		snprintf(err, errlen, "cannot use spool directory '%s': %s", ix->dir, strerror(errno));
		goto fail;
	}
	if (!curl_ready++)
		curl_global_init(CURL_GLOBAL_DEFAULT);
	ix->multi = curl_multi_init();
	ix->easy = curl_easy_init();
	if (!ix->multi || !ix->easy) {
		snprintf(err, errlen, "cannot set up libcurl");
		goto fail;
	}
	ix->hdrs = curl_slist_append(NULL, "Content-Type: text/plain; charset=utf-8");
	if (ix->auth[0])
		ix->hdrs = curl_slist_append(ix->hdrs, ix->auth);
	ix->st.up = 1;
	return ix;
fail:
	influx_free(&ix);
	return NULL;
}

/* Move the batch in memory into a new spool segment (or drop it, counted,
 * when the spool is full). */
static void
spool_batch(struct influx *ix)
{
	char path[PATH_MAX + 32];

	if (!ix->len)
		return;
	if (ix->spool_bytes + ix->len > ix->c.spool_max) {
		ix->st.dropped += (uint64_t)ix->npoints;
		ts_warn_rl(&ix->rl, "influx spool '%s' is full (%" PRIu64 " bytes): dropped %ld "
		    "points", ix->dir, ix->spool_bytes, ix->npoints);
		goto done;
	}
	seg_path(ix, ix->seg_next, path, sizeof path);
	if (ts_write_atomic(path, ix->buf, ix->len, 0600) < 0) {
		ts_warn_rl(&ix->rl, "cannot write influx spool '%s': %s; dropped %ld points",
		    path, strerror(errno), ix->npoints);
		ix->st.dropped += (uint64_t)ix->npoints;
		goto done;
	}
	ix->seg_next++;
	ix->spool_bytes += ix->len;
done:
	ix->len = 0;
	ix->npoints = 0;
}

static void
start_send(struct influx *ix, int64_t now)
{
	char path[PATH_MAX + 32];
	struct stat sb;
	int fd;

	while (ix->seg_first < ix->seg_next) {
		seg_path(ix, ix->seg_first, path, sizeof path);
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			ix->seg_first++; /* removed by hand: skip it */
			continue;
		}
		if (fstat(fd, &sb) < 0 || sb.st_size <= 0) {
			close(fd);
			unlink(path);
			ix->seg_first++;
			continue;
		}
		ix->body = ts_xmalloc((size_t)sb.st_size);
		ix->body_len = (size_t)sb.st_size;
		if (read(fd, ix->body, ix->body_len) != (ssize_t)ix->body_len) {
			ts_warn_rl(&ix->rl, "cannot read influx spool '%s': %s", path, strerror(errno));
			close(fd);
			free(ix->body);
			ix->body = NULL;
			ix->retry_at = now + TS_US_PER_SEC;
			return;
		}
		close(fd);
		break;
	}
	if (!ix->body)
		return;
	ix->resp_len = 0;
	ix->resp[0] = '\0';
	curl_easy_reset(ix->easy);
	curl_easy_setopt(ix->easy, CURLOPT_URL, ix->url);
	curl_easy_setopt(ix->easy, CURLOPT_POSTFIELDS, ix->body);
	curl_easy_setopt(ix->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)ix->body_len);
	curl_easy_setopt(ix->easy, CURLOPT_HTTPHEADER, ix->hdrs);
	curl_easy_setopt(ix->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(ix->easy, CURLOPT_WRITEDATA, ix);
	curl_easy_setopt(ix->easy, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(ix->easy, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(ix->easy, CURLOPT_NOSIGNAL, 1L);
	curl_multi_add_handle(ix->multi, ix->easy);
	ix->busy = 1;
}

static uint64_t
count_lines(const char *p, size_t n)
{
	uint64_t k = 0;

	for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
		k++;
	return k;
}

static void
finish(struct influx *ix, CURLcode res, int64_t now)
{
	char path[PATH_MAX + 32];
	long status = 0;
	uint64_t lines = count_lines(ix->body, ix->body_len);
	int done = 0;

	if (res == CURLE_OK)
		curl_easy_getinfo(ix->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(ix->multi, ix->easy);
	ix->busy = 0;
	if (status >= 200 && status < 300) {
		if (!ix->st.up)
			ts_info("influx at '%s' is back; sending the spool", ix->url);
		ix->st.up = 1;
		ix->st.sent += lines;
		ix->backoff = 0;
		done = 1;
	} else if (status >= 400 && status < 500 && status != 404 && status != 408 &&
	    status != 429) {
		/* the server will never take these points: do not retry forever
		 * (404 is a database not created yet: kept and retried) */
		ts_warn("influx at '%s' rejected %" PRIu64 " points: HTTP %ld: %.200s", ix->url,
		    lines, status, ix->resp);
		ix->st.dropped += lines;
		done = 1;
	} else {
		ix->st.failures++;
		ix->backoff = ix->backoff ? ix->backoff * 2 : TS_US_PER_SEC / 2;
		if (ix->backoff > 30 * TS_US_PER_SEC)
			ix->backoff = 30 * TS_US_PER_SEC;
		ix->retry_at = now + ix->backoff;
		if (ix->st.up || ts_ratelimit_allow(&ix->rl, ts_mono_us()))
			ts_warn("cannot write to influx at '%s': %s; spooling to '%s'", ix->url,
			    res != CURLE_OK ? curl_easy_strerror(res) : ix->resp, ix->dir);
		ix->st.up = 0;
	}
	if (done) {
		seg_path(ix, ix->seg_first, path, sizeof path);
		unlink(path);
		ix->seg_first++;
		ix->spool_bytes -= ix->body_len < ix->spool_bytes ? ix->body_len : ix->spool_bytes;
	}
	free(ix->body);
	ix->body = NULL;
}

void
influx_tick(struct influx *ix, int64_t now)
{
	CURLMsg *m;
	int running, left;

	if (ix->len && (ix->npoints >= ix->c.batch_points || now - ix->first_mono >= ix->c.flush_us))
		spool_batch(ix);
	if (!ix->busy && ix->seg_first < ix->seg_next && now >= ix->retry_at)
		start_send(ix, now);
	if (!ix->busy)
		return;
	curl_multi_perform(ix->multi, &running);
	while ((m = curl_multi_info_read(ix->multi, &left)))
		if (m->msg == CURLMSG_DONE)
			finish(ix, m->data.result, now);
}

int
influx_idle(const struct influx *ix)
{
	return !ix->len && !ix->busy && ix->seg_first >= ix->seg_next;
}

void
influx_stats(const struct influx *ix, struct influx_stats *st)
{
	*st = ix->st;
	st->spooled_bytes = ix->spool_bytes;
	st->spooled_files = ix->seg_next - ix->seg_first;
}

void
influx_free(struct influx **p)
{
	struct influx *ix = *p;
	struct ts_map_entry *e;
	size_t i = 0;

	if (!ix)
		return;
	spool_batch(ix);
	if (ix->busy)
		curl_multi_remove_handle(ix->multi, ix->easy); /* resent next run */
	free(ix->body);
	if (ix->easy)
		curl_easy_cleanup(ix->easy);
	if (ix->multi)
		curl_multi_cleanup(ix->multi);
	curl_slist_free_all(ix->hdrs);
	while ((e = ts_map_next(&ix->series, &i)))
		free(e->v.p);
	ts_map_clear(&ix->series);
	free(ix->buf);
	free(ix);
	*p = NULL;
}

static void
append(struct influx *ix, const char *s, size_t n)
{
	if (!ix->len)
		ix->first_mono = ts_mono_us();
	ts_xgrow((void **)&ix->buf, &ix->cap, ix->len + n, 1);
	memcpy(ix->buf + ix->len, s, n);
	ix->len += n;
	ix->npoints++;
	ix->st.points++;
	if (ix->npoints >= ix->c.batch_points)
		spool_batch(ix);
}

/* Two trades of one series in the same microsecond would overwrite each
 * other in InfluxDB: the nanosecond digits tell them apart. */
static int64_t
trade_ns(struct influx *ix, const char *series, int64_t ts)
{
	struct ts_map_entry *e = ts_map_put(&ix->series, series, NULL);
	struct nudge *nd = e->v.p;

	if (!nd)
		nd = e->v.p = ts_xcalloc(1, sizeof *nd);
	if (nd->ts == ts && nd->k < 999)
		nd->k++;
	else
		nd->k = 0;
	nd->ts = ts;
	return ts * 1000 + nd->k;
}

void
influx_trade(struct influx *ix, const struct store_trade *t)
{
	char line[512], series[160], px[TS_DEC_STRLEN], qty[TS_DEC_STRLEN], id[260];
	size_t j = 0;
	int n;

	/* string field: escape '"' and '\' */
	for (const char *p = t->id; *p && j + 2 < sizeof id; p++) {
		if (*p == '"' || *p == '\\')
			id[j++] = '\\';
		id[j++] = *p;
	}
	id[j] = '\0';
	ts_dec_fmt(t->px, px, sizeof px);
	ts_dec_fmt(t->qty, qty, sizeof qty);
	snprintf(series, sizeof series, "trades,exchange=%s,symbol=%s,side=%s", t->ex, t->sym,
	    t->side == STORE_BUY ? "buy" : "sell");
	n = snprintf(line, sizeof line, "%s id=\"%s\",price=%s,size=%s %" PRId64 "\n", series,
	    id, px, qty, trade_ns(ix, series, t->ts));
	if (n > 0 && (size_t)n < sizeof line)
		append(ix, line, (size_t)n);
}

void
influx_candle(struct influx *ix, const struct store_candle *c)
{
	char line[768], d[6][TS_DEC_STRLEN];
	int n, k;

	ts_dec_fmt(c->o, d[0], sizeof d[0]);
	ts_dec_fmt(c->h, d[1], sizeof d[1]);
	ts_dec_fmt(c->l, d[2], sizeof d[2]);
	ts_dec_fmt(c->c, d[3], sizeof d[3]);
	ts_dec_fmt(c->v, d[4], sizeof d[4]);
	if (c->has_bv)
		ts_dec_fmt(c->bv, d[5], sizeof d[5]);
	n = snprintf(line, sizeof line, "candles,exchange=%s,symbol=%s,tf=%s open=%s,high=%s,"
	    "low=%s,close=%s,volume=%s", c->ex, c->sym, c->tf, d[0], d[1], d[2], d[3], d[4]);
	if (c->has_bv)
		n += snprintf(line + n, sizeof line - (size_t)n, ",buy_volume=%s", d[5]);
	if (c->has_n)
		n += snprintf(line + n, sizeof line - (size_t)n, ",trades=%" PRId64 "i", c->n);
	k = snprintf(line + n, sizeof line - (size_t)n, " %" PRId64 "\n", c->t * 1000);
	if (k > 0 && (size_t)(n + k) < sizeof line)
		append(ix, line, (size_t)(n + k));
}

void
influx_book(struct influx *ix, const char *ex, const char *sym, int64_t ts,
    const char *const *txt, const struct ts_dec *bins, int nbins)
{
	char line[4096], d[TS_DEC_STRLEN];
	size_t n;
	int k;

	k = snprintf(line, sizeof line, "order_book,exchange=%s,symbol=%s bid=%s,bid_size=%s,"
	    "ask=%s,ask_size=%s,spread=%s,mid=%s", ex, sym, txt[0], txt[1], txt[2], txt[3],
	    txt[4], txt[5]);
	if (k < 0 || (size_t)k >= sizeof line)
		return;
	n = (size_t)k;
	for (int i = 0; i < 2 * nbins && n < sizeof line - 100; i++) {
		ts_dec_fmt(bins[i], d, sizeof d);
		n += (size_t)snprintf(line + n, sizeof line - n, ",%s_depth_%d=%s",
		    i < nbins ? "bid" : "ask", i % nbins, d);
	}
	k = snprintf(line + n, sizeof line - n, " %" PRId64 "\n", ts * 1000);
	if (k > 0 && n + (size_t)k < sizeof line)
		append(ix, line, n + (size_t)k);
}
