// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kho_vmalloc areas (doc/ABI.md 6.5): a 16-byte descriptor and a chain of
 * chunk pages listing run starts (2^order pages each). The chunk list is
 * a layout of the chain walker (chain.c: loops, wild or misaligned next,
 * bounded by the source); runs are bounded by total_pages, so a hostile
 * chain cannot make us read more than the descriptor promises.
 */
#include "abi_layout.h"
#include "chain_int.h"
#include "schema_int.h"

#define VM_KNOWN_FLAGS 0x3u

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
	int r;

	if (!it || !src || !d || !ps)
		return -KHOFMT_ERR_INVAL;
	memset(it, 0, sizeof(*it));
	it->opts = opts;
	it->d = *d;
	P = UINT64_C(1) << ps;
	r = khofmt_chain_init(&it->c, &khofmt_chain_kho_vmalloc, src, d->first,
			      ps, 0, khofmt_chain_schema_problem, (void *)opts);
	if (r)
		return r;
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

/* Name the area's owner in the chain's findings ("memfd 0x... folios"). */
void khofmt_vmalloc_owner(struct khofmt_vmalloc_iter *it, const char *owner)
{
	khofmt_chain_owner(&it->c, "%s", owner);
}

static int vm_end(struct khofmt_vmalloc_iter *it)
{
	uint64_t pages = it->runs << it->d.order;

	it->done = true;
	if (pages != it->d.total_pages)
		return FATAL(it->opts, "VM-1", KHOFMT_ERR_STRUCT, it->d.first,
			     "%s%svmalloc runs cover %llu pages, total_pages is %u",
			     it->c.owner, it->c.owner[0] ? ": " : "",
			     (unsigned long long)pages, it->d.total_pages);
	return 1;
}

int khofmt_vmalloc_run_next(struct khofmt_vmalloc_iter *it, uint64_t *pa,
			    uint64_t *len)
{
	unsigned char w[VM_RUN_SIZE];
	uint64_t v, unit;
	int r;

	if (!it || !pa || !len)
		return -KHOFMT_ERR_INVAL;
	if (it->done)
		return 1;
	unit = (UINT64_C(1) << it->c.page_shift) << it->d.order;
	r = khofmt_chain_entry(&it->c, w, NULL);
	if (r == 1)
		return vm_end(it);
	if (r < 0)
		goto fail;
	v = ld_le64(w);
	if (((it->runs + 1) << it->d.order) > it->d.total_pages) {
		r = FATAL(it->opts, "VM-1", KHOFMT_ERR_STRUCT, it->c.cur,
			  "%s%svmalloc runs exceed total_pages %u",
			  it->c.owner, it->c.owner[0] ? ": " : "",
			  it->d.total_pages);
		goto fail;
	}
	if (v & (unit - 1)) {
		r = FATAL(it->opts, "VM-1", KHOFMT_ERR_STRUCT, v,
			  "%s%svmalloc run 0x%llx not aligned to 2^%u pages",
			  it->c.owner, it->c.owner[0] ? ": " : "",
			  (unsigned long long)v, it->d.order);
		goto fail;
	}
	it->runs++;
	*pa = v;
	*len = unit;
	return 0;
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
		r = khofmt_source_read(it->c.src, it->run_pa + it->run_off, out, n);
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
