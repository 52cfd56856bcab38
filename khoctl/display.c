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
 * empty value or "cat" means none, and so does a terminal that cannot
 * page (TERM unset or "dumb": a serial console, an init script).
 *
 * Progress: a command that has printed nothing after a second says on
 * standard error (when it is a terminal, TERM set and not "dumb") that it is working and for how
 * long, once a second, until its document begins or it says something
 * else (synth and verify of a 1 TiB state, captures, root scans, kcore).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "display.h"
#include "khoctl.h"

static enum { C_AUTO, C_ALWAYS, C_NEVER } color = C_AUTO;
static bool no_pager;
static bool stdout_tty, stdout_tty_known;
static pid_t pager_pid = -1;

static unsigned tty_cols;

/* A terminal that can page and redraw: TERM set and not "dumb". */
static bool term_capable(void)
{
	const char *t = getenv("TERM");

	return t && *t && strcmp(t, "dumb");
}

static bool tty_out(void)
{
	struct winsize ws;

	if (!stdout_tty_known) {
		stdout_tty = isatty(STDOUT_FILENO);
		stdout_tty_known = true;
		if (stdout_tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
			tty_cols = ws.ws_col;
	}
	return stdout_tty;
}

unsigned display_columns(void)
{
	tty_out();
	return tty_cols;
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

	if (no_pager || !tty_out() || !term_capable())
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

/* ---- progress ---- */

static volatile sig_atomic_t ticks;
static bool ticking;
static char tick_msg[64];
static size_t tick_len;

static void on_tick(int sig)
{
	char b[96];
	size_t n = tick_len;
	unsigned t = (unsigned)++ticks, d = 1;
	int e = errno;

	(void)sig;
	memcpy(b, tick_msg, n);
	while (t / d >= 10)
		d *= 10;
	for (; d; d /= 10)
		b[n++] = (char)('0' + t / d % 10);
	memcpy(b + n, " s) ", 4);
	n += 4;
	if (write(STDERR_FILENO, b, n) < 0)
		ticking = false;
	errno = e;
}

void display_progress_start(const char *what)
{
	struct sigaction sa;
	struct itimerval it = { { 1, 0 }, { 1, 0 } };

	if (ticking || !isatty(STDERR_FILENO) || !term_capable())
		return;
	tick_len = (size_t)snprintf(tick_msg, sizeof(tick_msg), "\r%s: working (",
				    what);
	if (tick_len >= sizeof(tick_msg) - 1)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		return;
	ticks = 0;
	ticking = true;
	if (setitimer(ITIMER_REAL, &it, NULL))
		ticking = false;
}

void display_progress_end(void)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	if (!ticking)
		return;
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_IGN);
	ticking = false;
	if (ticks && write(STDERR_FILENO, "\r\033[K", 4) < 0)
		return;
}
