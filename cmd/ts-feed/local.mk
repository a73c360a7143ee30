ts-feed_CFLAGS = $(LWS_CFLAGS)
ts-feed_LIBS = $(LWS_LIBS)
