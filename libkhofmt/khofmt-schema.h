/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkhofmt sub-schemas: the blobs hung below the root FDT's subnodes
 * (doc/ABI.md 6): kexec-metadata, LUO (luo-v5 raw struct with kho_block
 * chains, luo-v1 sub-FDT), memfd (v2, v1), memblock reserve_mem, kho_test,
 * and the reusable kho_block / kho_vmalloc walkers.
 *
 * Conventions:
 *  - decoders fill plain structs; iterators return 0 = item, 1 = end,
 *    < 0 = -KHOFMT_ERR_*;
 *  - non-fatal findings (names not NUL-terminated, counts mismatched,
 *    unknown flags, ...) go to the problem callback of
 *    struct khofmt_schema_opts as data; a fatal error is also told to the
 *    callback (fatal = true) before its negative code is returned;
 *  - every memory access goes through khofmt_source_read(); every chain is
 *    bounded and cycle-checked.
 */
/*
 * khofmt.h first, outside the guard: it declares what this header uses
 * and includes every area header in order, this one too.
 */
#include "khofmt.h"

#ifndef KHOFMT_SCHEMA_H
#define KHOFMT_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reader limits (doc/ABI.md 6.3: 10 000 blocks per chain). */
#define KHOFMT_BLOCK_MAX_CHAIN 10000u
/* Largest blob read (P << MAX_PAGE_ORDER is 4 MiB; keep a margin). */
#define KHOFMT_BLOB_MAX (16u << 20)

/* ---- problems ---- */

struct khofmt_schema_problem {
	const char *rule;  /* stable id: "LUO-3", "MFD-1", "VM-1", ... */
	int err;           /* -KHOFMT_ERR_* class */
	bool fatal;        /* the decoder stops with err after this report */
	bool inferred;     /* the fact checked is [I] in doc/ABI.md */
	uint64_t pa;       /* where (physical address; 0 if in a blob copy) */
	const char *msg;   /* human-readable detail */
};
typedef int (*khofmt_schema_problem_cb)(void *arg,
					const struct khofmt_schema_problem *p);

struct khofmt_schema_opts {
	size_t sz;                        /* sizeof(struct khofmt_schema_opts) */
	unsigned page_shift;              /* 0 = 12 */
	khofmt_schema_problem_cb problem; /* may be NULL: problems dropped */
	void *problem_arg;
};

/* ---- dispatch ---- */

/*
 * A registry entry's kind. The constants name the schemas of 0.3; a schema
 * added later is a value of its own with no constant (the registry names
 * it: khofmt_schema_name(), khofmt_schema_find()).
 */
enum khofmt_schema_kind {
	KHOFMT_SCHEMA_UNKNOWN = 0,
	KHOFMT_SCHEMA_KEXEC_META_V1, /* "kexec-metadata-v1" */
	KHOFMT_SCHEMA_LUO_V5,        /* "luo-v5" raw struct */
	KHOFMT_SCHEMA_LUO_V1,        /* "luo-v1" sub-FDT (6.19-7.1) */
	KHOFMT_SCHEMA_MEMBLOCK_V1,   /* "memblock-v1" sub-FDT */
	KHOFMT_SCHEMA_KHO_TEST_V1,   /* "kho-test-v1" sub-FDT */
	/* Since 0.3: schemas inside LUO (file handlers, sessions). */
	KHOFMT_SCHEMA_MEMFD,         /* "memfd-v2"/"memfd-v1" LUO files */
	KHOFMT_SCHEMA_SYSTEMD_FDSTORE, /* LUO session "systemd" */
};

/* "luo-v5", ...; "unknown". */
KHOFMT_API const char *khofmt_schema_name(enum khofmt_schema_kind kind);

/*
 * The sub-schema registry (since 0.3): one entry per schema this build
 * decodes, where it sits and how it is recognised. Every command asks the
 * registry which schemas exist instead of naming them.
 */
enum khofmt_schema_where {
	KHOFMT_SCHEMA_AT_SUBNODE = 1,  /* a root subnode's blob (key: node name) */
	KHOFMT_SCHEMA_AT_LUO_FILE,     /* a LUO file record (key: its compatible) */
	KHOFMT_SCHEMA_AT_LUO_SESSION,  /* a LUO session (key: its name) */
};

struct khofmt_schema_info {
	enum khofmt_schema_kind kind;
	const char *name;              /* "luo-v5", "memfd", ... */
	enum khofmt_schema_where where;
	const char *key;               /* "LUO", "memfd-v2", "systemd" */
	const char *alt_key;           /* a second key ("memfd-v1"), or NULL */
	const char *sub_fdt;           /* root compatible of a sub-FDT, or NULL */
	uint64_t min_size;             /* smallest blob its owner reads (0: any) */
	const char *what;              /* one line for people */
};

/* Number of registry entries; entry @i (NULL past the end). */
KHOFMT_API size_t khofmt_schema_count(void);
KHOFMT_API const struct khofmt_schema_info *khofmt_schema_at(size_t i);
/* The first entry at @where with key or alt_key @key; NULL if none. */
KHOFMT_API const struct khofmt_schema_info *
khofmt_schema_find(enum khofmt_schema_where where, const char *key);
/* The entry of @kind; NULL for KHOFMT_SCHEMA_UNKNOWN or an unknown value. */
KHOFMT_API const struct khofmt_schema_info *
khofmt_schema_info(enum khofmt_schema_kind kind);

/*
 * Decode @blob (@len bytes, from @src's memory) with the decoder of
 * registry entry @in, whatever the blob looks like, walking everything it
 * points at (sessions, files, folio arrays, regions, folio lists); every
 * problem goes to @opts' callback. 0, or the decoder's fatal error;
 * -KHOFMT_ERR_INVAL when @in is not an entry the registry returned
 * (khofmt_schema_at(), _find(), _info()), e.g. a copy of one.
 */
KHOFMT_API int khofmt_schema_decode(const struct khofmt_schema_info *in,
				    struct khofmt_source *src,
				    const void *blob, size_t len,
				    const struct khofmt_schema_opts *opts);

/*
 * The pages a subnode's blob structures point at (LUO blocks, memfd
 * records, vmalloc chunks and the arrays they hold, the kho_test folio
 * list): the structure, not the preserved data. @cb gets (pa, len) per
 * span, a non-zero return stops. 0 (also for a schema without such pages
 * or an unreadable blob: nothing to add), or a negative error from @cb's
 * stop (-KHOFMT_ERR_LIMIT) or an allocation.
 */
typedef int (*khofmt_span_cb)(void *arg, uint64_t pa, uint64_t len);
KHOFMT_API int khofmt_subnode_pages(struct khofmt_source *src,
				    const struct khofmt_subnode *sn,
				    const struct khofmt_schema_opts *opts,
				    khofmt_span_cb cb, void *arg);

/*
 * Which schema a subnode's blob has, from the subnode name and the blob's
 * own compatible/version. @blob may be NULL (name only is not enough:
 * UNKNOWN then).
 */
KHOFMT_API enum khofmt_schema_kind
khofmt_subnode_schema(const struct khofmt_subnode *sn, const void *blob,
		      size_t len);

/*
 * Read a subnode's blob: @sn->size bytes at @sn->pa (kho-v3+), or an FDT
 * blob whose length is its header totalsize (kho-v1/v2: no blob-size).
 * *buf is malloc'd (caller frees). -KHOFMT_ERR_LIMIT beyond
 * KHOFMT_BLOB_MAX, -KHOFMT_ERR_BADPROP without a pointer.
 */
KHOFMT_API int khofmt_subnode_blob_read(struct khofmt_source *src,
					const struct khofmt_subnode *sn,
					void **buf, size_t *len);

/* ---- chains of pages (kho_block, kho_vmalloc) ---- */

/*
 * The state of one checked chain walk (chain.c), shared by every linked
 * structure: kho_block chains, kho_vmalloc chunk lists, the kho-v1
 * tracker's chunk list, x86 setup_data. Fields are private.
 */
struct khofmt_chain_problem;     /* internal */
struct khofmt_chain {
	struct khofmt_source *src;
	const void *layout;            /* the structure's layout descriptor */
	int (*problem)(void *arg, const struct khofmt_chain_problem *p);
	void *problem_arg;
	char owner[80];                /* names the owner in every finding */
	uint64_t first, cur, next;     /* first node, current node, its next */
	uint64_t nodes;                /* nodes entered */
	uint64_t count, idx;           /* entries in the current node, next index */
	uint64_t items;                /* entries returned */
	uint64_t stop;                 /* nodes before the chain loops back */
	uint64_t limit;                /* nodes the memory source can hold */
	size_t esize;
	unsigned page_shift;
	bool scanned, done;
};

/* ---- kho_block chains (6.3) ---- */

/* Iterator state; fields are private. */
struct khofmt_block_iter {
	struct khofmt_chain c;
	const struct khofmt_schema_opts *opts;
};

/*
 * Walk a chain starting at @first (0 = empty chain) with @esize-byte
 * entries. Enforced: page-aligned blocks in the memory source,
 * 1 <= count <= (P-16)/esize, no loop (found before any entry of the
 * block that closes it is returned), KHOFMT_BLOCK_MAX_CHAIN blocks.
 */
KHOFMT_API int khofmt_block_iter_init(struct khofmt_block_iter *it,
				      struct khofmt_source *src,
				      uint64_t first, size_t esize,
				      const struct khofmt_schema_opts *opts);
/* Copy the next entry into @entry (esize bytes), its address in @pa. */
KHOFMT_API int khofmt_block_next(struct khofmt_block_iter *it, void *entry,
				 uint64_t *pa);

/* ---- kho_vmalloc (6.5) ---- */

struct khofmt_vmalloc_desc {
	uint64_t first;       /* first chunk page */
	uint32_t total_pages;
	uint16_t flags;       /* bit0 VM_ALLOC, bit1 huge vmap */
	uint16_t order;       /* pages per run = 2^order */
};

/* Parse the 16-byte descriptor (native LE). */
KHOFMT_API void khofmt_vmalloc_desc_parse(const void *raw16,
					  struct khofmt_vmalloc_desc *d);

/* Iterator over the runs, then (optionally) over the bytes. Private. */
struct khofmt_vmalloc_iter {
	struct khofmt_chain c;
	const struct khofmt_schema_opts *opts;
	struct khofmt_vmalloc_desc d;
	uint64_t runs;         /* runs returned */
	bool done;
	/* byte reader */
	uint64_t run_pa, run_off, run_len, consumed;
};

KHOFMT_API int khofmt_vmalloc_iter_init(struct khofmt_vmalloc_iter *it,
					struct khofmt_source *src,
					const struct khofmt_vmalloc_desc *d,
					const struct khofmt_schema_opts *opts);
/* Next run: @pa, @len bytes (P << order). At the end the run count is
 * checked against total_pages (VM-1). */
KHOFMT_API int khofmt_vmalloc_run_next(struct khofmt_vmalloc_iter *it,
				       uint64_t *pa, uint64_t *len);
/* Read the area sequentially (do not mix with run_next). 0 or error;
 * -KHOFMT_ERR_TRUNCATED when the area ends first. */
KHOFMT_API int khofmt_vmalloc_read(struct khofmt_vmalloc_iter *it, void *buf,
				   size_t len);

/* ---- kexec-metadata (6.1) ---- */

struct khofmt_kexec_meta {
	uint32_t version;
	char release[66];        /* previous_release, always NUL-terminated */
	bool release_terminated; /* the wire field held a NUL */
	uint32_t kexec_count;
	size_t blob_size;
};

/* -KHOFMT_ERR_TRUNCATED below 4 or (version 1) 73 bytes, COMPAT if
 * version != 1. */
KHOFMT_API int khofmt_kexec_meta_decode(const void *blob, size_t len,
					const struct khofmt_schema_opts *opts,
					struct khofmt_kexec_meta *m);

/* ---- LUO (6.2) ---- */

struct khofmt_luo;

struct khofmt_luo_info {
	enum khofmt_schema_kind kind;  /* LUO_V5 or LUO_V1 */
	unsigned version;              /* 5, 1 */
	char compatible[49];
	uint64_t liveupdate_num;
	uint64_t sessions_pa;          /* v5: first block; v1: session header */
	uint64_t flbs_pa;              /* FLB header (0 if absent) */
	char session_compatible[49];   /* v1: luo-session-v1/v2 */
	bool inferred;                 /* layout partly [I] (v1) */
};

struct khofmt_luo_session {
	uint64_t pa;              /* record address */
	char name[65];            /* NUL-terminated copy */
	bool name_terminated;
	uint64_t files_pa;
	uint64_t file_count;
	uint64_t index;
	/* private cursor of khofmt_luo_file_next() */
	struct khofmt_block_iter files;
	uint64_t files_seen;
};

struct khofmt_luo_file {
	uint64_t pa;              /* record address */
	char compatible[49];
	bool compatible_terminated;
	uint64_t data;            /* handler data (memfd: record phys) */
	uint64_t token;
};

struct khofmt_luo_flb {
	uint64_t pa;
	char name[49];
	bool name_terminated;
	uint64_t data;
	uint64_t refcount;
};

/*
 * Open a LUO blob (raw luo-v5 struct or luo-v1 sub-FDT). The blob is
 * copied; the source must outlive the object.
 */
KHOFMT_API int khofmt_luo_open(struct khofmt_source *src, const void *blob,
			       size_t len,
			       const struct khofmt_schema_opts *opts,
			       struct khofmt_luo **out);
KHOFMT_API void khofmt_luo_free(struct khofmt_luo *luo);
KHOFMT_API const struct khofmt_luo_info *
khofmt_luo_info(const struct khofmt_luo *luo);
/* Restart the session and FLB iterations. */
KHOFMT_API void khofmt_luo_rewind(struct khofmt_luo *luo);
KHOFMT_API int khofmt_luo_session_next(struct khofmt_luo *luo,
				       struct khofmt_luo_session *s);
/* Files of @s (its own cursor); at the end file_count is checked. */
KHOFMT_API int khofmt_luo_file_next(struct khofmt_luo *luo,
				    struct khofmt_luo_session *s,
				    struct khofmt_luo_file *f);
KHOFMT_API int khofmt_luo_flb_next(struct khofmt_luo *luo,
				   struct khofmt_luo_flb *f);

/*
 * Every page area LUO state uses, for checks against the tracker (LUO-2:
 * blocks are preserved order-0 entries; SB-2: records start an entry;
 * VM-1; MFD-1: folios are preserved heads). Walks the whole state again
 * (sessions, files, memfd records and their folio arrays); stops at the
 * first fatal error (returned, and told to the problem callback) or when
 * @cb returns non-zero (that value is returned). Empty trailing vmalloc
 * chunks (after a full one) are not reported.
 */
enum khofmt_luo_page_kind {
	KHOFMT_LUO_PAGE_FLB = 1,       /* FLB header page */
	KHOFMT_LUO_PAGE_SESSION_BLOCK, /* v5 block; v1: the session array */
	KHOFMT_LUO_PAGE_FILE_BLOCK,    /* v5 block; v1: a file array */
	KHOFMT_LUO_PAGE_MEMFD_RECORD,
	KHOFMT_LUO_PAGE_VMALLOC_CHUNK,
	KHOFMT_LUO_PAGE_VMALLOC_RUN,   /* len = P << order */
	KHOFMT_LUO_PAGE_MEMFD_FOLIO,   /* head page of a data folio (len P) */
};
typedef int (*khofmt_luo_page_cb)(void *arg, enum khofmt_luo_page_kind kind,
				  uint64_t pa, uint64_t len);
KHOFMT_API int khofmt_luo_walk_pages(struct khofmt_luo *luo,
				     khofmt_luo_page_cb cb, void *arg);
/* "session-block", ... */
KHOFMT_API const char *khofmt_luo_page_kind_name(enum khofmt_luo_page_kind k);

/* ---- memfd (6.4) ---- */

struct khofmt_memfd {
	uint64_t pa;            /* record address */
	unsigned version;       /* 2, 1 */
	bool inferred;          /* v1 layout is [I] */
	uint64_t pos, size;
	uint32_t seals, flags;
	uint64_t nr_folios;
	struct khofmt_vmalloc_desc folios;
	/* private cursor of khofmt_memfd_folio_next() */
	struct khofmt_vmalloc_iter it;
	uint64_t seen;
	struct khofmt_source *src;
	const struct khofmt_schema_opts *opts;
	void *index_set;        /* duplicate-index check; freed at the end */
};

struct khofmt_memfd_folio {
	uint64_t pfn;      /* 0 = empty slot */
	uint64_t phys;     /* pfn << PS */
	unsigned flags;    /* bit0 DIRTY, bit1 UPTODATE */
	uint64_t index;    /* file page index */
};

/*
 * Decode the memfd record at @pa for handler @compatible ("memfd-v2",
 * "memfd-v1"). -KHOFMT_ERR_COMPAT for other handlers.
 */
KHOFMT_API int khofmt_memfd_open(struct khofmt_source *src, uint64_t pa,
				 const char *compatible,
				 const struct khofmt_schema_opts *opts,
				 struct khofmt_memfd *m);
/*
 * Next folio record. Also checked: flags within DIRTY|UPTODATE, index
 * below the file's page count and not used twice (MFD-1).
 */
KHOFMT_API int khofmt_memfd_folio_next(struct khofmt_memfd *m,
				       struct khofmt_memfd_folio *f);
/*
 * Release what an iteration keeps (only needed when folio_next() was not
 * run to its end or error). Safe to call twice.
 */
KHOFMT_API void khofmt_memfd_close(struct khofmt_memfd *m);

/* ---- memblock (6.6) ---- */

struct khofmt_memblock {
	const void *fdt;   /* the caller's blob (must outlive the object) */
	size_t len;
	int cursor;        /* private */
	uint64_t index;
	const struct khofmt_schema_opts *opts;
};

struct khofmt_memblock_region {
	char name[64];
	bool compatible_ok;   /* "reserve-mem-v1" */
	bool has_start, has_size;
	uint64_t start, size;
};

KHOFMT_API int khofmt_memblock_open(const void *blob, size_t len,
				    const struct khofmt_schema_opts *opts,
				    struct khofmt_memblock *mb);
KHOFMT_API int khofmt_memblock_region_next(struct khofmt_memblock *mb,
					   struct khofmt_memblock_region *r);

/* ---- kho_test (6.7) ---- */

struct khofmt_kho_test {
	uint32_t magic;              /* 0x4b484f21 */
	bool has_magic;
	uint32_t nr_folios;
	uint32_t csum;
	bool has_nr_folios, has_csum;
	bool has_vmalloc;            /* folios_info is a kho_vmalloc */
	struct khofmt_vmalloc_desc folios_info;
	/* private cursor */
	const unsigned char *inline_info; /* old form: words in the FDT [I] */
	size_t inline_len;
	struct khofmt_vmalloc_iter it;
	uint64_t seen;
	unsigned page_shift;
	const struct khofmt_schema_opts *opts;
};

/* The blob must outlive @t (old-form words are read from it). */
KHOFMT_API int khofmt_kho_test_open(struct khofmt_source *src,
				    const void *blob, size_t len,
				    const struct khofmt_schema_opts *opts,
				    struct khofmt_kho_test *t);
/* Next `phys | order` word of folios_info. */
KHOFMT_API int khofmt_kho_test_folio_next(struct khofmt_kho_test *t,
					  uint64_t *phys, unsigned *order);

/* ---- systemd's FD store: the LUO session "systemd" ---- */

/*
 * systemd (262 and later) preserves the fd stores of services with
 * FileDescriptorStorePreserve= in one LUO session named "systemd": each
 * fd under a token from 1 up, and token 0 a sealed memfd holding the
 * mapping, compact JSON:
 *   {"version":1,"state":{...},"units":{"UNIT":{"fdstore":[ENTRY,...]}}}
 * ENTRY {"type":"fd","name":"FDNAME","token":N} or
 *       {"type":"luo_session","name":"FDNAME","sessionName":"SESSION"}
 * (the latter: a stored fd that is a LUO session of its own). See
 * khofmt-schema(3) and schema_systemd.c for what the next systemd does
 * with each part.
 */
#define KHOFMT_SYSTEMD_SESSION "systemd"
#define KHOFMT_SYSTEMD_VERSION 1u          /* mapping version systemd 262 reads */
#define KHOFMT_SYSTEMD_MAPPING_MAX (4u << 20) /* largest mapping decoded */

enum khofmt_systemd_fd_type {
	KHOFMT_SYSTEMD_TYPE_UNKNOWN = 0,  /* missing or unknown "type" */
	KHOFMT_SYSTEMD_TYPE_FD,           /* "fd": a file of the session */
	KHOFMT_SYSTEMD_TYPE_LUO_SESSION,  /* "luo_session": a session of its own */
};

struct khofmt_systemd_info {
	bool has_mapping;       /* token 0 is a memfd (khofmt_systemd_open) */
	bool parsed;            /* the mapping parsed, with its required fields */
	uint64_t version;       /* "version" (when parsed) */
	bool has_state;         /* "state" present */
	uint64_t mapping_size;  /* bytes of the mapping */
	uint64_t mapping_pa;    /* memfd record of token 0 (0: none) */
	uint64_t session_pa;    /* the session record (0: parse only) */
	size_t units;           /* members of "units" */
	size_t unnamed;         /* preserved tokens no entry names */
};

/* One stored fd: an entry of the mapping, or a preserved token it misses. */
struct khofmt_systemd_fd {
	const char *unit;          /* unit id; "" for an unnamed token */
	const char *name;          /* fd name; "" when missing */
	const char *type_name;     /* "type" as written; "" when missing */
	enum khofmt_systemd_fd_type type;
	size_t index;              /* position in the unit's "fdstore" */
	bool has_token;
	uint64_t token;
	const char *session_name;  /* "sessionName", or NULL */
	bool restorable;           /* systemd's reader acts on the entry */
	bool unnamed;              /* a preserved token no entry names */
	/* khofmt_systemd_open(): what the LUO state holds for it */
	bool preserved;            /* token in the session / session present */
	uint64_t file_pa;          /* LUO file record of the token */
	uint64_t data;             /* its handler data (memfd record) */
	char compatible[49];       /* its handler ("memfd-v2") */
	bool has_size;
	uint64_t size;             /* memfd size in bytes */
};

struct khofmt_systemd;

/*
 * Parse a mapping (the bytes of token 0). Findings go to the problem
 * callback, never fatal: SYSD-2 (does not parse: *out has no fds),
 * SYSD-3 (newer version), SYSD-4 (an entry the reader skips). Returns 0
 * with *out, or -KHOFMT_ERR_INVAL / -KHOFMT_ERR_NOMEM.
 */
KHOFMT_API int khofmt_systemd_parse(const void *text, size_t len,
				    const struct khofmt_schema_opts *opts,
				    struct khofmt_systemd **out);
/*
 * From a LUO blob: find session "systemd", read its token 0 memfd from
 * the folios in @src, parse it and check it against the session's files
 * and the other sessions. Adds SYSD-1 (no readable mapping), SYSD-5 (a
 * token named but not preserved), SYSD-6 (a luo_session entry naming no
 * preserved session), SYSD-7 (a preserved token no entry names; also
 * listed as an fd with unnamed = true). Faults of the LUO state itself
 * are not reported here (the LUO rules do). Returns 0 with *out, 1 (and
 * *out NULL) when there is no session "systemd", or a negative error
 * when the LUO state cannot be walked.
 */
KHOFMT_API int khofmt_systemd_open(struct khofmt_source *src,
				   const void *luo_blob, size_t len,
				   const struct khofmt_schema_opts *opts,
				   struct khofmt_systemd **out);
KHOFMT_API void khofmt_systemd_free(struct khofmt_systemd *sd);
KHOFMT_API const struct khofmt_systemd_info *
khofmt_systemd_info(const struct khofmt_systemd *sd);
/* The fds: mapping entries in order (units, then fdstore order), then
 * the unnamed tokens in token order. */
KHOFMT_API size_t khofmt_systemd_nfds(const struct khofmt_systemd *sd);
KHOFMT_API const struct khofmt_systemd_fd *
khofmt_systemd_fd(const struct khofmt_systemd *sd, size_t i);
/* "fd", "luo_session", "unknown". */
KHOFMT_API const char *khofmt_systemd_type_name(enum khofmt_systemd_fd_type t);

/* ---- encoders (for tests and synth) ---- */

struct khofmt_enc;

/*
 * Allocate 2^order zeroed pages from the encoder's meta area, preserved
 * as one folio (like kho_alloc_preserve()), and write into them.
 */
KHOFMT_API int khofmt_enc_alloc(struct khofmt_enc *enc, unsigned order,
				uint64_t *pa);
KHOFMT_API int khofmt_enc_write(struct khofmt_enc *enc, uint64_t pa,
				const void *data, size_t len);
/* Page size of the encoder. */
KHOFMT_API unsigned khofmt_enc_page_shift(const struct khofmt_enc *enc);

/* A kho_vmalloc area holding @len bytes in runs of 2^order pages. */
KHOFMT_API int khofmt_enc_vmalloc(struct khofmt_enc *enc, const void *data,
				  size_t len, unsigned order,
				  struct khofmt_vmalloc_desc *d);
KHOFMT_API void khofmt_vmalloc_desc_store(void *raw16,
					  const struct khofmt_vmalloc_desc *d);

KHOFMT_API int khofmt_enc_kexec_meta(struct khofmt_enc *enc,
				     const char *release, uint32_t count);

struct khofmt_enc_region {
	const char *name;
	uint64_t start, size;   /* preserved as a page range */
};
KHOFMT_API int khofmt_enc_memblock(struct khofmt_enc *enc,
				   const struct khofmt_enc_region *r,
				   size_t n);

/* kho_test: @n folios (preserved); csum computed over their bytes. */
KHOFMT_API int khofmt_enc_kho_test(struct khofmt_enc *enc,
				   const uint64_t *phys, const unsigned *order,
				   size_t n);

struct khofmt_enc_luo_file {
	const char *compatible;  /* NULL = "memfd-v2" */
	uint64_t token;
	uint64_t pos;
	uint32_t seals;
	const void *data;        /* file content (copied into fresh folios) */
	uint64_t size;
	unsigned folio_order;
};
struct khofmt_enc_luo_session {
	const char *name;
	const struct khofmt_enc_luo_file *files;
	size_t nfiles;
};
struct khofmt_enc_luo_flb {
	const char *name;
	uint64_t data, refcount;
};
/* The LUO subnode (luo-v5), sessions in block chains, memfd-v2 files. */
KHOFMT_API int khofmt_enc_luo(struct khofmt_enc *enc, uint64_t liveupdate_num,
			      const struct khofmt_enc_luo_session *s,
			      size_t nsessions,
			      const struct khofmt_enc_luo_flb *flb, size_t nflb);

#ifdef __cplusplus
}
#endif

#endif /* KHOFMT_SCHEMA_H */
