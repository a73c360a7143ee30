#!/bin/sh
# t0431: Kraken candle history from ts-sim's REST OHLC joins ts-feed
# kraken's live trades: the 1m history equals the simulator's OHLC, the
# live candles go on from it with no gap or duplicate, and 3m (which
# Kraken does not serve) is rolled up from its 1m candles
. "$(dirname "$0")/lib.sh"
for p in ts-sim ts-feed; do
	[ -x "$TS_BIN/$p" ] || { echo "ok 1 # skip: $p is not built"; test_done; exit 0; }
done

mkdir -p "$XDG_CONFIG_HOME/tradesuite"
printf '[service feed-{ex}]\nenabled = no\n[service candle]\nenabled = no\n' \
    >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"
start_supervisor
bg sim ts-sim --port 0 --seed 9 --rate 400 kraken
wait_for 'grep -q "^port " sim.out' || exit 111
port=$(sed -n 's/^port //p' sim.out)
bg feed ts-feed --url "ws://127.0.0.1:$port" --rest "http://127.0.0.1:$port" kraken
bg candle ts-candle -n 30 -r 0 -g 500ms --rest "kraken=http://127.0.0.1:$port"

# check FILE TF: the history (30 candles) equals the simulator's 1m OHLC
# rolled up to TF seconds, history and live candles are contiguous, and the
# live ones start at the history's last
check() {
	python3 - "http://127.0.0.1:$port" "$1" "$2" <<-PY
	import json, sys, urllib.request
	from decimal import Decimal
	base, path, tf = sys.argv[1], sys.argv[2], int(sys.argv[3]) * 1000000
	msgs = [json.loads(l, parse_float=Decimal) for l in open(path)]
	assert msgs[0]["type"] == "history", msgs[0]
	hist = msgs[0]["candles"]
	assert len(hist) == 30, len(hist)
	live = msgs[1:]
	assert live, "no live candle"
	assert live[0]["t"] in (hist[-1]["t"], hist[-1]["t"] + tf), ("seam", live[0]["t"], hist[-1]["t"])
	final = {c["t"]: c for c in hist}
	for m in live:
	    final[m["t"]] = m
	ts = sorted(final)
	assert all(b - a == tf for a, b in zip(ts, ts[1:])), "gap or duplicate"
	url = "%s/0/public/OHLC?pair=XBTUSD&interval=1&since=%d" % (base, hist[0]["t"] // 1000000 - 1)
	rows = json.loads(urllib.request.urlopen(url).read(), parse_float=Decimal)["result"]["XBTUSD"]
	agg = {}
	for r in rows:
	    t = r[0] * 1000000 // tf * tf
	    o, h, l, c, v = (Decimal(x) for x in (r[1], r[2], r[3], r[4], r[6]))
	    if t not in agg:
	        agg[t] = [o, h, l, c, v, r[7]]
	    else:
	        a = agg[t]
	        agg[t] = [a[0], max(a[1], h), min(a[2], l), c, a[4] + v, a[5] + r[7]]
	bad = 0
	for c in hist[:-1]:  # closed ones: the last may still be open
	    want = agg.get(c["t"])
	    got = [Decimal(c[k]) for k in ("o", "h", "l", "c", "v")] + [c["n"]]
	    if want is None or (want[4] and got != want) or (not want[4] and got[4] != 0):
	        print("candle", c["t"], "got", got, "sim", want)
	        bad = 1
	print(len(hist) - 1, "history candles compared,", len(live), "live messages")
	sys.exit(bad)
	PY
}

test_expect_success '1m: history equals the simulator, live candles go on from it' '
	bg c1 ts-cat candles/kraken/BTC-USD/1m &&
	wait_for "test \$(wc -l <c1.out) -ge 4" 30 &&
	stop $c1_pid && check c1.out 60
'

test_expect_success '3m, rolled up from 1m: the same' '
	bg c3 ts-cat candles/kraken/BTC-USD/3m &&
	wait_for "test \$(wc -l <c3.out) -ge 4" 30 &&
	stop $c3_pid && check c3.out 180
'

test_done
