/* ts-store: collect trades, candles and book samples into SQLite (and InfluxDB), query them, answer history requests */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <glib.h>

#include "bus.h"
#include "log.h"
#include "path.h"
#include "loop.h"
#include "msg.h"
#include "store.h"
#include "tm.h"
#include "topic.h"

static const char usage[] =
"usage: ts-store [collect] [OPTIONS] [TOPIC...]\n"
"       ts-store query TOPIC [--since T] [--until T] [--limit N] [--format json|csv]\n"
"       ts-store import [OPTIONS] FILE\n"
"       ts-store stats | gaps [--db FILE]\n"
"       ts-store prune [--retain KIND=AGE]...\n"
"       ts-store history TOPIC [--since T] [--until T] [--limit N] [-B ENDPOINT]\n"
"\n"
"collect (the default) subscribes to TOPICs (default: [store] topics of the config, else\n"
"trades/ candles/ book/) and stores trades (once per exchange, symbol and\n"
"id), closed candles (upserted) and order-book samples in SQLite (WAL),\n"
"batched in transactions; it answers history requests on the bus and\n"
"reports on status/store. query streams stored rows as JSON lines in the\n"
"bus schema (or CSV). import loads trade or candle JSON lines (ts-cat or\n"
"TOPIC<tab>JSON lines). stats shows what is stored per market; gaps the\n"
"ranges that were missed; prune applies retention now. history asks a\n"
"running collector's history service. Times T: RFC 3339, now, -DURATION\n"
"(-1h, -7d) or integer microseconds.\n"
"\n"
"  -B, --bus ENDPOINT     bus directory, ipc://DIR or tcp://HOST:PORT\n"
"  -c, --config FILE      config: [store] keys named as these options, topics,\n"
"                         retain-KIND (default $XDG_CONFIG_HOME/tradesuite/store.ini)\n"
"  -d, --db FILE          database (default $XDG_DATA_HOME/tradesuite/store.db)\n"
"      --since T          query from T (inclusive; default: the beginning)\n"
"      --until T          query to T (exclusive; default: no end)\n"
"  -n, --limit N          only the last N rows of the range\n"
"  -f, --format FMT       json (default) or csv\n"
"      --batch N          rows per transaction at most (default 10000)\n"
"      --flush DURATION   commit at least this often (default 100ms)\n"
"      --book-hz HZ       book sample rate (default 10)\n"
"      --book-bins N      depth bins per side (default 10; the outer one takes the rest)\n"
"      --book-bin-bps N   width of a depth bin in basis points (default 5)\n"
"      --book-levels N    also keep the top N raw levels per side (default 0)\n"
"      --retain KIND=AGE  retention: trades (30d), candles (forever), book (90d),\n"
"                         book-thin (1d: older samples are thinned), book-thin-every (1m)\n"
"      --influx URL       also write InfluxDB line protocol to URL (http://HOST:8086)\n"
"      --influx-db DB     InfluxDB 1.x database (default tradesuite)\n"
"      --influx-org ORG   InfluxDB 2.x organisation (with --influx-bucket; token\n"
"                         from $TS_INFLUX_TOKEN)\n"
"      --influx-bucket B  InfluxDB 2.x bucket\n"
"      --influx-spool DIR spool for points the server has not taken yet\n"
"                         (default $XDG_STATE_HOME/tradesuite/influx-spool)\n"
"      --influx-spool-max MIB  spool size limit (default 256)\n"
"      --influx-wait DURATION  import: wait this long for the spool to drain (30s)\n"
"      --no-db            import: write to InfluxDB only\n"
"      --status DURATION  collect: status/store interval (default 1s)\n"
"  -w, --wait DURATION    history: wait this long for the reply (default 5s)\n"
"  -q, --quiet            import: no progress bar\n"
"      --insecure         allow a tcp bus on a non-loopback address\n"
"  -h, --help             show this help\n"
"      --version          show the version\n"
"\n"
"Exit status: 0 success; 100 usage error, bad config, or bad input lines\n"
"(import: the good ones were stored); 111 system error (database, bus).\n";

struct opts {
	const char *bus, *config, *db, *since, *until;
	long limit;
	enum store_fmt fmt;
	long batch;
	int64_t flush_us, status_us, influx_wait_us, wait_us;
	double book_hz;
	struct books_conf book;
	struct store_retention ret;
	struct influx_conf ix;
	int have_influx, no_db, quiet, insecure, topics_owned;
	char **topics;
	int ntopics;
	GKeyFile *kf;
	char **owned;   /* strings from the config, freed at exit */
	size_t nowned, capowned;
};

/* Keep a copy of a config value for as long as the options live. */
static char *
keep(struct opts *o, const char *v)
{
	ts_xgrow((void **)&o->owned, &o->capowned, o->nowned + 1, sizeof *o->owned);
	return o->owned[o->nowned++] = ts_xstrdup(v);
}

static void
opts_free(struct opts *o)
{
	for (size_t i = 0; i < o->nowned; i++)
		free(o->owned[i]);
	free(o->owned);
	if (o->topics_owned)
		free(o->topics);
	if (o->kf)
		g_key_file_free(o->kf);
}

enum {
	O_SINCE = 256, O_UNTIL, O_BATCH, O_FLUSH, O_BOOK_HZ, O_BOOK_BINS, O_BOOK_BPS,
	O_BOOK_LEVELS, O_RETAIN, O_INFLUX, O_INFLUX_DB, O_INFLUX_ORG, O_INFLUX_BUCKET,
	O_INFLUX_SPOOL, O_INFLUX_SPOOL_MAX, O_INFLUX_WAIT, O_NO_DB, O_STATUS, O_INSECURE,
};

static const struct option long_opts[] = {
	{ "bus", required_argument, NULL, 'B' },
	{ "config", required_argument, NULL, 'c' },
	{ "db", required_argument, NULL, 'd' },
	{ "since", required_argument, NULL, O_SINCE },
	{ "until", required_argument, NULL, O_UNTIL },
	{ "limit", required_argument, NULL, 'n' },
	{ "format", required_argument, NULL, 'f' },
	{ "batch", required_argument, NULL, O_BATCH },
	{ "flush", required_argument, NULL, O_FLUSH },
	{ "book-hz", required_argument, NULL, O_BOOK_HZ },
	{ "book-bins", required_argument, NULL, O_BOOK_BINS },
	{ "book-bin-bps", required_argument, NULL, O_BOOK_BPS },
	{ "book-levels", required_argument, NULL, O_BOOK_LEVELS },
	{ "retain", required_argument, NULL, O_RETAIN },
	{ "influx", required_argument, NULL, O_INFLUX },
	{ "influx-db", required_argument, NULL, O_INFLUX_DB },
	{ "influx-org", required_argument, NULL, O_INFLUX_ORG },
	{ "influx-bucket", required_argument, NULL, O_INFLUX_BUCKET },
	{ "influx-spool", required_argument, NULL, O_INFLUX_SPOOL },
	{ "influx-spool-max", required_argument, NULL, O_INFLUX_SPOOL_MAX },
	{ "influx-wait", required_argument, NULL, O_INFLUX_WAIT },
	{ "no-db", no_argument, NULL, O_NO_DB },
	{ "status", required_argument, NULL, O_STATUS },
	{ "wait", required_argument, NULL, 'w' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "insecure", no_argument, NULL, O_INSECURE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0, 0, 0, 0 },
};

/* The line of KEY in FILE's [store] section (GKeyFile keeps none), 0 when
 * it cannot be told. */
static int
key_line(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int n = 0, in = 0, found = 0;
	size_t kl = strlen(key);

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		char *p = line;
		n++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[')
			in = !strncmp(p, "[store]", 7);
		else if (in && !strncmp(p, key, kl) && strchr(" \t=", p[kl]))
			found = n;
	}
	fclose(f);
	return found;
}

/* Where the option being set comes from: NULL for the command line, else
 * the config file and the key (its line is looked up only for an error). */
static const char *opt_file, *opt_key;

__attribute__((noreturn, format(printf, 1, 2))) static void
bad_opt(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (opt_file)
		ts_die(TS_EXIT_USAGE, "%s:%d: %s", opt_file, key_line(opt_file, opt_key), msg);
	ts_usage_error(NULL, "%s", msg);
}

static long
num_arg(const char *name, const char *v, long lo, long hi)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < lo || n > hi)
		bad_opt("bad %s%s '%s': expected a number from %ld to %ld",
		    opt_file ? "" : "--", name, v,
		    lo, hi);
	return n;
}

static int64_t
dur_arg(const char *name, const char *v)
{
	int64_t us;

	if (ts_duration_parse(v, &us) < 0 || us <= 0)
		bad_opt("bad %s%s '%s': expected a duration such as 100ms or 5s",
		    opt_file ? "" : "--", name, v);
	return us;
}

/* One option, from the command line or the config file (same names).
 * Strings from the config are kept by the GKeyFile until exit. */
static void
set_opt(struct opts *o, int c, const char *name, const char *v)
{
	switch (c) {
	case 'B': o->bus = v; break;
	case 'c': o->config = v; break;
	case 'd': o->db = v; break;
	case O_SINCE: o->since = v; break;
	case O_UNTIL: o->until = v; break;
	case 'n': o->limit = num_arg(name, v, 1, 1000000000L); break;
	case 'f':
		if (!strcmp(v, "json"))
			o->fmt = STORE_JSON;
		else if (!strcmp(v, "csv"))
			o->fmt = STORE_CSV;
		else
			bad_opt("bad --format '%s': expected json or csv", v);
		break;
	case O_BATCH: o->batch = num_arg(name, v, 1, 1000000); break;
	case O_FLUSH: o->flush_us = dur_arg(name, v); break;
	case O_BOOK_HZ:
		o->book_hz = strtod(v, NULL);
		if (!(o->book_hz > 0 && o->book_hz <= 1000))
			bad_opt("bad %s%s '%s': expected 0 < HZ <= 1000",
			    opt_file ? "" : "--", name, v);
		break;
	case O_BOOK_BINS: o->book.nbins = (int)num_arg(name, v, 1, 1000); break;
	case O_BOOK_BPS: o->book.bin_bps = (int)num_arg(name, v, 1, 10000); break;
	case O_BOOK_LEVELS: o->book.levels = (int)num_arg(name, v, 0, 1000); break;
	case O_RETAIN:
		if (store_retention_set(&o->ret, v) < 0)
			bad_opt("bad --retain '%s': expected KIND=AGE or KIND=forever "
			    "(KIND: trades, candles, book, book-thin, book-thin-every)", v);
		break;
	case O_INFLUX: o->ix.url = v; o->have_influx = 1; break;
	case O_INFLUX_DB: o->ix.db = v; break;
	case O_INFLUX_ORG: o->ix.org = v; break;
	case O_INFLUX_BUCKET: o->ix.bucket = v; break;
	case O_INFLUX_SPOOL: o->ix.spool_dir = v; break;
	case O_INFLUX_SPOOL_MAX:
		o->ix.spool_max = (size_t)num_arg(name, v, 1, 1 << 20) << 20;
		break;
	case O_INFLUX_WAIT: o->influx_wait_us = dur_arg(name, v); break;
	case O_NO_DB: o->no_db = 1; break;
	case O_STATUS: o->status_us = dur_arg(name, v); break;
	case 'w': o->wait_us = dur_arg(name, v); break;
	case 'q': o->quiet = 1; break;
	case O_INSECURE: o->insecure = 1; break;
	}
}

/* Apply the [store] section: each key is a long option's name, plus
 * "topics" (separated by spaces, commas or semicolons) and retain-KIND. */
static void
load_config(struct opts *o, const char *path, int must_exist)
{
	GError *gerr = NULL;
	gchar **keys;

	o->kf = g_key_file_new();
	if (!g_key_file_load_from_file(o->kf, path, G_KEY_FILE_NONE, &gerr)) {
		if (must_exist || !g_error_matches(gerr, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			ts_die(TS_EXIT_USAGE, "cannot read config '%s': %s", path, gerr->message);
		g_error_free(gerr);
		return;
	}
	keys = g_key_file_get_keys(o->kf, "store", NULL, NULL);
	for (gchar **k = keys; k && *k; k++) {
		gchar *v = g_key_file_get_string(o->kf, "store", *k, NULL);
		const struct option *lo;
		if (!v)
			continue;
		g_strstrip(v);
		if (!strcmp(*k, "topics")) {
			gchar **parts = g_strsplit_set(v, " ,;\t", -1);
			for (gchar **p = parts; *p; p++) {
				if (!**p)
					continue;
				o->topics = ts_xrealloc(o->topics, sizeof *o->topics * (size_t)(o->ntopics + 2));
				o->topics[o->ntopics++] = keep(o, *p);
				o->topics_owned = 1;
			}
			g_strfreev(parts);
			g_free(v);
			continue;
		}
		if (!strncmp(*k, "retain-", 7)) {
			char spec[256];
			snprintf(spec, sizeof spec, "%s=%s", *k + 7, v);
			if (store_retention_set(&o->ret, spec) < 0)
				ts_die(TS_EXIT_USAGE, "%s:%d: bad %s '%s'", path, key_line(path, *k), *k, v);
			g_free(v);
			continue;
		}
		for (lo = long_opts; lo->name; lo++)
			if (!strcmp(lo->name, *k))
				break;
		if (!lo->name || lo->val == 'c' || lo->val == 'h' || lo->val == 'V')
			ts_die(TS_EXIT_USAGE, "%s:%d: unknown key '%s' in [store]", path,
			    key_line(path, *k), *k);
		if (lo->has_arg == no_argument) {
			if (strcmp(v, "true") && strcmp(v, "1")) {
				g_free(v);
				continue;
			}
		}
		opt_file = path;
		opt_key = *k;
		set_opt(o, lo->val, lo->name, keep(o, v));
		opt_file = NULL;
		g_free(v);
	}
	g_strfreev(keys);
}

static void
parse_opts(struct opts *o, int argc, char **argv)
{
	char path[PATH_MAX];
	const char *cfg = NULL;
	int c;

	o->batch = 10000;
	o->flush_us = 100000;
	o->status_us = TS_US_PER_SEC;
	o->influx_wait_us = 30 * TS_US_PER_SEC;
	o->wait_us = 5 * TS_US_PER_SEC;
	o->book_hz = 10;
	o->book.nbins = 10;
	o->book.bin_bps = 5;
	store_retention_default(&o->ret);
	/* the config first, so the command line wins */
	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
			cfg = argv[i + 1];
		else if (!strncmp(argv[i], "--config=", 9))
			cfg = argv[i] + 9;
	}
	if (cfg) {
		load_config(o, cfg, 1);
	} else {
		if (ts_xdg_path(TS_XDG_CONFIG, "store.ini", path, sizeof path) == 0)
			load_config(o, path, 0);
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "B:c:d:n:f:w:qh", long_opts, NULL)) != -1) {
		const char *name = "";
		if (c == 'h') {
			fputs(usage, stdout);
			exit(0);
		}
		if (c == 'V')
			ts_version(NULL);
		if (c == '?')
			ts_usage_error(NULL, NULL);
		for (const struct option *lo = long_opts; lo->name; lo++)
			if (lo->val == c)
				name = lo->name;
		set_opt(o, c, name, optarg);
	}
}

static void
db_path(const struct opts *o, char *buf, size_t n, int make)
{
	if (o->db) {
		snprintf(buf, n, "%s", o->db);
		return;
	}
	if (store_default_path(buf, n, make) < 0)
		ts_die_errno(TS_EXIT_TEMP, "cannot make the data directory for the store");
}

static void
open_db(struct store *s, const struct opts *o, int readonly)
{
	char path[PATH_MAX], err[PATH_MAX + 200];

	db_path(o, path, sizeof path, !readonly);
	if (readonly && access(path, F_OK) < 0)
		ts_die(TS_EXIT_USAGE, "no database at '%s' (nothing collected yet?)", path);
	if (store_open(s, path, readonly, err, sizeof err) < 0)
		ts_die(TS_EXIT_TEMP, "%s", err);
}

static void
resolve_bus(const struct opts *o, struct ts_bus_ep *ep)
{
	char err[256];

	if (ts_bus_resolve(o->bus, ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	if (!ts_bus_is_safe(ep) && !o->insecure)
		ts_die(TS_EXIT_USAGE, "refusing a tcp bus on non-loopback '%s' without "
		    "CURVE keys (see ts-supervisor keygen; --insecure allows it "
		    "unencrypted)", ep->host);
}

/* ---------------------------------------------------------------- collect */

struct coll {
	struct opts *o;
	struct store s;
	struct influx *ix;
	struct books *books;
	struct ts_loop *l;
	void *sub, *rep;
	struct ts_pub pub;
	struct ts_seqcheck seq;
	struct ts_ratelimit bad_rl, gap_rl;
	struct ts_jw w;
	uint64_t msgs, bad, gaps, missing, lost;
	uint64_t last_missing, last_lost, last_dropped;
	int64_t last_rt_lag;
	char last_topic[TS_TOPIC_MAX];
	struct ts_topic last_tp;
	int behind;
};

static int
wanted(const struct coll *c, const struct ts_msg *m)
{
	for (int i = 0; i < c->o->ntopics; i++)
		if (ts_topic_match(c->o->topics[i], m->topic, m->topic_len))
			return 1;
	return 0;
}

static void
commit(struct coll *c)
{
	store_commit(&c->s); /* a failure is counted in c->s.st.lost */
}

static void
bad_msg(struct coll *c, const struct ts_msg *m, const char *why)
{
	c->bad++;
	ts_warn_rl(&c->bad_rl, "bad message on '%s': %s; skipped", m->topic, why);
}

static void
keep_trade(struct coll *c, const struct store_trade *t)
{
	if (t->has_rt)
		c->last_rt_lag = ts_now_us() - t->rt;
	/* without a sink that wants only new trades, the bulk path (a failed
	 * flush is counted in c->s.st.lost) */
	if (!c->ix) {
		store_trade_queue(&c->s, t);
		return;
	}
	switch (store_trade(&c->s, t)) {
	case 1:
		if (c->ix)
			influx_trade(c->ix, t);
		break;
	case -1:
		c->lost++;
		break;
	}
}

static void
on_trade(struct coll *c, const struct ts_msg *m, const struct ts_topic *tp,
    const struct ts_jval *obj)
{
	struct store_trade t;
	const char *why;

	if (store_parse_trade(obj, tp->ex, tp->sym, &t, &why) < 0) {
		bad_msg(c, m, why);
		return;
	}
	keep_trade(c, &t);
}

static void
one_candle(struct coll *c, const struct ts_msg *m, const struct ts_topic *tp,
    const struct ts_jval *obj)
{
	struct store_candle k;
	const char *why;

	if (store_parse_candle(obj, tp->ex, tp->sym, tp->tf, &k, &why) < 0) {
		bad_msg(c, m, why);
		return;
	}
	if (!k.closed)
		return; /* an open candle changes until it closes */
	if (store_candle(&c->s, &k) < 0)
		c->lost++;
	else if (c->ix)
		influx_candle(c->ix, &k);
}

static void
on_candle(struct coll *c, const struct ts_msg *m, const struct ts_topic *tp,
    const struct ts_jval *obj)
{
	struct ts_jval type, arr, el;
	struct ts_jiter it;

	if (!ts_json_get(obj, "type", &type) && ts_json_str_eq(&type, "history")) {
		if (ts_json_get(obj, "candles", &arr) || arr.type != TS_J_ARR) {
			bad_msg(c, m, "history without a \"candles\" array");
			return;
		}
		ts_json_iter(&it, &arr);
		while (ts_json_next(&it, NULL, &el))
			one_candle(c, m, tp, &el);
		return;
	}
	one_candle(c, m, tp, obj);
}

static void
check_seq(struct coll *c, const struct ts_msg *m, uint64_t seq)
{
	uint64_t missing;

	if (ts_seqcheck(&c->seq, m->topic, seq, &missing) != TS_SEQ_GAP)
		return;
	c->gaps++;
	c->missing += missing;
	ts_warn_rl(&c->gap_rl, "gap in '%s': %" PRIu64 " messages missing before seq %"
	    PRIu64, m->topic, missing, seq);
	store_gap(&c->s, m->topic, -1, ts_now_us(), (int64_t)missing, "seq");
}

static void
on_message(struct coll *c, const struct ts_msg *m)
{
	struct ts_topic tp;
	struct ts_jval obj, v;
	const char *why;
	int64_t seq;

	/* a busy topic repeats: parse it once */
	if (strcmp(m->topic, c->last_topic)) {
		if (ts_topic_parse(m->topic, &c->last_tp, &why) < 0) {
			c->last_topic[0] = '\0';
			bad_msg(c, m, why);
			return;
		}
		memcpy(c->last_topic, m->topic, m->topic_len + 1);
	}
	tp = c->last_tp;
	/* a flat trade is parsed and validated in one pass */
	if (!strcmp(tp.kind, "trades")) {
		struct store_trade t;
		int has_seq, r = store_scan_trade(m->data, m->len, tp.ex, tp.sym, &t, &seq,
		    &has_seq, &why);
		if (r != -2) {
			c->msgs++;
			if (has_seq)
				check_seq(c, m, (uint64_t)seq);
			if (r < 0)
				bad_msg(c, m, why);
			else
				keep_trade(c, &t);
			if (c->s.pending >= c->o->batch)
				commit(c);
			return;
		}
	}
	if (ts_json_parse(m->data, m->len, &obj, NULL) < 0 || obj.type != TS_J_OBJ) {
		bad_msg(c, m, "not a JSON object");
		return;
	}
	c->msgs++;
	if (!ts_json_get(&obj, "seq", &v) && !ts_json_i64(&v, &seq))
		check_seq(c, m, (uint64_t)seq);
	if (!strcmp(tp.kind, "trades"))
		on_trade(c, m, &tp, &obj);
	else if (!strcmp(tp.kind, "candles"))
		on_candle(c, m, &tp, &obj);
	else if (!strcmp(tp.kind, "book")) {
		if (books_apply(c->books, tp.ex, tp.sym, &obj) < 0)
			bad_msg(c, m, "malformed book message (book dropped until the next snapshot)");
	}
	if (c->s.pending >= c->o->batch)
		commit(c);
}

static void
on_sub(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct coll *c = arg;
	struct ts_msg m;

	(void)l, (void)fd, (void)rev;
	/* a bounded drain, so timers (flush, samples, status) keep their pace */
	for (int i = 0; i < 50000; i++) {
		if (ts_msg_recv(sock, &m, ZMQ_DONTWAIT) < 0) {
			if (errno == EPROTO)
				continue;
			break;
		}
		if (wanted(c, &m))
			on_message(c, &m);
		ts_msg_close(&m);
	}
}

static void
on_rep(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct coll *c = arg;
	zmq_msg_t req;
	int more = 0;
	size_t sz = sizeof more;

	(void)l, (void)fd, (void)rev;
	zmq_msg_init(&req);
	if (zmq_msg_recv(&req, sock, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&req);
		return;
	}
	zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
	ts_jw_reset(&c->w);
	if (more) {
		while (more) { /* a request is one frame */
			zmq_msg_t x;
			zmq_msg_init(&x);
			zmq_msg_recv(&x, sock, 0);
			zmq_msg_close(&x);
			zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
		}
		store_history_answer(&c->s, "", 0, &c->w);
	} else {
		store_history_answer(&c->s, zmq_msg_data(&req), zmq_msg_size(&req), &c->w);
	}
	zmq_msg_close(&req);
	if (zmq_send(sock, c->w.buf, c->w.len, 0) < 0)
		ts_warn("cannot answer a history request: %s", zmq_strerror(errno));
}

static void
on_flush(struct ts_loop *l, unsigned id, void *arg)
{
	struct coll *c = arg;

	(void)l, (void)id;
	if (c->s.in_txn && ts_mono_us() - c->s.txn_mono >= c->o->flush_us / 2)
		commit(c);
}

static void
on_sample(struct ts_loop *l, unsigned id, void *arg)
{
	struct coll *c = arg;

	(void)l, (void)id;
	books_sample(c->books, &c->s, c->ix, ts_now_us());
}

static void
on_influx(struct ts_loop *l, unsigned id, void *arg)
{
	struct coll *c = arg;

	(void)id;
	influx_tick(c->ix, ts_loop_now(l));
}

static void
on_prune(struct ts_loop *l, unsigned id, void *arg)
{
	struct coll *c = arg;
	uint64_t n;

	(void)l, (void)id;
	if (store_prune(&c->s, &c->o->ret, ts_now_us(), &n) == 0 && n)
		ts_info("retention: deleted %" PRIu64 " rows", n);
}

static void
on_status(struct ts_loop *l, unsigned id, void *arg)
{
	struct coll *c = arg;
	struct ts_jw *w = &c->w;
	struct influx_stats is = { 0 };
	int behind;

	(void)l, (void)id;
	if (c->ix)
		influx_stats(c->ix, &is);
	/* behind: the bus dropped messages (seq gaps), the database refused
	 * rows, a commit took longer than the flush interval, or the influx
	 * spool overflowed */
	uint64_t lost = c->lost + c->s.st.lost;

	behind = c->missing > c->last_missing || lost > c->last_lost ||
	    is.dropped > c->last_dropped || c->s.st.commit_us_last > c->o->flush_us;
	if (behind && !c->behind)
		ts_warn("falling behind: %" PRIu64 " messages missed on the bus, %" PRIu64
		    " rows not stored, last commit took %" PRId64 " ms", c->missing, lost,
		    c->s.st.commit_us_last / 1000);
	c->behind = behind;
	c->last_missing = c->missing;
	c->last_lost = lost;
	c->last_dropped = is.dropped;
	ts_jw_reset(w);
	ts_jw_obj(w);
	ts_jw_kstr(w, "state", behind ? "behind" : "ok");
	ts_jw_kstr(w, "db", c->s.path);
	ts_jw_ki64(w, "msgs", (int64_t)c->msgs);
	ts_jw_ki64(w, "trades", (int64_t)c->s.st.trades);
	ts_jw_ki64(w, "dups", (int64_t)c->s.st.dups);
	ts_jw_ki64(w, "candles", (int64_t)c->s.st.candles);
	ts_jw_ki64(w, "books", (int64_t)c->s.st.books);
	ts_jw_ki64(w, "bad", (int64_t)c->bad);
	ts_jw_ki64(w, "gaps", (int64_t)c->gaps);
	ts_jw_ki64(w, "missing", (int64_t)c->missing);
	ts_jw_ki64(w, "lost", (int64_t)lost);
	ts_jw_ki64(w, "commits", (int64_t)c->s.st.commits);
	ts_jw_ki64(w, "commit_us", c->s.st.commit_us_last);
	ts_jw_ki64(w, "commit_us_max", c->s.st.commit_us_max);
	ts_jw_ki64(w, "lag_us", c->last_rt_lag);
	if (c->ix) {
		ts_jw_key(w, "influx");
		ts_jw_obj(w);
		ts_jw_kbool(w, "up", is.up);
		ts_jw_ki64(w, "points", (int64_t)is.points);
		ts_jw_ki64(w, "sent", (int64_t)is.sent);
		ts_jw_ki64(w, "spooled_bytes", (int64_t)is.spooled_bytes);
		ts_jw_ki64(w, "spooled_batches", (int64_t)is.spooled_files);
		ts_jw_ki64(w, "dropped", (int64_t)is.dropped);
		ts_jw_obj_end(w);
	}
	ts_jw_obj_end(w);
	ts_pub_send(&c->pub, "status/store", w);
}

static void
on_stop(struct ts_loop *l, int signo, void *arg)
{
	(void)signo, (void)arg;
	ts_loop_stop(l);
}

/* The history service's socket file on an ipc bus (ep->history is
 * "ipc://" plus this path). */
static void
remove_history_socket(const struct ts_bus_ep *ep)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof path, "%s/history", ep->dir) < (int)sizeof path)
		unlink(path);
}

static int
cmd_collect(struct opts *o, int argc, char **argv)
{
	static char *defaults[] = { "trades/", "candles/", "book/", NULL };
	struct coll c = { .o = o, .bad_rl = TS_RATELIMIT_INIT(1, 10),
	    .gap_rl = TS_RATELIMIT_INIT(1, 10) };
	struct ts_bus_ep ep;
	char hist[300], lock[PATH_MAX + 8];
	const char *why;
	int lockfd, zero = 0;

	if (optind < argc) {
		if (o->topics_owned)
			free(o->topics); /* the command line wins over the config */
		o->topics_owned = 0;
		o->topics = argv + optind;
		o->ntopics = argc - optind;
	} else if (!o->ntopics) {
		o->topics = defaults;
		o->ntopics = 3;
	}
	for (int i = 0; i < o->ntopics; i++) {
		if (ts_topic_valid_sub(o->topics[i], &why) < 0)
			ts_die(TS_EXIT_USAGE, "bad topic '%s': %s", o->topics[i], why);
		if (strncmp(o->topics[i], "trades/", 7) && strncmp(o->topics[i], "candles/", 8) &&
		    strncmp(o->topics[i], "book/", 5))
			ts_die(TS_EXIT_USAGE, "cannot store '%s': only trades/, candles/ and "
			    "book/ topics are stored", o->topics[i]);
	}
	resolve_bus(o, &ep);
	if (store_history_endpoint(&ep, hist, sizeof hist) < 0)
		ts_die(TS_EXIT_USAGE, "no history endpoint for bus '%s'", ep.sub);
	if (o->have_influx) {
		char err[PATH_MAX + 200];
		if (!(c.ix = influx_new(&o->ix, err, sizeof err)))
			ts_die(TS_EXIT_USAGE, "%s", err);
	}
	open_db(&c.s, o, 0);
	/* one collector per database: a second would only fight for the lock */
	snprintf(lock, sizeof lock, "%s.lock", c.s.path);
	if ((lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		ts_die_errno(TS_EXIT_TEMP, "cannot open '%s'", lock);
	if (flock(lockfd, LOCK_EX | LOCK_NB) < 0)
		ts_die(TS_EXIT_TEMP, "another collector is using '%s'", c.s.path);
	if (store_run_start(&c.s, ts_now_us()) < 0)
		ts_die(TS_EXIT_TEMP, "cannot record this run in '%s': %s", c.s.path,
		    sqlite3_errmsg(c.s.db));
	c.books = books_new(&o->book);

	signal(SIGPIPE, SIG_IGN);
	c.l = ts_loop_new();
	ts_loop_signal(c.l, SIGINT, on_stop, NULL);
	ts_loop_signal(c.l, SIGTERM, on_stop, NULL);
	{
		char err[300];
		if (ts_bus_mkdir(&ep, err, sizeof err) < 0)
			ts_die(TS_EXIT_TEMP, "%s", err);
	}
	c.sub = ts_bus_sub(&ep);
	c.pub.sock = ts_bus_pub(&ep);
	c.rep = zmq_socket(ts_bus_ctx(), ZMQ_REP);
	zmq_setsockopt(c.rep, ZMQ_LINGER, &zero, sizeof zero);
	ts_bus_secure(c.rep, 1);
	if (!ep.tcp)
		remove_history_socket(&ep); /* a killed collector's (we hold the lock) */
	if (zmq_bind(c.rep, hist) < 0) {
		ts_warn("cannot serve history on '%s': %s; continuing without", hist,
		    zmq_strerror(errno));
		zmq_close(c.rep);
		c.rep = NULL;
	}
	for (int i = 0; i < o->ntopics; i++)
		ts_bus_subscribe(c.sub, o->topics[i]);
	ts_loop_add(c.l, c.sub, -1, ZMQ_POLLIN, on_sub, &c);
	if (c.rep)
		ts_loop_add(c.l, c.rep, -1, ZMQ_POLLIN, on_rep, &c);
	ts_loop_timer(c.l, o->flush_us / 2, o->flush_us / 2, on_flush, &c);
	ts_loop_timer(c.l, (int64_t)(1e6 / o->book_hz), (int64_t)(1e6 / o->book_hz), on_sample, &c);
	ts_loop_timer(c.l, o->status_us, o->status_us, on_status, &c);
	ts_loop_timer(c.l, 1000, 3600 * TS_US_PER_SEC, on_prune, &c);
	if (c.ix)
		ts_loop_timer(c.l, 20000, 20000, on_influx, &c);
	ts_info("collecting %d topic%s into '%s'; history on '%s'", o->ntopics,
	    o->ntopics == 1 ? "" : "s", c.s.path, c.rep ? hist : "(none)");

	if (ts_loop_run(c.l) < 0)
		ts_die_errno(TS_EXIT_TEMP, "poll failed");

	books_sample(c.books, &c.s, c.ix, ts_now_us());
	commit(&c);
	store_run_stop(&c.s, ts_now_us());
	ts_info("stopped: %" PRIu64 " trades (%" PRIu64 " duplicates), %" PRIu64 " candles, %"
	    PRIu64 " book samples, %" PRIu64 " bad messages, %" PRIu64 " missed on the bus",
	    c.s.st.trades, c.s.st.dups, c.s.st.candles, c.s.st.books, c.bad, c.missing);
	influx_free(&c.ix);
	zmq_setsockopt(c.sub, ZMQ_LINGER, &zero, sizeof zero);
	ts_bus_close(&c.sub);
	ts_bus_close(&c.pub.sock);
	if (c.rep) {
		zmq_close(c.rep);
		if (!ep.tcp)
			remove_history_socket(&ep); /* nobody is left to answer */
	}
	ts_bus_term();
	ts_pub_clear(&c.pub);
	ts_seqcheck_clear(&c.seq);
	ts_jw_free(&c.w);
	books_free(&c.books);
	store_close(&c.s);
	ts_loop_free(&c.l);
	close(lockfd);
	return 0;
}

/* ---------------------------------------------------------------- query */

static void
range(const struct opts *o, int64_t *since, int64_t *until)
{
	int64_t now = ts_now_us();

	*since = 0;
	*until = INT64_MAX;
	if (o->since && store_parse_time(o->since, now, since) < 0)
		ts_usage_error(NULL, "bad --since '%s': expected RFC 3339, now, -DURATION or "
		    "microseconds", o->since);
	if (o->until && store_parse_time(o->until, now, until) < 0)
		ts_usage_error(NULL, "bad --until '%s': expected RFC 3339, now, -DURATION or "
		    "microseconds", o->until);
}

static int
cmd_query(struct opts *o, int argc, char **argv)
{
	struct store s;
	char err[PATH_MAX + 300];
	int64_t since, until;
	long n;

	if (optind + 1 != argc)
		ts_usage_error(NULL, "query needs exactly one TOPIC (trades/EX/SYM, "
		    "candles/EX/SYM/TF or book/EX/SYM)");
	range(o, &since, &until);
	if (ts_topic_parse(argv[optind], NULL, NULL) < 0)
		ts_usage_error(NULL, "bad topic '%s'", argv[optind]);
	signal(SIGPIPE, SIG_IGN);
	ts_stdout_buffered();
	open_db(&s, o, 1);
	n = store_query(&s, argv[optind], since, until, o->limit, o->fmt, stdout, err, sizeof err);
	store_close(&s);
	if (n < 0 || fflush(stdout) == EOF) {
		if (errno == EPIPE)
			return 0;
		ts_die(n == -1 ? TS_EXIT_USAGE : TS_EXIT_TEMP, "%s",
		    n < 0 ? err : "cannot write the output");
	}
	return 0;
}

static int
cmd_stats(struct opts *o, int argc, char **argv, int gaps)
{
	struct store s;
	int r;

	(void)argv;
	if (optind != argc)
		ts_usage_error(NULL, "%s takes no arguments", gaps ? "gaps" : "stats");
	open_db(&s, o, 1);
	r = gaps ? store_print_gaps(&s, stdout) : store_print_stats(&s, stdout);
	store_close(&s);
	if (r < 0 || fflush(stdout) == EOF)
		ts_die(TS_EXIT_TEMP, "cannot read '%s'", s.path);
	return 0;
}

static int
cmd_prune(struct opts *o, int argc, char **argv)
{
	struct store s;
	uint64_t n;

	(void)argv;
	if (optind != argc)
		ts_usage_error(NULL, "prune takes no arguments");
	open_db(&s, o, 0);
	if (store_prune(&s, &o->ret, ts_now_us(), &n) < 0)
		ts_die(TS_EXIT_TEMP, "cannot prune '%s'", s.path);
	printf("deleted %" PRIu64 " rows\n", n);
	store_close(&s);
	return 0;
}

/* ---------------------------------------------------------------- import */

static void
progress(off_t done, off_t total, uint64_t rows, uint64_t dups, uint64_t bad, int64_t t0, int end)
{
	double dt = (double)(ts_mono_us() - t0) / 1e6;
	int pct = total > 0 ? (int)(100.0 * (double)done / (double)total) : 0, bar = pct * 30 / 100;

	fprintf(stderr, "\rimport: [%.*s%*s] %3d%% %" PRIu64 " rows, %" PRIu64 " duplicates, %"
	    PRIu64 " bad, %.0f/s%s", bar, "==============================", 30 - bar, "", pct,
	    rows, dups, bad, dt > 0 ? (double)(rows + dups) / dt : 0.0, end ? "\n" : "");
}

static int
cmd_import(struct opts *o, int argc, char **argv)
{
	struct store s = { 0 };
	struct influx *ix = NULL;
	struct ts_jval obj;
	struct stat sb;
	const char *file, *why;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *in = stdin;
	uint64_t lineno = 0, bad = 0, rows = 0, lost = 0;
	struct ts_ratelimit rl = TS_RATELIMIT_INIT(2, 20);
	int64_t t0 = ts_mono_us(), next_bar = 0;
	off_t total = 0, done = 0;
	int bar;

	if (optind + 1 != argc)
		ts_usage_error(NULL, "import needs one FILE (- for stdin)");
	file = argv[optind];
	if (strcmp(file, "-") && !(in = fopen(file, "r")))
		ts_die_errno(TS_EXIT_USAGE, "cannot open '%s'", file);
	if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
		total = sb.st_size;
	bar = !o->quiet && isatty(2);
	if (o->no_db && !o->have_influx)
		ts_usage_error(NULL, "--no-db needs --influx");
	if (o->have_influx) {
		char err[PATH_MAX + 200];
		if (!(ix = influx_new(&o->ix, err, sizeof err)))
			ts_die(TS_EXIT_USAGE, "%s", err);
	}
	if (!o->no_db)
		open_db(&s, o, 0);
	while ((len = getline(&line, &cap, in)) >= 0) {
		struct ts_topic tp = { "", "", "", "" };
		char *json = line, *tab;
		struct ts_jval tfv;
		struct store_trade t;
		size_t n;
		int r = 1, sr, is_trade;

		lineno++;
		done += len;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		if ((tab = memchr(line, '\t', (size_t)len))) {
			*tab = '\0';
			if (ts_topic_parse(line, &tp, &why) < 0) {
				bad++;
				ts_warn_rl(&rl, "%s:%" PRIu64 ": bad topic '%s': %s; skipped", file,
				    lineno, line, why);
				continue;
			}
			json = tab + 1;
		}
		n = (size_t)len - (size_t)(json - line);
		is_trade = !tp.kind[0] || !strcmp(tp.kind, "trades");
		/* most lines are flat trades: one pass parses and validates them */
		sr = is_trade ? store_scan_trade(json, n, tp.ex[0] ? tp.ex : NULL,
		    tp.sym[0] ? tp.sym : NULL, &t, NULL, NULL, &why) : -2;
		if (sr == -2 && (ts_json_parse(json, n, &obj, NULL) < 0 || obj.type != TS_J_OBJ)) {
			bad++;
			ts_warn_rl(&rl, "%s:%" PRIu64 ": not a JSON object; skipped", file, lineno);
			continue;
		}
		if (sr == -2 && (!strcmp(tp.kind, "candles") || (!tp.kind[0] &&
		    !ts_json_get(&obj, "tf", &tfv) && !ts_json_get(&obj, "o", &tfv)))) {
			struct store_candle k;
			if (store_parse_candle(&obj, tp.ex[0] ? tp.ex : NULL, tp.sym[0] ? tp.sym : NULL,
			    tp.tf[0] ? tp.tf : NULL, &k, &why) < 0) {
				bad++;
				ts_warn_rl(&rl, "%s:%" PRIu64 ": bad candle: %s; skipped", file, lineno, why);
				continue;
			}
			if (!k.closed)
				continue;
			if (!o->no_db)
				r = store_candle(&s, &k);
			if (r > 0 && ix)
				influx_candle(ix, &k);
		} else if (is_trade) {
			if (sr == -2)
				sr = store_parse_trade(&obj, tp.ex[0] ? tp.ex : NULL,
				    tp.sym[0] ? tp.sym : NULL, &t, &why);
			if (sr < 0) {
				bad++;
				ts_warn_rl(&rl, "%s:%" PRIu64 ": bad trade: %s; skipped", file, lineno, why);
				continue;
			}
			if (o->no_db)
				influx_trade(ix, &t);
			else if (!ix)
				r = 0, (void)store_trade_queue(&s, &t); /* counted in s.st */
			else if ((r = store_trade(&s, &t)) > 0)
				influx_trade(ix, &t);
		} else {
			continue; /* other kinds (book, status) are not imported */
		}
		if (r < 0)
			lost++;
		else if (r > 0)
			rows++;
		if (!o->no_db && s.pending >= o->batch && store_commit(&s) < 0)
			ts_die(TS_EXIT_TEMP, "cannot store into '%s'", s.path);
		if ((lineno & 1023) == 0) {
			int64_t now = ts_mono_us();
			if (ix)
				influx_tick(ix, now);
			if (bar && now >= next_bar) {
				progress(done, total, o->no_db ? rows : s.st.trades + s.st.candles,
				    s.st.dups, bad, t0, 0);
				next_bar = now + 100000;
			}
		}
	}
	if (ferror(in))
		ts_die_errno(TS_EXIT_TEMP, "cannot read '%s'", file);
	if (!o->no_db && store_commit(&s) < 0)
		ts_die(TS_EXIT_TEMP, "cannot store into '%s'", s.path);
	if (!o->no_db) {
		rows = s.st.trades + s.st.candles;
		lost += s.st.lost;
	}
	if (bar)
		progress(done, total, rows, s.st.dups, bad, t0, 1);
	if (ix) {
		int64_t deadline = ts_mono_us() + o->influx_wait_us;
		struct influx_stats is;
		influx_tick(ix, ts_mono_us() + 3600 * TS_US_PER_SEC); /* spool what is in memory */
		while (!influx_idle(ix) && ts_mono_us() < deadline) {
			struct timespec ts = { 0, 2000000 };
			nanosleep(&ts, NULL);
			influx_tick(ix, ts_mono_us());
		}
		influx_stats(ix, &is);
		if (!influx_idle(ix))
			ts_warn("influx: %" PRIu64 " batches still spooled; the next run sends them",
			    is.spooled_files);
		ts_info("influx: %" PRIu64 " points sent, %" PRIu64 " dropped", is.sent, is.dropped);
		influx_free(&ix);
	}
	ts_info("imported %" PRIu64 " rows (%" PRIu64 " duplicates, %" PRIu64 " bad lines) in "
	    "%.2fs", rows, s.st.dups, bad, (double)(ts_mono_us() - t0) / 1e6);
	if (!o->no_db)
		store_close(&s);
	free(line);
	if (in != stdin)
		fclose(in);
	if (lost)
		ts_die(TS_EXIT_TEMP, "%" PRIu64 " rows could not be stored", lost);
	return bad ? TS_EXIT_USAGE : 0;
}

/* ---------------------------------------------------------------- history */

static int
cmd_history(struct opts *o, int argc, char **argv)
{
	struct ts_bus_ep ep;
	struct ts_jw w = { 0 };
	char hist[300];
	int64_t since, until;
	zmq_msg_t rep;
	zmq_pollitem_t it;
	void *req;
	int zero = 0, r;

	if (optind + 1 != argc)
		ts_usage_error(NULL, "history needs one TOPIC");
	range(o, &since, &until);
	resolve_bus(o, &ep);
	if (store_history_endpoint(&ep, hist, sizeof hist) < 0)
		ts_die(TS_EXIT_USAGE, "no history endpoint for bus '%s'", ep.sub);
	ts_jw_obj(&w);
	ts_jw_kstr(&w, "topic", argv[optind]);
	ts_jw_ki64(&w, "since", since);
	if (until != INT64_MAX)
		ts_jw_ki64(&w, "until", until);
	if (o->limit)
		ts_jw_ki64(&w, "limit", o->limit);
	ts_jw_obj_end(&w);
	req = zmq_socket(ts_bus_ctx(), ZMQ_REQ);
	zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero);
	ts_bus_secure(req, 0);
	if (zmq_connect(req, hist) < 0)
		ts_die(TS_EXIT_TEMP, "cannot connect to '%s': %s", hist, zmq_strerror(errno));
	if (zmq_send(req, w.buf, w.len, 0) < 0)
		ts_die(TS_EXIT_TEMP, "cannot send to '%s': %s", hist, zmq_strerror(errno));
	it = (zmq_pollitem_t){ req, 0, ZMQ_POLLIN, 0 };
	if (zmq_poll(&it, 1, (long)(o->wait_us / 1000)) <= 0)
		ts_die(TS_EXIT_TEMP, "no answer from the history service at '%s' after %.1fs",
		    hist, (double)o->wait_us / 1e6);
	zmq_msg_init(&rep);
	if (zmq_msg_recv(&rep, req, 0) < 0)
		ts_die(TS_EXIT_TEMP, "cannot read from '%s': %s", hist, zmq_strerror(errno));
	fwrite(zmq_msg_data(&rep), 1, zmq_msg_size(&rep), stdout);
	putchar('\n');
	r = zmq_msg_size(&rep) > 15 && !memcmp(zmq_msg_data(&rep), "{\"type\":\"error\"", 15);
	zmq_msg_close(&rep);
	zmq_close(req);
	ts_bus_term();
	ts_jw_free(&w);
	if (fflush(stdout) == EOF)
		ts_die_errno(TS_EXIT_TEMP, "cannot write the output");
	return r ? TS_EXIT_USAGE : 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	const char *cmd;
	int r;

	ts_log_init(argv[0]);
	/* no command (or options first) is collect: what a service table runs */
	if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "-h") && strcmp(argv[1], "--help"))) {
		cmd = "collect";
	} else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return 0;
	} else {
		cmd = argv[1];
		argv[1] = argv[0]; /* what getopt names in its messages */
		argc--, argv++;
	}
	/* options follow the command, which argv[0] now stands for */
	parse_opts(&o, argc, argv);
	if (!strcmp(cmd, "collect"))
		r = cmd_collect(&o, argc, argv);
	else if (!strcmp(cmd, "query"))
		r = cmd_query(&o, argc, argv);
	else if (!strcmp(cmd, "import"))
		r = cmd_import(&o, argc, argv);
	else if (!strcmp(cmd, "stats"))
		r = cmd_stats(&o, argc, argv, 0);
	else if (!strcmp(cmd, "gaps"))
		r = cmd_stats(&o, argc, argv, 1);
	else if (!strcmp(cmd, "prune"))
		r = cmd_prune(&o, argc, argv);
	else if (!strcmp(cmd, "history"))
		r = cmd_history(&o, argc, argv);
	else
		ts_usage_error(NULL, "unknown command '%s' (collect, query, import, stats, gaps, "
		    "prune, history)", cmd);
	opts_free(&o);
	return r;
}
