// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The verify engine: the rule table (data: the man page and `khoctl rules`
 * are generated from it), rule selection, findings and the run that calls
 * the checks of the rules_*.c files in order.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "rules_int.h"

#define E KHOFMT_SEV_ERROR
#define W KHOFMT_SEV_WARNING
#define I KHOFMT_SEV_INFO

static const struct khofmt_rule rule_table[] = {
	/* ---- root FDT (000-019) ---- */
	{ "KHO-E001", E, "FDT-1", "root FDT is not a valid flattened device tree",
	  "The root FDT fails libfdt's header or structure checks. The next kernel disables KHO revival and boots cold: all preserved memory is lost. Re-read the FDT from kho/out/fdt or from memory; if it is really damaged, the producer's KHO state is corrupt." },
	{ "KHO-E002", E, "FDT-1", "root FDT truncated",
	  "The FDT header's totalsize is larger than the bytes given. A copy of debugfs kho/out/fdt taken after subtrees were added is cut short (its size is fixed at boot); read the root FDT from memory instead. The kernel itself refuses a root FDT larger than its page." },
	{ "KHO-E003", E, "FDT-2", "root compatible unknown or missing",
	  "The root `compatible` names no known KHO generation (kho-v1..kho-v4). A receiving kernel accepts only its own string and otherwise reuses the preserved memory (silent data loss). Check that producer and receiver run the same KHO generation." },
	{ "KHO-E004", E, "FDT-4", "subnode without a usable blob pointer",
	  "A subnode lacks its 8-byte pointer property (`preserved-data` for kho-v2+, `fdt` for kho-v1) or has it with a wrong size. The consumer gets EINVAL at restore; for LUO the next kernel panics. The producer registered the subtree incorrectly." },
	{ "KHO-E005", E, "FDT-4", "subnode without a usable blob-size",
	  "kho-v3 and later need an 8-byte `blob-size` on every subnode; it is missing or has a wrong size. The consumer gets EINVAL." },
	{ "KHO-E006", E, "FDT-4", "subnode properties of another generation",
	  "A subnode carries a pointer or size property that belongs to a different KHO generation than the root compatible (e.g. `fdt` under kho-v4, `blob-size` under kho-v1/v2): compatible and layout disagree, the state was assembled by mixed code." },
	{ "KHO-W007", W, "FDT-5", "unknown root property or nested subnode",
	  "The root node has properties other than `compatible` and `preserved-memory-map`, or a subnode has children. The kernel ignores them; they may be a producer bug or a newer generation." },
	{ "KHO-I008", I, "DBG-1", "bytes after the FDT's totalsize",
	  "More bytes were given than the FDT's totalsize (stale tail after removals, or a page-sized copy). Only totalsize bytes are used." },
	{ "KHO-I009", I, "", "tracker generation not checked by this build",
	  "The compatible is known but this build decodes only the radix tracker (kho-v2..v4): tracker, preserved-memory and blob-coverage rules were skipped." },
	{ "KHO-E010", E, "FDT-3", "preserved-memory-map missing or not 8 bytes",
	  "The root property `preserved-memory-map` is absent or has a wrong size; the next kernel disables revival." },
	{ "KHO-E011", E, "FDT-3", "preserved-memory-map is 0",
	  "From kho-v2 on the tracker root pointer must be non-zero (an empty tracker still has a root page)." },
	{ "KHO-E012", E, "MAP-1", "preserved-memory-map not page-aligned",
	  "The tracker root must be a page. A misaligned pointer means the FDT is corrupt, or was written for another page size (see --page-shift)." },
	{ "KHO-E013", E, "MAP-1", "preserved-memory-map outside System RAM",
	  "The tracker root page is not inside System RAM: the next kernel faults at early boot when it walks the tracker." },
	{ "KHO-E014", E, "FDT-1", "root FDT larger than one page",
	  "The root FDT's totalsize is larger than one page. Every producer since kho-v1 builds the root FDT in one page (fdt_create(fdt, PAGE_SIZE)) and the next kernel maps only that page, so a larger tree did not come from a kernel: the state was edited or the wrong bytes were read. Re-read kho/out/fdt; if it really is this large, the state is not one a kernel will take." },

	/* ---- tracker (020-039) ---- */
	{ "KHO-E020", E, "MAP-1", "tracker page pointer not page-aligned",
	  "A radix table entry points to an address that is not page-aligned: the tree is corrupt and the next kernel decodes garbage." },
	{ "KHO-E021", E, "", "tracker page not in the memory source",
	  "A tracker page the tree points to is not in the memory image, so the tree below it cannot be checked. With a partial dump, take a dump that includes it; with a full dump the pointer leads outside memory (corruption)." },
	{ "KHO-E022", E, "MAP-2", "tracker cycle or shared page",
	  "A tracker page is referenced twice (a cycle, or one page at two places or levels). The next kernel decodes ranges from garbage and may reserve huge areas." },
	{ "KHO-E023", E, "MAP-3", "tracker entry decodes to an invalid key",
	  "A leaf bit or root index decodes to a zero key, an order at or above KEY_BITS, or an address beyond the physical address width: undefined shifts and garbage ranges in the next kernel." },
	{ "KHO-E024", E, "MAP-1", "tracker page outside System RAM",
	  "A tracker page is not inside System RAM: the next kernel faults when it reads it at early boot." },
	{ "KHO-E025", E, "MAP-1", "tracker page inside a scratch area",
	  "A tracker page lies in a scratch area; the next kernel's early allocations and the kexec segments use scratch, so the page is overwritten before the tracker is read." },
	{ "KHO-W026", W, "MAP-1b", "tracker page overlaps preserved memory",
	  "A tracker page lies inside memory the tracker itself preserves. The kernel never does this: it indicates corruption (the page is both parsed and reserved)." },
	{ "KHO-E028", E, "MAP-8", "entry of an impossible order",
	  "A tracker entry's order makes it span more than 2^46 bytes (64 TiB) of memory in one piece, more than the RAM of any machine these kernels run on; with a RAM map the same entry is also outside System RAM (KHO-E041). A producer writes such an order only when the tracker is corrupt; the next kernel would reserve and initialise memory that does not exist. Treat the state as corrupt." },
	{ "KHO-I027", I, "", "tracker overhead",
	  "Figures: tracker pages per level, their size against the preserved memory, empty leaves." },

	/* ---- preserved memory (040-059) ---- */
	{ "KHO-E040", E, "MAP-6", "preserved folios overlap",
	  "Two preserved entries (possibly of different orders) cover the same memory. The next kernel tags head pages twice; restoring one entry corrupts the other. The producer preserved the same memory twice." },
	{ "KHO-E041", E, "MAP-5", "preserved memory outside System RAM",
	  "A preserved range is not inside System RAM (per the RAM map given). The next kernel writes struct pages for memory that does not exist. Check the RAM map, then the producer." },
	{ "KHO-E042", E, "MAP-7", "preserved memory inside a scratch area",
	  "A preserved range intersects a scratch area, which the next kernel uses for early allocations and which holds the kexec segments: the data is overwritten before it is reserved or read." },
	{ "KHO-W043", W, "", "order-0 folios that could be larger folios",
	  "Many order-0 entries form aligned power-of-two runs that one higher-order entry could describe. It works, but costs tracker pages and restore time; preserve whole ranges (kho_preserve_pages) or larger folios." },
	{ "KHO-W044", W, "FDT-6", "root FDT page not preserved",
	  "The page holding the root FDT (--fdt-pa) is not preserved as memory; the next kernel does not reserve it and debugfs or consumers may read reused memory." },
	{ "KHO-I045", I, "MAP-5", "no RAM map: RAM rules skipped",
	  "No RAM map was given (--ram, --iomem or --ram-from-core), so the rules needing one (KHO-E013, E024, E041, E081) were not checked." },
	{ "KHO-I046", I, "", "RAM map in use",
	  "Where the RAM map came from and what it holds; the RAM rules are only as good as this map." },
	{ "KHO-I047", I, "", "no memory source: tracker and blob rules skipped",
	  "Only the root FDT was given; the tracker, preserved-memory and blob rules need the memory image." },

	/* ---- sub-blobs (060-079) ---- */
	{ "KHO-E060", E, "SB-1", "blob not preserved",
	  "The blob's address is not inside preserved memory. The next kernel frees those pages to the allocator before the consumer runs: silent corruption. The producer must preserve the blob (kho_alloc_preserve / kho_preserve_folio)." },
	{ "KHO-E061", E, "SB-1,SB-3", "blob extends beyond preserved memory",
	  "The blob starts in preserved memory but [address, address+blob-size) runs past the end of it: the tail is not preserved, and debugfs exposes unpreserved bytes." },
	{ "KHO-E062", E, "", "blob not readable",
	  "The blob's bytes are not in the memory image, so its content cannot be checked. With a partial dump include them; otherwise the pointer leads outside memory." },
	{ "KHO-W063", W, "SB-3", "blob-size is 0",
	  "A blob of size 0 gives the consumer nothing to read; the producer most likely forgot to set the size." },
	{ "KHO-W064", W, "SB-3", "blob-size larger than the producer can allocate",
	  "The kernel's preserve allocator serves at most P << MAX_PAGE_ORDER bytes (4 MiB with 4 KiB pages); a larger blob-size is implausible." },
	{ "KHO-E065", E, "SB-3", "sub-FDT invalid",
	  "A blob that is an FDT (FDT magic, or a schema known to be one: memblock, kho_test) fails libfdt's checks. The consumer rejects it and its data is lost." },
	{ "KHO-W066", W, "SB-3", "blob-size smaller than the sub-FDT's totalsize",
	  "For FDT blobs blob-size should equal fdt_totalsize(); a smaller value truncates the blob for debugfs and for consumers that honour blob-size." },
	{ "KHO-E067", E, "SB-4,LUO-1", "LUO blob shorter than 32 bytes",
	  "The LUO root struct is 32 bytes; the next kernel panics at early initcall when it is shorter." },
	{ "KHO-W068", W, "SB-4", "kexec-metadata blob shorter than 73 bytes",
	  "The reader ignores a kexec-metadata blob shorter than 73 bytes; the previous-release information is lost (never fatal)." },
	{ "KHO-E069", E, "SB-1", "subnode blobs are the same or overlap",
	  "Two subnodes point at the same blob, or their blobs (blob-size, or the sub-FDT's totalsize) share bytes or pages, or a blob lies in a structure page of another subnode (a LUO block, a memfd record, a vmalloc chunk or run). Each producer preserves its blob in pages of its own, so the two owners will each restore, use and free the same memory in the next kernel. A subnode pointer was corrupted or copied; find which owner the blob belongs to." },
	{ "KHO-E070", E, "SB-1", "subnode blob inside the tracker's pages",
	  "A subnode's blob lies in a page that the tracker itself uses (a chunk, table or leaf page). Tracker pages are not preserved entries: the next kernel frees them after reading the tracker, and the blob's owner then reads reused memory. A subnode pointer was corrupted." },
	{ "KHO-I071", I, "SB-1", "subnode blob of no known schema: contents not checked",
	  "The subnode's name matches no sub-schema this build knows and its blob is not an FDT. The blob rules ran (read, preserved, not shared, not in the tracker's pages); what its owner expects inside it was not checked. \"clean\" says nothing about those bytes." },

	/* ---- scratch areas (080-099) ---- */
	{ "KHO-E080", E, "SC-1", "scratch areas overlap",
	  "Two scratch areas intersect; the next kernel marks the pages twice. The producer's scratch setup is broken." },
	{ "KHO-E081", E, "SC-1", "scratch area outside System RAM",
	  "A scratch area is not inside System RAM: early allocations of the next kernel would come from non-RAM." },
	{ "KHO-W082", W, "SC-1", "scratch area not aligned",
	  "Scratch addresses and sizes are aligned to P << MAX_PAGE_ORDER (4 MiB with 4 KiB pages) since 7.2; an unaligned area points to a wrong --scratch input or an older producer." },
	{ "KHO-I083", I, "SC-1", "empty scratch area",
	  "A scratch area of size 0 covers nothing and is ignored by the overlap rules. 7.2 kernels record one when a class of memory is empty, e.g. the global area of a machine whose memory is all below 4 GiB." },
	{ "KHO-I084", I, "MAP-7", "no scratch areas: scratch rules skipped",
	  "No scratch areas were given (--scratch, or --scratch-phys/--scratch-len from debugfs), so KHO-E025 and E042 were not checked." },

	/* ---- memblock (100-119) ---- */
	{ "KHO-E100", E, "MB-1", "memblock sub-FDT malformed",
	  "The memblock blob's root compatible is not memblock-v1, or a child is not reserve-mem-v1 with 8-byte start and size. The reserve_mem region is not revived." },
	{ "KHO-E101", E, "MB-1", "reserve_mem region not preserved",
	  "A reserve_mem region named in the memblock blob is not fully covered by preserved memory; its content is lost in the next kernel. The kernel itself causes this when the region's start or size is not a multiple of the page size: 7.2 (mm/memblock.c, reserved_mem_preserve) preserves size >> PAGE_SHIFT pages from the page that holds the start, dropping the tail, so reserve_mem=1028K:16K on a 64 KiB-page arm64 kernel loses at least its last 4 KiB, and 16, 32 or 48 KiB more when the 16 KiB-aligned start is that far past a 64 KiB boundary (the next kernel still revives the whole region, with that tail not carried over). Give reserve_mem sizes and alignments that are multiples of the largest page size in the fleet (64 KiB)." },

	/* ---- kexec-metadata (120-139) ---- */
	{ "KHO-W120", W, "KM-1", "kexec-metadata fields invalid",
	  "version is not 1, previous_release is not NUL-terminated, or kexec_count is 0. The next kernel ignores the metadata (never fatal)." },

	/* ---- LUO (140-179) ---- */
	{ "KHO-E140", E, "LUO-1", "LUO root unusable",
	  "The LUO blob's compatible is not one the receiver knows (luo-v5 for 7.2/7.3), or the luo-v1 sub-FDT lacks its properties. The next kernel panics at early initcall. Producer and receiver must run the same LUO generation." },
	{ "KHO-E141", E, "LUO-2", "LUO block chain malformed",
	  "A session or file kho_block chain has a misaligned or unreadable block, a count outside 1..(P-16)/E, a cycle, or more than 10 000 blocks. Sessions: the next kernel panics; files: /dev/liveupdate returns EIO." },
	{ "KHO-E142", E, "LUO-2", "LUO block not a preserved order-0 entry",
	  "A session or file block (or the FLB page) is not preserved as one order-0 entry. The next kernel reads the block from memory it has already handed to the allocator, or kho_restore_pages() fails on it." },
	{ "KHO-E143", E, "LUO-3", "LUO session record invalid",
	  "A session name is not NUL-terminated, empty or used twice, files_pa and file_count disagree (one is 0 and the other not), or file_count differs from the records in the file chain. /dev/liveupdate returns EIO for the session." },
	{ "KHO-E144", E, "LUO-4", "LUO file record invalid",
	  "A file compatible is not NUL-terminated within 48 bytes or names no handler the receiver knows (memfd-v2 in 7.2), or a token is used twice in one session (only the first is retrievable)." },
	{ "KHO-E145", E, "LUO-5", "LUO FLB header invalid",
	  "The FLB header's pgcnt is not 1, its count exceeds what one page holds (the reader indexes records without a bound check), or FLB names are not NUL-terminated or not unique." },
	{ "KHO-W146", W, "SB-2", "LUO object not at the start of a preserved entry",
	  "The LUO root or a memfd record lies inside preserved memory but not at the start of an entry. Restoring or freeing it by address fails with a kernel warning and the memory leaks." },

	/* ---- memfd (180-199) ---- */
	{ "KHO-E180", E, "MFD-1", "memfd record invalid",
	  "A memfd record has seals outside 0x3f, non-zero flags, nr_folios above ceil(size/P), folio flags outside DIRTY|UPTODATE, or a folio index beyond the file or used twice. Retrieving the file fails (EOPNOTSUPP/EIO)." },
	{ "KHO-E181", E, "MFD-1", "memfd record or folio not preserved",
	  "A memfd record, or a folio's pfn, is not the start of any preserved entry: the next kernel cannot restore it and the file's data is lost or read from reused memory." },
	{ "KHO-E182", E, "MFD-1", "memfd folio preserved with another order",
	  "A folio's pfn heads a preserved entry whose order does not fit the file: its index is not aligned to the entry's size, it overlaps the next folio, or it leaves file pages before the next folio (or the end of the file) without data. The producer pins every page of the file, so the entry's order must be the folio's order." },
	{ "KHO-E183", E, "VM-1", "vmalloc descriptor invalid",
	  "A kho_vmalloc descriptor (memfd folio array, kho_test folios_info) has first = 0, unknown flags, a misaligned or unreadable chunk, a chunk cycle, runs not aligned to P << order, or runs x 2^order != total_pages. The restore returns NULL." },
	{ "KHO-E184", E, "VM-1", "vmalloc chunk or run not preserved",
	  "A kho_vmalloc chunk page is not a preserved order-0 entry, or a run of 2^order pages is not fully preserved: the next kernel rebuilds the area from memory it does not own." },

	/* ---- kho_test (200-) ---- */
	{ "KHO-E200", E, "KT-1", "kho_test blob invalid",
	  "The kho_test sub-FDT lacks its data node, nr_folios or folios_info, or folios_info does not hold nr_folios words. The test module's check in the next kernel fails." },
	{ "KHO-E201", E, "KT-1", "kho_test folio not preserved with its order",
	  "A folio listed in folios_info (phys | order) is not a preserved entry of that order; the test module's restore fails or reads reused memory." },

	/* ---- systemd's FD store, LUO session "systemd" (220-239) ---- */
	{ "KHO-E220", E, "SYSD-1", "systemd session without a readable mapping",
	  "The LUO session \"systemd\" has no token 0, token 0 is not a memfd, or the memfd's bytes cannot be read from its folios. The next systemd logs \"Failed to retrieve LUO mapping fd\" and restores no fd store at all: every service with FileDescriptorStorePreserve= starts without its stored fds. Look at the LUO and memfd findings first (the mapping memfd's record or folios); a session named \"systemd\" not written by systemd-shutdown also gives this." },
	{ "KHO-E221", E, "SYSD-2", "systemd mapping does not parse",
	  "The mapping memfd is not a JSON object, or its \"version\" is missing or not an unsigned integer, \"state\" or \"units\" is not an object, one of them is duplicated, or it is larger than 4 MiB. The next systemd logs \"Failed to parse LUO mapping JSON\" and restores no fd store. The memfd's content was damaged (its folios overwritten or preserved from the wrong pages) or was written by something else than systemd-shutdown." },
	{ "KHO-W222", W, "SYSD-3", "systemd mapping version newer than known",
	  "The mapping's version is above 1, the version systemd 262 writes and reads. A systemd that reads version 1 logs \"LUO mapping has unsupported version\" and restores nothing; boot into a systemd at least as new as the one that wrote it." },
	{ "KHO-E223", E, "SYSD-4", "systemd mapping entry skipped by the reader",
	  "A unit id is not a valid unit name, a unit's \"fdstore\" is not an array, or an entry is not an object, lacks a string \"type\" or \"name\", repeats a field, is of type fd without a token, with token 0 (the mapping's own) or with a token another entry already named, is a luo_session without \"sessionName\", or has an unknown type. The next systemd skips it with a warning: that unit starts without that stored fd. systemd-shutdown does not write such entries; the mapping was changed after it was written." },
	{ "KHO-E224", E, "SYSD-5", "fd named in the systemd mapping but not preserved",
	  "An entry of type fd names a token that the session \"systemd\" does not hold. The next systemd logs \"Failed to retrieve LUO fd for unit\" and the unit starts without that fd: the answer to \"which service lost which stored fd\". The session's file chain lost a record, or the mapping belongs to another session; check the LUO findings of the session." },
	{ "KHO-E225", E, "SYSD-6", "LUO session named in the systemd mapping not preserved",
	  "An entry of type luo_session names a LUO session (a stored fd that is a session of its own) that is not among the preserved sessions, or names \"systemd\" itself. The next systemd cannot retrieve it and the unit starts without that fd. The service's session was closed or finished before the kexec, or its name was changed." },
	{ "KHO-W226", W, "SYSD-7", "preserved token the systemd mapping does not name",
	  "The session \"systemd\" holds a file under a token that no entry of the mapping names. systemd-shutdown names every token it preserves, so the mapping is not the one written with this session. The next systemd never hands the file to a unit and drops it when it finishes the session." },
};

#undef E
#undef W
#undef I

#define NRULES (sizeof(rule_table) / sizeof(rule_table[0]))

static int rule_num(const struct khofmt_rule *r)
{
	return atoi(r->id + 5);
}

const char *khofmt_severity_name(enum khofmt_severity sev)
{
	switch (sev) {
	case KHOFMT_SEV_ERROR: return "error";
	case KHOFMT_SEV_WARNING: return "warning";
	case KHOFMT_SEV_INFO: return "info";
	}
	return "unknown";
}

size_t khofmt_rule_count(void)
{
	return NRULES;
}

const struct khofmt_rule *khofmt_rule_get(size_t i)
{
	return i < NRULES ? &rule_table[i] : NULL;
}

const struct khofmt_rule *khofmt_rule_by_id(const char *id)
{
	size_t i;

	if (!id)
		return NULL;
	for (i = 0; i < NRULES; i++)
		if (!strcasecmp(rule_table[i].id, id))
			return &rule_table[i];
	return NULL;
}

static const struct khofmt_rule *rule_by_num(int num)
{
	size_t i;

	for (i = 0; i < NRULES; i++)
		if (rule_num(&rule_table[i]) == num)
			return &rule_table[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

struct skipped {
	const struct khofmt_rule *rule;
	const char *why;
};

struct khofmt_verify {
	struct khofmt_finding *f;
	size_t n, cap;
	struct skipped *skip;
	size_t nskip, capskip;
	bool skipped[NRULES];	/* listed in skip[] */
	unsigned per_rule[NRULES];	/* findings seen, kept or not */
	unsigned max_per_rule;
};

static int rule_index(const struct khofmt_rule *r)
{
	return (int)(r - rule_table);
}

static bool id_listed(const char *const *list, size_t n, const struct khofmt_rule *r)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] && !strcasecmp(list[i], r->id))
			return true;
	return false;
}

bool khofmt_vrule_on(const struct vctx *c, int num)
{
	const struct khofmt_rule *r = rule_by_num(num);

	if (!r)
		return false;
	if (c->o->nonly && !id_listed(c->o->only, c->o->nonly, r))
		return false;
	return !id_listed(c->o->skip, c->o->nskip, r);
}

static int push(struct khofmt_verify *v, const struct khofmt_rule *r,
		bool addr_valid, uint64_t addr, uint64_t size, int order,
		const char *obj, char *msg)
{
	struct khofmt_finding *f = khofmt_grow(v->f, &v->cap, v->n + 1,
					       sizeof(*v->f));

	if (!f)
		return -KHOFMT_ERR_NOMEM;
	v->f = f;
	f = &v->f[v->n];
	memset(f, 0, sizeof(*f));
	f->rule = r;
	f->has_addr = addr_valid;
	f->addr = addr;
	f->size = size;
	f->order = order;
	f->object = strdup(obj ? obj : "");
	f->message = msg;
	if (!f->object)
		return -KHOFMT_ERR_NOMEM;
	v->n++;
	return 0;
}

void khofmt_vfind(struct vctx *c, int num, bool addr_valid, uint64_t addr,
	   uint64_t size, int order, const char *obj, const char *fmt, ...)
{
	const struct khofmt_rule *r = rule_by_num(num);
	struct khofmt_verify *v = c->v;
	unsigned *seen;
	va_list ap;
	char *msg;
	int n;

	if (!r || !khofmt_vrule_on(c, num) || c->err)
		return;
	seen = &v->per_rule[rule_index(r)];
	if (++*seen > v->max_per_rule)
		return;	/* summarised at the end of the run */
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->err = -KHOFMT_ERR_NOMEM;
		return;
	}
	if (push(v, r, addr_valid, addr, size, order, obj, msg) < 0) {
		free(msg);
		c->err = -KHOFMT_ERR_NOMEM;
	}
}

void khofmt_vskip(struct vctx *c, int num, int last, const char *why)
{
	struct khofmt_verify *v = c->v;
	size_t i;

	if (last < num)
		last = num;
	for (i = 0; i < NRULES && !c->err; i++) {
		const struct khofmt_rule *r = &rule_table[i];
		int n = rule_num(r);
		struct skipped *p;

		if (n < num || n > last || r->severity == KHOFMT_SEV_INFO ||
		    v->skipped[i] || !khofmt_vrule_on(c, n))
			continue;
		p = khofmt_grow(v->skip, &v->capskip, v->nskip + 1, sizeof(*p));
		if (!p) {
			c->err = -KHOFMT_ERR_NOMEM;
			return;
		}
		v->skip = p;
		p[v->nskip].rule = r;
		p[v->nskip].why = why;
		v->nskip++;
		v->skipped[i] = true;
	}
}

long khofmt_vcover_add(struct vctx *c, int kind, const char *name, uint64_t start,
		uint64_t len)
{
	struct cover_q *p = khofmt_grow(c->q, &c->capq, c->nq + 1,
					sizeof(*c->q));

	if (!p) {
		c->err = -KHOFMT_ERR_NOMEM;
		return -1;
	}
	c->q = p;
	memset(&c->q[c->nq], 0, sizeof(c->q[0]));
	c->q[c->nq].kind = kind;
	snprintf(c->q[c->nq].name, sizeof(c->q[c->nq].name), "%s",
		 name ? name : "");
	c->q[c->nq].start = start;
	c->q[c->nq].len = len;
	return (long)c->nq++;
}

/* ------------------------------------------------------------------ */
/* Range sets                                                          */
/* ------------------------------------------------------------------ */

static int cmp_range(const void *a, const void *b)
{
	const struct khofmt_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorted copy of @in without empty ranges; merged when @merge. */
static int range_set(const struct khofmt_range *in, size_t n, bool merge,
		     struct khofmt_range **out, size_t *nout)
{
	struct khofmt_range *r;
	size_t i, k = 0;

	*out = NULL;
	*nout = 0;
	if (!n)
		return 0;
	r = malloc(n * sizeof(*r));
	if (!r)
		return -KHOFMT_ERR_NOMEM;
	for (i = 0; i < n; i++)
		if (in[i].size && in[i].start + in[i].size > in[i].start)
			r[k++] = in[i];
	qsort(r, k, sizeof(*r), cmp_range);
	if (merge && k) {
		size_t j = 0;

		for (i = 1; i < k; i++) {
			uint64_t e = r[j].start + r[j].size;

			if (r[i].start <= e) {
				uint64_t ie = r[i].start + r[i].size;

				if (ie > e)
					r[j].size = ie - r[j].start;
			} else {
				r[++j] = r[i];
			}
		}
		k = j + 1;
	}
	*out = r;
	*nout = k;
	return 0;
}

/* Last range starting at or below @a, or NULL. */
static const struct khofmt_range *floor_range(const struct khofmt_range *r,
					      size_t n, uint64_t a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r[mid].start <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &r[lo - 1] : NULL;
}

bool khofmt_in_ranges(const struct khofmt_range *r, size_t n, uint64_t a,
	       uint64_t len)
{
	const struct khofmt_range *f = floor_range(r, n, a);

	return f && a - f->start <= f->size && len <= f->size - (a - f->start);
}

bool khofmt_first_gap(const struct khofmt_range *r, size_t n, uint64_t a,
	       uint64_t len, uint64_t *gap, uint64_t *glen)
{
	const struct khofmt_range *f = floor_range(r, n, a);
	uint64_t end = a + len, pos = a;

	if (!f)
		f = r;
	for (; f < r + n && pos < end; f++) {
		uint64_t fe = f->start + f->size;

		if (fe <= pos)
			continue;
		if (f->start > pos)
			break;
		pos = fe;
	}
	if (pos >= end)
		return false;
	*gap = pos;
	*glen = (f < r + n && f->start < end ? f->start : end) - pos;
	return true;
}

const struct khofmt_range *khofmt_meet_ranges(const struct khofmt_range *r,
				       size_t n, uint64_t a, uint64_t len)
{
	const struct khofmt_range *f = floor_range(r, n, a);

	if (f && ranges_meet(f->start, f->size, a, len))
		return f;
	f = f ? f + 1 : r;
	if (f < r + n && ranges_meet(f->start, f->size, a, len))
		return f;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Run                                                                 */
/* ------------------------------------------------------------------ */

static bool ids_known(const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!khofmt_rule_by_id(list[i]))
			return false;
	return true;
}

/* "... and N more" for rules whose findings were capped. */
static void summarise_caps(struct vctx *c)
{
	struct khofmt_verify *v = c->v;
	size_t i;

	for (i = 0; i < NRULES && !c->err; i++) {
		unsigned seen = v->per_rule[i];
		char *msg;

		if (seen <= v->max_per_rule)
			continue;
		if (asprintf(&msg, "%u more findings of %s not listed",
			     seen - v->max_per_rule, rule_table[i].id) < 0) {
			c->err = -KHOFMT_ERR_NOMEM;
			break;
		}
		if (push(v, &rule_table[i], false, 0, 0, -1, "", msg) < 0) {
			free(msg);
			c->err = -KHOFMT_ERR_NOMEM;
		}
	}
}

/*
 * The checks, in order. Coverage questions (is this blob / region / page
 * preserved?) are registered before the preserved-memory pass and
 * answered after it; a per-schema rules file adds its prepare step before
 * khofmt_rules_tracker_check and its check step after it.
 */
static void (*const steps[])(struct vctx *c) = {
	khofmt_rules_fdt_check,
	khofmt_rules_scratch_check,
	khofmt_rules_blob_prepare,
	khofmt_rules_tracker_check,
	khofmt_rules_blob_check,
	khofmt_rules_schema_check,
};

#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

int khofmt_verify_run(const void *fdt_blob, size_t fdt_len,
		      struct khofmt_source *src,
		      const struct khofmt_verify_opts *opts,
		      struct khofmt_verify **out)
{
	struct khofmt_verify_opts dflt = { .sz = sizeof(dflt) };
	struct vctx c;
	size_t i;
	int r;

	if (!out || (!fdt_blob && fdt_len))
		return -KHOFMT_ERR_INVAL;
	*out = NULL;
	if (!opts)
		opts = &dflt;
	if (KHOFMT_OPTS_VALID(opts, sizeof(*opts)))
		return KHOFMT_OPTS_VALID(opts, sizeof(*opts));
	if ((opts->nonly && !opts->only) || (opts->nskip && !opts->skip) ||
	    (opts->nram && !opts->ram) || (opts->nscratch && !opts->scratch) ||
	    !ids_known(opts->only, opts->nonly) ||
	    !ids_known(opts->skip, opts->nskip))
		return -KHOFMT_ERR_INVAL;

	memset(&c, 0, sizeof(c));
	c.o = opts;
	c.blob = fdt_blob;
	c.blob_len = fdt_len;
	c.src = src;
	c.page_shift = opts->page_shift ? opts->page_shift : 12;
	if (c.page_shift != 12 && c.page_shift != 14 && c.page_shift != 16)
		return -KHOFMT_ERR_INVAL;
	c.P = UINT64_C(1) << c.page_shift;
	c.v = calloc(1, sizeof(*c.v));
	if (!c.v)
		return -KHOFMT_ERR_NOMEM;
	c.v->max_per_rule = opts->max_per_rule ? opts->max_per_rule : 32;
	c.has_ram = opts->has_ram || opts->nram;
	c.has_scratch = opts->has_scratch || opts->nscratch;
	r = range_set(opts->ram, opts->nram, true, &c.ram, &c.nram);
	if (!r)
		r = range_set(opts->scratch, opts->nscratch, false, &c.scr,
			      &c.nscr);
	if (r) {
		c.err = r;
		goto out;
	}

	if (!c.has_ram) {
		khofmt_vfind(&c, R_MEM_NORAM, false, 0, 0, -1, NULL,
		      "no RAM map given: RAM rules not checked");
		khofmt_vskip(&c, R_MAP_RAM, 0, "no RAM map");
		khofmt_vskip(&c, R_TRK_RAM, 0, "no RAM map");
		khofmt_vskip(&c, R_MEM_RAM, 0, "no RAM map");
		khofmt_vskip(&c, R_SCR_RAM, 0, "no RAM map");
	} else
		khofmt_vfind(&c, R_MEM_RAMINFO, false, 0, 0, -1, NULL,
		      "RAM map from %s: %zu ranges",
		      opts->ram_origin ? opts->ram_origin : "the caller",
		      c.nram);
	for (i = 0; i < NSTEPS && !c.err; i++)
		steps[i](&c);
	if (!c.err)
		summarise_caps(&c);
out:
	khofmt_handover_free(c.h);
	khofmt_fdt_free(c.fdt);
	free(c.ram);
	free(c.scr);
	free(c.tpages);
	free(c.q);
	if (c.err) {
		khofmt_verify_free(c.v);
		return c.err;
	}
	*out = c.v;
	return 0;
}

void khofmt_verify_free(struct khofmt_verify *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		free((char *)v->f[i].object);
		free((char *)v->f[i].message);
	}
	free(v->f);
	free(v->skip);
	free(v);
}

size_t khofmt_verify_nskipped(const struct khofmt_verify *v)
{
	return v ? v->nskip : 0;
}

const struct khofmt_rule *khofmt_verify_skipped(const struct khofmt_verify *v,
						size_t i, const char **reason)
{
	if (!v || i >= v->nskip)
		return NULL;
	if (reason)
		*reason = v->skip[i].why;
	return v->skip[i].rule;
}

size_t khofmt_verify_nfindings(const struct khofmt_verify *v)
{
	return v ? v->n : 0;
}

const struct khofmt_finding *khofmt_verify_finding(const struct khofmt_verify *v,
						    size_t i)
{
	return v && i < v->n ? &v->f[i] : NULL;
}

void khofmt_verify_counts(const struct khofmt_verify *v, size_t counts[3])
{
	size_t i;

	counts[0] = counts[1] = counts[2] = 0;
	if (!v)
		return;
	for (i = 0; i < v->n; i++)
		counts[v->f[i].rule->severity]++;
}

/* ------------------------------------------------------------------ */
/* /proc/iomem                                                         */
/* ------------------------------------------------------------------ */

int khofmt_iomem_parse(const char *text, size_t len, struct khofmt_range **out,
		       size_t *n)
{
	struct khofmt_range *v = NULL;
	size_t nv = 0, cap = 0, pos = 0;

	if (!out || !n || (!text && len))
		return -KHOFMT_ERR_INVAL;
	*out = NULL;
	*n = 0;
	while (pos < len) {
		const char *line = text + pos, *nl;
		size_t ll;
		char buf[160], name[64];
		unsigned long long a, b;
		int used = 0;

		nl = memchr(line, '\n', len - pos);
		ll = nl ? (size_t)(nl - line) : len - pos;
		pos += ll + (nl ? 1 : 0);
		if (ll >= sizeof(buf))
			continue;
		memcpy(buf, line, ll);
		buf[ll] = '\0';
		if (!strstr(buf, "System RAM"))
			continue;
		if (sscanf(buf, " %llx-%llx : %63[^\n]%n", &a, &b, name,
			   &used) != 3 || strcmp(name, "System RAM") || b < a ||
		    b == UINT64_MAX) {
			free(v);
			return -KHOFMT_ERR_INVAL;
		}
		{
			void *p = khofmt_grow(v, &cap, nv + 1, sizeof(*v));

			if (!p) {
				free(v);
				return -KHOFMT_ERR_NOMEM;
			}
			v = p;
		}
		v[nv].start = a;
		v[nv].size = (uint64_t)b - a + 1;
		nv++;
	}
	*out = v;
	*n = nv;
	return 0;
}
