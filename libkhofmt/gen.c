// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Generations and their variants (khofmt-gen.h): names, the producer
 * release, the radix depth choice, blob lengths per generation.
 * The kho-v1 bitmap choice lives beside the chunk list (tracker_chunk.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <libfdt.h>

#include "internal.h"

const char *khofmt_variant_name(enum khofmt_variant v)
{
	switch (v) {
	case KHOFMT_VARIANT_E1A: return "E1a";
	case KHOFMT_VARIANT_E1B: return "E1b";
	case KHOFMT_VARIANT_RADIX: return "radix";
	case KHOFMT_VARIANT_RADIX_EARLY: return "radix-early";
	default: return "none";
	}
}

const char *khofmt_basis_name(enum khofmt_basis b)
{
	switch (b) {
	case KHOFMT_BASIS_CALLER: return "caller";
	case KHOFMT_BASIS_PRODUCER: return "producer";
	case KHOFMT_BASIS_GENERATION: return "generation";
	case KHOFMT_BASIS_EVIDENCE: return "evidence";
	case KHOFMT_BASIS_ASSUMED: return "assumed";
	default: return "none";
	}
}

/* Decimal number of at most 4 digits at *p; -1 if none. */
static int small_num(const char **p)
{
	int v = 0, n = 0;

	while (**p >= '0' && **p <= '9' && n < 5) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n && n < 5 ? v : -1;
}

int khofmt_producer_parse(const char *s, unsigned *major, unsigned *minor,
			  int *patch)
{
	int ma, mi, pa = -1;

	if (!s)
		return -KHOFMT_ERR_INVAL;
	ma = small_num(&s);
	if (ma < 0 || *s++ != '.')
		return -KHOFMT_ERR_INVAL;
	mi = small_num(&s);
	if (mi < 0)
		return -KHOFMT_ERR_INVAL;
	if (*s == '.') {
		s++;
		pa = small_num(&s);
		if (pa < 0)
			return -KHOFMT_ERR_INVAL;
	}
	if (*s && *s != '-' && *s != '+')
		return -KHOFMT_ERR_INVAL;
	if (major)
		*major = (unsigned)ma;
	if (minor)
		*minor = (unsigned)mi;
	if (patch)
		*patch = pa;
	return 0;
}

enum khofmt_variant khofmt_producer_variant(enum khofmt_abi abi,
					    const char *producer)
{
	unsigned ma, mi;
	int pa;

	if (!khofmt_gen(abi) || khofmt_gen(abi)->tracker != GEN_TRACKER_CHUNK ||
	    khofmt_producer_parse(producer, &ma, &mi, &pa))
		return KHOFMT_VARIANT_NONE;
	if (ma * 1000 + mi < 6016)
		return KHOFMT_VARIANT_NONE;
	if (ma * 1000 + mi == 6016)
		return KHOFMT_VARIANT_E1A;
	if (ma * 1000 + mi == 6017)
		return pa < 0 ? KHOFMT_VARIANT_NONE :
		       pa >= 9 ? KHOFMT_VARIANT_E1B : KHOFMT_VARIANT_E1A;
	return KHOFMT_VARIANT_E1B;
}

const struct khofmt_variant_info *
khofmt_handover_variant(const struct khofmt_handover *h)
{
	return h ? &h->variant : NULL;
}

const char *khofmt_fdt_abi_reason(const struct khofmt_fdt *f)
{
	return f ? f->abi_reason : "";
}

/* Depth of the first E2 commit: ceil((ORDER0_BIT - LEAF_LOG2)/TBL_LOG2)+1. */
unsigned khofmt_geom_early_depth(const struct khofmt_geom *g)
{
	unsigned above = g->order0_bit - g->leaf_log2;

	return (above + g->tbl_log2 - 1) / g->tbl_log2 + 1;
}

/*
 * Radix (kho-v2..v4): which depth formula (doc/ABI.md 4.1.1). Only 16 KiB
 * pages tell them apart. kho-v2 is the first E2 commit (early formula);
 * kho-v4 is 7.2+ (KEY_BITS formula); kho-v3 (7.1) is unverified (Open
 * question 2) and assumed to have the fix.
 */
/*
 * 16 KiB pages, depth not given, a generation whose formula is not
 * certain (kho-v2: the first commit's; kho-v3: unverified): the top
 * table tells. Under the 7.2 formula (@late levels) a valid key, 65 - PS
 * bits wide, reaches only top slots 0 and 1; under the early one (@early
 * levels) every entry of order 0..10 sits in slot 2 or above. So a slot
 * above 1 means @early, slots 0/1 only mean @late. Returns false (no
 * evidence) for an unreadable or empty top table.
 */
static bool radix_top_says(struct khofmt_handover *h, unsigned early,
			   unsigned late, unsigned *depth)
{
	const struct gen_desc *gd = khofmt_gen(h->abi);
	uint64_t P = UINT64_C(1) << h->geom.page_shift, i, v;
	bool low = false;

	if (!gd || (!gd->radix_early_depth && !gd->radix_depth_unverified) ||
	    !h->src || !h->root || (h->root & (P - 1)))
		return false;
	for (i = 0; i < P / 8; i++) {
		if (khofmt_source_read(h->src, h->root + 8 * i, &v, 8) < 0)
			return false;
		if (!v)
			continue;
		if (i >= 2) {
			*depth = early;
			return true;
		}
		low = true;
	}
	if (low)
		*depth = late;
	return low;
}

int khofmt_radix_choose(struct khofmt_handover *h, unsigned depth,
			unsigned variant)
{
	struct khofmt_variant_info *v = &h->variant;
	struct khofmt_geom *g = &h->geom;
	unsigned early = khofmt_geom_early_depth(g), late = g->depth;
	bool differ = early != late;

	const struct gen_desc *gd = khofmt_gen(h->abi);

	v->name = gd && gd->variant_name ? gd->variant_name : "E4";
	if (variant == KHOFMT_VARIANT_RADIX_EARLY && !depth)
		depth = early;
	else if (variant == KHOFMT_VARIANT_RADIX && !depth)
		depth = late;
	else if (variant && variant != KHOFMT_VARIANT_RADIX &&
		 variant != KHOFMT_VARIANT_RADIX_EARLY)
		return H_ERR(h, KHOFMT_ERR_INVAL,
			     "variant %s does not apply to a radix tree",
			     khofmt_variant_name(variant));
	if (depth) {
		if (depth != early && depth != late)
			return H_ERR(h, KHOFMT_ERR_INVAL,
				     "radix depth %u: %u KiB pages use %u (7.2) or %u (first kho-v2 commit)",
				     depth, 1u << (g->page_shift - 10), late,
				     early);
		g->depth = depth;
		v->basis = KHOFMT_BASIS_CALLER;
		khofmt_setmsg(h->variant_reason, sizeof(h->variant_reason),
			      "radix depth %u given by the caller", depth);
	} else if (!differ) {
		v->basis = KHOFMT_BASIS_GENERATION;
		khofmt_setmsg(h->variant_reason, sizeof(h->variant_reason),
			      "%u KiB pages: both depth formulas give %u levels",
			      1u << (g->page_shift - 10), late);
	} else if (radix_top_says(h, early, late, &depth)) {
		g->depth = depth;
		v->basis = KHOFMT_BASIS_EVIDENCE;
		if (depth == late)
			khofmt_setmsg(h->variant_reason, sizeof(h->variant_reason),
				      "%u levels: the top table uses only slots 0 and 1, as a %u-level tree (7.2's KEY_BITS formula) does; under the first kho-v2 formula (%u levels) entries of order 0-10 sit in slot 2 and above",
				      late, late, early);
		else
			khofmt_setmsg(h->variant_reason, sizeof(h->variant_reason),
				      "%u levels (first kho-v2 formula): the top table uses slots above 1, where a %u-level tree holds no valid key",
				      early, late);
	} else if (gd && gd->radix_early_depth) {
		g->depth = early;
		v->basis = KHOFMT_BASIS_GENERATION;
		khofmt_setmsg(h->variant_reason, sizeof(h->variant_reason),
			      "kho-v2 is the first radix commit: %u levels (ORDER0_BIT formula; order-0 keys lose their order bit)",
			      early);
	} else if (gd && gd->radix_depth_unverified) {
		v->basis = KHOFMT_BASIS_ASSUMED;
		khofmt_setmsg(h->variant_reason, sizeof(h->variant_reason),
			      "kho-v3 (7.1): %u levels assumed (KEY_BITS formula; the 7.1 depth is unverified, give --radix-depth %u for the first-commit form)",
			      late, early);
	} else {
		v->basis = KHOFMT_BASIS_GENERATION;
		khofmt_setmsg(h->variant_reason, sizeof(h->variant_reason),
			      "kho-v4 (7.2+): %u levels (KEY_BITS formula)",
			      late);
	}
	v->variant = differ && g->depth == early ? KHOFMT_VARIANT_RADIX_EARLY
						 : KHOFMT_VARIANT_RADIX;
	v->radix_depth = g->depth;
	return 0;
}

int khofmt_handover_blob_size(struct khofmt_handover *h,
			      const struct khofmt_subnode *sn, uint64_t *len)
{
	union {
		struct fdt_header hdr;
		uint64_t align;
	} u;
	const struct gen_desc *gd;
	int r;

	if (!h || !sn || !len)
		return -KHOFMT_ERR_INVAL;
	gd = khofmt_gen(h->abi);
	if (gd && gd->info.has_size) {
		if (!sn->has_size)
			return 0;
		*len = sn->size;
		return 1;
	}
	if (!gd || !gd->blobs_are_fdts || !sn->has_pa)
		return 0;
	/* kho-v1: blobs are FDTs; their header knows their length. */
	r = khofmt_source_read(h->src, sn->pa, &u.hdr, sizeof(u.hdr));
	if (r < 0)
		return H_ERR(h, -r, "subnode %s: sub-FDT header at 0x%llx is not in the memory source",
			     sn->name, (unsigned long long)sn->pa);
	if (fdt_magic(&u.hdr) != FDT_MAGIC ||
	    fdt_totalsize(&u.hdr) < sizeof(u.hdr))
		return H_ERR(h, KHOFMT_ERR_BADFDT,
			     "subnode %s: the blob at 0x%llx is not an FDT (kho-v1 blobs are)",
			     sn->name, (unsigned long long)sn->pa);
	*len = fdt_totalsize(&u.hdr);
	return 1;
}
