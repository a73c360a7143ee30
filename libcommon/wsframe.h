/* wsframe.h: RFC 6455 frame headers, written and read (ts-feed's websocket client, ts-sim's server) */
#ifndef TS_WSFRAME_H
#define TS_WSFRAME_H

#include <stddef.h>
#include <stdint.h>

enum {
	TS_WS_CONT = 0, TS_WS_TEXT = 1, TS_WS_BINARY = 2,
	TS_WS_CLOSE = 8, TS_WS_PING = 9, TS_WS_PONG = 10,
};

/* The longest header: 2 bytes, an 8-byte length, a 4-byte mask. */
#define TS_WS_HDR_MAX 14

struct ts_ws_hdr {
	int fin, opcode, masked;
	size_t hlen;           /* header bytes, mask included */
	uint64_t len;          /* payload bytes */
	unsigned char mask[4]; /* when masked */
};

/* Write the header of a final frame (FIN set) of `opcode` carrying n
 * payload bytes into out (TS_WS_HDR_MAX bytes of room). mask: the 4 bytes
 * a client masks its frames with, or NULL for a server's unmasked frame
 * (the caller XORs the payload). Returns the header's length, 2 to 14. */
size_t ts_ws_hdr_write(unsigned char *out, int opcode, uint64_t n, const unsigned char *mask);

/* Read the frame header at p (n bytes available) of a frame sent by a
 * client (from_client: 1, it must be masked) or a server (0, it must not
 * be, RFC 6455 5.1). Returns the header's length, 0 when more bytes are
 * needed, or -1 with *err saying why no peer may send it: reserved bits
 * (no extension is ever agreed), a length above 2^63, the wrong masking,
 * an unknown opcode, a fragmented or long (over 125) control frame. Every
 * check is made as soon as its bytes are there. */
int ts_ws_hdr_read(const unsigned char *p, size_t n, int from_client, struct ts_ws_hdr *h,
    const char **err);

#endif
