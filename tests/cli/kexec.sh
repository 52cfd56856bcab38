#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The patched kexec-tools (make kexec, --enable-kexec) checks the KHO handover
# through --kho-root trees built from the real 7.2.13 capture. Only --kho-check
# and refusal paths run: with --kho-root, kexec.c's hooks never load or reboot.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

if [ "${KEXEC_ENABLED:-0}" != 1 ] || [ ! -x "${KEXEC_BIN:-}" ]; then
	skip_all "kexec not built (configure --enable-kexec)"
fi
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/sysroot.sh"

kx() { "$KEXEC_BIN" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }

# 1. k1: clean outgoing state (serial.log: the live update went through)
kx --kho-root "$k1" --kho-check
is "$rc" 0 "--kho-check on the clean k1 state: exit 0"
grep -q '0 error(s)' "$TMP/err"; ok $? "reports 0 errors"
KEXEC_KHO_ROOT=$k1 "$KEXEC_BIN" --kho-check -e >/dev/null 2>"$TMP/err"
is "$?" 0 "KEXEC_KHO_ROOT + --kho-check -e: exit 0"

# 2. a scratch area over preserved memory (memfd 0x2b at PFN 0x14c7, serial.log)
bad=$TMP/k1bad
cp -a "$k1" "$bad"
printf '0x14c7000\n' >"$bad/sys/kernel/debug/kho/out/scratch_phys"
printf '0x1000\n' >"$bad/sys/kernel/debug/kho/out/scratch_len"
kx --kho-root "$bad" --kho-check
is "$rc" 1 "--kho-check with scratch over preserved memory: exit 1"
grep -q 'KHO error KHO-E' "$TMP/err"; ok $? "prints an error finding"
grep -q '0x14c7000' "$TMP/err"; ok $? "the finding names 0x14c7000"
kx --kho-root "$bad" -e
is "$rc" 1 "-e refused on the bad state"
grep -q 'refusing to reboot' "$TMP/err"; ok $? "says it refuses to reboot"

# 3. the tracker is gone from memory: the kcore is empty
nomem=$TMP/k1nomem
cp -a "$k1" "$nomem"
: >"$nomem/proc/kcore"
kx --kho-root "$nomem" --kho-check
is "$rc" 1 "unreadable kcore: fails closed (exit 1)"

# 4. KHO active: kexec_load (-c) is refused with the reason
kx --kho-root "$k1" --kho-check -c -l /dev/null
is "$rc" 1 "-c refused while KHO is active"
grep -q 'kexec_file_load carries the handover' "$TMP/err"; ok $? "says why"
grep -q 'use -s' "$TMP/err"; ok $? "says what to use"

# 4b. a crash kernel (-p) never takes the handover: -c stays allowed (upstream)
kx --kho-root "$k1" --kho-check -p -c
is "$rc" 0 "-p -c not refused (kdump is not KHO)"
grep -q 'crash kernel' "$TMP/err"; ok $? "says the crash kernel is not checked"

# 5. the new command line lacks kho=on: a warning (dry run with a kernel)
kern=$(ls /var/cache/kho-tools/kernel/*/bzImage 2>/dev/null | head -n 1)
if [ -n "$kern" ]; then
	# kexec-tools keeps the kernel image it read until exit: not ours to fix
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	export ASAN_OPTIONS
	kx --kho-root "$k1" --kho-check -s -l "$kern" --command-line="console=ttyS0"
	is "$rc" 0 "dry run -s -l without kho=on: exit 0"
	grep -q 'lacks kho=on' "$TMP/err"; ok $? "warns that kho=on is missing"
	grep -q 'nothing loaded' "$TMP/err"; ok $? "says nothing was loaded"
	kx --kho-root "$k1" --kho-check -s -l "$kern" --command-line="console=ttyS0 kho=on"
	is "$rc" 0 "dry run -s -l with kho=on: exit 0"
	grep -q 'lacks kho=on' "$TMP/err"; ok $((!$?)) "no warning with kho=on"
else
	for i in 1 2 3 4 5; do skip "no cached test kernel (tests/vm/build-kernel.sh)"; done
fi

# 6. KHO not active: upstream behaviour, --kho-check says so
off=$TMP/nokho
mkdir -p "$off/proc" && echo "console=ttyS0" >"$off/proc/cmdline"
kx --kho-root "$off" --kho-check
is "$rc" 0 "no KHO: --kho-check exit 0"
grep -q 'not active' "$TMP/err"; ok $? "says KHO is not active"

done_testing
