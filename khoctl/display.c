// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What every command shares about the terminal, as git does it:
 *
 *   --color=auto|always|never  colours (auto: standard output is a
 *                              terminal, NO_COLOR unset, TERM not dumb)
 *   --no-pager                 no pager
 *
 * Both are accepted before or after the command name (main.c takes them
 * out of argv before any parser runs, so every command has them). The
 * pager runs when standard output is a terminal: KHOCTL_PAGER, else
 * PAGER, else "less", with LESS=FRX unless LESS is set (quit when the
 * output fits a screen, keep colours, leave the screen as it was); an
 * empty value or "cat" means none.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "display.h"
#include "khoctl.h"

static enum { C_AUTO, C_ALWAYS, C_NEVER } color = C_AUTO;
static bool no_pager;
static bool stdout_tty, stdout_tty_known;
static pid_t pager_pid = -1;

static bool tty_out(void)
{
	if (!stdout_tty_known) {
		stdout_tty = isatty(STDOUT_FILENO);
		stdout_tty_known = true;
	}
	return stdout_tty;
}

static int set_color(const char *when)
{
	if (!strcmp(when, "auto"))
		color = C_AUTO;
	else if (!strcmp(when, "always"))
		color = C_ALWAYS;
	else if (!strcmp(when, "never"))
		color = C_NEVER;
	else
		return -1;
	return 0;
}

int display_args(int *argc, char **argv)
{
	int i, o = 1;

	for (i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			/* the rest is operands */
			while (i < *argc)
				argv[o++] = argv[i++];
			break;
		}
		if (!strcmp(a, "--no-pager")) {
			no_pager = true;
			continue;
		}
		if (!strncmp(a, "--color=", 8) || !strcmp(a, "--color")) {
			const char *w = a[7] == '=' ? a + 8 :
					i + 1 < *argc ? argv[++i] : "";

			if (set_color(w)) {
				fprintf(stderr, KHOCTL_NAME ": --color: '%s' is not "
					"auto, always or never\n", w);
				return KHOCTL_EXIT_USAGE;
			}
			continue;
		}
		argv[o++] = argv[i];
	}
	argv[o] = NULL;
	*argc = o;
	return 0;
}

bool display_color(void)
{
	const char *t = getenv("TERM"), *nc = getenv("NO_COLOR");

	if (color != C_AUTO)
		return color == C_ALWAYS;
	return tty_out() && !(nc && *nc) && !(t && !strcmp(t, "dumb"));
}

static void pager_wait(void)
{
	int st;

	if (pager_pid < 0)
		return;
	fflush(stdout);
	/* the pager sees end of file (stdout goes to /dev/null), then is waited for */
	close(STDOUT_FILENO);
	if (open("/dev/null", O_WRONLY) != STDOUT_FILENO)
		close(STDOUT_FILENO);
	while (waitpid(pager_pid, &st, 0) < 0 && errno == EINTR)
		;
	pager_pid = -1;
}

void display_pager(void)
{
	const char *p = getenv("KHOCTL_PAGER");
	int fd[2];
	pid_t pid;

	if (no_pager || !tty_out())
		return;
	if (!p)
		p = getenv("PAGER");
	if (!p)
		p = "less";
	if (!*p || !strcmp(p, "cat"))
		return;
	if (pipe(fd))
		return;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return;
	}
	if (pid == 0) {
		dup2(fd[0], STDIN_FILENO);
		close(fd[0]);
		close(fd[1]);
		setenv("LESS", "FRX", 0);
		setenv("LV", "-c", 0);
		execl("/bin/sh", "sh", "-c", p, (char *)NULL);
		fprintf(stderr, KHOCTL_NAME ": cannot run the pager '%s': %s\n",
			p, strerror(errno));
		_exit(127);
	}
	dup2(fd[1], STDOUT_FILENO);
	close(fd[0]);
	close(fd[1]);
	pager_pid = pid;
	/* quitting the pager early ends khoctl quietly, as git does */
	signal(SIGPIPE, SIG_DFL);
	atexit(pager_wait);
}
