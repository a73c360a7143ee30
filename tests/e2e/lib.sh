# tests/e2e/lib.sh: sourced by every end-to-end test (git t/ style).
#
#   . "$(dirname "$0")/lib.sh"
#   start_supervisor
#   test_expect_success 'what it checks' '
#       ts-pub trades/x/A-B <in && ts-cat -n 1 trades/x/A-B >out && test_cmp expect out
#   '
#   test_done
#
# Each test gets its own temporary directory ($TMP, the working directory),
# its own bus (ipc in $TMP/bus unless the test sets TS_BUS), XDG directories
# inside $TMP, and a cleanup that kills every process it started, by pid.
set -u
: "${TS_BIN:?run through make check or tests/run}"
TS_TOP=${TS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d /tmp/ts-e2e.XXXXXX)
export TS_BUS="$TMP/bus"
export XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data" \
    XDG_RUNTIME_DIR="$TMP/run" XDG_STATE_HOME="$TMP/state" XDG_CACHE_HOME="$TMP/cache"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME" "$XDG_CACHE_HOME"
PATH="$TS_BIN:$PATH"
export PATH
unset TS_LOG
cd "$TMP" || exit 111
T_PIDS=""
t_n=0 t_fail=0

t_cleanup() {
	for p in $T_PIDS; do kill -TERM "$p" 2>/dev/null; done
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		alive=""
		for p in $T_PIDS; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for p in $T_PIDS; do kill -KILL "$p" 2>/dev/null; done
	# Processes started by the processes we started (a supervisor's
	# children, the rest of a shell pipeline) are not on the list, but
	# they run in $TMP: end whatever still has its working directory here.
	cd /
	for d in /proc/[0-9]*; do
		[ "${d#/proc/}" = "$$" ] && continue
		case $(readlink "$d/cwd" 2>/dev/null) in
		"$TMP"|"$TMP"/*) kill -KILL "${d#/proc/}" 2>/dev/null ;;
		esac
	done
	if [ -n "${TS_KEEP:-}" ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
trap t_cleanup EXIT
trap 'exit 111' INT TERM

# bg NAME CMD...: start CMD in the background with stdout in NAME.out and
# stderr in NAME.err; its pid goes to $NAME_pid (NAME: a shell identifier)
# and to the cleanup list.
bg() {
	t_name=$1; shift
	"$@" >"$TMP/$t_name.out" 2>"$TMP/$t_name.err" &
	eval "${t_name}_pid=$!"
	T_PIDS="$T_PIDS $!"
}

# stop PID: SIGTERM, wait up to 5 s, then SIGKILL; returns its exit status.
stop() {
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# wait_for 'SHELL CONDITION' [SECONDS=10]: poll every 50 ms.
wait_for() {
	t_deadline=$(( $(date +%s) + ${2:-10} ))
	while ! eval "$1" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$t_deadline" ] && { echo "# timed out waiting for: $1"; return 1; }
		sleep 0.05
	done
}

# free_port [COUNT=1]: a base port on 127.0.0.1 with COUNT free ports from it.
free_port() {
	python3 - "${1:-1}" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randint(20000, 60000 - n)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks: s.close()
    print(base); break
PY
}

# start_supervisor [ARGS...]: start ts-supervisor on $TS_BUS and wait until
# it has bound its endpoints (its readiness line on fd 3).
start_supervisor() {
	rm -f "$TMP/sup.ready"
	"$TS_BIN/ts-supervisor" --ready-fd 3 "$@" 3>"$TMP/sup.ready" \
	    >>"$TMP/sup.out" 2>>"$TMP/sup.err" &
	sup_pid=$!
	T_PIDS="$T_PIDS $sup_pid"
	wait_for '[ -s "$TMP/sup.ready" ]' 10 || { cat "$TMP/sup.err"; return 1; }
}

# test_expect_success DESCRIPTION 'COMMANDS': run COMMANDS (chained with &&)
# in this shell, so processes they start with bg stay on the cleanup list.
# (the commands run inside t_eval, so a `return` in them ends the test, not
# test_expect_success)
t_eval() { eval "$1"; }
test_expect_success() {
	t_n=$((t_n + 1))
	t_start=$(date +%s.%N)
	if t_eval "$2" >"$TMP/t$t_n.log" 2>&1 </dev/null; then
		echo "ok $t_n - $1"
		echo "#   took $(awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $t_start}")s"
	else
		echo "not ok $t_n - $1"
		sed 's/^/#   /' "$TMP/t$t_n.log" | tail -30
		t_fail=$((t_fail + 1))
	fi
}

test_cmp() {
	diff -u "$1" "$2"
}

test_done() {
	echo "# $t_n tests, $t_fail failed"
	[ "$t_fail" -eq 0 ]
}
