#!/bin/sh
# t0450: a slow REST server does not stall ts-candle: while one market's
# history waits for its reply, another market's live candles keep coming,
# and the waiting market's trades are applied once its history is in
. "$(dirname "$0")/lib.sh"
D=$TS_TOP/tests/data/candle

mkdir -p "$XDG_CONFIG_HOME/tradesuite"
printf '[service feed-{ex}]\nenabled = no\n[service candle]\nenabled = no\n' \
    >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"
start_supervisor -v
# Coinbase requests are answered only once the file "gate" exists
bg srv python3 "$D/klines_server.py" "$TMP/port" "$TMP/requests" "$TMP/gate"
wait_for '[ -s "$TMP/port" ]' || exit 111
port=$(cat "$TMP/port")
bg candle ts-candle -n 20 -r 0 -S 0 --rest "coinbase=http://127.0.0.1:$port" \
    --rest "binance=http://127.0.0.1:$port"

trade() { # EX SYM PX QTY SIDE TS
	echo "{\"ex\":\"$1\",\"sym\":\"$2\",\"px\":\"$3\",\"qty\":\"$4\",\"side\":\"$5\",\"ts\":$6}"
}

test_expect_success 'binance: history, then live candles' '
	bg bn ts-cat candles/binance/BTC-USDT/1d &&
	wait_for "grep -q history bn.out" 15
'

test_expect_success 'coinbase: its history request hangs on the server' '
	bg cb ts-cat candles/coinbase/BTC-USD/1d &&
	before=$(( $(date +%s%6N) - 2000000 )) &&
	wait_for "grep -q \"producing .candles/coinbase/BTC-USD/1d.\" candle.err" &&
	trade coinbase BTC-USD 500.25 7 buy $before | ts-pub -w 5 trades/coinbase/BTC-USD &&
	wait_for "grep -q granularity=ONE_DAY requests" 15 &&
	test ! -s cb.out
'

test_expect_success 'meanwhile binance trades become live candles at once' '
	now=$(date +%s%6N) &&
	trade binance BTC-USDT 777.5 0.003 buy $now | ts-pub -w 5 trades/binance/BTC-USDT &&
	wait_for "grep -q 777.5 bn.out" 15 &&
	test ! -s cb.out
'

test_expect_success 'coinbase trades wait for the history, then join it at the seam' '
	now=$(date +%s%6N) &&
	{
		trade coinbase BTC-USD 500.25 0.001 buy $now
		trade coinbase BTC-USD 90.5 0.002 sell $now
		trade coinbase BTC-USD 101.75 0.004 buy $now
	} | ts-pub -w 5 trades/coinbase/BTC-USD &&
	test ! -s cb.out &&
	touch gate &&
	wait_for "grep -q 101.75 cb.out" 15 &&
	head -1 cb.out | grep -q "^{\"type\":\"history\"" &&
	python3 "$D/check_history.py" coinbase 1d 20 cb.out &&
	python3 "$D/check_seam.py" cb.out 0.007 0.005 3 101.75 500.25
'

test_expect_success 'SIGTERM stops ts-candle with exit 0' '
	stop $candle_pid
'

test_done
