// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl: read and write Linux Kexec HandOver (KHO) state.
 *
 * The root parser only finds the command (exact match, no prefixes) and
 * hands the rest of the command line to that command's own argp parser.
 */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "display.h"
#include "khoctl.h"
#include "out.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *doc;
};

static int cmd_help(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "dump", cmd_dump, "Show the root FDT, the tracker summary and the subnodes" },
	{ "stat", cmd_stat, "Count the preserved memory per order, tracker pages, span" },
	{ "ranges", cmd_ranges, "List the preserved memory as physical ranges (or folios)" },
	{ "map", cmd_map, "Draw physical memory: preserved, tracker, blobs, scratch, RAM" },
	{ "capture", cmd_capture, "Save a self-contained, reproducible bundle of a KHO state" },
	{ "diff", cmd_diff, "Compare two KHO states: folios lost or added, blobs, generation" },
	{ "verify", cmd_verify, "Check the invariants the next kernel relies on (rules)" },
	{ "rules", cmd_rules, "List the rules of verify with their IDs and explanations" },
	{ "analyze", cmd_analyze, "Compare tracker encodings of the preserved memory (size, time)" },
	{ "synth", cmd_synth, "Write a synthetic handover (root FDT + ELF core)" },
	{ "compat", cmd_compat, "Check the state against a kernel image: what it would not read" },
	{ "kexec", cmd_kexec, "Run the system's kexec with the KHO checks (-s forced, -c refused)" },
	{ "help", cmd_help, "Show the help of khoctl or of a command" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static const char *prog_name(const char *cmd)
{
	static char b[64];

	snprintf(b, sizeof(b), KHOCTL_NAME " %s", cmd);
	return b;
}

static void print_version(FILE *f, struct argp_state *state)
{
	(void)state;
	fprintf(f, KHOCTL_NAME " (kho-tools) %s\nlibkhofmt %s\n",
		PACKAGE_VERSION, khofmt_version());
}

void (*argp_program_version_hook)(FILE *, struct argp_state *) = print_version;

/* ------------------------------------------------------------------ */
/* Root parser                                                         */
/* ------------------------------------------------------------------ */

struct root_args {
	const struct cmd *cmd;
	int index; /* argv index of the command name */
};

static error_t root_parse(int key, char *arg, struct argp_state *state)
{
	struct root_args *a = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		a->cmd = find_cmd(arg);
		if (!a->cmd)
			argp_error(state, "unknown command '%s'", arg);
		a->index = state->next - 1;
		state->next = state->argc; /* the rest is the command's */
		return 0;
	case ARGP_KEY_NO_ARGS:
		argp_error(state, "no command given");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* The command list in --help comes from the command table. */
static char *root_help_filter(int key, const char *text, void *input)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	(void)input;
	if (key != ARGP_KEY_HELP_POST_DOC)
		return (char *)text;
	f = open_memstream(&buf, &len);
	if (!f)
		return (char *)text;
	fputs("Commands:\n", f);
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].doc);
	fputs("\nRun 'khoctl COMMAND --help' for the options of a command.\n\n",
	      f);
	fputs(text ? text : "", f);
	if (fclose(f)) {
		free(buf);
		return (char *)text;
	}
	return buf;
}

/* Taken out of argv by display_args() before parsing: listed for --help. */
static const struct argp_option root_options[] = {
	{ "color", 0x500, "WHEN", 0,
	  "Every command: colours auto (standard output is a terminal and "
	  "NO_COLOR is unset), always or never", 0 },
	{ "no-pager", 0x501, NULL, 0,
	  "Every command: do not page (the pager, when standard output is a "
	  "terminal: KHOCTL_PAGER, PAGER or less, with LESS=FRX)", 0 },
	{ 0 }
};

static const struct argp root_argp = {
	.options = root_options,
	.parser = root_parse,
	.args_doc = "COMMAND [OPTION...]",
	.doc = "Read, check and write Linux Kexec HandOver (KHO) state: the "
	       "root FDT and the preserved-memory tracker in physical memory."
	       "\v" KHOCTL_EXIT_DOC,
	.help_filter = root_help_filter,
};

/* ------------------------------------------------------------------ */
/* khoctl help [COMMAND]                                               */
/* ------------------------------------------------------------------ */

struct help_args {
	const char *topic;
};

static error_t help_parse(int key, char *arg, struct argp_state *state)
{
	struct help_args *a = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		if (a->topic)
			argp_error(state, "give at most one COMMAND");
		if (!find_cmd(arg))
			argp_error(state, "unknown command '%s'", arg);
		a->topic = arg;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp help_argp = {
	.parser = help_parse,
	.args_doc = "[COMMAND]",
	.doc = "Show the help of khoctl, or of COMMAND (same as "
	       "'khoctl COMMAND --help').",
};

static int cmd_help(int argc, char **argv)
{
	struct help_args a = { NULL };
	char prog[64];
	char help_opt[] = "--help";
	char *sub_argv[3] = { prog, help_opt, NULL };

	argp_parse(&help_argp, argc, argv, 0, NULL, &a);
	if (!a.topic) {
		argp_help(&root_argp, stdout, ARGP_HELP_STD_HELP, (char *)KHOCTL_NAME);
		return KHOCTL_EXIT_OK;
	}
	snprintf(prog, sizeof(prog), KHOCTL_NAME " %s", a.topic);
	return find_cmd(a.topic)->run(2, sub_argv);
}

/* argp exits by itself after --help and --version: check stdout there too */
static void check_stdout_at_exit(void)
{
	if (out_flush())
		_exit(KHOCTL_EXIT_DECODE);
}

int main(int argc, char **argv)
{
	struct root_args a = { NULL, 0 };
	char prog[64];
	int r;

	argp_err_exit_status = KHOCTL_EXIT_USAGE;
	atexit(check_stdout_at_exit);
	r = display_args(&argc, argv);
	if (r)
		return r;
	argp_parse(&root_argp, argc, argv, ARGP_IN_ORDER, NULL, &a);
	if (!a.cmd)
		return KHOCTL_EXIT_USAGE;
	/* documents are paged; what writes files or runs kexec is not */
	if (strcmp(a.cmd->name, "capture") && strcmp(a.cmd->name, "synth") &&
	    strcmp(a.cmd->name, "kexec"))
		display_pager();
	if (strcmp(a.cmd->name, "kexec") && strcmp(a.cmd->name, "help")) {
		atexit(display_progress_end);
		display_progress_start(prog_name(a.cmd->name));
	}

	/* the command sees argv[0] = "khoctl <command>" in its messages */
	snprintf(prog, sizeof(prog), KHOCTL_NAME " %s", a.cmd->name);
	argv[a.index] = prog;
	r = a.cmd->run(argc - a.index, argv + a.index);

	if (!r)
		r = out_flush();
	/* never a negative or out-of-range status */
	return r >= 0 && r <= 255 ? r : KHOCTL_EXIT_DECODE;
}
