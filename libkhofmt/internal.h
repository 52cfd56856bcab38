/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkhofmt internals shared between the fdt, tracker, walk and encoder
 * files. Not installed.
 */
#ifndef KHOFMT_INTERNAL_H
#define KHOFMT_INTERNAL_H

#include <endian.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "khofmt.h"

#define ERRMSG_LEN 256

/*
 * Option structs, one policy (libbpf's OPTS_VALID): every public options
 * struct starts with `size_t sz`, set by the caller to sizeof() of its own
 * definition. Smaller than @min (the struct's first released size) or
 * than a size_t: -KHOFMT_ERR_INVAL. Between @min and the size this
 * library knows: an older caller, the fields past sz keep their defaults
 * (KHOFMT_OPTS_HAS). Larger: a newer caller, and every byte this library
 * does not know must be zero, else -KHOFMT_ERR_OPTS (a request it cannot
 * honour is refused, never dropped). NULL options are valid.
 */
int khofmt_opts_check(const void *opts, size_t min, size_t known);
#define KHOFMT_OPTS_VALID(opts, min) \
	khofmt_opts_check((opts), (min), sizeof(*(opts)))
#define KHOFMT_OPTS_HAS(opts, type, m) \
	((opts) && (opts)->sz >= offsetof(type, m) + sizeof((opts)->m))

#include "grow.h"

/* Unaligned-safe native-endian (little-endian on every KHO producer) loads. */
static inline uint64_t ld_le64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/*
 * Index of the first non-zero 8-byte word of @p[i, n), or n: 64 bytes
 * (a cache line) at a time while they are all zero, so that sparse tables
 * and leaves cost a fraction of a cycle per empty word. Byte order does
 * not matter for a zero test.
 */
static inline size_t skip_zero_words(const unsigned char *p, size_t i,
				     size_t n)
{
	for (; i < n && (i & 7); i++)
		if (ld_le64(p + 8 * i))
			return i;
#if defined(__SSE2__)
	/* two lines a turn: eight 16-byte ORs and one compare (baseline SSE2) */
	for (; i + 16 <= n; i += 16) {
		const __m128i *q = (const __m128i *)(const void *)(p + 8 * i);
		__m128i a = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(q),
						      _mm_loadu_si128(q + 1)),
					 _mm_or_si128(_mm_loadu_si128(q + 2),
						      _mm_loadu_si128(q + 3)));
		__m128i b = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(q + 4),
						      _mm_loadu_si128(q + 5)),
					 _mm_or_si128(_mm_loadu_si128(q + 6),
						      _mm_loadu_si128(q + 7)));

		if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(a, b),
						     _mm_setzero_si128())) != 0xffff)
			break;
	}
#endif
	for (; i + 8 <= n; i += 8) {
		const unsigned char *q = p + 8 * i;

		if ((ld_le64(q) | ld_le64(q + 8) | ld_le64(q + 16) |
		     ld_le64(q + 24)) | (ld_le64(q + 32) | ld_le64(q + 40) |
		     ld_le64(q + 48) | ld_le64(q + 56)))
			break;
	}
	for (; i < n; i++)
		if (ld_le64(p + 8 * i))
			return i;
	return n;
}

static inline uint32_t ld_le32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline void st_le64(void *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

/* x mod 2^shift, for any shift (spans of high orders pass 2^64). */
static inline uint64_t low_bits(uint64_t x, unsigned shift)
{
	return shift >= 64 ? x : x & ((UINT64_C(1) << shift) - 1);
}

void khofmt_setmsg(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- root FDT ---- */

struct khofmt_fdt {
	void *blob;		/* totalsize bytes, 8-byte aligned copy */
	size_t len;
	unsigned flags;		/* KHOFMT_FDT_* */
	enum khofmt_abi abi;
	char *compatible;	/* first string of the root compatible list */
	bool has_map;
	uint64_t map;
	struct khofmt_subnode *sub;
	size_t nsub;
	char abi_reason[ERRMSG_LEN];	/* how the generation was chosen */
};

/* ---- set of page addresses (cycle / shared-node detection) ---- */

/*
 * Open addressing on page addresses, 0 = empty (pa 0 kept aside). The
 * first PAGESET_INLINE / 2 pages live in the set itself (no allocation, a
 * small tree's walk costs no calloc); beyond that the table is on the heap,
 * doubled as pages are added: its size follows the pages actually added,
 * never a count the input claims. No pointer into the set itself, so a set
 * may be copied while inline.
 */
#define PAGESET_INLINE 32

struct pageset {
	uint64_t *slot;		/* the heap table, or NULL while inline */
	size_t cap, n;		/* cap 0: the inline table (PAGESET_INLINE) */
	bool has_zero;
	uint64_t inl[PAGESET_INLINE];	/* zeroed by the first add */
};

void khofmt_pageset_init(struct pageset *s);
void khofmt_pageset_free(struct pageset *s);
/* 1 if added, 0 if already present, negative error. */
int khofmt_pageset_add(struct pageset *s, uint64_t pa);


/* ---- tracker generations ---- */

/* Count @n entries of @order spanning [lo, end) into @st (walk.c). */
void khofmt_stats_add(struct khofmt_stats *st, uint64_t n, unsigned order,
		      unsigned page_shift, uint64_t lo, uint64_t end);

/*
 * A stream of preserved runs of one order, in ascending address order:
 * next() gives 0 with a run, 1 at the end, or a negative error.
 */
struct order_stream;

/*
 * What a tracker's checking pass learnt that its streams can share (an
 * index of its leaves): orders bit o set when order o may have entries.
 * The tracker's private index starts with this header.
 */
struct tracker_index {
	uint64_t orders;
};

/* One run of preserved bytes, as streams hand them out in batches. */
struct tracker_run {
	uint64_t start, len;
};

struct tracker_ops {
	const char *name;
	/* Structural check of every node; problems through opts. */
	int (*check)(struct khofmt_handover *h,
		     const struct khofmt_walk_opts *opts);
	int (*walk_folios)(struct khofmt_handover *h,
			   const struct khofmt_walk_opts *opts,
			   khofmt_folio_cb cb, void *arg);
	int (*stats)(struct khofmt_handover *h,
		     const struct khofmt_walk_opts *opts,
		     struct khofmt_stats *st);
	int (*walk_nodes)(struct khofmt_handover *h,
			  const struct khofmt_walk_opts *opts,
			  khofmt_node_cb cb, void *arg);
	int (*stream_open)(struct khofmt_handover *h, unsigned order,
			   struct order_stream **out);
	int (*stream_next)(struct order_stream *s, uint64_t *start,
			   uint64_t *len);
	void (*stream_close)(struct order_stream *s);
	/*
	 * Optional batch form of stream_next (NULL: walk.c falls back to
	 * stream_next): up to @max (> 0) runs in address order, touching runs
	 * already coalesced; returns how many (0 = end) or a negative error.
	 */
	int (*stream_fill)(struct order_stream *s, struct khofmt_range *runs,
			   size_t max);
	/*
	 * Optional: check() that also builds an index for the streams
	 * (freed with index_close), and a stream_open that uses it instead
	 * of walking the tree's tables again. Streams of one index see the
	 * tree once: a page reported as shared is followed at its first
	 * place only.
	 */
	int (*index_open)(struct khofmt_handover *h,
			  const struct khofmt_walk_opts *opts,
			  struct tracker_index **out);
	void (*index_close)(struct tracker_index *ix);
	int (*stream_open_ix)(struct khofmt_handover *h,
			      const struct tracker_index *ix, unsigned order,
			      struct order_stream **out);
	/*
	 * Point query: is (@phys, @order) an entry? 1 yes, 0 no (also for a
	 * key the generation cannot represent), negative when the tracker
	 * cannot be read on the way. Cost bounded by the tracker, never by
	 * the span an entry claims.
	 */
	int (*has_entry)(struct khofmt_handover *h, uint64_t phys,
			 unsigned order);
};

extern const struct tracker_ops khofmt_radix_ops;
extern const struct tracker_ops khofmt_chunk_ops;	/* tracker_chunk.c */
extern const struct tracker_ops khofmt_rfc_ops;	/* tracker_rfc.c */

/* ---- the generation registry (generations.c) ---- */

enum gen_tracker { GEN_TRACKER_RFC, GEN_TRACKER_CHUNK, GEN_TRACKER_RADIX };

struct gen_desc {
	/* name, compatible, tracker, blob pointer, blob-size (public part) */
	struct khofmt_gen_info info;
	bool has_map;			/* root preserved-memory-map */
	bool map_zero_ok;		/* map 0 = nothing preserved */
	bool root_one_page;		/* producer writes the root in a page */
	bool range_entries;		/* entries are byte ranges, not orders */
	bool blobs_are_fdts;		/* every blob is a sub-FDT */
	/* geometry: the tracker kind and, for radix, the depth rule */
	enum gen_tracker tracker;
	bool radix_early_depth;		/* first radix commit: ORDER0 formula */
	bool radix_depth_unverified;	/* 7.2 formula assumed, not verified */
	const char *variant_name;	/* radix: "E2".."E4" */
	const struct tracker_ops *ops;
};

const struct gen_desc *khofmt_gen_at(size_t i);
/* The enum khofmt_abi value of a row: its position + 1. */
enum khofmt_abi khofmt_gen_abi(const struct gen_desc *g);
/* The row of @abi, NULL for KHOFMT_ABI_UNKNOWN (or a future value). */
const struct gen_desc *khofmt_gen(enum khofmt_abi abi);
const struct gen_desc *khofmt_gen_by_compatible(const char *compat);

/* Point query through the generation's tracker ops (handover.c). */
int khofmt_has_entry(struct khofmt_handover *h, uint64_t phys,
		     unsigned order);

struct khofmt_handover {
	struct khofmt_fdt *fdt;
	struct khofmt_source *src;
	struct khofmt_geom geom;
	enum khofmt_abi abi;
	const struct tracker_ops *ops;
	uint64_t root;		/* tracker root (radix) / first chunk */
	char errmsg[ERRMSG_LEN];
	struct khofmt_variant_info variant;	/* gen.c */
	char variant_reason[ERRMSG_LEN];
	char conflict_msg[ERRMSG_LEN];	/* variant.conflict: the detail */
	void *tdata;		/* tracker-private state (RFC: its ranges) */
	void (*tdata_free)(void *tdata);
	void *qix;		/* tracker-private point-query index */
	void (*qix_free)(void *qix);
};

/*
 * kho-v1: choose E1a/E1b (doc/ABI.md 4.2.5) from the caller's variant,
 * the producer release or the chunk list itself; fills h->variant.
 */
int khofmt_chunk_choose(struct khofmt_handover *h, unsigned variant,
			const char *producer);
/* Radix: the depth formula (gen.c); fills h->variant, may set geom.depth. */
int khofmt_radix_choose(struct khofmt_handover *h, unsigned depth,
			unsigned variant);
/* Levels of the first kho-v2 commit's radix tree (ORDER0_BIT formula). */
unsigned khofmt_geom_early_depth(const struct khofmt_geom *g);
/* RFC: collect the `mem` ranges of the FDT into h->tdata. */
int khofmt_rfc_load(struct khofmt_handover *h);

#define H_ERR(h, code, ...) \
	(khofmt_setmsg((h)->errmsg, sizeof((h)->errmsg), __VA_ARGS__), -(code))

/*
 * Report a problem: with a problem callback, tell it and return 0 (go on)
 * or 1 (callback asked to stop); without one, return -err (stop).
 */
int khofmt_report(struct khofmt_handover *h,
		  const struct khofmt_walk_opts *opts, int err,
		  unsigned level, uint64_t node_pa, uint64_t index,
		  uint64_t value, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/*
 * khofmt_walk_ranges() that also tells @ovl about every run of one order
 * overlapping memory already covered by runs of other orders: the
 * overlapping part [start, start+size), the run's order and the start of
 * the coalesced range it falls into. Non-zero from @ovl stops.
 */
typedef int (*overlap_cb)(void *arg, uint64_t start, uint64_t size,
			  unsigned order, uint64_t range_start);
int khofmt_walk_ranges_overlap(struct khofmt_handover *h,
			const struct khofmt_walk_opts *opts,
			khofmt_ranges_cb cb, void *arg,
			overlap_cb ovl, void *ovl_arg);

#endif /* KHOFMT_INTERNAL_H */
