// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * verify on every generation: the same synthetic state (a 2 MiB range, an
 * order-3 folio, a kho_test list of two folios, one sub-FDT blob) is
 * encoded as every generation of the registry (RFC, kho-v1 E1a and E1b,
 * kho-v2, kho-v3, kho-v4 and whatever follows), must verify without errors
 * or warnings, and then each fault class is put into
 * it on every generation where it applies; verify must report the fault's
 * rule (at the fault's address when it has one) and no unexpected error.
 *
 * Faults are placed with this file's own knowledge of the layouts
 * (doc/ABI.md 4.2 chunk header {next, order, num_elms}; 6.7 kho_test:
 * folios_info = kho_vmalloc {first, ...}, chunk = {next, phys[]}, words
 * phys | order), not with the decoders under test.
 */
#include <libfdt.h>

#include "testutil.h"

#define P U64(0x1000)
#define RAM_END U64(0x200000000)	/* RAM [0, 8 GiB) */
#define DATA U64(0x100000000)		/* folios from 4 GiB */
#define KT_BASE U64(0x140000000)	/* kho_test folios */
#define UNPRESERVED U64(0x170000000)	/* RAM, never preserved */
#define NOADDR UINT64_MAX

/*
 * The generations: every entry of the registry (khofmt_gen_count()), so a
 * generation added there is checked here without a change; a chunk-list
 * one twice (E1a, E1b). What the faults edit (the subnode's blob pointer
 * property, blob-size) is this file's own knowledge for the generations it
 * knows (doc/ABI.md 3), checked against the registry; a newer generation
 * takes the registry's.
 */
#define G_MAX 32
#define CK(cond, ...) do { if (!(cond)) bail_out(__VA_ARGS__); } while (0)

static struct {
	char name[48];
	enum khofmt_abi abi;
	unsigned variant;
	const char *ptr;	/* subnode blob pointer property */
	bool size;		/* subnodes carry blob-size */
	bool rfc, chunk;	/* the RFC ranges form; a chunk list */
} gens[G_MAX];
static unsigned ngens;

static const struct {
	enum khofmt_abi abi;
	const char *name, *ptr, *tracker;
	bool size;
} known[] = {
	{ KHOFMT_ABI_RFC, "kho-rfc", NULL, "rfc-mem", false },
	{ KHOFMT_ABI_V1, "kho-v1", "fdt", "chunk", false },
	{ KHOFMT_ABI_V2, "kho-v2", "preserved-data", "radix", false },
	{ KHOFMT_ABI_V3, "kho-v3", "preserved-data", "radix", true },
	{ KHOFMT_ABI_V4, "kho-v4", "preserved-data", "radix", true },
};

static void add_gen(enum khofmt_abi abi, const struct khofmt_gen_info *in,
		    unsigned variant, const char *vname)
{
	size_t k;

	CK(ngens < G_MAX, "too many generations");
	gens[ngens].abi = abi;
	gens[ngens].variant = variant;
	gens[ngens].rfc = !strcmp(in->tracker, "rfc-mem");
	gens[ngens].chunk = !strcmp(in->tracker, "chunk");
	/* the RFC subnodes of this state carry the radix property (unused) */
	gens[ngens].ptr = in->blob_ptr ? in->blob_ptr : "preserved-data";
	gens[ngens].size = in->has_size;
	for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (known[k].abi == abi) {
			gens[ngens].ptr = known[k].ptr ? known[k].ptr : "preserved-data";
			gens[ngens].size = known[k].size;
		}
	snprintf(gens[ngens].name, sizeof(gens[ngens].name), "%s%s%s",
		 in->name, vname ? " " : "", vname ? vname : "");
	ngens++;
}

/* The registry's generations; its first five are the ones khofmt.h names. */
static void load_gens(void)
{
	size_t i, k, n = khofmt_gen_count();

	ok(n >= 5 && !khofmt_gen_info(KHOFMT_ABI_UNKNOWN) &&
	   !khofmt_gen_info((enum khofmt_abi)(n + 1)),
	   "registry: %zu generations, none at 0 or past the end", n);
	for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		const struct khofmt_gen_info *in = khofmt_gen_info(known[k].abi);

		ok(in && !strcmp(in->name, known[k].name) &&
		   !strcmp(in->tracker, known[k].tracker) &&
		   (known[k].ptr ? in->blob_ptr && !strcmp(in->blob_ptr, known[k].ptr)
				 : !in->blob_ptr) &&
		   in->has_size == known[k].size &&
		   khofmt_abi_parse(known[k].name) == known[k].abi,
		   "registry: %s at its constant %d (%s, %s%s)", known[k].name,
		   (int)known[k].abi, known[k].tracker,
		   known[k].ptr ? known[k].ptr : "no pointer",
		   known[k].size ? ", blob-size" : "");
	}
	for (i = 1; i <= n; i++) {
		enum khofmt_abi abi = (enum khofmt_abi)i;
		const struct khofmt_gen_info *in = khofmt_gen_info(abi);

		CK(in, "no generation %zu", i);
		if (!strcmp(in->tracker, "chunk")) {
			add_gen(abi, in, KHOFMT_VARIANT_E1A, "E1a");
			add_gen(abi, in, KHOFMT_VARIANT_E1B, "E1b");
		} else {
			add_gen(abi, in, 0, NULL);
		}
	}
}

enum fault {
	F_NONE,
	F_KT_FOLIO,		/* a folios_info word names unpreserved memory */
	F_KT_LOOP,		/* folios_info chunk points back at itself */
	F_KT_WILD,		/* folios_info chunk points outside the image */
	F_DUP_BLOB,		/* two subnodes, one blob */
	F_BLOB_IN_TRACKER,	/* a blob pointer at a tracker page */
	F_ROOT_BIG,		/* root FDT larger than a page */
	F_CHUNK_CYCLE,		/* kho-v1: last chunk -> first chunk */
	F_ORDER37,		/* an entry of order 37 (2^49 bytes), no RAM map */
	F_ORDER40,		/* order 40: the whole 52-bit space */
	F_BLOB_OVERLAP,		/* a second blob starting inside the first */
	F_BLOB_SHARE_PAGE,	/* a second blob in the first one's page */
	F_BLOB_IN_STRUCT,	/* a blob in kho_test's folios_info chunk page */
	F_COUNT
};

static const struct {
	const char *name;
	const char *rule;	/* expected rule */
	const char *also;	/* other errors allowed with it (or NULL) */
	bool v1_only, radix_or_v1;
	bool no_ram;		/* verify without a RAM map */
} faults[F_COUNT] = {
	[F_NONE] = { "clean", NULL, NULL, false, false },
	[F_KT_FOLIO] = { "kho_test folio not preserved", "KHO-E201", NULL,
			 false, true },
	[F_KT_LOOP] = { "kho_test folios_info chunk loop", "KHO-E183", NULL,
			false, true },
	[F_KT_WILD] = { "kho_test folios_info wild next", "KHO-E183", NULL,
			false, true },
	[F_DUP_BLOB] = { "two subnodes share one blob", "KHO-E069", NULL,
			 false, true },
	[F_BLOB_IN_TRACKER] = { "blob inside the tracker's pages", "KHO-E070",
				"KHO-E060", false, true },
	[F_ROOT_BIG] = { "root FDT larger than a page", "KHO-E014", NULL,
			 false, true },
	[F_CHUNK_CYCLE] = { "chunk list cycle", "KHO-E022", NULL, true, true },
	/* the huge entry covers every other one: overlaps (E040, RFC E021) */
	[F_ORDER37] = { "order-37 entry", "KHO-E028", "KHO-E040 KHO-E021",
			false, false, true },
	[F_ORDER40] = { "order-40 entry", "KHO-E028", "KHO-E040 KHO-E021",
			false, false, true },
	[F_BLOB_OVERLAP] = { "a blob starting inside another", "KHO-E069", NULL,
			     false, true },
	[F_BLOB_SHARE_PAGE] = { "a blob in another blob's page", "KHO-E069", NULL,
				false, true },
	[F_BLOB_IN_STRUCT] = { "a blob in another subnode's structure page",
			       "KHO-E069", NULL, false, true },
};

struct world {
	struct khofmt_source *src;
	void *fdt;
	size_t len;
	uint64_t fdt_pa, blob_pa, fault;
	unsigned g;
};

static unsigned char *mem_w(struct world *w, uint64_t pa, size_t n)
{
	const void *p = khofmt_source_ptr(w->src, pa, n);

	CK(p, "0x%" PRIx64 " not in the image", pa);
	return (unsigned char *)(uintptr_t)p;	/* in-memory image: ours */
}

static uint64_t get64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static void put64(void *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static const char *ptr_prop(unsigned g)
{
	return gens[g].ptr;
}

/* A root FDT copy with room for edits. */
static void fdt_room(struct world *w, size_t extra)
{
	void *n = xmalloc(w->len + extra);

	CK(!fdt_open_into(w->fdt, n, (int)(w->len + extra)), "open_into");
	free(w->fdt);
	w->fdt = n;
}

static void fdt_done(struct world *w)
{
	CK(!fdt_pack(w->fdt), "pack");
	w->len = fdt_totalsize(w->fdt);
}

static void add_subnode(struct world *w, const char *name, uint64_t pa,
			uint64_t size)
{
	uint64_t v = htole64(pa), z = htole64(size);
	int node;

	fdt_room(w, 256);
	node = fdt_add_subnode(w->fdt, 0, name);
	CK(node >= 0, "add_subnode");
	CK(!fdt_setprop(w->fdt, node, ptr_prop(w->g), &v, 8), "setprop");
	if (gens[w->g].size)
		CK(!fdt_setprop(w->fdt, node, "blob-size", &z, 8), "setprop");
	fdt_done(w);
}

static uint64_t sub_ptr(struct world *w, const char *path)
{
	int node = fdt_path_offset(w->fdt, path), len;
	const void *p;

	CK(node >= 0, "no %s", path);
	p = fdt_getprop(w->fdt, node, ptr_prop(w->g), &len);
	CK(p && len == 8, "%s has no pointer", path);
	return get64(p);
}

/* The kho_test folios_info descriptor's first chunk (doc/ABI.md 6.7). */
static uint64_t kt_chunk(struct world *w)
{
	const unsigned char *sub = mem_w(w, sub_ptr(w, "/kho_test"), 64);
	uint32_t total = fdt_totalsize(sub);
	int node, len;
	const void *info;

	sub = mem_w(w, sub_ptr(w, "/kho_test"), total);
	node = fdt_path_offset(sub, "/data");
	CK(node >= 0, "kho_test /data");
	info = fdt_getprop(sub, node, "folios_info", &len);
	CK(info && len == 16, "folios_info");
	return get64(info);
}

static uint64_t root_map(struct world *w)
{
	const void *p = fdt_getprop(w->fdt, 0, "preserved-memory-map", NULL);

	CK(p, "no map");
	return get64(p);
}

static void build(struct world *w, unsigned g, enum fault f)
{
	static const uint64_t kt_phys[2] = { KT_BASE, KT_BASE + 0x80000 };
	static const unsigned kt_order[2] = { 0, 3 };
	struct khofmt_enc_opts eo = { .sz = sizeof(eo) };
	struct khofmt_enc *e;
	char blob[256];

	memset(w, 0, sizeof(*w));
	w->g = g;
	w->fault = NOADDR;
	eo.abi = gens[g].abi;
	eo.variant = gens[g].variant;
	CK(!khofmt_enc_new(&eo, &e), "enc_new %s", gens[g].name);
	CK(!khofmt_enc_add_range(e, DATA, 0x200000), "range");
	CK(!khofmt_enc_add_folio(e, DATA + 0x400000, 3), "folio");
	CK(!khofmt_enc_kho_test(e, kt_phys, kt_order, 2), "kho_test: %s",
	   khofmt_enc_errmsg(e));
	CK(!fdt_create_empty_tree(blob, sizeof(blob)) &&
	   !fdt_setprop_string(blob, 0, "compatible", "test-blob-v1") &&
	   !fdt_pack(blob), "blob FDT");
	CK(!khofmt_enc_add_blob(e, "blob-a", blob, fdt_totalsize(blob),
				&w->blob_pa), "blob");
	if (f == F_ORDER37 || f == F_ORDER40)
		CK(!khofmt_enc_add_folio(e, w->fault = 0, f == F_ORDER37 ? 37 : 40),
		   "huge entry: %s", khofmt_enc_errmsg(e));
	CK(!khofmt_enc_finish(e, &w->src, &w->fdt, &w->len, &w->fdt_pa),
	   "finish: %s", khofmt_enc_errmsg(e));
	khofmt_enc_free(e);

	switch (f) {
	case F_NONE:
		break;
	case F_KT_FOLIO: {
		/* the word KT_BASE | 0 sits in the first run of the chunk */
		uint64_t run = get64(mem_w(w, kt_chunk(w) + 8, 8));

		CK(get64(mem_w(w, run, 8)) == KT_BASE, "folios_info word 0");
		put64(mem_w(w, run, 8), w->fault = UNPRESERVED);
		break;
	}
	case F_KT_LOOP:
		put64(mem_w(w, kt_chunk(w), 8), kt_chunk(w));
		break;
	case F_KT_WILD:
		put64(mem_w(w, kt_chunk(w), 8), U64(0x7000000000));
		break;
	case F_DUP_BLOB:
		add_subnode(w, "blob-b", w->blob_pa, fdt_totalsize(blob));
		w->fault = w->blob_pa;
		break;
	case F_BLOB_IN_TRACKER:
		w->fault = root_map(w);
		add_subnode(w, "in-tracker", w->fault, 64);
		break;
	case F_BLOB_OVERLAP:
		/* blob-a's bytes from 16 on, taken for a blob of their own */
		add_subnode(w, "blob-b", w->fault = w->blob_pa + 16, 32);
		break;
	case F_BLOB_SHARE_PAGE: {
		/* a copy of blob-a further in its page: a valid sub-FDT of its own */
		uint32_t n = fdt_totalsize(blob);

		w->fault = w->blob_pa + 2048;
		memcpy(mem_w(w, w->fault, n), blob, n);
		add_subnode(w, "blob-b", w->fault, n);
		break;
	}
	case F_BLOB_IN_STRUCT:
		add_subnode(w, "blob-b", w->fault = kt_chunk(w) + 1024, 64);
		break;
	case F_ROOT_BIG: {
		static char pad[2 * 4096];

		fdt_room(w, sizeof(pad) + 256);
		memset(pad, 'x', sizeof(pad));
		CK(!fdt_setprop(w->fdt, 0, "padding", pad, sizeof(pad)),
		   "padding");
		fdt_done(w);
		break;
	}
	case F_CHUNK_CYCLE: {
		/* follow the chain to its end, then point back at the head */
		uint64_t first = root_map(w), pa = first, next;
		unsigned n = 0;

		while ((next = get64(mem_w(w, pa, 8))) && ++n < 64)
			pa = next;
		put64(mem_w(w, pa, 8), first);
		w->fault = first;
		break;
	}
	default:
		break;
	}
}

static struct khofmt_verify *run(struct world *w, bool no_ram)
{
	static const struct khofmt_range ram = { 0, RAM_END };
	struct khofmt_verify_opts o = { .sz = sizeof(o) };
	struct khofmt_verify *v = NULL;

	if (!no_ram) {
		o.ram = &ram;
		o.nram = 1;
		o.has_ram = true;
		o.ram_origin = "test";
	}
	o.fdt_pa = w->fdt_pa;
	o.has_fdt_pa = !gens[w->g].rfc;
	CK(!khofmt_verify_run(w->fdt, w->len, w->src, &o, &v), "verify_run");
	return v;
}

static void show(const struct khofmt_verify *v)
{
	size_t i;

	for (i = 0; i < khofmt_verify_nfindings(v); i++) {
		const struct khofmt_finding *f = khofmt_verify_finding(v, i);

		diag("  %s [%s] %s", f->rule->id, f->object, f->message);
	}
}

static void check(unsigned g, enum fault f)
{
	struct world w;
	struct khofmt_verify *v;
	size_t i, hits = 0, others = 0, warns = 0;

	build(&w, g, f);
	v = run(&w, faults[f].no_ram);
	for (i = 0; i < khofmt_verify_nfindings(v); i++) {
		const struct khofmt_finding *x = khofmt_verify_finding(v, i);

		if (faults[f].rule && !strcmp(x->rule->id, faults[f].rule)) {
			if (w.fault == NOADDR ||
			    (x->has_addr && x->addr == w.fault))
				hits++;
		} else if (x->rule->severity == KHOFMT_SEV_ERROR &&
			   !(faults[f].also &&
			     strstr(faults[f].also, x->rule->id))) {
			others++;
		} else if (x->rule->severity == KHOFMT_SEV_WARNING) {
			warns++;
		}
	}
	if (getenv("SHOW"))
		show(v);
	if (!faults[f].rule) {
		if (!ok(!others && !warns, "%s: %s: no error, no warning",
			gens[g].name, faults[f].name))
			show(v);
	} else if (!ok(hits && !others, "%s: %s: %s%s, no other error",
		       gens[g].name, faults[f].name, faults[f].rule,
		       w.fault == NOADDR ? "" : " at the fault")) {
		show(v);
	}
	khofmt_verify_free(v);
	khofmt_source_free(w.src);
	free(w.fdt);
}

int main(void)
{
	unsigned g, f;

	load_gens();
	for (f = 0; f < F_COUNT; f++)
		for (g = 0; g < ngens; g++) {
			if (faults[f].v1_only && !gens[g].chunk)
				continue;
			if (faults[f].radix_or_v1 && gens[g].rfc)
				continue;
			check(g, f);
		}
	return done_testing();
}
