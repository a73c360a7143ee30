#!/bin/sh
# t0204: ts-sim --replay plays the real Binance and Coinbase recordings:
# websocket frames as recorded, REST answers from the recorded "http" records
. "$(dirname "$0")/lib.sh"
WS=$TS_BUILD/tests/tools/sim-wsclient
BN=$TS_TOP/tests/data/sim/binance.jsonl.zst
CB=$TS_TOP/../shared/data/recordings/COINBASE.jsonl.zst

start_sim() { # NAME ARGS...: start ts-sim on a free port; sets $port
	n=$1; shift
	bg "$n" ts-sim --port 0 "$@"
	wait_for "grep -q '^port ' $n.out" || { cat "$n.err"; return 1; }
	port=$(awk '{print $2; exit}' "$n.out")
}

start_sim bn --replay "$BN" binance
B=$port
zstd -dc "$BN" | jq -r 'select(.t == "recv") | .data' >recorded
nrec=$(wc -l <recorded)

test_expect_success 'binance: a combined stream gets every recorded frame, verbatim' '
	$WS -n "$nrec" -w 30 "ws://127.0.0.1:$B/stream?streams=nknusdt@depth@100ms" >got &&
	test_cmp recorded got
'

test_expect_success 'binance: a raw /ws stream gets the payloads unwrapped' '
	$WS -n 3 -w 30 "ws://127.0.0.1:$B/ws/nknusdt@depth@100ms" >raw &&
	head -n 3 recorded | jq -c .data >expect &&
	test_cmp expect raw
'

test_expect_success 'binance REST: recorded depth and exchangeInfo; others 404' '
	curl -sf "http://127.0.0.1:$B/api/v3/depth?symbol=NKNUSDT&limit=1000" | jq -e ".lastUpdateId == 499869752" &&
	curl -sf "http://127.0.0.1:$B/api/v3/depth?symbol=LRCBTC&limit=100" | jq -e ".lastUpdateId == 259345543" &&
	curl -sf "http://127.0.0.1:$B/api/v3/exchangeInfo" | jq -e "[.symbols[].symbol] | sort == [\"BLZETH\",\"LRCBTC\",\"NKNUSDT\",\"RUNEEUR\"]" &&
	curl -s -o e.json -w "%{http_code}" "http://127.0.0.1:$B/api/v3/depth?symbol=BTCUSDT" >code &&
	test "$(cat code)" = 404
'

test_expect_success 'binance: the recorded NKNUSDT diffs sync onto the recorded snapshot' '
	curl -sf "http://127.0.0.1:$B/api/v3/depth?symbol=NKNUSDT&limit=1000" >snap.json &&
	jq -s -e --argjson last "$(jq .lastUpdateId snap.json)" "
	    [.[] | select(.stream == \"nknusdt@depth@100ms\").data | select(.u > \$last)] as \$d
	    | (\$d[0].U <= \$last + 1) and all(range(1; \$d | length); \$d[.].U == \$d[. - 1].u + 1)" got
'

test_expect_success 'replay ground truth: the recorded snapshot plus the diffs sent' '
	curl -sf "http://127.0.0.1:$B/_sim/book?exchange=binance&symbol=NKN-USDT" >truth.json &&
	python3 - snap.json got truth.json <<-PY
	import json, sys
	from decimal import Decimal as D
	snap = json.load(open(sys.argv[1]))
	book = [{D(p): D(q) for p, q in snap["bids"]}, {D(p): D(q) for p, q in snap["asks"]}]
	last = snap["lastUpdateId"]
	for line in open(sys.argv[2]):
	    d = json.loads(line)["data"]
	    if d.get("s") != "NKNUSDT" or d["u"] <= last: continue
	    for i, k in ((0, "b"), (1, "a")):
	        for p, q in d[k]:
	            book[i].pop(D(p), None) if D(q) == 0 else book[i].__setitem__(D(p), D(q))
	    last = d["u"]
	t = json.load(open(sys.argv[3]), parse_float=D)
	got = [{D(str(p)): D(str(q)) for p, q in t["bids"]}, {D(str(p)): D(str(q)) for p, q in t["asks"]}]
	assert got == book, "the truth differs from the recording"

	PY
	curl -s -o e.json -w "%{http_code}" "http://127.0.0.1:$B/_sim/book?exchange=binance&symbol=BTC-USDT" >code &&
	test "$(cat code)" = 404
'

if [ -r "$CB" ]; then
	start_sim cb --replay "$CB" coinbase
	C=$port
	ncb=$(zstd -dc "$CB" | jq -r 'select(.t == "recv") | .data' | wc -l)
	test_expect_success 'coinbase: a subscriber gets every recorded message, sequence_num 0..N-1' '
		$WS -n "$ncb" -w 60 -s "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\",\"ETH-USD\"],\"channel\":\"level2\"}" \
		    "ws://127.0.0.1:$C/" >cb.got &&
		jq -s -e "[.[].sequence_num] == [range(0; $ncb)]" cb.got &&
		jq -s -e "map(select(.channel == \"l2_data\")) | length == 775" cb.got
	'
	test_expect_success 'coinbase: products from the recording; skip fault loses one l2_data' '
		curl -sf "http://127.0.0.1:$C/api/v3/brokerage/market/products" | jq -e "any(.products[]; .product_id == \"BTC-USD\")" &&
		curl -sf "http://127.0.0.1:$C/_sim/fault?spec=skip" | jq -e .ok &&
		$WS -w 60 -n $((ncb - 1)) -s "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\"],\"channel\":\"level2\"}" "ws://127.0.0.1:$C/" >c2.out &&
		jq -s -e "[.[].sequence_num] | . as \$s | [range(1; length) | select(\$s[.] != \$s[. - 1] + 1)] | length == 1" c2.out
	'
	test_expect_success 'coinbase: after the recording, heartbeats go on with the next sequence_num' '
		$WS -w 60 -n $((ncb + 2)) -s "{\"type\":\"subscribe\",\"channel\":\"heartbeats\"}" \
		    -s "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\"],\"channel\":\"level2\"}" \
		    "ws://127.0.0.1:$C/" >c3.out &&
		jq -s -e "[.[].sequence_num] == [range(0; $ncb + 2)]" c3.out &&
		tail -n 2 c3.out | jq -s -e "all(.[]; .channel == \"heartbeats\")"
	'
else
	echo "ok - # skip coinbase replay: $CB not found"
fi

test_done
