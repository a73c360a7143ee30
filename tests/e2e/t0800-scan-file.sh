#!/bin/sh
# t0800: ts-scan without a bus: scans.conf errors by FILE:LINE, run and
# explain over candle files, every number checked against a naive
# recomputation (tests/tools/scan_ref.py) or the candles themselves
. "$(dirname "$0")/lib.sh"

tools=$TS_TOP/tests/tools

# Three hourly markets over 300 candles: BTC wanders, ETH climbs away from
# it, SOL sinks; a volume spike every 37 candles; seeded, so reproducible.
python3 - >candles.jsonl <<'PY'
import json, random
random.seed(18)
H = 3600 * 10**6
t0 = 1767225600 * 10**6
for sym, px, drift in (("BTC-USD", 60000.0, 0.0), ("ETH-USD", 2000.0, 0.002), ("SOL-USD", 100.0, -0.002)):
    for i in range(300):
        o = px
        c = px * (1 + drift + random.uniform(-0.01, 0.01))
        h, l = max(o, c) * (1 + random.uniform(0, 0.004)), min(o, c) * (1 - random.uniform(0, 0.004))
        v = random.uniform(1, 10) * (8 if i % 37 == 0 else 1)
        print(json.dumps({"ex": "coinbase", "sym": sym, "tf": "1h", "t": t0 + i * H,
            "o": round(o, 4), "h": round(h, 4), "l": round(l, 4), "c": round(c, 4),
            "v": round(v, 3), "bv": None, "n": None, "closed": True}))
        px = round(c, 4)
PY

test_expect_success 'check: errors name FILE:LINE and exit 100; a good file exits 0' '
	printf "scan A 1 RSI > 70\nscan B 3 RSI > 1,\n  zscore < 2\nwatch nope\n" >bad.conf &&
	{ ts-scan check bad.conf >out 2>err; rc=$?; } ; [ $rc -eq 100 ] &&
	grep -q "^bad.conf:2: scan .B. needs 3 of its 2 conditions" err &&
	grep -q "^bad.conf:4: .nope. is not EXCHANGE/SYMBOL" err &&
	printf "watch coinbase/ETH-USD\ntimeframes 1h 4h\nscan Hot 1 RSI >= 70\n" >good.conf &&
	ts-scan check good.conf >out && grep -q "1 scans, 1 markets, 2 timeframes" out &&
	{ ts-scan -f bad.conf run -i candles.jsonl >out 2>err; rc=$?; } ; [ $rc -eq 100 ]
'

test_expect_success 'run --json: the metrics of each market are the naive ones' '
	ts-scan run --json -i candles.jsonl >run.json &&
	for m in coinbase/BTC-USD coinbase/ETH-USD coinbase/SOL-USD; do
		python3 "$tools/scan_ref.py" --all --last 1 $m 1h candles.jsonl >ref.$$ &&
		jq -c --arg s ${m#*/} ".markets[] | select(.sym == \$s)" run.json >got.$$ &&
		python3 "$tools/scan_cmp.py" ref.$$ got.$$ || return 1
	done
'

test_expect_success 'run --json: the scans passed are those the metrics meet, ranked' '
	python3 - run.json <<-\PY
	import json, sys
	run = json.load(open(sys.argv[1]))
	scans = [("Overbought_Extreme_V1", 2, [("RSI", ">", 78), ("zscore", ">", 2.5), ("ATRstretch", ">", 3), ("VWAPgap", ">", 0.15)]),
	         ("Potential_Mean_Reversion_Short", 1, [("RSI", ">", 60), ("zscore", ">", 2)]),
	         ("Oversold_Interest", 1, [("RSI", "<", 40), ("VWAPgap", "<", -0.05)]),
	         ("BTC_Strong_Outperformers", 2, [("BTC_rel_zscore", ">", 1.5), ("RSI", ">", 55)]),
	         ("BTC_Potential_Catch_Up", 2, [("BTC_rel_zscore", ">", 0.25), ("RSI", ">", 50), ("VWAPgap", ">", 0)]),
	         ("BTC_Extreme_Underperformers", 1, [("BTC_rel_zscore", "<", -1.5)]),
	         ("Volatility_Squeeze_Alert", 1, [("BBW", "<", 0.05)])]
	def flags(m, conds):
	    return sum(1 for k, op, x in conds if m[k] is not None and (m[k] > x if op == ">" else m[k] < x))
	rank = []
	for mk in run["markets"]:
	    passed = [n for n, mn, c in scans if flags(mk["metrics"], c) >= mn]
	    assert mk["scans"] == passed, (mk["sym"], mk["scans"], passed)
	    for n, mn, c in scans:
	        assert mk["flags"][n] == flags(mk["metrics"], c), (mk["sym"], n)
	    rank.append((-len(passed), -sum(flags(mk["metrics"], c) for n, mn, c in scans if n in passed), mk["ex"] + "/" + mk["sym"]))
	assert [r[2] for r in sorted(rank)] == [m["ex"] + "/" + m["sym"] for m in run["markets"]], rank
	for s in run["scans"]:
	    want = sorted((-flags(m["metrics"], c), m["ex"] + "/" + m["sym"]) for m in run["markets"]
	                  for n, mn, c in scans if n == s["name"] and flags(m["metrics"], c) >= mn)
	    assert [(-p["flags"], p["ex"] + "/" + p["sym"]) for p in s["passed"]] == want, s
	assert any(m["scans"] for m in run["markets"]), "no scan passed at all: the series tests nothing"
	PY
'

test_expect_success 'run: the human table lists every market and each scan' '
	ts-scan run -i candles.jsonl >table &&
	grep -q "^Overbought_Extreme_V1: 2 of RSI > 78, zscore > 2.5, ATRstretch > 3, VWAPgap > 0.15" table &&
	for m in BTC-USD ETH-USD SOL-USD; do grep -q "^coinbase/$m " table || return 1; done
'

test_expect_success 'explain: the window summary is the candles, the text its numbers, the bytes stable' '
	ts-scan explain -i candles.jsonl --lookback 60 coinbase/ETH-USD 1h >ex1.json &&
	ts-scan explain -i - --lookback 60 coinbase/ETH-USD 1h <candles.jsonl >ex2.json &&
	cmp ex1.json ex2.json &&
	python3 - ex1.json candles.jsonl <<-\PY
	import json, sys
	ex = json.load(open(sys.argv[1]))
	c = [json.loads(l) for l in open(sys.argv[2])]
	c = [x for x in c if x["sym"] == "ETH-USD"][-60:]
	s = ex["visible_window_summary"]
	assert s["bars"] == 60 and s["from"] == c[0]["t"] and s["to"] == c[-1]["t"], s
	assert s["open"] == c[0]["o"] and s["close"] == c[-1]["c"], s
	assert s["high"] == max(x["h"] for x in c) and s["low"] == min(x["l"] for x in c), s
	assert abs(s["volume"] - sum(x["v"] for x in c)) < 1e-9 * s["volume"]
	chg = (c[-1]["c"] / c[0]["o"] - 1) * 100
	assert abs(s["change_pct"] - chg) < 1e-9 * abs(chg), (s, chg)
	peak, dd = c[0]["o"], 0
	for x in c:
	    peak = max(peak, x["c"]); dd = max(dd, (peak - x["c"]) / peak * 100)
	assert abs(s["max_drawdown_pct"] - dd) < 1e-9 * max(dd, 1), (s, dd)
	text = ex["explanation"]
	assert ("rose %.2f%%" % chg if chg >= 0 else "fell %.2f%%" % -chg) in text, text
	assert "RSI is %.1f" % ex["current_candle_state"]["RSI"] in text, text
	assert ex["current_candle_state"]["t"] == c[-1]["t"]
	ev = ex["key_events_in_window"]
	assert all(c[0]["t"] <= e["t"] <= c[-1]["t"] for e in ev) and ev == sorted(ev, key=lambda e: e["t"])
	for e in ev:
	    if e["type"] == "swing_high":
	        assert e["price"] == [x for x in c if x["t"] == e["t"]][0]["h"]
	PY
'

test_expect_success 'run and explain without candles for a market exit 111' '
	{ ts-scan run -i candles.jsonl coinbase/DOGE-USD >out 2>err; rc=$?; } ; [ $rc -eq 111 ] &&
	grep -q "coinbase/DOGE-USD/1h.: no candles" err &&
	{ ts-scan explain -i /dev/null coinbase/ETH-USD 1h >out 2>err; rc=$?; } ; [ $rc -eq 111 ]
'

test_expect_success 'usage errors exit 100' '
	{ ts-scan explain coinbase/ETH-USD >out 2>err; rc=$?; } ; [ $rc -eq 100 ] &&
	{ ts-scan run -t 7m coinbase/ETH-USD >out 2>err; rc=$?; } ; [ $rc -eq 100 ] &&
	{ ts-scan -i candles.jsonl >out 2>err; rc=$?; } ; [ $rc -eq 100 ] &&
	{ ts-scan run -i candles.jsonl coinbase-ETH >out 2>err; rc=$?; } ; [ $rc -eq 100 ]
'
test_done
