#!/bin/sh
# t0420: history from REST (a local Coinbase + Binance candle server),
# timeframes built from finer ones, and the seam between history and live
. "$(dirname "$0")/lib.sh"
D=$TS_TOP/tests/data/candle

mkdir -p "$XDG_CONFIG_HOME/tradesuite"
printf '[service feed-{ex}]\nenabled = no\n[service candle]\nenabled = no\n' \
    >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"
start_supervisor -v
bg srv python3 "$D/klines_server.py" "$TMP/port" "$TMP/requests"
wait_for '[ -s "$TMP/port" ]' || exit 111
port=$(cat "$TMP/port")
bg candle ts-candle -n 20 -r 0 --rest "coinbase=http://127.0.0.1:$port" \
    --rest "binance=http://127.0.0.1:$port/"

history() { # TOPIC FILE: the first message of TOPIC (its history batch)
	ts-cat -n 1 -w 10 "$1" >"$2"
}

test_expect_success 'coinbase 1m: 20 candles, empty minutes flat, equal to the exchange' '
	history candles/coinbase/BTC-USD/1m h &&
	python3 "$D/check_history.py" coinbase 1m 20 h &&
	grep -q "granularity=ONE_MINUTE" requests
'

# (20 + 16 lead candles) x 3 one-minute candles; x 7 days
test_expect_success 'coinbase 3m and 1w are built from 1m and 1d candles' '
	history candles/coinbase/BTC-USD/3m h &&
	python3 "$D/check_history.py" coinbase 3m 20 h &&
	grep -q "granularity=ONE_MINUTE&limit=108$" requests &&
	history candles/coinbase/BTC-USD/1w h &&
	python3 "$D/check_history.py" coinbase 1w 20 h &&
	grep -q "granularity=ONE_DAY&limit=252$" requests
'

test_expect_success 'binance 1m and 1d: taker-buy volume and trade counts too' '
	history candles/binance/BTC-USDT/1m h &&
	python3 "$D/check_history.py" binance 1m 20 h &&
	history candles/binance/BTC-USDT/1d h &&
	python3 "$D/check_history.py" binance 1d 20 h &&
	grep -q "symbol=BTCUSDT&interval=1d&" requests
'

test_expect_success 'a REST error leaves an empty history and says why' '
	history candles/binance/BTC-USDT/5s h &&
	grep -q "^{\"type\":\"history\",\"candles\":\[\],\"seq\":1}$" h &&
	grep -q "5s.: no history: .*HTTP 400: Invalid interval. (-1120)" candle.err
'

# trades before the history request are in the history; the live ones are
# merged into its open candle, with no duplicate and no gap at the seam
seam() { # EXCHANGE SYMBOL
	before=$(( $(date +%s%6N) - 2000000 ))
	bg "seam_$1" ts-cat "candles/$1/$2/1d" &&
	wait_for "grep -q history seam_$1.out" &&
	now=$(date +%s%6N) &&
	{
		echo "{\"ex\":\"$1\",\"sym\":\"$2\",\"px\":\"500.25\",\"qty\":\"7\",\"side\":\"buy\",\"ts\":$before}"
		echo "{\"ex\":\"$1\",\"sym\":\"$2\",\"px\":\"500.25\",\"qty\":\"0.001\",\"side\":\"buy\",\"ts\":$now}"
		echo "{\"ex\":\"$1\",\"sym\":\"$2\",\"px\":\"90.5\",\"qty\":\"0.002\",\"side\":\"sell\",\"ts\":$now}"
		echo "{\"ex\":\"$1\",\"sym\":\"$2\",\"px\":\"101.75\",\"qty\":\"0.004\",\"side\":\"buy\",\"ts\":$now}"
	} >trades_$1 &&
	ts-pub -w 5 "trades/$1/$2" trades_$1 &&
	wait_for "grep -q 101.75 seam_$1.out" &&
	python3 "$D/check_seam.py" "seam_$1.out" 0.007 0.005 3 101.75 500.25
}

test_expect_success 'coinbase: the live day candle continues the history one' '
	seam coinbase BTC-USD
'

test_expect_success 'binance: the same, with counts and taker-buy volume' '
	seam binance BTC-USDT
'

test_expect_success 'a second subscriber of a topic gets a history with the live trades (all subscribers see it)' '
	history candles/binance/BTC-USDT/1d h2 &&
	python3 -c "
import json, sys
from decimal import Decimal
a = [json.loads(l, parse_float=Decimal) for l in open(\"seam_binance.out\")]
b = json.loads(open(\"h2\").read(), parse_float=Decimal)
assert b[\"type\"] == \"history\", b
assert b[\"candles\"][:-1] == a[0][\"candles\"][:-1], \"closed history differs\"
live = [m for m in a if m.get(\"type\") != \"history\"]
last = {k: v for k, v in live[-1].items() if k != \"seq\"}
assert b[\"candles\"][-1] == last, (b[\"candles\"][-1], last)
"
'

test_done
