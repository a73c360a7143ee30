/* gui_market.c: the market chooser: a searchable list of markets (built in + seen on the bus) */
#include <stdio.h>
#include <string.h>

#include "gui.h"
#include "log.h"
#include "tm.h"

struct chooser {
	GtkWidget *win, *search, *list, *tf_dd;
	gui_market_cb *cb;
	void *arg;
};

static gboolean
filter(GtkListBoxRow *row, gpointer data)
{
	struct chooser *c = data;
	const char *q = gtk_editable_get_text(GTK_EDITABLE(c->search));
	const char *m = g_object_get_data(G_OBJECT(row), "market");
	char **words;
	gboolean ok = TRUE;

	if (!*q)
		return TRUE;
	words = g_strsplit_set(q, " /", -1);
	for (int i = 0; words[i] && ok; i++)
		if (*words[i] && !strcasestr(m, words[i]))
			ok = FALSE;
	g_strfreev(words);
	return ok;
}

static void
on_search(GtkSearchEntry *e, gpointer data)
{
	struct chooser *c = data;

	(void)e;
	gtk_list_box_invalidate_filter(GTK_LIST_BOX(c->list));
}

static void
finish(struct chooser *c, const char *market)
{
	char ex[48], sym[48];
	const char *tf = NULL;

	if (market && sscanf(market, "%47s %47s", ex, sym) == 2) {
		for (char *p = sym; *p; p++)
			*p = (char)g_ascii_toupper(*p);
		for (char *p = ex; *p; p++)
			*p = (char)g_ascii_tolower(*p);
		if (c->tf_dd) {
			guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(c->tf_dd));
			tf = i < TS_TF_COUNT ? ts_tf_names[i] : NULL;
		}
		if (ts_ex_valid(ex) && ts_sym_valid(sym))
			c->cb(ex, sym, tf, c->arg);
		else
			ts_warn("bad market '%s': want EXCHANGE BASE-QUOTE", market);
	}
	gtk_window_destroy(GTK_WINDOW(c->win));
}

static void
on_row(GtkListBox *lb, GtkListBoxRow *row, gpointer data)
{
	(void)lb;
	finish(data, g_object_get_data(G_OBJECT(row), "market"));
}

static void
on_ok(GtkWidget *w, gpointer data)
{
	struct chooser *c = data;
	GtkListBoxRow *row = gtk_list_box_get_selected_row(GTK_LIST_BOX(c->list));

	(void)w;
	if (!row) /* the first row the filter lets through */
		for (int i = 0; (row = gtk_list_box_get_row_at_index(GTK_LIST_BOX(c->list), i)); i++)
			if (gtk_widget_get_child_visible(GTK_WIDGET(row)) && filter(row, c))
				break;
	if (row)
		finish(c, g_object_get_data(G_OBJECT(row), "market"));
	else /* a market typed in full that is not in the list */
		finish(c, gtk_editable_get_text(GTK_EDITABLE(c->search)));
}

static void
on_cancel(GtkWidget *w, gpointer data)
{
	(void)w;
	finish(data, NULL);
}

static void
on_destroy(GtkWidget *w, gpointer data)
{
	(void)w;
	g_free(data);
}

static void
add_row(struct chooser *c, const char *m, int seen)
{
	char text[120];
	GtkWidget *lab;

	snprintf(text, sizeof text, "%s%s", m, seen ? "   (seen on the bus)" : "");
	lab = gtk_label_new(text);
	gtk_label_set_xalign(GTK_LABEL(lab), 0);
	gtk_list_box_append(GTK_LIST_BOX(c->list), lab);
	g_object_set_data_full(G_OBJECT(gtk_widget_get_parent(lab)), "market", g_strdup(m), g_free);
}

void
gui_market_dialog(GtkWindow *parent, const char *title, int with_tf, const char *tf,
    gui_market_cb *cb, void *arg)
{
	struct chooser *c = g_new0(struct chooser, 1);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6), *sw, *hb, *ok, *cancel;

	c->cb = cb;
	c->arg = arg;
	c->win = gtk_window_new();
	gtk_window_set_title(GTK_WINDOW(c->win), title);
	gtk_window_set_transient_for(GTK_WINDOW(c->win), parent);
	gtk_window_set_modal(GTK_WINDOW(c->win), TRUE);
	gtk_window_set_default_size(GTK_WINDOW(c->win), 380, 460);
	g_signal_connect(c->win, "destroy", G_CALLBACK(on_destroy), c);
	gtk_widget_set_margin_start(box, 8);
	gtk_widget_set_margin_end(box, 8);
	gtk_widget_set_margin_top(box, 8);
	gtk_widget_set_margin_bottom(box, 8);
	c->search = gtk_search_entry_new();
	g_object_set(c->search, "placeholder-text", "exchange or symbol, e.g. binance eth", NULL);
	g_signal_connect(c->search, "search-changed", G_CALLBACK(on_search), c);
	g_signal_connect(c->search, "activate", G_CALLBACK(on_ok), c);
	gtk_box_append(GTK_BOX(box), c->search);
	c->list = gtk_list_box_new();
	gtk_list_box_set_filter_func(GTK_LIST_BOX(c->list), filter, c, NULL);
	g_signal_connect(c->list, "row-activated", G_CALLBACK(on_row), c);
	/* markets seen on the bus first, then the built-in main pairs */
	for (guint i = 0; i < G.markets->len; i++) {
		const char *m = g_ptr_array_index(G.markets, i);
		int builtin = 0;
		for (int j = 0; gui_builtin_markets[j]; j++)
			if (!strcmp(gui_builtin_markets[j], m))
				builtin = 1;
		if (!builtin)
			add_row(c, m, 1);
	}
	for (int j = 0; gui_builtin_markets[j]; j++)
		add_row(c, gui_builtin_markets[j], 0);
	sw = gtk_scrolled_window_new();
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(sw), c->list);
	gtk_widget_set_vexpand(sw, TRUE);
	gtk_box_append(GTK_BOX(box), sw);
	hb = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	if (with_tf) {
		c->tf_dd = gtk_drop_down_new_from_strings((const char *const *)ts_tf_names);
		for (guint i = 0; i < TS_TF_COUNT; i++)
			if (tf && !strcmp(tf, ts_tf_names[i]))
				gtk_drop_down_set_selected(GTK_DROP_DOWN(c->tf_dd), i);
		gtk_box_append(GTK_BOX(hb), gtk_label_new("Timeframe"));
		gtk_box_append(GTK_BOX(hb), c->tf_dd);
	}
	cancel = gtk_button_new_with_label("Cancel");
	ok = gtk_button_new_with_label("Open");
	gtk_widget_add_css_class(ok, "suggested-action");
	gtk_widget_set_hexpand(cancel, TRUE);
	gtk_widget_set_halign(cancel, GTK_ALIGN_END);
	g_signal_connect(cancel, "clicked", G_CALLBACK(on_cancel), c);
	g_signal_connect(ok, "clicked", G_CALLBACK(on_ok), c);
	gtk_box_append(GTK_BOX(hb), cancel);
	gtk_box_append(GTK_BOX(hb), ok);
	gtk_box_append(GTK_BOX(box), hb);
	gtk_window_set_child(GTK_WINDOW(c->win), box);
	gtk_window_present(GTK_WINDOW(c->win));
}
