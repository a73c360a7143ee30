/* scan.h: the scanner's metrics on each closed candle, and named scans over them
 *
 * One struct ts_scan_calc follows one market at one timeframe: each closed
 * candle (oldest first) updates its indicators (ind.h) in O(1) and gives the
 * original scanner's metrics on that bar, with their change since the bar
 * before. A scan is a list of conditions on metrics and the number of them
 * that must hold; scans.conf(5) defines them (ts_scan_conf_load), with the
 * original's seven as defaults. Shared by ts-scan and ts-gateway (one
 * implementation of /api/v1/scan). */
#ifndef TS_SCAN_H
#define TS_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ind.h"
#include "json.h"

/* The metrics, on the last closed bar (NaN: none yet, or undefined):
 *   RSI            RSI(14)
 *   zscore         (close - SMA50) / STD50 of the closes (none when STD50 = 0)
 *   %B             Bollinger(20, 2) %B
 *   ATRstretch     |close - SMA20| / ATR14 (none when ATR14 = 0)
 *   VWAPgap        (close - AVWAP) / AVWAP, AVWAP anchored at the configured
 *                  anchor (default: the first bar the state saw)
 *   VWAPgap_daily  the same, anchored at 00:00 UTC of the bar's day
 *   BTC_rel_zscore z-score over 50 bars of close / BTC close at the same
 *                  open time (bars without a BTC close are left out, as an
 *                  inner join; none for BTC itself)
 *   VolumeZScore   (volume - SMA20(volume)) / STD20(volume)
 *   RVOL           volume / SMA20(volume)
 *   BBW            Bollinger(20, 2) width: (upper - lower) / middle
 *   ADX14          ADX(14) ("ADX" is accepted as its name in scans)
 *   MACD, MACD_signal, MACD_hist   MACD(12, 26, 9)
 * The indicators' definitions are in ind.h. */
enum {
	TS_SCAN_RSI, TS_SCAN_ZSCORE, TS_SCAN_PCTB, TS_SCAN_ATRSTRETCH, TS_SCAN_VWAPGAP,
	TS_SCAN_VWAPGAP_DAILY, TS_SCAN_BTC_REL, TS_SCAN_VOLZ, TS_SCAN_RVOL, TS_SCAN_BBW,
	TS_SCAN_ADX, TS_SCAN_MACD, TS_SCAN_MACD_SIGNAL, TS_SCAN_MACD_HIST,
	TS_SCAN_NMETRIC
};
/* The metric's name as on the bus ("RSI", "%B", …). */
extern const char *const ts_scan_metric_names[TS_SCAN_NMETRIC];
/* The metric called name (aliases accepted), or -1. */
int ts_scan_metric_find(const char *name, size_t len);

/* Anchor value for "the first bar seen". */
#define TS_SCAN_ANCHOR_FIRST INT64_MIN

struct ts_scan_calc {
	struct ts_ind_rsi rsi;
	struct ts_ind_win c50, v20, ratio50;
	struct ts_ind_bb bb;
	struct ts_ind_atr atr;
	struct ts_ind_adx adx;
	struct ts_ind_vwap va, vd;
	struct ts_ind_macd macd;
	int64_t anchor_us;
	int64_t t;       /* open time of the last bar, INT64_MIN before any */
	double close, volume;
	uint64_t bars;
	double m[TS_SCAN_NMETRIC];    /* the metrics of the last bar */
	double prev[TS_SCAN_NMETRIC]; /* of the bar before it */
};

/* Start a state (allocates its windows; ts_scan_calc_free releases them).
 * anchor_us: VWAPgap's anchor, or TS_SCAN_ANCHOR_FIRST. */
void ts_scan_calc_init(struct ts_scan_calc *s, int64_t anchor_us);
void ts_scan_calc_free(struct ts_scan_calc *s);
/* Forget the BTC ratios (before replaying them with ts_scan_calc_ratio). */
void ts_scan_calc_ratio_reset(struct ts_scan_calc *s);
/* Push one BTC ratio alone (replay), not moving the bar. */
void ts_scan_calc_ratio(struct ts_scan_calc *s, double close, double btc_close);
/* Push one closed bar (its open time after the last one's; an older or
 * repeated one is ignored and 0 returned). btc_close is BTC's close at the
 * same open time, NaN when unknown (or for BTC itself). Returns 1. */
int ts_scan_calc_push(struct ts_scan_calc *s, const struct ts_ind_bar *b, double btc_close);
/* The change of metric k since the bar before (NaN unless both exist). */
double ts_scan_calc_delta(const struct ts_scan_calc *s, int k);

/* ---- scans -------------------------------------------------------------- */

enum { TS_SCAN_GT, TS_SCAN_GE, TS_SCAN_LT, TS_SCAN_LE };

struct ts_scan_cond {
	int metric; /* TS_SCAN_* */
	int op;     /* TS_SCAN_GT … */
	double value;
};

#define TS_SCAN_MAX_CONDS 16
#define TS_SCAN_NAME_MAX 64

struct ts_scan_def {
	char name[TS_SCAN_NAME_MAX];
	int min;    /* conditions that must hold, 1 .. nconds */
	int nconds;
	struct ts_scan_cond cond[TS_SCAN_MAX_CONDS];
};

#define TS_SCAN_MAX_SCANS 64
#define TS_SCAN_MAX_WATCH 1024

/* What scans.conf holds: the scans, and ts-scan's own settings. */
struct ts_scan_conf {
	struct ts_scan_def scan[TS_SCAN_MAX_SCANS];
	int nscans;
	char (*watch)[96];  /* EXCHANGE/SYMBOL markets, owned */
	int nwatch;
	int tf[16];         /* ts_tf_names indices */
	int ntf;
	int64_t anchor_us;  /* TS_SCAN_ANCHOR_FIRST unless set */
	int defaults;       /* 1: the scans are the built-in seven */
};

/* The built-in seven of the original scanner, as scans.conf text. */
extern const char ts_scan_default_conf[];

/* Fill c with the defaults (the seven scans, no watchlist, no timeframes,
 * anchor at the first bar). */
void ts_scan_conf_init(struct ts_scan_conf *c);
void ts_scan_conf_free(struct ts_scan_conf *c);
/* Parse scans.conf text (name is the file's name for messages). Every
 * error is printed to errs (if not NULL) as "NAME:LINE: message"; a file
 * with scan lines replaces the default scans. Returns the number of
 * errors (0: c is complete). */
int ts_scan_conf_parse(struct ts_scan_conf *c, const char *name, const char *text,
    FILE *errs);
/* Read and parse a file: -1 when it cannot be read (errno), else as
 * ts_scan_conf_parse. */
int ts_scan_conf_load(struct ts_scan_conf *c, const char *path, FILE *errs);

/* How many conditions of scan d hold for metrics m (a NaN metric holds
 * none). */
int ts_scan_flags(const struct ts_scan_def *d, const double *m);

/* The BTC market a market's BTC_rel_zscore is against: "BTC-" and the
 * symbol after its base (ETH-USDT-PERP: BTC-USDT-PERP), into buf. Returns
 * 0, or -1 when the symbol is BTC's own or has no quote. */
int ts_scan_btc_sym(const char *sym, char *buf, size_t n);

/* Write the members of a scan message (no braces): "t", "close",
 * "volume", "metrics" {name: value}, "delta" {"delta_NAME": value},
 * "flags" {scan: conditions met} and "scans" [names of those passed]. */
void ts_scan_write(struct ts_jw *w, const struct ts_scan_calc *s,
    const struct ts_scan_conf *c);

#endif
