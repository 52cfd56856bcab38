// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Rules on the root FDT: container, compatible, memory-map pointer,
 * subnode properties against the generation (doc/ABI.md 2, 3; 9 FDT-*).
 */
#include <libfdt.h>
#include <stdlib.h>

#include "rules_int.h"

/* Subnode layout against the generation: pointer, size, foreign props. */
static void check_subnode(struct vctx *c, const struct khofmt_subnode *sn)
{
	const void *blob = khofmt_fdt_blob(c->fdt, NULL);
	enum khofmt_abi abi = khofmt_fdt_abi(c->fdt);
	const struct gen_desc *g = khofmt_gen(abi);
	const char *ptr = g->info.blob_ptr, *other = NULL;
	bool wants_size = g->info.has_size;
	int child;
	size_t i;

	/* another generation's pointer property */
	for (i = 0; i < khofmt_gen_count() && !other; i++) {
		const char *p = khofmt_gen_at(i)->info.blob_ptr;

		if (p && strcmp(p, ptr) && fdt_getprop(blob, sn->offset, p, NULL))
			other = p;
	}

	if (!sn->has_pa)
		khofmt_vfind(c, R_FDT_SUBPTR, false, 0, 0, -1, sn->name,
		      "subnode %s: `%s` %s", sn->name, ptr,
		      sn->bad_pa ? "is not 8 bytes long" : "is missing");
	if (wants_size && !sn->has_size)
		khofmt_vfind(c, R_FDT_SUBSIZE, false, 0, 0, -1, sn->name,
		      "subnode %s: `blob-size` %s (required by %s)", sn->name,
		      sn->bad_size ? "is not 8 bytes long" : "is missing",
		      khofmt_abi_name(abi));
	if (other)
		khofmt_vfind(c, R_FDT_LAYOUT, false, 0, 0, -1, sn->name,
		      "subnode %s: `%s` belongs to another generation than %s",
		      sn->name, other, khofmt_abi_name(abi));
	if (!wants_size && fdt_getprop(blob, sn->offset, "blob-size", NULL))
		khofmt_vfind(c, R_FDT_LAYOUT, false, 0, 0, -1, sn->name,
		      "subnode %s: `blob-size` exists only from kho-v3 on, root says %s",
		      sn->name, khofmt_abi_name(abi));
	fdt_for_each_subnode(child, blob, sn->offset) {
		khofmt_vfind(c, R_FDT_EXTRA, false, 0, 0, -1, sn->name,
		      "subnode %s has a nested node %s", sn->name,
		      fdt_get_name(blob, child, NULL));
		break;
	}
}

static void check_root_props(struct vctx *c)
{
	const void *blob = khofmt_fdt_blob(c->fdt, NULL);
	int prop;

	fdt_for_each_property_offset(prop, blob, 0) {
		const char *name = NULL;

		fdt_getprop_by_offset(blob, prop, &name, NULL);
		if (name && strcmp(name, "compatible") &&
		    strcmp(name, "preserved-memory-map") &&
		    !(khofmt_gen(khofmt_fdt_abi(c->fdt)) &&
		      khofmt_gen(khofmt_fdt_abi(c->fdt))->range_entries &&
		      !strcmp(name, "mem")))
			khofmt_vfind(c, R_FDT_EXTRA, false, 0, 0, -1, "/",
			      "unknown root property `%s`", name);
	}
}

static void check_map(struct vctx *c)
{
	enum khofmt_abi abi = khofmt_fdt_abi(c->fdt);
	const struct gen_desc *g = khofmt_gen(abi);
	uint64_t map = khofmt_fdt_map(c->fdt);

	if (!khofmt_fdt_has_map(c->fdt)) {
		khofmt_vfind(c, R_MAP_ABSENT, false, 0, 0, -1, "/",
		      "root property `preserved-memory-map` is missing");
		return;
	}
	if (!map) {
		if (!g->map_zero_ok)
			khofmt_vfind(c, R_MAP_ZERO, true, 0, 0, -1, "/",
			      "preserved-memory-map is 0 (%s needs a tracker root)",
			      khofmt_abi_name(abi));
		return;
	}
	if (map & (c->P - 1)) {
		khofmt_vfind(c, R_MAP_ALIGN, true, map, 0, -1, "/",
		      "preserved-memory-map 0x%llx is not aligned to the %llu-byte page",
		      (unsigned long long)map, (unsigned long long)c->P);
		return;
	}
	if (c->has_ram && !khofmt_in_ranges(c->ram, c->nram, map, c->P))
		khofmt_vfind(c, R_MAP_RAM, true, map, c->P, -1, "/",
		      "preserved-memory-map 0x%llx: the tracker root page is not in System RAM",
		      (unsigned long long)map);
}

/* The producer writes the root FDT into one page (not the RFC's segment). */
static void check_size(struct vctx *c)
{
	size_t len;

	khofmt_fdt_blob(c->fdt, &len);
	if (!khofmt_gen(khofmt_fdt_abi(c->fdt)) ||
	    !khofmt_gen(khofmt_fdt_abi(c->fdt))->root_one_page || len <= c->P)
		return;
	khofmt_vfind(c, R_FDT_BIG, false, 0, len, -1, "/",
	      "root FDT totalsize %zu is larger than the %llu-byte page a producer writes it in",
	      len, (unsigned long long)c->P);
}

void khofmt_rules_fdt_check(struct vctx *c)
{
	char errbuf[256] = "";
	size_t i, n;
	int r;

	r = khofmt_fdt_open(c->blob, c->blob_len, &c->fdt, errbuf,
			    sizeof(errbuf));
	switch (-r) {
	case KHOFMT_OK:
		break;
	case KHOFMT_ERR_NOMEM:
		c->err = r;
		return;
	case KHOFMT_ERR_TRUNCATED:
		khofmt_vfind(c, R_FDT_TRUNC, false, 0, 0, -1, "/", "root FDT: %s",
		      errbuf);
		return;
	case KHOFMT_ERR_COMPAT:
		khofmt_vfind(c, R_FDT_COMPAT, false, 0, 0, -1, "/", "root FDT: %s",
		      errbuf);
		/* an unknown string still gives an object: go on with layout */
		if (!c->fdt)
			return;
		break;
	case KHOFMT_ERR_BADPROP:
		khofmt_vfind(c, R_MAP_ABSENT, false, 0, 0, -1, "/", "root FDT: %s",
		      errbuf);
		return;
	default:
		khofmt_vfind(c, R_FDT_INVALID, false, 0, 0, -1, "/", "root FDT: %s",
		      errbuf);
		return;
	}
	if (khofmt_fdt_flags(c->fdt) & KHOFMT_FDT_TRAILING) {
		size_t len;

		khofmt_fdt_blob(c->fdt, &len);
		khofmt_vfind(c, R_FDT_TRAILING, false, 0, 0, -1, "/",
		      "%zu bytes given, FDT totalsize is %zu", c->blob_len, len);
	}
	check_root_props(c);
	check_size(c);
	/*
	 * The RFC form has no map and no blob pointers; its nodes nest and
	 * carry `mem` ranges (doc/ABI.md 4.3): FDT-3/4/5 do not apply.
	 */
	if (!khofmt_gen(khofmt_fdt_abi(c->fdt)) ||
	    !khofmt_gen(khofmt_fdt_abi(c->fdt))->has_map)
		return;
	check_map(c);
	n = khofmt_fdt_nsubnodes(c->fdt);
	for (i = 0; i < n; i++)
		check_subnode(c, khofmt_fdt_subnode(c->fdt, i));
}
