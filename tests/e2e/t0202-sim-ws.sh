#!/bin/sh
# t0202: ts-sim's websockets: message shapes, books and trades that agree
# with the ground truth, determinism by seed, pause and resume
. "$(dirname "$0")/lib.sh"
WS=$TS_BUILD/tests/tools/sim-wsclient

start_sim() { # NAME ARGS...: start ts-sim on a free port; sets $port
	n=$1; shift
	bg "$n" ts-sim --port 0 "$@"
	wait_for "grep -q '^port ' $n.out" || { cat "$n.err"; return 1; }
	port=$(awk '{print $2; exit}' "$n.out")
}
sent() { curl -sf "http://127.0.0.1:$1/_sim/stats" | jq .messages; }
# wait until nothing more is being sent (after a pause)
settle() {
	a=-1 b=$(sent "$1")
	while [ "$a" != "$b" ]; do a=$b; sleep 0.3; b=$(sent "$1"); done
}

cat >book.py <<'PY'
import json, sys
from decimal import Decimal as D
# book.py EXCHANGE MESSAGES TRUTH SYMBOL [SNAPSHOT]: rebuild SYMBOL's book
# from the stream (and, for Binance, the REST snapshot) and compare.
ex, msgs, truth, sym = sys.argv[1:5]
bids, asks, last = {}, {}, None
def setlv(side, px, q):
    (bids if side else asks).pop(D(px), None) if D(q) == 0 else \
        (bids if side else asks).__setitem__(D(px), D(q))
n = 0
if ex == "coinbase":
    for line in open(msgs):
        m = json.loads(line)
        seq = m.get("sequence_num")
        if seq is not None:
            assert last is None or seq == last + 1, ("sequence gap", last, seq)
            last = seq
        if m.get("channel") != "l2_data": continue
        for e in m["events"]:
            if e["product_id"] != sym: continue
            if e["type"] == "snapshot": bids.clear(); asks.clear()
            for u in e["updates"]:
                setlv(u["side"] == "bid", u["price_level"], u["new_quantity"]); n += 1
else:
    snap = json.load(open(sys.argv[5]))
    for px, q in snap["bids"]: setlv(1, px, q)
    for px, q in snap["asks"]: setlv(0, px, q)
    last = snap["lastUpdateId"]
    native = sym.replace("-", "")
    for line in open(msgs):
        m = json.loads(line)
        d = m.get("data", m)
        if d.get("e") != "depthUpdate" or d["s"] != native: continue
        if d["u"] <= last: continue
        assert d["U"] <= last + 1 <= d["u"], ("gap", last, d["U"], d["u"])
        for px, q in d["b"]: setlv(1, px, q)
        for px, q in d["a"]: setlv(0, px, q)
        last = d["u"]; n += 1
t = json.load(open(truth), parse_float=D)
want_b = {D(str(p)): D(str(q)) for p, q in t["bids"]}
want_a = {D(str(p)): D(str(q)) for p, q in t["asks"]}
assert n > 0, "no updates"
assert bids == want_b, ("bids differ", len(bids), len(want_b))
assert asks == want_a, ("asks differ", len(asks), len(want_a))
# depth as recorded (sim_market.c): binance within one REST snapshot, coinbase thousands
lo, hi = {"binance": (300, 1000), "coinbase": (1000, 8000)}[ex]
assert lo <= len(bids) <= hi and lo <= len(asks) <= hi, (len(bids), len(asks))
print("ok", ex, sym, n, "updates", len(bids), "bids", len(asks), "asks")
PY

cat >trades.py <<'PY'
import json, sys
from decimal import Decimal as D
# trades.py EXCHANGE MESSAGES TRUTH: every streamed trade is in the truth file
ex, msgs, truth = sys.argv[1:4]
tr = {}
for line in open(truth):
    t = json.loads(line)
    tr[(t["ex"], t["sym"], t["id"])] = t
seen = 0
for line in open(msgs):
    m = json.loads(line)
    got = []
    if ex == "coinbase":
        if m.get("channel") != "market_trades": continue
        for e in m["events"]:
            if e["type"] != "update": continue
            for x in e["trades"]:
                got.append((x["product_id"], x["trade_id"], x["price"], x["size"],
                            "buy" if x["side"] == "SELL" else "sell"))
    else:
        d = m.get("data", m)
        if d.get("e") != "trade": continue
        assert d["M"] is True and isinstance(d["t"], int)
        sym = {"BTCUSDT": "BTC-USDT", "ETHUSDT": "ETH-USDT"}[d["s"]]
        got.append((sym, str(d["t"]), d["p"], d["q"], "sell" if d["m"] else "buy"))
    for sym, tid, px, q, side in got:
        t = tr[(ex, sym, tid)]
        assert D(px) == D(str(t["px"])) and D(q) == D(str(t["qty"])) and side == t["side"], (t, px, q, side)
        seen += 1
assert seen > 0, "no trades"
print("ok", seen, "trades match")
PY

start_sim sim --seed 5 --rate 3000 --truth truth.jsonl coinbase binance
U=http://127.0.0.1:$port

test_expect_success 'coinbase: level2 and trades books match the truth after pause' '
	bg cb $WS -w 120 -s "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\",\"ETH-USD\"],\"channel\":\"level2\"}" \
	    -s "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\",\"ETH-USD\"],\"channel\":\"market_trades\"}" \
	    -s "{\"type\":\"subscribe\",\"channel\":\"heartbeats\"}" "ws://127.0.0.1:$port/" &&
	bg bn $WS -w 120 "ws://127.0.0.1:$port/stream?streams=btcusdt@depth@100ms/btcusdt@trade/ethusdt@trade" &&
	wait_for "[ \$(curl -sf $U/_sim/stats | jq .connections) -eq 2 ]" &&
	wait_for "[ \$(sent $port) -gt 300 ]" 20 &&
	curl -sf "$U/api/v3/depth?symbol=BTCUSDT&limit=1000" >snap.json &&
	wait_for "[ \$(sent $port) -gt 1500 ]" 30 &&
	sleep 1.2 && # a heartbeat (one a second) is due
	curl -sf "$U/_sim/pause" | jq -e ".paused" &&
	settle $port &&
	stop $cb_pid && stop $bn_pid &&
	curl -sf "$U/_sim/book?exchange=coinbase&symbol=BTC-USD" >cb-btc.json &&
	curl -sf "$U/_sim/book?exchange=coinbase&symbol=ETH-USD" >cb-eth.json &&
	curl -sf "$U/_sim/book?exchange=binance&symbol=BTC-USDT" >bn-btc.json &&
	python3 book.py coinbase cb.out cb-btc.json BTC-USD &&
	python3 book.py coinbase cb.out cb-eth.json ETH-USD &&
	python3 book.py binance bn.out bn-btc.json BTC-USDT snap.json
'

test_expect_success 'streamed trades are the ground truth trades (side flipped for coinbase)' '
	python3 trades.py coinbase cb.out truth.jsonl &&
	python3 trades.py binance bn.out truth.jsonl
'

test_expect_success 'coinbase message shapes: channels, nanosecond times, maker side' '
	jq -s -e "[.[] | select(.channel==\"l2_data\" and .events[0].type==\"update\") | .events[0].updates[] | (.side==\"bid\" or .side==\"offer\") and (.event_time|test(\"^[0-9-]{10}T[0-9:]{8}\\\\.[0-9]{9}Z$\"))] | length > 100 and all" cb.out &&
	jq -s -e "map(select(.channel==\"subscriptions\")) | last | .events[0].subscriptions | (.level2|length) == 2 and (.market_trades|length) == 2" cb.out &&
	jq -s -e "map(select(.channel==\"market_trades\" and .events[0].type==\"snapshot\")) | length == 2" cb.out &&
	jq -s -e "map(select(.channel==\"heartbeats\")) | length >= 1 and all(.[]; (.events[0].heartbeat_counter|type) == \"number\")" cb.out &&
	jq -s -e "all(.[]; .client_id == \"\" and (.timestamp|endswith(\"Z\")))" cb.out
'

test_expect_success 'binance combined stream shapes and contiguous U/u' '
	jq -s -e "all(.[]; .stream == \"btcusdt@depth@100ms\" or .stream == \"btcusdt@trade\" or .stream == \"ethusdt@trade\")" bn.out &&
	jq -s -e "[.[] | select(.stream == \"btcusdt@depth@100ms\") | .data] | . as \$d | all(range(1; length); \$d[.].U == \$d[. - 1].u + 1)" bn.out &&
	jq -s -e "map(select(.stream == \"ethusdt@trade\").data) | all(.[]; .e == \"trade\" and .s == \"ETHUSDT\" and (.p|test(\"^[0-9]+\\\\.[0-9]{8}$\")))" bn.out
'

test_expect_success 'paused: nothing changes; resumed: trading goes on' '
	curl -sf "$U/_sim/trades?exchange=coinbase&symbol=BTC-USD" >a.json &&
	curl -sf "$U/_sim/book?exchange=coinbase&symbol=BTC-USD" >ba.json &&
	sleep 0.5 &&
	curl -sf "$U/_sim/trades?exchange=coinbase&symbol=BTC-USD" >b.json &&
	curl -sf "$U/_sim/book?exchange=coinbase&symbol=BTC-USD" >bb.json &&
	test_cmp a.json b.json && test_cmp ba.json bb.json &&
	jq -e ".count > 0 and (.last_id|tonumber) - (.first_id|tonumber) + 1 == .count" a.json &&
	curl -sf "$U/_sim/resume" | jq -e ".paused == false" &&
	wait_for "[ \$(curl -sf \"$U/_sim/trades?exchange=coinbase&symbol=BTC-USD\" | jq .count) -gt \$(jq .count a.json) ]"
'

# A raw client: one request line of any length (lws's own client keeps
# URLs short), then the first COUNT text messages, one a line.
cat >wsraw.py <<'PY'
import base64, os, socket, struct, sys
port, path, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
           % (path, base64.b64encode(os.urandom(16)).decode())).encode())
buf, got = b"", 0
def need(n):
    global buf
    while len(buf) < n:
        d = s.recv(65536)
        if not d: sys.exit("closed after %d messages" % got)
        buf += d
while b"\r\n\r\n" not in buf: need(len(buf) + 1)
head, buf = buf.split(b"\r\n\r\n", 1)
if not head.startswith(b"HTTP/1.1 101"): sys.exit(head.split(b"\r\n")[0].decode())
while got < count:
    need(2); op, n, h = buf[0] & 15, buf[1] & 127, 2
    if n == 126: need(4); n, h = struct.unpack(">H", buf[2:4])[0], 4
    elif n == 127: need(10); n, h = struct.unpack(">Q", buf[2:10])[0], 10
    need(h + n); p, buf = buf[h:h + n], buf[h + n:]
    if op == 8: sys.exit("closed by the server after %d messages" % got)
    if op == 1: print(p.decode()); got += 1
PY

# Binance takes up to 1024 streams in one URL (about 25 KB here): the
# streams named last in it flow like the first.
long_streams() { python3 -c "print('/'.join('x%dusdt@depth@100ms' % i for i in range(1022)))"; }
test_expect_success 'binance: a combined-stream URL of 1024 streams is served whole' '
	streams=$(long_streams)/btcusdt@trade/ethusdt@depth@100ms &&
	[ ${#streams} -gt 20000 ] &&
	timeout 30 python3 wsraw.py $port "/stream?streams=$streams" 40 >long.out &&
	jq -s -e "map(.stream) | unique == [\"btcusdt@trade\", \"ethusdt@depth@100ms\"]" long.out &&
	timeout 30 python3 wsraw.py $port "/ws/$streams" 40 >raw.out &&
	jq -s -e "map(.e) | unique == [\"depthUpdate\", \"trade\"]" raw.out
'

# The market is paused while the client takes its first three messages: a
# depthUpdate of the new subscription could otherwise come before the
# replies to the second and third requests (seen on a loaded machine).
test_expect_success 'binance live SUBSCRIBE, LIST_SUBSCRIPTIONS, and errors' '
	curl -sf "$U/_sim/pause" | jq -e ".paused" &&
	$WS -n 3 -w 20 -s "{\"method\":\"SUBSCRIBE\",\"params\":[\"ethusdt@depth@100ms\"],\"id\":1}" \
	    -s "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":2}" -s "{\"method\":\"FLY\",\"id\":3}" \
	    "ws://127.0.0.1:$port/ws" >sub.out &&
	curl -sf "$U/_sim/resume" | jq -e ".paused == false" &&
	jq -s -e "map(select(has(\"id\")))" sub.out >ids.json &&
	jq -e ".[0] == {\"result\":null,\"id\":1}" ids.json &&
	jq -e ".[1] == {\"result\":[\"ethusdt@depth@100ms\"],\"id\":2}" ids.json &&
	jq -e ".[2].error.code == 1 and .[2].id == 3" ids.json
'

test_expect_success 'coinbase: unknown product or channel is an error message' '
	$WS -n 1 -w 20 -s "{\"type\":\"subscribe\",\"product_ids\":[\"NOPE-USD\"],\"channel\":\"level2\"}" \
	    "ws://127.0.0.1:$port/" >e.out &&
	jq -e ".type == \"error\"" e.out
'

test_expect_success 'same seed, same trades; another seed, other trades' '
	start_sim s1 --seed 77 --rate 500 --truth t1.jsonl binance && p1=$port &&
	start_sim s2 --seed 77 --rate 500 --truth t2.jsonl binance && p2=$port &&
	start_sim s3 --seed 78 --rate 500 --truth t3.jsonl binance && p3=$port &&
	for p in $p1 $p2 $p3; do
		wait_for "[ \$(curl -sf \"http://127.0.0.1:$p/_sim/trades?exchange=binance&symbol=BTC-USDT\" | jq .count) -ge 60 ]" 30 &&
		curl -sf "http://127.0.0.1:$p/_sim/pause" >/dev/null || return 1
	done &&
	head -n 100 t1.jsonl >h1 && head -n 100 t2.jsonl >h2 && head -n 100 t3.jsonl >h3 &&
	test $(wc -l <h1) -ge 100 &&
	test_cmp h1 h2 && ! cmp -s h1 h3 &&
	curl -sf "http://127.0.0.1:$p1/_sim/book?exchange=binance&symbol=ETH-USDT" >k1 &&
	test -s k1
'

test_done
