// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Runtime CPU dispatch for the hot loops (see cpu.h). The choice is made
 * once, on first use, and kept in one word: it depends only on the CPU
 * and the environment, which do not change while a process runs, so the
 * race between two first callers is harmless (both store the same value).
 * This is the library's only file-scope mutable state, of the same kind as
 * GCC's own target_clones resolvers; unlike those it can be capped by
 * KHOFMT_CPU, which the tests use to run the generic path.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/*
 * Generic: the classic SWAR count (what libgcc's __popcountdi2 does, but
 * inline, four words per turn). On arm64, __builtin_popcountll is CNT and
 * the compiler uses it here.
 */
static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;	/* byte order does not change a count */
}

static uint64_t popcount_generic(const unsigned char *p, size_t n)
{
	uint64_t sum = 0;
	size_t i;

#if defined(__x86_64__)
	for (i = 0; i < n; i++) {
		uint64_t x = load64(p + 8 * i);

		x = x - ((x >> 1) & UINT64_C(0x5555555555555555));
		x = (x & UINT64_C(0x3333333333333333)) +
		    ((x >> 2) & UINT64_C(0x3333333333333333));
		x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
		sum += (x * UINT64_C(0x0101010101010101)) >> 56;
	}
#else
	for (i = 0; i < n; i++)
		sum += (uint64_t)__builtin_popcountll(load64(p + 8 * i));
#endif
	return sum;
}

/* Bit k set: word k of the 8 at @q (a cache line) is not zero. */
static inline uint64_t line_mask(const unsigned char *q)
{
	uint64_t m = 0;
	unsigned k;

	for (k = 0; k < 8; k++)
		m |= (uint64_t)(load64(q + 8 * k) != 0) << k;
	return m;
}

/*
 * Generic: a 512-byte block with one test when it is all zero (SSE2, the
 * x86-64 baseline: 32 loads ORed in four chains), else a line at a time,
 * a word's bit only in a line that is not zero.
 */
static uint64_t nonzero_generic(const unsigned char *p, size_t n,
				uint64_t *mask, uint64_t *blocks)
{
	uint64_t all = 0;
	size_t b;

	for (b = 0; b < n / 64; b += 64)
		blocks[b / 64] = 0;
	for (b = 0; b < n / 64; b++) {
		const unsigned char *q = p + 512 * b;
		uint64_t m = 0;
		unsigned l;

#if defined(__SSE2__)
		{
#define LD(k) _mm_loadu_si128((const __m128i *)(const void *)(q + 16 * (k)))
#define OR4(k) _mm_or_si128(_mm_or_si128(LD(k), LD(k + 1)), \
			    _mm_or_si128(LD(k + 2), LD(k + 3)))
			__m128i a0 = _mm_or_si128(OR4(0), OR4(4));
			__m128i a1 = _mm_or_si128(OR4(8), OR4(12));
			__m128i a2 = _mm_or_si128(OR4(16), OR4(20));
			__m128i a3 = _mm_or_si128(OR4(24), OR4(28));
#undef OR4
#undef LD

			a0 = _mm_or_si128(_mm_or_si128(a0, a1), _mm_or_si128(a2, a3));
			if (_mm_movemask_epi8(_mm_cmpeq_epi8(a0, _mm_setzero_si128())) == 0xffff) {
				mask[b] = 0;
				continue;
			}
		}
#endif
		for (l = 0; l < 8; l++) {
			const unsigned char *r = q + 64 * l;
			uint64_t o = ((load64(r) | load64(r + 8)) |
				      (load64(r + 16) | load64(r + 24))) |
				     ((load64(r + 32) | load64(r + 40)) |
				      (load64(r + 48) | load64(r + 56)));

			if (!o)
				continue;
			all |= o;
			m |= line_mask(r) << (8 * l);
		}
		mask[b] = m;
		blocks[b / 64] |= (uint64_t)(m != 0) << (b % 64);
	}
	return all;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("popcnt")))
static uint64_t popcount_popcnt(const unsigned char *p, size_t n)
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i = 0;

	/* four chains: one POPCNT per word and cycle */
	for (; i + 4 <= n; i += 4) {
		s0 += (uint64_t)__builtin_popcountll(load64(p + 8 * i));
		s1 += (uint64_t)__builtin_popcountll(load64(p + 8 * i + 8));
		s2 += (uint64_t)__builtin_popcountll(load64(p + 8 * i + 16));
		s3 += (uint64_t)__builtin_popcountll(load64(p + 8 * i + 24));
	}
	for (; i < n; i++)
		s0 += (uint64_t)__builtin_popcountll(load64(p + 8 * i));
	return s0 + s1 + s2 + s3;
}

/*
 * AVX2: a nibble lookup per byte (VPSHUFB), byte sums folded into 64-bit
 * lanes by VPSADBW every 31 vectors (a byte lane then holds at most
 * 31 * 8 = 248).
 */
__attribute__((target("avx2,popcnt")))
static uint64_t popcount_avx2(const unsigned char *p, size_t n)
{
	const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
					     0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
	const __m256i low = _mm256_set1_epi8(0x0f);
	const __m256i zero = _mm256_setzero_si256();
	__m256i acc = zero;
	uint64_t sum;
	size_t i = 0;

	while (i + 4 <= n) {
		size_t lim = n - i > 4 * 31 ? i + 4 * 31 : n;
		__m256i a8 = zero;

		for (; i + 4 <= lim; i += 4) {
			__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + 8 * i));
			__m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(v, low));
			__m256i hi = _mm256_shuffle_epi8(lut,
				_mm256_and_si256(_mm256_srli_epi16(v, 4), low));

			a8 = _mm256_add_epi8(a8, _mm256_add_epi8(lo, hi));
		}
		acc = _mm256_add_epi64(acc, _mm256_sad_epu8(a8, zero));
	}
	sum = (uint64_t)_mm256_extract_epi64(acc, 0) +
	      (uint64_t)_mm256_extract_epi64(acc, 1) +
	      (uint64_t)_mm256_extract_epi64(acc, 2) +
	      (uint64_t)_mm256_extract_epi64(acc, 3);
	for (; i < n; i++)
		sum += (uint64_t)__builtin_popcountll(load64(p + 8 * i));
	return sum;
}

/*
 * AVX2: a 512-byte block is 16 loads ORed in four chains and one VPTEST;
 * only a block that is not all zero has its mask built, four words a
 * VPCMPEQQ/VMOVMSKPD (the block is in L1 by then).
 */
__attribute__((target("avx2")))
static uint64_t nonzero_avx2(const unsigned char *p, size_t n, uint64_t *mask,
			     uint64_t *blocks)
{
	const __m256i zero = _mm256_setzero_si256();
	__m256i all = zero;
	uint64_t r;
	size_t b;

	for (b = 0; b < n / 64; b += 64)
		blocks[b / 64] = 0;
	for (b = 0; b < n / 64; b++) {
		const unsigned char *q = p + 512 * b;
		__m256i a0, a1, a2, a3;
		uint64_t m = 0;
		unsigned k;

#define LD(k) _mm256_loadu_si256((const __m256i *)(const void *)(q + 32 * (k)))
		a0 = _mm256_or_si256(_mm256_or_si256(LD(0), LD(4)),
				     _mm256_or_si256(LD(8), LD(12)));
		a1 = _mm256_or_si256(_mm256_or_si256(LD(1), LD(5)),
				     _mm256_or_si256(LD(9), LD(13)));
		a2 = _mm256_or_si256(_mm256_or_si256(LD(2), LD(6)),
				     _mm256_or_si256(LD(10), LD(14)));
		a3 = _mm256_or_si256(_mm256_or_si256(LD(3), LD(7)),
				     _mm256_or_si256(LD(11), LD(15)));
		a0 = _mm256_or_si256(_mm256_or_si256(a0, a1),
				     _mm256_or_si256(a2, a3));
		if (_mm256_testz_si256(a0, a0)) {
			mask[b] = 0;
			continue;
		}
		all = _mm256_or_si256(all, a0);
		/* read the block again (L1) rather than keep 16 registers live */
		__asm__ volatile("" : : : "memory");
#pragma GCC unroll 16
		for (k = 0; k < 16; k++)
			m |= (uint64_t)(unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(
				_mm256_cmpeq_epi64(LD(k), zero))) << (4 * k);
#undef LD
		mask[b] = ~m;
		blocks[b / 64] |= UINT64_C(1) << (b % 64);
	}
	r = (uint64_t)_mm256_extract_epi64(all, 0) | (uint64_t)_mm256_extract_epi64(all, 1) |
	    (uint64_t)_mm256_extract_epi64(all, 2) | (uint64_t)_mm256_extract_epi64(all, 3);
	return r;
}

static enum khofmt_cpu_level cpu_best(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
		return KHOFMT_CPU_AVX2;
	if (__builtin_cpu_supports("popcnt"))
		return KHOFMT_CPU_POPCNT;
	return KHOFMT_CPU_GENERIC;
}
#else
static enum khofmt_cpu_level cpu_best(void)
{
	return KHOFMT_CPU_GENERIC;
}
#endif

khofmt_popcount_fn khofmt_popcount_impl(enum khofmt_cpu_level level)
{
	if ((unsigned)level >= KHOFMT_CPU_NLEVELS || level > cpu_best())
		return NULL;
	switch (level) {
#if defined(__x86_64__) && defined(__GNUC__)
	case KHOFMT_CPU_AVX2:
		return popcount_avx2;
	case KHOFMT_CPU_POPCNT:
		return popcount_popcnt;
#endif
	default:
		return popcount_generic;
	}
}

khofmt_nonzero_fn khofmt_nonzero_impl(enum khofmt_cpu_level level)
{
	if ((unsigned)level >= KHOFMT_CPU_NLEVELS || level > cpu_best())
		return NULL;
#if defined(__x86_64__) && defined(__GNUC__)
	if (level == KHOFMT_CPU_AVX2)
		return nonzero_avx2;
#endif
	return nonzero_generic;
}

/* The CPU's best level, capped by KHOFMT_CPU (generic, popcnt, avx2). */
static enum khofmt_cpu_level cpu_pick(void)
{
	static const char *const names[KHOFMT_CPU_NLEVELS] = {
		"generic", "popcnt", "avx2",
	};
	enum khofmt_cpu_level best = cpu_best(), l;
	const char *cap = getenv("KHOFMT_CPU");

	if (cap)
		for (l = KHOFMT_CPU_GENERIC; l < KHOFMT_CPU_NLEVELS; l++)
			if (!strcmp(cap, names[l]) && l < best)
				best = l;
	return best;
}

/* 0 = not chosen yet, else level + 1 */
static unsigned chosen;

enum khofmt_cpu_level khofmt_cpu_level(void)
{
	unsigned c = __atomic_load_n(&chosen, __ATOMIC_RELAXED);

	if (!c) {
		c = (unsigned)cpu_pick() + 1;
		__atomic_store_n(&chosen, c, __ATOMIC_RELAXED);
	}
	return (enum khofmt_cpu_level)(c - 1);
}

uint64_t khofmt_popcount_words(const unsigned char *p, size_t n)
{
	static khofmt_popcount_fn fn;
	khofmt_popcount_fn f = __atomic_load_n(&fn, __ATOMIC_RELAXED);

	if (!f) {
		f = khofmt_popcount_impl(khofmt_cpu_level());
		__atomic_store_n(&fn, f, __ATOMIC_RELAXED);
	}
	return f(p, n);
}

uint64_t khofmt_nonzero_words(const unsigned char *p, size_t n, uint64_t *mask,
			      uint64_t *blocks)
{
	static khofmt_nonzero_fn fn;
	khofmt_nonzero_fn f = __atomic_load_n(&fn, __ATOMIC_RELAXED);

	if (!f) {
		f = khofmt_nonzero_impl(khofmt_cpu_level());
		__atomic_store_n(&fn, f, __ATOMIC_RELAXED);
	}
	return f(p, n, mask, blocks);
}

bool khofmt_cpu_bmi(void)
{
	static unsigned bmi;	/* 0 = not known yet, 1 = no, 2 = yes */
	unsigned b = __atomic_load_n(&bmi, __ATOMIC_RELAXED);

	if (!b) {
		b = 1;
#if defined(__x86_64__) && defined(__GNUC__)
		/* the AVX2 level has POPCNT, which the kernel uses too */
		/* the AVX2 level has POPCNT, which the kernel uses too */
		if (khofmt_cpu_level() >= KHOFMT_CPU_AVX2 &&
		    __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2"))
			b = 2;
#endif
		__atomic_store_n(&bmi, b, __ATOMIC_RELAXED);
	}
	return b == 2;
}
