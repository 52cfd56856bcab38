/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkhofmt verify: the invariants the next kernel relies on, checked as
 * named rules with stable IDs.
 *
 * Rules are data (khofmt_rule_*): ID, severity, the doc/ABI.md section 9
 * cross-reference, a one-line title and an explanation (cause and what to
 * do). A run produces findings, also data: which rule, which object
 * (address, size, order, node name) and a message. Nothing is printed.
 *
 * Rule IDs are "KHO-" + a severity letter (E error, W warning, I info) and
 * three digits, allocated in blocks per area and never renumbered or
 * reused (a retired rule keeps its number):
 *   000-019 root FDT            020-039 tracker structure and pages
 *   040-059 preserved memory    060-079 sub-blobs
 *   080-099 scratch areas       100-119 memblock     120-139 kexec-metadata
 *   140-179 LUO                 180-199 memfd        200-    later schemas
 * The number is unique across letters: KHO-E040 and KHO-W040 never both
 * exist.
 */
/*
 * khofmt.h first, outside the guard: it declares what this header uses
 * and includes every area header in order, this one too.
 */
#include "khofmt.h"

#ifndef KHOFMT_VERIFY_H
#define KHOFMT_VERIFY_H


#ifdef __cplusplus
extern "C" {
#endif

enum khofmt_severity {
	KHOFMT_SEV_INFO = 0,
	KHOFMT_SEV_WARNING = 1,
	KHOFMT_SEV_ERROR = 2,
};

/* "error", "warning", "info". */
KHOFMT_API const char *khofmt_severity_name(enum khofmt_severity sev);

/* One rule of the table. */
struct khofmt_rule {
	const char *id;                /* "KHO-E040" */
	enum khofmt_severity severity;
	const char *spec;              /* doc/ABI.md 9 IDs ("MAP-6"), or "" */
	const char *title;             /* one line */
	const char *explain;           /* cause and what to do */
};

/* Number of rules and the i-th one (table order, sorted by number). */
KHOFMT_API size_t khofmt_rule_count(void);
KHOFMT_API const struct khofmt_rule *khofmt_rule_get(size_t i);
/* Look a rule up by ID (case-insensitive); NULL if unknown. */
KHOFMT_API const struct khofmt_rule *khofmt_rule_by_id(const char *id);

/* One finding. Strings live as long as the result object. */
struct khofmt_finding {
	const struct khofmt_rule *rule;
	bool has_addr;          /* addr/size name a physical object */
	uint64_t addr;
	uint64_t size;          /* bytes; 0 if not meaningful */
	int order;              /* folio order, -1 if not meaningful */
	const char *object;     /* node name / path / file, "" if none */
	const char *message;    /* full sentence */
};

/*
 * What the caller knows beyond the handover itself. Every pointer may be
 * NULL / every count 0; rules needing a missing input are skipped with an
 * info finding saying so.
 */
struct khofmt_verify_opts {
	size_t sz;                        /* sizeof(struct khofmt_verify_opts) */
	unsigned page_shift;              /* 0 = 12 */
	/* System RAM, any order; @ram_origin says where it came from. */
	const struct khofmt_range *ram;
	size_t nram;
	bool has_ram;                     /* a RAM map was given (even empty) */
	const char *ram_origin;           /* "--ram", "iomem FILE", ... */
	/* Scratch areas as the producer recorded them (zero sizes allowed). */
	const struct khofmt_range *scratch;
	size_t nscratch;
	bool has_scratch;
	/* Physical address of the root FDT page, when known (FDT-6). */
	uint64_t fdt_pa;
	bool has_fdt_pa;
	/* Run only these rule IDs (NULL/0 = all), and never these. */
	const char *const *only;
	size_t nonly;
	const char *const *skip;
	size_t nskip;
	/* Findings kept per rule before they are summarised (0 = 32). */
	unsigned max_per_rule;
};

struct khofmt_verify;

/*
 * Check a handover given as the root FDT bytes (as read: they may be
 * truncated or invalid, which is a finding) and a memory source (may be
 * NULL: tracker and blob rules are then skipped with an info finding).
 * Returns 0 with @out set (findings may include errors), or a negative
 * error when the check itself could not run (-KHOFMT_ERR_INVAL for an
 * unknown rule ID in only/skip, -KHOFMT_ERR_NOMEM).
 */
KHOFMT_API int khofmt_verify_run(const void *fdt_blob, size_t fdt_len,
				 struct khofmt_source *src,
				 const struct khofmt_verify_opts *opts,
				 struct khofmt_verify **out);
KHOFMT_API void khofmt_verify_free(struct khofmt_verify *v);
KHOFMT_API size_t khofmt_verify_nfindings(const struct khofmt_verify *v);
KHOFMT_API const struct khofmt_finding *
khofmt_verify_finding(const struct khofmt_verify *v, size_t i);
/* Findings per severity (index = enum khofmt_severity). */
KHOFMT_API void khofmt_verify_counts(const struct khofmt_verify *v,
				     size_t counts[3]);
/*
 * Rules that did not run because an input they need was not given (a RAM
 * map, scratch areas, a memory source, the root FDT's address): the
 * count, and the @i-th rule with why (*@reason, a static string naming
 * the missing input; may be NULL). Rules selected away (only/skip) or
 * that do not apply to the generation are not listed. A caller that
 * wants "everything was checked" (khoctl verify --strict) fails on any.
 */
KHOFMT_API size_t khofmt_verify_nskipped(const struct khofmt_verify *v);
KHOFMT_API const struct khofmt_rule *
khofmt_verify_skipped(const struct khofmt_verify *v, size_t i,
		      const char **reason);

/*
 * Parse a copy of /proc/iomem: every "START-END : System RAM" line (any
 * indentation) becomes a range. *@out is malloc'd (caller frees); 0 ranges
 * is not an error. -KHOFMT_ERR_INVAL on a malformed System RAM line.
 */
KHOFMT_API int khofmt_iomem_parse(const char *text, size_t len,
				  struct khofmt_range **out, size_t *n);

#ifdef __cplusplus
}
#endif

#endif /* KHOFMT_VERIFY_H */
