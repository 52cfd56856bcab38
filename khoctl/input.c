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

#include "display.h"
#include "input.h"
#include "khoctl.h"
#include "layout.h"

enum {
	OPT_PAGE_SHIFT = 0x100,
	OPT_ABI,
	OPT_PRODUCER,
	OPT_RADIX_DEPTH,
	OPT_LIVE,
	OPT_INCOMING,
	OPT_CAPTURE,
	OPT_SYSROOT,
	OPT_ROOT_PA,
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

#define ABI_DOC "KHO generation: %s (reading: overrides the root " \
	"compatible; synth: what to write, default kho-v4; `--abi help` lists them)"

static const struct argp_option common_options[] = {
	{ "page-shift", OPT_PAGE_SHIFT, "N", 0,
	  "Producer kernel PAGE_SHIFT: 12 (4 KiB pages), 14 or 16; default: "
	  "from the input or the tracker (synth: 12)", 0 },
	/* the list of generations comes from the registry (common_help) */
	{ "abi", OPT_ABI, "GEN", 0, ABI_DOC, 0 },
	{ "producer", OPT_PRODUCER, "RELEASE", 0,
	  "Release of the producing kernel (6.16, 6.17.9, 7.2.13, ...): "
	  "settles the kho-v1 bitmap size (512 bytes up to early 6.17.y, one "
	  "page after); without it the data decides", 0 },
	{ "radix-depth", OPT_RADIX_DEPTH, "N", 0,
	  "Radix tree levels (16 KiB pages: 5 as in 7.2, 4 as in the first "
	  "kho-v2 commit); default by generation", 0 },
	{ "json", 'j', "pretty", OPTION_ARG_OPTIONAL,
	  "JSON output (one document, schema \"khoctl-<command>\", version 1); "
	  "compact, or indented with =pretty", 0 },
	{ "bytes", 'b', NULL, 0,
	  "Text output: print sizes as exact byte counts", 0 },
	{ 0 }
};

/*
 * "kho-v1, kho-v2, ... or rfc": every generation of the registry, by the
 * name --abi takes (the short one for the RFC form, as users write it).
 */
static void abi_list(char *buf, size_t len)
{
	size_t i, n = khofmt_gen_count(), o = 0;
	const char *rfc = NULL;

	buf[0] = 0;
	for (i = 1; i <= n && o < len; i++) {
		const struct khofmt_gen_info *g = khofmt_gen_info((enum khofmt_abi)i);

		if (!strcmp(g->tracker, "rfc-mem")) {
			rfc = g->short_name;
			continue;
		}
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
				      g->name);
	}
	if (rfc && o < len)
		snprintf(buf + o, len - o, " or %s", rfc);
}

/*
 * --abi help: the generations one a line, "NAME<TAB>TRACKER<TAB>WHAT"
 * (bash completion and the tests iterate it).
 */
static void abi_help(void)
{
	size_t i, n = khofmt_gen_count();

	for (i = 1; i <= n; i++) {
		const struct khofmt_gen_info *g = khofmt_gen_info((enum khofmt_abi)i);

		printf("%s\t%s\t%s\n", !strcmp(g->tracker, "rfc-mem") ?
		       g->short_name : g->name, g->tracker, g->what);
	}
	exit(fflush(stdout) || ferror(stdout) ? 2 : 0);
}

static char *common_help(int key, const char *text, void *input)
{
	char list[256], *s;

	(void)input;
	if (key != OPT_ABI || !text)
		return (char *)text;
	abi_list(list, sizeof(list));
	if (asprintf(&s, ABI_DOC, list) < 0)
		return (char *)text;
	return s;
}

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
		if (!strcmp(arg, "help"))
			abi_help();
		o->abi = khofmt_abi_parse(arg);
		if (!o->abi) {
			char list[256];

			abi_list(list, sizeof(list));
			argp_error(state, "--abi: '%s' is not %s", arg, list);
		}
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
		if (arg && strcmp(arg, "pretty"))
			argp_error(state, "--json=%s: the format is pretty (or none: compact)", arg);
		o->out.json = true;
		o->out.pretty = arg != NULL;
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
	.help_filter = common_help,
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
	{ "root-pa", OPT_ROOT_PA, "ADDR", 0,
	  "With --mem and no --fdt: use the KHO root FDT found at physical "
	  "ADDR (the dump may hold several: an outgoing and an incoming one)", 0 },
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
	case OPT_ROOT_PA:
		if (!input_parse_u64(arg, &o->root_pa))
			argp_error(state, "--root-pa: '%s' is not an address", arg);
		o->root_pa_set = true;
		return 0;
	case ARGP_KEY_END:
		/* --list-columns: the columns are known without an input */
		if (o->kind == INPUT_NONE && !o->out.list_columns)
			argp_error(state, "no input: give --fdt FILE%s, --mem "
				   "DUMP, --live, --incoming or --capture DIR",
				   o->need & INPUT_NEED_MEM ? " --mem FILE" : "");
		if (o->sysroot && o->kind != INPUT_LIVE &&
		    o->kind != INPUT_INCOMING && !(o->need & INPUT_ANY_SYSROOT))
			argp_error(state, "--sysroot goes with --live or --incoming");
		if (o->root_pa_set && (o->kind != INPUT_FILES || o->fdt_path ||
				       !o->mem_path))
			argp_error(state, "--root-pa goes with --mem FILE alone "
				   "(no --fdt)");
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

const struct argp_child input_table_children[] = {
	{ &input_argp, 0, "Input options:", 0 },
	{ &out_table_argp, 0, "Table options:", 0 },
	{ 0 }
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
	return input_file_err(name, errno);
}

int input_file_err(const char *name, int e)
{
	switch (e) {
	case EISDIR:
		return out_err(name, "is a directory");
	case ENOENT: case EACCES: case EPERM: case ENOTDIR: case ELOOP:
	case ENAMETOOLONG: case ENXIO: case ENODEV:
		return out_err(name, "cannot open: %s", strerror(e));
	default:
		return out_err(name, "read error: %s", strerror(e));
	}
}

static int progress_cb(void *arg, uint64_t done, uint64_t total);

/*
 * What the dump says about itself: VMCOREINFO PAGESIZE and OSRELEASE
 * settle page size and producer unless options did; its RAM is the RAM
 * map unless one is given. Told on stderr, source by source.
 */
static void dump_geometry(const struct input_opts *o, struct input *in)
{
	struct khofmt_dump_info di = { .sz = sizeof(di) };

	if (khofmt_source_dump_info(in->src, &di))
		return;
	/* Quiet for a plain --fdt + ELF core: nothing was taken from the dump. */
	if (o->fdt_path && !di.vmcoreinfo && !di.absent_pages &&
	    khofmt_source_kind(in->src) != KHOFMT_SOURCE_KDUMP)
		goto ram;
	fprintf(stderr, KHOCTL_NAME ": %s: %s%s%s\n", o->mem_path, di.format,
		di.machine[0] ? ", machine " : "", di.machine);
	if (di.vmcoreinfo) {
		if (di.page_shift && !o->page_shift_set) {
			in->page_shift = di.page_shift;
			in->page_shift_known = true;
			in->page_basis = "VMCOREINFO";
			snprintf(in->page_reason, sizeof(in->page_reason),
				 "VMCOREINFO (%s): PAGESIZE=%llu", di.vmcoreinfo_from,
				 (unsigned long long)di.page_size);
		}
		fprintf(stderr, KHOCTL_NAME ": %s: VMCOREINFO (%s): PAGESIZE=%llu "
			"-> page shift %u%s\n", o->mem_path, di.vmcoreinfo_from,
			(unsigned long long)di.page_size, in->page_shift,
			o->page_shift_set ? " (--page-shift wins)" :
			di.page_shift ? "" : " (not a KHO page size: default kept)");
		if (di.release[0]) {
			if (!o->producer) {
				snprintf(in->producer_buf, sizeof(in->producer_buf),
					 "%s", di.release);
				/* "7.2.13-amd64" -> "7.2.13": the release number */
				in->producer_buf[strspn(in->producer_buf, "0123456789.")] = '\0';
				if (khofmt_producer_parse(in->producer_buf, NULL, NULL, NULL) == 0)
					in->producer = in->producer_buf;
			}
			fprintf(stderr, KHOCTL_NAME ": %s: VMCOREINFO: OSRELEASE=%s -> "
				"producer %s%s\n", o->mem_path, di.release,
				in->producer ? in->producer : "unknown",
				o->producer ? " (--producer wins)" : "");
		}
	} else {
		if (o->page_shift_set)
			fprintf(stderr, KHOCTL_NAME ": %s: no VMCOREINFO: page shift "
				"%u (--page-shift)\n", o->mem_path, in->page_shift);
		else
			fprintf(stderr, KHOCTL_NAME ": %s: no VMCOREINFO: the page "
				"size comes from the tracker\n", o->mem_path);
	}
ram:
	/*
	 * Only a dump of all RAM describes RAM: one with VMCOREINFO (kernel
	 * vmcore, QEMU with -device vmcoreinfo, makedumpfile) or a page
	 * bitmap. Slim cores (khoctl capture, the fixtures) hold a few pages.
	 */
	if (di.nram && !in->has_ram &&
	    (di.vmcoreinfo || khofmt_source_kind(in->src) == KHOFMT_SOURCE_KDUMP)) {
		in->ram = malloc(di.nram * sizeof(*in->ram));
		if (in->ram) {
			memcpy(in->ram, di.ram, di.nram * sizeof(*in->ram));
			in->nram = di.nram;
			in->has_ram = true;
			snprintf(in->origin_buf, sizeof(in->origin_buf),
				 "RAM the dump describes (%s)",
				 in->src && khofmt_source_kind(in->src) == KHOFMT_SOURCE_KDUMP ?
				 "its page bitmap" : "its PT_LOAD p_memsz");
			in->ram_origin = in->origin_buf;
		}
	}
	if (di.absent_pages)
		fprintf(stderr, KHOCTL_NAME ": %s: %llu pages of RAM are not in the "
			"dump (left out by the dump tool, e.g. makedumpfile -d 31): "
			"reads there say \"not in the dump\"\n", o->mem_path,
			(unsigned long long)di.absent_pages);
}

static const char *via_name(unsigned via)
{
	if (via & KHOFMT_ROOT_SETUP_DATA)
		return via & KHOFMT_ROOT_SCAN ? "boot_params setup_data type 10 "
		       "(the root this kernel received) and page scan" :
		       "boot_params setup_data type 10 (the root this kernel received)";
	if (via & KHOFMT_ROOT_CHOSEN)
		return via & KHOFMT_ROOT_SCAN ? "boot DT /chosen linux,kho-fdt "
		       "(the root this kernel received) and page scan" :
		       "boot DT /chosen linux,kho-fdt (the root this kernel received)";
	return "page scan (an outgoing root: no boot structure names it)";
}

/* The scratch array a boot record names, as the input's scratch areas. */
static void cand_scratch(struct input *in, const struct khofmt_root_cand *c)
{
	unsigned char *b;
	size_t i, n;

	if (!c->has_scratch || !c->scratch_size || c->scratch_size % 16 ||
	    c->scratch_size > (1u << 20))
		return;
	n = (size_t)c->scratch_size / 16;
	b = malloc((size_t)c->scratch_size);
	in->scratch = calloc(n, sizeof(*in->scratch));
	if (!b || !in->scratch ||
	    khofmt_source_read(in->src, c->scratch_pa, b, (size_t)c->scratch_size)) {
		free(b);
		free(in->scratch);
		in->scratch = NULL;
		return;
	}
	for (i = 0; i < n; i++) {
		const unsigned char *p = b + 16 * i;
		uint64_t a = 0, z = 0;
		int k;

		for (k = 7; k >= 0; k--) {
			a = a << 8 | p[k];
			z = z << 8 | p[8 + k];
		}
		in->scratch[i].start = a;
		in->scratch[i].size = z;
	}
	free(b);
	in->nscratch = n;
	in->has_scratch = true;
	snprintf(in->origin_buf + 80, sizeof(in->origin_buf) - 80,
		 "scratch array at 0x%llx named by the boot record",
		 (unsigned long long)c->scratch_pa);
	in->scratch_origin = in->origin_buf + 80;
}

/* --mem alone: find the root FDT in memory, list what was found. */
static int discover_root(const struct input_opts *o, struct input *in)
{
	struct khofmt_discover_opts dopt = {
		.sz = sizeof(dopt),
		/* unknown: each candidate's tracker tells (khofmt_geom_infer) */
		.page_shift = in->page_shift_known ? in->page_shift : 0,
		.producer = in->producer,
		.progress = isatty(STDERR_FILENO) ? progress_cb : NULL,
	};
	struct khofmt_root_cand *c = NULL, *pick;
	char errbuf[256] = "";
	void *blob;
	size_t n, i;
	int def, r;

	def = khofmt_discover_roots(in->src, &dopt, &c, &n);
	if (def == -KHOFMT_ERR_NOTCOVERED)
		return out_err(o->mem_path, "no KHO root in this dump: no "
			       "page-aligned FDT with a kho-v* compatible, no x86 "
			       "setup_data type 10, no boot DT /chosen linux,kho-fdt "
			       "(give the root with --fdt FILE)");
	if (def < 0)
		return out_lib_err(o->mem_path, def, khofmt_source_errmsg(in->src));
	for (i = 0; i < n; i++) {
		fprintf(stderr, KHOCTL_NAME ": %s: KHO root candidate at 0x%llx "
			"(%s): %s", o->mem_path, (unsigned long long)c[i].pa,
			c[i].compatible[0] ? c[i].compatible : "unreadable",
			via_name(c[i].via));
		if (c[i].via_pa)
			fprintf(stderr, " at 0x%llx", (unsigned long long)c[i].via_pa);
		if (c[i].tracker == 0)
			fprintf(stderr, "; tracker consistent, %llu folios\n",
				(unsigned long long)c[i].folios);
		else
			fprintf(stderr, "; tracker not readable: %s\n",
				khofmt_strerror(c[i].tracker));
	}
	pick = &c[def];
	if (o->root_pa_set) {
		for (pick = NULL, i = 0; i < n; i++)
			if (c[i].pa == o->root_pa)
				pick = &c[i];
		if (!pick) {
			free(c);
			return out_err(o->mem_path, "--root-pa 0x%llx: no KHO root "
				       "found there", (unsigned long long)o->root_pa);
		}
	}
	snprintf(in->root_how, sizeof(in->root_how), "%s",
		 o->root_pa_set ? "--root-pa" :
		 n == 1 ? "the only candidate" :
		 pick->tracker == 0 && (pick->via & (KHOFMT_ROOT_SETUP_DATA |
						    KHOFMT_ROOT_CHOSEN)) ?
		 "named by the boot record, tracker consistent" :
		 pick->tracker == 0 ? "first candidate with a consistent tracker" :
		 "first candidate (none has a consistent tracker)");
	fprintf(stderr, KHOCTL_NAME ": %s: using the KHO root at 0x%llx (%s; "
		"--root-pa ADDR picks another)\n", o->mem_path,
		(unsigned long long)pick->pa, in->root_how);
	if (!pick->size) {
		r = out_err(o->mem_path, "root FDT at 0x%llx not readable",
			    (unsigned long long)pick->pa);
		free(c);
		return r;
	}
	blob = malloc(pick->size);
	if (!blob) {
		free(c);
		return out_err(o->mem_path, "out of memory");
	}
	r = khofmt_source_read(in->src, pick->pa, blob, pick->size);
	if (r == 0)
		r = khofmt_fdt_open(blob, pick->size, &in->fdt, errbuf, sizeof(errbuf));
	free(blob);
	if (r == -KHOFMT_ERR_COMPAT && o->abi && in->fdt)
		r = 0;
	if (r < 0) {
		khofmt_fdt_free(in->fdt);
		in->fdt = NULL;
		free(c);
		return out_lib_err(o->mem_path, r, errbuf[0] ? errbuf :
				   khofmt_source_errmsg(in->src));
	}
	in->fdt_pa = pick->pa;
	in->has_fdt_pa = true;
	cand_scratch(in, pick);
	free(c);
	return 0;
}

int input_open_mem(const struct input_opts *o, struct input *in)
{
	int r;

	if (o->mem_path) {
		struct stat st;
		const char *at = strrchr(o->mem_path, '@');

		/* the same words as for every file (input_file_err) */
		if (stat(o->mem_path, &st)) {
			int e = errno;

			if (e == ENOENT && !o->mem_raw && at && at != o->mem_path)
				return out_err(o->mem_path, "cannot open: %s (a raw "
					       "image is FILE@BASE, and '%s' is no "
					       "address)", strerror(e), at + 1);
			return input_file_err(o->mem_path, e);
		}
		if (S_ISDIR(st.st_mode))
			return input_file_err(o->mem_path, EISDIR);
		errno = 0;
		if (o->mem_raw)
			r = khofmt_source_open_raw(o->mem_path, o->mem_base, &in->src);
		else
			r = khofmt_source_open(o->mem_path, &in->src);
		if (r < 0) {
			int e = errno;

			in->src = NULL;
			if (r == -KHOFMT_ERR_BADELF && !khofmt_source_errmsg(NULL)[0] &&
			    e == 0)
				return out_err(o->mem_path, "neither an ELF core nor a "
					       "dump libkdumpfile reads (a raw image "
					       "needs FILE@BASE)");
			if (r == -KHOFMT_ERR_UNSUPPORTED) {
				char why[256];

				/* libkdumpfile is loaded when needed: say why not */
				if (khofmt_kdump_available(why, sizeof(why)) < 0)
					return out_err(o->mem_path, "a kdump file, and "
						       "libkdumpfile cannot be loaded (%s)",
						       why);
				return out_lib_err(o->mem_path, r, "a kdump file, and this "
						   "khoctl was built without libkdumpfile");
			}
			return out_lib_err(o->mem_path, r,
					   r == -KHOFMT_ERR_IO && e ? strerror(e) : NULL);
		}
		dump_geometry(o, in);
	}
	return 0;
}

static int open_files(const struct input_opts *o, struct input *in)
{
	char errbuf[256] = "";
	void *blob;
	size_t len;
	int r;

	in->name = o->fdt_path ? strcmp(o->fdt_path, "-") ? o->fdt_path :
		   "standard input" : o->mem_path;
	r = input_open_mem(o, in);
	if (r)
		return r;
	if (!o->fdt_path)
		return discover_root(o, in);
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

/*
 * The system's RAM map: "System RAM" of /proc/iomem. A copy that cannot be
 * a RAM map (read without root: every address 0; no System RAM line;
 * unsorted or overlapping lines) is kept as a reason in @in->iomem_bad:
 * commands that need the map refuse it (layout.c), the others go on.
 */
static void take_iomem(struct input *in, const char *p)
{
	if (khofmt_iomem_hidden(in->iomem, in->iomem_len)) {
		snprintf(in->iomem_bad, sizeof(in->iomem_bad), "%s: every address "
			 "reads as 0 (the kernel hides them from non-root "
			 "users): not a RAM map", p);
		return;
	}
	if (khofmt_iomem_ram(in->iomem, in->iomem_len, &in->ram, &in->nram)) {
		snprintf(in->iomem_bad, sizeof(in->iomem_bad), "%s: not a "
			 "/proc/iomem copy", p);
		return;
	}
	if (layout_ram_check(in->ram, in->nram, in->iomem_bad,
			     sizeof(in->iomem_bad), p)) {
		free(in->ram);
		in->ram = NULL;
		in->nram = 0;
		return;
	}
	in->has_ram = true;
}

static void live_iomem(struct input *in, const char *root)
{
	char *p = input_path(root, "proc/iomem");

	if (read_quiet(p, 16 << 20, &in->iomem, &in->iomem_len) == 0) {
		take_iomem(in, p);
		if (in->iomem_bad[0])
			fprintf(stderr, KHOCTL_NAME ": %s%s\n", in->iomem_bad,
				khofmt_iomem_hidden(in->iomem, in->iomem_len) ?
				" (needs root)" : "");
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
	display_progress_end();	/* a measured progress replaces "working" */
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
	in->incoming = incoming;
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
		if (r == -KHOFMT_ERR_UNSUPPORTED)   /* a build without libarchive */
			return out_err(archive, "%s", res.what);
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
	in->incoming = !strcmp(mf.source, "incoming");
	if (!o->page_shift_set && mf.page_shift) {
		in->page_shift = mf.page_shift;
		in->page_shift_known = true;
		in->page_basis = "capture manifest";
		snprintf(in->page_reason, sizeof(in->page_reason),
			 "page_shift %u in %s", in->page_shift, shown_man);
	}
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

		if (read_quiet(ip, 16 << 20, &in->iomem, &in->iomem_len) == 0)
			take_iomem(in, ip);
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
	in->producer = o->producer;
	if (o->page_shift_set) {
		in->page_shift_known = true;
		in->page_basis = "option";
		snprintf(in->page_reason, sizeof(in->page_reason),
			 "--page-shift %u", o->page_shift);
	} else if ((o->kind == INPUT_LIVE || o->kind == INPUT_INCOMING) &&
		   !o->sysroot) {
		/*
		 * --live: this kernel wrote the state, its page size is known.
		 * --incoming: the previous kernel wrote it; the tracker says,
		 * and when it was consumed this kernel's page size is the best
		 * fallback (the same architecture, most likely the same build).
		 */
		long ps = sysconf(_SC_PAGESIZE);

		if (ps == 4096 || ps == 16384 || ps == 65536) {
			in->page_shift = ps == 4096 ? 12 : ps == 16384 ? 14 : 16;
			in->page_shift_known = o->kind == INPUT_LIVE;
			in->page_basis = "running kernel";
			snprintf(in->page_reason, sizeof(in->page_reason),
				 "the running kernel (the producer of --live, the "
				 "fallback for --incoming) has %ld-byte pages", ps);
		}
	}
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

bool input_tracker_consumed(const struct input *in, int r,
			    const struct khofmt_stats *st, char *why,
			    size_t whysz)
{
	size_t i, n = in->fdt ? khofmt_fdt_nsubnodes(in->fdt) : 0, blobs = 0;

	if (!in->incoming)
		return false;
	for (i = 0; i < n; i++)
		if (khofmt_fdt_subnode(in->fdt, i)->has_pa)
			blobs++;
	if (r >= 0 && (st->folios || !blobs))
		return false;
	snprintf(why, whysz, "the incoming tracker was consumed by this kernel: "
		 "%s%s%s; the receiving kernel frees the tracker's pages once it "
		 "has reserved the preserved memory (7.2: during boot), so they "
		 "are zeroed or reused now. What was preserved cannot be read "
		 "from it any more; the blobs still can (dump --incoming), and "
		 "a capture of the outgoing state taken before the kexec can be "
		 "compared (diff)",
		 r < 0 ? "it no longer decodes (" : "it reads empty although ",
		 r < 0 ? khofmt_strerror(r) : "subnodes hold blobs",
		 r < 0 ? ")" : "");
	return true;
}

int input_infer_geom(const struct input_opts *o, struct input *in)
{
	struct khofmt_open_opts oo = {
		.sz = sizeof(oo),
		.page_shift = in->page_shift,
		.abi = o->abi,
		.producer = o->producer,
		.radix_depth = o->radix_depth,
	};
	struct khofmt_geom_guess g;
	int r;

	if (in->page_shift_known || !in->fdt || !in->src)
		return 0;
	r = khofmt_geom_infer(in->fdt, in->src, &oo, &g);
	if (r < 0)
		return out_lib_err(in->name, r, "page size");
	if (r == 1)
		return out_err(in->name, "page size: %s; give --page-shift "
			       "12, 14 or 16", g.reason);
	in->page_shift = g.page_shift;
	in->page_shift_known = true;
	in->page_basis = g.basis == KHOFMT_BASIS_EVIDENCE ? "tracker" : "assumed";
	snprintf(in->page_reason, sizeof(in->page_reason), "%s", g.reason);
	return 0;
}

int input_open_handover(const struct input_opts *o, struct input *in)
{
	struct khofmt_open_opts oo = {
		.sz = sizeof(oo),
		.page_shift = in->page_shift,
		.abi = o->abi,
		.producer = in->producer,
		.radix_depth = o->radix_depth,
	};
	char detail[160];
	int r;

	if (!in->src)
		return out_err(in->name, "no memory source: give --mem FILE");
	r = input_infer_geom(o, in);
	if (r)
		return r;
	oo.page_shift = in->page_shift;
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
			 in->producer ? in->producer : "(none)", o->radix_depth,
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
