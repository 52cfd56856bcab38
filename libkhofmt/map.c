// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Binning ranges into address cells (khofmt-map.h): per layer, the bytes
 * of partial cells are added directly and runs of full cells go into a
 * difference array (+1 at the first full cell, -1 after the last), summed
 * once in khofmt_map_finish().
 */
#include <stdlib.h>

#include "internal.h"

struct khofmt_map {
	uint64_t start, cell;		/* covers start + [0, cell * ncells) */
	size_t ncells;
	unsigned nlayers;
	bool finished;
	uint64_t *bytes;		/* [layer][cell]: partial, then final */
	int64_t *diff;			/* [layer][cell + 1]: full-cell runs */
	uint64_t *total;		/* [layer] */
};

int khofmt_map_new(uint64_t start, uint64_t cell, size_t ncells,
		   unsigned nlayers, struct khofmt_map **out)
{
	struct khofmt_map *m;

	if (!out)
		return -KHOFMT_ERR_INVAL;
	*out = NULL;
	if (!cell || !ncells || ncells > KHOFMT_MAP_MAX_CELLS || !nlayers ||
	    nlayers > KHOFMT_MAP_MAX_LAYERS || cell > UINT64_MAX / ncells ||
	    start > UINT64_MAX - cell * ncells + 1)
		return -KHOFMT_ERR_INVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -KHOFMT_ERR_NOMEM;
	m->start = start;
	m->cell = cell;
	m->ncells = ncells;
	m->nlayers = nlayers;
	m->bytes = calloc((size_t)nlayers * ncells, sizeof(*m->bytes));
	m->diff = calloc((size_t)nlayers * (ncells + 1), sizeof(*m->diff));
	m->total = calloc(nlayers, sizeof(*m->total));
	if (!m->bytes || !m->diff || !m->total) {
		khofmt_map_free(m);
		return -KHOFMT_ERR_NOMEM;
	}
	*out = m;
	return 0;
}

void khofmt_map_free(struct khofmt_map *m)
{
	if (!m)
		return;
	free(m->bytes);
	free(m->diff);
	free(m->total);
	free(m);
}

int khofmt_map_add(struct khofmt_map *m, unsigned layer, uint64_t start,
		   uint64_t size)
{
	uint64_t s, e, last, c0, c1;
	uint64_t *b;
	int64_t *d;

	if (!m || layer >= m->nlayers || m->finished)
		return -KHOFMT_ERR_INVAL;
	if (!size)
		return 0;
	/* Work in offsets from the map start: [s, e], e inclusive, no wrap. */
	last = start + (size - 1) < start ? UINT64_MAX : start + (size - 1);
	if (last < m->start)
		return 0;
	s = start > m->start ? start - m->start : 0;
	e = last - m->start;
	if (s > m->cell * (m->ncells - 1) + (m->cell - 1))
		return 0;
	if (e > m->cell * (m->ncells - 1) + (m->cell - 1))
		e = m->cell * (m->ncells - 1) + (m->cell - 1);
	c0 = s / m->cell;
	c1 = e / m->cell;
	b = m->bytes + (size_t)layer * m->ncells;
	d = m->diff + (size_t)layer * (m->ncells + 1);
	m->total[layer] += e - s + 1;
	if (c0 == c1) {
		b[c0] += e - s + 1;
		return 0;
	}
	b[c0] += (c0 + 1) * m->cell - s;
	b[c1] += e - c1 * m->cell + 1;
	if (c1 > c0 + 1) {
		d[c0 + 1]++;
		d[c1]--;
	}
	return 0;
}

int khofmt_map_finish(struct khofmt_map *m)
{
	unsigned l;
	size_t i;

	if (!m)
		return -KHOFMT_ERR_INVAL;
	if (m->finished)
		return 0;
	for (l = 0; l < m->nlayers; l++) {
		uint64_t *b = m->bytes + (size_t)l * m->ncells;
		int64_t *d = m->diff + (size_t)l * (m->ncells + 1);
		int64_t run = 0;

		for (i = 0; i < m->ncells; i++) {
			run += d[i];
			b[i] += (uint64_t)run * m->cell;
		}
	}
	m->finished = true;
	return 0;
}

uint64_t khofmt_map_get(const struct khofmt_map *m, size_t i, unsigned layer)
{
	if (!m || !m->finished || i >= m->ncells || layer >= m->nlayers)
		return 0;
	return m->bytes[(size_t)layer * m->ncells + i];
}

uint64_t khofmt_map_total(const struct khofmt_map *m, unsigned layer)
{
	if (!m || layer >= m->nlayers)
		return 0;
	return m->total[layer];
}
