// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khobench: libkhofmt's hot paths side by side, in one process run, on the
 * workloads of issue 9 (written by `khoctl synth`, see bench/Makemodule.am):
 *
 *   W1  16 GiB of random order-0 pages in 32 GiB (4,194,304 folios)
 *   W2  mixed orders 0..18 (about 64 GiB preserved in 128 GiB)
 *   W3  4 TiB of RAM, 1,024 sparse 1 GiB folios
 *
 * For each: a plain memcpy of the tracker pages (the physical floor; the
 * pages come from khofmt_walk_nodes), khofmt_stats (folio count),
 * khofmt_walk_folios and khofmt_walk_ranges with counting callbacks, a
 * straightforward per-bit decoder written here (the baseline: every bit of
 * every leaf tested, ranges built in tree order), and the encoder (every
 * folio added again, then finish). Times are the median of RUNS runs.
 * With --python, bench/pydecode.py is run once on W1 as the scripting
 * baseline.
 *
 * Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID): the 2-core
 * machine is shared, and wall time mostly measures the neighbours.
 *
 * Usage: khobench [--runs N] [--python SCRIPT] DIR   (DIR/w1.fdt, w1.elf, ...)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "khofmt.h"

#define MAX_RUNS 31

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "khobench: %s: %s\n", what,
		err < 0 ? khofmt_strerror(err) : strerror(errno));
	exit(2);
}

/* ---- one opened workload ---- */

struct wl {
	const char *name, *desc;
	void *fdtbuf;
	size_t fdtlen;
	struct khofmt_fdt *fdt;
	struct khofmt_source *src;
	struct khofmt_handover *h;
	struct khofmt_stats st;
	const void **pages;	/* tracker pages (zero-copy pointers) */
	size_t npages, cap;
	uint64_t *phys;		/* every folio, for the encode run */
	unsigned char *order;
	size_t nfolios;
};

static void *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				die("read", -KHOFMT_ERR_NOMEM);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*len = n;
	return buf;
}

static int node_cb(void *arg, uint64_t pa, unsigned level)
{
	struct wl *w = arg;
	size_t P = (size_t)1 << khofmt_handover_geom(w->h)->page_shift;

	(void)level;
	if (w->npages == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 256;
		w->pages = realloc(w->pages, w->cap * sizeof(*w->pages));
		if (!w->pages)
			die("nodes", -KHOFMT_ERR_NOMEM);
	}
	w->pages[w->npages] = khofmt_source_ptr(w->src, pa, P);
	if (!w->pages[w->npages])
		die("tracker page not zero-copy", -KHOFMT_ERR_INTERNAL);
	w->npages++;
	return 0;
}

static int folio_keep_cb(void *arg, uint64_t phys, unsigned order)
{
	struct wl *w = arg;

	w->phys[w->nfolios] = phys;
	w->order[w->nfolios++] = (unsigned char)order;
	return 0;
}

static bool wl_open(struct wl *w, const char *dir)
{
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/%s.fdt", dir, w->name);
	w->fdtbuf = read_all(path, &w->fdtlen);
	if (!w->fdtbuf) {
		fprintf(stderr, "khobench: %s: %s (skipped)\n", path, strerror(errno));
		return false;
	}
	r = khofmt_fdt_open(w->fdtbuf, w->fdtlen, &w->fdt, NULL, 0);
	if (r < 0)
		die(path, r);
	snprintf(path, sizeof(path), "%s/%s.elf", dir, w->name);
	r = khofmt_source_open_elf(path, &w->src);
	if (r < 0)
		die(path, r);
	r = khofmt_handover_open(w->fdt, w->src, NULL, &w->h);
	if (r < 0)
		die("handover", r);
	r = khofmt_stats(w->h, NULL, &w->st);
	if (r)
		die("stats", r);
	r = khofmt_walk_nodes(w->h, NULL, node_cb, w);
	if (r)
		die("nodes", r);
	w->phys = malloc(w->st.folios * sizeof(*w->phys) + 1);
	w->order = malloc(w->st.folios + 1);
	if (!w->phys || !w->order)
		die("folios", -KHOFMT_ERR_NOMEM);
	r = khofmt_walk_folios(w->h, NULL, folio_keep_cb, w);
	if (r)
		die("folios", r);
	return true;
}

static void wl_close(struct wl *w)
{
	khofmt_handover_free(w->h);
	khofmt_source_free(w->src);
	khofmt_fdt_free(w->fdt);
	free(w->fdtbuf);
	free(w->pages);
	free(w->phys);
	free(w->order);
}

/* ---- the contenders; each returns a count that is printed as a check ---- */

static unsigned char *copy_dst;

static uint64_t run_memcpy(struct wl *w)
{
	size_t P = (size_t)1 << khofmt_handover_geom(w->h)->page_shift, i;

	for (i = 0; i < w->npages; i++)
		memcpy(copy_dst + i * P, w->pages[i], P);
	/* keep the copy alive */
	__asm__ volatile("" : : "r"(copy_dst) : "memory");
	return w->npages;
}

static uint64_t run_stats(struct wl *w)
{
	struct khofmt_stats st;
	int r = khofmt_stats(w->h, NULL, &st);

	if (r)
		die("stats", r);
	return st.folios;
}

static int count_folio(void *arg, uint64_t phys, unsigned order)
{
	(void)phys;
	(void)order;
	++*(uint64_t *)arg;
	return 0;
}

static uint64_t run_folios(struct wl *w)
{
	uint64_t n = 0;
	int r = khofmt_walk_folios(w->h, NULL, count_folio, &n);

	if (r)
		die("walk_folios", r);
	return n;
}

static int count_range(void *arg, uint64_t start, uint64_t size)
{
	(void)start;
	(void)size;
	++*(uint64_t *)arg;
	return 0;
}

static uint64_t run_ranges(struct wl *w)
{
	uint64_t n = 0;
	int r = khofmt_walk_ranges(w->h, NULL, count_range, &n);

	if (r)
		die("walk_ranges", r);
	return n;
}

/*
 * The baseline: a plain recursive walk of the radix tree that tests every
 * bit of every leaf, decodes each set bit's key to (phys, order) and
 * coalesces entries that touch the previous one (tree order: exact ranges
 * when one order dominates, as in W1). No page set, no checks beyond
 * coverage: what a first, straightforward decoder looks like.
 */
struct pb {
	struct khofmt_source *src;
	const struct khofmt_geom *g;
	uint64_t cur_start, cur_end, nranges;
};

static void pb_node(struct pb *b, uint64_t pa, unsigned level, uint64_t prefix)
{
	const struct khofmt_geom *g = b->g;
	size_t P = (size_t)1 << g->page_shift, i;
	const unsigned char *n = khofmt_source_ptr(b->src, pa, P);

	if (!n)
		return;
	if (level == 0) {
		uint64_t nbits = (uint64_t)P * 8, bit;

		for (bit = 0; bit < nbits; bit++) {
			uint64_t word, key, phys, size;
			unsigned hb, order;

			memcpy(&word, n + 8 * (bit / 64), 8);
			if (!((word >> (bit % 64)) & 1))
				continue;
			key = prefix | bit;
			hb = 63 - __builtin_clzll(key);
			order = g->order0_bit - hb;
			phys = (key - (UINT64_C(1) << hb)) << (g->page_shift + order);
			size = UINT64_C(1) << (g->page_shift + order);
			if (b->nranges && phys == b->cur_end) {
				b->cur_end += size;
				continue;
			}
			b->nranges++;
			b->cur_start = phys;
			b->cur_end = phys + size;
		}
		return;
	}
	for (i = 0; i < P / 8; i++) {
		uint64_t c;
		unsigned s = (level - 1) * g->tbl_log2 + g->leaf_log2;

		memcpy(&c, n + 8 * i, 8);
		if (c)
			pb_node(b, c, level - 1, prefix | ((uint64_t)i << s));
	}
}

static uint64_t run_perbit(struct wl *w)
{
	struct pb b = { .src = w->src, .g = khofmt_handover_geom(w->h) };

	pb_node(&b, khofmt_fdt_map(w->fdt), b.g->depth - 1, 0);
	return b.nranges;
}

static uint64_t run_encode(struct wl *w)
{
	struct khofmt_enc_opts eo = {
		.sz = sizeof(eo),
		.page_shift = khofmt_handover_geom(w->h)->page_shift,
	};
	struct khofmt_enc *e;
	struct khofmt_source *src;
	void *fdt;
	size_t len, i;
	int r = khofmt_enc_new(&eo, &e);

	if (r < 0)
		die("enc_new", r);
	for (i = 0; i < w->nfolios; i++) {
		r = khofmt_enc_add_folio(e, w->phys[i], w->order[i]);
		if (r < 0)
			die("enc_add_folio", r);
	}
	r = khofmt_enc_finish(e, &src, &fdt, &len, NULL);
	if (r < 0)
		die("enc_finish", r);
	khofmt_enc_free(e);
	khofmt_source_free(src);
	free(fdt);
	return i;
}

struct contender {
	const char *name, *what;
	uint64_t (*fn)(struct wl *w);
};

static const struct contender contenders[] = {
	{ "memcpy", "tracker pages", run_memcpy },
	{ "stats", "folios", run_stats },
	{ "folios", "folios", run_folios },
	{ "ranges", "ranges", run_ranges },
	{ "perbit", "ranges", run_perbit },
	{ "encode", "folios", run_encode },
};
#define NCONT (sizeof(contenders) / sizeof(contenders[0]))

static double bench_one(const struct contender *c, struct wl *w, int runs,
			uint64_t *result)
{
	double t[MAX_RUNS];
	int i;

	*result = c->fn(w); /* warm-up */
	for (i = 0; i < runs; i++) {
		double t0 = now();

		c->fn(w);
		t[i] = now() - t0;
	}
	return median(t, runs);
}

static void run_python(const char *script, const char *dir)
{
	char cmd[8192], line[512];
	double t0, t;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s/w1.fdt' '%s/w1.elf'",
		 script, dir, dir);
	t0 = wall();
	p = popen(cmd, "r");
	if (!p) {
		perror("khobench: python3");
		return;
	}
	printf("\nPython reference decoder on W1 (%s, one run):\n", script);
	while (fgets(line, sizeof(line), p))
		printf("  %s", line);
	if (pclose(p))
		printf("  (python decoder failed)\n");
	t = wall() - t0;
	printf("  wall time: %.2f s (whole process)\n", t);
}

int main(int argc, char **argv)
{
	struct wl wls[] = {
		{ .name = "w1", .desc = "16 GiB random order-0 in 32 GiB" },
		{ .name = "w2", .desc = "mixed orders 0..18, ~64 GiB in 128 GiB" },
		{ .name = "w3", .desc = "4 TiB RAM, sparse 1 GiB folios" },
	};
	const char *python = NULL, *dir = NULL;
	int runs = 7, i;
	size_t k, maxpages = 0;
	struct rusage ru;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--python") && i + 1 < argc)
			python = argv[++i];
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			dir = NULL, i = argc;
	}
	if (!dir || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: khobench [--runs 1..%d] [--python SCRIPT] DIR\n",
			MAX_RUNS);
		return 64;
	}

	printf("khobench (libkhofmt %s): median of %d runs, CPU ms\n",
	       khofmt_version(), runs);
	for (k = 0; k < sizeof(wls) / sizeof(wls[0]); k++) {
		struct wl *w = &wls[k];
		double t[NCONT];
		uint64_t res[NCONT];
		size_t c;

		if (!wl_open(w, dir))
			continue;
		if (w->npages > maxpages) {
			free(copy_dst);
			maxpages = w->npages;
			copy_dst = malloc(maxpages << khofmt_handover_geom(w->h)->page_shift);
			if (!copy_dst)
				die("memcpy buffer", -KHOFMT_ERR_NOMEM);
		}
		printf("\n%s: %s\n", w->name, w->desc);
		printf("  %llu folios, %llu bytes preserved, tracker %llu pages "
		       "(%llu leaves, %llu bytes)\n",
		       (unsigned long long)w->st.folios,
		       (unsigned long long)w->st.bytes,
		       (unsigned long long)w->st.tracker_total_pages,
		       (unsigned long long)w->st.tracker_pages[0],
		       (unsigned long long)w->st.tracker_bytes);
		for (c = 0; c < NCONT; c++)
			t[c] = bench_one(&contenders[c], w, runs, &res[c]);
		printf("  %-8s %12s %10s %9s %9s  %s\n", "path", "result", "ms",
		       "x memcpy", "x perbit", "");
		for (c = 0; c < NCONT; c++)
			printf("  %-8s %12llu %10.3f %9.1f %9.2f  %s\n",
			       contenders[c].name, (unsigned long long)res[c],
			       t[c] * 1e3, t[c] / t[0], t[c] / t[4],
			       contenders[c].what);
		wl_close(w);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("\npeak RSS of this process: %ld KiB (includes the bench's own "
	       "folio arrays for the encode run; the library walks stream)\n",
	       ru.ru_maxrss);
	free(copy_dst);
	if (python)
		run_python(python, dir);
	return 0;
}
