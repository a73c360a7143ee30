#!/usr/bin/env python3
"""klines_server.py: a tiny Coinbase + Binance REST candle server for ts-candle tests.

Serves, on 127.0.0.1 only, the two candle endpoints ts-candle calls, from a
deterministic market of one-minute candles (model() below), so a test can
compute what the history must hold. Minutes with m % 11 == 5 have no trades:
Coinbase omits them, Binance sends them flat at the previous close.

    klines_server.py PORTFILE LOGFILE [GATEFILE]

binds a free port, writes it to PORTFILE, and appends each request's path to
LOGFILE. With GATEFILE, Coinbase requests (logged on arrival) are answered
only once GATEFILE exists (at most 120 s later): a REST server as slow as a
test wants; requests are served in threads, so Binance answers meanwhile. Binance interval 1s is refused with Binance's error shape (tests the
error path). Also importable: model(), aggregate().
"""
import json
import os
import sys
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

WEEK_ORIGIN = 4 * 86400  # Monday 1970-01-05


def align(t, g):
    origin = WEEK_ORIGIN if g == 7 * 86400 else 0
    return t - (t - origin) % g


def empty(m):
    return m % 11 == 5


def model(m):
    """One-minute candle m (unix minute): dict of Decimals, or None if empty."""
    if empty(m):
        return None
    o = Decimal(100 + (m * 7) % 13) + Decimal("0.25")
    c = Decimal(100 + ((m + 1) * 7) % 13) + Decimal("0.5")
    k = m % 5 + 1
    return {"o": o, "c": c, "h": max(o, c) + 1, "l": min(o, c) - Decimal("0.75"),
            "v": Decimal("0.001") * k, "bv": Decimal("0.0005") * k, "n": k}


def prev_close(m):
    for back in range(1, 100):
        b = model(m - back)
        if b:
            return b["c"]
    raise ValueError("no close")


def aggregate(t, g, now):
    """The candle of g seconds opening at t, from the minutes up to now."""
    agg = None
    for m in range(t // 60, (t + g) // 60):
        if m * 60 > now:
            break
        b = model(m)
        if not b:
            continue
        if agg is None:
            agg = dict(b)
        else:
            agg["h"] = max(agg["h"], b["h"])
            agg["l"] = min(agg["l"], b["l"])
            agg["c"] = b["c"]
            agg["v"] += b["v"]
            agg["bv"] += b["bv"]
            agg["n"] += b["n"]
    return agg


CB_GRAN = {"ONE_MINUTE": 60, "FIVE_MINUTE": 300, "FIFTEEN_MINUTE": 900,
           "THIRTY_MINUTE": 1800, "ONE_HOUR": 3600, "TWO_HOUR": 7200,
           "SIX_HOUR": 21600, "ONE_DAY": 86400}
BN_INT = {"1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600,
          "2h": 7200, "4h": 14400, "6h": 21600, "8h": 28800, "12h": 43200,
          "1d": 86400, "3d": 259200, "1w": 604800}


class Handler(BaseHTTPRequestHandler):
    log_path = None
    gate_path = None

    def reply(self, status, obj):
        body = json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        with open(self.log_path, "a") as f:
            f.write(self.path + "\n")
        parts = u.path.split("/")
        if self.gate_path and u.path.startswith("/api/v3/brokerage/"):
            deadline = time.time() + 120
            while not os.path.exists(self.gate_path) and time.time() < deadline:
                time.sleep(0.05)
        now = int(time.time())
        if u.path.startswith("/api/v3/brokerage/market/products/") and parts[-1] == "candles":
            g = CB_GRAN.get(q.get("granularity"))
            if not g or parts[-2] != "BTC-USD":
                return self.reply(404, {"error": "NOT_FOUND", "message": "no such product"})
            start, end = int(q["start"]), int(q["end"])
            out = []
            for t in range(align(start, g), end + 1, g):
                if t < start or t > now:
                    continue
                a = aggregate(t, g, now)
                if a:
                    out.append({"start": str(t), "low": str(a["l"]), "high": str(a["h"]),
                                "open": str(a["o"]), "close": str(a["c"]),
                                "volume": str(a["v"])})
            out.reverse()  # newest first, as Coinbase sends them
            return self.reply(200, {"candles": out[:350]})
        if u.path == "/api/v3/klines":
            g = BN_INT.get(q.get("interval"))
            if q.get("symbol") != "BTCUSDT":
                return self.reply(400, {"code": -1121, "msg": "Invalid symbol."})
            if not g:
                return self.reply(400, {"code": -1120, "msg": "Invalid interval."})
            start, end = int(q["startTime"]) // 1000, int(q["endTime"]) // 1000
            limit = min(int(q.get("limit", 500)), 1000)
            out = []
            for t in range(align(start, g), end + 1, g):
                if t < start or t > now or len(out) >= limit:
                    continue
                a = aggregate(t, g, now)
                if not a:
                    pc = prev_close(t // 60)
                    a = {"o": pc, "h": pc, "l": pc, "c": pc, "v": Decimal("0"),
                         "bv": Decimal("0"), "n": 0}
                out.append([t * 1000, str(a["o"]), str(a["h"]), str(a["l"]), str(a["c"]),
                            str(a["v"]), (t + g) * 1000 - 1, "0", a["n"], str(a["bv"]),
                            "0", "0"])
            return self.reply(200, out)
        return self.reply(404, {"error": "NOT_FOUND", "message": "no such path"})

    def log_message(self, *args):
        pass


def main():
    Handler.log_path = sys.argv[2]
    if len(sys.argv) > 3:
        Handler.gate_path = sys.argv[3]
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
