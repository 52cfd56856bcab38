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
 *                                    given ranges (ROOTPA 0: no tree); prints
 *                                    the number of tree pages. The core's PT_NOTE segments
 *                                    (VMCOREINFO) are copied.
 *   vmdump keep CORE OUT [PA LEN]... | all
 *                                    write a copy of CORE with the same notes
 *                                    and PT_LOADs (headers of its own, in
 *                                    the layout makedumpfile reads) whose
 *                                    memory is zero except the pages of the
 *                                    given ranges (a sparse file), or all of
 *                                    it; prints the pages written
 *   vmdump boot-params CORE          x86: every boot_params
 *                                    (0xAA55 at 0x1fe, "HdrS" at 0x202) and
 *                                    its setup_data chain, one line each:
 *                                    "bp PA", "sd PA TYPE LEN", and for type
 *                                    10 (SETUP_KEXEC_KHO) "kho FDT SIZE
 *                                    SCRATCH SIZE" (bootparam.h)
 *   vmdump vmcoreinfo CORE OUT       write the text of the VMCOREINFO note
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
	uint64_t root = strtoull(argv[0], NULL, 0);
	if (root && slim_tree(root, top, &tree)) {
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
	size_t nseg = 0, nnote = 0;
	for (size_t i = 0; i < slim_n; i++)
		if (!i || slim_pages[i] != slim_pages[i - 1] + P)
			nseg++;
	const Elf64_Phdr *q;
	uint64_t notes_len = 0;
	for (unsigned i = 0; (q = phdr(i)); i++)
		if (q->p_type == PT_NOTE && q->p_offset <= core_len && q->p_filesz <= core_len - q->p_offset) {
			nnote++;
			notes_len += q->p_filesz;
		}
	nseg += nnote;
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
	uint64_t noff = sizeof(eh) + nseg * sizeof(Elf64_Phdr);
	for (unsigned i = 0; (q = phdr(i)); i++)
		if (q->p_type == PT_NOTE && q->p_offset <= core_len && q->p_filesz <= core_len - q->p_offset) {
			Elf64_Phdr ph = *q;
			ph.p_offset = noff;
			fwrite(&ph, sizeof(ph), 1, f);
			noff += q->p_filesz;
		}
	uint64_t off = (noff + P - 1) & ~(P - 1);
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
	for (unsigned i = 0; (q = phdr(i)); i++)
		if (q->p_type == PT_NOTE && q->p_offset <= core_len && q->p_filesz <= core_len - q->p_offset)
			fwrite(core + q->p_offset, 1, q->p_filesz, f);
	(void)notes_len;
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

static int cmd_keep(int argc, char **argv)
{
	/* own headers (makedumpfile reads neither QEMU's e_phoff nor its
	 * p_align 0): the ELF header, the notes, the source's PT_LOADs */
	const Elf64_Phdr *q;
	unsigned nph = 0;
	uint64_t noff, off;
	for (unsigned i = 0; (q = phdr(i)); i++)
		if ((q->p_type == PT_NOTE && q->p_offset <= core_len && q->p_filesz <= core_len - q->p_offset) ||
		    q->p_type == PT_LOAD)
			nph++;
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_CORE, .e_machine = ((const Elf64_Ehdr *)(const void *)core)->e_machine,
		.e_version = EV_CURRENT, .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (Elf64_Half)nph,
	};
	int fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[0]);
		return 2;
	}
	int rc = pwrite(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) ? 0 : 2;
	noff = sizeof(eh) + (uint64_t)nph * sizeof(Elf64_Phdr);
	unsigned k = 0;
	for (unsigned i = 0; (q = phdr(i)) && !rc; i++)
		if (q->p_type == PT_NOTE && q->p_offset <= core_len && q->p_filesz <= core_len - q->p_offset) {
			Elf64_Phdr ph = *q;
			ph.p_offset = noff;
			if (pwrite(fd, &ph, sizeof(ph), sizeof(eh) + k++ * sizeof(ph)) != (ssize_t)sizeof(ph) ||
			    pwrite(fd, core + q->p_offset, q->p_filesz, (off_t)noff) != (ssize_t)q->p_filesz)
				rc = 2;
			noff += q->p_filesz;
		}
	off = (noff + P - 1) & ~(P - 1);
	/* where each source PT_LOAD's data goes in the copy */
	uint64_t map_src[64], map_dst[64];
	unsigned nmap = 0;
	for (unsigned i = 0; (q = phdr(i)) && !rc; i++)
		if (q->p_type == PT_LOAD) {
			Elf64_Phdr ph = { .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X, .p_offset = off,
					  .p_paddr = q->p_paddr, .p_filesz = seg_bytes(q),
					  .p_memsz = seg_bytes(q), .p_align = P };
			if (pwrite(fd, &ph, sizeof(ph), sizeof(eh) + k++ * sizeof(ph)) != (ssize_t)sizeof(ph) || nmap == 64)
				rc = 2;
			else {
				map_src[nmap] = q->p_offset;
				map_dst[nmap++] = off;
			}
			off = (off + ph.p_filesz + P - 1) & ~(P - 1);
		}
	if (!rc && ftruncate(fd, (off_t)off) != 0)
		rc = 2;
	size_t kept = 0;
	int all = argc == 2 && strcmp(argv[1], "all") == 0;
	for (unsigned m = 0; all && m < nmap && !rc; m++) {
		/* every byte: the full dump in a layout makedumpfile reads */
		q = NULL;
		for (unsigned i = 0, j = 0; (q = phdr(i)); i++)
			if (q->p_type == PT_LOAD && j++ == m)
				break;
		size_t n = seg_bytes(q);
		for (size_t o = 0; o < n && !rc; o += 1 << 20) {
			size_t c = n - o < (1u << 20) ? n - o : 1u << 20;
			if (pwrite(fd, core + map_src[m] + o, c, (off_t)(map_dst[m] + o)) != (ssize_t)c)
				rc = 2;
			kept += c / P;
		}
	}
	for (int i = 1; !all && i + 1 < argc && !rc; i += 2) {
		uint64_t pa = strtoull(argv[i], NULL, 0), len = strtoull(argv[i + 1], NULL, 0);
		for (uint64_t pg = pa & ~(P - 1); pg < pa + len; pg += P) {
			const unsigned char *b = at(pg, P);
			if (!b) {
				fprintf(stderr, "vmdump: page 0x%" PRIx64 " not in the core\n", pg);
				rc = 1;
				break;
			}
			uint64_t so = (uint64_t)(b - core), dst = 0;
			for (unsigned m = 0; m < nmap; m++)
				if (so >= map_src[m] && (!dst || map_src[m] >= map_src[m - 1]))
					dst = map_dst[m] + (so - map_src[m]);
			if (pwrite(fd, b, P, (off_t)dst) != (ssize_t)P)
				rc = 2;
			kept++;
		}
	}
	if (close(fd) != 0 || rc == 2) {
		perror(argv[0]);
		return 2;
	}
	if (!rc)
		printf("%zu\n", kept);
	return rc;
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static int cmd_boot_params(void)
{
	const Elf64_Phdr *p;
	int found = 0;
	for (unsigned i = 0; (p = phdr(i)); i++) {
		if (p->p_type != PT_LOAD)
			continue;
		size_t n = seg_bytes(p);
		const unsigned char *s = core + p->p_offset;
		/* anywhere: the kernel's copy and the loader's zero page need not be page-aligned */
		for (const unsigned char *h = s; n >= 0x258 && (h = memmem(h, n - (size_t)(h - s), "HdrS", 4)); h++) {
			size_t off = (size_t)(h - s);
			if (off < 0x202 || n - (off - 0x202) < 0x258)
				continue;
			off -= 0x202;
			const unsigned char *bp = s + off;
			if (bp[0x1fe] != 0x55 || bp[0x1ff] != 0xaa)
				continue;
			printf("bp 0x%" PRIx64 "\n", p->p_paddr + off);
			found = 1;
			uint64_t sd = le64(bp + 0x250);
			for (int k = 0; sd && k < 64; k++) {
				const unsigned char *h = at(sd, 16);
				if (!h)
					break;
				uint32_t type, len;
				memcpy(&type, h + 8, 4);
				memcpy(&len, h + 12, 4);
				printf("sd 0x%" PRIx64 " %u %u\n", sd, type, len);
				const unsigned char *d = at(sd + 16, 32);
				if (type == 10 && len >= 32 && d)
					printf("kho 0x%" PRIx64 " %" PRIu64 " 0x%" PRIx64 " %" PRIu64 "\n",
					       le64(d), le64(d + 8), le64(d + 16), le64(d + 24));
				sd = le64(h);
			}
		}
	}
	return found ? 0 : 1;
}

static int cmd_vmcoreinfo(const char *out)
{
	const Elf64_Phdr *q;
	for (unsigned i = 0; (q = phdr(i)); i++) {
		if (q->p_type != PT_NOTE || q->p_offset > core_len || q->p_filesz > core_len - q->p_offset)
			continue;
		const unsigned char *n = core + q->p_offset, *end = n + q->p_filesz;
		while (end - n >= 12) {
			uint32_t nsz, dsz;
			memcpy(&nsz, n, 4);
			memcpy(&dsz, n + 4, 4);
			uint64_t na = (nsz + 3u) & ~3u, da = (dsz + 3u) & ~3u;
			if (na + da > (uint64_t)(end - n - 12))
				break;
			if (nsz == 11 && memcmp(n + 12, "VMCOREINFO", 11) == 0)
				return write_out(out, n + 12 + na, dsz);
			n += 12 + na + da;
		}
	}
	fprintf(stderr, "vmdump: no VMCOREINFO note\n");
	return 1;
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
	if (argc == 5 && strcmp(argv[1], "keep") == 0 && strcmp(argv[4], "all") == 0)
		return load(argv[2]) ? 2 : cmd_keep(2, argv + 3);
	if (argc >= 4 && strcmp(argv[1], "keep") == 0 && argc % 2 == 0)
		return load(argv[2]) ? 2 : cmd_keep(argc - 3, argv + 3);
	if (argc == 4 && strcmp(argv[1], "vmcoreinfo") == 0)
		return load(argv[2]) ? 2 : cmd_vmcoreinfo(argv[3]);
	if (argc == 3 && strcmp(argv[1], "boot-params") == 0)
		return load(argv[2]) ? 2 : cmd_boot_params();
	if (argc == 6 && strcmp(argv[1], "read") == 0)
		return load(argv[2]) ? 2 : cmd_read(argv + 3);
	if (argc == 5 && strcmp(argv[1], "find-fdt") == 0)
		return load(argv[2]) ? 2 : cmd_find_fdt(argv + 3);
	fprintf(stderr, "usage: vmdump read CORE PADDR LEN OUT | find-fdt CORE PREFIX OUT |\n"
			"       slim CORE ROOTPA OUT [PA LEN]... | keep CORE OUT [PA LEN]... |\n"
			"       boot-params CORE | vmcoreinfo CORE OUT\n");
	return 64;
}
