// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * For kexec front ends: system facts, the outgoing KHO state, the load
 * stamp and the load/reboot decision (khofmt-kexec.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "internal.h"

#define SYS_MAX_FILE (64u << 20)
#define MAX_SCRATCH 256

/* "ROOT/REL" (root NULL or "" = "/"); NULL when out of memory. */
static char *sys_path(const char *root, const char *rel)
{
	const char *r = root && *root ? root : "/";
	size_t n = strlen(r) + strlen(rel) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s%s%s", r, r[strlen(r) - 1] == '/' ? "" : "/", rel);
	return p;
}

static bool sys_exists(const char *root, const char *rel)
{
	char *p = sys_path(root, rel);
	struct stat st;
	bool r = p && stat(p, &st) == 0;

	free(p);
	return r;
}

/* A system file below @root, NUL-terminated; NULL with errno on failure. */
static char *sys_read(const char *root, const char *rel, size_t *len)
{
	char *p = sys_path(root, rel);
	void *b = NULL;
	size_t n;
	int r, e;

	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	r = khofmt_read_file(p, SYS_MAX_FILE, &b, &n);
	e = errno;
	free(p);
	if (r < 0) {
		errno = r == -KHOFMT_ERR_IO ? e : r == -KHOFMT_ERR_LIMIT ? EFBIG : ENOMEM;
		return NULL;
	}
	if (len)
		*len = n;
	return b;
}

bool khofmt_cmdline_has(const char *s, const char *word)
{
	size_t l = strlen(word);
	const char *p;

	if (!s || !l)
		return false;
	for (p = s; (p = strstr(p, word)); p += l)
		if ((p == s || strchr(" \t\n\"", p[-1])) &&
		    (!p[l] || strchr(" \t\n\"", p[l])))
			return true;
	return false;
}

/* ---- stamp ---- */

static void hex32(char *o, const unsigned char d[32])
{
	static const char x[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		o[2 * i] = x[d[i] >> 4];
		o[2 * i + 1] = x[d[i] & 15];
	}
	o[64] = '\0';
}

static bool unhex32(const char *s, unsigned char d[32])
{
	int i, k;

	for (i = 0; i < 64; i++) {
		char c = s[i];

		k = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (k < 0)
			return false;
		d[i / 2] = (unsigned char)(i % 2 ? d[i / 2] | k : k << 4);
	}
	return !s[64] || s[64] == '\n';
}

/* A boot id: printable, no spaces, shorter than 40; "" otherwise. */
static void copy_id(char dst[40], const char *src)
{
	size_t n = strcspn(src, " \t\r\n");

	if (n >= 40)
		n = 0;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int khofmt_kexec_stamp_write(const char *root, const struct khofmt_kexec_stamp *s)
{
	char *dir = sys_path(root, "run"), *p = sys_path(root, KHOFMT_KEXEC_STAMP_PATH);
	char *tmp = NULL, hex[65] = "none";
	int fd = -1, r = -KHOFMT_ERR_NOMEM, n, e;
	char text[1024], ihex[65] = "none";

	if (!dir || !p || !(tmp = malloc(strlen(p) + 8)))
		goto out;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		r = -KHOFMT_ERR_IO;
		goto out;
	}
	if (s->has_fdt_sha256)
		hex32(hex, s->fdt_sha256);
	if (s->has_image_sha256)
		hex32(ihex, s->image_sha256);
	n = snprintf(text, sizeof(text),
		     "kexec-kho-stamp 1\nboot_id=%s\nfile_load=%d\nkho_cmdline=%d\n"
		     "kho_active=%d\nchecked=%d\nforced=%d\nfdt_sha256=%s\n"
		     "compat=%s\ncompat_lost=%u\nimage_sha256=%s\nimage=%s\n",
		     s->boot_id, s->file_load, s->kho_cmdline, s->kho_active,
		     s->checked, s->forced, hex, khofmt_kexec_compat_name(s->compat),
		     (unsigned)s->compat_lost, ihex,
		     strchr(s->image, '\n') ? "" : s->image);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		r = -KHOFMT_ERR_INVAL;
		goto out;
	}
	sprintf(tmp, "%s.tmp", p);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	r = -KHOFMT_ERR_IO;
	if (fd < 0)
		goto out;
	if (write(fd, text, (size_t)n) != n || fsync(fd) < 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, p) < 0) {
		e = errno;
		unlink(tmp);
		errno = e;
		goto out;
	}
	r = 0;
out:
	free(dir);
	free(p);
	free(tmp);
	return r;
}

int khofmt_kexec_stamp_remove(const char *root)
{
	char *p = sys_path(root, KHOFMT_KEXEC_STAMP_PATH);
	int r = 0;

	if (!p)
		return -KHOFMT_ERR_NOMEM;
	if (unlink(p) < 0 && errno != ENOENT)
		r = -KHOFMT_ERR_IO;
	free(p);
	return r;
}

static bool stamp_flag(const char *line, const char *key, bool *v)
{
	size_t l = strlen(key);

	if (strncmp(line, key, l) || line[l] != '=' ||
	    (line[l + 1] != '0' && line[l + 1] != '1'))
		return false;
	*v = line[l + 1] == '1';
	return true;
}

/* 0 and @s filled, or -1 for anything that is not a version 1 stamp. */
static int stamp_parse(const char *text, struct khofmt_kexec_stamp *s)
{
	const char *l;
	unsigned seen = 0;

	memset(s, 0, sizeof(*s));
	if (strncmp(text, "kexec-kho-stamp 1\n", 18))
		return -1;
	for (l = text + 18; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		if (!strncmp(l, "boot_id=", 8)) {
			copy_id(s->boot_id, l + 8);
			seen |= 1;
		} else if (!strncmp(l, "fdt_sha256=", 11)) {
			s->has_fdt_sha256 = unhex32(l + 11, s->fdt_sha256);
			if (!s->has_fdt_sha256 && strncmp(l + 11, "none", 4))
				return -1;
			seen |= 2;
		} else if (stamp_flag(l, "file_load", &s->file_load)) {
			seen |= 4;
		} else if (stamp_flag(l, "kho_cmdline", &s->kho_cmdline)) {
			seen |= 8;
		} else if (stamp_flag(l, "kho_active", &s->kho_active)) {
			seen |= 16;
		} else if (stamp_flag(l, "checked", &s->checked) ||
			   stamp_flag(l, "forced", &s->forced)) {
			continue;
		} else if (!strncmp(l, "compat=", 7)) {
			size_t k, cl = strcspn(l + 7, "\n");

			for (k = 0; k <= KHOFMT_KEXEC_COMPAT_UNREADABLE; k++)
				if (strlen(khofmt_kexec_compat_name(k)) == cl &&
				    !strncmp(l + 7, khofmt_kexec_compat_name(k), cl))
					break;
			if (k > KHOFMT_KEXEC_COMPAT_UNREADABLE)
				return -1;
			s->compat = (enum khofmt_kexec_compat)k;
		} else if (!strncmp(l, "compat_lost=", 12)) {
			s->compat_lost = (uint32_t)strtoul(l + 12, NULL, 10);
		} else if (!strncmp(l, "image_sha256=", 13)) {
			s->has_image_sha256 = unhex32(l + 13, s->image_sha256);
			if (!s->has_image_sha256 && strncmp(l + 13, "none", 4))
				return -1;
		} else if (!strncmp(l, "image=", 6)) {
			size_t il = strcspn(l + 6, "\n");

			if (il >= sizeof(s->image))
				return -1;
			memcpy(s->image, l + 6, il);
			s->image[il] = '\0';
		} else if (*l != '\n') {
			return -1;
		}
	}
	return seen == 31 ? 0 : -1;
}

int khofmt_kexec_facts_read(const char *root, struct khofmt_kexec_facts *f)
{
	char *t;

	memset(f, 0, sizeof(*f));
	f->kho_active = sys_exists(root, "sys/kernel/debug/kho/out");
	if (!f->kho_active && (t = sys_read(root, "proc/cmdline", NULL))) {
		f->kho_active = khofmt_cmdline_has(t, "kho=on") ||
				khofmt_cmdline_has(t, "kho=1") ||
				khofmt_cmdline_has(t, "kho=y");
		free(t);
	}
	if ((t = sys_read(root, "sys/kernel/kexec_loaded", NULL))) {
		f->kexec_loaded = t[0] == '1';
		free(t);
	}
	if ((t = sys_read(root, "proc/sys/kernel/random/boot_id", NULL))) {
		copy_id(f->boot_id, t);
		free(t);
	}
	t = sys_read(root, KHOFMT_KEXEC_STAMP_PATH, NULL);
	if (!t) {
		if (errno == ENOMEM)
			return -KHOFMT_ERR_NOMEM;
		f->stamp_state = errno == ENOENT ? KHOFMT_KEXEC_STAMP_NONE
						 : KHOFMT_KEXEC_STAMP_BAD;
		return 0;
	}
	if (stamp_parse(t, &f->stamp) < 0)
		f->stamp_state = KHOFMT_KEXEC_STAMP_BAD;
	else if (f->kexec_loaded && f->boot_id[0] &&
		 !strcmp(f->boot_id, f->stamp.boot_id))
		f->stamp_state = KHOFMT_KEXEC_STAMP_CURRENT;
	else
		f->stamp_state = KHOFMT_KEXEC_STAMP_STALE;
	if (f->stamp_state != KHOFMT_KEXEC_STAMP_CURRENT)
		memset(&f->stamp, 0, sizeof(f->stamp));
	free(t);
	return 0;
}

/* ---- the outgoing state ---- */

struct khofmt_kexec_state {
	void *fdt;
	size_t len;
	struct khofmt_source *src;
	struct khofmt_range scratch[MAX_SCRATCH];
	size_t nscratch;
	bool has_scratch;
	struct khofmt_range *ram;
	size_t nram;
	uint64_t fdt_pa;
	bool has_fdt_pa;
	unsigned page_shift;	/* the producer's: see state_page_shift() */
};

/* scratch_phys / scratch_len: one number per line; count or -1. */
static long hex_lines(const char *t, uint64_t *v, size_t max)
{
	size_t n = 0;
	char *end;

	while (*t) {
		if (n == max)
			return -1;
		v[n] = strtoull(t, &end, 0);
		if (end == t)
			return -1;
		n++;
		t = end + strspn(end, " \t\n");
	}
	return (long)n;
}

static void state_scratch(struct khofmt_kexec_state *st, const char *root)
{
	uint64_t sp[MAX_SCRATCH], sl[MAX_SCRATCH];
	char *t1 = sys_read(root, "sys/kernel/debug/kho/out/scratch_phys", NULL);
	char *t2 = sys_read(root, "sys/kernel/debug/kho/out/scratch_len", NULL);
	long n1, n2, i;

	if (t1 && t2) {
		n1 = hex_lines(t1, sp, MAX_SCRATCH);
		n2 = hex_lines(t2, sl, MAX_SCRATCH);
		if (n1 >= 0 && n1 == n2) {
			for (i = 0; i < n1; i++) {
				st->scratch[i].start = sp[i];
				st->scratch[i].size = sl[i];
			}
			st->nscratch = (size_t)n1;
			st->has_scratch = true;
		}
	}
	free(t1);
	free(t2);
}

/*
 * The producer's page size. On the running system (root "/") it is this
 * kernel's own, which nothing in the data can contradict; below another
 * root (a copied sysroot) it is inferred from the tracker as khoctl does
 * (khofmt_geom_infer), 4 KiB when the data cannot tell.
 */
static void state_page_shift(struct khofmt_kexec_state *st, const char *root)
{
	struct khofmt_open_opts oo = { .sz = sizeof(oo) };
	struct khofmt_geom_guess g;
	struct khofmt_fdt *f = NULL;
	long ps;

	st->page_shift = 12;
	if (!root || !strcmp(root, "/")) {
		ps = sysconf(_SC_PAGESIZE);
		st->page_shift = ps == 16384 ? 14 : ps == 65536 ? 16 : 12;
		return;
	}
	if (khofmt_fdt_open(st->fdt, st->len, &f, NULL, 0) == 0 &&
	    khofmt_geom_infer(f, st->src, &oo, &g) == 0 && g.page_shift)
		st->page_shift = g.page_shift;
	khofmt_fdt_free(f);
}

int khofmt_kexec_state_open(const char *root, struct khofmt_kexec_state **out,
			    enum khofmt_kexec_problem *problem)
{
	struct khofmt_recover_opts ro = { .sz = sizeof(ro) };
	struct khofmt_kexec_state *st;
	struct khofmt_fdt *f = NULL;
	char *iomem, *kcore;
	size_t ilen, flen;
	void *full;
	int r, e;

	*out = NULL;
	*problem = KHOFMT_KEXEC_OK;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -KHOFMT_ERR_NOMEM;
	st->fdt = sys_read(root, "sys/kernel/debug/kho/out/fdt", &st->len);
	if (!st->fdt) {
		e = errno;
		if (sys_exists(root, "sys/kernel/debug/kho/out/finalize"))
			*problem = KHOFMT_KEXEC_NOT_FINALIZED;
		else if (sys_exists(root, "sys/kernel/debug/kho/out/sub_fdts"))
			*problem = KHOFMT_KEXEC_NO_OUT_FDT;
		else
			*problem = KHOFMT_KEXEC_FDT_UNREADABLE;
		free(st);
		errno = e;
		return -KHOFMT_ERR_IO;
	}
	state_scratch(st, root);
	iomem = sys_read(root, "proc/iomem", &ilen);
	st->nram = (size_t)-1;	/* unknown */
	if (iomem && !khofmt_iomem_hidden(iomem, ilen) &&
	    khofmt_iomem_ram(iomem, ilen, &st->ram, &st->nram) < 0) {
		st->ram = NULL;
		st->nram = (size_t)-1;
	}
	free(iomem);
	kcore = sys_path(root, "proc/kcore");
	errno = 0;
	r = kcore ? khofmt_source_open_kcore(kcore, &st->src) : -KHOFMT_ERR_NOMEM;
	e = errno;
	free(kcore);
	if (r < 0) {
		st->src = NULL;
		*problem = KHOFMT_KEXEC_KCORE;
		khofmt_kexec_state_free(st);
		errno = e;
		return r;
	}
	r = khofmt_fdt_open(st->fdt, st->len, &f, NULL, 0);
	khofmt_fdt_free(f);
	if (r == -KHOFMT_ERR_TRUNCATED) {
		/* debugfs fixed the file size before later subtrees grew the FDT. */
		r = khofmt_fdt_recover(st->src, st->fdt, st->len, &ro, &full,
				       &flen, &st->fdt_pa);
		if (r < 0) {
			*problem = KHOFMT_KEXEC_RECOVER;
			khofmt_kexec_state_free(st);
			return r;
		}
		free(st->fdt);
		st->fdt = full;
		st->len = flen;
		st->has_fdt_pa = true;
	}
	state_page_shift(st, root);
	*out = st;
	return 0;
}

void khofmt_kexec_state_free(struct khofmt_kexec_state *st)
{
	if (!st)
		return;
	khofmt_source_free(st->src);
	free(st->ram);
	free(st->fdt);
	free(st);
}

const void *khofmt_kexec_state_fdt(const struct khofmt_kexec_state *st,
				   size_t *len, uint64_t *fdt_pa)
{
	if (len)
		*len = st->len;
	if (fdt_pa)
		*fdt_pa = st->has_fdt_pa ? st->fdt_pa : 0;
	return st->fdt;
}

struct khofmt_source *khofmt_kexec_state_source(struct khofmt_kexec_state *st)
{
	return st->src;
}

unsigned khofmt_kexec_state_page_shift(const struct khofmt_kexec_state *st)
{
	return st->page_shift;
}

void khofmt_kexec_state_sha256(const struct khofmt_kexec_state *st,
			       unsigned char digest[32])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, st->len, st->fdt);
	sha256_digest(&c, SHA256_DIGEST_SIZE, digest);
}

int khofmt_kexec_state_verify(struct khofmt_kexec_state *st,
			      struct khofmt_verify **out)
{
	struct khofmt_verify_opts vo = { .sz = sizeof(vo) };

	if (st->has_scratch) {
		vo.scratch = st->scratch;
		vo.nscratch = st->nscratch;
		vo.has_scratch = true;
	}
	if (st->nram != (size_t)-1) {
		vo.ram = st->ram;
		vo.nram = st->nram;
		vo.has_ram = true;
		vo.ram_origin = "/proc/iomem";
	}
	vo.fdt_pa = st->fdt_pa;
	vo.has_fdt_pa = st->has_fdt_pa;
	vo.page_shift = st->page_shift;
	return khofmt_verify_run(st->fdt, st->len, st->src, &vo, out);
}

int khofmt_kexec_state_capture(struct khofmt_kexec_state *st, const char *root,
			       const char *dir, long long time,
			       struct khofmt_capture_result *res)
{
	struct khofmt_capture_input ci = { .sz = sizeof(ci) };
	struct khofmt_open_opts oo = { .sz = sizeof(oo) };
	char release[80] = "", *t, *bdir;
	struct khofmt_fdt *f = NULL;
	int r;

	memset(res, 0, sizeof(*res));
	r = khofmt_fdt_open(st->fdt, st->len, &f, NULL, 0);
	if (r < 0) {
		khofmt_fdt_free(f);
		return r;
	}
	if ((t = sys_read(root, "proc/sys/kernel/osrelease", NULL))) {
		t[strcspn(t, "\n")] = '\0';
		snprintf(release, sizeof(release), "%s", t);
		free(t);
	}
	bdir = sys_path(root, "sys/kernel/debug/kho/out/sub_fdts");
	ci.fdt = f;
	ci.src = st->src;
	oo.page_shift = st->page_shift;
	ci.page_shift = st->page_shift;
	if (khofmt_handover_open(f, st->src, &oo, &ci.h) < 0)
		ci.h = NULL;
	ci.blob_dir = bdir;
	ci.iomem = sys_read(root, "proc/iomem", &ci.iomem_len);
	ci.scratch = st->scratch;
	ci.nscratch = st->nscratch;
	ci.has_scratch = st->has_scratch;
	ci.ram = st->ram;
	ci.nram = st->nram == (size_t)-1 ? 0 : st->nram;
	ci.has_ram = st->nram != (size_t)-1;
	ci.source = "live";
	ci.release = release;
	ci.fdt_pa = st->fdt_pa;
	ci.has_fdt_pa = st->has_fdt_pa;
	ci.recovered = st->has_fdt_pa;
	ci.time = time;
	r = bdir ? khofmt_capture_write(dir, &ci, res) : -KHOFMT_ERR_NOMEM;
	khofmt_handover_free(ci.h);
	khofmt_fdt_free(f);
	free((void *)ci.iomem);
	free(bdir);
	return r;
}

/* ---- the decision ---- */

static bool check_bad(enum khofmt_kexec_check c)
{
	return c == KHOFMT_KEXEC_CHECK_ERRORS || c == KHOFMT_KEXEC_CHECK_UNREADABLE;
}

void khofmt_kexec_decide(enum khofmt_kexec_stage stage, unsigned flags,
			 const struct khofmt_kexec_input *in,
			 struct khofmt_kexec_decision *d)
{
	bool active = in->facts->kho_active && !(flags & KHOFMT_KEXEC_CRASH);
	bool check_only = flags & KHOFMT_KEXEC_CHECK_ONLY;
	bool force = (flags & KHOFMT_KEXEC_FORCE) && !check_only;
	const struct khofmt_kexec_stamp *ld = in->loaded;

	memset(d, 0, sizeof(*d));
	d->action = KHOFMT_KEXEC_GO;
	if (!active) {
		if (check_only && stage == KHOFMT_KEXEC_START) {
			d->action = KHOFMT_KEXEC_DONE;
			d->notes = flags & KHOFMT_KEXEC_CRASH ? KHOFMT_KEXEC_N_CRASH
							      : KHOFMT_KEXEC_N_INACTIVE;
		}
		return;
	}
	switch (stage) {
	case KHOFMT_KEXEC_START:
		/* -u, -S and the like neither load nor reboot. */
		if (!(flags & (KHOFMT_KEXEC_LOAD | KHOFMT_KEXEC_EXEC)) && !check_only)
			return;
		/* The syscall matters for a load only (-e just reboots). */
		if ((flags & KHOFMT_KEXEC_OLD_SYSCALL) && (flags & KHOFMT_KEXEC_LOAD)) {
			d->action = KHOFMT_KEXEC_REFUSE;
			d->notes = KHOFMT_KEXEC_N_OLD_SYSCALL;
			return;
		}
		d->file_load = true;
		d->end_after_check = check_only && !(flags & KHOFMT_KEXEC_LOAD);
		/* A reboot alone is checked just before it (BEFORE_EXEC). */
		if (flags & KHOFMT_KEXEC_NO_CHECK) {
			if (check_only) {
				d->action = KHOFMT_KEXEC_DONE;
				d->notes = KHOFMT_KEXEC_N_SKIPPED;
			}
			return;
		}
		d->run_check = (flags & KHOFMT_KEXEC_LOAD) || check_only;
		return;
	case KHOFMT_KEXEC_BEFORE_EXEC:
		if (!ld) {
			d->notes |= KHOFMT_KEXEC_N_NO_STAMP;
		} else if (!ld->file_load || !ld->kho_cmdline) {
			d->notes |= KHOFMT_KEXEC_N_NO_KHO_IMAGE;
		} else if (ld->has_fdt_sha256 && in->has_fdt_sha256) {
			d->notes |= memcmp(ld->fdt_sha256, in->fdt_sha256, 32)
				    ? KHOFMT_KEXEC_N_FDT_CHANGED
				    : KHOFMT_KEXEC_N_FDT_SAME;
		}
		if (d->notes & (KHOFMT_KEXEC_N_NO_STAMP | KHOFMT_KEXEC_N_NO_KHO_IMAGE)) {
			if (force) {
				d->notes |= KHOFMT_KEXEC_N_FORCED_STAMP;
			} else {
				d->action = KHOFMT_KEXEC_REFUSE;
				if (!check_only)
					d->notes |= KHOFMT_KEXEC_N_REFUSED_EXEC;
				return;
			}
		}
		/* the re-check decides */
		__attribute__((fallthrough));
	case KHOFMT_KEXEC_BEFORE_LOAD:
		if (in->check == KHOFMT_KEXEC_CHECK_SKIPPED && check_only)
			d->notes |= KHOFMT_KEXEC_N_SKIPPED;
		if (in->check == KHOFMT_KEXEC_CHECK_UNCHECKABLE)
			d->notes |= KHOFMT_KEXEC_N_UNCHECKABLE;
		if (!check_bad(in->check))
			return;
		if (force) {
			d->notes |= KHOFMT_KEXEC_N_FORCED;
			return;
		}
		d->action = KHOFMT_KEXEC_REFUSE;
		if (!check_only)
			d->notes |= stage == KHOFMT_KEXEC_BEFORE_LOAD
				    ? KHOFMT_KEXEC_N_REFUSED_LOAD
				    : KHOFMT_KEXEC_N_REFUSED_EXEC;
		return;
	}
}

const char *khofmt_kexec_note_text(unsigned note)
{
	switch (note) {
	case KHOFMT_KEXEC_N_INACTIVE:
		return "KHO is not active on this kernel: nothing to check";
	case KHOFMT_KEXEC_N_CRASH:
		return "a crash kernel (-p) does not take the KHO handover: "
		       "nothing to check";
	case KHOFMT_KEXEC_N_OLD_SYSCALL:
		return "KHO is active on this kernel and only kexec_file_load "
		       "carries the handover; kexec_load (-c, the default of older "
		       "kexec-tools) would lose the preserved state: "
		       "use -s";
	case KHOFMT_KEXEC_N_SKIPPED:
		return "--no-kho-check: nothing checked";
	case KHOFMT_KEXEC_N_FORCED:
		return "WARNING: --kho-force: going on despite errors in the KHO "
		       "handover state; preserved data may be lost";
	case KHOFMT_KEXEC_N_REFUSED_LOAD:
		return "refusing to load: the KHO handover state has errors "
		       "(--kho-force overrides, --no-kho-check skips)";
	case KHOFMT_KEXEC_N_REFUSED_EXEC:
		return "refusing to reboot (--kho-force overrides)";
	case KHOFMT_KEXEC_N_NO_STAMP:
		return "KHO is active but there is no load stamp of this boot "
		       "(" "/" KHOFMT_KEXEC_STAMP_PATH "): the loaded image may not "
		       "take the handover; load it with kexec -s -l";
	case KHOFMT_KEXEC_N_NO_KHO_IMAGE:
		return "the loaded image does not take the KHO handover (loaded "
		       "without kexec_file_load or without kho=on): load it again "
		       "with kexec -s -l";
	case KHOFMT_KEXEC_N_FDT_CHANGED:
		return "the outgoing KHO state changed since the image was "
		       "loaded: the re-check decides";
	case KHOFMT_KEXEC_N_FDT_SAME:
		return "the outgoing KHO state is the one checked at load";
	case KHOFMT_KEXEC_N_UNCHECKABLE:
		return "WARNING: this kernel does not expose its outgoing root FDT "
		       "(it was itself booted through KHO): the handover cannot "
		       "be checked before the kexec";
	case KHOFMT_KEXEC_N_FORCED_STAMP:
		return "WARNING: --kho-force: rebooting although the loaded image "
		       "may not take the handover";
	default:
		return "";
	}
}

/* ---- the image check ---- */

const char *khofmt_kexec_compat_name(enum khofmt_kexec_compat c)
{
	switch (c) {
	case KHOFMT_KEXEC_COMPAT_UNCHECKED: return "unchecked";
	case KHOFMT_KEXEC_COMPAT_ACCEPTED: return "accepted";
	case KHOFMT_KEXEC_COMPAT_LOSES: return "loses";
	case KHOFMT_KEXEC_COMPAT_UNREADABLE: return "unreadable";
	}
	return "unknown";
}

void khofmt_kexec_compat_result_free(struct khofmt_kexec_compat_result *res)
{
	size_t i;

	if (!res)
		return;
	for (i = 0; i < res->nlines; i++)
		free(res->lines[i]);
	free(res->lines);
	res->lines = NULL;
	res->nlines = 0;
}

static int compat_line(struct khofmt_kexec_compat_result *res,
		       const struct khofmt_compat_row *r)
{
	char **nl = realloc(res->lines, (res->nlines + 1) * sizeof(*nl));
	char *t;
	int n;

	if (!nl)
		return -KHOFMT_ERR_NOMEM;
	res->lines = nl;
	if (r->verdict == KHOFMT_COMPAT_UNKNOWN)
		n = asprintf(&t, "%s%s%s: cannot tell: %s", r->subnode,
			     r->subnode[0] ? " " : "", r->what, r->detail);
	else
		n = asprintf(&t, "%s%s%s writes %s, the new kernel reads %s: lost: %s",
			     r->subnode, r->subnode[0] ? " " : "", r->what,
			     r->writes[0] ? r->writes : "?",
			     r->reads[0] ? r->reads : "no such format", r->lost);
	if (n < 0)
		return -KHOFMT_ERR_NOMEM;
	res->lines[res->nlines++] = t;
	return 0;
}

int khofmt_kexec_state_compat(struct khofmt_kexec_state *st, const char *root,
			      const char *image, const unsigned char *expect,
			      struct khofmt_kexec_compat_result *res)
{
	struct khofmt_image_opts io = { .sz = sizeof(io) };
	struct khofmt_compat *c = NULL;
	struct khofmt_image *img = NULL;
	struct khofmt_fdt *fdt = NULL;
	const struct khofmt_image_info *ii;
	size_t i, n;
	int r;

	memset(res, 0, sizeof(*res));
	res->verdict = KHOFMT_KEXEC_COMPAT_UNREADABLE;
	if (!st || !image)
		return -KHOFMT_ERR_INVAL;
	r = khofmt_fdt_open(st->fdt, st->len, &fdt, res->error, sizeof(res->error));
	if (r < 0)
		return r == -KHOFMT_ERR_NOMEM ? r : 0;
	r = khofmt_compat_collect(fdt, st->src, NULL, NULL, st->page_shift, &c);
	khofmt_fdt_free(fdt);
	if (r < 0) {
		khofmt_setmsg(res->error, sizeof(res->error), "the outgoing state: %s",
			      khofmt_strerror(r));
		return r == -KHOFMT_ERR_NOMEM ? r : 0;
	}
	io.wants = khofmt_compat_wants(c, &io.nwants);
	io.sysroot = root ? root : "";
	r = khofmt_image_open(image, &io, &img, res->error, sizeof(res->error));
	if (r < 0) {
		khofmt_compat_free(c);
		return r == -KHOFMT_ERR_NOMEM ? r : 0;
	}
	ii = khofmt_image_info(img);
	memcpy(res->image_sha256, ii->file_sha256, 32);
	res->has_image_sha256 = true;
	memcpy(res->release, ii->release, sizeof(res->release));
	if (expect && memcmp(expect, ii->file_sha256, 32)) {
		khofmt_setmsg(res->error, sizeof(res->error),
			      "%s changed since it was loaded (SHA-256 differs)", image);
		goto done;
	}
	r = khofmt_compat_judge(c, img);
	res->lost = r > 0 ? (size_t)r : 0;
	res->unknown = khofmt_compat_unknown(c);
	n = khofmt_compat_nrows(c);
	r = 0;
	for (i = 0; i < n && !r; i++) {
		const struct khofmt_compat_row *row = khofmt_compat_row(c, i);

		if (row->verdict != KHOFMT_COMPAT_READS)
			r = compat_line(res, row);
	}
	if (r < 0)
		goto done;
	if (res->unknown)
		khofmt_setmsg(res->error, sizeof(res->error),
			      "%zu part(s) of the outgoing state could not be read", res->unknown);
	else
		res->verdict = res->lost ? KHOFMT_KEXEC_COMPAT_LOSES :
					   KHOFMT_KEXEC_COMPAT_ACCEPTED;
done:
	khofmt_image_free(img);
	khofmt_compat_free(c);
	return r;
}
