#!/bin/sh
# t0106-feed-tls: ts-feed over https and wss (ts-sim --tls, a throwaway
# self-signed certificate for localhost only): with the certificate trusted
# (SSL_CERT_FILE) books and trades equal the simulator's; a host name the
# certificate does not name, or a certificate nobody trusts, gets nothing
# published and "certificate" said on stderr. Checks behaviour, not the TLS library's wording.
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/data/feed/lib-feed.sh"

# no IP address in the certificate on purpose: wss://127.0.0.1 must fail
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout key.pem -out cert.pem \
    >openssl.log 2>&1 || { cat openssl.log; exit 111; }

test_expect_success 'ts-sim --tls: a missing, unreadable or non-PEM file exits 100 naming it' '
	expect_code 100 ts-sim --port 0 --tls "$TMP/nope.pem,key.pem" binance &&
	grep -q "nope.pem" err &&
	expect_code 100 ts-sim --port 0 --tls "cert.pem,$TMP/nokey.pem" binance &&
	grep -q "nokey.pem" err &&
	echo "not a certificate" >junk.pem &&
	expect_code 100 ts-sim --port 0 --tls junk.pem,key.pem binance &&
	grep -q "junk.pem" err &&
	expect_code 100 ts-sim --port 0 --tls cert.pem binance &&
	grep -q -- "--tls" err
'

start_sim --seed 7 --rate 200 --truth truth.jsonl --tls cert.pem,key.pem binance
WSS=wss://localhost:$SIM_PORT
REST=https://localhost:$SIM_PORT
# lib-feed.sh's helpers ask the simulator through sim_get: trust our CA
sim_get() { curl -sf --max-time 10 --cacert "$TMP/cert.pem" "$REST$1"; }

test_expect_success 'ts-sim --tls serves https with the certificate, not plain http' '
	sim_get /api/v3/ping >ping && [ "$(cat ping)" = "{}" ] &&
	! curl -sf --max-time 5 "http://127.0.0.1:$SIM_PORT/api/v3/ping" &&
	! curl -sf --max-time 5 "https://localhost:$SIM_PORT/api/v3/ping"
'

# published data (not status) of a --stdout file: trades, or book messages
# other than a reset (which carries no market data)
published() { grep -E "^(trades|book)/" "$1" | grep -v "\"type\":\"reset\"" || true; }

settle_trades() {
	sim_get /_sim/pause >/dev/null &&
	wait_for "last_trade_is fa.out binance BTC-USDT" 20 &&
	trades_ok fa.out binance BTC-USDT truth.jsonl
	t_rc=$?
	sim_get /_sim/resume >/dev/null
	return $t_rc
}

bg fa env SSL_CERT_FILE="$TMP/cert.pem" ts-feed --stdout --url $WSS --rest $REST binance BTC-USDT

test_expect_success 'trusted (SSL_CERT_FILE): the book equals the simulator, trades match the truth' '
	wait_for "grep -q ^book/binance/BTC-USDT.*snapshot fa.out && grep -q ^trades/binance/BTC-USDT fa.out" 20 &&
	settle_books fa.out binance BTC-USDT &&
	settle_trades
'

# the cache started empty: only a successful fetch over https wrote it
test_expect_success 'trusted: the instrument list was fetched over https and cached' '
	jq -e ".symbols | length > 0" "$XDG_CACHE_HOME"/tradesuite/instruments-binance-*.json >/dev/null
'

# A drop over TLS: ts-sim closes the wss connection, the feed reconnects
# and backfills over https. Each round checks that trades flow on the new
# connection (ts-sim once stopped writing to it), then that nothing was
# lost or repeated and the book equals the simulator's.
reconnects_at_least() {
	grep "^status/feed/binance" fa.out | tail -1 | cut -f2- | jq -e ".reconnects >= $1"
}

tls_drops() {
	for t_round in 1 2 3; do
		t_before=$(grep -c "^trades/binance/BTC-USDT" fa.out)
		sim_get "/_sim/fault?spec=drop" >/dev/null || return 1
		wait_for "reconnects_at_least $t_round" 30 ||
		    { echo "# round $t_round: no reconnect"; return 1; }
		wait_for "[ \$(grep -c ^trades/binance/BTC-USDT fa.out) -ge $((t_before + 20)) ]" 30 ||
		    { echo "# round $t_round: trades stopped after the drop"; sim_get /_sim/stats; return 1; }
		settle_trades && settle_books fa.out binance BTC-USDT || return 1
	done
}

test_expect_success 'drops over TLS: trades go on, none lost or repeated, the book equals the simulator' '
	tls_drops
'

# stderr lines of a feed that are about the websocket: a REST failure may
# also say "certificate" (it names its https:// URL), and must not count
ws_says_certificate() { grep -v "https://" "$1" | grep -qi "certificate"; }

# refused NAME: the feed started as NAME published nothing, and it is
# either still retrying or has exited with a failure status
refused() {
	wait_for "ws_says_certificate $1.err || grep -q wss:// $1.err" 15 ||
	    echo "# $1 said nothing about the websocket in 15 s"
	sleep 1
	if [ -n "$(published $1.out)" ]; then
		echo "# $1 published data:"; published $1.out | head -3; return 1
	fi
	eval "t_pid=\$${1}_pid"
	if kill -0 "$t_pid" 2>/dev/null; then
		stop "$t_pid"
	else
		wait "$t_pid"; t_rc=$?
		[ "$t_rc" -ne 0 ] || { echo "# $1 exited 0"; return 1; }
	fi
	[ -z "$(published $1.out)" ]
}

says_certificate() {
	ws_says_certificate $1.err || { echo "# $1 stderr:"; head -5 $1.err; return 1; }
}

# The REST host (localhost) matches: the instrument list arrives and only
# the websocket's own check of the host name can stop the feed.
bg fb env SSL_CERT_FILE="$TMP/cert.pem" ts-feed --stdout --url wss://127.0.0.1:$SIM_PORT \
    --rest $REST binance BTC-USDT

test_expect_success 'host name mismatch (wss://127.0.0.1): nothing published' '
	refused fb
'

test_expect_success 'host name mismatch: stderr says "certificate"' '
	says_certificate fb
'

# No SSL_CERT_FILE: the system CAs do not trust the certificate. The REST
# fetch fails first (certificate too); the instrument list comes from the
# cache the trusted run wrote, so the websocket's own verification is what
# stops the feed.
bg fc env -u SSL_CERT_FILE ts-feed --stdout --url $WSS --rest $REST binance BTC-USDT

test_expect_success 'untrusted certificate: nothing published' '
	refused fc
'

test_expect_success 'untrusted certificate: stderr says "certificate" about the websocket' '
	says_certificate fc
'

test_expect_success 'the trusted feed still runs and stops cleanly' '
	kill -0 $fa_pid && stop $fa_pid
'

# A client that stops reading holds the market once its queue is full (a
# slow consumer slows the simulator down, by design). A drop must let it go
# and the market move again for the clients that reconnect: it used to
# stay held for good (the dropped client's full queue was kept until lws
# said CLOSED, which never came: it got no WRITEABLE to close in).
cat >slow.py <<'PY'
import socket, ssl, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s = ssl.create_default_context(cafile=sys.argv[2]).wrap_socket(s, server_hostname="localhost")
s.sendall(b"GET /stream?streams=btcusdt@depth@100ms/btcusdt@trade HTTP/1.1\r\n"
          b"Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
s.recv(200)
print("subscribed", flush=True)
time.sleep(3600) # and never read again
PY

stop $sim_pid
start_sim --seed 9 --rate 20000 --tls cert.pem,key.pem binance
REST=https://localhost:$SIM_PORT
bg fd env SSL_CERT_FILE="$TMP/cert.pem" ts-feed --stdout --url wss://localhost:$SIM_PORT \
    --rest $REST binance BTC-USDT

sim_events() { sim_get /_sim/stats | jq .events; }
# the market has not moved for half a second
market_held() {
	t_e=$(sim_events) && sleep 0.5 && [ "$(sim_events)" = "$t_e" ]
}
trades_of() { grep -c "^trades/binance/BTC-USDT" "$1"; }

test_expect_success 'a client that stops reading holds the market' '
	wait_for "grep -q ^trades/binance/BTC-USDT fd.out" 30 &&
	bg slow python3 slow.py $SIM_PORT "$TMP/cert.pem" &&
	wait_for "grep -q subscribed slow.out" 30 &&
	wait_for market_held 60
'

test_expect_success 'a drop lets it go: the market moves again and the reconnected feed gets trades' '
	t_before=$(trades_of fd.out) &&
	sim_get "/_sim/fault?spec=drop" >/dev/null &&
	wait_for "[ \$(sim_get /_sim/stats | jq .connections) -le 1 ]" 30 &&
	wait_for "[ \$(trades_of fd.out) -ge $((t_before + 100)) ]" 30 &&
	kill -0 $slow_pid
'

test_done
