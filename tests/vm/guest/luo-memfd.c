// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * luo-memfd: preserve memfds across kexec through /dev/liveupdate (LUO) and
 * check them in the next kernel. Test helper for the kho-tools VM harness.
 *
 *   luo-memfd preserve   create session "vm-main", preserve memfd 0x1a
 *                        (KHO_VM_MIB MiB of a known pattern, default 4, file
 *                        position 12345) and memfd 0x2b (10000 bytes of text, position 10000),
 *                        print their PFN runs, then hold the fds until kexec.
 *   luo-memfd verify     retrieve both, check size, position and every byte,
 *                        print the PFN runs again, finish the session.
 *
 * The uapi structures are written here from the kho-tools ABI notes
 * (doc/ABI.md 8.3, Linux 7.2.13), not taken from <linux/liveupdate.h>:
 * every ioctl is _IO(0xBA, nr) and every argument starts with a u32 size.
 * Output lines start with "LUOX"; the host harness parses them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LU_NAME_LEN 64
#define LU_CREATE_SESSION 0xBA00
#define LU_RETRIEVE_SESSION 0xBA01
#define LU_SESSION_PRESERVE_FD 0xBA40
#define LU_SESSION_RETRIEVE_FD 0xBA41
#define LU_SESSION_FINISH 0xBA42

struct lu_session { /* CREATE_SESSION / RETRIEVE_SESSION: 72 bytes */
	uint32_t size;
	int32_t fd;
	uint8_t name[LU_NAME_LEN];
};
struct lu_fd { /* SESSION_PRESERVE_FD / SESSION_RETRIEVE_FD: 16 bytes */
	uint32_t size;
	int32_t fd;
	uint64_t token;
};
struct lu_finish { /* SESSION_FINISH: 8 bytes */
	uint32_t size;
	uint32_t reserved;
};
_Static_assert(sizeof(struct lu_session) == 72, "CREATE_SESSION layout");
_Static_assert(sizeof(struct lu_fd) == 16, "PRESERVE_FD layout");
_Static_assert(sizeof(struct lu_finish) == 8, "FINISH layout");

#define SESSION "vm-main"
#define TOK_BIG 0x1a
#define TOK_TEXT 0x2b
#define BIG_POS 12345
#define TEXT_SIZE 10000

static void die(const char *what)
{
	printf("LUOX FAIL %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t pattern_word(uint64_t i)
{
	return 0x484f4c444f555400ull ^ (i * 0x9E3779B97F4A7C15ull);
}

static size_t big_size(void)
{
	const char *s = getenv("KHO_VM_MIB");
	long mib = s ? strtol(s, NULL, 10) : 4;
	if (mib < 1 || mib > 64)
		mib = 4;
	return (size_t)mib << 20;
}

static void fill_text(char *buf, size_t len)
{
	char line[64];
	size_t off = 0;
	for (unsigned n = 0; off < len; n++) {
		int l = snprintf(line, sizeof(line), "holdout memfd 0x2b line %04u\n", n);
		size_t c = (size_t)l < len - off ? (size_t)l : len - off;
		memcpy(buf + off, line, c);
		off += c;
	}
}

/* Print the PFN runs backing the memfd (mapped and touched) from pagemap. */
static int print_pfn_runs(const char *tag, int fd, size_t size)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t pages = (size + (size_t)psz - 1) / (size_t)psz;
	volatile unsigned char *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap");
	int pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0)
		die("open pagemap");
	uint64_t start = 0, n = 0;
	unsigned col = 0, missing = 0;
	/* one run = consecutive ascending PFNs; written as PFN+COUNT */
	printf("LUOX %s pfn-runs:", tag);
	for (size_t i = 0; i <= pages; i++) {
		uint64_t pfn = 0;
		if (i < pages) {
			uint64_t e;
			(void)m[i * (size_t)psz];
			off_t at = (off_t)((((uintptr_t)m) / (uintptr_t)psz + i) * 8);
			if (pread(pm, &e, 8, at) != 8)
				die("pread pagemap");
			if (!(e >> 63))
				missing++;
			pfn = e & ((1ull << 55) - 1);
		}
		if (n && i < pages && pfn == start + n) {
			n++;
			continue;
		}
		if (n) {
			printf(" 0x%" PRIx64 "+%" PRIu64, start, n);
			if (++col % 12 == 0 && i < pages)
				printf("\nLUOX %s pfn-runs:", tag);
		}
		start = pfn;
		n = 1;
	}
	printf("\n");
	close(pm);
	munmap((void *)m, size);
	if (missing)
		printf("LUOX FAIL %s: %u pages not present or PFNs hidden\n", tag, missing);
	return missing ? -1 : 0;
}

static int make_memfd(const char *name, const void *data, size_t len)
{
	int fd = memfd_create(name, 0);
	if (fd < 0)
		die("memfd_create");
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w <= 0)
			die("write memfd");
		off += (size_t)w;
	}
	return fd;
}

static void preserve_fd(int sfd, int fd, uint64_t token)
{
	struct lu_fd a = { .size = sizeof(a), .fd = fd, .token = token };
	if (ioctl(sfd, LU_SESSION_PRESERVE_FD, &a) != 0)
		die("SESSION_PRESERVE_FD");
}

static int cmd_preserve(void)
{
	size_t big = big_size();
	uint64_t *buf = malloc(big);
	char *text = malloc(TEXT_SIZE);
	if (!buf || !text)
		die("malloc");
	for (size_t i = 0; i < big / 8; i++)
		buf[i] = pattern_word(i);
	fill_text(text, TEXT_SIZE);

	int lu = open("/dev/liveupdate", O_RDWR);
	if (lu < 0)
		die("open /dev/liveupdate");
	struct lu_session s = { .size = sizeof(s) };
	strcpy((char *)s.name, SESSION);
	if (ioctl(lu, LU_CREATE_SESSION, &s) != 0)
		die("CREATE_SESSION");

	int fbig = make_memfd("vm-big", buf, big);
	if (lseek(fbig, BIG_POS, SEEK_SET) != BIG_POS)
		die("lseek");
	int ftext = make_memfd("vm-text", text, TEXT_SIZE);
	free(buf);
	free(text);

	preserve_fd(s.fd, fbig, TOK_BIG);
	preserve_fd(s.fd, ftext, TOK_TEXT);
	/*
	 * The PFNs after SESSION_PRESERVE_FD: preserving pins the folios
	 * (memfd_pin_folios), which may migrate a folio that cannot be pinned
	 * long-term; the pages handed over are the ones pinned. (Printed
	 * before the preserve, one check-vm run in three saw ~half the pages
	 * elsewhere.)
	 */
	int bad = print_pfn_runs("0x1a", fbig, big);
	bad |= print_pfn_runs("0x2b", ftext, TEXT_SIZE);
	printf("LUOX preserved: session %s {0x1a size %zu pos %d, 0x2b size %d}\n", SESSION, big,
	       BIG_POS, TEXT_SIZE);
	printf("LUOX READY fds %d %d\n", lu, s.fd);
	fflush(stdout);
	if (bad)
		return 1;
	/* Hold /dev/liveupdate and the session open until the kexec. */
	for (;;)
		pause();
}

static int retrieve_check(int sfd, uint64_t token, size_t want_size, off_t want_pos,
			  const char *tag)
{
	struct lu_fd a = { .size = sizeof(a), .fd = -1, .token = token };
	if (ioctl(sfd, LU_SESSION_RETRIEVE_FD, &a) != 0)
		die("SESSION_RETRIEVE_FD");
	struct stat st;
	if (fstat(a.fd, &st) != 0)
		die("fstat");
	int bad = 0;
	if ((size_t)st.st_size != want_size) {
		printf("LUOX FAIL %s: size %jd, want %zu\n", tag, (intmax_t)st.st_size, want_size);
		bad = 1;
	}
	off_t pos = lseek(a.fd, 0, SEEK_CUR);
	if (pos != want_pos) {
		printf("LUOX FAIL %s: position %jd, want %jd\n", tag, (intmax_t)pos,
		       (intmax_t)want_pos);
		bad = 1;
	}
	unsigned char *got = malloc(want_size ? want_size : 1);
	if (!got)
		die("malloc");
	size_t off = 0;
	while (off < want_size) {
		ssize_t r = pread(a.fd, got + off, want_size - off, (off_t)off);
		if (r <= 0)
			die("pread memfd");
		off += (size_t)r;
	}
	size_t wrong = 0, first = 0;
	if (token == TOK_BIG) {
		for (size_t i = 0; i < want_size / 8; i++) {
			uint64_t w, e = pattern_word(i);
			memcpy(&w, got + i * 8, 8);
			if (w != e && wrong++ == 0)
				first = i * 8;
		}
	} else {
		char *t = malloc(want_size);
		if (!t)
			die("malloc");
		fill_text(t, want_size);
		for (size_t i = 0; i < want_size; i++)
			if (t[i] != (char)got[i] && wrong++ == 0)
				first = i;
		free(t);
	}
	free(got);
	if (wrong) {
		printf("LUOX FAIL %s: %zu wrong units, first at byte %zu\n", tag, wrong, first);
		bad = 1;
	} else {
		printf("LUOX %s verified: %zu bytes, position %jd\n", tag, want_size,
		       (intmax_t)pos);
	}
	bad |= print_pfn_runs(tag, a.fd, want_size) != 0;
	return bad;
}

static int cmd_verify(void)
{
	int lu = open("/dev/liveupdate", O_RDWR);
	if (lu < 0)
		die("open /dev/liveupdate");
	struct lu_session s = { .size = sizeof(s), .fd = -1 };
	strcpy((char *)s.name, SESSION);
	if (ioctl(lu, LU_RETRIEVE_SESSION, &s) != 0)
		die("RETRIEVE_SESSION");
	int bad = retrieve_check(s.fd, TOK_BIG, big_size(), BIG_POS, "0x1a");
	bad |= retrieve_check(s.fd, TOK_TEXT, TEXT_SIZE, TEXT_SIZE, "0x2b");
	struct lu_finish f = { .size = sizeof(f) };
	if (ioctl(s.fd, LU_SESSION_FINISH, &f) != 0)
		die("SESSION_FINISH");
	printf(bad ? "LUOX VERIFY FAILED\n" : "LUOX VERIFY OK\n");
	return bad;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "preserve") == 0)
		return cmd_preserve();
	if (argc == 2 && strcmp(argv[1], "verify") == 0)
		return cmd_verify();
	fprintf(stderr, "usage: %s preserve|verify\n", argv[0]);
	return 64;
}
