// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmdump: read guest physical memory from a QEMU dump-guest-memory ELF core
 * (non-paging form: PT_LOAD p_paddr = guest physical address). A host-side
 * reference reader for the VM harness, independent of libkhofmt.
 *
 *   vmdump read CORE PADDR LEN OUT   write LEN bytes at PADDR to OUT
 *   vmdump find-fdt CORE PREFIX OUT  find the bytes of file PREFIX (a prefix of
 *                                    a flattened device tree, e.g. a truncated
 *                                    debugfs kho/out/fdt) in guest memory and
 *                                    write the whole FDT (header totalsize) to
 *                                    OUT; prints its physical address
 *   vmdump slim CORE ROOTPA OUT [PA LEN]...
 *                                    write a slim ELF core holding only the
 *                                    pages of the KHO radix tree whose root
 *                                    table is at ROOTPA (doc/ABI.md 4.1: 4 KiB
 *                                    pages: 6 levels, 512 entries per table;
 *                                    64 KiB: 4 levels, 8192 entries) and the
 *                                    given ranges; prints the number of tree
 *                                    pages
 * The page size is 4 KiB unless VMDUMP_PAGE_SHIFT says otherwise (14, 16).
 * Exit 0 ok, 1 not found / not covered, 2 could not read, 64 usage.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char *core;
static size_t core_len;
static unsigned PS = 12; /* page shift */
#define P (UINT64_C(1) << PS)

static int load(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(path);
		return -1;
	}
	core_len = (size_t)st.st_size;
	core = mmap(NULL, core_len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (core == MAP_FAILED || core_len < sizeof(Elf64_Ehdr) || memcmp(core, ELFMAG, SELFMAG) ||
	    core[EI_CLASS] != ELFCLASS64) {
		fprintf(stderr, "vmdump: %s: not a 64-bit ELF core\n", path);
		return -1;
	}
	return 0;
}

/* Program header i, or NULL when out of the file. */
static const Elf64_Phdr *phdr(unsigned i)
{
	const Elf64_Ehdr *e = (const void *)core;
	if (i >= e->e_phnum || e->e_phentsize != sizeof(Elf64_Phdr))
		return NULL;
	uint64_t off = e->e_phoff + (uint64_t)i * sizeof(Elf64_Phdr);
	if (off > core_len || core_len - off < sizeof(Elf64_Phdr))
		return NULL;
	return (const void *)(core + off);
}

/* File bytes of PT_LOAD p, bounded by the file. */
static size_t seg_bytes(const Elf64_Phdr *p)
{
	if (p->p_offset > core_len)
		return 0;
	size_t n = p->p_filesz < core_len - p->p_offset ? p->p_filesz : core_len - p->p_offset;
	return n;
}

/* Pointer to [pa, pa+len) if one PT_LOAD holds all of it. */
static const unsigned char *at(uint64_t pa, uint64_t len)
{
	const Elf64_Phdr *p;
	for (unsigned i = 0; (p = phdr(i)); i++) {
		if (p->p_type != PT_LOAD)
			continue;
		size_t n = seg_bytes(p);
		if (pa >= p->p_paddr && pa - p->p_paddr <= n && len <= n - (pa - p->p_paddr))
			return core + p->p_offset + (pa - p->p_paddr);
	}
	return NULL;
}

static int write_out(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		return 2;
	}
	return 0;
}

static int cmd_read(char **argv)
{
	uint64_t pa = strtoull(argv[0], NULL, 0), len = strtoull(argv[1], NULL, 0);
	const unsigned char *b = at(pa, len);
	if (!b) {
		fprintf(stderr, "vmdump: [0x%" PRIx64 ", +0x%" PRIx64 ") not in the core\n", pa, len);
		return 1;
	}
	return write_out(argv[2], b, len);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int cmd_find_fdt(char **argv)
{
	unsigned char pre[4096];
	FILE *f = fopen(argv[0], "rb");
	if (!f) {
		perror(argv[0]);
		return 2;
	}
	size_t plen = fread(pre, 1, sizeof(pre), f);
	fclose(f);
	if (plen < 40 || be32(pre) != 0xd00dfeed) {
		fprintf(stderr, "vmdump: %s: not an FDT prefix\n", argv[0]);
		return 2;
	}
	const Elf64_Phdr *p;
	for (unsigned i = 0; (p = phdr(i)); i++) {
		if (p->p_type != PT_LOAD)
			continue;
		size_t n = seg_bytes(p);
		const unsigned char *s = core + p->p_offset;
		/* an FDT starts page-aligned here (a KHO root FDT is one page) */
		for (size_t off = 0; off + plen <= n; off += 4096) {
			if (memcmp(s + off, pre, plen) != 0)
				continue;
			uint32_t total = be32(s + off + 4);
			if (total < plen || total > n - off) {
				fprintf(stderr, "vmdump: FDT totalsize %u does not fit\n", total);
				return 1;
			}
			printf("0x%" PRIx64 " %u\n", p->p_paddr + off, total);
			return write_out(argv[1], s + off, total);
		}
	}
	fprintf(stderr, "vmdump: FDT prefix not found in the core\n");
	return 1;
}

#define SLIM_MAX 65536
static uint64_t slim_pages[SLIM_MAX];
static size_t slim_n;

static int slim_add(uint64_t pa)
{
	if (slim_n == SLIM_MAX)
		return -1;
	slim_pages[slim_n++] = pa & ~(P - 1);
	return 0;
}

/* Radix tree pages below the table at @pa of @level (0 = leaf). */
static int slim_tree(uint64_t pa, int level, size_t *count)
{
	const unsigned char *t = at(pa, P);
	if (!t || (pa & (P - 1)) || slim_add(pa) || ++*count > SLIM_MAX / 2)
		return -1;
	if (level == 0)
		return 0;
	for (unsigned i = 0; i < P / 8; i++) {
		uint64_t c;
		memcpy(&c, t + i * 8, 8);
		if (c && slim_tree(c, level - 1, count))
			return -1;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmd_slim(int argc, char **argv)
{
	size_t tree = 0;
	/* levels below the root: DEPTH - 1 = ceil((KEY_BITS - LEAF_LOG2) / TBL_LOG2) */
	int top = (int)((65 - PS - (PS + 3) + (PS - 3) - 1) / (PS - 3));
	if (slim_tree(strtoull(argv[0], NULL, 0), top, &tree)) {
		fprintf(stderr, "vmdump: radix tree unreadable or too large\n");
		return 1;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		uint64_t pa = strtoull(argv[i], NULL, 0), len = strtoull(argv[i + 1], NULL, 0);
		for (uint64_t p = pa & ~(P - 1); p < pa + len; p += P)
			if (slim_add(p))
				return 1;
	}
	qsort(slim_pages, slim_n, 8, cmp_u64);
	size_t n = 0; /* dedup */
	for (size_t i = 0; i < slim_n; i++)
		if (!n || slim_pages[n - 1] != slim_pages[i])
			slim_pages[n++] = slim_pages[i];
	slim_n = n;
	size_t nseg = 0;
	for (size_t i = 0; i < slim_n; i++)
		if (!i || slim_pages[i] != slim_pages[i - 1] + P)
			nseg++;
	FILE *f = fopen(argv[1], "wb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_CORE, .e_machine = ((const Elf64_Ehdr *)(const void *)core)->e_machine,
		.e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (Elf64_Half)nseg,
	};
	fwrite(&eh, sizeof(eh), 1, f);
	uint64_t off = (sizeof(eh) + nseg * sizeof(Elf64_Phdr) + P - 1) & ~(P - 1);
	uint64_t data = off;
	for (size_t i = 0; i < slim_n;) {
		size_t j = i + 1;
		while (j < slim_n && slim_pages[j] == slim_pages[j - 1] + P)
			j++;
		Elf64_Phdr ph = { .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
				  .p_offset = off, .p_paddr = slim_pages[i],
				  .p_filesz = (j - i) * P, .p_memsz = (j - i) * P,
				  .p_align = P };
		fwrite(&ph, sizeof(ph), 1, f);
		off += (j - i) * P;
		i = j;
	}
	fseek(f, (long)data, SEEK_SET);
	for (size_t i = 0; i < slim_n; i++) {
		const unsigned char *b = at(slim_pages[i], P);
		static const unsigned char zero[1 << 16];
		fwrite(b ? b : zero, P, 1, f);
	}
	if (fclose(f) != 0) {
		perror(argv[1]);
		return 2;
	}
	printf("%zu\n", tree);
	return 0;
}

int main(int argc, char **argv)
{
	const char *ps = getenv("VMDUMP_PAGE_SHIFT");
	if (ps && *ps) {
		PS = (unsigned)atoi(ps);
		if (PS != 12 && PS != 14 && PS != 16) {
			fprintf(stderr, "vmdump: VMDUMP_PAGE_SHIFT must be 12, 14 or 16\n");
			return 64;
		}
	}
	if (argc >= 5 && strcmp(argv[1], "slim") == 0 && argc % 2 == 1)
		return load(argv[2]) ? 2 : cmd_slim(argc - 3, argv + 3);
	if (argc == 6 && strcmp(argv[1], "read") == 0)
		return load(argv[2]) ? 2 : cmd_read(argv + 3);
	if (argc == 5 && strcmp(argv[1], "find-fdt") == 0)
		return load(argv[2]) ? 2 : cmd_find_fdt(argv + 3);
	fprintf(stderr, "usage: vmdump read CORE PADDR LEN OUT | find-fdt CORE PREFIX OUT |\n"
			"       slim CORE ROOTPA OUT [PA LEN]...\n");
	return 64;
}
