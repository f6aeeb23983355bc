/* SPDX-License-Identifier: MIT */
/*
 * rpc_close: nng_close with a bound on how long it may take.
 *
 * nng 1.5.2 can hang in nng_close for good: when a connection drops while
 * a message is part-way through its TLS stream, the transport may re-queue
 * the rest on an aio that the pipe close has already stopped. That aio
 * never completes, nng's single reaper thread waits for it, and every
 * close after it waits for the reaper. A service that cannot stop, or a
 * CLI that cannot exit, is worse than a leaked socket, so our sockets are
 * closed through here.
 */
#ifndef HEDUI_RPC_CLOSE_H
#define HEDUI_RPC_CLOSE_H

#include <stdbool.h>

#include <nng/nng.h>

#define RPC_CLOSE_BOUND_MS 5000

/* Closes s. Returns true when the close finished within bound_ms; false
 * when it was abandoned (logged as a warning): the socket and everything
 * it uses must then be leaked, not freed. `who` names the socket in the
 * log ("rpc.client", "rpc.server"). */
bool rpc_close_bounded(nng_socket s, unsigned bound_ms, const char *who);

/* Whether nng can still close a socket that has a connection: an
 * in-process REQ/REP pair is connected and closed within bound_ms. False
 * means nng's reaper is stuck (the pair is leaked). */
bool rpc_close_probe(unsigned bound_ms);

/* At the end of main: waits (bounded, like a close) until nng has freed
 * every socket and connection closed before, then shuts nng down. Without
 * it, nng's reaper may still be freeing TLS connections when the process
 * exits, which LeakSanitizer reports as leaks. Skipped after an abandoned
 * close. No nng call may follow. */
void rpc_close_all(const char *who);

/* Whether any close in this process was abandoned: nng_fini() would hang
 * too, so it must not be called. */
bool rpc_close_abandoned(void);

#endif
