/* SPDX-License-Identifier: GPL-2.0-or-later */
/* khoctl synth --schemas (synth_schemas.c). */
#ifndef KHOCTL_SYNTH_SCHEMAS_H
#define KHOCTL_SYNTH_SCHEMAS_H

#include <stdbool.h>
#include <stddef.h>

#include "khofmt.h"

struct synth_luo;

/*
 * Parse a --luo SPEC: sessions separated by ';', each NAME:FILES with
 * FILES a ','-separated list of TOKEN=SIZE[+POS][/SEALS] (memfd-v2 with
 * deterministic content). NULL and a message in @err when invalid.
 */
struct synth_luo *synth_luo_parse(const char *spec, char *err, size_t errlen);
void synth_luo_free(struct synth_luo *l);

/*
 * Add sub-schemas to @enc: with @demo the capture-shaped set (LUO from
 * @luo when given, else the demo sessions); without it only the LUO of
 * @luo. 0 or -KHOFMT_ERR_*.
 */
int synth_schemas(struct khofmt_enc *enc, bool demo, const struct synth_luo *luo);

#endif
