// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * analyze: the preserved set of a handover in every tracker encoding, with
 * compact in-memory codecs. Each encoder is fed from the tracker's stream
 * (folios for the bitmap encodings, coalesced ranges for the range
 * encodings) and writes the encoding's bytes into one buffer; each decoder
 * reads that buffer back to coalesced ranges, which are compared with
 * khofmt_walk_ranges() (count, bytes, order-sensitive hash).
 *
 * Addresses inside an encoding (chunk `next`, bitmap pointers) are offsets
 * into its buffer plus ENC_BASE, standing in for physical addresses.
 *
 * The bitmap-slice list (KHOFMT_ANALYZE_SLICES), the "linear sorted list
 * of de-serializing instructions": a sequence of records sorted by
 * (phys_start, order), each
 *
 *	u64 phys_start;   address of bit 0 (a multiple of 64 << (PS + order))
 *	u32 order;
 *	u32 nwords;       bitmap words that follow, >= 1
 *	u64 words[nwords] bit b of word i: entry phys_start + (64 i + b) << (PS + order)
 *
 * little-endian, no header, no terminator (the length is the property's).
 * Only non-empty slices are written; a slice goes on over runs of up to two
 * empty words (cheaper than a new 16-byte record) and ends before a longer
 * gap. A consumer replays it in one linear pass, in address order.
 */
#include <stdlib.h>
#include <time.h>

#include "internal.h"

#define ENC_BASE UINT64_C(0x1000)
#define PACKED_MAX_PAGES 4096u
#define SLICE_HDR 16
#define SLICE_MAX_GAP 2		/* empty words kept inside a slice */
#define E1A_BITS 4096u
/*
 * Words the packed encoding may take in memory: 8 MiB, or 16 words per
 * input range when more. Its size follows the bytes a range claims (one
 * word per 4096 pages), not the input: above this it is sized and
 * round-tripped in closed form instead (packed_closed()).
 */
#define PACKED_MIN_BUDGET (UINT64_C(1) << 20)
#define PACKED_PER_RANGE 16

static const char *const kind_names[KHOFMT_ANALYZE_NKINDS] = {
	[KHOFMT_ANALYZE_PAIRS] = "pairs",
	[KHOFMT_ANALYZE_PACKED] = "packed",
	[KHOFMT_ANALYZE_CHUNK_E1A] = "chunk-e1a",
	[KHOFMT_ANALYZE_CHUNK_E1B] = "chunk-e1b",
	[KHOFMT_ANALYZE_RADIX] = "radix",
	[KHOFMT_ANALYZE_SLICES] = "slices",
};

const char *khofmt_analyze_name(enum khofmt_analyze_kind kind)
{
	return (unsigned)kind < KHOFMT_ANALYZE_NKINDS ? kind_names[kind]
						      : "unknown";
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void st_le32(void *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

/* ------------------------------------------------------------------ */
/* Growable byte buffer                                                */
/* ------------------------------------------------------------------ */

struct buf {
	unsigned char *p;
	size_t len, cap;
	bool nomem;
};

static unsigned char *buf_grow(struct buf *b, size_t n)
{
	if (b->nomem)
		return NULL;
	if (b->len + n < b->len) {
		b->nomem = true;
		return NULL;
	}
	if (b->len + n > b->cap) {
		unsigned char *np = khofmt_grow(b->p, &b->cap, b->len + n, 1);

		if (!np) {
			b->nomem = true;
			return NULL;
		}
		b->p = np;
	}
	b->len += n;
	return b->p + b->len - n;
}

static void buf_put64(struct buf *b, uint64_t v)
{
	unsigned char *p = buf_grow(b, 8);

	if (p)
		st_le64(p, v);
}

/* ------------------------------------------------------------------ */
/* Range collector: what every decoder produces                        */
/* ------------------------------------------------------------------ */

struct coll {
	struct tracker_run *r;
	size_t n, cap;
	bool unsorted, nomem;
};

static void coll_add(struct coll *c, uint64_t start, uint64_t len)
{
	if (c->n) {
		struct tracker_run *l = &c->r[c->n - 1];

		if (start == l->start + l->len) {
			l->len += len;
			return;
		}
		if (start < l->start + l->len)
			c->unsorted = true;
	}
	{
		struct tracker_run *nr = khofmt_grow(c->r, &c->cap, c->n + 1,
						     sizeof(*nr));

		if (!nr) {
			c->nomem = true;
			return;
		}
		c->r = nr;
	}
	c->r[c->n].start = start;
	c->r[c->n].len = len;
	c->n++;
}

static int cmp_run(const void *a, const void *b)
{
	const struct tracker_run *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort (when runs of several orders interleave) and coalesce. */
static void coll_finish(struct coll *c)
{
	size_t i, o = 0;

	if (!c->unsorted || !c->n)
		return;
	qsort(c->r, c->n, sizeof(*c->r), cmp_run);
	for (i = 1; i < c->n; i++) {
		struct tracker_run *l = &c->r[o];
		uint64_t e = c->r[i].start + c->r[i].len;

		if (c->r[i].start <= l->start + l->len) {
			if (e > l->start + l->len)
				l->len = e - l->start;
		} else {
			c->r[++o] = c->r[i];
		}
	}
	c->n = o + 1;
	c->unsorted = false;
}

/* Runs of the set bits of @nwords words, bit 0 of word 0 at @base. */
static void coll_bits(struct coll *c, const unsigned char *words,
		      size_t nwords, uint64_t base, unsigned shift)
{
	size_t i;

	for (i = 0; i < nwords; i++) {
		uint64_t w = ld_le64(words + 8 * i);
		uint64_t s = w & ~(w << 1), e = w & ~(w >> 1);
		uint64_t wb = base + ((uint64_t)i * 64 << shift);

		while (s) {
			uint64_t a = (uint64_t)__builtin_ctzll(s);
			uint64_t z = (uint64_t)__builtin_ctzll(e) + 1;

			s &= s - 1;
			e &= e - 1;
			coll_add(c, wb + (a << shift), (z - a) << shift);
		}
	}
}

/* Count, bytes and an order-sensitive hash of a list of ranges. */
struct digest {
	uint64_t n, bytes, hash;
};

static void digest_add(struct digest *d, uint64_t start, uint64_t len)
{
	d->n++;
	d->bytes += len;
	d->hash = (d->hash ^ start) * UINT64_C(0x100000001b3);
	d->hash = (d->hash ^ len) * UINT64_C(0x100000001b3);
}

static struct digest coll_digest(const struct coll *c)
{
	struct digest d = { 0, 0, UINT64_C(0xcbf29ce484222325) };
	size_t i;

	for (i = 0; i < c->n; i++)
		digest_add(&d, c->r[i].start, c->r[i].len);
	return d;
}

/* ------------------------------------------------------------------ */
/* The codecs                                                          */
/* ------------------------------------------------------------------ */

struct an {
	struct khofmt_handover *h;
	unsigned ps;
	uint64_t P;
	struct buf out;		/* the encoding */
	/* bitmap encoders: the element being filled */
	bool have_cur;
	unsigned cur_order;
	uint64_t cur_start, cur_off;	/* phys_start, offset of its bitmap */
	uint64_t cur_last;		/* slices: index of the last word */
	size_t nrec;
	unsigned bits;			/* chunk: bits per bitmap */
	struct buf idx;			/* chunk / slices: record table */
};

/* ---- pairs: big-endian <addr, size>, #address-cells = #size-cells = 2 ---- */

static int pairs_enc_cb(void *arg, uint64_t start, uint64_t size)
{
	struct an *a = arg;
	unsigned char *p = buf_grow(&a->out, 16);

	if (!p)
		return -KHOFMT_ERR_NOMEM;
	start = htobe64(start);
	size = htobe64(size);
	memcpy(p, &start, 8);
	memcpy(p + 8, &size, 8);
	a->nrec++;
	return 0;
}

static void pairs_dec(const struct an *a, struct coll *c)
{
	size_t i;

	for (i = 0; i + 16 <= a->out.len; i += 16) {
		uint64_t s, z;

		memcpy(&s, a->out.p + i, 8);
		memcpy(&z, a->out.p + i + 8, 8);
		coll_add(c, be64toh(s), be64toh(z));
	}
}

/* ---- packed: addr | (pages - 1), at most 4096 pages a word ---- */

static int packed_enc_cb(void *arg, uint64_t start, uint64_t size)
{
	struct an *a = arg;
	uint64_t pages = size >> a->ps;

	while (pages) {
		uint64_t n = pages < PACKED_MAX_PAGES ? pages : PACKED_MAX_PAGES;

		buf_put64(&a->out, start | (n - 1));
		a->nrec++;
		start += n << a->ps;
		pages -= n;
	}
	return a->out.nomem ? -KHOFMT_ERR_NOMEM : 0;
}

static void packed_dec(const struct an *a, struct coll *c)
{
	size_t i;

	for (i = 0; i + 8 <= a->out.len; i += 8) {
		uint64_t w = ld_le64(a->out.p + i);

		coll_add(c, w & ~UINT64_C(0xfff), ((w & 0xfff) + 1) << a->ps);
	}
}

static uint64_t median(uint64_t *t, unsigned n);
static void an_reset(struct an *a, struct khofmt_handover *h);

/*
 * Closed form of the packed codec for ranges whose encoding would be huge
 * (an entry of order 37 claims 2^37 pages: 2^25 words). A range becomes
 * ceil(pages / 4096) words, start | (n - 1), of consecutive pieces; the
 * decoder gives them back as one range exactly when the start has no bit
 * below 2^12 (the page offset the count lives in). So each range is sized
 * and checked on its own, in time and memory bounded by the ranges.
 */
struct packed_sum {
	struct an *a;
	struct digest d;
	uint64_t words;
	bool lossy;
};

static int packed_closed_cb(void *arg, uint64_t start, uint64_t size)
{
	struct packed_sum *ps = arg;
	uint64_t pages = size >> ps->a->ps;
	uint64_t w = pages / PACKED_MAX_PAGES + !!(pages % PACKED_MAX_PAGES);

	ps->words = ps->words + w < ps->words ? UINT64_MAX : ps->words + w;
	ps->a->nrec += w;
	if (start & UINT64_C(0xfff))
		ps->lossy = true;
	else
		digest_add(&ps->d, start, pages << ps->a->ps);
	return 0;
}

struct packed_count {
	unsigned ps;
	uint64_t words, ranges;
};

static int packed_count_cb(void *arg, uint64_t start, uint64_t size)
{
	struct packed_count *pc = arg;
	uint64_t pages = size >> pc->ps;
	uint64_t w = pages / PACKED_MAX_PAGES + !!(pages % PACKED_MAX_PAGES);

	(void)start;
	pc->ranges++;
	pc->words = pc->words + w < pc->words ? UINT64_MAX : pc->words + w;
	return 0;
}

/* Would the packed encoding of @h outgrow its budget? */
static int packed_too_big(struct khofmt_handover *h, bool *big)
{
	struct packed_count pc = { h->geom.page_shift, 0, 0 };
	uint64_t budget;
	int r = khofmt_walk_ranges(h, NULL, packed_count_cb, &pc);

	if (r)
		return r < 0 ? r : -KHOFMT_ERR_INTERNAL;
	budget = pc.ranges * PACKED_PER_RANGE;
	if (budget < PACKED_MIN_BUDGET)
		budget = PACKED_MIN_BUDGET;
	*big = pc.words > budget;
	return 0;
}

static int packed_closed(struct khofmt_handover *h, unsigned runs,
			 const struct digest *ref,
			 struct khofmt_analyze_result *res, uint64_t *t)
{
	struct an a = { 0 };
	struct packed_sum ps;
	unsigned i;
	int r = 0;

	for (i = 0; i < runs; i++) {
		uint64_t t0 = now_ns();

		an_reset(&a, h);
		memset(&ps, 0, sizeof(ps));
		ps.a = &a;
		ps.d.hash = UINT64_C(0xcbf29ce484222325);
		r = khofmt_walk_ranges(h, NULL, packed_closed_cb, &ps);
		t[i] = now_ns() - t0;
		if (r)
			return r < 0 ? r : -KHOFMT_ERR_INTERNAL;
	}
	res->encode_ns = median(t, runs);
	res->decode_ns = 0;	/* decoded with the encode, above */
	res->records = a.nrec;
	res->bytes = ps.words > UINT64_MAX / 8 ? UINT64_MAX : ps.words * 8;
	res->pages = res->bytes / a.P + !!(res->bytes % a.P);
	res->ranges = ps.d.n;
	res->range_bytes = ps.d.bytes;
	res->match = !ps.lossy && ps.d.n == ref->n &&
		     ps.d.bytes == ref->bytes && ps.d.hash == ref->hash;
	return 0;
}

/*
 * ---- chunk list (doc/ABI.md 4.2) ----
 * Encoding pass 1 (folio stream, one order at a time, ascending address):
 * bitmaps go to a pool in `out`, elements {order, phys_start, bitmap
 * offset} to `idx`. Pass 2 lays the chunk pages out in front of the pool,
 * orders ascending, then the pool: chunk pages + bitmaps, as 6.16 did.
 */
struct elm {
	uint64_t order, phys_start, off;
};

static int chunk_folio_cb(void *arg, uint64_t phys, unsigned order)
{
	struct an *a = arg;
	unsigned shift = a->ps + order;
	uint64_t span = (uint64_t)a->bits << shift;
	uint64_t ps = phys & ~(span - 1), bit;
	unsigned char *p;

	if (!a->have_cur || a->cur_order != order || a->cur_start != ps) {
		struct elm *e = (struct elm *)buf_grow(&a->idx, sizeof(*e));

		p = buf_grow(&a->out, a->bits / 8);
		if (!e || !p)
			return -KHOFMT_ERR_NOMEM;
		memset(p, 0, a->bits / 8);
		e->order = order;
		e->phys_start = ps;
		e->off = a->out.len - a->bits / 8;
		a->have_cur = true;
		a->cur_order = order;
		a->cur_start = ps;
		a->cur_off = e->off;
		a->nrec++;
	}
	bit = (phys - ps) >> shift;
	p = a->out.p + a->cur_off + 8 * (bit / 64);
	st_le64(p, ld_le64(p) | UINT64_C(1) << (bit % 64));
	return 0;
}

static int chunk_layout(struct an *a)
{
	const struct elm *e = (const struct elm *)a->idx.p;
	size_t ne = a->idx.len / sizeof(*e), per = (a->P - 16) / 16, i;
	size_t per_order[KHOFMT_MAX_ORDERS] = { 0 }, nchunks = 0, ci = 0;
	struct buf img = { NULL, 0, 0, false };
	unsigned char *hdr = NULL;
	uint64_t order, pool_pa;
	uint32_t n = 0;

	for (i = 0; i < ne; i++)
		per_order[e[i].order]++;
	for (order = 0; order < KHOFMT_MAX_ORDERS; order++)
		nchunks += (per_order[order] + per - 1) / per;
	if (!buf_grow(&img, nchunks * a->P + a->out.len))
		return -KHOFMT_ERR_NOMEM;
	memset(img.p, 0, nchunks * a->P);
	memcpy(img.p + nchunks * a->P, a->out.p, a->out.len);
	pool_pa = ENC_BASE + nchunks * a->P;
	/* chunk pages: orders ascending, elements ascending, as 6.16 */
	for (order = 0; order < KHOFMT_MAX_ORDERS; order++) {
		if (!per_order[order])
			continue;
		for (i = 0; i < ne; i++) {
			if (e[i].order != order)
				continue;
			if (!hdr || n == per || ld_le32(hdr + 8) != order) {
				if (hdr)
					st_le64(hdr, ENC_BASE + ci * a->P);
				hdr = img.p + ci++ * a->P;
				st_le32(hdr + 8, (uint32_t)order);
				n = 0;
			}
			st_le64(hdr + 16 + 16 * n, e[i].phys_start);
			st_le64(hdr + 24 + 16 * n, pool_pa + e[i].off);
			st_le32(hdr + 12, ++n);
		}
	}
	free(a->out.p);
	a->out = img;
	return 0;
}

static void chunk_dec(const struct an *a, struct coll *c)
{
	uint64_t pa = a->out.len ? ENC_BASE : 0;
	size_t bytes = a->bits / 8, guard = a->out.len / a->P + 1;

	while (pa && guard--) {
		const unsigned char *hdr = a->out.p + (pa - ENC_BASE);
		uint32_t order = ld_le32(hdr + 8), n = ld_le32(hdr + 12), j;

		for (j = 0; j < n; j++) {
			uint64_t ps = ld_le64(hdr + 16 + 16 * j);
			uint64_t bm = ld_le64(hdr + 24 + 16 * j) - ENC_BASE;

			coll_bits(c, a->out.p + bm, bytes / 8, ps, a->ps + order);
		}
		pa = ld_le64(hdr);
	}
}

/* ---- slices (layout at the top of this file) ---- */

struct slice {
	uint64_t phys_start, order, off, len;	/* off/len of the record */
};

static int slices_folio_cb(void *arg, uint64_t phys, unsigned order)
{
	struct an *a = arg;
	unsigned shift = a->ps + order;
	uint64_t idx = phys >> shift, w = idx / 64, k;
	unsigned char *p;

	if (a->have_cur && a->cur_order == order && w >= a->cur_last &&
	    w - a->cur_last <= SLICE_MAX_GAP + 1) {
		for (k = a->cur_last; k < w; k++)
			buf_put64(&a->out, 0);
		a->cur_last = w;
	} else {
		struct slice *s = (struct slice *)buf_grow(&a->idx, sizeof(*s));

		if (!s || !buf_grow(&a->out, SLICE_HDR + 8))
			return -KHOFMT_ERR_NOMEM;
		s->phys_start = (w * 64) << shift;
		s->order = order;
		s->off = a->out.len - SLICE_HDR - 8;
		st_le64(a->out.p + s->off, s->phys_start);
		st_le64(a->out.p + a->out.len - 8, 0);
		a->have_cur = true;
		a->cur_order = order;
		a->cur_last = w;
		a->cur_off = s->off;
		a->nrec++;
	}
	if (a->out.nomem)
		return -KHOFMT_ERR_NOMEM;
	p = a->out.p + a->out.len - 8;
	st_le64(p, ld_le64(p) | UINT64_C(1) << (idx % 64));
	return 0;
}

static int cmp_slice(const void *x, const void *y)
{
	const struct slice *a = x, *b = y;

	if (a->phys_start != b->phys_start)
		return a->phys_start < b->phys_start ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Fill in the record headers and write the records sorted. */
static int slices_layout(struct an *a)
{
	struct slice *s = (struct slice *)a->idx.p;
	size_t ns = a->idx.len / sizeof(*s), i;
	struct buf img = { NULL, 0, 0, false };

	for (i = 0; i < ns; i++) {
		uint64_t end = i + 1 < ns ? s[i + 1].off : a->out.len;

		s[i].len = end - s[i].off;
		st_le32(a->out.p + s[i].off + 8, (uint32_t)s[i].order);
		st_le32(a->out.p + s[i].off + 12,
			(uint32_t)((s[i].len - SLICE_HDR) / 8));
	}
	qsort(s, ns, sizeof(*s), cmp_slice);
	if (!buf_grow(&img, a->out.len))
		return -KHOFMT_ERR_NOMEM;
	img.len = 0;
	for (i = 0; i < ns; i++) {
		memcpy(img.p + img.len, a->out.p + s[i].off, s[i].len);
		img.len += s[i].len;
	}
	free(a->out.p);
	a->out = img;
	return 0;
}

static void slices_dec(const struct an *a, struct coll *c)
{
	size_t i = 0;

	while (i + SLICE_HDR <= a->out.len) {
		uint64_t ps = ld_le64(a->out.p + i);
		uint32_t order = ld_le32(a->out.p + i + 8);
		uint32_t nw = ld_le32(a->out.p + i + 12);

		if (nw > (a->out.len - i - SLICE_HDR) / 8)
			break;
		coll_bits(c, a->out.p + i + SLICE_HDR, nw, ps, a->ps + order);
		i += SLICE_HDR + (size_t)nw * 8;
	}
}

/* ---- radix: the library's own encoder and walker ---- */

struct radix_enc {
	struct khofmt_enc *e;
};

static int radix_folio_cb(void *arg, uint64_t phys, unsigned order)
{
	struct radix_enc *r = arg;
	int rc = khofmt_enc_add_folio(r->e, phys, order);

	return rc < 0 ? rc : 0;
}

static int coll_range_cb(void *arg, uint64_t start, uint64_t size)
{
	coll_add(arg, start, size);
	return ((struct coll *)arg)->nomem ? -KHOFMT_ERR_NOMEM : 0;
}

/* ------------------------------------------------------------------ */
/* Driver                                                              */
/* ------------------------------------------------------------------ */

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static uint64_t median(uint64_t *t, unsigned n)
{
	qsort(t, n, sizeof(*t), cmp_u64);
	return t[n / 2];
}

static uint64_t pages_of(uint64_t bytes, uint64_t P)
{
	return (bytes + P - 1) / P;
}

/* One encode of @kind into @a (fresh); returns the record count or < 0. */
static int encode_one(struct khofmt_handover *h, enum khofmt_analyze_kind kind,
		      struct an *a)
{
	int r;

	switch (kind) {
	case KHOFMT_ANALYZE_PAIRS:
		return khofmt_walk_ranges(h, NULL, pairs_enc_cb, a);
	case KHOFMT_ANALYZE_PACKED:
		return khofmt_walk_ranges(h, NULL, packed_enc_cb, a);
	case KHOFMT_ANALYZE_CHUNK_E1A:
	case KHOFMT_ANALYZE_CHUNK_E1B:
		a->bits = kind == KHOFMT_ANALYZE_CHUNK_E1A ? E1A_BITS
							   : (unsigned)a->P * 8;
		r = khofmt_walk_folios(h, NULL, chunk_folio_cb, a);
		if (r)
			return r;
		return chunk_layout(a);
	case KHOFMT_ANALYZE_SLICES:
		r = khofmt_walk_folios(h, NULL, slices_folio_cb, a);
		return r ? r : slices_layout(a);
	default:
		return -KHOFMT_ERR_INTERNAL;
	}
}

static void an_reset(struct an *a, struct khofmt_handover *h)
{
	free(a->out.p);
	free(a->idx.p);
	memset(a, 0, sizeof(*a));
	a->h = h;
	a->ps = h->geom.page_shift;
	a->P = UINT64_C(1) << a->ps;
}

static void decode_one(enum khofmt_analyze_kind kind, const struct an *a,
		       struct coll *c)
{
	switch (kind) {
	case KHOFMT_ANALYZE_PAIRS:
		pairs_dec(a, c);
		break;
	case KHOFMT_ANALYZE_PACKED:
		packed_dec(a, c);
		break;
	case KHOFMT_ANALYZE_CHUNK_E1A:
	case KHOFMT_ANALYZE_CHUNK_E1B:
		chunk_dec(a, c);
		break;
	case KHOFMT_ANALYZE_SLICES:
		slices_dec(a, c);
		break;
	default:
		break;
	}
	coll_finish(c);
}

static int analyze_codec(struct khofmt_handover *h, enum khofmt_analyze_kind kind,
			 unsigned runs, const struct digest *ref,
			 struct khofmt_analyze_result *res, uint64_t *t)
{
	struct an a = { 0 };
	struct coll c = { 0 };
	struct digest d;
	unsigned i;
	int r = 0;

	if (kind == KHOFMT_ANALYZE_PACKED) {
		bool big;

		r = packed_too_big(h, &big);
		if (r || big)
			return r ? r : packed_closed(h, runs, ref, res, t);
	}
	for (i = 0; i < runs; i++) {
		uint64_t t0;

		an_reset(&a, h);
		t0 = now_ns();
		r = encode_one(h, kind, &a);
		t[i] = now_ns() - t0;
		if (r < 0 || a.out.nomem || a.idx.nomem) {
			r = r < 0 ? r : -KHOFMT_ERR_NOMEM;
			goto out;
		}
	}
	res->encode_ns = median(t, runs);
	res->bytes = a.out.len;
	res->records = a.nrec;
	switch (kind) {
	case KHOFMT_ANALYZE_CHUNK_E1A:
		/* chunk pages, then 512-byte slab bitmaps packed into pages */
		res->pages = pages_of(a.out.len - a.nrec * (E1A_BITS / 8), a.P) +
			     pages_of(a.nrec * (E1A_BITS / 8), a.P);
		break;
	default:
		res->pages = pages_of(a.out.len, a.P);
	}
	for (i = 0; i < runs; i++) {
		uint64_t t0;

		c.n = 0;
		c.unsorted = false;
		t0 = now_ns();
		decode_one(kind, &a, &c);
		t[i] = now_ns() - t0;
		if (c.nomem) {
			r = -KHOFMT_ERR_NOMEM;
			goto out;
		}
	}
	res->decode_ns = median(t, runs);
	d = coll_digest(&c);
	res->ranges = d.n;
	res->range_bytes = d.bytes;
	res->match = d.n == ref->n && d.bytes == ref->bytes &&
		     d.hash == ref->hash;
	r = 0;
out:
	free(a.out.p);
	free(a.idx.p);
	free(c.r);
	return r;
}

static int analyze_radix(struct khofmt_handover *h, unsigned runs,
			 const struct digest *ref,
			 struct khofmt_analyze_result *res, uint64_t *t)
{
	struct khofmt_enc_opts eo = { .sz = sizeof(eo) };
	struct khofmt_stats st;
	struct coll c = { 0 };
	struct digest d;
	unsigned i;
	int r;

	eo.page_shift = h->geom.page_shift;
	eo.abi = h->abi;
	for (i = 0; i < runs; i++) {
		struct radix_enc re = { NULL };
		struct khofmt_source *src = NULL;
		void *fdt = NULL;
		size_t len;
		uint64_t t0 = now_ns();

		r = khofmt_enc_new(&eo, &re.e);
		if (r < 0)
			return r;
		r = khofmt_walk_folios(h, NULL, radix_folio_cb, &re);
		if (!r)
			r = khofmt_enc_finish(re.e, &src, &fdt, &len, NULL);
		t[i] = now_ns() - t0;
		khofmt_enc_free(re.e);
		khofmt_source_free(src);
		free(fdt);
		if (r < 0)
			return r;
	}
	res->encode_ns = median(t, runs);
	r = khofmt_stats(h, NULL, &st);
	if (r)
		return r < 0 ? r : -KHOFMT_ERR_INTERNAL;
	res->bytes = st.tracker_bytes;
	res->pages = st.tracker_total_pages;
	res->records = st.tracker_total_pages;
	for (i = 0; i < runs; i++) {
		uint64_t t0 = now_ns();

		c.n = 0;
		r = khofmt_walk_ranges(h, NULL, coll_range_cb, &c);
		t[i] = now_ns() - t0;
		if (r) {
			free(c.r);
			return r < 0 ? r : -KHOFMT_ERR_INTERNAL;
		}
	}
	res->decode_ns = median(t, runs);
	d = coll_digest(&c);
	free(c.r);
	res->ranges = d.n;
	res->range_bytes = d.bytes;
	res->match = d.n == ref->n && d.bytes == ref->bytes &&
		     d.hash == ref->hash;
	return 0;
}

static int digest_range_cb(void *arg, uint64_t start, uint64_t size)
{
	digest_add(arg, start, size);
	return 0;
}

int khofmt_analyze(struct khofmt_handover *h,
		   const struct khofmt_analyze_opts *opts,
		   struct khofmt_analysis *an)
{
	struct digest ref = { 0, 0, UINT64_C(0xcbf29ce484222325) };
	struct khofmt_stats st;
	unsigned runs = 1, k;
	uint64_t *t;
	int r;

	if (!h || !an)
		return -KHOFMT_ERR_INVAL;
	r = KHOFMT_OPTS_VALID(opts, sizeof(*opts));
	if (r)
		return r;
	if (opts && opts->runs)
		runs = opts->runs > 1000 ? 1000 : opts->runs;
	memset(an, 0, sizeof(*an));
	r = khofmt_stats(h, NULL, &st);
	if (r)
		return r < 0 ? r : -KHOFMT_ERR_INTERNAL;
	r = khofmt_walk_ranges(h, NULL, digest_range_cb, &ref);
	if (r)
		return r < 0 ? r : -KHOFMT_ERR_INTERNAL;
	an->page_size = UINT64_C(1) << h->geom.page_shift;
	an->folios = st.folios;
	an->ranges = ref.n;
	an->bytes = ref.bytes;
	an->pairs_per_folio_bytes = st.folios * 16;
	t = malloc(runs * sizeof(*t));
	if (!t)
		return -KHOFMT_ERR_NOMEM;
	for (k = 0; k < KHOFMT_ANALYZE_NKINDS && !r; k++) {
		if (k == KHOFMT_ANALYZE_RADIX)
			r = analyze_radix(h, runs, &ref, &an->enc[k], t);
		else
			r = analyze_codec(h, k, runs, &ref, &an->enc[k], t);
	}
	free(t);
	return r;
}
