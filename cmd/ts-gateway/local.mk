# ts-gateway links ts-alert's rules parser: one parser of alerts.conf, not two
ts-gateway_CFLAGS = $(LWS_CFLAGS)
ts-gateway_EXTRA = $(BUILD)/cmd/ts-alert/alert_rules.o
ts-gateway_LIBS = $(ts-gateway_EXTRA) $(LWS_LIBS)
$(OUT)/ts-gateway: $(ts-gateway_EXTRA)
