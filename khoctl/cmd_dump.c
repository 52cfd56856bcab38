// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl dump: an annotated view of a handover: the root FDT, the tracker
 * summary (the same object as `khoctl stat`) and each subnode with the
 * decoded sub-schema of its blob (kexec-metadata, LUO with its sessions and
 * memfds, memblock, kho_test; the first bytes of unknown blobs). Works on
 * the FDT alone when no --mem is given.
 */
#include <stdio.h>
#include <string.h>

#include "input.h"
#include "dump_schema.h"
#include "khoctl.h"
#include "out.h"

struct dump_args {
	struct input_opts in;
	bool data;  /* --data: memfd data-page summaries */
	bool folios; /* --folios: per-folio tables in text */
	bool details; /* --details: every field in text */
};

#define OPT_DATA 0x100
#define OPT_FOLIOS 0x101
#define OPT_DETAILS 0x102

static const struct argp_option dump_options[] = {
	{ "data", OPT_DATA, NULL, 0,
	  "Also summarise the data pages of preserved memfds (pages, FNV-1a "
	  "64 hash of the content)", 0 },
	{ "folios", OPT_FOLIOS, NULL, 0,
	  "Also list every folio of memfds and kho_test (text; JSON always "
	  "lists them): by default each list is summarised (count, pages, "
	  "orders, contiguous runs)", 0 },
	{ "details", OPT_DETAILS, NULL, 0,
	  "Text: every field, as JSON has them (record addresses, versions, "
	  "flags, the tracker's levels and generation, empty lists); by "
	  "default the summary an admin reads first", 0 },
	{ 0 }
};

static void dump_fdt(const struct khofmt_fdt *fdt)
{
	unsigned flags = khofmt_fdt_flags(fdt);
	size_t len;

	khofmt_fdt_blob(fdt, &len);
	out_obj_begin("fdt");
	out_str("compatible", khofmt_fdt_compatible(fdt));
	out_detail_begin();
	out_str("abi", khofmt_abi_name(khofmt_fdt_abi(fdt)));
	out_str("abi_reason", khofmt_fdt_abi_reason(fdt));
	out_u64("totalsize", len);
	out_detail_end();
	/* flags that are set are no detail */
	if (!(flags & KHOFMT_FDT_TRUNCATED))
		out_detail_begin();
	out_bool("truncated", flags & KHOFMT_FDT_TRUNCATED);
	if (!(flags & KHOFMT_FDT_TRUNCATED))
		out_detail_end();
	if (!(flags & KHOFMT_FDT_TRAILING))
		out_detail_begin();
	out_bool("trailing", flags & KHOFMT_FDT_TRAILING);
	if (!(flags & KHOFMT_FDT_TRAILING))
		out_detail_end();
	if (khofmt_fdt_has_map(fdt))
		out_addr("preserved_memory_map", khofmt_fdt_map(fdt));
	else
		out_null("preserved_memory_map", "(absent)");
	out_obj_end();
}

/*
 * Text without --details: the tracker in a few lines (`khoctl stat` and
 * dump --details give the tables of orders and levels, the generation).
 */
static void tracker_brief(const struct input *in, const struct khofmt_stats *st)
{
	const struct khofmt_geom *g = khofmt_handover_geom(in->h);
	char buf[KHOFMT_MAX_ORDERS * 24], h1[32];
	size_t n = 0;
	unsigned o;

	out_str("abi", khofmt_abi_name(khofmt_handover_abi(in->h)));
	out_size("page_size", UINT64_C(1) << g->page_shift);
	out_u64("folios", st->folios);
	out_u64("pages", st->pages);
	out_size("bytes", st->bytes);
	buf[0] = '\0';
	for (o = 0; o < KHOFMT_MAX_ORDERS && n < sizeof(buf); o++)
		if (st->per_order[o])
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%u: %llu",
					      n ? ", " : "", o,
					      (unsigned long long)st->per_order[o]);
	out_note("orders", "%s", n ? buf : "(none)");
	out_human(h1, st->tracker_bytes);
	out_note("tracker_pages", "%llu (%s)",
		 (unsigned long long)st->tracker_total_pages, h1);
	if (st->folios)
		out_note("span", "0x%llx-0x%llx",
			 (unsigned long long)st->lowest,
			 (unsigned long long)st->highest_end);
}

/* The tracker summary; returns an exit status. */
static int dump_tracker(const struct input_opts *o, struct input *in)
{
	struct khofmt_walk_opts wo = { .sz = sizeof(wo) };
	struct khofmt_stats st;
	int r;

	if (!in->src) {
		out_null("tracker", "(no memory source: give --mem FILE)");
		out_str("tracker_state", "no memory source");
		return 0;
	}
	char why[512];

	r = input_open_handover(o, in);
	if (!r) {
		r = khofmt_stats(in->h, &wo, &st);
		/* A consumed incoming tracker is a state, not a failure. */
		if (input_tracker_consumed(in, r, &st, why, sizeof(why))) {
			fprintf(stderr, KHOCTL_NAME ": %s\n", why);
			out_null("tracker", "(consumed by this kernel after boot)");
			out_str("tracker_state", "consumed");
			return 0;
		}
		if (r < 0)
			r = out_lib_err("tracker", r, khofmt_handover_errmsg(in->h));
	}
	if (r) {
		out_null("tracker", "(not decoded, see the error above)");
		out_str("tracker_state", "not decoded");
		return r;
	}
	out_obj_begin("tracker");
	if (o->out.brief)
		tracker_brief(in, &st);
	else
		stat_emit(in, &st);
	out_obj_end();
	out_detail_begin();
	out_str("tracker_state", "read");
	out_detail_end();
	return 0;
}

static bool dump_subnode(struct input *in,
			 const struct khofmt_subnode *sn,
			 const struct dump_args *a)
{
	struct khofmt_handover *h = in->h;
	uint64_t blen = 0;
	int bl = h ? khofmt_handover_blob_size(h, sn, &blen) : 0;
	bool fatal;

	out_obj_begin(NULL);
	out_str("name", sn->name);
	if (sn->has_pa)
		out_addr("preserved_data", sn->pa);
	else
		out_null("preserved_data", sn->bad_pa ? "(wrong size)" : "(absent)");
	if (sn->has_size)
		out_size("blob_size", sn->size);
	else
		out_null("blob_size", sn->bad_size ? "(wrong size)" : "(absent)");
	/* blob-size (v3+) or, for kho-v1, the sub-FDT's own totalsize */
	if (bl > 0) {
		out_detail_begin();
		out_size("blob_len", blen);
		out_detail_end();
	} else {
		out_null("blob_len", bl < 0 ? "(unreadable)" : "(unknown)");
	}
	fatal = dump_schema(in->src, in->h, sn, in->page_shift,
			    (a->data ? DUMP_DATA : 0) |
			    (in->incoming ? DUMP_INCOMING : 0) |
			    (a->folios || a->in.out.json ? DUMP_FOLIOS : 0) |
			    (a->in.out.json ? 0 : DUMP_SUMMARY) |
			    (a->in.out.brief ? DUMP_BRIEF : 0));
	out_obj_end();
	return fatal;
}

static error_t dump_parse(int key, char *arg, struct argp_state *state)
{
	struct dump_args *a = state->input;

	(void)arg;
	if (key == OPT_DATA) {
		a->data = true;
		return 0;
	}
	if (key == OPT_FOLIOS) {
		a->folios = true;
		return 0;
	}
	if (key == OPT_DETAILS) {
		a->details = true;
		return 0;
	}
	if (key == ARGP_KEY_INIT) {
		input_table_bind(state, &a->in);
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp dump_argp = {
	.options = dump_options,
	.parser = dump_parse,
	.doc = "Show a handover: the root FDT (compatible, generation, size, "
	       "flags, memory-map address), the tracker summary (as in "
	       "`khoctl stat`, needs --mem) and each subnode with its blob "
	       "address, size and decoded schema (kexec-metadata, LUO sessions "
	       "and memfds, memblock regions, kho_test folios; the first 32 "
	       "bytes of unknown blobs).\v" KHOCTL_EXIT_DOC,
	.children = input_table_children,
};

int cmd_dump(int argc, char **argv)
{
	struct dump_args a;
	struct input in;
	size_t i, n;
	int r, w;

	memset(&a, 0, sizeof(a));
	input_opts_init(&a.in, 0);
	argp_parse(&dump_argp, argc, argv, 0, NULL, &a);
	a.in.out.brief = !a.details && !a.in.out.json;
	out_init(&a.in.out);

	r = input_open(&a.in, &in);
	if (r)
		return r;
	out_doc_begin("dump", OUT_STYLE_RECORD);
	dump_fdt(in.fdt);
	r = dump_tracker(&a.in, &in);
	out_array_begin("subnodes");
	n = khofmt_fdt_nsubnodes(in.fdt);
	for (i = 0; i < n; i++)
		dump_subnode(&in, khofmt_fdt_subnode(in.fdt, i), &a);
	out_array_end();
	if (a.in.out.brief)
		out_note("more", "dump --details (every field), --folios (every folio)");
	w = out_doc_end();
	input_close(&in);
	return r ? r : w;
}
