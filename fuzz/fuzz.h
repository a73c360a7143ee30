/* fuzz.h: what every libFuzzer harness in fuzz/ shares
 *
 * Each fuzz_NAME.c defines LLVMFuzzerTestOneInput. fuzz/run builds it with
 * clang -fsanitize=fuzzer; the corpus replay test (tests/unit/test_fuzz.c)
 * builds the same file with the project's compiler, renamed to fuzz_NAME by
 * -DLLVMFuzzerTestOneInput=fuzz_NAME, and feeds it the committed corpus. */
#ifndef TS_FUZZ_H
#define TS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle failed: say which, and crash so the fuzzer keeps the input. */
#define FUZZ_ASSERT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: fuzz oracle failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} } while (0)

#endif
