// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl dump, subnode part: decode each known blob with libkhofmt's
 * sub-schema API and print it through the one output layer. Problems the
 * decoders report are collected and printed as a "problems" array at the
 * end of the subnode's object.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump_schema.h"
#include "grow.h"
#include "out.h"

/* Bytes of an unknown blob shown in "head". */
#define HEAD_BYTES 32
#define MAX_PROBLEMS 64
/* --data: largest folio list kept for hashing (16 bytes each) */
#define MAX_DATA_FOLIOS (1u << 22)

static const struct out_col folio_cols[] = {
	{ "index", "INDEX", 8, 0 },
	{ "phys", "PHYS", 14, 0 },
	{ "flags", "FLAGS", 5, 0 },
};

static const struct out_col sdfd_cols[] = {
	{ "name", "NAME", -20, 0 },
	{ "type", "TYPE", -11, 0 },
	{ "token", "TOKEN", -6, 0 },
	{ "session_name", "SESSION", -12, 0 },
	{ "compatible", "HANDLER", -9, 0 },
	{ "size", "SIZE", 10, OUT_COL_SIZE },
	{ "preserved", "PRESERVED", -9, 0 },
	{ "restorable", "RESTORABLE", -10, 0 },
};

static const struct out_col test_cols[] = {
	{ "phys", "PHYS", 14, 0 },
	{ "order", "ORDER", 5, 0 },
};

struct prob {
	char rule[16];
	char msg[256];
	uint64_t pa;
	bool fatal, inferred;
};

/* Whether the registry files @key at @where under @kind. */
static bool is_kind(enum khofmt_schema_where where, const char *key,
		    enum khofmt_schema_kind kind)
{
	const struct khofmt_schema_info *in = khofmt_schema_find(where, key);

	return in && in->kind == kind;
}

struct ctx {
	struct khofmt_source *src;
	struct khofmt_handover *h;  /* the tracker, for folio orders; or NULL */
	bool folios, summary, brief;
	struct khofmt_schema_opts opts;
	struct prob p[MAX_PROBLEMS];
	size_t n, dropped;
	bool fatal;
	bool data;
	bool incoming;
	unsigned ps;
};

static int on_problem(void *arg, const struct khofmt_schema_problem *p)
{
	struct ctx *c = arg;
	struct prob *q;

	if (p->fatal)
		c->fatal = true;
	if (c->n >= MAX_PROBLEMS) {
		c->dropped++;
		return 0;
	}
	q = &c->p[c->n++];
	snprintf(q->rule, sizeof(q->rule), "%s", p->rule ? p->rule : "");
	snprintf(q->msg, sizeof(q->msg), "%s", p->msg ? p->msg : "");
	q->pa = p->pa;
	q->fatal = p->fatal;
	q->inferred = p->inferred;
	return 0;
}

/*
 * A physical address read from a structure. What lies above the 52-bit
 * physical address space is no physical address -- in practice a kernel
 * virtual pointer met in reused or foreign memory -- and above 2^53 not
 * even an exact JSON number: @key is null then and "@key_kva" holds the
 * value as a 0x hex string (khoctl-json(7)).
 */
#define PHYS_LIMIT (UINT64_C(1) << 52)

static void emit_pa(const char *key, uint64_t v)
{
	char k[48];

	if (v <= PHYS_LIMIT) {
		out_addr(key, v);
		return;
	}
	snprintf(k, sizeof(k), "%s_kva", key);
	out_null(key, "(not a physical address: a kernel virtual pointer?)");
	out_hex64(k, v);
}

static void emit_problems(struct ctx *c)
{
	size_t i;
	bool none = !c->n && !c->dropped;

	/* "(none)" is a detail of the text summary */
	if (none)
		out_detail_begin();
	out_array_begin("problems");
	for (i = 0; i < c->n; i++) {
		out_obj_begin(NULL);
		out_str("rule", c->p[i].rule);
		out_bool("fatal", c->p[i].fatal);
		out_bool("inferred", c->p[i].inferred);
		emit_pa("pa", c->p[i].pa);
		out_str("message", c->p[i].msg);
		out_obj_end();
	}
	out_array_end();
	if (none)
		out_detail_end();
	if (c->dropped)
		out_u64("problems_dropped", c->dropped);
}

static void emit_err(const char *key, int r)
{
	out_str(key, khofmt_strerror(r));
}

static void emit_vmalloc(const char *key, const struct khofmt_vmalloc_desc *d)
{
	out_obj_begin(key);
	emit_pa("first", d->first);
	out_u64("total_pages", d->total_pages);
	out_u64("flags", d->flags);
	out_u64("order", d->order);
	out_obj_end();
}

static void do_kexec_meta(struct ctx *c, const void *blob, size_t len)
{
	struct khofmt_kexec_meta m;
	int r = khofmt_kexec_meta_decode(blob, len, &c->opts, &m);

	if (r >= 0)
		out_detail_begin();
	out_u64("version", m.version);
	if (r < 0) {
		emit_err("error", r);
		return;
	}
	out_detail_end();
	out_str("previous_release", m.release);
	out_u64("kexec_count", m.kexec_count);
}

/* FNV-1a 64 over the file's bytes, folios taken in index order. */
struct fol {
	uint64_t phys, index;
};

static int fol_cmp(const void *a, const void *b)
{
	const struct fol *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

static void memfd_data(struct ctx *c, struct khofmt_memfd *m, struct fol *f,
		       size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325), P = UINT64_C(1) << c->ps;
	uint64_t done = 0, pages = 0;
	unsigned char buf[4096];
	bool readable = true;
	size_t i;

	if (n)
		qsort(f, n, sizeof(*f), fol_cmp);
	for (i = 0; i < n && readable; i++) {
		uint64_t start = f[i].index * P, end;
		uint64_t next = i + 1 < n ? f[i + 1].index * P : m->size;

		end = next < m->size ? next : m->size;
		if (start != done || end < start) {
			readable = false;
			break;
		}
		pages += (end - start + P - 1) / P;
		while (done < end) {
			size_t k = end - done < sizeof(buf) ? (size_t)(end - done) :
				   sizeof(buf), j;

			if (khofmt_source_read(c->src, f[i].phys + (done - start), buf, k)) {
				readable = false;
				break;
			}
			for (j = 0; j < k; j++)
				h = (h ^ buf[j]) * UINT64_C(0x100000001b3);
			done += k;
		}
	}
	out_obj_begin("data");
	out_u64("pages", pages);
	out_bool("readable", readable && done == m->size);
	if (readable && done == m->size)
		out_hex64("fnv1a64", h);
	else
		out_null("fnv1a64", "(data pages not all in the memory source)");
	out_obj_end();
}

/*
 * A folio list summarised (dump's default text): how many, how many
 * contiguous runs (each folio following the last one in the file and in
 * physical memory), flags, and the folios' orders as the tracker has them.
 */
#define MAX_SUMMARY_FOLIOS (1u << 24) /* phys kept for the order look-up */

struct fsum {
	uint64_t n, runs, run, longest;
	uint64_t dirty, uptodate;
	uint64_t last_idx, last_phys;
	uint64_t *phys;             /* sorted for the tracker walk */
	size_t nphys, cap;
	bool too_many;
	uint64_t order[KHOFMT_MAX_ORDERS], found;
};

static void fsum_add(struct fsum *s, uint64_t idx, uint64_t phys, unsigned ps)
{
	uint64_t d = idx - s->last_idx;

	if (s->n && idx > s->last_idx && phys > s->last_phys &&
	    d < (UINT64_C(1) << (64 - ps)) && phys - s->last_phys == d << ps) {
		s->run++;
	} else {
		s->runs++;
		s->run = 1;
	}
	if (s->run > s->longest)
		s->longest = s->run;
	s->n++;
	s->last_idx = idx;
	s->last_phys = phys;
	if (s->too_many)
		return;
	if (s->nphys == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		uint64_t *p = cap <= MAX_SUMMARY_FOLIOS ?
			      realloc(s->phys, cap * sizeof(*p)) : NULL;

		if (!p) {
			s->too_many = true;
			return;
		}
		s->phys = p;
		s->cap = cap;
	}
	s->phys[s->nphys++] = phys;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int fsum_entry(void *arg, uint64_t phys, unsigned order)
{
	struct fsum *s = arg;
	size_t lo = 0, hi = s->nphys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->phys[mid] < phys)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* each folio once, even when listed twice (a finding for verify) */
	for (; lo < s->nphys && s->phys[lo] == phys; lo++) {
		if (order < KHOFMT_MAX_ORDERS)
			s->order[order]++;
		s->found++;
	}
	return 0;
}

/* "0: 768, 9: 2" (order: count) into @buf; "(none)" when empty. */
static void fmt_orders(char *buf, size_t size, const uint64_t *order)
{
	size_t o, n = 0;

	buf[0] = '\0';
	for (o = 0; o < KHOFMT_MAX_ORDERS; o++)
		if (order[o] && n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%zu: %llu",
					      n ? ", " : "", o,
					      (unsigned long long)order[o]);
	if (!n)
		snprintf(buf, size, "(none)");
}

/*
 * The orders of the folios in @s, from the tracker (@have_orders: the list
 * gave them). Returns false, with @why, when they are not known.
 */
static bool fsum_orders(struct ctx *c, struct fsum *s, bool have_orders,
			uint64_t *pages, const char **why)
{
	struct khofmt_walk_opts wo = { .sz = sizeof(wo) };
	unsigned o;

	*pages = 0;
	*why = NULL;
	if (!have_orders) {
		if (!c->h)
			*why = "(no tracker: give --mem)";
		else if (s->too_many)
			*why = "(too many folios to look up)";
		if (*why)
			return false;
		if (s->nphys) {
			qsort(s->phys, s->nphys, sizeof(*s->phys), cmp_u64);
			if (khofmt_walk_folios(c->h, &wo, fsum_entry, s) < 0) {
				*why = "(tracker not walked)";
				return false;
			}
		}
	}
	for (o = 0; o < KHOFMT_MAX_ORDERS; o++)
		*pages += s->order[o] << o;
	return true;
}

/*
 * A folio list summarised: in --details text an object of its own; in the
 * brief text one line, @key (the record's label), in the parent object.
 */
static void fsum_emit(struct ctx *c, struct fsum *s, bool have_orders,
		      const char *key, uint64_t size, bool has_size)
{
	char ord[KHOFMT_MAX_ORDERS * 32], line[KHOFMT_MAX_ORDERS * 32 + 256];
	const char *why;
	uint64_t pages;
	bool ok = fsum_orders(c, s, have_orders, &pages, &why);
	size_t n = 0;

	fmt_orders(ord, sizeof(ord), s->order);
	if (c->brief) {
		if (has_size) {
			out_human(line, size);
			n = strlen(line);
			n += (size_t)snprintf(line + n, sizeof(line) - n, ", ");
		}
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%llu folios",
				      (unsigned long long)s->n);
		if (ok && s->n)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      ", %llu pages (order %s)",
					      (unsigned long long)pages, ord);
		else if (!ok)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      ", orders %s", why);
		if (ok && !have_orders && s->found < s->n)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      ", %llu not in the tracker",
					      (unsigned long long)(s->n - s->found));
		if (s->n && !have_orders && n < sizeof(line))
			snprintf(line + n, sizeof(line) - n,
				 ", %llu contiguous runs (longest %llu folios)",
				 (unsigned long long)s->runs,
				 (unsigned long long)s->longest);
		out_note(key, "%s", line);
		return;
	}
	out_obj_begin("folio_summary");
	out_u64("folios", s->n);
	if (ok) {
		out_u64("pages", pages);
		out_str("orders", ord);
		if (!have_orders && s->found < s->n)
			out_u64("not_in_tracker", s->n - s->found);
	} else {
		out_null("orders", why);
	}
	if (s->n && !have_orders)
		out_note("runs", "%llu contiguous in file and memory, longest %llu folios",
			 (unsigned long long)s->runs,
			 (unsigned long long)s->longest);
	if (!have_orders)
		out_note("flags", "%llu uptodate, %llu dirty",
			 (unsigned long long)s->uptodate,
			 (unsigned long long)s->dirty);
	out_obj_end();
}

static void do_memfd(struct ctx *c, const struct khofmt_luo_file *lf)
{
	struct khofmt_memfd m;
	struct khofmt_memfd_folio f;
	struct fol *v = NULL;
	struct fsum sum = { .n = 0 };
	size_t n = 0, cap = 0;
	bool too_many = false, brief;
	int r;

	r = khofmt_memfd_open(c->src, lf->data, lf->compatible, &c->opts, &m);
	if (r < 0) {
		out_obj_begin("memfd");
		emit_err("error", r);
		out_obj_end();
		return;
	}
	/* brief text: the record in one line (below), unless asked for more */
	brief = c->brief && !c->data && !c->folios;
	if (brief)
		out_detail_begin();
	out_obj_begin("memfd");
	out_detail_begin();
	out_u64("version", m.version);
	out_u64("pos", m.pos);
	out_detail_end();
	out_size("size", m.size);
	out_detail_begin();
	out_u64("seals", m.seals);
	out_u64("flags", m.flags);
	out_detail_end();
	out_u64("nr_folios", m.nr_folios);
	out_detail_begin();
	if (m.nr_folios)
		emit_vmalloc("folios_area", &m.folios);
	out_detail_end();
	if (c->folios)
		out_table_begin("folios", folio_cols, OUT_NCOLS(folio_cols), 0);
	while ((r = khofmt_memfd_folio_next(&m, &f)) == 0 && !out_failed()) {
		if (c->folios) {
			out_row_begin();
			out_u64("index", f.index);
			out_addr("phys", f.phys);
			out_u64("flags", f.flags);
			out_row_end();
		}
		if (c->summary) {
			fsum_add(&sum, f.index, f.phys, c->ps);
			sum.dirty += f.flags & 1;
			sum.uptodate += (f.flags >> 1) & 1;
		}
		if (!c->data || too_many)
			continue;
		if (n == cap) {
			struct fol *nv = n < MAX_DATA_FOLIOS ?
				khofmt_grow(v, &cap, n + 1, sizeof(*v)) : NULL;

			if (!nv) {
				too_many = true;
				continue;
			}
			v = nv;
		}
		v[n].phys = f.phys;
		v[n++].index = f.index;
	}
	if (c->folios)
		out_table_end();
	if (c->summary && !brief)
		fsum_emit(c, &sum, false, NULL, 0, false);
	if (r < 0)
		emit_err("folios_error", r);
	else if (c->data && too_many)
		out_null("data", "(too many folios to summarise)");
	else if (c->data)
		memfd_data(c, &m, v, n);
	out_obj_end();
	if (brief) {
		out_detail_end();
		if (r < 0)
			out_note("memfd", "folio list: %s", khofmt_strerror(r));
		else
			fsum_emit(c, &sum, false, "memfd", m.size, true);
	}
	free(sum.phys);
	khofmt_memfd_close(&m);
	free(v);
}

/* One row of the FD store table. */
static void systemd_fd_row(const struct khofmt_systemd_fd *f)
{
	out_row_begin();
	out_str("name", f->name);
	out_str("type", f->type_name);
	if (f->has_token)
		out_hex64("token", f->token);
	else
		out_null("token", "-");
	if (f->session_name)
		out_str("session_name", f->session_name);
	else
		out_null("session_name", "-");
	if (f->preserved && f->compatible[0])
		out_str("compatible", f->compatible);
	else
		out_null("compatible", "-");
	if (f->has_size)
		out_size("size", f->size);
	else
		out_null("size", "-");
	out_bool("preserved", f->preserved);
	out_bool("restorable", f->restorable && f->preserved);
	out_row_end();
}

/*
 * systemd's FD store (the session "systemd"): per unit, each stored fd's
 * name, type, token, handler and size, from the token 0 mapping.
 */
static void do_systemd(struct ctx *c, const void *blob, size_t len)
{
	const struct khofmt_systemd_info *info;
	struct khofmt_systemd *sd;
	const char *unit = NULL;
	size_t i, n;
	int r = khofmt_systemd_open(c->src, blob, len, &c->opts, &sd);

	out_obj_begin("fd_store");
	if (r) {
		if (r < 0)
			emit_err("error", r);
		out_obj_end();
		return;
	}
	info = khofmt_systemd_info(sd);
	if (info->mapping_pa)
		out_addr("mapping", info->mapping_pa);
	else
		out_null("mapping", "(no token 0 memfd)");
	out_size("mapping_size", info->mapping_size);
	out_bool("parsed", info->parsed);
	if (info->parsed)
		out_u64("version", info->version);
	else
		out_null("version", "(not parsed)");
	out_array_begin("units");
	n = khofmt_systemd_nfds(sd);
	for (i = 0; i < n && !out_failed(); i++) {
		const struct khofmt_systemd_fd *f = khofmt_systemd_fd(sd, i);

		if (f->unnamed)
			break;
		if (!unit || strcmp(unit, f->unit)) {
			if (unit) {
				out_table_end();
				out_obj_end();
			}
			unit = f->unit;
			out_obj_begin(NULL);
			out_str("unit", unit);
			out_table_begin("fds", sdfd_cols, OUT_NCOLS(sdfd_cols), 0);
		}
		systemd_fd_row(f);
	}
	if (unit) {
		out_table_end();
		out_obj_end();
	}
	out_array_end();
	out_table_begin("unnamed", sdfd_cols, OUT_NCOLS(sdfd_cols), 0);
	for (; i < n && !out_failed(); i++)
		systemd_fd_row(khofmt_systemd_fd(sd, i));
	out_table_end();
	khofmt_systemd_free(sd);
	out_obj_end();
}

static void do_luo(struct ctx *c, const void *blob, size_t len)
{
	const struct khofmt_luo_info *info;
	struct khofmt_luo_session s;
	struct khofmt_luo_file f;
	struct khofmt_luo_flb fl;
	struct khofmt_luo *luo;
	int r;

	r = khofmt_luo_open(c->src, blob, len, &c->opts, &luo);
	if (r < 0) {
		emit_err("error", r);
		return;
	}
	info = khofmt_luo_info(luo);
	out_detail_begin();
	out_str("compatible", info->compatible);
	out_u64("liveupdate_num", info->liveupdate_num);
	emit_pa("sessions_pa", info->sessions_pa);
	emit_pa("flbs_pa", info->flbs_pa);
	if (info->kind == KHOFMT_SCHEMA_LUO_V1)
		out_str("session_compatible", info->session_compatible);
	out_bool("inferred_layout", info->inferred);
	out_detail_end();
	/*
	 * LUO (7.2) writes its session table only inside the reboot
	 * (liveupdate_reboot() during kexec): before that the pointer is 0
	 * while sessions may well be open in /dev/liveupdate.
	 */
	if (info->sessions_pa)
		out_detail_begin();
	out_bool("sessions_written", info->sessions_pa != 0);
	if (info->sessions_pa)
		out_detail_end();
	if (!info->sessions_pa)
		out_str("sessions_note", c->incoming ?
			"the previous kernel wrote no session table: no LUO "
			"session was handed over" :
			"not written yet: LUO writes its session table only inside "
			"the reboot (liveupdate_reboot during kexec), so sessions "
			"open in /dev/liveupdate now are not in this state. Checkable "
			"before the reboot: the tracker, this blob, the FLBs and the "
			"other subnodes; not checkable: the sessions, their files and "
			"memfd folios (verify --incoming after the kexec reads them)");
	out_array_begin("sessions");
	while ((r = khofmt_luo_session_next(luo, &s)) == 0 && !out_failed()) {
		out_obj_begin(NULL);
		out_str("name", s.name);
		out_detail_begin();
		emit_pa("files_pa", s.files_pa);
		out_detail_end();
		out_u64("file_count", s.file_count);
		out_array_begin("files");
		while ((r = khofmt_luo_file_next(luo, &s, &f)) == 0) {
			out_obj_begin(NULL);
			out_str("compatible", f.compatible);
			out_hex64("token", f.token);
			out_detail_begin();
			emit_pa("data", f.data);
			out_detail_end();
			if (is_kind(KHOFMT_SCHEMA_AT_LUO_FILE, f.compatible,
				    KHOFMT_SCHEMA_MEMFD))
				do_memfd(c, &f);
			out_obj_end();
		}
		out_array_end();
		if (r < 0)
			emit_err("files_error", r);
		if (is_kind(KHOFMT_SCHEMA_AT_LUO_SESSION, s.name,
			    KHOFMT_SCHEMA_SYSTEMD_FDSTORE))
			do_systemd(c, blob, len);
		out_obj_end();
	}
	out_array_end();
	if (r < 0)
		emit_err("sessions_error", r);
	out_detail_begin();
	out_array_begin("flbs");
	while ((r = khofmt_luo_flb_next(luo, &fl)) == 0 && !out_failed()) {
		out_obj_begin(NULL);
		out_str("name", fl.name);
		out_hex64("data", fl.data);
		out_u64("refcount", fl.refcount);
		out_obj_end();
	}
	out_array_end();
	out_detail_end();
	if (r < 0)
		emit_err("flbs_error", r);
	khofmt_luo_free(luo);
}

static void do_memblock(struct ctx *c, const void *blob, size_t len)
{
	struct khofmt_memblock mb;
	struct khofmt_memblock_region reg;
	int r = khofmt_memblock_open(blob, len, &c->opts, &mb);

	if (r < 0) {
		emit_err("error", r);
		return;
	}
	out_array_begin("regions");
	while ((r = khofmt_memblock_region_next(&mb, &reg)) == 0) {
		out_obj_begin(NULL);
		out_str("name", reg.name);
		if (reg.has_start)
			emit_pa("start", reg.start);
		else
			out_null("start", "(missing)");
		if (reg.has_size)
			out_size("size", reg.size);
		else
			out_null("size", "(missing)");
		out_obj_end();
	}
	out_array_end();
	if (r < 0)
		emit_err("regions_error", r);
}

static void do_kho_test(struct ctx *c, const void *blob, size_t len)
{
	struct khofmt_kho_test t;
	struct fsum sum = { .n = 0 };
	uint64_t phys;
	unsigned order;
	int r = khofmt_kho_test_open(c->src, blob, len, &c->opts, &t);

	if (r < 0) {
		emit_err("error", r);
		return;
	}
	out_detail_begin();
	out_hex64("magic", t.magic);
	if (c->brief)	/* the summary line counts them */
		out_u64("nr_folios", t.nr_folios);
	out_detail_end();
	if (!c->brief)
		out_u64("nr_folios", t.nr_folios);
	out_detail_begin();
	out_hex64("csum", t.csum);
	if (t.has_vmalloc)
		emit_vmalloc("folios_info", &t.folios_info);
	out_detail_end();
	if (c->folios)
		out_table_begin("folios", test_cols, OUT_NCOLS(test_cols), 0);
	while ((r = khofmt_kho_test_folio_next(&t, &phys, &order)) == 0 &&
	       !out_failed()) {
		if (c->folios) {
			out_row_begin();
			out_addr("phys", phys);
			out_u64("order", order);
			out_row_end();
		}
		/* kho_test lists its own orders */
		sum.n++;
		if (order < KHOFMT_MAX_ORDERS)
			sum.order[order]++;
	}
	if (c->folios)
		out_table_end();
	if (c->summary)
		fsum_emit(c, &sum, true, "folios", 0, false);
	if (r < 0)
		emit_err("folios_error", r);
}

/*
 * How each schema of the registry (khofmt_schema_at()) is shown: the
 * output half of its entry. A schema without a row here shows its head
 * bytes like an unknown blob.
 */
static const struct {
	enum khofmt_schema_kind kind;
	void (*dump)(struct ctx *c, const void *blob, size_t len);
} dumpers[] = {
	{ KHOFMT_SCHEMA_KEXEC_META_V1, do_kexec_meta },
	{ KHOFMT_SCHEMA_LUO_V5, do_luo },
	{ KHOFMT_SCHEMA_LUO_V1, do_luo },
	{ KHOFMT_SCHEMA_MEMBLOCK_V1, do_memblock },
	{ KHOFMT_SCHEMA_KHO_TEST_V1, do_kho_test },
};

bool dump_schema(struct khofmt_source *src, struct khofmt_handover *h,
		 const struct khofmt_subnode *sn, unsigned page_shift,
		 unsigned flags)
{
	struct ctx *c = calloc(1, sizeof(*c));
	enum khofmt_schema_kind kind = KHOFMT_SCHEMA_UNKNOWN;
	void *blob = NULL;
	size_t len = 0, i;
	bool fatal;
	int r = -KHOFMT_ERR_INVAL;

	if (!c) {
		out_null("schema", "(out of memory)");
		return true;
	}
	c->src = src;
	c->ps = page_shift ? page_shift : 12;
	c->h = h;
	c->data = flags & DUMP_DATA;
	c->incoming = flags & DUMP_INCOMING;
	c->folios = flags & DUMP_FOLIOS;
	c->summary = flags & DUMP_SUMMARY;
	c->brief = flags & DUMP_BRIEF;
	c->opts.sz = sizeof(c->opts);
	c->opts.page_shift = c->ps;
	c->opts.problem = on_problem;
	c->opts.problem_arg = c;
	if (src && sn->has_pa)
		r = khofmt_subnode_blob_read(src, sn, &blob, &len);
	if (r == 0)
		out_detail_begin();
	out_bool("readable", r == 0);
	if (r == 0)
		out_detail_end();
	if (r == 0)
		kind = khofmt_subnode_schema(sn, blob, len);
	out_str("schema", khofmt_schema_name(kind));
	for (i = 0; kind != KHOFMT_SCHEMA_UNKNOWN &&
		    i < sizeof(dumpers) / sizeof(dumpers[0]); i++)
		if (dumpers[i].kind == kind)
			break;
	if (kind != KHOFMT_SCHEMA_UNKNOWN && i < sizeof(dumpers) / sizeof(dumpers[0])) {
		dumpers[i].dump(c, blob, len);
	} else {
		/*
		 * A registered owner whose blob fails its own compatible/magic
		 * no longer holds the format: in an incoming state the owner
		 * consumed it and the page was reused (7.2: kho/in/sub_fdts/LUO
		 * after LUO started).
		 */
		if (r == 0 && kind == KHOFMT_SCHEMA_UNKNOWN &&
		    khofmt_schema_find(KHOFMT_SCHEMA_AT_SUBNODE, sn->name)) {
			out_bool("consumed", true);
			out_str("consumed_reason",
				"the blob fails its own compatible/magic check: "
				"consumed and its page reused (incoming), or "
				"overwritten");
		}
		if (r == 0)
			out_hexbytes("head", blob, len < HEAD_BYTES ? len : HEAD_BYTES);
		else if (!sn->has_pa)
			out_null("head", "(no blob address)");
		else if (!src)
			out_null("head", "(no memory source)");
		else
			out_null("head", khofmt_strerror(r));
	}
	if (kind != KHOFMT_SCHEMA_UNKNOWN)
		emit_problems(c);
	fatal = c->fatal;
	free(blob);
	free(c);
	return fatal;
}
