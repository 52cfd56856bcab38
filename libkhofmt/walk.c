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
	if (opts && opts->sz < sizeof(*opts))
		return -KHOFMT_ERR_INVAL;
	return 0;
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

struct head {
	struct order_stream *s;
	uint64_t start, len;
	unsigned order;
};

int khofmt_walk_ranges(struct khofmt_handover *h,
		       const struct khofmt_walk_opts *opts,
		       khofmt_range_cb cb, void *arg)
{
	return walk_ranges_overlap(h, opts, cb, arg, NULL, NULL);
}

int walk_ranges_overlap(struct khofmt_handover *h,
			const struct khofmt_walk_opts *opts,
			khofmt_range_cb cb, void *arg,
			overlap_cb ovl, void *ovl_arg)
{
	struct head heads[KHOFMT_MAX_ORDERS];
	unsigned nheads = 0, o, i;
	uint64_t cs = 0, ce = 0;
	bool have = false;
	int r;

	r = check_args(h, opts);
	if (r)
		return r;
	if (!cb)
		return -KHOFMT_ERR_INVAL;
	/*
	 * The structure is checked first: without a problem callback a bad
	 * tree fails here; with one, problems are reported here once and the
	 * streams below skip what they cannot follow.
	 */
	r = h->ops->check(h, opts);
	if (r)
		return r;

	for (o = 0; o <= h->geom.max_order && o < KHOFMT_MAX_ORDERS; o++) {
		struct head *hd = &heads[nheads];

		r = h->ops->stream_open(h, o, &hd->s);
		if (r)
			goto out;
		r = h->ops->stream_next(hd->s, &hd->start, &hd->len);
		if (r < 0) {
			h->ops->stream_close(hd->s);
			goto out;
		}
		if (r == 1) {
			h->ops->stream_close(hd->s);
			continue;
		}
		hd->order = o;
		nheads++;
	}

	while (nheads) {
		unsigned m = 0;

		for (i = 1; i < nheads; i++)
			if (heads[i].start < heads[m].start)
				m = i;
		if (have && heads[m].start <= ce) {
			uint64_t e = heads[m].start + heads[m].len;

			if (ovl && heads[m].start < ce) {
				r = ovl(ovl_arg, heads[m].start,
					(e < ce ? e : ce) - heads[m].start,
					heads[m].order, cs);
				if (r)
					goto out;
			}

			if (e > ce)
				ce = e;
		} else {
			if (have) {
				r = cb(arg, cs, ce - cs);
				if (r)
					goto out;
			}
			have = true;
			cs = heads[m].start;
			ce = cs + heads[m].len;
		}
		r = h->ops->stream_next(heads[m].s, &heads[m].start,
					&heads[m].len);
		if (r < 0)
			goto out;
		if (r == 1) {
			h->ops->stream_close(heads[m].s);
			heads[m] = heads[--nheads];
		}
	}
	r = have ? cb(arg, cs, ce - cs) : 0;
out:
	for (i = 0; i < nheads; i++)
		h->ops->stream_close(heads[i].s);
	return r;
}
