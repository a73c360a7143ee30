#!/usr/bin/env python3
# t1000-slowws.py PORT PATH GO_FILE: a websocket client that stops reading.
# It connects with a 4 KiB receive buffer, reads the handshake and then
# nothing until GO_FILE exists; then it reads to the end and prints
# "frames N close CODE" (CODE 0: the connection ended without a close frame).
import base64, os, socket, struct, sys, time

port, path, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(1)
    if not d:
        sys.exit("no handshake")
    buf += d
print("connected", flush=True)
while not os.path.exists(go):
    time.sleep(0.05)
s.settimeout(30)
buf, frames, code = b"", 0, 0
while True:
    try:
        d = s.recv(65536)
    except (ConnectionResetError, socket.timeout):
        break
    if not d:
        break
    buf += d
    while len(buf) >= 2:
        n, h = buf[1] & 0x7F, 2
        if n == 126:
            if len(buf) < 4: break
            n, h = struct.unpack(">H", buf[2:4])[0], 4
        elif n == 127:
            if len(buf) < 10: break
            n, h = struct.unpack(">Q", buf[2:10])[0], 10
        if len(buf) < h + n:
            break
        op, payload, buf = buf[0] & 0x0F, buf[h:h + n], buf[h + n:]
        if op == 8:
            code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
        else:
            frames += 1
print(f"frames {frames} close {code}", flush=True)
