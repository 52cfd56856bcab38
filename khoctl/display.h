/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The terminal: --color, the pager (display.c). */
#ifndef KHOCTL_DISPLAY_H
#define KHOCTL_DISPLAY_H

#include <stdbool.h>

/*
 * Take --color[=]WHEN and --no-pager out of argv (anywhere before "--");
 * 0, or KHOCTL_EXIT_USAGE for a WHEN that is not auto, always or never.
 */
int display_args(int *argc, char **argv);
/* Colours on standard output? (decided on the terminal, not the pager) */
bool display_color(void);
/* The terminal's width on standard output (taken before paging), 0 if none. */
unsigned display_columns(void);
/* Start the pager when standard output is a terminal (and not --no-pager). */
void display_pager(void);

/*
 * "WHAT: working (N s)" on standard error once a second from a second on,
 * when it is a terminal; ended (the line cleared) by the first output
 * (out_doc_begin, out_err) or at exit.
 */
void display_progress_start(const char *what);
void display_progress_end(void);

#endif
