/* store_db.c: the SQLite schema, batched writes in one open transaction, runs, gaps, retention */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "path.h"
#include "store.h"
#include "tm.h"

/* Prices and sizes of trades are kept as an integer mantissa and a scale
 * (exact, and smaller than text); candles and book samples, which are few,
 * keep the decimal text. The trade id is an INTEGER when its text is a
 * canonical integer (so it formats back to the same text), else TEXT. */
static const char schema[] =
"CREATE TABLE IF NOT EXISTS markets(id INTEGER PRIMARY KEY, ex TEXT NOT NULL,"
"  sym TEXT NOT NULL, UNIQUE(ex, sym));"
"CREATE TABLE IF NOT EXISTS trades(market INTEGER NOT NULL, ts INTEGER NOT NULL,"
"  id NOT NULL, rt_d INTEGER, px_m INTEGER NOT NULL, px_s INTEGER NOT NULL,"
"  qty_m INTEGER NOT NULL, qty_s INTEGER NOT NULL, side INTEGER NOT NULL,"
"  PRIMARY KEY(market, ts, id)) WITHOUT ROWID;"
"CREATE UNIQUE INDEX IF NOT EXISTS trades_id ON trades(market, id);"
"CREATE TABLE IF NOT EXISTS candles(market INTEGER NOT NULL, tf TEXT NOT NULL,"
"  t INTEGER NOT NULL, o TEXT NOT NULL, h TEXT NOT NULL, l TEXT NOT NULL,"
"  c TEXT NOT NULL, v TEXT NOT NULL, bv TEXT, n INTEGER,"
"  PRIMARY KEY(market, tf, t)) WITHOUT ROWID;"
"CREATE TABLE IF NOT EXISTS book_samples(market INTEGER NOT NULL, ts INTEGER NOT NULL,"
"  bid TEXT, bid_qty TEXT, ask TEXT, ask_qty TEXT, spread TEXT, mid TEXT,"
"  bin_bps INTEGER, bid_bins TEXT, ask_bins TEXT, levels TEXT,"
"  PRIMARY KEY(market, ts)) WITHOUT ROWID;"
"CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, started INTEGER NOT NULL,"
"  last_commit INTEGER, stopped INTEGER, pid INTEGER);"
"CREATE TABLE IF NOT EXISTS gaps(id INTEGER PRIMARY KEY, topic TEXT NOT NULL,"
"  since INTEGER, until INTEGER, missing INTEGER, reason TEXT NOT NULL);"
"PRAGMA user_version = 1;";

int
store_default_path(char *buf, size_t n, int make)
{
	if (ts_xdg_path(TS_XDG_DATA, "store.db", buf, n) < 0)
		return -1;
	return make ? ts_mkdir_parent(buf, 0700) : 0;
}

static int
prep(struct store *s, sqlite3_stmt **st, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL)) {
		snprintf(err, errlen, "cannot prepare a statement on '%s': %s", s->path,
		    sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

int
store_open(struct store *s, const char *path, int readonly, char *err, size_t errlen)
{
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	char *msg = NULL;

	static int configured;

	/* one thread per process (STYLE.md): no mutexes, no memory statistics;
	 * this must happen before SQLite initialises itself */
	if (!configured++) {
		sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	}
	memset(s, 0, sizeof *s);
	s->last_market = -1;
	snprintf(s->path, sizeof s->path, "%s", path);
	if (!readonly)
		(void)ts_mkdir_parent(path, 0700); /* sqlite3_open_v2 says why not */
	if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL)) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sqlite3_close(s->db);
		s->db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(s->db, 10000);
	if (readonly) {
		if (sqlite3_exec(s->db, "SELECT 1 FROM markets LIMIT 1", NULL, NULL, &msg)) {
			snprintf(err, errlen, "'%s' is not a ts-store database: %s", path, msg);
			goto fail;
		}
		return 0;
	}
	/* WAL with synchronous=NORMAL: a killed process loses nothing
	 * committed; only a power cut can lose the last transactions */
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	    "PRAGMA cache_size=-32768; PRAGMA temp_store=MEMORY;", NULL, NULL, &msg) ||
	    sqlite3_exec(s->db, schema, NULL, NULL, &msg)) {
		snprintf(err, errlen, "cannot set up '%s': %s", path, msg);
		goto fail;
	}
	if (prep(s, &s->ins_trade, "INSERT OR IGNORE INTO trades VALUES(?,?,?,?,?,?,?,?,?)",
	    err, errlen) ||
	    prep(s, &s->ins_candle, "INSERT INTO candles VALUES(?,?,?,?,?,?,?,?,?,?)"
	    " ON CONFLICT(market, tf, t) DO UPDATE SET o=excluded.o, h=excluded.h,"
	    " l=excluded.l, c=excluded.c, v=excluded.v, bv=excluded.bv, n=excluded.n",
	    err, errlen) ||
	    prep(s, &s->ins_book, "INSERT OR REPLACE INTO book_samples"
	    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", err, errlen) ||
	    prep(s, &s->upd_run, "UPDATE runs SET last_commit=? WHERE id=?", err, errlen) ||
	    prep(s, &s->ins_gap, "INSERT INTO gaps(topic, since, until, missing, reason)"
	    " VALUES(?,?,?,?,?)", err, errlen))
		goto fail;
	return 0;
fail:
	sqlite3_free(msg);
	store_close(s);
	return -1;
}

void
store_close(struct store *s)
{
	if (s->in_txn || s->nqueue)
		store_commit(s);
	sqlite3_finalize(s->ins_trade);
	sqlite3_finalize(s->ins_trades);
	sqlite3_finalize(s->ins_candle);
	sqlite3_finalize(s->ins_book);
	sqlite3_finalize(s->upd_run);
	sqlite3_finalize(s->ins_gap);
	if (s->db)
		sqlite3_close(s->db);
	s->db = NULL;
	ts_map_clear(&s->markets);
}

int64_t
store_market(struct store *s, const char *ex, const char *sym, int create)
{
	char key[128];
	struct ts_map_entry *e;
	sqlite3_stmt *st;
	int64_t id = -1;

	/* consecutive rows are mostly of one market: skip the map */
	if (s->last_market >= 0 && !strcmp(ex, s->last_ex) && !strcmp(sym, s->last_sym))
		return s->last_market;
	snprintf(key, sizeof key, "%s/%s", ex, sym);
	if ((e = ts_map_get(&s->markets, key))) {
		id = (int64_t)e->v.u;
		goto found;
	}
	if (create) {
		if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO markets(ex, sym) VALUES(?,?)",
		    -1, &st, NULL))
			return -1;
		sqlite3_bind_text(st, 1, ex, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, sym, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			ts_warn("cannot add market '%s' to '%s': %s", key, s->path,
			    sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(s->db, "SELECT id FROM markets WHERE ex=? AND sym=?", -1, &st, NULL))
		return -1;
	sqlite3_bind_text(st, 1, ex, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sym, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (id < 0)
		return -1;
	ts_map_put(&s->markets, key, NULL)->v.u = (uint64_t)id;
found:
	snprintf(s->last_ex, sizeof s->last_ex, "%s", ex);
	snprintf(s->last_sym, sizeof s->last_sym, "%s", sym);
	s->last_market = id;
	return id;
}

int
store_begin(struct store *s)
{
	if (s->in_txn)
		return 0;
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL)) {
		ts_warn("cannot begin a transaction on '%s': %s", s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	s->in_txn = 1;
	s->pending = 0;
	s->txn_mono = ts_mono_us();
	return 0;
}

int
store_commit(struct store *s)
{
	int64_t t0 = ts_mono_us(), dt;

	if (s->nqueue && store_begin(s) < 0) {
		s->st.lost += (uint64_t)s->nqueue;
		s->nqueue = 0;
		return -1;
	}
	if (!s->in_txn)
		return 0;
	if (s->nqueue)
		store_trade_flush(s); /* a failure is counted in st.lost */
	if (!s->in_txn)
		return -1;    /* the flush failed and rolled the transaction back */
	if (s->run_id > 0) {
		sqlite3_bind_int64(s->upd_run, 1, ts_now_us());
		sqlite3_bind_int64(s->upd_run, 2, s->run_id);
		sqlite3_step(s->upd_run);
		sqlite3_reset(s->upd_run);
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) {
		ts_warn("cannot commit %ld rows to '%s': %s", s->pending, s->path,
		    sqlite3_errmsg(s->db));
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->st.lost += (uint64_t)s->pending;
		s->pending = 0;
		s->in_txn = 0;
		return -1;
	}
	s->in_txn = 0;
	dt = ts_mono_us() - t0;
	s->st.commits++;
	s->st.rows += (uint64_t)s->pending;
	s->st.commit_us_last = dt;
	if (dt > s->st.commit_us_max)
		s->st.commit_us_max = dt;
	s->pending = 0;
	return 0;
}

static int
step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int r = sqlite3_step(st);

	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		ts_warn("cannot store %s in '%s': %s", what, s->path, sqlite3_errmsg(s->db));
		/* some errors (a full disk, I/O) roll the whole transaction back */
		if (s->in_txn && sqlite3_get_autocommit(s->db)) {
			ts_warn("the transaction was rolled back: %ld rows lost", s->pending);
			s->st.lost += (uint64_t)s->pending;
			s->pending = 0;
			s->in_txn = 0;
		}
		return -1;
	}
	return 0;
}

/* A canonical integer id ("0" or [1-9][0-9]{0,17}) is stored as a number. */
static int
id_as_int(const char *id, int64_t *out)
{
	size_t n = strlen(id);
	int64_t v = 0;

	if (n == 0 || n > 18 || (id[0] == '0' && n > 1))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (id[i] < '0' || id[i] > '9')
			return 0;
		v = v * 10 + (id[i] - '0');
	}
	*out = v;
	return 1;
}

/* Bind trade t of market to the 9 parameters of st from index i + 1 on. */
static void
bind_trade(sqlite3_stmt *st, int i, int64_t market, const struct store_trade *t)
{
	int64_t iid;

	sqlite3_bind_int64(st, i + 1, market);
	sqlite3_bind_int64(st, i + 2, t->ts);
	if (id_as_int(t->id, &iid))
		sqlite3_bind_int64(st, i + 3, iid);
	else
		sqlite3_bind_text(st, i + 3, t->id, -1, SQLITE_STATIC);
	if (t->has_rt)
		sqlite3_bind_int64(st, i + 4, t->rt - t->ts);
	else
		sqlite3_bind_null(st, i + 4);
	sqlite3_bind_int64(st, i + 5, t->px.m);
	sqlite3_bind_int(st, i + 6, t->px.scale);
	sqlite3_bind_int64(st, i + 7, t->qty.m);
	sqlite3_bind_int(st, i + 8, t->qty.scale);
	sqlite3_bind_int(st, i + 9, t->side);
}

static int
trade_row(struct store *s, int64_t market, const struct store_trade *t)
{
	bind_trade(s->ins_trade, 0, market, t);
	if (step_done(s, s->ins_trade, "a trade"))
		return -1;
	if (!sqlite3_changes(s->db)) {
		s->st.dups++;
		return 0;
	}
	s->pending++;
	s->st.trades++;
	return 1;
}

int
store_trade_flush(struct store *s)
{
	int n = s->nqueue, changes, rc = 0;

	s->nqueue = 0;
	if (n < STORE_TRADE_QUEUE) {
		/* the rest of a batch, at commit time: row by row */
		for (int i = 0; i < n; i++)
			if (trade_row(s, s->queue_market[i], &s->queue[i]) < 0) {
				s->st.lost++;
				rc = -1;
			}
		return rc;
	}
	if (!s->ins_trades) {
		char sql[64 + STORE_TRADE_QUEUE * 24];
		size_t o = (size_t)snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO trades VALUES");
		for (int i = 0; i < STORE_TRADE_QUEUE; i++)
			o += (size_t)snprintf(sql + o, sizeof sql - o, "%s(?,?,?,?,?,?,?,?,?)",
			    i ? "," : "");
		if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->ins_trades,
		    NULL)) {
			ts_warn("cannot prepare a statement on '%s': %s", s->path,
			    sqlite3_errmsg(s->db));
			s->st.lost += (uint64_t)n;
			return -1;
		}
	}
	for (int i = 0; i < n; i++)
		bind_trade(s->ins_trades, 9 * i, s->queue_market[i], &s->queue[i]);
	if (step_done(s, s->ins_trades, "trades")) {
		s->st.lost += (uint64_t)n;
		return -1;
	}
	changes = sqlite3_changes(s->db);
	s->st.dups += (uint64_t)(n - changes);
	s->st.trades += (uint64_t)changes;
	s->pending += changes;
	return 0;
}

int
store_trade_queue(struct store *s, const struct store_trade *t)
{
	int64_t market = store_market(s, t->ex, t->sym, 1);

	if (market < 0 || store_begin(s))
		return -1;
	s->queue[s->nqueue] = *t;
	s->queue_market[s->nqueue++] = market;
	return s->nqueue == STORE_TRADE_QUEUE ? store_trade_flush(s) : 0;
}

int
store_trade(struct store *s, const struct store_trade *t)
{
	int64_t market = store_market(s, t->ex, t->sym, 1);

	/* queued trades first, so this one's duplicate check sees them */
	if (s->nqueue)
		store_trade_flush(s);
	if (market < 0 || store_begin(s))
		return -1;
	return trade_row(s, market, t);
}

static void
bind_dec(sqlite3_stmt *st, int i, struct ts_dec d)
{
	char buf[TS_DEC_STRLEN];
	size_t n = ts_dec_fmt(d, buf, sizeof buf);

	sqlite3_bind_text(st, i, buf, (int)n, SQLITE_TRANSIENT);
}

int
store_candle(struct store *s, const struct store_candle *c)
{
	int64_t market = store_market(s, c->ex, c->sym, 1);
	sqlite3_stmt *st = s->ins_candle;

	if (market < 0 || store_begin(s))
		return -1;
	sqlite3_bind_int64(st, 1, market);
	sqlite3_bind_text(st, 2, c->tf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, c->t);
	bind_dec(st, 4, c->o);
	bind_dec(st, 5, c->h);
	bind_dec(st, 6, c->l);
	bind_dec(st, 7, c->c);
	bind_dec(st, 8, c->v);
	if (c->has_bv)
		bind_dec(st, 9, c->bv);
	else
		sqlite3_bind_null(st, 9);
	if (c->has_n)
		sqlite3_bind_int64(st, 10, c->n);
	else
		sqlite3_bind_null(st, 10);
	if (step_done(s, st, "a candle"))
		return -1;
	s->pending++;
	s->st.candles++;
	return 1;
}

int
store_book_row(struct store *s, int64_t market, int64_t ts, const char *const *txt,
    const char *bid_bins, const char *ask_bins, int bin_bps, const char *levels)
{
	sqlite3_stmt *st = s->ins_book;

	if (store_begin(s))
		return -1;
	sqlite3_bind_int64(st, 1, market);
	sqlite3_bind_int64(st, 2, ts);
	for (int i = 0; i < 6; i++)
		sqlite3_bind_text(st, 3 + i, txt[i], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 9, bin_bps);
	sqlite3_bind_text(st, 10, bid_bins, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, ask_bins, -1, SQLITE_STATIC);
	if (levels)
		sqlite3_bind_text(st, 12, levels, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 12);
	if (step_done(s, st, "a book sample"))
		return -1;
	s->pending++;
	s->st.books++;
	return 1;
}

int
store_gap(struct store *s, const char *topic, int64_t since, int64_t until,
    int64_t missing, const char *reason)
{
	sqlite3_stmt *st = s->ins_gap;

	if (store_begin(s))
		return -1;
	sqlite3_bind_text(st, 1, topic, -1, SQLITE_STATIC);
	if (since >= 0)
		sqlite3_bind_int64(st, 2, since);
	else
		sqlite3_bind_null(st, 2);
	if (until >= 0)
		sqlite3_bind_int64(st, 3, until);
	else
		sqlite3_bind_null(st, 3);
	if (missing >= 0)
		sqlite3_bind_int64(st, 4, missing);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
	return step_done(s, st, "a gap");
}

int
store_run_start(struct store *s, int64_t now)
{
	sqlite3_stmt *st;
	char a[40], b[40];
	int64_t id;
	int r;

	if (store_begin(s))
		return -1;
	if (sqlite3_prepare_v2(s->db, "SELECT started, last_commit, stopped, pid FROM runs"
	    " ORDER BY id DESC LIMIT 1", -1, &st, NULL))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		int64_t last = sqlite3_column_type(st, 1) == SQLITE_NULL ?
		    sqlite3_column_int64(st, 0) : sqlite3_column_int64(st, 1);
		int crashed = sqlite3_column_type(st, 2) == SQLITE_NULL;
		int64_t since = crashed ? last : sqlite3_column_int64(st, 2);

		ts_rfc3339_fmt(since, a, sizeof a);
		ts_rfc3339_fmt(now, b, sizeof b);
		if (crashed)
			ts_warn("previous run (pid %lld) ended without a clean stop; "
			    "missed range %s to %s (after its last commit)",
			    (long long)sqlite3_column_int64(st, 3), a, b);
		else
			ts_info("not collecting from %s to %s (stopped)", a, b);
		sqlite3_finalize(st);
		store_gap(s, "*", since, now, -1, crashed ? "crash" : "stopped");
	} else {
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(s->db, "INSERT INTO runs(started, last_commit, pid) VALUES(?,?,?)",
	    -1, &st, NULL))
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, (int)getpid());
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return -1;
	id = sqlite3_last_insert_rowid(s->db);
	r = store_commit(s);
	s->run_id = id; /* from now on each commit notes its time in the run */
	return r;
}

int
store_run_stop(struct store *s, int64_t now)
{
	sqlite3_stmt *st;
	int r;

	if (s->run_id <= 0 || store_begin(s))
		return -1;
	if (sqlite3_prepare_v2(s->db, "UPDATE runs SET stopped=? WHERE id=?", -1, &st, NULL))
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, s->run_id);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? store_commit(s) : -1;
}

void
store_retention_default(struct store_retention *r)
{
	r->trades = 30 * 86400 * TS_US_PER_SEC;
	r->candles = -1;
	r->book = 90 * 86400 * TS_US_PER_SEC;
	r->book_thin_after = 86400 * TS_US_PER_SEC;
	r->book_thin_every = 60 * TS_US_PER_SEC;
}

int
store_retention_set(struct store_retention *r, const char *spec)
{
	const char *eq = strchr(spec, '=');
	int64_t v;
	size_t kl;

	if (!eq)
		return -1;
	kl = (size_t)(eq - spec);
	if (!strcmp(eq + 1, "forever"))
		v = -1;
	else if (ts_duration_parse(eq + 1, &v) < 0 || v <= 0)
		return -1;
#define KIND(name) (kl == sizeof name - 1 && !strncmp(spec, name, kl))
	if (KIND("trades"))
		r->trades = v;
	else if (KIND("candles"))
		r->candles = v;
	else if (KIND("book"))
		r->book = v;
	else if (KIND("book-thin"))
		r->book_thin_after = v;
	else if (KIND("book-thin-every") && v > 0)
		r->book_thin_every = v;
#undef KIND
	else
		return -1;
	return 0;
}

static int
exec_del(struct store *s, const char *sql, int64_t market, int64_t cut, int64_t every,
    uint64_t *deleted)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) {
		ts_warn("cannot prune '%s': %s", s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, market);
	sqlite3_bind_int64(st, 2, cut);
	if (every > 0)
		sqlite3_bind_int64(st, 3, every);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		ts_warn("cannot prune '%s': %s", s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	*deleted += (uint64_t)sqlite3_changes(s->db);
	return 0;
}

int
store_prune(struct store *s, const struct store_retention *r, int64_t now, uint64_t *deleted)
{
	sqlite3_stmt *st;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*deleted = 0;
	if (store_commit(s) || sqlite3_prepare_v2(s->db, "SELECT id FROM markets", -1, &st, NULL))
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		ts_xgrow((void **)&ids, &cap, n + 1, sizeof *ids);
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (store_begin(s)) {
		free(ids);
		return -1;
	}
	/* per market, so each delete walks its own primary-key range */
	for (size_t i = 0; i < n && !rc; i++) {
		if (r->trades > 0)
			rc |= exec_del(s, "DELETE FROM trades WHERE market=?1 AND ts<?2",
			    ids[i], now - r->trades, 0, deleted);
		if (r->candles > 0)
			rc |= exec_del(s, "DELETE FROM candles WHERE market=?1 AND t<?2",
			    ids[i], now - r->candles, 0, deleted);
		if (r->book > 0)
			rc |= exec_del(s, "DELETE FROM book_samples WHERE market=?1 AND ts<?2",
			    ids[i], now - r->book, 0, deleted);
		if (r->book_thin_after > 0)
			rc |= exec_del(s, "DELETE FROM book_samples WHERE market=?1 AND ts<?2"
			    " AND ts NOT IN (SELECT min(ts) FROM book_samples WHERE market=?1"
			    " AND ts<?2 GROUP BY ts/?3)", ids[i], now - r->book_thin_after,
			    r->book_thin_every, deleted);
	}
	free(ids);
	if (rc) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->in_txn = 0;
		return -1;
	}
	return store_commit(s);
}
