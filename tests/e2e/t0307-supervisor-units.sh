#!/bin/sh
# t0307: the systemd units of one kind (system, user) meet on one bus and
# one set of directories, each unit may write where its program writes, and
# the system units are hardened to an exposure of 2.0 or lower
. "$(dirname "$0")/lib.sh"

# unit_env KIND FILE: the environment the unit's program runs with, one
# NAME=VALUE a line: what the manager gives (a DynamicUser's HOME is /; the
# user manager gives HOME and XDG_RUNTIME_DIR), then the unit's
# Environment= lines with their specifiers expanded as systemd does
unit_env() {
	if [ "$1" = system ]; then
		echo HOME=/
		set -- "$2" /run /etc /var/lib /var/cache /
	else
		echo HOME=/home/ann
		echo XDG_RUNTIME_DIR=/run/user/1000
		set -- "$2" /run/user/1000 /home/ann/.config /home/ann/.local/state /home/ann/.cache /home/ann
	fi
	sed -n 's/^Environment=//p' "$1" | tr ' ' '\n' | grep . |
	    sed "s|%t|$2|g; s|%E|$3|g; s|%S|$4|g; s|%C|$5|g; s|%h|$6|g"
}

# paths KIND FILE: where the programs of that unit find bus and directories
paths() {
	unit_env "$1" "$2" >env.list &&
	env -i $(cat env.list) "$TS_BIN/ts-supervisor" paths
}

units() { ls "$TS_TOP"/systemd/"$1"/*.service; }

test_expect_success 'the system units meet on /run/tradesuite and /etc, /var/lib, /var/cache' '
	for u in $(units system); do
		paths system "$u" >"paths.${u##*/}" || return 1
	done &&
	printf "bus\t/run/tradesuite\t(TS_BUS)\nconfig\t/etc/tradesuite\ndata\t/var/lib/tradesuite\nstate\t/var/lib/tradesuite\ncache\t/var/cache/tradesuite\n" >expect &&
	for u in $(units system); do
		test_cmp expect "paths.${u##*/}" || { echo "# in ${u##*/}"; return 1; }
	done
'

test_expect_success 'the user units meet on $XDG_RUNTIME_DIR/tradesuite and the home directories' '
	printf "bus\t/run/user/1000/tradesuite\t(XDG_RUNTIME_DIR)\nconfig\t/home/ann/.config/tradesuite\ndata\t/home/ann/.local/share/tradesuite\nstate\t/home/ann/.local/state/tradesuite\ncache\t/home/ann/.cache/tradesuite\n" >expect &&
	for u in $(units user); do
		paths user "$u" >out && test_cmp expect out || { echo "# in ${u##*/}"; return 1; }
	done
'

test_expect_success 'the check fails for a unit on its own bus (the old ts-alert.service)' '
	printf "[Service]\nEnvironment=HOME=/var/lib/tradesuite\nEnvironment=XDG_RUNTIME_DIR=/run/tradesuite\n" >old.service &&
	paths system old.service >out &&
	grep -q "^bus	/run/tradesuite/tradesuite" out &&
	grep -q "^config	/var/lib/tradesuite/.config/tradesuite" out
'

# has UNIT KEY VALUE: a KEY=VALUE line (or KEY= listing VALUE) in UNIT
has() { grep -Eq "^$2=(.* )?$3( |\$)" "$1"; }

test_expect_success 'each system unit may write where its program writes' '
	d=$TS_TOP/systemd/system &&
	has $d/ts-supervisor.service RuntimeDirectory tradesuite &&
	has $d/ts-supervisor.service StateDirectory tradesuite &&
	has $d/ts-supervisor.service CacheDirectory tradesuite &&
	for u in ts-store ts-alert ts-feed@ ts-gateway ts-scan; do
		has $d/$u.service ReadWritePaths /run/tradesuite || { echo "# $u: bus"; return 1; }
		has $d/$u.service ConfigurationDirectory tradesuite || { echo "# $u: config"; return 1; }
	done &&
	has $d/ts-store.service StateDirectory tradesuite &&
	has $d/ts-alert.service StateDirectory tradesuite &&
	has $d/ts-feed@.service CacheDirectory tradesuite
'

# exposure FILE: systemd-analyze's overall figure for a system unit
exposure() {
	systemd-analyze security --offline=true "$1" 2>/dev/null |
	    sed -n "s/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p"
}

test_expect_success 'systemd-analyze security rates every system unit 2.0 or lower' '
	if ! command -v systemd-analyze >/dev/null || ! systemd-analyze security --help 2>/dev/null | grep -q offline; then
		echo "# no systemd-analyze security --offline: skipped"; exit 0
	fi
	mkdir -p sys &&
	for u in $(units system); do
		f=${u##*/}; case $f in *@.service) f=${f%@.service}@coinbase.service ;; esac
		sed "s|@BINDIR@|$TS_BIN|g" "$u" >"sys/$f" || return 1
	done &&
	for f in sys/*.service; do
		e=$(exposure "$f") && test -n "$e" || { echo "# no figure for $f"; return 1; }
		echo "# $f: $e"
		awk -v e="$e" "BEGIN { exit !(e <= 2.0) }" || { echo "# $f rated $e"; return 1; }
	done &&
	grep -v -E "^(Protect|Private|Restrict|SystemCall|Capability|NoNew|Memory|Lock|UMask|Proc|Device|Keyring|RemoveIPC)" sys/ts-store.service >sys/bare.service &&
	e=$(exposure sys/bare.service) && echo "# without its hardening: $e" &&
	awk -v e="$e" "BEGIN { exit !(e > 2.0) }"
'

test_done
