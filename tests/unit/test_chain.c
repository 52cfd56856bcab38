// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The chain walker (issue 16 item 3) through its public adapters, on
 * chains built by hand in an in-memory image, with 4 KiB and 64 KiB pages:
 * kho_block chains (khofmt_block_*), kho_vmalloc chunk lists
 * (khofmt_vmalloc_*), the kho-v1 tracker's chunk list (an encoded
 * state, walked with khofmt_walk_folios()) and x86 setup_data (through
 * khofmt_discover_roots()). Each fault — a loop closing at any position, a wild
 * or misaligned next pointer, a block count of 0 or beyond its page, more
 * runs than total_pages — must end the walk with its own error, be told
 * to the problem callback once, as fatal, under the layout's rule
 * ("LUO-2", "VM-1") at the node that holds the bad pointer or count, and
 * every entry before it must have been returned exactly once (a loop is
 * found before the node closing it is entered again).
 *
 * Layouts from doc/ABI.md, written here independently of abi_layout.h:
 * 6.3 block = {u64 next, u64 count} then count entries, (P - 16) / esize
 * per block; 6.5 chunk = {u64 next} then u64 run starts up to a 0 or the
 * page end, (P - 8) / 8 per chunk.
 */
#include "testutil.h"

#define NODES 6			/* nodes of the chain */
#define PER 3			/* entries per node */
#define ESIZE 64		/* block entry size */
#define NODE_BASE U64(0x100000000)
#define DATA_BASE U64(0x200000000)
#define WILD U64(0x7f0000000000)

struct probs {
	unsigned n;
	const char *rule;
	bool fatal;
	uint64_t pa;
	char msg[256];
};

static int on_problem(void *arg, const struct khofmt_schema_problem *p)
{
	struct probs *pr = arg;

	if (!p->fatal)
		return 0;
	pr->n++;
	pr->rule = p->rule;
	pr->fatal = p->fatal;
	pr->pa = p->pa;
	snprintf(pr->msg, sizeof(pr->msg), "%s", p->msg ? p->msg : "");
	return 0;
}

struct img {
	unsigned ps;
	uint64_t P;
	struct khofmt_source *src;
	unsigned char *nodes, *data;
};

static void img_new(struct img *m, unsigned ps)
{
	memset(m, 0, sizeof(*m));
	m->ps = ps;
	m->P = U64(1) << ps;
	if (khofmt_source_new_mem(&m->src) ||
	    khofmt_source_mem_add(m->src, NODE_BASE, NODES * m->P,
				  (void **)&m->nodes) ||
	    khofmt_source_mem_add(m->src, DATA_BASE, NODES * PER * m->P,
				  (void **)&m->data))
		bail_out("mem source");
}

static uint64_t node_pa(const struct img *m, unsigned i)
{
	return NODE_BASE + i * m->P;
}

static unsigned char *node_p(struct img *m, unsigned i)
{
	return m->nodes + i * m->P;
}

/* kho_block: PER entries per block, entry (i, j) starts with i*100+j */
static void build_blocks(struct img *m)
{
	unsigned i, j;

	memset(m->nodes, 0, NODES * m->P);
	for (i = 0; i < NODES; i++) {
		unsigned char *b = node_p(m, i);

		le64_store(b, i + 1 < NODES ? node_pa(m, i + 1) : 0);
		le64_store(b + 8, PER);
		for (j = 0; j < PER; j++)
			le64_store(b + 16 + j * ESIZE, i * 100 + j);
	}
}

/* kho_vmalloc: PER runs of one page per chunk, run (i, j) = data page i*PER+j */
static void build_chunks(struct img *m)
{
	unsigned i, j;

	memset(m->nodes, 0, NODES * m->P);
	for (i = 0; i < NODES; i++) {
		unsigned char *c = node_p(m, i);

		le64_store(c, i + 1 < NODES ? node_pa(m, i + 1) : 0);
		for (j = 0; j < PER; j++)
			le64_store(c + 8 + 8 * j, DATA_BASE + (i * PER + j) * m->P);
	}
}

/* Walk a block chain; *@seen_twice if an entry came again. */
static int walk_blocks(struct img *m, struct probs *pr, unsigned *items,
		       bool *seen_twice)
{
	struct khofmt_schema_opts o = {
		.sz = sizeof(o), .page_shift = m->ps, .problem = on_problem,
		.problem_arg = pr,
	};
	struct khofmt_block_iter it;
	unsigned char e[ESIZE];
	bool seen[NODES * 100] = { false };
	int r;

	memset(pr, 0, sizeof(*pr));
	*items = 0;
	*seen_twice = false;
	r = khofmt_block_iter_init(&it, m->src, node_pa(m, 0), ESIZE, &o);
	if (r)
		return r;
	while ((r = khofmt_block_next(&it, e, NULL)) == 0) {
		uint64_t v = le64_load(e);

		if (v >= NODES * 100 || seen[v])
			*seen_twice = true;
		else
			seen[v] = true;
		++*items;
	}
	return r;
}

static int walk_chunks(struct img *m, struct probs *pr, uint32_t total,
		       unsigned *items, bool *seen_twice)
{
	struct khofmt_schema_opts o = {
		.sz = sizeof(o), .page_shift = m->ps, .problem = on_problem,
		.problem_arg = pr,
	};
	struct khofmt_vmalloc_desc d = { .first = node_pa(m, 0), .total_pages = total };
	struct khofmt_vmalloc_iter it;
	bool seen[NODES * PER] = { false };
	uint64_t pa, len;
	int r;

	memset(pr, 0, sizeof(*pr));
	*items = 0;
	*seen_twice = false;
	r = khofmt_vmalloc_iter_init(&it, m->src, &d, &o);
	if (r)
		return r;
	while ((r = khofmt_vmalloc_run_next(&it, &pa, &len)) == 0) {
		uint64_t k = (pa - DATA_BASE) >> m->ps;

		if (pa < DATA_BASE || k >= NODES * PER || seen[k] || len != m->P)
			*seen_twice = true;
		else
			seen[k] = true;
		++*items;
	}
	return r;
}

/* One fault: the error, one fatal report of @rule at @at, entries before. */
static void expect(const struct img *m, const char *what, int r, int err,
		   const struct probs *pr, const char *rule, uint64_t at,
		   unsigned items, unsigned want_items, bool twice)
{
	if (!ok(r == err && pr->n == 1 && pr->fatal && pr->rule &&
		!strcmp(pr->rule, rule) && pr->pa == at && items == want_items &&
		!twice,
		"P=%u KiB, %s: %s, %s at 0x%" PRIx64 ", %u entries, each once",
		(unsigned)(m->P >> 10), what, khofmt_strerror(err), rule, at,
		want_items))
		diag("  got %s, %u reports (%s at 0x%" PRIx64 ": %s), %u entries%s",
		     khofmt_strerror(r), pr->n, pr->rule ? pr->rule : "-", pr->pa,
		     pr->msg, items, twice ? ", one twice" : "");
}

/* Loops closing at every position: node k -> node j (j <= k). */
static const struct { unsigned k, j; } loops[] = {
	{ 0, 0 }, { 1, 0 }, { 5, 0 }, { 5, 4 }, { 5, 5 }, { 3, 1 }, { 4, 2 },
};

static void test_blocks(unsigned ps)
{
	struct img m;
	struct probs pr;
	unsigned items, cap, i;
	bool twice;
	int r;

	img_new(&m, ps);
	cap = (unsigned)((m.P - 16) / ESIZE);

	build_blocks(&m);
	r = walk_blocks(&m, &pr, &items, &twice);
	ok(r == 1 && pr.n == 0 && items == NODES * PER && !twice,
	   "P=%u KiB, block chain of %u blocks: %u entries, no problem",
	   ps == 12 ? 4 : 64, NODES, NODES * PER);

	for (i = 0; i < sizeof(loops) / sizeof(loops[0]); i++) {
		char what[64];

		build_blocks(&m);
		le64_store(node_p(&m, loops[i].k), node_pa(&m, loops[i].j));
		r = walk_blocks(&m, &pr, &items, &twice);
		snprintf(what, sizeof(what), "block %u -> block %u", loops[i].k,
			 loops[i].j);
		expect(&m, what, r, -KHOFMT_ERR_LOOP, &pr, "LUO-2",
		       node_pa(&m, loops[i].k), items, (loops[i].k + 1) * PER,
		       twice);
	}

	build_blocks(&m);
	le64_store(node_p(&m, 2), WILD);
	r = walk_blocks(&m, &pr, &items, &twice);
	expect(&m, "next outside the image", r, -KHOFMT_ERR_NOTCOVERED, &pr,
	       "LUO-2", node_pa(&m, 2), items, 3 * PER, twice);

	build_blocks(&m);
	le64_store(node_p(&m, 2), node_pa(&m, 3) + 64);
	r = walk_blocks(&m, &pr, &items, &twice);
	expect(&m, "next not page-aligned", r, -KHOFMT_ERR_STRUCT, &pr, "LUO-2",
	       node_pa(&m, 2), items, 3 * PER, twice);

	/* 6.3: a block holds (P - 16) / esize entries and never 0 */
	build_blocks(&m);
	le64_store(node_p(&m, 1) + 8, cap + 1);
	r = walk_blocks(&m, &pr, &items, &twice);
	expect(&m, "count beyond the page", r, -KHOFMT_ERR_STRUCT, &pr, "LUO-2",
	       node_pa(&m, 1), items, PER, twice);

	build_blocks(&m);
	le64_store(node_p(&m, 1) + 8, 0);
	r = walk_blocks(&m, &pr, &items, &twice);
	expect(&m, "count 0", r, -KHOFMT_ERR_STRUCT, &pr, "LUO-2",
	       node_pa(&m, 1), items, PER, twice);

	/* a full block is fine (entries past PER are zero: markers 0) */
	build_blocks(&m);
	le64_store(node_p(&m, NODES - 1) + 8, cap);
	le64_store(node_p(&m, NODES - 1), 0);
	{
		struct khofmt_schema_opts o = {
			.sz = sizeof(o), .page_shift = ps, .problem = on_problem,
			.problem_arg = &pr,
		};
		struct khofmt_block_iter it;
		unsigned char e[ESIZE];

		memset(&pr, 0, sizeof(pr));
		items = 0;
		khofmt_block_iter_init(&it, m.src, node_pa(&m, 0), ESIZE, &o);
		while ((r = khofmt_block_next(&it, e, NULL)) == 0)
			items++;
		ok(r == 1 && pr.n == 0 && items == (NODES - 1) * PER + cap,
		   "P=%u KiB, a block of exactly %u entries: read whole",
		   ps == 12 ? 4 : 64, cap);
	}
	khofmt_source_free(m.src);
}

static void test_chunks(unsigned ps)
{
	struct img m;
	struct probs pr;
	unsigned items, i;
	bool twice;
	int r;

	img_new(&m, ps);
	build_chunks(&m);
	r = walk_chunks(&m, &pr, NODES * PER, &items, &twice);
	ok(r == 1 && pr.n == 0 && items == NODES * PER && !twice,
	   "P=%u KiB, vmalloc list of %u chunks: %u runs, no problem",
	   ps == 12 ? 4 : 64, NODES, NODES * PER);

	for (i = 0; i < sizeof(loops) / sizeof(loops[0]); i++) {
		char what[64];

		build_chunks(&m);
		le64_store(node_p(&m, loops[i].k), node_pa(&m, loops[i].j));
		r = walk_chunks(&m, &pr, NODES * PER, &items, &twice);
		snprintf(what, sizeof(what), "chunk %u -> chunk %u", loops[i].k,
			 loops[i].j);
		expect(&m, what, r, -KHOFMT_ERR_LOOP, &pr, "VM-1",
		       node_pa(&m, loops[i].k), items, (loops[i].k + 1) * PER,
		       twice);
	}

	build_chunks(&m);
	le64_store(node_p(&m, 2), WILD);
	r = walk_chunks(&m, &pr, NODES * PER, &items, &twice);
	expect(&m, "chunk next outside the image", r, -KHOFMT_ERR_NOTCOVERED,
	       &pr, "VM-1", node_pa(&m, 2), items, 3 * PER, twice);

	build_chunks(&m);
	le64_store(node_p(&m, 2), node_pa(&m, 3) + 8);
	r = walk_chunks(&m, &pr, NODES * PER, &items, &twice);
	expect(&m, "chunk next not page-aligned", r, -KHOFMT_ERR_STRUCT, &pr,
	       "VM-1", node_pa(&m, 2), items, 3 * PER, twice);

	/* a chunk listing more runs than total_pages allows (6.5) */
	build_chunks(&m);
	r = walk_chunks(&m, &pr, PER + 1, &items, &twice);
	expect(&m, "runs beyond total_pages", r, -KHOFMT_ERR_STRUCT, &pr,
	       "VM-1", node_pa(&m, 1), items, PER + 1, twice);

	/* a run list that ends early inside a chunk goes on to the next */
	build_chunks(&m);
	le64_store(node_p(&m, 0) + 8 + 8 * 1, 0);
	r = walk_chunks(&m, &pr, NODES * PER - (PER - 1), &items, &twice);
	ok(r == 1 && pr.n == 0 && items == NODES * PER - (PER - 1) && !twice,
	   "P=%u KiB, a 0 ends a chunk's runs, the next chunk follows",
	   ps == 12 ? 4 : 64);
	khofmt_source_free(m.src);
}

/*
 * A long loop through almost every page of a 256-page image (vmalloc
 * chunks without runs: only the chain itself) is found, at the node that
 * closes it.
 */
static void test_long_loop(unsigned ps)
{
	const unsigned n = 256;
	struct khofmt_source *src;
	struct khofmt_schema_opts o;
	struct khofmt_vmalloc_desc d = { .first = NODE_BASE, .total_pages = 0 };
	struct khofmt_vmalloc_iter it;
	struct probs pr;
	unsigned char *p;
	uint64_t P = U64(1) << ps, pa, len;
	unsigned i, runs = 0;
	int r;

	memset(&pr, 0, sizeof(pr));
	o = (struct khofmt_schema_opts){ .sz = sizeof(o), .page_shift = ps,
					 .problem = on_problem, .problem_arg = &pr };
	if (khofmt_source_new_mem(&src) ||
	    khofmt_source_mem_add(src, NODE_BASE, n * P, (void **)&p))
		bail_out("mem source");
	/* chunk i -> chunk i + 1, the last back to chunk 100 */
	for (i = 0; i < n; i++)
		le64_store(p + i * P, NODE_BASE + (i + 1 < n ? i + 1 : 100) * P);
	is(khofmt_vmalloc_iter_init(&it, src, &d, &o), 0, "init");
	while ((r = khofmt_vmalloc_run_next(&it, &pa, &len)) == 0)
		runs++;
	ok(r == -KHOFMT_ERR_LOOP && pr.n == 1 && pr.pa == NODE_BASE + (n - 1) * P &&
	   runs == 0,
	   "P=%u KiB, %u empty chunks looping back to chunk 100: LOOP at the last chunk",
	   (unsigned)(P >> 10), n);
	khofmt_source_free(src);
}

/* ---- the kho-v1 tracker's chunk list (doc/ABI.md 4.2.1) ---- */

struct tprobs {
	unsigned n, loops, wild, limit;
	uint64_t loop_node, wild_node, limit_node, limit_value;
};

static int on_tproblem(void *arg, const struct khofmt_problem *p)
{
	struct tprobs *t = arg;

	t->n++;
	if (p->err == -KHOFMT_ERR_LOOP) {
		t->loops++;
		t->loop_node = p->node_pa;
	} else if (p->err == -KHOFMT_ERR_NOTCOVERED) {
		t->wild++;
		t->wild_node = p->node_pa;
	} else if (p->err == -KHOFMT_ERR_LIMIT) {
		t->limit++;
		t->limit_node = p->node_pa;
		t->limit_value = p->value;
	}
	return 0;
}

/* Entries at DATA_BASE and up: ours (the encoder adds its own pages). */
static int count_folio(void *arg, uint64_t phys, unsigned order)
{
	(void)order;
	if (phys >= DATA_BASE)
		++*(unsigned *)arg;
	return 0;
}

/*
 * A kho-v1 E1b state with one chunk per order (orders 0..3, two folios
 * each); the chunks found by following next here, from
 * preserved-memory-map: {u64 next, u32 order, u32 num_elms}.
 */
static void test_kho_v1(unsigned ps)
{
	struct khofmt_enc_opts eo = {
		.sz = sizeof(eo), .page_shift = ps, .abi = KHOFMT_ABI_V1,
		.variant = KHOFMT_VARIANT_E1B,
	};
	struct khofmt_walk_opts wo = { .sz = sizeof(wo), .problem = on_tproblem };
	uint64_t P = U64(1) << ps, chunk[8], cap = (P - 16) / 16;
	struct khofmt_enc *e;
	struct state st;
	struct tprobs t;
	unsigned o, n = 0, folios;
	unsigned char *c;
	int r;

	if (khofmt_enc_new(&eo, &e))
		bail_out("enc_new");
	for (o = 0; o < 4; o++) {
		if (khofmt_enc_add_folio(e, DATA_BASE + (U64(1) << 30) * o, o) ||
		    khofmt_enc_add_folio(e, DATA_BASE + (U64(1) << 30) * o + (P << 4), o))
			bail_out("add_folio: %s", khofmt_enc_errmsg(e));
	}
	if (state_finish_open(e, ps, &st))
		bail_out("finish");
	khofmt_enc_free(e);
	chunk[0] = khofmt_fdt_map(st.fdt);
	while (chunk[n] && n + 1 < 8) {
		c = (unsigned char *)(uintptr_t)khofmt_source_ptr(st.src, chunk[n], P);
		if (!c)
			bail_out("chunk 0x%" PRIx64, chunk[n]);
		chunk[n + 1] = le64_load(c);
		n++;
	}
	if (n != 4)
		bail_out("%u chunks, 4 expected", n);

	memset(&t, 0, sizeof(t));
	wo.problem_arg = &t;
	folios = 0;
	r = khofmt_walk_folios(st.h, &wo, count_folio, &folios);
	ok(r == 0 && t.n == 0 && folios == 8,
	   "P=%u KiB, kho-v1: 4 chunks, 8 entries, no problem",
	   (unsigned)(P >> 10));

	/* the last chunk back to the second: every entry once, LOOP at the last */
	c = (unsigned char *)(uintptr_t)khofmt_source_ptr(st.src, chunk[3], 8);
	le64_store(c, chunk[1]);
	memset(&t, 0, sizeof(t));
	folios = 0;
	r = khofmt_walk_folios(st.h, &wo, count_folio, &folios);
	ok(r == 0 && t.n == 1 && t.loops == 1 && t.loop_node == chunk[3] &&
	   folios == 8,
	   "P=%u KiB, kho-v1 chunk 3 -> chunk 1: one LOOP at chunk 3, each entry once (%u)",
	   (unsigned)(P >> 10), folios);

	/* a wild next in chunk 1: the entries of chunks 0 and 1 */
	le64_store(c, 0);
	c = (unsigned char *)(uintptr_t)khofmt_source_ptr(st.src, chunk[1], 16);
	le64_store(c, WILD);
	memset(&t, 0, sizeof(t));
	folios = 0;
	r = khofmt_walk_folios(st.h, &wo, count_folio, &folios);
	ok(r == 0 && t.n == 1 && t.wild == 1 && t.wild_node == chunk[1] &&
	   folios == 4,
	   "P=%u KiB, kho-v1 chunk 1 next outside memory: NOTCOVERED at chunk 1, 4 entries",
	   (unsigned)(P >> 10));
	le64_store(c, chunk[2]);

	/* num_elms beyond the (P - 16) / 16 a chunk holds: told, clamped */
	c = (unsigned char *)(uintptr_t)khofmt_source_ptr(st.src, chunk[0], 16);
	c[12] = (unsigned char)(cap + 1);
	c[13] = (unsigned char)((cap + 1) >> 8);
	memset(&t, 0, sizeof(t));
	r = khofmt_walk_folios(st.h, &wo, count_folio, &folios);
	ok(r == 0 && t.limit == 1 && t.limit_node == chunk[0] &&
	   t.limit_value == cap + 1,
	   "P=%u KiB, kho-v1 num_elms %" PRIu64 " > %" PRIu64 ": LIMIT at chunk 0, the walk goes on",
	   (unsigned)(P >> 10), cap + 1, cap);
	state_free(&st);
}

/* ---- x86 setup_data, followed by discovery (doc/ABI.md 1.2) ---- */

#define BP_PA U64(0x10000)      /* boot_params, one page */
#define SD_PA U64(0x20000)      /* setup_data entries, 32 bytes apart */
#define KHO_ROOT U64(0x40000)   /* what the type-10 entry names */

/* boot_params: boot_flag 0xAA55 at 0x1fe, "HdrS" at 0x202, version 0x020f
 * at 0x206, the first setup_data at 0x250; setup_data = {next, u32 type,
 * u32 len, data}; type 10 = struct kho_data {fdt_addr, fdt_size, ...}. */
static struct khofmt_source *sd_image(unsigned char **sd)
{
	struct khofmt_source *src;
	unsigned char *bp;

	if (khofmt_source_new_mem(&src) ||
	    khofmt_source_mem_add(src, BP_PA, 4096, (void **)&bp) ||
	    khofmt_source_mem_add(src, SD_PA, 512 * 32, (void **)sd))
		bail_out("mem source");
	bp[0x1fe] = 0x55;
	bp[0x1ff] = 0xaa;
	memcpy(bp + 0x202, "HdrS", 4);
	bp[0x206] = 0x0f;
	bp[0x207] = 0x02;
	le64_store(bp + 0x250, SD_PA);
	return src;
}

static void sd_entry(unsigned char *sd, unsigned i, uint64_t next, uint32_t type)
{
	unsigned char *e = sd + 32 * i;

	le64_store(e, next);
	e[8] = (unsigned char)type;
	if (type == 10) {
		e[12] = 32;
		le64_store(e + 16, KHO_ROOT);
	}
}

static bool sd_found(struct khofmt_source *src, uint64_t *via)
{
	struct khofmt_discover_opts o = { .sz = sizeof(o), .flags = KHOFMT_DISCOVER_NO_SCAN };
	struct khofmt_root_cand *c = NULL;
	size_t n = 0, i;
	bool found = false;

	khofmt_discover_roots(src, &o, &c, &n);
	for (i = 0; i < n; i++)
		if (c[i].pa == KHO_ROOT && (c[i].via & KHOFMT_ROOT_SETUP_DATA)) {
			found = true;
			*via = c[i].via_pa;
		}
	free(c);
	return found;
}

static void test_setup_data(void)
{
	unsigned char *sd;
	struct khofmt_source *src = sd_image(&sd);
	uint64_t via = 0;
	unsigned i;

	/* 0 -> 1 (type 10) -> 2 -> 0: a loop, the entry found once */
	sd_entry(sd, 0, SD_PA + 32, 1);
	sd_entry(sd, 1, SD_PA + 64, 10);
	sd_entry(sd, 2, SD_PA, 1);
	ok(sd_found(src, &via) && via == SD_PA + 32,
	   "setup_data loop 0 -> 1 -> 2 -> 0: the type-10 entry found, the walk ends");
	/* a wild next after it */
	sd_entry(sd, 2, U64(0x7f0000000000), 1);
	ok(sd_found(src, &via) && via == SD_PA + 32,
	   "setup_data: a wild next after the type-10 entry: still found");
	/* the type-10 entry behind a wild pointer is not reached */
	sd_entry(sd, 0, U64(0x7f0000000000), 1);
	ok(!sd_found(src, &via), "setup_data: nothing past a wild next");
	/* 300 entries, type 10 at position 270: past the 256 followed */
	for (i = 0; i < 300; i++)
		sd_entry(sd, i, i + 1 < 300 ? SD_PA + 32 * (i + 1) : 0,
			 i == 270 ? 10 : 1);
	ok(!sd_found(src, &via), "setup_data: entry 270 of a 300-entry list is past the 256 followed");
	sd_entry(sd, 200, SD_PA + 32 * 201, 10);
	ok(sd_found(src, &via) && via == SD_PA + 32 * 200,
	   "setup_data: entry 200 is followed");
	khofmt_source_free(src);
}

int main(void)
{
	static const unsigned pss[] = { 12, 16 };
	size_t i;

	for (i = 0; i < 2; i++) {
		test_blocks(pss[i]);
		test_chunks(pss[i]);
		test_long_loop(pss[i]);
		test_kho_v1(pss[i]);
	}
	test_setup_data();
	return done_testing();
}
