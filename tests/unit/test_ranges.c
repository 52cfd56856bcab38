// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Coalesced ranges of the radix tracker (libkhofmt/walk.c and the run
 * kernels of tracker_radix.c): every pattern is written with the encoder
 * and read back with khofmt_walk_range_batches() and khofmt_walk_ranges(),
 * against a bit-at-a-time oracle written here and, for one pattern, a list
 * of ranges derived by hand. The run kernels are dispatched at run time
 * (cpu.c: BMI/AVX2 sparse and dense walks, or the generic one): this test
 * runs once with the best kernel the CPU has and once more, as a child,
 * with KHOFMT_CPU=generic, and the two runs must print the same ranges.
 *
 * The structure check's table scan (cpu.c: AVX2 or generic) on hostile
 * tables: a bad entry in each entry of a level-1 table in turn, and one
 * tree with problems of every kind at three levels, each walk's problems
 * as derived by hand, with this run's scan and in a child with
 * KHOFMT_CPU=generic.
 *
 * Also the per-handover cache of the checked tree (radix_index_open): a
 * clean tree in an ELF file walks the same twice; a tree with a problem
 * reports it on every walk; an in-memory image whose tables change
 * between two walks is read again (never cached).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "khofmt.h"
#include "../../libkhofmt/cpu.h"
#include "tap.h"

#define PS 12
#define PAGE (UINT64_C(1) << PS)
/* preserved pages from 1 GiB: above the encoder's meta area, leaf-aligned */
#define BASE (UINT64_C(1) << 30)
/* four order-0 leaves (32768 bits each with 4 KiB pages) */
#define NBITS (4 * 32768)
#define NWORDS (NBITS / 64)

struct rv {
	struct khofmt_range *v;
	size_t n, cap;
};

static void rv_push(struct rv *r, uint64_t start, uint64_t size)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		if (!r->v)
			bail_out("out of memory");
	}
	r->v[r->n].start = start;
	r->v[r->n].size = size;
	r->n++;
}

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64*: fixed seed, reproducible */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/* ---- patterns: order-0 bitmaps of NBITS pages from BASE ---- */

static void set_bit(uint64_t *b, uint64_t i)
{
	b[i / 64] |= UINT64_C(1) << (i % 64);
}

/*
 * The hand-derived pattern: every case the kernels treat apart. Its
 * ranges, in pages from BASE, are listed in hand_ranges[].
 */
static void pat_hand(uint64_t *b)
{
	uint64_t i;

	set_bit(b, 1);			/* a lone bit */
	set_bit(b, 64 + 63);		/* bit 63 of word 1 ... */
	set_bit(b, 128);		/* ... continued by bit 0 of word 2 */
	set_bit(b, 63 * 64 + 63);	/* across a 512-byte block */
	set_bit(b, 64 * 64);
	b[100] = UINT64_C(0x5555555555555555);	/* 32 isolated bits */
	b[200] = ~UINT64_C(0);		/* a full word ... */
	set_bit(b, 201 * 64);		/* ... and bit 0 of the next */
	b[300] = UINT64_C(0x1000100010001000);	/* 4 isolated: 12 28 44 60 */
	set_bit(b, 301 * 64);		/* bit 0, bit 63 before it clear */
	b[400] = UINT64_C(0x8000000000000001);	/* both ends of a word */
	b[401] = UINT64_C(0x00000000000000f0);	/* a short run inside */
	set_bit(b, 32767);		/* the last bit of leaf 0 ... */
	set_bit(b, 32768);		/* ... and the first of leaf 1 */
	for (i = 2 * 32768 + 5; i < 2 * 32768 + 5 + 700; i++)
		set_bit(b, i);		/* 700 pages over 12 words and 2 blocks */
	set_bit(b, NBITS - 1);		/* the very last bit */
}

/* (first page, pages) of pat_hand, by hand */
static const uint64_t hand_ranges[][2] = {
	{ 1, 1 }, { 127, 2 }, { 4095, 2 },
	{ 6400, 1 }, { 6402, 1 }, { 6404, 1 }, { 6406, 1 }, { 6408, 1 },
	{ 6410, 1 }, { 6412, 1 }, { 6414, 1 }, { 6416, 1 }, { 6418, 1 },
	{ 6420, 1 }, { 6422, 1 }, { 6424, 1 }, { 6426, 1 }, { 6428, 1 },
	{ 6430, 1 }, { 6432, 1 }, { 6434, 1 }, { 6436, 1 }, { 6438, 1 },
	{ 6440, 1 }, { 6442, 1 }, { 6444, 1 }, { 6446, 1 }, { 6448, 1 },
	{ 6450, 1 }, { 6452, 1 }, { 6454, 1 }, { 6456, 1 }, { 6458, 1 },
	{ 6460, 1 }, { 6462, 1 },
	{ 12800, 65 },
	{ 19212, 1 }, { 19228, 1 }, { 19244, 1 }, { 19260, 1 }, { 19264, 1 },
	{ 25600, 1 }, { 25663, 1 }, { 25668, 4 },
	{ 32767, 2 },
	{ 65541, 700 },
	{ NBITS - 1, 1 },
};

/* density d (1/1000): each bit set with probability d/1000 */
static void pat_random(uint64_t *b, unsigned d, uint64_t seed)
{
	uint64_t i, s = seed;

	for (i = 0; i < NBITS; i++)
		if (rnd(&s) % 1000 < d)
			set_bit(b, i);
}

/* runs of random lengths 1..maxlen with gaps 1..maxgap */
static void pat_runs(uint64_t *b, unsigned maxlen, unsigned maxgap,
		     uint64_t seed)
{
	uint64_t i = 0, s = seed, k, len;

	for (;;) {
		i += 1 + rnd(&s) % maxgap;
		len = 1 + rnd(&s) % maxlen;
		for (k = 0; k < len && i < NBITS; k++, i++)
			set_bit(b, i);
		if (i >= NBITS)
			break;
	}
}

/* leaves 1 and 2 full, plus a bit on either side touching them */
static void pat_full(uint64_t *b)
{
	uint64_t i;

	for (i = 32768; i < 3 * 32768; i++)
		set_bit(b, i);
	set_bit(b, 32767);
	set_bit(b, 3 * 32768);
}

/* ---- encode, walk, oracle ---- */

struct state {
	struct khofmt_source *src;
	void *fdt;
	size_t fdt_len;
	uint64_t fdt_pa;
	struct khofmt_fdt *f;
	struct khofmt_handover *h;
};

static int encode(const uint64_t *bits, struct state *st)
{
	struct khofmt_enc_opts eo = { .sz = sizeof(eo), .page_shift = PS };
	struct khofmt_enc *e;
	int r;

	memset(st, 0, sizeof(*st));
	r = khofmt_enc_new(&eo, &e);
	if (r < 0)
		return r;
	r = khofmt_enc_add_bitmap(e, BASE, 0, bits, NBITS);
	if (r >= 0)
		r = khofmt_enc_finish(e, &st->src, &st->fdt, &st->fdt_len,
				      &st->fdt_pa);
	khofmt_enc_free(e);
	if (r < 0)
		return r;
	r = khofmt_fdt_open(st->fdt, st->fdt_len, &st->f, NULL, 0);
	if (r < 0)
		return r;
	return khofmt_handover_open(st->f, st->src, NULL, &st->h);
}

static void state_free(struct state *st)
{
	khofmt_handover_free(st->h);
	khofmt_fdt_free(st->f);
	khofmt_source_free(st->src);
	free(st->fdt);
}

/* The ranges of @bits bit by bit, and the root FDT page (below BASE). */
static void oracle(const uint64_t *bits, uint64_t fdt_pa, struct rv *r)
{
	uint64_t i = 0;

	r->n = 0;
	rv_push(r, fdt_pa, PAGE);
	while (i < NBITS) {
		uint64_t j;

		if (!((bits[i / 64] >> (i % 64)) & 1)) {
			i++;
			continue;
		}
		for (j = i; j < NBITS && ((bits[j / 64] >> (j % 64)) & 1); j++)
			;
		rv_push(r, BASE + i * PAGE, (j - i) * PAGE);
		i = j;
	}
}

static int batch_cb(void *arg, const struct khofmt_range *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		rv_push(arg, v[i].start, v[i].size);
	return 0;
}

static int range_cb(void *arg, uint64_t start, uint64_t size)
{
	rv_push(arg, start, size);
	return 0;
}

static bool same(const struct rv *a, const struct rv *b, const char *what)
{
	size_t i;

	if (a->n != b->n) {
		diag("%s: %zu ranges, expected %zu", what, a->n, b->n);
		return false;
	}
	for (i = 0; i < a->n; i++)
		if (a->v[i].start != b->v[i].start || a->v[i].size != b->v[i].size) {
			diag("%s: range %zu is [0x%" PRIx64 ", +0x%" PRIx64 "), expected "
			     "[0x%" PRIx64 ", +0x%" PRIx64 ")", what, i, a->v[i].start,
			     a->v[i].size, b->v[i].start, b->v[i].size);
			return false;
		}
	return true;
}

/* FNV-1a of the ranges: what the two kernels' runs compare */
static uint64_t digest(const struct rv *r)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t i;
	unsigned k;

	for (i = 0; i < r->n; i++)
		for (k = 0; k < 16; k++) {
			uint64_t x = k < 8 ? r->v[i].start : r->v[i].size;

			h ^= (x >> (8 * (k % 8))) & 0xff;
			h *= UINT64_C(0x100000001b3);
		}
	return h;
}

struct pattern {
	const char *name;
	void (*make)(uint64_t *b, unsigned a, unsigned c, uint64_t seed);
	unsigned a, c;
};

static void mk_hand(uint64_t *b, unsigned a, unsigned c, uint64_t s)
{
	(void)a, (void)c, (void)s;
	pat_hand(b);
}

static void mk_random(uint64_t *b, unsigned a, unsigned c, uint64_t s)
{
	(void)c;
	pat_random(b, a, s);
}

static void mk_runs(uint64_t *b, unsigned a, unsigned c, uint64_t s)
{
	pat_runs(b, a, c, s);
}

static void mk_full(uint64_t *b, unsigned a, unsigned c, uint64_t s)
{
	(void)a, (void)c, (void)s;
	pat_full(b);
}

static const struct pattern patterns[] = {
	{ "hand-derived", mk_hand, 0, 0 },
	{ "random 0.1 %", mk_random, 1, 0 },
	{ "random 1 %", mk_random, 10, 0 },
	{ "random 5 %", mk_random, 50, 0 },
	{ "random 25 %", mk_random, 250, 0 },
	{ "random 50 %", mk_random, 500, 0 },
	{ "random 90 %", mk_random, 900, 0 },
	{ "random 99.9 %", mk_random, 999, 0 },
	{ "runs 1..3, gaps 1..3", mk_runs, 3, 3 },
	{ "runs 1..70, gaps 1..200", mk_runs, 70, 200 },
	{ "runs 1..5000, gaps 1..5000", mk_runs, 5000, 5000 },
	{ "two full leaves", mk_full, 0, 0 },
};
#define NPAT (sizeof(patterns) / sizeof(patterns[0]))

/*
 * Every pattern's ranges: checked against the oracle (and the hand list),
 * their digests into @dig. With @quiet (the child), no TAP output.
 */
static unsigned run_patterns(uint64_t *dig, bool quiet)
{
	uint64_t *bits = malloc(NWORDS * sizeof(*bits));
	struct rv got = { 0 }, cb = { 0 }, want = { 0 };
	unsigned bad = 0;
	size_t p;

	if (!bits)
		bail_out("out of memory");
	for (p = 0; p < NPAT; p++) {
		const struct pattern *pt = &patterns[p];
		struct state st;
		bool good;
		int r;

		memset(bits, 0, NWORDS * sizeof(*bits));
		pt->make(bits, pt->a, pt->c, UINT64_C(0x9e3779b97f4a7c15) + p);
		r = encode(bits, &st);
		if (r < 0) {
			if (!quiet)
				fail("%s: encode: %s", pt->name, khofmt_strerror(r));
			bad++;
			continue;
		}
		oracle(bits, st.fdt_pa, &want);
		got.n = cb.n = 0;
		r = khofmt_walk_range_batches(st.h, NULL, batch_cb, &got);
		good = r == 0 && same(&got, &want, pt->name);
		r = khofmt_walk_ranges(st.h, NULL, range_cb, &cb);
		good = good && r == 0 && same(&cb, &want, pt->name);
		if (!quiet)
			ok(good, "%s: %zu ranges = the bit-by-bit oracle (batches and "
			   "one by one)", pt->name, want.n);
		bad += !good;
		if (pt->make == mk_hand && !quiet) {
			struct rv hand = { 0 };
			size_t i;

			rv_push(&hand, st.fdt_pa, PAGE);
			for (i = 0; i < sizeof(hand_ranges) / sizeof(hand_ranges[0]); i++)
				rv_push(&hand, BASE + hand_ranges[i][0] * PAGE,
					hand_ranges[i][1] * PAGE);
			ok(same(&got, &hand, "hand-derived list"),
			   "%s: the %zu ranges derived by hand", pt->name, hand.n);
			free(hand.v);
		}
		dig[p] = digest(&got);
		state_free(&st);
	}
	free(bits);
	free(got.v);
	free(cb.v);
	free(want.v);
	return bad;
}

/* ---- the per-handover cache ---- */

static int count_problem(void *arg, const struct khofmt_problem *p)
{
	(void)p;
	++*(unsigned *)arg;
	return 0;
}

/* The level-1 table: the page whose entries point at leaves. */
static int find_l1(void *arg, uint64_t pa, unsigned level)
{
	if (level == 1 && !*(uint64_t *)arg)
		*(uint64_t *)arg = pa;
	return 0;
}

static void test_cache(const char *dir)
{
	uint64_t *bits = calloc(NWORDS, sizeof(*bits));
	struct khofmt_walk_opts wo = { .sz = sizeof(wo), .problem = count_problem };
	struct rv got = { 0 }, want = { 0 }, fewer = { 0 };
	struct khofmt_source *esrc;
	struct khofmt_handover *eh;
	struct state st;
	uint64_t l1 = 0, *slot;
	unsigned probs = 0, i;
	char path[4096];
	int r;

	if (!bits)
		bail_out("out of memory");
	pat_random(bits, 10, 7);
	/* leaf 3 emptied: the bits of leaves 0..2 are what is left without it */
	memset(bits + 3 * 512, 0, 512 * sizeof(*bits));
	if (encode(bits, &st) < 0)
		bail_out("encode for the cache tests");
	oracle(bits, st.fdt_pa, &want);
	snprintf(path, sizeof(path), "%s/test_ranges.%ld.elf", dir, (long)getpid());

	/* a clean tree in an ELF file: checked once, the same twice */
	r = khofmt_source_write_elf(st.src, path, 0);
	is(r, 0, "cache: write the state as an ELF core");
	r = khofmt_source_open_elf(path, &esrc);
	is(r, 0, "cache: open it");
	r = khofmt_handover_open(st.f, esrc, NULL, &eh);
	is(r, 0, "cache: handover on the ELF core");
	for (i = 0; i < 2; i++) {
		got.n = 0;
		probs = 0;
		wo.problem_arg = &probs;
		r = khofmt_walk_range_batches(eh, &wo, batch_cb, &got);
		ok(r == 0 && !probs && same(&got, &want, "clean ELF"),
		   "cache: clean tree in an ELF core, walk %u: the oracle's %zu ranges, "
		   "no problem", i + 1, want.n);
	}
	khofmt_handover_free(eh);
	khofmt_source_free(esrc);

	/*
	 * A problem in the tree: an unused level-1 entry pointing at a
	 * misaligned page. Reported on every walk (never cached); the ranges
	 * are those of the intact leaves.
	 */
	r = khofmt_walk_nodes(st.h, NULL, find_l1, &l1);
	ok(r == 0 && l1, "cache: the level-1 table found (0x%" PRIx64 ")", l1);
	slot = (uint64_t *)(uintptr_t)khofmt_source_ptr(st.src, l1, PAGE);
	ok(slot != NULL, "cache: the in-memory image is addressable");
	if (!slot)
		goto out;
	slot[511] = BASE + 0x123;	/* not page-aligned */
	unlink(path);
	r = khofmt_source_write_elf(st.src, path, 0);
	is(r, 0, "cache: write the damaged state as an ELF core");
	r = khofmt_source_open_elf(path, &esrc);
	is(r, 0, "cache: open it");
	r = khofmt_handover_open(st.f, esrc, NULL, &eh);
	is(r, 0, "cache: handover on the damaged ELF core");
	for (i = 0; i < 3; i++) {
		got.n = 0;
		probs = 0;
		wo.problem_arg = &probs;
		r = khofmt_walk_range_batches(eh, &wo, batch_cb, &got);
		ok(r == 0 && probs == 1 && same(&got, &want, "damaged ELF"),
		   "cache: misaligned child, walk %u: reported again (%u problem), "
		   "the intact ranges", i + 1, probs);
	}
	r = khofmt_walk_range_batches(eh, NULL, batch_cb, &got);
	is(r, -KHOFMT_ERR_STRUCT, "cache: without a problem callback the walk "
	   "still stops at it");
	khofmt_handover_free(eh);
	khofmt_source_free(esrc);
	slot[511] = 0;

	/*
	 * An in-memory image is its owner's to write: a leaf dropped from
	 * the table between two walks is gone in the second.
	 */
	got.n = 0;
	r = khofmt_walk_range_batches(st.h, NULL, batch_cb, &got);
	ok(r == 0 && same(&got, &want, "memory image"),
	   "cache: in-memory image, first walk: the oracle's ranges");
	for (i = 0; i < 512 && !(slot[i] && i > 0 && slot[i - 1]); i++)
		;
	/* the second leaf of the table (leaf 1: pages 32768..65535) */
	ok(i < 512, "cache: the table points at two leaves");
	if (i < 512) {
		size_t k;

		slot[i] = 0;
		memset(bits + 512, 0, 512 * sizeof(*bits));
		oracle(bits, st.fdt_pa, &fewer);
		got.n = 0;
		r = khofmt_walk_range_batches(st.h, NULL, batch_cb, &got);
		ok(r == 0 && same(&got, &fewer, "memory image, leaf dropped"),
		   "cache: in-memory image, leaf 1 dropped from its table: the "
		   "second walk has %zu ranges, not %zu", fewer.n, want.n);
		for (k = 0; k < got.n; k++)
			if (got.v[k].start >= BASE + 32768 * PAGE &&
			    got.v[k].start < BASE + 65536 * PAGE)
				break;
		ok(k == got.n, "cache: ... none of them in leaf 1");
	}
out:
	unlink(path);
	state_free(&st);
	free(bits);
	free(got.v);
	free(want.v);
	free(fewer.v);
}

/* ---- hostile tables: the check's scan, each kernel ---- */

/*
 * The tree of two order-0 leaves from BASE: key 2^52 | pfn, so leaf 0 is
 * entry (2^18 >> 15) & 511 = 8 of its level-1 table and leaf 1 entry 9;
 * entry 0 is the leaf of the root FDT page (below 2^27: pfn < 2^15);
 * the path goes through root entry 2^52 >> 51 = 2, and the level-1 table
 * is entry (2^18 >> 24) & 511 = 0 of its level-2 table. The root's entries
 * 4..511 hold keys wider than the 53-bit key space (4 KiB pages: keys are
 * 65 - 12 bits, root entries cover key bits 51..59).
 */
#define WILD UINT64_C(0x7000000000)	/* far beyond the image */

struct pages {
	uint64_t root, l2, l1, leaff, leaf0, leaf1;
};

static int find_pages(void *arg, uint64_t pa, unsigned level)
{
	struct pages *pg = arg;

	if (level == 5)
		pg->root = pa;
	else if (level == 2 && !pg->l2)
		pg->l2 = pa;
	else if (level == 1 && !pg->l1)
		pg->l1 = pa;
	else if (level == 0 && !pg->leaff)
		pg->leaff = pa;
	else if (level == 0 && !pg->leaf0)
		pg->leaf0 = pa;
	else if (level == 0 && !pg->leaf1)
		pg->leaf1 = pa;
	return 0;
}

struct ptext {
	char *s;
	size_t n, cap;
	bool msgs;	/* also the message (the two kernels' runs compare it) */
};

static void pt_add(struct ptext *t, const char *line)
{
	size_t l = strlen(line);

	if (t->n + l + 1 > t->cap) {
		t->cap = (t->n + l + 1) * 2;
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			bail_out("out of memory");
	}
	memcpy(t->s + t->n, line, l + 1);
	t->n += l;
}

static void pt_problem(struct ptext *t, int err, unsigned level, uint64_t node,
		       uint64_t index, uint64_t value, const char *msg)
{
	char line[600];

	snprintf(line, sizeof(line), "  %s level %u node 0x%" PRIx64 " entry %" PRIu64
		 " value 0x%" PRIx64 "%s%s\n", khofmt_strerror(err), level, node,
		 index, value, msg ? ": " : "", msg ? msg : "");
	pt_add(t, line);
}

static int record_problem(void *arg, const struct khofmt_problem *p)
{
	struct ptext *t = arg;

	pt_problem(t, p->err, p->level, p->node_pa, p->index, p->value,
		   t->msgs ? p->msg : NULL);
	return 0;
}

/* One walk of @st with a problem callback: its problems into @t. */
static int walk_problems(struct state *st, struct ptext *t, struct rv *got)
{
	struct khofmt_walk_opts wo = { .sz = sizeof(wo), .problem = record_problem,
				       .problem_arg = t };

	got->n = 0;
	return khofmt_walk_range_batches(st->h, &wo, batch_cb, got);
}

/* Entry @j of the level-1 table alone made hostile: what it holds. */
static uint64_t lane_value(const struct pages *pg, unsigned j, int *err)
{
	switch (j % 3) {
	case 0:
		*err = -KHOFMT_ERR_STRUCT;	/* 0x800..0x9ff into a page */
		return BASE + 0x800 + j;
	case 1:
		*err = -KHOFMT_ERR_NOTCOVERED;
		return WILD + (uint64_t)j * PAGE;
	default:
		*err = -KHOFMT_ERR_LOOP;	/* the table itself: a cycle */
		return pg->l1;
	}
}

/*
 * The hostile walks; with @want, the problems the walks must report,
 * derived from the layout above instead. Every entry of the level-1 table
 * but the three leaves' (0, 8, 9) made hostile in turn (every lane of every
 * 32-byte vector and 512-byte block: misaligned, outside the image, or
 * the table itself), each walk's ranges the oracle's; then one walk with
 * problems of every kind in two blocks and three levels.
 */
static int hostile_tables(struct ptext *t, bool want)
{
	uint64_t bits[NWORDS] = { 0 };
	struct rv got = { 0 }, ref = { 0 };
	struct pages pg = { 0 };
	struct state st;
	uint64_t *l1, *l2, *root;
	unsigned j, bad = 0;
	char line[200];
	int r, err;

	set_bit(bits, 1);
	set_bit(bits, 3);
	set_bit(bits, 32768 + 5);
	if (encode(bits, &st) < 0)
		bail_out("encode for the hostile tables");
	oracle(bits, st.fdt_pa, &ref);
	r = khofmt_walk_nodes(st.h, NULL, find_pages, &pg);
	l1 = (uint64_t *)(uintptr_t)khofmt_source_ptr(st.src, pg.l1, PAGE);
	l2 = (uint64_t *)(uintptr_t)khofmt_source_ptr(st.src, pg.l2, PAGE);
	root = (uint64_t *)(uintptr_t)khofmt_source_ptr(st.src, pg.root, PAGE);
	if (r || !l1 || !l2 || !root || !pg.leaf1 || l1[0] != pg.leaff ||
	    l1[8] != pg.leaf0 ||
	    l1[9] != pg.leaf1 || l2[0] != pg.l1 || !root[2])
		bail_out("hostile tables: the tree is not laid out as derived");
	for (j = 0; j < 512; j++) {
		uint64_t v;

		if (j == 0 || j == 8 || j == 9)
			continue;
		v = lane_value(&pg, j, &err);
		snprintf(line, sizeof(line), "level-1 entry %u:\n", j);
		pt_add(t, line);
		if (want) {
			pt_problem(t, err, 1, pg.l1, j, v, NULL);
			continue;
		}
		l1[j] = v;
		r = walk_problems(&st, t, &got);
		l1[j] = 0;
		if (r || !same(&got, &ref, "hostile lane"))
			bad++;
	}
	/* the ranges of every walk: the intact leaves' */
	snprintf(line, sizeof(line), "walks with other ranges or failed: 0\n");
	if (!want)
		snprintf(line, sizeof(line), "walks with other ranges or failed: %u\n", bad);
	pt_add(t, line);

	/*
	 * Everything at once, in the order of the walk (depth first, each
	 * table in entry order): level-1 entry 1 misaligned, 5 the page of
	 * leaf 1 (so leaf 1's own entry 9 finds it taken), 63 (last of block
	 * 0) leaf 0 again, 64 (first of block 1) the root, 130 outside the
	 * image, 511 the table itself; level-2 entry 1 the root; root entries
	 * 4 and 511 beyond the key space.
	 */
	pt_add(t, "all at once:\n");
	if (want) {
		pt_problem(t, -KHOFMT_ERR_STRUCT, 1, pg.l1, 1, BASE + 0x800, NULL);
		pt_problem(t, -KHOFMT_ERR_LOOP, 1, pg.l1, 9, pg.leaf1, NULL);
		pt_problem(t, -KHOFMT_ERR_LOOP, 1, pg.l1, 63, pg.leaf0, NULL);
		pt_problem(t, -KHOFMT_ERR_LOOP, 1, pg.l1, 64, pg.root, NULL);
		pt_problem(t, -KHOFMT_ERR_NOTCOVERED, 1, pg.l1, 130, WILD, NULL);
		pt_problem(t, -KHOFMT_ERR_LOOP, 1, pg.l1, 511, pg.l1, NULL);
		pt_problem(t, -KHOFMT_ERR_LOOP, 2, pg.l2, 1, pg.root, NULL);
		pt_problem(t, -KHOFMT_ERR_BADKEY, 5, pg.root, 4, WILD + PAGE, NULL);
		pt_problem(t, -KHOFMT_ERR_BADKEY, 5, pg.root, 511, pg.root, NULL);
	} else {
		l1[1] = BASE + 0x800;
		l1[5] = pg.leaf1;
		l1[63] = pg.leaf0;
		l1[64] = pg.root;
		l1[130] = WILD;
		l1[511] = pg.l1;
		l2[1] = pg.root;
		root[4] = WILD + PAGE;
		root[511] = pg.root;
		r = walk_problems(&st, t, &got);
		if (r)
			pt_add(t, "the walk failed\n");
	}
	state_free(&st);
	free(got.v);
	free(ref.v);
	return 0;
}

/*
 * The hostile walks with this run's table scan and, in a child, with
 * KHOFMT_CPU=generic: each reports the problems derived by hand, and
 * the two the same messages.
 */
static void test_hostile(const char *argv0)
{
	struct ptext want = { 0 }, here = { 0 }, here_m = { .msgs = true };
	struct ptext child = { 0 }, child_f = { 0 };
	char cmd[4200], line[1024];
	FILE *c;

	hostile_tables(&want, true);
	hostile_tables(&here, false);
	is_str(here.s, want.s, "hostile tables, %s scan: the problems derived by "
	       "hand (509 walks with one bad entry in each lane, one with 9 in "
	       "three levels)", khofmt_cpu_level() == KHOFMT_CPU_AVX2 ? "AVX2" : "generic");
	hostile_tables(&here_m, false);
	if (strchr(argv0, '/') && !strchr(argv0, '\''))
		snprintf(cmd, sizeof(cmd), "KHOFMT_CPU=generic '%s' --problems", argv0);
	else
		snprintf(cmd, sizeof(cmd), "KHOFMT_CPU=generic /proc/%ld/exe --problems",
			 (long)getpid());
	c = popen(cmd, "r");
	ok(c != NULL, "hostile tables: run the generic scan: %s", cmd);
	if (c) {
		while (fgets(line, sizeof(line), c)) {
			char *m = strstr(line, ": radix");

			pt_add(&child, line);
			/* without the message: as derived by hand */
			if (m && line[0] == ' ') {
				m[0] = '\n';
				m[1] = '\0';
			}
			pt_add(&child_f, line);
		}
		is(pclose(c), 0, "hostile tables: the generic child ran");
	}
	is_str(child_f.s ? child_f.s : "", want.s,
	       "hostile tables, generic scan: the problems derived by hand");
	is_str(child.s ? child.s : "", here_m.s,
	       "hostile tables: the generic scan's messages = this run's");
	free(want.s);
	free(here.s);
	free(here_m.s);
	free(child.s);
	free(child_f.s);
}

int main(int argc, char **argv)
{
	uint64_t dig[NPAT] = { 0 }, cdig[NPAT] = { 0 };
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char cmd[4200], line[128];
	unsigned bad, n = 0;
	size_t p;
	FILE *c;

	if (argc == 2 && !strcmp(argv[1], "--problems")) {
		/* the child: the hostile walks' problems on stdout */
		struct ptext t = { .msgs = true };

		hostile_tables(&t, false);
		fputs(t.s, stdout);
		free(t.s);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--digests")) {
		/* the child: the same patterns, digests on stdout */
		bad = run_patterns(dig, true);
		for (p = 0; p < NPAT; p++)
			printf("%016" PRIx64 "\n", dig[p]);
		return bad ? 1 : 0;
	}
	diag("this run: %s kernel (KHOFMT_CPU=%s)",
	     khofmt_cpu_bmi() ? "the BMI/AVX2" : "the generic",
	     getenv("KHOFMT_CPU") ? getenv("KHOFMT_CPU") : "(unset)");
	bad = run_patterns(dig, false);
	is(bad, 0, "every pattern as the oracle says");

	/* the generic kernel, in a child (the dispatch is chosen once) */
	/* this program: argv[0] (under valgrind /proc/self/exe is valgrind) */
	if (strchr(argv[0], '/') && !strchr(argv[0], '\''))
		snprintf(cmd, sizeof(cmd), "KHOFMT_CPU=generic '%s' --digests", argv[0]);
	else
		snprintf(cmd, sizeof(cmd), "KHOFMT_CPU=generic /proc/%ld/exe --digests",
			 (long)getpid());
	c = popen(cmd, "r");
	ok(c != NULL, "run the generic kernel: %s", cmd);
	if (c) {
		while (n < NPAT && fgets(line, sizeof(line), c))
			cdig[n++] = strtoull(line, NULL, 16);
		is(pclose(c), 0, "the generic kernel agrees with the oracle too");
	}
	is(n, NPAT, "the generic kernel: a digest per pattern");
	for (p = 0; p < NPAT; p++)
		ok(dig[p] == cdig[p], "%s: generic kernel = this run's kernel "
		   "(%016" PRIx64 ")", patterns[p].name, dig[p]);

	test_hostile(argv[0]);
	test_cache(tmp);
	return done_testing();
}
