// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one checked walker of linked structures (see chain_int.h): every
 * next pointer of the handover is followed here, and only here.
 *
 * A walk makes two passes over the next pointers. The first, on the
 * first call, reads only node headers and runs Brent's cycle finding
 * (constant memory, at most about three times the nodes the second pass
 * may enter: the reader kernel's limit, or the nodes the memory source
 * holds); on a cycle it then finds mu,
 * the first node on the cycle, and lambda, its length, so that the node
 * whose next pointer closes the loop (index mu + lambda - 1) is known.
 * Faults of a node (alignment, coverage, read) stop that pass silently:
 * the second pass meets them where they are and reports them. The second
 * pass enters the nodes one by one for the caller and reports every fault
 * through the walk's problem callback, at the node that holds it.
 */
#include <stdio.h>

#include "abi_layout.h"
#include "chain_int.h"
#include "schema_int.h"

#define HDR_MAX 16	/* the largest header read by a layout */

/* ---- the layouts ---- */

/* kho_block (6.3): {next, count}, then count entries of the reader's size */
const struct chain_layout khofmt_chain_kho_block = {
	.name = "kho_block chain", .node = "block", .rule = "LUO-2",
	.next_off = BLK_NEXT_OFF, .count_off = BLK_COUNT_OFF, .count_size = 8,
	.hdr_size = BLK_HDR_SIZE, .count_min = 1,
	.max_nodes = KHOFMT_BLOCK_MAX_CHAIN,
};

/* kho_vmalloc chunks (6.5): {next}, then run starts up to a 0 or the page end */
const struct chain_layout khofmt_chain_kho_vmalloc = {
	.name = "vmalloc chunk list", .node = "vmalloc chunk", .rule = "VM-1",
	.next_off = VM_CHUNK_NEXT_OFF, .hdr_size = VM_CHUNK_SLOTS_OFF,
	.entry_size = VM_RUN_SIZE, .zero_ends = true,
};

/* the kho-v1 tracker (4.2.1): {next, order, num_elms}, then elements */
const struct chain_layout khofmt_chain_kho_v1 = {
	.name = "chunk list", .node = "chunk",
	.next_off = KV1_NEXT_OFF, .count_off = KV1_NUM_OFF, .count_size = 4,
	.hdr_size = KV1_HDR_SIZE, .entry_size = KV1_ELM_SIZE,
	.count_clamp = true,
};

/* x86 setup_data (1.2): 16-byte headers anywhere; discovery follows 256 */
const struct chain_layout khofmt_chain_setup_data = {
	.name = "setup_data list", .node = "setup_data",
	.next_off = SD_NEXT_OFF, .hdr_size = SD_HDR_SIZE,
	.node_size = SD_HDR_SIZE, .align = 1, .max_nodes = 256,
};

/* ---- geometry of one walk ---- */

uint64_t khofmt_chain_node_size(const struct khofmt_chain *c)
{
	const struct chain_layout *l = c->layout;

	return l->node_size ? l->node_size : UINT64_C(1) << c->page_shift;
}

static uint64_t node_align(const struct khofmt_chain *c)
{
	const struct chain_layout *l = c->layout;

	return l->align ? l->align : khofmt_chain_node_size(c);
}

/* Distinct nodes the memory source can hold: a longer chain repeats one. */
static uint64_t source_nodes(const struct khofmt_chain *c)
{
	const struct khofmt_range *rg = NULL;
	uint64_t total = 0, ns = khofmt_chain_node_size(c);
	size_t n = 0, i;

	if (c->src)
		rg = khofmt_source_ranges(c->src, &n);
	for (i = 0; i < n; i++)
		total += rg[i].size / ns + 1;
	return total + 1;
}

int khofmt_chain_init(struct khofmt_chain *c, const struct chain_layout *l,
		      struct khofmt_source *src, uint64_t first,
		      unsigned page_shift, size_t esize,
		      chain_problem_cb cb, void *arg)
{
	uint64_t ns;

	if (!c || !l || !src || page_shift < 12 || page_shift > 16)
		return -KHOFMT_ERR_INVAL;
	memset(c, 0, sizeof(*c));
	c->src = src;
	c->layout = l;
	c->problem = cb;
	c->problem_arg = arg;
	c->first = first;
	c->page_shift = page_shift;
	c->esize = l->entry_size ? l->entry_size : esize;
	c->stop = UINT64_MAX;
	ns = khofmt_chain_node_size(c);
	/* esize 0: nodes without entries (setup_data) */
	if (l->hdr_size > HDR_MAX || l->hdr_size > ns ||
	    c->esize > ns - l->hdr_size)
		return -KHOFMT_ERR_INVAL;
	c->limit = source_nodes(c);
	c->done = first == 0;
	return 0;
}

void khofmt_chain_owner(struct khofmt_chain *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->owner, sizeof(c->owner), fmt, ap);
	va_end(ap);
}

/* ---- faults ---- */

__attribute__((format(printf, 8, 9)))
static int fault(struct khofmt_chain *c, enum chain_fault f, int err,
		 bool fatal, uint64_t node, uint64_t index, uint64_t value,
		 const char *fmt, ...)
{
	const struct chain_layout *l = c->layout;
	struct khofmt_chain_problem p;
	char body[ERRMSG_LEN], msg[sizeof(c->owner) + 2 + ERRMSG_LEN];
	va_list ap;
	int r = 0;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s%s%s", c->owner, c->owner[0] ? ": " : "",
		 body);
	p.layout = l;
	p.owner = c->owner;
	p.fault = f;
	p.err = err;
	p.fatal = fatal;
	p.node = node;
	p.index = index;
	p.value = value;
	p.msg = msg;
	if (c->problem)
		r = c->problem(c->problem_arg, &p);
	if (fatal) {
		c->done = true;
		return -err;
	}
	if (r) {
		c->done = true;
		return -KHOFMT_ERR_LIMIT;
	}
	return 0;
}

/* Can @pa be a node? 0, or the fault; *@hdr gets its header. */
static enum chain_fault node_check(struct khofmt_chain *c, uint64_t pa,
				   unsigned char *hdr, int *rerr)
{
	const struct chain_layout *l = c->layout;
	int r;

	if (pa & (node_align(c) - 1))
		return CHAIN_UNALIGNED;
	if (!khofmt_source_covers(c->src, pa, khofmt_chain_node_size(c)))
		return CHAIN_WILD;
	r = khofmt_source_read(c->src, pa, hdr, l->hdr_size);
	if (r < 0) {
		*rerr = -r;
		return CHAIN_UNREADABLE;
	}
	return 0;
}

/* First pass: the next pointer of @pa into *@next; false if no node. */
static bool peek(struct khofmt_chain *c, uint64_t pa, uint64_t *next)
{
	const struct chain_layout *l = c->layout;
	unsigned char hdr[HDR_MAX];
	int rerr;

	if (node_check(c, pa, hdr, &rerr))
		return false;
	*next = ld_le64(hdr + l->next_off);
	return true;
}

/*
 * Brent: the tortoise waits at a power-of-two step while the hare runs;
 * when they meet, lam is the cycle's length. Then mu from two pointers
 * lam apart. Leaves c->stop = mu + lam (nodes before the closing next).
 */
static void scan(struct khofmt_chain *c)
{
	const struct chain_layout *l = c->layout;
	uint64_t tort = c->first, hare, power = 1, lam = 1, mu = 0, steps = 0, i;
	/*
	 * The second pass enters at most min(limit, max_nodes) nodes: a loop
	 * closing later is never met, and Brent finds one with mu + lam
	 * nodes within 3 (mu + lam) steps, so nothing past that bound needs
	 * a look (a 10 000-block cap must not cost a walk of all memory).
	 */
	uint64_t nodes = l->max_nodes && l->max_nodes < c->limit ?
			 l->max_nodes : c->limit;
	uint64_t bound = nodes > UINT64_MAX / 4 ? UINT64_MAX : 3 * nodes + 3;

	if (!peek(c, tort, &hare))
		return;
	while (hare != tort) {
		if (!hare || ++steps > bound)
			return;	/* the end, or past what the second pass enters */
		if (power == lam) {
			tort = hare;
			power <<= 1;
			lam = 0;
		}
		if (!peek(c, hare, &hare))
			return;	/* the second pass reports this node */
		lam++;
	}
	tort = hare = c->first;
	for (i = 0; i < lam; i++)
		if (!peek(c, hare, &hare))
			return;
	while (tort != hare) {
		if (!peek(c, tort, &tort) || !peek(c, hare, &hare))
			return;
		mu++;
	}
	c->stop = mu + lam;
}

/* "not page-aligned", ... */
static const char *why(const struct khofmt_chain *c, enum chain_fault f,
		       char *buf, size_t len)
{
	switch (f) {
	case CHAIN_UNALIGNED:
		if (node_align(c) == UINT64_C(1) << c->page_shift)
			snprintf(buf, len, "not page-aligned (%u KiB pages)",
				 1u << (c->page_shift - 10));
		else
			snprintf(buf, len, "not %llu-byte aligned",
				 (unsigned long long)node_align(c));
		break;
	case CHAIN_WILD:
		snprintf(buf, len, "not in the memory source");
		break;
	default:
		snprintf(buf, len, "not readable");
		break;
	}
	return buf;
}

int khofmt_chain_node(struct khofmt_chain *c)
{
	const struct chain_layout *l;
	unsigned char hdr[HDR_MAX];
	uint64_t pa, count, cap, holder, hidx;
	enum chain_fault f;
	char wbuf[48];
	int rerr = KHOFMT_ERR_IO, r;

	if (!c || !c->layout)
		return -KHOFMT_ERR_INVAL;
	if (c->done)
		return 1;
	l = c->layout;
	if (!c->scanned) {
		scan(c);
		c->scanned = true;
	}
	pa = c->nodes ? c->next : c->first;
	if (!pa) {
		c->done = true;
		return 1;
	}
	/* a bad next pointer is the fault of the node holding it */
	holder = c->nodes ? c->cur : pa;
	hidx = c->nodes ? c->nodes - 1 : 0;
	if (c->nodes == c->stop)
		return fault(c, CHAIN_LOOP, KHOFMT_ERR_LOOP, true, holder, hidx, pa,
			     "%s 0x%llx: next 0x%llx goes back to an earlier %s (the %s loops after %llu %ss)",
			     l->node, (unsigned long long)holder,
			     (unsigned long long)pa, l->node, l->name,
			     (unsigned long long)c->nodes, l->node);
	if (l->max_nodes && c->nodes >= l->max_nodes)
		return fault(c, CHAIN_TOO_LONG, KHOFMT_ERR_LIMIT, true, holder, hidx,
			     pa, "%s from 0x%llx longer than %llu %ss (the kernel's limit)",
			     l->name, (unsigned long long)c->first,
			     (unsigned long long)l->max_nodes, l->node);
	if (c->nodes >= c->limit)
		return fault(c, CHAIN_TOO_LONG, KHOFMT_ERR_LIMIT, true, holder, hidx,
			     pa, "%s from 0x%llx longer than the %llu %ss the memory source holds",
			     l->name, (unsigned long long)c->first,
			     (unsigned long long)c->limit, l->node);
	f = node_check(c, pa, hdr, &rerr);
	if (f) {
		int err = f == CHAIN_UNALIGNED ? KHOFMT_ERR_STRUCT :
			  f == CHAIN_WILD ? KHOFMT_ERR_NOTCOVERED : rerr;

		if (c->nodes)
			return fault(c, f, err, true, holder, hidx, pa,
				     "%s 0x%llx: next 0x%llx is %s", l->node,
				     (unsigned long long)holder,
				     (unsigned long long)pa,
				     why(c, f, wbuf, sizeof(wbuf)));
		return fault(c, f, err, true, pa, 0, pa, "first %s 0x%llx is %s",
			     l->node, (unsigned long long)pa,
			     why(c, f, wbuf, sizeof(wbuf)));
	}
	cap = c->esize ? (khofmt_chain_node_size(c) - l->hdr_size) / c->esize : 0;
	count = cap;
	if (l->count_size == 8)
		count = ld_le64(hdr + l->count_off);
	else if (l->count_size == 4)
		count = ld_le32(hdr + l->count_off);
	c->cur = pa;
	c->next = ld_le64(hdr + l->next_off);
	c->nodes++;
	c->idx = 0;
	c->count = 0;
	if (count < l->count_min || count > cap) {
		if (!l->count_clamp || count < l->count_min)
			return fault(c, CHAIN_COUNT, KHOFMT_ERR_STRUCT, true, pa,
				     c->nodes - 1, count,
				     "%s 0x%llx: count %llu not in %llu..%llu",
				     l->node, (unsigned long long)pa,
				     (unsigned long long)count,
				     (unsigned long long)l->count_min,
				     (unsigned long long)cap);
		r = fault(c, CHAIN_COUNT, KHOFMT_ERR_LIMIT, false, pa, c->nodes - 1,
			  count, "%s 0x%llx: count %llu exceeds the %llu entries a %s holds",
			  l->node, (unsigned long long)pa,
			  (unsigned long long)count, (unsigned long long)cap,
			  l->node);
		if (r)
			return r;
		count = cap;
	}
	c->count = count;
	return 0;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

int khofmt_chain_entry(struct khofmt_chain *c, void *buf, uint64_t *pa)
{
	const struct chain_layout *l;
	uint64_t at;
	int r;

	if (!c || !c->layout || !buf)
		return -KHOFMT_ERR_INVAL;
	l = c->layout;
	for (;;) {
		if (c->done)
			return 1;
		if (c->idx >= c->count) {
			r = khofmt_chain_node(c);
			if (r)
				return r;
			continue;
		}
		at = c->cur + l->hdr_size + c->idx * c->esize;
		r = khofmt_source_read(c->src, at, buf, c->esize);
		if (r < 0)
			return fault(c, CHAIN_UNREADABLE, -r, true, c->cur,
				     c->nodes - 1, at,
				     "%s 0x%llx: entry at 0x%llx is not readable",
				     l->node, (unsigned long long)c->cur,
				     (unsigned long long)at);
		c->idx++;
		if (l->zero_ends && all_zero(buf, c->esize)) {
			c->idx = c->count;	/* a 0 ends this node's list */
			continue;
		}
		c->items++;
		if (pa)
			*pa = at;
		return 0;
	}
}

/* ---- the sub-schema decoders' callback ---- */

int khofmt_chain_schema_problem(void *arg, const struct khofmt_chain_problem *p)
{
	const struct khofmt_schema_opts *o = arg;

	khofmt_schema_report(o, p->layout->rule ? p->layout->rule : "", p->err,
			     p->fatal, false, p->node, "%s", p->msg);
	return 0;
}
