// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * khofmt_map (khofmt-map.h): every cell count equals an independent
 * brute-force count, byte by byte over each cell, on seeded random states
 * of small maps (ranges touching one cell, many cells, the edges, outside
 * the map, reaching 2^64), plus hand-made cases and the argument checks.
 */
#include "testutil.h"

/* xorshift64*: deterministic, no libc rand() state. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * U64(0x2545F4914F6CDD1D);
}

#define MAXR 64

struct rr {
	unsigned layer;
	uint64_t start, size;
};

/* Bytes of [start, start + size) (cut at 2^64) inside [lo, lo + len). */
static uint64_t brute(uint64_t start, uint64_t size, uint64_t lo, uint64_t len)
{
	uint64_t n = 0, b;

	/* one byte at a time: slow and obviously right (cells are small) */
	for (b = lo; b - lo < len; b++)
		if (b >= start && b - start < size)
			n++;
	return n;
}

static int random_case(uint64_t seed)
{
	uint64_t s = seed * U64(0x9E3779B97F4A7C15) + 1;
	uint64_t cell = 1 + rnd(&s) % 64;
	size_t ncells = 1 + (size_t)(rnd(&s) % 40), i;
	unsigned nlayers = 1 + (unsigned)(rnd(&s) % 4), l;
	/* near 0, in the middle, or so that the map ends at 2^64 */
	uint64_t start = rnd(&s) % 3 == 0 ? 0 :
			 rnd(&s) % 2 ? U64(1) << 40 : 0 - cell * ncells;
	uint64_t span = cell * ncells;
	struct rr r[MAXR];
	unsigned nr = 1 + (unsigned)(rnd(&s) % MAXR), k;
	struct khofmt_map *m;
	uint64_t tot[4] = { 0, 0, 0, 0 };
	int bad = 0;

	if (khofmt_map_new(start, cell, ncells, nlayers, &m) < 0)
		return -1;
	for (k = 0; k < nr; k++) {
		r[k].layer = (unsigned)(rnd(&s) % nlayers);
		/* from a little before the map to a little after it */
		r[k].start = start - cell * 3 + rnd(&s) % (span + cell * 6);
		r[k].size = rnd(&s) % 4 == 0 ? UINT64_MAX - rnd(&s) % 5 :
			    rnd(&s) % (span + 2 * cell);
		if (khofmt_map_add(m, r[k].layer, r[k].start, r[k].size) < 0)
			bad++;
	}
	khofmt_map_finish(m);
	for (i = 0; i < ncells; i++) {
		for (l = 0; l < nlayers; l++) {
			uint64_t want = 0;

			for (k = 0; k < nr; k++) {
				uint64_t sz = r[k].size;

				if (r[k].layer != l)
					continue;
				/* the range stops at 2^64 - 1 */
				if (sz && r[k].start + (sz - 1) < r[k].start)
					sz = 0 - r[k].start;
				want += brute(r[k].start, sz, start + i * cell, cell);
			}
			tot[l] += want;
			if (khofmt_map_get(m, i, l) != want) {
				if (!bad)
					diag("seed %" PRIu64 " cell %zu layer %u: got %" PRIu64
					     " want %" PRIu64, seed, i, l,
					     khofmt_map_get(m, i, l), want);
				bad++;
			}
		}
	}
	for (l = 0; l < nlayers; l++)
		if (khofmt_map_total(m, l) != tot[l])
			bad++;
	khofmt_map_free(m);
	return bad;
}

int main(void)
{
	struct khofmt_map *m = NULL;
	unsigned seed, fails = 0;

	/* hand-made: 4 cells of 0x1000 at 0x10000 */
	ok(khofmt_map_new(0x10000, 0x1000, 4, 2, &m) == 0, "new");
	ok(khofmt_map_add(m, 0, 0x10800, 0x2000) == 0, "add over three cells");
	ok(khofmt_map_add(m, 1, 0, 0x10001) == 0, "add ending one byte in");
	ok(khofmt_map_add(m, 1, 0x13fff, UINT64_MAX) == 0, "add to 2^64");
	ok(khofmt_map_add(m, 2, 0, 1) == -KHOFMT_ERR_INVAL, "bad layer");
	is_u64(khofmt_map_total(m, 0), 0x2000, "total before finish");
	ok(khofmt_map_finish(m) == 0, "finish");
	ok(khofmt_map_add(m, 0, 0, 1) == -KHOFMT_ERR_INVAL, "no add after finish");
	is_u64(khofmt_map_get(m, 0, 0), 0x800, "cell 0: half");
	is_u64(khofmt_map_get(m, 1, 0), 0x1000, "cell 1: full");
	is_u64(khofmt_map_get(m, 2, 0), 0x800, "cell 2: half");
	is_u64(khofmt_map_get(m, 3, 0), 0, "cell 3: none");
	is_u64(khofmt_map_get(m, 0, 1), 1, "layer 1 cell 0: one byte");
	is_u64(khofmt_map_get(m, 3, 1), 1, "layer 1 cell 3: the last byte");
	is_u64(khofmt_map_get(m, 4, 0), 0, "index out of range: 0");
	khofmt_map_free(m);

	/* a full-cell run across a huge span: O(1), no per-cell work */
	ok(khofmt_map_new(0, U64(1) << 40, 1024, 1, &m) == 0, "1 PiB map");
	ok(khofmt_map_add(m, 0, (U64(1) << 40) + 5, U64(1) << 49) == 0, "512 TiB range");
	khofmt_map_finish(m);
	is_u64(khofmt_map_get(m, 1, 0), (U64(1) << 40) - 5, "first cell partial");
	is_u64(khofmt_map_get(m, 300, 0), U64(1) << 40, "middle cell full");
	is_u64(khofmt_map_get(m, 513, 0), 5, "last cell: five bytes");
	is_u64(khofmt_map_total(m, 0), U64(1) << 49, "total exact");
	khofmt_map_free(m);

	/* arguments */
	ok(khofmt_map_new(0, 0, 4, 1, &m) == -KHOFMT_ERR_INVAL && !m, "cell 0");
	ok(khofmt_map_new(0, 1, 0, 1, &m) == -KHOFMT_ERR_INVAL, "no cells");
	ok(khofmt_map_new(0, 1, KHOFMT_MAP_MAX_CELLS + 1, 1, &m) == -KHOFMT_ERR_INVAL,
	   "too many cells");
	ok(khofmt_map_new(0, 1, 4, 0, &m) == -KHOFMT_ERR_INVAL, "no layers");
	ok(khofmt_map_new(0, 1, 4, KHOFMT_MAP_MAX_LAYERS + 1, &m) == -KHOFMT_ERR_INVAL,
	   "too many layers");
	ok(khofmt_map_new(UINT64_MAX - 10, 4, 4, 1, &m) == -KHOFMT_ERR_INVAL,
	   "map past 2^64");
	ok(khofmt_map_new(0 - U64(16), 4, 4, 1, &m) == 0, "map ending at 2^64");
	khofmt_map_free(m);
	ok(khofmt_map_add(NULL, 0, 0, 1) == -KHOFMT_ERR_INVAL, "NULL map");
	is_u64(khofmt_map_get(NULL, 0, 0), 0, "get on NULL");

	/* seeded random states against the byte-by-byte count */
	for (seed = 1; seed <= 400; seed++)
		if (random_case(seed))
			fails++;
	ok(fails == 0, "400 random maps: every cell = the brute-force count");
	return done_testing();
}
