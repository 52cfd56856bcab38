// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The radix-tree tracker of kho-v2..v4 (kho-abi.md 4.1): tables of P/8
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

#include "internal.h"

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
};

struct rwalk {
	struct khofmt_handover *h;
	const struct khofmt_walk_opts *opts;
	const struct rwalk_mode *mode;
	void *arg;
	struct pageset seen;
	unsigned char *buf;	/* depth * P fallback buffers */
};

/*
 * Check a pointer found in a table (or the root pointer) before following
 * it. Returns 1 to follow, 0 to skip (problem reported, walk goes on), or
 * the report's stop value (1 -> we map to 2) / negative error.
 */
static int check_child(struct rwalk *w, unsigned parent_level,
		       uint64_t parent_pa, uint64_t idx, uint64_t child,
		       unsigned child_level)
{
	const struct khofmt_geom *g = &w->h->geom;
	uint64_t P = UINT64_C(1) << g->page_shift;
	int r;

	if (child & (P - 1)) {
		r = khofmt_report(w->h, w->opts, KHOFMT_ERR_STRUCT,
				  parent_level, parent_pa, idx, child,
				  "radix level %u node 0x%llx entry %llu: child 0x%llx is not page-aligned",
				  parent_level, (unsigned long long)parent_pa,
				  (unsigned long long)idx,
				  (unsigned long long)child);
		return r ? (r > 0 ? 2 : r) : 0;
	}
	if (!khofmt_source_covers(w->h->src, child, P)) {
		r = khofmt_report(w->h, w->opts, KHOFMT_ERR_NOTCOVERED,
				  parent_level, parent_pa, idx, child,
				  "radix level %u node 0x%llx entry %llu: %s page 0x%llx is not in the memory source",
				  parent_level, (unsigned long long)parent_pa,
				  (unsigned long long)idx,
				  child_level ? "table" : "leaf",
				  (unsigned long long)child);
		return r ? (r > 0 ? 2 : r) : 0;
	}
	r = pageset_add(&w->seen, child);
	if (r < 0)
		return r;
	if (r == 0) {
		r = khofmt_report(w->h, w->opts, KHOFMT_ERR_LOOP,
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
				r = khofmt_report(w->h, w->opts,
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

static int do_table(struct rwalk *w, uint64_t pa, unsigned level,
		    uint64_t prefix)
{
	const struct khofmt_geom *g = &w->h->geom;
	size_t P = (size_t)1 << g->page_shift, n = P / 8, i, limit = n;
	unsigned char *buf = w->buf + (size_t)level * P;
	const unsigned char *node;
	unsigned s = lvl_shift(g, level);
	int r;

	node = node_get(w->h->src, g, pa, buf);
	if (!node)
		return -KHOFMT_ERR_INTERNAL;	/* covered was checked */
	if (w->mode->node) {
		r = w->mode->node(w, pa, level, false);
		if (r)
			return r;
	}
	/* Root: indexes at or above this limit hold keys wider than KEY_BITS. */
	if (level == g->depth - 1 && s + g->tbl_log2 > g->key_bits)
		limit = (size_t)1 << (g->key_bits - s);
	for (i = 0; i < n; i++) {
		uint64_t c = ld_le64(node + 8 * i);
		uint64_t k = prefix | ((uint64_t)i << s);

		if (!c)
			continue;
		if (i >= limit) {
			r = khofmt_report(w->h, w->opts, KHOFMT_ERR_BADKEY,
					  level, pa, i, c,
					  "radix root 0x%llx entry %zu: index beyond the %u-bit key space (valid 0..%zu)",
					  (unsigned long long)pa, i,
					  g->key_bits, limit - 1);
			if (r)
				return r > 0 ? 2 : r;
			continue;
		}
		r = check_child(w, level, pa, i, c, level - 1);
		if (r == 0)
			continue;
		if (r != 1)
			return r;
		if (level == 1) {
			const unsigned char *leaf;

			leaf = node_get(w->h->src, g, c, w->buf);
			if (!leaf)
				return -KHOFMT_ERR_INTERNAL;
			r = do_leaf(w, c, leaf, k);
		} else {
			r = do_table(w, c, level - 1, k);
		}
		if (r)
			return r;
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
		r = khofmt_report(w->h, w->opts, KHOFMT_ERR_STRUCT, top, 0, 0, 0,
				  "preserved-memory-map is 0: no radix tree root");
	else if (root & (P - 1))
		r = khofmt_report(w->h, w->opts, KHOFMT_ERR_STRUCT, top, root,
				  0, root,
				  "preserved-memory-map 0x%llx is not page-aligned",
				  (unsigned long long)root);
	else if (!khofmt_source_covers(w->h->src, root, P))
		r = khofmt_report(w->h, w->opts, KHOFMT_ERR_NOTCOVERED, top,
				  root, 0, root,
				  "radix root 0x%llx (preserved-memory-map) is not in the memory source",
				  (unsigned long long)root);
	else
		return pageset_add(&w->seen, root) < 0 ? -KHOFMT_ERR_NOMEM : 1;
	return r > 0 ? 2 : r;
}

/* Returns 0 done, >0 stopped by a callback, <0 error. */
static int rwalk_run(struct khofmt_handover *h,
		     const struct khofmt_walk_opts *opts,
		     const struct rwalk_mode *mode, void *arg)
{
	const struct khofmt_geom *g = &h->geom;
	size_t P = (size_t)1 << g->page_shift;
	struct rwalk w = { .h = h, .opts = opts, .mode = mode, .arg = arg };
	int r;

	h->errmsg[0] = '\0';
	if (opts && opts->sz < sizeof(*opts))
		return -KHOFMT_ERR_INVAL;
	w.buf = malloc(P * g->depth);
	if (!w.buf)
		return -KHOFMT_ERR_NOMEM;
	pageset_init(&w.seen);
	r = check_root(&w);
	if (r == 1)
		r = do_table(&w, h->root, g->depth - 1, 0);
	if (r == 2)
		r = 1;	/* problem callback asked to stop */
	pageset_free(&w.seen);
	free(w.buf);
	return r;
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

static void stats_add(struct khofmt_stats *st, uint64_t n, unsigned order,
		      unsigned page_shift, uint64_t lo, uint64_t end)
{
	if (!n)
		return;
	if (!st->folios || order < st->min_order)
		st->min_order = order;
	if (!st->folios || order > st->max_order)
		st->max_order = order;
	if (!st->folios || lo < st->lowest)
		st->lowest = lo;
	if (!st->folios || end > st->highest_end)
		st->highest_end = end;
	st->folios += n;
	st->per_order[order] += n;
	st->pages += n << order;
	st->bytes += n << (order + page_shift);
}

static int stats_entry(struct rwalk *w, uint64_t phys, unsigned order)
{
	unsigned ps = w->h->geom.page_shift;

	stats_add(w->arg, 1, order, ps, phys, phys + (UINT64_C(1) << (ps + order)));
	return 0;
}

static int stats_leaf(struct rwalk *w, const unsigned char *leaf,
		      uint64_t base, unsigned order)
{
	size_t nwords = ((size_t)1 << w->h->geom.page_shift) / 8, i;
	unsigned shift = w->h->geom.page_shift + order;
	uint64_t n = 0;
	size_t first = SIZE_MAX, last = 0;

	for (i = 0; i < nwords; i++) {
		uint64_t word = ld_le64(leaf + 8 * i);

		if (!word)
			continue;
		if (first == SIZE_MAX)
			first = i * 64 + __builtin_ctzll(word);
		last = i * 64 + 63 - __builtin_clzll(word);
		n += __builtin_popcountll(word);
	}
	if (n)
		stats_add(w->arg, n, order, w->h->geom.page_shift,
			  base + ((uint64_t)first << shift),
			  base + ((uint64_t)(last + 1) << shift));
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
	const unsigned char *leaf;	/* current leaf or NULL */
	uint64_t leaf_prefix, bit, bit_end;
	bool pend;			/* a run is being extended */
	uint64_t pstart, plen;
	bool done;
	struct pageset seen;		/* each page once per stream */
	unsigned char *buf;		/* depth * P fallback buffers */
};

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
	r = pageset_add(&s->seen, c);
	if (r <= 0)
		return r;
	n = node_get(s->h->src, g, c, s->buf + (size_t)(lvl - 1) * P);
	if (!n)
		return 0;
	if (lvl == 1) {
		uint64_t nbits = UINT64_C(1) << g->leaf_log2;

		s->leaf = n;
		s->leaf_prefix = k;
		s->bit = s->lo > k ? s->lo - k : 0;
		s->bit_end = s->hi - k < nbits ? s->hi - k : nbits;
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

/* Next raw run of set bits in the current leaf; false when exhausted. */
static bool leaf_run(struct order_stream *s, uint64_t *rb, uint64_t *re)
{
	while (s->bit < s->bit_end) {
		uint64_t wi = s->bit >> 6, w, inv, end;
		unsigned st, n;

		w = ld_le64(s->leaf + 8 * wi) & (~UINT64_C(0) << (s->bit & 63));
		if ((wi + 1) << 6 > s->bit_end)
			w &= (UINT64_C(1) << (s->bit_end & 63)) - 1;
		if (!w) {
			s->bit = (wi + 1) << 6;
			continue;
		}
		st = __builtin_ctzll(w);
		inv = ~(w >> st);
		n = inv ? __builtin_ctzll(inv) : 64;
		end = wi * 64 + st + n;
		/* A run reaching the word's end continues in the next words. */
		while (st + n == 64 && end < s->bit_end) {
			uint64_t nw = ld_le64(s->leaf + 8 * (end >> 6));

			if (nw == ~UINT64_C(0)) {
				end += 64;
				continue;
			}
			end += __builtin_ctzll(~nw);
			break;
		}
		if (end > s->bit_end)
			end = s->bit_end;
		*rb = wi * 64 + st;
		*re = end;
		s->bit = end;
		return true;
	}
	return false;
}

/* Next run of this order (raw, may touch the previous one): 0/1/<0. */
static int stream_raw(struct order_stream *s, uint64_t *start, uint64_t *len)
{
	const struct khofmt_geom *g = &s->h->geom;
	uint64_t limit = UINT64_C(1) << g->phys_bits;

	for (;;) {
		struct frame *f;

		if (s->leaf) {
			uint64_t rb, re, base;

			if (leaf_run(s, &rb, &re)) {
				base = s->leaf_prefix - (UINT64_C(1) << s->hb);
				*start = (base + rb) << s->shift;
				*len = (re - rb) << s->shift;
				/* Impossible keys are reported by check(). */
				if (*start >= limit || *len > limit - *start)
					continue;
				return 0;
			}
			s->leaf = NULL;
		}
		if (s->top >= (int)g->depth)
			return 1;
		f = &s->f[s->top];
		if (f->idx >= f->end) {
			if (s->top == (int)g->depth - 1)
				return 1;
			s->top++;
			continue;
		} else {
			uint64_t c = ld_le64(f->node + 8 * (size_t)f->idx);
			uint64_t k = f->prefix |
				     ((uint64_t)f->idx << lvl_shift(g, s->top));
			unsigned lvl = s->top;
			int r;

			f->idx++;
			if (!c)
				continue;
			r = stream_descend(s, lvl, c, k);
			if (r < 0)
				return r;
		}
	}
}

static int radix_stream_next(struct order_stream *s, uint64_t *start,
			     uint64_t *len)
{
	uint64_t a, l;
	int r;

	if (s->done)
		return 1;
	for (;;) {
		r = stream_raw(s, &a, &l);
		if (r < 0)
			return r;
		if (r == 1) {
			s->done = true;
			if (!s->pend)
				return 1;
			s->pend = false;
			*start = s->pstart;
			*len = s->plen;
			return 0;
		}
		if (s->pend && s->pstart + s->plen == a) {
			s->plen += l;
			continue;
		}
		if (s->pend) {
			*start = s->pstart;
			*len = s->plen;
			s->pstart = a;
			s->plen = l;
			return 0;
		}
		s->pend = true;
		s->pstart = a;
		s->plen = l;
	}
}

static void radix_stream_close(struct order_stream *s)
{
	if (!s)
		return;
	pageset_free(&s->seen);
	free(s->buf);
	free(s);
}

static int radix_stream_open(struct khofmt_handover *h, unsigned order,
			     struct order_stream **out)
{
	const struct khofmt_geom *g = &h->geom;
	size_t P = (size_t)1 << g->page_shift;
	struct order_stream *s;
	int r;

	*out = NULL;
	if (order > g->max_order)
		return -KHOFMT_ERR_INVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -KHOFMT_ERR_NOMEM;
	s->buf = malloc(P * g->depth);
	if (!s->buf) {
		free(s);
		return -KHOFMT_ERR_NOMEM;
	}
	pageset_init(&s->seen);
	s->h = h;
	s->order = order;
	s->hb = g->order0_bit - order;
	s->shift = g->page_shift + order;
	s->lo = UINT64_C(1) << s->hb;
	s->hi = UINT64_C(1) << (s->hb + 1);
	s->top = g->depth;	/* nothing open yet */
	r = stream_descend(s, g->depth, h->root, 0);
	if (r < 0) {
		radix_stream_close(s);
		return r;
	}
	if (r == 0)
		s->done = true;
	*out = s;
	return 0;
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
};

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
int radix_has_entry(struct khofmt_handover *h, uint64_t phys, unsigned order)
{
	const struct khofmt_geom *g;
	uint64_t P, key, node, word;
	unsigned char b[8];
	unsigned level, bit;

	if (!h || h->ops != &khofmt_radix_ops)
		return -KHOFMT_ERR_INVAL;
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
