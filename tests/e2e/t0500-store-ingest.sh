#!/bin/sh
# t0500: ts-store collects trades, candles and book samples from the bus and
# gives back exactly what was published; duplicates are stored once; bad
# messages are counted and skipped; the history service answers.
. "$(dirname "$0")/lib.sh"

# trades with awkward digits: trailing zeros, tiny sizes, text ids
python3 - <<'PY' >trades.jsonl
for i in range(2000):
    px = "%d.%02d" % (60000 + i % 500, i % 100)
    qty = ["0.00100", "1", "0.00000001", "12.5"][i % 4]
    tid = str(5000 + i) if i % 10 else "x-%d" % i
    print('{"ex":"binance","sym":"BTC-USDT","id":"%s","px":%s,"qty":%s,"side":"%s",'
          '"ts":%d,"rt":%d}' % (tid, px, qty, "buy" if i % 3 else "sell",
                                1700000000000000 + i * 1000, 1700000000000700 + i * 1000))
PY
python3 - <<'PY' >candles.jsonl
for i in range(5):
    t = 1700000040000000 + i * 60000000
    print('{"ex":"binance","sym":"BTC-USDT","tf":"1m","t":%d,"o":100.10,"h":101.00,'
          '"l":99.5,"c":100.20,"v":3.000,"bv":1.5,"n":%d,"closed":%s}'
          % (t, i, "true" if i < 4 else "false"))
PY

start_supervisor

test_expect_success 'collect starts and subscribes' '
	bg store ts-store collect --status 200ms &&
	wait_for "grep -q collecting store.err"
'

test_expect_success 'trades published on the bus come back exactly' '
	ts-pub trades/binance/BTC-USDT trades.jsonl &&
	wait_for "ts-store query trades/binance/BTC-USDT | wc -l | grep -qx 2000" 20 &&
	ts-store query trades/binance/BTC-USDT >out.jsonl &&
	sort trades.jsonl >expect && sort out.jsonl >actual &&
	test_cmp expect actual
'

test_expect_success 'query output is ordered by time and the range is half-open' '
	ts-store query trades/binance/BTC-USDT --since 1700000000010000 \
	    --until 1700000000013000 >range.jsonl &&
	sed -n 11,13p trades.jsonl >expect &&
	test_cmp expect range.jsonl
'

test_expect_success 'csv output has a header and the same digits' '
	ts-store query trades/binance/BTC-USDT --format csv --limit 2 >out.csv &&
	printf "%s\n" "ex,sym,id,px,qty,side,ts,rt" \
	    "binance,BTC-USDT,6998,60498.98,0.00000001,sell,1700000001998000,1700000001998700" \
	    "binance,BTC-USDT,6999,60499.99,12.5,buy,1700000001999000,1700000001999700" >expect &&
	test_cmp expect out.csv
'

test_expect_success 'a replay of the same trades is stored once' '
	ts-pub trades/binance/BTC-USDT trades.jsonl &&
	wait_for "ts-cat -n 1 status/store | grep -q \"\\\"dups\\\":2000\"" 20 &&
	ts-store query trades/binance/BTC-USDT | wc -l >n &&
	echo 2000 >expect && test_cmp expect n
'

test_expect_success 'bad messages are counted and skipped' '
	printf "%s\n" "{\"ex\":\"binance\",\"sym\":\"ETH-USDT\",\"id\":\"1\",\"px\":\"x\"}" \
	    "{\"ex\":\"binance\",\"sym\":\"ETH-USDT\",\"id\":\"2\",\"px\":5.5,\"qty\":1,\"side\":\"buy\",\"ts\":1700000000000000}" |
	    ts-pub trades/binance/ETH-USDT &&
	wait_for "ts-store query trades/binance/ETH-USDT | grep -q \"\\\"id\\\":\\\"2\\\"\"" &&
	grep -q "bad message on .trades/binance/ETH-USDT.: missing or bad \"px\"" store.err &&
	ts-cat -n 1 status/store | grep -q "\"bad\":1,"
'

test_expect_success 'closed candles are stored (upserted), open ones are not' '
	ts-pub candles/binance/BTC-USDT/1m candles.jsonl &&
	wait_for "ts-store query candles/binance/BTC-USDT/1m | wc -l | grep -qx 4" &&
	echo "{\"type\":\"history\",\"candles\":[{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"tf\":\"1m\",\"t\":1700000040000000,\"o\":100.10,\"h\":102.00,\"l\":99.5,\"c\":101.70,\"v\":4.000,\"bv\":1.5,\"n\":9,\"closed\":true}]}" |
	    ts-pub candles/binance/BTC-USDT/1m &&
	wait_for "ts-store query candles/binance/BTC-USDT/1m --limit 4 | head -1 | grep -q 102.00" &&
	ts-store query candles/binance/BTC-USDT/1m >c.jsonl &&
	test $(wc -l <c.jsonl) -eq 4 &&
	head -1 c.jsonl >actual &&
	echo "{\"ex\":\"binance\",\"sym\":\"BTC-USDT\",\"tf\":\"1m\",\"t\":1700000040000000,\"o\":100.10,\"h\":102.00,\"l\":99.5,\"c\":101.70,\"v\":4.000,\"bv\":1.5,\"n\":9,\"closed\":true}" >expect &&
	test_cmp expect actual
'

test_expect_success 'the history service answers with a history batch' '
	ts-store history candles/binance/BTC-USDT/1m --limit 2 >h.json &&
	jq -c ".type, (.candles|length), .candles[0].t" h.json >actual &&
	printf "%s\n" "\"history\"" 2 1700000160000000 >expect &&
	test_cmp expect actual &&
	grep -q "\"t\":1700000220000000,\"o\":100.10,\"h\":101.00,\"l\":99.5,\"c\":100.20,\"v\":3.000,\"bv\":1.5,\"n\":3,\"closed\":true}]}\$" h.json &&
	ts-store history candles/binance/BTC-USDT/1m --since 1700000100000000 \
	    --until 1700000160000000 >h2.json &&
	jq -c "[.candles[].t]" h2.json >actual &&
	echo "[1700000100000000]" >expect && test_cmp expect actual
'

test_expect_success 'the history service reports a bad request' '
	test_must_fail=0 &&
	{ ts-store history status/store >bad.json; test $? -eq 100; } &&
	grep -q "\"type\":\"error\"" bad.json
'

test_expect_success 'book messages are sampled with exact mid, spread and depth bins' '
	printf "%s\n" \
	    "{\"ex\":\"kraken\",\"sym\":\"ETH-USD\",\"type\":\"snapshot\",\"bids\":[[100.00,1.5],[99.96,2],[99.00,7]],\"asks\":[[100.01,0.5],[100.07,1.25]],\"ts\":1700000000000000}" \
	    "{\"ex\":\"kraken\",\"sym\":\"ETH-USD\",\"type\":\"delta\",\"bids\":[[100.00,0]],\"asks\":[],\"ts\":1700000000100000}" >book.jsonl &&
	ts-pub -r 5 book/kraken/ETH-USD book.jsonl &&
	wait_for "ts-store query book/kraken/ETH-USD | grep -q 1700000000100000" &&
	ts-store query book/kraken/ETH-USD | tail -1 |
	    jq -c "[.bid, .ask, .spread, .mid, .bid_bins, .ask_bins]" >actual &&
	echo "[99.96,100.01,0.05,99.985,[2,0,0,0,0,0,0,0,0,7],[0.5,1.25,0,0,0,0,0,0,0,0]]" >expect &&
	test_cmp expect actual
'

test_expect_success 'stats lists each market with its rows' '
	ts-store stats >stats &&
	grep -E "^trades +binance/BTC-USDT +- +2000 " stats &&
	grep -E "^candles +binance/BTC-USDT +1m +4 " stats &&
	grep -E "^book +kraken/ETH-USD " stats &&
	grep -q "bytes per trade" stats
'

test_expect_success 'a second collector on the same database is refused' '
	{ ts-store collect 2>second.err; test $? -eq 111; } &&
	grep -q "another collector" second.err
'

test_expect_success 'SIGTERM stops cleanly; the next run (topics from the config) notes the stop' '
	test -S "$TS_BUS/history" &&
	stop $store_pid &&
	grep -q "stopped: " store.err &&
	! test -e "$TS_BUS/history" &&
	mkdir -p "$XDG_CONFIG_HOME/tradesuite" &&
	printf "[store]\ntopics = trades/binance/, candles/binance/BTC-USDT/1m\nbatch = 500\n" \
	    >"$XDG_CONFIG_HOME/tradesuite/store.ini" &&
	bg store2 ts-store &&
	wait_for "grep -q collecting store2.err" &&
	grep -q "collecting 2 topics" store2.err &&
	grep -q "not collecting from .* (stopped)" store2.err &&
	ts-store gaps >gaps && grep -q "^stopped" gaps
'

test_expect_success 'usage errors exit 100' '
	{ ts-store query 2>/dev/null; test $? -eq 100; } &&
	{ ts-store query trades/x/A-B --since yesterday 2>/dev/null; test $? -eq 100; } &&
	{ ts-store frobnicate 2>/dev/null; test $? -eq 100; } &&
	{ ts-store collect status/ 2>/dev/null; test $? -eq 100; } &&
	ts-store --help | grep -q "^usage: ts-store \[collect\]"
'

test_done
