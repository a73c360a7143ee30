/* log.c: diagnostics on stderr with the program name first */
#include "log.h"
#include "tm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char prog[64] = "ts";
static enum ts_log_level level = TS_LOG_INFO;

void
ts_log_init(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	const char *name = slash ? slash + 1 : argv0;
	const char *env = getenv("TS_LOG");

	if (name && *name)
		snprintf(prog, sizeof prog, "%s", name);
	if (!env || !*env)
		return;
	if (!strcmp(env, "error"))
		level = TS_LOG_ERROR;
	else if (!strcmp(env, "warn"))
		level = TS_LOG_WARN;
	else if (!strcmp(env, "info"))
		level = TS_LOG_INFO;
	else if (!strcmp(env, "debug"))
		level = TS_LOG_DEBUG;
	else
		ts_warn("unknown TS_LOG level '%s' (not error, warn, info or "
		    "debug); logging at info", env);
}

void ts_log_set_level(enum ts_log_level l) { level = l; }
enum ts_log_level ts_log_get_level(void) { return level; }
const char *ts_log_prog(void) { return prog; }

/* One write(2) per line so lines of concurrent processes do not interleave. */
static void
vlog(const char *tag, int errnum, const char *fmt, va_list ap)
{
	char line[2048];
	size_t n = 0;
	int r;

	r = snprintf(line, sizeof line, "%s: %s", prog, tag);
	n = r > 0 ? (size_t)r : 0;
	if (n < sizeof line) {
		r = vsnprintf(line + n, sizeof line - n, fmt, ap);
		n += r > 0 ? (size_t)r : 0;
	}
	if (errnum && n < sizeof line) {
		r = snprintf(line + n, sizeof line - n, ": %s", strerror(errnum));
		n += r > 0 ? (size_t)r : 0;
	}
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	(void)!write(2, line, n);
}

#define LOGFN(name, tag, lvl, err)                         \
	void name(const char *fmt, ...)                    \
	{                                                  \
		int e = errno;                             \
		va_list ap;                                \
		if (level < (lvl))                         \
			return;                            \
		va_start(ap, fmt);                         \
		vlog(tag, (err) ? e : 0, fmt, ap);         \
		va_end(ap);                                \
		errno = e;                                 \
	}
LOGFN(ts_warn, "warning: ", TS_LOG_WARN, 0)
LOGFN(ts_warn_errno, "warning: ", TS_LOG_WARN, 1)
LOGFN(ts_info, "", TS_LOG_INFO, 0)
LOGFN(ts_debug, "debug: ", TS_LOG_DEBUG, 0)

#ifndef TS_VERSION
#define TS_VERSION "unknown"
#endif

void
ts_version(const char *p)
{
	printf("%s %s\n", p ? p : prog, TS_VERSION);
	exit(fflush(stdout) ? TS_EXIT_TEMP : TS_EXIT_OK);
}

void
ts_usage_error(const char *p, const char *fmt, ...)
{
	char line[2048];
	size_t n = 0;
	va_list ap;
	int r;

	if (!p)
		p = prog;
	if (fmt) {
		r = snprintf(line, sizeof line, "%s: ", p);
		n = r > 0 ? (size_t)r : 0;
		va_start(ap, fmt);
		r = vsnprintf(line + n, sizeof line - n, fmt, ap);
		va_end(ap);
		n += r > 0 ? (size_t)r : 0;
		if (n > sizeof line - 2)
			n = sizeof line - 2;
		line[n++] = '\n';
	}
	r = snprintf(line + n, sizeof line - n, "see '%s --help'\n", p);
	n += r > 0 ? (size_t)r : 0;
	if (n > sizeof line - 1)
		n = sizeof line - 1;
	(void)!write(2, line, n);
	exit(TS_EXIT_USAGE);
}

void
ts_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("error: ", 0, fmt, ap);
	va_end(ap);
	exit(code);
}

void
ts_die_errno(int code, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog("error: ", e, fmt, ap);
	va_end(ap);
	exit(code);
}

int
ts_ratelimit_allow(struct ts_ratelimit *rl, int64_t now_us)
{
	if (rl->last_us)
		rl->tokens += (double)(now_us - rl->last_us) / 1e6 * rl->per_sec;
	rl->last_us = now_us;
	if (rl->tokens > rl->burst)
		rl->tokens = rl->burst;
	if (rl->tokens < 1.0) {
		rl->suppressed++;
		return 0;
	}
	rl->tokens -= 1.0;
	return 1;
}

int
ts_warn_rl(struct ts_ratelimit *rl, const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	if (!ts_ratelimit_allow(rl, ts_mono_us()))
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (rl->suppressed) {
		ts_warn("%s (%llu similar messages suppressed)", msg,
		    (unsigned long long)rl->suppressed);
		rl->suppressed = 0;
	} else {
		ts_warn("%s", msg);
	}
	return 1;
}

static void *
oom(size_t n)
{
	ts_die(TS_EXIT_TEMP, "out of memory allocating %zu bytes", n);
}

void *
ts_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	return p ? p : oom(n);
}

void *
ts_xcalloc(size_t nmemb, size_t n)
{
	void *p = calloc(nmemb ? nmemb : 1, n ? n : 1);
	return p ? p : oom(nmemb * n);
}

void *
ts_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	return q ? q : oom(n);
}

char *
ts_xstrdup(const char *s)
{
	char *p = strdup(s);
	return p ? p : oom(strlen(s) + 1);
}

char *
ts_xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	return p ? p : oom(n + 1);
}

void
ts_xgrow(void **p, size_t *cap, size_t need, size_t elt)
{
	size_t c = *cap ? *cap : 8;

	if (need <= *cap)
		return;
	while (c < need)
		c *= 2;
	*p = ts_xrealloc(*p, c * elt);
	*cap = c;
}

void
ts_stdout_buffered(void)
{
	static char buf[256 * 1024];

	setvbuf(stdout, buf, _IOFBF, sizeof buf);
}
