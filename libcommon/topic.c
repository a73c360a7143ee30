/* topic.c: topic grammar and exact matching over ZeroMQ's prefix matching */
#include "topic.h"
#include "tm.h"

#include <stdio.h>
#include <string.h>

static const char *const market_kinds[] = { "trades", "book", "candles", "alerts" };

static int
is_market(const char *kind)
{
	for (size_t i = 0; i < sizeof market_kinds / sizeof *market_kinds; i++)
		if (!strcmp(kind, market_kinds[i]))
			return 1;
	return 0;
}

int
ts_ex_valid(const char *ex)
{
	size_t n = strlen(ex);

	if (n == 0 || n > 31)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((ex[i] >= 'a' && ex[i] <= 'z') || (ex[i] >= '0' && ex[i] <= '9') ||
		    ex[i] == '_'))
			return 0;
	return 1;
}

static int
sym_part(const char *s, size_t n)
{
	if (n == 0 || n > 20)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* A dated future's expiry: YYMMDD with a month 01-12 and a day 01-31. */
static int
expiry_valid(const char *s, size_t n)
{
	int mm, dd;

	if (n != 6)
		return 0;
	for (size_t i = 0; i < 6; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	mm = (s[2] - '0') * 10 + (s[3] - '0');
	dd = (s[4] - '0') * 10 + (s[5] - '0');
	return mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31;
}

int
ts_sym_valid(const char *sym)
{
	const char *dash = strchr(sym, '-'), *quote, *tail;
	size_t n = strlen(sym);

	if (!dash || n >= TS_SYM_MAX || !sym_part(sym, (size_t)(dash - sym)))
		return 0;
	quote = dash + 1;
	tail = strchr(quote, '-');
	if (!tail)
		return sym_part(quote, strlen(quote));
	return sym_part(quote, (size_t)(tail - quote)) &&
	    (!strcmp(tail + 1, "PERP") || expiry_valid(tail + 1, strlen(tail + 1)));
}

static int
generic_seg(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 47)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	return 1;
}

static int
kind_valid(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > 23 || k[0] < 'a' || k[0] > 'z')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') ||
		    k[i] == '_'))
			return 0;
	return 1;
}

#define FAIL(msg) do { if (why) *why = (msg); return -1; } while (0)

/* Split s into at most 4 segments; returns their number, or -1. */
static int
split(const char *s, char seg[4][48])
{
	int n = 0;
	const char *p = s;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 4 || len >= 48)
			return -1;
		memcpy(seg[n], p, len);
		seg[n][len] = '\0';
		n++;
		if (!slash)
			return n;
		p = slash + 1;
	}
}

/* Check the first `n` segments; `complete` says whether the topic ends there. */
static int
check(char seg[4][48], int n, int complete, const char **why)
{
	int market;

	if (!kind_valid(seg[0]))
		FAIL("kind must be lowercase letters, digits or '_'");
	market = is_market(seg[0]);
	if (market) {
		if (n >= 2 && !ts_ex_valid(seg[1]))
			FAIL("exchange must be lowercase letters, digits or '_'");
		if (n >= 3 && !ts_sym_valid(seg[2]))
			FAIL("symbol must be BASE-QUOTE, BASE-QUOTE-PERP or BASE-QUOTE-YYMMDD in upper case");
		if (!complete && n >= (strcmp(seg[0], "candles") ? 3 : 4))
			FAIL("a wildcard ends with '/' before the last segment");
		if (!strcmp(seg[0], "candles")) {
			if (n >= 4 && ts_tf_us(seg[3]) < 0)
				FAIL("unknown timeframe");
			if (complete && n != 4)
				FAIL("candles topics are candles/EXCHANGE/SYMBOL/TIMEFRAME");
		} else if (n > 3 || (complete && n != 3)) {
			FAIL("market topics are KIND/EXCHANGE/SYMBOL");
		}
		return 0;
	}
	for (int i = 1; i < n; i++)
		if (!generic_seg(seg[i]))
			FAIL("segments must be letters, digits, '.', '_' or '-'");
	if (complete && n < 2)
		FAIL("a topic has at least two segments");
	return 0;
}

int
ts_topic_parse(const char *s, struct ts_topic *t, const char **why)
{
	char seg[4][48];
	int n;

	if (!s || !*s)
		FAIL("empty topic");
	if (strlen(s) >= TS_TOPIC_MAX)
		FAIL("topic too long");
	n = split(s, seg);
	if (n < 0)
		FAIL("too many or too long segments");
	if (check(seg, n, 1, why))
		return -1;
	if (t) {
		memset(t, 0, sizeof *t);
		snprintf(t->kind, sizeof t->kind, "%s", seg[0]);
		snprintf(t->ex, sizeof t->ex, "%s", seg[1]);
		if (n >= 3)
			snprintf(t->sym, sizeof t->sym, "%s", seg[2]);
		if (n >= 4)
			snprintf(t->tf, sizeof t->tf, "%s", seg[3]);
	}
	return 0;
}

int
ts_topic_valid_sub(const char *s, const char **why)
{
	char seg[4][48];
	size_t len;
	int n;

	if (!s || !*s)
		FAIL("empty topic");
	len = strlen(s);
	if (len >= TS_TOPIC_MAX)
		FAIL("topic too long");
	if (s[len - 1] != '/')
		return ts_topic_parse(s, NULL, why);
	n = split(s, seg); /* the last segment is the empty one after '/' */
	if (n < 0)
		FAIL("too many or too long segments");
	return check(seg, n - 1, 0, why);
}

size_t
ts_topic_build(char *buf, size_t n, const char *kind, const char *ex,
    const char *sym, const char *tf)
{
	int r = tf ? snprintf(buf, n, "%s/%s/%s/%s", kind, ex, sym, tf)
		   : snprintf(buf, n, "%s/%s/%s", kind, ex, sym);

	return r > 0 && (size_t)r < n ? (size_t)r : 0;
}

int
ts_topic_match(const char *sub, const char *topic, size_t len)
{
	size_t n = strlen(sub);

	if (n > len || memcmp(sub, topic, n))
		return 0;
	return n == len || (n > 0 && sub[n - 1] == '/');
}
