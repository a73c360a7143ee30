#!/bin/sh
# t0306: a bus directory someone else prepared is not trusted (issue 20): one
# writable by others, owned by another user or that is a link is refused; a
# lock that is a link (or a hard link) is refused and its target untouched;
# a planted groups file naming a process the supervisor did not start for
# this bus leaves that process alone. Everything stays inside $TMP.
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/sup-lib.inc"
write_config </dev/null

# refused CMD...: CMD exits 100 within 10 s; its stderr in refused.err
refused() {
	timeout 10 "$@" 2>refused.err >/dev/null </dev/null
	rc=$?
	cat refused.err
	test $rc -eq 100
}

test_expect_success 'a bus directory writable by others is refused' '
	mkdir -m 777 "$TMP/bus" && chmod 777 "$TMP/bus" &&
	refused ts-supervisor &&
	grep -q "bus directory .$TMP/bus. is writable by others (mode 777): refused" refused.err &&
	! [ -e "$TMP/bus/lock" ] &&
	chmod 1777 "$TMP/bus" && refused ts-supervisor && rmdir "$TMP/bus"
'

test_expect_success 'a bus directory of another user is refused (as root)' '
	if [ "$(id -u)" != 0 ]; then echo "# skipped: not root"; return 0; fi
	mkdir -m 700 "$TMP/bus" && chown 65534 "$TMP/bus" &&
	refused ts-supervisor &&
	grep -q "bus directory .$TMP/bus. belongs to uid 65534, not to this user (uid 0): refused" refused.err &&
	rmdir "$TMP/bus"
'

test_expect_success 'a bus directory that is a symbolic link is refused' '
	mkdir -m 700 "$TMP/elsewhere" && ln -s elsewhere "$TMP/bus" &&
	refused ts-supervisor &&
	grep -q "is not a directory (a symbolic link?): refused" refused.err &&
	! [ -e "$TMP/elsewhere/lock" ] &&
	rm "$TMP/bus"
'

test_expect_success 'a lock that is a link is refused and never truncated or written through' '
	mkdir -m 700 "$TMP/bus" && echo precious >"$TMP/precious" &&
	ln -s "$TMP/precious" "$TMP/bus/lock" &&
	refused ts-supervisor &&
	grep -q "$TMP/bus/lock. is a symbolic link: refused" refused.err &&
	test "$(cat "$TMP/precious")" = precious &&
	rm "$TMP/bus/lock" && ln "$TMP/precious" "$TMP/bus/lock" &&
	refused ts-supervisor &&
	grep -q "is not a plain file of this user.s with one link: refused" refused.err &&
	test "$(cat "$TMP/precious")" = precious &&
	rm "$TMP/bus/lock"
'

test_expect_success 'a planted groups file does not make the supervisor signal a process it did not start' '
	env -u TS_BUS setsid sleep 1000 </dev/null >/dev/null 2>&1 &
	victim=$! && T_PIDS="$T_PIDS $victim" &&
	wait_for "[ \"\$(readlink /proc/$victim/exe)\" != \"\$(readlink /proc/$$/exe)\" ]" &&
	test "$(ps -o pgid= -p $victim | tr -d " ")" = $victim &&
	start=$(sed "s/.*) //" /proc/$victim/stat | cut -d" " -f20) &&
	echo "$victim $start $(readlink /proc/$victim/exe)" >"$TMP/bus/groups" &&
	cat "$TMP/bus/groups" &&
	start_supervisor &&
	grep -q "lists 1 running process group that this bus.s supervisor did not start" sup.err &&
	kill -0 $victim &&
	! [ -e "$TMP/bus/groups" ] &&
	stop $sup_pid &&
	kill $victim
'

test_expect_success 'a groups file that is a link is not read' '
	printf "%s 1 -\n" $$ >"$TMP/planted" &&
	ln -s "$TMP/planted" "$TMP/bus/groups" &&
	start_supervisor &&
	grep -q "bus/groups. is a symbolic link: refused; its process groups are left alone" sup.err &&
	test -e "$TMP/planted" &&
	stop $sup_pid
'

test_done
