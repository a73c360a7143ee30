#!/bin/sh
# t0304: the real cascade with --demo: ts-sim as the exchange, ts-feed and
# ts-candle started by subscriptions (skipped when they are not built)
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/sup-lib.inc"

have_all() { for p in ts-sim ts-feed ts-candle; do [ -x "$TS_BIN/$p" ] || return 1; done; }
if ! have_all; then
	echo "ok 1 # skip: ts-sim, ts-feed or ts-candle is not built"
	test_done; exit 0
fi
mkdir -p "$XDG_CONFIG_HOME/tradesuite"
printf '[supervisor]\nlinger = 1s\nstatus-interval = 500ms\n' >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"

test_expect_success 'demo mode starts ts-sim, always on' '
	start_supervisor --demo --demo-port 0 &&
	wait_for "[ \"\$(st sim state)\" = up ]" 20
'

test_expect_success 'status names the demo port; ts-feed --list there lists its markets' '
	port=$(ts-supervisor status --json | jq -e .demo_port) && test "$port" -gt 0 &&
	ts-supervisor status >human &&
	grep -x "demo: ts-sim on 127.0.0.1:$port; its markets: ts-feed --list --rest http://127.0.0.1:$port EXCHANGE" human &&
	ts-feed --list --rest http://127.0.0.1:$port coinbase >out &&
	printf "BTC-USD\nETH-USD\n" >expect && test_cmp expect out
'

test_expect_success 'a candle subscriber starts ts-candle and, through it, ts-feed coinbase' '
	bg C ts-cat candles/coinbase/BTC-USD/1m &&
	wait_for "grep -q -v history \"$TMP/C.out\"" 60 &&
	wait_for "[ \"\$(st candle state)\" = up ] && [ \"\$(st feed-coinbase state)\" = up ]" &&
	st feed-coinbase markets | jq -e "index(\"BTC-USD\") != null" &&
	grep "starting .feed-coinbase.*ts-feed --url ws://127.0.0.1:" "$TMP/sup.err"
'

test_expect_success 'kill -9 of the feed: restarted, and trades flow again' '
	pf=$(pid_of feed-coinbase) && kill -KILL $pf &&
	wait_for "p=\$(pid_of feed-coinbase) && [ \$p != $pf ]" 10 &&
	ts-cat -n 1 -w 20 trades/coinbase/BTC-USD >out && jq -e ".px > 0" out
'

test_expect_success 'unsubscribing the candle topic stops ts-candle, then ts-feed' '
	kill $C_pid &&
	wait_for "[ \"\$(st candle state)\" = down ] && [ \"\$(st feed-coinbase state)\" = down ]" 30 &&
	test "$(st sim state)" = up
'
test_done
