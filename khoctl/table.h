/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text tables through libsmartcols (table.c), fed by the output layer.
 */
#ifndef KHOCTL_TABLE_H
#define KHOCTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "out.h"

struct tbl;

/*
 * The columns -o/--output selects from @cols (indices into @cols, in the
 * order shown, into @sel of @ncols entries): the defaults (all but
 * OUT_COL_HIDDEN) without -o, the listed ones with -o LIST, the defaults
 * and the listed ones with -o +LIST. Names match a column's key or header,
 * any case. Returns how many.
 */
size_t table_select(const struct out_opts *o, const struct out_col *cols,
		    size_t ncols, size_t *sel);
/* After the document: 0, or KHOCTL_EXIT_USAGE for an -o name no table had. */
int table_check(const struct out_opts *o);

struct tbl *table_new(const struct out_opts *o, const struct out_col *cols,
		      size_t ncols);
void table_row(struct tbl *t);
/* Cell of declared column @col in the current row (hidden: ignored). */
void table_cell(struct tbl *t, size_t col, const char *val);
/* Colour of the current row ("red", "yellow"; --color decides). */
void table_row_color(struct tbl *t, const char *color);
bool table_empty(const struct tbl *t);
/* Print with every line indented by @indent; 0 or -1. */
int table_print(struct tbl *t, int indent, FILE *out);
void table_free(struct tbl *t);
/* --list-columns: "NAME:" and one line per column. */
void table_list_columns(const struct out_col *cols, size_t ncols,
			const char *name, FILE *out);
/* --list-columns without an input: @name's columns on stdout; returns 0. */
#define TABLE_LIST(name, cols) \
	(table_list_columns((cols), OUT_NCOLS(cols), (name), stdout), 0)

#endif /* KHOCTL_TABLE_H */
