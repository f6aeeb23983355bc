/* SPDX-License-Identifier: MIT */
#include "pb_arena.h"

#include <stdalign.h>
#include <stdlib.h>

struct pb_arena_block {
	pb_arena_block *next;
	alignas(max_align_t) uint8_t data[];
};

static void *pb_arena_alloc(void *data, size_t size)
{
	pb_arena *a = data;
	const size_t align = alignof(max_align_t);
	size = (size + align - 1) & ~(align - 1);
	if (size == 0)
		size = align;
	if (a->cur == NULL || (size_t)(a->end - a->cur) < size) {
		size_t want = a->next_size > size ? a->next_size : size;
		pb_arena_block *b = malloc(sizeof *b + want);
		if (b == NULL)
			return NULL;
		b->next = a->blocks;
		a->blocks = b;
		a->cur = b->data;
		a->end = b->data + want;
		/* Each block twice the last, up to 1 MiB. */
		if (a->next_size < (1u << 20))
			a->next_size *= 2;
	}
	void *p = a->cur;
	a->cur += size;
	return p;
}

static void pb_arena_free_one(void *data, void *p)
{
	(void)data;
	(void)p; /* all at once, in pb_arena_release */
}

void pb_arena_init(pb_arena *a, size_t first)
{
	a->allocator.alloc = pb_arena_alloc;
	a->allocator.free = pb_arena_free_one;
	a->allocator.allocator_data = a;
	a->blocks = NULL;
	a->cur = a->end = NULL;
	a->next_size = first > 0 ? first : 4096;
}

void pb_arena_release(pb_arena *a)
{
	while (a->blocks != NULL) {
		pb_arena_block *b = a->blocks;
		a->blocks = b->next;
		free(b);
	}
	a->cur = a->end = NULL;
}
