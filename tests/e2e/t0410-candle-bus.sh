#!/bin/sh
# t0410: ts-candle on the bus: trades in from ts-pub, candles out to ts-cat,
# closing by timer, flat empty intervals, conflation, and one trades
# subscription shared by two timeframes
. "$(dirname "$0")/lib.sh"

# the supervisor's own services stay off: this test runs ts-candle itself
mkdir -p "$XDG_CONFIG_HOME/tradesuite"
printf '[service feed-{ex}]\nenabled = no\n[service candle]\nenabled = no\n' \
    >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"
start_supervisor -v
bg candle ts-candle -n 0 -r 1 -g 100ms

test_expect_success 'two timeframes of one market share one trades subscription' '
	bg cat1 ts-cat candles/coinbase/BTC-USD/1s &&
	bg cat2 ts-cat candles/coinbase/BTC-USD/1m &&
	wait_for "grep -q \"producing .candles/coinbase/BTC-USD/1m.\" candle.err" &&
	wait_for "grep -q \"producing .candles/coinbase/BTC-USD/1s.\" candle.err" &&
	test "$(grep -c "supervisor: subscribe .trades/coinbase/BTC-USD.$" sup.err)" -eq 1
'

test_expect_success 'trades become a candle that the timer closes, then a flat one' '
	now=$(date +%s%6N) &&
	i=0 && : >trades &&
	while [ $i -lt 20 ]; do
		i=$((i + 1)) &&
		echo "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"id\":\"$i\",\"px\":\"6500$((i % 10)).5\",\"qty\":\"0.001\",\"side\":\"$([ $((i % 2)) = 0 ] && echo buy || echo sell)\",\"ts\":$now}" >>trades || return 1
	done &&
	ts-pub -w 5 trades/coinbase/BTC-USD trades &&
	t=$((now - now % 1000000)) &&
	wait_for "grep -q \"\\\"t\\\":$t,.*\\\"closed\\\":true\" cat1.out" &&
	grep "\"t\":$t,.*\"closed\":true" cat1.out >closed &&
	grep -q "\"o\":65001.5,\"h\":65009.5,\"l\":65000.5,\"c\":65000.5,\"v\":0.020,\"bv\":0.010,\"n\":20,\"closed\":true" closed &&
	t2=$((t + 1000000)) &&
	wait_for "grep -q \"\\\"t\\\":$t2,.*\\\"closed\\\":true\" cat1.out" &&
	grep -q "\"t\":$t2,\"o\":65000.5,\"h\":65000.5,\"l\":65000.5,\"c\":65000.5,\"v\":0,\"bv\":0,\"n\":0,\"closed\":true" cat1.out
'

test_expect_success 'open-candle updates are conflated' '
	n=$(grep -c "\"t\":$t,.*\"closed\":false" cat1.out) &&
	echo "$n updates for 20 trades" &&
	test "$n" -ge 1 && test "$n" -lt 20
'

test_expect_success 'a bad trade is reported and skipped, and a late one counted' '
	echo "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"px\":\"oops\",\"qty\":1,\"side\":\"buy\",\"ts\":1}" |
		ts-pub -w 5 trades/coinbase/BTC-USD &&
	echo "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":$t}" |
		ts-pub -w 5 trades/coinbase/BTC-USD &&
	wait_for "grep -q \"bad trade on .trades/coinbase/BTC-USD.: bad .px.\" candle.err" &&
	wait_for "grep -q \"candles/coinbase/BTC-USD/1s.: trade at .* is for a closed candle\" candle.err" &&
	kill -0 $candle_pid
'

test_expect_success 'a trade stamped in 2100 is skipped and does not wedge the market' '
	echo "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"px\":99,\"qty\":1,\"side\":\"buy\",\"ts\":4102444800000000}" |
		ts-pub -w 5 trades/coinbase/BTC-USD &&
	wait_for "grep -q \"bad trade on .trades/coinbase/BTC-USD.: .ts. is far in the future\" candle.err" &&
	now=$(date +%s%6N) &&
	echo "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"px\":77,\"qty\":1,\"side\":\"buy\",\"ts\":$now}" |
		ts-pub -w 5 trades/coinbase/BTC-USD &&
	t3=$((now - now % 1000000)) &&
	wait_for "grep -q \"\\\"t\\\":$t3,.*\\\"c\\\":77,\" cat1.out" &&
	! grep -q "\"t\":41024" cat1.out
'

test_expect_success 'the last subscriber leaving drops the topics and the trades subscription' '
	stop $cat1_pid; stop $cat2_pid;
	wait_for "grep -q \"supervisor: unsubscribe .trades/coinbase/BTC-USD.$\" sup.err" &&
	grep -q "candles/coinbase/BTC-USD/1s. has no subscriber: dropped" candle.err &&
	grep -q "candles/coinbase/BTC-USD/1m. has no subscriber: dropped" candle.err
'

test_expect_success 'SIGTERM stops ts-candle with exit 0' '
	stop $candle_pid
'

test_done
