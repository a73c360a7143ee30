#!/bin/sh
# t0002: the same bus scenarios over tcp on 127.0.0.1
. "$(dirname "$0")/lib.sh"
port=$(free_port 3)
export TS_BUS="tcp://127.0.0.1:$port"
BUS2="tcp://127.0.0.1:$(free_port 3)"
. "$TS_TOP/tests/e2e/bus-scenarios.inc"
test_done
