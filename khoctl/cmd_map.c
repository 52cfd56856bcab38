// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl map: a picture of physical memory. One row per address band,
 * one character per cell: where the preserved memory sits relative to
 * RAM, the scratch areas, the tracker's own pages and the blobs.
 *
 * Data: RAM and scratch from layout.c (as verify gets them), preserved
 * folios from the tracker walk (binned by order class), tracker pages
 * from khofmt_walk_nodes() plus the root FDT page, blobs from the root
 * FDT subnodes. Everything is binned with libkhofmt's khofmt_map (interval
 * arithmetic: O(ranges + cells), never a loop over pages of RAM).
 *
 * A cell shows the first category it holds, in this priority order:
 *   !  preserved memory or tracker pages inside a scratch area (MAP-1/MAP-7)
 *   T  a tracker page (radix table or leaf, chunk, bitmap) or the root FDT
 *   B  a blob (subnode preserved-data, blob-size bytes)
 *   ▁..█  preserved memory; the height is the share of the cell preserved
 *         (rounded up: one byte shows as ▁); the colour is the order class
 *         holding most of those bytes: 0, 1-8, 9-17, 18+
 *   ░  scratch area
 *   ·  RAM
 *   (blank) hole: not RAM (or, without a RAM map, nothing known)
 * Output: text (colours per category when stdout is a terminal or with
 * --color=always), --svg FILE (a standalone SVG: one <rect> per run of
 * equal cells in a row, each with a <title>), --json (the same runs).
 * All three are deterministic for the same input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "display.h"
#include "khoctl.h"
#include "layout.h"
#include "out.h"

enum {
	OPT_FROM = 0x400,
	OPT_TO,
	OPT_COLOR,
	OPT_SVG,
	OPT_ROWS,
};

#define MAP_DEFAULT_WIDTH 64u
#define MAP_MAX_WIDTH 1024u
#define MAP_DEFAULT_ROWS 32u
#define MAP_MAX_ROWS 4096u

/* Layers counted per cell (khofmt_map). */
enum layer {
	L_RAM,
	L_SCRATCH,
	L_PRES0, /* order 0 */
	L_PRES1, /* orders 1-8 */
	L_PRES2, /* orders 9-17 */
	L_PRES3, /* orders 18 and up */
	L_TRACKER,
	L_BLOB,
	L_CONFLICT,
	NLAYERS
};

#define NCLASSES 4

/* Layer names: JSON keys, and the words of the SVG titles. */
static const struct {
	const char *key, *name;
} layers[NLAYERS] = {
	[L_RAM] = { "ram", "RAM" },
	[L_SCRATCH] = { "scratch", "scratch" },
	[L_PRES0] = { "preserved_0", "preserved order 0" },
	[L_PRES1] = { "preserved_1_8", "preserved orders 1-8" },
	[L_PRES2] = { "preserved_9_17", "preserved orders 9-17" },
	[L_PRES3] = { "preserved_18", "preserved orders 18+" },
	[L_TRACKER] = { "tracker", "tracker" },
	[L_BLOB] = { "blob", "blob" },
	[L_CONFLICT] = { "conflict", "in scratch" },
};

/* What a cell shows, in priority order (the first it holds wins). */
enum cat {
	C_CONFLICT,
	C_TRACKER,
	C_BLOB,
	C_PRES0,
	C_PRES1,
	C_PRES2,
	C_PRES3,
	C_SCRATCH,
	C_RAM,
	C_HOLE,
	C_UNKNOWN,
	NCATS
};

static const struct catinfo {
	const char *key;    /* JSON and SVG class name */
	const char *label;  /* legend text */
	const char *glyph;  /* text mode (preserved: the density bars) */
	const char *sgr;    /* ANSI colour */
	const char *fill;   /* SVG colour */
} cats[NCATS] = {
	[C_CONFLICT] = { "conflict", "in a scratch area: preserved or tracker bytes",
			 "!", "1;97;41", "#d00000" },
	[C_TRACKER] = { "tracker", "tracker pages and the root FDT page", "T",
			"1;97;45", "#8000c0" },
	[C_BLOB] = { "blob", "blobs (subnode preserved-data, blob-size bytes)", "B",
		     "1;96", "#00a0b0" },
	[C_PRES0] = { "preserved-0", "preserved, order 0", NULL, "32", "#20a020" },
	[C_PRES1] = { "preserved-1-8", "preserved, orders 1-8", NULL, "33", "#d0a000" },
	[C_PRES2] = { "preserved-9-17", "preserved, orders 9-17", NULL, "35", "#e06000" },
	[C_PRES3] = { "preserved-18+", "preserved, orders 18 and up", NULL, "31",
		      "#a02040" },
	[C_SCRATCH] = { "scratch", "scratch areas", "\u2591", "34", "#7090e0" },
	[C_RAM] = { "ram", "RAM", "\u00b7", "2", "#d8d8d8" },
	[C_HOLE] = { "hole", "hole (not RAM)", " ", NULL, "#ffffff" },
	[C_UNKNOWN] = { "unknown", "nothing known (no RAM map)", " ", NULL, "#f4f4f4" },
};

/* Density bars, 1/8 to 8/8 of the cell. */
static const char *const bars[9] = {
	" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588",
};


struct map_args {
	struct input_opts in;
	struct layout_args lay;
	unsigned width, rows;
	bool width_set;
	uint64_t from, to;
	bool has_from, has_to;
	const char *svg;
};

/* Everything the picture is drawn from. */
struct mapctx {
	struct khofmt_map *m;
	uint64_t from, cell;     /* view: from + [0, cell * ncells) */
	size_t ncells;
	unsigned width, rows;
	uint64_t page;
	const struct khofmt_range *scr; /* merged, sorted scratch areas */
	size_t nscr;
	uint64_t folios[NCLASSES];  /* folios overlapping the view */
	uint64_t tracker_pages, blobs;
	bool has_ram, has_fdt_pa, tracker_ok;
	uint64_t fdt_pa;
	const char *ram_origin, *scratch_origin, *span_origin;
	int err;
};

static unsigned order_class(unsigned order)
{
	return order == 0 ? 0 : order <= 8 ? 1 : order <= 17 ? 2 : 3;
}

/* [start, start + size) clipped to 2^64 - 1: the last byte. */
static uint64_t last_byte(uint64_t start, uint64_t size)
{
	return start + (size - 1) < start ? UINT64_MAX : start + (size - 1);
}

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

static const struct argp_option map_options[] = {
	{ NULL, 0, NULL, 0, "Picture:", 3 },
	{ "width", 'w', "N", 0,
	  "Cells per row, 1..1024 (default 64, less on a narrow terminal)", 3 },
	{ "rows", OPT_ROWS, "N", 0,
	  "At most N rows, 1..4096 (default 32): the cell size is the "
	  "smallest power of two (at least a page) that fits", 3 },
	{ "from", OPT_FROM, "ADDR", 0,
	  "Start of the view (0x..., decimal, K/M/G/T suffixes); default: "
	  "the lowest of RAM, preserved memory, tracker, blobs and scratch", 3 },
	{ "to", OPT_TO, "ADDR", 0, "End of the view (exclusive); default: the highest", 3 },
	{ "svg", OPT_SVG, "FILE", 0,
	  "Write the picture as a standalone SVG to FILE (- = standard "
	  "output) instead of the text picture", 3 },
	{ 0 }
};

static unsigned parse_count(struct argp_state *state, const char *opt,
			    const char *arg, unsigned max)
{
	uint64_t v;

	if (!input_parse_u64(arg, &v) || v < 1 || v > max)
		argp_error(state, "%s: '%s' is not 1..%u", opt, arg, max);
	return (unsigned)v;
}

static error_t map_parse(int key, char *arg, struct argp_state *state)
{
	struct map_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->in;
		state->child_inputs[1] = &a->lay;
		return 0;
	case 'w':
		a->width = parse_count(state, "--width", arg, MAP_MAX_WIDTH);
		a->width_set = true;
		return 0;
	case OPT_ROWS:
		a->rows = parse_count(state, "--rows", arg, MAP_MAX_ROWS);
		return 0;
	case OPT_FROM:
		if (!input_parse_size(arg, &a->from))
			argp_error(state, "--from: '%s' is not an address", arg);
		a->has_from = true;
		return 0;
	case OPT_TO:
		if (!input_parse_size(arg, &a->to))
			argp_error(state, "--to: '%s' is not an address", arg);
		a->has_to = true;
		return 0;
	case OPT_SVG:
		a->svg = arg;
		return 0;
	case ARGP_KEY_END:
		if (a->has_to && !a->to)
			argp_error(state, "--to must be above 0");
		if (a->has_from && a->has_to && a->from >= a->to)
			argp_error(state, "--from must be below --to");
		if ((uint64_t)a->width * a->rows > KHOFMT_MAP_MAX_CELLS)
			argp_error(state, "--width x --rows is more than %u cells",
				   KHOFMT_MAP_MAX_CELLS);
		if (a->svg && a->in.out.json)
			argp_error(state, "give --svg or --json, not both");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child map_children[] = {
	{ &input_argp, 0, "Input options:", 0 },
	{ &layout_argp, 0, NULL, 0 },
	{ 0 }
};

static const struct argp map_argp = {
	.options = map_options,
	.parser = map_parse,
	.doc = "Draw physical memory: one row per address band, one character "
	       "per cell, showing the preserved memory (by order), the "
	       "tracker's pages, the blobs, the scratch areas and RAM. A cell "
	       "shows the first of: ! (preserved memory or tracker pages in a "
	       "scratch area), T (tracker page or root FDT page), B (blob), "
	       "\u2581..\u2588 (preserved; height = share of the cell), "
	       "\u2591 (scratch), \u00b7 (RAM), blank (hole). Without a RAM map "
	       "(--ram, --iomem, --ram-from-core, or what --live/--capture "
	       "know) RAM and holes are not told apart.\v" KHOCTL_EXIT_DOC,
	.children = map_children,
};

/* ------------------------------------------------------------------ */
/* Collecting                                                          */
/* ------------------------------------------------------------------ */

static int cmp_range(const void *x, const void *y)
{
	const struct khofmt_range *a = x, *b = y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return 0;
}

/* Sorted, merged copy of @v (sizes 0 dropped); NULL on out of memory. */
static struct khofmt_range *merge_ranges(const struct khofmt_range *v, size_t n,
					 size_t *nout)
{
	struct khofmt_range *w = malloc((n ? n : 1) * sizeof(*w));
	size_t i, k = 0;

	if (!w)
		return NULL;
	for (i = 0; i < n; i++)
		if (v[i].size)
			w[k++] = v[i];
	qsort(w, k, sizeof(*w), cmp_range);
	n = k;
	k = 0;
	for (i = 0; i < n; i++) {
		uint64_t e = last_byte(w[i].start, w[i].size);

		if (k && w[i].start <= last_byte(w[k - 1].start, w[k - 1].size) + 1 &&
		    last_byte(w[k - 1].start, w[k - 1].size) != UINT64_MAX) {
			if (e > last_byte(w[k - 1].start, w[k - 1].size))
				w[k - 1].size = e - w[k - 1].start + 1;
			continue;
		}
		w[k++] = w[i];
	}
	*nout = k;
	return w;
}

/*
 * Add a range to @layer; for preserved memory and tracker pages also its
 * part inside scratch areas to L_CONFLICT.
 */
static int add(struct mapctx *c, unsigned layer, uint64_t start, uint64_t size)
{
	size_t lo = 0, hi = c->nscr;
	uint64_t last;
	int r;

	if (!size)
		return 0;
	r = khofmt_map_add(c->m, layer, start, size);
	if (r < 0 || layer == L_RAM || layer == L_SCRATCH)
		return r;
	last = last_byte(start, size);
	/* first scratch area ending at or after @start */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (last_byte(c->scr[mid].start, c->scr[mid].size) < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->nscr && c->scr[lo].start <= last; lo++) {
		uint64_t s = c->scr[lo].start > start ? c->scr[lo].start : start;
		uint64_t e = last_byte(c->scr[lo].start, c->scr[lo].size);

		if (e > last)
			e = last;
		r = khofmt_map_add(c->m, L_CONFLICT, s, e - s + 1);
		if (r < 0 || e == UINT64_MAX)
			return r;
	}
	return 0;
}

static int folio_cb(void *arg, uint64_t phys, unsigned order)
{
	struct mapctx *c = arg;
	unsigned shift = (unsigned)__builtin_ctzll(c->page) + order;
	uint64_t size = shift < 64 ? UINT64_C(1) << shift : UINT64_MAX;
	unsigned k = order_class(order);
	uint64_t vlast = c->from + (c->cell * c->ncells - 1);

	if (phys <= vlast && last_byte(phys, size) >= c->from)
		c->folios[k]++;
	c->err = add(c, L_PRES0 + k, phys, size);
	return c->err < 0;
}

/* Tracker page addresses, kept (their number is the tracker's size). */
struct nodes {
	struct khofmt_range *v;
	size_t n, cap;
	uint64_t page, leaf; /* sizes: tables, leaves (kho-v1 bitmaps) */
};

static int node_cb(void *arg, uint64_t pa, unsigned level)
{
	struct nodes *nd = arg;

	{
		struct khofmt_range *p = khofmt_grow(nd->v, &nd->cap, nd->n + 1,
						     sizeof(*p));

		if (!p)
			return 1;
		nd->v = p;
	}
	nd->v[nd->n].start = pa;
	nd->v[nd->n].size = level ? nd->page : nd->leaf;
	nd->n++;
	return 0;
}

/* Byte extent [lo, hi] of everything drawn (hi inclusive). */
struct extent {
	uint64_t lo, hi;
	bool any;
};

static void extent_add(struct extent *x, uint64_t start, uint64_t size)
{
	uint64_t last;

	if (!size)
		return;
	last = last_byte(start, size);
	if (!x->any || start < x->lo)
		x->lo = start;
	if (!x->any || last > x->hi)
		x->hi = last;
	x->any = true;
}

/* Blob extent of subnode @sn: blob-size (or kho-v1 totalsize), else a page. */
static bool blob_range(struct khofmt_handover *h, const struct khofmt_subnode *sn,
		       uint64_t page, uint64_t *len)
{
	uint64_t l = 0;

	if (!sn->has_pa)
		return false;
	if (!h)
		l = sn->has_size ? sn->size : 0;
	else if (khofmt_handover_blob_size(h, sn, &l) <= 0)
		l = 0;
	if (!l)
		l = page;
	*len = l;
	return true;
}

/* ------------------------------------------------------------------ */
/* Cells and runs                                                      */
/* ------------------------------------------------------------------ */

struct look {
	enum cat cat;
	unsigned level; /* preserved: 1..8, else 0 */
};

static struct look classify(const struct mapctx *c, size_t i)
{
	struct look l = { C_UNKNOWN, 0 };
	uint64_t p = 0, best = 0;
	unsigned k;

	if (khofmt_map_get(c->m, i, L_CONFLICT))
		l.cat = C_CONFLICT;
	else if (khofmt_map_get(c->m, i, L_TRACKER))
		l.cat = C_TRACKER;
	else if (khofmt_map_get(c->m, i, L_BLOB))
		l.cat = C_BLOB;
	if (l.cat != C_UNKNOWN)
		return l;
	for (k = 0; k < NCLASSES; k++) {
		uint64_t b = khofmt_map_get(c->m, i, L_PRES0 + k);

		p += b;
		/* ties go to the higher order class */
		if (b && b >= best) {
			best = b;
			l.cat = (enum cat)(C_PRES0 + k);
		}
	}
	if (p) {
		uint64_t eighth = c->cell / 8;

		if (p > c->cell)
			p = c->cell;	/* overlapping entries (MAP-6) */
		l.level = (unsigned)((p + eighth - 1) / eighth);
		return l;
	}
	if (khofmt_map_get(c->m, i, L_SCRATCH))
		l.cat = C_SCRATCH;
	else if (khofmt_map_get(c->m, i, L_RAM))
		l.cat = C_RAM;
	else if (c->has_ram)
		l.cat = C_HOLE;
	return l;
}

static bool same_look(struct look a, struct look b)
{
	return a.cat == b.cat && a.level == b.level;
}

/* Cells [c0, c1) of one row with one look: the bytes of each layer. */
struct run {
	size_t c0, c1;
	struct look look;
	uint64_t bytes[NLAYERS];
};

static void run_fill(const struct mapctx *c, struct run *r)
{
	size_t i;
	unsigned l;

	memset(r->bytes, 0, sizeof(r->bytes));
	for (i = r->c0; i < r->c1; i++)
		for (l = 0; l < NLAYERS; l++)
			r->bytes[l] += khofmt_map_get(c->m, i, l);
}

/* Next run of the row ending at cell @end, starting at *@i. */
static void next_run(const struct mapctx *c, size_t *i, size_t end, struct run *r)
{
	r->c0 = *i;
	r->look = classify(c, *i);
	for ((*i)++; *i < end && same_look(classify(c, *i), r->look); (*i)++)
		;
	r->c1 = *i;
	run_fill(c, r);
}

/* The hover text of a run: "START-END (SIZE): what; layer bytes". */
static void run_title(const struct mapctx *c, const struct run *r, char *buf,
		      size_t len)
{
	uint64_t s = c->from + r->c0 * c->cell, n = (r->c1 - r->c0) * c->cell;
	char h[OUT_HUMAN_LEN];
	bool first = true;
	size_t k;
	unsigned l;

	out_human(h, n);
	k = (size_t)snprintf(buf, len, "0x%llx-0x%llx (%s): %s",
			     (unsigned long long)s,
			     (unsigned long long)(s + (n - 1)), h,
			     cats[r->look.cat].label);
	for (l = 0; l < NLAYERS && k < len; l++) {
		if (!r->bytes[l])
			continue;
		out_human(h, r->bytes[l]);
		k += (size_t)snprintf(buf + k, len - k, "%s %s %s (%llu)",
				      first ? ";" : ",", layers[l].name, h,
				      (unsigned long long)r->bytes[l]);
		first = false;
	}
}

/* ------------------------------------------------------------------ */
/* Text                                                                */
/* ------------------------------------------------------------------ */

static int hex_digits(uint64_t v)
{
	int d = 1;

	while (v >>= 4)
		d++;
	return d;
}

static const char *glyph(struct look l)
{
	if (l.cat >= C_PRES0 && l.cat <= C_PRES3)
		return bars[l.level];
	return cats[l.cat].glyph;
}

/*
 * One glyph; with colour, an escape only where the colour changes (*@cur
 * is the colour in force, NULL = none; end a line with put_reset()).
 */
static void put_glyph(FILE *f, struct look l, bool color, const char **cur)
{
	const char *sgr = color ? cats[l.cat].sgr : NULL;

	if (sgr != *cur) {
		if (*cur)
			fputs("\033[0m", f);
		if (sgr)
			fprintf(f, "\033[%sm", sgr);
		*cur = sgr;
	}
	fputs(glyph(l), f);
}

static void put_reset(FILE *f, const char **cur)
{
	if (*cur)
		fputs("\033[0m", f);
	*cur = NULL;
}

/* Bytes of the view that no RAM range covers (RAM ranges are disjoint). */
static uint64_t hole_bytes(const struct mapctx *c)
{
	uint64_t v = c->cell * c->ncells, ram = khofmt_map_total(c->m, L_RAM);

	return ram < v ? v - ram : 0;
}

static void legend_line(FILE *f, enum cat k, const char *sym, uint64_t bytes,
			const char *extra, bool color)
{
	char h[OUT_HUMAN_LEN];
	struct look l = { k, 8 };
	const char *cur = NULL;

	out_human(h, bytes);

	fputs("  ", f);
	if (sym)
		fputs(sym, f);
	else
		put_glyph(f, l, color, &cur);
	put_reset(f, &cur);
	fprintf(f, "  %-50s %10s (%llu)%s\n", cats[k].label, h,
		(unsigned long long)bytes, extra);
}

static void draw_text(const struct mapctx *c, bool color)
{
	FILE *f = stdout;
	uint64_t rowb = c->cell * c->width, span = c->cell * c->ncells;
	int dig = hex_digits(c->from + (uint64_t)(c->rows - 1) * rowb);
	char h1[OUT_HUMAN_LEN], h2[OUT_HUMAN_LEN], h3[OUT_HUMAN_LEN];
	char extra[96];
	const char *cur = NULL;
	uint64_t pres = 0, nf = 0;
	size_t row, i;
	unsigned k;

	if (dig < 8)
		dig = 8;
	out_human(h1, span);
	out_human(h2, c->cell);
	out_human(h3, rowb);
	fprintf(f, "KHO memory map 0x%llx-0x%llx (%s): %u row%s of %u cells\n",
		(unsigned long long)c->from,
		(unsigned long long)(c->from + (span - 1)), h1, c->rows,
		c->rows == 1 ? "" : "s", c->width);
	fprintf(f, "scale: one cell = %s, one row = %s\n", h2, h3);
	for (row = 0; row < c->rows; row++) {
		size_t end = (row + 1) * c->width;

		if (end > c->ncells)
			end = c->ncells;
		fprintf(f, "0x%0*llx \u2502", dig,
			(unsigned long long)(c->from + row * rowb));
		for (i = row * c->width; i < end; i++)
			put_glyph(f, classify(c, i), color, &cur);
		put_reset(f, &cur);
		for (; i < (row + 1) * c->width; i++)
			fputc(' ', f);
		fputs("\u2502\n", f);
	}

	fputs("legend (a cell shows the first of these it holds):\n", f);
	legend_line(f, C_CONFLICT, NULL, khofmt_map_total(c->m, L_CONFLICT), "", color);
	snprintf(extra, sizeof(extra), ", %llu tracker pages%s",
		 (unsigned long long)c->tracker_pages,
		 c->has_fdt_pa ? " + the root FDT page" : "");
	legend_line(f, C_TRACKER, NULL, khofmt_map_total(c->m, L_TRACKER), extra, color);
	snprintf(extra, sizeof(extra), ", %llu blob%s", (unsigned long long)c->blobs,
		 c->blobs == 1 ? "" : "s");
	legend_line(f, C_BLOB, NULL, khofmt_map_total(c->m, L_BLOB), extra, color);
	for (k = 0; k < NCLASSES; k++) {
		struct look l = { (enum cat)(C_PRES0 + k), 8 };
		pres += khofmt_map_total(c->m, L_PRES0 + k);
		nf += c->folios[k];
		snprintf(extra, sizeof(extra), ", %llu folio%s",
			 (unsigned long long)c->folios[k], c->folios[k] == 1 ? "" : "s");
		if (color) {
			legend_line(f, l.cat, NULL, khofmt_map_total(c->m, L_PRES0 + k),
				    extra, true);
		} else {
			/* without colour the classes look alike: name them */
			legend_line(f, l.cat, bars[8], khofmt_map_total(c->m, L_PRES0 + k),
				    extra, false);
		}
	}
	out_human(h1, pres);
	/* two 3-byte UTF-8 characters in the label: 4 more bytes of padding */
	fprintf(f, "     %-54s %10s (%llu), %llu folios\n",
		"preserved, all orders (\u2581..\u2588: share of the cell)", h1,
		(unsigned long long)pres, (unsigned long long)nf);
	legend_line(f, C_SCRATCH, NULL, khofmt_map_total(c->m, L_SCRATCH), "", color);
	if (c->has_ram) {
		legend_line(f, C_RAM, NULL, khofmt_map_total(c->m, L_RAM), "", color);
		legend_line(f, C_HOLE, NULL, hole_bytes(c), "", color);
	} else {
		fprintf(f, "     %s\n", cats[C_UNKNOWN].label);
	}
	if (!c->tracker_ok)
		fputs("tracker: not decoded (see standard error): no preserved "
		      "memory or tracker pages shown\n", f);
	fprintf(f, "RAM map: %s\n", c->ram_origin);
	fprintf(f, "scratch areas: %s\n", c->scratch_origin);
	fprintf(f, "span: %s\n", c->span_origin);
}

/* ------------------------------------------------------------------ */
/* SVG                                                                 */
/* ------------------------------------------------------------------ */

#define SVG_CW 8   /* cell width, px */
#define SVG_RH 14  /* row height, px */
#define SVG_TOP 40 /* header */
#define SVG_FONT "font-family=\"monospace\" font-size=\"11\""

/* Character data: the five XML specials escaped. */
static void svg_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void svg_legend_item(FILE *f, int y, enum cat k, uint64_t bytes,
			    int x0)
{
	char h[OUT_HUMAN_LEN];

	out_human(h, bytes);
	fprintf(f, "<rect class=\"legend %s\" x=\"%d\" y=\"%d\" width=\"%d\" "
		"height=\"%d\" fill=\"%s\" stroke=\"#808080\" stroke-width=\"0.5\">"
		"<title>%s: %s (%llu bytes)</title></rect>\n", cats[k].key, x0,
		y - 10, SVG_CW, 10, cats[k].fill, cats[k].label, h,
		(unsigned long long)bytes);
	fprintf(f, "<text x=\"%d\" y=\"%d\" " SVG_FONT ">%s: %s (%llu)</text>\n",
		x0 + SVG_CW + 6, y, cats[k].label, h, (unsigned long long)bytes);
}

static int draw_svg(const struct mapctx *c, const char *path)
{
	bool to_stdout = !strcmp(path, "-");
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	uint64_t rowb = c->cell * c->width, span = c->cell * c->ncells;
	int dig = hex_digits(c->from + (uint64_t)(c->rows - 1) * rowb);
	int labw, W, H, y;
	char h1[OUT_HUMAN_LEN], h2[OUT_HUMAN_LEN], h3[OUT_HUMAN_LEN];
	char title[512];
	size_t row;
	unsigned k;
	int r = 0;

	if (!f)
		return out_err(path, "cannot create: %s", strerror(errno));
	if (dig < 8)
		dig = 8;
	labw = (dig + 3) * 7;
	W = labw + (int)c->width * SVG_CW + 20;
	if (W < 560)
		W = 560;
	H = SVG_TOP + (int)c->rows * SVG_RH + 20 + 16 * (NCATS + 3);
	out_human(h1, span);
	out_human(h2, c->cell);
	out_human(h3, rowb);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", W, H, W, H);
	fprintf(f, "<title>KHO memory map 0x%llx-0x%llx (%s)</title>\n",
		(unsigned long long)c->from,
		(unsigned long long)(c->from + (span - 1)), h1);
	fprintf(f, "<rect class=\"background\" x=\"0\" y=\"0\" width=\"%d\" "
		"height=\"%d\" fill=\"#ffffff\"><title>KHO memory map</title></rect>\n",
		W, H);
	fprintf(f, "<text x=\"4\" y=\"14\" " SVG_FONT " font-weight=\"bold\">"
		"KHO memory map 0x%llx-0x%llx (%s): %u row%s of %u cells</text>\n",
		(unsigned long long)c->from,
		(unsigned long long)(c->from + (span - 1)), h1, c->rows,
		c->rows == 1 ? "" : "s", c->width);
	fprintf(f, "<text x=\"4\" y=\"30\" " SVG_FONT ">scale: one cell = %s, "
		"one row = %s</text>\n", h2, h3);
	for (row = 0; row < c->rows; row++) {
		size_t i = row * c->width, end = i + c->width;

		if (end > c->ncells)
			end = c->ncells;
		y = SVG_TOP + (int)row * SVG_RH;
		fprintf(f, "<text x=\"4\" y=\"%d\" " SVG_FONT ">0x%0*llx</text>\n",
			y + SVG_RH - 3, dig,
			(unsigned long long)(c->from + row * rowb));
		while (i < end) {
			struct run rn;
			int x, h;

			next_run(c, &i, end, &rn);
			x = labw + (int)((rn.c0 - row * c->width) * SVG_CW);
			/* preserved: a bar as high as the share, as in text */
			h = rn.look.level ? (SVG_RH - 2) * (int)rn.look.level / 8 :
					    SVG_RH - 2;
			run_title(c, &rn, title, sizeof(title));
			/* behind a partial bar: the cells themselves */
			if (h < SVG_RH - 2)
				fprintf(f, "<rect class=\"cell\" x=\"%d\" y=\"%d\" "
					"width=\"%d\" height=\"%d\" fill=\"#eeeeee\">"
					"<title>%s</title></rect>\n", x, y + 1,
					(int)(rn.c1 - rn.c0) * SVG_CW, SVG_RH - 2, title);
			fprintf(f, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" "
				"height=\"%d\" fill=\"%s\"><title>%s</title></rect>\n",
				cats[rn.look.cat].key, x, y + (SVG_RH - 1 - h),
				(int)(rn.c1 - rn.c0) * SVG_CW, h,
				cats[rn.look.cat].fill, title);
		}
	}
	y = SVG_TOP + (int)c->rows * SVG_RH + 20;
	fprintf(f, "<text x=\"4\" y=\"%d\" " SVG_FONT " font-weight=\"bold\">"
		"legend (a cell shows the first of these it holds; preserved "
		"bars: share of the cell)</text>\n", y);
	for (k = 0; k < NCATS; k++) {
		uint64_t b;

		if (k == C_UNKNOWN || ((k == C_RAM || k == C_HOLE) && !c->has_ram))
			continue;
		y += 16;
		b = k == C_HOLE ? hole_bytes(c) :
		    k == C_RAM ? khofmt_map_total(c->m, L_RAM) :
		    k == C_SCRATCH ? khofmt_map_total(c->m, L_SCRATCH) :
		    k == C_CONFLICT ? khofmt_map_total(c->m, L_CONFLICT) :
		    k == C_TRACKER ? khofmt_map_total(c->m, L_TRACKER) :
		    k == C_BLOB ? khofmt_map_total(c->m, L_BLOB) :
		    khofmt_map_total(c->m, L_PRES0 + (k - C_PRES0));
		svg_legend_item(f, y, (enum cat)k, b, 8);
	}
	y += 16;
	/* the origins may hold a file name: escaped */
	fprintf(f, "<text x=\"4\" y=\"%d\" " SVG_FONT ">RAM map: ", y);
	svg_text(f, c->ram_origin);
	fputs("; scratch: ", f);
	svg_text(f, c->scratch_origin);
	fputs("</text>\n", f);
	y += 16;
	fprintf(f, "<text x=\"4\" y=\"%d\" " SVG_FONT ">span: %s</text>\n", y,
		c->span_origin);
	fputs("</svg>\n", f);
	if (to_stdout)
		return out_flush();
	if (ferror(f))
		r = out_err(path, "write error");
	if (fclose(f) && !r)
		r = out_err(path, "write error: %s", strerror(errno));
	return r;
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

static void draw_json(const struct mapctx *c)
{
	uint64_t rowb = c->cell * c->width;
	size_t row;
	unsigned l, k;

	out_doc_begin("map", OUT_STYLE_RECORD);
	out_addr("from", c->from);
	out_addr("to", c->from + c->cell * c->ncells);
	out_size("cell_size", c->cell);
	out_u64("columns", c->width);
	out_u64("row_count", c->rows);
	out_str("ram_map", c->ram_origin);
	out_str("scratch", c->scratch_origin);
	out_str("span", c->span_origin);
	out_bool("tracker_decoded", c->tracker_ok);
	out_obj_begin("totals");
	for (l = 0; l < NLAYERS; l++)
		out_size(layers[l].key, khofmt_map_total(c->m, l));
	if (c->has_ram)
		out_size("hole", hole_bytes(c));
	else
		out_null("hole", "unknown");
	out_u64("tracker_pages", c->tracker_pages);
	out_bool("root_fdt_page", c->has_fdt_pa);
	out_u64("blobs", c->blobs);
	out_obj_end();
	out_obj_begin("folios");
	for (k = 0; k < NCLASSES; k++)
		out_u64(layers[L_PRES0 + k].key, c->folios[k]);
	out_obj_end();
	out_array_begin("rows");
	for (row = 0; row < c->rows && !out_failed(); row++) {
		size_t i = row * c->width, end = i + c->width;

		if (end > c->ncells)
			end = c->ncells;
		out_obj_begin(NULL);
		out_addr("start", c->from + row * rowb);
		out_array_begin("runs");
		while (i < end) {
			struct run rn;

			next_run(c, &i, end, &rn);
			out_obj_begin(NULL);
			out_addr("start", c->from + rn.c0 * c->cell);
			out_size("size", (rn.c1 - rn.c0) * c->cell);
			out_str("category", cats[rn.look.cat].key);
			out_u64("level", rn.look.level);
			for (l = 0; l < NLAYERS; l++)
				if (rn.bytes[l])
					out_size(layers[l].key, rn.bytes[l]);
			out_obj_end();
		}
		out_array_end();
		out_obj_end();
	}
	out_array_end();
}

/* ------------------------------------------------------------------ */
/* The command                                                         */
/* ------------------------------------------------------------------ */

/* Default width: 64, or what a narrower terminal fits (a power of two). */
static unsigned default_width(void)
{
	unsigned w = MAP_DEFAULT_WIDTH, cols = display_columns();

	if (cols)
		while (w > 8 && w + 22 > cols)
			w /= 2;
	return w;
}

int cmd_map(int argc, char **argv)
{
	struct khofmt_walk_opts wo = { .sz = sizeof(wo) };
	struct map_args a;
	struct mapctx c;
	struct layout lay;
	struct input in;
	struct nodes nd = { NULL, 0, 0, 0, 0 };
	struct khofmt_stats st;
	struct extent all = { 0, 0, false };
	struct khofmt_range *scr = NULL;
	const struct khofmt_range *segs;
	uint64_t lo, hi, cells;
	size_t i, n;
	int r, hr = 0;

	memset(&a, 0, sizeof(a));
	memset(&c, 0, sizeof(c));
	a.rows = MAP_DEFAULT_ROWS;
	input_opts_init(&a.in, INPUT_NEED_MEM);
	argp_parse(&map_argp, argc, argv, 0, NULL, &a);
	out_init(&a.in.out);
	if (!a.width_set)
		a.width = default_width();

	r = input_open(&a.in, &in);
	if (r) {
		layout_args_free(&a.lay);
		return r;
	}
	r = layout_resolve(&a.lay, &in, in.src, &lay);
	if (r)
		goto out;
	/*
	 * A tracker that cannot be decoded (an incoming state whose tracker
	 * pages were reused, a corrupt one) still leaves RAM, scratch and the
	 * blobs worth drawing, as dump still shows the FDT: the picture comes
	 * out and the status says the state could not be read.
	 */
	memset(&st, 0, sizeof(st));
	c.page = UINT64_C(1) << in.page_shift;
	hr = input_open_handover(&a.in, &in);
	if (!hr) {
		c.page = UINT64_C(1) << khofmt_handover_geom(in.h)->page_shift;
		nd.page = c.page;
		nd.leaf = khofmt_handover_variant(in.h)->bitmap_bytes ?
			  khofmt_handover_variant(in.h)->bitmap_bytes : c.page;
		hr = khofmt_stats(in.h, &wo, &st);
		if (hr >= 0)
			hr = khofmt_walk_nodes(in.h, &wo, node_cb, &nd);
		if (hr)
			hr = out_lib_err("tracker", hr < 0 ? hr : -KHOFMT_ERR_NOMEM,
					 khofmt_handover_errmsg(in.h));
	}
	c.tracker_ok = !hr;
	if (!c.tracker_ok) {
		memset(&st, 0, sizeof(st));
		nd.n = 0;
		fprintf(stderr, KHOCTL_NAME " map: the tracker was not decoded: "
			"drawing RAM, scratch and blobs only\n");
	}
	c.tracker_pages = nd.n;
	if (in.has_fdt_pa) {
		c.fdt_pa = in.fdt_pa;
		c.has_fdt_pa = true;
	} else if (c.tracker_ok && khofmt_handover_fdt_pa(in.h, &c.fdt_pa) == 0) {
		c.has_fdt_pa = true;
	}
	scr = merge_ranges(lay.scratch, lay.nscratch, &c.nscr);
	if (!scr) {
		r = out_err("scratch", "out of memory");
		goto out;
	}
	c.scr = scr;
	c.has_ram = lay.has_ram;
	c.ram_origin = lay.ram_origin;
	c.scratch_origin = lay.scratch_origin;

	/* The default view: everything drawn, RAM included. */
	for (i = 0; i < lay.nram; i++)
		extent_add(&all, lay.ram[i].start, lay.ram[i].size);
	for (i = 0; i < c.nscr; i++)
		extent_add(&all, scr[i].start, scr[i].size);
	if (st.folios)
		extent_add(&all, st.lowest, st.highest_end - st.lowest);
	for (i = 0; i < nd.n; i++)
		extent_add(&all, nd.v[i].start, nd.v[i].size);
	if (c.has_fdt_pa)
		extent_add(&all, c.fdt_pa, c.page);
	n = khofmt_fdt_nsubnodes(in.fdt);
	for (i = 0; i < n; i++) {
		uint64_t len;

		if (blob_range(c.tracker_ok ? in.h : NULL,
			       khofmt_fdt_subnode(in.fdt, i), c.page, &len))
			extent_add(&all, khofmt_fdt_subnode(in.fdt, i)->pa, len);
	}
	if (c.has_ram) {
		c.span_origin = "RAM, preserved memory, tracker, blobs and scratch";
	} else {
		segs = khofmt_source_ranges(in.src, &n);
		for (i = 0; i < n; i++)
			extent_add(&all, segs[i].start, segs[i].size);
		c.span_origin = "no RAM map: preserved memory, tracker, blobs, "
				"scratch and the memory source's segments";
	}
	if (!all.any) {
		r = out_err(in.name, "nothing to draw: no RAM map and no "
			    "preserved memory, tracker or scratch");
		goto out;
	}
	lo = a.has_from ? a.from : all.lo;
	hi = a.has_to ? a.to - 1 : all.hi;
	if (lo > hi || lo > all.hi || hi < all.lo) {
		fprintf(stderr, KHOCTL_NAME " map: --from/--to: [0x%llx, 0x%llx] is "
			"outside what there is to draw [0x%llx, 0x%llx]\n",
			(unsigned long long)lo, (unsigned long long)hi,
			(unsigned long long)all.lo, (unsigned long long)all.hi);
		r = KHOCTL_EXIT_USAGE;
		goto out;
	}
	/* The smallest power-of-two cell (>= a page) that fits the rows. */
	c.width = a.width;
	c.cell = c.page;
	for (;;) {
		uint64_t from = lo & ~(c.cell - 1);

		cells = (hi - from) / c.cell + 1;
		if (cells <= (uint64_t)a.width * a.rows || c.cell >> 63)
			break;
		c.cell <<= 1;
	}
	c.from = lo & ~(c.cell - 1);
	c.ncells = (size_t)cells;
	c.rows = (unsigned)((cells + a.width - 1) / a.width);
	r = khofmt_map_new(c.from, c.cell, c.ncells, NLAYERS, &c.m);
	if (r < 0) {
		r = out_lib_err("map", r, NULL);
		goto out;
	}

	for (i = 0; i < lay.nram && r >= 0; i++)
		r = add(&c, L_RAM, lay.ram[i].start, lay.ram[i].size);
	for (i = 0; i < c.nscr && r >= 0; i++)
		r = add(&c, L_SCRATCH, scr[i].start, scr[i].size);
	for (i = 0; i < nd.n && r >= 0; i++)
		r = add(&c, L_TRACKER, nd.v[i].start, nd.v[i].size);
	/* the root FDT page and the blobs are preserved: no second conflict */
	if (r >= 0 && c.has_fdt_pa)
		r = khofmt_map_add(c.m, L_TRACKER, c.fdt_pa, c.page);
	n = khofmt_fdt_nsubnodes(in.fdt);
	for (i = 0; i < n && r >= 0; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode(in.fdt, i);
		uint64_t len;

		if (blob_range(c.tracker_ok ? in.h : NULL, sn, c.page, &len)) {
			c.blobs++;
			r = khofmt_map_add(c.m, L_BLOB, sn->pa, len);
		}
	}
	if (r < 0) {
		r = out_lib_err("map", r, NULL);
		goto out;
	}
	r = c.tracker_ok ? khofmt_walk_folios(in.h, &wo, folio_cb, &c) : 0;
	if (r) {
		r = out_lib_err("tracker", r < 0 ? r : c.err,
				khofmt_handover_errmsg(in.h));
		goto out;
	}
	khofmt_map_finish(c.m);

	if (a.svg) {
		r = draw_svg(&c, a.svg);
	} else if (a.in.out.json) {
		draw_json(&c);
		r = out_doc_end();
	} else {
		draw_text(&c, display_color());
		r = out_flush();
	}
	if (!r)
		r = hr;
out:
	khofmt_map_free(c.m);
	free(nd.v);
	free(scr);
	input_close(&in);
	layout_args_free(&a.lay);
	return r;
}
