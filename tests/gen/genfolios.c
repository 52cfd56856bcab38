// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * genfolios: a seeded list of distinct, aligned folios for the CLI tests,
 * written as "PHYS ORDER" lines (the `khoctl synth --folios` format).
 * Independent of libkhofmt and khoctl: the tests compare what khoctl
 * decodes with what this program intended.
 *
 *   genfolios --count N --ram SIZE [--order O] [--seed S]
 *             [--avoid BASE:SIZE]... [--sorted] [--decimal]
 *
 * SIZE takes K/M/G/T suffixes (binary). Folios are drawn uniformly from the
 * aligned slots of [0, RAM) that do not intersect an --avoid window, in the
 * order drawn (or sorted by address with --sorted). PHYS is written as
 * 0x... hexadecimal, or in decimal with --decimal.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SHIFT 12

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t *s, uint64_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n, r;

	do
		r = splitmix64(s);
	while (r >= lim);
	return r % n;
}

static bool parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	switch (*end) {
	case 'T': x <<= 10; /* fall through */
	case 'G': x <<= 10; /* fall through */
	case 'M': x <<= 10; /* fall through */
	case 'K': x <<= 10; end++; break;
	case 0: break;
	default: return false;
	}
	if (*end)
		return false;
	*v = x;
	return true;
}

static void usage(void)
{
	fprintf(stderr, "usage: genfolios --count N --ram SIZE [--order O] [--seed S] "
		"[--avoid BASE:SIZE]... [--sorted] [--decimal]\n");
	exit(64);
}

int main(int argc, char **argv)
{
	uint64_t count = 0, ram = 0, seed = 1, slots, i, *out;
	uint64_t avoid[16][2];
	unsigned navoid = 0, order = 0, a;
	unsigned char *taken;
	bool sorted = false, decimal = false;
	int k;

	for (k = 1; k < argc; k++) {
		const char *o = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
		uint64_t x;

		if (!strcmp(o, "--sorted")) {
			sorted = true;
			continue;
		}
		if (!strcmp(o, "--decimal")) {
			decimal = true;
			continue;
		}
		if (!v)
			usage();
		k++;
		if (!strcmp(o, "--count") && parse_size(v, &count))
			continue;
		if (!strcmp(o, "--ram") && parse_size(v, &ram))
			continue;
		if (!strcmp(o, "--seed") && parse_size(v, &seed))
			continue;
		if (!strcmp(o, "--order") && parse_size(v, &x) && x <= 40) {
			order = (unsigned)x;
			continue;
		}
		if (!strcmp(o, "--avoid") && navoid < 16) {
			char buf[64], *colon;

			snprintf(buf, sizeof(buf), "%s", v);
			colon = strchr(buf, ':');
			if (colon) {
				*colon = 0;
				if (parse_size(buf, &avoid[navoid][0]) &&
				    parse_size(colon + 1, &avoid[navoid][1])) {
					navoid++;
					continue;
				}
			}
		}
		usage();
	}
	if (!ram || ram >> 52 || (ram >> (PAGE_SHIFT + order)) == 0)
		usage();
	slots = ram >> (PAGE_SHIFT + order);
	if (count > slots || slots > (UINT64_C(1) << 34))
		usage();
	taken = calloc(slots / 8 + 1, 1);
	out = malloc((count ? count : 1) * sizeof(*out));
	if (!taken || !out)
		return 2;
	/* mark avoided slots as taken */
	for (a = 0; a < navoid; a++) {
		uint64_t lo = avoid[a][0] >> (PAGE_SHIFT + order);
		uint64_t hi = (avoid[a][0] + avoid[a][1] + (UINT64_C(1) << (PAGE_SHIFT + order)) - 1) >>
			      (PAGE_SHIFT + order);

		for (i = lo; i < hi && i < slots; i++)
			taken[i / 8] |= (unsigned char)(1u << (i % 8));
	}
	for (i = 0; i < count; i++) {
		uint64_t s, tries = 0;

		do {
			s = rnd_below(&seed, slots);
			if (++tries > 1000000)
				return 3; /* too dense for rejection sampling */
		} while (taken[s / 8] & (1u << (s % 8)));
		taken[s / 8] |= (unsigned char)(1u << (s % 8));
		out[i] = s;
	}
	if (sorted) {
		/* the taken bitmap minus the avoided slots is the sorted set */
		uint64_t n = 0;

		for (a = 0; a < navoid; a++) {
			uint64_t lo = avoid[a][0] >> (PAGE_SHIFT + order);
			uint64_t hi = (avoid[a][0] + avoid[a][1] +
				       (UINT64_C(1) << (PAGE_SHIFT + order)) - 1) >>
				      (PAGE_SHIFT + order);

			for (i = lo; i < hi && i < slots; i++)
				taken[i / 8] &= (unsigned char)~(1u << (i % 8));
		}
		for (i = 0; i < slots && n < count; i++)
			if (taken[i / 8] & (1u << (i % 8)))
				out[n++] = i;
	}
	for (i = 0; i < count; i++)
		if (printf(decimal ? "%" PRIu64 " %u\n" : "0x%" PRIx64 " %u\n",
			   out[i] << (PAGE_SHIFT + order), order) < 0)
			return 2;
	free(taken);
	free(out);
	return fflush(stdout) ? 2 : 0;
}
