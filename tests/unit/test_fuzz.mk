# test_fuzz: replay the committed fuzz corpora (fuzz/corpus/NAME) through the
# libFuzzer harnesses, built with the project's compiler: each harness's
# LLVMFuzzerTestOneInput is renamed fuzz_NAME so all of them link together.
FUZZ_NAMES = alert binance book coinbase dec json store sup tm topic wsc
test_fuzz_OBJS = $(FUZZ_NAMES:%=fuzz/fuzz_%.o) cmd/ts-feed/feed.o \
	cmd/ts-feed/ex/coinbase.o cmd/ts-feed/ex/binance.o cmd/ts-store/store_parse.o \
	cmd/ts-alert/alert_rules.o cmd/ts-supervisor/sup_conf.o cmd/ts-feed/wsc.o
test_fuzz_LIBS = -lssl -lcrypto
$(foreach n,$(FUZZ_NAMES),$(eval $(BUILD)/fuzz/fuzz_$(n).o: CFLAGS += -DLLVMFuzzerTestOneInput=fuzz_$(n)))
$(BUILD)/fuzz/fuzz_coinbase.o $(BUILD)/fuzz/fuzz_binance.o: CFLAGS += $(LWS_CFLAGS)
$(BUILD)/fuzz/fuzz_wsc.o: CFLAGS += -Icmd/ts-feed
-include $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%.d)
