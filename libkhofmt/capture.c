// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Capture bundles (khofmt-capture.h): the root FDT, the blobs, a slim ELF
 * core of the pages that describe the handover, and a JSON manifest.
 * Deterministic: the same state and time give byte-identical files.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <nettle/sha2.h>

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


/*
 * The manifest is built as a json-c object and printed by json-c: the
 * library has no JSON writer of its own (khoctl's output layer is the
 * only one in the tree, and the library does not print).
 */

/* @s as a json-c string; invalid UTF-8 bytes become U+FFFD (json-c
 * escapes quotes and control characters itself, but passes other bytes). */
static struct json_object *j_string(const char *s)
{
	size_t n = strlen(s), o = 0, k;
	struct json_object *j;
	char *t = malloc(3 * n + 1);

	if (!t)
		return NULL;
	while (*s) {
		k = (unsigned char)*s < 0x80 ? 1 : khofmt_utf8_len(s);
		if (k) {
			memcpy(t + o, s, k);
			o += k;
			s += k;
		} else {
			memcpy(t + o, "\xef\xbf\xbd", 3);
			o += 3;
			s++;
		}
	}
	t[o] = '\0';
	j = json_object_new_string_len(t, (int)o);
	free(t);
	return j;
}

/* Members are added in a fixed order: json-c keeps insertion order. */
static void j_add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *j_sha256(const void *data, size_t len)
{
	unsigned char d[SHA256_DIGEST_SIZE];
	char h[2 * SHA256_DIGEST_SIZE + 1];
	struct sha256_ctx c;
	int i;

	sha256_init(&c);
	sha256_update(&c, len, data);
	sha256_digest(&c, sizeof(d), d);
	for (i = 0; i < SHA256_DIGEST_SIZE; i++)
		snprintf(h + 2 * i, 3, "%02x", d[i]);
	return json_object_new_string(h);
}

static struct json_object *j_ranges(const struct khofmt_range *r, size_t n,
				    bool has)
{
	struct json_object *a;
	size_t i;

	if (!has)
		return NULL;
	a = json_object_new_array();
	for (i = 0; a && i < n; i++) {
		struct json_object *e = json_object_new_object();

		j_add(e, "start", json_object_new_uint64(r[i].start));
		j_add(e, "size", json_object_new_uint64(r[i].size));
		json_object_array_add(a, e);
	}
	return a;
}

static int write_manifest(const char *dir, const struct khofmt_capture_input *in,
			  const struct slim *s, struct khofmt_capture_result *res)
{
	struct json_object *m, *f, *bl, *mem;
	char *path = path2(dir, KHOFMT_CAPTURE_MANIFEST);
	const char *text;
	const void *blob;
	size_t flen, i, n;
	int r;

	m = json_object_new_object();
	if (!path || !m) {
		free(path);
		json_object_put(m);
		return -KHOFMT_ERR_NOMEM;
	}
	j_add(m, "schema", json_object_new_string(KHOFMT_CAPTURE_SCHEMA));
	j_add(m, "version", json_object_new_int(1));
	j_add(m, "source", j_string(in->source ? in->source : "files"));
	j_add(m, "kernel_release", j_string(in->release ? in->release : ""));
	j_add(m, "time", json_object_new_int64(in->time));
	j_add(m, "page_shift", json_object_new_int((int)(in->page_shift ? in->page_shift : 12)));
	blob = khofmt_fdt_blob(in->fdt, &flen);
	f = json_object_new_object();
	j_add(f, "file", json_object_new_string(KHOFMT_CAPTURE_FDT));
	j_add(f, "size", json_object_new_uint64(flen));
	j_add(f, "sha256", j_sha256(blob, flen));
	j_add(f, "compatible", j_string(khofmt_fdt_compatible(in->fdt)));
	j_add(f, "fdt_pa", res->has_fdt_pa ? json_object_new_uint64(res->fdt_pa) : NULL);
	j_add(f, "recovered", json_object_new_boolean(in->recovered));
	j_add(m, "fdt", f);

	bl = json_object_new_array();
	n = khofmt_fdt_nsubnodes(in->fdt);
	for (i = 0; i < n; i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode(in->fdt, i);
		struct json_object *e = json_object_new_object();
		const char *why;
		void *b;
		size_t bn;

		j_add(e, "name", j_string(sn->name));
		j_add(e, "preserved_data", sn->has_pa ? json_object_new_uint64(sn->pa) : NULL);
		if (khofmt_capture_blob(in, sn, &b, &bn, &why) == 0) {
			j_add(e, "size", json_object_new_uint64(bn));
			j_add(e, "sha256", j_sha256(b, bn));
			free(b);
		} else {
			j_add(e, "size", NULL);
			j_add(e, "sha256", NULL);
		}
		json_object_array_add(bl, e);
	}
	j_add(m, "blobs", bl);

	mem = json_object_new_object();
	j_add(mem, "file", res->have_mem ? json_object_new_string(KHOFMT_CAPTURE_MEM) : NULL);
	j_add(mem, "tracker", json_object_new_boolean(res->tracker));
	j_add(mem, "with_data", json_object_new_boolean(in->with_data));
	j_add(mem, "pages", json_object_new_uint64(s->pages));
	j_add(mem, "missing_pages", json_object_new_uint64(s->missing));
	j_add(m, "memory", mem);
	j_add(m, "scratch", j_ranges(in->scratch, in->nscratch, in->has_scratch));
	j_add(m, "ram", j_ranges(in->ram, in->nram, in->has_ram));

	text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text) {
		r = -KHOFMT_ERR_NOMEM;
	} else {
		size_t tl = strlen(text);
		char *t = malloc(tl + 2);

		r = -KHOFMT_ERR_NOMEM;
		if (t) {
			memcpy(t, text, tl);
			t[tl] = '\n';
			r = write_file(res, path, t, tl + 1);
			free(t);
		}
	}
	json_object_put(m);
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

/* ---- reading the manifest ---- */

static int __attribute__((format(printf, 4, 5)))
m_err(char *errbuf, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (errbuf && errlen) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* A member that must be a non-negative integer when present. */
static int m_u64(struct json_object *o, const char *key, uint64_t *v,
		 bool *has, char *errbuf, size_t errlen)
{
	struct json_object *j;

	*has = false;
	if (!json_object_object_get_ex(o, key, &j) || !j)
		return 0;
	if (!json_object_is_type(j, json_type_int) || json_object_get_int64(j) < 0)
		return m_err(errbuf, errlen, -KHOFMT_ERR_STRUCT,
			     "\"%s\" is not a non-negative integer", key);
	*v = json_object_get_uint64(j);
	*has = true;
	return 0;
}

static int m_str(struct json_object *o, const char *key, char *buf,
		 size_t size, char *errbuf, size_t errlen)
{
	struct json_object *j;

	buf[0] = '\0';
	if (!json_object_object_get_ex(o, key, &j) || !j)
		return 0;
	if (!json_object_is_type(j, json_type_string))
		return m_err(errbuf, errlen, -KHOFMT_ERR_STRUCT,
			     "\"%s\" is not a string", key);
	snprintf(buf, size, "%s", json_object_get_string(j));
	return 0;
}

int khofmt_capture_manifest_parse(const char *text, size_t len,
				  struct khofmt_capture_manifest *m,
				  char *errbuf, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *doc, *j, *fdt;
	uint64_t v;
	bool has;
	int r;

	if (!text || !m || m->sz < sizeof(*m) || len > INT_MAX)
		return -KHOFMT_ERR_INVAL;
	memset((char *)m + sizeof(m->sz), 0, sizeof(*m) - sizeof(m->sz));
	if (errbuf && errlen)
		errbuf[0] = '\0';
	tok = json_tokener_new();	/* default depth limit: 32 */
	if (!tok)
		return -KHOFMT_ERR_NOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, text, (int)len);
	if (!doc || json_tokener_get_error(tok) != json_tokener_success) {
		r = m_err(errbuf, errlen, -KHOFMT_ERR_STRUCT, "not JSON: %s",
			  json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(doc);
		json_tokener_free(tok);
		return r;
	}
	/* nothing but white space after the document */
	{
		size_t e = json_tokener_get_parse_end(tok);

		while (e < len && strchr(" \t\r\n", text[e]) && text[e])
			e++;
		json_tokener_free(tok);
		if (e < len) {
			json_object_put(doc);
			return m_err(errbuf, errlen, -KHOFMT_ERR_STRUCT,
				     "%s", "data after the JSON document");
		}
	}
	if (!json_object_is_type(doc, json_type_object)) {
		r = m_err(errbuf, errlen, -KHOFMT_ERR_STRUCT, "%s",
			  "not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(doc, "schema", &j) ||
	    !json_object_is_type(j, json_type_string) ||
	    strcmp(json_object_get_string(j), KHOFMT_CAPTURE_SCHEMA)) {
		r = m_err(errbuf, errlen, -KHOFMT_ERR_COMPAT, "%s",
			  "schema is not \"" KHOFMT_CAPTURE_SCHEMA "\"");
		goto out;
	}
	r = m_u64(doc, "version", &v, &has, errbuf, errlen);
	if (r)
		goto out;
	if (!has || v != 1) {
		r = m_err(errbuf, errlen, -KHOFMT_ERR_UNSUPPORTED, "%s",
			  "version is not 1");
		goto out;
	}
	r = m_u64(doc, "page_shift", &v, &has, errbuf, errlen);
	if (r)
		goto out;
	if (has && (v == 12 || v == 14 || v == 16))
		m->page_shift = (unsigned)v;
	r = m_u64(doc, "time", &v, &has, errbuf, errlen);
	if (r)
		goto out;
	m->time = has && v <= INT64_MAX ? (long long)v : 0;
	r = m_str(doc, "source", m->source, sizeof(m->source), errbuf, errlen);
	if (!r)
		r = m_str(doc, "kernel_release", m->kernel_release,
			  sizeof(m->kernel_release), errbuf, errlen);
	if (r)
		goto out;
	if (json_object_object_get_ex(doc, "fdt", &fdt) && fdt) {
		if (!json_object_is_type(fdt, json_type_object)) {
			r = m_err(errbuf, errlen, -KHOFMT_ERR_STRUCT, "%s",
				  "\"fdt\" is not an object");
			goto out;
		}
		r = m_u64(fdt, "fdt_pa", &m->fdt_pa, &m->has_fdt_pa, errbuf,
			  errlen);
	}
out:
	json_object_put(doc);
	return r;
}
