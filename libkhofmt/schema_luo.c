// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * LUO, the Live Update Orchestrator blob (doc/ABI.md 6.2).
 *
 * luo-v5 (7.2): packed 32-byte root {compatible[8], liveupdate_num,
 * sessions_pa, flbs_pa}; sessions in a kho_block chain of 80-byte records,
 * each session's files in a chain of 64-byte records; an FLB page with a
 * 16-byte header {pgcnt, count} and 64-byte records.
 *
 * luo-v1 (6.19-7.1): a sub-FDT; the property names are stated by the spec,
 * the binary areas behind them are [I]: a session header {u64 count} then
 * count 80-byte session records, each session's file records (64 bytes)
 * contiguous at files_pa; the FLB header assumed to be the v5 one. Every
 * finding about those parts is reported with inferred = true.
 */
#include <stdio.h>
#include <stdlib.h>
#include <libfdt.h>

#include "abi_layout.h"
#include "chain_int.h"
#include "schema_int.h"

#define LUO_ROOT_SIZE LUO_SIZE
#define SESSION_REC LUO_SES_SIZE
#define FILE_REC LUO_FILE_SIZE
#define FLB_HDR LUO_FLBH_SIZE
#define FLB_REC LUO_FLB_SIZE
/* v1 contiguous arrays: as many records as 10 000 blocks would hold */
#define V1_MAX_RECS (UINT64_C(10000) * 63)

struct khofmt_luo {
	struct khofmt_luo_info info;
	struct khofmt_source *src;
	struct khofmt_schema_opts opts;
	unsigned ps;
	/* sessions */
	struct khofmt_block_iter sit;
	uint64_t v1_count, v1_idx;
	struct pageset names;
	/* files: token uniqueness of the session being iterated */
	const struct khofmt_luo_session *tok_owner;
	struct pageset tokens;
	/* flbs */
	uint64_t flb_count, flb_idx;
	bool flb_read;
	struct pageset flb_names;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	while (*s)
		h = (h ^ (unsigned char)*s++) * UINT64_C(0x100000001b3);
	return h;
}

static int fdt_u64(const void *fdt, int node, const char *name, uint64_t *v)
{
	int l;
	const void *p = fdt_getprop(fdt, node, name, &l);

	if (!p || l != 8)
		return -1;
	*v = ld_le64(p);
	return 0;
}

static void copy_fdt_str(char *dst, size_t dlen, const void *fdt, int node,
			 const char *prop)
{
	int l;
	const char *p = fdt_getprop(fdt, node, prop, &l);

	dst[0] = 0;
	if (p && l > 0 && memchr(p, 0, (size_t)l))
		snprintf(dst, dlen, "%s", p);
}

static int open_v1(struct khofmt_luo *luo, const void *blob, size_t len)
{
	struct khofmt_schema_opts *o = &luo->opts;
	void *fdt;
	int node, r = 0;
	unsigned char w[8];

	luo->info.kind = KHOFMT_SCHEMA_LUO_V1;
	luo->info.version = 1;
	luo->info.inferred = true;
	fdt = malloc(len);
	if (!fdt)
		return -KHOFMT_ERR_NOMEM;
	memcpy(fdt, blob, len);
	if (fdt_check_full(fdt, len)) {
		r = FATAL(o, "LUO-1", KHOFMT_ERR_BADFDT, 0, "luo-v1 sub-FDT is damaged");
		goto out;
	}
	copy_fdt_str(luo->info.compatible, sizeof(luo->info.compatible), fdt, 0,
		     "compatible");
	if (fdt_u64(fdt, 0, "liveupdate-number", &luo->info.liveupdate_num))
		WARN(o, "LUO-1", KHOFMT_ERR_BADPROP, 0,
		     "luo-v1: liveupdate-number missing or not 8 bytes");
	node = fdt_subnode_offset(fdt, 0, "luo-session");
	if (node >= 0) {
		copy_fdt_str(luo->info.session_compatible,
			     sizeof(luo->info.session_compatible), fdt, node,
			     "compatible");
		if (fdt_u64(fdt, node, "luo-session-header", &luo->info.sessions_pa))
			WARN(o, "LUO-1", KHOFMT_ERR_BADPROP, 0,
			     "luo-v1: luo-session-header missing or not 8 bytes");
	}
	node = fdt_subnode_offset(fdt, 0, "luo-flb");
	if (node >= 0 && fdt_u64(fdt, node, "luo-flb-header", &luo->info.flbs_pa))
		WARN(o, "LUO-5", KHOFMT_ERR_BADPROP, 0,
		     "luo-v1: luo-flb-header missing or not 8 bytes");
	if (luo->info.sessions_pa) {
		r = khofmt_source_read(luo->src, luo->info.sessions_pa, w, 8);
		if (r < 0) {
			r = FATAL(o, "LUO-2", -r, luo->info.sessions_pa,
				  "luo-v1 session header not in the memory source");
			goto out;
		}
		luo->v1_count = ld_le64(w);
		if (luo->v1_count > V1_MAX_RECS ||
		    !khofmt_source_covers(luo->src, luo->info.sessions_pa + 8,
					  luo->v1_count * SESSION_REC))
			r = khofmt_schema_report(o, "LUO-2", KHOFMT_ERR_LIMIT, true, true,
					  luo->info.sessions_pa,
					  "luo-v1: %llu session records do not fit the memory source",
					  (unsigned long long)luo->v1_count);
	}
out:
	free(fdt);
	return r;
}

int khofmt_luo_open(struct khofmt_source *src, const void *blob, size_t len,
		    const struct khofmt_schema_opts *opts, struct khofmt_luo **out)
{
	struct khofmt_luo *luo;
	const unsigned char *b = blob;
	int r;

	if (!src || !blob || !out)
		return -KHOFMT_ERR_INVAL;
	*out = NULL;
	luo = calloc(1, sizeof(*luo));
	if (!luo)
		return -KHOFMT_ERR_NOMEM;
	luo->src = src;
	if (opts && opts->sz >= sizeof(*opts))
		luo->opts = *opts;
	luo->opts.sz = sizeof(luo->opts);
	luo->ps = khofmt_schema_ps(&luo->opts);
	luo->opts.page_shift = luo->ps;
	khofmt_pageset_init(&luo->names);
	khofmt_pageset_init(&luo->tokens);
	khofmt_pageset_init(&luo->flb_names);
	if (!luo->ps) {
		r = -KHOFMT_ERR_INVAL;
		goto fail;
	}
	if (len >= 40 && fdt_magic(blob) == FDT_MAGIC) {
		r = open_v1(luo, blob, len);
		if (r)
			goto fail;
	} else {
		if (len < LUO_ROOT_SIZE) {
			r = FATAL(&luo->opts, "LUO-1", KHOFMT_ERR_TRUNCATED, 0,
				  "LUO blob: %zu bytes, at least %d needed (kernel panics)",
				  len, LUO_ROOT_SIZE);
			goto fail;
		}
		luo->info.kind = KHOFMT_SCHEMA_LUO_V5;
		luo->info.version = 5;
		khofmt_schema_copy_name(luo->info.compatible, b + LUO_COMPAT_OFF, LUO_COMPAT_LEN);
		if (strncmp((const char *)b + LUO_COMPAT_OFF, "luo-v5", LUO_COMPAT_LEN)) {
			r = FATAL(&luo->opts, "LUO-1", KHOFMT_ERR_COMPAT, 0,
				  "LUO compatible \"%s\" is not luo-v5 (kernel panics)",
				  luo->info.compatible);
			goto fail;
		}
		luo->info.liveupdate_num = ld_le64(b + LUO_NUM_OFF);
		luo->info.sessions_pa = ld_le64(b + LUO_SESSIONS_OFF);
		luo->info.flbs_pa = ld_le64(b + LUO_FLBS_OFF);
		if (!luo->info.flbs_pa)
			WARN(&luo->opts, "LUO-5", KHOFMT_ERR_STRUCT, 0,
			     "luo-v5 without an FLB page (the producer always sets it)");
	}
	khofmt_luo_rewind(luo);
	*out = luo;
	return 0;
fail:
	khofmt_luo_free(luo);
	return r;
}

void khofmt_luo_free(struct khofmt_luo *luo)
{
	if (!luo)
		return;
	khofmt_pageset_free(&luo->names);
	khofmt_pageset_free(&luo->tokens);
	khofmt_pageset_free(&luo->flb_names);
	free(luo);
}

const struct khofmt_luo_info *khofmt_luo_info(const struct khofmt_luo *luo)
{
	return luo ? &luo->info : NULL;
}

void khofmt_luo_rewind(struct khofmt_luo *luo)
{
	if (!luo)
		return;
	if (luo->info.kind == KHOFMT_SCHEMA_LUO_V5 &&
	    khofmt_block_iter_init(&luo->sit, luo->src, luo->info.sessions_pa,
				   SESSION_REC, &luo->opts) == 0)
		khofmt_chain_owner(&luo->sit.c, "LUO sessions");
	luo->v1_idx = 0;
	luo->flb_idx = 0;
	luo->flb_read = false;
	khofmt_pageset_free(&luo->names);
	khofmt_pageset_free(&luo->flb_names);
	khofmt_pageset_free(&luo->tokens);
	khofmt_pageset_init(&luo->names);
	khofmt_pageset_init(&luo->flb_names);
	khofmt_pageset_init(&luo->tokens);
	luo->tok_owner = NULL;
}

int khofmt_luo_session_next(struct khofmt_luo *luo, struct khofmt_luo_session *s)
{
	unsigned char rec[SESSION_REC];
	bool inf;
	uint64_t pa;
	int r;

	if (!luo || !s)
		return -KHOFMT_ERR_INVAL;
	inf = luo->info.kind == KHOFMT_SCHEMA_LUO_V1;
	if (!inf) {
		r = khofmt_block_next(&luo->sit, rec, &pa);
		if (r)
			return r;
	} else {
		if (luo->v1_idx >= luo->v1_count)
			return 1;
		pa = luo->info.sessions_pa + 8 + luo->v1_idx * SESSION_REC;
		r = khofmt_source_read(luo->src, pa, rec, sizeof(rec));
		if (r < 0)
			return khofmt_schema_report(&luo->opts, "LUO-2", -r, true, true, pa,
					     "luo-v1 session record not readable");
		luo->v1_idx++;
	}
	memset(s, 0, sizeof(*s));
	s->pa = pa;
	s->index = inf ? luo->v1_idx - 1 : luo->sit.c.items - 1;
	s->name_terminated = khofmt_schema_copy_name(s->name, rec + LUO_SES_NAME_OFF,
					     LUO_SES_NAME_LEN);
	s->files_pa = ld_le64(rec + LUO_SES_FILES_OFF);
	s->file_count = ld_le64(rec + LUO_SES_COUNT_OFF);
	if (!s->name_terminated)
		khofmt_schema_report(&luo->opts, "LUO-3", KHOFMT_ERR_STRUCT, false, inf, pa,
			      "session name is not NUL-terminated");
	else if (!s->name[0])
		khofmt_schema_report(&luo->opts, "LUO-3", KHOFMT_ERR_STRUCT, false, inf, pa,
			      "session name is empty");
	r = khofmt_pageset_add(&luo->names, hash_str(s->name));
	if (r < 0)
		return r;
	if (r == 0)
		khofmt_schema_report(&luo->opts, "LUO-3", KHOFMT_ERR_STRUCT, false, inf, pa,
			      "session name \"%s\" used twice", s->name);
	if (!s->files_pa != !s->file_count)
		khofmt_schema_report(&luo->opts, "LUO-3", KHOFMT_ERR_STRUCT, false, inf, pa,
			      "session \"%s\": files_pa 0x%llx with file_count %llu",
			      s->name, (unsigned long long)s->files_pa,
			      (unsigned long long)s->file_count);
	if (!inf && khofmt_block_iter_init(&s->files, luo->src, s->files_pa,
					   FILE_REC, &luo->opts) == 0)
		khofmt_chain_owner(&s->files.c, "session \"%s\" files", s->name);
	return 0;
}

int khofmt_luo_file_next(struct khofmt_luo *luo, struct khofmt_luo_session *s,
			 struct khofmt_luo_file *f)
{
	unsigned char rec[FILE_REC];
	bool inf;
	uint64_t pa;
	int r;

	if (!luo || !s || !f)
		return -KHOFMT_ERR_INVAL;
	inf = luo->info.kind == KHOFMT_SCHEMA_LUO_V1;
	if (luo->tok_owner != s || s->files_seen == 0) {
		khofmt_pageset_free(&luo->tokens);
		khofmt_pageset_init(&luo->tokens);
		luo->tok_owner = s;
	}
	if (!inf) {
		r = khofmt_block_next(&s->files, rec, &pa);
		if (r < 0)
			return r;
	} else if (s->files_seen >= s->file_count || !s->files_pa) {
		r = 1;
	} else {
		if (s->file_count > V1_MAX_RECS)
			return khofmt_schema_report(&luo->opts, "LUO-3", KHOFMT_ERR_LIMIT,
					     true, true, s->pa,
					     "luo-v1: file_count %llu too large",
					     (unsigned long long)s->file_count);
		pa = s->files_pa + s->files_seen * FILE_REC;
		r = khofmt_source_read(luo->src, pa, rec, sizeof(rec));
		if (r < 0)
			return khofmt_schema_report(&luo->opts, "LUO-3", -r, true, true, pa,
					     "luo-v1 file record not readable");
	}
	if (r == 1) {
		if (!inf && s->files_seen != s->file_count)
			WARN(&luo->opts, "LUO-3", KHOFMT_ERR_STRUCT, s->pa,
			     "session \"%s\": file_count %llu but %llu records in the chain",
			     s->name, (unsigned long long)s->file_count,
			     (unsigned long long)s->files_seen);
		return 1;
	}
	s->files_seen++;
	memset(f, 0, sizeof(*f));
	f->pa = pa;
	f->compatible_terminated = khofmt_schema_copy_name(f->compatible,
						     rec + LUO_FILE_COMPAT_OFF,
						     LUO_FILE_COMPAT_LEN);
	f->data = ld_le64(rec + LUO_FILE_DATA_OFF);
	f->token = ld_le64(rec + LUO_FILE_TOKEN_OFF);
	if (!f->compatible_terminated)
		khofmt_schema_report(&luo->opts, "LUO-4", KHOFMT_ERR_STRUCT, false, inf, pa,
			      "file compatible is not NUL-terminated within 48 bytes");
	else if (!khofmt_schema_find(KHOFMT_SCHEMA_AT_LUO_FILE, f->compatible))
		khofmt_schema_report(&luo->opts, "LUO-4", KHOFMT_ERR_COMPAT, false, inf, pa,
			      "file handler \"%s\" unknown (7.2 knows memfd-v2)",
			      f->compatible);
	r = khofmt_pageset_add(&luo->tokens, f->token);
	if (r < 0)
		return r;
	if (r == 0)
		khofmt_schema_report(&luo->opts, "LUO-4", KHOFMT_ERR_STRUCT, false, inf, pa,
			      "session \"%s\": token 0x%llx used twice", s->name,
			      (unsigned long long)f->token);
	return 0;
}

int khofmt_luo_flb_next(struct khofmt_luo *luo, struct khofmt_luo_flb *f)
{
	unsigned char hdr[FLB_HDR], rec[FLB_REC];
	uint64_t P, cap, pgcnt, pa;
	bool inf;
	int r;

	if (!luo || !f)
		return -KHOFMT_ERR_INVAL;
	inf = luo->info.kind == KHOFMT_SCHEMA_LUO_V1;
	P = UINT64_C(1) << luo->ps;
	if (!luo->info.flbs_pa)
		return 1;
	if (!luo->flb_read) {
		luo->flb_read = true;
		r = khofmt_source_read(luo->src, luo->info.flbs_pa, hdr, sizeof(hdr));
		if (r < 0)
			return khofmt_schema_report(&luo->opts, "LUO-5", -r, true, inf,
					     luo->info.flbs_pa,
					     "FLB header not in the memory source");
		pgcnt = ld_le64(hdr + LUO_FLBH_PGCNT_OFF);
		luo->flb_count = ld_le64(hdr + LUO_FLBH_COUNT_OFF);
		if (pgcnt != 1)
			khofmt_schema_report(&luo->opts, "LUO-5", KHOFMT_ERR_STRUCT, false, inf,
				      luo->info.flbs_pa, "FLB pgcnt %llu (expected 1)",
				      (unsigned long long)pgcnt);
		/* the reader indexes `count` records in the one page it maps */
		cap = (P - FLB_HDR) / FLB_REC;
		if (luo->flb_count > cap) {
			luo->flb_count = 0;
			return khofmt_schema_report(&luo->opts, "LUO-5", KHOFMT_ERR_STRUCT,
					     true, inf, luo->info.flbs_pa,
					     "FLB count %llu exceeds %llu records per page",
					     (unsigned long long)ld_le64(hdr + LUO_FLBH_COUNT_OFF),
					     (unsigned long long)cap);
		}
	}
	if (luo->flb_idx >= luo->flb_count)
		return 1;
	pa = luo->info.flbs_pa + FLB_HDR + luo->flb_idx * FLB_REC;
	r = khofmt_source_read(luo->src, pa, rec, sizeof(rec));
	if (r < 0)
		return khofmt_schema_report(&luo->opts, "LUO-5", -r, true, inf, pa,
				     "FLB record not in the memory source");
	luo->flb_idx++;
	memset(f, 0, sizeof(*f));
	f->pa = pa;
	f->name_terminated = khofmt_schema_copy_name(f->name, rec + LUO_FLB_NAME_OFF,
					     LUO_FLB_NAME_LEN);
	f->data = ld_le64(rec + LUO_FLB_DATA_OFF);
	f->refcount = ld_le64(rec + LUO_FLB_COUNT_OFF);
	if (!f->name_terminated)
		khofmt_schema_report(&luo->opts, "LUO-5", KHOFMT_ERR_STRUCT, false, inf, pa,
			      "FLB name is not NUL-terminated");
	r = khofmt_pageset_add(&luo->flb_names, hash_str(f->name));
	if (r < 0)
		return r;
	if (r == 0)
		khofmt_schema_report(&luo->opts, "LUO-5", KHOFMT_ERR_STRUCT, false, inf, pa,
			      "FLB name \"%s\" used twice", f->name);
	return 0;
}

const char *khofmt_luo_page_kind_name(enum khofmt_luo_page_kind k)
{
	switch (k) {
	case KHOFMT_LUO_PAGE_FLB: return "flb";
	case KHOFMT_LUO_PAGE_SESSION_BLOCK: return "session-block";
	case KHOFMT_LUO_PAGE_FILE_BLOCK: return "file-block";
	case KHOFMT_LUO_PAGE_MEMFD_RECORD: return "memfd-record";
	case KHOFMT_LUO_PAGE_VMALLOC_CHUNK: return "vmalloc-chunk";
	case KHOFMT_LUO_PAGE_VMALLOC_RUN: return "vmalloc-run";
	case KHOFMT_LUO_PAGE_MEMFD_FOLIO: return "memfd-folio";
	default: return "unknown";
	}
}

/* The pages of one memfd: record, vmalloc chunks and runs, data folios. */
static int memfd_pages(struct khofmt_luo *luo, const struct khofmt_luo_file *f,
		       khofmt_luo_page_cb cb, void *arg)
{
	uint64_t P = UINT64_C(1) << luo->ps, pa, len, chunk = 0;
	struct khofmt_vmalloc_iter it;
	struct khofmt_memfd m;
	struct khofmt_memfd_folio fo;
	int r, c;

	r = khofmt_memfd_open(luo->src, f->data, f->compatible, &luo->opts, &m);
	if (r)
		return r;
	c = cb(arg, KHOFMT_LUO_PAGE_MEMFD_RECORD, f->data, P);
	if (c || !m.nr_folios)
		return c;
	r = khofmt_vmalloc_iter_init(&it, luo->src, &m.folios, &luo->opts);
	if (r)
		return r;
	khofmt_memfd_owner(&m, &it);
	while ((r = khofmt_vmalloc_run_next(&it, &pa, &len)) == 0) {
		if (it.c.cur != chunk) {
			chunk = it.c.cur;
			c = cb(arg, KHOFMT_LUO_PAGE_VMALLOC_CHUNK, chunk, P);
			if (c)
				return c;
		}
		c = cb(arg, KHOFMT_LUO_PAGE_VMALLOC_RUN, pa, len);
		if (c)
			return c;
	}
	if (r < 0)
		return r;
	while ((r = khofmt_memfd_folio_next(&m, &fo)) == 0) {
		if (!fo.pfn)
			continue;
		c = cb(arg, KHOFMT_LUO_PAGE_MEMFD_FOLIO, fo.phys, P);
		if (c) {
			khofmt_memfd_close(&m);
			return c;
		}
	}
	return r == 1 ? 0 : r;
}

static int walk_pages(struct khofmt_luo *luo, khofmt_luo_page_cb cb, void *arg)
{
	uint64_t P = UINT64_C(1) << luo->ps, sblk = 0;
	bool v1 = luo->info.kind == KHOFMT_SCHEMA_LUO_V1;
	struct khofmt_luo_session s;
	struct khofmt_luo_file f;
	int r, c = 0;

	if (luo->info.flbs_pa)
		c = cb(arg, KHOFMT_LUO_PAGE_FLB, luo->info.flbs_pa, P);
	if (!c && v1 && luo->info.sessions_pa)
		c = cb(arg, KHOFMT_LUO_PAGE_SESSION_BLOCK, luo->info.sessions_pa,
		       8 + luo->v1_count * SESSION_REC);
	if (c)
		return c;
	while ((r = khofmt_luo_session_next(luo, &s)) == 0) {
		uint64_t fblk = 0;

		if (!v1 && luo->sit.c.cur != sblk) {
			sblk = luo->sit.c.cur;
			c = cb(arg, KHOFMT_LUO_PAGE_SESSION_BLOCK, sblk, P);
			if (c)
				return c;
		}
		if (v1 && s.files_pa && s.file_count <= V1_MAX_RECS) {
			c = cb(arg, KHOFMT_LUO_PAGE_FILE_BLOCK, s.files_pa,
			       s.file_count * FILE_REC);
			if (c)
				return c;
		}
		while ((r = khofmt_luo_file_next(luo, &s, &f)) == 0) {
			if (!v1 && s.files.c.cur != fblk) {
				fblk = s.files.c.cur;
				c = cb(arg, KHOFMT_LUO_PAGE_FILE_BLOCK, fblk, P);
				if (c)
					return c;
			}
			if (khofmt_schema_is_memfd(f.compatible)) {
				c = memfd_pages(luo, &f, cb, arg);
				if (c)
					return c;
			}
		}
		if (r < 0)
			return r;
	}
	return r == 1 ? 0 : r;
}

int khofmt_luo_walk_pages(struct khofmt_luo *luo, khofmt_luo_page_cb cb, void *arg)
{
	int r;

	if (!luo || !cb)
		return -KHOFMT_ERR_INVAL;
	khofmt_luo_rewind(luo);
	r = walk_pages(luo, cb, arg);
	khofmt_luo_rewind(luo);
	return r;
}

/* ---- registry hook: the structure pages (khofmt_subnode_pages) ---- */

struct luo_span {
	khofmt_span_cb cb;
	void *arg;
};

static int luo_span_cb(void *arg, enum khofmt_luo_page_kind kind, uint64_t pa,
		       uint64_t len)
{
	struct luo_span *s = arg;

	/* memfd folios are preserved data, not structure */
	if (kind == KHOFMT_LUO_PAGE_MEMFD_FOLIO)
		return 0;
	return s->cb(s->arg, pa, len);
}

int khofmt_schema_luo_pages(struct khofmt_source *src, const void *blob, size_t len,
		     const struct khofmt_schema_opts *o, khofmt_span_cb cb,
		     void *arg)
{
	struct luo_span s = { cb, arg };
	struct khofmt_luo *luo;
	int r;

	if (khofmt_luo_open(src, blob, len, o, &luo))
		return 0;
	/* A broken chain still yields the pages read before it. */
	r = khofmt_luo_walk_pages(luo, luo_span_cb, &s);
	khofmt_luo_free(luo);
	return r == -KHOFMT_ERR_NOMEM ? r : 0;
}
