/* SPDX-License-Identifier: MIT */
/*
 * sig_ctx: signing and verifying with one key, many times, from many
 * threads.
 *
 * OpenSSL 3 looks the digest and the signature algorithm up in its
 * provider store (shared locks, hash tables) on every
 * EVP_DigestSignInit/VerifyInit: a visible share of a verification's CPU.
 * A sig_ctx does that once, into a template context, and each operation
 * works on a copy of it. ECDSA (SHA-256) and Ed25519 keys.
 */
#ifndef HEDUI_SIG_CTX_H
#define HEDUI_SIG_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "hd_err.h"

typedef struct sig_ctx sig_ctx;

/* A context for key (which it references, not takes): signing needs the
 * private key. NULL when OpenSSL refuses the key. */
sig_ctx *sig_ctx_new(EVP_PKEY *key, bool sign);
void sig_ctx_free(sig_ctx *s); /* accepts NULL */

/* Signs data; *siglen is sig's size on entry and the signature's length
 * on return. HD_ECRYPTO (logged) on failure. */
hd_err sig_ctx_sign(
    sig_ctx *s, const uint8_t *data, size_t len, uint8_t *sig, size_t *siglen);

/* The largest signature sig_ctx_sign may write. */
size_t sig_ctx_max_size(const sig_ctx *s);

/* True when sig is a valid signature of data. */
bool sig_ctx_verify(sig_ctx *s, const uint8_t *data, size_t len,
    const uint8_t *sig, size_t siglen);

/* A fresh context ready for one EVP_DigestSign/EVP_DigestVerify; the
 * caller frees it with EVP_MD_CTX_free. NULL when out of memory. */
EVP_MD_CTX *sig_ctx_dup(const sig_ctx *s);

/* A SHA-256 context ready for EVP_DigestUpdate (the digest fetched
 * once); free with EVP_MD_CTX_free. NULL when out of memory. */
EVP_MD_CTX *sig_ctx_sha256_ctx(void);

/* SHA-256 of data through a digest fetched once. */
void sig_sha256(const void *data, size_t len, unsigned char out[32]);

#endif
