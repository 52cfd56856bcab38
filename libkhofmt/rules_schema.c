// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Per-schema rules that need a decoder (doc/ABI.md 6.2-6.5, 6.7; 9 LUO-*,
 * MFD-1, VM-1, SB-2, KT-1): the decoders' own problem reports become
 * findings (one rule per spec ID, so nothing is reported twice), and every
 * page the state uses is checked against the tracker with point queries
 * (the generation's has_entry: bounded by the tracker), after the
 * preserved-memory pass has validated the tree.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rules_int.h"
#include "schema_int.h"

/* Entries looked up per vmalloc area to prove its runs preserved. */
#define COVER_BUDGET (1u << 16)

/* ---- point queries on the tracker ---- */

/* 1 = (pa, order) is an entry, 0 = not, -1 = the path cannot be read. */
static int entry(struct vctx *c, uint64_t pa, unsigned order)
{
	int r = khofmt_has_entry(c->h, pa, order);

	return r < 0 ? -1 : r;
}

static unsigned max_order(const struct vctx *c)
{
	return khofmt_handover_geom(c->h)->max_order;
}

/* Order of the entry starting at @pa; -1 none, -2 unknown. */
static int entry_order(struct vctx *c, uint64_t pa)
{
	unsigned o, top = max_order(c);
	bool unknown = false;

	if (pa) {
		unsigned a = (unsigned)__builtin_ctzll(pa);

		if (a < c->page_shift)
			return -1;
		if (a - c->page_shift < top)
			top = a - c->page_shift;
	}
	for (o = 0; o <= top; o++) {
		int r = entry(c, pa, o);

		if (r == 1)
			return (int)o;
		if (r < 0)
			unknown = true;
	}
	return unknown ? -2 : -1;
}

/* The entry containing @pa: 1 (its end in *@end), 0 none, -1 unknown. */
static int entry_containing(struct vctx *c, uint64_t pa, uint64_t *end)
{
	unsigned o, top = max_order(c);
	bool unknown = false;

	for (o = 0; o <= top; o++) {
		uint64_t size = c->P << o, base = pa & ~(size - 1);
		int r = entry(c, base, o);

		if (r == 1) {
			*end = base + size;
			return 1;
		}
		if (r < 0)
			unknown = true;
	}
	return unknown ? -1 : 0;
}

/*
 * Is [pa, pa+len) covered by entries? 1 yes, 0 no (*@gap), -1 unknown
 * (unreadable path, or *@budget steps used up: hostile run lengths cost
 * at most the budget of their area).
 */
static int covered(struct vctx *c, uint64_t pa, uint64_t len, uint64_t *gap,
		   unsigned *budget)
{
	uint64_t pos = pa, end = pa + len, e;
	unsigned lg;

	/* a run kho_preserve_pages() kept whole: one entry */
	if (len >= c->P && !(len & (len - 1))) {
		lg = (unsigned)__builtin_ctzll(len) - c->page_shift;
		if (lg <= max_order(c) && entry(c, pa, lg) == 1)
			return 1;
	}
	while (pos < end && pos >= pa) {
		int r;

		if (!*budget)
			return -1;
		--*budget;
		r = entry_containing(c, pos, &e);
		if (r <= 0) {
			*gap = pos;
			return r;
		}
		pos = e;
	}
	return 1;
}

/* ---- decoder problems -> findings ---- */

struct sctx {
	struct vctx *c;
	const char *obj;
	const char *what;       /* prefix naming the structure, or NULL */
	int dflt;               /* rule for spec IDs without a mapping */
	unsigned count;         /* problems told (reported or not) */
	bool quiet;             /* count only */
	char last[256];         /* the previous report, to drop repeats */
	uint64_t last_pa;
};

static int rule_of(const char *spec, int dflt)
{
	static const struct { const char *spec; int num; } map[] = {
		{ "LUO-1", R_LUO_ROOT }, { "LUO-2", R_LUO_CHAIN },
		{ "LUO-3", R_LUO_SESSION }, { "LUO-4", R_LUO_FILE },
		{ "LUO-5", R_LUO_FLB }, { "MFD-1", R_MFD_FIELDS },
		{ "VM-1", R_VM_DESC }, { "KT-1", R_KT_FIELDS },
		{ "SYSD-1", R_SD_MAPPING }, { "SYSD-2", R_SD_PARSE },
		{ "SYSD-3", R_SD_VERSION }, { "SYSD-4", R_SD_ENTRY },
		{ "SYSD-5", R_SD_UNPRESERVED }, { "SYSD-6", R_SD_SESSION },
		{ "SYSD-7", R_SD_UNNAMED },
	};
	size_t i;

	for (i = 0; spec && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].spec, spec))
			return map[i].num;
	return dflt;
}

static int on_problem(void *arg, const struct khofmt_schema_problem *p)
{
	struct sctx *s = arg;
	const char *msg = p->msg ? p->msg : "";

	s->count++;
	/* err 0: a note (layout inferred), not a fault */
	if (s->quiet || !p->err)
		return 0;
	/* a damaged sub-FDT is KHO-E065's */
	if (p->err == -KHOFMT_ERR_BADFDT || p->err == KHOFMT_ERR_BADFDT)
		return 0;
	/* walks that read an area twice tell its warnings twice */
	if (p->pa == s->last_pa && !strncmp(s->last, msg, sizeof(s->last) - 1))
		return 0;
	snprintf(s->last, sizeof(s->last), "%s", msg);
	s->last_pa = p->pa;
	khofmt_vfind(s->c, rule_of(p->rule, s->dflt), p->pa != 0, p->pa, 0, -1,
	      s->obj, "%s%s%s%s", s->what ? s->what : "", s->what ? ": " : "",
	      msg, p->inferred ? " (layout inferred)" : "");
	return 0;
}

static void schema_opts(struct vctx *c, struct sctx *s,
			struct khofmt_schema_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->page_shift = c->page_shift;
	o->problem = on_problem;
	o->problem_arg = s;
}

/* ---- kho_vmalloc areas (VM-1) ---- */

/*
 * Chunk pages are order-0 entries, runs fully preserved. The whole chain
 * is walked (loops, wild or misaligned `next`, run counts against
 * total_pages): with @report its problems are findings of KHO-E183 naming
 * @obj and @what; without, the owner's decoder walk reported them already
 * (memfd folio arrays, through the LUO walk).
 */
static void check_vmalloc(struct vctx *c, const struct khofmt_vmalloc_desc *d,
			  const char *obj, const char *what, bool report)
{
	struct sctx quiet = {
		.c = c, .quiet = !report, .obj = obj, .what = what,
		.dflt = R_VM_DESC,
	};
	struct khofmt_schema_opts o;
	struct khofmt_vmalloc_iter it;
	uint64_t pa, len, chunk = 0, gap = 0;
	unsigned budget = COVER_BUDGET;

	schema_opts(c, &quiet, &o);
	if (khofmt_vmalloc_iter_init(&it, c->src, d, &o))
		return;
	while (!c->err && khofmt_vmalloc_run_next(&it, &pa, &len) == 0) {
		if (it.c.cur != chunk) {
			chunk = it.c.cur;
			if (entry(c, chunk, 0) == 0)
				khofmt_vfind(c, R_VM_UNPRESERVED, true, chunk, c->P, 0,
				      obj, "%s: vmalloc chunk page 0x%llx is not a preserved order-0 entry",
				      what, (unsigned long long)chunk);
		}
		if (covered(c, pa, len, &gap, &budget) == 0)
			khofmt_vfind(c, R_VM_UNPRESERVED, true, pa, len, d->order, obj,
			      "%s: vmalloc run [0x%llx, +0x%llx) is not preserved from 0x%llx on",
			      what, (unsigned long long)pa,
			      (unsigned long long)len, (unsigned long long)gap);
	}
}

/* ---- memfd (MFD-1) ---- */

struct mfolio {
	uint64_t index;
	uint64_t phys;
	unsigned order;
};

static int cmp_mfolio(const void *a, const void *b)
{
	const struct mfolio *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/* Folio orders against the file's page layout (E182). */
static void check_memfd_layout(struct vctx *c, const struct khofmt_memfd *m,
			       struct mfolio *f, size_t n, const char *obj)
{
	uint64_t pages = (m->size >> c->page_shift) +
			 !!(m->size & (c->P - 1));
	uint64_t end = 0;
	size_t i;

	if (n > 1)
		qsort(f, n, sizeof(*f), cmp_mfolio);
	for (i = 0; i < n; i++) {
		uint64_t span = UINT64_C(1) << f[i].order;

		if (f[i].index & (span - 1))
			khofmt_vfind(c, R_MFD_ORDER, true, f[i].phys, c->P << f[i].order,
			      (int)f[i].order, obj,
			      "memfd 0x%llx: folio at index %llu is preserved as order %u, not aligned to its %llu pages",
			      (unsigned long long)m->pa,
			      (unsigned long long)f[i].index, f[i].order,
			      (unsigned long long)span);
		else if (i && f[i].index < end)
			khofmt_vfind(c, R_MFD_ORDER, true, f[i - 1].phys,
			      c->P << f[i - 1].order, (int)f[i - 1].order, obj,
			      "memfd 0x%llx: folio at index %llu (order %u) overlaps the folio at index %llu",
			      (unsigned long long)m->pa,
			      (unsigned long long)f[i - 1].index,
			      f[i - 1].order, (unsigned long long)f[i].index);
		else if (i && f[i].index > end)
			khofmt_vfind(c, R_MFD_ORDER, true, f[i - 1].phys,
			      c->P << f[i - 1].order, (int)f[i - 1].order, obj,
			      "memfd 0x%llx: folio at index %llu is preserved as order %u: file pages %llu..%llu have no folio",
			      (unsigned long long)m->pa,
			      (unsigned long long)f[i - 1].index,
			      f[i - 1].order, (unsigned long long)end,
			      (unsigned long long)(f[i].index - 1));
		end = f[i].index + span;
	}
	if (n && end < pages)
		khofmt_vfind(c, R_MFD_ORDER, true, f[n - 1].phys,
		      c->P << f[n - 1].order, (int)f[n - 1].order, obj,
		      "memfd 0x%llx: last folio (index %llu) is preserved as order %u: file pages %llu..%llu have no folio",
		      (unsigned long long)m->pa,
		      (unsigned long long)f[n - 1].index, f[n - 1].order,
		      (unsigned long long)end, (unsigned long long)(pages - 1));
}

static void check_memfd(struct vctx *c, const struct khofmt_luo_file *lf,
			const char *obj)
{
	struct sctx quiet = { .c = c, .quiet = true };
	struct khofmt_schema_opts o;
	struct khofmt_memfd m;
	struct khofmt_memfd_folio fo;
	struct mfolio *f = NULL;
	size_t n = 0, cap = 0;
	bool complete = true;
	int r, ord;

	schema_opts(c, &quiet, &o);
	/* the walk has told the record's problems; count them only */
	if (khofmt_memfd_open(c->src, lf->data, lf->compatible, &o, &m))
		return;
	if (m.nr_folios)
		check_vmalloc(c, &m.folios, obj, "memfd folio array", false);
	while (!c->err && (r = khofmt_memfd_folio_next(&m, &fo)) == 0) {
		if (!fo.pfn)
			continue;
		ord = entry_order(c, fo.phys);
		if (ord < 0) {
			complete = false;
			if (ord == -1)
				khofmt_vfind(c, R_MFD_UNPRESERVED, true, fo.phys, c->P, -1,
				      obj, "memfd 0x%llx: folio at index %llu (pfn 0x%llx) is not the head of a preserved entry",
				      (unsigned long long)m.pa,
				      (unsigned long long)fo.index,
				      (unsigned long long)fo.pfn);
			continue;
		}
		{
			struct mfolio *p = khofmt_grow(f, &cap, n + 1, sizeof(*f));

			if (!p) {
				c->err = -KHOFMT_ERR_NOMEM;
				break;
			}
			f = p;
		}
		f[n].index = fo.index;
		f[n].phys = fo.phys;
		f[n].order = (unsigned)ord;
		n++;
	}
	khofmt_memfd_close(&m);
	/* with the record's own faults (E180) the layout says nothing more */
	if (!c->err && r == 1 && complete && !quiet.count)
		check_memfd_layout(c, &m, f, n, obj);
	free(f);
}

/* ---- LUO ---- */

/* Is @pa the start of a preserved entry? Report SB-2 / not preserved. */
static void check_start(struct vctx *c, uint64_t pa, int unpreserved_rule,
			const char *obj, const char *what)
{
	uint64_t end;
	int r = entry_order(c, pa);

	if (r >= 0 || r == -2)
		return;
	r = entry_containing(c, pa, &end);
	if (r == 1)
		khofmt_vfind(c, R_LUO_START, true, pa, 0, -1, obj,
		      "%s 0x%llx lies inside a preserved entry (ending at 0x%llx) but does not start one",
		      what, (unsigned long long)pa, (unsigned long long)end);
	else if (r == 0 && unpreserved_rule)
		khofmt_vfind(c, unpreserved_rule, true, pa, c->P, -1, obj,
		      "%s 0x%llx is not in preserved memory", what,
		      (unsigned long long)pa);
}

struct luo_walk {
	struct vctx *c;
	bool v1;
	const char *obj;
};

static int on_luo_page(void *arg, enum khofmt_luo_page_kind kind, uint64_t pa,
		       uint64_t len)
{
	struct luo_walk *w = arg;
	struct vctx *c = w->c;
	int r;

	(void)len;
	switch (kind) {
	case KHOFMT_LUO_PAGE_FLB:
	case KHOFMT_LUO_PAGE_SESSION_BLOCK:
	case KHOFMT_LUO_PAGE_FILE_BLOCK:
		/* v1 arrays are kho_alloc_preserve()d: any order */
		r = w->v1 ? (entry_order(c, pa) >= 0 ? 1 : 0) : entry(c, pa, 0);
		if (r == 0 && !(w->v1 && entry_order(c, pa) == -2))
			khofmt_vfind(c, R_LUO_BLOCK, true, pa, c->P, 0, w->obj,
			      "LUO %s 0x%llx is not a preserved %sentry",
			      khofmt_luo_page_kind_name(kind),
			      (unsigned long long)pa, w->v1 ? "" : "order-0 ");
		break;
	case KHOFMT_LUO_PAGE_MEMFD_RECORD:
		check_start(c, pa, R_MFD_UNPRESERVED, w->obj, "memfd record");
		break;
	default:
		break;	/* vmalloc areas and folios: check_memfd() */
	}
	return c->err ? 1 : 0;
}

/* Second pass without reports: the memfds with their handler names. */
static void check_luo_memfds(struct vctx *c, const void *blob, size_t len,
			     const char *obj)
{
	struct sctx quiet = { .c = c, .quiet = true };
	struct khofmt_schema_opts o;
	struct khofmt_luo *luo;
	struct khofmt_luo_session s;
	struct khofmt_luo_file f;

	schema_opts(c, &quiet, &o);
	if (khofmt_luo_open(c->src, blob, len, &o, &luo))
		return;
	while (!c->err && khofmt_luo_session_next(luo, &s) == 0)
		while (!c->err && khofmt_luo_file_next(luo, &s, &f) == 0)
			if (khofmt_schema_is_memfd(f.compatible))
				check_memfd(c, &f, obj);
	khofmt_luo_free(luo);
}

/* systemd's FD store in the session "systemd" (schema_systemd.c). */
static void check_systemd(struct vctx *c, const void *blob, size_t len,
			  const char *obj)
{
	struct sctx s = { .c = c, .obj = obj, .dflt = R_SD_MAPPING };
	struct khofmt_schema_opts o;
	struct khofmt_systemd *sd = NULL;

	schema_opts(c, &s, &o);
	if (khofmt_systemd_open(c->src, blob, len, &o, &sd) == -KHOFMT_ERR_NOMEM)
		c->err = -KHOFMT_ERR_NOMEM;
	khofmt_systemd_free(sd);
}

/* LUO's rules (registry hook, schema.c) */
void khofmt_rules_schema_luo(struct vctx *c, const struct khofmt_subnode *sn)
{
	struct sctx s = { .c = c, .obj = sn->name, .dflt = R_LUO_ROOT };
	struct luo_walk w = { .c = c, .obj = sn->name };
	struct khofmt_schema_opts o;
	struct khofmt_luo *luo;
	struct khofmt_luo_flb flb;
	void *blob;
	size_t len;
	int r;

	if (sn->has_size && sn->size < 32)
		return;	/* KHO-E067 */
	if (khofmt_subnode_blob_read(c->src, sn, &blob, &len) < 0)
		return;	/* KHO-E062 */
	check_start(c, sn->pa, 0, sn->name, "LUO root");
	schema_opts(c, &s, &o);
	r = khofmt_luo_open(c->src, blob, len, &o, &luo);
	if (r) {
		if (r == -KHOFMT_ERR_NOMEM)
			c->err = r;
		free(blob);
		return;
	}
	w.v1 = khofmt_luo_info(luo)->kind == KHOFMT_SCHEMA_LUO_V1;
	while (!c->err && (r = khofmt_luo_flb_next(luo, &flb)) == 0)
		;
	if (!c->err) {
		r = khofmt_luo_walk_pages(luo, on_luo_page, &w);
		if (r == -KHOFMT_ERR_NOMEM)
			c->err = r;
	}
	khofmt_luo_free(luo);
	if (!c->err)
		check_luo_memfds(c, blob, len, sn->name);
	if (!c->err)
		check_systemd(c, blob, len, sn->name);
	free(blob);
}

/* ---- kho_test ---- */

/* kho_test's rules (registry hook, schema.c) */
void khofmt_rules_schema_kho_test(struct vctx *c, const struct khofmt_subnode *sn)
{
	struct sctx s = { .c = c, .obj = sn->name, .dflt = R_KT_FIELDS };
	struct khofmt_schema_opts o;
	struct khofmt_kho_test t;
	uint64_t phys;
	unsigned order;
	void *blob;
	size_t len;

	if (khofmt_subnode_blob_read(c->src, sn, &blob, &len) < 0)
		return;
	schema_opts(c, &s, &o);
	if (khofmt_kho_test_open(c->src, blob, len, &o, &t)) {
		free(blob);
		return;
	}
	/* nothing else walks the chain to its end: report its faults here */
	if (t.has_vmalloc)
		check_vmalloc(c, &t.folios_info, sn->name,
			      "kho_test folios_info", true);
	while (!c->err && khofmt_kho_test_folio_next(&t, &phys, &order) == 0)
		if (order <= max_order(c) && entry(c, phys, order) == 0)
			khofmt_vfind(c, R_KT_FOLIO, true, phys, c->P << order,
			      (int)order, sn->name,
			      "kho_test folio 0x%llx is not a preserved order-%u entry",
			      (unsigned long long)phys, order);
	free(blob);
}

/* ---- SB-1: no blob in another subnode's structure pages ---- */

/* A page span of one subnode's structure (LUO blocks, vmalloc chunks, ...). */
struct spage {
	uint64_t lo, hi;
	const char *owner;
};

struct spages {
	struct spage *v;
	size_t n, cap;
	const char *owner;
	uint64_t P;
};

static int collect_span(void *arg, uint64_t pa, uint64_t len)
{
	struct spages *s = arg;
	struct spage *v;
	uint64_t lo = pa & ~(s->P - 1), hi = pa + (len ? len : 1);

	if (hi < pa || hi > UINT64_MAX - s->P)
		hi = UINT64_MAX;
	else
		hi = (hi + s->P - 1) & ~(s->P - 1);
	v = khofmt_grow(s->v, &s->cap, s->n + 1, sizeof(*v));
	if (!v)
		return -KHOFMT_ERR_NOMEM;
	s->v = v;
	s->v[s->n++] = (struct spage){ lo, hi, s->owner };
	return 0;
}

static int cmp_spage(const void *a, const void *b)
{
	const struct spage *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * The structure pages come from each schema's pages hook, that is from
 * the chain walker: a chain broken there yields its pages up to the fault
 * (the fault itself is the schema rules' finding).
 */
static void check_blob_in_structure(struct vctx *c)
{
	struct khofmt_schema_opts o = {
		.sz = sizeof(o), .page_shift = c->page_shift,
	};
	struct spages s = { .P = c->P };
	size_t i, j, n = khofmt_fdt_nsubnodes(c->fdt);

	for (i = 0; i < n && !c->err; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode(c->fdt, i);

		if (!sn->has_pa)
			continue;
		s.owner = sn->name;
		if (khofmt_subnode_pages(c->src, sn, &o, collect_span, &s) ==
		    -KHOFMT_ERR_NOMEM)
			c->err = -KHOFMT_ERR_NOMEM;
	}
	if (s.n > 1)
		qsort(s.v, s.n, sizeof(*s.v), cmp_spage);
	for (i = 0; i < c->nq && s.n && !c->err; i++) {
		const struct cover_q *q = &c->q[i];
		uint64_t lo = q->start & ~(c->P - 1);
		uint64_t hi = q->start + (q->bytes ? q->bytes : 1);

		if (hi < q->start)
			hi = UINT64_MAX;
		if (q->kind != Q_BLOB)
			continue;
		for (j = 0; j < s.n && s.v[j].lo < hi; j++) {
			if (s.v[j].hi <= lo || !strncmp(s.v[j].owner, q->name,
						       sizeof(q->name) - 1))
				continue;
			khofmt_vfind(c, R_BLOB_SAME, true, q->start, q->bytes, -1,
				     q->name,
				     "blob %s at 0x%llx lies in a structure page [0x%llx, 0x%llx) of %s",
				     q->name, (unsigned long long)q->start,
				     (unsigned long long)s.v[j].lo,
				     (unsigned long long)s.v[j].hi, s.v[j].owner);
			break;
		}
	}
	free(s.v);
}

void khofmt_rules_schema_check(struct vctx *c)
{
	size_t i, n;

	if (!c->tracker_walked || !c->h)
		return;
	check_blob_in_structure(c);
	/* by the owner's subnode name, whatever the blob holds now */
	n = khofmt_fdt_nsubnodes(c->fdt);
	for (i = 0; i < n && !c->err; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode(c->fdt, i);
		const struct schema_row *row = khofmt_schema_row_subnode(sn->name);

		if (sn->has_pa && row && row->rules)
			row->rules(c, sn);
	}
}
