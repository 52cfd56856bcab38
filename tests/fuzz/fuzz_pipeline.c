// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The whole khoctl-like pipeline on a (root FDT, ELF core) pair: open both,
 * tie them into a handover, run every walker (as stat, ranges, dump do) and
 * read the first bytes of every subnode's blob (as dump does).
 *
 * Input: the 4-byte header of fuzz.h, the root FDT, then the ELF core.
 *
 * fuzz-dict: fdt elf radix
 * fuzz-max-len: 262144
 */
#include "fuzz.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct khofmt_open_opts oo = { .sz = sizeof(oo) };
	struct khofmt_source *src = NULL;
	struct khofmt_handover *h = NULL;
	struct khofmt_fdt *fdt = NULL;
	char err[256];
	struct fz_hdr hd;
	size_t i, n;
	int rc;

	if (!fz_hdr_take(&in, &hd))
		return 0;
	rc = khofmt_fdt_open(hd.fdt, hd.fdt_len, &fdt, err, sizeof(err));
	FZ_RC(rc);
	if (rc < 0)
		goto out;
	rc = khofmt_source_open_elf(fz_file(in.p, in.n), &src);
	FZ_RC(rc);
	if (rc < 0)
		goto out;
	n = khofmt_fdt_nsubnodes(fdt);
	for (i = 0; i < n; i++) {
		const struct khofmt_subnode *s = khofmt_fdt_subnode(fdt, i);
		uint8_t head[32];
		size_t len = sizeof(head);

		if (!s->has_pa)
			continue;
		if (s->has_size && s->size < len)
			len = (size_t)s->size;
		rc = khofmt_source_read(src, s->pa, head, len);
		FZ_ASSERT(rc == 0 || rc == -KHOFMT_ERR_NOTCOVERED);
		FZ_ASSERT(!rc == khofmt_source_covers(src, s->pa, len));
	}
	oo.page_shift = hd.page_shift;
	rc = khofmt_handover_open(fdt, src, &oo, &h);
	FZ_RC(rc);
	if (rc < 0)
		goto out;
	fz_walk_all(h, hd.problem_cb);
out:
	khofmt_handover_free(h);
	khofmt_source_free(src);
	khofmt_fdt_free(fdt);
	return 0;
}
