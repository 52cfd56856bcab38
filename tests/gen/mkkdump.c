// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Test generator: turn an ELF core (khoctl synth output) into
 *  - a kdump-compressed file in makedumpfile's diskdump layout (header
 *    version 6, zlib-compressed and plain pages mixed), written here from
 *    makedumpfile's diskdump_mod.h layout so that the reader under test
 *    (libkdumpfile) gets input nobody else produced, with pages left out
 *    the way makedumpfile -d 31 leaves them out (RAM in bitmap 1, not in
 *    bitmap 2); or
 *  - an ELF core with a VMCOREINFO note (--elf).
 * Both carry a VMCOREINFO with OSRELEASE and PAGESIZE as given, or the
 * text of FILE (--vmcoreinfo: a real kernel's, as check-vm takes it from a
 * QEMU dump to write the slim fixtures; at most 4000 bytes).
 *
 *   mkkdump [--page-size N] [--release R] [--vmcoreinfo FILE] [--drop PA]...
 *           [--ram-extra PA+SIZE]... [--elf] IN.elf OUT
 *
 * --drop PA: the page holding PA is RAM but left out of the dump;
 * --ram-extra: RAM pages not in the input at all (also left out).
 * Prints "absent N" (the number of RAM pages left out) on stdout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "khofmt.h"

#define MAX_LIST 64

static void die(const char *m)
{
	fprintf(stderr, "mkkdump: %s\n", m);
	exit(2);
}

static void put(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void wr(FILE *f, const void *b, size_t n, long off)
{
	if (fseek(f, off, SEEK_SET) || fwrite(b, 1, n, f) != n)
		die("write failed");
}

int main(int argc, char **argv)
{
	uint64_t ps = 4096, drop[MAX_LIST], xs[MAX_LIST], xz[MAX_LIST];
	const char *release = "7.2.13", *in, *outp;
	size_t ndrop = 0, nx = 0, nr, i, j;
	const struct khofmt_range *r;
	struct khofmt_source *src;
	unsigned char *ram, *dumpable, *page, *cbuf, hdr[4096];
	uint64_t maxpfn = 0, pfn, npages, absent = 0;
	char vmci[4001];
	const char *vmci_file = NULL;
	int elf = 0, a;
	FILE *f;

	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--page-size") && a + 1 < argc)
			ps = strtoull(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--release") && a + 1 < argc)
			release = argv[++a];
		else if (!strcmp(argv[a], "--vmcoreinfo") && a + 1 < argc)
			vmci_file = argv[++a];
		else if (!strcmp(argv[a], "--drop") && a + 1 < argc && ndrop < MAX_LIST)
			drop[ndrop++] = strtoull(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--ram-extra") && a + 1 < argc && nx < MAX_LIST) {
			char *plus;

			xs[nx] = strtoull(argv[++a], &plus, 0);
			if (*plus != '+')
				die("--ram-extra PA+SIZE");
			xz[nx++] = strtoull(plus + 1, NULL, 0);
		} else if (!strcmp(argv[a], "--elf"))
			elf = 1;
		else
			die("usage: mkkdump [--page-size N] [--release R] [--vmcoreinfo FILE] [--drop PA]... "
			    "[--ram-extra PA+SIZE]... [--elf] IN.elf OUT");
	}
	if (argc - a != 2 || ps < 4096 || ps > 65536 || (ps & (ps - 1)))
		die("usage: mkkdump [options] IN.elf OUT");
	in = argv[a];
	outp = argv[a + 1];
	if (khofmt_source_open_elf(in, &src))
		die("cannot open the input core");
	if (vmci_file) {
		FILE *v = fopen(vmci_file, "rb");
		size_t vn;
		char *rel;

		if (!v)
			die("cannot open the --vmcoreinfo file");
		vn = fread(vmci, 1, sizeof(vmci), v);
		fclose(v);
		if (vn == 0 || vn == sizeof(vmci) || memchr(vmci, 0, vn))
			die("--vmcoreinfo: empty, over 4000 bytes or not text");
		vmci[vn] = 0;
		/* the header's utsname.release: the note's OSRELEASE */
		if ((rel = strstr(vmci, "OSRELEASE="))) {
			static char relbuf[65];

			sscanf(rel + 10, "%64[^\n]", relbuf);
			release = relbuf;
		}
	} else {
		snprintf(vmci, sizeof(vmci), "OSRELEASE=%s\nPAGESIZE=%" PRIu64
			 "\nSYMBOL(init_uts_ns)=ffffffff82000000\n", release, ps);
	}

	r = khofmt_source_ranges(src, &nr);
	for (i = 0; i < nr; i++)
		if ((r[i].start + r[i].size + ps - 1) / ps > maxpfn)
			maxpfn = (r[i].start + r[i].size + ps - 1) / ps;
	for (i = 0; i < nx; i++)
		if ((xs[i] + xz[i] + ps - 1) / ps > maxpfn)
			maxpfn = (xs[i] + xz[i] + ps - 1) / ps;
	if (maxpfn > (1u << 26))
		die("input spans too much memory");
	ram = calloc(maxpfn / 8 + ps, 1);
	dumpable = calloc(maxpfn / 8 + ps, 1);
	page = malloc(ps);
	cbuf = malloc(compressBound(ps));
	if (!ram || !dumpable || !page || !cbuf)
		die("out of memory");
	/* Input pages: RAM and in the dump; --drop and --ram-extra: RAM only. */
	for (i = 0; i < nr; i++)
		for (pfn = r[i].start / ps; pfn < (r[i].start + r[i].size + ps - 1) / ps; pfn++) {
			ram[pfn / 8] |= 1u << (pfn % 8);
			dumpable[pfn / 8] |= 1u << (pfn % 8);
		}
	for (i = 0; i < nx; i++)
		for (pfn = xs[i] / ps; pfn < (xs[i] + xz[i] + ps - 1) / ps; pfn++)
			ram[pfn / 8] |= 1u << (pfn % 8);
	for (i = 0; i < ndrop; i++)
		dumpable[drop[i] / ps / 8] &= (unsigned char)~(1u << (drop[i] / ps % 8));
	for (pfn = 0, npages = 0; pfn < maxpfn; pfn++) {
		int rb = ram[pfn / 8] >> (pfn % 8) & 1, db = dumpable[pfn / 8] >> (pfn % 8) & 1;

		npages += (uint64_t)db;
		absent += (uint64_t)(rb && !db);
	}

	f = fopen(outp, "wb");
	if (!f)
		die("cannot create the output");

	if (elf) {
		/* ELF64 core: PT_NOTE VMCOREINFO, one PT_LOAD per dumped page run. */
		uint64_t nload = 0, off, noff, nsz;
		unsigned char ph[56];
		size_t vl = strlen(vmci);

		for (pfn = 0; pfn < maxpfn; pfn++)
			if ((dumpable[pfn / 8] >> (pfn % 8) & 1) &&
			    (pfn == 0 || !(dumpable[(pfn - 1) / 8] >> ((pfn - 1) % 8) & 1)))
				nload++;
		memset(hdr, 0, sizeof(hdr));
		memcpy(hdr, "\177ELF\2\1\1", 7);
		put(hdr + 16, 4, 2);            /* ET_CORE */
		put(hdr + 18, 62, 2);           /* EM_X86_64 */
		put(hdr + 20, 1, 4);
		put(hdr + 32, 64, 8);           /* e_phoff */
		put(hdr + 52, 64, 2);
		put(hdr + 54, 56, 2);
		put(hdr + 56, nload + 1, 2);
		wr(f, hdr, 64, 0);
		noff = 64 + 56 * (nload + 1);
		nsz = 12 + 12 + ((vl + 3) & ~(size_t)3);
		memset(ph, 0, sizeof(ph));
		put(ph, 4, 4);                  /* PT_NOTE */
		put(ph + 8, noff, 8);
		put(ph + 32, nsz, 8);
		put(ph + 40, nsz, 8);
		wr(f, ph, 56, 64);
		memset(hdr, 0, sizeof(hdr));
		put(hdr, 11, 4);
		put(hdr + 4, vl, 4);
		put(hdr + 8, 0, 4);
		memcpy(hdr + 12, "VMCOREINFO", 11);
		memcpy(hdr + 24, vmci, vl);
		wr(f, hdr, (size_t)nsz, (long)noff);
		off = (noff + nsz + ps - 1) / ps * ps;
		for (pfn = 0, j = 0; pfn < maxpfn; pfn++) {
			uint64_t run;

			if (!(dumpable[pfn / 8] >> (pfn % 8) & 1))
				continue;
			for (run = pfn; run < maxpfn && (dumpable[run / 8] >> (run % 8) & 1); run++) {
				if (khofmt_source_read(src, run * ps, page, ps))
					memset(page, 0, ps);
				wr(f, page, ps, (long)(off + (run - pfn) * ps));
			}
			memset(ph, 0, sizeof(ph));
			put(ph, 1, 4);          /* PT_LOAD */
			put(ph + 8, off, 8);
			put(ph + 24, pfn * ps, 8);
			put(ph + 32, (run - pfn) * ps, 8);
			put(ph + 40, (run - pfn) * ps, 8);
			wr(f, ph, 56, (long)(64 + 56 * (++j)));
			off += (run - pfn) * ps;
			pfn = run;
		}
	} else {
		/* diskdump: header, sub-header, 2 bitmaps, descriptors, data. */
		uint64_t bmblk = (maxpfn + 8 * ps - 1) / (8 * ps), descoff, dataoff, vmoff;
		unsigned char d[24];
		uLongf cl;
		uint64_t k = 0;

		/*
		 * Block 2: the ELF notes (header version >= 4 readers take
		 * VMCOREINFO from there); offset_vmcoreinfo points at the
		 * note's descriptor, as makedumpfile writes it.
		 */
		size_t vl = strlen(vmci), nsz = 24 + ((vl + 3) & ~(size_t)3);

		vmoff = 2 * ps;
		memset(hdr, 0, sizeof(hdr));
		memcpy(hdr, "KDUMP   ", 8);
		put(hdr + 8, 6, 4);             /* header_version */
		memcpy(hdr + 12, "Linux", 5);                          /* utsname.sysname */
		memcpy(hdr + 12 + 65, "kho-test", 8);                  /* utsname.nodename */
		memcpy(hdr + 12 + 2 * 65, release, strlen(release));  /* utsname.release */
		memcpy(hdr + 12 + 3 * 65, "#1", 2);                    /* utsname.version */
		memcpy(hdr + 12 + 4 * 65, "x86_64", 6);                /* utsname.machine */
		put(hdr + 428, ps, 4);          /* block_size */
		put(hdr + 432, 2, 4);           /* sub_hdr_size: sub-header + notes */
		put(hdr + 436, 2 * bmblk, 4);   /* bitmap_blocks */
		put(hdr + 440, maxpfn, 4);      /* max_mapnr */
		put(hdr + 460, 1, 4);           /* nr_cpus */
		wr(f, hdr, 464, 0);
		memset(hdr, 0, sizeof(hdr));
		put(hdr + 8, 31, 4);            /* dump_level */
		put(hdr + 32, vmoff + 24, 8);   /* offset_vmcoreinfo */
		put(hdr + 40, vl, 8);           /* size_vmcoreinfo */
		put(hdr + 48, vmoff, 8);        /* offset_note */
		put(hdr + 56, nsz, 8);          /* size_note */
		put(hdr + 96, maxpfn, 8);       /* max_mapnr_64 */
		wr(f, hdr, 104, (long)ps);
		memset(hdr, 0, sizeof(hdr));
		put(hdr, 11, 4);
		put(hdr + 4, vl, 4);
		memcpy(hdr + 12, "VMCOREINFO", 11);
		memcpy(hdr + 24, vmci, vl);
		wr(f, hdr, nsz, (long)vmoff);
		wr(f, ram, bmblk * ps, (long)(3 * ps));
		wr(f, dumpable, bmblk * ps, (long)((3 + bmblk) * ps));
		descoff = (3 + 2 * bmblk) * ps;
		dataoff = descoff + (npages * 24 + ps - 1) / ps * ps;
		for (pfn = 0; pfn < maxpfn; pfn++) {
			unsigned flags = 0;
			size_t sz = ps;

			if (!(dumpable[pfn / 8] >> (pfn % 8) & 1))
				continue;
			if (khofmt_source_read(src, pfn * ps, page, ps))
				memset(page, 0, ps);
			cl = compressBound(ps);
			/* every other page zlib-compressed: both paths read */
			if (k % 2 == 0 && compress2(cbuf, &cl, page, ps, 6) == Z_OK && cl < ps) {
				flags = 1;      /* DUMP_DH_COMPRESSED_ZLIB */
				sz = cl;
			}
			put(d, dataoff, 8);
			put(d + 8, sz, 4);
			put(d + 12, flags, 4);
			put(d + 16, 0, 8);
			wr(f, d, 24, (long)(descoff + 24 * k));
			wr(f, flags ? cbuf : page, sz, (long)dataoff);
			dataoff += sz;
			k++;
		}
	}
	if (fclose(f))
		die("write failed");
	printf("absent %" PRIu64 "\n", absent);
	khofmt_source_free(src);
	free(ram);
	free(dumpable);
	free(page);
	free(cbuf);
	return 0;
}
