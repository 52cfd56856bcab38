// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Radix tracker walks on an in-memory image.
 *
 * Input: the 4-byte header of fuzz.h (page shift, problem-callback flag,
 * FDT length), the root FDT, then page records until the end:
 *	u64 pa (LE), u16 offset (LE), u16 length (LE), length bytes
 * Each record writes its bytes at offset (mod P) into the zero-filled page
 * holding pa (the page is added on first use), cut at the page end. The
 * handover is then walked by stats, folios, ranges and nodes.
 *
 * fuzz-dict: fdt radix
 * fuzz-max-len: 65536
 */
#include "fuzz.h"

#define MAX_PAGES 64u	/* the real trees have 32 and 45 pages */

struct page {
	uint64_t pa;
	uint8_t *data;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct khofmt_open_opts oo = { .sz = sizeof(oo) };
	struct khofmt_source *src = NULL;
	struct khofmt_handover *h = NULL;
	struct khofmt_fdt *fdt = NULL;
	static struct page pages[MAX_PAGES];
	size_t npages = 0, i;
	struct fz_hdr hd;
	uint8_t rec[12];
	uint64_t P;
	int rc;

	if (!fz_hdr_take(&in, &hd))
		return 0;
	rc = khofmt_fdt_open(hd.fdt, hd.fdt_len, &fdt, NULL, 0);
	FZ_RC(rc);
	if (rc < 0)
		goto out;
	P = UINT64_C(1) << hd.page_shift;
	rc = khofmt_source_new_mem(&src);
	FZ_ASSERT(rc == 0);
	while (fz_take(&in, rec, sizeof(rec))) {
		uint64_t pa = fz_le(rec, 8) & ~(P - 1);
		size_t off = (size_t)(fz_le(rec + 8, 2) & (P - 1));
		size_t len = (size_t)fz_le(rec + 10, 2);
		const uint8_t *bytes = in.p;
		uint8_t *page = NULL;

		if (len > in.n)
			len = in.n;
		fz_take(&in, NULL, len);
		for (i = 0; i < npages; i++)
			if (pages[i].pa == pa)
				page = pages[i].data;
		if (!page) {
			void *p;

			if (npages == MAX_PAGES || (npages + 1) * P > (4u << 20))
				break;
			rc = khofmt_source_mem_add(src, pa, P, &p);
			FZ_RC(rc);
			if (rc < 0)	/* wraps the address space */
				continue;
			/* a new add may move earlier pages: look them up again */
			pages[npages].pa = pa;
			pages[npages].data = p;
			npages++;
			for (i = 0; i < npages; i++)
				pages[i].data = (uint8_t *)khofmt_source_ptr(src, pages[i].pa, P);
			page = p;
		}
		if (len > P - off)
			len = (size_t)(P - off);
		memcpy(page + off, bytes, len);
	}

	oo.page_shift = hd.page_shift;
	rc = khofmt_handover_open(fdt, src, &oo, &h);
	FZ_RC(rc);
	if (rc < 0)
		goto out;
	FZ_ASSERT(khofmt_handover_geom(h)->page_shift == hd.page_shift);
	fz_walk_all(h, hd.problem_cb);
out:
	khofmt_handover_free(h);
	khofmt_source_free(src);
	khofmt_fdt_free(fdt);
	return 0;
}
