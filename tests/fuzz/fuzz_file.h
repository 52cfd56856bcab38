/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_file.h - fuzz bytes as a file path, for decoders that open files.
 * One memfd per process, rewritten for every input; its /proc/self/fd path
 * is what the decoder opens (mapping it reads the current contents).
 */
#ifndef KHO_FUZZ_FILE_H
#define KHO_FUZZ_FILE_H

#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

static inline const char *fz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	size_t done = 0;

	if (fd < 0) {
		fd = memfd_create("kho-fuzz", MFD_CLOEXEC);
		FZ_ASSERT(fd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	FZ_ASSERT(ftruncate(fd, 0) == 0);
	while (done < size) {
		ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);

		FZ_ASSERT(w > 0);
		done += (size_t)w;
	}
	return path;
}

#endif /* KHO_FUZZ_FILE_H */
