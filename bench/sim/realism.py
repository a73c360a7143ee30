#!/usr/bin/env python3
"""bench/sim/realism.py: how a market-data stream looks (levels per book
update, bytes, deletes, distance from the top, trades per message, snapshot
depth), for a cryptofeed recording or a ts-sim capture in the same format.

usage: realism.py [--label NAME] [--md] FILE...

FILE is JSON lines, optionally zstd-compressed (.zst): the recordings'
format, {"t":"http","url":…,"data":TEXT} for REST answers and
{"t":"recv","data":TEXT} for websocket messages (bench/sim/capture.sh writes
ts-sim's stream in it). Binance (depthUpdate, trade, aggTrade; exchangeInfo
and depth snapshots) and Coinbase Advanced Trade (l2_data, market_trades;
products) are understood; other messages are counted and skipped.

The distance of an updated level from the top is measured in ticks from the
best price of its own side in the book as it stood before the message (a
level inside the spread counts as 0). The book is rebuilt from the depth
snapshot (Binance: updates with u > lastUpdateId) or the l2_data snapshot.
"""
import json
import subprocess
import sys
from decimal import Decimal as D


def lines(path):
    if path.endswith(".zst"):
        out = subprocess.run(["zstd", "-dc", path], check=True, stdout=subprocess.PIPE).stdout
        text = out.decode()
    else:
        with open(path) as f:
            text = f.read()
    for ln in text.splitlines():
        if ln.strip():
            yield ln


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * (len(xs) - 1)))))
    return xs[k]


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


class Book:
    def __init__(self):
        self.side = [{}, {}]  # [0] bids, [1] asks: price -> qty

    def best(self, side):
        s = self.side[side]
        if not s:
            return None
        return max(s) if side == 0 else min(s)

    def set(self, side, px, qty):
        if qty == 0:
            self.side[side].pop(px, None)
        else:
            self.side[side][px] = qty


class Stats:
    def __init__(self, ex):
        self.ex = ex
        self.book_levels = []   # levels per book update message
        self.book_bytes = []
        self.book_deletes = 0   # level changes with quantity 0
        self.book_msgs_del = 0  # messages with at least one
        self.dist = []          # ticks from the top of its side
        self.known = 0          # level changes applied to a known book
        self.inserts = 0        # of which new levels
        self.spread = []        # ticks between the best bid and ask
        self.bursts = []        # trades per taker order (Binance: same T and m)
        self.burst_key = None
        self.trade_msgs = []    # trades per trade message
        self.trade_bytes = []
        self.snap = []          # (symbol, bids, asks)
        self.skipped = 0
        self.tick = {}          # native symbol -> Decimal
        self.books = {}
        self.last_uid = {}

    def distance(self, sym, side, px):
        t = self.tick.get(sym)
        b = self.books.get(sym)
        if not t or b is None:
            return
        best = b.best(side)
        if best is None:
            return
        d = (best - px) / t if side == 0 else (px - best) / t
        self.dist.append(max(0, int(d)))

    def book_msg(self, sym, levels, nbytes):
        """levels: [(side, D px, D qty)] in message order"""
        self.book_levels.append(len(levels))
        self.book_bytes.append(nbytes)
        dels = sum(1 for _, _, q in levels if q == 0)
        self.book_deletes += dels
        self.book_msgs_del += dels > 0
        b = self.books.get(sym)
        for side, px, q in levels:
            self.distance(sym, side, px)
        if b is not None:
            t = self.tick.get(sym)
            if t and b.best(0) is not None and b.best(1) is not None:
                self.spread.append(int((b.best(1) - b.best(0)) / t))
            for side, px, q in levels:
                self.known += 1
                self.inserts += q != 0 and px not in b.side[side]
                b.set(side, px, q)

    def snapshot(self, sym, bids, asks):
        b = Book()
        for px, q in bids:
            b.set(0, D(px), D(q))
        for px, q in asks:
            b.set(1, D(px), D(q))
        self.books[sym] = b
        self.snap.append((sym, len(bids), len(asks)))


def binance(st, rec, text, msg):
    if rec.get("t") == "http":
        url = rec.get("url", "")
        if "exchangeInfo" in url:
            for s in msg.get("symbols", []):
                for f in s.get("filters", []):
                    if f.get("filterType") == "PRICE_FILTER":
                        st.tick[s["symbol"]] = D(f["tickSize"])
        elif "/depth" in url:
            sym = url.split("symbol=")[1].split("&")[0]
            st.snapshot(sym, msg["bids"], msg["asks"])
            st.last_uid[sym] = msg["lastUpdateId"]
        return
    d = msg.get("data", msg)
    e = d.get("e") if isinstance(d, dict) else None
    if e == "depthUpdate":
        sym = d["s"]
        levels = [(0, D(p), D(q)) for p, q in d["b"]] + [(1, D(p), D(q)) for p, q in d["a"]]
        if sym in st.last_uid and d["u"] <= st.last_uid[sym]:
            # older than the snapshot: counted, but the book is not touched
            st.book_levels.append(len(levels))
            st.book_bytes.append(len(text))
            dels = sum(1 for _, _, q in levels if q == 0)
            st.book_deletes += dels
            st.book_msgs_del += dels > 0
            return
        st.book_msg(sym, levels, len(text))
    elif e == "trade":
        st.trade_msgs.append(1)
        st.trade_bytes.append(len(text))
        key = (d["s"], d["T"], d["m"])
        if key == st.burst_key:
            st.bursts[-1] += 1
        else:
            st.bursts.append(1)
        st.burst_key = key
    elif e == "aggTrade":
        # one message for the trades of one taker order at one price
        st.trade_msgs.append(d["l"] - d["f"] + 1)
        st.trade_bytes.append(len(text))
    else:
        st.skipped += 1


def coinbase(st, rec, text, msg):
    if rec.get("t") == "http":
        for p in msg.get("products", []):
            st.tick[p["product_id"]] = D(p["price_increment"])
        return
    ch = msg.get("channel")
    if ch == "l2_data":
        for e in msg.get("events", []):
            sym = e["product_id"]
            if e["type"] == "snapshot":
                bids = [(u["price_level"], u["new_quantity"]) for u in e["updates"] if u["side"] == "bid"]
                asks = [(u["price_level"], u["new_quantity"]) for u in e["updates"] if u["side"] != "bid"]
                st.snapshot(sym, bids, asks)
            else:
                levels = [(0 if u["side"] == "bid" else 1, D(u["price_level"]), D(u["new_quantity"]))
                          for u in e["updates"]]
                st.book_msg(sym, levels, len(text))
    elif ch == "market_trades":
        for e in msg.get("events", []):
            if e.get("type") == "update":
                st.trade_msgs.append(len(e.get("trades", [])))
                st.bursts.append(len(e.get("trades", [])))
                st.trade_bytes.append(len(text))
    else:
        st.skipped += 1


def analyse(path):
    st = None
    for ln in lines(path):
        rec = json.loads(ln)
        t = rec.get("t")
        if t == "header":
            st = Stats(rec["exchange"].lower())
            continue
        if t not in ("http", "recv"):
            continue
        text = rec.get("data")
        if not isinstance(text, str):
            continue
        if st is None:
            sys.exit("%s: no header record" % path)
        try:
            msg = json.loads(text)
        except ValueError:
            st.skipped += 1
            continue
        if st.ex == "binance":
            binance(st, rec, text, msg)
        elif st.ex == "coinbase":
            coinbase(st, rec, text, msg)
        else:
            sys.exit("%s: exchange '%s' not understood" % (path, st.ex))
    return st


def fmt(v, nd=1):
    return ("%." + str(nd) + "f") % v if v == v else "-"


def row(label, st):
    lv, by, tr = st.book_levels, st.book_bytes, st.trade_msgs
    nlv = sum(lv)
    snaps = ", ".join("%s %d/%d" % s for s in st.snap) or "-"
    return [
        label, st.ex, str(len(lv)),
        "%s / %d / %d / %d" % (fmt(mean(lv), 2), pct(lv, 50), pct(lv, 90), max(lv)) if lv else "-",
        fmt(mean(by), 0),
        "%s%% / %s%%" % (fmt(100.0 * st.book_deletes / nlv if nlv else float("nan")),
                         fmt(100.0 * st.book_msgs_del / len(lv) if lv else float("nan"))),
        "%s%%" % fmt(100.0 * st.inserts / st.known if st.known else float("nan")),
        "%s / %s / %s" % (fmt(pct(st.dist, 50), 0), fmt(pct(st.dist, 90), 0), fmt(mean(st.dist))),
        "%s / %s" % (fmt(pct(st.spread, 50), 0), fmt(pct(st.spread, 90), 0)),
        str(len(tr)),
        "%s / %s / %s" % (fmt(mean(tr), 2), fmt(pct(tr, 90), 0), fmt(max(tr), 0) if tr else "-"),
        "%s / %s%%" % (fmt(mean(st.bursts), 2),
                       fmt(100.0 * sum(1 for x in st.bursts if x > 1) / len(st.bursts)))
        if st.bursts else "-",
        fmt(mean(st.trade_bytes), 0),
        fmt(len(lv) / len(tr), 1) if tr else "-",
        snaps,
    ]


HEAD = ["source", "exchange", "book msgs", "levels/msg mean / p50 / p90 / max",
        "bytes/book msg", "deletes: of levels / of msgs", "new levels: of levels",
        "ticks from top p50 / p90 / mean", "spread ticks p50 / p90",
        "trade msgs", "trades/msg mean / p90 / max", "trades/taker order mean / share >1", "bytes/trade msg", "book msgs per trade msg",
        "snapshot levels SYM bids/asks"]


def main(argv):
    label, md, files = None, False, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--label":
            i += 1
            label = argv[i]
        elif a == "--md":
            md = True
        elif a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        elif a.startswith("-"):
            sys.stderr.write("realism.py: unknown option '%s'\n" % a)
            return 100
        else:
            files.append(a)
        i += 1
    if not files:
        sys.stderr.write(__doc__.strip().split("\n\n")[1] + "\n")
        return 100
    rows = [row(label or f.rsplit("/", 1)[-1], analyse(f)) for f in files]
    if md:
        print("| " + " | ".join(HEAD) + " |")
        print("|" + "---|" * len(HEAD))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        for r in rows:
            for h, v in zip(HEAD, r):
                print("%-36s %s" % (h, v))
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
