// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khospawn FD PROGRAM [ARG...]: fork, exec PROGRAM, wait for it and write
 * its rusage to descriptor FD as one line "STATUS UTIME_US STIME_US
 * MAXRSS_KIB"; exit 0 (127 when PROGRAM could not be run).
 *
 * Why (khobench's whole-process rows): Linux's exec (exec_mmap()) folds the
 * peak RSS of the memory the process had before the exec into the process's
 * ru_maxrss. A child spawned with posix_spawn() (vfork semantics) runs on
 * its parent's memory until the exec, so its ru_maxrss is at least the
 * parent's peak: khobench, after timing the library paths on every
 * workload, reported ~5.3 MiB for `true` (980 KiB alone). fork() does not
 * help: the child's memory is a copy of the parent's, counted the same.
 * This program is linked statically and stays small, so what it folds into
 * the child it forks is its own few hundred KiB, below what any dynamic
 * program maps before main(); the rusage it reports is the target's alone
 * (wait4 of its own child), never its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	char line[128];
	pid_t pid;
	int fd, st, n;

	if (argc < 3 || (fd = atoi(argv[1])) < 3) {
		fputs("usage: khospawn FD PROGRAM [ARG...]\n", stderr);
		return 64;
	}
	pid = fork();
	if (pid < 0)
		return 127;
	if (pid == 0) {
		close(fd);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			return 127;
	n = snprintf(line, sizeof(line), "%d %ld %ld %ld\n", st,
		     (long)ru.ru_utime.tv_sec * 1000000 + (long)ru.ru_utime.tv_usec,
		     (long)ru.ru_stime.tv_sec * 1000000 + (long)ru.ru_stime.tv_usec,
		     ru.ru_maxrss);
	return write(fd, line, (size_t)n) == n ? 0 : 127;
}
