// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The generation registry: one row per KHO generation with what tells it
 * apart (root compatible, names), what its root FDT and subnodes carry,
 * the geometry rule of its tracker and the tracker's ops. Everything that
 * names or compares generations asks this table (fdt.c, handover.c, the
 * rules, the encoder); adding a generation is one row here plus its
 * tracker file.
 */
#include "internal.h"

/*
 * The rows, oldest first: a row's enum khofmt_abi value is its position + 1
 * (append only; khofmt.h names the first five).
 */
static const struct gen_desc gen_table[] = {
	{	/* KHOFMT_ABI_RFC */
		/* shares "kho-v1" with the merged form: fdt.c decides by `mem` */
		.info = { "kho-rfc", "rfc", "kho-v1", "rfc-mem", NULL, false,
			  "the 2023-24 RFC: byte ranges in `mem` properties" },
		.has_map = false, .map_zero_ok = false,
		.root_one_page = false, .range_entries = true,
		.tracker = GEN_TRACKER_RFC, .ops = &khofmt_rfc_ops,
	},
	{	/* KHOFMT_ABI_V1 */
		.info = { "kho-v1", "v1", "kho-v1", "chunk", "fdt", false,
			  "6.16 to 7.0, chunk list" },
		.has_map = true, .map_zero_ok = true, .root_one_page = true,
		.blobs_are_fdts = true,
		.tracker = GEN_TRACKER_CHUNK, .ops = &khofmt_chunk_ops,
	},
	{	/* KHOFMT_ABI_V2 */
		.info = { "kho-v2", "v2", "kho-v2", "radix", "preserved-data",
			  false, "7.1 merge window, radix tree" },
		.has_map = true, .root_one_page = true,
		.tracker = GEN_TRACKER_RADIX, .radix_early_depth = true,
		.variant_name = "E2", .ops = &khofmt_radix_ops,
	},
	{	/* KHOFMT_ABI_V3 */
		.info = { "kho-v3", "v3", "kho-v3", "radix", "preserved-data",
			  true, "7.1" },
		.has_map = true, .root_one_page = true,
		.tracker = GEN_TRACKER_RADIX, .variant_name = "E3",
		.radix_depth_unverified = true,
		.ops = &khofmt_radix_ops,
	},
	{	/* KHOFMT_ABI_V4 */
		.info = { "kho-v4", "v4", "kho-v4", "radix", "preserved-data",
			  true, "7.2, 7.3" },
		.has_map = true, .root_one_page = true,
		.tracker = GEN_TRACKER_RADIX, .variant_name = "E4",
		.ops = &khofmt_radix_ops,
	},
	/* a new generation: a row here (doc/ARCHITECTURE.md) */
};

#define NGEN (sizeof(gen_table) / sizeof(gen_table[0]))

size_t khofmt_gen_count(void)
{
	return NGEN;
}

const struct gen_desc *khofmt_gen_at(size_t i)
{
	return i < NGEN ? &gen_table[i] : NULL;
}

enum khofmt_abi khofmt_gen_abi(const struct gen_desc *g)
{
	return g ? (enum khofmt_abi)(g - gen_table + 1) : KHOFMT_ABI_UNKNOWN;
}

const struct gen_desc *khofmt_gen(enum khofmt_abi abi)
{
	return (size_t)abi >= 1 && (size_t)abi <= NGEN ? &gen_table[abi - 1]
						       : NULL;
}

const struct khofmt_gen_info *khofmt_gen_info(enum khofmt_abi abi)
{
	const struct gen_desc *g = khofmt_gen(abi);

	return g ? &g->info : NULL;
}

/* The newest generation first: "kho-v1" names the merged form, not RFC. */
const struct gen_desc *khofmt_gen_by_compatible(const char *compat)
{
	size_t i;

	for (i = NGEN; compat && i-- > 0;)
		if (!strcmp(gen_table[i].info.compatible, compat))
			return &gen_table[i];
	return NULL;
}

const char *khofmt_abi_name(enum khofmt_abi abi)
{
	const struct gen_desc *g = khofmt_gen(abi);

	return g ? g->info.name : "unknown";
}

enum khofmt_abi khofmt_abi_parse(const char *s)
{
	size_t i;

	for (i = 0; s && i < NGEN; i++)
		if (!strcmp(s, gen_table[i].info.name) ||
		    !strcmp(s, gen_table[i].info.short_name))
			return khofmt_gen_abi(&gen_table[i]);
	return KHOFMT_ABI_UNKNOWN;
}
