// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kho.c - Kexec HandOver (KHO) checks for kexec-tools, built on libkhofmt.
 *
 * KHO is carried only by kexec_file_load(). When the running kernel has KHO
 * active, kexec must not fall back to kexec_load() (the handover would be lost
 * silently), and it checks the outgoing state (root FDT, preserved-memory
 * tracker, sub-FDTs) with libkhofmt's verify rules before loading and before
 * rebooting: errors refuse, warnings are printed. A successful load leaves a
 * stamp (/run/kexec-kho.stamp) saying how the image was loaded and which
 * state was checked, so that -e knows whether the image takes the handover.
 *
 * The decisions are libkhofmt's khofmt_kexec_decide() (shared with
 * `khoctl kexec`); this file gathers the facts and prints.
 *
 * The system files are read below a root prefix ("/" unless --kho-root=DIR or
 * KEXEC_KHO_ROOT is given); with a prefix nothing is ever loaded or executed
 * (a load is simulated: the stamp is written below the prefix).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kexec.h"
#include "kho.h"

#ifdef HAVE_LIBKHOFMT
#include <khofmt.h>
#endif

static struct {
	bool check_only;	/* --kho-check */
	bool force;		/* --kho-force */
	bool skip;		/* --no-kho-check */
	bool dump;		/* --kho-dump */
	const char *save;	/* --kho-save DIR */
	const char *root;	/* --kho-root / KEXEC_KHO_ROOT; NULL = "/" */
	bool active;		/* KHO is active on the (fake) system */
	unsigned flags;		/* KHOFMT_KEXEC_* */
	bool loading;		/* a load is under way: the stamp below is ours */
	bool has_stamp;
#ifdef HAVE_LIBKHOFMT
	struct khofmt_kexec_facts facts;
	struct khofmt_kexec_stamp stamp;
#endif
} kho;

void kho_option(int opt, const char *arg)
{
	switch (opt) {
	case OPT_KHO_CHECK:
		kho.check_only = true;
		break;
	case OPT_KHO_FORCE:
		kho.force = true;
		break;
	case OPT_NO_KHO_CHECK:
		kho.skip = true;
		break;
	case OPT_KHO_ROOT:
		kho.root = arg;
		break;
	case OPT_KHO_DUMP:
		kho.dump = true;
		break;
	case OPT_KHO_SAVE:
		kho.save = arg;
		break;
	}
}

#ifdef HAVE_LIBKHOFMT
static void notes(unsigned n)
{
	unsigned b;

	for (b = 1; b && b <= n; b <<= 1)
		if (n & b)
			fprintf(stderr, "kexec: %s\n", khofmt_kexec_note_text(b));
}

static void print_findings(const struct khofmt_verify *v)
{
	size_t i, n = khofmt_verify_nfindings(v);

	for (i = 0; i < n; i++) {
		const struct khofmt_finding *f = khofmt_verify_finding(v, i);

		if (f->rule->severity == KHOFMT_SEV_INFO)
			continue;
		fprintf(stderr, "kexec: KHO %s %s: %s", khofmt_severity_name(f->rule->severity),
			f->rule->id, f->message);
		if (f->has_addr)
			fprintf(stderr, " [0x%llx+0x%llx]", (unsigned long long)f->addr,
				(unsigned long long)f->size);
		if (f->object && *f->object)
			fprintf(stderr, " (%s)", f->object);
		fputc('\n', stderr);
	}
}

/* Open the outgoing state, saying why when it cannot be. */
static struct khofmt_kexec_state *state_open(enum khofmt_kexec_check *chk)
{
	enum khofmt_kexec_problem pb;
	struct khofmt_kexec_state *st;
	const char *kroot = kho.root ? kho.root : "";
	int r = khofmt_kexec_state_open(kho.root, &st, &pb), e = errno;

	*chk = KHOFMT_KEXEC_CHECK_UNREADABLE;
	switch (r < 0 ? pb : KHOFMT_KEXEC_OK) {
	case KHOFMT_KEXEC_OK:
		if (r < 0)
			fprintf(stderr, "kexec: KHO error: %s\n", khofmt_strerror(r));
		return r < 0 ? NULL : st;
	case KHOFMT_KEXEC_NOT_FINALIZED:
		fprintf(stderr, "kexec: KHO error: the KHO state is not finalized "
			"(echo 1 > /sys/kernel/debug/kho/out/finalize)\n");
		break;
	case KHOFMT_KEXEC_NO_OUT_FDT:
		*chk = KHOFMT_KEXEC_CHECK_UNCHECKABLE;
		break;
	case KHOFMT_KEXEC_FDT_UNREADABLE:
		fprintf(stderr, "kexec: KHO error: cannot read the outgoing root FDT "
			"(debugfs kho/out/fdt): %s\n", strerror(e));
		break;
	case KHOFMT_KEXEC_KCORE:
		fprintf(stderr, "kexec: KHO error: %s/proc/kcore: %s: the preserved "
			"memory cannot be checked (needs root and no kernel lockdown; "
			"--no-kho-check skips the check)\n", kroot,
			r == -KHOFMT_ERR_IO && e ? strerror(e) : khofmt_strerror(r));
		break;
	case KHOFMT_KEXEC_RECOVER:
		fprintf(stderr, "kexec: KHO error: the outgoing root FDT is truncated "
			"and cannot be recovered from memory: %s\n", khofmt_strerror(r));
		break;
	}
	return NULL;
}

/* Run the verify rules; the check's outcome and the state's digest. */
static enum khofmt_kexec_check run_check(struct khofmt_kexec_input *in)
{
	enum khofmt_kexec_check chk;
	struct khofmt_kexec_state *st = state_open(&chk);
	struct khofmt_verify *v = NULL;
	size_t counts[3];
	int r;

	if (!st)
		return chk;
	khofmt_kexec_state_sha256(st, in->fdt_sha256);
	in->has_fdt_sha256 = true;
	r = khofmt_kexec_state_verify(st, &v);
	khofmt_kexec_state_free(st);
	if (r < 0) {
		fprintf(stderr, "kexec: KHO error: cannot check the handover: %s\n",
			khofmt_strerror(r));
		return KHOFMT_KEXEC_CHECK_UNREADABLE;
	}
	print_findings(v);
	khofmt_verify_counts(v, counts);
	khofmt_verify_free(v);
	if (kho.check_only || counts[KHOFMT_SEV_ERROR])
		fprintf(stderr, "kexec: KHO handover check: %zu error(s), %zu "
			"warning(s)\n", counts[KHOFMT_SEV_ERROR],
			counts[KHOFMT_SEV_WARNING]);
	return counts[KHOFMT_SEV_ERROR] ? KHOFMT_KEXEC_CHECK_ERRORS :
	       counts[KHOFMT_SEV_WARNING] ? KHOFMT_KEXEC_CHECK_WARNINGS :
	       KHOFMT_KEXEC_CHECK_CLEAN;
}

/* The image loaded: this run's load, else the stamp a load of this boot left. */
static const struct khofmt_kexec_stamp *loaded_stamp(void)
{
	if (kho.has_stamp)
		return &kho.stamp;
	if (kho.facts.stamp_state == KHOFMT_KEXEC_STAMP_CURRENT)
		return &kho.facts.stamp;
	return NULL;
}

/* Check (unless --no-kho-check) and decide at @stage; exits on a refusal. */
static void gate(enum khofmt_kexec_stage stage, struct khofmt_kexec_input *in)
{
	struct khofmt_kexec_decision d;

	in->facts = &kho.facts;
	in->loaded = loaded_stamp();
	if (!kho.skip)
		in->check = run_check(in);
	khofmt_kexec_decide(stage, kho.flags, in, &d);
	notes(d.notes);
	if (d.action == KHOFMT_KEXEC_REFUSE)
		exit(1);
}

/*
 * Will the kernel read the state? At a load (@expect NULL: the image given)
 * and again before the reboot (@expect: the stamped image's digest). 0 to
 * go on (accepted, or --kho-force), 1 to refuse. Fills the stamp's fields.
 */
static int compat_gate(const char *image, const unsigned char *expect, bool at_exec)
{
	struct khofmt_kexec_compat_result res;
	enum khofmt_kexec_check chk;
	struct khofmt_kexec_state *st = state_open(&chk);
	const char *what = at_exec ? "reboot" : "load";
	size_t i;
	int r;

	if (!st)
		return 0; /* the state check above has said why and decided */
	r = khofmt_kexec_state_compat(st, kho.root, image, expect, &res);
	khofmt_kexec_state_free(st);
	if (r < 0) {
		fprintf(stderr, "kexec: KHO error: %s\n", khofmt_strerror(r));
		return 1;
	}
	if (!at_exec) {
		char *abs = realpath(image, NULL);

		kho.stamp.compat = res.verdict;
		kho.stamp.compat_lost = (uint32_t)res.lost;
		kho.stamp.has_image_sha256 = res.has_image_sha256;
		memcpy(kho.stamp.image_sha256, res.image_sha256, 32);
		snprintf(kho.stamp.image, sizeof(kho.stamp.image), "%s", abs ? abs : image);
		free(abs);
	}
	for (i = 0; i < res.nlines; i++)
		fprintf(stderr, "kexec: KHO %s: %s\n",
			res.verdict == KHOFMT_KEXEC_COMPAT_LOSES ? "error" : "note",
			res.lines[i]);
	r = 0;
	if (res.verdict == KHOFMT_KEXEC_COMPAT_UNREADABLE)
		fprintf(stderr, "kexec: KHO error: cannot tell whether %s takes the "
			"handover: %s\n", image, res.error);
	else if (res.verdict == KHOFMT_KEXEC_COMPAT_LOSES)
		fprintf(stderr, "kexec: KHO error: %s (%s) would drop %zu part(s) "
			"of the handover listed above\n", image, res.release, res.lost);
	else if (kho.check_only)
		fprintf(stderr, "kexec: KHO: %s (%s) reads every part of the "
			"handover\n", image, res.release);
	if (res.verdict != KHOFMT_KEXEC_COMPAT_ACCEPTED) {
		if (kho.force) {
			fprintf(stderr, "kexec: WARNING: --kho-force: going on with the "
				"%s anyway\n", what);
			kho.stamp.forced = true;
		} else {
			fprintf(stderr, "kexec: refusing to %s (--kho-force overrides)\n",
				what);
			r = 1;
		}
	}
	khofmt_kexec_compat_result_free(&res);
	return r;
}

/* --kho-dump: the outgoing state, khoctl-style. */
static void dump(void)
{
	struct khofmt_open_opts oo = { .sz = sizeof(oo) };
	enum khofmt_kexec_check chk;
	struct khofmt_kexec_state *st = state_open(&chk);
	struct khofmt_handover *h = NULL;
	struct khofmt_fdt *f = NULL;
	struct khofmt_stats s;
	unsigned char dig[32];
	const void *blob;
	uint64_t pa;
	size_t len, i;

	if (!st) {
		if (chk == KHOFMT_KEXEC_CHECK_UNCHECKABLE)
			notes(KHOFMT_KEXEC_N_UNCHECKABLE);
		exit(2);
	}
	blob = khofmt_kexec_state_fdt(st, &len, &pa);
	khofmt_kexec_state_sha256(st, dig);
	if (khofmt_fdt_open(blob, len, &f, NULL, 0) < 0) {
		fprintf(stderr, "kexec: the outgoing root FDT cannot be decoded\n");
		exit(2);
	}
	printf("fdt:\n  compatible:             %s\n  totalsize:              %zu\n",
	       khofmt_fdt_compatible(f), len);
	if (pa)
		printf("  fdt_pa:                 0x%llx (recovered from memory)\n",
		       (unsigned long long)pa);
	printf("  sha256:                 ");
	for (i = 0; i < 32; i++)
		printf("%02x", dig[i]);
	printf("\n  preserved memory map:   0x%llx\nsubtrees:\n",
	       (unsigned long long)khofmt_fdt_map(f));
	for (i = 0; i < khofmt_fdt_nsubnodes(f); i++) {
		const struct khofmt_subnode *sn = khofmt_fdt_subnode(f, i);

		printf("  %-22s  0x%-14llx %llu\n", sn->name,
		       (unsigned long long)sn->pa, (unsigned long long)sn->size);
	}
	oo.page_shift = khofmt_kexec_state_page_shift(st);
	if (khofmt_handover_open(f, khofmt_kexec_state_source(st), &oo, &h) == 0 &&
	    khofmt_stats(h, NULL, &s) == 0)
		printf("tracker:\n  folios:                 %llu\n"
		       "  pages:                  %llu\n  bytes:                  %llu\n"
		       "  tracker pages:          %llu\n",
		       (unsigned long long)s.folios, (unsigned long long)s.pages,
		       (unsigned long long)s.bytes,
		       (unsigned long long)s.tracker_total_pages);
	else
		printf("tracker: cannot be decoded\n");
	fflush(stdout);
	khofmt_handover_free(h);
	khofmt_fdt_free(f);
	khofmt_kexec_state_free(st);
}

void kho_prepare(const char *kernel, int do_exec, int crash, int *file_syscall,
		 int *fallback)
{
	struct khofmt_kexec_input in = { .facts = &kho.facts };
	struct khofmt_kexec_decision d;
	int do_load = kernel != NULL;

	if (!kho.root)
		kho.root = getenv("KEXEC_KHO_ROOT");
	if (kho.root && !*kho.root)
		kho.root = NULL;
	if (khofmt_kexec_facts_read(kho.root, &kho.facts) < 0) {
		fprintf(stderr, "kexec: out of memory\n");
		exit(1);
	}
	kho.flags = (do_load ? KHOFMT_KEXEC_LOAD : 0) | (do_exec ? KHOFMT_KEXEC_EXEC : 0) |
		    (crash ? KHOFMT_KEXEC_CRASH : 0) |
		    (!*file_syscall ? KHOFMT_KEXEC_OLD_SYSCALL : 0) |
		    (kho.check_only ? KHOFMT_KEXEC_CHECK_ONLY : 0) |
		    (kho.force ? KHOFMT_KEXEC_FORCE : 0) |
		    (kho.skip ? KHOFMT_KEXEC_NO_CHECK : 0);
	kho.active = kho.facts.kho_active && !crash;
	/* A stamp of another boot, or with nothing loaded, means nothing. */
	if (kho.active && (kho.facts.stamp_state == KHOFMT_KEXEC_STAMP_STALE ||
			   kho.facts.stamp_state == KHOFMT_KEXEC_STAMP_BAD))
		khofmt_kexec_stamp_remove(kho.root);
	if (kho.dump && kho.active) {
		dump();
		if (!do_load && !kho.check_only)
			exit(0);
	}
	khofmt_kexec_decide(KHOFMT_KEXEC_START, kho.flags, &in, &d);
	notes(d.notes);
	if (d.action != KHOFMT_KEXEC_GO)
		exit(d.action == KHOFMT_KEXEC_REFUSE);
	if (kho.dump && !kho.active && !do_load) {
		fprintf(stderr, "kexec: KHO is not active on this kernel: nothing to dump\n");
		exit(0);
	}
	if (!kho.active) {
		/* With a root prefix nothing is ever loaded or rebooted. */
		if (kho.root) {
			fprintf(stderr, "kexec: --kho-root: KHO not active there; dry "
				"run, nothing done\n");
			exit(0);
		}
		return;
	}
	if (d.file_load) {
		*file_syscall = 1;
		*fallback = 0;
	}
	if (d.run_check)
		gate(KHOFMT_KEXEC_BEFORE_LOAD, &in);
	/* ... and whether the new kernel reads it (issue 17) */
	if (d.run_check && kernel && !kho.skip && compat_gate(kernel, NULL, false))
		exit(1);
	/* The digest of the state just checked, for the load stamp. */
	memcpy(kho.stamp.fdt_sha256, in.fdt_sha256, sizeof(in.fdt_sha256));
	kho.stamp.has_fdt_sha256 = in.has_fdt_sha256;
	if (d.end_after_check)
		exit(0);
	/* A reboot alone under --kho-root: decide now, never reboot. */
	if (kho.root && do_exec && !do_load)
		exit(kho_before_exec());
}

void kho_file_load(const char *cmdline, int len)
{
	bool on = cmdline && len > 0 && khofmt_cmdline_has(cmdline, "kho=on");

	if (kho.active && !on)
		fprintf(stderr, "kexec: WARNING: KHO is active but the new command "
			"line lacks kho=on: the next kernel will not take the "
			"handover (use --reuse-cmdline or add kho=on)\n");
	if (kho.check_only) {
		fprintf(stderr, "kexec: --kho-check: dry run, nothing loaded\n");
		exit(0);
	}
	if (!kho.active) {
		if (kho.root) {
			fprintf(stderr, "kexec: --kho-root: dry run, nothing loaded\n");
			exit(0);
		}
		return;
	}
	kho.loading = true;
	kho.stamp.file_load = true;
	kho.stamp.kho_cmdline = on;
	kho.stamp.kho_active = true;
	kho.stamp.checked = !kho.skip;
	kho.stamp.forced = kho.force;
	memcpy(kho.stamp.boot_id, kho.facts.boot_id, sizeof(kho.stamp.boot_id));
	/* Until the load succeeds, the old stamp no longer describes the image. */
	khofmt_kexec_stamp_remove(kho.root);
	if (kho.root) {
		kho_loaded();
		fprintf(stderr, "kexec: --kho-root: dry run, nothing loaded "
			"(stamp written below the root)\n");
		exit(0);
	}
}

void kho_loaded(void)
{
	if (!kho.loading)
		return;
	kho.has_stamp = true;
	if (khofmt_kexec_stamp_write(kho.root, &kho.stamp) < 0)
		fprintf(stderr, "kexec: WARNING: cannot write the load stamp "
			"%s/" KHOFMT_KEXEC_STAMP_PATH ": %s (kexec -e will refuse "
			"without --kho-force)\n", kho.root ? kho.root : "",
			strerror(errno));
}

/* --kho-save DIR: the capture bundle of the state about to be handed over. */
static int save(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	long long when = sde && *sde ? strtoll(sde, NULL, 10) : (long long)time(NULL);
	enum khofmt_kexec_check chk;
	struct khofmt_kexec_state *st = state_open(&chk);
	struct khofmt_capture_result res;
	int r;

	if (!st) {
		fprintf(stderr, "kexec: --kho-save %s: the outgoing KHO state "
			"cannot be read\n", kho.save);
		return 1;
	}
	r = khofmt_kexec_state_capture(st, kho.root, kho.save, when, &res);
	khofmt_kexec_state_free(st);
	if (r < 0) {
		fprintf(stderr, "kexec: --kho-save %s: %s%s%s%s%s\n", kho.save,
			res.path[0] ? res.path : "", res.path[0] ? ": " : "",
			res.what ? res.what : khofmt_strerror(r),
			res.sys_errno ? ": " : "",
			res.sys_errno ? strerror(res.sys_errno) : "");
		return 1;
	}
	fprintf(stderr, "kexec: KHO state saved in %s (%llu memory pages%s)\n",
		kho.save, (unsigned long long)res.pages,
		res.tracker ? "" : ", tracker not saved");
	return 0;
}

int kho_before_exec(void)
{
	struct khofmt_kexec_input in = { .facts = &kho.facts };

	if (!kho.active) {
		if (kho.root)
			fprintf(stderr, "kexec: --kho-root: refusing to reboot\n");
		return kho.root != NULL;
	}
	in.loaded = loaded_stamp();
	gate(KHOFMT_KEXEC_BEFORE_EXEC, &in);
	/* the image check again: the state may have grown since the load */
	if (in.loaded && in.loaded->compat != KHOFMT_KEXEC_COMPAT_UNCHECKED &&
	    !kho.skip) {
		if (!in.loaded->image[0] || !in.loaded->has_image_sha256) {
			fprintf(stderr, "kexec: KHO error: the load stamp does not say "
				"which image was loaded: cannot check it again\n");
			if (!kho.force)
				return 1;
		} else if (compat_gate(in.loaded->image, in.loaded->image_sha256, true)) {
			return 1;
		}
	}
	if (kho.save && save()) {
		if (!kho.force) {
			fprintf(stderr, "kexec: refusing to reboot: the KHO state "
				"could not be saved (--kho-force overrides)\n");
			return 1;
		}
		fprintf(stderr, "kexec: WARNING: --kho-force: rebooting without "
			"the saved KHO state\n");
	}
	if (kho.root) {
		fprintf(stderr, "kexec: --kho-root: the reboot would go on; dry run, "
			"not rebooting\n");
		return 0;
	}
	return 0;
}

#else /* !HAVE_LIBKHOFMT: kexec behaves as upstream */

void kho_prepare(const char *kernel, int do_exec, int crash, int *file_syscall,
		 int *fallback)
{
	(void)kernel; (void)do_exec; (void)crash; (void)file_syscall; (void)fallback;
	if (kho.check_only || kho.dump || kho.save) {
		fprintf(stderr, "kexec: built without libkhofmt: no KHO checks\n");
		exit(1);
	}
}

void kho_file_load(const char *cmdline, int len)
{
	(void)cmdline; (void)len;
}

void kho_loaded(void)
{
}

int kho_before_exec(void)
{
	return 0;
}
#endif /* HAVE_LIBKHOFMT */
