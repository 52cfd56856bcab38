// SPDX-License-Identifier: LGPL-2.1-or-later
/* Error codes, their names, and the small helpers for error details. */
#include <stdio.h>

#include "internal.h"

static const char *const errstr[KHOFMT_ERR_MAX] = {
	[KHOFMT_OK] = "success",
	[KHOFMT_ERR_INVAL] = "invalid argument",
	[KHOFMT_ERR_NOMEM] = "out of memory",
	[KHOFMT_ERR_IO] = "I/O error",
	[KHOFMT_ERR_NOTCOVERED] = "address not covered by the memory source",
	[KHOFMT_ERR_TRUNCATED] = "truncated data",
	[KHOFMT_ERR_BADELF] = "not a usable ELF core",
	[KHOFMT_ERR_BADFDT] = "invalid FDT",
	[KHOFMT_ERR_COMPAT] = "unknown or missing compatible",
	[KHOFMT_ERR_UNSUPPORTED] = "unsupported KHO generation",
	[KHOFMT_ERR_BADPROP] = "missing or malformed property",
	[KHOFMT_ERR_STRUCT] = "malformed structure",
	[KHOFMT_ERR_BADKEY] = "impossible tracker entry",
	[KHOFMT_ERR_LOOP] = "cycle or shared node in tracker",
	[KHOFMT_ERR_LIMIT] = "safety limit reached",
	[KHOFMT_ERR_OVERLAP] = "overlapping objects",
	[KHOFMT_ERR_INTERNAL] = "internal error",
};

const char *khofmt_strerror(int err)
{
	/* -INT_MIN does not exist: compare without negating. */
	if (err < 0 && err > -KHOFMT_ERR_MAX)
		err = -err;
	if (err < 0 || err >= KHOFMT_ERR_MAX || !errstr[err])
		return "unknown error";
	return errstr[err];
}

const char *khofmt_version(void)
{
	return PACKAGE_VERSION;
}

void khofmt_setmsg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

int khofmt_report(struct khofmt_handover *h,
		  const struct khofmt_walk_opts *opts, int err,
		  unsigned level, uint64_t node_pa, uint64_t index,
		  uint64_t value, const char *fmt, ...)
{
	struct khofmt_problem p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->errmsg, sizeof(h->errmsg), fmt, ap);
	va_end(ap);
	if (!opts || !opts->problem)
		return -err;
	p.err = -err;
	p.level = level;
	p.node_pa = node_pa;
	p.index = index;
	p.value = value;
	p.msg = h->errmsg;
	return opts->problem(opts->problem_arg, &p) ? 1 : 0;
}
