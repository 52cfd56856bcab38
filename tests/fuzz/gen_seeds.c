// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Seed corpora for the fuzz targets:  gen_seeds OUTDIR FIXTURES_DIR
 *
 * Writes OUTDIR/<target>/<name> for fuzz_fdt, fuzz_radix, fuzz_elf and
 * fuzz_pipeline, from
 *  - states built with the encoder (page shifts 12/14/16, kho-v2..v4,
 *    folios of many orders, greedy ranges, blobs);
 *  - the real 7.2.13 capture: root.fdt with the tracker pages of
 *    slim-kexec.elf, root-k2.fdt with those of slim-post.elf, every blob
 *    file, slim-pre.elf.
 * The memory part of a seed keeps only what the decoders touch (tracker
 * pages, blobs), so seeds stay small enough for libFuzzer's -max_len.
 * Deterministic: the same tree gives the same seeds.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "khofmt.h"
#include "fuzz.h"

/* libFuzzer -max_len of the ELF targets */
#define MAX_SEED 262144u

static const char *outdir;
static int failures;

static void die(const char *what, int rc)
{
	fprintf(stderr, "gen_seeds: %s: %s\n", what, rc ? khofmt_strerror(rc) : strerror(errno));
	exit(1);
}

/* ---- a growing byte buffer ---- */

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 4096;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("realloc", 0);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void put_le(struct buf *b, uint64_t v, unsigned n)
{
	uint8_t x[8];
	unsigned i;

	for (i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	put(b, x, n);
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = { 0 };
	uint8_t tmp[65536];
	size_t got;

	if (!f)
		return NULL;
	while ((got = fread(tmp, 1, sizeof(tmp), f)))
		put(&b, tmp, got);
	fclose(f);
	*len = b.n;
	return b.p ? b.p : malloc(1);
}

static void seed(const char *target, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f))
		die(path, 0);
}

/* ---- tracker pages and blobs of a decoded state ---- */

struct pages {
	uint64_t pa[4096];
	size_t n;
};

static int node_cb(void *arg, uint64_t pa, unsigned level)
{
	struct pages *pg = arg;

	(void)level;
	if (pg->n < 4096)
		pg->pa[pg->n++] = pa;
	return 0;
}

/*
 * The radix input (see fuzz_radix.c): header, FDT, one record per run of
 * non-zero 8-byte words of every tracker page.
 */
static void radix_input(struct buf *b, unsigned ps, bool problem,
			const void *fdt, size_t fdt_len,
			struct khofmt_source *src, const struct pages *pg)
{
	size_t P = (size_t)1 << ps, i, w;
	uint8_t *page = malloc(P), hdr[4];

	if (!page)
		die("malloc", 0);
	fz_hdr_put(hdr, ps, problem, fdt_len);
	put(b, hdr, 4);
	put(b, fdt, fdt_len);
	for (i = 0; i < pg->n; i++) {
		if (khofmt_source_read(src, pg->pa[i], page, P))
			continue;
		for (w = 0; w < P / 8;) {
			size_t s, e;

			if (!fz_le(page + 8 * w, 8)) {
				w++;
				continue;
			}
			/* a run: extend over gaps of up to one zero word */
			s = w;
			e = w + 1;
			while (e < P / 8 && (e - s) * 8 < 65528 &&
			       (fz_le(page + 8 * e, 8) ||
				(e + 1 < P / 8 && fz_le(page + 8 * (e + 1), 8))))
				e++;
			put_le(b, pg->pa[i], 8);
			put_le(b, s * 8, 2);
			put_le(b, (e - s) * 8, 2);
			put(b, page + 8 * s, (e - s) * 8);
			w = e;
		}
	}
	free(page);
}

/*
 * A compact ELF64 core of @m: one PT_LOAD per covered range, data packed
 * right after the headers (no page alignment: the reader needs none), so
 * seeds stay small.
 */
static void elf_write_compact(struct buf *b, struct khofmt_source *m)
{
	const struct khofmt_range *r;
	size_t n, i;
	uint64_t off;
	uint8_t *d;

	r = khofmt_source_ranges(m, &n);
	off = 64 + 56 * (uint64_t)n;
	put(b, "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", 16);
	put_le(b, 4, 2);	/* e_type ET_CORE */
	put_le(b, 62, 2);	/* e_machine EM_X86_64 */
	put_le(b, 1, 4);	/* e_version */
	put_le(b, 0, 8);	/* e_entry */
	put_le(b, 64, 8);	/* e_phoff */
	put_le(b, 0, 8);	/* e_shoff */
	put_le(b, 0, 4);	/* e_flags */
	put_le(b, 64, 2);	/* e_ehsize */
	put_le(b, 56, 2);	/* e_phentsize */
	put_le(b, n, 2);	/* e_phnum */
	put_le(b, 0, 2);	/* e_shentsize */
	put_le(b, 0, 2);	/* e_shnum */
	put_le(b, 0, 2);	/* e_shstrndx */
	for (i = 0; i < n; i++) {
		put_le(b, 1, 4);	/* PT_LOAD */
		put_le(b, 7, 4);	/* RWX */
		put_le(b, off, 8);
		put_le(b, 0, 8);	/* p_vaddr */
		put_le(b, r[i].start, 8);
		put_le(b, r[i].size, 8);
		put_le(b, r[i].size, 8);
		put_le(b, 4096, 8);
		off += r[i].size;
	}
	for (i = 0; i < n; i++) {
		d = malloc(r[i].size);
		if (!d || khofmt_source_read(m, r[i].start, d, r[i].size))
			die("read range", 0);
		put(b, d, r[i].size);
		free(d);
	}
}

/* An ELF core holding only the tracker pages and the blobs. */
static void elf_core(struct buf *b, unsigned ps, struct khofmt_fdt *fdt,
		     struct khofmt_source *src, const struct pages *pg)
{
	size_t P = (size_t)1 << ps, i, n;
	struct khofmt_source *m;
	void *d;
	int rc;

	rc = khofmt_source_new_mem(&m);
	if (rc)
		die("new_mem", rc);
	for (i = 0; i < pg->n; i++)
		if (khofmt_source_mem_add(m, pg->pa[i], P, &d) == 0 &&
		    khofmt_source_read(src, pg->pa[i], d, P))
			memset(d, 0, P);
	n = khofmt_fdt_nsubnodes(fdt);
	for (i = 0; i < n; i++) {
		const struct khofmt_subnode *s = khofmt_fdt_subnode(fdt, i);
		uint64_t sz = s->has_size && s->size ? s->size : 4096;

		if (!s->has_pa || sz > (1u << 20))
			continue;
		if (khofmt_source_mem_add(m, s->pa, sz, &d) == 0 &&
		    khofmt_source_read(src, s->pa, d, sz))
			memset(d, 0, sz);
	}
	elf_write_compact(b, m);
	khofmt_source_free(m);
}

/* Seeds for every target from one decodable (FDT, memory) pair. */
static void seeds_from(const char *name, unsigned ps, const void *fdt_blob,
		       size_t fdt_len, struct khofmt_source *src)
{
	struct khofmt_open_opts oo = { .sz = sizeof(oo), .page_shift = ps };
	struct khofmt_handover *h = NULL;
	struct khofmt_fdt *fdt = NULL;
	static struct pages pg;
	struct buf b = { 0 }, e = { 0 };
	char n2[256];
	uint8_t hdr[4];
	int rc;

	seed("fuzz_fdt", name, fdt_blob, fdt_len);
	rc = khofmt_fdt_open(fdt_blob, fdt_len, &fdt, NULL, 0);
	if (!rc)
		rc = khofmt_handover_open(fdt, src, &oo, &h);
	if (rc) {
		fprintf(stderr, "gen_seeds: %s: %s\n", name, khofmt_strerror(rc));
		failures++;
		khofmt_fdt_free(fdt);
		return;
	}
	pg.n = 0;
	rc = khofmt_walk_nodes(h, NULL, node_cb, &pg);
	if (rc) {
		fprintf(stderr, "gen_seeds: %s: walk_nodes: %s\n", name,
			khofmt_strerror(rc));
		failures++;
	}
	radix_input(&b, ps, false, fdt_blob, fdt_len, src, &pg);
	seed("fuzz_radix", name, b.p, b.n);
	b.p[0] |= 4;	/* the same with a problem callback */
	snprintf(n2, sizeof(n2), "%s-problem-cb", name);
	seed("fuzz_radix", n2, b.p, b.n);

	elf_core(&e, ps, fdt, src, &pg);
	if (e.n > MAX_SEED) {
		fprintf(stderr, "gen_seeds: %s: ELF core of %zu bytes left out\n",
			name, e.n);
		goto out;
	}
	seed("fuzz_elf", name, e.p, e.n);
	b.n = 0;
	fz_hdr_put(hdr, ps, true, fdt_len);
	put(&b, hdr, 4);
	put(&b, fdt_blob, fdt_len);
	put(&b, e.p, e.n);
	seed("fuzz_pipeline", name, b.p, b.n);
out:
	free(b.p);
	free(e.p);
	khofmt_handover_free(h);
	khofmt_fdt_free(fdt);
}

/* ---- encoder states ---- */

struct enc_case {
	const char *name;
	unsigned ps;
	enum khofmt_abi abi;
	unsigned kind;
};

static void encoded(const struct enc_case *c)
{
	struct khofmt_enc_opts eo = { .sz = sizeof(eo), .page_shift = c->ps,
				      .abi = c->abi };
	struct khofmt_source *src = NULL;
	struct khofmt_enc *enc;
	uint64_t P = UINT64_C(1) << c->ps, base = UINT64_C(0x100000000);
	static const char text[] = "kho fuzz seed blob: hello from gen_seeds";
	void *fdt = NULL;
	size_t fdt_len = 0;
	unsigned o;
	int rc;

	rc = khofmt_enc_new(&eo, &enc);
	if (rc)
		die("enc_new", rc);
	switch (c->kind) {
	case 0:	/* a few folios, a greedy range and a blob */
		khofmt_enc_add_folio(enc, base + 512 * P, 9);
		khofmt_enc_add_folio(enc, base + 1024 * P, 0);
		khofmt_enc_add_folio(enc, base, 3);
		khofmt_enc_add_range(enc, base + 4096 * P, 291 * P);
		khofmt_enc_add_blob(enc, "seed-blob", text, sizeof(text), NULL);
		break;
	case 1:	/* one entry of every order up to 20, touching */
		for (o = 0; o <= 20; o++)
			khofmt_enc_add_folio(enc, base + (UINT64_C(1) << o) * P * 2, o);
		break;
	case 2:	/* a dense leaf and far-apart entries */
		for (o = 0; o < 200; o++)
			khofmt_enc_add_folio(enc, base + o * P, 0);
		khofmt_enc_add_folio(enc, UINT64_C(0x40000000000), 0);
		khofmt_enc_add_folio(enc, UINT64_C(0x80000000000) - P, 0);
		khofmt_enc_add_subnode(enc, "dangling", UINT64_C(0xdead000), 64);
		break;
	default:	/* empty tracker */
		break;
	}
	rc = khofmt_enc_finish(enc, &src, &fdt, &fdt_len, NULL);
	if (rc)
		die(khofmt_enc_errmsg(enc), rc);
	khofmt_enc_free(enc);
	seeds_from(c->name, c->ps, fdt, fdt_len, src);
	khofmt_source_free(src);
	free(fdt);
}

/* ---- the real capture ---- */

static void fixture_pair(const char *dir, const char *fdt_name,
			 const char *elf_name, const char *name)
{
	char path[4096];
	struct khofmt_source *src;
	size_t len;
	void *fdt;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, fdt_name);
	fdt = slurp(path, &len);
	if (!fdt)
		die(path, 0);
	snprintf(path, sizeof(path), "%s/%s", dir, elf_name);
	rc = khofmt_source_open_elf(path, &src);
	if (rc)
		die(path, rc);
	seeds_from(name, 12, fdt, len, src);
	khofmt_source_free(src);
	free(fdt);
}

/* Every regular file below @dir as an fdt seed (blobs are FDTs or not). */
static void fdt_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		die(dir, 0);
	while ((de = readdir(d))) {
		char path[4096], name[512];
		struct stat st;
		size_t len;
		void *p;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		snprintf(name, sizeof(name), "%s%s", prefix, de->d_name);
		if (stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			char sub[600];

			snprintf(sub, sizeof(sub), "%s%s-", prefix, de->d_name);
			fdt_files(path, sub);
			continue;
		}
		p = slurp(path, &len);
		if (p)
			seed("fuzz_fdt", name, p, len);
		free(p);
	}
	closedir(d);
}

/* systemd mappings as systemd 262 writes them (schema_systemd.c). */
static void systemd_seeds(void)
{
	static const char *const m[] = {
		"{\"version\":1,\"state\":{\"kexecsCount\":0},\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"x\",\"token\":1},{\"type\":\"luo_session\",\"name\":\"s\",\"sessionName\":\"a/own\"}]},\"b@1.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"y\",\"token\":2}]}}}",
		"{\"version\":1}",
		"{\"version\":1,\"units\":{\"a.service\":{\"fdstore\":[{\"type\":\"fd\",\"name\":\"caf\\u00e9\\n\",\"token\":18446744073709551615}]}}}",
	};
	char name[32];
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		snprintf(name, sizeof(name), "mapping-%zu", i);
		seed("fuzz_systemd", name, m[i], strlen(m[i]));
	}
}

/*
 * fuzz_schema: a state of each registry subnode schema, encoded into the
 * encoder's meta area at 0x1000000; the seed is the fuzz_schema header
 * (entry, page size, blob length and offset) and that area.
 */
static void schema_seed(const char *key, int which)
{
	struct khofmt_enc_opts eo = { .sz = sizeof(eo), .page_shift = 12,
				      .meta_base = 0x1000000, .meta_size = 0x18000 };
	static const unsigned char content[6000] = { 'k', 'h', 'o' };
	struct khofmt_enc_luo_file f = { .compatible = "memfd-v2", .token = 7,
					 .size = sizeof(content), .data = content };
	struct khofmt_enc_luo_session ses = { .name = "seed", .files = &f, .nfiles = 1 };
	struct khofmt_enc_luo_flb flb = { .name = "liveupdate-test-flb-v0", .data = 1,
					  .refcount = 1 };
	struct khofmt_enc_region reg = { .name = "sample", .start = 0x40000000,
					 .size = 0x200000 };
	uint64_t phys[2] = { 0x40000000, 0x40200000 };
	unsigned order[2] = { 0, 9 };
	const struct khofmt_subnode *sn;
	struct khofmt_source *src = NULL;
	struct khofmt_fdt *fdt = NULL;
	struct khofmt_enc *enc = NULL;
	unsigned char page[4096];
	void *fdtb = NULL;
	size_t fdt_len, i, nsub = 0, idx = 0;
	struct buf b = { 0 };
	char err[128], name[64];
	uint64_t pa;
	int rc;

	for (i = 0; i < khofmt_schema_count(); i++) {
		const struct khofmt_schema_info *in = khofmt_schema_at(i);

		if (in->where != KHOFMT_SCHEMA_AT_SUBNODE)
			continue;
		if (!strcmp(in->key, key) && !idx)
			idx = nsub + 1;
		nsub++;
	}
	if (!idx)
		die(key, 0);
	rc = khofmt_enc_new(&eo, &enc);
	if (rc)
		die("enc_new", rc);
	rc = which == 0 ? khofmt_enc_kexec_meta(enc, "7.2.13-seed", 1) :
	     which == 1 ? khofmt_enc_luo(enc, 3, &ses, 1, &flb, 1) :
	     which == 2 ? khofmt_enc_memblock(enc, &reg, 1) :
			  khofmt_enc_kho_test(enc, phys, order, 2);
	if (rc)
		die(khofmt_enc_errmsg(enc), rc);
	rc = khofmt_enc_finish(enc, &src, &fdtb, &fdt_len, NULL);
	if (rc)
		die(khofmt_enc_errmsg(enc), rc);
	khofmt_enc_free(enc);
	rc = khofmt_fdt_open(fdtb, fdt_len, &fdt, err, sizeof(err));
	if (rc)
		die(err, rc);
	sn = khofmt_fdt_subnode_by_name(fdt, key);
	if (!sn || sn->pa < eo.meta_base || sn->pa >= eo.meta_base + eo.meta_size)
		die(key, 0);
	put_le(&b, idx - 1, 1);
	put_le(&b, 0, 1);
	put_le(&b, sn->size, 2);
	put_le(&b, sn->pa - eo.meta_base, 4);
	for (pa = eo.meta_base; pa < eo.meta_base + eo.meta_size; pa += sizeof(page)) {
		if (khofmt_source_read(src, pa, page, sizeof(page)) < 0)
			memset(page, 0, sizeof(page));
		put(&b, page, sizeof(page));
	}
	snprintf(name, sizeof(name), "enc-%s", key);
	seed("fuzz_schema", name, b.p, b.n);
	free(b.p);
	khofmt_fdt_free(fdt);
	khofmt_source_free(src);
	free(fdtb);
}

int main(int argc, char **argv)
{
	static const struct enc_case cases[] = {
		{ "enc-v4-ps12-mixed", 12, KHOFMT_ABI_V4, 0 },
		{ "enc-v3-ps12-orders", 12, KHOFMT_ABI_V3, 1 },
		{ "enc-v2-ps12-dense", 12, KHOFMT_ABI_V2, 2 },
		{ "enc-v4-ps14-mixed", 14, KHOFMT_ABI_V4, 0 },
		{ "enc-v4-ps16-orders", 16, KHOFMT_ABI_V4, 1 },
		{ "enc-v4-ps12-empty", 12, KHOFMT_ABI_V4, 3 },
	};
	char path[4096];
	size_t i, len;
	void *p;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_seeds OUTDIR FIXTURES_DIR\n");
		return 64;
	}
	outdir = argv[1];
	mkdir(outdir, 0777);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		encoded(&cases[i]);
	fixture_pair(argv[2], "root.fdt", "slim-kexec.elf", "k1-root-kexec");
	fixture_pair(argv[2], "root-k2.fdt", "slim-post.elf", "k2-root-post");
	snprintf(path, sizeof(path), "%s/blobs", argv[2]);
	fdt_files(path, "blob-");
	snprintf(path, sizeof(path), "%s/slim-pre.elf", argv[2]);
	p = slurp(path, &len);
	if (!p)
		die(path, 0);
	seed("fuzz_elf", "slim-pre.elf", p, len);
	free(p);
	systemd_seeds();
	schema_seed("kexec-metadata", 0);
	schema_seed("LUO", 1);
	schema_seed("memblock", 2);
	schema_seed("kho_test", 3);
	return failures ? 1 : 0;
}
