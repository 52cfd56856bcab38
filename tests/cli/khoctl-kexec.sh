#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# khoctl kexec: the checks of kexec-kho(8) in front of a stock kexec. A fake
# kexec records its argv (one argument a line) and exits 0; the system is a
# --sysroot tree built from the real 7.2.13 capture (sysroot.sh).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/sysroot.sh"

fake=$TMP/bin/kexec
mkdir -p "$TMP/bin"
cat >"$fake" <<'FAKE'
#!/bin/sh
printf '%s\n' "$@" >"$KEXEC_ARGV"
exit ${KEXEC_RC:-0}
FAKE
chmod +x "$fake"
KEXEC_ARGV=$TMP/argv
export KEXEC_ARGV
BOOT=1b4e28ba-2fa1-11d2-883f-0016d3cca427
sys=$TMP/sys
cp -a "$k1" "$sys"
mkdir -p "$sys/proc/sys/kernel/random" "$sys/sys/kernel"
echo "$BOOT" >"$sys/proc/sys/kernel/random/boot_id"
echo 0 >"$sys/sys/kernel/kexec_loaded"
st=$sys/run/kexec-kho.stamp
# the kernels to load, files of the --sysroot tree (as kexec would read them
# on that system): a bzImage of the real 7.3.4 kernel's strings (it reads
# every part of the 7.2.13 state: tests/cli/compat.sh), the luo-bump one
[ -n "${MKIMAGE:-}" ] && [ -x "$MKIMAGE" ] || bail_out "MKIMAGE is not set (run through make check)"
IMGS=$TESTS_SRCDIR/fixtures/images
mkdir -p "$sys/boot"
V=/boot/vmlinuz
"$MKIMAGE" wrap bzimage xz "$IMGS/linux-7.3.4.strings" "$sys$V"
"$MKIMAGE" wrap bzimage xz "$IMGS/linux-7.2.13-luo-bump.strings" "$sys/boot/bump"
random_bytes 4096 3 "$sys/boot/noise"


kk() { rm -f "$KEXEC_ARGV"; "$KHOCTL" kexec "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }
argv() { tr '\n' ' ' <"$KEXEC_ARGV" 2>/dev/null | sed 's/ $//'; }

# 1. a load while KHO is active: checked, -s forced, stamped
kk --kexec "$fake" --sysroot "$sys" -l $V --append="console=ttyS0 kho=on"
is "$rc" 0 "load: exit 0"
is "$(argv)" "-s -l $V --append=console=ttyS0 kho=on" "kexec ran with -s forced, arguments kept"
grep -q '0 error(s)' "$TMP/err"; ok $? "the state was checked"
grep -qx 'kho_cmdline=1' "$st" && grep -qx "boot_id=$BOOT" "$st"; ok $? "the load is stamped (kho=on, boot id)"
grep -qx "fdt_sha256=$(sha256sum "$F/root.fdt" | cut -d' ' -f1)" "$st"
ok $? "the stamp holds sha256 of the full root FDT"

# 2. -s given: not doubled; a failing kexec leaves no stamp
KEXEC_RC=3 kk --kexec "$fake" --sysroot "$sys" -s -l $V --command-line "kho=on"
is "$rc" 3 "kexec's exit status is passed on"
is "$(argv)" "-s -l $V --command-line kho=on" "-s not added twice"
[ ! -e "$st" ]; ok $? "a failed load leaves no stamp"

# 3. -c is refused, kexec does not run
kk --kexec "$fake" --sysroot "$sys" -c -l $V
is "$rc" 1 "-c refused"
grep -q 'use -s' "$TMP/err"; ok $? "says what to use"
[ ! -e "$KEXEC_ARGV" ]; ok $? "kexec did not run"

# 4. -e: the stamp decides, then kexec is exec'd
kk --kexec "$fake" --sysroot "$sys" -e
is "$rc" 1 "-e without a stamp: refused"
grep -q 'no load stamp' "$TMP/err"; ok $? "says there is no load stamp"
kk --kexec "$fake" --sysroot "$sys" -l $V --append=kho=on
echo 1 >"$sys/sys/kernel/kexec_loaded"
KEXEC=$fake kk --sysroot "$sys" -e --kho-save "$TMP/saved"
is "$rc" 0 "-e after a stamped load (\$KEXEC): exit 0"
is "$(argv)" "-s -e" "kexec -s -e ran"
grep -q 'the one checked at load' "$TMP/err"; ok $? "says the state is unchanged"
cmp -s "$TMP/saved/fdt.dtb" "$F/root.fdt"; ok $? "--kho-save wrote the bundle first"

# 5. errors refuse; --kho-force goes on loudly; --no-kho-check skips
bad=$TMP/bad
cp -a "$sys" "$bad"
printf '0x14c7000\n' >"$bad/sys/kernel/debug/kho/out/scratch_phys"
printf '0x1000\n' >"$bad/sys/kernel/debug/kho/out/scratch_len"
kk --kexec "$fake" --sysroot "$bad" -l $V --append=kho=on
is "$rc" 1 "load refused on a scratch area over preserved memory"
grep -q 'KHO error KHO-E' "$TMP/err"; ok $? "prints the error finding"
[ ! -e "$KEXEC_ARGV" ]; ok $? "kexec did not run"
kk --kexec "$fake" --sysroot "$bad" --kho-force -l $V --append=kho=on
is "$rc" 0 "--kho-force: loads"
grep -q 'WARNING: --kho-force' "$TMP/err"; ok $? "with a loud warning"
kk --kexec "$fake" --sysroot "$bad" --no-kho-check -l $V --append=kho=on
is "$rc" 0 "--no-kho-check: loads"
grep -q 'KHO error' "$TMP/err"; ok $((!$?)) "without checking"
kk --kexec "$fake" --sysroot "$bad" --kho-check
is "$rc" 1 "--kho-check alone: exit 1 on errors"
[ ! -e "$KEXEC_ARGV" ]; ok $? "--kho-check never runs kexec"

# 5b. will the new kernel read the handover (issue 17): the luo-bump
# kernel's strings (luo-v99) would drop LUO and its 4 memfds
rm -f "$st"
kk --kexec "$fake" --sysroot "$sys" -l /boot/bump --append=kho=on
is "$rc" 1 "load of the luo-bump kernel: refused"
[ ! -e "$KEXEC_ARGV" ] && [ ! -e "$st" ]; ok $? "kexec did not run, no stamp"
grep -q 'LUO.*writes luo-v5, the new kernel reads luo-v99: lost: every LUO session' "$TMP/err"
ok $? "names LUO: luo-v5 written, luo-v99 read, every session lost"
grep -q 'memfd-v2.*lost: 4 preserved files (3159824 bytes)' "$TMP/err"
ok $? "names the 4 memfds (3159824 bytes) lost with it"
grep -q 'refusing to load (--kho-force overrides)' "$TMP/err"; ok $? "says it refuses to load"
kk --kexec "$fake" --sysroot "$sys" --kho-force -l /boot/bump --append=kho=on
is "$rc:$(argv)" "0:-s -l /boot/bump --append=kho=on" "--kho-force: kexec loads it"
grep -q 'WARNING: --kho-force: going on with the load' "$TMP/err"; ok $? "with a loud warning"
grep -qx 'compat=loses' "$st" && grep -qx "image_sha256=$(sha256sum "$sys/boot/bump" | cut -d' ' -f1)" "$st"
ok $? "the stamp records the verdict (loses) and the image's digest"
echo 1 >"$sys/sys/kernel/kexec_loaded"
kk --kexec "$fake" --sysroot "$sys" -e
is "$rc" 1 "-e of the loaded luo-bump kernel: refused again"
grep -q 'refusing to reboot' "$TMP/err" && grep -q 'luo-v99' "$TMP/err"; ok $? "-e: says why"
kk --kexec "$fake" --sysroot "$sys" -e --kho-force
is "$rc:$(argv)" "0:-s -e" "-e --kho-force: reboots anyway"
kk --kexec "$fake" --sysroot "$sys" -l "$V" --append=kho=on
grep -qx 'compat=accepted' "$st"; ok $? "7.3.4: the stamp says the image reads the state"
grep -q 'reads every part of the handover' "$TMP/err"; ok $? "7.3.4: says so"
kk --kexec "$fake" --sysroot "$sys" -l /boot/noise --append=kho=on
is "$rc" 1 "an image that cannot be read: refused (fails closed)"
grep -q 'cannot tell whether' "$TMP/err"; ok $? "says the image cannot be read"
kk --kexec "$fake" --sysroot "$sys" --no-kho-check -l /boot/noise --append=kho=on
is "$rc" 0 "--no-kho-check: no image check either"
echo 0 >"$sys/sys/kernel/kexec_loaded"
rm -f "$st"

# 6. the kho=on warning; -p and no KHO pass through unchanged
kk --kexec "$fake" --sysroot "$sys" -l $V --append=console=ttyS0
grep -q 'lacks kho=on' "$TMP/err"; ok $? "warns when the new command line lacks kho=on"
kk --kexec "$fake" --sysroot "$sys" -p -c $V
is "$(argv)" "-p -c $V" "-p -c goes to kexec unchanged (kdump is not KHO)"
off=$TMP/off
mkdir -p "$off/proc" && echo console=ttyS0 >"$off/proc/cmdline"
kk --kexec "$fake" --sysroot "$off" -c -l $V
is "$rc:$(argv)" "0:-c -l $V" "no KHO: kexec runs unchanged"
is "$(cat "$TMP/err")" "" "no KHO: no output of ours"

# 7. usage
kk --kexec
is "$rc" 64 "--kexec without a path: usage error"
kk --help
is "$rc" 0 "--help: exit 0"
grep -q 'kexec-kho(8)' "$TMP/out"; ok $? "--help names kexec-kho(8)"

done_testing
