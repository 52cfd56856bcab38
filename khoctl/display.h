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
/* Start the pager when standard output is a terminal (and not --no-pager). */
void display_pager(void);

#endif
