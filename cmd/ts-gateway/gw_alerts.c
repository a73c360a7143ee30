/* gw_alerts.c: /api/v1/alerts: ts-alert's own rules file, parser and validator (alert_rules.c)
 *
 * A change is an edit of alerts.conf done the way `ts-alert add|rm|enable|
 * disable` does it (atomic rename); the running ts-alert reloads the file
 * when it changes, so the rule takes effect there, with no second channel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ts-alert/alert.h"
#include "gw.h"

#define MAX_WORDS 64

static void
rule_json(struct ts_jw *w, const struct alert_rule *r, const struct alert_rules *rs)
{
	char market[96], line[8192];

	snprintf(market, sizeof market, "%s:%s", r->ex, r->sym);
	ts_jw_obj(w);
	ts_jw_kstr(w, "id", r->id);
	ts_jw_kstr(w, "market", market);
	ts_jw_kstr(w, "exchange", r->ex);
	ts_jw_kstr(w, "symbol", r->sym);
	ts_jw_kstr(w, "kind", alert_kind_name(r->kind));
	ts_jw_kstr(w, "condition", r->cond);
	ts_jw_kstr(w, "topic", r->topic);
	ts_jw_ki64(w, "cooldown_us", r->cooldown_us >= 0 ? r->cooldown_us :
	    rs ? rs->set.cooldown_us : -1);
	ts_jw_kbool(w, "enabled", r->enabled);
	ts_jw_key(w, "notify");
	ts_jw_arr(w);
	for (int k = 0; k < r->nnotify; k++)
		ts_jw_str(w, r->notify[k]);
	ts_jw_arr_end(w);
	alert_rule_format(r, line, sizeof line);
	ts_jw_kstr(w, "rule", line);
	ts_jw_obj_end(w);
}

void
gw_alerts_list(struct gw_call *c)
{
	struct alert_rules rs;

	if (alert_rules_load(G.rules_path, 0, &rs, NULL) < 0) {
		gw_call_error(c, 500, NULL, "cannot read '%s': %s", G.rules_path, strerror(errno));
		return;
	}
	c->status = 200;
	ts_jw_reset(&c->out);
	ts_jw_obj(&c->out);
	ts_jw_kstr(&c->out, "file", G.rules_path);
	ts_jw_key(&c->out, "alerts");
	ts_jw_arr(&c->out);
	for (size_t i = 0; i < rs.n; i++)
		rule_json(&c->out, &rs.r[i], &rs);
	ts_jw_arr_end(&c->out);
	ts_jw_ki64(&c->out, "errors", rs.errors);
	ts_jw_obj_end(&c->out);
	alert_rules_free(&rs);
}

/* Which field a validator message is about. */
static const char *
field_of(const char *err)
{
	if (strstr(err, "rule id"))
		return "id";
	if (strstr(err, "market"))
		return "market";
	if (strstr(err, "cooldown"))
		return "cooldown";
	if (strstr(err, "notify"))
		return "notify";
	if (strstr(err, "timeframe") || strstr(err, "'tf'"))
		return "tf";
	return "condition";
}

/* Append s to the rule text as one quoted word. */
static int
put(char *buf, size_t n, size_t *o, const char *s, int quote)
{
	int k;

	if (quote && strchr(s, '\''))
		return -1;
	k = snprintf(buf + *o, n - *o, "%s%s%s%s", *o ? " " : "", quote ? "'" : "", s,
	    quote ? "'" : "");
	if (k < 0 || (size_t)k >= n - *o)
		return -1;
	*o += (size_t)k;
	return 0;
}

/* The rule as one line of alerts.conf: either "rule" as given, or built
 * from id, market (or exchange and symbol), condition, cooldown, tf, notify
 * and enabled. 0, or -1 with the reply set. */
static int
rule_text(struct gw_call *c, char *buf, size_t n)
{
	const char *rule = gw_args_get(&c->a, "rule"), *id = gw_args_get(&c->a, "id"),
	    *market = gw_args_get(&c->a, "market"), *ex = gw_args_get(&c->a, "exchange"),
	    *sym = gw_args_get(&c->a, "symbol"), *cond = gw_args_get(&c->a, "condition"),
	    *cd = gw_args_get(&c->a, "cooldown"), *tf = gw_args_get(&c->a, "tf"),
	    *en = gw_args_get(&c->a, "enabled");
	char m[128];
	size_t o = 0;

	if (rule) {
		if (snprintf(buf, n, "%s", rule) >= (int)n) {
			gw_call_error(c, 400, "rule", "'rule' is too long");
			return -1;
		}
		return 0;
	}
	if (!id) {
		gw_call_error(c, 400, "id", "missing 'id' (or give the whole 'rule')");
		return -1;
	}
	if (!market && ex && sym) {
		snprintf(m, sizeof m, "%s:%s", ex, sym);
		market = m;
	}
	if (!market) {
		gw_call_error(c, 400, "market", "missing 'market' (EXCHANGE:SYMBOL) or "
		    "'exchange' and 'symbol'");
		return -1;
	}
	if (!cond) {
		gw_call_error(c, 400, "condition", "missing 'condition' (e.g. 'price above 70000')");
		return -1;
	}
	if (put(buf, n, &o, id, 1) < 0 || put(buf, n, &o, market, 1) < 0 ||
	    put(buf, n, &o, cond, 0) < 0 ||
	    (cd && (put(buf, n, &o, "cooldown", 0) < 0 || put(buf, n, &o, cd, 1) < 0)) ||
	    (tf && (put(buf, n, &o, "tf", 0) < 0 || put(buf, n, &o, tf, 1) < 0)) ||
	    (en && !strcmp(en, "false") && put(buf, n, &o, "disabled", 0) < 0)) {
		gw_call_error(c, 400, "rule", "the rule is too long or a value holds a quote");
		return -1;
	}
	/* notify: a string, or an array of strings */
	if (c->body) {
		struct ts_jval obj, v, el;
		struct ts_jiter it;
		char t[1024];
		if (ts_json_parse(c->body, c->body_len, &obj, NULL) == 0 &&
		    ts_json_get(&obj, "notify", &v) == 0) {
			if (v.type == TS_J_STR) {
				if (ts_json_str(&v, t, sizeof t) < 0 || put(buf, n, &o, "notify", 0) < 0 ||
				    put(buf, n, &o, t, 1) < 0)
					goto bad_notify;
			} else if (v.type == TS_J_ARR) {
				ts_json_iter(&it, &v);
				while (ts_json_next(&it, NULL, &el))
					if (ts_json_str(&el, t, sizeof t) < 0 ||
					    put(buf, n, &o, "notify", 0) < 0 || put(buf, n, &o, t, 1) < 0)
						goto bad_notify;
			} else {
				goto bad_notify;
			}
		}
	} else if (gw_args_get(&c->a, "notify")) {
		if (put(buf, n, &o, "notify", 0) < 0 ||
		    put(buf, n, &o, gw_args_get(&c->a, "notify"), 1) < 0)
			goto bad_notify;
	}
	return 0;
bad_notify:
	gw_call_error(c, 400, "notify", "'notify' is a target or an array of targets");
	return -1;
}

void
gw_alerts_create(struct gw_call *c)
{
	char text[8192], buf[8192 + MAX_WORDS], err[400], *words[MAX_WORDS];
	struct alert_rule r;
	const char *why;
	int n, line = 0, rc;

	if (rule_text(c, text, sizeof text) < 0)
		return;
	if ((n = alert_split(text, buf, sizeof buf, words, MAX_WORDS, &why)) < 0) {
		gw_call_error(c, 400, "rule", "%s", why);
		return;
	}
	if (alert_rule_from_words(words, n, G.rules_path, 1, &r, err, sizeof err) < 0) {
		gw_call_error(c, 400, n >= 1 ? field_of(err) : "rule", "%s", err);
		return;
	}
	rc = alert_rules_file_add(G.rules_path, &r, &line);
	if (rc == -2) {
		gw_call_error(c, 409, "id", "rule '%s' exists already (%s:%d)", r.id,
		    G.rules_path, line);
	} else if (rc < 0) {
		gw_call_error(c, 500, NULL, "cannot write '%s': %s", G.rules_path, strerror(errno));
	} else {
		ts_info("alert rule '%s' added", r.id);
		c->status = 201;
		ts_jw_reset(&c->out);
		rule_json(&c->out, &r, NULL);
	}
	alert_rule_free(&r);
}

void
gw_alerts_edit(struct gw_call *c, const char *what)
{
	const char *id = gw_args_get(&c->a, "id");
	int rc;

	if (!id || !*id) {
		gw_call_error(c, 400, "id", "missing 'id'");
		return;
	}
	rc = alert_rules_file_edit(G.rules_path, what, id);
	if (rc == -2) {
		gw_call_error(c, 404, "id", "no rule '%.64s' in '%s'", id, G.rules_path);
		return;
	}
	if (rc < 0) {
		gw_call_error(c, 500, NULL, "cannot rewrite '%s': %s", G.rules_path,
		    strerror(errno));
		return;
	}
	ts_info("alert rule '%s': %s", id, what);
	c->status = 200;
	ts_jw_reset(&c->out);
	ts_jw_obj(&c->out);
	ts_jw_kstr(&c->out, "id", id);
	ts_jw_kstr(&c->out, "done", !strcmp(what, "rm") ? "removed" :
	    !strcmp(what, "enable") ? "enabled" : "disabled");
	ts_jw_kbool(&c->out, "changed", rc == 0);
	ts_jw_obj_end(&c->out);
}
