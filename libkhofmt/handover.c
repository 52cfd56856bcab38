// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A handover: a checked root FDT tied to a memory source and the tracker
 * decoder for its generation. Also the page set used to detect cycles.
 */
#include <stdlib.h>

#include "internal.h"

/* Is member @m inside the caller's struct of @sz bytes? */
#define OPTS_HAS(opts, m) \
	((opts) && (opts)->sz >= offsetof(struct khofmt_open_opts, m) + \
				  sizeof((opts)->m))

int khofmt_handover_open(struct khofmt_fdt *fdt, struct khofmt_source *src,
			 const struct khofmt_open_opts *opts,
			 struct khofmt_handover **out)
{
	struct khofmt_handover *h;
	unsigned ps = 12, variant = 0, depth = 0;
	const char *producer = NULL;
	enum khofmt_abi abi = fdt ? fdt->abi : KHOFMT_ABI_UNKNOWN;
	const struct gen_desc *gd;
	int r;

	if (!fdt || !src || !out)
		return -KHOFMT_ERR_INVAL;
	*out = NULL;
	r = KHOFMT_OPTS_VALID(opts, sizeof(size_t));
	if (r)
		return r;
	if (OPTS_HAS(opts, abi)) {
		if (opts->page_shift)
			ps = opts->page_shift;
		if (opts->abi)
			abi = opts->abi;
	}
	if (OPTS_HAS(opts, producer))
		producer = opts->producer;
	if (OPTS_HAS(opts, variant))
		variant = opts->variant;
	if (OPTS_HAS(opts, radix_depth))
		depth = opts->radix_depth;
	if (producer && khofmt_producer_parse(producer, NULL, NULL, NULL))
		return -KHOFMT_ERR_INVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -KHOFMT_ERR_NOMEM;
	h->fdt = fdt;
	h->src = src;
	h->abi = abi;
	h->variant.abi = abi;
	h->variant.reason = h->variant_reason;
	r = khofmt_geom_init(&h->geom, ps);
	if (r)
		goto fail;
	gd = khofmt_gen(abi);
	if (!gd) {
		r = abi == KHOFMT_ABI_UNKNOWN ? -KHOFMT_ERR_COMPAT
					      : -KHOFMT_ERR_UNSUPPORTED;
		goto fail;
	}
	h->ops = gd->ops;
	r = -KHOFMT_ERR_BADPROP;
	if (gd->has_map && !fdt->has_map)
		goto fail;
	h->root = gd->has_map ? fdt->map : 0;
	switch (gd->tracker) {
	case GEN_TRACKER_RADIX:
		r = khofmt_radix_choose(h, depth, variant);
		break;
	case GEN_TRACKER_CHUNK:
		/* 0 is legal: nothing preserved (or not finalized yet). */
		r = depth ? -KHOFMT_ERR_INVAL
			  : khofmt_chunk_choose(h, variant, producer);
		break;
	case GEN_TRACKER_RFC:
		h->variant.name = "E0";
		khofmt_setmsg(h->variant_reason, sizeof(h->variant_reason),
			      "%s", fdt->abi_reason);
		r = depth || variant ? -KHOFMT_ERR_INVAL : khofmt_rfc_load(h);
		break;
	}
	if (r)
		goto fail;
	*out = h;
	return 0;
fail:
	khofmt_handover_free(h);
	return r;
}

void khofmt_handover_free(struct khofmt_handover *h)
{
	if (h && h->tdata_free)
		h->tdata_free(h->tdata);
	if (h && h->qix_free)
		h->qix_free(h->qix);
	free(h);
}

int khofmt_has_entry(struct khofmt_handover *h, uint64_t phys, unsigned order)
{
	if (!h || !h->ops || !h->ops->has_entry)
		return -KHOFMT_ERR_INVAL;
	return h->ops->has_entry(h, phys, order);
}

const char *khofmt_handover_errmsg(const struct khofmt_handover *h)
{
	return h ? h->errmsg : "";
}

const struct khofmt_geom *khofmt_handover_geom(const struct khofmt_handover *h)
{
	return h ? &h->geom : NULL;
}

enum khofmt_abi khofmt_handover_abi(const struct khofmt_handover *h)
{
	return h ? h->abi : KHOFMT_ABI_UNKNOWN;
}

/* ---- page set: open addressing on page addresses ---- */

/* The inline table is zeroed by the first add: a set never used costs nothing. */
void khofmt_pageset_init(struct pageset *s)
{
	s->slot = NULL;
	s->cap = 0;
	s->n = 0;
	s->has_zero = false;
}

void khofmt_pageset_free(struct pageset *s)
{
	free(s->slot);
	khofmt_pageset_init(s);
}

static size_t pageset_hash(uint64_t pa, size_t cap)
{
	pa *= UINT64_C(0x9E3779B97F4A7C15);
	return (size_t)(pa >> 20) & (cap - 1);
}

static int pageset_grow(struct pageset *s)
{
	const uint64_t *old = s->slot ? s->slot : s->inl;
	size_t ocap = s->slot ? s->cap : PAGESET_INLINE;
	size_t ncap = 2 * ocap, i;
	uint64_t *n;

	if (ncap < 256)
		ncap = 256;
	n = calloc(ncap, sizeof(*n));
	if (!n)
		return -KHOFMT_ERR_NOMEM;
	for (i = 0; i < ocap; i++) {
		size_t j;

		if (!old[i])
			continue;
		for (j = pageset_hash(old[i], ncap); n[j];
		     j = (j + 1) & (ncap - 1))
			;
		n[j] = old[i];
	}
	free(s->slot);
	s->slot = n;
	s->cap = ncap;
	return 0;
}

int khofmt_pageset_add(struct pageset *s, uint64_t pa)
{
	uint64_t *slot;
	size_t j, cap;

	if (!pa) {
		if (s->has_zero)
			return 0;
		s->has_zero = true;
		return 1;
	}
	cap = s->slot ? s->cap : PAGESET_INLINE;
	if (!s->slot && !s->n)
		memset(s->inl, 0, sizeof(s->inl));
	if ((s->n + 1) * 2 > cap) {
		int r = pageset_grow(s);

		if (r)
			return r;
		cap = s->cap;
	}
	slot = s->slot ? s->slot : s->inl;
	for (j = pageset_hash(pa, cap); slot[j]; j = (j + 1) & (cap - 1))
		if (slot[j] == pa)
			return 0;
	slot[j] = pa;
	s->n++;
	return 1;
}
