ts-feed_LIBS = -lssl -lcrypto
