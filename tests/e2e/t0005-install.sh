#!/bin/sh
# t0005: make install puts programs, pages, units, examples and bash
# completion in place; the examples are valid; make uninstall takes it all
# away again
. "$(dirname "$0")/lib.sh"

R=$TMP/root
inst() { make -s -C "$TS_TOP" "$@" DESTDIR="$R" PREFIX=/usr >make.out 2>&1 || { cat make.out; return 1; }; }

test_expect_success 'make install: every program, page, unit, example and completion' '
	inst install &&
	for p in "$TS_TOP"/cmd/ts-*/; do
		p=${p%/}; p=${p##*/}
		test -x "$R/usr/bin/$p" || { echo "# no $p"; return 1; }
		test -L "$R/usr/share/bash-completion/completions/$p" || { echo "# no completion for $p"; return 1; }
	done &&
	for m in "$TS_TOP"/man/*.[1-8]; do
		s=${m##*.}; test -f "$R/usr/share/man/man$s/${m##*/}" || { echo "# no $m"; return 1; }
	done &&
	for e in tradesuite.ini alerts.conf store.ini; do
		test -f "$R/usr/share/doc/tradesuite/examples/$e" || { echo "# no example $e"; return 1; }
	done &&
	test -f "$R/usr/lib/systemd/system/ts-supervisor.service" &&
	test -f "$R/usr/lib/systemd/user/ts-store.service" &&
	! grep -l "@BINDIR@" "$R"/usr/lib/systemd/*/*.service &&
	grep -q "^ExecStart=/usr/bin/ts-supervisor$" "$R/usr/lib/systemd/system/ts-supervisor.service"
'

test_expect_success 'the installed examples are valid for their programs' '
	X=$R/usr/share/doc/tradesuite/examples &&
	ts-supervisor -c "$X/tradesuite.ini" --check >table &&
	grep -q "^store	always" table && grep -q "^alert	always" table &&
	ts-alert check "$X/alerts.conf" >out && grep -q " 0 errors" out &&
	{ ts-store stats -c "$X/store.ini" --db "$TMP/none.db" 2>err; test $? -eq 100; } &&
	grep -q "no database" err &&
	printf "[store]\nbook-hz = lots\n" >bad.ini &&
	{ ts-store stats -c bad.ini --db "$TMP/none.db" 2>err; test $? -eq 100; } &&
	grep -q "^ts-store: error: bad.ini:2: bad book-hz .lots." err
'

test_expect_success 'bash completes options from --help, commands and exchanges' '
	command -v bash >/dev/null || { echo "# no bash: skipped"; exit 0; }
	PATH=$R/usr/bin:$PATH bash -c "
		. \"$R/usr/share/bash-completion/completions/ts-feed\"
		c() { COMP_WORDS=(\"\$@\"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _tradesuite; echo \"\${COMPREPLY[*]}\"; }
		c ts-feed --std; c ts-feed c; c ts-alert en; c ts-store q; c ts-supervisor pa
		c ts-candle -t 1w; c ts-cat trades/co
	" >comp &&
	printf "%s\n" --stdout coinbase enable query paths 1w trades/coinbase/ >expect &&
	test_cmp expect comp
'

test_expect_success 'make uninstall leaves nothing of ours behind' '
	inst uninstall &&
	find "$R" ! -type d >left &&
	test_cmp /dev/null left &&
	test ! -d "$R/usr/share/doc/tradesuite"
'

test_done
