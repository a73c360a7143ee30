#!/usr/bin/env python3
"""ind_ref.py: reference values for libcommon/ind.h, computed naively.

Every value is recomputed from the whole series up to its bar in 40-digit
decimal arithmetic (no state carried between bars except what a recursive
definition, Wilder's smoothing or an EMA, is made of), so it shares no code
and no rounding with ind.c. Writes the fixture tests/data/ind/ref.txt that
tests/unit/test_ind.c reads:

    python3 tests/tools/ind_ref.py > tests/data/ind/ref.txt
"""
from decimal import Decimal as D, getcontext

getcontext().prec = 40
HOUR = 3600 * 10**6
DAY = 24 * HOUR


def series():
    """300 hourly candles: a random walk up, 30 flat candles (a gap), then
    a walk down and up again; prices with 2 decimals, volumes with 3."""
    seed = 12345
    def rnd():
        nonlocal seed
        seed = (seed * 1103515245 + 12345) % 2**31
        return seed / 2**31
    t0 = 1767297600 * 10**6  # 2026-01-01T20:00:00Z: days change at bar 4
    out, c = [], 65000.0
    for i in range(300):
        t = t0 + i * HOUR
        if 120 <= i < 150:
            p = D(f"{c:.2f}")
            out.append((t, p, p, p, p, D(0)))
            continue
        drift = 40 if i < 120 else (-55 if i < 220 else 30)
        o = c
        c = o + drift + (rnd() - 0.5) * 600
        h = max(o, c) + rnd() * 150
        l = min(o, c) - rnd() * 150
        v = 5 + rnd() * 20 + (40 if i % 37 == 0 else 0)
        out.append((t, D(f"{o:.2f}"), D(f"{h:.2f}"), D(f"{l:.2f}"),
                    D(f"{c:.2f}"), D(f"{v:.3f}")))
        c = float(D(f"{c:.2f}"))
    return out


def sma(xs, n, i):
    if i + 1 < n:
        return None
    return sum(xs[i + 1 - n:i + 1]) / n


def std(xs, n, i):
    if i + 1 < n:
        return None
    w = xs[i + 1 - n:i + 1]
    m = sum(w) / n
    return (sum((x - m) ** 2 for x in w) / (n - 1)).sqrt()


def ema(xs, n):
    a = D(2) / (n + 1)
    out = [None] * len(xs)
    for i in range(n - 1, len(xs)):
        out[i] = sum(xs[:n]) / n if i == n - 1 else out[i - 1] + a * (xs[i] - out[i - 1])
    return out


def ema_of(vals, n):
    """EMA over a list that may start with None (warm-up of its input)."""
    k = next((i for i, v in enumerate(vals) if v is not None), len(vals))
    tail = ema(vals[k:], n)
    return [None] * k + tail


def rsi(c, n):
    out = [None] * len(c)
    for i in range(n, len(c)):
        g = [max(c[j] - c[j - 1], D(0)) for j in range(1, i + 1)]
        l = [max(c[j - 1] - c[j], D(0)) for j in range(1, i + 1)]
        ag, al = sum(g[:n]) / n, sum(l[:n]) / n
        for j in range(n, len(g)):
            ag = (ag * (n - 1) + g[j]) / n
            al = (al * (n - 1) + l[j]) / n
        out[i] = D(50) if ag == 0 and al == 0 else D(100) if al == 0 else 100 - 100 / (1 + ag / al)
    return out


def tr(b, j):
    return max(b[j][2] - b[j][3], abs(b[j][2] - b[j - 1][4]), abs(b[j][3] - b[j - 1][4]))


def atr(b, n):
    out = [None] * len(b)
    for i in range(n, len(b)):
        trs = [tr(b, j) for j in range(1, i + 1)]
        a = sum(trs[:n]) / n
        for j in range(n, len(trs)):
            a = (a * (n - 1) + trs[j]) / n
        out[i] = a
    return out


def adx(b, n):
    out = [None] * len(b)
    for i in range(2 * n - 1, len(b)):
        trs, pdm, mdm = [], [], []
        for j in range(1, i + 1):
            up, down = b[j][2] - b[j - 1][2], b[j - 1][3] - b[j][3]
            trs.append(tr(b, j))
            pdm.append(up if up > down and up > 0 else D(0))
            mdm.append(down if down > up and down > 0 else D(0))
        st, sp, sm = sum(trs[:n]), sum(pdm[:n]), sum(mdm[:n])
        dxs = []
        for j in range(n - 1, len(trs)):
            if j >= n:
                st = st - st / n + trs[j]
                sp = sp - sp / n + pdm[j]
                sm = sm - sm / n + mdm[j]
            pdi = 100 * sp / st if st > 0 else D(0)
            mdi = 100 * sm / st if st > 0 else D(0)
            dxs.append(100 * abs(pdi - mdi) / (pdi + mdi) if pdi + mdi > 0 else D(0))
        a = sum(dxs[:n]) / n
        for j in range(n, len(dxs)):
            a = (a * (n - 1) + dxs[j]) / n
        out[i] = a
    return out


def vwap(b, i, anchor):
    w = [x for x in b[:i + 1] if x[0] >= anchor]
    v = sum(x[5] for x in w)
    return sum(x[4] * x[5] for x in w) / v if v > 0 else None


def main():
    b = series()
    c = [x[4] for x in b]
    cols = {}
    cols["sma20"] = [sma(c, 20, i) for i in range(len(b))]
    cols["std20"] = [std(c, 20, i) for i in range(len(b))]
    cols["ema12"] = ema(c, 12)
    cols["rsi14"] = rsi(c, 14)
    cols["atr14"] = atr(b, 14)
    cols["adx14"] = adx(b, 14)
    up, lo, pb, wd = [], [], [], []
    for i in range(len(b)):
        m, s = cols["sma20"][i], cols["std20"][i]
        if m is None:
            up.append(None); lo.append(None); pb.append(None); wd.append(None)
            continue
        u, l = m + 2 * s, m - 2 * s
        up.append(u); lo.append(l)
        pb.append((c[i] - l) / (u - l) if u > l else None)
        wd.append((u - l) / m)
    cols["bb_upper"], cols["bb_lower"], cols["bb_pctb"], cols["bb_width"] = up, lo, pb, wd
    anchor = b[10][0]
    cols["vwap_anchor"] = [None if b[i][0] < anchor else vwap(b, i, anchor) for i in range(len(b))]
    cols["vwap_daily"] = [vwap(b, i, b[i][0] // DAY * DAY) for i in range(len(b))]
    e12, e26 = ema(c, 12), ema(c, 26)
    line = [None if e26[i] is None else e12[i] - e26[i] for i in range(len(b))]
    sig = ema_of(line, 9)
    cols["macd"] = line
    cols["macd_signal"] = sig
    cols["macd_hist"] = [None if sig[i] is None else line[i] - sig[i] for i in range(len(b))]
    names = list(cols)
    print("# generated by tests/tools/ind_ref.py; vwap_anchor anchored at bar 10 (t=%d)" % anchor)
    print(" ".join(["t", "o", "h", "l", "c", "v"] + names))
    for i, x in enumerate(b):
        vals = [str(x[0])] + [str(v) for v in x[1:]]
        vals += ["nan" if cols[k][i] is None else format(cols[k][i], ".20e") for k in names]
        print(" ".join(vals))


if __name__ == "__main__":
    main()
