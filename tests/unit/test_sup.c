/* test_sup.c: ts-supervisor's service table: ini parsing, patterns, commands */
#include "t.h"
#include "../../cmd/ts-supervisor/sup.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void
test_patterns(void)
{
	struct sup_vars v;

	CHECK(sup_pat_match("trades/{ex}", "trades/coinbase/BTC-USD", &v));
	CHECK_INT(v.n, 1);
	CHECK_STR(v.name[0], "ex");
	CHECK_STR(v.val[0], "coinbase");
	CHECK(sup_pat_match("trades/{ex}", "trades/binance/", &v));
	CHECK_STR(v.val[0], "binance");
	/* a wildcard broader than the pattern asks for no instance */
	CHECK(!sup_pat_match("trades/{ex}", "trades/", &v));
	CHECK(!sup_pat_match("trades/{ex}", "", &v));
	CHECK(!sup_pat_match("trades/{ex}", "book/coinbase/BTC-USD", &v));
	/* whole segments: candles is not candlesticks */
	CHECK(sup_pat_match("candles", "candles/coinbase/BTC-USD/1m", &v));
	CHECK(sup_pat_match("candles", "candles/", &v));
	CHECK(!sup_pat_match("candles", "candlesticks/x", &v));
	CHECK(sup_pat_match("{k}/{ex}/{sym}", "book/kraken/ETH-USD", &v));
	CHECK_INT(v.n, 3);
	CHECK_STR(v.val[2], "ETH-USD");
}

static void
test_split_expand(void)
{
	char buf[256], *argv[8], out[128];
	const char *bad = NULL;
	struct sup_vars v = { .n = 1 };

	CHECK_INT(sup_split("ts-feed  --url 'a b' \"c\\\"d\" e\\ f", buf, sizeof buf, argv, 8), 5);
	CHECK_STR(argv[0], "ts-feed");
	CHECK_STR(argv[2], "a b");
	CHECK_STR(argv[3], "c\"d");
	CHECK_STR(argv[4], "e f");
	CHECK(argv[5] == NULL);
	CHECK_INT(sup_split("a 'b", buf, sizeof buf, argv, 8), -1);
	CHECK_INT(sup_split("1 2 3 4 5 6 7 8", buf, sizeof buf, argv, 8), -1);
	CHECK_INT(sup_split("", buf, sizeof buf, argv, 8), 0);

	snprintf(v.name[0], sizeof v.name[0], "ex");
	snprintf(v.val[0], sizeof v.val[0], "coinbase");
	CHECK_INT(sup_expand("ts-feed {ex} {x y} {", &v, out, sizeof out, &bad), 0);
	CHECK_STR(out, "ts-feed coinbase {x y} {");
	CHECK_INT(sup_expand("ts-feed {sym}", &v, out, sizeof out, &bad), -1);
	CHECK_STR(bad, "{sym}");
	CHECK_INT(sup_expand("{ex}{ex}{ex}", &v, out, 10, &bad), -1);
}

static void
test_builtin(void)
{
	struct sup_conf c;

	sup_conf_init(&c);
	CHECK_INT(c.errors, 0);
	CHECK_INT(sup_conf_check(&c), 0);
	CHECK_INT(c.nsvc, 4);
	CHECK_STR(c.svc[0].name, "feed-{ex}");
	CHECK_INT(c.svc[0].npat, 2);
	CHECK_STR(c.svc[0].pat[1], "book/{ex}");
	CHECK_STR(c.svc[1].name, "candle");
	CHECK(c.svc[2].always && c.svc[2].demo_only);
	CHECK_INT(c.svc[2].ready_us, 0);
	CHECK_STR(c.svc[3].name, "scan");
	CHECK_STR(c.svc[3].pat[0], "scan");
	CHECK_INT(c.set.linger_us, 5000000);
	CHECK_INT(c.set.demo_port, 8800);
}

static void
test_override_and_errors(void)
{
	struct sup_conf c;
	static const char ini[] =
		"# a comment\n"
		"[supervisor]\n"
		"linger = 2s\n"
		"linger = soon\n"            /* 4: bad duration */
		"[service feed-{ex}]\n"
		"ready = fd\n"
		"[service store]\n"
		"command = ts-store\n"
		"always = yes\n"
		"always = maybe\n"           /* 10: bad bool */
		"[service x]\n"
		"topics = a/{sym} b/{ex}\n"
		"command = prog {sym}\n"     /* b/{ex} does not bind sym: check */
		"nonsense\n"                 /* 14 */
		"[weird]\n"                  /* 15 */
		"key = ignored\n"
		"[service bad/name]\n"       /* 17 */
		"[service y]\n"
		"topics = a//b\n"            /* 19 */
		"command = 'open\n"          /* 20 */
		"[service z]\n"
		"command = z\n";             /* no topics, not always: check */

	sup_conf_init(&c);
	CHECK_INT(sup_conf_parse(&c, "t.ini", ini), 7);
	CHECK_INT(c.set.linger_us, 2000000);
	CHECK_INT(c.svc[0].ready_us, 0);
	CHECK_STR(c.svc[0].cmd, "ts-feed {ex}"); /* untouched keys stay */
	CHECK_STR(c.svc[4].name, "store"); /* after the 4 built-in services */
	CHECK(c.svc[4].always);
	CHECK_STR(c.svc[4].where, "t.ini:7");
	CHECK_INT(sup_conf_check(&c), 3); /* x, y (no command), z */
	CHECK(!c.svc[5].enabled);
	CHECK(c.svc[4].enabled);
	CHECK_INT(c.errors, 10);
}

static void
test_load_file(void)
{
	struct sup_conf c;
	char path[] = "/tmp/test_sup.XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(write(fd, "[demo]\nport = 9001\nport = 70000\n", 32) == 32);
	close(fd);
	sup_conf_init(&c);
	CHECK_INT(sup_conf_load(&c, path), 1);
	CHECK_INT(c.set.demo_port, 9001);
	unlink(path);
	CHECK_INT(sup_conf_load(&c, path), 0); /* missing: fine */
}

int
main(void)
{
	RUN(test_patterns);
	RUN(test_split_expand);
	RUN(test_builtin);
	RUN(test_override_and_errors);
	RUN(test_load_file);
	return DONE();
}
