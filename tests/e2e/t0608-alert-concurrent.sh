#!/bin/sh
# t0608: deliveries run side by side: a webhook that never answers and a
# command that hangs delay neither another webhook nor another command;
# the hung target gets one connection at a time and its alerts once it
# answers
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t0600-alert-lib.inc"

PORT=$(free_port 2)
cat >hook.py <<'PY'
# /good answers at once; /hang reads the request and answers only once the
# file "release" exists. Each request's body goes to NAME.log after its
# answer; hang.conns counts the connections to /hang as they are accepted.
import http.server, os, sys, time, threading
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        name = self.path.strip("/")
        if name == "hang":
            with lock:
                with open("hang.conns", "a") as f:
                    f.write("conn\n")
            while not os.path.exists("release"):
                time.sleep(0.02)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        with lock:
            with open(name + ".log", "ab") as f:
                f.write(body + b"\n")
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
bg hook python3 hook.py "$PORT"
cat >"$RULES" <<R
set cooldown 0
hang  t:BTC-USD  price crosses above 100  notify webhook:http://127.0.0.1:$PORT/hang
good  t:BTC-USD  price crosses above 100  notify webhook:http://127.0.0.1:$PORT/good
slow  t:BTC-USD  price crosses above 200
      notify 'command:while [ ! -e release ]; do sleep 0.05; done; cat >>slow.json'
fast  t:BTC-USD  price crosses above 200  notify 'command:cat >>fast.json'
R
T='"ex":"t","sym":"BTC-USD","qty":1,"side":"buy"'
tr() { echo "{$T,\"id\":\"$1\",\"px\":$2,\"ts\":$3}"; }

start_supervisor
test_expect_success 'the webhook server is up' '
	wait_for "python3 -c \"import socket; socket.create_connection((\\\"127.0.0.1\\\", $PORT))\""
'
test_expect_success 'three rounds of alerts while one webhook and one command hang' '
	start_alert --timeout 10m &&
	for i in 1 2 3; do
		tr a$i 50 ${i}000000; tr b$i 250 ${i}500000
	done | ts-pub trades/t/BTC-USD &&
	wait_rule good 3 && wait_rule fast 3 && wait_rule slow 3 && wait_rule hang 3
'
test_expect_success 'the other webhook and the other command get all three, in order' '
	wait_for "[ \$(wc -l <good.log) -eq 3 ]" 30 &&
	wait_for "[ \$(wc -l <fast.json) -eq 3 ]" 30 &&
	grep "\"rule\":\"good\"" alert.out >expect &&
	test_cmp expect good.log &&
	grep "\"rule\":\"fast\"" alert.out >expect &&
	test_cmp expect fast.json
'
test_expect_success 'meanwhile the hung ones are still hanging, with one connection' '
	test ! -e release && test ! -e hang.log && test ! -e slow.json &&
	test $(wc -l <hang.conns) -eq 1 &&
	test $(grep -c "delivered alert .hang." alert.err) -eq 0 &&
	test $(grep -c "delivered alert .good." alert.err) -eq 3
'
test_expect_success 'once the hung target answers, its queued alerts follow in order' '
	touch release &&
	wait_for "[ \$(wc -l <hang.log 2>/dev/null) -eq 3 ]" 30 &&
	wait_for "[ \$(wc -l <slow.json 2>/dev/null) -eq 3 ]" 30 &&
	grep "\"rule\":\"hang\"" alert.out >expect &&
	test_cmp expect hang.log &&
	grep "\"rule\":\"slow\"" alert.out >expect &&
	test_cmp expect slow.json &&
	test $(wc -l <hang.conns) -eq 3 &&
	wait_for "[ \$(grep -c \"delivered alert .hang.\" alert.err) -eq 3 ]" 30
'
test_expect_success 'SIGTERM ends it with status 0 and nothing left behind' '
	stop $alert_pid;
	test $? -eq 0 &&
	! grep -q "still pending at exit" alert.err
'
test_done
