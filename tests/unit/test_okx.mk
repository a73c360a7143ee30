test_okx_OBJS = cmd/ts-feed/feed.o cmd/ts-feed/ex/okx.o
