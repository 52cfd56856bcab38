// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The outgoing state against a kernel image: one row per thing the next
 * kernel must recognise to keep it (doc/ABI.md 6, the ABI headers of
 * include/linux/kho/abi/): the root compatible, each subnode (the name the
 * kernel retrieves it by, and its blob's compatible or version), each
 * reserve_mem region, each LUO file handler and FLB. The subnodes the
 * kernel knows are one table; the writes side is read from the state
 * itself, so a future version string is compared as it is.
 */
#include <inttypes.h>
#include <stdio.h>

#include <libfdt.h>

#include "schema_int.h"

/*
 * Where each subnode is read (the literals the image carries), what the
 * next kernel drops without it, and the rows inside its blob: the
 * sub-schema registry's `compat` part of the subnode's row (schema.c).
 */

struct khofmt_compat {
	struct khofmt_compat_row *rows;
	size_t nrows, cap;
	struct khofmt_image_want *wants;
	size_t nwants, wcap;
	size_t unknown;
	unsigned page_shift;    /* the producer's */
};

KHOFMT_API const char *khofmt_compat_verdict_name(enum khofmt_compat_verdict v)
{
	return v == KHOFMT_COMPAT_READS ? "reads" :
	       v == KHOFMT_COMPAT_LOST ? "lost" : "unknown";
}

KHOFMT_API const char *khofmt_compat_kind_name(enum khofmt_compat_kind k)
{
	switch (k) {
	case KHOFMT_COMPAT_ROOT: return "root";
	case KHOFMT_COMPAT_SUBNODE: return "subnode";
	case KHOFMT_COMPAT_REGION: return "region";
	case KHOFMT_COMPAT_LUO_FILE: return "luo-file";
	case KHOFMT_COMPAT_LUO_FLB: return "luo-flb";
	}
	return "unknown";
}

/* The registry row of a subnode compat knows, or NULL. */
static const struct schema_row *desc_of(const char *name)
{
	const struct schema_row *r = khofmt_schema_row_subnode(name);

	return r && r->compat.what ? r : NULL;
}

static void cpy(char *dst, size_t n, const char *s)
{
	size_t l = 0;

	for (; s && l + 1 < n && s[l]; l++)
		dst[l] = s[l];
	dst[l] = '\0';
}

/* A copy of a wire string: printable ASCII up to NUL or @max bytes, else "". */
static void wire_str(char *dst, size_t n, const void *src, size_t max)
{
	const unsigned char *s = src;
	size_t i;

	for (i = 0; i < max && i + 1 < n && s[i]; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f) {
			dst[0] = '\0';
			return;
		}
	if (i == max || i + 1 == n) { /* no NUL: not a string we can look for */
		dst[0] = '\0';
		return;
	}
	memcpy(dst, s, i);
	dst[i] = '\0';
}

static int want_add(struct khofmt_compat *c, const char *s, const char *module)
{
	struct khofmt_image_want *w;
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = 0; i < c->nwants; i++)
		if (!strcmp(c->wants[i].str, s))
			return 0;
	w = khofmt_grow(c->wants, &c->wcap, c->nwants + 1, sizeof(*w));
	if (!w)
		return -KHOFMT_ERR_NOMEM;
	c->wants = w;
	w = &c->wants[c->nwants];
	w->str = strdup(s);
	w->module = module ? strdup(module) : NULL;
	if (!w->str || (module && !w->module)) {
		free((char *)w->str);
		free((char *)w->module);
		return -KHOFMT_ERR_NOMEM;
	}
	c->nwants++;
	return 0;
}

static struct khofmt_compat_row *row_add(struct khofmt_compat *c,
					 enum khofmt_compat_kind kind,
					 const char *subnode, int parent)
{
	struct khofmt_compat_row *r;

	r = khofmt_grow(c->rows, &c->cap, c->nrows + 1, sizeof(*r));
	if (!r)
		return NULL;
	c->rows = r;
	r = &c->rows[c->nrows++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->parent = parent;
	cpy(r->subnode, sizeof(r->subnode), subnode);
	return r;
}

/* UNKNOWN, with the reason @msg followed by @a */
static int row_unknown(struct khofmt_compat_row *r, const char *msg, const char *a)
{
	r->verdict = KHOFMT_COMPAT_UNKNOWN;
	snprintf(r->detail, sizeof(r->detail), "%s%s", msg, a);
	return 0;
}

/* ---- LUO: one row per file handler and per FLB ---- */

struct luo_handler {
	char compat[49];
	uint64_t files, bytes;
	bool bytes_known;
};

int khofmt_compat_luo_rows(struct khofmt_compat *c, struct khofmt_source *src,
		    const void *blob, size_t len, unsigned ps, int parent)
{
	struct khofmt_schema_opts so = { .sz = sizeof(so), .page_shift = ps };
	struct luo_handler h[32];
	struct khofmt_luo_session s;
	struct khofmt_luo_file f;
	struct khofmt_luo_flb flb;
	struct khofmt_luo *luo;
	struct khofmt_compat_row *pr;
	uint64_t sessions = 0, files = 0, bytes = 0;
	size_t nh = 0, i;
	int r, rr;

	r = khofmt_luo_open(src, blob, len, &so, &luo);
	if (r)
		return r;
	while ((r = khofmt_luo_session_next(luo, &s)) == 0) {
		sessions++;
		while ((rr = khofmt_luo_file_next(luo, &s, &f)) == 0) {
			struct khofmt_memfd m;

			files++;
			for (i = 0; i < nh; i++)
				if (!strcmp(h[i].compat, f.compatible))
					break;
			if (i == nh) {
				if (nh == sizeof(h) / sizeof(h[0]))
					continue; /* 32 handlers: more than exist */
				memset(&h[nh], 0, sizeof(h[nh]));
				cpy(h[nh].compat, sizeof(h[nh].compat),
				    f.compatible_terminated ? f.compatible : "");
				h[nh].bytes_known = true;
				nh++;
			}
			h[i].files++;
			if (!khofmt_memfd_open(src, f.data, f.compatible, &so, &m)) {
				h[i].bytes += m.size;
				bytes += m.size;
				khofmt_memfd_close(&m);
			} else {
				h[i].bytes_known = false;
			}
		}
		if (rr < 0) {
			r = rr;
			break;
		}
	}
	if (r < 0) {
		khofmt_luo_free(luo);
		return r;
	}
	pr = &c->rows[parent];
	pr->count = sessions;
	pr->bytes = bytes;
	for (i = 0; i < nh; i++) {
		struct khofmt_compat_row *row =
			row_add(c, KHOFMT_COMPAT_LUO_FILE, c->rows[parent].subnode, parent);

		if (!row) {
			khofmt_luo_free(luo);
			return -KHOFMT_ERR_NOMEM;
		}
		snprintf(row->what, sizeof(row->what), "LUO file handler");
		cpy(row->writes, sizeof(row->writes), h[i].compat);
		row->count = h[i].files;
		row->bytes = h[i].bytes_known ? h[i].bytes : 0;
		if (!h[i].compat[0])
			row_unknown(row, "a file record's compatible is not a terminated string", "");
		else if (want_add(c, h[i].compat, NULL))
			return khofmt_luo_free(luo), -KHOFMT_ERR_NOMEM;
	}
	c->rows[parent].count = sessions;
	snprintf(c->rows[parent].detail, sizeof(c->rows[parent].detail),
		 "%" PRIu64 " sessions, %" PRIu64 " files", sessions, files);
	while ((r = khofmt_luo_flb_next(luo, &flb)) == 0) {
		struct khofmt_compat_row *row =
			row_add(c, KHOFMT_COMPAT_LUO_FLB, c->rows[parent].subnode, parent);

		if (!row) {
			khofmt_luo_free(luo);
			return -KHOFMT_ERR_NOMEM;
		}
		snprintf(row->what, sizeof(row->what), "LUO FLB");
		cpy(row->writes, sizeof(row->writes), flb.name_terminated ? flb.name : "");
		row->count = flb.refcount;
		if (!row->writes[0])
			row_unknown(row, "the FLB name is not a terminated string", "");
		else if (want_add(c, row->writes, NULL))
			return khofmt_luo_free(luo), -KHOFMT_ERR_NOMEM;
	}
	khofmt_luo_free(luo);
	return r < 0 ? r : 0;
}

/* ---- memblock: one row per reserve_mem region ---- */

int khofmt_compat_memblock_rows(struct khofmt_compat *c,
				struct khofmt_source *src, const void *blob,
				size_t len, unsigned ps, int parent)
{
	struct khofmt_schema_opts so = { .sz = sizeof(so) };
	struct khofmt_memblock mb;
	struct khofmt_memblock_region reg;
	uint64_t n = 0, bytes = 0;
	int r, off;

	(void)src;	/* the regions are in the sub-FDT itself */
	(void)ps;
	r = khofmt_memblock_open(blob, len, &so, &mb);
	if (r)
		return r;
	while ((r = khofmt_memblock_region_next(&mb, &reg)) == 0) {
		struct khofmt_compat_row *row =
			row_add(c, KHOFMT_COMPAT_REGION, c->rows[parent].subnode, parent);
		const char *cs;
		int cl;

		if (!row)
			return -KHOFMT_ERR_NOMEM;
		n++;
		snprintf(row->what, sizeof(row->what), "reserve_mem %s", reg.name);
		row->count = 1;
		row->bytes = reg.has_size ? reg.size : 0;
		bytes += row->bytes;
		/* the region node's own compatible, as written */
		off = fdt_subnode_offset(blob, 0, reg.name);
		cs = off >= 0 ? fdt_getprop(blob, off, "compatible", &cl) : NULL;
		if (cs && cl > 0)
			wire_str(row->writes, sizeof(row->writes), cs, (size_t)cl);
		if (!row->writes[0])
			row_unknown(row, "the region has no readable compatible", "");
		else if (want_add(c, row->writes, NULL))
			return -KHOFMT_ERR_NOMEM;
	}
	c->rows[parent].count = n;
	c->rows[parent].bytes = bytes;
	return r < 0 ? r : 0;
}

/* What a subnode's blob says it is: "luo-v5", "memblock-v1", "version 1". */
static void blob_writes(struct khofmt_compat_row *row,
			const struct schema_row *d, const void *blob,
			size_t len)
{
	if (len >= 40 && fdt_magic(blob) == FDT_MAGIC && !fdt_check_header(blob) &&
	    fdt_totalsize(blob) <= len) {
		int cl;
		const char *cs = fdt_getprop(blob, 0, "compatible", &cl);

		if (cs && cl > 0)
			wire_str(row->writes, sizeof(row->writes), cs, (size_t)cl);
		return;
	}
	if (d && d->compat.numeric) {
		if (len >= 4)
			snprintf(row->writes, sizeof(row->writes), "version %u",
				 ld_le32(blob));
		return;
	}
	/* a raw struct that starts with its compatible (LUO: char[8]) */
	wire_str(row->writes, sizeof(row->writes), blob, len < 48 ? len : 48);
}

static int subnode_rows(struct khofmt_compat *c, struct khofmt_source *src,
			const struct khofmt_subnode *sn,
			khofmt_compat_blob_cb cb, void *arg, unsigned ps)
{
	const struct schema_row *d = desc_of(sn->name);
	struct khofmt_compat_row *row = row_add(c, KHOFMT_COMPAT_SUBNODE, sn->name, 0);
	int idx = (int)c->nrows - 1, r;
	void *blob = NULL;
	size_t len = 0;

	if (!row)
		return -KHOFMT_ERR_NOMEM;
	cpy(row->what, sizeof(row->what), d ? d->compat.what : "unknown subnode");
	cpy(row->name_needed, sizeof(row->name_needed), sn->name);
	if (want_add(c, sn->name, d ? d->compat.module : NULL))
		return -KHOFMT_ERR_NOMEM;
	r = cb ? cb(arg, sn, &blob, &len) :
		 src ? khofmt_subnode_blob_read(src, sn, &blob, &len) : -KHOFMT_ERR_NOTCOVERED;
	if (r) {
		row = &c->rows[idx];
		return row_unknown(row, "its blob cannot be read: ", khofmt_strerror(r));
	}
	row = &c->rows[idx];
	blob_writes(row, d, blob, len);
	if (!row->writes[0] && d)
		row_unknown(row, "its blob carries no compatible or version", "");
	else if (!d)
		cpy(row->detail, sizeof(row->detail),
		    "format unknown to kho-tools: only its name is checked");
	else if (!d->compat.numeric && want_add(c, row->writes, d->compat.module))
		r = -KHOFMT_ERR_NOMEM;
	if (!r && d && d->compat.rows) {
		char msg[96];

		if (d->compat.needs_mem && !src) {
			snprintf(msg, sizeof(msg), "the %s contents need the memory (--mem)",
				 sn->name);
			row_unknown(&c->rows[idx], msg, "");
		} else {
			r = d->compat.rows(c, src, blob, len, ps, idx);
			if (r && r != -KHOFMT_ERR_NOMEM) {
				snprintf(msg, sizeof(msg), "%s state does not decode: ",
					 sn->name);
				r = row_unknown(&c->rows[idx], msg, khofmt_strerror(r));
			}
		}
	}
	free(blob);
	return r;
}

KHOFMT_API int khofmt_compat_collect(struct khofmt_fdt *fdt,
				     struct khofmt_source *src,
				     khofmt_compat_blob_cb cb, void *arg,
				     unsigned page_shift,
				     struct khofmt_compat **out)
{
	struct khofmt_compat *c;
	struct khofmt_compat_row *row;
	size_t i, n;
	int r = 0;

	if (!fdt || !out)
		return -KHOFMT_ERR_INVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -KHOFMT_ERR_NOMEM;
	c->page_shift = page_shift ? page_shift : 12;
	row = row_add(c, KHOFMT_COMPAT_ROOT, "", -1);
	if (!row) {
		free(c);
		return -KHOFMT_ERR_NOMEM;
	}
	cpy(row->what, sizeof(row->what), "KHO root");
	cpy(row->writes, sizeof(row->writes), khofmt_fdt_compatible(fdt));
	n = khofmt_fdt_nsubnodes(fdt);
	row->count = n;
	if (want_add(c, row->writes, NULL))
		r = -KHOFMT_ERR_NOMEM;
	for (i = 0; !r && i < n; i++)
		r = subnode_rows(c, src, khofmt_fdt_subnode(fdt, i), cb, arg,
				 page_shift ? page_shift : 12);
	if (r) {
		khofmt_compat_free(c);
		return r;
	}
	*out = c;
	return 0;
}

KHOFMT_API void khofmt_compat_free(struct khofmt_compat *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nwants; i++) {
		free((char *)c->wants[i].str);
		free((char *)c->wants[i].module);
	}
	free(c->wants);
	free(c->rows);
	free(c);
}

KHOFMT_API const struct khofmt_image_want *
khofmt_compat_wants(const struct khofmt_compat *c, size_t *n)
{
	*n = c ? c->nwants : 0;
	return c ? c->wants : NULL;
}

static void lost_text(struct khofmt_compat_row *r, const char *why)
{
	const struct schema_row *d = desc_of(r->subnode);
	char what[160];

	switch (r->kind) {
	case KHOFMT_COMPAT_ROOT:
		snprintf(what, sizeof(what),
			 "everything: the handover is ignored, no preserved memory is kept, all %" PRIu64 " subnodes are lost",
			 r->count);
		break;
	case KHOFMT_COMPAT_SUBNODE:
		snprintf(what, sizeof(what), "%s", d ? d->compat.lost : "whatever its owner stored in it");
		break;
	case KHOFMT_COMPAT_REGION:
		snprintf(what, sizeof(what), "%s is not revived (%" PRIu64 " bytes)",
			 r->what, r->bytes);
		break;
	case KHOFMT_COMPAT_LUO_FILE:
		snprintf(what, sizeof(what),
			 "%" PRIu64 " preserved files (%" PRIu64 " bytes): retrieving them fails",
			 r->count, r->bytes);
		break;
	case KHOFMT_COMPAT_LUO_FLB:
		snprintf(what, sizeof(what), "the FLB's shared state (%" PRIu64 " users)",
			 r->count);
		break;
	}
	snprintf(r->lost, sizeof(r->lost), "%s%s", what, why);
}

KHOFMT_API int khofmt_compat_judge(struct khofmt_compat *c,
				   const struct khofmt_image *img)
{
	size_t i;
	unsigned ips;
	int lost = 0;

	if (!c || !img)
		return -KHOFMT_ERR_INVAL;
	c->unknown = 0;
	ips = khofmt_image_info(img)->page_shift;
	for (i = 0; i < c->nrows; i++) {
		struct khofmt_compat_row *r = &c->rows[i];
		const struct schema_row *d =
			r->kind == KHOFMT_COMPAT_SUBNODE ? desc_of(r->subnode) : NULL;
		enum khofmt_image_where wn = KHOFMT_IMAGE_IN_KERNEL, ww;
		const char *mn = NULL, *mw = NULL;
		bool numeric = d && d->compat.numeric;

		r->lost[0] = '\0';
		if (r->writes[0] && !numeric)
			khofmt_image_family(img, r->writes, r->reads, sizeof(r->reads));
		if (r->verdict == KHOFMT_COMPAT_UNKNOWN) {
			c->unknown++;
			continue;
		}
		if (r->name_needed[0])
			wn = khofmt_image_lookup(img, r->name_needed, &mn);
		ww = r->writes[0] && !numeric && (d || r->kind != KHOFMT_COMPAT_SUBNODE) ?
			     khofmt_image_lookup(img, r->writes, &mw) : wn;
		if (ww == KHOFMT_IMAGE_IN_KERNEL && !mw)
			mw = mn;
		r->where = wn == KHOFMT_IMAGE_ABSENT ? wn : ww;
		r->module = r->where == KHOFMT_IMAGE_IN_MODULE ? (mw ? mw : mn) : NULL;
		if (numeric && wn != KHOFMT_IMAGE_ABSENT)
			cpy(r->detail, sizeof(r->detail),
			    "the version is compared as a number: the image shows the name only");
		if (r->kind == KHOFMT_COMPAT_ROOT && ips && c->page_shift &&
		    ips != c->page_shift && wn != KHOFMT_IMAGE_ABSENT) {
			/* kho-v4 keys the tracker by PFN and the blobs by
			 * address at the producer's page size: a kernel of
			 * another page size misreads all of it */
			r->verdict = KHOFMT_COMPAT_LOST;
			snprintf(r->lost, sizeof(r->lost),
				 "everything: the image is built for %u KiB pages, the state "
				 "was written with %u KiB pages (the tracker would be misread)",
				 1u << (ips - 10), 1u << (c->page_shift - 10));
			lost++;
		} else if (r->parent >= 0 && c->rows[r->parent].verdict == KHOFMT_COMPAT_LOST) {
			r->verdict = KHOFMT_COMPAT_LOST;
			lost_text(r, "");
			snprintf(r->lost + strlen(r->lost), sizeof(r->lost) - strlen(r->lost),
				 " (with %s)", r->parent ? c->rows[r->parent].subnode : "the root");
			lost++;
		} else if (wn == KHOFMT_IMAGE_ABSENT) {
			r->verdict = KHOFMT_COMPAT_LOST;
			lost_text(r, "");
			lost++;
		} else if (ww == KHOFMT_IMAGE_ABSENT) {
			r->verdict = KHOFMT_COMPAT_LOST;
			lost_text(r, "");
			lost++;
		} else {
			r->verdict = KHOFMT_COMPAT_READS;
		}
	}
	return lost;
}

KHOFMT_API size_t khofmt_compat_nrows(const struct khofmt_compat *c)
{
	return c ? c->nrows : 0;
}

KHOFMT_API const struct khofmt_compat_row *
khofmt_compat_row(const struct khofmt_compat *c, size_t i)
{
	return c && i < c->nrows ? &c->rows[i] : NULL;
}

KHOFMT_API size_t khofmt_compat_unknown(const struct khofmt_compat *c)
{
	return c ? c->unknown : 0;
}
