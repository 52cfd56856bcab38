/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * khoctl's one output layer (iproute2's print-any idea): every field is
 * written once, through one call, and comes out either as text or as
 * JSON. The JSON side is a streaming writer: nothing is buffered beyond
 * stdio, so lists of millions of items cost no memory.
 *
 * Text rendering follows the structure:
 *  - object members are "label: value" lines (label = key with '_' -> ' '),
 *    nested objects and arrays indent by two;
 *  - elements of a plain array start with "- ";
 *  - a table (array of rows with declared columns) prints a header line
 *    and one line per row, columns padded to the declared widths;
 *  - OUT_STYLE_LINE documents print their top-level fields on one line.
 *
 * JSON rendering: every document is one object starting with
 * "schema": "khoctl-<cmd>" and "version": 1; integers are numbers,
 * addresses and sizes are numbers (they fit in 52 bits), opaque 64-bit
 * values are "0x..." strings.
 */
#ifndef KHOCTL_OUT_H
#define KHOCTL_OUT_H

#include <argp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OUT_SCHEMA_VERSION 1

struct out_opts {
	bool json;       /* JSON instead of text */
	bool pretty;     /* JSON: --json=pretty, indented (else compact) */
	bool bytes;      /* text: sizes as exact byte counts only */
	bool noheadings; /* text: table rows only (no headers, no other fields) */
	bool raw;        /* text: tables unaligned, one space apart, no other fields */
	bool list_columns; /* text: each table's columns instead of the document */
	const char *columns; /* text: -o/--output LIST (NULL = the defaults) */
	bool brief;      /* text: leave out what out_detail_begin() marks */
};

enum out_style {
	OUT_STYLE_RECORD, /* text: one "label: value" line per field */
	OUT_STYLE_LINE,   /* text: top-level fields on one line */
};

/* A table column, declared once per list. */
#define OUT_COL_TEXT 0x1u /* derived value: text only, not in JSON */
/* The value's kind, for out_row_vals (the field calls say it themselves): */
#define OUT_COL_ADDR 0x2u /* an address: out_addr */
#define OUT_COL_SIZE 0x4u /* a size in bytes: out_size */
			  /* neither: an integer, out_u64 */
#define OUT_COL_HIDDEN 0x8u /* text: shown only when -o names it */

struct out_col {
	const char *key;    /* JSON key (also checks the field calls) */
	const char *header; /* text header */
	int width;          /* text width: > 0 right-aligned, < 0 left */
	unsigned flags;     /* OUT_COL_* */
};

#define OUT_NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

/* Table flags */
#define OUT_TABLE_MAIN 0x1u /* text: the document's main list: no label, no indent */

void out_init(const struct out_opts *opts);

/*
 * -o/--output, --raw, --noheadings, --list-columns (argp child of the
 * commands that print tables; fills the struct out_opts it is given).
 * Text tables other than the streaming ones are printed by libsmartcols
 * (table.c).
 */
extern const struct argp out_table_argp;

/* Start the document of command @cmd (schema "khoctl-@cmd"). */
void out_doc_begin(const char *cmd, enum out_style style);
/*
 * Close all open containers and the document, flush stdout and check it
 * for write errors. Returns 0 or KHOCTL_EXIT_DECODE (message printed).
 */
int out_doc_end(void);
/*
 * Flush stdout and check it for write errors; the first failure is
 * reported. Returns 0 or KHOCTL_EXIT_DECODE. main() also calls it at exit,
 * which covers --help and --version.
 */
int out_flush(void);
/* True once stdout has failed: long loops stop early. */
bool out_failed(void);

/*
 * Fields between these (nestable) are details: JSON has them, text leaves
 * them out when the options say brief (dump without --details). Not the
 * first field of an array element (it carries the "- "), not tables.
 */
void out_detail_begin(void);
void out_detail_end(void);

void out_obj_begin(const char *key);
void out_obj_end(void);
void out_array_begin(const char *key);
void out_array_end(void);
void out_table_begin(const char *key, const struct out_col *cols,
		     size_t ncols, unsigned flags);
void out_table_end(void);
/* Inside a table: one row; each field call fills the next column. */
void out_row_begin(void);
void out_row_end(void);
/* Text tables: colour this row ("red", "yellow"), when --color allows. */
void out_row_color(const char *color);
/*
 * A whole row of integers in one call, for lists of millions of rows:
 * @v[i] is column i's value, rendered as the field call named by the
 * column's OUT_COL_ADDR / OUT_COL_SIZE flag would render it (same text,
 * same JSON). Rows may be held back and written a buffer at a time; any
 * other output call, out_flush() and out_doc_end() write them first.
 */
void out_row_vals(const uint64_t *v);
/* @n rows at once (@v: each row's values in turn), as n out_row_vals. */
void out_rows_vals(const uint64_t *v, size_t n);
/*
 * @n rows from (start, size) pairs (@pr), column i showing @src[i] of its
 * pair (enum rows_src in rows.h: start, start + size - 1, size); their
 * sizes are added to *@bytes.
 */
void out_rows_ranges(const unsigned char *src, const uint64_t *pr, size_t n,
		     uint64_t *bytes);

/* Fields. @key is ignored for array elements. */
void out_u64(const char *key, uint64_t v);
void out_addr(const char *key, uint64_t v);   /* text 0x..; JSON number */
void out_size(const char *key, uint64_t v);   /* text "1.5 MiB (1572864)"; JSON number */
void out_hex64(const char *key, uint64_t v);  /* opaque: "0x.." in both */
void out_str(const char *key, const char *s);
void out_bool(const char *key, bool v);
/* JSON null; @text is what text mode shows instead. */
void out_null(const char *key, const char *text);
/* Bytes as a hex string (JSON: "00ab.."; text: grouped hex + ASCII). */
void out_hexbytes(const char *key, const void *buf, size_t len);
/* A derived, text-only annotation (JSON consumers compute it). */
void out_note(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A size for people ("1.5 MiB", "4 KiB", "12 B"), as out_size() shows it
 * in text mode; @buf holds at least OUT_HUMAN_LEN bytes. For output that
 * is not a document (the picture of `khoctl map`).
 */
#define OUT_HUMAN_LEN 32
void out_human(char *buf, uint64_t v);

/*
 * Diagnostics on stderr, one line: "khoctl: <what>: <detail>".
 * Both return KHOCTL_EXIT_DECODE so callers can `return out_err(...)`.
 */
int out_err(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "khoctl: <what>: <khofmt_strerror(err)>[: <detail>]" */
int out_lib_err(const char *what, int err, const char *detail);

#endif /* KHOCTL_OUT_H */
