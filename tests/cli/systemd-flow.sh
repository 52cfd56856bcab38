#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd flow of kexec-kho(8), on a --sysroot tree of the real 7.2.13
# capture (sysroot.sh) with a fake kexec recording its argv:
#  - kexec-kho-load (kexec-kho-load.service, wanted by kexec.target) loads
#    the kernel through `khoctl kexec` and stamps it, keeps an image that a
#    checked load stamped, and leaves an unchecked image alone unless told;
#  - the system-shutdown hook records the final verify and a summary into
#    the kernel log (here the tree's dev/kmsg file) for the kexec verb only.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/sysroot.sh"

SD=$TESTS_SRCDIR/../systemd
fake=$TMP/bin/kexec
mkdir -p "$TMP/bin"
cat >"$fake" <<'FAKE'
#!/bin/sh
printf '%s\n' "$@" >"$KEXEC_ARGV"
exit ${KEXEC_RC:-0}
FAKE
chmod +x "$fake"
KEXEC_ARGV=$TMP/argv KEXEC=$fake KHOCTL=$KHOCTL
export KEXEC_ARGV KEXEC KHOCTL
BOOT=1b4e28ba-2fa1-11d2-883f-0016d3cca427
sys=$TMP/sys
cp -a "$k1" "$sys"
mkdir -p "$sys/proc/sys/kernel/random" "$sys/sys/kernel" "$sys/boot" "$sys/run" "$sys/dev"
echo "$BOOT" >"$sys/proc/sys/kernel/random/boot_id"
echo 0 >"$sys/sys/kernel/kexec_loaded"
# the kernel: a bzImage of the real 7.3.4 kernel's strings, which reads
# every part of the 7.2.13 state (tests/cli/compat.sh)
[ -n "${MKIMAGE:-}" ] && [ -x "$MKIMAGE" ] || bail_out "MKIMAGE is not set (run through make check)"
"$MKIMAGE" wrap bzimage xz "$TESTS_SRCDIR/fixtures/images/linux-7.3.4.strings" "$sys/boot/vmlinuz"
: >"$sys/boot/initrd.img"
st=$sys/run/kexec-kho.stamp

load() { rm -f "$KEXEC_ARGV"; KEXEC_KHO_ROOT=$sys sh "$SD/kexec-kho-load" >"$TMP/out" 2>&1; rc=$?; }
argv() { tr '\n' ' ' <"$KEXEC_ARGV" 2>/dev/null | sed 's/ $//'; }

# 1. nothing loaded: the default kernel through the checks, stamped
load
is "$rc" 0 "load: exit 0" || comment <"$TMP/out"
is "$(argv)" "-s -l /boot/vmlinuz --initrd=/boot/initrd.img --reuse-cmdline" "kexec got the kernel, initrd and the running command line"
grep -qx "boot_id=$BOOT" "$st" && grep -qx checked=1 "$st"; ok $? "the load is stamped as checked"
# 2. the stamped image is kept (systemctl kexec then uses it)
echo 1 >"$sys/sys/kernel/kexec_loaded"
load
is "$rc" 0 "a checked image of this boot: exit 0"
[ ! -e "$KEXEC_ARGV" ]; ok $? "no second load"
# 3. an image loaded by something else: kept, the state checked only
rm -f "$st"
load
is "$rc" 1 "an unchecked image: exit 1 (reported, not vetoed)"
[ ! -e "$KEXEC_ARGV" ]; ok $? "it is not replaced by default"
grep -q 'state: no error' "$TMP/out"; ok $? "the state was checked"
KEXEC_KHO_RELOAD=yes KEXEC_KHO_KERNEL=/boot/vmlinuz KEXEC_KHO_CMDLINE="console=ttyS0 kho=on" load
is "$rc" 0 "KEXEC_KHO_RELOAD=yes: reloaded through the checks"
is "$(argv)" "-s -l /boot/vmlinuz --initrd=/boot/initrd.img --command-line=console=ttyS0 kho=on" "with the configured command line"
# 4. a state with errors: the load is refused, nothing is unloaded
bad=$TMP/bad
cp -a "$sys" "$bad"
rm -f "$bad/run/kexec-kho.stamp"
echo 0 >"$bad/sys/kernel/kexec_loaded"
printf '0x14c7000\n' >"$bad/sys/kernel/debug/kho/out/scratch_phys"
printf '0x1000\n' >"$bad/sys/kernel/debug/kho/out/scratch_len"
rm -f "$KEXEC_ARGV"
KEXEC_KHO_ROOT=$bad sh "$SD/kexec-kho-load" >"$TMP/out" 2>&1
is "$?" 1 "errors in the state: exit 1"
[ ! -e "$KEXEC_ARGV" ]; ok $? "kexec did not run"
grep -q 'refused or failed' "$TMP/out"; ok $? "says so"

# 5. the shutdown hook: only for kexec, a record in the kernel log
: >"$sys/dev/kmsg"
KEXEC_KHO_ROOT=$sys sh "$SD/kexec-kho.shutdown" reboot
[ ! -s "$sys/dev/kmsg" ]; ok $? "hook: nothing for a reboot"
KEXEC_KHO_ROOT=$sys sh "$SD/kexec-kho.shutdown" kexec
is "$?" 0 "hook: exit 0"
grep -qx "kexec-kho: final check before kexec, boot $BOOT" "$sys/dev/kmsg"; ok $? "record: header with the boot id"
grep -qx 'kexec-kho: verify exit 0 (clean)' "$sys/dev/kmsg"; ok $? "record: verify clean"
grep -qx 'kexec-kho: folios 818' "$sys/dev/kmsg"; ok $? "record: 818 preserved folios (fixture README)"
grep -qx 'kexec-kho: subnode LUO' "$sys/dev/kmsg" && grep -qx 'kexec-kho: session holdout-main' "$sys/dev/kmsg"
ok $? "record: the LUO subnode and its session holdout-main"
: >"$bad/dev/kmsg"
KEXEC_KHO_ROOT=$bad sh "$SD/kexec-kho.shutdown" kexec
is "$?" 0 "hook on a state with errors: still exit 0 (no veto)"
grep -q '^kexec-kho: KHO-E' "$bad/dev/kmsg" && grep -q '^kexec-kho: verify exit 1 (ERRORS' "$bad/dev/kmsg"
ok $? "record: the error findings and the verdict"

done_testing
