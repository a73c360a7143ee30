/* gui_chart.c: the candlestick chart view: candles, volume, EMAs, VWAP, crosshair */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gui.h"
#include "log.h"
#include "tm.h"

#define AXIS_W 74.0
#define TIME_H 20.0
#define TOP_H 32.0
#define NEMA 5
static const int ema_len[NEMA] = { 10, 25, 50, 100, 200 };
static const uint32_t ema_col[NEMA] = { 0xf7c948, 0x4fc3f7, 0xba68c8, 0xff8a65, 0xe0e0e0 };
#define VWAP_COL 0xff9800

struct chart {
	struct gui_view *v;
	struct gui_stream *st;
	GtkWidget *area, *tf_dd, *ema_btn[NEMA], *vwap_btn;
	int ema_on[NEMA], vwap_on;
	double bar_w;  /* pixels per candle */
	double right;  /* candle index (fractional) at the plot's right edge */
	int follow;    /* keep the newest candle in view */
	double drag_right;
	int hover;
	double mx, my;
	/* indicators, recomputed from the first changed candle */
	double *ema[NEMA], *cum_pv, *cum_v;
	size_t ind_n, ind_cap;
	/* what the last frame showed, for tests and the benchmark */
	int64_t created_mono, first_paint_mono, data_mono;
	uint64_t draws;
	double draw_ms_max;
	double last_x, last_yo, last_yc, last_yv, vol_base;
	size_t vis_first, vis_last;
};

static void
ind_recompute(struct chart *c, size_t from)
{
	const struct gui_candle *k = c->st ? c->st->c : NULL;
	size_t n = c->st ? c->st->nc : 0;

	if (n > c->ind_cap) {
		size_t cap = c->ind_cap;
		for (int e = 0; e < NEMA; e++) {
			cap = c->ind_cap;
			ts_xgrow((void **)&c->ema[e], &cap, n, sizeof(double));
		}
		cap = c->ind_cap;
		ts_xgrow((void **)&c->cum_pv, &cap, n, sizeof(double));
		cap = c->ind_cap;
		ts_xgrow((void **)&c->cum_v, &cap, n, sizeof(double));
		c->ind_cap = cap;
	}
	if (from > c->ind_n)
		from = c->ind_n;
	for (size_t i = from; i < n; i++) {
		for (int e = 0; e < NEMA; e++) {
			double a = 2.0 / (ema_len[e] + 1);
			c->ema[e][i] = i == 0 ? k[i].c : a * k[i].c + (1 - a) * c->ema[e][i - 1];
		}
		/* session VWAP: the session is the UTC day */
		double tp = (k[i].h + k[i].l + k[i].c) / 3;
		if (i == 0 || k[i].t / (86400 * TS_US_PER_SEC) != k[i - 1].t / (86400 * TS_US_PER_SEC)) {
			c->cum_pv[i] = tp * k[i].v;
			c->cum_v[i] = k[i].v;
		} else {
			c->cum_pv[i] = c->cum_pv[i - 1] + tp * k[i].v;
			c->cum_v[i] = c->cum_v[i - 1] + k[i].v;
		}
	}
	c->ind_n = n;
}

static double
plot_w(int w)
{
	return w - AXIS_W > 10 ? w - AXIS_W : 10;
}

static void
fit_now(struct chart *c)
{
	c->follow = 1;
	if (c->bar_w < 1 || c->bar_w > 30)
		c->bar_w = 7;
}

/* x of candle i's centre */
static double
xc(const struct chart *c, double pw, double i)
{
	return pw - (c->right - i - 0.5) * c->bar_w;
}

static const int64_t tsteps[] = { 1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 14400,
	21600, 43200, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400,
	365 * 86400 };

static void
draw_time_axis(struct chart *c, cairo_t *cr, double pw, double y0, double y1, size_t i0,
    size_t i1, int64_t tf)
{
	const struct gui_candle *k = c->st->c;
	int64_t step = tsteps[sizeof tsteps / sizeof *tsteps - 1];
	double ref_x = xc(c, pw, (double)i1);
	int64_t ref_t = k[i1].t / TS_US_PER_SEC, tfs = tf / TS_US_PER_SEC;
	int64_t t0 = k[i0].t / TS_US_PER_SEC;

	if (tfs < 1)
		tfs = 1;
	for (size_t j = 0; j < sizeof tsteps / sizeof *tsteps; j++)
		if (tsteps[j] >= tfs && (double)tsteps[j] / (double)tfs * c->bar_w >= 90) {
			step = tsteps[j];
			break;
		}
	for (int64_t t = (t0 / step + 1) * step; t <= ref_t + step; t += step) {
		double x = ref_x + (double)(t - ref_t) / (double)tfs * c->bar_w;
		char lab[32];
		struct tm tmv;
		time_t tt = (time_t)t;
		int bold;

		if (x < 0 || x > pw)
			continue;
		gmtime_r(&tt, &tmv);
		bold = tmv.tm_hour == 0 && tmv.tm_min == 0 && tmv.tm_sec == 0;
		if (step >= 86400 || bold)
			strftime(lab, sizeof lab, tmv.tm_mday == 1 && tmv.tm_mon == 0 ? "%Y" :
			    "%d %b", &tmv);
		else if (step < 60)
			strftime(lab, sizeof lab, "%H:%M:%S", &tmv);
		else
			strftime(lab, sizeof lab, "%H:%M", &tmv);
		gui_color(cr, GUI_GRIDC, 1);
		cairo_move_to(cr, floor(x) + 0.5, y0);
		cairo_line_to(cr, floor(x) + 0.5, y1);
		cairo_stroke(cr);
		gui_color(cr, GUI_TEXTC, 1);
		gui_text(cr, x, y1 + 14, lab, 0, bold);
	}
}

static void
axis_label(cairo_t *cr, double x, double y, const char *s, uint32_t bg, uint32_t fg)
{
	gui_color(cr, bg, 1);
	cairo_rectangle(cr, x, y - 8, AXIS_W, 16);
	cairo_fill(cr);
	gui_color(cr, fg, 1);
	gui_text(cr, x + 4, y + 4, s, -1, 0);
}

static void
draw(GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
	struct chart *c = data;
	const struct gui_candle *k;
	double pw = plot_w(w), ptop = TOP_H, pbot = h - TIME_H;
	double vol_h = (pbot - ptop) * 0.2, price_bot = pbot - vol_h - 4;
	double lo = INFINITY, hi = -INFINITY, vmax = 0, step, py;
	int64_t tf = ts_tf_us(c->v->tf);
	size_t n, i0, i1, g;
	char buf[64], buf2[400];

	int64_t t_start = g_get_monotonic_time();

	(void)area;
	gui_note_draw();
	c->draws++;
	gui_color(cr, GUI_BG, 1);
	cairo_paint(cr);
	cairo_set_line_width(cr, 1);
	n = c->st ? c->st->nc : 0;
	if (n == 0 || pbot - ptop < 40) {
		gui_color(cr, GUI_TEXTC, 1);
		snprintf(buf2, sizeof buf2, "waiting for candles/%s/%s/%s", c->v->ex, c->v->sym,
		    c->v->tf);
		gui_text(cr, w / 2.0, h / 2.0, buf2, 0, 0);
		return;
	}
	k = c->st->c;
	if (c->ind_n != n)
		ind_recompute(c, c->ind_n < n ? c->ind_n : 0);
	if (c->follow)
		c->right = (double)n + 3;
	/* visible candles, grouped when thinner than two pixels so a zoomed-out
	 * chart of 100,000 candles draws a few hundred shapes */
	g = c->bar_w >= 2 ? 1 : (size_t)ceil(2 / c->bar_w);
	{
		double first = c->right - pw / c->bar_w;
		i0 = first < 0 ? 0 : (size_t)first;
		i1 = c->right - 1 < 0 ? 0 : (size_t)(c->right - 1);
		if (i1 >= n)
			i1 = n - 1;
		if (i0 > i1)
			i0 = i1;
		i0 -= i0 % g;
	}
	c->vis_first = i0;
	c->vis_last = i1;
	for (size_t i = i0; i <= i1; i++) {
		if (k[i].l < lo)
			lo = k[i].l;
		if (k[i].h > hi)
			hi = k[i].h;
	}
	for (size_t i = i0; i <= i1; i += g) {
		double vs = 0;
		for (size_t j = i; j < i + g && j <= i1; j++)
			vs += k[j].v;
		if (vs > vmax)
			vmax = vs;
	}
	if (hi - lo < fabs(hi) * 1e-9 + 1e-12) {
		hi += fabs(hi) * 0.001 + 1e-9;
		lo -= fabs(lo) * 0.001 + 1e-9;
	}
	{
		double pad = (hi - lo) * 0.06;
		hi += pad;
		lo -= pad;
	}
#define Y(p) (ptop + (hi - (p)) / (hi - lo) * (price_bot - ptop))
#define YV(q) (pbot - (vmax > 0 ? (q) / vmax * vol_h : 0))
	/* price grid and axis */
	step = gui_nice_step(hi - lo, (int)((price_bot - ptop) / 50) + 1);
	for (double p = ceil(lo / step) * step; p <= hi; p += step) {
		py = floor(Y(p)) + 0.5;
		gui_color(cr, GUI_GRIDC, 1);
		cairo_move_to(cr, 0, py);
		cairo_line_to(cr, pw, py);
		cairo_stroke(cr);
		gui_fmt_price(p, step, buf, sizeof buf);
		gui_color(cr, GUI_TEXTC, 1);
		gui_text(cr, pw + 6, py + 4, buf, -1, 0);
	}
	draw_time_axis(c, cr, pw, ptop, pbot, i0, i1, tf > 0 ? tf : TS_US_PER_SEC * 60);
	gui_color(cr, GUI_GRIDC, 1);
	cairo_move_to(cr, 0, price_bot + 2.5);
	cairo_line_to(cr, pw, price_bot + 2.5);
	cairo_move_to(cr, pw + 0.5, 0);
	cairo_line_to(cr, pw + 0.5, h);
	cairo_stroke(cr);

	cairo_save(cr);
	cairo_rectangle(cr, 0, 0, pw, h);
	cairo_clip(cr);
	/* volume, then candles */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = i0; i <= i1; i += g) {
			size_t e = i + g - 1 <= i1 ? i + g - 1 : i1;
			double o = k[i].o, cl = k[e].c, hh = k[i].h, ll = k[i].l, vs = 0;
			double x = xc(c, pw, (double)i + (double)(e - i) / 2);
			double bw = c->bar_w * (double)g * 0.7;
			for (size_t j = i; j <= e; j++) {
				if (k[j].h > hh)
					hh = k[j].h;
				if (k[j].l < ll)
					ll = k[j].l;
				vs += k[j].v;
			}
			if (bw < 1)
				bw = 1;
			gui_color(cr, cl >= o ? GUI_GREEN : GUI_RED, pass == 0 ? 0.45 : 1);
			if (pass == 0) {
				cairo_rectangle(cr, x - bw / 2, YV(vs), bw, pbot - YV(vs));
				cairo_fill(cr);
				continue;
			}
			cairo_move_to(cr, floor(x) + 0.5, Y(hh));
			cairo_line_to(cr, floor(x) + 0.5, Y(ll));
			cairo_stroke(cr);
			{
				double y1 = Y(o > cl ? o : cl), y2 = Y(o > cl ? cl : o);
				cairo_rectangle(cr, x - bw / 2, y1, bw, y2 - y1 < 1 ? 1 : y2 - y1);
				cairo_fill(cr);
			}
		}
	}
	c->last_x = xc(c, pw, (double)(n - 1));
	c->last_yo = Y(k[n - 1].o);
	c->last_yc = Y(k[n - 1].c);
	c->last_yv = YV(k[n - 1].v);
	c->vol_base = pbot;
	/* indicators */
	cairo_set_line_width(cr, 1.3);
	for (int e = 0; e < NEMA; e++) {
		if (!c->ema_on[e])
			continue;
		gui_color(cr, ema_col[e], 0.9);
		for (size_t i = i0; i <= i1; i += g)
			if (i == i0)
				cairo_move_to(cr, xc(c, pw, (double)i), Y(c->ema[e][i]));
			else
				cairo_line_to(cr, xc(c, pw, (double)i), Y(c->ema[e][i]));
		cairo_stroke(cr);
	}
	if (c->vwap_on && tf > 0 && tf < 86400 * TS_US_PER_SEC) {
		gui_color(cr, VWAP_COL, 0.9);
		for (size_t i = i0; i <= i1; i += g) {
			double vw = c->cum_v[i] > 0 ? c->cum_pv[i] / c->cum_v[i] : k[i].c;
			int new_session = i == 0 || i == i0 || c->cum_v[i] == k[i].v;
			if (new_session)
				cairo_move_to(cr, xc(c, pw, (double)i), Y(vw));
			else
				cairo_line_to(cr, xc(c, pw, (double)i), Y(vw));
		}
		cairo_stroke(cr);
	}
	cairo_restore(cr);
	cairo_set_line_width(cr, 1);

	/* last price */
	{
		double lp = k[n - 1].c;
		uint32_t col = k[n - 1].c >= k[n - 1].o ? GUI_GREEN : GUI_RED;
		double dash[] = { 3, 3 };
		py = floor(Y(lp)) + 0.5;
		if (py >= ptop && py <= price_bot) {
			gui_color(cr, col, 0.8);
			cairo_set_dash(cr, dash, 2, 0);
			cairo_move_to(cr, 0, py);
			cairo_line_to(cr, pw, py);
			cairo_stroke(cr);
			cairo_set_dash(cr, NULL, 0, 0);
			gui_fmt_price(lp, step / 100, buf, sizeof buf);
			axis_label(cr, pw + 1, py, buf, col, 0xffffff);
		}
	}

	/* crosshair and readout */
	{
		size_t hi_i = n - 1;
		if (c->hover && c->mx < pw) {
			double fi = c->right - (pw - c->mx) / c->bar_w;
			double dash[] = { 4, 3 };
			if (fi < 0)
				fi = 0;
			hi_i = (size_t)fi < n ? (size_t)fi : n - 1;
			gui_color(cr, 0x9598a1, 0.8);
			cairo_set_dash(cr, dash, 2, 0);
			cairo_move_to(cr, floor(xc(c, pw, (double)hi_i)) + 0.5, ptop);
			cairo_line_to(cr, floor(xc(c, pw, (double)hi_i)) + 0.5, pbot);
			cairo_move_to(cr, 0, floor(c->my) + 0.5);
			cairo_line_to(cr, pw, floor(c->my) + 0.5);
			cairo_stroke(cr);
			cairo_set_dash(cr, NULL, 0, 0);
			if (c->my >= ptop && c->my <= price_bot) {
				double p = hi - (c->my - ptop) / (price_bot - ptop) * (hi - lo);
				gui_fmt_price(p, step / 10, buf, sizeof buf);
				axis_label(cr, pw + 1, c->my, buf, 0x363a45, 0xffffff);
			}
			{
				time_t tt = (time_t)(k[hi_i].t / TS_US_PER_SEC);
				struct tm tmv;
				double x = xc(c, pw, (double)hi_i);
				gmtime_r(&tt, &tmv);
				strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tmv);
				gui_color(cr, 0x363a45, 1);
				cairo_rectangle(cr, x - 62, pbot + 1, 124, TIME_H - 2);
				cairo_fill(cr);
				gui_color(cr, 0xffffff, 1);
				gui_text(cr, x, pbot + 14, buf, 0, 0);
			}
		}
		{
			const struct gui_candle *q = &k[hi_i];
			char o[32], hh[32], l[32], cl[32], vv[32];
			double pstep = step / 100;
			gui_fmt_price(q->o, pstep, o, sizeof o);
			gui_fmt_price(q->h, pstep, hh, sizeof hh);
			gui_fmt_price(q->l, pstep, l, sizeof l);
			gui_fmt_price(q->c, pstep, cl, sizeof cl);
			gui_fmt_qty(q->v, vv, sizeof vv);
			snprintf(buf2, sizeof buf2, "%s %s %s   O %s  H %s  L %s  C %s  V %s",
			    c->v->ex, c->v->sym, c->v->tf, o, hh, l, cl, vv);
			gui_color(cr, q->c >= q->o ? GUI_GREEN : GUI_RED, 1);
			gui_text(cr, 6, 13, buf2, -1, 0);
		}
		{
			/* second line: the indicators with their last values */
			double x = 6;
			size_t li = hi_i;
			for (int e = 0; e < NEMA; e++) {
				if (!c->ema_on[e])
					continue;
				gui_fmt_price(c->ema[e][li], step / 100, buf, sizeof buf);
				snprintf(buf2, sizeof buf2, "EMA%d %s", ema_len[e], buf);
				gui_color(cr, ema_col[e], 1);
				gui_text(cr, x, 27, buf2, -1, 0);
				x += 34 + 7.0 * (double)strlen(buf2);
			}
			if (c->vwap_on && c->cum_v[li] > 0) {
				gui_fmt_price(c->cum_pv[li] / c->cum_v[li], step / 100, buf, sizeof buf);
				snprintf(buf2, sizeof buf2, "VWAP %s", buf);
				gui_color(cr, VWAP_COL, 1);
				gui_text(cr, x, 27, buf2, -1, 0);
			}
		}
	}
	if (!c->first_paint_mono) {
		c->first_paint_mono = g_get_monotonic_time();
		c->data_mono = c->st->first_data_mono;
	}
	{
		double ms = (double)(g_get_monotonic_time() - t_start) / 1000.0;
		if (ms > c->draw_ms_max)
			c->draw_ms_max = ms;
	}
#undef Y
#undef YV
}

static void
on_data(struct gui_view *v, struct gui_stream *s)
{
	struct chart *c = v->priv;
	const char *fs = gui_feed_state(v->ex);

	if (s) {
		if (s->changed_from != SIZE_MAX)
			ind_recompute(c, s->changed_from);
		gui_view_redraw(v, c->area);
	}
	gui_view_set_state(v, !c->st || !c->st->nc ? "waiting" : !strcmp(fs, "stale") ? "stale" : "live");
}

static void
attach(struct gui_view *v)
{
	struct chart *c = v->priv;
	char topic[TS_TOPIC_MAX];

	ts_topic_build(topic, sizeof topic, "candles", v->ex, v->sym, v->tf);
	c->st = gui_stream_ref(topic, GUI_ST_CANDLES, v);
	c->ind_n = 0;
	c->first_paint_mono = 0;
	c->created_mono = g_get_monotonic_time();
	fit_now(c);
	if (c->tf_dd)
		for (guint i = 0; i < TS_TF_COUNT; i++)
			if (!strcmp(ts_tf_names[i], v->tf) &&
			    gtk_drop_down_get_selected(GTK_DROP_DOWN(c->tf_dd)) != i)
				gtk_drop_down_set_selected(GTK_DROP_DOWN(c->tf_dd), i);
	if (c->area)
		gtk_widget_queue_draw(c->area);
}

static void
detach(struct gui_view *v)
{
	struct chart *c = v->priv;

	gui_stream_unref(&c->st, v);
}

static void
on_tf(GObject *dd, GParamSpec *ps, gpointer data)
{
	struct gui_view *v = data;
	guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(dd));

	(void)ps;
	if (i < TS_TF_COUNT && strcmp(ts_tf_names[i], v->tf))
		gui_view_set_market(v, v->ex, v->sym, ts_tf_names[i]);
}

static void
on_toggle(GtkToggleButton *b, gpointer data)
{
	struct chart *c = data;

	for (int e = 0; e < NEMA; e++)
		if (GTK_WIDGET(b) == c->ema_btn[e])
			c->ema_on[e] = gtk_toggle_button_get_active(b);
	if (GTK_WIDGET(b) == c->vwap_btn)
		c->vwap_on = gtk_toggle_button_get_active(b);
	gtk_widget_queue_draw(c->area);
}

static void
on_fit(GtkButton *b, gpointer data)
{
	struct chart *c = data;

	(void)b;
	fit_now(c);
	gtk_widget_queue_draw(c->area);
}

static gboolean
on_scroll(GtkEventControllerScroll *sc, double dx, double dy, gpointer data)
{
	struct chart *c = data;
	double pw = plot_w(gtk_widget_get_width(c->area)), nb, anchor;

	(void)sc, (void)dx;
	nb = c->bar_w * pow(1.15, -dy);
	if (nb < 0.001)
		nb = 0.001;
	if (nb > 60)
		nb = 60;
	/* keep the candle under the pointer where it is */
	anchor = c->follow || !c->hover ? pw : c->mx;
	{
		double idx = c->right - (pw - anchor) / c->bar_w;
		c->right = idx + (pw - anchor) / nb;
	}
	c->bar_w = nb;
	gtk_widget_queue_draw(c->area);
	return TRUE;
}

static void
on_drag_begin(GtkGestureDrag *g, double x, double y, gpointer data)
{
	struct chart *c = data;

	(void)g, (void)x, (void)y;
	c->drag_right = c->right;
}

static void
on_drag_update(GtkGestureDrag *g, double dx, double dy, gpointer data)
{
	struct chart *c = data;
	size_t n = c->st ? c->st->nc : 0;

	(void)g, (void)dy;
	if (fabs(dx) < 2)
		return;
	c->right = c->drag_right - dx / c->bar_w;
	if (c->right < 5)
		c->right = 5;
	/* dragged back to the newest candle: follow again */
	c->follow = c->right >= (double)n + 2;
	gtk_widget_queue_draw(c->area);
}

static void
on_motion(GtkEventControllerMotion *m, double x, double y, gpointer data)
{
	struct chart *c = data;

	(void)m;
	c->hover = 1;
	c->mx = x;
	c->my = y;
	gtk_widget_queue_draw(c->area);
}

static void
on_leave(GtkEventControllerMotion *m, gpointer data)
{
	struct chart *c = data;

	(void)m;
	c->hover = 0;
	gtk_widget_queue_draw(c->area);
}

static void
on_pressed(GtkGestureClick *g, int npress, double x, double y, gpointer data)
{
	(void)g, (void)x, (void)y;
	if (npress == 2)
		on_fit(NULL, data);
}

static GtkWidget *
build(struct gui_view *v)
{
	struct chart *c = ts_xcalloc(1, sizeof *c);
	GtkEventController *ec;
	GtkGesture *g;

	v->priv = c;
	c->v = v;
	c->bar_w = 7;
	c->follow = 1;
	c->ema_on[0] = c->ema_on[2] = 1;
	c->vwap_on = 1;
	c->tf_dd = gtk_drop_down_new_from_strings((const char *const *)ts_tf_names);
	gtk_widget_set_tooltip_text(c->tf_dd, "Timeframe");
	gtk_box_append(GTK_BOX(v->header), c->tf_dd);
	for (int e = 0; e < NEMA; e++) {
		char lab[16];
		snprintf(lab, sizeof lab, "%d", ema_len[e]);
		c->ema_btn[e] = gtk_toggle_button_new_with_label(lab);
		gtk_widget_set_tooltip_text(c->ema_btn[e], "Show this EMA");
		gtk_widget_add_css_class(c->ema_btn[e], "flat");
		gtk_box_append(GTK_BOX(v->header), c->ema_btn[e]);
	}
	c->vwap_btn = gtk_toggle_button_new_with_label("VWAP");
	gtk_widget_set_tooltip_text(c->vwap_btn, "Session VWAP (UTC day)");
	gtk_widget_add_css_class(c->vwap_btn, "flat");
	gtk_box_append(GTK_BOX(v->header), c->vwap_btn);
	{
		GtkWidget *fit = gtk_button_new_with_label("Fit");
		gtk_widget_set_tooltip_text(fit, "Fit now and follow the newest candle (double-click)");
		gtk_widget_add_css_class(fit, "flat");
		g_signal_connect(fit, "clicked", G_CALLBACK(on_fit), c);
		gtk_box_append(GTK_BOX(v->header), fit);
	}
	c->area = gtk_drawing_area_new();
	gtk_widget_set_hexpand(c->area, TRUE);
	gtk_widget_set_vexpand(c->area, TRUE);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(c->area), draw, c, NULL);
	ec = gtk_event_controller_scroll_new(GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
	g_signal_connect(ec, "scroll", G_CALLBACK(on_scroll), c);
	gtk_widget_add_controller(c->area, ec);
	g = gtk_gesture_drag_new();
	g_signal_connect(g, "drag-begin", G_CALLBACK(on_drag_begin), c);
	g_signal_connect(g, "drag-update", G_CALLBACK(on_drag_update), c);
	gtk_widget_add_controller(c->area, GTK_EVENT_CONTROLLER(g));
	g = gtk_gesture_click_new();
	g_signal_connect(g, "pressed", G_CALLBACK(on_pressed), c);
	gtk_widget_add_controller(c->area, GTK_EVENT_CONTROLLER(g));
	ec = gtk_event_controller_motion_new();
	g_signal_connect(ec, "motion", G_CALLBACK(on_motion), c);
	g_signal_connect(ec, "leave", G_CALLBACK(on_leave), c);
	gtk_widget_add_controller(c->area, ec);
	return c->area;
}

/* Sync the buttons with the settings, then listen to them. */
static void
connect_controls(struct gui_view *v)
{
	struct chart *c = v->priv;

	for (int e = 0; e < NEMA; e++) {
		gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(c->ema_btn[e]), c->ema_on[e]);
		g_signal_connect(c->ema_btn[e], "toggled", G_CALLBACK(on_toggle), c);
	}
	gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(c->vwap_btn), c->vwap_on);
	g_signal_connect(c->vwap_btn, "toggled", G_CALLBACK(on_toggle), c);
	g_signal_connect(c->tf_dd, "notify::selected", G_CALLBACK(on_tf), v);
}

static void
save(struct gui_view *v, GKeyFile *kf, const char *grp)
{
	struct chart *c = v->priv;
	int list[NEMA], n = 0;

	for (int e = 0; e < NEMA; e++)
		if (c->ema_on[e])
			list[n++] = ema_len[e];
	g_key_file_set_integer_list(kf, grp, "ema", list, (gsize)n);
	g_key_file_set_boolean(kf, grp, "vwap", c->vwap_on);
	g_key_file_set_double(kf, grp, "bar_width", c->bar_w);
}

static void
load(struct gui_view *v, GKeyFile *kf, const char *grp)
{
	struct chart *c = v->priv;
	gsize n = 0;
	gint *list;
	double bw;

	if (kf && g_key_file_has_key(kf, grp, "ema", NULL)) {
		list = g_key_file_get_integer_list(kf, grp, "ema", &n, NULL);
		for (int e = 0; e < NEMA; e++) {
			c->ema_on[e] = 0;
			for (gsize i = 0; i < n; i++)
				if (list[i] == ema_len[e])
					c->ema_on[e] = 1;
		}
		g_free(list);
	}
	if (kf && g_key_file_has_key(kf, grp, "vwap", NULL))
		c->vwap_on = g_key_file_get_boolean(kf, grp, "vwap", NULL);
	if (kf && (bw = g_key_file_get_double(kf, grp, "bar_width", NULL)) >= 0.001 && bw <= 60)
		c->bar_w = bw;
	connect_controls(v);
}

static void
dump(struct gui_view *v, GString *o)
{
	struct chart *c = v->priv;
	size_t n = c->st ? c->st->nc : 0;

	g_string_append_printf(o, ",\"candles\":%zu,\"history_batches\":%llu", n,
	    c->st ? (unsigned long long)c->st->history_batches : 0ULL);
	if (n) {
		const struct gui_candle *k = &c->st->c[n - 1];
		g_string_append_printf(o, ",\"last\":{\"t\":%lld,\"o\":%.10g,\"h\":%.10g,"
		    "\"l\":%.10g,\"c\":%.10g,\"v\":%.10g}", (long long)k->t, k->o, k->h, k->l,
		    k->c, k->v);
	}
	g_string_append_printf(o, ",\"ema\":[");
	for (int e = 0, first = 1; e < NEMA; e++)
		if (c->ema_on[e]) {
			g_string_append_printf(o, "%s%d", first ? "" : ",", ema_len[e]);
			first = 0;
		}
	g_string_append_printf(o, "],\"vwap\":%s,\"bar_width\":%.4g,\"follow\":%s,\"draws\":%llu,\"draw_ms_max\":%.3f",
	    c->vwap_on ? "true" : "false", c->bar_w, c->follow ? "true" : "false",
	    (unsigned long long)c->draws, c->draw_ms_max);
	if (c->first_paint_mono)
		g_string_append_printf(o, ",\"visible\":[%zu,%zu],\"last_px\":{\"x\":%.1f,"
		    "\"y_open\":%.1f,\"y_close\":%.1f,\"y_vol\":%.1f,\"vol_base\":%.1f},"
		    "\"first_paint_ms\":%.3f,\"data_to_paint_ms\":%.3f", c->vis_first, c->vis_last,
		    c->last_x, c->last_yo, c->last_yc, c->last_yv, c->vol_base,
		    (double)(c->first_paint_mono - c->created_mono) / 1000.0,
		    c->data_mono ? (double)(c->first_paint_mono - c->data_mono) / 1000.0 : -1.0);
	if (n && c->ind_n == n) {
		g_string_append_printf(o, ",\"ema_last\":[");
		for (int e = 0; e < NEMA; e++)
			g_string_append_printf(o, "%s%.10g", e ? "," : "", c->ema[e][n - 1]);
		g_string_append_printf(o, "],\"vwap_last\":%.10g",
		    c->cum_v[n - 1] > 0 ? c->cum_pv[n - 1] / c->cum_v[n - 1] : 0.0);
	}
}

void
gui_chart_zoom(struct gui_view *v, double bar_width)
{
	struct chart *c = v->priv;

	if (v->kind != GUI_CHART || !(bar_width >= 0.001 && bar_width <= 60))
		return;
	c->bar_w = bar_width;
	c->follow = 1;
	gtk_widget_queue_draw(c->area);
}

static void
chart_free(struct gui_view *v)
{
	struct chart *c = v->priv;

	for (int e = 0; e < NEMA; e++)
		free(c->ema[e]);
	free(c->cum_pv);
	free(c->cum_v);
	free(c);
	v->priv = NULL;
}

const struct gui_view_ops gui_chart_ops = {
	"chart", "Chart", build, attach, detach, on_data, save, load, dump, chart_free,
};
