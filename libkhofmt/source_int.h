/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to source.c and source_elf.c: the memory-source object and the
 * helpers both files share. Nothing here is part of the ABI (the library is
 * built with -fvisibility=hidden and these have no KHOFMT_API).
 */
#ifndef KHOFMT_SOURCE_INT_H
#define KHOFMT_SOURCE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "khofmt.h"

/* One covered piece of physical memory: [start, start + size). */
struct khofmt_seg {
	uint64_t start;
	uint64_t size;       /* > 0; start + size never wraps */
	unsigned char *data; /* into the file mapping, or calloc'd (MEM);
			      * NULL: read with pread() at @off from fd */
	uint64_t off;        /* file offset when data == NULL */
};

struct khofmt_source {
	enum khofmt_source_kind kind;
	char *path;                  /* for messages; NULL for MEM */

	/* Sorted by start, never overlapping: lookups bisect. */
	struct khofmt_seg *segs;
	size_t nsegs;
	size_t cap;                  /* of segs and of ranges */
	/*
	 * Segment of the last successful lookup. Tracker walks touch the
	 * same segment many times in a row, so checking it first turns most
	 * lookups into two compares.
	 */
	size_t last;

	/*
	 * Adjacent segments merged. Kept up to date by every insertion so
	 * that khofmt_source_ranges() is a pure getter on a const source;
	 * its capacity follows segs (there are never more ranges than
	 * segments), so it never has to allocate.
	 */
	struct khofmt_range *ranges;
	size_t nranges;

	void *map;                   /* read-only file mapping (ELF, RAW) */
	size_t map_len;
	int fd;                      /* pread() backing (kcore), else -1 */

	/* Dump metadata (khofmt-dump.h); all optional. */
	void *kd;                    /* kdump_ctx_t * (source_kdump.c) */
	char *vmcoreinfo;            /* VMCOREINFO text, NUL-terminated */
	size_t vmcoreinfo_len;
	char *vmcoreinfo_from;       /* "ELF note", "kdump header" */
	char format[64];             /* "ELF core", "kdump-compressed", ... */
	char machine[32];            /* "x86_64", "aarch64", "" */
	struct khofmt_range *ram;    /* RAM the dump describes */
	size_t nram;
	uint64_t ram_pages_absent;   /* RAM pages not in the dump (filtered) */
	unsigned ram_page_shift;     /* unit of that count */

	char errmsg[256];
};

/* Display name for messages: the path, or a label for in-memory images. */
const char *khofmt_src_name(const struct khofmt_source *src);

/* Format the error detail and return @err (a negative code) unchanged. */
int khofmt_src_err(struct khofmt_source *src, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A new empty source of @kind; @path is copied when not NULL. */
int khofmt_src_alloc(enum khofmt_source_kind kind, const char *path,
		     struct khofmt_source **out);
/*
 * Start an open_*(@path, @out) call: -KHOFMT_ERR_INVAL for a NULL @out or
 * @path (*@out is NULL after any failure), else khofmt_src_alloc().
 */
int khofmt_src_begin(enum khofmt_source_kind kind, const char *path,
		     struct khofmt_source **out, struct khofmt_source **src);

/*
 * Map @src->path read-only into src->map / src->map_len. An empty file
 * succeeds with map == NULL and map_len == 0 (callers decide what that
 * means for them). -KHOFMT_ERR_IO with errno kept on failure.
 */
int khofmt_src_map(struct khofmt_source *src);

/*
 * Install @n segments (any order; the array is taken over even on
 * failure), sort them and build the merged ranges. -KHOFMT_ERR_OVERLAP if
 * two of them share a byte (the detail names both).
 */
int khofmt_src_set_segs(struct khofmt_source *src, struct khofmt_seg *segs,
			size_t n);

/* ELF parsing options (source_elf.c) */
#define KHOFMT_ELF_DIRECTMAP 0x1u /* keep only the kcore direct map */

/*
 * Parse ELF headers held in @img (@img_len bytes: the whole file when it
 * is mapped, or at least the ELF and program headers) of a file of
 * @file_len bytes. With src->map == @img segments point into it, else
 * they are read from src->fd.
 */
int khofmt_src_elf_parse(struct khofmt_source *src, const void *img,
			 size_t img_len, uint64_t file_len, unsigned flags);

/*
 * kdump-compressed and other libkdumpfile formats (source_kdump.c): read
 * @n bytes at @pa, which the segment table says are in the file.
 */
int khofmt_src_kdump_read(struct khofmt_source *src, uint64_t pa, void *out,
			  uint64_t n);
void khofmt_src_kdump_close(struct khofmt_source *src);
/* 1 when the first bytes @head (@len of them) look like a libkdumpfile format. */
int khofmt_src_kdump_probe(const unsigned char *head, size_t len);
int khofmt_src_kdump_open(const char *path, struct khofmt_source **out);

/*
 * How a missing page reads in messages: "not in the dump (left out by the
 * dump tool)" when @pa is RAM the dump describes, else "not in the memory
 * source". Never NULL.
 */
const char *khofmt_src_missing(const struct khofmt_source *src, uint64_t pa);

/* Copy @len bytes of VMCOREINFO text found in @from (NUL added). */
int khofmt_src_set_vmcoreinfo(struct khofmt_source *src, const char *text,
			      size_t len, const char *from);

#endif /* KHOFMT_SOURCE_INT_H */
