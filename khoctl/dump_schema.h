/* SPDX-License-Identifier: GPL-2.0-or-later */
/* khoctl dump: the decoded sub-schema of one subnode (dump_schema.c). */
#ifndef KHOCTL_DUMP_SCHEMA_H
#define KHOCTL_DUMP_SCHEMA_H

#include <stdbool.h>

#include "khofmt.h"

/* dump_schema() flags */
#define DUMP_DATA 0x1u     /* memfd data-page summaries (--data) */
#define DUMP_INCOMING 0x2u /* the state a kernel received (kho/in) */
#define DUMP_FOLIOS 0x4u   /* per-folio tables (--folios; always in JSON) */
#define DUMP_SUMMARY 0x8u  /* folio summaries (text) */
#define DUMP_BRIEF 0x10u   /* text without --details: summaries in one line */

/*
 * Inside the subnode's object: "schema" and the decoded fields, or the
 * first bytes ("head") for an unknown blob. DUMP_DATA adds memfd data-page
 * summaries. DUMP_INCOMING: the state a kernel received (kho/in), else one
 * being prepared (what is not written yet says so). DUMP_SUMMARY: a memfd's
 * and kho_test's folios summarised (count, pages and orders from the
 * tracker @h when given, contiguous runs, flags); DUMP_FOLIOS: one row per
 * folio. Returns true when a fatal decoding error was met.
 */
bool dump_schema(struct khofmt_source *src, struct khofmt_handover *h,
		 const struct khofmt_subnode *sn, unsigned page_shift,
		 unsigned flags);

#endif
