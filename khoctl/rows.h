/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The streaming row writer behind out_row_vals (see rows.c): rows of
 * integers (addresses, sizes, counts) formatted straight into a buffer.
 */
#ifndef KHOCTL_ROWS_H
#define KHOCTL_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROWS_MAX_COLS 8

enum rows_kind {
	ROWS_HEX,	/* 0x1234abcd */
	ROWS_HUMAN,	/* compact size: 4K, 1.5M */
	ROWS_DEC,	/* 1234 */
};

struct rows_layout {
	unsigned ncols;
	int indent;			/* text: spaces before the first cell */
	size_t rowmax;			/* bytes a row may take, with the slack */
	struct {
		unsigned char kind;	/* enum rows_kind (text) */
		bool json;		/* the column is a JSON member */
		int width;		/* text: > 0 right-aligned, < 0 left */
		unsigned char jlen;	/* length of jpre */
		char jpre[48];		/* JSON: ',"key":' ('{"key":' first) */
		unsigned short off;	/* fixed rows: first byte of the cell */
		uint64_t lim;		/* fixed rows, decimal: values below fit */
	} col[ROWS_MAX_COLS];
	/*
	 * Text rows of one fixed length (every cell right-aligned and wide
	 * enough for its values, the row within 64 bytes): rows_text writes
	 * them from a template, right to left, without measuring anything
	 * but the hex digits. 0 = not such a table (the general path).
	 */
	unsigned fixed_len;
};

/*
 * Set up @L for @ncols columns (each: @kinds, @widths, JSON key or NULL
 * for a text-only column; keys plain identifiers up to 40 bytes). False
 * when the table does not fit (too many columns, key too long, indent).
 */
bool rows_layout_init(struct rows_layout *L, unsigned ncols, int indent,
		      const enum rows_kind *kinds, const int *widths,
		      const char *const *keys);

/*
 * One row at @o (room for L->rowmax bytes): text ending in '\n', or a JSON
 * object preceded by ',' unless @first. Returns the end of what it wrote.
 */
char *rows_text(char *o, const struct rows_layout *L, const uint64_t *v);
char *rows_json(char *o, const struct rows_layout *L, const uint64_t *v,
		bool first);

/*
 * Up to @n text rows of @ncols values each (@v: row after row) at @o, as
 * many as fit before @end with L->rowmax bytes of room each; *@done says
 * how many. Returns the end of what it wrote. Same bytes as rows_text.
 */
char *rows_text_n(char *o, const char *end, const struct rows_layout *L,
		  const uint64_t *v, size_t n, size_t *done);

/* What a column of rows_text_ranges shows of a (start, size) pair. */
enum rows_src {
	ROWS_SRC_START,	/* start */
	ROWS_SRC_LAST,	/* start + size - 1, the last byte */
	ROWS_SRC_SIZE,	/* size */
};

/*
 * rows_text_n for ranges: @pr holds @n (start, size) pairs, column i of a
 * row shows @src[i] (enum rows_src) of its pair. Same bytes as
 * rows_text_n on the rows of values; without the copy of them. The sizes
 * of the *@done pairs written are added to *@bytes (the caller's total,
 * summed here where each size is loaded anyway).
 */
char *rows_text_ranges(char *o, const char *end, const struct rows_layout *L,
		       const unsigned char *src, const uint64_t *pr, size_t n,
		       size_t *done, uint64_t *bytes);

/*
 * The vector code of the ranges rows: @level 1 the x86-64 baseline (SSE2;
 * elsewhere portable code), 2 AVX2 if the CPU has it, 0 as on first use
 * (the CPU, and KHOFMT_CPU=generic or popcnt means level 1). Returns the
 * level now in use. For tests that compare the two.
 */
int rows_simd(int level);

/* The decimal digits of @v alone, NUL-terminated (@b: 21 bytes); their count. */
size_t rows_dec(char *b, uint64_t v);

/* The compact size alone ("4K", "1.5M"), NUL-terminated; its length. */
size_t rows_human(char *b, uint64_t v);

#endif
