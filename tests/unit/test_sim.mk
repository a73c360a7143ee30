# test_sim: ts-sim's market, protocols (every ex/*.c, with a fake core) and REST answers; also builds the
# websocket test client the 02xx end-to-end tests and bench/sim use.
test_sim_OBJS = cmd/ts-sim/sim_market.o cmd/ts-sim/sim_fmt.o cmd/ts-sim/sim_rest.o \
	cmd/ts-sim/sim_replay.o cmd/ts-sim/sim_ex.o \
	$(patsubst %.c,%.o,$(wildcard cmd/ts-sim/ex/*.c))
test_sim_CFLAGS = -Icmd/ts-sim

$(BUILD)/tests/test_sim: | $(BUILD)/tests/tools/sim-wsclient
$(BUILD)/tests/tools/sim-wsclient.o: CFLAGS += $(LWS_CFLAGS)
$(BUILD)/tests/tools/sim-wsclient: $(BUILD)/tests/tools/sim-wsclient.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LWS_LIBS)
-include $(BUILD)/tests/tools/sim-wsclient.d
