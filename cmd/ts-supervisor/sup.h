/* sup.h: ts-supervisor's own modules: service table (sup_conf.c), process
 * table (sup_proc.c) and control socket (sup_ctl.c) */
#ifndef TS_SUP_H
#define TS_SUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bus.h"
#include "loop.h"
#include "map.h"
#include "msg.h"
#include "topic.h"

#define SUP_MAX_SVCS 64   /* services in the table */
#define SUP_MAX_PATS 8    /* topic patterns per service */
#define SUP_MAX_ARGS 32   /* words of a command */
#define SUP_MAX_VARS 6    /* {placeholders}: 4 from a pattern, {port}, {ready_fd} */
#define SUP_MAX_PROCS 256 /* running or known instances */
#define SUP_NAME_MAX 64
#define SUP_READY_FD 3    /* a child tells readiness with a newline on fd 3 */
#define SUP_CMD_MAX 1024

/* ---- the service table (sup_conf.c) ---- */

/* Global settings: [supervisor] and [demo] of tradesuite.ini. */
struct sup_settings {
	int64_t linger_us;        /* default linger of a service (5 s) */
	int64_t stop_timeout_us;  /* SIGTERM, then SIGKILL after this (5 s) */
	int64_t backoff_max_us;   /* restart delay cap (30 s) */
	int64_t backoff_reset_us; /* a child that ran this long starts at 1 s again (60 s) */
	int64_t ready_timeout_us; /* warn when not ready after this (10 s) */
	int64_t status_every_us;  /* status/supervisor period (2 s) */
	int demo_port;            /* ts-sim's port in --demo (8800; 0: a free one) */
};

/* A service: topic patterns and the command that serves them. A pattern is
 * a topic prefix of whole segments; a segment "{name}" matches any one
 * segment and binds it, so "trades/{ex}" serves "trades/coinbase/BTC-USD"
 * with ex=coinbase. The service's name and command may use the bound names
 * and {port} (the demo port) and {ready_fd} (the readiness fd). */
struct sup_svc {
	char name[SUP_NAME_MAX];
	char pat[SUP_MAX_PATS][TS_TOPIC_MAX];
	int npat;
	char cmd[SUP_CMD_MAX];      /* command line (words, quotes as sh) */
	char demo_cmd[SUP_CMD_MAX]; /* used instead with --demo, when set */
	int always;     /* start with the supervisor and keep running */
	int demo_only;  /* only with --demo */
	int enabled;
	int64_t linger_us; /* -1: the global default */
	int64_t ready_us;  /* 0: the child writes a newline to $TS_READY_FD;
			      >0: assumed ready after running this long */
	char where[128];   /* "file:line" of its definition */
};

struct sup_conf {
	struct sup_settings set;
	struct sup_svc svc[SUP_MAX_SVCS];
	int nsvc;
	int errors; /* bad lines seen (each reported and skipped) */
};

/* The built-in table as tradesuite.ini text (tradesuite.ini(5) shows it). */
extern const char sup_builtin_ini[];

/* Defaults plus the built-in services. */
void sup_conf_init(struct sup_conf *c);
/* Read ini text (name is used in messages as "name:line"). Each bad line
 * is reported with ts_warn, counted in c->errors and skipped. A [service
 * NAME] section that names an existing service changes only the keys it
 * sets. Returns the number of errors found in this text. */
int sup_conf_parse(struct sup_conf *c, const char *name, const char *text);
/* Read a file; a missing file is not an error (returns 0). -1 when it
 * exists but cannot be read (reported). */
int sup_conf_load(struct sup_conf *c, const char *path);
/* Check what only a whole table can show (services without topics or a
 * command, placeholders a pattern does not bind); reports, counts, and
 * disables the broken services. Returns the number of errors. */
int sup_conf_check(struct sup_conf *c);

/* Variables bound while matching a pattern. */
struct sup_vars {
	char name[SUP_MAX_VARS][32];
	char val[SUP_MAX_VARS][48];
	int n;
};

/* Does subscription `sub` ask for a topic served by pattern `pat`? `sub`
 * must hold at least the pattern's segments whole (a wildcard broader than
 * the pattern, such as "trades/" for "trades/{ex}", asks for none). Binds
 * the pattern's placeholders in *v. 1 or 0. */
int sup_pat_match(const char *pat, const char *sub, struct sup_vars *v);

/* Replace {name}s in `in` with their values (vars, then extra). Returns 0,
 * or -1 for an unknown name or a result that does not fit (`bad` names it). */
int sup_expand(const char *in, const struct sup_vars *v, char *out, size_t n,
    const char **bad);

/* Split a command line into words: blanks separate, '…' and "…" quote,
 * backslash escapes outside single quotes. Words go into buf (n bytes),
 * pointers into argv (at most max-1 of them, NULL-terminated). Returns the
 * number of words, or -1 (unterminated quote, too long, too many words). */
int sup_split(const char *line, char *buf, size_t n, char **argv, int max);

/* ---- the process table (sup_proc.c) ---- */

enum sup_state {
	SUP_DOWN,     /* not running: not wanted, stopped, or exited 0 */
	SUP_STARTING, /* running, readiness not told yet */
	SUP_UP,       /* running and ready */
	SUP_STOPPING, /* SIGTERM sent, waiting for it to exit */
	SUP_BACKOFF,  /* crashed (111 or a signal); restarts after a delay */
	SUP_FAILED,   /* permanent error (exit 100); waits for new demand */
};
const char *sup_state_name(enum sup_state s);

struct sup;
struct sup_proc {
	struct sup *sup;
	int used;
	char name[SUP_NAME_MAX];
	int svc;                  /* index in the table */
	struct sup_vars vars;
	char cmdline[SUP_CMD_MAX];
	enum sup_state state;
	pid_t pid;
	int ready_fd;             /* read end of the readiness pipe, or -1 */
	long subs;                /* subscriptions to its topics */
	int user_stopped;         /* `stop NAME`: down until new demand */
	int kick;                 /* `restart NAME`: start once even if unwanted */
	unsigned restarts, starts;
	int64_t started_us, ready_us, backoff_us;
	char last_exit[64];       /* "exit 111", "signal 9", "" */
	unsigned t_linger, t_backoff, t_kill, t_ready;
	pid_t orphan_pgid;        /* a group whose leader exited, until it is empty */
	unsigned long long pid_start, orphan_start; /* leaders' start times (sup_groups.c) */
	char exe[256];            /* the leader's executable once it ran exec, or "" */
	unsigned t_orphan;
};

struct sup {
	struct ts_loop *loop;
	struct sup_conf conf;
	struct sup_proc proc[SUP_MAX_PROCS];
	struct ts_map topics;     /* topic -> subscription count */
	struct ts_bus_ep ep;
	char bus_env[256];        /* TS_BUS for children */
	char self_dir[512];       /* where ts-supervisor lives: programs first */
	int demo;
	int shutting_down;
	int64_t started_us;
	void *xpub;               /* for status/supervisor */
	struct ts_pub status_pub;
	void (*on_change)(struct sup *s); /* a state changed: publish status */
	pid_t guard_pid;          /* the guard (sup_guard.c), or 0 */
	int guard_fd;             /* write end of its pipe, or -1 */
	int64_t guard_started_us;
	unsigned t_guard;         /* restart of a guard that died */
	char groups_path[320];    /* DIR/groups, or "" (tcp bus) */
	struct sup_peers *peers;  /* the proxy's memory bound (sup_peers.c) */
};

/* Start the always-on services. */
void sup_proc_start_always(struct sup *s);
/* A subscription (on 1) or unsubscription (on 0) of `topic` was seen. */
void sup_topic_event(struct sup *s, const char *topic, int on);
/* Reap children (on SIGCHLD). */
void sup_reap(struct sup *s);
/* Stop every child; 1 when none is running any more. */
int sup_stop_all(struct sup *s);
int sup_running(const struct sup *s);
/* Control commands: 0, or -1 with a message in err. */
int sup_cmd_stop(struct sup *s, const char *name, char *err, size_t n);
int sup_cmd_restart(struct sup *s, const char *name, char *err, size_t n);
/* The markets (SYMBOLs) of the subscribed topics that instance p serves,
 * sorted and each once, into sym[0..max-1]; returns how many. What status
 * shows: a feed's markets are the ones someone is watching. */
#define SUP_MARKETS_MAX 64
int sup_proc_markets(const struct sup *s, const struct sup_proc *p,
    char (*sym)[TS_SYM_MAX], int max);

/* ---- the guard (sup_guard.c) ---- */

/* Fork the guard: a process that, when the supervisor dies however it dies,
 * sends SIGTERM, then SIGKILL after the stop timeout, to every process group
 * it was told of. It is told the groups of the children already running.
 * Set s->guard_fd to -1 before the first call. A failure is reported; the
 * children then have only PR_SET_PDEATHSIG. */
void sup_guard_start(struct sup *s);
/* Tell the guard that process group `pgid` started (on 1) or ended (on 0).
 * (A child between fork and exec writes its record to guard_fd itself.) */
void sup_guard_group(struct sup *s, pid_t pgid, int on);
/* Was `pid` (reaped with `status`) the guard? Then 1, and a new guard starts
 * (at most once a second) unless the supervisor is stopping. */
int sup_guard_reaped(struct sup *s, pid_t pid, int status);
/* Close the guard's pipe and wait for the guard to exit (before the loop is
 * freed). */
void sup_guard_stop(struct sup *s);

/* ---- the proxy's memory, bounded in bytes (sup_peers.c) ---- */

#define SUP_PEERS_MAX 64

/* A subscriber that is behind: a backlog in its socket (SIOCOUTQ). */
struct sup_peer {
	int fd;
	unsigned long ino;        /* the socket's inode: an fd is reused */
	int queued;               /* bytes waiting in its socket */
	int scans;                /* scans it was behind at, after the first */
	uint64_t forwarded_at;    /* bytes forwarded when it last read */
	long long progress;       /* what it has read (sup_peers.c), or -1 */
	int64_t since_us;
	long pid;                 /* ipc: its pid; 0 when unknown */
	char who[100];            /* its command line, or HOST:PORT */
};

/* What the proxy holds for a subscriber, bounded in bytes: messages of at
 * most max_msg bytes, an HWM from the budget, and a subscriber that reads
 * nothing while more than the budget is forwarded cut off (sup_peers.c says
 * why it is done so). Subscribers that fall behind are named in status. */
struct sup_peers {
	int64_t budget;           /* bytes for one peer: $TS_BUS_BUFFER */
	int64_t max_msg;          /* bytes in one message: $TS_BUS_MAXMSG */
	int hwm;                  /* messages for one peer: from the budget */
	char sub_path[200];       /* the subscribers' ipc socket, or "" */
	int sub_port;             /* or their tcp port */
	uint64_t forwarded, scanned_at, cut;
	int n;
	struct sup_peer peer[SUP_PEERS_MAX];
};

/* Read the limits ($TS_BUS_BUFFER, $TS_BUS_MAXMSG, $TS_BUS_HWM) for the bus. */
void sup_peers_init(struct sup_peers *pp, const struct ts_bus_ep *ep);
/* Set them on one of the proxy's sockets (ZMQ_XSUB or ZMQ_XPUB) before it
 * binds. */
void sup_peers_apply(const struct sup_peers *pp, void *sock, int type);
/* A message of `bytes` went to the subscribers (scans now and then). */
void sup_peers_forwarded(struct sup_peers *pp, size_t bytes);
/* Look at the subscribers' sockets: name those behind, cut off those that
 * read nothing while more than the budget was forwarded. */
void sup_peers_scan(struct sup_peers *pp);
/* "bus_memory" in the status object. */
void sup_peers_json(const struct sup_peers *pp, struct ts_jw *w);

/* ---- the groups file (sup_groups.c) ---- */

/* Read the start of /proc/PID/WHAT into buf (n bytes, NUL-terminated).
 * Returns the bytes read, or -1. */
ssize_t sup_proc_read(long pid, const char *what, char *buf, size_t n);
/* The start time of process `pid` (clock ticks since boot), or 0. */
unsigned long long sup_groups_start_of(pid_t pid);
/* Rewrite s->groups_path from the process table (no-op when it is ""). */
void sup_groups_save(struct sup *s);
/* At start, once the bus directory is ours: end (SIGTERM, SIGKILL after
 * the stop timeout) the process groups a dead predecessor listed that still
 * run, and remove the file. Only a group whose leader has the recorded
 * start time and executable and was started for this bus (TS_BUS in its
 * environment) is signalled. Blocks for at most the stop timeout. */
void sup_groups_end_leftovers(struct sup *s);

/* ---- status and control (sup_ctl.c) ---- */

/* The process table as one JSON object into w (reset first). */
void sup_status_json(struct sup *s, struct ts_jw *w);
/* Bind the REP control socket and watch it in the loop. */
void *sup_ctl_bind(struct sup *s);
/* Client side: send `req` to the supervisor at ep and print the answer
 * (json: as is, else for a person). Returns the exit code. */
int sup_ctl_client(const struct ts_bus_ep *ep, const char *req, int json);

#endif
