/* SPDX-License-Identifier: MIT */
/*
 * verify_policy: the regions' parameters, resolved from the policy book
 * once per region rather than once per household. policy_book_resolve
 * hashes the canonical parameters into their version on every call
 * (SHA-256 of their text): for a batch of one county, the same answer
 * 256 times, and as many instructions as the rest of a household's rules.
 * The book never changes while heduid runs, so neither do the answers.
 */
#ifndef HEDUI_VERIFY_POLICY_H
#define HEDUI_VERIFY_POLICY_H

#include "policy.h"

typedef struct verify_policy_cache verify_policy_cache;

/* book is borrowed and must outlive the cache. NULL when out of memory. */
verify_policy_cache *verify_policy_cache_alloc(const policy_book *book);
void verify_policy_cache_free(verify_policy_cache *c); /* accepts NULL */

/* policy_book_resolve's answer for (region, as_of), from the cache when
 * it has it: a batch or a monitoring run shares one as_of. Thread-safe. */
hd_err verify_policy_resolve(verify_policy_cache *c, const char *region_code,
    idnum_date as_of, policy_params *out,
    char version[POLICY_VERSION_SIZE]);

#endif
