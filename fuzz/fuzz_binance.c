/* fuzz_binance.c: ts-feed's Binance adapter and core on any session (fuzz_feed.h) */
#define FUZZ_EX "binance"
static const char *const fuzz_syms[][2] = {
	{ "NKN-USDT", "NKNUSDT" }, { "BLZ-ETH", "BLZETH" }, { "BTC-USDT", "BTCUSDT" },
};
#include "fuzz_feed.h"
