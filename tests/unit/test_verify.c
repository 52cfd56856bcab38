// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * verify: a mutation suite. A valid handover is synthesized with the
 * encoder (folios of several orders, a memblock sub-FDT whose region is
 * preserved, LUO and kexec-metadata blobs), checked clean, then each kind
 * of fault is injected (before encoding, into the tracker pages, into the
 * root FDT, or into the caller's RAM/scratch inputs) and verify must
 * report exactly the expected rule at the expected address, with no other
 * error. The expected addresses are where the test put the fault, not
 * verify's output. Random combinations of independent faults follow.
 * The real 7.2.13 capture is checked in tests/cli/verify.sh.
 */
#include <libfdt.h>

#include "testutil.h"

#define P U64(0x1000)
#define RAM_END U64(0x200000000)          /* RAM [0, 8 GiB) */
#define SCR U64(0x40000000)               /* scratch [1 GiB, +64 MiB) */
#define SCR_SIZE U64(0x4000000)
#define DATA U64(0x100000000)             /* folios from 4 GiB */
#define OUTSIDE U64(0x300000000)          /* beyond RAM */
#define REGION (DATA + 0x1000000)         /* the reserve_mem region */
#define NOADDR UINT64_MAX

enum mut {
	M_NONE,
	/* before encoding */
	M_OVERLAP, M_OUTRAM, M_INSCRATCH, M_BLOB_UNPRESERVED, M_BLOB_ZERO,
	M_BLOB_BEYOND, M_BLOB_UNREADABLE, M_MB_REGION, M_MB_SCHEMA,
	M_LUO_SHORT, M_KM_SHORT, M_KM_VERSION, M_ORDER0, M_BLOB_HUGE,
	M_FDTSIZE,
	/* tracker pages */
	M_TRK_SCRATCH, M_TRK_OUTRAM, M_TRK_PRESERVED, M_CYCLE, M_SHARED,
	M_ROOTKEY, M_LEAFKEY, M_MISALIGNED, M_MISSING,
	/* sub-blob bytes */
	M_SUBFDT_BAD,
	/* root FDT */
	M_TRUNC, M_COMPAT, M_MAP_ALIGN, M_MAP_RAM, M_MAP_ZERO, M_NOMAP,
	M_INVALID, M_SUBPTR, M_SUBSIZE, M_LAYOUT, M_EXTRA, M_TRAILING, M_V1,
	/* caller inputs */
	M_FDTPAGE, M_SCR_OVERLAP, M_SCR_RAM, M_SCR_ALIGN, M_SCR_EMPTY,
	M_NORAM, M_NOSCRATCH, M_NOSRC,
	M_COUNT
};

struct st {
	struct khofmt_source *src;
	void *fdt;
	size_t len;
	uint64_t fdt_pa;
	uint64_t fault;		/* where the fault was put */
	struct khofmt_range ram[1], scr[3];
	size_t nram, nscr;
	bool has_ram, has_scratch, no_src, has_fdt_pa;
	uint64_t fdt_pa_opt;
};

/* Setup steps: a failure is a broken test, not a finding. */
#define CK(cond, ...) do { if (!(cond)) bail_out(__VA_ARGS__); } while (0)

/* ---- building blocks ---- */

static void *make_memblock(const char *compat, uint64_t start, uint64_t size,
			   size_t *len)
{
	void *b = xmalloc(4096);
	uint64_t s = htole64(start), z = htole64(size);
	int n;

	if (fdt_create_empty_tree(b, 4096) ||
	    fdt_setprop_string(b, 0, "compatible", compat) ||
	    (n = fdt_add_subnode(b, 0, "sample")) < 0 ||
	    fdt_setprop_string(b, n, "compatible", "reserve-mem-v1") ||
	    fdt_setprop(b, n, "start", &s, 8) || fdt_setprop(b, n, "size", &z, 8) ||
	    fdt_pack(b))
		bail_out("building the memblock FDT");
	*len = fdt_totalsize(b);
	return b;
}

static void add_blobs(struct khofmt_enc *e, enum mut m)
{
	unsigned char luo[32] = { 0 }, km[73] = { 0 }, flbhdr[16] = { 1 };
	uint64_t flb;
	uint64_t start = m == M_MB_REGION ? DATA + 0x3000000 : REGION;
	size_t len;
	void *mb = make_memblock(m == M_MB_SCHEMA ? "memblock-v0" : "memblock-v1",
				 start, 0x4000, &len);
	uint32_t v = htole32(m == M_KM_VERSION ? 2 : 1), cnt = htole32(1);

	memcpy(km, &v, 4);
	memcpy(km + 4, "7.2.13", 6);
	memcpy(km + 69, &cnt, 4);
	if (m == M_FDTSIZE) {
		/* the FDT placed by hand, blob-size 8 bytes short */
		CK(!khofmt_enc_add_folio(e, DATA + 0xe00000, 0), "add folio");
		CK(!khofmt_enc_add_subnode(e, "memblock", DATA + 0xe00000,
					   len - 8), "add memblock subnode");
	} else {
		CK(!khofmt_enc_add_blob(e, "memblock", mb, len, NULL), "add memblock");
	}
	free(mb);
	/* a minimal valid luo-v5 root: no sessions, an empty FLB page */
	CK(!khofmt_enc_alloc(e, 0, &flb) && !khofmt_enc_write(e, flb, flbhdr, 16),
	   "FLB page");
	memcpy(luo, "luo-v5", 6);
	flb = htole64(flb);
	memcpy(luo + 24, &flb, 8);
	CK(!khofmt_enc_add_blob(e, "LUO", luo, m == M_LUO_SHORT ? 16 : 32, NULL),
	   "add LUO");
	CK(!khofmt_enc_add_blob(e, "kexec-metadata", km,
				m == M_KM_SHORT ? 60 : 73, NULL), "add kexec-metadata");
}

static int node_cb(void *arg, uint64_t pa, unsigned level)
{
	uint64_t *v = arg;	/* [0]=n, then pairs (pa, level) */

	if (v[0] < 64) {
		v[1 + 2 * v[0]] = pa;
		v[2 + 2 * v[0]] = level;
		v[0]++;
	}
	return 0;
}

static unsigned char *page_w(struct khofmt_source *src, uint64_t pa)
{
	const void *p = khofmt_source_ptr(src, pa, P);

	if (!p)
		bail_out("page 0x%" PRIx64 " not in the source", pa);
	return (unsigned char *)(uintptr_t)p;	/* in-memory image: ours */
}

/* Root, the first level-1 table and its first leaf child. */
static void find_nodes(struct st *s, uint64_t *root, uint64_t *l1,
		       uint64_t *leaf)
{
	struct khofmt_fdt *f;
	struct khofmt_handover *h;
	uint64_t v[1 + 128] = { 0 }, i;

	if (khofmt_fdt_open(s->fdt, s->len, &f, NULL, 0) ||
	    khofmt_handover_open(f, s->src, NULL, &h))
		bail_out("opening the synthesized state");
	khofmt_walk_nodes(h, NULL, node_cb, v);
	*root = v[1];
	*l1 = *leaf = 0;
	for (i = 0; i < v[0]; i++) {
		if (v[2 + 2 * i] == 1 && !*l1)
			*l1 = v[1 + 2 * i];
		if (v[2 + 2 * i] == 0 && *l1 && !*leaf && i &&
		    v[1 + 2 * (i - 1)] == *l1)
			*leaf = v[1 + 2 * i];
	}
	khofmt_handover_free(h);
	khofmt_fdt_free(f);
	if (!*l1 || !*leaf)
		bail_out("no level-1 table with a leaf");
}

/* Index of @child in table @t, or of its first free entry (@child 0). */
static size_t slot_of(const unsigned char *t, uint64_t child)
{
	size_t i;

	for (i = 0; i < P / 8; i++) {
		uint64_t x;

		memcpy(&x, t + 8 * i, 8);
		if (le64toh(x) == child)
			return i;
	}
	bail_out("no slot 0x%" PRIx64, child);
	return 0;
}

static void set_entry(unsigned char *t, size_t i, uint64_t v)
{
	v = htole64(v);
	memcpy(t + 8 * i, &v, 8);
}

/* Move the leaf to @to (added to the image) and repoint its parent. */
static void move_leaf(struct st *s, uint64_t to)
{
	uint64_t root, l1, leaf;
	void *d;

	find_nodes(s, &root, &l1, &leaf);
	if (khofmt_source_mem_add(s->src, to, P, &d))
		bail_out("mem_add 0x%" PRIx64, to);
	memcpy(d, page_w(s->src, leaf), P);
	set_entry(page_w(s->src, l1), slot_of(page_w(s->src, l1), leaf), to);
	memset(page_w(s->src, leaf), 0, P);
}

/*
 * A leaf whose key is order 0 with pfn 2^45 (physical address beyond 52
 * bits): every table on the way is created at @base.
 */
static uint64_t add_bad_leaf(struct st *s, uint64_t root, uint64_t base)
{
	uint64_t key = (U64(1) << 52) | (U64(1) << 45), t = root;
	unsigned level, shift;
	void *d;

	for (level = 5; level >= 1; level--) {
		uint64_t idx, x;
		unsigned char *tp = page_w(s->src, t);

		shift = (level - 1) * 9 + 15;
		idx = (key >> shift) & 511;
		memcpy(&x, tp + 8 * idx, 8);
		x = le64toh(x);
		if (!x) {
			x = base;
			base += P;
			if (khofmt_source_mem_add(s->src, x, P, &d))
				bail_out("mem_add");
			set_entry(tp, idx, x);
		}
		t = x;
	}
	page_w(s->src, t)[0] |= 0x20;	/* bit 5 */
	return t;
}

static void *fdt_prop_w(struct st *s, const char *path, const char *name)
{
	int node = fdt_path_offset(s->fdt, path), len;
	void *p = node < 0 ? NULL : fdt_getprop_w(s->fdt, node, name, &len);

	if (!p)
		bail_out("no %s in %s", name, path);
	return p;
}

/* Give the root FDT room for more properties. */
static void fdt_grow(struct st *s)
{
	void *n = xmalloc(s->len + 512);

	if (fdt_open_into(s->fdt, n, (int)s->len + 512))
		bail_out("fdt_open_into");
	free(s->fdt);
	s->fdt = n;
	s->len += 512;
}

static void build(struct st *s, uint64_t muts)
{
	struct khofmt_enc *e;
	uint64_t root, l1, leaf, map;
	void *d;
	size_t i;

#define HAS(m) (muts & (U64(1) << (m)))
	memset(s, 0, sizeof(*s));
	s->fault = NOADDR;
	if (khofmt_enc_new(NULL, &e))
		bail_out("enc_new");
	/* the valid state */
	CK(!khofmt_enc_add_range(e, DATA, 0x200000), "add 2 MiB range");
	CK(!khofmt_enc_add_folio(e, DATA + 0x400000, 3), "add order-3 folio");
	CK(!khofmt_enc_add_folio(e, DATA + 0x800000, 0), "add order-0 folio");
	CK(!khofmt_enc_add_folio(e, DATA + 0x801000, 0), "add order-0 folio");
	CK(!khofmt_enc_add_range(e, REGION, 0x4000), "add the reserve_mem region");
	add_blobs(e, HAS(M_MB_REGION) ? M_MB_REGION : HAS(M_MB_SCHEMA) ? M_MB_SCHEMA :
		  HAS(M_LUO_SHORT) ? M_LUO_SHORT : HAS(M_KM_SHORT) ? M_KM_SHORT :
		  HAS(M_KM_VERSION) ? M_KM_VERSION : HAS(M_FDTSIZE) ? M_FDTSIZE : M_NONE);

	if (HAS(M_OVERLAP)) {	/* inside the order-3 folio */
		s->fault = DATA + 0x402000;
		CK(!khofmt_enc_add_folio(e, s->fault, 0), "fault: overlap");
	}
	if (HAS(M_OUTRAM))
		CK(!khofmt_enc_add_folio(e, s->fault = OUTSIDE, 0), "fault: out of RAM");
	if (HAS(M_INSCRATCH))
		CK(!khofmt_enc_add_folio(e, s->fault = SCR + 0x10000, 0), "fault: in scratch");
	if (HAS(M_BLOB_UNPRESERVED))
		CK(!khofmt_enc_add_subnode(e, "extra", s->fault = U64(0x20000000), 64),
		   "fault: unpreserved blob");
	if (HAS(M_BLOB_ZERO)) {
		CK(!khofmt_enc_add_folio(e, s->fault = DATA + 0x900000, 0), "folio");
		CK(!khofmt_enc_add_subnode(e, "zero", s->fault, 0), "fault: blob-size 0");
	}
	if (HAS(M_BLOB_BEYOND)) {
		CK(!khofmt_enc_add_folio(e, s->fault = DATA + 0xa00000, 0), "folio");
		CK(!khofmt_enc_add_subnode(e, "big", s->fault, 2 * P),
		   "fault: blob-size beyond the preserved page");
	}
	if (HAS(M_BLOB_UNREADABLE)) {
		CK(!khofmt_enc_add_folio(e, s->fault = DATA + 0xb00000, 0), "folio");
		CK(!khofmt_enc_add_subnode(e, "gone", s->fault, 64),
		   "fault: blob not in the image");
	}
	if (HAS(M_BLOB_HUGE)) {
		CK(!khofmt_enc_add_range(e, s->fault = DATA + 0x2000000, 0x800000),
		   "8 MiB range");
		CK(!khofmt_enc_add_subnode(e, "huge", s->fault, 0x800000),
		   "fault: 8 MiB blob");
	}
	if (HAS(M_ORDER0))
		for (i = 0; i < 128; i++)
			khofmt_enc_add_folio(e, DATA + 0xd00000 + i * P, 0);
	if (HAS(M_MB_REGION))
		s->fault = DATA + 0x3000000;
	if (khofmt_enc_finish(e, &s->src, &s->fdt, &s->len, &s->fdt_pa))
		bail_out("enc_finish: %s", khofmt_enc_errmsg(e));
	khofmt_enc_free(e);

	if (HAS(M_BLOB_UNPRESERVED) &&
	    khofmt_source_mem_add(s->src, U64(0x20000000), P, &d))
		bail_out("mem_add");
	if (HAS(M_BLOB_BEYOND) &&
	    khofmt_source_mem_add(s->src, DATA + 0xa00000, 2 * P, &d))
		bail_out("mem_add");
	if (HAS(M_BLOB_HUGE) &&
	    khofmt_source_mem_add(s->src, DATA + 0x2000000, 0x800000, &d))
		bail_out("mem_add");
	if (HAS(M_FDTSIZE)) {
		size_t len;
		void *mb = make_memblock("memblock-v1", REGION, 0x4000, &len);

		if (khofmt_source_mem_add(s->src, DATA + 0xe00000, P, &d))
			bail_out("mem_add");
		memcpy(d, mb, len);
		free(mb);
		s->fault = DATA + 0xe00000;
	}
	if (HAS(M_SUBFDT_BAD)) {
		uint64_t pa;

		memcpy(&pa, fdt_prop_w(s, "/memblock", "preserved-data"), 8);
		s->fault = le64toh(pa);
		memset(page_w(s->src, s->fault), 0, 4);	/* FDT magic */
	}

	/* tracker pages */
	if (HAS(M_TRK_SCRATCH))
		move_leaf(s, s->fault = SCR + 0x100000);
	if (HAS(M_TRK_OUTRAM))
		move_leaf(s, s->fault = OUTSIDE + 0x100000);
	if (HAS(M_TRK_PRESERVED)) {
		/* a page of the preserved 2 MiB range, added to the image */
		move_leaf(s, s->fault = DATA + 0x1000);
	}
	if (HAS(M_CYCLE) || HAS(M_SHARED) || HAS(M_MISALIGNED) || HAS(M_MISSING)) {
		unsigned char *t;

		size_t slot;
		uint64_t v;

		find_nodes(s, &root, &l1, &leaf);
		t = page_w(s->src, l1);
		v = HAS(M_CYCLE) ? root : HAS(M_SHARED) ? leaf :
		    HAS(M_MISALIGNED) ? leaf + 8 : U64(0x7000000000);
		slot = slot_of(t, 0);
		set_entry(t, slot, v);
		/*
		 * Where verify says the problem is: the page pointed at, or
		 * for a misaligned pointer the table slot holding it.
		 */
		s->fault = HAS(M_MISALIGNED) ? l1 + 8 * slot : v;
	}
	if (HAS(M_ROOTKEY)) {
		find_nodes(s, &root, &l1, &leaf);
		set_entry(page_w(s->src, root), 7, leaf);	/* root index 7 > 3 */
		s->fault = root;
	}
	if (HAS(M_LEAFKEY)) {
		find_nodes(s, &root, &l1, &leaf);
		s->fault = add_bad_leaf(s, root, U64(0x30000000));
	}

	/* root FDT */
	if (HAS(M_TRUNC))
		s->len -= 16;
	if (HAS(M_COMPAT) || HAS(M_V1)) {
		char *c = fdt_prop_w(s, "/", "compatible");

		c[5] = HAS(M_V1) ? '1' : '9';	/* "kho-v4" */
	}
	if (HAS(M_MAP_ALIGN) || HAS(M_MAP_RAM) || HAS(M_MAP_ZERO)) {
		unsigned char *p = fdt_prop_w(s, "/", "preserved-memory-map");

		memcpy(&map, p, 8);
		map = le64toh(map);
		s->fault = HAS(M_MAP_ALIGN) ? map + 8 : HAS(M_MAP_RAM) ? OUTSIDE : 0;
		map = htole64(s->fault);
		memcpy(p, &map, 8);
	}
	if (HAS(M_NOMAP))
		fdt_delprop(s->fdt, 0, "preserved-memory-map");
	if (HAS(M_INVALID))
		memset(s->fdt, 0, 4);
	if (HAS(M_SUBPTR))
		fdt_delprop(s->fdt, fdt_path_offset(s->fdt, "/LUO"), "preserved-data");
	if (HAS(M_SUBSIZE))
		fdt_delprop(s->fdt, fdt_path_offset(s->fdt, "/LUO"), "blob-size");
	if (HAS(M_LAYOUT)) {
		uint64_t z = 0;

		fdt_grow(s);
		if (fdt_setprop(s->fdt, fdt_path_offset(s->fdt, "/LUO"), "fdt", &z, 8))
			bail_out("setprop");
	}
	if (HAS(M_EXTRA)) {
		fdt_grow(s);
		if (fdt_setprop_string(s->fdt, 0, "extra", "x"))
			bail_out("setprop");
		fdt_pack(s->fdt);
		s->len = fdt_totalsize(s->fdt);
	}
	if (HAS(M_LAYOUT)) {
		fdt_pack(s->fdt);
		s->len = fdt_totalsize(s->fdt);
	}
	if (HAS(M_TRAILING)) {
		s->fdt = xrealloc(s->fdt, s->len + 64);
		memset((char *)s->fdt + s->len, 0, 64);
		s->len += 64;
	}

	/* caller inputs */
	s->ram[0].start = 0;
	s->ram[0].size = RAM_END;
	s->nram = 1;
	s->has_ram = !HAS(M_NORAM);
	s->scr[0].start = SCR;
	s->scr[0].size = SCR_SIZE;
	s->nscr = 1;
	s->has_scratch = !HAS(M_NOSCRATCH);
	if (HAS(M_SCR_OVERLAP)) {
		s->scr[s->nscr].start = s->fault = SCR + 0x400000;
		s->scr[s->nscr++].size = 0x400000;
	}
	if (HAS(M_SCR_RAM)) {
		s->scr[s->nscr].start = s->fault = OUTSIDE + 0x1000000;
		s->scr[s->nscr++].size = 0x400000;
	}
	if (HAS(M_SCR_ALIGN)) {
		s->scr[s->nscr].start = s->fault = U64(0x50001000);
		s->scr[s->nscr++].size = 0x400000;
	}
	if (HAS(M_SCR_EMPTY)) {
		s->scr[s->nscr].start = s->fault = U64(0x60000000);
		s->scr[s->nscr++].size = 0;
	}
	s->no_src = HAS(M_NOSRC);
	s->has_fdt_pa = true;
	s->fdt_pa_opt = s->fdt_pa;
	if (HAS(M_FDTPAGE))
		s->fdt_pa_opt = s->fault = DATA + 0xc00000;
#undef HAS
}

static struct khofmt_verify *run(struct st *s)
{
	struct khofmt_verify_opts o = { .sz = sizeof(o) };
	struct khofmt_verify *v = NULL;
	int r;

	if (s->has_ram) {
		o.ram = s->ram;
		o.nram = s->nram;
		o.has_ram = true;
		o.ram_origin = "test";
	}
	if (s->has_scratch) {
		o.scratch = s->scr;
		o.nscratch = s->nscr;
		o.has_scratch = true;
	}
	o.fdt_pa = s->fdt_pa_opt;
	o.has_fdt_pa = s->has_fdt_pa;
	r = khofmt_verify_run(s->fdt, s->len, s->no_src ? NULL : s->src, &o, &v);
	if (r < 0)
		bail_out("verify_run: %s", khofmt_strerror(r));
	return v;
}

static void st_free(struct st *s)
{
	khofmt_source_free(s->src);
	free(s->fdt);
}

static void show(const struct khofmt_verify *v)
{
	size_t i;

	for (i = 0; i < khofmt_verify_nfindings(v); i++) {
		const struct khofmt_finding *f = khofmt_verify_finding(v, i);

		diag("  %s %s", f->rule->id, f->message);
	}
}

/* Rule @id present (at @addr unless NOADDR) and no other error. */
static void expect(enum mut m, const char *id, bool at_fault)
{
	struct st s;
	struct khofmt_verify *v;
	size_t i, hits = 0, others = 0;
	bool good;

	build(&s, U64(1) << m);
	v = run(&s);
	for (i = 0; i < khofmt_verify_nfindings(v); i++) {
		const struct khofmt_finding *f = khofmt_verify_finding(v, i);

		if (!strcmp(f->rule->id, id)) {
			if (!at_fault || (f->has_addr && f->addr == s.fault))
				hits++;
		} else if (f->rule->severity == KHOFMT_SEV_ERROR) {
			others++;
		}
	}
	if (at_fault)
		good = ok(hits >= 1 && !others,
			  "mutation %d: %s at the fault 0x%" PRIx64 ", no other error",
			  m, id, s.fault);
	else
		good = ok(hits >= 1 && !others,
			  "mutation %d: %s, no other error", m, id);
	if (!good)
		show(v);
	khofmt_verify_free(v);
	st_free(&s);
}

static void test_clean(void)
{
	struct st s;
	struct khofmt_verify *v;
	size_t c[3];

	build(&s, 0);
	v = run(&s);
	khofmt_verify_counts(v, c);
	if (!ok(c[KHOFMT_SEV_ERROR] == 0 && c[KHOFMT_SEV_WARNING] == 0,
		"clean synthesized state: no error, no warning"))
		show(v);
	khofmt_verify_free(v);
	st_free(&s);
}

/* The rule table: IDs well-formed, unique, severities match the letter. */
static void test_table(void)
{
	size_t i, j, n = khofmt_rule_count();
	bool good = n > 0;

	for (i = 0; i < n; i++) {
		const struct khofmt_rule *r = khofmt_rule_get(i);
		char letter = "IWE"[r->severity];

		if (strlen(r->id) != 8 || strncmp(r->id, "KHO-", 4) ||
		    r->id[4] != letter || !*r->title || !*r->explain) {
			diag("bad rule %s", r->id);
			good = false;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(r->id + 5, khofmt_rule_get(j)->id + 5)) {
				diag("number of %s used twice", r->id);
				good = false;
			}
		if (khofmt_rule_by_id(r->id) != r)
			good = false;
	}
	ok(good, "rule table: %zu rules, KHO-<E|W|I>NNN matching severity, numbers unique", n);
	ok(khofmt_rule_by_id("kho-e040") && !khofmt_rule_by_id("KHO-E999"),
	   "rule lookup: case-insensitive, unknown -> NULL");
}

/*
 * A kho-v1 root over kho-v4 subnodes and a radix tree: layout rules fire,
 * and the radix root is read as a chunk list (every generation's tracker
 * is checked: I027 tells what was read, no "not checked" note).
 */
static void test_v1(void)
{
	struct khofmt_verify *v;
	struct st s;
	size_t i;
	bool i009 = false, e004 = false, e006 = false, trk = false;

	build(&s, U64(1) << M_V1);
	v = run(&s);
	for (i = 0; i < khofmt_verify_nfindings(v); i++) {
		const char *id = khofmt_verify_finding(v, i)->rule->id;

		i009 |= !strcmp(id, "KHO-I009");
		e004 |= !strcmp(id, "KHO-E004");
		e006 |= !strcmp(id, "KHO-E006");
		trk |= !strcmp(id, "KHO-I027");
	}
	if (!ok(!i009 && e004 && e006 && trk,
		"kho-v1 compatible over v4 subnodes: E004 (no `fdt`), E006 (v4 props), tracker read (I027), no I009"))
		show(v);
	khofmt_verify_free(v);
	st_free(&s);
}

static void test_select(void)
{
	struct khofmt_verify_opts o = { .sz = sizeof(o) };
	const char *bad[] = { "KHO-X001" }, *only[] = { "KHO-E041" };
	struct khofmt_verify *v = NULL;
	struct st s;
	size_t i;
	bool good = true;

	o.only = bad;
	o.nonly = 1;
	build(&s, (U64(1) << M_OUTRAM) | (U64(1) << M_INSCRATCH));
	is_int(khofmt_verify_run(s.fdt, s.len, s.src, &o, &v), -KHOFMT_ERR_INVAL,
	       "unknown rule ID in --rule: -KHOFMT_ERR_INVAL");
	o.only = only;
	o.ram = s.ram;
	o.nram = 1;
	o.scratch = s.scr;
	o.nscratch = 1;
	if (khofmt_verify_run(s.fdt, s.len, s.src, &o, &v))
		bail_out("verify_run");
	for (i = 0; i < khofmt_verify_nfindings(v); i++)
		good &= !strcmp(khofmt_verify_finding(v, i)->rule->id, "KHO-E041");
	ok(good && khofmt_verify_nfindings(v) == 1,
	   "--rule KHO-E041: only that rule's finding");
	khofmt_verify_free(v);
	o.only = NULL;
	o.nonly = 0;
	o.skip = only;
	o.nskip = 1;
	if (khofmt_verify_run(s.fdt, s.len, s.src, &o, &v))
		bail_out("verify_run");
	good = true;
	for (i = 0; i < khofmt_verify_nfindings(v); i++)
		good &= !!strcmp(khofmt_verify_finding(v, i)->rule->id, "KHO-E041");
	ok(good, "--skip KHO-E041: never reported");
	khofmt_verify_free(v);
	st_free(&s);
}

/* Random combinations of independent faults: each fires, nothing else. */
static void test_combos(void)
{
	static const struct { enum mut m; const char *id; uint64_t at; } f[] = {
		{ M_OVERLAP, "KHO-E040", DATA + 0x402000 },
		{ M_OUTRAM, "KHO-E041", OUTSIDE },
		{ M_INSCRATCH, "KHO-E042", SCR + 0x10000 },
		{ M_BLOB_UNPRESERVED, "KHO-E060", U64(0x20000000) },
		{ M_BLOB_BEYOND, "KHO-E061", DATA + 0xa00000 },
		{ M_BLOB_UNREADABLE, "KHO-E062", DATA + 0xb00000 },
		{ M_MB_REGION, "KHO-E101", DATA + 0x3000000 },
		{ M_TRK_SCRATCH, "KHO-E025", SCR + 0x100000 },
	};
	const size_t nf = sizeof(f) / sizeof(f[0]);
	uint64_t seed = 42;
	int round;

	for (round = 0; round < 24; round++) {
		uint64_t mask = 0, muts = 0;
		struct khofmt_verify *v;
		struct st s;
		size_t i, k;
		bool good = true;

		while (__builtin_popcountll(mask) < 2 + (int)rnd_below(&seed, 3))
			mask |= U64(1) << rnd_below(&seed, nf);
		for (k = 0; k < nf; k++)
			if (mask & (U64(1) << k))
				muts |= U64(1) << f[k].m;
		build(&s, muts);
		v = run(&s);
		for (k = 0; k < nf; k++) {
			bool want = mask & (U64(1) << k), got = false;

			for (i = 0; i < khofmt_verify_nfindings(v); i++) {
				const struct khofmt_finding *x = khofmt_verify_finding(v, i);

				if (!strcmp(x->rule->id, f[k].id) && x->addr == f[k].at)
					got = true;
			}
			if (want != got) {
				diag("%s: want %d got %d", f[k].id, want, got);
				good = false;
			}
		}
		for (i = 0; i < khofmt_verify_nfindings(v); i++) {
			const struct khofmt_finding *x = khofmt_verify_finding(v, i);
			bool known = false;

			for (k = 0; k < nf; k++)
				known |= (mask & (U64(1) << k)) && !strcmp(x->rule->id, f[k].id);
			if (x->rule->severity == KHOFMT_SEV_ERROR && !known) {
				diag("unexpected %s: %s", x->rule->id, x->message);
				good = false;
			}
		}
		ok(good, "combination %d (fault mask 0x%" PRIx64 "): exactly its rules",
		   round, mask);
		khofmt_verify_free(v);
		st_free(&s);
	}
}

static void test_iomem(void)
{
	static const char text[] =
		"00000000-00000fff : Reserved\n"
		"00001000-0009fbff : System RAM\n"
		"000f0000-000fffff : Reserved\n"
		"  000f0000-000fffff : System ROM\n"
		"00100000-1ffdffff : System RAM\n"
		"  17e00000-18289667 : Kernel code\n";
	struct khofmt_range *r;
	size_t n;

	if (!ok(!khofmt_iomem_parse(text, sizeof(text) - 1, &r, &n) && n == 2,
		"iomem: two System RAM lines"))
		return;
	ok(r[0].start == 0x1000 && r[0].size == 0x9ec00 &&
	   r[1].start == 0x100000 && r[1].size == 0x1fee0000,
	   "iomem: inclusive ends turned into sizes");
	free(r);
	is_int(khofmt_iomem_parse("zz-1 : System RAM\n", 18, &r, &n),
	       -KHOFMT_ERR_INVAL, "iomem: malformed System RAM line rejected");
}

int main(void)
{
	static const struct { enum mut m; const char *id; bool at; } t[] = {
		{ M_OVERLAP, "KHO-E040", true },
		{ M_OUTRAM, "KHO-E041", true },
		{ M_INSCRATCH, "KHO-E042", true },
		{ M_BLOB_UNPRESERVED, "KHO-E060", true },
		{ M_BLOB_ZERO, "KHO-W063", true },
		{ M_BLOB_BEYOND, "KHO-E061", true },
		{ M_BLOB_UNREADABLE, "KHO-E062", true },
		{ M_BLOB_HUGE, "KHO-W064", true },
		{ M_FDTSIZE, "KHO-W066", true },
		{ M_MB_REGION, "KHO-E101", true },
		{ M_MB_SCHEMA, "KHO-E100", false },
		{ M_LUO_SHORT, "KHO-E067", false },
		{ M_KM_SHORT, "KHO-W068", false },
		{ M_KM_VERSION, "KHO-W120", false },
		{ M_ORDER0, "KHO-W043", false },
		{ M_TRK_SCRATCH, "KHO-E025", true },
		{ M_TRK_OUTRAM, "KHO-E024", true },
		{ M_TRK_PRESERVED, "KHO-W026", true },
		{ M_CYCLE, "KHO-E022", true },
		{ M_SHARED, "KHO-E022", true },
		{ M_ROOTKEY, "KHO-E023", true },
		{ M_LEAFKEY, "KHO-E023", true },
		{ M_MISALIGNED, "KHO-E020", true },
		{ M_MISSING, "KHO-E021", true },
		{ M_SUBFDT_BAD, "KHO-E065", true },
		{ M_TRUNC, "KHO-E002", false },
		{ M_COMPAT, "KHO-E003", false },
		{ M_MAP_ALIGN, "KHO-E012", true },
		{ M_MAP_RAM, "KHO-E013", true },
		{ M_MAP_ZERO, "KHO-E011", false },
		{ M_NOMAP, "KHO-E010", false },
		{ M_INVALID, "KHO-E001", false },
		{ M_SUBPTR, "KHO-E004", false },
		{ M_SUBSIZE, "KHO-E005", false },
		{ M_LAYOUT, "KHO-E006", false },
		{ M_EXTRA, "KHO-W007", false },
		{ M_TRAILING, "KHO-I008", false },
		{ M_FDTPAGE, "KHO-W044", true },
		{ M_SCR_OVERLAP, "KHO-E080", true },
		{ M_SCR_RAM, "KHO-E081", true },
		{ M_SCR_ALIGN, "KHO-W082", true },
		{ M_SCR_EMPTY, "KHO-I083", true },
		{ M_NORAM, "KHO-I045", false },
		{ M_NOSCRATCH, "KHO-I084", false },
		{ M_NOSRC, "KHO-I047", false },
	};
	size_t i;

	test_table();
	test_iomem();
	test_clean();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect(t[i].m, t[i].id, t[i].at);
	test_v1();
	test_select();
	test_combos();
	return done_testing();
}
