/* SPDX-License-Identifier: GPL-2.0-or-later */
/* verify --metrics: node_exporter textfile-collector output (metrics.c). */
#ifndef KHOCTL_METRICS_H
#define KHOCTL_METRICS_H

#include <stdbool.h>

#include "khofmt.h"

/*
 * Write @path atomically (temporary file beside it, then rename): the
 * verdict of @v (NULL: the state could not be read or decoded) as gauges.
 * The verdict is the caller's, so that the file says what the exit code
 * says: @sev(@arg, finding) is the severity a finding is shown at (--strict
 * makes warnings errors; a blob its owner consumed in an incoming state
 * has info findings), @strict labels the per-rule gauges, @clean is
 * verify's exit 0. Returns 0 or KHOCTL_EXIT_DECODE (message printed).
 */
typedef enum khofmt_severity (*metrics_sev_fn)(const void *arg,
					       const struct khofmt_finding *f);

int metrics_write(const char *path, const struct khofmt_verify *v,
		  bool strict, metrics_sev_fn sev, const void *arg, bool clean);

#endif /* KHOCTL_METRICS_H */
