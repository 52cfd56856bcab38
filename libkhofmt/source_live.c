// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Live systems: /proc/kcore as a memory source (pread, direct map only)
 * and the System RAM ranges of /proc/iomem.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "khofmt.h"
#include "grow.h"
#include "source_int.h"

/* ELF64 header + program headers of a kcore stay far below this. */
#define KCORE_HDR_MAX (16u << 20)
#define EHDR64_SIZE 64

static uint64_t ld_u64(const unsigned char *p, bool le)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[le ? i : 7 - i] << (8 * i);
	return v;
}

static unsigned ld_u16(const unsigned char *p, bool le)
{
	return le ? (unsigned)(p[0] | p[1] << 8) : (unsigned)(p[1] | p[0] << 8);
}

/* Read exactly @len bytes at @off (short only at end of file). */
static ssize_t pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = pread(fd, (char *)buf + got, len - got,
				  off + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

KHOFMT_API int khofmt_source_open_kcore(const char *path,
					struct khofmt_source **out)
{
	unsigned char eh[EHDR64_SIZE], *img = NULL;
	struct khofmt_source *src;
	uint64_t phoff, need, file_len;
	unsigned phnum, phentsize;
	struct stat st;
	ssize_t got;
	bool le;
	int err;

	err = khofmt_src_begin(KHOFMT_SOURCE_ELF, path, out, &src);
	if (err)
		return err;
	src->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (src->fd < 0) {
		err = khofmt_src_err(src, -KHOFMT_ERR_IO, "cannot open %s: %s",
				     path, strerror(errno));
		goto fail;
	}
	if (fstat(src->fd, &st) < 0) {
		err = khofmt_src_err(src, -KHOFMT_ERR_IO, "cannot stat %s: %s",
				     path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		err = khofmt_src_err(src, -KHOFMT_ERR_IO,
				     "%s: not a regular file", path);
		goto fail;
	}
	file_len = (uint64_t)st.st_size;

	/*
	 * The headers are located by hand (ELF64 only: kcore of a 64-bit
	 * kernel), read once, and then parsed by libelf like any core.
	 */
	got = pread_full(src->fd, eh, sizeof(eh), 0);
	if (got < 0) {
		err = khofmt_src_err(src, -KHOFMT_ERR_IO, "cannot read %s: %s",
				     path, strerror(errno));
		goto fail;
	}
	if (got < (ssize_t)sizeof(eh) || memcmp(eh, "\177ELF", 4) ||
	    eh[4] != 2 /* ELFCLASS64 */ || (eh[5] != 1 && eh[5] != 2)) {
		err = khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				     "%s: not an ELF64 core", path);
		goto fail;
	}
	le = eh[5] == 1;
	phoff = ld_u64(eh + 32, le);
	phentsize = ld_u16(eh + 54, le);
	phnum = ld_u16(eh + 56, le);
	if (phentsize != 56 || phnum == 0 || phnum == 0xffff ||
	    phoff > KCORE_HDR_MAX ||
	    (uint64_t)phnum * phentsize > KCORE_HDR_MAX - phoff) {
		err = khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				     "%s: unusable program header table (%u x %u at 0x%" PRIx64 ")",
				     path, phnum, phentsize, phoff);
		goto fail;
	}
	need = phoff + (uint64_t)phnum * phentsize;
	if (need < sizeof(eh))
		need = sizeof(eh);
	img = malloc((size_t)need);
	if (!img) {
		err = -KHOFMT_ERR_NOMEM;
		goto fail;
	}
	got = pread_full(src->fd, img, (size_t)need, 0);
	if (got < 0) {
		err = khofmt_src_err(src, -KHOFMT_ERR_IO, "cannot read %s: %s",
				     path, strerror(errno));
		goto fail;
	}
	if ((uint64_t)got < need) {
		err = khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				     "%s: program headers cut short", path);
		goto fail;
	}
	/* /proc/kcore reports its real (sparse) size; a plain file too. */
	if (file_len < need)
		file_len = need;
	err = khofmt_src_elf_parse(src, img, (size_t)need, file_len,
				   KHOFMT_ELF_DIRECTMAP);
	if (err)
		goto fail;
	free(img);
	*out = src;
	return 0;
fail:
	free(img);
	khofmt_source_free(src);
	return err;
}

/* ------------------------------------------------------------------ */
/* /proc/iomem                                                         */
/* ------------------------------------------------------------------ */

/* One line "START-END : NAME" (hex, leading spaces = nesting level). */
static int iomem_line(const char *l, size_t n, unsigned *indent,
		      uint64_t *start, uint64_t *end, const char **name,
		      size_t *name_len)
{
	char num[20];
	size_t i = 0, j;

	while (i < n && l[i] == ' ')
		i++;
	*indent = (unsigned)i;
	for (j = 0; j < 2; j++) {
		size_t k = 0;
		char *e;

		while (i < n && k < sizeof(num) - 1 &&
		       ((l[i] >= '0' && l[i] <= '9') ||
			(l[i] >= 'a' && l[i] <= 'f') ||
			(l[i] >= 'A' && l[i] <= 'F')))
			num[k++] = l[i++];
		if (k == 0 || k > 16)
			return -KHOFMT_ERR_STRUCT;
		num[k] = '\0';
		*(j ? end : start) = strtoull(num, &e, 16);
		if (j == 0) {
			if (i >= n || l[i] != '-')
				return -KHOFMT_ERR_STRUCT;
			i++;
		}
	}
	if (n - i < 3 || memcmp(l + i, " : ", 3))
		return -KHOFMT_ERR_STRUCT;
	*name = l + i + 3;
	*name_len = n - i - 3;
	return 0;
}

static int iomem_each(const char *text, size_t len,
		      int (*fn)(void *arg, unsigned indent, uint64_t start,
				uint64_t end, const char *name, size_t nlen),
		      void *arg)
{
	size_t pos = 0;

	while (pos < len) {
		const char *l = text + pos, *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;
		uint64_t s, e;
		const char *name;
		size_t nlen;
		unsigned ind;
		int r;

		pos += n + (nl ? 1 : 0);
		if (n == 0)
			continue;
		r = iomem_line(l, n, &ind, &s, &e, &name, &nlen);
		if (r)
			return r;
		r = fn(arg, ind, s, e, name, nlen);
		if (r)
			return r;
	}
	return 0;
}

struct iomem_acc {
	struct khofmt_range *r;
	size_t n, cap;
	bool nonzero;
};

static int iomem_ram_fn(void *arg, unsigned indent, uint64_t start,
			uint64_t end, const char *name, size_t nlen)
{
	static const char ram[] = "System RAM";
	struct iomem_acc *a = arg;

	if (start || end)
		a->nonzero = true;
	if (indent || nlen != sizeof(ram) - 1 || memcmp(name, ram, nlen))
		return 0;
	if (end < start || end == UINT64_MAX)
		return -KHOFMT_ERR_STRUCT;
	if (a->n == a->cap) {
		void *p;

		if (a->n + 1 > (1u << 20))
			return -KHOFMT_ERR_LIMIT;
		p = khofmt_grow(a->r, &a->cap, a->n + 1, sizeof(*a->r));
		if (!p)
			return -KHOFMT_ERR_NOMEM;
		a->r = p;
	}
	a->r[a->n].start = start;
	a->r[a->n].size = end - start + 1;
	a->n++;
	return 0;
}

KHOFMT_API int khofmt_iomem_ram(const char *text, size_t len,
				struct khofmt_range **out, size_t *n)
{
	struct iomem_acc a = { NULL, 0, 0, false };
	int r;

	if (!out || !n || (!text && len))
		return -KHOFMT_ERR_INVAL;
	*out = NULL;
	*n = 0;
	r = iomem_each(text, len, iomem_ram_fn, &a);
	if (r) {
		free(a.r);
		return r;
	}
	*out = a.r;
	*n = a.n;
	return 0;
}

KHOFMT_API bool khofmt_iomem_hidden(const char *text, size_t len)
{
	struct iomem_acc a = { NULL, 0, 0, false };
	int r;

	if (!text || !len)
		return false;
	r = iomem_each(text, len, iomem_ram_fn, &a);
	free(a.r);
	return r == 0 && !a.nonzero;
}
