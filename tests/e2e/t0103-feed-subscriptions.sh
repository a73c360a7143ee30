#!/bin/sh
# t0103-feed-subscriptions: on the bus, channels open with their first
# subscriber and close with their last; nothing connects when nothing is wanted
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/data/feed/lib-feed.sh"

start_supervisor
start_sim --seed 9 --rate 200 binance
bg st ts-cat status/feed/binance
sleep 0.3
bg feed ts-feed --url $WS --rest $REST binance

wanted() { # the symbols the last status lists
	tail -1 st.out | jq -c '.symbols | keys'
}

eth_trades_only() {
	grep '"state":"connected"' st.out | tail -1 |
	    jq -e '.symbols["ETH-USDT"] | has("trades") and (has("book") | not)'
}

test_expect_success 'with no subscriber it stays idle, unconnected' '
	wait_for "grep -q \"\\\"state\\\":\\\"idle\\\"\" st.out" 10 &&
	! grep -q "\"state\":\"connected\"" st.out
'

test_expect_success 'a trades subscriber opens that channel alone' '
	bg t1 ts-cat trades/binance/ETH-USDT &&
	wait_for "grep -q ETH-USDT t1.out" 20 &&
	grep -q "\"state\":\"connected\"" st.out &&
	wait_for eth_trades_only 10
'

test_expect_success 'an unknown symbol subscribed is reported on status' '
	ts-cat -n 1 -w 3 trades/binance/NOPE-USDT >/dev/null 2>&1;
	wait_for "grep -q \"\\\"detail\\\":\\\"NOPE-USDT\\\"\" st.out" 10
'

is_idle() { tail -1 st.out | grep -q '"state":"idle"'; }

test_expect_success 'the last subscriber leaving closes the channel and the connection' '
	stop $t1_pid;
	wait_for "[ \"\$(wanted)\" = \"[]\" ]" 15 &&
	wait_for is_idle 10
'

test_expect_success 'a book subscriber then gets a snapshot first' '
	ts-cat -n 1 -w 10 book/binance/BTC-USDT >b.out &&
	jq -e ".type == \"snapshot\" and (.bids|length) > 10" b.out
'

test_done
