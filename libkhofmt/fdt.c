// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The root KHO FDT: check it with libfdt, find the generation from the root
 * `compatible`, read `preserved-memory-map` and every subnode
 * (doc/ABI.md 2, 3). Payload u64s are native-endian (3.3), read unaligned.
 */
#include <stdlib.h>
#include <libfdt.h>

#include "internal.h"

#define FDT_MAX_SIZE (64u << 20)	/* far above any root FDT (<= P) */
#define FDT_MAX_SUBNODES 4096
#define FDT_MIN_VERSION 17	/* what fdt_create()/fdt_finish() write */

/* Read an 8-byte native u64 property: 1 found, 0 absent, -1 wrong size. */
static int prop_u64(const void *blob, int node, const char *name,
		    uint64_t *val)
{
	const void *p;
	int len;

	p = fdt_getprop(blob, node, name, &len);
	if (!p)
		return 0;
	if (len != 8)
		return -1;
	*val = ld_le64(p);
	return 1;
}

/*
 * The first node carrying a `mem` property (RFC form, doc/ABI.md 4.3);
 * its offset, or -1 when there is none.
 */
static int first_mem_node(const void *blob)
{
	int node = 0, depth = 0;

	for (; node >= 0; node = fdt_next_node(blob, node, &depth)) {
		if (depth < 0)
			break;
		if (fdt_getprop(blob, node, "mem", NULL))
			return node;
	}
	return -1;
}

/*
 * kho-v1 is shared by the merged 6.16..7.0 form and the RFC: the RFC
 * never had `preserved-memory-map` and always marks its ranges with `mem`.
 * So: kho-v1 + no map + a `mem` property anywhere -> RFC; otherwise
 * kho-v1 (which then needs the map).
 */
static void decide_v1_or_rfc(struct khofmt_fdt *f)
{
	int mem = first_mem_node(f->blob);
	char path[128] = "?";

	if (mem >= 0 && fdt_get_path(f->blob, mem, path, sizeof(path)))
		strcpy(path, "?");
	if (!f->has_map && mem >= 0) {
		f->abi = KHOFMT_ABI_RFC;
		khofmt_setmsg(f->abi_reason, sizeof(f->abi_reason),
			      "compatible \"kho-v1\", no preserved-memory-map and a `mem` property at %s: the 2023-24 RFC form",
			      path);
	} else if (!f->has_map) {
		khofmt_setmsg(f->abi_reason, sizeof(f->abi_reason),
			      "compatible \"kho-v1\" without preserved-memory-map and without any `mem` property: kho-v1 (6.16..7.0), which needs the map");
	} else if (mem >= 0) {
		khofmt_setmsg(f->abi_reason, sizeof(f->abi_reason),
			      "compatible \"kho-v1\" with preserved-memory-map: kho-v1 chunk list (6.16..7.0); the `mem` property at %s is ignored",
			      path);
	} else {
		khofmt_setmsg(f->abi_reason, sizeof(f->abi_reason),
			      "compatible \"kho-v1\" with preserved-memory-map: kho-v1 chunk list (6.16..7.0)");
	}
}

static int parse_subnodes(struct khofmt_fdt *f, char *errbuf, size_t errlen)
{
	const void *blob = f->blob;
	const char *ptrprop;
	size_t cap = 0;
	int node;

	/* The RFC kept blobs inside this one DT: no pointer property. */
	ptrprop = khofmt_gen(f->abi) ? khofmt_gen(f->abi)->info.blob_ptr : NULL;
	fdt_for_each_subnode(node, blob, 0) {
		struct khofmt_subnode *s;
		int r, prop;

		if (f->nsub >= FDT_MAX_SUBNODES) {
			khofmt_setmsg(errbuf, errlen,
				      "more than %u subnodes", FDT_MAX_SUBNODES);
			return -KHOFMT_ERR_LIMIT;
		}
		{
			void *n = khofmt_grow(f->sub, &cap, f->nsub + 1,
					      sizeof(*f->sub));

			if (!n)
				return -KHOFMT_ERR_NOMEM;
			f->sub = n;
		}
		s = &f->sub[f->nsub++];
		memset(s, 0, sizeof(*s));
		s->offset = node;
		s->name = fdt_get_name(blob, node, NULL);
		if (!s->name)
			s->name = "";
		r = ptrprop ? prop_u64(blob, node, ptrprop, &s->pa) : 0;
		s->has_pa = r > 0;
		s->bad_pa = r < 0;
		r = prop_u64(blob, node, "blob-size", &s->size);
		s->has_size = r > 0;
		s->bad_size = r < 0;
		fdt_for_each_property_offset(prop, blob, node)
			s->nprops++;
	}
	if (node < 0 && node != -FDT_ERR_NOTFOUND) {
		khofmt_setmsg(errbuf, errlen, "walking subnodes: %s",
			      fdt_strerror(node));
		return -KHOFMT_ERR_BADFDT;
	}
	return 0;
}

int khofmt_fdt_open(const void *blob, size_t len, struct khofmt_fdt **out,
		    char *errbuf, size_t errlen)
{
	struct khofmt_fdt *f;
	struct fdt_header hdr;
	const char *compat;
	size_t total, i;
	int r, clen;

	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!blob || !out)
		return -KHOFMT_ERR_INVAL;
	*out = NULL;
	if (len < sizeof(struct fdt_header)) {
		khofmt_setmsg(errbuf, errlen,
			      "%zu bytes: shorter than an FDT header", len);
		return -KHOFMT_ERR_TRUNCATED;
	}
	/*
	 * Check an aligned copy of the header: libfdt refuses (with
	 * FDT_ERR_ALIGNMENT) a blob that is not 8-byte aligned, and the
	 * caller's bytes may sit anywhere (found by fuzz_radix). The header
	 * check reads nothing past the header.
	 */
	memcpy(&hdr, blob, sizeof(hdr));
	r = fdt_check_header(&hdr);
	if (r) {
		khofmt_setmsg(errbuf, errlen, "FDT header: %s",
			      fdt_strerror(r));
		return -KHOFMT_ERR_BADFDT;
	}
	/*
	 * Every KHO FDT is written by libfdt's sequential-write API: version
	 * 17. Older layouts are refused here, before fdt_check_full(): the
	 * libfdt 1.6.1 of Debian bookworm dereferences NULL on some version
	 * < 16 blobs (found by fuzz_fdt; tests/fuzz/regress/fuzz_fdt/).
	 */
	if (fdt_version(&hdr) < FDT_MIN_VERSION) {
		khofmt_setmsg(errbuf, errlen,
			      "FDT version %u: a KHO FDT is version %u or later",
			      fdt_version(&hdr), FDT_MIN_VERSION);
		return -KHOFMT_ERR_BADFDT;
	}
	total = fdt_totalsize(&hdr);
	if (total > len) {
		khofmt_setmsg(errbuf, errlen,
			      "FDT truncated: header totalsize %zu, only %zu bytes present",
			      total, len);
		return -KHOFMT_ERR_TRUNCATED;
	}
	if (total > FDT_MAX_SIZE) {
		khofmt_setmsg(errbuf, errlen, "FDT totalsize %zu too large",
			      total);
		return -KHOFMT_ERR_BADFDT;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -KHOFMT_ERR_NOMEM;
	/* An aligned private copy: libfdt wants 8-byte alignment. */
	f->blob = aligned_alloc(8, (total + 7) & ~(size_t)7);
	if (!f->blob) {
		free(f);
		return -KHOFMT_ERR_NOMEM;
	}
	memcpy(f->blob, blob, total);
	f->len = total;
	if (len > total)
		f->flags |= KHOFMT_FDT_TRAILING;

	r = fdt_check_full(f->blob, total);
	if (r) {
		khofmt_setmsg(errbuf, errlen, "FDT structure: %s",
			      fdt_strerror(r));
		r = -KHOFMT_ERR_BADFDT;
		goto fail;
	}

	compat = fdt_getprop(f->blob, 0, "compatible", &clen);
	if (!compat || clen < 1 || compat[clen - 1] != '\0') {
		khofmt_setmsg(errbuf, errlen,
			      "root node has no NUL-terminated `compatible`");
		r = -KHOFMT_ERR_COMPAT;
		goto fail;
	}
	f->compatible = strdup(compat);
	if (!f->compatible) {
		r = -KHOFMT_ERR_NOMEM;
		goto fail;
	}
	/*
	 * Like the kernel: any entry of the string list may match; newest
	 * generation first ("kho-v1" is the merged form until
	 * decide_v1_or_rfc() says RFC).
	 */
	for (i = khofmt_gen_count(); i-- > 0;) {
		const struct gen_desc *g = khofmt_gen_at(i);

		if (!fdt_node_check_compatible(f->blob, 0, g->info.compatible)) {
			f->abi = khofmt_gen_abi(g);
			break;
		}
	}

	r = prop_u64(f->blob, 0, "preserved-memory-map", &f->map);
	if (r < 0) {
		khofmt_setmsg(errbuf, errlen,
			      "`preserved-memory-map` is not 8 bytes long");
		r = -KHOFMT_ERR_BADPROP;
		goto fail;
	}
	f->has_map = r > 0;
	if (f->abi == KHOFMT_ABI_V1)
		decide_v1_or_rfc(f);
	else if (f->abi != KHOFMT_ABI_UNKNOWN)
		khofmt_setmsg(f->abi_reason, sizeof(f->abi_reason),
			      "compatible \"%s\"", khofmt_abi_name(f->abi));
	r = parse_subnodes(f, errbuf, errlen);
	if (r)
		goto fail;
	if (f->abi == KHOFMT_ABI_UNKNOWN) {
		khofmt_setmsg(errbuf, errlen, "unknown root compatible \"%s\"",
			      f->compatible);
		khofmt_setmsg(f->abi_reason, sizeof(f->abi_reason),
			      "unknown root compatible \"%s\"", f->compatible);
		*out = f;
		return -KHOFMT_ERR_COMPAT;
	}
	*out = f;
	return 0;
fail:
	khofmt_fdt_free(f);
	return r;
}

void khofmt_fdt_free(struct khofmt_fdt *f)
{
	if (!f)
		return;
	free(f->sub);
	free(f->compatible);
	free(f->blob);
	free(f);
}

enum khofmt_abi khofmt_fdt_abi(const struct khofmt_fdt *f)
{
	return f ? f->abi : KHOFMT_ABI_UNKNOWN;
}

const char *khofmt_fdt_compatible(const struct khofmt_fdt *f)
{
	return f && f->compatible ? f->compatible : "";
}

unsigned khofmt_fdt_flags(const struct khofmt_fdt *f)
{
	return f ? f->flags : 0;
}

const void *khofmt_fdt_blob(const struct khofmt_fdt *f, size_t *len)
{
	if (!f)
		return NULL;
	if (len)
		*len = f->len;
	return f->blob;
}

uint64_t khofmt_fdt_map(const struct khofmt_fdt *f)
{
	return f ? f->map : 0;
}

bool khofmt_fdt_has_map(const struct khofmt_fdt *f)
{
	return f && f->has_map;
}

size_t khofmt_fdt_nsubnodes(const struct khofmt_fdt *f)
{
	return f ? f->nsub : 0;
}

const struct khofmt_subnode *khofmt_fdt_subnode(const struct khofmt_fdt *f,
						size_t i)
{
	if (!f || i >= f->nsub)
		return NULL;
	return &f->sub[i];
}

const struct khofmt_subnode *
khofmt_fdt_subnode_by_name(const struct khofmt_fdt *f, const char *name)
{
	size_t i;

	if (!f || !name)
		return NULL;
	for (i = 0; i < f->nsub; i++)
		if (strcmp(f->sub[i].name, name) == 0)
			return &f->sub[i];
	return NULL;
}
