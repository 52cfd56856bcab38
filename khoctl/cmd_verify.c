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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "khoctl.h"
#include "layout.h"
#include "metrics.h"
#include "out.h"
#include "table.h"

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
	/* subnodes of an incoming state whose blob its owner consumed */
#define MAX_CONSUMED 16
	const char *consumed[MAX_CONSUMED];
	size_t nconsumed;
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

static bool is_fdt(const void *blob, size_t len)
{
	const unsigned char *b = blob;

	return len >= 4 && b[0] == 0xd0 && b[1] == 0x0d && b[2] == 0xfe &&
	       b[3] == 0xed;
}

/*
 * The page size the rules read the tracker with: an option, the input
 * (capture manifest, running kernel), else what the tracker itself says
 * (input_infer_geom()): corruption is never a wrong guess of ours. @geom
 * gets page_shift and page_reason only.
 */
static int verify_geom(struct verify_args *a, struct input *in,
		       const void *blob, size_t len, struct khofmt_source *src,
		       const struct input *mem, struct input *geom)
{
	struct input t;
	int r;

	if (in) {
		r = input_infer_geom(&a->in, in);
		geom->page_shift = in->page_shift;
		snprintf(geom->page_reason, sizeof(geom->page_reason), "%s",
			 in->page_reason[0] ? in->page_reason :
			 "4 KiB, the default (no memory to infer it from)");
		return r;
	}
	memset(&t, 0, sizeof(t));
	t.page_shift = a->in.page_shift;
	t.name = a->in.fdt_path;
	if (a->in.page_shift_set) {
		t.page_shift_known = true;
		snprintf(t.page_reason, sizeof(t.page_reason), "--page-shift %u",
			 a->in.page_shift);
	} else if (mem && mem->page_shift_known) {
		/* the dump said it (VMCOREINFO PAGESIZE) */
		t.page_shift = mem->page_shift;
		t.page_shift_known = true;
		snprintf(t.page_reason, sizeof(t.page_reason), "%s",
			 mem->page_reason);
	}
	r = 0;
	/* An FDT that does not open is a finding of its own; 4 KiB then. */
	if (src && khofmt_fdt_open(blob, len, &t.fdt, NULL, 0) == 0) {
		t.src = src;
		r = input_infer_geom(&a->in, &t);
	}
	khofmt_fdt_free(t.fdt);
	geom->page_shift = t.page_shift;
	snprintf(geom->page_reason, sizeof(geom->page_reason), "%s",
		 t.page_reason[0] ? t.page_reason :
		 "4 KiB, the default (no memory to infer it from)");
	return r;
}

static bool is_consumed(const struct verify_args *a,
			const struct khofmt_finding *f)
{
	size_t i;

	for (i = 0; i < a->nconsumed; i++)
		if (f->object && !strcmp(f->object, a->consumed[i]))
			return true;
	return false;
}

/*
 * In an incoming state a blob that carries its own compatible or magic
 * and fails it was taken over by its owner in this kernel (LUO frees its
 * blob once the sessions are retrieved, and the page is reused): what the
 * rules say about it is the state, reported as info, not corruption.
 */
static void find_consumed(struct verify_args *a, struct input *in)
{
	size_t i, n = khofmt_fdt_nsubnodes(in->fdt);

	for (i = 0; i < n && a->nconsumed < MAX_CONSUMED; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode(in->fdt, i);
		const char *why;
		void *b;
		size_t len;

		/* owners the registry knows recognise their own blob */
		if (!khofmt_schema_find(KHOFMT_SCHEMA_AT_SUBNODE, sn->name) ||
		    input_blob(in, sn, &b, &len, &why))
			continue;
		if (khofmt_subnode_schema(sn, b, len) == KHOFMT_SCHEMA_UNKNOWN) {
			a->consumed[a->nconsumed++] = sn->name;
			fprintf(stderr, KHOCTL_NAME ": verify: %s: the blob fails its "
				"own compatible check: consumed by its owner in this "
				"kernel (page freed and reused); its findings are "
				"reported as info\n", sn->name);
		}
		free(b);
	}
}

static enum khofmt_severity shown_sev(const struct verify_args *a,
				      const struct khofmt_finding *f)
{
	enum khofmt_severity s = f->rule->severity;

	if (is_consumed(a, f))
		return KHOFMT_SEV_INFO;

	return a->strict && s == KHOFMT_SEV_WARNING ? KHOFMT_SEV_ERROR : s;
}

/* shown_sev() for metrics_write() */
static enum khofmt_severity metrics_sev(const void *arg,
					const struct khofmt_finding *f)
{
	return shown_sev(arg, f);
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
	out_row_color(shown_sev(a, f) == KHOFMT_SEV_ERROR ? "red" :
		      shown_sev(a, f) == KHOFMT_SEV_WARNING ? "yellow" : NULL);
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
	if (is_consumed(a, f)) {
		char m[512];

		snprintf(m, sizeof(m), "consumed by its owner in this kernel: %s",
			 f->message);
		out_str("message", m);
	} else {
		out_str("message", f->message);
	}
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
		  const struct layout *lay, const struct input *geom,
		  const char *tracker)
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
		out_str("ram_map", lay->ram_origin);
		out_str("scratch", lay->scratch_origin);
		out_bool("strict", a->strict);
		out_size("page_size", UINT64_C(1) << geom->page_shift);
		out_str("page_size_reason", geom->page_reason);
		out_str("tracker", tracker);
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
	/*
	 * clean only when every rule ran and the tracker was there to check;
	 * a consumed incoming tracker is "partial" (--strict: a failure)
	 */
	if (!strcmp(tracker, "consumed") && a->strict)
		fail = true;
	out_str("result", counts[KHOFMT_SEV_ERROR] ? "errors" :
			  fail ? "incomplete" :
			  !strcmp(tracker, "consumed") ? "partial" : "clean");
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
	bool opened = false, files = false;
	struct layout lay;
	struct input geom = { 0 };
	const char *tracker;
	void *blob = NULL;
	size_t len = 0;
	int r, w;
	bool clean = false;	/* report()'s verdict: exit 0 */

	memset(&a, 0, sizeof(a));
	input_opts_init(&a.in, 0);
	argp_parse(&verify_argp, argc, argv, 0, NULL, &a);
	if (a.in.out.list_columns && a.in.kind == INPUT_NONE)
		return TABLE_LIST("findings", finding_cols);
	out_init(&a.in.out);

	if (a.in.kind == INPUT_FILES && a.in.fdt_path) {
		/*
		 * Raw bytes: a truncated or invalid FDT is a finding; a file
		 * that is no FDT at all is not a state (exit 2, as dump/stat).
		 */
		r = input_read_file(a.in.fdt_path, INPUT_MAX_FILE, &blob, &len);
		if (!r && !is_fdt(blob, len))
			r = out_err(strcmp(a.in.fdt_path, "-") ? a.in.fdt_path :
				    "standard input", "not a flattened device tree "
				    "(no FDT magic 0xd00dfeed): not a KHO state");
		if (!r) {
			in.page_shift = a.in.page_shift;
			in.producer = a.in.producer;
			opened = true;
			files = true;
			r = input_open_mem(&a.in, &in);
			src = in.src;
		}
	} else {
		/*
		 * A live or incoming state is checked in physical memory: when
		 * /proc/kcore cannot be read nothing of the tracker or of the
		 * blobs was checked, which is never "clean" (exit 2).
		 */
		if (a.in.kind == INPUT_LIVE || a.in.kind == INPUT_INCOMING)
			a.in.need |= INPUT_NEED_MEM;
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
	if (!r)
		r = verify_geom(&a, opened && !files ? &in : NULL, blob, len, src,
				files ? &in : NULL, &geom);
	if (r)
		goto out;

	/*
	 * An incoming state whose tracker the receiving kernel consumed
	 * (freed after boot): its pages read as garbage, and every blob and
	 * structure check through them would report that as corruption. The
	 * root FDT is what was handed over and is checked; the tracker and
	 * what needs preserved memory are not, and that is said.
	 */
	tracker = src ? "read" : "no memory source";
	if (opened && in.incoming && src) {
		struct khofmt_walk_opts wo = { .sz = sizeof(wo) };
		struct khofmt_stats st;
		char why[512];

		r = input_open_handover(&a.in, &in);
		if (r)
			goto out;
		r = khofmt_stats(in.h, &wo, &st);
		if (input_tracker_consumed(&in, r, &st, why, sizeof(why))) {
			fprintf(stderr, KHOCTL_NAME ": verify: %s: the tracker and "
				"the rules that need preserved memory are not checked\n",
				why);
			tracker = "consumed";
			src = NULL;
		} else {
			find_consumed(&a, &in);
		}
		r = 0;
	}

	vo.page_shift = geom.page_shift;
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
	r = report(&a, v, &lay, &geom, tracker);
	clean = r == KHOCTL_EXIT_OK;
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
		w = metrics_write(a.metrics, v, a.strict, metrics_sev, &a,
				  clean);
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
