// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every KHO generation: encoder -> decoder round trips (RFC, kho-v1 E1a and
 * E1b, kho-v2..v4, 4/16/64 KiB pages) against the independent references of
 * testutil.h; the kho-v1 E1a/E1b choice (doc/ABI.md 4.2.4 worked example,
 * 4.2.5 rules and hazards); hand-built hostile chunk lists; the RFC `mem`
 * form (4.3 worked example); the first-kho-v2 radix depth on 16 KiB pages
 * (4.1.1); which subnode properties each generation writes.
 *
 * Chunk lists and RFC trees are built here byte by byte from the spec's
 * layouts (doc/ABI.md 4.2.1, 4.3), not with the library's encoder.
 */
#include <libfdt.h>

#include "testutil.h"

#define MiB (U64(1) << 20)
#define GiB (U64(1) << 30)

static uint64_t seed = 0x6b686f2d67656e31; /* "kho-gen1" */

/* ---- random, non-overlapping folio sets ---- */

/*
 * One folio per chosen slot of 2^(ps+10) bytes (order 0..10, aligned
 * inside the slot), plus a few order-18 folios above; window at 4 GiB.
 */
static void random_set(unsigned ps, size_t nslots, size_t pick,
		       struct fvec *out)
{
	uint64_t slot = U64(1) << (ps + 10), base = 4 * GiB;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < nslots; i++) {
		unsigned o;
		uint64_t off;

		if (rnd_below(&seed, nslots) >= pick)
			continue;
		o = (unsigned)rnd_below(&seed, 11);
		off = rnd_below(&seed, U64(1) << (10 - o)) << (ps + o);
		fv_push(out, base + i * slot + off, o);
	}
	for (i = 0; i < 3; i++)
		if (rnd_below(&seed, 2))
			fv_push(out, (U64(1) << 40) + i * (U64(2) << (ps + 18)), 18);
	/* the top half of 2^52: a bitmap span beyond 2^64 for kho-v1 */
	fv_push(out, U64(1) << 51, 51 - ps);
}

struct enc_case {
	enum khofmt_abi abi;
	unsigned variant;	/* encoder variant */
	const char *producer;	/* decoder's producer (NULL = heuristic) */
	const char *name;
};

static int encode_set(const struct fvec *set, unsigned ps,
		      const struct enc_case *c, struct state *s,
		      const char *producer, unsigned depth)
{
	struct khofmt_enc_opts eo = {
		.sz = sizeof(eo), .page_shift = ps, .abi = c->abi,
		.variant = c->variant,
	};
	struct khofmt_open_opts oo = {
		.sz = sizeof(oo), .page_shift = ps, .producer = producer,
		.radix_depth = depth,
	};
	struct khofmt_enc *enc;
	char err[256] = "";
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = khofmt_enc_new(&eo, &enc);
	if (rc < 0)
		return rc;
	for (i = 0; i < set->n; i++) {
		rc = khofmt_enc_add_folio(enc, set->v[i].phys, set->v[i].order);
		if (rc < 0) {
			diag("add 0x%" PRIx64 "/%u: %s", set->v[i].phys,
			     set->v[i].order, khofmt_enc_errmsg(enc));
			khofmt_enc_free(enc);
			return rc;
		}
	}
	rc = khofmt_enc_finish(enc, &s->src, &s->fdt_blob, &s->fdt_len,
			       &s->fdt_pa);
	khofmt_enc_free(enc);
	if (rc < 0)
		return rc;
	rc = khofmt_fdt_open(s->fdt_blob, s->fdt_len, &s->fdt, err, sizeof(err));
	if (rc < 0) {
		diag("fdt_open: %s", err);
		return rc;
	}
	return khofmt_handover_open(s->fdt, s->src, &oo, &s->h);
}

static void roundtrip(unsigned ps, const struct enc_case *c, size_t nslots,
		      size_t pick)
{
	struct fvec set, want = { 0 }, got = { 0 };
	struct rvec wr, gr = { 0 };
	struct khofmt_stats st;
	struct state s;
	uint64_t per_order[KHOFMT_MAX_ORDERS] = { 0 };
	size_t i;
	int rc;

	random_set(ps, nslots, pick, &set);
	rc = encode_set(&set, ps, c, &s, c->producer, 0);
	if (!is(rc, 0, "%s %uK: %zu folios encode and open (%s)", c->name,
		1u << (ps - 10), set.n, khofmt_strerror(rc))) {
		state_free(&s);
		fv_free(&set);
		return;
	}
	fv_copy(&want, &set);
	/* every merged generation preserves the root FDT page (FDT-6) */
	if (c->abi != KHOFMT_ABI_RFC)
		fv_push(&want, s.fdt_pa, 0);
	fv_sort_unique(&want);
	is_int(khofmt_handover_abi(s.h), c->abi, "%s %uK: abi %s", c->name,
	       1u << (ps - 10), khofmt_abi_name(c->abi));

	rc = khofmt_walk_folios(s.h, NULL, collect_folio_cb, &got);
	fv_sort_unique(&got);
	ok(rc == 0 && fv_equal_diag(&got, &want),
	   "%s %uK: folio set = the %zu entries added (rc %d)", c->name,
	   1u << (ps - 10), want.n, rc);

	ref_coalesce(&want, ps, &wr);
	rc = khofmt_walk_ranges(s.h, NULL, collect_range_cb, &gr);
	ok(rc == 0 && rv_equal_diag(&gr, &wr),
	   "%s %uK: %zu coalesced ranges = reference (rc %d)", c->name,
	   1u << (ps - 10), wr.n, rc);

	for (i = 0; i < want.n; i++)
		per_order[want.v[i].order]++;
	rc = khofmt_stats(s.h, NULL, &st);
	ok(rc == 0 && st.folios == want.n &&
	   !memcmp(per_order, st.per_order, sizeof(per_order)),
	   "%s %uK: stats count %" PRIu64 " entries per order as added", c->name,
	   1u << (ps - 10), st.folios);

	fv_free(&set);
	fv_free(&want);
	fv_free(&got);
	rv_free(&wr);
	rv_free(&gr);
	state_free(&s);
}

static void test_roundtrips(void)
{
	static const struct enc_case cases[] = {
		{ KHOFMT_ABI_RFC, 0, NULL, "rfc" },
		{ KHOFMT_ABI_V1, KHOFMT_VARIANT_E1A, "6.16", "kho-v1 E1a" },
		{ KHOFMT_ABI_V1, KHOFMT_VARIANT_E1B, "6.18", "kho-v1 E1b" },
		{ KHOFMT_ABI_V1, KHOFMT_VARIANT_E1A, NULL, "kho-v1 E1a heuristic" },
		{ KHOFMT_ABI_V2, 0, NULL, "kho-v2" },
		{ KHOFMT_ABI_V3, 0, NULL, "kho-v3" },
		{ KHOFMT_ABI_V4, 0, NULL, "kho-v4" },
	};
	static const unsigned shifts[] = { 12, 14, 16 };
	size_t i, j;

	for (j = 0; j < 3; j++)
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			/* 16K kho-v2 is the early depth: see test_early_depth */
			if (shifts[j] == 14 && cases[i].abi == KHOFMT_ABI_V2)
				continue;
			roundtrip(shifts[j], &cases[i], 4096, 700);
		}
}

/* ---- the 4.2.4 worked example and the E1a/E1b choice ---- */

/* Find element with @phys_start of order 0; returns its bitmap or 0. */
static uint64_t find_elm(struct khofmt_source *src, uint64_t map,
			 uint64_t phys_start)
{
	unsigned char c[4096];
	int guard = 0;

	while (map && guard++ < 100) {
		uint32_t n, i;

		if (khofmt_source_read(src, map, c, sizeof(c)))
			return 0;
		n = le32_load(c + 12);
		for (i = 0; i < n && i < 255; i++)
			if (le32_load(c + 8) == 0 &&
			    le64_load(c + 16 + 16 * i) == phys_start)
				return le64_load(c + 16 + 16 * i + 8);
		map = le64_load(c);
	}
	return 0;
}

static bool bit_at(struct khofmt_source *src, uint64_t bm, unsigned bit)
{
	unsigned char b = 0;

	if (khofmt_source_read(src, bm + bit / 8, &b, 1))
		return false;
	return b & (1u << (bit % 8));
}

static void test_worked_example(void)
{
	struct enc_case e1a = { KHOFMT_ABI_V1, KHOFMT_VARIANT_E1A, NULL, "E1a" };
	struct enc_case e1b = { KHOFMT_ABI_V1, KHOFMT_VARIANT_E1B, NULL, "E1b" };
	const struct khofmt_variant_info *vi;
	struct fvec set = { 0 }, got = { 0 };
	struct state s;
	uint64_t bm;
	int rc;

	fv_push(&set, U64(0x100005000), 0);
	fv_push(&set, U64(0x101000000), 0);

	rc = encode_set(&set, 12, &e1a, &s, NULL, 0);
	if (is(rc, 0, "4.2.4 E1a: encode and open")) {
		bm = find_elm(s.src, khofmt_fdt_map(s.fdt), U64(0x100000000));
		ok(bm && bit_at(s.src, bm, 5),
		   "4.2.4 E1a: 0x1_0000_5000 is phys_start 0x1_0000_0000 bit 5");
		bm = find_elm(s.src, khofmt_fdt_map(s.fdt), U64(0x101000000));
		ok(bm && bit_at(s.src, bm, 0),
		   "4.2.4 E1a: 0x1_0100_0000 is phys_start 0x1_0100_0000 bit 0");
		vi = khofmt_handover_variant(s.h);
		ok(vi->variant == KHOFMT_VARIANT_E1A &&
		   vi->basis == KHOFMT_BASIS_EVIDENCE && vi->bitmap_bytes == 512,
		   "4.2.5 without producer: E1a from evidence (%s)", vi->reason);
		ok(strstr(vi->reason, "not page-aligned") != NULL,
		   "4.2.5 rule 2 named: a bitmap address is not page-aligned");
		khofmt_walk_folios(s.h, NULL, collect_folio_cb, &got);
		fv_sort_unique(&got);
		ok(got.n == 3 && got.v[1].phys == U64(0x100005000) &&
		   got.v[2].phys == U64(0x101000000),
		   "4.2.4 E1a decodes both pages (and the FDT page)");
		fv_free(&got);
	}
	state_free(&s);

	rc = encode_set(&set, 12, &e1b, &s, NULL, 0);
	if (is(rc, 0, "4.2.4 E1b: encode and open")) {
		bm = find_elm(s.src, khofmt_fdt_map(s.fdt), U64(0x100000000));
		ok(bm && bit_at(s.src, bm, 5) && bit_at(s.src, bm, 4096),
		   "4.2.4 E1b: phys_start 0x1_0000_0000, bits 5 and 4096");
		ok(!find_elm(s.src, khofmt_fdt_map(s.fdt), U64(0x101000000)),
		   "4.2.4 E1b: no element at 0x1_0100_0000");
		vi = khofmt_handover_variant(s.h);
		ok(vi->variant == KHOFMT_VARIANT_E1B &&
		   vi->basis == KHOFMT_BASIS_ASSUMED && vi->bitmap_bytes == 4096,
		   "4.2.5 rule 4: E1b, reported as assumed (%s)", vi->reason);
		ok(strstr(vi->reason, "assumed") != NULL, "... the reason says assumed");
	}
	/* hazard: E1b data read as E1a (6.16) would drop bit 4096 */
	{
		struct khofmt_open_opts oo = { .sz = sizeof(oo), .producer = "6.16" };
		struct khofmt_handover *h = NULL;
		struct fvec g2 = { 0 };

		rc = khofmt_handover_open(s.fdt, s.src, &oo, &h);
		vi = khofmt_handover_variant(h);
		ok(rc == 0 && vi->variant == KHOFMT_VARIANT_E1A &&
		   vi->basis == KHOFMT_BASIS_PRODUCER && vi->conflict,
		   "4.2.5 hazard: E1b data with producer 6.16: E1a, conflict flagged");
		ok(vi && vi->reason && strstr(vi->reason, "past bit 4095"),
		   "... the conflict says bits past 4095 would be dropped");
		rc = khofmt_walk_folios(h, NULL, collect_folio_cb, &g2);
		is(rc, -KHOFMT_ERR_STRUCT, "... a walk without problem callback fails");
		khofmt_handover_free(h);
		fv_free(&g2);
	}
	state_free(&s);

	/* hazard: E1a data read as E1b (6.18) */
	rc = encode_set(&set, 12, &e1a, &s, "6.18", 0);
	if (is(rc, 0, "E1a data, producer 6.18: opens")) {
		struct fvec g2 = { 0 };

		vi = khofmt_handover_variant(s.h);
		ok(vi->variant == KHOFMT_VARIANT_E1B && vi->conflict &&
		   strstr(vi->reason, "not page-aligned"),
		   "4.2.5 hazard: E1a data as E1b: conflict (%s)", vi->reason);
		rc = khofmt_walk_folios(s.h, NULL, collect_folio_cb, &g2);
		is(rc, -KHOFMT_ERR_STRUCT, "... a walk without problem callback fails");
		fv_free(&g2);
	}
	state_free(&s);
	fv_free(&set);
}

/* ---- hand-built chunk lists ---- */

#define CH_BASE U64(0x2000000)	/* chunk pages */
#define BM_BASE U64(0x3000000)	/* bitmaps */

struct hand {
	struct khofmt_source *src;
	unsigned char *chunks, *bms;
	void *fdt;
	size_t fdt_len;
	struct khofmt_fdt *f;
};

static void *root_fdt(const char *compat, bool with_map, uint64_t map,
		      size_t *len)
{
	size_t cap = 4096;
	void *b = xmalloc(cap);
	unsigned char v[8];
	int r;

	le64_store(v, map);
	r = fdt_create(b, (int)cap);
	r = r ? r : fdt_finish_reservemap(b);
	r = r ? r : fdt_begin_node(b, "");
	r = r ? r : fdt_property_string(b, "compatible", compat);
	if (with_map)
		r = r ? r : fdt_property(b, "preserved-memory-map", v, 8);
	r = r ? r : fdt_end_node(b);
	r = r ? r : fdt_finish(b);
	if (r)
		bail_out("root_fdt: %s", fdt_strerror(r));
	*len = fdt_totalsize(b);
	return b;
}

static void hand_init(struct hand *h, uint64_t map)
{
	void *p;

	memset(h, 0, sizeof(*h));
	if (khofmt_source_new_mem(&h->src) ||
	    khofmt_source_mem_add(h->src, CH_BASE, 16 * 4096, &p))
		bail_out("mem source");
	h->chunks = p;
	if (khofmt_source_mem_add(h->src, BM_BASE, 16 * 4096, &p))
		bail_out("mem source");
	h->bms = p;
	h->fdt = root_fdt("kho-v1", true, map, &h->fdt_len);
	if (khofmt_fdt_open(h->fdt, h->fdt_len, &h->f, NULL, 0))
		bail_out("fdt_open");
}

static void hand_free(struct hand *h)
{
	khofmt_fdt_free(h->f);
	khofmt_source_free(h->src);
	free(h->fdt);
}

/* Chunk @i (page CH_BASE + i*4096): header. */
static void chunk_hdr(struct hand *h, unsigned i, uint64_t next,
		      uint32_t order, uint32_t n)
{
	unsigned char *c = h->chunks + 4096 * i;

	le64_store(c, next);
	c[8] = (unsigned char)order;
	c[9] = (unsigned char)(order >> 8);
	c[12] = (unsigned char)n;
	c[13] = (unsigned char)(n >> 8);
	c[14] = (unsigned char)(n >> 16);
	c[15] = (unsigned char)(n >> 24);
}

static void chunk_elm(struct hand *h, unsigned i, unsigned e,
		      uint64_t phys_start, uint64_t bitmap)
{
	unsigned char *c = h->chunks + 4096 * i + 16 + 16 * e;

	le64_store(c, phys_start);
	le64_store(c + 8, bitmap);
}

static void set_bit(struct hand *h, uint64_t bitmap, unsigned b)
{
	h->bms[bitmap - BM_BASE + b / 8] |= (unsigned char)(1u << (b % 8));
}

struct probs {
	int err[64];
	unsigned n;
};

static int prob_cb(void *arg, const struct khofmt_problem *p)
{
	struct probs *pr = arg;

	if (pr->n < 64)
		pr->err[pr->n++] = p->err;
	return 0;
}

static bool has_prob(const struct probs *p, int err)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		if (p->err[i] == err)
			return true;
	return false;
}

static struct khofmt_handover *hand_open(struct hand *h, const char *producer)
{
	struct khofmt_open_opts oo = { .sz = sizeof(oo), .producer = producer };
	struct khofmt_handover *ho = NULL;
	int rc = khofmt_handover_open(h->f, h->src, &oo, &ho);

	if (rc)
		diag("handover_open: %s", khofmt_strerror(rc));
	return ho;
}

/* Hostile list: no-callback error, and the problem with a callback. */
static void expect_hostile(struct hand *h, const char *what, int err,
			   const char *producer)
{
	struct khofmt_walk_opts wo = { .sz = sizeof(wo), .problem = prob_cb };
	struct khofmt_handover *ho = hand_open(h, producer);
	struct probs pr = { .n = 0 };
	struct fvec got = { 0 };
	int rc;

	if (!ok(ho != NULL, "%s: opens (the probe survives it)", what))
		return;
	rc = khofmt_walk_folios(ho, NULL, collect_folio_cb, &got);
	is(rc, -err, "%s: walk fails with %s", what, khofmt_strerror(-err));
	diag("  %s", khofmt_handover_errmsg(ho));
	wo.problem_arg = &pr;
	rc = khofmt_stats(ho, &wo, &(struct khofmt_stats){ 0 });
	ok(rc == 0 && has_prob(&pr, -err),
	   "%s: with a problem callback: reported, walk completes", what);
	fv_free(&got);
	khofmt_handover_free(ho);
}

static void test_hostile_chunks(void)
{
	struct hand h;
	struct fvec got = { 0 }, want = { 0 };
	struct rvec gr = { 0 }, wr = { 0 };
	struct khofmt_handover *ho;
	struct khofmt_walk_opts wo = { .sz = sizeof(wo), .problem = prob_cb };
	struct probs pr = { .n = 0 };
	int rc;

	/* cycle: chunk 0 -> chunk 1 -> chunk 0 */
	hand_init(&h, CH_BASE);
	chunk_hdr(&h, 0, CH_BASE + 4096, 0, 1);
	chunk_elm(&h, 0, 0, 0, BM_BASE);
	chunk_hdr(&h, 1, CH_BASE, 0, 0);
	expect_hostile(&h, "chunk list cycle", KHOFMT_ERR_LOOP, "6.18");
	hand_free(&h);

	/* num_elms above (P - 16) / 16 = 255 */
	hand_init(&h, CH_BASE);
	chunk_hdr(&h, 0, 0, 0, 256);
	expect_hostile(&h, "num_elms 256 > 255", KHOFMT_ERR_LIMIT, "6.18");
	hand_free(&h);

	/* bitmap outside the source */
	hand_init(&h, CH_BASE);
	chunk_hdr(&h, 0, 0, 0, 1);
	chunk_elm(&h, 0, 0, 0, U64(0x7000000000));
	expect_hostile(&h, "bitmap outside the source", KHOFMT_ERR_NOTCOVERED, "6.18");
	hand_free(&h);

	/* phys_start not a multiple of the bitmap span (128 MiB, E1b) */
	hand_init(&h, CH_BASE);
	chunk_hdr(&h, 0, 0, 0, 1);
	chunk_elm(&h, 0, 0, U64(0x100001000), BM_BASE);
	set_bit(&h, BM_BASE, 0);
	expect_hostile(&h, "misaligned phys_start", KHOFMT_ERR_STRUCT, NULL);
	hand_free(&h);

	/* next pointer outside the source */
	hand_init(&h, CH_BASE);
	chunk_hdr(&h, 0, U64(0x7000000000), 0, 0);
	expect_hostile(&h, "next chunk outside the source", KHOFMT_ERR_NOTCOVERED, "6.18");
	hand_free(&h);

	/* order beyond 2^52 */
	hand_init(&h, CH_BASE);
	chunk_hdr(&h, 0, 0, 45, 1);
	chunk_elm(&h, 0, 0, 0, BM_BASE);
	expect_hostile(&h, "order 45", KHOFMT_ERR_BADKEY, "6.18");
	hand_free(&h);

	/*
	 * Elements out of order and overlapping (order 0, E1b spans of
	 * 128 MiB): descending phys_start, and a second element for the
	 * same span with other bits. Ranges must still be sorted and
	 * coalesced; the overlap is reported.
	 */
	hand_init(&h, CH_BASE);
	chunk_hdr(&h, 0, CH_BASE + 4096, 0, 2);
	chunk_elm(&h, 0, 0, U64(0x110000000), BM_BASE);
	chunk_elm(&h, 0, 1, U64(0x108000000), BM_BASE + 4096);
	chunk_hdr(&h, 1, 0, 0, 1);
	chunk_elm(&h, 1, 0, U64(0x108000000), BM_BASE + 8192);
	set_bit(&h, BM_BASE, 3);
	set_bit(&h, BM_BASE, 4);
	set_bit(&h, BM_BASE + 4096, 10);
	set_bit(&h, BM_BASE + 4096, 11);
	set_bit(&h, BM_BASE + 8192, 11);
	set_bit(&h, BM_BASE + 8192, 12);
	set_bit(&h, BM_BASE + 8192, 40);
	fv_push(&want, U64(0x110000000) + 3 * 4096, 0);
	fv_push(&want, U64(0x110000000) + 4 * 4096, 0);
	fv_push(&want, U64(0x108000000) + 10 * 4096, 0);
	fv_push(&want, U64(0x108000000) + 11 * 4096, 0);
	fv_push(&want, U64(0x108000000) + 12 * 4096, 0);
	fv_push(&want, U64(0x108000000) + 40 * 4096, 0);
	ref_coalesce(&want, 12, &wr);
	ho = hand_open(&h, NULL);
	if (ok(ho != NULL, "out-of-order, overlapping elements: opens")) {
		wo.problem_arg = &pr;
		rc = khofmt_walk_ranges(ho, &wo, collect_range_cb, &gr);
		ok(rc == 0 && rv_equal_diag(&gr, &wr),
		   "out-of-order, overlapping elements: %zu sorted, coalesced ranges",
		   wr.n);
		ok(has_prob(&pr, -KHOFMT_ERR_OVERLAP), "... the overlap is reported");
		rc = khofmt_walk_ranges(ho, NULL, collect_range_cb, &gr);
		is(rc, -KHOFMT_ERR_OVERLAP, "... and fails a walk without callback");
		rc = khofmt_walk_folios(ho, NULL, collect_folio_cb, &got);
		fv_sort_unique(&got);
		fv_sort_unique(&want);
		ok(rc == 0 && fv_equal_diag(&got, &want),
		   "... folios: the union of the bits (duplicate bit 11 once after sort)");
	}
	khofmt_handover_free(ho);
	hand_free(&h);
	fv_free(&got);
	fv_free(&want);
	rv_free(&gr);
	rv_free(&wr);

	/* rule 3 alone: page-aligned bitmap, phys_start off the E1b span */
	hand_init(&h, CH_BASE);
	chunk_hdr(&h, 0, 0, 0, 1);
	chunk_elm(&h, 0, 0, U64(0x101000000), BM_BASE);
	set_bit(&h, BM_BASE, 0);
	ho = hand_open(&h, NULL);
	if (ok(ho != NULL, "rule 3 case opens")) {
		const struct khofmt_variant_info *vi = khofmt_handover_variant(ho);

		ok(vi->variant == KHOFMT_VARIANT_E1A &&
		   vi->basis == KHOFMT_BASIS_EVIDENCE &&
		   strstr(vi->reason, "phys_start 0x101000000"),
		   "4.2.5 rule 3: phys_start 0x1_0100_0000 off the E1b span -> E1a (%s)",
		   vi->reason);
	}
	khofmt_handover_free(ho);
	hand_free(&h);

	/* preserved-memory-map = 0: legal for kho-v1, nothing preserved */
	hand_init(&h, 0);
	ho = hand_open(&h, NULL);
	if (ok(ho != NULL, "kho-v1 map 0 opens")) {
		struct khofmt_stats st;

		rc = khofmt_stats(ho, NULL, &st);
		ok(rc == 0 && st.folios == 0, "kho-v1 map 0: nothing preserved");
		rc = khofmt_walk_ranges(ho, NULL, collect_range_cb, &gr);
		ok(rc == 0 && gr.n == 0, "kho-v1 map 0: no ranges");
	}
	khofmt_handover_free(ho);
	hand_free(&h);
	rv_free(&gr);
}

/* ---- RFC `mem` form ---- */

static void test_rfc(void)
{
	/* doc/ABI.md 4.3: mem = <0xc07a 0x4000000 0x01 0x00> (dtc view) */
	static const unsigned char mem[16] = {
		0x00, 0x00, 0xc0, 0x7a, 0x04, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	};
	size_t cap = 4096;
	void *b = xmalloc(cap);
	struct khofmt_fdt *f = NULL;
	struct khofmt_handover *ho = NULL;
	struct khofmt_source *src = NULL;
	struct fvec got = { 0 }, want = { 0 };
	struct rvec gr = { 0 };
	int r;

	r = fdt_create(b, (int)cap);
	r = r ? r : fdt_finish_reservemap(b);
	r = r ? r : fdt_begin_node(b, "");
	r = r ? r : fdt_property_string(b, "compatible", "kho-v1");
	r = r ? r : fdt_begin_node(b, "reserve-mem");
	r = r ? r : fdt_property_string(b, "compatible", "reserve-mem-v1");
	r = r ? r : fdt_begin_node(b, "sample");
	r = r ? r : fdt_property_string(b, "compatible", "reserve-mem-map-v1");
	r = r ? r : fdt_property(b, "mem", mem, sizeof(mem));
	r = r ? r : fdt_end_node(b);
	r = r ? r : fdt_end_node(b);
	r = r ? r : fdt_end_node(b);
	r = r ? r : fdt_finish(b);
	if (r)
		bail_out("rfc fdt: %s", fdt_strerror(r));
	r = khofmt_fdt_open(b, fdt_totalsize(b), &f, NULL, 0);
	ok(r == 0 && khofmt_fdt_abi(f) == KHOFMT_ABI_RFC,
	   "kho-v1 + no map + `mem` two levels down: RFC");
	ok(f && strstr(khofmt_fdt_abi_reason(f), "/reserve-mem/sample"),
	   "... the reason names the node (%s)", f ? khofmt_fdt_abi_reason(f) : "");
	khofmt_source_new_mem(&src);
	r = khofmt_handover_open(f, src, NULL, &ho);
	if (is(r, 0, "RFC handover opens (no memory needed)")) {
		r = khofmt_walk_ranges(ho, NULL, collect_range_cb, &gr);
		ok(r == 0 && gr.n == 1 && gr.v[0].start == U64(0x47ac00000) &&
		   gr.v[0].size == 16 * MiB,
		   "4.3 worked example: addr 0x4_7ac0_0000, len 16 MiB");
		r = khofmt_walk_folios(ho, NULL, collect_folio_cb, &got);
		ref_greedy_split(U64(0x47ac00000), 16 * MiB, 12, &want);
		fv_sort_unique(&got);
		fv_sort_unique(&want);
		ok(r == 0 && fv_equal_diag(&got, &want),
		   "... folios = the greedy aligned split (%zu blocks)", want.n);
		ok(!strcmp(khofmt_handover_variant(ho)->name, "E0"),
		   "... generation E0");
	}
	khofmt_handover_free(ho);
	khofmt_fdt_free(f);
	fv_free(&got);
	fv_free(&want);
	rv_free(&gr);

	/* a `mem` of 20 bytes: reported */
	r = fdt_create(b, (int)cap);
	r = r ? r : fdt_finish_reservemap(b);
	r = r ? r : fdt_begin_node(b, "");
	r = r ? r : fdt_property_string(b, "compatible", "kho-v1");
	r = r ? r : fdt_property(b, "mem", mem, 12);
	r = r ? r : fdt_end_node(b);
	r = r ? r : fdt_finish(b);
	f = NULL;
	ho = NULL;
	if (!r && !khofmt_fdt_open(b, fdt_totalsize(b), &f, NULL, 0) &&
	    !khofmt_handover_open(f, src, NULL, &ho)) {
		r = khofmt_walk_ranges(ho, NULL, collect_range_cb, &gr);
		is(r, -KHOFMT_ERR_BADPROP, "RFC `mem` of 12 bytes: BADPROP");
	} else {
		fail("RFC `mem` of 12 bytes: opens");
	}
	khofmt_handover_free(ho);
	khofmt_fdt_free(f);
	rv_free(&gr);
	free(b);

	/* kho-v1, no map, no mem: kho-v1, which needs the map */
	{
		size_t len;
		void *rb = root_fdt("kho-v1", false, 0, &len);

		f = NULL;
		r = khofmt_fdt_open(rb, len, &f, NULL, 0);
		ok(r == 0 && khofmt_fdt_abi(f) == KHOFMT_ABI_V1,
		   "kho-v1 without map and without `mem`: kho-v1");
		r = khofmt_handover_open(f, src, NULL, &ho);
		is(r, -KHOFMT_ERR_BADPROP, "... whose handover needs the map");
		khofmt_fdt_free(f);
		free(rb);
	}
	khofmt_source_free(src);
}

/* ---- radix depth of the first kho-v2 commit (16 KiB pages) ---- */

/*
 * What the early (4-level, 16K) tree decodes a key to: bit 50 is lost, so
 * the highest address bit is taken as the order bit. Returns false when
 * that entry lies beyond 2^52 (a decoder must report it, not emit it).
 */
static bool early_decode(uint64_t phys, unsigned order, struct fvec *out)
{
	uint64_t key = ref_key(14, phys, order) & ((U64(1) << 50) - 1);
	unsigned hb = 63 - (unsigned)__builtin_clzll(key);
	unsigned o = 50 - hb;
	uint64_t p;

	if (14 + o >= 52)
		return false;
	p = (key ^ (U64(1) << hb)) << (14 + o);
	if (p >= (U64(1) << 52) || (U64(1) << 52) - p < (U64(1) << (14 + o)))
		return false;
	fv_push(out, p, o);
	return true;
}

static void test_early_depth(void)
{
	/* named: written as the first kho-v2 kernel wrote it, bit 50 dropped */
	struct enc_case v2 = { KHOFMT_ABI_V2, KHOFMT_VARIANT_RADIX_EARLY, NULL,
			       "kho-v2" };
	struct enc_case v2dflt = { KHOFMT_ABI_V2, 0, NULL, "kho-v2" };
	struct fvec set = { 0 }, got = { 0 }, want = { 0 };
	const struct khofmt_variant_info *vi;
	struct khofmt_walk_opts wo = { .sz = sizeof(wo), .problem = prob_cb };
	struct probs pr = { .n = 0 };
	unsigned lost = 0;
	struct state s;
	size_t i;
	int rc;

	wo.problem_arg = &pr;
	fv_push(&set, U64(0x100000000), 1);
	fv_push(&set, U64(0x200000000), 9);
	fv_push(&set, U64(0x300004000), 0);
	/* by default the encoder refuses an entry the tree cannot hold */
	rc = encode_set(&set, 14, &v2dflt, &s, NULL, 0);
	is(rc, -KHOFMT_ERR_UNSUPPORTED,
	   "kho-v2 16K, depth by default: an order-0 entry is refused, not dropped");
	state_free(&s);
	rc = encode_set(&set, 14, &v2, &s, NULL, 0);
	if (is(rc, 0, "kho-v2 16K: encode (early depth, by name) and open")) {
		vi = khofmt_handover_variant(s.h);
		/* order 1 at 4 GiB: key bit 49 -> top slot 1024 (>= 2) */
		ok(vi->variant == KHOFMT_VARIANT_RADIX_EARLY &&
		   vi->radix_depth == 4 && vi->basis == KHOFMT_BASIS_EVIDENCE,
		   "kho-v2 16K: 4 levels (first commit) seen in the top table, %s",
		   vi->reason);
		for (i = 0; i < set.n; i++) {
			if (set.v[i].order)
				fv_push(&want, set.v[i].phys, set.v[i].order);
			else
				lost += !early_decode(set.v[i].phys, 0, &want);
		}
		lost += !early_decode(s.fdt_pa, 0, &want);
		rc = khofmt_walk_folios(s.h, &wo, collect_folio_cb, &got);
		fv_sort_unique(&got);
		fv_sort_unique(&want);
		ok(rc == 0 && fv_equal_diag(&got, &want),
		   "kho-v2 16K: order >= 1 exact, order 0 as the early kernel reads it");
		ok(lost > 0 && pr.n == lost && has_prob(&pr, -KHOFMT_ERR_BADKEY),
		   "kho-v2 16K: the %u order-0 keys that decode beyond 2^52 are reported (%u)",
		   lost, pr.n);
	}
	state_free(&s);
	fv_free(&got);
	fv_free(&want);

	/* the same set written with 5 levels, read as kho-v4: exact */
	{
		struct enc_case v4 = { KHOFMT_ABI_V4, 0, NULL, "kho-v4" };

		rc = encode_set(&set, 14, &v4, &s, NULL, 0);
		vi = rc ? NULL : khofmt_handover_variant(s.h);
		ok(vi && vi->radix_depth == 5 && vi->variant == KHOFMT_VARIANT_RADIX,
		   "kho-v4 16K: 5 levels");
		state_free(&s);
		rc = encode_set(&set, 14, &v4, &s, NULL, 3);
		is(rc, -KHOFMT_ERR_INVAL, "radix depth 3 at 16K: INVAL");
		state_free(&s);
		rc = encode_set(&set, 14, &v4, &s, NULL, 4);
		vi = rc ? NULL : khofmt_handover_variant(s.h);
		ok(vi && vi->radix_depth == 4 && vi->basis == KHOFMT_BASIS_CALLER,
		   "radix depth 4 given by the caller is used");
		state_free(&s);
	}
	fv_free(&set);
}

/* ---- subnode properties per generation ---- */

static void test_subnodes(void)
{
	static const enum khofmt_abi abis[] = {
		KHOFMT_ABI_V1, KHOFMT_ABI_V2, KHOFMT_ABI_V3, KHOFMT_ABI_V4,
	};
	unsigned char sub[256];
	size_t i;

	if (fdt_create_empty_tree(sub, sizeof(sub)) ||
	    fdt_setprop_string(sub, 0, "compatible", "memblock-v1") ||
	    fdt_pack(sub))
		bail_out("sub fdt");
	for (i = 0; i < 4; i++) {
		struct khofmt_enc_opts eo = { .sz = sizeof(eo), .abi = abis[i] };
		struct khofmt_enc *enc = NULL;
		const struct khofmt_subnode *sn;
		struct state s;
		const char *nm = khofmt_abi_name(abis[i]);
		int node, rc;
		uint64_t len = 0;

		if (khofmt_enc_new(&eo, &enc) ||
		    khofmt_enc_add_blob(enc, "memblock", sub, fdt_totalsize(sub), NULL))
			bail_out("encoder");
		rc = state_finish_open(enc, 12, &s);
		khofmt_enc_free(enc);
		if (!is(rc, 0, "%s with a blob: opens", nm)) {
			state_free(&s);
			continue;
		}
		node = fdt_subnode_offset(s.fdt_blob, 0, "memblock");
		ok(node >= 0 &&
		   !!fdt_getprop(s.fdt_blob, node, "fdt", NULL) == (abis[i] == KHOFMT_ABI_V1) &&
		   !!fdt_getprop(s.fdt_blob, node, "preserved-data", NULL) == (abis[i] != KHOFMT_ABI_V1) &&
		   !!fdt_getprop(s.fdt_blob, node, "blob-size", NULL) == (abis[i] >= KHOFMT_ABI_V3),
		   "%s: subnode has %s", nm,
		   abis[i] == KHOFMT_ABI_V1 ? "`fdt` only" :
		   abis[i] == KHOFMT_ABI_V2 ? "`preserved-data`, no `blob-size`" :
		   "`preserved-data` and `blob-size`");
		sn = khofmt_fdt_subnode_by_name(s.fdt, "memblock");
		rc = khofmt_handover_blob_size(s.h, sn, &len);
		if (abis[i] == KHOFMT_ABI_V2)
			is(rc, 0, "%s: blob length unknown", nm);
		else
			ok(rc == 1 && len == fdt_totalsize(sub),
			   "%s: blob length %u (%s)", nm, fdt_totalsize(sub),
			   abis[i] == KHOFMT_ABI_V1 ? "from the sub-FDT header" : "blob-size");
		state_free(&s);
	}
}

static void test_producer(void)
{
	static const struct {
		const char *p;
		enum khofmt_variant v;
	} t[] = {
		{ "6.16", KHOFMT_VARIANT_E1A }, { "6.16.12", KHOFMT_VARIANT_E1A },
		{ "6.17.8", KHOFMT_VARIANT_E1A }, { "6.17.9", KHOFMT_VARIANT_E1B },
		{ "6.17", KHOFMT_VARIANT_NONE }, { "6.18", KHOFMT_VARIANT_E1B },
		{ "7.0.3-1", KHOFMT_VARIANT_E1B }, { "6.15", KHOFMT_VARIANT_NONE },
		{ "x", KHOFMT_VARIANT_NONE }, { "6.", KHOFMT_VARIANT_NONE },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(khofmt_producer_variant(KHOFMT_ABI_V1, t[i].p), t[i].v,
		       "producer %s -> %s", t[i].p, khofmt_variant_name(t[i].v));
	ok(khofmt_producer_parse("6.x", NULL, NULL, NULL) < 0 &&
	   khofmt_producer_parse("7.2.13", NULL, NULL, NULL) == 0,
	   "producer_parse accepts 7.2.13, refuses 6.x");
	is_int(khofmt_abi_parse("rfc"), KHOFMT_ABI_RFC, "abi_parse rfc");
	is_int(khofmt_abi_parse("kho-v3"), KHOFMT_ABI_V3, "abi_parse kho-v3");
	is_int(khofmt_abi_parse("kho-v9"), KHOFMT_ABI_UNKNOWN, "abi_parse kho-v9");
}

/* ---- random chunk pages: every walk ends, no crash (sanitizers) ---- */

static int count_range_cb(void *arg, uint64_t start, uint64_t size)
{
	uint64_t *last = arg;

	(void)size;
	if (start < *last)
		*last = UINT64_MAX;	/* out of order: poison */
	else if (*last != UINT64_MAX)
		*last = start;
	return 0;
}

static void test_random_chunks(void)
{
	struct khofmt_walk_opts wo = { .sz = sizeof(wo), .problem = prob_cb };
	unsigned iter, bad = 0, unsorted = 0, mismatch = 0, i;
	uint64_t entries = 0, problems = 0;

	for (iter = 0; iter < 300; iter++) {
		struct probs pr = { .n = 0 };
		struct khofmt_handover *ho;
		struct khofmt_stats st;
		struct fvec got = { 0 };
		struct hand h;
		uint64_t last = 0;
		int rc;

		hand_init(&h, CH_BASE + 4096 * rnd_below(&seed, 3));
		for (i = 0; i < 3 * 4096; i += 8) {
			uint64_t v = splitmix64(&seed);

			/* plausible pointers half of the time */
			switch (rnd_below(&seed, 6)) {
			case 0: v = CH_BASE + 4096 * rnd_below(&seed, 4); break;
			case 1: v = BM_BASE + 512 * rnd_below(&seed, 40); break;
			case 2: v = rnd_below(&seed, 300); break;
			case 3: v = U64(0x100000000) + (rnd_below(&seed, 64) << 24); break;
			default: break;
			}
			le64_store(h.chunks + i, v);
		}
		/* mostly plausible headers: small orders, counts near 255 */
		for (i = 0; i < 3; i++)
			if (rnd_below(&seed, 4))
				chunk_hdr(&h, i, le64_load(h.chunks + 4096 * i),
					  (uint32_t)rnd_below(&seed, 13),
					  (uint32_t)rnd_below(&seed, 300));
		for (i = 0; i < 16 * 4096; i++)
			h.bms[i] = (unsigned char)splitmix64(&seed);
		ho = hand_open(&h, rnd_below(&seed, 2) ? "6.16" : NULL);
		if (!ho) {
			bad++;
			hand_free(&h);
			continue;
		}
		wo.problem_arg = &pr;
		rc = khofmt_walk_folios(ho, &wo, collect_folio_cb, &got);
		bad += rc < 0;
		entries += got.n;
		problems += pr.n;
		rc = khofmt_stats(ho, &wo, &st);
		bad += rc < 0;
		rc = khofmt_walk_ranges(ho, &wo, count_range_cb, &last);
		bad += rc < 0;
		unsorted += last == UINT64_MAX;
		{
			struct rvec gr = { 0 }, wr;

			/* ranges = the decoded entries, coalesced independently */
			rc = khofmt_walk_ranges(ho, &wo, collect_range_cb, &gr);
			fv_sort_unique(&got);
			ref_coalesce(&got, 12, &wr);
			if (rc || !rv_equal_diag(&gr, &wr))
				mismatch++;
			rv_free(&gr);
			rv_free(&wr);
		}
		rc = khofmt_walk_ranges(ho, NULL, count_range_cb, &last);
		rc = khofmt_walk_nodes(ho, NULL, collect_folio_cb, &got);
		fv_free(&got);
		khofmt_handover_free(ho);
		hand_free(&h);
	}
	diag("random chunk lists: %" PRIu64 " entries decoded, %" PRIu64
	     " problems reported", entries, problems);
	ok(entries > 0 && problems > 0, "random chunk lists exercise both decoding and reporting");
	is(bad, 0, "300 random chunk lists: every walk with a problem callback completes");
	is(unsorted, 0, "... and ranges always come in ascending order");
	is(mismatch, 0, "... equal to the decoded entries coalesced independently "
	   "(out-of-order and overlapping elements included)");
}

int main(void)
{
	test_producer();
	test_roundtrips();
	test_worked_example();
	test_hostile_chunks();
	test_rfc();
	test_early_depth();
	test_subnodes();
	test_random_chunks();
	return done_testing();
}
