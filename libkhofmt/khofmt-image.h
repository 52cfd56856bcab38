/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkhofmt: will the next kernel take the handover? Read a kernel image
 * as given to kexec (x86 bzImage, arm64 Image, Image.gz, EFI zboot vmlinuz,
 * a vmlinux ELF), decompress it through Debian's libraries (zlib, liblzma,
 * libzstd, liblz4, libbz2), and find in it the KHO compatible strings,
 * sub-schema versions and subnode names it carries, and its release; then
 * hold the outgoing state against it: one row per root, subnode, reserve_mem
 * region, LUO file handler and FLB, whether the image reads it and what is
 * lost if not.
 *
 * The kernel compares these strings (fdt_node_check_compatible, strcmp,
 * strncmp on the LUO header) against literals of its ABI headers
 * (include/linux/kho/abi/\*.h, lib/test_kho.c): a literal the image does not
 * carry as a NUL-terminated string is a format it cannot read. A version
 * that the kernel compares as a number (kexec-metadata's u32) is not
 * visible that way; its row says so.
 *
 * Bounds: the compressed payload is at most the file (at most
 * KHOFMT_IMAGE_MAX_FILE bytes); at most @max_size decompressed bytes
 * (default KHOFMT_IMAGE_MAX_SIZE, 512 MiB) are scanned, streamed through a
 * 1 MiB window: memory stays a few MiB whatever the image says. An image
 * that ends early, is corrupt or decompresses beyond the bound fails with a
 * negative code and a message: never a guess.
 *
 * Included by khofmt.h; not meant to be included on its own.
 */
/*
 * khofmt.h first, outside the guard: it declares what this header uses
 * and includes every area header in order, this one too.
 */
#include "khofmt.h"

#ifndef KHOFMT_IMAGE_H
#define KHOFMT_IMAGE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Largest image file read (a distribution vmlinuz is 10-40 MiB). */
#define KHOFMT_IMAGE_MAX_FILE (256ull << 20)
/* Default bound of the decompressed bytes scanned. */
#define KHOFMT_IMAGE_MAX_SIZE (512ull << 20)

enum khofmt_image_format {
	KHOFMT_IMAGE_UNKNOWN = 0,
	KHOFMT_IMAGE_BZIMAGE,    /* x86 bzImage: setup header, compressed payload */
	KHOFMT_IMAGE_ARM64,      /* arm64 Image ("ARM\x64" at 0x38), raw */
	KHOFMT_IMAGE_ZBOOT,      /* EFI zboot: PE with the "zimg" header */
	KHOFMT_IMAGE_COMPRESSED, /* a compressed file (Image.gz): see inner */
	KHOFMT_IMAGE_ELF,        /* vmlinux (or a module) as ELF */
	KHOFMT_IMAGE_RAW,        /* anything else, scanned as it is */
};

enum khofmt_image_comp {
	KHOFMT_COMP_NONE = 0,
	KHOFMT_COMP_GZIP,
	KHOFMT_COMP_XZ,
	KHOFMT_COMP_LZMA,
	KHOFMT_COMP_ZSTD,
	KHOFMT_COMP_LZ4,   /* the kernel's legacy LZ4 framing */
	KHOFMT_COMP_BZIP2,
	KHOFMT_COMP_LZO,   /* recognised, not decoded (no library): -UNSUPPORTED */
};

/* "bzImage", "arm64-Image", "zboot", "compressed", "elf", "raw", "unknown" */
KHOFMT_API const char *khofmt_image_format_name(enum khofmt_image_format f);
/* "none", "gzip", "xz", "lzma", "zstd", "lz4", "bzip2", "lzo" */
KHOFMT_API const char *khofmt_image_comp_name(enum khofmt_image_comp c);

/* A string to look for, and the module that may carry it instead. */
struct khofmt_image_want {
	const char *str;     /* exact literal (NUL-terminated in the image) */
	const char *module;  /* module name ("test_kho") or NULL */
};

struct khofmt_image_opts {
	size_t sz;                 /* sizeof(struct khofmt_image_opts) */
	uint64_t max_size;         /* decompressed bytes scanned; 0 = default */
	const char *sysroot;       /* modules below SYSROOT/lib/modules/RELEASE;
				      NULL = no module lookup, "" = "/" */
	const struct khofmt_image_want *wants; /* strings to look for */
	size_t nwants;
};

struct khofmt_image_info {
	enum khofmt_image_format format;
	enum khofmt_image_format inner; /* what the payload turned out to be */
	enum khofmt_image_comp comp;
	char comp_declared[33];  /* zboot: the header's compression type */
	uint64_t file_size;
	uint64_t payload_off;    /* compressed payload inside the file */
	uint64_t payload_len;
	uint64_t scanned;        /* bytes scanned (after decompression) */
	uint16_t boot_protocol;  /* bzImage: setup header version */
	char release[65];        /* from "Linux version RELEASE ...", "" if none */
	char banner[256];        /* that line, printable ASCII only */
	unsigned char file_sha256[32]; /* of the whole file (the stamp's) */
	char machine[16];        /* "x86_64" (bzImage, ELF), "arm64" (Image
				    header, ELF), "" when the image does not say */
	unsigned page_shift;     /* the image's PAGE_SHIFT: 12 for x86, an arm64
				    Image header's page-size flags (12, 14, 16);
				    0 when the image does not say */
};

struct khofmt_image;

/**
 * khofmt_image_open() - read and scan a kernel image
 * @path:   the file given to kexec
 * @opts:   bounds, the strings to look for, the module sysroot (may be NULL)
 * @out:    the result
 * @errbuf: receives a detail on failure (may be NULL)
 * @errlen: its size
 *
 * Returns 0, or -KHOFMT_ERR_IO, -KHOFMT_ERR_TRUNCATED (payload or stream
 * cut short), -KHOFMT_ERR_STRUCT (corrupt stream, header pointing outside
 * the file), -KHOFMT_ERR_UNSUPPORTED (LZO, an unknown zboot compression),
 * -KHOFMT_ERR_LIMIT (file or decompressed size beyond the bounds),
 * -KHOFMT_ERR_COMPAT (no "Linux version" banner: not a kernel),
 * -KHOFMT_ERR_NOMEM, -KHOFMT_ERR_INVAL.
 */
KHOFMT_API int khofmt_image_open(const char *path,
				 const struct khofmt_image_opts *opts,
				 struct khofmt_image **out,
				 char *errbuf, size_t errlen);
/* The same on bytes in memory (tests, fuzzing); they are not kept. */
KHOFMT_API int khofmt_image_open_mem(const void *buf, size_t len,
				     const struct khofmt_image_opts *opts,
				     struct khofmt_image **out,
				     char *errbuf, size_t errlen);
KHOFMT_API void khofmt_image_free(struct khofmt_image *img);
KHOFMT_API const struct khofmt_image_info *
khofmt_image_info(const struct khofmt_image *img);

enum khofmt_image_where {
	KHOFMT_IMAGE_ABSENT = 0,  /* neither in the image nor in a module */
	KHOFMT_IMAGE_IN_KERNEL,   /* in the kernel image */
	KHOFMT_IMAGE_IN_MODULE,   /* in a module of the image's release */
};

/*
 * Where @str (one of opts->wants) was found; @module receives the
 * module's path (below the sysroot) when IN_MODULE, else NULL. A string
 * that was not asked for is ABSENT.
 */
KHOFMT_API enum khofmt_image_where
khofmt_image_lookup(const struct khofmt_image *img, const char *str,
		    const char **module);

/*
 * The versioned KHO strings the image carries, whether asked for or not:
 * "kho-v4", "luo-v5", "memfd-v2", "memblock-v1", "reserve-mem-v1",
 * "kho-test-v1", "luo-session-v2", ... (the stems of doc/ABI.md, each
 * followed by "-v" and digits). Sorted, no duplicates.
 */
KHOFMT_API size_t khofmt_image_ntokens(const struct khofmt_image *img);
KHOFMT_API const char *khofmt_image_token(const struct khofmt_image *img,
					  size_t i);
/*
 * The tokens of the stem of @versioned ("luo-v5" -> "luo"), joined by
 * ", " into @buf ("" when none). Returns the number of tokens.
 */
KHOFMT_API size_t khofmt_image_family(const struct khofmt_image *img,
				      const char *versioned, char *buf,
				      size_t len);

/* ------------------------------------------------------------------ */
/* The outgoing state against an image                                 */
/* ------------------------------------------------------------------ */

enum khofmt_compat_kind {
	KHOFMT_COMPAT_ROOT = 1,  /* the root FDT's compatible */
	KHOFMT_COMPAT_SUBNODE,   /* a subnode: name + its blob's format */
	KHOFMT_COMPAT_REGION,    /* a reserve_mem region of memblock */
	KHOFMT_COMPAT_LUO_FILE,  /* one LUO file handler (all its files) */
	KHOFMT_COMPAT_LUO_FLB,   /* one LUO FLB */
};

enum khofmt_compat_verdict {
	KHOFMT_COMPAT_READS = 1, /* the image carries what the state writes */
	KHOFMT_COMPAT_LOST,      /* it does not: the new kernel drops this */
	KHOFMT_COMPAT_UNKNOWN,   /* the state could not be read here */
};

struct khofmt_compat_row {
	enum khofmt_compat_kind kind;
	char subnode[64];       /* subnode name ("" for the root) */
	char what[96];          /* "root", "LUO", "memfd-v2 files", ... */
	char writes[64];        /* what the state writes: "kho-v4", ... */
	char name_needed[64];   /* the subnode name the image must know, or "" */
	enum khofmt_compat_verdict verdict;
	enum khofmt_image_where where; /* of @writes (after judge) */
	const char *module;     /* path when IN_MODULE */
	char reads[128];        /* the image's strings of that family */
	uint64_t count;         /* sessions, files, regions covered */
	uint64_t bytes;         /* their bytes where known, else 0 */
	char detail[160];       /* UNKNOWN: why; else a note or "" */
	char lost[200];         /* LOST: what the new kernel drops */
	int parent;             /* row index whose loss implies this one's, -1 */
};

/* A subnode's blob (khoctl: from memory or a capture's blob file). */
typedef int (*khofmt_compat_blob_cb)(void *arg,
				     const struct khofmt_subnode *sn,
				     void **buf, size_t *len);

struct khofmt_compat;

/**
 * khofmt_compat_collect() - the rows of what the outgoing state writes
 * @fdt:   the root FDT
 * @src:   the memory source (NULL: LUO files and FLBs are UNKNOWN)
 * @blob:  blob reader; NULL = khofmt_subnode_blob_read(@src)
 * @arg:   its argument
 * @page_shift: the producer's page shift (0 = 12)
 * @out:   the rows (judge them with khofmt_compat_judge())
 *
 * Returns 0, -KHOFMT_ERR_NOMEM or -KHOFMT_ERR_INVAL. Blobs that cannot be
 * read or decoded give UNKNOWN rows, not an error.
 */
KHOFMT_API int khofmt_compat_collect(struct khofmt_fdt *fdt,
				     struct khofmt_source *src,
				     khofmt_compat_blob_cb blob, void *arg,
				     unsigned page_shift,
				     struct khofmt_compat **out);
KHOFMT_API void khofmt_compat_free(struct khofmt_compat *c);
/* The strings to look for in the image (for khofmt_image_opts). */
KHOFMT_API const struct khofmt_image_want *
khofmt_compat_wants(const struct khofmt_compat *c, size_t *n);
/*
 * Fill verdict, where, reads and lost of every row against @img. Returns
 * the number of LOST rows (0: everything is read), UNKNOWN rows are
 * counted by khofmt_compat_unknown().
 */
KHOFMT_API int khofmt_compat_judge(struct khofmt_compat *c,
				   const struct khofmt_image *img);
KHOFMT_API size_t khofmt_compat_nrows(const struct khofmt_compat *c);
KHOFMT_API const struct khofmt_compat_row *
khofmt_compat_row(const struct khofmt_compat *c, size_t i);
KHOFMT_API size_t khofmt_compat_unknown(const struct khofmt_compat *c);
/* "reads", "lost", "unknown" */
KHOFMT_API const char *khofmt_compat_verdict_name(enum khofmt_compat_verdict v);
/* "root", "subnode", "region", "luo-file", "luo-flb" */
KHOFMT_API const char *khofmt_compat_kind_name(enum khofmt_compat_kind k);
/* "kernel", "module", "absent" */
KHOFMT_API const char *khofmt_image_where_name(enum khofmt_image_where w);

#ifdef __cplusplus
}
#endif

#endif /* KHOFMT_IMAGE_H */
