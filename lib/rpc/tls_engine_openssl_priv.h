/* SPDX-License-Identifier: MIT */
/*
 * tls_engine_openssl_priv: what the engine's configuration half
 * (tls_engine_openssl.c) and connection half (tls_engine_openssl_conn.c)
 * share. Nothing outside those two files includes this.
 */
#ifndef HEDUI_TLS_ENGINE_OPENSSL_PRIV_H
#define HEDUI_TLS_ENGINE_OPENSSL_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/engine.h>
#include <openssl/ssl.h>

/* nng allocates this (zeroed) behind its own nng_tls_config. */
struct nng_tls_engine_config {
	SSL_CTX *ctx;
	nng_tls_mode mode;
	nng_tls_auth_mode auth;
	char *server_name; /* client: the name the peer must prove */
	/* Set by the first connection. nng's header says a configuration in
	 * use cannot change, but 1.5.2 never enforces it (its busy flag is
	 * never set), and SSL_CTX setters racing SSL_new are unsafe. */
	atomic_bool in_use;
};

/* nng allocates this (zeroed) behind its own connection. nng 1.5.2 calls
 * fini on it even when init never ran (a dial or accept that failed), so
 * every field must be safe to release in its zeroed state. */
/* The largest SP frame conn_send gathers into one TLS record. */
#define TLS_OSSL_COALESCE_MAX 16384

struct nng_tls_engine_conn {
	void *tls; /* nng's connection: the argument of nng_tls_engine_send */
	SSL *ssl;
	nng_tls_mode mode;
	int io_err;  /* last error from nng's transport under our BIO */
	bool failed; /* fatal TLS error: no close_notify any more */
	/* First certificate verification failure seen, for the log. */
	int verify_depth;
	char verify_subject[160];
	/* Frame gathering (conn_send): off with HEDUI_TLS_COALESCE=0. */
	bool co_on;
	uint64_t co_left;  /* bytes of the frame still to come from nng */
	size_t co_len;     /* bytes gathered in co_buf */
	size_t co_off;     /* of which OpenSSL has taken so far */
	size_t co_unacked; /* the last piece, in co_buf, not yet reported */
	uint8_t co_buf[TLS_OSSL_COALESCE_MAX];
};

extern nng_tls_engine_conn_ops tls_ossl_conn_ops;

/* Creates the BIO method that carries TLS records over nng's transport;
 * once, before any connection exists. 0 or an NNG error. */
int tls_ossl_bio_method_init(void);

/* The verify callback every SSL_CTX of ours uses: records the failure for
 * the log and keeps OpenSSL's own decision. */
int tls_ossl_verify_cb(int preverify_ok, X509_STORE_CTX *store);

/* Drains OpenSSL's error queue into buf ("; " between entries). Returns
 * true when one of the errors was an allocation failure. */
bool tls_ossl_drain_errors(char *buf, size_t len);

#endif
