// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sub-schema dispatch: which decoder a subnode's blob needs, by the
 * subnode name and by the blob's own compatible/version; and reading a
 * blob (blob-size bytes, or an FDT's totalsize for kho-v1 roots).
 */
#include <stdlib.h>
#include <libfdt.h>

#include "schema_int.h"

static bool match_kexec_meta(const struct khofmt_subnode *sn,
			     const unsigned char *b, size_t len)
{
	/* a version word first, no magic: the subnode name decides */
	return sn && sn->name && !strcmp(sn->name, "kexec-metadata") &&
	       len >= 4 && ld_le32(b) == 1;
}

static bool match_luo_v5(const struct khofmt_subnode *sn,
			 const unsigned char *b, size_t len)
{
	(void)sn;
	return len >= 32 && !strncmp((const char *)b, "luo-v5", 8);
}

/* ---- decode hooks: the whole structure, problems to the callback ---- */

#define DECODE_MAX 1000000	/* items per decode; the chains bound it too */

static int decode_kexec_meta(struct khofmt_source *src, const void *b,
			     size_t len, const struct khofmt_schema_opts *o)
{
	struct khofmt_kexec_meta m;

	(void)src;
	return khofmt_kexec_meta_decode(b, len, o, &m);
}

static int decode_luo(struct khofmt_source *src, const void *b, size_t len,
		      const struct khofmt_schema_opts *o)
{
	struct khofmt_luo_session s;
	struct khofmt_luo_file f;
	struct khofmt_luo_flb fl;
	struct khofmt_luo *l;
	unsigned long n = 0;
	int r, ret;

	ret = khofmt_luo_open(src, b, len, o, &l);
	if (ret)
		return ret;
	while (n++ < DECODE_MAX && (r = khofmt_luo_session_next(l, &s)) == 0) {
		const struct khofmt_schema_info *si =
			khofmt_schema_find(KHOFMT_SCHEMA_AT_LUO_SESSION, s.name);

		while (n++ < DECODE_MAX && (r = khofmt_luo_file_next(l, &s, &f)) == 0) {
			struct khofmt_memfd m;
			struct khofmt_memfd_folio mf;
			int q;

			if (!khofmt_schema_is_memfd(f.compatible) ||
			    khofmt_memfd_open(src, f.data, f.compatible, o, &m))
				continue;
			while (n++ < DECODE_MAX && (q = khofmt_memfd_folio_next(&m, &mf)) == 0)
				;
			khofmt_memfd_close(&m);
		}
		if (si && si->kind == KHOFMT_SCHEMA_SYSTEMD_FDSTORE) {
			struct khofmt_systemd *sd = NULL;

			r = khofmt_systemd_open(src, b, len, o, &sd);
			khofmt_systemd_free(sd);
			if (r == -KHOFMT_ERR_NOMEM)
				ret = r;
		}
	}
	while (n++ < DECODE_MAX && (r = khofmt_luo_flb_next(l, &fl)) == 0)
		;
	khofmt_luo_free(l);
	return ret;
}

static int decode_memblock(struct khofmt_source *src, const void *b,
			   size_t len, const struct khofmt_schema_opts *o)
{
	struct khofmt_memblock mb;
	struct khofmt_memblock_region reg;
	unsigned long n = 0;
	int r;

	(void)src;
	r = khofmt_memblock_open(b, len, o, &mb);
	while (!r && n++ < DECODE_MAX && khofmt_memblock_region_next(&mb, &reg) == 0)
		;
	return r;
}

static int decode_kho_test(struct khofmt_source *src, const void *b,
			   size_t len, const struct khofmt_schema_opts *o)
{
	struct khofmt_kho_test t;
	uint64_t phys;
	unsigned order;
	unsigned long n = 0;
	int r;

	r = khofmt_kho_test_open(src, b, len, o, &t);
	while (!r && n++ < DECODE_MAX && khofmt_kho_test_folio_next(&t, &phys, &order) == 0)
		;
	return r;
}

/*
 * The registry: one row per sub-schema (doc/ABI.md 6), in the order they
 * are tried. A row's kind is its own (KHOFMT_SCHEMA_* for the first seven;
 * a new row takes the next number, the registry names it, no constant is
 * needed); test_schema checks that kinds are unique. A new schema defines
 * its row in its own file (const struct schema_row
 * khofmt_schema_row_<name>, hooks static there) and adds its file and its
 * name to libkhofmt/Makemodule.am, whose KHOFMT_SCHEMA_ROWS line is the
 * list of rows: schema_rows.h, SCHEMA_ROWS(X) (doc/ARCHITECTURE.md,
 * "Adding a sub-schema").
 */
#include "schema_rows.h"

#define SCHEMA_ROW_DECLARE(n) extern const struct schema_row khofmt_schema_row_##n;
SCHEMA_ROWS(SCHEMA_ROW_DECLARE)

#define LUO_COMPAT { "LUO sessions", NULL, \
	"every LUO session and the files and FLBs in them: /dev/liveupdate has nothing to retrieve", \
	false, true, khofmt_compat_luo_rows }

const struct schema_row khofmt_schema_row_kexec_meta = {
	.info = { KHOFMT_SCHEMA_KEXEC_META_V1, "kexec-metadata-v1",
		  KHOFMT_SCHEMA_AT_SUBNODE, "kexec-metadata", NULL, NULL, 0,
		  "the previous release and the kexec count (6.1)" },
	.match_raw = match_kexec_meta, .decode = decode_kexec_meta,
	.blob_rules = khofmt_rules_blob_kexec_meta,
	.compat = { "kexec metadata", NULL,
		    "the previous release and the kexec count (informational)",
		    true, false, NULL },
};
const struct schema_row khofmt_schema_row_luo_v5 = {
	.info = { KHOFMT_SCHEMA_LUO_V5, "luo-v5", KHOFMT_SCHEMA_AT_SUBNODE,
		  "LUO", NULL, NULL, 32,
		  "LUO sessions, files and FLBs in block chains (6.2.1, 6.3)" },
	.match_raw = match_luo_v5, .decode = decode_luo,
	.pages = khofmt_schema_luo_pages, .rules = khofmt_rules_schema_luo,
	.blob_rules = khofmt_rules_blob_luo, .compat = LUO_COMPAT,
};
const struct schema_row khofmt_schema_row_luo_v1 = {
	.info = { KHOFMT_SCHEMA_LUO_V1, "luo-v1", KHOFMT_SCHEMA_AT_SUBNODE,
		  "LUO", NULL, "luo-v1", 0, "LUO of 6.19-7.1, a sub-FDT (6.2.2)" },
	.decode = decode_luo, .pages = khofmt_schema_luo_pages,
	.rules = khofmt_rules_schema_luo, .compat = LUO_COMPAT,
};
const struct schema_row khofmt_schema_row_memblock = {
	.info = { KHOFMT_SCHEMA_MEMBLOCK_V1, "memblock-v1",
		  KHOFMT_SCHEMA_AT_SUBNODE, "memblock", NULL, "memblock-v1", 0,
		  "reserve_mem regions (6.6)" },
	.decode = decode_memblock, .blob_rules = khofmt_rules_blob_memblock,
	.compat = { "reserve_mem regions", NULL,
		    "every reserve_mem region: not revived, its contents are lost",
		    false, false, khofmt_compat_memblock_rows },
};
const struct schema_row khofmt_schema_row_kho_test = {
	.info = { KHOFMT_SCHEMA_KHO_TEST_V1, "kho-test-v1",
		  KHOFMT_SCHEMA_AT_SUBNODE, "kho_test", NULL, "kho-test-v1", 0,
		  "the KHO test module's folios (6.7)" },
	.decode = decode_kho_test, .pages = khofmt_schema_test_pages,
	.rules = khofmt_rules_schema_kho_test,
	.compat = { "KHO self test", "test_kho",
		    "the kho_test folios (the test reports a failure)", false,
		    false, NULL },
};
const struct schema_row khofmt_schema_row_memfd = {
	.info = { KHOFMT_SCHEMA_MEMFD, "memfd", KHOFMT_SCHEMA_AT_LUO_FILE,
		  "memfd-v2", "memfd-v1", NULL, 0,
		  "a memfd preserved through LUO, its folio array (6.4, 6.5)" },
};
const struct schema_row khofmt_schema_row_systemd = {
	.info = { KHOFMT_SCHEMA_SYSTEMD_FDSTORE, "systemd-fdstore",
		  KHOFMT_SCHEMA_AT_LUO_SESSION, KHOFMT_SYSTEMD_SESSION, NULL,
		  NULL, 0, "systemd's file descriptor store" },
};

#define SCHEMA_ROW_ADDR(n) &khofmt_schema_row_##n,
static const struct schema_row *const rows[] = { SCHEMA_ROWS(SCHEMA_ROW_ADDR) };
#define NROWS (sizeof(rows) / sizeof(rows[0]))

size_t khofmt_schema_count(void)
{
	return NROWS;
}

const struct khofmt_schema_info *khofmt_schema_at(size_t i)
{
	return i < NROWS ? &rows[i]->info : NULL;
}

static bool key_is(const struct khofmt_schema_info *in, const char *key)
{
	return !strcmp(in->key, key) || (in->alt_key && !strcmp(in->alt_key, key));
}

const struct khofmt_schema_info *
khofmt_schema_find(enum khofmt_schema_where where, const char *key)
{
	size_t i;

	for (i = 0; key && i < NROWS; i++)
		if (rows[i]->info.where == where && key_is(&rows[i]->info, key))
			return &rows[i]->info;
	return NULL;
}

const struct khofmt_schema_info *khofmt_schema_info(enum khofmt_schema_kind kind)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (rows[i]->info.kind == kind)
			return &rows[i]->info;
	return NULL;
}

const struct schema_row *khofmt_schema_row_subnode(const char *name)
{
	const struct khofmt_schema_info *in =
		khofmt_schema_find(KHOFMT_SCHEMA_AT_SUBNODE, name);

	return in ? (const struct schema_row *)(const void *)
		    ((const char *)in - offsetof(struct schema_row, info)) : NULL;
}

const char *khofmt_schema_name(enum khofmt_schema_kind kind)
{
	const struct khofmt_schema_info *in = khofmt_schema_info(kind);

	return in ? in->name : "unknown";
}

/* Root compatible of an FDT blob, or NULL if it is not a sound FDT. */
static const char *fdt_root_compat(const void *blob, size_t len)
{
	const char *c;
	int l;

	if (len < 40 || fdt_check_header(blob) || fdt_totalsize(blob) > len ||
	    fdt_check_full(blob, len))
		return NULL;
	c = fdt_getprop(blob, 0, "compatible", &l);
	if (!c || l < 1 || !memchr(c, 0, (size_t)l))
		return NULL;
	return c;
}

static const struct schema_row *row_of_blob(const struct khofmt_subnode *sn,
					    const void *blob, size_t len)
{
	const char *c = NULL;
	bool fdt;
	size_t i;

	if (!blob)
		return NULL;
	fdt = len >= 40 && fdt_magic(blob) == FDT_MAGIC;
	if (fdt && !(c = fdt_root_compat(blob, len)))
		return NULL;
	for (i = 0; i < NROWS; i++) {
		const struct schema_row *r = rows[i];

		if (r->info.where != KHOFMT_SCHEMA_AT_SUBNODE)
			continue;
		if (fdt ? r->info.sub_fdt && !strcmp(c, r->info.sub_fdt)
			: r->match_raw && r->match_raw(sn, blob, len))
			return r;
	}
	return NULL;
}

enum khofmt_schema_kind khofmt_subnode_schema(const struct khofmt_subnode *sn,
					      const void *blob, size_t len)
{
	const struct schema_row *r = row_of_blob(sn, blob, len);

	return r ? r->info.kind : KHOFMT_SCHEMA_UNKNOWN;
}

int khofmt_schema_decode(const struct khofmt_schema_info *in,
			 struct khofmt_source *src, const void *blob, size_t len,
			 const struct khofmt_schema_opts *opts)
{
	const struct schema_row *r = NULL;
	size_t i;
	int ret;

	/* @in must be a registry entry itself, not a copy: its row holds the hooks */
	for (i = 0; in && i < NROWS && !r; i++)
		if (&rows[i]->info == in)
			r = rows[i];
	if (!r || (!blob && len))
		return -KHOFMT_ERR_INVAL;
	ret = KHOFMT_OPTS_VALID(opts, sizeof(*opts));
	if (ret)
		return ret;
	return r->decode ? r->decode(src, blob, len, opts) : 0;
}

int khofmt_subnode_pages(struct khofmt_source *src,
			 const struct khofmt_subnode *sn,
			 const struct khofmt_schema_opts *opts,
			 khofmt_span_cb cb, void *arg)
{
	const struct schema_row *r;
	void *blob;
	size_t len;
	int ret = 0;

	if (!src || !sn || !cb)
		return -KHOFMT_ERR_INVAL;
	ret = KHOFMT_OPTS_VALID(opts, sizeof(*opts));
	if (ret)
		return ret;
	if (khofmt_subnode_blob_read(src, sn, &blob, &len) < 0)
		return 0;
	r = row_of_blob(sn, blob, len);
	if (r && r->pages)
		ret = r->pages(src, blob, len, opts, cb, arg);
	free(blob);
	return ret;
}

int khofmt_subnode_blob_read(struct khofmt_source *src,
			     const struct khofmt_subnode *sn, void **buf,
			     size_t *len)
{
	uint64_t size;
	void *b;
	int r;

	if (!src || !sn || !buf || !len)
		return -KHOFMT_ERR_INVAL;
	if (!sn->has_pa)
		return -KHOFMT_ERR_BADPROP;
	if (sn->has_size) {
		size = sn->size;
	} else {
		/* kho-v1/v2: an FDT blob sized by its own header */
		unsigned char hdr[40];

		r = khofmt_source_read(src, sn->pa, hdr, sizeof(hdr));
		if (r < 0)
			return r;
		if (fdt_magic(hdr) != FDT_MAGIC)
			return -KHOFMT_ERR_BADFDT;
		size = fdt_totalsize(hdr);
	}
	if (size == 0)
		return -KHOFMT_ERR_TRUNCATED;
	if (size > KHOFMT_BLOB_MAX)
		return -KHOFMT_ERR_LIMIT;
	if (!khofmt_source_covers(src, sn->pa, size))
		return -KHOFMT_ERR_NOTCOVERED;
	b = malloc((size_t)size);
	if (!b)
		return -KHOFMT_ERR_NOMEM;
	r = khofmt_source_read(src, sn->pa, b, (size_t)size);
	if (r < 0) {
		free(b);
		return r;
	}
	*buf = b;
	*len = (size_t)size;
	return 0;
}

int khofmt_schema_fdt_check(const void *blob, size_t len, const char *compat,
		     const struct khofmt_schema_opts *opts, const char *rule)
{
	const char *c;

	if (len < 40 || fdt_check_header(blob) || fdt_totalsize(blob) > len ||
	    fdt_check_full(blob, len))
		return FATAL(opts, rule, KHOFMT_ERR_BADFDT, 0,
			     "%s sub-FDT fails libfdt's checks", compat);
	c = fdt_root_compat(blob, len);
	if (!c || strcmp(c, compat))
		return FATAL(opts, rule, KHOFMT_ERR_COMPAT, 0,
			     "root compatible \"%s\" is not %s", c ? c : "",
			     compat);
	return 0;
}
