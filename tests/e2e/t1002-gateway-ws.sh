#!/bin/sh
# t1002: ts-gateway's websocket streams against ts-supervisor --demo: the
# per-market streams and /ws/v1's subscribe; subscriptions cascade (a client
# starts the feed, the last one leaving stops it); a client that stops
# reading is cut while another one gets every message, in bounded memory
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/t1000-gateway-lib.inc"

have_all() { for p in ts-sim ts-feed ts-candle ts-gateway; do [ -x "$TS_BIN/$p" ] || return 1; done; [ -x "$WS" ]; }
if ! have_all; then
	echo "ok 1 # skip: ts-sim, ts-feed, ts-candle, ts-gateway or sim-wsclient is not built"
	test_done; exit 0
fi
mkdir -p "$XDG_CONFIG_HOME/tradesuite"
printf '[supervisor]\nlinger = 1s\nstatus-interval = 500ms\n' >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"

test_expect_success 'set-up: the demo, and a gateway that lets topics go after 1 s' '
	start_supervisor --demo --demo-port 0 &&
	start_gateway --linger 1s --wait 20s &&
	wait_for "[ \"\$(st sim state)\" = up ]" 20
'

test_expect_success 'no client: no feed runs' '
	s=$(st feed-coinbase state) && { [ -z "$s" ] || [ "$s" = down ]; }
'

test_expect_success 'a trades stream starts the feed and gets trades in an envelope' '
	bg T "$WS" -w 60 -q -r "$WSURL/ws/v1/trades/coinbase/ETH-USD" &&
	wait_for "[ \"\$(st feed-coinbase state)\" = up ]" 20 &&
	"$WS" -n 3 -w 20 "$WSURL/ws/v1/trades/coinbase/ETH-USD" >tr &&
	[ $(wc -l <tr) -eq 3 ] &&
	jq -e "select(.topic == \"trades/coinbase/ETH-USD\" and .data.px > 0 and .data.sym == \"ETH-USD\")" tr >/dev/null &&
	[ $(jq -s "map(select(.topic == \"trades/coinbase/ETH-USD\")) | length" tr) -eq 3 ]
'

test_expect_success 'the last client leaving lets the feed stop' '
	kill $T_pid &&
	wait_for "[ \"\$(st feed-coinbase state)\" = down ]" 30 &&
	grep -q "trades/coinbase/ETH-USD. has no client left: unsubscribing" gw.err
'

test_expect_success 'a book stream starts with a snapshot, then deltas' '
	"$WS" -n 3 -w 30 "$WSURL/ws/v1/book/coinbase/BTC-USD" >bk &&
	jq -s -e ".[0].data.type == \"snapshot\" and (.[0].data.bids | length > 0) and
	    (.[1:] | all(.data.type == \"delta\" or .data.type == \"snapshot\"))" bk
'

test_expect_success 'a candle stream starts with the history batch, then live candles' '
	"$WS" -n 2 -w 40 "$WSURL/ws/v1/candles/coinbase/BTC-USD/1m" >cd &&
	jq -s -e ".[0].data.type == \"history\" and (.[0].data.candles | length > 10) and
	    .[1].data.tf == \"1m\" and .[1].data.t >= .[0].data.candles[-1].t" cd
'

test_expect_success '/ws/v1 subscribes, refuses a bad topic with a reason, and streams' '
	"$WS" -n 4 -w 30 -s "{\"op\":\"subscribe\",\"topics\":[\"trades/coinbase/BTC-USD\",\"nope\"]}" \
	    -s "{\"op\":\"subscribe\",\"topics\":[\"trades/coinbase/BTC-USD\",\"status/\"]}" \
	    "$WSURL/ws/v1" >mx &&
	sed -n 1p mx | jq -e ".op == \"error\" and (.error | test(\"nope\"))" &&
	sed -n 2p mx | jq -e ".op == \"subscribed\"" &&
	"$WS" -n 1 -w 5 -s "{\"op\":\"frob\"}" "$WSURL/ws/v1" | jq -e ".op == \"error\"" &&
	"$WS" -n 1 -w 5 "$WSURL/ws/v1/nothing/x" >none; [ ! -s none ] || cat none
'

test_expect_success 'a client that stops reading is cut; another gets every message' '
	{ python3 "$TS_TOP/tests/e2e/t1000-slowws.py" $GW_PORT /ws/v1/trades/t/A-B go >slow.out 2>slow.err &
	  slow_pid=$!; T_PIDS="$T_PIDS $slow_pid"; } &&
	bg F "$WS" -q -r -n 20000 -w 120 "$WSURL/ws/v1/trades/t/A-B" &&
	wait_for "grep -q connected slow.out" 10 &&
	wait_for "[ \$(grep -c \"subscribing to .trades/t/A-B.\" gw.err) -ge 1 ]" 10 &&
	pad=$(head -c 900 /dev/zero | tr "\0" x) &&
	seq 1 20000 | sed "s/.*/{\"ex\":\"t\",\"sym\":\"A-B\",\"id\":\"&\",\"px\":1,\"qty\":1,\"side\":\"buy\",\"ts\":&,\"pad\":\"$pad\"}/" >burst &&
	ts-pub -w 10 -r 2000 trades/t/A-B burst &&
	{ wait $F_pid; [ $? -eq 0 ]; } &&
	grep "messages 20000 " F.err &&
	wait_for "get /api/v1/status && jq -e \".gateway.ws_cut_slow >= 1\" body.json" 20 &&
	rss=$(awk "/VmHWM/ {print \$2}" /proc/$gw_pid/status) && echo "# gateway peak RSS ${rss} kB" &&
	[ "$rss" -lt 200000 ] &&
	touch go && { wait $slow_pid; cat slow.out; } &&
	frames=$(sed -n "s/^frames \([0-9]*\).*/\1/p" slow.out) && [ "$frames" -lt 20000 ] &&
	grep -q "websocket cut: too slow" gw.err
'

test_expect_success 'SIGTERM ends the gateway with status 0' '
	stop $gw_pid; test $? -eq 0
'
test_done
