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
 * khofmt_capture_write() (shared with kexec --kho-save) and archived for
 * --tar by khofmt_capture_pack() (libarchive); this file adds the options
 * and the messages.
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
	const char *tar;   /* --tar FILE: the bundle as one archive */
	bool with_data;
	bool force;        /* --force: --tar replaces an existing FILE */
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

enum { OPT_FORCE = 0x100 };

static const struct argp_option capture_options[] = {
	{ "with-data", 'D', NULL, 0,
	  "Also copy the preserved memory itself into memory.elf", 0 },
	{ "tar", 'T', "FILE", 0,
	  "Write the bundle as one archive FILE instead of a directory: "
	  "FILE.tar, or compressed FILE.tar.zst, FILE.tar.xz, FILE.tar.gz "
	  "(members under NAME/, NAME = FILE's base name without the suffix); "
	  "an existing FILE is refused", 0 },
	{ "force", OPT_FORCE, NULL, 0,
	  "With --tar: replace an existing FILE (atomically)", 0 },
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
		if (khofmt_capture_form(arg) == KHOFMT_CAPTURE_FORM_DIR)
			argp_error(state, "--tar: '%s' does not end in .tar, "
				   ".tar.zst, .tar.xz or .tar.gz", arg);
		a->tar = arg;
		return 0;
	case OPT_FORCE:
		a->force = true;
		return 0;
	case ARGP_KEY_ARG:
		if (a->dir || a->tar)
			argp_error(state, "give one DIR, or --tar FILE");
		a->dir = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->dir && !a->tar)
			argp_error(state, "no DIR given (or --tar FILE)");
		if (a->force && !a->tar)
			argp_error(state, "--force goes with --tar FILE (a DIR "
				   "must not exist)");
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
	if (a.tar && !a.force && access(a.tar, F_OK) == 0)
		return out_err(a.tar, "already exists (--force replaces it)");
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
		struct khofmt_capture_result pr;

		r = khofmt_capture_pack(a.dir, a.tar, when,
					a.force ? KHOFMT_CAPTURE_REPLACE : 0, &pr);
		if (r < 0) {
			if (pr.sys_errno == EEXIST)
				r = out_err(a.tar, "already exists (--force replaces it)");
			else if (r == -KHOFMT_ERR_UNSUPPORTED)
				r = out_err(a.tar, "%s", pr.what);
			else if (pr.sys_errno)
				r = out_err(pr.path, "%s: %s", pr.what,
					    strerror(pr.sys_errno));
			else
				r = out_lib_err(pr.path[0] ? pr.path : a.tar, r,
						pr.what);
			goto out;
		}
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
		khofmt_capture_remove(tmpdir);
		free(tmpdir);
	}
	input_close(&in);
	return r;
}
