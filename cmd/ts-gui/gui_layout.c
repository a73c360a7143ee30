/* gui_layout.c: the panel grid: factory layout, layout.ini save and restore */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gui.h"
#include "log.h"
#include "path.h"
#include "tm.h"

void
gui_layout_place(struct gui_view *v, int column, int row)
{
	PanelGrid *grid = PANEL_GRID(G.grid);
	PanelGridColumn *col;
	PanelFrame *frame;

	if (column < 0) {
		panel_grid_add(grid, v->panel);
		return;
	}
	while (panel_grid_get_n_columns(grid) <= (guint)column)
		panel_grid_insert_column(grid, panel_grid_get_n_columns(grid));
	col = panel_grid_get_column(grid, (guint)column);
	frame = panel_grid_column_get_row(col, row < 0 ? 0 : (guint)row);
	panel_frame_add(frame, v->panel);
	panel_frame_set_visible_child(frame, v->panel);
}

int
gui_layout_where(struct gui_view *v, int *column, int *row, int *tab)
{
	PanelGrid *grid = PANEL_GRID(G.grid);
	int dc = 0;

	/* dense indices: empty frames and columns are skipped, as in the file */
	for (guint c = 0; c < panel_grid_get_n_columns(grid); c++) {
		PanelGridColumn *col = panel_grid_get_column(grid, c);
		int dr = 0, used = 0;
		for (guint r = 0; r < panel_grid_column_get_n_rows(col); r++) {
			PanelFrame *f = panel_grid_column_get_row(col, r);
			guint n = panel_frame_get_n_pages(f);
			if (!n)
				continue;
			for (guint i = 0; i < n; i++)
				if (panel_frame_get_page(f, i) == v->panel) {
					*column = dc;
					*row = dr;
					*tab = (int)i;
					return 0;
				}
			dr++;
			used = 1;
		}
		dc += used;
	}
	*column = *row = *tab = -1;
	return -1;
}

static struct gui_view *
view_of(PanelWidget *p)
{
	for (guint i = 0; i < G.views->len; i++) {
		struct gui_view *v = g_ptr_array_index(G.views, i);
		if (v->panel == p)
			return v;
	}
	return NULL;
}

int
gui_layout_save(const char *path)
{
	GKeyFile *kf = g_key_file_new();
	PanelGrid *grid = PANEL_GRID(G.grid);
	GError *e = NULL;
	int n = 0, dc = 0, rc = 0;

	g_key_file_set_integer(kf, "layout", "version", 1);
	g_key_file_set_integer(kf, "layout", "width", gtk_widget_get_width(G.win));
	g_key_file_set_integer(kf, "layout", "height", gtk_widget_get_height(G.win));
	for (guint c = 0; c < panel_grid_get_n_columns(grid); c++) {
		PanelGridColumn *col = panel_grid_get_column(grid, c);
		int dr = 0, used = 0;
		for (guint r = 0; r < panel_grid_column_get_n_rows(col); r++) {
			PanelFrame *f = panel_grid_column_get_row(col, r);
			guint np = panel_frame_get_n_pages(f);
			PanelWidget *vis = panel_frame_get_visible_child(f);
			if (!np)
				continue;
			for (guint i = 0; i < np; i++) {
				struct gui_view *v = view_of(panel_frame_get_page(f, i));
				char grp[32];
				if (!v)
					continue;
				snprintf(grp, sizeof grp, "panel%d", n++);
				g_key_file_set_string(kf, grp, "kind", v->ops->name);
				g_key_file_set_string(kf, grp, "exchange", v->ex);
				g_key_file_set_string(kf, grp, "symbol", v->sym);
				if (v->kind == GUI_CHART)
					g_key_file_set_string(kf, grp, "timeframe", v->tf);
				g_key_file_set_integer(kf, grp, "column", dc);
				g_key_file_set_integer(kf, grp, "row", dr);
				if (vis == v->panel)
					g_key_file_set_boolean(kf, grp, "visible", TRUE);
				v->ops->save(v, kf, grp);
			}
			dr++;
			used = 1;
		}
		dc += used;
	}
	g_key_file_set_integer(kf, "layout", "panels", n);
	if (ts_mkdir_parent(path, 0700) < 0) {
		ts_warn_errno("cannot create the directory of '%s'", path);
		rc = -1;
	} else if (!g_key_file_save_to_file(kf, path, &e)) {
		ts_warn("cannot save the layout to '%s': %s", path, e->message);
		g_error_free(e);
		rc = -1;
	} else {
		ts_info("layout saved to '%s' (%d panels)", path, n);
	}
	g_key_file_free(kf);
	return rc;
}

int
gui_layout_load(const char *path)
{
	GKeyFile *kf = g_key_file_new();
	GError *e = NULL;
	int n, placed = 0;
	GPtrArray *show = g_ptr_array_new();

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
		if (!g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			ts_warn("cannot read the layout '%s': %s; using the factory layout", path,
			    e->message);
		g_error_free(e);
		g_key_file_free(kf);
		g_ptr_array_free(show, TRUE);
		return -1;
	}
	n = g_key_file_get_integer(kf, "layout", "panels", NULL);
	for (int i = 0; i < n && i < 200; i++) {
		char grp[32], *kind, *ex, *sym, *tf;
		int k, col, row;
		struct gui_view *v;

		snprintf(grp, sizeof grp, "panel%d", i);
		kind = g_key_file_get_string(kf, grp, "kind", NULL);
		ex = g_key_file_get_string(kf, grp, "exchange", NULL);
		sym = g_key_file_get_string(kf, grp, "symbol", NULL);
		tf = g_key_file_get_string(kf, grp, "timeframe", NULL);
		col = g_key_file_get_integer(kf, grp, "column", NULL);
		row = g_key_file_get_integer(kf, grp, "row", NULL);
		k = kind ? gui_kind_from_name(kind) : -1;
		if (k < 0 || !ex || !sym || !ts_ex_valid(ex) || !ts_sym_valid(sym) ||
		    (k == GUI_CHART && (!tf || ts_tf_us(tf) < 0)) || col < 0 || col > 16 ||
		    row < 0 || row > 16) {
			ts_warn("%s: [%s] is not a usable panel (kind, exchange, symbol, "
			    "timeframe, column or row): skipped", path, grp);
		} else {
			v = gui_view_new((enum gui_kind)k, ex, sym, tf, kf, grp);
			gui_layout_place(v, col, row);
			if (g_key_file_get_boolean(kf, grp, "visible", NULL))
				g_ptr_array_add(show, v);
			placed++;
		}
		g_free(kind);
		g_free(ex);
		g_free(sym);
		g_free(tf);
	}
	for (guint i = 0; i < show->len; i++)
		panel_widget_raise(((struct gui_view *)g_ptr_array_index(show, i))->panel);
	g_ptr_array_free(show, TRUE);
	{
		int w = g_key_file_get_integer(kf, "layout", "width", NULL);
		int h = g_key_file_get_integer(kf, "layout", "height", NULL);
		if (w >= 200 && h >= 150 && !G.width)
			gtk_window_set_default_size(GTK_WINDOW(G.win), w, h);
	}
	g_key_file_free(kf);
	if (!placed) {
		ts_warn("%s: no usable panels; using the factory layout", path);
		return -1;
	}
	ts_info("layout restored from '%s' (%d panels)", path, placed);
	return 0;
}

void
gui_layout_factory(void)
{
	gui_layout_place(gui_view_new(GUI_CHART, "coinbase", "BTC-USD", "1h", NULL, NULL), 0, 0);
	gui_layout_place(gui_view_new(GUI_CHART, "coinbase", "BTC-USD", "5m", NULL, NULL), 0, 1);
	gui_layout_place(gui_view_new(GUI_BOOK, "coinbase", "BTC-USD", NULL, NULL, NULL), 1, 0);
	gui_layout_place(gui_view_new(GUI_TAPE, "coinbase", "BTC-USD", NULL, NULL, NULL), 1, 1);
	gui_layout_place(gui_view_new(GUI_DOM, "coinbase", "BTC-USD", NULL, NULL, NULL), 2, 0);
}
