// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl synth --schemas: a demo set of sub-schemas shaped like the real
 * 7.2.13 capture (tests/fixtures/linux-7.2.13-lean-luo/README.md):
 * kexec-metadata, a memblock reserve_mem region "sample" (1028 KiB), a
 * kho_test blob with a few folios, and LUO sessions holdout-main (memfds
 * 0x1a: 3 MiB pattern, pos 12345; 0x2b: 10000 bytes of text, seals 0x6;
 * 0x4d: empty) and holdout-state (999: 4 KiB). The memfd contents follow
 * the README's definitions, so their hashes match the capture's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth_schemas.h"

/* Between the encoder's meta area and the default RAM window. */
#define DEMO_REGION UINT64_C(0x20000000)
#define DEMO_TEST   UINT64_C(0x21000000)

static void pattern_1a(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t w = UINT64_C(0x484f4c444f555400) ^
			     ((uint64_t)(i / 8) * UINT64_C(0x9E3779B97F4A7C15));
		unsigned b;

		for (b = 0; b < 8; b++)
			p[i + b] = (unsigned char)(w >> (8 * b));
	}
}

static void pattern_2b(unsigned char *p, size_t n)
{
	char line[64];
	size_t i = 0;
	unsigned k = 0;

	while (i < n) {
		size_t l = (size_t)snprintf(line, sizeof(line),
					    "holdout memfd 0x2b line %04u\n", k++);

		memcpy(p + i, line, n - i < l ? n - i : l);
		i += l;
	}
}

int synth_schemas(struct khofmt_enc *enc)
{
	static const size_t s1a = 3u << 20, s2b = 10000, s999 = 4096;
	const struct khofmt_enc_region reg = { "sample", DEMO_REGION, 1028 * 1024 };
	const uint64_t tphys[4] = { DEMO_TEST, DEMO_TEST + 0x100000,
				    DEMO_TEST + 0x180000, DEMO_TEST + 0x1c0000 };
	const unsigned tord[4] = { 8, 7, 6, 0 };
	unsigned char *d1a = malloc(s1a), *d2b = malloc(s2b), *d999 = calloc(1, s999);
	struct khofmt_enc_luo_file main_files[3] = {
		{ .token = 0x1a, .pos = 12345, .data = d1a, .size = s1a, .seals = 1 },
		{ .token = 0x2b, .data = d2b, .size = s2b, .seals = 6 },
		{ .token = 0x4d, .seals = 1 },
	};
	struct khofmt_enc_luo_file state_files[1] = {
		{ .token = 999, .data = d999, .size = s999, .seals = 1 },
	};
	const struct khofmt_enc_luo_session sess[2] = {
		{ "holdout-main", main_files, 3 },
		{ "holdout-state", state_files, 1 },
	};
	int r;

	if (!d1a || !d2b || !d999) {
		r = -KHOFMT_ERR_NOMEM;
		goto out;
	}
	pattern_1a(d1a, s1a);
	pattern_2b(d2b, s2b);
	r = khofmt_enc_kexec_meta(enc, "khoctl-synth", 1);
	r = r ? r : khofmt_enc_memblock(enc, &reg, 1);
	r = r ? r : khofmt_enc_kho_test(enc, tphys, tord, 4);
	r = r ? r : khofmt_enc_luo(enc, 1, sess, 2, NULL, 0);
out:
	free(d1a);
	free(d2b);
	free(d999);
	return r;
}
