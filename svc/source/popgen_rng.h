/* SPDX-License-Identifier: MIT */
/*
 * popgen_rng: the generator's random numbers. xoshiro256** (Blackman and
 * Vigna) seeded through splitmix64, integers only, so that a seed means
 * the same stream everywhere. Internal to popgen.
 */
#ifndef HEDUI_POPGEN_RNG_H
#define HEDUI_POPGEN_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pg_rng {
	uint64_t s[4];
} pg_rng;

static inline uint64_t pg_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void pg_seed(pg_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = pg_splitmix64(&seed);
}

static inline uint64_t pg_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t pg_next(pg_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = pg_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = pg_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n), n > 0. The modulo bias (below 2^-40 for our n) does
 * not matter for synthetic people, and it is the same everywhere. */
static inline uint64_t pg_below(pg_rng *r, uint64_t n)
{
	return pg_next(r) % n;
}

/* Uniform in [lo, hi]. */
static inline int64_t pg_range(pg_rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)pg_below(r, (uint64_t)(hi - lo) + 1);
}

/* True with probability permille / 1000. */
static inline bool pg_chance(pg_rng *r, int permille)
{
	return (int)pg_below(r, 1000) < permille;
}

/* A weighted choice among brackets: weights in permille (they need not
 * sum to 1000: the rest is "none", index -1), then uniform in the
 * bracket. */
typedef struct pg_bracket {
	int permille;
	int64_t lo, hi;
} pg_bracket;

static inline int pg_pick(
    pg_rng *r, const pg_bracket *b, size_t n, int64_t *value)
{
	int x = (int)pg_below(r, 1000);
	for (size_t i = 0; i < n; i++) {
		if (x < b[i].permille) {
			*value = pg_range(r, b[i].lo, b[i].hi);
			return (int)i;
		}
		x -= b[i].permille;
	}
	*value = 0;
	return -1;
}

#endif
