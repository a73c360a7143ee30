/* gui_dom.c: the DOM price ladder centred on the mid, with the book's tick grouping */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gui.h"
#include "log.h"

#define ROW_H 18.0
#define MAXG 4096
#define MAXROWS 256

struct dom {
	struct gui_view *v;
	struct gui_stream *st;
	GtkWidget *area, *tick_dd, *auto_btn;
	GtkStringList *ticks;
	double presets[12];
	int npresets, updating;
	double tick;   /* 0: auto */
	double center; /* price of the middle row; 0: recentre at the next frame */
	double used_tick;
	int auto_center;
	struct gui_lvl g[2][MAXG];
	double rowq[2][MAXROWS], rowcum[2][MAXROWS];
	uint64_t draws, recenters;
	int best_row[2];
};

static void
sync_ticks(struct dom *d)
{
	double p[12];
	int n = gui_tick_presets(&d->st->book, p);

	if (n == d->npresets && !memcmp(p, d->presets, sizeof(double) * (size_t)n))
		return;
	memcpy(d->presets, p, sizeof p);
	d->npresets = n;
	d->updating = 1;
	gui_tick_model(d->ticks, p, n);
	{
		guint sel = 0;
		for (int i = 0; i < n; i++)
			if (d->tick > 0 && fabs(p[i] - d->tick) < p[i] * 1e-6)
				sel = (guint)i + 1;
		gtk_drop_down_set_selected(GTK_DROP_DOWN(d->tick_dd), sel);
	}
	d->updating = 0;
}

static void
draw(GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
	struct dom *d = data;
	const struct ts_level *lb, *la;
	double bb, ba, mid, tick, top_px, maxq = 0, maxcum = 0, colw[5], cx[6];
	int rows, midrow;
	size_t ng[2];
	char buf[160];
	static const char *const heads[5] = { "Bid cum", "Bid", "Price", "Ask", "Ask cum" };

	(void)area;
	gui_note_draw();
	d->draws++;
	gui_color(cr, GUI_BG, 1);
	cairo_paint(cr);
	lb = d->st ? ts_book_best(&d->st->book, TS_BID) : NULL;
	la = d->st ? ts_book_best(&d->st->book, TS_ASK) : NULL;
	if (!lb || !la) {
		int resync = d->st && d->st->book_state == GUI_BOOK_RESYNC;
		gui_color(cr, resync ? GUI_RED : GUI_TEXTC, 1);
		snprintf(buf, sizeof buf, resync ? "RESYNCING book/%s/%s: waiting for a snapshot" :
		    "waiting for book/%s/%s", d->v->ex, d->v->sym);
		gui_text(cr, w / 2.0, h / 2.0, buf, 0, 0);
		return;
	}
	bb = ts_dec_to_double(lb->px);
	ba = ts_dec_to_double(la->px);
	mid = (bb + ba) / 2;
	tick = d->tick > 0 ? d->tick : gui_tick_auto(&d->st->book);
	if (!(tick > 0))
		return;
	rows = (int)((h - ROW_H) / ROW_H);
	if (rows > MAXROWS)
		rows = MAXROWS;
	if (rows < 3)
		return;
	midrow = rows / 2;
	if (d->used_tick != tick)
		d->center = 0;
	d->used_tick = tick;
	/* recentre on demand, or when the spread drifts near an edge */
	if (d->center <= 0 || (d->auto_center && (fabs(mid - d->center) / tick > midrow * 0.8))) {
		d->center = round(mid / tick) * tick;
		d->recenters++;
	}
	top_px = d->center + midrow * tick; /* row 0 */
	memset(d->rowq, 0, sizeof d->rowq);
	for (int s = 0; s < 2; s++) {
		double pre = 0; /* levels nearer the spread than the first row shown */
		ng[s] = gui_book_group(&d->st->book, s, tick, MAXG, d->g[s]);
		d->best_row[s] = -1;
		for (size_t i = 0; i < ng[s]; i++) {
			long r = lround((top_px - d->g[s][i].px) / tick);
			if (i == 0)
				d->best_row[s] = r >= 0 && r < rows ? (int)r : -1;
			if (r >= 0 && r < rows)
				d->rowq[s][r] += d->g[s][i].qty;
			else if ((s == TS_BID && r < 0) || (s == TS_ASK && r >= rows))
				pre += d->g[s][i].qty;
			else
				break; /* beyond the far edge: sorted, so the rest are too */
		}
		/* cumulative from the best level outwards */
		if (s == TS_BID)
			for (int r = 0; r < rows; r++) {
				pre += d->rowq[s][r];
				d->rowcum[s][r] = d->g[s][0].px >= top_px - r * tick - tick * 1e-6 ? pre : 0;
			}
		else
			for (int r = rows - 1; r >= 0; r--) {
				pre += d->rowq[s][r];
				d->rowcum[s][r] = d->g[s][0].px <= top_px - r * tick + tick * 1e-6 ? pre : 0;
			}
		for (int r = 0; r < rows; r++) {
			if (d->rowq[s][r] > maxq)
				maxq = d->rowq[s][r];
			if (d->rowcum[s][r] > maxcum)
				maxcum = d->rowcum[s][r];
		}
	}
	colw[0] = colw[4] = w * 0.19;
	colw[1] = colw[3] = w * 0.21;
	colw[2] = w - 2 * colw[0] - 2 * colw[1];
	cx[0] = 0;
	for (int i = 0; i < 5; i++)
		cx[i + 1] = cx[i] + colw[i];
	gui_color(cr, 0x1e222d, 1);
	cairo_rectangle(cr, 0, 0, w, ROW_H);
	cairo_fill(cr);
	gui_color(cr, GUI_TEXTC, 1);
	for (int i = 0; i < 5; i++)
		gui_text(cr, cx[i] + colw[i] / 2, 13, heads[i], 0, 1);
	for (int r = 0; r < rows; r++) {
		double y = ROW_H + r * ROW_H, px = top_px - r * tick;
		int is_bb = r == d->best_row[TS_BID], is_ba = r == d->best_row[TS_ASK];
		if (is_bb || is_ba) {
			gui_color(cr, is_bb ? GUI_GREEN : GUI_RED, 0.35);
			cairo_rectangle(cr, 0, y, w, ROW_H);
			cairo_fill(cr);
		} else if (r % 2) {
			gui_color(cr, 0x181c27, 1);
			cairo_rectangle(cr, 0, y, w, ROW_H);
			cairo_fill(cr);
		}
		for (int s = 0; s < 2; s++) {
			uint32_t col = s == TS_BID ? GUI_GREEN : GUI_RED;
			int qc = s == TS_BID ? 1 : 3, cc = s == TS_BID ? 0 : 4;
			if (d->rowq[s][r] > 0) {
				double len = d->rowq[s][r] / maxq * (colw[qc] - 4);
				gui_color(cr, col, 0.45);
				cairo_rectangle(cr, s == TS_BID ? cx[qc + 1] - 2 - len : cx[qc] + 2, y + 2,
				    len, ROW_H - 4);
				cairo_fill(cr);
				gui_fmt_qty(d->rowq[s][r], buf, sizeof buf);
				gui_color(cr, 0xffffff, 1);
				gui_text(cr, cx[qc] + colw[qc] / 2, y + 13, buf, 0, 0);
			}
			if (d->rowcum[s][r] > 0) {
				double len = d->rowcum[s][r] / maxcum * (colw[cc] - 4);
				gui_color(cr, col, 0.18);
				cairo_rectangle(cr, s == TS_BID ? cx[cc + 1] - 2 - len : cx[cc] + 2, y + 2,
				    len, ROW_H - 4);
				cairo_fill(cr);
				gui_fmt_qty(d->rowcum[s][r], buf, sizeof buf);
				gui_color(cr, GUI_TEXTC, 1);
				gui_text(cr, cx[cc] + colw[cc] / 2, y + 13, buf, 0, 0);
			}
		}
		gui_fmt_price(px, tick, buf, sizeof buf);
		gui_color(cr, px >= mid ? 0xf7a1a0 : 0x8fd6cf, 1);
		gui_text(cr, cx[2] + colw[2] / 2, y + 13, buf, 0, is_bb || is_ba);
	}
	gui_color(cr, GUI_GRIDC, 1);
	cairo_set_line_width(cr, 1);
	for (int i = 1; i < 5; i++) {
		cairo_move_to(cr, floor(cx[i]) + 0.5, 0);
		cairo_line_to(cr, floor(cx[i]) + 0.5, h);
	}
	cairo_stroke(cr);
}

static void
on_data(struct gui_view *v, struct gui_stream *s)
{
	struct dom *d = v->priv;
	const char *fs = gui_feed_state(v->ex);

	if (s) {
		sync_ticks(d);
		gui_view_redraw(v, d->area);
	}
	if (!d->st || d->st->book_state == GUI_BOOK_WAITING)
		gui_view_set_state(v, "waiting");
	else if (d->st->book_state == GUI_BOOK_RESYNC)
		gui_view_set_state(v, "resync");
	else
		gui_view_set_state(v, !strcmp(fs, "stale") ? "stale" : "live");
}

static void
attach(struct gui_view *v)
{
	struct dom *d = v->priv;
	char topic[TS_TOPIC_MAX];

	ts_topic_build(topic, sizeof topic, "book", v->ex, v->sym, NULL);
	d->st = gui_stream_ref(topic, GUI_ST_BOOK, v);
	d->center = 0;
	d->npresets = -1;
	if (d->area) {
		sync_ticks(d);
		gtk_widget_queue_draw(d->area);
	}
}

static void
detach(struct gui_view *v)
{
	struct dom *d = v->priv;

	gui_stream_unref(&d->st, v);
}

static void
on_tick_dd(GObject *dd, GParamSpec *ps, gpointer data)
{
	struct dom *d = data;
	guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(dd));

	(void)ps;
	if (d->updating)
		return;
	d->tick = i == 0 || (int)i > d->npresets ? 0 : d->presets[i - 1];
	d->center = 0;
	gtk_widget_queue_draw(d->area);
}

static void
on_center(GtkButton *b, gpointer data)
{
	struct dom *d = data;

	(void)b;
	d->center = 0;
	gtk_widget_queue_draw(d->area);
}

static void
on_auto(GtkToggleButton *b, gpointer data)
{
	struct dom *d = data;

	d->auto_center = gtk_toggle_button_get_active(b);
	gtk_widget_queue_draw(d->area);
}

static gboolean
on_scroll(GtkEventControllerScroll *sc, double dx, double dy, gpointer data)
{
	struct dom *d = data;

	(void)sc, (void)dx;
	if (d->center > 0 && d->used_tick > 0)
		d->center -= round(dy * 3) * d->used_tick;
	gtk_widget_queue_draw(d->area);
	return TRUE;
}

static GtkWidget *
build(struct gui_view *v)
{
	struct dom *d = ts_xcalloc(1, sizeof *d);
	GtkWidget *btn;
	GtkEventController *ec;

	v->priv = d;
	d->v = v;
	d->auto_center = 1;
	d->npresets = -1;
	d->ticks = gtk_string_list_new(NULL);
	gtk_string_list_append(d->ticks, "auto");
	d->tick_dd = gtk_drop_down_new(G_LIST_MODEL(d->ticks), NULL);
	gtk_widget_set_tooltip_text(d->tick_dd, "Ladder tick");
	gtk_box_append(GTK_BOX(v->header), d->tick_dd);
	btn = gtk_button_new_with_label("Center");
	gtk_widget_set_tooltip_text(btn, "Recentre the ladder on the mid");
	gtk_widget_add_css_class(btn, "flat");
	g_signal_connect(btn, "clicked", G_CALLBACK(on_center), d);
	gtk_box_append(GTK_BOX(v->header), btn);
	d->auto_btn = gtk_toggle_button_new_with_label("Auto");
	gtk_widget_set_tooltip_text(d->auto_btn, "Recentre when the spread nears an edge");
	gtk_widget_add_css_class(d->auto_btn, "flat");
	gtk_box_append(GTK_BOX(v->header), d->auto_btn);
	d->area = gtk_drawing_area_new();
	gtk_widget_set_hexpand(d->area, TRUE);
	gtk_widget_set_vexpand(d->area, TRUE);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(d->area), draw, d, NULL);
	ec = gtk_event_controller_scroll_new(GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
	g_signal_connect(ec, "scroll", G_CALLBACK(on_scroll), d);
	gtk_widget_add_controller(d->area, ec);
	return d->area;
}

static void
save(struct gui_view *v, GKeyFile *kf, const char *grp)
{
	struct dom *d = v->priv;

	g_key_file_set_double(kf, grp, "tick", d->tick);
	g_key_file_set_boolean(kf, grp, "auto_center", d->auto_center);
}

static void
load(struct gui_view *v, GKeyFile *kf, const char *grp)
{
	struct dom *d = v->priv;
	GtkWidget *ab = d->auto_btn;

	if (kf) {
		double t = g_key_file_get_double(kf, grp, "tick", NULL);
		if (t > 0 && isfinite(t))
			d->tick = t;
		if (g_key_file_has_key(kf, grp, "auto_center", NULL))
			d->auto_center = g_key_file_get_boolean(kf, grp, "auto_center", NULL);
	}
	gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(ab), d->auto_center);
	g_signal_connect(ab, "toggled", G_CALLBACK(on_auto), d);
	g_signal_connect(d->tick_dd, "notify::selected", G_CALLBACK(on_tick_dd), d);
}

static void
dump(struct gui_view *v, GString *o)
{
	struct dom *d = v->priv;

	g_string_append_printf(o, ",\"tick\":%.10g,\"used_tick\":%.10g,\"center\":%.10g,"
	    "\"auto_center\":%s,\"best_bid_row\":%d,\"best_ask_row\":%d,\"draws\":%llu",
	    d->tick, d->used_tick, d->center, d->auto_center ? "true" : "false",
	    d->best_row[TS_BID], d->best_row[TS_ASK], (unsigned long long)d->draws);
}

static void
dom_free(struct gui_view *v)
{
	free(v->priv);
	v->priv = NULL;
}

const struct gui_view_ops gui_dom_ops = {
	"dom", "DOM", build, attach, detach, on_data, save, load, dump, dom_free,
};
