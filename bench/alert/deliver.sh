#!/bin/sh
# bench/alert/deliver.sh: how fast alerts reach a webhook that answers at
# once, alone and while another webhook target never answers. Run from the
# top of the repository after `make bin/ts-supervisor bin/ts-alert bin/ts-pub`.
#   sh bench/alert/deliver.sh [ALERTS=1000]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-1000}
tmp=$(mktemp -d /tmp/ts-bench-deliver.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
cd "$tmp"
export XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state TS_BUS=$tmp/bus
mkdir -p "$XDG_CONFIG_HOME/tradesuite"
printf '[service feed-{ex}]\nenabled = no\n[service candle]\nenabled = no\n' \
    >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >hook.py <<'PY'
# /good answers 200 at once and appends a line to good.log; /hang never answers
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/hang":
            time.sleep(86400)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        with open("good.log", "a") as f:
            f.write("1\n")
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 hook.py "$PORT" & pids="$pids $!"
"$top/bin/ts-supervisor" >sup.log 2>&1 & pids="$pids $!"
sleep 0.5

lines() { [ -e "$1" ] && wc -l <"$1" || echo 0; }
echo "| other target | alerts | delivered to the good webhook in | alerts/s |"
echo "|---|---|---|---|"
for mode in ${MODES:-none hangs}; do
	rm -rf good.log alert.err "$XDG_STATE_HOME" # no last-fired state from the run before
	{
		echo "set cooldown 0"
		echo "good b:X-USD jq trades 'true' notify webhook:http://127.0.0.1:$PORT/good"
		[ $mode = hangs ] &&
		    echo "hang b:X-USD jq trades 'true' notify webhook:http://127.0.0.1:$PORT/hang"
		true
	} >"$XDG_CONFIG_HOME/tradesuite/alerts.conf"
	"$top/bin/ts-alert" --timeout 10m >alert.out 2>alert.err & alert=$!
	pids="$pids $alert"
	i=0
	while ! grep -qs 'loaded .* rules' alert.err && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++)
	    printf "{\"ex\":\"b\",\"sym\":\"X-USD\",\"id\":\"%d\",\"px\":100,\"qty\":1,\"side\":\"buy\",\"ts\":%d}\n", i, i * 1000 }' >trades
	start=$(date +%s.%N)
	"$top/bin/ts-pub" trades/b/X-USD trades
	i=0
	while [ "$(lines good.log)" -lt "$N" ] && [ $i -lt ${LIMIT:-2400} ]; do sleep 0.05; i=$((i + 1)); done
	end=$(date +%s.%N)
	got=$(lines good.log)
	awk -v m="$mode" -v n="$got" -v s="$start" -v e="$end" \
	    'BEGIN { printf "| %s | %d | %.2f s | %.0f |\n", m, n, e - s, n / (e - s) }'
	kill -TERM $alert; wait $alert 2>/dev/null || true
done
