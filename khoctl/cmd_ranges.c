// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl ranges: the preserved memory as merged physical ranges (address
 * order), or with --folios as the tracker's (phys, order) entries (tracker
 * order). Streams: one row per callback, nothing kept in memory.
 */
#include "input.h"
#include "khoctl.h"
#include "out.h"
#include "rows.h"

/* END is inclusive (the last byte), as in /proc/iomem and lsmem. */
static const struct out_col range_cols[] = {
	{ "start", "START", 18, OUT_COL_ADDR },
	{ "end", "END", 18, OUT_COL_ADDR | OUT_COL_TEXT },
	{ "size", "SIZE", 8, OUT_COL_SIZE },
};

static const struct out_col folio_cols[] = {
	{ "phys", "PHYS", 18, OUT_COL_ADDR },
	{ "order", "ORDER", 5, 0 },
	{ "size", "SIZE", 8, OUT_COL_SIZE | OUT_COL_TEXT },
};

struct ranges_args {
	struct input_opts in;
	bool folios;
};

struct walk_ctx {
	uint64_t count;
	uint64_t bytes;
	unsigned page_shift;
};

/* Stop a walk whose output can no longer be written (checked now and then). */
static int stop_on_write_error(const struct walk_ctx *c)
{
	return !(c->count & 4095) && out_failed();
}

/* What range_cols show of a (start, size) range: START, END (its last byte), SIZE. */
static const unsigned char range_src[] = {
	ROWS_SRC_START, ROWS_SRC_LAST, ROWS_SRC_SIZE,
};

/* A batch of ranges: their rows (the hot loop of W1's 2M rows). */
static int ranges_cb(void *arg, const struct khofmt_range *v, size_t n)
{
	struct walk_ctx *c = arg;
	uint64_t bytes = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bytes += v[i].size;
	c->bytes += bytes;
	c->count += n;
	/* struct khofmt_range is two uint64_t: start, size */
	out_rows_ranges(range_src, &v[0].start, n);
	return out_failed();
}

static int folio_cb(void *arg, uint64_t phys, unsigned order)
{
	struct walk_ctx *c = arg;
	unsigned shift = c->page_shift + order;
	uint64_t size = shift < 64 ? UINT64_C(1) << shift : 0;
	uint64_t row[3] = { phys, order, size };

	c->count++;
	c->bytes += size;
	out_row_vals(row);
	return stop_on_write_error(c);
}

static const struct argp_option ranges_options[] = {
	{ "folios", 'F', NULL, 0,
	  "List the tracker entries (PHYS ORDER SIZE) in tracker order "
	  "instead of merged ranges", 0 },
	{ "noheadings", 'n', NULL, 0,
	  "Text mode: print only the rows (no header, no totals)", 0 },
	{ 0 }
};

static error_t ranges_parse(int key, char *arg, struct argp_state *state)
{
	struct ranges_args *a = state->input;

	(void)arg;
	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->in;
		return 0;
	case 'F':
		a->folios = true;
		return 0;
	case 'n':
		a->in.out.noheadings = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child ranges_children[] = {
	{ &input_argp, 0, "Input options:", 0 },
	{ 0 }
};

static const struct argp ranges_argp = {
	.options = ranges_options,
	.parser = ranges_parse,
	.doc = "List the preserved physical memory as maximal contiguous "
	       "ranges in address order: START END SIZE, END inclusive "
	       "(JSON: start and size). With --folios, the preserved entries "
	       "as the tracker holds them: PHYS ORDER SIZE (JSON: phys and "
	       "order).\v" KHOCTL_EXIT_DOC,
	.children = ranges_children,
};

int cmd_ranges(int argc, char **argv)
{
	struct khofmt_walk_opts wo = { .sz = sizeof(wo) };
	struct ranges_args a = { .folios = false };
	struct walk_ctx c = { 0 };
	struct input in;
	int r, w;

	input_opts_init(&a.in, INPUT_NEED_MEM);
	argp_parse(&ranges_argp, argc, argv, 0, NULL, &a);
	out_init(&a.in.out);

	r = input_open(&a.in, &in);
	if (r)
		return r;
	r = input_open_handover(&a.in, &in);
	if (r)
		goto out;
	c.page_shift = khofmt_handover_geom(in.h)->page_shift;

	out_doc_begin("ranges", OUT_STYLE_RECORD);
	if (a.folios) {
		out_table_begin("folios", folio_cols, OUT_NCOLS(folio_cols),
				OUT_TABLE_MAIN);
		r = khofmt_walk_folios(in.h, &wo, folio_cb, &c);
	} else {
		out_table_begin("ranges", range_cols, OUT_NCOLS(range_cols),
				OUT_TABLE_MAIN);
		r = khofmt_walk_range_batches(in.h, &wo, ranges_cb, &c);
	}
	out_table_end();
	out_u64("count", c.count);
	out_size("bytes", c.bytes);
	generation_emit(&in);
	/* close the document first so that JSON stays well-formed */
	w = out_doc_end();
	if (r < 0)
		r = out_lib_err("tracker", r, khofmt_handover_errmsg(in.h));
	else
		r = w;
out:
	input_close(&in);
	return r;
}
