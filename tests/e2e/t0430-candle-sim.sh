#!/bin/sh
# t0430: against ts-sim (REST history) and ts-feed (live trades from its
# websocket): closed live candles, the seam one included, equal the
# simulator's own klines, with no duplicate or missing candle
. "$(dirname "$0")/lib.sh"
D=$TS_TOP/tests/data/candle
for p in ts-sim ts-feed; do
	[ -x "$TS_BIN/$p" ] || { echo "ok 1 # skip: $p is not built"; test_done; exit 0; }
done

mkdir -p "$XDG_CONFIG_HOME/tradesuite"
printf '[service feed-{ex}]\nenabled = no\n[service candle]\nenabled = no\n' \
    >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"
start_supervisor
bg sim ts-sim --port 0 --seed 4 --rate 400 binance
wait_for 'grep -q "^port " sim.out' || exit 111
port=$(sed -n 's/^port //p' sim.out)
bg feed ts-feed --url "ws://127.0.0.1:$port" --rest "http://127.0.0.1:$port" binance
bg candle ts-candle -n 30 -r 0 -g 500ms --rest "binance=http://127.0.0.1:$port"

test_expect_success 'history then live 1s candles: contiguous, and equal to the simulator' '
	bg c1 ts-cat candles/binance/BTC-USDT/1s &&
	wait_for "test \$(grep -c \"closed.:true\" c1.out) -ge 6" 30 &&
	stop $c1_pid &&
	python3 - "http://127.0.0.1:$port" c1.out <<-PY
	import json, sys, urllib.request
	from decimal import Decimal
	base, path = sys.argv[1], sys.argv[2]
	msgs = [json.loads(l, parse_float=Decimal) for l in open(path)]
	assert msgs[0]["type"] == "history", msgs[0]
	hist = msgs[0]["candles"]
	assert len(hist) == 30, len(hist)
	final = {c["t"]: c for c in hist}
	for m in msgs[1:]:
	    final[m["t"]] = m  # the latest message of each candle
	ts = sorted(final)
	assert all(b - a == 1000000 for a, b in zip(ts, ts[1:])), "gap or duplicate"
	seam = hist[-1]["t"]
	closed = [t for t in ts if t >= seam and final[t]["closed"]]
	assert closed and closed[0] == seam, "the seam candle did not close live"
	url = "%s/api/v3/klines?symbol=BTCUSDT&interval=1s&startTime=%d&endTime=%d&limit=1000" % (
	    base, closed[0] // 1000, closed[-1] // 1000)
	kl = {k[0] * 1000: k for k in json.loads(urllib.request.urlopen(url).read(), parse_float=Decimal)}
	bad = 0
	for t in closed:
	    c, k = final[t], kl.get(t)
	    want = [Decimal(x) for x in k[1:6]] + [k[8], Decimal(k[9])]
	    got = [c["o"], c["h"], c["l"], c["c"], c["v"], c["n"], c["bv"]]
	    got = [Decimal(x) for x in got[:5]] + [got[5], Decimal(got[6])]
	    if got != want:
	        print("candle", t, "seam" if t == seam else "", "got", got, "sim", want)
	        bad = 1
	print(len(closed), "live closed candles compared, the seam one first")
	sys.exit(bad)
	PY
'

test_done
