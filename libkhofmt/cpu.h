/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hot loops with runtime CPU dispatch (not installed). Debian builds for
 * the x86-64 baseline, which has no POPCNT: __builtin_popcountll becomes a
 * call into libgcc's bit-twiddling __popcountdi2. Each kernel here exists
 * as a generic version (any CPU, any compiler flags) and, on x86-64, as
 * versions compiled for POPCNT and AVX2; the best one the CPU has is
 * picked on first use.
 *
 * KHOFMT_CPU=generic (or popcnt) in the environment caps the choice: the
 * fallback can be run, and tested, on any machine.
 */
#ifndef KHOFMT_CPU_H
#define KHOFMT_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum khofmt_cpu_level {
	KHOFMT_CPU_GENERIC,
	KHOFMT_CPU_POPCNT,	/* x86-64: POPCNT */
	KHOFMT_CPU_AVX2,	/* x86-64: AVX2 and POPCNT */
	KHOFMT_CPU_NLEVELS
};

/* Set bits in the @n 8-byte words at @p (any alignment), dispatched. */
uint64_t khofmt_popcount_words(const unsigned char *p, size_t n);

/*
 * The non-zero 8-byte words of the @n words at @p (any alignment; @n a
 * multiple of 64, a radix table): bit k of mask[b] is set when word
 * 64 * b + k is not zero, and bit b % 64 of blocks[b / 64] when mask[b] is
 * not 0 (the caller skips the zero blocks without a test each). Returns
 * the OR of all the words as loaded (native byte order; le64toh() of it is
 * the OR of their values): 0 when all are zero. Dispatched: AVX2 reads 512
 * bytes with one test when they are all zero, and builds a block's mask
 * with VPCMPEQQ/VMOVMSKPD only when they are not.
 */
uint64_t khofmt_nonzero_words(const unsigned char *p, size_t n, uint64_t *mask,
			      uint64_t *blocks);

/* The level khofmt_popcount_words uses (CPU and KHOFMT_CPU). */
enum khofmt_cpu_level khofmt_cpu_level(void);

/*
 * Whether the bit-scanning kernels (the runs of a leaf word) may use
 * BMI1/BMI2 (TZCNT, BLSR, SHLX): x86-64 at the AVX2 level (KHOFMT_CPU
 * unset or avx2) on a CPU that has both.
 */
bool khofmt_cpu_bmi(void);

/*
 * The kernel of one level, for tests that compare them; NULL when this
 * build or this CPU does not have it.
 */
typedef uint64_t (*khofmt_popcount_fn)(const unsigned char *p, size_t n);
khofmt_popcount_fn khofmt_popcount_impl(enum khofmt_cpu_level level);

typedef uint64_t (*khofmt_nonzero_fn)(const unsigned char *p, size_t n,
				      uint64_t *mask, uint64_t *blocks);
khofmt_nonzero_fn khofmt_nonzero_impl(enum khofmt_cpu_level level);

#endif
