/* path.c: XDG base directories, mkdir -p, atomic replacement (see path.h) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"

static const struct {
	const char *var, *fallback;
} xdg[] = {
	[TS_XDG_CONFIG] = { "XDG_CONFIG_HOME", ".config" },
	[TS_XDG_DATA] = { "XDG_DATA_HOME", ".local/share" },
	[TS_XDG_STATE] = { "XDG_STATE_HOME", ".local/state" },
	[TS_XDG_CACHE] = { "XDG_CACHE_HOME", ".cache" },
};

const char *
ts_xdg_var(enum ts_xdg which)
{
	return xdg[which].var;
}

static const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && h[0] == '/')
		return h;
	pw = getpwuid(getuid());
	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

int
ts_xdg_path(enum ts_xdg which, const char *leaf, char *buf, size_t n)
{
	const char *d = getenv(xdg[which].var), *home;
	int r;

	if (d && d[0] == '/') {
		r = snprintf(buf, n, "%s/tradesuite%s%s", d, leaf ? "/" : "", leaf ? leaf : "");
	} else if ((home = home_dir())) {
		/* a home of "/" (a service's) gives "/.config", not "//.config" */
		r = snprintf(buf, n, "%s/%s/tradesuite%s%s", strcmp(home, "/") ? home : "",
		    xdg[which].fallback, leaf ? "/" : "", leaf ? leaf : "");
	} else {
		if (n)
			buf[0] = '\0';
		errno = ENOENT;
		return -1;
	}
	if (r < 0 || (size_t)r >= n) {
		if (n)
			buf[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
mkdir_one(const char *dir, mode_t mode)
{
	struct stat st;

	if (mkdir(dir, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (stat(dir, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
ts_mkdir_p(const char *dir, mode_t mode)
{
	char p[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0)
		return 0;
	if (len >= sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p, dir, len + 1);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		if (mkdir_one(p, mode) < 0)
			return -1;
		*s = '/';
	}
	return mkdir_one(p, mode);
}

/* path's directory into dir ("." for a bare name). */
static int
parent_of(const char *path, char *dir, size_t n)
{
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) : 1;

	if (dl >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!slash)
		memcpy(dir, ".", 2);
	else if (dl == 0)
		memcpy(dir, "/", 2);
	else {
		memcpy(dir, path, dl);
		dir[dl] = '\0';
	}
	return 0;
}

int
ts_mkdir_parent(const char *path, mode_t mode)
{
	char dir[PATH_MAX];

	return parent_of(path, dir, sizeof dir) < 0 ? -1 : ts_mkdir_p(dir, mode);
}

int
ts_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	const char *p = data;
	struct stat st;
	int fd = -1, e;

	if (parent_of(path, dir, sizeof dir) < 0 || ts_mkdir_p(dir, 0700) < 0)
		return -1;
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* a file of our own, never one someone left (or linked) there */
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0)
		return -1;
	/* the umask may have taken bits the old file had */
	(void)fchmod(fd, mode);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	e = close(fd);
	fd = -1;
	if (e < 0 || rename(tmp, path) < 0)
		goto fail;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	errno = e;
	return -1;
}
