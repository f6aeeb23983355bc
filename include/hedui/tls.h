/* SPDX-License-Identifier: MIT */
/*
 * hedui/tls.h: the TLS engine and a connection's certificates.
 *
 * heduid speaks TLS 1.3 through OpenSSL, which libhedui registers as the
 * TLS engine of the nng it carries inside. A program calls
 * hedui_tls_setup_engine() once at start-up, before its first client.
 */
#ifndef HEDUI_PUBLIC_TLS_H
#define HEDUI_PUBLIC_TLS_H

#include <stdbool.h>

#include <hedui/err.h>
#include <hedui/export.h>

/* File names, read when the client is made (hedui_client_alloc) and not
 * kept. */
typedef struct hedui_tls_opts {
	const char *ca_file;      /* PEM CA bundle that peers must chain to */
	const char *crl_file;     /* optional PEM CRL(s) */
	const char *cert_file;    /* own certificate (chain), PEM */
	const char *key_file;     /* own private key, PEM */
	const char *key_password; /* optional, for an encrypted key */
	const char *server_name; /* client: name to check; default 127.0.0.1 */
	bool allow_tls12;        /* permit TLS 1.2 as well as 1.3 */
	bool auth_optional;      /* server only: don't require client certs */
} hedui_tls_opts;

/*
 * Selects and registers the TLS engine: "openssl" (the default, TLS 1.3)
 * or "mbedtls" (TLS 1.2 only). NULL means the HEDUI_TLS_ENGINE environment
 * variable, else "openssl". Once, from one thread, before any client
 * exists. HEDUI_EINVAL for an unknown name or for going back to mbedtls
 * after openssl; another error when OpenSSL's engine cannot be registered
 * (the detail is logged).
 */
HEDUI_EXPORT hedui_err hedui_tls_setup_engine(const char *which);

/* "openssl" or "mbedtls": the engine in use. A static string. */
HEDUI_EXPORT const char *hedui_tls_engine_name(void);

/* The engine and its library's version ("OpenSSL 3.0.x ..."), for a
 * --version or a log line. A static string. */
HEDUI_EXPORT const char *hedui_tls_engine_description(void);

#endif
