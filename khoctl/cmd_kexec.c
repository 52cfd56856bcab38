// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * khoctl kexec [OPTIONS] [--] KEXEC-ARGS...: the checks of our patched
 * kexec (kexec/kho.c) for systems that run the stock kexec. The decision is
 * libkhofmt's khofmt_kexec_decide(), shared with kexec/kho.c.
 *
 * While KHO is active: -c (kexec_load) is refused, -s is forced, the
 * outgoing state is checked before a load and before a reboot, and a load
 * leaves the same stamp (/run/kexec-kho.stamp) our kexec writes. Then the
 * system's kexec runs: as a child for a load (so that the stamp is written
 * only when it succeeded), exec'd for a reboot. Without KHO the arguments
 * go to kexec unchanged. Like kexec/kho.c it also asks whether the image
 * being loaded reads every part of the outgoing state (issue 17), at the
 * load and again before the reboot, and records the answer in the stamp.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "khoctl.h"

#define ME KHOCTL_NAME " kexec"

struct kx {
	const char *kexec;     /* --kexec PATH, $KEXEC, "kexec" */
	const char *root;      /* --sysroot DIR */
	const char *save;      /* --kho-save DIR */
	const char *kernel;    /* the kernel file given to kexec */
	unsigned flags;        /* KHOFMT_KEXEC_* */
	bool has_s, has_kernel, cmdline_kho, reuse_cmdline;
	int nargs;
	char **args;           /* what goes to kexec (argv[0] = kexec) */
	struct khofmt_kexec_facts facts;
};

static const char usage_text[] =
	"Usage: " ME " [--kexec PATH] [--kho-check] [--kho-force] [--no-kho-check]\n"
	"                    [--kho-save DIR] [--sysroot DIR] [--] KEXEC-ARGS...\n"
	"Run the system's kexec (--kexec PATH, else $KEXEC, else kexec on PATH) with\n"
	"the KHO checks of kexec-kho(8): while KHO is active, -c is refused, -s is\n"
	"forced, the outgoing state is checked before a load and before a reboot\n"
	"(errors refuse unless --kho-force), so is whether the kernel being loaded\n"
	"reads it (as khoctl compat), a load is stamped in /run/kexec-kho.stamp.\n"
	"Every other argument (and all after --) goes to kexec.\n\n" KHOCTL_EXIT_DOC "\n";

/* kexec's long options that take an argument (separate or after '='). */
static bool takes_arg(const char *name)
{
	static const char *const with[] = {
		"append", "command-line", "dtb", "entry", "initrd", "mem-max",
		"mem-min", "module", "ramdisk", "serial", "serial-baud", "type", NULL
	};
	size_t i, l = strcspn(name, "=");

	if (name[l] == '=')
		return false;
	for (i = 0; with[i]; i++)
		if (!strcmp(name, with[i]))
			return true;
	return false;
}

/* Does the argument of --append / --command-line carry kho=on? */
static void note_cmdline(struct kx *k, const char *name, const char *val)
{
	if ((!strncmp(name, "append", 6) || !strncmp(name, "command-line", 12)) &&
	    khofmt_cmdline_has(val, "kho=on"))
		k->cmdline_kho = true;
}

/* What kexec will do, from its arguments (kexec.c's option handling). */
static void scan(struct kx *k, int argc, char **argv)
{
	bool load = true, exec = false, shutdown = true;
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			k->has_kernel |= i + 1 < argc;
			if (i + 1 < argc && !k->kernel)
				k->kernel = argv[i + 1];
			break;
		}
		if (!strncmp(a, "--", 2)) {
			const char *n = a + 2, *eq = strchr(n, '=');

			if (!strcmp(n, "load") || !strcmp(n, "load-preserve-context")) {
				load = true; exec = shutdown = false;
			} else if (!strcmp(n, "exec")) {
				load = shutdown = false; exec = true;
			} else if (!strcmp(n, "force")) {
				load = exec = true; shutdown = false;
			} else if (!strcmp(n, "unload") || !strcmp(n, "status") ||
				   !strcmp(n, "load-jump-back-helper")) {
				load = exec = shutdown = false;
			} else if (!strcmp(n, "load-panic")) {
				load = true; exec = shutdown = false;
				k->flags |= KHOFMT_KEXEC_CRASH;
			} else if (!strcmp(n, "kexec-syscall")) {
				k->flags |= KHOFMT_KEXEC_OLD_SYSCALL;
			} else if (!strcmp(n, "kexec-file-syscall")) {
				k->has_s = true;
			} else if (!strcmp(n, "reuse-cmdline")) {
				k->reuse_cmdline = true;
			} else if (eq) {
				note_cmdline(k, n, eq + 1);
			} else if (takes_arg(n) && i + 1 < argc) {
				note_cmdline(k, n, argv[++i]);
			}
			continue;
		}
		if (a[0] == '-' && a[1]) {
			const char *c;

			for (c = a + 1; *c; c++) {
				switch (*c) {
				case 'l': load = true; exec = shutdown = false; break;
				case 'e': load = shutdown = false; exec = true; break;
				case 'f': load = exec = true; shutdown = false; break;
				case 'u': case 'S': load = exec = shutdown = false; break;
				case 'p':
					load = true; exec = shutdown = false;
					k->flags |= KHOFMT_KEXEC_CRASH;
					break;
				case 'c': k->flags |= KHOFMT_KEXEC_OLD_SYSCALL; break;
				case 's': k->has_s = true; break;
				case 't':
					if (!c[1] && i + 1 < argc)
						i++;
					c += strlen(c) - 1;
					break;
				}
			}
			continue;
		}
		k->has_kernel = true;
		if (!k->kernel)
			k->kernel = a;
	}
	if (load && k->has_kernel)
		k->flags |= KHOFMT_KEXEC_LOAD;
	if (exec || shutdown)
		k->flags |= KHOFMT_KEXEC_EXEC;
}

static void notes(unsigned n)
{
	unsigned b;

	for (b = 1; b && b <= n; b <<= 1)
		if (n & b)
			fprintf(stderr, ME ": %s\n", khofmt_kexec_note_text(b));
}

/* The check: findings on stderr like kexec's; the digest of the state. */
static enum khofmt_kexec_check check(struct kx *k, struct khofmt_kexec_input *in)
{
	enum khofmt_kexec_problem pb;
	struct khofmt_kexec_state *st;
	struct khofmt_verify *v = NULL;
	size_t i, counts[3];
	int r = khofmt_kexec_state_open(k->root, &st, &pb);

	if (r < 0) {
		if (pb == KHOFMT_KEXEC_NO_OUT_FDT)
			return KHOFMT_KEXEC_CHECK_UNCHECKABLE;
		fprintf(stderr, ME ": KHO error: the outgoing state cannot be read "
			"(%s): %s\n", pb == KHOFMT_KEXEC_KCORE ? "/proc/kcore" :
			pb == KHOFMT_KEXEC_NOT_FINALIZED ? "not finalized" :
			pb == KHOFMT_KEXEC_RECOVER ? "truncated root FDT" :
			"debugfs kho/out/fdt", khofmt_strerror(r));
		return KHOFMT_KEXEC_CHECK_UNREADABLE;
	}
	khofmt_kexec_state_sha256(st, in->fdt_sha256);
	in->has_fdt_sha256 = true;
	r = khofmt_kexec_state_verify(st, &v);
	khofmt_kexec_state_free(st);
	if (r < 0) {
		fprintf(stderr, ME ": KHO error: cannot check the handover: %s\n",
			khofmt_strerror(r));
		return KHOFMT_KEXEC_CHECK_UNREADABLE;
	}
	for (i = 0; i < khofmt_verify_nfindings(v); i++) {
		const struct khofmt_finding *f = khofmt_verify_finding(v, i);

		if (f->rule->severity != KHOFMT_SEV_INFO)
			fprintf(stderr, ME ": KHO %s %s: %s\n",
				khofmt_severity_name(f->rule->severity), f->rule->id,
				f->message);
	}
	khofmt_verify_counts(v, counts);
	khofmt_verify_free(v);
	fprintf(stderr, ME ": KHO handover check: %zu error(s), %zu warning(s)\n",
		counts[KHOFMT_SEV_ERROR], counts[KHOFMT_SEV_WARNING]);
	return counts[KHOFMT_SEV_ERROR] ? KHOFMT_KEXEC_CHECK_ERRORS :
	       counts[KHOFMT_SEV_WARNING] ? KHOFMT_KEXEC_CHECK_WARNINGS :
	       KHOFMT_KEXEC_CHECK_CLEAN;
}

/*
 * Will @image read the outgoing state (kexec/kho.c's compat_gate)? At the
 * load (@expect NULL) the verdict goes into @stamp; before the reboot
 * (@expect: the stamped digest) the image must still be the one loaded.
 * 0 to go on (accepted, or --kho-force), 1 to refuse.
 */
static int compat_gate(const struct kx *k, const char *image, const unsigned char *expect,
		       struct khofmt_kexec_stamp *stamp)
{
	struct khofmt_kexec_compat_result res;
	enum khofmt_kexec_problem pb;
	struct khofmt_kexec_state *st;
	const char *what = expect ? "reboot" : "load";
	bool force = k->flags & KHOFMT_KEXEC_FORCE;
	char *path = NULL;
	size_t i;
	int r = khofmt_kexec_state_open(k->root, &st, &pb);

	if (r < 0)
		return 0; /* the state check has said why and decided */
	/* with --sysroot an absolute kernel path is a file of that tree */
	if (k->root && image[0] == '/' && asprintf(&path, "%s%s", k->root, image) < 0)
		path = NULL;
	r = khofmt_kexec_state_compat(st, k->root, path ? path : image, expect, &res);
	free(path);
	khofmt_kexec_state_free(st);
	if (r < 0) {
		fprintf(stderr, ME ": KHO error: %s\n", khofmt_strerror(r));
		return 1;
	}
	if (stamp) {
		char *abs = k->root ? NULL : realpath(image, NULL);

		stamp->compat = res.verdict;
		stamp->compat_lost = (uint32_t)res.lost;
		stamp->has_image_sha256 = res.has_image_sha256;
		memcpy(stamp->image_sha256, res.image_sha256, 32);
		snprintf(stamp->image, sizeof(stamp->image), "%s", abs ? abs : image);
		free(abs);
	}
	for (i = 0; i < res.nlines; i++)
		fprintf(stderr, ME ": KHO %s: %s\n",
			res.verdict == KHOFMT_KEXEC_COMPAT_LOSES ? "error" : "note", res.lines[i]);
	r = 0;
	if (res.verdict == KHOFMT_KEXEC_COMPAT_UNREADABLE)
		fprintf(stderr, ME ": KHO error: cannot tell whether %s takes the "
			"handover: %s\n", image, res.error);
	else if (res.verdict == KHOFMT_KEXEC_COMPAT_LOSES)
		fprintf(stderr, ME ": KHO error: %s (%s) would drop %zu part(s) of the "
			"handover listed above\n", image, res.release, res.lost);
	else
		fprintf(stderr, ME ": KHO: %s (%s) reads every part of the handover\n",
			image, res.release);
	if (res.verdict != KHOFMT_KEXEC_COMPAT_ACCEPTED) {
		if (force) {
			fprintf(stderr, ME ": WARNING: --kho-force: going on with the %s "
				"anyway\n", what);
		} else {
			fprintf(stderr, ME ": refusing to %s (--kho-force overrides)\n", what);
			r = 1;
		}
	}
	khofmt_kexec_compat_result_free(&res);
	return r;
}

/* --kho-save DIR now: the stock kexec reboots without coming back. */
static int save(const struct kx *k)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	long long when = sde && *sde ? strtoll(sde, NULL, 10) : (long long)time(NULL);
	struct khofmt_capture_result res = { .sys_errno = 0 };
	enum khofmt_kexec_problem pb;
	struct khofmt_kexec_state *st;
	int r = khofmt_kexec_state_open(k->root, &st, &pb);

	if (r == 0) {
		r = khofmt_kexec_state_capture(st, k->root, k->save, when, &res);
		khofmt_kexec_state_free(st);
	}
	if (r < 0) {
		fprintf(stderr, ME ": --kho-save %s: %s%s%s\n", k->save, res.path,
			res.path[0] ? ": " : "",
			res.sys_errno ? strerror(res.sys_errno) : khofmt_strerror(r));
		return 1;
	}
	fprintf(stderr, ME ": KHO state saved in %s\n", k->save);
	return 0;
}

/* Decide at @stage after checking (unless --no-kho-check); 0 = go on. */
static int gate(struct kx *k, enum khofmt_kexec_stage stage,
		struct khofmt_kexec_input *in)
{
	struct khofmt_kexec_decision d;

	if (!(k->flags & KHOFMT_KEXEC_NO_CHECK))
		in->check = check(k, in);
	khofmt_kexec_decide(stage, k->flags, in, &d);
	notes(d.notes);
	return d.action == KHOFMT_KEXEC_REFUSE;
}

static bool cmdline_kho(const struct kx *k)
{
	char *p, *t = NULL;
	size_t len;
	bool on;

	if (k->cmdline_kho || !k->reuse_cmdline)
		return k->cmdline_kho;
	p = malloc(strlen(k->root ? k->root : "") + 16);
	if (!p)
		return false;
	sprintf(p, "%s/proc/cmdline", k->root ? k->root : "");
	on = khofmt_read_file(p, 1 << 20, (void **)&t, &len) == 0 &&
	     khofmt_cmdline_has(t, "kho=on");
	free(t);
	free(p);
	return on;
}

static int run_kexec(struct kx *k, bool wait_for_it)
{
	pid_t pid;
	int status;

	fflush(NULL);
	if (!wait_for_it) {
		execvp(k->kexec, k->args);
		fprintf(stderr, ME ": cannot run %s: %s\n", k->kexec, strerror(errno));
		return KHOCTL_EXIT_DECODE;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, ME ": fork: %s\n", strerror(errno));
		return KHOCTL_EXIT_DECODE;
	}
	if (pid == 0) {
		execvp(k->kexec, k->args);
		fprintf(stderr, ME ": cannot run %s: %s\n", k->kexec, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return KHOCTL_EXIT_DECODE;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int cmd_kexec(int argc, char **argv)
{
	struct kx k = { .kexec = getenv("KEXEC") };
	struct khofmt_kexec_input in = { .facts = &k.facts };
	struct khofmt_kexec_stamp stamp = { .file_load = true };
	struct khofmt_kexec_decision d;
	bool active, dashdash = false;
	char **pass;
	int i, r, npass = 0;

	if (!k.kexec || !*k.kexec)
		k.kexec = "kexec";
	/* Our options anywhere before "--"; everything else goes to kexec. */
	pass = calloc((size_t)argc + 1, sizeof(*pass));
	if (!pass)
		return KHOCTL_EXIT_DECODE;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash) {
			pass[npass++] = argv[i];
		} else if (!strcmp(a, "--")) {
			dashdash = true;
			pass[npass++] = argv[i];
		} else if (!strcmp(a, "--help") || !strcmp(a, "-?")) {
			fputs(usage_text, stdout);
			free(pass);
			return KHOCTL_EXIT_OK;
		} else if (!strcmp(a, "--kho-check")) {
			k.flags |= KHOFMT_KEXEC_CHECK_ONLY;
		} else if (!strcmp(a, "--kho-force")) {
			k.flags |= KHOFMT_KEXEC_FORCE;
		} else if (!strcmp(a, "--no-kho-check")) {
			k.flags |= KHOFMT_KEXEC_NO_CHECK;
		} else if (!strncmp(a, "--kexec=", 8)) {
			k.kexec = a + 8;
		} else if (!strncmp(a, "--kho-save=", 11)) {
			k.save = a + 11;
		} else if (!strncmp(a, "--sysroot=", 10)) {
			k.root = a + 10;
		} else if (!strcmp(a, "--kexec") || !strcmp(a, "--kho-save") ||
			   !strcmp(a, "--sysroot")) {
			if (i + 1 == argc) {
				fprintf(stderr, ME ": %s needs an argument\n%s", a, usage_text);
				free(pass);
				return KHOCTL_EXIT_USAGE;
			}
			if (!strcmp(a, "--kexec"))
				k.kexec = argv[++i];
			else if (!strcmp(a, "--kho-save"))
				k.save = argv[++i];
			else
				k.root = argv[++i];
		} else {
			pass[npass++] = argv[i];
		}
	}
	argc = npass;
	argv = pass;
	i = 0;
	if (k.root && !*k.root)
		k.root = NULL;
	scan(&k, argc - i, argv + i);
	if ((i == argc && !(k.flags & KHOFMT_KEXEC_CHECK_ONLY)) ||
	    khofmt_kexec_facts_read(k.root, &k.facts) < 0) {
		if (i == argc)
			fprintf(stderr, ME ": no kexec arguments\n%s", usage_text);
		free(pass);
		return i == argc ? KHOCTL_EXIT_USAGE : KHOCTL_EXIT_DECODE;
	}
	active = k.facts.kho_active && !(k.flags & KHOFMT_KEXEC_CRASH);
	if (active && (k.facts.stamp_state == KHOFMT_KEXEC_STAMP_STALE ||
		       k.facts.stamp_state == KHOFMT_KEXEC_STAMP_BAD))
		khofmt_kexec_stamp_remove(k.root);
	/* argv for kexec: [kexec, -s (when forced), args...] */
	k.args = calloc((size_t)(argc - i) + 3, sizeof(*k.args));
	if (!k.args) {
		free(pass);
		return KHOCTL_EXIT_DECODE;
	}
	k.args[k.nargs++] = (char *)k.kexec;

	khofmt_kexec_decide(KHOFMT_KEXEC_START, k.flags, &in, &d);
	notes(d.notes);
	if (d.action != KHOFMT_KEXEC_GO) {
		free(k.args);
		free(pass);
		return d.action == KHOFMT_KEXEC_REFUSE ? KHOCTL_EXIT_FINDINGS : KHOCTL_EXIT_OK;
	}
	if (active && d.file_load && !k.has_s)
		k.args[k.nargs++] = (char *)"-s";
	for (; i < argc; i++)
		k.args[k.nargs++] = argv[i];
	r = 0;
	if (active && d.run_check)
		r = gate(&k, KHOFMT_KEXEC_BEFORE_LOAD, &in);
	/* ... and whether the new kernel reads it (issue 17) */
	if (!r && active && d.run_check && (k.flags & KHOFMT_KEXEC_LOAD) && k.kernel &&
	    !(k.flags & KHOFMT_KEXEC_NO_CHECK))
		r = compat_gate(&k, k.kernel, NULL, &stamp);
	if (!r && active && (k.flags & KHOFMT_KEXEC_CHECK_ONLY)) {
		free(k.args);
		free(pass);
		return KHOCTL_EXIT_OK;
	}
	stamp.kho_cmdline = cmdline_kho(&k);
	stamp.kho_active = true;
	stamp.checked = !(k.flags & KHOFMT_KEXEC_NO_CHECK);
	stamp.forced = k.flags & KHOFMT_KEXEC_FORCE;
	memcpy(stamp.boot_id, k.facts.boot_id, sizeof(stamp.boot_id));
	memcpy(stamp.fdt_sha256, in.fdt_sha256, 32);
	stamp.has_fdt_sha256 = in.has_fdt_sha256;
	if (active && (k.flags & KHOFMT_KEXEC_LOAD) && !stamp.kho_cmdline)
		fprintf(stderr, ME ": WARNING: KHO is active but the new command "
			"line lacks kho=on: the next kernel will not take the "
			"handover (use --reuse-cmdline or add kho=on)\n");
	if (!r && active && (k.flags & KHOFMT_KEXEC_EXEC)) {
		/* Load and reboot in one call: the image is this call's. */
		in.loaded = k.flags & KHOFMT_KEXEC_LOAD ? &stamp :
			    k.facts.stamp_state == KHOFMT_KEXEC_STAMP_CURRENT ?
			    &k.facts.stamp : NULL;
		r = gate(&k, KHOFMT_KEXEC_BEFORE_EXEC, &in);
		/* the image check again: the state may have grown since the load */
		if (!r && in.loaded && in.loaded != &stamp &&
		    in.loaded->compat != KHOFMT_KEXEC_COMPAT_UNCHECKED &&
		    !(k.flags & KHOFMT_KEXEC_NO_CHECK)) {
			if (!in.loaded->image[0] || !in.loaded->has_image_sha256) {
				fprintf(stderr, ME ": KHO error: the load stamp does not say "
					"which image was loaded: cannot check it again\n");
				r = !(k.flags & KHOFMT_KEXEC_FORCE);
			} else {
				r = compat_gate(&k, in.loaded->image, in.loaded->image_sha256, NULL);
			}
		}
		if (!r && k.save && save(&k) && !(k.flags & KHOFMT_KEXEC_FORCE)) {
			fprintf(stderr, ME ": refusing to reboot: the KHO state could "
				"not be saved (--kho-force overrides)\n");
			r = 1;
		}
	}
	if (r) {
		free(k.args);
		free(pass);
		return KHOCTL_EXIT_FINDINGS;
	}
	if (!active || !(k.flags & KHOFMT_KEXEC_LOAD) || (k.flags & KHOFMT_KEXEC_EXEC)) {
		r = run_kexec(&k, false);
		free(k.args);
		free(pass);
		return r;
	}
	khofmt_kexec_stamp_remove(k.root);
	r = run_kexec(&k, true);
	if (r == 0 && khofmt_kexec_stamp_write(k.root, &stamp) < 0)
		fprintf(stderr, ME ": WARNING: cannot write the load stamp: %s "
			"(kexec -e will refuse without --kho-force)\n", strerror(errno));
	free(k.args);
	free(pass);
	return r;
}
