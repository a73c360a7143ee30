#!/bin/sh
# t0200: ts-sim's command line: help, bad input and exit codes
. "$(dirname "$0")/lib.sh"

test_expect_success '--help prints the usage and exits 0' '
	ts-sim --help >out &&
	grep -q "^usage: ts-sim" out &&
	grep -q -- "--fault SPEC" out
'

test_expect_success 'no exchange is a usage error (100)' '
	{ ts-sim 2>err; test $? -eq 100; } &&
	grep -q "^ts-sim: missing EXCHANGE (known: .*coinbase" err &&
	grep -x -q "see .ts-sim --help." err && test $(wc -l <err) -eq 2
'

test_expect_success 'an unknown exchange exits 100 with a clear message' '
	{ ts-sim --port 0 nosuchex 2>err; test $? -eq 100; } &&
	grep -q "unknown exchange .nosuchex." err
'

test_expect_success 'a bad symbol, fault, rate or port exits 100' '
	{ ts-sim --port 0 --symbols btc-usd coinbase 2>err; test $? -eq 100; } &&
	grep -q "bad symbol .btc-usd." err &&
	{ ts-sim --port 0 --fault explode coinbase 2>err; test $? -eq 100; } &&
	grep -q "bad --fault .explode.: unknown fault" err &&
	{ ts-sim --port 0 --fault stall coinbase 2>err; test $? -eq 100; } &&
	grep -q "needs =NUMBER" err &&
	{ ts-sim --port 0 --fault drop@soon coinbase 2>err; test $? -eq 100; } &&
	{ ts-sim --port 0 --rate -5 coinbase 2>err; test $? -eq 100; } &&
	{ ts-sim --port 70000 coinbase 2>err; test $? -eq 100; }
'

test_expect_success 'a missing or mismatched recording exits 100' '
	{ ts-sim --port 0 --replay "$TMP/none.jsonl.zst" binance 2>err; test $? -eq 100; } &&
	grep -q "cannot open" err &&
	{ ts-sim --port 0 --replay "$TS_TOP/tests/data/sim/binance.jsonl.zst" coinbase 2>err;
	  test $? -eq 100; } &&
	grep -q "recording of .BINANCE., not .coinbase." err
'

test_expect_success 'a port in use exits 111' '
	bg sim1 ts-sim --port 0 coinbase &&
	wait_for "grep -q ^port sim1.out" &&
	port=$(awk "{print \$2; exit}" sim1.out) &&
	{ ts-sim --port "$port" coinbase 2>err; test $? -eq 111; } &&
	grep -q "cannot listen on 127.0.0.1:$port" err
'

test_expect_success 'SIGTERM ends it with 0; --ready-fd gets a newline' '
	ts-sim --port 0 --ready-fd 3 binance 3>ready >sim2.out 2>sim2.err &
	pid=$! && T_PIDS="$T_PIDS $pid" &&
	wait_for "[ -s ready ]" &&
	stop $pid; test $? -eq 0
'

test_done
