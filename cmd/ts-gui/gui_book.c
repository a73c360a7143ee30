/* gui_book.c: the order book view (cumulative depth or per-level bars) and price grouping */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gui.h"
#include "log.h"

#define MAXG 4096

size_t
gui_book_group(const struct ts_book *b, int side, double tick, size_t max, struct gui_lvl *out)
{
	size_t n = 0;
	struct ts_book_it it = ts_book_iter(b, (enum ts_side)side);

	for (const struct ts_level *l; (l = ts_book_next(&it));) {
		double px = ts_dec_to_double(l->px);
		double q = ts_dec_to_double(l->qty);
		double key = tick > 0 ? (side == TS_BID ? floor(px / tick + 1e-9) :
		    ceil(px / tick - 1e-9)) * tick : px;
		if (n && fabs(out[n - 1].px - key) < tick * 1e-6) {
			out[n - 1].qty += q;
			continue;
		}
		if (n == max)
			break;
		out[n].px = key;
		out[n].qty = q;
		n++;
	}
	return n;
}

static double
book_mid(const struct ts_book *b)
{
	const struct ts_level *bb = ts_book_best(b, TS_BID), *ba = ts_book_best(b, TS_ASK);

	if (bb && ba)
		return (ts_dec_to_double(bb->px) + ts_dec_to_double(ba->px)) / 2;
	if (bb)
		return ts_dec_to_double(bb->px);
	if (ba)
		return ts_dec_to_double(ba->px);
	return 0;
}

int
gui_tick_presets(const struct ts_book *b, double *out)
{
	double mid = book_mid(b), lo, hi;
	int scale = 0, n = 0;

	if (!(mid > 0))
		return 0;
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < b->n[s] && i < 20; i++)
			if (ts_dec_norm(ts_book_at(b, (enum ts_side)s, i)->px).scale > scale)
				scale = ts_dec_norm(ts_book_at(b, (enum ts_side)s, i)->px).scale;
	lo = pow(10, -scale);
	if (lo < pow(10, floor(log10(mid)) - 8))
		lo = pow(10, floor(log10(mid)) - 8);
	hi = pow(10, floor(log10(mid)) - 2);
	if (hi < lo)
		hi = lo;
	for (double p = lo; p <= hi * 1.0001 && n < 12; p *= 10) {
		out[n++] = p;
		if (p * 5 <= hi * 1.0001 && n < 12)
			out[n++] = p * 5;
	}
	return n;
}

double
gui_tick_auto(const struct ts_book *b)
{
	double p[12], span = 0;
	int n = gui_tick_presets(b, p);

	/* the finest preset that puts the best 20 levels of a side on at most
	 * 15 rows: dense books group, sparse ones keep their ticks */
	for (int s = 0; s < 2; s++) {
		size_t k = b->n[s] < 20 ? b->n[s] : 20;
		if (k > 1) {
			double d = fabs(ts_dec_to_double(ts_book_at(b, (enum ts_side)s, 0)->px) -
			    ts_dec_to_double(ts_book_at(b, (enum ts_side)s, k - 1)->px));
			if (d > span)
				span = d;
		}
	}
	for (int i = 0; i < n; i++)
		if (p[i] * 15 >= span * 0.999)
			return p[i];
	return n ? p[n - 1] : 0;
}

void
gui_tick_model(GtkStringList *sl, const double *presets, int n)
{
	guint old = g_list_model_get_n_items(G_LIST_MODEL(sl));
	const char **strs = g_new0(const char *, (gsize)n + 2);
	char (*buf)[32] = g_malloc0(sizeof *buf * ((gsize)n + 1));

	strs[0] = "auto";
	for (int i = 0; i < n; i++) {
		gui_fmt_price(presets[i], presets[i], buf[i], sizeof buf[i]);
		strs[i + 1] = buf[i];
	}
	gtk_string_list_splice(sl, 0, old, strs);
	g_free(strs);
	g_free(buf);
}

/* ---- the view ---- */

static const double ranges[] = { 0, 0.1, 0.25, 0.5, 1, 2, 5, 10 }; /* 0: fit the book */
#define NRANGES (sizeof ranges / sizeof *ranges)

struct bookv {
	struct gui_view *v;
	struct gui_stream *st;
	GtkWidget *area, *mode_dd, *tick_dd, *range_dd;
	GtkStringList *ticks;
	double presets[12];
	int npresets;
	double tick; /* 0: auto */
	int bars;    /* per-level bars instead of depth curves */
	double range_pct;
	int updating;
	struct gui_lvl g[2][MAXG];
	size_t ng[2];
	uint64_t draws;
	double ratio, spread, shown_pct;
};

static double
cur_tick(const struct bookv *k)
{
	return k->tick > 0 ? k->tick : gui_tick_auto(&k->st->book);
}

static void
sync_ticks(struct bookv *k)
{
	double p[12];
	int n = gui_tick_presets(&k->st->book, p);

	if (n == k->npresets && !memcmp(p, k->presets, sizeof(double) * (size_t)n))
		return;
	memcpy(k->presets, p, sizeof p);
	k->npresets = n;
	k->updating = 1;
	gui_tick_model(k->ticks, p, n);
	{
		guint sel = 0;
		for (int i = 0; i < n; i++)
			if (k->tick > 0 && fabs(p[i] - k->tick) < p[i] * 1e-6)
				sel = (guint)i + 1;
		gtk_drop_down_set_selected(GTK_DROP_DOWN(k->tick_dd), sel);
	}
	k->updating = 0;
}

static void
draw_info(struct bookv *k, cairo_t *cr, int w, double bb, double ba, double tick)
{
	char b1[32], b2[32], b3[32], line[256];
	double mid = (bb + ba) / 2;

	gui_fmt_price(bb, tick < 0.01 ? tick : 0.01, b1, sizeof b1);
	gui_fmt_price(ba, tick < 0.01 ? tick : 0.01, b2, sizeof b2);
	gui_fmt_price(ba - bb, 1e-8, b3, sizeof b3);
	/* trim the spread's trailing zeros */
	for (char *e = b3 + strlen(b3) - 1; e > b3 && *e == '0' && strchr(b3, '.'); e--)
		*e = 0;
	if (b3[strlen(b3) - 1] == '.')
		b3[strlen(b3) - 1] = 0;
	gui_color(cr, GUI_GREEN, 1);
	gui_text(cr, 6, 14, "Bid", -1, 0);
	gui_text(cr, 30, 14, b1, -1, 1);
	gui_color(cr, GUI_RED, 1);
	gui_text(cr, w / 2.0 - 40, 14, "Ask", -1, 0);
	gui_text(cr, w / 2.0 - 14, 14, b2, -1, 1);
	gui_color(cr, GUI_TEXTC, 1);
	snprintf(line, sizeof line, "spread %s (%.2f bps) · bid/ask vol %.2f · ±%.3g%%%s", b3,
	    mid > 0 ? (ba - bb) / mid * 1e4 : 0, k->ratio, k->shown_pct,
	    k->range_pct > 0 ? "" : " (fit)");
	gui_text(cr, 6, 30, line, -1, 0);
}

static void
draw(GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
	struct bookv *k = data;
	const struct ts_level *lb, *la;
	double bb, ba, mid, tick, lo, hi, top = 40, bot = h - 18.0, left = 6, right = w - 6.0;
	double cum[2] = { 0, 0 }, maxc = 0, vol[2] = { 0, 0 };
	char buf[160];

	(void)area;
	gui_note_draw();
	k->draws++;
	gui_color(cr, GUI_BG, 1);
	cairo_paint(cr);
	cairo_set_line_width(cr, 1);
	lb = k->st ? ts_book_best(&k->st->book, TS_BID) : NULL;
	la = k->st ? ts_book_best(&k->st->book, TS_ASK) : NULL;
	if (!lb || !la) {
		int resync = k->st && k->st->book_state == GUI_BOOK_RESYNC;
		gui_color(cr, resync ? GUI_RED : GUI_TEXTC, 1);
		snprintf(buf, sizeof buf, resync ? "RESYNCING book/%s/%s: waiting for a snapshot" :
		    "waiting for book/%s/%s", k->v->ex, k->v->sym);
		gui_text(cr, w / 2.0, h / 2.0, buf, 0, 0);
		return;
	}
	bb = ts_dec_to_double(lb->px);
	ba = ts_dec_to_double(la->px);
	mid = (bb + ba) / 2;
	tick = cur_tick(k);
	{
		/* "fit": the 100th level of the farther side, with a margin */
		double pct = k->range_pct;
		if (!(pct > 0)) {
			for (int s = 0; s < 2; s++) {
				size_t n = k->st->book.n[s];
				if (n) {
					double px = ts_dec_to_double(ts_book_at(&k->st->book, (enum ts_side)s,
					    n < 100 ? n - 1 : 99)->px);
					double d = fabs(px - mid) / mid * 100 * 1.08;
					if (d > pct)
						pct = d;
				}
			}
			if (!(pct > 0))
				pct = 0.5;
		}
		k->shown_pct = pct;
		lo = mid * (1 - pct / 100);
		hi = mid * (1 + pct / 100);
	}
	for (int s = 0; s < 2; s++) {
		k->ng[s] = gui_book_group(&k->st->book, s, tick, MAXG, k->g[s]);
		for (size_t i = 0; i < k->ng[s]; i++) {
			double px = k->g[s][i].px;
			if ((s == TS_BID && px < lo) || (s == TS_ASK && px > hi))
				break;
			vol[s] += k->g[s][i].qty;
		}
		if (vol[s] > maxc)
			maxc = vol[s];
	}
	k->ratio = vol[1] > 0 ? vol[0] / vol[1] : 0;
	k->spread = ba - bb;
	draw_info(k, cr, w, bb, ba, tick);
	if (bot - top < 20 || right - left < 40)
		return;
	if (!k->bars) {
		/* cumulative depth: bids step down to the left of the mid, asks to the right */
		double step = gui_nice_step(hi - lo, (int)((right - left) / 110) + 1);
#define X(p) (left + ((p) - lo) / (hi - lo) * (right - left))
#define YC(q) (bot - (maxc > 0 ? (q) / maxc * (bot - top - 6) : 0))
		for (double p = ceil(lo / step) * step; p <= hi; p += step) {
			double x = floor(X(p)) + 0.5;
			gui_color(cr, GUI_GRIDC, 1);
			cairo_move_to(cr, x, top);
			cairo_line_to(cr, x, bot);
			cairo_stroke(cr);
			gui_fmt_price(p, step, buf, sizeof buf);
			gui_color(cr, GUI_TEXTC, 1);
			gui_text(cr, x, bot + 13, buf, 0, 0);
		}
		for (int s = 0; s < 2; s++) {
			uint32_t col = s == TS_BID ? GUI_GREEN : GUI_RED;
			double x0 = X(k->g[s][0].px);
			cairo_move_to(cr, x0, bot);
			for (size_t i = 0; i < k->ng[s]; i++) {
				double px = k->g[s][i].px, x;
				if (s == TS_BID && px < lo)
					px = lo;
				if (s == TS_ASK && px > hi)
					px = hi;
				x = X(px);
				cairo_line_to(cr, x, YC(cum[s]));
				cum[s] += k->g[s][i].qty;
				cairo_line_to(cr, x, YC(cum[s]));
				if (px == lo || px == hi)
					break;
			}
			cairo_line_to(cr, s == TS_BID ? left : right, YC(cum[s]));
			cairo_line_to(cr, s == TS_BID ? left : right, bot);
			cairo_close_path(cr);
			gui_color(cr, col, 0.35);
			cairo_fill_preserve(cr);
			gui_color(cr, col, 1);
			cairo_stroke(cr);
		}
		gui_color(cr, 0x9598a1, 0.7);
		cairo_move_to(cr, floor(X(mid)) + 0.5, top);
		cairo_line_to(cr, floor(X(mid)) + 0.5, bot);
		cairo_stroke(cr);
		gui_fmt_qty(maxc, buf, sizeof buf);
		gui_color(cr, GUI_TEXTC, 1);
		gui_text(cr, left + 2, top + 10, buf, -1, 0);
#undef X
#undef YC
	} else {
		/* per-level bars: asks above the spread, bids below, nearest in the middle */
		double rowh = 16, cy = (top + bot) / 2, maxq = 0;
		int rows = (int)((bot - top) / rowh / 2);
		for (int s = 0; s < 2; s++)
			for (size_t i = 0; i < k->ng[s] && (int)i < rows; i++)
				if (k->g[s][i].qty > maxq)
					maxq = k->g[s][i].qty;
		for (int s = 0; s < 2; s++)
			for (size_t i = 0; i < k->ng[s] && (int)i < rows; i++) {
				double y = s == TS_ASK ? cy - (double)(i + 1) * rowh : cy + (double)i * rowh;
				double len = maxq > 0 ? k->g[s][i].qty / maxq * (right - left - 150) : 0;
				uint32_t col = s == TS_BID ? GUI_GREEN : GUI_RED;
				gui_color(cr, col, 0.4);
				cairo_rectangle(cr, right - len, y + 1, len, rowh - 2);
				cairo_fill(cr);
				gui_color(cr, col, 1);
				gui_fmt_price(k->g[s][i].px, tick, buf, sizeof buf);
				gui_text(cr, left + 4, y + rowh - 4, buf, -1, i == 0);
				gui_fmt_qty(k->g[s][i].qty, buf, sizeof buf);
				gui_color(cr, GUI_TEXTC, 1);
				gui_text(cr, left + 140, y + rowh - 4, buf, 1, 0);
			}
	}
}

static void
on_data(struct gui_view *v, struct gui_stream *s)
{
	struct bookv *k = v->priv;
	const char *fs = gui_feed_state(v->ex);

	if (s) {
		sync_ticks(k);
		gui_view_redraw(v, k->area);
	}
	if (!k->st || k->st->book_state == GUI_BOOK_WAITING)
		gui_view_set_state(v, "waiting");
	else if (k->st->book_state == GUI_BOOK_RESYNC)
		gui_view_set_state(v, "resync");
	else
		gui_view_set_state(v, !strcmp(fs, "stale") ? "stale" : "live");
}

static void
attach(struct gui_view *v)
{
	struct bookv *k = v->priv;
	char topic[TS_TOPIC_MAX];

	ts_topic_build(topic, sizeof topic, "book", v->ex, v->sym, NULL);
	k->st = gui_stream_ref(topic, GUI_ST_BOOK, v);
	k->npresets = -1;
	if (k->area) {
		sync_ticks(k);
		gtk_widget_queue_draw(k->area);
	}
}

static void
detach(struct gui_view *v)
{
	struct bookv *k = v->priv;

	gui_stream_unref(&k->st, v);
}

static void
on_dd(GObject *dd, GParamSpec *ps, gpointer data)
{
	struct bookv *k = data;
	guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(dd));

	(void)ps;
	if (k->updating)
		return;
	if (GTK_WIDGET(dd) == k->mode_dd)
		k->bars = i == 1;
	else if (GTK_WIDGET(dd) == k->range_dd && i < NRANGES)
		k->range_pct = ranges[i];
	else if (GTK_WIDGET(dd) == k->tick_dd)
		k->tick = i == 0 || (int)i > k->npresets ? 0 : k->presets[i - 1];
	gtk_widget_queue_draw(k->area);
}

static GtkWidget *
build(struct gui_view *v)
{
	struct bookv *k = ts_xcalloc(1, sizeof *k);
	static const char *const modes[] = { "Depth", "Levels", NULL };
	static const char *const rnames[] = { "fit", "±0.1%", "±0.25%", "±0.5%", "±1%", "±2%",
		"±5%", "±10%", NULL };

	v->priv = k;
	k->v = v;
	k->range_pct = 0;
	k->npresets = -1;
	k->mode_dd = gtk_drop_down_new_from_strings(modes);
	gtk_widget_set_tooltip_text(k->mode_dd, "Cumulative depth or per-level bars");
	k->ticks = gtk_string_list_new(NULL);
	gtk_string_list_append(k->ticks, "auto");
	k->tick_dd = gtk_drop_down_new(G_LIST_MODEL(k->ticks), NULL);
	gtk_widget_set_tooltip_text(k->tick_dd, "Group prices by this tick");
	k->range_dd = gtk_drop_down_new_from_strings(rnames);
	gtk_widget_set_tooltip_text(k->range_dd, "Visible range around the mid");
	gtk_box_append(GTK_BOX(v->header), k->mode_dd);
	gtk_box_append(GTK_BOX(v->header), k->tick_dd);
	gtk_box_append(GTK_BOX(v->header), k->range_dd);
	k->area = gtk_drawing_area_new();
	gtk_widget_set_hexpand(k->area, TRUE);
	gtk_widget_set_vexpand(k->area, TRUE);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(k->area), draw, k, NULL);
	return k->area;
}

static void
save(struct gui_view *v, GKeyFile *kf, const char *grp)
{
	struct bookv *k = v->priv;

	g_key_file_set_string(kf, grp, "mode", k->bars ? "levels" : "depth");
	g_key_file_set_double(kf, grp, "tick", k->tick);
	g_key_file_set_double(kf, grp, "range_pct", k->range_pct);
}

static void
load(struct gui_view *v, GKeyFile *kf, const char *grp)
{
	struct bookv *k = v->priv;

	if (kf) {
		char *m = g_key_file_get_string(kf, grp, "mode", NULL);
		double r = g_key_file_get_double(kf, grp, "range_pct", NULL);
		double t = g_key_file_get_double(kf, grp, "tick", NULL);
		if (m && !strcmp(m, "levels"))
			k->bars = 1;
		g_free(m);
		for (size_t i = 0; i < NRANGES; i++)
			if (fabs(r - ranges[i]) < 1e-9)
				k->range_pct = r;
		if (!g_key_file_has_key(kf, grp, "range_pct", NULL))
			k->range_pct = 0;
		if (t > 0 && isfinite(t))
			k->tick = t;
	}
	gtk_drop_down_set_selected(GTK_DROP_DOWN(k->mode_dd), k->bars ? 1 : 0);
	for (size_t i = 0; i < NRANGES; i++)
		if (ranges[i] == k->range_pct)
			gtk_drop_down_set_selected(GTK_DROP_DOWN(k->range_dd), (guint)i);
	g_signal_connect(k->mode_dd, "notify::selected", G_CALLBACK(on_dd), k);
	g_signal_connect(k->tick_dd, "notify::selected", G_CALLBACK(on_dd), k);
	g_signal_connect(k->range_dd, "notify::selected", G_CALLBACK(on_dd), k);
}

static void
dump(struct gui_view *v, GString *o)
{
	struct bookv *k = v->priv;
	const struct ts_level *lb = k->st ? ts_book_best(&k->st->book, TS_BID) : NULL;
	const struct ts_level *la = k->st ? ts_book_best(&k->st->book, TS_ASK) : NULL;
	char b[TS_DEC_STRLEN] = "null", a[TS_DEC_STRLEN] = "null";

	if (lb)
		ts_dec_fmt(lb->px, b, sizeof b);
	if (la)
		ts_dec_fmt(la->px, a, sizeof a);
	g_string_append_printf(o, ",\"mode\":\"%s\",\"tick\":%.10g,\"range_pct\":%g,"
	    "\"best_bid\":%s,\"best_ask\":%s,\"bid_levels\":%zu,\"ask_levels\":%zu,"
	    "\"resets\":%llu,\"snapshots\":%llu,\"ratio\":%.4f,\"draws\":%llu",
	    k->bars ? "levels" : "depth", k->tick, k->range_pct, b, a,
	    k->st ? k->st->book.n[0] : 0, k->st ? k->st->book.n[1] : 0,
	    k->st ? (unsigned long long)k->st->resets : 0ULL,
	    k->st ? (unsigned long long)k->st->snapshots : 0ULL, k->ratio,
	    (unsigned long long)k->draws);
}

static void
book_free(struct gui_view *v)
{
	free(v->priv);
	v->priv = NULL;
}

const struct gui_view_ops gui_book_ops = {
	"book", "Order book", build, attach, detach, on_data, save, load, dump, book_free,
};
