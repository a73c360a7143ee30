/* test_path: XDG base directories by the spec's rules, mkdir -p, and the
 * atomic replacement of a file */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "t.h"

static char dir[PATH_MAX];

static void
test_xdg(void)
{
	char buf[PATH_MAX];
	struct passwd *pw = getpwuid(getuid());

	setenv("HOME", "/home/ann", 1);
	setenv("XDG_CONFIG_HOME", "/etc", 1);
	CHECK_INT(ts_xdg_path(TS_XDG_CONFIG, "alerts.conf", buf, sizeof buf), 0);
	CHECK_STR(buf, "/etc/tradesuite/alerts.conf");
	CHECK_INT(ts_xdg_path(TS_XDG_CONFIG, NULL, buf, sizeof buf), 0);
	CHECK_STR(buf, "/etc/tradesuite");
	/* relative is invalid and ignored, as the spec says; so is empty */
	setenv("XDG_CONFIG_HOME", "cfg", 1);
	CHECK_INT(ts_xdg_path(TS_XDG_CONFIG, "x.ini", buf, sizeof buf), 0);
	CHECK_STR(buf, "/home/ann/.config/tradesuite/x.ini");
	setenv("XDG_CONFIG_HOME", "", 1);
	CHECK_INT(ts_xdg_path(TS_XDG_CONFIG, "x.ini", buf, sizeof buf), 0);
	CHECK_STR(buf, "/home/ann/.config/tradesuite/x.ini");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
	unsetenv("XDG_STATE_HOME");
	setenv("XDG_CACHE_HOME", "./cache", 1);
	CHECK_INT(ts_xdg_path(TS_XDG_DATA, "store.db", buf, sizeof buf), 0);
	CHECK_STR(buf, "/home/ann/.local/share/tradesuite/store.db");
	CHECK_INT(ts_xdg_path(TS_XDG_STATE, "alerts.state", buf, sizeof buf), 0);
	CHECK_STR(buf, "/home/ann/.local/state/tradesuite/alerts.state");
	CHECK_INT(ts_xdg_path(TS_XDG_CACHE, "i.json", buf, sizeof buf), 0);
	CHECK_STR(buf, "/home/ann/.cache/tradesuite/i.json");
	/* a service's home "/" */
	setenv("HOME", "/", 1);
	CHECK_INT(ts_xdg_path(TS_XDG_CONFIG, "a", buf, sizeof buf), 0);
	CHECK_STR(buf, "/.config/tradesuite/a");
	/* no usable HOME: the passwd entry's, never "." or /tmp */
	if (pw && pw->pw_dir && pw->pw_dir[0] == '/') {
		char want[PATH_MAX];
		snprintf(want, sizeof want, "%s/.config/tradesuite/a",
		    strcmp(pw->pw_dir, "/") ? pw->pw_dir : "");
		unsetenv("HOME");
		CHECK_INT(ts_xdg_path(TS_XDG_CONFIG, "a", buf, sizeof buf), 0);
		CHECK_STR(buf, want);
		setenv("HOME", "relative/home", 1);
		CHECK_INT(ts_xdg_path(TS_XDG_CONFIG, "a", buf, sizeof buf), 0);
		CHECK_STR(buf, want);
	}
	CHECK_STR(ts_xdg_var(TS_XDG_STATE), "XDG_STATE_HOME");
	/* too long for the buffer: an error, never a cut path */
	setenv("XDG_CONFIG_HOME", "/etc", 1);
	CHECK_INT(ts_xdg_path(TS_XDG_CONFIG, "alerts.conf", buf, 10), -1);
	CHECK_INT(errno, ENAMETOOLONG);
	CHECK_STR(buf, "");
}

static void
test_mkdir_p(void)
{
	char p[PATH_MAX + 64];
	struct stat st;
	int fd;

	snprintf(p, sizeof p, "%s/a/b//c/", dir);
	CHECK_INT(ts_mkdir_p(p, 0700), 0);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_INT(st.st_mode & 0777, 0700);
	CHECK_INT(ts_mkdir_p(p, 0700), 0); /* again: there already */
	snprintf(p, sizeof p, "%s/file", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0);
	close(fd);
	snprintf(p, sizeof p, "%s/file/sub", dir);
	CHECK_INT(ts_mkdir_p(p, 0700), -1);
	CHECK_INT(errno, ENOTDIR);
	snprintf(p, sizeof p, "%s/file", dir);
	CHECK_INT(ts_mkdir_p(p, 0700), -1); /* a file where a directory should be */
	CHECK_INT(errno, ENOTDIR);
	snprintf(p, sizeof p, "%s/x/y/z.db", dir);
	CHECK_INT(ts_mkdir_parent(p, 0700), 0);
	snprintf(p, sizeof p, "%s/x/y", dir);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	snprintf(p, sizeof p, "%s/x/y/z.db", dir);
	CHECK(stat(p, &st) < 0); /* the parent only */
}

static char *
slurp(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
test_write_atomic(void)
{
	char p[PATH_MAX + 64], tmp[PATH_MAX + 96], victim[PATH_MAX + 64];
	struct stat st;

	snprintf(p, sizeof p, "%s/new/dir/f.conf", dir);
	CHECK_INT(ts_write_atomic(p, "one\n", 4, 0600), 0);
	CHECK_STR(slurp(p), "one\n");
	CHECK(stat(p, &st) == 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	/* the old file's permissions survive a replacement */
	CHECK_INT(chmod(p, 0640), 0);
	CHECK_INT(ts_write_atomic(p, "two\n", 4, 0600), 0);
	CHECK_STR(slurp(p), "two\n");
	CHECK(stat(p, &st) == 0);
	CHECK_INT(st.st_mode & 0777, 0640);
	/* a link planted at the temporary name is not written through */
	snprintf(victim, sizeof victim, "%s/victim", dir);
	CHECK_INT(ts_write_atomic(victim, "keep\n", 5, 0600), 0);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", p, (long)getpid());
	CHECK_INT(symlink(victim, tmp), 0);
	CHECK_INT(ts_write_atomic(p, "three\n", 6, 0600), 0);
	CHECK_STR(slurp(p), "three\n");
	CHECK_STR(slurp(victim), "keep\n");
	CHECK(lstat(tmp, &st) < 0); /* nothing left behind */
	/* an empty file is a file */
	CHECK_INT(ts_write_atomic(p, "", 0, 0600), 0);
	CHECK_STR(slurp(p), "");
	/* a directory that cannot be made: -1, errno set */
	snprintf(p, sizeof p, "%s/file/f.conf", dir);
	CHECK_INT(ts_write_atomic(p, "x", 1, 0600), -1);
	CHECK_INT(errno, ENOTDIR);
}

int
main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/test_path.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_xdg);
	RUN(test_mkdir_p);
	RUN(test_write_atomic);
	{
		char cmd[PATH_MAX + 16];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# cannot remove %s\n", dir);
	}
	return DONE();
}
