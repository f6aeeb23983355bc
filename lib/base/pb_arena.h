/* SPDX-License-Identifier: MIT */
/*
 * pb_arena: a protobuf-c allocator that hands out memory from a few large
 * blocks and frees them all at once.
 *
 * A source's answer to a batched lookup decodes into a thousand small
 * objects (each person's facts, header, strings, lists); malloc and free
 * of each were a quarter of heduid's CPU in a batch. Decoded into an
 * arena, they cost a bump of a pointer, and go back in one free per
 * block. Memory is not reused before pb_arena_release: for messages that
 * are decoded, read and dropped.
 */
#ifndef HEDUI_PB_ARENA_H
#define HEDUI_PB_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

typedef struct pb_arena_block pb_arena_block;

typedef struct pb_arena {
	ProtobufCAllocator allocator; /* give &allocator to protobuf-c */
	pb_arena_block *blocks;
	uint8_t *cur, *end;
	size_t next_size;
} pb_arena;

/* first: the size of the first block (allocated when first needed). */
void pb_arena_init(pb_arena *a, size_t first);
/* Frees every block; the arena can be used again. */
void pb_arena_release(pb_arena *a);

#endif
