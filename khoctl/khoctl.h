/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * khoctl: exit statuses and the subcommand entry points (main.c's table).
 */
#ifndef KHOCTL_H
#define KHOCTL_H

#include "khofmt.h"
#include "grow.h"

#define KHOCTL_NAME "khoctl"

/* Exit status contract (--help, khoctl(8)). */
enum {
	KHOCTL_EXIT_OK = 0,       /* done, nothing to report */
	KHOCTL_EXIT_FINDINGS = 1, /* reserved: a check found problems */
	KHOCTL_EXIT_DECODE = 2,   /* could not read, decode or write */
	KHOCTL_EXIT_USAGE = 64,   /* bad command line (EX_USAGE) */
};

#define KHOCTL_EXIT_DOC \
	"Exit status: 0 ok, 1 findings (reserved), 2 could not read, decode " \
	"or write, 64 usage error."

/*
 * Each handler gets argv[0] = "khoctl <command>" and parses the rest with
 * its own argp parser; it returns one of the exit statuses above.
 */
int cmd_dump(int argc, char **argv);
int cmd_ranges(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_kexec(int argc, char **argv);
int cmd_compat(int argc, char **argv);

/*
 * The tracker summary object shared by `stat` (its whole document) and
 * `dump` (its "tracker" member).
 */
struct input;
void stat_emit(const struct input *in, const struct khofmt_stats *st);
/*
 * The "generation" object: generation, variant, page size, how each was
 * chosen (@in's page_basis/page_reason).
 */
void generation_emit(const struct input *in);

#endif /* KHOCTL_H */
