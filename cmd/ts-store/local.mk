ts-store_CFLAGS = $(GLIB_CFLAGS)
ts-store_LIBS = $(SQLITE_LIBS) $(GLIB_LIBS)
