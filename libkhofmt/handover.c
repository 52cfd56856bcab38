// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A handover: a checked root FDT tied to a memory source and the tracker
 * decoder for its generation. Also the page set used to detect cycles.
 */
#include <stdlib.h>

#include "internal.h"

int khofmt_handover_open(struct khofmt_fdt *fdt, struct khofmt_source *src,
			 const struct khofmt_open_opts *opts,
			 struct khofmt_handover **out)
{
	struct khofmt_handover *h;
	unsigned ps = 12;
	enum khofmt_abi abi;
	int r;

	if (!fdt || !src || !out)
		return -KHOFMT_ERR_INVAL;
	*out = NULL;
	if (opts && opts->sz < sizeof(size_t))
		return -KHOFMT_ERR_INVAL;
	if (opts && opts->sz >= offsetof(struct khofmt_open_opts, abi) +
				sizeof(opts->abi)) {
		if (opts->page_shift)
			ps = opts->page_shift;
		abi = opts->abi ? opts->abi : fdt->abi;
	} else {
		abi = fdt->abi;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -KHOFMT_ERR_NOMEM;
	h->fdt = fdt;
	h->src = src;
	h->abi = abi;
	r = khofmt_geom_init(&h->geom, ps);
	if (r) {
		free(h);
		return r;
	}
	switch (abi) {
	case KHOFMT_ABI_V2:
	case KHOFMT_ABI_V3:
	case KHOFMT_ABI_V4:
		h->ops = &khofmt_radix_ops;
		break;
	default:
		free(h);
		return abi == KHOFMT_ABI_UNKNOWN ? -KHOFMT_ERR_COMPAT
						 : -KHOFMT_ERR_UNSUPPORTED;
	}
	if (!fdt->has_map) {
		free(h);
		return -KHOFMT_ERR_BADPROP;
	}
	h->root = fdt->map;
	*out = h;
	return 0;
}

void khofmt_handover_free(struct khofmt_handover *h)
{
	free(h);
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

void pageset_init(struct pageset *s)
{
	memset(s, 0, sizeof(*s));
}

void pageset_free(struct pageset *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

static size_t pageset_hash(uint64_t pa, size_t cap)
{
	pa *= UINT64_C(0x9E3779B97F4A7C15);
	return (size_t)(pa >> 20) & (cap - 1);
}

static int pageset_grow(struct pageset *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 256, i;
	uint64_t *n = calloc(ncap, sizeof(*n));

	if (!n)
		return -KHOFMT_ERR_NOMEM;
	for (i = 0; i < s->cap; i++) {
		size_t j;

		if (!s->slot[i])
			continue;
		for (j = pageset_hash(s->slot[i], ncap); n[j];
		     j = (j + 1) & (ncap - 1))
			;
		n[j] = s->slot[i];
	}
	free(s->slot);
	s->slot = n;
	s->cap = ncap;
	return 0;
}

int pageset_add(struct pageset *s, uint64_t pa)
{
	size_t j;

	if (!pa) {
		if (s->has_zero)
			return 0;
		s->has_zero = true;
		return 1;
	}
	if ((s->n + 1) * 2 > s->cap) {
		int r = pageset_grow(s);

		if (r)
			return r;
	}
	for (j = pageset_hash(pa, s->cap); s->slot[j];
	     j = (j + 1) & (s->cap - 1))
		if (s->slot[j] == pa)
			return 0;
	s->slot[j] = pa;
	s->n++;
	return 1;
}
