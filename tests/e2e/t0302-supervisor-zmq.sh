#!/bin/sh
# t0302: what the supervisor learns from ZeroMQ through its proxy: wildcards,
# subscribers that die without unsubscribing, duplicate subscriptions
# (test_sup_zmq pins the raw events down; this checks the counts built on them)
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/sup-lib.inc"
write_config </dev/null
start_supervisor

test_expect_success 'a wildcard broader than a pattern starts nothing' '
	bg W ts-cat trades/ &&
	wait_for "ts-supervisor status --json | jq -e \".services == []\"" &&
	sleep 1 && ts-supervisor status --json | jq -e ".services == []" &&
	kill $W_pid
'

test_expect_success 'a wildcard naming the exchange starts its producer' '
	bg W2 ts-cat -n 2 trades/w/ &&
	wait $W2_pid && test $(wc -l <"$TMP/W2.out") -eq 2 &&
	test "$(st prod-w subscribers)" -eq 0
'

test_expect_success 'subscribers killed with -9 are counted out; the producer stops' '
	bg K1 ts-cat trades/k/A-B && bg K2 ts-cat trades/k/A-B &&
	wait_for "[ \$(st prod-k subscribers) -eq 2 ]" &&
	kill -KILL $K1_pid && wait_for "[ \$(st prod-k subscribers) -eq 1 ]" &&
	test "$(st prod-k state)" = up &&
	kill -KILL $K2_pid && wait_for "[ \$(st prod-k subscribers) -eq 0 ]" &&
	wait_for "[ \"\$(st prod-k state)\" = down ]" 15
'

# ZeroMQ passes one socket's repeated subscribe upstream every time but only
# its last unsubscribe (test_sup_zmq pins that limit down), so ts-cat
# subscribes a topic given twice once: its leaving stops the producer.
test_expect_success 'one socket, one topic twice: ts-cat subscribes once, and its leaving is seen' '
	bg D ts-cat trades/d/A-B trades/d/A-B &&
	bg D2 ts-cat trades/d/A-B &&
	wait_for "[ \$(st prod-d subscribers) -eq 2 ]" &&
	kill $D_pid &&
	wait_for "[ \$(st prod-d subscribers) -eq 1 ]" &&
	kill $D2_pid &&
	wait_for "[ \$(st prod-d subscribers) -eq 0 ]" &&
	wait_for "[ \"\$(st prod-d state)\" = down ]" 15
'
test_done
