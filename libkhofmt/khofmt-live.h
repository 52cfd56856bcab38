/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkhofmt live systems: /proc/kcore as a memory source, the System RAM
 * map of /proc/iomem, recovery of a root FDT that debugfs cut short
 * (doc/ABI.md 8.2 Q2), SHA-256 and the folio difference of two handovers.
 *
 * Included by khofmt.h; not meant to be included on its own.
 */
/*
 * khofmt.h first, outside the guard: it declares what this header uses
 * and includes every area header in order, this one too.
 */
#include "khofmt.h"

#ifndef KHOFMT_LIVE_H
#define KHOFMT_LIVE_H

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* /proc/kcore                                                         */
/* ------------------------------------------------------------------ */

/**
 * khofmt_source_open_kcore() - open a kcore-style ELF core by reading it
 * @path: /proc/kcore, or any file laid out like it (tests)
 * @out:  the new source
 *
 * Unlike khofmt_source_open_elf() the file is not mapped (/proc/kcore
 * cannot be): headers are read once and memory is read with pread() on
 * each access, and khofmt_source_ptr() always gives NULL.
 *
 * Only the direct map is used. /proc/kcore has one PT_LOAD per System
 * RAM range of the direct map with p_paddr = the physical address
 * (p_vaddr - p_paddr = PAGE_OFFSET); kernel text has a real p_paddr too
 * (but another p_vaddr - p_paddr, and it repeats RAM already covered);
 * vmalloc, vmemmap, modules and other mappings have p_paddr = -1 (older
 * kernels: 0). The rule: drop p_paddr == -1; among the rest, the delta
 * p_vaddr - p_paddr shared by the most bytes of segments with a non-zero
 * p_paddr is the direct map; keep exactly the segments with that delta.
 * -KHOFMT_ERR_BADELF when no segment qualifies; -KHOFMT_ERR_IO (errno
 * kept: EACCES/EPERM for "not root" or lockdown) when it cannot be read.
 */
KHOFMT_API int khofmt_source_open_kcore(const char *path,
					struct khofmt_source **out);

/* ------------------------------------------------------------------ */
/* /proc/iomem                                                         */
/* ------------------------------------------------------------------ */

/**
 * khofmt_iomem_ram() - the top-level "System RAM" ranges of /proc/iomem
 * @text: the file's bytes (need not be NUL-terminated)
 * @len:  their number
 * @out:  malloc'd array of ranges (caller frees); NULL when none
 * @n:    number of ranges
 *
 * Returns 0, or -KHOFMT_ERR_STRUCT for a line that is not
 * "START-END : NAME". /proc/iomem read without CAP_SYS_ADMIN shows every
 * address as 0: the ranges then all read [0, 1); callers that care check
 * for that (khofmt_iomem_hidden()).
 */
KHOFMT_API int khofmt_iomem_ram(const char *text, size_t len,
				struct khofmt_range **out, size_t *n);
/* True when every address of @text is zero (read by a non-root user). */
KHOFMT_API bool khofmt_iomem_hidden(const char *text, size_t len);

/* ------------------------------------------------------------------ */
/* Recovering a truncated root FDT                                     */
/* ------------------------------------------------------------------ */

enum khofmt_recover_how {
	KHOFMT_RECOVER_TRACKER = 1, /* a preserved order-0 page of the tracker */
	KHOFMT_RECOVER_SCAN = 2,    /* page-aligned scan of the memory source */
};

#define KHOFMT_RECOVER_NO_SCAN 0x1u /* never fall back to the scan */

/* Scan progress: @done of @total pages; non-zero return stops the scan. */
typedef int (*khofmt_progress_cb)(void *arg, uint64_t done, uint64_t total);

struct khofmt_recover_opts {
	size_t sz;                   /* sizeof(struct khofmt_recover_opts) */
	unsigned page_shift;         /* 0 = 12 */
	unsigned flags;              /* KHOFMT_RECOVER_* */
	khofmt_progress_cb progress; /* may be NULL */
	void *progress_arg;
};

/**
 * khofmt_fdt_recover() - find the full root FDT a truncated copy came from
 * @src:    physical memory of the producing kernel
 * @prefix: the truncated bytes (debugfs kho/out/fdt; header totalsize >
 *          @len)
 * @len:    their number (at least the 40-byte FDT header)
 * @opts:   may be NULL
 * @fdt:    receives a malloc'd copy of the full FDT (totalsize bytes)
 * @fdt_len: its length
 * @fdt_pa: where it was found (may be NULL)
 *
 * The prefix is never handed to libfdt (its offsets point past the
 * bytes present): its structure block is walked by hand, token by token,
 * never past @len, and every 8-byte property of the root node whose name
 * is `preserved-memory-map` (or whose name lies in the missing strings
 * block) is a candidate tracker root. For each candidate the tracker's
 * preserved order-0 pages are compared with the prefix; a match is
 * accepted only when the totalsize bytes there pass fdt_check_full(),
 * open as a KHO root FDT and point at that same tracker. Only if that
 * finds nothing, every page-aligned address of @src is tried the same way
 * (progress through @opts), unless KHOFMT_RECOVER_NO_SCAN.
 *
 * Returns KHOFMT_RECOVER_TRACKER or KHOFMT_RECOVER_SCAN, -KHOFMT_ERR_INVAL
 * when @prefix is not a truncated FDT, -KHOFMT_ERR_NOTCOVERED when no
 * matching page was found.
 */
KHOFMT_API int khofmt_fdt_recover(struct khofmt_source *src,
				  const void *prefix, size_t len,
				  const struct khofmt_recover_opts *opts,
				  void **fdt, size_t *fdt_len, uint64_t *fdt_pa);

/**
 * khofmt_handover_fdt_pa() - where the root FDT page of a handover is
 * @h:  a handover (radix generations)
 * @pa: receives the address
 *
 * The kernel preserves its root FDT page as an order-0 entry; this finds
 * the preserved order-0 page whose bytes equal the whole FDT of @h.
 * 0, or -KHOFMT_ERR_NOTCOVERED when no such page is in the source.
 */
KHOFMT_API int khofmt_handover_fdt_pa(struct khofmt_handover *h,
				      uint64_t *pa);

/* ------------------------------------------------------------------ */
/* Difference of two handovers' preserved entries                      */
/* ------------------------------------------------------------------ */

enum khofmt_diff_side {
	KHOFMT_DIFF_LOST = 1,  /* in the first handover only */
	KHOFMT_DIFF_ADDED = 2, /* in the second handover only */
};

/*
 * A run of @count entries of @order starting at @phys (contiguous:
 * entry i at phys + i * (P << order)); non-zero return stops.
 */
typedef int (*khofmt_diff_cb)(void *arg, enum khofmt_diff_side side,
			      uint64_t phys, unsigned order, uint64_t count);

/**
 * khofmt_diff_folios() - entries preserved in one handover and not the other
 * @a, @b: the two handovers (same page size)
 * @opts:  problem callback for both walks (may be NULL)
 *
 * Order by order (0 first), both trackers are streamed in address order
 * and merged, so memory does not grow with the number of entries. An
 * entry counts as the same only with the same address and order.
 * Returns 0, the callback's non-zero value, or a negative error.
 */
KHOFMT_API int khofmt_diff_folios(struct khofmt_handover *a,
				  struct khofmt_handover *b,
				  const struct khofmt_walk_opts *opts,
				  khofmt_diff_cb cb, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* KHOFMT_LIVE_H */
