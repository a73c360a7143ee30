#!/bin/sh
# t0530: the InfluxDB sink against a real influxd (1.x HTTP /write) started
# here on 127.0.0.1: points arrive with their digits; during an outage they
# spool to disk and are delivered once the server is back.
. "$(dirname "$0")/lib.sh"

command -v influxd >/dev/null || { echo "ok 1 # skip influxd not installed"; exit 0; }
P=$(free_port 2)
cat >influxdb.conf <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$((P + 1))"
[meta]
  dir = "$TMP/influx/meta"
[data]
  dir = "$TMP/influx/data"
  wal-dir = "$TMP/influx/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$P"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
CONF
URL=http://127.0.0.1:$P
start_influx() {
	bg influx influxd -config influxdb.conf &&
	wait_for "curl -sf $URL/ping" 20
}
q() {
	curl -sf -G "$URL/query" --data-urlencode db=tradesuite --data-urlencode "q=$1"
}
count() { q "SELECT count(price) FROM trades" | jq -r ".results[0].series[0].values[0][1] // 0"; }

gen() { # FIRST COUNT
	python3 - "$1" "$2" <<'PY'
import sys
a, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(a, a + n):
    # pairs share a microsecond: both must survive in InfluxDB
    print('{"ex":"bybit","sym":"SOL-USDT","id":"%d","px":%d.%02d,"qty":0.%03d,"side":"buy",'
          '"ts":%d}' % (i, 100 + i % 50, i % 100, 1 + i % 999, 1700000000000000 + (i // 2) * 1000))
PY
}
gen 0 1000 >a.jsonl
gen 1000 1000 >b.jsonl

test_expect_success 'influxd starts on loopback' '
	start_influx &&
	curl -sf -XPOST "$URL/query" --data-urlencode "q=CREATE DATABASE tradesuite" >/dev/null
'

start_supervisor

test_expect_success 'collect writes trades to influx' '
	bg store ts-store collect --status 200ms --influx $URL --influx-spool "$TMP/spool" trades/ candles/ &&
	wait_for "grep -q collecting store.err" &&
	ts-pub trades/bybit/SOL-USDT a.jsonl &&
	wait_for "test \$(count) -eq 1000" 30
'

test_expect_success 'influx holds the digits that were published' '
	q "SELECT price, size, id FROM trades WHERE id = '"'"'777'"'"'" |
	    jq -c ".results[0].series[0].values[0][1:]" >actual &&
	echo "[127.77,0.778,\"777\"]" >expect && test_cmp expect actual
'

test_expect_success 'an outage: points spool on disk, status says so' '
	stop $influx_pid &&
	ts-pub trades/bybit/SOL-USDT b.jsonl &&
	wait_for "ts-cat -n 1 status/store | grep -q \"\\\"up\\\":false\"" 30 &&
	wait_for "ls spool | grep -q \"\\.lp\$\"" 10 &&
	test $(ts-store query trades/bybit/SOL-USDT | wc -l) -eq 2000 &&
	grep -q "cannot write to influx at" store.err
'

test_expect_success 'the server returns: the spool is delivered and emptied' '
	start_influx &&
	wait_for "test \$(count) -eq 2000" 60 &&
	wait_for "ts-cat -n 1 status/store | grep -q \"\\\"up\\\":true,.*\\\"spooled_batches\\\":0,\\\"dropped\\\":0\"" 20 &&
	test -z "$(ls spool)"
'

test_expect_success 'closed candles go to influx too' '
	echo "{\"ex\":\"bybit\",\"sym\":\"SOL-USDT\",\"tf\":\"1m\",\"t\":1700000040000000,\"o\":1.5,\"h\":2.25,\"l\":1,\"c\":2,\"v\":10,\"n\":3,\"closed\":true}" |
	    ts-pub candles/bybit/SOL-USDT/1m &&
	wait_for "q \"SELECT high FROM candles\" | grep -q 2.25" 20 &&
	q "SELECT high, trades FROM candles WHERE tf = '"'"'1m'"'"'" | jq -c ".results[0].series[0].values[0]" >actual &&
	echo "[\"2023-11-14T22:14:00Z\",2.25,3]" >expect && test_cmp expect actual
'

test_expect_success 'import --no-db writes to influx only and waits for delivery' '
	gen 5000 500 >c.jsonl &&
	ts-store import -q --no-db --influx $URL --influx-spool "$TMP/spool2" c.jsonl 2>imp.err &&
	grep -q "500 points sent, 0 dropped" imp.err &&
	test $(count) -eq 2500
'

test_expect_success 'InfluxDB 2.x requests (checked against a stub: no 2.x server here)' '
	S=$(free_port) &&
	cat >stub.py <<-PY &&
	import http.server, sys
	class H(http.server.BaseHTTPRequestHandler):
	    def do_POST(self):
	        body = self.rfile.read(int(self.headers["Content-Length"]))
	        with open("stub.log", "a") as f:
	            f.write("%s %s %d\\n" % (self.path, self.headers.get("Authorization"),
	                                     body.count(b"\\n")))
	        self.send_response(204); self.end_headers()
	    def log_message(self, *a): pass
	http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
	PY
	bg stub python3 stub.py $S &&
	wait_for "curl -s -o /dev/null -X POST -d x http://127.0.0.1:$S/x" &&
	rm -f stub.log &&
	TS_INFLUX_TOKEN=s3cret ts-store import -q --no-db --influx http://127.0.0.1:$S \
	    --influx-org acme --influx-bucket md --influx-spool "$TMP/spool3" c.jsonl 2>imp2.err &&
	echo "/api/v2/write?org=acme&bucket=md Token s3cret 500" >expect &&
	test_cmp expect stub.log &&
	{ ts-store import -q --no-db --influx http://127.0.0.1:$S --influx-org acme \
	    --influx-bucket md c.jsonl 2>imp3.err; test $? -eq 100; } &&
	grep -q "needs a token in .TS_INFLUX_TOKEN" imp3.err &&
	! grep -q s3cret imp2.err
'

test_expect_success 'collector stops cleanly' '
	stop $store_pid && grep -q "stopped: " store.err
'

test_done
