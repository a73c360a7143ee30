#!/bin/sh
# t0605: jq rules (and one that fails to compile), rules managed and edited while running
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t0600-alert-lib.inc"

cat >"$RULES" <<'R'
# whales: notional over 1M
whale   t:BTC-USDT  jq trades '.qty * .px > 1000000'  cooldown 0
broken  t:BTC-USDT  jq trades '.qty * '
status  t:BTC-USDT  jq status/feed/t '.state == "down"'
  cooldown 0
R
T='"ex":"t","sym":"BTC-USDT","side":"sell"'
trades() { # ID PX QTY TS
	echo "{$T,\"id\":\"$1\",\"px\":$2,\"qty\":$3,\"ts\":$4}"
}

start_supervisor
test_expect_success 'check names the file and line of a jq expression that does not compile' '
	test_expect_code=0; ts-alert check "$RULES" >out 2>err || test_expect_code=$?;
	test $test_expect_code -eq 100 &&
	echo "$RULES: 2 rules, 1 error" >expect && test_cmp expect out &&
	grep -q "^ts-alert: $RULES:3: rule .broken.: jq expression does not compile: syntax error" err
'
test_expect_success 'the other rules keep running; jq fires on each matching message' '
	start_alert &&
	grep -q "alerts.conf:3: rule .broken." alert.err &&
	grep -q "loaded 2 rules (2 enabled).*1 rejected" alert.err &&
	{ trades 1 65000 1 1000000; trades 2 65000 20 2000000; trades 3 65000 0.5 3000000;
	  trades 4 50000 21 4000000; } | ts-pub trades/t/BTC-USDT &&
	echo "{\"state\":\"down\",\"ts\":5000000}" | ts-pub status/feed/t &&
	wait_rule status &&
	alerts_without | sed "s/,\"ex.*\"value\":/ /; s/,\"threshold\":null,\"ts\":/ /" >actual &&
	printf "%s\n" "{\"rule\":\"whale\" true 2000000}" "{\"rule\":\"whale\" true 4000000}" \
	    "{\"rule\":\"status\" true 5000000}" >expect &&
	test_cmp expect actual
'
test_expect_success 'ts-alert add appends a rule and the running ts-alert picks it up' '
	n=$(reloads) &&
	ts-alert add big t:BTC-USDT price crosses above 70000 cooldown 0 >add.out &&
	grep -q "^added big t:BTC-USDT price crosses above 70000 cooldown 0$" add.out &&
	wait_reload $n && tail -1 alert.err | grep -q "reloaded 3 rules (3 enabled)" &&
	{ trades 5 69000 1 6000000; trades 6 71000 1 7000000; } | ts-pub trades/t/BTC-USDT &&
	wait_rule big
'
test_expect_success 'add refuses a bad rule and a duplicate id, naming what is wrong' '
	! ts-alert add x t:BTC-USDT price crosses sideways 5 2>err &&
	grep -q "rule .x.: expected .price crosses above|below LEVEL." err &&
	! ts-alert add big t:BTC-USDT spread ">" 5bps 2>err &&
	grep -q "rule .big. exists already" err
'
test_expect_success 'disable stops a rule without a restart; enable brings it back' '
	n=$(reloads) &&
	ts-alert disable whale >out && grep -q "disabled rule .whale." out &&
	grep -q "^whale t:BTC-USDT jq trades .*cooldown 0 disabled$" "$RULES" &&
	wait_reload $n && tail -1 alert.err | grep -q "reloaded 3 rules (2 enabled)" &&
	trades 7 65000 100 8000000 | ts-pub trades/t/BTC-USDT &&
	n=$(reloads) &&
	ts-alert enable whale >out && grep -q "enabled rule .whale." out &&
	wait_reload $n && tail -1 alert.err | grep -q "reloaded 3 rules (3 enabled)" &&
	trades 8 65000 100 9000000 | ts-pub trades/t/BTC-USDT &&
	wait_rule whale 3 &&
	! grep -q "\"ts\":8000000" alert.out
'
test_expect_success 'rm removes the rule (with its continuation line) and comments stay' '
	n=$(reloads) &&
	ts-alert rm status >out && grep -q "removed rule .status." out &&
	! grep -q "status" "$RULES" && ! grep -q "^  cooldown" "$RULES" &&
	grep -q "^# whales: notional over 1M$" "$RULES" &&
	wait_reload $n && tail -1 alert.err | grep -q "reloaded 2 rules (2 enabled)"
'
test_expect_success 'a broken edit is reported with its line and the good rules keep firing' '
	echo "oops t:BTC-USDT spread >> 5bps" >>"$RULES" &&
	wait_for "grep -q \"alerts.conf:5: rule .oops.: expected .spread OP Xbps.\" alert.err" &&
	{ trades 9 69000 1 10000000; trades 10 72000 1 11000000; } | ts-pub trades/t/BTC-USDT &&
	wait_rule big 2
'
test_expect_success 'rm of an unknown rule exits 100' '
	ts-alert rm nosuch 2>err; test $? -eq 100 && grep -q "no rule .nosuch." err
'
test_done
