test_bybit_OBJS = cmd/ts-feed/feed.o cmd/ts-feed/ex/bybit.o
