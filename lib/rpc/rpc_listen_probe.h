/* SPDX-License-Identifier: MIT */
/*
 * rpc_listen_probe: whether a tls+tcp listener still accepts, checked from
 * outside the way a client would find out.
 *
 * A listener can stop accepting while every connection it accepted before
 * goes on working (issue 12: one close_notify stopped nng 1.5.2's for
 * good), so nothing inside the server notices. The probe connects to the
 * server's own address and needs the TLS handshake to start: the kernel
 * completes a TCP connect from its backlog even when nobody accepts any
 * more, but the server's first TLS flight comes only from a listener that
 * accepted. It then completes the SP handshake and closes, so that a
 * healthy probe looks like any short connection in the logs.
 */
#ifndef HEDUI_RPC_LISTEN_PROBE_H
#define HEDUI_RPC_LISTEN_PROBE_H

#include <stdbool.h>

#include "tls_setup.h"

typedef struct rpc_listen_probe rpc_listen_probe;

/* For a "tls+tcp://HOST:PORT" listener (HOST 0.0.0.0 or [::] probes the
 * loopback address). The probe presents tls->cert_file/key_file when it
 * can load them (the server's own identity; a server certificate without
 * clientAuth then makes each probe a refused handshake, which still
 * proves the listener accepts). NULL for other URLs. */
rpc_listen_probe *rpc_listen_probe_alloc(const char *url, const tls_opts *tls);
void rpc_listen_probe_free(rpc_listen_probe *p);

/* True when the listener answered a TLS handshake within bound_ms. */
bool rpc_listen_probe_run(rpc_listen_probe *p, unsigned bound_ms);

#endif
