test_kraken_OBJS = cmd/ts-feed/feed.o cmd/ts-feed/ex/kraken.o
