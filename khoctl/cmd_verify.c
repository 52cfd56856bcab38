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
#include "layout.h"
#include "metrics.h"
#include "out.h"

enum {
	OPT_FDT_PA = 0x200,
	OPT_STRICT,
	OPT_RULE,
	OPT_SKIP,
	OPT_METRICS,
};

struct verify_args {
	struct input_opts in;
	struct layout_args lay;
	uint64_t fdt_pa;
	bool has_fdt_pa;
	bool strict;
	const char **only, **skip;
	size_t nonly, nskip;
	const char *metrics;   /* --metrics FILE */
};

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
	{ NULL, 0, NULL, 0, "Checks:", 3 },
	{ "fdt-pa", OPT_FDT_PA, "ADDR", 0,
	  "Physical address of the root FDT page (checks it is preserved)", 3 },
	{ "strict", OPT_STRICT, NULL, 0,
	  "Warnings count as errors, and rules skipped for want of an input "
	  "(RAM map, scratch, memory) fail the check", 3 },
	{ "rule", OPT_RULE, "ID", 0,
	  "Run only this rule (repeatable)", 3 },
	{ "skip", OPT_SKIP, "ID", 0, "Do not run this rule (repeatable)", 3 },
	{ "metrics", OPT_METRICS, "FILE", 0,
	  "Also write the verdict to FILE for node_exporter's textfile "
	  "collector (gauges per severity and per rule; atomic rename)", 3 },
	{ 0 }
};

static error_t verify_parse(int key, char *arg, struct argp_state *state)
{
	struct verify_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->in;
		state->child_inputs[1] = &a->lay;
		state->child_inputs[2] = &a->in.out;
		return 0;
	case OPT_FDT_PA:
		if (!input_parse_u64(arg, &a->fdt_pa))
			argp_error(state, "--fdt-pa: '%s' is not a number", arg);
		a->has_fdt_pa = true;
		return 0;
	case OPT_STRICT:
		a->strict = true;
		return 0;
	case OPT_METRICS:
		a->metrics = arg;
		return 0;
	case OPT_RULE:
		a->only = list_add(state, a->only, &a->nonly, arg);
		return 0;
	case OPT_SKIP:
		a->skip = list_add(state, a->skip, &a->nskip, arg);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child verify_children[] = {
	{ &input_argp, 0, "Input options:", 0 },
	{ &layout_argp, 0, NULL, 0 },
	{ &out_table_argp, 0, "Table options:", 0 },
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
	       "warnings and skipped rules), 2 could not read the state, 64 "
	       "usage error.",
	.children = verify_children,
};

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

/* Errors as shown (with --strict, warnings are errors). */
static size_t shown_errors(const struct khofmt_verify *v,
					  const struct verify_args *a)
{
	size_t i, n = khofmt_verify_nfindings(v), e = 0;

	for (i = 0; i < n; i++)
		e += shown_sev(a, khofmt_verify_finding(v, i)) ==
		     KHOFMT_SEV_ERROR;
	return e;
}

/*
 * Findings are one table: JSON gets every field of each (khoctl-json(7));
 * text shows the default columns through libsmartcols (-o selects).
 */
static const struct out_col finding_cols[] = {
	{ "rule", "RULE", -8, 0 },
	{ "severity", "SEVERITY", -8, 0 },
	{ "spec", "SPEC", -6, 0 },
	{ "title", "TITLE", -20, OUT_COL_HIDDEN },
	{ "address", "ADDRESS", 18, OUT_COL_ADDR },
	{ "size", "SIZE", 8, OUT_COL_SIZE | OUT_COL_HIDDEN },
	{ "order", "ORDER", 5, OUT_COL_HIDDEN },
	{ "object", "OBJECT", -20, OUT_COL_HIDDEN },
	{ "message", "MESSAGE", -40, 0 },
};

static void emit_finding(const struct verify_args *a,
			 const struct khofmt_finding *f)
{
	out_row_begin();
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
	out_row_end();
}

/* Rules that did not run for want of an input, with why. */
static void emit_skipped(const struct verify_args *a,
			 const struct khofmt_verify *v)
{
	size_t i, n = khofmt_verify_nskipped(v);

	if (!n && !a->in.out.json)
		return;
	out_array_begin("skipped");
	for (i = 0; i < n; i++) {
		const char *why = NULL;
		const struct khofmt_rule *r = khofmt_verify_skipped(v, i, &why);

		if (a->in.out.json) {
			out_obj_begin(NULL);
			out_str("rule", r->id);
			out_str("title", r->title);
			out_str("reason", why ? why : "");
			out_obj_end();
		} else {
			out_note(NULL, "%s %s (%s)", r->id, r->title,
				 why ? why : "input missing");
		}
	}
	out_array_end();
}

static int report(const struct verify_args *a, const struct khofmt_verify *v,
		  const char *ram_origin, const char *scratch_origin)
{
	size_t counts[3] = { 0, 0, 0 }, i, n = khofmt_verify_nfindings(v);
	int sev;
	size_t nskip = khofmt_verify_nskipped(v);
	bool fail;

	for (i = 0; i < n; i++)
		counts[shown_sev(a, khofmt_verify_finding(v, i))]++;
	out_doc_begin("verify", OUT_STYLE_RECORD);
	if (a->in.out.json) {
		out_obj_begin("inputs");
		out_str("ram_map", ram_origin);
		out_str("scratch", scratch_origin);
		out_bool("strict", a->strict);
		out_obj_end();
	}
	out_table_begin("findings", finding_cols, OUT_NCOLS(finding_cols), 0);
	/* JSON in the library's order; text errors first, then warnings */
	for (sev = 0; sev < 3; sev++) {
		for (i = 0; i < n; i++) {
			const struct khofmt_finding *f = khofmt_verify_finding(v, i);

			if (a->in.out.json ? sev == 0 : (int)shown_sev(a, f) == 2 - sev)
				emit_finding(a, f);
		}
	}
	out_table_end();
	emit_skipped(a, v);
	/* --strict: clean only when every rule ran */
	fail = counts[KHOFMT_SEV_ERROR] || (a->strict && nskip);
	out_obj_begin("summary");
	out_u64("errors", counts[KHOFMT_SEV_ERROR]);
	out_u64("warnings", counts[KHOFMT_SEV_WARNING]);
	out_u64("infos", counts[KHOFMT_SEV_INFO]);
	out_u64("skipped", nskip);
	out_str("result", counts[KHOFMT_SEV_ERROR] ? "errors" :
			  fail ? "incomplete" : "clean");
	if (n)
		out_note("details", "khoctl rules RULE, man 7 khoctl-rules");
	out_obj_end();
	return fail ? KHOCTL_EXIT_FINDINGS : KHOCTL_EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_args a;
	struct khofmt_verify_opts vo = { .sz = sizeof(vo) };
	struct khofmt_source *src = NULL;
	struct khofmt_verify *v = NULL;
	struct input in = { 0 };
	bool opened = false;
	struct layout lay;
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
		if (!r && !a.has_fdt_pa && in.has_fdt_pa) {
			a.fdt_pa = in.fdt_pa;
			a.has_fdt_pa = true;
		}
	}
	if (!r)
		r = layout_resolve(&a.lay, opened ? &in : NULL, src, &lay);
	if (r)
		goto out;

	vo.page_shift = a.in.page_shift;
	vo.ram = lay.ram;
	vo.nram = lay.nram;
	vo.has_ram = lay.has_ram;
	vo.ram_origin = lay.ram_origin;
	vo.scratch = lay.scratch;
	vo.nscratch = lay.nscratch;
	vo.has_scratch = lay.has_scratch;
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
	r = report(&a, v, lay.ram_origin, lay.scratch_origin);
	w = out_doc_end();
	if (w)
		r = w;
	else if (r == KHOCTL_EXIT_FINDINGS && a.strict &&
		 !shown_errors(v, &a))
		out_err("verify", "--strict: %zu rules skipped for want of an input (see skipped)",
			khofmt_verify_nskipped(v));
	else if (r == KHOCTL_EXIT_FINDINGS)
		out_err("verify", "errors found%s (see the findings)",
			a.strict ? " (--strict: warnings count)" : "");
out:
	if (a.metrics) {
		/* also when the state could not be read: success 0 */
		w = metrics_write(a.metrics, v, a.strict);
		if (w && r != KHOCTL_EXIT_DECODE)
			r = w;
	}
	khofmt_verify_free(v);
	if (opened)
		input_close(&in);	/* owns src */
	else
		khofmt_source_free(src);
	free(blob);
	layout_args_free(&a.lay);
	free(a.only);
	free(a.skip);
	return r;
}
