#!/bin/sh
# t0606: delivery: webhook that fails then recovers, a webhook that hangs
# (evaluation goes on), the discord preset, and a command with env vars
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t0600-alert-lib.inc"

PORT=$(free_port)
cat >hook.py <<'PY'
# a webhook sink: /fail answers 500 twice then 200; /hang waits for the
# file "release"; every body is appended to PATH.log
import http.server, os, sys, time
fails = {"n": 0}
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        name = self.path.strip("/")
        code = 200
        if name == "fail":
            fails["n"] += 1
            code = 500 if fails["n"] <= 2 else 200
        if name == "hang":
            while not os.path.exists("release"):
                time.sleep(0.02)
        with open(name + ".log", "ab") as f:
            f.write(b"%d %s %s\n" % (code, self.headers.get("Content-Type", "").encode(), body))
        self.send_response(code)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
bg hook python3 hook.py "$PORT"
cat >"$RULES" <<R
set cooldown 0
flaky  t:BTC-USD  price crosses above 100  notify webhook:http://127.0.0.1:$PORT/fail
hang   t:BTC-USD  price crosses above 200  notify webhook:http://127.0.0.1:$PORT/hang
chat   t:BTC-USD  price crosses above 300  notify discord:http://127.0.0.1:\${HOOK_BASE}/discord
cmd    t:BTC-USD  price crosses above 400  notify 'command:cat >cmd.json; echo "\$TS_ALERT_RULE \$TS_ALERT_VALUE \$TS_ALERT_THRESHOLD" >cmd.env'
R
export HOOK_BASE=$PORT
T='"ex":"t","sym":"BTC-USD","qty":1,"side":"buy"'
tr() { echo "{$T,\"id\":\"$1\",\"px\":$2,\"ts\":$3}"; }

start_supervisor
test_expect_success 'the webhook server is up' '
	wait_for "python3 -c \"import socket; socket.create_connection((\\\"127.0.0.1\\\", $PORT))\""
'
test_expect_success 'a webhook failing twice is retried with backoff until it takes the alert' '
	start_alert --retry-base 50ms &&
	{ tr 1 50 1000000; tr 2 150 2000000; } | ts-pub trades/t/BTC-USD &&
	wait_for "grep -q ^200 fail.log" &&
	test $(grep -c ^500 fail.log) -eq 2 && test $(grep -c ^200 fail.log) -eq 1 &&
	grep "^200" fail.log | cut -d" " -f2- >actual &&
	head -1 alert.out | sed "s/^/application\/json /" >expect &&
	test_cmp expect actual &&
	grep -q "cannot deliver alert .flaky. to webhook:http://127.0.0.1:$PORT/…: HTTP 500; retry 2 of 8" alert.err &&
	grep -q "delivered alert .flaky. to webhook:http://127.0.0.1:$PORT/…" alert.err
'
test_expect_success 'a hanging webhook does not hold evaluation back' '
	{ tr 3 250 3000000; tr 4 350 4000000; tr 5 450 5000000; } | ts-pub trades/t/BTC-USD &&
	wait_rule cmd && wait_rule chat && wait_rule hang &&
	test ! -e hang.log &&
	touch release &&
	wait_for "test -s hang.log"
'
test_expect_success 'discord gets {"content": text}; ${VAR} in a target comes from the environment' '
	wait_for "test -s discord.log" &&
	grep -q "^200 application/json {\"content\":\"chat: t:BTC-USD price crosses above 300 (value 350) at 1970-01-01T00:00:04.000000Z\"}$" discord.log
'
test_expect_success 'a command gets the alert on stdin and in TS_ALERT_* variables' '
	wait_for "test -s cmd.env" &&
	echo "cmd 450 400" >expect && test_cmp expect cmd.env &&
	grep "\"rule\":\"cmd\"" alert.out >expect && test_cmp expect cmd.json
'
test_expect_success 'tokens in webhook paths are not logged' '
	! grep -q "/discord" alert.err
'
test_done
