/* SPDX-License-Identifier: MIT */
/*
 * tls_setup: the TLS engine choice and nng TLS configurations from files.
 *
 * Every program calls tls_setup_engine() once at start-up, before it makes
 * any listener or dialer. Our default policy is TLS 1.3 only; TLS 1.2 (with
 * ECDHE and AEAD ciphers) only where a peer needs it and it is configured.
 */
#ifndef HEDUI_TLS_SETUP_H
#define HEDUI_TLS_SETUP_H

#include <stdbool.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include <hedui/tls.h>

#include "hd_err.h"

/* File names: the public struct (include/hedui/tls.h). */
typedef hedui_tls_opts tls_opts;

/*
 * Selects and registers the TLS engine: "openssl" (default, TLS 1.3) or
 * "mbedtls" (nng's built-in engine, TLS 1.2 only). NULL means the
 * HEDUI_TLS_ENGINE environment variable, else "openssl".
 */
hd_err tls_setup_engine(const char *which);

/* "openssl" or "mbedtls": the engine in use. */
const char *tls_setup_engine_name(void);

/* Human-readable engine and library version, for --version and logs. */
const char *tls_setup_engine_description(void);

/* Highest TLS version the configuration will negotiate: "TLSv1.3" etc. */
const char *tls_setup_max_version(const tls_opts *o);

/* Builds a configuration for a listener (server) or dialer (client). The
 * caller owns *out and releases it with nng_tls_config_free. */
hd_err tls_setup_config(
    nng_tls_mode mode, const tls_opts *o, nng_tls_config **out);

#endif
