/* crc32.h: CRC-32 as zlib, PNG and Ethernet compute it, for exchanges' book checksums */
#ifndef TS_CRC32_H
#define TS_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32 (ISO-HDLC: reflected polynomial 0xEDB88320, initial value and
 * final xor 0xFFFFFFFF) of n bytes at p, continuing crc: pass 0 for the
 * first piece and the previous result for the next, as with zlib's crc32(),
 * so ts_crc32(ts_crc32(0, a, na), b, nb) is the CRC of a followed by b.
 * "123456789" gives 0xCBF43926. */
uint32_t ts_crc32(uint32_t crc, const void *p, size_t n);

#endif
