/* crc32.c: table-driven CRC-32, eight bytes a step */
#include "crc32.h"

/* t[k][b]: the CRC of byte b followed by k zero bytes, so eight input
 * bytes cost eight independent table reads (slicing-by-8). Filled once. */
static uint32_t t[8][256];
static int ready;

static void
fill(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t c = b;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		t[0][b] = c;
	}
	for (uint32_t b = 0; b < 256; b++)
		for (int k = 1; k < 8; k++)
			t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
	ready = 1;
}

uint32_t
ts_crc32(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint32_t c = ~crc;

	if (!ready)
		fill();
	for (; n >= 8; n -= 8, s += 8) {
		uint32_t lo = c ^ ((uint32_t)s[0] | (uint32_t)s[1] << 8 |
		    (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24);
		c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
		    t[4][lo >> 24] ^ t[3][s[4]] ^ t[2][s[5]] ^ t[1][s[6]] ^ t[0][s[7]];
	}
	while (n--)
		c = t[0][(c ^ *s++) & 0xff] ^ (c >> 8);
	return ~c;
}
