/* topic.h: the topic grammar KIND/EXCHANGE/SYMBOL[/TIMEFRAME] and exact matching */
#ifndef TS_TOPIC_H
#define TS_TOPIC_H

#include <stddef.h>

#define TS_TOPIC_MAX 192

/* A parsed topic. For status topics ("status/feed/coinbase",
 * "status/supervisor") ex holds the component and sym the optional name. */
struct ts_topic {
	char kind[48];
	char ex[48];
	char sym[48];
	char tf[48];
};

/* Parse and validate a complete topic (not a wildcard). Market kinds
 * (trades, book, candles, alerts) need a lowercase exchange and a canonical
 * symbol (ts_sym_valid: spot, perpetual or dated future); candles also a
 * timeframe of ts_tf_names. Other kinds (status, and any user-defined one) are 2 to 4 segments of [A-Za-z0-9._-].
 * Returns 0, or -1 with *why (if not NULL) saying what is wrong. */
int ts_topic_parse(const char *s, struct ts_topic *t, const char **why);

/* Validate a subscription: a complete topic, or a wildcard that ends in '/'
 * whose segments are valid so far ("trades/", "book/coinbase/"). */
int ts_topic_valid_sub(const char *s, const char **why);

/* Write "kind/ex/sym[/tf]" into buf; tf may be NULL. Returns the length, or
 * 0 when it does not fit. Does not validate. */
size_t ts_topic_build(char *buf, size_t n, const char *kind, const char *ex,
    const char *sym, const char *tf);

/* Does a message on `topic` (len bytes, not NUL-terminated) belong to the
 * subscription `sub`? ZeroMQ delivers by prefix, so "trades/coinbase/BTC-USD"
 * also receives "trades/coinbase/BTC-USDT"; this is exact unless sub ends in
 * '/', which is a deliberate prefix wildcard. */
int ts_topic_match(const char *sub, const char *topic, size_t len);

/* Room for a canonical symbol and its NUL: at most 47 characters, so it
 * fits a topic segment (struct ts_topic's sym). */
#define TS_SYM_MAX 48

/* Canonical symbol: BASE-QUOTE (spot), BASE-QUOTE-PERP (a perpetual swap)
 * or BASE-QUOTE-YYMMDD (a future expiring that day: month 01-12, day
 * 01-31); BASE and QUOTE each [A-Z0-9]{1,20}; at most TS_SYM_MAX - 1
 * characters in all. Sizes on every market are never contracts
 * (DESIGN.md): the grammar only names the instrument. */
int ts_sym_valid(const char *sym);
/* Exchange name: [a-z0-9_]{1,31}. */
int ts_ex_valid(const char *ex);

#endif
