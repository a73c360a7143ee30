/* kraken.h: what the Kraken adapter offers its tests beyond struct ex_adapter */
#ifndef TS_FEED_KRAKEN_H
#define TS_FEED_KRAKEN_H

#include <stdint.h>

#include "book.h"

/* The depth ts-feed subscribes Kraken books at, and truncates them to,
 * unless told otherwise (-o depth=N). */
#define KRAKEN_DEPTH 1000

/* Kraken's book checksum of b (v1 and v2 alike): the CRC-32 of the ten best
 * asks, then the ten best bids, each level written as its price and then its
 * quantity, each an integer at its precision (the decimal text at pprec and
 * qprec fraction digits without its '.' and leading zeros: 45285.2 at 1 is
 * 452852, 0.001 at 8 is 100000). A precision below 0 takes each number's own
 * digits as received (v1 sends them all, trailing zeros included). Returns
 * 0 with *out set, or -1 when a level has more digits than its precision or
 * does not fit. */
int kraken_checksum(const struct ts_book *b, int pprec, int qprec, uint32_t *out);

#endif
