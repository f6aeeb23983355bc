/* SPDX-License-Identifier: MIT */
#include "report_sig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "log.h"
#include "sig_ctx.h"

struct report_signer {
	EVP_PKEY *key;
	sig_ctx *ctx; /* set up once: see sig_ctx.h */
};

struct report_verifier {
	EVP_PKEY *pub;
	sig_ctx *ctx;
};

void report_root_message(uint64_t tree_size, const merkle_hash root,
    uint8_t out[REPORT_ROOT_MSG_LEN])
{
	size_t d = sizeof REPORT_ROOT_DOMAIN - 1;
	memcpy(out, REPORT_ROOT_DOMAIN, d);
	for (int i = 0; i < 8; i++)
		out[d + (size_t)i] = (uint8_t)(tree_size >> (56 - 8 * i));
	memcpy(out + d + 8, root, MERKLE_HASH_LEN);
}

static int report_pass_cb(char *buf, int size, int rwflag, void *u)
{
	(void)rwflag;
	const char *pw = u;
	if (pw == NULL)
		return 0;
	int n = (int)strlen(pw);
	if (n > size)
		n = size;
	memcpy(buf, pw, (size_t)n);
	return n;
}

report_signer *report_signer_load(
    const char *key_path, const char *password, char *err, size_t errlen)
{
	FILE *f = fopen(key_path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "cannot read key %s", key_path);
		return NULL;
	}
	EVP_PKEY *k =
	    PEM_read_PrivateKey(f, NULL, report_pass_cb, (void *)password);
	fclose(f);
	ERR_clear_error();
	if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
		EVP_PKEY_free(k);
		snprintf(
		    err, errlen, "%s is not a usable EC P-256 key", key_path);
		return NULL;
	}
	report_signer *s = calloc(1, sizeof *s);
	if (s == NULL) {
		EVP_PKEY_free(k);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->key = k;
	if ((s->ctx = sig_ctx_new(k, true)) == NULL) {
		report_signer_free(s);
		snprintf(err, errlen, "cannot sign with %s", key_path);
		return NULL;
	}
	return s;
}

void report_signer_free(report_signer *s)
{
	if (s == NULL)
		return;
	sig_ctx_free(s->ctx);
	EVP_PKEY_free(s->key);
	free(s);
}

hd_err report_signer_sign(report_signer *s, const uint8_t *report, size_t len,
    uint8_t *sig, size_t *siglen)
{
	size_t n = REPORT_SIG_MAX;
	hd_err err = sig_ctx_sign(s->ctx, report, len, sig, &n);
	*siglen = err == HD_OK ? n : 0;
	return err;
}

/* One report's proof, serialized (malloc'd into *out). */
static hd_err report_proof_pack(const merkle_tree *t, size_t index, size_t n,
    const merkle_hash root, uint8_t **out, size_t *outlen)
{
	merkle_hash path[MERKLE_MAX_PATH];
	ProtobufCBinaryData elems[MERKLE_MAX_PATH];
	size_t plen = merkle_tree_path(t, index, path);
	for (size_t i = 0; i < plen; i++) {
		elems[i].data = path[i];
		elems[i].len = MERKLE_HASH_LEN;
	}
	Hedui__V1__ReportProof p = HEDUI__V1__REPORT_PROOF__INIT;
	p.leaf_index = index;
	p.tree_size = n;
	p.n_path = plen;
	p.path = elems;
	p.root.data = (uint8_t *)root;
	p.root.len = MERKLE_HASH_LEN;
	size_t len = hedui__v1__report_proof__get_packed_size(&p);
	if ((*out = malloc(len)) == NULL)
		return HD_ENOMEM;
	*outlen = hedui__v1__report_proof__pack(&p, *out);
	return HD_OK;
}

hd_err report_signer_seal(report_signer *s, const uint8_t *const *reports,
    const size_t *lens, size_t n, uint8_t *sig, size_t *siglen,
    uint8_t **proofs, size_t *proof_lens)
{
	hd_err err = HD_ENOMEM;
	merkle_tree *t = NULL;
	for (size_t i = 0; i < n; i++)
		proofs[i] = NULL;
	merkle_hash *leaves = malloc((n > 0 ? n : 1) * sizeof *leaves);
	if (leaves == NULL || n == 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		merkle_leaf(reports[i], lens[i], leaves[i]);
	if ((t = merkle_tree_build(leaves, n)) == NULL)
		goto out;
	merkle_hash root;
	uint8_t msg[REPORT_ROOT_MSG_LEN];
	merkle_tree_root(t, root);
	report_root_message(n, root, msg);
	if ((err = report_signer_sign(s, msg, sizeof msg, sig, siglen)) !=
	    HD_OK)
		goto out;
	for (size_t i = 0; i < n && err == HD_OK; i++)
		err = report_proof_pack(
		    t, i, n, root, &proofs[i], &proof_lens[i]);
out:
	if (err != HD_OK)
		for (size_t i = 0; i < n; i++) {
			free(proofs[i]);
			proofs[i] = NULL;
		}
	merkle_tree_free(t);
	free(leaves);
	return err;
}

report_verifier *report_verifier_load(
    const char *cert_path, const char *ca_path, char *err, size_t errlen)
{
	FILE *f = fopen(cert_path, "r");
	X509 *x = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	report_verifier *v = NULL;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read certificate %s", cert_path);
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL) {
		snprintf(
		    err, errlen, "%s is not a PEM certificate", cert_path);
		goto done;
	}
	if (ca_path != NULL) {
		store = X509_STORE_new();
		ctx = X509_STORE_CTX_new();
		if (store == NULL || ctx == NULL ||
		    X509_STORE_load_file(store, ca_path) != 1 ||
		    X509_STORE_CTX_init(ctx, store, x, NULL) != 1 ||
		    X509_verify_cert(ctx) != 1) {
			snprintf(err, errlen,
			    "service certificate does not chain to the CA");
			goto done;
		}
	}
	if ((v = calloc(1, sizeof *v)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if ((v->pub = X509_get_pubkey(x)) == NULL ||
	    (v->ctx = sig_ctx_new(v->pub, false)) == NULL) {
		snprintf(
		    err, errlen, "%s holds no usable public key", cert_path);
		report_verifier_free(v);
		v = NULL;
	}
done:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(x);
	ERR_clear_error();
	return v;
}

void report_verifier_free(report_verifier *v)
{
	if (v == NULL)
		return;
	sig_ctx_free(v->ctx);
	EVP_PKEY_free(v->pub);
	free(v);
}

/* The Merkle form: the path from the report's leaf must lead to the
 * proof's root, and the signature hold over the root message. */
static hd_err report_check_proof(report_verifier *v,
    const Hedui__V1__VerifyHouseholdResponse *r, char *err, size_t errlen)
{
	const Hedui__V1__ReportProof *p = r->proof;
	merkle_hash path[MERKLE_MAX_PATH], leaf, root;
	if (p == NULL) {
		snprintf(
		    err, errlen, "%s without a proof", REPORT_SIG_ALG_MERKLE);
		return HD_ECRYPTO;
	}
	if (p->root.len != MERKLE_HASH_LEN) {
		snprintf(err, errlen, "the proof's root is not 32 bytes");
		return HD_ECRYPTO;
	}
	if (p->n_path > MERKLE_MAX_PATH) {
		snprintf(err, errlen, "the proof's path is too long");
		return HD_ECRYPTO;
	}
	for (size_t i = 0; i < p->n_path; i++) {
		if (p->path[i].len != MERKLE_HASH_LEN) {
			snprintf(err, errlen,
			    "the proof's path[%zu] is not 32 bytes", i);
			return HD_ECRYPTO;
		}
		memcpy(path[i], p->path[i].data, MERKLE_HASH_LEN);
	}
	merkle_leaf(r->report.data, r->report.len, leaf);
	if (!merkle_path_root(
	        p->leaf_index, p->tree_size, leaf, path, p->n_path, root)) {
		snprintf(err, errlen,
		    "the proof's path does not fit leaf %llu of a tree of "
		    "%llu",
		    (unsigned long long)p->leaf_index,
		    (unsigned long long)p->tree_size);
		return HD_ECRYPTO;
	}
	if (memcmp(root, p->root.data, MERKLE_HASH_LEN) != 0) {
		snprintf(err, errlen,
		    "the report and its path do not lead to the signed root");
		return HD_ECRYPTO;
	}
	uint8_t msg[REPORT_ROOT_MSG_LEN];
	report_root_message(p->tree_size, root, msg);
	if (!sig_ctx_verify(v->ctx, msg, sizeof msg, r->signature.data,
	        r->signature.len)) {
		snprintf(err, errlen, "signature does not match the root");
		return HD_ECRYPTO;
	}
	return HD_OK;
}

hd_err report_verifier_check(report_verifier *v,
    const Hedui__V1__VerifyHouseholdResponse *r, char *err, size_t errlen)
{
	const char *alg = r->signature_alg != NULL ? r->signature_alg : "";
	if (r->report.len == 0 || r->signature.len == 0) {
		snprintf(err, errlen, "no report or no signature");
		return HD_ECRYPTO;
	}
	if (strcmp(alg, REPORT_SIG_ALG_MERKLE) == 0)
		return report_check_proof(v, r, err, errlen);
	if (strcmp(alg, REPORT_SIG_ALG) != 0) {
		snprintf(err, errlen, "unknown signature algorithm");
		return HD_ECRYPTO;
	}
	/* A proof beside a signature that is not over its root: not what
	 * heduid ever answers, so not something to accept. */
	if (r->proof != NULL) {
		snprintf(err, errlen, "a proof with %s", REPORT_SIG_ALG);
		return HD_ECRYPTO;
	}
	if (!sig_ctx_verify(v->ctx, r->report.data, r->report.len,
	        r->signature.data, r->signature.len)) {
		snprintf(err, errlen, "signature does not match the report");
		return HD_ECRYPTO;
	}
	return HD_OK;
}

hd_err report_sig_verify_response(const char *cert_path, const char *ca_path,
    const Hedui__V1__VerifyHouseholdResponse *r, char *err, size_t errlen)
{
	report_verifier *v =
	    report_verifier_load(cert_path, ca_path, err, errlen);
	if (v == NULL)
		return HD_ECRYPTO;
	hd_err e = report_verifier_check(v, r, err, errlen);
	report_verifier_free(v);
	return e;
}

hd_err report_sig_verify(const char *cert_path, const char *ca_path,
    const uint8_t *report, size_t len, const uint8_t *sig, size_t siglen,
    char *err, size_t errlen)
{
	Hedui__V1__VerifyHouseholdResponse r =
	    HEDUI__V1__VERIFY_HOUSEHOLD_RESPONSE__INIT;
	r.report.data = (uint8_t *)report;
	r.report.len = len;
	r.signature.data = (uint8_t *)sig;
	r.signature.len = siglen;
	r.signature_alg = REPORT_SIG_ALG;
	return report_sig_verify_response(cert_path, ca_path, &r, err, errlen);
}
