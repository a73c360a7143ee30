#!/bin/sh
# t0701-gui-factory: with no layout.ini ts-gui opens the factory layout, and
# its screenshot shows candles, volume, a book with bids left and asks right,
# a DOM ladder and trades, from data published on the bus with ts-pub.
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/gui-lib.inc"

start_supervisor -c noservices.ini || exit 111
# view N KEY: jq of the N-th view in state.json
view() { jq -r ".views[$1].$2" state.json; }
px() { python3 "$GEN" pixels shot.png "$@"; }
count() { sed -n "s/.*$1=\([0-9]*\).*/\1/p"; }

test_expect_success 'ts-gui starts and connects to the bus' '
	bg gui ts-gui --commands ctl --size 1280x800 &&
	wait_for "dump state.json && jq -e .connected state.json" 15
'

test_expect_success 'the factory layout: coinbase BTC-USD 1h and 5m charts, book, tape, DOM' '
	jq -r ".views[] | [.kind, .ex, .sym, .tf, .column, .row] | @tsv" state.json >actual &&
	printf "chart\tcoinbase\tBTC-USD\t1h\t0\t0\nchart\tcoinbase\tBTC-USD\t5m\t0\t1\nbook\tcoinbase\tBTC-USD\t\t1\t0\ntape\tcoinbase\tBTC-USD\t\t1\t1\ndom\tcoinbase\tBTC-USD\t\t2\t0\n" >expect &&
	test_cmp expect actual &&
	test "$(jq -r "[.views[].state] | unique | join(\" \")" state.json)" = waiting
'

test_expect_success 'history, book and trades published on the bus reach the views' '
	python3 "$GEN" history coinbase BTC-USD 1h 120 >h1.json &&
	python3 "$GEN" history coinbase BTC-USD 5m 200 64000 >h5.json &&
	python3 "$GEN" book coinbase BTC-USD 65000 >book.json &&
	python3 "$GEN" trades coinbase BTC-USD 60 65000 7 >trades.json &&
	ts-pub -w 10 candles/coinbase/BTC-USD/1h h1.json &&
	ts-pub -w 10 candles/coinbase/BTC-USD/5m h5.json &&
	ts-pub -w 10 book/coinbase/BTC-USD book.json &&
	ts-pub -w 10 trades/coinbase/BTC-USD trades.json &&
	wait_for "dump state.json && jq -e \".views[4].best_bid_row >= 0 and .views[3].trades == 60 and .views[1].candles == 200\" state.json" 15 &&
	test "$(view 0 candles)" = 120 &&
	test "$(view 0 last.c)" = 67070 &&
	test "$(view 2 best_bid)" = 64999.5 &&
	test "$(view 2 best_ask)" = 65000.5 &&
	test "$(view 2 bid_levels)" = 60 &&
	test "$(view 3 newest.side)" = sell &&
	test "$(jq -r "[.views[].state] | unique | join(\" \")" state.json)" = live
'

test_expect_success 'the screenshot is a PNG of the whole window' '
	cmd screenshot "$TMP/shot.png" &&
	wait_for "[ -s shot.png ]" 5 && sleep 0.3 &&
	dump state.json &&
	file shot.png | grep -q "PNG image data, 1280 x 800"
'

# The pixel checks read the areas from state.json (screenshot pixels) and
# count colours in rectangles; positional parameters stay inside functions.
line() { sed -n "$1p" rects; }
check_chart() {
	set -- $(jq -r ".views[0] | [.area[], .last_px.x, .last_px.y_open, .last_px.y_close, .last_px.y_vol, .last_px.vol_base] | map(floor) | @tsv" state.json)
	x=$1 y=$2 w=$3 h=$4 lx=$5 yo=$6 yc=$7 yv=$8 vb=$9
	px $x $y $w $h  $((x + lx - 1)) $((y + yc + 2)) 3 $((yo - yc - 2)) \
	    $((x + lx - 1)) $((y + yv + 2)) 3 $((vb - yv - 3)) >rects || return 1
	cat rects
	test $(line 1 | count green) -gt 2000 && test $(line 1 | count red) -gt 1000 &&
	test $(line 2 | count red) -eq 0 && test $(line 2 | count green) -ge 6 &&
	test $(line 3 | count green) -ge 6 && test $(line 3 | count red) -eq 0
}
check_book() {
	set -- $(jq -r ".views[2].area | map(floor) | @tsv" state.json)
	px $1 $(($2 + 40)) $(($3 / 2 - 4)) $(($4 - 60)) \
	    $(($1 + $3 / 2 + 4)) $(($2 + 40)) $(($3 / 2 - 4)) $(($4 - 60)) >rects || return 1
	cat rects
	test $(line 1 | count green) -gt $((10 * $(line 1 | count red) + 1000)) &&
	test $(line 2 | count red) -gt $((10 * $(line 2 | count green) + 1000))
}
check_dom() {
	set -- $(jq -r ".views[4] | [.area[], .best_bid_row, .best_ask_row] | map(floor) | @tsv" state.json)
	test $5 -eq $(($6 + 2)) || return 1
	px $1 $(($2 + 18)) $3 $((18 * $6)) \
	    $1 $(($2 + 18 + 18 * ($5 + 1))) $3 $(($4 - 18 * ($5 + 2))) \
	    $1 $(($2 + 18 + 18 * $5 + 1)) $3 16 >rects || return 1
	cat rects
	test $(line 1 | count red) -gt $((5 * $(line 1 | count green) + 500)) &&
	test $(line 2 | count green) -gt $((5 * $(line 2 | count red) + 500)) &&
	test $(line 3 | count green) -gt $(($3 * 8))
}
check_tape() {
	set -- $(jq -r ".views[3].area | map(floor) | @tsv" state.json)
	px $1 $(($2 + 17)) $3 $(($4 - 17)) >rects || return 1
	cat rects
	test $(line 1 | count green) -gt 1000 && test $(line 1 | count red) -gt 1000 &&
	test "$(view 3 large_shown)" -ge 1
}

test_expect_success 'chart: green and red candle bodies, the last one green, and its volume bar' '
	check_chart
'

test_expect_success 'book: bids (green) on the left of the mid, asks (red) on the right' '
	check_book
'

test_expect_success 'DOM: asks above the best bid row, bids below, best bid highlighted' '
	check_dom
'

test_expect_success 'tape: buys green, sells red, large trades emphasized' '
	check_tape
'

test_expect_success 'quit saves the layout' '
	cmd quit && wait $gui_pid && test -s config/tradesuite/layout.ini &&
	grep -qx "panels=5" config/tradesuite/layout.ini
'

test_done
