// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl stat: counts of the preserved memory (per order), of the tracker
 * pages (per level) and the address span, from khofmt_stats() (popcounts,
 * no per-entry work).
 */
#include <stdio.h>
#include <time.h>

#include "input.h"
#include "khoctl.h"
#include "out.h"
#include "table.h"

static const struct out_col order_cols[] = {
	{ "order", "ORDER", 5, 0 },
	{ "count", "COUNT", 12, 0 },
	{ "bytes", "BYTES", 8, 0 },
};

static const struct out_col level_cols[] = {
	{ "level", "LEVEL", 5, 0 },
	{ "pages", "PAGES", 12, 0 },
};

/* count * 2^shift, saturated (orders come from a possibly hostile dump) */
static uint64_t scaled(uint64_t count, unsigned shift)
{
	if (shift >= 64 || count > (UINT64_MAX >> shift))
		return UINT64_MAX;
	return count << shift;
}

void stat_emit(const struct input *in, const struct khofmt_stats *st)
{
	const struct khofmt_handover *h = in->h;
	const struct khofmt_geom *g = khofmt_handover_geom(h);
	unsigned o, l;

	out_str("abi", khofmt_abi_name(khofmt_handover_abi(h)));
	out_size("page_size", UINT64_C(1) << g->page_shift);
	out_u64("folios", st->folios);
	out_u64("pages", st->pages);
	out_size("bytes", st->bytes);

	out_table_begin("orders", order_cols, OUT_NCOLS(order_cols), 0);
	for (o = 0; o < KHOFMT_MAX_ORDERS; o++) {
		if (!st->per_order[o])
			continue;
		out_row_begin();
		out_u64("order", o);
		out_u64("count", st->per_order[o]);
		out_size("bytes", scaled(st->per_order[o], g->page_shift + o));
		out_row_end();
	}
	out_table_end();

	out_obj_begin("tracker");
	out_table_begin("levels", level_cols, OUT_NCOLS(level_cols), 0);
	for (l = g->depth < KHOFMT_MAX_LEVELS ? g->depth : KHOFMT_MAX_LEVELS; l--;) {
		out_row_begin();
		out_u64("level", l);
		out_u64("pages", st->tracker_pages[l]);
		out_row_end();
	}
	out_table_end();
	out_u64("pages", st->tracker_total_pages);
	out_size("bytes", st->tracker_bytes);
	out_u64("empty_leaves", st->empty_leaves);
	if (st->bytes)
		out_note("overhead", "%.6f tracker bytes per preserved byte",
			 (double)st->tracker_bytes / (double)st->bytes);
	else
		out_note("overhead", "n/a (nothing preserved)");
	out_obj_end();

	/* [start, end), end exclusive; 0/0 when nothing is preserved */
	out_obj_begin("span");
	out_addr("start", st->folios ? st->lowest : 0);
	out_addr("end", st->folios ? st->highest_end : 0);
	out_obj_end();

	generation_emit(in);
}

void generation_emit(const struct input *in)
{
	const struct khofmt_variant_info *v = khofmt_handover_variant(in->h);

	out_obj_begin("generation");
	out_str("abi", khofmt_abi_name(v->abi));
	out_str("name", v->name ? v->name : "");
	out_str("variant", khofmt_variant_name(v->variant));
	out_str("basis", khofmt_basis_name(v->basis));
	out_u64("bitmap_bytes", v->bitmap_bytes);
	out_u64("radix_depth", v->radix_depth);
	out_bool("conflict", v->conflict);
	out_str("reason", v->reason ? v->reason : "");
	out_size("page_size", UINT64_C(1) << khofmt_handover_geom(in->h)->page_shift);
	out_str("page_size_basis", in->page_basis ? in->page_basis : "default");
	out_str("page_size_reason", in->page_reason[0] ? in->page_reason :
		"4 KiB, the default (no memory source to infer it from)");
	out_obj_end();
}

struct stat_args {
	struct input_opts in;
	bool time;
};

static const struct argp_option stat_options[] = {
	{ "time", 't', NULL, 0,
	  "Text mode: print the decode time to standard error", 0 },
	{ 0 }
};

static error_t stat_parse(int key, char *arg, struct argp_state *state)
{
	struct stat_args *a = state->input;

	(void)arg;
	switch (key) {
	case ARGP_KEY_INIT:
		input_table_bind(state, &a->in);
		return 0;
	case 't':
		a->time = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp stat_argp = {
	.options = stat_options,
	.parser = stat_parse,
	.doc = "Count the preserved memory: entries and bytes per order, "
	       "tracker pages per level and their overhead, and the address "
	       "span [start, end) (end exclusive).\v" KHOCTL_EXIT_DOC,
	.children = input_table_children,
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int cmd_stat(int argc, char **argv)
{
	struct khofmt_walk_opts wo = { .sz = sizeof(wo) };
	struct stat_args a = { .time = false };
	struct khofmt_stats st;
	struct input in;
	char why[512];
	double t0;
	int r;

	input_opts_init(&a.in, INPUT_NEED_MEM);
	argp_parse(&stat_argp, argc, argv, 0, NULL, &a);
	if (a.in.out.list_columns && a.in.kind == INPUT_NONE)
		return TABLE_LIST("orders", order_cols) +
		       TABLE_LIST("levels", level_cols);
	out_init(&a.in.out);

	r = input_open(&a.in, &in);
	if (r)
		return r;
	r = input_open_handover(&a.in, &in);
	if (r)
		goto out;
	t0 = now_ms();
	r = khofmt_stats(in.h, &wo, &st);
	if (input_tracker_consumed(&in, r, &st, why, sizeof(why))) {
		r = out_err("tracker", "%s", why);
		goto out;
	}
	if (r < 0) {
		r = out_lib_err("tracker", r, khofmt_handover_errmsg(in.h));
		goto out;
	}
	if (a.time && !a.in.out.json)
		fprintf(stderr, KHOCTL_NAME ": decode time: %.3f ms\n",
			now_ms() - t0);

	out_doc_begin("stat", OUT_STYLE_RECORD);
	stat_emit(&in, &st);
	r = out_doc_end();
out:
	input_close(&in);
	return r;
}
