// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mkkcore IN.elf OUT: turn an ELF core whose PT_LOAD p_paddr are physical
 * addresses into a file laid out like x86_64 /proc/kcore: each RAM segment
 * gets p_vaddr = PAGE_OFFSET + p_paddr, and three segments that are not
 * the direct map are added before them, filled with 0xee bytes:
 *  - "vmalloc": p_paddr = -1;
 *  - "vmemmap" as older kernels wrote it: p_paddr = 0;
 *  - "kernel text": a real p_paddr (the first RAM page) but
 *    p_vaddr = __START_KERNEL_map + that, i.e. another vaddr-paddr delta.
 * Independent of libkhofmt (libelf to read, plain structs to write).
 */
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/elfutil.h"

#define EXTRA KCORE_NOTHER

static void die(const char *m)
{
	fprintf(stderr, "mkkcore: %s\n", m);
	exit(1);
}

int main(int argc, char **argv)
{
	Elf64_Phdr *out_ph;
	Elf64_Ehdr eh;
	GElf_Phdr ph;
	size_t phnum, i, n = 0;
	unsigned long long off, other;
	unsigned char junk[4096];
	Elf *elf;
	int in, fd;

	if (argc != 3)
		die("usage: mkkcore IN.elf OUT");
	if (elf_version(EV_CURRENT) == EV_NONE)
		die("libelf");
	in = open(argv[1], O_RDONLY);
	if (in < 0)
		die("cannot open input");
	elf = elf_begin(in, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &phnum))
		die("not ELF");
	out_ph = calloc(phnum + EXTRA, sizeof(*out_ph));
	if (!out_ph)
		die("oom");
	memset(junk, 0xee, sizeof(junk));
	other = 4096 * 4;	/* headers fit below */
	kcore_other_phdrs(out_ph, other, 0);
	off = other + EXTRA * 4096;
	n = EXTRA;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph))
			die("phdr");
		if (ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		/* text repeats the first RAM page */
		if (n == EXTRA)
			kcore_other_phdrs(out_ph, other, ph.p_paddr);
		out_ph[n].p_type = PT_LOAD;
		out_ph[n].p_flags = PF_R | PF_W | PF_X;
		out_ph[n].p_offset = off;
		out_ph[n].p_vaddr = KCORE_PAGE_OFFSET + ph.p_paddr;
		out_ph[n].p_paddr = ph.p_paddr;
		out_ph[n].p_filesz = out_ph[n].p_memsz = ph.p_filesz;
		out_ph[n].p_align = 4096;
		/* the input's bytes, copied below */
		out_ph[n].p_type = PT_LOAD;
		off += (ph.p_filesz + 4095) & ~4095ull;
		n++;
	}
	if ((n + 1) * sizeof(Elf64_Phdr) + sizeof(eh) > 4096 * 4)
		die("too many segments");
	elf_core_ehdr(&eh, (unsigned)n);
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("cannot create output");
	if (pwrite(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    pwrite(fd, out_ph, n * sizeof(*out_ph), sizeof(eh)) !=
		    (ssize_t)(n * sizeof(*out_ph)))
		die("write");
	for (i = 0; i < EXTRA; i++)
		if (pwrite(fd, junk, 4096, (off_t)out_ph[i].p_offset) != 4096)
			die("write");
	/* Copy the RAM segments from the input file, in order. */
	for (i = 0, n = EXTRA; i < phnum; i++) {
		char *buf;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !ph.p_filesz)
			continue;
		buf = malloc(ph.p_filesz);
		if (!buf || pread(in, buf, ph.p_filesz, (off_t)ph.p_offset) !=
				    (ssize_t)ph.p_filesz)
			die("read");
		if (pwrite(fd, buf, ph.p_filesz, (off_t)out_ph[n].p_offset) !=
		    (ssize_t)ph.p_filesz)
			die("write");
		free(buf);
		n++;
	}
	if (close(fd))
		die("close");
	elf_end(elf);
	close(in);
	free(out_ph);
	return 0;
}
