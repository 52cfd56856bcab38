// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The encoder: builds the radix tracker and the root FDT the way the kernel
 * lays them out (doc/ABI.md 2-4), in an in-memory image, for tests, synth
 * and benchmarks.
 *
 * The encoder's own pages (tracker nodes, the root FDT page, blobs) come
 * from a bump allocator over the meta area; the tracker pages are not
 * preserved, the FDT page and blobs are (like kho_alloc_preserve()).
 */
#include <stdlib.h>
#include <libfdt.h>

#include "encode_int.h"

/* The tracker kind of the encoder's generation (generations.c). */
#define TRK(e) (khofmt_gen((e)->abi)->tracker)

#define DEFAULT_META_BASE UINT64_C(0x1000000)
#define DEFAULT_META_SIZE (UINT64_C(256) << 20)
#define MAX_NODES 4096

/* Allocate 2^order zeroed pages aligned to their size; returns the pa. */
int khofmt_enc_meta_alloc(struct khofmt_enc *e, unsigned order, uint64_t *pa)
{
	uint64_t sz = UINT64_C(1) << (e->geom.page_shift + order);
	uint64_t off = (e->used + sz - 1) & ~(sz - 1);
	uint64_t abs = e->meta_base + off;

	/* Keep the allocation aligned in physical terms too. */
	if (abs & (sz - 1))
		off += sz - (abs & (sz - 1));
	if (off + sz > e->meta_size || off + sz < off)
		return E_ERR(e, KHOFMT_ERR_LIMIT,
			     "meta area 0x%llx+0x%llx is full",
			     (unsigned long long)e->meta_base,
			     (unsigned long long)e->meta_size);
	if (off + sz > e->cap) {
		size_t ncap = e->cap ? e->cap : (size_t)sz * 16;
		unsigned char *n;

		while (ncap < off + sz)
			ncap *= 2;
		n = realloc(e->meta, ncap);
		if (!n)
			return -KHOFMT_ERR_NOMEM;
		memset(n + e->cap, 0, ncap - e->cap);
		e->meta = n;
		e->cap = ncap;
	}
	e->used = off + sz;
	*pa = e->meta_base + off;
	return 0;
}

#define meta_alloc khofmt_enc_meta_alloc
#define meta_ptr enc_meta_ptr

/* Is member @m inside the caller's struct of @sz bytes? */
#define EOPTS_HAS(opts, m) \
	((opts) && (opts)->sz >= offsetof(struct khofmt_enc_opts, m) + \
				  sizeof((opts)->m))

int khofmt_enc_new(const struct khofmt_enc_opts *opts,
		   struct khofmt_enc **out)
{
	struct khofmt_enc *e;
	unsigned ps = 12;
	int r;

	unsigned depth = 0;

	if (!out)
		return -KHOFMT_ERR_INVAL;
	r = KHOFMT_OPTS_VALID(opts, offsetof(struct khofmt_enc_opts, meta_size) +
				    sizeof(opts->meta_size));
	if (r)
		return r;
	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -KHOFMT_ERR_NOMEM;
	if (opts && opts->page_shift)
		ps = opts->page_shift;
	r = khofmt_geom_init(&e->geom, ps);
	if (r)
		goto fail;
	e->abi = opts && opts->abi ? opts->abi : KHOFMT_ABI_V4;
	if (!khofmt_gen(e->abi)) {
		r = -KHOFMT_ERR_UNSUPPORTED;
		goto fail;
	}
	if (EOPTS_HAS(opts, variant))
		e->variant = opts->variant;
	if (EOPTS_HAS(opts, radix_depth))
		depth = opts->radix_depth;
	r = -KHOFMT_ERR_INVAL;
	if (TRK(e) == GEN_TRACKER_CHUNK) {
		if (!e->variant)
			e->variant = KHOFMT_VARIANT_E1B;
		if ((e->variant != KHOFMT_VARIANT_E1A &&
		     e->variant != KHOFMT_VARIANT_E1B) || depth)
			goto fail;
	} else if (TRK(e) == GEN_TRACKER_RFC) {
		if (e->variant || depth)
			goto fail;
	} else {
		/* kho-v2 is the first radix commit: its depth formula. */
		unsigned early = khofmt_geom_early_depth(&e->geom);

		if (e->variant == KHOFMT_VARIANT_RADIX_EARLY)
			depth = depth ? depth : early;
		else if (e->variant == KHOFMT_VARIANT_RADIX)
			depth = depth ? depth : e->geom.depth;
		else if (e->variant)
			goto fail;
		else if (!depth && khofmt_gen(e->abi)->radix_early_depth)
			depth = early;
		if (depth && depth != early && depth != e->geom.depth)
			goto fail;
		if (depth)
			e->geom.depth = depth;
		/*
		 * Asked for by name, the first kho-v2 tree is written as that
		 * kernel wrote it, order-0 bit dropped (tests of readers);
		 * by default such an entry is refused (add_folio).
		 */
		e->lossy_ok = e->variant || (EOPTS_HAS(opts, radix_depth) &&
					     opts->radix_depth);
	}
	e->meta_base = opts && opts->meta_size ? opts->meta_base
					       : DEFAULT_META_BASE;
	e->meta_size = opts && opts->meta_size ? opts->meta_size
					       : DEFAULT_META_SIZE;
	if ((e->meta_base & ((UINT64_C(1) << ps) - 1)) ||
	    e->meta_base + e->meta_size < e->meta_base ||
	    (e->meta_base + e->meta_size) >> e->geom.phys_bits) {
		r = -KHOFMT_ERR_INVAL;
		goto fail;
	}
	if (TRK(e) == GEN_TRACKER_RADIX) {
		r = meta_alloc(e, 0, &e->root);
		if (r)
			goto fail;
	}
	*out = e;
	return 0;
fail:
	khofmt_enc_free(e);
	return r;
}

void khofmt_enc_free(struct khofmt_enc *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->nnodes; i++)
		free(e->nodes[i].name);
	free(e->nodes);
	free(e->ents);
	free(e->meta);
	free(e);
}

const char *khofmt_enc_errmsg(const struct khofmt_enc *e)
{
	return e ? e->errmsg : "";
}

/* Key bits a tree of g->depth levels indexes (leaf + tables). */
static unsigned radix_width(const struct khofmt_geom *g)
{
	return g->leaf_log2 + (g->depth - 1) * g->tbl_log2;
}

/*
 * Whether the tree reaches @key: with the first kho-v2 depth formula at
 * 16 KiB pages the order-0 bit lies above the top table, and the walk
 * (the kernel's as ours) would read such an entry as another one.
 */
static bool radix_holds(const struct khofmt_geom *g, uint64_t key)
{
	unsigned w = radix_width(g);

	return w >= 64 || !(key >> w);
}

int khofmt_enc_add_folio(struct khofmt_enc *e, uint64_t phys, unsigned order)
{
	const struct khofmt_geom *g;
	uint64_t key, node;
	unsigned level;

	if (!e || e->spent)
		return -KHOFMT_ERR_INVAL;
	g = &e->geom;
	key = khofmt_radix_key(g, phys, order);
	if (!key)
		return E_ERR(e, KHOFMT_ERR_INVAL,
			     "cannot preserve 0x%llx order %u: misaligned or beyond the %u-bit space",
			     (unsigned long long)phys, order, g->phys_bits);
	if (TRK(e) == GEN_TRACKER_RADIX && !e->lossy_ok && !radix_holds(g, key))
		return E_ERR(e, KHOFMT_ERR_UNSUPPORTED,
			     "cannot preserve 0x%llx order %u: its %u-bit key does not fit the "
			     "%u-level tree (%u key bits) of %s at %u KiB pages; the first "
			     "kho-v2 depth formula drops the order-0 bit (doc/ABI.md 4.1.1): "
			     "use --radix-depth %u or a later generation",
			     (unsigned long long)phys, order,
			     64 - __builtin_clzll(key), g->depth, radix_width(g),
			     khofmt_gen(e->abi)->info.compatible, 1u << (g->page_shift - 10),
			     g->depth + 1);
	if (TRK(e) != GEN_TRACKER_RADIX) {
		/* written at finish time, in the generation's own layout */
		struct enc_ent *n = khofmt_grow(e->ents, &e->capents, e->nents + 1,
						sizeof(*n));

		if (!n)
			return -KHOFMT_ERR_NOMEM;
		e->ents = n;
		e->ents[e->nents].phys = phys;
		e->ents[e->nents].order = order;
		e->nents++;
		return 0;
	}
	node = e->root;
	for (level = g->depth - 1; level >= 1; level--) {
		unsigned s = (level - 1) * g->tbl_log2 + g->leaf_log2;
		size_t idx = (key >> s) & ((UINT64_C(1) << g->tbl_log2) - 1);
		uint64_t child = ld_le64(meta_ptr(e, node) + 8 * idx);

		if (!child) {
			int r = meta_alloc(e, 0, &child);

			if (r)
				return r;
			st_le64(meta_ptr(e, node) + 8 * idx, child);
		}
		node = child;
	}
	{
		uint64_t bit = key & ((UINT64_C(1) << g->leaf_log2) - 1);
		unsigned char *w = meta_ptr(e, node) + 8 * (bit / 64);

		st_le64(w, ld_le64(w) | (UINT64_C(1) << (bit % 64)));
	}
	return 0;
}

int khofmt_enc_add_bitmap(struct khofmt_enc *e, uint64_t phys, unsigned order,
			  const uint64_t *bits, uint64_t nbits)
{
	const struct khofmt_geom *g;
	uint64_t key0, lbits, i, shift;

	if (!e || e->spent || (!bits && nbits))
		return -KHOFMT_ERR_INVAL;
	if (!nbits)
		return 0;
	g = &e->geom;
	shift = g->page_shift + (uint64_t)order;
	if (order > g->max_order || shift >= 64 || nbits > (UINT64_MAX >> shift) ||
	    phys + ((nbits - 1) << shift) < phys)
		return E_ERR(e, KHOFMT_ERR_INVAL,
			     "cannot preserve %llu folios of order %u at 0x%llx: beyond the %u-bit space",
			     (unsigned long long)nbits, order,
			     (unsigned long long)phys, g->phys_bits);
	key0 = khofmt_radix_key(g, phys, order);
	if (TRK(e) != GEN_TRACKER_RADIX || !key0 || (!e->lossy_ok && !radix_holds(g, key0)) ||
	    !khofmt_radix_key(g, phys + ((nbits - 1) << shift), order)) {
		/* other layouts, or a span add_folio refuses: folio by folio */
		for (i = 0; i < nbits; i++) {
			if ((bits[i / 64] >> (i % 64)) & 1) {
				int r = khofmt_enc_add_folio(e, phys + (i << shift), order);

				if (r)
					return r;
			}
		}
		return 0;
	}
	/* keys key0 + i, all valid: a leaf holds 2^leaf_log2 of them */
	lbits = UINT64_C(1) << g->leaf_log2;
	for (i = 0; i < nbits;) {
		uint64_t key = key0 + i, lb = key & (lbits - 1);
		uint64_t n = lbits - lb < nbits - i ? lbits - lb : nbits - i;
		uint64_t j, any = 0, node;
		unsigned level;

		/* nothing set in [i, i + n): no leaf (as add_folio would) */
		for (j = i; j < i + n && !any;) {
			uint64_t w = bits[j / 64] >> (j % 64);
			uint64_t take = 64 - j % 64 < i + n - j ? 64 - j % 64 : i + n - j;

			if (take < 64)
				w &= (UINT64_C(1) << take) - 1;
			any = w;
			j += take;
		}
		if (!any) {
			i += n;
			continue;
		}
		node = e->root;
		for (level = g->depth - 1; level >= 1; level--) {
			unsigned s = (level - 1) * g->tbl_log2 + g->leaf_log2;
			size_t idx = (key >> s) & ((UINT64_C(1) << g->tbl_log2) - 1);
			uint64_t child = ld_le64(meta_ptr(e, node) + 8 * idx);

			if (!child) {
				int r = meta_alloc(e, 0, &child);

				if (r)
					return r;
				st_le64(meta_ptr(e, node) + 8 * idx, child);
			}
			node = child;
		}
		{
			unsigned char *leaf = meta_ptr(e, node);

			/* each set bit of bits[i, i + n) at leaf bit lb + (j - i) */
			for (j = i; j < i + n;) {
				uint64_t w = bits[j / 64] >> (j % 64);
				uint64_t take = 64 - j % 64 < i + n - j ? 64 - j % 64 : i + n - j;

				if (take < 64)
					w &= (UINT64_C(1) << take) - 1;
				while (w) {
					uint64_t b = lb + (j - i) + (uint64_t)__builtin_ctzll(w);
					unsigned char *p = leaf + 8 * (b / 64);

					st_le64(p, ld_le64(p) | (UINT64_C(1) << (b % 64)));
					w &= w - 1;
				}
				j += take;
			}
		}
		i += n;
	}
	return 0;
}

int khofmt_enc_add_range(struct khofmt_enc *e, uint64_t phys, uint64_t size)
{
	unsigned ps;

	if (!e)
		return -KHOFMT_ERR_INVAL;
	ps = e->geom.page_shift;
	if ((phys | size) & ((UINT64_C(1) << ps) - 1) || phys + size < phys)
		return E_ERR(e, KHOFMT_ERR_INVAL,
			     "range 0x%llx+0x%llx is not page-aligned",
			     (unsigned long long)phys,
			     (unsigned long long)size);
	while (size) {
		uint64_t pfn = phys >> ps, pages = size >> ps;
		unsigned order = pfn ? __builtin_ctzll(pfn) : 63;
		unsigned fit = 63 - __builtin_clzll(pages);
		int r;

		if (fit < order)
			order = fit;
		if (order > e->geom.max_order)
			order = e->geom.max_order;
		r = khofmt_enc_add_folio(e, phys, order);
		if (r)
			return r;
		phys += UINT64_C(1) << (ps + order);
		size -= UINT64_C(1) << (ps + order);
	}
	return 0;
}

int khofmt_enc_add_subnode(struct khofmt_enc *e, const char *name,
			   uint64_t pa, uint64_t size)
{
	struct enc_node *n;
	size_t i;

	if (!e || !name || !*name || e->spent || strchr(name, '/') ||
	    strchr(name, '@') || strlen(name) > 63)
		return -KHOFMT_ERR_INVAL;
	for (i = 0; i < e->nnodes; i++)
		if (strcmp(e->nodes[i].name, name) == 0)
			return E_ERR(e, KHOFMT_ERR_INVAL,
				     "subnode \"%s\" added twice", name);
	if (e->nnodes >= MAX_NODES)
		return -KHOFMT_ERR_LIMIT;
	n = realloc(e->nodes, (e->nnodes + 1) * sizeof(*n));
	if (!n)
		return -KHOFMT_ERR_NOMEM;
	e->nodes = n;
	n = &e->nodes[e->nnodes];
	n->name = strdup(name);
	if (!n->name)
		return -KHOFMT_ERR_NOMEM;
	n->pa = pa;
	n->size = size;
	e->nnodes++;
	return 0;
}

int khofmt_enc_add_blob(struct khofmt_enc *e, const char *name,
			const void *data, size_t len, uint64_t *pa)
{
	unsigned order = 0, ps;
	uint64_t at;
	int r;

	if (!e || (!data && len) || !len)
		return -KHOFMT_ERR_INVAL;
	ps = e->geom.page_shift;
	while ((UINT64_C(1) << (ps + order)) < len)
		order++;
	r = meta_alloc(e, order, &at);
	if (r)
		return r;
	r = khofmt_enc_add_subnode(e, name, at, len);
	if (r)
		return r;
	memcpy(meta_ptr(e, at), data, len);
	/* The RFC keeps a blob through its node's own `mem` range. */
	if (TRK(e) == GEN_TRACKER_RFC)
		r = 0;
	else
		r = khofmt_enc_add_folio(e, at, order);
	if (r)
		return r;
	if (pa)
		*pa = at;
	return 0;
}

/* Build the root FDT into @buf (P bytes) as the kernel does. */
static int build_fdt(struct khofmt_enc *e, void *buf, size_t P, uint64_t map)
{
	const struct gen_desc *g = khofmt_gen(e->abi);
	uint64_t v;
	size_t i;
	int r;

	/* Root properties first (sequential writer), like kho_out_fdt_setup. */
	r = fdt_create(buf, P);
	r = r ? r : fdt_finish_reservemap(buf);
	r = r ? r : fdt_begin_node(buf, "");
	r = r ? r : fdt_property_string(buf, "compatible", g->info.compatible);
	st_le64(&v, map);
	r = r ? r : fdt_property(buf, "preserved-memory-map", &v, sizeof(v));
	r = r ? r : fdt_end_node(buf);
	r = r ? r : fdt_finish(buf);
	r = r ? r : fdt_open_into(buf, buf, P);
	/* Subtrees are added later in place; libfdt puts each new one first. */
	for (i = 0; !r && i < e->nnodes; i++) {
		int node = fdt_add_subnode(buf, 0, e->nodes[i].name);

		if (node < 0) {
			r = node;
			break;
		}
		st_le64(&v, e->nodes[i].pa);
		/* kho-v1 points at a sub-FDT; v2+ at any blob */
		r = fdt_setprop(buf, node, g->info.blob_ptr, &v, sizeof(v));
		if (!r && g->info.has_size) {
			st_le64(&v, e->nodes[i].size);
			r = fdt_setprop(buf, node, "blob-size", &v, sizeof(v));
		}
	}
	r = r ? r : fdt_pack(buf);
	if (r)
		return E_ERR(e, r == -FDT_ERR_NOSPACE ? KHOFMT_ERR_LIMIT
						      : KHOFMT_ERR_INTERNAL,
			     "building the root FDT: %s", fdt_strerror(r));
	return 0;
}

int khofmt_enc_finish(struct khofmt_enc *e, struct khofmt_source **src,
		      void **fdt, size_t *fdt_len, uint64_t *fdt_pa)
{
	size_t P;
	uint64_t at;
	void *copy, *img;
	struct khofmt_source *s;
	int r;

	if (!e || e->spent || !src || !fdt || !fdt_len)
		return -KHOFMT_ERR_INVAL;
	*src = NULL;
	*fdt = NULL;
	P = (size_t)1 << e->geom.page_shift;
	if (TRK(e) == GEN_TRACKER_RFC) {
		/* One DT of its own size, a kexec segment: not preserved. */
		r = khofmt_enc_rfc_build(e, &at);
		if (r)
			return r;
	} else {
		uint64_t map = e->root;

		r = meta_alloc(e, 0, &at);
		if (r)
			return r;
		/* The root FDT page is itself preserved as an order-0 entry. */
		r = khofmt_enc_add_folio(e, at, 0);
		if (!r && TRK(e) == GEN_TRACKER_CHUNK)
			r = khofmt_enc_chunk_build(e, &map);
		if (r)
			return r;
		r = build_fdt(e, meta_ptr(e, at), P, map);
		if (r)
			return r;
	}
	copy = malloc(fdt_totalsize(meta_ptr(e, at)));
	if (!copy)
		return -KHOFMT_ERR_NOMEM;
	memcpy(copy, meta_ptr(e, at), fdt_totalsize(meta_ptr(e, at)));

	r = khofmt_source_new_mem(&s);
	if (r)
		goto fail;
	r = khofmt_source_mem_add(s, e->meta_base, e->used, &img);
	if (r) {
		khofmt_source_free(s);
		goto fail;
	}
	memcpy(img, e->meta, e->used);
	e->spent = true;
	*src = s;
	*fdt = copy;
	*fdt_len = fdt_totalsize(copy);
	if (fdt_pa)
		*fdt_pa = at;
	return 0;
fail:
	free(copy);
	return r;
}

/* ---- for the sub-schema encoders (declared in khofmt-schema.h) ---- */

int khofmt_enc_alloc(struct khofmt_enc *e, unsigned order, uint64_t *pa)
{
	int r;

	if (!e || !pa || e->spent || order > 20)
		return -KHOFMT_ERR_INVAL;
	r = meta_alloc(e, order, pa);
	if (r)
		return r;
	return khofmt_enc_add_folio(e, *pa, order);
}

int khofmt_enc_write(struct khofmt_enc *e, uint64_t pa, const void *data,
		     size_t len)
{
	if (!e || e->spent || (!data && len) || pa < e->meta_base ||
	    pa - e->meta_base > e->used || len > e->used - (pa - e->meta_base))
		return -KHOFMT_ERR_INVAL;
	memcpy(meta_ptr(e, pa), data, len);
	return 0;
}

unsigned khofmt_enc_page_shift(const struct khofmt_enc *e)
{
	return e ? e->geom.page_shift : 0;
}
