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
#include "table.h"

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
	/* -o/--raw in text: the shown columns, in order (nsel 0 = all) */
	size_t nsel, sel[3];
	struct out_col cols[3];
};

/*
 * The rows are streamed by out_row_vals() (libsmartcols would keep all of
 * them in memory): -o and --raw are applied here, by handing it only the
 * selected columns.
 */
static void row_out(const struct walk_ctx *c, const uint64_t *row)
{
	uint64_t v[3];
	size_t k;

	if (!c->nsel) {
		out_row_vals(row);
		return;
	}
	for (k = 0; k < c->nsel; k++)
		v[k] = row[c->sel[k]];
	out_row_vals(v);
}

/* Text with -o or --raw: the columns shown; 0 or KHOCTL_EXIT_USAGE. */
static int select_cols(struct ranges_args *a, struct walk_ctx *c,
		       const struct out_col *cols, size_t ncols)
{
	size_t k;
	int r;

	if (a->in.out.json || (!a->in.out.columns && !a->in.out.raw))
		return 0;
	c->nsel = table_select(&a->in.out, cols, ncols, c->sel);
	r = table_check(&a->in.out);
	a->in.out.columns = NULL;	/* applied: out.c need not check them */
	for (k = 0; k < c->nsel; k++) {
		c->cols[k] = cols[c->sel[k]];
		if (a->in.out.raw)
			c->cols[k].width = 0;
	}
	if (!r && !c->nsel) {
		fprintf(stderr, KHOCTL_NAME ": --output: no column of this list\n");
		r = KHOCTL_EXIT_USAGE;
	}
	return r;
}

/* Stop a walk whose output can no longer be written (checked now and then). */
static int stop_on_write_error(const struct walk_ctx *c)
{
	return !(c->count & 4095) && out_failed();
}

/* What range_cols show of a (start, size) range: START, END (its last byte), SIZE. */
static const unsigned char range_src[] = {
	ROWS_SRC_START, ROWS_SRC_LAST, ROWS_SRC_SIZE,
};

/*
 * A batch of ranges (the hot loop of W1's 2M rows): all columns go to the
 * row writer a batch at a time (rows.c); -o/--raw a row at a time.
 */
static int ranges_cb(void *arg, const struct khofmt_range *v, size_t n)
{
	struct walk_ctx *c = arg;
	size_t i;

	if (!c->nsel) {
		c->count += n;
		/* struct khofmt_range is two uint64_t: start, size */
		out_rows_ranges(range_src, &v[0].start, n, &c->bytes);
		return out_failed();
	}
	for (i = 0; i < n; i++) {
		uint64_t row[3] = {
			v[i].start, v[i].start + v[i].size - 1, v[i].size,
		};

		c->bytes += v[i].size;
		row_out(c, row);
	}
	c->count += n;
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
	row_out(c, row);
	return stop_on_write_error(c);
}

static const struct argp_option ranges_options[] = {
	{ "folios", 'F', NULL, 0,
	  "List the tracker entries (PHYS ORDER SIZE) in tracker order "
	  "instead of merged ranges", 0 },
	{ 0 }
};

static error_t ranges_parse(int key, char *arg, struct argp_state *state)
{
	struct ranges_args *a = state->input;

	(void)arg;
	switch (key) {
	case ARGP_KEY_INIT:
		input_table_bind(state, &a->in);
		return 0;
	case 'F':
		a->folios = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp ranges_argp = {
	.options = ranges_options,
	.parser = ranges_parse,
	.doc = "List the preserved physical memory as maximal contiguous "
	       "ranges in address order: START END SIZE, END inclusive "
	       "(JSON: start and size). With --folios, the preserved entries "
	       "as the tracker holds them: PHYS ORDER SIZE (JSON: phys and "
	       "order).\v" KHOCTL_EXIT_DOC,
	.children = input_table_children,
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
	if (a.in.out.list_columns && a.in.kind == INPUT_NONE)
		return a.folios ? TABLE_LIST("folios", folio_cols) :
				  TABLE_LIST("ranges", range_cols);
	r = a.folios ? select_cols(&a, &c, folio_cols, OUT_NCOLS(folio_cols))
		     : select_cols(&a, &c, range_cols, OUT_NCOLS(range_cols));
	if (r)
		return r;
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
		out_table_begin("folios", c.nsel ? c.cols : folio_cols,
				c.nsel ? c.nsel : OUT_NCOLS(folio_cols), OUT_TABLE_MAIN);
		r = khofmt_walk_folios(in.h, &wo, folio_cb, &c);
	} else {
		out_table_begin("ranges", c.nsel ? c.cols : range_cols,
				c.nsel ? c.nsel : OUT_NCOLS(range_cols), OUT_TABLE_MAIN);
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
