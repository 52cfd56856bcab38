// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Root FDT: khofmt_fdt_open() on arbitrary bytes, then every getter and
 * every subnode read.
 *
 * fuzz-dict: fdt
 * fuzz-max-len: 16384
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct khofmt_fdt *fdt = NULL;
	char err[256];
	const void *blob;
	size_t len = 0, i, n;
	int rc;

	rc = khofmt_fdt_open(data, size, &fdt, err, sizeof(err));
	FZ_RC(rc);
	if (rc < 0) {
		FZ_ASSERT(err[0]);	/* a clear error says what */
		/* Only an unknown compatible hands the object out. */
		FZ_ASSERT(!fdt || rc == -KHOFMT_ERR_COMPAT);
	}
	if (!fdt)
		return 0;
	blob = khofmt_fdt_blob(fdt, &len);
	FZ_ASSERT(blob && len <= size);
	FZ_ASSERT(memcmp(blob, data, len) == 0);
	FZ_ASSERT(!!(khofmt_fdt_flags(fdt) & KHOFMT_FDT_TRAILING) == (len < size));
	FZ_ASSERT(khofmt_abi_name(khofmt_fdt_abi(fdt)));
	FZ_ASSERT(strlen(khofmt_fdt_compatible(fdt)) < len);
	(void)khofmt_fdt_map(fdt);
	(void)khofmt_fdt_has_map(fdt);
	n = khofmt_fdt_nsubnodes(fdt);
	for (i = 0; i < n; i++) {
		const struct khofmt_subnode *s = khofmt_fdt_subnode(fdt, i);

		FZ_ASSERT(s && s->name);
		FZ_ASSERT(s->offset >= 0 && (size_t)s->offset < len);
		FZ_ASSERT(!(s->has_pa && s->bad_pa));
		FZ_ASSERT(!(s->has_size && s->bad_size));
		FZ_ASSERT(s->nprops >= 0);
		/* by name finds the first node of that name */
		FZ_ASSERT(khofmt_fdt_subnode_by_name(fdt, s->name));
	}
	FZ_ASSERT(!khofmt_fdt_subnode(fdt, n));
	khofmt_fdt_free(fdt);
	return 0;
}
