// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Truncation and bit-flip sweep over every fixture of the real 7.2.13
 * capture: each damaged input gives a correct decode or a clear error (a
 * documented negative code with a message), never a crash or a hang; the
 * sanitizer build runs the same sweep.
 *
 *  - root FDTs and every blob file: every prefix, every single-bit flip;
 *    the flipped root FDTs that still open are walked over their memory;
 *  - the tracker pages inside slim-kexec.elf / slim-post.elf: a seeded
 *    sample of single-bit flips in a writable in-memory copy, and each
 *    page cut short (the walk must name the page as not covered);
 *  - the ELF cores: every prefix of the header area and every page-sized
 *    prefix of the rest.
 * Expected outcomes come from the files' own headers, read here (FDT
 * totalsize, ELF program headers), not from libkhofmt.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "testutil.h"

#define P 4096u

static char dir[2048];

static const char *fx(const char *name)
{
	static char buf[4][4096];
	static unsigned slot;
	char *p = buf[slot++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static bool clean_err(int rc)
{
	return rc < 0 && rc > -KHOFMT_ERR_MAX &&
	       strcmp(khofmt_strerror(rc), "unknown") != 0;
}

/* ---- a writable in-memory copy of a source ---- */

struct wseg {
	uint64_t pa, size;
	unsigned char *p;
};

struct wimg {
	struct khofmt_source *src;
	struct wseg *seg;
	size_t n;
};

static void wimg_clone(struct wimg *w, struct khofmt_source *from)
{
	const struct khofmt_range *r;
	size_t n, i;
	void *p;

	r = khofmt_source_ranges(from, &n);
	if (khofmt_source_new_mem(&w->src))
		bail_out("new_mem");
	w->seg = xmalloc(n * sizeof(*w->seg));
	w->n = n;
	for (i = 0; i < n; i++) {
		if (khofmt_source_mem_add(w->src, r[i].start, r[i].size, &p) ||
		    khofmt_source_read(from, r[i].start, p, r[i].size))
			bail_out("cloning range 0x%" PRIx64, r[i].start);
		w->seg[i] = (struct wseg){ r[i].start, r[i].size, p };
	}
}

static unsigned char *wimg_ptr(struct wimg *w, uint64_t pa, uint64_t len)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (pa - w->seg[i].pa < w->seg[i].size &&
		    len <= w->seg[i].size - (pa - w->seg[i].pa))
			return w->seg[i].p + (pa - w->seg[i].pa);
	return NULL;
}

static void wimg_free(struct wimg *w)
{
	khofmt_source_free(w->src);
	free(w->seg);
	memset(w, 0, sizeof(*w));
}

/* ---- walking a handover the way khoctl does ---- */

static int count_folio(void *arg, uint64_t phys, unsigned order)
{
	(void)phys;
	(void)order;
	(*(uint64_t *)arg)++;
	return 0;
}

static int count_range(void *arg, uint64_t start, uint64_t size)
{
	(void)start;
	(void)size;
	(*(uint64_t *)arg)++;
	return 0;
}

static int count_problem(void *arg, const struct khofmt_problem *p)
{
	(*(uint64_t *)arg)++;
	return !(p->err < 0 && p->msg && p->msg[0]) ? -1 : 0;
}

struct walk_result {
	int rc_stats, rc_folios, rc_ranges;  /* no problem callback */
	int rc_cb_stats, rc_cb_ranges;       /* with one */
	uint64_t folios, folios_walked, problems;
	bool clean;                          /* every code clean, cb never fatal */
};

static void walk(struct khofmt_handover *h, struct walk_result *wr)
{
	struct khofmt_walk_opts cb = { .sz = sizeof(cb), .problem = count_problem };
	struct khofmt_stats st;
	uint64_t n = 0;

	memset(wr, 0, sizeof(*wr));
	cb.problem_arg = &wr->problems;
	wr->rc_stats = khofmt_stats(h, NULL, &st);
	wr->folios = wr->rc_stats == 0 ? st.folios : 0;
	wr->rc_folios = khofmt_walk_folios(h, NULL, count_folio, &wr->folios_walked);
	wr->rc_ranges = khofmt_walk_ranges(h, NULL, count_range, &n);
	wr->rc_cb_stats = khofmt_stats(h, &cb, &st);
	wr->rc_cb_ranges = khofmt_walk_ranges(h, &cb, count_range, &n);
	wr->clean = (wr->rc_stats == 0 || clean_err(wr->rc_stats)) &&
		    (wr->rc_folios == 0 || clean_err(wr->rc_folios)) &&
		    (wr->rc_ranges == 0 || clean_err(wr->rc_ranges)) &&
		    wr->rc_cb_stats == 0 && wr->rc_cb_ranges == 0 &&
		    (wr->rc_stats != 0 || wr->folios == wr->folios_walked) &&
		    (wr->rc_stats == 0) == (wr->rc_folios == 0);
	if (wr->rc_stats < 0 && !khofmt_handover_errmsg(h)[0])
		wr->clean = false;
}

/* ---- FDT files: every prefix, every single-bit flip ---- */

struct fdt_file {
	const char *name;
	const char *mem;	/* memory of a root FDT, or NULL */
};

static void sweep_fdt_file(const struct fdt_file *ff)
{
	struct khofmt_source *mem = NULL;
	struct khofmt_fdt *fdt = NULL;
	unsigned char *buf;
	size_t len, i, bad_prefix = 0, bad_flip = 0, opened = 0, walked = 0;
	bool is_fdt;
	uint32_t total;
	char err[256];
	int rc;

	buf = read_whole_file(fx(ff->name), &len);
	if (!buf)
		bail_out("cannot read %s", fx(ff->name));
	is_fdt = len >= 40 && be32(buf) == 0xd00dfeed;
	total = is_fdt ? be32(buf + 4) : 0;
	if (ff->mem && khofmt_source_open_elf(fx(ff->mem), &mem))
		bail_out("cannot open %s", ff->mem);

	/*
	 * Prefixes: shorter than the header or than its totalsize means
	 * truncated; no FDT magic means bad FDT. Each prefix sits in a buffer
	 * of its exact size, so reading past it is an ASan report.
	 */
	for (i = 0; i < len; i++) {
		unsigned char *cut = xmalloc(i);
		int want;

		memcpy(cut, buf, i);
		err[0] = 0;
		rc = khofmt_fdt_open(cut, i, &fdt, err, sizeof(err));
		if (i < 40 || (is_fdt && i < total))
			want = -KHOFMT_ERR_TRUNCATED;
		else
			want = -KHOFMT_ERR_BADFDT;
		if (rc != want || !err[0]) {
			if (bad_prefix++ < 3)
				diag("%s: prefix %zu: %s (%s), expected %s", ff->name,
				     i, khofmt_strerror(rc), err, khofmt_strerror(want));
		}
		khofmt_fdt_free(fdt);
		fdt = NULL;
		free(cut);
	}
	ok(bad_prefix == 0, "%s: all %zu proper prefixes refused as %s", ff->name,
	   len, is_fdt ? "truncated" : "truncated/bad FDT");

	/* Every single-bit flip: open, and walk what still opens. */
	for (i = 0; i < 8 * len; i++) {
		struct khofmt_handover *h = NULL;

		buf[i / 8] ^= (unsigned char)(1u << (i % 8));
		err[0] = 0;
		rc = khofmt_fdt_open(buf, len, &fdt, err, sizeof(err));
		if (rc < 0 && (!clean_err(rc) || !err[0])) {
			if (bad_flip++ < 3)
				diag("%s: flip of bit %zu: %d (%s)", ff->name, i, rc, err);
		}
		if (rc == 0) {
			opened++;
			if (mem && khofmt_handover_open(fdt, mem, NULL, &h) == 0) {
				struct walk_result wr;

				walk(h, &wr);
				walked++;
				if (!wr.clean && bad_flip++ < 3)
					diag("%s: flip of bit %zu: walk %d/%d/%d cb %d/%d",
					     ff->name, i, wr.rc_stats, wr.rc_folios,
					     wr.rc_ranges, wr.rc_cb_stats,
					     wr.rc_cb_ranges);
				khofmt_handover_free(h);
			}
		}
		khofmt_fdt_free(fdt);
		fdt = NULL;
		buf[i / 8] ^= (unsigned char)(1u << (i % 8));
	}
	ok(bad_flip == 0, "%s: %zu single-bit flips: decoded (%zu, %zu walked) or a clear error",
	   ff->name, 8 * len, opened, walked);
	khofmt_source_free(mem);
	free(buf);
}

static void fdt_files_below(const char *sub, struct fdt_file **v, size_t *n)
{
	char path[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	if (!d)
		bail_out("cannot list %s", path);
	while ((de = readdir(d))) {
		char rel[1024];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", sub, de->d_name);
		if (stat(fx(rel), &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			fdt_files_below(rel, v, n);
			continue;
		}
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[*n].name = strdup(rel);
		(*v)[*n].mem = NULL;
		(*n)++;
	}
	closedir(d);
}

/* ---- tracker pages ---- */

struct node {
	uint64_t pa;
	unsigned level;
};

struct nodes {
	struct node *v;
	size_t n;
};

static int node_cb(void *arg, uint64_t pa, unsigned level)
{
	struct nodes *ns = arg;

	ns->v = xrealloc(ns->v, (ns->n + 1) * sizeof(*ns->v));
	ns->v[ns->n++] = (struct node){ pa, level };
	return 0;
}

static void sweep_tracker(const char *fdt_name, const char *elf_name,
			  uint64_t seed)
{
	struct khofmt_source *elf = NULL;
	struct khofmt_fdt *fdt = NULL;
	struct khofmt_handover *h = NULL;
	struct nodes ns = { 0 };
	struct walk_result base, wr;
	struct wimg w = { 0 };
	unsigned char *blob;
	size_t len, i, k, flips = 0, bad = 0, leaf_flips = 0, bad_cut = 0;
	static const size_t cuts[] = { 0, 1, 7, 8, P / 2, P - 8, P - 1 };

	blob = read_whole_file(fx(fdt_name), &len);
	if (!blob || khofmt_fdt_open(blob, len, &fdt, NULL, 0) ||
	    khofmt_source_open_elf(fx(elf_name), &elf))
		bail_out("cannot open %s + %s", fdt_name, elf_name);
	wimg_clone(&w, elf);
	if (khofmt_handover_open(fdt, w.src, NULL, &h) ||
	    khofmt_walk_nodes(h, NULL, node_cb, &ns))
		bail_out("%s + %s does not decode", fdt_name, elf_name);
	walk(h, &base);
	ok(base.clean && base.rc_stats == 0 && base.problems == 0 && base.folios > 0,
	   "%s + %s: baseline decodes (%" PRIu64 " entries, %zu tracker pages)",
	   fdt_name, elf_name, base.folios, ns.n);

	/*
	 * Single-bit flips, 48 per page at seeded positions. A flipped leaf
	 * bit adds or removes exactly one entry when the tree still decodes.
	 */
	for (i = 0; i < ns.n; i++) {
		unsigned char *page = wimg_ptr(&w, ns.v[i].pa, P);

		if (!page)
			bail_out("tracker page 0x%" PRIx64 " not in the copy", ns.v[i].pa);
		for (k = 0; k < 48; k++) {
			uint64_t bit = rnd_below(&seed, 8 * P);

			page[bit / 8] ^= (unsigned char)(1u << (bit % 8));
			walk(h, &wr);
			flips++;
			if (!wr.clean ||
			    (ns.v[i].level == 0 && wr.rc_stats == 0 &&
			     wr.folios != base.folios + 1 && wr.folios + 1 != base.folios)) {
				if (bad++ < 5)
					diag("page 0x%" PRIx64 " level %u bit %" PRIu64
					     ": %d/%d/%d cb %d/%d, %" PRIu64 " entries (base %" PRIu64 ")",
					     ns.v[i].pa, ns.v[i].level, bit,
					     wr.rc_stats, wr.rc_folios, wr.rc_ranges,
					     wr.rc_cb_stats, wr.rc_cb_ranges,
					     wr.folios, base.folios);
			}
			if (ns.v[i].level == 0)
				leaf_flips++;
			page[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		}
	}
	ok(bad == 0, "%s: %zu bit flips in %zu tracker pages (%zu in leaves): a decode (leaf: +-1 entry) or a clear error",
	   elf_name, flips, ns.n, leaf_flips);
	walk(h, &wr);
	ok(wr.rc_stats == 0 && wr.folios == base.folios, "%s: restored copy decodes as before",
	   elf_name);
	khofmt_handover_free(h);
	h = NULL;

	/*
	 * Each tracker page cut short (0 .. P-1 bytes kept; the walkers read
	 * whole pages, so these stand for every prefix): an image of only the
	 * tracker pages, that one cut. Without a problem callback the walk
	 * fails naming a missing page; with one it reports and goes on.
	 */
	for (i = 0; i < ns.n; i++) {
		for (k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
			struct khofmt_source *m;
			size_t j;
			void *p;

			if (khofmt_source_new_mem(&m))
				bail_out("new_mem");
			for (j = 0; j < ns.n; j++) {
				size_t keep = j == i ? cuts[k] : P;

				if (!keep)
					continue;
				if (khofmt_source_mem_add(m, ns.v[j].pa, keep, &p))
					bail_out("mem_add");
				memcpy(p, wimg_ptr(&w, ns.v[j].pa, P), keep);
			}
			if (khofmt_handover_open(fdt, m, NULL, &h))
				bail_out("handover_open");
			walk(h, &wr);
			if (!wr.clean || wr.rc_stats != -KHOFMT_ERR_NOTCOVERED ||
			    wr.rc_ranges != -KHOFMT_ERR_NOTCOVERED || wr.problems == 0) {
				if (bad_cut++ < 5)
					diag("page 0x%" PRIx64 " cut to %zu: %s / %s, %" PRIu64 " problems",
					     ns.v[i].pa, cuts[k], khofmt_strerror(wr.rc_stats),
					     khofmt_strerror(wr.rc_ranges), wr.problems);
			}
			khofmt_handover_free(h);
			h = NULL;
			khofmt_source_free(m);
		}
	}
	ok(bad_cut == 0, "%s: each of %zu tracker pages cut short: not covered, reported with a callback",
	   elf_name, ns.n);

	free(ns.v);
	wimg_free(&w);
	khofmt_source_free(elf);
	khofmt_fdt_free(fdt);
	free(blob);
}

/* ---- ELF cores: prefixes ---- */

static void sweep_elf(const char *name, const char *tmpd)
{
	unsigned char *buf;
	size_t len, need, i, phnum, bad = 0, tried = 0;
	uint64_t phoff;
	char path[4096];
	int fd;

	buf = read_whole_file(fx(name), &len);
	if (!buf || len < 64)
		bail_out("cannot read %s", name);
	/* Bytes the file needs, from its own ELF64 headers. */
	phoff = le64_load(buf + 32);
	phnum = buf[56] | (size_t)buf[57] << 8;
	need = phoff + phnum * 56;
	for (i = 0; i < phnum; i++) {
		const unsigned char *ph = buf + phoff + 56 * i;
		uint64_t end = le64_load(ph + 8) + le64_load(ph + 32);

		if (le32_load(ph) == 1 && le64_load(ph + 32) && end > need)
			need = end;
	}
	snprintf(path, sizeof(path), "%s/%s", tmpd, name);
	if (write_whole_file(path, buf, len))
		bail_out("cannot write %s", path);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		bail_out("open %s", path);
	/* Longest first: each step only shortens the same file. */
	for (i = len; i-- > 0;) {
		struct khofmt_source *src = NULL;
		int rc;

		if (i > phoff + phnum * 56 + 64 && i % P && i != len - 1)
			continue;
		if (ftruncate(fd, (off_t)i))
			bail_out("ftruncate");
		rc = khofmt_source_open_elf(path, &src);
		tried++;
		if ((i < need && rc != -KHOFMT_ERR_BADELF) || (i >= need && rc != 0) ||
		    (rc && !khofmt_source_errmsg(src)[0] && src)) {
			if (bad++ < 3)
				diag("%s cut to %zu bytes (needs %zu): %s", name, i,
				     need, khofmt_strerror(rc));
		}
		khofmt_source_free(src);
	}
	close(fd);
	unlink(path);
	ok(bad == 0, "%s: %zu prefixes (every byte of the headers, then every page): %s",
	   name, tried, need == len ? "all refused as a bad ELF" : "refused while short of the data");
	free(buf);
}

/*
 * Regressions of fuzz_fdt / fuzz_radix findings: a valid root FDT at an
 * address that is not 8-byte aligned opens; a version 5 header (the libfdt
 * 1.6.1 fdt_check_full NULL dereference) is refused as a bad FDT.
 */
static void fdt_regressions(void)
{
	struct khofmt_fdt *fdt = NULL;
	unsigned char *buf, *odd;
	char err[256] = "";
	size_t len;
	int rc;

	buf = read_whole_file(fx("root.fdt"), &len);
	if (!buf)
		bail_out("cannot read root.fdt");
	odd = xmalloc(len + 3);
	memcpy(odd + 3, buf, len);
	rc = khofmt_fdt_open(odd + 3, len, &fdt, err, sizeof(err));
	is_int(rc, 0, "root.fdt at an odd address opens (%s)", err);
	is_str(khofmt_abi_name(khofmt_fdt_abi(fdt)), "kho-v4", "... as kho-v4");
	khofmt_fdt_free(fdt);
	fdt = NULL;
	/* version 5, last compatible version 2 (big-endian u32s at 20, 24) */
	buf[23] = 5;
	buf[27] = 2;
	rc = khofmt_fdt_open(buf, len, &fdt, err, sizeof(err));
	is_int(rc, -KHOFMT_ERR_BADFDT, "FDT version 5 refused as a bad FDT");
	ok(strstr(err, "version") != NULL, "... the message names the version: %s", err);
	khofmt_fdt_free(fdt);
	free(odd);
	free(buf);
}

int main(void)
{
	static const struct fdt_file roots[] = {
		{ "root.fdt", "slim-kexec.elf" },
		{ "root-k2.fdt", "slim-post.elf" },
	};
	struct fdt_file *blobs = NULL;
	const char *e = getenv("FIXTURES");
	size_t nblobs = 0, i;
	char *tmpd;

	snprintf(dir, sizeof(dir), "%s", e && *e ? e : FIXTURES_DIR);
	fdt_regressions();
	for (i = 0; i < 2; i++)
		sweep_fdt_file(&roots[i]);
	fdt_files_below("blobs", &blobs, &nblobs);
	ok(nblobs >= 20, "%zu blob files found", nblobs);
	for (i = 0; i < nblobs; i++) {
		sweep_fdt_file(&blobs[i]);
		free((char *)blobs[i].name);
	}
	free(blobs);
	sweep_tracker("root.fdt", "slim-kexec.elf", 0x5eed1);
	sweep_tracker("root-k2.fdt", "slim-post.elf", 0x5eed2);
	tmpd = tmpdir_new("sweep");
	sweep_elf("slim-kexec.elf", tmpd);
	sweep_elf("slim-post.elf", tmpd);
	sweep_elf("slim-pre.elf", tmpd);

	/* The capture of `make check-vm`, beside the first fixture. */
	{
		static const struct fdt_file vm_root = { "root.fdt", "slim-k1.elf" };
		char *slash = strrchr(dir, '/');

		if (!slash)
			bail_out("fixture directory %s has no parent", dir);
		snprintf(slash + 1, sizeof(dir) - (size_t)(slash + 1 - dir),
			 "linux-7.2.13-vm-e2e");
		blobs = NULL;
		nblobs = 0;
		sweep_fdt_file(&vm_root);
		fdt_files_below("blobs", &blobs, &nblobs);
		ok(nblobs >= 10, "vm fixture: %zu blob files found", nblobs);
		for (i = 0; i < nblobs; i++) {
			sweep_fdt_file(&blobs[i]);
			free((char *)blobs[i].name);
		}
		free(blobs);
		sweep_tracker("root.fdt", "slim-k1.elf", 0x5eed3);
		sweep_elf("slim-k1.elf", tmpd);
	}
	tmpdir_cleanup(tmpd);
	return done_testing();
}
