// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Rules on the scratch areas themselves (doc/ABI.md 7; 9 SC-1). Overlaps of
 * preserved memory and tracker pages with scratch are found by the
 * preserved-memory pass in rules_tracker.c (MAP-1, MAP-7).
 */
#include <stdio.h>

#include "rules_int.h"

/* Scratch alignment since 7.2: P << MAX_PAGE_ORDER (MAX_PAGE_ORDER 10). */
#define SCRATCH_ALIGN_ORDER 10

void khofmt_rules_scratch_check(struct vctx *c)
{
	uint64_t align = c->P << SCRATCH_ALIGN_ORDER;
	size_t i, m;

	if (!c->has_scratch) {
		khofmt_vfind(c, R_SCR_NONE, false, 0, 0, -1, NULL,
		      "no scratch areas given: KHO-E025 and KHO-E042 not checked");
		khofmt_vskip(c, R_TRK_SCRATCH, 0, "no scratch areas");
		khofmt_vskip(c, R_MEM_SCRATCH, 0, "no scratch areas");
		return;
	}
	for (i = 0; i < c->o->nscratch; i++) {
		const struct khofmt_range *a = &c->o->scratch[i];
		char obj[32];

		snprintf(obj, sizeof(obj), "scratch[%zu]", i);
		if (!a->size) {
			khofmt_vfind(c, R_SCR_EMPTY, true, a->start, 0, -1, obj,
			      "scratch area %zu at 0x%llx has size 0: it covers nothing",
			      i, (unsigned long long)a->start);
			continue;
		}
		if ((a->start | a->size) & (align - 1))
			khofmt_vfind(c, R_SCR_ALIGN, true, a->start, a->size, -1, obj,
			      "scratch area %zu [0x%llx, +0x%llx) is not aligned to 0x%llx",
			      i, (unsigned long long)a->start,
			      (unsigned long long)a->size,
			      (unsigned long long)align);
		if (c->has_ram && !khofmt_in_ranges(c->ram, c->nram, a->start, a->size))
			khofmt_vfind(c, R_SCR_RAM, true, a->start, a->size, -1, obj,
			      "scratch area %zu [0x%llx, +0x%llx) is not inside System RAM",
			      i, (unsigned long long)a->start,
			      (unsigned long long)a->size);
	}
	/* sorted by start: compare each area with the furthest-reaching one */
	for (i = 1, m = 0; i < c->nscr; i++) {
		const struct khofmt_range *p = &c->scr[m], *a = &c->scr[i];

		if (ranges_meet(p->start, p->size, a->start, a->size)) {
			uint64_t pe = p->start + p->size, ae = a->start + a->size;

			khofmt_vfind(c, R_SCR_OVERLAP, true, a->start,
			      (pe < ae ? pe : ae) - a->start, -1, NULL,
			      "scratch areas [0x%llx, +0x%llx) and [0x%llx, +0x%llx) overlap",
			      (unsigned long long)p->start,
			      (unsigned long long)p->size,
			      (unsigned long long)a->start,
			      (unsigned long long)a->size);
		}
		if (a->start + a->size > p->start + p->size)
			m = i;
	}
}
