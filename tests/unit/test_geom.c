// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Radix geometry and key encoding against doc/ABI.md 4.1.1 (constants
 * table) and 4.1.5 (worked examples). The expected numbers are copied
 * from the spec, not computed by the code under test.
 */
#include "testutil.h"

/* Table index at level L (>= 1) / leaf bit, per doc/ABI.md 4.1.3. */
static uint64_t spec_index(unsigned ps, uint64_t key, unsigned level)
{
	unsigned tbl = ps - 3, leaf = ps + 3;

	if (level == 0)
		return key & ((U64(1) << leaf) - 1);
	return (key >> ((level - 1) * tbl + leaf)) & ((U64(1) << tbl) - 1);
}

struct example {
	const char *what;
	uint64_t phys;
	unsigned order;
	uint64_t key;
	unsigned idx[6]; /* L5 L4 L3 L2 L1 leaf-bit */
};

/* doc/ABI.md 4.1.5, PS = 12 */
static const struct example examples[] = {
	{ "2 MiB folio, order 9", U64(0x140200000), 9, U64(0x0000080000000A01),
	  { 0, 2, 0, 0, 0, 2561 } },
	{ "4 KiB page, order 0", U64(0x100005000), 0, U64(0x0010000000100005),
	  { 2, 0, 0, 0, 32, 5 } },
	{ "1 GiB range, order 18", U64(0x800000000), 18,
	  U64(0x0000000400000020), { 0, 0, 2, 0, 0, 32 } },
};

static void test_examples(void)
{
	struct khofmt_geom g;
	size_t i;

	is(khofmt_geom_init(&g, 12), 0, "geom_init(12)");
	for (i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		const struct example *e = &examples[i];
		uint64_t phys = ~U64(0);
		unsigned order = ~0u, l;
		bool idx_ok = true;

		is_u64(khofmt_radix_key(&g, e->phys, e->order), e->key,
		       "4.1.5 %s: key", e->what);
		is(khofmt_radix_decode(&g, e->key, &phys, &order), 0,
		   "4.1.5 %s: decode succeeds", e->what);
		is_u64(phys, e->phys, "4.1.5 %s: decoded phys", e->what);
		is(order, e->order, "4.1.5 %s: decoded order", e->what);
		/* The spec's index columns follow from its key column. */
		for (l = 0; l < 6; l++)
			if (spec_index(12, e->key, 5 - l) != e->idx[l])
				idx_ok = false;
		ok(idx_ok, "4.1.5 %s: table indices L5..L1 and leaf bit",
		   e->what);
	}
}

static void test_constants(void)
{
	static const struct {
		unsigned ps, order0_bit, key_bits, tbl_log2, leaf_log2, depth;
		uint64_t root_limit;
	} t[] = {
		/* doc/ABI.md 4.1.1 (7.2.13 depth formula) */
		{ 12, 52, 53, 9, 15, 6, 4 },
		{ 14, 50, 51, 11, 17, 5, 2 },
		{ 16, 48, 49, 13, 19, 4, 16 },
	};
	static const unsigned bad[] = { 0, 11, 13, 15, 17, 64, ~0u };
	struct khofmt_geom g;
	size_t i;

	for (i = 0; i < 3; i++) {
		unsigned top_shift;

		memset(&g, 0xa5, sizeof(g));
		if (!is(khofmt_geom_init(&g, t[i].ps), 0, "geom_init(%u)",
			t[i].ps))
			continue;
		is(g.page_shift, t[i].ps, "PS=%u page_shift", t[i].ps);
		is(g.order0_bit, t[i].order0_bit, "PS=%u ORDER0_BIT", t[i].ps);
		is(g.key_bits, t[i].key_bits, "PS=%u KEY_BITS", t[i].ps);
		is(g.tbl_log2, t[i].tbl_log2, "PS=%u TBL_LOG2", t[i].ps);
		is(g.leaf_log2, t[i].leaf_log2, "PS=%u LEAF_LOG2", t[i].ps);
		is(g.depth, t[i].depth, "PS=%u DEPTH", t[i].ps);
		is(g.phys_bits, 52, "PS=%u phys_bits", t[i].ps);
		/* largest order whose P << order bytes fit in 2^52 */
		is(g.max_order, 52 - t[i].ps, "PS=%u max_order", t[i].ps);
		/* root index limit column: 2^(KEY_BITS - shift_top) */
		top_shift = (t[i].depth - 2) * t[i].tbl_log2 + t[i].leaf_log2;
		is_u64(U64(1) << (t[i].key_bits - top_shift), t[i].root_limit,
		       "PS=%u root index limit (spec self-check)", t[i].ps);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is(khofmt_geom_init(&g, bad[i]), -KHOFMT_ERR_INVAL,
		   "geom_init(%u) rejected", bad[i]);
}

static void test_decode_rejects(void)
{
	static const unsigned pss[] = { 12, 14, 16 };
	size_t i;

	for (i = 0; i < 3; i++) {
		struct khofmt_geom g;
		uint64_t phys = 0x1234;
		unsigned order = 77, ps = pss[i], b;
		bool all = true;

		khofmt_geom_init(&g, ps);
		is(khofmt_radix_decode(&g, 0, &phys, &order),
		   -KHOFMT_ERR_BADKEY, "PS=%u: zero key rejected", ps);
		for (b = g.key_bits; b < 64; b++) {
			if (khofmt_radix_decode(&g, U64(1) << b, NULL, NULL) !=
			    -KHOFMT_ERR_BADKEY)
				all = false;
			/* a valid key with a stray high bit is still too wide */
			if (khofmt_radix_decode(&g, (U64(1) << b) |
						(U64(1) << (64 - ps)) | 5,
						NULL, NULL) !=
			    -KHOFMT_ERR_BADKEY)
				all = false;
		}
		ok(all, "PS=%u: keys with a bit >= KEY_BITS (%u) rejected", ps,
		   g.key_bits);
		is(khofmt_radix_decode(&g, ~U64(0), NULL, NULL),
		   -KHOFMT_ERR_BADKEY, "PS=%u: all-ones key rejected", ps);

		/* phys 0, order 0: key is the bare order-0 bit, and valid */
		is_u64(khofmt_radix_key(&g, 0, 0), U64(1) << (64 - ps),
		       "PS=%u: key(phys 0, order 0)", ps);
		phys = 1, order = 1;
		is(khofmt_radix_decode(&g, U64(1) << (64 - ps), &phys, &order),
		   0, "PS=%u: phys-0 order-0 key decodes", ps);
		ok(phys == 0 && order == 0, "PS=%u: ... to phys 0 order 0", ps);
		/* top of the 52-bit space */
		phys = (U64(1) << 52) - (U64(1) << ps);
		is_u64(khofmt_radix_key(&g, phys, 0),
		       (U64(1) << (64 - ps)) | (phys >> ps),
		       "PS=%u: key at 2^52 - P", ps);
		is_u64(khofmt_radix_key(&g, U64(1) << 52, 0), 0,
		       "PS=%u: phys 2^52 unrepresentable", ps);
		is_u64(khofmt_radix_key(&g, U64(1) << ps, 1), 0,
		       "PS=%u: misaligned order-1 entry unrepresentable", ps);
		is_u64(khofmt_radix_key(&g, 1, 0), 0,
		       "PS=%u: unaligned phys unrepresentable", ps);
		is_u64(khofmt_radix_key(&g, 0, g.max_order + 1), 0,
		       "PS=%u: order max_order+1 unrepresentable", ps);
		is_u64(khofmt_radix_key(&g, 0, 200), 0,
		       "PS=%u: order 200 unrepresentable", ps);
	}
}

/* Every order, seeded random aligned addresses: key formula and inverse. */
static void test_random_roundtrip(void)
{
	static const unsigned pss[] = { 12, 14, 16 };
	uint64_t seed = 0x5eed0001;
	size_t i;

	for (i = 0; i < 3; i++) {
		struct khofmt_geom g;
		unsigned ps = pss[i], o, bad = 0, n = 0;

		khofmt_geom_init(&g, ps);
		for (o = 0; o <= g.max_order; o++) {
			unsigned k;

			for (k = 0; k < 300; k++) {
				uint64_t slots = U64(1) << (52 - ps - o);
				uint64_t phys, key, p2 = ~U64(0);
				unsigned o2 = ~0u;

				if (k == 0)
					phys = 0;
				else if (k == 1)
					phys = (slots - 1) << (ps + o);
				else
					phys = rnd_below(&seed, slots) << (ps + o);
				key = khofmt_radix_key(&g, phys, o);
				n++;
				if (key != ref_key(ps, phys, o) ||
				    key >> g.key_bits ||
				    khofmt_radix_decode(&g, key, &p2, &o2) ||
				    p2 != phys || o2 != o) {
					if (bad++ < 5)
						diag("PS=%u phys 0x%" PRIx64
						     " order %u: key 0x%" PRIx64
						     " -> 0x%" PRIx64 "/%u",
						     ps, phys, o, key, p2, o2);
				}
			}
		}
		ok(bad == 0, "PS=%u: %u random keys, orders 0..%u: formula, "
		   "width and inverse", ps, n, g.max_order);
	}
}

int main(void)
{
	test_examples();
	test_constants();
	test_decode_rejects();
	test_random_roundtrip();
	return done_testing();
}
