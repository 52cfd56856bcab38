/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkhofmt - KHO generations: which one a handover is, which variant of
 * it was assumed and why (doc/ABI.md 0.3, 4.1.1, 4.2.5, 4.3;
 * kho-versions.md "Decoder dispatch").
 *
 * Generations and their trackers:
 *  - RFC (2023-24, never merged): root compatible "kho-v1", no
 *    `preserved-memory-map`, `mem` properties (arrays of native
 *    {u64 addr, u64 len}) on any node at any depth;
 *  - kho-v1 (6.16 .. 7.0): chunk list; bitmaps of 512 bytes (E1a: 6.16,
 *    early 6.17.y) or one page (E1b: later 6.17.y, 6.18 .. 7.0) under the
 *    same compatible;
 *  - kho-v2 (7.1 merge window), kho-v3 (7.1), kho-v4 (7.2, 7.3): radix
 *    tree; kho-v2 with 16 KiB pages used one level less (4.1.1).
 *
 * The producer release (`producer` in struct khofmt_open_opts, e.g.
 * "6.16", "6.17.9", "7.2.13") settles what the data cannot say; without it
 * the doc/ABI.md 4.2.5 heuristic decides and says so.
 */
/*
 * khofmt.h first, outside the guard: it declares what this header uses
 * and includes every area header in order, this one too.
 */
#include "khofmt.h"

#ifndef KHOFMT_GEN_H
#define KHOFMT_GEN_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Variant of a generation the decoder (or encoder) uses. */
enum khofmt_variant {
	KHOFMT_VARIANT_NONE = 0,    /* the generation has a single form */
	KHOFMT_VARIANT_E1A,         /* kho-v1, 512-byte (4096-bit) bitmaps */
	KHOFMT_VARIANT_E1B,         /* kho-v1, P-byte (P*8-bit) bitmaps */
	KHOFMT_VARIANT_RADIX,       /* radix, 7.2 depth formula (KEY_BITS) */
	KHOFMT_VARIANT_RADIX_EARLY, /* radix, first-E2 depth (ORDER0_BIT) */
};

/* How the variant was chosen. */
enum khofmt_basis {
	KHOFMT_BASIS_NONE = 0,    /* nothing to choose */
	KHOFMT_BASIS_CALLER,      /* given explicitly (variant / radix_depth) */
	KHOFMT_BASIS_PRODUCER,    /* from the producer release */
	KHOFMT_BASIS_GENERATION,  /* implied by the compatible string */
	KHOFMT_BASIS_EVIDENCE,    /* the data proves it (4.2.5 rules 2, 3) */
	KHOFMT_BASIS_ASSUMED,     /* no evidence either way: the default */
};

/*
 * What a handover was decoded as. Owned by the handover; fields may be
 * added at the end.
 */
struct khofmt_variant_info {
	enum khofmt_abi abi;          /* generation decoded */
	enum khofmt_variant variant;
	enum khofmt_basis basis;
	const char *name;             /* "E0", "E1a", "E1b", "E2", "E3", "E4" */
	unsigned bitmap_bytes;        /* kho-v1: bytes per bitmap, else 0 */
	unsigned radix_depth;         /* radix: levels incl. the leaf, else 0 */
	/*
	 * The caller's variant or producer contradicts what the data shows
	 * (a doc/ABI.md 4.2.5 hazard); the walks report it as a problem.
	 */
	bool conflict;
	const char *reason;           /* one line: why this variant */
};

/* The variant a handover uses; never NULL for a valid handover. */
KHOFMT_API const struct khofmt_variant_info *
khofmt_handover_variant(const struct khofmt_handover *h);

/* "E1a", "E1b", "radix", "radix-early" or "none". */
KHOFMT_API const char *khofmt_variant_name(enum khofmt_variant v);
/* "caller", "producer", "generation", "evidence", "assumed" or "none". */
KHOFMT_API const char *khofmt_basis_name(enum khofmt_basis b);

/*
 * The generation registry (since 0.4): one entry per generation this build
 * reads and writes, oldest first. Entry @i is the generation whose enum
 * khofmt_abi value is @i + 1: KHOFMT_ABI_RFC .. KHOFMT_ABI_V4 keep their
 * values, and a newer generation needs no constant of its own (it is the
 * value khofmt_abi_parse() returns for its name, or its position + 1).
 */
struct khofmt_gen_info {
	const char *name;        /* "kho-v4": output, --abi */
	const char *short_name;  /* "v4": --abi */
	const char *compatible;  /* root compatible ("kho-v1" for RFC too) */
	const char *tracker;     /* "radix", "chunk" or "rfc-mem" */
	const char *blob_ptr;    /* subnode property with the blob's address
				  * ("preserved-data", "fdt"); NULL: none (RFC) */
	bool has_size;           /* subnodes carry `blob-size` */
	const char *what;        /* one line for people: "7.2, 7.3" */
};

/* Number of generations (the largest enum khofmt_abi value). */
KHOFMT_API size_t khofmt_gen_count(void);
/* The entry of @abi; NULL for KHOFMT_ABI_UNKNOWN or past the end. */
KHOFMT_API const struct khofmt_gen_info *khofmt_gen_info(enum khofmt_abi abi);

/*
 * Parse a generation name as khoctl takes it: an entry's name or short
 * name ("kho-v4", "v4", "kho-rfc", "rfc"). KHOFMT_ABI_UNKNOWN if none.
 */
KHOFMT_API enum khofmt_abi khofmt_abi_parse(const char *s);

/*
 * Check a producer release string: "MAJOR.MINOR[.PATCH]" with an optional
 * "-suffix" or "+..." after it ("6.16", "6.17.9", "7.2.13-1"). 0 or
 * -KHOFMT_ERR_INVAL.
 */
KHOFMT_API int khofmt_producer_parse(const char *s, unsigned *major,
				     unsigned *minor, int *patch);

/*
 * The variant a producer release wrote for @abi: for kho-v1, E1a up to
 * 6.16 and 6.17.0..8, E1b from 6.17.9 (the exact stable release is
 * unverified, doc/ABI.md 11, question 1) and 6.18 on. KHOFMT_VARIANT_NONE
 * when the release does not tell (NULL, "6.17" without a patch level, not
 * a release) or @abi has one form.
 */
KHOFMT_API enum khofmt_variant khofmt_producer_variant(enum khofmt_abi abi,
						       const char *producer);

/*
 * How khofmt_fdt_open() chose the generation (one line), e.g.
 * "compatible \"kho-v1\", no preserved-memory-map, `mem` at /ftrace: RFC".
 */
KHOFMT_API const char *khofmt_fdt_abi_reason(const struct khofmt_fdt *fdt);

/*
 * Byte length of a subnode's blob: `blob-size` (kho-v3/v4), or for kho-v1
 * the `totalsize` of the sub-FDT read from the memory source.
 * Returns 1 with @len set, 0 when the generation carries no length
 * (kho-v2, RFC) or the property is missing, or a negative error (the
 * kho-v1 blob is not covered or not an FDT).
 */
KHOFMT_API int khofmt_handover_blob_size(struct khofmt_handover *h,
					 const struct khofmt_subnode *sn,
					 uint64_t *len);

/*
 * khofmt_geom_infer() - the producer's page size, from the data
 * @fdt, @src: the state, as for khofmt_handover_open()
 * @opts: generation options (abi, producer, radix_depth) used for every
 *        candidate; its page_shift, when set, is only the fallback
 * @g:    the answer
 *
 * Decodes the tracker under 4, 16 and 64 KiB pages and keeps the page
 * size under which it decodes without a problem; when several do, the one
 * under which the subnode blobs are page-aligned and preserved. Returns 0
 * with @g->page_shift set (basis EVIDENCE, or ASSUMED when no candidate
 * decodes, or when every one reads the same entries), 1 when the data
 * cannot tell (@g->page_shift 0: give it explicitly), or a negative error.
 */
struct khofmt_geom_guess {
	unsigned page_shift;      /* 12, 14 or 16; 0 when ambiguous */
	enum khofmt_basis basis;  /* EVIDENCE or ASSUMED */
	unsigned consistent;      /* bit N set: page shift N decodes */
	char reason[320];         /* one line: why */
};

KHOFMT_API int khofmt_geom_infer(struct khofmt_fdt *fdt,
				 struct khofmt_source *src,
				 const struct khofmt_open_opts *opts,
				 struct khofmt_geom_guess *g);

#ifdef __cplusplus
}
#endif

#endif /* KHOFMT_GEN_H */
