/* SPDX-License-Identifier: MIT */
#include "audit_chain.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

/* Each field as an 8-byte big-endian length and its bytes: no two
 * different records serialize alike. */
static void audit_feed(EVP_MAC_CTX *c, const void *p, size_t len)
{
	uint8_t n[8];
	for (int i = 0; i < 8; i++)
		n[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	EVP_MAC_update(c, n, sizeof n);
	if (len > 0)
		EVP_MAC_update(c, p, len);
}

static void audit_feed_str(EVP_MAC_CTX *c, const char *s)
{
	if (s == NULL)
		s = "";
	audit_feed(c, s, strlen(s));
}

/* In decimal, as "%lld" writes it. */
static void audit_feed_int(EVP_MAC_CTX *c, int64_t v)
{
	char buf[24];
	size_t n = sizeof buf;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		buf[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		buf[--n] = '-';
	audit_feed(c, buf + n, sizeof buf - n);
}

struct audit_key {
	EVP_MAC_CTX *tmpl; /* HMAC-SHA256 with the key set */
};

static EVP_MAC_CTX *audit_mac_new(const uint8_t *key, size_t keylen)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	if (c == NULL)
		return NULL;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	/* HMAC with an empty key is still well defined. */
	static const uint8_t nokey[1] = {0};
	if (EVP_MAC_init(c, keylen > 0 ? key : nokey, keylen, params) != 1) {
		EVP_MAC_CTX_free(c);
		return NULL;
	}
	return c;
}

static void audit_mac_final(EVP_MAC_CTX *c, uint8_t out[AUDIT_HASH_LEN])
{
	size_t n = 0;
	if (c == NULL || EVP_MAC_final(c, out, &n, AUDIT_HASH_LEN) != 1 ||
	    n != AUDIT_HASH_LEN)
		memset(out, 0, AUDIT_HASH_LEN);
	EVP_MAC_CTX_free(c);
}

audit_key *audit_key_new(const uint8_t *key, size_t keylen)
{
	audit_key *k = calloc(1, sizeof *k);
	if (k != NULL && (k->tmpl = audit_mac_new(key, keylen)) == NULL) {
		free(k);
		k = NULL;
	}
	return k;
}

void audit_key_free(audit_key *k)
{
	if (k == NULL)
		return;
	EVP_MAC_CTX_free(k->tmpl);
	free(k);
}

/* A fresh context of the key: a copy of the template, not a new fetch
 * and key set-up (which cost as much as the rest of a verification's
 * hashing). */
static EVP_MAC_CTX *audit_key_ctx(const audit_key *k)
{
	return EVP_MAC_CTX_dup(k->tmpl);
}

static void audit_record_feed(EVP_MAC_CTX *c, const audit_record *r)
{
	audit_feed_str(c, "hedui-audit-v1");
	audit_feed(c, r->prev, AUDIT_HASH_LEN);
	audit_feed_int(c, r->seq);
	audit_feed_int(c, r->time_ms);
	audit_feed_str(c, r->agency);
	audit_feed_str(c, r->operator_id);
	audit_feed_str(c, r->case_id);
	audit_feed_str(c, r->method);
	audit_feed_str(c, r->report_id);
	audit_feed_str(c, r->persons);
	audit_feed_int(c, r->outcome);
	bool summary = r->count > 1 ||
	               (r->peer != NULL && r->peer[0] != '\0') ||
	               (r->reason != NULL && r->reason[0] != '\0');
	if (summary) {
		/* Appended, and tagged: a record without them serializes
		 * as it always did. */
		audit_feed_str(c, "summary");
		audit_feed_int(c, r->count);
		audit_feed_str(c, r->peer);
		audit_feed_str(c, r->reason);
	}
	/* The consents a verification relied on (issue 15), likewise
	 * appended and tagged only when there are any. */
	if (r->consents != NULL && r->consents[0] != '\0') {
		audit_feed_str(c, "consents");
		audit_feed_str(c, r->consents);
	}
}

void audit_chain_hash_k(
    const audit_key *k, const audit_record *r, uint8_t out[AUDIT_HASH_LEN])
{
	EVP_MAC_CTX *c = audit_key_ctx(k);
	if (c != NULL)
		audit_record_feed(c, r);
	audit_mac_final(c, out);
}

static void audit_hex(
    const uint8_t h[AUDIT_HASH_LEN], char out[AUDIT_PERSON_HEX])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < AUDIT_HASH_LEN; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[2 * AUDIT_HASH_LEN] = '\0';
}

void audit_person_hash_k(
    const audit_key *k, const char *id_number, char out[AUDIT_PERSON_HEX])
{
	uint8_t h[AUDIT_HASH_LEN];
	EVP_MAC_CTX *c = audit_key_ctx(k);
	if (c != NULL)
		EVP_MAC_update(
		    c, (const uint8_t *)id_number, strlen(id_number));
	audit_mac_final(c, h);
	audit_hex(h, out);
}

void audit_chain_hash(const uint8_t *key, size_t keylen, const audit_record *r,
    uint8_t out[AUDIT_HASH_LEN])
{
	EVP_MAC_CTX *c = audit_mac_new(key, keylen);
	if (c != NULL)
		audit_record_feed(c, r);
	audit_mac_final(c, out);
}

void audit_person_hash(const uint8_t *key, size_t keylen,
    const char *id_number, char out[AUDIT_PERSON_HEX])
{
	uint8_t h[AUDIT_HASH_LEN];
	EVP_MAC_CTX *c = audit_mac_new(key, keylen);
	if (c != NULL)
		EVP_MAC_update(
		    c, (const uint8_t *)id_number, strlen(id_number));
	audit_mac_final(c, h);
	audit_hex(h, out);
}

void audit_walk_init(audit_walk *w, const uint8_t *key, size_t keylen)
{
	memset(w, 0, sizeof *w);
	w->key = key;
	w->keylen = keylen;
	w->expect_seq = 1;
}

bool audit_walk_next(
    audit_walk *w, const audit_record *r, char *why, size_t whylen)
{
	uint8_t h[AUDIT_HASH_LEN];
	if (r->seq != w->expect_seq) {
		if (r->seq > w->expect_seq)
			snprintf(why, whylen,
			    "record %lld is missing (deleted): the chain "
			    "goes on at record %lld",
			    (long long)w->expect_seq, (long long)r->seq);
		else
			snprintf(why, whylen,
			    "record %lld appears out of order after record "
			    "%lld",
			    (long long)r->seq, (long long)w->expect_seq - 1);
		return false;
	}
	if (memcmp(r->prev, w->last, AUDIT_HASH_LEN) != 0) {
		snprintf(why, whylen,
		    "record %lld does not follow record %lld (a record was "
		    "deleted, reordered or replaced)",
		    (long long)r->seq, (long long)r->seq - 1);
		return false;
	}
	audit_chain_hash(w->key, w->keylen, r, h);
	if (memcmp(h, r->hash, AUDIT_HASH_LEN) != 0) {
		snprintf(why, whylen,
		    "record %lld was altered (its hash does not match its "
		    "contents, or the key is wrong)",
		    (long long)r->seq);
		return false;
	}
	memcpy(w->last, r->hash, AUDIT_HASH_LEN);
	w->expect_seq++;
	return true;
}
