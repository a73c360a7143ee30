test_store_OBJS = cmd/ts-store/store_db.o cmd/ts-store/store_parse.o cmd/ts-store/store_query.o \
	cmd/ts-store/store_book.o cmd/ts-store/store_hist.o cmd/ts-store/store_influx.o
test_store_CFLAGS = -Icmd/ts-store
test_store_LIBS = $(SQLITE_LIBS)
