#!/bin/sh
# t0602: book conditions: mid crossing, spread, imbalance within a band; resets
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t0600-alert-lib.inc"

cat >"$RULES" <<'R'
set cooldown 0
mid-up    t:ETH-USD  mid crosses above 2000
wide      t:ETH-USD  spread > 20bps
bidheavy  t:ETH-USD  imbalance within 1% > 0.5
end-b     t:ETH-USD  jq book '.end == true'
R
cat >book <<'J'
{"type":"snapshot","bids":[[1990,1],[1989,1],[1900,50]],"asks":[[1991,1],[1992,1],[2100,50]],"ts":1000000}
{"type":"delta","bids":[[1990,0],[1999,1]],"asks":[[1991,0],[1992,0],[2001,1]],"ts":2000000}
{"type":"delta","bids":[[1985,10]],"asks":[],"ts":3000000}
{"type":"delta","bids":[],"asks":[[2001,0],[2010,1]],"ts":4000000}
{"type":"reset","reason":"test","ts":5000000}
{"type":"delta","bids":[[1500,1]],"asks":[[2500,1]],"ts":5500000}
{"type":"snapshot","bids":[[1990,1]],"asks":[[1991,1]],"ts":6000000}
{"type":"delta","bids":[[1990,5]],"asks":[],"ts":7000000}
{"type":"delta","bids":[],"asks":[],"end":true,"ts":8000000}
J
# mid 2000 = (1999+2001)/2; spread (2010-1999)/2004.5 = 54.88 bps;
# imbalance (12-1)/13 within 1% of the mid, then (5-1)/6 after the resync.
# The delta after the reset (no snapshot yet) must not count. The levels
# at 1900 and 2100 are outside every band: summed from the wrong end of the
# book, the bids would stop at 1900 and count nothing.
cat >expect <<'J'
{"rule":"mid-up","ex":"t","sym":"ETH-USD","cond":"mid crosses above 2000","value":2000,"threshold":2000,"ts":2000000}
{"rule":"bidheavy","ex":"t","sym":"ETH-USD","cond":"imbalance within 1% > 0.5","value":0.8461538461538461,"threshold":0.5,"ts":3000000}
{"rule":"wide","ex":"t","sym":"ETH-USD","cond":"spread > 20bps","value":54.876527812422054,"threshold":20,"ts":4000000}
{"rule":"bidheavy","ex":"t","sym":"ETH-USD","cond":"imbalance within 1% > 0.5","value":0.6666666666666666,"threshold":0.5,"ts":7000000}
J

start_supervisor
test_expect_success 'book rules fire on the edges and not while the book is out of sync' '
	start_alert &&
	ts-pub book/t/ETH-USD book &&
	wait_rule end-b &&
	alerts_without end-b >actual &&
	test_cmp expect actual
'
test_expect_success 'ts-alert test explains a book rule against live data' '
	(sleep 0.5; echo "{\"type\":\"snapshot\",\"bids\":[[1990,1]],\"asks\":[[1991,1]],\"ts\":9000000}" |
	    ts-pub -w 5 book/t/ETH-USD) &
	ts-alert -w 5 test wide >test.out &&
	grep -q "spread (bps) is 5.02386.*so .spread > 20bps. is false: it would not fire" test.out
'
test_done
