#!/bin/sh
# t0120-feed-kraken: ts-feed kraken against ts-sim's Kraken (websocket v2):
# books deeper than the subscribed 1000 levels equal the simulator's best
# 1000 after every fault, a wrong checksum resyncs its symbol alone on the
# same connection, no trade is lost or repeated across drops, a malformed
# message is counted, bad symbols and hosts give the right exit codes
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/data/feed/lib-feed.sh"

start_sim --seed 7 --rate 300 --truth truth.jsonl kraken
bg fk ts-feed --stdout --url $WS --rest $REST kraken BTC-USD ETH-USD

# the feed keeps Kraken's subscribed depth of the simulator's deeper books
BOOK_DEPTH=1000
kr_settle() { settle_books fk.out kraken BTC-USD ETH-USD; }

settle_trades() {
	sim_get /_sim/pause >/dev/null &&
	wait_for "last_trade_is fk.out kraken BTC-USD && last_trade_is fk.out kraken ETH-USD" 20 &&
	trades_ok fk.out kraken BTC-USD truth.jsonl &&
	trades_ok fk.out kraken ETH-USD truth.jsonl
	t_rc=$?
	sim_get /_sim/resume >/dev/null
	return $t_rc
}

# on_topic SYM TYPE: book messages of TYPE published for SYM
on_topic() { grep -c "^book/kraken/$1	.*\"type\":\"$2\"" fk.out || true; }
last_status() { grep "^status/feed/kraken" fk.out | tail -1 | cut -f2-; }

test_expect_success 'books open and equal the simulator, deeper than 1000' '
	wait_for "[ \$(on_topic BTC-USD snapshot) -ge 1 ] && [ \$(on_topic ETH-USD snapshot) -ge 1 ]" 20 &&
	sleep 2 && kr_settle &&
	sim_get "/_sim/book?exchange=kraken&symbol=BTC-USD" | jq -e "(.bids|length) > 1000 or (.asks|length) > 1000" &&
	grep -q "^book/kraken/.*\"type\":\"delta\"" fk.out &&
	[ "$(on_topic BTC-USD reset)" -eq 0 ] && [ "$(on_topic ETH-USD reset)" -eq 0 ]
'

test_expect_success 'a wrong checksum resyncs that symbol alone, on the same connection' '
	r0=$(grep -c "\"reason\":\"checksum mismatch\"" fk.out || true) &&
	s_btc=$(on_topic BTC-USD snapshot) s_eth=$(on_topic ETH-USD snapshot) &&
	sim_get "/_sim/fault?spec=checksum" | jq -e .ok &&
	wait_for "[ \$(grep -c \"\\\"reason\\\":\\\"checksum mismatch\\\"\" fk.out) -gt $r0 ]" 20 &&
	wait_for "[ \$((\$(on_topic BTC-USD snapshot) + \$(on_topic ETH-USD snapshot))) -eq $((s_btc + s_eth + 1)) ]" 20 &&
	[ "$(grep -c "\"reason\":\"checksum mismatch\"" fk.out)" -eq $((r0 + 1)) ] &&
	[ $(($(on_topic BTC-USD reset) + $(on_topic ETH-USD reset))) -eq 1 ] &&
	grep "^status/feed/kraken" fk.out | grep -q "\"event\":\"checksum_mismatch\"" &&
	! grep -q "\"event\":\"disconnected\"" fk.out &&
	kr_settle &&
	wait_for "last_status | jq -e \".reconnects == 0 and .resyncs == 1 and ([.symbols[].resyncs] | sort) == [0,1] and .symbols[\\\"BTC-USD\\\"].book == \\\"live\\\" and .symbols[\\\"ETH-USD\\\"].book == \\\"live\\\"\"" 10
'

test_expect_success 'a crossed book resyncs too' '
	sim_get "/_sim/fault?spec=cross=ETH-USD" | jq -e .ok &&
	wait_for "[ \$(on_topic ETH-USD reset) -ge 1 ] && grep -q \"^book/kraken/ETH-USD.*reset\" fk.out" 20 &&
	kr_settle
'

test_expect_success 'trades flow and match the truth' '
	settle_trades
'

test_expect_success 'a dropped connection loses and repeats no trade; the books come back' '
	sim_get "/_sim/fault?spec=drop" && sleep 1 && settle_trades && kr_settle
'

test_expect_success 'a longer outage is backfilled from REST Trades' '
	sim_get "/_sim/fault?spec=refuse=3" && sim_get "/_sim/fault?spec=drop" &&
	sleep 4 && settle_trades && kr_settle &&
	wait_for "last_status | jq -e \"([.symbols[].backfilled] | add) > 0 and ([.symbols[].missed] | add) == 0 and .reconnects == 2\"" 10 ||
	{ last_status; false; }
'

test_expect_success 'a malformed message is counted, not fatal' '
	sim_get "/_sim/fault?spec=malformed" | jq -e .ok &&
	wait_for "last_status | jq -e \".malformed >= 1\"" 15 &&
	kill -0 $fk_pid && kr_settle
'

test_expect_success 'an unknown symbol exits 100, an unreachable host 111' '
	XDG_CACHE_HOME=$TMP/nocache expect_code 100 ts-feed --stdout --url $WS --rest $REST kraken NOPE-USD &&
	grep -q "none of the symbols is known to kraken" err &&
	port=$(free_port) &&
	XDG_CACHE_HOME=$TMP/nocache expect_code 111 ts-feed --stdout --url ws://127.0.0.1:$port --rest http://127.0.0.1:$port kraken BTC-USD &&
	grep -q "cannot load the kraken instrument list" err
'

test_expect_success 'the feed stops cleanly' '
	stop $fk_pid
'

test_done
