// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Encoders for the sub-schemas (doc/ABI.md 6), laid out as 7.2.13 writes
 * them, on top of the public encoder API (add_blob, add_folio, add_range)
 * and khofmt_enc_alloc()/khofmt_enc_write() for preserved pages that no
 * subnode points at directly (blocks, records, vmalloc chunks, data).
 */
#include <stdlib.h>
#include <libfdt.h>

#include "abi_layout.h"
#include "schema_int.h"

#define P_OF(e) (UINT64_C(1) << khofmt_enc_page_shift(e))

/* Append @page to a chain of pages linked by their first u64. */
static int enc_link(struct khofmt_enc *e, uint64_t *prev, uint64_t *first,
		    uint64_t page)
{
	unsigned char w[8];
	int r = 0;

	if (*prev) {
		st_le64(w, page);
		r = khofmt_enc_write(e, *prev, w, 8);
	} else {
		*first = page;
	}
	*prev = page;
	return r;
}

int khofmt_enc_vmalloc(struct khofmt_enc *e, const void *data, size_t len,
		       unsigned order, struct khofmt_vmalloc_desc *d)
{
	uint64_t P, unit, nruns, i, chunk = 0, prev = 0, slots, slot = 0;
	unsigned char w[8];
	int r;

	if (!e || !d || (!data && len) || !len || order > 10)
		return -KHOFMT_ERR_INVAL;
	P = P_OF(e);
	unit = P << order;
	nruns = (len + unit - 1) / unit;
	if ((nruns << order) > UINT32_MAX)
		return -KHOFMT_ERR_LIMIT;
	slots = P / 8 - 1;
	memset(d, 0, sizeof(*d));
	d->total_pages = (uint32_t)(nruns << order);
	d->flags = 1; /* VM_ALLOC */
	d->order = (uint16_t)order;
	for (i = 0; i < nruns; i++) {
		uint64_t run, n = len - i * unit < unit ? len - i * unit : unit;

		if (!chunk || slot == slots) {
			r = khofmt_enc_alloc(e, 0, &chunk);
			r = r ? r : enc_link(e, &prev, &d->first, chunk);
			if (r)
				return r;
			slot = 0;
		}
		r = khofmt_enc_alloc(e, order, &run);
		if (r)
			return r;
		r = khofmt_enc_write(e, run, (const unsigned char *)data + i * unit,
				     (size_t)n);
		if (r)
			return r;
		st_le64(w, run);
		r = khofmt_enc_write(e, chunk + VM_CHUNK_SLOTS_OFF + 8 * slot++, w, 8);
		if (r)
			return r;
	}
	return 0;
}

int khofmt_enc_kexec_meta(struct khofmt_enc *e, const char *release,
			  uint32_t count)
{
	unsigned char b[KM_SIZE] = { 0 };

	if (!e || !release || strlen(release) > KM_RELEASE_LEN - 1)
		return -KHOFMT_ERR_INVAL;
	st_le32(b + KM_VERSION_OFF, 1);
	memcpy(b + KM_RELEASE_OFF, release, strlen(release));
	st_le32(b + KM_COUNT_OFF, count);
	return khofmt_enc_add_blob(e, "kexec-metadata", b, sizeof(b), NULL);
}

static int fdt_prop_le64(void *fdt, const char *name, uint64_t v)
{
	unsigned char b[8];

	st_le64(b, v);
	return fdt_property(fdt, name, b, 8);
}

static int fdt_prop_le32(void *fdt, const char *name, uint32_t v)
{
	unsigned char b[4];

	st_le32(b, v);
	return fdt_property(fdt, name, b, 4);
}

/* A one-page sequential-write FDT with root compatible @compat. */
static int enc_fdt_begin(struct khofmt_enc *e, const char *compat, void **out)
{
	size_t cap = (size_t)P_OF(e);
	void *fdt = calloc(1, cap);
	int r;

	*out = fdt;
	if (!fdt)
		return -KHOFMT_ERR_NOMEM;
	r = fdt_create(fdt, (int)cap);
	r = r ? r : fdt_finish_reservemap(fdt);
	r = r ? r : fdt_begin_node(fdt, "");
	return r ? r : fdt_property_string(fdt, "compatible", compat);
}

/* Close the root node and add the FDT as subnode @name's blob. */
static int enc_fdt_finish(struct khofmt_enc *e, void *fdt, int r, const char *name)
{
	r = r ? r : fdt_end_node(fdt);
	r = r ? r : fdt_finish(fdt);
	if (!r)
		r = khofmt_enc_add_blob(e, name, fdt, fdt_totalsize(fdt), NULL);
	else if (r == -FDT_ERR_NOSPACE)
		r = -KHOFMT_ERR_LIMIT;
	else
		r = -KHOFMT_ERR_INVAL;
	free(fdt);
	return r;
}

int khofmt_enc_memblock(struct khofmt_enc *e, const struct khofmt_enc_region *reg,
			size_t n)
{
	size_t i;
	void *fdt = NULL;
	int r;

	if (!e || (!reg && n))
		return -KHOFMT_ERR_INVAL;
	r = enc_fdt_begin(e, "memblock-v1", &fdt);
	if (!fdt)
		return -KHOFMT_ERR_NOMEM;
	for (i = 0; !r && i < n; i++) {
		r = fdt_begin_node(fdt, reg[i].name);
		r = r ? r : fdt_property_string(fdt, "compatible", "reserve-mem-v1");
		r = r ? r : fdt_prop_le64(fdt, "start", reg[i].start);
		r = r ? r : fdt_prop_le64(fdt, "size", reg[i].size);
		r = r ? r : fdt_end_node(fdt);
	}
	r = enc_fdt_finish(e, fdt, r, "memblock");
	for (i = 0; !r && i < n; i++)
		r = khofmt_enc_add_range(e, reg[i].start, reg[i].size);
	return r;
}

int khofmt_enc_kho_test(struct khofmt_enc *e, const uint64_t *phys,
			const unsigned *order, size_t n)
{
	struct khofmt_vmalloc_desc d;
	unsigned char raw[16], *words;
	size_t i;
	void *fdt;
	int r;

	if (!e || !n || !phys || !order || n > UINT32_MAX)
		return -KHOFMT_ERR_INVAL;
	words = malloc(n * 8);
	if (!words)
		return -KHOFMT_ERR_NOMEM;
	for (i = 0; i < n; i++)
		st_le64(words + 8 * i, phys[i] | order[i]);
	r = khofmt_enc_vmalloc(e, words, n * 8, 0, &d);
	free(words);
	for (i = 0; !r && i < n; i++)
		r = khofmt_enc_add_folio(e, phys[i], order[i]);
	if (r)
		return r;
	khofmt_vmalloc_desc_store(raw, &d);
	r = enc_fdt_begin(e, "kho-test-v1", &fdt);
	if (!fdt)
		return -KHOFMT_ERR_NOMEM;
	r = r ? r : fdt_prop_le32(fdt, "magic", 0x4b484f21u);
	r = r ? r : fdt_begin_node(fdt, "data");
	r = r ? r : fdt_prop_le32(fdt, "nr_folios", (uint32_t)n);
	r = r ? r : fdt_property(fdt, "folios_info", raw, 16);
	/* the folios' bytes are not in the image (zero): checksum 0 */
	r = r ? r : fdt_prop_le32(fdt, "csum", 0);
	r = r ? r : fdt_end_node(fdt);
	return enc_fdt_finish(e, fdt, r, "kho_test");
}

/* Write @n entries of @esize bytes as a kho_block chain; *first = 0 if n=0. */
static int enc_chain(struct khofmt_enc *e, const unsigned char *ent, size_t esize,
		     size_t n, uint64_t *first)
{
	uint64_t P = P_OF(e), cap = (P - BLK_HDR_SIZE) / esize, prev = 0, blk;
	unsigned char hdr[BLK_HDR_SIZE];
	size_t i = 0;
	int r;

	*first = 0;
	while (i < n) {
		uint64_t cnt = n - i < cap ? n - i : cap;

		r = khofmt_enc_alloc(e, 0, &blk);
		if (r)
			return r;
		st_le64(hdr + BLK_NEXT_OFF, 0);
		st_le64(hdr + BLK_COUNT_OFF, cnt);
		r = khofmt_enc_write(e, blk, hdr, BLK_HDR_SIZE);
		r = r ? r : khofmt_enc_write(e, blk + BLK_HDR_SIZE, ent + i * esize,
					     (size_t)cnt * esize);
		r = r ? r : enc_link(e, &prev, first, blk);
		if (r)
			return r;
		i += (size_t)cnt;
	}
	return 0;
}

static int enc_memfd(struct khofmt_enc *e, const struct khofmt_enc_luo_file *f,
		     uint64_t *rec_pa)
{
	uint64_t P = P_OF(e), unit = P << f->folio_order, nf, i;
	unsigned ps = khofmt_enc_page_shift(e);
	struct khofmt_vmalloc_desc d = { 0 };
	unsigned char rec[MFD_REC_SIZE] = { 0 }, *arr = NULL;
	int r = 0;

	if (f->size && !f->data)
		return -KHOFMT_ERR_INVAL;
	nf = (f->size + unit - 1) / unit;
	if (nf) {
		arr = calloc((size_t)nf, MFD_FOLIO_SIZE);
		if (!arr)
			return -KHOFMT_ERR_NOMEM;
	}
	for (i = 0; i < nf && !r; i++) {
		uint64_t pa, n = f->size - i * unit < unit ? f->size - i * unit : unit;

		r = khofmt_enc_alloc(e, f->folio_order, &pa);
		r = r ? r : khofmt_enc_write(e, pa, (const unsigned char *)f->data +
					     i * unit, (size_t)n);
		/* DIRTY | UPTODATE, as the producer marks every folio */
		st_le64(arr + MFD_FOLIO_SIZE * i + MFD_FOLIO_PFNFLAGS_OFF,
			(pa >> ps) | (UINT64_C(3) << MFD_FOLIO_FLAGS_SHIFT));
		st_le64(arr + MFD_FOLIO_SIZE * i + MFD_FOLIO_INDEX_OFF, i << f->folio_order);
	}
	if (!r && nf)
		r = khofmt_enc_vmalloc(e, arr, (size_t)nf * MFD_FOLIO_SIZE, 0, &d);
	free(arr);
	if (r)
		return r;
	st_le64(rec + MFD_POS_OFF, f->pos);
	st_le64(rec + MFD_SIZE_OFF, f->size);
	st_le32(rec + MFD_SEALS_OFF, f->seals);
	st_le64(rec + MFD_NR_FOLIOS_OFF, nf);
	khofmt_vmalloc_desc_store(rec + MFD_FOLIOS_OFF, &d);
	r = khofmt_enc_alloc(e, 0, rec_pa);
	return r ? r : khofmt_enc_write(e, *rec_pa, rec, sizeof(rec));
}

int khofmt_enc_luo(struct khofmt_enc *e, uint64_t liveupdate_num,
		   const struct khofmt_enc_luo_session *s, size_t ns,
		   const struct khofmt_enc_luo_flb *flb, size_t nflb)
{
	unsigned char root[LUO_SIZE] = { 0 }, *srec = NULL, *frec = NULL, *page = NULL;
	uint64_t P, flbs;
	size_t i, j;
	int r = 0;

	if (!e || (!s && ns) || (!flb && nflb))
		return -KHOFMT_ERR_INVAL;
	P = P_OF(e);
	if (nflb > (P - LUO_FLBH_SIZE) / LUO_FLB_SIZE)
		return -KHOFMT_ERR_LIMIT;
	srec = calloc(ns ? ns : 1, LUO_SES_SIZE);
	page = calloc(1, (size_t)P);
	if (!srec || !page) {
		r = -KHOFMT_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < ns && !r; i++) {
		uint64_t files = 0;

		if (!s[i].name || strlen(s[i].name) > 63 || (!s[i].files && s[i].nfiles)) {
			r = -KHOFMT_ERR_INVAL;
			break;
		}
		free(frec);
		frec = calloc(s[i].nfiles ? s[i].nfiles : 1, LUO_FILE_SIZE);
		if (!frec) {
			r = -KHOFMT_ERR_NOMEM;
			break;
		}
		for (j = 0; j < s[i].nfiles && !r; j++) {
			const struct khofmt_enc_luo_file *f = &s[i].files[j];
			const char *c = f->compatible ? f->compatible : "memfd-v2";
			uint64_t data = 0;

			if (strlen(c) > LUO_FILE_COMPAT_LEN - 1) {
				r = -KHOFMT_ERR_INVAL;
				break;
			}
			r = enc_memfd(e, f, &data);
			memcpy(frec + LUO_FILE_SIZE * j + LUO_FILE_COMPAT_OFF, c, strlen(c));
			st_le64(frec + LUO_FILE_SIZE * j + LUO_FILE_DATA_OFF, data);
			st_le64(frec + LUO_FILE_SIZE * j + LUO_FILE_TOKEN_OFF, f->token);
		}
		r = r ? r : enc_chain(e, frec, LUO_FILE_SIZE, s[i].nfiles, &files);
		memcpy(srec + LUO_SES_SIZE * i + LUO_SES_NAME_OFF, s[i].name,
		       strlen(s[i].name));
		st_le64(srec + LUO_SES_SIZE * i + LUO_SES_FILES_OFF, files);
		st_le64(srec + LUO_SES_SIZE * i + LUO_SES_COUNT_OFF, s[i].nfiles);
	}
	if (!r)
		r = enc_chain(e, srec, LUO_SES_SIZE, ns, &flbs);
	if (r)
		goto out;
	memcpy(root + LUO_COMPAT_OFF, "luo-v5", 6);
	st_le64(root + LUO_NUM_OFF, liveupdate_num);
	st_le64(root + LUO_SESSIONS_OFF, flbs); /* sessions chain */
	st_le64(page + LUO_FLBH_PGCNT_OFF, 1);
	st_le64(page + LUO_FLBH_COUNT_OFF, nflb);
	for (i = 0; i < nflb; i++) {
		if (!flb[i].name || strlen(flb[i].name) > LUO_FLB_NAME_LEN - 1) {
			r = -KHOFMT_ERR_INVAL;
			goto out;
		}
		unsigned char *fr = page + LUO_FLBH_SIZE + LUO_FLB_SIZE * i;

		memcpy(fr + LUO_FLB_NAME_OFF, flb[i].name, strlen(flb[i].name));
		st_le64(fr + LUO_FLB_DATA_OFF, flb[i].data);
		st_le64(fr + LUO_FLB_COUNT_OFF, flb[i].refcount);
	}
	r = khofmt_enc_alloc(e, 0, &flbs);
	r = r ? r : khofmt_enc_write(e, flbs, page, (size_t)P);
	if (r)
		goto out;
	st_le64(root + LUO_FLBS_OFF, flbs);
	r = khofmt_enc_add_blob(e, "LUO", root, sizeof(root), NULL);
out:
	free(srec);
	free(frec);
	free(page);
	return r;
}
