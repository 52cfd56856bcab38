// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Folios, coalesced ranges and counts: the public walkers, independent of
 * the tracker generation.
 *
 * Ranges: each order's entries come out of the tracker in address order,
 * so one stream per order is opened and the streams are merged by start
 * address, coalescing touching and overlapping runs. Memory stays
 * proportional to the number of orders and the tree depth.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void khofmt_stats_add(struct khofmt_stats *st, uint64_t n, unsigned order,
		      unsigned page_shift, uint64_t lo, uint64_t end)
{
	if (!n)
		return;
	if (!st->folios || order < st->min_order)
		st->min_order = order;
	if (!st->folios || order > st->max_order)
		st->max_order = order;
	if (!st->folios || lo < st->lowest)
		st->lowest = lo;
	if (!st->folios || end > st->highest_end)
		st->highest_end = end;
	st->folios += n;
	st->per_order[order] += n;
	st->pages += n << order;
	st->bytes += n << (order + page_shift);
}

static int check_args(struct khofmt_handover *h,
		      const struct khofmt_walk_opts *opts)
{
	if (!h)
		return -KHOFMT_ERR_INVAL;
	return KHOFMT_OPTS_VALID(opts, sizeof(*opts));
}

int khofmt_walk_folios(struct khofmt_handover *h,
		       const struct khofmt_walk_opts *opts,
		       khofmt_folio_cb cb, void *arg)
{
	int r = check_args(h, opts);

	if (r)
		return r;
	if (!cb)
		return -KHOFMT_ERR_INVAL;
	return h->ops->walk_folios(h, opts, cb, arg);
}

int khofmt_stats(struct khofmt_handover *h,
		 const struct khofmt_walk_opts *opts, struct khofmt_stats *st)
{
	int r = check_args(h, opts);

	if (r)
		return r;
	if (!st)
		return -KHOFMT_ERR_INVAL;
	return h->ops->stats(h, opts, st);
}

int khofmt_walk_nodes(struct khofmt_handover *h,
		      const struct khofmt_walk_opts *opts,
		      khofmt_node_cb cb, void *arg)
{
	int r = check_args(h, opts);

	if (r)
		return r;
	if (!cb)
		return -KHOFMT_ERR_INVAL;
	return h->ops->walk_nodes(h, opts, cb, arg);
}

/* Runs fetched from a stream per call: one indirect call per batch. */
#define RUN_BATCH 128
/* ... the first time (the radix streams fill 66 and more at once) */
#define FIRST_BATCH 66

struct head {
	struct order_stream *s;
	struct khofmt_range *run;	/* RUN_BATCH slots */
	size_t i, n;			/* next unread run, runs in the batch */
	uint64_t key;			/* run[i].start, kept at hand for the heap */
	unsigned order;
};

/*
 * Next batch of @hd's stream, at most @max (<= RUN_BATCH) runs: 0 = got
 * runs, 1 = end, < 0 error.
 */
static int head_refill(struct khofmt_handover *h, struct head *hd, size_t max)
{
	int r;

	hd->i = 0;
	hd->n = 0;
	if (h->ops->stream_fill) {
		r = h->ops->stream_fill(hd->s, hd->run, max);
		if (r <= 0)
			return r < 0 ? r : 1;
		hd->n = (size_t)r;
		hd->key = hd->run[0].start;
		return 0;
	}
	r = h->ops->stream_next(hd->s, &hd->run[0].start, &hd->run[0].size);
	if (r == 0) {
		hd->n = 1;
		hd->key = hd->run[0].start;
	}
	return r;
}

/* Coalesced ranges handed to the caller per call. */
#define OUT_BATCH 2048
/* drain_direct: room a stream gets in the output batch, at least. */
#define DIRECT_ROOM 128

/* The coalescing range being built: [cs, ce) once have. */
struct merge {
	uint64_t cs, ce;
	bool have;
	struct khofmt_range *out;	/* OUT_BATCH finished ranges */
	size_t nout;
	khofmt_ranges_cb cb;
	void *arg;
	overlap_cb ovl;			/* may be NULL */
	void *ovl_arg;
};

/* Hand the finished ranges to the caller: its value. */
static int merge_flush(struct merge *m)
{
	size_t n = m->nout;

	m->nout = 0;
	return n ? m->cb(m->arg, m->out, n) : 0;
}

/* Add [s, s + len) (in ascending start order): the callback's value. */
static inline int merge_add(struct merge *m, uint64_t s, uint64_t len,
			    unsigned order)
{
	uint64_t e = s + len;
	int r;

	if (m->have && s <= m->ce) {
		/* Runs of one order never overlap: this is another order's. */
		if (m->ovl && s < m->ce) {
			/* the ranges before it first, as if unbatched */
			r = merge_flush(m);
			if (r)
				return r;
			r = m->ovl(m->ovl_arg, s, (e < m->ce ? e : m->ce) - s,
				   order, m->cs);
			if (r)
				return r;
		}
		if (e > m->ce)
			m->ce = e;
		return 0;
	}
	if (m->have) {
		m->out[m->nout].start = m->cs;
		m->out[m->nout].size = m->ce - m->cs;
		if (++m->nout == OUT_BATCH) {
			r = merge_flush(m);
			if (r)
				return r;
		}
	}
	m->have = true;
	m->cs = s;
	m->ce = e;
	return 0;
}

/*
 * The last stream standing: its batch into @m. A stream's runs are sorted
 * and already coalesced, so only the first can join the range being built;
 * the rest is a copy with the state in registers (the general merge_add
 * still handles any run that touches).
 */
static int drain_one(struct merge *m, struct head *hd)
{
	const struct khofmt_range *run = hd->run;
	struct khofmt_range *out = m->out;
	size_t i = hd->i, n = hd->n, nout = m->nout;
	uint64_t cs = m->cs, ce = m->ce;
	bool have = m->have;
	int r = 0;

	for (; i < n; i++) {
		uint64_t s = run[i].start, e = s + run[i].size;

		if (__builtin_expect(have && s <= ce, 0)) {
			m->cs = cs;
			m->ce = ce;
			m->nout = nout;
			r = merge_add(m, s, run[i].size, hd->order);
			cs = m->cs;
			ce = m->ce;
			nout = m->nout;
			if (r) {
				i++;
				break;
			}
			continue;
		}
		if (have) {
			out[nout].start = cs;
			out[nout].size = ce - cs;
			if (++nout == OUT_BATCH) {
				m->nout = nout;
				r = merge_flush(m);
				nout = 0;
				if (r) {
					/* this run still becomes the pending one */
					cs = s;
					ce = e;
					i++;
					break;
				}
			}
		}
		have = true;
		cs = s;
		ce = e;
	}
	hd->i = i;
	m->cs = cs;
	m->ce = ce;
	m->have = have;
	m->nout = nout;
	return r;
}

/*
 * The last stream standing, once its current batch is drained, with no
 * overlap hook: the stream fills the output batch itself. The range being
 * built is put in front as if finished; when the stream's first run does
 * not touch it, every run but the last is final (a stream's runs never
 * touch each other) and only the last becomes the range being built. When
 * it does touch, the runs are merged in place (merge_add writes at or
 * behind the run it reads). Returns 0 at the stream's end, else the
 * callback's value or an error.
 */
static int drain_direct(struct khofmt_handover *h, struct merge *m,
			struct head *hd)
{
	struct khofmt_range *out = m->out;
	int r;

	for (;;) {
		size_t base, k, j;

		if (OUT_BATCH - m->nout < DIRECT_ROOM + 1) {
			r = merge_flush(m);
			if (r)
				return r;
		}
		base = m->nout;
		if (m->have) {
			out[base].start = m->cs;
			out[base].size = m->ce - m->cs;
		}
		r = h->ops->stream_fill(hd->s, out + base + 1, OUT_BATCH - base - 1);
		if (r <= 0)
			return r;
		k = (size_t)r;
		if (!m->have || out[base + 1].start > m->ce) {
			/* out[base] (if any) .. out[base + k - 1] final */
			size_t from = base + 1;

			if (!m->have) {
				memmove(out + base, out + from, k * sizeof(*out));
				from = base;
			} else {
				from = base + 1;
			}
			m->cs = out[from + k - 1].start;
			m->ce = m->cs + out[from + k - 1].size;
			m->have = true;
			m->nout = from + k - 1;
			continue;
		}
		for (j = base + 1; j < base + 1 + k; j++) {
			r = merge_add(m, out[j].start, out[j].size, hd->order);
			if (r)
				return r;
		}
	}
}

/*
 * The heap holds each head's key next to its index (no indirection when
 * comparing); slots from n up to 2n + 2 hold UINT64_MAX so that a node
 * always has two children to compare.
 */
struct hent {
	uint64_t key;
	unsigned idx;
};

/* Restore the min-heap @hq[0..n) below position @i (hole method). */
static void heap_down(struct hent *hq, unsigned n, unsigned i)
{
	struct hent x = hq[i];

	for (;;) {
		unsigned l = 2 * i + 1, m;

		if (l >= n)
			break;
		m = l + (hq[l + 1].key < hq[l].key);
		if (hq[m].key >= x.key)
			break;
		hq[i] = hq[m];
		i = m;
	}
	hq[i] = x;
}

/* khofmt_walk_ranges' callback, called per range from a batch. */
struct one_by_one {
	khofmt_range_cb cb;
	void *arg;
};

static int one_by_one(void *arg, const struct khofmt_range *v, size_t n)
{
	const struct one_by_one *o = arg;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = o->cb(o->arg, v[i].start, v[i].size);
		if (r)
			return r;
	}
	return 0;
}

int khofmt_walk_ranges(struct khofmt_handover *h,
		       const struct khofmt_walk_opts *opts,
		       khofmt_range_cb cb, void *arg)
{
	struct one_by_one o = { cb, arg };

	if (!cb)
		return -KHOFMT_ERR_INVAL;
	return khofmt_walk_ranges_overlap(h, opts, one_by_one, &o, NULL, NULL);
}

int khofmt_walk_range_batches(struct khofmt_handover *h,
			      const struct khofmt_walk_opts *opts,
			      khofmt_ranges_cb cb, void *arg)
{
	return khofmt_walk_ranges_overlap(h, opts, cb, arg, NULL, NULL);
}

int khofmt_walk_ranges_overlap(struct khofmt_handover *h,
			const struct khofmt_walk_opts *opts,
			khofmt_ranges_cb cb, void *arg,
			overlap_cb ovl, void *ovl_arg)
{
	struct head heads[KHOFMT_MAX_ORDERS];
	struct hent hq[2 * KHOFMT_MAX_ORDERS + 2]; /* heap of the heads */
	struct khofmt_range *runs = NULL;
	struct tracker_index *ix = NULL;
	struct merge mg = {
		.cb = cb, .arg = arg, .ovl = ovl, .ovl_arg = ovl_arg,
	};
	unsigned nheads = 0, nord, o, i;
	uint64_t omask;
	int r;

	r = check_args(h, opts);
	if (r)
		return r;
	if (!cb)
		return -KHOFMT_ERR_INVAL;
	/*
	 * The structure is checked first: without a problem callback a bad
	 * tree fails here; with one, problems are reported here once and the
	 * streams below skip what they cannot follow. A tracker that can
	 * index itself in that pass (the radix tree: its leaves in key order)
	 * lets the streams start from the index and skips empty orders.
	 */
	if (h->ops->index_open)
		r = h->ops->index_open(h, opts, &ix);
	else
		r = h->ops->check(h, opts);
	if (r)
		return r;
	/* batch buffers for the orders that can have entries only */
	nord = ix ? (unsigned)__builtin_popcountll(ix->orders)
		  : h->geom.max_order + 1;
	if (nord > KHOFMT_MAX_ORDERS)
		nord = KHOFMT_MAX_ORDERS;
	runs = malloc(sizeof(*runs) * (RUN_BATCH * (size_t)nord + OUT_BATCH));
	if (!runs) {
		r = -KHOFMT_ERR_NOMEM;
		goto out;
	}
	mg.out = runs + RUN_BATCH * (size_t)nord;

	/* the orders the index has (their bits), else every order */
	omask = ix ? ix->orders : ~UINT64_C(0);
	if (h->geom.max_order + 1 < KHOFMT_MAX_ORDERS)
		omask &= (UINT64_C(2) << h->geom.max_order) - 1;
	for (; omask; omask &= omask - 1) {
		struct head *hd = &heads[nheads];

		o = (unsigned)__builtin_ctzll(omask);
		hd->run = runs + (size_t)nheads * RUN_BATCH;
		r = ix ? h->ops->stream_open_ix(h, ix, o, &hd->s)
		       : h->ops->stream_open(h, o, &hd->s);
		if (r)
			goto out;
		/*
		 * A short first batch: when one stream is left, the rest of its
		 * batch is copied run by run (drain_one) before the stream
		 * writes into the output itself (drain_direct).
		 */
		r = head_refill(h, hd, FIRST_BATCH);
		if (r < 0) {
			h->ops->stream_close(hd->s);
			goto out;
		}
		if (r == 1) {
			h->ops->stream_close(hd->s);
			continue;
		}
		hd->order = o;
		hq[nheads].key = hd->key;
		hq[nheads].idx = nheads;
		nheads++;
	}
	for (i = nheads; i < 2 * nheads + 2; i++) {
		hq[i].key = UINT64_MAX;
		hq[i].idx = 0;
	}

	/*
	 * Merge the order streams by start address with a binary min-heap of
	 * the heads. Each stream's runs are sorted and already coalesced, so
	 * the lowest head runs on until it passes the second lowest (one of
	 * the root's children), and the last stream standing (the only one,
	 * for a single-order tracker) is drained a batch at a time.
	 */
	for (i = nheads / 2; i-- > 0;)
		heap_down(hq, nheads, i);
	while (nheads) {
		struct head *hd = &heads[hq[0].idx];

		if (nheads == 1) {
			r = drain_one(&mg, hd);
			if (r)
				goto out;
			if (!ovl && h->ops->stream_fill) {
				r = drain_direct(h, &mg, hd);
				if (r)
					goto out;
				/* the stream is done: close it below */
				hd->i = hd->n = 0;
				h->ops->stream_close(hd->s);
				nheads = 0;
				break;
			}
		} else {
			uint64_t second = hq[1].key < hq[2].key ? hq[1].key
								 : hq[2].key;

			do {
				r = merge_add(&mg, hd->run[hd->i].start,
					      hd->run[hd->i].size, hd->order);
				if (r)
					goto out;
				hd->i++;
			} while (hd->i < hd->n && hd->run[hd->i].start <= second);
			if (hd->i < hd->n)
				hd->key = hd->run[hd->i].start;
		}
		if (hd->i == hd->n) {
			r = head_refill(h, hd, RUN_BATCH);
			if (r < 0)
				goto out;
			if (r == 1) {
				h->ops->stream_close(hd->s);
				hq[0] = hq[--nheads];
				hq[nheads].key = UINT64_MAX;
				hd = &heads[hq[0].idx];
			}
		}
		hq[0].key = hd->key;
		if (nheads > 1)
			heap_down(hq, nheads, 0);
	}
	if (mg.have) {
		mg.out[mg.nout].start = mg.cs;
		mg.out[mg.nout].size = mg.ce - mg.cs;
		mg.nout++;
	}
	r = merge_flush(&mg);
out:
	for (i = 0; i < nheads; i++)
		h->ops->stream_close(heads[hq[i].idx].s);
	free(runs);
	if (ix)
		h->ops->index_close(ix);
	return r;
}
