/* ts-alert: evaluate the user's alert rules on live bus data and deliver what fires */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jv.h>
#include <zmq.h>

#include "alert.h"
#include "bus.h"
#include "log.h"
#include "path.h"
#include "loop.h"
#include "msg.h"
#include "tm.h"
#include "topic.h"

static const char usage[] =
"usage: ts-alert [OPTIONS] [run]\n"
"       ts-alert [OPTIONS] add ID EXCHANGE:SYMBOL CONDITION... [RULE OPTIONS]\n"
"       ts-alert [OPTIONS] list [--json]\n"
"       ts-alert [OPTIONS] rm|enable|disable ID\n"
"       ts-alert [OPTIONS] test ID\n"
"       ts-alert check FILE\n"
"\n"
"Evaluate the rules of alerts.conf(5) on live bus data. A fired alert is\n"
"published on alerts/EX/SYM, printed on stdout as one JSON line and handed\n"
"to its notify targets (command, webhook, discord, slack, ntfy, mail) by a\n"
"delivery process that retries with backoff. The rules file is reloaded\n"
"when it changes; cooldowns and last-fired state survive restarts.\n"
"\n"
"  -B ENDPOINT        bus directory, ipc://DIR or tcp://HOST:PORT\n"
"  -f, --rules FILE   rules file (default $XDG_CONFIG_HOME/tradesuite/alerts.conf)\n"
"      --state FILE   state file (default $XDG_STATE_HOME/tradesuite/alerts.state)\n"
"      --retry-base DURATION  first delivery retry delay (default 2s; doubles)\n"
"      --attempts N   delivery attempts before giving up (default 8)\n"
"      --timeout DURATION  per delivery attempt (default 10s)\n"
"  -w, --wait DURATION  test: how long to wait for data (default 3s)\n"
"      --insecure     allow a tcp bus on a non-loopback address\n"
"  -h, --help         show this help\n"
"      --version      show the version\n"
"\n"
"Commands: run (the default) evaluates until SIGTERM; add appends a rule;\n"
"list shows the rules (--json for a machine); rm, enable and disable edit\n"
"one rule; test ID shows whether it would fire now and why; check FILE\n"
"validates a rules file. Edits are atomic (temporary file, fsync, rename).\n"
"\n"
"Exit status: 0 success (run: stopped by SIGTERM or SIGINT); 100 usage\n"
"error, unknown rule, or check found errors; 111 system error, or test\n"
"got no data in time.\n";

struct opts {
	const char *bus, *rules, *state;
	int insecure;
	int64_t wait_us;
	struct alert_delivery_opts d;
};

/* ---- the running service ------------------------------------------------- */

struct app {
	struct opts *o;
	struct ts_bus_ep ep;
	void *sub;
	struct ts_pub pub;
	struct ts_jw w;
	struct alert_rules rules;
	struct alert_engine eng;
	struct ts_map subscribed;    /* topics we are subscribed to */
	int deliver_fd, deliver_pid;
	int ino_fd;
	struct stat rules_st;
	int have_st;
	unsigned reload_timer;
	uint64_t alerts, queue_full;
	struct ts_ratelimit bad_rl, q_rl;
};

/* A double as the shortest %g text that reads back ("10", not "1e+01"). */
static void
put_num(struct ts_jw *w, double v)
{
	char b[40];

	if (!isfinite(v)) {
		ts_jw_null(w);
		return;
	}
	for (int p = 15; p <= 17; p++) {
		snprintf(b, sizeof b, "%.*g", p, v);
		if (strtod(b, NULL) == v)
			break;
	}
	ts_jw_raw(w, b, strlen(b));
}

static void
on_fire(const struct alert_fire *f, void *arg)
{
	struct app *a = arg;
	const struct alert_rule *r = f->rule;
	char topic[TS_TOPIC_MAX];
	char *const *targets = r->nnotify ? r->notify : a->rules.set.notify;
	int ntargets = r->nnotify ? r->nnotify : a->rules.set.nnotify;

	ts_jw_reset(&a->w);
	ts_jw_obj(&a->w);
	ts_jw_kstr(&a->w, "rule", r->id);
	ts_jw_kstr(&a->w, "ex", r->ex);
	ts_jw_kstr(&a->w, "sym", r->sym);
	ts_jw_kstr(&a->w, "cond", r->cond);
	ts_jw_key(&a->w, "value");
	if (f->jvalue)
		ts_jw_raw(&a->w, f->jvalue, strlen(f->jvalue));
	else if (f->exact)
		ts_jw_dec(&a->w, f->dvalue);
	else
		put_num(&a->w, f->value);
	ts_jw_key(&a->w, "threshold");
	if (r->kind == AK_JQ)
		ts_jw_null(&a->w);
	else if (r->kind == AK_PRICE_CROSS || r->kind == AK_MID_CROSS)
		ts_jw_dec(&a->w, r->level);
	else
		put_num(&a->w, r->threshold);
	ts_jw_ki64(&a->w, "ts", f->ts);
	ts_jw_obj_end(&a->w);
	ts_topic_build(topic, sizeof topic, "alerts", r->ex, r->sym, NULL);
	if (ts_pub_send(&a->pub, topic, &a->w) < 0)
		ts_warn_rl(&a->q_rl, "cannot publish alert '%s' on '%s': %s", r->id, topic,
		    zmq_strerror(errno));
	a->alerts++;
	fwrite(a->w.buf, 1, a->w.len, stdout);
	putchar('\n');
	fflush(stdout);
	if (ntargets && alert_delivery_queue(a->deliver_fd, a->w.buf, a->w.len, targets,
	    ntargets, &a->rules.set) < 0) {
		a->queue_full++;
		ts_warn_rl(&a->q_rl, "alert '%s' not delivered: %s", r->id,
		    errno == EAGAIN ? "delivery queue full" : strerror(errno));
	}
}

static void
on_sub(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct app *a = arg;
	struct ts_msg m;
	const char *why;
	int n = 0;

	(void)fd, (void)rev;
	while (n++ < 4096) {
		if (ts_msg_recv(sock, &m, ZMQ_DONTWAIT) < 0) {
			if (errno == EPROTO)
				continue;
			break;
		}
		if (alert_engine_feed(&a->eng, m.topic, m.data, m.len, ts_now_us(), on_fire, a,
		    &why) < 0)
			ts_warn_rl(&a->bad_rl, "bad message on '%s': %s; skipped", m.topic, why);
		ts_msg_close(&m);
	}
	(void)l;
}

/* Subscribe to what the bound rules read, unsubscribe from the rest. */
static void
resubscribe(struct app *a)
{
	struct ts_map want = { 0 };
	struct ts_map_entry *me;
	size_t i = 0;

	while ((me = alert_engine_next_topic(&a->eng, &i))) {
		ts_map_put(&want, me->key, NULL);
		if (!ts_map_get(&a->subscribed, me->key)) {
			ts_bus_subscribe(a->sub, me->key);
			ts_map_put(&a->subscribed, me->key, NULL);
			ts_debug("subscribed to '%s'", me->key);
		}
	}
	i = 0;
	while ((me = ts_map_next(&a->subscribed, &i))) {
		if (ts_map_get(&want, me->key))
			continue;
		ts_bus_unsubscribe(a->sub, me->key);
		ts_debug("unsubscribed from '%s'", me->key);
		ts_map_del(&a->subscribed, me->key);
	}
	ts_map_clear(&want);
}

static int
stat_changed(struct app *a)
{
	struct stat st;

	if (stat(a->o->rules, &st) < 0)
		memset(&st, 0, sizeof st);
	if (a->have_st && st.st_ino == a->rules_st.st_ino && st.st_size == a->rules_st.st_size &&
	    st.st_mtim.tv_sec == a->rules_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == a->rules_st.st_mtim.tv_nsec &&
	    st.st_ctim.tv_nsec == a->rules_st.st_ctim.tv_nsec)
		return 0;
	a->rules_st = st;
	a->have_st = 1;
	return 1;
}

static void
load_rules(struct app *a, int initial)
{
	struct alert_rules next;
	size_t enabled = 0;

	if (alert_rules_load(a->o->rules, 1, &next, stderr) < 0) {
		if (initial)
			ts_die_errno(TS_EXIT_USAGE, "cannot read '%s'", a->o->rules);
		ts_warn_errno("cannot read '%s'; keeping the rules loaded before", a->o->rules);
		return;
	}
	alert_state_load(a->o->state, &next);
	/* rules that did not change keep what they saw */
	for (size_t i = 0; i < next.n; i++) {
		struct alert_rule *old = alert_rules_find(&a->rules, next.r[i].id);
		if (!old || old->hash != next.r[i].hash)
			continue;
		next.r[i].st = old->st;
		next.r[i].last_fired = old->last_fired;
		next.r[i].evals = old->evals;
		next.r[i].fired = old->fired;
		next.r[i].suppressed = old->suppressed;
	}
	{
		struct alert_rules old = a->rules;
		a->rules = next;
		alert_engine_bind(&a->eng, &a->rules);
		alert_rules_free(&old);
	}
	for (size_t i = 0; i < a->rules.n; i++)
		enabled += a->rules.r[i].enabled;
	resubscribe(a);
	ts_info("%s %zu rules (%zu enabled) from '%s'%s%.0d%s", initial ? "loaded" : "reloaded",
	    a->rules.n, enabled, a->o->rules, a->rules.errors ? ", " : "",
	    a->rules.errors, a->rules.errors ? " rejected" : "");
}

static void
on_reload_timer(struct ts_loop *l, unsigned id, void *arg)
{
	struct app *a = arg;

	(void)l, (void)id;
	a->reload_timer = 0;
	if (stat_changed(a))
		load_rules(a, 0);
}

static void
on_inotify(struct ts_loop *l, void *sock, int fd, short rev, void *arg)
{
	struct app *a = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const char *base = strrchr(a->o->rules, '/');
	int hit = 0;
	ssize_t n;

	(void)sock, (void)rev;
	base = base ? base + 1 : a->o->rules;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)(void *)p;
			if (ev->len && !strcmp(ev->name, base))
				hit = 1;
			p += sizeof *ev + ev->len;
		}
	}
	/* an editor may write in steps: settle for 50 ms before reading */
	if (hit && !a->reload_timer)
		a->reload_timer = ts_loop_timer(l, 50000, 0, on_reload_timer, a);
}

static void
on_poll_timer(struct ts_loop *l, unsigned id, void *arg)
{
	struct app *a = arg;

	(void)id;
	if (!a->reload_timer && stat_changed(a))
		load_rules(a, 0);
	(void)l;
}

static void
on_state_timer(struct ts_loop *l, unsigned id, void *arg)
{
	struct app *a = arg;
	static struct ts_ratelimit rl = TS_RATELIMIT_INIT(0.1, 1);

	(void)l, (void)id;
	if (!a->eng.dirty)
		return;
	if (alert_state_save(a->o->state, &a->rules) < 0)
		ts_warn_rl(&rl, "cannot save state to '%s': %s", a->o->state, strerror(errno));
	else
		a->eng.dirty = 0;
}

static void
log_stats(struct app *a)
{
	ts_info("%llu messages, %llu evaluations, %llu alerts, %llu malformed, %llu not "
	    "queued for delivery", (unsigned long long)a->eng.msgs,
	    (unsigned long long)a->eng.evals, (unsigned long long)a->alerts,
	    (unsigned long long)a->eng.bad, (unsigned long long)a->queue_full);
}

static void
on_signal(struct ts_loop *l, int signo, void *arg)
{
	struct app *a = arg;

	if (signo == SIGHUP) {
		a->have_st = 0;
		on_poll_timer(l, 0, a);
	} else if (signo == SIGUSR1) {
		log_stats(a);
	} else {
		ts_loop_stop(l);
	}
}

static void
watch_rules(struct app *a, struct ts_loop *l)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(a->o->rules, '/');

	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - a->o->rules) : 1,
	    slash ? a->o->rules : ".");
	if (!dir[0])
		strcpy(dir, "/");
	/* create the directory so there is something to watch (a read-only
	 * place such as /etc/tradesuite of a service already exists) */
	(void)ts_mkdir_p(dir, 0700);
	a->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (a->ino_fd >= 0 && inotify_add_watch(a->ino_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO |
	    IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB) >= 0) {
		ts_loop_add(l, NULL, a->ino_fd, ZMQ_POLLIN, on_inotify, a);
	} else {
		ts_warn_errno("cannot watch '%s'; checking it every second instead", dir);
		if (a->ino_fd >= 0)
			close(a->ino_fd);
		a->ino_fd = -1;
	}
	/* a safety net for file systems without inotify events (NFS) */
	ts_loop_timer(l, TS_US_PER_SEC, TS_US_PER_SEC, on_poll_timer, a);
}

static int
cmd_run(struct opts *o)
{
	struct app a;
	struct ts_loop *l;
	char err[256];
	int status;

	memset(&a, 0, sizeof a);
	a.o = o;
	a.bad_rl = (struct ts_ratelimit)TS_RATELIMIT_INIT(1, 10);
	a.q_rl = (struct ts_ratelimit)TS_RATELIMIT_INIT(1, 10);
	a.ino_fd = -1;
	if (ts_bus_resolve(o->bus, &a.ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	if (!ts_bus_is_safe(&a.ep) && !o->insecure)
		ts_die(TS_EXIT_USAGE, "refusing a tcp bus on non-loopback '%s' without "
		    "CURVE keys (see ts-supervisor keygen; --insecure allows it "
		    "unencrypted)", a.ep.host);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* fork the delivery worker before ZeroMQ starts any thread */
	if ((a.deliver_fd = alert_delivery_start(&o->d, &a.deliver_pid)) < 0)
		ts_die_errno(TS_EXIT_TEMP, "cannot start the delivery process");

	l = ts_loop_new();
	ts_loop_signal(l, SIGINT, on_signal, &a);
	ts_loop_signal(l, SIGTERM, on_signal, &a);
	ts_loop_signal(l, SIGHUP, on_signal, &a);
	ts_loop_signal(l, SIGUSR1, on_signal, &a);
	a.sub = ts_bus_sub(&a.ep);
	a.pub.sock = ts_bus_pub(&a.ep);
	stat_changed(&a);
	load_rules(&a, 1);
	alert_state_save(o->state, &a.rules); /* forget rules that are gone */
	ts_loop_add(l, a.sub, -1, ZMQ_POLLIN, on_sub, &a);
	watch_rules(&a, l);
	ts_loop_timer(l, 250000, 250000, on_state_timer, &a);

	if (ts_loop_run(l) < 0)
		ts_die_errno(TS_EXIT_TEMP, "poll failed");
	if (alert_state_save(o->state, &a.rules) < 0)
		ts_warn_errno("cannot save state to '%s'", o->state);
	log_stats(&a);
	close(a.deliver_fd); /* the worker finishes what is due and exits */
	while (waitpid(a.deliver_pid, &status, 0) < 0 && errno == EINTR)
		;
	{
		int zero = 0;
		zmq_setsockopt(a.sub, ZMQ_LINGER, &zero, sizeof zero);
	}
	ts_bus_close(&a.sub);
	ts_bus_close(&a.pub.sock);
	ts_bus_term();
	ts_loop_free(&l);
	if (a.ino_fd >= 0)
		close(a.ino_fd);
	alert_engine_free(&a.eng);
	alert_rules_free(&a.rules);
	ts_map_clear(&a.subscribed);
	ts_pub_clear(&a.pub);
	ts_jw_free(&a.w);
	return 0;
}

/* ---- managing rules ------------------------------------------------------ */

static int
cmd_add(struct opts *o, char **w, int n)
{
	struct alert_rule r;
	char err[400], line[8192];
	int at = 0, rc;

	if (n < 3)
		ts_usage_error(NULL, "add needs ID, EXCHANGE:SYMBOL and a CONDITION%s",
		    n == 0 ? "" : n == 1 ? " (got the ID only)" : " (no CONDITION)");
	if (alert_rule_from_words(w, n, o->rules, 1, &r, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "rule '%s': %s", w[0], err);
	if ((rc = alert_rules_file_add(o->rules, &r, &at)) == -2)
		ts_die(TS_EXIT_USAGE, "rule '%s' exists already (%s:%d)", r.id, o->rules, at);
	if (rc < 0)
		ts_die_errno(TS_EXIT_TEMP, "cannot write '%s'", o->rules);
	alert_rule_format(&r, line, sizeof line);
	printf("added %s\n", line);
	alert_rule_free(&r);
	return 0;
}

static int
cmd_edit(struct opts *o, const char *what, const char *id)
{
	int rc = alert_rules_file_edit(o->rules, what, id);
	int en = !strcmp(what, "enable");

	if (rc == -2)
		ts_die(TS_EXIT_USAGE, "no rule '%s' in '%s'", id, o->rules);
	if (rc < 0)
		ts_die_errno(TS_EXIT_TEMP, "cannot rewrite '%s'", o->rules);
	if (!strcmp(what, "rm"))
		printf("removed rule '%s'\n", id);
	else if (rc == 1)
		printf("rule '%s' is %s already\n", id, en ? "enabled" : "disabled");
	else
		printf("%s rule '%s'\n", en ? "enabled" : "disabled", id);
	return 0;
}

static int
cmd_list(struct opts *o, int json)
{
	struct alert_rules rs;

	if (alert_rules_load(o->rules, 1, &rs, stderr) < 0)
		ts_die_errno(TS_EXIT_TEMP, "cannot read '%s'", o->rules);
	alert_state_load(o->state, &rs);
	if (json) {
		struct ts_jw w = { 0 };
		ts_jw_arr(&w);
		for (size_t i = 0; i < rs.n; i++) {
			const struct alert_rule *r = &rs.r[i];
			char market[96];
			snprintf(market, sizeof market, "%s:%s", r->ex, r->sym);
			ts_jw_obj(&w);
			ts_jw_kstr(&w, "id", r->id);
			ts_jw_kstr(&w, "market", market);
			ts_jw_kstr(&w, "ex", r->ex);
			ts_jw_kstr(&w, "sym", r->sym);
			ts_jw_kstr(&w, "kind", alert_kind_name(r->kind));
			ts_jw_kstr(&w, "cond", r->cond);
			ts_jw_kstr(&w, "topic", r->topic);
			ts_jw_ki64(&w, "cooldown_us", r->cooldown_us >= 0 ? r->cooldown_us :
			    rs.set.cooldown_us);
			ts_jw_kbool(&w, "enabled", r->enabled);
			ts_jw_key(&w, "notify");
			ts_jw_arr(&w);
			for (int k = 0; k < r->nnotify; k++)
				ts_jw_str(&w, r->notify[k]);
			ts_jw_arr_end(&w);
			ts_jw_ki64(&w, "line", r->line);
			ts_jw_key(&w, "last_fired");
			if (r->last_fired)
				ts_jw_i64(&w, r->last_fired);
			else
				ts_jw_null(&w);
			ts_jw_obj_end(&w);
		}
		ts_jw_arr_end(&w);
		printf("%.*s\n", (int)w.len, w.buf);
		ts_jw_free(&w);
	} else {
		printf("%-16s %-22s %-8s %-10s %s\n", "ID", "MARKET", "STATE", "COOLDOWN",
		    "CONDITION");
		for (size_t i = 0; i < rs.n; i++) {
			const struct alert_rule *r = &rs.r[i];
			char market[96], cd[32];
			int64_t c = r->cooldown_us >= 0 ? r->cooldown_us : rs.set.cooldown_us;
			snprintf(market, sizeof market, "%s:%s", r->ex, r->sym);
			snprintf(cd, sizeof cd, "%gs", (double)c / 1e6);
			printf("%-16s %-22s %-8s %-10s %s\n", r->id, market,
			    r->enabled ? "enabled" : "disabled", cd, r->cond);
		}
	}
	alert_rules_free(&rs);
	return 0;
}

static int
cmd_check(const char *file)
{
	struct alert_rules rs;

	if (alert_rules_load(file, 1, &rs, stderr) < 0)
		ts_die_errno(TS_EXIT_USAGE, "cannot read '%s'", file);
	if (access(file, F_OK) < 0)
		ts_die(TS_EXIT_USAGE, "'%s' does not exist", file);
	int errors = rs.errors;
	printf("%s: %zu rules, %d error%s\n", file, rs.n, errors, errors == 1 ? "" : "s");
	alert_rules_free(&rs);
	return errors ? TS_EXIT_USAGE : 0;
}

static void
ignore_fire(const struct alert_fire *f, void *arg)
{
	(void)f, (void)arg;
}

/* Seed a rule from ts-store's history service when one answers on this
 * bus: the candles the rule reads, or the last message of its topic for
 * trades and jq rules. Returns how many candles or messages were fed, or
 * -1 when no store answered (or it has no history for the topic). */
static long
seed_from_store(const struct ts_bus_ep *ep, struct alert_engine *eng,
    struct alert_rule *r, int64_t wait_us)
{
	int candles = !strncmp(r->topic, "candles/", 8), zero = 0, ms;
	int batch = candles && r->kind != AK_JQ;
	struct ts_jw w = { 0 };
	const char *bad;
	zmq_msg_t rep;
	void *req;
	long n = -1;
	jv reply, rows;

	if ((!candles && strncmp(r->topic, "trades/", 7)) || !ep->history[0])
		return -1;
	/* no socket file: no ts-store on this bus, no need to wait for it */
	if (!ep->tcp && access(ep->history + 6, F_OK) < 0)
		return -1;
	if (!(req = zmq_socket(ts_bus_ctx(), ZMQ_REQ)))
		return -1;
	ts_bus_secure(req, 0); /* CURVE when the tcp bus has keys */
	ms = wait_us / 1000 > 2000 ? 2000 : (int)(wait_us / 1000) + 1;
	zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(req, ZMQ_RCVTIMEO, &ms, sizeof ms);
	zmq_setsockopt(req, ZMQ_SNDTIMEO, &ms, sizeof ms);
	ts_jw_obj(&w);
	ts_jw_kstr(&w, "topic", r->topic);
	ts_jw_ki64(&w, "limit", batch ? (int64_t)alert_rule_candles(r) : 1);
	ts_jw_obj_end(&w);
	zmq_msg_init(&rep);
	if (zmq_connect(req, ep->history) < 0 || zmq_send(req, w.buf, w.len, 0) < 0 ||
	    zmq_msg_recv(&rep, req, 0) < 0) {
		ts_debug("no history from ts-store at '%s': %s", ep->history,
		    zmq_strerror(errno));
		goto out;
	}
	reply = jv_parse_sized(zmq_msg_data(&rep), (int)zmq_msg_size(&rep));
	rows = jv_get_kind(reply) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(reply), jv_string(candles ? "candles" : "trades")) : jv_null();
	if (jv_get_kind(rows) != JV_KIND_ARRAY) {
		jv err = jv_get_kind(reply) == JV_KIND_OBJECT ?
		    jv_object_get(jv_copy(reply), jv_string("error")) : jv_null();
		ts_warn("no history from ts-store for '%s': %s", r->topic,
		    jv_get_kind(err) == JV_KIND_STRING ? jv_string_value(err) :
		    "malformed reply");
		jv_free(err);
	} else if ((n = jv_array_length(jv_copy(rows))) > 0 && batch) {
		/* the reply is a history batch, as ts-candle publishes one */
		alert_engine_feed(eng, r->topic, zmq_msg_data(&rep), zmq_msg_size(&rep),
		    ts_now_us(), ignore_fire, NULL, &bad);
	} else if (n > 0) {
		jv last = jv_dump_string(jv_array_get(jv_copy(rows), (int)n - 1), 0);
		alert_engine_feed(eng, r->topic, jv_string_value(last),
		    (size_t)jv_string_length_bytes(jv_copy(last)), ts_now_us(), ignore_fire,
		    NULL, &bad);
		jv_free(last);
		n = 1;
	}
	jv_free(rows);
	jv_free(reply);
out:
	zmq_msg_close(&rep);
	ts_bus_close(&req);
	ts_jw_free(&w);
	return n;
}

static int
cmd_test(struct opts *o, const char *id)
{
	struct alert_rules rs;
	struct alert_engine eng;
	struct alert_rule *r;
	struct ts_bus_ep ep;
	char err[256], why[1024];
	void *sub;
	int64_t deadline;
	int st, res = -1;
	int64_t fired;
	long seeded;

	if (alert_rules_load(o->rules, 1, &rs, stderr) < 0)
		ts_die_errno(TS_EXIT_TEMP, "cannot read '%s'", o->rules);
	if (!(r = alert_rules_find(&rs, id)))
		ts_die(TS_EXIT_USAGE, "no valid rule '%s' in '%s'", id, o->rules);
	alert_state_load(o->state, &rs);
	st = r->st;
	fired = r->last_fired;
	r->enabled = 1;
	memset(&eng, 0, sizeof eng);
	{
		/* evaluate this rule alone */
		struct alert_rules one = rs;
		one.r = r;
		one.n = 1;
		alert_engine_bind(&eng, &one);
		eng.rules = &rs;
	}
	if (ts_bus_resolve(o->bus, &ep, err, sizeof err) < 0)
		ts_die(TS_EXIT_USAGE, "%s", err);
	if (!ts_bus_is_safe(&ep) && !o->insecure)
		ts_die(TS_EXIT_USAGE, "refusing a tcp bus on non-loopback '%s' without "
		    "CURVE keys (see ts-supervisor keygen; --insecure allows it "
		    "unencrypted)", ep.host);
	sub = ts_bus_sub(&ep);
	ts_bus_subscribe(sub, r->topic);
	deadline = ts_mono_us() + o->wait_us;
	/* what ts-store kept answers at once; live data, when it comes first,
	 * too */
	seeded = seed_from_store(&ep, &eng, r, o->wait_us);
	r->st = st;
	r->last_fired = fired;
	if (seeded > 0 && alert_engine_explain(&eng, r, why, sizeof why) >= 0)
		res = 0;
	while (res < 0 && ts_mono_us() < deadline) {
		zmq_pollitem_t it = { sub, 0, ZMQ_POLLIN, 0 };
		struct ts_msg m;
		const char *bad;
		if (zmq_poll(&it, 1, (long)((deadline - ts_mono_us()) / 1000) + 1) <= 0)
			continue;
		while (ts_msg_recv(sub, &m, ZMQ_DONTWAIT) == 0) {
			alert_engine_feed(&eng, m.topic, m.data, m.len, ts_now_us(), ignore_fire,
			    NULL, &bad);
			ts_msg_close(&m);
		}
		r->st = st;
		r->last_fired = fired;
		if (alert_engine_explain(&eng, r, why, sizeof why) >= 0) {
			res = 0;
			break;
		}
	}
	r->st = st;
	r->last_fired = fired;
	if (res < 0)
		alert_engine_explain(&eng, r, why, sizeof why);
	printf("%s (%s:%d): %s:%s %s\n  %s\n", r->id, o->rules, r->line, r->ex, r->sym,
	    r->cond, why);
	if (seeded > 0)
		printf("  seeded with %ld %s from ts-store\n", seeded,
		    !strncmp(r->topic, "candles/", 8) && r->kind != AK_JQ ?
		    (seeded == 1 ? "candle" : "candles") : "message");
	if (r->last_fired) {
		char tb[40];
		ts_rfc3339_fmt(r->last_fired, tb, sizeof tb);
		printf("  last fired %s\n", tb);
	}
	{
		int zero = 0;
		zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
	}
	ts_bus_close(&sub);
	ts_bus_term();
	alert_engine_free(&eng);
	alert_rules_free(&rs);
	return res < 0 ? TS_EXIT_TEMP : 0;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "bus", required_argument, NULL, 'B' },
		{ "rules", required_argument, NULL, 'f' },
		{ "state", required_argument, NULL, 'S' },
		{ "retry-base", required_argument, NULL, 'R' },
		{ "attempts", required_argument, NULL, 'A' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "wait", required_argument, NULL, 'w' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	struct opts o = { 0 };
	const char *cmd;
	int64_t t;
	char *end;
	int c;

	ts_log_init(argv[0]);
	o.rules = alert_default_rules_path();
	o.state = alert_default_state_path();
	o.wait_us = 3 * TS_US_PER_SEC;
	o.d.retry_base_us = 2 * TS_US_PER_SEC;
	o.d.max_attempts = 8;
	o.d.timeout_ms = 10000;
	while ((c = getopt_long(argc, argv, "+B:f:w:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'B': o.bus = optarg; break;
		case 'f': o.rules = optarg; break;
		case 'S': o.state = optarg; break;
		case 'R':
			if (ts_duration_parse(optarg, &o.d.retry_base_us) < 0 || o.d.retry_base_us <= 0)
				ts_usage_error(NULL, "bad --retry-base '%s'", optarg);
			break;
		case 'A':
			o.d.max_attempts = (int)strtol(optarg, &end, 10);
			if (*end || o.d.max_attempts < 1 || o.d.max_attempts > 100)
				ts_usage_error(NULL, "bad --attempts '%s' (1 to 100)", optarg);
			break;
		case 'T':
			if (ts_duration_parse(optarg, &t) < 0 || t < 1000)
				ts_usage_error(NULL, "bad --timeout '%s'", optarg);
			o.d.timeout_ms = (long)(t / 1000);
			break;
		case 'w':
			if (ts_duration_parse(optarg, &o.wait_us) < 0 || o.wait_us <= 0)
				ts_usage_error(NULL, "bad --wait '%s'", optarg);
			break;
		case 'I': o.insecure = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': ts_version(NULL);
		default: ts_usage_error(NULL, NULL);
		}
	}
	if (!o.rules || !o.state)
		ts_die(TS_EXIT_USAGE, "no home directory for the %s file: set HOME, "
		    "XDG_CONFIG_HOME and XDG_STATE_HOME, or give %s", !o.rules ? "rules" : "state",
		    !o.rules ? "-f FILE" : "--state FILE");
	cmd = optind < argc ? argv[optind++] : "run";
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "run") && argc == 0)
		return cmd_run(&o);
	if (!strcmp(cmd, "add"))
		return cmd_add(&o, argv, argc);
	if (!strcmp(cmd, "list") && (argc == 0 || (argc == 1 && !strcmp(argv[0], "--json"))))
		return cmd_list(&o, argc == 1);
	if ((!strcmp(cmd, "rm") || !strcmp(cmd, "enable") || !strcmp(cmd, "disable")) &&
	    argc == 1)
		return cmd_edit(&o, cmd, argv[0]);
	if (!strcmp(cmd, "test") && argc == 1)
		return cmd_test(&o, argv[0]);
	if (!strcmp(cmd, "check") && argc == 1)
		return cmd_check(argv[0]);
	if (!strcmp(cmd, "run"))
		ts_usage_error(NULL, "unexpected argument '%s'", argv[0]);
	if (!strcmp(cmd, "list"))
		ts_usage_error(NULL, "unexpected argument '%s' (list takes only --json)",
		    argv[strcmp(argv[0], "--json") ? 0 : 1]);
	if (!strcmp(cmd, "rm") || !strcmp(cmd, "enable") || !strcmp(cmd, "disable") ||
	    !strcmp(cmd, "test") || !strcmp(cmd, "check")) {
		const char *what = strcmp(cmd, "check") ? "ID" : "FILE";
		if (argc == 0)
			ts_usage_error(NULL, "%s: missing %s", cmd, what);
		ts_usage_error(NULL, "%s takes one %s: unexpected argument '%s'", cmd, what,
		    argv[1]);
	}
	ts_usage_error(NULL, "unknown command '%s' (run, add, list, rm, enable, disable, "
	    "test or check)", cmd);
}
