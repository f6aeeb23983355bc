/* SPDX-License-Identifier: MIT */
#include "merkle.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sig_ctx.h"

struct merkle_tree {
	size_t nlevels;
	size_t len[MERKLE_MAX_PATH + 1];         /* hashes per level */
	merkle_hash *level[MERKLE_MAX_PATH + 1]; /* level[0]: the leaves */
	merkle_hash *mem;
};

/* SHA-256 of prefix || a || b (b may be NULL). */
static void merkle_hash3(uint8_t prefix, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, merkle_hash out)
{
	EVP_MD_CTX *md = sig_ctx_sha256_ctx();
	unsigned int n = 0;
	if (md == NULL || EVP_DigestUpdate(md, &prefix, 1) != 1 ||
	    EVP_DigestUpdate(md, a, alen) != 1 ||
	    (b != NULL && EVP_DigestUpdate(md, b, blen) != 1) ||
	    EVP_DigestFinal_ex(md, out, &n) != 1 || n != MERKLE_HASH_LEN)
		/* Only out of memory gets here: a hash no tree has, so that
		 * no proof can ever check against it. */
		memset(out, 0xff, MERKLE_HASH_LEN);
	EVP_MD_CTX_free(md);
}

void merkle_leaf(const uint8_t *data, size_t len, merkle_hash out)
{
	merkle_hash3(0x00, data, len, NULL, 0, out);
}

void merkle_node(
    const merkle_hash left, const merkle_hash right, merkle_hash out)
{
	merkle_hash3(0x01, left, MERKLE_HASH_LEN, right, MERKLE_HASH_LEN, out);
}

merkle_tree *merkle_tree_build(const merkle_hash *leaves, size_t n)
{
	if (n == 0)
		return NULL;
	merkle_tree *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	/* Each level holds half the one below, rounded up: less than
	 * 2n + one per level in all. */
	if ((t->mem = malloc((2 * n + MERKLE_MAX_PATH) * sizeof *t->mem)) ==
	    NULL) {
		free(t);
		return NULL;
	}
	memcpy(t->mem, leaves, n * sizeof *t->mem);
	t->level[0] = t->mem;
	t->len[0] = n;
	t->nlevels = 1;
	merkle_hash *next = t->mem + n;
	while (t->len[t->nlevels - 1] > 1) {
		size_t k = t->nlevels - 1, m = t->len[k];
		merkle_hash *up = next;
		for (size_t i = 0; i + 1 < m; i += 2)
			merkle_node(
			    t->level[k][i], t->level[k][i + 1], up[i / 2]);
		/* An odd last node goes up as it is: RFC 6962 splits at the
		 * largest power of two, so it is the right subtree's root on
		 * every level until it meets a sibling. */
		if (m % 2 == 1)
			memcpy(up[m / 2], t->level[k][m - 1], MERKLE_HASH_LEN);
		t->level[k + 1] = up;
		t->len[k + 1] = (m + 1) / 2;
		t->nlevels++;
		next += t->len[k + 1];
	}
	return t;
}

void merkle_tree_free(merkle_tree *t)
{
	if (t == NULL)
		return;
	free(t->mem);
	free(t);
}

void merkle_tree_root(const merkle_tree *t, merkle_hash out)
{
	memcpy(out, t->level[t->nlevels - 1][0], MERKLE_HASH_LEN);
}

size_t merkle_tree_path(const merkle_tree *t, size_t index, merkle_hash *path)
{
	size_t n = 0;
	for (size_t k = 0; k + 1 < t->nlevels; k++) {
		size_t sib = index ^ 1;
		/* No sibling: the node is carried up, nothing to add. */
		if (sib < t->len[k])
			memcpy(path[n++], t->level[k][sib], MERKLE_HASH_LEN);
		index >>= 1;
	}
	return n;
}

bool merkle_path_root(uint64_t index, uint64_t size, const merkle_hash leaf,
    const merkle_hash *path, size_t path_len, merkle_hash root)
{
	if (index >= size || path_len > MERKLE_MAX_PATH)
		return false;
	uint64_t fn = index, sn = size - 1;
	merkle_hash r;
	memcpy(r, leaf, MERKLE_HASH_LEN);
	for (size_t i = 0; i < path_len; i++) {
		if (sn == 0)
			return false; /* a path longer than the tree is high */
		if ((fn & 1) == 1 || fn == sn) {
			merkle_node(path[i], r, r);
			/* Up past the levels where this node has no right
			 * sibling (it was carried up). */
			if ((fn & 1) == 0)
				while ((fn & 1) == 0 && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			merkle_node(r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return false; /* a path shorter than the tree is high */
	memcpy(root, r, MERKLE_HASH_LEN);
	return true;
}
