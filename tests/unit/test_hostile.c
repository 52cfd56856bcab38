// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Hostile states: a valid state is built with the encoder, copied into a
 * writable image, then one thing is broken (the root FDT, the map pointer,
 * table entries, leaf bits). Each case expects a specific error, and the
 * problem-callback mode must report the problem and keep going.
 *
 * Tree navigation here uses the spec's key layout (doc/ABI.md 4.1.3), not
 * the library: the test finds and edits nodes itself.
 */
#include <libfdt.h>
#include <sys/wait.h>

#include "testutil.h"

#define P 4096u
#define ENTRIES (P / 8)
#define DEPTH 6
#define TBL_LOG2 9
#define LEAF_LOG2 15
#define SCRATCH U64(0x7f00000000)  /* where the test adds its own pages */

/* ---- a writable copy of a memory image ---- */

struct seg {
	uint64_t pa, size;
	unsigned char *buf;
};

struct img {
	struct seg seg[256];
	size_t n;
	uint64_t next_scratch;
};

static void img_free(struct img *im)
{
	size_t i;

	for (i = 0; i < im->n; i++)
		free(im->seg[i].buf);
	im->n = 0;
}

static void img_from_source(struct img *im, struct khofmt_source *src)
{
	const struct khofmt_range *r;
	size_t n, i;

	memset(im, 0, sizeof(*im));
	im->next_scratch = SCRATCH;
	r = khofmt_source_ranges(src, &n);
	if (n > 256)
		bail_out("too many ranges (%zu)", n);
	for (i = 0; i < n; i++) {
		im->seg[i].pa = r[i].start;
		im->seg[i].size = r[i].size;
		im->seg[i].buf = xmalloc(r[i].size);
		if (khofmt_source_read(src, r[i].start, im->seg[i].buf, r[i].size))
			bail_out("cannot read range 0x%" PRIx64, r[i].start);
	}
	im->n = n;
}

static unsigned char *img_ptr(struct img *im, uint64_t pa, uint64_t len)
{
	size_t i;

	for (i = 0; i < im->n; i++)
		if (pa >= im->seg[i].pa && pa - im->seg[i].pa <= im->seg[i].size &&
		    len <= im->seg[i].size - (pa - im->seg[i].pa))
			return im->seg[i].buf + (pa - im->seg[i].pa);
	return NULL;
}

static uint64_t peek(struct img *im, uint64_t pa)
{
	unsigned char *p = img_ptr(im, pa, 8);

	if (!p)
		bail_out("peek 0x%" PRIx64 ": not in image", pa);
	return le64_load(p);
}

static void poke(struct img *im, uint64_t pa, uint64_t v)
{
	unsigned char *p = img_ptr(im, pa, 8);

	if (!p)
		bail_out("poke 0x%" PRIx64 ": not in image", pa);
	le64_store(p, v);
}

static uint64_t img_new_page(struct img *im)
{
	struct seg *s = &im->seg[im->n++];

	if (im->n > 256)
		bail_out("image full");
	s->pa = im->next_scratch;
	s->size = P;
	s->buf = calloc(1, P);
	im->next_scratch += 2 * P; /* never adjacent */
	return s->pa;
}

static struct khofmt_source *img_to_source(struct img *im)
{
	struct khofmt_source *src = NULL;
	size_t i;

	if (khofmt_source_new_mem(&src))
		bail_out("new_mem");
	for (i = 0; i < im->n; i++) {
		void *p;

		if (khofmt_source_mem_add(src, im->seg[i].pa, im->seg[i].size, &p))
			bail_out("mem_add 0x%" PRIx64, im->seg[i].pa);
		memcpy(p, im->seg[i].buf, im->seg[i].size);
	}
	return src;
}

/* ---- spec key layout ---- */

static unsigned key_index(uint64_t key, unsigned level)
{
	if (level == 0)
		return key & ((1u << LEAF_LOG2) - 1);
	return (key >> ((level - 1) * TBL_LOG2 + LEAF_LOG2)) & (ENTRIES - 1);
}

/* Node at @level on the path of @key (DEPTH-1 = root); 0 if absent. */
static uint64_t node_of(struct img *im, uint64_t root, uint64_t key,
			unsigned level)
{
	uint64_t pa = root;
	unsigned l;

	for (l = DEPTH - 1; l > level && pa; l--)
		pa = peek(im, pa + 8 * key_index(key, l));
	return pa;
}

/* Set the leaf bit of @key, creating missing tables/leaf in scratch pages. */
static void set_key(struct img *im, uint64_t root, uint64_t key)
{
	uint64_t pa = root, leaf;
	unsigned l, bit;

	for (l = DEPTH - 1; l >= 1; l--) {
		uint64_t slot = pa + 8 * key_index(key, l), c = peek(im, slot);

		if (!c) {
			c = img_new_page(im);
			poke(im, slot, c);
		}
		pa = c;
	}
	leaf = pa;
	bit = key_index(key, 0);
	poke(im, leaf + 8 * (bit / 64), peek(im, leaf + 8 * (bit / 64)) | (U64(1) << (bit % 64)));
}

/* ---- FDT editing (libfdt) ---- */

static void *fdt_edit(const void *blob, size_t *len, int (*fn)(void *fdt, void *arg),
		      void *arg)
{
	size_t cap = 8192;
	void *buf = xmalloc(cap);

	if (fdt_open_into(blob, buf, (int)cap))
		bail_out("fdt_open_into");
	if (fn(buf, arg))
		bail_out("fdt edit failed");
	fdt_pack(buf);
	*len = fdt_totalsize(buf);
	return buf;
}

struct map_edit {
	uint64_t v;
	int size; /* -1 = delete */
};

static int set_map(void *fdt, void *arg)
{
	struct map_edit *e = arg;
	unsigned char b[8];

	if (e->size < 0)
		return fdt_delprop(fdt, 0, "preserved-memory-map");
	le64_store(b, e->v);
	return fdt_setprop(fdt, 0, "preserved-memory-map", b, e->size);
}

static int set_compat(void *fdt, void *arg)
{
	if (!arg)
		return fdt_delprop(fdt, 0, "compatible");
	return fdt_setprop_string(fdt, 0, "compatible", arg);
}

static int add_bad_subnodes(void *fdt, void *arg)
{
	unsigned char b[8] = { 0 };
	int off;

	(void)arg;
	off = fdt_add_subnode(fdt, 0, "short-pa");
	if (off < 0 || fdt_setprop(fdt, off, "preserved-data", b, 4) ||
	    fdt_setprop(fdt, off, "blob-size", b, 8))
		return -1;
	off = fdt_add_subnode(fdt, 0, "short-size");
	if (off < 0 || fdt_setprop(fdt, off, "preserved-data", b, 8) ||
	    fdt_setprop(fdt, off, "blob-size", b, 3))
		return -1;
	off = fdt_add_subnode(fdt, 0, "bare");
	return off < 0 ? -1 : 0;
}

/* ---- the base state ---- */

static struct fvec base_in;   /* what we added */
static struct fvec base_want; /* + the root FDT page */
static void *base_fdt;
static size_t base_fdt_len;
static uint64_t base_map;
static struct khofmt_source *base_src;

static void build_base(void)
{
	struct khofmt_enc_opts eo = { .sz = sizeof(eo) };
	struct khofmt_enc *enc;
	struct khofmt_fdt *f = NULL;
	uint64_t fdt_pa = 0;
	size_t i;

	/* order 0 (root index 2), order 9 (root index 0), two leaves */
	fv_push(&base_in, 0x40000000, 0);
	fv_push(&base_in, 0x40001000, 0);
	fv_push(&base_in, 0x40100000, 0);
	fv_push(&base_in, 0x48000000, 0); /* next order-0 leaf (128 MiB on) */
	fv_push(&base_in, 0x80000000, 9);
	fv_push(&base_in, 0x80200000, 9);
	if (khofmt_enc_new(&eo, &enc))
		bail_out("enc_new");
	for (i = 0; i < base_in.n; i++)
		if (khofmt_enc_add_folio(enc, base_in.v[i].phys, base_in.v[i].order))
			bail_out("add_folio");
	if (khofmt_enc_finish(enc, &base_src, &base_fdt, &base_fdt_len, &fdt_pa))
		bail_out("enc_finish: %s", khofmt_enc_errmsg(enc));
	khofmt_enc_free(enc);
	if (khofmt_fdt_open(base_fdt, base_fdt_len, &f, NULL, 0))
		bail_out("fdt_open of the base state");
	base_map = khofmt_fdt_map(f);
	khofmt_fdt_free(f);
	fv_copy(&base_want, &base_in);
	fv_push(&base_want, fdt_pa, 0);
	fv_sort_unique(&base_want);
	diag("base state: map 0x%" PRIx64 ", fdt page 0x%" PRIx64 ", %zu entries",
	     base_map, fdt_pa, base_want.n);
}

/* ---- running a decode ---- */

struct problems {
	unsigned n, stop_at;
	int errs[64];
	unsigned levels[64];
};

static int problem_cb(void *arg, const struct khofmt_problem *p)
{
	struct problems *pr = arg;

	if (pr->n < 64) {
		pr->errs[pr->n] = p->err;
		pr->levels[pr->n] = p->level;
	}
	if (pr->n < 6)
		diag("  problem: %s level %u node 0x%" PRIx64 " index %" PRIu64
		     " value 0x%" PRIx64 ": %s", khofmt_strerror(p->err), p->level,
		     p->node_pa, p->index, p->value, p->msg ? p->msg : "(no msg)");
	pr->n++;
	return pr->stop_at && pr->n >= pr->stop_at;
}

static bool saw(const struct problems *pr, int err)
{
	unsigned i;

	for (i = 0; i < pr->n && i < 64; i++)
		if (pr->errs[i] == err)
			return true;
	return false;
}

/*
 * Open @fdt over @src and walk folios; the first negative error of
 * fdt_open / handover_open / walk_folios, or 0. @got gets the folios.
 */
static int decode(const void *fdt, size_t len, struct khofmt_source *src,
		  const struct khofmt_walk_opts *wo, struct fvec *got,
		  const char **stage)
{
	struct khofmt_fdt *f = NULL;
	struct khofmt_handover *h = NULL;
	int rc;

	*stage = "fdt_open";
	rc = khofmt_fdt_open(fdt, len, &f, NULL, 0);
	if (rc < 0)
		goto out;
	*stage = "handover_open";
	rc = khofmt_handover_open(f, src, NULL, &h);
	if (rc < 0)
		goto out;
	*stage = "walk_folios";
	rc = khofmt_walk_folios(h, wo, collect_folio_cb, got);
	if (rc < 0)
		diag("  walk error detail: %s", khofmt_handover_errmsg(h));
out:
	khofmt_handover_free(h);
	khofmt_fdt_free(f);
	return rc;
}

/* Expect error @want from the decode of @im (optionally with a new FDT). */
static void expect_err(const char *what, struct img *im, const void *fdt,
		       size_t len, int want)
{
	struct khofmt_source *src = img_to_source(im);
	struct fvec got = { 0 };
	const char *stage;
	int rc = decode(fdt ? fdt : base_fdt, fdt ? len : base_fdt_len, src, NULL,
			&got, &stage);

	if (!is(rc, want, "%s: %s (%s at %s)", what, khofmt_strerror(want),
		rc < 0 ? khofmt_strerror(rc) : "no error", stage))
		diag("  got %d", rc);
	fv_free(&got);
	khofmt_source_free(src);
}

/* ---- cases ---- */

static void test_fdt_level(void)
{
	unsigned char junk[512];
	struct khofmt_fdt *f = NULL;
	char err[200];
	void *b;
	size_t len, i;
	uint64_t s = 77;
	int rc;

	rc = khofmt_fdt_open(base_fdt, base_fdt_len, &f, err, sizeof(err));
	is(rc, 0, "base FDT opens");
	khofmt_fdt_free(f);

	f = NULL;
	err[0] = 0;
	rc = khofmt_fdt_open(base_fdt, base_fdt_len - 1, &f, err, sizeof(err));
	is(rc, -KHOFMT_ERR_TRUNCATED, "FDT one byte short: TRUNCATED");
	ok(err[0], "... with a detail message (\"%s\")", err);
	rc = khofmt_fdt_open(base_fdt, base_fdt_len / 2, &f, NULL, 0);
	is(rc, -KHOFMT_ERR_TRUNCATED, "FDT cut in half: TRUNCATED");
	rc = khofmt_fdt_open(base_fdt, 40, &f, NULL, 0);
	is(rc, -KHOFMT_ERR_TRUNCATED, "FDT header only (40 bytes): TRUNCATED");
	rc = khofmt_fdt_open(base_fdt, 20, &f, NULL, 0);
	ok(rc == -KHOFMT_ERR_TRUNCATED || rc == -KHOFMT_ERR_BADFDT,
	   "FDT shorter than a header: TRUNCATED or BADFDT (%s)", khofmt_strerror(rc));
	rc = khofmt_fdt_open(base_fdt, 0, &f, NULL, 0);
	ok(rc < 0, "FDT of 0 bytes: error (%s)", khofmt_strerror(rc));

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)splitmix64(&s);
	rc = khofmt_fdt_open(junk, sizeof(junk), &f, NULL, 0);
	is(rc, -KHOFMT_ERR_BADFDT, "FDT of random bytes: BADFDT");
	memset(junk, 0, sizeof(junk));
	rc = khofmt_fdt_open(junk, sizeof(junk), &f, NULL, 0);
	is(rc, -KHOFMT_ERR_BADFDT, "FDT of zeros: BADFDT");

	/* valid magic and size, structure block pointing outside */
	b = xmalloc(base_fdt_len);
	memcpy(b, base_fdt, base_fdt_len);
	fdt_set_off_dt_struct(b, (uint32_t)base_fdt_len - 4);
	rc = khofmt_fdt_open(b, base_fdt_len, &f, NULL, 0);
	is(rc, -KHOFMT_ERR_BADFDT, "FDT with off_dt_struct near the end: BADFDT");
	memcpy(b, base_fdt, base_fdt_len);
	/* corrupt the first structure token */
	memset((char *)b + fdt_off_dt_struct(b), 0xee, 4);
	rc = khofmt_fdt_open(b, base_fdt_len, &f, NULL, 0);
	is(rc, -KHOFMT_ERR_BADFDT, "FDT with a bad structure token: BADFDT");
	memcpy(b, base_fdt, base_fdt_len);
	fdt_set_totalsize(b, 4096);
	rc = khofmt_fdt_open(b, base_fdt_len, &f, NULL, 0);
	is(rc, -KHOFMT_ERR_TRUNCATED, "FDT totalsize 4096, %zu bytes given: TRUNCATED",
	   base_fdt_len);
	fdt_set_totalsize(b, 0x7fffffff);
	rc = khofmt_fdt_open(b, base_fdt_len, &f, NULL, 0);
	/* also more than a page, which no producer writes: either code is fair */
	ok(rc == -KHOFMT_ERR_TRUNCATED || rc == -KHOFMT_ERR_BADFDT,
	   "FDT totalsize 2 GiB, %zu bytes given: TRUNCATED or BADFDT (%s)",
	   base_fdt_len, khofmt_strerror(rc));
	free(b);

	/* stale tail after totalsize is fine, flagged */
	b = xmalloc(base_fdt_len + 64);
	memcpy(b, base_fdt, base_fdt_len);
	memset((char *)b + base_fdt_len, 0xcc, 64);
	f = NULL;
	rc = khofmt_fdt_open(b, base_fdt_len + 64, &f, NULL, 0);
	if (is(rc, 0, "FDT with 64 trailing bytes opens"))
		ok(khofmt_fdt_flags(f) & KHOFMT_FDT_TRAILING, "... flagged TRAILING");
	khofmt_fdt_free(f);
	free(b);

	/* compatible strings */
	b = fdt_edit(base_fdt, &len, set_compat, "kho-v9");
	f = NULL;
	rc = khofmt_fdt_open(b, len, &f, NULL, 0);
	is(rc, -KHOFMT_ERR_COMPAT, "compatible \"kho-v9\": COMPAT");
	if (ok(f != NULL, "... the fdt object is still handed out"))
		is_str(khofmt_fdt_compatible(f), "kho-v9", "... and keeps the string");
	khofmt_fdt_free(f);
	free(b);
	b = fdt_edit(base_fdt, &len, set_compat, NULL);
	f = NULL;
	rc = khofmt_fdt_open(b, len, &f, NULL, 0);
	is(rc, -KHOFMT_ERR_COMPAT, "no compatible: COMPAT");
	khofmt_fdt_free(f);
	free(b);

	/* older radix generations decode the same tree */
	{
		static const char *const names[] = { "kho-v2", "kho-v3" };
		static const enum khofmt_abi abis[] = { KHOFMT_ABI_V2, KHOFMT_ABI_V3 };

		for (i = 0; i < 2; i++) {
			struct fvec got = { 0 };
			const char *stage;

			b = fdt_edit(base_fdt, &len, set_compat, (void *)names[i]);
			f = NULL;
			rc = khofmt_fdt_open(b, len, &f, NULL, 0);
			ok(rc == 0 && khofmt_fdt_abi(f) == abis[i], "compatible %s: abi %s",
			   names[i], khofmt_abi_name(abis[i]));
			khofmt_fdt_free(f);
			rc = decode(b, len, base_src, NULL, &got, &stage);
			fv_sort_unique(&got);
			ok(rc == 0 && fv_equal_diag(&got, &base_want),
			   "compatible %s: same radix tree decodes (%s)", names[i],
			   khofmt_strerror(rc));
			fv_free(&got);
			free(b);
		}
	}

	/* subnodes with bad property sizes are reported, not fatal */
	b = fdt_edit(base_fdt, &len, add_bad_subnodes, NULL);
	f = NULL;
	rc = khofmt_fdt_open(b, len, &f, NULL, 0);
	if (is(rc, 0, "FDT with malformed subnodes opens")) {
		const struct khofmt_subnode *sp = khofmt_fdt_subnode_by_name(f, "short-pa");
		const struct khofmt_subnode *ss = khofmt_fdt_subnode_by_name(f, "short-size");
		const struct khofmt_subnode *sb = khofmt_fdt_subnode_by_name(f, "bare");

		ok(sp && sp->bad_pa && !sp->has_pa && sp->has_size,
		   "4-byte preserved-data: bad_pa");
		ok(ss && ss->bad_size && !ss->has_size && ss->has_pa,
		   "3-byte blob-size: bad_size");
		ok(sb && !sb->has_pa && !sb->has_size && !sb->bad_pa && !sb->bad_size &&
		   sb->nprops == 0, "subnode without properties");
		is(khofmt_fdt_nsubnodes(f), 3, "three subnodes");
	}
	khofmt_fdt_free(f);
	free(b);
}

static void test_map(void)
{
	struct img im;
	void *b;
	size_t len;
	struct map_edit e;

	img_from_source(&im, base_src);

	e = (struct map_edit){ U64(0x700000000000), 8 };
	b = fdt_edit(base_fdt, &len, set_map, &e);
	expect_err("map pointing outside the source", &im, b, len, -KHOFMT_ERR_NOTCOVERED);
	free(b);

	{
		struct khofmt_fdt *f = NULL;

		e = (struct map_edit){ 0, -1 };
		b = fdt_edit(base_fdt, &len, set_map, &e);
		if (is(khofmt_fdt_open(b, len, &f, NULL, 0), 0,
		       "FDT without preserved-memory-map parses"))
			ok(!khofmt_fdt_has_map(f), "... has_map is false");
		khofmt_fdt_free(f);
		expect_err("missing preserved-memory-map", &im, b, len, -KHOFMT_ERR_BADPROP);
		free(b);
	}

	e = (struct map_edit){ base_map, 4 };
	b = fdt_edit(base_fdt, &len, set_map, &e);
	expect_err("4-byte preserved-memory-map", &im, b, len, -KHOFMT_ERR_BADPROP);
	free(b);

	e = (struct map_edit){ 0, 8 };
	b = fdt_edit(base_fdt, &len, set_map, &e);
	{
		struct khofmt_source *src = img_to_source(&im);
		struct fvec got = { 0 };
		const char *stage;
		int rc = decode(b, len, src, NULL, &got, &stage);

		ok(rc < 0 && rc > -KHOFMT_ERR_MAX, "map = 0 (kho-v4 needs a root): %s at %s",
		   khofmt_strerror(rc), stage);
		fv_free(&got);
		khofmt_source_free(src);
	}
	free(b);

	e = (struct map_edit){ base_map + 8, 8 };
	b = fdt_edit(base_fdt, &len, set_map, &e);
	expect_err("map not page-aligned", &im, b, len, -KHOFMT_ERR_STRUCT);
	free(b);
	img_free(&im);
}

static void test_tree(void)
{
	struct img im;
	uint64_t k0 = ref_key(12, 0x40000000, 0);   /* root index 2 */
	uint64_t k9 = ref_key(12, 0x80000000, 9);   /* root index 0 */
	uint64_t l4, l1, leaf;
	unsigned i, free_root = 0;

	/* sanity of the test's own navigation on the untouched image */
	img_from_source(&im, base_src);
	ok(key_index(k0, 5) == 2 && key_index(k9, 5) == 0, "spec: root indices 2 and 0");
	leaf = node_of(&im, base_map, k0, 0);
	ok(leaf && (peek(&im, leaf + 8 * (key_index(k0, 0) / 64)) >>
		    (key_index(k0, 0) % 64) & 1),
	   "test navigation finds the leaf bit of 0x40000000/0");
	for (i = 1; i < 4; i++)
		if (i != 2 && !peek(&im, base_map + 8 * i))
			free_root = i;
	ok(free_root, "root has a free valid index (%u)", free_root);
	img_free(&im);

	/* a valid extra entry through the same machinery is decoded */
	{
		struct khofmt_source *src;
		struct fvec got = { 0 }, want = { 0 };
		const char *stage;
		int rc;

		img_from_source(&im, base_src);
		set_key(&im, base_map, ref_key(12, U64(0x2000000000), 7));
		src = img_to_source(&im);
		rc = decode(base_fdt, base_fdt_len, src, NULL, &got, &stage);
		fv_copy(&want, &base_want);
		fv_push(&want, U64(0x2000000000), 7);
		fv_sort_unique(&want);
		fv_sort_unique(&got);
		ok(rc == 0 && fv_equal_diag(&got, &want),
		   "an entry poked in by the test is decoded (%s)", khofmt_strerror(rc));
		fv_free(&got);
		fv_free(&want);
		khofmt_source_free(src);
		img_free(&im);
	}

	/* cycle: an L4 table entry pointing back at the root */
	img_from_source(&im, base_src);
	l4 = node_of(&im, base_map, k9, 4);
	poke(&im, l4 + 8 * 300, base_map);
	expect_err("L4 entry pointing back to the root", &im, NULL, 0, -KHOFMT_ERR_LOOP);
	img_free(&im);

	/* cycle deeper: an L1 entry (a leaf pointer) pointing at the root */
	img_from_source(&im, base_src);
	l1 = node_of(&im, base_map, k0, 1);
	poke(&im, l1 + 8 * 400, base_map);
	expect_err("L1 entry pointing at the root", &im, NULL, 0, -KHOFMT_ERR_LOOP);
	img_free(&im);

	/* two root entries sharing one child */
	img_from_source(&im, base_src);
	poke(&im, base_map + 8 * free_root, peek(&im, base_map + 8 * 2));
	expect_err("two root entries pointing at the same child", &im, NULL, 0,
		   -KHOFMT_ERR_LOOP);
	img_free(&im);

	/* two L1 entries sharing one leaf */
	img_from_source(&im, base_src);
	l1 = node_of(&im, base_map, k0, 1);
	leaf = peek(&im, l1 + 8 * key_index(k0, 1));
	poke(&im, l1 + 8 * ((key_index(k0, 1) + 7) % ENTRIES), leaf);
	expect_err("two L1 entries pointing at the same leaf", &im, NULL, 0,
		   -KHOFMT_ERR_LOOP);
	img_free(&im);

	/* a table used at two levels: L2 entry pointing at an L3 table */
	img_from_source(&im, base_src);
	{
		uint64_t l2 = node_of(&im, base_map, k0, 2);
		uint64_t l3 = node_of(&im, base_map, k0, 3);

		poke(&im, l2 + 8 * ((key_index(k0, 2) + 1) % ENTRIES), l3);
	}
	expect_err("L2 entry pointing at its parent L3 table", &im, NULL, 0,
		   -KHOFMT_ERR_LOOP);
	img_free(&im);

	/* the all-zero key */
	img_from_source(&im, base_src);
	set_key(&im, base_map, 0);
	expect_err("leaf bit at the all-zero key", &im, NULL, 0, -KHOFMT_ERR_BADKEY);
	img_free(&im);

	/* root index >= 4: keys wider than KEY_BITS */
	img_from_source(&im, base_src);
	set_key(&im, base_map, (U64(4) << 51) | 12345);
	expect_err("leaf bit under root index 4", &im, NULL, 0, -KHOFMT_ERR_BADKEY);
	img_free(&im);
	img_from_source(&im, base_src);
	set_key(&im, base_map, (U64(511) << 51) | 1);
	expect_err("leaf bit under root index 511", &im, NULL, 0, -KHOFMT_ERR_BADKEY);
	img_free(&im);

	/* child pointers that cannot be read */
	img_from_source(&im, base_src);
	l1 = node_of(&im, base_map, k0, 1);
	poke(&im, l1 + 8 * 5, U64(0x6000000000));
	expect_err("leaf pointer outside the source", &im, NULL, 0, -KHOFMT_ERR_NOTCOVERED);
	img_free(&im);

	img_from_source(&im, base_src);
	poke(&im, base_map + 8 * 2, peek(&im, base_map + 8 * 2) + 8);
	expect_err("table pointer not page-aligned", &im, NULL, 0, -KHOFMT_ERR_STRUCT);
	img_free(&im);
}

/* Problem-callback mode: report, skip, continue. */
static void test_problem_mode(void)
{
	struct khofmt_walk_opts wo = { .sz = sizeof(wo), .problem = problem_cb };
	struct problems pr = { 0 };
	struct khofmt_source *src;
	struct khofmt_fdt *f = NULL;
	struct khofmt_handover *h = NULL;
	struct khofmt_stats st;
	struct fvec got = { 0 };
	struct rvec gr = { 0 }, wr = { 0 };
	struct img im;
	uint64_t k0 = ref_key(12, 0x40000000, 0), l1;
	int rc;

	img_from_source(&im, base_src);
	set_key(&im, base_map, 0);                           /* BADKEY */
	set_key(&im, base_map, (U64(4) << 51) | 99);         /* BADKEY */
	l1 = node_of(&im, base_map, k0, 1);
	poke(&im, l1 + 8 * 5, U64(0x6000000000));            /* NOTCOVERED */
	src = img_to_source(&im);
	img_free(&im);

	if (khofmt_fdt_open(base_fdt, base_fdt_len, &f, NULL, 0) ||
	    khofmt_handover_open(f, src, NULL, &h))
		bail_out("open for problem mode");

	rc = khofmt_walk_folios(h, NULL, collect_folio_cb, &got);
	ok(rc < 0, "without a callback the walk stops with an error (%s)", khofmt_strerror(rc));
	got.n = 0;

	wo.problem_arg = &pr;
	rc = khofmt_walk_folios(h, &wo, collect_folio_cb, &got);
	is(rc, 0, "walk_folios with a problem callback completes");
	ok(pr.n >= 3, "... %u problems reported (>= 3)", pr.n);
	ok(saw(&pr, -KHOFMT_ERR_BADKEY), "... BADKEY reported");
	ok(saw(&pr, -KHOFMT_ERR_NOTCOVERED), "... NOTCOVERED reported");
	fv_sort_unique(&got);
	ok(fv_equal_diag(&got, &base_want), "... every valid entry still delivered");

	memset(&pr, 0, sizeof(pr));
	memset(&st, 0, sizeof(st));
	rc = khofmt_stats(h, &wo, &st);
	ok(rc == 0 && st.folios == base_want.n, "stats with a callback: %" PRIu64
	   " folios (%s), %u problems", st.folios, khofmt_strerror(rc), pr.n);

	memset(&pr, 0, sizeof(pr));
	rc = khofmt_walk_ranges(h, &wo, collect_range_cb, &gr);
	ref_coalesce(&base_want, 12, &wr);
	ok(rc == 0 && pr.n >= 3 && rv_equal_diag(&gr, &wr),
	   "walk_ranges with a callback: valid ranges, %u problems", pr.n);

	memset(&pr, 0, sizeof(pr));
	pr.stop_at = 1;
	got.n = 0;
	rc = khofmt_walk_folios(h, &wo, collect_folio_cb, &got);
	ok(rc != 0 && pr.n == 1, "callback returning non-zero stops the walk "
	   "(rc %d, %u problems)", rc, pr.n);

	khofmt_handover_free(h);
	khofmt_fdt_free(f);
	khofmt_source_free(src);
	fv_free(&got);
	rv_free(&gr);
	rv_free(&wr);

	/* a shared leaf in callback mode: LOOP reported, entries once */
	img_from_source(&im, base_src);
	{
		uint64_t leaf;

		l1 = node_of(&im, base_map, k0, 1);
		leaf = peek(&im, l1 + 8 * key_index(k0, 1));
		poke(&im, l1 + 8 * ((key_index(k0, 1) + 7) % ENTRIES), leaf);
	}
	src = img_to_source(&im);
	img_free(&im);
	memset(&pr, 0, sizeof(pr));
	got = (struct fvec){ 0 };
	f = NULL;
	h = NULL;
	if (khofmt_fdt_open(base_fdt, base_fdt_len, &f, NULL, 0) ||
	    khofmt_handover_open(f, src, NULL, &h))
		bail_out("open for problem mode (loop)");
	rc = khofmt_walk_folios(h, &wo, collect_folio_cb, &got);
	ok(rc == 0 && saw(&pr, -KHOFMT_ERR_LOOP), "shared leaf with a callback: LOOP "
	   "reported, walk completes (%s)", khofmt_strerror(rc));
	{
		size_t before = got.n;

		fv_sort_unique(&got);
		ok(before == got.n && fv_equal_diag(&got, &base_want),
		   "... the shared leaf is not decoded twice");
	}
	khofmt_handover_free(h);
	khofmt_fdt_free(f);
	khofmt_source_free(src);
	fv_free(&got);
}

/* ---- seeded fuzzing: random corruption, only clean results allowed ---- */

static bool clean(int rc)
{
	return rc >= 0 || rc > -KHOFMT_ERR_MAX;
}

static int quiet_problem(void *arg, const struct khofmt_problem *p)
{
	unsigned *n = arg;

	(*n)++;
	return !(p->err < 0 && p->err > -KHOFMT_ERR_MAX); /* stop on nonsense */
}

static int count_folio(void *arg, uint64_t phys, unsigned order)
{
	(void)phys, (void)order;
	++*(uint64_t *)arg;
	return 0;
}

static int count_range(void *arg, uint64_t start, uint64_t size)
{
	(void)start, (void)size;
	++*(uint64_t *)arg;
	return 0;
}

/* Decode in every mode; 0 if all results were clean codes. */
static int decode_all(const void *fdt, size_t len, struct khofmt_source *src)
{
	struct khofmt_fdt *f = NULL;
	struct khofmt_handover *h = NULL;
	unsigned probs = 0;
	struct khofmt_walk_opts wo = { .sz = sizeof(wo), .problem = quiet_problem,
				       .problem_arg = &probs };
	struct khofmt_stats st;
	uint64_t n = 0;
	int rc, bad = 0;

	rc = khofmt_fdt_open(fdt, len, &f, NULL, 0);
	bad |= !clean(rc);
	if (rc < 0) {
		khofmt_fdt_free(f);
		return bad;
	}
	rc = khofmt_handover_open(f, src, NULL, &h);
	bad |= !clean(rc);
	if (rc >= 0) {
		bad |= !clean(khofmt_walk_folios(h, NULL, count_folio, &n));
		bad |= !clean(khofmt_walk_folios(h, &wo, count_folio, &n));
		bad |= !clean(khofmt_walk_ranges(h, NULL, count_range, &n));
		bad |= !clean(khofmt_walk_ranges(h, &wo, count_range, &n));
		bad |= !clean(khofmt_stats(h, NULL, &st));
		bad |= !clean(khofmt_stats(h, &wo, &st));
		rc = khofmt_walk_ranges(h, &wo, count_range, &n);
		bad |= rc > 0; /* our callbacks never stop a walk */
	}
	khofmt_handover_free(h);
	khofmt_fdt_free(f);
	return bad;
}

static void mutate(struct img *im, uint64_t *s, char *what, size_t wlen)
{
	unsigned kind = (unsigned)rnd_below(s, 7);
	size_t si = (size_t)rnd_below(s, im->n);
	struct seg *sg = &im->seg[si];
	uint64_t off = rnd_below(s, sg->size / 8) * 8, v = 0;
	struct seg *other = &im->seg[rnd_below(s, im->n)];

	switch (kind) {
	case 0: v = splitmix64(s); break;                            /* junk */
	case 1: v = other->pa + rnd_below(s, other->size / P) * P; break; /* another page */
	case 2: v = base_map; break;                                 /* the root */
	case 3: v = le64_load(sg->buf + off) ^ (U64(1) << rnd_below(s, 64)); break;
	case 4: v = 0; break;                                        /* cut a branch */
	case 5: v = U64(1) << rnd_below(s, 64); break;               /* one bit anywhere */
	case 6: /* drop the end of a segment: the image shrinks */
		if (sg->size > P) {
			sg->size -= P;
			snprintf(what, wlen, "shrink segment 0x%" PRIx64, sg->pa);
			return;
		}
		v = ~U64(0);
		break;
	}
	le64_store(sg->buf + off, v);
	snprintf(what, wlen, "kind %u: 0x%" PRIx64 " := 0x%" PRIx64, kind, sg->pa + off, v);
}

/* One fuzz case in a child process: a crash is reported, not fatal. */
static bool fuzz_one(uint64_t seed, unsigned nmut, bool fdt_too, char *what, size_t wlen)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		struct img im;
		struct khofmt_source *src;
		unsigned char *fdt = xmalloc(base_fdt_len);
		char w[200];
		unsigned k;
		int bad;

		img_from_source(&im, base_src);
		memcpy(fdt, base_fdt, base_fdt_len);
		for (k = 0; k < nmut; k++)
			mutate(&im, &seed, w, sizeof(w));
		if (fdt_too) {
			for (k = 0; k < 1 + rnd_below(&seed, 6); k++)
				fdt[rnd_below(&seed, base_fdt_len)] = (unsigned char)splitmix64(&seed);
		}
		src = img_to_source(&im);
		bad = decode_all(fdt, base_fdt_len, src);
		khofmt_source_free(src);
		img_free(&im);
		free(fdt);
		_exit(bad ? 3 : 0);
	}
	if (waitpid(pid, &st, 0) < 0)
		bail_out("waitpid");
	if (WIFSIGNALED(st))
		snprintf(what, wlen, "killed by signal %d", WTERMSIG(st));
	else if (WEXITSTATUS(st) == 3)
		snprintf(what, wlen, "a result outside the error codes");
	else if (WEXITSTATUS(st))
		snprintf(what, wlen, "exit %d", WEXITSTATUS(st));
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_fuzz(unsigned iters)
{
	unsigned i, bad = 0, bad_fdt = 0;
	char what[200];

	for (i = 0; i < iters; i++) {
		uint64_t seed = 0xf022000000ULL + i;

		if (!fuzz_one(seed, 1 + (unsigned)(i % 4), false, what, sizeof(what)) &&
		    bad++ < 5)
			diag("fuzz tree seed 0x%" PRIx64 " (%u mutations): %s", seed,
			     1 + i % 4, what);
	}
	ok(bad == 0, "fuzz: %u corrupted trees, every decode mode gives 0 or an error code", iters);
	for (i = 0; i < iters / 2; i++) {
		uint64_t seed = 0xf0d7000000ULL + i;

		if (!fuzz_one(seed, i % 2, true, what, sizeof(what)) && bad_fdt++ < 5)
			diag("fuzz fdt seed 0x%" PRIx64 ": %s", seed, what);
	}
	ok(bad_fdt == 0, "fuzz: %u corrupted root FDTs, no crash, clean results", iters / 2);
}

int main(void)
{
	build_base();
	test_fdt_level();
	test_map();
	test_tree();
	test_problem_mode();
	{
		const char *e = getenv("KHO_TEST_SMALL");

		test_fuzz(e && *e && strcmp(e, "0") ? 150 : 1500);
	}
	khofmt_source_free(base_src);
	free(base_fdt);
	fv_free(&base_in);
	fv_free(&base_want);
	return done_testing();
}
