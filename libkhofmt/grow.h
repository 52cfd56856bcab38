/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One growing-array helper for libkhofmt and khoctl (header-only, not
 * installed): every array that grows element by element goes through it
 * instead of a hand-written realloc loop.
 */
#ifndef KHOFMT_GROW_H
#define KHOFMT_GROW_H

#include <stdint.h>
#include <stdlib.h>

/*
 * Array @v of @size-byte elements with capacity *cap, grown (doubling
 * from 16) to hold @need: the array to use, or NULL when out of memory
 * or when the size would overflow (then @v and *cap are unchanged).
 *
 *	p = khofmt_grow(a->v, &a->cap, a->n + 1, sizeof(*p));
 *	if (!p)
 *		return -KHOFMT_ERR_NOMEM;
 *	a->v = p;
 */
static inline void *khofmt_grow(void *v, size_t *cap, size_t need, size_t size)
{
	size_t nc = *cap ? *cap : 16;

	if (need <= *cap)
		return v;
	while (nc < need) {
		if (nc > SIZE_MAX / 2)
			return NULL;
		nc *= 2;
	}
	if (!size || nc > SIZE_MAX / size)
		return NULL;
	v = realloc(v, nc * size);
	if (v)
		*cap = nc;
	return v;
}

#endif
