// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Dumps in the formats libkdumpfile reads: the kdump-compressed ("KDUMP")
 * files makedumpfile writes by default and QEMU writes with
 * dump-guest-memory -z/-l/-s, flattened makedumpfile streams, and the
 * others libkdumpfile knows. libkdumpfile (the library drgn uses) does the
 * decompression; this file turns its page bitmaps into the segment table
 * every khofmt source has:
 *  - file.pagemap (pages stored in the file) -> covered segments, read
 *    through kdump_read(KDUMP_KPHYSADDR);
 *  - memory.pagemap (pages that are RAM) -> the RAM the dump describes;
 *    RAM pages not in the file were left out by the dump tool (makedumpfile
 *    -d 31 drops free, cache, user and zero pages): "not in the dump".
 *
 * Built without libkdumpfile (KHOFMT_WITH_KDUMP undefined, as in the static
 * guest build of tests/vm), kdump files are recognised and refused with
 * -KHOFMT_ERR_UNSUPPORTED.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grow.h"
#include "khofmt.h"
#include "source_int.h"

/* Run-length limit: a bitmap of more runs than this is refused. */
#define KDUMP_MAX_RUNS (1u << 24)

int khofmt_src_kdump_probe(const unsigned char *head, size_t len)
{
	/* diskdump/compressed kdump, and makedumpfile's flattened stream */
	return (len >= 8 && (!memcmp(head, "KDUMP   ", 8) ||
			     !memcmp(head, "DISKDUMP", 8))) ||
	       (len >= 12 && !memcmp(head, "makedumpfile", 12));
}

#ifdef KHOFMT_WITH_KDUMP
#include <libkdumpfile/kdumpfile.h>

static int kd_err(struct khofmt_source *src, int err, const char *what)
{
	return khofmt_src_err(src, err, "%s: %s: %s", khofmt_src_name(src), what,
			      kdump_get_err(src->kd));
}

int khofmt_src_kdump_read(struct khofmt_source *src, uint64_t pa, void *out,
			  uint64_t n)
{
	unsigned char *o = out;

	while (n) {
		size_t len = n > (1u << 30) ? (1u << 30) : (size_t)n;
		/*
		 * Machine physical: what the file's page bitmap indexes, and
		 * readable without knowing the architecture (kernel physical
		 * needs libkdumpfile's translation set up from the arch; it
		 * is the same address outside Xen).
		 */
		kdump_status st = kdump_read(src->kd, KDUMP_MACHPHYSADDR, pa, o, &len);

		if (st == KDUMP_OK) {
			o += len;
			pa += len;
			n -= len;
			continue;
		}
		/* The bitmap said the page is there: the file disagrees. */
		return khofmt_src_err(src, st == KDUMP_ERR_NODATA ?
				      -KHOFMT_ERR_NOTCOVERED : -KHOFMT_ERR_IO,
				      "%s: physical 0x%" PRIx64 ": %s",
				      khofmt_src_name(src), pa + len,
				      kdump_get_err(src->kd));
	}
	return 0;
}

void khofmt_src_kdump_close(struct khofmt_source *src)
{
	if (src->kd)
		kdump_free(src->kd);
	src->kd = NULL;
}

/* Runs of set bits of bitmap attribute @key as ranges of pages. */
static int bmp_runs(struct khofmt_source *src, const char *key, unsigned shift,
		    struct khofmt_range **out, size_t *nout, uint64_t *pages)
{
	struct khofmt_range *r = NULL;
	size_t n = 0, cap = 0;
	kdump_addr_t idx = 0, end;
	kdump_status st;
	kdump_attr_t a;
	kdump_bmp_t *bmp;

	*out = NULL;
	*nout = 0;
	*pages = 0;
	a.type = KDUMP_BITMAP;
	if (kdump_get_typed_attr(src->kd, key, &a) != KDUMP_OK)
		return kd_err(src, -KHOFMT_ERR_BADELF, key);
	bmp = a.val.bitmap;
	kdump_bmp_incref(bmp);
	for (;;) {
		st = kdump_bmp_find_set(bmp, &idx);
		if (st == KDUMP_ERR_NODATA)
			break;
		if (st != KDUMP_OK)
			goto bad;
		end = idx;
		st = kdump_bmp_find_clear(bmp, &end);
		if (st != KDUMP_OK || end <= idx)
			goto bad;
		if (end > UINT64_MAX >> shift) {
			st = KDUMP_ERR_INVALID;
			goto bad;
		}
		if (n == cap) {
			struct khofmt_range *nr;

			if (cap >= KDUMP_MAX_RUNS) {
				kdump_bmp_decref(bmp);
				free(r);
				return khofmt_src_err(src, -KHOFMT_ERR_LIMIT,
						      "%s: %s: more than %u runs of pages",
						      khofmt_src_name(src), key,
						      KDUMP_MAX_RUNS);
			}
			nr = khofmt_grow(r, &cap, n + 1, sizeof(*r));
			if (!nr) {
				kdump_bmp_decref(bmp);
				free(r);
				return -KHOFMT_ERR_NOMEM;
			}
			r = nr;
		}
		r[n].start = (uint64_t)idx << shift;
		r[n].size = (uint64_t)(end - idx) << shift;
		*pages += end - idx;
		n++;
		idx = end;
	}
	kdump_bmp_decref(bmp);
	*out = r;
	*nout = n;
	return 0;
bad:
	(void)st;
	khofmt_src_err(src, -KHOFMT_ERR_BADELF, "%s: %s: %s", khofmt_src_name(src),
		       key, kdump_bmp_get_err(bmp));
	kdump_bmp_decref(bmp);
	free(r);
	return -KHOFMT_ERR_BADELF;
}

static int kdump_load(struct khofmt_source *src, int fd)
{
	struct khofmt_range *file = NULL;
	struct khofmt_seg *segs;
	kdump_num_t ps = 0;
	kdump_attr_t a;
	const char *s;
	uint64_t fpages = 0, rpages = 0;
	size_t nfile = 0, i;
	unsigned shift = 0;
	int err;

	src->kd = kdump_new();
	if (!src->kd)
		return -KHOFMT_ERR_NOMEM;
	if (kdump_open_fd(src->kd, fd) != KDUMP_OK)
		return kd_err(src, -KHOFMT_ERR_BADELF, "not readable as a dump");
	if (kdump_get_number_attr(src->kd, KDUMP_ATTR_PAGE_SIZE, &ps) != KDUMP_OK ||
	    ps < 512 || ps > (1u << 24) || (ps & (ps - 1)))
		return khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				      "%s: no usable page size (%" PRIu64 ")",
				      khofmt_src_name(src), (uint64_t)ps);
	while ((1ull << shift) < ps)
		shift++;
	src->ram_page_shift = shift;

	snprintf(src->format, sizeof(src->format), "%s", "kdump");
	if (kdump_get_string_attr(src->kd, KDUMP_ATTR_FILE_FORMAT, &s) == KDUMP_OK)
		snprintf(src->format, sizeof(src->format), "%s%s",
			 !strcmp(s, "diskdump") ? "kdump-compressed " : "", s);
	if (kdump_get_string_attr(src->kd, KDUMP_ATTR_ARCH_NAME, &s) == KDUMP_OK)
		snprintf(src->machine, sizeof(src->machine), "%s", s);
	/*
	 * The raw blob, not kdump_vmcoreinfo_raw(): that one wants the OS
	 * type set, and setting it makes libkdumpfile build its address
	 * translation from the dump, which physical reads do not need.
	 */
	a.type = KDUMP_BLOB;
	if (kdump_get_typed_attr(src->kd, "linux.vmcoreinfo.raw", &a) == KDUMP_OK &&
	    a.val.blob) {
		kdump_blob_t *b = a.val.blob;
		const char *d;

		kdump_blob_incref(b);
		d = kdump_blob_pin(b);
		err = d ? khofmt_src_set_vmcoreinfo(src, d, kdump_blob_size(b),
						    "kdump header") : 0;
		kdump_blob_unpin(b);
		kdump_blob_decref(b);
		if (err)
			return err;
	}

	err = bmp_runs(src, KDUMP_ATTR_FILE_PAGEMAP, shift, &file, &nfile, &fpages);
	if (err)
		return err;
	if (nfile == 0) {
		free(file);
		return khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				      "%s: holds no page", khofmt_src_name(src));
	}
	/* RAM: optional (not every format keeps it apart from the file map). */
	if (bmp_runs(src, KDUMP_ATTR_MEMORY_PAGEMAP, shift, &src->ram, &src->nram,
		     &rpages) == 0 && rpages >= fpages)
		src->ram_pages_absent = rpages - fpages;
	src->errmsg[0] = '\0';

	segs = calloc(nfile, sizeof(*segs));
	if (!segs) {
		free(file);
		return -KHOFMT_ERR_NOMEM;
	}
	for (i = 0; i < nfile; i++) {
		segs[i].start = file[i].start;
		segs[i].size = file[i].size;
	}
	free(file);
	return khofmt_src_set_segs(src, segs, nfile);
}

int khofmt_src_kdump_open(const char *path, struct khofmt_source **out)
{
	struct khofmt_source *src;
	int err, fd;

	err = khofmt_src_begin(KHOFMT_SOURCE_KDUMP, path, out, &src);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		khofmt_source_free(src);
		errno = e;
		return -KHOFMT_ERR_IO;
	}
	/* libkdumpfile reads through the descriptor; it is ours to close. */
	src->fd = fd;
	err = kdump_load(src, fd);
	if (err) {
		khofmt_source_free(src);
		return err;
	}
	*out = src;
	return 0;
}

#else /* !KHOFMT_WITH_KDUMP */

int khofmt_src_kdump_read(struct khofmt_source *src, uint64_t pa, void *out,
			  uint64_t n)
{
	(void)pa;
	(void)out;
	(void)n;
	return khofmt_src_err(src, -KHOFMT_ERR_INTERNAL, "no libkdumpfile");
}

void khofmt_src_kdump_close(struct khofmt_source *src)
{
	(void)src;
}

int khofmt_src_kdump_open(const char *path, struct khofmt_source **out)
{
	(void)path;
	if (out)
		*out = NULL;
	return -KHOFMT_ERR_UNSUPPORTED;
}

#endif /* KHOFMT_WITH_KDUMP */
