/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The system's memory layout around a handover: the System RAM map and
 * the KHO scratch areas. Shared by `verify` (the RAM and scratch rules)
 * and `map` (the picture): one argp child for the options, one function
 * that settles where each list comes from.
 *
 * RAM: --ram ranges, --iomem FILE, --ram-from-core (the ELF core's
 * PT_LOAD segments), else what a --live/--capture input knew
 * (/proc/iomem). Scratch: --scratch, --scratch-phys/--scratch-len, else
 * the input's debugfs kho/out scratch files. Options win over the input.
 */
#ifndef KHOCTL_LAYOUT_H
#define KHOCTL_LAYOUT_H

#include <argp.h>
#include <stdbool.h>
#include <stddef.h>

#include "input.h"

/* A growable list of ranges. */
struct rlist {
	struct khofmt_range *v;
	size_t n, cap;
};

bool rlist_push(struct rlist *l, uint64_t start, uint64_t size);

/* The options, filled by layout_argp (pass it as a child input). */
struct layout_args {
	struct rlist ram, scratch;
	const char *iomem;
	bool ram_core;
	const char *scratch_phys, *scratch_len;
};

/* --ram, --iomem, --ram-from-core, --scratch, --scratch-phys, --scratch-len */
extern const struct argp layout_argp;

/* What was settled; the arrays live as long as the layout_args. */
struct layout {
	const struct khofmt_range *ram;
	size_t nram;
	bool has_ram;
	const char *ram_origin;      /* "none" when !has_ram */
	const struct khofmt_range *scratch;
	size_t nscratch;
	bool has_scratch;
	const char *scratch_origin;  /* "none" when !has_scratch */
	char origin_buf[512];
};

/*
 * Settle the RAM map and the scratch areas from the options, then from
 * @in (NULL for a --fdt/--mem input, which knows neither); @src is the
 * memory source for --ram-from-core. Reads --iomem and --scratch-phys/len
 * files. 0 or an exit status (message printed).
 */
int layout_resolve(struct layout_args *a, const struct input *in,
		   struct khofmt_source *src, struct layout *lay);
void layout_args_free(struct layout_args *a);

/*
 * Is @v[@n] a RAM map at all? Not when empty, when every range starts at 0
 * (/proc/iomem read without root), when a range ends beyond 2^52, or
 * when ranges are unsorted or overlap. 0 if it is, else 1 with the reason
 * ("@what: ...") in @why.
 */
int layout_ram_check(const struct khofmt_range *v, size_t n, char *why,
		     size_t whysz, const char *what);

/* "START-END" (inclusive end, as in /proc/iomem) or "START+SIZE". */
bool layout_parse_range(char *arg, uint64_t *start, uint64_t *size);

#endif /* KHOCTL_LAYOUT_H */
