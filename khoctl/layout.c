// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The RAM map and the scratch areas of a handover (layout.h): options,
 * files, and what a live or captured input knew.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khoctl.h"
#include "layout.h"
#include "out.h"

enum {
	OPT_RAM = 0x300,
	OPT_IOMEM,
	OPT_RAM_CORE,
	OPT_SCRATCH,
	OPT_SCRATCH_PHYS,
	OPT_SCRATCH_LEN,
};

bool rlist_push(struct rlist *l, uint64_t start, uint64_t size)
{
	{
		void *p = khofmt_grow(l->v, &l->cap, l->n + 1, sizeof(*l->v));

		if (!p)
			return false;
		l->v = p;
	}
	l->v[l->n].start = start;
	l->v[l->n].size = size;
	l->n++;
	return true;
}

int layout_ram_check(const struct khofmt_range *v, size_t n, char *why,
		     size_t whysz, const char *what)
{
	size_t i, zero = 0;

	if (!n) {
		snprintf(why, whysz, "%s: no System RAM range: not a RAM map", what);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (!v[i].start && v[i].size <= 1)
			zero++;
	if (zero == n) {
		snprintf(why, whysz, "%s: every address reads as 0 (/proc/iomem "
			 "read without root): not a RAM map", what);
		return 1;
	}
	for (i = 0; i < n; i++) {
		uint64_t end = v[i].start + v[i].size;

		if (!v[i].size || end < v[i].start || end > (UINT64_C(1) << 52)) {
			snprintf(why, whysz, "%s: range 0x%llx+0x%llx leaves the "
				 "52-bit physical address space: not a RAM map", what,
				 (unsigned long long)v[i].start,
				 (unsigned long long)v[i].size);
			return 1;
		}
		if (i && v[i].start < v[i - 1].start + v[i - 1].size) {
			snprintf(why, whysz, "%s: range 0x%llx+0x%llx %s the one "
				 "before it (0x%llx+0x%llx): not a RAM map", what,
				 (unsigned long long)v[i].start,
				 (unsigned long long)v[i].size,
				 v[i].start < v[i - 1].start ? "lies below" : "overlaps",
				 (unsigned long long)v[i - 1].start,
				 (unsigned long long)v[i - 1].size);
			return 1;
		}
	}
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct khofmt_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void rlist_add(struct argp_state *state, struct rlist *l,
		      uint64_t start, uint64_t size)
{
	if (!rlist_push(l, start, size))
		argp_failure(state, KHOCTL_EXIT_DECODE, ENOMEM, "ranges");
}

bool layout_parse_range(char *arg, uint64_t *start, uint64_t *size)
{
	char *sep = strpbrk(arg, "-+");
	char c;
	uint64_t a, b;
	bool ok;

	if (!sep)
		return false;
	c = *sep;
	*sep = '\0';
	ok = input_parse_u64(arg, &a) &&
	     (c == '+' ? input_parse_size(sep + 1, &b)
		       : input_parse_u64(sep + 1, &b));
	*sep = c;
	if (!ok)
		return false;
	if (c == '-') {
		if (b < a || b == UINT64_MAX)
			return false;
		b = b - a + 1;
	} else if (b && a + b - 1 < a) {
		return false;
	}
	*start = a;
	*size = b;
	return true;
}

static const struct argp_option layout_options[] = {
	{ NULL, 0, NULL, 0, "RAM map:", 1 },
	{ "ram", OPT_RAM, "START-END|START+SIZE", 0,
	  "A System RAM range (END inclusive, as in /proc/iomem); repeatable", 1 },
	{ "iomem", OPT_IOMEM, "FILE", 0,
	  "A copy of /proc/iomem: its \"System RAM\" lines", 1 },
	{ "ram-from-core", OPT_RAM_CORE, NULL, 0,
	  "The ELF core's PT_LOAD segments are the RAM map (only for a full "
	  "dump, e.g. QEMU dump-guest-memory)", 1 },
	{ NULL, 0, NULL, 0, "Scratch areas:", 2 },
	{ "scratch", OPT_SCRATCH, "ADDR+SIZE", 0,
	  "A scratch area; repeatable (size 0 allowed)", 2 },
	{ "scratch-phys", OPT_SCRATCH_PHYS, "FILE", 0,
	  "debugfs kho/out/scratch_phys: one 0x... address per line", 2 },
	{ "scratch-len", OPT_SCRATCH_LEN, "FILE", 0,
	  "debugfs kho/out/scratch_len: one 0x... size per line", 2 },
	{ 0 }
};

static error_t layout_parse(int key, char *arg, struct argp_state *state)
{
	struct layout_args *a = state->input;
	uint64_t s, z;

	switch (key) {
	case OPT_RAM:
		if (!layout_parse_range(arg, &s, &z) || !z)
			argp_error(state, "--ram: '%s' is not START-END or START+SIZE",
				   arg);
		rlist_add(state, &a->ram, s, z);
		return 0;
	case OPT_IOMEM:
		a->iomem = arg;
		return 0;
	case OPT_RAM_CORE:
		a->ram_core = true;
		return 0;
	case OPT_SCRATCH:
		if (!layout_parse_range(arg, &s, &z) || !strchr(arg, '+'))
			argp_error(state, "--scratch: '%s' is not ADDR+SIZE", arg);
		rlist_add(state, &a->scratch, s, z);
		return 0;
	case OPT_SCRATCH_PHYS:
		a->scratch_phys = arg;
		return 0;
	case OPT_SCRATCH_LEN:
		a->scratch_len = arg;
		return 0;
	case ARGP_KEY_END:
		if (!!a->scratch_phys != !!a->scratch_len)
			argp_error(state, "--scratch-phys and --scratch-len go together");
		if ((a->ram.n > 0) + !!a->iomem + a->ram_core > 1)
			argp_error(state, "give one RAM map: --ram, --iomem or --ram-from-core");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp layout_argp = {
	.options = layout_options,
	.parser = layout_parse,
};

/* One 0x... (or decimal) number per line. */
static int read_numbers(const char *path, uint64_t **out, size_t *n)
{
	char *buf, *line, *save = NULL;
	uint64_t *v = NULL;
	size_t len, nv = 0, cap = 0;
	void *raw;
	int r;

	r = input_read_file(path, INPUT_MAX_FILE, &raw, &len);
	if (r)
		return r;
	buf = realloc(raw, len + 1);
	if (!buf) {
		free(raw);
		return out_err(path, "out of memory");
	}
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		uint64_t x, *p;

		if (!*line)
			continue;
		if (!input_parse_u64(line, &x)) {
			out_err(path, "'%s' is not a number", line);
			free(v);
			free(buf);
			return KHOCTL_EXIT_DECODE;
		}
		p = khofmt_grow(v, &cap, nv + 1, sizeof(*v));
		if (!p) {
			free(v);
			free(buf);
			return out_err(path, "out of memory");
		}
		v = p;
		v[nv++] = x;
	}
	free(buf);
	*out = v;
	*n = nv;
	return 0;
}

static int load_scratch_files(struct layout_args *a)
{
	uint64_t *phys = NULL, *lens = NULL;
	size_t np = 0, nl = 0, i;
	int r;

	r = read_numbers(a->scratch_phys, &phys, &np);
	if (!r)
		r = read_numbers(a->scratch_len, &lens, &nl);
	if (!r && np != nl)
		r = out_err(a->scratch_len, "%zu sizes for %zu addresses in %s",
			    nl, np, a->scratch_phys);
	for (i = 0; !r && i < np; i++)
		if (!rlist_push(&a->scratch, phys[i], lens[i]))
			r = out_err("scratch", "out of memory");
	free(phys);
	free(lens);
	return r;
}

static int load_iomem(struct layout_args *a)
{
	void *text;
	size_t len;
	int r;

	char why[256];

	r = input_read_file(a->iomem, INPUT_MAX_FILE, &text, &len);
	if (r)
		return r;
	free(a->ram.v);
	a->ram.v = NULL;
	if (khofmt_iomem_hidden(text, len)) {
		free(text);
		return out_err(a->iomem, "every address reads as 0 (a /proc/iomem "
			       "read without root): not a RAM map; copy it as root");
	}
	r = khofmt_iomem_parse(text, len, &a->ram.v, &a->ram.n);
	free(text);
	if (r < 0)
		return out_lib_err(a->iomem, r, "not a /proc/iomem copy");
	a->ram.cap = a->ram.n;
	if (layout_ram_check(a->ram.v, a->ram.n, why, sizeof(why), a->iomem))
		return out_err("--iomem", "%s", why);
	return 0;
}

static int copy_ranges(struct rlist *l, const struct khofmt_range *v, size_t n,
		       const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!rlist_push(l, v[i].start, v[i].size))
			return out_err(what, "out of memory");
	return 0;
}

int layout_resolve(struct layout_args *a, const struct input *in,
		   struct khofmt_source *src, struct layout *lay)
{
	bool ram_from_input = false, scratch_from_input = false;
	int r = 0;

	memset(lay, 0, sizeof(*lay));
	lay->ram_origin = lay->scratch_origin = "none";
	if (in && !a->iomem && !a->ram.n && !a->ram_core && in->has_ram) {
		r = copy_ranges(&a->ram, in->ram, in->nram, "ram");
		ram_from_input = true;
	}
	if (!r && in && !a->scratch.n && !a->scratch_phys && in->has_scratch) {
		r = copy_ranges(&a->scratch, in->scratch, in->nscratch, "scratch");
		scratch_from_input = true;
	}
	if (!r && a->iomem)
		r = load_iomem(a);
	if (!r && a->scratch_phys)
		r = load_scratch_files(a);
	if (!r && a->ram_core && !src)
		r = out_err("--ram-from-core", "needs --mem with an ELF core");
	if (r)
		return r;
	/* A system RAM map that cannot be one: refused, not half-used. */
	if (in && !a->iomem && !a->ram.n && !a->ram_core && in->iomem_bad[0])
		return out_err("RAM map", "%s; run as root, or give --iomem FILE "
			       "or --ram", in->iomem_bad);
	if (a->ram.n && !a->iomem && !ram_from_input) {
		char why[256];

		qsort(a->ram.v, a->ram.n, sizeof(*a->ram.v), range_cmp);
		if (layout_ram_check(a->ram.v, a->ram.n, why, sizeof(why), "--ram"))
			return out_err("RAM map", "%s", why);
	}

	if (a->ram_core) {
		lay->ram = khofmt_source_ranges(src, &lay->nram);
		lay->has_ram = true;
		lay->ram_origin = "ELF core PT_LOAD segments (--ram-from-core: assumes a full dump)";
	} else if (a->iomem || a->ram.n || ram_from_input) {
		lay->ram = a->ram.v;
		lay->nram = a->ram.n;
		lay->has_ram = true;
		if (a->iomem)
			snprintf(lay->origin_buf, sizeof(lay->origin_buf),
				 "System RAM lines of %s (--iomem)", a->iomem);
		lay->ram_origin = a->iomem ? lay->origin_buf :
				  ram_from_input ? (in->ram_origin ? in->ram_origin :
						    "System RAM of the input (/proc/iomem)") :
				  "--ram options";
	}
	if (a->scratch.n || a->scratch_phys || scratch_from_input) {
		lay->scratch = a->scratch.v;
		lay->nscratch = a->scratch.n;
		lay->has_scratch = true;
		lay->scratch_origin = a->scratch_phys ? "--scratch-phys/--scratch-len" :
				      scratch_from_input ? (in->scratch_origin ? in->scratch_origin :
							    "scratch areas of the input (debugfs kho/out)") :
				      "--scratch options";
	}
	return 0;
}

void layout_args_free(struct layout_args *a)
{
	free(a->ram.v);
	free(a->scratch.v);
	memset(a, 0, sizeof(*a));
}
