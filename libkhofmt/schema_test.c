// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The KHO test module's blob (doc/ABI.md 6.7): sub-FDT "kho-test-v1",
 * `magic` "KHO!", node `data` with nr_folios, folios_info (a 16-byte
 * kho_vmalloc of `phys | order` words) and csum. The older form that kept
 * the words inline as the folios_info property is [I]; it is recognised
 * by a folios_info length of nr_folios * 8 (other than 16).
 */
#include <libfdt.h>

#include "schema_int.h"

#define KHO_TEST_MAGIC 0x4b484f21u

static bool prop_u32(const void *fdt, int node, const char *name, uint32_t *v)
{
	int l;
	const void *p = fdt_getprop(fdt, node, name, &l);

	if (!p || l != 4)
		return false;
	*v = ld_le32(p);
	return true;
}

int khofmt_kho_test_open(struct khofmt_source *src, const void *blob,
			 size_t len, const struct khofmt_schema_opts *opts,
			 struct khofmt_kho_test *t)
{
	const void *p;
	int l, node, r;

	if (!src || !blob || !t || !khofmt_schema_ps(opts))
		return -KHOFMT_ERR_INVAL;
	memset(t, 0, sizeof(*t));
	t->opts = opts;
	t->page_shift = khofmt_schema_ps(opts);
	t->it.c.src = src;
	r = khofmt_schema_fdt_check(blob, len, "kho-test-v1", opts, "KT-1");
	if (r)
		return r;
	t->has_magic = prop_u32(blob, 0, "magic", &t->magic);
	if (!t->has_magic || t->magic != KHO_TEST_MAGIC)
		WARN(opts, "KT-1", KHOFMT_ERR_STRUCT, 0,
		     "kho_test magic missing or not 0x4b484f21");
	node = fdt_subnode_offset(blob, 0, "data");
	if (node < 0)
		return FATAL(opts, "KT-1", KHOFMT_ERR_BADPROP, 0,
			     "kho_test without a `data` node");
	t->has_nr_folios = prop_u32(blob, node, "nr_folios", &t->nr_folios);
	t->has_csum = prop_u32(blob, node, "csum", &t->csum);
	if (!t->has_nr_folios)
		return FATAL(opts, "KT-1", KHOFMT_ERR_BADPROP, 0,
			     "kho_test: nr_folios missing or not 4 bytes");
	p = fdt_getprop(blob, node, "folios_info", &l);
	if (p && l == 16) {
		t->has_vmalloc = true;
		khofmt_vmalloc_desc_parse(p, &t->folios_info);
		if (((uint64_t)t->nr_folios * 8) >
		    ((uint64_t)t->folios_info.total_pages << t->page_shift))
			return FATAL(opts, "KT-1", KHOFMT_ERR_STRUCT, 0,
				     "%u words do not fit %u vmalloc pages",
				     t->nr_folios, t->folios_info.total_pages);
	} else if (p && (uint64_t)l == (uint64_t)t->nr_folios * 8) {
		t->inline_info = p;
		t->inline_len = (size_t)l;
		khofmt_schema_report(opts, "KT-1", 0, false, true, 0,
			      "kho_test: folios_info inline (old form, layout inferred)");
	} else {
		return FATAL(opts, "KT-1", KHOFMT_ERR_BADPROP, 0,
			     "kho_test: folios_info missing or of length %d", l);
	}
	return 0;
}

int khofmt_kho_test_folio_next(struct khofmt_kho_test *t, uint64_t *phys,
			       unsigned *order)
{
	unsigned char w[8];
	uint64_t v, mask;
	int r;

	if (!t || !phys || !order || !t->it.c.src)
		return -KHOFMT_ERR_INVAL;
	if (t->seen >= t->nr_folios)
		return 1;
	if (t->inline_info) {
		memcpy(w, t->inline_info + 8 * t->seen, 8);
	} else {
		if (t->seen == 0) {
			r = khofmt_vmalloc_iter_init(&t->it, t->it.c.src,
						     &t->folios_info, t->opts);
			if (r)
				return r;
			khofmt_vmalloc_owner(&t->it, "kho_test folios_info");
		}
		r = khofmt_vmalloc_read(&t->it, w, 8);
		if (r)
			return r;
	}
	t->seen++;
	v = ld_le64(w);
	mask = (UINT64_C(1) << t->page_shift) - 1;
	*phys = v & ~mask;
	*order = (unsigned)(v & mask);
	if (*order >= 64 - t->page_shift)
		WARN(t->opts, "KT-1", KHOFMT_ERR_STRUCT, *phys,
		     "kho_test folio %llu: order %u impossible",
		     (unsigned long long)(t->seen - 1), *order);
	return 0;
}

/* ---- registry hook: the folio list's pages (khofmt_subnode_pages) ---- */

int khofmt_schema_test_pages(struct khofmt_source *src, const void *blob, size_t len,
		      const struct khofmt_schema_opts *o, khofmt_span_cb cb,
		      void *arg)
{
	struct khofmt_vmalloc_iter it;
	struct khofmt_kho_test t;
	uint64_t pa, rl, chunk = 0;
	unsigned ps = khofmt_schema_ps(o);

	if (!ps || khofmt_kho_test_open(src, blob, len, o, &t) || !t.has_vmalloc ||
	    khofmt_vmalloc_iter_init(&it, src, &t.folios_info, o))
		return 0;
	khofmt_vmalloc_owner(&it, "kho_test folios_info");
	/* its chunk pages and the runs holding the list */
	while (khofmt_vmalloc_run_next(&it, &pa, &rl) == 0) {
		if (it.c.cur != chunk) {
			chunk = it.c.cur;
			if (cb(arg, chunk, UINT64_C(1) << ps))
				return 0;
		}
		if (cb(arg, pa, rl))
			return 0;
	}
	return 0;
}
