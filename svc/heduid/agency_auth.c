/* SPDX-License-Identifier: MIT */
#include "agency_auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "agency_sig.h"
#include "log.h"
#include "sig_ctx.h"

/* Verified certificates, keyed by the SHA-256 of their DER (not of the
 * PEM text, which can be re-encoded at will): a chain check costs far more
 * than a signature check, and agencies are few. */
#define AGENCY_CERT_SLOTS 256
/* Requests seen within the window, keyed by the certificate (DER digest)
 * and what was signed (not by the signature: ECDSA signatures are
 * malleable, (r, s) and (r, n - s) both verify, so a replay could
 * otherwise pass as new). Open addressing; when a probe run is full the
 * entry that expires first gives way. */
#define AGENCY_REPLAY_SLOTS (1u << 17)
#define AGENCY_REPLAY_PROBE 32

typedef struct agency_cert_entry {
	unsigned char key[32];
	int used;
	EVP_PKEY *pub;
	sig_ctx *verify; /* for pub, set up once (see sig_ctx.h) */
	agency_identity who;
	time_t not_after;
} agency_cert_entry;

typedef struct agency_replay_entry {
	unsigned char key[16];
	int64_t expires_ms;
} agency_replay_entry;

struct agency_auth {
	X509_STORE *store;
	pthread_mutex_t mu;
	agency_cert_entry certs[AGENCY_CERT_SLOTS];
	agency_replay_entry *replay;
	agency_replay_fn shared; /* the replicas' cache, or NULL */
	void *shared_arg;
};

void agency_auth_set_shared_replay(
    agency_auth *a, agency_replay_fn fn, void *arg)
{
	a->shared = fn;
	a->shared_arg = arg;
}

agency_auth *agency_auth_alloc(
    const char *ca_file, const char *crl_file, char *err, size_t errlen)
{
	agency_auth *a = calloc(1, sizeof *a);
	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&a->mu, NULL);
	a->replay = calloc(AGENCY_REPLAY_SLOTS, sizeof *a->replay);
	a->store = X509_STORE_new();
	if (a->replay == NULL || a->store == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (X509_STORE_load_file(a->store, ca_file) != 1) {
		snprintf(err, errlen, "cannot load CA %s", ca_file);
		goto fail;
	}
	if (crl_file != NULL && crl_file[0] != '\0') {
		if (X509_STORE_load_file(a->store, crl_file) != 1) {
			snprintf(err, errlen, "cannot load CRL %s", crl_file);
			goto fail;
		}
		X509_STORE_set_flags(a->store, X509_V_FLAG_CRL_CHECK);
	}
	ERR_clear_error();
	return a;
fail:
	ERR_clear_error();
	agency_auth_free(a);
	return NULL;
}

void agency_auth_free(agency_auth *a)
{
	if (a == NULL)
		return;
	for (int i = 0; i < AGENCY_CERT_SLOTS; i++) {
		sig_ctx_free(a->certs[i].verify);
		EVP_PKEY_free(a->certs[i].pub);
	}
	X509_STORE_free(a->store);
	free(a->replay);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

/* OU=region:NNNN with 2 to 6 digits. */
static int agency_region_from(X509 *x, agency_identity *who)
{
	X509_NAME *n = X509_get_subject_name(x);
	int idx = -1;
	who->region_prefix[0] = '\0';
	X509_NAME_get_text_by_NID(
	    n, NID_commonName, who->name, sizeof who->name);
	while ((idx = X509_NAME_get_index_by_NID(
	            n, NID_organizationalUnitName, idx)) >= 0) {
		X509_NAME_ENTRY *e = X509_NAME_get_entry(n, idx);
		ASN1_STRING *s = X509_NAME_ENTRY_get_data(e);
		const char *v = (const char *)ASN1_STRING_get0_data(s);
		int len = ASN1_STRING_length(s);
		if (len < 9 || len > 13 || strncmp(v, "region:", 7) != 0)
			continue;
		int digits = len - 7;
		int ok = 1;
		for (int i = 0; i < digits; i++)
			ok = ok && v[7 + i] >= '0' && v[7 + i] <= '9';
		if (!ok)
			continue;
		memcpy(who->region_prefix, v + 7, (size_t)digits);
		who->region_prefix[digits] = '\0';
		return 1;
	}
	return 0;
}

/*
 * The DER bytes inside the first CERTIFICATE block of pem (text before
 * "-----BEGIN", other blocks and line endings do not matter). The caller
 * frees *der with OPENSSL_free. False when there is none.
 */
static bool agency_cert_der(
    const uint8_t *pem, size_t len, unsigned char **der, long *derlen)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	bool found = false;
	*der = NULL;
	/* A few blocks at most: a certificate does not hide behind many. */
	for (int i = 0; bio != NULL && !found && i < 4; i++) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long n = 0;
		if (PEM_read_bio(bio, &name, &header, &data, &n) != 1)
			break;
		found = (strcmp(name, PEM_STRING_X509) == 0 ||
		            strcmp(name, PEM_STRING_X509_OLD) == 0) &&
		        header[0] == '\0' && n > 0;
		if (found) {
			*der = data;
			*derlen = n;
			data = NULL;
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
	}
	BIO_free(bio);
	ERR_clear_error();
	return found;
}

/* Verifies the certificate's chain and purpose; on success fills e. */
static rpc_code agency_cert_verify(agency_auth *a, const unsigned char *der,
    long len, agency_cert_entry *e, char *why, size_t whylen)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, len);
	X509_STORE_CTX *ctx = NULL;
	rpc_code code = RPC_UNAUTHENTICATED;
	rpc_peer as_peer;

	if (x == NULL || p != der + len) {
		snprintf(why, whylen, "agency certificate is not X.509");
		goto done;
	}
	ctx = X509_STORE_CTX_new();
	if (ctx == NULL || X509_STORE_CTX_init(ctx, a->store, x, NULL) != 1) {
		code = RPC_INTERNAL;
		snprintf(why, whylen, "cannot check the certificate");
		goto done;
	}
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	if (X509_verify_cert(ctx) != 1) {
		snprintf(why, whylen, "agency certificate not accepted: %s",
		    X509_verify_cert_error_string(
		        X509_STORE_CTX_get_error(ctx)));
		goto done;
	}
	if (!agency_region_from(x, &e->who)) {
		snprintf(why, whylen,
		    "agency certificate names no region "
		    "(OU=region:NNNN, 2 to 6 digits)");
		goto done;
	}
	/* The subject as the TLS layer writes it (rpc_peer.c), so that
	 * both name an agency the same way. */
	if (!rpc_peer_from_der(der, (size_t)len, &as_peer)) {
		snprintf(why, whylen,
		    "agency certificate subject is longer than %d bytes",
		    RPC_PEER_SUBJECT_MAX - 1);
		goto done;
	}
	memcpy(e->who.subject, as_peer.subject, sizeof e->who.subject);
	e->pub = X509_get_pubkey(x);
	if (e->pub == NULL) {
		snprintf(why, whylen, "agency certificate has no usable key");
		goto done;
	}
	struct tm tm;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		e->not_after = timegm(&tm);
	code = RPC_OK;
done:
	X509_STORE_CTX_free(ctx);
	X509_free(x);
	ERR_clear_error();
	return code;
}

/* A context to verify one signature with the certificate's key, and the
 * identity, from the cache (by DER digest) or verified now. The caller
 * frees *vctx. */
static rpc_code agency_cert_get(agency_auth *a, const unsigned char *der,
    long len, const unsigned char key[32], int64_t now_ms, EVP_MD_CTX **vctx,
    agency_identity *who, char *why, size_t whylen)
{
	unsigned slot = (unsigned)(key[0] | key[1] << 8) % AGENCY_CERT_SLOTS;
	time_t now = (time_t)(now_ms / 1000);

	pthread_mutex_lock(&a->mu);
	agency_cert_entry *e = &a->certs[slot];
	if (e->used && memcmp(e->key, key, sizeof e->key) == 0 &&
	    now < e->not_after) {
		*vctx = sig_ctx_dup(e->verify);
		*who = e->who;
		pthread_mutex_unlock(&a->mu);
		if (*vctx == NULL) {
			snprintf(why, whylen, "out of memory");
			return RPC_RESOURCE_EXHAUSTED;
		}
		return RPC_OK;
	}
	pthread_mutex_unlock(&a->mu);

	agency_cert_entry fresh;
	memset(&fresh, 0, sizeof fresh);
	rpc_code code = agency_cert_verify(a, der, len, &fresh, why, whylen);
	if (code != RPC_OK) {
		EVP_PKEY_free(fresh.pub);
		return code;
	}
	memcpy(fresh.key, key, sizeof fresh.key);
	fresh.used = 1;
	*who = fresh.who;
	if ((fresh.verify = sig_ctx_new(fresh.pub, false)) == NULL ||
	    (*vctx = sig_ctx_dup(fresh.verify)) == NULL) {
		sig_ctx_free(fresh.verify);
		EVP_PKEY_free(fresh.pub);
		snprintf(why, whylen, "agency key cannot verify signatures");
		return RPC_UNAUTHENTICATED;
	}

	pthread_mutex_lock(&a->mu);
	sig_ctx_free(e->verify);
	EVP_PKEY_free(e->pub);
	*e = fresh;
	pthread_mutex_unlock(&a->mu);
	return RPC_OK;
}

/* The replay key: the certificate (its DER digest) and the exact text it
 * signed. Distinct requests differ in request_id, operator, timestamp or
 * body; a re-encoded signature, or the same certificate re-encoded, does
 * not make a new request. */
static int agency_replay_key(const unsigned char cert_key[32],
    const char *input, size_t n, unsigned char h[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL &&
	         EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	         EVP_DigestUpdate(md, cert_key, 32) == 1 &&
	         EVP_DigestUpdate(md, input, n) == 1 &&
	         EVP_DigestFinal_ex(md, h, NULL) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

/* False when this request was seen within the window; else records it. */
static int agency_replay_record(
    agency_auth *a, const unsigned char h[32], int64_t now_ms)
{
	uint32_t start =
	    ((uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16) %
	    AGENCY_REPLAY_SLOTS;
	agency_replay_entry *victim = NULL;
	int fresh = 1;

	pthread_mutex_lock(&a->mu);
	for (uint32_t i = 0; i < AGENCY_REPLAY_PROBE; i++) {
		agency_replay_entry *e =
		    &a->replay[(start + i) % AGENCY_REPLAY_SLOTS];
		bool live = e->expires_ms > now_ms;
		if (live && memcmp(e->key, h, sizeof e->key) == 0) {
			fresh = 0;
			break;
		}
		if (!live) {
			if (victim == NULL || victim->expires_ms > now_ms)
				victim = e;
		} else if (victim == NULL ||
		           (victim->expires_ms > now_ms &&
		               e->expires_ms < victim->expires_ms)) {
			victim = e;
		}
	}
	if (fresh) {
		memcpy(victim->key, h, sizeof victim->key);
		victim->expires_ms = now_ms + 2 * AGENCY_AUTH_WINDOW_MS;
	}
	pthread_mutex_unlock(&a->mu);
	return fresh;
}

/* Forgets a key recorded by agency_replay_record: the request was not
 * taken after all (the shared cache could not be asked), and a retry of
 * it must not be refused as its own replay. */
static void agency_replay_forget(agency_auth *a, const unsigned char h[32])
{
	uint32_t start =
	    ((uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16) %
	    AGENCY_REPLAY_SLOTS;
	pthread_mutex_lock(&a->mu);
	for (uint32_t i = 0; i < AGENCY_REPLAY_PROBE; i++) {
		agency_replay_entry *e =
		    &a->replay[(start + i) % AGENCY_REPLAY_SLOTS];
		if (memcmp(e->key, h, sizeof e->key) == 0)
			e->expires_ms = 0;
	}
	pthread_mutex_unlock(&a->mu);
}

/* Whether the signing certificate is the TLS one; else why not. */
static bool agency_bound(const rpc_peer *peer, const unsigned char key[32],
    char *why, size_t whylen)
{
	if (peer == NULL || !peer->known) {
		snprintf(why, whylen,
		    "this connection has no verified TLS client certificate; "
		    "an agency's requests must come over mutual TLS with the "
		    "certificate that signs them");
		return false;
	}
	if (memcmp(peer->cert_sha256, key, 32) != 0) {
		snprintf(why, whylen,
		    "the agency certificate in the signature is not the TLS "
		    "client certificate of this connection; sign with the "
		    "certificate you connect with");
		return false;
	}
	return true;
}

rpc_code agency_auth_check(agency_auth *a, const agency_request *req,
    int64_t now_ms, agency_identity *who, char *why, size_t whylen)
{
	const Hedui__V1__AgencyAuth *auth = req->auth;
	char input[AGENCY_SIG_INPUT_MAX];
	EVP_MD_CTX *md = NULL;
	unsigned char *der = NULL;
	long derlen = 0;
	unsigned char key[32];
	rpc_code code = RPC_UNAUTHENTICATED;

	if (auth == NULL || auth->certificate.len == 0 ||
	    auth->signature.len == 0) {
		snprintf(why, whylen, "request is not signed by an agency");
		return RPC_UNAUTHENTICATED;
	}
	if (auth->certificate.len > 16384 || auth->signature.len > 512) {
		snprintf(why, whylen,
		    "agency certificate or signature too "
		    "large");
		return RPC_UNAUTHENTICATED;
	}
	/* Compared without subtracting: timestamp_ms is the caller's and
	 * may be anything, INT64_MIN included (signed overflow). now_ms is
	 * the server's clock, far from the limits. */
	int64_t ts = auth->timestamp_ms;
	if (ts > now_ms + AGENCY_AUTH_WINDOW_MS ||
	    ts < now_ms - AGENCY_AUTH_WINDOW_MS) {
		snprintf(why, whylen,
		    "signature timestamp is %lld s from "
		    "server time (limit 300 s)",
		    (long long)(ts / 1000 - now_ms / 1000));
		return RPC_UNAUTHENTICATED;
	}
	if (!agency_cert_der(auth->certificate.data, auth->certificate.len,
	        &der, &derlen)) {
		snprintf(why, whylen, "agency certificate is not PEM X.509");
		goto done;
	}
	sig_sha256(der, (size_t)derlen, key);
	/* Before the chain: a certificate that is not the connection's is
	 * refused without the cost of checking it. */
	if (!agency_bound(req->peer, key, why, whylen))
		goto done;
	code = agency_cert_get(
	    a, der, derlen, key, now_ms, &md, who, why, whylen);
	if (code != RPC_OK)
		goto done;
	code = RPC_UNAUTHENTICATED;
	size_t n = agency_sig_input(req->method, req->request_id,
	    req->operator_id, auth->timestamp_ms, req->body, req->body_len,
	    input, sizeof input);
	if (n == 0 ||
	    EVP_DigestVerify(md, auth->signature.data, auth->signature.len,
	        (const uint8_t *)input, n) != 1) {
		snprintf(why, whylen, "agency signature does not verify");
		goto done;
	}
	unsigned char rkey[32];
	if (!agency_replay_key(key, input, n, rkey)) {
		snprintf(why, whylen, "cannot check for a replay");
		code = RPC_INTERNAL;
		goto done;
	}
	if (!agency_replay_record(a, rkey, now_ms)) {
		snprintf(why, whylen,
		    "replayed request (this request was "
		    "already signed and used)");
		goto done;
	}
	/* Then the other replicas': a replay sent to another process of
	 * the same database is as much a replay. Kept as long as here. */
	int shared =
	    a->shared != NULL
	        ? a->shared(rkey, now_ms, now_ms + 2 * AGENCY_AUTH_WINDOW_MS,
	              a->shared_arg)
	        : 1;
	if (shared == 0) {
		snprintf(why, whylen,
		    "replayed request (this request was "
		    "already signed and used)");
		goto done;
	}
	if (shared < 0) {
		agency_replay_forget(a, rkey);
		snprintf(why, whylen, "cannot check for a replay");
		code = RPC_UNAVAILABLE;
		goto done;
	}
	code = RPC_OK;
done:
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return code;
}

const char *agency_auth_refusal_kind(const char *why)
{
	/* The beginnings of the messages above, each kind once. */
	static const struct {
		const char *prefix, *kind;
	} kinds[] = {
	    {"request is not signed", "unsigned"},
	    {"this connection has no verified TLS", "not-this-connection"},
	    {"the agency certificate in the signature is not the TLS",
	        "not-this-connection"},
	    {"signature timestamp", "timestamp"},
	    {"agency certificate", "certificate"},
	    {"cannot check the certificate", "certificate"},
	    {"agency key cannot verify", "certificate"},
	    {"agency signature does not verify", "signature"},
	    {"replayed request", "replay"},
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strncmp(why, kinds[i].prefix, strlen(kinds[i].prefix)) ==
		    0)
			return kinds[i].kind;
	return "other";
}

int agency_auth_covers(const agency_identity *who, const char *region_code)
{
	size_t n = strlen(who->region_prefix);
	return n >= 2 && strncmp(region_code, who->region_prefix, n) == 0;
}
