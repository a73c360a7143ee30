#!/bin/sh
# t0100-feed-cli: ts-feed's command line: help, bad input and exit codes
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/data/feed/lib-feed.sh"

test_expect_success '--help prints the usage and exits 0' '
	ts-feed --help >out && grep -q "^usage: ts-feed" out
'

test_expect_success 'no exchange is a usage error' '
	expect_code 100 ts-feed && grep -q "missing EXCHANGE" err &&
	grep -q "^see .ts-feed --help.$" err
'

test_expect_success 'an unknown exchange exits 100 and names it' '
	expect_code 100 ts-feed --stdout nosuchex &&
	grep -q "unknown exchange .nosuchex." err
'

test_expect_success 'a bad --url exits 100' '
	expect_code 100 ts-feed --stdout --url ftp://127.0.0.1:1 coinbase BTC-USD &&
	grep -q "bad --url .ftp://127.0.0.1:1." err &&
	expect_code 100 ts-feed --stdout --url ws://127.0.0.1:99999 coinbase &&
	expect_code 100 ts-feed --stdout --url ws://127.0.0.1:1/path coinbase &&
	expect_code 100 ts-feed --stdout --rest "http://a b" coinbase
'

test_expect_success 'a malformed symbol exits 100' '
	expect_code 100 ts-feed --stdout coinbase btcusd && grep -q "bad symbol .btcusd." err
'

test_expect_success 'an unreachable host exits 111 with the reason' '
	port=$(free_port) &&
	expect_code 111 ts-feed --stdout --url ws://127.0.0.1:$port --rest http://127.0.0.1:$port binance BTC-USDT &&
	grep -q "cannot fetch .http://127.0.0.1:$port/api/v3/exchangeInfo." err
'

start_sim --seed 7 coinbase binance

test_expect_success '--list prints what can be subscribed: the symbols, sorted' '
	ts-feed --list --rest $REST coinbase >out &&
	printf "BTC-USD\nETH-USD\n" >expect && test_cmp expect out &&
	ts-feed --list --rest $REST binance >out &&
	printf "BTC-USDT\nETH-USDT\n" >expect && test_cmp expect out &&
	expect_code 100 ts-feed --list --rest $REST coinbase BTC-USD &&
	grep -q "^ts-feed: --list takes no SYMBOL" err
'

test_expect_success 'only unknown symbols: exit 100, the symbol named' '
	expect_code 100 ts-feed --stdout --url $WS --rest $REST binance NOPE-USDT >out &&
	grep -q "unknown symbol .NOPE-USDT." err &&
	grep "^status/feed/binance" out | grep -q "\"event\":\"unknown_symbol\",\"detail\":\"NOPE-USDT\""
'

test_expect_success 'an unknown symbol among known ones is reported; the others flow' '
	bg feed ts-feed --stdout --url $WS --rest $REST binance NOPE-USDT BTC-USDT &&
	wait_for "grep -q ^trades/binance/BTC-USDT feed.out" 20 &&
	grep -q "unknown symbol .NOPE-USDT." feed.err &&
	grep "^status/feed/binance" feed.out | grep -q "\"detail\":\"NOPE-USDT\"" &&
	stop $feed_pid
'

test_expect_success 'SIGTERM ends it with 0 and a stopped status' '
	ts-feed --stdout --url $WS --rest $REST coinbase BTC-USD >out 2>err &
	p=$! && T_PIDS="$T_PIDS $p" &&
	wait_for "grep -q ^book/coinbase/BTC-USD out" 20 &&
	kill -TERM $p && wait $p &&
	tail -1 out | grep -q "\"state\":\"stopped\""
'

# The instrument cache is keyed by REST host: after a run against the
# simulator, its two-symbol list must not answer for another host, and a
# symbol missing from a cached (maybe stale) list is a failure that may pass.
test_expect_success 'the instrument cache is per REST host; a stale cache is 111' '
	ls "$XDG_CACHE_HOME"/tradesuite/instruments-coinbase-127.0.0.1_$SIM_PORT.json &&
	stop $sim_pid &&
	other=$(free_port) &&
	expect_code 111 ts-feed --stdout --url ws://127.0.0.1:$other --rest http://127.0.0.1:$other coinbase BTC-USD &&
	grep -q "cannot load the coinbase instrument list" err &&
	expect_code 111 ts-feed --stdout --url $WS --rest $REST coinbase SOL-USD &&
	grep -q "using the cached instrument list" err &&
	grep -q "none of the symbols is in the cached coinbase instrument list" err &&
	ts-feed --list --rest $REST coinbase >out 2>err &&
	printf "BTC-USD\nETH-USD\n" >expect && test_cmp expect out &&
	grep -q "using the cached instrument list" err
'

test_done
