// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ELF core memory sources: read (QEMU dump-guest-memory, vmcore, kdump,
 * khoctl synth) and write.
 *
 * Reading maps the file once and lets libelf parse the headers out of that
 * same mapping (elf_memory), so segment data is used in place: a 512 MiB
 * dump costs no copy. libelf converts headers of either class and byte
 * order; everything it hands back is still checked against the file size
 * here, because dumps are input we do not trust.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "khofmt.h"
#include "source_int.h"

#define ELF_PAGE 4096u

static int elf_err(struct khofmt_source *src, const char *what)
{
	return khofmt_src_err(src, -KHOFMT_ERR_BADELF, "%s: %s: %s",
			      khofmt_src_name(src), what, elf_errmsg(-1));
}

/*
 * kcore direct-map filter (khofmt-live.h): the p_vaddr - p_paddr delta
 * carried by the most bytes of segments with a real, non-zero p_paddr.
 * false when there is none.
 */
static bool elf_directmap_delta(Elf *elf, size_t phnum, int cls,
				uint64_t *delta)
{
	uint64_t none = cls == ELFCLASS32 ? UINT32_MAX : UINT64_MAX;
	uint64_t best = 0, best_bytes = 0;
	GElf_Phdr ph, q;
	size_t i, j;
	bool found = false;

	/* Quadratic in the program headers: kcore has tens of them. */
	for (i = 0; i < phnum; i++) {
		uint64_t d, bytes = 0;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    ph.p_filesz == 0 || ph.p_paddr == none || ph.p_paddr == 0)
			continue;
		d = ph.p_vaddr - ph.p_paddr;
		for (j = 0; j < phnum; j++)
			if (gelf_getphdr(elf, (int)j, &q) && q.p_type == PT_LOAD &&
			    q.p_paddr != none && q.p_paddr != 0 &&
			    q.p_vaddr - q.p_paddr == d)
				bytes += q.p_filesz;
		if (!found || bytes > best_bytes) {
			found = true;
			best = d;
			best_bytes = bytes;
		}
	}
	*delta = best;
	return found;
}

/*
 * The RAM a dump describes: every PT_LOAD [p_paddr, p_paddr + p_memsz).
 * Bytes past p_filesz were left out by the dump tool (makedumpfile -E
 * of a filtered dump): counted as pages not in the dump. Best effort: a
 * dump without it is still read.
 */
static void elf_ram(struct khofmt_source *src, Elf *elf, size_t phnum)
{
	uint64_t none = gelf_getclass(elf) == ELFCLASS32 ? UINT32_MAX : UINT64_MAX;
	struct khofmt_range *r;
	uint64_t absent = 0;
	GElf_Phdr ph;
	size_t i, n = 0;

	r = calloc(phnum ? phnum : 1, sizeof(*r));
	if (!r)
		return;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    ph.p_memsz == 0 || ph.p_paddr == none ||
		    ph.p_paddr > UINT64_MAX - ph.p_memsz)
			continue;
		r[n].start = ph.p_paddr;
		r[n].size = ph.p_memsz;
		if (ph.p_memsz > ph.p_filesz)
			absent += (ph.p_memsz - ph.p_filesz + ELF_PAGE - 1) / ELF_PAGE;
		n++;
	}
	src->ram = r;
	src->nram = n;
	src->ram_pages_absent = absent;
	src->ram_page_shift = 12;
}

/* Machine name of e_machine for messages ("" when unknown). */
static void elf_machine(struct khofmt_source *src, unsigned m)
{
	const char *name = m == EM_X86_64 ? "x86_64" : m == EM_AARCH64 ? "aarch64" :
			   m == EM_386 ? "i386" : m == EM_RISCV ? "riscv" :
			   m == EM_PPC64 ? "ppc64" : m == EM_S390 ? "s390x" :
			   m == EM_LOONGARCH ? "loongarch64" : NULL;

	if (name)
		snprintf(src->machine, sizeof(src->machine), "%s", name);
	else if (m)
		snprintf(src->machine, sizeof(src->machine), "e_machine %u", m);
}

/*
 * A VMCOREINFO note (kernel /proc/vmcore, QEMU with -device vmcoreinfo,
 * makedumpfile -E) in any PT_NOTE inside the image. Best effort.
 */
static void elf_vmcoreinfo(struct khofmt_source *src, Elf *elf, size_t phnum,
			   size_t img_len)
{
	GElf_Phdr ph;
	size_t i;

	for (i = 0; i < phnum; i++) {
		size_t off = 0, name_off, desc_off;
		GElf_Nhdr nh;
		Elf_Data *d;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE ||
		    ph.p_offset > img_len || ph.p_filesz > img_len - ph.p_offset ||
		    ph.p_filesz == 0)
			continue;
		d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset,
					 (size_t)ph.p_filesz, ELF_T_NHDR);
		if (!d)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			const char *nm = (const char *)d->d_buf + name_off;

			if (nh.n_namesz == sizeof("VMCOREINFO") &&
			    !memcmp(nm, "VMCOREINFO", sizeof("VMCOREINFO"))) {
				khofmt_src_set_vmcoreinfo(src,
					(const char *)d->d_buf + desc_off,
					nh.n_descsz, "ELF note VMCOREINFO");
				return;
			}
		}
	}
}

/* Collect the PT_LOADs of @elf as segments (into the mapping or pread). */
static int elf_load_segs(struct khofmt_source *src, Elf *elf, size_t phnum,
			 const void *img, uint64_t file_len, unsigned flags)
{
	uint64_t none = gelf_getclass(elf) == ELFCLASS32 ? UINT32_MAX : UINT64_MAX;
	bool mapped = img && img == src->map;
	struct khofmt_seg *segs;
	uint64_t delta = 0;
	GElf_Phdr ph;
	size_t i, n = 0;

	if ((flags & KHOFMT_ELF_DIRECTMAP) &&
	    !elf_directmap_delta(elf, phnum, gelf_getclass(elf), &delta))
		return khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				      "%s: no PT_LOAD segment with a physical address "
				      "(p_paddr): not a kcore of the direct map",
				      src->path);

	/* First pass counts, so the table is sized by what the file holds. */
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph))
			return elf_err(src, "cannot read program header");
		if (ph.p_type == PT_LOAD && ph.p_filesz > 0)
			n++;
	}
	if (n == 0)
		return khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				      "%s: no PT_LOAD segment", src->path);

	segs = calloc(n, sizeof(*segs));
	if (!segs)
		return -KHOFMT_ERR_NOMEM;
	n = 0;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph)) {
			free(segs);
			return elf_err(src, "cannot read program header");
		}
		/*
		 * Only the file-backed part is covered: bytes between p_filesz
		 * and p_memsz (excluded pages in some kdump cores) are unknown,
		 * not zero.
		 */
		if (ph.p_type != PT_LOAD || ph.p_filesz == 0)
			continue;
		if ((flags & KHOFMT_ELF_DIRECTMAP) &&
		    (ph.p_paddr == none || ph.p_vaddr - ph.p_paddr != delta))
			continue;
		if (ph.p_offset > file_len ||
		    ph.p_filesz > file_len - ph.p_offset) {
			free(segs);
			return khofmt_src_err(src, -KHOFMT_ERR_BADELF,
					      "%s: program header %zu: file bytes [0x%" PRIx64
					      ", +0x%" PRIx64 ") outside the file (0x%" PRIx64 " bytes)",
					      src->path, i, (uint64_t)ph.p_offset,
					      (uint64_t)ph.p_filesz, file_len);
		}
		if (ph.p_paddr > UINT64_MAX - ph.p_filesz) {
			free(segs);
			return khofmt_src_err(src, -KHOFMT_ERR_BADELF,
					      "%s: program header %zu: physical 0x%" PRIx64
					      " (+0x%" PRIx64 ") wraps around the address space",
					      src->path, i, (uint64_t)ph.p_paddr,
					      (uint64_t)ph.p_filesz);
		}
		segs[n].start = ph.p_paddr;
		segs[n].size = ph.p_filesz;
		segs[n].off = ph.p_offset;
		segs[n].data = mapped ? (unsigned char *)src->map + ph.p_offset
				      : NULL;
		n++;
	}

	if (!(flags & KHOFMT_ELF_DIRECTMAP))
		elf_ram(src, elf, phnum);
	/* set_segs takes @segs over, even when it fails. */
	return khofmt_src_set_segs(src, segs, n);
}

/*
 * The program header count as the file states it. Not elf_getphdrnum():
 * that trims the count to what fits in the file, which would turn a
 * truncated dump into a silently smaller one.
 */
static int elf_phnum(struct khofmt_source *src, Elf *elf,
		     const GElf_Ehdr *eh, size_t *phnum)
{
	GElf_Shdr sh;
	Elf_Scn *scn;

	if (eh->e_phnum != PN_XNUM) {
		*phnum = eh->e_phnum;
		return 0;
	}
	/* Extended numbering: the real count is in section header 0. */
	scn = elf_getscn(elf, 0);
	if (!scn || !gelf_getshdr(scn, &sh))
		return elf_err(src, "e_phnum is PN_XNUM but section header 0 is unreadable");
	*phnum = sh.sh_info;
	return 0;
}

int khofmt_src_elf_parse(struct khofmt_source *src, const void *img,
			 size_t img_len, uint64_t file_len, unsigned flags)
{
	GElf_Ehdr eh;
	size_t phnum = 0, entsz;
	Elf *elf;
	int cls, err;

	if (img_len == 0)
		return khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				      "%s: empty file", src->path);
	/* libelf refuses to work until told which ELF version we speak. */
	if (elf_version(EV_CURRENT) == EV_NONE)
		return khofmt_src_err(src, -KHOFMT_ERR_INTERNAL,
				      "libelf: %s", elf_errmsg(-1));

	elf = elf_memory((char *)img, img_len);
	if (!elf)
		return elf_err(src, "not readable as ELF");
	if (elf_kind(elf) != ELF_K_ELF) {
		err = khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				     "%s: not an ELF file", src->path);
		goto out;
	}
	cls = gelf_getclass(elf);
	if (cls != ELFCLASS32 && cls != ELFCLASS64) {
		err = khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				     "%s: unknown ELF class %d", src->path, cls);
		goto out;
	}
	if (!gelf_getehdr(elf, &eh)) {
		err = elf_err(src, "cannot read the ELF header");
		goto out;
	}
	/* A vmlinux or a program passed by mistake must not look like RAM. */
	if (eh.e_type != ET_CORE) {
		err = khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				     "%s: not an ELF core (e_type %u)", src->path,
				     (unsigned)eh.e_type);
		goto out;
	}
	err = elf_phnum(src, elf, &eh, &phnum);
	if (err)
		goto out;
	if (phnum == 0) {
		err = khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				     "%s: no PT_LOAD segment", src->path);
		goto out;
	}
	/* Offset 0 is the ELF header itself: libelf reads that as "none". */
	if (eh.e_phoff == 0) {
		err = khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				     "%s: %zu program headers at offset 0", src->path,
				     phnum);
		goto out;
	}
	/*
	 * libelf reads entries of its own size whatever e_phentsize says, and
	 * would quietly drop entries past the end of the file: refuse both.
	 */
	entsz = gelf_fsize(elf, ELF_T_PHDR, 1, EV_CURRENT);
	if (entsz == 0) {
		err = elf_err(src, "cannot size program headers");
		goto out;
	}
	if (eh.e_phentsize != entsz) {
		err = khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				     "%s: e_phentsize %u, expected %zu", src->path,
				     (unsigned)eh.e_phentsize, entsz);
		goto out;
	}
	if (eh.e_phoff > img_len ||
	    phnum > (img_len - eh.e_phoff) / entsz) {
		err = khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				     "%s: %zu program headers at 0x%" PRIx64
				     " run past the end of the file (0x%zx bytes)",
				     src->path, phnum, (uint64_t)eh.e_phoff,
				     img_len);
		goto out;
	}
	/* gelf_getphdr takes an int index. */
	if (phnum > INT32_MAX) {
		err = khofmt_src_err(src, -KHOFMT_ERR_LIMIT,
				     "%s: %zu program headers", src->path, phnum);
		goto out;
	}

	err = elf_load_segs(src, elf, phnum, img, file_len, flags);
	if (err == -KHOFMT_ERR_OVERLAP)
		err = -KHOFMT_ERR_BADELF;	/* detail already names both */
	if (!err) {
		elf_machine(src, eh.e_machine);
		elf_vmcoreinfo(src, elf, phnum, img_len);
	}
out:
	/* The mapping is ours (elf_memory): elf_end leaves it alone. */
	elf_end(elf);
	return err;
}

KHOFMT_API int khofmt_source_open_elf(const char *path,
				      struct khofmt_source **out)
{
	struct khofmt_source *src;
	int err;

	err = khofmt_src_begin(KHOFMT_SOURCE_ELF, path, out, &src);
	if (err)
		return err;
	err = khofmt_src_map(src);
	if (!err)
		err = khofmt_src_elf_parse(src, src->map, src->map_len,
					   src->map_len, 0);
	if (err) {
		khofmt_source_free(src);
		return err;
	}
	*out = src;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

static uint64_t page_up(uint64_t x)
{
	return (x + ELF_PAGE - 1) & ~(uint64_t)(ELF_PAGE - 1);
}

/* Write all of @buf at @off, through short writes and EINTR. */
static int pwrite_all(int fd, const unsigned char *buf, uint64_t len,
		      uint64_t off)
{
	while (len) {
		/* Bounded so that one call stays well inside ssize_t. */
		size_t chunk = len > (1u << 30) ? (1u << 30) : (size_t)len;
		ssize_t n = pwrite(fd, buf, chunk, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		buf += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/*
 * A new file next to @path, so the final rename stays on one filesystem.
 * Not mkstemp(): that forces mode 0600, and a dump written here should get
 * the caller's umask like any other output file.
 */
static int open_tmp(const char *path, char **tmpp)
{
	size_t len = strlen(path) + 40;
	struct timespec ts;
	char *tmp;
	int attempt, fd, saved;

	tmp = malloc(len);
	if (!tmp)
		return -1;
	for (attempt = 0; attempt < 100; attempt++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(tmp, len, "%s.tmp%ld.%lx", path, (long)getpid(),
			 (unsigned long)ts.tv_nsec ^ (unsigned long)attempt << 20);
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0) {
			*tmpp = tmp;
			return fd;
		}
		if (errno != EEXIST)
			break;
	}
	saved = errno;	/* the caller reports it */
	free(tmp);
	errno = saved;
	return -1;
}

static int write_fail(struct khofmt_source *src, int err, const char *path,
		      const char *what, const char *why)
{
	return khofmt_src_err(src, err, "cannot write %s: %s: %s", path, what,
			      why);
}

/*
 * Headers through libelf, with the layout (ELF_F_LAYOUT) chosen here so the
 * payload offsets are known; the payload is pwrite()n afterwards, since
 * elf_update() sizes the file to the headers it knows about.
 */
static int write_core(struct khofmt_source *src, int fd, const char *path,
		      unsigned machine)
{
	const struct khofmt_range *r = src->ranges;
	size_t n = src->nranges, i, ri;
	uint64_t *offs, pos, hdr_end, shoff = 0;
	GElf_Ehdr eh;
	GElf_Phdr ph;
	bool xnum;
	Elf *elf;
	int err;

	/* Past 0xffff headers, e_phnum says PN_XNUM and shdr 0 holds the count. */
	xnum = n >= PN_XNUM;
	if (n > UINT32_MAX)
		return khofmt_src_err(src, -KHOFMT_ERR_LIMIT,
				      "cannot write %s: %zu ranges", path, n);

	offs = calloc(n, sizeof(*offs));
	if (!offs)
		return -KHOFMT_ERR_NOMEM;
	hdr_end = sizeof(Elf64_Ehdr) + (uint64_t)n * sizeof(Elf64_Phdr);
	if (xnum) {
		/* Section 0 plus the empty section 1 libelf insists on. */
		shoff = hdr_end;	/* already 8-aligned */
		hdr_end += 2 * sizeof(Elf64_Shdr);
	}
	pos = page_up(hdr_end);
	for (i = 0; i < n; i++) {
		offs[i] = pos;
		if (pos > (uint64_t)INT64_MAX - ELF_PAGE ||
		    r[i].size > (uint64_t)INT64_MAX - ELF_PAGE - pos) {
			free(offs);
			return khofmt_src_err(src, -KHOFMT_ERR_LIMIT,
					      "cannot write %s: file would exceed 2^63 bytes",
					      path);
		}
		pos = page_up(pos + r[i].size);
	}

	if (elf_version(EV_CURRENT) == EV_NONE) {
		free(offs);
		return write_fail(src, -KHOFMT_ERR_INTERNAL, path, "libelf",
				  elf_errmsg(-1));
	}
	elf = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!elf) {
		free(offs);
		return write_fail(src, -KHOFMT_ERR_IO, path, "elf_begin",
				  elf_errmsg(-1));
	}
	elf_flagelf(elf, ELF_C_SET, ELF_F_LAYOUT);

	if (!gelf_newehdr(elf, ELFCLASS64) || !gelf_getehdr(elf, &eh)) {
		err = write_fail(src, -KHOFMT_ERR_IO, path, "ELF header",
				 elf_errmsg(-1));
		goto out;
	}
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh.e_type = ET_CORE;
	eh.e_machine = (GElf_Half)(machine ? machine : EM_X86_64);
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_shoff = shoff;
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_shentsize = xnum ? sizeof(Elf64_Shdr) : 0;
	if (!gelf_update_ehdr(elf, &eh)) {
		err = write_fail(src, -KHOFMT_ERR_IO, path, "ELF header",
				 elf_errmsg(-1));
		goto out;
	}
	/*
	 * libelf only writes PN_XNUM (real count in section 0's sh_info) when
	 * section 0 exists, and it only exists once some section does: add an
	 * empty SHT_NULL one. It must be given an offset inside the layout, or
	 * elf_update() zero-fills the headers it has just laid out.
	 */
	if (xnum) {
		Elf_Scn *scn = elf_newscn(elf);
		GElf_Shdr sh;

		if (!scn || !gelf_getshdr(scn, &sh)) {
			err = write_fail(src, -KHOFMT_ERR_IO, path, "section 0",
					 elf_errmsg(-1));
			goto out;
		}
		sh.sh_type = SHT_NULL;
		sh.sh_offset = hdr_end;
		sh.sh_size = 0;
		if (!gelf_update_shdr(scn, &sh)) {
			err = write_fail(src, -KHOFMT_ERR_IO, path, "section 0",
					 elf_errmsg(-1));
			goto out;
		}
	}
	if (!gelf_newphdr(elf, n)) {
		err = write_fail(src, -KHOFMT_ERR_IO, path, "program headers",
				 elf_errmsg(-1));
		goto out;
	}
	for (i = 0; i < n; i++) {
		memset(&ph, 0, sizeof(ph));
		ph.p_type = PT_LOAD;
		ph.p_flags = PF_R | PF_W | PF_X;
		ph.p_offset = offs[i];
		ph.p_vaddr = 0;
		ph.p_paddr = r[i].start;
		ph.p_filesz = r[i].size;
		ph.p_memsz = r[i].size;
		ph.p_align = ELF_PAGE;
		if (!gelf_update_phdr(elf, (int)i, &ph)) {
			err = write_fail(src, -KHOFMT_ERR_IO, path,
					 "program header", elf_errmsg(-1));
			goto out;
		}
	}
	if (elf_update(elf, ELF_C_WRITE) < 0) {
		err = write_fail(src, -KHOFMT_ERR_IO, path, "elf_update",
				 elf_errmsg(-1));
		goto out;
	}

	/* Payload: segment by segment, at its range's offset. */
	for (i = 0, ri = 0; i < src->nsegs; i++) {
		const struct khofmt_seg *s = &src->segs[i];

		while (s->start - r[ri].start >= r[ri].size)
			ri++;
		if (pwrite_all(fd, s->data, s->size,
			       offs[ri] + (s->start - r[ri].start)) < 0) {
			err = write_fail(src, -KHOFMT_ERR_IO, path, "payload",
					 strerror(errno));
			goto out;
		}
	}
	err = 0;
out:
	elf_end(elf);
	free(offs);
	return err;
}

KHOFMT_API int khofmt_source_write_elf(struct khofmt_source *src,
				       const char *path, unsigned machine)
{
	char *tmp = NULL;
	int fd, err;

	if (!src || !path)
		return -KHOFMT_ERR_INVAL;
	if (machine > 0xffff)
		return khofmt_src_err(src, -KHOFMT_ERR_INVAL,
				      "cannot write %s: e_machine %u does not fit 16 bits",
				      path, machine);
	/* Payload is copied from segment data: not for pread sources. */
	if (src->fd >= 0)
		return khofmt_src_err(src, -KHOFMT_ERR_INVAL,
				      "cannot write %s: copy %s into an in-memory image first",
				      path, khofmt_src_name(src));
	/* It could not be read back: opening wants at least one PT_LOAD. */
	if (src->nranges == 0)
		return khofmt_src_err(src, -KHOFMT_ERR_INVAL,
				      "cannot write %s: %s covers no memory", path,
				      khofmt_src_name(src));

	fd = open_tmp(path, &tmp);
	if (fd < 0)
		return khofmt_src_err(src, -KHOFMT_ERR_IO,
				      "cannot create a file next to %s: %s", path,
				      strerror(errno));
	err = write_core(src, fd, path, machine);
	if (!err && close(fd) < 0)
		err = write_fail(src, -KHOFMT_ERR_IO, path, "close",
				 strerror(errno));
	else if (err)
		close(fd);
	if (!err && rename(tmp, path) < 0)
		err = write_fail(src, -KHOFMT_ERR_IO, path, "rename",
				 strerror(errno));
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}
