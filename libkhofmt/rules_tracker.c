// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Rules on the tracker and the memory it preserves (doc/ABI.md 4; 9 MAP-*):
 *  - structure: the walkers' problem callback turns every problem into a
 *    finding and the walk goes on;
 *  - tracker pages: collected once (memory proportional to the tracker),
 *    checked against RAM and scratch;
 *  - preserved memory: one streaming pass over the per-order runs, merged
 *    by walk.c, which reports cross-order overlaps; each coalesced range is
 *    checked against RAM, scratch, the tracker pages and the coverage
 *    questions of the blob rules. Memory stays proportional to the tracker.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rules_int.h"

/* Order-0 entries that could be merged before W043 is worth a warning. */
#define MERGEABLE_MIN 64
/* No machine has more RAM than this in one piece (x86-64 4-level: 46). */
#define PLAUSIBLE_BITS 46

static int problem_num(int err)
{
	switch (err < 0 ? -err : err) {
	case KHOFMT_ERR_STRUCT: return R_TRK_ALIGN;
	case KHOFMT_ERR_NOTCOVERED: return R_TRK_MISSING;
	case KHOFMT_ERR_LOOP: return R_TRK_LOOP;
	case KHOFMT_ERR_BADKEY: return R_TRK_KEY;
	default: return R_TRK_MISSING;
	}
}

/*
 * Where a tracker problem is: a bad key in its leaf (the leaf page); a
 * pointer to a page (a cycle, a page outside the memory source) that page
 * when it is a physical address at all (page-aligned, below 2^52), else the
 * 8-byte table slot holding the pointer: a misaligned or wild value is not
 * memory anyone can look at (and above 2^53 not even a safe JSON number).
 * The root pointer lives in the FDT, not in memory: no address then.
 */
static bool problem_where(const struct vctx *c, const struct khofmt_problem *p,
			  int num, uint64_t *addr, uint64_t *size)
{
	const struct khofmt_geom *g = khofmt_handover_geom(c->h);

	if (num == R_TRK_KEY) {
		*addr = p->node_pa;
		*size = 0;
		return true;
	}
	if (g && p->level == g->depth - 1 && p->index == 0 &&
	    p->node_pa == p->value)
		return false;	/* preserved-memory-map itself */
	if (num != R_TRK_ALIGN && !(p->value & (c->P - 1)) &&
	    !(p->value >> 52)) {
		*addr = p->value;
		*size = c->P;
		return true;
	}
	*addr = p->node_pa + 8 * p->index;
	*size = 8;
	return true;
}

static int on_problem(void *arg, const struct khofmt_problem *p)
{
	struct vctx *c = arg;
	int num = problem_num(p->err);
	uint64_t addr = 0, size = 0;
	bool has = problem_where(c, p, num, &addr, &size);
	char obj[48];

	snprintf(obj, sizeof(obj), "level %u node 0x%llx", p->level,
		 (unsigned long long)p->node_pa);
	khofmt_vfind(c, num, has, addr, size, -1, obj, "%s", p->msg);
	return c->err ? 1 : 0;
}

static int ignore_problem(void *arg, const struct khofmt_problem *p)
{
	(void)arg;
	(void)p;
	return 0;
}

/* ---- tracker pages ---- */

struct pages {
	struct vctx *c;
	size_t cap;
};

static int collect_node(void *arg, uint64_t pa, unsigned level)
{
	struct pages *pg = arg;
	struct vctx *c = pg->c;

	uint64_t *p = khofmt_grow(c->tpages, &pg->cap, c->ntpages + 1,
				  sizeof(*c->tpages));

	(void)level;
	if (!p) {
		c->err = -KHOFMT_ERR_NOMEM;
		return 1;
	}
	c->tpages = p;
	c->tpages[c->ntpages++] = pa;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void check_tracker_pages(struct vctx *c)
{
	struct khofmt_walk_opts wo = {
		.sz = sizeof(wo), .problem = ignore_problem,
	};
	struct pages pg = { c, 0 };
	size_t i;
	int r;

	r = khofmt_walk_nodes(c->h, &wo, collect_node, &pg);
	if (r < 0 && !c->err)
		c->err = r == -KHOFMT_ERR_NOMEM ? r : 0;
	if (c->err)
		return;
	if (c->ntpages)
		qsort(c->tpages, c->ntpages, sizeof(*c->tpages), cmp_u64);
	for (i = 0; i < c->ntpages; i++) {
		uint64_t pa = c->tpages[i];

		if (c->has_ram && !khofmt_in_ranges(c->ram, c->nram, pa, c->P))
			khofmt_vfind(c, R_TRK_RAM, true, pa, c->P, -1, NULL,
			      "tracker page 0x%llx is not in System RAM",
			      (unsigned long long)pa);
		if (khofmt_meet_ranges(c->scr, c->nscr, pa, c->P))
			khofmt_vfind(c, R_TRK_SCRATCH, true, pa, c->P, -1, NULL,
			      "tracker page 0x%llx lies in a scratch area",
			      (unsigned long long)pa);
	}
}

/* ---- the preserved-memory pass ---- */

struct pass {
	struct vctx *c;
	size_t tp;	/* next tracker page not yet below the ranges */
};

static int on_overlap(void *arg, uint64_t start, uint64_t size,
		      unsigned order, uint64_t range_start)
{
	struct pass *p = arg;

	khofmt_vfind(p->c, R_MEM_OVERLAP, true, start, size, (int)order, NULL,
	      "order-%u folios at 0x%llx overlap other preserved entries over 0x%llx bytes (in the range starting at 0x%llx)",
	      order, (unsigned long long)start, (unsigned long long)size,
	      (unsigned long long)range_start);
	return p->c->err ? 1 : 0;
}

static int on_range(void *arg, uint64_t start, uint64_t size)
{
	struct pass *p = arg;
	struct vctx *c = p->c;
	uint64_t end = start + size;
	const struct khofmt_range *s;
	uint64_t gap, glen;
	size_t i;

	if (c->has_ram && khofmt_first_gap(c->ram, c->nram, start, size, &gap, &glen))
		khofmt_vfind(c, R_MEM_RAM, true, gap, glen, -1, NULL,
		      "preserved memory [0x%llx, 0x%llx) is not System RAM (in the preserved range [0x%llx, 0x%llx))",
		      (unsigned long long)gap, (unsigned long long)(gap + glen),
		      (unsigned long long)start, (unsigned long long)end);
	/* RFC ranges are the entries: a range that big is impossible */
	if (khofmt_gen(khofmt_handover_abi(c->h))->range_entries &&
	    size > (UINT64_C(1) << PLAUSIBLE_BITS))
		khofmt_vfind(c, R_TRK_ORDER, true, start, size, -1, NULL,
		      "preserved range [0x%llx, +0x%llx) is larger than 2^%u bytes: no machine has that memory",
		      (unsigned long long)start, (unsigned long long)size,
		      PLAUSIBLE_BITS);
	s = khofmt_meet_ranges(c->scr, c->nscr, start, size);
	if (s)
		khofmt_vfind(c, R_MEM_SCRATCH, true, start, size, -1, NULL,
		      "preserved range [0x%llx, 0x%llx) intersects the scratch area [0x%llx, 0x%llx)",
		      (unsigned long long)start, (unsigned long long)end,
		      (unsigned long long)s->start,
		      (unsigned long long)(s->start + s->size));
	while (p->tp < c->ntpages && c->tpages[p->tp] + c->P <= start)
		p->tp++;
	for (i = p->tp; i < c->ntpages && c->tpages[i] < end; i++)
		khofmt_vfind(c, R_TRK_PRESERVED, true, c->tpages[i], c->P, -1, NULL,
		      "tracker page 0x%llx lies inside the preserved range [0x%llx, 0x%llx)",
		      (unsigned long long)c->tpages[i],
		      (unsigned long long)start, (unsigned long long)end);
	for (i = 0; i < c->nq; i++) {
		struct cover_q *q = &c->q[i];

		if (q->start >= start && q->start < end) {
			q->start_covered = true;
			q->extent_end = end;
		}
	}
	return c->err ? 1 : 0;
}

/* Entries saved if each order-0 run were split into aligned blocks. */
static void check_order0(struct vctx *c)
{
	const struct tracker_ops *ops = c->h->ops;
	struct order_stream *s;
	uint64_t start, len, saved = 0, entries = 0;
	unsigned ps = c->page_shift;

	/* RFC ranges are byte ranges, not entries: nothing to merge */
	if (!khofmt_vrule_on(c, R_MEM_ORDER0) ||
	    khofmt_gen(khofmt_handover_abi(c->h))->range_entries)
		return;
	if (ops->stream_open(c->h, 0, &s) < 0)
		return;
	while (ops->stream_next(s, &start, &len) == 0) {
		uint64_t pfn = start >> ps, n = len >> ps, blocks = 0;

		entries += n;
		while (n) {
			unsigned o = pfn ? (unsigned)__builtin_ctzll(pfn) : 63;
			unsigned lg = 63 - (unsigned)__builtin_clzll(n);

			if (o > lg)
				o = lg;
			pfn += UINT64_C(1) << o;
			n -= UINT64_C(1) << o;
			blocks++;
		}
		saved += (len >> ps) - blocks;
	}
	ops->stream_close(s);
	if (saved >= MERGEABLE_MIN)
		khofmt_vfind(c, R_MEM_ORDER0, false, 0, 0, 0, NULL,
		      "%llu of %llu order-0 entries lie in aligned runs: %llu fewer entries would describe the same memory",
		      (unsigned long long)saved, (unsigned long long)entries,
		      (unsigned long long)saved);
}

/*
 * MAP-8 allows orders above the buddy maximum, but not entries larger
 * than any machine's memory: look at the streams of those orders only
 * (a handful; each costs one pass over the tracker, never the span).
 */
static void check_orders(struct vctx *c)
{
	const struct tracker_ops *ops = c->h->ops;
	unsigned o, top = khofmt_handover_geom(c->h)->max_order;
	unsigned first = PLAUSIBLE_BITS + 1 - c->page_shift;

	if (!khofmt_vrule_on(c, R_TRK_ORDER) ||
	    khofmt_gen(khofmt_handover_abi(c->h))->range_entries)
		return;
	for (o = first; o <= top && !c->err; o++) {
		struct order_stream *s;
		uint64_t start, len, n = 0, at = 0;

		if (ops->stream_open(c->h, o, &s) < 0)
			continue;
		while (ops->stream_next(s, &start, &len) == 0 && n < UINT32_MAX) {
			if (!n)
				at = start;
			n += len >> (c->page_shift + o);
		}
		ops->stream_close(s);
		if (n)
			khofmt_vfind(c, R_TRK_ORDER, true, at, c->P << o, (int)o, NULL,
			      "%llu entr%s of order %u (first at 0x%llx): each spans 2^%u bytes, more than any machine's memory (2^%u)",
			      (unsigned long long)n, n == 1 ? "y" : "ies", o,
			      (unsigned long long)at, c->page_shift + o,
			      PLAUSIBLE_BITS);
	}
}

static void report_overhead(struct vctx *c, const struct khofmt_stats *st)
{
	khofmt_vfind(c, R_TRK_OVERHEAD, false, 0, st->tracker_bytes, -1, NULL,
	      "%llu preserved entries, %llu bytes preserved; tracker: %llu pages (%llu leaves, %llu empty), %llu bytes (%.3f%% of the preserved bytes)",
	      (unsigned long long)st->folios, (unsigned long long)st->bytes,
	      (unsigned long long)st->tracker_total_pages,
	      (unsigned long long)st->tracker_pages[0],
	      (unsigned long long)st->empty_leaves,
	      (unsigned long long)st->tracker_bytes,
	      st->bytes ? 100.0 * (double)st->tracker_bytes / (double)st->bytes
			: 0.0);
}

/* Is the tracker root usable, or did the FDT rules already say why not? */
static bool map_usable(struct vctx *c)
{
	const struct gen_desc *g = khofmt_gen(khofmt_fdt_abi(c->fdt));
	uint64_t map = khofmt_fdt_map(c->fdt);

	if (!g->has_map)
		return true;	/* RFC: ranges in the FDT itself, no root */
	if (!khofmt_fdt_has_map(c->fdt))
		return false;
	if (!map)	/* kho-v1: an empty chunk list */
		return g->map_zero_ok;
	return !(map & (c->P - 1)) &&
	       (!c->has_ram || khofmt_in_ranges(c->ram, c->nram, map, c->P));
}

static int on_ranges(void *arg, const struct khofmt_range *v, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = on_range(arg, v[i].start, v[i].size);
		if (r)
			return r;
	}
	return 0;
}

void khofmt_rules_tracker_check(struct vctx *c)
{
	struct khofmt_open_opts oo = {
		.sz = sizeof(oo), .page_shift = c->page_shift,
	};
	struct khofmt_walk_opts wo = {
		.sz = sizeof(wo), .problem = on_problem, .problem_arg = c,
	};
	struct khofmt_stats st;
	struct pass p = { c, 0 };
	int r;

	if (!c->fdt || !khofmt_gen(khofmt_fdt_abi(c->fdt)))
		return;
	if (!c->src) {
		khofmt_vfind(c, R_MEM_NOSRC, false, 0, 0, -1, NULL,
		      "no memory source: tracker, preserved-memory and blob rules skipped");
		/* tracker, memory, blob and schema rules all read memory */
		khofmt_vskip(c, R_TRK_ALIGN, R_TRK_ORDER, "no memory source");
		khofmt_vskip(c, R_MEM_OVERLAP, R_MEM_FDTPAGE, "no memory source");
		khofmt_vskip(c, R_BLOB_UNPRESERVED, R_BLOB_TRACKER, "no memory source");
		khofmt_vskip(c, R_MB_SCHEMA, R_KT_FOLIO, "no memory source");
		return;
	}
	if (!map_usable(c))
		return;
	r = khofmt_handover_open(c->fdt, c->src, &oo, &c->h);
	if (r < 0) {
		c->h = NULL;
		if (r == -KHOFMT_ERR_NOMEM)
			c->err = r;
		return;
	}
	r = khofmt_stats(c->h, &wo, &st);
	if (r < 0) {
		if (r == -KHOFMT_ERR_NOMEM)
			c->err = r;
		return;
	}
	if (c->err)
		return;
	report_overhead(c, &st);
	check_tracker_pages(c);
	if (c->err)
		return;
	wo.problem = ignore_problem;	/* reported once, above */
	r = khofmt_walk_ranges_overlap(c->h, &wo, on_ranges, &p, on_overlap, &p);
	if (r < 0 && r == -KHOFMT_ERR_NOMEM)
		c->err = r;
	if (c->err)
		return;
	c->tracker_walked = r == 0;
	check_orders(c);
	check_order0(c);
}
