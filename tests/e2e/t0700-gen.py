#!/usr/bin/env python3
# t0700-gen.py: scripted market data for ts-gui's tests and benchmark (not a test itself).
#
#   t0700-gen.py history EX SYM TF N [START_PRICE]  one {"type":"history"} batch of N candles
#   t0700-gen.py book EX SYM MID                    one book snapshot around MID
#   t0700-gen.py trades EX SYM N PX [LARGE_EVERY]   N trades (every LARGE_EVERY-th is 5 BTC)
#   t0700-gen.py stream EX SYM BOOK_PER_S TRADES_PER_S SECONDS   TOPIC<tab>JSON lines
#   t0700-gen.py pixels PNG X Y W H [X Y W H]...     count green/red/other pixels, a line each
#
# Candles follow a fixed pattern so pixel tests know the colours: candle i is
# green (close > open) when i % 3 != 2 and red otherwise; the last one is green.
import json, math, sys, time

TF = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "4h": 14400, "1d": 86400}


def history(ex, sym, tf, n, start=65000.0):
    step = TF[tf]
    now = int(time.time()) // step * step
    t0 = now - (n - 1) * step
    px = start
    out = []
    for i in range(n):
        up = i % 3 != 2 or i == n - 1
        o = px
        c = o + 40 if up else o - 30
        h = max(o, c) + 15
        l = min(o, c) - 15
        v = 10 + (i % 7) * 3
        out.append({"ex": ex, "sym": sym, "tf": tf, "t": (t0 + i * step) * 1000000,
                    "o": round(o, 2), "h": round(h, 2), "l": round(l, 2), "c": round(c, 2),
                    "v": v, "bv": v / 2, "n": 20 + i % 5, "closed": i < n - 1})
        px = c
    return {"type": "history", "candles": out}


def book(ex, sym, mid, levels=60):
    bids = [[round(mid - 0.5 - i * 0.5, 2), round(0.2 + (i % 9) * 0.15, 4)] for i in range(levels)]
    asks = [[round(mid + 0.5 + i * 0.5, 2), round(0.2 + ((i + 4) % 9) * 0.15, 4)] for i in range(levels)]
    return {"ex": ex, "sym": sym, "type": "snapshot", "bids": bids, "asks": asks,
            "ts": int(time.time() * 1e6), "rt": int(time.time() * 1e6)}


def trades(ex, sym, n, px, large_every=0):
    now = int(time.time() * 1e6)
    for i in range(n):
        q = 5.0 if large_every and i % large_every == large_every - 1 else round(0.01 + (i % 10) * 0.02, 4)
        yield {"ex": ex, "sym": sym, "id": str(1000 + i), "px": round(px + (i % 5) * 0.5, 2),
               "qty": q, "side": "buy" if i % 2 == 0 else "sell", "ts": now + i, "rt": now + i}


def stream(ex, sym, book_rate, trade_rate, seconds):
    """Book deltas and trades interleaved at the given rates (paced by ts-pub -r)."""
    mid = 65000.0
    btopic, ttopic = f"book/{ex}/{sym}", f"trades/{ex}/{sym}"
    total = int((book_rate + trade_rate) * seconds)
    every = max(1, round((book_rate + trade_rate) / max(1, trade_rate)))
    out = sys.stdout
    out.write(btopic + "\t" + json.dumps(book(ex, sym, mid, 200)) + "\n")
    tid = 0
    for i in range(total):
        if i % every == 0:
            tid += 1
            now = int(time.time() * 1e6)
            t = {"ex": ex, "sym": sym, "id": str(tid), "px": round(mid + (i % 7) * 0.5, 2),
                 "qty": round(0.001 + (i % 13) * 0.01, 4), "side": "buy" if i % 2 else "sell",
                 "ts": now, "rt": now}
            out.write(ttopic + "\t" + json.dumps(t, separators=(",", ":")) + "\n")
        else:
            k = i % 150
            side = "bids" if i % 2 else "asks"
            px = mid - 0.5 - k * 0.5 if side == "bids" else mid + 0.5 + k * 0.5
            q = 0 if i % 11 == 0 else round(0.1 + (i % 17) * 0.07, 4)
            d = {"ex": ex, "sym": sym, "type": "delta", "bids": [], "asks": []}
            d[side] = [[round(px, 2), q]]
            out.write(btopic + "\t" + json.dumps(d, separators=(",", ":")) + "\n")


def main(a):
    if a[0] == "history":
        start = float(a[5]) if len(a) > 5 else 65000.0
        print(json.dumps(history(a[1], a[2], a[3], int(a[4]), start), separators=(",", ":")))
    elif a[0] == "book":
        print(json.dumps(book(a[1], a[2], float(a[3])), separators=(",", ":")))
    elif a[0] == "trades":
        for t in trades(a[1], a[2], int(a[3]), float(a[4]), int(a[5]) if len(a) > 5 else 0):
            print(json.dumps(t, separators=(",", ":")))
    elif a[0] == "stream":
        stream(a[1], a[2], int(a[3]), int(a[4]), float(a[5]))
    elif a[0] == "pixels":
        # PNG X Y W H [X Y W H]...: one line per rectangle
        img = png_rgb(a[1])
        for i in range(2, len(a) - 3, 4):
            n = pixels(img, *map(int, a[i:i + 4]))
            print("green=%d red=%d other=%d" % (n["green"], n["red"], n["other"]))
    else:
        sys.exit("unknown mode " + a[0])



def png_rgb(path):
    """Decode an 8-bit RGB or RGBA, non-interlaced PNG (what GDK writes) with zlib."""
    import struct, zlib
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and not interlace, "unsupported PNG"
            bpp = 4 if ctype == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def colour(px):
    r, g, b = px
    if g - r > 30 and g > 60:
        return "green"
    if r - g > 30 and r > 60:
        return "red"
    return "other"


def pixels(img, x, y, w, h):
    """Count green, red and other pixels in a rectangle of a decoded PNG."""
    W, H, bpp, rows = img
    n = {"green": 0, "red": 0, "other": 0}
    for yy in range(max(0, y), min(H, y + h)):
        row = rows[yy]
        for xx in range(max(0, x), min(W, x + w)):
            n[colour(row[xx * bpp:xx * bpp + 3])] += 1
    return n


if __name__ == "__main__":
    main(sys.argv[1:])
