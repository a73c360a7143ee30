/* wsframe.c: RFC 6455 frame headers, written and read */
#include <string.h>

#include "wsframe.h"

size_t
ts_ws_hdr_write(unsigned char *out, int opcode, uint64_t n, const unsigned char *mask)
{
	unsigned char m = mask ? 0x80 : 0;
	size_t h;

	out[0] = (unsigned char)(0x80 | opcode);
	if (n < 126) {
		out[1] = (unsigned char)(m | n);
		h = 2;
	} else if (n < 65536) {
		out[1] = m | 126;
		out[2] = (unsigned char)(n >> 8);
		out[3] = (unsigned char)n;
		h = 4;
	} else {
		out[1] = m | 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (unsigned char)(n >> (56 - 8 * i));
		h = 10;
	}
	if (mask) {
		memcpy(out + h, mask, 4);
		h += 4;
	}
	return h;
}

int
ts_ws_hdr_read(const unsigned char *p, size_t n, int from_client, struct ts_ws_hdr *h,
    const char **err)
{
	size_t hl = 2;
	uint64_t len;

	if (n < 2)
		return 0;
	h->fin = p[0] >> 7;
	h->opcode = p[0] & 0x0f;
	h->masked = p[1] >> 7;
	len = p[1] & 0x7f;
	if (p[0] & 0x70) {
		*err = "reserved bits set (no extension was agreed)";
		return -1;
	}
	if (h->masked != from_client) {
		*err = from_client ? "unmasked frame from a client" : "masked frame from the server";
		return -1;
	}
	if (h->opcode >= TS_WS_CLOSE) {
		if (h->opcode > TS_WS_PONG) {
			*err = "unknown control opcode";
			return -1;
		}
		if (!h->fin || len > 125) {
			*err = "fragmented or long control frame";
			return -1;
		}
	} else if (h->opcode > TS_WS_BINARY) {
		*err = "unknown data opcode";
		return -1;
	}
	if (len == 126) {
		if (n < 4)
			return 0;
		len = (uint64_t)p[2] << 8 | p[3];
		hl = 4;
	} else if (len == 127) {
		if (n < 10)
			return 0;
		len = 0;
		for (int i = 2; i < 10; i++)
			len = len << 8 | p[i];
		hl = 10;
		if (len >> 63) {
			*err = "frame length above 2^63";
			return -1;
		}
	}
	if (h->masked) {
		if (n < hl + 4)
			return 0;
		memcpy(h->mask, p + hl, 4);
		hl += 4;
	}
	h->hlen = hl;
	h->len = len;
	return (int)hl;
}
