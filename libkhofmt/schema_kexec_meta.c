// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kexec-metadata (doc/ABI.md 6.1): packed 73-byte struct, u32 version,
 * char previous_release[65], u32 kexec_count at the unaligned offset 69.
 */
#include "abi_layout.h"
#include "schema_int.h"

#define KM_REL_OFF KM_RELEASE_OFF
#define KM_REL_LEN KM_RELEASE_LEN

int khofmt_kexec_meta_decode(const void *blob, size_t len,
			     const struct khofmt_schema_opts *opts,
			     struct khofmt_kexec_meta *m)
{
	const unsigned char *b = blob;

	if (!blob || !m)
		return -KHOFMT_ERR_INVAL;
	memset(m, 0, sizeof(*m));
	m->blob_size = len;
	if (len < 4)
		return FATAL(opts, "SB-4", KHOFMT_ERR_TRUNCATED, 0,
			     "kexec-metadata: %zu bytes, the kernel ignores < 4",
			     len);
	m->version = ld_le32(b);
	if (m->version != 1)
		return FATAL(opts, "KM-1", KHOFMT_ERR_COMPAT, 0,
			     "kexec-metadata version %u (known: 1)", m->version);
	if (len < KM_SIZE)
		return FATAL(opts, "SB-4", KHOFMT_ERR_TRUNCATED, 0,
			     "kexec-metadata: %zu bytes, version 1 needs %d",
			     len, KM_SIZE);
	if (len > KM_SIZE)
		WARN(opts, "SB-3", KHOFMT_ERR_STRUCT, 0,
		     "kexec-metadata: %zu bytes, %d expected", len, KM_SIZE);
	m->release_terminated = khofmt_schema_copy_name(m->release, b + KM_REL_OFF,
						 KM_REL_LEN);
	m->kexec_count = ld_le32(b + KM_COUNT_OFF);
	if (!m->release_terminated)
		WARN(opts, "KM-1", KHOFMT_ERR_STRUCT, 0,
		     "previous_release is not NUL-terminated");
	if (m->kexec_count < 1)
		WARN(opts, "KM-1", KHOFMT_ERR_STRUCT, 0, "kexec_count is 0");
	return 0;
}
