// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kho-v1 chunk lists (doc/ABI.md 4.2) as 6.16 .. 7.0 wrote them: entries
 * sorted by order then address; one element per bitmap span
 * (BITS * (P << order), phys_start on a span boundary); chunks filled in
 * that order, a new chunk when the order changes or the chunk is full.
 *
 * E1b bitmaps are whole pages. E1a bitmaps are 512-byte slab objects:
 * packed P/512 to a page in allocation order, as kmalloc-512 hands them
 * out, so only every (P/512)-th one is page-aligned.
 */
#include <stdlib.h>

#include "encode_int.h"

#define E1A_BITMAP_BYTES 512u

static int ent_cmp(const void *a, const void *b)
{
	const struct enc_ent *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->phys < y->phys ? -1 : x->phys > y->phys;
}

struct cbuild {
	struct khofmt_enc *e;
	uint64_t P, cap, bm_bytes;
	uint64_t chunk;		/* current chunk page, 0 = none */
	uint64_t nelms;
	unsigned order;
	uint64_t slab, slab_off;	/* E1a: current slab page and offset */
	uint64_t map;
};

static int new_bitmap(struct cbuild *b, uint64_t *pa)
{
	int r;

	if (b->bm_bytes == b->P)
		return khofmt_enc_meta_alloc(b->e, 0, pa);
	if (!b->slab || b->slab_off + b->bm_bytes > b->P) {
		r = khofmt_enc_meta_alloc(b->e, 0, &b->slab);
		if (r)
			return r;
		b->slab_off = 0;
	}
	*pa = b->slab + b->slab_off;
	b->slab_off += b->bm_bytes;
	return 0;
}

/* Append an element; returns its bitmap address. */
static int new_elm(struct cbuild *b, unsigned order, uint64_t phys_start,
		   uint64_t *bitmap)
{
	uint64_t pa;
	int r;

	if (!b->chunk || b->order != order || b->nelms == b->cap) {
		r = khofmt_enc_meta_alloc(b->e, 0, &pa);
		if (r)
			return r;
		if (b->chunk)
			st_le64(enc_meta_ptr(b->e, b->chunk), pa);
		else
			b->map = pa;
		b->chunk = pa;
		b->order = order;
		b->nelms = 0;
		/* hdr: next = 0 (zeroed), u32 order */
		{
			uint32_t o = htole32(order);

			memcpy(enc_meta_ptr(b->e, pa) + 8, &o, 4);
		}
	}
	r = new_bitmap(b, bitmap);
	if (r)
		return r;
	{
		unsigned char *c = enc_meta_ptr(b->e, b->chunk);
		uint32_t n = htole32((uint32_t)(b->nelms + 1));

		st_le64(c + 16 + 16 * b->nelms, phys_start);
		st_le64(c + 16 + 16 * b->nelms + 8, *bitmap);
		memcpy(c + 12, &n, 4);
	}
	b->nelms++;
	return 0;
}

int khofmt_enc_chunk_build(struct khofmt_enc *e, uint64_t *map)
{
	struct cbuild b = { .e = e };
	unsigned ps = e->geom.page_shift;
	uint64_t cur_start = 0, bitmap = 0;
	unsigned cur_order = 0;
	bool have = false;
	size_t i;
	int r;

	b.P = UINT64_C(1) << ps;
	b.cap = (b.P - 16) / 16;
	b.bm_bytes = e->variant == KHOFMT_VARIANT_E1A ? E1A_BITMAP_BYTES : b.P;
	qsort(e->ents, e->nents, sizeof(*e->ents), ent_cmp);
	for (i = 0; i < e->nents; i++) {
		const struct enc_ent *x = &e->ents[i];
		unsigned shift = ps + x->order;
		/* bm_bytes * 8 bits of P << order: may pass 2^64 */
		unsigned span_log2 = 63 - __builtin_clzll(b.bm_bytes * 8) + shift;
		uint64_t start = x->phys - low_bits(x->phys, span_log2), bit;
		unsigned char *w;

		if (!have || x->order != cur_order || start != cur_start) {
			r = new_elm(&b, x->order, start, &bitmap);
			if (r)
				return r;
			have = true;
			cur_order = x->order;
			cur_start = start;
		}
		bit = (x->phys - start) >> shift;
		w = enc_meta_ptr(e, bitmap) + bit / 8;
		*w |= (unsigned char)(1u << (bit % 8));
	}
	*map = b.map;
	return 0;
}
