/* t.h: the unit-test harness: one line per check that fails, one per test */
#ifndef TS_T_H
#define TS_T_H

#include <stdio.h>
#include <string.h>

static int t_failed_checks, t_passed, t_failed;

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		t_failed_checks++; \
	} } while (0)

#define CHECK_INT(a, b) do { \
	long long t_a = (long long)(a), t_b = (long long)(b); \
	if (t_a != t_b) { \
		printf("#   %s:%d: %s == %s: %lld != %lld\n", __FILE__, __LINE__, \
		    #a, #b, t_a, t_b); \
		t_failed_checks++; \
	} } while (0)

#define CHECK_STR(a, b) do { \
	const char *t_a = (a), *t_b = (b); \
	if (!t_a || !t_b || strcmp(t_a, t_b)) { \
		printf("#   %s:%d: %s == %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
		    #a, #b, t_a ? t_a : "(null)", t_b ? t_b : "(null)"); \
		t_failed_checks++; \
	} } while (0)

/* Run one test function and report it as "ok - name" or "not ok - name". */
#define RUN(fn) do { \
	int t_before = t_failed_checks; \
	fn(); \
	if (t_failed_checks == t_before) { \
		printf("ok - %s\n", #fn); t_passed++; \
	} else { \
		printf("not ok - %s\n", #fn); t_failed++; \
	} \
	fflush(stdout); } while (0)

/* The last line; the exit status says whether all passed. */
#define DONE() (printf("%d passed, %d failed\n", t_passed, t_failed), t_failed != 0)

#endif
