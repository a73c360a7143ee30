/* gui_tape.c: the trade tape (time and sales): newest first, large trades emphasized */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gui.h"
#include "log.h"
#include "tm.h"

#define ROW_H 17.0

struct tape {
	struct gui_view *v;
	struct gui_stream *st;
	GtkWidget *area, *thr_spin, *tps_label;
	double large; /* base-currency size at or above which a trade stands out */
	uint64_t draws, shown_large;
	double px_step;
};

static void
draw(GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
	struct tape *t = data;
	int rows = (int)((h - ROW_H) / ROW_H);
	double cx[4] = { 6, w * 0.40, w * 0.72, w - 6.0 };
	char buf[160];

	(void)area;
	gui_note_draw();
	t->draws++;
	gui_color(cr, GUI_BG, 1);
	cairo_paint(cr);
	gui_color(cr, 0x1e222d, 1);
	cairo_rectangle(cr, 0, 0, w, ROW_H);
	cairo_fill(cr);
	gui_color(cr, GUI_TEXTC, 1);
	gui_text(cr, cx[0], 12, "Time (UTC)", -1, 1);
	gui_text(cr, cx[2] - 8, 12, "Price", 1, 1);
	gui_text(cr, cx[3], 12, "Size", 1, 1);
	if (!t->st || !t->st->ntr) {
		snprintf(buf, sizeof buf, "waiting for trades/%s/%s", t->v->ex, t->v->sym);
		gui_text(cr, w / 2.0, h / 2.0, buf, 0, 0);
		return;
	}
	t->shown_large = 0;
	for (int r = 0; r < rows && (size_t)r < t->st->ntr; r++) {
		size_t idx = (t->st->trhead + GUI_TRADE_RING - 1 - (size_t)r) % GUI_TRADE_RING;
		const struct gui_trade *tr = &t->st->tr[idx];
		double y = ROW_H + r * ROW_H;
		int big = t->large > 0 && tr->qty >= t->large;
		uint32_t col = tr->sell ? GUI_RED : GUI_GREEN;
		time_t tt = (time_t)(tr->ts / TS_US_PER_SEC);
		struct tm tmv;
		char hms[16];

		if (big) {
			t->shown_large++;
			gui_color(cr, col, 0.35);
			cairo_rectangle(cr, 0, y, w, ROW_H);
			cairo_fill(cr);
		}
		gmtime_r(&tt, &tmv);
		strftime(hms, sizeof hms, "%H:%M:%S", &tmv);
		snprintf(buf, sizeof buf, "%s.%03d", hms, (int)(tr->ts / 1000 % 1000));
		gui_color(cr, GUI_TEXTC, 1);
		gui_text(cr, cx[0], y + 12, buf, -1, 0);
		gui_color(cr, big ? 0xffffff : col, 1);
		snprintf(buf, sizeof buf, "%.8g", tr->px);
		gui_text(cr, cx[2] - 8, y + 12, buf, 1, big);
		gui_fmt_qty(tr->qty, buf, sizeof buf);
		gui_text(cr, cx[3], y + 12, buf, 1, big);
	}
}

static void
update_tps(struct tape *t)
{
	char buf[160];

	snprintf(buf, sizeof buf, "%.1f trades/s", t->st ? gui_stream_tps(t->st) : 0.0);
	gtk_label_set_text(GTK_LABEL(t->tps_label), buf);
}

static void
on_data(struct gui_view *v, struct gui_stream *s)
{
	struct tape *t = v->priv;
	const char *fs = gui_feed_state(v->ex);

	if (s)
		gui_view_redraw(v, t->area);
	else
		update_tps(t);
	gui_view_set_state(v, !t->st || !t->st->ntr ? "waiting" :
	    !strcmp(fs, "stale") ? "stale" : "live");
}

static void
attach(struct gui_view *v)
{
	struct tape *t = v->priv;
	char topic[TS_TOPIC_MAX];

	ts_topic_build(topic, sizeof topic, "trades", v->ex, v->sym, NULL);
	t->st = gui_stream_ref(topic, GUI_ST_TRADES, v);
	if (t->area)
		gtk_widget_queue_draw(t->area);
}

static void
detach(struct gui_view *v)
{
	struct tape *t = v->priv;

	gui_stream_unref(&t->st, v);
}

static void
on_thr(GtkSpinButton *sb, gpointer data)
{
	struct tape *t = data;

	t->large = gtk_spin_button_get_value(sb);
	gtk_widget_queue_draw(t->area);
}

static GtkWidget *
build(struct gui_view *v)
{
	struct tape *t = ts_xcalloc(1, sizeof *t);
	GtkWidget *lab;

	v->priv = t;
	t->v = v;
	t->large = 1.0;
	lab = gtk_label_new("Large ≥");
	gtk_box_append(GTK_BOX(v->header), lab);
	t->thr_spin = gtk_spin_button_new_with_range(0, 1e9, 0.1);
	gtk_spin_button_set_digits(GTK_SPIN_BUTTON(t->thr_spin), 4);
	gtk_widget_set_tooltip_text(t->thr_spin, "Trades of at least this size (base currency) are emphasized");
	gtk_box_append(GTK_BOX(v->header), t->thr_spin);
	t->tps_label = gtk_label_new("0.0 trades/s");
	gtk_box_append(GTK_BOX(v->header), t->tps_label);
	t->area = gtk_drawing_area_new();
	gtk_widget_set_hexpand(t->area, TRUE);
	gtk_widget_set_vexpand(t->area, TRUE);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(t->area), draw, t, NULL);
	return t->area;
}

static void
save(struct gui_view *v, GKeyFile *kf, const char *grp)
{
	struct tape *t = v->priv;

	g_key_file_set_double(kf, grp, "large", t->large);
}

static void
load(struct gui_view *v, GKeyFile *kf, const char *grp)
{
	struct tape *t = v->priv;

	if (kf && g_key_file_has_key(kf, grp, "large", NULL)) {
		double l = g_key_file_get_double(kf, grp, "large", NULL);
		if (l >= 0 && isfinite(l))
			t->large = l;
	}
	gtk_spin_button_set_value(GTK_SPIN_BUTTON(t->thr_spin), t->large);
	g_signal_connect(t->thr_spin, "value-changed", G_CALLBACK(on_thr), t);
}

static void
dump(struct gui_view *v, GString *o)
{
	struct tape *t = v->priv;

	g_string_append_printf(o, ",\"large\":%g,\"trades\":%llu,\"buffered\":%zu,"
	    "\"tps\":%.2f,\"large_shown\":%llu,\"draws\":%llu", t->large,
	    t->st ? (unsigned long long)t->st->ntrades : 0ULL, t->st ? t->st->ntr : 0,
	    t->st ? gui_stream_tps(t->st) : 0.0, (unsigned long long)t->shown_large,
	    (unsigned long long)t->draws);
	if (t->st && t->st->ntr) {
		const struct gui_trade *tr = &t->st->tr[(t->st->trhead + GUI_TRADE_RING - 1) %
		    GUI_TRADE_RING];
		g_string_append_printf(o, ",\"newest\":{\"px\":%.10g,\"qty\":%.10g,\"side\":\"%s\"}",
		    tr->px, tr->qty, tr->sell ? "sell" : "buy");
	}
}

static void
tape_free(struct gui_view *v)
{
	free(v->priv);
	v->priv = NULL;
}

const struct gui_view_ops gui_tape_ops = {
	"tape", "Trades", build, attach, detach, on_data, save, load, dump, tape_free,
};
