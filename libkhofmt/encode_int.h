/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to the encoder files: encode.c (radix, root FDT, dispatch),
 * encode_chunk.c (kho-v1 chunk lists), encode_rfc.c (the RFC `mem` form).
 */
#ifndef KHOFMT_ENCODE_INT_H
#define KHOFMT_ENCODE_INT_H

#include "internal.h"

struct enc_node {
	char *name;
	uint64_t pa, size;
};

/* A preserved entry kept for the formats written at finish time. */
struct enc_ent {
	uint64_t phys;
	unsigned order;
};

struct khofmt_enc {
	struct khofmt_geom geom;
	enum khofmt_abi abi;
	unsigned variant;	/* kho-v1: KHOFMT_VARIANT_E1A / _E1B */
	uint64_t meta_base, meta_size;
	unsigned char *meta;	/* meta area bytes in use */
	size_t used, cap;
	uint64_t root;		/* radix root page (0 for v1 / RFC) */
	struct enc_node *nodes;
	size_t nnodes;
	struct enc_ent *ents;	/* v1 / RFC: entries, written at finish */
	size_t nents, capents;
	bool spent;
	bool lossy_ok;		/* radix depth/variant given: write what that kernel wrote */
	char errmsg[ERRMSG_LEN];
};

#define E_ERR(e, code, ...) \
	(khofmt_setmsg((e)->errmsg, sizeof((e)->errmsg), __VA_ARGS__), -(code))

/* 2^order zeroed pages of the meta area, aligned to their size. */
int khofmt_enc_meta_alloc(struct khofmt_enc *e, unsigned order, uint64_t *pa);
/* Valid until the next khofmt_enc_meta_alloc(). */
static inline unsigned char *enc_meta_ptr(struct khofmt_enc *e, uint64_t pa)
{
	return e->meta + (pa - e->meta_base);
}

/* kho-v1: write the chunk list of e->ents; *map = first chunk (0 if none). */
int khofmt_enc_chunk_build(struct khofmt_enc *e, uint64_t *map);
/*
 * RFC: write the whole KHO DT (ranges as `mem` properties) into fresh
 * meta pages; *fdt_pa receives where.
 */
int khofmt_enc_rfc_build(struct khofmt_enc *e, uint64_t *fdt_pa);

#endif /* KHOFMT_ENCODE_INT_H */
