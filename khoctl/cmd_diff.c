// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl diff OLD NEW: compare two KHO states, typically the outgoing
 * state captured before a kexec and what the next kernel received.
 *
 * Each side is one of:
 *   DIR             a `khoctl capture` bundle (has manifest.json)
 *   live            the running kernel's outgoing state (--sysroot applies)
 *   incoming        the state the running kernel received (--sysroot)
 *   FDT:MEM         a root FDT file and an ELF core (MEM@BASE: raw image);
 *                   a path with ':' in it stays one path (split_colon)
 *   FILE.tar[.zst]  a capture bundle archive
 *   DUMP, :MEM      a dump alone: the root is found in memory
 *   FDT             a root FDT file alone (no folio comparison)
 *
 * Compared: root compatible and generation; preserved entries per order
 * (both trackers streamed in address order and merged: memory does not
 * grow with the number of entries); blobs by name (missing, added, size,
 * SHA-256). A side whose tracker cannot be decoded (the incoming side
 * after boot: its tracker pages are reused once the kernel has reserved
 * the memory) is reported as not compared, not as everything lost.
 *
 * Exit: 0 same, 1 differences, 2 a side could not be read.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <nettle/sha2.h>

#include "input.h"
#include "khoctl.h"
#include "out.h"
#include "table.h"

struct diff_args {
	struct input_opts in;   /* common options (+ --sysroot) */
	const char *spec[2];
	bool list;              /* list every changed run */
};

struct side {
	struct input_opts o;
	struct input in;
	char *fdt, *mem;        /* owned copies of the spec parts */
	bool tracker;           /* handover opened and tracker decodable */
	const char *why;        /* why not */
};

static const struct out_col run_cols[] = {
	{ "change", "CHANGE", -6, 0 },
	{ "order", "ORDER", 5, 0 },
	{ "phys", "PHYS", 18, 0 },
	{ "count", "COUNT", 10, 0 },
};

static const struct out_col order_cols[] = {
	{ "order", "ORDER", 5, 0 },
	{ "lost", "LOST", 10, 0 },
	{ "added", "ADDED", 10, 0 },
};

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* An ELF core or kdump file rather than an FDT (by its first bytes). */
static bool looks_like_dump(const char *path)
{
	unsigned char h[8];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return false;
	n = fread(h, 1, sizeof(h), f);
	fclose(f);
	return (n >= 4 && !memcmp(h, "\177ELF", 4)) ||
	       (n == 8 && (!memcmp(h, "KDUMP   ", 8) || !memcmp(h, "DISKDUMP", 8) ||
			   !memcmp(h, "makedump", 8)));
}

static bool is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* MEM of FDT:MEM exists (MEM@BASE: MEM does). */
static bool mem_exists(const char *m)
{
	const char *at = strrchr(m, '@');
	uint64_t base;
	char *t;
	bool r;

	if (is_file(m) || !at || at == m || !input_parse_u64(at + 1, &base))
		return is_file(m);
	t = strndup(m, (size_t)(at - m));
	r = t && is_file(t);
	free(t);
	return r;
}

/*
 * Where FDT:MEM splits. A path with ':' in it is never split: a spec that
 * names an existing file is that file; otherwise the ':' whose two sides
 * are existing files (exactly one such: else ambiguous, -1), or, when none
 * is, the first one (the error then names the missing file). NULL: no ':'.
 */
static const char *split_colon(const char *spec, int *ambiguous)
{
	const char *c, *found = NULL;
	int n = 0;

	*ambiguous = 0;
	if (is_file(spec))
		return NULL;
	for (c = strchr(spec, ':'); c; c = strchr(c + 1, ':')) {
		char *fdt = strndup(spec, (size_t)(c - spec));
		bool ok = fdt && (c == spec || is_file(fdt)) && mem_exists(c + 1);

		free(fdt);
		if (ok) {
			found = found ? found : c;
			n++;
		}
	}
	if (n > 1)
		*ambiguous = 1;
	return found ? found : strchr(spec, ':');
}

/* Turn a side's spec into input options. */
static int side_parse(const struct diff_args *a, const char *spec,
		      struct side *s)
{
	const char *colon;
	char *at;
	uint64_t base;
	int amb;

	s->o = a->in;
	s->o.need = 0;
	if (!strcmp(spec, "live") || !strcmp(spec, "incoming")) {
		s->o.kind = spec[0] == 'l' ? INPUT_LIVE : INPUT_INCOMING;
		return 0;
	}
	s->o.sysroot = NULL;
	if (is_dir(spec)) {
		s->o.kind = INPUT_CAPTURE;
		s->o.capture_dir = spec;
		return 0;
	}
	if (khofmt_capture_form(spec) != KHOFMT_CAPTURE_FORM_DIR &&
	    is_file(spec)) {
		/* a capture bundle archive */
		s->o.kind = INPUT_CAPTURE;
		s->o.capture_dir = spec;
		return 0;
	}
	s->o.kind = INPUT_FILES;
	colon = split_colon(spec, &amb);
	if (amb)
		return out_err(spec, "ambiguous: more than one ':' splits it into "
			       "an existing FDT file and memory dump (rename one)");
	if (!colon && looks_like_dump(spec)) {
		/* a dump alone: the root is found in it */
		s->mem = strdup(spec);
		if (!s->mem)
			return out_err("diff", "out of memory");
		s->o.fdt_path = NULL;
		s->o.mem_path = s->mem;
		return 0;
	} else if (!colon) {
		s->fdt = strdup(spec);
	} else if (colon == spec) {
		/* ":MEM": a dump alone (MEM@BASE: a raw image) */
		s->fdt = NULL;
		s->mem = strdup(colon + 1);
		if (!s->mem)
			return out_err("diff", "out of memory");
	} else {
		s->fdt = strndup(spec, (size_t)(colon - spec));
		s->mem = strdup(colon + 1);
	}
	if ((!s->fdt && colon != spec) || (colon && !s->mem))
		return out_err("diff", "out of memory");
	s->o.fdt_path = s->fdt;
	if (s->mem) {
		s->o.mem_path = s->mem;
		at = strrchr(s->mem, '@');
		if (at && at != s->mem && input_parse_u64(at + 1, &base)) {
			*at = '\0';
			s->o.mem_raw = true;
			s->o.mem_base = base;
		}
	}
	return 0;
}

/*
 * Open one side. A side that cannot be decoded is exit 2 naming the side
 * (old/new), never a "same": its FDT is not a KHO root, its generation is
 * unknown, or its tracker fails in the memory given. One exception is a
 * fact, not a failure: the tracker of an incoming state (kho/in, or a
 * bundle captured from it) that the receiving kernel already consumed --
 * it frees those pages once the memory is reserved -- is "not compared".
 */
static int side_open(const struct diff_args *a, const char *spec,
		     const char *role, struct side *s)
{
	struct khofmt_walk_opts wo = { .sz = sizeof(wo) };
	struct khofmt_stats st;
	int r;

	r = side_parse(a, spec, s);
	if (r)
		return r;
	r = input_open(&s->o, &s->in);
	if (r)
		return out_err("diff", "the %s state (%s) cannot be decoded", role,
			       spec);
	if (!s->in.src) {
		s->why = "no memory source";
		return 0;
	}
	r = input_open_handover(&s->o, &s->in);
	if (r)
		return out_err("diff", "the %s state (%s): its tracker cannot be "
			       "decoded", role, spec);
	/* A full structural pass: a tracker whose pages are gone or reused. */
	r = khofmt_stats(s->in.h, &wo, &st);
	if (r < 0 && s->in.incoming) {
		fprintf(stderr, KHOCTL_NAME ": %s: the incoming tracker was "
			"consumed by this kernel (its pages freed or reused after "
			"boot): %s%s%s\n", spec, khofmt_strerror(r),
			*khofmt_handover_errmsg(s->in.h) ? ": " : "",
			khofmt_handover_errmsg(s->in.h));
		s->why = "incoming tracker consumed by the receiving kernel (pages "
			 "freed or reused after boot)";
		return 0;
	}
	if (r < 0)
		return out_err("diff", "the %s state (%s): its tracker cannot be "
			       "decoded: %s%s%s", role, spec, khofmt_strerror(r),
			       *khofmt_handover_errmsg(s->in.h) ? ": " : "",
			       khofmt_handover_errmsg(s->in.h));
	s->tracker = true;
	return 0;
}

static void side_close(struct side *s)
{
	input_close(&s->in);
	free(s->fdt);
	free(s->mem);
}

struct fold {
	uint64_t lost[KHOFMT_MAX_ORDERS], added[KHOFMT_MAX_ORDERS];
	bool list;
};

static int diff_cb(void *arg, enum khofmt_diff_side side, uint64_t phys,
		   unsigned order, uint64_t count)
{
	struct fold *f = arg;

	if (order < KHOFMT_MAX_ORDERS)
		(side == KHOFMT_DIFF_LOST ? f->lost : f->added)[order] += count;
	if (f->list) {
		out_row_begin();
		out_str("change", side == KHOFMT_DIFF_LOST ? "lost" : "added");
		out_u64("order", order);
		out_addr("phys", phys);
		out_u64("count", count);
		out_row_end();
	}
	return out_failed();
}

/* Folios; returns 1 on differences, 0 same, or an exit status > 1. */
static int diff_folios(struct side *s, bool list)
{
	struct khofmt_walk_opts wo = { .sz = sizeof(wo) };
	struct fold f;
	uint64_t tl = 0, ta = 0;
	unsigned o;
	int r;

	memset(&f, 0, sizeof(f));
	f.list = list;
	out_obj_begin("folios");
	if (!s[0].tracker || !s[1].tracker) {
		out_bool("compared", false);
		out_str("reason", !s[0].tracker ? s[0].why : s[1].why);
		out_str("side", !s[0].tracker ? "old" : "new");
		out_obj_end();
		return 0;
	}
	out_bool("compared", true);
	if (list)
		out_table_begin("runs", run_cols, OUT_NCOLS(run_cols), 0);
	r = khofmt_diff_folios(s[0].in.h, s[1].in.h, &wo, diff_cb, &f);
	if (list)
		out_table_end();
	if (r < 0) {
		out_obj_end();
		return out_lib_err("folios", r, NULL);
	}
	out_table_begin("orders", order_cols, OUT_NCOLS(order_cols), 0);
	for (o = 0; o < KHOFMT_MAX_ORDERS; o++) {
		if (!f.lost[o] && !f.added[o])
			continue;
		out_row_begin();
		out_u64("order", o);
		out_u64("lost", f.lost[o]);
		out_u64("added", f.added[o]);
		out_row_end();
		tl += f.lost[o];
		ta += f.added[o];
	}
	out_table_end();
	out_u64("lost", tl);
	out_u64("added", ta);
	out_obj_end();
	return tl || ta;
}

static void hexdig(char *o, const void *b, size_t n)
{
	unsigned char d[SHA256_DIGEST_SIZE];
	struct sha256_ctx c;
	int i;

	sha256_init(&c);
	sha256_update(&c, n, b);
	sha256_digest(&c, sizeof(d), d);
	for (i = 0; i < 32; i++)
		sprintf(o + 2 * i, "%02x", d[i]);
}

/* One side of a blob: size and digest, or why not. */
static bool blob_side(struct side *s, const struct khofmt_subnode *sn,
		      const char *key, size_t *len, char *hex)
{
	const char *why;
	void *b;

	out_obj_begin(key);
	if (!sn) {
		out_bool("present", false);
		out_obj_end();
		return false;
	}
	out_bool("present", true);
	if (input_blob(&s->in, sn, &b, len, &why)) {
		out_null("size", why);
		out_null("sha256", why);
		out_obj_end();
		return false;
	}
	hexdig(hex, b, *len);
	free(b);
	out_size("size", *len);
	out_str("sha256", hex);
	out_obj_end();
	return true;
}

/*
 * Decoded fields of a known schema as sorted "path = value" pairs, so that
 * a changed blob says what changed (kexec count, LUO sessions and files,
 * memfd sizes, memblock regions) and not only that its digest did.
 */
struct kv {
	char k[400];	/* systemd: unit ids and fd names of up to 255 bytes */
	char v[80];
};

struct kvlist {
	struct kv *v;
	size_t n, cap;
	bool oom;
};

static void kv_add(struct kvlist *l, const char *val, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void kv_add(struct kvlist *l, const char *val, const char *fmt, ...)
{
	va_list ap;

	if (l->oom || l->n >= 100000)
		return;
	{
		void *p = khofmt_grow(l->v, &l->cap, l->n + 1, sizeof(*l->v));

		if (!p) {
			l->oom = true;
			return;
		}
		l->v = p;
	}
	va_start(ap, fmt);
	vsnprintf(l->v[l->n].k, sizeof(l->v[l->n].k), fmt, ap);
	va_end(ap);
	snprintf(l->v[l->n].v, sizeof(l->v[l->n].v), "%s", val);
	l->n++;
}

static void kv_u64(struct kvlist *l, uint64_t v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void kv_u64(struct kvlist *l, uint64_t v, const char *fmt, ...)
{
	char b[24], k[sizeof(l->v[0].k)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k, sizeof(k), fmt, ap);
	va_end(ap);
	snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
	kv_add(l, b, "%s", k);
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

/*
 * systemd's FD store by unit and fd name (tokens are handed out afresh at
 * every kexec, so the name is the key): token, type, handler, size, and
 * whether the fd is there for the next systemd.
 */
static void flatten_systemd(struct side *s, const void *blob, size_t len,
			    const struct khofmt_schema_opts *so,
			    struct kvlist *l)
{
	const struct khofmt_systemd_info *info;
	struct khofmt_systemd *sd;
	size_t i, n;
	char b[24];

	if (khofmt_systemd_open(s->in.src, blob, len, so, &sd))
		return;
	info = khofmt_systemd_info(sd);
	kv_add(l, info->parsed ? "yes" : "no", "fd-store mapping parsed");
	n = khofmt_systemd_nfds(sd);
	for (i = 0; i < n && l->n < 100000; i++) {
		const struct khofmt_systemd_fd *f = khofmt_systemd_fd(sd, i);
		char fp[300];

		if (f->unnamed) {
			snprintf(b, sizeof(b), "0x%llx", (unsigned long long)f->token);
			kv_add(l, b, "fd-store unnamed token %s", b);
			continue;
		}
		snprintf(fp, sizeof(fp), "fd-store unit %s fd %s", f->unit, f->name);
		kv_add(l, f->type_name, "%s type", fp);
		if (f->has_token) {
			snprintf(b, sizeof(b), "0x%llx", (unsigned long long)f->token);
			kv_add(l, b, "%s token", fp);
		}
		if (f->session_name)
			kv_add(l, f->session_name, "%s session", fp);
		if (f->preserved && f->compatible[0])
			kv_add(l, f->compatible, "%s handler", fp);
		if (f->has_size)
			kv_u64(l, f->size, "%s size", fp);
		kv_add(l, f->preserved && f->restorable ? "yes" : "no",
		       "%s restorable", fp);
	}
	khofmt_systemd_free(sd);
}

static int flatten_luo(struct side *s, const void *blob, size_t len,
		       const struct khofmt_schema_opts *so, struct kvlist *l)
{
	struct khofmt_luo_session ses;
	struct khofmt_luo *luo;
	int r = 0, n = 0;

	if (khofmt_luo_open(s->in.src, blob, len, so, &luo))
		return -1;
	kv_u64(l, khofmt_luo_info(luo)->liveupdate_num, "liveupdate_num");
	while (n++ < 100000 && (r = khofmt_luo_session_next(luo, &ses)) == 0) {
		struct khofmt_luo_file f;

		kv_u64(l, ses.file_count, "session %s file_count", ses.name);
		while ((r = khofmt_luo_file_next(luo, &ses, &f)) == 0) {
			struct khofmt_memfd m;
			char fp[96];

			snprintf(fp, sizeof(fp), "session %s file 0x%llx", ses.name,
				 (unsigned long long)f.token);
			kv_add(l, f.compatible, "%s compatible", fp);
			if (khofmt_memfd_open(s->in.src, f.data, f.compatible, so,
					      &m))
				continue;
			kv_u64(l, m.size, "%s size", fp);
			kv_u64(l, m.pos, "%s pos", fp);
			kv_u64(l, m.seals, "%s seals", fp);
			kv_u64(l, m.nr_folios, "%s nr_folios", fp);
			khofmt_memfd_close(&m);
		}
		/* a broken file chain: as a broken session chain */
		if (r < 0)
			break;
	}
	khofmt_luo_free(luo);
	/* Sessions whose pages are gone (consumed, reused): not comparable. */
	if (r < 0)
		return -1;
	flatten_systemd(s, blob, len, so, l);
	return 0;
}

static int flatten_kexec_meta(struct side *s, const void *blob, size_t len,
			      const struct khofmt_schema_opts *so,
			      struct kvlist *l)
{
	struct khofmt_kexec_meta m;

	(void)s;
	if (khofmt_kexec_meta_decode(blob, len, so, &m) == 0) {
		kv_u64(l, m.version, "version");
		kv_add(l, m.release, "previous_release");
		kv_u64(l, m.kexec_count, "kexec_count");
	}
	return 0;
}

static int flatten_memblock(struct side *s, const void *blob, size_t len,
			    const struct khofmt_schema_opts *so,
			    struct kvlist *l)
{
	struct khofmt_memblock mb;
	struct khofmt_memblock_region rg;
	char b[24];

	(void)s;
	if (khofmt_memblock_open(blob, len, so, &mb))
		return 0;
	while (l->n < 100000 && khofmt_memblock_region_next(&mb, &rg) == 0) {
		snprintf(b, sizeof(b), "0x%llx", (unsigned long long)rg.start);
		kv_add(l, b, "region %s start", rg.name);
		snprintf(b, sizeof(b), "0x%llx", (unsigned long long)rg.size);
		kv_add(l, b, "region %s size", rg.name);
	}
	return 0;
}

/*
 * Which fields of each schema of the registry (khofmt_schema_at()) diff
 * compares: the diff half of its entry. Schemas without a row compare
 * as opaque blobs (by their bytes, elsewhere).
 */
static const struct {
	enum khofmt_schema_kind kind;
	int (*flatten)(struct side *s, const void *blob, size_t len,
		       const struct khofmt_schema_opts *so, struct kvlist *l);
} flatteners[] = {
	{ KHOFMT_SCHEMA_KEXEC_META_V1, flatten_kexec_meta },
	{ KHOFMT_SCHEMA_MEMBLOCK_V1, flatten_memblock },
	{ KHOFMT_SCHEMA_LUO_V5, flatten_luo },
	{ KHOFMT_SCHEMA_LUO_V1, flatten_luo },
};

/*
 * Sorted fields of @sn's blob on side @s (empty for unknown schemas);
 * -1 when the blob or what it points at cannot be decoded.
 */
static int flatten(struct side *s, const struct khofmt_subnode *sn,
		   struct kvlist *l)
{
	struct khofmt_schema_opts so = {
		.sz = sizeof(so), .page_shift = s->in.page_shift,
	};
	enum khofmt_schema_kind kind;
	const char *why;
	size_t len, i;
	void *blob;
	int r = 0;

	if (!sn || input_blob(&s->in, sn, &blob, &len, &why))
		return -1;
	kind = khofmt_subnode_schema(sn, blob, len);
	for (i = 0; i < sizeof(flatteners) / sizeof(flatteners[0]); i++)
		if (kind != KHOFMT_SCHEMA_UNKNOWN && flatteners[i].kind == kind)
			r = flatteners[i].flatten(s, blob, len, &so, l);
	free(blob);
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), kv_cmp);
	return l->oom ? -1 : r;
}

/* Number of decoded fields that differ; emitted as "changes" when @emit. */
static size_t schema_changes(const struct kvlist *a, const struct kvlist *b,
			     bool emit)
{
	size_t i = 0, j = 0, n = 0;

	if (emit)
		out_array_begin("changes");
	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 :
			strcmp(a->v[i].k, b->v[j].k);

		if (c == 0 && !strcmp(a->v[i].v, b->v[j].v)) {
			i++;
			j++;
			continue;
		}
		n++;
		if (emit) {
			out_obj_begin(NULL);
			out_str("field", c <= 0 ? a->v[i].k : b->v[j].k);
			if (c <= 0)
				out_str("old", a->v[i].v);
			else
				out_null("old", "(absent)");
			if (c >= 0)
				out_str("new", b->v[j].v);
			else
				out_null("new", "(absent)");
			out_obj_end();
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	if (emit)
		out_array_end();
	return n;
}

static void blob_row(struct side *s, const char *name, int *diff)
{
	const struct khofmt_subnode *x = khofmt_fdt_subnode_by_name(s[0].in.fdt, name);
	const struct khofmt_subnode *y = khofmt_fdt_subnode_by_name(s[1].in.fdt, name);
	struct kvlist fa = { 0 }, fb = { 0 };
	char hx[65], hy[65];
	size_t lx = 0, ly = 0, nch = 0;
	bool rx, ry, fields = false;
	const char *st;

	out_obj_begin(NULL);
	out_str("name", name);
	rx = blob_side(&s[0], x, "old", &lx, hx);
	ry = blob_side(&s[1], y, "new", &ly, hy);
	/*
	 * The decoded fields, including what the blob points at (LUO sessions
	 * and memfds live outside it): compared when both sides decode.
	 */
	if (rx && ry && flatten(&s[0], x, &fa) == 0 &&
	    flatten(&s[1], y, &fb) == 0) {
		fields = true;
		nch = schema_changes(&fa, &fb, false);
	}
	if (!y)
		st = "missing";
	else if (!x)
		st = "added";
	else if (!rx || !ry)
		st = "unreadable";
	else if (lx != ly || strcmp(hx, hy) || nch)
		st = "changed";
	else
		st = "same";
	out_str("status", st);
	if (fields && nch)
		schema_changes(&fa, &fb, true);
	else if (rx && ry && !fields && (fa.n || fb.n || strcmp(st, "same")))
		out_null("changes", "not compared: a side cannot be decoded");
	out_obj_end();
	free(fa.v);
	free(fb.v);
	if (strcmp(st, "same") && strcmp(st, "unreadable"))
		*diff = 1;
}

static int diff_blobs(struct side *s)
{
	size_t i, n;
	int diff = 0;

	out_array_begin("blobs");
	n = khofmt_fdt_nsubnodes(s[0].in.fdt);
	for (i = 0; i < n; i++)
		blob_row(s, khofmt_fdt_subnode(s[0].in.fdt, i)->name, &diff);
	n = khofmt_fdt_nsubnodes(s[1].in.fdt);
	for (i = 0; i < n; i++) {
		const char *name = khofmt_fdt_subnode(s[1].in.fdt, i)->name;

		if (!khofmt_fdt_subnode_by_name(s[0].in.fdt, name))
			blob_row(s, name, &diff);
	}
	out_array_end();
	return diff;
}

static int diff_root(struct side *s)
{
	const char *ca = khofmt_fdt_compatible(s[0].in.fdt);
	const char *cb = khofmt_fdt_compatible(s[1].in.fdt);
	enum khofmt_abi aa = khofmt_fdt_abi(s[0].in.fdt);
	enum khofmt_abi ab = khofmt_fdt_abi(s[1].in.fdt);
	int d = strcmp(ca, cb) != 0 || aa != ab;

	out_obj_begin("root");
	out_str("old_compatible", ca);
	out_str("new_compatible", cb);
	out_str("old_abi", khofmt_abi_name(aa));
	out_str("new_abi", khofmt_abi_name(ab));
	out_bool("differs", d);
	out_obj_end();
	return d;
}

enum { OPT_SYSROOT = 0x400 };

static const struct argp_option diff_options[] = {
	{ "list", 'l', NULL, 0,
	  "List every lost or added run of entries (else counts per order)", 0 },
	{ "sysroot", OPT_SYSROOT, "DIR", 0,
	  "For the sides 'live' and 'incoming': read system files below DIR", 0 },
	{ 0 }
};

static error_t diff_parse(int key, char *arg, struct argp_state *state)
{
	struct diff_args *a = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->in;
		state->child_inputs[1] = &a->in.out;
		return 0;
	case 'l':
		a->list = true;
		return 0;
	case OPT_SYSROOT:
		a->in.sysroot = arg;
		return 0;
	case ARGP_KEY_ARG:
		if (state->arg_num >= 2)
			argp_error(state, "give exactly two states: OLD NEW");
		a->spec[state->arg_num] = arg;
		return 0;
	case ARGP_KEY_END:
		if (state->arg_num == 0 && a->in.out.list_columns)
			return 0;
		if (state->arg_num != 2)
			argp_error(state, "give exactly two states: OLD NEW");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_child diff_children[] = {
	{ &input_common_argp, 0, "Common options:", 0 },
	{ &out_table_argp, 0, "Table options:", 0 },
	{ 0 }
};

static const struct argp diff_argp = {
	.options = diff_options,
	.parser = diff_parse,
	.args_doc = "OLD NEW",
	.doc = "Compare two KHO states: root compatible and generation, "
	       "preserved entries lost or added per order, blobs missing, added "
	       "or changed (size, SHA-256). Each of OLD and NEW is a capture "
	       "DIR or archive (.tar, .tar.zst, ...), 'live', 'incoming', FDT:MEM (root FDT file and ELF core, "
	       "MEM@BASE for a raw image), an FDT file alone, or a memory dump "
	       "alone (ELF or kdump-compressed, or :MEM): its root is found in "
	       "memory. A file whose name has a ':' is that file; FDT:MEM splits "
	       "where both parts exist."
	       "\vExit status: 0 same, 1 differences, 2 a state could not be "
	       "read, 64 usage error.",
	.children = diff_children,
};

int cmd_diff(int argc, char **argv)
{
	struct diff_args a;
	struct side s[2];
	int r, d = 0, w;

	memset(&a, 0, sizeof(a));
	memset(s, 0, sizeof(s));
	input_opts_init(&a.in, 0);
	argp_parse(&diff_argp, argc, argv, 0, NULL, &a);
	if (a.in.out.list_columns && !a.spec[0])
		return TABLE_LIST("runs", run_cols) + TABLE_LIST("orders", order_cols);
	out_init(&a.in.out);

	r = side_open(&a, a.spec[0], "old", &s[0]);
	if (!r)
		r = side_open(&a, a.spec[1], "new", &s[1]);
	if (r)
		goto out;
	if (s[0].in.h && s[1].in.h && s[0].in.page_shift != s[1].in.page_shift) {
		r = out_err("diff", "the two states have different page sizes");
		goto out;
	}
	out_doc_begin("diff", OUT_STYLE_RECORD);
	out_str("old", a.spec[0]);
	out_str("new", a.spec[1]);
	d |= diff_root(s);
	r = diff_folios(s, a.list);
	if (r > 1) {
		out_doc_end();
		goto out;
	}
	d |= r;
	d |= diff_blobs(s);
	out_bool("differences", d);
	w = out_doc_end();
	r = w ? w : (d ? KHOCTL_EXIT_FINDINGS : KHOCTL_EXIT_OK);
out:
	side_close(&s[0]);
	side_close(&s[1]);
	return r;
}
