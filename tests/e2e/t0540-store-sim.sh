#!/bin/sh
# t0540: ts-sim -> ts-feed -> bus -> ts-store: every trade a subscriber saw
# is stored with the same fields and digits, once; books are sampled.
. "$(dirname "$0")/lib.sh"
for p in ts-sim ts-feed; do
	[ -x "$TS_BIN/$p" ] || { echo "ok 1 # skip: $p is not built"; test_done; exit 0; }
done

mkdir -p "$XDG_CONFIG_HOME/tradesuite"
printf '[service feed-{ex}]\nenabled = no\n[service candle]\nenabled = no\n' \
    >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"
start_supervisor
bg sim ts-sim --port 0 --seed 7 --rate 400 binance
wait_for 'grep -q "^port " sim.out' || exit 111
port=$(sed -n 's/^port //p' sim.out)

test_expect_success 'collector and a tap subscribe before the feed starts' '
	bg store ts-store collect trades/binance/BTC-USDT book/binance/BTC-USDT &&
	wait_for "grep -q collecting store.err" &&
	bg tap ts-cat -q trades/binance/BTC-USDT &&
	sleep 0.3 &&
	bg feed ts-feed --url "ws://127.0.0.1:$port" --rest "http://127.0.0.1:$port" binance
'

test_expect_success 'every trade the tap saw is stored, exactly' '
	wait_for "test \$(wc -l <tap.out) -ge 200" 60 &&
	stop $tap_pid &&
	sed "s/,\"seq\":[0-9]*}\$/}/" tap.out | sort >seen &&
	wait_for "ts-store query trades/binance/BTC-USDT | sort | comm -23 seen - | wc -l | grep -qx 0" 10 &&
	ts-store query trades/binance/BTC-USDT | sort >stored &&
	comm -23 seen stored >missing &&
	test_cmp /dev/null missing &&
	ts-store query trades/binance/BTC-USDT | jq -r .id | sort | uniq -d >dups &&
	test_cmp /dev/null dups
'

test_expect_success 'the book is sampled: bid below ask, mid between' '
	wait_for "ts-store query book/binance/BTC-USDT | grep -q ." 20 &&
	ts-store query book/binance/BTC-USDT | tail -1 >last &&
	python3 -c "
import json, sys
from decimal import Decimal
s = json.loads(open(\"last\").read(), parse_float=Decimal)
assert s[\"bid\"] < s[\"mid\"] < s[\"ask\"], s
assert s[\"ask\"] - s[\"bid\"] == s[\"spread\"], s
assert len(s[\"bid_bins\"]) == 10 and sum(s[\"bid_bins\"]) > 0, s
"
'

test_expect_success 'the collector stops cleanly and saw no bad message' '
	stop $store_pid &&
	grep -q "stopped: .* 0 bad messages" store.err
'

test_done
