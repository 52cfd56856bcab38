// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * verify, per-schema rules (LUO, memfd, vmalloc, kho_test): a mutation
 * suite. A valid handover is built with the schema encoders (LUO sessions
 * of memfds with order-0 and order-2 folios, an FLB, a kho_test list) and
 * must verify without errors, for 4, 16 and 64 KiB pages. Then one fault
 * at a time is put into the memory image, the tracker bits or the root
 * FDT, and verify must report exactly the expected rule, at the address
 * the fault was put, and no other error; a fault of a chain (kho_block,
 * kho_vmalloc) must also name the chain's owner (the LUO sessions, a
 * session's files, a memfd's folio array, kho_test's folios_info).
 *
 * Where to put a fault is found with the decoders (block, record and
 * folio addresses); the tracker bits are edited with this file's own walk
 * of the radix tree, written from doc/ABI.md 4.1 (key = 1 << (64 - PS -
 * order) | phys >> (PS + order); table levels of P/8 slots indexed from
 * bit PS + 3 up; leaves of P*8 bits).
 */
#include <libfdt.h>

#include "testutil.h"

#define NOADDR UINT64_MAX
/* kho_test folios, away from the encoder's meta area [16 MiB, +256 MiB) */
#define KT_BASE U64(0x40000000)

/* record layouts (doc/ABI.md 6.2-6.4) */
#define SESS_NAME 0
#define SESS_FILES_PA 64
#define SESS_FILE_COUNT 72
#define FILE_COMPAT 0
#define FILE_TOKEN 56
#define MFD_SEALS 16
#define MFD_TOTAL_PAGES 40

struct world {
	struct state st;
	unsigned ps;
	uint64_t P;
	unsigned char *data[4];
	uint64_t fault;
	/* found with the decoders */
	uint64_t luo_pa, flb, sblock, fblock, sess_pa[3], file_pa[4], mfd_pa[4];
	uint64_t chunk[4], folio[4][8];
	size_t nfolio[4];
	uint64_t kt_phys[2];
	unsigned kt_order[2];
	uint64_t kt_chunk;      /* kho_test folios_info's first chunk */
	char owner[96];         /* a chain fault's finding names it ("" none) */
};

#define CK(cond, ...) do { if (!(cond)) bail_out(__VA_ARGS__); } while (0)

/* ---- the valid state ---- */

/* the last file is empty: no folio array */
static const uint64_t sizes[4] = { 10000, 5 * 16384 + 100, 1, 0 };
static const unsigned forder[4] = { 0, 2, 0, 0 };

static void build(struct world *w, unsigned ps)
{
	static const struct khofmt_enc_luo_flb flb[] = {
		{ "test-flb-v1", U64(0xFEEDF00DCAFEBEE0), 1 },
	};
	struct khofmt_enc_opts eo = { .sz = sizeof(eo), .page_shift = ps };
	struct khofmt_enc_luo_file files[4];
	struct khofmt_enc_luo_session sess[3] = {
		{ "sess-a", files, 2 }, { "sess-b", NULL, 0 },
		{ "sess-c", files + 2, 2 },
	};
	struct khofmt_enc *e;
	size_t i, j;

	memset(w, 0, sizeof(*w));
	w->ps = ps;
	w->P = U64(1) << ps;
	memset(files, 0, sizeof(files));
	for (i = 0; i < 4; i++) {
		uint64_t seed = i + 7;

		w->data[i] = xmalloc(sizes[i]);
		for (j = 0; j < sizes[i]; j++)
			w->data[i][j] = (unsigned char)splitmix64(&seed);
		files[i].token = U64(0x100) + i;
		files[i].seals = 0x8 | (uint32_t)i;
		files[i].data = w->data[i];
		files[i].size = sizes[i];
		files[i].folio_order = forder[i];
	}
	/* kho_test folios: order 0 and order 3, aligned for every page size */
	w->kt_phys[0] = KT_BASE;
	w->kt_order[0] = 0;
	w->kt_phys[1] = KT_BASE + (U64(8) << 16);
	w->kt_order[1] = 3;
	CK(khofmt_enc_new(&eo, &e) == 0, "encoder");
	CK(khofmt_enc_kho_test(e, w->kt_phys, w->kt_order, 2) == 0,
	   "enc_kho_test: %s", khofmt_enc_errmsg(e));
	CK(khofmt_enc_luo(e, 7, sess, 3, flb, 1) == 0, "enc_luo: %s",
	   khofmt_enc_errmsg(e));
	CK(state_finish_open(e, ps, &w->st) == 0, "finish");
	khofmt_enc_free(e);
}

static void world_free(struct world *w)
{
	size_t i;

	for (i = 0; i < 4; i++)
		free(w->data[i]);
	state_free(&w->st);
}

/* ---- finding where things are (decoders) ---- */

static int page_cb(void *arg, enum khofmt_luo_page_kind kind, uint64_t pa,
		   uint64_t len)
{
	struct world *w = arg;

	(void)len;
	if (kind == KHOFMT_LUO_PAGE_SESSION_BLOCK && !w->sblock)
		w->sblock = pa;
	if (kind == KHOFMT_LUO_PAGE_FILE_BLOCK && !w->fblock)
		w->fblock = pa;
	return 0;
}

static void locate(struct world *w)
{
	struct khofmt_schema_opts o = { .sz = sizeof(o), .page_shift = w->ps };
	const struct khofmt_subnode *sn = NULL;
	struct khofmt_luo *luo;
	struct khofmt_luo_session s;
	struct khofmt_luo_file f;
	void *blob;
	size_t len, i, ns = 0, nf = 0;

	for (i = 0; i < khofmt_fdt_nsubnodes(w->st.fdt); i++)
		if (!strcmp(khofmt_fdt_subnode(w->st.fdt, i)->name, "LUO"))
			sn = khofmt_fdt_subnode(w->st.fdt, i);
	CK(sn, "no LUO subnode");
	w->luo_pa = sn->pa;
	CK(khofmt_subnode_blob_read(w->st.src, sn, &blob, &len) == 0, "LUO blob");
	CK(khofmt_luo_open(w->st.src, blob, len, &o, &luo) == 0, "luo_open");
	CK(khofmt_luo_walk_pages(luo, page_cb, w) == 0, "walk_pages");
	w->flb = khofmt_luo_info(luo)->flbs_pa;
	while (ns < 3 && khofmt_luo_session_next(luo, &s) == 0) {
		w->sess_pa[ns++] = s.pa;
		while (nf < 4 && khofmt_luo_file_next(luo, &s, &f) == 0) {
			struct khofmt_memfd m;
			struct khofmt_memfd_folio fo;

			w->file_pa[nf] = f.pa;
			w->mfd_pa[nf] = f.data;
			CK(khofmt_memfd_open(w->st.src, f.data, f.compatible, &o,
					     &m) == 0, "memfd_open");
			w->chunk[nf] = m.folios.first;
			while (khofmt_memfd_folio_next(&m, &fo) == 0)
				if (w->nfolio[nf] < 8)
					w->folio[nf][w->nfolio[nf]++] = fo.phys;
			khofmt_memfd_close(&m);
			nf++;
		}
	}
	khofmt_luo_free(luo);
	free(blob);
	CK(ns == 3 && nf == 4 && w->sblock && w->fblock, "layout");
	/* doc/ABI.md 6.7: /data/folios_info is a 16-byte kho_vmalloc {first, ...} */
	for (i = 0; i < khofmt_fdt_nsubnodes(w->st.fdt); i++)
		if (!strcmp(khofmt_fdt_subnode(w->st.fdt, i)->name, "kho_test"))
			sn = khofmt_fdt_subnode(w->st.fdt, i);
	CK(!strcmp(sn->name, "kho_test") &&
	   khofmt_subnode_blob_read(w->st.src, sn, &blob, &len) == 0, "kho_test blob");
	{
		int node = fdt_path_offset(blob, "/data"), l;
		const void *fi = node >= 0 ? fdt_getprop(blob, node, "folios_info", &l) : NULL;

		CK(fi && l == 16, "kho_test folios_info");
		memcpy(&w->kt_chunk, fi, 8);
		w->kt_chunk = le64toh(w->kt_chunk);
	}
	free(blob);
	/* independent expectation: one folio per 2^order pages */
	for (i = 0; i < 4; i++) {
		uint64_t unit = w->P << forder[i];

		CK(w->nfolio[i] == (sizes[i] + unit - 1) / unit,
		   "memfd %zu: %zu folios", i, w->nfolio[i]);
	}
}

/* ---- editing memory and the tracker ---- */

static unsigned char *mem_w(struct world *w, uint64_t pa, size_t n)
{
	const void *p = khofmt_source_ptr(w->st.src, pa, n);

	CK(p, "0x%" PRIx64 " not in the source", pa);
	return (unsigned char *)(uintptr_t)p;	/* in-memory image: ours */
}

static void put64(struct world *w, uint64_t pa, uint64_t v)
{
	v = htole64(v);
	memcpy(mem_w(w, pa, 8), &v, 8);
}

/* The leaf word and bit of (phys, order); bails when a node is missing. */
static unsigned char *leaf_word(struct world *w, uint64_t phys, unsigned order,
				unsigned *bit)
{
	unsigned ps = w->ps, tbl = ps - 3, leaf = ps + 3;
	unsigned depth = khofmt_handover_geom(w->st.h)->depth, lvl;
	uint64_t key = (U64(1) << (64 - ps - order)) | (phys >> (ps + order));
	uint64_t node = khofmt_fdt_map(w->st.fdt), b;

	for (lvl = depth - 1; lvl >= 1; lvl--) {
		uint64_t idx = (key >> ((lvl - 1) * tbl + leaf)) &
			       ((U64(1) << tbl) - 1);

		memcpy(&node, mem_w(w, node + 8 * idx, 8), 8);
		node = le64toh(node);
		CK(node, "no level-%u node for 0x%" PRIx64 " order %u",
		   lvl - 1, phys, order);
	}
	b = key & ((U64(1) << leaf) - 1);
	*bit = (unsigned)(b % 64);
	return mem_w(w, node + 8 * (b / 64), 8);
}

static void set_entry(struct world *w, uint64_t phys, unsigned order, bool on)
{
	unsigned bit;
	unsigned char *p = leaf_word(w, phys, order, &bit);
	uint64_t v;

	memcpy(&v, p, 8);
	v = le64toh(v);
	CK(!!(v >> bit & 1) != on, "entry 0x%" PRIx64 "/%u already %s", phys,
	   order, on ? "set" : "clear");
	v = on ? v | (U64(1) << bit) : v & ~(U64(1) << bit);
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* ---- faults ---- */

enum mut {
	M_NONE, M_BLOCK_UNPRESERVED, M_BLOCK_CYCLE, M_DUP_NAME, M_FILES_COUNT,
	M_COMPAT, M_DUP_TOKEN, M_FOLIO_UNPRESERVED, M_FOLIO_ORDER, M_SEALS,
	M_CHUNK_UNPRESERVED, M_RUN_COUNT, M_ROOT_START, M_FILEBLOCK_UNPRESERVED,
	M_RECORD_START, M_KT_FOLIO, M_RUN_UNPRESERVED, M_LUO_COMPAT, M_FLB_COUNT,
	/* hostile chains (issue 16 item 3): each names its owner's address */
	M_BLOCK_OVERFLOW, M_BLOCK_WILD, M_FILEBLOCK_CYCLE, M_FILEBLOCK_OVERFLOW,
	M_CHUNK_LOOP, M_CHUNK_WILD,
	/* the chain walker: misaligned next, the owner named, kho_test's list */
	M_BLOCK_UNALIGNED, M_FILEBLOCK_WILD, M_CHUNK_UNALIGNED, M_RUN_EXCESS,
	M_KT_LOOP, M_KT_WILD, M_KT_UNALIGNED, M_KT_CHUNK_UNPRESERVED,
	M_COUNT
};

static const struct {
	const char *id;
	const char *what;
} expected[M_COUNT] = {
	[M_BLOCK_UNPRESERVED] = { "KHO-E142", "session block not preserved" },
	[M_BLOCK_CYCLE] = { "KHO-E141", "session block chain cycle" },
	[M_DUP_NAME] = { "KHO-E143", "duplicate session name" },
	[M_FILES_COUNT] = { "KHO-E143", "files_pa 0 with file_count 1" },
	[M_COMPAT] = { "KHO-E144", "unknown file compatible" },
	[M_DUP_TOKEN] = { "KHO-E144", "duplicate token" },
	[M_FOLIO_UNPRESERVED] = { "KHO-E181", "memfd folio not preserved" },
	[M_FOLIO_ORDER] = { "KHO-E182", "memfd folio preserved as order 0, not 2" },
	[M_SEALS] = { "KHO-E180", "memfd seals 0x40" },
	[M_CHUNK_UNPRESERVED] = { "KHO-E184", "vmalloc chunk not preserved" },
	[M_RUN_COUNT] = { "KHO-E183", "vmalloc total_pages one too many" },
	[M_ROOT_START] = { "KHO-W146", "LUO root inside its page, not at its start" },
	[M_FILEBLOCK_UNPRESERVED] = { "KHO-E142", "file block not preserved" },
	[M_RECORD_START] = { "KHO-E181", "memfd record not preserved" },
	[M_KT_FOLIO] = { "KHO-E201", "kho_test folio not preserved" },
	[M_RUN_UNPRESERVED] = { "KHO-E184", "vmalloc run not preserved" },
	[M_LUO_COMPAT] = { "KHO-E140", "LUO compatible luo-v9" },
	[M_FLB_COUNT] = { "KHO-E145", "FLB count beyond one page" },
	[M_BLOCK_OVERFLOW] = { "KHO-E141", "session block count beyond its page" },
	[M_BLOCK_WILD] = { "KHO-E141", "session block next outside memory" },
	[M_FILEBLOCK_CYCLE] = { "KHO-E141", "file block chain cycle" },
	[M_FILEBLOCK_OVERFLOW] = { "KHO-E141", "file block count beyond its page" },
	[M_CHUNK_LOOP] = { "KHO-E183", "memfd vmalloc chunk chain loop" },
	[M_CHUNK_WILD] = { "KHO-E183", "memfd vmalloc chunk next outside memory" },
	[M_BLOCK_UNALIGNED] = { "KHO-E141", "session block next not page-aligned" },
	[M_FILEBLOCK_WILD] = { "KHO-E141", "file block next outside memory" },
	[M_CHUNK_UNALIGNED] = { "KHO-E183", "memfd vmalloc chunk next not page-aligned" },
	[M_RUN_EXCESS] = { "KHO-E183", "memfd vmalloc chunk lists a run past total_pages" },
	[M_KT_LOOP] = { "KHO-E183", "kho_test folios_info chunk loop" },
	[M_KT_WILD] = { "KHO-E183", "kho_test folios_info chunk next outside memory" },
	[M_KT_UNALIGNED] = { "KHO-E183", "kho_test folios_info chunk next not page-aligned" },
	[M_KT_CHUNK_UNPRESERVED] = { "KHO-E184", "kho_test folios_info chunk not preserved" },
};

static void inject(struct world *w, enum mut m)
{
	const unsigned order2 = 2;
	int node;

	switch (m) {
	case M_NONE:
	case M_COUNT:
		break;
	case M_BLOCK_UNPRESERVED:
		set_entry(w, w->sblock, 0, false);
		w->fault = w->sblock;
		break;
	case M_BLOCK_CYCLE:
		put64(w, w->sblock, w->sblock);	/* next = itself */
		w->fault = w->sblock;
		snprintf(w->owner, sizeof(w->owner), "LUO sessions");
		break;
	case M_DUP_NAME:
		memcpy(mem_w(w, w->sess_pa[1] + SESS_NAME, 7), "sess-a", 7);
		w->fault = w->sess_pa[1];
		break;
	case M_FILES_COUNT:
		put64(w, w->sess_pa[1] + SESS_FILE_COUNT, 1);	/* files_pa is 0 */
		w->fault = w->sess_pa[1];
		break;
	case M_COMPAT:
		memcpy(mem_w(w, w->file_pa[1] + FILE_COMPAT, 9), "memfd-v9", 9);
		w->fault = w->file_pa[1];
		break;
	case M_DUP_TOKEN:
		put64(w, w->file_pa[1] + FILE_TOKEN, U64(0x100));
		w->fault = w->file_pa[1];
		break;
	case M_FOLIO_UNPRESERVED:
		set_entry(w, w->folio[0][0], 0, false);
		w->fault = w->folio[0][0];
		break;
	case M_FOLIO_ORDER:
		set_entry(w, w->folio[1][0], order2, false);
		set_entry(w, w->folio[1][0], 0, true);
		w->fault = w->folio[1][0];
		break;
	case M_SEALS: {
		uint32_t v = htole32(0x40);

		memcpy(mem_w(w, w->mfd_pa[0] + MFD_SEALS, 4), &v, 4);
		w->fault = w->mfd_pa[0];
		break;
	}
	case M_CHUNK_UNPRESERVED:
		set_entry(w, w->chunk[1], 0, false);
		w->fault = w->chunk[1];
		break;
	case M_RUN_COUNT: {
		unsigned char *p = mem_w(w, w->mfd_pa[0] + MFD_TOTAL_PAGES, 4);
		uint32_t v;

		memcpy(&v, p, 4);
		v = htole32(le32toh(v) + 1);
		memcpy(p, &v, 4);
		w->fault = w->chunk[0];
		break;
	}
	case M_ROOT_START: {
		/* the 32-byte root copied 64 bytes further into its page */
		unsigned char *p = mem_w(w, w->luo_pa, 96);
		uint64_t pa = htole64(w->luo_pa + 64);

		memmove(p + 64, p, 32);
		node = fdt_path_offset(w->st.fdt_blob, "/LUO");
		CK(node >= 0 && !fdt_setprop_inplace(w->st.fdt_blob, node,
						     "preserved-data", &pa, 8),
		   "LUO preserved-data");
		w->fault = w->luo_pa + 64;
		break;
	}
	case M_FILEBLOCK_UNPRESERVED:
		set_entry(w, w->fblock, 0, false);
		w->fault = w->fblock;
		break;
	case M_RECORD_START:
		set_entry(w, w->mfd_pa[2], 0, false);
		w->fault = w->mfd_pa[2];
		break;
	case M_RUN_UNPRESERVED: {
		/* the first run: slot 1 of the first chunk (6.5) */
		uint64_t run;

		memcpy(&run, mem_w(w, w->chunk[1] + 8, 8), 8);
		run = le64toh(run);
		set_entry(w, run, 0, false);
		w->fault = run;
		break;
	}
	case M_LUO_COMPAT:
		memcpy(mem_w(w, w->luo_pa, 7), "luo-v9", 7);
		w->fault = NOADDR;	/* a fact of the blob, not of an address */
		break;
	case M_FLB_COUNT:
		put64(w, w->flb + 8, w->P);	/* records of 64 bytes: P/64 - 1 fit */
		w->fault = w->flb;
		break;
	case M_KT_FOLIO:
		set_entry(w, w->kt_phys[1], w->kt_order[1], false);
		w->fault = w->kt_phys[1];
		break;
	case M_BLOCK_OVERFLOW:
		/* kho_block header {next, count}: (P - 16) / 80 sessions fit */
		put64(w, w->sblock + 8, (w->P - 16) / 80 + 1);
		w->fault = w->sblock;
		snprintf(w->owner, sizeof(w->owner), "LUO sessions");
		break;
	case M_BLOCK_WILD:
		put64(w, w->sblock, U64(0x7f0000000000));	/* next: nowhere */
		w->fault = w->sblock;
		snprintf(w->owner, sizeof(w->owner), "LUO sessions");
		break;
	case M_FILEBLOCK_CYCLE:
		put64(w, w->fblock, w->fblock);
		w->fault = w->fblock;
		snprintf(w->owner, sizeof(w->owner), "session \"sess-a\" files");
		break;
	case M_FILEBLOCK_OVERFLOW:
		put64(w, w->fblock + 8, (w->P - 16) / 64 + 1);
		w->fault = w->fblock;
		snprintf(w->owner, sizeof(w->owner), "session \"sess-a\" files");
		break;
	case M_CHUNK_LOOP:
		/* kho_vmalloc chunk {next, phys[]}: the first chunk links to itself */
		put64(w, w->chunk[1], w->chunk[1]);
		w->fault = w->chunk[1];
		snprintf(w->owner, sizeof(w->owner), "memfd 0x%" PRIx64 " folio array",
			 w->mfd_pa[1]);
		break;
	case M_CHUNK_WILD:
		put64(w, w->chunk[1], U64(0x7f0000000000));
		w->fault = w->chunk[1];
		snprintf(w->owner, sizeof(w->owner), "memfd 0x%" PRIx64 " folio array",
			 w->mfd_pa[1]);
		break;
	case M_BLOCK_UNALIGNED:
		/* next: inside the first file block, covered but not a page start */
		put64(w, w->sblock, w->fblock + 16);
		w->fault = w->sblock;
		snprintf(w->owner, sizeof(w->owner), "LUO sessions");
		break;
	case M_FILEBLOCK_WILD:
		put64(w, w->fblock, U64(0x7f0000000000));
		w->fault = w->fblock;
		snprintf(w->owner, sizeof(w->owner), "session \"sess-a\" files");
		break;
	case M_CHUNK_UNALIGNED:
		put64(w, w->chunk[1], w->chunk[0] + 8);
		w->fault = w->chunk[1];
		snprintf(w->owner, sizeof(w->owner), "memfd 0x%" PRIx64 " folio array",
			 w->mfd_pa[1]);
		break;
	case M_RUN_EXCESS: {
		/* chunk {next, run[0], run[1] = 0}: a second run, total_pages 1 */
		uint64_t run;

		memcpy(&run, mem_w(w, w->chunk[0] + 8, 8), 8);
		CK(le64toh(run) && !memcmp(mem_w(w, w->chunk[0] + 16, 8),
					   "\0\0\0\0\0\0\0\0", 8),
		   "memfd 0: one run");
		put64(w, w->chunk[0] + 16, le64toh(run));
		w->fault = w->chunk[0];
		break;
	}
	case M_KT_LOOP:
		put64(w, w->kt_chunk, w->kt_chunk);
		w->fault = w->kt_chunk;
		snprintf(w->owner, sizeof(w->owner), "kho_test folios_info");
		break;
	case M_KT_WILD:
		put64(w, w->kt_chunk, U64(0x7f0000000000));
		w->fault = w->kt_chunk;
		snprintf(w->owner, sizeof(w->owner), "kho_test folios_info");
		break;
	case M_KT_UNALIGNED:
		put64(w, w->kt_chunk, w->chunk[0] + 8);
		w->fault = w->kt_chunk;
		snprintf(w->owner, sizeof(w->owner), "kho_test folios_info");
		break;
	case M_KT_CHUNK_UNPRESERVED:
		set_entry(w, w->kt_chunk, 0, false);
		w->fault = w->kt_chunk;
		break;
	}
}

/* ---- running verify ---- */

static struct khofmt_verify *run(struct world *w)
{
	struct khofmt_verify_opts o = { .sz = sizeof(o), .page_shift = w->ps };
	struct khofmt_verify *v = NULL;
	int r;

	r = khofmt_verify_run(w->st.fdt_blob, w->st.fdt_len, w->st.src, &o, &v);
	CK(r == 0, "verify_run: %s", khofmt_strerror(r));
	return v;
}

static void show(const struct khofmt_verify *v)
{
	size_t i;

	for (i = 0; i < khofmt_verify_nfindings(v); i++) {
		const struct khofmt_finding *f = khofmt_verify_finding(v, i);

		diag("  %s 0x%" PRIx64 " %s", f->rule->id, f->addr, f->message);
	}
}

static void test_clean(unsigned ps)
{
	struct world w;
	struct khofmt_verify *v;
	size_t counts[3];

	build(&w, ps);
	locate(&w);
	v = run(&w);
	khofmt_verify_counts(v, counts);
	if (!ok(counts[KHOFMT_SEV_ERROR] == 0 && counts[KHOFMT_SEV_WARNING] == 0,
		"P=%u KiB: encoded LUO + memfd + kho_test state: no error, no warning",
		1u << (ps - 10)))
		show(v);
	khofmt_verify_free(v);
	world_free(&w);
}

static void test_mut(unsigned ps, enum mut m)
{
	struct world w;
	struct khofmt_verify *v;
	size_t i, hits = 0, others = 0;
	const char *id = expected[m].id;

	build(&w, ps);
	locate(&w);
	inject(&w, m);
	v = run(&w);
	for (i = 0; i < khofmt_verify_nfindings(v); i++) {
		const struct khofmt_finding *f = khofmt_verify_finding(v, i);

		if (!strcmp(f->rule->id, id)) {
			if ((w.fault == NOADDR ? !f->has_addr :
			     f->has_addr && f->addr == w.fault) &&
			    (!w.owner[0] || strstr(f->message, w.owner)))
				hits++;
			else
				others++;
		} else if (f->rule->severity != KHOFMT_SEV_INFO) {
			others++;
		}
	}
	if (!ok(hits >= 1 && !others,
		"P=%u KiB, %s: %s at 0x%" PRIx64 " (~0: none)%s%s%s and nothing else",
		1u << (ps - 10), expected[m].what, id, w.fault,
		w.owner[0] ? ", naming " : "", w.owner, w.owner[0] ? "," : ""))
		show(v);
	khofmt_verify_free(v);
	world_free(&w);
}

/* The rules exist with the documented numbers and spec cross-references. */
static void test_table(void)
{
	static const struct { const char *id, *spec; } rows[] = {
		{ "KHO-E140", "LUO-1" }, { "KHO-E141", "LUO-2" },
		{ "KHO-E142", "LUO-2" }, { "KHO-E143", "LUO-3" },
		{ "KHO-E144", "LUO-4" }, { "KHO-E145", "LUO-5" },
		{ "KHO-W146", "SB-2" }, { "KHO-E180", "MFD-1" },
		{ "KHO-E181", "MFD-1" }, { "KHO-E182", "MFD-1" },
		{ "KHO-E183", "VM-1" }, { "KHO-E184", "VM-1" },
		{ "KHO-E200", "KT-1" }, { "KHO-E201", "KT-1" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct khofmt_rule *r = khofmt_rule_by_id(rows[i].id);

		ok(r && !strcmp(r->spec, rows[i].spec), "rule %s (%s)",
		   rows[i].id, rows[i].spec);
	}
}

int main(void)
{
	static const unsigned pss[] = { 12, 14, 16 };
	size_t i;
	int m;

	test_table();
	for (i = 0; i < 3; i++) {
		test_clean(pss[i]);
		for (m = M_NONE + 1; m < M_COUNT; m++)
			test_mut(pss[i], (enum mut)m);
	}
	return done_testing();
}
