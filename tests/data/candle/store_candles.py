#!/usr/bin/env python3
"""store_candles.py EX SYM FROM TO: closed one-minute candles of
klines_server.py's model for the minutes [FROM, TO) (unix seconds, aligned),
as bus candle JSON lines for `ts-store import`. Every trade count is the
model's plus 1000, so a test can tell a candle that came from the store from
one that came from REST (which serves the model's own counts)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from klines_server import aggregate, prev_close  # noqa: E402


def main():
    ex, sym, start, end = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    for t in range(start, end, 60):
        a = aggregate(t, 60, t + 60)
        if a is None:
            pc = prev_close(t // 60)
            a = {"o": pc, "h": pc, "l": pc, "c": pc, "v": 0, "bv": 0, "n": 0}
        c = {"ex": ex, "sym": sym, "tf": "1m", "t": t * 1000000}
        for k in ("o", "h", "l", "c", "v", "bv"):
            c[k] = "@%s@" % a[k]
        c["n"] = a["n"] + 1000
        c["closed"] = True
        line = json.dumps(c, separators=(",", ":"))
        # numbers with the model's own digits, never through a float
        print(line.replace('"@', "").replace('@"', ""))


if __name__ == "__main__":
    main()
