// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Recovering a root FDT that debugfs cut short (doc/ABI.md 8.2 Q2): 7.1+
 * size kho/out/fdt once at boot, so later subtrees make the file a prefix
 * of the live FDT. The live FDT page is itself a preserved order-0 entry,
 * and the tracker root (`preserved-memory-map`) is usually in the prefix.
 */
#include <stdlib.h>
#include <libfdt.h>

#include "internal.h"
#include "source_int.h"

#define MAX_CANDIDATES 16
#define FDT_BEGIN_NODE_T 1
#define FDT_END_NODE_T 2
#define FDT_PROP_T 3
#define FDT_NOP_T 4
#define FDT_END_T 9

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Candidate tracker roots from the prefix: 8-byte properties of the root
 * node, walked by hand inside the @len bytes present (libfdt would follow
 * header offsets past them). A property whose name is readable counts only
 * when it is `preserved-memory-map`.
 */
static size_t prefix_candidates(const unsigned char *p, size_t len,
				uint64_t *cand)
{
	static const char map[] = "preserved-memory-map";
	uint32_t off_struct = be32(p + 8), off_str = be32(p + 12);
	size_t pos = off_struct, n = 0;
	int depth = 0;

	/* Every token advances by at least 4 bytes: the loop is bounded. */
	while (pos % 4 == 0 && pos <= len - 4 && pos >= 40) {
		uint32_t tok = be32(p + pos);

		pos += 4;
		switch (tok) {
		case FDT_BEGIN_NODE_T: {
			const unsigned char *nul = memchr(p + pos, 0, len - pos);

			if (!nul)
				return n;
			pos = ((size_t)(nul - p) + 1 + 3) & ~(size_t)3;
			depth++;
			break;
		}
		case FDT_END_NODE_T:
			if (--depth <= 0)
				return n;
			break;
		case FDT_PROP_T: {
			uint32_t plen, nameoff;

			if (len - pos < 8)
				return n;
			plen = be32(p + pos);
			nameoff = be32(p + pos + 4);
			pos += 8;
			if (plen > len - pos)
				return n;
			if (depth == 1 && plen == 8 && n < MAX_CANDIDATES) {
				uint64_t no = (uint64_t)off_str + nameoff;
				bool named = no < len;

				if (!named || (len - no >= sizeof(map) &&
					       !memcmp(p + no, map, sizeof(map))))
					cand[n++] = ld_le64(p + pos);
			}
			pos = (pos + plen + 3) & ~(size_t)3;
			break;
		}
		case FDT_NOP_T:
			break;
		default:
			return n;
		}
		if (pos > len)
			return n;
	}
	return n;
}

struct rec {
	struct khofmt_source *src;
	const unsigned char *prefix;
	size_t len, total, P;
	unsigned char *buf;	/* total bytes */
	uint64_t want_map;	/* 0: any */
	bool want_any;
};

/* 1 when the page at @pa holds the full FDT the prefix came from. */
static int try_page(struct rec *r, uint64_t pa)
{
	struct khofmt_fdt *f = NULL;
	int ok;

	if (khofmt_source_read(r->src, pa, r->buf, r->len) < 0 ||
	    memcmp(r->buf, r->prefix, r->len))
		return 0;
	if (khofmt_source_read(r->src, pa, r->buf, r->total) < 0)
		return 0;
	if (fdt_check_full(r->buf, r->total))
		return 0;
	if (khofmt_fdt_open(r->buf, r->total, &f, NULL, 0) < 0) {
		khofmt_fdt_free(f);
		return 0;
	}
	ok = r->want_any || (f->has_map && f->map == r->want_map);
	khofmt_fdt_free(f);
	return ok;
}

/* Preserved order-0 pages of the tracker rooted at @root. */
static int via_tracker(struct rec *r, unsigned ps, uint64_t root,
		       uint64_t *found)
{
	struct khofmt_handover h;
	struct order_stream *s;
	uint64_t st, len, pa;
	int ret;

	memset(&h, 0, sizeof(h));
	h.src = r->src;
	h.abi = KHOFMT_ABI_V4;
	h.ops = &khofmt_radix_ops;
	h.root = root;
	ret = khofmt_geom_init(&h.geom, ps);
	if (ret)
		return ret;
	ret = h.ops->stream_open(&h, 0, &s);
	if (ret)
		return 0;	/* not a tree here: next candidate */
	r->want_map = root;
	r->want_any = false;
	while ((ret = h.ops->stream_next(s, &st, &len)) == 0) {
		for (pa = st; pa - st < len; pa += r->P) {
			if (try_page(r, pa)) {
				*found = pa;
				h.ops->stream_close(s);
				return 1;
			}
		}
	}
	h.ops->stream_close(s);
	return 0;
}

static int via_scan(struct rec *r, const struct khofmt_recover_opts *o,
		    uint64_t *found)
{
	const struct khofmt_range *rg;
	uint64_t total = 0, done = 0, pa, mask = r->P - 1;
	size_t n, i;

	rg = khofmt_source_ranges(r->src, &n);
	for (i = 0; i < n; i++)
		total += rg[i].size / r->P;
	r->want_any = true;
	for (i = 0; i < n; i++) {
		uint64_t end = rg[i].start + rg[i].size;

		for (pa = (rg[i].start + mask) & ~mask;
		     pa < end && end - pa >= r->total; pa += r->P) {
			if (try_page(r, pa)) {
				*found = pa;
				return 1;
			}
			if (o && o->progress && (++done & 0xfff) == 0 &&
			    o->progress(o->progress_arg, done, total))
				return -KHOFMT_ERR_LIMIT;
		}
	}
	if (o && o->progress)
		o->progress(o->progress_arg, total, total);
	return 0;
}

int khofmt_fdt_recover(struct khofmt_source *src, const void *prefix,
		       size_t len, const struct khofmt_recover_opts *opts,
		       void **fdt, size_t *fdt_len, uint64_t *fdt_pa)
{
	const unsigned char *p = prefix;
	uint64_t cand[MAX_CANDIDATES], pa = 0;
	unsigned ps = 12, flags = 0;
	struct rec r;
	size_t nc, i;
	int ret = 0, how = 0;

	if (!src || !prefix || !fdt || !fdt_len)
		return -KHOFMT_ERR_INVAL;
	*fdt = NULL;
	*fdt_len = 0;
	if (KHOFMT_OPTS_VALID(opts, sizeof(*opts)))
		return KHOFMT_OPTS_VALID(opts, sizeof(*opts));
	if (opts) {
		ps = opts->page_shift ? opts->page_shift : 12;
		flags = opts->flags;
	}
	if (ps != 12 && ps != 14 && ps != 16)
		return -KHOFMT_ERR_INVAL;
	if (len < 40 || be32(p) != FDT_MAGIC)
		return -KHOFMT_ERR_INVAL;
	memset(&r, 0, sizeof(r));
	r.src = src;
	r.prefix = p;
	r.len = len;
	r.total = be32(p + 4);
	r.P = (size_t)1 << ps;
	/* Only a real truncation, and the root FDT is one page (spec 2). */
	if (r.total <= len || r.total > r.P)
		return -KHOFMT_ERR_INVAL;
	r.buf = malloc(r.total);
	if (!r.buf)
		return -KHOFMT_ERR_NOMEM;

	nc = prefix_candidates(p, len, cand);
	for (i = 0; i < nc && !how; i++) {
		ret = via_tracker(&r, ps, cand[i], &pa);
		if (ret < 0)
			goto out;
		if (ret)
			how = KHOFMT_RECOVER_TRACKER;
	}
	if (!how && !(flags & KHOFMT_RECOVER_NO_SCAN)) {
		ret = via_scan(&r, opts, &pa);
		if (ret < 0)
			goto out;
		if (ret)
			how = KHOFMT_RECOVER_SCAN;
	}
	if (!how) {
		ret = khofmt_src_err(src, -KHOFMT_ERR_NOTCOVERED,
				     "no page of %s holds a root FDT starting with the %zu bytes given",
				     khofmt_src_name(src), len);
		goto out;
	}
	*fdt = r.buf;
	*fdt_len = r.total;
	if (fdt_pa)
		*fdt_pa = pa;
	return how;
out:
	free(r.buf);
	return ret;
}

int khofmt_handover_fdt_pa(struct khofmt_handover *h, uint64_t *pa)
{
	struct rec r;
	int ret;

	if (!h || !pa || !h->fdt)
		return -KHOFMT_ERR_INVAL;
	if (h->ops != &khofmt_radix_ops)
		return -KHOFMT_ERR_UNSUPPORTED;
	memset(&r, 0, sizeof(r));
	r.src = h->src;
	r.prefix = h->fdt->blob;
	r.len = r.total = h->fdt->len;
	r.P = (size_t)1 << h->geom.page_shift;
	if (r.total > r.P)
		return -KHOFMT_ERR_NOTCOVERED;
	r.buf = malloc(r.total);
	if (!r.buf)
		return -KHOFMT_ERR_NOMEM;
	ret = via_tracker(&r, h->geom.page_shift, h->root, pa);
	free(r.buf);
	if (ret < 0)
		return ret;
	return ret ? 0 : -KHOFMT_ERR_NOTCOVERED;
}
