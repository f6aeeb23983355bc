/* SPDX-License-Identifier: MIT */
#include "agency_sig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "log.h"
#include "sig_ctx.h"

struct agency_signer {
	EVP_PKEY *key;
	sig_ctx *ctx;
	uint8_t *cert_pem;
	size_t cert_len;
};

bool agency_sig_operator_ok(const char *op)
{
	size_t n = 0;
	for (; op != NULL && op[n] != '\0'; n++) {
		char c = op[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		          c == '@' || c == '-';
		if (!ok || n >= AGENCY_OPERATOR_MAX)
			return false;
	}
	return true;
}

size_t agency_sig_input(const char *method, const char *request_id,
    const char *operator_id, int64_t timestamp_ms, const uint8_t *body,
    size_t body_len, char *out, size_t outlen)
{
	unsigned char digest[32];
	char hex[65];
	static const char xd[] = "0123456789abcdef";
	const char *op = operator_id != NULL ? operator_id : "";
	/* One field per line: a line break inside one would let two
	 * different requests sign the same text. */
	if (method == NULL || request_id == NULL ||
	    strpbrk(method, "\r\n") != NULL ||
	    strpbrk(request_id, "\r\n") != NULL || !agency_sig_operator_ok(op))
		return 0;
	sig_sha256(body, body_len, digest);
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = xd[digest[i] >> 4];
		hex[2 * i + 1] = xd[digest[i] & 15];
	}
	hex[64] = '\0';
	int n =
	    snprintf(out, outlen, AGENCY_SIG_VERSION "\n%s\n%s\n%s\n%lld\n%s",
	        method, request_id, op, (long long)timestamp_ms, hex);
	if (n < 0 || (size_t)n >= outlen)
		return 0;
	return (size_t)n;
}

int64_t agency_sig_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint8_t *agency_read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	uint8_t *buf = malloc(65536 + 1);
	size_t n = buf != NULL ? fread(buf, 1, 65536, f) : 0;
	fclose(f);
	if (buf == NULL || n == 0 || n == 65536) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

agency_signer *agency_signer_load(
    const char *cert_path, const char *key_path, char *err, size_t errlen)
{
	agency_signer *s = calloc(1, sizeof *s);
	FILE *kf = NULL;
	X509 *x = NULL;
	BIO *bio = NULL;
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cert_pem = agency_read_all(cert_path, &s->cert_len);
	if (s->cert_pem == NULL) {
		snprintf(err, errlen, "cannot read certificate %s", cert_path);
		goto fail;
	}
	bio = BIO_new_mem_buf(s->cert_pem, (int)s->cert_len);
	x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	if (x == NULL) {
		snprintf(
		    err, errlen, "%s is not a PEM certificate", cert_path);
		goto fail;
	}
	kf = fopen(key_path, "r");
	if (kf == NULL) {
		snprintf(err, errlen, "cannot read key %s", key_path);
		goto fail;
	}
	s->key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
	if (s->key == NULL) {
		snprintf(
		    err, errlen, "%s is not an unencrypted PEM key", key_path);
		goto fail;
	}
	if (X509_check_private_key(x, s->key) != 1) {
		snprintf(err, errlen, "key %s does not match certificate %s",
		    key_path, cert_path);
		goto fail;
	}
	int id = EVP_PKEY_get_base_id(s->key);
	if (id != EVP_PKEY_EC && id != EVP_PKEY_ED25519) {
		snprintf(err, errlen, "key must be ECDSA P-256 or Ed25519");
		goto fail;
	}
	if ((s->ctx = sig_ctx_new(s->key, true)) == NULL) {
		snprintf(err, errlen, "cannot sign with key %s", key_path);
		goto fail;
	}
	fclose(kf);
	X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return s;
fail:
	if (kf != NULL)
		fclose(kf);
	X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	agency_signer_free(s);
	return NULL;
}

void agency_signer_free(agency_signer *s)
{
	if (s == NULL)
		return;
	sig_ctx_free(s->ctx);
	EVP_PKEY_free(s->key);
	free(s->cert_pem);
	free(s);
}

hd_err agency_signer_sign(agency_signer *s, const char *method,
    const char *request_id, const char *operator_id, const uint8_t *body,
    size_t body_len, int64_t now_ms, Hedui__V1__AgencyAuth *auth)
{
	char input[AGENCY_SIG_INPUT_MAX];
	size_t n = agency_sig_input(method, request_id, operator_id, now_ms,
	    body, body_len, input, sizeof input);
	if (n == 0)
		return HD_EINVAL;
	size_t siglen = sig_ctx_max_size(s->ctx);
	uint8_t *sig = malloc(siglen > 0 ? siglen : 1);
	if (sig == NULL)
		return HD_ENOMEM;
	hd_err err =
	    sig_ctx_sign(s->ctx, (const uint8_t *)input, n, sig, &siglen);
	if (err != HD_OK) {
		free(sig);
		return err;
	}
	hedui__v1__agency_auth__init(auth);
	auth->certificate.data = s->cert_pem;
	auth->certificate.len = s->cert_len;
	auth->timestamp_ms = now_ms;
	auth->signature.data = sig;
	auth->signature.len = siglen;
	return HD_OK;
}

void agency_auth_release(Hedui__V1__AgencyAuth *auth)
{
	if (auth == NULL)
		return;
	free(auth->signature.data);
	auth->signature.data = NULL;
	auth->signature.len = 0;
}
