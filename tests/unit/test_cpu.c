// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The dispatched hot loops (libkhofmt/cpu.c, compiled into this test):
 * every kernel the CPU has against a bit-at-a-time count and hand-derived
 * values, at every length 0..70 and every byte misalignment; and
 * KHOFMT_CPU=generic caps the dispatch to the generic kernel.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../libkhofmt/cpu.h"
#include "tap.h"

static uint64_t oracle(const unsigned char *p, size_t nwords)
{
	uint64_t n = 0;
	size_t i;
	unsigned b;

	for (i = 0; i < nwords * 8; i++)
		for (b = 0; b < 8; b++)
			n += (p[i] >> b) & 1;
	return n;
}

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64*: fixed seed, reproducible */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

int main(void)
{
	static const char *const names[] = { "generic", "popcnt", "avx2" };
	static unsigned char buf[8 * 4096 + 64];
	uint64_t seed = 0x9e3779b97f4a7c15u;
	unsigned l;
	size_t i;

	/* KHOFMT_CPU is read once, on first use: set it before anything */
	setenv("KHOFMT_CPU", "generic", 1);
	is_int(khofmt_cpu_level(), KHOFMT_CPU_GENERIC,
	       "KHOFMT_CPU=generic caps the dispatch");
	ok(khofmt_popcount_impl(KHOFMT_CPU_GENERIC) != NULL,
	   "the generic kernel exists everywhere");
	ok(khofmt_popcount_impl(KHOFMT_CPU_NLEVELS) == NULL, "no level beyond");

	for (l = 0; l < KHOFMT_CPU_NLEVELS; l++) {
		khofmt_popcount_fn f = khofmt_popcount_impl((enum khofmt_cpu_level)l);
		unsigned bad = 0, off;
		size_t n;

		if (!f) {
			skip(4, "this CPU or build lacks the kernel");
			continue;
		}
		memset(buf, 0xff, sizeof(buf));
		is_u64(f(buf, 4096), 4096 * 64, "%s: 4096 words all ones", names[l]);
		memset(buf, 0x55, sizeof(buf));
		is_u64(f(buf + 3, 512), 512 * 32, "%s: 0x55 bytes, 1 in 2, misaligned",
		       names[l]);
		memset(buf, 0, sizeof(buf));
		buf[8 * 300 + 7] = 0x80;	/* bit 63 of word 300 */
		is_u64(f(buf, 512), 1, "%s: one bit", names[l]);
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (unsigned char)rnd(&seed);
		for (off = 0; off < 8; off++)
			for (n = 0; n <= 70 + 300 * (off == 0); n++)
				if (f(buf + off, n) != oracle(buf + off, n)) {
					if (!bad++)
						diag("%s: offset %u, %zu words: %llu, bit count %llu",
						     names[l], off, n,
						     (unsigned long long)f(buf + off, n),
						     (unsigned long long)oracle(buf + off, n));
				}
		is_int(bad, 0, "%s: random words, lengths 0..70 (0..370), offsets 0..7 = bit count",
		       names[l]);
	}
	/* the dispatched entry point, capped to generic, agrees as well */
	is_u64(khofmt_popcount_words(buf, 4096), oracle(buf, 4096),
	       "khofmt_popcount_words (generic) = bit count");
	return done_testing();
}
