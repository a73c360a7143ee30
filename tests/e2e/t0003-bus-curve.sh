#!/bin/sh
# t0003: a tcp bus encrypted with CURVE keys
. "$(dirname "$0")/lib.sh"
port=$(free_port 3)
export TS_BUS="tcp://127.0.0.1:$port" TS_BUS_KEYS="$TMP/keys"

test_expect_success 'keygen writes a secret key only its owner reads, and a public one' '
	ts-supervisor keygen &&
	test "$(stat -c %a "$TMP/keys/server.key")" = 600 &&
	test $(head -1 "$TMP/keys/server.pub" | tr -d "\n" | wc -c) -eq 40 &&
	{ ts-supervisor keygen 2>err; rc=$?; } && test $rc -eq 100 &&
	grep "server.key" err
'

test_expect_success 'messages cross an encrypted bus' '
	start_supervisor -v &&
	bg enc ts-cat -n 1 -w 20 trades/e/A-B &&
	wait_for "grep -q \"subscribe .trades/e/A-B.\" \"$TMP/sup.err\"" 10 &&
	echo "{\"px\":1.10}" | ts-pub trades/e/A-B &&
	wait $enc_pid &&
	echo "{\"px\":1.10,\"seq\":1}" >expect && test_cmp expect "$TMP/enc.out" &&
	ts-supervisor status >status.out
'

test_expect_success 'a client with another server key gets nothing' '
	ts-supervisor keygen "$TMP/other" &&
	{ TS_BUS_SERVER_KEY=$(cat "$TMP/other/server.pub") ts-cat -n 1 -w 2 trades/e/A-B; rc=$?; } &&
	test $rc -eq 111
'

# relay LISTEN_PORT TARGET_PORT FILE: forward one tcp connection both ways and
# keep a copy of every byte that crossed it
relay() {
	python3 - "$@" <<'PY'
import socket, sys, threading
lport, tport, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", lport)); srv.listen(1)
a, _ = srv.accept(); b = socket.create_connection(("127.0.0.1", tport))
log = open(path, "wb", buffering=0); lock = threading.Lock()
def pump(x, y):
    while True:
        d = x.recv(65536)
        if not d:
            break
        with lock:
            log.write(d)
        y.sendall(d)
    y.close()
t = threading.Thread(target=pump, args=(b, a), daemon=True); t.start()
pump(a, b)
PY
}

test_expect_success 'the wire carries no plain text' '
	rport=$(free_port 3) &&
	bg rel relay $((rport + 1)) $((port + 1)) "$TMP/wire" &&
	wait_for "ss -ltn | grep -q \":$((rport + 1)) \"" 10 &&
	bg enc2 ts-cat -B "tcp://127.0.0.1:$rport" -n 1 -w 20 trades/e/A-B &&
	wait_for "[ \$(grep -c \"subscribe .trades/e/A-B.\" \"$TMP/sup.err\") -ge 2 ]" 10 &&
	echo "{\"secret\":\"PLAINTEXT-MARKER\"}" | ts-pub trades/e/A-B &&
	wait $enc2_pid && grep -q PLAINTEXT-MARKER "$TMP/enc2.out" &&
	# the relay saw the handshake (its greeting names the mechanism), not the text
	grep -a -q CURVE "$TMP/wire" &&
	! grep -a -q PLAINTEXT-MARKER "$TMP/wire" &&
	! grep -a -q trades/e/A-B "$TMP/wire"
'

test_expect_success 'a supervisor without its secret key refuses to start' '
	mv "$TMP/keys/server.key" "$TMP/keys/moved" &&
	{ ts-supervisor -B "tcp://127.0.0.1:$(free_port 3)" 2>err; rc=$?; } &&
	test $rc -eq 100 && grep "secret key" err &&
	mv "$TMP/keys/moved" "$TMP/keys/server.key" && chmod 644 "$TMP/keys/server.key" &&
	{ ts-supervisor -B "tcp://127.0.0.1:$(free_port 3)" 2>err; rc=$?; } &&
	test $rc -eq 100 && grep "readable by others" err
'
test_done
