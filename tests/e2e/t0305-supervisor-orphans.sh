#!/bin/sh
# t0305: a service that is a shell pipeline leaves nothing behind when the
# supervisor dies (kill -9: its guard ends every process group) or stops
# (SIGTERM: the supervisor waits for the whole group, then for its guard);
# a killed guard is replaced; what a supervisor and its guard killed at once
# left is ended by the next supervisor
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/sup-lib.inc"
# pipe-{ex}: sh, a member that ignores SIGTERM (only SIGKILL ends it) and a
# three-stage pipeline; sh does not pass signals on, and only sh is the
# supervisor's direct child
write_config <<'INI'
[service pipe-{ex}]
topics = pipe/{ex}
command = sh -c 'echo >&3; (trap "" TERM; exec sleep 100000) & cat lines | sed s/px/px/ | ts-pub -w 0 -r 50 pipe/{ex}/A-B'
ready = fd
INI

# gone PID: no such process, or only its zombie (not ours to reap)
gone() {
	! [ -e "/proc/$1/stat" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d" " -f1)" = Z ]
}
all_gone() {
	for q in "$@"; do gone "$q" || return 1; done
}
# running NAME: wait until service NAME is up with its whole pipeline (sh,
# sleep, cat, sed, ts-pub); its group in $pg, the group's pids in $pids
# (they join the cleanup list)
running() {
	wait_for "[ \"\$(st $1 state)\" = up ]" 30 &&
	pg=$(pid_of "$1") &&
	wait_for "[ \$(pgrep -g $pg | wc -l) -ge 5 ]" 30 &&
	pids=$(pgrep -g "$pg" | tr "\n" " ") &&
	T_PIDS="$T_PIDS $pids"
}
# here PATTERN: how many processes running in this test's directory match
here() {
	n=0
	for q in $(pgrep -f "$1"); do
		[ "$(readlink /proc/$q/cwd)" = "$TMP" ] && n=$((n + 1))
	done
	echo $n
}
guard_of() { ts-supervisor status --json | jq -r .guard; }

test_expect_success 'a pipeline service runs as one process group; a guard runs beside the supervisor' '
	start_supervisor &&
	bg A ts-cat pipe/x/A-B &&
	running pipe-x &&
	ts-cat -n 2 -w 30 pipe/x/A-B >out && test $(wc -l <out) -eq 2 &&
	echo "group $pg: $pids" &&
	pgrep -g $pg -x sleep && pgrep -g $pg -x cat && pgrep -g $pg -x ts-pub &&
	guard=$(guard_of) && test "$guard" -gt 0 && ! gone $guard &&
	T_PIDS="$T_PIDS $guard" &&
	test "$(ps -o ppid= -p $guard | tr -d " ")" = $sup_pid
'

test_expect_success 'kill -9 of the supervisor: every process of the group ends, then the guard' '
	kill -KILL $sup_pid && wait $sup_pid;
	wait_for "all_gone $pids" 30 &&
	wait_for "gone $guard" 30 &&
	grep "guard.*the supervisor (pid $sup_pid) is gone: SIGTERM" "$TMP/sup.err" &&
	grep "guard.*SIGKILL to 1 process group" "$TMP/sup.err"
'

test_expect_success 'a new supervisor starts one fresh copy' '
	kill $A_pid; start_supervisor &&
	bg B ts-cat pipe/x/A-B &&
	wait_for "[ \"\$(st pipe-x state)\" = up ]" 30 &&
	ts-cat -n 2 -w 30 pipe/x/A-B >out && test $(wc -l <out) -eq 2 &&
	test $(here "^ts-pub -w 0 -r 50 pipe/x/A-B") -eq 1 &&
	pg=$(pid_of pipe-x) && test "$pg" != "" &&
	for q in $pids; do test $q != $pg || return 1; done
'

test_expect_success 'a killed guard is replaced and told the running groups' '
	g1=$(guard_of) && T_PIDS="$T_PIDS $g1" &&
	kill -KILL $g1 &&
	wait_for "g=\$(guard_of) && [ \$g -gt 0 ] && [ \$g != $g1 ]" 30 &&
	guard=$(guard_of) && T_PIDS="$T_PIDS $guard" &&
	grep "the guard (pid $g1) ended (signal 9): starting a new one" "$TMP/sup.err" &&
	running pipe-x &&
	kill -KILL $sup_pid && wait $sup_pid;
	wait_for "all_gone $pids" 30 && wait_for "gone $guard" 30
'

test_expect_success 'supervisor and guard killed at once: the next one ends what they left, then starts one copy' '
	start_supervisor &&
	bg D ts-cat pipe/x/A-B &&
	running pipe-x &&
	guard=$(guard_of) && T_PIDS="$T_PIDS $guard" &&
	grep "^$pg " "$TS_BUS/groups" &&
	kill -KILL $sup_pid $guard && wait $sup_pid;
	! all_gone $pids &&
	start_supervisor &&
	wait_for "all_gone $pids" 30 &&
	grep "1 process group that a dead supervisor left behind still ran: SIGTERM (first: $pg)" "$TMP/sup.err" &&
	wait_for "[ \"\$(st pipe-x state)\" = up ]" 30 &&
	test $(here "^ts-pub -w 0 -r 50 pipe/x/A-B") -eq 1 &&
	kill -KILL $sup_pid && wait $sup_pid;
	kill $D_pid
'

test_expect_success 'SIGTERM: the supervisor exits after the whole group and its guard' '
	kill $B_pid; start_supervisor &&
	bg C ts-cat pipe/y/A-B &&
	running pipe-y &&
	guard=$(guard_of) && T_PIDS="$T_PIDS $guard" &&
	kill -TERM $sup_pid && wait $sup_pid &&
	all_gone $pids $guard &&
	grep "process group $pg did not end on SIGTERM: SIGKILL" "$TMP/sup.err" &&
	! grep "supervisor (pid $sup_pid) is gone" "$TMP/sup.err" &&
	test ! -e "$TS_BUS/groups"
'
test_done
