// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl rules: the rule table of `khoctl verify` (ID, severity, the
 * kho-abi.md cross-reference, title and explanation), text or JSON.
 */
#include "input.h"
#include "khoctl.h"
#include "out.h"

struct rules_args {
	struct input_opts in;
};

static error_t rules_parse(int key, char *arg, struct argp_state *state)
{
	struct rules_args *a = state->input;

	(void)arg;
	if (key == ARGP_KEY_INIT) {
		state->child_inputs[0] = &a->in;
		return 0;
	}
	if (key == ARGP_KEY_ARG)
		argp_error(state, "no arguments expected");
	return ARGP_ERR_UNKNOWN;
}

static const struct argp_child rules_children[] = {
	{ &input_common_argp, 0, "Common options:", 0 },
	{ 0 }
};

static const struct argp rules_argp = {
	.parser = rules_parse,
	.doc = "List every rule 'khoctl verify' checks: stable ID (KHO-E... "
	       "error, KHO-W... warning, KHO-I... info), severity, the "
	       "kho-abi.md section 9 cross-reference, title and explanation."
	       "\v" KHOCTL_EXIT_DOC,
	.children = rules_children,
};

int cmd_rules(int argc, char **argv)
{
	struct rules_args a;
	size_t i, n = khofmt_rule_count();

	input_opts_init(&a.in, 0);
	argp_parse(&rules_argp, argc, argv, 0, NULL, &a);
	out_init(&a.in.out);
	out_doc_begin("rules", OUT_STYLE_RECORD);
	out_array_begin("rules");
	for (i = 0; i < n; i++) {
		const struct khofmt_rule *r = khofmt_rule_get(i);

		out_obj_begin(NULL);
		out_str("id", r->id);
		out_str("severity", khofmt_severity_name(r->severity));
		out_str("spec", r->spec);
		out_str("title", r->title);
		out_str("explanation", r->explain);
		out_obj_end();
	}
	out_array_end();
	return out_doc_end();
}
