// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Serialization block chains (kho_block, doc/ABI.md 6.3) and the problem
 * reporting shared by the sub-schema decoders.
 *
 * A chain is walked like 7.2.13 does: a two-pointer (Floyd) cycle check,
 * at most KHOFMT_BLOCK_MAX_CHAIN blocks, and 1 <= count <= capacity in
 * every block. Any of these is fatal: the kernel panics (sessions) or
 * fails /dev/liveupdate (files).
 */
#include <stdio.h>

#include "abi_layout.h"
#include "schema_int.h"

#define BLOCK_HDR BLK_HDR_SIZE

unsigned khofmt_schema_ps(const struct khofmt_schema_opts *opts)
{
	unsigned ps = opts && opts->sz >= sizeof(*opts) ? opts->page_shift : 0;

	if (!ps)
		return 12;
	return ps == 12 || ps == 14 || ps == 16 ? ps : 0;
}

int khofmt_schema_report(const struct khofmt_schema_opts *opts, const char *rule,
		  int err, bool fatal, bool inferred, uint64_t pa,
		  const char *fmt, ...)
{
	struct khofmt_schema_problem p;
	char msg[256];
	va_list ap;

	if (opts && opts->sz >= sizeof(*opts) && opts->problem) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		p.rule = rule;
		p.err = -err;
		p.fatal = fatal;
		p.inferred = inferred;
		p.pa = pa;
		p.msg = msg;
		opts->problem(opts->problem_arg, &p);
	}
	return fatal ? -err : 0;
}

bool khofmt_schema_copy_name(char *dst, const unsigned char *src, size_t n)
{
	const unsigned char *nul = memchr(src, 0, n);
	size_t l = nul ? (size_t)(nul - src) : n;

	memcpy(dst, src, l);
	dst[l] = 0;
	return nul != NULL;
}

int khofmt_block_iter_init(struct khofmt_block_iter *it,
			   struct khofmt_source *src, uint64_t first,
			   size_t esize, const struct khofmt_schema_opts *opts)
{
	unsigned ps = khofmt_schema_ps(opts);

	if (!it || !src || !esize || !ps || esize > (UINT64_C(1) << ps) - BLOCK_HDR)
		return -KHOFMT_ERR_INVAL;
	memset(it, 0, sizeof(*it));
	it->src = src;
	it->opts = opts;
	it->first = first;
	it->next = first;
	it->slow = first;
	it->esize = esize;
	it->page_shift = ps;
	it->done = first == 0;
	return 0;
}

/* Read a block header; checks alignment and count. */
static int block_hdr(struct khofmt_block_iter *it, uint64_t pa,
		     uint64_t *next, uint64_t *count)
{
	unsigned char hdr[BLOCK_HDR];
	uint64_t P = UINT64_C(1) << it->page_shift;
	uint64_t cap = (P - BLOCK_HDR) / it->esize;
	int r;

	if (pa & (P - 1))
		return FATAL(it->opts, "LUO-2", KHOFMT_ERR_STRUCT, pa,
			     "block 0x%llx is not page-aligned",
			     (unsigned long long)pa);
	if (!khofmt_source_covers(it->src, pa, P))
		return FATAL(it->opts, "LUO-2", KHOFMT_ERR_NOTCOVERED, pa,
			     "block 0x%llx is not in the memory source",
			     (unsigned long long)pa);
	r = khofmt_source_read(it->src, pa, hdr, sizeof(hdr));
	if (r < 0)
		return FATAL(it->opts, "LUO-2", -r, pa, "cannot read block 0x%llx",
			     (unsigned long long)pa);
	*next = ld_le64(hdr + BLK_NEXT_OFF);
	if (count) {
		*count = ld_le64(hdr + BLK_COUNT_OFF);
		if (*count == 0 || *count > cap)
			return FATAL(it->opts, "LUO-2", KHOFMT_ERR_STRUCT, pa,
				     "block 0x%llx: count %llu not in 1..%llu",
				     (unsigned long long)pa,
				     (unsigned long long)*count,
				     (unsigned long long)cap);
	}
	return 0;
}

int khofmt_block_next(struct khofmt_block_iter *it, void *entry, uint64_t *pa)
{
	uint64_t at;
	int r;

	if (!it || !entry)
		return -KHOFMT_ERR_INVAL;
	while (!it->done && it->idx >= it->count) {
		uint64_t next;

		if (it->next == 0) {
			it->done = true;
			break;
		}
		if (it->blocks >= KHOFMT_BLOCK_MAX_CHAIN) {
			it->done = true;
			return FATAL(it->opts, "LUO-2", KHOFMT_ERR_LIMIT, it->next,
				     "chain from 0x%llx longer than %u blocks",
				     (unsigned long long)it->first,
				     KHOFMT_BLOCK_MAX_CHAIN);
		}
		/*
		 * A bad next pointer is a fault of the block that holds it:
		 * reported there, so the finding names the owner's page.
		 */
		if (it->blocks) {
			uint64_t P = UINT64_C(1) << it->page_shift;
			bool odd = it->next & (P - 1);

			if (odd || !khofmt_source_covers(it->src, it->next, P)) {
				it->done = true;
				return FATAL(it->opts, "LUO-2",
					     odd ? KHOFMT_ERR_STRUCT : KHOFMT_ERR_NOTCOVERED,
					     it->cur, "block 0x%llx: next 0x%llx is %s",
					     (unsigned long long)it->cur,
					     (unsigned long long)it->next,
					     odd ? "not page-aligned" :
					     "not in the memory source");
			}
		}
		it->cur = it->next;
		r = block_hdr(it, it->cur, &next, &it->count);
		if (r) {
			it->done = true;
			return r;
		}
		it->blocks++;
		it->idx = 0;
		it->next = next;
		/* Floyd: the slow pointer moves every second block. */
		if (it->blocks > 1 && !(it->blocks & 1)) {
			r = block_hdr(it, it->slow, &it->slow, NULL);
			if (r) {
				it->done = true;
				return r;
			}
		}
		if (it->next && it->next == it->slow) {
			it->done = true;
			return FATAL(it->opts, "LUO-2", KHOFMT_ERR_LOOP, it->cur,
				     "block chain from 0x%llx loops (block 0x%llx -> 0x%llx)",
				     (unsigned long long)it->first,
				     (unsigned long long)it->cur,
				     (unsigned long long)it->next);
		}
	}
	if (it->done)
		return 1;
	at = it->cur + BLOCK_HDR + it->idx * it->esize;
	r = khofmt_source_read(it->src, at, entry, it->esize);
	if (r < 0) {
		it->done = true;
		return FATAL(it->opts, "LUO-2", -r, at, "cannot read entry at 0x%llx",
			     (unsigned long long)at);
	}
	it->idx++;
	it->items++;
	if (pa)
		*pa = at;
	return 0;
}
