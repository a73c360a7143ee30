/* gui_alerts.c: the alerts view: fired alerts from alerts/EX/SYM, and rules through ts-alert */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gui.h"
#include "json.h"
#include "log.h"
#include "tm.h"

struct alertsv {
	struct gui_view *v;
	struct gui_stream *st;
	GtkWidget *fired, *rules, *entry, *msg, *rules_box;
	uint64_t shown;
	unsigned nrows, nrules;
	char *tool; /* path of ts-alert, or NULL */
	GCancellable *cancel;
};

static void run_tool(struct alertsv *a, const char *const *args, int relist);

static void
add_fired_row(struct alertsv *a, const struct gui_alert *al)
{
	char buf[300], hms[32];
	time_t tt = (time_t)(al->ts / TS_US_PER_SEC);
	struct tm tmv;
	GtkWidget *row;

	gmtime_r(&tt, &tmv);
	strftime(hms, sizeof hms, "%Y-%m-%d %H:%M:%S", &tmv);
	snprintf(buf, sizeof buf, "%s  %s", hms, al->text);
	row = gtk_label_new(buf);
	gtk_label_set_xalign(GTK_LABEL(row), 0);
	gtk_widget_add_css_class(row, "monospace");
	gtk_list_box_prepend(GTK_LIST_BOX(a->fired), row);
	if (++a->nrows > GUI_ALERT_RING) {
		GtkListBoxRow *last = gtk_list_box_get_row_at_index(GTK_LIST_BOX(a->fired),
		    (int)a->nrows - 1);
		if (last)
			gtk_list_box_remove(GTK_LIST_BOX(a->fired), GTK_WIDGET(last));
		a->nrows--;
	}
}

static void
on_data(struct gui_view *v, struct gui_stream *s)
{
	struct alertsv *a = v->priv;

	if (s && a->st) {
		uint64_t total = a->st->nmsg, n = total - a->shown;
		if (n > a->st->nal)
			n = a->st->nal;
		for (uint64_t i = n; i > 0; i--) {
			size_t idx = (a->st->alhead + GUI_ALERT_RING - (size_t)i) % GUI_ALERT_RING;
			add_fired_row(a, &a->st->al[idx]);
		}
		a->shown = total;
	}
	gui_view_set_state(v, "live");
}

/* ---- rules through ts-alert's own commands ---- */

struct call {
	struct alertsv *a;
	int relist, list;
};

static void on_rule_action(GtkButton *b, gpointer data);
static char cmd_enable[] = "enable", cmd_disable[] = "disable", cmd_rm[] = "rm";

static void
show_rules(struct alertsv *a, const char *out)
{
	struct ts_jval arr, el, id, en;
	struct ts_jiter it;
	GtkWidget *child;

	while ((child = gtk_widget_get_first_child(a->rules)))
		gtk_list_box_remove(GTK_LIST_BOX(a->rules), child);
	a->nrules = 0;
	if (ts_json_parse(out, strlen(out), &arr, NULL) < 0) {
		gtk_label_set_text(GTK_LABEL(a->msg), "ts-alert list --json: output is not JSON");
		return;
	}
	if (arr.type == TS_J_OBJ && ts_json_get(&arr, "rules", &arr))
		return;
	if (arr.type != TS_J_ARR)
		return;
	ts_json_iter(&it, &arr);
	while (ts_json_next(&it, NULL, &el)) {
		GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6), *lab, *b;
		char ids[64] = "", *text;
		int enabled = 1;

		if (!ts_json_get(&el, "id", &id)) {
			if (id.type == TS_J_STR)
				ts_json_str(&id, ids, sizeof ids);
			else
				snprintf(ids, sizeof ids, "%.*s", (int)(id.n < 60 ? id.n : 60), id.p);
		}
		if (!ts_json_get(&el, "enabled", &en))
			ts_json_bool(&en, &enabled);
		{
			/* ts-alert list --json: id, market, cond; anything else as JSON */
			char market[96] = "", cond[200] = "";
			ts_json_get_str(&el, "market", market, sizeof market);
			ts_json_get_str(&el, "cond", cond, sizeof cond);
			if (*ids && *cond)
				text = g_strdup_printf("%s  %s  %s%s", ids, market, cond,
				    enabled ? "" : "  (disabled)");
			else
				text = g_strndup(el.p, el.n < 400 ? el.n : 400);
		}
		lab = gtk_label_new(text);
		g_free(text);
		gtk_label_set_xalign(GTK_LABEL(lab), 0);
		gtk_label_set_ellipsize(GTK_LABEL(lab), PANGO_ELLIPSIZE_END);
		gtk_widget_set_hexpand(lab, TRUE);
		gtk_box_append(GTK_BOX(row), lab);
		if (*ids) {
			b = gtk_button_new_with_label(enabled ? "Disable" : "Enable");
			g_object_set_data_full(G_OBJECT(b), "rule", g_strdup(ids), g_free);
			g_object_set_data(G_OBJECT(b), "cmd", enabled ? cmd_disable : cmd_enable);
			g_signal_connect(b, "clicked", G_CALLBACK(on_rule_action), a);
			gtk_box_append(GTK_BOX(row), b);
			b = gtk_button_new_with_label("Remove");
			g_object_set_data_full(G_OBJECT(b), "rule", g_strdup(ids), g_free);
			g_object_set_data(G_OBJECT(b), "cmd", cmd_rm);
			g_signal_connect(b, "clicked", G_CALLBACK(on_rule_action), a);
			gtk_box_append(GTK_BOX(row), b);
		}
		gtk_list_box_append(GTK_LIST_BOX(a->rules), row);
		a->nrules++;
	}
}

static void
on_done(GObject *src, GAsyncResult *res, gpointer data)
{
	struct call *c = data;
	char *out = NULL, *err = NULL;
	GError *e = NULL;
	struct alertsv *a = c->a;

	if (!g_subprocess_communicate_utf8_finish(G_SUBPROCESS(src), res, &out, &err, &e)) {
		if (!g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			gtk_label_set_text(GTK_LABEL(a->msg), e->message);
		g_error_free(e);
		g_free(c);
		return;
	}
	if (c->list && g_subprocess_get_successful(G_SUBPROCESS(src))) {
		show_rules(a, out ? out : "");
	} else if (!g_subprocess_get_successful(G_SUBPROCESS(src))) {
		g_strstrip(err);
		gtk_label_set_text(GTK_LABEL(a->msg), err && *err ? err : "ts-alert failed");
	} else {
		gtk_label_set_text(GTK_LABEL(a->msg), "");
	}
	if (c->relist) {
		static const char *const list[] = { "list", "--json", NULL };
		run_tool(a, list, 0);
	}
	g_free(out);
	g_free(err);
	g_free(c);
}

static void
run_tool(struct alertsv *a, const char *const *args, int relist)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	GSubprocess *p;
	GError *e = NULL;
	struct call *c;

	if (!a->tool)
		return;
	g_ptr_array_add(argv, g_strdup(a->tool));
	for (int i = 0; args[i]; i++)
		g_ptr_array_add(argv, g_strdup(args[i]));
	g_ptr_array_add(argv, NULL);
	p = g_subprocess_newv((const char *const *)argv->pdata,
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &e);
	g_ptr_array_free(argv, TRUE);
	if (!p) {
		gtk_label_set_text(GTK_LABEL(a->msg), e->message);
		g_error_free(e);
		return;
	}
	c = g_new0(struct call, 1);
	c->a = a;
	c->relist = relist;
	c->list = !strcmp(args[0], "list");
	g_subprocess_communicate_utf8_async(p, NULL, a->cancel, on_done, c);
	g_object_unref(p);
}

static void
on_rule_action(GtkButton *b, gpointer data)
{
	const char *args[] = { g_object_get_data(G_OBJECT(b), "cmd"),
		g_object_get_data(G_OBJECT(b), "rule"), NULL };

	run_tool(data, args, 1);
}

static char add_word[] = "add";

static void
on_add(GtkWidget *w, gpointer data)
{
	struct alertsv *a = data;
	const char *text = gtk_editable_get_text(GTK_EDITABLE(a->entry));
	char **words = NULL;
	GError *e = NULL;
	GPtrArray *args;

	(void)w;
	if (!*text)
		return;
	if (!g_shell_parse_argv(text, NULL, &words, &e)) {
		gtk_label_set_text(GTK_LABEL(a->msg), e->message);
		g_error_free(e);
		return;
	}
	args = g_ptr_array_new();
	g_ptr_array_add(args, add_word);
	for (int i = 0; words[i]; i++)
		g_ptr_array_add(args, words[i]);
	g_ptr_array_add(args, NULL);
	run_tool(a, (const char *const *)args->pdata, 1);
	g_ptr_array_free(args, TRUE);
	g_strfreev(words);
	gtk_editable_set_text(GTK_EDITABLE(a->entry), "");
}

static void
attach(struct gui_view *v)
{
	struct alertsv *a = v->priv;
	char topic[TS_TOPIC_MAX];
	GtkWidget *child;

	ts_topic_build(topic, sizeof topic, "alerts", v->ex, v->sym, NULL);
	a->st = gui_stream_ref(topic, GUI_ST_ALERTS, v);
	a->shown = a->st->nmsg > a->st->nal ? a->st->nmsg - a->st->nal : 0;
	while (a->fired && (child = gtk_widget_get_first_child(a->fired)))
		gtk_list_box_remove(GTK_LIST_BOX(a->fired), child);
	a->nrows = 0;
	if (a->entry) {
		char hint[300];
		snprintf(hint, sizeof hint, "ID %s:%s CONDITION, e.g. big %s:%s price crosses above 70000",
		    v->ex, v->sym, v->ex, v->sym);
		gtk_entry_set_placeholder_text(GTK_ENTRY(a->entry), hint);
	}
	on_data(v, a->st);
}

static void
detach(struct gui_view *v)
{
	struct alertsv *a = v->priv;

	gui_stream_unref(&a->st, v);
}

static GtkWidget *
build(struct gui_view *v)
{
	struct alertsv *a = ts_xcalloc(1, sizeof *a);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4), *sw, *lab, *hb, *add;

	v->priv = a;
	a->v = v;
	a->cancel = g_cancellable_new();
	a->tool = g_find_program_in_path("ts-alert");
	lab = gtk_label_new("Fired alerts");
	gtk_widget_add_css_class(lab, "heading");
	gtk_label_set_xalign(GTK_LABEL(lab), 0);
	gtk_box_append(GTK_BOX(box), lab);
	a->fired = gtk_list_box_new();
	gtk_list_box_set_selection_mode(GTK_LIST_BOX(a->fired), GTK_SELECTION_NONE);
	sw = gtk_scrolled_window_new();
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(sw), a->fired);
	gtk_widget_set_vexpand(sw, TRUE);
	gtk_box_append(GTK_BOX(box), sw);
	lab = gtk_label_new(a->tool ? "Rules (ts-alert)" :
	    "Rules: ts-alert is not installed, so only fired alerts are shown");
	gtk_widget_add_css_class(lab, "heading");
	gtk_label_set_xalign(GTK_LABEL(lab), 0);
	gtk_box_append(GTK_BOX(box), lab);
	a->rules = gtk_list_box_new();
	gtk_list_box_set_selection_mode(GTK_LIST_BOX(a->rules), GTK_SELECTION_NONE);
	gtk_box_append(GTK_BOX(box), a->rules);
	hb = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
	a->entry = gtk_entry_new();
	gtk_widget_set_hexpand(a->entry, TRUE);
	g_signal_connect(a->entry, "activate", G_CALLBACK(on_add), a);
	add = gtk_button_new_with_label("Add rule");
	g_signal_connect(add, "clicked", G_CALLBACK(on_add), a);
	gtk_box_append(GTK_BOX(hb), a->entry);
	gtk_box_append(GTK_BOX(hb), add);
	gtk_widget_set_sensitive(hb, a->tool != NULL);
	gtk_box_append(GTK_BOX(box), hb);
	a->msg = gtk_label_new("");
	gtk_label_set_xalign(GTK_LABEL(a->msg), 0);
	gtk_box_append(GTK_BOX(box), a->msg);
	if (a->tool) {
		static const char *const list[] = { "list", "--json", NULL };
		run_tool(a, list, 0);
	}
	return box;
}

static void
save(struct gui_view *v, GKeyFile *kf, const char *grp)
{
	(void)v, (void)kf, (void)grp;
}

static void
load(struct gui_view *v, GKeyFile *kf, const char *grp)
{
	(void)v, (void)kf, (void)grp;
}

static void
dump(struct gui_view *v, GString *o)
{
	struct alertsv *a = v->priv;

	g_string_append_printf(o, ",\"fired\":%llu,\"rows\":%u,\"rules\":%u,\"ts_alert\":%s",
	    a->st ? (unsigned long long)a->st->nmsg : 0ULL, a->nrows, a->nrules,
	    a->tool ? "true" : "false");
}

static void
alerts_free(struct gui_view *v)
{
	struct alertsv *a = v->priv;

	g_cancellable_cancel(a->cancel);
	g_object_unref(a->cancel);
	g_free(a->tool);
	free(a);
	v->priv = NULL;
}

const struct gui_view_ops gui_alerts_ops = {
	"alerts", "Alerts", build, attach, detach, on_data, save, load, dump, alerts_free,
};
