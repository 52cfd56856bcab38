// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl compat: will the kernel image about to be loaded take this
 * handover? The outgoing state (any input: live, capture, files) as rows
 * (root, subnodes, reserve_mem regions, LUO file handlers and FLBs) held
 * against the strings the image carries (libkhofmt khofmt-image.h). Exit 0
 * every row is read, 1 something would be lost, 2 the image or the state
 * could not be read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "khoctl.h"
#include "out.h"

enum {
	OPT_IMAGE = 0x300,
	OPT_MAX_SIZE,
	OPT_NO_MODULES,
};

struct compat_args {
	struct input_opts in;
	const char *image;
	uint64_t max_size;
	bool no_modules;
};

static const struct argp_option compat_options[] = {
	{ NULL, 0, NULL, 0, "Image:", 3 },
	{ "image", OPT_IMAGE, "FILE", 0,
	  "The kernel to be loaded: x86 bzImage, arm64 Image, Image.gz, EFI "
	  "zboot vmlinuz, vmlinux (required)", 3 },
	{ "max-size", OPT_MAX_SIZE, "SIZE", 0,
	  "Scan at most SIZE decompressed bytes (default 512M)", 3 },
	{ "no-modules", OPT_NO_MODULES, NULL, 0,
	  "Do not look in SYSROOT/lib/modules/RELEASE for handlers built as "
	  "modules", 3 },
	{ 0 }
};

static const struct out_col compat_cols[] = {
	{ "kind", "KIND", -8, 0 },
	{ "subnode", "SUBNODE", -14, 0 },
	{ "item", "ITEM", -19, 0 },
	{ "writes", "WRITES", -15, 0 },
	{ "verdict", "VERDICT", -7, 0 },
	{ "found_in", "FOUND", -6, 0 },
	{ "image_has", "IMAGE HAS", -18, 0 },
	{ "count", "N", 4, 0 },
	{ "bytes", "BYTES", 9, OUT_COL_SIZE },
	{ "module", "MODULE", -6, 0 },
	{ "lost", "LOST", -4, 0 },
	{ "detail", "DETAIL", -6, 0 },
};

static error_t compat_parse(int key, char *arg, struct argp_state *state)
{
	struct compat_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->in;
		return 0;
	case OPT_IMAGE:
		a->image = arg;
		return 0;
	case OPT_MAX_SIZE:
		if (!input_parse_size(arg, &a->max_size) || !a->max_size)
			argp_error(state, "--max-size: '%s' is not a size", arg);
		return 0;
	case OPT_NO_MODULES:
		a->no_modules = true;
		return 0;
	case ARGP_KEY_END:
		if (!a->image)
			argp_error(state, "no image: give --image FILE");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child compat_children[] = {
	{ &input_argp, 0, "Input options:", 0 },
	{ 0 }
};

static const struct argp compat_argp = {
	.options = compat_options,
	.parser = compat_parse,
	.doc = "Check the outgoing state against the kernel image to be "
	       "loaded: one row per root, subnode, reserve_mem region, LUO "
	       "file handler and FLB with what the state writes, whether the "
	       "image reads it (its string literals, or a module of its "
	       "release below --sysroot) and what is lost if not.\v"
	       "Exit status: 0 the image reads everything, 1 something would "
	       "be lost, 2 the image or the state could not be read, 64 usage "
	       "error.",
	.children = compat_children,
};

static int blob_cb(void *arg, const struct khofmt_subnode *sn, void **buf,
		   size_t *len)
{
	const char *why;

	return input_blob(arg, sn, buf, len, &why) ? -KHOFMT_ERR_NOTCOVERED : 0;
}

static void str_or_null(const char *key, const char *s);

static void emit_image(const char *path, const struct khofmt_image *img,
		       uint64_t max)
{
	const struct khofmt_image_info *ii = khofmt_image_info(img);
	size_t i, n = khofmt_image_ntokens(img);

	out_obj_begin("image");
	out_str("path", path);
	out_str("format", khofmt_image_format_name(ii->format));
	out_str("inner", khofmt_image_format_name(ii->inner));
	out_str("compression", khofmt_image_comp_name(ii->comp));
	out_size("file_size", ii->file_size);
	out_u64("payload_offset", ii->payload_off);
	out_size("payload_length", ii->payload_len);
	out_size("scanned", ii->scanned);
	out_size("max_size", max);
	out_str("release", ii->release);
	out_str("banner", ii->banner);
	str_or_null("machine", ii->machine);
	if (ii->page_shift)
		out_size("page_size", (uint64_t)1 << ii->page_shift);
	else
		out_null("page_size", "-");
	out_array_begin("kho_strings");
	for (i = 0; i < n; i++)
		out_str(NULL, khofmt_image_token(img, i));
	out_array_end();
	out_obj_end();
}

static void str_or_null(const char *key, const char *s)
{
	if (s && *s)
		out_str(key, s);
	else
		out_null(key, "-");
}

static void emit_row(const struct khofmt_compat_row *r)
{
	out_row_begin();
	out_str("kind", khofmt_compat_kind_name(r->kind));
	str_or_null("subnode", r->subnode);
	out_str("item", r->what);
	str_or_null("writes", r->writes);
	out_str("verdict", khofmt_compat_verdict_name(r->verdict));
	if (r->verdict == KHOFMT_COMPAT_UNKNOWN)
		out_null("found_in", "-");
	else
		out_str("found_in", khofmt_image_where_name(r->where));
	str_or_null("image_has", r->reads);
	out_u64("count", r->count);
	out_size("bytes", r->bytes);
	str_or_null("module", r->module);
	str_or_null("lost", r->lost);
	str_or_null("detail", r->detail);
	out_row_end();
}

int cmd_compat(int argc, char **argv)
{
	struct compat_args a;
	struct khofmt_image_opts io = { .sz = sizeof(io) };
	struct khofmt_compat *c = NULL;
	struct khofmt_image *img = NULL;
	struct input in;
	char err[256];
	size_t i, n, nlost = 0, nread = 0, nunk;
	int r, w;

	memset(&a, 0, sizeof(a));
	input_opts_init(&a.in, INPUT_ANY_SYSROOT);
	argp_parse(&compat_argp, argc, argv, 0, NULL, &a);
	out_init(&a.in.out);

	r = input_open(&a.in, &in);
	if (r)
		return r;
	/* the state's page size decides whether the image can read its tracker */
	if (in.src && (r = input_infer_geom(&a.in, &in))) {
		input_close(&in);
		return r;
	}
	r = khofmt_compat_collect(in.fdt, in.src, blob_cb, &in, in.page_shift, &c);
	if (r) {
		input_close(&in);
		return out_lib_err("state", r, NULL);
	}
	io.wants = khofmt_compat_wants(c, &io.nwants);
	io.max_size = a.max_size;
	io.sysroot = a.no_modules ? NULL : a.in.sysroot ? a.in.sysroot : "";
	errno = 0;
	r = khofmt_image_open(a.image, &io, &img, err, sizeof(err));
	if (r) {
		khofmt_compat_free(c);
		input_close(&in);
		/* what cannot be read says why (a decompressor not loadable:
		 * "xz image: liblzma.so.5 cannot be loaded: ..."), not the
		 * generic "unsupported KHO generation" */
		if (r == -KHOFMT_ERR_UNSUPPORTED && err[0])
			return out_err("image", "%s", err);
		return out_lib_err("image", r, err);
	}
	khofmt_compat_judge(c, img);

	out_doc_begin("compat", OUT_STYLE_RECORD);
	emit_image(a.image, img, a.max_size ? a.max_size : KHOFMT_IMAGE_MAX_SIZE);
	out_str("state_compatible", khofmt_fdt_compatible(in.fdt));
	out_table_begin("rows", compat_cols, OUT_NCOLS(compat_cols), 0);
	n = khofmt_compat_nrows(c);
	for (i = 0; i < n; i++) {
		const struct khofmt_compat_row *row = khofmt_compat_row(c, i);

		emit_row(row);
		nlost += row->verdict == KHOFMT_COMPAT_LOST;
		nread += row->verdict == KHOFMT_COMPAT_READS;
	}
	out_table_end();
	nunk = khofmt_compat_unknown(c);
	out_obj_begin("summary");
	out_u64("rows", n);
	out_u64("reads", nread);
	out_u64("lost", nlost);
	out_u64("unknown", nunk);
	out_str("verdict", nunk ? "unknown" : nlost ? "loses-state" : "accepted");
	out_obj_end();
	w = out_doc_end();
	if (!w && (nlost || nunk))
		fprintf(stderr, KHOCTL_NAME " compat: %s (%s): %zu of %zu parts %s\n",
			a.image, khofmt_image_info(img)->release, nunk ? nunk : nlost, n,
			nunk ? "of the state could not be read" :
			       "of the state would be lost (see 'lost')");
	khofmt_image_free(img);
	khofmt_compat_free(c);
	input_close(&in);
	if (w)
		return w;
	return nunk ? KHOCTL_EXIT_DECODE : nlost ? KHOCTL_EXIT_FINDINGS : KHOCTL_EXIT_OK;
}
