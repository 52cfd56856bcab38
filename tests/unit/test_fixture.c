// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The real Linux 7.2.13 handover in tests/fixtures/linux-7.2.13-lean-luo,
 * decoded with the public API. Expected facts come from the fixture's
 * README.md and serial.log (what the guest did and printed), from the
 * blob files captured through debugfs, and from libfdt reads done here;
 * never from libkhofmt's own output.
 */
#include <ctype.h>
#include <libfdt.h>

#include "testutil.h"

static char dir[2048];

static char *fx(const char *name)
{
	static char buf[8][4096];
	static unsigned slot;
	char *p = buf[slot++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

static void *must_read(const char *name, size_t *len)
{
	void *p = read_whole_file(fx(name), len);

	if (!p)
		bail_out("cannot read fixture %s: %s", fx(name), strerror(errno));
	return p;
}

/* libfdt read of a native (LE) u64 property */
static bool fdt_u64(const void *fdt, int node, const char *prop, uint64_t *v)
{
	int len;
	const void *p = fdt_getprop(fdt, node, prop, &len);

	if (!p || len != 8)
		return false;
	*v = le64_load(p);
	return true;
}

struct decoded {
	const char *what;
	void *fdt_blob;
	size_t fdt_len;
	struct khofmt_fdt *fdt;
	struct khofmt_source *src;
	struct khofmt_handover *h;
	struct fvec folios;
	struct rvec ranges;
	int rc;          /* first error of the pipeline, or 0 */
	const char *stage;
};

static void dec_free(struct decoded *d)
{
	khofmt_handover_free(d->h);
	khofmt_fdt_free(d->fdt);
	khofmt_source_free(d->src);
	free(d->fdt_blob);
	fv_free(&d->folios);
	rv_free(&d->ranges);
}

static int dec_open(struct decoded *d, const char *what, const char *fdt_name,
		    const char *elf_name, const struct khofmt_walk_opts *wo)
{
	char err[256] = "";
	int rc;

	memset(d, 0, sizeof(*d));
	d->what = what;
	d->fdt_blob = must_read(fdt_name, &d->fdt_len);
	d->stage = "fdt_open";
	rc = khofmt_fdt_open(d->fdt_blob, d->fdt_len, &d->fdt, err, sizeof(err));
	if (rc < 0)
		goto out;
	d->stage = "open_elf";
	rc = khofmt_source_open_elf(fx(elf_name), &d->src);
	if (rc < 0)
		goto out;
	d->stage = "handover_open";
	rc = khofmt_handover_open(d->fdt, d->src, NULL, &d->h);
	if (rc < 0)
		goto out;
	d->stage = "walk_folios";
	rc = khofmt_walk_folios(d->h, wo, collect_folio_cb, &d->folios);
	if (rc < 0)
		goto out;
	d->stage = "walk_ranges";
	rc = khofmt_walk_ranges(d->h, wo, collect_range_cb, &d->ranges);
out:
	if (rc < 0)
		diag("%s: %s at %s: %s", what, khofmt_strerror(rc), d->stage,
		     d->h ? khofmt_handover_errmsg(d->h) : err[0] ? err :
		     d->src ? khofmt_source_errmsg(d->src) : "");
	d->rc = rc;
	return rc;
}

/* ---- serial.log: "LUOX <token> pfn-runs: 0xPFN+N 0xPFN+N ..." ---- */

static size_t parse_pfn_runs(const char *log, size_t len, struct rvec *runs,
			     unsigned *lines)
{
	const char *p = log, *end = log + len;

	*lines = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *q;
		char line[1024];
		size_t n = (nl ? nl : end) - p;

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = 0;
		p = nl ? nl + 1 : end;
		/*
		 * "LUOX <token> pfn-runs:" as printed after preserving; the
		 * "(before-preserve)" and second-kernel "(after)" lines repeat it.
		 */
		if (strncmp(line, "LUOX ", 5) || !(q = strstr(line, " pfn-runs:")) ||
		    memchr(line, '(', (size_t)(q - line)))
			continue;
		(*lines)++;
		q += strlen(" pfn-runs:");
		for (;;) {
			unsigned long long pfn, cnt;
			int used = 0;

			while (*q == ' ')
				q++;
			if (sscanf(q, "0x%llx+%llu%n", &pfn, &cnt, &used) != 2 || !used)
				break; /* "..." ends a shortened list */
			rv_push(runs, (uint64_t)pfn << 12, (uint64_t)cnt << 12);
			q += used;
		}
	}
	return runs->n;
}

/* ---- kho_vmalloc (doc/ABI.md 6.5): read an area by its descriptor ---- */

static int vmalloc_read(struct khofmt_source *src, const unsigned char *desc,
			unsigned char **out, size_t *outlen, struct rvec *pages)
{
	uint64_t chunk = le64_load(desc);
	uint32_t total = le32_load(desc + 8);
	unsigned order = desc[14] | desc[15] << 8;
	size_t have = 0, unit = (size_t)4096 << order;
	unsigned char *buf, page[4096];
	unsigned hops = 0;

	if (!chunk || total == 0 || total > 4096 || order > 10)
		return -1;
	buf = xmalloc((size_t)total * 4096);
	while (chunk && hops++ < 64) {
		unsigned i;

		if (khofmt_source_read(src, chunk, page, sizeof(page)))
			goto fail;
		rv_push(pages, chunk, 4096);
		for (i = 1; i < 512; i++) {
			uint64_t run = le64_load(page + 8 * i);

			if (!run)
				break;
			if (have + unit > (size_t)total * 4096 ||
			    khofmt_source_read(src, run, buf + have, unit))
				goto fail;
			rv_push(pages, run, unit);
			have += unit;
		}
		chunk = le64_load(page);
	}
	if (have != (size_t)total * 4096)
		goto fail;
	*out = buf;
	*outlen = have;
	return 0;
fail:
	free(buf);
	return -1;
}

/*
 * A reference decoder written from doc/ABI.md 4.1.4 (PS = 12, depth 6),
 * reading pages through the (separately tested) memory source. Returns
 * 0, or -1 if a page cannot be read or a key is impossible.
 */
static int ref_walk(struct khofmt_source *src, uint64_t node, unsigned level,
		    uint64_t prefix, struct fvec *out)
{
	unsigned char page[4096], leaf[4096];
	unsigned i, b;

	if (khofmt_source_read(src, node, page, sizeof(page)))
		return -1;
	for (i = 0; i < 512; i++) {
		uint64_t c = le64_load(page + 8 * i);
		uint64_t k = prefix | ((uint64_t)i << ((level - 1) * 9 + 15));

		if (!c)
			continue;
		if (level > 1) {
			if (ref_walk(src, c, level - 1, k, out))
				return -1;
			continue;
		}
		if (khofmt_source_read(src, c, leaf, sizeof(leaf)))
			return -1;
		for (b = 0; b < 32768; b++) {
			uint64_t key = k | b;
			unsigned hb, order;

			if (!(leaf[b / 8] >> (b % 8) & 1))
				continue;
			if (!key || key >> 53)
				return -1;
			hb = 63 - (unsigned)__builtin_clzll(key);
			order = 52 - hb;
			fv_push(out, (key ^ (U64(1) << hb)) << (12 + order), order);
		}
	}
	return 0;
}

/* Library results of @d (folios sorted) against the reference decoder. */
static void check_against_ref(struct decoded *d, const struct khofmt_stats *st,
			      const char *tag)
{
	struct fvec ref = { 0 };
	struct rvec rr = { 0 };
	uint64_t po[KHOFMT_MAX_ORDERS] = { 0 }, pages = 0;
	size_t i;
	int rc = ref_walk(d->src, khofmt_fdt_map(d->fdt), 5, 0, &ref);

	is(rc, 0, "%s: reference decoder (doc/ABI.md 4.1.4) walks the tree: %zu entries",
	   tag, ref.n);
	fv_sort_unique(&ref);
	ok(fv_equal_diag(&d->folios, &ref), "%s: walk_folios = the reference decoder's entries",
	   tag);
	ref_coalesce(&ref, 12, &rr);
	ok(rv_equal_diag(&d->ranges, &rr), "%s: walk_ranges = the reference entries "
	   "coalesced (%zu ranges)", tag, rr.n);
	for (i = 0; i < ref.n; i++) {
		po[ref.v[i].order]++;
		pages += U64(1) << ref.v[i].order;
	}
	ok(!memcmp(po, st->per_order, sizeof(po)) && pages == st->pages,
	   "%s: stats per order and pages = the reference entries", tag);
	fv_free(&ref);
	rv_free(&rr);
}

static bool has_entry(const struct fvec *sorted, uint64_t phys, unsigned order)
{
	struct folio k = { phys, order };

	return bsearch(&k, sorted->v, sorted->n, sizeof(k), folio_cmp) != NULL;
}

/* ---- the first kernel's state in the kexec dump ---- */

static const struct {
	const char *name;
	uint64_t size; /* README / serial.log "=== BLOB" sizes */
} k1_blobs[] = {
	{ "LUO", 32 }, { "kexec-metadata", 73 }, { "kho_test", 240 }, { "memblock", 210 },
};

static void test_kexec(void)
{
	struct decoded d;
	struct khofmt_stats st;
	struct rvec runs = { 0 };
	unsigned lines, i;
	size_t loglen, n;
	char *log;
	uint64_t map = 0;
	int root_off;

	if (!is(dec_open(&d, "root.fdt + slim-kexec.elf", "root.fdt", "slim-kexec.elf", NULL),
		0, "root.fdt + slim-kexec.elf decodes")) {
		dec_free(&d);
		return;
	}
	is(khofmt_fdt_abi(d.fdt), KHOFMT_ABI_V4, "abi is kho-v4");
	is_str(khofmt_abi_name(khofmt_fdt_abi(d.fdt)), "kho-v4", "abi name");
	is_str(khofmt_fdt_compatible(d.fdt), "kho-v4", "compatible");
	is(khofmt_handover_abi(d.h), KHOFMT_ABI_V4, "handover abi kho-v4");
	is(khofmt_handover_geom(d.h)->page_shift, 12, "x86_64: 4 KiB pages");
	ok(!(khofmt_fdt_flags(d.fdt) & (KHOFMT_FDT_TRUNCATED | KHOFMT_FDT_TRAILING)),
	   "root.fdt is complete (no TRUNCATED/TRAILING flag)");

	/* map, cross-checked with libfdt */
	root_off = fdt_path_offset(d.fdt_blob, "/");
	i = fdt_u64(d.fdt_blob, root_off, "preserved-memory-map", &map);
	ok(i && map && !(map & 0xfff), "libfdt: preserved-memory-map 0x%" PRIx64
	   " (page-aligned)", map);
	ok(khofmt_fdt_has_map(d.fdt), "has_map");
	is_u64(khofmt_fdt_map(d.fdt), map, "khofmt_fdt_map = libfdt LE read");

	/* subnodes */
	is(khofmt_fdt_nsubnodes(d.fdt), 4, "4 subnodes");
	for (i = 0; i < 4; i++) {
		const struct khofmt_subnode *sn =
			khofmt_fdt_subnode_by_name(d.fdt, k1_blobs[i].name);
		char fname[128];
		unsigned char *file, *mem;
		size_t flen;
		uint64_t pa = 0, size = 0;
		int off = fdt_subnode_offset(d.fdt_blob, root_off, k1_blobs[i].name);

		if (!ok(sn && off >= 0, "subnode %s present", k1_blobs[i].name))
			continue;
		fdt_u64(d.fdt_blob, off, "preserved-data", &pa);
		fdt_u64(d.fdt_blob, off, "blob-size", &size);
		ok(sn->has_pa && sn->has_size && !sn->bad_pa && !sn->bad_size,
		   "%s: preserved-data and blob-size present", sn->name);
		is_u64(sn->size, k1_blobs[i].size, "%s: blob-size %" PRIu64, sn->name,
		       k1_blobs[i].size);
		is_u64(sn->size, size, "%s: blob-size = libfdt read", sn->name);
		is_u64(sn->pa, pa, "%s: preserved-data = libfdt read (0x%" PRIx64 ")",
		       sn->name, pa);
		snprintf(fname, sizeof(fname), "blobs/%s.bin", sn->name);
		file = must_read(fname, &flen);
		is(flen, k1_blobs[i].size, "%s: blobs/%s.bin has blob-size bytes", sn->name,
		   sn->name);
		mem = xmalloc(sn->size);
		ok(khofmt_source_read(d.src, sn->pa, mem, sn->size) == 0 &&
		   flen == sn->size && !memcmp(mem, file, flen),
		   "%s: bytes at preserved-data in the dump = blobs/%s.bin", sn->name, sn->name);
		ok(rv_covers(&d.ranges, sn->pa & ~U64(0xfff),
			     ((sn->pa & 0xfff) + sn->size + 0xfff) & ~U64(0xfff)),
		   "%s: blob pages [0x%" PRIx64 ", +%" PRIu64 ") preserved (SB-1)", sn->name,
		   sn->pa, sn->size);
		if (!strcmp(sn->name, "kexec-metadata") && flen == 73)
			ok(le32_load(file) == 1 && !strcmp((char *)file + 4, "7.2.13") &&
			   le32_load(file + 69) == 1,
			   "kexec-metadata: version 1, \"7.2.13\", count 1 (serial.log: "
			   "\"exec from: 7.2.13 (count 1)\")");
		if (!strcmp(sn->name, "LUO") && flen == 32)
			ok(!memcmp(file, "luo-v5\0\0", 8), "LUO: compatible luo-v5");
		free(mem);
		free(file);
	}

	/* counts */
	memset(&st, 0, sizeof(st));
	is(khofmt_stats(d.h, NULL, &st), 0, "stats");
	is_u64(st.folios, d.folios.n, "stats.folios = entries walked (%zu)", d.folios.n);
	ok(st.folios > 0 && st.pages >= st.folios && st.bytes == st.pages << 12,
	   "%" PRIu64 " folios, %" PRIu64 " pages", st.folios, st.pages);
	{
		uint64_t sum = 0, bytes = 0;

		for (i = 0; i < d.ranges.n; i++)
			bytes += d.ranges.v[i].size;
		for (i = 0; i < KHOFMT_MAX_ORDERS; i++)
			sum += st.per_order[i];
		is_u64(sum, st.folios, "per_order sums to folios");
		ok(bytes <= st.bytes, "ranges cover at most the entries' bytes "
		   "(%" PRIu64 " <= %" PRIu64 ")", bytes, st.bytes);
	}
	fv_sort_unique(&d.folios);
	is(d.folios.n, st.folios, "no entry walked twice");

	check_against_ref(&d, &st, "k1");

	/* the memfd PFNs the guest saw (serial.log) */
	log = must_read("serial.log", &loglen);
	n = parse_pfn_runs(log, loglen, &runs, &lines);
	ok(lines == 3 && n >= 8, "serial.log: %u pfn-runs lines, %zu runs", lines, n);
	{
		static const uint64_t want_pfns[] = { 0x14c7, 0x14ca, 0xdcc, 0x185bf,
						      0x185eb, 0x185ba, 0x185d5, 0x185ca };
		size_t j;

		for (i = 0; i < sizeof(want_pfns) / sizeof(want_pfns[0]); i++) {
			bool found = false;

			for (j = 0; j < runs.n; j++)
				found |= runs.v[j].start == want_pfns[i] << 12;
			ok(found, "serial.log lists pfn 0x%" PRIx64, want_pfns[i]);
		}
	}
	for (i = 0; i < runs.n; i++)
		ok(rv_covers(&d.ranges, runs.v[i].start, runs.v[i].size),
		   "memfd pfn run 0x%" PRIx64 "+%" PRIu64 " is preserved",
		   runs.v[i].start >> 12, runs.v[i].size >> 12);
	free(log);
	rv_free(&runs);

	/* memfd contents (README), read through the ELF source */
	{
		unsigned char page[4096];
		const char *l0 = "holdout memfd 0x2b line 0000\nholdout memfd 0x2b line 0001\n";
		bool good = true;

		ok(khofmt_source_read(d.src, 0x14c7000, page, sizeof(page)) == 0 &&
		   !memcmp(page, l0, strlen(l0)), "memfd 0x2b page 0 (pfn 0x14c7) holds its text");
		if (khofmt_source_read(d.src, 0xdcc000, page, sizeof(page)))
			good = false;
		for (i = 0; good && i < 512; i++)
			good = le64_load(page + 8 * i) ==
			       (U64(0x484f4c444f555400) ^ (i * U64(0x9E3779B97F4A7C15)));
		ok(good, "memfd 0x1a page 0 (pfn 0xdcc) holds words 0..511 of its pattern");
		good = khofmt_source_read(d.src, 0x185bf000, page, sizeof(page)) == 0;
		for (i = 0; good && i < 512; i++)
			good = le64_load(page + 8 * i) ==
			       (U64(0x484f4c444f555400) ^ ((512 + i) * U64(0x9E3779B97F4A7C15)));
		ok(good, "memfd 0x1a page 1 (pfn 0x185bf) holds words 512..1023");
	}

	/* reserve_mem "sample": start from blobs/memblock.bin (a sub-FDT) */
	{
		size_t len;
		void *mb = must_read("blobs/memblock.bin", &len);
		int off = -1;
		uint64_t start = 0, size = 0;
		const char *compat;

		ok(fdt_check_full(mb, len) == 0, "memblock.bin is a valid FDT");
		compat = fdt_getprop(mb, 0, "compatible", NULL);
		ok(compat && !strcmp(compat, "memblock-v1"), "memblock: compatible memblock-v1");
		off = fdt_subnode_offset(mb, 0, "sample");
		compat = off >= 0 ? fdt_getprop(mb, off, "compatible", NULL) : NULL;
		ok(compat && !strcmp(compat, "reserve-mem-v1"), "memblock: node sample, reserve-mem-v1");
		ok(off >= 0 && fdt_u64(mb, off, "start", &start) && fdt_u64(mb, off, "size", &size),
		   "memblock/sample: 8-byte start and size");
		is_u64(size, 1028 * 1024, "sample is 1028 KiB (reserve_mem=1028K:16K:sample)");
		ok(start && !(start & (16 * 1024 - 1)), "sample start 0x%" PRIx64 " is 16 KiB aligned",
		   start);
		ok(rv_covers(&d.ranges, start, size), "sample [0x%" PRIx64 ", +0x%" PRIx64
		   ") fully preserved", start, size);
		free(mb);
	}

	/* kho_test: its folio list through the kho_vmalloc descriptor (6.5, 6.7) */
	{
		size_t len, alen;
		void *kt = must_read("blobs/kho_test.bin", &len);
		int data = fdt_path_offset(kt, "/data"), plen = 0;
		const unsigned char *nr = data >= 0 ? fdt_getprop(kt, data, "nr_folios", &plen) : NULL;
		const unsigned char *fi;
		const unsigned char *magic = fdt_getprop(kt, 0, "magic", NULL);
		unsigned char *area = NULL;
		struct rvec pages = { 0 };
		uint32_t nfolios = nr && plen == 4 ? le32_load(nr) : 0;

		ok(magic && le32_load(magic) == 0x4b484f21, "kho_test: magic \"KHO!\"");
		ok(nfolios > 0, "kho_test: nr_folios %u", nfolios);
		fi = data >= 0 ? fdt_getprop(kt, data, "folios_info", &plen) : NULL;
		if (fi && plen == 16 && vmalloc_read(d.src, fi, &area, &alen, &pages) == 0 &&
		    alen >= (size_t)nfolios * 8) {
			bool all = true, pres = true;

			for (i = 0; i < nfolios; i++) {
				uint64_t w = le64_load(area + 8 * i);
				uint64_t phys = w & ~U64(0xfff);
				unsigned order = (unsigned)(w & 0xfff);

				if (!has_entry(&d.folios, phys, order)) {
					diag("  kho_test folio 0x%" PRIx64 " order %u not an entry",
					     phys, order);
					all = false;
				}
			}
			ok(all, "kho_test: each of its %u folios is a preserved entry with "
			   "its order", nfolios);
			for (i = 0; i < pages.n; i++)
				pres &= rv_covers(&d.ranges, pages.v[i].start, pages.v[i].size);
			ok(pres, "kho_test: its vmalloc chunk and %zu runs are preserved",
			   pages.n - 1);
		} else {
			skip(2, "kho_test folio list not in slim-kexec.elf");
		}
		free(area);
		rv_free(&pages);
		free(kt);
	}
	dec_free(&d);
}

/* ---- the second kernel's own state in the post dump ---- */

static void test_k2(void)
{
	static const struct {
		const char *name;
		uint64_t size;
	} k2[] = { { "LUO", 32 }, { "kexec-metadata", 73 }, { "memblock", 210 } };
	struct decoded d;
	unsigned i;

	if (!is(dec_open(&d, "root-k2.fdt + slim-post.elf", "root-k2.fdt", "slim-post.elf", NULL),
		0, "root-k2.fdt + slim-post.elf decodes")) {
		dec_free(&d);
		return;
	}
	ok(d.folios.n > 0 && d.ranges.n > 0, "k2: %zu entries, %zu ranges", d.folios.n,
	   d.ranges.n);
	{
		struct khofmt_stats st;

		memset(&st, 0, sizeof(st));
		is(khofmt_stats(d.h, NULL, &st), 0, "k2: stats");
		fv_sort_unique(&d.folios);
		check_against_ref(&d, &st, "k2");
	}
	is(khofmt_fdt_nsubnodes(d.fdt), 3, "k2: 3 subnodes (no kho_test)");
	ok(!khofmt_fdt_subnode_by_name(d.fdt, "kho_test"), "k2: kho_test absent");
	for (i = 0; i < 3; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode_by_name(d.fdt, k2[i].name);
		char fname[128];
		unsigned char *file, *mem;
		size_t flen;

		if (!ok(sn && sn->has_pa && sn->has_size, "k2: subnode %s", k2[i].name))
			continue;
		is_u64(sn->size, k2[i].size, "k2: %s blob-size", k2[i].name);
		snprintf(fname, sizeof(fname), "blobs/k2-out/%s.bin", k2[i].name);
		file = must_read(fname, &flen);
		mem = xmalloc(sn->size);
		ok(khofmt_source_read(d.src, sn->pa, mem, sn->size) == 0 && flen == sn->size &&
		   !memcmp(mem, file, flen), "k2: %s bytes = blobs/k2-out/%s.bin", k2[i].name,
		   k2[i].name);
		ok(rv_covers(&d.ranges, sn->pa & ~U64(0xfff),
			     ((sn->pa & 0xfff) + sn->size + 0xfff) & ~U64(0xfff)),
		   "k2: %s blob pages preserved", k2[i].name);
		if (!strcmp(k2[i].name, "kexec-metadata") && flen == 73)
			ok(le32_load(file) == 1 && !strcmp((char *)file + 4, "7.2.13"),
			   "k2: kexec-metadata version 1, \"7.2.13\"");
		free(mem);
		free(file);
	}
	/* the revived reservation is handed over again */
	{
		size_t len;
		void *mb = must_read("blobs/k2-out/memblock.bin", &len);
		int off = fdt_subnode_offset(mb, 0, "sample");
		uint64_t start = 0, size = 0;

		bool got = off >= 0 && fdt_u64(mb, off, "start", &start) &&
			   fdt_u64(mb, off, "size", &size);

		ok(got && size == 1028 * 1024 && rv_covers(&d.ranges, start, size),
		   "k2: reserve_mem sample [0x%" PRIx64 ", +0x%" PRIx64 ") preserved", start, size);
		free(mb);
	}
	dec_free(&d);
}

/* ---- mismatched and partial dumps: clean results, never a crash ---- */

struct pcount {
	unsigned n;
};

static int count_problem(void *arg, const struct khofmt_problem *p)
{
	struct pcount *c = arg;

	if (c->n++ < 3)
		diag("  problem: %s level %u node 0x%" PRIx64 ": %s", khofmt_strerror(p->err),
		     p->level, p->node_pa, p->msg ? p->msg : "");
	return 0;
}

static void test_mismatch(void)
{
	struct decoded d;
	struct pcount pc = { 0 };
	struct khofmt_walk_opts wo = { .sz = sizeof(wo), .problem = count_problem,
				       .problem_arg = &pc };
	int rc;

	/* README: the first kernel's tree pages were reused in the post dump */
	rc = dec_open(&d, "root.fdt + slim-post.elf", "root.fdt", "slim-post.elf", NULL);
	ok(rc < 0 && rc > -KHOFMT_ERR_MAX, "root.fdt + slim-post.elf fails cleanly: %s at %s",
	   rc < 0 ? khofmt_strerror(rc) : "decoded!", d.stage);
	ok(rc >= 0 || !d.h || *khofmt_handover_errmsg(d.h), "... with a detail message");
	dec_free(&d);

	rc = dec_open(&d, "root.fdt + slim-post.elf (problem mode)", "root.fdt", "slim-post.elf",
		      &wo);
	ok(rc >= 0 ? pc.n > 0 : rc > -KHOFMT_ERR_MAX,
	   "... in problem mode: %s, %u problems reported", khofmt_strerror(rc), pc.n);
	dec_free(&d);

	/* before the kexec: report what happens; either outcome must be clean */
	rc = dec_open(&d, "root.fdt + slim-pre.elf", "root.fdt", "slim-pre.elf", NULL);
	diag("root.fdt + slim-pre.elf: %s at %s, %zu entries, %zu ranges",
	     rc < 0 ? khofmt_strerror(rc) : "decoded", rc < 0 ? d.stage : "end",
	     d.folios.n, d.ranges.n);
	ok(rc == 0 || (rc < 0 && rc > -KHOFMT_ERR_MAX),
	   "root.fdt + slim-pre.elf: clean decode or clean error");
	dec_free(&d);

	/* root-k2.fdt over the kexec dump (first kernel's memory) */
	rc = dec_open(&d, "root-k2.fdt + slim-kexec.elf", "root-k2.fdt", "slim-kexec.elf", NULL);
	ok(rc == 0 || (rc < 0 && rc > -KHOFMT_ERR_MAX),
	   "root-k2.fdt + slim-kexec.elf: clean decode or clean error (%s)",
	   rc < 0 ? khofmt_strerror(rc) : "decoded");
	dec_free(&d);
}

/* ---- the debugfs copies ---- */

static void test_debugfs(void)
{
	size_t a, b;
	void *root = must_read("root.fdt", &a);
	void *k2in = must_read("blobs/debugfs/k2-in_fdt.bin", &b);
	void *k1out;
	struct khofmt_fdt *f = NULL;
	int rc;

	ok(a == b && !memcmp(root, k2in, a),
	   "README: root.fdt is byte-identical to the second kernel's kho/in/fdt");
	free(k2in);
	free(root);

	/* README: debugfs out/fdt was cut short (size fixed at boot) */
	k1out = must_read("blobs/debugfs/k1-out_fdt.bin", &a);
	ok(a >= 40 && fdt_totalsize(k1out) > a, "k1-out_fdt.bin: header totalsize %u > %zu bytes",
	   a >= 40 ? fdt_totalsize(k1out) : 0, a);
	rc = khofmt_fdt_open(k1out, a, &f, NULL, 0);
	is(rc, -KHOFMT_ERR_TRUNCATED, "k1-out_fdt.bin (debugfs, cut short): TRUNCATED");
	khofmt_fdt_free(f);
	free(k1out);
}

int main(void)
{
	const char *e = getenv("FIXTURES");

	snprintf(dir, sizeof(dir), "%s", e && *e ? e : FIXTURES_DIR);
	if (access(fx("root.fdt"), R_OK))
		bail_out("fixtures not found in %s", dir);
	diag("fixtures: %s", dir);
	test_kexec();
	test_k2();
	test_mismatch();
	test_debugfs();
	return done_testing();
}
