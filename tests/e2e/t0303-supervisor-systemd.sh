#!/bin/sh
# t0303: the systemd units pass systemd-analyze verify (where it exists), and
# ts-supervisor tells readiness to $NOTIFY_SOCKET as Type=notify wants
. "$(dirname "$0")/lib.sh"

test_expect_success 'the system and user units verify' '
	if ! command -v systemd-analyze >/dev/null; then echo "# no systemd-analyze: skipped"; exit 0; fi
	mkdir -p system user &&
	for u in "$TS_TOP"/systemd/system/*.service "$TS_TOP"/systemd/user/*.service; do
		d=${u%/*}; d=${d##*/}; f=${u##*/}
		case $f in *@.service) f=${f%@.service}@coinbase.service ;; esac
		sed "s|@BINDIR@|$TS_BIN|g" "$u" >"$d/$f" || return 1
	done &&
	( cd system && systemd-analyze verify --man=no ./*.service ) &&
	( cd user && systemd-analyze --user verify --man=no ./*.service )
'

test_expect_success 'a unit naming a missing program does not verify (the check can fail)' '
	if ! command -v systemd-analyze >/dev/null; then exit 0; fi
	mkdir -p bad && sed "s|@BINDIR@|/nonexistent|g" "$TS_TOP/systemd/system/ts-supervisor.service" >bad/ts-supervisor.service &&
	! systemd-analyze verify --man=no ./bad/ts-supervisor.service
'

test_expect_success 'READY=1 arrives on $NOTIFY_SOCKET once the bus is bound' '
	python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(\"$TMP/notify\"); s.settimeout(20)
open(\"$TMP/notify.listening\", \"w\").close()
print(s.recv(256).decode()); print(s.recv(256).decode())
" >notify.out &
	np=$! && T_PIDS="$T_PIDS $np" &&
	wait_for "[ -e \"$TMP/notify.listening\" ]" &&
	NOTIFY_SOCKET="$TMP/notify" start_supervisor &&
	wait_for "grep -qx READY=1 notify.out || [ \$(wc -l <notify.out) -ge 1 ]" &&
	test -S "$TS_BUS/sub" && test -S "$TS_BUS/ctl" &&
	kill -TERM $sup_pid && wait $sup_pid &&
	wait $np && printf "READY=1\nSTOPPING=1\n" >expect && test_cmp expect notify.out
'
test_done
