/* test_fuzz: every input of the committed fuzz corpora (fuzz/corpus/NAME,
 * the seeds plus what fuzz/run's merges kept) through its harness once, so
 * what fuzzing found stays fixed. A harness aborts on a failed oracle; the
 * handler names the input before the process dies. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "t.h"

#define HARNESSES(X) X(alert) X(binance) X(book) X(coinbase) X(dec) X(json) \
	X(store) X(sup) X(tm) X(topic) X(wsc)
#define DECLARE(n) int fuzz_##n(const uint8_t *data, size_t size);
HARNESSES(DECLARE)

static const struct {
	const char *name;
	int (*fn)(const uint8_t *, size_t);
} harness[] = {
#define ENTRY(n) { #n, fuzz_##n },
	HARNESSES(ENTRY)
};

static char current[1024];

static void
on_crash(int sig)
{
	static const char pre[] = "not ok - crashed on fuzz/corpus/";
	(void)!write(1, pre, sizeof pre - 1);
	(void)!write(1, current, strlen(current));
	(void)!write(1, "\n", 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
replay(const char *top, const char *name, int (*fn)(const uint8_t *, size_t))
{
	char dir[1024], path[2048];
	DIR *d;
	struct dirent *e;
	size_t count = 0;

	snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", top, name);
	if (!(d = opendir(dir))) {
		printf("#   cannot open '%s'\n", dir);
		t_failed_checks++;
		return;
	}
	while ((e = readdir(d))) {
		FILE *fp;
		long len;
		uint8_t *buf;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		snprintf(current, sizeof current, "%s/%s", name, e->d_name);
		if (!(fp = fopen(path, "rb")) || fseek(fp, 0, SEEK_END) || (len = ftell(fp)) < 0) {
			printf("#   cannot read '%s'\n", path);
			t_failed_checks++;
			if (fp)
				fclose(fp);
			continue;
		}
		rewind(fp);
		/* an exact-size buffer, as libFuzzer gives, so overruns show under ASan */
		buf = ts_xmalloc(len ? (size_t)len : 1);
		if (fread(buf, 1, (size_t)len, fp) != (size_t)len) {
			printf("#   cannot read '%s'\n", path);
			t_failed_checks++;
		} else {
			fn(buf, (size_t)len);
			count++;
		}
		free(buf);
		fclose(fp);
	}
	closedir(d);
	printf("#   %s: %zu inputs\n", name, count);
	CHECK(count > 0);
}

#define RUN_NAMED(i) do { \
	int t_before = t_failed_checks; \
	replay(top, harness[i].name, harness[i].fn); \
	if (t_failed_checks == t_before) { \
		printf("ok - corpus %s\n", harness[i].name); t_passed++; \
	} else { \
		printf("not ok - corpus %s\n", harness[i].name); t_failed++; \
	} \
	fflush(stdout); } while (0)

int
main(void)
{
	const char *top = getenv("TS_TOP");

	if (!top)
		top = ".";
	ts_log_init("test_fuzz");
	ts_log_set_level(TS_LOG_ERROR);
	signal(SIGABRT, on_crash);
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGFPE, on_crash);
	for (size_t i = 0; i < sizeof harness / sizeof *harness; i++)
		RUN_NAMED(i);
	return DONE();
}
