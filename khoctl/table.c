// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Text tables through libsmartcols (util-linux's table library, the one
 * lsblk, findmnt and lsmem use): column selection (-o/--output), --raw,
 * --noheadings and alignment behave as in those tools. The output layer
 * (out.c) feeds the cells; JSON never comes through here.
 *
 * The streaming record lists (ranges, --folios: millions of rows) do not
 * use this: libsmartcols keeps every row in memory until the table is
 * printed, so they keep out.c's hand-tuned row writer (and apply -o
 * themselves, see cmd_ranges.c).
 *
 * Debian ships libsmartcols shared only: a static khoctl (the test
 * guest's, tests/vm) is built without KHOCTL_WITH_SMARTCOLS and prints
 * every table unaligned, cells one space apart (blanks inside a cell are
 * kept, so a serial console stays readable and grep-able); column
 * selection and --noheadings work the same.
 */
#include <argp.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef KHOCTL_WITH_SMARTCOLS
#include <libsmartcols.h>
#endif

#include "display.h"
#include "khoctl.h"
#include "out.h"
#include "table.h"

/* -o names seen in some table (bit i = name i); for table_check(). */
static unsigned long long matched;

/* Does the -o list name column @c? Returns its position in the list + 1. */
static size_t listed(const char *list, const struct out_col *c, size_t *idx)
{
	const char *p = list;
	size_t pos = 0;

	while (*p) {
		size_t n = strcspn(p, ",");

		if ((strlen(c->key) == n && !strncasecmp(p, c->key, n)) ||
		    (strlen(c->header) == n && !strncasecmp(p, c->header, n))) {
			if (idx)
				*idx = pos;
			return pos + 1;
		}
		pos++;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

size_t table_select(const struct out_opts *o, const struct out_col *cols,
		    size_t ncols, size_t *sel)
{
	const char *list = o->columns;
	size_t i, k, n = 0, pos;
	bool plus = list && list[0] == '+';

	if (plus)
		list++;
	/* the defaults (all but OUT_COL_HIDDEN), unless a list replaces them */
	if (!list || plus)
		for (i = 0; i < ncols; i++)
			if (!(cols[i].flags & OUT_COL_HIDDEN))
				sel[n++] = i;
	if (!list)
		return n;
	/* in the list's order */
	for (k = 0; k < 64; k++) {
		for (i = 0; i < ncols; i++) {
			if (listed(list, &cols[i], NULL) != k + 1)
				continue;
			listed(list, &cols[i], &pos);
			matched |= 1ull << (pos & 63);
			if (plus && !(cols[i].flags & OUT_COL_HIDDEN))
				break;
			sel[n++] = i;
			break;
		}
	}
	return n;
}

int table_check(const struct out_opts *o)
{
	const char *p = o->columns;
	size_t i = 0;

	if (!p)
		return 0;
	if (*p == '+')
		p++;
	while (*p) {
		size_t n = strcspn(p, ",");

		if (!(matched & (1ull << (i & 63)))) {
			fprintf(stderr, KHOCTL_NAME ": --output: unknown column "
				"'%.*s' (--list-columns lists them)\n", (int)n, p);
			return KHOCTL_EXIT_USAGE;
		}
		i++;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

#ifdef KHOCTL_WITH_SMARTCOLS

struct tbl {
	struct libscols_table *t;
	struct libscols_line *line;
	size_t ncols;
	struct libscols_column **col; /* per declared column; NULL = hidden */
};

struct tbl *table_new(const struct out_opts *o, const struct out_col *cols,
		      size_t ncols)
{
	struct tbl *t = calloc(1, sizeof(*t));
	size_t *sel = calloc(ncols ? ncols : 1, sizeof(*sel)), n, i;

	if (!t || !sel)
		goto fail;
	t->col = calloc(ncols ? ncols : 1, sizeof(*t->col));
	t->t = scols_new_table();
	if (!t->col || !t->t)
		goto fail;
	t->ncols = ncols;
	scols_table_enable_raw(t->t, o->raw);
	scols_table_enable_noheadings(t->t, o->noheadings);
	scols_table_enable_colors(t->t, display_color());
	/* the terminal's width does not cut cells: output is for grep too */
	scols_table_enable_nowrap(t->t, 1);
	n = table_select(o, cols, ncols, sel);
	for (i = 0; i < n; i++) {
		const struct out_col *c = &cols[sel[i]];
		int fl = c->width > 0 ? SCOLS_FL_RIGHT : 0;

		/* the last left-aligned column takes long text unpadded */
		t->col[sel[i]] = scols_table_new_column(t->t, c->header, 0, fl);
		if (!t->col[sel[i]])
			goto fail;
	}
	free(sel);
	return t;
fail:
	free(sel);
	table_free(t);
	return NULL;
}

void table_row(struct tbl *t)
{
	if (t)
		t->line = scols_table_new_line(t->t, NULL);
}

void table_cell(struct tbl *t, size_t col, const char *val)
{
	if (t && t->line && col < t->ncols && t->col[col])
		scols_line_set_column_data(t->line, t->col[col], val);
}

void table_row_color(struct tbl *t, const char *color)
{
	if (t && t->line && color)
		scols_line_set_color(t->line, color);
}

bool table_empty(const struct tbl *t)
{
	return !t || scols_table_get_nlines(t->t) == 0;
}

int table_print(struct tbl *t, int indent, FILE *out)
{
	char *s = NULL, *p;

	if (!t || !scols_table_get_ncols(t->t))
		return 0;
	if (scols_print_table_to_string(t->t, &s) || !s)
		return -1;
	/* nested tables indent like the fields around them */
	for (p = s; *p;) {
		size_t n = strcspn(p, "\n");

		fprintf(out, "%*s%.*s\n", indent, "", (int)n, p);
		p += n;
		if (*p)
			p++;
	}
	free(s);
	return 0;
}

void table_free(struct tbl *t)
{
	if (!t)
		return;
	scols_unref_table(t->t);
	free(t->col);
	free(t);
}

#else /* !KHOCTL_WITH_SMARTCOLS: every table as --raw */

struct tbl {
	bool noheadings;
	size_t ncols;
	size_t *sel, nsel;      /* shown columns, in order */
	const struct out_col *cols;
	char **cells;           /* nrows * nsel, row-major; NULL = empty */
	size_t nrows, cap;
};

struct tbl *table_new(const struct out_opts *o, const struct out_col *cols,
		      size_t ncols)
{
	struct tbl *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sel = calloc(ncols ? ncols : 1, sizeof(*t->sel));
	if (!t->sel) {
		free(t);
		return NULL;
	}
	t->noheadings = o->noheadings;
	t->ncols = ncols;
	t->cols = cols;
	t->nsel = table_select(o, cols, ncols, t->sel);
	return t;
}

void table_row(struct tbl *t)
{
	char **c;
	size_t need;

	if (!t || !t->nsel)
		return;
	need = (t->nrows + 1) * t->nsel;
	if (need > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16 * t->nsel;

		while (cap < need)
			cap *= 2;
		c = realloc(t->cells, cap * sizeof(*c));
		if (!c)
			return;  /* the row is dropped, like a failed scols line */
		memset(c + t->cap, 0, (cap - t->cap) * sizeof(*c));
		t->cells = c;
		t->cap = cap;
	}
	t->nrows++;
}

void table_cell(struct tbl *t, size_t col, const char *val)
{
	size_t i;

	if (!t || !t->nrows || col >= t->ncols || !val)
		return;
	for (i = 0; i < t->nsel; i++) {
		char **cell = &t->cells[(t->nrows - 1) * t->nsel + i];

		if (t->sel[i] != col)
			continue;
		free(*cell);
		*cell = strdup(val);
	}
}

void table_row_color(struct tbl *t, const char *color)
{
	(void)t;	/* a static khoctl prints plain rows */
	(void)color;
}

bool table_empty(const struct tbl *t)
{
	return !t || !t->nrows;
}

/* One cell, control characters as \\xHH (a row stays one line). */
static void raw_cell(const char *s, FILE *out)
{
	for (; s && *s; s++) {
		if (iscntrl((unsigned char)*s))
			fprintf(out, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
}

int table_print(struct tbl *t, int indent, FILE *out)
{
	size_t r, i;

	if (!t || !t->nsel)
		return 0;
	if (!t->noheadings) {
		fprintf(out, "%*s", indent, "");
		for (i = 0; i < t->nsel; i++) {
			if (i)
				fputc(' ', out);
			raw_cell(t->cols[t->sel[i]].header, out);
		}
		fputc('\n', out);
	}
	for (r = 0; r < t->nrows; r++) {
		fprintf(out, "%*s", indent, "");
		for (i = 0; i < t->nsel; i++) {
			if (i)
				fputc(' ', out);
			raw_cell(t->cells[r * t->nsel + i], out);
		}
		fputc('\n', out);
	}
	return ferror(out) ? -1 : 0;
}

void table_free(struct tbl *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nrows * t->nsel; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->sel);
	free(t);
}

#endif /* KHOCTL_WITH_SMARTCOLS */

void table_list_columns(const struct out_col *cols, size_t ncols,
			const char *name, FILE *out)
{
	size_t i;

	fprintf(out, "%s:\n", name);
	for (i = 0; i < ncols; i++)
		fprintf(out, "  %s%s\n", cols[i].header,
			cols[i].flags & OUT_COL_HIDDEN ? " (not shown by default)" : "");
}

/* ---- the options ---- */

enum { OPT_LIST_COLUMNS = 0x300 };

static const struct argp_option table_options[] = {
	{ "output", 'o', "LIST", 0,
	  "Text tables: the columns to show, comma-separated, by name "
	  "(+LIST adds to the defaults; --list-columns names them)", 0 },
	{ "raw", 'r', NULL, 0,
	  "Text tables unaligned, one space apart, and nothing else", 0 },
	{ "noheadings", 'n', NULL, 0,
	  "Text tables without their header line, and nothing else", 0 },
	{ "list-columns", OPT_LIST_COLUMNS, NULL, 0,
	  "List the columns of the command's tables instead", 0 },
	{ 0 }
};

static error_t table_parse(int key, char *arg, struct argp_state *state)
{
	struct out_opts *o = state->input;

	switch (key) {
	case 'o':
		if (!*arg || strspn(arg, "+,") == strlen(arg))
			argp_error(state, "--output: no column named");
		o->columns = arg;
		return 0;
	case 'r':
		o->raw = true;
		return 0;
	case 'n':
		o->noheadings = true;
		return 0;
	case OPT_LIST_COLUMNS:
		o->list_columns = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp out_table_argp = {
	.options = table_options,
	.parser = table_parse,
};
