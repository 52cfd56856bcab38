// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * memfd, the LUO file handler (doc/ABI.md 6.4). memfd-v2: packed 48-byte
 * record {pos, size, u32 seals, u32 flags, nr_folios, kho_vmalloc folios};
 * the folio array (16-byte {pfn:52|flags:12, index}) lives in the vmalloc
 * area. memfd-v1 (6.19-7.0) is [I]: the same record without seals/flags
 * (40 bytes); its findings carry inferred = true.
 */
#include <stdio.h>
#include <stdlib.h>

#include "abi_layout.h"
#include "schema_int.h"

#define MFD_V2_REC MFD_REC_SIZE
#define MFD_V1_REC 40
#define MFD_FOLIO_REC MFD_FOLIO_SIZE
#define MFD_KNOWN_SEALS 0x3fu
#define MFD_PFN_MASK ((UINT64_C(1) << 52) - 1)

int khofmt_memfd_open(struct khofmt_source *src, uint64_t pa,
		      const char *compatible,
		      const struct khofmt_schema_opts *opts,
		      struct khofmt_memfd *m)
{
	unsigned char rec[MFD_V2_REC];
	unsigned ps = khofmt_schema_ps(opts);
	uint64_t pages;
	size_t n;
	bool inf;
	int r;

	if (!src || !m || !compatible || !ps)
		return -KHOFMT_ERR_INVAL;
	memset(m, 0, sizeof(*m));
	m->pa = pa;
	m->opts = opts;
	m->src = src;
	if (!strcmp(compatible, "memfd-v2"))
		m->version = 2;
	else if (!strcmp(compatible, "memfd-v1"))
		m->version = 1;
	else
		return FATAL(opts, "LUO-4", KHOFMT_ERR_COMPAT, pa,
			     "file handler \"%s\" is not memfd", compatible);
	inf = m->inferred = m->version == 1;
	n = inf ? MFD_V1_REC : MFD_V2_REC;
	if (!pa)
		return khofmt_schema_report(opts, "MFD-1", KHOFMT_ERR_STRUCT, true, inf, 0,
				     "memfd record address is 0");
	r = khofmt_source_read(src, pa, rec, n);
	if (r < 0)
		return khofmt_schema_report(opts, "MFD-1", -r, true, inf, pa,
				     "memfd record 0x%llx not in the memory source",
				     (unsigned long long)pa);
	m->pos = ld_le64(rec + MFD_POS_OFF);
	m->size = ld_le64(rec + MFD_SIZE_OFF);
	if (!inf) {
		m->seals = ld_le32(rec + MFD_SEALS_OFF);
		m->flags = ld_le32(rec + MFD_FLAGS_OFF);
	}
	/* memfd-v1 [guess]: no seals/flags word, the rest 8 bytes earlier */
	m->nr_folios = ld_le64(rec + (inf ? MFD_SEALS_OFF : MFD_NR_FOLIOS_OFF));
	khofmt_vmalloc_desc_parse(rec + (inf ? MFD_NR_FOLIOS_OFF : MFD_FOLIOS_OFF),
				  &m->folios);
	pages = (m->size >> ps) + !!(m->size & ((UINT64_C(1) << ps) - 1));
	if (m->seals & ~MFD_KNOWN_SEALS)
		WARN(opts, "MFD-1", KHOFMT_ERR_STRUCT, pa,
		     "seals 0x%x outside 0x3f", m->seals);
	if (m->flags)
		WARN(opts, "MFD-1", KHOFMT_ERR_STRUCT, pa,
		     "reserved flags 0x%x not 0", m->flags);
	if (m->nr_folios > pages)
		khofmt_schema_report(opts, "MFD-1", KHOFMT_ERR_STRUCT, false, inf, pa,
			      "nr_folios %llu > %llu pages of a %llu-byte file",
			      (unsigned long long)m->nr_folios,
			      (unsigned long long)pages,
			      (unsigned long long)m->size);
	if (m->nr_folios &&
	    m->nr_folios > ((uint64_t)m->folios.total_pages << ps) / MFD_FOLIO_REC)
		return khofmt_schema_report(opts, "MFD-1", KHOFMT_ERR_STRUCT, true, inf, pa,
				     "%llu folio records do not fit %u vmalloc pages",
				     (unsigned long long)m->nr_folios,
				     m->folios.total_pages);
	return 0;
}

/* The folio array's chain names its memfd in every finding. */
void khofmt_memfd_owner(const struct khofmt_memfd *m,
			struct khofmt_vmalloc_iter *it)
{
	char owner[48];

	snprintf(owner, sizeof(owner), "memfd 0x%llx folio array",
		 (unsigned long long)m->pa);
	khofmt_vmalloc_owner(it, owner);
}

int khofmt_memfd_folio_next(struct khofmt_memfd *m, struct khofmt_memfd_folio *f)
{
	unsigned char rec[MFD_FOLIO_REC];
	unsigned ps;
	uint64_t w, pages;
	int r;

	if (!m || !f || !m->src)
		return -KHOFMT_ERR_INVAL;
	if (m->seen >= m->nr_folios) {
		khofmt_memfd_close(m);
		return 1;
	}
	ps = khofmt_schema_ps(m->opts);
	if (m->seen == 0) {
		khofmt_memfd_close(m);
		m->index_set = calloc(1, sizeof(struct pageset));
		if (!m->index_set)
			return -KHOFMT_ERR_NOMEM;
		khofmt_pageset_init(m->index_set);
		r = khofmt_vmalloc_iter_init(&m->it, m->src, &m->folios, m->opts);
		if (r)
			goto fail;
		khofmt_memfd_owner(m, &m->it);
	}
	r = khofmt_vmalloc_read(&m->it, rec, sizeof(rec));
	if (r)
		goto fail;
	m->seen++;
	w = ld_le64(rec + MFD_FOLIO_PFNFLAGS_OFF);
	memset(f, 0, sizeof(*f));
	f->pfn = w & MFD_PFN_MASK;
	f->flags = (unsigned)(w >> 52);
	f->phys = f->pfn << ps;
	f->index = ld_le64(rec + MFD_FOLIO_INDEX_OFF);
	pages = (m->size >> ps) + !!(m->size & ((UINT64_C(1) << ps) - 1));
	if (f->flags & ~3u)
		khofmt_schema_report(m->opts, "MFD-1", KHOFMT_ERR_STRUCT, false,
			      m->inferred, m->it.run_pa,
			      "folio %llu: flags 0x%x outside DIRTY|UPTODATE",
			      (unsigned long long)(m->seen - 1), f->flags);
	if (f->index >= pages)
		khofmt_schema_report(m->opts, "MFD-1", KHOFMT_ERR_STRUCT, false,
			      m->inferred, m->it.run_pa,
			      "folio %llu: index %llu beyond the file's %llu pages",
			      (unsigned long long)(m->seen - 1),
			      (unsigned long long)f->index,
			      (unsigned long long)pages);
	r = m->index_set ? khofmt_pageset_add(m->index_set, f->index) : 1;
	if (r < 0)
		goto fail;
	if (r == 0)
		khofmt_schema_report(m->opts, "MFD-1", KHOFMT_ERR_STRUCT, false,
			      m->inferred, m->it.run_pa,
			      "folio %llu: index %llu used twice",
			      (unsigned long long)(m->seen - 1),
			      (unsigned long long)f->index);
	return 0;
fail:
	khofmt_memfd_close(m);
	return r;
}

void khofmt_memfd_close(struct khofmt_memfd *m)
{
	if (!m || !m->index_set)
		return;
	khofmt_pageset_free(m->index_set);
	free(m->index_set);
	m->index_set = NULL;
}
