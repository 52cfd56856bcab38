// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sub-schemas (doc/ABI.md 6): the real 7.2.13 capture decoded with the
 * schema API (expected facts from the fixture README and serial.log, and
 * data patterns recomputed here), encoder -> decoder round trips, and
 * hostile variants (cycles, counts, limits, missing NULs) that must give
 * clean errors or problems.
 */
#include <libfdt.h>

#include "testutil.h"

static char dir[2048];

static char *fx(const char *name)
{
	static char buf[4][4096];
	static unsigned slot;
	char *p = buf[slot++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

/* ---- problem collection ---- */

struct probs {
	unsigned n, fatal, inferred;
	char rules[32][16];
	char last[256];
};

static int on_problem(void *arg, const struct khofmt_schema_problem *p)
{
	struct probs *pr = arg;

	if (pr->n < 32)
		snprintf(pr->rules[pr->n], sizeof(pr->rules[0]), "%s", p->rule);
	pr->n++;
	pr->fatal += p->fatal;
	pr->inferred += p->inferred;
	snprintf(pr->last, sizeof(pr->last), "%s", p->msg);
	return 0;
}

static bool has_rule(const struct probs *pr, const char *rule)
{
	unsigned i;

	for (i = 0; i < pr->n && i < 32; i++)
		if (!strcmp(pr->rules[i], rule))
			return true;
	return false;
}

static struct khofmt_schema_opts opts_for(struct probs *pr)
{
	struct khofmt_schema_opts o = { .sz = sizeof(o), .page_shift = 12,
					.problem = on_problem, .problem_arg = pr };

	memset(pr, 0, sizeof(*pr));
	return o;
}

/* ---- the real capture ---- */

struct capture {
	void *fdt_blob;
	size_t fdt_len;
	struct khofmt_fdt *fdt;
	struct khofmt_source *src;
	char *log;
	size_t loglen;
};

static int capture_open(struct capture *c)
{
	char err[256];

	memset(c, 0, sizeof(*c));
	c->fdt_blob = read_whole_file(fx("root.fdt"), &c->fdt_len);
	c->log = read_whole_file(fx("serial.log"), &c->loglen);
	if (!c->fdt_blob || !c->log)
		return -1;
	c->log = xrealloc(c->log, c->loglen + 1);
	c->log[c->loglen] = 0;
	if (khofmt_fdt_open(c->fdt_blob, c->fdt_len, &c->fdt, err, sizeof(err)) < 0)
		return -1;
	return khofmt_source_open_elf(fx("slim-kexec.elf"), &c->src);
}

static void capture_close(struct capture *c)
{
	khofmt_source_free(c->src);
	khofmt_fdt_free(c->fdt);
	free(c->fdt_blob);
	free(c->log);
}

/* The blob of subnode @name, read with libfdt + the source (not the API). */
static void *ref_blob(struct capture *c, const char *name, size_t *len)
{
	int off = fdt_subnode_offset(c->fdt_blob, 0, name), l1, l2;
	const void *pa = fdt_getprop(c->fdt_blob, off, "preserved-data", &l1);
	const void *sz = fdt_getprop(c->fdt_blob, off, "blob-size", &l2);
	void *b;

	if (off < 0 || !pa || !sz || l1 != 8 || l2 != 8)
		return NULL;
	*len = (size_t)le64_load(sz);
	b = xmalloc(*len);
	if (khofmt_source_read(c->src, le64_load(pa), b, *len)) {
		free(b);
		return NULL;
	}
	return b;
}

static void test_capture_dispatch(struct capture *c)
{
	static const struct {
		const char *name;
		enum khofmt_schema_kind kind;
		const char *schema;
	} want[] = {
		{ "kexec-metadata", KHOFMT_SCHEMA_KEXEC_META_V1, "kexec-metadata-v1" },
		{ "LUO", KHOFMT_SCHEMA_LUO_V5, "luo-v5" },
		{ "memblock", KHOFMT_SCHEMA_MEMBLOCK_V1, "memblock-v1" },
		{ "kho_test", KHOFMT_SCHEMA_KHO_TEST_V1, "kho-test-v1" },
	};
	unsigned i;

	for (i = 0; i < 4; i++) {
		const struct khofmt_subnode *sn =
			khofmt_fdt_subnode_by_name(c->fdt, want[i].name);
		size_t len = 0, rlen = 0;
		void *blob = NULL, *ref = ref_blob(c, want[i].name, &rlen);
		int r = sn ? khofmt_subnode_blob_read(c->src, sn, &blob, &len) : -1;

		if (!ok(r == 0 && ref, "%s: blob read", want[i].name)) {
			free(ref);
			continue;
		}
		ok(len == rlen && !memcmp(blob, ref, len),
		   "%s: blob = libfdt pointer + source read (%zu bytes)",
		   want[i].name, rlen);
		is(khofmt_subnode_schema(sn, blob, len), want[i].kind,
		   "%s: schema kind", want[i].name);
		is_str(khofmt_schema_name(khofmt_subnode_schema(sn, blob, len)),
		       want[i].schema, "%s: schema name", want[i].name);
		free(blob);
		free(ref);
	}
}

static void test_capture_kexec_meta(struct capture *c)
{
	struct khofmt_kexec_meta m;
	struct probs pr;
	struct khofmt_schema_opts o = opts_for(&pr);
	char rel[80] = "";
	unsigned cnt = 0;
	const char *line = strstr(c->log, "KHO: exec from: ");
	size_t len;
	void *blob = read_whole_file(fx("blobs/kexec-metadata.bin"), &len);

	ok(line && sscanf(line, "KHO: exec from: %79s (count %u)", rel, &cnt) == 2,
	   "serial.log: KHO: exec from: %s (count %u)", rel, cnt);
	if (!ok(blob, "blobs/kexec-metadata.bin"))
		return;
	is(khofmt_kexec_meta_decode(blob, len, &o, &m), 0, "kexec-metadata decodes");
	is(m.version, 1, "version 1");
	is_str(m.release, rel, "previous_release = serial.log");
	is(m.kexec_count, cnt, "kexec_count = serial.log");
	ok(m.release_terminated && pr.n == 0, "no problems");
	free(blob);
}

/* memfd 0x1a word i (README) */
static uint64_t pat_1a(uint64_t i)
{
	return U64(0x484f4c444f555400) ^ (i * U64(0x9E3779B97F4A7C15));
}

/* Compare a memfd's content with the README pattern; returns bad bytes. */
static uint64_t check_content(struct khofmt_source *src, struct khofmt_memfd *m,
			      uint64_t token, unsigned *nfolios, struct rvec *pfns)
{
	struct khofmt_memfd_folio f;
	unsigned char page[4096];
	uint64_t bad = 0, covered = 0;
	int r;

	*nfolios = 0;
	while ((r = khofmt_memfd_folio_next(m, &f)) == 0) {
		uint64_t off = f.index * 4096, n, j;

		(*nfolios)++;
		rv_push(pfns, f.pfn, f.index);
		if (off >= m->size)
			continue;
		n = m->size - off < 4096 ? m->size - off : 4096;
		if (khofmt_source_read(src, f.phys, page, (size_t)n)) {
			bad += n;
			continue;
		}
		covered += n;
		for (j = 0; j < n; j++) {
			uint64_t pos = off + j;
			unsigned char want;

			if (token == 0x1a) {
				want = (unsigned char)(pat_1a(pos / 8) >> (8 * (pos % 8)));
			} else {
				char line[64];

				snprintf(line, sizeof(line),
					 "holdout memfd 0x2b line %04u\n",
					 (unsigned)(pos / 29));
				want = (unsigned char)line[pos % 29];
			}
			bad += page[j] != want;
		}
	}
	if (r < 0)
		return UINT64_MAX;
	return covered == m->size ? bad : UINT64_MAX - 1;
}

/* "LUOX <token> pfn-runs: 0xP+N ..." (after preserving) -> pfn sequence */
static size_t log_pfns(const char *log, const char *token, uint64_t *out, size_t max)
{
	char key[64];
	const char *p;
	size_t n = 0;

	snprintf(key, sizeof(key), "\nLUOX %s pfn-runs:", token);
	p = strstr(log, key);
	if (!p)
		return 0;
	p += strlen(key);
	for (;;) {
		unsigned long long pfn, cnt, k;
		int used = 0;

		while (*p == ' ')
			p++;
		if (sscanf(p, "0x%llx+%llu%n", &pfn, &cnt, &used) != 2 || !used)
			break;
		for (k = 0; k < cnt && n < max; k++)
			out[n++] = pfn + k;
		p += used;
	}
	return n;
}

static void test_capture_luo(struct capture *c)
{
	static const struct {
		const char *session;
		uint64_t token;
		const char *logtok;
		uint64_t size, pos;
		int seals; /* -1: not stated in the README */
	} want[] = {
		{ "holdout-main", 0x1a, "0x1a", 3 << 20, 12345, -1 },
		{ "holdout-main", 0x2b, "0x2b", 10000, 0, 6 },
		{ "holdout-main", 0x4d, "0x4d", 0, 0, -1 },
		{ "holdout-state", 999, "999", 4096, 0, -1 },
	};
	const struct khofmt_subnode *sn = khofmt_fdt_subnode_by_name(c->fdt, "LUO");
	const struct khofmt_luo_info *info;
	struct khofmt_luo_session s;
	struct khofmt_luo_file f;
	struct khofmt_luo_flb flb;
	struct khofmt_luo *luo = NULL;
	struct probs pr;
	struct khofmt_schema_opts o = opts_for(&pr);
	const char *lu = strstr(c->log, "liveupdate number: ");
	unsigned found = 0, nsess = 0, i;
	void *blob = NULL;
	size_t len;
	int r;

	if (!ok(sn && khofmt_subnode_blob_read(c->src, sn, &blob, &len) == 0,
		"LUO blob read"))
		return;
	is(khofmt_luo_open(c->src, blob, len, &o, &luo), 0, "LUO opens");
	if (!luo) {
		free(blob);
		return;
	}
	info = khofmt_luo_info(luo);
	is_str(info->compatible, "luo-v5", "compatible luo-v5");
	ok(lu, "serial.log: second kernel's liveupdate number line");
	is_u64(info->liveupdate_num, lu ? strtoull(lu + 19, NULL, 10) : 0,
	       "liveupdate_num = the number the second kernel retrieved");
	ok(info->sessions_pa && info->flbs_pa, "sessions and FLB page present");
	while ((r = khofmt_luo_session_next(luo, &s)) == 0) {
		nsess++;
		ok(s.name_terminated, "session \"%s\" name NUL-terminated", s.name);
		while ((r = khofmt_luo_file_next(luo, &s, &f)) == 0) {
			struct khofmt_memfd m;
			struct rvec pfns = { 0 };
			uint64_t logp[4096], bad;
			unsigned nf;
			size_t nl;

			for (i = 0; i < 4; i++)
				if (want[i].token == f.token &&
				    !strcmp(want[i].session, s.name))
					break;
			if (!ok(i < 4, "file token 0x%" PRIx64 " in session %s is expected",
				f.token, s.name))
				continue;
			found |= 1u << i;
			is_str(f.compatible, "memfd-v2", "0x%" PRIx64 ": memfd-v2", f.token);
			if (!is(khofmt_memfd_open(c->src, f.data, f.compatible, &o, &m), 0,
				"0x%" PRIx64 ": memfd record decodes", f.token))
				continue;
			is_u64(m.size, want[i].size, "0x%" PRIx64 ": size %" PRIu64,
			       f.token, want[i].size);
			is_u64(m.pos, want[i].pos, "0x%" PRIx64 ": pos %" PRIu64,
			       f.token, want[i].pos);
			if (want[i].seals >= 0)
				is(m.seals, want[i].seals, "0x%" PRIx64 ": seals 0x%x",
				   f.token, want[i].seals);
			is_u64(m.nr_folios, (want[i].size + 4095) / 4096,
			       "0x%" PRIx64 ": one order-0 folio per page", f.token);
			if (want[i].token == 0x1a || want[i].token == 0x2b) {
				bad = check_content(c->src, &m, f.token, &nf, &pfns);
				is_u64(bad, 0, "0x%" PRIx64 ": data pages match the README pattern",
				       f.token);
			} else {
				struct khofmt_memfd_folio ff;

				nf = 0;
				while (khofmt_memfd_folio_next(&m, &ff) == 0) {
					nf++;
					rv_push(&pfns, ff.pfn, ff.index);
				}
			}
			is_u64(nf, m.nr_folios, "0x%" PRIx64 ": all folios iterated", f.token);
			nl = log_pfns(c->log, want[i].logtok, logp, 4096);
			if (nf) {
				size_t k, same = 0;

				/* folios in index order = pfns in the log's order */
				for (k = 0; k < nl && k < pfns.n; k++)
					same += pfns.v[k].start == logp[k] &&
						pfns.v[k].size == k;
				ok(nl > 0 && same == nl,
				   "0x%" PRIx64 ": %zu folio pfns (index order) = serial.log pfn-runs",
				   f.token, nl);
			}
			rv_free(&pfns);
		}
		is(r, 1, "session %s: file chain ends cleanly", s.name);
	}
	is(r, 1, "session chain ends cleanly");
	is(nsess, 2, "two sessions");
	is(found, 0xf, "all four memfds found in their sessions");
	is(khofmt_luo_flb_next(luo, &flb), 1, "no FLB records (no LUO test module)");
	is(pr.n, 0, "no problems reported%s%s", pr.n ? ": " : "", pr.n ? pr.last : "");
	khofmt_luo_free(luo);
	free(blob);
}

struct pagecheck {
	struct fvec tracker;  /* sorted entries */
	struct rvec ranges;
	unsigned count[8];
	unsigned bad[8];
};

static bool is_entry(const struct fvec *f, uint64_t phys, int order)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (f->v[mid].phys < phys)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < f->n && f->v[lo].phys == phys; lo++)
		if (order < 0 || f->v[lo].order == (unsigned)order)
			return true;
	return false;
}

static int page_cb(void *arg, enum khofmt_luo_page_kind kind, uint64_t pa, uint64_t len)
{
	struct pagecheck *pc = arg;
	bool good;

	if (kind == KHOFMT_LUO_PAGE_VMALLOC_RUN)
		good = rv_covers(&pc->ranges, pa, len);
	else if (kind == KHOFMT_LUO_PAGE_MEMFD_FOLIO)
		good = is_entry(&pc->tracker, pa, -1);
	else
		good = is_entry(&pc->tracker, pa, 0);
	pc->count[kind & 7]++;
	pc->bad[kind & 7] += !good;
	return 0;
}

/* doc/ABI.md 5 / SB-2 / LUO-2 / VM-1 / MFD-1, against the tracker */
static void test_capture_luo_pages(struct capture *c)
{
	static const unsigned want[8] = {
		[KHOFMT_LUO_PAGE_FLB] = 1,
		[KHOFMT_LUO_PAGE_SESSION_BLOCK] = 1,  /* 2 sessions */
		[KHOFMT_LUO_PAGE_FILE_BLOCK] = 2,     /* one per session */
		[KHOFMT_LUO_PAGE_MEMFD_RECORD] = 4,
		[KHOFMT_LUO_PAGE_VMALLOC_CHUNK] = 3,  /* the empty memfd has none */
		/* 768 + 3 + 1 folio records of 16 bytes: 3 + 1 + 1 pages */
		[KHOFMT_LUO_PAGE_VMALLOC_RUN] = 5,
		[KHOFMT_LUO_PAGE_MEMFD_FOLIO] = 772,
	};
	const struct khofmt_subnode *sn = khofmt_fdt_subnode_by_name(c->fdt, "LUO");
	struct khofmt_handover *h = NULL;
	struct khofmt_luo *luo = NULL;
	struct pagecheck pc;
	void *blob = NULL;
	size_t len;
	unsigned k;

	memset(&pc, 0, sizeof(pc));
	if (!ok(sn && !khofmt_subnode_blob_read(c->src, sn, &blob, &len) &&
		!khofmt_luo_open(c->src, blob, len, NULL, &luo) &&
		!khofmt_handover_open(c->fdt, c->src, NULL, &h), "LUO pages: open"))
		goto out;
	khofmt_walk_folios(h, NULL, collect_folio_cb, &pc.tracker);
	khofmt_walk_ranges(h, NULL, collect_range_cb, &pc.ranges);
	fv_sort_unique(&pc.tracker);
	is(khofmt_luo_walk_pages(luo, page_cb, &pc), 0, "LUO pages: walk");
	for (k = 1; k < 8; k++) {
		is(pc.count[k], want[k], "LUO pages: %u %s", want[k],
		   khofmt_luo_page_kind_name((enum khofmt_luo_page_kind)k));
		is(pc.bad[k], 0, "LUO pages: every %s is preserved as doc/ABI.md 5 requires",
		   khofmt_luo_page_kind_name((enum khofmt_luo_page_kind)k));
	}
out:
	fv_free(&pc.tracker);
	rv_free(&pc.ranges);
	khofmt_luo_free(luo);
	khofmt_handover_free(h);
	free(blob);
}

static void test_capture_other_luo(struct capture *c)
{
	static const struct {
		const char *file;
		uint64_t num;
		bool sessions;
	} want[] = {
		/* read through debugfs before the reboot serialized sessions */
		{ "blobs/debugfs/k1-out_sub_fdts_LUO.bin", 1, false },
		/* the second kernel's own blob: previous + 1 (doc/ABI.md 6.2.1) */
		{ "blobs/k2-out/LUO.bin", 2, false },
	};
	unsigned i;

	for (i = 0; i < 2; i++) {
		struct khofmt_luo *luo = NULL;
		struct khofmt_luo_session s;
		size_t len;
		void *b = read_whole_file(fx(want[i].file), &len);

		if (!ok(b && khofmt_luo_open(c->src, b, len, NULL, &luo) == 0,
			"%s opens", want[i].file)) {
			free(b);
			continue;
		}
		is_u64(khofmt_luo_info(luo)->liveupdate_num, want[i].num,
		       "%s: liveupdate_num %" PRIu64, want[i].file, want[i].num);
		is(khofmt_luo_session_next(luo, &s), 1, "%s: no sessions", want[i].file);
		khofmt_luo_free(luo);
		free(b);
	}
}

static void test_capture_memblock(struct capture *c)
{
	const struct khofmt_subnode *sn = khofmt_fdt_subnode_by_name(c->fdt, "memblock");
	struct khofmt_memblock mb;
	struct khofmt_memblock_region r;
	struct probs pr;
	struct khofmt_schema_opts o = opts_for(&pr);
	void *blob = NULL;
	size_t len;

	if (!ok(sn && khofmt_subnode_blob_read(c->src, sn, &blob, &len) == 0,
		"memblock blob read"))
		return;
	is(khofmt_memblock_open(blob, len, &o, &mb), 0, "memblock-v1 opens");
	is(khofmt_memblock_region_next(&mb, &r), 0, "one region");
	/* serial.log command line: reserve_mem=1028K:16K:sample */
	ok(strstr(c->log, "reserve_mem=1028K:16K:sample") != NULL,
	   "serial.log: reserve_mem=1028K:16K:sample");
	is_str(r.name, "sample", "region name sample");
	ok(r.compatible_ok && r.has_start && r.has_size, "reserve-mem-v1 with start/size");
	is_u64(r.size, 1028 * 1024, "size 1028 KiB");
	is_u64(r.start % (16 * 1024), 0, "start 16 KiB aligned");
	is(khofmt_memblock_region_next(&mb, &r), 1, "only one region");
	is(pr.n, 0, "no problems");
	free(blob);
}

struct fset {
	struct fvec v;
};

static void test_capture_kho_test(struct capture *c)
{
	const struct khofmt_subnode *sn = khofmt_fdt_subnode_by_name(c->fdt, "kho_test");
	struct khofmt_handover *h = NULL;
	struct khofmt_kho_test t;
	struct fvec tracker = { 0 };
	struct probs pr;
	struct khofmt_schema_opts o = opts_for(&pr);
	uint64_t phys;
	unsigned order, n = 0, preserved = 0, i;
	void *blob = NULL;
	size_t len;
	int off, l, r;
	const void *p;

	if (!ok(sn && khofmt_subnode_blob_read(c->src, sn, &blob, &len) == 0,
		"kho_test blob read"))
		return;
	is(khofmt_kho_test_open(c->src, blob, len, &o, &t), 0, "kho-test-v1 opens");
	is_u64(t.magic, 0x4b484f21, "magic KHO!");
	off = fdt_path_offset(blob, "/data");
	p = fdt_getprop(blob, off, "nr_folios", &l);
	ok(p && l == 4, "libfdt: /data/nr_folios");
	is(t.nr_folios, p ? le32_load(p) : 0, "nr_folios = libfdt read (%u)", t.nr_folios);
	ok(t.has_vmalloc, "folios_info is a kho_vmalloc descriptor");
	if (khofmt_handover_open(c->fdt, c->src, NULL, &h) == 0)
		khofmt_walk_folios(h, NULL, collect_folio_cb, &tracker);
	fv_sort_unique(&tracker);
	while ((r = khofmt_kho_test_folio_next(&t, &phys, &order)) == 0) {
		n++;
		for (i = 0; i < tracker.n; i++)
			if (tracker.v[i].phys == phys && tracker.v[i].order == order)
				break;
		preserved += i < tracker.n;
	}
	is(r, 1, "folio list ends cleanly");
	is(n, t.nr_folios, "nr_folios words");
	is(preserved, n, "every kho_test folio is a tracker entry with its order");
	ok(strstr(c->log, "test_kho: KHO restore succeeded") != NULL,
	   "serial.log: the second kernel restored them");
	is(pr.n, 0, "no problems");
	fv_free(&tracker);
	khofmt_handover_free(h);
	free(blob);
}

/* ---- encoder -> decoder round trips ---- */

#define NSESS 53  /* > 51: two session blocks */
#define NFILES 70 /* > 63: two file blocks */

struct enc_world {
	struct state st;
	unsigned char *data[4];
	size_t dlen[4];
	struct khofmt_enc_luo_file files[NFILES];
	struct khofmt_enc_luo_session sess[NSESS];
	char names[NSESS][16];
};

static void fill(unsigned char *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(splitmix64(&seed) >> 7);
}

static int world_build_ps(struct enc_world *w, unsigned ps)
{
	static const struct khofmt_enc_luo_flb flb[] = {
		{ "liveupdate-test-flb-v0", U64(0xFEEDF00DCAFEBEE0), 1 },
		{ "liveupdate-test-flb-v1", U64(0xFEEDF00DCAFEBEE1), 2 },
	};
	static const size_t sizes[4] = { 10000, 3 << 20, 1, 4096 * 5 + 7 };
	struct khofmt_enc_opts eo = { .sz = sizeof(eo), .page_shift = ps };
	struct khofmt_enc_region reg[2] = {
		{ "sample", 0x20000000, ps == 12 ? 1028 * 1024 : 1 << 20 },
		{ "other", 0x30000000, 64 << 20 },
	};
	/* aligned and disjoint for every page size (order 12 at 64 KiB: 256 MiB) */
	uint64_t tphys[5] = { 0x60000000, 0x40200000, 0x40400000, 0x40600000, 0x50000000 };
	unsigned tord[5] = { 9, 0, 4, 1, 12 };
	struct khofmt_enc *e;
	size_t i;
	int r;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < 4; i++) {
		w->dlen[i] = sizes[i];
		w->data[i] = xmalloc(sizes[i]);
		fill(w->data[i], sizes[i], i + 1);
	}
	for (i = 0; i < NFILES; i++) {
		w->files[i].token = U64(0x1000) + i * U64(0x100000001);
		w->files[i].pos = i * 3;
		if (i < 4) {
			w->files[i].data = w->data[i];
			w->files[i].size = sizes[i];
			w->files[i].seals = (uint32_t)i;
			w->files[i].folio_order = i == 1 ? 2 : 0;
		}
	}
	for (i = 0; i < NSESS; i++) {
		snprintf(w->names[i], sizeof(w->names[0]), "sess-%02zu", i);
		w->sess[i].name = w->names[i];
	}
	w->sess[0].files = w->files;
	w->sess[0].nfiles = NFILES;
	w->sess[7].files = w->files; /* same content, separate copies */
	w->sess[7].nfiles = 2;
	if (khofmt_enc_new(&eo, &e))
		return -1;
	r = khofmt_enc_kexec_meta(e, "6.99.1-test+", 3);
	r = r ? r : khofmt_enc_memblock(e, reg, 2);
	r = r ? r : khofmt_enc_kho_test(e, tphys, tord, 5);
	r = r ? r : khofmt_enc_luo(e, 42, w->sess, NSESS, flb, 2);
	if (r) {
		diag("encode: %s (%s)", khofmt_strerror(r), khofmt_enc_errmsg(e));
		khofmt_enc_free(e);
		return r;
	}
	r = state_finish_open(e, ps, &w->st);
	khofmt_enc_free(e);
	return r;
}

static int world_build(struct enc_world *w)
{
	return world_build_ps(w, 12);
}

static void world_free(struct enc_world *w)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		free(w->data[i]);
	state_free(&w->st);
}

static void *sub_blob(struct state *st, const char *name, size_t *len)
{
	const struct khofmt_subnode *sn = khofmt_fdt_subnode_by_name(st->fdt, name);
	void *b = NULL;

	if (!sn || khofmt_subnode_blob_read(st->src, sn, &b, len))
		return NULL;
	return b;
}

/*
 * Read a whole memfd back through its folios. The record does not store
 * folio orders: a folio extends to the next folio's index (or the end).
 */
static unsigned char *memfd_content_ps(struct khofmt_source *src, struct khofmt_memfd *m,
				       uint64_t *nf, unsigned ps)
{
	struct khofmt_memfd_folio f;
	struct rvec v = { 0 };
	unsigned char *buf = calloc(1, m->size + 1);
	size_t i;
	int r;

	while ((r = khofmt_memfd_folio_next(m, &f)) == 0)
		rv_push(&v, f.phys, f.index << ps);
	*nf = v.n;
	for (i = 0; r == 1 && i < v.n; i++) {
		uint64_t off = v.v[i].size;
		uint64_t end = i + 1 < v.n ? v.v[i + 1].size : m->size;

		if (end > m->size || end < off ||
		    khofmt_source_read(src, v.v[i].start, buf + off, (size_t)(end - off)))
			r = -1;
	}
	rv_free(&v);
	if (r != 1) {
		free(buf);
		return NULL;
	}
	return buf;
}

static unsigned char *memfd_content(struct khofmt_source *src, struct khofmt_memfd *m,
				    uint64_t *nf)
{
	return memfd_content_ps(src, m, nf, 12);
}

static void test_roundtrip(void)
{
	struct enc_world w;
	struct probs pr;
	struct khofmt_schema_opts o = opts_for(&pr);
	struct khofmt_kexec_meta km;
	struct khofmt_memblock mb;
	struct khofmt_memblock_region reg;
	struct khofmt_kho_test kt;
	struct khofmt_luo *luo = NULL;
	struct khofmt_luo_session s;
	struct khofmt_luo_file f;
	struct khofmt_luo_flb flb;
	struct fvec tracker = { 0 };
	uint64_t phys;
	unsigned order, n, okf;
	size_t len;
	void *b;
	int r;

	if (!is(world_build(&w), 0, "round trip: encode all schemas")) {
		world_free(&w);
		return;
	}
	khofmt_walk_folios(w.st.h, NULL, collect_folio_cb, &tracker);
	fv_sort_unique(&tracker);

	b = sub_blob(&w.st, "kexec-metadata", &len);
	is(b ? khofmt_kexec_meta_decode(b, len, &o, &km) : -1, 0, "rt: kexec-metadata");
	is_u64(len, 73, "rt: kexec-metadata blob-size 73");
	is_str(km.release, "6.99.1-test+", "rt: release");
	is(km.kexec_count, 3, "rt: count");
	free(b);

	b = sub_blob(&w.st, "memblock", &len);
	is(b ? khofmt_memblock_open(b, len, &o, &mb) : -1, 0, "rt: memblock");
	n = 0;
	while (b && khofmt_memblock_region_next(&mb, &reg) == 0) {
		n++;
		if (!strcmp(reg.name, "sample"))
			ok(reg.start == 0x20000000 && reg.size == 1028 * 1024, "rt: sample region");
		else
			ok(!strcmp(reg.name, "other") && reg.start == 0x30000000 &&
			   reg.size == 64 << 20, "rt: other region");
	}
	is(n, 2, "rt: two regions");
	free(b);

	b = sub_blob(&w.st, "kho_test", &len);
	is(b ? khofmt_kho_test_open(w.st.src, b, len, &o, &kt) : -1, 0, "rt: kho_test");
	n = okf = 0;
	while (b && khofmt_kho_test_folio_next(&kt, &phys, &order) == 0) {
		static const uint64_t ph[5] = { 0x60000000, 0x40200000, 0x40400000,
						0x40600000, 0x50000000 };
		static const unsigned od[5] = { 9, 0, 4, 1, 12 };

		okf += n < 5 && phys == ph[n] && order == od[n];
		n++;
	}
	ok(n == 5 && okf == 5, "rt: kho_test folio words");
	free(b);

	b = sub_blob(&w.st, "LUO", &len);
	is_u64(len, 32, "rt: LUO blob-size 32");
	is(b ? khofmt_luo_open(w.st.src, b, len, &o, &luo) : -1, 0, "rt: LUO opens");
	if (luo) {
		unsigned ns = 0, files0 = 0, good = 0;

		is_u64(khofmt_luo_info(luo)->liveupdate_num, 42, "rt: liveupdate_num");
		while ((r = khofmt_luo_session_next(luo, &s)) == 0) {
			char want[16];

			snprintf(want, sizeof(want), "sess-%02u", ns);
			good += !strcmp(s.name, want);
			while (khofmt_luo_file_next(luo, &s, &f) == 0) {
				struct khofmt_memfd m;
				unsigned i = ns == 0 ? files0++ : 0;
				uint64_t nf;

				if (ns != 0)
					continue;
				if (khofmt_memfd_open(w.st.src, f.data, f.compatible, &o, &m)) {
					fail("rt: memfd %u opens", i);
					continue;
				}
				if (f.token != U64(0x1000) + i * U64(0x100000001) ||
				    m.pos != i * 3)
					fail("rt: file %u token/pos", i);
				if (i < 4) {
					unsigned char *c = memfd_content(w.st.src, &m, &nf);

					ok(m.size == w.dlen[i] && m.seals == i && c &&
					   !memcmp(c, w.data[i], w.dlen[i]),
					   "rt: memfd %u: size %zu, seals, content", i, w.dlen[i]);
					free(c);
				}
			}
			ns++;
		}
		is(r, 1, "rt: session chain ends");
		is(ns, NSESS, "rt: %d sessions over two blocks", NSESS);
		is(good, NSESS, "rt: session names in order");
		is(files0, NFILES, "rt: %d files over two blocks", NFILES);
		n = 0;
		while (khofmt_luo_flb_next(luo, &flb) == 0)
			n += flb.data == U64(0xFEEDF00DCAFEBEE0) + n && flb.refcount == n + 1;
		is(n, 2, "rt: two FLB records");
		is(pr.n, 0, "rt: no problems%s%s", pr.n ? ": " : "", pr.last);
		khofmt_luo_free(luo);
	}
	free(b);
	fv_free(&tracker);
	world_free(&w);
}

static int count_cb(void *arg, enum khofmt_luo_page_kind kind, uint64_t pa, uint64_t len)
{
	(void)kind;
	(void)pa;
	(void)len;
	++*(unsigned *)arg;
	return 0;
}

/* 16 KiB and 64 KiB pages: capacities and sizes follow P (doc/ABI.md 10) */
static void test_roundtrip_ps(unsigned ps)
{
	struct enc_world w;
	struct probs pr;
	struct khofmt_schema_opts o = opts_for(&pr);
	struct khofmt_luo *luo = NULL;
	struct khofmt_luo_session s;
	struct khofmt_luo_file f;
	struct khofmt_kho_test kt;
	unsigned ns = 0, nf0 = 0, good = 0, pages = 0, n = 0;
	uint64_t phys, nf;
	unsigned order;
	size_t len;
	void *b;

	o.page_shift = ps;
	if (!is(world_build_ps(&w, ps), 0, "ps %u: encode", ps)) {
		world_free(&w);
		return;
	}
	b = sub_blob(&w.st, "LUO", &len);
	is(b ? khofmt_luo_open(w.st.src, b, len, &o, &luo) : -1, 0, "ps %u: LUO opens", ps);
	while (luo && khofmt_luo_session_next(luo, &s) == 0) {
		ns++;
		while (khofmt_luo_file_next(luo, &s, &f) == 0) {
			struct khofmt_memfd m;
			unsigned i = ns == 1 ? nf0++ : 99;

			if (i >= 4 || khofmt_memfd_open(w.st.src, f.data, f.compatible, &o, &m))
				continue;
			{
				unsigned char *c = memfd_content_ps(w.st.src, &m, &nf, ps);

				good += c && m.size == w.dlen[i] && !memcmp(c, w.data[i], w.dlen[i]);
				free(c);
			}
		}
	}
	ok(ns == NSESS && nf0 == NFILES, "ps %u: %u sessions, %u files", ps, ns, nf0);
	is(good, 4, "ps %u: four memfd contents", ps);
	if (luo)
		khofmt_luo_walk_pages(luo, count_cb, &pages);
	ok(pages > 0, "ps %u: %u LUO pages", ps, pages);
	khofmt_luo_free(luo);
	free(b);
	b = sub_blob(&w.st, "kho_test", &len);
	if (b && khofmt_kho_test_open(w.st.src, b, len, &o, &kt) == 0)
		while (khofmt_kho_test_folio_next(&kt, &phys, &order) == 0)
			n += !(phys & ((U64(1) << ps) - 1)) && order < 13;
	is(n, 5, "ps %u: kho_test words split at PS bits", ps);
	is(pr.n, 0, "ps %u: no problems%s%s", ps, pr.n ? ": " : "", pr.last);
	free(b);
	world_free(&w);
}

/* ---- hostile variants ---- */

static void poke64(struct khofmt_source *src, uint64_t pa, uint64_t v)
{
	void *p = (void *)khofmt_source_ptr(src, pa, 8);

	if (!p)
		bail_out("poke 0x%" PRIx64 " outside the image", pa);
	le64_store(p, v);
}

static uint64_t peek64(struct khofmt_source *src, uint64_t pa)
{
	unsigned char b[8];

	if (khofmt_source_read(src, pa, b, 8))
		bail_out("peek 0x%" PRIx64, pa);
	return le64_load(b);
}

/* Iterate all sessions and their files; return the first error or 1. */
static int luo_walk(struct khofmt_source *src, const void *blob, size_t len,
		    struct probs *pr)
{
	struct khofmt_schema_opts o = opts_for(pr);
	struct khofmt_luo *luo;
	struct khofmt_luo_session s;
	struct khofmt_luo_file f;
	int r = khofmt_luo_open(src, blob, len, &o, &luo), rf;

	if (r)
		return r;
	while ((r = khofmt_luo_session_next(luo, &s)) == 0)
		while ((rf = khofmt_luo_file_next(luo, &s, &f)) != 1)
			if (rf < 0) {
				khofmt_luo_free(luo);
				return rf;
			}
	khofmt_luo_free(luo);
	return r;
}

static void test_hostile_luo(void)
{
	struct enc_world w;
	struct khofmt_source *src;
	struct probs pr;
	uint64_t first, second, s0files;
	unsigned char *blob;
	size_t len;

	if (!is(world_build(&w), 0, "hostile: base world")) {
		world_free(&w);
		return;
	}
	blob = sub_blob(&w.st, "LUO", &len);
	first = le64_load(blob + 16);
	second = peek64(w.st.src, first);
	s0files = peek64(w.st.src, first + 16 + 64);
	is(luo_walk(w.st.src, blob, len, &pr), 1, "hostile: base walks cleanly");
	ok(second != 0, "hostile: the session chain has two blocks");

#define VARIANT(desc, code, expect_r, rule)                                    \
	do {                                                                   \
		if (source_clone_mem(w.st.src, &src))                          \
			bail_out("clone");                                     \
		code;                                                          \
		is(luo_walk(src, blob, len, &pr), expect_r, "hostile: %s", desc); \
		ok(has_rule(&pr, rule), "hostile: %s reported as %s (%s)", desc, \
		   rule, pr.last);                                             \
		khofmt_source_free(src);                                       \
	} while (0)

	VARIANT("session block points at itself", poke64(src, first, first),
		-KHOFMT_ERR_LOOP, "LUO-2");
	VARIANT("second session block points back at the first",
		poke64(src, second, first), -KHOFMT_ERR_LOOP, "LUO-2");
	VARIANT("session block count 0", poke64(src, first + 8, 0),
		-KHOFMT_ERR_STRUCT, "LUO-2");
	VARIANT("session block count 52 > 51", poke64(src, first + 8, 52),
		-KHOFMT_ERR_STRUCT, "LUO-2");
	VARIANT("file block count too big", poke64(src, s0files + 8, 64),
		-KHOFMT_ERR_STRUCT, "LUO-2");
	VARIANT("file block chain loops", poke64(src, peek64(src, s0files), s0files),
		-KHOFMT_ERR_LOOP, "LUO-2");
	VARIANT("session block not page-aligned", poke64(src, first, second + 8),
		-KHOFMT_ERR_STRUCT, "LUO-2");
	VARIANT("next block outside the image", poke64(src, first, U64(0x7fff000000)),
		-KHOFMT_ERR_NOTCOVERED, "LUO-2");
	VARIANT("session name without NUL", memset((void *)khofmt_source_ptr(src, first + 16, 64),
						   'A', 64), 1, "LUO-3");
	VARIANT("file_count 71 for 70 records", poke64(src, first + 16 + 72, 71), 1, "LUO-3");
	VARIANT("duplicate session name",
		memcpy((void *)khofmt_source_ptr(src, first + 16 + 80, 8), "sess-00", 8),
		1, "LUO-3");
	VARIANT("files_pa 0 with file_count 70", poke64(src, first + 16 + 64, 0), 1, "LUO-3");
	VARIANT("duplicate token", poke64(src, s0files + 16 + 64 + 56,
					  peek64(src, s0files + 16 + 56)), 1, "LUO-4");
	VARIANT("file compatible without NUL",
		memset((void *)khofmt_source_ptr(src, s0files + 16, 48), 'x', 48), 1, "LUO-4");
#undef VARIANT
	/* the FLB error surfaces on flb_next, not on the session walk */
	{
		struct khofmt_luo *luo;
		struct khofmt_luo_flb fl;
		struct khofmt_schema_opts o = opts_for(&pr);

		source_clone_mem(w.st.src, &src);
		poke64(src, le64_load(blob + 24) + 8, 64);
		khofmt_luo_open(src, blob, len, &o, &luo);
		is(khofmt_luo_flb_next(luo, &fl), -KHOFMT_ERR_STRUCT, "hostile: FLB count 64 > 63");
		ok(has_rule(&pr, "LUO-5") && pr.fatal, "hostile: reported as fatal LUO-5");
		khofmt_luo_free(luo);
		khofmt_source_free(src);
	}
	{
		unsigned char bad[32];
		struct khofmt_luo *luo = NULL;

		memcpy(bad, blob, 32);
		memcpy(bad, "luo-v4\0\0", 8);
		opts_for(&pr);
		is(luo_walk(w.st.src, bad, 32, &pr), -KHOFMT_ERR_COMPAT, "hostile: luo-v4 compatible");
		is(luo_walk(w.st.src, blob, 31, &pr), -KHOFMT_ERR_TRUNCATED, "hostile: 31-byte LUO");
		ok(pr.fatal && has_rule(&pr, "LUO-1"), "hostile: fatal LUO-1");
		is(khofmt_luo_open(w.st.src, NULL, 32, NULL, &luo), -KHOFMT_ERR_INVAL, "NULL blob");
	}
	/* memfd record */
	{
		struct khofmt_schema_opts o = opts_for(&pr);
		struct khofmt_memfd m;
		uint64_t rec = peek64(w.st.src, s0files + 16 + 48);

		source_clone_mem(w.st.src, &src);
		poke64(src, rec + 16, 0x40 | (U64(5) << 32)); /* seals 0x40, flags 5 */
		is(khofmt_memfd_open(src, rec, "memfd-v2", &o, &m), 0, "hostile memfd decodes");
		is(pr.n, 2, "hostile memfd: seals 0x40 and flags 5 reported");
		ok(has_rule(&pr, "MFD-1"), "as MFD-1");
		opts_for(&pr);
		is(khofmt_memfd_open(src, rec, "memfd-v9", &o, &m), -KHOFMT_ERR_COMPAT,
		   "memfd-v9 refused");
		{
			struct khofmt_memfd_folio fo;
			uint64_t chunk = peek64(src, rec + 32), run = peek64(src, chunk + 8);

			/* folio record 1's index := 0 (file 0 has 3 folios) */
			poke64(src, run + 16 + 8, 0);
			opts_for(&pr);
			khofmt_memfd_open(src, rec, "memfd-v2", &o, &m);
			while (khofmt_memfd_folio_next(&m, &fo) == 0)
				;
			ok(has_rule(&pr, "MFD-1") && strstr(pr.last, "used twice"),
			   "duplicate folio index reported (%s)", pr.last);
			poke64(src, run, (U64(0x1234) | (U64(0x10) << 52)));
			opts_for(&pr);
			khofmt_memfd_open(src, rec, "memfd-v2", &o, &m);
			is(khofmt_memfd_folio_next(&m, &fo), 0, "folio with flag 0x10 decodes");
			ok(fo.pfn == 0x1234 && fo.flags == 0x10 && has_rule(&pr, "MFD-1"),
			   "pfn/flags bitfield split, unknown flag reported");
			khofmt_memfd_close(&m);
			khofmt_memfd_close(&m);
		}
		poke64(src, rec + 24, U64(1) << 40); /* nr_folios huge */
		is(khofmt_memfd_open(src, rec, "memfd-v2", &o, &m), -KHOFMT_ERR_STRUCT,
		   "nr_folios beyond the vmalloc area");
		khofmt_source_free(src);
	}
	free(blob);
	world_free(&w);
}

struct pagelist {
	uint64_t pa[4096];
	unsigned n;
};

static int list_cb(void *arg, enum khofmt_luo_page_kind kind, uint64_t pa, uint64_t len)
{
	struct pagelist *pl = arg;

	(void)len;
	if (kind != KHOFMT_LUO_PAGE_MEMFD_FOLIO && kind != KHOFMT_LUO_PAGE_VMALLOC_RUN &&
	    pl->n < 4096)
		pl->pa[pl->n++] = pa;
	return 0;
}

/*
 * Random corruption of LUO metadata words (seeded): every decoder must end
 * with an item count, an end or a clean error, never a crash (run it under
 * the sanitizers).
 */
static void test_mutations(void)
{
	struct enc_world w;
	struct pagelist *pl = xmalloc(sizeof(*pl));
	struct khofmt_luo *luo = NULL;
	uint64_t seed = 7;
	unsigned char *blob;
	unsigned i, clean = 0, errors = 0;
	size_t len;

	if (!is(world_build(&w), 0, "mutations: base world")) {
		world_free(&w);
		free(pl);
		return;
	}
	blob = sub_blob(&w.st, "LUO", &len);
	pl->n = 0;
	khofmt_luo_open(w.st.src, blob, len, NULL, &luo);
	is(khofmt_luo_walk_pages(luo, list_cb, pl), 0, "mutations: metadata pages listed");
	khofmt_luo_free(luo);
	for (i = 0; i < 150; i++) {
		struct khofmt_source *src;
		struct probs pr;
		unsigned k, nw = 1 + (unsigned)rnd_below(&seed, 4), pages = 0;
		int r;

		if (source_clone_mem(w.st.src, &src))
			bail_out("clone");
		for (k = 0; k < nw; k++) {
			uint64_t pa = pl->pa[rnd_below(&seed, pl->n)] + 8 * rnd_below(&seed, 512);
			uint64_t v;

			switch (rnd_below(&seed, 4)) {
			case 0: v = 0; break;
			case 1: v = splitmix64(&seed); break;
			case 2: v = pl->pa[rnd_below(&seed, pl->n)]; break;
			default: v = peek64(src, pa) ^ (U64(1) << rnd_below(&seed, 64)); break;
			}
			poke64(src, pa, v);
		}
		r = luo_walk(src, blob, len, &pr);
		if (khofmt_luo_open(src, blob, len, NULL, &luo) == 0) {
			int r2 = khofmt_luo_walk_pages(luo, count_cb, &pages);

			errors += r2 < 0;
			khofmt_luo_free(luo);
		}
		clean += r == 1;
		errors += r < 0;
		khofmt_source_free(src);
	}
	ok(clean + errors >= 150, "mutations: 150 corrupted states decoded or refused "
	   "cleanly (%u clean, %u with errors)", clean, errors);
	free(blob);
	free(pl);
	world_free(&w);
}

/* A hand-built chain of @n blocks (count 1, 64-byte entries). */
static void test_chain_limit(void)
{
	struct khofmt_source *src;
	struct khofmt_block_iter it;
	struct probs pr;
	struct khofmt_schema_opts o = opts_for(&pr);
	unsigned char *p, e[64];
	uint64_t base = 0x100000, i, n = KHOFMT_BLOCK_MAX_CHAIN + 1, items = 0;
	int r;

	if (khofmt_source_new_mem(&src) ||
	    khofmt_source_mem_add(src, base, n * 4096, (void **)&p))
		bail_out("mem source");
	for (i = 0; i < n; i++) {
		le64_store(p + i * 4096, i + 1 < n ? base + (i + 1) * 4096 : 0);
		le64_store(p + i * 4096 + 8, 1);
	}
	khofmt_block_iter_init(&it, src, base, 64, &o);
	while ((r = khofmt_block_next(&it, e, NULL)) == 0)
		items++;
	is(r, -KHOFMT_ERR_LIMIT, "chain of 10001 blocks: LIMIT");
	is_u64(items, KHOFMT_BLOCK_MAX_CHAIN, "10000 entries read before");
	/* exactly the limit is fine */
	le64_store(p + (n - 2) * 4096, 0);
	khofmt_block_iter_init(&it, src, base, 64, &o);
	items = 0;
	while ((r = khofmt_block_next(&it, e, NULL)) == 0)
		items++;
	is(r, 1, "chain of 10000 blocks ends cleanly");
	/* a cycle far down the chain */
	le64_store(p + 5000 * 4096, base + 1234 * 4096);
	khofmt_block_iter_init(&it, src, base, 64, &o);
	while ((r = khofmt_block_next(&it, e, NULL)) == 0)
		;
	is(r, -KHOFMT_ERR_LOOP, "cycle 5000 -> 1234 found (two-pointer)");
	/*
	 * Loops closing at the reader's limit: the cycle scan is bounded by
	 * it (3 * 10 000 steps), yet must find a loop of 10 000 blocks (Brent
	 * meets it after 16 383 + 10 000 steps), before any entry comes twice.
	 */
	le64_store(p + 5000 * 4096, base + 5001 * 4096);
	{
		static const uint64_t back[] = { 0, 8193, 9999 };
		size_t k;

		for (k = 0; k < sizeof(back) / sizeof(back[0]); k++) {
			le64_store(p + (n - 2) * 4096, base + back[k] * 4096);
			khofmt_block_iter_init(&it, src, base, 64, &o);
			items = 0;
			while ((r = khofmt_block_next(&it, e, NULL)) == 0)
				items++;
			is(r, -KHOFMT_ERR_LOOP, "block 9999 -> %llu: LOOP",
			   (unsigned long long)back[k]);
			is_u64(items, KHOFMT_BLOCK_MAX_CHAIN, "... after 10000 entries, each once");
		}
	}
	/* a loop one block past the limit: the limit, each entry once */
	le64_store(p + (n - 2) * 4096, base + (n - 1) * 4096);
	le64_store(p + (n - 1) * 4096, base);
	khofmt_block_iter_init(&it, src, base, 64, &o);
	items = 0;
	while ((r = khofmt_block_next(&it, e, NULL)) == 0)
		items++;
	is(r, -KHOFMT_ERR_LIMIT, "block 10000 -> 0 (10001 in the loop): LIMIT");
	is_u64(items, KHOFMT_BLOCK_MAX_CHAIN, "... after 10000 entries, each once");
	is(khofmt_block_iter_init(&it, src, base, 4096, &o), -KHOFMT_ERR_INVAL,
	   "entry size larger than a block refused");
	khofmt_source_free(src);
}

static void test_vmalloc_hostile(void)
{
	struct khofmt_source *src;
	struct khofmt_vmalloc_iter it;
	struct khofmt_vmalloc_desc d = { .first = 0x200000, .total_pages = 1, .order = 0 };
	struct probs pr;
	struct khofmt_schema_opts o = opts_for(&pr);
	unsigned char *p, buf[64];
	uint64_t pa, len;
	int r, runs = 0;

	if (khofmt_source_new_mem(&src) ||
	    khofmt_source_mem_add(src, 0x200000, 4 * 4096, (void **)&p))
		bail_out("mem source");
	/* chunk 0: no runs, next = itself */
	le64_store(p, 0x200000);
	is(khofmt_vmalloc_iter_init(&it, src, &d, &o), 0, "vmalloc init");
	while ((r = khofmt_vmalloc_run_next(&it, &pa, &len)) == 0)
		;
	is(r, -KHOFMT_ERR_LOOP, "vmalloc chunk chain cycle");
	ok(has_rule(&pr, "VM-1") && pr.fatal, "reported as fatal VM-1");
	/* one run, total_pages 3: mismatch at the end */
	le64_store(p, 0);
	le64_store(p + 8, 0x201000);
	d.total_pages = 3;
	khofmt_vmalloc_iter_init(&it, src, &d, &o);
	while ((r = khofmt_vmalloc_run_next(&it, &pa, &len)) == 0)
		runs++;
	ok(runs == 1 && r == -KHOFMT_ERR_STRUCT, "run count 1 != total_pages 3");
	/* more runs than total_pages */
	le64_store(p + 16, 0x202000);
	d.total_pages = 1;
	khofmt_vmalloc_iter_init(&it, src, &d, &o);
	runs = 0;
	while ((r = khofmt_vmalloc_run_next(&it, &pa, &len)) == 0)
		runs++;
	ok(runs == 1 && r == -KHOFMT_ERR_STRUCT, "runs beyond total_pages stop at once");
	/* sequential read past the area */
	khofmt_vmalloc_iter_init(&it, src, &d, &o);
	is(khofmt_vmalloc_read(&it, buf, 64), 0, "read inside the area");
	d.flags = 4;
	is(khofmt_vmalloc_iter_init(&it, src, &d, &o), -KHOFMT_ERR_STRUCT, "unknown flag bit");
	d.flags = 0;
	d.first = 0;
	is(khofmt_vmalloc_iter_init(&it, src, &d, &o), -KHOFMT_ERR_STRUCT, "first = 0");
	d.first = 0x200800;
	is(khofmt_vmalloc_iter_init(&it, src, &d, &o), -KHOFMT_ERR_STRUCT, "misaligned chunk");
	/* misaligned run */
	d.first = 0x200000;
	d.total_pages = 2;
	le64_store(p + 8, 0x201800);
	le64_store(p + 16, 0);
	khofmt_vmalloc_iter_init(&it, src, &d, &o);
	is(khofmt_vmalloc_run_next(&it, &pa, &len), -KHOFMT_ERR_STRUCT, "misaligned run");
	khofmt_source_free(src);
}

static void test_small_blobs(void)
{
	unsigned char km[80] = { 1, 0, 0, 0 };
	struct khofmt_kexec_meta m;
	struct khofmt_memblock mb;
	struct probs pr;
	struct khofmt_schema_opts o = opts_for(&pr);

	is(khofmt_kexec_meta_decode(km, 3, &o, &m), -KHOFMT_ERR_TRUNCATED, "kexec-meta 3 bytes");
	is(khofmt_kexec_meta_decode(km, 72, &o, &m), -KHOFMT_ERR_TRUNCATED, "kexec-meta 72 bytes");
	km[0] = 2;
	is(khofmt_kexec_meta_decode(km, 73, &o, &m), -KHOFMT_ERR_COMPAT, "kexec-meta version 2");
	km[0] = 1;
	memset(km + 4, 'z', 65);
	le32_load(km); /* keep helper used */
	km[69] = 7;
	opts_for(&pr);
	is(khofmt_kexec_meta_decode(km, 73, &o, &m), 0, "release without NUL decodes");
	ok(!m.release_terminated && strlen(m.release) == 65 && has_rule(&pr, "KM-1"),
	   "release without NUL: problem KM-1, 65 chars kept");
	is(m.kexec_count, 7, "unaligned count at 69");
	is(khofmt_memblock_open(km, sizeof(km), &o, &mb), -KHOFMT_ERR_BADFDT, "memblock garbage");
	ok(khofmt_subnode_schema(NULL, km, sizeof(km)) == KHOFMT_SCHEMA_UNKNOWN,
	   "no name, no compatible: unknown");
}

/* luo-v1 (doc/ABI.md 6.2.2): sub-FDT + session header + contiguous records */
static void test_luo_v1(void)
{
	struct khofmt_source *src;
	struct khofmt_luo *luo = NULL;
	struct khofmt_luo_session s;
	struct khofmt_luo_file f;
	struct probs pr;
	struct khofmt_schema_opts o = opts_for(&pr);
	unsigned char fdt[1024], *p, w[8];
	unsigned nf = 0;
	int r;

	if (khofmt_source_new_mem(&src) ||
	    khofmt_source_mem_add(src, 0x300000, 3 * 4096, (void **)&p))
		bail_out("mem");
	le64_store(p, 2);                       /* session header: count 2 */
	memcpy(p + 8, "alpha", 5);
	le64_store(p + 8 + 64, 0x301000);
	le64_store(p + 8 + 72, 2);
	memcpy(p + 88, "beta", 4);
	memcpy(p + 0x1000, "memfd-v1", 8);
	le64_store(p + 0x1000 + 56, 0x11);
	memcpy(p + 0x1040, "memfd-v1", 8);
	le64_store(p + 0x1040 + 56, 0x22);
	fdt_create(fdt, sizeof(fdt));
	fdt_finish_reservemap(fdt);
	fdt_begin_node(fdt, "");
	fdt_property_string(fdt, "compatible", "luo-v1");
	le64_store(w, 7);
	fdt_property(fdt, "liveupdate-number", w, 8);
	fdt_begin_node(fdt, "luo-session");
	fdt_property_string(fdt, "compatible", "luo-session-v2");
	le64_store(w, 0x300000);
	fdt_property(fdt, "luo-session-header", w, 8);
	fdt_end_node(fdt);
	fdt_end_node(fdt);
	fdt_finish(fdt);
	is(khofmt_subnode_schema(NULL, fdt, fdt_totalsize(fdt)), KHOFMT_SCHEMA_LUO_V1,
	   "luo-v1 FDT recognised");
	is(khofmt_luo_open(src, fdt, fdt_totalsize(fdt), &o, &luo), 0, "luo-v1 opens");
	if (luo) {
		is_u64(khofmt_luo_info(luo)->liveupdate_num, 7, "luo-v1 liveupdate-number");
		is_str(khofmt_luo_info(luo)->session_compatible, "luo-session-v2",
		       "luo-session compatible");
		ok(khofmt_luo_info(luo)->inferred, "flagged as inferred layout");
		is(khofmt_luo_session_next(luo, &s), 0, "session 1");
		is_str(s.name, "alpha", "alpha");
		while ((r = khofmt_luo_file_next(luo, &s, &f)) == 0)
			nf += f.token == (nf ? 0x22 : 0x11);
		ok(r == 1 && nf == 2, "alpha: two files");
		is(khofmt_luo_session_next(luo, &s), 0, "session 2");
		is_str(s.name, "beta", "beta");
		is(khofmt_luo_session_next(luo, &s), 1, "two sessions");
		khofmt_luo_free(luo);
	}
	/* a count that does not fit the source */
	le64_store(p, U64(1) << 40);
	opts_for(&pr);
	is(khofmt_luo_open(src, fdt, fdt_totalsize(fdt), &o, &luo), -KHOFMT_ERR_LIMIT,
	   "luo-v1 huge session count refused");
	ok(pr.inferred && pr.fatal, "reported as fatal, inferred");
	khofmt_source_free(src);
}

/* kho-v2 roots have no blob-size: FDT blobs are sized by their header */
static void test_v2_blob(void)
{
	struct khofmt_enc_opts eo = { .sz = sizeof(eo), .abi = KHOFMT_ABI_V2 };
	struct khofmt_enc_region reg = { "r", 0x20000000, 1 << 20 };
	const struct khofmt_subnode *sn;
	struct khofmt_enc *e;
	struct state st;
	void *b = NULL;
	size_t len = 0;

	if (!ok(khofmt_enc_new(&eo, &e) == 0, "kho-v2 encoder"))
		return;
	khofmt_enc_memblock(e, &reg, 1);
	khofmt_enc_kexec_meta(e, "x", 1);
	if (state_finish_open(e, 12, &st) == 0) {
		sn = khofmt_fdt_subnode_by_name(st.fdt, "memblock");
		ok(sn && !sn->has_size, "kho-v2: no blob-size");
		is(sn ? khofmt_subnode_blob_read(st.src, sn, &b, &len) : -1, 0,
		   "kho-v2: FDT blob read by its header");
		ok(b && len == fdt_totalsize(b), "kho-v2: length = totalsize");
		is(khofmt_subnode_schema(sn, b, len), KHOFMT_SCHEMA_MEMBLOCK_V1, "memblock-v1");
		free(b);
		sn = khofmt_fdt_subnode_by_name(st.fdt, "kexec-metadata");
		is(sn ? khofmt_subnode_blob_read(st.src, sn, &b, &len) : -1, -KHOFMT_ERR_BADFDT,
		   "kho-v2: a raw struct without blob-size cannot be sized");
	}
	state_free(&st);
	khofmt_enc_free(e);
}

/* ---- the registry ---- */

struct spans {
	uint64_t pa[4096], len[4096];
	size_t n;
};

static int span_cb(void *arg, uint64_t pa, uint64_t len)
{
	struct spans *sp = arg;

	if (sp->n < 4096) {
		sp->pa[sp->n] = pa;
		sp->len[sp->n] = len;
		sp->n++;
	}
	return 0;
}

static bool spans_have(const struct spans *sp, uint64_t pa)
{
	size_t i;

	for (i = 0; i < sp->n; i++)
		if (pa - sp->pa[i] < sp->len[i])
			return true;
	return false;
}

static void test_registry(struct capture *c)
{
	/* the kernel's names (doc/ABI.md 3.2, 6.2.1, 6.4): independent list */
	static const struct {
		enum khofmt_schema_where where;
		const char *key;
		enum khofmt_schema_kind kind;
	} want[] = {
		{ KHOFMT_SCHEMA_AT_SUBNODE, "kexec-metadata", KHOFMT_SCHEMA_KEXEC_META_V1 },
		{ KHOFMT_SCHEMA_AT_SUBNODE, "LUO", KHOFMT_SCHEMA_LUO_V5 },
		{ KHOFMT_SCHEMA_AT_SUBNODE, "memblock", KHOFMT_SCHEMA_MEMBLOCK_V1 },
		{ KHOFMT_SCHEMA_AT_SUBNODE, "kho_test", KHOFMT_SCHEMA_KHO_TEST_V1 },
		{ KHOFMT_SCHEMA_AT_LUO_FILE, "memfd-v2", KHOFMT_SCHEMA_MEMFD },
		{ KHOFMT_SCHEMA_AT_LUO_FILE, "memfd-v1", KHOFMT_SCHEMA_MEMFD },
		{ KHOFMT_SCHEMA_AT_LUO_SESSION, "systemd", KHOFMT_SCHEMA_SYSTEMD_FDSTORE },
	};
	struct khofmt_schema_opts so = { .sz = sizeof(so), .page_shift = 12 };
	const struct khofmt_subnode *sn;
	struct spans *sp = calloc(1, sizeof(*sp));
	unsigned char root[32];
	size_t i, j, n = khofmt_schema_count();
	uint64_t sessions, flbs, blk;

	ok(n >= 7 && !khofmt_schema_at(n), "registry: %zu entries, NULL past the end", n);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (!strcmp(khofmt_schema_at(i)->name, khofmt_schema_at(j)->name))
				fail("registry: name %s twice", khofmt_schema_at(i)->name);
	/* every entry, the ones this test does not know too: its own kind */
	for (i = 0; i < n; i++) {
		const struct khofmt_schema_info *in = khofmt_schema_at(i);
		bool uniq = true;

		for (j = 0; j < n; j++)
			if (j != i && khofmt_schema_at(j)->kind == in->kind)
				uniq = false;
		ok(in->kind != KHOFMT_SCHEMA_UNKNOWN && uniq &&
		   khofmt_schema_info(in->kind) == in &&
		   !strcmp(khofmt_schema_name(in->kind), in->name) &&
		   in->key && in->what &&
		   khofmt_schema_find(in->where, in->key) != NULL,
		   "registry: %s has its own kind %d, a key (%s) and a description",
		   in->name, (int)in->kind, in->key ? in->key : "-");
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct khofmt_schema_info *in =
			khofmt_schema_find(want[i].where, want[i].key);

		ok(in && in->kind == want[i].kind &&
		   khofmt_schema_info(want[i].kind) == in,
		   "registry: %s is %s", want[i].key, in ? in->name : "(none)");
	}
	ok(!khofmt_schema_find(KHOFMT_SCHEMA_AT_SUBNODE, "memfd-v2") &&
	   !khofmt_schema_find(KHOFMT_SCHEMA_AT_LUO_FILE, "LUO") &&
	   !khofmt_schema_find(KHOFMT_SCHEMA_AT_SUBNODE, "nonesuch") &&
	   !khofmt_schema_info(KHOFMT_SCHEMA_UNKNOWN),
	   "registry: keys are per place; unknown ones are not found");
	is(khofmt_schema_find(KHOFMT_SCHEMA_AT_SUBNODE, "LUO")->min_size, 32,
	   "registry: LUO's owner reads 32 bytes at least (doc/ABI.md 6.2.1)");

	/* the LUO structure pages of the real capture, against its root struct */
	sn = khofmt_fdt_subnode_by_name(c->fdt, "LUO");
	if (!sp || !sn || khofmt_source_read(c->src, sn->pa, root, 32) < 0) {
		fail("LUO root struct");
		free(sp);
		return;
	}
	memcpy(&sessions, root + 16, 8);
	memcpy(&flbs, root + 24, 8);
	is(khofmt_subnode_pages(c->src, sn, &so, span_cb, sp), 0,
	   "khofmt_subnode_pages(LUO): 0");
	ok(sp->n > 2 && spans_have(sp, flbs) &&
	   (!sessions || spans_have(sp, sessions)),
	   "LUO pages: the FLB page 0x%llx and the first session block 0x%llx are there (%zu spans)",
	   (unsigned long long)flbs, (unsigned long long)sessions, sp->n);
	/* the first session block's own first file block (6.3: header 16, rec 80) */
	if (sessions && khofmt_source_read(c->src, sessions + 16 + 64, &blk, 8) == 0 && blk)
		ok(spans_have(sp, blk), "LUO pages: a file block 0x%llx too",
		   (unsigned long long)blk);
	{
		/* the registry's decoder walks the whole LUO state cleanly */
		struct probs pr = { .n = 0 };
		struct khofmt_schema_opts po = { .sz = sizeof(po), .page_shift = 12,
						 .problem = on_problem, .problem_arg = &pr };
		void *b = NULL;
		size_t bl = 0;

		sn = khofmt_fdt_subnode_by_name(c->fdt, "LUO");
		if (khofmt_subnode_blob_read(c->src, sn, &b, &bl) == 0) {
			is(khofmt_schema_decode(khofmt_schema_info(KHOFMT_SCHEMA_LUO_V5),
						c->src, b, bl, &po), 0,
			   "khofmt_schema_decode(luo-v5) on the capture: 0");
			is(pr.n, 0, "... and no problem");
			ok(khofmt_schema_decode(khofmt_schema_info(KHOFMT_SCHEMA_MEMBLOCK_V1),
						c->src, b, bl, &po) < 0 && pr.n > 0,
			   "the memblock decoder on the LUO struct: an error, told");
			{
				/* a caller's copy of an entry has no hooks behind it */
				struct khofmt_schema_info copy =
					*khofmt_schema_info(KHOFMT_SCHEMA_LUO_V5);

				is(khofmt_schema_decode(&copy, c->src, b, bl, &po),
				   -KHOFMT_ERR_INVAL,
				   "khofmt_schema_decode of a copy of the luo-v5 entry: INVAL");
			}
		}
		free(b);
	}
	memset(sp, 0, sizeof(*sp));
	sn = khofmt_fdt_subnode_by_name(c->fdt, "memblock");
	ok(sn && khofmt_subnode_pages(c->src, sn, &so, span_cb, sp) == 0 && sp->n == 0,
	   "memblock: its sub-FDT points at no structure page");
	is(khofmt_subnode_pages(NULL, sn, &so, span_cb, sp), -KHOFMT_ERR_INVAL,
	   "khofmt_subnode_pages without a source: INVAL");
	free(sp);
}

int main(void)
{
	struct capture c;
	const char *env = getenv("FIXTURES");

	snprintf(dir, sizeof(dir), "%s", env && *env ? env : FIXTURES_DIR);
	if (capture_open(&c) == 0) {
		test_capture_dispatch(&c);
		test_registry(&c);
		test_capture_kexec_meta(&c);
		test_capture_luo(&c);
		test_capture_luo_pages(&c);
		test_capture_other_luo(&c);
		test_capture_memblock(&c);
		test_capture_kho_test(&c);
	} else {
		fail("cannot open the 7.2.13 capture in %s", dir);
	}
	capture_close(&c);
	test_roundtrip();
	test_hostile_luo();
	test_chain_limit();
	test_vmalloc_hostile();
	test_small_blobs();
	test_luo_v1();
	test_v2_blob();
	test_mutations();
	test_roundtrip_ps(14);
	test_roundtrip_ps(16);
	return done_testing();
}
