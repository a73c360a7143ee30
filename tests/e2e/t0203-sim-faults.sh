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

# cross.py FILE: the products whose level2 book, rebuilt from FILE (a
# coinbase client's messages), was ever crossed; sequence_num has no hole.
cat >cross.py <<'PY'
import json, sys
from decimal import Decimal as D
books, crossed, last = {}, set(), None
for line in open(sys.argv[1]):
    m = json.loads(line)
    seq = m.get("sequence_num")
    assert last is None or seq == last + 1, ("sequence gap", last, seq)
    last = seq
    if m.get("channel") != "l2_data": continue
    for e in m["events"]:
        b = books.setdefault(e["product_id"], ({}, {}))
        if e["type"] == "snapshot": b[0].clear(); b[1].clear()
        for u in e["updates"]:
            side = b[0] if u["side"] == "bid" else b[1]
            if D(u["new_quantity"]) == 0: side.pop(D(u["price_level"]), None)
            else: side[D(u["price_level"])] = D(u["new_quantity"])
        if b[0] and b[1] and max(b[0]) >= min(b[1]): crossed.add(e["product_id"])
print(" ".join(sorted(crossed)) or "none")
PY
L2BOTH='{"type":"subscribe","product_ids":["BTC-USD","ETH-USD"],"channel":"level2"}'

test_expect_success 'cross=SYMBOL crosses that book only (coinbase and binance)' '
	bg c9 $WS -w 60 -s "$L2BOTH" "ws://127.0.0.1:$port/" &&
	bg c10 $WS -w 60 "ws://127.0.0.1:$port/stream?streams=btcusdt@depth@100ms/ethusdt@depth@100ms" &&
	wait_for "[ \$(stat connections) -eq 2 ]" &&
	m=$(stat messages) && wait_for "[ \$(stat messages) -gt $((m + 20)) ]" &&
	fault cross=BTC-USD && fault cross=ETHUSDT &&
	m=$(stat messages) && wait_for "[ \$(stat messages) -gt $((m + 20)) ]" &&
	stop $c9_pid && stop $c10_pid &&
	python3 cross.py c9.out >after && test "$(cat after)" = BTC-USD &&
	jq -s -e "[.[] | .data | select(.s == \"ETHUSDT\")] | . as \$d | all(range(1; length); \$d[.].U == \$d[. - 1].u + 1)" c10.out &&
	jq -s -e "[.[] | .data | select(.s == \"BTCUSDT\")] | . as \$d | all(range(1; length); \$d[.].U == \$d[. - 1].u + 1)" c10.out &&
	jq -s -e "[.[] | .data | select(.s == \"ETHUSDT\" and (.b | length) == 1 and (.a | length) == 0)] | length >= 1" c10.out &&
	curl -s -o e.json -w "%{http_code}" "$U/_sim/fault?spec=cross=NOPE-USD" >code &&
	test "$(cat code)" = 400 && jq -e ".error == \"unknown symbol\"" e.json
'

test_expect_success 'level2 unsubscribe and subscribe of one product: its snapshot alone' '
	curl -sf "$U/_sim/pause" >/dev/null &&
	$WS -w 3 -s "$L2BOTH" \
	    -s "{\"type\":\"unsubscribe\",\"product_ids\":[\"BTC-USD\"],\"channel\":\"level2\"}" \
	    -s "$L2" "ws://127.0.0.1:$port/" >c12.out &&
	curl -sf "$U/_sim/resume" >/dev/null &&
	jq -s -c "[.[] | select(.channel == \"l2_data\") | .events[] | select(.type == \"snapshot\") | .product_id]" c12.out >snaps &&
	test "$(cat snaps)" = "[\"BTC-USD\",\"ETH-USD\",\"BTC-USD\"]" &&
	jq -s -e "[.[] | select(.channel == \"subscriptions\")] | last | .events[0].subscriptions.level2 == [\"BTC-USD\",\"ETH-USD\"]" c12.out
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
