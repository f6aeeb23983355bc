/* SPDX-License-Identifier: MIT */
/*
 * tls_engine_openssl: OpenSSL 3 as nng's TLS engine (nng/supplemental/tls/
 * engine.h), replacing the mbedTLS 2.28 that Debian's nng links.
 */
#ifndef HEDUI_TLS_ENGINE_OPENSSL_H
#define HEDUI_TLS_ENGINE_OPENSSL_H

#include "hd_err.h"

/* Registers the engine with nng. Must run after nng has initialised (nng's
 * own start-up registers its built-in engine and would overwrite ours) and
 * before any TLS listener or dialer exists. */
hd_err tls_engine_openssl_register(void);

/* "OpenSSL 3.0.x ..." */
const char *tls_engine_openssl_description(void);

#endif
