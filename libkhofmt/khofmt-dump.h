/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkhofmt crash dumps: opening any dump format by its content (ELF cores
 * and, through libkdumpfile, kdump-compressed files), what the dump says
 * about itself (VMCOREINFO, the RAM it describes, pages it left out), and
 * finding KHO root FDTs in memory alone.
 *
 * Included by khofmt.h; not meant to be included on its own.
 */
/*
 * khofmt.h first, outside the guard: it declares what this header uses
 * and includes every area header in order, this one too.
 */
#include "khofmt.h"

#ifndef KHOFMT_DUMP_H
#define KHOFMT_DUMP_H

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Opening a dump                                                      */
/* ------------------------------------------------------------------ */

/**
 * khofmt_source_open() - open a memory dump of any format khofmt reads
 * @path: an ELF core (QEMU dump-guest-memory, /proc/vmcore, makedumpfile
 *        -E, khoctl synth/capture) or a format libkdumpfile reads
 *        (kdump-compressed "KDUMP" files from makedumpfile or QEMU
 *        dump-guest-memory -z/-l/-s, flattened makedumpfile output, ...)
 * @out:  the new source
 *
 * The format is chosen by the file's first bytes, never by its name. ELF
 * goes to khofmt_source_open_elf(); the rest to libkdumpfile, whose reads
 * decompress page by page. Pages a filtered dump left out (makedumpfile
 * -d 31) are not covered: reading them fails with -KHOFMT_ERR_NOTCOVERED
 * and a detail saying "not in the dump", and their number is in
 * khofmt_dump_info.absent_pages. -KHOFMT_ERR_BADELF when the file is
 * neither; -KHOFMT_ERR_UNSUPPORTED for a kdump file when libkhofmt was
 * built without libkdumpfile or libkdumpfile cannot be loaded (it is
 * loaded when the first kdump file is opened: khofmt_kdump_available()
 * says which); -KHOFMT_ERR_IO with errno kept.
 */
KHOFMT_API int khofmt_source_open(const char *path, struct khofmt_source **out);

/**
 * khofmt_kdump_available() - whether kdump files can be read
 * @why: where to write why not (NUL-terminated, cut at @len); may be NULL
 * @len: size of @why
 *
 * libkhofmt loads libkdumpfile only when a kdump file is opened (dlopen()
 * of the soname it was built against), so that other inputs never pay for
 * loading it and the libraries it needs. Returns 1 when it can be loaded;
 * 0 when libkhofmt was built without libkdumpfile; -KHOFMT_ERR_UNSUPPORTED
 * when it cannot be loaded or lacks a function, with the loader's message
 * in @why (e.g. "libkdumpfile.so.10: cannot open shared object file: No
 * such file or directory"); -KHOFMT_ERR_NOMEM. On failure @why always
 * holds a message.
 */
KHOFMT_API int khofmt_kdump_available(char *why, size_t len);

/* What a dump says about itself; pointers live as long as the source. */
struct khofmt_dump_info {
	size_t sz;                 /* sizeof(struct khofmt_dump_info), set by the caller */
	const char *format;        /* "ELF core", "kdump-compressed", "raw image", ... */
	const char *machine;       /* "x86_64", "aarch64", ...; "" when unknown */
	const char *vmcoreinfo;    /* VMCOREINFO text, NULL when the dump has none */
	size_t vmcoreinfo_len;
	const char *vmcoreinfo_from; /* "ELF note VMCOREINFO", "kdump header" */
	uint64_t page_size;        /* VMCOREINFO PAGESIZE; 0 when absent */
	unsigned page_shift;       /* 12, 14 or 16 from it; 0 when absent or other */
	char release[65];          /* VMCOREINFO OSRELEASE; "" when absent */
	/*
	 * RAM the dump describes: ELF PT_LOAD [p_paddr, p_paddr + p_memsz),
	 * or the kdump page bitmap. NULL / 0 when the dump does not say.
	 */
	const struct khofmt_range *ram;
	size_t nram;
	uint64_t absent_pages;     /* pages of that RAM not in the dump */
	unsigned absent_page_shift; /* their size */
};

/* Fill @info (set info->sz first). 0 or -KHOFMT_ERR_INVAL. */
KHOFMT_API int khofmt_source_dump_info(const struct khofmt_source *src,
				       struct khofmt_dump_info *info);

/*
 * The value of "KEY=VALUE" line @key in VMCOREINFO text (@len bytes) into
 * @buf: its length, -KHOFMT_ERR_BADPROP when absent, -KHOFMT_ERR_LIMIT
 * when it does not fit @bufsz (with its NUL).
 */
KHOFMT_API int khofmt_vmcoreinfo_get(const char *text, size_t len,
				     const char *key, char *buf, size_t bufsz);

/* ------------------------------------------------------------------ */
/* Finding the KHO root in memory alone                                */
/* ------------------------------------------------------------------ */

/* How a candidate root was found (a mask: one root can be found twice). */
enum khofmt_root_via {
	/* x86: boot_params setup_data type 10 (SETUP_KEXEC_KHO): the root
	 * the running kernel received */
	KHOFMT_ROOT_SETUP_DATA = 0x1,
	/* DT arches: boot DT /chosen linux,kho-fdt: the root received */
	KHOFMT_ROOT_CHOSEN = 0x2,
	/* a page-aligned FDT with a kho-v<N> root compatible (an outgoing
	 * root, which no boot structure points at, or a received one) */
	KHOFMT_ROOT_SCAN = 0x4,
};

struct khofmt_root_cand {
	uint64_t pa;           /* the root FDT */
	uint32_t size;         /* its totalsize (0 when unreadable) */
	unsigned via;          /* enum khofmt_root_via mask */
	uint64_t via_pa;       /* setup_data entry or boot DT that names it */
	uint64_t boot_params_pa; /* x86: the boot_params holding that chain */
	bool has_scratch;      /* the boot record names a scratch array */
	uint64_t scratch_pa;   /* array of {u64 addr, u64 size} */
	uint64_t scratch_size; /* bytes */
	char compatible[32];   /* root compatible ("" when unreadable) */
	/*
	 * 0 when the FDT opens and its tracker walks without a problem
	 * (khofmt_stats()), else the -KHOFMT_ERR_* that stopped it.
	 */
	int tracker;
	uint64_t folios;       /* preserved entries, when tracker == 0 */
};

#define KHOFMT_DISCOVER_NO_SCAN 0x1u /* boot structures only (still a scan for them) */

struct khofmt_discover_opts {
	size_t sz;                   /* sizeof(struct khofmt_discover_opts) */
	unsigned page_shift;         /* producer PAGE_SHIFT for the tracker check; 0 = each
	                              * candidate's own (khofmt_geom_infer) */
	const char *producer;        /* producer release for the tracker check; may be NULL */
	unsigned flags;              /* KHOFMT_DISCOVER_* */
	khofmt_progress_cb progress; /* bytes done of total; may be NULL */
	void *progress_arg;
};

/**
 * khofmt_discover_roots() - find KHO root FDTs in a memory source
 * @src:   the dump
 * @opts:  may be NULL
 * @cands: receives a malloc'd array (caller frees), sorted by address
 * @n:     its length
 *
 * One sequential pass over every covered byte (file reads of a few MiB,
 * memory bounded by that buffer and the candidates) looks for:
 *  - x86 boot_params: "HdrS" at offset 0x202 with boot_flag 0xAA55 and a
 *    boot protocol of 2.09 or later, at any 8-byte aligned address (the
 *    kernel's own copy is not page-aligned); its setup_data chain (at
 *    most 256 entries, cycles stopped) is followed to type 10 entries:
 *    struct kho_data {fdt_addr, fdt_size, scratch_addr, scratch_size};
 *  - at page starts (4 KiB steps), FDTs (magic d00dfeed): a root whose
 *    compatible is kho-v<digit>... is a candidate; a boot DT whose
 *    /chosen has linux,kho-fdt (and linux,kho-scratch) names one.
 * Each candidate is then opened and its tracker checked (tracker, folios).
 * Returns the index of the default choice (>= 0): a root named by a boot
 * structure whose tracker is consistent, else the first consistent one,
 * else the first; -KHOFMT_ERR_NOTCOVERED when there is none (*n == 0),
 * -KHOFMT_ERR_LIMIT when the progress callback stopped the scan.
 */
KHOFMT_API int khofmt_discover_roots(struct khofmt_source *src,
				     const struct khofmt_discover_opts *opts,
				     struct khofmt_root_cand **cands, size_t *n);

#ifdef __cplusplus
}
#endif

#endif /* KHOFMT_DUMP_H */
