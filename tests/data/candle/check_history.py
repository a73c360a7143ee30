#!/usr/bin/env python3
"""check_history.py EXCHANGE TF COUNT FILE: check the history batch that
ts-cat wrote to FILE against klines_server.py's model: COUNT candles, one
per interval with no gap or duplicate, every closed one equal to the model
(intervals without trades flat at the previous close), the last one open
and holding the current time. Prints what differs; exit 1 if anything does."""
import json
import os
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from klines_server import aggregate, align  # noqa: E402

TF = {"1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600,
      "2h": 7200, "4h": 14400, "6h": 21600, "12h": 43200, "1d": 86400,
      "1w": 604800}


def main():
    ex, tf, count, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    g = TF[tf]
    bad = []
    hist = None
    for line in open(path):
        msg = json.loads(line, parse_float=Decimal)
        if msg.get("type") == "history":
            hist = msg["candles"]
            break
    if hist is None:
        print("no history batch")
        return 1
    if len(hist) != count:
        bad.append("%d candles, want %d" % (len(hist), count))
    now = int(time.time())
    prev = None
    for i, c in enumerate(hist):
        t = c["t"] // 1000000
        if c["tf"] != tf or c["ex"] != ex:
            bad.append("candle %d: tf/ex %s/%s" % (i, c["tf"], c["ex"]))
        if prev is not None and t != prev["t"] // 1000000 + g:
            bad.append("candle %d at %d follows %d: not the next interval" % (i, t, prev["t"] // 1000000))
        if t != align(t, g):
            bad.append("candle %d at %d not aligned" % (i, t))
        last = i == len(hist) - 1
        if c["closed"] == last:
            bad.append("candle %d: closed is %s" % (i, c["closed"]))
        if last:
            if not (t <= now < t + g + 5):
                bad.append("open candle at %d does not hold now %d" % (t, now))
            break
        a = aggregate(t, g, t + g)
        if a is None:
            pc = prev["c"] if prev else None
            want = {"o": pc, "h": pc, "l": pc, "c": pc, "v": Decimal(0), "bv": Decimal(0), "n": 0}
        else:
            want = dict(a)
            if ex == "coinbase":
                want["bv"] = None
                want["n"] = None
        for k in ("o", "h", "l", "c", "v", "bv", "n"):
            if prev is None and a is None:
                continue
            got = c[k]
            if (got is None) != (want[k] is None) or (got is not None and Decimal(got) != Decimal(want[k])):
                bad.append("candle %d at %d: %s is %s, want %s" % (i, t, k, got, want[k]))
        prev = c
    for b in bad[:20]:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
