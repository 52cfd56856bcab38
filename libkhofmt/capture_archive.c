// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Capture bundles as one archive (khofmt-capture.h): libarchive writes and
 * reads the tar and its compression; this file only chooses the members,
 * their order and metadata (deterministic output), and what a hostile
 * archive may put on disk when one is read back.
 *
 * Built without libarchive (KHOFMT_WITH_ARCHIVE undefined, as in the
 * static libkhofmt.a of the patched kexec and the test guest's static
 * khoctl: Debian's libarchive.a pulls a dozen more static libraries),
 * khofmt_capture_pack() and khofmt_capture_unpack() fail with
 * -KHOFMT_ERR_UNSUPPORTED; bundle directories work the same. So they do
 * when libarchive, loaded with dlopen() when an archive is packed or
 * unpacked, cannot be loaded (the detail says why).
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef KHOFMT_WITH_ARCHIVE
#include <archive.h>
#include <archive_entry.h>
#endif

#include "khofmt.h"
#include "dl_int.h"

/* The top-level files of a bundle, in archive order. */
static const char *const bundle_files[] = {
	KHOFMT_CAPTURE_MANIFEST, KHOFMT_CAPTURE_FDT, KHOFMT_CAPTURE_MEM,
	KHOFMT_CAPTURE_IOMEM, KHOFMT_CAPTURE_SCRATCH_PHYS,
	KHOFMT_CAPTURE_SCRATCH_LEN,
};
#define NFILES (sizeof(bundle_files) / sizeof(bundle_files[0]))

static const struct {
	const char *suffix;
	enum khofmt_capture_form form;
} suffixes[] = {
	{ ".tar", KHOFMT_CAPTURE_FORM_TAR },
	{ ".tar.zst", KHOFMT_CAPTURE_FORM_TAR_ZST },
	{ ".tzst", KHOFMT_CAPTURE_FORM_TAR_ZST },
	{ ".tar.xz", KHOFMT_CAPTURE_FORM_TAR_XZ },
	{ ".txz", KHOFMT_CAPTURE_FORM_TAR_XZ },
	{ ".tar.gz", KHOFMT_CAPTURE_FORM_TAR_GZ },
	{ ".tgz", KHOFMT_CAPTURE_FORM_TAR_GZ },
};

/* Length of @path's archive suffix, 0 if none; the form in @form. */
static size_t suffix_len(const char *path, enum khofmt_capture_form *form)
{
	size_t n = strlen(path), i;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t k = strlen(suffixes[i].suffix);

		if (n > k && !strcmp(path + n - k, suffixes[i].suffix)) {
			*form = suffixes[i].form;
			return k;
		}
	}
	*form = KHOFMT_CAPTURE_FORM_DIR;
	return 0;
}

enum khofmt_capture_form khofmt_capture_form(const char *path)
{
	enum khofmt_capture_form f;

	if (!path)
		return KHOFMT_CAPTURE_FORM_DIR;
	suffix_len(path, &f);
	return f;
}

static int fail(struct khofmt_capture_result *res, const char *path,
		const char *what, int err, int code)
{
	snprintf(res->path, sizeof(res->path), "%s", path ? path : "");
	res->what = what;
	res->sys_errno = err;
	return code;
}

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s%s%s", a, *a ? "/" : "", b);
	return p;
}

static bool blob_name_ok(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

#ifdef KHOFMT_WITH_ARCHIVE

/*
 * libarchive is loaded with dlopen() by khofmt_capture_pack() and
 * khofmt_capture_unpack(), not linked (issue 20): it brings libxml2, ICU,
 * libstdc++ and libacl, whose loading and relocations every khoctl run
 * paid. Each call loads it (dlopen counts references) and releases its
 * handle when done; no global state. RTLD_NODELETE keeps the library
 * mapped once loaded: a second call does not load it again.
 */
struct arlib {
	void *dl;
	__typeof__(&archive_entry_filetype) entry_filetype;
	__typeof__(&archive_entry_free) entry_free;
	__typeof__(&archive_entry_hardlink) entry_hardlink;
	__typeof__(&archive_entry_new) entry_new;
	__typeof__(&archive_entry_pathname) entry_pathname;
	__typeof__(&archive_entry_set_filetype) entry_set_filetype;
	__typeof__(&archive_entry_set_mtime) entry_set_mtime;
	__typeof__(&archive_entry_set_pathname) entry_set_pathname;
	__typeof__(&archive_entry_set_perm) entry_set_perm;
	__typeof__(&archive_entry_set_size) entry_set_size;
	__typeof__(&archive_entry_symlink) entry_symlink;
	__typeof__(&archive_errno) errno_;
	__typeof__(&archive_error_string) error_string;
	__typeof__(&archive_read_data_block) read_data_block;
	__typeof__(&archive_read_free) read_free;
	__typeof__(&archive_read_new) read_new;
	__typeof__(&archive_read_next_header) read_next_header;
	__typeof__(&archive_read_open_filename) read_open_filename;
	__typeof__(&archive_read_support_filter_gzip) read_support_filter_gzip;
	__typeof__(&archive_read_support_filter_xz) read_support_filter_xz;
	__typeof__(&archive_read_support_filter_zstd) read_support_filter_zstd;
	__typeof__(&archive_read_support_format_tar) read_support_format_tar;
	__typeof__(&archive_write_add_filter_gzip) write_add_filter_gzip;
	__typeof__(&archive_write_add_filter_none) write_add_filter_none;
	__typeof__(&archive_write_add_filter_xz) write_add_filter_xz;
	__typeof__(&archive_write_add_filter_zstd) write_add_filter_zstd;
	__typeof__(&archive_write_close) write_close;
	__typeof__(&archive_write_data) write_data;
	__typeof__(&archive_write_free) write_free;
	__typeof__(&archive_write_header) write_header;
	__typeof__(&archive_write_new) write_new;
	__typeof__(&archive_write_open_fd) write_open_fd;
	__typeof__(&archive_write_set_bytes_in_last_block) write_set_bytes_in_last_block;
	__typeof__(&archive_write_set_filter_option) write_set_filter_option;
	__typeof__(&archive_write_set_format_pax_restricted) write_set_format_pax_restricted;
};

static const struct khofmt_dl_sym ar_syms[] = {
#define AR_SYM(f, m) KHOFMT_DL_SYM(struct arlib, m, f)
	AR_SYM(archive_entry_filetype, entry_filetype),
	AR_SYM(archive_entry_free, entry_free),
	AR_SYM(archive_entry_hardlink, entry_hardlink),
	AR_SYM(archive_entry_new, entry_new),
	AR_SYM(archive_entry_pathname, entry_pathname),
	AR_SYM(archive_entry_set_filetype, entry_set_filetype),
	AR_SYM(archive_entry_set_mtime, entry_set_mtime),
	AR_SYM(archive_entry_set_pathname, entry_set_pathname),
	AR_SYM(archive_entry_set_perm, entry_set_perm),
	AR_SYM(archive_entry_set_size, entry_set_size),
	AR_SYM(archive_entry_symlink, entry_symlink),
	AR_SYM(archive_errno, errno_),
	AR_SYM(archive_error_string, error_string),
	AR_SYM(archive_read_data_block, read_data_block),
	AR_SYM(archive_read_free, read_free),
	AR_SYM(archive_read_new, read_new),
	AR_SYM(archive_read_next_header, read_next_header),
	AR_SYM(archive_read_open_filename, read_open_filename),
	AR_SYM(archive_read_support_filter_gzip, read_support_filter_gzip),
	AR_SYM(archive_read_support_filter_xz, read_support_filter_xz),
	AR_SYM(archive_read_support_filter_zstd, read_support_filter_zstd),
	AR_SYM(archive_read_support_format_tar, read_support_format_tar),
	AR_SYM(archive_write_add_filter_gzip, write_add_filter_gzip),
	AR_SYM(archive_write_add_filter_none, write_add_filter_none),
	AR_SYM(archive_write_add_filter_xz, write_add_filter_xz),
	AR_SYM(archive_write_add_filter_zstd, write_add_filter_zstd),
	AR_SYM(archive_write_close, write_close),
	AR_SYM(archive_write_data, write_data),
	AR_SYM(archive_write_free, write_free),
	AR_SYM(archive_write_header, write_header),
	AR_SYM(archive_write_new, write_new),
	AR_SYM(archive_write_open_fd, write_open_fd),
	AR_SYM(archive_write_set_bytes_in_last_block, write_set_bytes_in_last_block),
	AR_SYM(archive_write_set_filter_option, write_set_filter_option),
	AR_SYM(archive_write_set_format_pax_restricted, write_set_format_pax_restricted),
#undef AR_SYM
};

static void ar_unload(struct arlib *L)
{
	if (L) {
		dlclose(L->dl);
		free(L);
	}
}

/* Load libarchive (KHOFMT_LIBARCHIVE_SONAME) or fail with what the loader said. */
static int ar_load(struct arlib **out, const char *path,
		   struct khofmt_capture_result *res)
{
	struct arlib *L;
	char why[sizeof(res->detail) - 128];

	*out = NULL;
	L = calloc(1, sizeof(*L));
	if (!L)
		return -KHOFMT_ERR_NOMEM;
	L->dl = khofmt_dl_open(KHOFMT_LIBARCHIVE_SONAME, ar_syms,
			       sizeof(ar_syms) / sizeof(ar_syms[0]), L, why, sizeof(why));
	if (!L->dl) {
		snprintf(res->detail, sizeof(res->detail),
			 "libarchive cannot be loaded (%s): bundle archives are "
			 "not supported, use a bundle directory", why);
		free(L);
		return fail(res, path, res->detail, 0, -KHOFMT_ERR_UNSUPPORTED);
	}
	*out = L;
	return 0;
}

/* libarchive's message, kept in @res (the archive object goes away). */
static int fail_ar(const struct arlib *L, struct khofmt_capture_result *res,
		   const char *path, struct archive *a, int code)
{
	const char *m = L->error_string(a);
	int e = L->errno_(a);

	snprintf(res->detail, sizeof(res->detail), "%s", m ? m : "archive error");
	/* libarchive reports format damage with errno -1 or EINVAL/EFTYPE */
	if (code == -KHOFMT_ERR_IO && e > 0)
		return fail(res, path, res->detail, e, code);
	return fail(res, path, res->detail, 0, code);
}

/* ---- writing ---- */

static int add_dir(const struct arlib *L, struct archive *a, const char *name,
		   long long time)
{
	struct archive_entry *e = L->entry_new();
	int r;

	if (!e)
		return ARCHIVE_FATAL;
	L->entry_set_pathname(e, name);
	L->entry_set_filetype(e, AE_IFDIR);
	L->entry_set_perm(e, 0755);
	L->entry_set_mtime(e, time, 0);
	r = L->write_header(a, e);
	L->entry_free(e);
	return r;
}

/* One regular file; absent optional files are skipped (1). */
static int add_file(const struct arlib *L, struct archive *a, const char *name,
		    const char *path, long long time,
		    struct khofmt_capture_result *res)
{
	struct archive_entry *e;
	char buf[65536];
	struct stat st;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0 || fstat(fd, &st))
		goto io;
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(res, path, "not a regular file", 0, -KHOFMT_ERR_IO);
	}
	e = L->entry_new();
	if (!e) {
		close(fd);
		return -KHOFMT_ERR_NOMEM;
	}
	L->entry_set_pathname(e, name);
	L->entry_set_filetype(e, AE_IFREG);
	L->entry_set_perm(e, 0644);
	L->entry_set_size(e, st.st_size);
	L->entry_set_mtime(e, time, 0);
	r = L->write_header(a, e);
	L->entry_free(e);
	if (r != ARCHIVE_OK) {
		close(fd);
		return fail_ar(L, res, name, a, -KHOFMT_ERR_IO);
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto io;
		if (L->write_data(a, buf, (size_t)n) != n) {
			close(fd);
			return fail_ar(L, res, name, a, -KHOFMT_ERR_IO);
		}
	}
	close(fd);
	return 0;
io:
	r = errno;
	if (fd >= 0)
		close(fd);
	return fail(res, path, "cannot read", r, -KHOFMT_ERR_IO);
}

static int set_form(const struct arlib *L, struct archive *a,
		    enum khofmt_capture_form form)
{
	/* pax only where ustar cannot say it (long names): stable bytes */
	int r = L->write_set_format_pax_restricted(a);

	if (r != ARCHIVE_OK)
		return r;
	switch (form) {
	case KHOFMT_CAPTURE_FORM_TAR_ZST:
		return L->write_add_filter_zstd(a);
	case KHOFMT_CAPTURE_FORM_TAR_XZ:
		return L->write_add_filter_xz(a);
	case KHOFMT_CAPTURE_FORM_TAR_GZ:
		r = L->write_add_filter_gzip(a);
		/* no file name or time in the gzip header */
		if (r == ARCHIVE_OK)
			r = L->write_set_filter_option(a, "gzip", "timestamp", NULL);
		return r;
	default:
		return L->write_add_filter_none(a);
	}
}

/* The members of @dir under @top/, in a fixed order. */
static int pack_members(const struct arlib *L, struct archive *a, const char *dir,
			const char *top, long long time,
			struct khofmt_capture_result *res)
{
	char *bdir = join(dir, KHOFMT_CAPTURE_BLOBS), *btop = join(top, KHOFMT_CAPTURE_BLOBS);
	struct dirent **ents = NULL;
	int n = 0, i, r = -KHOFMT_ERR_NOMEM;
	char *m = NULL, *p = NULL;
	size_t k;

	if (!bdir || !btop)
		goto out;
	m = join(top, "");
	r = m ? add_dir(L, a, m, time) : ARCHIVE_FATAL;
	if (r != ARCHIVE_OK) {
		r = fail_ar(L, res, top, a, -KHOFMT_ERR_IO);
		goto out;
	}
	for (k = 0, r = 0; r >= 0 && k < NFILES; k++) {
		free(m);
		free(p);
		m = join(top, bundle_files[k]);
		p = join(dir, bundle_files[k]);
		r = m && p ? add_file(L, a, m, p, time, res) : -KHOFMT_ERR_NOMEM;
	}
	if (r < 0)
		goto out;
	n = scandir(bdir, &ents, NULL, alphasort);
	if (n < 0) {
		n = 0;
		if (errno == ENOENT) {
			r = 0;
			goto out;
		}
		r = fail(res, bdir, "cannot read", errno, -KHOFMT_ERR_IO);
		goto out;
	}
	free(m);
	m = join(btop, "");
	r = m ? add_dir(L, a, m, time) : ARCHIVE_FATAL;
	if (r != ARCHIVE_OK) {
		r = fail_ar(L, res, btop, a, -KHOFMT_ERR_IO);
		goto out;
	}
	for (i = 0, r = 0; r >= 0 && i < n; i++) {
		if (!blob_name_ok(ents[i]->d_name))
			continue;
		free(m);
		free(p);
		m = join(btop, ents[i]->d_name);
		p = join(bdir, ents[i]->d_name);
		r = m && p ? add_file(L, a, m, p, time, res) : -KHOFMT_ERR_NOMEM;
	}
out:
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(m);
	free(p);
	free(bdir);
	free(btop);
	return r < 0 ? r : 0;
}

int khofmt_capture_pack(const char *dir, const char *archive, long long time,
			unsigned flags, struct khofmt_capture_result *res)
{
	enum khofmt_capture_form form;
	const char *base;
	char *top = NULL, *tmp = NULL;
	struct archive *a = NULL;
	struct arlib *L = NULL;
	int fd = -1, r;
	size_t sl;

	memset(res, 0, sizeof(*res));
	if (!dir || !archive || (flags & ~KHOFMT_CAPTURE_REPLACE))
		return -KHOFMT_ERR_INVAL;
	sl = suffix_len(archive, &form);
	if (form == KHOFMT_CAPTURE_FORM_DIR)
		return fail(res, archive, "not a .tar, .tar.zst, .tar.xz or .tar.gz name",
			    0, -KHOFMT_ERR_INVAL);
	base = strrchr(archive, '/') ? strrchr(archive, '/') + 1 : archive;
	if (strlen(base) <= sl)
		return fail(res, archive, "no name before the suffix", 0,
			    -KHOFMT_ERR_INVAL);
	if (!(flags & KHOFMT_CAPTURE_REPLACE) && access(archive, F_OK) == 0)
		return fail(res, archive, "already exists", EEXIST, -KHOFMT_ERR_IO);
	r = ar_load(&L, archive, res);
	if (r)
		return r;
	top = strndup(base, strlen(base) - sl);
	tmp = malloc(strlen(archive) + 16);
	r = -KHOFMT_ERR_NOMEM;
	if (!top || !tmp)
		goto out;
	snprintf(tmp, strlen(archive) + 16, "%s.tmp.XXXXXX", archive);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = fail(res, tmp, "cannot create", errno, -KHOFMT_ERR_IO);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	fchmod(fd, 0644);
	a = L->write_new();
	if (!a)
		goto out;
	if (set_form(L, a, form) != ARCHIVE_OK ||
	    /* one 10 KiB block at the end like tar(1), not padding per write */
	    L->write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    L->write_open_fd(a, fd) != ARCHIVE_OK) {
		r = fail_ar(L, res, archive, a, -KHOFMT_ERR_IO);
		goto out;
	}
	r = pack_members(L, a, dir, top, time, res);
	if (r == 0 && L->write_close(a) != ARCHIVE_OK)
		r = fail_ar(L, res, archive, a, -KHOFMT_ERR_IO);
	if (r == 0 && fsync(fd) && errno != EINVAL)
		r = fail(res, archive, "write error", errno, -KHOFMT_ERR_IO);
	if (close(fd) && r == 0)
		r = fail(res, archive, "write error", errno, -KHOFMT_ERR_IO);
	fd = -1;
	if (r)
		goto out;
	if (flags & KHOFMT_CAPTURE_REPLACE) {
		if (rename(tmp, archive))
			r = fail(res, archive, "cannot create", errno, -KHOFMT_ERR_IO);
	} else if (link(tmp, archive)) {
		/* link() never replaces: an archive made meanwhile is kept */
		r = fail(res, archive, errno == EEXIST ? "already exists" : "cannot create",
			 errno, -KHOFMT_ERR_IO);
	}
out:
	if (a)
		L->write_free(a);
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(top);
	ar_unload(L);
	return r;
}

/* ---- reading ---- */

/*
 * Where member @name goes below @dir, or NULL to skip it: the bundle's
 * own names only, after one leading directory.
 */
static char *member_path(const char *dir, const char *name, bool *blob)
{
	const char *s = name, *slash, *b;
	size_t k, bl = strlen(KHOFMT_CAPTURE_BLOBS);

	*blob = false;
	while (s[0] == '.' && s[1] == '/')
		s += 2;
	slash = strchr(s, '/');
	/*
	 * TOP/NAME, TOP/blobs/X, or without TOP: NAME, blobs/X (a TOP
	 * called "blobs" holding NAME is TOP/NAME).
	 */
	if (slash && (strchr(slash + 1, '/') ||
		      (size_t)(slash - s) != bl || strncmp(s, KHOFMT_CAPTURE_BLOBS, bl)))
		s = slash + 1;
	for (k = 0; k < NFILES; k++)
		if (!strcmp(s, bundle_files[k]))
			return join(dir, s);
	if (strncmp(s, KHOFMT_CAPTURE_BLOBS "/", bl + 1))
		return NULL;
	b = s + bl + 1;
	if (!blob_name_ok(b))
		return NULL;
	*blob = true;
	return join(dir, s);
}

static int unpack_member(const struct arlib *L, struct archive *a, const char *path,
			 uint64_t max, uint64_t *total,
			 struct khofmt_capture_result *res)
{
	const void *buf;
	size_t n;
	int64_t off;
	uint64_t got = 0;
	int fd, r;

	/* O_EXCL: a member given twice is refused, nothing is followed */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			return fail(res, path, "member given twice in the archive",
				    0, -KHOFMT_ERR_STRUCT);
		return fail(res, path, "cannot create", errno, -KHOFMT_ERR_IO);
	}
	for (;;) {
		r = L->read_data_block(a, &buf, &n, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			close(fd);
			return fail_ar(L, res, path, a, -KHOFMT_ERR_STRUCT);
		}
		if (off < 0 || (uint64_t)off + n < got || (uint64_t)off + n > max ||
		    *total + n > KHOFMT_CAPTURE_MAX_UNPACK) {
			close(fd);
			return fail(res, path, "larger than a bundle member may be",
				    0, -KHOFMT_ERR_LIMIT);
		}
		/* sparse members: the holes stay holes */
		if (pwrite(fd, buf, n, off) != (ssize_t)n) {
			r = errno;
			close(fd);
			return fail(res, path, "write error", r, -KHOFMT_ERR_IO);
		}
		if ((uint64_t)off + n > got)
			got = (uint64_t)off + n;
		*total += n;
	}
	if (ftruncate(fd, (off_t)got) || close(fd))
		return fail(res, path, "write error", errno, -KHOFMT_ERR_IO);
	return 0;
}

int khofmt_capture_unpack(const char *archive, const char *dir,
			  struct khofmt_capture_result *res)
{
	struct archive_entry *e;
	struct arlib *L;
	struct archive *a;
	uint64_t total = 0;
	char *bdir;
	int r;

	memset(res, 0, sizeof(*res));
	if (!archive || !dir)
		return -KHOFMT_ERR_INVAL;
	r = ar_load(&L, archive, res);
	if (r)
		return r;
	bdir = join(dir, KHOFMT_CAPTURE_BLOBS);
	if (!bdir) {
		ar_unload(L);
		return -KHOFMT_ERR_NOMEM;
	}
	if (mkdir(dir, 0700)) {
		r = fail(res, dir, "cannot create", errno, -KHOFMT_ERR_IO);
		free(bdir);
		ar_unload(L);
		return r;
	}
	if (mkdir(bdir, 0700)) {
		r = fail(res, bdir, "cannot create", errno, -KHOFMT_ERR_IO);
		rmdir(dir);
		free(bdir);
		ar_unload(L);
		return r;
	}
	free(bdir);
	a = L->read_new();
	if (!a) {
		khofmt_capture_remove(dir);
		ar_unload(L);
		return -KHOFMT_ERR_NOMEM;
	}
	/* tar only, and only filters done in-process (no external programs) */
	L->read_support_format_tar(a);
	L->read_support_filter_zstd(a);
	L->read_support_filter_xz(a);
	L->read_support_filter_gzip(a);
	if (L->read_open_filename(a, archive, 65536) != ARCHIVE_OK) {
		int e2 = L->errno_(a);

		r = e2 > 0 && e2 != EINVAL ?
			fail(res, archive, "cannot open", e2, -KHOFMT_ERR_IO) :
			fail_ar(L, res, archive, a, -KHOFMT_ERR_STRUCT);
		goto out;
	}
	for (;;) {
		const char *name;
		bool blob;
		char *p;

		r = L->read_next_header(a, &e);
		if (r == ARCHIVE_EOF) {
			r = 0;
			break;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			r = fail_ar(L, res, archive, a, -KHOFMT_ERR_STRUCT);
			break;
		}
		name = L->entry_pathname(e);
		if (!name || L->entry_filetype(e) != AE_IFREG ||
		    L->entry_hardlink(e) || L->entry_symlink(e))
			continue;
		p = member_path(dir, name, &blob);
		if (!p)
			continue;
		r = unpack_member(L, a, p, blob ? KHOFMT_CAPTURE_MAX_BLOB :
				  KHOFMT_CAPTURE_MAX_UNPACK, &total, res);
		free(p);
		if (r)
			break;
	}
out:
	L->read_free(a);
	ar_unload(L);
	if (r)
		khofmt_capture_remove(dir);
	return r;
}

#else /* !KHOFMT_WITH_ARCHIVE */

static int no_archive(struct khofmt_capture_result *res, const char *path)
{
	if (!res)
		return -KHOFMT_ERR_UNSUPPORTED;
	memset(res, 0, sizeof(*res));
	snprintf(res->detail, sizeof(res->detail),
		 "this libkhofmt was built without libarchive: bundle "
		 "archives are not supported, use a bundle directory");
	return fail(res, path, res->detail, 0, -KHOFMT_ERR_UNSUPPORTED);
}

int khofmt_capture_pack(const char *dir, const char *archive, long long time,
			unsigned flags, struct khofmt_capture_result *res)
{
	(void)dir;
	(void)time;
	(void)flags;
	return no_archive(res, archive);
}

int khofmt_capture_unpack(const char *archive, const char *dir,
			  struct khofmt_capture_result *res)
{
	(void)dir;
	return no_archive(res, archive);
}

#endif /* KHOFMT_WITH_ARCHIVE */

int khofmt_capture_remove(const char *dir)
{
	struct dirent **ents = NULL;
	char *bdir, *p;
	size_t k;
	int n, i;

	if (!dir)
		return -KHOFMT_ERR_INVAL;
	bdir = join(dir, KHOFMT_CAPTURE_BLOBS);
	if (!bdir)
		return -KHOFMT_ERR_NOMEM;
	n = scandir(bdir, &ents, NULL, NULL);
	for (i = 0; i < n; i++) {
		if (blob_name_ok(ents[i]->d_name) && (p = join(bdir, ents[i]->d_name))) {
			unlink(p);
			free(p);
		}
		free(ents[i]);
	}
	free(ents);
	rmdir(bdir);
	free(bdir);
	for (k = 0; k < NFILES; k++) {
		p = join(dir, bundle_files[k]);
		if (p)
			unlink(p);
		free(p);
	}
	return rmdir(dir) ? -KHOFMT_ERR_IO : 0;
}
