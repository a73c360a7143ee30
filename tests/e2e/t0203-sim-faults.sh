#!/bin/sh
# t0203: ts-sim's faults happen: drop, skip, repeat, malformed, stall,
# refuse, shutdown, rest-429/500, snapshot-delay, and timed --fault
. "$(dirname "$0")/lib.sh"
WS=$TS_BUILD/tests/tools/sim-wsclient

start_sim() { # NAME ARGS...: start ts-sim on a free port; sets $port
	n=$1; shift
	bg "$n" ts-sim --port 0 "$@"
	wait_for "grep -q '^port ' $n.out" || { cat "$n.err"; return 1; }
	port=$(awk '{print $2; exit}' "$n.out")
}
stat() { curl -sf "http://127.0.0.1:$port/_sim/stats" | jq ".$1"; }
fault() { curl -sf "http://127.0.0.1:$port/_sim/fault?spec=$1" | jq -e .ok >/dev/null; }
L2='{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}'

start_sim sim --seed 3 --rate 400 coinbase binance
U=http://127.0.0.1:$port

test_expect_success 'drop closes every websocket' '
	bg c1 $WS -w 60 -s "$L2" "ws://127.0.0.1:$port/" &&
	bg c2 $WS -w 60 "ws://127.0.0.1:$port/ws/btcusdt@trade" &&
	wait_for "[ \$(stat connections) -eq 2 ]" &&
	fault drop &&
	wait_for "! kill -0 $c1_pid && ! kill -0 $c2_pid" &&
	grep -q "^# closed" c1.err && grep -q "^# closed" c2.err &&
	wait_for "[ \$(stat connections) -eq 0 ]"
'

test_expect_success 'skip loses one coinbase sequence_num; repeat sends one twice' '
	bg c3 $WS -w 60 -s "$L2" "ws://127.0.0.1:$port/" &&
	wait_for "[ \$(stat connections) -eq 1 ]" &&
	wait_for "[ \$(stat messages) -gt 20 ]" &&
	fault skip && fault repeat &&
	m=$(stat messages) &&
	wait_for "[ \$(stat messages) -gt $((m + 20)) ]" &&
	stop $c3_pid &&
	jq -s "[.[].sequence_num] | . as \$s | [range(1; length) | \$s[.] - \$s[. - 1]] | group_by(.) | map({(.[0]|tostring): length}) | add" c3.out >d.json &&
	jq -e ".[\"2\"] == 1 and .[\"0\"] == 1" d.json
'

test_expect_success 'skip and repeat break binance U/u continuity once each' '
	bg c4 $WS -w 60 "ws://127.0.0.1:$port/ws/btcusdt@depth@100ms" &&
	wait_for "[ \$(stat connections) -eq 1 ]" &&
	wait_for "[ \$(stat messages) -gt 20 ]" &&
	fault skip && m=$(stat messages) &&
	wait_for "[ \$(stat messages) -gt $((m + 10)) ]" &&
	fault repeat && m=$(stat messages) &&
	wait_for "[ \$(stat messages) -gt $((m + 10)) ]" &&
	stop $c4_pid &&
	jq -s "[.[] | select(.e == \"depthUpdate\")] | . as \$d | [range(1; length) | select(\$d[.].U != \$d[. - 1].u + 1) | {U: \$d[.].U, prev: \$d[. - 1].u}]" c4.out >g.json &&
	jq -e "length == 2" g.json &&
	jq -e ".[0].U > .[0].prev + 1" g.json &&
	jq -e ".[1].U <= .[1].prev" g.json
'

test_expect_success 'malformed sends one frame that is not JSON' '
	bg c5 $WS -w 60 -s "$L2" "ws://127.0.0.1:$port/" &&
	wait_for "[ \$(stat connections) -eq 1 ]" &&
	fault malformed && m=$(stat messages) &&
	wait_for "[ \$(stat messages) -gt $((m + 5)) ]" &&
	stop $c5_pid &&
	bad=0 && while IFS= read -r line; do
		printf "%s\n" "$line" | jq -e . >/dev/null 2>&1 || bad=$((bad + 1))
	done <c5.out &&
	test "$bad" -eq 1
'

test_expect_success 'stall sends nothing, not even heartbeats, until it ends' '
	bg c6 $WS -w 60 -s "{\"type\":\"subscribe\",\"channel\":\"heartbeats\"}" "ws://127.0.0.1:$port/" &&
	wait_for "[ \$(stat connections) -eq 1 ]" &&
	wait_for "[ \$(stat messages) -gt 0 ]" &&
	fault stall=60 && m=$(stat messages) &&
	sleep 2.5 &&
	test "$(stat messages)" -eq "$m" &&
	fault stall=0 &&
	wait_for "[ \$(stat messages) -gt $m ]" &&
	stop $c6_pid
'

test_expect_success 'refuse turns new websockets away; refuse=0 lets them in' '
	fault refuse=60 &&
	{ $WS -n 1 -w 10 -s "$L2" "ws://127.0.0.1:$port/" >r.out 2>r.err; test $? -eq 111; } &&
	test "$(stat refused)" -ge 1 &&
	fault refuse=0 &&
	$WS -n 1 -w 10 -s "$L2" "ws://127.0.0.1:$port/" >r.out &&
	jq -e ".channel == \"l2_data\"" r.out
'

test_expect_success 'shutdown: binance sends serverShutdown, then closes' '
	bg c7 $WS -w 60 "ws://127.0.0.1:$port/stream?streams=ethusdt@trade" &&
	wait_for "[ \$(stat connections) -eq 1 ]" &&
	fault shutdown &&
	wait_for "! kill -0 $c7_pid" &&
	tail -n 1 c7.out | jq -e ".e == \"serverShutdown\" and (.E|type) == \"number\"" &&
	grep -q "^# closed" c7.err
'

test_expect_success 'rest-429 and rest-500 fail the next N REST requests' '
	fault rest-429=2 && fault rest-500=1 &&
	curl -s -D h1 -o b1 "$U/api/v3/depth?symbol=BTCUSDT" &&
	head -1 h1 | grep -q " 429" && grep -qi "^retry-after: 1" h1 &&
	jq -e ".code == -1003" b1 &&
	curl -s -D h2 -o b2 "$U/api/v3/brokerage/market/products" &&
	head -1 h2 | grep -q " 429" && jq -e ".error == \"RATE_LIMIT_EXCEEDED\"" b2 &&
	curl -s -D h3 -o b3 "$U/api/v3/depth?symbol=BTCUSDT" &&
	head -1 h3 | grep -q " 500" && jq -e ".code == -1000" b3 &&
	curl -sf "$U/api/v3/depth?symbol=BTCUSDT" | jq -e ".lastUpdateId > 0"
'

test_expect_success 'snapshot-delay holds depth answers back, other REST answers not' '
	fault snapshot-delay=30 &&
	{ curl -s --max-time 1 "$U/api/v3/depth?symbol=BTCUSDT" >late; test $? -eq 28; } &&
	curl -sf --max-time 20 "$U/api/v3/exchangeInfo" | jq -e ".symbols | length == 2" &&
	fault snapshot-delay=0 &&
	curl -sf --max-time 20 "$U/api/v3/depth?symbol=BTCUSDT" | jq -e ".lastUpdateId > 0"
'

test_expect_success 'bad fault specs are refused with 400' '
	curl -s -o e.json -w "%{http_code}" "$U/_sim/fault?spec=explode" >code &&
	test "$(cat code)" = 400 && jq -e ".error == \"unknown fault\"" e.json &&
	test "$(stat faults)" -ge 12
'

test_expect_success '--fault SPEC@SECONDS fires later' '
	start_sim sim2 --rate 50 --fault drop@1 coinbase &&
	bg c8 $WS -w 60 -s "$L2" "ws://127.0.0.1:$port/" &&
	wait_for "! kill -0 $c8_pid" 20 &&
	grep -q "^# closed" c8.err &&
	grep -q "fault .drop." sim2.err
'

test_done
