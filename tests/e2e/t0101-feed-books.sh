#!/bin/sh
# t0101-feed-books: ts-sim -> ts-feed -> bus -> ts-cat: the books a consumer
# rebuilds equal the simulator's, at start and after every fault
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/data/feed/lib-feed.sh"

start_supervisor
start_sim --seed 11 --rate 200 coinbase binance

# subscribers first: ts-feed learns what is wanted from the bus
bg catb ts-cat -q book/binance/BTC-USDT book/binance/ETH-USDT status/feed/binance
bg catc ts-cat -q book/coinbase/BTC-USD book/coinbase/ETH-USD status/feed/coinbase
sleep 0.3
bg feedb ts-feed --watchdog 5 --url $WS --rest $REST binance
bg feedc ts-feed --watchdog 2 --url $WS --rest $REST coinbase

check_all() {
	settle_books catb.out binance BTC-USDT ETH-USDT &&
	settle_books catc.out coinbase BTC-USD ETH-USD
}

test_expect_success 'books open on subscription and equal the simulator' '
	wait_for "grep -q snapshot catb.out && grep -q snapshot catc.out" 20 &&
	check_all
'

# resyncs seen: a reset, or a disconnection (which resets the books that
# were live; one a fault finds already resyncing publishes no second reset)
resets() { grep -c -e "\"type\":\"reset\"" -e "\"event\":\"disconnected\"" "$1" || true; }

# Each line: the faults injected together, then which feeds must resync
# (b binance, c coinbase): the test waits for that before comparing (on a
# slow machine a book may be resyncing already, say after a watchdog
# reconnect while the market was paused; the comparison still decides). REST faults are paired with a skip so that a
# snapshot is fetched while they are in force.
while read -r faults must; do
	test_expect_success "after $faults the books equal the simulator" '
		rb=$(resets catb.out) rc=$(resets catc.out) &&
		for f in $(echo $faults | tr , " "); do sim_get "/_sim/fault?spec=$f"; done &&
		case $must in *b*) wait_for "[ \$(resets catb.out) -gt $rb ]" 10 || echo "# (binance was resyncing already)" ;; esac &&
		case $must in *c*) wait_for "[ \$(resets catc.out) -gt $rc ]" 10 || echo "# (coinbase was resyncing already)" ;; esac &&
		sleep 0.5 && check_all
	'
done <<EOF2
drop bc
skip bc
repeat -
malformed -
snapshot-delay=2,skip bc
rest-429=2,skip b
rest-500=2,skip b
refuse=1,drop bc
shutdown b
stall=8 bc
EOF2

test_expect_success 'a skipped sequence number was seen as a gap (reset published)' '
	grep -q "\"type\":\"reset\",\"reason\":\"gap" catb.out &&
	grep "\"type\":\"reset\"" catc.out | grep -q "sequence gap"
'

malformed_seen() {
	cat catb.out catc.out | grep '"state"' | jq -s -e 'map(.malformed) | max >= 1'
}

test_expect_success 'the malformed message was counted, not fatal' '
	wait_for malformed_seen 10 &&
	kill -0 $feedb_pid && kill -0 $feedc_pid
'

# The snapshot answers the subscription (a round trip through the bus
# proxy to ts-feed), while deltas of the topic already flow to the proxy for
# the first subscriber: one or two may reach the late one first.
test_expect_success 'a late subscriber gets a full snapshot at once' '
	ts-cat -q -n 5 -w 10 book/binance/ETH-USDT >late.out &&
	grep -q "\"type\":\"snapshot\"" late.out ||
	{ echo "# no snapshot in the first 5 messages:"; cut -c1-100 late.out; return 1; }
'

test_expect_success 'the feeds stop cleanly' '
	stop $feedb_pid && stop $feedc_pid
'

test_done
