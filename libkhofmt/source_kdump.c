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
 * libkdumpfile is loaded with dlopen() when a kdump file is opened, not
 * linked (issue 20): it brings libaddrxlat, liblzo2, libsnappy and with it
 * libstdc++, libm and libgcc_s, whose loading and ~2,000 symbol relocations
 * every khoctl run paid, kdump file or not. Each kdump source holds its own
 * handle and function table (no global state; dlopen counts references),
 * closed with the source. Once loaded the library stays mapped
 * (RTLD_NODELETE): a second kdump file does not load it again, and a leak
 * checker can still name it at exit (tests/lsan.supp names libkdumpfile's
 * own leak by its module). The soname is the one configure found the
 * development package's libkdumpfile.so pointing at
 * (KHOFMT_KDUMPFILE_SONAME); when it cannot be loaded, opening a kdump file
 * fails with -KHOFMT_ERR_UNSUPPORTED and khofmt_kdump_available() says why.
 * Nothing here may call the header's static inline helpers
 * (kdump_get_number_attr(), kdump_open_fd(), ...): they would reference
 * libkdumpfile's symbols directly. tests/cli/lazy-libs.sh checks that
 * libkhofmt.so neither needs libkdumpfile nor has one of its symbols
 * undefined.
 *
 * Built without libkdumpfile (KHOFMT_WITH_KDUMP undefined, as in the static
 * guest build of tests/vm), kdump files are recognised and refused with
 * -KHOFMT_ERR_UNSUPPORTED.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grow.h"
#include "khofmt.h"
#include "dl_int.h"
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

/* src->kd: the loaded library and the dump's context. */
struct kd {
	void *dl;
	kdump_ctx_t *ctx;
	__typeof__(&kdump_new) new_;
	__typeof__(&kdump_free) free_;
	__typeof__(&kdump_open_fdset) open_fdset;
	__typeof__(&kdump_get_err) get_err;
	__typeof__(&kdump_read) read;
	__typeof__(&kdump_get_typed_attr) get_typed_attr;
	__typeof__(&kdump_bmp_incref) bmp_incref;
	__typeof__(&kdump_bmp_decref) bmp_decref;
	__typeof__(&kdump_bmp_find_set) bmp_find_set;
	__typeof__(&kdump_bmp_find_clear) bmp_find_clear;
	__typeof__(&kdump_bmp_get_err) bmp_get_err;
	__typeof__(&kdump_blob_incref) blob_incref;
	__typeof__(&kdump_blob_decref) blob_decref;
	__typeof__(&kdump_blob_pin) blob_pin;
	__typeof__(&kdump_blob_unpin) blob_unpin;
	__typeof__(&kdump_blob_size) blob_size;
};

static const struct khofmt_dl_sym kd_syms[] = {
#define KD_SYM(f, m) KHOFMT_DL_SYM(struct kd, m, f)
	KD_SYM(kdump_new, new_),
	KD_SYM(kdump_free, free_),
	KD_SYM(kdump_open_fdset, open_fdset),
	KD_SYM(kdump_get_err, get_err),
	KD_SYM(kdump_read, read),
	KD_SYM(kdump_get_typed_attr, get_typed_attr),
	KD_SYM(kdump_bmp_incref, bmp_incref),
	KD_SYM(kdump_bmp_decref, bmp_decref),
	KD_SYM(kdump_bmp_find_set, bmp_find_set),
	KD_SYM(kdump_bmp_find_clear, bmp_find_clear),
	KD_SYM(kdump_bmp_get_err, bmp_get_err),
	KD_SYM(kdump_blob_incref, blob_incref),
	KD_SYM(kdump_blob_decref, blob_decref),
	KD_SYM(kdump_blob_pin, blob_pin),
	KD_SYM(kdump_blob_unpin, blob_unpin),
	KD_SYM(kdump_blob_size, blob_size),
#undef KD_SYM
};

/*
 * Load libkdumpfile into a new struct kd: 0, or -KHOFMT_ERR_UNSUPPORTED with
 * the loader's words in @why (-KHOFMT_ERR_NOMEM).
 */
static int kd_load(struct kd **out, char *why, size_t len)
{
	struct kd *kd;

	*out = NULL;
	kd = calloc(1, sizeof(*kd));
	if (!kd)
		return -KHOFMT_ERR_NOMEM;
	kd->dl = khofmt_dl_open(KHOFMT_KDUMPFILE_SONAME, kd_syms,
				sizeof(kd_syms) / sizeof(kd_syms[0]), kd, why, len);
	if (!kd->dl) {
		free(kd);
		return -KHOFMT_ERR_UNSUPPORTED;
	}
	*out = kd;
	return 0;
}

static void kd_unload(struct kd *kd)
{
	if (!kd)
		return;
	if (kd->ctx)
		kd->free_(kd->ctx);
	dlclose(kd->dl);
	free(kd);
}

KHOFMT_API int khofmt_kdump_available(char *why, size_t len)
{
	char buf[256];
	struct kd *kd;
	int err;

	err = kd_load(&kd, buf, sizeof(buf));
	if (err && why && len)
		snprintf(why, len, "%s", err == -KHOFMT_ERR_UNSUPPORTED ? buf :
			 khofmt_strerror(err));
	if (err)
		return err;
	kd_unload(kd);
	return 1;
}

static int kd_err(struct khofmt_source *src, int err, const char *what)
{
	struct kd *kd = src->kd;

	return khofmt_src_err(src, err, "%s: %s: %s", khofmt_src_name(src), what,
			      kd->get_err(kd->ctx));
}

/* kdump_get_typed_attr() of a number / string (the header's inline helpers) */
static kdump_status kd_number(struct kd *kd, const char *key, kdump_num_t *num)
{
	kdump_attr_t a = { .type = KDUMP_NUMBER };
	kdump_status st = kd->get_typed_attr(kd->ctx, key, &a);

	if (st == KDUMP_OK)
		*num = a.val.number;
	return st;
}

static kdump_status kd_string(struct kd *kd, const char *key, const char **str)
{
	kdump_attr_t a = { .type = KDUMP_STRING };
	kdump_status st = kd->get_typed_attr(kd->ctx, key, &a);

	if (st == KDUMP_OK)
		*str = a.val.string;
	return st;
}

int khofmt_src_kdump_read(struct khofmt_source *src, uint64_t pa, void *out,
			  uint64_t n)
{
	struct kd *kd = src->kd;
	unsigned char *o = out;

	while (n) {
		size_t len = n > (1u << 30) ? (1u << 30) : (size_t)n;
		/*
		 * Machine physical: what the file's page bitmap indexes, and
		 * readable without knowing the architecture (kernel physical
		 * needs libkdumpfile's translation set up from the arch; it
		 * is the same address outside Xen).
		 */
		kdump_status st = kd->read(kd->ctx, KDUMP_MACHPHYSADDR, pa, o, &len);

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
				      kd->get_err(kd->ctx));
	}
	return 0;
}

void khofmt_src_kdump_close(struct khofmt_source *src)
{
	kd_unload(src->kd);
	src->kd = NULL;
}

/* Runs of set bits of bitmap attribute @key as ranges of pages. */
static int bmp_runs(struct khofmt_source *src, const char *key, unsigned shift,
		    struct khofmt_range **out, size_t *nout, uint64_t *pages)
{
	struct kd *kd = src->kd;
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
	if (kd->get_typed_attr(kd->ctx, key, &a) != KDUMP_OK)
		return kd_err(src, -KHOFMT_ERR_BADELF, key);
	bmp = a.val.bitmap;
	kd->bmp_incref(bmp);
	for (;;) {
		st = kd->bmp_find_set(bmp, &idx);
		if (st == KDUMP_ERR_NODATA)
			break;
		if (st != KDUMP_OK)
			goto bad;
		end = idx;
		st = kd->bmp_find_clear(bmp, &end);
		if (st != KDUMP_OK || end <= idx)
			goto bad;
		if (end > UINT64_MAX >> shift) {
			st = KDUMP_ERR_INVALID;
			goto bad;
		}
		if (n == cap) {
			struct khofmt_range *nr;

			if (cap >= KDUMP_MAX_RUNS) {
				kd->bmp_decref(bmp);
				free(r);
				return khofmt_src_err(src, -KHOFMT_ERR_LIMIT,
						      "%s: %s: more than %u runs of pages",
						      khofmt_src_name(src), key,
						      KDUMP_MAX_RUNS);
			}
			nr = khofmt_grow(r, &cap, n + 1, sizeof(*r));
			if (!nr) {
				kd->bmp_decref(bmp);
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
	kd->bmp_decref(bmp);
	*out = r;
	*nout = n;
	return 0;
bad:
	(void)st;
	khofmt_src_err(src, -KHOFMT_ERR_BADELF, "%s: %s: %s", khofmt_src_name(src),
		       key, kd->bmp_get_err(bmp));
	kd->bmp_decref(bmp);
	free(r);
	return -KHOFMT_ERR_BADELF;
}

static int kdump_load(struct khofmt_source *src, int fd)
{
	struct khofmt_range *file = NULL;
	struct khofmt_seg *segs;
	struct kd *kd;
	kdump_num_t ps = 0;
	kdump_attr_t a;
	const char *s;
	uint64_t fpages = 0, rpages = 0;
	size_t nfile = 0, i;
	unsigned shift = 0;
	char why[256];
	int err;

	err = kd_load(&kd, why, sizeof(why));
	if (err == -KHOFMT_ERR_UNSUPPORTED)
		return khofmt_src_err(src, err, "%s: %s", khofmt_src_name(src), why);
	if (err)
		return err;
	src->kd = kd;
	kd->ctx = kd->new_();
	if (!kd->ctx)
		return -KHOFMT_ERR_NOMEM;
	if (kd->open_fdset(kd->ctx, 1, &fd) != KDUMP_OK)
		return kd_err(src, -KHOFMT_ERR_BADELF, "not readable as a dump");
	if (kd_number(kd, KDUMP_ATTR_PAGE_SIZE, &ps) != KDUMP_OK ||
	    ps < 512 || ps > (1u << 24) || (ps & (ps - 1)))
		return khofmt_src_err(src, -KHOFMT_ERR_BADELF,
				      "%s: no usable page size (%" PRIu64 ")",
				      khofmt_src_name(src), (uint64_t)ps);
	while ((1ull << shift) < ps)
		shift++;
	src->ram_page_shift = shift;

	snprintf(src->format, sizeof(src->format), "%s", "kdump");
	if (kd_string(kd, KDUMP_ATTR_FILE_FORMAT, &s) == KDUMP_OK)
		snprintf(src->format, sizeof(src->format), "%s%s",
			 !strcmp(s, "diskdump") ? "kdump-compressed " : "", s);
	if (kd_string(kd, KDUMP_ATTR_ARCH_NAME, &s) == KDUMP_OK)
		snprintf(src->machine, sizeof(src->machine), "%s", s);
	/*
	 * The raw blob, not kdump_vmcoreinfo_raw(): that one wants the OS
	 * type set, and setting it makes libkdumpfile build its address
	 * translation from the dump, which physical reads do not need.
	 */
	a.type = KDUMP_BLOB;
	if (kd->get_typed_attr(kd->ctx, "linux.vmcoreinfo.raw", &a) == KDUMP_OK &&
	    a.val.blob) {
		kdump_blob_t *b = a.val.blob;
		const char *d;

		kd->blob_incref(b);
		d = kd->blob_pin(b);
		err = d ? khofmt_src_set_vmcoreinfo(src, d, kd->blob_size(b),
						    "kdump header") : 0;
		kd->blob_unpin(b);
		kd->blob_decref(b);
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

KHOFMT_API int khofmt_kdump_available(char *why, size_t len)
{
	if (why && len)
		snprintf(why, len, "built without libkdumpfile");
	return 0;
}

int khofmt_src_kdump_open(const char *path, struct khofmt_source **out)
{
	(void)path;
	if (out)
		*out = NULL;
	return -KHOFMT_ERR_UNSUPPORTED;
}

#endif /* KHOFMT_WITH_KDUMP */
