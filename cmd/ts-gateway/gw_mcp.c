/* gw_mcp.c: the Model Context Protocol (JSON-RPC 2.0): tools over the API's operations, at /mcp and on stdio */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw.h"

#define MCP_LINE_MAX (1u << 20)

static const struct tool {
	const char *name, *op, *desc, *schema;
} tools[] = {
	{ "list_markets", "markets", "Exchanges the feeds serve, the symbols they have "
	  "open, and the candle timeframes.", "{\"type\":\"object\",\"properties\":{}}" },
	{ "get_candles", "candles", "OHLCV candles of a market: stored history joined "
	  "with the exchange's history and the live candle. Prices and volumes are exact "
	  "decimals; t is the open time in microseconds since the epoch.",
	  "{\"type\":\"object\",\"properties\":{"
	  "\"exchange\":{\"type\":\"string\",\"description\":\"e.g. coinbase, binance\"},"
	  "\"symbol\":{\"type\":\"string\",\"description\":\"BASE-QUOTE, e.g. BTC-USD\"},"
	  "\"timeframe\":{\"type\":\"string\",\"enum\":[\"1s\",\"5s\",\"15s\",\"1m\",\"3m\","
	  "\"5m\",\"15m\",\"30m\",\"1h\",\"2h\",\"4h\",\"6h\",\"12h\",\"1d\",\"1w\"]},"
	  "\"since\":{\"type\":[\"integer\",\"string\"],\"description\":\"microseconds or ISO 8601\"},"
	  "\"until\":{\"type\":[\"integer\",\"string\"],\"description\":\"microseconds or ISO 8601\"},"
	  "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5000}},"
	  "\"required\":[\"exchange\",\"symbol\",\"timeframe\"]}" },
	{ "get_book", "book", "The live L2 order book of a market (best levels first).",
	  "{\"type\":\"object\",\"properties\":{\"exchange\":{\"type\":\"string\"},"
	  "\"symbol\":{\"type\":\"string\"},\"depth\":{\"type\":\"integer\",\"minimum\":1,"
	  "\"maximum\":1000}},\"required\":[\"exchange\",\"symbol\"]}" },
	{ "get_trades", "trades", "The most recent trades of a market (side is the taker's).",
	  "{\"type\":\"object\",\"properties\":{\"exchange\":{\"type\":\"string\"},"
	  "\"symbol\":{\"type\":\"string\"},\"limit\":{\"type\":\"integer\",\"minimum\":1,"
	  "\"maximum\":1000}},\"required\":[\"exchange\",\"symbol\"]}" },
	{ "get_status", "status", "Health of the supervisor, the feeds and the gateway.",
	  "{\"type\":\"object\",\"properties\":{}}" },
	{ "scan", "scan", "Run the scanner's named scans over its watchlist.",
	  "{\"type\":\"object\",\"properties\":{\"scan\":{\"type\":\"string\"},"
	  "\"exchange\":{\"type\":\"string\"},\"timeframe\":{\"type\":\"string\"}}}" },
	{ "explain_price_action", "explain_price_action", "Explain a market's recent "
	  "price action from the scanner's indicators.",
	  "{\"type\":\"object\",\"properties\":{\"exchange\":{\"type\":\"string\"},"
	  "\"symbol\":{\"type\":\"string\"},\"timeframe\":{\"type\":\"string\"},"
	  "\"lookback_periods\":{\"type\":\"integer\",\"minimum\":1}},"
	  "\"required\":[\"symbol\",\"timeframe\"]}" },
	{ "list_alerts", "alerts", "The alert rules of alerts.conf(5).",
	  "{\"type\":\"object\",\"properties\":{}}" },
	{ "create_alert", "alerts_create", "Add an alert rule in alerts.conf(5)'s language; "
	  "the running ts-alert picks it up. Either 'rule' (a whole line: ID EXCHANGE:SYMBOL "
	  "CONDITION [OPTIONS]) or id, market and condition.",
	  "{\"type\":\"object\",\"properties\":{\"rule\":{\"type\":\"string\"},"
	  "\"id\":{\"type\":\"string\"},\"market\":{\"type\":\"string\",\"description\":"
	  "\"EXCHANGE:SYMBOL\"},\"condition\":{\"type\":\"string\",\"description\":"
	  "\"e.g. price above 70000, change > 2% over 5m, spread > 5bps\"},"
	  "\"cooldown\":{\"type\":\"string\"},\"notify\":{\"type\":\"string\"}}}" },
	{ "delete_alert", "alerts_delete", "Remove an alert rule by id.",
	  "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}},"
	  "\"required\":[\"id\"]}" },
};

struct gw_mcp_req {
	struct gw_call call;
	char *id;              /* the request's id as JSON text */
	gw_mcp_reply_fn *fn;
	void *arg;
	int starting, finished; /* finished while gw_call_start ran: freed there */
};

static void
rpc_head(struct ts_jw *w, const char *id)
{
	ts_jw_reset(w);
	ts_jw_obj(w);
	ts_jw_kstr(w, "jsonrpc", "2.0");
	ts_jw_key(w, "id");
	if (id)
		ts_jw_raw(w, id, strlen(id));
	else
		ts_jw_null(w);
}

static void
rpc_error(struct ts_jw *w, const char *id, int code, const char *msg)
{
	rpc_head(w, id);
	ts_jw_key(w, "error");
	ts_jw_obj(w);
	ts_jw_ki64(w, "code", code);
	ts_jw_kstr(w, "message", msg);
	ts_jw_obj_end(w);
	ts_jw_obj_end(w);
}

static void
req_free(struct gw_mcp_req *r)
{
	gw_call_clear(&r->call);
	free(r->id);
	free(r);
}

static void
on_tool_done(struct gw_call *c)
{
	struct gw_mcp_req *r = c->owner;
	struct ts_jw w = { 0 };
	const char *out = c->out.buf ? c->out.buf : "{}";
	size_t n = c->out.buf ? c->out.len : 2;

	rpc_head(&w, r->id);
	ts_jw_key(&w, "result");
	ts_jw_obj(&w);
	ts_jw_key(&w, "content");
	ts_jw_arr(&w);
	ts_jw_obj(&w);
	ts_jw_kstr(&w, "type", "text");
	ts_jw_key(&w, "text");
	ts_jw_strn(&w, out, n);
	ts_jw_obj_end(&w);
	ts_jw_arr_end(&w);
	if (n && out[0] == '{') {
		ts_jw_key(&w, "structuredContent");
		ts_jw_raw(&w, out, n);
	}
	ts_jw_kbool(&w, "isError", c->status >= 400);
	ts_jw_obj_end(&w);
	ts_jw_obj_end(&w);
	r->fn(r->arg, w.buf, w.len);
	ts_jw_free(&w);
	if (r->starting)
		r->finished = 1;
	else
		req_free(r);
}

static void
tools_list(struct ts_jw *w, const char *id)
{
	rpc_head(w, id);
	ts_jw_key(w, "result");
	ts_jw_obj(w);
	ts_jw_key(w, "tools");
	ts_jw_arr(w);
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
		ts_jw_obj(w);
		ts_jw_kstr(w, "name", tools[i].name);
		ts_jw_kstr(w, "description", tools[i].desc);
		ts_jw_key(w, "inputSchema");
		ts_jw_raw(w, tools[i].schema, strlen(tools[i].schema));
		ts_jw_obj_end(w);
	}
	ts_jw_arr_end(w);
	ts_jw_obj_end(w);
	ts_jw_obj_end(w);
}

static void
initialize(struct ts_jw *w, const char *id, const struct ts_jval *params)
{
	static const char caps[] = "{\"tools\":{\"listChanged\":false}}",
	    info[] = "{\"name\":\"ts-gateway\",\"version\":\"1.0\"}";
	struct ts_jval v;
	char ver[32] = "2025-06-18";

	if (params && !ts_json_get(params, "protocolVersion", &v))
		ts_json_str(&v, ver, sizeof ver); /* speak the client's version */
	rpc_head(w, id);
	ts_jw_key(w, "result");
	ts_jw_obj(w);
	ts_jw_kstr(w, "protocolVersion", ver);
	ts_jw_key(w, "capabilities");
	ts_jw_raw(w, caps, sizeof caps - 1);
	ts_jw_key(w, "serverInfo");
	ts_jw_raw(w, info, sizeof info - 1);
	ts_jw_kstr(w, "instructions", "TradeSuite market data: candles, order books, "
	    "trades and alert rules of the exchanges its feeds serve. Prices are exact "
	    "decimals; times are microseconds since the epoch.");
	ts_jw_obj_end(w);
	ts_jw_obj_end(w);
}

struct gw_mcp_req *
gw_mcp_handle(const char *text, size_t n, int can_write, gw_mcp_reply_fn *fn, void *arg)
{
	struct ts_jval msg, v, params, name, args;
	struct ts_jw w = { 0 };
	char method[64], tool[64], *id = NULL;
	struct gw_mcp_req *r;
	const struct tool *t = NULL;

	if (ts_json_parse(text, n, &msg, NULL) < 0 || msg.type != TS_J_OBJ) {
		rpc_error(&w, NULL, -32700, "parse error: not a JSON object");
		goto reply;
	}
	if (!ts_json_get(&msg, "id", &v) && v.type != TS_J_NULL)
		id = ts_xstrndup(v.p, v.n);
	if (ts_json_get_str(&msg, "method", method, sizeof method) <= 0) {
		if (!id) { /* a response or junk without an id: nothing to answer */
			fn(arg, NULL, 0);
			return NULL;
		}
		rpc_error(&w, id, -32600, "invalid request: no 'method'");
		goto reply;
	}
	if (!id) { /* a notification (notifications/initialized, cancelled, …) */
		fn(arg, NULL, 0);
		return NULL;
	}
	if (ts_json_get(&msg, "params", &params) < 0)
		params.type = TS_J_NONE;
	if (!strcmp(method, "initialize")) {
		initialize(&w, id, params.type == TS_J_OBJ ? &params : NULL);
	} else if (!strcmp(method, "ping")) {
		rpc_head(&w, id);
		ts_jw_key(&w, "result");
		ts_jw_raw(&w, "{}", 2);
		ts_jw_obj_end(&w);
	} else if (!strcmp(method, "tools/list")) {
		tools_list(&w, id);
	} else if (!strcmp(method, "tools/call")) {
		if (params.type != TS_J_OBJ || ts_json_get(&params, "name", &name) < 0 ||
		    ts_json_str(&name, tool, sizeof tool) <= 0) {
			rpc_error(&w, id, -32602, "tools/call needs params.name");
			goto reply;
		}
		for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
			if (!strcmp(tools[i].name, tool))
				t = &tools[i];
		if (!t) {
			char m[128];
			snprintf(m, sizeof m, "unknown tool '%.64s'", tool);
			rpc_error(&w, id, -32602, m);
			goto reply;
		}
		r = ts_xcalloc(1, sizeof *r);
		r->id = id;
		r->fn = fn;
		r->arg = arg;
		r->call.op = t->op;
		r->call.owner = r;
		r->call.done = on_tool_done;
		r->call.can_write = can_write;
		if (!ts_json_get(&params, "arguments", &args) && args.type == TS_J_OBJ) {
			gw_args_from_json(&r->call.a, args.p, args.n);
			/* keep the arguments' text for what reads JSON (notify arrays) */
			r->call.body = NULL;
		}
		r->starting = 1;
		gw_call_start(&r->call);
		r->starting = 0;
		if (r->finished) {
			req_free(r);
			return NULL;
		}
		return r; /* answered later, by on_tool_done, unless cancelled */
	} else {
		char m[128];
		snprintf(m, sizeof m, "method not found: '%.64s'", method);
		rpc_error(&w, id, -32601, m);
	}
reply:
	fn(arg, w.buf, w.len);
	ts_jw_free(&w);
	free(id);
	return NULL;
}

void
gw_mcp_cancel(struct gw_mcp_req *r)
{
	if (r)
		req_free(r);
}

/* ---- stdio: one JSON-RPC message a line ---- */

static struct {
	char *buf;
	size_t len, cap;
	struct gw_watch *w;
	int pending;
} S;

static void
stdio_reply(void *arg, const char *json, size_t n)
{
	(void)arg;
	if (!json)
		return;
	if (fwrite(json, 1, n, stdout) != n || fputc('\n', stdout) == EOF || fflush(stdout))
		G.stop = 1;
}

static void
on_stdin(void *arg)
{
	char chunk[65536];
	ssize_t k = read(0, chunk, sizeof chunk);
	char *nl;

	(void)arg;
	if (k <= 0) {
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		G.stop = 1; /* EOF: the client is gone */
		lws_cancel_service(G.ctx);
		return;
	}
	ts_xgrow((void **)&S.buf, &S.cap, S.len + (size_t)k + 1, 1);
	memcpy(S.buf + S.len, chunk, (size_t)k);
	S.len += (size_t)k;
	while ((nl = memchr(S.buf, '\n', S.len))) {
		size_t n = (size_t)(nl - S.buf);
		if (n > 0)
			gw_mcp_handle(S.buf, n, 1, stdio_reply, NULL);
		memmove(S.buf, nl + 1, S.len - n - 1);
		S.len -= n + 1;
	}
	if (S.len > MCP_LINE_MAX) {
		ts_warn("a line on stdin over 1 MiB: dropped");
		S.len = 0;
	}
}

int
gw_mcp_stdio(void)
{
	S.w = gw_watch_fd(dup(0), on_stdin, NULL);
	while (!G.stop && lws_service(G.ctx, 0) >= 0)
		;
	gw_watch_del(&S.w);
	free(S.buf);
	return 0;
}
