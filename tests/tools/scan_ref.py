#!/usr/bin/env python3
"""scan_ref.py: ts-scan's metrics recomputed naively, for the end-to-end tests.

    scan_ref.py [--last K] [--all] MARKET TF FILE...

reads candle JSON lines (what ts-cat or ts-candle --stdin print: candle
objects and history batches, plain or TOPIC<tab>JSON) from the FILEs, keeps
the closed candles of MARKET (EXCHANGE/SYMBOL) at TF, one per open time, and
prints for each of the last K (default 5) a JSON line {"t", METRIC: value}
with the metrics of scan.h computed from scratch in decimal arithmetic by
ind_ref.py's functions. BTC_rel_zscore uses the BTC market of the same
exchange and quote from the same files. Start-dependent metrics (VWAPgap
anchored at the first candle, VWAPgap_daily) are left out unless --all:
two subscribers of a live topic see different first candles.
"""
import json
import os
import sys
from decimal import Decimal as D

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ind_ref  # noqa: E402


def read(files):
    series = {}
    for f in files:
        for line in open(f):
            line = line.rstrip("\n")
            if not line:
                continue
            if "\t" in line:
                line = line.split("\t", 1)[1]
            obj = json.loads(line, parse_float=D, parse_int=D)
            cands = obj.get("candles", [obj]) if obj.get("type") == "history" else [obj]
            for c in cands:
                if c.get("closed") is False:
                    continue
                key = (c["ex"], c["sym"], c["tf"])
                series.setdefault(key, {})[int(c["t"])] = (int(c["t"]), D(c["o"]), D(c["h"]), D(c["l"]), D(c["c"]), D(c["v"]))
    return {k: [v[t] for t in sorted(v)] for k, v in series.items()}


def btc_of(sym):
    base, rest = sym.split("-", 1)
    return None if base == "BTC" else "BTC-" + rest


def main():
    args = sys.argv[1:]
    last, full = 5, False
    while args and args[0].startswith("--"):
        if args[0] == "--last":
            last = int(args[1]); args = args[2:]
        elif args[0] == "--all":
            full = True; args = args[1:]
        else:
            sys.exit("unknown option " + args[0])
    market, tf, files = args[0], args[1], args[2:]
    ex, sym = market.split("/")
    data = read(files)
    b = data.get((ex, sym, tf), [])
    btcsym = btc_of(sym)
    btc = {x[0]: x[4] for x in data.get((ex, btcsym, tf), [])} if btcsym else {}
    c = [x[4] for x in b]
    v = [x[5] for x in b]
    rsi, atr, adx = ind_ref.rsi(c, 14), ind_ref.atr(b, 14), ind_ref.adx(b, 14)
    e12, e26 = ind_ref.ema(c, 12), ind_ref.ema(c, 26)
    line = [None if e26[i] is None else e12[i] - e26[i] for i in range(len(b))]
    sig = ind_ref.ema_of(line, 9)
    ratio_t, ratio = [], []
    for x in b:
        if x[0] in btc and btc[x[0]] > 0:
            ratio_t.append(x[0]); ratio.append(x[4] / btc[x[0]])

    def z(x, m, s):
        return None if m is None or s is None or s == 0 else (x - m) / s

    for i in range(max(0, len(b) - last), len(b)):
        m = {"t": b[i][0]}
        m["RSI"] = rsi[i]
        m["zscore"] = z(c[i], ind_ref.sma(c, 50, i), ind_ref.std(c, 50, i))
        s20, d20 = ind_ref.sma(c, 20, i), ind_ref.std(c, 20, i)
        if s20 is not None:
            up, lo = s20 + 2 * d20, s20 - 2 * d20
            m["%B"] = (c[i] - lo) / (up - lo) if up > lo else None
            m["BBW"] = (up - lo) / s20 if s20 != 0 else None
        else:
            m["%B"] = m["BBW"] = None
        m["ATRstretch"] = None if s20 is None or atr[i] is None or atr[i] == 0 else abs(c[i] - s20) / atr[i]
        vm, vs = ind_ref.sma(v, 20, i), ind_ref.std(v, 20, i)
        m["VolumeZScore"] = z(v[i], vm, vs)
        m["RVOL"] = None if vm is None or vm == 0 else v[i] / vm
        m["ADX14"] = adx[i]
        m["MACD"], m["MACD_signal"] = line[i], sig[i]
        m["MACD_hist"] = None if sig[i] is None else line[i] - sig[i]
        if b[i][0] in btc:
            k = ratio_t.index(b[i][0])
            m["BTC_rel_zscore"] = z(ratio[k], ind_ref.sma(ratio, 50, k), ind_ref.std(ratio, 50, k))
        else:
            m["BTC_rel_zscore"] = None
        if full:
            pv = sum(x[4] * x[5] for x in b[:i + 1]); sv = sum(x[5] for x in b[:i + 1])
            m["VWAPgap"] = None if sv == 0 else (c[i] - pv / sv) / (pv / sv)
            day = b[i][0] // (86400 * 10**6) * (86400 * 10**6)
            w = [x for x in b[:i + 1] if x[0] >= day]
            sv = sum(x[5] for x in w)
            m["VWAPgap_daily"] = None if sv == 0 else (c[i] - sum(x[4] * x[5] for x in w) / sv) / (sum(x[4] * x[5] for x in w) / sv)
        print(json.dumps({k: (None if x is None else (x if k == "t" else float(x))) for k, x in m.items()}))


main()
