/* test_log.c: diagnostics, exit codes and rate limiting */
#include "t.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run fn in a child with stderr captured; returns its exit status. */
static int
capture(void (*fn)(void), char *out, size_t n)
{
	int p[2], status;
	pid_t pid;
	ssize_t r;
	size_t len = 0;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		fn();
		_exit(0);
	}
	close(p[1]);
	while (len + 1 < n && (r = read(p[0], out + len, n - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void die_usage(void) { ts_log_init("/usr/bin/ts-x"); ts_die(TS_EXIT_USAGE, "unknown exchange '%s'", "foo"); }
static void die_errno(void) { ts_log_init("ts-x"); errno = ECONNREFUSED; ts_die_errno(TS_EXIT_TEMP, "cannot connect to '%s'", "ws://x"); }
static void levels(void)
{
	ts_log_init("ts-x");
	ts_debug("hidden");
	ts_info("shown");
	ts_warn("careful");
	ts_log_set_level(TS_LOG_DEBUG);
	ts_debug("now shown");
}

static void bad_level(void) { setenv("TS_LOG", "verbose", 1); levels(); }

static void
test_die_and_codes(void)
{
	char out[512];

	CHECK_INT(capture(die_usage, out, sizeof out), 100);
	CHECK_STR(out, "ts-x: error: unknown exchange 'foo'\n");
	CHECK_INT(capture(die_errno, out, sizeof out), 111);
	CHECK_STR(out, "ts-x: error: cannot connect to 'ws://x': Connection refused\n");
	unsetenv("TS_LOG");
	CHECK_INT(capture(levels, out, sizeof out), 0);
	CHECK_STR(out, "ts-x: shown\nts-x: warning: careful\nts-x: debug: now shown\n");
	CHECK_INT(capture(bad_level, out, sizeof out), 0);
	CHECK_STR(out, "ts-x: warning: unknown TS_LOG level 'verbose' (not error, "
	    "warn, info or debug); logging at info\n"
	    "ts-x: shown\nts-x: warning: careful\nts-x: debug: now shown\n");
}

static void usage_msg(void) { ts_log_init("ts-x"); ts_usage_error(NULL, "missing %s", "TOPIC"); }
static void usage_sub(void) { ts_usage_error("ts-x add", "unknown option '%s'", "-z"); }
static void usage_getopt(void) { ts_log_init("/usr/bin/ts-x"); ts_usage_error(NULL, NULL); }

static void
test_usage_error(void)
{
	static const struct { void (*fn)(void); const char *err; } cases[] = {
		{ usage_msg, "ts-x: missing TOPIC\nsee 'ts-x --help'\n" },
		{ usage_sub, "ts-x add: unknown option '-z'\nsee 'ts-x add --help'\n" },
		/* getopt has already printed what is wrong */
		{ usage_getopt, "see 'ts-x --help'\n" },
	};
	char out[512];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK_INT(capture(cases[i].fn, out, sizeof out), 100);
		CHECK_STR(out, cases[i].err);
	}
}

static void
test_ratelimit(void)
{
	struct ts_ratelimit rl = TS_RATELIMIT_INIT(2, 5);
	int allowed = 0;

	/* a burst of 5, then 2 a second */
	for (int i = 0; i < 100; i++)
		allowed += ts_ratelimit_allow(&rl, 1000000);
	CHECK_INT(allowed, 5);
	CHECK_INT(rl.suppressed, 95);
	allowed = 0;
	for (int i = 0; i < 100; i++)
		allowed += ts_ratelimit_allow(&rl, 2000000); /* one second later */
	CHECK_INT(allowed, 2);
	allowed = 0;
	for (int64_t t = 2000000; t < 12000000; t += 1000)
		allowed += ts_ratelimit_allow(&rl, t);
	CHECK(allowed >= 19 && allowed <= 21);
}

static void
rl_warn(void)
{
	struct ts_ratelimit rl = TS_RATELIMIT_INIT(0.001, 1);

	ts_log_init("ts-x");
	ts_warn_rl(&rl, "bad message %d", 1);
	ts_warn_rl(&rl, "bad message %d", 2);
	ts_warn_rl(&rl, "bad message %d", 3);
	rl.tokens = 1;
	ts_warn_rl(&rl, "bad message %d", 4);
}

static void
test_warn_rl_counts(void)
{
	char out[512];

	capture(rl_warn, out, sizeof out);
	CHECK_STR(out, "ts-x: warning: bad message 1\n"
		       "ts-x: warning: bad message 4 (2 similar messages suppressed)\n");
}

static void
test_xalloc(void)
{
	void *p = NULL;
	size_t cap = 0;

	ts_xgrow(&p, &cap, 100, 4);
	CHECK(cap >= 100);
	ts_xgrow(&p, &cap, 50, 4);
	CHECK(cap >= 100);
	free(p);
	p = ts_xstrndup("abcdef", 3);
	CHECK_STR(p, "abc");
	free(p);
}

int
main(void)
{
	RUN(test_die_and_codes);
	RUN(test_usage_error);
	RUN(test_ratelimit);
	RUN(test_warn_rl_counts);
	RUN(test_xalloc);
	return DONE();
}
