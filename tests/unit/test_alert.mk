test_alert_OBJS = cmd/ts-alert/alert_rules.o cmd/ts-alert/alert_eval.o cmd/ts-alert/alert_state.o
