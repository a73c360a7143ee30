/* alert_deliver.c: the delivery worker, a child process fed through a pipe
 *
 * Evaluation never waits for a webhook: the main process writes each alert
 * (one record of at most PIPE_BUF bytes, so a write is all or nothing) to a
 * non-blocking pipe and goes on. The worker, a single-threaded child forked
 * before any ZeroMQ context exists, runs commands, POSTs webhooks and sends
 * mail, many at once but one at a time per target, retrying failures with
 * exponential backoff. */
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
#include <strings.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 4096        /* alerts waiting, all targets */
#define MAX_PER_TARGET 1024  /* so one dead target cannot take the whole queue */
#define MAX_RUNNING 64       /* deliveries in flight */
#define COMMAND_TICK_MS 20   /* how often to look for ended commands without pidfd */
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

/* Every target has its own queue. At most one delivery to a target is in
 * flight, so a hung server holds one connection and delays only its own
 * alerts, while other targets proceed side by side: webhooks and mail as
 * transfers of one curl multi handle, commands as child processes. */

struct mailbuf {
	const char *p;
	size_t left;
};

enum { J_WAIT, J_HTTP, J_CMD };

struct job {
	char *alert;       /* the alert JSON */
	char *target;
	char *smtp_url, *smtp_from, *smtp_user, *smtp_tls, *smtp_cacert;
	struct tqueue *q;  /* its target's queue */
	int attempt;
	int64_t due;       /* monotonic; -1 once finished */
	int state;         /* J_WAIT, or what is running */
	char rule[80];     /* for the log */
	/* a running transfer */
	CURL *easy;
	struct curl_slist *hdrs, *rcpts;
	char *body;        /* request body or mail message (owned) */
	size_t body_len;
	struct mailbuf mb;
	long retry_after;  /* seconds, from a Retry-After header */
	char errbuf[CURL_ERROR_SIZE];
	/* a running command */
	pid_t pid;
	int pidfd;         /* readable when the child exits; -1: poll for it */
	int64_t deadline;
};

struct tqueue {
	size_t queued;     /* unfinished jobs for this target */
	int busy;          /* one of them is in flight */
};

struct worker {
	struct alert_delivery_opts o;
	struct job **jobs; /* in arrival order */
	size_t n, cap;
	struct ts_map targets; /* target -> struct tqueue * */
	CURLM *multi;
	int running;
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
	free(j);
}

/* What to print for a target: its kind and, for URLs, scheme and host
 * only, since paths and queries carry tokens. */
static void
redact(const char *t, char *buf, size_t n)
{
	const char *p = strstr(t, "://");

	if (!strncmp(t, "command:", 8) || !strncmp(t, "mail:", 5) || !p) {
		snprintf(buf, n, "%s", t);
		return;
	}
	{
		const char *host_end = strchr(p + 3, '/');
		int hl = host_end ? (int)(host_end - t) : (int)strlen(t);
		snprintf(buf, n, "%.*s/…", hl, t);
	}
}

/* Replace ${NAME} with the environment's value. NULL with err when unset. */
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

/* A finished attempt: log it, and retry with backoff or forget the job. */
static void
settle_job(struct worker *w, struct job *j, int res, const char *err, int64_t retry_after)
{
	char shown[300];
	int64_t backoff;

	redact(j->target, shown, sizeof shown);
	j->state = J_WAIT;
	j->q->busy = 0;
	if (res == D_OK) {
		w->delivered++;
		ts_info("delivered alert '%s' to %s", j->rule, shown);
		j->due = -1;
		return;
	}
	if (res == D_PERM || j->attempt >= w->o.max_attempts) {
		w->failed++;
		ts_warn("cannot deliver alert '%s' to %s: %s; giving up after %d attempt%s",
		    j->rule, shown, err, j->attempt, j->attempt == 1 ? "" : "s");
		j->due = -1;
		return;
	}
	backoff = w->o.retry_base_us << (j->attempt - 1 < 20 ? j->attempt - 1 : 20);
	if (backoff > BACKOFF_CAP)
		backoff = BACKOFF_CAP;
	if (retry_after > backoff)
		backoff = retry_after < BACKOFF_CAP ? retry_after : BACKOFF_CAP;
	j->due = ts_mono_us() + backoff;
	ts_warn("cannot deliver alert '%s' to %s: %s; retry %d of %d in %.1fs", j->rule, shown,
	    err, j->attempt + 1, w->o.max_attempts, (double)backoff / 1e6);
}

/* ---- webhooks and mail: transfers of the multi handle ------------------- */

static size_t
discard_body(char *p, size_t size, size_t n, void *arg)
{
	(void)p, (void)arg;
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct job *j = arg;
	size_t n = size * nmemb;

	if (n > 12 && !strncasecmp(p, "Retry-After:", 12))
		j->retry_after = strtol(p + 12, NULL, 10);
	return n;
}

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

static CURL *
new_easy(struct worker *w, struct job *j, const char *url)
{
	CURL *c = curl_easy_init();

	if (!c)
		return NULL;
	j->errbuf[0] = '\0';
	j->retry_after = -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PRIVATE, j);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, w->o.timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tradesuite/0.1");
	return c;
}

/* Set up j's POST in its target's format; D_OK when it is under way. */
static int
start_http(struct worker *w, struct job *j, char *err, size_t errlen)
{
	const char *colon = strchr(j->target, ':');
	char text[1024], title[160], *url;
	const char *ctype = "Content-Type: application/json";

	if (!(url = expand(colon + 1, err, errlen)))
		return D_PERM;
	alert_text(j->alert, strlen(j->alert), text, sizeof text);
	if (!strncmp(j->target, "webhook:", 8)) {
		j->body = ts_xstrdup(j->alert);
	} else if (!strncmp(j->target, "ntfy:", 5)) {
		char *c2 = strchr(text, ':');
		snprintf(title, sizeof title, "Title: ts-alert %.*s",
		    c2 ? (int)(c2 - text) : 60, text);
		ctype = "Content-Type: text/plain; charset=utf-8";
		j->hdrs = curl_slist_append(j->hdrs, title);
		j->hdrs = curl_slist_append(j->hdrs, "Tags: chart_with_upwards_trend");
		j->body = ts_xstrdup(text);
	} else {
		/* Discord reads "content", Slack "text" */
		const char *key = !strncmp(j->target, "discord:", 8) ? "content" : "text";
		jv s = jv_dump_string(jv_object_set(jv_object(), jv_string(key), jv_string(text)), 0);
		j->body = ts_xstrdup(jv_string_value(s));
		jv_free(s);
	}
	j->body_len = strlen(j->body);
	j->hdrs = curl_slist_append(j->hdrs, ctype);
	j->hdrs = curl_slist_append(j->hdrs, "Expect:");
	j->easy = new_easy(w, j, url);
	free(url);
	if (!j->easy) {
		snprintf(err, errlen, "cannot initialise curl");
		return D_RETRY;
	}
	curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->hdrs);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE, (long)j->body_len);
	return D_OK;
}

static int
start_mail(struct worker *w, struct job *j, char *err, size_t errlen)
{
	const char *to = j->target + 5, *pw = getenv("TS_ALERT_SMTP_PASSWORD");
	char text[1024], date[64], addr[300];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;

	if (!j->smtp_url || !j->smtp_from) {
		snprintf(err, errlen, "no 'set smtp URL' and 'set smtp-from ADDRESS' in the rules file");
		return D_PERM;
	}
	alert_text(j->alert, strlen(j->alert), text, sizeof text);
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (!(f = open_memstream(&j->body, &j->body_len)))
		ts_die(TS_EXIT_TEMP, "out of memory");
	fprintf(f, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: [ts-alert] %s\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n\r\n%s\r\n",
	    date, j->smtp_from, to, text, text, j->alert);
	fclose(f);
	j->mb.p = j->body;
	j->mb.left = j->body_len;
	snprintf(addr, sizeof addr, "<%s>", to);
	j->rcpts = curl_slist_append(j->rcpts, addr);
	if (!(j->easy = new_easy(w, j, j->smtp_url))) {
		snprintf(err, errlen, "cannot initialise curl");
		return D_RETRY;
	}
	snprintf(addr, sizeof addr, "<%s>", j->smtp_from);
	curl_easy_setopt(j->easy, CURLOPT_MAIL_FROM, addr); /* curl copies strings */
	curl_easy_setopt(j->easy, CURLOPT_MAIL_RCPT, j->rcpts);
	curl_easy_setopt(j->easy, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(j->easy, CURLOPT_READDATA, &j->mb);
	curl_easy_setopt(j->easy, CURLOPT_UPLOAD, 1L);
	if (!strncmp(j->smtp_url, "smtp://", 7) && !(j->smtp_tls && !strcmp(j->smtp_tls, "none")))
		curl_easy_setopt(j->easy, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL); /* STARTTLS, required */
	if (j->smtp_cacert)
		curl_easy_setopt(j->easy, CURLOPT_CAINFO, j->smtp_cacert);
	if (j->smtp_user) {
		curl_easy_setopt(j->easy, CURLOPT_USERNAME, j->smtp_user);
		curl_easy_setopt(j->easy, CURLOPT_PASSWORD, pw ? pw : "");
	}
	return D_OK;
}

static void
transfer_clear(struct worker *w, struct job *j)
{
	if (j->easy) {
		curl_multi_remove_handle(w->multi, j->easy);
		curl_easy_cleanup(j->easy);
		j->easy = NULL;
	}
	curl_slist_free_all(j->hdrs);
	curl_slist_free_all(j->rcpts);
	j->hdrs = j->rcpts = NULL;
	free(j->body);
	j->body = NULL;
	j->body_len = 0;
}

/* A transfer has ended with curl's code rc. */
static void
transfer_done(struct worker *w, struct job *j, CURLcode rc)
{
	char err[512];
	long status = 0;
	int mail = !strncmp(j->target, "mail:", 5), res;
	int64_t retry_after = 0;

	w->running--;
	if (rc != CURLE_OK) {
		snprintf(err, sizeof err, "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc));
		res = mail && (rc == CURLE_LOGIN_DENIED || rc == CURLE_URL_MALFORMAT ||
		    rc == CURLE_UNSUPPORTED_PROTOCOL) ? D_PERM : D_RETRY;
	} else if (mail) {
		res = D_OK;
	} else {
		curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
		snprintf(err, sizeof err, "HTTP %ld", status);
		if (j->retry_after > 0)
			retry_after = j->retry_after * TS_US_PER_SEC;
		res = status >= 200 && status < 300 ? D_OK :
		    status == 408 || status == 429 || status >= 500 ? D_RETRY : D_PERM;
	}
	transfer_clear(w, j);
	settle_job(w, j, res, err, retry_after);
}

/* ---- commands: child processes ------------------------------------------ */

static void
set_env_from(jv o, const char *key, const char *var)
{
	char buf[1024];
	setenv(var, jstr(o, key, buf, sizeof buf), 1);
}

static int
start_command(struct job *j, char *err, size_t errlen)
{
	int in[2];
	size_t len = strlen(j->alert);
	pid_t pid;

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
		/* no curl sockets or other deliveries' pipes in the command */
		(void)syscall(SYS_close_range, 3U, ~0U, 0U);
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
	/* The alert and a newline fit in an empty pipe (a record is at most
	 * PIPE_BUF), so this never blocks; a command that ignores stdin is
	 * fine. */
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (write(in[1], j->alert, len) == (ssize_t)len)
		(void)!write(in[1], "\n", 1);
	close(in[1]);
	j->pid = pid;
	j->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	j->deadline = ts_mono_us() + COMMAND_TIMEOUT_MS * 1000;
	return D_OK;
}

/* Reap j's child if it has ended (or kill it past its deadline). */
static void
command_check(struct worker *w, struct job *j, int64_t now)
{
	char err[128];
	int status, res;
	pid_t r = waitpid(j->pid, &status, WNOHANG);

	if (r == 0 && now <= j->deadline)
		return;
	if (r == 0) {
		kill(j->pid, SIGKILL);
		while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
			;
		snprintf(err, sizeof err, "timed out after %ds (killed)", COMMAND_TIMEOUT_MS / 1000);
		res = D_RETRY;
	} else if (r < 0) {
		if (errno == EINTR)
			return;
		snprintf(err, sizeof err, "waitpid: %s", strerror(errno));
		res = D_RETRY;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		err[0] = '\0';
		res = D_OK;
	} else {
		if (WIFEXITED(status))
			snprintf(err, sizeof err, "exited %d", WEXITSTATUS(status));
		else
			snprintf(err, sizeof err, "killed by signal %d", WTERMSIG(status));
		res = WIFEXITED(status) && WEXITSTATUS(status) == 127 ? D_PERM : D_RETRY;
	}
	if (j->pidfd >= 0)
		close(j->pidfd);
	j->pidfd = -1;
	j->pid = 0;
	w->running--;
	settle_job(w, j, res, err, 0);
}

/* ---- scheduling --------------------------------------------------------- */

/* Start j's next attempt. */
static void
attempt(struct worker *w, struct job *j)
{
	char err[512] = "";
	int res, kind;

	j->attempt++;
	j->q->busy = 1;
	if (!strncmp(j->target, "command:", 8)) {
		kind = J_CMD;
		res = start_command(j, err, sizeof err);
	} else {
		kind = J_HTTP;
		res = !strncmp(j->target, "mail:", 5) ? start_mail(w, j, err, sizeof err) :
		    start_http(w, j, err, sizeof err);
		if (res == D_OK && curl_multi_add_handle(w->multi, j->easy) != CURLM_OK) {
			snprintf(err, sizeof err, "cannot start the transfer");
			res = D_RETRY;
		}
		if (res != D_OK)
			transfer_clear(w, j);
	}
	if (res != D_OK) {
		settle_job(w, j, res, err, 0);
		return;
	}
	j->state = kind;
	w->running++;
}

static void
take_record(struct worker *w, char *rec, size_t n, int64_t now)
{
	struct job base;
	char *targets[ALERT_MAX_NOTIFY * 2], rule[80];
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
	{
		jv o = jv_parse(base.alert);
		jstr(o, "rule", rule, sizeof rule);
		jv_free(o);
	}
	for (int i = 0; i < nt; i++) {
		struct ts_map_entry *me = ts_map_put(&w->targets, targets[i], NULL);
		struct tqueue *q = me->v.p;
		struct job *j;
		if (!q)
			q = me->v.p = ts_xcalloc(1, sizeof *q);
		if (w->n >= MAX_JOBS || q->queued >= MAX_PER_TARGET) {
			char shown[300];
			redact(targets[i], shown, sizeof shown);
			w->dropped++;
			ts_warn("delivery queue %s full: alert '%s' to %s dropped",
			    w->n >= MAX_JOBS ? "" : "of one target ", rule,
			    strncmp(targets[i], "command:", 8) ? shown : "a command");
			continue;
		}
		j = ts_xcalloc(1, sizeof *j);
		j->alert = ts_xstrdup(base.alert);
		j->target = ts_xstrdup(targets[i]);
#define DUP(f) j->f = base.f ? ts_xstrdup(base.f) : NULL
		DUP(smtp_url); DUP(smtp_from); DUP(smtp_user); DUP(smtp_tls); DUP(smtp_cacert);
#undef DUP
		snprintf(j->rule, sizeof j->rule, "%s", rule);
		j->q = q;
		j->pidfd = -1;
		j->due = now;
		q->queued++;
		ts_xgrow((void **)&w->jobs, &w->cap, w->n + 1, sizeof *w->jobs);
		w->jobs[w->n++] = j;
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

/* Start what is due, in arrival order, one per target; returns the time
 * of the next attempt that could start (-1: none). */
static int64_t
schedule(struct worker *w, int64_t now)
{
	int64_t next = -1;

	for (size_t i = 0; i < w->n; i++) {
		struct job *j = w->jobs[i];
		if (j->state != J_WAIT || j->due < 0 || j->q->busy)
			continue;
		if (j->due <= now && w->running < MAX_RUNNING)
			attempt(w, j);
		if (j->state == J_WAIT && j->due >= 0 && !j->q->busy &&
		    w->running < MAX_RUNNING && (next < 0 || j->due < next))
			next = j->due;
	}
	return next;
}

/* Forget finished jobs, keeping the order of the others. */
static void
compact(struct worker *w)
{
	size_t k = 0;

	for (size_t i = 0; i < w->n; i++) {
		struct job *j = w->jobs[i];
		if (j->due >= 0) {
			w->jobs[k++] = j;
			continue;
		}
		if (--j->q->queued == 0) {
			free(j->q);
			ts_map_del(&w->targets, j->target);
		}
		job_free(j);
	}
	w->n = k;
}

/* At exit: end what still runs and drop what waits. */
static void
abandon(struct worker *w)
{
	if (w->n)
		ts_warn("%zu alert deliveries still pending at exit were dropped", w->n);
	for (size_t i = 0; i < w->n; i++) {
		struct job *j = w->jobs[i];
		if (j->state == J_HTTP)
			transfer_clear(w, j);
		if (j->state == J_CMD) {
			int status;
			kill(j->pid, SIGKILL);
			while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
				;
			if (j->pidfd >= 0)
				close(j->pidfd);
		}
		j->due = -1;
	}
	compact(w);
}

static void
worker_run(int fd, const struct alert_delivery_opts *o)
{
	struct worker w;
	struct curl_waitfd extra[1 + MAX_RUNNING];
	int open_ = 1;
	int64_t grace_end = 0;

	memset(&w, 0, sizeof w);
	w.o = *o;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN); /* the main process decides when to stop */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!(w.multi = curl_multi_init()))
		ts_die(TS_EXIT_TEMP, "cannot initialise curl");
	while (open_ || w.n) {
		int64_t now = ts_mono_us(), next;
		unsigned nextra = 0;
		long curl_ms = -1;
		int timeout, polled = 0, still, ticking = 0;
		CURLMsg *m;

		if (!open_ && now > grace_end)
			break;
		next = schedule(&w, now);
		timeout = next < 0 ? -1 : next <= now ? 0 : (int)((next - now) / 1000 + 1);
		if (!open_ && (timeout < 0 || timeout > (grace_end - now) / 1000 + 1))
			timeout = (int)((grace_end - now) / 1000 + 1);
		if (open_)
			extra[nextra++] = (struct curl_waitfd){ fd, CURL_WAIT_POLLIN, 0 };
		for (size_t i = 0; i < w.n; i++) {
			struct job *j = w.jobs[i];
			if (j->state != J_CMD)
				continue;
			if (j->pidfd >= 0)
				extra[nextra++] = (struct curl_waitfd){ j->pidfd, CURL_WAIT_POLLIN, 0 };
			else
				ticking = 1;
			/* wake for the command's deadline */
			if (j->deadline - now < (int64_t)timeout * 1000 || timeout < 0)
				timeout = (int)((j->deadline > now ? j->deadline - now : 0) / 1000 + 1);
		}
		if (ticking && (timeout < 0 || timeout > COMMAND_TICK_MS))
			timeout = COMMAND_TICK_MS; /* no pidfd: look for children often */
		curl_multi_timeout(w.multi, &curl_ms);
		if (curl_ms >= 0 && (timeout < 0 || curl_ms < timeout))
			timeout = (int)curl_ms;
		if (timeout < 0 || timeout > 60000)
			timeout = 60000;
		if (curl_multi_poll(w.multi, extra, nextra, timeout, &polled) != CURLM_OK) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		if (open_ && (extra[0].revents & CURL_WAIT_POLLIN)) {
			/* take every record that is there */
			struct pollfd p = { fd, POLLIN, 0 };
			do {
				if (read_record(&w, fd, ts_mono_us()) < 0) {
					open_ = 0;
					grace_end = ts_mono_us() + DRAIN_GRACE;
					break;
				}
			} while (poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP)));
		}
		curl_multi_perform(w.multi, &still);
		while ((m = curl_multi_info_read(w.multi, &still))) {
			char *priv = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
			if (priv)
				transfer_done(&w, (struct job *)(void *)priv, m->data.result);
		}
		now = ts_mono_us();
		for (size_t i = 0; i < w.n; i++)
			if (w.jobs[i]->state == J_CMD)
				command_check(&w, w.jobs[i], now);
		compact(&w);
	}
	abandon(&w);
	free(w.jobs);
	ts_map_clear(&w.targets);
	curl_multi_cleanup(w.multi);
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
