// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Hostile inputs for the bounded-resources tests (tests/cli/bounded.sh).
 * Written from the spec (doc/ABI.md 4.1: radix geometry for 4 KiB pages,
 * native-endian u64 properties) with libfdt and plain byte layouts;
 * libkhofmt is not used, so the inputs are independent of the decoder.
 *
 *   genhostile fanout   OUT.fdt OUT.img PAGES  raw image at 0x1000000: a
 *       radix tree filled depth-first, every table entry that can hold a
 *       valid order-0 key pointing at a distinct page, PAGES pages in all,
 *       leaves all ones (prints the number of entries set)
 *   genhostile samepage OUT.fdt OUT.img    root entries all -> one table,
 *       whose entries all point at itself
 *   genhostile selfroot OUT.fdt OUT.img    root entries all -> the root
 *   genhostile manyloads IN.elf OUT.elf N  the PT_LOAD data of IN.elf cut
 *       into N adjacent pieces (N > 65534 uses PN_XNUM)
 *   genhostile subnodes OUT.fdt N          kho-v4 root FDT with N subnodes
 */
#include <endian.h>
#include <libfdt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P 4096u
#define BASE UINT64_C(0x1000000)
#define ENT (P / 8)

static void die(const char *what)
{
	fprintf(stderr, "genhostile: %s\n", what);
	exit(1);
}

static void st64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static void wfile(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f))
		die(path);
}

/* Root FDT: compatible kho-v4, preserved-memory-map = @map, @nsub subnodes. */
static void root_fdt(const char *path, uint64_t map, unsigned nsub)
{
	size_t cap = 4096 + (size_t)nsub * 96;
	unsigned char le[8];
	char name[32];
	void *fdt = calloc(1, cap);
	unsigned i;

	st64(le, map);
	if (!fdt || fdt_create(fdt, (int)cap) || fdt_finish_reservemap(fdt) ||
	    fdt_begin_node(fdt, "") ||
	    fdt_property_string(fdt, "compatible", "kho-v4") ||
	    fdt_property(fdt, "preserved-memory-map", le, 8))
		die("fdt");
	for (i = 0; i < nsub; i++) {
		snprintf(name, sizeof(name), "n%u", i);
		st64(le, BASE + (uint64_t)i * P);
		if (fdt_begin_node(fdt, name) ||
		    fdt_property(fdt, "preserved-data", le, 8) ||
		    fdt_end_node(fdt))
			die("fdt subnode");
	}
	if (fdt_end_node(fdt) || fdt_finish(fdt))
		die("fdt finish");
	wfile(path, fdt, fdt_totalsize(fdt));
	free(fdt);
}

/*
 * 4 KiB pages: KEY_BITS 53, tables of 512 entries, leaves of 2^15 bits,
 * depth 6 (root = level 5, shift 51). Order-0 keys have bit 52 set and a
 * pfn below 2^40: root index 2, level-4 index 0, level-3 index < 128.
 */
static unsigned valid_entries(unsigned level)
{
	return level == 5 ? 1 : level == 4 ? 1 : level == 3 ? 128 : ENT;
}

static unsigned first_entry(unsigned level)
{
	return level == 5 ? 2 : 0;
}

struct img {
	unsigned char *p;
	size_t npages, used;
	uint64_t bits;
};

static size_t alloc_page(struct img *im)
{
	return im->used < im->npages ? im->used++ : (size_t)-1;
}

static void fill(struct img *im, size_t page, unsigned level)
{
	unsigned char *t = im->p + page * P;
	unsigned i;

	if (level == 0) {
		memset(t, 0xff, P);
		im->bits += 8 * P;
		return;
	}
	for (i = 0; i < valid_entries(level); i++) {
		size_t c = alloc_page(im);

		if (c == (size_t)-1)
			return;
		st64(t + 8 * (first_entry(level) + i), BASE + c * P);
		fill(im, c, level - 1);
	}
}

static void cmd_fanout(const char *fdtp, const char *imgp, size_t pages)
{
	struct img im = { calloc(pages, P), pages, 0, 0 };

	if (!im.p)
		die("calloc");
	alloc_page(&im);	/* the root */
	fill(&im, 0, 5);
	root_fdt(fdtp, BASE, 0);
	wfile(imgp, im.p, pages * P);
	printf("%llu\n", (unsigned long long)im.bits);
	free(im.p);
}

static void cmd_samepage(const char *fdtp, const char *imgp, int self_root)
{
	unsigned char *p = calloc(2, P);
	unsigned i;

	if (!p)
		die("calloc");
	for (i = 0; i < ENT; i++) {
		st64(p + 8 * i, self_root ? BASE : BASE + P);
		st64(p + P + 8 * i, BASE + P);
	}
	root_fdt(fdtp, BASE, 0);
	wfile(imgp, p, 2 * P);
	free(p);
}

/* ---- ELF64 little-endian, by hand ---- */

static uint64_t ld(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void put(unsigned char *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void cmd_manyloads(const char *in, const char *out, size_t n)
{
	FILE *f = fopen(in, "rb");
	unsigned char *src, *dst, *ph;
	size_t len, phnum, i, k, total = 0, done = 0, nseg = 0, hdr;
	uint64_t phoff, off;
	struct { uint64_t pa, off, size; } seg[256];

	if (!f || fseek(f, 0, SEEK_END))
		die(in);
	len = (size_t)ftell(f);
	rewind(f);
	src = malloc(len);
	if (!src || fread(src, 1, len, f) != len)
		die(in);
	fclose(f);
	phoff = ld(src + 32, 8);
	phnum = ld(src + 56, 2);
	for (i = 0; i < phnum && nseg < 256; i++) {
		ph = src + phoff + 56 * i;
		if (ld(ph, 4) != 1 || !ld(ph + 32, 8))
			continue;
		seg[nseg].off = ld(ph + 8, 8);
		seg[nseg].pa = ld(ph + 24, 8);
		seg[nseg].size = ld(ph + 32, 8);
		total += seg[nseg].size;
		nseg++;
	}
	if (n < nseg || total < n)
		die("cannot cut that finely");
	/* headers + section header 0 (PN_XNUM) + the data, packed */
	hdr = 64 + 56 * n + 64;
	dst = calloc(1, hdr + total);
	if (!dst)
		die("calloc");
	memcpy(dst, src, 16);
	put(dst + 16, 4, 2);		/* ET_CORE */
	put(dst + 18, ld(src + 18, 2), 2);
	put(dst + 20, 1, 4);
	put(dst + 32, 64, 8);		/* e_phoff */
	put(dst + 40, 64 + 56 * n, 8);	/* e_shoff */
	put(dst + 52, 64, 2);
	put(dst + 54, 56, 2);
	put(dst + 56, n >= 0xffff ? 0xffff : n, 2);
	put(dst + 58, 64, 2);
	put(dst + 60, 1, 2);		/* e_shnum */
	put(dst + 64 + 56 * n + 44, n, 4);	/* shdr 0 sh_info */
	off = hdr;
	k = 0;
	for (i = 0; i < nseg; i++) {
		/* pieces of this segment: its share of n, at least one */
		size_t pieces = i + 1 == nseg ? n - k :
				(size_t)((double)seg[i].size / total * n);
		uint64_t at = 0, piece;
		size_t j;

		if (!pieces)
			pieces = 1;
		if (pieces > n - k - (nseg - i - 1))
			pieces = n - k - (nseg - i - 1);
		piece = seg[i].size / pieces;
		for (j = 0; j < pieces; j++, k++) {
			uint64_t sz = j + 1 == pieces ? seg[i].size - at : piece;

			ph = dst + 64 + 56 * k;
			put(ph, 1, 4);
			put(ph + 4, 7, 4);
			put(ph + 8, off, 8);
			put(ph + 24, seg[i].pa + at, 8);
			put(ph + 32, sz, 8);
			put(ph + 40, sz, 8);
			memcpy(dst + off, src + seg[i].off + at, sz);
			off += sz;
			at += sz;
		}
		done += seg[i].size;
	}
	if (k != n || done != total)
		die("internal: pieces");
	wfile(out, dst, off);
	free(src);
	free(dst);
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "fanout"))
		cmd_fanout(argv[2], argv[3], strtoul(argv[4], NULL, 0));
	else if (argc == 4 && !strcmp(argv[1], "samepage"))
		cmd_samepage(argv[2], argv[3], 0);
	else if (argc == 4 && !strcmp(argv[1], "selfroot"))
		cmd_samepage(argv[2], argv[3], 1);
	else if (argc == 5 && !strcmp(argv[1], "manyloads"))
		cmd_manyloads(argv[2], argv[3], strtoul(argv[4], NULL, 0));
	else if (argc == 4 && !strcmp(argv[1], "subnodes"))
		root_fdt(argv[2], BASE, (unsigned)strtoul(argv[3], NULL, 0));
	else {
		fprintf(stderr, "usage: see the comment at the top of genhostile.c\n");
		return 64;
	}
	return 0;
}
