/* log.h: diagnostics (die/warn/info/debug), rate-limited warnings, exit codes,
 * --version and usage errors */
#ifndef TS_LOG_H
#define TS_LOG_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes shared by every program (see tradesuite(7)). */
enum {
	TS_EXIT_OK = 0,      /* success */
	TS_EXIT_USAGE = 100, /* usage or permanent error: do not restart */
	TS_EXIT_TEMP = 111,  /* temporary failure: a supervisor restarts */
};

enum ts_log_level { TS_LOG_ERROR, TS_LOG_WARN, TS_LOG_INFO, TS_LOG_DEBUG };

/* Set the program name printed first on every line (argv[0]'s basename) and
 * the level from $TS_LOG (error|warn|info|debug, default info; another
 * value is warned about and means info). */
void ts_log_init(const char *argv0);
void ts_log_set_level(enum ts_log_level level);
enum ts_log_level ts_log_get_level(void);
const char *ts_log_prog(void);

/* Messages follow git's rules: lowercase, no full stop, what failed first.
 * The _errno variants append ": strerror(errno)". */
void ts_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void ts_die_errno(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void ts_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ts_warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ts_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ts_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --version: print "PROG VERSION" (VERSION from config.mk) on stdout and
 * exit 0. `prog` NULL means ts_log_prog(). */
void ts_version(const char *prog) __attribute__((noreturn));

/* A usage error: print on stderr one line "PROG: what is wrong" and then
 * "see 'PROG --help'" (never the whole usage), and exit 100. `prog` NULL
 * means ts_log_prog(); a subcommand passes e.g. "ts-alert add" when it has
 * a --help of its own. `fmt` NULL prints the second line only, for when
 * getopt has already said what is wrong (its case '?'). */
void ts_usage_error(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* A token bucket for warnings that could flood (malformed messages): at most
 * `burst` lines, refilled at `per_sec` a second; the lines suppressed in
 * between are counted and announced with the next line that gets through.
 * Zero-initialise with TS_RATELIMIT_INIT(per_sec, burst). */
struct ts_ratelimit {
	double per_sec, burst, tokens;
	int64_t last_us;
	uint64_t suppressed;
};
#define TS_RATELIMIT_INIT(per_sec, burst) { (per_sec), (burst), (burst), 0, 0 }

/* Warn through `rl`; returns 1 when printed, 0 when suppressed. */
int ts_warn_rl(struct ts_ratelimit *rl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The decision alone, for callers that print differently. */
int ts_ratelimit_allow(struct ts_ratelimit *rl, int64_t now_us);

/* Allocation that cannot fail: on failure the program dies (exit 111). */
void *ts_xmalloc(size_t n);
void *ts_xcalloc(size_t nmemb, size_t n);
void *ts_xrealloc(void *p, size_t n);
char *ts_xstrdup(const char *s);
char *ts_xstrndup(const char *s, size_t n);
/* Grow *p (of *cap elements of size elt) to hold at least need elements. */
void ts_xgrow(void **p, size_t *cap, size_t need, size_t elt);

/* Make stdout fully buffered in 256 KiB of our own, before anything is
 * written to it. (setvbuf with a NULL buffer gets glibc's own choice,
 * st_blksize, 4 KiB, whatever size is asked: a write every few messages.) */
void ts_stdout_buffered(void);

#endif
