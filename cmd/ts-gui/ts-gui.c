/* ts-gui: the GTK4 TradeSuite workstation: charts, order books, DOM ladders, trade tapes, alerts */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib-unix.h>

#include "bus.h"
#include "gui.h"
#include "log.h"
#include "path.h"
#include "tm.h"

static const char usage[] =
"usage: ts-gui [-B ENDPOINT] [--layout FILE] [--no-save] [--size WxH]\n"
"              [--screenshot FILE [--after SECONDS]] [--dump-state FILE]\n"
"              [--max-fps N] [--commands FILE] [--insecure]\n"
"\n"
"The TradeSuite workstation: candlestick charts, order books, DOM ladders,\n"
"trade tapes and alerts for any market on the bus, in panels that dock in\n"
"splits and tab groups. The layout is restored from and saved to\n"
"$XDG_CONFIG_HOME/tradesuite/layout.ini; without one, the factory layout\n"
"(coinbase BTC-USD: 1h and 5m charts, order book, trade tape, DOM) opens.\n"
"\n"
"  -B ENDPOINT          bus directory, ipc://DIR or tcp://HOST:PORT\n"
"      --layout FILE    read and save the layout here instead\n"
"      --no-save        do not save the layout on exit\n"
"      --size WxH       initial window size (default 1280x800)\n"
"      --screenshot FILE  render the window to a PNG after --after seconds\n"
"                       and exit\n"
"      --after SECONDS  when to take the screenshot (default 3)\n"
"      --dump-state FILE  with --screenshot: also write the views' state as\n"
"                       JSON\n"
"      --commands FILE  read commands, one a line, from FILE (a FIFO):\n"
"                       new KIND EX SYM [TF] | market ID EX SYM [TF] |\n"
"                       zoom ID PIXELS | close ID | dump FILE |\n"
"                       screenshot FILE | save |\n"
"                       reset | reset-stats | quit\n"
"      --max-fps N      redraw each view at most N times a second (default 30)\n"
"      --insecure       allow a tcp bus on a non-loopback address\n"
"  -h, --help           show this help\n"
"      --version        show the version\n"
"\n"
"Shortcuts: Ctrl+N chart, Ctrl+B order book, Ctrl+D DOM, Ctrl+T trade tape,\n"
"Ctrl+Shift+A alerts, Ctrl+S save layout, Ctrl+Shift+R reset layout,\n"
"Ctrl+Q quit.\n"
"\n"
"Exit status: 0 on quit, 100 usage error, 111 system error (no display,\n"
"screenshot not written).\n";

struct gui_app G;

static struct {
	const char *bus, *layout, *shot, *dump, *commands;
	double after;
	int insecure;
} opt = { .after = 3 };
static int exit_code;

int
gui_kind_from_name(const char *name)
{
	static const struct gui_view_ops *const all[GUI_KIND_N] = {
		&gui_chart_ops, &gui_book_ops, &gui_dom_ops, &gui_tape_ops, &gui_alerts_ops,
	};
	for (int k = 0; k < GUI_KIND_N; k++)
		if (!strcmp(all[k]->name, name))
			return k;
	return -1;
}

static const struct gui_view_ops *
ops_of(enum gui_kind k)
{
	switch (k) {
	case GUI_CHART: return &gui_chart_ops;
	case GUI_BOOK: return &gui_book_ops;
	case GUI_DOM: return &gui_dom_ops;
	case GUI_TAPE: return &gui_tape_ops;
	default: return &gui_alerts_ops;
	}
}

void
gui_note_draw(void)
{
	G.frames.drew = 1;
}

static gboolean
on_redraw_due(gpointer data)
{
	struct gui_view *v = data;

	v->redraw_id = 0;
	v->last_redraw_us = g_get_monotonic_time();
	gtk_widget_queue_draw(v->redraw_widget);
	return G_SOURCE_REMOVE;
}

void
gui_view_redraw(struct gui_view *v, GtkWidget *w)
{
	int64_t now = g_get_monotonic_time(), due = v->last_redraw_us + G.min_frame_us;

	v->redraw_widget = w;
	if (v->redraw_id)
		return; /* already due: this change goes with it */
	if (now >= due) {
		v->last_redraw_us = now;
		gtk_widget_queue_draw(w);
		return;
	}
	v->redraw_id = g_timeout_add((guint)((due - now + 999) / 1000), on_redraw_due, v);
}

/* ---- views ---- */

static void
set_title(struct gui_view *v)
{
	char t[160];

	if (v->kind == GUI_CHART)
		snprintf(t, sizeof t, "%s %s %s", v->sym, v->tf, v->ex);
	else
		snprintf(t, sizeof t, "%s · %s %s", v->ops->title, v->sym, v->ex);
	panel_widget_set_title(v->panel, t);
	snprintf(t, sizeof t, "%s %s", v->ex, v->sym);
	gtk_button_set_label(GTK_BUTTON(v->market_btn), t);
}

void
gui_view_set_state(struct gui_view *v, const char *state)
{
	static const char *const classes[] = { "success", "warning", "error", "dim-label" };
	const char *cls;

	if (!strcmp(v->state, state))
		return;
	snprintf(v->state, sizeof v->state, "%s", state);
	for (size_t i = 0; i < sizeof classes / sizeof *classes; i++)
		gtk_widget_remove_css_class(v->state_label, classes[i]);
	cls = !strcmp(state, "live") ? "success" : !strcmp(state, "stale") ? "warning" :
	    !strcmp(state, "resync") ? "error" : "dim-label";
	gtk_widget_add_css_class(v->state_label, cls);
	{
		char t[32];
		snprintf(t, sizeof t, "● %s", !strcmp(state, "live") ? "live" :
		    !strcmp(state, "stale") ? "STALE" : !strcmp(state, "resync") ? "RESYNC" : state);
		gtk_label_set_text(GTK_LABEL(v->state_label), t);
	}
	panel_widget_set_needs_attention(v->panel, strcmp(state, "live") && strcmp(state, "waiting"));
}

static void
view_release(struct gui_view *v)
{
	if (!g_ptr_array_remove(G.views, v))
		return;
	if (v->redraw_id)
		g_source_remove(v->redraw_id);
	v->ops->detach(v);
	v->ops->free(v);
	g_free(v);
}

static void
on_panel_destroy(GtkWidget *w, gpointer data)
{
	(void)w;
	view_release(data);
}

static void
on_market_chosen(const char *ex, const char *sym, const char *tf, void *arg)
{
	unsigned id = GPOINTER_TO_UINT(arg);

	for (guint i = 0; i < G.views->len; i++) {
		struct gui_view *v = g_ptr_array_index(G.views, i);
		if (v->id == id)
			gui_view_set_market(v, ex, sym, tf);
	}
}

static void
on_market_btn(GtkButton *b, gpointer data)
{
	struct gui_view *v = data;

	(void)b;
	gui_market_dialog(GTK_WINDOW(G.win), "Switch market", v->kind == GUI_CHART, v->tf,
	    on_market_chosen, GUINT_TO_POINTER(v->id));
}

struct gui_view *
gui_view_new(enum gui_kind kind, const char *ex, const char *sym, const char *tf,
    GKeyFile *kf, const char *group)
{
	struct gui_view *v = g_new0(struct gui_view, 1);
	GtkWidget *spacer;

	v->kind = kind;
	v->ops = ops_of(kind);
	v->id = ++G.next_id;
	snprintf(v->ex, sizeof v->ex, "%s", ex);
	snprintf(v->sym, sizeof v->sym, "%s", sym);
	snprintf(v->tf, sizeof v->tf, "%s", tf && ts_tf_us(tf) > 0 ? tf : "1h");
	v->panel = PANEL_WIDGET(panel_widget_new());
	panel_widget_set_kind(v->panel, PANEL_WIDGET_KIND_DOCUMENT);
	panel_widget_set_reorderable(v->panel, TRUE);
	panel_widget_set_can_maximize(v->panel, TRUE);
	v->box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	v->header = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 2);
	gtk_widget_add_css_class(v->header, "tsbar");
	v->market_btn = gtk_button_new_with_label("");
	gtk_widget_add_css_class(v->market_btn, "flat");
	gtk_widget_set_tooltip_text(v->market_btn, "Switch this panel to another market");
	g_signal_connect(v->market_btn, "clicked", G_CALLBACK(on_market_btn), v);
	gtk_box_append(GTK_BOX(v->header), v->market_btn);
	v->content = v->ops->build(v);
	v->state_label = gtk_label_new("");
	gtk_widget_set_margin_end(v->state_label, 6);
	gtk_widget_set_margin_start(v->state_label, 4);
	{
		/* a narrow panel clips its toolbar instead of widening the window */
		GtkWidget *sw = gtk_scrolled_window_new();
		gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(sw), GTK_POLICY_EXTERNAL,
		    GTK_POLICY_NEVER);
		gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(sw), v->header);
		gtk_widget_set_hexpand(sw, TRUE);
		/* the state mark stays visible however narrow the panel */
		spacer = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
		gtk_widget_add_css_class(spacer, "tsbar");
		gtk_box_append(GTK_BOX(spacer), sw);
		gtk_box_append(GTK_BOX(spacer), v->state_label);
		gtk_box_append(GTK_BOX(v->box), spacer);
	}
	gtk_box_append(GTK_BOX(v->box), v->content);
	panel_widget_set_child(v->panel, v->box);
	g_ptr_array_add(G.views, v);
	v->ops->load(v, kf, group);
	set_title(v);
	gui_view_set_state(v, "waiting");
	v->ops->attach(v);
	g_signal_connect(v->panel, "destroy", G_CALLBACK(on_panel_destroy), v);
	gui_bus_note_market(ex, sym);
	return v;
}

void
gui_view_set_market(struct gui_view *v, const char *ex, const char *sym, const char *tf)
{
	v->ops->detach(v);
	snprintf(v->ex, sizeof v->ex, "%s", ex);
	snprintf(v->sym, sizeof v->sym, "%s", sym);
	if (tf && ts_tf_us(tf) > 0)
		snprintf(v->tf, sizeof v->tf, "%s", tf);
	v->state[0] = 0;
	gui_view_set_state(v, "waiting");
	v->ops->attach(v);
	set_title(v);
	ts_info("panel %u now shows %s %s%s%s", v->id, ex, sym, v->kind == GUI_CHART ? " " : "",
	    v->kind == GUI_CHART ? v->tf : "");
}

static struct gui_view *
view_by_id(unsigned id)
{
	for (guint i = 0; i < G.views->len; i++) {
		struct gui_view *v = g_ptr_array_index(G.views, i);
		if (v->id == id)
			return v;
	}
	return NULL;
}

/* ---- layout and grid ---- */

static GtkWidget *grid_box, *dock;

/* The grid sits in a PanelDock, which is what lets tabs be dragged between
 * frames; libpanel 1.0 gives a dock its centre child only through
 * GtkBuildable. */
static void
new_grid(void)
{
	static const char ui[] =
	    "<interface><object class='PanelDock' id='dock'>"
	    "<property name='hexpand'>true</property><property name='vexpand'>true</property>"
	    "<child><object class='PanelGrid' id='grid'/></child>"
	    "</object></interface>";
	GtkBuilder *b = gtk_builder_new_from_string(ui, -1);

	dock = GTK_WIDGET(gtk_builder_get_object(b, "dock"));
	G.grid = GTK_WIDGET(gtk_builder_get_object(b, "grid"));
	gtk_box_insert_child_after(GTK_BOX(grid_box), dock, G.banner);
	g_object_unref(b);
}

void
gui_layout_clear(void)
{
	while (G.views->len)
		view_release(g_ptr_array_index(G.views, 0));
	gtk_box_remove(GTK_BOX(grid_box), dock);
	new_grid();
}

static void
reset_layout(void)
{
	gui_layout_clear();
	gui_layout_factory();
}

/* ---- state dump, screenshot, frame timing ---- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
pct(const double *sorted, size_t n, double p)
{
	if (!n)
		return 0;
	return sorted[(size_t)fmin((double)n - 1, floor(p * (double)n))];
}

static void
json_str(GString *o, const char *s)
{
	g_string_append_c(o, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			g_string_append_c(o, '\\');
		if ((unsigned char)*s < 0x20)
			g_string_append_printf(o, "\\u%04x", *s);
		else
			g_string_append_c(o, *s);
	}
	g_string_append_c(o, '"');
}

static int
dump_state(const char *path)
{
	GString *o = g_string_new("{");
	double *sorted = NULL;
	size_t n = G.frames.n;
	struct ts_map_entry *e;
	size_t it = 0;
	int first = 1, rc = 0;
	double sx = 0, sy = 0;
	FILE *f;

	if (n) {
		sorted = g_memdup2(G.frames.ms, n * sizeof(double));
		qsort(sorted, n, sizeof(double), cmp_double);
	}
	gtk_native_get_surface_transform(GTK_NATIVE(G.win), &sx, &sy);
	g_string_append_printf(o, "\"connected\":%s,\"bus\":", G.connected ? "true" : "false");
	json_str(o, G.bus_sub);
	g_string_append_printf(o, ",\"banner\":%s,\"msgs\":%llu,\"bad\":%llu,\"msg_rate\":%.0f,"
	    "\"window\":[%d,%d],\"frames\":{\"n\":%zu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
	    "\"max_ms\":%.3f},\"drain_max_ms\":%.3f,\"views\":[",
	    gtk_widget_get_visible(G.banner) ? "true" : "false", (unsigned long long)G.nmsg,
	    (unsigned long long)G.nbad, G.msg_rate, gtk_widget_get_width(G.win),
	    gtk_widget_get_height(G.win), n, pct(sorted, n, 0.5), pct(sorted, n, 0.99),
	    n ? sorted[n - 1] : 0.0, G.drain_ms_max);
	g_free(sorted);
	for (guint i = 0; i < G.views->len; i++) {
		struct gui_view *v = g_ptr_array_index(G.views, i);
		graphene_rect_t r = { { 0, 0 }, { 0, 0 } };
		int c, row, tab;

		gui_layout_where(v, &c, &row, &tab);
		if (!gtk_widget_compute_bounds(v->content, G.win, &r))
			memset(&r, 0, sizeof r);
		g_string_append_printf(o, "%s{\"id\":%u,\"kind\":\"%s\",\"ex\":\"%s\",\"sym\":\"%s\","
		    "\"tf\":\"%s\",\"state\":\"%s\",\"column\":%d,\"row\":%d,\"tab\":%d,"
		    "\"mapped\":%s,\"area\":[%.0f,%.0f,%.0f,%.0f]", i ? "," : "", v->id,
		    v->ops->name, v->ex, v->sym, v->kind == GUI_CHART ? v->tf : "", v->state, c,
		    row, tab, gtk_widget_get_mapped(v->content) ? "true" : "false",
		    r.origin.x + sx, r.origin.y + sy, r.size.width, r.size.height);
		v->ops->dump(v, o);
		g_string_append_c(o, '}');
	}
	g_string_append(o, "],\"status\":{");
	while ((e = ts_map_next(&G.status, &it))) {
		g_string_append_printf(o, "%s", first ? "" : ",");
		json_str(o, e->key);
		g_string_append_printf(o, ":%s", (char *)e->v.p);
		first = 0;
	}
	g_string_append(o, "},\"markets\":[");
	for (guint i = 0; i < G.markets->len; i++) {
		g_string_append(o, i ? "," : "");
		json_str(o, g_ptr_array_index(G.markets, i));
	}
	g_string_append(o, "]}\n");
	if (!(f = fopen(path, "w")) || fwrite(o->str, 1, o->len, f) != o->len) {
		ts_warn_errno("cannot write '%s'", path);
		rc = -1;
	}
	if (f && fclose(f) != 0)
		rc = -1;
	g_string_free(o, TRUE);
	return rc;
}

static int
screenshot(const char *path)
{
	GdkPaintable *p = gtk_widget_paintable_new(G.win);
	GtkSnapshot *snap = gtk_snapshot_new();
	GskRenderNode *node;
	GskRenderer *r = gtk_native_get_renderer(GTK_NATIVE(G.win));
	int w = gdk_paintable_get_intrinsic_width(p), h = gdk_paintable_get_intrinsic_height(p);
	int rc = 0;

	/* the window's paintable includes its client-side shadow: render at its
	 * own size so nothing is scaled (dump_state's areas account for it) */
	if (w <= 0 || h <= 0) {
		w = gtk_widget_get_width(G.win);
		h = gtk_widget_get_height(G.win);
	}
	gdk_paintable_snapshot(p, snap, w, h);
	node = gtk_snapshot_free_to_node(snap);
	if (!node || !r) {
		rc = 1; /* nothing to render between frames: try again */
	} else {
		graphene_rect_t vp = GRAPHENE_RECT_INIT(0, 0, (float)w, (float)h);
		GdkTexture *t = gsk_renderer_render_texture(r, node, &vp);
		if (!gdk_texture_save_to_png(t, path)) {
			ts_warn("cannot write the screenshot '%s'", path);
			rc = -1;
		} else {
			ts_info("screenshot written to '%s' (%dx%d)", path, w, h);
		}
		g_object_unref(t);
	}
	if (node)
		gsk_render_node_unref(node);
	g_object_unref(p);
	return rc;
}

/* Screenshots wait for a frame that can be rendered: at most 40 tries
 * 50 ms apart. With quit set, the state is dumped and ts-gui exits. */
struct shot {
	char *path;
	int tries, quit;
};

static void quit(void);

static gboolean
on_shot_try(gpointer data)
{
	struct shot *s = data;
	int rc = screenshot(s->path);

	if (rc > 0 && ++s->tries < 40)
		return G_SOURCE_CONTINUE;
	if (rc != 0) {
		ts_warn("cannot render the window for '%s'", s->path);
		exit_code = TS_EXIT_TEMP;
	}
	if (s->quit) {
		if (opt.dump && dump_state(opt.dump) < 0)
			exit_code = TS_EXIT_TEMP;
		quit();
	}
	g_free(s->path);
	g_free(s);
	return G_SOURCE_REMOVE;
}

static void
take_shot(const char *path, int then_quit)
{
	struct shot *s = g_new0(struct shot, 1);

	s->path = g_strdup(path);
	s->quit = then_quit;
	if (on_shot_try(s) == G_SOURCE_CONTINUE)
		g_timeout_add(50, on_shot_try, s);
}

static void
quit(void)
{
	if (!G.no_save)
		gui_layout_save(G.layout_path);
	gui_layout_clear();
	g_application_quit(G_APPLICATION(G.app));
}

static gboolean
on_shot(gpointer unused)
{
	(void)unused;
	take_shot(opt.shot, 1);
	return G_SOURCE_REMOVE;
}

/* A frame's clock starts at its first phase. */
static void
on_frame_start(GdkFrameClock *fc, gpointer unused)
{
	(void)fc, (void)unused;
	if (!G.frames.start_us)
		G.frames.start_us = g_get_monotonic_time();
}

/* One sample per frame that drew a view: layout, snapshot and render. */
static void
on_frame_end(GdkFrameClock *fc, gpointer unused)
{
	(void)fc, (void)unused;
	if (!G.frames.drew || !G.frames.start_us) {
		G.frames.start_us = 0;
		return;
	}
	if (G.frames.n == G.frames.cap) {
		if (G.frames.cap >= 1000000) /* keep the latest samples */
			G.frames.n = 0;
		else
			ts_xgrow((void **)&G.frames.ms, &G.frames.cap, G.frames.n + 1, sizeof(double));
	}
	G.frames.ms[G.frames.n++] = (double)(g_get_monotonic_time() - G.frames.start_us) / 1000.0;
	G.frames.start_us = 0;
	G.frames.drew = 0;
}

static void
on_realize(GtkWidget *w, gpointer unused)
{
	GdkFrameClock *fc = gtk_widget_get_frame_clock(w);

	(void)unused;
	/* before-paint runs first in every frame; GDK renders the window in
	 * its own paint handler, so the sample spans snapshot and render */
	g_signal_connect(fc, "before-paint", G_CALLBACK(on_frame_start), NULL);
	g_signal_connect(fc, "after-paint", G_CALLBACK(on_frame_end), NULL);
}

/* ---- commands from a FIFO (tests, scripts, the benchmark) ---- */

static GString *cmdbuf;
static void on_new_chosen(const char *ex, const char *sym, const char *tf, void *arg);

static void
run_command(char *line)
{
	char *argv[8] = { 0 };
	int argc = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " \t", &save); t && argc < 8; t = strtok_r(NULL, " \t", &save))
		argv[argc++] = t;
	if (!argc)
		return;
	if (!strcmp(argv[0], "new") && argc >= 4) {
		int k = gui_kind_from_name(argv[1]);
		if (k < 0 || !ts_ex_valid(argv[2]) || !ts_sym_valid(argv[3]))
			ts_warn("command 'new': bad kind or market '%s %s %s'", argv[1], argv[2], argv[3]);
		else
			on_new_chosen(argv[2], argv[3], argv[4], GINT_TO_POINTER(k));
	} else if (!strcmp(argv[0], "market") && argc >= 4) {
		struct gui_view *v = view_by_id((unsigned)atoi(argv[1]));
		if (!v || !ts_ex_valid(argv[2]) || !ts_sym_valid(argv[3]))
			ts_warn("command 'market': no panel '%s' or bad market", argv[1]);
		else
			gui_view_set_market(v, argv[2], argv[3], argv[4]);
	} else if (!strcmp(argv[0], "zoom") && argc >= 3) {
		struct gui_view *v = view_by_id((unsigned)atoi(argv[1]));
		if (v)
			gui_chart_zoom(v, atof(argv[2]));
		else
			ts_warn("command 'zoom': no panel '%s'", argv[1]);
	} else if (!strcmp(argv[0], "close") && argc >= 2) {
		struct gui_view *v = view_by_id((unsigned)atoi(argv[1]));
		if (v)
			panel_widget_force_close(v->panel);
		else
			ts_warn("command 'close': no panel '%s'", argv[1]);
	} else if (!strcmp(argv[0], "dump") && argc >= 2) {
		dump_state(argv[1]);
	} else if (!strcmp(argv[0], "screenshot") && argc >= 2) {
		take_shot(argv[1], 0);
	} else if (!strcmp(argv[0], "reset-stats")) {
		G.frames.n = 0;
		G.drain_ms_max = 0;
	} else if (!strcmp(argv[0], "save")) {
		gui_layout_save(G.layout_path);
	} else if (!strcmp(argv[0], "reset")) {
		reset_layout();
	} else if (!strcmp(argv[0], "quit")) {
		quit();
	} else {
		ts_warn("unknown command '%s'", argv[0]);
	}
}

static gboolean
on_commands(gint fd, GIOCondition cond, gpointer unused)
{
	char buf[4096];
	ssize_t n;
	char *nl;

	(void)cond, (void)unused;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		g_string_append_len(cmdbuf, buf, n);
	while ((nl = memchr(cmdbuf->str, '\n', cmdbuf->len))) {
		char *line = g_strndup(cmdbuf->str, (gsize)(nl - cmdbuf->str));
		g_string_erase(cmdbuf, 0, nl - cmdbuf->str + 1);
		run_command(line);
		g_free(line);
	}
	if (n == 0) {
		close(fd);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* ---- window, actions ---- */

struct newreq {
	enum gui_kind kind;
};

static void
on_new_chosen(const char *ex, const char *sym, const char *tf, void *arg)
{
	enum gui_kind k = (enum gui_kind)GPOINTER_TO_INT(arg);

	struct gui_view *v = gui_view_new(k, ex, sym, tf, NULL, NULL);

	gui_layout_place(v, -1, -1);
	panel_widget_raise(v->panel);
}

static void
act_new(GSimpleAction *a, GVariant *p, gpointer data)
{
	enum gui_kind k = (enum gui_kind)GPOINTER_TO_INT(data);
	char title[64];

	(void)a, (void)p;
	snprintf(title, sizeof title, "New %s", ops_of(k)->title);
	gui_market_dialog(GTK_WINDOW(G.win), title, k == GUI_CHART, "1h", on_new_chosen,
	    GINT_TO_POINTER(k));
}

static void
act_save(GSimpleAction *a, GVariant *p, gpointer data)
{
	(void)a, (void)p, (void)data;
	gui_layout_save(G.layout_path);
}

static void
act_reset(GSimpleAction *a, GVariant *p, gpointer data)
{
	(void)a, (void)p, (void)data;
	reset_layout();
}

static void
act_quit(GSimpleAction *a, GVariant *p, gpointer data)
{
	(void)a, (void)p, (void)data;
	quit();
}

static gboolean
on_close_request(GtkWindow *w, gpointer unused)
{
	(void)w, (void)unused;
	quit();
	return TRUE;
}

static gboolean
on_signal(gpointer unused)
{
	(void)unused;
	quit();
	return G_SOURCE_REMOVE;
}

static void
on_retry(GtkButton *b, gpointer unused)
{
	(void)b, (void)unused;
	gui_bus_retry();
}

static void
activate(GtkApplication *app, gpointer unused)
{
	static const struct {
		const char *name, *accel;
		int kind;
	} news[] = {
		{ "new-chart", "<Control>n", GUI_CHART }, { "new-book", "<Control>b", GUI_BOOK },
		{ "new-dom", "<Control>d", GUI_DOM }, { "new-tape", "<Control>t", GUI_TAPE },
		{ "new-alerts", "<Control><Shift>a", GUI_ALERTS },
	};
	GtkWidget *box, *hb, *menu_btn, *retry;
	GMenu *menu = g_menu_new(), *sec;
	GtkCssProvider *css;

	(void)unused;
	if (G.win) {
		gtk_window_present(GTK_WINDOW(G.win));
		return;
	}
	adw_style_manager_set_color_scheme(adw_style_manager_get_default(),
	    ADW_COLOR_SCHEME_FORCE_DARK);
	panel_init();
	css = gtk_css_provider_new();
	gtk_css_provider_load_from_data(css,
	    ".tsbanner { background: #8a3b12; color: white; padding: 4px 10px; }"
	    ".tsstatus { padding: 2px 8px; font-size: 90%; }"
	    ".tsbar { padding: 1px 2px; }"
	    ".tsbar button, .tsbar dropdown > button, .tsbar spinbutton { min-height: 22px;"
	    " padding-top: 0; padding-bottom: 0; margin-top: 0; margin-bottom: 0; }"
	    ".tsbar button { padding-left: 5px; padding-right: 5px; min-width: 0; }"
	    ".tsbar spinbutton > text { min-height: 22px; }"
	    ".tsbar spinbutton > button { min-width: 14px; }"
	    ".tsbar label { font-size: 92%; }", -1);
	gtk_style_context_add_provider_for_display(gdk_display_get_default(),
	    GTK_STYLE_PROVIDER(css), GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
	g_object_unref(css);

	G.win = gtk_application_window_new(app);
	gtk_window_set_title(GTK_WINDOW(G.win), "TradeSuite");
	gtk_window_set_default_size(GTK_WINDOW(G.win), G.width ? G.width : 1280,
	    G.height ? G.height : 800);
	g_signal_connect(G.win, "close-request", G_CALLBACK(on_close_request), NULL);
	g_signal_connect(G.win, "realize", G_CALLBACK(on_realize), NULL);

	for (size_t i = 0; i < sizeof news / sizeof *news; i++) {
		GSimpleAction *a = g_simple_action_new(news[i].name, NULL);
		const char *accels[] = { news[i].accel, NULL };
		char det[64];
		g_signal_connect(a, "activate", G_CALLBACK(act_new), GINT_TO_POINTER(news[i].kind));
		g_action_map_add_action(G_ACTION_MAP(app), G_ACTION(a));
		g_object_unref(a);
		snprintf(det, sizeof det, "app.%s", news[i].name);
		gtk_application_set_accels_for_action(app, det, accels);
	}
	{
		static const struct {
			const char *name, *accel;
			void (*fn)(GSimpleAction *, GVariant *, gpointer);
		} others[] = {
			{ "save-layout", "<Control>s", act_save },
			{ "reset-layout", "<Control><Shift>r", act_reset },
			{ "quit", "<Control>q", act_quit },
		};
		for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
			GSimpleAction *a = g_simple_action_new(others[i].name, NULL);
			const char *accels[] = { others[i].accel, NULL };
			char det[64];
			g_signal_connect(a, "activate", G_CALLBACK(others[i].fn), NULL);
			g_action_map_add_action(G_ACTION_MAP(app), G_ACTION(a));
			g_object_unref(a);
			snprintf(det, sizeof det, "app.%s", others[i].name);
			gtk_application_set_accels_for_action(app, det, accels);
		}
	}
	sec = g_menu_new();
	g_menu_append(sec, "New chart…", "app.new-chart");
	g_menu_append(sec, "New order book…", "app.new-book");
	g_menu_append(sec, "New DOM ladder…", "app.new-dom");
	g_menu_append(sec, "New trade tape…", "app.new-tape");
	g_menu_append(sec, "New alerts panel…", "app.new-alerts");
	g_menu_append_section(menu, NULL, G_MENU_MODEL(sec));
	g_object_unref(sec);
	sec = g_menu_new();
	g_menu_append(sec, "Save layout", "app.save-layout");
	g_menu_append(sec, "Reset layout", "app.reset-layout");
	g_menu_append_section(menu, NULL, G_MENU_MODEL(sec));
	g_object_unref(sec);
	sec = g_menu_new();
	g_menu_append(sec, "Quit", "app.quit");
	g_menu_append_section(menu, NULL, G_MENU_MODEL(sec));
	g_object_unref(sec);

	hb = gtk_header_bar_new();
	menu_btn = gtk_menu_button_new();
	gtk_menu_button_set_icon_name(GTK_MENU_BUTTON(menu_btn), "open-menu-symbolic");
	gtk_menu_button_set_menu_model(GTK_MENU_BUTTON(menu_btn), G_MENU_MODEL(menu));
	gtk_menu_button_set_primary(GTK_MENU_BUTTON(menu_btn), TRUE);
	gtk_header_bar_pack_end(GTK_HEADER_BAR(hb), menu_btn);
	{
		GtkWidget *nb = gtk_button_new_with_label("+ Chart");
		gtk_actionable_set_action_name(GTK_ACTIONABLE(nb), "app.new-chart");
		gtk_header_bar_pack_start(GTK_HEADER_BAR(hb), nb);
	}
	gtk_window_set_titlebar(GTK_WINDOW(G.win), hb);
	g_object_unref(menu);

	box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	grid_box = box;
	G.banner = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
	gtk_widget_add_css_class(G.banner, "tsbanner");
	G.banner_label = gtk_label_new("");
	gtk_widget_set_hexpand(G.banner_label, TRUE);
	gtk_label_set_xalign(GTK_LABEL(G.banner_label), 0);
	retry = gtk_button_new_with_label("Retry now");
	g_signal_connect(retry, "clicked", G_CALLBACK(on_retry), NULL);
	gtk_box_append(GTK_BOX(G.banner), G.banner_label);
	gtk_box_append(GTK_BOX(G.banner), retry);
	gtk_widget_set_visible(G.banner, FALSE);
	gtk_box_append(GTK_BOX(box), G.banner);
	G.status_label = gtk_label_new("bus: connecting");
	gtk_label_set_xalign(GTK_LABEL(G.status_label), 0);
	gtk_label_set_ellipsize(GTK_LABEL(G.status_label), PANGO_ELLIPSIZE_END);
	gtk_widget_add_css_class(G.status_label, "tsstatus");
	gtk_box_append(GTK_BOX(box), G.status_label);
	new_grid();
	gtk_window_set_child(GTK_WINDOW(G.win), box);

	gui_bus_start(opt.bus);
	if (gui_layout_load(G.layout_path) < 0)
		gui_layout_factory();
	gtk_window_present(GTK_WINDOW(G.win));

	g_unix_signal_add(SIGTERM, on_signal, NULL);
	g_unix_signal_add(SIGINT, on_signal, NULL);
	if (opt.shot)
		g_timeout_add((guint)(opt.after * 1000), on_shot, NULL);
	if (opt.commands) {
		int fd = open(opt.commands, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			fd = open(opt.commands, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			ts_warn_errno("cannot open commands '%s'", opt.commands);
		} else {
			cmdbuf = g_string_new(NULL);
			g_unix_fd_add(fd, G_IO_IN | G_IO_HUP, on_commands, NULL);
		}
	}
}

static void
parse_size(const char *s)
{
	int w, h;
	char x;

	if (sscanf(s, "%d%c%d", &w, &x, &h) != 3 || (x != 'x' && x != 'X') || w < 200 ||
	    h < 150 || w > 16384 || h > 16384)
		ts_usage_error(NULL, "bad --size '%s': want WIDTHxHEIGHT", s);
	G.width = w;
	G.height = h;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bus", required_argument, NULL, 'B' },
		{ "layout", required_argument, NULL, 'L' },
		{ "no-save", no_argument, NULL, 'N' },
		{ "size", required_argument, NULL, 'S' },
		{ "screenshot", required_argument, NULL, 's' },
		{ "after", required_argument, NULL, 'a' },
		{ "dump-state", required_argument, NULL, 'd' },
		{ "commands", required_argument, NULL, 'c' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "max-fps", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	struct ts_bus_ep ep;
	char err[256], *end;
	char *args[2] = { argv[0], NULL };
	int o, rc;

	ts_log_init(argv[0]);
	G.min_frame_us = 1000000 / 30;
	while ((o = getopt_long(argc, argv, "B:h", opts, NULL)) != -1) {
		switch (o) {
		case 'B': opt.bus = optarg; break;
		case 'L': opt.layout = optarg; break;
		case 'N': G.no_save = 1; break;
		case 'S': parse_size(optarg); break;
		case 's': opt.shot = optarg; break;
		case 'a':
			opt.after = strtod(optarg, &end);
			if (*end || !(opt.after >= 0) || opt.after > 86400)
				ts_usage_error(NULL, "bad --after '%s': want seconds", optarg);
			break;
		case 'd': opt.dump = optarg; break;
		case 'c': opt.commands = optarg; break;
		case 'I': opt.insecure = 1; break;
		case 'F': {
			long fps = strtol(optarg, &end, 10);
			if (*end || fps < 1 || fps > 1000)
				ts_usage_error(NULL, "bad --max-fps '%s': want 1 to 1000", optarg);
			G.min_frame_us = 1000000 / fps;
			break;
		}
		case 'h': fputs(usage, stdout); return 0;
		case 'V': ts_version(NULL);
		default: ts_usage_error(NULL, NULL);
		}
	}
	if (optind < argc)
		ts_usage_error(NULL, "unexpected argument '%s'", argv[optind]);
	if (opt.dump && !opt.shot)
		ts_usage_error(NULL, "--dump-state needs --screenshot (or use the 'dump' command)");
	if (ts_bus_resolve(opt.bus, &ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	if (!ts_bus_is_safe(&ep) && !opt.insecure)
		ts_die(TS_EXIT_USAGE, "refusing a tcp bus on non-loopback '%s' without "
		    "CURVE keys (see ts-supervisor keygen; --insecure allows it "
		    "unencrypted)", ep.host);
	if (opt.layout) {
		snprintf(G.layout_path, sizeof G.layout_path, "%s", opt.layout);
	} else {
		if (ts_xdg_path(TS_XDG_CONFIG, "layout.ini", G.layout_path,
		    sizeof G.layout_path) < 0)
			ts_die(TS_EXIT_USAGE, "no home directory for the layout: set HOME or "
			    "XDG_CONFIG_HOME, or give --layout FILE");
	}
	if (!gtk_init_check())
		ts_die(TS_EXIT_TEMP, "cannot open a display (is DISPLAY or WAYLAND_DISPLAY set?)");
	G.views = g_ptr_array_new();
	G.markets = g_ptr_array_new_with_free_func(g_free);
	for (int i = 0; gui_builtin_markets[i]; i++)
		g_ptr_array_add(G.markets, g_strdup(gui_builtin_markets[i]));
	G.app = adw_application_new("org.tradesuite.Gui", G_APPLICATION_NON_UNIQUE);
	g_signal_connect(G.app, "activate", G_CALLBACK(activate), NULL);
	rc = g_application_run(G_APPLICATION(G.app), 1, args);
	gui_bus_stop();
	g_object_unref(G.app);
	if (rc != 0)
		return TS_EXIT_TEMP;
	return exit_code;
}
