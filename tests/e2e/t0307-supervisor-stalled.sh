#!/bin/sh
# t0307: a subscriber that stops reading costs the proxy a bounded number of
# bytes and is named in status as the one being dropped, while another
# subscriber of the same topic gets every message (issue 20). The memory it
# saves is measured by bench/supervisor/stall.sh, not here.
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/sup-lib.inc"
write_config </dev/null
# a small budget (1 MiB) so that a few thousand 1 KB messages pass it
export TS_BUS_BUFFER=1m
pad=$(head -c 1000 /dev/zero | tr '\0' x)
seq 1 3000 | sed "s/.*/{\"n\":&,\"pad\":\"$pad\"}/" >big.jsonl

test_expect_success 'the high-water mark comes from the byte budget' '
	start_supervisor -v &&
	ts-supervisor status --json >st.json &&
	test "$(jq .bus_memory.budget st.json)" = 1048576 &&
	test "$(jq .bus_memory.max_message st.json)" = 16777216 &&
	test "$(jq .bus_memory.hwm st.json)" -lt 2000
'

test_expect_success 'a stopped subscriber is named, then cut off; the other gets every message' '
	bg stalled ts-cat misc/stall/A-B &&
	bg reader ts-cat -n 3000 -w 60 misc/stall/A-B &&
	wait_for "[ \$(grep -c \"subscribe .misc/stall/A-B.\$\" sup.err) -ge 2 ]" &&
	kill -STOP $stalled_pid &&
	bg pub ts-pub -w 5 -r 500 misc/stall/A-B big.jsonl &&
	wait_for "ts-supervisor status --json | jq -e \".bus_memory.dropping[] | select(.pid == $stalled_pid)\"" 20 &&
	ts-supervisor status --json | jq -c .bus_memory &&
	grep -q "subscriber ts-cat misc/stall/A-B (pid $stalled_pid) is not keeping up" sup.err &&
	wait_for "grep -q \"subscriber ts-cat misc/stall/A-B (pid $stalled_pid) read nothing while .* bytes were forwarded: cut off\" sup.err" 20 &&
	test "$(ts-supervisor status --json | jq .bus_memory.cut_off)" -ge 1 &&
	wait $pub_pid && wait $reader_pid &&
	test "$(wc -l <reader.out)" -eq 3000 &&
	jq -s "[.[].seq] == [range(1; 3001)]" reader.out | grep -q true
'

test_expect_success 'once it reads again it is back on the bus' '
	kill -CONT $stalled_pid &&
	echo "{\"n\":\"again\"}" >again.jsonl &&
	wait_for "ts-pub -w 1 misc/stall/A-B again.jsonl && grep -q again stalled.out" 20 &&
	stop $stalled_pid
'

test_expect_success 'a publisher sending a message over TS_BUS_MAXMSG is cut off, the bus goes on' '
	stop $sup_pid &&
	TS_BUS_MAXMSG=8192 start_supervisor &&
	head -c 20000 /dev/zero | tr "\0" y | sed "s/.*/{\"pad\":\"&\"}/" >huge.jsonl &&
	echo "{\"n\":1}" >small.jsonl &&
	bg reader2 ts-cat -n 1 -w 30 misc/stall/A-B &&
	ts-pub -w 5 misc/stall/A-B huge.jsonl &&
	ts-pub -w 5 misc/stall/A-B small.jsonl &&
	wait $reader2_pid &&
	test "$(jq -c "{n}" reader2.out)" = "{\"n\":1}"
'

test_done
