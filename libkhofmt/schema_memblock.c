// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * memblock reserve_mem regions (doc/ABI.md 6.6): a sub-FDT, root
 * compatible "memblock-v1", one child per region with compatible
 * "reserve-mem-v1" and native u64 `start` / `size`.
 */
#include <stdio.h>
#include <libfdt.h>

#include "schema_int.h"

int khofmt_memblock_open(const void *blob, size_t len,
			 const struct khofmt_schema_opts *opts,
			 struct khofmt_memblock *mb)
{
	int r;

	if (!blob || !mb)
		return -KHOFMT_ERR_INVAL;
	memset(mb, 0, sizeof(*mb));
	mb->opts = opts;
	r = khofmt_schema_fdt_check(blob, len, "memblock-v1", opts, "MB-1");
	if (r)
		return r;
	mb->fdt = blob;
	mb->len = len;
	mb->cursor = -1;
	return 0;
}

int khofmt_memblock_region_next(struct khofmt_memblock *mb,
				struct khofmt_memblock_region *r)
{
	const char *name, *c;
	const void *p;
	int node, l;

	if (!mb || !r || !mb->fdt)
		return -KHOFMT_ERR_INVAL;
	node = mb->cursor < 0 ? fdt_first_subnode(mb->fdt, 0) :
	       fdt_next_subnode(mb->fdt, mb->cursor);
	if (node == -FDT_ERR_NOTFOUND)
		return 1;
	if (node < 0)
		return FATAL(mb->opts, "MB-1", KHOFMT_ERR_BADFDT, 0,
			     "memblock sub-FDT: %s", fdt_strerror(node));
	mb->cursor = node;
	mb->index++;
	memset(r, 0, sizeof(*r));
	name = fdt_get_name(mb->fdt, node, &l);
	if (name)
		snprintf(r->name, sizeof(r->name), "%.*s", l, name);
	c = fdt_getprop(mb->fdt, node, "compatible", &l);
	r->compatible_ok = c && l > 0 && memchr(c, 0, (size_t)l) &&
			   !strcmp(c, "reserve-mem-v1");
	if (!r->compatible_ok)
		WARN(mb->opts, "MB-1", KHOFMT_ERR_COMPAT, 0,
		     "region \"%s\": compatible is not reserve-mem-v1", r->name);
	p = fdt_getprop(mb->fdt, node, "start", &l);
	if (p && l == 8) {
		r->has_start = true;
		r->start = ld_le64(p);
	}
	p = fdt_getprop(mb->fdt, node, "size", &l);
	if (p && l == 8) {
		r->has_size = true;
		r->size = ld_le64(p);
	}
	if (!r->has_start || !r->has_size)
		WARN(mb->opts, "MB-1", KHOFMT_ERR_BADPROP, 0,
		     "region \"%s\": start/size missing or not 8 bytes", r->name);
	return 0;
}
