/* SPDX-License-Identifier: MIT */
#include "verify_pool.h"

#include <pthread.h>
#include <stdlib.h>

/* A free block holds the link to the next one. */
typedef struct verify_pool_block {
	struct verify_pool_block *next;
} verify_pool_block;

struct verify_pool {
	pthread_mutex_t mu;
	size_t size;
	int max_free;
	int nfree;
	verify_pool_block *free_list;
};

verify_pool *verify_pool_alloc(size_t block_size, int max_free)
{
	verify_pool *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	p->size = block_size < sizeof(verify_pool_block)
	              ? sizeof(verify_pool_block)
	              : block_size;
	p->max_free = max_free;
	return p;
}

void verify_pool_free(verify_pool *p)
{
	if (p == NULL)
		return;
	while (p->free_list != NULL) {
		verify_pool_block *b = p->free_list;
		p->free_list = b->next;
		free(b);
	}
	pthread_mutex_destroy(&p->mu);
	free(p);
}

void *verify_pool_take(verify_pool *p)
{
	pthread_mutex_lock(&p->mu);
	verify_pool_block *b = p->free_list;
	if (b != NULL) {
		p->free_list = b->next;
		p->nfree--;
	}
	pthread_mutex_unlock(&p->mu);
	return b != NULL ? (void *)b : malloc(p->size);
}

void verify_pool_give(verify_pool *p, void *block)
{
	if (block == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	if (p->nfree < p->max_free) {
		verify_pool_block *b = block;
		b->next = p->free_list;
		p->free_list = b;
		p->nfree++;
		block = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	free(block);
}
