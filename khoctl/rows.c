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
#include <stdlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define ROWS_AVX2 1
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

size_t rows_dec(char *b, uint64_t v)
{
	char t[48];
	size_t n = dec(t, v);

	memcpy(b, t, n);
	b[n] = '\0';
	return n;
}

size_t rows_human(char *b, uint64_t v)
{
	char t[32];
	size_t n = human(t, v);

	memcpy(b, t, n);
	b[n] = '\0';
	return n;
}


/*
 * Fixed-length rows (x86-64: SSE2 is baseline). Every cell is right-
 * aligned and wide enough for any value of its kind (hex: 18 = "0x" and
 * 16 digits; compact size: 8 > the longest, "1023.9K"; decimal: up to 16
 * wide, checked per value), so a row is a template of spaces with each
 * cell's text stored at its fixed end. Cells are written right to left:
 * a cell's store may run left into its neighbour's area (spaces only,
 * rewritten when that cell is written), never right.
 */
#if defined(__SSE2__)
#define ROWS_FIXED 1

static char *text_general(char *o, const struct rows_layout *L,
			  const uint64_t *v);

/* 16 bytes of 0xff then 16 of 0: at +nd, the mask of 16 - nd leading bytes */
static const unsigned char lead_mask[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

/* "0x" and the significant hex digits of @x, right-aligned, ending at @e. */
static inline void hex_cell(char *e, uint64_t x)
{
	const __m128i m0f = _mm_set1_epi8(0x0f);
	unsigned nd = (unsigned)(67 - __builtin_clzll(x | 1)) >> 2;
	__m128i v = _mm_cvtsi64_si128((long long)__builtin_bswap64(x));
	__m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), m0f);
	__m128i lo = _mm_and_si128(v, m0f);
	__m128i n = _mm_unpacklo_epi8(hi, lo);
	__m128i gt9 = _mm_cmpgt_epi8(n, _mm_set1_epi8(9));
	__m128i m = _mm_loadu_si128((const __m128i *)(const void *)(lead_mask + nd));

	n = _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8('0')),
			 _mm_and_si128(gt9, _mm_set1_epi8(39)));
	/* the leading zeros become spaces */
	n = _mm_or_si128(_mm_and_si128(m, _mm_set1_epi8(' ')),
			 _mm_andnot_si128(m, n));
	_mm_storeu_si128((__m128i *)(void *)(e - 16), n);
	memcpy(e - nd - 2, "0x", 2);
}

/*
 * Compact sizes repeat (a few sizes make most rows): the last 8 bytes of
 * each recent one's cell, right-aligned, in a small direct-mapped cache
 * keyed by value. Every slot starts as the value 0 ("0B"), so a key
 * always matches its text. A pure function of the value: one cache serves
 * every table.
 */
#define HC0 { 0, { ' ', ' ', ' ', ' ', ' ', ' ', '0', 'B' } }
#define HC4 HC0, HC0, HC0, HC0
#define HC16 HC4, HC4, HC4, HC4
static struct {
	uint64_t key;
	char s[8];
} hcache[64] = { HC16, HC16, HC16, HC16 };

static inline void human_cell(char *e, uint64_t x)
{
	unsigned h = (unsigned)((x * UINT64_C(0x9e3779b97f4a7c15)) >> 58);

	if (__builtin_expect(hcache[h].key != x, 0)) {
		char b[32];
		size_t n = human(b, x);

		memset(hcache[h].s, ' ', 8);
		memcpy(hcache[h].s + 8 - n, b, n);
		hcache[h].key = x;
	}
	memcpy(e - 8, hcache[h].s, 8);
}

/* Decimal @x < 10^16, right-aligned in the 16 bytes ending at @e. */
static inline void dec_cell(char *e, uint64_t x)
{
	char t[48];
	size_t n;

	memcpy(t, spaces, 16);
	n = dec(t + 16, x);	/* n <= 16 digits at t + 16 */
	memcpy(e - 16, t + n, 16);
}

/*
 * A fixed row's layout in locals: stores through the char pointer of the
 * output could alias anything reachable, so the loops below read nothing
 * but these after they start.
 */
struct fixed {
	unsigned nc, len;
	unsigned char kind[ROWS_MAX_COLS];
	unsigned end[ROWS_MAX_COLS];	/* the byte after the cell */
	uint64_t lim[ROWS_MAX_COLS];
};

static inline void fixed_get(struct fixed *f, const struct rows_layout *L)
{
	unsigned i;

	memset(f, 0, sizeof(*f));
	f->nc = L->ncols;
	f->len = L->fixed_len;
	for (i = 0; i < L->ncols; i++) {
		f->kind[i] = L->col[i].kind;
		f->end[i] = L->col[i].off + (unsigned)L->col[i].width;
		f->lim[i] = L->col[i].lim;
	}
}

/*
 * The row at @o; NULL when a decimal does not fit (the general path).
 */
static char *text_fixed(char *o, const struct fixed *f, const uint64_t *v)
{
	unsigned i = f->nc;

	memcpy(o, spaces, 64);
	while (i--) {
		char *e = o + f->end[i];

		switch (f->kind[i]) {
		case ROWS_HEX:
			hex_cell(e, v[i]);
			break;
		case ROWS_HUMAN:
			human_cell(e, v[i]);
			break;
		default:
			if (v[i] >= f->lim[i])
				return NULL;
			dec_cell(e, v[i]);
			break;
		}
	}
	o[f->len - 1] = '\n';
	return o + f->len;
}


#if defined(ROWS_AVX2)
/*
 * AVX2 for the ranges table (picked at run time, see rows_simd): both hex
 * cells of a row in one register, each byte widened to a 16-bit lane
 * holding its two nibbles, which VPSHUFB turns into digits; the leading
 * zeros become spaces with one blend.
 */
static inline __attribute__((always_inline, target("avx2,lzcnt"))) char *
hhu_avx2_k(char *o, const char *end, size_t rowmax, const uint64_t *v,
	   size_t n, size_t *done, uint64_t *bytes, const bool two,
	   const unsigned e0, const unsigned e1, const unsigned e2,
	   const unsigned len)
{
	const __m256i sp = _mm256_set1_epi8(' ');
	const __m256i m0f = _mm256_set1_epi16(0x0f);
	const __m256i lut = _mm256_setr_epi8(
		'0', '1', '2', '3', '4', '5', '6', '7',
		'8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
		'0', '1', '2', '3', '4', '5', '6', '7',
		'8', '9', 'a', 'b', 'c', 'd', 'e', 'f');
	uint64_t sum = 0;
	size_t i, k;

	/* the rows that fit: each takes len bytes, rowmax for the last */
	k = (size_t)(end - o) >= rowmax ? ((size_t)(end - o) - rowmax) / len + 1 : 0;
	if (k > n)
		k = n;
	for (i = 0; i < k; i++, v += two ? 2 : 3) {
		/* two: (start, size) pairs, the row START, LAST = start + size - 1, SIZE */
		uint64_t x0 = v[0], x1 = two ? v[0] + v[1] - 1 : v[1];
		uint64_t x2 = two ? v[1] : v[2];
		unsigned nd0 = (unsigned)(67 - __builtin_clzll(x0 | 1)) >> 2;
		unsigned nd1 = (unsigned)(67 - __builtin_clzll(x1 | 1)) >> 2;
		__m128i b = _mm_set_epi64x((long long)__builtin_bswap64(x1),
					   (long long)__builtin_bswap64(x0));
		__m256i w = _mm256_cvtepu8_epi16(b);
		__m256i nib = _mm256_or_si256(_mm256_srli_epi16(w, 4),
			_mm256_slli_epi16(_mm256_and_si256(w, m0f), 8));
		__m256i dig = _mm256_shuffle_epi8(lut, nib);
		__m256i m = _mm256_inserti128_si256(_mm256_castsi128_si256(
			_mm_loadu_si128((const __m128i *)(const void *)(lead_mask + nd0))),
			_mm_loadu_si128((const __m128i *)(const void *)(lead_mask + nd1)), 1);

		dig = _mm256_blendv_epi8(dig, sp, m);
		_mm256_storeu_si256((__m256i *)(void *)o, sp);
		_mm256_storeu_si256((__m256i *)(void *)(o + 32), sp);
		human_cell(o + e2, x2);
		_mm_storeu_si128((__m128i *)(void *)(o + e1 - 16),
				 _mm256_extracti128_si256(dig, 1));
		memcpy(o + e1 - nd1 - 2, "0x", 2);
		_mm_storeu_si128((__m128i *)(void *)(o + e0 - 16),
				 _mm256_castsi256_si128(dig));
		memcpy(o + e0 - nd0 - 2, "0x", 2);
		o[len - 1] = '\n';
		o += len;
		sum += x2;
	}
	*done = i;
	*bytes += sum;
	return o;
}

__attribute__((target("avx2,lzcnt")))
static char *hhu_avx2(char *o, const char *end, size_t rowmax,
		      const struct fixed *f, const uint64_t *v, size_t n,
		      size_t *done)
{
	uint64_t unused = 0;

	if (f->end[0] == 18 && f->end[1] == 38 && f->end[2] == 48 && f->len == 49)
		return hhu_avx2_k(o, end, rowmax, v, n, done, &unused, false,
				  18, 38, 48, 49);
	return hhu_avx2_k(o, end, rowmax, v, n, done, &unused, false, f->end[0],
			  f->end[1], f->end[2], f->len);
}

__attribute__((target("avx2,lzcnt")))
static char *hhu_avx2_pairs(char *o, const char *end, size_t rowmax,
			    const struct fixed *f, const uint64_t *v, size_t n,
			    size_t *done, uint64_t *bytes)
{
	/* khoctl ranges' own table: its cells where the constants say */
	if (f->end[0] == 18 && f->end[1] == 38 && f->end[2] == 48 && f->len == 49)
		return hhu_avx2_k(o, end, rowmax, v, n, done, bytes, true,
				  18, 38, 48, 49);
	return hhu_avx2_k(o, end, rowmax, v, n, done, bytes, true, f->end[0],
			  f->end[1], f->end[2], f->len);
}
#endif

#if defined(ROWS_AVX2)
/*
 * AVX-512 VBMI (picked at run time) for the ranges table in its own
 * layout (cells ending at 18, 38 and 48, 49 bytes a row): a whole row in
 * one 64-byte register, written with one store (the buffer has room for
 * 64 bytes behind every row). VPMULTISHIFTQB spreads the nibbles of both
 * addresses (each qword twice: 8 digits a qword), VPERMB turns them into
 * digits; the row is then one VPERMB of a 64-byte source (the 32 digits,
 * the compact size's 8 bytes, ' ', '0', 'x', '\n') by an index vector:
 * the OR of the fixed part (size cell, '\n') and of one vector per hex
 * cell, chosen by the value's leading zero count (hex_idx below: spaces,
 * "0x", then the significant digits).
 */
enum { IX_SP = 40, IX_0 = 41, IX_X = 42, IX_NL = 43 };
static unsigned char hex_idx[2][64][64] __attribute__((aligned(64)));
static unsigned char row_idx[64] __attribute__((aligned(64)));

static void hex_idx_init(void)
{
	static const unsigned cend[2] = { 18, 38 }, cbeg[2] = { 0, 18 };
	unsigned c, lz, p;

	if (row_idx[48] == IX_NL)
		return;
	for (c = 0; c < 2; c++)
		for (lz = 0; lz < 64; lz++) {
			unsigned nd = (67 - lz) >> 2, e = cend[c];

			for (p = cbeg[c]; p < e; p++)
				hex_idx[c][lz][p] = p >= e - nd ? (unsigned char)(16 * c + p - (e - 16)) :
						    p == e - nd - 2 ? IX_0 :
						    p == e - nd - 1 ? IX_X : IX_SP;
		}
	for (p = 38; p < 64; p++)
		row_idx[p] = p >= 40 && p < 48 ? (unsigned char)(32 + p - 40) :
			     p == 48 ? IX_NL : IX_SP;
}

/* A compact size not in hcache: put it in slot @h (out of the hot loop). */
static __attribute__((noinline, cold)) void human_fill(unsigned h, uint64_t x)
{
	char b[32];
	size_t n = human(b, x);

	memset(hcache[h].s, ' ', 8);
	memcpy(hcache[h].s + 8 - n, b, n);
	hcache[h].key = x;
}

/* The compact size's 8-byte cell (hcache, as human_cell). */
static inline uint64_t human8(uint64_t x)
{
	unsigned h = (unsigned)((x * UINT64_C(0x9e3779b97f4a7c15)) >> 58);
	uint64_t r;

	if (__builtin_expect(hcache[h].key != x, 0))
		human_fill(h, x);
	memcpy(&r, hcache[h].s, 8);
	return r;
}

static inline __attribute__((always_inline,
			     target("avx512f,avx512bw,avx512vl,avx512vbmi,avx2,lzcnt"))) char *
hhu_avx512_k(char *o, const char *end, size_t rowmax, const uint64_t *v,
	     size_t n, size_t *done, uint64_t *bytes, const bool two)
{
	/* per qword: the bit offsets of 8 nibbles, the most significant first */
	const __m256i ctl = _mm256_setr_epi8(
		60, 56, 52, 48, 44, 40, 36, 32, 28, 24, 20, 16, 12, 8, 4, 0,
		60, 56, 52, 48, 44, 40, 36, 32, 28, 24, 20, 16, 12, 8, 4, 0);
	/* a nibble and junk above it: the low 5 bits index this */
	const __m256i lut = _mm256_setr_epi8(
		'0', '1', '2', '3', '4', '5', '6', '7',
		'8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
		'0', '1', '2', '3', '4', '5', '6', '7',
		'8', '9', 'a', 'b', 'c', 'd', 'e', 'f');
	const __m128i tail = _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0,
					   ' ', '0', 'x', '\n', 0, 0, 0, 0);
	const __m512i fixed = _mm512_load_si512((const void *)row_idx);
	const char *t0 = (const char *)hex_idx[0], *t1 = (const char *)hex_idx[1];
	uint64_t sum = 0;
	size_t i, k;

	k = (size_t)(end - o) >= rowmax ? ((size_t)(end - o) - rowmax) / 49 + 1 : 0;
	if (k > n)
		k = n;
	for (i = 0; i < k; i++, v += two ? 2 : 3) {
		uint64_t x0 = v[0], x1 = two ? v[0] + v[1] - 1 : v[1];
		uint64_t x2 = two ? v[1] : v[2];
		unsigned lz0 = (unsigned)__builtin_clzll(x0 | 1);
		unsigned lz1 = (unsigned)__builtin_clzll(x1 | 1);
		__m256i x4 = _mm256_permute4x64_epi64(_mm256_castsi128_si256(
			_mm_set_epi64x((long long)x1, (long long)x0)), 0x50);
		__m256i dig = _mm256_permutexvar_epi8(
			_mm256_multishift_epi64_epi8(ctl, x4), lut);
		__m128i hi = _mm_or_si128(_mm_cvtsi64_si128((long long)human8(x2)), tail);
		__m512i src = _mm512_inserti64x4(_mm512_castsi256_si512(dig),
						 _mm256_castsi128_si256(hi), 1);
		__m512i idx = _mm512_ternarylogic_epi32(fixed,
			_mm512_load_si512((const void *)(t0 + 64 * lz0)),
			_mm512_load_si512((const void *)(t1 + 64 * lz1)), 0xfe);

		_mm512_storeu_si512((void *)o, _mm512_permutexvar_epi8(idx, src));
		o += 49;
		sum += x2;
	}
	*done = i;
	*bytes += sum;
	return o;
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,avx2,lzcnt")))
static char *hhu_avx512(char *o, const char *end, size_t rowmax,
			const uint64_t *v, size_t n, size_t *done)
{
	uint64_t unused = 0;

	return hhu_avx512_k(o, end, rowmax, v, n, done, &unused, false);
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,avx2,lzcnt")))
static char *hhu_avx512_pairs(char *o, const char *end, size_t rowmax,
			      const uint64_t *v, size_t n, size_t *done,
			      uint64_t *bytes)
{
	return hhu_avx512_k(o, end, rowmax, v, n, done, bytes, true);
}

/* khoctl ranges' own layout, which hhu_avx512 writes */
static inline bool hhu_std(const struct fixed *f)
{
	return f->end[0] == 18 && f->end[1] == 38 && f->end[2] == 48 && f->len == 49;
}
#endif

/* 0 = not decided, 1 = SSE2, 2 = AVX2, 3 = AVX-512 VBMI */
static int simd;

/*
 * The best level this CPU runs (what hhu_avx2 and hhu_avx512 use), asked
 * with CPUID when the rows first need it. Not __builtin_cpu_supports():
 * that links libgcc's __cpu_indicator_init, a constructor that runs some
 * twenty CPUIDs in every khoctl process before main, each a VM exit under
 * a hypervisor (~50 us of `khoctl --version` on the issue 20 machine).
 */
static int cpu_level(void)
{
#if defined(ROWS_AVX2)
	unsigned a, b, c, d, b7, c7, lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX))
		return 1;
	/* XCR0: the OS saves the YMM state (bits 1, 2), and the ZMM state (5-7) */
	__asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	(void)hi;
	if ((lo & 0x6) != 0x6 || !__get_cpuid_count(7, 0, &a, &b7, &c7, &d) ||
	    !(b7 & bit_AVX2) || !__get_cpuid(0x80000001, &a, &b, &c, &d) ||
	    !(c & bit_ABM))
		return 1;
	if ((lo & 0xe6) == 0xe6 && (b7 & bit_AVX512F) && (b7 & bit_AVX512BW) &&
	    (b7 & bit_AVX512VL) && (c7 & bit_AVX512VBMI))
		return 3;
	return 2;
#else
	return 1;
#endif
}

/*
 * The level on first use: the CPU's best, capped by KHOFMT_CPU as the
 * library's kernels are (generic or popcnt: the SSE2 rows; avx2: AVX2).
 */
static int simd_level(void)
{
	if (!simd) {
		const char *cap = getenv("KHOFMT_CPU");

		simd = cpu_level();
		if (cap && (!strcmp(cap, "generic") || !strcmp(cap, "popcnt")))
			simd = 1;
		else if (cap && !strcmp(cap, "avx2") && simd > 2)
			simd = 2;
	}
#if defined(ROWS_AVX2)
	if (simd == 3)
		hex_idx_init();
#endif
	return simd;
}

int rows_simd(int level)
{
	int best = cpu_level();

	simd = 0;
	if (level > 0)
		simd = level < best ? level : best;
	return simd_level();
}

static inline bool use_avx2(void)
{
	return simd_level() >= 2;
}

/*
 * Rows of @f at @o while room for L->rowmax remains before @end: *@done
 * rows. The table of khoctl ranges (hex, hex, compact size: two million
 * rows for 16 GiB of scattered pages) has a loop of its own, its cells in
 * straight code.
 */
static char *fixed_rows(char *o, const char *end, const struct rows_layout *L,
			const struct fixed *f, const uint64_t *v, size_t n,
			size_t *done)
{
	const size_t rowmax = L->rowmax;
	size_t i = 0;

	if (f->nc == 3 && f->kind[0] == ROWS_HEX && f->kind[1] == ROWS_HEX &&
	    f->kind[2] == ROWS_HUMAN) {
		const unsigned e0 = f->end[0], e1 = f->end[1], e2 = f->end[2];
		const unsigned len = f->len;

#if defined(ROWS_AVX2)
		if (simd_level() == 3 && hhu_std(f))
			return hhu_avx512(o, end, rowmax, v, n, done);
		if (use_avx2())
			return hhu_avx2(o, end, rowmax, f, v, n, done);
#endif
		for (; i < n && (size_t)(end - o) >= rowmax; i++, v += 3) {
			memcpy(o, spaces, 64);
			human_cell(o + e2, v[2]);
			hex_cell(o + e1, v[1]);
			hex_cell(o + e0, v[0]);
			o[len - 1] = '\n';
			o += len;
		}
	} else {
		for (; i < n && (size_t)(end - o) >= rowmax; i++, v += f->nc) {
			char *e = text_fixed(o, f, v);

			o = e ? e : text_general(o, L, v);
		}
	}
	*done = i;
	return o;
}
#endif

/* The fixed row length of @L's text rows, 0 when they are not fixed. */
static unsigned fixed_len(struct rows_layout *L)
{
#if defined(ROWS_FIXED)
	unsigned i, off = (unsigned)L->indent;

	for (i = 0; i < L->ncols; i++) {
		int w = L->col[i].width;

		if (i)
			off += 2;
		switch (L->col[i].kind) {
		case ROWS_HEX:
			if (w < 18)
				return 0;
			break;
		case ROWS_HUMAN:
			if (w < 8)
				return 0;
			break;
		default:
			/* the 16-byte store stays in the row */
			if (w < 1 || w > 16 || off + (unsigned)w < 16)
				return 0;
			L->col[i].lim = 1;
			for (int k = 0; k < w; k++)
				L->col[i].lim *= 10;
			break;
		}
		L->col[i].off = (unsigned short)off;
		off += (unsigned)w;
	}
	/* the row and its '\n' inside the 64-byte template */
	return off + 1 <= 64 ? off + 1 : 0;
#else
	(void)L;
	return 0;
#endif
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
	L->fixed_len = fixed_len(L);
	return nj > 0;
}

static char *text_general(char *o, const struct rows_layout *L,
			  const uint64_t *v)
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

char *rows_text(char *o, const struct rows_layout *L, const uint64_t *v)
{
#if defined(ROWS_FIXED)
	if (L->fixed_len) {
		struct fixed f;
		char *e;

		fixed_get(&f, L);
		e = text_fixed(o, &f, v);
		if (e)
			return e;
	}
#endif
	return text_general(o, L, v);
}

char *rows_text_n(char *o, const char *end, const struct rows_layout *L,
		  const uint64_t *v, size_t n, size_t *done)
{
	size_t i, nc = L->ncols;

#if defined(ROWS_FIXED)
	if (L->fixed_len) {
		struct fixed f;

		fixed_get(&f, L);
		return fixed_rows(o, end, L, &f, v, n, done);
	}
#endif
	for (i = 0; i < n && (size_t)(end - o) >= L->rowmax; i++, v += nc)
		o = text_general(o, L, v);
	*done = i;
	return o;
}

char *rows_text_ranges(char *o, const char *end, const struct rows_layout *L,
		       const unsigned char *src, const uint64_t *pr, size_t n,
		       size_t *done, uint64_t *bytes)
{
	size_t i, c, nc = L->ncols;
	uint64_t v[ROWS_MAX_COLS], sum = 0;

#if defined(ROWS_FIXED) && defined(ROWS_AVX2)
	if (L->fixed_len && nc == 3 && src[0] == ROWS_SRC_START &&
	    src[1] == ROWS_SRC_LAST && src[2] == ROWS_SRC_SIZE &&
	    L->col[0].kind == ROWS_HEX && L->col[1].kind == ROWS_HEX &&
	    L->col[2].kind == ROWS_HUMAN && use_avx2()) {
		struct fixed f;

		fixed_get(&f, L);
		if (simd_level() == 3 && hhu_std(&f))
			return hhu_avx512_pairs(o, end, L->rowmax, pr, n, done, bytes);
		return hhu_avx2_pairs(o, end, L->rowmax, &f, pr, n, done, bytes);
	}
#endif
	for (i = 0; i < n && (size_t)(end - o) >= L->rowmax; i++, pr += 2) {
		for (c = 0; c < nc; c++)
			v[c] = src[c] == ROWS_SRC_START ? pr[0] :
			       src[c] == ROWS_SRC_LAST ? pr[0] + pr[1] - 1 : pr[1];
		o = rows_text(o, L, v);
		sum += pr[1];
	}
	*bytes += sum;
	*done = i;
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
