/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkhofmt analyze: what the preserved set of a handover would cost in
 * each tracker encoding that was proposed or shipped, measured with compact
 * in-memory codecs (an encoder fed from the tracker's folio or range
 * stream, a decoder back to coalesced ranges). Included by khofmt.h.
 */
/*
 * khofmt.h first, outside the guard: it declares what this header uses
 * and includes every area header in order, this one too.
 */
#include "khofmt.h"

#ifndef KHOFMT_ANALYZE_H
#define KHOFMT_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * enum khofmt_analyze_kind - the encodings compared
 * @KHOFMT_ANALYZE_PAIRS: RFC `mem` property, big-endian <addr, size> pairs,
 *	16 bytes per coalesced range
 * @KHOFMT_ANALYZE_PACKED: 8 bytes per range: page-aligned address (bits
 *	63..12) | (pages - 1) in bits 11..0; runs longer than 4096 pages split
 * @KHOFMT_ANALYZE_CHUNK_E1A: 6.16 chunk list, 512-byte bitmaps
 * @KHOFMT_ANALYZE_CHUNK_E1B: 6.17.y..7.0 chunk list, page-sized bitmaps
 * @KHOFMT_ANALYZE_RADIX: the kho-v2..v4 radix tree (libkhofmt's encoder)
 * @KHOFMT_ANALYZE_SLICES: sorted list of bitmap-slice instructions (layout
 *	in analyze.c)
 */
enum khofmt_analyze_kind {
	KHOFMT_ANALYZE_PAIRS,
	KHOFMT_ANALYZE_PACKED,
	KHOFMT_ANALYZE_CHUNK_E1A,
	KHOFMT_ANALYZE_CHUNK_E1B,
	KHOFMT_ANALYZE_RADIX,
	KHOFMT_ANALYZE_SLICES,
	KHOFMT_ANALYZE_NKINDS
};

/**
 * struct khofmt_analyze_result - one encoding of the preserved set
 * @bytes: encoded size in bytes
 * @pages: pages the producer would allocate for it (slab-packed for E1a
 *	bitmaps and for the contiguous encodings)
 * @records: ranges (pairs, packed), bitmaps (chunk), tree pages (radix),
 *	slices (slices)
 * @encode_ns: median time to encode from the tracker's stream (CPU time
 *	of the calling thread: a shared machine does not inflate it)
 * @decode_ns: median CPU time to decode back to coalesced ranges
 * @ranges: coalesced ranges the decoder produced
 * @range_bytes: bytes those ranges cover
 * @match: the decoder's ranges equal khofmt_walk_ranges()'s, range by range
 *	(compared through count, bytes and an order-sensitive hash)
 */
struct khofmt_analyze_result {
	uint64_t bytes, pages, records;
	uint64_t encode_ns, decode_ns;
	uint64_t ranges, range_bytes;
	bool match;
};

/**
 * struct khofmt_analysis - the preserved set and its encodings
 * @page_size: producer page size
 * @folios: preserved entries
 * @ranges: coalesced ranges (khofmt_walk_ranges)
 * @bytes: bytes covered by the ranges
 * @pairs_per_folio_bytes: 16 bytes per folio: the RFC form with one pair per
 *	preserved allocation (the seed's "64 MiB" for 4 Mi folios)
 * @enc: one result per enum khofmt_analyze_kind
 */
struct khofmt_analysis {
	uint64_t page_size;
	uint64_t folios, ranges, bytes;
	uint64_t pairs_per_folio_bytes;
	struct khofmt_analyze_result enc[KHOFMT_ANALYZE_NKINDS];
};

/**
 * struct khofmt_analyze_opts - options of khofmt_analyze()
 * @sz: sizeof(struct khofmt_analyze_opts)
 * @runs: timing runs per encode and decode, the median is kept (0 = 1)
 */
struct khofmt_analyze_opts {
	size_t sz;
	unsigned runs;
};

/**
 * khofmt_analyze() - encode the preserved set of @h every way and back
 * @h: an open handover
 * @opts: options (may be NULL)
 * @a: receives the analysis
 *
 * Memory: the largest encoding plus one stream per order. Returns 0 or a
 * negative -KHOFMT_ERR_* (a damaged tracker fails like khofmt_walk_ranges()
 * without a problem callback).
 */
KHOFMT_API int khofmt_analyze(struct khofmt_handover *h,
			      const struct khofmt_analyze_opts *opts,
			      struct khofmt_analysis *a);

/**
 * khofmt_analyze_name() - short name of an encoding ("pairs", "packed",
 * "chunk-e1a", "chunk-e1b", "radix", "slices"); "unknown" if out of range
 * @kind: an enum khofmt_analyze_kind
 */
KHOFMT_API const char *khofmt_analyze_name(enum khofmt_analyze_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* KHOFMT_ANALYZE_H */
