// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Memory sources: in-memory images, raw images and ELF cores, including
 * hand-made hostile ELF files. ELF files are built and parsed here with
 * <elf.h> only, so the writer and the reader are checked independently.
 */
#include <elf.h>

#include "elfutil.h"
#include "testutil.h"

static char *tmp;

static char *tpath(const char *name)
{
	static char buf[8][4096];
	static unsigned slot;
	char *p = buf[slot++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", tmp, name);
	return p;
}

static bool is_err(int rc)
{
	return rc < 0 && rc > -KHOFMT_ERR_MAX;
}

static void fill_pattern(void *p, size_t n, uint64_t seed)
{
	unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i % 8 == 0)
			seed = splitmix64(&seed);
		b[i] = (unsigned char)(seed >> (8 * (i % 8)));
	}
}

/* ---- in-memory sources ---- */

static void test_mem(void)
{
	struct khofmt_source *s = NULL;
	const struct khofmt_range *r;
	unsigned char *a, *b, *c, buf[0x100];
	void *p;
	size_t n;
	int rc;

	if (!is(khofmt_source_new_mem(&s), 0, "new_mem") || !s)
		bail_out("cannot create an in-memory source");
	is(khofmt_source_kind(s), KHOFMT_SOURCE_MEM, "kind MEM");
	r = khofmt_source_ranges(s, &n);
	is(n, 0, "empty source has no ranges");
	is(khofmt_source_read(s, 0x1000, buf, 1), -KHOFMT_ERR_NOTCOVERED,
	   "read from an empty source: NOTCOVERED");

	is(khofmt_source_mem_add(s, 0x10000, 0x2000, &p), 0, "add [0x10000, 0x12000)");
	a = p;
	ok(a && a[0] == 0 && a[0x1fff] == 0, "added range is zero-filled");
	fill_pattern(a, 0x2000, 1);
	/* adjacent on the right: a separate segment, merged in ranges() */
	is(khofmt_source_mem_add(s, 0x12000, 0x1000, &p), 0, "add adjacent [0x12000, 0x13000)");
	b = p;
	fill_pattern(b, 0x1000, 2);
	is(khofmt_source_mem_add(s, 0x20000, 0x1000, &p), 0, "add [0x20000, 0x21000) after a gap");
	c = p;
	fill_pattern(c, 0x1000, 3);

	/* overlaps of every shape are rejected */
	is(khofmt_source_mem_add(s, 0x10000, 0x2000, &p), -KHOFMT_ERR_OVERLAP, "identical range rejected");
	is(khofmt_source_mem_add(s, 0xf000, 0x2000, &p), -KHOFMT_ERR_OVERLAP, "overlap on the left rejected");
	is(khofmt_source_mem_add(s, 0x12800, 0x1000, &p), -KHOFMT_ERR_OVERLAP, "overlap on the right rejected");
	is(khofmt_source_mem_add(s, 0x11000, 0x100, &p), -KHOFMT_ERR_OVERLAP, "contained range rejected");
	is(khofmt_source_mem_add(s, 0x8000, 0x20000, &p), -KHOFMT_ERR_OVERLAP, "containing range rejected");
	is(khofmt_source_mem_add(s, 0x1ffff, 2, &p), -KHOFMT_ERR_OVERLAP, "one-byte overlap rejected");
	ok(is_err(khofmt_source_mem_add(s, ~U64(0) - 0xfff, 0x2000, &p)),
	   "range wrapping past 2^64 rejected");

	r = khofmt_source_ranges(s, &n);
	if (is(n, 2, "ranges: adjacent segments merged, gap kept")) {
		is_u64(r[0].start, 0x10000, "range 0 start");
		is_u64(r[0].size, 0x3000, "range 0 size");
		is_u64(r[1].start, 0x20000, "range 1 start");
		is_u64(r[1].size, 0x1000, "range 1 size");
	}

	/* reads: inside one segment, across the adjacent boundary */
	memset(buf, 0, sizeof(buf));
	is(khofmt_source_read(s, 0x10010, buf, 0x40), 0, "read inside a segment");
	ok(!memcmp(buf, a + 0x10, 0x40), "... bytes match");
	is(khofmt_source_read(s, 0x11fc0, buf, 0x80), 0, "read across adjacent segments");
	ok(!memcmp(buf, a + 0x1fc0, 0x40) && !memcmp(buf + 0x40, b, 0x40),
	   "... bytes match on both sides");
	ok(khofmt_source_ptr(s, 0x11fc0, 0x80) == NULL, "ptr across segments is NULL");
	ok(khofmt_source_ptr(s, 0x20100, 0x10) != NULL &&
	   !memcmp(khofmt_source_ptr(s, 0x20100, 0x10), c + 0x100, 0x10),
	   "ptr inside a segment points at its bytes");
	ok(khofmt_source_ptr(s, 0x20ff0, 0x20) == NULL, "ptr running off a segment is NULL");

	/* not covered */
	is(khofmt_source_read(s, 0x0, buf, 16), -KHOFMT_ERR_NOTCOVERED, "read below all segments");
	is(khofmt_source_read(s, 0x12ff8, buf, 16), -KHOFMT_ERR_NOTCOVERED, "read running into a gap");
	ok(khofmt_source_errmsg(s) && *khofmt_source_errmsg(s), "errmsg set: \"%s\"",
	   khofmt_source_errmsg(s));
	is(khofmt_source_read(s, 0x1fff0, buf, 32), -KHOFMT_ERR_NOTCOVERED, "read starting in a gap");
	is(khofmt_source_read(s, 0x21000, buf, 1), -KHOFMT_ERR_NOTCOVERED, "read just past the end");
	is(khofmt_source_read(s, 0x20fff, buf, 1), 0, "read the last byte");
	ok(buf[0] == c[0xfff], "... right value");

	/* pa + len overflow */
	rc = khofmt_source_read(s, ~U64(0) - 7, buf, 16);
	ok(is_err(rc), "read with pa+len past 2^64 fails cleanly (%s)", khofmt_strerror(rc));
	ok(khofmt_source_ptr(s, ~U64(0) - 7, 16) == NULL, "ptr with pa+len past 2^64 is NULL");
	ok(!khofmt_source_covers(s, ~U64(0) - 7, 16), "covers() false when pa+len wraps");
	ok(!khofmt_source_covers(s, 0x10000, ~U64(0)), "covers() false for a huge len");

	ok(khofmt_source_covers(s, 0x10000, 0x3000), "covers() whole merged range");
	ok(!khofmt_source_covers(s, 0x10000, 0x3001), "covers() false one byte further");
	ok(!khofmt_source_covers(s, 0x12000, 0x10000), "covers() false across the gap");

	/* a segment high up in the 64-bit space (end does not wrap) */
	is(khofmt_source_mem_add(s, U64(0xffffffffffffe000), 0x1000, &p), 0,
	   "add a page just below 2^64 - 4096");
	is(khofmt_source_read(s, U64(0xffffffffffffefff), buf, 1), 0, "read its last byte");
	is(khofmt_source_read(s, U64(0xffffffffffffefff), buf, 2), -KHOFMT_ERR_NOTCOVERED,
	   "read one byte further: NOTCOVERED");
	rc = khofmt_source_read(s, U64(0xffffffffffffe000), buf, SIZE_MAX);
	ok(is_err(rc), "read of SIZE_MAX bytes fails cleanly (%s)", khofmt_strerror(rc));

	khofmt_source_free(s);
	khofmt_source_free(NULL);
	pass("free(NULL) is harmless");
}

/* ---- raw images ---- */

static void test_raw(void)
{
	struct khofmt_source *s = NULL;
	const struct khofmt_range *r;
	unsigned char img[3 * 4096], buf[64];
	size_t n;
	int rc;

	fill_pattern(img, sizeof(img), 42);
	if (write_whole_file(tpath("raw.img"), img, sizeof(img)))
		bail_out("cannot write %s", tpath("raw.img"));
	rc = khofmt_source_open_raw(tpath("raw.img"), 0x40000000, &s);
	if (!is(rc, 0, "open_raw at 0x40000000")) {
		diag("%s", khofmt_strerror(rc));
		return;
	}
	is(khofmt_source_kind(s), KHOFMT_SOURCE_RAW, "kind RAW");
	r = khofmt_source_ranges(s, &n);
	ok(n == 1 && r[0].start == 0x40000000 && r[0].size == sizeof(img),
	   "one range [base, base+filesize)");
	is(khofmt_source_read(s, 0x40001ff0, buf, 64), 0, "read across a page inside the image");
	ok(!memcmp(buf, img + 0x1ff0, 64), "... bytes match the file");
	is(khofmt_source_read(s, 0x3ffffff0, buf, 32), -KHOFMT_ERR_NOTCOVERED, "read before base");
	is(khofmt_source_read(s, 0x40000000 + sizeof(img) - 8, buf, 16), -KHOFMT_ERR_NOTCOVERED,
	   "read past the end of the file");
	khofmt_source_free(s);

	s = NULL;
	is(khofmt_source_open_raw(tpath("does-not-exist"), 0, &s), -KHOFMT_ERR_IO,
	   "open_raw on a missing file: IO");
	rc = khofmt_source_open_raw(tpath("raw.img"), ~U64(0) - 0xfff, &s);
	ok(is_err(rc), "open_raw with base+size past 2^64 fails (%s)", khofmt_strerror(rc));
	if (rc >= 0)
		khofmt_source_free(s);
}

/* ---- ELF: write with the library, parse here and reopen ---- */

struct seg {
	uint64_t pa, size;
};

static void test_elf_roundtrip(void)
{
	static const struct seg segs[] = {
		{ 0x0, 0x1000 },              /* physical page 0 */
		{ 0x9f000, 0x1000 },
		{ 0x100000, 0x3000 },
		{ 0x103000, 0x1000 },         /* adjacent: merged */
		{ 0x1f0fc000, 0x101000 },     /* 1028 KiB */
		{ U64(0xffffffffff000), 0x1000 }, /* last page of 2^52 */
	};
	struct khofmt_source *s = NULL, *e = NULL;
	const struct khofmt_range *r1, *r2;
	size_t n1, n2, i, flen = 0;
	unsigned char *file, byte;
	bool same = true;
	int rc;

	khofmt_source_new_mem(&s);
	for (i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		void *p;

		if (khofmt_source_mem_add(s, segs[i].pa, segs[i].size, &p))
			bail_out("mem_add 0x%" PRIx64, segs[i].pa);
		fill_pattern(p, segs[i].size, 100 + i);
	}
	rc = khofmt_source_write_elf(s, tpath("core.elf"), 0);
	if (!is(rc, 0, "write_elf")) {
		diag("%s: %s", khofmt_strerror(rc), khofmt_source_errmsg(s));
		khofmt_source_free(s);
		return;
	}

	/* Parse the file with <elf.h> only. */
	file = read_whole_file(tpath("core.elf"), &flen);
	r1 = khofmt_source_ranges(s, &n1);
	if (ok(file && flen >= sizeof(Elf64_Ehdr), "ELF file written")) {
		Elf64_Ehdr eh;
		unsigned loads = 0;
		bool ph_ok = true;

		memcpy(&eh, file, sizeof(eh));
		ok(!memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
		   eh.e_ident[EI_CLASS] == ELFCLASS64 &&
		   eh.e_ident[EI_DATA] == ELFDATA2LSB, "ELF64 little-endian header");
		is(eh.e_type, ET_CORE, "e_type ET_CORE");
		is(eh.e_machine, EM_X86_64, "e_machine defaults to EM_X86_64");
		is(eh.e_phentsize, sizeof(Elf64_Phdr), "e_phentsize");
		ok(eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) <= flen,
		   "program headers inside the file");
		for (i = 0; i < eh.e_phnum &&
		     eh.e_phoff + (i + 1) * sizeof(Elf64_Phdr) <= flen; i++) {
			Elf64_Phdr ph;

			memcpy(&ph, file + eh.e_phoff + i * sizeof(ph), sizeof(ph));
			if (ph.p_type != PT_LOAD)
				continue;
			if (loads >= n1 || ph.p_paddr != r1[loads].start ||
			    ph.p_filesz != r1[loads].size ||
			    ph.p_memsz != ph.p_filesz || ph.p_vaddr != 0 ||
			    ph.p_offset % 4096 ||
			    ph.p_offset + ph.p_filesz > flen) {
				diag("PT_LOAD %u: paddr 0x%" PRIx64 " filesz 0x%"
				     PRIx64 " off 0x%" PRIx64, loads,
				     (uint64_t)ph.p_paddr, (uint64_t)ph.p_filesz,
				     (uint64_t)ph.p_offset);
				ph_ok = false;
			} else {
				/* every byte of the segment, via the source */
				unsigned char *want = xmalloc(ph.p_filesz);

				if (khofmt_source_read(s, ph.p_paddr, want, ph.p_filesz) ||
				    memcmp(want, file + ph.p_offset, ph.p_filesz))
					ph_ok = false;
				free(want);
			}
			loads++;
		}
		is(loads, n1, "one PT_LOAD per covered range (%zu)", n1);
		ok(ph_ok, "PT_LOADs: p_paddr/p_filesz = ranges, p_vaddr 0, "
		   "page-aligned offsets, file bytes = image bytes");
	}
	free(file);

	/* Reopen through the library and compare everything. */
	rc = khofmt_source_open_elf(tpath("core.elf"), &e);
	if (is(rc, 0, "open_elf of our own core")) {
		is(khofmt_source_kind(e), KHOFMT_SOURCE_ELF, "kind ELF");
		r2 = khofmt_source_ranges(e, &n2);
		if (is(n2, n1, "same number of ranges")) {
			for (i = 0; i < n1; i++) {
				unsigned char *x = xmalloc(r1[i].size), *y = xmalloc(r1[i].size);

				if (r1[i].start != r2[i].start || r1[i].size != r2[i].size ||
				    khofmt_source_read(s, r1[i].start, x, r1[i].size) ||
				    khofmt_source_read(e, r1[i].start, y, r1[i].size) ||
				    memcmp(x, y, r1[i].size))
					same = false;
				free(x);
				free(y);
			}
			ok(same, "ranges and every byte equal after ELF round trip");
		}
		is(khofmt_source_read(e, 0x1000, &byte, 1), -KHOFMT_ERR_NOTCOVERED,
		   "a hole stays NOTCOVERED in the ELF source");
		khofmt_source_free(e);
	} else {
		diag("%s", khofmt_strerror(rc));
	}

	rc = khofmt_source_write_elf(s, "/nonexistent-dir/x/core.elf", 0);
	is(rc, -KHOFMT_ERR_IO, "write_elf to an impossible path: IO");
	is(khofmt_source_open_elf(tpath("missing.elf"), &e), -KHOFMT_ERR_IO,
	   "open_elf of a missing file: IO");
	khofmt_source_free(s);
}

/* ---- hand-made and hostile ELF cores ---- */

#define HM_DATA_OFF 0x1000
#define HM_DATA_SIZE 0x2000
#define HM_PADDR 0x5000000

/* A minimal valid core: ehdr, 2 phdrs (NOTE-less), one PT_LOAD. */
static size_t make_core(unsigned char *f, size_t cap)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	size_t len = HM_DATA_OFF + HM_DATA_SIZE;

	if (cap < len)
		bail_out("make_core buffer");
	memset(f, 0, len);
	elf_core_ehdr(&eh, 2);
	memset(ph, 0, sizeof(ph));
	ph[0].p_type = PT_LOAD;
	ph[0].p_offset = HM_DATA_OFF;
	ph[0].p_paddr = HM_PADDR;
	ph[0].p_filesz = ph[0].p_memsz = HM_DATA_SIZE;
	ph[0].p_flags = PF_R | PF_W | PF_X;
	/* a PT_LOAD without file bytes: must not be covered */
	ph[1].p_type = PT_LOAD;
	ph[1].p_offset = HM_DATA_OFF;
	ph[1].p_paddr = 0x9000000;
	ph[1].p_filesz = 0;
	ph[1].p_memsz = 0x1000;
	memcpy(f, &eh, sizeof(eh));
	memcpy(f + sizeof(eh), ph, sizeof(ph));
	fill_pattern(f + HM_DATA_OFF, HM_DATA_SIZE, 7);
	return len;
}

static Elf64_Ehdr *ehdr(unsigned char *f)
{
	return (Elf64_Ehdr *)f;
}

static Elf64_Phdr *phdr(unsigned char *f, unsigned i)
{
	return (Elf64_Phdr *)(f + sizeof(Elf64_Ehdr)) + i;
}

static int open_bytes(const char *name, const void *f, size_t len,
		      struct khofmt_source **out)
{
	*out = NULL;
	if (write_whole_file(tpath(name), f, len))
		bail_out("cannot write %s", tpath(name));
	return khofmt_source_open_elf(tpath(name), out);
}

/* Expect a clean negative error; never a crash, never success. */
static void expect_bad(const char *name, const void *f, size_t len)
{
	struct khofmt_source *s;
	int rc = open_bytes(name, f, len, &s);

	ok(is_err(rc), "hostile ELF %s: clean error (%s)", name,
	   rc < 0 ? khofmt_strerror(rc) : "opened!");
	if (rc >= 0)
		khofmt_source_free(s);
}

static void test_elf_hostile(void)
{
	static unsigned char f[HM_DATA_OFF + HM_DATA_SIZE], g[sizeof(f)];
	struct khofmt_source *s;
	unsigned char buf[64];
	size_t len = make_core(f, sizeof(f)), cut;
	static const size_t cuts[] = {
		0, 1, 4, 16, 63, 64, 64 + 55, 64 + 56, 64 + 111,
		HM_DATA_OFF, HM_DATA_OFF + 1, HM_DATA_OFF + HM_DATA_SIZE - 1,
	};
	size_t i;
	int rc;

	rc = open_bytes("good.elf", f, len, &s);
	if (is(rc, 0, "hand-made core opens")) {
		const struct khofmt_range *r;
		size_t n;

		r = khofmt_source_ranges(s, &n);
		ok(n == 1 && r[0].start == HM_PADDR && r[0].size == HM_DATA_SIZE,
		   "covers exactly the PT_LOAD with file bytes");
		ok(!khofmt_source_covers(s, 0x9000000, 1),
		   "PT_LOAD with p_filesz 0 not covered");
		is(khofmt_source_read(s, HM_PADDR + 0x1ff0, buf, 16), 0, "read at end of segment");
		ok(!memcmp(buf, f + HM_DATA_OFF + 0x1ff0, 16), "... bytes match the file");
		khofmt_source_free(s);
	} else {
		diag("%s", khofmt_strerror(rc));
	}

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		char name[64];

		cut = cuts[i];
		snprintf(name, sizeof(name), "truncated-at-%zu", cut);
		expect_bad(name, f, cut);
	}

	memcpy(g, f, len);
	g[0] = 0x7e;
	expect_bad("bad-magic", g, len);

	memcpy(g, f, len);
	g[EI_CLASS] = ELFCLASS32;
	expect_bad("elfclass32", g, len);

	memcpy(g, f, len);
	ehdr(g)->e_phoff = len + 100;
	expect_bad("phdr-beyond-eof", g, len);

	memcpy(g, f, len);
	ehdr(g)->e_phoff = ~U64(0) - 16;
	expect_bad("phoff-wraps", g, len);

	memcpy(g, f, len);
	ehdr(g)->e_phnum = 0xffff;
	expect_bad("phnum-65535-beyond-eof", g, len);

	memcpy(g, f, len);
	ehdr(g)->e_phentsize = 32;
	expect_bad("phentsize-32", g, len);

	memcpy(g, f, len);
	phdr(g, 0)->p_filesz = phdr(g, 0)->p_memsz = ~U64(0) - 0xffff;
	expect_bad("p_filesz-huge", g, len);

	memcpy(g, f, len);
	phdr(g, 0)->p_filesz = phdr(g, 0)->p_memsz = HM_DATA_SIZE + 1;
	expect_bad("p_filesz-one-past-eof", g, len);

	memcpy(g, f, len);
	phdr(g, 0)->p_offset = ~U64(0) - 0xfff;
	expect_bad("p_offset-wraps", g, len);

	memcpy(g, f, len);
	phdr(g, 0)->p_offset = len;
	expect_bad("p_offset-at-eof", g, len);

	memcpy(g, f, len);
	phdr(g, 0)->p_paddr = ~U64(0) - 0xfff;
	expect_bad("p_paddr-plus-filesz-wraps", g, len);

	/* two PT_LOADs covering the same physical bytes */
	memcpy(g, f, len);
	*phdr(g, 1) = *phdr(g, 0);
	phdr(g, 1)->p_paddr = HM_PADDR + 0x1000;
	expect_bad("overlapping-pt-loads", g, len);

	/* PT_LOADs out of address order, two of them adjacent */
	memcpy(g, f, len);
	ehdr(g)->e_phnum = 2;
	phdr(g, 0)->p_paddr = HM_PADDR + 0x1000;
	phdr(g, 0)->p_offset = HM_DATA_OFF;
	phdr(g, 0)->p_filesz = phdr(g, 0)->p_memsz = 0x1000;
	*phdr(g, 1) = *phdr(g, 0);
	phdr(g, 1)->p_paddr = HM_PADDR;
	phdr(g, 1)->p_offset = HM_DATA_OFF + 0x1000;
	rc = open_bytes("descending-loads", g, len, &s);
	if (is(rc, 0, "PT_LOADs in descending address order open")) {
		const struct khofmt_range *r;
		size_t n;

		r = khofmt_source_ranges(s, &n);
		ok(n == 1 && r[0].start == HM_PADDR && r[0].size == 0x2000,
		   "... ranges sorted and the adjacent pair merged");
		is(khofmt_source_read(s, HM_PADDR + 0xff8, buf, 16), 0,
		   "... a read across the two segments");
		ok(!memcmp(buf, g + HM_DATA_OFF + 0x1ff8, 8) && !memcmp(buf + 8, g + HM_DATA_OFF, 8),
		   "... takes each half from its own segment");
		khofmt_source_free(s);
	}

	/*
	 * Extended numbering (ELF gABI, used by QEMU for dumps with 65535 or
	 * more segments): e_phnum = PN_XNUM, real count in shdr[0].sh_info.
	 */
	{
		static unsigned char x[HM_DATA_OFF + HM_DATA_SIZE + sizeof(Elf64_Shdr)];
		Elf64_Shdr sh;

		memcpy(x, f, len);
		ehdr(x)->e_phnum = PN_XNUM;
		ehdr(x)->e_shoff = len;
		ehdr(x)->e_shentsize = sizeof(Elf64_Shdr);
		ehdr(x)->e_shnum = 1; /* as QEMU writes it */
		memset(&sh, 0, sizeof(sh));
		sh.sh_info = 2;
		memcpy(x + len, &sh, sizeof(sh));
		rc = open_bytes("pn-xnum", x, sizeof(x), &s);
		if (is(rc, 0, "e_phnum = PN_XNUM, count in shdr[0].sh_info: opens (%s)",
		       rc < 0 ? khofmt_strerror(rc) : "ok")) {
			ok(khofmt_source_covers(s, HM_PADDR, HM_DATA_SIZE),
			   "... its PT_LOAD is covered");
			khofmt_source_free(s);
		}
	}

	/* random garbage of a few sizes, seeded */
	for (i = 0; i < 4; i++) {
		char name[64];
		size_t n = (size_t)16 << (3 * i);

		fill_pattern(g, n, 900 + i);
		snprintf(name, sizeof(name), "random-%zu-bytes", n);
		expect_bad(name, g, n);
	}
	/* garbage with a valid ident: header fields random */
	for (i = 0; i < 16; i++) {
		char name[64];
		struct khofmt_source *t;

		memcpy(g, f, len);
		fill_pattern(g + EI_NIDENT, 64 - EI_NIDENT + 2 * 56, 1000 + i);
		snprintf(name, sizeof(name), "random-headers-%zu", i);
		rc = open_bytes(name, g, len, &t);
		/* may open if the random fields happen to be sane; no crash */
		ok(rc == 0 || is_err(rc), "hostile ELF %s: no crash (%s)", name,
		   rc < 0 ? khofmt_strerror(rc) : "opened");
		if (rc >= 0)
			khofmt_source_free(t);
	}
}

/* More PT_LOADs than e_phnum can count: a clean error or PN_XNUM, no wrap. */
static void test_elf_many_segments(void)
{
	const size_t n = 65537;
	struct khofmt_source *s = NULL, *e = NULL;
	size_t i, got = 0;
	int rc;

	khofmt_source_new_mem(&s);
	for (i = 0; i < n; i++) {
		void *p;

		if (khofmt_source_mem_add(s, 0x100000000 + (uint64_t)i * 0x2000, 0x1000, &p))
			bail_out("mem_add %zu", i);
		*(uint64_t *)p = i;
	}
	rc = khofmt_source_write_elf(s, tpath("many.elf"), 0);
	if (rc < 0) {
		ok(rc > -KHOFMT_ERR_MAX, "write_elf of %zu segments: clean error (%s)", n,
		   khofmt_strerror(rc));
	} else {
		rc = khofmt_source_open_elf(tpath("many.elf"), &e);
		if (rc == 0)
			khofmt_source_ranges(e, &got);
		ok(rc == 0 && got == n, "write_elf of %zu segments reads back %zu (%s)", n, got,
		   rc < 0 ? khofmt_strerror(rc) : "opened");
		khofmt_source_free(e);
	}
	unlink(tpath("many.elf"));
	khofmt_source_free(s);
}

int main(void)
{
	const char *small = getenv("KHO_TEST_SMALL");

	tmp = tmpdir_new("source");
	test_mem();
	test_raw();
	test_elf_roundtrip();
	test_elf_hostile();
	if (!small || !*small || !strcmp(small, "0"))
		test_elf_many_segments();
	tmpdir_cleanup(tmp);
	return done_testing();
}
