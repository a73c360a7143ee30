/* test_alert.c: ts-alert's rules parser and its evaluator on scripted messages, without a bus */
#include "t.h"
#include "../../cmd/ts-alert/alert.h"
#include "log.h"
#include "tm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(x) ((int64_t)(x) * TS_US_PER_SEC)

/* Parse `text` as the file "rules.conf"; the error lines land in *errs
 * (caller frees). */
static void
parse(const char *text, struct alert_rules *rs, char **errs)
{
	size_t n = 0;
	FILE *f = open_memstream(errs, &n);

	alert_rules_parse(text, strlen(text), "rules.conf", 1, rs, f);
	fclose(f);
}

/* How many lines of errs contain `s`. */
static int
count(const char *errs, const char *s)
{
	int n = 0;

	for (const char *p = errs; (p = strstr(p, s)); p += strlen(s))
		n++;
	return n;
}

static void
test_parse_conditions(void)
{
	static const char text[] =
	    "# every condition form\n"
	    "p1 coinbase:BTC-USD price crosses above 100000.50\n"
	    "m1 kraken:ETH-USD mid crosses below 2500\n"
	    "c1 binance:BTC-USDT change >= 5% over 4h\n"
	    "c2 binance:BTC-USDT change < -2% over 90s\n"
	    "c3 binance:BTC-USDT change > 10 over 3d\n"
	    "v1 coinbase:BTC-USD cvd over 15m > 100\n"
	    "v2 coinbase:BTC-USD cvd level <= -50\n"
	    "r1 coinbase:BTC-USD ratio over 5m >= 2\n"
	    "vo coinbase:BTC-USD volatility 20 5m > 1.5%\n"
	    "vs coinbase:BTC-USD volume 5m > 3x avg 12\n"
	    "im coinbase:BTC-USD imbalance within 0.5% > 0.6\n"
	    "sp coinbase:BTC-USD spread > 20bps\n"
	    "j1 binance:BTC-USDT jq trades '.qty * .px > 1000000'\n"
	    "j2 binance:BTC-USDT jq candles/1h \".closed and .c > 70000\"\n"
	    "j3 binance:BTC-USDT jq status/feed/binance '.state == \"down\"'\n"
	    "j4 binance:BTC-USDT jq book 'true'\n";
	struct alert_rules rs;
	struct alert_rule *r;
	char *errs = NULL;

	parse(text, &rs, &errs);
	CHECK_STR(errs, "");
	CHECK_INT(rs.errors, 0);
	CHECK_INT(rs.n, 16);
	CHECK_INT(rs.set.cooldown_us, S(60));

	CHECK((r = alert_rules_find(&rs, "p1")) != NULL);
	if (r) {
		struct ts_dec want;
		ts_dec_parse_str("100000.5", &want);
		CHECK_INT(r->kind, AK_PRICE_CROSS);
		CHECK_INT(r->op, OP_ABOVE);
		CHECK_INT(ts_dec_cmp(r->level, want), 0);
		CHECK_STR(r->topic, "trades/coinbase/BTC-USD");
		CHECK_STR(r->cond, "price crosses above 100000.50");
		CHECK_INT(r->line, 2);
		CHECK_INT(r->enabled, 1);
		CHECK_INT(r->cooldown_us, -1);
	}
	if ((r = alert_rules_find(&rs, "m1"))) {
		CHECK_INT(r->kind, AK_MID_CROSS);
		CHECK_INT(r->op, OP_BELOW);
		CHECK_STR(r->topic, "book/kraken/ETH-USD");
	} else CHECK(!"m1");
	if ((r = alert_rules_find(&rs, "c1"))) {
		CHECK_INT(r->kind, AK_CHANGE);
		CHECK_INT(r->op, OP_GE);
		CHECK(r->threshold == 5);
		CHECK_INT(r->window_us, S(4 * 3600));
		CHECK_STR(r->tf, "1m");
		CHECK_STR(r->topic, "candles/binance/BTC-USDT/1m");
	} else CHECK(!"c1");
	/* the default timeframe: 1s for windows that are not whole minutes, 1h
	 * beyond a day */
	if ((r = alert_rules_find(&rs, "c2"))) {
		CHECK_INT(r->op, OP_LT);
		CHECK(r->threshold == -2);
		CHECK_STR(r->topic, "candles/binance/BTC-USDT/1s");
	} else CHECK(!"c2");
	if ((r = alert_rules_find(&rs, "c3"))) {
		CHECK(r->threshold == 10);
		CHECK_STR(r->topic, "candles/binance/BTC-USDT/1h");
	} else CHECK(!"c3");
	if ((r = alert_rules_find(&rs, "v1"))) {
		CHECK_INT(r->kind, AK_CVD);
		CHECK_INT(r->window_us, S(900));
		CHECK(r->threshold == 100);
		CHECK_STR(r->tf, "1m");
	} else CHECK(!"v1");
	if ((r = alert_rules_find(&rs, "v2"))) {
		CHECK_INT(r->kind, AK_CVD_LEVEL);
		CHECK_INT(r->op, OP_LE);
		CHECK(r->threshold == -50);
		CHECK_STR(r->topic, "candles/coinbase/BTC-USD/1m");
	} else CHECK(!"v2");
	if ((r = alert_rules_find(&rs, "r1"))) {
		CHECK_INT(r->kind, AK_RATIO);
		CHECK_INT(r->op, OP_GE);
		CHECK(r->threshold == 2);
	} else CHECK(!"r1");
	if ((r = alert_rules_find(&rs, "vo"))) {
		CHECK_INT(r->kind, AK_VOLATILITY);
		CHECK_INT(r->n, 20);
		CHECK(r->threshold == 1.5);
		CHECK_STR(r->topic, "candles/coinbase/BTC-USD/5m");
	} else CHECK(!"vo");
	if ((r = alert_rules_find(&rs, "vs"))) {
		CHECK_INT(r->kind, AK_VOLUME);
		CHECK_INT(r->n, 12);
		CHECK(r->threshold == 3);
		CHECK_INT(r->window_us, S(300));
		CHECK_STR(r->topic, "candles/coinbase/BTC-USD/1m");
	} else CHECK(!"vs");
	if ((r = alert_rules_find(&rs, "im"))) {
		CHECK_INT(r->kind, AK_IMBALANCE);
		CHECK(fabs(r->band - 0.005) < 1e-12);
		CHECK(r->threshold == 0.6);
		CHECK_STR(r->topic, "book/coinbase/BTC-USD");
	} else CHECK(!"im");
	if ((r = alert_rules_find(&rs, "sp"))) {
		CHECK_INT(r->kind, AK_SPREAD);
		CHECK(r->threshold == 20);
		CHECK_STR(r->topic, "book/coinbase/BTC-USD");
	} else CHECK(!"sp");
	if ((r = alert_rules_find(&rs, "j1"))) {
		CHECK_INT(r->kind, AK_JQ);
		CHECK_STR(r->topic, "trades/binance/BTC-USDT");
		CHECK_STR(r->jq_text, ".qty * .px > 1000000");
		CHECK(r->jq != NULL);
		CHECK_INT(r->line, 14);
	} else CHECK(!"j1");
	if ((r = alert_rules_find(&rs, "j2"))) {
		CHECK_STR(r->topic, "candles/binance/BTC-USDT/1h");
		CHECK_STR(r->jq_text, ".closed and .c > 70000");
	} else CHECK(!"j2");
	if ((r = alert_rules_find(&rs, "j3")))
		CHECK_STR(r->topic, "status/feed/binance");
	else CHECK(!"j3");
	if ((r = alert_rules_find(&rs, "j4")))
		CHECK_STR(r->topic, "book/binance/BTC-USDT");
	else CHECK(!"j4");
	alert_rules_free(&rs);
	free(errs);
}

static void
test_parse_options(void)
{
	static const char text[] =
	    "set cooldown 5m\n"
	    "set notify ntfy:https://ntfy.sh/${TOPIC}\n"
	    "set smtp smtp://mail.example.org:587\n"
	    "set smtp-from alerts@example.org\n"
	    "\n"
	    "a1 coinbase:BTC-USD change > 1% over 1h tf 5m cooldown 30s\n"
	    "    notify webhook:http://127.0.0.1:9/x   # a continuation line\n"
	    "\tnotify 'command:notify-send \"$TS_ALERT_TEXT\"'\n"
	    "    disabled\n"
	    "# a comment between rules\n"
	    "a2 coinbase:BTC-USD spread > 5bps cooldown 0 notify mail:me@example.org\n"
	    "a3 coinbase:BTC-USD jq trades '.id != \"#1\" and\n"
	    "    .px > 100'  # a comment after the quote\n";
	struct alert_rules rs;
	struct alert_rule *r;
	char *errs = NULL, line[1024];

	parse(text, &rs, &errs);
	CHECK_STR(errs, "");
	CHECK_INT(rs.n, 3);
	CHECK_INT(rs.set.cooldown_us, S(300));
	CHECK_INT(rs.set.nnotify, 1);
	if (rs.set.nnotify == 1)
		CHECK_STR(rs.set.notify[0], "ntfy:https://ntfy.sh/${TOPIC}");
	CHECK_STR(rs.set.smtp_url, "smtp://mail.example.org:587");
	CHECK_STR(rs.set.smtp_from, "alerts@example.org");
	if ((r = alert_rules_find(&rs, "a1"))) {
		CHECK_INT(r->line, 6);
		CHECK_INT(r->end_line, 9);
		CHECK_STR(r->tf, "5m");
		CHECK_STR(r->topic, "candles/coinbase/BTC-USD/5m");
		CHECK_INT(r->cooldown_us, S(30));
		CHECK_INT(r->enabled, 0);
		CHECK_INT(r->nnotify, 2);
		if (r->nnotify == 2) {
			CHECK_STR(r->notify[0], "webhook:http://127.0.0.1:9/x");
			CHECK_STR(r->notify[1], "command:notify-send \"$TS_ALERT_TEXT\"");
		}
		/* one line of the file format that reads back as the same rule */
		alert_rule_format(r, line, sizeof line);
		CHECK_STR(line, "a1 coinbase:BTC-USD change > 1% over 1h tf 5m cooldown 30s "
		    "notify webhook:http://127.0.0.1:9/x "
		    "notify 'command:notify-send \"$TS_ALERT_TEXT\"' disabled");
		{
			struct alert_rules back;
			char *e2 = NULL;
			parse(line, &back, &e2);
			CHECK_STR(e2, "");
			CHECK_INT(back.n, 1);
			if (back.n == 1) {
				CHECK(back.r[0].hash == r->hash);
				CHECK_INT(back.r[0].nnotify, 2);
				CHECK_INT(back.r[0].enabled, 0);
			}
			alert_rules_free(&back);
			free(e2);
		}
	} else CHECK(!"a1");
	if ((r = alert_rules_find(&rs, "a2"))) {
		CHECK_INT(r->line, 11);
		CHECK_INT(r->cooldown_us, 0);
		CHECK_INT(r->enabled, 1);
		CHECK_INT(r->nnotify, 1);
	} else CHECK(!"a2");
	/* a quote may span lines (the newline reads as a blank) and holds a
	 * # that is no comment */
	if ((r = alert_rules_find(&rs, "a3"))) {
		CHECK_STR(r->jq_text, ".id != \"#1\" and     .px > 100");
		CHECK_INT(r->end_line, 13);
	} else CHECK(!"a3");
	alert_rules_free(&rs);
	free(errs);
}

/* Each bad line is reported as FILE:LINE with what is wrong, and skipped;
 * the good rules around them still load. */
static void
test_parse_errors(void)
{
	static const char *const bad[][2] = {
		{ "x1 coinbase:BTC-USD price crosses over 100",
		  "rules.conf:2: rule 'x1': expected 'price crosses above|below LEVEL'" },
		{ "x2 coinbase:BTC-USD price crosses above -5",
		  "rules.conf:3: rule 'x2': bad price level '-5'" },
		{ "x3 coinbase:BTC-USD change > 5% over 4q",
		  "rules.conf:4: rule 'x3': bad duration '4q'" },
		{ "x4 coinbase:BTC-USD change > 1% over 90s tf 1m",
		  "rules.conf:5: rule 'x4': window is not a multiple of the 1m timeframe" },
		{ "x5 coinbase:BTC-USD change > 1% over 1h tf 7m",
		  "rules.conf:6: rule 'x5': unknown timeframe '7m'" },
		{ "x6 coinbase:BTC-USD price crosses above 1 tf 1m",
		  "rules.conf:7: rule 'x6': 'tf' applies to candle conditions only" },
		{ "x7 coinbase:BTC-USD moon > 1",
		  "rules.conf:8: rule 'x7': unknown condition 'moon'" },
		{ "x8 coinbase/BTC-USD spread > 5bps",
		  "rules.conf:9: rule 'x8': bad market 'coinbase/BTC-USD'" },
		{ "x/9 coinbase:BTC-USD spread > 5bps",
		  "rules.conf:10: rule 'x/9': bad rule id 'x/9'" },
		{ "x10 coinbase:BTC-USD jq trades '.px >'",
		  "rules.conf:11: rule 'x10': jq expression does not compile: " },
		{ "x11 coinbase:BTC-USD jq trades '.px",
		  "rules.conf:12: unterminated ' quote" },
		{ "x12 coinbase:BTC-USD spread > 5bps cooldown",
		  "rules.conf:13: rule 'x12': 'cooldown' needs a value" },
		{ "x13 coinbase:BTC-USD spread > 5bps notify carrier-pigeon:home",
		  "rules.conf:14: rule 'x13': bad notify target 'carrier-pigeon:home': unknown target" },
		{ "x14 coinbase:BTC-USD imbalance within 150% > 0.5",
		  "rules.conf:15: rule 'x14': expected 'imbalance within B% OP X' (0 < B < 100" },
		{ "x15 coinbase:BTC-USD volatility 1 5m > 1%",
		  "rules.conf:16: rule 'x15': bad candle count '1'" },
		{ "x16 coinbase:BTC-USD volume 5m > 3x avg 0",
		  "rules.conf:17: rule 'x16': bad window count '0'" },
		{ "x17 coinbase:BTC-USD spread > 5bps loud",
		  "rules.conf:18: rule 'x17': expected 'spread OP Xbps'" },
		{ "x18 coinbase:BTC-USD ratio over 5m > 0",
		  "rules.conf:19: rule 'x18': a buy/sell ratio is above 0" },
		{ "set colour blue",
		  "rules.conf:20: unknown setting 'colour'" },
		{ "set smtp http://mail",
		  "rules.conf:21: expected an smtp:// or smtps:// URL" },
		{ "ok1 coinbase:BTC-USD spread > 9bps",
		  "rules.conf:22: rule 'ok1': duplicate id (first on line 1)" },
		{ "x19 coinbase:BTC-USD mail:me@example.org",
		  "rules.conf:23: rule 'x19': unknown condition 'mail:me@example.org'" },
	};
	size_t nbad = sizeof bad / sizeof *bad;
	char text[8192], *errs = NULL;
	size_t o = 0;
	struct alert_rules rs;

	o += (size_t)snprintf(text + o, sizeof text - o, "ok1 coinbase:BTC-USD spread > 5bps\n");
	for (size_t i = 0; i < nbad; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "%s\n", bad[i][0]);
	/* lines 24-25: a good rule with a continuation line after the errors */
	o += (size_t)snprintf(text + o, sizeof text - o,
	    "ok2 coinbase:BTC-USD price crosses below 10\n"
	    "    cooldown 1h\n");
	parse(text, &rs, &errs);
	CHECK_INT(rs.errors, (int)nbad);
	CHECK_INT(rs.n, 2);
	CHECK(alert_rules_find(&rs, "ok1") != NULL);
	if (rs.n == 2) {
		CHECK_STR(rs.r[0].cond, "spread > 5bps"); /* the first ok1 stays */
		CHECK_STR(rs.r[1].id, "ok2");
		CHECK_INT(rs.r[1].cooldown_us, S(3600));
		CHECK_INT(rs.r[1].line, 24);
		CHECK_INT(rs.r[1].end_line, 25);
	}
	for (size_t i = 0; i < nbad; i++) {
		if (count(errs, bad[i][1]) != 1) {
			printf("#   missing error: %s\n", bad[i][1]);
			t_failed_checks++;
		}
	}
	/* one line per error, each starting with the program and the file */
	CHECK_INT(count(errs, "\n"), (int)nbad);
	CHECK_INT(count(errs, "ts-alert: rules.conf:"), (int)nbad);
	alert_rules_free(&rs);
	free(errs);

	/* an indented first line has no rule to continue */
	parse("  cooldown 1m\nok coinbase:BTC-USD spread > 5bps\n", &rs, &errs);
	CHECK_STR(errs, "ts-alert: rules.conf:1: continuation line without a rule above it\n");
	CHECK_INT(rs.n, 1);
	CHECK_INT(rs.errors, 1);
	alert_rules_free(&rs);
	free(errs);

	/* a continuation line belongs to its rule: its error names the rule's
	 * first line */
	parse("ok coinbase:BTC-USD spread > 5bps\nbad coinbase:BTC-USD spread > 5bps\n"
	    "  cooldown soon\n", &rs, &errs);
	CHECK_STR(errs, "ts-alert: rules.conf:2: rule 'bad': bad cooldown 'soon'\n");
	CHECK_INT(rs.n, 1);
	alert_rules_free(&rs);
	free(errs);
}

/* ---- the evaluator ------------------------------------------------------- */

#define MAX_FIRES 32

struct fires {
	int n;
	char rule[MAX_FIRES][ALERT_ID_MAX];
	double value[MAX_FIRES];
	char jvalue[MAX_FIRES][64];
	int64_t ts[MAX_FIRES];
};

static void
on_fire(const struct alert_fire *f, void *arg)
{
	struct fires *fs = arg;

	if (fs->n >= MAX_FIRES)
		return;
	snprintf(fs->rule[fs->n], sizeof fs->rule[0], "%s", f->rule->id);
	fs->value[fs->n] = f->exact ? ts_dec_to_double(f->dvalue) : f->value;
	snprintf(fs->jvalue[fs->n], sizeof fs->jvalue[0], "%s", f->jvalue ? f->jvalue : "");
	fs->ts[fs->n] = f->ts;
	fs->n++;
}

struct rig {
	struct alert_rules rs;
	struct alert_engine e;
	struct fires f;
};

static void
rig_init(struct rig *g, const char *text)
{
	char *errs = NULL;

	memset(g, 0, sizeof *g);
	parse(text, &g->rs, &errs);
	CHECK_STR(errs, "");
	free(errs);
	alert_engine_bind(&g->e, &g->rs);
}

static void
rig_free(struct rig *g)
{
	alert_engine_free(&g->e);
	alert_rules_free(&g->rs);
}

/* Feed one message; returns what alert_engine_feed returned. */
static int
feed(struct rig *g, const char *topic, const char *json)
{
	const char *why;

	return alert_engine_feed(&g->e, topic, json, strlen(json), S(1000000), on_fire,
	    &g->f, &why);
}

static void
trade(struct rig *g, const char *px, int64_t ts)
{
	char buf[256];

	snprintf(buf, sizeof buf, "{\"ex\":\"t\",\"sym\":\"BTC-USD\",\"px\":%s,\"qty\":1,"
	    "\"side\":\"buy\",\"ts\":%lld}", px, (long long)ts);
	CHECK_INT(feed(g, "trades/t/BTC-USD", buf), 0);
}

/* A 1m candle opening at minute `min`. */
static void
candle(struct rig *g, int min, double o, double c, double v, double bv)
{
	char buf[256];

	snprintf(buf, sizeof buf, "{\"ex\":\"t\",\"sym\":\"BTC-USD\",\"tf\":\"1m\",\"t\":%lld,"
	    "\"o\":%g,\"h\":%g,\"l\":%g,\"c\":%g,\"v\":%g,\"bv\":%g,\"n\":1,\"closed\":false}",
	    (long long)S(60 * min), o, fmax(o, c), fmin(o, c), c, v, bv);
	CHECK_INT(feed(g, "candles/t/BTC-USD/1m", buf), 0);
}

static void
test_eval_crossing(void)
{
	struct rig g;

	rig_init(&g, "set cooldown 0\nx t:BTC-USD price crosses above 100\n");
	/* the first price, already beyond the level, is no crossing */
	trade(&g, "150", S(1));
	CHECK_INT(g.f.n, 0);
	trade(&g, "120", S(2));
	CHECK_INT(g.f.n, 0);
	trade(&g, "99.99", S(3));
	CHECK_INT(g.f.n, 0);
	/* reaching the level from below fires, once */
	trade(&g, "100", S(4));
	CHECK_INT(g.f.n, 1);
	trade(&g, "130", S(5));
	trade(&g, "100.5", S(6));
	CHECK_INT(g.f.n, 1);
	if (g.f.n == 1) {
		CHECK_STR(g.f.rule[0], "x");
		CHECK(g.f.value[0] == 100);
		CHECK_INT(g.f.ts[0], S(4));
	}
	/* noise below the level does not fire; the next crossing does */
	trade(&g, "98", S(7));
	trade(&g, "99.5", S(8));
	trade(&g, "98", S(9));
	CHECK_INT(g.f.n, 1);
	trade(&g, "101.25", S(10));
	CHECK_INT(g.f.n, 2);
	if (g.f.n == 2)
		CHECK(g.f.value[1] == 101.25);
	CHECK_INT(g.rs.r[0].fired, 2);
	rig_free(&g);

	/* below: the mirror image, on the mid of the book */
	rig_init(&g, "set cooldown 0\nm t:BTC-USD mid crosses below 50\n");
	CHECK_INT(feed(&g, "book/t/BTC-USD",
	    "{\"type\":\"snapshot\",\"bids\":[[49,1]],\"asks\":[[50,1]],\"ts\":1000000}"), 0);
	CHECK_INT(g.f.n, 0); /* mid 49.5, but the first mid is no crossing */
	/* a crossed book (bid 50.5 over ask 50) is no mid */
	feed(&g, "book/t/BTC-USD", "{\"type\":\"delta\",\"bids\":[[50.5,1]],\"ts\":2000000}");
	CHECK(g.rs.r[0].last_value == 49.5);
	feed(&g, "book/t/BTC-USD", "{\"type\":\"delta\",\"asks\":[[50,0],[51,1]],"
	    "\"ts\":3000000}");
	CHECK(g.rs.r[0].last_value == 50.75);
	CHECK_INT(g.f.n, 0);
	feed(&g, "book/t/BTC-USD", "{\"type\":\"delta\",\"bids\":[[50.5,0]],\"ts\":4000000}");
	CHECK_INT(g.f.n, 1); /* 49 / 51: mid 50, at the level */
	if (g.f.n == 1)
		CHECK(g.f.value[0] == 50);
	rig_free(&g);
}

static void
test_eval_cooldown(void)
{
	struct rig g;

	rig_init(&g, "x t:BTC-USD price crosses above 100 cooldown 10s\n");
	trade(&g, "90", S(1));
	trade(&g, "101", S(2));
	CHECK_INT(g.f.n, 1);
	trade(&g, "90", S(3));
	trade(&g, "101", S(4)); /* 2 s after the last alert: held */
	CHECK_INT(g.f.n, 1);
	CHECK_INT(g.rs.r[0].suppressed, 1);
	trade(&g, "90", S(5));
	trade(&g, "101", S(12)); /* exactly 10 s after: fires */
	CHECK_INT(g.f.n, 2);
	if (g.f.n == 2)
		CHECK_INT(g.f.ts[1], S(12));
	CHECK_INT(g.rs.r[0].last_fired, S(12));
	rig_free(&g);

	/* the file's default cooldown applies when the rule has none */
	rig_init(&g, "set cooldown 1m\nx t:BTC-USD price crosses above 100\n");
	trade(&g, "90", S(1));
	trade(&g, "101", S(2));
	trade(&g, "90", S(3));
	trade(&g, "101", S(61));
	CHECK_INT(g.f.n, 1);
	trade(&g, "90", S(62));
	trade(&g, "101", S(63));
	CHECK_INT(g.f.n, 2);
	rig_free(&g);
}

static void
test_eval_change(void)
{
	struct rig g;
	char why[512];

	rig_init(&g, "ch t:BTC-USD change >= 5% over 3m\n");
	/* one candle does not cover the lookback */
	candle(&g, 0, 100, 100, 1, 0.5);
	CHECK_INT(g.f.n, 0);
	CHECK_INT(alert_engine_explain(&g.e, &g.rs.r[0], why, sizeof why), -1);
	CHECK(strstr(why, "do not cover the lookback") != NULL);
	/* a history batch seeds the window */
	CHECK_INT(feed(&g, "candles/t/BTC-USD/1m", "{\"type\":\"history\",\"candles\":["
	    "{\"t\":60000000,\"o\":100,\"h\":101,\"l\":100,\"c\":101,\"v\":1},"
	    "{\"t\":120000000,\"o\":101,\"h\":103,\"l\":101,\"c\":103,\"v\":1}]}"), 0);
	/* 3 minutes at minute 2: from the open of minute 0 (100) to 103 */
	CHECK(fabs(g.rs.r[0].last_value - 3) < 1e-9);
	CHECK_INT(g.f.n, 0);
	/* minute 3: the lookback starts at the open of minute 1 (100) */
	candle(&g, 3, 103, 104, 1, 0.5);
	CHECK(fabs(g.rs.r[0].last_value - 4) < 1e-9);
	CHECK_INT(g.f.n, 0);
	candle(&g, 3, 103, 106, 2, 1);
	CHECK_INT(g.f.n, 1);
	if (g.f.n == 1) {
		CHECK(fabs(g.f.value[0] - 6) < 1e-9);
		CHECK_INT(g.f.ts[0], S(180)); /* candles carry their open time */
	}
	candle(&g, 3, 103, 107, 3, 1);
	CHECK_INT(g.f.n, 1); /* still true: no second alert */
	CHECK_INT(alert_engine_explain(&g.e, &g.rs.r[0], why, sizeof why), 1);
	CHECK(strstr(why, "change (%) is 7") != NULL);
	rig_free(&g);

	/* a fall, measured against the close before a missing candle */
	rig_init(&g, "dn t:BTC-USD change <= -2% over 2m\n");
	candle(&g, 0, 100, 100, 1, 0.5);
	candle(&g, 2, 99, 97.9, 1, 0.5); /* minute 1 is missing: ref = close 100 */
	CHECK_INT(g.f.n, 1);
	if (g.f.n == 1)
		CHECK(fabs(g.f.value[0] + 2.1) < 1e-9);
	rig_free(&g);
}

static void
test_eval_cvd(void)
{
	struct rig g;
	char why[512];

	rig_init(&g, "set cooldown 0\ncv t:BTC-USD cvd over 2m > 5\n");
	candle(&g, 0, 100, 100, 10, 5);   /* delta 0 */
	candle(&g, 1, 100, 100, 10, 7);   /* +4: window 0 + 4 */
	CHECK_INT(g.f.n, 0);
	CHECK(g.rs.r[0].last_value == 4);
	candle(&g, 2, 100, 100, 10, 9);   /* +8: window (minutes 1, 2) 12 */
	CHECK_INT(g.f.n, 1);
	if (g.f.n == 1)
		CHECK(g.f.value[0] == 12);
	candle(&g, 3, 100, 100, 10, 1);   /* -8: window 0 */
	CHECK(g.rs.r[0].last_value == 0);
	candle(&g, 4, 100, 100, 10, 8);   /* +6: window -2 */
	candle(&g, 5, 100, 100, 10, 10);  /* +10: window 16 */
	CHECK_INT(g.f.n, 2);
	rig_free(&g);

	/* candles without a taker-buy volume cannot say */
	rig_init(&g, "cv t:BTC-USD cvd over 1m > 5\n");
	CHECK_INT(feed(&g, "candles/t/BTC-USD/1m",
	    "{\"t\":0,\"o\":1,\"h\":1,\"l\":1,\"c\":1,\"v\":10}"), 0);
	CHECK_INT(alert_engine_explain(&g.e, &g.rs.r[0], why, sizeof why), -1);
	CHECK(strstr(why, "no buy volume") != NULL);
	rig_free(&g);

	/* the buy/sell ratio over the same kind of window */
	rig_init(&g, "ra t:BTC-USD ratio over 2m >= 3\n");
	candle(&g, 0, 100, 100, 10, 5);
	candle(&g, 1, 100, 100, 10, 5);   /* 10 / 10 */
	CHECK_INT(g.f.n, 0);
	candle(&g, 2, 100, 100, 10, 10);  /* minutes 1-2: 15 / 5 */
	CHECK_INT(g.f.n, 1);
	if (g.f.n == 1)
		CHECK(g.f.value[0] == 3);
	rig_free(&g);
}

/* The sample standard deviation of the log returns of `n + 1` closes, in %. */
static double
stdev_pct(const double *c, int n)
{
	double r[16], mean = 0, var = 0;

	for (int i = 0; i < n; i++)
		mean += (r[i] = log(c[i + 1] / c[i]));
	mean /= n;
	for (int i = 0; i < n; i++)
		var += (r[i] - mean) * (r[i] - mean);
	return sqrt(var / (n - 1)) * 100;
}

static void
test_eval_volatility(void)
{
	static const double closes[] = { 100, 100.1, 100, 100.1, 102 };
	struct rig g;

	rig_init(&g, "vo t:BTC-USD volatility 3 1m > 1%\n");
	for (int i = 0; i < 3; i++)
		candle(&g, i, closes[i], closes[i], 1, 0.5);
	CHECK_INT(g.rs.r[0].have_value, 0); /* 3 returns need 4 candles */
	candle(&g, 3, closes[3], closes[3], 1, 0.5);
	CHECK_INT(g.rs.r[0].have_value, 1);
	CHECK(fabs(g.rs.r[0].last_value - stdev_pct(closes, 3)) < 1e-9);
	CHECK(g.rs.r[0].last_value < 1);
	CHECK_INT(g.f.n, 0);
	candle(&g, 4, closes[4], closes[4], 1, 0.5);
	CHECK_INT(g.f.n, 1);
	if (g.f.n == 1) {
		CHECK(fabs(g.f.value[0] - stdev_pct(closes + 1, 3)) < 1e-9);
		CHECK(g.f.value[0] > 1);
	}
	rig_free(&g);
}

static void
test_eval_volume(void)
{
	struct rig g;

	rig_init(&g, "vs t:BTC-USD volume 1m > 3x avg 2\n");
	candle(&g, 0, 100, 100, 10, 5);
	candle(&g, 1, 100, 100, 10, 5);
	CHECK_INT(g.rs.r[0].have_value, 0); /* two windows to average before this one */
	candle(&g, 2, 100, 100, 25, 5);
	CHECK(fabs(g.rs.r[0].last_value - 2.5) < 1e-9);
	CHECK_INT(g.f.n, 0);
	candle(&g, 2, 100, 100, 35, 5);
	CHECK_INT(g.f.n, 1);
	if (g.f.n == 1)
		CHECK(fabs(g.f.value[0] - 3.5) < 1e-9);
	/* the spike is now part of the average: minute 3 at 30 is 30 / 22.5 */
	candle(&g, 3, 100, 100, 30, 5);
	CHECK(fabs(g.rs.r[0].last_value - 30 / 22.5) < 1e-9);
	CHECK_INT(g.f.n, 1);
	rig_free(&g);
}

static void
test_eval_book(void)
{
	struct rig g;

	rig_init(&g, "set cooldown 0\nim t:BTC-USD imbalance within 1% > 0.5\n"
	    "sp t:BTC-USD spread > 20bps\n");
	/* a delta before any snapshot is not a book */
	CHECK_INT(feed(&g, "book/t/BTC-USD", "{\"type\":\"delta\",\"bids\":[[100,50]]}"), 0);
	CHECK_INT(g.rs.r[0].have_value, 0);
	feed(&g, "book/t/BTC-USD", "{\"type\":\"snapshot\",\"bids\":[[100,1],[98,100]],"
	    "\"asks\":[[100.1,1],[103,100]],\"ts\":1000000}");
	/* mid 100.05, band 99.0495..101.0505: the far levels do not count */
	CHECK(fabs(g.rs.r[0].last_value) < 1e-12);
	CHECK(fabs(g.rs.r[1].last_value - 0.1 / 100.05 * 1e4) < 1e-6);
	CHECK_INT(g.f.n, 0);
	feed(&g, "book/t/BTC-USD", "{\"type\":\"delta\",\"bids\":[[100,5]],\"ts\":2000000}");
	CHECK_INT(g.f.n, 1);
	if (g.f.n == 1) {
		CHECK_STR(g.f.rule[0], "im");
		CHECK(fabs(g.f.value[0] - 4.0 / 6) < 1e-12);
	}
	/* outside the band changes nothing */
	feed(&g, "book/t/BTC-USD", "{\"type\":\"delta\",\"bids\":[[98,1000]],\"ts\":3000000}");
	CHECK(fabs(g.rs.r[0].last_value - 4.0 / 6) < 1e-12);
	/* inside the band it does */
	feed(&g, "book/t/BTC-USD", "{\"type\":\"delta\",\"asks\":[[101,3]],\"ts\":4000000}");
	CHECK(fabs(g.rs.r[0].last_value - 1.0 / 9) < 1e-12);
	CHECK_INT(g.f.n, 1);
	/* the spread widens past 20 bps: 100 / 100.5 */
	feed(&g, "book/t/BTC-USD", "{\"type\":\"delta\",\"asks\":[[100.1,0],[100.5,2]],"
	    "\"ts\":5000000}");
	CHECK_INT(g.f.n, 2);
	if (g.f.n == 2) {
		CHECK_STR(g.f.rule[1], "sp");
		CHECK(fabs(g.f.value[1] - 0.5 / 100.25 * 1e4) < 1e-6);
	}
	/* a reset blinds both until the next snapshot */
	feed(&g, "book/t/BTC-USD", "{\"type\":\"reset\",\"reason\":\"gap\"}");
	g.rs.r[1].have_value = 0;
	feed(&g, "book/t/BTC-USD", "{\"type\":\"delta\",\"asks\":[[100.01,1]],\"ts\":6000000}");
	CHECK_INT(g.rs.r[1].have_value, 0);
	rig_free(&g);
}

static void
test_eval_jq(void)
{
	struct rig g;
	char why[512];

	rig_init(&g, "set cooldown 0\n"
	    "big t:BTC-USD jq trades '.qty * .px > 1000'\n"
	    "qty t:BTC-USD jq trades 'select(.qty > 2) | .qty'\n"
	    "err t:BTC-USD jq trades '.px.x'\n"
	    "cd t:BTC-USD jq trades '.side == \"sell\"' cooldown 1m\n");
	feed(&g, "trades/t/BTC-USD", "{\"px\":500,\"qty\":1,\"side\":\"buy\",\"ts\":1000000}");
	CHECK_INT(g.f.n, 0);
	feed(&g, "trades/t/BTC-USD", "{\"px\":500,\"qty\":3,\"side\":\"buy\",\"ts\":2000000}");
	CHECK_INT(g.f.n, 2);
	if (g.f.n == 2) {
		CHECK_STR(g.f.rule[0], "big");
		CHECK_STR(g.f.jvalue[0], "true");
		CHECK_STR(g.f.rule[1], "qty");
		CHECK_STR(g.f.jvalue[1], "3");
	}
	/* a jq error is no alert, and the rule is still evaluated */
	CHECK_INT(alert_rules_find(&g.rs, "err")->fired, 0);
	CHECK_INT(alert_rules_find(&g.rs, "err")->evals, 2);
	CHECK_INT(alert_engine_explain(&g.e, alert_rules_find(&g.rs, "err"), why, sizeof why), -1);
	CHECK(strstr(why, "the jq expression fails on the last message of "
	    "'trades/t/BTC-USD': Cannot index number with") != NULL);
	if (!strstr(why, "Cannot index"))
		printf("#   %s\n", why);
	CHECK_INT(alert_engine_explain(&g.e, alert_rules_find(&g.rs, "big"), why, sizeof why), 1);
	CHECK(strstr(why, "gives true: it would fire") != NULL);
	CHECK_INT(alert_engine_explain(&g.e, alert_rules_find(&g.rs, "cd"), why, sizeof why), 0);
	/* jq rules fire on every truthy message, within their cooldown */
	g.f.n = 0;
	feed(&g, "trades/t/BTC-USD", "{\"px\":1,\"qty\":1,\"side\":\"sell\",\"ts\":3000000}");
	feed(&g, "trades/t/BTC-USD", "{\"px\":1,\"qty\":1,\"side\":\"sell\",\"ts\":4000000}");
	feed(&g, "trades/t/BTC-USD", "{\"px\":1,\"qty\":1,\"side\":\"sell\",\"ts\":63000000}");
	CHECK_INT(g.f.n, 2);
	CHECK_INT(alert_rules_find(&g.rs, "cd")->suppressed, 1);
	/* a message that is not JSON is counted and skipped */
	CHECK_INT(feed(&g, "trades/t/BTC-USD", "{\"px\":"), -1);
	CHECK_INT(feed(&g, "trades/t/BTC-USD", "{\"qty\":1}"), -1);
	CHECK_INT(g.e.bad, 2);
	/* a topic no rule reads is ignored */
	CHECK_INT(feed(&g, "trades/t/ETH-USD", "{\"px\":1}"), 0);
	rig_free(&g);
}

int
main(void)
{
	ts_log_init("ts-alert");
	ts_log_set_level(TS_LOG_ERROR); /* jq errors are rate-limited warnings */
	RUN(test_parse_conditions);
	RUN(test_parse_options);
	RUN(test_parse_errors);
	RUN(test_eval_crossing);
	RUN(test_eval_cooldown);
	RUN(test_eval_change);
	RUN(test_eval_cvd);
	RUN(test_eval_volatility);
	RUN(test_eval_volume);
	RUN(test_eval_book);
	RUN(test_eval_jq);
	return DONE();
}
