// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * khofmt_analyze: every encoding's decoder gives back the tracker's ranges
 * (cross-check), and every size equals an independent computation from the
 * folio list (doc/ABI.md 4.2 for the chunk list, the layouts documented in
 * khofmt-analyze.h / analyze.c for the others). Then the seed's arithmetic
 * on W1 (4,194,304 random order-0 folios in 32 GiB) and on 65,536 isolated
 * pages in 16 GiB, with the constants written out by hand.
 */
#include "testutil.h"

#define ENC_META_BASE U64(0x1000000)	/* encoder default meta area */

static int cmp_u64p(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorted, distinct values of (order << 58 | key(phys)) style pairs. */
static size_t distinct(uint64_t *v, size_t n)
{
	size_t i, o = 0;

	qsort(v, n, sizeof(*v), cmp_u64p);
	for (i = 0; i < n; i++)
		if (!o || v[i] != v[o - 1])
			v[o++] = v[i];
	return o;
}

struct expect {
	uint64_t ranges, pairs_bytes, packed_records;
	uint64_t e1a_bytes, e1a_pages, e1a_elems;
	uint64_t e1b_bytes, e1b_pages, e1b_elems;
	uint64_t slices, slices_bytes;
};

/* Chunk list sizes for bitmaps of @bits bits (doc/ABI.md 4.2.1-4.2.3). */
static void ref_chunk(const struct fvec *f, unsigned ps, uint64_t bits,
		      uint64_t *bytes, uint64_t *pages, uint64_t *elems)
{
	uint64_t P = U64(1) << ps, per = (P - 16) / 16, *v, chunks = 0;
	uint64_t per_order[64] = { 0 };
	size_t i, n;

	v = xmalloc(f->n * sizeof(*v) + 8);
	for (i = 0; i < f->n; i++)
		v[i] = ((uint64_t)f->v[i].order << 56) |
		       (f->v[i].phys / (bits << (ps + f->v[i].order)));
	n = distinct(v, f->n);
	for (i = 0; i < n; i++)
		per_order[v[i] >> 56]++;
	for (i = 0; i < 64; i++)
		chunks += (per_order[i] + per - 1) / per;
	*elems = n;
	*bytes = chunks * P + n * (bits / 8);
	*pages = chunks + (n * (bits / 8) + P - 1) / P;
	free(v);
}

static void ref_expect(const struct fvec *f, unsigned ps, struct expect *x)
{
	struct rvec rr;
	uint64_t *v, P = U64(1) << ps;
	size_t i, n;

	memset(x, 0, sizeof(*x));
	ref_coalesce(f, ps, &rr);
	x->ranges = rr.n;
	x->pairs_bytes = 16 * rr.n;
	for (i = 0; i < rr.n; i++)
		x->packed_records += (rr.v[i].size / P + 4095) / 4096;
	rv_free(&rr);
	ref_chunk(f, ps, 4096, &x->e1a_bytes, &x->e1a_pages, &x->e1a_elems);
	ref_chunk(f, ps, P * 8, &x->e1b_bytes, &x->e1b_pages, &x->e1b_elems);
	/* slices: distinct (order, 64-entry word); a gap of > 2 words splits */
	v = xmalloc(f->n * sizeof(*v) + 8);
	for (i = 0; i < f->n; i++)
		v[i] = ((uint64_t)f->v[i].order << 56) |
		       ((f->v[i].phys >> (ps + f->v[i].order)) / 64);
	n = distinct(v, f->n);
	for (i = 0; i < n; i++) {
		bool same = i && (v[i] >> 56) == (v[i - 1] >> 56) &&
			    v[i] - v[i - 1] <= 3;

		if (same) {
			x->slices_bytes += 8 * (v[i] - v[i - 1]);
		} else {
			x->slices++;
			x->slices_bytes += 16 + 8;
		}
	}
	free(v);
}

static void check_set(const char *name, struct fvec *f, unsigned ps)
{
	struct khofmt_enc_opts eo = { .sz = sizeof(eo), .page_shift = ps };
	struct khofmt_analyze_opts ao = { .sz = sizeof(ao), .runs = 1 };
	struct khofmt_analysis an;
	struct khofmt_stats st;
	struct khofmt_enc *enc;
	struct state s;
	struct expect x;
	size_t i;
	int rc, k;

	if (khofmt_enc_new(&eo, &enc) < 0)
		bail_out("enc_new");
	for (i = 0; i < f->n; i++)
		if (khofmt_enc_add_folio(enc, f->v[i].phys, f->v[i].order) < 0)
			bail_out("add_folio");
	if (state_finish_open(enc, ps, &s))
		bail_out("finish");
	khofmt_enc_free(enc);
	fv_push(f, s.fdt_pa, 0);	/* the root FDT page is preserved too */
	fv_sort_unique(f);
	ref_expect(f, ps, &x);

	rc = khofmt_analyze(s.h, &ao, &an);
	is(rc, 0, "%s: analyze completes", name);
	is_u64(an.folios, f->n, "%s: folios", name);
	is_u64(an.ranges, x.ranges, "%s: ranges = reference coalescing", name);
	is_u64(an.pairs_per_folio_bytes, 16 * f->n, "%s: 16 B a folio", name);
	for (k = 0; k < KHOFMT_ANALYZE_NKINDS; k++)
		ok(an.enc[k].match && an.enc[k].ranges == x.ranges,
		   "%s: %s decoder gives back the ranges (%llu)", name,
		   khofmt_analyze_name(k),
		   (unsigned long long)an.enc[k].ranges);
	is_u64(an.enc[KHOFMT_ANALYZE_PAIRS].bytes, x.pairs_bytes,
	       "%s: pairs bytes", name);
	is_u64(an.enc[KHOFMT_ANALYZE_PACKED].records, x.packed_records,
	       "%s: packed records", name);
	is_u64(an.enc[KHOFMT_ANALYZE_PACKED].bytes, 8 * x.packed_records,
	       "%s: packed bytes", name);
	is_u64(an.enc[KHOFMT_ANALYZE_CHUNK_E1A].records, x.e1a_elems,
	       "%s: E1a bitmaps", name);
	is_u64(an.enc[KHOFMT_ANALYZE_CHUNK_E1A].bytes, x.e1a_bytes,
	       "%s: E1a bytes", name);
	is_u64(an.enc[KHOFMT_ANALYZE_CHUNK_E1A].pages, x.e1a_pages,
	       "%s: E1a pages", name);
	is_u64(an.enc[KHOFMT_ANALYZE_CHUNK_E1B].records, x.e1b_elems,
	       "%s: E1b bitmaps", name);
	is_u64(an.enc[KHOFMT_ANALYZE_CHUNK_E1B].bytes, x.e1b_bytes,
	       "%s: E1b bytes", name);
	is_u64(an.enc[KHOFMT_ANALYZE_CHUNK_E1B].pages, x.e1b_pages,
	       "%s: E1b pages", name);
	is_u64(an.enc[KHOFMT_ANALYZE_SLICES].records, x.slices,
	       "%s: slices", name);
	is_u64(an.enc[KHOFMT_ANALYZE_SLICES].bytes, x.slices_bytes,
	       "%s: slice bytes", name);
	khofmt_stats(s.h, NULL, &st);
	is_u64(an.enc[KHOFMT_ANALYZE_RADIX].bytes, st.tracker_bytes,
	       "%s: radix bytes = the tracker's", name);
	state_free(&s);
}

/* Random aligned folios of orders 0..maxo in [base, base + span). */
static void random_set(struct fvec *f, uint64_t *seed, size_t n, unsigned ps,
		       unsigned maxo, uint64_t base, uint64_t span)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < n; i++) {
		unsigned o = (unsigned)rnd_below(seed, maxo + 1);
		uint64_t sz = U64(1) << (ps + o);

		fv_push(f, base + rnd_below(seed, span / sz) * sz, o);
	}
}

/* W1: 4,194,304 of the 8,388,608 pages of 32 GiB, uniformly. */
static void w1(void)
{
	struct khofmt_enc_opts eo = { .sz = sizeof(eo) };
	struct khofmt_analyze_opts ao = { .sz = sizeof(ao), .runs = 1 };
	const uint64_t base = U64(0x100000000), npages = U64(8) << 20;
	struct khofmt_analysis an;
	struct khofmt_enc *enc;
	uint64_t seed = 9, i, k = 0, *bm = calloc(npages / 64, 8);
	double expect_runs, d;
	struct state s;

	if (!bm || khofmt_enc_new(&eo, &enc) < 0)
		bail_out("w1 setup");
	while (k < (U64(4) << 20)) {
		uint64_t x = rnd_below(&seed, npages);

		if (!(bm[x / 64] >> (x % 64) & 1)) {
			bm[x / 64] |= U64(1) << (x % 64);
			k++;
		}
	}
	for (i = 0; i < npages; i++)
		if (bm[i / 64] >> (i % 64) & 1)
			khofmt_enc_add_folio(enc, base + i * 4096, 0);
	free(bm);
	if (state_finish_open(enc, 12, &s))
		bail_out("w1 finish");
	khofmt_enc_free(enc);
	is(khofmt_analyze(s.h, &ao, &an), 0, "W1: analyze completes");
	/* + 1: the root FDT page, an isolated order-0 folio below the RAM */
	is_u64(an.folios, U64(4194304) + 1, "W1: 4,194,304 folios + the FDT page");
	is_u64(an.pairs_per_folio_bytes, (U64(64) << 20) + 16,
	       "W1: one pair per folio = 64 MiB (+16 B for the FDT page)");
	/*
	 * Measured: k of n pages uniformly gives k (n - k + 1) / n runs on
	 * average (a run starts at each chosen page whose predecessor is not
	 * chosen): 2,097,152.25 here, standard deviation about 700.
	 */
	expect_runs = 4194304.0 * (8388608.0 - 4194304.0 + 1) / 8388608.0;
	d = (double)(an.ranges - 1) - expect_runs;
	ok(d < 5000 && d > -5000, "W1: %llu ranges, about 2 Mi expected (%.0f)",
	   (unsigned long long)an.ranges, expect_runs);
	is_u64(an.enc[KHOFMT_ANALYZE_PAIRS].bytes, 16 * an.ranges,
	       "W1: measured pairs = 16 B a range (~32 MiB)");
	/* 512 KiB of order-0 bitmap per 16 GiB: 16 GiB / 4 KiB / 8 bits */
	is_u64(an.enc[KHOFMT_ANALYZE_CHUNK_E1B].records, 256 + 1,
	       "W1: E1b: 256 page bitmaps of 128 MiB for 32 GiB (+ FDT page)");
	is_u64(an.enc[KHOFMT_ANALYZE_CHUNK_E1B].bytes,
	       2 * 4096 + 2 * (U64(512) << 10) + 4096,
	       "W1: E1b = 2 chunk pages + 2 x 512 KiB + 1 bitmap");
	is_u64(an.enc[KHOFMT_ANALYZE_CHUNK_E1A].records, 2048 + 1,
	       "W1: E1a: 2048 bitmaps of 16 MiB (+ FDT page)");
	is_u64(an.enc[KHOFMT_ANALYZE_CHUNK_E1A].bytes,
	       9 * 4096 + 2 * (U64(512) << 10) + 512,
	       "W1: E1a = 9 chunk pages (255 a page) + 2 x 512 KiB + 512 B");
	for (i = 0; i < KHOFMT_ANALYZE_NKINDS; i++)
		ok(an.enc[i].match, "W1: %s decoder matches",
		   khofmt_analyze_name((int)i));
	state_free(&s);
}

/* 65,536 isolated pages (every 64th) in 16 GiB: ranges cost the bitmap. */
static void break_even(void)
{
	struct khofmt_enc_opts eo = { .sz = sizeof(eo) };
	struct khofmt_analyze_opts ao = { .sz = sizeof(ao), .runs = 1 };
	const uint64_t base = U64(0x400000000);
	struct khofmt_analysis an;
	struct khofmt_enc *enc;
	struct state s;
	uint64_t i;

	if (khofmt_enc_new(&eo, &enc) < 0)
		bail_out("setup");
	for (i = 0; i < 65536; i++)
		khofmt_enc_add_folio(enc, base + i * 64 * 4096, 0);
	if (state_finish_open(enc, 12, &s))
		bail_out("finish");
	khofmt_enc_free(enc);
	is(khofmt_analyze(s.h, &ao, &an), 0, "16 GiB / 64: analyze completes");
	is_u64(an.enc[KHOFMT_ANALYZE_PACKED].bytes - 8, U64(512) << 10,
	       "65,536 packed 8-byte ranges = 512 KiB (+ FDT page)");
	/* 128 bitmaps of 128 MiB + the FDT page's: one chunk page (255 a page) */
	is_u64(an.enc[KHOFMT_ANALYZE_CHUNK_E1B].bytes - 4096 - 4096,
	       U64(512) << 10,
	       "their E1b bitmaps = 512 KiB (after 1 chunk page + FDT bitmap)");
	is_u64(an.enc[KHOFMT_ANALYZE_PAIRS].bytes - 16, U64(1) << 20,
	       "as RFC pairs: 1 MiB");
	state_free(&s);
}

int main(void)
{
	static const unsigned pss[] = { 12, 14, 16 };
	uint64_t seed = 1;
	struct fvec f;
	char name[64];
	unsigned p, t;

	for (p = 0; p < 3; p++) {
		for (t = 0; t < 4; t++) {
			unsigned ps = pss[p];

			snprintf(name, sizeof(name), "PS%u random #%u", ps, t);
			random_set(&f, &seed, 200 + 3000 * t, ps, t ? 4 * t : 0,
				   U64(1) << 32, U64(1) << (28 + 2 * t));
			check_set(name, &f, ps);
			fv_free(&f);
		}
		snprintf(name, sizeof(name), "PS%u nothing preserved", pss[p]);
		memset(&f, 0, sizeof(f));
		check_set(name, &f, pss[p]);
		fv_free(&f);
		snprintf(name, sizeof(name), "PS%u sparse 1 GiB", pss[p]);
		random_set(&f, &seed, 300, pss[p], 0, U64(1) << 32, U64(1) << 42);
		for (t = 0; t < f.n; t++) {
			f.v[t].order = 30 - pss[p];
			f.v[t].phys &= ~((U64(1) << 30) - 1);
		}
		check_set(name, &f, pss[p]);
		fv_free(&f);
	}
	is_str(khofmt_analyze_name(KHOFMT_ANALYZE_SLICES), "slices", "names");
	is_str(khofmt_analyze_name(KHOFMT_ANALYZE_NKINDS), "unknown",
	       "out-of-range name");
	is(khofmt_analyze(NULL, NULL, NULL), -KHOFMT_ERR_INVAL, "NULL handover");
	break_even();
	w1();
	return done_testing();
}
