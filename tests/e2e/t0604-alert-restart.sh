#!/bin/sh
# t0604: cooldowns and last-fired state survive a restart: nothing re-fires
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t0600-alert-lib.inc"

cat >"$RULES" <<'R'
up     t:BTC-USD  price crosses above 100000  cooldown 10m
wide   t:BTC-USD  spread > 20bps  cooldown 0
end-t  t:BTC-USD  jq trades '.id == "end"'  cooldown 0
end-b  t:BTC-USD  jq book '.end == true'  cooldown 0
R
T='"ex":"t","sym":"BTC-USD","qty":1,"side":"buy"'
WIDE='{"type":"snapshot","bids":[[99000,1]],"asks":[[99500,1]],"ts":1000000}'

start_supervisor
test_expect_success 'a crossing and a wide spread fire before the restart' '
	start_alert &&
	printf "%s\n" "{$T,\"id\":\"1\",\"px\":99000,\"ts\":1000000}" \
	    "{$T,\"id\":\"2\",\"px\":100100,\"ts\":2000000}" \
	    "{$T,\"id\":\"end\",\"px\":100100,\"ts\":2000001}" | ts-pub trades/t/BTC-USD &&
	printf "%s\n" "$WIDE" "{\"type\":\"delta\",\"bids\":[],\"asks\":[],\"end\":true,\"ts\":1000001}" |
	    ts-pub book/t/BTC-USD &&
	wait_rule end-b && wait_rule end-t &&
	alerts_without end-t end-b | sed "s/,\"ex.*//" >actual &&
	printf "%s\n" "{\"rule\":\"up\"" "{\"rule\":\"wide\"" >expect &&
	test_cmp expect actual
'
test_expect_success 'the state file holds both rules' '
	stop $alert_pid &&
	grep -q "^up [0-9a-f]* 1 2000000$" "$STATE" &&
	grep -q "^wide [0-9a-f]* 1 1000000$" "$STATE"
'
test_expect_success 'after a restart the same data fires nothing, and the cooldown holds' '
	restart_alert &&
	printf "%s\n" "$WIDE" "{\"type\":\"delta\",\"bids\":[],\"asks\":[],\"end\":true,\"ts\":1000002}" |
	    ts-pub book/t/BTC-USD &&
	printf "%s\n" "{$T,\"id\":\"3\",\"px\":100200,\"ts\":3000000}" \
	    "{$T,\"id\":\"4\",\"px\":99000,\"ts\":4000000}" \
	    "{$T,\"id\":\"5\",\"px\":100300,\"ts\":5000000}" \
	    "{$T,\"id\":\"end\",\"px\":100300,\"ts\":5000001}" | ts-pub trades/t/BTC-USD &&
	wait_rule end-b && wait_rule end-t &&
	alerts_without end-t end-b >actual &&
	test_cmp /dev/null actual
'
test_expect_success 'once the cooldown is over the next crossing fires' '
	printf "%s\n" "{$T,\"id\":\"6\",\"px\":99000,\"ts\":700000000}" \
	    "{$T,\"id\":\"7\",\"px\":100400,\"ts\":701000000}" \
	    "{$T,\"id\":\"end\",\"px\":100400,\"ts\":701000001}" | ts-pub trades/t/BTC-USD &&
	wait_rule end-t 2 &&
	alerts_without end-t end-b | sed "s/,\"ex.*\"ts\"/ ts/" >actual &&
	echo "{\"rule\":\"up\" ts:701000000}" >expect &&
	test_cmp expect actual
'
test_expect_success 'an edited condition starts afresh (its state is not reused)' '
	stop $alert_pid &&
	sed -i "s/spread > 20bps/spread > 30bps/" "$RULES" &&
	restart_alert &&
	printf "%s\n" "$WIDE" "{\"type\":\"delta\",\"bids\":[],\"asks\":[],\"end\":true,\"ts\":1000003}" |
	    ts-pub book/t/BTC-USD &&
	wait_rule end-b &&
	alerts_without end-t end-b | grep -c "\"rule\":\"wide\"" | grep -qx 1
'
test_done
