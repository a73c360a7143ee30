#!/bin/sh
# t0004: what every program owes its users: --help on stdout with exit 0, a
# bad option refused with exit 100, a man page with the sections of
# STYLE.md that renders without warnings, and help text naming the options
# the man page documents.
. "$(dirname "$0")/lib.sh"

progs=$(cd "$TS_TOP/cmd" && ls -d ts-* )

test_expect_success 'every program in cmd/ is built' '
	for p in $progs; do test -x "$TS_BIN/$p" || { echo "missing $p"; return 1; }; done
'

test_expect_success '--help prints a usage on stdout and exits 0' '
	for p in $progs; do
		"$TS_BIN/$p" --help >out 2>err || { echo "$p --help exited $?"; return 1; }
		grep -qi "usage" out || { echo "$p --help printed no usage"; return 1; }
	done
'

test_expect_success 'a bad option exits 100 with a message on stderr' '
	for p in $progs; do
		"$TS_BIN/$p" --no-such-option >out 2>err; rc=$?
		[ $rc -eq 100 ] || { echo "$p: exit $rc"; return 1; }
		[ -s err ] || { echo "$p: nothing on stderr"; return 1; }
	done
'

version=$(sed -n "s/^VERSION *= *//p" "$TS_TOP/config.mk")
test_expect_success '--version prints the name and config.mk VERSION and exits 0' '
	[ -n "$version" ] &&
	for p in $progs; do
		"$TS_BIN/$p" --version >out 2>err || { echo "$p --version exited $?"; return 1; }
		echo "$p $version" >expect && test_cmp expect out || return 1
		[ ! -s err ] || { echo "$p --version wrote on stderr"; cat err; return 1; }
	done
'

# usage_error PROG ARGS...: exit 100 and on stderr one line saying what is
# wrong, then "see 'PROG --help'", never the whole usage (issue 12, item 13).
# ARGS stay unquoted: each case is a few plain words.
usage_error() {
	u_p=$1; shift
	"$TS_BIN/$u_p" "$@" >out 2>err; u_rc=$?
	[ $u_rc -eq 100 ] || { echo "$u_p $*: exit $u_rc"; return 1; }
	[ ! -s out ] || { echo "$u_p $*: wrote on stdout"; return 1; }
	[ "$(wc -l <err)" -eq 2 ] || { echo "$u_p $*: not two lines:"; cat err; return 1; }
	sed -n 1p err | grep -q "^[^ ]*$u_p: ." || { echo "$u_p $*: first line:"; cat err; return 1; }
	echo "see '$u_p --help'" >expect && sed -n 2p err >got && test_cmp expect got
}

test_expect_success 'a bad option or a missing argument is one line and see --help' '
	for p in $progs; do
		usage_error $p --no-such-option || return 1
		usage_error $p --help=x || return 1
	done
'

test_expect_success 'a missing operand or an unknown command is one line and see --help' '
	while read -r p args; do
		usage_error $p $args || return 1
	done <<-EOF
	ts-alert add
	ts-alert add r1 coinbase:BTC-USD
	ts-alert rm
	ts-alert test
	ts-alert check
	ts-alert frobnicate
	ts-alert run extra
	ts-candle -t 1m
	ts-candle --stdin -t 7m
	ts-cat
	ts-cat -n x trades/
	ts-feed
	ts-feed --channels x coinbase
	ts-gui extra
	ts-pub
	ts-pub -w x trades/a/B-C
	ts-sim
	ts-sim --rate x coinbase
	ts-sim --replay x coinbase binance
	ts-store query
	ts-store frobnicate
	ts-store stats extra
	ts-supervisor stop
	ts-supervisor frobnicate
	ts-supervisor status extra
	EOF
'

test_expect_success 'TS_LOG with an unknown level warns and logs at info' '
	for p in $progs; do
		TS_LOG=verbose "$TS_BIN/$p" --version >out 2>err ||
		    { echo "$p: exit $?"; return 1; }
		grep -q "unknown TS_LOG level .verbose." err || { echo "$p: no warning"; return 1; }
	done
'

test_expect_success 'every program has a man page with the sections STYLE.md asks for' '
	for p in $progs; do
		m="$TS_TOP/man/$p.1"
		[ -f "$m" ] || { echo "no $m"; return 1; }
		for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" FILES EXAMPLES "SEE ALSO"; do
			grep -q "^\.SH \"\{0,1\}$s" "$m" || { echo "$m: no $s"; return 1; }
		done
		grep -q "100" "$m" && grep -q "111" "$m" || { echo "$m: exit codes"; return 1; }
	done
'

test_expect_success 'man pages render without warnings' '
	if ! command -v man >/dev/null 2>&1; then echo "# no man: skipped"; return 0; fi
	for m in "$TS_TOP"/man/*.[1-8]; do
		MANWIDTH=80 man --warnings -l "$m" >/dev/null 2>warn
		[ ! -s warn ] || { echo "$m:"; cat warn; return 1; }
	done
'

# .BR, .BI, .IR and the like join their arguments without spaces, so two
# plain words side by side among them render as one ("requestsrun").
test_expect_success 'man pages run no words together in font macros' '
	for m in "$TS_TOP"/man/*.[1-8]; do
		awk -v f="$m" '\''
		/^\.(BR|BI|IR|IB|RB|RI)[ \t]/ {
			s = $0; sub(/^\.[A-Z][A-Z][ \t]+/, "", s); prev = ""
			while (match(s, /^("[^"]*"|[^ \t"]+)[ \t]*/)) {
				a = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
				sub(/[ \t]+$/, "", a)
				w = (a ~ /^[A-Za-z][A-Za-z]+[,.;]?$/)
				if (w && prev) { print f ":" NR ": words run together: " $0; bad = 1 }
				prev = w
			}
		}
		END { exit bad }'\'' "$m" || return 1
	done
'

# The synopsis and --help's usage lines say the same, word for word. Each
# form starts with the program's name; --help wraps a long one onto
# indented lines, the page onto as many as the width needs, so the lines
# of a form are joined before they are compared.
synopsis_forms() {
	sed "s/^usage: //;s/^ *//;s/  */ /g" | grep . | awk -v p="$1" '
	index($0, p " ") == 1 || $0 == p { if (l != "") print l; l = $0; next }
	{ l = l " " $0 } END { if (l != "") print l }'
}
test_expect_success 'the SYNOPSIS is the usage of --help' '
	command -v man >/dev/null 2>&1 || { echo "# no man: skipped"; return 0; }
	for p in $progs; do
		MANWIDTH=300 man -l "$TS_TOP/man/$p.1" 2>/dev/null |
		    sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
		    synopsis_forms $p >syn &&
		"$TS_BIN/$p" --help | sed -n "1,/^\$/p" | synopsis_forms $p >use &&
		[ -s use ] && test_cmp syn use ||
		    { echo "$p: synopsis and --help differ"; return 1; }
	done
'

test_expect_success 'every long option in --help is in the man page' '
	for p in $progs; do
		"$TS_BIN/$p" --help 2>/dev/null | grep -o -- "--[a-z][a-z-]*" | sort -u >opts
		while read -r o; do
			grep -q -- "$(echo "$o" | sed "s/-/\\\\\\\\-/g")" "$TS_TOP/man/$p.1" ||
			    grep -q -- "$o" "$TS_TOP/man/$p.1" ||
			    { echo "$p: $o not in man page"; return 1; }
		done <opts
	done
'
test_done
