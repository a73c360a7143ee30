/* store_query.c: streaming queries (JSON lines, CSV, history batches), stats and gaps */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "tm.h"
#include "topic.h"

enum qmode { Q_JSON, Q_CSV, Q_HIST };

struct q {
	enum qmode mode;
	FILE *out;
	struct ts_jw *hist;
	struct ts_jw line;
	int wrote_header;
	int write_err;
};

int
store_parse_time(const char *s, int64_t now, int64_t *us)
{
	int64_t d;
	size_t n = strlen(s), i;

	if (!strcmp(s, "now")) {
		*us = now;
		return 0;
	}
	if (s[0] == '-') {
		if (ts_duration_parse(s + 1, &d) < 0)
			return -1;
		*us = now - d;
		return 0;
	}
	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (n > 0 && i == n && n <= 18) {
		*us = strtoll(s, NULL, 10);
		return 0;
	}
	return ts_rfc3339_parse(s, n, us);
}

/* A CSV field, quoted when it holds a comma, a quote or a line break. */
static void
csv_field(FILE *f, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		putc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				putc('"', f);
			putc(*s, f);
		}
		putc('"', f);
	} else {
		fputs(s, f);
	}
	putc(last ? '\n' : ',', f);
}

static void
emit_line(struct q *q)
{
	if (q->mode == Q_HIST) {
		ts_jw_raw(q->hist, q->line.buf, q->line.len);
		return;
	}
	if (fwrite(q->line.buf, 1, q->line.len, q->out) != q->line.len || putc('\n', q->out) == EOF)
		q->write_err = 1;
}

static void
col_text(sqlite3_stmt *st, int i, char *buf, size_t n)
{
	if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
		snprintf(buf, n, "%" PRId64, (int64_t)sqlite3_column_int64(st, i));
	else if (sqlite3_column_type(st, i) == SQLITE_NULL)
		buf[0] = '\0';
	else
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, i));
}

static void
trade_row(struct q *q, const struct ts_topic *tp, sqlite3_stmt *st)
{
	struct store_trade t;
	char px[TS_DEC_STRLEN], qty[TS_DEC_STRLEN], ts[24], rt[24];

	snprintf(t.ex, sizeof t.ex, "%s", tp->ex);
	snprintf(t.sym, sizeof t.sym, "%s", tp->sym);
	t.ts = sqlite3_column_int64(st, 0);
	col_text(st, 1, t.id, sizeof t.id);
	t.has_rt = sqlite3_column_type(st, 2) != SQLITE_NULL;
	t.rt = t.ts + sqlite3_column_int64(st, 2);
	t.px.m = sqlite3_column_int64(st, 3);
	t.px.scale = sqlite3_column_int(st, 4);
	t.qty.m = sqlite3_column_int64(st, 5);
	t.qty.scale = sqlite3_column_int(st, 6);
	t.side = sqlite3_column_int(st, 7);
	if (q->mode != Q_CSV) {
		ts_jw_reset(&q->line);
		store_write_trade(&q->line, &t);
		emit_line(q);
		return;
	}
	if (!q->wrote_header++)
		fputs("ex,sym,id,px,qty,side,ts,rt\n", q->out);
	ts_dec_fmt(t.px, px, sizeof px);
	ts_dec_fmt(t.qty, qty, sizeof qty);
	snprintf(ts, sizeof ts, "%" PRId64, t.ts);
	snprintf(rt, sizeof rt, t.has_rt ? "%" PRId64 : "", t.rt);
	fprintf(q->out, "%s,%s,", t.ex, t.sym);
	csv_field(q->out, t.id, 0);
	fprintf(q->out, "%s,%s,%s,%s,%s\n", px, qty, t.side == STORE_BUY ? "buy" : "sell", ts, rt);
}

static const char *
txt(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? s : "";
}

static void
candle_row(struct q *q, const struct ts_topic *tp, sqlite3_stmt *st)
{
	static const char *const keys[] = { "o", "h", "l", "c", "v", "bv" };
	struct ts_jw *w = &q->line;

	if (q->mode == Q_CSV) {
		if (!q->wrote_header++)
			fputs("ex,sym,tf,t,o,h,l,c,v,bv,n\n", q->out);
		fprintf(q->out, "%s,%s,%s,%" PRId64 ",%s,%s,%s,%s,%s,%s,%s\n", tp->ex, tp->sym,
		    tp->tf, (int64_t)sqlite3_column_int64(st, 0), txt(st, 1), txt(st, 2),
		    txt(st, 3), txt(st, 4), txt(st, 5), txt(st, 6), txt(st, 7));
		return;
	}
	ts_jw_reset(w);
	ts_jw_obj(w);
	ts_jw_kstr(w, "ex", tp->ex);
	ts_jw_kstr(w, "sym", tp->sym);
	ts_jw_kstr(w, "tf", tp->tf);
	ts_jw_ki64(w, "t", sqlite3_column_int64(st, 0));
	for (int i = 0; i < 6; i++) {
		if (sqlite3_column_type(st, 1 + i) == SQLITE_NULL)
			continue;
		ts_jw_key(w, keys[i]);
		ts_jw_raw(w, txt(st, 1 + i), (size_t)sqlite3_column_bytes(st, 1 + i));
	}
	if (sqlite3_column_type(st, 7) != SQLITE_NULL)
		ts_jw_ki64(w, "n", sqlite3_column_int64(st, 7));
	ts_jw_kbool(w, "closed", 1);
	ts_jw_obj_end(w);
	emit_line(q);
}

/* bins are stored as a JSON array of numbers; CSV joins them with ';' */
static void
csv_bins(FILE *f, const char *s, int last)
{
	for (; *s; s++)
		if (*s != '[' && *s != ']')
			putc(*s == ',' ? ';' : *s, f);
	putc(last ? '\n' : ',', f);
}

static void
book_row(struct q *q, const struct ts_topic *tp, sqlite3_stmt *st)
{
	static const char *const keys[] = { "bid", "bid_qty", "ask", "ask_qty", "spread", "mid" };
	struct ts_jw *w = &q->line;

	if (q->mode == Q_CSV) {
		if (!q->wrote_header++)
			fputs("ex,sym,ts,bid,bid_qty,ask,ask_qty,spread,mid,bin_bps,bid_bins,"
			    "ask_bins\n", q->out);
		fprintf(q->out, "%s,%s,%" PRId64 ",%s,%s,%s,%s,%s,%s,%d,", tp->ex, tp->sym,
		    (int64_t)sqlite3_column_int64(st, 0), txt(st, 1), txt(st, 2), txt(st, 3),
		    txt(st, 4), txt(st, 5), txt(st, 6), sqlite3_column_int(st, 7));
		csv_bins(q->out, txt(st, 8), 0);
		csv_bins(q->out, txt(st, 9), 1);
		return;
	}
	ts_jw_reset(w);
	ts_jw_obj(w);
	ts_jw_kstr(w, "ex", tp->ex);
	ts_jw_kstr(w, "sym", tp->sym);
	ts_jw_ki64(w, "ts", sqlite3_column_int64(st, 0));
	for (int i = 0; i < 6; i++) {
		ts_jw_key(w, keys[i]);
		ts_jw_raw(w, txt(st, 1 + i), (size_t)sqlite3_column_bytes(st, 1 + i));
	}
	ts_jw_ki64(w, "bin_bps", sqlite3_column_int(st, 7));
	ts_jw_key(w, "bid_bins");
	ts_jw_raw(w, txt(st, 8), (size_t)sqlite3_column_bytes(st, 8));
	ts_jw_key(w, "ask_bins");
	ts_jw_raw(w, txt(st, 9), (size_t)sqlite3_column_bytes(st, 9));
	if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
		ts_jw_key(w, "levels");
		ts_jw_raw(w, txt(st, 10), (size_t)sqlite3_column_bytes(st, 10));
	}
	ts_jw_obj_end(w);
	emit_line(q);
}

static long
run(struct store *s, const char *topic, int64_t since, int64_t until, long limit,
    struct q *q, char *err, size_t errlen)
{
	static const char *const sql[3][2] = {
		{ "SELECT ts, id, rt_d, px_m, px_s, qty_m, qty_s, side FROM trades"
		  " WHERE market=?1 AND ts>=?2 AND ts<?3 ORDER BY ts, id",
		  "SELECT * FROM (SELECT ts, id, rt_d, px_m, px_s, qty_m, qty_s, side FROM trades"
		  " WHERE market=?1 AND ts>=?2 AND ts<?3 ORDER BY ts DESC, id DESC LIMIT ?4)"
		  " ORDER BY ts, id" },
		{ "SELECT t, o, h, l, c, v, bv, n FROM candles"
		  " WHERE market=?1 AND tf=?5 AND t>=?2 AND t<?3 ORDER BY t",
		  "SELECT * FROM (SELECT t, o, h, l, c, v, bv, n FROM candles"
		  " WHERE market=?1 AND tf=?5 AND t>=?2 AND t<?3 ORDER BY t DESC LIMIT ?4)"
		  " ORDER BY t" },
		{ "SELECT ts, bid, bid_qty, ask, ask_qty, spread, mid, bin_bps, bid_bins,"
		  " ask_bins, levels FROM book_samples WHERE market=?1 AND ts>=?2 AND ts<?3"
		  " ORDER BY ts",
		  "SELECT * FROM (SELECT ts, bid, bid_qty, ask, ask_qty, spread, mid, bin_bps,"
		  " bid_bins, ask_bins, levels FROM book_samples WHERE market=?1 AND ts>=?2"
		  " AND ts<?3 ORDER BY ts DESC LIMIT ?4) ORDER BY ts" },
	};
	struct ts_topic tp;
	const char *why;
	sqlite3_stmt *st;
	int64_t market;
	long rows = 0;
	int kind, r;

	if (s->nqueue)
		store_trade_flush(s); /* the collector's own queries see every trade */
	if (ts_topic_parse(topic, &tp, &why) < 0) {
		snprintf(err, errlen, "bad topic '%s': %s", topic, why);
		return -1;
	}
	if (!strcmp(tp.kind, "trades"))
		kind = 0;
	else if (!strcmp(tp.kind, "candles"))
		kind = 1;
	else if (!strcmp(tp.kind, "book"))
		kind = 2;
	else {
		snprintf(err, errlen, "cannot query '%s': only trades, candles and book are stored",
		    topic);
		return -1;
	}
	if (kind == 0 || kind == 2) {
		if (tp.tf[0]) {
			snprintf(err, errlen, "bad topic '%s': no timeframe for %s", topic, tp.kind);
			return -1;
		}
	}
	if ((market = store_market(s, tp.ex, tp.sym, 0)) < 0)
		return 0; /* nothing stored for this market */
	if (sqlite3_prepare_v2(s->db, sql[kind][limit > 0], -1, &st, NULL)) {
		snprintf(err, errlen, "cannot query '%s': %s", s->path, sqlite3_errmsg(s->db));
		return -2;
	}
	sqlite3_bind_int64(st, 1, market);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, until);
	if (limit > 0)
		sqlite3_bind_int64(st, 4, limit);
	if (kind == 1)
		sqlite3_bind_text(st, 5, tp.tf, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW && !q->write_err) {
		if (kind == 0)
			trade_row(q, &tp, st);
		else if (kind == 1)
			candle_row(q, &tp, st);
		else
			book_row(q, &tp, st);
		rows++;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		snprintf(err, errlen, "cannot query '%s': %s", s->path, sqlite3_errmsg(s->db));
		rows = -2;
	}
	sqlite3_finalize(st);
	if (q->out && ferror(q->out))
		q->write_err = 1;
	if (q->write_err && rows >= 0) {
		snprintf(err, errlen, "cannot write the output");
		rows = -2;
	}
	return rows;
}

long
store_query(struct store *s, const char *topic, int64_t since, int64_t until, long limit,
    enum store_fmt fmt, FILE *out, char *err, size_t errlen)
{
	struct q q = { .mode = fmt == STORE_CSV ? Q_CSV : Q_JSON, .out = out };
	long r = run(s, topic, since, until, limit, &q, err, errlen);

	ts_jw_free(&q.line);
	return r;
}

long
store_history(struct store *s, const char *topic, int64_t since, int64_t until, long limit,
    struct ts_jw *w, char *err, size_t errlen)
{
	struct q q = { .mode = Q_HIST, .hist = w };
	long r;

	ts_jw_obj(w);
	ts_jw_kstr(w, "type", "history");
	ts_jw_kstr(w, "topic", topic);
	ts_jw_key(w, strncmp(topic, "trades/", 7) ? (strncmp(topic, "book/", 5) ?
	    "candles" : "samples") : "trades");
	ts_jw_arr(w);
	r = run(s, topic, since, until, limit, &q, err, errlen);
	ts_jw_arr_end(w);
	ts_jw_obj_end(w);
	ts_jw_free(&q.line);
	return r;
}

static void
fmt_bytes(double b, char *buf, size_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(buf, n, u ? "%.1f%s" : "%.0f%s", b, unit[u]);
}

static double
table_bytes(struct store *s, const char *a, const char *b)
{
	sqlite3_stmt *st;
	double v = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT sum(pgsize) FROM dbstat WHERE name IN (?,?)",
	    -1, &st, NULL))
		return 0; /* no dbstat: sizes unknown */
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
store_print_stats(struct store *s, FILE *out)
{
	static const struct {
		const char *kind, *sql, *table, *index;
	} kinds[] = {
		{ "trades", "SELECT m.ex, m.sym, '', count(*), min(ts), max(ts) FROM trades"
		  " JOIN markets m ON m.id = market GROUP BY market ORDER BY m.ex, m.sym",
		  "trades", "trades_id" },
		{ "candles", "SELECT m.ex, m.sym, tf, count(*), min(t), max(t) FROM candles"
		  " JOIN markets m ON m.id = market GROUP BY market, tf ORDER BY m.ex, m.sym, tf",
		  "candles", "" },
		{ "book", "SELECT m.ex, m.sym, '', count(*), min(ts), max(ts) FROM book_samples"
		  " JOIN markets m ON m.id = market GROUP BY market ORDER BY m.ex, m.sym",
		  "book_samples", "" },
	};
	double total_trades = 0, trade_bytes = 0;
	sqlite3_stmt *st;
	char size[32], a[40], b[40], mk[128];
	int64_t page_count = 0, page_size = 0;

	fprintf(out, "%-8s %-24s %-4s %12s  %-27s  %-27s  %9s\n", "KIND", "MARKET", "TF",
	    "ROWS", "FIRST", "LAST", "BYTES");
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		double bytes = table_bytes(s, kinds[k].table, kinds[k].index), rows = 0;

		/* a market's share of a table's bytes is its share of the rows */
		if (sqlite3_prepare_v2(s->db, kinds[k].sql, -1, &st, NULL))
			return -1;
		{
			char cnt_sql[128];
			sqlite3_stmt *c;
			snprintf(cnt_sql, sizeof cnt_sql, "SELECT count(*) FROM %s", kinds[k].table);
			if (!sqlite3_prepare_v2(s->db, cnt_sql, -1, &c, NULL)) {
				if (sqlite3_step(c) == SQLITE_ROW)
					rows = sqlite3_column_double(c, 0);
				sqlite3_finalize(c);
			}
		}
		if (k == 0) {
			total_trades = rows;
			trade_bytes = bytes;
		}
		while (sqlite3_step(st) == SQLITE_ROW) {
			double n = sqlite3_column_double(st, 3);
			snprintf(mk, sizeof mk, "%s/%s", txt(st, 0), txt(st, 1));
			ts_rfc3339_fmt(sqlite3_column_int64(st, 4), a, sizeof a);
			ts_rfc3339_fmt(sqlite3_column_int64(st, 5), b, sizeof b);
			fmt_bytes(rows > 0 ? bytes * n / rows : 0, size, sizeof size);
			fprintf(out, "%-8s %-24s %-4s %12lld  %-27s  %-27s  %9s\n", kinds[k].kind, mk,
			    *txt(st, 2) ? txt(st, 2) : "-", (long long)sqlite3_column_int64(st, 3),
			    a, b, size);
		}
		sqlite3_finalize(st);
	}
	if (!sqlite3_prepare_v2(s->db, "PRAGMA page_count", -1, &st, NULL)) {
		if (sqlite3_step(st) == SQLITE_ROW)
			page_count = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (!sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &st, NULL)) {
		if (sqlite3_step(st) == SQLITE_ROW)
			page_size = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	fmt_bytes((double)(page_count * page_size), size, sizeof size);
	fprintf(out, "database '%s': %s", s->path, size);
	if (total_trades > 0 && trade_bytes > 0)
		fprintf(out, ", %.1f bytes per trade", trade_bytes / total_trades);
	fputc('\n', out);
	return ferror(out) ? -1 : 0;
}

int
store_print_gaps(struct store *s, FILE *out)
{
	sqlite3_stmt *st;
	char a[40], b[40];

	if (sqlite3_prepare_v2(s->db, "SELECT topic, since, until, missing, reason FROM gaps"
	    " ORDER BY id", -1, &st, NULL))
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(a, sizeof a, "-");
		snprintf(b, sizeof b, "-");
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			ts_rfc3339_fmt(sqlite3_column_int64(st, 1), a, sizeof a);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			ts_rfc3339_fmt(sqlite3_column_int64(st, 2), b, sizeof b);
		fprintf(out, "%s\t%s\t%s\t%s", txt(st, 4), a, b, txt(st, 0));
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			fprintf(out, "\t%lld missing", (long long)sqlite3_column_int64(st, 3));
		fputc('\n', out);
	}
	sqlite3_finalize(st);
	return ferror(out) ? -1 : 0;
}
