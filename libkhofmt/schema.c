// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sub-schema dispatch: which decoder a subnode's blob needs, by the
 * subnode name and by the blob's own compatible/version; and reading a
 * blob (blob-size bytes, or an FDT's totalsize for kho-v1 roots).
 */
#include <stdlib.h>
#include <libfdt.h>

#include "schema_int.h"

const char *khofmt_schema_name(enum khofmt_schema_kind kind)
{
	switch (kind) {
	case KHOFMT_SCHEMA_KEXEC_META_V1: return "kexec-metadata-v1";
	case KHOFMT_SCHEMA_LUO_V5: return "luo-v5";
	case KHOFMT_SCHEMA_LUO_V1: return "luo-v1";
	case KHOFMT_SCHEMA_MEMBLOCK_V1: return "memblock-v1";
	case KHOFMT_SCHEMA_KHO_TEST_V1: return "kho-test-v1";
	default: return "unknown";
	}
}

/* Root compatible of an FDT blob, or NULL if it is not a sound FDT. */
static const char *fdt_root_compat(const void *blob, size_t len)
{
	const char *c;
	int l;

	if (len < 40 || fdt_check_header(blob) || fdt_totalsize(blob) > len ||
	    fdt_check_full(blob, len))
		return NULL;
	c = fdt_getprop(blob, 0, "compatible", &l);
	if (!c || l < 1 || !memchr(c, 0, (size_t)l))
		return NULL;
	return c;
}

enum khofmt_schema_kind khofmt_subnode_schema(const struct khofmt_subnode *sn,
					      const void *blob, size_t len)
{
	const unsigned char *b = blob;
	const char *c;

	if (!blob)
		return KHOFMT_SCHEMA_UNKNOWN;
	if (len >= 40 && fdt_magic(blob) == FDT_MAGIC) {
		c = fdt_root_compat(blob, len);
		if (!c)
			return KHOFMT_SCHEMA_UNKNOWN;
		if (!strcmp(c, "memblock-v1"))
			return KHOFMT_SCHEMA_MEMBLOCK_V1;
		if (!strcmp(c, "kho-test-v1"))
			return KHOFMT_SCHEMA_KHO_TEST_V1;
		if (!strcmp(c, "luo-v1"))
			return KHOFMT_SCHEMA_LUO_V1;
		return KHOFMT_SCHEMA_UNKNOWN;
	}
	/* raw structs: compatible string first (LUO), or a version word */
	if (len >= 32 && !strncmp((const char *)b, "luo-v5", 8))
		return KHOFMT_SCHEMA_LUO_V5;
	if (sn && sn->name && !strcmp(sn->name, "kexec-metadata") && len >= 4 &&
	    ld_le32(b) == 1)
		return KHOFMT_SCHEMA_KEXEC_META_V1;
	return KHOFMT_SCHEMA_UNKNOWN;
}

int khofmt_subnode_blob_read(struct khofmt_source *src,
			     const struct khofmt_subnode *sn, void **buf,
			     size_t *len)
{
	uint64_t size;
	void *b;
	int r;

	if (!src || !sn || !buf || !len)
		return -KHOFMT_ERR_INVAL;
	if (!sn->has_pa)
		return -KHOFMT_ERR_BADPROP;
	if (sn->has_size) {
		size = sn->size;
	} else {
		/* kho-v1/v2: an FDT blob sized by its own header */
		unsigned char hdr[40];

		r = khofmt_source_read(src, sn->pa, hdr, sizeof(hdr));
		if (r < 0)
			return r;
		if (fdt_magic(hdr) != FDT_MAGIC)
			return -KHOFMT_ERR_BADFDT;
		size = fdt_totalsize(hdr);
	}
	if (size == 0)
		return -KHOFMT_ERR_TRUNCATED;
	if (size > KHOFMT_BLOB_MAX)
		return -KHOFMT_ERR_LIMIT;
	if (!khofmt_source_covers(src, sn->pa, size))
		return -KHOFMT_ERR_NOTCOVERED;
	b = malloc((size_t)size);
	if (!b)
		return -KHOFMT_ERR_NOMEM;
	r = khofmt_source_read(src, sn->pa, b, (size_t)size);
	if (r < 0) {
		free(b);
		return r;
	}
	*buf = b;
	*len = (size_t)size;
	return 0;
}

int schema_fdt_check(const void *blob, size_t len, const char *compat,
		     const struct khofmt_schema_opts *opts, const char *rule)
{
	const char *c;

	if (len < 40 || fdt_check_header(blob) || fdt_totalsize(blob) > len ||
	    fdt_check_full(blob, len))
		return FATAL(opts, rule, KHOFMT_ERR_BADFDT, 0,
			     "%s sub-FDT fails libfdt's checks", compat);
	c = fdt_root_compat(blob, len);
	if (!c || strcmp(c, compat))
		return FATAL(opts, rule, KHOFMT_ERR_COMPAT, 0,
			     "root compatible \"%s\" is not %s", c ? c : "",
			     compat);
	return 0;
}
