// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Memory sources: "read N bytes at physical address P" over a sorted table
 * of non-overlapping segments. Raw and in-memory images live here; the ELF
 * reader and writer are in source_elf.c.
 *
 * Every physical read of the library ends up in khofmt_source_read() or
 * khofmt_source_ptr(), so these are the only places that need to get
 * coverage and overflow right.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "khofmt.h"
#include "source_int.h"

/* ------------------------------------------------------------------ */
/* Shared helpers (declared in source_int.h)                           */
/* ------------------------------------------------------------------ */

const char *khofmt_src_name(const struct khofmt_source *src)
{
	return src->path ? src->path : "in-memory image";
}

int khofmt_src_err(struct khofmt_source *src, int err, const char *fmt, ...)
{
	/* Callers report errno after this; formatting must not clobber it. */
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(src->errmsg, sizeof(src->errmsg), fmt, ap);
	va_end(ap);
	errno = saved;
	return err;
}

int khofmt_src_alloc(enum khofmt_source_kind kind, const char *path,
		     struct khofmt_source **out)
{
	struct khofmt_source *src;

	src = calloc(1, sizeof(*src));
	if (!src)
		return -KHOFMT_ERR_NOMEM;
	src->kind = kind;
	src->fd = -1;
	if (path) {
		src->path = strdup(path);
		if (!src->path) {
			free(src);
			return -KHOFMT_ERR_NOMEM;
		}
	}
	*out = src;
	return 0;
}

int khofmt_src_begin(enum khofmt_source_kind kind, const char *path,
		     struct khofmt_source **out, struct khofmt_source **src)
{
	if (!out)
		return -KHOFMT_ERR_INVAL;
	*out = NULL;
	if (!path)
		return -KHOFMT_ERR_INVAL;
	return khofmt_src_alloc(kind, path, src);
}

static int src_io_err(struct khofmt_source *src, const char *what)
{
	return khofmt_src_err(src, -KHOFMT_ERR_IO, "cannot %s %s: %s", what,
			      khofmt_src_name(src), strerror(errno));
}

int khofmt_src_map(struct khofmt_source *src)
{
	struct stat st;
	uint64_t size;
	void *map;
	int fd, saved;

	fd = open(src->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return src_io_err(src, "open");
	if (fstat(fd, &st) < 0)
		goto fail_io_stat;

	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		/* A disk holding a raw dump: st_size is 0 there. */
		off_t end = lseek(fd, 0, SEEK_END);

		if (end < 0)
			goto fail_io_stat;
		size = (uint64_t)end;
	} else {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return khofmt_src_err(src, -KHOFMT_ERR_IO,
				      "cannot map %s: not a regular file or block device",
				      src->path);
	}

	if (size == 0) {
		close(fd);
		src->map = NULL;
		src->map_len = 0;
		return 0;
	}
	if (size > SIZE_MAX) {
		/* Only on 32-bit hosts: the file cannot be mapped whole. */
		close(fd);
		errno = EFBIG;
		return src_io_err(src, "map");
	}

	map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		saved = errno;
		close(fd);
		errno = saved;
		return src_io_err(src, "map");
	}
	/*
	 * The mapping keeps the file referenced; the fd is not needed. (A
	 * file truncated by someone else while mapped would fault on access:
	 * dumps are not expected to change under a reader.)
	 */
	close(fd);
	src->map = map;
	src->map_len = (size_t)size;
	return 0;

fail_io_stat:
	saved = errno;
	close(fd);
	errno = saved;
	return src_io_err(src, "stat");
}

static int seg_cmp(const void *a, const void *b)
{
	const struct khofmt_seg *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

int khofmt_src_set_segs(struct khofmt_source *src, struct khofmt_seg *segs,
			size_t n)
{
	struct khofmt_range *r;
	size_t i, nr = 0;

	/* Taken over first, so that the source frees it on every path. */
	src->segs = segs;
	src->nsegs = n;
	src->cap = n;
	src->last = 0;

	qsort(segs, n, sizeof(*segs), seg_cmp);
	for (i = 1; i < n; i++) {
		const struct khofmt_seg *p = &segs[i - 1], *s = &segs[i];

		if (s->start - p->start < p->size)
			return khofmt_src_err(src, -KHOFMT_ERR_OVERLAP,
					      "%s: segments [0x%" PRIx64 ", 0x%" PRIx64
					      ") and [0x%" PRIx64 ", 0x%" PRIx64
					      ") overlap", khofmt_src_name(src),
					      p->start, p->start + p->size,
					      s->start, s->start + s->size);
	}

	r = calloc(n ? n : 1, sizeof(*r));
	if (!r)
		return -KHOFMT_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (nr && r[nr - 1].start + r[nr - 1].size == segs[i].start) {
			r[nr - 1].size += segs[i].size;
			continue;
		}
		r[nr].start = segs[i].start;
		r[nr].size = segs[i].size;
		nr++;
	}
	src->ranges = r;
	src->nranges = nr;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lookups                                                             */
/* ------------------------------------------------------------------ */

/* Number of segments starting at or below @pa (bisection). */
static size_t seg_upper(const struct khofmt_source *src, uint64_t pa)
{
	size_t lo = 0, hi = src->nsegs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (src->segs[mid].start <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Segment holding @pa. "pa - start < size" is also false when pa < start
 * (the subtraction wraps), which saves a compare on the hot path.
 */
static bool seg_lookup(const struct khofmt_source *src, uint64_t pa,
		       size_t *idx)
{
	const struct khofmt_seg *s;
	size_t i = src->last;

	if (i < src->nsegs) {
		s = &src->segs[i];
		if (pa - s->start < s->size) {
			*idx = i;
			return true;
		}
	}
	i = seg_upper(src, pa);
	if (i == 0)
		return false;
	s = &src->segs[i - 1];
	if (pa - s->start >= s->size)
		return false;
	*idx = i - 1;
	return true;
}

/* Merged range holding @pa, or NULL. */
static const struct khofmt_range *range_lookup(const struct khofmt_source *src,
					       uint64_t pa)
{
	const struct khofmt_range *r;
	size_t lo = 0, hi = src->nranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (src->ranges[mid].start <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	r = &src->ranges[lo - 1];
	return pa - r->start < r->size ? r : NULL;
}

/* Copy @n bytes at offset @off of segment @s (mapped, in memory or pread). */
static int seg_copy(struct khofmt_source *src, const struct khofmt_seg *s,
		    uint64_t off, unsigned char *out, uint64_t n)
{
	if (s->data) {
		memcpy(out, s->data + off, (size_t)n);
		return 0;
	}
	if (src->kd)
		return khofmt_src_kdump_read(src, s->start + off, out, n);
	while (n) {
		ssize_t r = pread(src->fd, out, (size_t)n, (off_t)(s->off + off));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return khofmt_src_err(src, -KHOFMT_ERR_IO,
					      "cannot read %s at file offset 0x%" PRIx64
					      " (physical 0x%" PRIx64 "): %s",
					      khofmt_src_name(src), s->off + off,
					      s->start + off, strerror(errno));
		}
		out += r;
		off += (uint64_t)r;
		n -= (uint64_t)r;
	}
	return 0;
}

/* True when @pa is RAM the dump describes (its loads or page bitmap). */
static bool in_dump_ram(const struct khofmt_source *src, uint64_t pa)
{
	size_t i;

	for (i = 0; i < src->nram; i++)
		if (pa - src->ram[i].start < src->ram[i].size)
			return true;
	return false;
}

const char *khofmt_src_missing(const struct khofmt_source *src, uint64_t pa)
{
	return src && in_dump_ram(src, pa) ?
	       "not in the dump (RAM the dump tool left out)" :
	       "not in the memory source";
}

/*
 * Not covered: a page the dump tool left out of RAM it describes
 * (makedumpfile -d 31, p_filesz < p_memsz) is "not in the dump", which is
 * no sign of corruption; anything else is outside the source.
 */
static int not_covered(struct khofmt_source *src, uint64_t pa, size_t len,
		       const struct khofmt_range *r)
{
	uint64_t miss = r ? r->start + r->size : pa;

	if (in_dump_ram(src, miss))
		return khofmt_src_err(src, -KHOFMT_ERR_NOTCOVERED,
				      "physical 0x%" PRIx64 " (+0x%zx): RAM page 0x%" PRIx64
				      " not in the dump (left out by the dump tool; %" PRIu64
				      " RAM pages of %s are not in it)",
				      pa, len,
				      miss & ~(((uint64_t)1 << src->ram_page_shift) - 1),
				      src->ram_pages_absent, khofmt_src_name(src));
	return khofmt_src_err(src, -KHOFMT_ERR_NOTCOVERED,
			      "physical 0x%" PRIx64 " (+0x%zx) not covered by %s: first missing byte at 0x%" PRIx64,
			      pa, len, khofmt_src_name(src), miss);
}

KHOFMT_API int khofmt_source_read(struct khofmt_source *src, uint64_t pa,
				  void *buf, size_t len)
{
	const struct khofmt_range *r;
	const struct khofmt_seg *s;
	unsigned char *out = buf;
	uint64_t end, off, n;
	size_t i = 0;
	bool hit;

	if (!src || (!buf && len))
		return -KHOFMT_ERR_INVAL;
	if (len == 0)
		return 0;
	/* Segments end at or below UINT64_MAX, so a wrapping read never fits. */
	if ((uint64_t)len > UINT64_MAX - pa)
		return khofmt_src_err(src, -KHOFMT_ERR_NOTCOVERED,
				      "physical 0x%" PRIx64 " (+0x%zx) wraps around the address space",
				      pa, len);
	end = pa + len;

	/* Common case: one segment, usually the one hit last time. */
	hit = seg_lookup(src, pa, &i);
	if (hit) {
		s = &src->segs[i];
		off = pa - s->start;
		if (len <= s->size - off) {
			src->last = i;
			return seg_copy(src, s, off, out, len);
		}
	}

	/*
	 * Spanning or missing: check the merged ranges first so that nothing
	 * is copied on failure and the first missing byte falls out directly.
	 */
	r = range_lookup(src, pa);
	if (!r || end - r->start > r->size)
		return not_covered(src, pa, len, r);
	if (!hit)
		return -KHOFMT_ERR_INTERNAL;	/* ranges and segments disagree */

	/* Covered by one range: walk its touching segments from @i. */
	while (pa < end) {
		s = &src->segs[i];
		off = pa - s->start;
		n = s->size - off;
		if (n > end - pa)
			n = end - pa;
		if (seg_copy(src, s, off, out, n) < 0)
			return -KHOFMT_ERR_IO;
		out += n;
		pa += n;
		if (pa < end)
			i++;
	}
	src->last = i;
	return 0;
}

KHOFMT_API const void *khofmt_source_ptr(struct khofmt_source *src,
					 uint64_t pa, size_t len)
{
	const struct khofmt_seg *s;
	size_t i;

	if (!src || !seg_lookup(src, pa, &i))
		return NULL;
	s = &src->segs[i];
	if (!s->data || (uint64_t)len > s->size - (pa - s->start))
		return NULL;
	src->last = i;
	return s->data + (pa - s->start);
}

KHOFMT_API bool khofmt_source_covers(const struct khofmt_source *src,
				     uint64_t pa, uint64_t len)
{
	const struct khofmt_range *r;

	if (!src)
		return false;
	if (len == 0)
		return true;
	r = range_lookup(src, pa);
	return r && len <= r->size - (pa - r->start);
}

KHOFMT_API const struct khofmt_range *
khofmt_source_ranges(const struct khofmt_source *src, size_t *n)
{
	if (!src) {
		if (n)
			*n = 0;
		return NULL;
	}
	if (n)
		*n = src->nranges;
	return src->ranges;
}

KHOFMT_API enum khofmt_source_kind
khofmt_source_kind(const struct khofmt_source *src)
{
	return src ? src->kind : (enum khofmt_source_kind)0;
}

KHOFMT_API const char *khofmt_source_errmsg(const struct khofmt_source *src)
{
	return src ? src->errmsg : "";
}

/* ------------------------------------------------------------------ */
/* Probing and dump metadata (khofmt-dump.h)                           */
/* ------------------------------------------------------------------ */

KHOFMT_API int khofmt_source_open(const char *path, struct khofmt_source **out)
{
	unsigned char head[64];
	ssize_t n;
	int fd;

	if (!out)
		return -KHOFMT_ERR_INVAL;
	*out = NULL;
	if (!path)
		return -KHOFMT_ERR_INVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -KHOFMT_ERR_IO;
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -KHOFMT_ERR_IO;
	}
	close(fd);
	/* ELF stays ours: mapped in place, no copy (source_elf.c). */
	if (n >= 4 && !memcmp(head, "\177ELF", 4))
		return khofmt_source_open_elf(path, out);
	if (khofmt_src_kdump_probe(head, (size_t)n))
		return khofmt_src_kdump_open(path, out);
	return -KHOFMT_ERR_BADELF;
}

int khofmt_src_set_vmcoreinfo(struct khofmt_source *src, const char *text,
			      size_t len, const char *from)
{
	char *t, *f;

	/* A NUL inside ends the text, as the kernel writes it. */
	len = strnlen(text, len);
	t = malloc(len + 1);
	f = strdup(from);
	if (!t || !f) {
		free(t);
		free(f);
		return -KHOFMT_ERR_NOMEM;
	}
	memcpy(t, text, len);
	t[len] = '\0';
	free(src->vmcoreinfo);
	free(src->vmcoreinfo_from);
	src->vmcoreinfo = t;
	src->vmcoreinfo_len = len;
	src->vmcoreinfo_from = f;
	return 0;
}

KHOFMT_API int khofmt_vmcoreinfo_get(const char *text, size_t len,
				     const char *key, char *buf, size_t bufsz)
{
	size_t kl, pos = 0;

	if (!text || !key || !buf || !bufsz)
		return -KHOFMT_ERR_INVAL;
	buf[0] = '\0';
	kl = strlen(key);
	/* Lines "KEY=VALUE\n"; the first one with KEY wins. */
	while (pos < len) {
		const char *l = text + pos;
		const char *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) : len - pos;

		if (ll > kl && !memcmp(l, key, kl) && l[kl] == '=') {
			size_t vl = ll - kl - 1;

			if (vl >= bufsz)
				return -KHOFMT_ERR_LIMIT;
			memcpy(buf, l + kl + 1, vl);
			buf[vl] = '\0';
			return (int)vl;
		}
		pos += ll + 1;
	}
	return -KHOFMT_ERR_BADPROP;
}

KHOFMT_API int khofmt_source_dump_info(const struct khofmt_source *src,
				       struct khofmt_dump_info *info)
{
	char v[80];
	uint64_t ps;
	char *end;

	if (!src || !info || info->sz < sizeof(*info))
		return -KHOFMT_ERR_INVAL;
	memset(info, 0, sizeof(*info));
	info->sz = sizeof(*info);
	info->format = src->format[0] ? src->format :
		       src->kind == KHOFMT_SOURCE_RAW ? "raw image" :
		       src->kind == KHOFMT_SOURCE_ELF ? "ELF core" :
		       "in-memory image";
	info->machine = src->machine;
	info->vmcoreinfo = src->vmcoreinfo;
	info->vmcoreinfo_len = src->vmcoreinfo_len;
	info->vmcoreinfo_from = src->vmcoreinfo_from ? src->vmcoreinfo_from : "";
	info->ram = src->ram;
	info->nram = src->nram;
	info->absent_pages = src->ram_pages_absent;
	info->absent_page_shift = src->ram_page_shift;
	if (!src->vmcoreinfo)
		return 0;
	if (khofmt_vmcoreinfo_get(src->vmcoreinfo, src->vmcoreinfo_len,
				  "PAGESIZE", v, sizeof(v)) > 0) {
		errno = 0;
		ps = strtoull(v, &end, 10);
		if (!errno && !*end && ps) {
			info->page_size = ps;
			if (ps == 4096 || ps == 16384 || ps == 65536)
				info->page_shift = ps == 4096 ? 12 :
						   ps == 16384 ? 14 : 16;
		}
	}
	if (khofmt_vmcoreinfo_get(src->vmcoreinfo, src->vmcoreinfo_len,
				  "OSRELEASE", v, sizeof(v)) > 0)
		snprintf(info->release, sizeof(info->release), "%.64s", v);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Raw images                                                          */
/* ------------------------------------------------------------------ */

KHOFMT_API int khofmt_source_open_raw(const char *path, uint64_t base,
				      struct khofmt_source **out)
{
	struct khofmt_source *src;
	struct khofmt_seg *seg;
	int err;

	err = khofmt_src_begin(KHOFMT_SOURCE_RAW, path, out, &src);
	if (err)
		return err;
	err = khofmt_src_map(src);
	if (err)
		goto fail;
	if (src->map_len == 0) {
		err = -KHOFMT_ERR_INVAL;	/* nothing to place */
		goto fail;
	}
	if ((uint64_t)src->map_len > UINT64_MAX - base) {
		err = -KHOFMT_ERR_INVAL;	/* would wrap past 2^64 */
		goto fail;
	}
	seg = malloc(sizeof(*seg));
	if (!seg) {
		err = -KHOFMT_ERR_NOMEM;
		goto fail;
	}
	seg->start = base;
	seg->size = src->map_len;
	seg->data = src->map;
	err = khofmt_src_set_segs(src, seg, 1);
	if (err)
		goto fail;
	*out = src;
	return 0;

fail:
	khofmt_source_free(src);
	return err;
}

/* ------------------------------------------------------------------ */
/* In-memory images                                                    */
/* ------------------------------------------------------------------ */

KHOFMT_API int khofmt_source_new_mem(struct khofmt_source **out)
{
	if (!out)
		return -KHOFMT_ERR_INVAL;
	*out = NULL;
	return khofmt_src_alloc(KHOFMT_SOURCE_MEM, NULL, out);
}

/* Room for one more segment and one more range. */
static int mem_grow(struct khofmt_source *src)
{
	struct khofmt_seg *segs;
	struct khofmt_range *ranges;
	size_t ncap;

	if (src->nsegs < src->cap)
		return 0;
	ncap = src->cap ? src->cap * 2 : 16;
	if (ncap <= src->cap || ncap > SIZE_MAX / sizeof(*segs))
		return -KHOFMT_ERR_NOMEM;
	segs = realloc(src->segs, ncap * sizeof(*segs));
	if (!segs)
		return -KHOFMT_ERR_NOMEM;
	src->segs = segs;
	/* cap only moves once both arrays have grown. */
	ranges = realloc(src->ranges, ncap * sizeof(*ranges));
	if (!ranges)
		return -KHOFMT_ERR_NOMEM;
	src->ranges = ranges;
	src->cap = ncap;
	return 0;
}

/*
 * Fold the new segment [pa, pa + size) into the merged ranges. It touches
 * at most the range before it and the range after it. Appending in address
 * order (the usual way images are built) costs O(1).
 */
static void mem_ranges_insert(struct khofmt_source *src, uint64_t pa,
			      uint64_t size)
{
	struct khofmt_range *r = src->ranges;
	size_t n = src->nranges, lo = 0, hi = n;
	bool left, right;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r[mid].start <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* r[lo - 1] is before @pa, r[lo] after it. */
	left = lo > 0 && r[lo - 1].start + r[lo - 1].size == pa;
	right = lo < n && r[lo].start == pa + size;

	if (left && right) {
		r[lo - 1].size += size + r[lo].size;
		memmove(&r[lo], &r[lo + 1], (n - lo - 1) * sizeof(*r));
		src->nranges--;
	} else if (left) {
		r[lo - 1].size += size;
	} else if (right) {
		r[lo].start = pa;
		r[lo].size += size;
	} else {
		memmove(&r[lo + 1], &r[lo], (n - lo) * sizeof(*r));
		r[lo].start = pa;
		r[lo].size = size;
		src->nranges++;
	}
}

KHOFMT_API int khofmt_source_mem_add(struct khofmt_source *src, uint64_t pa,
				     uint64_t size, void **data)
{
	const struct khofmt_seg *p;
	struct khofmt_seg *s;
	unsigned char *buf;
	size_t i;
	int err;

	if (!src)
		return -KHOFMT_ERR_INVAL;
	if (src->kind != KHOFMT_SOURCE_MEM)
		return khofmt_src_err(src, -KHOFMT_ERR_INVAL,
				      "cannot add memory to %s: not an in-memory image",
				      khofmt_src_name(src));
	if (size == 0 || size > UINT64_MAX - pa)
		return khofmt_src_err(src, -KHOFMT_ERR_INVAL,
				      "cannot add physical 0x%" PRIx64 " (+0x%" PRIx64
				      "): empty or wraps around the address space",
				      pa, size);

	/* Neighbours: segs[i - 1] starts at or below pa, segs[i] above. */
	i = seg_upper(src, pa);
	p = i > 0 ? &src->segs[i - 1] : NULL;
	if (p && pa - p->start < p->size)
		goto overlap;
	p = i < src->nsegs ? &src->segs[i] : NULL;
	if (p && p->start - pa < size)
		goto overlap;

	if (size > SIZE_MAX)
		return khofmt_src_err(src, -KHOFMT_ERR_NOMEM,
				      "cannot allocate 0x%" PRIx64 " bytes", size);
	err = mem_grow(src);
	if (err)
		return khofmt_src_err(src, err, "cannot grow the segment table");
	buf = calloc(1, (size_t)size);
	if (!buf)
		return khofmt_src_err(src, -KHOFMT_ERR_NOMEM,
				      "cannot allocate 0x%" PRIx64 " bytes", size);

	memmove(&src->segs[i + 1], &src->segs[i],
		(src->nsegs - i) * sizeof(*src->segs));
	s = &src->segs[i];
	s->start = pa;
	s->size = size;
	s->data = buf;
	src->nsegs++;
	src->last = i;
	mem_ranges_insert(src, pa, size);

	if (data)
		*data = buf;
	return 0;

overlap:
	return khofmt_src_err(src, -KHOFMT_ERR_OVERLAP,
			      "physical 0x%" PRIx64 " (+0x%" PRIx64
			      ") overlaps [0x%" PRIx64 ", 0x%" PRIx64 ")",
			      pa, size, p->start, p->start + p->size);
}

KHOFMT_API void khofmt_source_free(struct khofmt_source *src)
{
	size_t i;

	if (!src)
		return;
	if (src->kind == KHOFMT_SOURCE_MEM)
		for (i = 0; i < src->nsegs; i++)
			free(src->segs[i].data);
	if (src->map)
		munmap(src->map, src->map_len);
	khofmt_src_kdump_close(src);
	if (src->fd >= 0)
		close(src->fd);
	free(src->vmcoreinfo);
	free(src->vmcoreinfo_from);
	free(src->ram);
	free(src->segs);
	free(src->ranges);
	free(src->path);
	free(src);
}
