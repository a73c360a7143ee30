#!/bin/sh
# t0607: e-mail over SMTP with STARTTLS and AUTH against a local sink
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t0600-alert-lib.inc"

PORT=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem 2>/dev/null
cat >smtp.py <<'PY'
# a minimal SMTP sink: EHLO, STARTTLS (required before AUTH/MAIL), AUTH
# PLAIN, MAIL, RCPT, DATA; each message goes to mail.N with its envelope
import base64, socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("cert.pem", "key.pem")
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(5)
n = 0
def handle(c):
    global n
    f = c.makefile("rb"); tls = False; env = []
    def say(s):
        c.sendall(s.encode() + b"\r\n")
    say("220 sink ESMTP")
    while True:
        line = f.readline().decode().rstrip("\r\n")
        if not line: break
        cmd = line.split(" ")[0].upper()
        if cmd in ("EHLO", "HELO"):
            c.sendall(b"250-sink\r\n" + (b"250 AUTH PLAIN\r\n" if tls else b"250 STARTTLS\r\n"))
        elif cmd == "STARTTLS":
            say("220 go ahead"); c = ctx.wrap_socket(c, server_side=True); f = c.makefile("rb"); tls = True
        elif not tls:
            say("530 must issue STARTTLS first")
        elif cmd == "AUTH":
            parts = line.split(" ")
            if len(parts) > 2:
                cred = base64.b64decode(parts[2])
            else:
                say("334 "); cred = base64.b64decode(f.readline().strip())
            if cred == b"\0alerts@example.com\0s3cret": say("235 ok"); env.append("auth ok")
            else: say("535 bad credentials")
        elif cmd in ("MAIL", "RCPT"):
            env.append(line); say("250 ok")
        elif cmd == "DATA":
            say("354 end with .")
            body = []
            while True:
                l = f.readline()
                if l in (b".\r\n", b""): break
                body.append(l.decode())
            n += 1
            open("mail.%d" % n, "w").write("\n".join(env) + "\n--\n" + "".join(body))
            env = []; say("250 queued")
        elif cmd == "QUIT":
            say("221 bye"); break
        else:
            say("250 ok")
    c.close()
while True:
    c, _ = srv.accept()
    try:
        handle(c)
    except Exception:
        pass
PY
bg smtp python3 smtp.py "$PORT"
cat >"$RULES" <<R
set smtp smtp://127.0.0.1:$PORT
set smtp-from alerts@example.com
set smtp-user alerts@example.com
set smtp-cacert $TMP/cert.pem
up  t:BTC-USD  price crosses above 100  notify mail:me@example.com
R
export TS_ALERT_SMTP_PASSWORD=s3cret
T='"ex":"t","sym":"BTC-USD","qty":1,"side":"buy"'

start_supervisor
test_expect_success 'an alert is mailed over STARTTLS with the password from the environment' '
	wait_for "python3 -c \"import socket; socket.create_connection((\\\"127.0.0.1\\\", $PORT))\"" &&
	start_alert &&
	printf "%s\n" "{$T,\"id\":\"1\",\"px\":99,\"ts\":1000000}" "{$T,\"id\":\"2\",\"px\":101,\"ts\":2000000}" |
	    ts-pub trades/t/BTC-USD &&
	wait_for "test -s mail.1" &&
	sed -n "1,3p" mail.1 >actual &&
	printf "%s\n" "auth ok" "MAIL FROM:<alerts@example.com>" "RCPT TO:<me@example.com>" >expect &&
	test_cmp expect actual &&
	grep -q "^Subject: \[ts-alert\] up: t:BTC-USD price crosses above 100 (value 101) at 1970-01-01T00:00:02.000000Z" mail.1 &&
	grep -q "^{\"rule\":\"up\"" mail.1 &&
	grep -q "delivered alert .up. to mail:me@example.com" alert.err &&
	! grep -q s3cret alert.err
'
test_done
