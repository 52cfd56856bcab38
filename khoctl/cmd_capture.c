// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl capture DIR: a self-contained, deterministic bundle of a KHO
 * state that every command reads back with --capture DIR:
 *
 *   manifest.json  schema "khoctl-capture" version 1 (written by the
 *                  same output layer as every JSON document)
 *   fdt.dtb        the full root FDT
 *   blobs/NAME     every subnode's blob (blob-size bytes)
 *   memory.elf     a slim ELF core: the root FDT page (when known), the
 *                  tracker pages and the pages the blobs occupy; with
 *                  --with-data also the preserved memory itself
 *   iomem          /proc/iomem as read (live inputs)
 *
 * Time comes from SOURCE_DATE_EPOCH when set, so that two captures of the
 * same state are byte-identical. The bundle is written by libkhofmt's
 * khofmt_capture_write() (shared with kexec --kho-save); this file adds
 * the options, the messages and --tar.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "input.h"
#include "khoctl.h"
#include "out.h"

struct capture_args {
	struct input_opts in;
	const char *dir;
	const char *tar;   /* --tar FILE: the bundle as one ustar archive */
	bool with_data;
};

static const char *kind_name(enum input_kind k)
{
	switch (k) {
	case INPUT_LIVE: return "live";
	case INPUT_INCOMING: return "incoming";
	case INPUT_CAPTURE: return "capture";
	default: return "files";
	}
}

/* ---- ustar output (deterministic: fixed order, owner 0, mtime = time) ---- */

/* @w - 1 octal digits and a NUL (values too large are refused earlier) */
static void tar_octal(char *f, size_t w, uint64_t v)
{
	size_t i;

	f[w - 1] = '\0';
	for (i = w - 1; i-- > 0; v >>= 3)
		f[i] = (char)('0' + (v & 7));
}

static int tar_member(FILE *t, const char *name, const char *path, bool dir,
		      long long when)
{
	unsigned char h[512], buf[65536];
	unsigned sum = 0;
	uint64_t size = 0, left;
	struct stat st;
	FILE *f = NULL;
	size_t i;

	if (strlen(name) >= 100)
		return out_err(name, "name too long for a tar member");
	if (!dir) {
		f = fopen(path, "rb");
		if (!f || fstat(fileno(f), &st)) {
			if (f)
				fclose(f);
			return out_err(path, "cannot read: %s", strerror(errno));
		}
		size = (uint64_t)st.st_size;
		if (size >= UINT64_C(1) << 33) {
			fclose(f);
			return out_err(path, "too large for a ustar member");
		}
	}
	memset(h, 0, sizeof(h));
	memcpy(h, name, strlen(name));
	tar_octal((char *)h + 100, 8, dir ? 0755 : 0644);
	tar_octal((char *)h + 108, 8, 0);
	tar_octal((char *)h + 116, 8, 0);
	tar_octal((char *)h + 124, 12, size);
	tar_octal((char *)h + 136, 12, when < 0 ? 0 : (uint64_t)when);
	h[156] = dir ? '5' : '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	fwrite(h, 1, 512, t);
	for (left = size; left;) {
		size_t n = fread(buf, 1, left < sizeof(buf) ? (size_t)left : sizeof(buf), f);

		if (!n) {
			fclose(f);
			return out_err(path, "read error");
		}
		fwrite(buf, 1, n, t);
		left -= n;
	}
	if (size % 512) {
		memset(buf, 0, 512);
		fwrite(buf, 1, 512 - size % 512, t);
	}
	if (f)
		fclose(f);
	return 0;
}

/* Archive the bundle in @dir as @tar with members under @top/. */
static int write_tar(const char *dir, const char *tar, long long when)
{
	static const char *const files[] = { CAPTURE_MANIFEST, CAPTURE_FDT,
					     CAPTURE_MEM, CAPTURE_IOMEM,
					     CAPTURE_SCRATCH_PHYS,
					     CAPTURE_SCRATCH_LEN };
	char *bdir = input_path(dir, CAPTURE_BLOBS), *top, *dot, *p, *m;
	const char *base = strrchr(tar, '/') ? strrchr(tar, '/') + 1 : tar;
	struct dirent **ents = NULL;
	int n, i, r = 0;
	FILE *t;

	top = strdup(base);
	if (!top)
		return out_err(tar, "out of memory");
	dot = strstr(top, ".tar");
	if (dot && dot != top)
		*dot = '\0';
	t = fopen(tar, "wb");
	if (!t) {
		free(top);
		free(bdir);
		return out_err(tar, "cannot create: %s", strerror(errno));
	}
	m = input_path(top, "");
	r = tar_member(t, m, dir, true, when);
	free(m);
	for (i = 0; !r && i < (int)(sizeof(files) / sizeof(files[0])); i++) {
		p = input_path(dir, files[i]);
		m = input_path(top, files[i]);
		if (access(p, F_OK) == 0)
			r = tar_member(t, m, p, false, when);
		free(p);
		free(m);
	}
	n = scandir(bdir, &ents, NULL, alphasort);
	if (!r) {
		m = input_path(top, CAPTURE_BLOBS "/");
		r = tar_member(t, m, bdir, true, when);
		free(m);
	}
	for (i = 0; i < n; i++) {
		if (!r && ents[i]->d_name[0] != '.') {
			char *mb = input_path(top, CAPTURE_BLOBS);

			p = input_path(bdir, ents[i]->d_name);
			m = input_path(mb, ents[i]->d_name);
			r = tar_member(t, m, p, false, when);
			free(p);
			free(m);
			free(mb);
		}
		free(ents[i]);
	}
	free(ents);
	if (!r) {
		unsigned char z[1024] = { 0 };

		fwrite(z, 1, sizeof(z), t);
	}
	if (fclose(t) && !r)
		r = out_err(tar, "write error: %s", strerror(errno));
	if (r)
		unlink(tar);
	free(top);
	free(bdir);
	return r;
}

/* rm -r of the temporary bundle (only the names capture writes). */
static void remove_bundle(const char *dir)
{
	static const char *const files[] = { CAPTURE_MANIFEST, CAPTURE_FDT,
					     CAPTURE_MEM, CAPTURE_IOMEM,
					     CAPTURE_SCRATCH_PHYS,
					     CAPTURE_SCRATCH_LEN };
	char *bdir = input_path(dir, CAPTURE_BLOBS), *p;
	struct dirent **ents = NULL;
	size_t i;
	int n, k;

	n = scandir(bdir, &ents, NULL, NULL);
	for (k = 0; k < n; k++) {
		if (ents[k]->d_name[0] != '.') {
			p = input_path(bdir, ents[k]->d_name);
			unlink(p);
			free(p);
		}
		free(ents[k]);
	}
	free(ents);
	rmdir(bdir);
	free(bdir);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		p = input_path(dir, files[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

static const struct argp_option capture_options[] = {
	{ "with-data", 'D', NULL, 0,
	  "Also copy the preserved memory itself into memory.elf", 0 },
	{ "tar", 'T', "FILE", 0,
	  "Write the bundle as one ustar archive FILE instead of a directory "
	  "(its members are under NAME/, NAME = FILE's base name without .tar)", 0 },
	{ 0 }
};

static error_t capture_parse(int key, char *arg, struct argp_state *state)
{
	struct capture_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->in;
		return 0;
	case 'D':
		a->with_data = true;
		return 0;
	case 'T':
		a->tar = arg;
		return 0;
	case ARGP_KEY_ARG:
		if (a->dir || a->tar)
			argp_error(state, "give one DIR, or --tar FILE");
		a->dir = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->dir && !a->tar)
			argp_error(state, "no DIR given (or --tar FILE)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child capture_children[] = {
	{ &input_argp, 0, "Input options:", 0 },
	{ 0 }
};

static const struct argp capture_argp = {
	.options = capture_options,
	.parser = capture_parse,
	.args_doc = "DIR\n--tar FILE",
	.doc = "Save a self-contained bundle of a KHO state in DIR (created; "
	       "must not exist): manifest.json (schema khoctl-capture), "
	       "fdt.dtb, blobs/NAME, memory.elf (tracker and blob pages only, "
	       "unless --with-data) and iomem. Read it back with --capture DIR. "
	       "SOURCE_DATE_EPOCH sets the recorded time.\v" KHOCTL_EXIT_DOC,
	.children = capture_children,
};

/* Say why khofmt_capture_write() failed, like every khoctl error. */
static int capture_err(const struct capture_args *a, int r,
		       const struct khofmt_capture_result *res)
{
	if (r == -KHOFMT_ERR_INVAL && a->with_data && !res->tracker)
		return out_err(a->dir, "--with-data needs a decodable tracker");
	if (res->sys_errno)
		return out_err(res->path, "%s: %s", res->what, strerror(res->sys_errno));
	return out_lib_err(res->path[0] ? res->path : a->dir, r, res->what);
}

int cmd_capture(int argc, char **argv)
{
	struct capture_args a = { .dir = NULL };
	struct khofmt_capture_input ci = { .sz = sizeof(ci) };
	struct khofmt_capture_result res;
	struct input in;
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	long long when = sde && *sde ? strtoll(sde, NULL, 10) : (long long)time(NULL);
	char *tmpdir = NULL;
	int r;

	input_opts_init(&a.in, 0);
	argp_parse(&capture_argp, argc, argv, 0, NULL, &a);
	out_init(&a.in.out);
	if (a.tar) {
		tmpdir = malloc(strlen(a.tar) + 16);
		if (!tmpdir)
			return out_err(a.tar, "out of memory");
		sprintf(tmpdir, "%s.tmp.XXXXXX", a.tar);
		if (!mkdtemp(tmpdir)) {
			r = out_err(a.tar, "cannot create a temporary directory: %s",
				    strerror(errno));
			free(tmpdir);
			return r;
		}
		rmdir(tmpdir);	/* recreated below like a DIR argument */
		a.dir = tmpdir;
	}
	r = input_open(&a.in, &in);
	if (r)
		return r;
	if (!in.release[0] && a.in.kind == INPUT_LIVE && !a.in.sysroot) {
		struct utsname u;

		if (uname(&u) == 0)
			snprintf(in.release, sizeof(in.release), "%s", u.release);
	}
	/* No tracker still leaves the FDT and the blobs worth saving. */
	if (in.src && input_open_handover(&a.in, &in))
		in.h = NULL;
	ci.fdt = in.fdt;
	ci.src = in.src;
	ci.h = in.h;
	ci.blob_dir = in.blob_dir;
	ci.iomem = in.iomem;
	ci.iomem_len = in.iomem_len;
	ci.scratch = in.scratch;
	ci.nscratch = in.nscratch;
	ci.has_scratch = in.has_scratch;
	ci.ram = in.ram;
	ci.nram = in.nram;
	ci.has_ram = in.has_ram;
	ci.source = kind_name(a.in.kind);
	ci.release = in.release;
	ci.page_shift = in.page_shift;
	ci.fdt_pa = in.fdt_pa;
	ci.has_fdt_pa = in.has_fdt_pa;
	ci.recovered = in.recovered != 0;
	ci.with_data = a.with_data;
	ci.time = when;
	r = khofmt_capture_write(a.dir, &ci, &res);
	if (res.tracker_err)
		out_lib_err("tracker", res.tracker_err, khofmt_handover_errmsg(in.h));
	if (in.src && !res.tracker && !r)
		fprintf(stderr, KHOCTL_NAME ": %s: tracker not saved; the "
			"bundle holds the root FDT and the blobs\n", a.dir);
	if (r < 0) {
		r = capture_err(&a, r, &res);
		goto out;
	}
	if (a.tar) {
		r = write_tar(a.dir, a.tar, when);
		if (r)
			goto out;
	}
	out_doc_begin("capture-result", OUT_STYLE_RECORD);
	if (a.tar)
		out_str("archive", a.tar);
	else
		out_str("directory", a.dir);
	out_u64("blobs", res.blobs);
	out_u64("memory_pages", res.pages);
	out_u64("missing_pages", res.missing);
	r = out_doc_end();
out:
	if (tmpdir) {
		remove_bundle(tmpdir);
		free(tmpdir);
	}
	input_close(&in);
	return r;
}
