#!/bin/sh
# t0104-feed-replay: real recorded exchange traffic replayed by ts-sim
# through ts-feed: every message accepted, no sequence gap, no resync, and
# the books equal the replay's ground truth
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/data/feed/lib-feed.sh"

REC=$TS_TOP/../shared/data/recordings

status_has() { # FILE JQ-CONDITION: some status line satisfies it
	grep "^status/feed/" "$1" | cut -f2- | jq -e -s "map(select($2)) | length > 0" >/dev/null
}

sim_stopped() { # ts-sim ends cleanly: exit 0, nothing leaked (sanitizer builds)
	stop $sim_pid && return 0
	echo "# ts-sim exited $?"; tail -n 20 "$TMP/sim.err"; return 1
}

step() { # WHAT CMD...: run CMD; on failure say which step, with the evidence
	t_what=$1; shift
	"$@" && return 0
	echo "# failed: $t_what"
	[ -s "$TMP/fb.json" ] && { echo "# feed:"; head -c 400 "$TMP/fb.json"; echo; echo "# sim:"; head -c 400 "$TMP/sb.json"; echo; }
	grep "^status/feed/" fc.out | tail -2 | sed 's/^/# /'
	return 1
}

all_snapshots() { # FILE SYM...: each SYM got a book snapshot
	f=$1; shift
	for s in "$@"; do
		grep -q "^book/binance/$s.*\"type\":\"snapshot\"" "$f" || { echo "# no snapshot for $s"; return 1; }
	done
}

test_expect_success 'coinbase recording: 1030 messages, contiguous, both books live' '
	start_sim --replay "$REC/COINBASE.jsonl.zst" coinbase &&
	bg fc ts-feed --stdout --url $WS --rest $REST coinbase BTC-USD ETH-USD &&
	wait_for "status_has fc.out \".msgs >= 1030\"" 30 &&
	step "BTC-USD book" books_equal fc.out coinbase BTC-USD &&
	step "ETH-USD book" books_equal fc.out coinbase ETH-USD &&
	step "last BTC-USD trade" last_trade_is fc.out coinbase BTC-USD &&
	stop $fc_pid && sim_stopped &&
	step "final status" status_has fc.out ".msgs >= 1030 and .seq_gaps == 0 and .resyncs == 0 and .malformed == 0 and .reconnects == 0" &&
	[ "$(grep -c "^book/coinbase/BTC-USD.*\"type\":\"snapshot\"" fc.out)" -ge 1 ] &&
	[ "$(grep -c "^book/coinbase/ETH-USD.*\"type\":\"snapshot\"" fc.out)" -ge 1 ] &&
	grep "^trades/coinbase/BTC-USD" fc.out | cut -f2- | jq -s -e "map(.id|tonumber) | . == (sort | unique) and length > 50"
'

test_expect_success 'binance recording: 265 messages, four books synced by U/u' '
	start_sim --replay "$REC/BINANCE.jsonl.zst" binance &&
	bg fb ts-feed --stdout --url $WS --rest $REST binance NKN-USDT BLZ-ETH LRC-BTC RUNE-EUR &&
	wait_for "status_has fb.out \".msgs >= 265 and .book_msgs >= 4\"" 30 &&
	for s in NKN-USDT BLZ-ETH LRC-BTC RUNE-EUR; do books_equal fb.out binance $s || return 1; done &&
	stop $fb_pid && sim_stopped &&
	status_has fb.out ".msgs == 265 and .resyncs == 0 and .malformed == 0" &&
	all_snapshots fb.out NKN-USDT BLZ-ETH LRC-BTC RUNE-EUR &&
	status_has fb.out ".msgs == 265 and .ignored == 88" &&
	! grep -q "^trades/" fb.out
'

# the recording keeps aggregated trades, as most recorders do
test_expect_success 'binance recording with -o trades=agg: its two aggregated trades, nothing else ignored but tickers and klines' '
	start_sim --replay "$REC/BINANCE.jsonl.zst" binance &&
	bg fa ts-feed --stdout -o trades=agg --url $WS --rest $REST binance NKN-USDT BLZ-ETH LRC-BTC RUNE-EUR &&
	wait_for "status_has fa.out \".msgs >= 265 and .book_msgs >= 4\"" 30 &&
	stop $fa_pid && sim_stopped &&
	status_has fa.out ".msgs == 265 and .malformed == 0 and .ignored == 86" &&
	grep "^trades/" fa.out | cut -f2- | jq -c "[.sym, .id, .px, .qty, .side, .ts]" >trades &&
	printf "%s\n" "[\"NKN-USDT\",\"15683430\",0.3528,58,\"buy\",1633998523963000]" \
	    "[\"LRC-BTC\",\"9213679\",6.38e-06,177,\"buy\",1633998534486000]" >expect &&
	test_cmp expect trades
'

test_expect_success 'an exchange option it does not know is a usage error naming it' '
	expect_code 100 ts-feed --stdout -o trades=every binance BTC-USDT &&
	grep -q "bad -o .trades=every. for binance" err &&
	expect_code 100 ts-feed --stdout -o depth=5 coinbase BTC-USD &&
	grep -q "coinbase: the exchange takes no options" err &&
	expect_code 100 ts-feed --stdout -o agg binance BTC-USDT &&
	grep -q "expected NAME=VALUE" err
'

test_done
