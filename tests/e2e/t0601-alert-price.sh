#!/bin/sh
# t0601: price crossings: fire once on the crossing, respect the cooldown, ignore noise
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t0600-alert-lib.inc"

cat >"$RULES" <<'R'
# price crossings on the last trade
set cooldown 0
up     t:BTC-USD  price crosses above 100000  cooldown 10m
down   t:BTC-USD  price crosses below 95000
end-t  t:BTC-USD  jq trades '.id == "end"'
R
T='"ex":"t","sym":"BTC-USD","qty":1,"side":"buy"'
cat >trades <<J
{$T,"id":"1","px":99000,"ts":1000000}
{$T,"id":"2","px":99999.99,"ts":2000000}
{$T,"id":"3","px":100000,"ts":3000000}
{$T,"id":"4","px":100500,"ts":4000000}
{$T,"id":"5","px":99990,"ts":5000000}
{$T,"id":"6","px":100001,"ts":6000000}
{$T,"id":"7","px":94999.5,"ts":700000000}
{$T,"id":"8","px":100002,"ts":800000000}
{$T,"id":"9","px":100003,"ts":801000000}
{$T,"id":"end","px":100003,"ts":802000000}
J
cat >expect <<'J'
{"rule":"up","ex":"t","sym":"BTC-USD","cond":"price crosses above 100000","value":100000,"threshold":100000,"ts":3000000}
{"rule":"down","ex":"t","sym":"BTC-USD","cond":"price crosses below 95000","value":94999.5,"threshold":95000,"ts":700000000}
{"rule":"up","ex":"t","sym":"BTC-USD","cond":"price crosses above 100000","value":100002,"threshold":100000,"ts":800000000}
J

start_supervisor -v
test_expect_success 'ts-alert starts and subscribes to the trades' '
	start_alert &&
	grep -q "loaded 3 rules (3 enabled)" alert.err
'
test_expect_success 'crossings fire once each; the cooldown holds the second; noise does not fire' '
	bg cat_alerts ts-cat -n 4 alerts/t/BTC-USD &&
	wait_for "grep -q \"supervisor: subscribe .alerts/t/BTC-USD.\$\" sup.err" &&
	ts-pub trades/t/BTC-USD trades &&
	wait_rule end-t &&
	alerts_without end-t >actual &&
	test_cmp expect actual
'
test_expect_success 'the same alerts went to the bus on alerts/t/BTC-USD with seq' '
	wait_for "[ \$(wc -l <cat_alerts.out) -ge 4 ]" &&
	sed -n 1p cat_alerts.out | grep -q "\"rule\":\"up\".*\"seq\":1}$" &&
	grep -c "\"rule\"" cat_alerts.out | grep -qx 4
'
test_expect_success 'a malformed trade is reported and skipped, not fatal' '
	echo "{\"ex\":\"t\",\"sym\":\"BTC-USD\",\"id\":\"x\",\"px\":\"abc\"}" |
	    ts-pub trades/t/BTC-USD &&
	echo "{$T,\"id\":\"end\",\"px\":100003,\"ts\":803000000}" | ts-pub trades/t/BTC-USD &&
	wait_rule end-t 2 &&
	grep -q "bad message on .trades/t/BTC-USD.: trade without a positive" alert.err &&
	kill -0 $alert_pid
'
test_expect_success 'SIGTERM ends it with status 0 and counts what it saw' '
	stop $alert_pid;
	test $? -eq 0 &&
	grep -q "12 messages, .* 5 alerts, 1 malformed" alert.err
'
test_done
