/* SPDX-License-Identifier: GPL-2.0-or-later */
/* khoctl synth --schemas (synth_schemas.c). */
#ifndef KHOCTL_SYNTH_SCHEMAS_H
#define KHOCTL_SYNTH_SCHEMAS_H

#include "khofmt.h"

/* Add the demo sub-schemas to @enc; 0 or -KHOFMT_ERR_*. */
int synth_schemas(struct khofmt_enc *enc);

#endif
