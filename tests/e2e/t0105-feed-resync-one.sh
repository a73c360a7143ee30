#!/bin/sh
# t0105-feed-resync-one: a book found out of sync for a reason of its own
# (crossed) is resynced alone: reset on its topic only, the other book of
# the same connection goes on untouched, no reconnection, and the resynced
# book equals the simulator's
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/data/feed/lib-feed.sh"

start_supervisor
start_sim --seed 21 --rate 200 coinbase binance

bg catc ts-cat -q book/coinbase/BTC-USD book/coinbase/ETH-USD status/feed/coinbase
bg catb ts-cat -q book/binance/BTC-USDT book/binance/ETH-USDT status/feed/binance
sleep 0.3
bg feedc ts-feed --url $WS --rest $REST coinbase
bg feedb ts-feed --url $WS --rest $REST binance

# on_topic FILE SYM TYPE: how many book messages of TYPE SYM got
on_topic() { grep -c "\"sym\":\"$2\",\"type\":\"$3\"" "$1" || true; }
last_status() { grep '"state"' "$1" | tail -n 1; }

test_expect_success 'books open and equal the simulator' '
	wait_for "[ \$(on_topic catc.out BTC-USD snapshot) -ge 1 ] && [ \$(on_topic catc.out ETH-USD snapshot) -ge 1 ]" 20 &&
	wait_for "[ \$(on_topic catb.out BTC-USDT snapshot) -ge 1 ] && [ \$(on_topic catb.out ETH-USDT snapshot) -ge 1 ]" 20 &&
	settle_books catc.out coinbase BTC-USD ETH-USD &&
	settle_books catb.out binance BTC-USDT ETH-USDT
'

test_expect_success 'coinbase: a crossed BTC-USD resyncs BTC-USD alone' '
	eth_snaps=$(on_topic catc.out ETH-USD snapshot) btc_snaps=$(on_topic catc.out BTC-USD snapshot) &&
	[ "$(on_topic catc.out ETH-USD reset)" -eq 0 ] &&
	sim_get "/_sim/fault?spec=cross=BTC-USD" | jq -e .ok &&
	wait_for "grep -q \"\\\"sym\\\":\\\"BTC-USD\\\",\\\"type\\\":\\\"reset\\\",\\\"reason\\\":\\\"crossed\\\"\" catc.out" 20 &&
	wait_for "[ \$(on_topic catc.out BTC-USD snapshot) -gt $btc_snaps ]" 20 &&
	settle_books catc.out coinbase BTC-USD ETH-USD &&
	[ "$(on_topic catc.out ETH-USD reset)" -eq 0 ] &&
	[ "$(on_topic catc.out ETH-USD snapshot)" -eq "$eth_snaps" ] &&
	! grep -q "\"event\":\"disconnected\"" catc.out &&
	wait_for "last_status catc.out | jq -e \".reconnects == 0 and .resyncs >= 1 and .symbols[\\\"BTC-USD\\\"].book == \\\"live\\\"\"" 10
'

test_expect_success 'binance: a crossed BTC-USDT resyncs BTC-USDT alone' '
	eth_snaps=$(on_topic catb.out ETH-USDT snapshot) btc_snaps=$(on_topic catb.out BTC-USDT snapshot) &&
	sim_get "/_sim/fault?spec=cross=BTC-USDT" | jq -e .ok &&
	wait_for "grep -q \"\\\"sym\\\":\\\"BTC-USDT\\\",\\\"type\\\":\\\"reset\\\",\\\"reason\\\":\\\"crossed\\\"\" catb.out" 20 &&
	wait_for "[ \$(on_topic catb.out BTC-USDT snapshot) -gt $btc_snaps ]" 20 &&
	settle_books catb.out binance BTC-USDT ETH-USDT &&
	[ "$(on_topic catb.out ETH-USDT reset)" -eq 0 ] &&
	[ "$(on_topic catb.out ETH-USDT snapshot)" -eq "$eth_snaps" ] &&
	! grep -q "\"event\":\"disconnected\"" catb.out
'

test_expect_success 'coinbase: a sequence gap still resyncs every book' '
	r_eth=$(on_topic catc.out ETH-USD reset) r_btc=$(on_topic catc.out BTC-USD reset) &&
	sim_get "/_sim/fault?spec=skip" | jq -e .ok &&
	wait_for "[ \$(on_topic catc.out ETH-USD reset) -gt $r_eth ] && [ \$(on_topic catc.out BTC-USD reset) -gt $r_btc ]" 20 &&
	grep "\"sym\":\"ETH-USD\",\"type\":\"reset\"" catc.out | tail -n 1 | grep -q "sequence gap" &&
	settle_books catc.out coinbase BTC-USD ETH-USD
'

test_expect_success 'the feeds stop cleanly' '
	stop $feedc_pid && stop $feedb_pid
'

test_done
