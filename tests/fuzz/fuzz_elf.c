// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ELF core memory source: khofmt_source_open_elf() on the fuzz bytes (held
 * in a memfd, opened through /proc/self/fd), then reads across and around
 * every covered range.
 *
 * fuzz-dict: elf
 * fuzz-max-len: 262144
 */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct khofmt_source *src = NULL;
	const struct khofmt_range *r;
	uint8_t buf[64];
	size_t n = 0, i;
	int rc;

	rc = khofmt_source_open_elf(fz_file(data, size), &src);
	FZ_RC(rc);
	if (rc < 0) {
		FZ_ASSERT(!src);
		return 0;
	}
	FZ_ASSERT(khofmt_source_kind(src) == KHOFMT_SOURCE_ELF);
	r = khofmt_source_ranges(src, &n);
	FZ_ASSERT(n > 0 && r);
	for (i = 0; i < n; i++) {
		uint64_t s = r[i].start, e = s + r[i].size;
		size_t len = r[i].size < sizeof(buf) ? (size_t)r[i].size : sizeof(buf);

		FZ_ASSERT(r[i].size && e > s);
		FZ_ASSERT(i == 0 || r[i - 1].start + r[i - 1].size < s);
		FZ_ASSERT(khofmt_source_covers(src, s, r[i].size));
		FZ_ASSERT(khofmt_source_read(src, s, buf, len) == 0);
		FZ_ASSERT(khofmt_source_read(src, e - len, buf, len) == 0);
		(void)khofmt_source_ptr(src, s, len);
		/* one byte past the range is never covered (ranges are maximal) */
		if (e)
			FZ_ASSERT(khofmt_source_read(src, e - 1, buf, 2) ==
				  -KHOFMT_ERR_NOTCOVERED);
		if (s)
			FZ_ASSERT(!khofmt_source_covers(src, s - 1, 1));
	}
	FZ_ASSERT(khofmt_source_read(src, UINT64_MAX - 3, buf, 8) ==
		  -KHOFMT_ERR_NOTCOVERED);
	khofmt_source_free(src);
	return 0;
}
