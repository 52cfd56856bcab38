// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Encoder -> decoder round trips on seeded folio sets.
 *
 * Each case builds a set of (phys, order) entries, encodes it with
 * khofmt_enc_*, decodes it with the public walk API and compares the result
 * with reference answers computed here from the input set alone: the folio
 * set (sorted), the coalesced ranges, the counts, and the number of tracker
 * pages per level (distinct key prefixes).
 *
 * Usage: test_roundtrip [--small]   (or KHO_TEST_SMALL=1: the valgrind run)
 */
#include "testutil.h"

static bool small;
static uint64_t seed = 0x6b686f2d72740001; /* "kho-rt" */

#define MiB (U64(1) << 20)
#define GiB (U64(1) << 30)
#define TOP52 (U64(1) << 52)
/* Default meta area of khofmt_enc_opts (khofmt.h). */
#define DEF_META_BASE U64(0x1000000)
#define DEF_META_SIZE (256 * MiB)

struct blob_in {
	const char *name;
	const void *data;
	size_t len;
};

/* ---- reference answers ---- */

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Number of distinct tree nodes per level: level 0 = leaves. */
static void ref_node_counts(const struct fvec *e, const struct khofmt_geom *g,
			    uint64_t per_level[KHOFMT_MAX_LEVELS])
{
	uint64_t *keys;
	unsigned l;
	size_t i;

	memset(per_level, 0, KHOFMT_MAX_LEVELS * sizeof(per_level[0]));
	if (!e->n)
		return;
	keys = xmalloc(e->n * sizeof(*keys));
	for (i = 0; i < e->n; i++)
		keys[i] = ref_key(g->page_shift, e->v[i].phys, e->v[i].order);
	qsort(keys, e->n, sizeof(*keys), u64_cmp);
	for (l = 0; l < g->depth; l++) {
		unsigned shift = g->leaf_log2 + l * g->tbl_log2;

		per_level[l] = 1;
		for (i = 1; i < e->n; i++)
			if ((shift >= 64 ? 0 : keys[i] >> shift) !=
			    (shift >= 64 ? 0 : keys[i - 1] >> shift))
				per_level[l]++;
	}
	free(keys);
}

/* ---- walkers ---- */

static int node_cb(void *arg, uint64_t pa, unsigned level)
{
	fv_push(arg, pa, level);
	return 0;
}

struct stop_acc {
	unsigned calls, stop_after;
};

static int stop_folio_cb(void *arg, uint64_t phys, unsigned order)
{
	struct stop_acc *s = arg;

	(void)phys, (void)order;
	return ++s->calls == s->stop_after ? 5 : 0;
}

static int stop_range_cb(void *arg, uint64_t start, uint64_t size)
{
	struct stop_acc *s = arg;

	(void)start, (void)size;
	return ++s->calls == s->stop_after ? 7 : 0;
}

/* Range batches: concatenated into r; stop_at > 0 stops after that call. */
struct batch_acc {
	struct rvec r;
	unsigned calls, stop_at;
	bool empty;
};

static int collect_batch_cb(void *arg, const struct khofmt_range *v, size_t n)
{
	struct batch_acc *a = arg;
	size_t i;

	a->calls++;
	if (!n)
		a->empty = true;
	for (i = 0; i < n; i++)
		rv_push(&a->r, v[i].start, v[i].size);
	return a->stop_at && a->calls == a->stop_at ? 9 : 0;
}

/*
 * Check a decoded state against the expected entry set @want (sorted,
 * unique, including the root FDT page and blob pages).
 */
static void check_decoded(const char *name, struct state *s,
			  const struct fvec *want, uint64_t mb, uint64_t ms,
			  bool check_order)
{
	const struct khofmt_geom *g = khofmt_handover_geom(s->h);
	struct fvec got = { 0 }, nodes = { 0 };
	struct rvec gr = { 0 }, wr = { 0 };
	struct khofmt_stats st;
	uint64_t per_order[KHOFMT_MAX_ORDERS] = { 0 }, pages = 0;
	uint64_t lowest = ~U64(0), hend = 0, levels[KHOFMT_MAX_LEVELS];
	uint64_t nlev[KHOFMT_MAX_LEVELS] = { 0 };
	unsigned ps = g->page_shift, mino = ~0u, maxo = 0, l;
	bool sorted = true, inmeta = true, aligned = true, maximal = true;
	size_t i;
	int rc;

	/* folios */
	rc = khofmt_walk_folios(s->h, NULL, collect_folio_cb, &got);
	is(rc, 0, "%s: walk_folios completes", name);
	for (i = 1; i < got.n && check_order; i++)
		if (ref_key(ps, got.v[i - 1].phys, got.v[i - 1].order) >=
		    ref_key(ps, got.v[i].phys, got.v[i].order))
			sorted = false;
	ok(sorted, "%s: folios come in ascending key order", name);
	fv_sort_unique(&got);
	ok(fv_equal_diag(&got, want), "%s: folio set equals the %zu entries added",
	   name, want->n);

	/* stats against an independent count */
	for (i = 0; i < want->n; i++) {
		unsigned o = want->v[i].order;
		uint64_t end = want->v[i].phys + (U64(1) << (ps + o));

		per_order[o]++;
		pages += U64(1) << o;
		mino = o < mino ? o : mino;
		maxo = o > maxo ? o : maxo;
		lowest = want->v[i].phys < lowest ? want->v[i].phys : lowest;
		hend = end > hend ? end : hend;
	}
	memset(&st, 0xa5, sizeof(st));
	rc = khofmt_stats(s->h, NULL, &st);
	if (is(rc, 0, "%s: stats", name)) {
		bool po = !memcmp(per_order, st.per_order, sizeof(per_order));

		is_u64(st.folios, want->n, "%s: stats.folios", name);
		is_u64(st.pages, pages, "%s: stats.pages", name);
		is_u64(st.bytes, pages << ps, "%s: stats.bytes", name);
		if (!ok(po, "%s: stats.per_order", name))
			for (i = 0; i < KHOFMT_MAX_ORDERS; i++)
				if (per_order[i] != st.per_order[i])
					diag("  order %zu: got %" PRIu64 " want %" PRIu64,
					     i, st.per_order[i], per_order[i]);
		if (want->n) {
			ok(st.min_order == mino && st.max_order == maxo,
			   "%s: stats min/max order %u/%u (got %u/%u)", name,
			   mino, maxo, st.min_order, st.max_order);
			is_u64(st.lowest, lowest, "%s: stats.lowest", name);
			is_u64(st.highest_end, hend, "%s: stats.highest_end", name);
		}
		ref_node_counts(want, g, levels);
		ok(!memcmp(levels, st.tracker_pages, g->depth * sizeof(levels[0])),
		   "%s: stats.tracker_pages per level = distinct key prefixes", name);
		for (l = 0; l < g->depth; l++)
			if (levels[l] != st.tracker_pages[l])
				diag("  level %u: got %" PRIu64 " want %" PRIu64, l,
				     st.tracker_pages[l], levels[l]);
		is_u64(st.empty_leaves, 0, "%s: no empty leaves", name);
		for (l = 0, pages = 0; l < g->depth; l++)
			pages += levels[l];
		is_u64(st.tracker_total_pages, pages, "%s: tracker_total_pages", name);
		is_u64(st.tracker_bytes, pages << ps, "%s: tracker_bytes", name);
	}

	/* tracker nodes */
	rc = khofmt_walk_nodes(s->h, NULL, node_cb, &nodes);
	is(rc, 0, "%s: walk_nodes", name);
	for (i = 0; i < nodes.n; i++) {
		if (nodes.v[i].order < KHOFMT_MAX_LEVELS)
			nlev[nodes.v[i].order]++;
		if (nodes.v[i].phys & ((U64(1) << ps) - 1))
			aligned = false;
		if (nodes.v[i].phys < mb || nodes.v[i].phys - mb >= ms)
			inmeta = false;
		if (nodes.v[i].order == g->depth - 1 &&
		    nodes.v[i].phys != khofmt_fdt_map(s->fdt))
			inmeta = false;
	}
	ref_node_counts(want, g, levels);
	ok(!memcmp(levels, nlev, sizeof(levels[0]) * g->depth),
	   "%s: walk_nodes: %zu pages, per level = distinct key prefixes", name,
	   nodes.n);
	ok(aligned && inmeta, "%s: tracker pages page-aligned, inside the meta "
	   "area, root = preserved-memory-map", name);
	/* distinct pages */
	fv_sort_unique(&nodes);
	for (i = 1; i < nodes.n; i++)
		if (nodes.v[i].phys == nodes.v[i - 1].phys)
			aligned = false;
	ok(aligned, "%s: no tracker page used twice", name);

	/* ranges */
	rc = khofmt_walk_ranges(s->h, NULL, collect_range_cb, &gr);
	is(rc, 0, "%s: walk_ranges completes", name);
	for (i = 1; i < gr.n; i++)
		if (gr.v[i].start <= gr.v[i - 1].start + gr.v[i - 1].size)
			maximal = false;
	ok(maximal, "%s: ranges ascending, disjoint, not touching", name);
	ref_coalesce(want, ps, &wr);
	ok(rv_equal_diag(&gr, &wr), "%s: ranges equal the reference coalescing (%zu)",
	   name, wr.n);
	/* the batch form hands over the same ranges, never an empty batch */
	{
		struct batch_acc ba = { 0 };

		rc = khofmt_walk_range_batches(s->h, NULL, collect_batch_cb, &ba);
		ok(rc == 0 && !ba.empty && rv_equal_diag(&ba.r, &wr),
		   "%s: range batches = the reference (%u calls)", name,
		   ba.calls);
		rv_free(&ba.r);
	}

	/* early stop */
	if (want->n >= 3) {
		struct stop_acc sa = { 0, 3 };

		rc = khofmt_walk_folios(s->h, NULL, stop_folio_cb, &sa);
		ok(rc == 5 && sa.calls == 3, "%s: folio callback stops the walk "
		   "(rc %d after %u calls)", name, rc, sa.calls);
	}
	if (wr.n >= 1) {
		struct batch_acc ba = { .stop_at = 1 };

		rc = khofmt_walk_range_batches(s->h, NULL, collect_batch_cb, &ba);
		ok(rc == 9 && ba.calls == 1, "%s: batch callback stops the walk "
		   "(rc %d after %u calls)", name, rc, ba.calls);
		rv_free(&ba.r);
	}
	if (wr.n >= 2) {
		struct stop_acc sa = { 0, 2 };

		rc = khofmt_walk_ranges(s->h, NULL, stop_range_cb, &sa);
		ok(rc == 7 && sa.calls == 2, "%s: range callback stops the walk "
		   "(rc %d after %u calls)", name, rc, sa.calls);
	}
	fv_free(&got);
	fv_free(&nodes);
	rv_free(&gr);
	rv_free(&wr);
}

/*
 * Encode @in (folios) + @rin (ranges) with the given geometry and meta area,
 * decode, compare. @extra receives nothing; blobs are tested separately.
 */
static void run_case(const char *name, unsigned ps, uint64_t mb, uint64_t ms,
		     const struct fvec *in, const struct rvec *rin)
{
	struct khofmt_enc_opts eo = {
		.sz = sizeof(eo), .page_shift = ps, .meta_base = mb, .meta_size = ms,
	};
	struct khofmt_enc *enc = NULL;
	struct fvec want = { 0 };
	struct state s;
	unsigned bad = 0;
	size_t i;
	int rc;

	if (!mb && !ms) {
		mb = DEF_META_BASE;
		ms = DEF_META_SIZE;
	}
	rc = khofmt_enc_new(&eo, &enc);
	if (!is(rc, 0, "%s: enc_new", name))
		return;
	for (i = 0; in && i < in->n; i++) {
		rc = khofmt_enc_add_folio(enc, in->v[i].phys, in->v[i].order);
		if (rc < 0 && bad++ < 3)
			diag("add_folio(0x%" PRIx64 ", %u): %s (%s)", in->v[i].phys,
			     in->v[i].order, khofmt_strerror(rc), khofmt_enc_errmsg(enc));
		fv_push(&want, in->v[i].phys, in->v[i].order);
	}
	for (i = 0; rin && i < rin->n; i++) {
		rc = khofmt_enc_add_range(enc, rin->v[i].start, rin->v[i].size);
		if (rc < 0 && bad++ < 3)
			diag("add_range(0x%" PRIx64 ", 0x%" PRIx64 "): %s (%s)",
			     rin->v[i].start, rin->v[i].size, khofmt_strerror(rc),
			     khofmt_enc_errmsg(enc));
		ref_greedy_split(rin->v[i].start, rin->v[i].size, ps, &want);
	}
	ok(bad == 0, "%s: %zu folios, %zu ranges added", name, in ? in->n : 0,
	   rin ? rin->n : 0);
	rc = state_finish_open(enc, ps, &s);
	khofmt_enc_free(enc);
	if (!is(rc, 0, "%s: finish + fdt_open + handover_open", name)) {
		state_free(&s);
		fv_free(&want);
		return;
	}
	ok(khofmt_fdt_abi(s.fdt) == KHOFMT_ABI_V4 &&
	   !strcmp(khofmt_fdt_compatible(s.fdt), "kho-v4") &&
	   khofmt_fdt_has_map(s.fdt) && khofmt_fdt_map(s.fdt) &&
	   khofmt_fdt_nsubnodes(s.fdt) == 0,
	   "%s: root FDT is kho-v4 with a map and no subnodes", name);
	ok(!(s.fdt_pa & ((U64(1) << ps) - 1)) && s.fdt_pa >= mb &&
	   s.fdt_pa - mb < ms, "%s: root FDT page 0x%" PRIx64 " aligned, in the meta area",
	   name, s.fdt_pa);
	/* the root FDT page is preserved as an order-0 entry */
	fv_push(&want, s.fdt_pa, 0);
	fv_sort_unique(&want);
	check_decoded(name, &s, &want, mb, ms, true);
	state_free(&s);
	fv_free(&want);
}

/*
 * khofmt_enc_add_bitmap: @nbits random bits (1 in @every) of order @order
 * from @base (not leaf-aligned: the span crosses leaves, bit offsets
 * within words differ), plus runs of zero words so some leaves stay
 * empty. Oracle: the folio list read off the bits here.
 */
static void case_bitmap(unsigned ps, unsigned order, uint64_t base,
			uint64_t nbits, unsigned every)
{
	struct khofmt_enc_opts eo = { .sz = sizeof(eo), .page_shift = ps };
	struct khofmt_enc *enc = NULL;
	struct fvec want = { 0 };
	uint64_t *bits, i;
	struct state s;
	char name[96];
	int rc;

	snprintf(name, sizeof(name), "add_bitmap ps %u order %u base 0x%" PRIx64
		 " %" PRIu64 " bits 1/%u", ps, order, base, nbits, every);
	bits = calloc((size_t)(nbits + 63) / 64 + 1, sizeof(*bits));
	if (!ok(bits != NULL, "%s: alloc", name))
		return;
	for (i = 0; i < nbits; i++) {
		/* a quiet stretch of 3 * 2^(ps+3) bits after the first third */
		if (i > nbits / 3 && i < nbits / 3 + 3 * (U64(8) << ps))
			continue;
		if (rnd_below(&seed, every) == 0) {
			bits[i / 64] |= U64(1) << (i % 64);
			fv_push(&want, base + (i << (ps + order)), order);
		}
	}
	bits[nbits / 64] |= ~U64(0) << (nbits % 64); /* beyond nbits: ignored */
	if (nbits % 64 == 0)
		bits[nbits / 64] = ~U64(0);
	rc = khofmt_enc_new(&eo, &enc);
	if (!is(rc, 0, "%s: enc_new", name))
		goto out;
	rc = khofmt_enc_add_bitmap(enc, base, order, bits, nbits);
	if (!is(rc, 0, "%s: %zu folios", name, want.n))
		diag("%s", khofmt_enc_errmsg(enc));
	rc = state_finish_open(enc, ps, &s);
	khofmt_enc_free(enc);
	if (is(rc, 0, "%s: finish + open", name)) {
		fv_push(&want, s.fdt_pa, 0);
		fv_sort_unique(&want);
		check_decoded(name, &s, &want, DEF_META_BASE, DEF_META_SIZE, true);
	}
	state_free(&s);
out:
	fv_free(&want);
	free(bits);
}

static bool hits(uint64_t phys, unsigned order, unsigned ps, uint64_t mb,
		 uint64_t ms)
{
	uint64_t end = phys + (U64(1) << (ps + order));

	return phys < mb + ms && mb < end;
}

/* ---- case generators ---- */

/* Single folios at phys 0 and at the top of the 52-bit space, every order. */
static void cases_edges(unsigned ps)
{
	struct khofmt_geom g;
	unsigned o;
	/* away from both ends, for as many orders as possible */
	uint64_t mb = U64(0x3000000000000), ms = 256 * MiB;

	khofmt_geom_init(&g, ps);
	for (o = 0; o <= g.max_order; o++) {
		struct fvec f = { 0 };
		char name[96];

		if (small && o % 8 && o != g.max_order)
			continue;
		fv_push(&f, 0, o);
		snprintf(name, sizeof(name), "PS%u edge phys 0 order %u", ps, o);
		run_case(name, ps, mb, ms, &f, NULL);
		f.n = 0;
		fv_push(&f, TOP52 - (U64(1) << (ps + o)), o);
		snprintf(name, sizeof(name), "PS%u edge top-of-2^52 order %u", ps, o);
		run_case(name, ps, mb, ms, &f, NULL);
		fv_free(&f);
	}
	/* both ends and every order at once */
	{
		struct fvec f = { 0 };
		char name[96];

		for (o = 0; o <= g.max_order; o++) {
			fv_push(&f, 0, o);
			fv_push(&f, TOP52 - (U64(1) << (ps + o)), o);
		}
		fv_sort_unique(&f);
		snprintf(name, sizeof(name), "PS%u edges: all orders at 0 and top", ps);
		run_case(name, ps, mb, ms, &f, NULL);
		fv_free(&f);
	}
}

/* Random aligned folios of one order over the whole 52-bit space. */
static void cases_per_order(unsigned ps)
{
	struct khofmt_geom g;
	uint64_t mb = 64 * GiB, ms = 256 * MiB;
	unsigned o;

	khofmt_geom_init(&g, ps);
	for (o = 0; o <= g.max_order; o++) {
		uint64_t slots = U64(1) << (52 - ps - o);
		size_t want = small ? 12 : 150, tries;
		struct fvec f = { 0 };
		char name[96];

		if (small && o % 5)
			continue;
		for (tries = 0; f.n < want && tries < 20 * want; tries++) {
			uint64_t phys = rnd_below(&seed, slots) << (ps + o);

			if (!hits(phys, o, ps, mb, ms))
				fv_push(&f, phys, o);
		}
		fv_sort_unique(&f);
		snprintf(name, sizeof(name), "PS%u random order %u (%zu folios)", ps, o, f.n);
		run_case(name, ps, mb, ms, &f, NULL);
		fv_free(&f);
	}
}

/*
 * One order, a window straddling leaf boundaries, each slot taken with
 * probability num/den: from a lone bit to 100 % dense leaf words.
 */
static void case_density(unsigned ps, unsigned order, uint64_t num,
			 uint64_t den, unsigned leaves)
{
	uint64_t leaf_span = U64(1) << (ps + 3 + ps + order); /* bytes */
	uint64_t unit = U64(1) << (ps + order);
	uint64_t start = 3 * leaf_span - 100 * unit;  /* ends in leaf 2 */
	uint64_t nslots = leaves * (leaf_span / unit), i;
	struct fvec f = { 0 };
	char name[128];

	/* keep clear of the default meta area [16 MiB, 272 MiB) */
	while (start < DEF_META_BASE + DEF_META_SIZE)
		start += leaf_span;
	for (i = 0; i < nslots; i++)
		if (num == den || rnd_below(&seed, den) < num)
			fv_push(&f, start + i * unit, order);
	if (!f.n)
		fv_push(&f, start + rnd_below(&seed, nslots) * unit, order);
	snprintf(name, sizeof(name),
		 "PS%u order %u density %" PRIu64 "/%" PRIu64 " over %u leaves (%zu folios)",
		 ps, order, num, den, leaves, f.n);
	run_case(name, ps, 0, 0, &f, NULL);
	fv_free(&f);
}

/*
 * Contiguous chains of mixed orders crossing word and leaf boundaries of
 * every order: each chain must come back as one range.
 */
static void case_chains(unsigned ps, unsigned nchains, unsigned per_chain)
{
	struct fvec f = { 0 };
	unsigned c, k;
	char name[96];

	for (c = 0; c < nchains; c++) {
		/* just below a 128 MiB (order-0 leaf) boundary, above meta */
		uint64_t leaf = U64(1) << (ps + 3); /* pages per order-0 leaf */
		uint64_t above = (((DEF_META_BASE + DEF_META_SIZE) >> ps) + leaf - 1) &
				 ~(leaf - 1);
		uint64_t pfn = above + leaf * (1 + 3 * c) - rnd_below(&seed, 300) - 1;

		for (k = 0; k < per_chain; k++) {
			unsigned maxo = pfn ? (unsigned)__builtin_ctzll(pfn) : 12;
			unsigned o = (unsigned)rnd_below(&seed, (maxo > 12 ? 12 : maxo) + 1);

			fv_push(&f, pfn << ps, o);
			pfn += U64(1) << o;
		}
	}
	fv_sort_unique(&f);
	snprintf(name, sizeof(name), "PS%u %u contiguous mixed-order chains (%zu folios)",
		 ps, nchains, f.n);
	run_case(name, ps, 0, 0, &f, NULL);
	fv_free(&f);
}

/* Random orders 0..12 packed into a small window: many overlaps. */
static void case_overlaps(unsigned ps, unsigned n)
{
	uint64_t base = 2 * GiB, win = 64 * MiB;
	struct fvec f = { 0 };
	unsigned k;
	char name[96];

	for (k = 0; k < n; k++) {
		unsigned o = (unsigned)rnd_below(&seed, 13);
		uint64_t unit = U64(1) << (ps + o);

		if (unit > win)
			continue;
		fv_push(&f, base + rnd_below(&seed, win / unit) * unit, o);
	}
	fv_sort_unique(&f);
	snprintf(name, sizeof(name), "PS%u overlapping mixed orders (%zu folios)", ps, f.n);
	run_case(name, ps, 0, 0, &f, NULL);
	fv_free(&f);
}

/* Every order mixed, random, across the whole space. */
static void case_mix(unsigned ps, unsigned n, uint64_t s0)
{
	uint64_t mb = 64 * GiB, ms = 256 * MiB;
	struct khofmt_geom g;
	struct fvec f = { 0 };
	unsigned k;
	char name[96];

	khofmt_geom_init(&g, ps);
	for (k = 0; k < n; k++) {
		unsigned o = (unsigned)rnd_below(&seed, g.max_order + 1);
		uint64_t phys = rnd_below(&seed, U64(1) << (52 - ps - o)) << (ps + o);

		if (!hits(phys, o, ps, mb, ms))
			fv_push(&f, phys, o);
	}
	fv_sort_unique(&f);
	snprintf(name, sizeof(name), "PS%u random all orders seed %" PRIu64 " (%zu folios)",
		 ps, s0, f.n);
	run_case(name, ps, mb, ms, &f, NULL);
	fv_free(&f);
}

/* khofmt_enc_add_range against the reference greedy split. */
static void cases_ranges(void)
{
	static const struct {
		const char *what;
		uint64_t phys, size;
	} fixed[] = {
		{ "one page at 0", 0, 0x1000 },
		{ "1 GiB at 32 GiB (order 18, doc/ABI.md 4.1.5)", 0x800000000, GiB },
		{ "reserve_mem 1028K at 0x1f0fc000", 0x1f0fc000, 1028 * 1024 },
		{ "3 pages at the top of 2^52", TOP52 - 0x3000, 0x3000 },
		{ "unaligned start, odd length", 0x12345000, 0x7777000 },
		{ "whole 2^52 space (order 40)", 0, TOP52 },
		{ "2^52 minus one page from page 1", 0x1000, TOP52 - 0x1000 },
	};
	struct rvec r = { 0 };
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		char name[128];

		r.n = 0;
		rv_push(&r, fixed[i].phys, fixed[i].size);
		snprintf(name, sizeof(name), "add_range %s", fixed[i].what);
		run_case(name, 12, U64(0x3000000000000), 256 * MiB, NULL, &r);
	}
	/* many random disjoint ranges in one encoder */
	for (i = 0; i < (small ? 1u : 4u); i++) {
		uint64_t at = 300 * MiB;
		char name[96];
		unsigned k;

		r.n = 0;
		for (k = 0; k < 40; k++) {
			uint64_t size = (1 + rnd_below(&seed, U64(1) << (1 + rnd_below(&seed, 20)))) << 12;

			at += (1 + rnd_below(&seed, 4096)) << 12;
			rv_push(&r, at, size);
			at += size;
		}
		snprintf(name, sizeof(name), "add_range 40 random ranges #%zu", i);
		run_case(name, 12, 0, 0, NULL, &r);
	}
	/* PS=16 */
	r.n = 0;
	rv_push(&r, U64(0x1230000), U64(0x10000) * 37);
	rv_push(&r, TOP52 - U64(0x10000) * 5, U64(0x10000) * 5);
	run_case("add_range PS16 two ranges", 16, U64(0x3000000000000), 256 * MiB, NULL, &r);
	rv_free(&r);
}

static void test_invalid_adds(void)
{
	struct khofmt_enc_opts eo = { .sz = sizeof(eo) };
	struct khofmt_enc *enc = NULL;
	int rc;

	if (!is(khofmt_enc_new(&eo, &enc), 0, "enc_new for invalid adds"))
		return;
	rc = khofmt_enc_add_folio(enc, 0x1000, 1);
	ok(rc < 0, "add_folio misaligned for its order rejected (%s)", khofmt_strerror(rc));
	rc = khofmt_enc_add_folio(enc, 0x123, 0);
	ok(rc < 0, "add_folio unaligned phys rejected (%s)", khofmt_strerror(rc));
	rc = khofmt_enc_add_folio(enc, 0, 41);
	ok(rc < 0, "add_folio order 41 (beyond 2^52) rejected (%s)", khofmt_strerror(rc));
	rc = khofmt_enc_add_folio(enc, TOP52, 0);
	ok(rc < 0, "add_folio at 2^52 rejected (%s)", khofmt_strerror(rc));
	rc = khofmt_enc_add_range(enc, 0x1800, 0x1000);
	ok(rc < 0, "add_range unaligned start rejected (%s)", khofmt_strerror(rc));
	rc = khofmt_enc_add_range(enc, 0x100000, 0x1800);
	ok(rc < 0, "add_range unaligned size rejected (%s)", khofmt_strerror(rc));
	rc = khofmt_enc_add_range(enc, TOP52 - 0x1000, 0x2000);
	ok(rc < 0, "add_range crossing 2^52 rejected (%s)", khofmt_strerror(rc));
	rc = khofmt_enc_add_range(enc, ~U64(0) - 0xfff, 0x2000);
	ok(rc < 0, "add_range wrapping 2^64 rejected (%s)", khofmt_strerror(rc));
	khofmt_enc_free(enc);

	eo.page_shift = 13;
	enc = NULL;
	rc = khofmt_enc_new(&eo, &enc);
	ok(rc < 0, "enc_new with page_shift 13 rejected (%s)", khofmt_strerror(rc));
	if (rc >= 0)
		khofmt_enc_free(enc);
}

/* Blobs: subnode, address, size, bytes, pages preserved. */
static void test_blobs(void)
{
	static unsigned char big[5000], one[1] = { 0x5a }, page[4096];
	struct khofmt_enc_opts eo = { .sz = sizeof(eo) };
	struct khofmt_enc *enc = NULL;
	const struct blob_in blobs[] = {
		{ "kho_test", big, 240 },
		{ "LUO", big + 1000, 32 },
		{ "big-two-pages", big, sizeof(big) },
		{ "one-byte", one, 1 },
		{ "exact-page", page, sizeof(page) },
	};
	const size_t nb = sizeof(blobs) / sizeof(blobs[0]);
	uint64_t pa[8] = { 0 };
	struct fvec in = { 0 }, got = { 0 }, extra = { 0 };
	struct rvec gr = { 0 };
	struct state s;
	size_t i, j;
	int rc;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)splitmix64(&seed);
	for (i = 0; i < sizeof(page); i++)
		page[i] = (unsigned char)(i * 7 + 3);

	if (!is(khofmt_enc_new(&eo, &enc), 0, "blobs: enc_new"))
		return;
	fv_push(&in, 0x40000000, 9);
	fv_push(&in, 0x40200000, 0);
	for (i = 0; i < in.n; i++)
		khofmt_enc_add_folio(enc, in.v[i].phys, in.v[i].order);
	for (i = 0; i < nb; i++) {
		rc = khofmt_enc_add_blob(enc, blobs[i].name, blobs[i].data,
					 blobs[i].len, &pa[i]);
		is(rc, 0, "blobs: add_blob %s (%zu bytes) at 0x%" PRIx64,
		   blobs[i].name, blobs[i].len, pa[i]);
	}
	rc = khofmt_enc_add_subnode(enc, "external", 0x7654321000, 100);
	is(rc, 0, "blobs: add_subnode external");
	rc = state_finish_open(enc, 12, &s);
	khofmt_enc_free(enc);
	if (!is(rc, 0, "blobs: finish + open")) {
		state_free(&s);
		fv_free(&in);
		return;
	}
	is(khofmt_fdt_nsubnodes(s.fdt), nb + 1, "blobs: %zu subnodes", nb + 1);
	rc = khofmt_walk_ranges(s.h, NULL, collect_range_cb, &gr);
	is(rc, 0, "blobs: walk_ranges");
	for (i = 0; i < nb; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode_by_name(s.fdt, blobs[i].name);
		unsigned char *buf = xmalloc(blobs[i].len);

		if (!ok(sn, "blobs: subnode %s found", blobs[i].name)) {
			free(buf);
			continue;
		}
		is_str(sn->name, blobs[i].name, "blobs: %s name", blobs[i].name);
		ok(sn->has_pa && !sn->bad_pa && sn->has_size && !sn->bad_size,
		   "blobs: %s has 8-byte preserved-data and blob-size", blobs[i].name);
		is_u64(sn->pa, pa[i], "blobs: %s preserved-data = returned pa", blobs[i].name);
		is_u64(sn->size, blobs[i].len, "blobs: %s blob-size", blobs[i].name);
		ok(!(sn->pa & 0xfff), "blobs: %s page-aligned", blobs[i].name);
		is(khofmt_source_read(s.src, sn->pa, buf, blobs[i].len), 0,
		   "blobs: %s readable from the image", blobs[i].name);
		ok(!memcmp(buf, blobs[i].data, blobs[i].len), "blobs: %s bytes equal",
		   blobs[i].name);
		ok(rv_covers(&gr, sn->pa, (blobs[i].len + 0xfff) & ~U64(0xfff)),
		   "blobs: %s pages preserved", blobs[i].name);
		free(buf);
		/* blobs do not overlap each other */
		for (j = 0; j < i; j++)
			if (pa[i] < pa[j] + blobs[j].len && pa[j] < pa[i] + blobs[i].len)
				fail("blobs: %s overlaps %s", blobs[i].name, blobs[j].name);
	}
	{
		const struct khofmt_subnode *sn = khofmt_fdt_subnode_by_name(s.fdt, "external");

		ok(sn && sn->has_pa && sn->pa == 0x7654321000 && sn->has_size &&
		   sn->size == 100, "blobs: add_subnode keeps pa/size");
		ok(!rv_covers(&gr, 0x7654321000, 1), "blobs: add_subnode preserves nothing");
		ok(khofmt_fdt_subnode_by_name(s.fdt, "nope") == NULL,
		   "blobs: unknown name gives NULL");
	}
	/* entries beyond the caller's folios and the FDT page are blob pages */
	rc = khofmt_walk_folios(s.h, NULL, collect_folio_cb, &got);
	fv_sort_unique(&got);
	for (i = 0; i < got.n; i++) {
		bool known = got.v[i].phys == s.fdt_pa && got.v[i].order == 0;

		for (j = 0; j < in.n; j++)
			if (!folio_cmp(&got.v[i], &in.v[j]))
				known = true;
		if (!known)
			fv_push(&extra, got.v[i].phys, got.v[i].order);
	}
	{
		bool inblob = true;
		uint64_t pages = 0, want_pages = 0;

		for (i = 0; i < extra.n; i++) {
			uint64_t sz = U64(0x1000) << extra.v[i].order;
			bool any = false;

			pages += U64(1) << extra.v[i].order;
			for (j = 0; j < nb; j++)
				if (extra.v[i].phys < pa[j] + blobs[j].len &&
				    pa[j] < extra.v[i].phys + sz)
					any = true;
			inblob &= any;
		}
		for (j = 0; j < nb; j++)
			want_pages += (blobs[j].len + 0xfff) >> 12;
		ok(rc == 0 && inblob, "blobs: every other entry (%zu) overlaps a blob", extra.n);
		/* kho_alloc_preserve() rounds to a power of two: allow that */
		ok(pages >= want_pages && pages <= 2 * want_pages,
		   "blobs: blob entries cover %" PRIu64 " pages for %" PRIu64 " blob pages",
		   pages, want_pages);
	}
	fv_free(&in);
	fv_free(&got);
	fv_free(&extra);
	rv_free(&gr);
	state_free(&s);
}

/* A large dense case (skipped in --small). */
static void case_large(void)
{
	struct fvec f = { 0 };
	uint64_t base = 1 * GiB, pages = 2 * 1024 * 1024, i;

	for (i = 0; i < pages; i++)
		if (splitmix64(&seed) & 1)
			fv_push(&f, base + (i << 12), 0);
	run_case("large: ~1M random order-0 folios in 8 GiB", 12, 0, 0, &f, NULL);
	fv_free(&f);
}

int main(int argc, char **argv)
{
	const char *e = getenv("KHO_TEST_SMALL");
	unsigned k;

	small = (e && *e && strcmp(e, "0")) || (argc > 1 && !strcmp(argv[1], "--small"));
	if (small)
		diag("small mode");

	cases_edges(12);
	cases_per_order(12);
	case_density(12, 0, 1, 1 << 20, 4);   /* a handful of lone bits */
	case_density(12, 0, 1, 1000, 4);
	case_density(12, 0, 1, 64, 4);
	case_density(12, 0, 1, 4, small ? 2 : 4);
	case_density(12, 0, 1, 2, small ? 2 : 4);
	case_density(12, 0, 9, 10, small ? 2 : 4);
	case_density(12, 0, 1, 1, small ? 2 : 4); /* 100 % dense leaf words */
	case_density(12, 3, 1, 1, 2);
	case_density(12, 9, 1, 2, 2);
	case_density(12, 9, 1, 1, 2);
	case_chains(12, 3, small ? 500 : 4000);
	case_overlaps(12, small ? 300 : 3000);
	for (k = 0; k < (small ? 2u : 10u); k++)
		case_mix(12, small ? 100 : 1000, k);
	cases_ranges();
	case_bitmap(12, 0, U64(0x100000000) + (U64(12345) << 12), small ? 100000 : 300000, 2);
	case_bitmap(12, 0, U64(0x200000000), U64(1) << 16, 50);
	case_bitmap(12, 3, U64(0x300000000) + (U64(7) << 15), 70001, 3);
	case_bitmap(16, 0, U64(0x400000000) + (U64(5) << 16), 200003, 7);
	test_invalid_adds();
	test_blobs();

	/* other page sizes */
	cases_edges(14);
	cases_edges(16);
	if (!small) {
		cases_per_order(14);
		cases_per_order(16);
	}
	case_density(16, 0, 1, 2, 1);
	case_chains(16, 2, small ? 200 : 1000);
	case_mix(14, small ? 100 : 500, 100);
	case_mix(16, small ? 100 : 500, 101);

	if (!small)
		case_large();
	return done_testing();
}
