/* SPDX-License-Identifier: MIT */
/*
 * merkle: hash trees over SHA-256 as RFC 6962 (Certificate Transparency)
 * defines them, section 2.1:
 *
 *   leaf hash   SHA-256(0x00 || data)
 *   node hash   SHA-256(0x01 || left || right)
 *   MTH(D[n])   for n > 1, k the largest power of two smaller than n:
 *               node(MTH(D[0:k]), MTH(D[k:n]))
 *
 * The prefixes keep a leaf from passing for a node (second preimages).
 * The audit path of a leaf lists, from the bottom up, the hash of each
 * sibling subtree on its way to the root: RFC 6962's PATH(m, D[n]).
 *
 * Building works level by level (pairs left to right, an odd last node
 * carried up unchanged), which gives RFC 6962's tree for every n
 * (tests/unit/test_merkle.c compares with the recursive definition).
 */
#ifndef HEDUI_MERKLE_H
#define HEDUI_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN 32
/* A path is at most 64 hashes long: trees of up to 2^64 leaves. */
#define MERKLE_MAX_PATH 64

typedef uint8_t merkle_hash[MERKLE_HASH_LEN];

void merkle_leaf(const uint8_t *data, size_t len, merkle_hash out);
void merkle_node(
    const merkle_hash left, const merkle_hash right, merkle_hash out);

/* A built tree: every level's hashes. */
typedef struct merkle_tree merkle_tree;

/* The tree over n >= 1 leaf hashes (copied); NULL when out of memory or
 * n is 0. */
merkle_tree *merkle_tree_build(const merkle_hash *leaves, size_t n);
void merkle_tree_free(merkle_tree *t); /* accepts NULL */
void merkle_tree_root(const merkle_tree *t, merkle_hash out);
/* The audit path of leaf index (< n) into path (MERKLE_MAX_PATH room);
 * returns its length (0 for a tree of one leaf). */
size_t merkle_tree_path(const merkle_tree *t, size_t index, merkle_hash *path);

/*
 * The root that a leaf hash, its index, the tree size and its audit path
 * lead to (RFC 9162, 2.1.3.2): false when the path cannot be that of
 * leaf index in a tree of that size (index >= size, a path too short or
 * too long). A true result proves nothing until the root is compared
 * with a trusted one.
 */
bool merkle_path_root(uint64_t index, uint64_t size, const merkle_hash leaf,
    const merkle_hash *path, size_t path_len, merkle_hash root);

#endif
