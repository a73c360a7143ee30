/* sup_ctl.c: the process table as JSON, the control socket and its client */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "json.h"
#include "log.h"
#include "sup.h"
#include "tm.h"

void
sup_status_json(struct sup *s, struct ts_jw *w)
{
	int64_t now = ts_mono_us();

	ts_jw_reset(w);
	ts_jw_obj(w);
	ts_jw_ki64(w, "pid", (int64_t)getpid());
	ts_jw_ki64(w, "uptime", (now - s->started_us) / TS_US_PER_SEC);
	ts_jw_kstr(w, "bus", s->bus_env);
	ts_jw_kbool(w, "demo", s->demo);
	ts_jw_ki64(w, "demo_port", s->demo ? s->conf.set.demo_port : 0);
	ts_jw_kbool(w, "stopping", s->shutting_down);
	ts_jw_ki64(w, "guard", s->guard_pid);
	if (s->peers)
		sup_peers_json(s->peers, w);
	ts_jw_key(w, "services");
	ts_jw_arr(w);
	for (int i = 0; i < SUP_MAX_PROCS; i++) {
		const struct sup_proc *p = &s->proc[i];
		char sym[SUP_MARKETS_MAX][TS_SYM_MAX];
		int nsym;
		if (!p->used)
			continue;
		ts_jw_obj(w);
		ts_jw_kstr(w, "name", p->name);
		ts_jw_kstr(w, "state", sup_state_name(p->state));
		ts_jw_ki64(w, "pid", p->pid);
		ts_jw_ki64(w, "uptime", p->pid > 0 ? (now - p->started_us) / TS_US_PER_SEC : 0);
		ts_jw_ki64(w, "restarts", p->restarts);
		ts_jw_ki64(w, "subscribers", p->subs);
		ts_jw_kbool(w, "always", s->conf.svc[p->svc].always);
		ts_jw_kstr(w, "last_exit", p->last_exit);
		ts_jw_kstr(w, "command", p->cmdline);
		nsym = sup_proc_markets(s, p, sym, SUP_MARKETS_MAX);
		ts_jw_key(w, "markets");
		ts_jw_arr(w);
		for (int k = 0; k < nsym; k++)
			ts_jw_str(w, sym[k]);
		ts_jw_arr_end(w);
		ts_jw_obj_end(w);
	}
	ts_jw_arr_end(w);
	ts_jw_obj_end(w);
}

static void
reply_err(void *sock, const char *msg)
{
	struct ts_jw w = { 0 };

	ts_jw_obj(&w);
	ts_jw_kbool(&w, "ok", 0);
	ts_jw_kstr(&w, "error", msg);
	ts_jw_obj_end(&w);
	zmq_send(sock, w.buf, w.len, 0);
	ts_jw_free(&w);
}

static void
on_ctl(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct sup *s = arg;
	static struct ts_jw w;
	char req[256], err[256];
	int n;

	(void)l, (void)fd, (void)rev;
	while ((n = zmq_recv(sock, req, sizeof req - 1, ZMQ_DONTWAIT)) >= 0) {
		int more = 0;
		size_t ml = sizeof more;
		zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &ml);
		while (more) { /* a REP must answer once per request: drop extra frames */
			char junk[64];
			if (zmq_recv(sock, junk, sizeof junk, 0) < 0)
				break;
			zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &ml);
		}
		if ((size_t)n >= sizeof req) {
			reply_err(sock, "request too long");
			continue;
		}
		req[n] = '\0';
		if (!strcmp(req, "status")) {
			sup_status_json(s, &w);
			zmq_send(sock, w.buf, w.len, 0);
		} else if (!strncmp(req, "stop ", 5) || !strncmp(req, "restart ", 8)) {
			int stop = req[2] == 'o';
			const char *name = req + (stop ? 5 : 8);
			if ((stop ? sup_cmd_stop : sup_cmd_restart)(s, name, err, sizeof err) < 0) {
				reply_err(sock, err);
			} else {
				ts_jw_reset(&w);
				ts_jw_obj(&w);
				ts_jw_kbool(&w, "ok", 1);
				ts_jw_obj_end(&w);
				zmq_send(sock, w.buf, w.len, 0);
			}
		} else {
			snprintf(err, sizeof err, "unknown request '%.64s' (status, stop NAME, "
			    "restart NAME)", req);
			reply_err(sock, err);
		}
	}
}

void *
sup_ctl_bind(struct sup *s)
{
	void *sock = zmq_socket(ts_bus_ctx(), ZMQ_REP);
	int linger = 0;

	if (!sock)
		ts_die(TS_EXIT_TEMP, "cannot create the control socket: %s", zmq_strerror(errno));
	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
	ts_bus_secure(sock, 1);
	if (zmq_bind(sock, s->ep.ctl) < 0)
		ts_die(errno == EADDRINUSE ? TS_EXIT_USAGE : TS_EXIT_TEMP,
		    "cannot bind the control socket '%s': %s", s->ep.ctl, zmq_strerror(errno));
	ts_loop_add(s->loop, sock, -1, ZMQ_POLLIN, on_ctl, s);
	return sock;
}

static void
print_human(const char *json, size_t n)
{
	struct ts_jval root, svcs, el;
	struct ts_jiter it;
	int64_t pid = 0, up = 0, demo_port = 0;

	if (ts_json_parse(json, n, &root, NULL) < 0 || root.type != TS_J_OBJ ||
	    ts_json_get(&root, "services", &svcs) < 0 || svcs.type != TS_J_ARR)
		ts_die(TS_EXIT_TEMP, "the supervisor's answer is not a process table");
	ts_json_get_i64(&root, "pid", &pid);
	ts_json_get_i64(&root, "uptime", &up);
	{
		char bus[256] = "";
		ts_json_get_str(&root, "bus", bus, sizeof bus);
		printf("ts-supervisor pid %lld, up %llds, bus %s\n", (long long)pid,
		    (long long)up, bus);
	}
	if (ts_json_get_i64(&root, "demo_port", &demo_port) == 0 && demo_port > 0)
		printf("demo: ts-sim on 127.0.0.1:%lld; its markets: ts-feed --list --rest "
		    "http://127.0.0.1:%lld EXCHANGE\n", (long long)demo_port,
		    (long long)demo_port);
	printf("%-24s %-9s %7s %8s %8s %5s  %-11s %s\n", "NAME", "STATE", "PID", "UPTIME",
	    "RESTARTS", "SUBS", "LAST EXIT", "MARKETS");
	ts_json_iter(&it, &svcs);
	while (ts_json_next(&it, NULL, &el)) {
		char name[SUP_NAME_MAX] = "?", state[16] = "?", last[64] = "";
		char pidbuf[24], upbuf[32], markets[512] = "";
		int64_t p = 0, u = 0, r = 0, sb = 0;
		struct ts_jval arr, m;
		struct ts_jiter mi;
		ts_json_get_str(&el, "name", name, sizeof name);
		ts_json_get_str(&el, "state", state, sizeof state);
		ts_json_get_str(&el, "last_exit", last, sizeof last);
		ts_json_get_i64(&el, "pid", &p);
		ts_json_get_i64(&el, "uptime", &u);
		ts_json_get_i64(&el, "restarts", &r);
		ts_json_get_i64(&el, "subscribers", &sb);
		if (ts_json_get(&el, "markets", &arr) == 0 && arr.type == TS_J_ARR) {
			ts_json_iter(&mi, &arr);
			while (ts_json_next(&mi, NULL, &m)) {
				char sym[TS_SYM_MAX];
				size_t len = strlen(markets);
				if (ts_json_str(&m, sym, sizeof sym) < 0)
					continue;
				snprintf(markets + len, sizeof markets - len, "%s%s",
				    len ? "," : "", sym);
			}
		}
		if (p > 0) {
			snprintf(pidbuf, sizeof pidbuf, "%lld", (long long)p);
			snprintf(upbuf, sizeof upbuf, "%lld:%02lld:%02lld", (long long)(u / 3600),
			    (long long)(u / 60 % 60), (long long)(u % 60));
		} else {
			snprintf(pidbuf, sizeof pidbuf, "-");
			snprintf(upbuf, sizeof upbuf, "-");
		}
		printf("%-24s %-9s %7s %8s %8lld %5lld  %-11s %s\n", name, state, pidbuf,
		    upbuf, (long long)r, (long long)sb, last[0] ? last : "-",
		    markets[0] ? markets : "-");
	}
}

int
sup_ctl_client(const struct ts_bus_ep *ep, const char *req, int json)
{
	void *sock;
	zmq_msg_t m;
	int timeout = 5000, zero = 0, rc = 0;

	if (!ep->tcp) {
		char path[300];
		struct stat st;
		snprintf(path, sizeof path, "%s/ctl", ep->dir);
		if (stat(path, &st) < 0) {
			ts_warn("no ts-supervisor is running on '%s' (no '%s')", ep->dir, path);
			return TS_EXIT_TEMP;
		}
	}
	sock = zmq_socket(ts_bus_ctx(), ZMQ_REQ);
	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
	zmq_setsockopt(sock, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
	ts_bus_secure(sock, 0);
	if (zmq_connect(sock, ep->ctl) < 0 || zmq_send(sock, req, strlen(req), 0) < 0) {
		ts_warn("cannot reach ts-supervisor at '%s': %s", ep->ctl, zmq_strerror(errno));
		zmq_close(sock);
		return TS_EXIT_TEMP;
	}
	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, sock, 0) < 0) {
		ts_warn("no answer from ts-supervisor at '%s' within %ds", ep->ctl,
		    timeout / 1000);
		rc = TS_EXIT_TEMP;
	} else {
		const char *d = zmq_msg_data(&m);
		size_t n = zmq_msg_size(&m);
		struct ts_jval root, ok;
		int okv = 1;
		if (ts_json_parse(d, n, &root, NULL) == 0 &&
		    ts_json_get(&root, "ok", &ok) == 0 && ts_json_bool(&ok, &okv) == 0 && !okv) {
			char e[256] = "?";
			ts_json_get_str(&root, "error", e, sizeof e);
			ts_usage_error(NULL, "%s", e);
		} else if (!strcmp(req, "status")) {
			if (json)
				printf("%.*s\n", (int)n, d);
			else
				print_human(d, n);
		}
	}
	zmq_msg_close(&m);
	zmq_close(sock);
	ts_bus_term();
	return rc;
}
