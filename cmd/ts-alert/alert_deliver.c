/* alert_deliver.c: the delivery worker, a child process fed through a pipe
 *
 * Evaluation never waits for a webhook: the main process writes each alert
 * (one record of at most PIPE_BUF bytes, so a write is all or nothing) to a
 * non-blocking pipe and goes on. The worker, a single-threaded child forked
 * before any ZeroMQ context exists, runs commands, POSTs webhooks and sends
 * mail, retrying failures with exponential backoff. */
#include "alert.h"
#include "http.h"
#include "log.h"
#include "tm.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jv.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 4096
#define RECORD_MAX (PIPE_BUF - 16)
#define BACKOFF_CAP (600 * TS_US_PER_SEC)
#define COMMAND_TIMEOUT_MS 30000
#define DRAIN_GRACE (10 * TS_US_PER_SEC)

/* ---- the main process's side -------------------------------------------- */

static void
rec_add(char *buf, size_t *o, char tag, const char *s)
{
	size_t n = strlen(s);

	if (*o + n + 3 > RECORD_MAX) {
		*o = RECORD_MAX + 1; /* mark as too long */
		return;
	}
	buf[(*o)++] = tag;
	memcpy(buf + *o, s, n);
	*o += n;
	buf[(*o)++] = '\n';
}

int
alert_delivery_queue(int fd, const char *alert_json, size_t len,
    char *const *targets, int ntargets, const struct alert_settings *set)
{
	char rec[RECORD_MAX + 8], json[RECORD_MAX];
	size_t o = 0;
	ssize_t w;

	if (ntargets <= 0 || fd < 0)
		return 0;
	if (len >= sizeof json)
		return errno = EMSGSIZE, -1;
	memcpy(json, alert_json, len);
	json[len] = '\0';
	rec_add(rec, &o, 'A', json);
	for (int i = 0; i < ntargets; i++)
		rec_add(rec, &o, 'T', targets[i]);
	if (set->smtp_url) rec_add(rec, &o, 'U', set->smtp_url);
	if (set->smtp_from) rec_add(rec, &o, 'F', set->smtp_from);
	if (set->smtp_user) rec_add(rec, &o, 'N', set->smtp_user);
	if (set->smtp_tls) rec_add(rec, &o, 'L', set->smtp_tls);
	if (set->smtp_cacert) rec_add(rec, &o, 'C', set->smtp_cacert);
	if (o > RECORD_MAX)
		return errno = EMSGSIZE, -1;
	{
		/* "LEN\n" then the record, in one write of at most PIPE_BUF bytes */
		char out[PIPE_BUF];
		int h = snprintf(out, sizeof out, "%zu\n", o);
		if ((size_t)h + o > sizeof out)
			return errno = EMSGSIZE, -1;
		memcpy(out + h, rec, o);
		o += (size_t)h;
		do
			w = write(fd, out, o);
		while (w < 0 && errno == EINTR);
	}
	return w == (ssize_t)o ? 0 : -1;
}

/* ---- formatting --------------------------------------------------------- */

static const char *
jstr(jv o, const char *k, char *buf, size_t n)
{
	jv v = jv_object_get(jv_copy(o), jv_string(k));

	buf[0] = '\0';
	if (jv_get_kind(v) == JV_KIND_STRING) {
		snprintf(buf, n, "%s", jv_string_value(v));
	} else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
		jv s = jv_dump_string(jv_copy(v), 0);
		snprintf(buf, n, "%s", jv_string_value(s));
		jv_free(s);
	}
	jv_free(v);
	return buf;
}

size_t
alert_text(const char *alert_json, size_t len, char *buf, size_t n)
{
	jv o = jv_parse_sized(alert_json, (int)len);
	char rule[80], ex[40], sym[60], cond[600], value[64], thr[64], ts[40];
	size_t r;

	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(o);
		return (size_t)snprintf(buf, n, "alert");
	}
	jstr(o, "rule", rule, sizeof rule);
	jstr(o, "ex", ex, sizeof ex);
	jstr(o, "sym", sym, sizeof sym);
	jstr(o, "cond", cond, sizeof cond);
	jstr(o, "value", value, sizeof value);
	jstr(o, "threshold", thr, sizeof thr);
	jstr(o, "ts", ts, sizeof ts);
	if (ts[0]) {
		int64_t us = strtoll(ts, NULL, 10);
		ts_rfc3339_fmt(us, ts, sizeof ts);
	}
	r = (size_t)snprintf(buf, n, "%s: %s:%s %s (value %s) at %s", rule, ex, sym, cond,
	    value, ts);
	jv_free(o);
	return r < n ? r : n ? n - 1 : 0;
}

/* ---- the worker --------------------------------------------------------- */

struct job {
	char *alert;       /* the alert JSON */
	char *target;
	char *smtp_url, *smtp_from, *smtp_user, *smtp_tls, *smtp_cacert;
	int attempt;
	int64_t due;       /* monotonic */
};

struct worker {
	struct alert_delivery_opts o;
	struct job *jobs;
	size_t n, cap;
	uint64_t delivered, failed, dropped;
};

static void
job_free(struct job *j)
{
	free(j->alert);
	free(j->target);
	free(j->smtp_url);
	free(j->smtp_from);
	free(j->smtp_user);
	free(j->smtp_tls);
	free(j->smtp_cacert);
}

/* What to print for a target: its kind and, for URLs, scheme and host
 * only, since paths and queries carry tokens. */
static void
redact(const char *t, char *buf, size_t n)
{
	const char *p = strstr(t, "://");
	const char *colon = strchr(t, ':');

	if (!strncmp(t, "command:", 8) || !strncmp(t, "mail:", 5) || !p) {
		snprintf(buf, n, "%s", t);
		return;
	}
	{
		const char *host_end = strchr(p + 3, '/');
		int hl = host_end ? (int)(host_end - t) : (int)strlen(t);
		(void)colon;
		snprintf(buf, n, "%.*s/…", hl, t);
	}
}

/* Replace ${NAME} with the environment's value. -1 with *why when unset. */
static char *
expand(const char *s, char *err, size_t errlen)
{
	char *out = NULL;
	size_t cap = 0, o = 0;

	for (const char *p = s; *p;) {
		const char *v = NULL;
		size_t vn;
		if (p[0] == '$' && p[1] == '{') {
			const char *e = strchr(p + 2, '}');
			char name[128];
			if (e && (size_t)(e - p - 2) < sizeof name) {
				memcpy(name, p + 2, (size_t)(e - p - 2));
				name[e - p - 2] = '\0';
				if (!(v = getenv(name))) {
					snprintf(err, errlen, "environment variable '%s' is not set", name);
					free(out);
					return NULL;
				}
				p = e + 1;
			}
		}
		if (!v) {
			v = p++;
			vn = 1;
		} else {
			vn = strlen(v);
		}
		ts_xgrow((void **)&out, &cap, o + vn + 1, 1);
		memcpy(out + o, v, vn);
		o += vn;
	}
	ts_xgrow((void **)&out, &cap, o + 1, 1);
	out[o] = '\0';
	return out;
}

enum { D_OK, D_RETRY, D_PERM };

static int
http_result(int rc, struct ts_http_resp *resp, char *err, size_t errlen,
    int64_t *retry_after)
{
	if (rc < 0) {
		snprintf(err, errlen, "%s", resp->err);
		return D_RETRY;
	}
	if (resp->status >= 200 && resp->status < 300)
		return D_OK;
	snprintf(err, errlen, "HTTP %ld", resp->status);
	if (resp->retry_after > 0)
		*retry_after = resp->retry_after * TS_US_PER_SEC;
	if (resp->status == 408 || resp->status == 429 || resp->status >= 500)
		return D_RETRY;
	return D_PERM;
}

static int
deliver_http(struct worker *w, const struct job *j, const char *url, char *err,
    size_t errlen, int64_t *retry_after)
{
	struct ts_http_resp resp;
	char text[1024], title[160];
	const char *hdrs[4] = { NULL };
	jv body;
	int rc, res;

	alert_text(j->alert, strlen(j->alert), text, sizeof text);
	memset(&resp, 0, sizeof resp);
	if (!strncmp(j->target, "webhook:", 8)) {
		rc = ts_http_post(url, "application/json", j->alert, strlen(j->alert), NULL,
		    w->o.timeout_ms, &resp);
	} else if (!strncmp(j->target, "ntfy:", 5)) {
		char *colon = strchr(text, ':');
		snprintf(title, sizeof title, "Title: ts-alert %.*s",
		    colon ? (int)(colon - text) : 60, text);
		hdrs[0] = title;
		hdrs[1] = "Tags: chart_with_upwards_trend";
		rc = ts_http_post(url, "text/plain; charset=utf-8", text, strlen(text), hdrs,
		    w->o.timeout_ms, &resp);
	} else {
		/* Discord reads "content", Slack "text" */
		const char *key = !strncmp(j->target, "discord:", 8) ? "content" : "text";
		jv s;
		body = jv_object_set(jv_object(), jv_string(key), jv_string(text));
		s = jv_dump_string(body, 0);
		rc = ts_http_post(url, "application/json", jv_string_value(s),
		    (size_t)jv_string_length_bytes(jv_copy(s)), NULL, w->o.timeout_ms, &resp);
		jv_free(s);
	}
	res = http_result(rc, &resp, err, errlen, retry_after);
	ts_http_resp_free(&resp);
	return res;
}

static void
set_env_from(jv o, const char *key, const char *var)
{
	char buf[1024];
	setenv(var, jstr(o, key, buf, sizeof buf), 1);
}

static int
deliver_command(struct worker *w, const struct job *j, char *err, size_t errlen)
{
	int in[2], status;
	pid_t pid;
	int64_t deadline;
	size_t len = strlen(j->alert);

	(void)w;
	if (pipe2(in, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return D_RETRY;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		return D_RETRY;
	}
	if (pid == 0) {
		jv o = jv_parse(j->alert);
		char text[1024], tb[40], ts[40];
		dup2(in[0], 0);
		signal(SIGPIPE, SIG_DFL);
		if (jv_get_kind(o) == JV_KIND_OBJECT) {
			set_env_from(o, "rule", "TS_ALERT_RULE");
			set_env_from(o, "ex", "TS_ALERT_EX");
			set_env_from(o, "sym", "TS_ALERT_SYM");
			set_env_from(o, "cond", "TS_ALERT_COND");
			set_env_from(o, "value", "TS_ALERT_VALUE");
			set_env_from(o, "threshold", "TS_ALERT_THRESHOLD");
			set_env_from(o, "ts", "TS_ALERT_TS");
			ts_rfc3339_fmt(strtoll(jstr(o, "ts", ts, sizeof ts), NULL, 10), tb, sizeof tb);
			setenv("TS_ALERT_TIME", tb, 1);
		}
		alert_text(j->alert, len, text, sizeof text);
		setenv("TS_ALERT_TEXT", text, 1);
		setenv("TS_ALERT_JSON", j->alert, 1);
		execl("/bin/sh", "sh", "-c", j->target + 8, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	{
		/* the alert and a newline; a command that ignores stdin is fine */
		size_t off = 0;
		while (off < len) {
			ssize_t r = write(in[1], j->alert + off, len - off);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			off += (size_t)r;
		}
		if (off == len)
			(void)!write(in[1], "\n", 1);
		close(in[1]);
	}
	deadline = ts_mono_us() + COMMAND_TIMEOUT_MS * 1000;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return D_RETRY;
		}
		if (ts_mono_us() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(err, errlen, "timed out after %ds (killed)", COMMAND_TIMEOUT_MS / 1000);
			return D_RETRY;
		}
		{
			struct timespec ts = { 0, 5 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return D_OK;
	if (WIFEXITED(status))
		snprintf(err, errlen, "exited %d", WEXITSTATUS(status));
	else
		snprintf(err, errlen, "killed by signal %d", WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? D_PERM : D_RETRY;
}

struct mailbuf {
	const char *p;
	size_t left;
};

static size_t
mail_read(char *buf, size_t size, size_t n, void *arg)
{
	struct mailbuf *m = arg;
	size_t k = size * n < m->left ? size * n : m->left;

	memcpy(buf, m->p, k);
	m->p += k;
	m->left -= k;
	return k;
}

static int
deliver_mail(struct worker *w, const struct job *j, char *err, size_t errlen)
{
	const char *to = j->target + 5, *pw = getenv("TS_ALERT_SMTP_PASSWORD");
	char text[1024], date[64], from[300], rcpt[300], *msg = NULL;
	struct curl_slist *rcpts = NULL;
	struct mailbuf mb;
	size_t mlen = 0;
	time_t now = time(NULL);
	struct tm tm;
	CURL *c;
	CURLcode rc;
	FILE *f;

	if (!j->smtp_url || !j->smtp_from) {
		snprintf(err, errlen, "no 'set smtp URL' and 'set smtp-from ADDRESS' in the rules file");
		return D_PERM;
	}
	alert_text(j->alert, strlen(j->alert), text, sizeof text);
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (!(f = open_memstream(&msg, &mlen)))
		ts_die(TS_EXIT_TEMP, "out of memory");
	fprintf(f, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: [ts-alert] %s\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n\r\n%s\r\n",
	    date, j->smtp_from, to, text, text, j->alert);
	fclose(f);
	mb.p = msg;
	mb.left = mlen;
	snprintf(from, sizeof from, "<%s>", j->smtp_from);
	snprintf(rcpt, sizeof rcpt, "<%s>", to);
	rcpts = curl_slist_append(rcpts, rcpt);
	if (!(c = curl_easy_init())) {
		free(msg);
		curl_slist_free_all(rcpts);
		snprintf(err, errlen, "cannot initialise curl");
		return D_RETRY;
	}
	curl_easy_setopt(c, CURLOPT_URL, j->smtp_url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &mb);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, w->o.timeout_ms);
	if (!strncmp(j->smtp_url, "smtp://", 7) && !(j->smtp_tls && !strcmp(j->smtp_tls, "none")))
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL); /* STARTTLS, required */
	if (j->smtp_cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, j->smtp_cacert);
	if (j->smtp_user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, j->smtp_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pw ? pw : "");
	}
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpts);
	free(msg);
	if (rc == CURLE_OK)
		return D_OK;
	snprintf(err, errlen, "%s", curl_easy_strerror(rc));
	return rc == CURLE_LOGIN_DENIED || rc == CURLE_URL_MALFORMAT ||
	    rc == CURLE_UNSUPPORTED_PROTOCOL ? D_PERM : D_RETRY;
}

static void
attempt(struct worker *w, struct job *j, int64_t now)
{
	char err[512] = "", shown[300], rule[80] = "";
	int64_t retry_after = 0, backoff;
	int res;
	char *url = NULL;
	const char *colon = strchr(j->target, ':');
	jv o = jv_parse(j->alert);

	jstr(o, "rule", rule, sizeof rule);
	jv_free(o);
	redact(j->target, shown, sizeof shown);
	j->attempt++;
	if (!strncmp(j->target, "command:", 8)) {
		res = deliver_command(w, j, err, sizeof err);
	} else if (!strncmp(j->target, "mail:", 5)) {
		res = deliver_mail(w, j, err, sizeof err);
	} else if (!(url = expand(colon + 1, err, sizeof err))) {
		res = D_PERM;
	} else {
		res = deliver_http(w, j, url, err, sizeof err, &retry_after);
	}
	free(url);
	if (res == D_OK) {
		w->delivered++;
		ts_info("delivered alert '%s' to %s", rule, shown);
		j->due = -1;
		return;
	}
	if (res == D_PERM || j->attempt >= w->o.max_attempts) {
		w->failed++;
		ts_warn("cannot deliver alert '%s' to %s: %s; giving up after %d attempt%s",
		    rule, shown, err, j->attempt, j->attempt == 1 ? "" : "s");
		j->due = -1;
		return;
	}
	backoff = w->o.retry_base_us << (j->attempt - 1 < 20 ? j->attempt - 1 : 20);
	if (backoff > BACKOFF_CAP)
		backoff = BACKOFF_CAP;
	if (retry_after > backoff)
		backoff = retry_after < BACKOFF_CAP ? retry_after : BACKOFF_CAP;
	j->due = now + backoff;
	ts_warn("cannot deliver alert '%s' to %s: %s; retry %d of %d in %.1fs", rule, shown,
	    err, j->attempt + 1, w->o.max_attempts, (double)backoff / 1e6);
}

static void
take_record(struct worker *w, char *rec, size_t n, int64_t now)
{
	struct job base;
	char *targets[ALERT_MAX_NOTIFY * 2];
	int nt = 0;

	memset(&base, 0, sizeof base);
	rec[n] = '\0';
	for (char *line = rec, *nl; *line; line = nl + 1) {
		if (!(nl = strchr(line, '\n')))
			break;
		*nl = '\0';
		switch (line[0]) {
		case 'A': base.alert = line + 1; break;
		case 'T': if (nt < (int)(sizeof targets / sizeof *targets)) targets[nt++] = line + 1; break;
		case 'U': base.smtp_url = line + 1; break;
		case 'F': base.smtp_from = line + 1; break;
		case 'N': base.smtp_user = line + 1; break;
		case 'L': base.smtp_tls = line + 1; break;
		case 'C': base.smtp_cacert = line + 1; break;
		}
	}
	if (!base.alert)
		return;
	for (int i = 0; i < nt; i++) {
		struct job *j;
		if (w->n >= MAX_JOBS) {
			w->dropped++;
			ts_warn("delivery queue full (%d): alert to '%s' dropped", MAX_JOBS,
			    strncmp(targets[i], "command:", 8) ? "…" : "command");
			continue;
		}
		ts_xgrow((void **)&w->jobs, &w->cap, w->n + 1, sizeof *w->jobs);
		j = &w->jobs[w->n++];
		memset(j, 0, sizeof *j);
		j->alert = ts_xstrdup(base.alert);
		j->target = ts_xstrdup(targets[i]);
#define DUP(f) j->f = base.f ? ts_xstrdup(base.f) : NULL
		DUP(smtp_url); DUP(smtp_from); DUP(smtp_user); DUP(smtp_tls); DUP(smtp_cacert);
#undef DUP
		j->due = now;
	}
}

static int
read_full(int fd, char *buf, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t r = read(fd, buf + off, n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

/* Records on the pipe are "LEN\n" + LEN bytes, written in one write. */
static int
read_record(struct worker *w, int fd, int64_t now)
{
	char hdr[16], rec[RECORD_MAX + 1];
	size_t i = 0, len;

	for (;;) {
		ssize_t r = read(fd, hdr + i, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (hdr[i] == '\n')
			break;
		if (++i >= sizeof hdr - 1)
			return -1;
	}
	hdr[i] = '\0';
	len = strtoul(hdr, NULL, 10);
	if (len > RECORD_MAX || read_full(fd, rec, len) < 0)
		return -1;
	take_record(w, rec, len, now);
	return 0;
}

static void
worker_run(int fd, const struct alert_delivery_opts *o)
{
	struct worker w = { 0 };
	int open_ = 1;
	int64_t grace_end = 0;

	w.o = *o;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN); /* the main process decides when to stop */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	while (open_ || w.n) {
		int64_t now = ts_mono_us(), next = -1;
		struct pollfd p = { fd, POLLIN, 0 };
		int timeout;
		size_t k = 0;

		if (!open_ && now > grace_end) {
			if (w.n)
				ts_warn("%zu alert deliveries still pending at exit were dropped", w.n);
			break;
		}
		for (size_t i = 0; i < w.n; i++)
			if (next < 0 || w.jobs[i].due < next)
				next = w.jobs[i].due;
		timeout = next < 0 ? -1 : next <= now ? 0 : (int)((next - now) / 1000 + 1);
		if (!open_ && (timeout < 0 || timeout > (grace_end - now) / 1000 + 1))
			timeout = (int)((grace_end - now) / 1000 + 1);
		if (poll(&p, open_ ? 1 : 0, timeout) > 0 && open_) {
			if (read_record(&w, fd, ts_mono_us()) < 0) {
				open_ = 0;
				grace_end = ts_mono_us() + DRAIN_GRACE;
			}
		}
		now = ts_mono_us();
		for (size_t i = 0; i < w.n; i++)
			if (w.jobs[i].due >= 0 && w.jobs[i].due <= now)
				attempt(&w, &w.jobs[i], now);
		for (size_t i = 0; i < w.n; i++) {
			if (w.jobs[i].due < 0)
				job_free(&w.jobs[i]);
			else
				w.jobs[k++] = w.jobs[i];
		}
		w.n = k;
	}
	free(w.jobs);
	curl_global_cleanup();
}

int
alert_delivery_start(const struct alert_delivery_opts *o, int *pid)
{
	int p[2], sz = 1 << 20;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	if ((*pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (*pid == 0) {
		close(p[1]);
		worker_run(p[0], o);
		_exit(0);
	}
	close(p[0]);
	(void)fcntl(p[1], F_SETPIPE_SZ, sz); /* room for a burst while a webhook hangs */
	fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
	return p[1];
}
