/* SPDX-License-Identifier: MIT */
/*
 * tls_engine_openssl_conn: the connection half of our nng TLS engine.
 *
 * nng owns the TCP stream and its buffers; OpenSSL reaches it through a
 * BIO whose read and write call nng_tls_engine_recv/_send. nng's NNG_EAGAIN
 * becomes a BIO retry, OpenSSL's SSL_ERROR_WANT_READ/WRITE becomes
 * NNG_EAGAIN again, and nng calls us back when its TCP I/O completes.
 *
 * nng 1.5.2 calls send and recv before it has seen the handshake finish,
 * so those rely on OpenSSL doing the handshake implicitly (connect or
 * accept state is set at init).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "log_limit.h"
#include "tls_engine_openssl_priv.h"

/* Anyone who can reach a port can fail handshakes at will: a few lines
 * say who, the rest are counted (log_limit.h). */
static log_limit tls_handshake_log = LOG_LIMIT_INIT("tls.handshake", 20, 10000);

static BIO_METHOD *tls_ossl_bio_method;

bool tls_ossl_drain_errors(char *buf, size_t len)
{
	bool nomem = false;
	size_t used = 0;
	unsigned long e;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
			nomem = true;
		if (used + 4 >= len)
			continue; /* keep draining, stop writing */
		if (used > 0) {
			memcpy(buf + used, "; ", 3);
			used += 2;
		}
		ERR_error_string_n(e, buf + used, len - used);
		used += strlen(buf + used);
	}
	/* The text goes into a quoted log value. */
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '"')
			*p = '\'';
	return nomem;
}

static int bio_write(BIO *b, const char *buf, size_t len, size_t *written)
{
	nng_tls_engine_conn *ec = BIO_get_data(b);
	size_t n = len;
	BIO_clear_retry_flags(b);
	int rv = nng_tls_engine_send(ec->tls, (const uint8_t *)buf, &n);
	if (rv == 0) {
		*written = n;
		return 1;
	}
	if (rv == NNG_EAGAIN)
		BIO_set_retry_write(b);
	else
		ec->io_err = rv;
	return 0;
}

static int bio_read(BIO *b, char *buf, size_t len, size_t *readbytes)
{
	nng_tls_engine_conn *ec = BIO_get_data(b);
	size_t n = len;
	BIO_clear_retry_flags(b);
	int rv = nng_tls_engine_recv(ec->tls, (uint8_t *)buf, &n);
	if (rv == 0) {
		*readbytes = n;
		return 1;
	}
	if (rv == NNG_EAGAIN)
		BIO_set_retry_read(b);
	else
		ec->io_err = rv;
	return 0;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	/* nng sends what it is given without delay: nothing to flush. */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

int tls_ossl_bio_method_init(void)
{
	if (tls_ossl_bio_method != NULL)
		return 0;
	/* Lives as long as the process: connections may outlive any
	 * single owner, and nng never tells an engine it is unloaded. */
	BIO_METHOD *m = BIO_meth_new(
	    BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "nng stream");
	if (m == NULL || BIO_meth_set_write_ex(m, bio_write) != 1 ||
	    BIO_meth_set_read_ex(m, bio_read) != 1 ||
	    BIO_meth_set_ctrl(m, bio_ctrl) != 1 ||
	    BIO_meth_set_create(m, bio_create) != 1) {
		BIO_meth_free(m);
		ERR_clear_error();
		return NNG_ENOMEM;
	}
	tls_ossl_bio_method = m;
	return 0;
}

int tls_ossl_verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
	if (preverify_ok)
		return 1;
	SSL *ssl = X509_STORE_CTX_get_ex_data(
	    store, SSL_get_ex_data_X509_STORE_CTX_idx());
	nng_tls_engine_conn *ec = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	if (ec == NULL || ec->verify_subject[0] != '\0')
		return 0;
	X509 *cert = X509_STORE_CTX_get_current_cert(store);
	ec->verify_depth = X509_STORE_CTX_get_error_depth(store);
	if (cert == NULL ||
	    X509_NAME_oneline(X509_get_subject_name(cert), ec->verify_subject,
	        sizeof ec->verify_subject) == NULL)
		snprintf(ec->verify_subject, sizeof ec->verify_subject, "?");
	for (char *p = ec->verify_subject; *p != '\0'; p++)
		if (*p == '"')
			*p = '\'';
	return 0;
}

static bool is_ip_literal(const char *name)
{
	unsigned char addr[16];
	return inet_pton(AF_INET, name, addr) == 1 ||
	       inet_pton(AF_INET6, name, addr) == 1;
}

/* The client checks the server's certificate names: an IP literal against
 * its IP SANs, anything else against its DNS SANs (and sends it as SNI,
 * which must not carry an IP address). */
static int conn_set_peer_name(nng_tls_engine_conn *ec, const char *name)
{
	X509_VERIFY_PARAM *param = SSL_get0_param(ec->ssl);
	if (is_ip_literal(name))
		return X509_VERIFY_PARAM_set1_ip_asc(param, name) == 1;
	X509_VERIFY_PARAM_set_hostflags(
	    param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return X509_VERIFY_PARAM_set1_host(param, name, 0) == 1 &&
	       SSL_set_tlsext_host_name(ec->ssl, name) == 1;
}

/* nng's contract: on failure fini still runs, on the same object. */
static int conn_init(
    nng_tls_engine_conn *ec, void *tls, nng_tls_engine_config *cfg)
{
	char detail[256];
	BIO *bio;
	int rv = NNG_ENOMEM;

	ec->tls = tls;
	ec->mode = cfg->mode;
	const char *co = getenv("HEDUI_TLS_COALESCE");
	ec->co_on = co == NULL || strcmp(co, "0") != 0;
	ec->co_left = 0;
	ec->co_len = ec->co_off = ec->co_unacked = 0;
	atomic_store(&cfg->in_use, true);
	if ((ec->ssl = SSL_new(cfg->ctx)) == NULL ||
	    (bio = BIO_new(tls_ossl_bio_method)) == NULL)
		goto fail;
	BIO_set_data(bio, ec);
	SSL_set_bio(ec->ssl, bio, bio);
	SSL_set_app_data(ec->ssl, ec);
	if (cfg->mode == NNG_TLS_MODE_SERVER) {
		SSL_set_accept_state(ec->ssl);
		return 0;
	}
	SSL_set_connect_state(ec->ssl);
	if (cfg->server_name != NULL && cfg->auth != NNG_TLS_AUTH_MODE_NONE &&
	    !conn_set_peer_name(ec, cfg->server_name)) {
		rv = NNG_EINVAL;
		goto fail;
	}
	return 0;
fail:
	if (tls_ossl_drain_errors(detail, sizeof detail))
		rv = NNG_ENOMEM;
	log_error("tls.openssl", "step=conn_init error=\"%s\"",
	    detail[0] != '\0' ? detail : nng_strerror(rv));
	SSL_free(ec->ssl);
	ec->ssl = NULL;
	return rv;
}

static void conn_fini(nng_tls_engine_conn *ec)
{
	SSL_free(ec->ssl); /* frees the BIO too */
	ec->ssl = NULL;
}

/* Alert reasons with which a peer says it refused our certificate. */
static bool reason_is_peer_auth(int reason)
{
	switch (reason) {
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
	case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
	case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
	case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
	case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
		return true;
	}
	return false;
}

/* A fatal TLS error: logs why and maps it to NNG_EPEERAUTH (a certificate
 * was refused, by us or by the peer), NNG_ENOMEM or NNG_ECRYPTO. */
static int conn_tls_failure(nng_tls_engine_conn *ec)
{
	char detail[512];
	bool peer_auth = false, nomem;
	unsigned long e = ERR_peek_error();
	if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL)
		peer_auth = reason_is_peer_auth(ERR_GET_REASON(e));
	nomem = tls_ossl_drain_errors(detail, sizeof detail);

	long vr = SSL_get_verify_result(ec->ssl);
	const char *role =
	    ec->mode == NNG_TLS_MODE_SERVER ? "server" : "client";
	if (vr != X509_V_OK && ec->verify_subject[0] != '\0') {
		log_limited(&tls_handshake_log, LOG_LVL_WARN,
		    "role=%s result=refused verify=\"%s\" depth=%d "
		    "subject=\"%s\" error=\"%s\"",
		    role, X509_verify_cert_error_string(vr), ec->verify_depth,
		    ec->verify_subject, detail);
		return NNG_EPEERAUTH;
	}
	log_limited(&tls_handshake_log, LOG_LVL_WARN,
	    "role=%s result=failed version=%s error=\"%s\"", role,
	    SSL_get_version(ec->ssl), detail);
	if (nomem)
		return NNG_ENOMEM;
	return peer_auth ? NNG_EPEERAUTH : NNG_ECRYPTO;
}

/*
 * What our errors mean to nng: they steer its state machines, not only
 * its error counts. NNG_ECLOSED and NNG_ECANCELED mean "this object was
 * closed or cancelled by its owner": a listener handed NNG_ECLOSED from a
 * connection's handshake stops accepting for good (issue 12: one client's
 * close_notify before its SP header stopped heduid from accepting any new
 * connection). So nothing a peer does may come out as either: a peer that
 * ends the connection (close_notify, EOF, reset) is NNG_ECONNSHUT, a
 * transport error below us keeps its own code unless it is one of those
 * two, which become NNG_ECONNSHUT too.
 */
static int conn_io_error(const nng_tls_engine_conn *ec)
{
	switch (ec->io_err) {
	case 0:
	case NNG_ECLOSED:
	case NNG_ECANCELED:
		return NNG_ECONNSHUT;
	default:
		return ec->io_err;
	}
}

/* Maps the result of an SSL_* call that did not succeed. */
static int conn_error(nng_tls_engine_conn *ec, int ret)
{
	switch (SSL_get_error(ec->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return NNG_EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return NNG_ECONNSHUT; /* the peer's close_notify */
	case SSL_ERROR_SSL:
		ec->failed = true;
		/* nng's transport failed under us: that is the error, and
		 * OpenSSL's "unexpected EOF" only its echo. */
		if (ec->io_err != 0) {
			ERR_clear_error();
			return conn_io_error(ec);
		}
		return conn_tls_failure(ec);
	default:
		ec->failed = true;
		ERR_clear_error();
		return conn_io_error(ec);
	}
}

static int conn_handshake(nng_tls_engine_conn *ec)
{
	if (ec->failed)
		return NNG_ECRYPTO;
	ERR_clear_error();
	int ret = SSL_do_handshake(ec->ssl);
	return ret == 1 ? 0 : conn_error(ec, ret);
}

static int conn_recv(nng_tls_engine_conn *ec, uint8_t *buf, size_t *szp)
{
	size_t n = 0;
	if (ec->failed)
		return NNG_ECRYPTO;
	ERR_clear_error();
	int ret = SSL_read_ex(ec->ssl, buf, *szp, &n);
	if (ret != 1)
		return conn_error(ec, ret);
	*szp = n;
	return 0;
}

/*
 * nng's tls+tcp transport sends each message as three writes: its 8-byte
 * length, the protocol header, the body. Each became a TLS record and a
 * sendmsg of its own, and the peer woke up for each. conn_send gathers a
 * frame that fits one record and writes it at once: a write of exactly
 * 8 bytes holding a plausible length starts one (the SP handshake's 8
 * bytes do not: they read as a length of ~2^54), and the write that
 * completes it flushes. Larger frames go through as before.
 *
 * OpenSSL wants a write that returned WANT_WRITE repeated with the same
 * bytes: co_off/co_len keep them, and a final piece whose flush must wait
 * stays unreported (co_unacked) until nng offers it again.
 */
static int conn_flush(nng_tls_engine_conn *ec)
{
	while (ec->co_off < ec->co_len) {
		size_t n = 0;
		ERR_clear_error();
		int ret = SSL_write_ex(ec->ssl, ec->co_buf + ec->co_off,
		    ec->co_len - ec->co_off, &n);
		if (ret != 1)
			return conn_error(ec, ret);
		ec->co_off += n;
	}
	ec->co_len = ec->co_off = 0;
	return 0;
}

static uint64_t conn_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int conn_send(nng_tls_engine_conn *ec, const uint8_t *buf, size_t *szp)
{
	size_t n = 0;
	if (ec->failed)
		return NNG_ECRYPTO;
	if (ec->co_unacked > 0) {
		/* nng offers the same piece again. */
		int rv = conn_flush(ec);
		if (rv != 0)
			return rv;
		*szp = ec->co_unacked;
		ec->co_unacked = 0;
		return 0;
	}
	if (ec->co_left > 0) {
		size_t take = *szp < ec->co_left ? *szp : (size_t)ec->co_left;
		memcpy(ec->co_buf + ec->co_len, buf, take);
		ec->co_len += take;
		ec->co_left -= take;
		if (ec->co_left == 0) {
			int rv = conn_flush(ec);
			if (rv == NNG_EAGAIN)
				ec->co_unacked = take;
			if (rv != 0)
				return rv;
		}
		*szp = take;
		return 0;
	}
	if (ec->co_on && *szp == 8 && ec->co_len == 0) {
		uint64_t frame = conn_be64(buf);
		if (frame > 0 && frame <= TLS_OSSL_COALESCE_MAX - 8) {
			memcpy(ec->co_buf, buf, 8);
			ec->co_len = 8;
			ec->co_left = frame;
			return 0;
		}
	}
	ERR_clear_error();
	int ret = SSL_write_ex(ec->ssl, buf, *szp, &n);
	if (ret != 1)
		return conn_error(ec, ret);
	*szp = n;
	return 0;
}

static void conn_close(nng_tls_engine_conn *ec)
{
	/* A courtesy close_notify; nng closes TCP right after, and TLS
	 * after a fatal error must not send one. */
	if (ec->ssl == NULL || ec->failed || !SSL_is_init_finished(ec->ssl))
		return;
	ERR_clear_error();
	(void)SSL_shutdown(ec->ssl);
	ERR_clear_error();
}

static bool conn_verified(nng_tls_engine_conn *ec)
{
	return ec->ssl != NULL && SSL_is_init_finished(ec->ssl) &&
	       SSL_get0_peer_certificate(ec->ssl) != NULL &&
	       SSL_get_verify_result(ec->ssl) == X509_V_OK;
}

/* NNG_OPT_TLS_PEER_CERT (our nng patch 0004): the certificate the peer
 * proved it holds, DER encoded, for the server to tie a request's claims
 * to the connection's identity. */
static int conn_peer_cert(nng_tls_engine_conn *ec, void *buf, size_t *szp)
{
	X509 *x = ec->ssl != NULL && SSL_is_init_finished(ec->ssl)
	              ? SSL_get0_peer_certificate(ec->ssl)
	              : NULL;
	if (x == NULL)
		return NNG_ENOENT;
	int len = i2d_X509(x, NULL);
	if (len <= 0) {
		ERR_clear_error();
		return NNG_ENOMEM;
	}
	if ((size_t)len > *szp) {
		*szp = (size_t)len;
		return NNG_EINVAL;
	}
	unsigned char *p = buf;
	if (i2d_X509(x, &p) != len) {
		ERR_clear_error();
		return NNG_ENOMEM;
	}
	*szp = (size_t)len;
	return 0;
}

nng_tls_engine_conn_ops tls_ossl_conn_ops = {
    .size = sizeof(nng_tls_engine_conn),
    .init = conn_init,
    .fini = conn_fini,
    .close = conn_close,
    .handshake = conn_handshake,
    .recv = conn_recv,
    .send = conn_send,
    .verified = conn_verified,
    .peer_cert = conn_peer_cert,
};
