// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The radix-tree tracker of kho-v2..v4 (doc/ABI.md 4.1): tables of P/8
 * child pointers down to leaf bitmaps of P*8 bits, all orders in one tree.
 *
 * Two ways through it:
 *  - a depth-first walk that visits every node once (a page set catches
 *    cycles and shared children) and hands each leaf to a mode: count it
 *    with popcount, or list its entries; bits of a leaf share one order, so
 *    only the leaf under the all-zero prefix needs per-bit decoding;
 *  - per-order streams that yield runs of contiguous entries in address
 *    order, merged by walk.c into coalesced ranges.
 */
#include <stdlib.h>

#include "cpu.h"
#include "internal.h"
#include "source_int.h"

/* Key-bit shift of the index at table level L (L >= 1). */
static inline unsigned lvl_shift(const struct khofmt_geom *g, unsigned level)
{
	return (level - 1) * g->tbl_log2 + g->leaf_log2;
}

/* ------------------------------------------------------------------ */
/* Node access                                                         */
/* ------------------------------------------------------------------ */

/*
 * A page of the tree, zero-copy when the source allows it, else copied into
 * @buf (P bytes). NULL when not covered.
 */
static const unsigned char *node_get(struct khofmt_source *src,
				     const struct khofmt_geom *g, uint64_t pa,
				     unsigned char *buf)
{
	size_t P = (size_t)1 << g->page_shift;
	const unsigned char *p = khofmt_source_ptr(src, pa, P);

	if (p)
		return p;
	if (khofmt_source_read(src, pa, buf, P) < 0)
		return NULL;
	return buf;
}

/* ------------------------------------------------------------------ */
/* Depth-first walk                                                    */
/* ------------------------------------------------------------------ */

struct rwalk;

struct rwalk_mode {
	/*
	 * A leaf whose bits all decode to @order; entry b is at
	 * base + (b << (PS + order)). May be NULL (nodes only).
	 */
	int (*leaf)(struct rwalk *w, const unsigned char *leaf,
		    uint64_t base, unsigned order);
	/* One entry from a leaf that needs per-bit decoding. */
	int (*entry)(struct rwalk *w, uint64_t phys, unsigned order);
	/* Every node, before its children. May be NULL. */
	int (*node)(struct rwalk *w, uint64_t pa, unsigned level,
		    bool empty_leaf);
	/* Every leaf that passed the checks, with its key prefix. May be NULL. */
	int (*leafref)(struct rwalk *w, uint64_t pa, uint64_t prefix);
};

struct rwalk {
	struct khofmt_handover *h;
	const struct khofmt_walk_opts *opts;
	const struct rwalk_mode *mode;
	void *arg;
	struct pageset seen;
	unsigned char *buf;	/* depth * P fallback buffers, made on demand */
	int err;		/* allocating them failed */
	unsigned long problems;	/* reported so far */
};

/* khofmt_report() for the walk, counted (the index is cached only when 0) */
#define rreport(w, ...) \
	(++(w)->problems, khofmt_report((w)->h, (w)->opts, __VA_ARGS__))

/*
 * Page @pa of the tree: zero-copy when the source allows, else read into
 * fallback buffer @slot (one per level). NULL when it cannot be read.
 */
static const unsigned char *rwalk_node(struct rwalk *w, uint64_t pa,
				       unsigned slot)
{
	const struct khofmt_geom *g = &w->h->geom;
	size_t P = (size_t)1 << g->page_shift;
	const unsigned char *p = khofmt_source_ptr(w->h->src, pa, P);

	if (p)
		return p;
	if (!w->buf) {
		w->buf = malloc(P * g->depth);
		if (!w->buf) {
			w->err = -KHOFMT_ERR_NOMEM;
			return NULL;
		}
	}
	return node_get(w->h->src, g, pa, w->buf + (size_t)slot * P);
}

/*
 * Check a pointer found in a table (or the root pointer) before following
 * it. Returns 1 to follow, 0 to skip (problem reported, walk goes on), or
 * the report's stop value (1 -> we map to 2) / negative error.
 */
static int check_child(struct rwalk *w, unsigned parent_level,
		       uint64_t parent_pa, uint64_t idx, uint64_t child,
		       unsigned child_level, const unsigned char **zc)
{
	const struct khofmt_geom *g = &w->h->geom;
	uint64_t P = UINT64_C(1) << g->page_shift;
	int r;

	*zc = NULL;

	if (child & (P - 1)) {
		r = rreport(w, KHOFMT_ERR_STRUCT,
				  parent_level, parent_pa, idx, child,
				  "radix level %u node 0x%llx entry %llu: child 0x%llx is not page-aligned",
				  parent_level, (unsigned long long)parent_pa,
				  (unsigned long long)idx,
				  (unsigned long long)child);
		return r ? (r > 0 ? 2 : r) : 0;
	}
	/* a zero-copy page is covered: one look-up, kept for the descent */
	*zc = khofmt_source_ptr(w->h->src, child, (size_t)P);
	if (!*zc && !khofmt_source_covers(w->h->src, child, P)) {
		r = rreport(w, KHOFMT_ERR_NOTCOVERED,
				  parent_level, parent_pa, idx, child,
				  "radix level %u node 0x%llx entry %llu: %s page 0x%llx is %s",
				  parent_level, (unsigned long long)parent_pa,
				  (unsigned long long)idx,
				  child_level ? "table" : "leaf",
				  (unsigned long long)child,
				  khofmt_src_missing(w->h->src, child));
		return r ? (r > 0 ? 2 : r) : 0;
	}
	r = khofmt_pageset_add(&w->seen, child);
	if (r < 0)
		return r;
	if (r == 0) {
		r = rreport(w, KHOFMT_ERR_LOOP,
				  parent_level, parent_pa, idx, child,
				  "radix level %u node 0x%llx entry %llu: page 0x%llx is already part of the tree (cycle or shared child)",
				  parent_level, (unsigned long long)parent_pa,
				  (unsigned long long)idx,
				  (unsigned long long)child);
		return r ? (r > 0 ? 2 : r) : 0;
	}
	return 1;
}

/* The leaf under the all-zero prefix: orders differ bit by bit. */
static int leaf_slow(struct rwalk *w, uint64_t leaf_pa,
		     const unsigned char *leaf, uint64_t prefix)
{
	const struct khofmt_geom *g = &w->h->geom;
	size_t nwords = ((size_t)1 << g->page_shift) / 8, i;
	int r;

	for (i = 0; i < nwords; i++) {
		uint64_t word = ld_le64(leaf + 8 * i);

		while (word) {
			unsigned b = __builtin_ctzll(word);
			uint64_t key = prefix | (i * 64 + b), phys;
			unsigned order;

			word &= word - 1;
			if (khofmt_radix_decode(g, key, &phys, &order) < 0) {
				r = rreport(w,
						  KHOFMT_ERR_BADKEY, 0, leaf_pa,
						  i * 64 + b, key,
						  "radix leaf 0x%llx bit %llu: key 0x%llx decodes to no valid entry (zero key, order too large or beyond %u physical bits)",
						  (unsigned long long)leaf_pa,
						  (unsigned long long)(i * 64 + b),
						  (unsigned long long)key,
						  g->phys_bits);
				if (r)
					return r > 0 ? 2 : r;
				continue;
			}
			if (w->mode->entry) {
				r = w->mode->entry(w, phys, order);
				if (r)
					return r;
			}
		}
	}
	return 0;
}

static bool leaf_is_empty(const struct khofmt_geom *g,
			  const unsigned char *leaf)
{
	size_t nwords = ((size_t)1 << g->page_shift) / 8, i;

	for (i = 0; i < nwords; i++)
		if (ld_le64(leaf + 8 * i))
			return false;
	return true;
}

static int do_leaf(struct rwalk *w, uint64_t pa, const unsigned char *leaf,
		   uint64_t prefix)
{
	const struct khofmt_geom *g = &w->h->geom;
	unsigned hb, order, shift;
	uint64_t nbits = UINT64_C(1) << g->leaf_log2, base, end;
	int r;

	if (w->mode->leafref) {
		r = w->mode->leafref(w, pa, prefix);
		if (r)
			return r;
	}
	if (w->mode->node) {
		r = w->mode->node(w, pa, 0, leaf_is_empty(g, leaf));
		if (r)
			return r;
	}
	if (!w->mode->leaf && !w->mode->entry)
		return 0;
	if (!prefix)
		return leaf_slow(w, pa, leaf, prefix);
	hb = 63 - __builtin_clzll(prefix);
	order = g->order0_bit - hb;
	shift = g->page_shift + order;
	/* All bits share the order; check the leaf's span fits at once. */
	base = (prefix - (UINT64_C(1) << hb)) << shift;
	end = base + (nbits << shift);
	if (order > g->max_order || (base >> g->phys_bits) ||
	    ((end - 1) >> g->phys_bits) || end < base)
		return leaf_slow(w, pa, leaf, prefix);
	if (w->mode->leaf)
		return w->mode->leaf(w, leaf, base, order);
	return leaf_slow(w, pa, leaf, prefix);
}

/* Mask words of a table's non-zero entries: P / 8 / 64 for P up to 64 KiB. */
#define TABLE_MASKS ((UINT64_C(1) << 16) / 8 / 64)

static int do_table(struct rwalk *w, uint64_t pa, unsigned level,
		    uint64_t prefix, const unsigned char *node)
{
	const struct khofmt_geom *g = &w->h->geom;
	size_t P = (size_t)1 << g->page_shift, n = P / 8, bw, limit = n;
	unsigned s = lvl_shift(g, level);
	uint64_t mask[TABLE_MASKS], blocks[(TABLE_MASKS + 63) / 64], bm;
	int r;

	if (n % 64 || n / 64 > TABLE_MASKS)
		return -KHOFMT_ERR_INTERNAL;	/* geom allows 4, 16, 64 KiB */
	if (!node)
		node = rwalk_node(w, pa, level);
	if (!node)	/* covered was checked */
		return w->err ? w->err : -KHOFMT_ERR_INTERNAL;
	if (w->mode->node) {
		r = w->mode->node(w, pa, level, false);
		if (r)
			return r;
	}
	/* Root: indexes at or above this limit hold keys wider than KEY_BITS. */
	if (level == g->depth - 1 && s + g->tbl_log2 > g->key_bits)
		limit = (size_t)1 << (g->key_bits - s);
	/*
	 * The non-zero entries, 64 a mask (AVX2 where the CPU has it, cpu.c):
	 * a zero block of a sparse table costs one test, and only the entries
	 * found are checked, each in table order as before.
	 */
	if (!khofmt_nonzero_words(node, n, mask, blocks))
		return 0;
	for (bw = 0; bw < (n / 64 + 63) / 64; bw++) {
		/* the blocks with a non-zero entry, then their entries */
		for (bm = blocks[bw]; bm; bm &= bm - 1) {
			size_t b = 64 * bw + (size_t)__builtin_ctzll(bm);
			uint64_t m = mask[b];

			while (m) {
				size_t i = 64 * b + (size_t)__builtin_ctzll(m);
				uint64_t c = ld_le64(node + 8 * i);
				uint64_t k = prefix | ((uint64_t)i << s);
				const unsigned char *cn;

				m &= m - 1;
				if (i >= limit) {
					r = rreport(w, KHOFMT_ERR_BADKEY,
						    level, pa, i, c,
						    "radix root 0x%llx entry %zu: index beyond the %u-bit key space (valid 0..%zu)",
						    (unsigned long long)pa, i,
						    g->key_bits, limit - 1);
					if (r)
						return r > 0 ? 2 : r;
					continue;
				}
				r = check_child(w, level, pa, i, c, level - 1, &cn);
				if (r == 0)
					continue;
				if (r != 1)
					return r;
				if (level == 1) {
					if (!cn)
						cn = rwalk_node(w, c, 0);
					if (!cn)
						return w->err ? w->err : -KHOFMT_ERR_INTERNAL;
					r = do_leaf(w, c, cn, k);
				} else {
					r = do_table(w, c, level - 1, k, cn);
				}
				if (r)
					return r;
			}
		}
	}
	return 0;
}

/* The root pointer from `preserved-memory-map`: 1 = follow, else as above. */
static int check_root(struct rwalk *w)
{
	uint64_t P = UINT64_C(1) << w->h->geom.page_shift, root = w->h->root;
	unsigned top = w->h->geom.depth - 1;
	int r = 0;

	if (!root)
		r = rreport(w, KHOFMT_ERR_STRUCT, top, 0, 0, 0,
				  "preserved-memory-map is 0: no radix tree root");
	else if (root & (P - 1))
		r = rreport(w, KHOFMT_ERR_STRUCT, top, root,
				  0, root,
				  "preserved-memory-map 0x%llx is not page-aligned",
				  (unsigned long long)root);
	else if (!khofmt_source_covers(w->h->src, root, P))
		r = rreport(w, KHOFMT_ERR_NOTCOVERED, top,
				  root, 0, root,
				  "radix root 0x%llx (preserved-memory-map) is %s",
				  (unsigned long long)root,
				  khofmt_src_missing(w->h->src, root));
	else
		return khofmt_pageset_add(&w->seen, root) < 0 ? -KHOFMT_ERR_NOMEM : 1;
	return r > 0 ? 2 : r;
}

/*
 * Returns 0 done, >0 stopped by a callback, <0 error; *problems (may be
 * NULL) the number of problems reported.
 */
static int rwalk_run_counted(struct khofmt_handover *h,
			     const struct khofmt_walk_opts *opts,
			     const struct rwalk_mode *mode, void *arg,
			     unsigned long *problems)
{
	const struct khofmt_geom *g = &h->geom;
	struct rwalk w = { .h = h, .opts = opts, .mode = mode, .arg = arg };
	int r;

	h->errmsg[0] = '\0';
	if (KHOFMT_OPTS_VALID(opts, sizeof(*opts)))
		return KHOFMT_OPTS_VALID(opts, sizeof(*opts));
	khofmt_pageset_init(&w.seen);
	r = check_root(&w);
	if (r == 1)
		r = do_table(&w, h->root, g->depth - 1, 0, NULL);
	if (r == 2)
		r = 1;	/* problem callback asked to stop */
	khofmt_pageset_free(&w.seen);
	free(w.buf);
	if (problems)
		*problems = w.problems;
	return r;
}

static int rwalk_run(struct khofmt_handover *h,
		     const struct khofmt_walk_opts *opts,
		     const struct rwalk_mode *mode, void *arg)
{
	return rwalk_run_counted(h, opts, mode, arg, NULL);
}

/* ---- mode: check only ---- */

/* Leaves whose bits all decode cleanly need no look at their bits. */
static int check_leaf(struct rwalk *w, const unsigned char *leaf,
		      uint64_t base, unsigned order)
{
	(void)w; (void)leaf; (void)base; (void)order;
	return 0;
}

static int radix_check(struct khofmt_handover *h,
		       const struct khofmt_walk_opts *opts)
{
	static const struct rwalk_mode m = { .leaf = check_leaf };

	return rwalk_run(h, opts, &m, NULL);
}

/* ---- mode: check, and index the leaves for the streams ---- */

struct leafref {
	uint64_t pa;		/* the leaf page */
	uint64_t key;		/* key of its bit 0 */
};

struct radix_index {
	struct tracker_index hdr;
	struct leafref *v;	/* in key order (the walk's order) */
	size_t n, cap;
	/* kept by the handover (h->tdata): what it was built for */
	bool cached;
	uint64_t root;
	const struct khofmt_source *src;
	struct khofmt_geom geom;
};

static int index_leafref(struct rwalk *w, uint64_t pa, uint64_t prefix)
{
	const struct khofmt_geom *g = &w->h->geom;
	struct radix_index *ix = w->arg;
	struct leafref *v;

	v = khofmt_grow(ix->v, &ix->cap, ix->n + 1, sizeof(*v));
	if (!v)
		return -KHOFMT_ERR_NOMEM;
	ix->v = v;
	v[ix->n].pa = pa;
	v[ix->n].key = prefix;
	ix->n++;
	if (prefix) {
		/* prefix >= 2^leaf_log2: the whole leaf is one order's */
		unsigned hb = 63 - (unsigned)__builtin_clzll(prefix);

		if (hb <= g->order0_bit && g->order0_bit - hb < 64)
			ix->hdr.orders |= UINT64_C(1) << (g->order0_bit - hb);
	} else {
		/* keys 1 .. 2^leaf_log2 - 1: the orders whose hb is below */
		unsigned hb;

		for (hb = 0; hb < g->leaf_log2 && hb <= g->order0_bit; hb++)
			if (g->order0_bit - hb < 64)
				ix->hdr.orders |= UINT64_C(1) << (g->order0_bit - hb);
	}
	return 0;
}

static void radix_index_free(void *p)
{
	struct radix_index *ix = p;

	if (!ix)
		return;
	free(ix->v);
	free(ix);
}

static void radix_index_close(struct tracker_index *hdr)
{
	struct radix_index *ix = (struct radix_index *)hdr;

	if (ix && !ix->cached)
		radix_index_free(ix);
}

/*
 * Can the index of this handover's tree be kept for the next walk? Only
 * when the memory cannot change while the handover lives: a read-only
 * file mapping (ELF core, raw image), not an in-memory image its owner may
 * write, not a live or pread() source.
 */
static bool source_is_fixed(const struct khofmt_source *src)
{
	return (src->kind == KHOFMT_SOURCE_ELF || src->kind == KHOFMT_SOURCE_RAW) &&
	       src->map && src->fd < 0 && !src->kd;
}

/*
 * The leaves of the tree in key order, after the structure checks (every
 * problem reported through @opts). A tree that passed them without a
 * single problem, in memory that cannot change, is checked once per
 * handover: its index is kept (h->tdata) and handed to the next walk,
 * which has nothing to report. A tree with problems is checked (and its
 * problems reported) again on every walk.
 */
static int radix_index_open(struct khofmt_handover *h,
			    const struct khofmt_walk_opts *opts,
			    struct tracker_index **out)
{
	static const struct rwalk_mode m = {
		.leaf = check_leaf, .leafref = index_leafref,
	};
	struct radix_index *ix = h->tdata;
	unsigned long problems = 0;
	int r;

	*out = NULL;
	if (ix && h->tdata_free == radix_index_free && ix->root == h->root &&
	    ix->src == h->src && !memcmp(&ix->geom, &h->geom, sizeof(ix->geom))) {
		h->errmsg[0] = '\0';
		*out = &ix->hdr;
		return 0;
	}
	ix = calloc(1, sizeof(*ix));
	if (!ix)
		return -KHOFMT_ERR_NOMEM;
	r = rwalk_run_counted(h, opts, &m, ix, &problems);
	if (r) {
		radix_index_close(&ix->hdr);
		return r;
	}
	if (!problems && !h->tdata && source_is_fixed(h->src)) {
		ix->cached = true;
		ix->root = h->root;
		ix->src = h->src;
		ix->geom = h->geom;
		h->tdata = ix;
		h->tdata_free = radix_index_free;
	}
	*out = &ix->hdr;
	return 0;
}

/* ---- mode: folios ---- */

struct folio_arg {
	khofmt_folio_cb cb;
	void *arg;
};

static int folios_entry(struct rwalk *w, uint64_t phys, unsigned order)
{
	struct folio_arg *a = w->arg;

	return a->cb(a->arg, phys, order);
}

static int folios_leaf(struct rwalk *w, const unsigned char *leaf,
		       uint64_t base, unsigned order)
{
	struct folio_arg *a = w->arg;
	size_t nwords = ((size_t)1 << w->h->geom.page_shift) / 8, i;
	unsigned shift = w->h->geom.page_shift + order;
	int r;

	for (i = 0; i < nwords; i++) {
		uint64_t word = ld_le64(leaf + 8 * i);

		while (word) {
			uint64_t b = i * 64 + __builtin_ctzll(word);

			word &= word - 1;
			r = a->cb(a->arg, base + (b << shift), order);
			if (r)
				return r;
		}
	}
	return 0;
}

static int radix_walk_folios(struct khofmt_handover *h,
			     const struct khofmt_walk_opts *opts,
			     khofmt_folio_cb cb, void *arg)
{
	static const struct rwalk_mode m = {
		.leaf = folios_leaf, .entry = folios_entry,
	};
	struct folio_arg a = { cb, arg };

	return rwalk_run(h, opts, &m, &a);
}

/* ---- mode: stats ---- */

static int stats_entry(struct rwalk *w, uint64_t phys, unsigned order)
{
	unsigned ps = w->h->geom.page_shift;

	khofmt_stats_add(w->arg, 1, order, ps, phys, phys + (UINT64_C(1) << (ps + order)));
	return 0;
}

static int stats_leaf(struct rwalk *w, const unsigned char *leaf,
		       uint64_t base, unsigned order)
{
	size_t nwords = ((size_t)1 << w->h->geom.page_shift) / 8;
	unsigned shift = w->h->geom.page_shift + order;
	size_t fw = skip_zero_words(leaf, 0, nwords), lw = nwords;
	uint64_t n, first, last, word;

	if (fw == nwords)
		return 0;
	while (!(word = ld_le64(leaf + 8 * --lw)))
		;
	first = fw * 64 + (uint64_t)__builtin_ctzll(ld_le64(leaf + 8 * fw));
	last = lw * 64 + 63 - (uint64_t)__builtin_clzll(word);
	/* the count: POPCNT or AVX2 where the CPU has them (cpu.c) */
	n = khofmt_popcount_words(leaf + 8 * fw, lw - fw + 1);
	khofmt_stats_add(w->arg, n, order, w->h->geom.page_shift,
			 base + (first << shift), base + ((last + 1) << shift));
	return 0;
}

static int stats_node(struct rwalk *w, uint64_t pa, unsigned level,
		      bool empty_leaf)
{
	struct khofmt_stats *st = w->arg;

	(void)pa;
	if (level < KHOFMT_MAX_LEVELS)
		st->tracker_pages[level]++;
	st->tracker_total_pages++;
	st->tracker_bytes += UINT64_C(1) << w->h->geom.page_shift;
	if (level == 0 && empty_leaf)
		st->empty_leaves++;
	return 0;
}

static int radix_stats(struct khofmt_handover *h,
		       const struct khofmt_walk_opts *opts,
		       struct khofmt_stats *st)
{
	static const struct rwalk_mode m = {
		.leaf = stats_leaf, .entry = stats_entry, .node = stats_node,
	};

	memset(st, 0, sizeof(*st));
	return rwalk_run(h, opts, &m, st);
}

/* ---- mode: nodes ---- */

struct node_arg {
	khofmt_node_cb cb;
	void *arg;
};

static int nodes_node(struct rwalk *w, uint64_t pa, unsigned level,
		      bool empty_leaf)
{
	struct node_arg *a = w->arg;

	(void)empty_leaf;
	return a->cb(a->arg, pa, level);
}

static int radix_walk_nodes(struct khofmt_handover *h,
			    const struct khofmt_walk_opts *opts,
			    khofmt_node_cb cb, void *arg)
{
	static const struct rwalk_mode m = { .node = nodes_node };
	struct node_arg a = { cb, arg };

	return rwalk_run(h, opts, &m, &a);
}

/* ------------------------------------------------------------------ */
/* Per-order streams                                                   */
/* ------------------------------------------------------------------ */

/*
 * A stream walks the tables of one order's key range depth-first and turns
 * each leaf into runs a 64-bit word at a time: in word w, run starts are
 * w & ~(w << 1) and run ends (last bit of a run) w & ~(w >> 1); the k-th
 * start and the k-th end of a word delimit one run, found with two ctz.
 * Runs that cross a word or leaf boundary come out as pieces that touch and
 * are joined by the pending-run check, so no per-bit or per-word carry is
 * needed. Runs are handed out in batches (stream_fill) so that the merge in
 * walk.c pays one indirect call per batch, not per run.
 */

struct frame {
	const unsigned char *node;
	uint64_t prefix;
	uint32_t idx, end;
};

struct order_stream {
	struct khofmt_handover *h;
	unsigned order, hb, shift;
	uint64_t lo, hi;		/* key range of this order */
	int top;			/* current table frame = level */
	struct frame f[KHOFMT_MAX_LEVELS];
	/* current leaf: words [wi, wend) left; NULL when none */
	const unsigned char *leaf;
	const unsigned char *next;	/* the leaf after it (to prefetch), or NULL */
	size_t wi, wfirst, wend;
	uint64_t mfirst, mlast;		/* masks of the first / last word */
	uint64_t kbase;			/* entry index of the leaf's bit 0 */
	bool pend;			/* a run held back by the last batch */
	uint64_t pstart, pend_end;
	/* runs for callers that take fewer than FILL_MIN at a time */
	struct khofmt_range q[66];
	unsigned qi, qn;
	bool done;
	bool bmi;			/* stream_fill_words' BMI kernel */
	struct pageset seen;		/* each page once per stream */
	unsigned char *buf;		/* depth * P fallback buffers, or NULL */
	/* with an index: its leaves [li, lend) are this order's */
	const struct radix_index *ix;
	size_t li, lend;
};

/* Set up the leaf @n (key prefix @k) for word-at-a-time extraction. */
static void stream_leaf(struct order_stream *s, const unsigned char *n,
			uint64_t k)
{
	const struct khofmt_geom *g = &s->h->geom;
	uint64_t nbits = UINT64_C(1) << g->leaf_log2;
	uint64_t bit = s->lo > k ? s->lo - k : 0;
	uint64_t bit_end = s->hi - k < nbits ? s->hi - k : nbits;
	uint64_t lim;

	/*
	 * Bit b is entry k + b - 2^hb of this order (b >= bit keeps that
	 * non-negative; the leaf under the all-zero prefix holds several
	 * orders). Entries at or beyond 2^phys_bits are not ranges (check()
	 * reports them): clip the leaf to the entries below.
	 */
	lim = (s->shift <= g->phys_bits ?
	       UINT64_C(1) << (g->phys_bits - s->shift) : 0) +
	      (UINT64_C(1) << s->hb);
	if (k >= lim)
		return;
	if (bit_end > lim - k)
		bit_end = lim - k;
	if (bit >= bit_end)
		return;
	s->leaf = n;
	s->kbase = k - (UINT64_C(1) << s->hb);	/* modulo 2^64 */
	s->wi = s->wfirst = bit >> 6;
	s->wend = (bit_end + 63) >> 6;
	s->mfirst = ~UINT64_C(0) << (bit & 63);
	s->mlast = bit_end & 63 ? (UINT64_C(1) << (bit_end & 63)) - 1
				: ~UINT64_C(0);
}

/* Open the child at frame @lvl's current index; 1 = opened, 0 = skip. */
static int stream_descend(struct order_stream *s, unsigned lvl, uint64_t c,
			  uint64_t k)
{
	const struct khofmt_geom *g = &s->h->geom;
	size_t P = (size_t)1 << g->page_shift;
	const unsigned char *n;
	int r;

	if ((c & (P - 1)) || !khofmt_source_covers(s->h->src, c, P))
		return 0;
	r = khofmt_pageset_add(&s->seen, c);
	if (r <= 0)
		return r;
	n = khofmt_source_ptr(s->h->src, c, P);
	if (!n) {
		/* not zero-copy: read into this level's buffer (made on demand) */
		if (!s->buf) {
			s->buf = malloc(P * g->depth);
			if (!s->buf)
				return -KHOFMT_ERR_NOMEM;
		}
		n = node_get(s->h->src, g, c, s->buf + (size_t)(lvl - 1) * P);
	}
	if (!n)
		return 0;
	if (lvl == 1) {
		stream_leaf(s, n, k);
	} else {
		unsigned sh = lvl_shift(g, lvl - 1);
		uint64_t n_ent = P / 8;
		uint64_t first = s->lo > k ? (s->lo - k) >> sh : 0;
		uint64_t last = ((s->hi - 1 - k) >> sh) + 1;

		s->top = lvl - 1;
		s->f[s->top].node = n;
		s->f[s->top].prefix = k;
		s->f[s->top].idx = first;
		s->f[s->top].end = last < n_ent ? last : n_ent;
	}
	return 1;
}

/* The next leaf of the index: 0 = a leaf is set, 1 = end, < 0 error. */
static int stream_next_leaf_ix(struct order_stream *s)
{
	size_t P = (size_t)1 << s->h->geom.page_shift;

	while (!s->leaf && s->li < s->lend) {
		const struct leafref *ref = &s->ix->v[s->li++];
		const unsigned char *n = khofmt_source_ptr(s->h->src, ref->pa, P);

		if (!n) {
			/* not zero-copy: one page buffer, made on demand */
			if (!s->buf) {
				s->buf = malloc(P);
				if (!s->buf)
					return -KHOFMT_ERR_NOMEM;
			}
			if (khofmt_source_read(s->h->src, ref->pa, s->buf, P) < 0)
				continue;	/* was readable at check time */
			n = s->buf;
		}
		stream_leaf(s, n, ref->key);
		/* the next leaf, for the sparse walk to prefetch (blocks_bmi) */
		s->next = s->leaf && s->li < s->lend ?
			  khofmt_source_ptr(s->h->src, s->ix->v[s->li].pa, P) : NULL;
	}
	return s->leaf ? 0 : 1;
}

/* Move to the next leaf of this order: 0 = a leaf is set, 1 = end, < 0. */
static int stream_next_leaf(struct order_stream *s)
{
	const struct khofmt_geom *g = &s->h->geom;

	if (s->ix)
		return stream_next_leaf_ix(s);
	while (!s->leaf) {
		struct frame *f;
		uint64_t c, k;
		unsigned lvl;
		int r;

		if (s->top >= (int)g->depth)
			return 1;
		f = &s->f[s->top];
		/* skip empty entries in a tight loop (sparse tables) */
		{
			f->idx = (uint32_t)skip_zero_words(f->node, f->idx,
							   f->end);
		}
		if (f->idx >= f->end) {
			if (s->top == (int)g->depth - 1)
				return 1;
			s->top++;
			continue;
		}
		c = ld_le64(f->node + 8 * (size_t)f->idx);
		k = f->prefix | ((uint64_t)f->idx << lvl_shift(g, s->top));
		lvl = s->top;
		f->idx++;
		r = stream_descend(s, lvl, c, k);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Runs of this order into @out (room for @max >= FILL_MIN): each non-zero
 * word's runs are written straight out, start and length from the k-th
 * start and end bits (no per-run state or test); only a word whose bit 0
 * continues the previous run extends that run, tested once per word. A
 * batch stops while a whole word still fits, and its last run is held
 * back in the stream (it may go on in the next word) unless the stream is
 * done. Returns the number of runs (> 0) or 0 at the end.
 */
/*
 * The runs of word @w (entry index of its bit 0: @wbit) at out[n..];
 * returns the new n. A run at bit 0 that goes on from out[n - 1] extends
 * it. The first run is written without a test: a word without one writes
 * a run that is not counted (the caller keeps room for 33), so the sparse
 * case (a bit or none per word) has no branch that depends on the data.
 */
static inline size_t word_runs(struct khofmt_range *out, size_t n, uint64_t w,
			       uint64_t wbit, unsigned shift)
{
	uint64_t smask = w & ~(w << 1), emask = w & ~(w >> 1), a, b;

	if ((w & 1) && n && out[n - 1].start + out[n - 1].size == wbit << shift) {
		out[n - 1].size += (uint64_t)(__builtin_ctzll(emask) + 1) << shift;
		smask &= smask - 1;
		emask &= emask - 1;
	}
	a = (uint64_t)__builtin_ctzll(smask | (UINT64_C(1) << 63));
	b = (uint64_t)__builtin_ctzll(emask | (UINT64_C(1) << 63));
	out[n].start = (wbit + a) << shift;
	out[n].size = (b - a + 1) << shift;
	n += smask != 0;
	smask &= smask - 1;
	emask &= emask - 1;
	while (smask) {
		a = (uint64_t)__builtin_ctzll(smask);
		b = (uint64_t)__builtin_ctzll(emask);
		out[n].start = (wbit + a) << shift;
		out[n].size = (b - a + 1) << shift;
		n++;
		smask &= smask - 1;
		emask &= emask - 1;
	}
	return n;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* Slots word_bmi4 may write from n on: 32 runs and 3 not counted. */
#define WORD_ROOM 35

#define HAVE_BMI_KERNEL 1
/* TZCNT (BMI1): 64 for 0, unlike BSF; only run on a CPU that has it */
static inline uint64_t tzcnt64(uint64_t x)
{
	uint64_t r;

	__asm__("tzcnt %1, %0" : "=r"(r) : "rm"(x) : "cc");
	return r;
}

/*
 * word_runs for a CPU with BMI1/BMI2 (TZCNT, BLSR, SHLX): a run's end is
 * the clear bit after it (~w & w << 1), whose count is 64 for a run that
 * reaches bit 63 (TZCNT of what is left, 0), so a run costs two counts,
 * two shifts, an add, a subtract, two stores and two BLSRs.
 */
static inline size_t word_runs_bmi(struct khofmt_range *out, size_t n,
				   uint64_t w, uint64_t wbit, unsigned shift)
{
	uint64_t smask = w & ~(w << 1), emask = ~w & (w << 1), a, b;
	const uint64_t base = wbit << shift;
	struct khofmt_range *p;

	if ((w & 1) && n && out[n - 1].start + out[n - 1].size == base) {
		out[n - 1].size += tzcnt64(emask) << shift;
		smask &= smask - 1;
		emask &= emask - 1;
	}
	/* the first run without a test, as in word_runs */
	p = out + n;
	a = tzcnt64(smask);
	b = tzcnt64(emask);
	p->start = base + (a << shift);
	p->size = (b << shift) - (a << shift);
	p += smask != 0;
	smask &= smask - 1;
	emask &= emask - 1;
	while (smask) {
		a = tzcnt64(smask);
		b = tzcnt64(emask);
		p->start = base + (a << shift);
		p->size = (b << shift) - (a << shift);
		p++;
		smask &= smask - 1;
		emask &= emask - 1;
	}
	return (size_t)(p - out);
}
#define WORD_RUNS(...) (bmi ? word_runs_bmi(__VA_ARGS__) : word_runs(__VA_ARGS__))

/*
 * The runs of word @w whose bit 0 is at byte address @base (@shift: log2
 * of an entry's size) at out[n..]; the new n. The first run is written
 * without a test (a word without one writes a run that is not counted);
 * a second run and a bit 0 that may continue out[n - 1] are the only
 * branches, both rare in a sparse leaf.
 */
static inline __attribute__((always_inline)) size_t
word_bmi(struct khofmt_range *out, size_t n, uint64_t w, uint64_t base,
	 unsigned shift, bool cont)
{
	uint64_t smask = w & ~(w << 1), emask = ~w & (w << 1), a, b;

	if (__builtin_expect(cont, 0)) {
		out[n - 1].size += tzcnt64(emask) << shift;
		smask &= smask - 1;
		emask &= emask - 1;
	}
	a = tzcnt64(smask);
	b = tzcnt64(emask);
	out[n].start = base + (a << shift);
	out[n].size = (b - a) << shift;
	n += smask != 0;
	smask &= smask - 1;
	emask &= emask - 1;
	/* the second run without a test too (1 word in 16 at 1 % density) */
	a = tzcnt64(smask);
	b = tzcnt64(emask);
	out[n].start = base + (a << shift);
	out[n].size = (b - a) << shift;
	n += smask != 0;
	smask &= smask - 1;
	if (__builtin_expect(smask != 0, 0)) {
		emask &= emask - 1;
		do {
			a = tzcnt64(smask);
			b = tzcnt64(emask);
			out[n].start = base + (a << shift);
			out[n].size = (b - a) << shift;
			n++;
			smask &= smask - 1;
			emask &= emask - 1;
		} while (smask);
	}
	return n;
}

/*
 * word_bmi for dense words (lines_bmi): the runs four at a time.
 */
static inline __attribute__((always_inline)) size_t
word_bmi4(struct khofmt_range *out, size_t n, uint64_t w, uint64_t base,
	  unsigned shift, bool cont)
{
	uint64_t smask = w & ~(w << 1), emask = ~w & (w << 1), a, b;
	struct khofmt_range *p;
	size_t r;

	if (__builtin_expect(cont, 0)) {
		out[n - 1].size += tzcnt64(emask) << shift;
		smask &= smask - 1;
		emask &= emask - 1;
	}
	/*
	 * The runs four at a time, without a test between them: a group
	 * past the last run writes slots that are not counted (up to
	 * WORD_ROOM - 32 of them), so a word costs one loop exit, not one
	 * test per run.
	 */
	r = (size_t)__builtin_popcountll(smask);
	p = out + n;
	do {
#define RUN_AT(k)							\
		a = tzcnt64(smask);					\
		b = tzcnt64(emask);					\
		p[k].start = base + (a << shift);			\
		p[k].size = (b - a) << shift;				\
		smask &= smask - 1;					\
		emask &= emask - 1;
		RUN_AT(0) RUN_AT(1) RUN_AT(2) RUN_AT(3)
#undef RUN_AT
		p += 4;
	} while (smask);
	return n + r;
}

/*
 * word_bmi4 out of line, for block_runs: a word that is not isolated bits
 * (every word of a dense leaf, few of a sparse one) costs a call, and the
 * sparse loop stays small.
 */
__attribute__((noinline, target("bmi,bmi2,popcnt")))
static size_t word_bmi4_call(struct khofmt_range *out, size_t n, uint64_t w,
			     uint64_t base, unsigned shift, bool cont)
{
	return word_bmi4(out, n, w, base, shift, cont);
}

/* Does bit 0 of @w continue out[n - 1] (which ends at @base if so)? */
static inline bool cont_any(const struct khofmt_range *out, size_t n,
			    uint64_t w, uint64_t base)
{
	return (w & 1) && n && out[n - 1].start + out[n - 1].size == base;
}

/* ... when @prev, the word before @w, was just done: its bit 63 ran on */
#define CONT(w, prev) ((((w) & ((prev) >> 63)) & 1) != 0)

/*
 * Words [wi, lim) of @leaf (entry index of bit 0: @kbase) a cache line at
 * a time while a line's runs (at most 8 * 32, and the untested ones) fit
 * below @max: a zero line costs one test, a line with bits eight
 * word_bmi without a branch per word. The new wi; *np the new n.
 */
static inline __attribute__((always_inline)) size_t
lines_bmi(const unsigned char *leaf, size_t wi, size_t lim,
	  struct khofmt_range *out, size_t *np, size_t max, uint64_t kbase,
	  unsigned shift)
{
	const uint64_t step = UINT64_C(64) << shift;
	size_t n = *np;

	/* to a line boundary word by word */
	for (; (wi & 7) && wi < lim && n + WORD_ROOM <= max; wi++) {
		uint64_t w = ld_le64(leaf + 8 * wi);
		uint64_t base = (kbase + (uint64_t)wi * 64) << shift;

		n = word_bmi4(out, n, w, base, shift, cont_any(out, n, w, base));
	}
	while (wi + 8 <= lim) {
		const unsigned char *q = leaf + 8 * wi;
		uint64_t w0 = ld_le64(q), w1 = ld_le64(q + 8),
			 w2 = ld_le64(q + 16), w3 = ld_le64(q + 24),
			 w4 = ld_le64(q + 32), w5 = ld_le64(q + 40),
			 w6 = ld_le64(q + 48), w7 = ld_le64(q + 56);
		uint64_t base = (kbase + (uint64_t)wi * 64) << shift;

		if (!((w0 | w1 | w2 | w3) | (w4 | w5 | w6 | w7))) {
			wi += 8;	/* a zero line needs no room */
			continue;
		}
		/*
		 * room: 8 * 32 runs at most, else as many as set bits, and
		 * the two a word writes without a test
		 */
		if (n + 8 * 32 + WORD_ROOM > max &&
		    n + WORD_ROOM + (size_t)(__builtin_popcountll(w0) + __builtin_popcountll(w1) +
				     __builtin_popcountll(w2) + __builtin_popcountll(w3) +
				     __builtin_popcountll(w4) + __builtin_popcountll(w5) +
				     __builtin_popcountll(w6) + __builtin_popcountll(w7)) > max)
			break;
		wi += 8;
		n = word_bmi4(out, n, w0, base, shift,
			     cont_any(out, n, w0, base));
		n = word_bmi4(out, n, w1, base + step, shift, CONT(w1, w0));
		n = word_bmi4(out, n, w2, base + 2 * step, shift, CONT(w2, w1));
		n = word_bmi4(out, n, w3, base + 3 * step, shift, CONT(w3, w2));
		n = word_bmi4(out, n, w4, base + 4 * step, shift, CONT(w4, w3));
		n = word_bmi4(out, n, w5, base + 5 * step, shift, CONT(w5, w4));
		n = word_bmi4(out, n, w6, base + 6 * step, shift, CONT(w6, w5));
		n = word_bmi4(out, n, w7, base + 7 * step, shift, CONT(w7, w6));
	}
	/* the rest of the leaf, or of the room, word by word */
	for (; wi < lim && n + WORD_ROOM <= max; wi++) {
		uint64_t w = ld_le64(leaf + 8 * wi);
		uint64_t base = (kbase + (uint64_t)wi * 64) << shift;

		n = word_bmi4(out, n, w, base, shift, cont_any(out, n, w, base));
	}
	*np = n;
	return wi;
}

/*
 * The runs of the non-zero words @m of the block at @q (@bbase: the
 * address of its bit 0) at out[n..]: the new n. With @room, a word is
 * only done while its runs (at most 32, and the two written without a
 * test) fit below @max; *stop is then the first word left (64: none).
 */
static inline __attribute__((always_inline)) struct khofmt_range *
block_runs(const unsigned char *q, uint64_t m, uint64_t bbase,
	   struct khofmt_range *out, struct khofmt_range *p,
	   const struct khofmt_range *last, unsigned shift, const bool room,
	   size_t *stop)
{
	const uint64_t unit = UINT64_C(1) << shift;
	const unsigned sh6 = shift + 6;

	*stop = 64;
	while (m) {
		const uint64_t j = tzcnt64(m);
		uint64_t w = ld_le64(q + 8 * j);
		const uint64_t base = bbase + (j << sh6);
		uint64_t a, prev;
		size_t c;

		if (room && p > last) {
			*stop = j;
			break;
		}
		m &= m - 1;
		/* two adjacent bits, or bit 0 continuing the word before */
		prev = ld_le64(q + 8 * j - 8) >> 63;
		if (__builtin_expect((w & (2 * w + prev)) != 0, 0)) {
			p = out + word_bmi4_call(out, (size_t)(p - out), w, base,
						 shift, (w & prev) != 0);
			continue;
		}
		/*
		 * isolated bits: a run per bit, two written without a test
		 * (the second is not counted when there is none: no branch on
		 * a second bit, 1 word in 4), a loop for the rest (1 in 20)
		 */
		c = (size_t)__builtin_popcountll(w);
		a = tzcnt64(w);
		p[0].start = base + (a << shift);
		p[0].size = unit;
		w &= w - 1;
		a = tzcnt64(w);
		p[1].start = base + (a << shift);
		p[1].size = unit;
		if (__builtin_expect(c > 2, 0)) {
			struct khofmt_range *r = p + 2;

			w &= w - 1;
			do {
				a = tzcnt64(w);
				r->start = base + (a << shift);
				r->size = unit;
				r++;
				w &= w - 1;
			} while (w);
		}
		p += c;
	}
	return p;
}

/*
 * The sparse walk (BMI with AVX2, one call per leaf): words [wi, lim) of
 * @leaf, 64 at a time (a 512-byte block, aligned in the leaf). A block's
 * non-zero words become one 64-bit mask (16 VPCMPEQQ/VMOVMSKPD), whose set
 * bits are iterated: a zero word costs nothing, a zero block one test.
 * Most words of a sparse leaf hold isolated bits (no two adjacent, bit 0
 * not continuing the previous word): each bit is a run of one entry, two
 * written without a test and the rest (rare) in a loop; any other word
 * takes word_bmi. A block is done only if its runs fit (at most its set
 * bits, plus the two written without a test); else the new wi is where it
 * stopped, for the word-at-a-time code. wi > 0: word wi - 1 is in the leaf
 * and was done (its bit 63 tells whether word wi continues a run).
 */
/* Bit k set: word k of the 64 at @q is not zero (AVX2). */
static inline __attribute__((always_inline, target("avx2"))) uint64_t
nonzero_words(const unsigned char *q)
{
	const __m256i zero = _mm256_setzero_si256();
	uint64_t part[4];
	unsigned k, i;

	/* four independent chains, joined at the end (short latency) */
	for (i = 0; i < 4; i++) {
		part[i] = 0;
#pragma GCC unroll 4
		for (k = 0; k < 4; k++) {
			__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)
						       (q + 128 * i + 32 * k));

			part[i] |= (uint64_t)(unsigned)_mm256_movemask_pd(
				_mm256_castsi256_pd(_mm256_cmpeq_epi64(v, zero))) << (4 * k);
		}
	}
	return ~((part[0] | part[1] << 16) | (part[2] << 32 | part[3] << 48));
}

__attribute__((noinline, target("avx2,bmi,bmi2,popcnt")))
static size_t blocks_bmi(const unsigned char *leaf, size_t wi, size_t lim,
			 struct khofmt_range *out, size_t *np, size_t max,
			 uint64_t kbase, unsigned shift,
			 const unsigned char *next)
{
	size_t n = *np, blk = wi & ~(size_t)63;
	uint64_t mnext;

	if (wi >= lim)
		return wi;
	mnext = nonzero_words(leaf + 8 * blk);
	for (;;) {
		size_t end = blk + 64, k, j;
		bool full;
		const unsigned char *q = leaf + 8 * blk;
		const uint64_t bbase = (kbase + (uint64_t)blk * 64) << shift;
		const uint64_t want = ~UINT64_C(0) << (wi - blk);
		uint64_t m = mnext & want;

		/*
		 * The same block of the next leaf: the hardware prefetcher does
		 * not cross into another page, and a sparse leaf is decoded in
		 * about the time of a few misses to memory.
		 */
		if (next)
#pragma GCC unroll 8
			for (k = 0; k < 512; k += 64)
				__builtin_prefetch(next + 8 * blk + k, 0, 2);
		if (end >= lim) {
			m &= ~UINT64_C(0) >> (63 - (lim - 1 - blk));
			end = lim;
			full = m == (want & (~UINT64_C(0) >> (63 - (lim - 1 - blk))));
		} else {
			full = m == want;
			/* the next block's mask now: its loads overlap this block */
			mnext = nonzero_words(q + 512);
			if (end + 128 <= lim + 1)	/* the block after next: in the leaf (lim + 1 = wend) */
#pragma GCC unroll 8
				for (k = 0; k < 512; k += 64)
					__builtin_prefetch(q + 1024 + k, 0, 3);
		}
		if (full) {
			/*
			 * No zero word (a dense leaf): every word's runs, four
			 * at a time, while a word's fit.
			 */
			uint64_t prev = ld_le64(q + 8 * (wi - blk) - 8);

			for (j = wi - blk; j < end - blk && n + WORD_ROOM <= max; j++) {
				uint64_t w = ld_le64(q + 8 * j);

				n = word_bmi4(out, n, w, bbase + (j << (shift + 6)),
					      shift, ((w & (prev >> 63)) & 1) != 0);
				prev = w;
			}
			if (j == end - blk)
				j = 64;
		} else if (__builtin_expect(n + WORD_ROOM + 32 *
					    (size_t)__builtin_popcountll(m) <= max, 1)) {
			n = (size_t)(block_runs(q, m, bbase, out, out + n, NULL,
						shift, false, &j) - out);
		} else {
			/* near the end of the room: a word at a time while they fit */
			n = (size_t)(block_runs(q, m, bbase, out, out + n,
						out + max - WORD_ROOM, shift, true, &j) - out);
		}
		if (j < 64) {
			wi = blk + j;
			break;
		}
		wi = end;
		if (wi >= lim)
			break;
		blk += 64;
	}
	*np = n;
	return wi;
}
#else
#define WORD_RUNS(...) word_runs(__VA_ARGS__)
#endif

#define FILL_MIN 66	/* a word has at most 32 runs; one held back */

static inline __attribute__((always_inline)) int
fill_words(struct order_stream *s, struct khofmt_range *out, size_t max,
	   const bool bmi)
{
	const unsigned shift = s->shift;
	size_t n = 0;
	int r;

	if (s->done)
		return 0;
	if (s->pend) {
		out[0].start = s->pstart;
		out[0].size = s->pend_end - s->pstart;
		n = 1;
		s->pend = false;
	}
	for (;;) {
		const unsigned char *leaf = s->leaf;

		if (leaf) {
			/* in locals: stores to out[] could alias the stream */
			size_t wi = s->wi, wend = s->wend, wfirst = s->wfirst;
			const uint64_t mfirst = s->mfirst, mlast = s->mlast;
			const uint64_t kbase = s->kbase;

			while (wi < wend) {
				size_t lim;

				if (n + 33 > max) {
					s->wi = wi;
					goto hold;
				}
				if (wi == wfirst || wi == wend - 1) {
					/* the leaf's first or last word: clipped */
					uint64_t w = ld_le64(leaf + 8 * wi);

					if (wi == wfirst)
						w &= mfirst;
					if (wi == wend - 1)
						w &= mlast;
					n = WORD_RUNS(out, n, w, kbase + (uint64_t)wi * 64,
						      shift);
					wi++;
					continue;
				}
				/* the words in between, while a word's runs fit */
				lim = wend - 1;
#if defined(HAVE_BMI_KERNEL)
				if (bmi) {
					wi = blocks_bmi(leaf, wi, lim, out, &n, max,
							kbase, shift, s->next);
					wi = lines_bmi(leaf, wi, lim, out, &n, max,
						       kbase, shift);
				}
#endif
				while (wi < lim && n + 33 <= max) {
					/* a whole zero cache line: one test for 8 words */
					if (!(wi & 7) && wi + 8 <= lim) {
						const unsigned char *q = leaf + 8 * wi;

						if (!((ld_le64(q) | ld_le64(q + 8) |
						       ld_le64(q + 16) | ld_le64(q + 24)) |
						      (ld_le64(q + 32) | ld_le64(q + 40) |
						       ld_le64(q + 48) | ld_le64(q + 56)))) {
							wi += 8;
							continue;
						}
					}
					n = WORD_RUNS(out, n, ld_le64(leaf + 8 * wi),
						      kbase + (uint64_t)wi * 64, shift);
					wi++;
				}
			}
			s->wi = wi;
			s->leaf = NULL;
		}
		r = stream_next_leaf(s);
		if (r < 0)
			return r;
		if (r == 1) {
			s->done = true;
			return (int)n;
		}
	}
hold:
	/* n >= 34 here: the last run waits for the next call */
	n--;
	s->pend = true;
	s->pstart = out[n].start;
	s->pend_end = out[n].start + out[n].size;
	return (int)n;
}

static int fill_words_generic(struct order_stream *s,
			      struct khofmt_range *out, size_t max)
{
	return fill_words(s, out, max, false);
}

#if defined(HAVE_BMI_KERNEL)
__attribute__((target("bmi,bmi2,popcnt")))
static int fill_words_bmi(struct order_stream *s, struct khofmt_range *out,
			  size_t max)
{
	return fill_words(s, out, max, true);
}
#endif

/* The kernel the CPU has (khofmt_cpu_bmi: KHOFMT_CPU caps it). */
static int stream_fill_words(struct order_stream *s, struct khofmt_range *out,
			     size_t max)
{
#if defined(HAVE_BMI_KERNEL)
	if (s->bmi)
		return fill_words_bmi(s, out, max);
#endif
	return fill_words_generic(s, out, max);
}

/* Up to @max runs: straight into @out when it is large, else via s->q. */
static int radix_stream_fill(struct order_stream *s, struct khofmt_range *out,
			     size_t max)
{
	size_t n = 0;
	int r;

	if (max >= FILL_MIN && s->qi == s->qn)
		return stream_fill_words(s, out, max);
	while (n < max) {
		if (s->qi == s->qn) {
			r = stream_fill_words(s, s->q, FILL_MIN);
			if (r < 0)
				return r;
			if (r == 0)
				break;
			s->qi = 0;
			s->qn = (unsigned)r;
		}
		out[n++] = s->q[s->qi++];
	}
	return (int)n;
}

/* One run at a time, for callers without a batch buffer. */
static int radix_stream_next(struct order_stream *s, uint64_t *start,
			     uint64_t *len)
{
	struct khofmt_range run;
	int r = radix_stream_fill(s, &run, 1);

	if (r < 0)
		return r;
	if (r == 0)
		return 1;
	*start = run.start;
	*len = run.size;
	return 0;
}

static void radix_stream_close(struct order_stream *s)
{
	if (!s)
		return;
	khofmt_pageset_free(&s->seen);
	free(s->buf);
	free(s);
}

/* A stream of @order with nothing open yet: 0 or -KHOFMT_ERR_*. */
static int stream_new(struct khofmt_handover *h, unsigned order,
		      struct order_stream **out)
{
	const struct khofmt_geom *g = &h->geom;
	struct order_stream *s;

	*out = NULL;
	if (order > g->max_order)
		return -KHOFMT_ERR_INVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -KHOFMT_ERR_NOMEM;
	khofmt_pageset_init(&s->seen);
	s->h = h;
	s->order = order;
	s->hb = g->order0_bit - order;
	s->shift = g->page_shift + order;
	s->lo = UINT64_C(1) << s->hb;	/* the order's keys: [lo, hi) */
	s->hi = UINT64_C(1) << (s->hb + 1);
	s->top = g->depth;		/* no table frame yet */
	s->bmi = khofmt_cpu_bmi();
	*out = s;
	return 0;
}

static int radix_stream_open(struct khofmt_handover *h, unsigned order,
			     struct order_stream **out)
{
	struct order_stream *s;
	int r = stream_new(h, order, &s);

	if (r)
		return r;
	r = stream_descend(s, h->geom.depth, h->root, 0);
	if (r < 0) {
		radix_stream_close(s);
		return r;
	}
	if (r == 0)
		s->done = true;
	*out = s;
	return 0;
}

/* A stream over the leaves of @hdr (from radix_index_open) for @order. */
static int radix_stream_open_ix(struct khofmt_handover *h,
				const struct tracker_index *hdr, unsigned order,
				struct order_stream **out)
{
	const struct radix_index *ix = (const struct radix_index *)hdr;
	uint64_t nbits = UINT64_C(1) << h->geom.leaf_log2;
	struct order_stream *s;
	size_t lo, hi;
	int r;

	*out = NULL;
	if (!ix)
		return -KHOFMT_ERR_INVAL;
	r = stream_new(h, order, &s);
	if (r)
		return r;
	s->ix = ix;
	/* first leaf whose keys reach lo (leaf keys are nbits-aligned) */
	lo = 0;
	hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->v[mid].key + nbits <= s->lo)
			lo = mid + 1;
		else
			hi = mid;
	}
	s->li = lo;
	s->lend = lo;
	while (s->lend < ix->n && ix->v[s->lend].key < s->hi)
		s->lend++;
	if (s->li == s->lend)
		s->done = true;
	*out = s;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Point query                                                         */
/* ------------------------------------------------------------------ */

/*
 * Is (phys, order) an entry of the tree? Reads only the path of its key:
 * one 8-byte slot per table level and one leaf word, each pointer checked
 * (aligned, in the source) before it is followed; the path is bounded by
 * the depth, so no cycle can hold it. 1 yes, 0 no (also for a key that
 * cannot be represented), -KHOFMT_ERR_NOTCOVERED / -KHOFMT_ERR_STRUCT when
 * the path leads outside the source or to a misaligned page.
 */
static int radix_has_entry(struct khofmt_handover *h, uint64_t phys,
			   unsigned order)
{
	const struct khofmt_geom *g;
	uint64_t P, key, node, word;
	unsigned char b[8];
	unsigned level, bit;

	g = &h->geom;
	P = UINT64_C(1) << g->page_shift;
	key = khofmt_radix_key(g, phys, order);
	if (!key || (key >> g->key_bits))
		return 0;
	node = h->root;
	for (level = g->depth - 1; level >= 1; level--) {
		uint64_t idx = (key >> lvl_shift(g, level)) &
			       ((UINT64_C(1) << g->tbl_log2) - 1);

		if (!node || (node & (P - 1)))
			return node ? -KHOFMT_ERR_STRUCT : 0;
		if (khofmt_source_read(h->src, node + 8 * idx, b, 8) < 0)
			return -KHOFMT_ERR_NOTCOVERED;
		node = ld_le64(b);
		if (!node)
			return 0;
	}
	if (node & (P - 1))
		return -KHOFMT_ERR_STRUCT;
	bit = (unsigned)(key & ((UINT64_C(1) << g->leaf_log2) - 1));
	if (khofmt_source_read(h->src, node + 8 * (bit / 64), b, 8) < 0)
		return -KHOFMT_ERR_NOTCOVERED;
	word = ld_le64(b);
	return (word >> (bit % 64)) & 1;
}

const struct tracker_ops khofmt_radix_ops = {
	.name = "radix",
	.check = radix_check,
	.walk_folios = radix_walk_folios,
	.stats = radix_stats,
	.walk_nodes = radix_walk_nodes,
	.stream_open = radix_stream_open,
	.stream_next = radix_stream_next,
	.stream_close = radix_stream_close,
	.stream_fill = radix_stream_fill,
	.index_open = radix_index_open,
	.index_close = radix_index_close,
	.stream_open_ix = radix_stream_open_ix,
	.has_entry = radix_has_entry,
};
