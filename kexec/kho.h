/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kho.h - Kexec HandOver checks for kexec-tools, built on libkhofmt.
 *
 * All the logic lives in kho.c; kexec.c only calls these hooks.
 */
#ifndef KEXEC_KHO_H
#define KEXEC_KHO_H

/* Record one of the OPT_KHO_* options. */
void kho_option(int opt, const char *arg);

/*
 * After option parsing: when KHO is active, force kexec_file_load and turn the
 * kexec_load fallback off (refusing -c), then check the outgoing state before
 * a load or a reboot, and before a load whether the kernel @kernel (NULL: no
 * load) reads it. Exits on a refusal and after --kho-check without a load.
 * A crash kernel (-p) never takes the handover: upstream behaviour.
 */
void kho_prepare(const char *kernel, int do_exec, int crash, int *file_syscall,
		 int *fallback);

/*
 * Just before kexec_file_load(): warn when @cmdline lacks kho=on.
 * With --kho-check (or a --kho-root tree) this ends the dry run and exits.
 */
void kho_file_load(const char *cmdline, int len);

/* After a successful load: write the load stamp (KHO active only). */
void kho_loaded(void);

/* Just before rebooting into the loaded image: 0 to go on, else refuse. */
int kho_before_exec(void);

#endif /* KEXEC_KHO_H */
