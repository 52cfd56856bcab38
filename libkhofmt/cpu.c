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
