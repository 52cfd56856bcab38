/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkhofmt for kexec front ends (kexec-tools' kexec/kho.c and
 * `khoctl kexec`): the facts of the running system, the outgoing KHO state
 * as the kernel exposes it, the load stamp, and the decision whether to
 * load or reboot. Everything here is computed; nothing is printed.
 *
 * System files are read below a root prefix (@root: NULL or "" is "/");
 * tests hand a fake /sys + /proc tree. /dev/liveupdate is never opened: it
 * admits one owner at a time.
 *
 * Included by khofmt.h; not meant to be included on its own.
 */
/*
 * khofmt.h first, outside the guard: it declares what this header uses
 * and includes every area header in order, this one too.
 */
#include "khofmt.h"

#ifndef KHOFMT_KEXEC_H
#define KHOFMT_KEXEC_H

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* The load stamp                                                      */
/* ------------------------------------------------------------------ */

/* Below the root prefix. */
#define KHOFMT_KEXEC_STAMP_PATH "run/kexec-kho.stamp"

/* The image check at load (khofmt_kexec_state_compat()). */
enum khofmt_kexec_compat {
	KHOFMT_KEXEC_COMPAT_UNCHECKED = 0, /* not run (--no-kho-check, old stamp) */
	KHOFMT_KEXEC_COMPAT_ACCEPTED,      /* the image reads every row */
	KHOFMT_KEXEC_COMPAT_LOSES,         /* it would drop some of the state */
	KHOFMT_KEXEC_COMPAT_UNREADABLE,    /* the image (or the state) could not be read */
};

/*
 * What a successful load recorded: how the image was loaded and which
 * outgoing state was checked. Text file, "key=value" lines, version 1
 * (the compat_* and image_* keys are optional: older stamps lack them).
 */
struct khofmt_kexec_stamp {
	bool file_load;         /* kexec_file_load (carries the handover) */
	bool kho_cmdline;       /* the new command line has kho=on */
	bool kho_active;        /* KHO was active when loading */
	bool checked;           /* the state was checked (not --no-kho-check) */
	bool forced;            /* loaded despite errors (--kho-force) */
	bool has_fdt_sha256;
	unsigned char fdt_sha256[32]; /* the outgoing root FDT at load */
	char boot_id[40];       /* /proc/sys/kernel/random/boot_id, "" unknown */
	/* the image check (issue 17) */
	enum khofmt_kexec_compat compat;
	uint32_t compat_lost;   /* rows the image would not read */
	bool has_image_sha256;
	unsigned char image_sha256[32]; /* the image file checked */
	char image[256];        /* its absolute path, "" unknown */
};

/* Write the stamp atomically (temporary file + rename); creates run/. */
KHOFMT_API int khofmt_kexec_stamp_write(const char *root,
					const struct khofmt_kexec_stamp *s);
/* Remove it; 0 also when there was none. */
KHOFMT_API int khofmt_kexec_stamp_remove(const char *root);

/* ------------------------------------------------------------------ */
/* Facts of the running system                                         */
/* ------------------------------------------------------------------ */

enum khofmt_kexec_stamp_state {
	KHOFMT_KEXEC_STAMP_NONE = 0,  /* no stamp file */
	KHOFMT_KEXEC_STAMP_CURRENT,   /* this boot, and an image is loaded */
	KHOFMT_KEXEC_STAMP_STALE,     /* another boot, or nothing is loaded */
	KHOFMT_KEXEC_STAMP_BAD,       /* unreadable or not a version 1 stamp */
};

struct khofmt_kexec_facts {
	bool kho_active;        /* debugfs kho/out exists, or kho=on in /proc/cmdline */
	bool kexec_loaded;      /* /sys/kernel/kexec_loaded reads 1 */
	char boot_id[40];       /* "" when unknown */
	enum khofmt_kexec_stamp_state stamp_state;
	struct khofmt_kexec_stamp stamp; /* valid when stamp_state == CURRENT */
};

/*
 * Read the facts below @root. A stamp counts as current only when its
 * boot id equals the running one (both known) and kexec_loaded is 1.
 * Returns 0 (missing files are facts too) or -KHOFMT_ERR_NOMEM.
 */
KHOFMT_API int khofmt_kexec_facts_read(const char *root,
				       struct khofmt_kexec_facts *f);

/* Is @word a whole word of the command line @s (NULL: false)? */
KHOFMT_API bool khofmt_cmdline_has(const char *s, const char *word);

/* ------------------------------------------------------------------ */
/* The outgoing KHO state                                              */
/* ------------------------------------------------------------------ */

/* Why the outgoing state could not be opened. */
enum khofmt_kexec_problem {
	KHOFMT_KEXEC_OK = 0,
	KHOFMT_KEXEC_NOT_FINALIZED, /* kho/out/finalize exists, no fdt */
	KHOFMT_KEXEC_NO_OUT_FDT,    /* kernel booted through KHO: no out fdt (Q1) */
	KHOFMT_KEXEC_FDT_UNREADABLE, /* kho/out/fdt cannot be read (errno) */
	KHOFMT_KEXEC_KCORE,         /* /proc/kcore cannot be read (errno) */
	KHOFMT_KEXEC_RECOVER,       /* truncated fdt not found in memory */
};

struct khofmt_kexec_state;

/**
 * khofmt_kexec_state_open() - the outgoing state below @root
 * @root:    root prefix (NULL = "/")
 * @out:     the state
 * @problem: receives what failed (KHOFMT_KEXEC_OK on success)
 *
 * Reads debugfs kho/out/fdt (recovered from /proc/kcore when debugfs cut
 * it short, doc/ABI.md 8.2 Q2), the scratch areas (kho/out/scratch_*),
 * System RAM (/proc/iomem, unless hidden) and opens /proc/kcore.
 * Returns 0, or a negative error with @problem set.
 */
KHOFMT_API int khofmt_kexec_state_open(const char *root,
				       struct khofmt_kexec_state **out,
				       enum khofmt_kexec_problem *problem);
KHOFMT_API void khofmt_kexec_state_free(struct khofmt_kexec_state *st);
/* The full root FDT and where it lies (0 when unknown). */
KHOFMT_API const void *khofmt_kexec_state_fdt(const struct khofmt_kexec_state *st,
					      size_t *len, uint64_t *fdt_pa);
KHOFMT_API struct khofmt_source *
khofmt_kexec_state_source(struct khofmt_kexec_state *st);
/* The producer's page shift: this kernel's on "/", else inferred from the tracker. */
KHOFMT_API unsigned
khofmt_kexec_state_page_shift(const struct khofmt_kexec_state *st);
/* SHA-256 of the full root FDT. */
KHOFMT_API void khofmt_kexec_state_sha256(const struct khofmt_kexec_state *st,
					  unsigned char digest[32]);
/* khofmt_verify_run() with the scratch, RAM and FDT address found. */
KHOFMT_API int khofmt_kexec_state_verify(struct khofmt_kexec_state *st,
					 struct khofmt_verify **out);

struct khofmt_capture_result;

/**
 * khofmt_kexec_state_capture() - save the outgoing state as a capture bundle
 * @st:   the state (khofmt_kexec_state_open())
 * @root: the same root prefix
 * @dir:  the bundle directory (created; must not exist)
 * @time: the time recorded in the manifest
 * @res:  as for khofmt_capture_write()
 *
 * The bundle `khoctl capture --live DIR` would write (source "live"): the
 * blobs from memory or debugfs kho/out/sub_fdts, /proc/iomem, the scratch
 * areas, the kernel release of /proc/sys/kernel/osrelease.
 */
KHOFMT_API int khofmt_kexec_state_capture(struct khofmt_kexec_state *st,
					  const char *root, const char *dir,
					  long long time,
					  struct khofmt_capture_result *res);

/* The outcome of the image check. */
struct khofmt_kexec_compat_result {
	enum khofmt_kexec_compat verdict;
	size_t lost, unknown;           /* rows */
	char release[65];               /* the image's release */
	bool has_image_sha256;
	unsigned char image_sha256[32];
	char error[256];                /* UNREADABLE: why */
	char **lines;                   /* one sentence per lost or unknown row */
	size_t nlines;
};

/**
 * khofmt_kexec_state_compat() - will the image take the outgoing state?
 * @st:     the state (khofmt_kexec_state_open())
 * @root:   root prefix: modules are looked up below it (NULL = "/")
 * @image:  the kernel file given to kexec
 * @expect: NULL, or the SHA-256 the image file must have (the stamp's:
 *          a file changed since the load cannot vouch for the loaded image)
 * @res:    the outcome; free with khofmt_kexec_compat_result_free()
 *
 * khofmt_compat_collect() + khofmt_image_open() + khofmt_compat_judge():
 * ACCEPTED, LOSES (with a sentence per lost row: what, what the state
 * writes, what the image reads, what is dropped) or UNREADABLE (why in
 * @res->error). Returns 0, or -KHOFMT_ERR_NOMEM.
 */
KHOFMT_API int khofmt_kexec_state_compat(struct khofmt_kexec_state *st,
					 const char *root, const char *image,
					 const unsigned char *expect,
					 struct khofmt_kexec_compat_result *res);
KHOFMT_API void khofmt_kexec_compat_result_free(struct khofmt_kexec_compat_result *res);
/* "unchecked", "accepted", "loses", "unreadable" */
KHOFMT_API const char *khofmt_kexec_compat_name(enum khofmt_kexec_compat c);

/* ------------------------------------------------------------------ */
/* The decision                                                        */
/* ------------------------------------------------------------------ */

/* What was asked (kexec's options). */
#define KHOFMT_KEXEC_LOAD        0x001u /* -l, -s -l, or load-and-reboot */
#define KHOFMT_KEXEC_EXEC        0x002u /* -e, or load-and-reboot */
#define KHOFMT_KEXEC_CRASH       0x004u /* -p: kdump never takes the handover */
#define KHOFMT_KEXEC_OLD_SYSCALL 0x008u /* -c: kexec_load */
#define KHOFMT_KEXEC_CHECK_ONLY  0x010u /* --kho-check */
#define KHOFMT_KEXEC_FORCE       0x020u /* --kho-force */
#define KHOFMT_KEXEC_NO_CHECK    0x040u /* --no-kho-check */

/* When the decision is taken. */
enum khofmt_kexec_stage {
	KHOFMT_KEXEC_START = 1, /* after option parsing */
	KHOFMT_KEXEC_BEFORE_LOAD, /* after the check, before loading */
	KHOFMT_KEXEC_BEFORE_EXEC, /* after the re-check, before rebooting */
};

/* The check's outcome. */
enum khofmt_kexec_check {
	KHOFMT_KEXEC_CHECK_SKIPPED = 0, /* not run (--no-kho-check) */
	KHOFMT_KEXEC_CHECK_CLEAN,
	KHOFMT_KEXEC_CHECK_WARNINGS,
	KHOFMT_KEXEC_CHECK_ERRORS,
	KHOFMT_KEXEC_CHECK_UNREADABLE, /* the state cannot be read: fails closed */
	KHOFMT_KEXEC_CHECK_UNCHECKABLE, /* no outgoing FDT exposed (Q1): warning */
};

/* Everything the decision depends on besides the request flags. */
struct khofmt_kexec_input {
	const struct khofmt_kexec_facts *facts;
	enum khofmt_kexec_check check;    /* BEFORE_LOAD, BEFORE_EXEC */
	/* BEFORE_EXEC: the image loaded (stamp of this boot, or this run's). */
	const struct khofmt_kexec_stamp *loaded; /* NULL = unknown */
	bool has_fdt_sha256;              /* the state now */
	unsigned char fdt_sha256[32];
};

enum khofmt_kexec_action {
	KHOFMT_KEXEC_GO = 1,   /* go on */
	KHOFMT_KEXEC_REFUSE,   /* stop, exit 1, change nothing */
	KHOFMT_KEXEC_DONE,     /* stop, exit 0 (nothing more to do) */
};

/* Things to tell the user (khofmt_kexec_note_text()). */
#define KHOFMT_KEXEC_N_INACTIVE     0x0001u /* KHO not active: nothing to check */
#define KHOFMT_KEXEC_N_CRASH        0x0002u /* -p: kdump is not KHO */
#define KHOFMT_KEXEC_N_OLD_SYSCALL  0x0004u /* -c refused: why, use -s */
#define KHOFMT_KEXEC_N_SKIPPED      0x0008u /* --no-kho-check: nothing checked */
#define KHOFMT_KEXEC_N_NO_STAMP     0x0010u /* unknown how the image was loaded */
#define KHOFMT_KEXEC_N_NO_KHO_IMAGE 0x0020u /* image loaded without the handover */
#define KHOFMT_KEXEC_N_FDT_CHANGED  0x0040u /* state changed since the load */
#define KHOFMT_KEXEC_N_FDT_SAME     0x0080u /* state unchanged since the load */
#define KHOFMT_KEXEC_N_UNCHECKABLE  0x0100u /* no outgoing FDT exposed (Q1) */
#define KHOFMT_KEXEC_N_FORCED_STAMP 0x0200u /* --kho-force over the stamp */
#define KHOFMT_KEXEC_N_FORCED       0x0400u /* --kho-force over errors */
#define KHOFMT_KEXEC_N_REFUSED_LOAD 0x0800u /* refusing to load */
#define KHOFMT_KEXEC_N_REFUSED_EXEC 0x1000u /* refusing to reboot */

struct khofmt_kexec_decision {
	enum khofmt_kexec_action action;
	unsigned notes;        /* KHOFMT_KEXEC_N_*, print in bit order */
	bool file_load;        /* START: force kexec_file_load, no fallback */
	bool run_check;        /* START: check before loading / rebooting */
	bool end_after_check;  /* START: --kho-check without a load: stop after it */
};

/**
 * khofmt_kexec_decide() - what to do at @stage
 * @stage: START, BEFORE_LOAD or BEFORE_EXEC
 * @flags: KHOFMT_KEXEC_* request flags
 * @in:    facts (all stages), check outcome, loaded stamp, state digest
 * @d:     the decision
 *
 * A pure function of its arguments. Without KHO (or for -p) the answer is
 * always GO with no notes unless --kho-check asked. At BEFORE_EXEC with
 * KHO active the image must be known to carry the handover (a current
 * stamp, file_load with kho=on): otherwise it refuses unless --kho-force
 * (fail closed). Errors of the check, or a state that cannot be read,
 * refuse unless --kho-force.
 */
KHOFMT_API void khofmt_kexec_decide(enum khofmt_kexec_stage stage,
				    unsigned flags,
				    const struct khofmt_kexec_input *in,
				    struct khofmt_kexec_decision *d);

/* The sentence for one KHOFMT_KEXEC_N_* bit (no prefix, no newline). */
KHOFMT_API const char *khofmt_kexec_note_text(unsigned note);

#ifdef __cplusplus
}
#endif

#endif /* KHOFMT_KEXEC_H */
