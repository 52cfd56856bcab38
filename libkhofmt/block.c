// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Serialization block chains (kho_block, doc/ABI.md 6.3) and the problem
 * reporting shared by the sub-schema decoders.
 *
 * A kho_block chain is one layout of the chain walker (chain.c): no loop,
 * at most KHOFMT_BLOCK_MAX_CHAIN blocks, and 1 <= count <= capacity in
 * every block, as 7.2.13 checks. Any of these is fatal: the kernel panics
 * (sessions) or fails /dev/liveupdate (files).
 */
#include <stdio.h>

#include "chain_int.h"
#include "schema_int.h"

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

	if (!it || !src || !esize || !ps)
		return -KHOFMT_ERR_INVAL;
	memset(it, 0, sizeof(*it));
	it->opts = opts;
	return khofmt_chain_init(&it->c, &khofmt_chain_kho_block, src, first, ps,
				 esize, khofmt_chain_schema_problem,
				 (void *)opts);
}

int khofmt_block_next(struct khofmt_block_iter *it, void *entry, uint64_t *pa)
{
	if (!it || !entry || !it->c.layout)
		return -KHOFMT_ERR_INVAL;
	return khofmt_chain_entry(&it->c, entry, pa);
}
