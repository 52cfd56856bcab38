// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every sub-schema of the registry on hostile bytes: the input picks a
 * registry entry at the subnode level and a page size, then gives a blob
 * and the physical memory around it. The blob is decoded with that entry's
 * decoder whatever it looks like (so the fuzzer need not first forge the
 * match), nested schemas (memfd files, systemd's session) are reached
 * through the registry, and khofmt_subnode_pages() walks what capture
 * copies. Invariants: documented errors only, bounded iteration, every
 * span the pages hook reports is non-empty.
 *
 * Input: u8 entry, u8 page-size selector, le16 blob length, le32 blob
 * offset, then the memory, mapped at 0x1000000 (the encoder's meta area,
 * so that gen_seeds' encoded states are seeds as they are).
 *
 * fuzz-dict: luo fdt
 * fuzz-max-len: 131072
 */
#include "fuzz.h"

#define BASE UINT64_C(0x1000000)
#define MAX_ITEMS 100000

static int pages_cb(void *arg, uint64_t pa, uint64_t len)
{
	unsigned long *n = arg;

	(void)pa;
	FZ_ASSERT(len > 0);
	return ++*n > MAX_ITEMS;
}

static int problem_cb(void *arg, const struct khofmt_schema_problem *p)
{
	(void)arg;
	FZ_ASSERT(p->rule && p->msg);
	return 0;
}

static bool is_kind(enum khofmt_schema_where w, const char *key,
		    enum khofmt_schema_kind k)
{
	const struct khofmt_schema_info *in = khofmt_schema_find(w, key);

	return in && in->kind == k;
}

static void luo(struct khofmt_source *src, const void *b, size_t len,
		const struct khofmt_schema_opts *o)
{
	struct khofmt_luo_session s;
	struct khofmt_luo_file f;
	struct khofmt_luo_flb fl;
	struct khofmt_systemd *sd = NULL;
	struct khofmt_luo *l;
	unsigned long n = 0;
	int rc;

	rc = khofmt_luo_open(src, b, len, o, &l);
	FZ_RC(rc);
	if (rc)
		return;
	while (n++ < MAX_ITEMS && (rc = khofmt_luo_session_next(l, &s)) == 0) {
		bool sysd = is_kind(KHOFMT_SCHEMA_AT_LUO_SESSION, s.name,
				    KHOFMT_SCHEMA_SYSTEMD_FDSTORE);

		while (n++ < MAX_ITEMS && (rc = khofmt_luo_file_next(l, &s, &f)) == 0) {
			struct khofmt_memfd m;
			struct khofmt_memfd_folio mf;

			if (!is_kind(KHOFMT_SCHEMA_AT_LUO_FILE, f.compatible,
				     KHOFMT_SCHEMA_MEMFD))
				continue;
			rc = khofmt_memfd_open(src, f.data, f.compatible, o, &m);
			FZ_RC(rc);
			if (rc)
				continue;
			while (n++ < MAX_ITEMS && (rc = khofmt_memfd_folio_next(&m, &mf)) == 0)
				;
			FZ_RC(rc);
			khofmt_memfd_close(&m);
		}
		FZ_RC(rc);
		if (sysd) {
			rc = khofmt_systemd_open(src, b, len, o, &sd);
			FZ_RC(rc);
			khofmt_systemd_free(sd);
			sd = NULL;
		}
	}
	FZ_RC(rc);
	while (n++ < MAX_ITEMS && (rc = khofmt_luo_flb_next(l, &fl)) == 0)
		;
	FZ_RC(rc);
	khofmt_luo_free(l);
	FZ_ASSERT(n <= MAX_ITEMS + 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned shifts[] = { 12, 14, 16 };
	struct khofmt_schema_opts o = { .sz = sizeof(o), .problem = problem_cb };
	const struct khofmt_schema_info *in = NULL;
	struct khofmt_subnode sn = { 0 };
	struct khofmt_source *src = NULL;
	unsigned long spans = 0;
	size_t i, k, nsub = 0, blen, boff, len = 0;
	void *mem, *blob = NULL;
	int rc;

	if (size < 8)
		return 0;
	for (i = 0; i < khofmt_schema_count(); i++)
		nsub += khofmt_schema_at(i)->where == KHOFMT_SCHEMA_AT_SUBNODE;
	FZ_ASSERT(nsub > 0);
	for (i = 0, k = data[0] % nsub; i < khofmt_schema_count(); i++)
		if (khofmt_schema_at(i)->where == KHOFMT_SCHEMA_AT_SUBNODE && !k--) {
			in = khofmt_schema_at(i);
			break;
		}
	FZ_ASSERT(in);
	o.page_shift = shifts[data[1] % 3];
	blen = (size_t)fz_le(data + 2, 2);
	boff = (size_t)fz_le(data + 4, 4);
	data += 8;
	size -= 8;
	if (!size || boff >= size || blen > size - boff)
		return 0;
	if (khofmt_source_new_mem(&src) ||
	    khofmt_source_mem_add(src, BASE, size, &mem)) {
		khofmt_source_free(src);
		return 0;
	}
	memcpy(mem, data, size);
	sn.name = in->key;
	sn.pa = BASE + boff;
	sn.size = blen;
	sn.has_pa = true;
	sn.has_size = blen > 0;

	rc = khofmt_subnode_blob_read(src, &sn, &blob, &len);
	FZ_RC(rc);
	if (rc == 0) {
		enum khofmt_schema_kind kind = khofmt_subnode_schema(&sn, blob, len);

		FZ_ASSERT(khofmt_schema_name(kind) != NULL);
		FZ_ASSERT(kind == KHOFMT_SCHEMA_UNKNOWN ||
			  khofmt_schema_info(kind)->where == KHOFMT_SCHEMA_AT_SUBNODE);
		/* the entry's own decoder, matched or not */
		switch (in->kind) {
		case KHOFMT_SCHEMA_KEXEC_META_V1: {
			struct khofmt_kexec_meta m;

			FZ_RC(khofmt_kexec_meta_decode(blob, len, &o, &m));
			break;
		}
		case KHOFMT_SCHEMA_LUO_V5:
		case KHOFMT_SCHEMA_LUO_V1:
			luo(src, blob, len, &o);
			break;
		case KHOFMT_SCHEMA_MEMBLOCK_V1: {
			struct khofmt_memblock mb;
			struct khofmt_memblock_region r;
			unsigned long n = 0;

			rc = khofmt_memblock_open(blob, len, &o, &mb);
			FZ_RC(rc);
			while (!rc && n++ < MAX_ITEMS &&
			       (rc = khofmt_memblock_region_next(&mb, &r)) == 0)
				FZ_ASSERT(memchr(r.name, 0, sizeof(r.name)));
			FZ_RC(rc);
			break;
		}
		case KHOFMT_SCHEMA_KHO_TEST_V1: {
			struct khofmt_kho_test t;
			uint64_t phys;
			unsigned order, n = 0;

			rc = khofmt_kho_test_open(src, blob, len, &o, &t);
			FZ_RC(rc);
			while (!rc && n++ < MAX_ITEMS &&
			       (rc = khofmt_kho_test_folio_next(&t, &phys, &order)) == 0)
				;
			FZ_RC(rc);
			break;
		}
		default:
			/* a registry entry this target does not know: add it here */
			FZ_ASSERT(!"registry entry without a fuzz case");
		}
		rc = khofmt_subnode_pages(src, &sn, &o, pages_cb, &spans);
		FZ_RC(rc);
		FZ_ASSERT(spans <= MAX_ITEMS + 1);
	}
	free(blob);
	khofmt_source_free(src);
	return 0;
}
