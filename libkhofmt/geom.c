// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Radix-tree geometry and key encoding (doc/ABI.md 4.1.1, 4.1.3).
 * Depth follows 7.2.13/7.3.4: ceil((KEY_BITS - LEAF_LOG2) / TBL_LOG2) + 1.
 */
#include "internal.h"

#define PHYS_BITS 52	/* widest physical address space of a KHO arch */

int khofmt_geom_init(struct khofmt_geom *g, unsigned page_shift)
{
	unsigned above;

	if (!g || (page_shift != 12 && page_shift != 14 && page_shift != 16))
		return -KHOFMT_ERR_INVAL;
	memset(g, 0, sizeof(*g));
	g->page_shift = page_shift;
	g->order0_bit = 64 - page_shift;
	g->key_bits = 65 - page_shift;
	g->tbl_log2 = page_shift - 3;
	g->leaf_log2 = page_shift + 3;
	above = g->key_bits - g->leaf_log2;
	g->depth = (above + g->tbl_log2 - 1) / g->tbl_log2 + 1;
	g->phys_bits = PHYS_BITS;
	/* An entry of order o spans P << o bytes, which must fit the space. */
	g->max_order = PHYS_BITS - page_shift;
	return 0;
}

uint64_t khofmt_radix_key(const struct khofmt_geom *g, uint64_t phys,
			  unsigned order)
{
	unsigned shift;

	if (!g || order > g->max_order)
		return 0;
	shift = g->page_shift + order;
	if (phys & ((UINT64_C(1) << shift) - 1))
		return 0;
	if (phys >> g->phys_bits)
		return 0;
	return (UINT64_C(1) << (g->order0_bit - order)) | (phys >> shift);
}

int khofmt_radix_decode(const struct khofmt_geom *g, uint64_t key,
			uint64_t *phys, unsigned *order)
{
	unsigned hb, o, shift;
	uint64_t p;

	if (!g || !key)
		return -KHOFMT_ERR_BADKEY;
	hb = 63 - __builtin_clzll(key);
	/* The order bit sits at most at ORDER0_BIT (KEY_BITS wide keys). */
	if (hb > g->order0_bit)
		return -KHOFMT_ERR_BADKEY;
	o = g->order0_bit - hb;
	if (o > g->max_order)
		return -KHOFMT_ERR_BADKEY;
	shift = g->page_shift + o;
	p = (key ^ (UINT64_C(1) << hb)) << shift;
	/* The entry must end inside the physical address space. */
	if ((p >> g->phys_bits) ||
	    ((p + (UINT64_C(1) << shift) - 1) >> g->phys_bits))
		return -KHOFMT_ERR_BADKEY;
	if (phys)
		*phys = p;
	if (order)
		*order = o;
	return 0;
}
