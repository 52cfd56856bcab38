// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kho_vmalloc areas (doc/ABI.md 6.5): a 16-byte descriptor and a chain of
 * chunk pages listing run starts (2^order pages each). Walked with a
 * two-pointer cycle check; runs are bounded by total_pages, so a hostile
 * chain cannot make us read more than the descriptor promises.
 */
#include "abi_layout.h"
#include "schema_int.h"

#define VM_KNOWN_FLAGS 0x3u
/* Chunks per area: total_pages < 2^32 runs at most, 511 per chunk. */
#define VM_MAX_CHUNKS (UINT64_C(1) << 24)

void khofmt_vmalloc_desc_parse(const void *raw16, struct khofmt_vmalloc_desc *d)
{
	const unsigned char *p = raw16;

	d->first = ld_le64(p + VM_FIRST_OFF);
	d->total_pages = ld_le32(p + VM_TOTAL_OFF);
	d->flags = ld_le16(p + VM_FLAGS_OFF);
	d->order = ld_le16(p + VM_ORDER_OFF);
}

void khofmt_vmalloc_desc_store(void *raw16, const struct khofmt_vmalloc_desc *d)
{
	unsigned char *p = raw16;

	st_le64(p + VM_FIRST_OFF, d->first);
	st_le32(p + VM_TOTAL_OFF, d->total_pages);
	st_le16(p + VM_FLAGS_OFF, d->flags);
	st_le16(p + VM_ORDER_OFF, d->order);
}

int khofmt_vmalloc_iter_init(struct khofmt_vmalloc_iter *it,
			     struct khofmt_source *src,
			     const struct khofmt_vmalloc_desc *d,
			     const struct khofmt_schema_opts *opts)
{
	unsigned ps = khofmt_schema_ps(opts);
	uint64_t P;

	if (!it || !src || !d || !ps)
		return -KHOFMT_ERR_INVAL;
	memset(it, 0, sizeof(*it));
	it->src = src;
	it->opts = opts;
	it->d = *d;
	it->page_shift = ps;
	P = UINT64_C(1) << ps;
	it->chunk = it->slow = d->first;
	it->slot = 1;
	if (d->flags & ~VM_KNOWN_FLAGS)
		return FATAL(opts, "VM-1", KHOFMT_ERR_STRUCT, d->first,
			     "vmalloc flags 0x%x has unknown bits", d->flags);
	if (d->order > 40 - ps)
		return FATAL(opts, "VM-1", KHOFMT_ERR_STRUCT, d->first,
			     "vmalloc order %u too large", d->order);
	if (!d->first)
		return FATAL(opts, "VM-1", KHOFMT_ERR_STRUCT, 0,
			     "vmalloc descriptor without a first chunk");
	if (d->first & (P - 1))
		return FATAL(opts, "VM-1", KHOFMT_ERR_STRUCT, d->first,
			     "vmalloc chunk 0x%llx not page-aligned",
			     (unsigned long long)d->first);
	if (d->total_pages & ((1u << d->order) - 1))
		WARN(opts, "VM-1", KHOFMT_ERR_STRUCT, d->first,
		     "total_pages %u not a multiple of 2^%u", d->total_pages,
		     d->order);
	return 0;
}

static int chunk_word(struct khofmt_vmalloc_iter *it, uint64_t chunk,
		      uint64_t slot, uint64_t *v)
{
	unsigned char w[8];
	uint64_t P = UINT64_C(1) << it->page_shift;
	int r;

	if (chunk & (P - 1))
		return FATAL(it->opts, "VM-1", KHOFMT_ERR_STRUCT, chunk,
			     "vmalloc chunk 0x%llx not page-aligned",
			     (unsigned long long)chunk);
	r = khofmt_source_read(it->src, chunk + 8 * slot, w, 8);
	if (r < 0)
		return FATAL(it->opts, "VM-1", -r, chunk,
			     "vmalloc chunk 0x%llx not in the memory source",
			     (unsigned long long)chunk);
	*v = ld_le64(w);
	return 0;
}

static int vm_end(struct khofmt_vmalloc_iter *it)
{
	uint64_t pages = it->runs << it->d.order;

	it->done = true;
	if (pages != it->d.total_pages)
		return FATAL(it->opts, "VM-1", KHOFMT_ERR_STRUCT, it->d.first,
			     "vmalloc runs cover %llu pages, total_pages is %u",
			     (unsigned long long)pages, it->d.total_pages);
	return 1;
}

int khofmt_vmalloc_run_next(struct khofmt_vmalloc_iter *it, uint64_t *pa,
			    uint64_t *len)
{
	uint64_t P, slots, v, unit;
	int r;

	if (!it)
		return -KHOFMT_ERR_INVAL;
	if (it->done)
		return 1;
	P = UINT64_C(1) << it->page_shift;
	slots = P / 8;
	unit = P << it->d.order;
	for (;;) {
		if (!it->chunk)
			return vm_end(it);
		if (it->slot >= slots) {
			r = chunk_word(it, it->chunk, 0, &v);
			if (r)
				goto fail;
			/* a bad next pointer is the fault of the chunk holding it */
			if (v && ((v & (P - 1)) || !khofmt_source_covers(it->src, v, P))) {
				bool odd = v & (P - 1);

				r = FATAL(it->opts, "VM-1",
					  odd ? KHOFMT_ERR_STRUCT : KHOFMT_ERR_NOTCOVERED,
					  it->chunk, "vmalloc chunk 0x%llx: next 0x%llx is %s",
					  (unsigned long long)it->chunk,
					  (unsigned long long)v,
					  odd ? "not page-aligned" : "not in the memory source");
				goto fail;
			}
			it->chunk = v;
			it->slot = 1;
			it->chunks++;
			if (it->chunks >= VM_MAX_CHUNKS) {
				r = FATAL(it->opts, "VM-1", KHOFMT_ERR_LIMIT, v,
					  "vmalloc chain too long");
				goto fail;
			}
			if (!(it->chunks & 1)) {
				r = chunk_word(it, it->slow, 0, &it->slow);
				if (r)
					goto fail;
			}
			if (v && v == it->slow) {
				r = FATAL(it->opts, "VM-1", KHOFMT_ERR_LOOP, v,
					  "vmalloc chunk chain loops at 0x%llx",
					  (unsigned long long)v);
				goto fail;
			}
			continue;
		}
		r = chunk_word(it, it->chunk, it->slot, &v);
		if (r)
			goto fail;
		if (!v) {
			/* 0 ends this chunk's list; go to the next chunk */
			it->slot = slots;
			continue;
		}
		it->slot++;
		if (((it->runs + 1) << it->d.order) > it->d.total_pages) {
			r = FATAL(it->opts, "VM-1", KHOFMT_ERR_STRUCT, it->chunk,
				  "vmalloc runs exceed total_pages %u",
				  it->d.total_pages);
			goto fail;
		}
		if (v & (unit - 1)) {
			r = FATAL(it->opts, "VM-1", KHOFMT_ERR_STRUCT, v,
				  "vmalloc run 0x%llx not aligned to 2^%u pages",
				  (unsigned long long)v, it->d.order);
			goto fail;
		}
		it->runs++;
		*pa = v;
		*len = unit;
		return 0;
	}
fail:
	it->done = true;
	return r;
}

int khofmt_vmalloc_read(struct khofmt_vmalloc_iter *it, void *buf, size_t len)
{
	unsigned char *out = buf;
	int r;

	while (len) {
		size_t n;

		if (it->run_off >= it->run_len) {
			r = khofmt_vmalloc_run_next(it, &it->run_pa, &it->run_len);
			if (r < 0)
				return r;
			if (r == 1)
				return FATAL(it->opts, "VM-1", KHOFMT_ERR_TRUNCATED,
					     it->d.first,
					     "vmalloc area ends after %llu bytes",
					     (unsigned long long)it->consumed);
			it->run_off = 0;
		}
		n = it->run_len - it->run_off;
		if (n > len)
			n = len;
		r = khofmt_source_read(it->src, it->run_pa + it->run_off, out, n);
		if (r < 0)
			return FATAL(it->opts, "VM-1", -r, it->run_pa + it->run_off,
				     "vmalloc page 0x%llx not in the memory source",
				     (unsigned long long)(it->run_pa + it->run_off));
		out += n;
		len -= n;
		it->run_off += n;
		it->consumed += n;
	}
	return 0;
}
