test_sup_OBJS = cmd/ts-supervisor/sup_conf.o
