test_wsc_OBJS = cmd/ts-feed/wsc.o
test_wsc_CFLAGS = -Icmd/ts-feed
test_wsc_LIBS = -lssl -lcrypto
