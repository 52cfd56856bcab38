/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkhofmt map: bin physical ranges into a grid of equal address cells
 * (the picture of `khoctl map`), one byte count per cell and layer.
 *
 * A layer is whatever the caller counts (RAM, scratch, preserved memory of
 * some orders, tracker pages, ...). Adding a range costs O(1): the two
 * partial end cells get their overlap directly, the full cells between
 * them go into a difference array that khofmt_map_finish() sums once, so
 * building a map costs O(ranges + cells) and never depends on how large
 * the ranges are. Nothing is printed; drawing is the caller's business.
 * Included by khofmt.h.
 */
/*
 * khofmt.h first, outside the guard: it declares what this header uses
 * and includes every area header in order, this one too.
 */
#include "khofmt.h"

#ifndef KHOFMT_MAP_H
#define KHOFMT_MAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct khofmt_map;

/* Limits that keep a map's memory bounded (16 bytes per cell and layer). */
#define KHOFMT_MAP_MAX_CELLS (1u << 20)
#define KHOFMT_MAP_MAX_LAYERS 32u

/**
 * khofmt_map_new() - an empty map of @ncells cells of @cell bytes
 * @start:  physical address of the first cell
 * @cell:   bytes per cell (> 0)
 * @ncells: number of cells, 1..KHOFMT_MAP_MAX_CELLS
 * @nlayers: number of layers, 1..KHOFMT_MAP_MAX_LAYERS
 * @out:    the new map
 *
 * The map covers [@start, @start + @cell * @ncells), which must not wrap
 * past 2^64 (-KHOFMT_ERR_INVAL), as bad sizes or counts are.
 */
KHOFMT_API int khofmt_map_new(uint64_t start, uint64_t cell, size_t ncells,
			      unsigned nlayers, struct khofmt_map **out);
KHOFMT_API void khofmt_map_free(struct khofmt_map *m);

/**
 * khofmt_map_add() - count the bytes of [@start, @start + @size) in @layer
 *
 * The part outside the map is ignored; a range reaching past 2^64 is cut
 * there. Ranges added twice to a layer count twice (a cell's count can
 * then exceed the cell size). -KHOFMT_ERR_INVAL for a bad layer or after
 * khofmt_map_finish().
 */
KHOFMT_API int khofmt_map_add(struct khofmt_map *m, unsigned layer,
			      uint64_t start, uint64_t size);

/* Resolve the counts (O(cells x layers)); adding is over after it. */
KHOFMT_API int khofmt_map_finish(struct khofmt_map *m);

/*
 * Bytes of @layer in cell @i (after khofmt_map_finish(); 0 before it or
 * for indexes out of range).
 */
KHOFMT_API uint64_t khofmt_map_get(const struct khofmt_map *m, size_t i,
				   unsigned layer);
/* Bytes of @layer inside the map (exact, also before finishing). */
KHOFMT_API uint64_t khofmt_map_total(const struct khofmt_map *m,
				     unsigned layer);

#ifdef __cplusplus
}
#endif

#endif /* KHOFMT_MAP_H */
