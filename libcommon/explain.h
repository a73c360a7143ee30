/* explain.h: "explain price action": the facts of a market's recent candles, and a text
 *
 * From a run of closed candles, ts_explain writes the JSON object that the
 * original TradeSuite planned for /explain_price_action: a summary of the
 * visible window, the state of its last candle, the key events inside it,
 * and a few sentences a trader would write from those facts. Every number
 * in the text is one of the facts; the same candles give the same bytes.
 * ts-scan explain prints it; ts-gateway's /api/v1/explain_price_action
 * calls the same function with candles from ts-store's history service.
 *
 * The candles before the window warm the indicators up (give 50 or more
 * when you can); the window is the last `lookback` candles. Definitions:
 *
 * visible_window_summary  from/to (open times, µs), bars, open (the first
 *     candle's), high, low, close, volume (sum), change_pct (close / open
 *     - 1, in %), max_drawdown_pct (the largest fall of a close from the
 *     highest close or open before it in the window, in %).
 * current_candle_state  t, close, RSI and its change over 1 and 5 candles,
 *     pctB (Bollinger 20, 2), vwap (anchored at the window's first candle)
 *     and vwap_gap_pct, ADX, plus_DI, minus_DI, BBW, RVOL (null: no value).
 * key_events_in_window  in time order, each {"t","type",…}:
 *     swing_high / swing_low  a high (low) above (below) those of the 3
 *         candles on each side ("price");
 *     rsi_left_overbought / rsi_left_oversold  RSI back under 70 from 70 or
 *         above / back over 30 from 30 or below ("rsi", "extreme": the
 *         furthest RSI of the excursion);
 *     volume_spike  a volume 3 or more standard deviations above its 20-
 *         candle mean ("volume", "rvol", "zscore");
 *     vwap_reclaimed / vwap_lost  a close above / below the window's VWAP
 *         after 3 closes on the other side ("close", "vwap");
 *     squeeze  the Bollinger width at its lowest of 50 candles and under
 *         0.6 times their mean, outside a squeeze ("bbw"); the squeeze
 *         lasts until the width is back at that 0.6 times the mean;
 *     breakout_up / breakout_down  the first close above the upper band /
 *         below the lower one ("close", "band", "after_squeeze": a squeeze
 *         was on within the 10 candles before).
 *     Only the last TS_EXPLAIN_MAX_EVENTS are kept.
 * explanation  the sentences, built from the facts above. */
#ifndef TS_EXPLAIN_H
#define TS_EXPLAIN_H

#include <stddef.h>

#include "ind.h"
#include "json.h"

#define TS_EXPLAIN_MAX_EVENTS 40
#define TS_EXPLAIN_DEFAULT_LOOKBACK 100

/* Write the object for market ("coinbase/BTC-USD") at timeframe tf from
 * bars (n closed candles, oldest first, open times increasing) into w
 * (appended; w is not reset). lookback 0 means the default. Returns 0, or
 * -1 when n is 0 (nothing written). */
int ts_explain(struct ts_jw *w, const char *market, const char *tf,
    const struct ts_ind_bar *bars, size_t n, size_t lookback);

#endif
