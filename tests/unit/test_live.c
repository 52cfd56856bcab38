// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Live-system pieces of libkhofmt: SHA-256 against the FIPS 180-2 example
 * vectors, the kcore direct-map filter on a hand-built kcore, /proc/iomem
 * parsing against the real capture's serial.log, truncated root FDT
 * recovery on the real 7.2.13 capture (the debugfs prefix must come back
 * as exactly root.fdt), and the folio difference of two encoded states
 * against a reference set difference.
 */
#include <elf.h>

#include "elfutil.h"
#include "testutil.h"

#ifndef FIXTURES_DIR
#define FIXTURES_DIR "."
#endif

static const char *fixtures(void)
{
	const char *f = getenv("FIXTURES");

	return f && *f ? f : FIXTURES_DIR;
}

static char *fx(const char *name)
{
	char *p = xmalloc(strlen(fixtures()) + strlen(name) + 2);

	sprintf(p, "%s/%s", fixtures(), name);
	return p;
}

/* A kcore-like file: the layout of x86_64 /proc/kcore, built by hand. */
static void test_kcore(const char *dir)
{
	static const uint64_t RAM = 0x100000;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[5];
	unsigned char page[4096], buf[64];
	struct khofmt_source *src = NULL;
	const struct khofmt_range *r;
	char path[512];
	size_t n, i;
	FILE *f;
	int rc;

	elf_core_ehdr(&eh, 5);
	/* vmalloc, vmemmap and text (which repeats RAM page 0), then the
	 * direct map: two pages */
	kcore_other_phdrs(ph, 4096, RAM);
	for (i = KCORE_NOTHER; i < 5; i++) {
		uint64_t pa = RAM + 0x1000 * (i - KCORE_NOTHER);

		elf_page_phdr(&ph[i], 4096 * (i + 1), KCORE_PAGE_OFFSET + pa, pa);
	}

	snprintf(path, sizeof(path), "%s/kcore", dir);
	f = fopen(path, "wb");
	if (!f)
		bail_out("cannot create %s", path);
	fwrite(&eh, sizeof(eh), 1, f);
	fwrite(ph, sizeof(ph), 1, f);
	for (i = 0; i < 5; i++) {
		fseek(f, (long)ph[i].p_offset, SEEK_SET);
		memset(page, i < 3 ? 0xee : (int)(0x10 + i), sizeof(page));
		fwrite(page, sizeof(page), 1, f);
	}
	fclose(f);

	rc = khofmt_source_open_elf(path, &src);
	ok(rc < 0, "the kcore layout as a plain core: text overlaps RAM, refused (%s)",
	   khofmt_strerror(rc));
	khofmt_source_free(src);
	src = NULL;

	rc = khofmt_source_open_kcore(path, &src);
	is_int(rc, 0, "open_kcore");
	if (rc)
		return;
	r = khofmt_source_ranges(src, &n);
	is_int((int)n, 1, "only the direct map is covered");
	if (n == 1) {
		is_u64(r[0].start, RAM, "direct map start = p_paddr");
		is_u64(r[0].size, 0x2000, "direct map size");
	}
	ok(khofmt_source_read(src, RAM + 0xff8, buf, 16) == 0 &&
	   buf[0] == 0x13 && buf[8] == 0x14,
	   "read across the two direct-map segments, bytes of the RAM segments");
	ok(khofmt_source_ptr(src, RAM, 8) == NULL, "no zero-copy pointer (pread)");
	ok(khofmt_source_read(src, 0, buf, 1) == -KHOFMT_ERR_NOTCOVERED,
	   "p_paddr 0 segment not covered");
	khofmt_source_free(src);

	/* only non-direct-map segments: refused with BADELF */
	f = fopen(path, "r+b");
	eh.e_phnum = 2;
	fwrite(&eh, sizeof(eh), 1, f);
	fclose(f);
	src = NULL;
	rc = khofmt_source_open_kcore(path, &src);
	is_int(rc, -KHOFMT_ERR_BADELF, "kcore without a physical address: BADELF");
	khofmt_source_free(src);
	rc = khofmt_source_open_kcore("/nonexistent/kcore", &src);
	is_int(rc, -KHOFMT_ERR_IO, "missing kcore: IO");
}

static void test_iomem(void)
{
	char *p = fx("serial.log"), *text, *start, *end;
	struct khofmt_range *r = NULL;
	static const char hidden[] =
		"00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n"
		"  00000000-00000000 : Kernel code\n";
	size_t len, n = 0;
	int rc;

	text = read_whole_file(p, &len);
	free(p);
	if (!text)
		bail_out("no serial.log");
	/* first kernel's /proc/iomem: from "00000000-00000fff" to the blank */
	start = strstr(text, "00000000-00000fff : Reserved");
	end = start ? strstr(start, "fd00000000-ffffffffff : Reserved\n") : NULL;
	if (!end)
		bail_out("no iomem in serial.log");
	end += strlen("fd00000000-ffffffffff : Reserved\n");
	rc = khofmt_iomem_ram(start, (size_t)(end - start), &r, &n);
	is_int(rc, 0, "iomem parses");
	is_int((int)n, 2, "two top-level System RAM ranges (Kernel code etc. nested)");
	if (n == 2) {
		is_u64(r[0].start, 0x1000, "RAM 0 start");
		is_u64(r[0].size, 0x9fc00 - 0x1000, "RAM 0 size");
		is_u64(r[1].start, 0x100000, "RAM 1 start");
		is_u64(r[1].size, 0x1ffe0000 - 0x100000, "RAM 1 size");
	}
	ok(!khofmt_iomem_hidden(start, (size_t)(end - start)), "real iomem not hidden");
	ok(khofmt_iomem_hidden(hidden, sizeof(hidden) - 1), "non-root iomem detected");
	free(r);
	rc = khofmt_iomem_ram("zzz : System RAM\n", 17, &r, &n);
	is_int(rc, -KHOFMT_ERR_STRUCT, "garbage line refused");
	free(text);
}

static int progress_stop(void *arg, uint64_t done, uint64_t total)
{
	uint64_t *calls = arg;

	(void)total;
	(void)done;
	return ++*calls == 3;
}

static void test_recover(void)
{
	char *pp = fx("blobs/debugfs/k1-out_fdt.bin"), *pr = fx("root.fdt");
	char *pk = fx("slim-kexec.elf"), *ppost = fx("slim-post.elf");
	struct khofmt_recover_opts ro = { .sz = sizeof(ro) };
	struct khofmt_source *src = NULL, *post = NULL, *one = NULL;
	size_t plen, rlen, flen, l;
	unsigned char *prefix, *root, page[4096];
	void *fdt = NULL, *data;
	uint64_t pa = 0, pa2 = 0;
	int rc, bad = 0;

	prefix = read_whole_file(pp, &plen);
	root = read_whole_file(pr, &rlen);
	if (!prefix || !root)
		bail_out("fixtures missing");
	is_int((int)plen, 233, "debugfs prefix is 233 bytes (README)");
	ok(rlen > plen && !memcmp(prefix, root, plen), "it is a prefix of root.fdt");
	rc = khofmt_source_open_elf(pk, &src);
	is_int(rc, 0, "open slim-kexec.elf");
	if (rc)
		goto out;

	rc = khofmt_fdt_recover(src, prefix, plen, &ro, &fdt, &flen, &pa);
	is_int(rc, KHOFMT_RECOVER_TRACKER, "recovered through the tracker");
	ok(rc > 0 && flen == rlen && !memcmp(fdt, root, rlen),
	   "recovered FDT is byte-identical to root.fdt");
	ok(rc > 0 && khofmt_source_read(src, pa, page, rlen) == 0 &&
	   !memcmp(page, root, rlen) && (pa & 0xfff) == 0,
	   "the reported address holds it, page-aligned");
	free(fdt);
	fdt = NULL;
	{
		struct khofmt_fdt *rf = NULL;
		struct khofmt_handover *h = NULL;
		uint64_t hp = 0;

		if (khofmt_fdt_open(root, rlen, &rf, NULL, 0) == 0 &&
		    khofmt_handover_open(rf, src, NULL, &h) == 0) {
			is_int(khofmt_handover_fdt_pa(h, &hp), 0, "handover_fdt_pa");
			is_u64(hp, pa, "same FDT page as the recovery found");
		} else {
			ok(0, "open root.fdt");
			ok(0, "open root.fdt");
		}
		khofmt_handover_free(h);
		khofmt_fdt_free(rf);
	}

	/* the scan: a source holding only that page, no tracker */
	khofmt_source_new_mem(&one);
	khofmt_source_mem_add(one, pa + 0x40000000, 4096, &data);
	memcpy(data, page, 4096);
	rc = khofmt_fdt_recover(one, prefix, plen, &ro, &fdt, &flen, &pa2);
	is_int(rc, KHOFMT_RECOVER_SCAN, "no tracker in memory: found by the scan");
	is_u64(pa2, pa + 0x40000000, "scan address");
	free(fdt);
	fdt = NULL;
	ro.flags = KHOFMT_RECOVER_NO_SCAN;
	rc = khofmt_fdt_recover(one, prefix, plen, &ro, &fdt, &flen, NULL);
	is_int(rc, -KHOFMT_ERR_NOTCOVERED, "NO_SCAN: not found");
	ro.flags = 0;

	/* second kernel memory: the first kernel's tree and FDT page are gone */
	if (khofmt_source_open_elf(ppost, &post) == 0) {
		rc = khofmt_fdt_recover(post, prefix, plen, &ro, &fdt, &flen, NULL);
		ok(rc == -KHOFMT_ERR_NOTCOVERED || (rc > 0 && flen == rlen),
		   "slim-post.elf: fails cleanly or finds an intact copy (%d)", rc);
		free(fdt);
		fdt = NULL;
	}

	rc = khofmt_fdt_recover(src, root, rlen, &ro, &fdt, &flen, NULL);
	is_int(rc, -KHOFMT_ERR_INVAL, "a complete FDT is not a truncated one");
	/* every shorter prefix: bounded parsing, no crash, never a wrong FDT */
	for (l = 40; l < plen; l++) {
		rc = khofmt_fdt_recover(src, prefix, l, &ro, &fdt, &flen, NULL);
		if (rc > 0 && (flen != rlen || memcmp(fdt, root, rlen)))
			bad++;
		free(fdt);
		fdt = NULL;
	}
	is_int(bad, 0, "prefixes of 40..232 bytes never give a different FDT");
	for (l = 0; l < 40; l++)
		if (khofmt_fdt_recover(src, prefix, l, &ro, &fdt, &flen, NULL) !=
		    -KHOFMT_ERR_INVAL)
			bad++;
	is_int(bad, 0, "prefixes shorter than a header: INVAL");

	/* hostile prefixes: random bytes flipped after the magic and totalsize */
	{
		unsigned char *m = xmalloc(plen);
		uint64_t seed = 42;
		int wrong = 0, k;

		for (k = 0; k < 3000; k++) {
			unsigned flips = 1 + (unsigned)rnd_below(&seed, 8), j;

			memcpy(m, prefix, plen);
			for (j = 0; j < flips; j++)
				m[8 + rnd_below(&seed, plen - 8)] ^=
					(unsigned char)(1 + rnd_below(&seed, 255));
			ro.flags = KHOFMT_RECOVER_NO_SCAN;
			rc = khofmt_fdt_recover(src, m, plen, &ro, &fdt, &flen, NULL);
			if (rc > 0 && (flen != rlen || memcmp(fdt, m, plen)))
				wrong++;
			free(fdt);
			fdt = NULL;
		}
		ro.flags = 0;
		is_int(wrong, 0, "3000 mutated prefixes: no crash, a match always starts with the prefix");
		free(m);
	}
	/* the scan reports progress and stops when told to */
	{
		struct khofmt_source *big = NULL;
		uint64_t calls = 0;

		khofmt_source_new_mem(&big);
		khofmt_source_mem_add(big, 0x10000000, 64u << 20, &data);
		ro.progress = progress_stop;
		ro.progress_arg = &calls;
		rc = khofmt_fdt_recover(big, prefix, plen, &ro, &fdt, &flen, NULL);
		is_int(rc, -KHOFMT_ERR_LIMIT, "scan stopped by the progress callback");
		ok(calls == 3, "progress called until it said stop (%" PRIu64 ")", calls);
		ro.progress = NULL;
		free(fdt);
		fdt = NULL;
		khofmt_source_free(big);
	}
out:
	khofmt_source_free(src);
	khofmt_source_free(post);
	khofmt_source_free(one);
	free(prefix);
	free(root);
	free(pp);
	free(pr);
	free(pk);
	free(ppost);
}

struct dcount {
	uint64_t lost, added;
	struct fvec l, a;
};

static int dcb(void *arg, enum khofmt_diff_side side, uint64_t phys,
	       unsigned order, uint64_t count)
{
	struct dcount *d = arg;
	uint64_t i;

	for (i = 0; i < count; i++)
		fv_push(side == KHOFMT_DIFF_LOST ? &d->l : &d->a,
			phys + (i << (12 + order)), order);
	return 0;
}

/* Reference: entries of @x not in @y (both sorted, unique). */
static void ref_minus(const struct fvec *x, const struct fvec *y,
		      struct fvec *out)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (!bsearch(&x->v[i], y->v, y->n, sizeof(*y->v), folio_cmp))
			fv_push(out, x->v[i].phys, x->v[i].order);
	fv_sort_unique(out);
}

static void encode(const struct fvec *f, struct state *s)
{
	struct khofmt_enc *enc = NULL;
	size_t i;

	if (khofmt_enc_new(NULL, &enc) < 0)
		bail_out("enc_new");
	for (i = 0; i < f->n; i++)
		if (khofmt_enc_add_folio(enc, f->v[i].phys, f->v[i].order) < 0)
			bail_out("add_folio");
	if (state_finish_open(enc, 12, s) < 0)
		bail_out("finish");
	khofmt_enc_free(enc);
}

static void test_diff(void)
{
	struct fvec a = { 0 }, b = { 0 }, wl = { 0 }, wa = { 0 };
	struct state sa, sb;
	struct dcount d;
	uint64_t seed = 5, base = U64(0x100000000);
	size_t i;
	int rc;

	/* A: random order-0..9 folios in 4 GiB; B: A without ~1/5, plus new */
	for (i = 0; i < 3000; i++) {
		unsigned o = (unsigned)rnd_below(&seed, 10);
		uint64_t phys = base + (rnd_below(&seed, U64(1) << (32 - 12 - o)) << (12 + o));
		int which = (int)rnd_below(&seed, 10);

		if (which < 8)
			fv_push(&a, phys, o);
		if (which < 6 || which >= 8)
			fv_push(&b, phys, o);
	}
	/* runs: a contiguous block in both, and one split between them */
	for (i = 0; i < 64; i++) {
		fv_push(&a, U64(0x200000000) + i * 4096, 0);
		fv_push(&b, U64(0x200000000) + i * 4096, 0);
		fv_push(i % 2 ? &a : &b, U64(0x300000000) + i * 4096, 0);
	}
	fv_sort_unique(&a);
	fv_sort_unique(&b);
	ref_minus(&a, &b, &wl);
	ref_minus(&b, &a, &wa);
	encode(&a, &sa);
	encode(&b, &sb);

	memset(&d, 0, sizeof(d));
	rc = khofmt_diff_folios(sa.h, sb.h, NULL, dcb, &d);
	is_int(rc, 0, "diff_folios");
	fv_sort_unique(&d.l);
	fv_sort_unique(&d.a);
	ok(fv_equal_diag(&d.l, &wl), "lost = A \\ B (%zu entries)", wl.n);
	ok(fv_equal_diag(&d.a, &wa), "added = B \\ A (%zu entries)", wa.n);
	fv_free(&d.l);
	fv_free(&d.a);

	memset(&d, 0, sizeof(d));
	rc = khofmt_diff_folios(sa.h, sa.h, NULL, dcb, &d);
	ok(rc == 0 && d.l.n == 0 && d.a.n == 0, "a state against itself: nothing");
	fv_free(&d.l);
	fv_free(&d.a);

	state_free(&sa);
	state_free(&sb);
	fv_free(&a);
	fv_free(&b);
	fv_free(&wl);
	fv_free(&wa);
}

int main(void)
{
	char *dir = tmpdir_new("live");

	test_kcore(dir);
	test_iomem();
	test_recover();
	test_diff();
	tmpdir_cleanup(dir);
	return done_testing();
}
