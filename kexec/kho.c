// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kho.c - Kexec HandOver (KHO) checks for kexec-tools, built on libkhofmt.
 *
 * KHO is carried only by kexec_file_load(). When the running kernel has KHO
 * active, kexec must not fall back to kexec_load() (the handover would be lost
 * silently), and it checks the outgoing state (root FDT, preserved-memory
 * tracker, sub-FDTs) with libkhofmt's verify rules before loading and before
 * rebooting: errors refuse, warnings are printed.
 *
 * The system files are read below a root prefix ("/" unless --kho-root=DIR or
 * KEXEC_KHO_ROOT is given); with a prefix nothing is ever loaded or executed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kexec.h"
#include "kho.h"

#ifdef HAVE_LIBKHOFMT
#include <khofmt.h>
#endif

#define KHO_MAX_FILE	(64u << 20)

static struct {
	bool check_only;	/* --kho-check */
	bool force;		/* --kho-force */
	bool skip;		/* --no-kho-check */
	const char *root;	/* --kho-root / KEXEC_KHO_ROOT; NULL = "/" */
	bool active;		/* KHO is active on the (fake) system */
} kho;

void kho_option(int opt, const char *arg)
{
	switch (opt) {
	case OPT_KHO_CHECK:
		kho.check_only = true;
		break;
	case OPT_KHO_FORCE:
		kho.force = true;
		break;
	case OPT_NO_KHO_CHECK:
		kho.skip = true;
		break;
	case OPT_KHO_ROOT:
		kho.root = arg;
		break;
	}
}

#ifdef HAVE_LIBKHOFMT
static char *path(const char *rel)
{
	const char *root = kho.root ? kho.root : "/";
	size_t n = strlen(root) + strlen(rel) + 2;
	char *p = malloc(n);

	if (!p) {
		fprintf(stderr, "kexec: out of memory\n");
		exit(1);
	}
	snprintf(p, n, "%s%s%s", root, root[strlen(root) - 1] == '/' ? "" : "/", rel);
	return p;
}

static bool exists(const char *rel)
{
	char *p = path(rel);
	struct stat st;
	bool r = stat(p, &st) == 0;

	free(p);
	return r;
}

/* Whole file below the root, NUL-terminated; NULL with errno on failure. */
static char *slurp(const char *rel, size_t *len)
{
	char *p = path(rel), *b = NULL, *nb;
	size_t cap = 0, n = 0;
	ssize_t r;
	int fd = open(p, O_RDONLY | O_CLOEXEC), e;

	free(p);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > KHO_MAX_FILE + 2 || !(nb = realloc(b, cap))) {
				errno = cap > KHO_MAX_FILE + 2 ? EFBIG : ENOMEM;
				goto fail;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	b[n] = '\0';
	*len = n;
	return b;
fail:
	e = errno;
	free(b);
	close(fd);
	errno = e;
	return NULL;
}

/* Is @word a whole word of the command line @s? */
static bool has_word(const char *s, const char *word)
{
	size_t l = strlen(word);
	const char *p;

	for (p = s; s && (p = strstr(p, word)); p += l)
		if ((p == s || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '"') &&
		    (!p[l] || strchr(" \t\n\"", p[l])))
			return true;
	return false;
}

static bool kho_active(void)
{
	size_t len;
	char *cmd;
	bool on;

	if (exists("sys/kernel/debug/kho/out"))
		return true;
	cmd = slurp("proc/cmdline", &len);
	on = has_word(cmd, "kho=on") || has_word(cmd, "kho=1") ||
	     has_word(cmd, "kho=y");
	free(cmd);
	return on;
}

/* scratch_phys / scratch_len: one hex number per line. */
static size_t hex_lines(const char *t, uint64_t *v, size_t max)
{
	size_t n = 0;
	char *end;

	while (t && *t && n < max) {
		v[n++] = strtoull(t, &end, 0);
		if (end == t)
			return n - 1;
		t = end + strspn(end, " \t\n");
	}
	return n;
}

#define KHO_MAX_SCRATCH 256

static void print_findings(const struct khofmt_verify *v)
{
	size_t i, n = khofmt_verify_nfindings(v);

	for (i = 0; i < n; i++) {
		const struct khofmt_finding *f = khofmt_verify_finding(v, i);

		if (f->rule->severity == KHOFMT_SEV_INFO)
			continue;
		fprintf(stderr, "kexec: KHO %s %s: %s", khofmt_severity_name(f->rule->severity),
			f->rule->id, f->message);
		if (f->has_addr)
			fprintf(stderr, " [0x%llx+0x%llx]", (unsigned long long)f->addr,
				(unsigned long long)f->size);
		if (f->object && *f->object)
			fprintf(stderr, " (%s)", f->object);
		fputc('\n', stderr);
	}
}

/*
 * Check the outgoing KHO state: 0 clean or warnings only, 1 errors (or the
 * state cannot be read: the check fails closed).
 */
static int kho_verify(void)
{
	struct khofmt_verify_opts vo = { .sz = sizeof(vo) };
	struct khofmt_recover_opts ro = { .sz = sizeof(ro) };
	struct khofmt_source *src = NULL;
	struct khofmt_verify *v = NULL;
	struct khofmt_fdt *f = NULL;
	struct khofmt_range *ram = NULL, scratch[KHO_MAX_SCRATCH];
	uint64_t sp[KHO_MAX_SCRATCH], sl[KHO_MAX_SCRATCH];
	char *fdt = NULL, *iomem = NULL, *t1, *t2, *kcore;
	void *full = NULL;
	size_t len, flen, ilen, nram = 0, ns = 0, i, counts[3];
	uint64_t pa;
	int r, ret = 1;

	fdt = slurp("sys/kernel/debug/kho/out/fdt", &len);
	if (!fdt) {
		if (exists("sys/kernel/debug/kho/out/finalize"))
			fprintf(stderr, "kexec: KHO error: the KHO state is not "
				"finalized (echo 1 > /sys/kernel/debug/kho/out/finalize)\n");
		else if (exists("sys/kernel/debug/kho/out/sub_fdts")) {
			fprintf(stderr, "kexec: KHO warning: this kernel does not expose "
				"its outgoing root FDT (it was itself booted through "
				"KHO): the handover cannot be checked before the kexec\n");
			return 0;
		} else
			fprintf(stderr, "kexec: KHO error: cannot read the outgoing "
				"root FDT (debugfs kho/out/fdt): %s\n", strerror(errno));
		goto out;
	}
	t1 = slurp("sys/kernel/debug/kho/out/scratch_phys", &ilen);
	t2 = slurp("sys/kernel/debug/kho/out/scratch_len", &ilen);
	if (t1 && t2) {
		ns = hex_lines(t1, sp, KHO_MAX_SCRATCH);
		if (hex_lines(t2, sl, KHO_MAX_SCRATCH) == ns) {
			for (i = 0; i < ns; i++) {
				scratch[i].start = sp[i];
				scratch[i].size = sl[i];
			}
			vo.scratch = scratch;
			vo.nscratch = ns;
			vo.has_scratch = true;
		}
	}
	free(t1);
	free(t2);
	iomem = slurp("proc/iomem", &ilen);
	if (iomem && !khofmt_iomem_hidden(iomem, ilen) &&
	    khofmt_iomem_ram(iomem, ilen, &ram, &nram) == 0) {
		vo.ram = ram;
		vo.nram = nram;
		vo.has_ram = true;
		vo.ram_origin = "/proc/iomem";
	}
	kcore = path("proc/kcore");
	r = khofmt_source_open_kcore(kcore, &src);
	if (r < 0) {
		fprintf(stderr, "kexec: KHO error: %s: %s: the preserved memory "
			"cannot be checked (needs root and no kernel lockdown; "
			"--no-kho-check skips the check)\n", kcore,
			errno ? strerror(errno) : khofmt_strerror(r));
		free(kcore);
		src = NULL;
		goto out;
	}
	free(kcore);
	r = khofmt_fdt_open(fdt, len, &f, NULL, 0);
	khofmt_fdt_free(f);
	if (r == -KHOFMT_ERR_TRUNCATED) {
		/* debugfs fixed the file size before later subtrees grew the FDT. */
		r = khofmt_fdt_recover(src, fdt, len, &ro, &full, &flen, &pa);
		if (r < 0) {
			fprintf(stderr, "kexec: KHO error: the outgoing root FDT is "
				"truncated and cannot be recovered from memory: %s\n",
				khofmt_strerror(r));
			goto out;
		}
		free(fdt);
		fdt = full;
		len = flen;
		vo.fdt_pa = pa;
		vo.has_fdt_pa = true;
	}
	r = khofmt_verify_run(fdt, len, src, &vo, &v);
	if (r < 0) {
		fprintf(stderr, "kexec: KHO error: cannot check the handover: %s\n",
			khofmt_strerror(r));
		goto out;
	}
	print_findings(v);
	khofmt_verify_counts(v, counts);
	ret = counts[KHOFMT_SEV_ERROR] ? 1 : 0;
	if (kho.check_only || ret)
		fprintf(stderr, "kexec: KHO handover check: %zu error(s), %zu "
			"warning(s)\n", counts[KHOFMT_SEV_ERROR],
			counts[KHOFMT_SEV_WARNING]);
out:
	khofmt_verify_free(v);
	khofmt_source_free(src);
	free(ram);
	free(iomem);
	free(fdt);
	return ret;
}

/* Run the check; 0 to go on, 1 to refuse (after saying why). */
static int kho_gate(const char *what)
{
	if (kho.skip) {
		if (!kho.check_only)
			return 0;
		fprintf(stderr, "kexec: --no-kho-check: nothing checked\n");
		return 0;
	}
	if (!kho_verify())
		return 0;
	if (kho.force && !kho.check_only) {
		fprintf(stderr, "kexec: WARNING: --kho-force: %s despite errors in "
			"the KHO handover state; preserved data may be lost\n", what);
		return 0;
	}
	if (!kho.check_only)
		fprintf(stderr, "kexec: refusing to %s: the KHO handover state has "
			"errors (--kho-force overrides, --no-kho-check skips)\n", what);
	return 1;
}

void kho_prepare(int do_load, int do_exec, int crash, int *file_syscall,
		 int *fallback)
{
	if (!kho.root)
		kho.root = getenv("KEXEC_KHO_ROOT");
	if (kho.root && !*kho.root)
		kho.root = NULL;
	/* kdump kernels (-p) do not take the handover: leave them alone. */
	kho.active = !crash && kho_active();
	if (!kho.active) {
		if (kho.check_only) {
			fprintf(stderr, crash ? "kexec: a crash kernel (-p) does "
				"not take the KHO handover: nothing to check\n" :
				"kexec: KHO is not active on this kernel: "
				"nothing to check\n");
			exit(0);
		}
		return;
	}
	/* -u, -S and the like neither load nor reboot: nothing to refuse. */
	if (!do_load && !do_exec && !kho.check_only)
		return;
	if (!*file_syscall) {
		fprintf(stderr, "kexec: KHO is active on this kernel and only "
			"kexec_file_load carries the handover; kexec_load (-c) would "
			"lose the preserved state: use -s\n");
		exit(1);
	}
	*fallback = 0;
	/* A reboot without a load is checked in kho_before_exec(). */
	if (!kho.check_only && !do_load)
		return;
	if (kho_gate(do_load ? "load" : "reboot"))
		exit(1);
	if (kho.check_only && !do_load)
		exit(0);
}

void kho_file_load(const char *cmdline, int len)
{
	if (kho.active && (!cmdline || len <= 0 || !has_word(cmdline, "kho=on")))
		fprintf(stderr, "kexec: WARNING: KHO is active but the new command "
			"line lacks kho=on: the next kernel will not take the "
			"handover (use --reuse-cmdline or add kho=on)\n");
	if (kho.check_only || kho.root) {
		fprintf(stderr, "kexec: %s: dry run, nothing loaded\n",
			kho.check_only ? "--kho-check" : "--kho-root");
		exit(0);
	}
}

int kho_before_exec(void)
{
	if (kho.root) {
		fprintf(stderr, "kexec: --kho-root: refusing to reboot\n");
		return 1;
	}
	if (!kho.active)
		return 0;
	return kho_gate("reboot");
}

#else /* !HAVE_LIBKHOFMT: kexec behaves as upstream */

void kho_prepare(int do_load, int do_exec, int crash, int *file_syscall,
		 int *fallback)
{
	(void)do_load; (void)do_exec; (void)crash; (void)file_syscall; (void)fallback;
	if (kho.check_only) {
		fprintf(stderr, "kexec: built without libkhofmt: no KHO checks\n");
		exit(1);
	}
}

void kho_file_load(const char *cmdline, int len)
{
	(void)cmdline; (void)len;
}

int kho_before_exec(void)
{
	return 0;
}
#endif /* HAVE_LIBKHOFMT */
