/* sup_conf.c: the service table: built-in services, tradesuite.ini, topic patterns */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sup.h"
#include "tm.h"

/* What runs with no config at all. Feeds, candles and scans do not tell readiness
 * yet: they are taken as ready once they have run for a second. */
const char sup_builtin_ini[] =
"[supervisor]\n"
"linger = 5s\n"
"stop-timeout = 5s\n"
"backoff-max = 30s\n"
"backoff-reset = 60s\n"
"ready-timeout = 10s\n"
"status-interval = 2s\n"
"\n"
"[demo]\n"
"port = 8800\n"
"\n"
"[service feed-{ex}]\n"
"topics = trades/{ex} book/{ex}\n"
"command = ts-feed {ex}\n"
"demo-command = ts-feed --url ws://127.0.0.1:{port} --rest http://127.0.0.1:{port} {ex}\n"
"ready = 1s\n"
"\n"
"[service candle]\n"
"topics = candles\n"
"command = ts-candle\n"
"demo-command = ts-candle --rest coinbase=http://127.0.0.1:{port} --rest binance=http://127.0.0.1:{port}\n"
"ready = 1s\n"
"\n"
"[service sim]\n"
"command = ts-sim --port {port} --ready-fd {ready_fd} coinbase binance\n"
"always = yes\n"
"demo-only = yes\n"
"ready = fd\n"
"\n"
"[service scan]\n"
"topics = scan\n"
"command = ts-scan\n"
"ready = 1s\n";

void
sup_conf_init(struct sup_conf *c)
{
	memset(c, 0, sizeof *c);
	c->set.linger_us = 5 * TS_US_PER_SEC;
	c->set.stop_timeout_us = 5 * TS_US_PER_SEC;
	c->set.backoff_max_us = 30 * TS_US_PER_SEC;
	c->set.backoff_reset_us = 60 * TS_US_PER_SEC;
	c->set.ready_timeout_us = 10 * TS_US_PER_SEC;
	c->set.status_every_us = 2 * TS_US_PER_SEC;
	c->set.demo_port = 8800;
	sup_conf_parse(c, "(built-in)", sup_builtin_ini);
}

static int
seg_char(int ch)
{
	return isalnum(ch) || ch == '.' || ch == '_' || ch == '-';
}

static int
var_name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= 32 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

/* A pattern: 1 to 4 segments, each a literal or a {name}. */
static int
pat_valid(const char *p, const char **why)
{
	int nseg = 0;

	if (!*p) {
		*why = "empty pattern";
		return 0;
	}
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0) {
			*why = "empty segment";
			return 0;
		}
		if (++nseg > 4) {
			*why = "more than 4 segments";
			return 0;
		}
		if (p[0] == '{') {
			if (p[n - 1] != '}' || !var_name_ok(p + 1, n - 2)) {
				*why = "a placeholder is {name} with name [a-z_][a-z0-9_]*";
				return 0;
			}
		} else {
			for (size_t i = 0; i < n; i++)
				if (!seg_char((unsigned char)p[i])) {
					*why = "a segment is [A-Za-z0-9._-] or {name}";
					return 0;
				}
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return 1;
}

/* A service name: [A-Za-z0-9._-] and {name} placeholders. */
static int
name_valid(const char *s, const char **why)
{
	if (!*s) {
		*why = "empty name";
		return 0;
	}
	while (*s) {
		if (*s == '{') {
			const char *e = strchr(s, '}');
			if (!e || !var_name_ok(s + 1, (size_t)(e - s - 1))) {
				*why = "a placeholder is {name} with name [a-z_][a-z0-9_]*";
				return 0;
			}
			s = e + 1;
		} else if (seg_char((unsigned char)*s)) {
			s++;
		} else {
			*why = "use [A-Za-z0-9._-] and {name}";
			return 0;
		}
	}
	return 1;
}

int
sup_pat_match(const char *pat, const char *sub, struct sup_vars *v)
{
	const char *p = pat, *s = sub;

	v->n = 0;
	while (*p) {
		const char *pe = strchr(p, '/'), *se;
		size_t pn = pe ? (size_t)(pe - p) : strlen(p), sn;
		if (!*s)
			return 0; /* the subscription is broader than the pattern */
		se = strchr(s, '/');
		sn = se ? (size_t)(se - s) : strlen(s);
		if (p[0] == '{') {
			if (sn == 0 || sn >= sizeof v->val[0] || v->n >= SUP_MAX_VARS - 2)
				return 0;
			for (size_t i = 0; i < sn; i++)
				if (!seg_char((unsigned char)s[i]))
					return 0;
			snprintf(v->name[v->n], sizeof v->name[0], "%.*s", (int)(pn - 2), p + 1);
			snprintf(v->val[v->n], sizeof v->val[0], "%.*s", (int)sn, s);
			v->n++;
		} else if (pn != sn || memcmp(p, s, pn)) {
			return 0;
		}
		p += pn;
		if (*p == '/')
			p++;
		s += sn;
		if (*s == '/')
			s++;
	}
	return 1;
}

int
sup_expand(const char *in, const struct sup_vars *v, char *out, size_t n,
    const char **bad)
{
	static char badname[40];
	size_t o = 0;

	while (*in) {
		const char *val = NULL;
		size_t len;
		if (*in == '{') {
			const char *e = strchr(in, '}');
			size_t nn = e ? (size_t)(e - in - 1) : 0;
			if (e && var_name_ok(in + 1, nn)) {
				for (int i = 0; i < v->n; i++)
					if (strlen(v->name[i]) == nn && !memcmp(v->name[i], in + 1, nn))
						val = v->val[i];
				if (!val) {
					snprintf(badname, sizeof badname, "{%.*s}", (int)nn, in + 1);
					*bad = badname;
					return -1;
				}
				len = strlen(val);
				if (o + len >= n)
					goto toolong;
				memcpy(out + o, val, len);
				o += len;
				in = e + 1;
				continue;
			}
		}
		if (o + 1 >= n)
			goto toolong;
		out[o++] = *in++;
	}
	out[o] = '\0';
	return 0;
toolong:
	*bad = "(result too long)";
	return -1;
}

int
sup_split(const char *line, char *buf, size_t n, char **argv, int max)
{
	size_t o = 0;
	int argc = 0;
	const char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (argc >= max - 1)
			return -1;
		argv[argc++] = buf + o;
		while (*p && *p != ' ' && *p != '\t') {
			char q = *p;
			if (q == '\'' || q == '"') {
				p++;
				while (*p && *p != q) {
					if (q == '"' && *p == '\\' && p[1])
						p++;
					if (o + 1 >= n)
						return -1;
					buf[o++] = *p++;
				}
				if (*p != q)
					return -1; /* unterminated quote */
				p++;
				continue;
			}
			if (q == '\\' && p[1])
				p++;
			if (o + 1 >= n)
				return -1;
			buf[o++] = *p++;
		}
		if (o + 1 >= n)
			return -1;
		buf[o++] = '\0';
	}
	argv[argc] = NULL;
	return argc;
}

static int
parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
		*out = 0;
	else
		return -1;
	return 0;
}

static struct sup_svc *
find_or_add(struct sup_conf *c, const char *name, const char *where)
{
	struct sup_svc *s;

	for (int i = 0; i < c->nsvc; i++)
		if (!strcmp(c->svc[i].name, name))
			return &c->svc[i];
	if (c->nsvc >= SUP_MAX_SVCS)
		return NULL;
	s = &c->svc[c->nsvc++];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	s->enabled = 1;
	s->linger_us = -1;
	s->ready_us = TS_US_PER_SEC;
	snprintf(s->where, sizeof s->where, "%s", where);
	return s;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

#define BAD(...) do { ts_warn("%s:%d: " __VA_ARGS__); errors++; goto next; } while (0)

int
sup_conf_parse(struct sup_conf *c, const char *name, const char *text)
{
	enum { NONE, SUPERVISOR, DEMO, SERVICE, SKIP } sect = NONE;
	struct sup_svc *svc = NULL;
	const char *p = text;
	char line[2048];
	int lineno = 0, errors = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *l, *eq, *key, *val, where[128];

		lineno++;
		if (len >= sizeof line) {
			ts_warn("%s:%d: line too long; skipped", name, lineno);
			errors++;
			goto next;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		l = trim(line);
		if (!*l || *l == '#' || *l == ';')
			goto next;
		if (*l == '[') {
			char *rb = strchr(l, ']');
			if (!rb || rb[1])
				BAD("expected [section]", name, lineno);
			*rb = '\0';
			l = trim(l + 1);
			if (!strcmp(l, "supervisor")) {
				sect = SUPERVISOR;
			} else if (!strcmp(l, "demo")) {
				sect = DEMO;
			} else if (!strncmp(l, "service", 7) && isspace((unsigned char)l[7])) {
				char *sn = trim(l + 8);
				const char *why;
				sect = SKIP;
				if (strlen(sn) >= SUP_NAME_MAX || !name_valid(sn, &why))
					BAD("bad service name '%s': %s", name, lineno, sn,
					    strlen(sn) >= SUP_NAME_MAX ? "too long" : why);
				snprintf(where, sizeof where, "%s:%d", name, lineno);
				if (!(svc = find_or_add(c, sn, where)))
					BAD("too many services (at most %d)", name, lineno, SUP_MAX_SVCS);
				sect = SERVICE;
			} else {
				sect = SKIP;
				BAD("unknown section '[%s]' (expected [supervisor], [demo] "
				    "or [service NAME]); its keys are ignored", name, lineno, l);
			}
			goto next;
		}
		eq = strchr(l, '=');
		if (!eq)
			BAD("expected KEY = VALUE", name, lineno);
		*eq = '\0';
		key = trim(l);
		val = trim(eq + 1);
		if (sect == NONE)
			BAD("'%s' is outside any section", name, lineno, key);
		if (sect == SKIP)
			goto next;
		if (sect == SUPERVISOR) {
			int64_t us, *dst = NULL;
			if (!strcmp(key, "linger")) dst = &c->set.linger_us;
			else if (!strcmp(key, "stop-timeout")) dst = &c->set.stop_timeout_us;
			else if (!strcmp(key, "backoff-max")) dst = &c->set.backoff_max_us;
			else if (!strcmp(key, "backoff-reset")) dst = &c->set.backoff_reset_us;
			else if (!strcmp(key, "ready-timeout")) dst = &c->set.ready_timeout_us;
			else if (!strcmp(key, "status-interval")) dst = &c->set.status_every_us;
			else
				BAD("unknown key '%s' in [supervisor]", name, lineno, key);
			if (ts_duration_parse(val, &us) < 0 || us < 0 ||
			    (dst == &c->set.status_every_us && us < 10000))
				BAD("bad duration '%s' for '%s'", name, lineno, val, key);
			if (dst == &c->set.backoff_max_us && us < TS_US_PER_SEC)
				BAD("'backoff-max' is at least 1s", name, lineno);
			*dst = us;
		} else if (sect == DEMO) {
			char *end;
			long port;
			if (strcmp(key, "port"))
				BAD("unknown key '%s' in [demo]", name, lineno, key);
			errno = 0;
			port = strtol(val, &end, 10);
			if (errno || *end || end == val || port < 0 || port > 65535)
				BAD("bad port '%s'", name, lineno, val);
			c->set.demo_port = (int)port;
		} else {
			if (!strcmp(key, "topics")) {
				char buf[SUP_MAX_PATS * TS_TOPIC_MAX], *w[SUP_MAX_PATS + 1];
				int n = sup_split(val, buf, sizeof buf, w, SUP_MAX_PATS + 1);
				const char *why;
				if (n < 0)
					BAD("too many topic patterns (at most %d)", name, lineno,
					    SUP_MAX_PATS);
				for (int i = 0; i < n; i++) {
					size_t wl = strlen(w[i]);
					if (wl > 0 && w[i][wl - 1] == '/')
						w[i][wl - 1] = '\0';
					if (wl >= TS_TOPIC_MAX || !pat_valid(w[i], &why))
						BAD("bad topic pattern '%s': %s", name, lineno, w[i],
						    wl >= TS_TOPIC_MAX ? "too long" : why);
				}
				for (int i = 0; i < n; i++)
					snprintf(svc->pat[i], sizeof svc->pat[i], "%s", w[i]);
				svc->npat = n;
			} else if (!strcmp(key, "command") || !strcmp(key, "demo-command")) {
				char buf[SUP_CMD_MAX], *w[SUP_MAX_ARGS];
				char *dst = key[0] == 'c' ? svc->cmd : svc->demo_cmd;
				if (strlen(val) >= SUP_CMD_MAX)
					BAD("'%s' is too long (at most %d bytes)", name, lineno, key,
					    SUP_CMD_MAX - 1);
				if (sup_split(val, buf, sizeof buf, w, SUP_MAX_ARGS) < 0)
					BAD("bad '%s': unterminated quote or more than %d words",
					    name, lineno, key, SUP_MAX_ARGS - 1);
				snprintf(dst, SUP_CMD_MAX, "%s", val);
			} else if (!strcmp(key, "always") || !strcmp(key, "demo-only") ||
			    !strcmp(key, "enabled")) {
				int b;
				if (parse_bool(val, &b) < 0)
					BAD("bad value '%s' for '%s': expected yes or no", name,
					    lineno, val, key);
				if (key[0] == 'a') svc->always = b;
				else if (key[0] == 'd') svc->demo_only = b;
				else svc->enabled = b;
			} else if (!strcmp(key, "linger")) {
				int64_t us;
				if (ts_duration_parse(val, &us) < 0 || us < 0)
					BAD("bad duration '%s' for 'linger'", name, lineno, val);
				svc->linger_us = us;
			} else if (!strcmp(key, "ready")) {
				int64_t us;
				if (!strcmp(val, "fd"))
					svc->ready_us = 0;
				else if (ts_duration_parse(val, &us) == 0 && us > 0)
					svc->ready_us = us;
				else
					BAD("bad value '%s' for 'ready': expected fd or a duration",
					    name, lineno, val);
			} else {
				BAD("unknown key '%s' in [service %s]", name, lineno, key, svc->name);
			}
		}
next:
		p += len;
		if (*p == '\n')
			p++;
	}
	c->errors += errors;
	return errors;
}

int
sup_conf_load(struct sup_conf *c, const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;
	long size;

	if (!f) {
		if (errno == ENOENT)
			return 0;
		ts_warn_errno("cannot open '%s'", path);
		c->errors++;
		return -1;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
	    size > (1 << 20)) {
		ts_warn("cannot read '%s': not a regular file of at most 1 MiB", path);
		fclose(f);
		c->errors++;
		return -1;
	}
	text = ts_xmalloc((size_t)size + 1);
	n = fread(text, 1, (size_t)size, f);
	text[n] = '\0';
	fclose(f);
	if (strlen(text) != n) {
		ts_warn("cannot read '%s': it holds a NUL byte", path);
		free(text);
		c->errors++;
		return -1;
	}
	n = (size_t)sup_conf_parse(c, path, text);
	free(text);
	return (int)n;
}

/* Every {name} of text must be a pattern variable of each pattern, or one
 * of the extras. */
static int
check_placeholders(const struct sup_svc *s, const char *what, const char *text)
{
	const char *p = text;

	while ((p = strchr(p, '{'))) {
		const char *e = strchr(p, '}');
		size_t nn = e ? (size_t)(e - p - 1) : 0;
		if (!e || !var_name_ok(p + 1, nn)) {
			p++;
			continue;
		}
		if (!(nn == 4 && !memcmp(p + 1, "port", 4)) &&
		    !(nn == 8 && !memcmp(p + 1, "ready_fd", 8))) {
			char want[40];
			snprintf(want, sizeof want, "{%.*s}", (int)nn, p + 1);
			if (s->npat == 0) {
				ts_warn("%s: service '%s': %s uses %s but the service has no "
				    "topics to bind it", s->where, s->name, what, want);
				return -1;
			}
			for (int i = 0; i < s->npat; i++)
				if (!strstr(s->pat[i], want)) {
					ts_warn("%s: service '%s': %s uses %s, which topic "
					    "pattern '%s' does not bind", s->where, s->name,
					    what, want, s->pat[i]);
					return -1;
				}
		}
		p = e + 1;
	}
	return 0;
}

int
sup_conf_check(struct sup_conf *c)
{
	int errors = 0;

	for (int i = 0; i < c->nsvc; i++) {
		struct sup_svc *s = &c->svc[i];
		if (!s->enabled)
			continue;
		if (!s->cmd[0]) {
			ts_warn("%s: service '%s' has no command; disabled", s->where, s->name);
			goto bad;
		}
		if (!s->npat && !s->always) {
			ts_warn("%s: service '%s' has no topics and is not always-on; "
			    "it would never run: disabled", s->where, s->name);
			goto bad;
		}
		if (s->always && strchr(s->name, '{')) {
			ts_warn("%s: always-on service '%s' cannot have {placeholders} "
			    "in its name; disabled", s->where, s->name);
			goto bad;
		}
		if (check_placeholders(s, "its name", s->name) < 0 ||
		    check_placeholders(s, "command", s->cmd) < 0 ||
		    check_placeholders(s, "demo-command", s->demo_cmd) < 0)
			goto bad;
		continue;
bad:
		s->enabled = 0;
		errors++;
	}
	c->errors += errors;
	return errors;
}
