// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kexec decision core (khofmt-kexec.h) without a kernel: the pure
 * khofmt_kexec_decide() over every flag and check outcome, then the same
 * decisions driven end to end through fake /sys and /proc trees below a
 * root prefix, built from the real 7.2.13 capture (debugfs kho/out/fdt as
 * the kernel truncated it, /proc/kcore made by tests/gen/mkkcore from
 * slim-kexec.elf) and mutations of it.
 *
 * Expected outcomes come from the rules (KHO off: upstream; -c:
 * refused; errors: refused unless --kho-force; a reboot needs a stamp of
 * this boot for an image that takes the handover) and from the fixture's
 * README/serial.log (the k1 state went through the live update: no error;
 * memfd 0x2b is preserved at PFN 0x14c7, so a scratch area there is one).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "khofmt.h"
#include "tap.h"
#include "testutil.h"

#define L  KHOFMT_KEXEC_LOAD
#define E  KHOFMT_KEXEC_EXEC
#define P  KHOFMT_KEXEC_CRASH
#define C  KHOFMT_KEXEC_OLD_SYSCALL
#define CK KHOFMT_KEXEC_CHECK_ONLY
#define F  KHOFMT_KEXEC_FORCE
#define NC KHOFMT_KEXEC_NO_CHECK

#define GO KHOFMT_KEXEC_GO
#define NO KHOFMT_KEXEC_REFUSE
#define DN KHOFMT_KEXEC_DONE

static struct khofmt_kexec_decision dec(enum khofmt_kexec_stage stage, unsigned flags,
				       bool active, enum khofmt_kexec_check chk,
				       const struct khofmt_kexec_stamp *loaded)
{
	struct khofmt_kexec_facts f = { .kho_active = active };
	struct khofmt_kexec_input in = { .facts = &f, .check = chk, .loaded = loaded };
	struct khofmt_kexec_decision d;

	khofmt_kexec_decide(stage, flags, &in, &d);
	return d;
}

static void test_start(void)
{
	struct khofmt_kexec_decision d;

	/* KHO off: upstream, silent, whatever the flags */
	d = dec(KHOFMT_KEXEC_START, L | C, false, 0, NULL);
	ok(d.action == GO && !d.notes && !d.file_load && !d.run_check,
	   "KHO off, -c -l: go on as upstream, no notes, nothing forced");
	d = dec(KHOFMT_KEXEC_START, E, false, 0, NULL);
	ok(d.action == GO && !d.notes, "KHO off, -e: go on, no notes");
	d = dec(KHOFMT_KEXEC_START, CK, false, 0, NULL);
	ok(d.action == DN && d.notes == KHOFMT_KEXEC_N_INACTIVE,
	   "KHO off, --kho-check: done, says KHO is not active");
	/* -p: kdump never takes the handover */
	d = dec(KHOFMT_KEXEC_START, L | P | C, true, 0, NULL);
	ok(d.action == GO && !d.notes && !d.file_load, "KHO on, -p -c: left alone");
	d = dec(KHOFMT_KEXEC_START, L | P | CK, true, 0, NULL);
	ok(d.action == DN && d.notes == KHOFMT_KEXEC_N_CRASH,
	   "KHO on, -p --kho-check: says kdump is not KHO");
	/* KHO on */
	d = dec(KHOFMT_KEXEC_START, L | C, true, 0, NULL);
	ok(d.action == NO && d.notes == KHOFMT_KEXEC_N_OLD_SYSCALL,
	   "KHO on, -c -l: refused with the reason");
	ok(strstr(khofmt_kexec_note_text(KHOFMT_KEXEC_N_OLD_SYSCALL), "use -s") != NULL,
	   "the refusal says to use -s");
	d = dec(KHOFMT_KEXEC_START, E | C, true, 0, NULL);
	ok(d.action == GO && !d.notes, "KHO on, -c -e: the syscall does not matter for a reboot");
	d = dec(KHOFMT_KEXEC_START, L, true, 0, NULL);
	ok(d.action == GO && d.file_load && d.run_check && !d.end_after_check,
	   "KHO on, -l: kexec_file_load forced, checked before the load");
	d = dec(KHOFMT_KEXEC_START, E, true, 0, NULL);
	ok(d.action == GO && d.file_load && !d.run_check,
	   "KHO on, -e: the check waits for the reboot");
	d = dec(KHOFMT_KEXEC_START, L | NC, true, 0, NULL);
	ok(d.action == GO && d.file_load && !d.run_check,
	   "KHO on, --no-kho-check -l: file load forced, no check");
	d = dec(KHOFMT_KEXEC_START, CK, true, 0, NULL);
	ok(d.action == GO && d.run_check && d.end_after_check,
	   "KHO on, --kho-check: check, then stop");
	d = dec(KHOFMT_KEXEC_START, CK | L, true, 0, NULL);
	ok(d.action == GO && d.run_check && !d.end_after_check,
	   "KHO on, --kho-check -s -l: check, then the dry-run load");
	d = dec(KHOFMT_KEXEC_START, CK | NC, true, 0, NULL);
	ok(d.action == DN && d.notes == KHOFMT_KEXEC_N_SKIPPED,
	   "KHO on, --kho-check --no-kho-check: nothing checked");
	d = dec(KHOFMT_KEXEC_START, 0, true, 0, NULL);
	ok(d.action == GO && !d.file_load && !d.notes, "KHO on, -u / -S: nothing to do");
}

static void test_checked(void)
{
	static const struct {
		enum khofmt_kexec_check chk;
		unsigned flags;
		enum khofmt_kexec_action want;
		unsigned notes;
		const char *name;
	} t[] = {
		{ KHOFMT_KEXEC_CHECK_CLEAN, L, GO, 0, "clean: load" },
		{ KHOFMT_KEXEC_CHECK_WARNINGS, L, GO, 0, "warnings: load" },
		{ KHOFMT_KEXEC_CHECK_ERRORS, L, NO, KHOFMT_KEXEC_N_REFUSED_LOAD,
		  "errors: refuse the load" },
		{ KHOFMT_KEXEC_CHECK_UNREADABLE, L, NO, KHOFMT_KEXEC_N_REFUSED_LOAD,
		  "unreadable state: refuse (fail closed)" },
		{ KHOFMT_KEXEC_CHECK_ERRORS, L | F, GO, KHOFMT_KEXEC_N_FORCED,
		  "errors + --kho-force: load with a loud warning" },
		{ KHOFMT_KEXEC_CHECK_ERRORS, CK, NO, 0,
		  "errors + --kho-check: exit 1, no 'refusing'" },
		{ KHOFMT_KEXEC_CHECK_ERRORS, CK | F, NO, 0,
		  "--kho-check ignores --kho-force" },
		{ KHOFMT_KEXEC_CHECK_UNCHECKABLE, L, GO, KHOFMT_KEXEC_N_UNCHECKABLE,
		  "no outgoing FDT (Q1): warn and load" },
		{ KHOFMT_KEXEC_CHECK_SKIPPED, L | NC, GO, 0, "--no-kho-check: load" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct khofmt_kexec_decision d =
			dec(KHOFMT_KEXEC_BEFORE_LOAD, t[i].flags, true, t[i].chk, NULL);

		ok(d.action == t[i].want && d.notes == t[i].notes, "%s", t[i].name);
	}
}

static void test_exec(void)
{
	struct khofmt_kexec_stamp good = {
		.file_load = true, .kho_cmdline = true, .kho_active = true,
		.has_fdt_sha256 = true,
	}, nokho = good, changed = good;
	struct khofmt_kexec_facts f = { .kho_active = true };
	struct khofmt_kexec_input in = {
		.facts = &f, .check = KHOFMT_KEXEC_CHECK_CLEAN, .has_fdt_sha256 = true,
	};
	struct khofmt_kexec_decision d;

	memset(good.fdt_sha256, 0xab, 32);
	memset(in.fdt_sha256, 0xab, 32);
	nokho.kho_cmdline = false;
	changed = good;
	changed.fdt_sha256[31] ^= 1;

	d = dec(KHOFMT_KEXEC_BEFORE_EXEC, E, true, KHOFMT_KEXEC_CHECK_CLEAN, NULL);
	ok(d.action == NO && d.notes == (KHOFMT_KEXEC_N_NO_STAMP | KHOFMT_KEXEC_N_REFUSED_EXEC),
	   "-e, no stamp: refused (fail closed)");
	d = dec(KHOFMT_KEXEC_BEFORE_EXEC, E | F, true, KHOFMT_KEXEC_CHECK_CLEAN, NULL);
	ok(d.action == GO && d.notes == (KHOFMT_KEXEC_N_NO_STAMP | KHOFMT_KEXEC_N_FORCED_STAMP),
	   "-e --kho-force, no stamp: goes on, loudly");
	d = dec(KHOFMT_KEXEC_BEFORE_EXEC, E, true, KHOFMT_KEXEC_CHECK_CLEAN, &nokho);
	ok(d.action == NO && (d.notes & KHOFMT_KEXEC_N_NO_KHO_IMAGE),
	   "-e, image loaded without kho=on: refused");
	nokho.kho_cmdline = true;
	nokho.file_load = false;
	d = dec(KHOFMT_KEXEC_BEFORE_EXEC, E, true, KHOFMT_KEXEC_CHECK_CLEAN, &nokho);
	ok(d.action == NO && (d.notes & KHOFMT_KEXEC_N_NO_KHO_IMAGE),
	   "-e, image loaded by kexec_load: refused");

	in.loaded = &good;
	khofmt_kexec_decide(KHOFMT_KEXEC_BEFORE_EXEC, E, &in, &d);
	ok(d.action == GO && d.notes == KHOFMT_KEXEC_N_FDT_SAME,
	   "-e, current stamp, same state, clean: goes on");
	in.loaded = &changed;
	khofmt_kexec_decide(KHOFMT_KEXEC_BEFORE_EXEC, E, &in, &d);
	ok(d.action == GO && d.notes == KHOFMT_KEXEC_N_FDT_CHANGED,
	   "-e, state changed, clean re-check: goes on, says it changed");
	in.check = KHOFMT_KEXEC_CHECK_ERRORS;
	khofmt_kexec_decide(KHOFMT_KEXEC_BEFORE_EXEC, E, &in, &d);
	ok(d.action == NO && d.notes == (KHOFMT_KEXEC_N_FDT_CHANGED | KHOFMT_KEXEC_N_REFUSED_EXEC),
	   "-e, state changed, errors: refused");
	khofmt_kexec_decide(KHOFMT_KEXEC_BEFORE_EXEC, E | F, &in, &d);
	ok(d.action == GO && (d.notes & KHOFMT_KEXEC_N_FORCED),
	   "-e --kho-force over errors: goes on, loudly");
	in.check = KHOFMT_KEXEC_CHECK_SKIPPED;
	in.has_fdt_sha256 = false;
	in.loaded = &good;
	khofmt_kexec_decide(KHOFMT_KEXEC_BEFORE_EXEC, E | NC, &in, &d);
	ok(d.action == GO && !d.notes, "-e --no-kho-check with a stamp: goes on silently");
	f.kho_active = false;
	in.loaded = NULL;
	khofmt_kexec_decide(KHOFMT_KEXEC_BEFORE_EXEC, E, &in, &d);
	ok(d.action == GO && !d.notes, "-e with KHO off: upstream");
}

/* ---- fake trees ---- */

static void put(const char *root, const char *rel, const char *text)
{
	char p[4096], *s;

	mkdir(root, 0755);
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	if (text && write_whole_file(p, text, strlen(text)))
		bail_out("cannot write %s", p);
	if (!text)
		mkdir(p, 0755);
}

static void copy(const char *root, const char *rel, const char *src)
{
	size_t n;
	void *b = read_whole_file(src, &n);
	char p[4096];

	if (!b)
		bail_out("cannot read %s", src);
	put(root, rel, "");
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (write_whole_file(p, b, n))
		bail_out("cannot write %s", p);
	free(b);
}

#define BOOT "1b4e28ba-2fa1-11d2-883f-0016d3cca427"

static void test_facts(const char *base)
{
	struct khofmt_kexec_stamp s = {
		.file_load = true, .kho_cmdline = true, .kho_active = true,
		.checked = true, .has_fdt_sha256 = true, .boot_id = BOOT,
	};
	struct khofmt_kexec_facts f;
	char root[4096], p[4200];
	void *b;
	size_t n;
	int i;

	snprintf(root, sizeof(root), "%s/facts", base);
	put(root, "proc/cmdline", "console=ttyS0 kho=on quiet\n");
	ok(khofmt_kexec_facts_read(root, &f) == 0 && f.kho_active,
	   "kho=on on /proc/cmdline: KHO active");
	put(root, "proc/cmdline", "console=ttyS0 nokho=on\n");
	khofmt_kexec_facts_read(root, &f);
	ok(!f.kho_active, "nokho=on is not kho=on");
	put(root, "sys/kernel/debug/kho/out", NULL);
	khofmt_kexec_facts_read(root, &f);
	ok(f.kho_active, "debugfs kho/out: KHO active");
	ok(f.stamp_state == KHOFMT_KEXEC_STAMP_NONE, "no stamp file: NONE");

	for (i = 0; i < 32; i++)
		s.fdt_sha256[i] = (unsigned char)i;
	ok(khofmt_kexec_stamp_write(root, &s) == 0, "stamp written (run/ created)");
	put(root, "sys/kernel/kexec_loaded", "1\n");
	put(root, "proc/sys/kernel/random/boot_id", BOOT "\n");
	khofmt_kexec_facts_read(root, &f);
	ok(f.kexec_loaded && !strcmp(f.boot_id, BOOT), "kexec_loaded and boot_id read");
	ok(f.stamp_state == KHOFMT_KEXEC_STAMP_CURRENT &&
	   f.stamp.file_load && f.stamp.kho_cmdline && f.stamp.has_fdt_sha256 &&
	   f.stamp.fdt_sha256[0] == 0 && f.stamp.fdt_sha256[31] == 31,
	   "stamp of this boot with an image loaded: CURRENT, round trip");
	put(root, "sys/kernel/kexec_loaded", "0\n");
	khofmt_kexec_facts_read(root, &f);
	ok(f.stamp_state == KHOFMT_KEXEC_STAMP_STALE, "nothing loaded: STALE");
	put(root, "sys/kernel/kexec_loaded", "1\n");
	put(root, "proc/sys/kernel/random/boot_id", "00000000-0000-0000-0000-000000000000\n");
	khofmt_kexec_facts_read(root, &f);
	ok(f.stamp_state == KHOFMT_KEXEC_STAMP_STALE, "another boot: STALE");
	put(root, KHOFMT_KEXEC_STAMP_PATH, "kexec-kho-stamp 2\nboot_id=x\n");
	khofmt_kexec_facts_read(root, &f);
	ok(f.stamp_state == KHOFMT_KEXEC_STAMP_BAD, "version 2 stamp: BAD");
	put(root, KHOFMT_KEXEC_STAMP_PATH, "kexec-kho-stamp 1\nboot_id=" BOOT "\n");
	khofmt_kexec_facts_read(root, &f);
	ok(f.stamp_state == KHOFMT_KEXEC_STAMP_BAD, "stamp missing keys: BAD");
	ok(khofmt_kexec_stamp_remove(root) == 0 && khofmt_kexec_stamp_remove(root) == 0,
	   "stamp removed (twice is fine)");

	snprintf(p, sizeof(p), "%s/proc/cmdline", root);
	ok(khofmt_read_file(p, 4, &b, &n) == -KHOFMT_ERR_LIMIT,
	   "khofmt_read_file: larger than max: LIMIT");
	ok(khofmt_read_file(p, 1 << 20, &b, &n) == 0 && n == 23 &&
	   ((char *)b)[n] == '\0', "khofmt_read_file: whole file, NUL after it");
	free(b);
	snprintf(p, sizeof(p), "%s/proc", root);
	errno = 0;
	ok(khofmt_read_file(p, 1 << 20, &b, &n) == -KHOFMT_ERR_IO && errno == EISDIR,
	   "khofmt_read_file: a directory: IO, EISDIR");
	snprintf(p, sizeof(p), "%s/none", root);
	ok(khofmt_read_file(p, 1 << 20, &b, &n) == -KHOFMT_ERR_IO && errno == ENOENT,
	   "khofmt_read_file: missing: IO, ENOENT");
}

/* k1 of the capture: debugfs kho/out as the first kernel showed it. */
static bool make_k1(const char *root, const char *mkkcore)
{
	static const char *const subs[] = { "LUO", "kexec-metadata", "kho_test", "memblock" };
	char src[4096], dst[4096], cmd[9000];
	size_t i;

	copy(root, "sys/kernel/debug/kho/out/fdt", FIXTURES_DIR "/blobs/debugfs/k1-out_fdt.bin");
	for (i = 0; i < 4; i++) {
		snprintf(src, sizeof(src), FIXTURES_DIR "/blobs/debugfs/k1-out_sub_fdts_%s.bin", subs[i]);
		snprintf(dst, sizeof(dst), "sys/kernel/debug/kho/out/sub_fdts/%s", subs[i]);
		copy(root, dst, src);
	}
	put(root, "proc/sys/kernel/osrelease", "7.2.13\n");
	put(root, "proc/sys/kernel/random/boot_id", BOOT "\n");
	put(root, "sys/kernel/kexec_loaded", "1\n");
	snprintf(cmd, sizeof(cmd), "'%s' '" FIXTURES_DIR "/slim-kexec.elf' '%s/proc/kcore'",
		 mkkcore, root);
	return system(cmd) == 0;
}

/* The kexec flow of kexec/kho.c over a tree: START, check, decide. */
static enum khofmt_kexec_action flow(const char *root, enum khofmt_kexec_stage stage,
				     unsigned flags, enum khofmt_kexec_check *chk_out,
				     unsigned *notes)
{
	struct khofmt_kexec_facts f;
	struct khofmt_kexec_input in = { .facts = &f };
	struct khofmt_kexec_decision d;
	enum khofmt_kexec_problem pb;
	struct khofmt_kexec_state *st;
	struct khofmt_verify *v;
	size_t counts[3];

	*chk_out = KHOFMT_KEXEC_CHECK_SKIPPED;
	khofmt_kexec_facts_read(root, &f);
	khofmt_kexec_decide(KHOFMT_KEXEC_START, flags, &in, &d);
	*notes = d.notes;
	if (d.action != GO || !(d.run_check || stage == KHOFMT_KEXEC_BEFORE_EXEC))
		return d.action;
	if (f.stamp_state == KHOFMT_KEXEC_STAMP_CURRENT)
		in.loaded = &f.stamp;
	if (flags & NC) {
		in.check = KHOFMT_KEXEC_CHECK_SKIPPED;
	} else if (khofmt_kexec_state_open(root, &st, &pb) < 0) {
		in.check = pb == KHOFMT_KEXEC_NO_OUT_FDT ? KHOFMT_KEXEC_CHECK_UNCHECKABLE
							 : KHOFMT_KEXEC_CHECK_UNREADABLE;
	} else {
		khofmt_kexec_state_sha256(st, in.fdt_sha256);
		in.has_fdt_sha256 = true;
		if (khofmt_kexec_state_verify(st, &v) < 0) {
			in.check = KHOFMT_KEXEC_CHECK_UNREADABLE;
		} else {
			khofmt_verify_counts(v, counts);
			in.check = counts[KHOFMT_SEV_ERROR] ? KHOFMT_KEXEC_CHECK_ERRORS :
				   counts[KHOFMT_SEV_WARNING] ? KHOFMT_KEXEC_CHECK_WARNINGS :
				   KHOFMT_KEXEC_CHECK_CLEAN;
			khofmt_verify_free(v);
		}
		khofmt_kexec_state_free(st);
	}
	*chk_out = in.check;
	khofmt_kexec_decide(stage, flags, &in, &d);
	*notes |= d.notes;
	return d.action;
}

static void test_trees(const char *base)
{
	const char *mkkcore = getenv("MKKCORE");
	char k1[1024], bad[1024], nomem[1024], q1[1024], cmd[8192];
	unsigned char root_sha[32], got[32];
	enum khofmt_kexec_check chk = 0;
	enum khofmt_kexec_problem pb;
	struct khofmt_kexec_state *st;
	struct khofmt_kexec_stamp s;
	unsigned notes;
	uint64_t pa;
	size_t n = 0, len;
	void *rootfdt;
	const void *fdt;

	if (!mkkcore || access(mkkcore, X_OK)) {
		skip(24, "MKKCORE not set (run through make check)");
		return;
	}
	snprintf(k1, sizeof(k1), "%s/k1", base);
	if (!make_k1(k1, mkkcore))
		bail_out("mkkcore failed");

	/* The state: debugfs cut the FDT short, libkhofmt recovers it. */
	ok(khofmt_kexec_state_open(k1, &st, &pb) == 0 && pb == KHOFMT_KEXEC_OK,
	   "k1: the outgoing state opens");
	rootfdt = read_whole_file(FIXTURES_DIR "/root.fdt", &n);
	fdt = khofmt_kexec_state_fdt(st, &len, &pa);
	ok(rootfdt && len == n && !memcmp(fdt, rootfdt, n),
	   "k1: the full root FDT is root.fdt (recovered from the kcore)");
	ok(pa != 0, "k1: recovered at a known address");
	{
		struct sha256_ctx c;

		sha256_init(&c);
		sha256_update(&c, n, rootfdt);
		sha256_digest(&c, SHA256_DIGEST_SIZE, root_sha);
	}
	khofmt_kexec_state_sha256(st, got);
	ok(!memcmp(got, root_sha, 32), "k1: state digest = sha256(root.fdt)");
	khofmt_kexec_state_free(st);
	free(rootfdt);

	/* k1 went through the live update: no error (warnings allowed). */
	ok(flow(k1, KHOFMT_KEXEC_BEFORE_LOAD, L, &chk, &notes) == GO &&
	   (chk == KHOFMT_KEXEC_CHECK_CLEAN || chk == KHOFMT_KEXEC_CHECK_WARNINGS),
	   "k1, -s -l: no error, load goes on");
	ok(flow(k1, KHOFMT_KEXEC_BEFORE_LOAD, L | C, &chk, &notes) == NO &&
	   notes == KHOFMT_KEXEC_N_OLD_SYSCALL, "k1, -c -l: refused at START");
	ok(flow(k1, KHOFMT_KEXEC_BEFORE_LOAD, CK, &chk, &notes) == GO,
	   "k1, --kho-check: passes");
	ok(flow(k1, KHOFMT_KEXEC_BEFORE_EXEC, E, &chk, &notes) == NO &&
	   (notes & KHOFMT_KEXEC_N_NO_STAMP), "k1, -e without a stamp: refused");

	/* A stamp as a load would write it (this boot, image loaded). */
	memset(&s, 0, sizeof(s));
	s.file_load = s.kho_cmdline = s.kho_active = s.checked = true;
	s.has_fdt_sha256 = true;
	memcpy(s.fdt_sha256, root_sha, 32);
	strcpy(s.boot_id, BOOT);
	khofmt_kexec_stamp_write(k1, &s);
	ok(flow(k1, KHOFMT_KEXEC_BEFORE_EXEC, E, &chk, &notes) == GO &&
	   (notes & KHOFMT_KEXEC_N_FDT_SAME), "k1, -e with the stamp: goes on, state unchanged");
	s.fdt_sha256[0] ^= 0xff;
	khofmt_kexec_stamp_write(k1, &s);
	ok(flow(k1, KHOFMT_KEXEC_BEFORE_EXEC, E, &chk, &notes) == GO &&
	   (notes & KHOFMT_KEXEC_N_FDT_CHANGED), "k1, -e after a change: says so, re-check decides");
	s.kho_cmdline = false;
	khofmt_kexec_stamp_write(k1, &s);
	ok(flow(k1, KHOFMT_KEXEC_BEFORE_EXEC, E, &chk, &notes) == NO &&
	   (notes & KHOFMT_KEXEC_N_NO_KHO_IMAGE), "k1, -e, image without kho=on: refused");
	ok(flow(k1, KHOFMT_KEXEC_BEFORE_EXEC, E | F, &chk, &notes) == GO &&
	   (notes & KHOFMT_KEXEC_N_FORCED_STAMP), "k1, -e --kho-force: goes on, loudly");
	put(k1, "sys/kernel/kexec_loaded", "0\n");
	ok(flow(k1, KHOFMT_KEXEC_BEFORE_EXEC, E, &chk, &notes) == NO &&
	   (notes & KHOFMT_KEXEC_N_NO_STAMP), "k1, -e, stamp but nothing loaded: refused");
	put(k1, "sys/kernel/kexec_loaded", "1\n");
	khofmt_kexec_stamp_remove(k1);

	/* A scratch area over preserved memory (memfd 0x2b at PFN 0x14c7). */
	snprintf(bad, sizeof(bad), "%s/bad", base);
	snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", k1, bad);
	if (system(cmd))
		bail_out("cp");
	put(bad, "sys/kernel/debug/kho/out/scratch_phys", "0x14c7000\n");
	put(bad, "sys/kernel/debug/kho/out/scratch_len", "0x1000\n");
	ok(flow(bad, KHOFMT_KEXEC_BEFORE_LOAD, L, &chk, &notes) == NO &&
	   chk == KHOFMT_KEXEC_CHECK_ERRORS && (notes & KHOFMT_KEXEC_N_REFUSED_LOAD),
	   "scratch over preserved memory: errors, load refused");
	ok(flow(bad, KHOFMT_KEXEC_BEFORE_LOAD, L | F, &chk, &notes) == GO &&
	   (notes & KHOFMT_KEXEC_N_FORCED), "... --kho-force: loads, loudly");
	ok(flow(bad, KHOFMT_KEXEC_BEFORE_LOAD, L | NC, &chk, &notes) == GO &&
	   chk == KHOFMT_KEXEC_CHECK_SKIPPED, "... --no-kho-check: loads unchecked");
	ok(flow(bad, KHOFMT_KEXEC_BEFORE_LOAD, CK, &chk, &notes) == NO &&
	   !(notes & KHOFMT_KEXEC_N_REFUSED_LOAD), "... --kho-check: exit 1, no 'refusing'");
	ok(flow(bad, KHOFMT_KEXEC_BEFORE_LOAD, L | P, &chk, &notes) == GO && !notes,
	   "... -p: kdump is left alone");

	/* No readable kcore: fails closed. */
	snprintf(nomem, sizeof(nomem), "%s/nomem", base);
	snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s' && : > '%s/proc/kcore'", k1, nomem, nomem);
	if (system(cmd))
		bail_out("cp");
	ok(khofmt_kexec_state_open(nomem, &st, &pb) < 0 && pb == KHOFMT_KEXEC_KCORE,
	   "empty kcore: the state cannot be opened (KCORE)");
	ok(flow(nomem, KHOFMT_KEXEC_BEFORE_LOAD, L, &chk, &notes) == NO &&
	   chk == KHOFMT_KEXEC_CHECK_UNREADABLE, "empty kcore: load refused (fail closed)");

	/* A kernel booted through KHO: kho/out without fdt (Q1). */
	snprintf(q1, sizeof(q1), "%s/q1", base);
	put(q1, "sys/kernel/debug/kho/out/sub_fdts", NULL);
	ok(khofmt_kexec_state_open(q1, &st, &pb) < 0 && pb == KHOFMT_KEXEC_NO_OUT_FDT,
	   "kho/out without fdt: NO_OUT_FDT");
	ok(flow(q1, KHOFMT_KEXEC_BEFORE_LOAD, L, &chk, &notes) == GO &&
	   (notes & KHOFMT_KEXEC_N_UNCHECKABLE), "... load goes on with a warning");
	put(q1, "sys/kernel/debug/kho/out/finalize", "0\n");
	snprintf(cmd, sizeof(cmd), "rm -r '%s/sys/kernel/debug/kho/out/sub_fdts'", q1);
	if (system(cmd))
		bail_out("rm");
	ok(khofmt_kexec_state_open(q1, &st, &pb) < 0 && pb == KHOFMT_KEXEC_NOT_FINALIZED,
	   "finalize without fdt: NOT_FINALIZED");
	ok(flow(q1, KHOFMT_KEXEC_BEFORE_LOAD, L, &chk, &notes) == NO,
	   "... load refused");
	/* KHO off: nothing read, nothing said. */
	snprintf(q1, sizeof(q1), "%s/off", base);
	put(q1, "proc/cmdline", "console=ttyS0\n");
	ok(flow(q1, KHOFMT_KEXEC_BEFORE_LOAD, L | C, &chk, &notes) == GO && !notes,
	   "KHO off: -c -l goes on as upstream");
}

int main(void)
{
	char *base = tmpdir_new("kexec-decide");

	test_start();
	test_checked();
	test_exec();
	test_facts(base);
	test_trees(base);
	tmpdir_cleanup(base);
	return done_testing();
}
