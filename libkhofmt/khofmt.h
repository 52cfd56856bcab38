/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkhofmt - read, check and write Kexec HandOver (KHO) state.
 *
 * Data path: a memory source (ELF core, raw image, in-memory image) ->
 * the root FDT (generation, memory-map pointer, subnodes) -> the
 * preserved-memory tracker (radix tree for kho-v2..v4) -> folios, coalesced
 * ranges and counts.
 *
 * Conventions (libfdt style):
 *  - functions return >= 0 on success or a negative -KHOFMT_ERR_* code;
 *    khofmt_strerror() names a code;
 *  - objects that can fail in interesting ways keep a human-readable
 *    detail of their last error (which address, which level):
 *    khofmt_source_errmsg(), khofmt_handover_errmsg(), ...;
 *  - the library never prints, never exits and has no global state;
 *  - every physical address read goes through khofmt_source_read() /
 *    khofmt_source_ptr(), which check coverage and overflow.
 */
#ifndef KHOFMT_H
#define KHOFMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KHOFMT_API __attribute__((visibility("default")))

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

enum khofmt_err {
	KHOFMT_OK = 0,
	KHOFMT_ERR_INVAL,       /* bad argument from the caller */
	KHOFMT_ERR_NOMEM,       /* allocation failed */
	KHOFMT_ERR_IO,          /* open/read/write/mmap failed (errno kept) */
	KHOFMT_ERR_NOTCOVERED,  /* physical address not in the memory source */
	KHOFMT_ERR_TRUNCATED,   /* object shorter than its header says */
	KHOFMT_ERR_BADELF,      /* not a usable ELF core */
	KHOFMT_ERR_BADFDT,      /* FDT fails libfdt's checks */
	KHOFMT_ERR_COMPAT,      /* unknown or missing compatible string */
	KHOFMT_ERR_UNSUPPORTED, /* known generation this build cannot decode */
	KHOFMT_ERR_BADPROP,     /* required property missing or wrong size */
	KHOFMT_ERR_STRUCT,      /* bad structure (misaligned, zero key, ...) */
	KHOFMT_ERR_BADKEY,      /* tracker bit decodes to an impossible entry */
	KHOFMT_ERR_LOOP,        /* cycle or page shared between tree nodes */
	KHOFMT_ERR_LIMIT,       /* a safety limit was reached */
	KHOFMT_ERR_OVERLAP,     /* overlapping objects where none may overlap */
	KHOFMT_ERR_INTERNAL,    /* a bug in libkhofmt */
	KHOFMT_ERR_OPTS,        /* option struct with unknown non-zero fields (since 0.3) */
	KHOFMT_ERR_MAX
};

/* Name of an error code; accepts the code or its negation. */
KHOFMT_API const char *khofmt_strerror(int err);

/* Library version string ("0.1.0"). */
KHOFMT_API const char *khofmt_version(void);

/*
 * Length (2 to 4) of the valid UTF-8 multi-byte sequence at @s, or 0 (an
 * ASCII byte, an invalid or overlong sequence, a surrogate, a code point
 * above U+10FFFF, or a sequence cut by the terminating NUL). Names read
 * from a dump are checked with it before they are printed or put in JSON.
 */
KHOFMT_API size_t khofmt_utf8_len(const char *s);

/**
 * khofmt_read_file() - read a whole file of at most @max bytes
 * @path: the file (regular, or a /proc or debugfs file of unknown size)
 * @max:  refuse files larger than this (-KHOFMT_ERR_LIMIT)
 * @buf:  receives a malloc'd buffer with a NUL after the last byte
 * @len:  receives the number of bytes read
 *
 * Returns 0, -KHOFMT_ERR_IO (errno kept; EISDIR for a directory),
 * -KHOFMT_ERR_LIMIT or -KHOFMT_ERR_NOMEM.
 */
KHOFMT_API int khofmt_read_file(const char *path, size_t max, void **buf,
				size_t *len);

/* ------------------------------------------------------------------ */
/* Memory sources: "read N bytes at physical address P"                */
/* ------------------------------------------------------------------ */

struct khofmt_source;

/* One physically contiguous covered range. */
struct khofmt_range {
	uint64_t start; /* physical address */
	uint64_t size;  /* bytes */
};

enum khofmt_source_kind {
	KHOFMT_SOURCE_ELF = 1, /* ELF core: PT_LOAD p_paddr */
	KHOFMT_SOURCE_RAW,     /* raw file placed at a base address */
	KHOFMT_SOURCE_MEM,     /* in-memory image (tests, synth, encoder) */
	KHOFMT_SOURCE_KDUMP,   /* libkdumpfile format (khofmt-dump.h) */
};

/*
 * Open an ELF core (QEMU dump-guest-memory, vmcore, kdump, khoctl synth).
 * Every PT_LOAD with p_filesz > 0 is covered at [p_paddr, p_paddr+p_filesz).
 * The file is mapped read-only. Overlapping segments are rejected.
 */
KHOFMT_API int khofmt_source_open_elf(const char *path,
				      struct khofmt_source **out);
/* Open a raw memory image whose first byte is at physical address @base. */
KHOFMT_API int khofmt_source_open_raw(const char *path, uint64_t base,
				      struct khofmt_source **out);
/* An empty in-memory image. */
KHOFMT_API int khofmt_source_new_mem(struct khofmt_source **out);
/*
 * Add a zero-filled covered range to an in-memory image and return a
 * writable pointer to it (valid until the next add or the free).
 * The range must not overlap an existing one.
 */
KHOFMT_API int khofmt_source_mem_add(struct khofmt_source *src, uint64_t pa,
				     uint64_t size, void **data);
KHOFMT_API void khofmt_source_free(struct khofmt_source *src);

KHOFMT_API enum khofmt_source_kind
khofmt_source_kind(const struct khofmt_source *src);

/*
 * The one checked read primitive: copy @len bytes at @pa into @buf.
 * The range may span adjacent segments. -KHOFMT_ERR_NOTCOVERED if any byte
 * is outside the source (the error detail names the first missing address).
 */
KHOFMT_API int khofmt_source_read(struct khofmt_source *src, uint64_t pa,
				  void *buf, size_t len);
/*
 * Zero-copy variant: a pointer to @len bytes at @pa when they lie inside
 * one segment, else NULL (then use khofmt_source_read()).
 */
KHOFMT_API const void *khofmt_source_ptr(struct khofmt_source *src,
					 uint64_t pa, size_t len);
/* True when [pa, pa+len) is fully covered. */
KHOFMT_API bool khofmt_source_covers(const struct khofmt_source *src,
				     uint64_t pa, uint64_t len);
/* Covered ranges, sorted by address, adjacent segments merged. */
KHOFMT_API const struct khofmt_range *
khofmt_source_ranges(const struct khofmt_source *src, size_t *n);
/* Detail of the last error on this source ("" if none). */
KHOFMT_API const char *khofmt_source_errmsg(const struct khofmt_source *src);

/*
 * Write the covered ranges as an ELF64 ET_CORE file, one PT_LOAD per
 * range (p_paddr = range start, p_vaddr = 0), page-aligned file offsets.
 * @machine is an EM_* value (EM_X86_64 when 0).
 */
KHOFMT_API int khofmt_source_write_elf(struct khofmt_source *src,
				       const char *path, unsigned machine);

/* ------------------------------------------------------------------ */
/* Root FDT                                                            */
/* ------------------------------------------------------------------ */

enum khofmt_abi {
	KHOFMT_ABI_UNKNOWN = 0,
	KHOFMT_ABI_RFC,  /* 2023-24 RFC: `mem` properties, never merged */
	KHOFMT_ABI_V1,   /* kho-v1: 6.16 .. 7.0, chunk list, `fdt` */
	KHOFMT_ABI_V2,   /* kho-v2: radix, `preserved-data` */
	KHOFMT_ABI_V3,   /* kho-v3: 7.1, radix, + `blob-size` */
	KHOFMT_ABI_V4,   /* kho-v4: 7.2 / 7.3 */
};

/* "kho-v4", ...; "unknown" for out-of-range values. */
KHOFMT_API const char *khofmt_abi_name(enum khofmt_abi abi);

struct khofmt_fdt;

enum khofmt_fdt_flags {
	/* Header totalsize is larger than the bytes given (debugfs Q2). */
	KHOFMT_FDT_TRUNCATED = 1u << 0,
	/* Bytes given exceed totalsize (stale tail after removals). */
	KHOFMT_FDT_TRAILING = 1u << 1,
};

/*
 * Check and parse a root KHO FDT. The bytes are copied. A truncated blob
 * (totalsize > len) fails with -KHOFMT_ERR_TRUNCATED. An unknown
 * compatible fails with -KHOFMT_ERR_COMPAT (the string is kept and can be
 * read with khofmt_fdt_compatible()). @errbuf (may be NULL) receives a
 * detail message.
 */
KHOFMT_API int khofmt_fdt_open(const void *blob, size_t len,
			       struct khofmt_fdt **out,
			       char *errbuf, size_t errlen);
KHOFMT_API void khofmt_fdt_free(struct khofmt_fdt *fdt);

KHOFMT_API enum khofmt_abi khofmt_fdt_abi(const struct khofmt_fdt *fdt);
KHOFMT_API const char *khofmt_fdt_compatible(const struct khofmt_fdt *fdt);
KHOFMT_API unsigned khofmt_fdt_flags(const struct khofmt_fdt *fdt);
/* The raw FDT bytes (totalsize long) and their length. */
KHOFMT_API const void *khofmt_fdt_blob(const struct khofmt_fdt *fdt,
				       size_t *len);
/* Value of `preserved-memory-map` (0 if absent, see has_map). */
KHOFMT_API uint64_t khofmt_fdt_map(const struct khofmt_fdt *fdt);
KHOFMT_API bool khofmt_fdt_has_map(const struct khofmt_fdt *fdt);

/* One child of `/` (a "subtree"). */
struct khofmt_subnode {
	const char *name;   /* node name */
	int offset;         /* libfdt node offset inside khofmt_fdt_blob() */
	uint64_t pa;        /* preserved-data (v2+) or fdt (v1); 0 if absent */
	uint64_t size;      /* blob-size (v3+); 0 if absent */
	bool has_pa;        /* pointer property present with 8 bytes */
	bool has_size;      /* blob-size present with 8 bytes */
	bool bad_pa;        /* pointer property present with a wrong size */
	bool bad_size;      /* blob-size present with a wrong size */
	int nprops;         /* properties on the node */
};

KHOFMT_API size_t khofmt_fdt_nsubnodes(const struct khofmt_fdt *fdt);
KHOFMT_API const struct khofmt_subnode *
khofmt_fdt_subnode(const struct khofmt_fdt *fdt, size_t i);
/* Look up a subnode by name; NULL if none. */
KHOFMT_API const struct khofmt_subnode *
khofmt_fdt_subnode_by_name(const struct khofmt_fdt *fdt, const char *name);

/* ------------------------------------------------------------------ */
/* Geometry                                                            */
/* ------------------------------------------------------------------ */

/* Radix-tree constants derived from the producer's PAGE_SHIFT. */
struct khofmt_geom {
	unsigned page_shift; /* PS: 12, 14 or 16 */
	unsigned order0_bit; /* 64 - PS */
	unsigned key_bits;   /* 65 - PS */
	unsigned tbl_log2;   /* log2(P / 8) */
	unsigned leaf_log2;  /* PS + 3 */
	unsigned depth;      /* levels including the leaf */
	unsigned max_order;  /* largest order whose entries fit 2^phys_bits */
	unsigned phys_bits;  /* physical address width checked (52) */
};

/* Fill @g for @page_shift (12/14/16). -KHOFMT_ERR_INVAL otherwise. */
KHOFMT_API int khofmt_geom_init(struct khofmt_geom *g, unsigned page_shift);

/* Radix key of (phys, order); 0 if unrepresentable (bad order/alignment). */
KHOFMT_API uint64_t khofmt_radix_key(const struct khofmt_geom *g,
				     uint64_t phys, unsigned order);
/* Decode a key; -KHOFMT_ERR_BADKEY for zero or too-wide keys. */
KHOFMT_API int khofmt_radix_decode(const struct khofmt_geom *g, uint64_t key,
				   uint64_t *phys, unsigned *order);

/* ------------------------------------------------------------------ */
/* Handover: FDT + memory source + tracker                             */
/* ------------------------------------------------------------------ */

struct khofmt_handover;

struct khofmt_open_opts {
	size_t sz;            /* sizeof(struct khofmt_open_opts) */
	unsigned page_shift;  /* 0 = 12 */
	enum khofmt_abi abi;  /* 0 = from compatible */
	/* Since 0.2 (khofmt-gen.h): older callers pass a smaller sz. */
	const char *producer; /* producer release ("6.16", "7.2.13"); NULL = unknown */
	unsigned variant;     /* enum khofmt_variant; 0 = from producer / data */
	unsigned radix_depth; /* radix levels incl. the leaf; 0 = by generation */
};

/*
 * Tie a checked root FDT to a memory source. Neither is copied nor owned:
 * both must outlive the handover. Fails on an unknown generation.
 */
KHOFMT_API int khofmt_handover_open(struct khofmt_fdt *fdt,
				    struct khofmt_source *src,
				    const struct khofmt_open_opts *opts,
				    struct khofmt_handover **out);
KHOFMT_API void khofmt_handover_free(struct khofmt_handover *h);
KHOFMT_API const char *khofmt_handover_errmsg(const struct khofmt_handover *h);
KHOFMT_API const struct khofmt_geom *
khofmt_handover_geom(const struct khofmt_handover *h);
KHOFMT_API enum khofmt_abi khofmt_handover_abi(const struct khofmt_handover *h);

/*
 * Problems met while walking the tracker. Without a problem callback the
 * first problem ends the walk with its error code. With one, the callback
 * is told and the walk skips the bad node or bit and goes on; the callback
 * returns non-zero to stop.
 */
struct khofmt_problem {
	int err;          /* -KHOFMT_ERR_* */
	unsigned level;   /* tree level (depth-1 = root, 0 = leaf bitmap) */
	uint64_t node_pa; /* the table or leaf page holding the bad entry */
	uint64_t index;   /* entry index in the table / bit in the leaf */
	uint64_t value;   /* pointer or key found */
	const char *msg;  /* human-readable detail */
};
typedef int (*khofmt_problem_cb)(void *arg, const struct khofmt_problem *p);

/* Called once per preserved entry; non-zero return stops the walk. */
typedef int (*khofmt_folio_cb)(void *arg, uint64_t phys, unsigned order);
/* Called once per coalesced physical range; non-zero stops. */
typedef int (*khofmt_range_cb)(void *arg, uint64_t start, uint64_t size);
/* Called with up to a few hundred coalesced ranges at a time; non-zero stops. */
typedef int (*khofmt_ranges_cb)(void *arg, const struct khofmt_range *ranges,
				size_t n);

struct khofmt_walk_opts {
	size_t sz;                    /* sizeof(struct khofmt_walk_opts) */
	khofmt_problem_cb problem;    /* may be NULL */
	void *problem_arg;
};

/*
 * Every preserved (phys, order) entry, in tracker (key) order: ascending
 * address within one order, larger orders first. Returns 0 when the walk
 * completed, the callback's non-zero value if it stopped it, or a negative
 * error.
 */
KHOFMT_API int khofmt_walk_folios(struct khofmt_handover *h,
				  const struct khofmt_walk_opts *opts,
				  khofmt_folio_cb cb, void *arg);
/*
 * Preserved memory as maximal physically contiguous ranges, in ascending
 * address order (entries of all orders merged). Streams: memory use is
 * proportional to the tree depth and the number of orders, not to the
 * number of entries. Overlapping entries are merged into one range.
 */
KHOFMT_API int khofmt_walk_ranges(struct khofmt_handover *h,
				  const struct khofmt_walk_opts *opts,
				  khofmt_range_cb cb, void *arg);
/*
 * The same ranges handed over in batches (n >= 1 per call, in ascending
 * address order across calls): one indirect call per batch for callers
 * that format or copy millions of ranges. Same return values.
 */
KHOFMT_API int khofmt_walk_range_batches(struct khofmt_handover *h,
					 const struct khofmt_walk_opts *opts,
					 khofmt_ranges_cb cb, void *arg);

#define KHOFMT_MAX_ORDERS 64
#define KHOFMT_MAX_LEVELS 8

struct khofmt_stats {
	uint64_t folios;                        /* preserved entries */
	uint64_t pages;                         /* pages they cover */
	uint64_t bytes;                         /* bytes they cover */
	uint64_t per_order[KHOFMT_MAX_ORDERS];  /* entries per order */
	unsigned min_order, max_order;          /* valid when folios > 0 */
	uint64_t lowest, highest_end;           /* address span [lowest, end) */
	uint64_t tracker_pages[KHOFMT_MAX_LEVELS]; /* per level, 0 = leaves */
	uint64_t tracker_total_pages;
	uint64_t tracker_bytes;
	uint64_t empty_leaves;                  /* leaves with no bit set */
};

/* Counts of the tracker (popcount per word; no per-entry callback). */
KHOFMT_API int khofmt_stats(struct khofmt_handover *h,
			    const struct khofmt_walk_opts *opts,
			    struct khofmt_stats *st);

/* Tracker page addresses (tables and leaves), with their level. */
typedef int (*khofmt_node_cb)(void *arg, uint64_t pa, unsigned level);
KHOFMT_API int khofmt_walk_nodes(struct khofmt_handover *h,
				 const struct khofmt_walk_opts *opts,
				 khofmt_node_cb cb, void *arg);

/* ------------------------------------------------------------------ */
/* Encoder                                                             */
/* ------------------------------------------------------------------ */

struct khofmt_enc;

struct khofmt_enc_opts {
	size_t sz;            /* sizeof(struct khofmt_enc_opts) */
	unsigned page_shift;  /* 0 = 12 */
	enum khofmt_abi abi;  /* 0 = KHOFMT_ABI_V4; RFC, V1 .. V4 */
	/*
	 * Where the encoder places its own pages (tracker nodes, the root FDT
	 * page, blobs): a bump allocator over [meta_base, meta_base +
	 * meta_size). Preserved folios added by the caller should avoid it.
	 * 0/0 = 0x1000000 / 256 MiB.
	 */
	uint64_t meta_base;
	uint64_t meta_size;
	/* Since 0.2 (khofmt-gen.h): older callers pass a smaller sz. */
	unsigned variant;     /* kho-v1: KHOFMT_VARIANT_E1A / _E1B (0 = E1b) */
	unsigned radix_depth; /* radix levels; 0 = by generation (kho-v2 16K: early) */
};

KHOFMT_API int khofmt_enc_new(const struct khofmt_enc_opts *opts,
			      struct khofmt_enc **out);
KHOFMT_API void khofmt_enc_free(struct khofmt_enc *enc);
KHOFMT_API const char *khofmt_enc_errmsg(const struct khofmt_enc *enc);

/* Preserve the 2^order pages at @phys (aligned to its size). */
KHOFMT_API int khofmt_enc_add_folio(struct khofmt_enc *enc, uint64_t phys,
				    unsigned order);
/*
 * Preserve the folios of order @order at phys + (i << (page_shift + order))
 * for every set bit i < @nbits of @bits (bit i is bits[i / 64] >> (i % 64)):
 * the same tree as khofmt_enc_add_folio() per set bit, built a leaf at a
 * time (one descent per leaf, not per folio).
 */
KHOFMT_API int khofmt_enc_add_bitmap(struct khofmt_enc *enc, uint64_t phys,
				     unsigned order, const uint64_t *bits,
				     uint64_t nbits);
/*
 * Preserve [phys, phys+size) the way kho_preserve_pages() does: greedy
 * blocks of order min(ctz(pfn), log2(remaining)). Page-aligned.
 */
KHOFMT_API int khofmt_enc_add_range(struct khofmt_enc *enc, uint64_t phys,
				    uint64_t size);
/*
 * Add a subnode @name whose blob holds @len bytes of @data. The blob is
 * copied into freshly allocated, preserved pages in the meta area (like
 * kho_alloc_preserve()); its address is returned in @pa (may be NULL).
 */
KHOFMT_API int khofmt_enc_add_blob(struct khofmt_enc *enc, const char *name,
				   const void *data, size_t len, uint64_t *pa);
/*
 * Add a subnode pointing at a blob the caller placed (or did not place)
 * itself; nothing is written or preserved.
 */
KHOFMT_API int khofmt_enc_add_subnode(struct khofmt_enc *enc,
				      const char *name, uint64_t pa,
				      uint64_t size);
/*
 * Build the root FDT (one page, preserved as an order-0 entry like the
 * kernel does) and hand out the memory image: @src receives the in-memory
 * source holding the tracker pages and blobs (owned by the caller),
 * @fdt/@fdt_len a malloc'd copy of the root FDT (caller frees), @fdt_pa
 * (may be NULL) where the root FDT page sits. The encoder is spent after.
 */
KHOFMT_API int khofmt_enc_finish(struct khofmt_enc *enc,
				 struct khofmt_source **src,
				 void **fdt, size_t *fdt_len,
				 uint64_t *fdt_pa);

#ifdef __cplusplus
}
#endif

/*
 * Per-area API headers (schemas, rules, live sources, ...): one line each,
 * each header installed beside this one.
 */
/* KHOFMT-AREA-HEADERS-BEGIN */
#include "khofmt-gen.h"
#include "khofmt-live.h"
#include "khofmt-verify.h"
#include "khofmt-schema.h"
#include "khofmt-analyze.h"
#include "khofmt-map.h"
#include "khofmt-kexec.h"
#include "khofmt-capture.h"
#include "khofmt-image.h"
#include "khofmt-dump.h"
/* KHOFMT-AREA-HEADERS-END */

#endif /* KHOFMT_H */
