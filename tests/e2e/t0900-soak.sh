#!/bin/sh
# t0900-soak: the whole system for TS_SOAK_SECONDS (default 600) under
# ts-supervisor --demo: ts-sim at a high rate with a fault every few seconds,
# the feeds and ts-candle started by demand, ts-store collecting, ts-alert
# evaluating rules, ts-cat subscribers of books, trades, candles, alerts and
# status, and ts-gui under Xvfb when it is there. Every process's RSS and CPU
# are sampled from /proc; at the end RSS must have stopped growing, no
# producer may have died, the books must equal the simulator's with the
# market paused, and no trade may be lost, repeated or altered against the
# simulator's --truth. Run by `make soak` (skipped by `make check`).
#
# Environment: TS_SOAK_SECONDS (600), TS_SOAK_RATE (sim messages/s, 2000),
# TS_SOAK_FAULT_EVERY (seconds between faults, 15), TS_SOAK_SAMPLE (seconds
# between samples, 5), TS_SOAK_GUI (1: run ts-gui when Xvfb is installed),
# TS_SOAK_OUT (a directory that receives samples.tsv and summary.md).
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/data/feed/lib-feed.sh"

SOAK=${TS_SOAK_SECONDS:-600}
RATE=${TS_SOAK_RATE:-2000}
FAULT_EVERY=${TS_SOAK_FAULT_EVERY:-15}
SAMPLE=${TS_SOAK_SAMPLE:-5}
HZ=$(getconf CLK_TCK)

for p in ts-sim ts-feed ts-candle ts-store ts-alert; do
	[ -x "$TS_BIN/$p" ] || { echo "ok 1 # skip: $p is not built"; test_done; exit 0; }
done
GUI=0
if [ "${TS_SOAK_GUI:-1}" = 1 ] && [ -x "$TS_BIN/ts-gui" ] && command -v Xvfb >/dev/null; then
	GUI=1
fi

BOOKS="coinbase:BTC-USD coinbase:ETH-USD binance:BTC-USDT binance:ETH-USDT"
PORT=$(free_port)
REST=http://127.0.0.1:$PORT
mkdir -p "$XDG_CONFIG_HOME/tradesuite"
cat >"$XDG_CONFIG_HOME/tradesuite/tradesuite.ini" <<INI
[supervisor]
status-interval = 1s
[service sim]
command = ts-sim --port {port} --ready-fd {ready_fd} --seed 9 --rate $RATE --truth $TMP/truth.jsonl coinbase binance
INI
cat >"$XDG_CONFIG_HOME/tradesuite/alerts.conf" <<'R'
# a few rules of each family, on both exchanges
set cooldown 5s
buys     coinbase:BTC-USD  jq trades '.side == "buy"'
sells    binance:BTC-USDT  jq trades '.side == "sell" and .qty > 0'
thin     coinbase:ETH-USD  spread > 0.5bps
bids     binance:BTC-USDT  imbalance within 0.5% > 0.1
moves    binance:ETH-USDT  change > 0.001% over 1m
vol      coinbase:BTC-USD  volatility 10 1s > 0.0001%
flow     binance:BTC-USDT  cvd over 10s > 0 tf 1s
feedup   binance:BTC-USDT  jq status/feed/binance '.state == "connected"'
R

# sample: one line per process: seconds since start, name, pid, RSS in kB,
# CPU ticks (user+system) so far. Producers are found through the
# supervisor's table, consumers by the pids we started them with.
procs() {
	echo "supervisor $sup_pid"
	ts-supervisor status --json 2>/dev/null |
	    jq -r '.services[] | select(.pid > 0) | "\(.name) \(.pid)"'
	for c in $CONSUMERS; do eval "echo $c \$${c}_pid"; done
}
sample() {
	t_now=$(( $(date +%s) - T0 ))
	procs | while read -r n p; do
		[ -r "/proc/$p/stat" ] || continue
		rss=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null)
		cpu=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')
		[ -n "$rss" ] && [ -n "$cpu" ] && printf '%s\t%s\t%s\t%s\t%s\n' "$t_now" "$n" "$p" "$rss" "$cpu"
	done >>samples.tsv
}

# The faults, cycled; each line is injected at once. REST faults come with
# a skip, so that a snapshot is fetched while they are in force.
cat >faults <<'F'
drop
skip
repeat
malformed
snapshot-delay=2 skip
rest-429=2 skip
rest-500=2 skip
refuse=1 drop
shutdown
stall=3
F
NFAULTS=$(wc -l <faults)

start_supervisor --demo --demo-port "$PORT" || exit 111
. "$TS_TOP/tests/e2e/sup-lib.inc"

CONSUMERS="store alert"
start_all() {
	wait_for "[ \"\$(st sim state)\" = up ]" 30 || return 1
	bg store ts-store collect
	bg alert ts-alert
	wait_for "grep -q 'loaded .* rules' alert.err" 20 || return 1
	i=0
	for b in $BOOKS; do
		i=$((i + 1))
		bg book$i ts-cat "book/${b%%:*}/${b#*:}"
		CONSUMERS="$CONSUMERS book$i"
	done
	bg trades ts-cat -T trades/coinbase/BTC-USD trades/coinbase/ETH-USD \
	    trades/binance/BTC-USDT trades/binance/ETH-USDT
	bg candles ts-cat -T candles/coinbase/BTC-USD/1m candles/coinbase/ETH-USD/5m \
	    candles/binance/BTC-USDT/1s candles/binance/ETH-USDT/1h
	bg watch ts-cat -T alerts/ status/
	CONSUMERS="$CONSUMERS trades candles watch"
	if [ $GUI = 1 ]; then
		Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>xvfb.display >/dev/null 2>xvfb.err &
		T_PIDS="$T_PIDS $!"
		wait_for "[ -s xvfb.display ]" 10 || return 1
		mkfifo ctl
		DISPLAY=":$(cat xvfb.display)" GTK_A11Y=none GSK_RENDERER=cairo
		export DISPLAY GTK_A11Y GSK_RENDERER
		bg gui ts-gui --commands ctl --size 1280x800
		CONSUMERS="$CONSUMERS gui"
	fi
	wait_for "[ \"\$(st feed-coinbase state)\" = up ] && [ \"\$(st feed-binance state)\" = up ] && [ \"\$(st candle state)\" = up ]" 60 || return 1
	for i in 1 2 3 4; do
		wait_for "grep -q snapshot book$i.out" 60 || return 1
	done
	wait_for "grep -q ^trades/binance/ETH-USDT trades.out && grep -q ^trades/coinbase/ETH-USD trades.out" 60 &&
	wait_for "grep -q ^candles/binance/BTC-USDT/1s candles.out" 60
}

test_expect_success 'the demo system starts: sim, feeds, candles and every consumer' '
	ts-alert check "$XDG_CONFIG_HOME/tradesuite/alerts.conf" && start_all
'

# soak: run for SOAK seconds, a fault every FAULT_EVERY seconds, a sample
# every SAMPLE seconds.
soak() {
	T0=$(date +%s)
	: >samples.tsv
	injected=0 next_fault=$((T0 + FAULT_EVERY))
	while [ $(( $(date +%s) - T0 )) -lt "$SOAK" ]; do
		sample
		if [ "$(date +%s)" -ge "$next_fault" ]; then
			line=$(sed -n "$((injected % NFAULTS + 1))p" faults)
			for f in $line; do sim_get "/_sim/fault?spec=$f" >/dev/null || return 1; done
			echo "$(( $(date +%s) - T0 )) $line" >>faults.done
			injected=$((injected + 1)) next_fault=$((next_fault + FAULT_EVERY))
		fi
		sleep "$SAMPLE"
	done
	sample
	echo "# $injected faults injected in $SOAK s"
}

test_expect_success "$SOAK s at $RATE msgs/s with a fault every $FAULT_EVERY s" '
	soak && [ -s faults.done ]
'

# After the faults, let every book resync (a stall or refusal may still be
# running), then pause the market: the comparisons below are at rest.
test_expect_success 'the market pauses with every feed connected' '
	sleep 5 &&
	wait_for "ts-supervisor status --json | jq -e \"[.services[] | select(.name | startswith(\\\"feed-\\\"))] | length == 2 and all(.state == \\\"up\\\")\"" 30 &&
	sim_get /_sim/pause >/dev/null &&
	sim_get /_sim/stats >sim.stats &&
	jq -e .paused sim.stats
'

# all_alive: the producers are up and were never restarted; every
# consumer still runs.
all_alive() {
	ts-supervisor status --json >status.json || return 1
	jq -r '.services[] | select(.state != "down") | "# \(.name) \(.state) restarts=\(.restarts) last_exit=\(.last_exit)"' status.json
	jq -r '.services[] | select(.name == "sim" or .name == "candle" or (.name | startswith("feed-")))
	    | select(.state != "up" or .restarts != 0) | .name' status.json >bad
	test_cmp /dev/null bad || return 1
	for c in $CONSUMERS; do
		eval "kill -0 \$${c}_pid" || { echo "# $c is gone"; cat "$c.err"; return 1; }
	done
	! grep -E "^ts-supervisor: .*(died|failed)" "$TMP/sup.err"
}

test_expect_success 'no producer died or was restarted, every consumer is alive' '
	all_alive
'

# rss_growth: per program, the largest RSS of the first third of the run
# and of the last third; a program whose last third exceeds 1.5 x the first
# plus 5 MB is still growing.
rss_table() {
	awk -F'\t' -v soak="$SOAK" -v hz="$HZ" '
	{ n = $2; t = $1
	  if (!(n in first_t)) { first_t[n] = t; first_rss[n] = $4; first_cpu[n] = $5; names[++k] = n }
	  last_t[n] = t; last_rss[n] = $4; last_cpu[n] = $5
	  if (t <= soak / 3 && $4 > max1[n]) max1[n] = $4
	  if (t >= 2 * soak / 3 && $4 > max3[n]) max3[n] = $4
	  if ($4 > peak[n]) peak[n] = $4 }
	END { for (i = 1; i <= k; i++) { n = names[i]
	  dt = last_t[n] - first_t[n]
	  printf "%s\t%d\t%d\t%d\t%d\t%d\t%.1f\n", n, first_rss[n], last_rss[n], max1[n], max3[n], peak[n],
	      (dt > 0 ? 100 * (last_cpu[n] - first_cpu[n]) / hz / dt : 0) } }' samples.tsv
}

rss_bounded() {
	rss_table >rss || return 1
	sed "s/^/# /" rss
	[ "$(wc -l <rss)" -ge 8 ] || { echo "# too few programs sampled"; return 1; }
	# ts-store's SQLite page cache (PRAGMA cache_size=-32768 in
	# store_db.c) fills as the database grows: up to 32 MB more, bounded.
	awk -F'\t' '{ allow = $1 == "store" ? 32768 : 0 }
	    $4 == 0 || $5 == 0 { print "# " $1 ": no sample in a third"; bad = 1 }
	    $5 > 1.5 * $4 + 5120 + allow { print "# " $1 ": " $4 " kB -> " $5 " kB"; bad = 1 }
	    END { exit bad }' rss
}

test_expect_success 'RSS stops growing after warm-up (last third <= 1.5 x first third + 5 MB; ts-store + its 32 MB page cache)' '
	rss_bounded
'

# book_since_snapshot FILE: the lines from the last snapshot on.
book_since_snapshot() {
	n=$(grep -n "\"type\":\"snapshot\"" "$1" | tail -1 | cut -d: -f1)
	[ -n "$n" ] && tail -n "+$n" "$1"
}
book_equal() { # FILE EX SYM
	book_since_snapshot "$1" >"$1.tail" && books_equal "$1.tail" "$2" "$3"
}

books_ok() {
	i=0
	for b in $BOOKS; do
		i=$((i + 1))
		if ! wait_for "book_equal book$i.out ${b%%:*} ${b#*:}" 60; then
			echo "# $b differs: feed then sim"; head -c 600 "$TMP/fb.json"; echo
			head -c 600 "$TMP/sb.json"; echo; return 1
		fi
	done
}

# trades_accounted FILE EX SYM TRUTH: trades_ok for an exchange without
# trade history by id (Coinbase): a reconnect longer than its snapshot of
# the last 50 trades leaves holes, so each hole must be one the feed
# reported (status/feed/EX .symbols[SYM].missed): no duplicate, no altered
# trade, no silent loss, and the last trade is the simulator's last.
trades_accounted() {
	jq -c --arg ex "$2" --arg sym "$3" 'select(.ex == $ex and .sym == $sym) | [(.id|tonumber), .px, .qty, .side]' "$4" >"$TMP/truth.$3"
	t_last=$(tail -1 "$TMP/truth.$3" | jq '.[0]')
	[ -n "$t_last" ] || { echo "# no truth for $3"; return 1; }
	sed 's/^[^{]*//' "$1" | jq -c --arg sym "$3" \
	    'select(.sym == $sym and .id != null) | [(.id|tonumber), .px, .qty, .side]' >"$TMP/pub.$3"
	n=$(wc -l <"$TMP/pub.$3")
	[ "$n" -gt 0 ] || { echo "# no trades for $3"; return 1; }
	u=$(jq -r '.[0]' "$TMP/pub.$3" | sort -u | wc -l)
	[ "$u" -eq "$n" ] || { echo "# $3: $n trades, $u distinct ids"; return 1; }
	jq -s -e 'map(.[0]) | . as $i | all(range(1; length); $i[.] > $i[. - 1])' "$TMP/pub.$3" >/dev/null ||
	    { echo "# $3: trades out of id order"; return 1; }
	first=$(head -1 "$TMP/pub.$3" | jq '.[0]') last=$(tail -1 "$TMP/pub.$3" | jq '.[0]')
	holes=$((last - first + 1 - n))
	missed=$(grep "^status/feed/$2" watch.out | tail -1 | cut -f2- | jq --arg s "$3" '.symbols[$s].missed // 0')
	echo "$2 $3 $n $holes $missed" >>trade-holes
	[ "$holes" -le "$missed" ] || { echo "# $3: $holes trades missing, $missed reported missed"; return 1; }
	[ "$last" -eq "$t_last" ] || { echo "# $3: last published $last, last generated $t_last"; return 1; }
	sort "$TMP/truth.$3" >"$TMP/truth.$3.s"
	sort "$TMP/pub.$3" >"$TMP/pub.$3.s"
	t_bad=$(comm -23 "$TMP/pub.$3.s" "$TMP/truth.$3.s" | wc -l)
	[ "$t_bad" -eq 0 ] || { echo "# $3: $t_bad published trades differ from the truth:"
	    comm -23 "$TMP/pub.$3.s" "$TMP/truth.$3.s" | head -3; return 1; }
}

# Binance fills every hole by id over REST: its trades must be complete.
all_trades_ok() {
	: >trade-holes
	for b in $BOOKS; do
		wait_for "last_trade_is trades.out ${b%%:*} ${b#*:}" 60 || return 1
		case $b in
		binance:*) trades_ok trades.out "${b%%:*}" "${b#*:}" truth.jsonl &&
			echo "${b%%:*} ${b#*:} $(grep -c "^trades/${b%%:*}/${b#*:}	" trades.out) 0 0" >>trade-holes ;;
		*) trades_accounted trades.out "${b%%:*}" "${b#*:}" truth.jsonl ;;
		esac || return 1
	done
}

# store_ok: the store saw no gap, lost nothing, and holds at least every
# trade the tap saw (it subscribed first).
store_ok() {
	grep "^status/store" watch.out | tail -1 | cut -f2- >store.status
	jq -e '.trades > 0 and .gaps == 0 and .lost == 0' store.status || return 1
	for b in $BOOKS; do
		t=trades/${b%%:*}/${b#*:}
		wait_for "[ \$(ts-store query $t | wc -l) -ge \$(grep -c ^$t trades.out) ]" 30 || return 1
	done
}

test_expect_success 'with the market paused, every book equals the simulator'"'"'s' '
	books_ok
'

test_expect_success 'no trade lost (Binance) or lost unreported (Coinbase), repeated or altered against the truth' '
	all_trades_ok
'

test_expect_success 'alerts fired, candles closed, the store kept every trade' '
	grep -q "^alerts/" watch.out &&
	test $(grep -c "\"closed\":true" candles.out) -gt 10 &&
	store_ok
'

if [ $GUI = 1 ]; then
	test_expect_success 'the GUI is live on every view' '
		rm -f gui.json &&
		timeout 5 sh -c "echo \"dump $TMP/gui.json\" >ctl" &&
		wait_for "[ -s gui.json ]" 10 &&
		jq -e "[.views[].state] | all(. == \"live\")" gui.json
	'
fi

# The summary (also in $TS_SOAK_OUT when set).
{
	echo "## Soak: $SOAK s, ts-sim --rate $RATE, a fault every $FAULT_EVERY s"
	echo
	echo "$(uname -sr), $(nproc) cores, load at the end: $(cut -d" " -f1-3 /proc/loadavg)"
	echo
	echo "| program | RSS first (kB) | RSS last (kB) | max first third | max last third | peak | CPU % of a core |"
	echo "|---|---|---|---|---|---|---|"
	rss_table | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }'
	echo
	echo "ts-sim: $(jq -c 'del(.paused)' sim.stats 2>/dev/null)"
	echo
	echo "Faults injected: $(wc -l <faults.done 2>/dev/null) ($(cut -d' ' -f2- faults.done 2>/dev/null | sort | uniq -c | awk '{ $1 = $1 "x"; print }' | paste -sd, -))"
	echo
	echo "Messages received by the consumers:"
	echo
	i=0
	for b in $BOOKS; do
		i=$((i + 1))
		echo "- book/${b%%:*}/${b#*:}: $(wc -l <book$i.out) (snapshots $(grep -c '"type":"snapshot"' book$i.out), resets $(grep -c '"type":"reset"' book$i.out))"
	done
	echo "- trades (4 topics): $(grep -c ^trades/ trades.out)"
	awk '{ printf "  - %s %s: %s trades, %s missing, %s reported missed by the feed\n", $1, $2, $3, $4, $5 }' trade-holes
	echo "- candles (4 topics): $(wc -l <candles.out), closed $(grep -c '"closed":true' candles.out)"
	echo "- alerts: $(grep -c ^alerts/ watch.out)"
	echo "- seq gaps reported by ts-cat: $(cat book*.err trades.err candles.err watch.err | grep -c 'gap in')"
	echo "- ts-store: $(cat store.status 2>/dev/null)"
	echo
	echo "Feeds at the end:"
	echo
	for ex in coinbase binance; do
		echo "- $ex: $(grep "^status/feed/$ex" watch.out | tail -1 | cut -f2- |
		    jq -c '{msgs, reconnects, resyncs, gaps: .seq_gaps, malformed, bus_dropped, missed: ([.symbols[]?.missed] | add), backfilled: ([.symbols[]?.backfilled] | add)}' 2>/dev/null)"
	done
} >summary.md 2>/dev/null
sed 's/^/# /' summary.md
if [ -n "${TS_SOAK_OUT:-}" ]; then
	mkdir -p "$TS_SOAK_OUT" && cp samples.tsv summary.md "$TS_SOAK_OUT/"
fi
test_done
