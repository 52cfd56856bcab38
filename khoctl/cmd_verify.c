// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl verify: check a handover against the invariants the next kernel
 * relies on (libkhofmt's rule table, `khoctl rules`). Findings grouped by
 * severity, a summary line, --json; exit 0 clean, 1 errors, 2 could not
 * read the state.
 *
 * The root FDT is read as bytes and handed to the library as is: a
 * truncated or invalid FDT is a finding, not a read failure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "khoctl.h"
#include "out.h"

enum {
	OPT_RAM = 0x200,
	OPT_IOMEM,
	OPT_RAM_CORE,
	OPT_SCRATCH,
	OPT_SCRATCH_PHYS,
	OPT_SCRATCH_LEN,
	OPT_FDT_PA,
	OPT_STRICT,
	OPT_RULE,
	OPT_SKIP,
};

/* A growable list of ranges. */
struct rlist {
	struct khofmt_range *v;
	size_t n, cap;
};

struct verify_args {
	struct input_opts in;
	struct rlist ram, scratch;
	const char *iomem;
	bool ram_core;
	bool ram_from_input, scratch_from_input; /* --live/--capture knew */
	const char *scratch_phys, *scratch_len;
	uint64_t fdt_pa;
	bool has_fdt_pa;
	bool strict;
	const char **only, **skip;
	size_t nonly, nskip;
};

static bool rlist_push(struct rlist *l, uint64_t start, uint64_t size)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		void *p = realloc(l->v, ncap * sizeof(*l->v));

		if (!p)
			return false;
		l->v = p;
		l->cap = ncap;
	}
	l->v[l->n].start = start;
	l->v[l->n].size = size;
	l->n++;
	return true;
}

static void rlist_add(struct argp_state *state, struct rlist *l,
		      uint64_t start, uint64_t size)
{
	if (!rlist_push(l, start, size))
		argp_failure(state, KHOCTL_EXIT_DECODE, ENOMEM, "ranges");
}

/* "START-END" (inclusive end, as in /proc/iomem) or "START+SIZE". */
static bool parse_range(char *arg, uint64_t *start, uint64_t *size)
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

static const char **list_add(struct argp_state *state, const char **list,
			     size_t *n, const char *id)
{
	const char **p;

	if (!khofmt_rule_by_id(id))
		argp_error(state, "unknown rule '%s' (see 'khoctl rules')", id);
	p = realloc(list, (*n + 1) * sizeof(*p));
	if (!p)
		argp_failure(state, KHOCTL_EXIT_DECODE, ENOMEM, "rules");
	p[(*n)++] = id;
	return p;
}

static const struct argp_option verify_options[] = {
	{ NULL, 0, NULL, 0, "RAM map (for the System RAM rules):", 1 },
	{ "ram", OPT_RAM, "START-END|START+SIZE", 0,
	  "A System RAM range (END inclusive, as in /proc/iomem); repeatable", 1 },
	{ "iomem", OPT_IOMEM, "FILE", 0,
	  "A copy of /proc/iomem: its \"System RAM\" lines", 1 },
	{ "ram-from-core", OPT_RAM_CORE, NULL, 0,
	  "The ELF core's PT_LOAD segments are the RAM map (only for a full "
	  "dump, e.g. QEMU dump-guest-memory)", 1 },
	{ NULL, 0, NULL, 0, "Scratch areas (for the scratch rules):", 2 },
	{ "scratch", OPT_SCRATCH, "ADDR+SIZE", 0,
	  "A scratch area; repeatable (size 0 allowed)", 2 },
	{ "scratch-phys", OPT_SCRATCH_PHYS, "FILE", 0,
	  "debugfs kho/out/scratch_phys: one 0x... address per line", 2 },
	{ "scratch-len", OPT_SCRATCH_LEN, "FILE", 0,
	  "debugfs kho/out/scratch_len: one 0x... size per line", 2 },
	{ NULL, 0, NULL, 0, "Checks:", 3 },
	{ "fdt-pa", OPT_FDT_PA, "ADDR", 0,
	  "Physical address of the root FDT page (checks it is preserved)", 3 },
	{ "strict", OPT_STRICT, NULL, 0, "Warnings count as errors", 3 },
	{ "rule", OPT_RULE, "ID", 0,
	  "Run only this rule (repeatable)", 3 },
	{ "skip", OPT_SKIP, "ID", 0, "Do not run this rule (repeatable)", 3 },
	{ 0 }
};

static error_t verify_parse(int key, char *arg, struct argp_state *state)
{
	struct verify_args *a = state->input;
	uint64_t s, z;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->in;
		return 0;
	case OPT_RAM:
		if (!parse_range(arg, &s, &z) || !z)
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
		if (!parse_range(arg, &s, &z) || !strchr(arg, '+'))
			argp_error(state, "--scratch: '%s' is not ADDR+SIZE", arg);
		rlist_add(state, &a->scratch, s, z);
		return 0;
	case OPT_SCRATCH_PHYS:
		a->scratch_phys = arg;
		return 0;
	case OPT_SCRATCH_LEN:
		a->scratch_len = arg;
		return 0;
	case OPT_FDT_PA:
		if (!input_parse_u64(arg, &a->fdt_pa))
			argp_error(state, "--fdt-pa: '%s' is not a number", arg);
		a->has_fdt_pa = true;
		return 0;
	case OPT_STRICT:
		a->strict = true;
		return 0;
	case OPT_RULE:
		a->only = list_add(state, a->only, &a->nonly, arg);
		return 0;
	case OPT_SKIP:
		a->skip = list_add(state, a->skip, &a->nskip, arg);
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

static const struct argp_child verify_children[] = {
	{ &input_argp, 0, "Input options:", 0 },
	{ 0 }
};

static const struct argp verify_argp = {
	.options = verify_options,
	.parser = verify_parse,
	.doc = "Check a handover against the invariants the next kernel relies "
	       "on: every rule of 'khoctl rules'. Findings are grouped by "
	       "severity (error, warning, info) and name the object (address, "
	       "size, order, node).\v"
	       "Exit status: 0 no errors, 1 errors found (with --strict also "
	       "warnings), 2 could not read the state, 64 usage error.",
	.children = verify_children,
};

/* One 0x... (or decimal) number per line. */
static int read_numbers(const char *path, uint64_t **out, size_t *n)
{
	char *buf, *line, *save = NULL;
	uint64_t *v = NULL;
	size_t len, nv = 0;
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
		p = realloc(v, (nv + 1) * sizeof(*v));
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

static int load_scratch_files(struct verify_args *a)
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

static int load_iomem(struct verify_args *a)
{
	void *text;
	size_t len;
	int r;

	r = input_read_file(a->iomem, INPUT_MAX_FILE, &text, &len);
	if (r)
		return r;
	free(a->ram.v);
	a->ram.v = NULL;
	r = khofmt_iomem_parse(text, len, &a->ram.v, &a->ram.n);
	free(text);
	if (r < 0)
		return out_lib_err(a->iomem, r, "not a /proc/iomem copy");
	return 0;
}

static int open_source(const struct input_opts *o, struct khofmt_source **src)
{
	int r;

	*src = NULL;
	if (!o->mem_path)
		return 0;
	errno = 0;
	if (o->mem_raw)
		r = khofmt_source_open_raw(o->mem_path, o->mem_base, src);
	else
		r = khofmt_source_open_elf(o->mem_path, src);
	if (r < 0) {
		int e = errno;

		*src = NULL;
		return out_lib_err(o->mem_path, r,
				   r == -KHOFMT_ERR_IO && e ? strerror(e) : NULL);
	}
	return 0;
}

static enum khofmt_severity shown_sev(const struct verify_args *a,
				      const struct khofmt_finding *f)
{
	enum khofmt_severity s = f->rule->severity;

	return a->strict && s == KHOFMT_SEV_WARNING ? KHOFMT_SEV_ERROR : s;
}

static void emit_finding_json(const struct verify_args *a,
			      const struct khofmt_finding *f)
{
	out_obj_begin(NULL);
	out_str("rule", f->rule->id);
	out_str("severity", khofmt_severity_name(shown_sev(a, f)));
	out_str("spec", f->rule->spec);
	out_str("title", f->rule->title);
	if (f->has_addr) {
		out_addr("address", f->addr);
		out_size("size", f->size);
	} else {
		out_null("address", "-");
		out_null("size", "-");
	}
	if (f->order >= 0)
		out_u64("order", (uint64_t)f->order);
	else
		out_null("order", "-");
	out_str("object", f->object);
	out_str("message", f->message);
	out_obj_end();
}

static void emit_group_text(const struct verify_args *a,
			    const struct khofmt_verify *v,
			    enum khofmt_severity sev, const char *key)
{
	size_t i, n = khofmt_verify_nfindings(v);
	bool any = false;

	for (i = 0; i < n; i++) {
		const struct khofmt_finding *f = khofmt_verify_finding(v, i);

		if (shown_sev(a, f) != sev)
			continue;
		if (!any)
			out_array_begin(key);
		any = true;
		out_note(NULL, "%s %s%s%s%s", f->rule->id,
			 *f->rule->spec ? "[" : "", f->rule->spec,
			 *f->rule->spec ? "] " : "", f->message);
	}
	if (any)
		out_array_end();
}

static int report(const struct verify_args *a, const struct khofmt_verify *v,
		  const char *ram_origin, const char *scratch_origin)
{
	size_t counts[3] = { 0, 0, 0 }, i, n = khofmt_verify_nfindings(v);

	for (i = 0; i < n; i++)
		counts[shown_sev(a, khofmt_verify_finding(v, i))]++;
	out_doc_begin("verify", OUT_STYLE_RECORD);
	if (a->in.out.json) {
		out_obj_begin("inputs");
		out_str("ram_map", ram_origin);
		out_str("scratch", scratch_origin);
		out_bool("strict", a->strict);
		out_obj_end();
		out_array_begin("findings");
		for (i = 0; i < n; i++)
			emit_finding_json(a, khofmt_verify_finding(v, i));
		out_array_end();
	} else {
		emit_group_text(a, v, KHOFMT_SEV_ERROR, "errors");
		emit_group_text(a, v, KHOFMT_SEV_WARNING, "warnings");
		emit_group_text(a, v, KHOFMT_SEV_INFO, "info");
	}
	out_obj_begin("summary");
	out_u64("errors", counts[KHOFMT_SEV_ERROR]);
	out_u64("warnings", counts[KHOFMT_SEV_WARNING]);
	out_u64("infos", counts[KHOFMT_SEV_INFO]);
	out_str("result", counts[KHOFMT_SEV_ERROR] ? "errors" : "clean");
	out_obj_end();
	return counts[KHOFMT_SEV_ERROR] ? KHOCTL_EXIT_FINDINGS : KHOCTL_EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_args a;
	struct khofmt_verify_opts vo = { .sz = sizeof(vo) };
	struct khofmt_source *src = NULL;
	struct khofmt_verify *v = NULL;
	struct input in = { 0 };
	bool opened = false;
	const char *ram_origin = "none", *scratch_origin = "none";
	char origin[512];
	void *blob = NULL;
	size_t len = 0;
	int r, w;

	memset(&a, 0, sizeof(a));
	input_opts_init(&a.in, 0);
	argp_parse(&verify_argp, argc, argv, 0, NULL, &a);
	out_init(&a.in.out);

	if (a.in.kind == INPUT_FILES) {
		/* Raw bytes: a truncated or invalid FDT is a finding. */
		r = input_read_file(a.in.fdt_path, INPUT_MAX_FILE, &blob, &len);
		if (!r)
			r = open_source(&a.in, &src);
	} else {
		/*
		 * --live, --incoming, --capture: the input layer finds the FDT
		 * (recovering one debugfs cut short), the memory, and what the
		 * system says about RAM and scratch; options still win.
		 */
		const void *b;

		r = input_open(&a.in, &in);
		opened = true;
		if (!r) {
			b = khofmt_fdt_blob(in.fdt, &len);
			blob = malloc(len);
			if (!blob)
				r = out_err("verify", "out of memory");
			else
				memcpy(blob, b, len);
			src = in.src;
		}
		if (!r && !a.iomem && !a.ram.n && !a.ram_core && in.has_ram) {
			size_t i;

			for (i = 0; i < in.nram && !r; i++)
				if (!rlist_push(&a.ram, in.ram[i].start,
						in.ram[i].size))
					r = out_err("ram", "out of memory");
			a.ram_from_input = true;
		}
		if (!r && !a.scratch.n && !a.scratch_phys && in.has_scratch) {
			size_t i;

			for (i = 0; i < in.nscratch && !r; i++)
				if (!rlist_push(&a.scratch, in.scratch[i].start,
						in.scratch[i].size))
					r = out_err("scratch", "out of memory");
			a.scratch_from_input = true;
		}
		if (!r && !a.has_fdt_pa && in.has_fdt_pa) {
			a.fdt_pa = in.fdt_pa;
			a.has_fdt_pa = true;
		}
	}
	if (!r && a.iomem)
		r = load_iomem(&a);
	if (!r && a.scratch_phys)
		r = load_scratch_files(&a);
	if (!r && a.ram_core && !src)
		r = out_err("--ram-from-core", "needs --mem with an ELF core");
	if (r)
		goto out;

	vo.page_shift = a.in.page_shift;
	if (a.ram_core) {
		vo.ram = khofmt_source_ranges(src, &vo.nram);
		vo.has_ram = true;
		ram_origin = "ELF core PT_LOAD segments (--ram-from-core: assumes a full dump)";
	} else if (a.iomem || a.ram.n || a.ram_from_input) {
		vo.ram = a.ram.v;
		vo.nram = a.ram.n;
		vo.has_ram = true;
		if (a.iomem)
			snprintf(origin, sizeof(origin),
				 "System RAM lines of %s (--iomem)", a.iomem);
		ram_origin = a.iomem ? origin :
			     a.ram_from_input ? "System RAM of the input (/proc/iomem)" :
			     "--ram options";
	}
	vo.ram_origin = ram_origin;
	if (a.scratch.n || a.scratch_phys || a.scratch_from_input) {
		vo.scratch = a.scratch.v;
		vo.nscratch = a.scratch.n;
		vo.has_scratch = true;
		scratch_origin = a.scratch_phys ? "--scratch-phys/--scratch-len" :
				 a.scratch_from_input ? "scratch areas of the input (debugfs kho/out)" :
				 "--scratch options";
	}
	vo.fdt_pa = a.fdt_pa;
	vo.has_fdt_pa = a.has_fdt_pa;
	vo.only = a.only;
	vo.nonly = a.nonly;
	vo.skip = a.skip;
	vo.nskip = a.nskip;

	r = khofmt_verify_run(blob, len, src, &vo, &v);
	if (r < 0) {
		r = out_lib_err("verify", r, NULL);
		goto out;
	}
	r = report(&a, v, ram_origin, scratch_origin);
	w = out_doc_end();
	if (w)
		r = w;
	else if (r == KHOCTL_EXIT_FINDINGS)
		out_err("verify", "errors found%s (see the findings)",
			a.strict ? " (--strict: warnings count)" : "");
out:
	khofmt_verify_free(v);
	if (opened)
		input_close(&in);	/* owns src */
	else
		khofmt_source_free(src);
	free(blob);
	free(a.ram.v);
	free(a.scratch.v);
	free(a.only);
	free(a.skip);
	return r;
}
