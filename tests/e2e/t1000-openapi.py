#!/usr/bin/env python3
# t1000-openapi.py BASE DOC: call every operation of ts-gateway's OpenAPI
# document DOC with sample arguments and check that the status is one the
# document lists and that the body matches the schema it gives for it.
import json, sys, urllib.request, urllib.error

base, doc = sys.argv[1], json.load(open(sys.argv[2]))
sample = {"exchange": "coinbase", "symbol": "BTC-USD", "timeframe": "1m",
          "limit": "2", "depth": "2", "id": "no-such-rule"}
bodies = {"alerts_create": {}, "explain_price_action": {"symbol": "BTC-USD", "timeframe": "1h"}}
bad = []


def resolve(o):
    while isinstance(o, dict) and "$ref" in o:
        r = o["$ref"]
        o = doc
        for k in r.lstrip("#/").split("/"):
            o = o[k]
    return o

def check(v, s, where):
    s = resolve(s)
    if v is None:
        if not s.get("nullable"):
            bad.append(f"{where}: null")
        return
    t = s.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool}
    if t == "integer" and not (isinstance(v, int) and not isinstance(v, bool)):
        bad.append(f"{where}: {v!r} is not an integer")
    elif t == "number" and not isinstance(v, (int, float)):
        bad.append(f"{where}: {v!r} is not a number")
    elif t in types and not isinstance(v, types[t]):
        bad.append(f"{where}: {type(v).__name__} is not {t}")
        return
    if "enum" in s and v not in s["enum"]:
        bad.append(f"{where}: {v!r} not in {s['enum']}")
    if t == "object":
        for k in s.get("required", []):
            if k not in v:
                bad.append(f"{where}: no '{k}'")
        for k, ps in s.get("properties", {}).items():
            if k in v:
                check(v[k], ps, f"{where}.{k}")
    if t == "array" and "items" in s:
        for i, x in enumerate(v[:50]):
            check(x, s["items"], f"{where}[{i}]")

for path, item in doc["paths"].items():
    for method, op in item.items():
        params = [resolve(p) for p in op.get("parameters", [])]
        p = path
        q = []
        for prm in params:
            if prm["in"] == "path":
                p = p.replace("{" + prm["name"] + "}", sample[prm["name"]])
            elif prm["name"] in sample and prm.get("required") or prm["name"] in ("limit", "depth"):
                q.append(f"{prm['name']}={sample[prm['name']]}")
        url = base + p + ("?" + "&".join(q) if q else "")
        data = None
        if method == "post":
            data = json.dumps(bodies.get(op["operationId"], {})).encode()
        req = urllib.request.Request(url, data=data, method=method.upper())
        try:
            r = urllib.request.urlopen(req, timeout=30)
            code, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            code, body = e.code, e.read()
        where = f"{method.upper()} {p}"
        resp = op["responses"].get(str(code))
        if resp is None:
            bad.append(f"{where}: status {code} is not in the document ({list(op['responses'])})")
            continue
        resp = resolve(resp)
        schema = resp.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            check(json.loads(body), schema, where)
        print(f"# {where} -> {code}")

for b in bad:
    print("# " + b)
sys.exit(1 if bad else 0)
