// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Rules on the sub-blobs (doc/ABI.md 5, 6; 9 SB-*, MB-1, KM-1): size sane,
 * bytes readable, sub-FDTs valid, known schemas' minimum sizes and the
 * trivial per-schema checks (memblock, kexec-metadata). Whether blobs and
 * the regions they name are preserved is asked of the preserved-memory
 * pass (coverage questions) and reported after it.
 *
 * Per-schema rules that need a decoder (LUO sessions, memfd) belong in a
 * rules_schema.c beside the decoders: a prepare step that registers
 * coverage questions and a check step that reads the answers, like here.
 */
#include <libfdt.h>
#include <stdlib.h>

#include "rules_int.h"
#include "abi_layout.h"
#include "schema_int.h"
#include "source_int.h"

/* The preserve allocator's limit: P << MAX_PAGE_ORDER (10). */
#define BLOB_MAX_ORDER 10
#define LUO_MIN LUO_SIZE

/* A subnode whose registered schema is a sub-FDT. */
static bool is_fdt_schema(const char *name)
{
	const struct schema_row *r = khofmt_schema_row_subnode(name);

	return r && r->info.sub_fdt;
}

/* memblock's blob rules (registry hook, schema.c) */
void khofmt_rules_blob_memblock(struct vctx *c, const struct khofmt_subnode *sn,
			 const void *fdt)
{
	int node, len;
	const char *compat;

	compat = fdt_getprop(fdt, 0, "compatible", &len);
	if (!compat || len < 1 || compat[len - 1] ||
	    strcmp(compat, "memblock-v1")) {
		khofmt_vfind(c, R_MB_SCHEMA, true, sn->pa, sn->size, -1, sn->name,
		      "memblock blob: root compatible is not \"memblock-v1\"");
		return;
	}
	fdt_for_each_subnode(node, fdt, 0) {
		const char *name = fdt_get_name(fdt, node, NULL);
		const void *ps, *pz;
		int ls, lz;
		uint64_t start, size;

		if (!name)
			name = "";
		if (fdt_node_check_compatible(fdt, node, "reserve-mem-v1")) {
			khofmt_vfind(c, R_MB_SCHEMA, true, sn->pa, sn->size, -1, name,
			      "memblock blob: node %s is not reserve-mem-v1",
			      name);
			continue;
		}
		ps = fdt_getprop(fdt, node, "start", &ls);
		pz = fdt_getprop(fdt, node, "size", &lz);
		if (!ps || !pz || ls != 8 || lz != 8) {
			khofmt_vfind(c, R_MB_SCHEMA, true, sn->pa, sn->size, -1, name,
			      "memblock blob: node %s lacks 8-byte start and size",
			      name);
			continue;
		}
		start = ld_le64(ps);
		size = ld_le64(pz);
		if (size)
			khofmt_vcover_add(c, Q_REGION, name, start, size);
	}
}

/* A blob that is (or must be) an FDT: header, size, structure. */
static void check_subfdt(struct vctx *c, const struct khofmt_subnode *sn,
			 const unsigned char *head, size_t hlen)
{
	uint64_t cap = c->P << BLOB_MAX_ORDER;
	const struct schema_row *row;
	uint32_t total;
	void *buf;
	int r;

	if (hlen < sizeof(struct fdt_header) || fdt_check_header(head)) {
		khofmt_vfind(c, R_BLOB_SUBFDT, true, sn->pa, sn->size, -1, sn->name,
		      "blob %s at 0x%llx is not a valid FDT header", sn->name,
		      (unsigned long long)sn->pa);
		return;
	}
	total = fdt_totalsize(head);
	if (total > cap) {
		khofmt_vfind(c, R_BLOB_SUBFDT, true, sn->pa, sn->size, -1, sn->name,
		      "sub-FDT %s: totalsize %u is beyond the 0x%llx-byte limit",
		      sn->name, total, (unsigned long long)cap);
		return;
	}
	if (sn->has_size && sn->size < total)
		khofmt_vfind(c, R_BLOB_FDTSIZE, true, sn->pa, sn->size, -1, sn->name,
		      "sub-FDT %s: blob-size %llu is smaller than its totalsize %u",
		      sn->name, (unsigned long long)sn->size, total);
	buf = aligned_alloc(8, ((size_t)total + 7) & ~(size_t)7);
	if (!buf) {
		c->err = -KHOFMT_ERR_NOMEM;
		return;
	}
	if (khofmt_source_read(c->src, sn->pa, buf, total) < 0) {
		khofmt_vfind(c, R_BLOB_UNREADABLE, true, sn->pa, total, -1, sn->name,
		      "sub-FDT %s: its %u bytes at 0x%llx are not all in the memory source",
		      sn->name, total, (unsigned long long)sn->pa);
		free(buf);
		return;
	}
	r = fdt_check_full(buf, total);
	if (r)
		khofmt_vfind(c, R_BLOB_SUBFDT, true, sn->pa, sn->size, -1, sn->name,
		      "sub-FDT %s: %s", sn->name, fdt_strerror(r));
	else if ((row = khofmt_schema_row_subnode(sn->name)) && row->info.sub_fdt &&
		 row->blob_rules)
		row->blob_rules(c, sn, buf);
	free(buf);
}

/* LUO's blob rules (registry hook, schema.c): the root struct's size */
void khofmt_rules_blob_luo(struct vctx *c, const struct khofmt_subnode *sn,
			   const void *fdt)
{
	(void)fdt;
	if (sn->has_size && sn->size < LUO_MIN)
		khofmt_vfind(c, R_BLOB_LUOMIN, true, sn->pa, sn->size, -1, sn->name,
		      "LUO blob-size %llu < %u: the next kernel panics",
		      (unsigned long long)sn->size, LUO_MIN);
}

/* kexec-metadata's blob rules (registry hook, schema.c) */
void khofmt_rules_blob_kexec_meta(struct vctx *c, const struct khofmt_subnode *sn,
			   const void *fdt)
{
	unsigned char m[KM_SIZE];
	uint32_t version, count;

	(void)fdt;
	if (sn->size < KM_SIZE) {
		khofmt_vfind(c, R_BLOB_KMMIN, true, sn->pa, sn->size, -1, sn->name,
		      "kexec-metadata blob-size %llu < %u: the reader ignores it",
		      (unsigned long long)sn->size, KM_SIZE);
		return;
	}
	if (khofmt_source_read(c->src, sn->pa, m, sizeof(m)) < 0)
		return;	/* reported as unreadable */
	version = ld_le32(m);
	count = ld_le32(m + KM_COUNT_OFF);
	if (version != 1 || !memchr(m + 4, 0, KM_RELEASE_LEN) || !count)
		khofmt_vfind(c, R_KM_FIELDS, true, sn->pa, sn->size, -1, sn->name,
		      "kexec-metadata: version %u (want 1), previous_release %sNUL-terminated, kexec_count %u (want >= 1)",
		      version, memchr(m + 4, 0, KM_RELEASE_LEN) ? "" : "not ",
		      count);
}

static void check_blob(struct vctx *c, const struct khofmt_subnode *sn)
{
	uint64_t cap = c->P << BLOB_MAX_ORDER, rlen;
	const struct schema_row *row;
	unsigned char head[sizeof(struct fdt_header)];
	size_t hlen;
	long q;

	if (sn->has_size && !sn->size)
		khofmt_vfind(c, R_BLOB_ZERO, true, sn->pa, 0, -1, sn->name,
		      "blob %s at 0x%llx has blob-size 0", sn->name,
		      (unsigned long long)sn->pa);
	if (sn->has_size && sn->size > cap)
		khofmt_vfind(c, R_BLOB_HUGE, true, sn->pa, sn->size, -1, sn->name,
		      "blob %s: blob-size 0x%llx is larger than 0x%llx", sn->name,
		      (unsigned long long)sn->size, (unsigned long long)cap);
	q = khofmt_vcover_add(c, Q_BLOB, sn->name, sn->pa, sn->has_size ? sn->size : 0);
	if (q >= 0)
		c->q[q].bytes = sn->has_size ? sn->size : 0;

	rlen = sn->has_size ? (sn->size < cap ? sn->size : cap) : 1;
	if (rlen && !khofmt_source_covers(c->src, sn->pa, rlen)) {
		khofmt_vfind(c, R_BLOB_UNREADABLE, true, sn->pa, rlen, -1, sn->name,
		      "blob %s [0x%llx, +0x%llx) is %s",
		      sn->name, (unsigned long long)sn->pa,
		      (unsigned long long)rlen, khofmt_src_missing(c->src, sn->pa));
		return;
	}
	row = khofmt_schema_row_subnode(sn->name);
	if (row && !row->info.sub_fdt && row->blob_rules && sn->has_size)
		row->blob_rules(c, sn, NULL);
	hlen = sizeof(head);
	if (khofmt_source_read(c->src, sn->pa, head, hlen) < 0)
		hlen = 0;
	if (q >= 0 && !c->q[q].bytes && hlen && !fdt_check_header(head))
		c->q[q].bytes = fdt_totalsize(head);
	if (is_fdt_schema(sn->name) ||
	    (hlen >= 4 && fdt_magic(head) == FDT_MAGIC))
		check_subfdt(c, sn, head, hlen);
	else if (!row)
		khofmt_vfind(c, R_BLOB_NOSCHEMA, true, sn->pa, sn->has_size ? sn->size : 0,
			     -1, sn->name, "blob %s: no sub-schema of this build reads it: "
			     "its contents were not checked", sn->name);
}

/* Pages [*lo, *hi) a blob uses (its first byte when its size is unknown). */
static void blob_pages(const struct vctx *c, const struct cover_q *q,
		       uint64_t *lo, uint64_t *hi)
{
	uint64_t n = q->bytes ? q->bytes : 1, end = q->start + n;

	*lo = q->start & ~(c->P - 1);
	*hi = end < q->start ? UINT64_MAX & ~(c->P - 1) :
	      (end + c->P - 1 < end ? UINT64_MAX & ~(c->P - 1) :
	       (end + c->P - 1) & ~(c->P - 1));
}

static int cmp_blob(const void *a, const void *b)
{
	const struct cover_q *const *x = a, *const *y = b;

	return (*x)->start < (*y)->start ? -1 : (*x)->start > (*y)->start;
}

/*
 * SB-1: every blob in pages of its own. Sorted by start, each blob is
 * compared with the one reaching furthest among those before it.
 */
static void check_shared(struct vctx *c)
{
	const struct cover_q **v, *far = NULL;
	uint64_t far_hi = 0;
	size_t i, n = 0;

	v = malloc((c->nq ? c->nq : 1) * sizeof(*v));
	if (!v) {
		c->err = -KHOFMT_ERR_NOMEM;
		return;
	}
	for (i = 0; i < c->nq; i++)
		if (c->q[i].kind == Q_BLOB)
			v[n++] = &c->q[i];
	qsort(v, n, sizeof(*v), cmp_blob);
	for (i = 0; i < n; i++) {
		uint64_t lo, hi;

		blob_pages(c, v[i], &lo, &hi);
		if (far && lo < far_hi) {
			bool same = far->start == v[i]->start;
			bool bytes = v[i]->start < far->start +
				     (far->bytes ? far->bytes : 1);

			khofmt_vfind(c, R_BLOB_SAME, true, v[i]->start, v[i]->bytes, -1,
			      v[i]->name,
			      "blobs %s and %s %s (0x%llx and 0x%llx)",
			      far->name, v[i]->name,
			      same ? "are the same blob" :
			      bytes ? "overlap" : "share a page",
			      (unsigned long long)far->start,
			      (unsigned long long)v[i]->start);
		}
		if (!far || hi > far_hi) {
			far = v[i];
			far_hi = hi;
		}
	}
	free(v);
}

/* SB-1: no blob in a page the tracker itself uses (c->tpages, sorted). */
static void check_in_tracker(struct vctx *c)
{
	size_t i;

	for (i = 0; i < c->nq && c->ntpages; i++) {
		const struct cover_q *q = &c->q[i];
		size_t a = 0, b = c->ntpages;
		uint64_t lo, hi;

		if (q->kind != Q_BLOB)
			continue;
		blob_pages(c, q, &lo, &hi);
		while (a < b) {
			size_t mid = a + (b - a) / 2;

			if (c->tpages[mid] < lo)
				a = mid + 1;
			else
				b = mid;
		}
		if (a < c->ntpages && c->tpages[a] < hi)
			khofmt_vfind(c, R_BLOB_TRACKER, true, q->start, q->bytes, -1,
			      q->name,
			      "blob %s at 0x%llx lies in tracker page 0x%llx",
			      q->name, (unsigned long long)q->start,
			      (unsigned long long)c->tpages[a]);
	}
}

void khofmt_rules_blob_prepare(struct vctx *c)
{
	size_t i, n;

	if (!c->fdt || !khofmt_gen(khofmt_fdt_abi(c->fdt)) || !c->src)
		return;
	n = khofmt_fdt_nsubnodes(c->fdt);
	for (i = 0; i < n && !c->err; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode(c->fdt, i);

		if (sn->has_pa)
			check_blob(c, sn);
	}
	if (!c->err)
		check_shared(c);
	if (c->o->has_fdt_pa)
		khofmt_vcover_add(c, Q_FDTPAGE, "/", c->o->fdt_pa, c->P);
	else if (khofmt_gen(khofmt_fdt_abi(c->fdt))->root_one_page)
		khofmt_vskip(c, R_MEM_FDTPAGE, 0, "root FDT address unknown");
}

void khofmt_rules_blob_check(struct vctx *c)
{
	size_t i;

	check_in_tracker(c);
	if (!c->tracker_walked)
		return;
	for (i = 0; i < c->nq; i++) {
		const struct cover_q *q = &c->q[i];
		bool full = q->start_covered &&
			    q->len <= q->extent_end - q->start;

		switch (q->kind) {
		case Q_BLOB:
			if (!q->start_covered)
				khofmt_vfind(c, R_BLOB_UNPRESERVED, true, q->start,
				      q->len, -1, q->name,
				      "blob %s at 0x%llx is not in preserved memory",
				      q->name, (unsigned long long)q->start);
			else if (!full)
				khofmt_vfind(c, R_BLOB_BEYOND, true, q->start, q->len,
				      -1, q->name,
				      "blob %s [0x%llx, +0x%llx): preserved memory ends at 0x%llx",
				      q->name, (unsigned long long)q->start,
				      (unsigned long long)q->len,
				      (unsigned long long)q->extent_end);
			break;
		case Q_REGION:
			if (!full)
				khofmt_vfind(c, R_MB_REGION, true, q->start, q->len,
				      -1, q->name,
				      "reserve_mem region %s [0x%llx, +0x%llx) is not fully preserved",
				      q->name, (unsigned long long)q->start,
				      (unsigned long long)q->len);
			break;
		case Q_FDTPAGE:
			if (!full)
				khofmt_vfind(c, R_MEM_FDTPAGE, true, q->start, q->len,
				      -1, "/",
				      "root FDT page 0x%llx is not preserved",
				      (unsigned long long)q->start);
			break;
		}
	}
}
