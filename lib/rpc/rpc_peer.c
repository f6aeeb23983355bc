/* SPDX-License-Identifier: MIT */
#include "rpc_peer.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

static void rpc_peer_clear(rpc_peer *out)
{
	out->known = false;
	memset(out->cert_sha256, 0, sizeof out->cert_sha256);
	out->subject[0] = '\0';
	out->cn[0] = '\0';
}

/* The subject as one RFC 2253 line, UTF-8 kept as it is (not escaped as
 * \XX): two spellings of one name would be two identities. */
static bool rpc_peer_subject(X509 *x, char *out, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (b == NULL)
		return false;
	unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	bool ok =
	    X509_NAME_print_ex(b, X509_get_subject_name(x), 0, flags) >= 0;
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	ok = ok && n >= 0 && (size_t)n < cap && data != NULL &&
	     memchr(data, '\0', (size_t)n) == NULL;
	if (ok) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	return ok;
}

bool rpc_peer_from_der(const uint8_t *der, size_t len, rpc_peer *out)
{
	rpc_peer_clear(out);
	const unsigned char *p = der;
	X509 *x =
	    len > 0 && len < 65536 ? d2i_X509(NULL, &p, (long)len) : NULL;
	bool ok = x != NULL && p == der + len &&
	          EVP_Digest(der, len, out->cert_sha256, NULL, EVP_sha256(),
	              NULL) == 1 &&
	          rpc_peer_subject(x, out->subject, sizeof out->subject);
	if (ok) {
		int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x),
		    NID_commonName, out->cn, (int)sizeof out->cn);
		if (n < 0 || (size_t)n >= sizeof out->cn)
			out->cn[0] = '\0';
	}
	X509_free(x);
	ERR_clear_error();
	if (!ok) {
		rpc_peer_clear(out);
		return false;
	}
	out->known = true;
	return true;
}

void rpc_peer_fingerprint(const rpc_peer *p, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[p->cert_sha256[i] >> 4];
		out[2 * i + 1] = hex[p->cert_sha256[i] & 15];
	}
	out[64] = '\0';
}

void rpc_peer_log_safe(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; s != NULL && *s != '\0' && o + 1 < cap; s++)
		out[o++] = *s == '"' || *s == '\\' ? '?' : *s;
	out[o] = '\0';
}

bool rpc_peer_matches(const rpc_peer *p, const char *entry)
{
	if (!p->known || entry == NULL || entry[0] == '\0')
		return false;
	if (strncasecmp(entry, "sha256:", 7) == 0) {
		char fp[65];
		rpc_peer_fingerprint(p, fp);
		return strcasecmp(entry + 7, fp) == 0;
	}
	if (strncmp(entry, "CN=", 3) == 0 && strchr(entry + 3, '=') == NULL)
		return p->cn[0] != '\0' && strcmp(entry + 3, p->cn) == 0;
	if (strchr(entry, '=') != NULL)
		return strcmp(entry, p->subject) == 0;
	return p->cn[0] != '\0' && strcmp(entry, p->cn) == 0;
}
