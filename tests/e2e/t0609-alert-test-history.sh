#!/bin/sh
# t0609: `ts-alert test` seeds a rule from ts-store's history service, so a
# candle rule can be judged without waiting for its lookback to pass live
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t0600-alert-lib.inc"

cat >"$RULES" <<'R'
up    t:BTC-USD  change >= 5% over 3m
flat  t:BTC-USD  change >= 50% over 3m
px    t:BTC-USD  price crosses above 200
book  t:BTC-USD  spread > 5bps
R
# minutes 0-3 (closed: ts-store keeps closed candles only): open 100 at minute 1, close 106 at minute 3: +6% over 3m
cat >candles <<'J'
{"ex":"t","sym":"BTC-USD","tf":"1m","t":0,"o":90,"h":100,"l":90,"c":100,"v":1,"bv":0.5,"n":1,"closed":true}
{"ex":"t","sym":"BTC-USD","tf":"1m","t":60000000,"o":100,"h":101,"l":100,"c":101,"v":1,"bv":0.5,"n":1,"closed":true}
{"ex":"t","sym":"BTC-USD","tf":"1m","t":120000000,"o":101,"h":103,"l":101,"c":103,"v":1,"bv":0.5,"n":1,"closed":true}
{"ex":"t","sym":"BTC-USD","tf":"1m","t":180000000,"o":103,"h":106,"l":103,"c":106,"v":1,"bv":0.5,"n":1,"closed":true}
J
echo '{"ex":"t","sym":"BTC-USD","id":"1","px":250,"qty":1,"side":"buy","ts":5000000}' >trades

start_supervisor
test_expect_success 'without ts-store, a candle rule has no data in time (111)' '
	test_expect_code=0; ts-alert -w 300ms test up >out 2>err || test_expect_code=$?;
	test $test_expect_code -eq 111 &&
	grep -q "not enough data on .candles/t/BTC-USD/1m." out &&
	! grep -q seeded out
'
test_expect_success 'ts-store collects the candles and a trade' '
	bg store ts-store collect &&
	wait_for "grep -q collecting store.err" &&
	ts-pub candles/t/BTC-USD/1m candles && ts-pub trades/t/BTC-USD trades &&
	wait_for "ts-store query candles/t/BTC-USD/1m | wc -l | grep -qx 4" 20 &&
	wait_for "ts-store query trades/t/BTC-USD | wc -l | grep -qx 1" 20
'
test_expect_success 'test seeds the lookback from the store and explains' '
	ts-alert -w 30s test up >out &&
	cat >expect <<-X &&
	up ($RULES:1): t:BTC-USD change >= 5% over 3m
	  change (%) is 6, so '"'"'change >= 5% over 3m'"'"' is true: it would fire
	  seeded with 4 candles from ts-store
	X
	test_cmp expect out
'
test_expect_success 'a false rule says so from the same history' '
	ts-alert -w 30s test flat >out &&
	grep -q "change (%) is 6, so .change >= 50% over 3m. is false: it would not fire" out
'
test_expect_success 'a price rule is seeded with the last stored trade' '
	ts-alert -w 30s test px >out &&
	grep -q "last trade price is 250" out &&
	grep -q "seeded with 1 message from ts-store" out
'
test_expect_success 'a book rule has no history and still waits for live data' '
	test_expect_code=0; ts-alert -w 300ms test book >out || test_expect_code=$?;
	test $test_expect_code -eq 111 && ! grep -q seeded out
'
test_done
