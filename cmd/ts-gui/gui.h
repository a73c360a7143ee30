/* gui.h: ts-gui's shared types: bus streams, views (panels) and the application */
#ifndef TS_GUI_H
#define TS_GUI_H

#include <stdint.h>

#include <adwaita.h>
#include <gtk/gtk.h>
#include <libpanel.h>

#include "book.h"
#include "map.h"
#include "topic.h"

/* ---- streams: one per bus topic, shared by every view that shows it ---- */

enum gui_stream_kind { GUI_ST_CANDLES, GUI_ST_BOOK, GUI_ST_TRADES, GUI_ST_ALERTS, GUI_ST_STATUS };
enum gui_book_state { GUI_BOOK_WAITING, GUI_BOOK_LIVE, GUI_BOOK_RESYNC };

struct gui_candle {
	int64_t t; /* open time, µs */
	double o, h, l, c, v, bv;
	int64_t n;
	int closed;
};

struct gui_trade {
	int64_t ts; /* µs */
	double px, qty;
	int sell;
};

struct gui_alert {
	int64_t ts;
	char text[200];
};

#define GUI_TRADE_RING 2048
#define GUI_ALERT_RING 256
#define GUI_MAX_CANDLES 200000
#define GUI_TPS_SECS 10

struct gui_view;

struct gui_stream {
	char topic[TS_TOPIC_MAX]; /* what is subscribed; ends in '/' for wildcards */
	enum gui_stream_kind kind;
	int refs;
	GPtrArray *views; /* struct gui_view *, not owned */
	int dirty;
	uint64_t nmsg, bad, gaps, last_seq;
	int64_t last_rx_mono;

	/* candles: sorted by t; changed_from is the first index whose EMAs and
	 * VWAP must be recomputed (SIZE_MAX when none) */
	struct gui_candle *c;
	size_t nc, capc, changed_from;
	uint64_t history_batches;
	int64_t first_data_mono;

	/* book */
	struct ts_book book;
	enum gui_book_state book_state;
	uint64_t resets, snapshots;

	/* trades: a ring, newest at (head - 1) */
	struct gui_trade tr[GUI_TRADE_RING];
	size_t trhead, ntr;
	uint64_t ntrades;
	int64_t tps_sec[GUI_TPS_SECS];  /* the second each bucket counts */
	uint32_t tps_cnt[GUI_TPS_SECS];

	/* alerts */
	struct gui_alert al[GUI_ALERT_RING];
	size_t alhead, nal;
};

/* Take a reference on the stream of `topic` (subscribing at the first one);
 * the view is told of its data through its ops->data. */
struct gui_stream *gui_stream_ref(const char *topic, enum gui_stream_kind kind, struct gui_view *v);
/* Drop the view's reference; unsubscribes at the last one. *s is set NULL. */
void gui_stream_unref(struct gui_stream **s, struct gui_view *v);
/* Trades per second over the last GUI_TPS_SECS seconds. */
double gui_stream_tps(const struct gui_stream *s);

/* ---- views ---- */

enum gui_kind { GUI_CHART, GUI_BOOK, GUI_DOM, GUI_TAPE, GUI_ALERTS, GUI_KIND_N };

struct gui_view_ops {
	const char *name;  /* in layout.ini and commands: chart, book, dom, tape, alerts */
	const char *title; /* shown on the tab */
	/* Build the content widget (and header controls appended to v->header). */
	GtkWidget *(*build)(struct gui_view *v);
	/* (Re)subscribe to the streams of v's market. */
	void (*attach)(struct gui_view *v);
	void (*detach)(struct gui_view *v);
	/* A stream of this view has new data (called once per bus drain). */
	void (*data)(struct gui_view *v, struct gui_stream *s);
	void (*save)(struct gui_view *v, GKeyFile *kf, const char *group);
	void (*load)(struct gui_view *v, GKeyFile *kf, const char *group);
	/* Append JSON members (",\"key\":…") describing the view's state. */
	void (*dump)(struct gui_view *v, GString *out);
	void (*free)(struct gui_view *v);
};

struct gui_view {
	enum gui_kind kind;
	const struct gui_view_ops *ops;
	unsigned id;
	char ex[48], sym[48], tf[8];
	PanelWidget *panel;
	GtkWidget *box, *header, *market_btn, *state_label, *content;
	char state[16]; /* "waiting", "live", "stale", "resync" */
	void *priv;
	/* redraws are spaced by G.min_frame_us */
	GtkWidget *redraw_widget;
	guint redraw_id;
	int64_t last_redraw_us;
};

/* Set a chart's candle width in pixels (0.001 to 60) and follow the newest. */
void gui_chart_zoom(struct gui_view *v, double bar_width);

extern const struct gui_view_ops gui_chart_ops, gui_book_ops, gui_dom_ops,
    gui_tape_ops, gui_alerts_ops;

/* Create a view; kf/group (may be NULL) restore its settings. */
struct gui_view *gui_view_new(enum gui_kind kind, const char *ex, const char *sym,
    const char *tf, GKeyFile *kf, const char *group);
/* Switch a view to another market (tf NULL keeps the timeframe). */
void gui_view_set_market(struct gui_view *v, const char *ex, const char *sym, const char *tf);
/* Set the stale/resync mark shown in the view's header. */
void gui_view_set_state(struct gui_view *v, const char *state);
/* The freshness of a feed from status/feed/EX: "live", "stale" or "" when unknown. */
const char *gui_feed_state(const char *ex);
int gui_kind_from_name(const char *name);
/* Redraw w (a view's drawing area) at the next frame, or later so that one
 * view redraws at most every G.min_frame_us: a fast book costs 30 frames a
 * second, not one per message. */
void gui_view_redraw(struct gui_view *v, GtkWidget *w);
/* The GUI draws only views whose data changed: draw funcs call this. */
void gui_note_draw(void);

/* ---- the application ---- */

struct gui_frame_stats {
	double *ms;
	size_t n, cap;
	int64_t start_us;
	int drew;
};

struct gui_app {
	AdwApplication *app;
	GtkWidget *win, *grid, *banner, *banner_label, *status_label;
	GPtrArray *views;
	unsigned next_id;
	struct ts_map streams; /* topic -> struct gui_stream * */

	/* bus */
	char bus_sub[256];
	void *sub, *mon;
	int connected;
	int64_t connect_since;
	uint64_t nmsg, nbad, nmsg_rate_last;
	double msg_rate;
	struct ts_map status; /* status topic -> char * (latest JSON) */
	GPtrArray *markets;   /* "ex sym" seen on the bus or built in */

	/* options */
	char layout_path[1024];
	int no_save;
	int width, height;

	struct gui_frame_stats frames;
	int64_t min_frame_us;
	double drain_ms_max;
};

extern struct gui_app G;

/* gui_bus.c */
void gui_bus_start(const char *endpoint);
void gui_bus_retry(void);
void gui_bus_stop(void);
void gui_bus_note_market(const char *ex, const char *sym);

/* gui_layout.c */
void gui_layout_factory(void);
int gui_layout_load(const char *path); /* 0, or -1 when absent or unusable */
int gui_layout_save(const char *path);
void gui_layout_clear(void);
/* Put a new view's panel in the grid (column, row: -1 for "most recent"). */
void gui_layout_place(struct gui_view *v, int column, int row);
/* Where a view sits: column, row and tab index. -1 when not in the grid. */
int gui_layout_where(struct gui_view *v, int *column, int *row, int *tab);

/* gui_market.c: the market chooser; cb gets ex, sym, tf (tf may be NULL) */
typedef void gui_market_cb(const char *ex, const char *sym, const char *tf, void *arg);
void gui_market_dialog(GtkWindow *parent, const char *title, int with_tf,
    const char *tf, gui_market_cb *cb, void *arg);
extern const char *const gui_builtin_markets[];

/* gui_book.c: price grouping shared by the book and the DOM */
struct gui_lvl {
	double px, qty;
};
/* Group side `side` of b into buckets of `tick` (bids round down, asks up),
 * best first; at most max buckets. Returns how many. */
size_t gui_book_group(const struct ts_book *b, int side, double tick, size_t max,
    struct gui_lvl *out);
/* Tick presets for a book: 1 and 5 times powers of ten from the book's
 * price increment up to about price/650. Returns how many (at most 12). */
int gui_tick_presets(const struct ts_book *b, double *out);
/* The preset used when the user has not chosen one (0 in layout.ini). */
double gui_tick_auto(const struct ts_book *b);
/* A tick dropdown's strings for the presets ("auto" first). */
void gui_tick_model(GtkStringList *sl, const double *presets, int n);

/* drawing helpers (gui_draw.c) */
double gui_nice_step(double range, int target);
void gui_fmt_price(double px, double step, char *buf, size_t n);
void gui_fmt_qty(double q, char *buf, size_t n);
void gui_color(cairo_t *cr, uint32_t rgb, double alpha);
void gui_text(cairo_t *cr, double x, double y, const char *s, int align, int bold);
#define GUI_GREEN 0x26a69a
#define GUI_RED 0xef5350
#define GUI_BG 0x131722
#define GUI_GRIDC 0x2a2e39
#define GUI_TEXTC 0xb2b5be
#define GUI_FONT_SIZE 11.0

#endif
