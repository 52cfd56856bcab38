/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkhofmt capture bundles: a self-contained, deterministic directory of
 * a KHO state that `khoctl ... --capture DIR` reads back:
 *
 *   manifest.json  schema "khoctl-capture" version 1
 *   fdt.dtb        the full root FDT
 *   blobs/NAME     every subnode's blob (blob-size bytes)
 *   memory.elf     a slim ELF core: the root FDT page (when known), the
 *                  tracker pages and the pages the blobs occupy (and the
 *                  structures they point at); with_data also the
 *                  preserved memory itself
 *   iomem          /proc/iomem as read (live inputs)
 *   scratch_phys, scratch_len  the scratch areas, debugfs format
 *
 * Written by `khoctl capture` and by kexec --kho-save just before a reboot.
 *
 * Included by khofmt.h; not meant to be included on its own.
 */
/*
 * khofmt.h first, outside the guard: it declares what this header uses
 * and includes every area header in order, this one too.
 */
#include "khofmt.h"

#ifndef KHOFMT_CAPTURE_H
#define KHOFMT_CAPTURE_H

#ifdef __cplusplus
extern "C" {
#endif

#define KHOFMT_CAPTURE_SCHEMA "khoctl-capture"
#define KHOFMT_CAPTURE_MANIFEST "manifest.json"
#define KHOFMT_CAPTURE_FDT "fdt.dtb"
#define KHOFMT_CAPTURE_MEM "memory.elf"
#define KHOFMT_CAPTURE_BLOBS "blobs"
#define KHOFMT_CAPTURE_IOMEM "iomem"
#define KHOFMT_CAPTURE_SCRATCH_PHYS "scratch_phys"
#define KHOFMT_CAPTURE_SCRATCH_LEN "scratch_len"

/* Largest blob copied into a bundle. */
#define KHOFMT_CAPTURE_MAX_BLOB (16u << 20)

/* What to save. Only @fdt is mandatory. */
struct khofmt_capture_input {
	size_t sz;                      /* sizeof(struct khofmt_capture_input) */
	struct khofmt_fdt *fdt;         /* the root FDT (full) */
	struct khofmt_source *src;      /* memory, or NULL */
	struct khofmt_handover *h;      /* fdt + src tied, or NULL (no tracker) */
	const char *blob_dir;           /* blob files named after subnodes, or NULL */
	const char *iomem;              /* /proc/iomem text, or NULL */
	size_t iomem_len;
	const struct khofmt_range *scratch;
	size_t nscratch;
	bool has_scratch;
	const struct khofmt_range *ram;
	size_t nram;
	bool has_ram;
	const char *source;             /* "live", "incoming", "capture", "files" */
	const char *release;            /* kernel release, "" unknown */
	unsigned page_shift;            /* 0 = 12 */
	uint64_t fdt_pa;
	bool has_fdt_pa;
	bool recovered;                 /* the FDT was recovered from memory */
	bool with_data;                 /* copy the preserved memory too */
	long long time;                 /* recorded time (SOURCE_DATE_EPOCH) */
};

struct khofmt_capture_result {
	uint64_t blobs;          /* subnodes of the root FDT */
	uint64_t pages;          /* pages in memory.elf */
	uint64_t missing;        /* pages the memory source did not cover */
	bool have_mem;           /* memory.elf written */
	bool tracker;            /* the tracker was walked and saved */
	int tracker_err;         /* why not (negative), 0 when it was or no h */
	uint64_t fdt_pa;         /* fdt_pa as recorded */
	bool has_fdt_pa;
	/* On failure: the file and what failed ("cannot create", ...). */
	char path[512];
	const char *what;
	int sys_errno;           /* errno of that failure, 0 if none */
	char detail[256];        /* storage @what may point at */
};

/**
 * khofmt_capture_blob() - the bytes of a subnode's blob
 * @in:  as for khofmt_capture_write()
 * @sn:  the subnode
 * @buf: receives a malloc'd copy
 * @len: its length
 * @why: on failure, why ("no blob address", "not in the memory source")
 *
 * From the memory source when it covers the blob, else from the blob file
 * of @in->blob_dir. 0, or -KHOFMT_ERR_NOTCOVERED with @why set.
 */
KHOFMT_API int khofmt_capture_blob(const struct khofmt_capture_input *in,
				   const struct khofmt_subnode *sn,
				   void **buf, size_t *len, const char **why);

/**
 * khofmt_capture_write() - write a bundle into @dir (created; must not exist)
 * @dir: the bundle directory
 * @in:  what to save
 * @res: counts, and what failed
 *
 * Without a tracker (@in->h NULL, or its walk fails: @res->tracker_err)
 * the bundle still holds the root FDT and the blobs; with_data then fails
 * with -KHOFMT_ERR_INVAL. Returns 0 or a negative error (-KHOFMT_ERR_IO
 * with @res->path, @res->what and @res->sys_errno set). Nothing is
 * printed; a failed bundle is left as far as it got.
 */
KHOFMT_API int khofmt_capture_write(const char *dir,
				    const struct khofmt_capture_input *in,
				    struct khofmt_capture_result *res);

#ifdef __cplusplus
}
#endif

#endif /* KHOFMT_CAPTURE_H */
