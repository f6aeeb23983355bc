/* SPDX-License-Identifier: MIT */
/*
 * tls_fixture: bare nng REQ/REP endpoints over tls+tcp on 127.0.0.1 with
 * configurations from tls_setup_config(), for the TLS engine tests.
 *
 * Functions return nng error codes (0 on success), or -1 when the TLS
 * configuration itself could not be built, so that tests can tell a
 * refused handshake from a broken fixture.
 */
#ifndef HEDUI_TLS_FIXTURE_H
#define HEDUI_TLS_FIXTURE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <nng/nng.h>

#include "tls_setup.h"

/* Paths into $HEDUI_CERTS for one identity, and options pointing at them:
 * ca.crt, ca.crl (when with_crl), NAME.crt and NAME.key. */
typedef struct tlsfx_id {
	char ca[PATH_MAX];
	char crl[PATH_MAX];
	char cert[PATH_MAX];
	char key[PATH_MAX];
	tls_opts o;
} tlsfx_id;

void tlsfx_id_init(tlsfx_id *id, const char *name, bool with_crl);
/* $HEDUI_CERTS/NAME in a static rotating buffer. */
const char *tlsfx_cert(const char *name);
/* Whether $HEDUI_CERTS holds the dev PKI. */
bool tlsfx_have_certs(void);

/* A REP socket that echoes each request, served by one thread. */
typedef struct tlsfx_echo tlsfx_echo;

/* Listens on tls+tcp://127.0.0.1:<free port> with a server configuration
 * built from o (or cfg when o is NULL). */
int tlsfx_echo_start(
    const tls_opts *o, nng_tls_config *cfg, tlsfx_echo **out, int *port);
/* Requests answered; whether the last request's pipe was TLS-verified. */
int tlsfx_echo_served(tlsfx_echo *e);
bool tlsfx_echo_last_verified(tlsfx_echo *e);
/* Closes the socket and joins the thread. Accepts NULL. */
void tlsfx_echo_stop(tlsfx_echo *e);

/* One request over a new REQ socket dialed (synchronously, so that a
 * failed handshake shows) to 127.0.0.1:port; the reply must equal the
 * request. Uses a client configuration built from o, or cfg when o is
 * NULL. timeout_ms bounds dial, send and receive. */
int tlsfx_echo_request(const tls_opts *o, nng_tls_config *cfg, int port,
    const void *data, size_t len, int timeout_ms);

/* A raw configuration without our own certificate: CA, optional CRL,
 * server name 127.0.0.1 for clients. NULL on failure. */
nng_tls_config *tlsfx_config_no_cert(nng_tls_mode mode, const tlsfx_id *id);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int tlsfx_free_port(void);

#endif
