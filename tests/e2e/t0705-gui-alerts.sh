#!/bin/sh
# t0705-gui-alerts: the alerts panel lists fired alerts of its market from
# alerts/EX/SYM and, with ts-alert on the PATH, the rules of alerts.conf.
. "$(dirname "$0")/lib.sh"
. "$TS_TOP/tests/e2e/gui-lib.inc"

start_supervisor -c noservices.ini || exit 111
have_alert=
[ -x "$TS_BIN/ts-alert" ] && have_alert=1

test_expect_success 'an alerts panel opens for a market' '
	if [ -n "$have_alert" ]; then
		ts-alert add btc70k coinbase:BTC-USD price crosses above 70000 &&
		ts-alert add eth5k coinbase:ETH-USD price crosses below 5000 &&
		ts-alert disable eth5k
	fi &&
	bg gui ts-gui --commands ctl --size 1280x800 &&
	wait_for "dump s.json && jq -e .connected s.json" 15 &&
	cmd new alerts coinbase BTC-USD &&
	wait_for "dump s.json && jq -e \".views[-1].kind == \\\"alerts\\\"\" s.json" 10
'

test_expect_success 'fired alerts of the market are listed, others not' '
	echo "{\"rule\":\"btc70k\",\"ex\":\"coinbase\",\"sym\":\"BTC-USD\",\"cond\":\"price crosses above 70000\",\"value\":70001.5,\"threshold\":70000,\"ts\":1700000000000000}" >a.json &&
	echo "{\"rule\":\"x\",\"ex\":\"coinbase\",\"sym\":\"BTC-USDT\",\"cond\":\"c\",\"value\":1,\"threshold\":1}" >b.json &&
	ts-pub -w 10 alerts/coinbase/BTC-USD a.json &&
	ts-pub -w 2 alerts/coinbase/BTC-USDT b.json;
	wait_for "dump s.json && jq -e \".views[-1].fired == 1\" s.json" 10 &&
	sleep 0.5 && dump s.json &&
	jq -e ".views[-1] | .fired == 1 and .rows == 1" s.json
'

test_expect_success 'the rules come from ts-alert list --json' '
	if [ -n "$have_alert" ]; then
		jq -e ".views[-1] | .ts_alert == true and .rules == 2" s.json
	else
		jq -e ".views[-1] | .ts_alert == false and .rules == 0" s.json
	fi
'

test_expect_success 'the alerts panel is saved and restored' '
	cmd quit && wait $gui_pid &&
	grep -qx "kind=alerts" config/tradesuite/layout.ini &&
	bg gui ts-gui --commands ctl --size 1280x800 &&
	wait_for "dump s.json && jq -e \"[.views[].kind] | index(\\\"alerts\\\") != null\" s.json" 15
'

test_done
