/* ts-gateway: the server's front door: REST /api/v1, websocket streams /ws/v1 and MCP over the bus */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libwebsockets.h>

#include "../ts-alert/alert.h"
#include "gw.h"
#include "tm.h"

static const char usage[] =
"usage: ts-gateway [-B ENDPOINT] [--listen ADDR:PORT] [--tls CERT,KEY] [--web DIR]\n"
"                  [--cors ORIGINS] [--linger DURATION] [--wait DURATION]\n"
"                  [--rules FILE] [--tokens FILE] [--insecure]\n"
"       ts-gateway [-B ENDPOINT] mcp\n"
"       ts-gateway token add NAME [--read-only] | list | rm NAME\n"
"\n"
"Serve TradeSuite's API over HTTP: REST under /api/v1 (candles, book,\n"
"trades, markets, status, health, alerts, scan, explain_price_action,\n"
"openapi.json), websocket streams under /ws/v1 and the Model Context\n"
"Protocol at /mcp, from the bus: a client watching a market makes the\n"
"gateway subscribe its topic, which starts its producers; the last client\n"
"leaving lets them stop. 'mcp' speaks MCP on stdin and stdout instead.\n"
"\n"
"  -B ENDPOINT        bus directory, ipc://DIR or tcp://HOST:PORT\n"
"  -l, --listen ADDR:PORT  where to listen (default 127.0.0.1:8470; port 0\n"
"                     picks one, printed as 'port N' on stdout)\n"
"      --tls CERT,KEY serve https and wss with this certificate and key (PEM)\n"
"      --web DIR      serve the files of DIR at / (the web client)\n"
"      --cors ORIGINS comma-separated origins allowed to call from a browser\n"
"                     ('*' for any)\n"
"      --linger DURATION  keep a topic subscribed this long after its last\n"
"                     client (default 30s)\n"
"      --wait DURATION  how long a request waits for a market's first data\n"
"                     (default 15s)\n"
"      --rules FILE   alert rules (default $XDG_CONFIG_HOME/tradesuite/alerts.conf)\n"
"      --tokens FILE  bearer tokens (default $XDG_CONFIG_HOME/tradesuite/gateway.tokens);\n"
"                     when it holds any, every request needs one\n"
"      --insecure     allow a non-loopback address without TLS and tokens, and\n"
"                     a tcp bus on a non-loopback address\n"
"  -h, --help         show this help\n"
"      --version      show the version\n"
"\n"
"Exit status: 0 on SIGINT or SIGTERM (mcp: at the end of stdin); 100 usage\n"
"error (a --tls file, a non-loopback address without TLS or tokens); 111\n"
"cannot listen or reach the bus.\n";

struct gw G;
const char *gw_cors;
extern const struct lws_protocols gw_http_protocol;

static void
on_signal(int signo)
{
	(void)signo;
	G.stop = 1;
	if (G.ctx)
		lws_cancel_service(G.ctx);
}

static void
lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	(void)level;
	while (n && line[n - 1] == '\n')
		n--;
	ts_debug("lws: %.*s", (int)n, line);
}

static void
on_tick(lws_sorted_usec_list_t *sul)
{
	gw_bus_tick();
	lws_sul_schedule(G.ctx, 0, sul, on_tick, LWS_US_PER_SEC);
}

static int64_t
duration_arg(const char *opt, const char *v)
{
	int64_t us;

	if (ts_duration_parse(v, &us) < 0 || us < 0)
		ts_usage_error(NULL, "bad %s '%s' (e.g. 500ms, 30s, 5m)", opt, v);
	return us;
}

static int
is_loopback(const char *addr)
{
	struct in_addr a;

	if (!strcmp(addr, "localhost"))
		return 1;
	return inet_pton(AF_INET, addr, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

enum { OPT_TLS = 256, OPT_WEB, OPT_CORS, OPT_LINGER, OPT_WAIT, OPT_RULES, OPT_TOKENS,
	OPT_INSECURE };

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "tls", required_argument, NULL, OPT_TLS },
		{ "web", required_argument, NULL, OPT_WEB },
		{ "cors", required_argument, NULL, OPT_CORS },
		{ "linger", required_argument, NULL, OPT_LINGER },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "tokens", required_argument, NULL, OPT_TOKENS },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	static struct lws_protocols protocols[3];
	static struct lws_http_mount mount;
	struct lws_context_creation_info info;
	const char *bus = NULL, *listen = "127.0.0.1:8470", *web = NULL;
	char addr[128], err[300], *tls_cert = NULL, *tls_key = NULL;
	int o, port, insecure = 0, mcp = 0;
	struct sigaction sa;

	ts_log_init(argv[0]);
	G.linger_us = 30 * TS_US_PER_SEC;
	G.wait_us = 15 * TS_US_PER_SEC;
	G.bad_rl = (struct ts_ratelimit)TS_RATELIMIT_INIT(1, 10);
	G.rules_path = alert_default_rules_path();
	G.tokens_path = gw_token_default_path();
	while ((o = getopt_long(argc, argv, "+B:l:h", opts, NULL)) != -1) {
		switch (o) {
		case 'B': bus = optarg; break;
		case 'l': listen = optarg; break;
		case OPT_TLS: {
			char *comma = strchr(optarg, ',');
			if (!comma || comma == optarg || !comma[1])
				ts_usage_error(NULL, "bad --tls '%s' (expected CERT,KEY)", optarg);
			tls_cert = ts_xstrndup(optarg, (size_t)(comma - optarg));
			tls_key = ts_xstrdup(comma + 1);
			if (access(tls_cert, R_OK) < 0 || access(tls_key, R_OK) < 0)
				ts_die_errno(TS_EXIT_USAGE, "cannot read --tls '%s'", optarg);
			break;
		}
		case OPT_WEB: web = optarg; break;
		case OPT_CORS: gw_cors = optarg; break;
		case OPT_LINGER: G.linger_us = duration_arg("--linger", optarg); break;
		case OPT_WAIT: G.wait_us = duration_arg("--wait", optarg); break;
		case OPT_RULES: G.rules_path = optarg; break;
		case OPT_TOKENS: G.tokens_path = optarg; break;
		case OPT_INSECURE: insecure = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': ts_version(NULL);
		default: ts_usage_error(NULL, NULL);
		}
	}
	if (optind < argc && !strcmp(argv[optind], "token"))
		return gw_token_cmd(G.tokens_path, argc - optind - 1, argv + optind + 1);
	if (optind < argc && !strcmp(argv[optind], "mcp")) {
		mcp = 1;
		optind++;
	}
	if (optind < argc)
		ts_usage_error(NULL, "unknown command '%s' (mcp, token)", argv[optind]);
	{
		const char *colon = strrchr(listen, ':');
		char *end;
		long p;
		if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof addr)
			ts_usage_error(NULL, "bad --listen '%s' (expected ADDR:PORT)", listen);
		memcpy(addr, listen, (size_t)(colon - listen));
		addr[colon - listen] = '\0';
		p = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || *end || p < 0 || p > 65535)
			ts_usage_error(NULL, "bad port in --listen '%s'", listen);
		port = (int)p;
	}
	if (ts_bus_resolve(bus, &G.ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	if (!ts_bus_is_safe(&G.ep) && !insecure)
		ts_die(TS_EXIT_USAGE, "the bus '%s' is tcp on a non-loopback address without "
		    "CURVE keys; give --insecure to use it anyway", G.ep.sub);
	G.need_tokens = gw_token_count(G.tokens_path) > 0;
	if (!mcp && !is_loopback(addr) && !insecure) {
		if (!tls_cert)
			ts_die(TS_EXIT_USAGE, "listening on '%s' needs --tls CERT,KEY (or --insecure)",
			    addr);
		if (!G.need_tokens)
			ts_die(TS_EXIT_USAGE, "listening on '%s' needs tokens: 'ts-gateway token "
			    "add NAME' first (or --insecure)", addr);
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	lws_set_log_level(LLL_ERR | (ts_log_get_level() >= TS_LOG_DEBUG ? LLL_WARN | LLL_NOTICE : 0),
	    lws_log);

	protocols[0] = gw_http_protocol;
	protocols[1] = gw_raw_protocol;
	memset(&info, 0, sizeof info);
	info.port = mcp ? CONTEXT_PORT_NO_LISTEN : port;
	info.iface = mcp ? NULL : addr;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6 | LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.pt_serv_buf_size = 64 * 1024;
	info.max_http_header_data = 8 * 1024;
	info.timeout_secs = 30;
	if (web) {
		mount.mountpoint = "/";
		mount.mountpoint_len = 1;
		mount.origin = web;
		mount.origin_protocol = LWSMPRO_FILE;
		mount.def = "index.html";
		info.mounts = &mount;
	}
	if (tls_cert && !mcp) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = tls_cert;
		info.ssl_private_key_filepath = tls_key;
		info.alpn = "http/1.1";
	}
	if (!(G.ctx = lws_create_context(&info)))
		ts_die(TS_EXIT_TEMP, "cannot listen on %s:%d%s", addr, port,
		    tls_cert ? " with that certificate and key" : "");
	G.vh = lws_get_vhost_by_name(G.ctx, "default");
	if (!G.vh)
		ts_die(TS_EXIT_TEMP, "cannot listen on %s:%d: no vhost", addr, port);
	G.start_us = ts_mono_us();
	gw_bus_init();
	lws_sul_schedule(G.ctx, 0, &G.tick_sul, on_tick, LWS_US_PER_SEC);
	if (mcp) {
		ts_info("serving MCP on stdin and stdout, bus '%s'", G.ep.sub);
		gw_mcp_stdio();
	} else {
		port = lws_get_vhost_listen_port(G.vh);
		printf("port %d\n", port);
		fflush(stdout);
		ts_info("serving %s://%s:%d (bus '%s'%s)", tls_cert ? "https" : "http", addr, port,
		    G.ep.sub, G.need_tokens ? ", tokens required" : "");
		while (!G.stop && lws_service(G.ctx, 0) >= 0)
			;
	}
	ts_info("stopping: %llu requests, %llu websockets, %llu bus messages",
	    (unsigned long long)G.requests, (unsigned long long)G.ws_clients,
	    (unsigned long long)G.bus_msgs);
	lws_sul_cancel(&G.tick_sul);
	lws_context_destroy(G.ctx);
	gw_bus_close();
	ts_bus_term();
	free(tls_cert);
	free(tls_key);
	return 0;
}
