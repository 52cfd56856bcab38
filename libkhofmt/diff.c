// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Entries preserved in one handover and not in the other: for each order
 * both trackers are streamed in address order (runs of contiguous entries)
 * and the two run lists are merged like sorted sets, so the memory used
 * does not depend on the number of entries.
 */
#include "internal.h"

struct dstream {
	struct khofmt_handover *h;
	struct order_stream *s;
	uint64_t start, end;	/* current run [start, end); valid if !done */
	bool done;
};

static int ds_next(struct dstream *d)
{
	uint64_t st, len;
	int r = d->h->ops->stream_next(d->s, &st, &len);

	if (r < 0)
		return r;
	if (r == 1) {
		d->done = true;
		return 0;
	}
	d->start = st;
	d->end = st + len;
	return 0;
}

static int ds_open(struct dstream *d, struct khofmt_handover *h, unsigned o)
{
	int r;

	d->h = h;
	d->done = false;
	r = h->ops->stream_open(h, o, &d->s);
	if (r)
		return r;
	return ds_next(d);
}

static int emit(khofmt_diff_cb cb, void *arg, enum khofmt_diff_side side,
		uint64_t a, uint64_t b, unsigned shift, unsigned o)
{
	if (b <= a)
		return 0;
	return cb(arg, side, a, o, (b - a) >> shift);
}

/* Diff one order: A's runs minus B's, and B's minus A's. */
static int diff_order(struct dstream *x, struct dstream *y, unsigned shift,
		      unsigned o, khofmt_diff_cb cb, void *arg)
{
	int r;

	while (!x->done || !y->done) {
		struct dstream *lo;
		enum khofmt_diff_side side;
		uint64_t cut;

		if (y->done || (!x->done && x->start < y->start)) {
			lo = x;
			side = KHOFMT_DIFF_LOST;
		} else if (x->done || y->start < x->start) {
			lo = y;
			side = KHOFMT_DIFF_ADDED;
		} else {
			/* Same start: common prefix up to the shorter end. */
			cut = x->end < y->end ? x->end : y->end;
			x->start = y->start = cut;
			if (x->start == x->end && (r = ds_next(x)))
				return r;
			if (y->start == y->end && (r = ds_next(y)))
				return r;
			continue;
		}
		/* lo's run alone up to the other run's start (or its end). */
		{
			struct dstream *ot = lo == x ? y : x;

			cut = lo->end;
			if (!ot->done && ot->start < cut)
				cut = ot->start;
			r = emit(cb, arg, side, lo->start, cut, shift, o);
			if (r)
				return r;
			lo->start = cut;
			if (lo->start == lo->end && (r = ds_next(lo)))
				return r;
		}
	}
	return 0;
}

int khofmt_diff_folios(struct khofmt_handover *a, struct khofmt_handover *b,
		       const struct khofmt_walk_opts *opts,
		       khofmt_diff_cb cb, void *arg)
{
	unsigned o, maxo;
	int r;

	if (!a || !b || !cb)
		return -KHOFMT_ERR_INVAL;
	r = KHOFMT_OPTS_VALID(opts, sizeof(*opts));
	if (r)
		return r;
	if (a->geom.page_shift != b->geom.page_shift)
		return -KHOFMT_ERR_INVAL;
	r = a->ops->check(a, opts);
	if (r)
		return r;
	r = b->ops->check(b, opts);
	if (r)
		return r;
	maxo = a->geom.max_order < b->geom.max_order ? a->geom.max_order
						      : b->geom.max_order;
	for (o = 0; o <= maxo && o < KHOFMT_MAX_ORDERS; o++) {
		struct dstream x = { 0 }, y = { 0 };

		r = ds_open(&x, a, o);
		if (!r)
			r = ds_open(&y, b, o);
		if (!r)
			r = diff_order(&x, &y, a->geom.page_shift + o, o, cb, arg);
		if (x.s)
			a->ops->stream_close(x.s);
		if (y.s)
			b->ops->stream_close(y.s);
		if (r)
			return r;
	}
	return 0;
}
