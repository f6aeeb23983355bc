/* SPDX-License-Identifier: MIT */
#include "verify_policy.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Direct-mapped: a county's slot may be taken by another one, which
 * then costs a resolve; there are a few thousand counties. */
#define VERIFY_POLICY_SLOTS 256

typedef struct verify_policy_entry {
	bool used;
	char region[8];
	idnum_date as_of;
	policy_params params;
	char version[POLICY_VERSION_SIZE];
} verify_policy_entry;

struct verify_policy_cache {
	const policy_book *book;
	pthread_mutex_t mu;
	verify_policy_entry slots[VERIFY_POLICY_SLOTS];
};

verify_policy_cache *verify_policy_cache_alloc(const policy_book *book)
{
	verify_policy_cache *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->book = book;
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void verify_policy_cache_free(verify_policy_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static size_t verify_policy_slot(const char *region, idnum_date as_of)
{
	uint32_t h = 2166136261u;
	for (const char *p = region; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ (uint32_t)as_of) * 16777619u;
	return h % VERIFY_POLICY_SLOTS;
}

hd_err verify_policy_resolve(verify_policy_cache *c, const char *region_code,
    idnum_date as_of, policy_params *out, char version[POLICY_VERSION_SIZE])
{
	/* Only what the book would accept is cached (6 digits). */
	if (strlen(region_code) != 6)
		return policy_book_resolve(
		    c->book, region_code, as_of, out, version);
	verify_policy_entry *e =
	    &c->slots[verify_policy_slot(region_code, as_of)];
	pthread_mutex_lock(&c->mu);
	if (e->used && strcmp(e->region, region_code) == 0 &&
	    e->as_of == as_of) {
		*out = e->params;
		memcpy(version, e->version, POLICY_VERSION_SIZE);
		pthread_mutex_unlock(&c->mu);
		return HD_OK;
	}
	pthread_mutex_unlock(&c->mu);
	verify_policy_entry fresh = {.used = true, .as_of = as_of};
	hd_err err = policy_book_resolve(
	    c->book, region_code, as_of, &fresh.params, fresh.version);
	if (err != HD_OK)
		return err;
	memcpy(fresh.region, region_code, 7);
	*out = fresh.params;
	memcpy(version, fresh.version, POLICY_VERSION_SIZE);
	pthread_mutex_lock(&c->mu);
	*e = fresh;
	pthread_mutex_unlock(&c->mu);
	return HD_OK;
}
