#!/usr/bin/env python3
"""check_seam.py FILE QTY BUYQTY N CLOSE HIGH: ts-cat output of one candle
topic: a history batch, then live candles. The newest live candle must be
the history's open candle (same open time) with the live trades merged in:
its open kept, volume = history volume + QTY, taker-buy volume + BUYQTY and
trade count + N where history knows them (null where it does not), close
CLOSE and high max(history high, HIGH). Exit 1 and say why otherwise."""
import json
import sys
from decimal import Decimal


def main():
    path, qty, bq, n, close, high = sys.argv[1:7]
    lines = [json.loads(l, parse_float=Decimal) for l in open(path) if l.strip()]
    if not lines or lines[0].get("type") != "history" or not lines[0]["candles"]:
        print("no history batch first")
        return 1
    h = lines[0]["candles"][-1]
    live = [c for c in lines[1:] if c.get("t") == h["t"]]
    if not live:
        print("no live candle at the history's open time %d" % h["t"])
        return 1
    c = live[-1]
    want = {"o": Decimal(h["o"]), "v": Decimal(h["v"]) + Decimal(qty),
            "h": max(Decimal(h["h"]), Decimal(high)), "c": Decimal(close),
            "bv": None if h["bv"] is None else Decimal(h["bv"]) + Decimal(bq),
            "n": None if h["n"] is None else h["n"] + int(n), "closed": False}
    bad = 0
    for k, w in want.items():
        g = c[k]
        if isinstance(g, (int, Decimal)) and not isinstance(g, bool):
            g = Decimal(g)
        if g != w:
            print("seam candle %s is %s, want %s (history %s)" % (k, c[k], w, h.get(k)))
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
