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
	[KHOFMT_ERR_OPTS] = "option struct has fields this library does not know",
};

int khofmt_opts_check(const void *opts, size_t min, size_t known)
{
	const unsigned char *b = opts;
	size_t sz, i;

	if (!opts)
		return 0;
	memcpy(&sz, opts, sizeof(sz));
	if (sz < sizeof(size_t) || sz < min)
		return -KHOFMT_ERR_INVAL;
	/* a newer caller: what this library cannot honour must be unset */
	for (i = known; i < sz; i++)
		if (b[i])
			return -KHOFMT_ERR_OPTS;
	return 0;
}

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

KHOFMT_API size_t khofmt_utf8_len(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c, lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (!s)
		return 0;
	c = s[0];
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	/* stops at the first bad byte: a NUL never passes, nothing beyond */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}
