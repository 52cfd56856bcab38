/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Options and opening code shared by every khoctl subcommand.
 *
 * Two argp children:
 *  - input_argp: where the KHO state comes from (--fdt, --mem), plus the
 *    common options below. Commands that read a handover use it.
 *  - input_common_argp: --page-shift, --abi, --producer, --radix-depth,
 *    --json, --bytes. Commands that do not read a handover (synth) use
 *    only this one.
 *
 * An input has a kind so that other sources (--live, --incoming,
 * --capture DIR) can be added without touching the subcommands.
 */
#ifndef KHOCTL_INPUT_H
#define KHOCTL_INPUT_H

#include <argp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "khofmt.h"
#include "out.h"

/* Largest root FDT or blob file khoctl reads (a root FDT is one page). */
#define INPUT_MAX_FILE (16u << 20)

enum input_kind {
	INPUT_NONE = 0,
	INPUT_FILES, /* --fdt FILE [--mem FILE[@BASE]] */
	/* to come: INPUT_LIVE, INPUT_INCOMING, INPUT_CAPTURE */
};

/* What a command needs; set in input_opts.need before parsing. */
#define INPUT_NEED_MEM 0x1u /* a memory source (--mem) is mandatory */

struct input_opts {
	unsigned need;         /* INPUT_NEED_*, from the command */
	enum input_kind kind;
	const char *fdt_path;  /* root KHO FDT file ("-" = stdin) */
	const char *mem_path;  /* ELF core, or raw image when mem_raw */
	bool mem_raw;
	uint64_t mem_base;     /* raw image: physical address of byte 0 */
	unsigned page_shift;   /* producer PAGE_SHIFT: 12, 14 or 16 */
	enum khofmt_abi abi;   /* --abi: 0 = from the compatible string */
	const char *producer;  /* --producer RELEASE, NULL = unknown */
	unsigned radix_depth;  /* --radix-depth N, 0 = by generation */
	struct out_opts out;   /* --json, --bytes (and the command's own) */
};

/* What input_open() and input_open_handover() produced. */
struct input {
	struct khofmt_fdt *fdt;
	struct khofmt_source *src;    /* NULL when no memory source was given */
	struct khofmt_handover *h;    /* NULL until input_open_handover() */
	const char *name;             /* for messages: the FDT file */
};

extern const struct argp input_argp;
extern const struct argp input_common_argp;

/* Defaults; @need is a mask of INPUT_NEED_*. */
void input_opts_init(struct input_opts *o, unsigned need);

/*
 * Open the root FDT and, if one was given, the memory source. Errors are
 * printed ("khoctl: <what>: <detail>") and give KHOCTL_EXIT_DECODE.
 */
int input_open(const struct input_opts *o, struct input *in);
/* Tie FDT and memory source together (needs a memory source). */
int input_open_handover(const struct input_opts *o, struct input *in);
void input_close(struct input *in);

/* Read a whole file ("-" = stdin) of at most @max bytes; prints errors. */
int input_read_file(const char *path, size_t max, void **buf, size_t *len);

/* "0x..." hexadecimal or decimal, the whole string; false if invalid. */
bool input_parse_u64(const char *s, uint64_t *v);
/* A number with an optional binary suffix K, M, G, T (or KiB, ...). */
bool input_parse_size(const char *s, uint64_t *v);

#endif /* KHOCTL_INPUT_H */
