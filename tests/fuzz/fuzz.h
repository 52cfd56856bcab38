/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz.h - shared by the libFuzzer targets in tests/fuzz/ (public API only).
 *
 * A target is one file fuzz_<name>.c that defines LLVMFuzzerTestOneInput().
 * It is built twice:
 *  - with clang -fsanitize=fuzzer,address,undefined against the library
 *    sources compiled the same way (`make fuzz-smoke`, `make fuzz`);
 *  - with the normal compiler and libkhofmt.la plus replay_main.c, as the
 *    corpus replayer that `make check` runs over the seeds and over
 *    tests/fuzz/regress/<target>/ (every crash found lands there).
 *
 * A target may declare, in a comment line of its own source:
 *	fuzz-dict: fdt elf     (dictionaries tests/fuzz/dict/<name>.dict)
 *	fuzz-max-len: 262144   (libFuzzer -max_len)
 *
 * Invariants are checked with FZ_ASSERT(), which aborts: libFuzzer (and the
 * replayer's caller) then report the input as a crash.
 */
#ifndef KHO_FUZZ_H
#define KHO_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khofmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_ASSERT(c)                                                       \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",   \
				__FILE__, __LINE__, #c);                   \
			abort();                                           \
		}                                                          \
	} while (0)

/* A clear error: a documented negative code with a name. */
#define FZ_RC(rc)                                                          \
	FZ_ASSERT((rc) >= 0 || ((rc) > -KHOFMT_ERR_MAX &&                  \
				strcmp(khofmt_strerror(rc), "unknown") != 0))

/* ---- reading the fuzz input ---- */

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static inline bool fz_take(struct fz_in *in, void *out, size_t len)
{
	if (in->n < len)
		return false;
	if (out)
		memcpy(out, in->p, len);
	in->p += len;
	in->n -= len;
	return true;
}

static inline uint64_t fz_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

/*
 * The header that the radix and pipeline targets share (4 bytes):
 *   byte 0: bits 0-1 page shift (1 = 14, 2 = 16, else 12),
 *           bit 2 walk with a problem callback as well;
 *   byte 1: reserved;
 *   bytes 2-3: length of the root FDT that follows (little-endian).
 */
struct fz_hdr {
	unsigned page_shift;
	bool problem_cb;
	const uint8_t *fdt;
	size_t fdt_len;
};

static inline bool fz_hdr_take(struct fz_in *in, struct fz_hdr *h)
{
	uint8_t b[4];

	if (!fz_take(in, b, 4))
		return false;
	h->page_shift = (b[0] & 3) == 1 ? 14 : (b[0] & 3) == 2 ? 16 : 12;
	h->problem_cb = b[0] & 4;
	h->fdt_len = (size_t)fz_le(b + 2, 2);
	h->fdt = in->p;
	return fz_take(in, NULL, h->fdt_len);
}

static inline void fz_hdr_put(uint8_t out[4], unsigned page_shift,
			      bool problem_cb, size_t fdt_len)
{
	out[0] = (uint8_t)((page_shift == 14 ? 1 : page_shift == 16 ? 2 : 0) |
			   (problem_cb ? 4 : 0));
	out[1] = 0;
	out[2] = (uint8_t)fdt_len;
	out[3] = (uint8_t)(fdt_len >> 8);
}

/* ---- running every walker over a handover, with cross-checks ---- */

/* Folios collected up to a cap; past it only counted. */
#define FZ_MAX_FOLIOS 8192u

struct fz_folios {
	uint64_t n;
	size_t kept;
	struct khofmt_range v[FZ_MAX_FOLIOS];	/* byte extents */
};

static inline int fz_folio_cb(void *arg, uint64_t phys, unsigned order)
{
	struct fz_folios *f = arg;

	if (f->kept < FZ_MAX_FOLIOS) {
		f->v[f->kept].start = phys;
		f->v[f->kept].size = order;	/* order for now */
		f->kept++;
	}
	f->n++;
	return 0;
}

struct fz_ranges {
	uint64_t n, bytes, last_end;
	bool sorted;
};

static inline int fz_range_cb(void *arg, uint64_t start, uint64_t size)
{
	struct fz_ranges *r = arg;

	/* Maximal ranges: ascending, neither overlapping nor touching. */
	if (r->n && start <= r->last_end)
		r->sorted = false;
	FZ_ASSERT(size > 0 && start + size > start);
	r->last_end = start + size;
	r->n++;
	r->bytes += size;
	return 0;
}

static inline int fz_node_cb(void *arg, uint64_t pa, unsigned level)
{
	uint64_t *n = arg;

	(void)pa;
	FZ_ASSERT(level < KHOFMT_MAX_LEVELS);
	(*n)++;
	return 0;
}

struct fz_problems {
	uint64_t n;
	uint64_t stop_after;	/* 0 = never stop */
};

static inline int fz_problem_cb(void *arg, const struct khofmt_problem *p)
{
	struct fz_problems *pr = arg;

	FZ_ASSERT(p->err < 0 && p->err > -KHOFMT_ERR_MAX);
	FZ_ASSERT(p->msg && p->msg[0]);
	pr->n++;
	return pr->stop_after && pr->n >= pr->stop_after;
}

static inline int fz_range_cmp(const void *a, const void *b)
{
	const struct khofmt_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Every walker, without and (if @problem_cb) with a problem callback.
 * When the tree is clean (the folio walk without callback succeeds), the
 * stats, the folio list, the node count and the coalesced ranges must all
 * agree: the ranges are recomputed here from the folios.
 */
static inline void fz_walk_all(struct khofmt_handover *h, bool problem_cb)
{
	static struct fz_folios folios;
	const struct khofmt_geom *g = khofmt_handover_geom(h);
	struct khofmt_walk_opts wo = { .sz = sizeof(wo) };
	struct fz_problems pr = { 0, 0 };
	struct khofmt_stats st;
	struct fz_ranges rg = { .sorted = true };
	uint64_t nodes = 0, sum, i;
	int rf, rs, rr, rn;
	unsigned pass;

	FZ_ASSERT(g);
	for (pass = 0; pass < (problem_cb ? 3u : 1u); pass++) {
		if (pass) {
			wo.problem = fz_problem_cb;
			wo.problem_arg = &pr;
			pr.n = 0;
			/* pass 2: stop at the first problem */
			pr.stop_after = pass == 2 ? 1 : 0;
		}
		folios.n = 0;
		folios.kept = 0;
		rf = khofmt_walk_folios(h, &wo, fz_folio_cb, &folios);
		FZ_RC(rf);
		rs = khofmt_stats(h, &wo, &st);
		FZ_RC(rs);
		rg = (struct fz_ranges){ .sorted = true };
		rr = khofmt_walk_ranges(h, &wo, fz_range_cb, &rg);
		FZ_RC(rr);
		nodes = 0;
		rn = khofmt_walk_nodes(h, &wo, fz_node_cb, &nodes);
		FZ_RC(rn);
		FZ_ASSERT(rg.sorted);
		if (pass == 1) {
			/* Problems are skipped, never fatal. */
			FZ_ASSERT(rf >= 0 && rs >= 0 && rr >= 0 && rn >= 0);
		}
		if (pass != 0 || rf != 0)
			continue;

		/* A clean tree: everything must agree. */
		FZ_ASSERT(rs == 0 && rr == 0 && rn == 0);
		FZ_ASSERT(st.folios == folios.n);
		FZ_ASSERT(st.tracker_total_pages == nodes);
		for (i = 0, sum = 0; i < KHOFMT_MAX_ORDERS; i++)
			sum += st.per_order[i];
		FZ_ASSERT(sum == st.folios);
		if (folios.n == folios.kept && folios.kept) {
			struct khofmt_range *v = folios.v;
			uint64_t cs, ce, nr = 0, nb = 0;
			size_t k;

			for (k = 0; k < folios.kept; k++)
				v[k].size = UINT64_C(1)
					    << (g->page_shift + v[k].size);
			qsort(v, folios.kept, sizeof(*v), fz_range_cmp);
			cs = v[0].start;
			ce = cs + v[0].size;
			for (k = 1; k <= folios.kept; k++) {
				if (k < folios.kept && v[k].start <= ce) {
					if (v[k].start + v[k].size > ce)
						ce = v[k].start + v[k].size;
					continue;
				}
				nr++;
				nb += ce - cs;
				if (k < folios.kept) {
					cs = v[k].start;
					ce = cs + v[k].size;
				}
			}
			FZ_ASSERT(rg.n == nr);
			FZ_ASSERT(rg.bytes == nb);
		}
	}
}

#endif /* KHO_FUZZ_H */
