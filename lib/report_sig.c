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

hd_err report_sig_verify(const char *cert_path, const char *ca_path,
    const uint8_t *report, size_t len, const uint8_t *sig, size_t siglen,
    char *err, size_t errlen)
{
	FILE *f = fopen(cert_path, "r");
	X509 *x = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	EVP_PKEY *pub = NULL;
	EVP_MD_CTX *md = NULL;
	hd_err rv = HD_ECRYPTO;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read certificate %s", cert_path);
		return HD_EIO;
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
			    "service certificate does not "
			    "chain to the CA");
			goto done;
		}
	}
	pub = X509_get_pubkey(x);
	md = EVP_MD_CTX_new();
	if (pub == NULL || md == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) != 1 ||
	    EVP_DigestVerify(md, sig, siglen, report, len) != 1) {
		snprintf(err, errlen, "signature does not match the report");
		goto done;
	}
	rv = HD_OK;
done:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pub);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(x);
	ERR_clear_error();
	return rv;
}
