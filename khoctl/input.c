// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shared input options (argp children) and the code that turns them into
 * a root FDT, a memory source and a handover.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "khoctl.h"

enum {
	OPT_PAGE_SHIFT = 0x100,
	OPT_ABI,
	OPT_PRODUCER,
	OPT_RADIX_DEPTH,
};

/* ------------------------------------------------------------------ */
/* Numbers                                                             */
/* ------------------------------------------------------------------ */

bool input_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;
	int base = 10;

	/* no sign, no space, no octal surprise for "010" */
	if (!s || !((s[0] >= '0' && s[0] <= '9')))
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')))
			return false;
	}
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

/* Binary shift of a unit letter K, M, G, T (any case); 0 if none. */
static unsigned unit_shift(char c)
{
	static const char units[] = "KMGT";
	const char *u;

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	u = c ? strchr(units, c) : NULL;
	return u ? 10 * (unsigned)(u - units + 1) : 0;
}

bool input_parse_size(const char *s, uint64_t *v)
{
	char num[32];
	size_t n = s ? strlen(s) : 0;
	unsigned shift = 0;
	uint64_t x;

	if (!n || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	/* "KiB" / "KB" / "K": B alone is no suffix (it is a hex digit) */
	if (n > 3 && !strcmp(num + n - 2, "iB") && unit_shift(num[n - 3]))
		num[n -= 2] = '\0';
	else if (n > 2 && num[n - 1] == 'B' && unit_shift(num[n - 2]))
		num[--n] = '\0';
	if (n > 1 && (shift = unit_shift(num[n - 1])))
		num[--n] = '\0';
	if (!input_parse_u64(num, &x))
		return false;
	if (shift && x > (UINT64_MAX >> shift))
		return false;
	*v = x << shift;
	return true;
}

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

static const struct argp_option common_options[] = {
	{ "page-shift", OPT_PAGE_SHIFT, "N", 0,
	  "Producer kernel PAGE_SHIFT: 12 (4 KiB pages, default), 14 or 16", 0 },
	{ "abi", OPT_ABI, "GEN", 0,
	  "KHO generation: kho-v1, kho-v2, kho-v3, kho-v4 or rfc (reading: "
	  "overrides the root compatible; synth: what to write, default kho-v4)", 0 },
	{ "producer", OPT_PRODUCER, "RELEASE", 0,
	  "Release of the producing kernel (6.16, 6.17.9, 7.2.13, ...): "
	  "settles the kho-v1 bitmap size (512 bytes up to early 6.17.y, one "
	  "page after); without it the data decides", 0 },
	{ "radix-depth", OPT_RADIX_DEPTH, "N", 0,
	  "Radix tree levels (16 KiB pages: 5 as in 7.2, 4 as in the first "
	  "kho-v2 commit); default by generation", 0 },
	{ "json", 'j', NULL, 0,
	  "JSON output (one document, schema \"khoctl-<command>\", version 1)", 0 },
	{ "bytes", 'b', NULL, 0,
	  "Text output: print sizes as exact byte counts", 0 },
	{ 0 }
};

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	struct input_opts *o = state->input;
	uint64_t v;

	switch (key) {
	case OPT_PAGE_SHIFT:
		if (!input_parse_u64(arg, &v) || (v != 12 && v != 14 && v != 16))
			argp_error(state, "--page-shift: '%s' is not 12, 14 or 16",
				   arg);
		o->page_shift = (unsigned)v;
		return 0;
	case OPT_ABI:
		o->abi = khofmt_abi_parse(arg);
		if (!o->abi)
			argp_error(state, "--abi: '%s' is not kho-v1, kho-v2, "
				   "kho-v3, kho-v4 or rfc", arg);
		return 0;
	case OPT_PRODUCER:
		if (khofmt_producer_parse(arg, NULL, NULL, NULL))
			argp_error(state, "--producer: '%s' is not a release "
				   "such as 6.16 or 7.2.13", arg);
		o->producer = arg;
		return 0;
	case OPT_RADIX_DEPTH:
		if (!input_parse_u64(arg, &v) || v < 2 || v > KHOFMT_MAX_LEVELS)
			argp_error(state, "--radix-depth: '%s' is not 2..%d",
				   arg, KHOFMT_MAX_LEVELS);
		o->radix_depth = (unsigned)v;
		return 0;
	case 'j':
		o->out.json = true;
		return 0;
	case 'b':
		o->out.bytes = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp input_common_argp = {
	.options = common_options,
	.parser = common_parse,
};

static const struct argp_option input_options[] = {
	{ "fdt", 'f', "FILE", 0,
	  "Root KHO FDT (a copy of debugfs kho/out/fdt or kho/in/fdt); "
	  "- reads standard input", 0 },
	{ "mem", 'm', "FILE[@BASE]", 0,
	  "Physical memory: an ELF core (QEMU dump-guest-memory, vmcore, "
	  "khoctl synth), or with @BASE (hex 0x... or decimal) a raw image "
	  "whose first byte is at physical address BASE", 0 },
	{ 0 }
};

static const struct argp_child input_children[] = {
	{ &input_common_argp, 0, "Common options:", 0 },
	{ 0 }
};

static void set_kind(struct argp_state *state, enum input_kind kind)
{
	struct input_opts *o = state->input;

	if (o->kind != INPUT_NONE && o->kind != kind)
		argp_error(state, "give only one kind of input");
	o->kind = kind;
}

static error_t input_parse(int key, char *arg, struct argp_state *state)
{
	struct input_opts *o = state->input;
	char *at;
	uint64_t base;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = o;
		return 0;
	case 'f':
		set_kind(state, INPUT_FILES);
		o->fdt_path = arg;
		return 0;
	case 'm':
		set_kind(state, INPUT_FILES);
		o->mem_path = arg;
		o->mem_raw = false;
		/*
		 * FILE@BASE is a raw image; an '@' not followed by a number is
		 * part of an ELF file name.
		 */
		at = strrchr(arg, '@');
		if (at && at != arg && input_parse_u64(at + 1, &base)) {
			*at = '\0';
			o->mem_raw = true;
			o->mem_base = base;
		}
		return 0;
	case ARGP_KEY_END:
		if (o->kind == INPUT_NONE)
			argp_error(state, "no input: give --fdt FILE%s",
				   o->need & INPUT_NEED_MEM ? " --mem FILE" : "");
		if (o->kind == INPUT_FILES && !o->fdt_path)
			argp_error(state, "--mem needs --fdt FILE");
		if ((o->need & INPUT_NEED_MEM) && !o->mem_path)
			argp_error(state, "this command needs --mem FILE");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp input_argp = {
	.options = input_options,
	.parser = input_parse,
	.children = input_children,
};

void input_opts_init(struct input_opts *o, unsigned need)
{
	memset(o, 0, sizeof(*o));
	o->need = need;
	o->page_shift = 12;
}

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */

int input_read_file(const char *path, size_t max, void **bufp, size_t *lenp)
{
	bool is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 65536, len = 0;
	struct stat st;
	char *buf = NULL, *nb;
	ssize_t r;
	int ret = KHOCTL_EXIT_DECODE;

	if (is_stdin)
		path = "standard input";
	if (fd < 0)
		return out_err(path, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			out_err(path, "is a directory");
			goto out;
		}
		if (S_ISREG(st.st_mode)) {
			if ((uint64_t)st.st_size > max) {
				out_err(path, "larger than %zu bytes: refusing to read it",
					max);
				goto out;
			}
			cap = (size_t)st.st_size + 1;
		}
	}
	for (;;) {
		if (len == cap || !buf) {
			if (buf)
				cap = cap > max / 2 ? max + 1 : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				out_err(path, "out of memory");
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			out_err(path, "read error: %s", strerror(errno));
			goto out;
		}
		if (!r)
			break;
		len += (size_t)r;
		if (len > max) {
			out_err(path, "larger than %zu bytes: refusing to read it", max);
			goto out;
		}
	}
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	if (!is_stdin)
		close(fd);
	return ret;
}

static int open_files(const struct input_opts *o, struct input *in)
{
	char errbuf[256] = "";
	void *blob;
	size_t len;
	int r;

	in->name = strcmp(o->fdt_path, "-") ? o->fdt_path : "standard input";
	r = input_read_file(o->fdt_path, INPUT_MAX_FILE, &blob, &len);
	if (r)
		return r;
	r = khofmt_fdt_open(blob, len, &in->fdt, errbuf, sizeof(errbuf));
	free(blob);
	/* --abi overrides an unknown compatible (the FDT is handed out). */
	if (r == -KHOFMT_ERR_COMPAT && o->abi && in->fdt)
		r = 0;
	if (r < 0) {
		/* On -KHOFMT_ERR_COMPAT the object is handed out anyway. */
		khofmt_fdt_free(in->fdt);
		in->fdt = NULL;
		return out_lib_err(in->name, r, errbuf);
	}
	if (!o->mem_path)
		return 0;
	errno = 0;
	if (o->mem_raw)
		r = khofmt_source_open_raw(o->mem_path, o->mem_base, &in->src);
	else
		r = khofmt_source_open_elf(o->mem_path, &in->src);
	if (r < 0) {
		int e = errno;

		in->src = NULL;
		return out_lib_err(o->mem_path, r,
				   r == -KHOFMT_ERR_IO && e ? strerror(e) : NULL);
	}
	return 0;
}

int input_open(const struct input_opts *o, struct input *in)
{
	int r;

	memset(in, 0, sizeof(*in));
	switch (o->kind) {
	case INPUT_FILES:
		r = open_files(o, in);
		break;
	default:
		r = out_err("input", "no input given");
		break;
	}
	if (r)
		input_close(in);
	return r;
}

int input_open_handover(const struct input_opts *o, struct input *in)
{
	struct khofmt_open_opts oo = {
		.sz = sizeof(oo),
		.page_shift = o->page_shift,
		.abi = o->abi,
		.producer = o->producer,
		.radix_depth = o->radix_depth,
	};
	char detail[160];
	int r;

	if (!in->src)
		return out_err(in->name, "no memory source: give --mem FILE");
	r = khofmt_handover_open(in->fdt, in->src, &oo, &in->h);
	if (r >= 0)
		return 0;
	in->h = NULL;
	switch (-r) {
	case KHOFMT_ERR_COMPAT:
	case KHOFMT_ERR_UNSUPPORTED:
		snprintf(detail, sizeof(detail), "compatible \"%s\"",
			 khofmt_fdt_compatible(in->fdt));
		break;
	case KHOFMT_ERR_BADPROP:
		snprintf(detail, sizeof(detail),
			 "no usable preserved-memory-map (%s)",
			 khofmt_fdt_abi_reason(in->fdt));
		break;
	case KHOFMT_ERR_INVAL:
		snprintf(detail, sizeof(detail),
			 "page shift %u, producer %s, radix depth %u do not fit "
			 "generation %s", o->page_shift,
			 o->producer ? o->producer : "(none)", o->radix_depth,
			 khofmt_abi_name(o->abi ? o->abi : khofmt_fdt_abi(in->fdt)));
		break;
	default:
		detail[0] = '\0';
	}
	return out_lib_err(in->name, r, detail);
}

void input_close(struct input *in)
{
	khofmt_handover_free(in->h);
	khofmt_source_free(in->src);
	khofmt_fdt_free(in->fdt);
	memset(in, 0, sizeof(*in));
}
