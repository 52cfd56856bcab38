// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl analyze: the preserved set of any input in every tracker encoding
 * (RFC pairs, packed 8-byte ranges, 6.16 chunk list E1a/E1b, radix tree,
 * sorted bitmap slices): bytes, pages, records, measured encode and decode
 * times, and whether each decoder gives back the same ranges. Plus the
 * seed's arithmetic for this set (libkhofmt/analyze.c has the codecs).
 */
#include <stdlib.h>

#include "input.h"
#include "khoctl.h"
#include "out.h"
#include "table.h"

static const struct out_col enc_cols[] = {
	{ "encoding", "ENCODING", -10, 0 },
	{ "bytes", "BYTES", 12, 0 },
	{ "pages", "PAGES", 8, 0 },
	{ "records", "RECORDS", 9, 0 },
	{ "encode_ns", "ENCODE_NS", 11, 0 },
	{ "decode_ns", "DECODE_NS", 11, 0 },
	{ "ranges", "RANGES", 9, 0 },
	{ "match", "MATCH", 6, 0 },
};

enum { OPT_RUNS = 0x400 };

struct analyze_args {
	struct input_opts in;
	unsigned runs;
};

static const struct argp_option analyze_options[] = {
	{ "runs", OPT_RUNS, "N", 0,
	  "Time each encode and decode N times and keep the median "
	  "(default 5)", 0 },
	{ 0 }
};

static error_t analyze_parse(int key, char *arg, struct argp_state *state)
{
	struct analyze_args *a = state->input;
	uint64_t v;

	switch (key) {
	case ARGP_KEY_INIT:
		input_table_bind(state, &a->in);
		return 0;
	case OPT_RUNS:
		if (!input_parse_u64(arg, &v) || !v || v > 1000)
			argp_error(state, "--runs: '%s' is not in 1..1000", arg);
		a->runs = (unsigned)v;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp analyze_argp = {
	.options = analyze_options,
	.parser = analyze_parse,
	.doc = "Encode the preserved memory every way a tracker was proposed "
	       "or shipped and decode it back: RFC `mem` <addr,size> pairs "
	       "(16 B a range), packed 8-byte ranges (address | pages-1, at "
	       "most 4096 pages), the 6.16 chunk list (E1a 512-byte and E1b "
	       "page-sized bitmaps), the radix tree, and a sorted list of "
	       "bitmap slices. Shows bytes, pages, records, median encode and "
	       "decode times (ns) and whether each decoder gives back the "
	       "same ranges, then the seed's arithmetic for this set.\v"
	       KHOCTL_EXIT_DOC,
	.children = input_table_children,
};

static void seed_emit(const struct khofmt_analysis *an)
{
	uint64_t per16g = (UINT64_C(16) << 30) / an->page_size / 8;

	out_obj_begin("seed");
	/* one RFC pair per preserved folio: the seed's form */
	out_size("pairs_per_folio_bytes", an->pairs_per_folio_bytes);
	/* one pair per coalesced range: what the set really needs */
	out_size("pairs_per_range_bytes", an->ranges * 16);
	/* order-0 bitmap of 16 GiB: one bit per page */
	out_size("order0_bitmap_bytes_per_16g", per16g);
	/* packed 8-byte ranges that cost as much as that bitmap */
	out_u64("packed_ranges_per_16g_bitmap", per16g / 8);
	out_note("reading", "pairs beat bitmaps below %llu ranges per 16 GiB, "
		 "packed ranges below %llu",
		 (unsigned long long)(per16g / 16),
		 (unsigned long long)(per16g / 8));
	out_obj_end();
}

int cmd_analyze(int argc, char **argv)
{
	struct analyze_args a = { .runs = 5 };
	struct khofmt_analyze_opts ao = { .sz = sizeof(ao) };
	struct khofmt_analysis an;
	struct input in;
	unsigned k;
	int r;

	input_opts_init(&a.in, INPUT_NEED_MEM);
	argp_parse(&analyze_argp, argc, argv, 0, NULL, &a);
	if (a.in.out.list_columns && a.in.kind == INPUT_NONE)
		return TABLE_LIST("encodings", enc_cols);
	out_init(&a.in.out);

	r = input_open(&a.in, &in);
	if (r)
		return r;
	r = input_open_handover(&a.in, &in);
	if (r)
		goto out;
	ao.runs = a.runs;
	r = khofmt_analyze(in.h, &ao, &an);
	if (r < 0) {
		r = out_lib_err("analyze", r, khofmt_handover_errmsg(in.h));
		goto out;
	}

	out_doc_begin("analyze", OUT_STYLE_RECORD);
	out_size("page_size", an.page_size);
	out_u64("folios", an.folios);
	out_u64("ranges", an.ranges);
	out_size("bytes", an.bytes);
	out_u64("runs", a.runs);
	out_table_begin("encodings", enc_cols, OUT_NCOLS(enc_cols), 0);
	for (k = 0; k < KHOFMT_ANALYZE_NKINDS; k++) {
		const struct khofmt_analyze_result *e = &an.enc[k];

		out_row_begin();
		out_str("encoding", khofmt_analyze_name(k));
		out_u64("bytes", e->bytes);
		out_u64("pages", e->pages);
		out_u64("records", e->records);
		out_u64("encode_ns", e->encode_ns);
		out_u64("decode_ns", e->decode_ns);
		out_u64("ranges", e->ranges);
		out_bool("match", e->match);
		out_row_end();
	}
	out_table_end();
	seed_emit(&an);
	r = out_doc_end();
	for (k = 0; k < KHOFMT_ANALYZE_NKINDS && !r; k++)
		if (!an.enc[k].match)
			r = out_err("analyze", "the %s decoder does not give "
				    "back the tracker's ranges",
				    khofmt_analyze_name(k));
out:
	input_close(&in);
	return r;
}
