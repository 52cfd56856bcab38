/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verify --metrics: node_exporter textfile-collector output (metrics.c). */
#ifndef KHOCTL_METRICS_H
#define KHOCTL_METRICS_H

#include <stdbool.h>

#include "khofmt.h"

/*
 * Write @path atomically (temporary file beside it, then rename): the
 * verdict of @v (NULL: the state could not be read or decoded) as gauges.
 * @strict counts warnings as errors, as verify --strict does.
 * Returns 0 or KHOCTL_EXIT_DECODE (message printed).
 */
int metrics_write(const char *path, const struct khofmt_verify *v,
		  bool strict);

#endif /* KHOCTL_METRICS_H */
