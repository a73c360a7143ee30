ts-sim_CFLAGS = $(LWS_CFLAGS)
ts-sim_LIBS = $(LWS_LIBS)
