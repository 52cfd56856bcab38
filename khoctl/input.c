// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shared input options (argp children) and the code that turns them into
 * a root FDT, a memory source and a handover.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "khoctl.h"

enum {
	OPT_PAGE_SHIFT = 0x100,
	OPT_ABI,
	OPT_PRODUCER,
	OPT_RADIX_DEPTH,
	OPT_LIVE,
	OPT_INCOMING,
	OPT_CAPTURE,
	OPT_SYSROOT,
};

/* ------------------------------------------------------------------ */
/* Numbers                                                             */
/* ------------------------------------------------------------------ */

bool input_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;
	int base = 10;

	/* no sign, no space, no octal surprise for "010" */
	if (!s || !((s[0] >= '0' && s[0] <= '9')))
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')))
			return false;
	}
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

/* Binary shift of a unit letter K, M, G, T (any case); 0 if none. */
static unsigned unit_shift(char c)
{
	static const char units[] = "KMGT";
	const char *u;

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	u = c ? strchr(units, c) : NULL;
	return u ? 10 * (unsigned)(u - units + 1) : 0;
}

bool input_parse_size(const char *s, uint64_t *v)
{
	char num[32];
	size_t n = s ? strlen(s) : 0;
	unsigned shift = 0;
	uint64_t x;

	if (!n || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	/* "KiB" / "KB" / "K": B alone is no suffix (it is a hex digit) */
	if (n > 3 && !strcmp(num + n - 2, "iB") && unit_shift(num[n - 3]))
		num[n -= 2] = '\0';
	else if (n > 2 && num[n - 1] == 'B' && unit_shift(num[n - 2]))
		num[--n] = '\0';
	if (n > 1 && (shift = unit_shift(num[n - 1])))
		num[--n] = '\0';
	if (!input_parse_u64(num, &x))
		return false;
	if (shift && x > (UINT64_MAX >> shift))
		return false;
	*v = x << shift;
	return true;
}

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

static const struct argp_option common_options[] = {
	{ "page-shift", OPT_PAGE_SHIFT, "N", 0,
	  "Producer kernel PAGE_SHIFT: 12 (4 KiB pages, default), 14 or 16", 0 },
	{ "abi", OPT_ABI, "GEN", 0,
	  "KHO generation: kho-v1, kho-v2, kho-v3, kho-v4 or rfc (reading: "
	  "overrides the root compatible; synth: what to write, default kho-v4)", 0 },
	{ "producer", OPT_PRODUCER, "RELEASE", 0,
	  "Release of the producing kernel (6.16, 6.17.9, 7.2.13, ...): "
	  "settles the kho-v1 bitmap size (512 bytes up to early 6.17.y, one "
	  "page after); without it the data decides", 0 },
	{ "radix-depth", OPT_RADIX_DEPTH, "N", 0,
	  "Radix tree levels (16 KiB pages: 5 as in 7.2, 4 as in the first "
	  "kho-v2 commit); default by generation", 0 },
	{ "json", 'j', NULL, 0,
	  "JSON output (one document, schema \"khoctl-<command>\", version 1)", 0 },
	{ "bytes", 'b', NULL, 0,
	  "Text output: print sizes as exact byte counts", 0 },
	{ 0 }
};

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	struct input_opts *o = state->input;
	uint64_t v;

	switch (key) {
	case OPT_PAGE_SHIFT:
		if (!input_parse_u64(arg, &v) || (v != 12 && v != 14 && v != 16))
			argp_error(state, "--page-shift: '%s' is not 12, 14 or 16",
				   arg);
		o->page_shift = (unsigned)v;
		o->page_shift_set = true;
		return 0;
	case OPT_ABI:
		o->abi = khofmt_abi_parse(arg);
		if (!o->abi)
			argp_error(state, "--abi: '%s' is not kho-v1, kho-v2, "
				   "kho-v3, kho-v4 or rfc", arg);
		return 0;
	case OPT_PRODUCER:
		if (khofmt_producer_parse(arg, NULL, NULL, NULL))
			argp_error(state, "--producer: '%s' is not a release "
				   "such as 6.16 or 7.2.13", arg);
		o->producer = arg;
		return 0;
	case OPT_RADIX_DEPTH:
		if (!input_parse_u64(arg, &v) || v < 2 || v > KHOFMT_MAX_LEVELS)
			argp_error(state, "--radix-depth: '%s' is not 2..%d",
				   arg, KHOFMT_MAX_LEVELS);
		o->radix_depth = (unsigned)v;
		return 0;
	case 'j':
		o->out.json = true;
		return 0;
	case 'b':
		o->out.bytes = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp input_common_argp = {
	.options = common_options,
	.parser = common_parse,
};

static const struct argp_option input_options[] = {
	{ "fdt", 'f', "FILE", 0,
	  "Root KHO FDT (a copy of debugfs kho/out/fdt or kho/in/fdt); "
	  "- reads standard input", 0 },
	{ "mem", 'm', "FILE[@BASE]", 0,
	  "Physical memory: an ELF core (QEMU dump-guest-memory, vmcore, "
	  "khoctl synth), or with @BASE (hex 0x... or decimal) a raw image "
	  "whose first byte is at physical address BASE", 0 },
	{ "live", OPT_LIVE, NULL, 0,
	  "The running kernel's outgoing state: debugfs kho/out (mounted at "
	  "/sys/kernel/debug), memory through /proc/kcore (needs root), "
	  "System RAM from /proc/iomem", 0 },
	{ "incoming", OPT_INCOMING, NULL, 0,
	  "The state this kernel received: debugfs kho/in and /proc/kcore", 0 },
	{ "capture", OPT_CAPTURE, "DIR|FILE", 0,
	  "A bundle written by `khoctl capture`: its directory, or an archive "
	  "(.tar, .tar.zst, .tar.xz, .tar.gz)", 0 },
	{ "sysroot", OPT_SYSROOT, "DIR", 0,
	  "With --live/--incoming: read every system file below DIR "
	  "(DIR/sys/kernel/debug/kho, DIR/proc/kcore, DIR/proc/iomem)", 0 },
	{ 0 }
};

static const struct argp_child input_children[] = {
	{ &input_common_argp, 0, "Common options:", 0 },
	{ 0 }
};

static void set_kind(struct argp_state *state, enum input_kind kind)
{
	struct input_opts *o = state->input;

	if (o->kind != INPUT_NONE && o->kind != kind)
		argp_error(state, "give only one kind of input");
	o->kind = kind;
}

static error_t input_parse(int key, char *arg, struct argp_state *state)
{
	struct input_opts *o = state->input;
	char *at;
	uint64_t base;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = o;
		return 0;
	case 'f':
		set_kind(state, INPUT_FILES);
		o->fdt_path = arg;
		return 0;
	case 'm':
		set_kind(state, INPUT_FILES);
		o->mem_path = arg;
		o->mem_raw = false;
		/*
		 * FILE@BASE is a raw image; an '@' not followed by a number is
		 * part of an ELF file name.
		 */
		at = strrchr(arg, '@');
		if (at && at != arg && input_parse_u64(at + 1, &base)) {
			*at = '\0';
			o->mem_raw = true;
			o->mem_base = base;
		}
		return 0;
	case OPT_LIVE:
		set_kind(state, INPUT_LIVE);
		return 0;
	case OPT_INCOMING:
		set_kind(state, INPUT_INCOMING);
		return 0;
	case OPT_CAPTURE:
		set_kind(state, INPUT_CAPTURE);
		o->capture_dir = arg;
		return 0;
	case OPT_SYSROOT:
		o->sysroot = arg;
		return 0;
	case ARGP_KEY_END:
		if (o->kind == INPUT_NONE)
			argp_error(state, "no input: give --fdt FILE%s, --live, "
				   "--incoming or --capture DIR",
				   o->need & INPUT_NEED_MEM ? " --mem FILE" : "");
		if (o->sysroot && o->kind != INPUT_LIVE &&
		    o->kind != INPUT_INCOMING)
			argp_error(state, "--sysroot goes with --live or --incoming");
		if (o->kind == INPUT_FILES && !o->fdt_path)
			argp_error(state, "--mem needs --fdt FILE");
		if ((o->need & INPUT_NEED_MEM) && o->kind == INPUT_FILES &&
		    !o->mem_path)
			argp_error(state, "this command needs --mem FILE");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp input_argp = {
	.options = input_options,
	.parser = input_parse,
	.children = input_children,
};

void input_opts_init(struct input_opts *o, unsigned need)
{
	memset(o, 0, sizeof(*o));
	o->need = need;
	o->page_shift = 12;
}

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */

int input_read_file(const char *path, size_t max, void **bufp, size_t *lenp)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "standard input" : path;
	int r = khofmt_read_file(is_stdin ? "/dev/stdin" : path, max, bufp, lenp);

	switch (r) {
	case 0:
		return 0;
	case -KHOFMT_ERR_LIMIT:
		return out_err(name, "larger than %zu bytes: refusing to read it", max);
	case -KHOFMT_ERR_NOMEM:
		return out_err(name, "out of memory");
	}
	switch (errno) {
	case EISDIR:
		return out_err(name, "is a directory");
	case ENOENT: case EACCES: case EPERM: case ENOTDIR: case ELOOP:
	case ENAMETOOLONG: case ENXIO: case ENODEV:
		return out_err(name, "cannot open: %s", strerror(errno));
	default:
		return out_err(name, "read error: %s", strerror(errno));
	}
}

static int open_files(const struct input_opts *o, struct input *in)
{
	char errbuf[256] = "";
	void *blob;
	size_t len;
	int r;

	in->name = strcmp(o->fdt_path, "-") ? o->fdt_path : "standard input";
	r = input_read_file(o->fdt_path, INPUT_MAX_FILE, &blob, &len);
	if (r)
		return r;
	r = khofmt_fdt_open(blob, len, &in->fdt, errbuf, sizeof(errbuf));
	free(blob);
	/* --abi overrides an unknown compatible (the FDT is handed out). */
	if (r == -KHOFMT_ERR_COMPAT && o->abi && in->fdt)
		r = 0;
	if (r < 0) {
		/* On -KHOFMT_ERR_COMPAT the object is handed out anyway. */
		khofmt_fdt_free(in->fdt);
		in->fdt = NULL;
		return out_lib_err(in->name, r, errbuf);
	}
	if (!o->mem_path)
		return 0;
	errno = 0;
	if (o->mem_raw)
		r = khofmt_source_open_raw(o->mem_path, o->mem_base, &in->src);
	else
		r = khofmt_source_open_elf(o->mem_path, &in->src);
	if (r < 0) {
		int e = errno;

		in->src = NULL;
		return out_lib_err(o->mem_path, r,
				   r == -KHOFMT_ERR_IO && e ? strerror(e) : NULL);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Live systems (--live, --incoming) and capture bundles (--capture)   */
/* ------------------------------------------------------------------ */

char *input_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (!p) {
		fprintf(stderr, KHOCTL_NAME ": out of memory\n");
		exit(KHOCTL_EXIT_DECODE);
	}
	snprintf(p, n, "%s%s%s", dir, *dir && dir[strlen(dir) - 1] != '/' ? "/" : "",
		 name);
	return p;
}

/* Read a small optional file quietly: 0 ok, -1 with errno. */
static int read_quiet(const char *path, size_t max, char **buf, size_t *len)
{
	void *b;
	int r = khofmt_read_file(path, max, &b, len);

	if (r == -KHOFMT_ERR_LIMIT)
		errno = EFBIG;
	else if (r == -KHOFMT_ERR_NOMEM)
		errno = ENOMEM;
	if (r < 0)
		return -1;
	*buf = b;
	return 0;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Entry names of @dir, ", "-separated, sorted; "(empty)" if none. */
static char *list_dir(const char *dir)
{
	struct dirent **ents;
	size_t cap = 1, len = 0;
	char *s;
	int n, i;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return input_path("", "(unreadable)");
	for (i = 0; i < n; i++)
		cap += strlen(ents[i]->d_name) + 2;
	s = malloc(cap + 8);
	if (!s) {
		fprintf(stderr, KHOCTL_NAME ": out of memory\n");
		exit(KHOCTL_EXIT_DECODE);
	}
	s[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *d = ents[i]->d_name;

		if (strcmp(d, ".") && strcmp(d, "..")) {
			len += (size_t)sprintf(s + len, "%s%s", len ? ", " : "", d);
		}
		free(ents[i]);
	}
	free(ents);
	if (!len)
		strcpy(s, "(empty)");
	return s;
}

/* scratch_phys / scratch_len: one "0x%llx" line per area. */
static int parse_hex_lines(const char *text, uint64_t **vals, size_t *n)
{
	const char *p = text;
	size_t cap = 0;

	*vals = NULL;
	*n = 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		char line[40];
		size_t l = e ? (size_t)(e - p) : strlen(p);
		uint64_t v;

		if (l && l < sizeof(line)) {
			memcpy(line, p, l);
			line[l] = '\0';
			if (!input_parse_u64(line, &v))
				return -1;
			if (*n == cap) {
				uint64_t *nv;

				cap = cap ? cap * 2 : 8;
				nv = realloc(*vals, cap * sizeof(**vals));
				if (!nv)
					return -1;
				*vals = nv;
			}
			(*vals)[(*n)++] = v;
		} else if (l) {
			return -1;
		}
		p += l + (e ? 1 : 0);
	}
	return 0;
}

static int live_scratch(struct input *in, const char *out_dir)
{
	char *pp = input_path(out_dir, "scratch_phys");
	char *pl = input_path(out_dir, "scratch_len");
	char *tp = NULL, *tl = NULL;
	uint64_t *vp = NULL, *vl = NULL;
	size_t lp, ll, np = 0, nl = 0, i;
	int r = 0;

	if (read_quiet(pp, 1 << 20, &tp, &lp) || read_quiet(pl, 1 << 20, &tl, &ll))
		goto out;	/* optional: absent on layouts without it */
	if (parse_hex_lines(tp, &vp, &np) || parse_hex_lines(tl, &vl, &nl) ||
	    np != nl) {
		r = out_err(out_dir, "scratch_phys and scratch_len do not pair up "
			    "(%zu and %zu lines)", np, nl);
		goto out;
	}
	in->scratch = calloc(np ? np : 1, sizeof(*in->scratch));
	if (!in->scratch) {
		r = out_err("scratch", "out of memory");
		goto out;
	}
	for (i = 0; i < np; i++) {
		in->scratch[i].start = vp[i];
		in->scratch[i].size = vl[i];
	}
	in->nscratch = np;
	in->has_scratch = true;
out:
	free(pp);
	free(pl);
	free(tp);
	free(tl);
	free(vp);
	free(vl);
	return r;
}

static void live_iomem(struct input *in, const char *root)
{
	char *p = input_path(root, "proc/iomem");

	if (read_quiet(p, 16 << 20, &in->iomem, &in->iomem_len) == 0) {
		if (khofmt_iomem_hidden(in->iomem, in->iomem_len))
			fprintf(stderr, KHOCTL_NAME ": %s: all addresses read as 0 "
				"(needs root): no RAM map\n", p);
		else if (khofmt_iomem_ram(in->iomem, in->iomem_len, &in->ram,
					  &in->nram) == 0)
			in->has_ram = true;
	}
	free(p);
}

static void live_release(struct input *in, const char *root)
{
	char *p = input_path(root, "proc/sys/kernel/osrelease");
	char *t = NULL;
	size_t l;

	if (read_quiet(p, 4096, &t, &l) == 0) {
		t[strcspn(t, "\n")] = '\0';
		snprintf(in->release, sizeof(in->release), "%s", t);
	}
	free(t);
	free(p);
}

/* /proc/kcore with an error that says what to do. */
static int live_kcore(struct input *in, const char *root, bool needed)
{
	char *p = input_path(root, "proc/kcore");
	int r, e;

	errno = 0;
	r = khofmt_source_open_kcore(p, &in->src);
	e = errno;
	if (r == 0) {
		free(p);
		return 0;
	}
	in->src = NULL;
	if (r == -KHOFMT_ERR_IO && e == ENOENT)
		r = out_err(p, "absent: the kernel was built without "
			    "CONFIG_PROC_KCORE, so physical memory cannot be read");
	else if (r == -KHOFMT_ERR_IO && (e == EACCES || e == EPERM))
		r = out_err(p, "%s: reading physical memory through /proc/kcore "
			    "needs root (CAP_SYS_RAWIO)%s", strerror(e),
			    geteuid() == 0 ? "; as root, kernel lockdown blocks it "
			    "(see /sys/kernel/security/lockdown)" : "");
	else
		r = out_lib_err(p, r, khofmt_source_errmsg(NULL));
	free(p);
	if (!needed) {
		fprintf(stderr, KHOCTL_NAME ": going on without physical memory\n");
		return 0;
	}
	return r;
}

static int progress_cb(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	fprintf(stderr, "\r" KHOCTL_NAME ": scanning memory: %3u%%",
		total ? (unsigned)(done * 100 / total) : 100);
	if (done == total)
		fputc('\n', stderr);
	return 0;
}

/* kho/out/fdt shorter than its header says (Q2): take it from memory. */
static int live_recover(struct input *in, const char *fdt_path,
			const void *blob, size_t len)
{
	struct khofmt_recover_opts ro = {
		.sz = sizeof(ro),
		.page_shift = in->page_shift,
		.progress = isatty(STDERR_FILENO) ? progress_cb : NULL,
	};
	char errbuf[256] = "";
	void *full;
	size_t flen;
	int r;

	fprintf(stderr, KHOCTL_NAME ": %s: truncated by the kernel (header "
		"totalsize %u, file %zu bytes: its size was fixed before later "
		"subtrees grew the FDT); recovering the full FDT from physical "
		"memory\n", fdt_path,
		len >= 8 ? (unsigned)(((const unsigned char *)blob)[4] << 24 |
				      ((const unsigned char *)blob)[5] << 16 |
				      ((const unsigned char *)blob)[6] << 8 |
				      ((const unsigned char *)blob)[7]) : 0u,
		len);
	if (!in->src)
		return out_err(fdt_path, "cannot recover the truncated FDT "
			       "without physical memory (/proc/kcore)");
	r = khofmt_fdt_recover(in->src, blob, len, &ro, &full, &flen,
			       &in->fdt_pa);
	if (r < 0)
		return out_lib_err(fdt_path, r, khofmt_source_errmsg(in->src));
	in->recovered = r;
	in->has_fdt_pa = true;
	fprintf(stderr, KHOCTL_NAME ": recovered the root FDT (%zu bytes) at "
		"physical 0x%llx (%s)\n", flen, (unsigned long long)in->fdt_pa,
		r == KHOFMT_RECOVER_TRACKER ? "a preserved page of the tracker"
					    : "memory scan");
	r = khofmt_fdt_open(full, flen, &in->fdt, errbuf, sizeof(errbuf));
	free(full);
	if (r < 0) {
		khofmt_fdt_free(in->fdt);
		in->fdt = NULL;
		return out_lib_err(fdt_path, r, errbuf);
	}
	return 0;
}

static int open_live(const struct input_opts *o, struct input *in)
{
	bool incoming = o->kind == INPUT_INCOMING;
	const char *root = o->sysroot ? o->sysroot : "/";
	char *dbg = input_path(root, "sys/kernel/debug");
	char *kho = input_path(dbg, "kho");
	char *dir = input_path(kho, incoming ? "in" : "out");
	char *fdtp = input_path(dir, "fdt"), *found = NULL;
	char errbuf[256] = "";
	void *blob = NULL;
	size_t len;
	int r;

	in->name = in->name_buf = strdup(fdtp);
	if (!in->name_buf) {
		r = out_err(fdtp, "out of memory");
		goto out;
	}
	if (!exists(kho)) {
		int e;
		DIR *d = opendir(dbg);

		e = errno;
		if (!d && (e == EACCES || e == EPERM)) {
			r = out_err(dbg, "%s: debugfs is readable by root only",
				    strerror(e));
			goto out;
		}
		if (d) {
			struct dirent *de;
			int n = 0;

			while ((de = readdir(d)))
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
					n++;
			closedir(d);
			if (n) {
				r = out_err(kho, "absent: this kernel has no KHO "
					    "debugfs (built without "
					    "CONFIG_KEXEC_HANDOVER_DEBUGFS) or KHO is "
					    "not enabled (boot with kho=on)");
				goto out;
			}
		}
		r = out_err(dbg, "debugfs is not mounted: mount -t debugfs none "
			    "/sys/kernel/debug");
		goto out;
	}
	if (!is_dir(dir)) {
		found = list_dir(kho);
		if (incoming && !exists(dir) && is_dir(kho) && strstr(found, "out"))
			r = out_err(dir, "absent: this kernel was not booted "
				    "through KHO, nothing was handed over to it");
		else
			r = out_err(kho, "unknown KHO debugfs layout (no %s "
				    "directory); found: %s", incoming ? "in" : "out",
				    found);
		goto out;
	}
	if (!exists(fdtp)) {
		char *fin = input_path(dir, "finalize");
		char *sub = input_path(dir, "sub_fdts");
		bool known = is_dir(sub);

		found = list_dir(dir);
		if (!incoming && exists(fin))
			r = out_err(fdtp, "absent: the KHO state is not finalized "
				    "yet (6.16-7.0: echo 1 > %s)", fin);
		else if (!incoming && known)
			r = out_err(fdtp, "absent: this kernel was itself booted "
				    "through KHO (7.1+ expose the outgoing root FDT only "
				    "after a cold boot); for the state it received use "
				    "--incoming");
		else
			r = out_err(dir, "unknown KHO debugfs layout (no fdt); "
				    "found: %s", found);
		free(fin);
		free(sub);
		goto out;
	}
	in->blob_dir = input_path(dir, "sub_fdts");
	live_release(in, root);
	live_iomem(in, root);
	if (!incoming) {
		r = live_scratch(in, dir);
		if (r)
			goto out;
	}
	r = live_kcore(in, root, o->need & INPUT_NEED_MEM);
	if (r)
		goto out;

	r = input_read_file(fdtp, INPUT_MAX_FILE, &blob, &len);
	if (r)
		goto out;
	r = khofmt_fdt_open(blob, len, &in->fdt, errbuf, sizeof(errbuf));
	if (r == -KHOFMT_ERR_TRUNCATED && len >= 40) {
		r = live_recover(in, fdtp, blob, len);
	} else if (r < 0) {
		khofmt_fdt_free(in->fdt);
		in->fdt = NULL;
		r = out_lib_err(fdtp, r, errbuf);
	}
	if (!r && (khofmt_fdt_flags(in->fdt) & KHOFMT_FDT_TRAILING))
		fprintf(stderr, KHOCTL_NAME ": %s: longer than its header "
			"totalsize (stale bytes after a subtree was removed)\n",
			fdtp);
out:
	free(blob);
	free(found);
	free(dbg);
	free(kho);
	free(dir);
	free(fdtp);
	return r;
}

/*
 * --capture ARCHIVE: extracted (by libkhofmt, with libarchive) into a
 * temporary directory that input_close() removes; the bundle is then read
 * like a directory.
 */
static int unpack_capture(const char *archive, struct input *in)
{
	struct khofmt_capture_result res;
	const char *t = getenv("TMPDIR");
	char *tmpl = input_path(t && *t ? t : "/tmp", KHOCTL_NAME "-capture.XXXXXX");
	int r;

	if (!mkdtemp(tmpl)) {
		r = out_err(tmpl, "cannot create a temporary directory: %s",
			    strerror(errno));
		free(tmpl);
		return r;
	}
	rmdir(tmpl);	/* khofmt_capture_unpack() creates it */
	r = khofmt_capture_unpack(archive, tmpl, &res);
	if (r < 0) {
		free(tmpl);
		if (res.sys_errno)
			return out_err(r == -KHOFMT_ERR_IO && !strcmp(res.what, "cannot open") ?
				       archive : res.path, "%s: %s", res.what,
				       strerror(res.sys_errno));
		return out_lib_err(archive, r, res.what);
	}
	in->unpacked = tmpl;
	return 0;
}

static int open_capture(const struct input_opts *o, struct input *in)
{
	struct khofmt_capture_manifest mf = { .sz = sizeof(mf) };
	const char *dir = o->capture_dir;
	char *man, *fdtp, *memp, *shown_man;
	char errbuf[256] = "", *text = NULL;
	void *blob = NULL;
	size_t len;
	int r;

	if (exists(dir) && !is_dir(dir)) {
		r = unpack_capture(dir, in);
		if (r)
			return r;
		dir = in->unpacked;
	}
	man = input_path(dir, CAPTURE_MANIFEST);
	fdtp = input_path(dir, CAPTURE_FDT);
	memp = input_path(dir, CAPTURE_MEM);
	/* messages name the archive's members, not the temporary copy */
	shown_man = input_path(o->capture_dir, CAPTURE_MANIFEST);
	in->name = in->name_buf = input_path(o->capture_dir, CAPTURE_FDT);
	if (read_quiet(man, 1 << 24, &text, &len)) {
		r = out_err(shown_man, "cannot read: %s (not a khoctl capture "
			    "bundle?)", strerror(errno));
		goto out;
	}
	r = khofmt_capture_manifest_parse(text, len, &mf, errbuf, sizeof(errbuf));
	if (r < 0) {
		r = out_err(shown_man, "not a %s version 1 manifest: %s",
			    CAPTURE_SCHEMA, errbuf);
		goto out;
	}
	if (!o->page_shift_set && mf.page_shift)
		in->page_shift = mf.page_shift;
	r = input_read_file(fdtp, INPUT_MAX_FILE, &blob, &len);
	if (r)
		goto out;
	r = khofmt_fdt_open(blob, len, &in->fdt, errbuf, sizeof(errbuf));
	if (r < 0) {
		khofmt_fdt_free(in->fdt);
		in->fdt = NULL;
		r = out_lib_err(in->name, r, errbuf);
		goto out;
	}
	in->fdt_pa = mf.fdt_pa;
	in->has_fdt_pa = mf.has_fdt_pa;
	in->blob_dir = input_path(dir, CAPTURE_BLOBS);
	/* What the system said: RAM (iomem copy) and scratch (debugfs form). */
	r = live_scratch(in, dir);
	if (r)
		goto out;
	{
		char *ip = input_path(dir, CAPTURE_IOMEM);

		if (read_quiet(ip, 16 << 20, &in->iomem, &in->iomem_len) == 0 &&
		    !khofmt_iomem_hidden(in->iomem, in->iomem_len) &&
		    khofmt_iomem_ram(in->iomem, in->iomem_len, &in->ram,
				     &in->nram) == 0)
			in->has_ram = true;
		free(ip);
	}
	if (exists(memp)) {
		errno = 0;
		r = khofmt_source_open_elf(memp, &in->src);
		if (r < 0) {
			char *shown = input_path(o->capture_dir, CAPTURE_MEM);

			in->src = NULL;
			r = out_lib_err(shown, r, NULL);
			free(shown);
			goto out;
		}
	}
	r = 0;
out:
	free(text);
	free(blob);
	free(man);
	free(fdtp);
	free(shown_man);
	free(memp);
	return r;
}

int input_blob(struct input *in, const struct khofmt_subnode *sn, void **buf,
	       size_t *len, const char **why)
{
	char *p;
	int r;

	*buf = NULL;
	*len = 0;
	*why = NULL;
	if (sn->has_pa && sn->has_size && sn->size <= INPUT_MAX_FILE && in->src &&
	    khofmt_source_covers(in->src, sn->pa, sn->size)) {
		*buf = malloc(sn->size ? (size_t)sn->size : 1);
		if (*buf && khofmt_source_read(in->src, sn->pa, *buf,
					       (size_t)sn->size) == 0) {
			*len = (size_t)sn->size;
			return 0;
		}
		free(*buf);
		*buf = NULL;
	}
	if (in->blob_dir && !strchr(sn->name, '/') && strcmp(sn->name, "..") &&
	    strcmp(sn->name, ".")) {
		char *t;
		size_t l;

		p = input_path(in->blob_dir, sn->name);
		r = read_quiet(p, INPUT_MAX_FILE, &t, &l);
		free(p);
		if (r == 0) {
			*buf = t;
			*len = l;
			return 0;
		}
	}
	*why = !sn->has_pa ? "no blob address" : "not in the memory source";
	return -1;
}


int input_open(const struct input_opts *o, struct input *in)
{
	int r;

	memset(in, 0, sizeof(*in));
	in->page_shift = o->page_shift;
	switch (o->kind) {
	case INPUT_FILES:
		r = open_files(o, in);
		break;
	case INPUT_LIVE:
	case INPUT_INCOMING:
		r = open_live(o, in);
		break;
	case INPUT_CAPTURE:
		r = open_capture(o, in);
		break;
	default:
		r = out_err("input", "no input given");
		break;
	}
	if (r)
		input_close(in);
	return r;
}

int input_open_handover(const struct input_opts *o, struct input *in)
{
	struct khofmt_open_opts oo = {
		.sz = sizeof(oo),
		.page_shift = in->page_shift,
		.abi = o->abi,
		.producer = o->producer,
		.radix_depth = o->radix_depth,
	};
	char detail[160];
	int r;

	if (!in->src)
		return out_err(in->name, "no memory source: give --mem FILE");
	r = khofmt_handover_open(in->fdt, in->src, &oo, &in->h);
	if (r >= 0)
		return 0;
	in->h = NULL;
	switch (-r) {
	case KHOFMT_ERR_COMPAT:
	case KHOFMT_ERR_UNSUPPORTED:
		snprintf(detail, sizeof(detail), "compatible \"%s\"",
			 khofmt_fdt_compatible(in->fdt));
		break;
	case KHOFMT_ERR_BADPROP:
		snprintf(detail, sizeof(detail),
			 "no usable preserved-memory-map (%s)",
			 khofmt_fdt_abi_reason(in->fdt));
		break;
	case KHOFMT_ERR_INVAL:
		snprintf(detail, sizeof(detail),
			 "page shift %u, producer %s, radix depth %u do not fit "
			 "generation %s", in->page_shift,
			 o->producer ? o->producer : "(none)", o->radix_depth,
			 khofmt_abi_name(o->abi ? o->abi : khofmt_fdt_abi(in->fdt)));
		break;
	default:
		detail[0] = '\0';
	}
	return out_lib_err(in->name, r, detail);
}

void input_close(struct input *in)
{
	khofmt_handover_free(in->h);
	khofmt_source_free(in->src);
	khofmt_fdt_free(in->fdt);
	free(in->name_buf);
	free(in->blob_dir);
	free(in->scratch);
	free(in->ram);
	free(in->iomem);
	if (in->unpacked)
		khofmt_capture_remove(in->unpacked);
	free(in->unpacked);
	memset(in, 0, sizeof(*in));
}
