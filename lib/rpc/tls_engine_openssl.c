/* SPDX-License-Identifier: MIT */
/*
 * tls_engine_openssl: the configuration half of our nng TLS engine, its
 * registration and its policy. The connection half (record I/O through nng,
 * handshakes, error mapping) is in tls_engine_openssl_conn.c.
 *
 * Policy, whatever the caller configures: TLS 1.2 at the lowest; for 1.2
 * only ECDHE key exchange with AEAD ciphers; no renegotiation, no
 * compression, no session tickets or session cache (each connection makes
 * a full handshake and proves its certificate afresh).
 */
#include "tls_engine_openssl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "log.h"
#include "tls_engine_openssl_priv.h"

#define TLS_OSSL_TLS12_CIPHERS                                                \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"        \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"          \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"

static char tls_ossl_description[96];

/* Logs the error queue for a configuration step and maps it: allocation
 * failures to NNG_ENOMEM, everything else to the caller's choice. */
static int tls_ossl_config_fail(const char *step, int rv)
{
	char detail[512];
	if (tls_ossl_drain_errors(detail, sizeof detail))
		rv = NNG_ENOMEM;
	log_error("tls.openssl", "step=%s error=\"%s\"", step,
	    detail[0] != '\0' ? detail : nng_strerror(rv));
	return rv;
}

static void config_fini(nng_tls_engine_config *cfg)
{
	SSL_CTX_free(cfg->ctx);
	cfg->ctx = NULL;
	free(cfg->server_name);
	cfg->server_name = NULL;
}

static void config_apply_verify(nng_tls_engine_config *cfg)
{
	int mode = SSL_VERIFY_NONE;
	if (cfg->auth != NNG_TLS_AUTH_MODE_NONE)
		mode = SSL_VERIFY_PEER;
	if (cfg->auth == NNG_TLS_AUTH_MODE_REQUIRED &&
	    cfg->mode == NNG_TLS_MODE_SERVER)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(cfg->ctx, mode, tls_ossl_verify_cb);
}

/* nng frees the object without calling fini when init fails, so init
 * cleans up after itself. */
static int config_init(nng_tls_engine_config *cfg, nng_tls_mode mode)
{
	static const unsigned char sid_ctx[] = "hedui";
	bool server = mode == NNG_TLS_MODE_SERVER;

	cfg->mode = mode;
	/* nng's defaults: servers do not ask for certificates, clients
	 * check the server's. */
	cfg->auth =
	    server ? NNG_TLS_AUTH_MODE_NONE : NNG_TLS_AUTH_MODE_REQUIRED;
	cfg->ctx =
	    SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (cfg->ctx == NULL)
		return tls_ossl_config_fail("SSL_CTX_new", NNG_ENOMEM);

	long opts =
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET;
	if (server)
		opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
	SSL_CTX_set_options(cfg->ctx, opts);
	SSL_CTX_set_mode(cfg->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                               SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(cfg->ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_set_num_tickets(cfg->ctx, 0) != 1 ||
	    SSL_CTX_set_min_proto_version(cfg->ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(cfg->ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(cfg->ctx, TLS_OSSL_TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_session_id_context(
	        cfg->ctx, sid_ctx, sizeof sid_ctx - 1) != 1) {
		int rv = tls_ossl_config_fail("config_init", NNG_ECRYPTO);
		config_fini(cfg);
		return rv;
	}
	config_apply_verify(cfg);
	return 0;
}

static int config_server(nng_tls_engine_config *cfg, const char *name)
{
	char *dup = NULL;
	if (atomic_load(&cfg->in_use))
		return NNG_EBUSY;
	if (name != NULL && name[0] != '\0' && (dup = strdup(name)) == NULL)
		return NNG_ENOMEM;
	free(cfg->server_name);
	cfg->server_name = dup;
	return 0;
}

static int config_auth(nng_tls_engine_config *cfg, nng_tls_auth_mode mode)
{
	if (atomic_load(&cfg->in_use))
		return NNG_EBUSY;
	switch (mode) {
	case NNG_TLS_AUTH_MODE_NONE:
	case NNG_TLS_AUTH_MODE_OPTIONAL:
	case NNG_TLS_AUTH_MODE_REQUIRED:
		cfg->auth = mode;
		config_apply_verify(cfg);
		return 0;
	}
	return NNG_EINVAL;
}

/* Reads every PEM block of a NUL-terminated string; NULL when the text
 * holds no PEM at all. */
static STACK_OF(X509_INFO) * pem_infos(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	if (b == NULL)
		return NULL;
	STACK_OF(X509_INFO) *infos =
	    PEM_X509_INFO_read_bio(b, NULL, NULL, NULL);
	BIO_free(b);
	return infos;
}

static int config_ca_chain(
    nng_tls_engine_config *cfg, const char *certs, const char *crl)
{
	X509_STORE *store = SSL_CTX_get_cert_store(cfg->ctx);
	STACK_OF(X509_INFO) *infos = NULL;
	int ncert = 0, ncrl = 0, rv = 0;

	if (atomic_load(&cfg->in_use))
		return NNG_EBUSY;
	if (certs == NULL)
		return NNG_EINVAL;
	if ((infos = pem_infos(certs)) == NULL)
		return tls_ossl_config_fail("ca_chain", NNG_EINVAL);
	for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
		X509 *x = sk_X509_INFO_value(infos, i)->x509;
		if (x == NULL)
			continue;
		if (X509_STORE_add_cert(store, x) != 1) {
			rv = tls_ossl_config_fail("ca_add", NNG_ECRYPTO);
			goto done;
		}
		/* Names our CAs in the CertificateRequest; mbedTLS and
		 * OpenSSL clients send their certificate regardless. */
		if (cfg->mode == NNG_TLS_MODE_SERVER &&
		    SSL_CTX_add_client_CA(cfg->ctx, x) != 1) {
			rv =
			    tls_ossl_config_fail("ca_client_list", NNG_ENOMEM);
			goto done;
		}
		ncert++;
	}
	if (ncert == 0) {
		log_error("tls.openssl",
		    "step=ca_chain error=\"no certificate in the CA PEM\"");
		rv = NNG_EINVAL;
		goto done;
	}
	if (crl == NULL)
		goto done;

	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	if ((infos = pem_infos(crl)) == NULL) {
		rv = tls_ossl_config_fail("crl", NNG_EINVAL);
		goto done;
	}
	for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
		X509_CRL *c = sk_X509_INFO_value(infos, i)->crl;
		if (c == NULL)
			continue;
		if (X509_STORE_add_crl(store, c) != 1) {
			rv = tls_ossl_config_fail("crl_add", NNG_ECRYPTO);
			goto done;
		}
		ncrl++;
	}
	if (ncrl == 0) {
		log_error(
		    "tls.openssl", "step=crl error=\"no CRL in the CRL PEM\"");
		rv = NNG_EINVAL;
		goto done;
	}
	/* The peer's own certificate must then be listed as good by its
	 * issuer's CRL: a peer whose CA published no CRL is refused. */
	X509_VERIFY_PARAM_set_flags(
	    SSL_CTX_get0_param(cfg->ctx), X509_V_FLAG_CRL_CHECK);
done:
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	return rv;
}

/* Never lets OpenSSL fall back to prompting on the terminal: without a
 * password an encrypted key simply fails to load. */
static int key_password_cb(char *buf, int size, int rwflag, void *u)
{
	(void)rwflag;
	const char *pass = u;
	if (pass == NULL || size <= 0)
		return -1;
	size_t n = strlen(pass);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pass, n);
	return (int)n;
}

/* The certificate PEM may hold a chain (leaf first) and the key PEM may be
 * the same text: PEM readers skip blocks of other kinds. */
static int config_own_cert(nng_tls_engine_config *cfg, const char *cert,
    const char *key, const char *pass)
{
	BIO *cb = NULL, *kb = NULL;
	X509 *leaf = NULL, *x;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *pkey = NULL;
	int rv = 0;

	if (atomic_load(&cfg->in_use))
		return NNG_EBUSY;
	if (cert == NULL || key == NULL)
		return NNG_EINVAL;
	if ((cb = BIO_new_mem_buf(cert, -1)) == NULL ||
	    (kb = BIO_new_mem_buf(key, -1)) == NULL ||
	    (chain = sk_X509_new_null()) == NULL) {
		rv = tls_ossl_config_fail("own_cert", NNG_ENOMEM);
		goto done;
	}
	if ((leaf = PEM_read_bio_X509(cb, NULL, NULL, NULL)) == NULL) {
		rv = tls_ossl_config_fail("own_cert", NNG_EINVAL);
		goto done;
	}
	while ((x = PEM_read_bio_X509(cb, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(chain, x) <= 0) {
			X509_free(x);
			rv = tls_ossl_config_fail("own_chain", NNG_ENOMEM);
			goto done;
		}
	}
	ERR_clear_error(); /* the end of the PEM text, not a failure */
	pkey =
	    PEM_read_bio_PrivateKey(kb, NULL, key_password_cb, (void *)pass);
	if (pkey == NULL) {
		rv = tls_ossl_config_fail("own_key", NNG_EINVAL);
		goto done;
	}
	/* Checks that the key belongs to the certificate; takes references. */
	if (SSL_CTX_use_cert_and_key(cfg->ctx, leaf, pkey, chain, 1) != 1)
		rv = tls_ossl_config_fail("own_cert_key", NNG_EINVAL);
done:
	EVP_PKEY_free(pkey);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	BIO_free(kb);
	BIO_free(cb);
	return rv;
}

static int config_version(
    nng_tls_engine_config *cfg, nng_tls_version min, nng_tls_version max)
{
	if (atomic_load(&cfg->in_use))
		return NNG_EBUSY;
	if (min > max || max < NNG_TLS_1_2 || max > NNG_TLS_1_3 ||
	    min < NNG_TLS_1_0)
		return NNG_ENOTSUP;
	/* Below TLS 1.2 is outside our policy: raise the floor rather than
	 * fail, as the header asks engines to restrict the range. */
	int lo = min == NNG_TLS_1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
	int hi = max == NNG_TLS_1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
	if (SSL_CTX_set_min_proto_version(cfg->ctx, lo) != 1 ||
	    SSL_CTX_set_max_proto_version(cfg->ctx, hi) != 1)
		return tls_ossl_config_fail("version", NNG_ENOTSUP);
	return 0;
}

static nng_tls_engine_config_ops tls_ossl_config_ops = {
    .size = sizeof(nng_tls_engine_config),
    .init = config_init,
    .fini = config_fini,
    .server = config_server,
    .auth = config_auth,
    .ca_chain = config_ca_chain,
    .own_cert = config_own_cert,
    .version = config_version,
};

static nng_tls_engine tls_ossl_engine = {
    .version = NNG_TLS_ENGINE_VERSION,
    .config_ops = &tls_ossl_config_ops,
    .conn_ops = &tls_ossl_conn_ops,
    .name = "openssl",
    .description = tls_ossl_description,
    .fips_mode = false,
};

const char *tls_engine_openssl_description(void)
{
	if (tls_ossl_description[0] == '\0')
		snprintf(tls_ossl_description, sizeof tls_ossl_description,
		    "OpenSSL %s (hedui engine)",
		    OpenSSL_version(OPENSSL_VERSION_STRING));
	return tls_ossl_description;
}

hd_err tls_engine_openssl_register(void)
{
	(void)tls_engine_openssl_description();
	int rv = tls_ossl_bio_method_init();
	if (rv == 0)
		rv = nng_tls_engine_register(&tls_ossl_engine);
	if (rv != 0) {
		log_error("tls.openssl", "step=register error=\"%s\"",
		    nng_strerror(rv));
		return hd_err_from_nng(rv);
	}
	return HD_OK;
}
