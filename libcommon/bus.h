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
};

/* Resolve the endpoints; `opt` is -B's argument or NULL. Returns 0, or -1
 * with a message in err. Does not touch the file system. */
int ts_bus_resolve(const char *opt, struct ts_bus_ep *ep, char *err, size_t errlen);

/* 1 when the endpoints are ipc or tcp on a loopback address. A non-loopback
 * tcp bus carries market data in clear: programs refuse it unless the user
 * says --insecure (CURVE keys are not implemented yet). */
int ts_bus_is_local(const struct ts_bus_ep *ep);

/* Create the ipc directory (mode 0700, parents too). 0 or -1 (errno). */
int ts_bus_mkdir(const struct ts_bus_ep *ep);

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

/* Bus socket options a program applies to sockets it makes itself. */
void ts_bus_sockopts(void *sock, int type);

#endif
