// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl capture DIR: a self-contained, deterministic bundle of a KHO
 * state that every command reads back with --capture DIR:
 *
 *   manifest.json  schema "khoctl-capture" version 1 (written by the
 *                  same output layer as every JSON document)
 *   fdt.dtb        the full root FDT
 *   blobs/NAME     every subnode's blob (blob-size bytes)
 *   memory.elf     a slim ELF core: the root FDT page (when known), the
 *                  tracker pages and the pages the blobs occupy; with
 *                  --with-data also the preserved memory itself
 *   iomem          /proc/iomem as read (live inputs)
 *
 * Time comes from SOURCE_DATE_EPOCH when set, so that two captures of the
 * same state are byte-identical.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "input.h"
#include "khoctl.h"
#include "out.h"

struct capture_args {
	struct input_opts in;
	const char *dir;
	const char *tar;   /* --tar FILE: the bundle as one ustar archive */
	bool with_data;
};

struct slim {
	struct khofmt_source *src;  /* where pages come from */
	struct khofmt_source *mem;  /* the slim image */
	uint64_t P;
	uint64_t pages, missing;
};

/* Copy the page holding @pa into the slim image (once). */
static int slim_page(struct slim *s, uint64_t pa)
{
	void *data;
	int r;

	pa &= ~(s->P - 1);
	if (khofmt_source_covers(s->mem, pa, s->P))
		return 0;
	if (!khofmt_source_covers(s->src, pa, s->P)) {
		s->missing++;
		return 0;
	}
	r = khofmt_source_mem_add(s->mem, pa, s->P, &data);
	if (r < 0)
		return r;
	s->pages++;
	return khofmt_source_read(s->src, pa, data, (size_t)s->P);
}

static int slim_span(struct slim *s, uint64_t pa, uint64_t len)
{
	uint64_t p, end = pa + len;
	int r;

	if (end < pa)
		return -KHOFMT_ERR_INVAL;
	for (p = pa & ~(s->P - 1); p < end; p += s->P) {
		r = slim_page(s, p);
		if (r < 0)
			return r;
	}
	return 0;
}

static int node_cb(void *arg, uint64_t pa, unsigned level)
{
	(void)level;
	return slim_page(arg, pa) < 0;
}

static int range_cb(void *arg, uint64_t start, uint64_t size)
{
	return slim_span(arg, start, size) < 0;
}

/*
 * Pages that blob structures point at (LUO session and file blocks, memfd
 * records, vmalloc chunks and the arrays they describe, the kho_test folio
 * list) come from the schema decoders, so that every subcommand decodes the
 * bundle as it decodes the original. Preserved data (memfd folios, test
 * folios) is left to --with-data.
 */
typedef int (*capture_hook)(struct input *in, const struct khofmt_subnode *sn,
			    int (*add)(void *slim, uint64_t pa, uint64_t len),
			    void *slim);

/* Structures are small: a span beyond this is hostile and not copied. */
#define HOOK_SPAN_MAX (UINT64_C(64) << 20)

struct luo_hook_arg {
	int (*add)(void *slim, uint64_t pa, uint64_t len);
	void *slim;
};

static int luo_page_cb(void *arg, enum khofmt_luo_page_kind kind,
		       uint64_t pa, uint64_t len)
{
	struct luo_hook_arg *a = arg;

	if (kind == KHOFMT_LUO_PAGE_MEMFD_FOLIO || len > HOOK_SPAN_MAX)
		return 0;
	return a->add(a->slim, pa, len) < 0;
}

static int hook_luo(struct input *in, const struct khofmt_subnode *sn,
		    int (*add)(void *slim, uint64_t pa, uint64_t len),
		    void *slim)
{
	struct khofmt_schema_opts so = {
		.sz = sizeof(so), .page_shift = in->page_shift,
	};
	struct luo_hook_arg a = { add, slim };
	enum khofmt_schema_kind kind;
	struct khofmt_luo *luo;
	void *blob;
	size_t len;
	int r;

	if (khofmt_subnode_blob_read(in->src, sn, &blob, &len) < 0)
		return 0;
	kind = khofmt_subnode_schema(sn, blob, len);
	r = 0;
	if ((kind == KHOFMT_SCHEMA_LUO_V5 || kind == KHOFMT_SCHEMA_LUO_V1) &&
	    khofmt_luo_open(in->src, blob, len, &so, &luo) == 0) {
		/* A broken chain still yields the pages read before it. */
		khofmt_luo_walk_pages(luo, luo_page_cb, &a);
		khofmt_luo_free(luo);
	}
	free(blob);
	return r;
}

static int hook_kho_test(struct input *in, const struct khofmt_subnode *sn,
			 int (*add)(void *slim, uint64_t pa, uint64_t len),
			 void *slim)
{
	struct khofmt_schema_opts so = {
		.sz = sizeof(so), .page_shift = in->page_shift,
	};
	struct khofmt_vmalloc_iter it;
	struct khofmt_kho_test t;
	uint64_t pa, len, chunk = 0;
	void *blob;
	size_t blen;

	if (khofmt_subnode_blob_read(in->src, sn, &blob, &blen) < 0)
		return 0;
	if (khofmt_subnode_schema(sn, blob, blen) == KHOFMT_SCHEMA_KHO_TEST_V1 &&
	    khofmt_kho_test_open(in->src, blob, blen, &so, &t) == 0 &&
	    t.has_vmalloc &&
	    khofmt_vmalloc_iter_init(&it, in->src, &t.folios_info, &so) == 0) {
		/* The folio list: its chunk pages and the runs holding it. */
		while (khofmt_vmalloc_run_next(&it, &pa, &len) == 0) {
			if (it.chunk && it.chunk != chunk) {
				chunk = it.chunk;
				add(slim, chunk, UINT64_C(1) << in->page_shift);
			}
			if (len <= HOOK_SPAN_MAX)
				add(slim, pa, len);
		}
	}
	free(blob);
	return 0;
}

static const capture_hook capture_hooks[] = {
	hook_luo, hook_kho_test, NULL
};

static int hook_add(void *slim, uint64_t pa, uint64_t len)
{
	return slim_span(slim, pa, len);
}

static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *p = buf;

	if (fd < 0)
		return out_err(path, "cannot create: %s", strerror(errno));
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return out_err(path, "write error: %s", strerror(errno));
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd))
		return out_err(path, "write error: %s", strerror(errno));
	return 0;
}

static void hex32(char *o, const unsigned char d[32])
{
	int i;

	for (i = 0; i < 32; i++)
		sprintf(o + 2 * i, "%02x", d[i]);
}

static void emit_ranges(const char *key, const struct khofmt_range *r, size_t n)
{
	size_t i;

	out_array_begin(key);
	for (i = 0; i < n; i++) {
		out_obj_begin(NULL);
		out_addr("start", r[i].start);
		out_size("size", r[i].size);
		out_obj_end();
	}
	out_array_end();
}

static const char *kind_name(enum input_kind k)
{
	switch (k) {
	case INPUT_LIVE: return "live";
	case INPUT_INCOMING: return "incoming";
	case INPUT_CAPTURE: return "capture";
	default: return "files";
	}
}

/* The manifest, through the output layer with stdout on the file. */
static int write_manifest(const struct capture_args *a, struct input *in,
			  const struct slim *s, bool have_mem, bool tracker,
			  long long when)
{
	struct out_opts jo = { .json = true };
	char *path = input_path(a->dir, CAPTURE_MANIFEST), hex[65];
	unsigned char dig[32];
	const void *blob;
	size_t flen, i, n;
	int saved, fd, r;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (saved < 0 || fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
		r = out_err(path, "cannot create: %s", strerror(errno));
		free(path);
		return r;
	}
	close(fd);
	out_init(&jo);
	out_doc_begin("capture", OUT_STYLE_RECORD);
	out_str("source", kind_name(a->in.kind));
	out_str("kernel_release", in->release);
	out_u64("time", (uint64_t)when);
	out_u64("page_shift", in->page_shift);
	blob = khofmt_fdt_blob(in->fdt, &flen);
	khofmt_sha256(blob, flen, dig);
	hex32(hex, dig);
	out_obj_begin("fdt");
	out_str("file", CAPTURE_FDT);
	out_size("size", flen);
	out_str("sha256", hex);
	out_str("compatible", khofmt_fdt_compatible(in->fdt));
	if (in->has_fdt_pa)
		out_addr("fdt_pa", in->fdt_pa);
	else
		out_null("fdt_pa", "(unknown)");
	out_bool("recovered", in->recovered != 0);
	out_obj_end();

	out_array_begin("blobs");
	n = khofmt_fdt_nsubnodes(in->fdt);
	for (i = 0; i < n; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode(in->fdt, i);
		const char *why;
		void *b;
		size_t bl;

		out_obj_begin(NULL);
		out_str("name", sn->name);
		if (sn->has_pa)
			out_addr("preserved_data", sn->pa);
		else
			out_null("preserved_data", "(absent)");
		if (input_blob(in, sn, &b, &bl, &why) == 0) {
			khofmt_sha256(b, bl, dig);
			hex32(hex, dig);
			out_size("size", bl);
			out_str("sha256", hex);
			free(b);
		} else {
			out_null("size", why);
			out_null("sha256", why);
		}
		out_obj_end();
	}
	out_array_end();

	out_obj_begin("memory");
	if (have_mem)
		out_str("file", CAPTURE_MEM);
	else
		out_null("file", "(none)");
	out_bool("tracker", tracker);
	out_bool("with_data", a->with_data);
	out_u64("pages", s->pages);
	out_u64("missing_pages", s->missing);
	out_obj_end();
	if (in->has_scratch)
		emit_ranges("scratch", in->scratch, in->nscratch);
	else
		out_null("scratch", "(unknown)");
	if (in->has_ram)
		emit_ranges("ram", in->ram, in->nram);
	else
		out_null("ram", "(unknown)");
	r = out_doc_end();
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	out_init(&a->in.out);
	free(path);
	return r;
}

/* ---- ustar output (deterministic: fixed order, owner 0, mtime = time) ---- */

/* @w - 1 octal digits and a NUL (values too large are refused earlier) */
static void tar_octal(char *f, size_t w, uint64_t v)
{
	size_t i;

	f[w - 1] = '\0';
	for (i = w - 1; i-- > 0; v >>= 3)
		f[i] = (char)('0' + (v & 7));
}

static int tar_member(FILE *t, const char *name, const char *path, bool dir,
		      long long when)
{
	unsigned char h[512], buf[65536];
	unsigned sum = 0;
	uint64_t size = 0, left;
	struct stat st;
	FILE *f = NULL;
	size_t i;

	if (strlen(name) >= 100)
		return out_err(name, "name too long for a tar member");
	if (!dir) {
		f = fopen(path, "rb");
		if (!f || fstat(fileno(f), &st)) {
			if (f)
				fclose(f);
			return out_err(path, "cannot read: %s", strerror(errno));
		}
		size = (uint64_t)st.st_size;
		if (size >= UINT64_C(1) << 33) {
			fclose(f);
			return out_err(path, "too large for a ustar member");
		}
	}
	memset(h, 0, sizeof(h));
	memcpy(h, name, strlen(name));
	tar_octal((char *)h + 100, 8, dir ? 0755 : 0644);
	tar_octal((char *)h + 108, 8, 0);
	tar_octal((char *)h + 116, 8, 0);
	tar_octal((char *)h + 124, 12, size);
	tar_octal((char *)h + 136, 12, when < 0 ? 0 : (uint64_t)when);
	h[156] = dir ? '5' : '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	fwrite(h, 1, 512, t);
	for (left = size; left;) {
		size_t n = fread(buf, 1, left < sizeof(buf) ? (size_t)left : sizeof(buf), f);

		if (!n) {
			fclose(f);
			return out_err(path, "read error");
		}
		fwrite(buf, 1, n, t);
		left -= n;
	}
	if (size % 512) {
		memset(buf, 0, 512);
		fwrite(buf, 1, 512 - size % 512, t);
	}
	if (f)
		fclose(f);
	return 0;
}

/* scratch_phys and scratch_len, one "0x%llx" line per area. */
static int write_scratch(const char *dir, const struct input *in)
{
	const char *names[2] = { CAPTURE_SCRATCH_PHYS, CAPTURE_SCRATCH_LEN };
	int k, r = 0;

	for (k = 0; k < 2 && !r; k++) {
		char *p = input_path(dir, names[k]), *t;
		size_t i, len = 0, cap = in->nscratch * 20 + 1;

		t = malloc(cap);
		if (!t) {
			free(p);
			return out_err("scratch", "out of memory");
		}
		t[0] = '\0';
		for (i = 0; i < in->nscratch; i++)
			len += (size_t)snprintf(t + len, cap - len, "0x%llx\n",
				(unsigned long long)(k ? in->scratch[i].size
						       : in->scratch[i].start));
		r = write_file(p, t, len);
		free(t);
		free(p);
	}
	return r;
}

/* Archive the bundle in @dir as @tar with members under @top/. */
static int write_tar(const char *dir, const char *tar, long long when)
{
	static const char *const files[] = { CAPTURE_MANIFEST, CAPTURE_FDT,
					     CAPTURE_MEM, CAPTURE_IOMEM,
					     CAPTURE_SCRATCH_PHYS,
					     CAPTURE_SCRATCH_LEN };
	char *bdir = input_path(dir, CAPTURE_BLOBS), *top, *dot, *p, *m;
	const char *base = strrchr(tar, '/') ? strrchr(tar, '/') + 1 : tar;
	struct dirent **ents = NULL;
	int n, i, r = 0;
	FILE *t;

	top = strdup(base);
	if (!top)
		return out_err(tar, "out of memory");
	dot = strstr(top, ".tar");
	if (dot && dot != top)
		*dot = '\0';
	t = fopen(tar, "wb");
	if (!t) {
		free(top);
		free(bdir);
		return out_err(tar, "cannot create: %s", strerror(errno));
	}
	m = input_path(top, "");
	r = tar_member(t, m, dir, true, when);
	free(m);
	for (i = 0; !r && i < (int)(sizeof(files) / sizeof(files[0])); i++) {
		p = input_path(dir, files[i]);
		m = input_path(top, files[i]);
		if (access(p, F_OK) == 0)
			r = tar_member(t, m, p, false, when);
		free(p);
		free(m);
	}
	n = scandir(bdir, &ents, NULL, alphasort);
	if (!r) {
		m = input_path(top, CAPTURE_BLOBS "/");
		r = tar_member(t, m, bdir, true, when);
		free(m);
	}
	for (i = 0; i < n; i++) {
		if (!r && ents[i]->d_name[0] != '.') {
			char *mb = input_path(top, CAPTURE_BLOBS);

			p = input_path(bdir, ents[i]->d_name);
			m = input_path(mb, ents[i]->d_name);
			r = tar_member(t, m, p, false, when);
			free(p);
			free(m);
			free(mb);
		}
		free(ents[i]);
	}
	free(ents);
	if (!r) {
		unsigned char z[1024] = { 0 };

		fwrite(z, 1, sizeof(z), t);
	}
	if (fclose(t) && !r)
		r = out_err(tar, "write error: %s", strerror(errno));
	if (r)
		unlink(tar);
	free(top);
	free(bdir);
	return r;
}

/* rm -r of the temporary bundle (only the names capture writes). */
static void remove_bundle(const char *dir)
{
	static const char *const files[] = { CAPTURE_MANIFEST, CAPTURE_FDT,
					     CAPTURE_MEM, CAPTURE_IOMEM,
					     CAPTURE_SCRATCH_PHYS,
					     CAPTURE_SCRATCH_LEN };
	char *bdir = input_path(dir, CAPTURE_BLOBS), *p;
	struct dirent **ents = NULL;
	size_t i;
	int n, k;

	n = scandir(bdir, &ents, NULL, NULL);
	for (k = 0; k < n; k++) {
		if (ents[k]->d_name[0] != '.') {
			p = input_path(bdir, ents[k]->d_name);
			unlink(p);
			free(p);
		}
		free(ents[k]);
	}
	free(ents);
	rmdir(bdir);
	free(bdir);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		p = input_path(dir, files[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

static const struct argp_option capture_options[] = {
	{ "with-data", 'D', NULL, 0,
	  "Also copy the preserved memory itself into memory.elf", 0 },
	{ "tar", 'T', "FILE", 0,
	  "Write the bundle as one ustar archive FILE instead of a directory "
	  "(its members are under NAME/, NAME = FILE's base name without .tar)", 0 },
	{ 0 }
};

static error_t capture_parse(int key, char *arg, struct argp_state *state)
{
	struct capture_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->in;
		return 0;
	case 'D':
		a->with_data = true;
		return 0;
	case 'T':
		a->tar = arg;
		return 0;
	case ARGP_KEY_ARG:
		if (a->dir || a->tar)
			argp_error(state, "give one DIR, or --tar FILE");
		a->dir = arg;
		return 0;
	case ARGP_KEY_END:
		if (!a->dir && !a->tar)
			argp_error(state, "no DIR given (or --tar FILE)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child capture_children[] = {
	{ &input_argp, 0, "Input options:", 0 },
	{ 0 }
};

static const struct argp capture_argp = {
	.options = capture_options,
	.parser = capture_parse,
	.args_doc = "DIR\n--tar FILE",
	.doc = "Save a self-contained bundle of a KHO state in DIR (created; "
	       "must not exist): manifest.json (schema khoctl-capture), "
	       "fdt.dtb, blobs/NAME, memory.elf (tracker and blob pages only, "
	       "unless --with-data) and iomem. Read it back with --capture DIR. "
	       "SOURCE_DATE_EPOCH sets the recorded time.\v" KHOCTL_EXIT_DOC,
	.children = capture_children,
};

int cmd_capture(int argc, char **argv)
{
	struct khofmt_walk_opts wo = { .sz = sizeof(wo) };
	struct capture_args a = { .dir = NULL };
	struct slim s = { 0 };
	struct input in;
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	long long when = sde && *sde ? strtoll(sde, NULL, 10) : (long long)time(NULL);
	char *p = NULL, *bdir = NULL, *tmpdir = NULL;
	const void *blob;
	size_t len, i, n;
	bool have_mem = false, tracker = false;
	int r;

	input_opts_init(&a.in, 0);
	argp_parse(&capture_argp, argc, argv, 0, NULL, &a);
	out_init(&a.in.out);
	if (a.tar) {
		tmpdir = malloc(strlen(a.tar) + 16);
		if (!tmpdir)
			return out_err(a.tar, "out of memory");
		sprintf(tmpdir, "%s.tmp.XXXXXX", a.tar);
		if (!mkdtemp(tmpdir)) {
			r = out_err(a.tar, "cannot create a temporary directory: %s",
				    strerror(errno));
			free(tmpdir);
			return r;
		}
		rmdir(tmpdir);	/* recreated below like a DIR argument */
		a.dir = tmpdir;
	}
	r = input_open(&a.in, &in);
	if (r)
		return r;
	if (!in.release[0] && a.in.kind == INPUT_LIVE && !a.in.sysroot) {
		struct utsname u;

		if (uname(&u) == 0)
			snprintf(in.release, sizeof(in.release), "%s", u.release);
	}
	if (mkdir(a.dir, 0755) < 0) {
		r = out_err(a.dir, "cannot create: %s", strerror(errno));
		goto out;
	}
	bdir = input_path(a.dir, CAPTURE_BLOBS);
	if (mkdir(bdir, 0755) < 0) {
		r = out_err(bdir, "cannot create: %s", strerror(errno));
		goto out;
	}
	blob = khofmt_fdt_blob(in.fdt, &len);
	p = input_path(a.dir, CAPTURE_FDT);
	r = write_file(p, blob, len);
	if (r)
		goto out;

	n = khofmt_fdt_nsubnodes(in.fdt);
	for (i = 0; i < n; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode(in.fdt, i);
		const char *why;
		void *b;
		size_t bl;

		if (strchr(sn->name, '/') || !strcmp(sn->name, ".") ||
		    !strcmp(sn->name, "..") || !sn->name[0] ||
		    input_blob(&in, sn, &b, &bl, &why))
			continue;
		free(p);
		p = input_path(bdir, sn->name);
		r = write_file(p, b, bl);
		free(b);
		if (r)
			goto out;
	}
	if (in.iomem) {
		free(p);
		p = input_path(a.dir, CAPTURE_IOMEM);
		r = write_file(p, in.iomem, in.iomem_len);
		if (r)
			goto out;
	}
	if (in.has_scratch) {
		/* As debugfs shows them, so the reader is the live one. */
		r = write_scratch(a.dir, &in);
		if (r)
			goto out;
	}

	if (in.src) {
		s.src = in.src;
		s.P = UINT64_C(1) << in.page_shift;
		r = khofmt_source_new_mem(&s.mem);
		if (r < 0) {
			r = out_lib_err("memory", r, NULL);
			goto out;
		}
		/*
		 * No tracker (an incoming state after boot: its pages are
		 * reused) still leaves the FDT and the blobs worth saving.
		 */
		r = input_open_handover(&a.in, &in);
		if (!r) {
			r = khofmt_walk_nodes(in.h, &wo, node_cb, &s);
			if (r)
				out_lib_err("tracker", r < 0 ? r : -KHOFMT_ERR_NOMEM,
					    khofmt_handover_errmsg(in.h));
		}
		tracker = !r;
		if (tracker && !in.has_fdt_pa &&
		    khofmt_handover_fdt_pa(in.h, &in.fdt_pa) == 0)
			in.has_fdt_pa = true;
		if (in.has_fdt_pa)
			slim_page(&s, in.fdt_pa);
		if (!tracker) {
			if (a.with_data) {
				r = out_err(a.dir, "--with-data needs a decodable tracker");
				goto out;
			}
			fprintf(stderr, KHOCTL_NAME ": %s: tracker not saved; the "
				"bundle holds the root FDT and the blobs\n", a.dir);
		}
		r = 0;
		for (i = 0; i < n; i++) {
			const struct khofmt_subnode *sn = khofmt_fdt_subnode(in.fdt, i);
			size_t k;

			if (sn->has_pa && sn->has_size && sn->size <= INPUT_MAX_FILE)
				slim_span(&s, sn->pa, sn->size);
			for (k = 0; capture_hooks[k]; k++)
				capture_hooks[k](&in, sn, hook_add, &s);
		}
		if (a.with_data &&
		    (r = khofmt_walk_ranges(in.h, &wo, range_cb, &s))) {
			r = out_lib_err("preserved memory", r < 0 ? r : -KHOFMT_ERR_NOMEM,
					khofmt_handover_errmsg(in.h));
			goto out;
		}
		if (s.pages) {
			free(p);
			p = input_path(a.dir, CAPTURE_MEM);
			r = khofmt_source_write_elf(s.mem, p, 0);
			if (r < 0) {
				r = out_lib_err(p, r, khofmt_source_errmsg(s.mem));
				goto out;
			}
			have_mem = true;
		}
	}
	r = write_manifest(&a, &in, &s, have_mem, tracker, when);
	if (r)
		goto out;

	if (a.tar) {
		r = write_tar(a.dir, a.tar, when);
		if (r)
			goto out;
	}
	out_doc_begin("capture-result", OUT_STYLE_RECORD);
	if (a.tar)
		out_str("archive", a.tar);
	else
		out_str("directory", a.dir);
	out_u64("blobs", n);
	out_u64("memory_pages", s.pages);
	out_u64("missing_pages", s.missing);
	r = out_doc_end();
out:
	khofmt_source_free(s.mem);
	free(p);
	free(bdir);
	if (tmpdir) {
		remove_bundle(tmpdir);
		free(tmpdir);
	}
	input_close(&in);
	return r;
}
