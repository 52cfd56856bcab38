// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The dispatched hot loops (libkhofmt/cpu.c, compiled into this test):
 * every kernel the CPU has against a bit-at-a-time count and hand-derived
 * values, at every length 0..70 and every byte misalignment; and
 * KHOFMT_CPU=generic caps the dispatch to the generic kernel. The radix
 * table scan (khofmt_nonzero_words) of every level against a word-by-word
 * test: each word alone, random sparse tables, misaligned starts.
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
	/*
	 * The table scan (khofmt_nonzero_words): a mask bit per non-zero word,
	 * against a word-by-word test written here: every single word of a
	 * 512-word table alone (each lane of each 32-byte vector of each
	 * 512-byte block), a word with only its top byte or only its low
	 * byte set, random sparse tables, and misaligned starts.
	 */
	for (l = KHOFMT_CPU_GENERIC; l < KHOFMT_CPU_NLEVELS; l++) {
		khofmt_nonzero_fn f = khofmt_nonzero_impl((enum khofmt_cpu_level)l);
		uint64_t mask[8], want[8], blocks[1], wor, got;
		unsigned bad = 0, w, b, k, off;

		if (!f) {
			skip(4, "this CPU or build lacks the kernel");
			continue;
		}
		memset(buf, 0, sizeof(buf));
		blocks[0] = ~UINT64_C(0);
		got = f(buf, 512, mask, blocks);
		ok(got == 0 && !(mask[0] | mask[1] | mask[2] | mask[3] | mask[4] |
				 mask[5] | mask[6] | mask[7]) && blocks[0] == 0,
		   "%s: scan of a zero table: OR 0, no mask bit, no block", names[l]);
		for (w = 0; w < 512; w++)
			for (b = 0; b < 8; b += 7) {
				/* only byte b of word w: the low or the top byte */
				buf[8 * w + b] = 0x10;
				got = f(buf, 512, mask, blocks);
				for (k = 0; k < 8; k++)
					if (mask[k] != (k == w / 64 ? UINT64_C(1) << (w % 64) : 0))
						break;
				if (k < 8 || got != (uint64_t)0x10 << (8 * b) ||
				    blocks[0] != UINT64_C(1) << (w / 64)) {
					if (!bad++)
						diag("%s: word %u byte %u: mask[%u] %016llx, OR %016llx",
						     names[l], w, b, k < 8 ? k : 0,
						     (unsigned long long)mask[k < 8 ? k : 0],
						     (unsigned long long)got);
				}
				buf[8 * w + b] = 0;
			}
		is_int(bad, 0, "%s: scan: each of 512 words alone (low byte, top byte): "
		       "its one mask bit and block bit, the OR its value", names[l]);
		bad = 0;
		for (off = 0; off < 8; off++) {
			unsigned rep;
			uint64_t wor2;

			for (rep = 0; rep < 20; rep++) {
				memset(buf, 0, sizeof(buf));
				memset(want, 0, sizeof(want));
				wor = 0;
				/* 0..15 random words, random values (a byte or all 8) */
				for (k = rnd(&seed) % 16; k > 0; k--) {
					uint64_t v = rnd(&seed);

					w = (unsigned)(rnd(&seed) % 512);
					if (rnd(&seed) & 1)
						v &= 0xff;
					if (!v)
						v = 1;
					memcpy(buf + off + 8 * w, &v, 8);
					want[w / 64] |= UINT64_C(1) << (w % 64);
				}
				for (w = 0; w < 512; w++) {
					uint64_t v;

					memcpy(&v, buf + off + 8 * w, 8);
					wor |= v;
				}
				got = f(buf + off, 512, mask, blocks);
				for (k = 0, wor2 = 0; k < 8; k++)
					wor2 |= (uint64_t)(want[k] != 0) << k;
				if (got != wor || memcmp(mask, want, sizeof(want)) ||
				    blocks[0] != wor2)
					bad++;
			}
		}
		is_int(bad, 0, "%s: scan: 160 random sparse tables at offsets 0..7 = "
		       "the word-by-word test", names[l]);
		/* a 64 KiB table: 8192 words, 128 blocks, two block words */
		bad = 0;
		for (w = 0; w < 8192; w += 61) {
			static uint64_t big[8192], bmask[128];
			uint64_t bblocks[2];

			memset(big, 0, sizeof(big));
			big[w] = UINT64_C(1) << (w % 64);
			got = f((const unsigned char *)big, 8192, bmask, bblocks);
			for (k = 0; k < 128; k++)
				if (bmask[k] != (k == w / 64 ? UINT64_C(1) << (w % 64) : 0))
					break;
			if (k < 128 || got != big[w] ||
			    bblocks[0] != (w / 64 < 64 ? UINT64_C(1) << (w / 64) : 0) ||
			    bblocks[1] != (w / 64 >= 64 ? UINT64_C(1) << (w / 64 - 64) : 0))
				bad++;
		}
		is_int(bad, 0, "%s: scan of a 64 KiB table: every 61st of 8192 words "
		       "alone, its mask bit and block bit", names[l]);
	}

	/* the dispatched entry point, capped to generic, agrees as well */
	is_u64(khofmt_popcount_words(buf, 4096), oracle(buf, 4096),
	       "khofmt_popcount_words (generic) = bit count");
	return done_testing();
}
