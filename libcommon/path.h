/* path.h: where TradeSuite's files live (XDG base directories), mkdir -p,
 * and replacing a file atomically
 *
 * The directories follow the XDG Base Directory Specification: a variable
 * that holds an absolute path is used as it is; one that is unset, empty or
 * relative ("relative paths are invalid and should be ignored") falls back
 * to HOME's default; a HOME that is unset, empty or relative falls back to
 * the passwd entry's home directory (a service's DynamicUser has one). The
 * runtime directory (the bus) is resolved by ts_bus_resolve in bus.h. */
#ifndef TS_PATH_H
#define TS_PATH_H

#include <stddef.h>
#include <sys/types.h>

enum ts_xdg {
	TS_XDG_CONFIG, /* $XDG_CONFIG_HOME, else ~/.config */
	TS_XDG_DATA,   /* $XDG_DATA_HOME, else ~/.local/share */
	TS_XDG_STATE,  /* $XDG_STATE_HOME, else ~/.local/state */
	TS_XDG_CACHE,  /* $XDG_CACHE_HOME, else ~/.cache */
};

/* buf = BASE/tradesuite/leaf, or BASE/tradesuite when leaf is NULL. 0, or
 * -1 with errno ENOENT (no absolute variable and no home directory at all)
 * or ENAMETOOLONG. Creates nothing. */
int ts_xdg_path(enum ts_xdg which, const char *leaf, char *buf, size_t n);

/* The environment variable of `which` ("XDG_CONFIG_HOME"), for messages. */
const char *ts_xdg_var(enum ts_xdg which);

/* mkdir -p: make dir and every missing parent with mode (before the
 * umask). 0 when it exists as a directory afterwards, else -1 with errno
 * (ENOTDIR when a part is not a directory). */
int ts_mkdir_p(const char *dir, mode_t mode);

/* The same for the directory that holds path. */
int ts_mkdir_parent(const char *path, mode_t mode);

/* Replace path with len bytes of data so that a reader sees the old file
 * or the new one, never a part, and a crash leaves one of them: the
 * missing parents are made (0700), the data goes to a new temporary file
 * beside it (created with O_EXCL and O_NOFOLLOW, never one someone left or
 * linked there) with the old file's permissions or else `mode`, the file
 * is fsync'd, renamed over path, and the directory fsync'd. 0, or -1 with
 * errno; the temporary file never stays behind. */
int ts_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

#endif
