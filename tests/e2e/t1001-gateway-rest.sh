#!/bin/sh
# t1001: ts-gateway's REST API against ts-supervisor --demo: health, status,
# candles, book, trades, markets; bad requests name their field; an
# exchange no feed serves is a 404 saying why; the OpenAPI document matches
# what the server answers
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/t1000-gateway-lib.inc"

have_all() { for p in ts-sim ts-feed ts-candle ts-gateway; do [ -x "$TS_BIN/$p" ] || return 1; done; }
if ! have_all; then
	echo "ok 1 # skip: ts-sim, ts-feed, ts-candle or ts-gateway is not built"
	test_done; exit 0
fi
mkdir -p "$XDG_CONFIG_HOME/tradesuite"
printf '[supervisor]\nlinger = 1s\nstatus-interval = 500ms\n' >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"

test_expect_success 'a non-loopback address without TLS or tokens is refused (exit 100)' '
	ts-gateway --listen 0.0.0.0:0 >out 2>err; rc=$?
	[ $rc -eq 100 ] && grep -q "needs --tls" err &&
	ts-gateway --listen nonsense >out 2>err; [ $? -eq 100 ] && grep -q "bad --listen" err
'

test_expect_success 'health answers with the supervisor heard' '
	start_supervisor --demo --demo-port 0 &&
	start_gateway --linger 2s --wait 20s &&
	wait_for "get /api/v1/health && jq -e \".supervisor_seen_us > 0\" body.json" 10 &&
	jq -e ".status == \"ok\" and .time_us > 0 and (.time | test(\"Z$\"))" body.json
'

test_expect_success 'bad requests are 4xx JSON naming the field' '
	get "/api/v1/candles?exchange=coinbase&symbol=BTC-USD" && expect_error 400 timeframe &&
	get "/api/v1/candles?exchange=coinbase&symbol=BTC-USD&timeframe=7m" && expect_error 400 timeframe &&
	get "/api/v1/candles?exchange=coinbase&symbol=btcusd&timeframe=1m" && expect_error 400 symbol &&
	get "/api/v1/candles?exchange=Coin%20base&symbol=BTC-USD&timeframe=1m" && expect_error 400 exchange &&
	get "/api/v1/candles?symbol=BTC-USD&timeframe=1m" && expect_error 400 exchange &&
	get "/api/v1/candles?exchange=coinbase&symbol=BTC-USD&timeframe=1m&limit=0" && expect_error 400 limit &&
	get "/api/v1/candles?exchange=coinbase&symbol=BTC-USD&timeframe=1m&since=yesterday" && expect_error 400 since &&
	get "/api/v1/book?exchange=coinbase&symbol=BTC-USD&depth=100000" && expect_error 400 depth &&
	get "/api/v1/trades?exchange=coinbase" && expect_error 400 symbol &&
	get /api/v1/nothing && [ "$(cat code)" = 404 ] && jq -e .error body.json &&
	get /api/v1/health -X POST -d "{}" && [ "$(cat code)" = 405 ] &&
	head -c 70000 /dev/zero | tr "\0" x >big && get /api/v1/alerts --data-binary @big &&
	[ "$(cat code)" = 413 ] &&
	get /api/v1/alerts -d "[1,2]" && expect_error 400 body
'

test_expect_success 'candles: the history joined with the live candle, oldest first, exact' '
	get "/api/v1/candles?exchange=coinbase&symbol=BTC-USD&timeframe=1m&limit=5" &&
	[ "$(cat code)" = 200 ] &&
	jq -e ".type == \"history\" and .topic == \"candles/coinbase/BTC-USD/1m\" and
	    (.candles | length == 5) and
	    ([.candles[].t] | . == sort) and
	    ([.candles[] | .t % 60000000] | all(. == 0)) and
	    (.candles[0].closed == true) and (.candles[-1].closed == false) and
	    (.candles | all(.h >= .l and .o > 0 and (.time | test(\"^20..-..-..T..:..:00.000000Z$\"))))" body.json
'

test_expect_success 'candles: since and until select, in µs or ISO 8601' '
	t1=$(jq ".candles[1].t" body.json) && t3=$(jq ".candles[3].t" body.json) &&
	get "/api/v1/candles?exchange=coinbase&symbol=BTC-USD&timeframe=1m&since=$t1&until=$t3" &&
	jq -e --argjson a $t1 --argjson b $t3 "[.candles[].t] == [\$a, \$a + 60000000]" body.json &&
	iso=$(jq -r ".candles[0].time" body.json) &&
	get "/api/v1/candles?exchange=coinbase&symbol=BTC-USD&timeframe=1m&since=$iso&limit=1" &&
	jq -e --argjson a $t1 "(.candles | length == 1) and .candles[0].t >= \$a" body.json
'

test_expect_success 'book: the live book, best first, depth as asked' '
	get "/api/v1/book?exchange=coinbase&symbol=BTC-USD&depth=3" && [ "$(cat code)" = 200 ] &&
	jq -e ".type == \"snapshot\" and (.bids | length == 3) and (.asks | length == 3) and
	    ([.bids[][0]] | . == (sort | reverse)) and ([.asks[][0]] | . == sort) and
	    .bids[0][0] < .asks[0][0]" body.json
'

test_expect_success 'trades: the last ones seen, oldest first, at most limit' '
	wait_for "get \"/api/v1/trades?exchange=coinbase&symbol=BTC-USD&limit=2\" &&
	    jq -e \".trades | length == 2\" body.json" 20 &&
	jq -e ".topic == \"trades/coinbase/BTC-USD\" and
	    (.trades | all(.px > 0 and .qty > 0 and (.side == \"buy\" or .side == \"sell\"))) and
	    .trades[0].seq < .trades[1].seq" body.json
'

test_expect_success 'markets and status list the feed the requests started' '
	get /api/v1/markets && [ "$(cat code)" = 200 ] &&
	jq -e "(.exchanges[] | select(.exchange == \"coinbase\") | .symbols | index(\"BTC-USD\")) and
	    (.timeframes | index(\"1m\"))" body.json &&
	wait_for "get /api/v1/status && jq -e \".feeds.coinbase.state\" body.json" 10 &&
	jq -e "(.supervisor.services | map(.name) | index(\"feed-coinbase\")) and .gateway.requests >= 10" body.json
'

test_expect_success 'an exchange no feed serves is a 404 saying why' '
	get "/api/v1/book?exchange=nosuch&symbol=BTC-USD" && expect_error 404 exchange &&
	grep -q "feed-nosuch failed" body.json
'

test_expect_success 'the OpenAPI document describes what the server answers' '
	get /api/v1/openapi.json && [ "$(cat code)" = 200 ] &&
	python3 "$TS_TOP/tests/e2e/t1000-openapi.py" "$GW" body.json
'
test_done
