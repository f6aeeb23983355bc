/* SPDX-License-Identifier: MIT */
#include "sig_ctx.h"

#include <pthread.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "log.h"

struct sig_ctx {
	EVP_MD_CTX *tmpl; /* initialised once, copied per operation */
	bool sign;
	size_t max_size;
};

static pthread_once_t sig_once = PTHREAD_ONCE_INIT;
static EVP_MD *sig_md_sha256;

/* Fetched explicitly: EVP_sha256() is fetched again on every use. Lives
 * as long as the process. */
static void sig_init(void)
{
	sig_md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sig_sha256_md(void)
{
	pthread_once(&sig_once, sig_init);
	return sig_md_sha256 != NULL ? sig_md_sha256 : EVP_sha256();
}

EVP_MD_CTX *sig_ctx_sha256_ctx(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (md != NULL && EVP_DigestInit_ex(md, sig_sha256_md(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		md = NULL;
	}
	return md;
}

void sig_sha256(const void *data, size_t len, unsigned char out[32])
{
	EVP_Digest(data, len, out, NULL, sig_sha256_md(), NULL);
}

sig_ctx *sig_ctx_new(EVP_PKEY *key, bool sign)
{
	sig_ctx *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->sign = sign;
	int size = EVP_PKEY_get_size(key);
	s->max_size = size > 0 ? (size_t)size : 0;
	/* Ed25519 hashes internally and takes no digest. */
	const EVP_MD *md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519
	                       ? NULL
	                       : sig_sha256_md();
	s->tmpl = EVP_MD_CTX_new();
	if (s->tmpl == NULL ||
	    (sign ? EVP_DigestSignInit(s->tmpl, NULL, md, NULL, key)
	          : EVP_DigestVerifyInit(s->tmpl, NULL, md, NULL, key)) != 1) {
		log_error("sig.ctx", "sign=%d error=\"%s\"", sign,
		    ERR_error_string(ERR_get_error(), NULL));
		ERR_clear_error();
		sig_ctx_free(s);
		return NULL;
	}
	return s;
}

void sig_ctx_free(sig_ctx *s)
{
	if (s == NULL)
		return;
	EVP_MD_CTX_free(s->tmpl);
	free(s);
}

EVP_MD_CTX *sig_ctx_dup(const sig_ctx *s)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c != NULL && EVP_MD_CTX_copy_ex(c, s->tmpl) != 1) {
		EVP_MD_CTX_free(c);
		c = NULL;
	}
	return c;
}

size_t sig_ctx_max_size(const sig_ctx *s)
{
	return s->max_size;
}

hd_err sig_ctx_sign(
    sig_ctx *s, const uint8_t *data, size_t len, uint8_t *sig, size_t *siglen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	hd_err err = HD_OK;
	if (!s->sign || c == NULL || EVP_MD_CTX_copy_ex(c, s->tmpl) != 1 ||
	    EVP_DigestSign(c, sig, siglen, data, len) != 1) {
		log_error("sig.sign", "error=\"%s\"",
		    ERR_error_string(ERR_get_error(), NULL));
		err = HD_ECRYPTO;
	}
	EVP_MD_CTX_free(c);
	ERR_clear_error();
	return err;
}

bool sig_ctx_verify(sig_ctx *s, const uint8_t *data, size_t len,
    const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = !s->sign && c != NULL &&
	          EVP_MD_CTX_copy_ex(c, s->tmpl) == 1 &&
	          EVP_DigestVerify(c, sig, siglen, data, len) == 1;
	EVP_MD_CTX_free(c);
	ERR_clear_error();
	return ok;
}
