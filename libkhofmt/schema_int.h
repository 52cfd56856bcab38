/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals shared by the sub-schema decoders. Not installed. */
#ifndef KHOFMT_SCHEMA_INT_H
#define KHOFMT_SCHEMA_INT_H

#include "internal.h"
#include "khofmt-schema.h"

#define FDT_MAGIC_BE 0xd00dfeedu

/* Page shift from the options (0 = 12); 0 for an invalid value. */
unsigned schema_ps(const struct khofmt_schema_opts *opts);

/*
 * Tell the problem callback; returns -err for a fatal problem, else 0.
 * A non-zero callback return on a non-fatal problem is ignored (the
 * decoders always go on with non-fatal findings).
 */
int schema_report(const struct khofmt_schema_opts *opts, const char *rule,
		  int err, bool fatal, bool inferred, uint64_t pa,
		  const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

#define FATAL(o, rule, err, pa, ...) \
	schema_report(o, rule, err, true, false, pa, __VA_ARGS__)
#define WARN(o, rule, err, pa, ...) \
	schema_report(o, rule, err, false, false, pa, __VA_ARGS__)

/*
 * Check a sub-FDT blob (libfdt's full check) and its root compatible;
 * fatal problems under @rule. 0 or a negative error.
 */
int schema_fdt_check(const void *blob, size_t len, const char *compat,
		     const struct khofmt_schema_opts *opts, const char *rule);

/* Copy a fixed-size name field into @dst (n+1 bytes), return true if the
 * field held a NUL. */
bool schema_copy_name(char *dst, const unsigned char *src, size_t n);

static inline uint16_t ld_le16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline void st_le32(void *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void st_le16(void *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

#endif
