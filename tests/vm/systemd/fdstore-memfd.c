// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fdstore-memfd: the main process of kho-fdstore-test.service (make
 * check-vm-systemd). "fdstore-memfd NAME FILE" copies FILE into a new memfd
 * and hands it to systemd's fd store under the fd name NAME
 * (FDSTORE=1, FDNAME=NAME and the fd as SCM_RIGHTS on $NOTIFY_SOCKET,
 * sd_notify(3)), with READY=1; "fdstore-memfd --ready" only says READY=1.
 * Then it waits for SIGTERM. Static, no libsystemd: the protocol is a
 * datagram on the unix socket named by $NOTIFY_SOCKET ('@' = abstract).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "fdstore-memfd: %s: %s\n", what, strerror(errno));
	return 1;
}

static int notify(const char *msg, int fd)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
	struct msghdr mh = { .msg_name = &sa, .msg_iov = &iov, .msg_iovlen = 1 };
	size_t n;
	int s;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
		errno = EINVAL;
		return die("NOTIFY_SOCKET");
	}
	n = strlen(path);
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0;
	mh.msg_namelen = offsetof(struct sockaddr_un, sun_path) + n;
	if (fd >= 0) {
		memset(&c, 0, sizeof(c));
		mh.msg_control = c.buf;
		mh.msg_controllen = sizeof(c.buf);
		c.h.cmsg_level = SOL_SOCKET;
		c.h.cmsg_type = SCM_RIGHTS;
		c.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&c.h), &fd, sizeof(int));
	}
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return die("socket");
	if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0)
		return die("sendmsg");
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	char buf[65536], msg[256];
	ssize_t r;
	int in, fd;

	if (argc == 2 && !strcmp(argv[1], "--ready")) {
		if (notify("READY=1\nSTATUS=fd store restored", -1))
			return 1;
	} else if (argc == 3) {
		fd = memfd_create(argv[1], MFD_CLOEXEC);
		if (fd < 0)
			return die("memfd_create");
		in = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (in < 0)
			return die(argv[2]);
		while ((r = read(in, buf, sizeof(buf))) > 0)
			if (write(fd, buf, (size_t)r) != r)
				return die("write");
		if (r < 0)
			return die("read");
		close(in);
		snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s\nREADY=1\nSTATUS=memfd stored", argv[1]);
		if (notify(msg, fd))
			return 1;
		close(fd);
	} else {
		fprintf(stderr, "usage: fdstore-memfd NAME FILE | --ready\n");
		return 64;
	}
	for (;;)
		pause();
}
