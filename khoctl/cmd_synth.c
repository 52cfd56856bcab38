// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl synth: write a synthetic handover (PREFIX.fdt + PREFIX.elf) with
 * the libkhofmt encoder, from a folio list or a seeded generator.
 *
 * Generators place folios in a RAM window [ram-base, ram-base + ram) that
 * must not overlap the encoder's meta area (tracker pages, root FDT,
 * blobs). They are deterministic for a given seed (splitmix64, never
 * rand()) and their memory use is bounded: a random choice of k of n units
 * costs min(1 bit per unit, O(k)) -- a bitmap or Floyd's algorithm.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "khoctl.h"
#include "out.h"
#include "synth_schemas.h"

/* The encoder's meta area, passed explicitly so the checks here match. */
#define META_BASE UINT64_C(0x1000000)
#define META_SIZE (UINT64_C(256) << 20)
#define DEFAULT_RAM_BASE UINT64_C(0x100000000)
#define GIB_SHIFT 30

enum gen_kind { GEN_NONE, GEN_RANDOM0, GEN_MIXED, GEN_HUGE };

static const char *const gen_names[] = {
	[GEN_RANDOM0] = "random0",
	[GEN_MIXED] = "mixed",
	[GEN_HUGE] = "huge",
};

struct synth_args {
	struct input_opts in; /* only the common options: page shift, output */
	const char *prefix;
	const char *folios_path;
	enum gen_kind gen;
	uint64_t ram, ram_base;
	double density;
	bool have_density;
	uint64_t count;
	bool have_count;
	uint64_t seed;
	char **blobs; /* "NAME=FILE" */
	size_t nblobs;
	bool schemas; /* --schemas: demo sub-schemas (synth_schemas.c) */
	struct synth_luo *luo; /* --luo SPEC */
};

struct synth {
	struct khofmt_enc *enc;
	struct khofmt_geom geom;
	uint64_t seed; /* splitmix64 state */
	uint64_t folios, bytes;
};

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64 (Steele, Lea, Flood 2014)                          */
/* ------------------------------------------------------------------ */

static uint64_t rnd_next(struct synth *s)
{
	uint64_t z = (s->seed += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0, without modulo bias (Lemire 2019). */
static uint64_t rnd_below(struct synth *s, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)rnd_next(s) * n;

	if ((uint64_t)m < n) {
		uint64_t t = -n % n;

		while ((uint64_t)m < t)
			m = (unsigned __int128)rnd_next(s) * n;
	}
	return (uint64_t)(m >> 64);
}

/* Uniform in [0, 1). */
static double rnd_unit(struct synth *s)
{
	return (double)(rnd_next(s) >> 11) * 0x1p-53;
}

/* ------------------------------------------------------------------ */
/* Adding folios                                                       */
/* ------------------------------------------------------------------ */

static bool overlaps_meta(uint64_t start, uint64_t size)
{
	return start < META_BASE + META_SIZE && META_BASE < start + size;
}

static int add(struct synth *s, uint64_t phys, unsigned order)
{
	int r = khofmt_enc_add_folio(s->enc, phys, order);

	if (r < 0) {
		char what[64];

		snprintf(what, sizeof(what), "folio 0x%llx order %u",
			 (unsigned long long)phys, order);
		return out_lib_err(what, r, khofmt_enc_errmsg(s->enc));
	}
	s->folios++;
	s->bytes += UINT64_C(1) << (s->geom.page_shift + order);
	return 0;
}

/* "PHYS ORDER" lines; '#' starts a comment. Parse errors give 64. */
static int load_folios(struct synth *s, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	const char *name = f == stdin ? "standard input" : path;
	char *line = NULL, *p, *tok[3], *save;
	size_t cap = 0, lineno = 0;
	uint64_t phys, order;
	char where[512];
	int r = 0, i;

	if (!f)
		return out_err(path, "cannot open: %s", strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		snprintf(where, sizeof(where), "%s:%zu", name, lineno);
		p = strchr(line, '#');
		if (p)
			*p = '\0';
		for (i = 0, p = line; i < 3; i++, p = NULL)
			tok[i] = strtok_r(p, " \t\r\n", &save);
		if (!tok[0])
			continue;
		if (!tok[1] || tok[2]) {
			out_err(where, "expected \"PHYS ORDER\"");
			r = KHOCTL_EXIT_USAGE;
			break;
		}
		if (!input_parse_u64(tok[0], &phys)) {
			out_err(where, "bad address '%s'", tok[0]);
			r = KHOCTL_EXIT_USAGE;
			break;
		}
		if (!input_parse_u64(tok[1], &order) ||
		    order > s->geom.max_order) {
			out_err(where, "bad order '%s' (0..%u)", tok[1],
				s->geom.max_order);
			r = KHOCTL_EXIT_USAGE;
			break;
		}
		if (!khofmt_radix_key(&s->geom, phys, (unsigned)order)) {
			out_err(where, "0x%llx is not aligned to order %u or "
				"beyond %u-bit physical addresses",
				(unsigned long long)phys, (unsigned)order,
				s->geom.phys_bits);
			r = KHOCTL_EXIT_USAGE;
			break;
		}
		if (overlaps_meta(phys, UINT64_C(1) << (s->geom.page_shift + order))) {
			out_err(where, "0x%llx order %u overlaps the encoder's "
				"meta area [0x%llx, 0x%llx)",
				(unsigned long long)phys, (unsigned)order,
				(unsigned long long)META_BASE,
				(unsigned long long)(META_BASE + META_SIZE));
			r = KHOCTL_EXIT_USAGE;
			break;
		}
		r = add(s, phys, (unsigned)order);
		if (r)
			break;
	}
	if (!r && ferror(f))
		r = out_err(name, "read error: %s", strerror(errno));
	free(line);
	if (f != stdin)
		fclose(f);
	return r;
}

/* ------------------------------------------------------------------ */
/* Random choice of k of n units without repetition                    */
/* ------------------------------------------------------------------ */

/* Open-addressing set of unit numbers (stored + 1; 0 = empty). */
struct uset {
	uint64_t *slot;
	uint64_t mask;
	unsigned bits;
};

static size_t uset_index(const struct uset *u, uint64_t x)
{
	return (size_t)((x * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - u->bits));
}

/* Insert @x; returns false if it was there already. */
static bool uset_add(struct uset *u, uint64_t x)
{
	size_t i = uset_index(u, x);

	while (u->slot[i]) {
		if (u->slot[i] == x + 1)
			return false;
		i = (i + 1) & u->mask;
	}
	u->slot[i] = x + 1;
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Preserve k of the n order-@order units starting at @base, chosen
 * uniformly at random without repetition, in ascending address order.
 * With k > n/2 the n - k units to leave out are drawn instead. Floyd's
 * algorithm draws them (exactly one draw per unit, no rejection) into a
 * bitmap (1 bit per unit, handed to the encoder a leaf at a time) or, when
 * smaller, a hash set (O(k)).
 */
static int sample(struct synth *s, uint64_t base, uint64_t n, uint64_t k,
		  unsigned order)
{
	const unsigned shift = s->geom.page_shift + order;
	const bool invert = k > n / 2;
	const uint64_t m = invert ? n - k : k;
	unsigned bits = 4;
	uint64_t i, j, x, *sorted = NULL, nsorted = 0, *bm = NULL;
	struct uset u = { NULL, 0, 0 };
	int r = 0;

	while (bits < 62 && (UINT64_C(1) << bits) < 2 * m)
		bits++;
	if ((n + 63) / 64 <= (UINT64_C(1) << bits)) {
		/* bitmap as Floyd's set: exactly m draws, no rejection */
		bm = calloc((size_t)((n + 63) / 64), sizeof(*bm));
		if (!bm)
			return out_err("synth", "out of memory (bitmap of %llu units)",
				       (unsigned long long)n);
		for (j = n - m; j < n; j++) {
			x = rnd_below(s, j + 1);
			if (bm[x / 64] & (UINT64_C(1) << (x % 64)))
				x = j;
			bm[x / 64] |= UINT64_C(1) << (x % 64);
		}
		if (invert) {
			for (i = 0; i < (n + 63) / 64; i++)
				bm[i] = ~bm[i];
			if (n % 64)
				bm[n / 64] &= (UINT64_C(1) << (n % 64)) - 1;
		}
		/* a leaf at a time, not a tree descent per folio */
		r = khofmt_enc_add_bitmap(s->enc, base, order, bm, n);
		free(bm);
		if (r < 0)
			return out_lib_err("folios", r, khofmt_enc_errmsg(s->enc));
		s->folios += k;
		s->bytes += k << shift;
		return 0;
	}

	/* Floyd: for j in [n - m, n): t = rand[0, j]; add t, or j if taken */
	u.bits = bits;
	u.mask = (UINT64_C(1) << bits) - 1;
	u.slot = calloc((size_t)1 << bits, sizeof(*u.slot));
	if (!u.slot)
		return out_err("synth", "out of memory (set of %llu units)",
			       (unsigned long long)m);
	for (j = n - m; j < n; j++)
		if (!uset_add(&u, rnd_below(s, j + 1)))
			uset_add(&u, j);
	/* compact and sort in place for address order */
	sorted = u.slot;
	for (i = 0; i <= u.mask; i++)
		if (u.slot[i])
			sorted[nsorted++] = u.slot[i] - 1;
	qsort(sorted, (size_t)nsorted, sizeof(*sorted), cmp_u64);
	if (!invert) {
		for (i = 0; i < nsorted && !r; i++)
			r = add(s, base + (sorted[i] << shift), order);
	} else {
		for (i = 0, j = 0; i < n && !r; i++) {
			if (j < nsorted && sorted[j] == i)
				j++;
			else
				r = add(s, base + (i << shift), order);
		}
	}
	free(u.slot);
	return r;
}

/* ------------------------------------------------------------------ */
/* Generators                                                          */
/* ------------------------------------------------------------------ */

/*
 * mixed: each block stops splitting with probability 1/(order + 1) (always
 * at order 0) and is then preserved with probability @density. Every order
 * gets about the same share of bytes; counts grow towards small orders,
 * which looks like a real mix of pages, THPs and large reservations.
 *
 * Sampled top-down so that the cost follows the preserved folios, not the
 * RAM: z[o] is the probability that a block of order o ends up holding no
 * preserved folio,
 *	z[0] = 1 - d,  z[o] = (1 - d) / (o + 1) + o / (o + 1) * z[o-1]^2,
 * an empty block is skipped whole, and a non-empty one stops or splits with
 * the probabilities conditioned on being non-empty. Same distribution as
 * visiting every block, without visiting the empty ones.
 */
#define MIXED_MAX_ORDER 64

static int mixed_nonempty(struct synth *s, uint64_t phys, unsigned order,
			  double density, const double *z)
{
	uint64_t half;
	double zc, v;
	int r;

	if (!order ||
	    rnd_unit(s) * (1 - z[order]) < density / (order + 1))
		return add(s, phys, order);
	half = UINT64_C(1) << (s->geom.page_shift + order - 1);
	zc = z[order - 1];
	/* halves (empty, full), (full, empty), (full, full) */
	v = rnd_unit(s) * (1 - zc * zc);
	if (v < zc * (1 - zc))
		return mixed_nonempty(s, phys + half, order - 1, density, z);
	r = mixed_nonempty(s, phys, order - 1, density, z);
	if (r || v < 2 * zc * (1 - zc))
		return r;
	return mixed_nonempty(s, phys + half, order - 1, density, z);
}

static int mixed_fill(struct synth *s, uint64_t phys, unsigned order,
		      double density, const double *z)
{
	if (rnd_unit(s) < z[order])
		return 0;
	return mixed_nonempty(s, phys, order, density, z);
}

static unsigned ctz64(uint64_t x)
{
	return x ? (unsigned)__builtin_ctzll(x) : 64;
}

static unsigned log2_floor(uint64_t x)
{
	return 63 - (unsigned)__builtin_clzll(x);
}

static uint64_t count_of(const struct synth_args *a, uint64_t units)
{
	double k;

	if (a->have_count)
		return a->count;
	k = a->density * (double)units + 0.5;
	return k >= (double)units ? units : (uint64_t)k;
}

static int generate(struct synth *s, const struct synth_args *a)
{
	const unsigned ps = s->geom.page_shift, huge = GIB_SHIFT - ps;
	const uint64_t end = a->ram_base + a->ram;
	uint64_t first, n, k, pa;
	double z[MIXED_MAX_ORDER];
	unsigned order;
	int r = 0;

	switch (a->gen) {
	case GEN_RANDOM0:
	case GEN_HUGE:
		order = a->gen == GEN_HUGE ? huge : 0;
		first = (a->ram_base + (UINT64_C(1) << (ps + order)) - 1) &
			~((UINT64_C(1) << (ps + order)) - 1);
		n = first < end ? (end - first) >> (ps + order) : 0;
		k = count_of(a, n);
		if (k > n) {
			out_err("synth", "--count %llu: the RAM holds only %llu "
				"%s folios", (unsigned long long)k,
				(unsigned long long)n,
				a->gen == GEN_HUGE ? "1 GiB" : "order-0");
			return KHOCTL_EXIT_USAGE;
		}
		return k ? sample(s, first, n, k, order) : 0;
	case GEN_MIXED:
		z[0] = 1 - a->density;
		for (order = 1; order <= huge && order < MIXED_MAX_ORDER; order++)
			z[order] = (1 - a->density) / (order + 1) +
				   (double)order / (order + 1) *
				   z[order - 1] * z[order - 1];
		/* greedy blocks, as kho_preserve_pages() cuts a range */
		for (pa = a->ram_base; pa < end && !r;) {
			order = ctz64(pa >> ps);
			if (order > huge)
				order = huge;
			if (order > log2_floor((end - pa) >> ps))
				order = log2_floor((end - pa) >> ps);
			r = mixed_fill(s, pa, order, a->density, z);
			pa += UINT64_C(1) << (ps + order);
		}
		return r;
	case GEN_NONE:
		break;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

static int add_blobs(struct synth *s, const struct synth_args *a)
{
	size_t i, len;
	void *data;
	char *eq;
	int r;

	for (i = 0; i < a->nblobs; i++) {
		eq = strchr(a->blobs[i], '=');
		*eq = '\0'; /* checked by the parser */
		r = input_read_file(eq + 1, INPUT_MAX_FILE, &data, &len);
		if (r)
			return r;
		if (!len) {
			free(data);
			return out_err(eq + 1, "empty: a blob needs at least one byte");
		}
		r = khofmt_enc_add_blob(s->enc, a->blobs[i], data, len, NULL);
		free(data);
		if (r < 0) {
			char what[300];

			snprintf(what, sizeof(what), "blob %s", a->blobs[i]);
			return out_lib_err(what, r, *khofmt_enc_errmsg(s->enc) ?
					   khofmt_enc_errmsg(s->enc) :
					   "a subnode name has 1..63 characters, "
					   "no '/' or '@'");
		}
	}
	return 0;
}

static int write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "we");
	int e;

	if (!f)
		return out_err(path, "cannot create: %s", strerror(errno));
	if (fwrite(buf, 1, len, f) != len || fflush(f)) {
		e = errno;
		fclose(f);
		return out_err(path, "write error: %s", strerror(e));
	}
	if (fclose(f))
		return out_err(path, "write error: %s", strerror(errno));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

enum {
	OPT_FOLIOS = 0x300,
	OPT_RAM,
	OPT_RAM_BASE,
	OPT_BLOB,
	OPT_SCHEMAS,
	OPT_LUO,
	OPT_OUTPUT,
};

static const struct argp_option synth_options[] = {
	/* long only: -o means the columns of a table in every other command */
	{ "output", OPT_OUTPUT, "PREFIX", 0,
	  "Write PREFIX.fdt (root FDT) and PREFIX.elf (ELF core of the "
	  "tracker pages and blobs); required", 0 },
	{ "folios", OPT_FOLIOS, "FILE", 0,
	  "Preserve the folios listed in FILE, one \"PHYS ORDER\" per line "
	  "(hex 0x... or decimal, # comments); - reads standard input", 0 },
	{ "gen", 'g', "KIND", 0,
	  "Generate folios: random0 (order-0 pages, uniform, no repeats), "
	  "mixed (orders 0..1 GiB, non-overlapping, about --density of the "
	  "RAM), huge (1 GiB folios, sparse)", 0 },
	{ "ram", OPT_RAM, "SIZE", 0,
	  "RAM size for the generators (suffixes K, M, G, T); required with --gen", 0 },
	{ "ram-base", OPT_RAM_BASE, "ADDR", 0,
	  "Physical address of the RAM window (default 0x100000000, above "
	  "the encoder's meta area 0x1000000..0x11000000)", 0 },
	{ "density", 'd', "F", 0,
	  "Fraction of the RAM to preserve, 0..1 (random0, huge, mixed)", 0 },
	{ "count", 'c', "N", 0, "Number of folios (random0, huge)", 0 },
	{ "seed", 's', "N", 0, "PRNG seed (default 0): same seed, same output", 0 },
	{ "blob", OPT_BLOB, "NAME=FILE", 0,
	  "Add subnode NAME whose blob is the content of FILE (repeatable)", 0 },
	{ "schemas", OPT_SCHEMAS, NULL, 0,
	  "Add demo sub-schemas shaped like the 7.2.13 capture: "
	  "kexec-metadata, memblock region \"sample\", kho_test, LUO "
	  "sessions with memfds (placed at 0x20000000..0x22000000 and in the "
	  "meta area)", 0 },
	{ "luo", OPT_LUO, "SPEC", 0,
	  "Add a LUO subnode (luo-v5) with the sessions of SPEC: "
	  "NAME:TOKEN=SIZE[+POS][/SEALS],...;NAME2:... (memfd-v2 files with "
	  "deterministic content; SIZE takes K/M suffixes; @FILE instead of "
	  "SIZE: the content of FILE)", 0 },
	{ 0 }
};

static void check_args(struct argp_state *state, struct synth_args *a)
{
	uint64_t phys_end = UINT64_C(1) << 52;

	if (!a->prefix)
		argp_error(state, "--output PREFIX is required");
	if (a->gen && a->folios_path)
		argp_error(state, "--gen and --folios exclude each other");
	if (!a->gen) {
		if (a->ram || a->have_count || a->have_density)
			argp_error(state, "--ram, --count and --density need --gen");
		return;
	}
	if (!a->ram)
		argp_error(state, "--gen needs --ram SIZE");
	if (a->gen == GEN_MIXED && (a->have_count || !a->have_density))
		argp_error(state, "--gen mixed needs --density F (not --count)");
	if (a->gen != GEN_MIXED && a->have_count == a->have_density)
		argp_error(state, "--gen %s needs one of --count N and --density F",
			   gen_names[a->gen]);
	a->ram &= ~((UINT64_C(1) << a->in.page_shift) - 1);
	if (!a->ram || (a->ram_base & ((UINT64_C(1) << a->in.page_shift) - 1)))
		argp_error(state, "--ram and --ram-base must be multiples of the "
			   "page size");
	if (a->ram_base >= phys_end || a->ram > phys_end - a->ram_base)
		argp_error(state, "the RAM window ends above 2^52");
	if (overlaps_meta(a->ram_base, a->ram))
		argp_error(state, "the RAM window [0x%llx, 0x%llx) overlaps the "
			   "encoder's meta area [0x%llx, 0x%llx)",
			   (unsigned long long)a->ram_base,
			   (unsigned long long)(a->ram_base + a->ram),
			   (unsigned long long)META_BASE,
			   (unsigned long long)(META_BASE + META_SIZE));
}

static error_t synth_parse(int key, char *arg, struct argp_state *state)
{
	struct synth_args *a = state->input;
	char **nb, *end;
	size_t g;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->in;
		return 0;
	case OPT_OUTPUT:
		a->prefix = arg;
		return 0;
	case OPT_FOLIOS:
		a->folios_path = arg;
		return 0;
	case 'g':
		for (g = GEN_RANDOM0; g <= GEN_HUGE; g++)
			if (!strcmp(arg, gen_names[g]))
				break;
		if (g > GEN_HUGE)
			argp_error(state, "--gen: unknown generator '%s' "
				   "(random0, mixed, huge)", arg);
		a->gen = (enum gen_kind)g;
		return 0;
	case OPT_RAM:
		if (!input_parse_size(arg, &a->ram) || !a->ram)
			argp_error(state, "--ram: bad size '%s'", arg);
		return 0;
	case OPT_RAM_BASE:
		if (!input_parse_size(arg, &a->ram_base))
			argp_error(state, "--ram-base: bad address '%s'", arg);
		return 0;
	case 'd':
		errno = 0;
		a->density = strtod(arg, &end);
		if (errno || end == arg || *end || !(a->density >= 0) ||
		    a->density > 1)
			argp_error(state, "--density: '%s' is not in 0..1", arg);
		a->have_density = true;
		return 0;
	case 'c':
		if (!input_parse_u64(arg, &a->count))
			argp_error(state, "--count: bad number '%s'", arg);
		a->have_count = true;
		return 0;
	case 's':
		if (!input_parse_u64(arg, &a->seed))
			argp_error(state, "--seed: bad number '%s'", arg);
		return 0;
	case OPT_BLOB:
		end = strchr(arg, '=');
		if (!end || end == arg || !end[1])
			argp_error(state, "--blob: expected NAME=FILE, got '%s'", arg);
		nb = realloc(a->blobs, (a->nblobs + 1) * sizeof(*nb));
		if (!nb)
			argp_failure(state, KHOCTL_EXIT_DECODE, ENOMEM, "--blob");
		a->blobs = nb;
		a->blobs[a->nblobs++] = arg;
		return 0;
	case OPT_SCHEMAS:
		a->schemas = true;
		return 0;
	case OPT_LUO: {
		char err[256];

		synth_luo_free(a->luo);
		a->luo = synth_luo_parse(arg, err, sizeof(err));
		if (!a->luo)
			argp_error(state, "--luo: %s", err);
		return 0;
	}
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return 0;
	case ARGP_KEY_END:
		check_args(state, a);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child synth_children[] = {
	{ &input_common_argp, 0, "Common options:", 0 },
	{ 0 }
};

static const struct argp synth_argp = {
	.options = synth_options,
	.parser = synth_parse,
	.doc = "Write a synthetic KHO handover (kho-v4, or --abi GEN; kho-v1 "
	       "bitmaps are one page unless --producer names a release with "
	       "512-byte bitmaps): PREFIX.fdt and "
	       "PREFIX.elf, readable with --fdt PREFIX.fdt --mem PREFIX.elf. "
	       "Folios come from --folios FILE or a --gen generator; --blob "
	       "adds subnodes. Prints a one-line summary.\v"
	       "A folio file error is reported as FILE:LINE and gives exit "
	       "status 64. " KHOCTL_EXIT_DOC,
	.children = synth_children,
};

int cmd_synth(int argc, char **argv)
{
	struct synth_args a = { .ram_base = DEFAULT_RAM_BASE };
	struct khofmt_enc_opts eo = { .sz = sizeof(eo) };
	struct synth s = { NULL };
	struct khofmt_source *src = NULL;
	void *fdt = NULL;
	size_t fdt_len = 0, plen;
	uint64_t fdt_pa = 0;
	char *fdt_path = NULL, *elf_path = NULL;
	int r;

	input_opts_init(&a.in, 0);
	argp_parse(&synth_argp, argc, argv, 0, NULL, &a);
	out_init(&a.in.out);

	s.seed = a.seed;
	eo.page_shift = a.in.page_shift;
	eo.abi = a.in.abi ? a.in.abi : KHOFMT_ABI_V4;
	eo.radix_depth = a.in.radix_depth;
	/* KHOFMT_VARIANT_NONE for a generation of one form */
	eo.variant = khofmt_producer_variant(eo.abi, a.in.producer);
	eo.meta_base = META_BASE;
	eo.meta_size = META_SIZE;
	khofmt_geom_init(&s.geom, a.in.page_shift);
	r = khofmt_enc_new(&eo, &s.enc);
	if (r < 0) {
		r = out_lib_err("encoder", r, "generation, producer and radix "
				"depth must fit together (--radix-depth: radix "
				"generations only)");
		goto out;
	}
	if (a.folios_path)
		r = load_folios(&s, a.folios_path);
	else
		r = generate(&s, &a);
	if (!r)
		r = add_blobs(&s, &a);
	if (!r && (a.schemas || a.luo)) {
		r = synth_schemas(s.enc, a.schemas, a.luo);
		if (r < 0)
			r = out_lib_err(a.luo ? "--luo" : "--schemas", r,
					khofmt_enc_errmsg(s.enc));
	}
	if (r)
		goto out;
	r = khofmt_enc_finish(s.enc, &src, &fdt, &fdt_len, &fdt_pa);
	if (r < 0) {
		r = out_lib_err("encoder", r, khofmt_enc_errmsg(s.enc));
		goto out;
	}

	plen = strlen(a.prefix) + 5;
	fdt_path = malloc(plen);
	elf_path = malloc(plen);
	if (!fdt_path || !elf_path) {
		r = out_err("synth", "out of memory");
		goto out;
	}
	snprintf(fdt_path, plen, "%s.fdt", a.prefix);
	snprintf(elf_path, plen, "%s.elf", a.prefix);
	r = write_file(fdt_path, fdt, fdt_len);
	if (r)
		goto out;
	r = khofmt_source_write_elf(src, elf_path, 0);
	if (r < 0) {
		r = out_lib_err(elf_path, r, khofmt_source_errmsg(src));
		goto out;
	}

	out_doc_begin("synth", OUT_STYLE_LINE);
	out_str("abi", khofmt_abi_name(eo.abi));
	out_size("page_size", UINT64_C(1) << a.in.page_shift);
	out_hex64("seed", a.seed);
	out_u64("folios", s.folios);
	out_size("bytes", s.bytes);
	out_u64("blobs", a.nblobs);
	out_addr("fdt_pa", fdt_pa);
	out_str("fdt", fdt_path);
	out_str("elf", elf_path);
	out_str("variant", khofmt_gen_info(eo.abi) &&
		!strcmp(khofmt_gen_info(eo.abi)->tracker, "chunk") ?
		khofmt_variant_name(eo.variant ? eo.variant : KHOFMT_VARIANT_E1B) :
		"none");
	r = out_doc_end();
out:
	free(fdt_path);
	free(elf_path);
	free(fdt);
	khofmt_source_free(src);
	khofmt_enc_free(s.enc);
	free(a.blobs);
	synth_luo_free(a.luo);
	return r;
}
