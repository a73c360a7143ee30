#!/bin/sh
# t0520: retention per kind (trades 30 days, candles forever, book 90 days by
# default; configurable) and thinning of old book samples.
. "$(dirname "$0")/lib.sh"

now=$(($(date +%s) * 1000000))
day=86400000000
old=$((now - 40 * day)) recent=$((now - day / 2))
{
	for i in 1 2 3; do
		echo "{\"ex\":\"okx\",\"sym\":\"BTC-USDT\",\"id\":\"o$i\",\"px\":1.0,\"qty\":1,\"side\":\"buy\",\"ts\":$((old + i))}"
	done
	for i in 1 2; do
		echo "{\"ex\":\"okx\",\"sym\":\"BTC-USDT\",\"id\":\"r$i\",\"px\":2.0,\"qty\":1,\"side\":\"sell\",\"ts\":$((recent + i))}"
	done
	echo "{\"ex\":\"okx\",\"sym\":\"BTC-USDT\",\"tf\":\"1d\",\"t\":$((now - 400 * day)),\"o\":1,\"h\":1,\"l\":1,\"c\":1,\"v\":1}"
	echo "{\"ex\":\"okx\",\"sym\":\"BTC-USDT\",\"tf\":\"1d\",\"t\":$((now - 2 * day)),\"o\":1,\"h\":1,\"l\":1,\"c\":1,\"v\":1}"
} >in.jsonl
DB=$XDG_DATA_HOME/tradesuite/store.db

test_expect_success 'import old and recent rows' '
	ts-store import -q in.jsonl &&
	test $(ts-store query trades/okx/BTC-USDT | wc -l) -eq 5 &&
	test $(ts-store query candles/okx/BTC-USDT/1d | wc -l) -eq 2
'

test_expect_success 'book samples: an old minute of 60, a very old one, recent ones' '
	m=$(sqlite3 "$DB" "SELECT id FROM markets WHERE ex=\"okx\"") &&
	base=$(( (now - 2 * day) / 60000000 * 60000000 )) &&
	for i in $(seq 0 59); do
		echo "INSERT INTO book_samples VALUES($m, $((base + i * 1000000)), \"1\",\"1\",\"2\",\"1\",\"1\",\"1.5\",5,\"[]\",\"[]\",NULL);"
	done >b.sql &&
	for i in 1 2 3 4 5; do
		echo "INSERT INTO book_samples VALUES($m, $((now - i * 100000)), \"1\",\"1\",\"2\",\"1\",\"1\",\"1.5\",5,\"[]\",\"[]\",NULL);"
	done >>b.sql &&
	echo "INSERT INTO book_samples VALUES($m, $((now - 100 * day)), \"1\",\"1\",\"2\",\"1\",\"1\",\"1.5\",5,\"[]\",\"[]\",NULL);" >>b.sql &&
	sqlite3 "$DB" <b.sql &&
	test $(ts-store query book/okx/BTC-USDT | wc -l) -eq 66
'

test_expect_success 'default retention: old trades go, candles stay, old book thinned' '
	ts-store prune >out &&
	echo "deleted 63 rows" >expect && test_cmp expect out &&
	ts-store query trades/okx/BTC-USDT | jq -r .id >ids &&
	printf "%s\n" r1 r2 >expect && test_cmp expect ids &&
	test $(ts-store query candles/okx/BTC-USDT/1d | wc -l) -eq 2 &&
	test $(ts-store query book/okx/BTC-USDT | wc -l) -eq 6 &&
	ts-store query book/okx/BTC-USDT | head -1 | jq .ts >first &&
	echo $(( (now - 2 * day) / 60000000 * 60000000 )) >expect && test_cmp expect first
'

test_expect_success 'retention from the config file and the command line' '
	mkdir -p "$XDG_CONFIG_HOME/tradesuite" &&
	printf "[store]\nretain-candles = 30d\n" >"$XDG_CONFIG_HOME/tradesuite/store.ini" &&
	ts-store prune >out &&
	echo "deleted 1 rows" >expect && test_cmp expect out &&
	ts-store prune --retain trades=1h >out &&
	echo "deleted 2 rows" >expect && test_cmp expect out &&
	test $(ts-store query trades/okx/BTC-USDT | wc -l) -eq 0
'

test_expect_success 'bad retention is a usage error' '
	{ ts-store prune --retain trades=soon 2>err; test $? -eq 100; } &&
	grep -q "bad --retain" err &&
	printf "[store]\nbogus = 1\n" >bad.ini &&
	{ ts-store prune -c bad.ini 2>err; test $? -eq 100; } &&
	grep -q "unknown key .bogus." err
'

test_expect_success 'import draws a progress bar on a terminal, not in a pipe' '
	if ! command -v script >/dev/null; then echo "# no script(1): skipped"; exit 0; fi &&
	script -qec "ts-store import -d tty.db in.jsonl" /dev/null >tty.out &&
	grep -q "import: \[=*\] 100% 7 rows, 0 duplicates, 0 bad" tty.out &&
	ts-store import -d plain.db in.jsonl 2>plain.err &&
	! grep -q "import: \[" plain.err &&
	grep -q "imported 7 rows (0 duplicates, 0 bad lines)" plain.err
'

test_done
