// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khobench: issue 20's performance table, measured in one run on the
 * workloads written by `khoctl synth` (see bench/Makemodule.am):
 *
 *   W1  4,194,304 random order-0 pages in 32 GiB (50 % dense)
 *   W2  mixed orders 0..18, about half of 128 GiB
 *   W3  1,024 sparse 1 GiB folios in 4 TiB
 *   S1  random order-0 pages, 1 % of 1 TiB
 *
 * Library paths, per workload, side by side: a memcpy of every tracker page
 * (the floor), khofmt_stats (folio count), khofmt_walk_folios,
 * khofmt_walk_range_batches, khofmt_walk_ranges, a per-bit decoder written
 * here (the baseline) and the encoder. Every path is timed the same way:
 * the best of N measurements (N printed), each measurement a loop of the
 * path long enough (>= 1 ms) for the clock, in this thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID: the machine is shared; the best of many is the
 * run least disturbed by the neighbours). Peak RSS of a fresh process
 * running only that path is printed next to it.
 *
 * Whole processes (--khoctl, --python), each the best of N runs with
 * stdout on /dev/null, user + system CPU from wait4 (wall printed too),
 * run through bench/khospawn so that their peak RSS is their own (see
 * time_process):
 * `khoctl --version` (start-up alone), `khoctl stat`, `khoctl ranges`
 * (text, --json, --folios), `khoctl synth` of W1, and the Python decoder
 * printing every range of W1 (its output is first compared with `khoctl
 * ranges --noheadings`, byte for byte).
 *
 * Then each goal of issue 20, as the issue states it, with the measured
 * value and met / missed, and issue 16's bound on hostile input: analyze,
 * verify and dump of a tiny tracker holding one entry of an impossible
 * order finish in under a second and 64 MiB. No limit is scaled by
 * anything measured.
 *
 * Usage: khobench [--runs N] [--pyruns N] [--python SCRIPT]
 *                 [--khoctl PATH --spawn KHOSPAWN] DIR  (DIR/w1.fdt, ...)
 */
extern char **environ;
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "khofmt.h"

#define MAX_RUNS 63

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

static double best(const double *v, int n)
{
	double m = v[0];
	int i;

	for (i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
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

/* Only what every path needs: FDT, memory source, handover. */
static bool wl_open_lean(struct wl *w, const char *dir)
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
	return true;
}

/* Everything the side-by-side run needs: stats, tracker pages, folios. */
static bool wl_open(struct wl *w, const char *dir)
{
	int r;

	if (!wl_open_lean(w, dir))
		return false;
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

static int count_batch(void *arg, const struct khofmt_range *v, size_t n)
{
	(void)v;
	*(uint64_t *)arg += n;
	return 0;
}

/* Ranges in batches (the fast interface) or a callback per range. */
static uint64_t count_ranges(struct wl *w, bool batches)
{
	uint64_t n = 0;
	int r = batches ? khofmt_walk_range_batches(w->h, NULL, count_batch, &n)
			: khofmt_walk_ranges(w->h, NULL, count_range, &n);

	if (r)
		die("walk_ranges", r);
	return n;
}

static uint64_t run_ranges(struct wl *w)
{
	return count_ranges(w, true);
}

static uint64_t run_ranges_cb(struct wl *w)
{
	return count_ranges(w, false);
}

/*
 * The ranges of a handover opened for this call alone: what one khoctl
 * process does after reading the FDT. A handover keeps a radix tree's leaf
 * list once its structure check passed (immutable sources only), so the
 * `ranges` row above is a later walk; this row is the first one, with the
 * check of every table entry, and the open and close around it.
 */
static uint64_t run_ranges_first(struct wl *w)
{
	struct khofmt_handover *h;
	uint64_t n = 0;
	int r = khofmt_handover_open(w->fdt, w->src, NULL, &h);

	if (r < 0)
		die("handover", r);
	r = khofmt_walk_range_batches(h, NULL, count_batch, &n);
	if (r)
		die("walk_ranges (first)", r);
	khofmt_handover_free(h);
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

/* Encode straight from the decoder (the --peak run: no folio array). */
static int enc_folio_cb(void *arg, uint64_t phys, unsigned order)
{
	int r = khofmt_enc_add_folio(arg, phys, order);

	return r < 0 ? r : 0;
}

/*
 * Encode every folio again, then finish: from the bench's folio arrays
 * (timed: encode only), or with @stream from the decoder's walk (the
 * --peak run: no array of folios anywhere).
 */
static uint64_t encode_all(struct wl *w, bool stream)
{
	struct khofmt_enc_opts eo = {
		.sz = sizeof(eo),
		.page_shift = khofmt_handover_geom(w->h)->page_shift,
	};
	struct khofmt_enc *e;
	struct khofmt_source *src;
	void *fdt;
	size_t len, i = 0;
	int r = khofmt_enc_new(&eo, &e);

	if (r < 0)
		die("enc_new", r);
	if (stream) {
		r = khofmt_walk_folios(w->h, NULL, enc_folio_cb, e);
		if (r)
			die("walk_folios -> enc_add_folio", r);
	}
	for (; !stream && i < w->nfolios; i++) {
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

static uint64_t run_encode(struct wl *w)
{
	return encode_all(w, false);
}

struct contender {
	const char *name, *what;
	uint64_t (*fn)(struct wl *w);
};

static const struct contender contenders[] = {
	{ "memcpy", "tracker pages", run_memcpy },
	{ "stats", "folios (khofmt_stats)", run_stats },
	{ "folios", "folios (khofmt_walk_folios, a callback per folio)", run_folios },
	{ "ranges", "ranges (khofmt_walk_range_batches)", run_ranges },
	{ "ranges-cb", "ranges (khofmt_walk_ranges, a callback per range)", run_ranges_cb },
	{ "ranges-1st", "ranges (a fresh handover each call: open, first walk, close)",
	  run_ranges_first },
	{ "perbit", "ranges (per-bit baseline)", run_perbit },
	{ "encode", "folios (khofmt_enc_add_folio + finish)", run_encode },
};
#define NCONT (sizeof(contenders) / sizeof(contenders[0]))
enum { C_MEMCPY, C_STATS, C_FOLIOS, C_RANGES, C_RANGES_CB, C_RANGES_1ST, C_PERBIT,
       C_ENCODE };

/*
 * The best of @runs measurements of @c on @w (fewer when one takes more
 * than 0.2 s: at least 3, about 2 s in all); *@n gets the number taken,
 * *@reps the calls per measurement. A measurement is a loop of calls long
 * enough (>= 1 ms) that the clock's resolution and overhead stay out of
 * microsecond results; the warm-up call is not counted.
 */
static double bench_one(const struct contender *c, struct wl *w, int runs,
			uint64_t *result, int *n, long *reps_out)
{
	double t[MAX_RUNS], t0, warm;
	long reps = 1, k;
	int i;

	t0 = now();
	*result = c->fn(w); /* warm-up */
	warm = now() - t0;
	if (warm < 1e-3)
		reps = warm > 1e-7 ? (long)(1e-3 / warm) + 1 : 10000;
	if (warm > 0.2) {
		runs = (int)(2.0 / warm);
		if (runs < 3)
			runs = 3;
	}
	for (i = 0; i < runs; i++) {
		t0 = now();
		for (k = 0; k < reps; k++)
			c->fn(w);
		t[i] = (now() - t0) / (double)reps;
	}
	*n = runs;
	*reps_out = reps;
	return best(t, runs);
}

/* Peak RSS of this process's memory (VmHWM of /proc/self/status), KiB; -1. */
static long vm_hwm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* --peak NAME PATH DIR: run one path once in this fresh process. */
static int peak_child(const char *name, const char *path, const char *dir)
{
	struct wl w = { .name = name };
	size_t c;

	if (!wl_open_lean(&w, dir))
		return 2;
	if (!strcmp(path, "encode")) {
		encode_all(&w, true);
	} else if (strcmp(path, "open")) {
		for (c = 0; c < NCONT; c++)
			if (!strcmp(contenders[c].name, path))
				break;
		if (c == NCONT || c == C_MEMCPY)
			return 64;
		contenders[c].fn(&w);
	}
	/*
	 * This process's own peak (VmHWM), not ru_maxrss: that also holds
	 * the peak of the memory the process ran on before its exec (here
	 * popen's shell, spawned on khobench's memory; see time_process).
	 */
	printf("%ld\n", vm_hwm_kib());
	wl_close(&w);
	return 0;
}

/* Peak RSS (KiB) of a fresh process running @path on workload @name, -1. */
static long peak_of(const char *name, const char *path, const char *dir)
{
	char cmd[8192];
	long kib = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "/proc/%d/exe --peak '%s' '%s' '%s'",
		 (int)getpid(), name, path, dir);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fscanf(p, "%ld", &kib) != 1)
		kib = -1;
	if (pclose(p))
		kib = -1;
	return kib;
}

/* bench/khospawn, which runs the whole processes (--spawn; see time_process) */
static const char *spawn_path;

/*
 * A whole process with stdout on @out (/dev/null when NULL): wall and CPU
 * (user + system, from wait4) seconds and peak RSS (KiB). 0 = exit 0.
 *
 * The process is not spawned from here but by bench/khospawn (a small
 * static program), which forks and execs it and reports its rusage through
 * a pipe: Linux's exec (exec_mmap()) folds the peak RSS of the memory a
 * process ran on before its exec into its ru_maxrss, and a child spawned
 * from here with posix_spawn() (vfork semantics) runs on this process's
 * memory until the exec (a forked one on a copy of it), so every peak would
 * be at least khobench's own (it reported 5.3 MiB for `true`, 980 KiB
 * alone). khospawn's own peak (~0.7 MiB, VmHWM) is below that of any
 * dynamically linked program, so the peak it reports is the target's. Its
 * fork is in the wall time, not in the CPU time (the target's rusage).
 */
static int time_process(char *const argv[], const char *out, int want,
			double *wall_s, double *cpu_s, long *rss)
{
	posix_spawn_file_actions_t fa;
	char fdarg[16], line[128], *sargv[64];
	long st, ut_us, st_us, kib;
	int pfd[2], n = 0, i, ws;
	double t0;
	pid_t pid;
	ssize_t r;

	for (i = 0; argv[i]; i++)
		if (i + 3 >= (int)(sizeof(sargv) / sizeof(sargv[0])))
			return -1;
	if (pipe(pfd))
		return -1;
	snprintf(fdarg, sizeof(fdarg), "%d", pfd[1]);
	sargv[0] = (char *)spawn_path;
	sargv[1] = fdarg;
	for (i = 0; argv[i]; i++)
		sargv[i + 2] = argv[i];
	sargv[i + 2] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null",
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	/* an expected failure (verify's findings) says so on stderr N times */
	if (want)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	t0 = wall();
	if (posix_spawn(&pid, spawn_path, &fa, NULL, sargv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	while (n < (int)sizeof(line) - 1 &&
	       (r = read(pfd[0], line + n, sizeof(line) - 1 - (size_t)n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (int)r;
	}
	line[n] = '\0';
	close(pfd[0]);
	if (waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		return -1;
	*wall_s = wall() - t0;
	if (sscanf(line, "%ld %ld %ld %ld", &st, &ut_us, &st_us, &kib) != 4)
		return -1;
	*cpu_s = (ut_us + st_us) * 1e-6;
	*rss = kib;
	return WIFEXITED(st) && WEXITSTATUS(st) == want ? 0 : -1;
}

/* One whole-process measurement: best of n runs. */
struct proc {
	const char *label;
	int want;		/* its exit status (verify with findings: 1) */
	double cpu_ms, wall_ms;	/* best of n; < 0 = failed */
	long rss;		/* peak RSS (KiB), largest of the runs */
	int n;
};

static void bench_process(struct proc *p, char *const argv[], int runs)
{
	double w[MAX_RUNS] = { 0 }, c[MAX_RUNS] = { 0 };
	long rss, maxrss = 0;
	int i;

	p->cpu_ms = p->wall_ms = -1;
	p->n = runs;
	for (i = 0; i < runs; i++) {
		if (time_process(argv, NULL, p->want, &w[i], &c[i], &rss)) {
			fprintf(stderr, "khobench: %s failed\n", p->label);
			return;
		}
		if (rss > maxrss)
			maxrss = rss;
	}
	p->cpu_ms = best(c, runs) * 1e3;
	p->wall_ms = best(w, runs) * 1e3;
	p->rss = maxrss;
}

static void print_process(const struct proc *p)
{
	if (p->cpu_ms < 0) {
		printf("  %-44s failed\n", p->label);
		return;
	}
	printf("  %-44s %4d %10.2f %10.2f %9ld\n", p->label, p->n, p->cpu_ms,
	       p->wall_ms, p->rss);
}

/* libtool: dir/khoctl is a script, dir/.libs/khoctl the program. */
static void real_program(const char *path, char *real, size_t len)
{
	const char *slash = strrchr(path, '/');
	struct stat sb;

	snprintf(real, len, "%.*s.libs/%s", slash ? (int)(slash - path + 1) : 0,
		 path, slash ? slash + 1 : path);
	if (stat(real, &sb) || !(sb.st_mode & S_IXUSR))
		snprintf(real, len, "%s", path);
}

/* The Python interpreter itself (not a pyenv or shell shim in front). */
static void python_exe(char *exe, size_t len)
{
	FILE *p = popen("python3 -c 'import sys; print(sys.executable)'", "r");

	snprintf(exe, len, "python3");
	if (!p)
		return;
	if (fgets(exe, (int)len, p))
		exe[strcspn(exe, "\n")] = '\0';
	if (pclose(p) || !exe[0])
		snprintf(exe, len, "python3");
}

/* Two files byte for byte: 1 same, 0 differ or unreadable. */
static int same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int ca, cb, same = fa && fb;

	while (same) {
		ca = getc(fa);
		cb = getc(fb);
		if (ca != cb)
			same = 0;
		if (ca == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

static void loadavg(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "r");

	snprintf(buf, len, "?");
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

/* "16.0 GiB" */
static const char *human(char *b, size_t len, double v)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	int i = 0;

	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	snprintf(b, len, i ? "%.1f %s" : "%.0f %s", v, u[i]);
	return b;
}

/* One goal of the issue, as stated there, and how it went. */
static void goal(const char *what, double got, double limit, bool le,
		 const char *unit, const char *how)
{
	bool ok = le ? got <= limit : got >= limit;
	char lim[32], miss[64] = "";

	snprintf(lim, sizeof(lim), "%s %g %s", le ? "<=" : ">=", limit, unit);
	if (got < 0) {
		printf("  %-58s %10s %-4s %-12s not measured%s\n", what, "-", unit, lim, how);
		return;
	}
	if (!ok)
		snprintf(miss, sizeof(miss), " (by %.2f %s, %.2fx)",
			 le ? got - limit : limit - got, unit,
			 le ? got / limit : limit / got);
	printf("  %-58s %10.2f %-4s %-12s %s%s%s\n", what, got, unit, lim,
	       ok ? "met" : "MISSED", miss, how);
}

enum { W1, W2, W3, S1, NWL };
enum { NHUGE = 3 };

/*
 * Issue 16's bound: a tiny tracker holding one entry of an impossible
 * order (39: 2^51 bytes claimed at 0x8000000000000) and one order-0 page,
 * written by khoctl synth. analyze, verify and dump must follow the
 * tracker, not the span the entry claims.
 */
static bool make_huge(const char *real, const char *dir, char *fdt, char *mem,
		      size_t len)
{
	char txt[4096], out[4096];
	char *argv[] = { (char *)real, "synth", "--folios", txt, "--output", out, NULL };
	double w, c;
	long rss;
	FILE *f;

	if ((size_t)snprintf(txt, sizeof(txt), "%s/huge39.txt", dir) >= sizeof(txt) ||
	    (size_t)snprintf(out, sizeof(out), "%s/huge39", dir) >= sizeof(out) ||
	    (size_t)snprintf(fdt, len, "%s/huge39.fdt", dir) >= len ||
	    (size_t)snprintf(mem, len, "%s/huge39.elf", dir) >= len)
		return false;
	f = fopen(txt, "w");
	if (!f)
		return false;
	fputs("0x8000000000000 39\n0x100000000 0\n", f);
	if (fclose(f))
		return false;
	return !time_process(argv, NULL, 0, &w, &c, &rss);
}

int main(int argc, char **argv)
{
	struct wl wls[NWL] = {
		{ .name = "w1" }, { .name = "w2" }, { .name = "w3" }, { .name = "s1" },
	};
	const char *python = NULL, *dir = NULL, *khoctl = NULL;
	double tw[NWL][NCONT] = { { 0 } };
	long peak_ranges[NWL] = { 0 };
	uint64_t tracker_bytes[NWL] = { 0 };
	/* the per-bit baseline found as many ranges as the library */
	bool perbit_same[NWL] = { false };
	bool have[NWL] = { false };
	struct proc pr_true = { .label = "true (a process: spawn, exec, exit)" },
		    pr_version = { .label = "khoctl --version (start-up only)" },
		    pr_stat = { .label = "khoctl stat W1" },
		    pr_ranges = { .label = "khoctl ranges W1 (text)" },
		    pr_json = { .label = "khoctl ranges W1 --json" },
		    pr_folios = { .label = "khoctl ranges W1 --folios" },
		    pr_synth = { .label = "khoctl synth of W1 (random0, 32G, 4194304)" },
		    pr_py = { .label = "python3 pydecode.py W1 (prints every range)" },
		    pr_rg[NWL] = { { .label = "khoctl ranges W1" }, { .label = "khoctl ranges W2" },
				   { .label = "khoctl ranges W3" }, { .label = "khoctl ranges S1" } },
		    pr_huge[NHUGE] = { { .label = "khoctl analyze, one order-39 entry" },
				       { .label = "khoctl verify, one order-39 entry", .want = 1 },
				       { .label = "khoctl dump, one order-39 entry" } };
	static const char *const huge_cmd[NHUGE] = { "analyze", "verify", "dump" };
	bool have_huge = false;
	int runs = 15, pyruns = 3, i, py_same = -1;
	size_t k, maxpages = 0;
	char la0[128], la1[128], hb[32], hb2[32];

	if (argc == 5 && !strcmp(argv[1], "--peak"))
		return peak_child(argv[2], argv[3], argv[4]);
	/* a line at a time: a long run shows how far it got */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--pyruns") && i + 1 < argc)
			pyruns = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--python") && i + 1 < argc)
			python = argv[++i];
		else if (!strcmp(argv[i], "--khoctl") && i + 1 < argc)
			khoctl = argv[++i];
		else if (!strcmp(argv[i], "--spawn") && i + 1 < argc)
			spawn_path = argv[++i];
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			dir = NULL, i = argc;
	}
	if (!dir || runs < 3 || runs > MAX_RUNS || pyruns < 1 || pyruns > MAX_RUNS ||
	    (khoctl && !spawn_path)) {
		fprintf(stderr, "usage: khobench [--runs 3..%d] [--pyruns 1..%d] "
			"[--python SCRIPT] [--khoctl PATH --spawn KHOSPAWN] DIR\n",
			MAX_RUNS, MAX_RUNS);
		return 64;
	}

	loadavg(la0, sizeof(la0));
	printf("khobench (libkhofmt %s): every time is the best of N measurements "
	       "(N printed), CPU time\n", khofmt_version());
	printf("load average at start: %s\n", la0);
#if defined(__x86_64__)
	__builtin_cpu_init();
	printf("cpu: popcnt %s, avx2 %s; KHOFMT_CPU=%s\n",
	       __builtin_cpu_supports("popcnt") ? "yes" : "no",
	       __builtin_cpu_supports("avx2") ? "yes" : "no",
	       getenv("KHOFMT_CPU") ? getenv("KHOFMT_CPU") : "(unset)");
#endif
	/*
	 * Whole processes first (their peak RSS does not depend on this
	 * process's size, see time_process; their CPU times then come from
	 * the same minutes as the Python decoder's).
	 */
	for (k = 0; k < NWL; k++) {
		char f[4096];

		snprintf(f, sizeof(f), "%s/%s.elf", dir, wls[k].name);
		have[k] = !access(f, R_OK);
	}
	if (khoctl) {
		char real[4096], fdt[NWL][4096], mem[NWL][4096], synth_out[4096];
		char *v_argv[] = { real, "--version", NULL };
		char *t_argv[] = { "true", NULL };

		real_program(khoctl, real, sizeof(real));
		for (k = 0; k < NWL; k++) {
			snprintf(fdt[k], sizeof(fdt[k]), "%s/%s.fdt", dir, wls[k].name);
			snprintf(mem[k], sizeof(mem[k]), "%s/%s.elf", dir, wls[k].name);
		}
		snprintf(synth_out, sizeof(synth_out), "%s/synth-w1", dir);
		bench_process(&pr_true, t_argv, runs);
		bench_process(&pr_version, v_argv, runs);
		if (have[W1]) {
			char *s_argv[] = { real, "stat", "--fdt", fdt[W1], "--mem", mem[W1], NULL };
			char *r_argv[] = { real, "ranges", "--fdt", fdt[W1], "--mem", mem[W1], NULL };
			char *j_argv[] = { real, "ranges", "--json", "--fdt", fdt[W1], "--mem",
					   mem[W1], NULL };
			char *f_argv[] = { real, "ranges", "--folios", "--fdt", fdt[W1], "--mem",
					   mem[W1], NULL };
			char *y_argv[] = { real, "synth", "--output", synth_out, "--gen", "random0",
					   "--ram", "32G", "--count", "4194304", NULL };

			bench_process(&pr_stat, s_argv, runs);
			bench_process(&pr_ranges, r_argv, runs);
			bench_process(&pr_json, j_argv, runs);
			bench_process(&pr_folios, f_argv, runs);
			bench_process(&pr_synth, y_argv, runs);
		}
		for (k = 0; k < NWL; k++) {
			char *r_argv[] = { real, "ranges", "--fdt", fdt[k], "--mem", mem[k], NULL };

			if (have[k] && k != W1)
				bench_process(&pr_rg[k], r_argv, 3);
		}
		pr_rg[W1] = pr_ranges;
		{
			char hfdt[4096], hmem[4096];

			have_huge = make_huge(real, dir, hfdt, hmem, sizeof(hfdt));
			for (k = 0; have_huge && k < NHUGE; k++) {
				char *h_argv[] = { real, (char *)huge_cmd[k], "--fdt", hfdt,
						   "--mem", hmem, NULL };

				bench_process(&pr_huge[k], h_argv, runs);
			}
		}
		if (python && have[W1]) {
			char exe[4096], a[4096], b[4096];
			char *p_argv[] = { exe, (char *)python, fdt[W1], mem[W1], NULL };
			char *n_argv[] = { real, "ranges", "--noheadings", "--fdt", fdt[W1],
					   "--mem", mem[W1], NULL };
			double w1, c1;
			long rss;

			python_exe(exe, sizeof(exe));
			/* same output first: Python's rows = khoctl ranges --noheadings */
			snprintf(a, sizeof(a), "%s/ranges-python.txt", dir);
			snprintf(b, sizeof(b), "%s/ranges-khoctl.txt", dir);
			py_same = !time_process(p_argv, a, 0, &w1, &c1, &rss) &&
				  !time_process(n_argv, b, 0, &w1, &c1, &rss) && same_file(a, b);
			unlink(a);
			unlink(b);
			bench_process(&pr_py, p_argv, pyruns);
		}
	}
	for (k = 0; k < NWL; k++) {
		struct wl *w = &wls[k];
		const struct khofmt_stats *st = &w->st;
		uint64_t res[NCONT], span;
		long reps[NCONT];
		int n[NCONT];
		size_t c;

		if (!have[k] || !wl_open(w, dir)) {
			have[k] = false;
			continue;
		}
		tracker_bytes[k] = st->tracker_bytes;
		if (w->npages > maxpages) {
			free(copy_dst);
			maxpages = w->npages;
			copy_dst = malloc(maxpages << khofmt_handover_geom(w->h)->page_shift);
			if (!copy_dst)
				die("memcpy buffer", -KHOFMT_ERR_NOMEM);
			memset(copy_dst, 0, maxpages << khofmt_handover_geom(w->h)->page_shift);
		}
		/* the heading: what the tracker holds */
		span = st->highest_end - st->lowest;
		printf("\n%c%c: %llu folios of order %u..%u, %s preserved in "
		       "[0x%llx, 0x%llx) (%s, %.1f %% of it)\n",
		       w->name[0] - 32, w->name[1],
		       (unsigned long long)st->folios, st->min_order, st->max_order,
		       human(hb, sizeof(hb), (double)st->bytes),
		       (unsigned long long)st->lowest,
		       (unsigned long long)st->highest_end,
		       human(hb2, sizeof(hb2), (double)span),
		       span ? 100.0 * (double)st->bytes / (double)span : 0);
		printf("  tracker: %llu pages (%llu leaves, %llu empty), %s\n",
		       (unsigned long long)st->tracker_total_pages,
		       (unsigned long long)st->tracker_pages[0],
		       (unsigned long long)st->empty_leaves,
		       human(hb, sizeof(hb), (double)st->tracker_bytes));
		for (c = 0; c < NCONT; c++)
			tw[k][c] = bench_one(&contenders[c], w, runs, &res[c], &n[c],
					     &reps[c]);
		perbit_same[k] = res[C_PERBIT] == res[C_RANGES];
		printf("  %-10s %10s %12s %12s %9s %9s %8s  %s\n", "path", "best of",
		       "result", "ms", "x memcpy", "x perbit", "peak KiB", "");
		for (c = 0; c < NCONT; c++) {
			char peak[24] = "-", bo[32];
			long pk = c ? peak_of(w->name, contenders[c].name, dir) : -1;

			if (pk >= 0)
				snprintf(peak, sizeof(peak), "%ld", pk);
			if (c == C_RANGES)
				peak_ranges[k] = pk;
			if (reps[c] > 1)
				snprintf(bo, sizeof(bo), "%d x%ld", n[c], reps[c]);
			else
				snprintf(bo, sizeof(bo), "%d", n[c]);
			printf("  %-10s %10s %12llu %12.4f %9.2f %9.3f %8s  %s\n",
			       contenders[c].name, bo, (unsigned long long)res[c],
			       tw[k][c] * 1e3, tw[k][c] / tw[k][C_MEMCPY],
			       tw[k][c] / tw[k][C_PERBIT], peak, contenders[c].what);
		}
		wl_close(w);
	}
	free(copy_dst);

	if (khoctl) {
		printf("\nwhole processes, stdout on /dev/null (CPU = user + system "
		       "from wait4):\n");
		printf("  %-44s %4s %10s %10s %9s\n", "process", "N", "CPU ms",
		       "wall ms", "peak KiB");
		print_process(&pr_true);
		print_process(&pr_version);
		print_process(&pr_stat);
		print_process(&pr_ranges);
		print_process(&pr_json);
		print_process(&pr_folios);
		print_process(&pr_synth);
		for (k = 0; k < NWL; k++)
			if (have[k] && k != W1)
				print_process(&pr_rg[k]);
		for (k = 0; have_huge && k < NHUGE; k++)
			print_process(&pr_huge[k]);
		if (python) {
			print_process(&pr_py);
			printf("  (the Python decoder's rows %s khoctl ranges --noheadings, "
			       "byte for byte)\n",
			       py_same == 1 ? "are those of" : "DIFFER FROM");
		}
	}

	loadavg(la1, sizeof(la1));
	printf("\ngoals of issue 20 (limits as stated there; measured = the best "
	       "of N above):\n");
	printf("  %-58s %10s %-4s %-12s %s\n", "goal", "measured", "", "limit", "");
	goal("W1 folio count (stats) vs a memcpy of the tracker pages",
	     have[W1] ? tw[W1][C_STATS] / tw[W1][C_MEMCPY] : -1, 3, true, "x", "");
	{
		/* the first walk of a fresh handover beside it, not hidden */
		char f1[NWL][96], w1f[96];

		w1f[0] = '\0';
		if (have[W1])
			snprintf(w1f, sizeof(w1f), "; a fresh handover's first walk: %.2f ms",
				 tw[W1][C_RANGES_1ST] * 1e3);
		goal("W1 coalesced ranges in the library",
		     have[W1] ? tw[W1][C_RANGES] * 1e3 : -1, 4, true, "ms", w1f);

		for (k = 0; k < NWL; k++)
			if (have[k])
				snprintf(f1[k], sizeof(f1[k]), "; a fresh handover's first walk: %.2f x",
					 tw[k][C_PERBIT] / tw[k][C_RANGES_1ST]);
			else
				f1[k][0] = '\0';
		/* a baseline that did other work than the library is no baseline */
		for (k = 0; k < NWL; k++)
			if (have[k] && !perbit_same[k])
				snprintf(f1[k], sizeof(f1[k]),
					 "; the per-bit ranges differ from the library's");
		goal("S1 ranges vs the per-bit baseline",
		     have[S1] && perbit_same[S1] ? tw[S1][C_PERBIT] / tw[S1][C_RANGES] : -1,
		     20, false, "x", f1[S1]);
		goal("W3 ranges vs the per-bit baseline",
		     have[W3] && perbit_same[W3] ? tw[W3][C_PERBIT] / tw[W3][C_RANGES] : -1,
		     20, false, "x", f1[W3]);
	}
	goal("khoctl ranges W1 > /dev/null, whole process (CPU)",
	     pr_ranges.n ? pr_ranges.cpu_ms : -1, 60, true, "ms", "");
	goal("the same vs a Python decoder printing every range (CPU)",
	     pr_py.n && pr_ranges.cpu_ms > 0 && pr_py.cpu_ms > 0 && py_same == 1
		     ? pr_py.cpu_ms / pr_ranges.cpu_ms : -1, 600, false, "x", "");
	goal("khoctl stat W1, whole process (CPU)",
	     pr_stat.n ? pr_stat.cpu_ms : -1, 5, true, "ms", "");
	goal("khoctl synth of W1, whole process (CPU)",
	     pr_synth.n ? pr_synth.cpu_ms : -1, 100, true, "ms", "");
	{
		/* O(tracker): no workload's peak exceeds its tracker by more than 4 MiB */
		double worst = -1;
		char how[256] = "", *h = how;

		for (k = 0; k < NWL; k++) {
			long pk = pr_rg[k].n && pr_rg[k].cpu_ms >= 0 ? pr_rg[k].rss
								   : peak_ranges[k];
			double d;

			if (!have[k] || pk <= 0)
				continue;
			d = (double)pk / 1024 - (double)tracker_bytes[k] / 1048576;
			if (d > worst)
				worst = d;
			h += snprintf(h, sizeof(how) - (size_t)(h - how), "%s%s %ld KiB - %.1f MiB",
				      h == how ? "; " : ", ", wls[k].name, pk,
				      (double)tracker_bytes[k] / 1048576);
		}
		goal("peak memory O(tracker): ranges peak RSS - tracker size",
		     worst, 4, true, "MiB", how);
	}
	printf("\ngoals of issue 16 (one entry of an impossible order; wall time, "
	       "the best of N; peak RSS, the largest of N):\n");
	printf("  %-58s %10s %-4s %-12s %s\n", "goal", "measured", "", "limit", "");
	for (k = 0; k < NHUGE; k++) {
		char what[128];
		bool ok = have_huge && pr_huge[k].n && pr_huge[k].cpu_ms >= 0;

		snprintf(what, sizeof(what), "khoctl %s, one order-39 entry: time", huge_cmd[k]);
		goal(what, ok ? pr_huge[k].wall_ms : -1, 1000, true, "ms", "");
		snprintf(what, sizeof(what), "khoctl %s, one order-39 entry: memory", huge_cmd[k]);
		goal(what, ok ? (double)pr_huge[k].rss / 1024 : -1, 64, true, "MiB", "");
	}
	printf("load average at start: %s\nload average at end:   %s\n", la0, la1);
	return 0;
}
