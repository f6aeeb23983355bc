/* SPDX-License-Identifier: MIT */
#include "monitor_ids.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

bool mon_run_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > MON_RUN_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		        c == '-'))
			return false;
	}
	return true;
}

hd_err mon_run_id_new(idnum_date today, char out[MON_RUN_ID_MAX + 1])
{
	unsigned char r[3];
	if (RAND_bytes(r, sizeof r) != 1)
		return HD_ECRYPTO;
	snprintf(out, MON_RUN_ID_MAX + 1, "%08d-%02x%02x%02x", today, r[0],
	    r[1], r[2]);
	return HD_OK;
}

hd_err mon_request_id(const char *run_id, uint64_t line, const char *text,
    size_t len, char out[MON_REQUEST_ID_MAX + 1])
{
	char head[MON_RUN_ID_MAX + 32];
	int hn = snprintf(
	    head, sizeof head, "%s\n%llu\n", run_id, (unsigned long long)line);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	          EVP_DigestUpdate(c, head, (size_t)hn) == 1 &&
	          EVP_DigestUpdate(c, text, len) == 1 &&
	          EVP_DigestFinal_ex(c, md, &mdlen) == 1;
	EVP_MD_CTX_free(c);
	if (!ok)
		return HD_ECRYPTO;
	snprintf(out, MON_REQUEST_ID_MAX + 1,
	    "m-%s-%llu-%02x%02x%02x%02x%02x%02x", run_id,
	    (unsigned long long)line, md[0], md[1], md[2], md[3], md[4],
	    md[5]);
	return HD_OK;
}
