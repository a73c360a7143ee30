/* bus.h: where the bus is (endpoint resolution) and the sockets that use it
 *
 *   publishers --connect--> pub [ts-supervisor: XSUB|XPUB] sub <--connect-- subscribers
 *
 * Endpoints come from -B, else $TS_BUS, else $XDG_RUNTIME_DIR/tradesuite,
 * else /tmp/tradesuite-$UID. A directory means ipc://DIR/pub and
 * ipc://DIR/sub; tcp://HOST:PORT means PORT for publishers and PORT+1 for
 * subscribers (and PORT+2 for the supervisor's control socket, PORT+3 for
 * ts-store's history service). */
#ifndef TS_BUS_H
#define TS_BUS_H

#include <stddef.h>

struct ts_bus_ep {
	char pub[256];  /* publishers connect; the proxy's XSUB binds */
	char sub[256];  /* subscribers connect; the proxy's XPUB binds */
	char ctl[256];  /* the supervisor's control socket (REP) */
	char history[256]; /* ts-store's history service (REP): ipc://DIR/history
	                    * or tcp://HOST:PORT+3; "" when PORT+3 > 65535 */
	char dir[200];  /* ipc: the directory holding the sockets; "" for tcp */
	char host[128]; /* tcp: the host; "" for ipc */
	int tcp;
	const char *source; /* "-B", "TS_BUS", "XDG_RUNTIME_DIR" or "/tmp" */
	int curve;          /* tcp encrypted with CURVE: a server key was found */
	char server_pub[41]; /* the supervisor's public key (Z85) */
};

/* Resolve the endpoints; `opt` is -B's argument or NULL. Returns 0, or -1
 * with a message in err. Does not touch the file system. */
int ts_bus_resolve(const char *opt, struct ts_bus_ep *ep, char *err, size_t errlen);

/* 1 when the endpoints are ipc or tcp on a loopback address. */
int ts_bus_is_local(const struct ts_bus_ep *ep);
/* 1 when the bus cannot be read off the network: local, or tcp encrypted
 * with CURVE. Programs refuse any other bus unless the user says --insecure. */
int ts_bus_is_safe(const struct ts_bus_ep *ep);

/* CURVE. On tcp, ts_bus_resolve looks for the supervisor's public key in
 * $TS_BUS_SERVER_KEY (Z85 text), else in the file server.pub of the key
 * directory: $TS_BUS_KEYS, else $XDG_CONFIG_HOME/tradesuite/curve (or
 * ~/.config/tradesuite/curve). When there is one, every bus socket is
 * encrypted: the supervisor's sockets with the secret key in server.key
 * (which must be readable by its owner alone), every other socket with a
 * key pair made at start. ts_bus_secure applies that to a socket before it
 * binds or connects (bus sockets made here get it already); it does nothing
 * on ipc or without keys. A server socket dies (exit 100) when server.key is
 * missing or unprotected. */
void ts_bus_secure(void *sock, int server);
/* Write a new key pair into dir (server.key mode 0600, server.pub). Returns
 * 0, or -1 with a message in err. */
int ts_bus_keygen(const char *dir, char *err, size_t errlen);
/* The key directory in use (see above), for messages. */
const char *ts_bus_keydir(void);

/* Create the ipc directory (mode 0700, parents too) and check it can be
 * trusted: a directory (not a link) owned by this user and writable by no
 * one else. 0, or -1 with a message in err. Does nothing on tcp. */
int ts_bus_mkdir(const struct ts_bus_ep *ep, char *err, size_t errlen);
/* Open a file in the bus directory (flags as open(2), O_CREAT makes it
 * 0600) without following a link, and only if it is a plain file of this
 * user's with a single link (no hard link to a file elsewhere). Returns the
 * fd (close-on-exec), or -1 with a message in err. */
int ts_bus_open_own(const char *path, int flags, char *err, size_t errlen);

/* High-water mark in messages for bus sockets: $TS_BUS_HWM or 100000. */
int ts_bus_hwm(void);

/* The process's ZeroMQ context, created on first use (dies on failure). */
void *ts_bus_ctx(void);
/* Close every socket first; then this ends the context (waits for linger). */
void ts_bus_term(void);

/* Sockets connected to the bus; each dies on failure (exit 111), since a
 * program cannot work without its bus. Close them with ts_bus_close. */
void *ts_bus_pub(const struct ts_bus_ep *ep);      /* PUB -> pub */
void *ts_bus_producer(const struct ts_bus_ep *ep); /* XPUB -> pub: sees subscriptions */
void *ts_bus_sub(const struct ts_bus_ep *ep);      /* SUB -> sub */
void ts_bus_close(void **sock);

/* Subscribe or unsubscribe a SUB socket. 0 or -1. */
int ts_bus_subscribe(void *sub, const char *topic);
int ts_bus_unsubscribe(void *sub, const char *topic);

/* Read one subscription event from an XPUB socket: *on is 1 for a
 * subscription, 0 for an unsubscription; topic is NUL-terminated. flags as
 * zmq_recv. Returns 0, -1 (errno) or 1 for a frame that is not a
 * subscription event (skipped). */
int ts_bus_sub_event(void *xpub, char *topic, size_t n, int *on, int flags);
/* Read every subscription event waiting on xpub (without blocking) and call
 * fn with each topic and on (1: subscribed, 0: unsubscribed): a producer's
 * handler for its XPUB socket's POLLIN. */
#define TS_BUS_TOPIC_MAX 520
typedef void ts_bus_want_fn(const char *topic, int on, void *arg);
void ts_bus_sub_events(void *xpub, ts_bus_want_fn *fn, void *arg);

/* Bus socket options a program applies to sockets it makes itself. */
void ts_bus_sockopts(void *sock, int type);

#endif
