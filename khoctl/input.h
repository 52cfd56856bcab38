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

/* A capture bundle's files (khoctl capture, --capture DIR): khofmt-capture.h */
#define CAPTURE_SCHEMA KHOFMT_CAPTURE_SCHEMA
#define CAPTURE_MANIFEST KHOFMT_CAPTURE_MANIFEST
#define CAPTURE_FDT KHOFMT_CAPTURE_FDT
#define CAPTURE_MEM KHOFMT_CAPTURE_MEM
#define CAPTURE_BLOBS KHOFMT_CAPTURE_BLOBS
#define CAPTURE_IOMEM KHOFMT_CAPTURE_IOMEM
#define CAPTURE_SCRATCH_PHYS KHOFMT_CAPTURE_SCRATCH_PHYS /* debugfs format */
#define CAPTURE_SCRATCH_LEN KHOFMT_CAPTURE_SCRATCH_LEN

/* Largest root FDT or blob file khoctl reads (a root FDT is one page). */
#define INPUT_MAX_FILE (16u << 20)

enum input_kind {
	INPUT_NONE = 0,
	INPUT_FILES,    /* --fdt FILE [--mem FILE[@BASE]] */
	INPUT_LIVE,     /* --live: debugfs kho/out + /proc/kcore + /proc/iomem */
	INPUT_INCOMING, /* --incoming: debugfs kho/in + /proc/kcore */
	INPUT_CAPTURE,  /* --capture DIR: a `khoctl capture` bundle */
};

/* What a command needs; set in input_opts.need before parsing. */
#define INPUT_NEED_MEM 0x1u /* a memory source (--mem) is mandatory */
#define INPUT_ANY_SYSROOT 0x2u /* --sysroot with any input (compat: modules) */

struct input_opts {
	unsigned need;         /* INPUT_NEED_*, from the command */
	enum input_kind kind;
	const char *fdt_path;  /* root KHO FDT file ("-" = stdin) */
	const char *mem_path;  /* ELF core, or raw image when mem_raw */
	bool mem_raw;
	uint64_t mem_base;     /* raw image: physical address of byte 0 */
	const char *capture_dir; /* --capture DIR */
	const char *sysroot;   /* --sysroot DIR: live paths below DIR ("" = /) */
	bool page_shift_set;   /* --page-shift given */
	unsigned page_shift;   /* producer PAGE_SHIFT: 12, 14 or 16 */
	enum khofmt_abi abi;   /* --abi: 0 = from the compatible string */
	const char *producer;  /* --producer RELEASE, NULL = unknown */
	unsigned radix_depth;  /* --radix-depth N, 0 = by generation */
	bool root_pa_set;      /* --root-pa ADDR given */
	uint64_t root_pa;      /* which discovered root to use (--mem alone) */
	struct out_opts out;   /* --json, --bytes (and the command's own) */
};

/* What input_open() and input_open_handover() produced. */
struct input {
	struct khofmt_fdt *fdt;
	struct khofmt_source *src;    /* NULL when no memory source was given */
	struct khofmt_handover *h;    /* NULL until input_open_handover() */
	const char *name;             /* for messages: the FDT file */
	char *name_buf;               /* owned storage behind @name */

	/* What live, incoming and capture inputs know besides FDT + memory. */
	char *blob_dir;               /* files named after subnodes, or NULL */
	struct khofmt_range *scratch; /* scratch areas (live, capture) */
	size_t nscratch;
	bool has_scratch;
	struct khofmt_range *ram;     /* System RAM (/proc/iomem) */
	size_t nram;
	bool has_ram;
	char *iomem;                  /* raw /proc/iomem text, or NULL */
	size_t iomem_len;
	char iomem_bad[256];          /* why that text is no RAM map, or "" */
	bool incoming;                /* the state a kernel received (kho/in) */
	char release[80];             /* kernel release, "" if unknown */
	uint64_t fdt_pa;              /* where the root FDT page is, if known */
	bool has_fdt_pa;
	int recovered;                /* KHOFMT_RECOVER_* when the FDT was */
	unsigned page_shift;          /* effective page shift */
	const char *producer;         /* effective producer release, or NULL */
	char producer_buf[80];
	const char *ram_origin;       /* where ram came from, NULL = iomem */
	const char *scratch_origin;   /* where scratch came from, NULL = debugfs */
	char origin_buf[160];
	char root_how[200];           /* --mem alone: how the root was found */
	bool page_shift_known;        /* an option or the input settled it */
	const char *page_basis;       /* "option", "capture manifest", ... */
	char *unpacked;               /* --capture ARCHIVE: its temporary copy */
	char page_reason[384];        /* why this page size */
};

extern const struct argp input_argp;
extern const struct argp input_common_argp;

/*
 * The children of a command that reads a state and prints tables (stat,
 * ranges, dump, analyze): "Input options:" then "Table options:". Its
 * parser binds them at ARGP_KEY_INIT with input_table_bind().
 */
extern const struct argp_child input_table_children[];

static inline void input_table_bind(struct argp_state *state, struct input_opts *in)
{
	state->child_inputs[0] = in;
	state->child_inputs[1] = &in->out;
}

/* Defaults; @need is a mask of INPUT_NEED_*. */
void input_opts_init(struct input_opts *o, unsigned need);

/*
 * Open the root FDT and, if one was given, the memory source. Errors are
 * printed ("khoctl: <what>: <detail>") and give KHOCTL_EXIT_DECODE.
 */
int input_open(const struct input_opts *o, struct input *in);
/*
 * Only the memory source of a --fdt/--mem input (any dump format), with
 * what the dump says about page size, producer and RAM applied to @in
 * (set in->page_shift and in->producer from @o first). 0 or an exit status.
 */
int input_open_mem(const struct input_opts *o, struct input *in);
/*
 * Settle the producer's page size when neither an option nor the input
 * did: from the tracker (khofmt_geom_infer()). Prints and returns exit 2
 * when the data cannot tell. Called by input_open_handover().
 */
int input_infer_geom(const struct input_opts *o, struct input *in);
/*
 * After a tracker pass on an incoming state (@r: khofmt_stats()'s return):
 * true when the receiving kernel consumed the tracker -- it frees those
 * pages once the preserved memory is reserved (7.2: during boot), so they
 * read as garbage or as an empty tree although blobs were handed over.
 * @why gets one line saying so.
 */
bool input_tracker_consumed(const struct input *in, int r,
			    const struct khofmt_stats *st, char *why,
			    size_t whysz);
/* Tie FDT and memory source together (needs a memory source). */
int input_open_handover(const struct input_opts *o, struct input *in);
void input_close(struct input *in);

/*
 * The bytes of subnode @sn's blob: from the memory source when it covers
 * them, else from the blob file of a live/incoming/capture input. 0 and a
 * malloc'd buffer, or -1 when neither has them (@why says which).
 */
int input_blob(struct input *in, const struct khofmt_subnode *sn,
	       void **buf, size_t *len, const char **why);

/* "DIR/NAME" in a new string (exits on out of memory like argp does). */
char *input_path(const char *dir, const char *name);

/* Read a whole file ("-" = stdin) of at most @max bytes; prints errors. */
/*
 * Why a file could not be opened or read, worded the same for every file
 * (is a directory, cannot open: ..., read error: ...); returns exit 2.
 */
int input_file_err(const char *name, int errno_value);
int input_read_file(const char *path, size_t max, void **buf, size_t *len);

/* "0x..." hexadecimal or decimal, the whole string; false if invalid. */
bool input_parse_u64(const char *s, uint64_t *v);
/* A number with an optional binary suffix K, M, G, T (or KiB, ...). */
bool input_parse_size(const char *s, uint64_t *v);

#endif /* KHOCTL_INPUT_H */
