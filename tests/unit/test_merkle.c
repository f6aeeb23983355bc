/* SPDX-License-Identifier: MIT */
/*
 * merkle: RFC 6962's known answers (the Certificate Transparency test
 * leaves), the level-by-level tree against the recursive definition of
 * MTH and PATH for every size up to 140 and around powers of two, every
 * path checked back to its root, and paths that do not fit (another
 * index of the same tree, wrong lengths, an index past the end) refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"

static void hex(const char *h, merkle_hash out)
{
	for (int i = 0; i < MERKLE_HASH_LEN; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

/* RFC 6962's MTH, as written there. */
static void ref_mth(const merkle_hash *l, size_t n, merkle_hash out)
{
	if (n == 1) {
		memcpy(out, l[0], MERKLE_HASH_LEN);
		return;
	}
	size_t k = 1;
	while (k * 2 < n)
		k *= 2;
	merkle_hash a, b;
	ref_mth(l, k, a);
	ref_mth(l + k, n - k, b);
	merkle_node(a, b, out);
}

/* RFC 6962's PATH(m, D[n]); returns its length. */
static size_t ref_path(
    size_t m, const merkle_hash *l, size_t n, merkle_hash *out)
{
	if (n == 1)
		return 0;
	size_t k = 1;
	while (k * 2 < n)
		k *= 2;
	size_t len;
	if (m < k) {
		len = ref_path(m, l, k, out);
		ref_mth(l + k, n - k, out[len]);
	} else {
		len = ref_path(m - k, l + k, n - k, out);
		ref_mth(l, k, out[len]);
	}
	return len + 1;
}

static merkle_hash *leaves_of(size_t n)
{
	merkle_hash *l = malloc(n * sizeof *l);
	for (size_t i = 0; i < n; i++) {
		uint8_t data[8];
		memcpy(data, &i, sizeof data);
		merkle_leaf(data, sizeof data, l[i]);
	}
	return l;
}

/* The CT test leaves and the roots of their first 1 to 8. */
static void rfc6962_known_answers(void **state)
{
	(void)state;
	static const char *const data[8] = {"", "00", "10", "2021", "3031",
	    "40414243", "5051525354555657",
	    "606162636465666768696a6b6c6d6e6f"};
	static const char *const roots[8] = {
	    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	};
	merkle_hash leaves[8];
	for (int i = 0; i < 8; i++) {
		uint8_t bytes[16];
		size_t len = strlen(data[i]) / 2;
		for (size_t j = 0; j < len; j++) {
			unsigned v;
			sscanf(data[i] + 2 * j, "%2x", &v);
			bytes[j] = (uint8_t)v;
		}
		merkle_leaf(bytes, len, leaves[i]);
	}
	for (size_t n = 1; n <= 8; n++) {
		merkle_tree *t = merkle_tree_build(leaves, n);
		assert_non_null(t);
		merkle_hash root, want;
		merkle_tree_root(t, root);
		hex(roots[n - 1], want);
		assert_memory_equal(root, want, MERKLE_HASH_LEN);
		merkle_tree_free(t);
	}
}

static void check_size(size_t n)
{
	merkle_hash *l = leaves_of(n);
	merkle_tree *t = merkle_tree_build(l, n);
	assert_non_null(t);
	merkle_hash root, want, got;
	merkle_tree_root(t, root);
	ref_mth(l, n, want);
	assert_memory_equal(root, want, MERKLE_HASH_LEN);
	merkle_hash path[MERKLE_MAX_PATH], rpath[MERKLE_MAX_PATH];
	/* Every leaf of the small trees; of the large, a sample with the
	 * first and last (the reference recomputes subtrees per path). */
	size_t step = n <= 140 ? 1 : 13;
	for (size_t i = 0; i < n;
	     i = i + step < n || i == n - 1 ? i + step : n - 1) {
		size_t len = merkle_tree_path(t, i, path);
		size_t rlen = ref_path(i, l, n, rpath);
		assert_int_equal(len, rlen);
		assert_memory_equal(path, rpath, len * MERKLE_HASH_LEN);
		assert_true(merkle_path_root(i, n, l[i], path, len, got));
		assert_memory_equal(got, root, MERKLE_HASH_LEN);
	}
	merkle_tree_free(t);
	free(l);
}

static void same_as_the_rfc_definition(void **state)
{
	(void)state;
	for (size_t n = 1; n <= 140; n++)
		check_size(n);
	static const size_t more[] = {255, 256, 257, 511, 512, 513, 1000};
	for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
		check_size(more[i]);
}

/* For one tree size, a leaf's path leads to the root from its own index
 * only; and never past the end, nor with a path cut or lengthened. */
static void paths_that_do_not_fit(void **state)
{
	(void)state;
	for (size_t n = 1; n <= 64; n++) {
		merkle_hash *l = leaves_of(n);
		merkle_tree *t = merkle_tree_build(l, n);
		merkle_hash root, got, path[MERKLE_MAX_PATH + 1];
		merkle_tree_root(t, root);
		for (size_t i = 0; i < n; i++) {
			size_t len = merkle_tree_path(t, i, path);
			for (size_t j = 0; j < n; j++)
				if (j != i && merkle_path_root(
				                  j, n, l[i], path, len, got))
					assert_memory_not_equal(
					    got, root, MERKLE_HASH_LEN);
			assert_false(
			    merkle_path_root(n, n, l[i], path, len, got));
			assert_false(merkle_path_root(
			    i + (1ULL << 40), n, l[i], path, len, got));
			if (len > 0)
				assert_false(merkle_path_root(
				    i, n, l[i], path, len - 1, got));
			memcpy(path[len], root, MERKLE_HASH_LEN);
			assert_false(
			    merkle_path_root(i, n, l[i], path, len + 1, got));
		}
		merkle_tree_free(t);
		free(l);
	}
	merkle_hash leaf = {0}, got;
	assert_false(merkle_path_root(0, 0, leaf, NULL, 0, got));
	assert_null(merkle_tree_build(&leaf, 0));
}

/* The prefixes: a leaf over the 64 bytes of two hashes is not their
 * node. */
static void leaves_and_nodes_differ(void **state)
{
	(void)state;
	merkle_hash a, b, node, leaf;
	memset(a, 1, sizeof a);
	memset(b, 2, sizeof b);
	merkle_node(a, b, node);
	uint8_t both[64];
	memcpy(both, a, 32);
	memcpy(both + 32, b, 32);
	merkle_leaf(both, sizeof both, leaf);
	assert_memory_not_equal(node, leaf, MERKLE_HASH_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rfc6962_known_answers),
	    cmocka_unit_test(same_as_the_rfc_definition),
	    cmocka_unit_test(paths_that_do_not_fit),
	    cmocka_unit_test(leaves_and_nodes_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
