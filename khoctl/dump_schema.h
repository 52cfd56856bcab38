/* SPDX-License-Identifier: GPL-2.0-or-later */
/* khoctl dump: the decoded sub-schema of one subnode (dump_schema.c). */
#ifndef KHOCTL_DUMP_SCHEMA_H
#define KHOCTL_DUMP_SCHEMA_H

#include <stdbool.h>

#include "khofmt.h"

/*
 * Inside the subnode's object: "schema" and the decoded fields, or the
 * first bytes ("head") for an unknown blob. @data adds memfd data-page
 * summaries. @incoming: the state a kernel received (kho/in), else one
 * being prepared (what is not written yet says so). Returns true when a fatal decoding error was met.
 */
bool dump_schema(struct khofmt_source *src, const struct khofmt_subnode *sn,
		 unsigned page_shift, bool data, bool incoming);

#endif
