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
 * khofmt_capture_pack() turns the directory into one archive (.tar,
 * .tar.zst, .tar.xz, .tar.gz, written by libarchive) and
 * khofmt_capture_unpack() extracts one again; the manifest is written and
 * read with json-c.
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

/* What a manifest says (khofmt_capture_manifest_parse()). */
struct khofmt_capture_manifest {
	size_t sz;               /* sizeof(struct khofmt_capture_manifest) */
	unsigned page_shift;     /* 12, 14 or 16; 0 when absent or other */
	uint64_t fdt_pa;         /* the root FDT's physical address */
	bool has_fdt_pa;
	long long time;          /* recorded time, 0 when absent */
	char source[16];         /* "live", "incoming", "capture", "files", "" */
	char kernel_release[128];
};

/**
 * khofmt_capture_manifest_parse() - read manifest.json
 * @text:   its bytes (need not be NUL-terminated)
 * @len:    their number
 * @m:      receives the fields (@m->sz set by the caller)
 * @errbuf: why it was refused, or NULL
 * @errlen: size of @errbuf
 *
 * A JSON parser (json-c) reads the whole document; members this version
 * does not know are ignored, known ones of the wrong type refuse it.
 * 0, -KHOFMT_ERR_STRUCT (not JSON, or a member of the wrong type),
 * -KHOFMT_ERR_COMPAT (schema is not "khoctl-capture"),
 * -KHOFMT_ERR_UNSUPPORTED (a version other than 1) or -KHOFMT_ERR_INVAL.
 */
KHOFMT_API int khofmt_capture_manifest_parse(const char *text, size_t len,
					     struct khofmt_capture_manifest *m,
					     char *errbuf, size_t errlen);

/* Archive forms of a bundle, chosen by the file name's suffix. */
enum khofmt_capture_form {
	KHOFMT_CAPTURE_FORM_DIR = 0,  /* no archive suffix: a directory */
	KHOFMT_CAPTURE_FORM_TAR,      /* .tar */
	KHOFMT_CAPTURE_FORM_TAR_ZST,  /* .tar.zst, .tzst */
	KHOFMT_CAPTURE_FORM_TAR_XZ,   /* .tar.xz, .txz */
	KHOFMT_CAPTURE_FORM_TAR_GZ,   /* .tar.gz, .tgz */
};

/* The form @path names by its suffix. */
KHOFMT_API enum khofmt_capture_form khofmt_capture_form(const char *path);

/* khofmt_capture_pack() flags */
#define KHOFMT_CAPTURE_REPLACE 0x1u /* replace an existing archive */

/* Largest bundle khofmt_capture_unpack() extracts (all members). */
#define KHOFMT_CAPTURE_MAX_UNPACK (UINT64_C(1) << 40)

/**
 * khofmt_capture_pack() - archive the bundle directory @dir as @archive
 * @dir:     a bundle written by khofmt_capture_write()
 * @archive: the archive, its form from its suffix (khofmt_capture_form())
 * @time:    the members' modification time
 * @flags:   KHOFMT_CAPTURE_REPLACE, else an existing @archive is refused
 *           (-KHOFMT_ERR_IO, @res->sys_errno EEXIST)
 * @res:     what failed (path, what, sys_errno)
 *
 * Members are under TOP/ (the archive's base name without its suffix), in
 * a fixed order, owned by 0:0 with modes 0755/0644 and mtime @time, so the
 * same bundle gives the same bytes. The archive is written to a temporary
 * file beside @archive and renamed into place: readers never see half of
 * one. 0 or a negative error; -KHOFMT_ERR_UNSUPPORTED when this libkhofmt
 * was built without libarchive (static builds).
 */
KHOFMT_API int khofmt_capture_pack(const char *dir, const char *archive,
				   long long time, unsigned flags,
				   struct khofmt_capture_result *res);

/**
 * khofmt_capture_unpack() - extract a bundle archive into @dir
 * @archive: a .tar, compressed with zstd, xz or gzip or not (by content)
 * @dir:     created; must not exist
 * @res:     what failed
 *
 * Only the names a bundle has are extracted, as regular files (one leading
 * directory is dropped); other members, links and devices are skipped.
 * -KHOFMT_ERR_STRUCT for a damaged archive or a member given twice,
 * -KHOFMT_ERR_LIMIT past KHOFMT_CAPTURE_MAX_UNPACK bytes or blob members
 * larger than KHOFMT_CAPTURE_MAX_BLOB, -KHOFMT_ERR_IO. On failure @dir is
 * removed again. -KHOFMT_ERR_UNSUPPORTED when this libkhofmt was built
 * without libarchive (static builds).
 */
KHOFMT_API int khofmt_capture_unpack(const char *archive, const char *dir,
				     struct khofmt_capture_result *res);

/**
 * khofmt_capture_remove() - remove a bundle directory
 * @dir: written by khofmt_capture_write() or khofmt_capture_unpack()
 *
 * Removes the names a bundle has, then @dir itself when it is empty. 0, or
 * -KHOFMT_ERR_IO (errno kept) when @dir is left.
 */
KHOFMT_API int khofmt_capture_remove(const char *dir);

#ifdef __cplusplus
}
#endif

#endif /* KHOFMT_CAPTURE_H */
