/* test_crc32: ts_crc32 against the standard check value and zlib's chaining */
#include <stdint.h>
#include <string.h>

#include "crc32.h"
#include "t.h"

static void
test_check_value(void)
{
	CHECK_INT(ts_crc32(0, "123456789", 9), 0xCBF43926u);
	CHECK_INT(ts_crc32(0, "", 0), 0);
	CHECK_INT(ts_crc32(0, "a", 1), 0xE8B7BE43u);
	CHECK_INT(ts_crc32(0, "The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
}

/* every split of a text gives the CRC of the whole, each length and
 * alignment going through both the 8-byte steps and the byte tail */
static void
test_chaining(void)
{
	char buf[100];
	uint32_t whole;

	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)(i * 37 + 11);
	whole = ts_crc32(0, buf, sizeof buf);
	for (size_t cut = 0; cut <= sizeof buf; cut++)
		CHECK_INT(ts_crc32(ts_crc32(0, buf, cut), buf + cut, sizeof buf - cut), whole);
	for (size_t off = 1; off < 9; off++) {
		uint32_t c = 0;
		for (size_t i = off; i < sizeof buf; i++)
			c = ts_crc32(c, buf + i, 1);
		CHECK_INT(c, ts_crc32(0, buf + off, sizeof buf - off));
	}
}

int
main(void)
{
	RUN(test_check_value);
	RUN(test_chaining);
	return DONE();
}
