/* okx.h: what the OKX adapter offers its tests beyond struct ex_adapter */
#ifndef TS_FEED_OKX_H
#define TS_FEED_OKX_H

#include <stdint.h>

#include "book.h"

/* Levels per side of the books channel, and of the REST snapshot asked for. */
#define OKX_DEPTH 400
/* Levels per side the checksum covers. */
#define OKX_CHECKSUM_LEVELS 25

/* OKX's book checksum of b: the CRC-32, as a signed 32-bit number, of the
 * 25 best bids and asks interleaved as "bidpx:bidsz:askpx:asksz:…", each
 * number in the exchange's own text (ts_dec keeps its digits), the longer
 * side's rest appended when one side has fewer than 25. For a derivative
 * b must hold contracts, as OKX sends them, not the converted sizes. */
int32_t okx_checksum(const struct ts_book *b);

/* The canonical symbol of an OKX instrument: BTC-USDT stays, a swap
 * BTC-USDT-SWAP is BTC-USDT-PERP, a future BTC-USD-220527 stays. Writes it
 * into buf and returns 0, or -1 when instId has none of these shapes. */
int okx_canonical(const char *inst_id, char *buf, size_t n);

#endif
