#!/bin/sh
# t0201: ts-sim's REST endpoints answer in the exchanges' shapes
. "$(dirname "$0")/lib.sh"

bg sim ts-sim --port 0 --seed 11 --rate 2000 coinbase binance
wait_for 'grep -q "^port " sim.out' || { cat sim.err; exit 1; }
port=$(awk '{print $2; exit}' sim.out)
U=http://127.0.0.1:$port
wait_for '[ "$(curl -s "$U/_sim/trades?exchange=binance&symbol=BTC-USDT" | jq .count)" -gt 20 ]'

test_expect_success 'coinbase products list the symbols with increments' '
	curl -sf "$U/api/v3/brokerage/market/products" >p.json &&
	jq -r ".products[] | [.product_id,.base_currency_id,.quote_currency_id,.quote_increment,.base_increment,.status] | @tsv" p.json >actual &&
	printf "BTC-USD\tBTC\tUSD\t0.01\t0.00000001\tonline\nETH-USD\tETH\tUSD\t0.01\t0.00000001\tonline\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'coinbase candles: newest first, at most 350, OHLC consistent' '
	now=$(date +%s) &&
	curl -sf "$U/api/v3/brokerage/market/products/BTC-USD/candles?start=$((now - 3000))&end=$now&granularity=ONE_MINUTE" >c.json &&
	jq -e "(.candles | length) >= 49 and (.candles | length) <= 51" c.json &&
	jq -e "[.candles[].start | tonumber] | . == (sort | reverse)" c.json &&
	jq -e "all(.candles[]; (.low|tonumber) <= (.open|tonumber) and (.open|tonumber) <= (.high|tonumber) and (.low|tonumber) <= (.close|tonumber) and (.close|tonumber) <= (.high|tonumber))" c.json &&
	curl -s -o big.json -w "%{http_code}" "$U/api/v3/brokerage/market/products/BTC-USD/candles?start=$((now - 400 * 60))&end=$now&granularity=ONE_MINUTE" >code &&
	test "$(cat code)" = 400 && jq -e ".error == \"INVALID_ARGUMENT\"" big.json
'

test_expect_success 'coinbase ticker: recent trades and best bid/ask' '
	curl -sf "$U/api/v3/brokerage/market/products/ETH-USD/ticker?limit=5" >t.json &&
	jq -e "(.trades | length) == 5 and (.best_bid|tonumber) < (.best_ask|tonumber)" t.json &&
	jq -e "all(.trades[]; .product_id == \"ETH-USD\" and (.side == \"BUY\" or .side == \"SELL\"))" t.json
'

test_expect_success 'coinbase unknown product: 404 NOT_FOUND' '
	curl -s -o e.json -w "%{http_code}" "$U/api/v3/brokerage/market/products/DOGE-EUR/ticker" >code &&
	test "$(cat code)" = 404 && jq -e ".error == \"NOT_FOUND\" and (.message|length) > 0" e.json
'

test_expect_success 'binance exchangeInfo has tick and lot sizes' '
	curl -sf "$U/api/v3/exchangeInfo" >x.json &&
	jq -r ".symbols[] | [.symbol,.status,.baseAsset,.quoteAsset,(.filters[]|select(.filterType==\"PRICE_FILTER\").tickSize),(.filters[]|select(.filterType==\"LOT_SIZE\").stepSize)] | @tsv" x.json >actual &&
	printf "BTCUSDT\tTRADING\tBTC\tUSDT\t0.01000000\t0.00001000\nETHUSDT\tTRADING\tETH\tUSDT\t0.01000000\t0.00001000\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'binance depth: lastUpdateId, sorted uncrossed sides' '
	curl -sf "$U/api/v3/depth?symbol=BTCUSDT&limit=20" >d.json &&
	jq -e ".lastUpdateId > 0 and (.bids|length) == 20 and (.asks|length) == 20" d.json &&
	jq -e "[.bids[][0]|tonumber] | . == (sort|reverse)" d.json &&
	jq -e "[.asks[][0]|tonumber] | . == sort" d.json &&
	jq -e "(.bids[0][0]|tonumber) < (.asks[0][0]|tonumber)" d.json
'

test_expect_success 'binance trades and historicalTrades by id' '
	curl -sf "$U/api/v3/trades?symbol=BTCUSDT&limit=10" >tr.json &&
	jq -e "length == 10" tr.json &&
	first=$(jq ".[0].id" tr.json) &&
	curl -sf "$U/api/v3/historicalTrades?symbol=BTCUSDT&fromId=$first&limit=4" >h.json &&
	jq -e "[.[].id] == [range($first; $first + 4)]" h.json &&
	jq -e "all(.[]; .isBestMatch and (.isBuyerMaker|type) == \"boolean\" and (.quoteQty|tonumber) > 0)" h.json
'

test_expect_success 'binance klines: oldest first, 12 fields, limit respected' '
	curl -sf "$U/api/v3/klines?symbol=ETHUSDT&interval=1m&limit=30" >k.json &&
	jq -e "length == 30 and all(.[]; length == 12)" k.json &&
	jq -e "[.[][0]] | . == sort" k.json &&
	jq -e "all(.[]; .[6] == .[0] + 59999)" k.json &&
	curl -sf "$U/api/v3/klines?symbol=ETHUSDT&interval=1m&limit=2000" >k2.json &&
	jq -e "length == 1000" k2.json
'

test_expect_success 'REST candles hold the trades the simulator made' '
	curl -sf "$U/_sim/pause" >/dev/null &&
	now=$(date +%s) &&
	curl -sf "$U/api/v3/klines?symbol=BTCUSDT&interval=1s&startTime=$(( (now - 200) * 1000 ))&limit=1000" >s.json &&
	curl -sf "$U/_sim/trades?exchange=binance&symbol=BTC-USDT" >cnt.json &&
	jq -e --argjson n "$(jq .count cnt.json)" "([.[][8]] | add) == \$n" s.json &&
	curl -sf "$U/_sim/resume" >/dev/null
'

test_expect_success 'binance errors: invalid symbol 400 -1121, missing symbol -1102' '
	curl -s -o e.json -w "%{http_code}" "$U/api/v3/depth?symbol=NOPE" >code &&
	test "$(cat code)" = 400 && jq -e ".code == -1121 and .msg == \"Invalid symbol.\"" e.json &&
	curl -s -o e.json "$U/api/v3/klines?interval=1m" &&
	jq -e ".code == -1102" e.json
'

test_done
