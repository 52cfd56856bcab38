/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one checked walker of linked structures (chain.c). Not installed.
 *
 * Every structure of the handover that links nodes by a `next` pointer is
 * described once by a layout (where next and the entry count sit, header
 * and entry sizes, node size and alignment, the reader kernel's own
 * limit), with the offsets of abi_layout.h, and walked by chain.c alone:
 * kho_block chains (LUO sessions and files), kho_vmalloc chunk lists
 * (memfd folio arrays, the kho_test folio list), the kho-v1 tracker's
 * chunk list and x86 setup_data. No other file follows a next pointer.
 *
 * What the walker guarantees, whatever the bytes:
 *  - every node is aligned, lies in the memory source and is read through
 *    khofmt_source_read();
 *  - a loop is found before the node that closes it is entered again: a
 *    first pass over the next pointers alone (Brent's cycle finding,
 *    constant memory) locates the node whose next pointer goes back, so
 *    no entry is returned twice;
 *  - the walk is bounded by the input: at most the nodes the memory
 *    source can hold (a longer chain must repeat a node), and at most the
 *    reader kernel's own limit when it has one (kho_block: 10 000);
 *  - an entry count below its minimum or above what fits the node is a
 *    fault (or, where the reader clamps it, a finding and the capacity);
 *  - each fault goes to the walk's one problem callback, naming the node
 *    that holds it, the bad value and the owner of the chain; a fatal one
 *    ends the walk with its negative error. Nothing is swallowed.
 */
#ifndef KHOFMT_CHAIN_INT_H
#define KHOFMT_CHAIN_INT_H

#include "internal.h"
#include "khofmt-schema.h"

struct chain_layout {
	const char *name;       /* "kho_block chain", ... (messages) */
	const char *node;       /* what one node is called: "block", "chunk" */
	const char *rule;       /* spec ID of its findings ("LUO-2"), or NULL */
	unsigned next_off;      /* the u64 next pointer */
	unsigned count_off;     /* the entry count ... */
	unsigned count_size;    /* ... 4 or 8 bytes; 0: no count field */
	unsigned hdr_size;      /* entries start here */
	unsigned entry_size;    /* 0: given per walk (kho_block) */
	unsigned node_size;     /* 0: one page of the producer */
	unsigned align;         /* 0: node_size */
	uint64_t count_min;     /* a count below is a fault */
	bool count_clamp;       /* over capacity: a finding, then the capacity */
	bool zero_ends;         /* an all-zero entry ends the node's list */
	uint64_t max_nodes;     /* the reader kernel's limit (0: none) */
};

/* The layouts (chain.c), each built from abi_layout.h. */
extern const struct chain_layout khofmt_chain_kho_block;    /* 6.3 */
extern const struct chain_layout khofmt_chain_kho_vmalloc;  /* 6.5 */
extern const struct chain_layout khofmt_chain_kho_v1;       /* 4.2.1 */
extern const struct chain_layout khofmt_chain_setup_data;   /* 1.2 */

enum chain_fault {
	CHAIN_UNALIGNED = 1,    /* a node address off its alignment */
	CHAIN_WILD,             /* a node outside the memory source */
	CHAIN_UNREADABLE,       /* covered, but the read failed */
	CHAIN_LOOP,             /* a next pointer back to an earlier node */
	CHAIN_TOO_LONG,         /* past the kernel's or the source's limit */
	CHAIN_COUNT,            /* an entry count the node cannot hold */
};

struct khofmt_chain_problem {
	const struct chain_layout *layout;
	const char *owner;      /* "" when the caller named none */
	enum chain_fault fault;
	int err;                /* KHOFMT_ERR_* (positive) */
	bool fatal;             /* the walk ends with -err */
	/*
	 * The node holding the fault: the node whose next pointer is bad, or
	 * whose count is; for a bad first pointer (no node holds it) the
	 * pointer itself.
	 */
	uint64_t node;
	uint64_t index;         /* that node's position in the chain */
	uint64_t value;         /* the bad pointer or count */
	const char *msg;        /* names the owner, the node and the value */
};

/*
 * The problem callback: 0 goes on (after a non-fatal fault), non-zero
 * ends the walk (the walker then returns -KHOFMT_ERR_LIMIT for a
 * non-fatal fault). A fatal fault ends it whatever the callback says.
 */
typedef int (*chain_problem_cb)(void *arg, const struct khofmt_chain_problem *p);

/*
 * Start a walk at @first (0: empty chain) of @page_shift's pages, with
 * @esize-byte entries when the layout leaves it open (0 with an entry size
 * of 0 in the layout: nodes without entries). -KHOFMT_ERR_INVAL for an
 * entry that does not fit a node.
 */
int khofmt_chain_init(struct khofmt_chain *c, const struct chain_layout *l,
		      struct khofmt_source *src, uint64_t first,
		      unsigned page_shift, size_t esize,
		      chain_problem_cb cb, void *arg);
/* Name the chain's owner in its findings ("session \"a\" files"). */
void khofmt_chain_owner(struct khofmt_chain *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Enter the next node: 0 (c->cur is its address, c->count its entries),
 * 1 at the end, or a negative error after the problem callback heard it.
 */
int khofmt_chain_node(struct khofmt_chain *c);

/*
 * The next entry, across nodes: 0 with its bytes in @buf (esize bytes) and
 * its address in *@pa, 1 at the end, or a negative error.
 */
int khofmt_chain_entry(struct khofmt_chain *c, void *buf, uint64_t *pa);

/* Bytes per node of this walk. */
uint64_t khofmt_chain_node_size(const struct khofmt_chain *c);

/*
 * The problem callback of the sub-schema decoders: the fault goes to
 * khofmt_schema_report() under the layout's rule, fatal or not.
 * @arg: the decoder's const struct khofmt_schema_opts *.
 */
int khofmt_chain_schema_problem(void *arg, const struct khofmt_chain_problem *p);

#endif
