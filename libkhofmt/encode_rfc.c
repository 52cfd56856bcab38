// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The 2023-24 RFC form (doc/ABI.md 4.3): one KHO DT, root compatible
 * "kho-v1", no preserved-memory-map, byte ranges in `mem` properties
 * (native {u64 addr, u64 len}). Layout written here:
 *
 *   / { compatible = "kho-v1";
 *       kho-tools { compatible = "kho-tools-synth-v1";
 *                   folios { mem = <one {phys, P << order} per entry>; }; };
 *       <subnode> { mem = <{pa, size}>; };   (one per blob / subnode)
 *   };
 *
 * The folio list sits two levels down so that readers must look at any
 * depth; it is written even when empty, since a `mem` property is what
 * tells the RFC from kho-v1. The DT is a kexec segment in the RFC, not a
 * preserved page: it lives in the meta area but is not in any range.
 */
#include <stdlib.h>
#include <libfdt.h>

#include "encode_int.h"

int khofmt_enc_rfc_build(struct khofmt_enc *e, uint64_t *fdt_pa)
{
	unsigned ps = e->geom.page_shift, order = 0;
	size_t size = 1024, i;
	unsigned char *buf, *mem = NULL;
	uint64_t at;
	int r;

	size += e->nents * 16;
	for (i = 0; i < e->nnodes; i++)
		size += 64 + strlen(e->nodes[i].name) + 16;
	while ((UINT64_C(1) << (ps + order)) < size)
		order++;
	r = khofmt_enc_meta_alloc(e, order, &at);
	if (r)
		return r;
	size = (size_t)1 << (ps + order);
	if (e->nents) {
		mem = malloc(e->nents * 16);
		if (!mem)
			return -KHOFMT_ERR_NOMEM;
		for (i = 0; i < e->nents; i++) {
			st_le64(mem + 16 * i, e->ents[i].phys);
			st_le64(mem + 16 * i + 8,
				UINT64_C(1) << (ps + e->ents[i].order));
		}
	}
	buf = enc_meta_ptr(e, at);
	r = fdt_create(buf, (int)size);
	r = r ? r : fdt_finish_reservemap(buf);
	r = r ? r : fdt_begin_node(buf, "");
	r = r ? r : fdt_property_string(buf, "compatible",
						 khofmt_gen(KHOFMT_ABI_RFC)->info.compatible);
	r = r ? r : fdt_begin_node(buf, "kho-tools");
	r = r ? r : fdt_property_string(buf, "compatible", "kho-tools-synth-v1");
	r = r ? r : fdt_begin_node(buf, "folios");
	r = r ? r : fdt_property(buf, "mem", mem ? (void *)mem : (void *)buf,
				 (int)(e->nents * 16));
	r = r ? r : fdt_end_node(buf);
	r = r ? r : fdt_end_node(buf);
	for (i = 0; !r && i < e->nnodes; i++) {
		unsigned char rec[16];

		st_le64(rec, e->nodes[i].pa);
		st_le64(rec + 8, e->nodes[i].size);
		r = fdt_begin_node(buf, e->nodes[i].name);
		r = r ? r : fdt_property(buf, "mem", rec, sizeof(rec));
		r = r ? r : fdt_end_node(buf);
	}
	r = r ? r : fdt_end_node(buf);
	r = r ? r : fdt_finish(buf);
	free(mem);
	if (r)
		return E_ERR(e, r == -FDT_ERR_NOSPACE ? KHOFMT_ERR_LIMIT
						      : KHOFMT_ERR_INTERNAL,
			     "building the RFC KHO DT: %s", fdt_strerror(r));
	*fdt_pa = at;
	return 0;
}
