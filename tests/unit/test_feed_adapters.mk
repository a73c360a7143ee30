test_feed_adapters_OBJS = cmd/ts-feed/feed.o cmd/ts-feed/ex/coinbase.o cmd/ts-feed/ex/binance.o
