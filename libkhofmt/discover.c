// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Finding KHO root FDTs in a memory dump alone (khofmt-dump.h).
 *
 * Nothing in a dump says where the outgoing root of a first kernel is: no
 * boot structure points at it until the next kernel is booted. So this is
 * one sequential pass over the covered memory that looks at page starts for
 * FDTs and, everywhere, for the x86 boot_params signature; what it finds
 * is then followed (setup_data chains, /chosen properties) and every root
 * is checked by opening it and walking its tracker.
 *
 * The pass reads the backing file with large pread()s when the source is a
 * mapped file (ELF, raw), so its resident memory stays at one buffer
 * instead of growing with the mapping; other sources go through
 * khofmt_source_read() chunk by chunk.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libfdt.h>

#include "abi_layout.h"
#include "chain_int.h"
#include "internal.h"
#include "source_int.h"

#define SCAN_CHUNK (4u << 20)     /* bytes per read */
#define SCAN_STEP 4096u           /* page starts: the smallest page size */
#define MAX_FDT_SIZE (2u << 20)   /* a boot DT can be larger than a page */
#define MAX_FDT_CHECKS (1u << 16) /* FDT-looking pages opened at most */
#define MAX_BOOT_PARAMS 64
#define MAX_CANDS 64

/* x86 boot protocol (arch/x86/include/uapi/asm/bootparam.h) */
#define BP_BOOT_FLAG 0x1fe        /* u16 0xAA55 */
#define BP_HEADER 0x202           /* "HdrS" */
#define BP_VERSION 0x206          /* u16, setup_data since 2.09 */
#define BP_SETUP_DATA 0x250       /* u64 phys of the first setup_data */
#define BP_LEN 0x258
#define SETUP_KEXEC_KHO 10        /* uapi/asm/setup_data.h */

struct disc {
	struct khofmt_source *src;
	const struct khofmt_discover_opts *o;
	struct khofmt_root_cand *c;
	size_t n;
	uint64_t bp[MAX_BOOT_PARAMS];
	size_t nbp;
	unsigned fdt_checks;
	void *fdt;                /* MAX_FDT_SIZE scratch for FDT checks */
};

static uint16_t ld_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static struct khofmt_root_cand *cand_add(struct disc *d, uint64_t pa)
{
	struct khofmt_root_cand *c;
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->c[i].pa == pa)
			return &d->c[i];
	if (d->n == MAX_CANDS)
		return NULL;
	c = &d->c[d->n++];
	memset(c, 0, sizeof(*c));
	c->pa = pa;
	c->tracker = -KHOFMT_ERR_NOTCOVERED;
	return c;
}

/* Big-endian cells of a DT property (1 or 2 cells). */
static uint64_t cells(const unsigned char *p, int n)
{
	return n == 2 ? (uint64_t)be32(p) << 32 | be32(p + 4) : be32(p);
}

/* <addr size> of /chosen property @name, as the kernel reads it. */
static bool chosen_pair(const void *fdt, int off, const char *name, int ac,
			int sc, uint64_t *a, uint64_t *s)
{
	const unsigned char *p;
	int len;

	p = fdt_getprop(fdt, off, name, &len);
	if (!p || len != (ac + sc) * 4)
		return false;
	*a = cells(p, ac);
	*s = cells(p + ac * 4, sc);
	return true;
}

/* The page at @pa starts with the FDT magic: a root, a boot DT, or neither. */
static void check_fdt(struct disc *d, uint64_t pa, const unsigned char *hdr,
		      size_t have)
{
	const char *compat;
	struct khofmt_root_cand *c;
	uint32_t total;
	uint64_t a, s;
	int off, ac, sc, len;

	if (have < 8 || d->fdt_checks >= MAX_FDT_CHECKS)
		return;
	total = be32(hdr + 4);
	if (total < 40 || total > MAX_FDT_SIZE)
		return;
	d->fdt_checks++;
	if (khofmt_source_read(d->src, pa, d->fdt, total) < 0 ||
	    fdt_check_full(d->fdt, total))
		return;
	compat = fdt_getprop(d->fdt, 0, "compatible", &len);
	/* a root generation: kho-v1 .. kho-vN (kho-test-v1 and the like are blobs) */
	if (compat && len > 6 && !strncmp(compat, "kho-v", 5) &&
	    compat[5] >= '0' && compat[5] <= '9' &&
	    memchr(compat, '\0', (size_t)len)) {
		c = cand_add(d, pa);
		if (c)
			c->via |= KHOFMT_ROOT_SCAN;
		return;
	}
	off = fdt_path_offset(d->fdt, "/chosen");
	if (off < 0)
		return;
	ac = fdt_address_cells(d->fdt, 0);
	sc = fdt_size_cells(d->fdt, 0);
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2 ||
	    !chosen_pair(d->fdt, off, "linux,kho-fdt", ac, sc, &a, &s))
		return;
	c = cand_add(d, a);
	if (!c)
		return;
	c->via |= KHOFMT_ROOT_CHOSEN;
	c->via_pa = pa;
	if (chosen_pair(d->fdt, off, "linux,kho-scratch", ac, sc, &a, &s)) {
		c->has_scratch = true;
		c->scratch_pa = a;
		c->scratch_size = s;
	}
}

/* "HdrS" at @pa + 0x202: keep @pa when it reads as boot_params. */
static void check_boot_params(struct disc *d, uint64_t pa)
{
	unsigned char b[BP_LEN];
	size_t i;

	if (pa % 8 || d->nbp == MAX_BOOT_PARAMS)
		return;
	if (khofmt_source_read(d->src, pa, b, sizeof(b)) < 0)
		return;
	if (ld_le16(b + BP_BOOT_FLAG) != 0xAA55 || ld_le16(b + BP_VERSION) < 0x0209 ||
	    ld_le64(b + BP_SETUP_DATA) == 0)
		return;
	for (i = 0; i < d->nbp; i++)
		if (d->bp[i] == pa)
			return;
	d->bp[d->nbp++] = pa;
}

/*
 * Follow the setup_data chain of boot_params @bp to type 10 entries, with
 * the chain walker (chain.c). A broken chain is no evidence of a handover:
 * discovery keeps what it found before the fault, silently.
 */
static void follow_setup_data(struct disc *d, uint64_t bp)
{
	unsigned char h[8], k[32];
	struct khofmt_root_cand *c;
	struct khofmt_chain ch;
	uint64_t next;

	if (khofmt_source_read(d->src, bp + BP_SETUP_DATA, h, 8) < 0)
		return;
	if (khofmt_chain_init(&ch, &khofmt_chain_setup_data, d->src, ld_le64(h),
			      12, 0, NULL, NULL))
		return;
	while (khofmt_chain_node(&ch) == 0) {
		next = ch.cur;
		if (khofmt_source_read(d->src, next, k, 16) < 0)
			return;
		if (ld_le32(k + SD_TYPE_OFF) == SETUP_KEXEC_KHO &&
		    ld_le32(k + SD_LEN_OFF) >= 32 && next <= UINT64_MAX - SD_HDR_SIZE &&
		    khofmt_source_read(d->src, next + SD_HDR_SIZE, k, sizeof(k)) == 0) {
			c = cand_add(d, ld_le64(k));
			if (c) {
				c->via |= KHOFMT_ROOT_SETUP_DATA;
				c->via_pa = next;
				c->boot_params_pa = bp;
				c->has_scratch = true;
				c->scratch_pa = ld_le64(k + 16);
				c->scratch_size = ld_le64(k + 24);
			}
		}
	}
}

/* One chunk of covered memory at @pa: @len bytes to look at, @have read. */
static void scan_chunk(struct disc *d, uint64_t pa, const unsigned char *b,
		       size_t len, size_t have)
{
	const unsigned char *p = b, *end = b + have;
	size_t off;

	/* Page starts: FDTs. */
	off = (size_t)((SCAN_STEP - pa % SCAN_STEP) % SCAN_STEP);
	for (; off + 4 <= have && off < len; off += SCAN_STEP)
		if (be32(b + off) == FDT_MAGIC)
			check_fdt(d, pa + off, b + off, have - off);
	/* boot_params anywhere (the kernel's copy is in its .data). */
	while ((p = memmem(p, (size_t)(end - p), "HdrS", 4))) {
		off = (size_t)(p - b);
		if (off >= len)
			break;
		if (pa + off >= BP_HEADER)
			check_boot_params(d, pa + off - BP_HEADER);
		p++;
	}
}

/*
 * File offset of segment @s when the source is a mapped file, so the pass
 * can pread() it; -1 otherwise.
 */
static int64_t seg_file_off(const struct khofmt_source *src,
			    const struct khofmt_seg *s)
{
	const unsigned char *m = src->map;

	if (!m || !s->data || s->data < m || s->data >= m + src->map_len)
		return -1;
	return (int64_t)(s->data - m);
}

static int scan(struct disc *d)
{
	const struct khofmt_source *src = d->src;
	uint64_t total = 0, done = 0;
	unsigned char *buf;
	size_t i;
	int fd = -1, ret = 0;

	for (i = 0; i < src->nsegs; i++)
		total += src->segs[i].size;
	buf = malloc(SCAN_CHUNK + 4);
	if (!buf)
		return -KHOFMT_ERR_NOMEM;
	if (src->map && src->path) {
		fd = open(src->path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	for (i = 0; i < src->nsegs && !ret; i++) {
		const struct khofmt_seg *s = &src->segs[i];
		int64_t foff = fd >= 0 ? seg_file_off(src, s) : -1;
		uint64_t o;

		for (o = 0; o < s->size; o += SCAN_CHUNK) {
			uint64_t rest = s->size - o;
			size_t len = rest < SCAN_CHUNK ? (size_t)rest : SCAN_CHUNK;
			/* 3 bytes more so a "HdrS" across chunks is seen */
			size_t have = rest < SCAN_CHUNK + 3 ? (size_t)rest : SCAN_CHUNK + 3;
			ssize_t r = -1;

			if (foff >= 0) {
				do
					r = pread(fd, buf, have, (off_t)((uint64_t)foff + o));
				while (r < 0 && errno == EINTR);
			}
			if (r != (ssize_t)have &&
			    khofmt_source_read(d->src, s->start + o, buf, have) < 0) {
				/* a page that will not read: skip the chunk */
				done += len;
				continue;
			}
			scan_chunk(d, s->start + o, buf, len, have);
			done += len;
			if (d->o && d->o->progress &&
			    d->o->progress(d->o->progress_arg, done, total)) {
				ret = -KHOFMT_ERR_LIMIT;
				break;
			}
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

/* Open candidate @c's FDT and walk its tracker. */
static void check_cand(struct disc *d, struct khofmt_root_cand *c)
{
	struct khofmt_open_opts oo = { .sz = sizeof(oo) };
	struct khofmt_handover *h = NULL;
	struct khofmt_fdt *f = NULL;
	struct khofmt_geom_guess g;
	struct khofmt_stats st;
	unsigned char hdr[8];
	uint32_t total;
	int r;

	if (khofmt_source_read(d->src, c->pa, hdr, sizeof(hdr)) < 0)
		return;
	total = be32(hdr + 4);
	if (be32(hdr) != FDT_MAGIC || total < 40 || total > MAX_FDT_SIZE) {
		c->tracker = -KHOFMT_ERR_BADFDT;
		return;
	}
	c->size = total;
	if (khofmt_source_read(d->src, c->pa, d->fdt, total) < 0)
		return;
	r = khofmt_fdt_open(d->fdt, total, &f, NULL, 0);
	if (f && f->compatible)
		snprintf(c->compatible, sizeof(c->compatible), "%s", f->compatible);
	if (r < 0) {
		c->tracker = r;
		goto out;
	}
	if (d->o) {
		oo.page_shift = d->o->page_shift;
		oo.producer = d->o->producer;
	}
	/* page size not known (no VMCOREINFO, no option): the candidate's own */
	if (!oo.page_shift && khofmt_geom_infer(f, d->src, &oo, &g) == 0 &&
	    g.page_shift)
		oo.page_shift = g.page_shift;
	r = khofmt_handover_open(f, d->src, &oo, &h);
	if (r < 0) {
		c->tracker = r;
		goto out;
	}
	r = khofmt_stats(h, NULL, &st);
	c->tracker = r < 0 ? r : 0;
	if (r >= 0)
		c->folios = st.folios;
out:
	khofmt_handover_free(h);
	khofmt_fdt_free(f);
}

static int cand_cmp(const void *a, const void *b)
{
	const struct khofmt_root_cand *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

int khofmt_discover_roots(struct khofmt_source *src,
			  const struct khofmt_discover_opts *opts,
			  struct khofmt_root_cand **cands, size_t *n)
{
	struct disc d;
	size_t i;
	int ret, def = -1;

	if (cands)
		*cands = NULL;
	if (n)
		*n = 0;
	if (!src || !cands || !n)
		return -KHOFMT_ERR_INVAL;
	if (KHOFMT_OPTS_VALID(opts, sizeof(*opts)))
		return KHOFMT_OPTS_VALID(opts, sizeof(*opts));
	memset(&d, 0, sizeof(d));
	d.src = src;
	d.o = opts;
	d.c = calloc(MAX_CANDS, sizeof(*d.c));
	d.fdt = malloc(MAX_FDT_SIZE);
	if (!d.c || !d.fdt) {
		ret = -KHOFMT_ERR_NOMEM;
		goto fail;
	}
	ret = scan(&d);
	if (ret < 0)
		goto fail;
	for (i = 0; i < d.nbp; i++)
		follow_setup_data(&d, d.bp[i]);
	/* NO_SCAN: keep only what a boot structure names. */
	if (opts && (opts->flags & KHOFMT_DISCOVER_NO_SCAN)) {
		size_t j = 0;

		for (i = 0; i < d.n; i++)
			if (d.c[i].via & (KHOFMT_ROOT_SETUP_DATA | KHOFMT_ROOT_CHOSEN))
				d.c[j++] = d.c[i];
		d.n = j;
	}
	for (i = 0; i < d.n; i++)
		check_cand(&d, &d.c[i]);
	free(d.fdt);
	if (d.n == 0) {
		free(d.c);
		return khofmt_src_err(src, -KHOFMT_ERR_NOTCOVERED,
				      "%s: no KHO root FDT in memory (no page-aligned FDT "
				      "with a kho-v* compatible, no setup_data type 10, "
				      "no /chosen linux,kho-fdt)", khofmt_src_name(src));
	}
	qsort(d.c, d.n, sizeof(*d.c), cand_cmp);
	for (i = 0; i < d.n && def < 0; i++)
		if (d.c[i].tracker == 0 &&
		    (d.c[i].via & (KHOFMT_ROOT_SETUP_DATA | KHOFMT_ROOT_CHOSEN)))
			def = (int)i;
	for (i = 0; i < d.n && def < 0; i++)
		if (d.c[i].tracker == 0)
			def = (int)i;
	*cands = d.c;
	*n = d.n;
	return def < 0 ? 0 : def;
fail:
	free(d.c);
	free(d.fdt);
	return ret;
}
