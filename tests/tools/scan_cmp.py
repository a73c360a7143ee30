#!/usr/bin/env python3
"""scan_cmp.py REF GOT: every metric of each line of REF (scan_ref.py's output)
equals, to 1e-9 relative (absolute near 0: 1e-9 of the metric's scale), the
one of the line of GOT (scan messages, or run --json's markets) with the same
"t"; null where REF has none. Prints what differs; exit 1 then, or when no
line of REF found its t in GOT."""
import json
import sys

SCALE = {"RSI": 100, "ADX14": 100, "%B": 1, "zscore": 1, "BTC_rel_zscore": 1,
         "VolumeZScore": 1, "RVOL": 1, "ATRstretch": 1}


def lines(path):
    out = []
    for line in open(path):
        line = line.strip()
        if "\t" in line:
            line = line.split("\t", 1)[1]
        if line:
            o = json.loads(line)
            out += o["markets"] if "markets" in o else [o]
    return out


ref = lines(sys.argv[1])
got = {}
for o in lines(sys.argv[2]):
    got[o["t"]] = o.get("metrics", o)
bad = matched = 0
for r in ref:
    g = got.get(r["t"])
    if g is None:
        continue
    matched += 1
    for k, want in r.items():
        if k == "t":
            continue
        have = g.get(k)
        if want is None or have is None:
            ok = want is None and have is None
        else:
            scale = max(abs(want), 1e-12 * SCALE.get(k, 1))
            ok = abs(have - want) <= 1e-9 * scale
        if not ok:
            bad += 1
            print("t=%d %s: got %r, want %r" % (r["t"], k, have, want))
print("# %d of %d reference lines compared, %d values differ" % (matched, len(ref), bad))
sys.exit(1 if bad or not matched else 0)
