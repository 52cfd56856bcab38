// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Capture bundles (khofmt-capture.h): the root FDT, the blobs, a slim ELF
 * core of the pages that describe the handover, and a JSON manifest.
 * Deterministic: the same state and time give byte-identical files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "khofmt.h"

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
 * list) come from the schema decoders, so that every reader decodes the
 * bundle as it decodes the original. Preserved data (memfd folios, test
 * folios) is left to with_data.
 */

/* Structures are small: a span beyond this is hostile and not copied. */
#define HOOK_SPAN_MAX (UINT64_C(64) << 20)

static int hook_span_cb(void *arg, uint64_t pa, uint64_t len)
{
	if (len > HOOK_SPAN_MAX)
		return 0;
	return slim_span(arg, pa, len) < 0;
}

/* Every sub-schema of the registry says which pages its blob points at. */
static void hook_schema(struct slim *s, unsigned page_shift,
			const struct khofmt_subnode *sn)
{
	struct khofmt_schema_opts so = {
		.sz = sizeof(so), .page_shift = page_shift,
	};

	khofmt_subnode_pages(s->src, sn, &so, hook_span_cb, s);
}

/* ---- files ---- */

static char *path2(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int fail(struct khofmt_capture_result *res, const char *path,
		const char *what, int err)
{
	snprintf(res->path, sizeof(res->path), "%s", path ? path : "");
	res->what = what;
	res->sys_errno = err;
	return -KHOFMT_ERR_IO;
}

static int write_file(struct khofmt_capture_result *res, const char *path,
		      const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *p = buf;

	if (fd < 0)
		return fail(res, path, "cannot create", errno);
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;

			close(fd);
			return fail(res, path, "write error", e);
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd))
		return fail(res, path, "write error", errno);
	return 0;
}

static bool blob_name_ok(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

int khofmt_capture_blob(const struct khofmt_capture_input *in,
			const struct khofmt_subnode *sn, void **buf,
			size_t *len, const char **why)
{
	*buf = NULL;
	*len = 0;
	*why = NULL;
	if (sn->has_pa && sn->has_size && sn->size <= KHOFMT_CAPTURE_MAX_BLOB &&
	    in->src && khofmt_source_covers(in->src, sn->pa, sn->size)) {
		*buf = malloc(sn->size ? (size_t)sn->size : 1);
		if (*buf && khofmt_source_read(in->src, sn->pa, *buf,
					       (size_t)sn->size) == 0) {
			*len = (size_t)sn->size;
			return 0;
		}
		free(*buf);
		*buf = NULL;
	}
	if (in->blob_dir && blob_name_ok(sn->name)) {
		char *p = path2(in->blob_dir, sn->name);
		int r = p ? khofmt_read_file(p, KHOFMT_CAPTURE_MAX_BLOB, buf, len) : -1;

		free(p);
		if (r == 0)
			return 0;
	}
	*why = !sn->has_pa ? "no blob address" : "not in the memory source";
	return -KHOFMT_ERR_NOTCOVERED;
}


static void j_str(FILE *o, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	fputc('"', o);
	while (*s) {
		switch (*s) {
		case '"':  fputs("\\\"", o); break;
		case '\\': fputs("\\\\", o); break;
		case '\b': fputs("\\b", o); break;
		case '\f': fputs("\\f", o); break;
		case '\n': fputs("\\n", o); break;
		case '\r': fputs("\\r", o); break;
		case '\t': fputs("\\t", o); break;
		default:
			if (*s < 0x20) {
				fprintf(o, "\\u%04x", *s);
			} else if (*s < 0x80) {
				fputc(*s, o);
			} else if ((n = khofmt_utf8_len((const char *)s))) {
				fwrite(s, 1, n, o);
				s += n;
				continue;
			} else {
				fputs("\\ufffd", o);
			}
		}
		s++;
	}
	fputc('"', o);
}

/* ,"key": (no comma when @first) */
static void j_key(FILE *o, const char *key, bool first)
{
	if (!first)
		fputc(',', o);
	j_str(o, key);
	fputc(':', o);
}

static void j_u64(FILE *o, const char *key, uint64_t v, bool first)
{
	j_key(o, key, first);
	fprintf(o, "%llu", (unsigned long long)v);
}

static void j_kstr(FILE *o, const char *key, const char *v, bool first)
{
	j_key(o, key, first);
	j_str(o, v);
}

static void j_hex(FILE *o, const char *key, const void *data, size_t len)
{
	unsigned char d[32];
	int i;

	khofmt_sha256(data, len, d);
	j_key(o, key, false);
	fputc('"', o);
	for (i = 0; i < 32; i++)
		fprintf(o, "%02x", d[i]);
	fputc('"', o);
}

static void j_ranges(FILE *o, const char *key, const struct khofmt_range *r,
		     size_t n, bool has)
{
	size_t i;

	j_key(o, key, false);
	if (!has) {
		fputs("null", o);
		return;
	}
	fputc('[', o);
	for (i = 0; i < n; i++) {
		fputs(i ? ",{" : "{", o);
		j_u64(o, "start", r[i].start, true);
		j_u64(o, "size", r[i].size, false);
		fputc('}', o);
	}
	fputc(']', o);
}

static int write_manifest(const char *dir, const struct khofmt_capture_input *in,
			  const struct slim *s, struct khofmt_capture_result *res)
{
	char *path = path2(dir, KHOFMT_CAPTURE_MANIFEST);
	const void *blob;
	size_t flen, i, n;
	FILE *o;
	int r = 0, e;

	if (!path)
		return -KHOFMT_ERR_NOMEM;
	o = fopen(path, "we");
	if (!o) {
		r = fail(res, path, "cannot create", errno);
		free(path);
		return r;
	}
	fputs("{\"schema\":\"" KHOFMT_CAPTURE_SCHEMA "\",\"version\":1", o);
	j_kstr(o, "source", in->source ? in->source : "files", false);
	j_kstr(o, "kernel_release", in->release ? in->release : "", false);
	j_u64(o, "time", (uint64_t)in->time, false);
	j_u64(o, "page_shift", in->page_shift ? in->page_shift : 12, false);
	blob = khofmt_fdt_blob(in->fdt, &flen);
	j_key(o, "fdt", false);
	fputc('{', o);
	j_kstr(o, "file", KHOFMT_CAPTURE_FDT, true);
	j_u64(o, "size", flen, false);
	j_hex(o, "sha256", blob, flen);
	j_kstr(o, "compatible", khofmt_fdt_compatible(in->fdt), false);
	if (res->has_fdt_pa)
		j_u64(o, "fdt_pa", res->fdt_pa, false);
	else
		fputs(",\"fdt_pa\":null", o);
	fprintf(o, ",\"recovered\":%s}", in->recovered ? "true" : "false");

	j_key(o, "blobs", false);
	fputc('[', o);
	n = khofmt_fdt_nsubnodes(in->fdt);
	for (i = 0; i < n; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode(in->fdt, i);
		const char *why;
		void *b;
		size_t bl;

		fputs(i ? ",{" : "{", o);
		j_kstr(o, "name", sn->name, true);
		if (sn->has_pa)
			j_u64(o, "preserved_data", sn->pa, false);
		else
			fputs(",\"preserved_data\":null", o);
		if (khofmt_capture_blob(in, sn, &b, &bl, &why) == 0) {
			j_u64(o, "size", bl, false);
			j_hex(o, "sha256", b, bl);
			free(b);
		} else {
			fputs(",\"size\":null,\"sha256\":null", o);
		}
		fputc('}', o);
	}
	fputc(']', o);

	j_key(o, "memory", false);
	fputc('{', o);
	if (res->have_mem)
		j_kstr(o, "file", KHOFMT_CAPTURE_MEM, true);
	else
		fputs("\"file\":null", o);
	fprintf(o, ",\"tracker\":%s,\"with_data\":%s", res->tracker ? "true" : "false",
		in->with_data ? "true" : "false");
	j_u64(o, "pages", s->pages, false);
	j_u64(o, "missing_pages", s->missing, false);
	fputc('}', o);
	j_ranges(o, "scratch", in->scratch, in->nscratch, in->has_scratch);
	j_ranges(o, "ram", in->ram, in->nram, in->has_ram);
	fputs("}\n", o);
	e = ferror(o) ? EIO : 0;
	if (fclose(o) && !e)
		e = errno;
	if (e)
		r = fail(res, path, "write error", e);
	free(path);
	return r;
}

/* scratch_phys and scratch_len, one "0x%llx" line per area. */
static int write_scratch(const char *dir, const struct khofmt_capture_input *in,
			 struct khofmt_capture_result *res)
{
	const char *names[2] = { KHOFMT_CAPTURE_SCRATCH_PHYS, KHOFMT_CAPTURE_SCRATCH_LEN };
	int k, r = 0;

	for (k = 0; k < 2 && !r; k++) {
		char *p = path2(dir, names[k]), *t;
		size_t i, len = 0, cap = in->nscratch * 20 + 1;

		t = malloc(cap);
		if (!t || !p) {
			free(t);
			free(p);
			return -KHOFMT_ERR_NOMEM;
		}
		t[0] = '\0';
		for (i = 0; i < in->nscratch; i++)
			len += (size_t)snprintf(t + len, cap - len, "0x%llx\n",
				(unsigned long long)(k ? in->scratch[i].size
						       : in->scratch[i].start));
		r = write_file(res, p, t, len);
		free(t);
		free(p);
	}
	return r;
}

static int save_memory(const char *dir, const struct khofmt_capture_input *in,
		       struct slim *s, struct khofmt_capture_result *res)
{
	struct khofmt_walk_opts wo = { .sz = sizeof(wo) };
	size_t i, n = khofmt_fdt_nsubnodes(in->fdt);
	unsigned ps = in->page_shift ? in->page_shift : 12;
	char *p;
	int r;

	s->src = in->src;
	s->P = UINT64_C(1) << ps;
	r = khofmt_source_new_mem(&s->mem);
	if (r < 0) {
		snprintf(res->path, sizeof(res->path), "memory");
		return r;
	}
	/*
	 * No tracker (an incoming state after boot: its pages are reused)
	 * still leaves the FDT and the blobs worth saving.
	 */
	if (in->h) {
		r = khofmt_walk_nodes(in->h, &wo, node_cb, s);
		if (r)
			res->tracker_err = r < 0 ? r : -KHOFMT_ERR_NOMEM;
		res->tracker = !r;
	}
	if (res->tracker && !res->has_fdt_pa &&
	    khofmt_handover_fdt_pa(in->h, &res->fdt_pa) == 0)
		res->has_fdt_pa = true;
	if (res->has_fdt_pa)
		slim_page(s, res->fdt_pa);
	if (!res->tracker && in->with_data) {
		res->what = "with_data needs a decodable tracker";
		return -KHOFMT_ERR_INVAL;
	}
	for (i = 0; i < n; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode(in->fdt, i);

		if (sn->has_pa && sn->has_size && sn->size <= KHOFMT_CAPTURE_MAX_BLOB)
			slim_span(s, sn->pa, sn->size);
		hook_schema(s, ps, sn);
	}
	if (in->with_data && (r = khofmt_walk_ranges(in->h, &wo, range_cb, s))) {
		snprintf(res->path, sizeof(res->path), "preserved memory");
		res->what = khofmt_handover_errmsg(in->h);
		return r < 0 ? r : -KHOFMT_ERR_NOMEM;
	}
	if (!s->pages)
		return 0;
	p = path2(dir, KHOFMT_CAPTURE_MEM);
	if (!p)
		return -KHOFMT_ERR_NOMEM;
	r = khofmt_source_write_elf(s->mem, p, 0);
	if (r < 0) {
		snprintf(res->path, sizeof(res->path), "%s", p);
		snprintf(res->detail, sizeof(res->detail), "%s",
			 khofmt_source_errmsg(s->mem) ? khofmt_source_errmsg(s->mem) : "");
		res->what = res->detail;
	}
	free(p);
	if (r < 0)
		return r;
	res->have_mem = true;
	return 0;
}

int khofmt_capture_write(const char *dir, const struct khofmt_capture_input *in,
			 struct khofmt_capture_result *res)
{
	struct slim s = { 0 };
	char *p = NULL, *bdir = NULL;
	const void *blob;
	size_t len, i, n;
	int r;

	memset(res, 0, sizeof(*res));
	if (!dir || !in || !in->fdt || in->sz < sizeof(*in))
		return -KHOFMT_ERR_INVAL;
	res->fdt_pa = in->fdt_pa;
	res->has_fdt_pa = in->has_fdt_pa;
	n = khofmt_fdt_nsubnodes(in->fdt);
	res->blobs = n;
	if (mkdir(dir, 0755) < 0)
		return fail(res, dir, "cannot create", errno);
	bdir = path2(dir, KHOFMT_CAPTURE_BLOBS);
	p = path2(dir, KHOFMT_CAPTURE_FDT);
	r = -KHOFMT_ERR_NOMEM;
	if (!bdir || !p)
		goto out;
	if (mkdir(bdir, 0755) < 0) {
		r = fail(res, bdir, "cannot create", errno);
		goto out;
	}
	blob = khofmt_fdt_blob(in->fdt, &len);
	r = write_file(res, p, blob, len);
	for (i = 0; !r && i < n; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode(in->fdt, i);
		const char *why;
		void *b;
		size_t bl;

		if (!blob_name_ok(sn->name) || khofmt_capture_blob(in, sn, &b, &bl, &why))
			continue;
		free(p);
		p = path2(bdir, sn->name);
		r = p ? write_file(res, p, b, bl) : -KHOFMT_ERR_NOMEM;
		free(b);
	}
	if (!r && in->iomem) {
		free(p);
		p = path2(dir, KHOFMT_CAPTURE_IOMEM);
		r = p ? write_file(res, p, in->iomem, in->iomem_len) : -KHOFMT_ERR_NOMEM;
	}
	/* As debugfs shows them, so the reader is the live one. */
	if (!r && in->has_scratch)
		r = write_scratch(dir, in, res);
	if (!r && in->src)
		r = save_memory(dir, in, &s, res);
	if (!r)
		r = write_manifest(dir, in, &s, res);
out:
	res->pages = s.pages;
	res->missing = s.missing;
	khofmt_source_free(s.mem);
	free(p);
	free(bdir);
	return r;
}
