/* fuzz_coinbase.c: ts-feed's Coinbase adapter and core on any session (fuzz_feed.h) */
#define FUZZ_EX "coinbase"
static const char *const fuzz_syms[][2] = {
	{ "BTC-USD", "BTC-USD" }, { "ETH-USD", "ETH-USD" },
};
#include "fuzz_feed.h"
