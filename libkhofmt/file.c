// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Whole small files (root FDT copies, debugfs and /proc files, capture
 * bundles), read with a bound: the one file reader of the library, khoctl
 * and the kexec extension.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "khofmt.h"

KHOFMT_API int khofmt_read_file(const char *path, size_t max, void **bufp, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	size_t cap = 65536, len = 0;
	char *buf = NULL, *nb;
	struct stat st;
	ssize_t r;

	if (fd < 0)
		return -KHOFMT_ERR_IO;
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			close(fd);
			errno = EISDIR;
			return -KHOFMT_ERR_IO;
		}
		if (S_ISREG(st.st_mode)) {
			if ((uint64_t)st.st_size > max) {
				close(fd);
				return -KHOFMT_ERR_LIMIT;
			}
			cap = (size_t)st.st_size + 1;
		}
	}
	for (;;) {
		if (!buf || len == cap) {
			if (buf) {
				if (cap > max) {
					free(buf);
					close(fd);
					return -KHOFMT_ERR_LIMIT;
				}
				cap = cap > max / 2 ? max + 1 : cap * 2;
			}
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return -KHOFMT_ERR_NOMEM;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			free(buf);
			close(fd);
			errno = e;
			return -KHOFMT_ERR_IO;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (len > max) {
		free(buf);
		return -KHOFMT_ERR_LIMIT;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}
