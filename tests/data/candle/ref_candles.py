#!/usr/bin/env python3
"""ref_candles.py: an independent reference for ts-candle's aggregation.

    ref_candles.py gen SEED COUNT        trade JSON lines over a day or two, with
                                         gaps, bursts and out-of-order ones
    ref_candles.py expect TF,... <TRADES the candles ts-candle --stdin must
                                         write, normalised and sorted
    ref_candles.py norm <CANDLES         ts-candle's output, normalised, sorted

Rules (ts-candle(1)): candles aligned to UTC (weeks from Monday); a trade
before the open candle is late and dropped; the first trade of a later
interval closes the open candle, and each empty interval between becomes a
flat candle at the previous close; the open is the earliest trade of the
interval, the close the latest (ties: the later in the input); at the end
the open candles are written with closed false. Decimals only, never floats.
"""
import json
import random
import sys
from decimal import Decimal

TF = {"1s": 1, "5s": 5, "15s": 15, "1m": 60, "3m": 180, "5m": 300, "15m": 900,
      "30m": 1800, "1h": 3600, "2h": 7200, "4h": 14400, "6h": 21600,
      "12h": 43200, "1d": 86400, "1w": 604800}
US = 1000000


def align(t, g):
    origin = 4 * 86400 * US if g == 604800 * US else 0
    return t - (t - origin) % g


def gen(seed, count):
    rnd = random.Random(seed)
    t = 1704067200 * US - 6 * 3600 * US + 12345  # a Sunday evening
    px = 4200000  # cents
    out = []
    for i in range(count):
        r = rnd.random()
        if r < 0.002:
            t += rnd.randint(1, 6 * 3600) * US  # a long quiet spell
        elif r < 0.05:
            t += rnd.randint(1, 600) * US
        else:
            t += rnd.randint(0, 3 * US)
        ts = t
        if rnd.random() < 0.03:
            ts = t - rnd.randint(1, 20 * US)  # arrives out of order
        px = max(100, px + rnd.randint(-500, 500))
        scale = rnd.choice([2, 2, 2, 3])
        pxs = str(Decimal(px).scaleb(-2).quantize(Decimal(1).scaleb(-scale)))
        qty = str(Decimal(rnd.randint(1, 5000000)).scaleb(-8))
        out.append({"ex": "binance", "sym": "BTC-USDT", "id": str(i + 1),
                    "px": pxs, "qty": qty, "side": rnd.choice(["buy", "sell"]),
                    "ts": ts, "rt": ts, "seq": i + 1})
    for o in out:
        # px and qty as JSON numbers with their exact digits
        s = json.dumps(o, separators=(",", ":"))
        s = s.replace('"px":"%s"' % o["px"], '"px":%s' % o["px"])
        s = s.replace('"qty":"%s"' % o["qty"], '"qty":%s' % o["qty"])
        print(s)


def row(tf, t, o, h, l, c, v, bv, n, closed):
    return json.dumps([tf, t, str(o.normalize()), str(h.normalize()), str(l.normalize()),
                       str(c.normalize()), str(v.normalize()), str(bv.normalize()), n, closed])


def expect(tfs):
    trades = [json.loads(l, parse_float=Decimal, parse_int=Decimal) for l in sys.stdin if l.strip()]
    rows = []
    for tf in tfs:
        g = TF[tf] * US
        cur = None
        for tr in trades:
            ts, px, qty = int(tr["ts"]), Decimal(tr["px"]), Decimal(tr["qty"])
            start = align(ts, g)
            if cur and start < cur["t"]:
                continue  # late
            if cur and start > cur["t"]:
                rows.append(row(tf, cur["t"], cur["o"], cur["h"], cur["l"], cur["c"],
                                cur["v"], cur["bv"], cur["n"], True))
                t = cur["t"] + g
                while t < start:
                    c = cur["c"]
                    rows.append(row(tf, t, c, c, c, c, Decimal(0), Decimal(0), 0, True))
                    t += g
                cur = None
            if cur is None:
                cur = {"t": start, "o": px, "h": px, "l": px, "c": px, "v": Decimal(0),
                       "bv": Decimal(0), "n": 0, "first": ts, "last": ts}
            cur["h"] = max(cur["h"], px)
            cur["l"] = min(cur["l"], px)
            if ts >= cur["last"]:
                cur["c"], cur["last"] = px, ts
            if ts < cur["first"]:
                cur["o"], cur["first"] = px, ts
            cur["v"] += qty
            if tr["side"] == "buy":
                cur["bv"] += qty
            cur["n"] += 1
        if cur:
            rows.append(row(tf, cur["t"], cur["o"], cur["h"], cur["l"], cur["c"],
                            cur["v"], cur["bv"], cur["n"], False))
    for r in sorted(rows):
        print(r)


def norm():
    rows = []
    for line in sys.stdin:
        line = line.rstrip("\n")
        if "\t" in line:
            line = line.split("\t", 1)[1]
        c = json.loads(line, parse_float=Decimal, parse_int=Decimal)
        rows.append(row(c["tf"], int(c["t"]), Decimal(c["o"]), Decimal(c["h"]), Decimal(c["l"]),
                        Decimal(c["c"]), Decimal(c["v"]), Decimal(c["bv"]), int(c["n"]),
                        c["closed"]))
    for r in sorted(rows):
        print(r)


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1] == "expect":
        expect(sys.argv[2].split(","))
    else:
        norm()
