#!/bin/sh
# bench/store/run.sh: ts-store throughput and query times; prints a markdown
# table (bench/store/RESULTS.md holds a committed run).
#   sh bench/store/run.sh [TRADES=1000000]
# Needs bin/ (make), python3, sqlite3; influxd for the InfluxDB rows.
# TS_STORE_BEFORE=PATH also imports with that ts-store binary (before/after).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${TS_BIN:-$top/bin}
N=${1:-1000000}
T=$(mktemp -d /tmp/ts-bench-store.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; rm -rf "$T"' EXIT
now() { date +%s.%N; }
rate() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2]))))" "$@"; }
secs() { python3 -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$@"; }

# N trades over one week (ts-cat format), and a year of 1m candles
python3 - "$N" >"$T/trades.jsonl" <<'PY'
import sys
n = int(sys.argv[1]); step = 7 * 86400 * 1000000 // n
for i in range(n):
    print('{"ex":"binance","sym":"BTC-USDT","id":"%d","px":%d.%02d,"qty":0.%05d,"side":"%s",'
          '"ts":%d,"rt":%d,"seq":%d}' % (3000000000 + i, 60000 + i % 2000, i % 100,
          1 + i % 99999, "buy" if i & 1 else "sell", 1700000000000000 + i * step,
          1700000000000000 + i * step + 800, i + 1))
PY
python3 - >"$T/candles.jsonl" <<'PY'
for i in range(525600):
    print('{"ex":"binance","sym":"BTC-USDT","tf":"1m","t":%d,"o":60000.10,"h":60010.5,'
          '"l":59990.01,"c":60005.00,"v":12.345,"bv":6.1,"n":%d,"closed":true}'
          % (1672531200000000 + i * 60000000, i % 500))
PY

echo "machine: $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), SQLite $(sqlite3 --version | cut -d" " -f1), load average at start: $(cut -d" " -f1-3 /proc/loadavg)"
echo
echo "| measurement | result |"
echo "|---|---|"

# import BIN DB LABEL: N trades into a new database, wall clock and CPU
import_rows() {
	t0=$(now); /usr/bin/time -f %U+%S -o "$T/cpu" "$1" import -q -d "$2" "$T/trades.jsonl" 2>/dev/null; t1=$(now)
	echo "| ${3}import $N trades into SQLite (parse + insert, batches of 10000), wall clock | $(rate "$N" "$t0" "$t1") trades/s |"
	echo "| ${3}the same per CPU second of ts-store (user+sys $(cat "$T/cpu") s) | $(python3 -c "print('%.0f' % ($N / ($(cat "$T/cpu"))))") trades/s |"
}
# TS_STORE_BEFORE=BINARY: the same import with another build first (before/after)
if [ -n "${TS_STORE_BEFORE:-}" ]; then
	import_rows "$TS_STORE_BEFORE" "$T/before.db" "before: "
	rm -f "$T/before.db"*
	import_rows "$B/ts-store" "$T/a.db" "after: "
	import_rows "$TS_STORE_BEFORE" "$T/before.db" "before, again: "
	rm -f "$T/before.db"*
else
	import_rows "$B/ts-store" "$T/a.db" ""
fi
bpt=$("$B/ts-store" stats -d "$T/a.db" | sed -n 's/.*, \([0-9.]*\) bytes per trade/\1/p')
size=$(stat -c %s "$T/a.db")
echo "| on-disk bytes per trade (table + id index, dbstat) | $bpt |"
echo "| database file / trades | $(python3 -c "print('%.1f' % ($size / $N))") bytes |"

t0=$(now); "$B/ts-store" import -q -d "$T/a.db" "$T/trades.jsonl" 2>/dev/null; t1=$(now)
echo "| replay of the same $N trades (all duplicates) | $(rate "$N" "$t0" "$t1") trades/s |"

t0=$(now); "$B/ts-store" query -d "$T/a.db" trades/binance/BTC-USDT >"$T/out.jsonl"; t1=$(now)
echo "| query a week of trades ($N rows, JSON lines) | $(secs "$t0" "$t1") s |"
t0=$(now); "$B/ts-store" query -d "$T/a.db" -f csv trades/binance/BTC-USDT >/dev/null; t1=$(now)
echo "| the same as CSV | $(secs "$t0" "$t1") s |"
cmp -s "$T/out.jsonl" "$(sed 's/,"seq":[0-9]*}/}/' "$T/trades.jsonl" >"$T/exp.jsonl"; echo "$T/exp.jsonl")" &&
    echo "| query output equals the input (seq removed) | yes |" ||
    echo "| query output equals the input (seq removed) | NO |"

"$B/ts-store" import -q -d "$T/a.db" "$T/candles.jsonl" 2>/dev/null
t0=$(now); "$B/ts-store" query -d "$T/a.db" candles/binance/BTC-USDT/1m \
    --since 2023-06-01T00:00:00Z --until 2023-06-02T00:00:00Z >"$T/day"; t1=$(now)
echo "| query a day of 1m candles ($(wc -l <"$T/day") rows, from a year stored) | $(secs "$t0" "$t1") s |"
t0=$(now); "$B/ts-store" query -d "$T/a.db" candles/binance/BTC-USDT/1m >/dev/null; t1=$(now)
echo "| query a year of 1m candles (525600 rows, streamed) | $(secs "$t0" "$t1") s |"

# through the bus: ts-pub -> ts-supervisor -> ts-store collect -> SQLite.
# bus RATE: publish the N trades at RATE a second (0: as fast as ts-pub can),
# wait until the count stops growing, report stored/missed and the rate.
export TS_BUS="$T/bus" XDG_RUNTIME_DIR="$T/run"
mkdir -p "$T/run"
"$B/ts-supervisor" >/dev/null 2>&1 & PIDS="$PIDS $!"
sleep 0.5
bus() {
	db="$T/bus-$1.db"
	"$B/ts-store" collect -d "$db" trades/ 2>"$T/collect-$1.err" & cpid=$!
	sleep 0.5
	t0=$(now)
	if [ "$1" = 0 ]; then "$B/ts-pub" trades/binance/BTC-USDT "$T/trades.jsonl"
	else "$B/ts-pub" -r "$1" trades/binance/BTC-USDT "$T/trades.jsonl"; fi
	last=-1 t1=$(now)
	while :; do
		c=$(sqlite3 "$db" 'SELECT count(*) FROM trades' 2>/dev/null || echo 0)
		[ "$c" = "$N" ] && { t1=$(now); break; }
		[ "$c" = "$last" ] && break
		[ "$c" != "$last" ] && t1=$(now)
		last=$c
		sleep 1
	done
	cpu=$(awk '{ printf "%.2f", ($14 + $15) / 100 }' /proc/$cpid/stat)
	kill $cpid; wait $cpid 2>/dev/null || true
	missed=$(sed -n 's/.* \([0-9]*\) missed on the bus/\1/p' "$T/collect-$1.err")
	echo "| bus → collect, ts-pub ${2}: stored $c of $N, reported missed ${missed:-?}, collector CPU ${cpu} s | $(rate "$c" "$t0" "$t1") trades/s |"
}
bus 0 "unthrottled"
bus 100000 "-r 100000"

if command -v influxd >/dev/null; then
	P=38186
	cat >"$T/influx.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$((P + 1))"
[meta]
  dir = "$T/influx/meta"
[data]
  dir = "$T/influx/data"
  wal-dir = "$T/influx/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$P"
  log-enabled = false
[monitor]
  store-enabled = false
CONF
	influxd -config "$T/influx.conf" >/dev/null 2>&1 & PIDS="$PIDS $!"
	until curl -sf "http://127.0.0.1:$P/ping"; do sleep 0.1; done
	curl -sf -XPOST "http://127.0.0.1:$P/query" --data-urlencode "q=CREATE DATABASE tradesuite" >/dev/null
	t0=$(now)
	"$B/ts-store" import -q --no-db --influx "http://127.0.0.1:$P" --influx-spool "$T/spool" \
	    --influx-wait 600s "$T/trades.jsonl" 2>"$T/influx.err"
	t1=$(now)
	echo "| import $N trades into InfluxDB 1.6.7 (line protocol, 5000 points a request, one in flight) | $(rate "$N" "$t0" "$t1") points/s |"
	grep -o '[0-9]* points sent, [0-9]* dropped' "$T/influx.err" | sed 's/^/| influx sink report | /; s/$/ |/'
fi
