// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kho-v1 chunk list (6.16 .. 7.0, doc/ABI.md 4.2): a chain of chunk
 * pages, each a 16-byte header {next, order, num_elms} and up to
 * (P-16)/16 elements {phys_start, bitmap}; bit b of an element's bitmap
 * preserves (phys_start + b * (P << order), order).
 *
 * Bitmaps are 512 bytes (E1a) or one page (E1b) under the same compatible;
 * khofmt_chunk_choose() picks one from the caller, the producer release
 * or the data (4.2.5) before anything is decoded.
 *
 * Hostile input: the chain is followed by the chain walker (chain.c: at
 * most the pages of the source, a cycle found before a chunk is read
 * twice, num_elms over the capacity reported and clamped); orders must
 * keep entries below 2^52; every bitmap must be covered by the source
 * before it is read.
 *
 * Per-order streams (coalesced ranges) do NOT trust the producer's order:
 * the elements of one order are collected (16 bytes each, bounded by the
 * chain) and sorted by phys_start, then merged k-way by run start, so
 * elements out of order, duplicated or overlapping still give sorted,
 * coalesced output. Overlaps are also reported by check() (they mean the
 * same page is tagged twice, MAP-6); mere misordering is harmless to the
 * kernel and is not reported.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "abi_layout.h"
#include "chain_int.h"
#include "cpu.h"
#include "internal.h"

#define E1A_BITMAP_BYTES 512u
#define CSTOP INT_MAX	/* a problem callback asked to stop */

/* ------------------------------------------------------------------ */
/* Chain walk                                                          */
/* ------------------------------------------------------------------ */

struct celm {
	uint64_t chunk_pa;
	unsigned idx, order;
	uint64_t phys_start, bitmap;
	uint64_t nbits;			/* decodable bits (inside 2^52) */
	const unsigned char *bits;	/* bitmap bytes (bm_bytes long) */
};

struct cwalk;

struct cmode {
	/* Each chunk, before its elements. May be NULL. */
	int (*chunk)(struct cwalk *w, uint64_t pa, unsigned order,
		     unsigned n);
	/* Each decodable element. May be NULL. */
	int (*elm)(struct cwalk *w, const struct celm *e);
};

struct cwalk {
	struct khofmt_handover *h;
	const struct khofmt_walk_opts *opts;
	bool quiet;			/* probe: no reports, skip what is bad */
	const struct cmode *mode;
	void *arg;
	unsigned ps, bits_log2;
	uint64_t P, bits, bm_bytes;
	unsigned char *chunk;		/* P bytes */
	unsigned char *bm;		/* bm_bytes */
	int crep;			/* the last chain fault's rep() */
};

/* Report a problem: 0 go on, CSTOP, or a negative error. */
__attribute__((format(printf, 7, 8)))
static int rep(struct cwalk *w, int err, unsigned level, uint64_t node,
	       uint64_t idx, uint64_t val, const char *fmt, ...)
{
	char msg[ERRMSG_LEN];
	va_list ap;
	int r;

	if (w->quiet)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = khofmt_report(w->h, w->opts, err, level, node, idx, val, "%s", msg);
	return r > 0 ? CSTOP : r;
}

static int cwalk_init(struct cwalk *w, struct khofmt_handover *h,
		      const struct khofmt_walk_opts *opts, bool quiet,
		      const struct cmode *mode, void *arg)
{
	memset(w, 0, sizeof(*w));
	w->h = h;
	w->opts = opts;
	w->quiet = quiet;
	w->mode = mode;
	w->arg = arg;
	w->ps = h->geom.page_shift;
	w->P = UINT64_C(1) << w->ps;
	w->bm_bytes = h->variant.bitmap_bytes ? h->variant.bitmap_bytes : w->P;
	w->bits = w->bm_bytes * 8;
	w->bits_log2 = 63 - __builtin_clzll(w->bits);
	w->chunk = malloc(w->P);
	w->bm = malloc(w->bm_bytes);
	if (!w->chunk || !w->bm) {
		free(w->chunk);
		free(w->bm);
		return -KHOFMT_ERR_NOMEM;
	}
	return 0;
}

static void cwalk_free(struct cwalk *w)
{
	free(w->chunk);
	free(w->bm);
}

static inline unsigned h_phys_bits(const struct cwalk *w)
{
	return w->h->geom.phys_bits;
}

/* One element: checks, then the mode. 0 go on, else stop/error. */
static int do_elm(struct cwalk *w, uint64_t cpa, unsigned idx, unsigned order,
		  const unsigned char *raw)
{
	const uint64_t top = UINT64_C(1) << h_phys_bits(w);
	uint64_t unit = w->P << order;
	unsigned span_log2 = w->bits_log2 + w->ps + order;	/* may pass 64 */
	struct celm e = {
		.chunk_pa = cpa, .idx = idx, .order = order,
		.phys_start = ld_le64(raw), .bitmap = ld_le64(raw + 8),
	};
	const unsigned char *p;
	int r;

	if (!e.bitmap) {
		r = rep(w, KHOFMT_ERR_STRUCT, 1, cpa, idx, 0,
			"chunk 0x%llx element %u: bitmap pointer is 0",
			(unsigned long long)cpa, idx);
		return r;
	}
	/* MAP-1: E1b bitmaps are pages; E1a slab objects are 8-aligned. */
	if (e.bitmap & (w->bm_bytes == w->P ? w->P - 1 : 7)) {
		r = rep(w, KHOFMT_ERR_STRUCT, 1, cpa, idx, e.bitmap,
			"chunk 0x%llx element %u: bitmap 0x%llx is not %s-aligned",
			(unsigned long long)cpa, idx,
			(unsigned long long)e.bitmap,
			w->bm_bytes == w->P ? "page" : "8-byte");
		if (r)
			return r;
	}
	if (!khofmt_source_covers(w->h->src, e.bitmap, w->bm_bytes)) {
		return rep(w, KHOFMT_ERR_NOTCOVERED, 1, cpa, idx, e.bitmap,
			   "chunk 0x%llx element %u: bitmap 0x%llx (+%llu bytes) is not in the memory source",
			   (unsigned long long)cpa, idx,
			   (unsigned long long)e.bitmap,
			   (unsigned long long)w->bm_bytes);
	}
	/* MAP-4: the producer puts phys_start on a bitmap-span boundary. */
	if (low_bits(e.phys_start, span_log2)) {
		r = rep(w, KHOFMT_ERR_STRUCT, 1, cpa, idx, e.phys_start,
			"chunk 0x%llx element %u: phys_start 0x%llx is not a multiple of the bitmap span 2^%u (order %u)",
			(unsigned long long)cpa, idx,
			(unsigned long long)e.phys_start, span_log2, order);
		if (r)
			return r;
		if (low_bits(e.phys_start, w->ps + order))
			return 0;	/* entries would not be aligned: skip */
	}
	if (e.phys_start >= top) {
		return rep(w, KHOFMT_ERR_BADKEY, 1, cpa, idx, e.phys_start,
			   "chunk 0x%llx element %u: phys_start 0x%llx is beyond %u-bit physical addresses",
			   (unsigned long long)cpa, idx,
			   (unsigned long long)e.phys_start, h_phys_bits(w));
	}
	e.nbits = (top - e.phys_start) / unit;
	if (e.nbits > w->bits)
		e.nbits = w->bits;
	if (!w->mode->elm)
		return 0;
	p = khofmt_source_ptr(w->h->src, e.bitmap, w->bm_bytes);
	if (!p) {
		if (khofmt_source_read(w->h->src, e.bitmap, w->bm, w->bm_bytes))
			return -KHOFMT_ERR_INTERNAL;	/* covered was checked */
		p = w->bm;
	}
	e.bits = p;
	if (e.nbits < w->bits) {
		/* Bits whose entry would end above 2^52. */
		uint64_t b;

		for (b = e.nbits; b < w->bits; b++)
			if (p[b / 8] & (1u << (b % 8)))
				break;
		if (b < w->bits) {
			r = rep(w, KHOFMT_ERR_BADKEY, 0, e.bitmap, b,
				e.phys_start,
				"bitmap 0x%llx bit %llu: entry beyond %u-bit physical addresses",
				(unsigned long long)e.bitmap,
				(unsigned long long)b, h_phys_bits(w));
			if (r)
				return r;
		}
	}
	return w->mode->elm(w, &e);
}

/*
 * One chunk page (already read into w->chunk); @n its element count, at
 * most a chunk's capacity (the chain walker reported a larger num_elms).
 */
static int do_chunk(struct cwalk *w, uint64_t pa, uint64_t n)
{
	unsigned order = ld_le32(w->chunk + KV1_ORDER_OFF), i;
	int r;

	if (w->mode->chunk) {
		r = w->mode->chunk(w, pa, order,
				   ld_le32(w->chunk + KV1_NUM_OFF));
		if (r)
			return r;
	}
	if (order > w->h->geom.max_order) {
		return rep(w, KHOFMT_ERR_BADKEY, 1, pa, 0, order,
			   "chunk 0x%llx: order %u is beyond %u (entries larger than 2^%u bytes)",
			   (unsigned long long)pa, order,
			   w->h->geom.max_order, h_phys_bits(w));
	}
	for (i = 0; i < n; i++) {
		r = do_elm(w, pa, i, order,
			   w->chunk + KV1_HDR_SIZE + KV1_ELM_SIZE * (size_t)i);
		if (r)
			return r;
	}
	return 0;
}

/* The chain walker's faults, as tracker problems of level 1. */
static int chain_problem(void *arg, const struct khofmt_chain_problem *p)
{
	struct cwalk *w = arg;

	w->crep = rep(w, p->err, 1, p->node, p->index, p->value, "%s", p->msg);
	return w->crep;
}

/* Follow the chain from preserved-memory-map (chain.c). */
static int cwalk_run(struct cwalk *w)
{
	struct khofmt_chain c;
	int r = 0;

	if (!w->quiet && w->h->variant.conflict) {
		r = rep(w, KHOFMT_ERR_STRUCT, 1, w->h->root, 0, 0, "%s",
			w->h->conflict_msg);
		if (r)
			return r;
	}
	r = khofmt_chain_init(&c, &khofmt_chain_kho_v1, w->h->src, w->h->root,
			      w->ps, 0, chain_problem, w);
	if (r)
		return r;
	w->crep = 0;
	while ((r = khofmt_chain_node(&c)) == 0) {
		/* the walker read the header; the elements come with the page */
		if (khofmt_source_read(w->h->src, c.cur, w->chunk, w->P) < 0)
			return -KHOFMT_ERR_INTERNAL;	/* covered was checked */
		r = do_chunk(w, c.cur, c.count);
		if (r)
			return r;
	}
	/* a fault: what the problem callback answered (0: reported, go on) */
	return r < 0 ? w->crep : 0;
}

static int chunk_walk(struct khofmt_handover *h,
		      const struct khofmt_walk_opts *opts,
		      const struct cmode *mode, void *arg)
{
	struct cwalk w;
	int r;

	h->errmsg[0] = '\0';
	r = cwalk_init(&w, h, opts, false, mode, arg);
	if (r)
		return r;
	r = cwalk_run(&w);
	cwalk_free(&w);
	return r == CSTOP ? 1 : r;
}

/* ------------------------------------------------------------------ */
/* Modes                                                               */
/* ------------------------------------------------------------------ */

static inline bool bit_set(const unsigned char *bm, uint64_t b)
{
	return bm[b / 8] & (1u << (b % 8));
}

/* ---- check: structure, plus overlapping elements of one order ---- */

struct span {
	uint64_t start, end;	/* [start, end) covered by the element */
	uint64_t chunk_pa;
	unsigned order, idx;
};

struct spans {
	struct span *v;
	size_t n, cap;
};

static int spans_push(struct spans *s, const struct span *x)
{
	struct span *v = khofmt_grow(s->v, &s->cap, s->n + 1, sizeof(*v));

	if (!v)
		return -KHOFMT_ERR_NOMEM;
	s->v = v;
	s->v[s->n++] = *x;
	return 0;
}

static int check_elm(struct cwalk *w, const struct celm *e)
{
	uint64_t unit = w->P << e->order;
	struct span s = {
		.start = e->phys_start, .end = e->phys_start + e->nbits * unit,
		.chunk_pa = e->chunk_pa, .order = e->order, .idx = e->idx,
	};

	return spans_push(w->arg, &s);
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/*
 * Elements of one order whose spans overlap tag some pages twice when
 * their bits meet; the kernel never writes two elements for one span.
 */
static int check_overlaps(struct khofmt_handover *h,
			  const struct khofmt_walk_opts *opts,
			  struct spans *s)
{
	size_t i;
	int r;

	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), span_cmp);
	for (i = 1; i < s->n; i++) {
		const struct span *a = &s->v[i - 1], *b = &s->v[i];

		if (a->order != b->order || b->start >= a->end)
			continue;
		r = khofmt_report(h, opts, KHOFMT_ERR_OVERLAP, 1, b->chunk_pa,
				  b->idx, b->start,
				  "chunk 0x%llx element %u (order %u, phys_start 0x%llx) overlaps chunk 0x%llx element %u (phys_start 0x%llx)",
				  (unsigned long long)b->chunk_pa, b->idx,
				  b->order, (unsigned long long)b->start,
				  (unsigned long long)a->chunk_pa, a->idx,
				  (unsigned long long)a->start);
		if (r)
			return r;
	}
	return 0;
}

static int chunk_check(struct khofmt_handover *h,
		       const struct khofmt_walk_opts *opts)
{
	static const struct cmode m = { .elm = check_elm };
	struct spans s = { 0 };
	int r;

	r = chunk_walk(h, opts, &m, &s);
	if (!r)
		r = check_overlaps(h, opts, &s);
	free(s.v);
	return r;
}

/* ---- folios ---- */

struct folio_arg {
	khofmt_folio_cb cb;
	void *arg;
};

static int folios_elm(struct cwalk *w, const struct celm *e)
{
	struct folio_arg *a = w->arg;
	unsigned shift = w->ps + e->order;
	uint64_t b;
	int r;

	for (b = 0; b < e->nbits; b++) {
		if (!(b % 64) && !ld_le64(e->bits + b / 8) && b + 64 <= e->nbits) {
			b += 63;
			continue;
		}
		if (!bit_set(e->bits, b))
			continue;
		r = a->cb(a->arg, e->phys_start + (b << shift), e->order);
		if (r)
			return r;
	}
	return 0;
}

static int chunk_walk_folios(struct khofmt_handover *h,
			     const struct khofmt_walk_opts *opts,
			     khofmt_folio_cb cb, void *arg)
{
	static const struct cmode m = { .elm = folios_elm };
	struct folio_arg a = { cb, arg };

	return chunk_walk(h, opts, &m, &a);
}

/* ---- stats ---- */

static int stats_chunk(struct cwalk *w, uint64_t pa, unsigned order,
		       unsigned n)
{
	struct khofmt_stats *st = w->arg;

	(void)pa, (void)order, (void)n;
	st->tracker_pages[1]++;
	st->tracker_total_pages++;
	st->tracker_bytes += w->P;
	return 0;
}

static int stats_elm(struct cwalk *w, const struct celm *e)
{
	struct khofmt_stats *st = w->arg;
	unsigned shift = w->ps + e->order;
	uint64_t n = 0, first = UINT64_MAX, last = 0, b;

	st->tracker_pages[0]++;
	st->tracker_total_pages++;
	st->tracker_bytes += w->bm_bytes;
	{
		/* whole words: first and last set bit, the count dispatched */
		size_t nw = (size_t)(e->nbits / 64);
		size_t fw = skip_zero_words(e->bits, 0, nw), lw = nw;
		uint64_t word;

		if (fw < nw) {
			while (!(word = ld_le64(e->bits + 8 * --lw)))
				;
			first = fw * 64 + (uint64_t)__builtin_ctzll(ld_le64(e->bits + 8 * fw));
			last = lw * 64 + 63 - (uint64_t)__builtin_clzll(word);
			n = khofmt_popcount_words(e->bits + 8 * fw, lw - fw + 1);
		}
		b = (uint64_t)nw * 64;
	}
	for (; b < e->nbits; b++) {
		if (!bit_set(e->bits, b))
			continue;
		if (first == UINT64_MAX)
			first = b;
		last = b;
		n++;
	}
	if (!n)
		st->empty_leaves++;
	else
		khofmt_stats_add(st, n, e->order, w->ps,
			  e->phys_start + (first << shift),
			  e->phys_start + ((last + 1) << shift));
	return 0;
}

static int chunk_stats(struct khofmt_handover *h,
		       const struct khofmt_walk_opts *opts,
		       struct khofmt_stats *st)
{
	static const struct cmode m = { .chunk = stats_chunk, .elm = stats_elm };

	memset(st, 0, sizeof(*st));
	return chunk_walk(h, opts, &m, st);
}

/* ---- nodes: chunks at level 1, bitmaps at level 0 ---- */

struct node_arg {
	khofmt_node_cb cb;
	void *arg;
};

static int nodes_chunk(struct cwalk *w, uint64_t pa, unsigned order,
		       unsigned n)
{
	struct node_arg *a = w->arg;

	(void)order, (void)n;
	return a->cb(a->arg, pa, 1);
}

static int nodes_elm(struct cwalk *w, const struct celm *e)
{
	struct node_arg *a = w->arg;

	return a->cb(a->arg, e->bitmap, 0);
}

static int chunk_walk_nodes(struct khofmt_handover *h,
			    const struct khofmt_walk_opts *opts,
			    khofmt_node_cb cb, void *arg)
{
	static const struct cmode m = { .chunk = nodes_chunk, .elm = nodes_elm };
	struct node_arg a = { cb, arg };

	return chunk_walk(h, opts, &m, &a);
}

/* ------------------------------------------------------------------ */
/* Per-order streams                                                   */
/* ------------------------------------------------------------------ */

struct selm {
	uint64_t phys_start, bitmap, nbits;
};

struct cursor {
	const unsigned char *bits;
	unsigned char *copy;	/* owned copy when the source is not flat */
	uint64_t phys_start, pos, nbits;
	uint64_t rstart, rlen;	/* current run */
};

struct order_stream {
	struct khofmt_handover *h;
	unsigned order, shift;
	uint64_t bm_bytes;
	struct selm *elms;
	size_t n, cap, next;
	struct cursor *act;	/* active (possibly overlapping) elements */
	size_t nact;
	bool pend, done;
	uint64_t pstart, pend_end;
};

static int collect_elm(struct cwalk *w, const struct celm *e)
{
	struct order_stream *s = w->arg;
	struct selm *v;

	if (e->order != s->order)
		return 0;
	v = khofmt_grow(s->elms, &s->cap, s->n + 1, sizeof(*v));
	if (!v)
		return -KHOFMT_ERR_NOMEM;
	s->elms = v;
	s->elms[s->n].phys_start = e->phys_start;
	s->elms[s->n].bitmap = e->bitmap;
	s->elms[s->n].nbits = e->nbits;
	s->n++;
	return 0;
}

static int selm_cmp(const void *a, const void *b)
{
	const struct selm *x = a, *y = b;

	return x->phys_start < y->phys_start ? -1 :
	       x->phys_start > y->phys_start;
}

/* Next run of set bits of a cursor: true with rstart/rlen set. */
static bool cursor_run(struct cursor *c, unsigned shift)
{
	uint64_t b = c->pos, e;

	while (b < c->nbits) {
		if (!(b % 64) && b + 64 <= c->nbits && !ld_le64(c->bits + b / 8)) {
			b += 64;
			continue;
		}
		if (bit_set(c->bits, b))
			break;
		b++;
	}
	if (b >= c->nbits) {
		c->pos = c->nbits;
		return false;
	}
	for (e = b + 1; e < c->nbits && bit_set(c->bits, e); e++)
		;
	c->pos = e;
	c->rstart = c->phys_start + (b << shift);
	c->rlen = (e - b) << shift;
	return true;
}

static void cursor_drop(struct order_stream *s, size_t i)
{
	free(s->act[i].copy);
	s->act[i] = s->act[--s->nact];
}

/* Make element s->next active; 0 or a negative error. */
static int activate(struct order_stream *s)
{
	const struct selm *e = &s->elms[s->next++];
	struct cursor *c = &s->act[s->nact];

	memset(c, 0, sizeof(*c));
	c->bits = khofmt_source_ptr(s->h->src, e->bitmap, s->bm_bytes);
	if (!c->bits) {
		c->copy = malloc(s->bm_bytes);
		if (!c->copy)
			return -KHOFMT_ERR_NOMEM;
		if (khofmt_source_read(s->h->src, e->bitmap, c->copy,
				       s->bm_bytes)) {
			free(c->copy);
			return -KHOFMT_ERR_INTERNAL;
		}
		c->bits = c->copy;
	}
	c->phys_start = e->phys_start;
	c->nbits = e->nbits;
	if (cursor_run(c, s->shift))
		s->nact++;
	else
		free(c->copy);
	return 0;
}

static int chunk_stream_next(struct order_stream *s, uint64_t *start,
			     uint64_t *len)
{
	for (;;) {
		size_t i, m = 0;
		uint64_t a, l;
		int r;

		if (s->done)
			return 1;
		for (i = 1; i < s->nact; i++)
			if (s->act[i].rstart < s->act[m].rstart)
				m = i;
		/* Elements starting before the earliest pending run join in. */
		if (s->next < s->n &&
		    (!s->nact || s->elms[s->next].phys_start <= s->act[m].rstart)) {
			r = activate(s);
			if (r < 0)
				return r;
			continue;
		}
		if (!s->nact) {
			s->done = true;
			if (!s->pend)
				return 1;
			*start = s->pstart;
			*len = s->pend_end - s->pstart;
			return 0;
		}
		a = s->act[m].rstart;
		l = s->act[m].rlen;
		if (!cursor_run(&s->act[m], s->shift))
			cursor_drop(s, m);
		if (s->pend && a <= s->pend_end) {
			if (a + l > s->pend_end)
				s->pend_end = a + l;
			continue;
		}
		if (s->pend) {
			*start = s->pstart;
			*len = s->pend_end - s->pstart;
			s->pstart = a;
			s->pend_end = a + l;
			return 0;
		}
		s->pend = true;
		s->pstart = a;
		s->pend_end = a + l;
	}
}

static void chunk_stream_close(struct order_stream *s)
{
	if (!s)
		return;
	while (s->nact)
		cursor_drop(s, 0);
	free(s->act);
	free(s->elms);
	free(s);
}

static int chunk_stream_open(struct khofmt_handover *h, unsigned order,
			     struct order_stream **out)
{
	static const struct cmode m = { .elm = collect_elm };
	struct order_stream *s;
	struct cwalk w;
	int r;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -KHOFMT_ERR_NOMEM;
	s->h = h;
	s->order = order;
	s->shift = h->geom.page_shift + order;
	/* Problems were reported by check(); skip what cannot be read. */
	r = cwalk_init(&w, h, NULL, true, &m, s);
	if (!r) {
		s->bm_bytes = w.bm_bytes;
		r = cwalk_run(&w);
		cwalk_free(&w);
	}
	if (r < 0) {
		chunk_stream_close(s);
		return r;
	}
	if (s->n)
		qsort(s->elms, s->n, sizeof(*s->elms), selm_cmp);
	s->act = calloc(s->n ? s->n : 1, sizeof(*s->act));
	if (!s->act) {
		chunk_stream_close(s);
		return -KHOFMT_ERR_NOMEM;
	}
	*out = s;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Point query                                                         */
/* ------------------------------------------------------------------ */

/*
 * Every decodable element of the chain, sorted by (order, phys_start):
 * built once per handover on the first query (16 + 8 bytes an element,
 * bounded by the chain), then a query is a binary search and a one-byte
 * read of the bitmap. All elements of one order span the same bytes, so
 * the candidates for an address are the few whose start lies within one
 * span below it (several only when the producer wrote overlapping
 * elements).
 */
struct qelm {
	uint64_t phys_start, bitmap, nbits;
	unsigned order;
};

struct qindex {
	struct qelm *v;
	size_t n, cap;
	unsigned bits_log2;
};

static void qindex_free(void *p)
{
	struct qindex *q = p;

	if (q)
		free(q->v);
	free(q);
}

static int qindex_elm(struct cwalk *w, const struct celm *e)
{
	struct qindex *q = w->arg;
	struct qelm *v = khofmt_grow(q->v, &q->cap, q->n + 1, sizeof(*v));

	if (!v)
		return -KHOFMT_ERR_NOMEM;
	q->v = v;
	v[q->n].phys_start = e->phys_start;
	v[q->n].bitmap = e->bitmap;
	v[q->n].nbits = e->nbits;
	v[q->n].order = e->order;
	q->n++;
	return 0;
}

static int qelm_cmp(const void *a, const void *b)
{
	const struct qelm *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->phys_start < y->phys_start ? -1 :
	       x->phys_start > y->phys_start;
}

static int qindex_build(struct khofmt_handover *h, struct qindex **out)
{
	static const struct cmode m = { .elm = qindex_elm };
	struct qindex *q;
	struct cwalk w;
	int r;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -KHOFMT_ERR_NOMEM;
	r = cwalk_init(&w, h, NULL, true, &m, q);
	if (!r) {
		q->bits_log2 = w.bits_log2;
		r = cwalk_run(&w);
		cwalk_free(&w);
	}
	if (r < 0) {
		qindex_free(q);
		return r;
	}
	if (q->n)
		qsort(q->v, q->n, sizeof(*q->v), qelm_cmp);
	*out = q;
	return 0;
}

static int chunk_has_entry(struct khofmt_handover *h, uint64_t phys,
			   unsigned order)
{
	unsigned ps = h->geom.page_shift;
	struct qindex *q = h->qix;
	size_t lo = 0, hi, i;
	uint64_t span;
	int r;

	if (order > h->geom.max_order || low_bits(phys, ps + order) ||
	    phys >> h->geom.phys_bits)
		return 0;
	if (!q) {
		r = qindex_build(h, &q);
		if (r < 0)
			return r;
		h->qix = q;
		h->qix_free = qindex_free;
	}
	/* first element with (order, start) > (order, phys) */
	hi = q->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct qelm *e = &q->v[mid];

		if (e->order < order ||
		    (e->order == order && e->phys_start <= phys))
			lo = mid + 1;
		else
			hi = mid;
	}
	span = q->bits_log2 + ps + order >= 64 ? UINT64_MAX :
	       UINT64_C(1) << (q->bits_log2 + ps + order);
	for (i = lo; i-- > 0;) {
		const struct qelm *e = &q->v[i];
		uint64_t b;
		unsigned char byte;

		if (e->order != order || phys - e->phys_start >= span)
			break;
		b = (phys - e->phys_start) >> (ps + order);
		if (b >= e->nbits)
			continue;
		if (khofmt_source_read(h->src, e->bitmap + b / 8, &byte, 1) < 0)
			return -KHOFMT_ERR_NOTCOVERED;
		if (byte & (1u << (b % 8)))
			return 1;
	}
	return 0;
}

const struct tracker_ops khofmt_chunk_ops = {
	.name = "chunk",
	.check = chunk_check,
	.walk_folios = chunk_walk_folios,
	.stats = chunk_stats,
	.walk_nodes = chunk_walk_nodes,
	.stream_open = chunk_stream_open,
	.stream_next = chunk_stream_next,
	.stream_close = chunk_stream_close,
	.has_entry = chunk_has_entry,
};

/* ------------------------------------------------------------------ */
/* E1a or E1b (doc/ABI.md 4.2.5)                                       */
/* ------------------------------------------------------------------ */

struct evidence {
	uint64_t P;
	uint64_t bitmaps, aligned;
	bool unaligned;			/* rule 2 */
	uint64_t unaligned_pa;
	bool offspan;			/* rule 3 */
	uint64_t offspan_start;
	unsigned offspan_order;
	bool tail;			/* page-aligned bitmap with bits >= 4096 */
	uint64_t tail_pa;
	struct pageset bms;		/* bitmap addresses */
	uint64_t *apa;			/* page-aligned bitmaps */
	size_t napa, capa;
};

static int evidence_elm(struct cwalk *w, const struct celm *e)
{
	struct evidence *ev = w->arg;
	unsigned ps = 63 - __builtin_clzll(ev->P);
	unsigned e1b_log2 = 2 * ps + 3 + e->order;	/* P*8 bits of P << o */
	int r;

	ev->bitmaps++;
	r = khofmt_pageset_add(&ev->bms, e->bitmap);
	if (r < 0)
		return r;
	if (e->bitmap & (ev->P - 1)) {
		if (!ev->unaligned) {
			ev->unaligned = true;
			ev->unaligned_pa = e->bitmap;
		}
	} else {
		uint64_t *v = khofmt_grow(ev->apa, &ev->capa, ev->napa + 1,
					  sizeof(*v));

		ev->aligned++;
		if (!v)
			return -KHOFMT_ERR_NOMEM;
		ev->apa = v;
		ev->apa[ev->napa++] = e->bitmap;
	}
	if (low_bits(e->phys_start, e1b_log2) && !ev->offspan) {
		ev->offspan = true;
		ev->offspan_start = e->phys_start;
		ev->offspan_order = e->order;
	}
	return 0;
}

/*
 * A page-aligned bitmap whose bytes past the first 512 hold set bits, when
 * those bytes are not another bitmap of the list: E1b data read as E1a
 * would silently drop them.
 */
static void evidence_tails(struct khofmt_handover *h, struct evidence *ev)
{
	size_t i, j;

	for (i = 0; i < ev->napa && !ev->tail; i++) {
		unsigned char buf[E1A_BITMAP_BYTES];
		uint64_t pa = ev->apa[i];

		for (j = E1A_BITMAP_BYTES; j < ev->P && !ev->tail;
		     j += E1A_BITMAP_BYTES) {
			size_t k;

			if (khofmt_pageset_add(&ev->bms, pa + j) == 0)
				continue;	/* another E1a bitmap */
			if (khofmt_source_read(h->src, pa + j, buf, sizeof(buf)))
				break;
			for (k = 0; k < sizeof(buf); k++)
				if (buf[k])
					break;
			if (k < sizeof(buf)) {
				ev->tail = true;
				ev->tail_pa = pa;
			}
		}
	}
}

/* Gather the 4.2.5 evidence, reading the list as E1b (quietly). */
static int gather(struct khofmt_handover *h, struct evidence *ev)
{
	static const struct cmode m = { .elm = evidence_elm };
	struct cwalk w;
	int r;

	/* Only what every variant agrees on is read: the first 512 bytes. */
	h->variant.bitmap_bytes = E1A_BITMAP_BYTES;
	r = cwalk_init(&w, h, NULL, true, &m, ev);
	if (r)
		return r;
	r = cwalk_run(&w);
	cwalk_free(&w);
	return r < 0 ? r : 0;
}

/* Producer release -> variant (khofmt_producer_variant) and why. */
static int from_producer(struct khofmt_handover *h, const char *producer,
			 enum khofmt_variant *v, char *why, size_t whylen)
{
	unsigned ma, mi;
	int pa;

	*v = KHOFMT_VARIANT_NONE;
	if (!producer)
		return 0;
	if (khofmt_producer_parse(producer, &ma, &mi, &pa))
		return H_ERR(h, KHOFMT_ERR_INVAL,
			     "producer \"%s\" is not a release number", producer);
	if (ma * 1000 + mi < 6016)
		return H_ERR(h, KHOFMT_ERR_INVAL,
			     "producer %s: the kho-v1 chunk list first shipped in 6.16 (earlier kho-v1 is the RFC form)",
			     producer);
	*v = khofmt_producer_variant(h->abi, producer);
	if (*v == KHOFMT_VARIANT_NONE)
		khofmt_setmsg(why, whylen,
			      "producer %s: 6.17.y switched to page-sized bitmaps in a stable update (about 6.17.9); give the patch level",
			      producer);
	else if (ma * 1000 + mi == 6017)
		khofmt_setmsg(why, whylen,
			      "producer %s: %s bitmaps (page-sized from about 6.17.9; the exact stable release is unverified)",
			      producer, *v == KHOFMT_VARIANT_E1A ? "512-byte" : "page-sized");
	else
		khofmt_setmsg(why, whylen, "producer %s: %s bitmaps%s", producer,
			      *v == KHOFMT_VARIANT_E1A ? "512-byte" : "page-sized",
			      ma * 1000 + mi >= 7001 ?
			      " (note: 7.1+ kernels write kho-v3/v4, not kho-v1)" : "");
	return 0;
}

int khofmt_chunk_choose(struct khofmt_handover *h, unsigned variant,
			const char *producer)
{
	struct khofmt_variant_info *vi = &h->variant;
	uint64_t P = UINT64_C(1) << h->geom.page_shift;
	struct evidence ev = { .P = P };
	enum khofmt_variant v = KHOFMT_VARIANT_NONE;
	char why[ERRMSG_LEN] = "";
	int r;

	/* Level 1 = chunks, level 0 = bitmaps. */
	h->geom.depth = 2;
	if (variant && variant != KHOFMT_VARIANT_E1A &&
	    variant != KHOFMT_VARIANT_E1B)
		return H_ERR(h, KHOFMT_ERR_INVAL,
			     "variant %s does not apply to kho-v1",
			     khofmt_variant_name(variant));
	if (variant) {
		v = variant;
		vi->basis = KHOFMT_BASIS_CALLER;
		khofmt_setmsg(why, sizeof(why), "%s given by the caller",
			      khofmt_variant_name(v));
	} else {
		r = from_producer(h, producer, &v, why, sizeof(why));
		if (r)
			return r;
		if (v)
			vi->basis = KHOFMT_BASIS_PRODUCER;
	}

	khofmt_pageset_init(&ev.bms);
	r = gather(h, &ev);
	if (!r && v == KHOFMT_VARIANT_E1A && !ev.unaligned && !ev.offspan)
		evidence_tails(h, &ev);
	khofmt_pageset_free(&ev.bms);
	free(ev.apa);
	if (r)
		return r;

	if (!v) {
		const char *pre = why;
		char buf[ERRMSG_LEN];

		snprintf(buf, sizeof(buf), "%s%s", pre, *pre ? "; " : "");
		if (ev.unaligned) {
			v = KHOFMT_VARIANT_E1A;
			vi->basis = KHOFMT_BASIS_EVIDENCE;
			khofmt_setmsg(why, sizeof(why),
				      "%sbitmap address 0x%llx not page-aligned",
				      buf, (unsigned long long)ev.unaligned_pa);
		} else if (ev.offspan) {
			v = KHOFMT_VARIANT_E1A;
			vi->basis = KHOFMT_BASIS_EVIDENCE;
			khofmt_setmsg(why, sizeof(why),
				      "%sphys_start 0x%llx (order %u) not a multiple of the page-sized bitmap span",
				      buf, (unsigned long long)ev.offspan_start,
				      ev.offspan_order);
		} else {
			v = KHOFMT_VARIANT_E1B;
			vi->basis = KHOFMT_BASIS_ASSUMED;
			khofmt_setmsg(why, sizeof(why),
				      "%sassumed: %llu bitmaps, all page-aligned, every phys_start on a page-sized-bitmap boundary",
				      buf, (unsigned long long)ev.bitmaps);
		}
	} else if (v == KHOFMT_VARIANT_E1B && (ev.unaligned || ev.offspan)) {
		vi->conflict = true;
		if (ev.unaligned)
			khofmt_setmsg(h->conflict_msg, sizeof(h->conflict_msg),
				      "decoding as E1b (%s) but bitmap 0x%llx is not page-aligned: E1a data? each bitmap would be followed by 3584 bytes of unrelated memory",
				      why, (unsigned long long)ev.unaligned_pa);
		else
			khofmt_setmsg(h->conflict_msg, sizeof(h->conflict_msg),
				      "decoding as E1b (%s) but phys_start 0x%llx (order %u) is not on a page-sized-bitmap boundary: E1a data?",
				      why, (unsigned long long)ev.offspan_start,
				      ev.offspan_order);
	} else if (v == KHOFMT_VARIANT_E1A && ev.tail) {
		vi->conflict = true;
		khofmt_setmsg(h->conflict_msg, sizeof(h->conflict_msg),
			      "decoding as E1a (%s) but the page-aligned bitmap 0x%llx has bits set past bit 4095: E1b data? those entries are dropped",
			      why, (unsigned long long)ev.tail_pa);
	}
	vi->variant = v;
	vi->name = v == KHOFMT_VARIANT_E1A ? "E1a" : "E1b";
	vi->bitmap_bytes = v == KHOFMT_VARIANT_E1A ? E1A_BITMAP_BYTES
						   : (unsigned)P;
	if (vi->conflict)
		khofmt_setmsg(h->variant_reason, sizeof(h->variant_reason),
			      "%s; CONFLICT: %s", why, h->conflict_msg);
	else
		khofmt_setmsg(h->variant_reason, sizeof(h->variant_reason),
			      "%s", why);
	return 0;
}
