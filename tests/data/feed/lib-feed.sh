# lib-feed.sh: helpers shared by ts-feed's end-to-end tests (sourced after lib.sh)

# start_sim ARGS...: start ts-sim on a free port; sets SIM_PORT, WS, REST.
start_sim() {
	rm -f "$TMP/sim.ready"
	"$TS_BIN/ts-sim" --port 0 --ready-fd 3 "$@" 3>"$TMP/sim.ready" \
	    >"$TMP/sim.out" 2>"$TMP/sim.err" &
	sim_pid=$!
	T_PIDS="$T_PIDS $sim_pid"
	wait_for '[ -s "$TMP/sim.ready" ] && [ -s "$TMP/sim.out" ]' 10 || { cat "$TMP/sim.err"; return 1; }
	SIM_PORT=$(awk '/^port /{print $2; exit}' "$TMP/sim.out")
	WS=ws://127.0.0.1:$SIM_PORT
	REST=http://127.0.0.1:$SIM_PORT
}

sim_get() { # PATH
	curl -sf --max-time 10 "$REST$1"
}

# The simulator's book of EX SYM, normalized: {"bids":[[px,qty]…],"asks":[…]};
# its best BOOK_DEPTH levels a side when that is set (a feed that keeps a
# subscribed depth of a deeper book: Kraken's)
sim_book() {
	sim_get "/_sim/book?exchange=$1&symbol=$2" |
	    jq -c --argjson d "${BOOK_DEPTH:-1000000}" \
	    '{bids: (.bids|sort_by(-.[0])|.[:$d]), asks: (.asks|sort_by(.[0])|.[:$d])}'
}

# The book a consumer rebuilds from FILE (one book message per line, or
# TOPIC<tab>JSON lines), for symbol SYM, in the same form; a book that was
# reset and not yet snapshotted again prints {"reset":true}. The last
# snapshot and the deltas after it are grouped by price and the last word
# on each level kept (jq's group_by is stable), rather than applied one by
# one: jq copies a large object on every update, which took 11 s for one
# Coinbase book of 1,800 messages.
feed_book() {
	sed 's/^[^{]*//' "$1" | jq -n -c --arg sym "$2" '
	  [inputs | select(.sym == $sym and (.type == "snapshot" or .type == "delta" or .type == "reset"))] as $ms
	  | ([$ms | to_entries[] | select(.value.type != "delta") | .key] | last) as $i
	  | if $i == null or $ms[$i].type == "reset" then {reset: true} else
	    def side(s): [$ms[$i:][] | .[s][]] | group_by(.[0]) | map(last | select(.[1] != 0));
	    {bids: (side("bids") | sort_by(-.[0])), asks: (side("asks") | sort_by(.[0]))} end'
}

# books_equal FILE EX SYM: the rebuilt book equals the simulator's (paused).
books_equal() {
	feed_book "$1" "$3" >"$TMP/fb.json" && sim_book "$2" "$3" >"$TMP/sb.json" &&
	    [ -s "$TMP/sb.json" ] && cmp -s "$TMP/fb.json" "$TMP/sb.json"
}

# settle_books FILE EX SYM...: pause the market, wait until every rebuilt
# book equals the simulator's, resume. Shows the difference on failure.
settle_books() {
	f=$1 ex=$2; shift 2
	sim_get /_sim/pause >/dev/null || return 1
	for s in "$@"; do
		if ! wait_for "books_equal '$f' $ex $s" 20; then
			echo "# $ex $s differs: feed then sim"; head -c 600 "$TMP/fb.json"; echo
			head -c 600 "$TMP/sb.json"; echo
			sim_get /_sim/resume >/dev/null
			return 1
		fi
	done
	sim_get /_sim/resume >/dev/null
}

# trades_ok FILE EX SYM TRUTH: the trades published for SYM (from the first
# one the simulator generated in this run on) have no duplicate and no hole
# in their ids, each equals the simulator's, and the last is the
# simulator's last (call it with the market paused).
trades_ok() {
	jq -c --arg ex "$2" --arg sym "$3" 'select(.ex == $ex and .sym == $sym) | [(.id|tonumber), .px, .qty, .side]' "$4" >"$TMP/truth.$3"
	t_first=$(head -1 "$TMP/truth.$3" | jq '.[0]') t_last=$(tail -1 "$TMP/truth.$3" | jq '.[0]')
	[ -n "$t_first" ] || { echo "# no truth for $3"; return 1; }
	sed 's/^[^{]*//' "$1" | jq -c --arg sym "$3" --argjson from "$t_first" \
	    'select(.sym == $sym and .id != null and (.id|tonumber) >= $from) | [(.id|tonumber), .px, .qty, .side]' >"$TMP/pub.$3"
	n=$(wc -l <"$TMP/pub.$3")
	[ "$n" -gt 0 ] || { echo "# no trades for $3"; return 1; }
	u=$(jq -r '.[0]' "$TMP/pub.$3" | sort -u | wc -l)
	[ "$u" -eq "$n" ] || { echo "# $3: $n trades, $u distinct ids"; return 1; }
	first=$(head -1 "$TMP/pub.$3" | jq '.[0]') last=$(tail -1 "$TMP/pub.$3" | jq '.[0]')
	[ $((last - first + 1)) -eq "$n" ] || { echo "# $3: ids $first..$last but $n trades"; return 1; }
	[ "$last" -eq "$t_last" ] || { echo "# $3: last published $last, last generated $t_last"; return 1; }
	sort "$TMP/truth.$3" >"$TMP/truth.$3.s"
	sort "$TMP/pub.$3" >"$TMP/pub.$3.s"
	t_bad=$(comm -23 "$TMP/pub.$3.s" "$TMP/truth.$3.s" | wc -l)
	[ "$t_bad" -eq 0 ] || { echo "# $3: $t_bad published trades differ from the truth:"
	    comm -23 "$TMP/pub.$3.s" "$TMP/truth.$3.s" | head -3; return 1; }
}

# last_trade_is FILE EX SYM: the last trade published for SYM is the
# simulator's last (so everything has arrived). The topic ends at the tab:
# BTC-USDT is a prefix of BTC-USDT-PERP.
last_trade_is() {
	t_want=$(sim_get "/_sim/trades?exchange=$2&symbol=$3" | jq -r .last_id) &&
	t_got=$(grep "^trades/$2/$3	" "$1" | tail -1 | sed 's/^[^{]*//' | jq -r .id) &&
	[ "$t_want" = "$t_got" ]
}

# expect_code CODE CMD...: run CMD (stderr to err), succeed when it exits CODE.
expect_code() {
	t_want=$1; shift
	"$@" 2>err; t_rc=$?
	[ "$t_rc" -eq "$t_want" ] || { echo "# exit $t_rc, expected $t_want"; cat err; return 1; }
}
