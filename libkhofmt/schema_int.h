/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals shared by the sub-schema decoders. Not installed. */
#ifndef KHOFMT_SCHEMA_INT_H
#define KHOFMT_SCHEMA_INT_H

#include "internal.h"
#include "khofmt-schema.h"

#define FDT_MAGIC_BE 0xd00dfeedu

/* Page shift from the options (0 = 12); 0 for an invalid value. */
unsigned khofmt_schema_ps(const struct khofmt_schema_opts *opts);

/*
 * Tell the problem callback; returns -err for a fatal problem, else 0.
 * A non-zero callback return on a non-fatal problem is ignored (the
 * decoders always go on with non-fatal findings).
 */
int khofmt_schema_report(const struct khofmt_schema_opts *opts, const char *rule,
		  int err, bool fatal, bool inferred, uint64_t pa,
		  const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

#define FATAL(o, rule, err, pa, ...) \
	khofmt_schema_report(o, rule, err, true, false, pa, __VA_ARGS__)
#define WARN(o, rule, err, pa, ...) \
	khofmt_schema_report(o, rule, err, false, false, pa, __VA_ARGS__)

/*
 * Check a sub-FDT blob (libfdt's full check) and its root compatible;
 * fatal problems under @rule. 0 or a negative error.
 */
int khofmt_schema_fdt_check(const void *blob, size_t len, const char *compat,
		     const struct khofmt_schema_opts *opts, const char *rule);

/* Name a vmalloc area's owner in its chain's findings (vmalloc.c). */
void khofmt_vmalloc_owner(struct khofmt_vmalloc_iter *it, const char *owner);

/* The same for a memfd's folio array (schema_memfd.c). */
void khofmt_memfd_owner(const struct khofmt_memfd *m,
			struct khofmt_vmalloc_iter *it);

/* Copy a fixed-size name field into @dst (n+1 bytes), return true if the
 * field held a NUL. */
bool khofmt_schema_copy_name(char *dst, const unsigned char *src, size_t n);

static inline uint16_t ld_le16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline void st_le32(void *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void st_le16(void *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

/* ---- the registry (schema.c) ---- */

struct vctx;	/* rules_int.h */

/*
 * One sub-schema: its public description and the hooks of each stage.
 * A hook may be NULL (nothing to do at that stage).
 */
struct schema_row {
	struct khofmt_schema_info info;
	/* a raw (non-FDT) blob of this schema? (sub-FDTs match sub_fdt) */
	bool (*match_raw)(const struct khofmt_subnode *sn,
			  const unsigned char *blob, size_t len);
	/* the whole structure, problems to the callback (khofmt_schema_decode) */
	int (*decode)(struct khofmt_source *src, const void *blob, size_t len,
		      const struct khofmt_schema_opts *o);
	/* structure pages the blob points at (khofmt_subnode_pages) */
	int (*pages)(struct khofmt_source *src, const void *blob, size_t len,
		     const struct khofmt_schema_opts *o, khofmt_span_cb cb,
		     void *arg);
	/* rules on the blob alone (rules_blob.c; @fdt: the checked sub-FDT) */
	void (*blob_rules)(struct vctx *c, const struct khofmt_subnode *sn,
			   const void *fdt);
	/* rules that need the tracker (rules_schema.c) */
	void (*rules)(struct vctx *c, const struct khofmt_subnode *sn);
	/*
	 * `khoctl compat` (compat.c), for a root subnode's schema: what the
	 * next kernel's reader is and what is lost without it (what == NULL:
	 * the subnode is unknown to compat), and the rows inside the blob
	 * (LUO files and FLBs, reserve_mem regions), which may read @src.
	 */
	struct {
		const char *what;	/* "LUO sessions" */
		const char *module;	/* a module that may carry the reader */
		const char *lost;	/* what the next kernel drops */
		bool numeric;		/* a version word, compared as a number */
		bool needs_mem;		/* rows() reads the memory source */
		int (*rows)(struct khofmt_compat *c, struct khofmt_source *src,
			    const void *blob, size_t len, unsigned ps,
			    int parent);
	} compat;
};

/* A LUO file whose handler the registry knows as memfd. */
static inline bool khofmt_schema_is_memfd(const char *compatible)
{
	const struct khofmt_schema_info *in =
		khofmt_schema_find(KHOFMT_SCHEMA_AT_LUO_FILE, compatible);

	return in && in->kind == KHOFMT_SCHEMA_MEMFD;
}

/* The row of a root subnode named @name (first match), or NULL. */
const struct schema_row *khofmt_schema_row_subnode(const char *name);

/* hooks, beside their decoders and rules */
int khofmt_schema_luo_pages(struct khofmt_source *src, const void *blob, size_t len,
		     const struct khofmt_schema_opts *o, khofmt_span_cb cb,
		     void *arg);
int khofmt_schema_test_pages(struct khofmt_source *src, const void *blob, size_t len,
		      const struct khofmt_schema_opts *o, khofmt_span_cb cb,
		      void *arg);
void khofmt_rules_blob_memblock(struct vctx *c, const struct khofmt_subnode *sn,
			 const void *fdt);
void khofmt_rules_blob_kexec_meta(struct vctx *c, const struct khofmt_subnode *sn,
			   const void *fdt);
void khofmt_rules_blob_luo(struct vctx *c, const struct khofmt_subnode *sn,
			   const void *fdt);
int khofmt_compat_luo_rows(struct khofmt_compat *c, struct khofmt_source *src,
			   const void *blob, size_t len, unsigned ps, int parent);
int khofmt_compat_memblock_rows(struct khofmt_compat *c,
				struct khofmt_source *src, const void *blob,
				size_t len, unsigned ps, int parent);
void khofmt_rules_schema_luo(struct vctx *c, const struct khofmt_subnode *sn);
void khofmt_rules_schema_kho_test(struct vctx *c, const struct khofmt_subnode *sn);

#endif
