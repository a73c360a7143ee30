/* gw_token.c: bearer tokens: made once, shown once, stored as SHA-256 hashes with a scope
 *
 * File format, one token a line: NAME SCOPE HASH, SCOPE "rw" or "ro", HASH
 * the hex SHA-256 of the token. The file is rewritten whole (temporary
 * file, rename) and readable by its owner alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "gw.h"
#include "path.h"

#define MAX_TOKENS 256

struct tok {
	char name[64], scope[4], hash[65];
};

const char *
gw_token_default_path(void)
{
	static char buf[1024];

	if (ts_xdg_path(TS_XDG_CONFIG, "gateway.tokens", buf, sizeof buf) < 0)
		ts_die_errno(TS_EXIT_USAGE, "cannot find the tokens file (set %s)",
		    ts_xdg_var(TS_XDG_CONFIG));
	return buf;
}

static void
sha256_hex(const char *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

static int
load(const char *path, struct tok *t, int max)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof line, f))
		if (sscanf(line, "%63s %3s %64s", t[n].name, t[n].scope, t[n].hash) == 3 &&
		    line[0] != '#')
			n++;
	fclose(f);
	return n;
}

/* Tokens are read again when the file changes (its mtime and size). */
static struct {
	struct tok t[MAX_TOKENS];
	int n;
	struct timespec mtime;
	off_t size;
	int loaded;
} C;

static void
refresh(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		C.n = 0;
		C.loaded = 1;
		return;
	}
	if (C.loaded && st.st_mtim.tv_sec == C.mtime.tv_sec &&
	    st.st_mtim.tv_nsec == C.mtime.tv_nsec && st.st_size == C.size)
		return;
	C.n = load(path, C.t, MAX_TOKENS);
	C.mtime = st.st_mtim;
	C.size = st.st_size;
	C.loaded = 1;
}

int
gw_token_count(const char *path)
{
	refresh(path);
	return C.n;
}

int
gw_token_check(const char *path, const char *token)
{
	char h[65];
	int scope = GW_TOKEN_NONE;

	refresh(path);
	sha256_hex(token, h);
	for (int i = 0; i < C.n; i++) {
		unsigned diff = 0; /* compare every byte: no early exit to time */
		for (int k = 0; k < 64; k++)
			diff |= (unsigned)(h[k] ^ C.t[i].hash[k]);
		if (!diff)
			scope = strcmp(C.t[i].scope, "rw") ? GW_TOKEN_READ : GW_TOKEN_WRITE;
	}
	return scope;
}

static int
save(const char *path, const struct tok *t, int n)
{
	static const char head[] = "# ts-gateway tokens: NAME SCOPE SHA256 "
	    "(ts-gateway token add|rm)\n";
	size_t cap = sizeof head + (size_t)n * sizeof *t + (size_t)n * 3, o;
	char *buf = ts_xmalloc(cap);
	int rc;

	o = (size_t)snprintf(buf, cap, "%s", head);
	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s %s %s\n", t[i].name, t[i].scope,
		    t[i].hash);
	rc = ts_write_atomic(path, buf, o, 0600);
	free(buf);
	return rc;
}

int
gw_token_cmd(const char *path, int argc, char **argv)
{
	static struct tok t[MAX_TOKENS];
	int n = load(path, t, MAX_TOKENS);

	if (argc >= 2 && !strcmp(argv[0], "add")) {
		const char *name = argv[1];
		int ro = argc >= 3 && !strcmp(argv[2], "--read-only");
		unsigned char rnd[24];
		char token[64];
		FILE *r;

		if (argc > 3 || (argc == 3 && !ro))
			ts_usage_error(NULL, "token add takes NAME [--read-only]");
		if (!*name || strlen(name) >= sizeof t[0].name ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
		    != strlen(name))
			ts_die(TS_EXIT_USAGE, "bad token name '%s' (letters, digits, '.', '_', '-')",
			    name);
		for (int i = 0; i < n; i++)
			if (!strcmp(t[i].name, name))
				ts_die(TS_EXIT_USAGE, "token '%s' exists already in '%s'", name, path);
		if (n >= MAX_TOKENS)
			ts_die(TS_EXIT_USAGE, "'%s' holds %d tokens already", path, MAX_TOKENS);
		if (!(r = fopen("/dev/urandom", "r")) || fread(rnd, 1, sizeof rnd, r) != sizeof rnd)
			ts_die_errno(TS_EXIT_TEMP, "cannot read /dev/urandom");
		fclose(r);
		strcpy(token, "tsg_");
		for (size_t i = 0; i < sizeof rnd; i++)
			snprintf(token + 4 + 2 * i, 3, "%02x", rnd[i]);
		snprintf(t[n].name, sizeof t[n].name, "%s", name);
		snprintf(t[n].scope, sizeof t[n].scope, "%s", ro ? "ro" : "rw");
		sha256_hex(token, t[n].hash);
		if (save(path, t, n + 1) < 0)
			ts_die_errno(TS_EXIT_TEMP, "cannot write '%s'", path);
		printf("%s\n", token);
		ts_info("token '%s' (%s) added to '%s'; it is shown only now", name,
		    ro ? "read-only" : "read-write", path);
		return 0;
	}
	if (argc == 1 && !strcmp(argv[0], "list")) {
		for (int i = 0; i < n; i++)
			printf("%s %s\n", t[i].name, strcmp(t[i].scope, "rw") ? "read-only" :
			    "read-write");
		return 0;
	}
	if (argc == 2 && !strcmp(argv[0], "rm")) {
		for (int i = 0; i < n; i++)
			if (!strcmp(t[i].name, argv[1])) {
				t[i] = t[n - 1];
				if (save(path, t, n - 1) < 0)
					ts_die_errno(TS_EXIT_TEMP, "cannot write '%s'", path);
				return 0;
			}
		ts_die(TS_EXIT_USAGE, "no token '%s' in '%s'", argv[1], path);
	}
	ts_usage_error(NULL, "token takes add NAME [--read-only], list or rm NAME");
}
