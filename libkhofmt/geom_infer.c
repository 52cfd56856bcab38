// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The producer's page size from the data (khofmt_geom_infer()).
 *
 * No KHO generation writes PAGE_SHIFT down, yet every tracker depends on
 * it: the radix tree's table and leaf sizes and depth (4 KiB: 6 levels of
 * 512-entry tables over 2^15-bit leaves; 16 KiB: 5 levels, 2048 entries,
 * 2^17 bits; 64 KiB: 4 levels, 8192 entries, 2^19 bits), kho-v1's bitmap
 * and chunk sizes. A tracker read with the wrong page size does not
 * decode: table pages are read too short or too long, leaves are taken for
 * tables (their bits become misaligned or absent "pointers"), keys carry
 * orders that do not exist. So each candidate is decoded in full and the
 * ones that decode without a single problem are kept; when several do,
 * the one under which the subnode blobs are page-aligned and inside
 * preserved memory wins (every producer preserves them). Cost: one full
 * pass per candidate that gets that far; wrong ones fail within a few
 * pages.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "khofmt-gen.h"

static const unsigned cand[] = { 12, 14, 16 };
#define NCAND (sizeof(cand) / sizeof(cand[0]))

struct cover {
	const uint64_t *pa;	/* sorted subnode blob addresses */
	size_t n;
	size_t hit;
};

static int cover_cb(void *arg, uint64_t start, uint64_t size)
{
	struct cover *c = arg;
	size_t lo = 0, hi = c->n;

	/* first pa >= start, then every pa inside [start, start + size) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->pa[mid] < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->n && c->pa[lo] - start < size; lo++)
		c->hit++;
	return 0;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct trial {
	bool ok;
	int err;
	struct khofmt_stats st;
	size_t aligned, covered;	/* subnode blobs */
	uint64_t nodes, nodes_aligned;	/* the tracker's own pages */
	char msg[96];
};

struct nodes {
	uint64_t mask, n, aligned;
};

static int nodes_cb(void *arg, uint64_t pa, unsigned level)
{
	struct nodes *c = arg;

	(void)level;
	c->n++;
	if (!(pa & c->mask))
		c->aligned++;
	return 0;
}

static void try_one(struct khofmt_fdt *fdt, struct khofmt_source *src,
		    const struct khofmt_open_opts *base, unsigned ps,
		    const uint64_t *pa, size_t npa, struct trial *t)
{
	struct khofmt_open_opts oo;
	struct khofmt_walk_opts wo = { .sz = sizeof(wo) };
	struct khofmt_handover *h = NULL;
	struct cover c = { pa, npa, 0 };
	size_t i;
	int r;

	memset(t, 0, sizeof(*t));
	memset(&oo, 0, sizeof(oo));
	memcpy(&oo, base, base->sz < sizeof(oo) ? base->sz : sizeof(oo));
	oo.sz = sizeof(oo);
	oo.page_shift = ps;
	r = khofmt_handover_open(fdt, src, &oo, &h);
	if (r == 0)
		r = khofmt_stats(h, &wo, &t->st);
	if (r < 0) {
		t->err = r;
		khofmt_setmsg(t->msg, sizeof(t->msg), "%s", khofmt_strerror(r));
		khofmt_handover_free(h);
		return;
	}
	t->ok = true;
	for (i = 0; i < npa; i++)
		if (!(pa[i] & ((UINT64_C(1) << ps) - 1)))
			t->aligned++;
	if (npa && t->st.folios && khofmt_walk_ranges(h, &wo, cover_cb, &c) == 0)
		t->covered = c.hit;
	{
		struct nodes nc = { (UINT64_C(1) << ps) - 1, 0, 0 };

		if (khofmt_walk_nodes(h, &wo, nodes_cb, &nc) == 0) {
			t->nodes = nc.n;
			t->nodes_aligned = nc.aligned;
		}
	}
	khofmt_handover_free(h);
}

static const char *kib(unsigned ps)
{
	return ps == 12 ? "4 KiB" : ps == 14 ? "16 KiB" : "64 KiB";
}

int khofmt_geom_infer(struct khofmt_fdt *fdt, struct khofmt_source *src,
		      const struct khofmt_open_opts *opts,
		      struct khofmt_geom_guess *g)
{
	struct khofmt_open_opts none = { .sz = sizeof(none) };
	struct trial t[NCAND];
	uint64_t *pa = NULL;
	size_t i, n, npa = 0, nok = 0, best = 0;
	char fails[160] = "";
	unsigned fallback = 12;

	if (!fdt || !src || !g)
		return -KHOFMT_ERR_INVAL;
	if (KHOFMT_OPTS_VALID(opts, sizeof(size_t)))
		return KHOFMT_OPTS_VALID(opts, sizeof(size_t));
	memset(g, 0, sizeof(*g));
	if (!opts)
		opts = &none;
	if (opts->page_shift == 12 || opts->page_shift == 14 ||
	    opts->page_shift == 16)
		fallback = opts->page_shift;
	n = khofmt_fdt_nsubnodes(fdt);
	if (n) {
		pa = calloc(n, sizeof(*pa));
		if (!pa)
			return -KHOFMT_ERR_NOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode(fdt, i);

		if (sn && sn->has_pa)
			pa[npa++] = sn->pa;
	}
	if (npa)
		qsort(pa, npa, sizeof(*pa), u64_cmp);
	for (i = 0; i < NCAND; i++) {
		try_one(fdt, src, opts, cand[i], pa, npa, &t[i]);
		if (t[i].ok) {
			g->consistent |= 1u << cand[i];
			nok++;
			continue;
		}
		snprintf(fails + strlen(fails), sizeof(fails) - strlen(fails),
			 "%s%s: %s", *fails ? "; " : "", kib(cand[i]), t[i].msg);
	}
	free(pa);

	if (nok == 0) {
		g->page_shift = fallback;
		g->basis = KHOFMT_BASIS_ASSUMED;
		khofmt_setmsg(g->reason, sizeof(g->reason), "no page size decodes "
			      "the tracker (%s): %s assumed", fails, kib(fallback));
		return 0;
	}
	if (nok == 1) {
		for (i = 0; !t[i].ok; i++)
			;
		g->page_shift = cand[i];
		g->basis = KHOFMT_BASIS_EVIDENCE;
		khofmt_setmsg(g->reason, sizeof(g->reason), "only %s pages decode "
			      "the tracker (%s)", kib(cand[i]), fails);
		return 0;
	}
	/*
	 * Several decode. The subnode blobs decide first: every producer
	 * preserves them and allocates them in whole pages.
	 */
	if (npa) {
		size_t mc = 0, ma = 0;

		for (i = 0; i < NCAND; i++)
			if (t[i].ok && t[i].covered > mc)
				mc = t[i].covered;
		for (i = 0; i < NCAND; i++)
			if (t[i].ok && t[i].covered < mc)
				t[i].ok = false;
		for (i = 0; i < NCAND; i++)
			if (t[i].ok && t[i].aligned > ma)
				ma = t[i].aligned;
		for (i = 0; i < NCAND; i++)
			if (t[i].ok && t[i].aligned < ma)
				t[i].ok = false;
	}
	for (i = 0, nok = 0; i < NCAND; i++)
		if (t[i].ok) {
			nok++;
			best = i;	/* the largest left */
		}
	if (nok == 1) {
		g->page_shift = cand[best];
		g->basis = KHOFMT_BASIS_EVIDENCE;
		khofmt_setmsg(g->reason, sizeof(g->reason), "several page sizes "
			      "decode the tracker; only under %s pages are the "
			      "subnode blobs page-aligned and preserved (%zu of "
			      "%zu preserved, %zu aligned)", kib(cand[best]),
			      t[best].covered, npa, t[best].aligned);
		return 0;
	}
	/* Nothing preserved, or the same entries under each: no matter. */
	for (i = 0; i < NCAND; i++)
		if (t[i].ok && (t[i].st.folios != t[best].st.folios ||
				t[i].st.bytes != t[best].st.bytes))
			break;
	if (i == NCAND) {
		g->page_shift = 0;
		for (i = 0; i < NCAND; i++)
			if (t[i].ok && (!g->page_shift || cand[i] == fallback))
				g->page_shift = cand[i];
		g->basis = KHOFMT_BASIS_ASSUMED;
		khofmt_setmsg(g->reason, sizeof(g->reason), "every page size that "
			      "decodes the tracker reads the same %llu entries: %s "
			      "assumed", (unsigned long long)t[best].st.folios,
			      kib(g->page_shift));
		return 0;
	}
	/*
	 * A tracker read with pages smaller than the producer's still
	 * decodes when its format only asks for alignment (kho-v1 chunks and
	 * bitmaps): the largest page size under which every tracker page and
	 * blob is aligned wins, when there are enough of them that a
	 * smaller-page producer would not have placed them so by chance (at
	 * most 1 in 4 each).
	 */
	if (t[best].nodes && t[best].nodes_aligned == t[best].nodes &&
	    t[best].nodes + t[best].aligned >= 3) {
		g->page_shift = cand[best];
		g->basis = KHOFMT_BASIS_EVIDENCE;
		khofmt_setmsg(g->reason, sizeof(g->reason), "smaller page sizes "
			      "decode the tracker too, but all %llu tracker pages "
			      "and %zu blobs sit on %s boundaries, which a "
			      "smaller-page producer would not do by chance: %s",
			      (unsigned long long)t[best].nodes, t[best].aligned,
			      kib(cand[best]), kib(cand[best]));
		return 0;
	}
	/* No tracker page of its own (RFC byte ranges): pages only round. */
	if (!t[best].nodes && t[fallback == 12 ? 0 : fallback == 14 ? 1 : 2].ok) {
		g->page_shift = fallback;
		g->basis = KHOFMT_BASIS_ASSUMED;
		khofmt_setmsg(g->reason, sizeof(g->reason), "the tracker is byte "
			      "ranges in the FDT (no tracker page): the page size "
			      "only rounds them and cuts them into folios; %s "
			      "assumed", kib(fallback));
		return 0;
	}
	khofmt_setmsg(g->reason, sizeof(g->reason), "the tracker decodes "
		      "consistently with %s%s%s%s%s pages and the data does not "
		      "tell which", t[0].ok ? "4 KiB" : "",
		      t[0].ok && (t[1].ok || t[2].ok) ? ", " : "",
		      t[1].ok ? "16 KiB" : "", t[1].ok && t[2].ok ? ", " : "",
		      t[2].ok ? "64 KiB" : "");
	return 1;
}
