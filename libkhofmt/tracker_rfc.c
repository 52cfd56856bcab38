// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The 2023-24 RFC form (doc/ABI.md 4.3, never merged): no tracker pages;
 * any node of the KHO DT may carry `mem`, an array of native
 * {u64 addr, u64 len} byte ranges to keep. The ranges come from the FDT
 * itself (copied and checked by khofmt_fdt_open()), so no memory source
 * is read.
 *
 * From byte ranges to folios, as this library defines it:
 *  - later RFC revisions used bit 0 of addr as a "no-init" flag: an addr
 *    whose in-page bits are exactly 1 is taken as flag + page-aligned
 *    address;
 *  - otherwise a range is widened to whole pages:
 *    [rounddown(addr, P), roundup(addr + len, P));
 *  - the pages are cut greedily into aligned blocks like
 *    kho_preserve_pages(): order = min(ctz(pfn), floor(log2(pages left)));
 *  - len 0 preserves nothing.
 * Folios come in DT order (node by node, element by element); ranges are
 * sorted and coalesced (all through the order-0 stream: a range is a run).
 * Problems (check()): a `mem` length that is not a multiple of 16, a range
 * ending above 2^52, ranges of different elements that overlap (W).
 */
#include <stdio.h>
#include <stdlib.h>
#include <libfdt.h>

#include "internal.h"

enum rfc_bad { RFC_OK = 0, RFC_BADLEN, RFC_TOOHIGH };

struct rfc_range {
	uint64_t start, end;	/* page-aligned [start, end) */
	uint64_t addr, len;	/* as written */
	int node;		/* FDT node offset */
	unsigned idx;		/* element in the property */
	enum rfc_bad bad;
};

struct rfc {
	struct rfc_range *v;	/* DT order */
	struct rfc_range *sorted;	/* valid ones, by start */
	uint64_t *maxend;	/* maxend[i]: largest end of sorted[0..i] */
	size_t n, cap, nsorted;
};

static void rfc_free(void *p)
{
	struct rfc *r = p;

	if (!r)
		return;
	free(r->v);
	free(r->sorted);
	free(r->maxend);
	free(r);
}

static int rfc_push(struct rfc *r, const struct rfc_range *x)
{
	struct rfc_range *v = khofmt_grow(r->v, &r->cap, r->n + 1, sizeof(*v));

	if (!v)
		return -KHOFMT_ERR_NOMEM;
	r->v = v;
	r->v[r->n++] = *x;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct rfc_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* One {addr, len} element -> page range (see the top comment). */
static void to_pages(struct rfc_range *x, unsigned ps, unsigned phys_bits)
{
	uint64_t P = UINT64_C(1) << ps, a = x->addr, end;
	uint64_t limit = UINT64_C(1) << phys_bits;

	if ((a & (P - 1)) == 1)
		a -= 1;		/* bit 0 = "no-init" flag */
	end = a + x->len;
	if (end < a || end > limit) {
		x->bad = RFC_TOOHIGH;
		return;
	}
	x->start = a & ~(P - 1);
	/* limit is page-aligned: rounding up stays inside it */
	x->end = x->len ? (end + P - 1) & ~(P - 1) : x->start;
}

int khofmt_rfc_load(struct khofmt_handover *h)
{
	const void *blob = h->fdt->blob;
	unsigned ps = h->geom.page_shift;
	int node = 0, depth = 0, r = 0;
	struct rfc *rf;
	size_t i;

	h->geom.depth = 0;	/* no tracker pages */
	rf = calloc(1, sizeof(*rf));
	if (!rf)
		return -KHOFMT_ERR_NOMEM;
	for (; node >= 0 && depth >= 0 && !r;
	     node = fdt_next_node(blob, node, &depth)) {
		const unsigned char *p;
		struct rfc_range x;
		int len;

		p = fdt_getprop(blob, node, "mem", &len);
		if (!p)
			continue;
		memset(&x, 0, sizeof(x));
		x.node = node;
		if (len % 16) {
			x.bad = RFC_BADLEN;
			x.len = (uint64_t)len;
			r = rfc_push(rf, &x);
			continue;
		}
		for (i = 0; !r && i < (size_t)len / 16; i++) {
			x.idx = (unsigned)i;
			x.addr = ld_le64(p + 16 * i);
			x.len = ld_le64(p + 16 * i + 8);
			x.bad = RFC_OK;
			to_pages(&x, ps, h->geom.phys_bits);
			r = rfc_push(rf, &x);
		}
	}
	if (!r) {
		rf->sorted = malloc((rf->n ? rf->n : 1) * sizeof(*rf->sorted));
		rf->maxend = malloc((rf->n ? rf->n : 1) * sizeof(*rf->maxend));
		if (!rf->sorted || !rf->maxend)
			r = -KHOFMT_ERR_NOMEM;
	}
	if (r) {
		rfc_free(rf);
		return r;
	}
	for (i = 0; i < rf->n; i++)
		if (!rf->v[i].bad && rf->v[i].end > rf->v[i].start)
			rf->sorted[rf->nsorted++] = rf->v[i];
	qsort(rf->sorted, rf->nsorted, sizeof(*rf->sorted), range_cmp);
	for (i = 0; i < rf->nsorted; i++)
		rf->maxend[i] = i && rf->maxend[i - 1] > rf->sorted[i].end ?
				rf->maxend[i - 1] : rf->sorted[i].end;
	h->tdata = rf;
	h->tdata_free = rfc_free;
	return 0;
}

static const char *node_path(struct khofmt_handover *h, int node, char *buf,
			     size_t len)
{
	if (fdt_get_path(h->fdt->blob, node, buf, (int)len))
		snprintf(buf, len, "(node at offset %d)", node);
	return buf;
}

static int rfc_check(struct khofmt_handover *h,
		     const struct khofmt_walk_opts *opts)
{
	struct rfc *rf = h->tdata;
	char path[128];
	size_t i;
	int r;

	h->errmsg[0] = '\0';
	for (i = 0; i < rf->n; i++) {
		const struct rfc_range *x = &rf->v[i];

		if (x->bad == RFC_BADLEN)
			r = khofmt_report(h, opts, KHOFMT_ERR_BADPROP, 0, 0, 0,
					  x->len,
					  "%s: `mem` is %llu bytes long, not a multiple of 16",
					  node_path(h, x->node, path, sizeof(path)),
					  (unsigned long long)x->len);
		else if (x->bad == RFC_TOOHIGH)
			r = khofmt_report(h, opts, KHOFMT_ERR_BADKEY, 0, 0,
					  x->idx, x->addr,
					  "%s: `mem` element %u {0x%llx, 0x%llx} ends beyond %u-bit physical addresses",
					  node_path(h, x->node, path, sizeof(path)),
					  x->idx, (unsigned long long)x->addr,
					  (unsigned long long)x->len,
					  h->geom.phys_bits);
		else
			continue;
		if (r)
			return r;
	}
	for (i = 1; i < rf->nsorted; i++) {
		const struct rfc_range *a = &rf->sorted[i - 1], *b = &rf->sorted[i];

		if (b->start >= a->end)
			continue;
		r = khofmt_report(h, opts, KHOFMT_ERR_OVERLAP, 0, 0, b->idx,
				  b->addr,
				  "%s: `mem` element %u [0x%llx, 0x%llx) overlaps [0x%llx, 0x%llx)",
				  node_path(h, b->node, path, sizeof(path)),
				  b->idx, (unsigned long long)b->start,
				  (unsigned long long)b->end,
				  (unsigned long long)a->start,
				  (unsigned long long)a->end);
		if (r)
			return r;
	}
	return 0;
}

/* The greedy split of one range; cb(arg, phys, order) per block. */
static int split(const struct rfc_range *x, unsigned ps,
		 int (*cb)(void *, uint64_t, unsigned), void *arg)
{
	uint64_t pfn = x->start >> ps, left = (x->end - x->start) >> ps;
	int r;

	while (left) {
		unsigned o = 63 - (unsigned)__builtin_clzll(left);

		if (pfn && (unsigned)__builtin_ctzll(pfn) < o)
			o = (unsigned)__builtin_ctzll(pfn);
		r = cb(arg, pfn << ps, o);
		if (r)
			return r;
		pfn += UINT64_C(1) << o;
		left -= UINT64_C(1) << o;
	}
	return 0;
}

static int rfc_split_all(struct khofmt_handover *h,
			 int (*cb)(void *, uint64_t, unsigned), void *arg)
{
	struct rfc *rf = h->tdata;
	size_t i;
	int r;

	h->errmsg[0] = '\0';
	for (i = 0; i < rf->n; i++) {
		if (rf->v[i].bad)
			continue;
		r = split(&rf->v[i], h->geom.page_shift, cb, arg);
		if (r)
			return r;
	}
	return 0;
}

static int rfc_walk_folios(struct khofmt_handover *h,
			   const struct khofmt_walk_opts *opts,
			   khofmt_folio_cb cb, void *arg)
{
	int r = rfc_check(h, opts);

	/* Only the property problems stop the walk; overlaps do not. */
	if (r && r != -KHOFMT_ERR_OVERLAP)
		return r;
	return rfc_split_all(h, cb, arg);
}

struct stats_arg {
	struct khofmt_stats *st;
	unsigned ps;
};

static int stats_block(void *arg, uint64_t phys, unsigned order)
{
	struct stats_arg *a = arg;

	khofmt_stats_add(a->st, 1, order, a->ps, phys,
			 phys + (UINT64_C(1) << (a->ps + order)));
	return 0;
}

static int rfc_stats(struct khofmt_handover *h,
		     const struct khofmt_walk_opts *opts,
		     struct khofmt_stats *st)
{
	struct stats_arg a = { st, h->geom.page_shift };
	int r;

	memset(st, 0, sizeof(*st));
	r = rfc_check(h, opts);
	if (r && r != -KHOFMT_ERR_OVERLAP)
		return r;
	return rfc_split_all(h, stats_block, &a);
}

static int rfc_walk_nodes(struct khofmt_handover *h,
			  const struct khofmt_walk_opts *opts,
			  khofmt_node_cb cb, void *arg)
{
	(void)opts, (void)cb, (void)arg;
	h->errmsg[0] = '\0';
	return 0;	/* the RFC has no tracker pages */
}

struct order_stream {
	struct rfc *rf;
	size_t i;
	bool empty;
};

static int rfc_stream_open(struct khofmt_handover *h, unsigned order,
			   struct order_stream **out)
{
	struct order_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return -KHOFMT_ERR_NOMEM;
	s->rf = h->tdata;
	s->empty = order != 0;	/* ranges are runs: all in one stream */
	*out = s;
	return 0;
}

static int rfc_stream_next(struct order_stream *s, uint64_t *start,
			   uint64_t *len)
{
	uint64_t a, e;

	if (s->empty || s->i >= s->rf->nsorted)
		return 1;
	a = s->rf->sorted[s->i].start;
	e = s->rf->sorted[s->i].end;
	for (s->i++; s->i < s->rf->nsorted && s->rf->sorted[s->i].start <= e;
	     s->i++)
		if (s->rf->sorted[s->i].end > e)
			e = s->rf->sorted[s->i].end;
	*start = a;
	*len = e - a;
	return 0;
}

static void rfc_stream_close(struct order_stream *s)
{
	free(s);
}

/*
 * Point query: is (phys, order) one of the blocks the greedy split makes
 * of a range? The ranges holding @phys are found by binary search on the
 * sorted ranges (a range's split has at most 2 * 64 blocks).
 */
struct find_block {
	uint64_t phys;
	unsigned order;
};

static int is_block(void *arg, uint64_t phys, unsigned order)
{
	const struct find_block *f = arg;

	if (phys > f->phys)
		return 2;	/* past it: not a block start */
	return phys == f->phys ? (order == f->order ? 1 : 2) : 0;
}

static int rfc_has_entry(struct khofmt_handover *h, uint64_t phys,
			 unsigned order)
{
	struct rfc *rf = h->tdata;
	struct find_block f = { phys, order };
	size_t lo = 0, hi = rf->nsorted, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rf->sorted[mid].start <= phys)
			lo = mid + 1;
		else
			hi = mid;
	}
	/*
	 * Back from the last range starting at or below @phys while any
	 * range further down may still reach it; overlapping ranges (a
	 * warning of check()) are each their own split.
	 */
	for (i = lo; i-- > 0 && rf->maxend[i] > phys;) {
		const struct rfc_range *x = &rf->sorted[i];

		if (x->end > phys &&
		    split(x, h->geom.page_shift, is_block, &f) == 1)
			return 1;
	}
	return 0;
}

const struct tracker_ops khofmt_rfc_ops = {
	.name = "rfc-mem",
	.check = rfc_check,
	.walk_folios = rfc_walk_folios,
	.stats = rfc_stats,
	.walk_nodes = rfc_walk_nodes,
	.stream_open = rfc_stream_open,
	.stream_next = rfc_stream_next,
	.stream_close = rfc_stream_close,
	.has_entry = rfc_has_entry,
};
