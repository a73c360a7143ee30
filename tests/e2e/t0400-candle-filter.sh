#!/bin/sh
# t0400: ts-candle --stdin: the pipeline form, its usage and its bad-input handling
. "$(dirname "$0")/lib.sh"
D=$TS_TOP/tests/data/candle
ALL=1s,5s,15s,1m,3m,5m,15m,30m,1h,2h,4h,6h,12h,1d,1w

test_expect_success '--help prints the usage and exits 0' '
	ts-candle --help >out && grep -q "^usage: ts-candle" out
'

test_expect_success 'bad options exit 100 with a message' '
	{ ts-candle --stdin -t 2m </dev/null 2>err; test $? -eq 100; } &&
	grep -q "bad timeframe .2m." err &&
	{ ts-candle --bogus 2>err; test $? -eq 100; } &&
	{ ts-candle -t 1m </dev/null 2>err; test $? -eq 100; } &&
	grep -q "belong to --stdin" err &&
	{ ts-candle --rest nosuchex=http://x 2>err; test $? -eq 100; } &&
	grep -q "no REST candle endpoint for .nosuchex." err
'

test_expect_success 'golden: closed, flat and open candles of two timeframes' '
	{ ts-candle --stdin -t 1m,5m -T "$D/trades-small.jsonl" >out 2>err; test $? -eq 100; } &&
	test_cmp "$D/expect-small.txt" out &&
	grep -q "trades-small.jsonl:4: expected JSON or TOPIC<tab>JSON; skipped" err &&
	grep -q "1m.: 4 trades, 1 late" err &&
	grep -q "1 invalid lines skipped" err
'

# ts-feed --stdout interleaves book and status lines with its trades; a
# status topic once read an unset pointer (crashed 7 runs in 20)
test_expect_success 'other topics in the stream are skipped without a word, exit 0' '
	for i in 1 2 3 4 5 6 7 8 9 10; do
		printf "status/feed/coinbase\t{\"ex\":\"coinbase\"}\n" | ts-candle --stdin >out 2>err ||
		    { echo "run $i: exit $?"; cat err; return 1; }
		test ! -s err || { cat err; return 1; }
		test ! -s out || return 1
	done &&
	{ printf "status/feed/coinbase\t{\"ex\":\"coinbase\",\"state\":\"connected\"}\n" &&
	  printf "book/coinbase/BTC-USD\t{\"type\":\"snapshot\",\"bids\":[[1,1]],\"asks\":[[2,1]]}\n" &&
	  grep -v garbage "$D/trades-small.jsonl" | head -2 &&
	  printf "book/coinbase/BTC-USD\t{\"type\":\"delta\",\"bids\":[],\"asks\":[[2,0]]}\n" &&
	  grep -v garbage "$D/trades-small.jsonl" | sed -n "3,\$p"; } >mixed &&
	grep -v garbage "$D/trades-small.jsonl" >only &&
	ts-candle --stdin -t 1m,5m -T only >expect 2>expect.err &&
	ts-candle --stdin -t 1m,5m -T mixed >actual 2>err &&
	test "$(wc -l <actual)" -ge 3 &&
	test_cmp expect actual &&
	sed "s/only/mixed/g" expect.err >expect.err2 && test_cmp expect.err2 err
'

test_expect_success 'plain JSON lines on stdin, plain JSON out; -u adds updates' '
	grep "^{" "$D/trades-small.jsonl" >plain &&
	ts-candle --stdin -t 1m <plain >out &&
	test "$(head -c 1 out)" = "{" &&
	test "$(wc -l <out)" -eq 4 &&
	ts-candle --stdin -t 1m -u plain >out &&
	test "$(grep -c "\"closed\":false" out)" -eq 4 &&
	cat plain | ts-candle --stdin -t 1m -u -r 0 >out &&
	test "$(grep -c "\"closed\":false" out)" -eq 4
'

# a live input (ts-feed --stdout | ts-candle --stdin) must show candles as
# they close, not when 256 KiB have piled up or the input ends
trade() { # SECONDS-after-1700000000 PRICE
	printf "{\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"px\":\"%s\",\"qty\":\"1\",\"side\":\"buy\",\"ts\":%d000000}\n" "$2" $((1700000000 + $1))
}

test_expect_success 'live input: a closed candle is written at once, SIGINT writes the open one and exits 0' '
	mkfifo in &&
	{ ts-candle --stdin -t 1m <in >live 2>live.err & pid=$!; } &&
	exec 3>in &&
	trade 0 100 >&3 && trade 10 101 >&3 && trade 65 102 >&3 &&
	wait_for "grep -q closed.:true live" 10 &&
	test "$(wc -l <live)" -eq 1 &&
	grep -q "c.:101" live &&
	kill -INT $pid && { wait $pid; rc=$?; } && exec 3>&- &&
	test $rc -eq 0 &&
	test "$(wc -l <live)" -eq 2 &&
	tail -1 live | grep -q "c.:102,.*closed.:false" &&
	test ! -s live.err
'

test_expect_success 'live input with -u: the open candle shows while the input is idle, conflated in a burst' '
	mkfifo in2 &&
	{ ts-candle --stdin -t 1h -u <in2 >upd & pid=$!; } &&
	exec 3>in2 &&
	trade 0 100 >&3 &&
	wait_for "grep -q c.:100, upd" 10 &&
	i=1 && burst= &&
	while [ $i -le 200 ]; do burst="$burst$(trade $i 1$i)
"; i=$((i + 1)); done &&
	printf "%s" "$burst" >&3 &&
	wait_for "grep -q c.:1200, upd" 10 &&
	test "$(wc -l <upd)" -lt 100 &&
	kill -TERM $pid && { wait $pid; rc=$?; } && exec 3>&- &&
	test $rc -eq 0 &&
	tail -1 upd | grep -q "c.:1200,.*n.:201,"
'

test_expect_success '-v counts what was skipped; -v belongs to --stdin' '
	ts-candle --stdin -v -t 1m mixed >/dev/null 2>err &&
	grep -q "lines: 5 trades, 3 of other topics (skipped), 0 bad" err &&
	{ ts-candle -v 2>err; test $? -eq 100; } && grep -q "belong to --stdin" err
'

test_expect_success 'all 15 timeframes agree with an independent reference' '
	python3 "$D/ref_candles.py" gen 7 5000 >trades &&
	python3 "$D/ref_candles.py" expect $ALL <trades >expect &&
	ts-candle --stdin -t $ALL trades 2>err | python3 "$D/ref_candles.py" norm >actual &&
	test "$(wc -l <expect)" -gt 100000 &&
	test_cmp expect actual
'

test_expect_success 'exact sums: a day of satoshis adds up to the last digit' '
	python3 -c "
import sys
for i in range(8640):
    print(\"{\\\"ex\\\":\\\"coinbase\\\",\\\"sym\\\":\\\"BTC-USD\\\",\\\"px\\\":0.1,\\\"qty\\\":0.00000001,\\\"side\\\":\\\"buy\\\",\\\"ts\\\":%d}\" % (1704067200000000 + i * 10000000))
" >day &&
	ts-candle --stdin -t 1d day >out &&
	grep -q "\"v\":0.00008640,\"bv\":0.00008640,\"n\":8640,\"closed\":false" out
'

test_expect_success 'a reader that goes away ends the filter cleanly' '
	python3 "$D/ref_candles.py" gen 3 2000 >trades &&
	ts-candle --stdin -t 1s trades 2>err | head -1 >out &&
	test "$(wc -l <out)" -eq 1
'

test_done
