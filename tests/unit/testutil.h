/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the unit tests: a seeded PRNG, folio/range vectors,
 * and the *independent* reference computations (sorting, coalescing, the
 * greedy range split) the tests compare libkhofmt against. Nothing here
 * calls into the code under test except the small glue at the end
 * (collect callbacks, encode-and-open).
 */
#ifndef KHO_TESTS_TESTUTIL_H
#define KHO_TESTS_TESTUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "khofmt.h"
#include "tap.h"

#define U64(x) UINT64_C(x)

/* ---- PRNG: splitmix64 (Steele, Lea, Flood 2014), fully deterministic ---- */

static inline uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += U64(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * U64(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * U64(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0), rejection sampling: no modulo bias. */
static inline uint64_t rnd_below(uint64_t *s, uint64_t n)
{
	uint64_t lim, r;

	if (n == 0)
		return 0;
	lim = UINT64_MAX - UINT64_MAX % n;
	do
		r = splitmix64(s);
	while (r >= lim);
	return r % n;
}

static inline void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		bail_out("out of memory (%zu bytes)", n);
	return p;
}

static inline void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		bail_out("out of memory (%zu bytes)", n);
	return p;
}

/* ---- folio and range vectors ---- */

struct folio {
	uint64_t phys;
	unsigned order;
};

struct fvec {
	struct folio *v;
	size_t n, cap;
};

struct rvec {
	struct khofmt_range *v;
	size_t n, cap;
};

static inline void fv_push(struct fvec *f, uint64_t phys, unsigned order)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	f->v[f->n].phys = phys;
	f->v[f->n].order = order;
	f->n++;
}

static inline void fv_free(struct fvec *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static inline void rv_push(struct rvec *r, uint64_t start, uint64_t size)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n].start = start;
	r->v[r->n].size = size;
	r->n++;
}

static inline void rv_free(struct rvec *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static inline int folio_cmp(const void *a, const void *b)
{
	const struct folio *x = a, *y = b;

	if (x->phys != y->phys)
		return x->phys < y->phys ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return 0;
}

/* Sort by (phys, order) and drop exact duplicates. */
static inline void fv_sort_unique(struct fvec *f)
{
	size_t i, j = 0;

	if (f->n == 0)
		return;
	qsort(f->v, f->n, sizeof(*f->v), folio_cmp);
	for (i = 1; i < f->n; i++)
		if (folio_cmp(&f->v[i], &f->v[j]))
			f->v[++j] = f->v[i];
	f->n = j + 1;
}

static inline void fv_copy(struct fvec *dst, const struct fvec *src)
{
	dst->n = dst->cap = src->n;
	dst->v = xmalloc((src->n ? src->n : 1) * sizeof(*dst->v));
	memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
}

static inline int range_cmp(const void *a, const void *b)
{
	const struct khofmt_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return 0;
}

/*
 * Reference coalescing: the entries' byte extents sorted by start, merged
 * when they overlap or touch. Page size 1 << ps.
 */
static inline void ref_coalesce(const struct fvec *f, unsigned ps,
				struct rvec *out)
{
	struct khofmt_range *tmp;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!f->n)
		return;
	tmp = xmalloc(f->n * sizeof(*tmp));
	for (i = 0; i < f->n; i++) {
		tmp[i].start = f->v[i].phys;
		tmp[i].size = U64(1) << (ps + f->v[i].order);
	}
	qsort(tmp, f->n, sizeof(*tmp), range_cmp);
	rv_push(out, tmp[0].start, tmp[0].size);
	for (i = 1; i < f->n; i++) {
		struct khofmt_range *last = &out->v[out->n - 1];
		uint64_t end = last->start + last->size;
		uint64_t e2 = tmp[i].start + tmp[i].size;

		if (tmp[i].start <= end) {
			if (e2 > end)
				last->size = e2 - last->start;
		} else {
			rv_push(out, tmp[i].start, tmp[i].size);
		}
	}
	free(tmp);
}

/*
 * Reference greedy split (doc/ABI.md 4, kho_preserve_pages()): blocks of
 * order min(ctz(pfn), floor(log2(remaining pages))).
 */
static inline void ref_greedy_split(uint64_t phys, uint64_t size, unsigned ps,
				    struct fvec *out)
{
	uint64_t pfn = phys >> ps, left = size >> ps;

	while (left) {
		unsigned o = 63 - (unsigned)__builtin_clzll(left);

		if (pfn && (unsigned)__builtin_ctzll(pfn) < o)
			o = (unsigned)__builtin_ctzll(pfn);
		fv_push(out, pfn << ps, o);
		pfn += U64(1) << o;
		left -= U64(1) << o;
	}
}

/* Is [start, start+size) inside one of the sorted, coalesced ranges? */
static inline bool rv_covers(const struct rvec *r, uint64_t start,
			     uint64_t size)
{
	size_t lo = 0, hi = r->n;

	/* last range with range.start <= start */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->v[mid].start <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	lo--;
	return start - r->v[lo].start <= r->v[lo].size &&
	       size <= r->v[lo].size - (start - r->v[lo].start);
}

/* Reference radix key (doc/ABI.md 4.1.3). */
static inline uint64_t ref_key(unsigned ps, uint64_t phys, unsigned order)
{
	return (U64(1) << (64 - ps - order)) | (phys >> (ps + order));
}

/* ---- files ---- */

static inline void *read_whole_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!fp)
		return NULL;
	do {
		if (cap - n < 65536) {
			cap = cap ? 2 * cap : 65536;
			buf = xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
	} while (got);
	fclose(fp);
	*len = n;
	return buf;
}

static inline int write_whole_file(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");
	int rc = 0;

	if (!fp)
		return -1;
	if (n && fwrite(p, 1, n, fp) != n)
		rc = -1;
	if (fclose(fp))
		rc = -1;
	return rc;
}

/* A fresh temporary directory (removed by tmpdir_cleanup). */
static inline char *tmpdir_new(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *p;

	if (!base || !*base)
		base = "/tmp";
	p = xmalloc(strlen(base) + strlen(tag) + 32);
	sprintf(p, "%s/kho-%s-XXXXXX", base, tag);
	if (!mkdtemp(p))
		bail_out("mkdtemp %s: %s", p, strerror(errno));
	return p;
}

static inline void tmpdir_cleanup(char *dir)
{
	char cmd[4096];

	/* Only our own mkdtemp() directory; the name has no shell specials. */
	if (dir && strstr(dir, "/kho-")) {
		snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	free(dir);
}

/* ---- glue to the library under test ---- */

static inline int collect_folio_cb(void *arg, uint64_t phys, unsigned order)
{
	fv_push(arg, phys, order);
	return 0;
}

static inline int collect_range_cb(void *arg, uint64_t start, uint64_t size)
{
	rv_push(arg, start, size);
	return 0;
}

/* Compare two sorted folio sets; print the first differences. */
static inline bool fv_equal_diag(const struct fvec *got,
				 const struct fvec *want)
{
	size_t i = 0, j = 0, shown = 0;
	bool same = got->n == want->n;

	while ((i < got->n || j < want->n) && shown < 8) {
		int c;

		if (i == got->n)
			c = 1;
		else if (j == want->n)
			c = -1;
		else
			c = folio_cmp(&got->v[i], &want->v[j]);
		if (c == 0) {
			i++, j++;
			continue;
		}
		same = false;
		if (c < 0) {
			diag("  unexpected entry phys 0x%" PRIx64 " order %u",
			     got->v[i].phys, got->v[i].order);
			i++;
		} else {
			diag("  missing entry    phys 0x%" PRIx64 " order %u",
			     want->v[j].phys, want->v[j].order);
			j++;
		}
		shown++;
	}
	if (!same)
		diag("  got %zu entries, expected %zu", got->n, want->n);
	return same;
}

static inline bool rv_equal_diag(const struct rvec *got,
				 const struct rvec *want)
{
	size_t i, shown = 0;
	bool same = got->n == want->n;

	for (i = 0; i < got->n && i < want->n && shown < 8; i++) {
		if (got->v[i].start == want->v[i].start &&
		    got->v[i].size == want->v[i].size)
			continue;
		same = false;
		diag("  range %zu: got [0x%" PRIx64 ", +0x%" PRIx64
		     ") expected [0x%" PRIx64 ", +0x%" PRIx64 ")", i,
		     got->v[i].start, got->v[i].size, want->v[i].start,
		     want->v[i].size);
		shown++;
	}
	if (got->n != want->n)
		diag("  got %zu ranges, expected %zu", got->n, want->n);
	return same;
}

/* An encoded state, decoded again through the public API. */
struct state {
	struct khofmt_source *src;
	void *fdt_blob;
	size_t fdt_len;
	uint64_t fdt_pa;
	struct khofmt_fdt *fdt;
	struct khofmt_handover *h;
};

static inline void state_free(struct state *s)
{
	khofmt_handover_free(s->h);
	khofmt_fdt_free(s->fdt);
	khofmt_source_free(s->src);
	free(s->fdt_blob);
	memset(s, 0, sizeof(*s));
}

/*
 * Finish @enc and open the result (fdt_open + handover_open with
 * @page_shift). Returns 0 or the first negative error (with a diag).
 */
static inline int state_finish_open(struct khofmt_enc *enc, unsigned ps,
				    struct state *s)
{
	struct khofmt_open_opts oo = { .sz = sizeof(oo), .page_shift = ps };
	char err[256] = "";
	int rc;

	memset(s, 0, sizeof(*s));
	rc = khofmt_enc_finish(enc, &s->src, &s->fdt_blob, &s->fdt_len,
			       &s->fdt_pa);
	if (rc < 0) {
		diag("khofmt_enc_finish: %s (%s)", khofmt_strerror(rc),
		     khofmt_enc_errmsg(enc));
		return rc;
	}
	rc = khofmt_fdt_open(s->fdt_blob, s->fdt_len, &s->fdt, err,
			     sizeof(err));
	if (rc < 0) {
		diag("khofmt_fdt_open: %s (%s)", khofmt_strerror(rc), err);
		return rc;
	}
	rc = khofmt_handover_open(s->fdt, s->src, &oo, &s->h);
	if (rc < 0) {
		diag("khofmt_handover_open: %s (%s)", khofmt_strerror(rc),
		     s->h ? khofmt_handover_errmsg(s->h) : "");
		return rc;
	}
	return 0;
}

/*
 * Deep copy of a memory source into a fresh, writable in-memory source
 * (so hostile tests can poke bytes). Uses only the public API.
 */
static inline int source_clone_mem(struct khofmt_source *from,
				   struct khofmt_source **out)
{
	const struct khofmt_range *r;
	struct khofmt_source *to = NULL;
	size_t n, i;
	int rc;

	r = khofmt_source_ranges(from, &n);
	rc = khofmt_source_new_mem(&to);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		void *p;

		rc = khofmt_source_mem_add(to, r[i].start, r[i].size, &p);
		if (rc < 0)
			goto fail;
		rc = khofmt_source_read(from, r[i].start, p, r[i].size);
		if (rc < 0)
			goto fail;
	}
	*out = to;
	return 0;
fail:
	khofmt_source_free(to);
	return rc;
}

static inline uint64_t le64_load(const void *p)
{
	const unsigned char *b = p;
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

static inline void le64_store(void *p, uint64_t v)
{
	unsigned char *b = p;
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t le32_load(const void *p)
{
	const unsigned char *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

#endif /* KHO_TESTS_TESTUTIL_H */
