#!/bin/sh
# t0301: producers start on the first subscriber, stop after the last one
# leaves (after the linger), cascade, restart when killed, fail for good on 100
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/sup-lib.inc"
write_config </dev/null

test_expect_success 'the configuration checks out; the table lists the services' '
	ts-supervisor --check >table &&
	grep "^prod-{ex}	on-demand	trades/{ex}	sh -c" table &&
	grep "^feed-{ex}	disabled" table &&
	start_supervisor &&
	ts-supervisor status --json | jq -e ".services == []"
'

test_expect_success 'the first subscriber starts the producer; data flows' '
	bg A ts-cat trades/x/A-B &&
	ts-cat -n 3 -w 10 trades/x/A-B >out && test $(wc -l <out) -eq 3 &&
	test "$(st prod-x state)" = up &&
	grep "prod-x.*is up: it told readiness" "$TMP/sup.err"
'

test_expect_success 'two subscribers, one leaves: the producer keeps running' '
	p1=$(pid_of prod-x) && test -n "$p1" &&
	bg B ts-cat trades/x/A-B &&
	wait_for "[ \$(st prod-x subscribers) -eq 2 ]" &&
	kill $B_pid && wait_for "[ \$(st prod-x subscribers) -eq 1 ]" &&
	sleep 4 &&
	test "$(pid_of prod-x)" = "$p1" && test "$(st prod-x state)" = up
'

test_expect_success 'a subscriber back within the linger keeps the same producer' '
	p1=$(pid_of prod-x) &&
	kill $A_pid && wait_for "[ \$(st prod-x subscribers) -eq 0 ]" &&
	bg A2 ts-cat trades/x/A-B &&
	wait_for "[ \$(st prod-x subscribers) -eq 1 ]" &&
	sleep 4 && test "$(pid_of prod-x)" = "$p1"
'

test_expect_success 'the last subscriber leaving stops the producer after the linger' '
	p1=$(pid_of prod-x) &&
	kill $A2_pid &&
	wait_for "[ \"\$(st prod-x state)\" = down ]" 15 &&
	! kill -0 $p1 2>/dev/null &&
	grep "stopping .prod-x. (pid $p1): no subscriber left" "$TMP/sup.err"
'

test_expect_success 'kill -9 of a producer: restarted, and data flows again' '
	bg K ts-cat trades/x/A-B &&
	wait_for "[ \"\$(st prod-x state)\" = up ]" &&
	p1=$(pid_of prod-x) && sleep 1.2 && kill -KILL $p1 &&
	wait_for "p=\$(pid_of prod-x) && [ \$p != $p1 ] && [ \"\$(st prod-x state)\" = up ]" 10 &&
	test "$(st prod-x restarts)" -eq 1 &&
	ts-cat -n 2 -w 5 trades/x/A-B >out && test $(wc -l <out) -eq 2 &&
	grep "prod-x. died (signal 9)" "$TMP/sup.err" &&
	kill $K_pid
'

test_expect_success 'cascade: a candle subscriber starts cand, whose trades subscription starts prod-x' '
	wait_for "[ \"\$(st prod-x state)\" = down ]" 15 &&
	bg C ts-cat candles/x/A-B/1m &&
	wait_for "[ -s \"$TMP/C.out\" ]" 15 &&
	wait_for "[ \"\$(st cand state)\" = up ]" && test "$(st prod-x state)" = up &&
	test "$(st prod-x subscribers)" -eq 1
'

test_expect_success 'unsubscribing the candle topic stops both after their lingers' '
	pc=$(pid_of cand) && pp=$(pid_of prod-x) &&
	kill $C_pid &&
	wait_for "[ \"\$(st cand state)\" = down ] && [ \"\$(st prod-x state)\" = down ]" 20 &&
	wait_for "! pgrep -g $pc && ! pgrep -g $pp"
'

test_expect_success 'exit 100 is a permanent failure: reported, not restarted in a loop' '
	bg F ts-cat misc/fail &&
	wait_for "[ \"\$(st fail state)\" = failed ]" &&
	sleep 3 &&
	test "$(st fail state)" = failed && test "$(st fail restarts)" -eq 0 &&
	test "$(st fail last_exit)" = "exit 100" &&
	test $(grep -c "starting .fail." "$TMP/sup.err") -eq 1 &&
	grep "fail. failed (exit 100: a permanent error)" "$TMP/sup.err"
'

test_expect_success 'restart NAME tries a failed service again, once' '
	ts-supervisor restart fail &&
	wait_for "[ \$(grep -c \"starting .fail.\" \"$TMP/sup.err\") -eq 2 ]" &&
	wait_for "[ \"\$(st fail state)\" = failed ]" &&
	sleep 2 && test $(grep -c "starting .fail." "$TMP/sup.err") -eq 2 &&
	kill $F_pid
'

test_expect_success 'stop NAME stops a wanted service until it is subscribed anew' '
	bg S ts-cat trades/y/A-B &&
	wait_for "[ \"\$(st prod-y state)\" = up ]" &&
	ts-supervisor stop prod-y &&
	wait_for "[ \"\$(st prod-y state)\" = down ]" &&
	sleep 1.5 && test "$(st prod-y state)" = down &&
	bg S2 ts-cat trades/y/A-B &&
	wait_for "[ \"\$(st prod-y state)\" = up ]" &&
	kill $S_pid $S2_pid
'

test_expect_success 'commands: bad names and usage are errors with the right codes' '
	{ ts-supervisor stop nosuch 2>err; rc=$?; } && test $rc -eq 100 &&
	grep "^ts-supervisor: no service .nosuch. (known: .*prod-y" err &&
	grep -x "see .ts-supervisor --help." err && test $(wc -l <err) -eq 2 &&
	{ ts-supervisor restart nosuch 2>err; rc=$?; } && test $rc -eq 100 &&
	grep "^ts-supervisor: no service .nosuch." err && ! grep warning err &&
	{ ts-supervisor frobnicate 2>err; rc=$?; } && test $rc -eq 100 &&
	grep "unknown command .frobnicate." err &&
	{ ts-supervisor -B "$TMP/nobus" status 2>err; rc=$?; } && test $rc -eq 111 &&
	grep "no ts-supervisor is running" err
'

test_expect_success 'status shows the markets each instance serves' '
	bg M1 ts-cat trades/m/C-D && bg M2 ts-cat trades/m/A-B trades/n/E-F &&
	wait_for "[ \"\$(st prod-m state)\" = up ] && [ \"\$(st prod-n state)\" = up ]" &&
	wait_for "[ \$(st prod-m subscribers) -eq 2 ]" &&
	test "$(st prod-m markets | jq -c .)" = "[\"A-B\",\"C-D\"]" &&
	test "$(st prod-n markets | jq -c .)" = "[\"E-F\"]" &&
	ts-supervisor status >human &&
	grep "^NAME .* LAST EXIT  *MARKETS$" human &&
	grep "^prod-m  *up .* A-B,C-D$" human && grep "^prod-n  *up .* E-F$" human &&
	kill $M1_pid && wait_for "[ \"\$(st prod-m markets | jq -c .)\" = \"[\\\"A-B\\\"]\" ]" &&
	kill $M2_pid && wait_for "[ \"\$(st prod-n markets | jq -c .)\" = [] ]" &&
	wait_for "[ \"\$(st prod-m state)\" = down ] && [ \"\$(st prod-n state)\" = down ]" 15
'

test_expect_success 'status/supervisor carries the process table' '
	ts-cat -n 1 -w 10 status/supervisor >status &&
	jq -e ".services | map(.name) | index(\"prod-x\") != null" status &&
	jq -e ".services[0] | has(\"pid\") and has(\"state\") and has(\"uptime\") and has(\"restarts\") and has(\"subscribers\")" status &&
	ts-supervisor status >human && grep "^NAME  *STATE  *PID  *UPTIME  *RESTARTS  *SUBS" human
'

test_expect_success 'SIGTERM stops every child and removes the ipc files' '
	bg T ts-cat trades/z/A-B &&
	wait_for "[ \"\$(st prod-z state)\" = up ]" &&
	pz=$(pid_of prod-z) &&
	kill -TERM $sup_pid && wait $sup_pid &&
	wait_for "! kill -0 $pz 2>/dev/null && ! pgrep -g $pz" &&
	test ! -e "$TS_BUS/ctl" && test ! -e "$TS_BUS/sub" &&
	grep "stopping .prod-z. (pid $pz): the supervisor is stopping" "$TMP/sup.err"
'

test_expect_success 'kill -9 of the supervisor leaves no orphan' '
	start_supervisor &&
	bg O ts-cat trades/o/A-B &&
	wait_for "[ \"\$(st prod-o state)\" = up ]" &&
	po=$(pid_of prod-o) &&
	kill -KILL $sup_pid && wait $sup_pid;
	wait_for "! kill -0 $po 2>/dev/null && ! pgrep -g $po" 10
'
test_done
