#!/bin/sh
# bench/gui/screenshots.sh: the screenshots in docs/, from the demo market
# (ts-supervisor --demo: ts-sim, ts-feed, ts-candle), headless.
#
#   sh bench/gui/screenshots.sh      writes docs/ts-gui.png
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TS_BIN:-$top/bin}
TMP=$(mktemp -d /tmp/ts-shots-gui.XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$TMP"; }
trap cleanup EXIT
cd "$TMP"
export TS_BUS="$TMP/bus" XDG_CONFIG_HOME="$TMP/config" XDG_RUNTIME_DIR="$TMP/run"
mkdir -p run
PATH="$BIN:$PATH"
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>xvfb.display >/dev/null 2>&1 &
PIDS="$PIDS $!"
while [ ! -s xvfb.display ]; do sleep 0.05; done
export DISPLAY=":$(cat xvfb.display)" GTK_A11Y=none GSK_RENDERER=cairo
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ts-supervisor --demo --demo-port "$port" --ready-fd 3 3>sup.ready 2>sup.err &
PIDS="$PIDS $!"
while [ ! -s sup.ready ]; do sleep 0.05; done
ts-gui --no-save --size 1280x800 --screenshot shot.png --after 12 2>gui.err
# RGB at zlib level 9: about a third smaller than GDK's RGBA
python3 - shot.png "$top/docs/ts-gui.png" "$top/tests/e2e/t0700-gen.py" <<'PY'
import importlib.util, struct, sys, zlib
spec = importlib.util.spec_from_file_location("gen", sys.argv[3])
gen = importlib.util.module_from_spec(spec); spec.loader.exec_module(gen)
w, h, bpp, rows = gen.png_rgb(sys.argv[1])
raw = b"".join(b"\x00" + bytes(b for i in range(0, len(r), bpp) for b in r[i:i + 3]) for r in rows)
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
open(sys.argv[2], "wb").write(png)
print(sys.argv[2], w, "x", h, len(png), "bytes")
PY
