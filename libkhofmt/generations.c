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

static const struct gen_desc gen_table[] = {
	{
		.abi = KHOFMT_ABI_RFC, .name = "kho-rfc", .short_name = "rfc",
		/* shares "kho-v1" with the merged form: fdt.c decides by `mem` */
		.compatible = "kho-v1", .ptr_prop = NULL, .has_size = false,
		.has_map = false, .map_zero_ok = false,
		.root_one_page = false, .range_entries = true,
		.tracker = GEN_TRACKER_RFC, .ops = &khofmt_rfc_ops,
	},
	{
		.abi = KHOFMT_ABI_V1, .name = "kho-v1", .short_name = "v1",
		.compatible = "kho-v1", .ptr_prop = "fdt", .has_size = false,
		.has_map = true, .map_zero_ok = true, .root_one_page = true,
		.blobs_are_fdts = true,
		.tracker = GEN_TRACKER_CHUNK, .ops = &khofmt_chunk_ops,
	},
	{
		.abi = KHOFMT_ABI_V2, .name = "kho-v2", .short_name = "v2",
		.compatible = "kho-v2", .ptr_prop = "preserved-data",
		.has_size = false, .has_map = true, .root_one_page = true,
		.tracker = GEN_TRACKER_RADIX, .radix_early_depth = true,
		.variant_name = "E2", .ops = &khofmt_radix_ops,
	},
	{
		.abi = KHOFMT_ABI_V3, .name = "kho-v3", .short_name = "v3",
		.compatible = "kho-v3", .ptr_prop = "preserved-data",
		.has_size = true, .has_map = true, .root_one_page = true,
		.tracker = GEN_TRACKER_RADIX, .variant_name = "E3",
		.radix_depth_unverified = true,
		.ops = &khofmt_radix_ops,
	},
	{
		.abi = KHOFMT_ABI_V4, .name = "kho-v4", .short_name = "v4",
		.compatible = "kho-v4", .ptr_prop = "preserved-data",
		.has_size = true, .has_map = true, .root_one_page = true,
		.tracker = GEN_TRACKER_RADIX, .variant_name = "E4",
		.ops = &khofmt_radix_ops,
	},
	/* kho-v5: a row here (and its tracker file when the tracker changes) */
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

const struct gen_desc *khofmt_gen(enum khofmt_abi abi)
{
	size_t i;

	for (i = 0; i < NGEN; i++)
		if (gen_table[i].abi == abi)
			return &gen_table[i];
	return NULL;
}

/* The newest generation first: "kho-v1" names the merged form, not RFC. */
const struct gen_desc *khofmt_gen_by_compatible(const char *compat)
{
	size_t i;

	for (i = NGEN; compat && i-- > 0;)
		if (!strcmp(gen_table[i].compatible, compat))
			return &gen_table[i];
	return NULL;
}

const char *khofmt_abi_name(enum khofmt_abi abi)
{
	const struct gen_desc *g = khofmt_gen(abi);

	return g ? g->name : "unknown";
}

enum khofmt_abi khofmt_abi_parse(const char *s)
{
	size_t i;

	for (i = 0; s && i < NGEN; i++)
		if (!strcmp(s, gen_table[i].name) ||
		    !strcmp(s, gen_table[i].short_name))
			return gen_table[i].abi;
	return KHOFMT_ABI_UNKNOWN;
}
