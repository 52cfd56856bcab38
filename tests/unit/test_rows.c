// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl's streaming row writer (khoctl/rows.c, compiled in) against
 * snprintf (hex, decimal, padding) and hand-derived compact sizes, at the
 * edges: 0, every power of two and its neighbours, 16-digit addresses,
 * 20-digit decimals, unit boundaries and rounding up to the next tenth.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../khoctl/rows.h"
#include "tap.h"

static char buf[4096];

/* One row of @L from @v as a string (rows_* write junk past the end). */
static const char *text_row(const struct rows_layout *L, const uint64_t *v)
{
	char *e;

	memset(buf, '#', sizeof(buf));
	e = rows_text(buf, L, v);
	*e = '\0';
	return buf;
}

int main(void)
{
	static const enum rows_kind rk[] = { ROWS_HEX, ROWS_HEX, ROWS_HUMAN };
	static const int rw[] = { 18, 18, 8 };
	static const char *const rkeys[] = { "start", NULL, "size" };
	static const enum rows_kind dk[] = { ROWS_DEC, ROWS_HEX, ROWS_DEC };
	static const int dw[] = { -6, 5, 3 };
	static const char *const dkeys[] = { "a", "b", "c" };
	static const struct { uint64_t v; const char *s; } hum[] = {
		{ 0, "0B" }, { 1, "1B" }, { 1023, "1023B" }, { 1024, "1K" },
		{ 1126, "1.1K" }, { 1536, "1.5K" }, { 4096, "4K" },
		{ 1048575, "1024K" },		/* 1023.999K rounds up */
		{ 1048576, "1M" }, { 1572864, "1.5M" },
		{ UINT64_C(17179869184), "16G" }, { UINT64_C(1) << 40, "1T" },
		{ UINT64_C(1) << 60, "1E" }, { UINT64_MAX, "16E" },
		{ UINT64_C(1073741824) * 1000, "1000G" },
		{ UINT64_C(1073741824) * 1023 + UINT64_C(1073741824) / 2, "1023.5G" },
	};
	struct rows_layout L, D;
	uint64_t x, seed = 88172645463325252u;
	unsigned i, bad_hex = 0, bad_dec = 0, bad_json = 0, bad_hum = 0, bad_rdec = 0;
	char want[512], a[40], b[40];

	ok(rows_layout_init(&L, 3, 0, rk, rw, rkeys), "ranges layout");
	ok(rows_layout_init(&D, 3, 4, dk, dw, dkeys), "a layout with left-aligned and narrow cells");
	ok(!rows_layout_init(&D, 3, 4, dk, dw, (const char *const[]){ NULL, NULL, NULL }),
	   "refused: no JSON column");
	ok(rows_layout_init(&D, 3, 4, dk, dw, dkeys), "again");

	for (i = 0; i < 64 * 3 + 2000; i++) {
		uint64_t v[3];
		char hum_s[32];

		if (i < 64 * 3)
			x = (UINT64_C(1) << (i / 3)) + (i % 3) - 1; /* 2^k - 1, 2^k, 2^k + 1 */
		else {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			x = seed >> (seed & 63);
		}
		v[0] = x;
		v[1] = ~x;
		v[2] = x;
		rows_human(hum_s, x);
		snprintf(a, sizeof(a), "0x%" PRIx64, x);
		snprintf(b, sizeof(b), "0x%" PRIx64, ~x);
		snprintf(want, sizeof(want), "%18s  %18s  %8s\n", a, b, hum_s);
		if (strcmp(text_row(&L, v), want) && !bad_hex++)
			diag("got '%s' want '%s'", buf, want);
		/* decimal, left-aligned first cell, narrow hex, indent 4 */
		snprintf(a, sizeof(a), "%" PRIu64, x);
		snprintf(want, sizeof(want), "    %-6s  %5s  %3" PRIu64 "\n", a, b, x);
		if (strcmp(text_row(&D, v), want) && !bad_dec++)
			diag("got '%s' want '%s'", buf, want);
		/* rows_dec, the digits alone (out.c's scalars) */
		{
			char d[21 + 1];

			memset(d, '#', sizeof(d));
			if ((rows_dec(d, x) != strlen(a) || strcmp(d, a)) && !bad_rdec++)
				diag("rows_dec: got '%s' want '%s'", d, a);
		}
		memset(buf, '#', sizeof(buf));
		*rows_json(buf, &L, v, i == 0) = '\0';
		snprintf(want, sizeof(want), "%s{\"start\":%" PRIu64 ",\"size\":%" PRIu64 "}",
			 i ? "," : "", x, x);
		if (strcmp(buf, want) && !bad_json++)
			diag("got '%s' want '%s'", buf, want);
	}
	is_int(bad_hex, 0, "hex cells and compact sizes = snprintf (2^k +- 1, random)");
	is_int(bad_dec, 0, "decimal cells, left-aligned pending padding, indent = snprintf");
	is_int(bad_json, 0, "JSON rows = snprintf, text-only column left out");
	is_int(bad_rdec, 0, "rows_dec = snprintf (2^k +- 1, random)");
	for (i = 0; i < sizeof(hum) / sizeof(hum[0]); i++) {
		char h[32];

		rows_human(h, hum[i].v);
		if (strcmp(h, hum[i].s)) {
			bad_hum++;
			diag("%" PRIu64 ": got %s want %s", hum[i].v, h, hum[i].s);
		}
	}
	is_int(bad_hum, 0, "compact sizes: hand-derived values");
	{
		uint64_t v[3] = { 0, UINT64_MAX, UINT64_MAX };

		is_str(text_row(&L, v), "               0x0  0xffffffffffffffff       16E\n",
		       "0 and 2^64 - 1");
		is_str(text_row(&D, v), "    0       0xffffffffffffffff  18446744073709551615\n",
		       "20 digits overflow a narrow cell");
	}
	/*
	 * Many rows at once, at each vector level: rows_text_n (rows of
	 * values) and rows_text_ranges ((start, size) pairs) into a buffer
	 * that takes only some of them per call, against snprintf.
	 */
	{
		static const enum rows_kind fk[] = { ROWS_HEX, ROWS_DEC, ROWS_HUMAN };
		static const int fw[] = { 18, 5, 8 };
		static const char *const fkeys[] = { "phys", "order", NULL };
		static const unsigned char src[] = {
			ROWS_SRC_START, ROWS_SRC_LAST, ROWS_SRC_SIZE,
		};
		enum { NR = 3000 };
		static uint64_t vals[NR][3], pairs[NR][2], fvals[NR][3];
		static char want_all[NR * 64], got[NR * 64], fwant[NR * 64];
		struct rows_layout F;
		uint64_t want_bytes = 0;
		size_t wl = 0, fl = 0;
		int lvl;

		ok(rows_layout_init(&F, 3, 0, fk, fw, fkeys), "folios layout");
		for (i = 0; i < NR; i++) {
			uint64_t st, sz;
			char h[32];

			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			st = i < 64 ? UINT64_C(1) << i : seed >> (seed & 63);
			sz = i < 64 ? 1 : (seed >> 40) + 1;
			if (st + sz - 1 < st)
				st = 0;
			if (i == 70)
				st = 0;
			pairs[i][0] = vals[i][0] = st;
			pairs[i][1] = sz;
			vals[i][1] = st + sz - 1;
			vals[i][2] = sz;
			want_bytes += sz;
			rows_human(h, sz);
			snprintf(a, sizeof(a), "0x%" PRIx64, st);
			snprintf(b, sizeof(b), "0x%" PRIx64, st + sz - 1);
			wl += (size_t)sprintf(want_all + wl, "%18s  %18s  %8s\n", a, b, h);
			/* folio rows: an order that does not fit 5 digits now and then */
			fvals[i][0] = st;
			fvals[i][1] = i % 97 == 5 ? UINT64_C(1234567) : i % 19;
			fvals[i][2] = sz;
			fl += (size_t)sprintf(fwant + fl, "%18s  %5" PRIu64 "  %8s\n", a,
					      fvals[i][1], h);
		}
		for (lvl = 1; lvl <= 3; lvl++) {
			int got_lvl = rows_simd(lvl);
			uint64_t bytes = 0;
			size_t done, n, gl, room, lim, k;
			unsigned past_end = 0;
			char *o;
			const char *what[3] = { "rows_text_n", "rows_text_ranges",
						"rows_text_n (folios)" };
			int m;

			if (got_lvl != lvl) {
				skip(7, lvl == 2 ? "no AVX2 on this CPU" :
				     "no AVX-512 VBMI on this CPU");
				continue;
			}
			for (m = 0; m < 3; m++) {
				memset(got, '#', sizeof(got));
				past_end = 0;
				o = got;
				for (n = 0; n < NR; n += done) {
					/* room for about 100 rows per call */
					const char *end = o + 100 * 49 + (n % 7) * 13;

					if (m == 0)
						o = rows_text_n(o, end, &L, vals[n], NR - n, &done);
					else if (m == 1)
						o = rows_text_ranges(o, end, &L, src, pairs[n],
								     NR - n, &done, &bytes);
					else
						o = rows_text_n(o, end, &F, fvals[n], NR - n, &done);
					/*
					 * nothing past @end (fresh '#' there before the
					 * call): its next 64 bytes, within got[]
					 */
					room = (size_t)(got + sizeof(got) - end);
					lim = room < 64 ? room : 64;
					for (k = 0; k < lim && end[k] == '#'; k++)
						;
					if (k < lim && !past_end++)
						diag("level %d, %s: a row written past the end", lvl, what[m]);
					if (!done)
						break;
				}
				gl = (size_t)(o - got);
				if (m < 2)
					ok(n == NR && gl == wl && !memcmp(got, want_all, wl),
					   "level %d: %s, %d rows in calls of about 100 = snprintf",
					   lvl, what[m], NR);
				else
					ok(n == NR && gl == fl && !memcmp(got, fwant, fl),
					   "level %d: %s, %d rows, wide orders by the general path = snprintf",
					   lvl, what[m], NR);
				is_int(past_end, 0, "level %d: %s writes nothing past the end it is given",
				       lvl, what[m]);
				if (m == 1)
					ok(bytes == want_bytes,
					   "level %d: rows_text_ranges adds up the sizes of the rows it wrote",
					   lvl);
			}
		}
		rows_simd(0);
	}
	return done_testing();
}
