/* test_topic.c: topic grammar and exact matching */
#include "t.h"
#include "topic.h"

static void
test_parse_valid(void)
{
	struct ts_topic t;
	const char *why = NULL;

	CHECK_INT(ts_topic_parse("trades/coinbase/BTC-USD", &t, &why), 0);
	CHECK_STR(t.kind, "trades");
	CHECK_STR(t.ex, "coinbase");
	CHECK_STR(t.sym, "BTC-USD");
	CHECK_STR(t.tf, "");
	CHECK_INT(ts_topic_parse("candles/binance/ETH-BTC/15m", &t, &why), 0);
	CHECK_STR(t.tf, "15m");
	CHECK_INT(ts_topic_parse("status/feed/coinbase", &t, &why), 0);
	CHECK_STR(t.ex, "feed");
	CHECK_STR(t.sym, "coinbase");
	CHECK_INT(ts_topic_parse("status/supervisor", &t, &why), 0);
	CHECK_INT(ts_topic_parse("book/kraken/XBT-USD", NULL, &why), 0);
	CHECK_INT(ts_topic_parse("alerts/binance/1000SHIB-USDT", NULL, &why), 0);
}

/* DESIGN.md's derivative symbols: BASE-QUOTE-PERP and BASE-QUOTE-YYMMDD */
static void
test_derivatives(void)
{
	struct ts_topic t;
	const char *why = NULL;
	const char *good[] = { "BTC-USDT-PERP", "BTC-USD-PERP", "BTC-USD-220527",
		"ETH-USD-261225", "UNI-USD-PERP", "PERP-USDT", "1000PEPE-USDT-PERP",
		"BTC-USD-000101" };
	const char *bad[] = { "BTC-USDT-SWAP", "BTC-USD-2205", "BTC-USD-2205277",
		"BTC-USD-221327", "BTC-USD-220500", "BTC-USD-220532", "BTC-USD-22052A",
		"BTC-USD-perp", "BTC-USD-", "BTC--PERP", "-USD-PERP", "BTC-USD-PERP-220527",
		"BTC-USD-PERP-", "BTC-USD-C-50000", "BTC-USD-220527-C" };
	char longest[64];

	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		if (!ts_sym_valid(good[i]))
			printf("#   refused '%s'\n", good[i]);
		CHECK(ts_sym_valid(good[i]));
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (ts_sym_valid(bad[i]))
			printf("#   accepted '%s'\n", bad[i]);
		CHECK(!ts_sym_valid(bad[i]));
	}
	CHECK_INT(ts_topic_parse("book/okx/BTC-USDT-PERP", &t, &why), 0);
	CHECK_STR(t.sym, "BTC-USDT-PERP");
	CHECK_INT(ts_topic_parse("candles/okx/BTC-USD-220527/1h", &t, &why), 0);
	CHECK_STR(t.sym, "BTC-USD-220527");
	CHECK_STR(t.tf, "1h");
	CHECK_INT(ts_topic_parse("trades/okx/BTC-USDT-SWAP", NULL, &why), -1);
	CHECK(why && strstr(why, "PERP"));
	CHECK_INT(ts_topic_valid_sub("book/okx/BTC-USD-PERP", &why), 0);
	CHECK_INT(ts_topic_valid_sub("book/okx/BTC-USD-PERP/", &why), -1);
	/* the longest symbol fits a topic segment; one more character does not */
	memset(longest, 'A', 20);
	memcpy(longest + 20, "-", 1);
	memset(longest + 21, 'B', 19);
	memcpy(longest + 40, "-220527", 8);
	CHECK_INT((int)strlen(longest), TS_SYM_MAX - 1);
	CHECK(ts_sym_valid(longest));
	CHECK(ts_topic_parse("trades/okx/AAAAAAAAAAAAAAAAAAAA-BBBBBBBBBBBBBBBBBBB-220527",
	    &t, &why) == 0);
	CHECK_STR(t.sym, longest);
	memset(longest + 21, 'B', 20);
	memcpy(longest + 41, "-220527", 8);
	CHECK(!ts_sym_valid(longest));
}

static void
test_parse_invalid(void)
{
	const char *bad[] = { "", "trades", "trades/coinbase", "trades/coinbase/btc-usd",
		"trades/Coinbase/BTC-USD", "trades/coinbase/BTCUSD", "trades/coinbase/BTC-",
		"trades/coinbase/BTC-USD/1m", "candles/coinbase/BTC-USD",
		"candles/coinbase/BTC-USD/2m", "candles/coinbase/BTC-USD/1m/x",
		"Trades/coinbase/BTC-USD", "trades//BTC-USD", "status", "status/",
		"status/feed/a b", "trades/coinbase/BTC-USD/", "x/y/z/w/v" };
	const char *why;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		why = NULL;
		if (ts_topic_parse(bad[i], NULL, &why) == 0)
			printf("#   accepted '%s'\n", bad[i]);
		CHECK(ts_topic_parse(bad[i], NULL, &why) < 0);
		CHECK(why != NULL);
	}
}

static void
test_wildcards(void)
{
	const char *why;

	CHECK_INT(ts_topic_valid_sub("trades/", &why), 0);
	CHECK_INT(ts_topic_valid_sub("book/coinbase/", &why), 0);
	CHECK_INT(ts_topic_valid_sub("candles/coinbase/BTC-USD/", &why), 0);
	CHECK_INT(ts_topic_valid_sub("status/", &why), 0);
	CHECK_INT(ts_topic_valid_sub("trades/coinbase/BTC-USD", &why), 0);
	CHECK_INT(ts_topic_valid_sub("trades/Coinbase/", &why), -1);
	CHECK_INT(ts_topic_valid_sub("trades/coinbase/BTC-USD/", &why), -1);
	CHECK_INT(ts_topic_valid_sub("/", &why), -1);
}

static void
test_exact_match(void)
{
	const char *usd = "trades/coinbase/BTC-USD", *usdt = "trades/coinbase/BTC-USDT";

	CHECK(ts_topic_match(usd, usd, strlen(usd)));
	CHECK(!ts_topic_match(usd, usdt, strlen(usdt))); /* ZeroMQ would deliver it */
	CHECK(ts_topic_match(usdt, usdt, strlen(usdt)));
	CHECK(!ts_topic_match(usdt, usd, strlen(usd)));
	CHECK(ts_topic_match("trades/", usdt, strlen(usdt)));
	CHECK(ts_topic_match("trades/coinbase/", usd, strlen(usd)));
	CHECK(!ts_topic_match("trades/coin", usd, strlen(usd)));
	CHECK(!ts_topic_match("book/", usd, strlen(usd)));
	/* a topic given with its length need not be NUL-terminated */
	CHECK(ts_topic_match(usd, usdt, strlen(usd)));
}

static void
test_build(void)
{
	char buf[TS_TOPIC_MAX];

	CHECK_INT(ts_topic_build(buf, sizeof buf, "candles", "coinbase", "BTC-USD", "1m"), 27);
	CHECK_STR(buf, "candles/coinbase/BTC-USD/1m");
	CHECK(ts_topic_build(buf, sizeof buf, "trades", "binance", "BTC-USDT", NULL) > 0);
	CHECK_STR(buf, "trades/binance/BTC-USDT");
	CHECK_INT(ts_topic_build(buf, 8, "trades", "binance", "BTC-USDT", NULL), 0);
}

int
main(void)
{
	RUN(test_parse_valid);
	RUN(test_parse_invalid);
	RUN(test_derivatives);
	RUN(test_wildcards);
	RUN(test_exact_match);
	RUN(test_build);
	return DONE();
}
