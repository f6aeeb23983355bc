/* SPDX-License-Identifier: MIT */
/*
 * verify_pool: recycled blocks for the large per-request structures of a
 * verification (the household facts alone are ~92 KiB).
 *
 * malloc/calloc of blocks that size, zeroing them and giving them back to
 * the kernel (madvise, then page faults on the next request) took ~15% of
 * heduid's CPU under load. A pool keeps up to max_free blocks of one size
 * on a free list; blocks come back uninitialised.
 */
#ifndef HEDUI_VERIFY_POOL_H
#define HEDUI_VERIFY_POOL_H

#include <stddef.h>

typedef struct verify_pool verify_pool;

/* NULL when out of memory. */
verify_pool *verify_pool_alloc(size_t block_size, int max_free);
void verify_pool_free(
    verify_pool *p); /* accepts NULL; blocks all given back */

/* A block of block_size bytes, not zeroed; NULL when out of memory. */
void *verify_pool_take(verify_pool *p);
/* Returns a block from verify_pool_take; accepts NULL. */
void verify_pool_give(verify_pool *p, void *block);

#endif
