// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kexec-load: load a kernel with kexec_file_load(2) and reboot into it.
 * A stand-in for kexec-tools inside the test guest (static, no libc extras).
 *
 * usage: kexec-load KERNEL INITRD CMDLINE [--load-only]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: %s KERNEL INITRD CMDLINE [--load-only]\n", argv[0]);
		return 64;
	}
	int kfd = open(argv[1], O_RDONLY | O_CLOEXEC);
	int ifd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (kfd < 0 || ifd < 0) {
		fprintf(stderr, "kexec-load: open: %s\n", strerror(errno));
		return 2;
	}
	/* the length counts the terminating NUL */
	unsigned long len = strlen(argv[3]) + 1;
	if (syscall(SYS_kexec_file_load, kfd, ifd, len, argv[3], 0UL) != 0) {
		fprintf(stderr, "kexec-load: kexec_file_load: %s\n", strerror(errno));
		return 1;
	}
	printf("kexec-load: loaded %s (cmdline \"%s\")\n", argv[1], argv[3]);
	fflush(stdout);
	if (argc == 5 && strcmp(argv[4], "--load-only") == 0)
		return 0;
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	fprintf(stderr, "kexec-load: reboot(KEXEC): %s\n", strerror(errno));
	return 1;
}
