// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The streaming row writer: `khoctl ranges` writes 2 million rows for a
 * 16 GiB set of scattered pages (4 million with --folios), so a row costs
 * a few instructions per byte here: hex digits sixteen at a time (SSE2,
 * baseline on x86-64; elsewhere a shift-and-mask spread of the nibbles), decimals eight digits at a time
 * from a two-digit table, padding and digits moved with fixed-size copies
 * (the buffer has slack behind every row), no printf, no strlen, no call
 * per field. out.c collects the rows in one large buffer and hands it to
 * stdio when full.
 *
 * Hand-written on purpose: a table library (libsmartcols) keeps every row
 * in memory until the table is printed, so that it can size the columns;
 * these tables have fixed column widths and may have millions of rows,
 * which must stream in O(1) memory. Human-facing tables with computed
 * widths can use such a library; this writer is only for the row streams.
 */
#include <endian.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "rows.h"

static const char spaces[64] =
	"                                                                ";

static const char pairs[200] =
	"0001020304050607080910111213141516171819"
	"2021222324252627282930313233343536373839"
	"4041424344454647484950515253545556575859"
	"6061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* 16 hex digits of @x (leading zeros kept) at @d. */
#if defined(__SSE2__)
/* SSE2 (every x86-64): nibbles interleaved, '0' + n, +39 past 9 */
static inline void hex16(char *d, uint64_t x)
{
	const __m128i m0f = _mm_set1_epi8(0x0f);
	__m128i v = _mm_cvtsi64_si128((long long)__builtin_bswap64(x));
	__m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), m0f);
	__m128i lo = _mm_and_si128(v, m0f);
	__m128i n = _mm_unpacklo_epi8(hi, lo);
	__m128i gt9 = _mm_cmpgt_epi8(n, _mm_set1_epi8(9));

	n = _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8('0')),
			 _mm_and_si128(gt9, _mm_set1_epi8(39)));
	_mm_storeu_si128((__m128i *)(void *)d, n);
}
#else
static inline void hex16(char *d, uint64_t x)
{
	uint64_t h = x >> 32, l = x & 0xffffffffu, m;

	/* nibble i of each half to byte i, then digits: '0' + n, +39 past 9 */
	h = (h | (h << 16)) & UINT64_C(0x0000ffff0000ffff);
	l = (l | (l << 16)) & UINT64_C(0x0000ffff0000ffff);
	h = (h | (h << 8)) & UINT64_C(0x00ff00ff00ff00ff);
	l = (l | (l << 8)) & UINT64_C(0x00ff00ff00ff00ff);
	h = (h | (h << 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
	l = (l | (l << 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
	m = ((h + UINT64_C(0x0606060606060606)) >> 4) & UINT64_C(0x0101010101010101);
	h += UINT64_C(0x3030303030303030) + m * 39;
	m = ((l + UINT64_C(0x0606060606060606)) >> 4) & UINT64_C(0x0101010101010101);
	l += UINT64_C(0x3030303030303030) + m * 39;
	/* the most significant nibble first */
	h = htobe64(h);
	l = htobe64(l);
	memcpy(d, &h, 8);
	memcpy(d + 8, &l, 8);
}
#endif

/* Digits of @x < 10^8, exactly 8 of them, at @d. */
static inline void dec8(char *d, uint32_t x)
{
	uint32_t a = x / 10000, b = x % 10000;

	memcpy(d, pairs + 2 * (a / 100), 2);
	memcpy(d + 2, pairs + 2 * (a % 100), 2);
	memcpy(d + 4, pairs + 2 * (b / 100), 2);
	memcpy(d + 6, pairs + 2 * (b % 100), 2);
}

/*
 * Decimal digits of @v at @o; returns their number. Writes up to 24 bytes
 * (the digits, then junk the caller overwrites or ignores).
 */
static inline size_t dec(char *o, uint64_t v)
{
	char t[48];
	char *e = t + 24, *p = e;
	uint32_t x;

	while (v >= 100000000) {
		p -= 8;
		dec8(p, (uint32_t)(v % 100000000));
		v /= 100000000;
	}
	x = (uint32_t)v;
	while (x >= 100) {
		p -= 2;
		memcpy(p, pairs + 2 * (x % 100), 2);
		x /= 100;
	}
	if (x >= 10) {
		p -= 2;
		memcpy(p, pairs + 2 * x, 2);
	} else {
		*--p = (char)('0' + x);
	}
	memcpy(o, p, 24);
	return (size_t)(e - p);
}

/* Compact size at @o (up to 16 bytes written); its length. */
static inline size_t human(char *o, uint64_t v)
{
	static const char units[] = "BKMGTPE";
	unsigned u = 0, shift;
	uint64_t tenth = 0;
	size_t n;

	if (v >> 10) {
		u = (unsigned)(63 - __builtin_clzll(v)) / 10;
		shift = 10 * u;
		/* top 10 bits of the remainder, then tenths, rounded */
		tenth = (((v & ((UINT64_C(1) << shift) - 1)) >> (shift - 10)) * 10 +
			 512) >> 10;
		v >>= shift;
		if (tenth == 10) {
			v++;
			tenth = 0;
		}
	}
	/* v <= 1024 here */
	if (v >= 1000) {
		o[0] = '1';
		memcpy(o + 1, pairs + 2 * ((v - 1000) / 10), 2);
		o[3] = (char)('0' + v % 10);
		n = 4;
	} else if (v >= 100) {
		o[0] = (char)('0' + v / 100);
		memcpy(o + 1, pairs + 2 * (v % 100), 2);
		n = 3;
	} else if (v >= 10) {
		memcpy(o, pairs + 2 * v, 2);
		n = 2;
	} else {
		o[0] = (char)('0' + v);
		n = 1;
	}
	if (tenth) {
		o[n] = '.';
		o[n + 1] = (char)('0' + tenth);
		n += 2;
	}
	o[n] = units[u];
	return n + 1;
}

size_t rows_human(char *b, uint64_t v)
{
	char t[32];
	size_t n = human(t, v);

	memcpy(b, t, n);
	b[n] = '\0';
	return n;
}

bool rows_layout_init(struct rows_layout *L, unsigned ncols, int indent,
		      const enum rows_kind *kinds, const int *widths,
		      const char *const *keys)
{
	size_t need = 64 + (size_t)(indent > 0 ? indent : 0), kl;
	unsigned i, nj = 0;

	memset(L, 0, sizeof(*L));
	if (ncols > ROWS_MAX_COLS || indent < 0 || indent > 64)
		return false;
	L->ncols = ncols;
	L->indent = indent;
	for (i = 0; i < ncols; i++) {
		int w = widths[i] < 0 ? -widths[i] : widths[i];

		if (w > 64)
			return false;
		L->col[i].kind = (unsigned char)kinds[i];
		L->col[i].width = widths[i];
		/* a cell: pad (up to 2 + 2w with a left-aligned neighbour's),
		 * 20 digits, fixed-size copies running up to 64 bytes on */
		need += 2 + 2 * (size_t)w + 24 + 64;
		if (!keys[i])
			continue;
		kl = strlen(keys[i]);
		if (kl > 40)
			return false;
		L->col[i].json = true;
		L->col[i].jpre[0] = nj++ ? ',' : '{';
		L->col[i].jpre[1] = '"';
		memcpy(L->col[i].jpre + 2, keys[i], kl);
		L->col[i].jpre[2 + kl] = '"';
		L->col[i].jpre[3 + kl] = ':';
		L->col[i].jlen = (unsigned char)(kl + 4);
		need += kl + 4;
	}
	L->rowmax = need;
	return nj > 0;
}

char *rows_text(char *o, const struct rows_layout *L, const uint64_t *v)
{
	unsigned i, nc = L->ncols;
	int pending = 0, lead = L->indent;

	for (i = 0; i < nc; i++) {
		int w = L->col[i].width, pad_n = lead + pending;
		unsigned kind = L->col[i].kind;
		uint64_t x = v[i];
		size_t n;

		if (kind == ROWS_HEX) {
			char d[32];
			size_t nd = x ? (size_t)(67 - __builtin_clzll(x)) / 4 : 1;

			hex16(d, x);
			n = nd + 2;
			if (w > (int)n)
				pad_n += w - (int)n;
			if (__builtin_expect(pad_n > (int)sizeof(spaces), 0))
				memset(o, ' ', (size_t)pad_n);
			else
				memcpy(o, spaces, sizeof(spaces));
			o += pad_n;
			o[0] = '0';
			o[1] = 'x';
			/* the nd significant digits, then junk overwritten later */
			memcpy(o + 2, d + 16 - nd, 16);
		} else {
			char b[32];

			n = kind == ROWS_HUMAN ? human(b, x) : dec(b, x);
			if (w > (int)n)
				pad_n += w - (int)n;
			if (__builtin_expect(pad_n > (int)sizeof(spaces), 0))
				memset(o, ' ', (size_t)pad_n);
			else
				memcpy(o, spaces, sizeof(spaces));
			o += pad_n;
			memcpy(o, b, 24);
		}
		o += n;
		pending = w < 0 && -w > (int)n ? -w - (int)n : 0;
		lead = 2;
	}
	*o++ = '\n';
	return o;
}

char *rows_json(char *o, const struct rows_layout *L, const uint64_t *v,
		bool first)
{
	unsigned i;

	if (!first)
		*o++ = ',';
	for (i = 0; i < L->ncols; i++) {
		if (!L->col[i].json)
			continue;
		memcpy(o, L->col[i].jpre, sizeof(L->col[i].jpre));
		o += L->col[i].jlen;
		o += dec(o, v[i]);
	}
	*o++ = '}';
	return o;
}
