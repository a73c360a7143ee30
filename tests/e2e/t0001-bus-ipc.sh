#!/bin/sh
# t0001: the bus over ipc: supervisor, ts-pub and ts-cat
. "$(dirname "$0")/lib.sh"
BUS2="$TMP/bus2"
. "$TS_TOP/tests/e2e/bus-scenarios.inc"

test_expect_success 'SIGTERM stops the supervisor and removes its ipc files' '
	test -S "$TS_BUS/pub" && test -S "$TS_BUS/sub" &&
	kill -TERM $sup_pid && wait $sup_pid &&
	test ! -e "$TS_BUS/pub" && test ! -e "$TS_BUS/sub" && test ! -e "$TS_BUS/lock"
'

test_expect_success 'stale ipc files of a killed supervisor are removed on start' '
	start_supervisor && kill -KILL $sup_pid && wait $sup_pid;
	test -S "$TS_BUS/sub" &&
	start_supervisor &&
	grep "removed stale socket" "$TMP/sup.err" &&
	bg st ts-cat -n 1 -w 20 trades/z/A-B &&
	sleep 0.3 && echo "{}" | ts-pub trades/z/A-B && wait $st_pid
'

test_expect_success 'the bus directory comes from XDG_RUNTIME_DIR when TS_BUS is unset' '
	( unset TS_BUS &&
	  mkdir -p "$TMP/xdg" && export XDG_RUNTIME_DIR="$TMP/xdg" &&
	  ts-supervisor --ready-fd 3 3>"$TMP/xdg.ready" 2>"$TMP/xdg.err" & p=$!;
	  wait_for "[ -s \"$TMP/xdg.ready\" ]" 10 &&
	  test -S "$TMP/xdg/tradesuite/sub"; rc=$?; kill $p; wait $p; exit $rc )
'

test_expect_success 'a non-loopback tcp bus is refused without --insecure' '
	{ ts-cat -B tcp://192.0.2.1:7000 trades/ 2>err; rc=$?; } &&
	test $rc -eq 100 && grep "non-loopback" err
'
test_done
