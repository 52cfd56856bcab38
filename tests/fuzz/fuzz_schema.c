// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every sub-schema of the registry on hostile bytes: the input picks a
 * registry entry at the subnode level and a page size, then gives a blob
 * and the physical memory around it. khofmt_schema_decode() runs that
 * entry's decoder whatever the blob looks like (the fuzzer need not first
 * forge the match), nested schemas (memfd files, systemd's session) are
 * reached through the registry, and khofmt_subnode_pages() walks what
 * capture copies. A new registry entry is fuzzed without touching this
 * file. Invariants: documented errors only, bounded iteration, every span
 * the pages hook reports is non-empty.
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
		/* the entry's own decoder, matched or not, through the registry */
		FZ_RC(khofmt_schema_decode(in, src, blob, len, &o));
		rc = khofmt_subnode_pages(src, &sn, &o, pages_cb, &spans);
		FZ_RC(rc);
		FZ_ASSERT(spans <= MAX_ITEMS + 1);
	}
	free(blob);
	khofmt_source_free(src);
	return 0;
}
