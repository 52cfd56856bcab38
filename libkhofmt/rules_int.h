/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Verify engine internals shared by rules.c and the rules_*.c files.
 * Not installed.
 */
#ifndef KHOFMT_RULES_INT_H
#define KHOFMT_RULES_INT_H

#include "internal.h"
#include "khofmt-verify.h"

/* Rule numbers (the digits of the ID); the table in rules.c is the truth. */
enum {
	R_FDT_INVALID = 1, R_FDT_TRUNC = 2, R_FDT_COMPAT = 3,
	R_FDT_SUBPTR = 4, R_FDT_SUBSIZE = 5, R_FDT_LAYOUT = 6,
	R_FDT_EXTRA = 7, R_FDT_TRAILING = 8, R_FDT_GEN = 9,
	R_MAP_ABSENT = 10, R_MAP_ZERO = 11, R_MAP_ALIGN = 12, R_MAP_RAM = 13,
	R_FDT_BIG = 14,
	R_TRK_ALIGN = 20, R_TRK_MISSING = 21, R_TRK_LOOP = 22,
	R_TRK_KEY = 23, R_TRK_RAM = 24, R_TRK_SCRATCH = 25,
	R_TRK_PRESERVED = 26, R_TRK_OVERHEAD = 27, R_TRK_ORDER = 28,
	R_MEM_OVERLAP = 40, R_MEM_RAM = 41, R_MEM_SCRATCH = 42,
	R_MEM_ORDER0 = 43, R_MEM_FDTPAGE = 44, R_MEM_NORAM = 45,
	R_MEM_RAMINFO = 46, R_MEM_NOSRC = 47,
	R_BLOB_UNPRESERVED = 60, R_BLOB_BEYOND = 61, R_BLOB_UNREADABLE = 62,
	R_BLOB_ZERO = 63, R_BLOB_HUGE = 64, R_BLOB_SUBFDT = 65,
	R_BLOB_FDTSIZE = 66, R_BLOB_LUOMIN = 67, R_BLOB_KMMIN = 68,
	R_BLOB_SAME = 69, R_BLOB_TRACKER = 70, R_BLOB_NOSCHEMA = 71,
	R_SCR_OVERLAP = 80, R_SCR_RAM = 81, R_SCR_ALIGN = 82,
	R_SCR_EMPTY = 83, R_SCR_NONE = 84,
	R_MB_SCHEMA = 100, R_MB_REGION = 101,
	R_KM_FIELDS = 120,
	R_LUO_ROOT = 140, R_LUO_CHAIN = 141, R_LUO_BLOCK = 142,
	R_LUO_SESSION = 143, R_LUO_FILE = 144, R_LUO_FLB = 145,
	R_LUO_START = 146,
	R_MFD_FIELDS = 180, R_MFD_UNPRESERVED = 181, R_MFD_ORDER = 182,
	R_VM_DESC = 183, R_VM_UNPRESERVED = 184,
	R_KT_FIELDS = 200, R_KT_FOLIO = 201,
	R_SD_MAPPING = 220, R_SD_PARSE = 221, R_SD_VERSION = 222,
	R_SD_ENTRY = 223, R_SD_UNPRESERVED = 224, R_SD_SESSION = 225,
	R_SD_UNNAMED = 226,
};

/* A question for the preserved-memory pass: is [start, start+len) covered? */
enum { Q_BLOB, Q_REGION, Q_FDTPAGE };

struct cover_q {
	int kind;               /* Q_* */
	char name[64];          /* subnode or region name */
	uint64_t start, len;
	bool start_covered;     /* start lies in a preserved range */
	uint64_t extent_end;    /* end of that range (when start_covered) */
	uint64_t bytes;         /* Q_BLOB: bytes the blob uses (blob-size or
				 * the sub-FDT's totalsize; 0 unknown) */
};

struct vctx {
	const struct khofmt_verify_opts *o;
	struct khofmt_verify *v;
	const void *blob;
	size_t blob_len;
	struct khofmt_fdt *fdt;       /* NULL when the root FDT is unusable */
	struct khofmt_source *src;    /* may be NULL */
	struct khofmt_handover *h;    /* NULL when the tracker cannot be read */
	unsigned page_shift;
	uint64_t P;
	/* sorted, merged */
	struct khofmt_range *ram;
	size_t nram;
	bool has_ram;
	/* sorted by start, zero-size areas dropped */
	struct khofmt_range *scr;
	size_t nscr;
	bool has_scratch;
	/* tracker pages, sorted (from the node walk) */
	uint64_t *tpages;
	size_t ntpages;
	bool tracker_walked;          /* the preserved-memory pass ran */
	/* coverage questions answered by the preserved-memory pass */
	struct cover_q *q;
	size_t nq, capq;
	int err;                      /* first internal error (NOMEM) */
};

/* Is rule number @num selected (--rule/--skip)? */
bool khofmt_vrule_on(const struct vctx *c, int num);
/*
 * Record a finding of rule @num. @addr_valid says whether addr/size name a
 * physical object; @order < 0 when not meaningful; @obj may be NULL.
 */
void khofmt_vfind(struct vctx *c, int num, bool addr_valid, uint64_t addr,
	   uint64_t size, int order, const char *obj, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
/*
 * Rule @num (if selected) could not run: its input is missing (@why, a
 * static string). Rules in [@num, @last] when @last > @num.
 */
void khofmt_vskip(struct vctx *c, int num, int last, const char *why);
/* Register a coverage question; returns its index or -1 (NOMEM kept). */
long khofmt_vcover_add(struct vctx *c, int kind, const char *name, uint64_t start,
		uint64_t len);

/* [a, a+al) and [b, b+bl) intersect (sizes > 0). */
static inline bool ranges_meet(uint64_t a, uint64_t al, uint64_t b,
			       uint64_t bl)
{
	return a < b + bl && b < a + al;
}
/* Is [a, a+len) fully inside the sorted, merged ranges? */
bool khofmt_in_ranges(const struct khofmt_range *r, size_t n, uint64_t a,
	       uint64_t len);
/* First part of [a, a+len) outside the sorted, merged ranges, if any. */
bool khofmt_first_gap(const struct khofmt_range *r, size_t n, uint64_t a,
	       uint64_t len, uint64_t *gap, uint64_t *glen);
/* First range of the sorted set meeting [a, a+len), or NULL. */
const struct khofmt_range *khofmt_meet_ranges(const struct khofmt_range *r,
				       size_t n, uint64_t a, uint64_t len);

/* The checks, in the order they run. */
void khofmt_rules_fdt_check(struct vctx *c);          /* rules_fdt.c */
void khofmt_rules_scratch_check(struct vctx *c);      /* rules_scratch.c */
void khofmt_rules_blob_prepare(struct vctx *c);       /* rules_blob.c */
void khofmt_rules_tracker_check(struct vctx *c);      /* rules_tracker.c */
void khofmt_rules_blob_check(struct vctx *c);         /* rules_blob.c */
void khofmt_rules_schema_check(struct vctx *c);       /* rules_schema.c */

#endif /* KHOFMT_RULES_INT_H */
