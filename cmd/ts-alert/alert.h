/* alert.h: ts-alert's rules, market state, evaluation, persisted state and delivery */
#ifndef TS_ALERT_H
#define TS_ALERT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "book.h"
#include "dec.h"
#include "json.h"
#include "map.h"
#include "topic.h"

/* ---- rules (alert_rules.c) ---------------------------------------------- */

enum alert_kind {
	AK_PRICE_CROSS,  /* price crosses above|below LEVEL (last trade) */
	AK_MID_CROSS,    /* mid crosses above|below LEVEL (book) */
	AK_CHANGE,       /* change OP X% over DUR (candles) */
	AK_CVD,          /* cvd over DUR OP X (candles: 2*bv - v) */
	AK_CVD_LEVEL,    /* cvd level OP X (since 00:00 UTC) */
	AK_RATIO,        /* ratio over DUR OP X (buy / sell volume) */
	AK_VOLATILITY,   /* volatility N TF OP X% (stdev of log returns) */
	AK_VOLUME,       /* volume DUR OP Fx avg N (window vs its average) */
	AK_IMBALANCE,    /* imbalance within B% OP X (book, -1..1) */
	AK_SPREAD,       /* spread OP Xbps (book) */
	AK_JQ,           /* jq TOPIC 'EXPR' (any topic, truthy output fires) */
	AK_COUNT
};

enum alert_op { OP_GT, OP_GE, OP_LT, OP_LE, OP_ABOVE, OP_BELOW };

#define ALERT_ID_MAX 64
#define ALERT_MAX_NOTIFY 8
#define ALERT_COND_MAX 512

struct alert_rule {
	char id[ALERT_ID_MAX];
	char ex[32], sym[48];
	int line;                 /* where the rule starts in its file */
	int end_line;             /* its last (continuation) line */
	enum alert_kind kind;
	enum alert_op op;
	double threshold;         /* in the condition's unit (%, bps, ratio…) */
	struct ts_dec level;      /* crossing rules: the exact level */
	int64_t window_us;        /* lookback / window */
	int n;                    /* volatility: candles; volume: windows averaged */
	double band;              /* imbalance: fraction around the mid */
	char tf[8];               /* candle timeframe ("" when not candles) */
	int64_t tf_us;
	char *jq_text;            /* AK_JQ: the expression (owned) */
	void *jq;                 /* AK_JQ: compiled jq_state (owned) */
	char topic[TS_TOPIC_MAX]; /* the one topic this rule reads */
	int64_t cooldown_us;      /* -1: the file's default */
	int enabled;
	char *notify[ALERT_MAX_NOTIFY]; /* targets (owned) */
	int nnotify;
	char cond[ALERT_COND_MAX];      /* the condition as written, normalised */
	uint64_t hash;            /* market + condition: state is kept while equal */

	/* evaluation state (kept across reloads while hash is equal) */
	int st;                   /* -1 unknown, 0 false, 1 true */
	int64_t last_fired;       /* event time of the last alert, 0 never */
	uint64_t evals, fired, suppressed;
	double last_value;        /* the last value evaluated (for `test`) */
	int have_value;
};

/* File-wide settings (`set NAME VALUE` lines). Strings owned. */
struct alert_settings {
	int64_t cooldown_us;      /* default 1m */
	char *notify[ALERT_MAX_NOTIFY];
	int nnotify;
	char *smtp_url, *smtp_from, *smtp_user, *smtp_tls, *smtp_cacert;
};

struct alert_rules {
	struct alert_rule *r;
	size_t n, cap;
	struct alert_settings set;
	int errors;               /* lines rejected */
};

/* Parse rules text (a whole file). Errors go to `errf` (NULL: discarded) as
 * "FILE:LINE: message"; a bad rule is skipped and the others kept. jq
 * expressions are compiled when `compile_jq` is set. Returns 0; out->errors
 * counts the rules rejected. */
int alert_rules_parse(const char *text, size_t len, const char *file,
    int compile_jq, struct alert_rules *out, FILE *errf);
/* Read and parse a file; a missing file is an empty rule set. -1 (errno)
 * when it exists but cannot be read. */
int alert_rules_load(const char *path, int compile_jq, struct alert_rules *out,
    FILE *errf);
void alert_rules_free(struct alert_rules *rs);
struct alert_rule *alert_rules_find(struct alert_rules *rs, const char *id);
void alert_rule_free(struct alert_rule *r);

/* Parse one rule from argv-style words (`ts-alert add`). line 0. */
int alert_rule_from_words(char **w, int n, const char *file, int compile_jq,
    struct alert_rule *out, char *err, size_t errlen);
/* Write a rule as one line of the file format (quoted where needed),
 * without the newline; returns the length written (truncated to n-1). */
size_t alert_rule_format(const struct alert_rule *r, char *buf, size_t n);
const char *alert_kind_name(enum alert_kind k);

/* Default file locations (static buffers; NULL when there is no home
 * directory to put them in: see path.h). */
const char *alert_default_rules_path(void);
const char *alert_default_state_path(void);

/* Read a whole file (NUL-terminated, caller frees). NULL with errno. */
char *alert_read_file(const char *path, size_t *len);

/* Append rule r to the rules file (created when missing), atomically.
 * Returns 0; -1 (errno) when the file cannot be read or written; -2 when
 * a rule with r's id exists already (*line, when not NULL, says where). */
int alert_rules_file_add(const char *path, const struct alert_rule *r, int *line);
/* what "rm" removes rule id from the file, "enable" and "disable" set its
 * state. Returns 0 when the file changed, 1 when the rule was in that state
 * already, -1 (errno) on a file error, -2 when there is no such rule. */
int alert_rules_file_edit(const char *path, const char *what, const char *id);

/* Split one rule (its lines joined by newlines) into words the way the
 * rules file does: quotes, and # comments that end at the end of their
 * line; a newline inside quotes reads as a space. Words are NUL-terminated
 * copies in `buf`. Returns the count or -1 with *why set (unterminated
 * quote). */
int alert_split(const char *line, char *buf, size_t bufsize, char **words,
    int maxwords, const char **why);

/* ---- market state and evaluation (alert_eval.c) -------------------------- */

struct alert_candle {
	int64_t t;
	double o, h, l, c, v, bv;
};

struct alert_series {
	char tf[8];
	int64_t tf_us;
	struct alert_candle *c;
	size_t n, cap, keep;      /* keep: how many the rules need */
};

struct alert_market {
	char ex[32], sym[48];
	struct ts_dec last_px;
	int have_px;
	int64_t last_ts;
	struct ts_book book;
	int book_live;
	struct alert_series *series;
	size_t nseries;
};

struct alert_engine {
	struct ts_map markets;    /* "ex:sym" -> struct alert_market * */
	struct ts_map by_topic;   /* topic -> struct alert_topic * */
	struct alert_rules *rules;
	uint64_t msgs, bad, evals;
	int dirty;                /* a rule's persisted state changed */
};

/* A fired alert, as it goes to the bus and to delivery. */
struct alert_fire {
	const struct alert_rule *rule;
	double value;             /* when not exact */
	struct ts_dec dvalue;     /* crossing rules: the exact price */
	int exact;
	const char *jvalue;       /* jq: the output as JSON text */
	int64_t ts;
};

typedef void alert_fire_fn(const struct alert_fire *f, void *arg);

/* Bind an engine to a rule set: build the topic index and the market
 * state the rules need (kept for markets that stay). */
void alert_engine_bind(struct alert_engine *e, struct alert_rules *rs);
void alert_engine_free(struct alert_engine *e);
/* The topics the bound rules read (caller iterates, does not free). */
struct ts_map_entry *alert_engine_next_topic(struct alert_engine *e, size_t *i);
/* Feed one bus message: updates market state and evaluates the rules that
 * read this topic; fired alerts go to fn. `now_us` is the wall clock for
 * messages without an event time. Returns 0, or -1 when it was malformed
 * (counted in e->bad; `why` says what was wrong). */
int alert_engine_feed(struct alert_engine *e, const char *topic,
    const char *data, size_t len, int64_t now_us, alert_fire_fn *fn, void *arg,
    const char **why);
/* How many candles of its timeframe a candle rule reads (0 for others). */
size_t alert_rule_candles(const struct alert_rule *r);
/* Evaluate one rule against the current state without firing: 1 true,
 * 0 false, -1 not enough data. A sentence saying why goes to buf. */
int alert_engine_explain(struct alert_engine *e, struct alert_rule *r,
    char *buf, size_t n);

/* ---- persisted state (alert_state.c) ------------------------------------ */

/* Copy st/last_fired from the state file into rules whose id and hash
 * match. Missing file: nothing. */
void alert_state_load(const char *path, struct alert_rules *rs);
/* Write every rule's state atomically. 0 or -1. */
int alert_state_save(const char *path, const struct alert_rules *rs);

/* ---- delivery worker (alert_deliver.c) ---------------------------------- */

struct alert_delivery_opts {
	int64_t retry_base_us;    /* first backoff */
	int max_attempts;
	long timeout_ms;          /* per attempt */
};

/* Fork the worker before any ZeroMQ context exists. Returns the write end
 * of its pipe (non-blocking) and its pid, or -1. */
int alert_delivery_start(const struct alert_delivery_opts *o, int *pid);
/* Queue one alert for the given targets; settings give the SMTP details.
 * Returns 0, or -1 when the pipe is full (the alert is not delivered). */
int alert_delivery_queue(int fd, const char *alert_json, size_t len,
    char *const *targets, int ntargets, const struct alert_settings *set);
/* A human sentence for an alert (mail subject, chat text). */
size_t alert_text(const char *alert_json, size_t len, char *buf, size_t n);
/* Check a target's syntax: 0, or -1 with *why. */
int alert_target_valid(const char *t, const char **why);

#endif
