#!/bin/sh
# t0440: history from ts-store first, REST only for what the store lacks
# (the newest candles), joined with no gap or duplicate; REST alone when
# ts-store does not answer
. "$(dirname "$0")/lib.sh"
D=$TS_TOP/tests/data/candle

mkdir -p "$XDG_CONFIG_HOME/tradesuite"
printf '[service feed-{ex}]\nenabled = no\n[service candle]\nenabled = no\n' \
    >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"
start_supervisor -v
bg srv python3 "$D/klines_server.py" "$TMP/port" "$TMP/requests"
wait_for '[ -s "$TMP/port" ]' || exit 111
port=$(cat "$TMP/port")

# the store holds the minutes [open-30m, open-5m): REST must serve the last
# five closed ones and the open one
now=$(date +%s)
open=$((now - now % 60))
from=$((open - 300))

test_expect_success 'ts-store holds 25 one-minute candles and answers history' '
	python3 "$D/store_candles.py" binance BTC-USDT $((open - 1800)) $from >stored.jsonl &&
	test "$(wc -l <stored.jsonl)" -eq 25 &&
	ts-store import -q stored.jsonl &&
	bg store ts-store collect trades/test/A-B &&
	wait_for "grep -q \"history on .ipc://$TMP/bus/history.\" store.err" &&
	ts-store history candles/binance/BTC-USDT/1m --limit 100 >h0 &&
	grep -c "\"n\":10" h0
'

test_expect_success 'ts-candle takes the history from ts-store and only the newest candles from REST' '
	bg candle env TS_LOG=debug ts-candle -n 20 -r 0 \
	    --rest "binance=http://127.0.0.1:$port" &&
	ts-cat -n 1 -w 15 candles/binance/BTC-USDT/1m >h &&
	grep "interval=1m&" requests >rest1m &&
	test "$(wc -l <rest1m)" -eq 1 &&
	grep -q "startTime=${from}000&" rest1m &&
	grep -q "1m.: 20 candles of history (ts-store and REST)" candle.err &&
	D="$D" python3 - "$from" h <<-\PY
	import json, os, sys, time
	from decimal import Decimal
	sys.path.insert(0, os.environ["D"])
	from klines_server import aggregate
	seam, path = int(sys.argv[1]), sys.argv[2]
	hist = json.loads(open(path).read(), parse_float=Decimal)["candles"]
	assert len(hist) == 20, len(hist)
	for i, c in enumerate(hist):
	    t = c["t"] // 1000000
	    if i:
	        assert t == hist[i - 1]["t"] // 1000000 + 60, ("gap or duplicate at", t)
	    if i == len(hist) - 1:
	        assert not c["closed"] and t <= time.time() < t + 65, c
	        break
	    assert c["closed"], c
	    # the store counts trades + 1000: where each candle came from
	    if t < seam:
	        assert c["n"] >= 1000, ("not from ts-store", c)
	    else:
	        assert c["n"] < 1000, ("not from REST", c)
	    a = aggregate(t, 60, t + 60)
	    if a:
	        for k in ("o", "h", "l", "c", "v", "bv"):
	            assert Decimal(c[k]) == a[k], (k, c, a)
	print("ok")
	PY
'

test_expect_success 'with ts-store gone (its socket left behind), REST serves it all' '
	kill -KILL $store_pid && wait $store_pid 2>/dev/null;
	test -S "$TMP/bus/history" &&
	ts-cat -n 1 -w 15 candles/binance/BTC-USDT/3m >h3 &&
	python3 "$D/check_history.py" binance 3m 20 h3 &&
	grep -q "interval=3m&.*limit=36$" requests &&
	grep -q "3m.: no answer from ts-store at .ipc://$TMP/bus/history. within 300ms" candle.err &&
	grep -q "3m.: 20 candles of history (REST)" candle.err
'

test_expect_success 'with --store-wait 0 ts-store is not asked' '
	stop $candle_pid &&
	bg candle2 env TS_LOG=debug ts-candle -n 20 -r 0 -S 0 \
	    --rest "binance=http://127.0.0.1:$port" &&
	: >requests &&
	ts-cat -n 1 -w 15 candles/binance/BTC-USDT/5m >h5 &&
	python3 "$D/check_history.py" binance 5m 20 h5 &&
	! grep -q "ts-store" candle2.err
'

test_expect_success 'SIGTERM stops ts-candle with exit 0' '
	stop $candle2_pid
'

test_done
