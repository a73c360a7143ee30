#!/bin/sh
# t0603: candle conditions seeded from a history batch: change, cvd, cvd level,
# buy/sell ratio, volatility, volume spike
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t0600-alert-lib.inc"

cat >"$RULES" <<'R'
set cooldown 0
pump    t:SOL-USD  change >= 5% over 5m
dump    t:SOL-USD  change <= -5% over 5m
cvd     t:SOL-USD  cvd over 3m > 100
ratio   t:SOL-USD  ratio over 3m > 3
cvdlvl  t:SOL-USD  cvd level < -50
vol     t:SOL-USD  volatility 4 1m > 2%
spike   t:SOL-USD  volume 1m > 3x avg 5
end-c   t:SOL-USD  jq candles/1m '.end == true'
R
# 2023-11-15 00:00 UTC, then one candle a minute
c() { # k o h l c v bv [extra]
	printf '%s\n' "{\"ex\":\"t\",\"sym\":\"SOL-USD\",\"tf\":\"1m\",\"t\":$(( (1700006400 + 60 * $1) * 1000000 )),\"o\":$2,\"h\":$3,\"l\":$4,\"c\":$5,\"v\":$6,\"bv\":$7,\"n\":1,\"closed\":false${8:-}}"
}
{
	printf '{"type":"history","candles":['
	for k in 0 1 2 3 4; do c $k 100 100 100 100 10 5 | tr -d '\n'; printf ,; done
	c 5 100 100 100 100 10 5 | tr -d '\n'
	printf ']}\n'
	c 6 100 103 100 103 10 5      # +3%: nothing yet
	c 6 100 106 100 106 40 38     # +6%, buyers 38 of 40, volume 4x
	c 7 106 106 106 106 10 0      # flat, sellers
	c 8 106 106 99 99 100 10      # heavy selling: cvd since 00:00 = -54
	c 8 106 106 99 99 100 10 ',"end":true'
} >candles
T6=1700006760000000 T8=1700006880000000
cat >expect <<J
{"rule":"pump","ex":"t","sym":"SOL-USD","cond":"change >= 5% over 5m","value":6,"threshold":5,"ts":$T6}
{"rule":"ratio","ex":"t","sym":"SOL-USD","cond":"ratio over 3m > 3","value":4,"threshold":3,"ts":$T6}
{"rule":"vol","ex":"t","sym":"SOL-USD","cond":"volatility 4 1m > 2%","value":2.913445406198791,"threshold":2,"ts":$T6}
{"rule":"spike","ex":"t","sym":"SOL-USD","cond":"volume 1m > 3x avg 5","value":4,"threshold":3,"ts":$T6}
{"rule":"cvdlvl","ex":"t","sym":"SOL-USD","cond":"cvd level < -50","value":-54,"threshold":-50,"ts":$T8}
{"rule":"spike","ex":"t","sym":"SOL-USD","cond":"volume 1m > 3x avg 5","value":6.25,"threshold":3,"ts":$T8}
J

start_supervisor
test_expect_success 'candle rules subscribe to the 1m candles they need' '
	start_alert &&
	grep -q "loaded 8 rules (8 enabled)" alert.err
'
test_expect_success 'history seeds the windows; each condition fires once on its edge' '
	ts-pub candles/t/SOL-USD/1m candles &&
	wait_rule end-c &&
	alerts_without end-c >actual &&
	test_cmp expect actual
'
test_expect_success 'ts-alert list shows every rule with its timeframe' '
	ts-alert list >list &&
	grep -q "^pump  *t:SOL-USD  *enabled  *0s  *change >= 5% over 5m$" list &&
	test $(wc -l <list) -eq 9 &&
	ts-alert list --json | jq -e ".[0].topic == \"candles/t/SOL-USD/1m\" and length == 8"
'
test_done
