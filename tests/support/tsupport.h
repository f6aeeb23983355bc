/* SPDX-License-Identifier: MIT */
/*
 * tsupport: what integration tests share: starting and always stopping
 * real processes, free loopback ports, certificate paths, clients.
 *
 * Every process started here is killed when the test program exits, even
 * after a failed assertion (atexit), and when the test program dies
 * (PR_SET_PDEATHSIG in the child).
 */
#ifndef HEDUI_TSUPPORT_H
#define HEDUI_TSUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc_client.h"

typedef struct tproc tproc;

/* Starts argv[0] (a path) with stdout and stderr to a log file in
 * $HEDUI_BUILD/test-logs. NULL if it could not be started. */
tproc *tproc_start(const char *name, char *const argv[]);
/* SIGTERM, then SIGKILL after 5 s; returns the exit status (128 + signal
 * when killed). Frees p. Accepts NULL (returns -1). */
int tproc_stop(tproc *p);
/* SIGKILL at once; frees p. */
void tproc_kill(tproc *p);
/* True while the process runs. */
bool tproc_alive(tproc *p);
/* Path of its log file. */
const char *tproc_log(const tproc *p);
/* Whether the log file contains text. */
bool tproc_log_contains(const tproc *p, const char *text);
/* The same, waiting up to timeout_ms for the line to be written (a
 * process may log what the test caused just after the test saw it). */
bool tproc_log_wait(const tproc *p, const char *text, int timeout_ms);
/* Whether a file contains text (e.g. a stopped process's log). */
bool tfile_contains(const char *path, const char *text);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int tport_free(void);
/* Waits until something accepts TCP connections on the port. */
bool tport_wait(int port, int timeout_ms);
/* "tls+tcp://127.0.0.1:PORT" in a static rotating buffer. */
const char *turl(int port);

/* $HEDUI_CERTS/NAME and $HEDUI_BIN/NAME, in static rotating buffers. */
const char *tcert(const char *name);
const char *tbin(const char *name);

/* Registers the TLS engine for this test process (once). */
void ttls_init(void);

/* A client to 127.0.0.1:port with identity NAME.crt/NAME.key, trusting
 * servers of the dev CA (ca.crt). */
rpc_client *tclient(int port, const char *identity);
/* The same trusting servers of CA.crt instead: "source-ca" for a source
 * (whatever the identity: the server, not the client, is to refuse). */
rpc_client *tclient_ca(int port, const char *identity, const char *ca);

/* Starts heduid on a free port with the dev PKI and extra flags (NULL
 * terminated): heduid.crt towards agencies, heduid-sources.crt and
 * source-ca.crt towards the sources. Waits until it listens. */
tproc *theduid_start(int *port, const char *const extra[]);
/* The same on a given report store (an existing one is kept: a restart).
 * theduid_start gives each start a fresh store in the test's temporary
 * directory. */
tproc *theduid_start_store(
    int *port, const char *store_path, const char *const extra[]);
/* The same on a given port: a restart where clients already look. */
tproc *theduid_start_at(
    int port, const char *store_path, const char *const extra[]);

/* Health/Check through c with a deadline. */
rpc_code thealth(rpc_client *c, uint32_t deadline_ms, int *serving);

/* Milliseconds of a monotonic clock. */
uint64_t tnow_ms(void);

/* Sends raw bytes on a fresh REQ socket over TLS (identity NAME, or NULL
 * for no client certificate) and waits up to timeout_ms for the reply.
 * Returns 0 and the reply bytes (malloc'd) or an nng error. */
int traw_call(int port, const char *identity, const void *data, size_t len,
    uint32_t timeout_ms, uint8_t **reply, size_t *reply_len);
/* The same trusting servers of CA.crt (traw_call: "ca"). */
int traw_call_ca(int port, const char *identity, const char *ca,
    const void *data, size_t len, uint32_t timeout_ms, uint8_t **reply,
    size_t *reply_len);

/* A plain TCP connection to 127.0.0.1:port, or -1. With timeout_ms > 0,
 * reads and writes on it give up after that long. */
int ttcp_connect(int port, uint32_t timeout_ms);
/* From then on, ttcp_connect (and the raw TLS clients over it) come from
 * n addresses in turn, 127.0.0.2 onwards: many peers on one machine. 0:
 * the default source. */
void ttcp_spread(unsigned n);

/* Over OpenSSL, not nng (see traw_tls.c): completes the SP handshake as a
 * REQ peer with identity NAME, sends a frame header announcing frame_len
 * bytes and then send_bytes of zeros. Returns 0 if the server then closed
 * the connection, 1 if it was still open after timeout_ms, -1 if the
 * connection or handshake failed. */
int traw_oversize(int port, const char *identity, uint64_t frame_len,
    size_t send_bytes, uint32_t timeout_ms);

/* Starts bank, tax and property sources (in that order) serving a
 * fixtures file, each on a free port, with extra flags (NULL-terminated,
 * may be NULL): source-KIND.crt, clients of source-ca.crt, the default
 * allow list (CN=heduid). Waits until each accepts connections. */
bool tsources_start(const char *fixtures, tproc *procs[3], int ports[3],
    const char *const extra[]);
/* One source: kind 0 bank, 1 tax, 2 property, on a given port. */
tproc *tsource_spawn(
    int kind, const char *fixtures, int port, const char *const extra[]);

/* A file path in a fresh per-process temporary directory. */
const char *ttmp(const char *name);

/* A valid ID number of county 330106 born on birth (YYYYMMDD), sequence
 * seq (its last three digits), with its check character: what the tests'
 * synthetic people are. out holds 19 bytes. */
void tidnum_330106(char out[19], const char *birth, int seq);

/* The process id, and a signal sent without waiting. */
int tproc_pid(const tproc *p);
void tproc_signal(tproc *p, int sig);
/* Waits up to timeout_ms for the process to exit; its status or -1. */
int tproc_wait(tproc *p, int timeout_ms);
/* Peak resident set size (VmHWM) in KiB, or -1. */
long tproc_peak_rss_kib(const tproc *p);
/* Resident set size now (VmRSS) in KiB, or -1. */
long tproc_rss_kib(const tproc *p);
/* Open descriptors of the process now, or -1. */
int tproc_fd_count(const tproc *p);
/* The same for any process id. */
int tpid_fd_count(int pid);
long tpid_rss_kib(int pid);

/*
 * A REQ peer written with OpenSSL, not nng, for the attack tests: they
 * must be able to do what nng's client never does (reset in the middle
 * of a burst, close_notify at odd moments, stall). traw_sp_open connects
 * to 127.0.0.1:port, completes TLS with identity NAME (a dev PKI file
 * stem) and the SP header exchange; NULL on failure.
 */
typedef struct traw_sp traw_sp;
traw_sp *traw_sp_open(int port, const char *identity, uint32_t timeout_ms);
/* The same trusting servers of CA.crt (traw_sp_open: "ca"). */
traw_sp *traw_sp_open_ca(
    int port, const char *identity, const char *ca, uint32_t timeout_ms);
/* Sends one request frame: SP length, REQ request id, body. */
bool traw_sp_send(traw_sp *c, uint32_t id, const void *body, size_t len);
/* Receives one reply frame's body (malloc'd); false on EOF or error. */
bool traw_sp_recv(traw_sp *c, uint8_t **body, size_t *len);
/* The connection's socket, for poll(). */
int traw_sp_fd(const traw_sp *c);
/* Closes with a TCP reset (SO_LINGER 0), no close_notify. Frees c. */
void traw_sp_reset(traw_sp *c);
/* Closes politely (close_notify, then close). Frees c. */
void traw_sp_close(traw_sp *c);

/* Ways a TLS client ends a connection before it is an SP connection. */
typedef enum traw_end {
	TRAW_END_CLOSE_NOTIFY,   /* close_notify right after the handshake */
	TRAW_END_PARTIAL_NOTIFY, /* 3 bytes of the SP header, close_notify */
	TRAW_END_BAD_SP_HEADER,  /* an SP header that is not SP */
	TRAW_END_RESET,          /* a TCP reset right after the handshake */
} traw_end;
/* Completes a TLS handshake as NAME, then ends as told. True when the
 * handshake completed. */
bool traw_tls_end_early(int port, const char *identity, traw_end how);

/* An encoded RpcRequest envelope for a method with a payload; malloc'd. */
uint8_t *tenvelope(const char *method, const char *request_id,
    const void *payload, size_t payload_len, size_t *len);

#endif
