// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The output layer: one set of field calls, rendered as text or as
 * streaming JSON. See out.h for the rendering rules.
 *
 * State is a small stack of open containers (the CLI is single-threaded
 * and writes one document per run, so file-scope state is fine here).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the *_unlocked stdio calls (config.h has it too) */
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "display.h"
#include "khoctl.h"
#include "out.h"
#include "rows.h"
#include "table.h"

#define OUT_MAX_DEPTH 16
#define VALUE_COLUMN 26 /* text: values of "label: value" lines start here */

enum frame_kind { F_DOC, F_OBJ, F_ARRAY, F_TABLE, F_ROW };

struct frame {
	enum frame_kind kind;
	unsigned n;     /* field calls so far (a row's current column) */
	unsigned jn;    /* JSON members written (comma placement) */
	int indent;     /* text: indentation of this container's lines */
	bool dash;      /* text: next line starts an array element ("- ") */
	int pending;    /* text rows: padding owed by a left-aligned cell */
	const char *label; /* text arrays: key not printed yet (until the
			    * first element, or "(none)" at the end) */
	const struct out_col *cols;
	size_t ncols;
	bool rows;      /* tables: out_row_vals writes through rows.c */
	struct rows_layout rl; /* ... with this layout */
	struct tbl *tbl;  /* text tables: libsmartcols, from the first row */
	bool head;        /* text tables: header not printed or handed on yet */
	/* JSON objects: hashes of the keys written, to refuse one twice */
	uint64_t keyh[48];
	unsigned nkeys;
};

static struct {
	struct out_opts o;
	enum out_style style;
	int depth; /* index of the innermost open frame, -1 = none */
	struct frame f[OUT_MAX_DEPTH];
	char *tbuf; /* text: escaped string scratch */
	size_t tcap;
	/*
	 * A table row is put together here and handed to stdio in one call
	 * when it ends (millions of rows: one stdio call each, not one per
	 * character or cell). Nothing stays here between rows, so stdout is
	 * always complete up to the last finished row.
	 */
	bool rowing;
	int detail;  /* out_detail_begin() depth; muted text when brief */
	bool mute;
	size_t rl;
	char rb[128 * 1024]; /* larger than stdio's buffer: written through */
	int werr;            /* errno of a failed rows_write(), 0 */
} S = { .depth = -1 };

#define OUT stdout

/*
 * --json=pretty: the compact document re-indented as it leaves, so that
 * every path above (the hot row loops included) writes one form only and
 * --json stays byte for byte what it was. Two spaces a level, "key": value,
 * empty objects and arrays kept as {} and [].
 */
static struct pretty {
	int depth;
	bool str, esc;
	char open;       /* a '{' or '[' written, its line break not yet */
} P;

static void pretty_write(const char *p, size_t n)
{
	char b[4096];
	size_t o = 0, i;

	for (i = 0; i < n; i++) {
		char c = p[i];
		int k;

		/* the most one character adds: "\n", the indent, the character */
		if (o + 8 + 2 * (size_t)(P.depth > 0 ? P.depth : 0) > sizeof(b)) {
			fwrite_unlocked(b, 1, o, OUT);
			o = 0;
		}
		if (P.str) {
			b[o++] = c;
			if (P.esc)
				P.esc = false;
			else if (c == '\\')
				P.esc = true;
			else if (c == '"')
				P.str = false;
			continue;
		}
		if (P.open) {
			bool empty = c == (P.open == '{' ? '}' : ']');

			P.open = 0;
			if (empty) {
				P.depth--;
				b[o++] = c;
				continue;
			}
			b[o++] = '\n';
			for (k = 0; k < P.depth && o + 2 < sizeof(b); k++) {
				b[o++] = ' ';
				b[o++] = ' ';
			}
		}
		switch (c) {
		case '"':
			P.str = true;
			b[o++] = c;
			break;
		case '{':
		case '[':
			P.depth++;
			P.open = c;
			b[o++] = c;
			break;
		case '}':
		case ']':
			P.depth--;
			b[o++] = '\n';
			for (k = 0; k < P.depth && o + 3 < sizeof(b); k++) {
				b[o++] = ' ';
				b[o++] = ' ';
			}
			b[o++] = c;
			break;
		case ',':
			b[o++] = c;
			b[o++] = '\n';
			for (k = 0; k < P.depth && o + 2 < sizeof(b); k++) {
				b[o++] = ' ';
				b[o++] = ' ';
			}
			break;
		case ':':
			b[o++] = c;
			b[o++] = ' ';
			break;
		default:
			b[o++] = c;
		}
	}
	fwrite_unlocked(b, 1, o, OUT);
}

/* single-threaded: skip stdio locking on the hot path */
static inline void o_emit(const char *p, size_t n)
{
	if (S.o.json && S.o.pretty)
		pretty_write(p, n);
	else
		fwrite_unlocked(p, 1, n, OUT);
}

/*
 * A full row buffer goes to the descriptor in one write(): through stdio
 * it took two (the whole 4 KiB blocks, then its buffer refilled from the
 * rest), 2,077 writes for `khoctl ranges` W1 instead of ~1,040. Whatever
 * stdio holds goes first; a write error is kept in S.werr (ferror() for
 * what went through stdio).
 */
static void rows_write(const char *p, size_t n)
{
	int fd = fileno(OUT);

	if (fflush(OUT) || fd < 0 || S.werr) {
		if (!S.werr)
			S.werr = fd < 0 ? EBADF : errno ? errno : EIO;
		return;
	}
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			S.werr = w < 0 ? errno : EIO;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void row_flush(void)
{
	if (S.rl > BUFSIZ && !(S.o.json && S.o.pretty))
		rows_write(S.rb, S.rl);
	else if (S.rl)
		o_emit(S.rb, S.rl);
	S.rl = 0;
}

static inline void o_write(const char *p, size_t n)
{
	if (!S.rowing) {
		if (S.mute)
			return;
		row_flush();	/* rows held back by out_row_vals first */
		o_emit(p, n);
		return;
	}
	if (S.rl + n > sizeof(S.rb)) {
		row_flush();
		if (n > sizeof(S.rb)) {
			o_emit(p, n);
			return;
		}
	}
	memcpy(S.rb + S.rl, p, n);
	S.rl += n;
}

static inline void o_putc(char c)
{
	if (S.rowing && S.rl < sizeof(S.rb))
		S.rb[S.rl++] = c;
	else
		o_write(&c, 1);
}

#define PUTC(c) o_putc((char)(c))
#define PUTS(s) o_write((s), strlen(s))
#define WRITE(p, n) o_write((const char *)(p), (n))

void out_init(const struct out_opts *opts)
{
	S.o = *opts;
	memset(&P, 0, sizeof(P));
	S.depth = -1;
	S.rowing = false;
	S.rl = 0;
}

bool out_failed(void)
{
	if (!S.rowing)
		row_flush();
	return ferror(OUT) != 0 || S.werr;
}

/* ------------------------------------------------------------------ */
/* Small formatters                                                    */
/* ------------------------------------------------------------------ */

/* Decimal digits of @v into @b (at least 21 bytes); returns the length. */
static size_t fmt_dec(char *b, uint64_t v)
{
	return rows_dec(b, v);
}

/* "0x" and the hex digits of @v into @b (at least 19 bytes); the length. */
static size_t fmt_hex(char *b, uint64_t v)
{
	static const char hx[] = "0123456789abcdef";
	size_t nd = v ? (size_t)(67 - __builtin_clzll(v)) / 4 : 1, i;

	b[0] = '0';
	b[1] = 'x';
	for (i = nd + 1; i >= 2; i--) {
		b[i] = hx[v & 0xf];
		v >>= 4;
	}
	b[nd + 2] = '\0';
	return nd + 2;
}

/*
 * "1.5 MiB" (or "1.5M" when @compact); one rounded decimal when needed.
 * The rows' compact size (rows_human), so that a size reads the same in
 * every table and scalar, with the unit spelled out unless @compact.
 */
static size_t fmt_human(char *b, uint64_t v, bool compact)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	static const char letters[] = "BKMGTPE";
	size_t n = rows_human(b, v);
	const char *u;

	if (compact)
		return n;
	u = units[strchr(letters, b[n - 1]) - letters];
	b[n - 1] = ' ';
	strcpy(b + n, u);
	return n + strlen(u);
}

static void pad(int n)
{
	static const char spaces[] = "                                ";

	if (S.rowing && n > 0 && S.rl + (size_t)n <= sizeof(S.rb)) {
		memset(S.rb + S.rl, ' ', (size_t)n);
		S.rl += (size_t)n;
		return;
	}
	while (n > 0) {
		int k = n < (int)sizeof(spaces) - 1 ? n : (int)sizeof(spaces) - 1;

		WRITE(spaces, (size_t)k);
		n -= k;
	}
}

/* ------------------------------------------------------------------ */
/* Frames                                                              */
/* ------------------------------------------------------------------ */

static struct frame *top(void)
{
	return &S.f[S.depth];
}

static struct frame *push(enum frame_kind kind, int indent)
{
	struct frame *f;

	if (S.depth + 1 >= OUT_MAX_DEPTH || (S.depth < 0 && kind != F_DOC)) {
		fputs(KHOCTL_NAME ": internal error: bad output nesting\n", stderr);
		abort();
	}
	f = &S.f[++S.depth];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->indent = indent;
	return f;
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */


/*
 * A JSON string: quotes, backslashes and control characters escaped,
 * valid UTF-8 passed through, invalid bytes replaced by U+FFFD so the
 * document stays valid whatever a dump holds.
 */
static void j_string(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	PUTC('"');
	/* plain printable ASCII (every key, most values): one copy */
	for (n = 0; s[n] >= 0x20 && s[n] < 0x7f && s[n] != '"' && s[n] != '\\'; n++)
		;
	WRITE(s, n);
	s += n;
	while (*s) {
		switch (*s) {
		case '"':  PUTS("\\\""); break;
		case '\\': PUTS("\\\\"); break;
		case '\b': PUTS("\\b"); break;
		case '\f': PUTS("\\f"); break;
		case '\n': PUTS("\\n"); break;
		case '\r': PUTS("\\r"); break;
		case '\t': PUTS("\\t"); break;
		default:
			if (*s < 0x20) {
				char u[8];

				snprintf(u, sizeof(u), "\\u%04x", *s);
				PUTS(u);
			} else if (*s < 0x80) {
				PUTC(*s);
			} else if ((n = khofmt_utf8_len((const char *)s))) {
				WRITE(s, n);
				s += n;
				continue;
			} else {
				PUTS("\\ufffd");
			}
		}
		s++;
	}
	PUTC('"');
}

/*
 * Start a JSON member or element. Returns false for a row's text-only
 * column, which JSON leaves out.
 */
/*
 * A member key of the object @f: a key written twice would be a JSON
 * document whose readers disagree (most keep the last, some the first,
 * some fail), so it is an internal error like bad nesting. Keys are
 * remembered by a 64-bit FNV-1a hash (the first 48 of an object).
 */
static void j_key_once(struct frame *f, const char *key)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	const unsigned char *k = (const unsigned char *)key;
	unsigned i;

	while (*k)
		h = (h ^ *k++) * UINT64_C(0x100000001b3);
	for (i = 0; i < f->nkeys; i++) {
		if (f->keyh[i] == h) {
			fprintf(stderr, KHOCTL_NAME ": internal error: JSON key \"%s\" "
				"written twice in one object\n", key);
			abort();
		}
	}
	if (f->nkeys < sizeof(f->keyh) / sizeof(f->keyh[0]))
		f->keyh[f->nkeys++] = h;
}

static bool j_member(const char *key)
{
	struct frame *f = top();

	if (f->kind == F_ROW) {
		size_t c = f->n++;

		if (c < f->ncols && (f->cols[c].flags & OUT_COL_TEXT))
			return false;
	}
	if (f->jn++)
		PUTC(',');
	if (f->kind != F_ARRAY && f->kind != F_TABLE) {
		j_key_once(f, key ? key : "");
		j_string(key ? key : "");
		PUTC(':');
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Text                                                                */
/* ------------------------------------------------------------------ */

/* @s with control characters and invalid UTF-8 shown as \xNN (terminal safety). */
static const char *t_escape(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t need = strlen(str) * 4 + 1, o = 0;

	if (need > S.tcap) {
		char *nb = realloc(S.tbuf, need);

		if (!nb)
			return "?";
		S.tbuf = nb;
		S.tcap = need;
	}
	while (*s) {
		size_t n = *s < 0x80 ? 1 : khofmt_utf8_len((const char *)s);

		if (*s < 0x20 || *s == 0x7f || !n) {
			o += (size_t)sprintf(S.tbuf + o, "\\x%02x", *s++);
			continue;
		}
		memcpy(S.tbuf + o, s, n);
		o += n;
		s += n;
	}
	S.tbuf[o] = '\0';
	return S.tbuf;
}

/* Indentation of the next line of @f, with the "- " of a new element. */
static void t_indent(struct frame *f)
{
	if (f->dash) {
		pad(f->indent - 2);
		PUTS("- ");
		f->dash = false;
	} else {
		pad(f->indent);
	}
}

/* "label:" from a JSON key; returns the printed width. */
static int t_label(const char *key)
{
	const char *k;

	for (k = key ? key : ""; *k; k++)
		PUTC(*k == '_' ? ' ' : *k);
	PUTC(':');
	return (int)(k - (key ? key : "")) + 1;
}

static void t_cell(struct frame *f, const char *val, size_t vlen,
		   const struct out_col *c)
{
	int len = (int)vlen;
	int w = c ? c->width : 0;

	if (S.o.list_columns) {
		f->n++;
		return;
	}
	if (f->tbl) {
		char *v = strndup(val, vlen);

		table_cell(f->tbl, f->n++, v ? v : "?");
		free(v);
		return;
	}
	if (f->n == 0)
		pad(f->indent);
	else
		pad(f->pending + 2 > 1 ? f->pending + 2 : 1); /* an overflowing cell still ends */
	f->pending = 0;
	if (w > 0)
		pad(w - len);
	WRITE(val, vlen);
	if (w < 0)
		f->pending = -w - len;
	f->n++;
}

/* "label: value" (or "label:" opening a container when @val is NULL) */
static void t_line(struct frame *f, const char *key, const char *val)
{
	int w;

	if (S.o.noheadings || S.o.raw || S.o.list_columns)
		return;
	t_indent(f);
	w = f->indent + t_label(key);
	if (val) {
		pad(w < VALUE_COLUMN - 1 ? VALUE_COLUMN - w : 1);
		PUTS(val);
	}
	PUTC('\n');
}

/* An array's label, printed once it has an element. */
static void t_array_label(void)
{
	struct frame *f = top();

	if (f->kind == F_ARRAY && f->label) {
		t_line(&S.f[S.depth - 1], f->label, NULL);
		f->label = NULL;
	}
}

/* One text field, already formatted. */
static void t_field_n(const char *key, const char *val, size_t vlen)
{
	struct frame *f = top();

	if (f->kind == F_ROW) {
		t_cell(f, val, vlen, f->n < f->ncols ? &f->cols[f->n] : NULL);
		return;
	}
	t_array_label();
	switch (f->kind) {
	case F_ROW:
		return;
	case F_ARRAY:
	case F_TABLE:
		if (S.o.noheadings || S.o.raw || S.o.list_columns)
			return;
		pad(f->indent);
		PUTS("- ");
		PUTS(val);
		PUTC('\n');
		return;
	case F_DOC:
		if (S.style == OUT_STYLE_LINE) {
			if (S.o.raw || S.o.list_columns)
				return;
			if (f->n++)
				PUTS(", ");
			t_label(key);
			PUTC(' ');
			PUTS(val);
			return;
		}
		/* fall through */
	case F_OBJ:
		t_line(f, key, val);
		return;
	}
}

/* A "label:" line opening a nested container; returns the child indent. */
static int t_open(const char *key)
{
	struct frame *f = top();

	t_array_label();
	if (f->kind == F_ARRAY || f->kind == F_TABLE)
		return f->indent + 2;
	t_line(f, key, NULL);
	return f->indent + 2;
}

/* ------------------------------------------------------------------ */
/* Containers                                                          */
/* ------------------------------------------------------------------ */

void out_doc_begin(const char *cmd, enum out_style style)
{
	display_progress_end();
	struct frame *f;

	S.style = style;
	f = push(F_DOC, 0);
	if (S.o.json) {
		PUTS("{\"schema\":");
		{
			char schema[64];

			snprintf(schema, sizeof(schema), KHOCTL_NAME "-%s", cmd);
			j_string(schema);
		}
		{
			char v[32];

			snprintf(v, sizeof(v), ",\"version\":%d",
				 OUT_SCHEMA_VERSION);
			PUTS(v);
		}
		f->jn = 2;
		j_key_once(f, "schema");
		j_key_once(f, "version");
	}
}

/* Close the innermost container, whatever it is. */
static void close_top(void)
{
	struct frame *f = top();

	if (S.o.json) {
		PUTC(f->kind == F_ARRAY || f->kind == F_TABLE ? ']' : '}');
	} else if (f->kind == F_ROW) {
		if (!f->tbl && !S.o.list_columns)
			PUTC('\n');
	} else if (f->kind == F_DOC && S.style == OUT_STYLE_LINE && f->n) {
		PUTC('\n');
	}
	S.depth--;
}

int out_flush(void)
{
	static bool reported;
	int err = 0;

	row_flush();
	if (fflush(OUT))
		err = errno;
	if (!ferror(OUT) && !S.werr)
		return 0;
	if (!err)
		err = S.werr;
	if (!reported) {
		reported = true;
		if (err)
			return out_err("standard output", "write error: %s",
				       strerror(err));
		return out_err("standard output", "write error");
	}
	return KHOCTL_EXIT_DECODE;
}

int out_doc_end(void)
{
	int r;

	while (S.depth >= 0)
		close_top();
	if (S.o.json)
		PUTC('\n');
	free(S.tbuf);
	S.tbuf = NULL;
	S.tcap = 0;
	r = out_flush();
	if (!r && !S.o.json && !S.o.list_columns)
		r = table_check(&S.o);
	return r;
}

void out_detail_begin(void)
{
	S.detail++;
	S.mute = S.o.brief && !S.o.json;
}

void out_detail_end(void)
{
	if (S.detail > 0)
		S.detail--;
	S.mute = S.detail && S.o.brief && !S.o.json;
}

void out_obj_begin(const char *key)
{
	bool elem = top()->kind == F_ARRAY;
	int indent = 0;

	if (S.o.json) {
		j_member(key);
		PUTC('{');
	} else {
		/* an array element: fields under the "- ", which starts it */
		indent = t_open(key);
	}
	push(F_OBJ, indent)->dash = elem && !S.o.json;
}

static void end_kind(enum frame_kind a, enum frame_kind b)
{
	if (S.depth < 1 || (top()->kind != a && top()->kind != b)) {
		fputs(KHOCTL_NAME ": internal error: bad output nesting\n", stderr);
		abort();
	}
	close_top();
}

void out_obj_end(void)
{
	end_kind(F_OBJ, F_OBJ);
}

void out_array_begin(const char *key)
{
	struct frame *f = top();
	bool elem = f->kind == F_ARRAY || f->kind == F_TABLE;

	if (S.o.json) {
		j_member(key);
		PUTC('[');
		push(F_ARRAY, 0);
		return;
	}
	t_array_label();
	/* the label waits for the first element: empty arrays say "(none)" */
	push(F_ARRAY, f->indent + 2)->label = elem ? NULL : key ? key : "";
}

void out_array_end(void)
{
	struct frame *f = top();

	if (!S.o.json && f->kind == F_ARRAY && f->label)
		t_line(&S.f[S.depth - 1], f->label, "(none)");
	end_kind(F_ARRAY, F_ARRAY);
}

void out_table_begin(const char *key, const struct out_col *cols,
		     size_t ncols, unsigned flags)
{
	struct frame *f;
	int indent = 0;
	size_t i;

	if (S.o.json) {
		j_member(key);
		PUTC('[');
	} else if (flags & OUT_TABLE_MAIN) {
		indent = top()->indent;
	} else {
		indent = t_open(key);
	}
	f = push(F_TABLE, indent);
	f->cols = cols;
	f->ncols = ncols;
	/* rows of integers: out_row_vals formats them in rows.c */
	if (ncols <= ROWS_MAX_COLS) {
		enum rows_kind kinds[ROWS_MAX_COLS];
		int widths[ROWS_MAX_COLS];
		const char *keys[ROWS_MAX_COLS];

		for (i = 0; i < ncols; i++) {
			kinds[i] = cols[i].flags & OUT_COL_ADDR ? ROWS_HEX :
				   (cols[i].flags & OUT_COL_SIZE) && !S.o.bytes ?
				   ROWS_HUMAN : ROWS_DEC;
			widths[i] = cols[i].width;
			keys[i] = cols[i].flags & OUT_COL_TEXT ? NULL : cols[i].key;
		}
		f->rows = rows_layout_init(&f->rl, (unsigned)ncols, indent, kinds,
					   widths, keys) &&
			  f->rl.rowmax <= sizeof(S.rb) / 4;
	}
	if (S.o.json)
		return;
	if (S.o.list_columns) {
		row_flush();
		table_list_columns(cols, ncols, key ? key : "table", OUT);
		return;
	}
	/*
	 * The header waits: rows through out_row_begin() go to libsmartcols,
	 * which prints it; streamed rows (out_row_vals) get it from t_head().
	 */
	f->head = true;
}

/* The streaming writer's header line, laid out like a row. */
static void t_head(struct frame *f)
{
	size_t i;

	f->head = false;
	if (S.o.noheadings)
		return;
	f->kind = F_ROW;
	for (i = 0; i < f->ncols; i++)
		t_cell(f, f->cols[i].header, strlen(f->cols[i].header), &f->cols[i]);
	PUTC('\n');
	f->kind = F_TABLE;
	f->n = 0;
	f->pending = 0;
}

void out_table_end(void)
{
	struct frame *f = top();

	if (f->kind == F_TABLE && f->tbl) {
		row_flush();
		if (table_print(f->tbl, S.o.raw ? 0 : f->indent, OUT))
			fputs(KHOCTL_NAME ": out of memory printing a table\n", stderr);
		table_free(f->tbl);
		f->tbl = NULL;
	} else if (f->kind == F_TABLE && f->head) {
		/* no rows: the header alone, as the table was declared */
		if (S.o.columns || S.o.raw) {
			f->tbl = table_new(&S.o, f->cols, f->ncols);
			table_print(f->tbl, S.o.raw ? 0 : f->indent, OUT);
			table_free(f->tbl);
			f->tbl = NULL;
		} else {
			t_head(f);
		}
	}
	end_kind(F_TABLE, F_TABLE);
}

void out_row_begin(void)
{
	struct frame *t = top(), *f;

	if (t->kind != F_TABLE) {
		fputs(KHOCTL_NAME ": internal error: row outside a table\n", stderr);
		abort();
	}
	S.rowing = true;
	if (S.o.json) {
		j_member(NULL);
		PUTC('{');
	} else if (t->head && !S.o.list_columns) {
		t->head = false;
		t->tbl = table_new(&S.o, t->cols, t->ncols);
		if (!t->tbl) {
			fputs(KHOCTL_NAME ": out of memory\n", stderr);
			exit(KHOCTL_EXIT_DECODE);
		}
	}
	f = push(F_ROW, t->indent);
	f->cols = t->cols;
	f->ncols = t->ncols;
	f->tbl = t->tbl;
	table_row(f->tbl);
}

void out_row_color(const char *color)
{
	struct frame *f = top();

	if (!S.o.json && f->kind == F_ROW)
		table_row_color(f->tbl, color);
}

void out_row_end(void)
{
	end_kind(F_ROW, F_ROW);
	row_flush();
	S.rowing = false;
}

/*
 * out_row_vals: the row of out_row_begin + one field call per column +
 * out_row_end, written straight into the row buffer (no frame, no stdio
 * call); rows accumulate there until it is nearly full.
 */
void out_row_vals(const uint64_t *v)
{
	struct frame *t = top();
	const struct out_col *c = t->cols;
	size_t i;

	if (t->kind != F_TABLE) {
		fputs(KHOCTL_NAME ": internal error: row outside a table\n", stderr);
		abort();
	}
	if (!S.o.json && S.o.list_columns)
		return;
	if (!t->rows || t->tbl) {
		/* not a hot-path table: the general calls */
		out_row_begin();
		for (i = 0; i < t->ncols; i++) {
			if (c[i].flags & OUT_COL_ADDR)
				out_addr(c[i].key, v[i]);
			else if (c[i].flags & OUT_COL_SIZE)
				out_size(c[i].key, v[i]);
			else
				out_u64(c[i].key, v[i]);
		}
		out_row_end();
		return;
	}
	if (t->head)
		t_head(t);
	if (sizeof(S.rb) - S.rl < t->rl.rowmax)
		row_flush();
	if (S.o.json)
		S.rl = (size_t)(rows_json(S.rb + S.rl, &t->rl, v, !t->jn++) - S.rb);
	else
		S.rl = (size_t)(rows_text(S.rb + S.rl, &t->rl, v) - S.rb);
}

/*
 * @n rows of the table's ncols values each (@v row after row): as n calls
 * of out_row_vals, the text rows formatted in one loop of rows.c.
 */
void out_rows_vals(const uint64_t *v, size_t n)
{
	struct frame *t = top();
	size_t done;

	if (t->kind != F_TABLE || !t->rows || t->tbl || S.o.json ||
	    S.o.list_columns) {
		for (; n; n--, v += t->ncols)
			out_row_vals(v);
		return;
	}
	if (t->head)
		t_head(t);
	while (n) {
		char *o = rows_text_n(S.rb + S.rl, S.rb + sizeof(S.rb), &t->rl,
				      v, n, &done);

		S.rl = (size_t)(o - S.rb);
		n -= done;
		v += done * t->ncols;
		if (n)
			row_flush();
	}
}

/*
 * @n rows from (start, size) pairs (@pr), column i showing @src[i] (enum
 * rows_src) of its pair: as n calls of out_row_vals.
 */
void out_rows_ranges(const unsigned char *src, const uint64_t *pr, size_t n,
		     uint64_t *bytes)
{
	struct frame *t = top();
	uint64_t v[ROWS_MAX_COLS];
	size_t done, c;

	if (t->kind != F_TABLE || !t->rows || t->tbl || S.o.json ||
	    S.o.list_columns || t->ncols > ROWS_MAX_COLS) {
		for (; n; n--, pr += 2) {
			*bytes += pr[1];
			for (c = 0; c < t->ncols && c < ROWS_MAX_COLS; c++)
				v[c] = src[c] == ROWS_SRC_START ? pr[0] :
				       src[c] == ROWS_SRC_LAST ? pr[0] + pr[1] - 1 :
				       pr[1];
			out_row_vals(v);
		}
		return;
	}
	if (t->head)
		t_head(t);
	while (n) {
		char *o = rows_text_ranges(S.rb + S.rl, S.rb + sizeof(S.rb),
					   &t->rl, src, pr, n, &done, bytes);

		S.rl = (size_t)(o - S.rb);
		n -= done;
		pr += 2 * done;
		if (n)
			row_flush();
	}
}

/* ------------------------------------------------------------------ */
/* Fields                                                              */
/* ------------------------------------------------------------------ */

static void t_field(const char *key, const char *val)
{
	t_field_n(key, val, strlen(val));
}

/* A scalar whose JSON form is @json verbatim (lengths known). */
static void scalar_n(const char *key, const char *json, size_t jlen,
		     const char *text, size_t tlen)
{
	if (S.o.json) {
		if (j_member(key))
			WRITE(json, jlen);
	} else {
		t_field_n(key, text, tlen);
	}
}

static void scalar(const char *key, const char *json, const char *text)
{
	if (S.o.json)
		scalar_n(key, json, strlen(json), NULL, 0);
	else
		t_field(key, text);
}

void out_u64(const char *key, uint64_t v)
{
	char b[24];
	size_t n = fmt_dec(b, v);

	scalar_n(key, b, n, b, n);
}

void out_addr(const char *key, uint64_t v)
{
	char b[24];
	size_t n = S.o.json ? fmt_dec(b, v) : fmt_hex(b, v);

	scalar_n(key, b, n, b, n);
}

void out_size(const char *key, uint64_t v)
{
	char d[24], t[64];
	size_t n = fmt_dec(d, v);

	if (S.o.json || S.o.bytes) {
		scalar_n(key, d, n, d, n);
	} else if (top()->kind == F_ROW) {
		fmt_human(t, v, true);
		scalar_n(key, d, n, t, strlen(t));
	} else {
		fmt_human(t, v, false);
		if (v >= 1024)
			snprintf(t + strlen(t), sizeof(t) - strlen(t), " (%s)", d);
		scalar(key, d, t);
	}
}

void out_hex64(const char *key, uint64_t v)
{
	char h[24], q[28];

	fmt_hex(h, v);
	snprintf(q, sizeof(q), "\"%s\"", h);
	scalar(key, q, h);
}

void out_str(const char *key, const char *s)
{
	if (S.o.json) {
		if (j_member(key))
			j_string(s);
	} else {
		t_field(key, t_escape(s));
	}
}

void out_bool(const char *key, bool v)
{
	scalar(key, v ? "true" : "false", v ? "yes" : "no");
}

void out_null(const char *key, const char *text)
{
	scalar(key, "null", text);
}

void out_hexbytes(const char *key, const void *buf, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *p = buf;
	char *t;
	size_t i, o = 0;

	/* hex (2/byte) + group spaces + "  |ascii|" */
	t = malloc(len * 4 + 16);
	if (!t) {
		scalar(key, "null", "?");
		return;
	}
	if (S.o.json) {
		t[o++] = '"';
		for (i = 0; i < len; i++) {
			t[o++] = hx[p[i] >> 4];
			t[o++] = hx[p[i] & 0xf];
		}
		t[o++] = '"';
	} else if (!len) {
		memcpy(t, "(empty)", 8);
		o = 7;
	} else {
		for (i = 0; i < len; i++) {
			if (i && !(i % 8))
				t[o++] = ' ';
			t[o++] = hx[p[i] >> 4];
			t[o++] = hx[p[i] & 0xf];
		}
		t[o++] = ' ';
		t[o++] = ' ';
		t[o++] = '|';
		for (i = 0; i < len; i++)
			t[o++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
		t[o++] = '|';
	}
	t[o] = '\0';
	scalar(key, t, t);
	free(t);
}

void out_note(const char *key, const char *fmt, ...)
{
	char b[256];
	va_list ap;

	if (S.o.json) {
		/* in a row the note still takes its (text-only) column */
		if (top()->kind == F_ROW)
			top()->n++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	t_field(key, t_escape(b));
}

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */
/* ------------------------------------------------------------------ */

int out_err(const char *what, const char *fmt, ...)
{
	va_list ap;

	row_flush();
	fflush(OUT); /* keep stdout and stderr in order */
	display_progress_end();
	fprintf(stderr, KHOCTL_NAME ": %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	putc('\n', stderr);
	return KHOCTL_EXIT_DECODE;
}

int out_lib_err(const char *what, int err, const char *detail)
{
	if (detail && *detail)
		return out_err(what, "%s: %s", khofmt_strerror(err), detail);
	return out_err(what, "%s", khofmt_strerror(err));
}

void out_human(char *buf, uint64_t v)
{
	fmt_human(buf, v, false);
}
