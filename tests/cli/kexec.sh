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
sha256() { sha256sum "$1" | cut -d' ' -f1; }
BOOT=1b4e28ba-2fa1-11d2-883f-0016d3cca427
# stamp ROOT SHA: a stamp of this (fake) boot with an image loaded
stamp() {
	mkdir -p "$1/run" "$1/proc/sys/kernel/random" "$1/sys/kernel"
	echo 1 >"$1/sys/kernel/kexec_loaded"
	echo "$BOOT" >"$1/proc/sys/kernel/random/boot_id"
	printf 'kexec-kho-stamp 1\nboot_id=%s\nfile_load=1\nkho_cmdline=1\nkho_active=1\nchecked=1\nforced=0\nfdt_sha256=%s\n' \
		"$BOOT" "$2" >"$1/run/kexec-kho.stamp"
}

# 1. k1: clean outgoing state (serial.log: the live update went through)
kx --kho-root "$k1" --kho-check
is "$rc" 0 "--kho-check on the clean k1 state: exit 0"
grep -q '0 error(s)' "$TMP/err"; ok $? "reports 0 errors"
KEXEC_KHO_ROOT=$k1 "$KEXEC_BIN" --kho-check -e >/dev/null 2>"$TMP/err"
is "$?" 0 "KEXEC_KHO_ROOT + --kho-check -e: exit 0 (the state alone)"

# 2. a scratch area over preserved memory (memfd 0x2b at PFN 0x14c7, serial.log)
bad=$TMP/k1bad
cp -a "$k1" "$bad"
printf '0x14c7000\n' >"$bad/sys/kernel/debug/kho/out/scratch_phys"
printf '0x1000\n' >"$bad/sys/kernel/debug/kho/out/scratch_len"
kx --kho-root "$bad" --kho-check
is "$rc" 1 "--kho-check with scratch over preserved memory: exit 1"
grep -q 'KHO error KHO-E' "$TMP/err"; ok $? "prints an error finding"
grep -q '0x14c7000' "$TMP/err"; ok $? "the finding names 0x14c7000"
stamp "$bad" "$(sha256 "$F/root.fdt")"
kx --kho-root "$bad" -e
is "$rc" 1 "-e refused on the bad state (current stamp)"
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
	# a simulated load below the root writes the stamp
	ld=$TMP/k1load
	cp -a "$k1" "$ld"
	mkdir -p "$ld/proc/sys/kernel/random" "$ld/sys/kernel"
	echo 0 >"$ld/sys/kernel/kexec_loaded"
	echo "$BOOT" >"$ld/proc/sys/kernel/random/boot_id"
	kx --kho-root "$ld" -s -l "$kern" --command-line="console=ttyS0 kho=on"
	is "$rc" 0 "simulated -s -l below the root: exit 0"
	st=$ld/run/kexec-kho.stamp
	grep -qx 'file_load=1' "$st" && grep -qx 'kho_cmdline=1' "$st" && grep -qx 'kho_active=1' "$st"
	ok $? "the stamp says kexec_file_load, kho=on, KHO active"
	grep -qx "fdt_sha256=$(sha256 "$F/root.fdt")" "$st"
	ok $? "the stamp holds sha256 of the full root FDT (root.fdt)"
	grep -qx "boot_id=$BOOT" "$st"; ok $? "the stamp holds the boot id"
	grep -qx "image_sha256=$(sha256 "$kern")" "$st"; ok $? "the stamp holds the image's sha256 (issue 17)"
	grep -qx "compat=accepted" "$st"; ok $? "the stamp says the image reads the state"
	echo 1 >"$ld/sys/kernel/kexec_loaded"
	kx --kho-root "$ld" -e
	is "$rc" 0 "-e after the simulated load: goes on"
	grep -q 'the one checked at load' "$TMP/err"; ok $? "says the state did not change"
	kx --kho-root "$ld" -c -l "$kern"
	is "$rc" 1 "-c -l refused"
	[ -f "$st" ]; ok $? "a refused load leaves the stamp alone"
	kx --kho-root "$ld" -s -l "$kern" --command-line="console=ttyS0"
	grep -qx 'kho_cmdline=0' "$st"; ok $? "a load without kho=on is stamped so"
	kx --kho-root "$ld" -e
	is "$rc" 1 "-e refused: the image does not take the handover"
	grep -q 'does not take the KHO handover' "$TMP/err"; ok $? "says why"
else
	for i in $(seq 1 18); do skip "no cached test kernel (tests/vm/build-kernel.sh)"; done
fi

# 5b. the load stamp at -e (written by hand: a kernel is not needed)
se=$TMP/k1stamp
cp -a "$k1" "$se"
kx --kho-root "$se" -e
is "$rc" 1 "-e without a stamp: refused (fails closed)"
grep -q 'no load stamp' "$TMP/err"; ok $? "says there is no load stamp"
grep -q 'refusing to reboot' "$TMP/err"; ok $? "says it refuses"
kx --kho-root "$se" -e --kho-force
is "$rc" 0 "-e --kho-force without a stamp: goes on"
grep -q 'WARNING: --kho-force' "$TMP/err"; ok $? "with a loud warning"
stamp "$se" "$(sha256 "$F/root.fdt")"
kx --kho-root "$se" -e
is "$rc" 0 "-e with a current stamp of the same state: goes on"
grep -q 'would go on' "$TMP/err"; ok $? "dry run says the reboot would go on"
stamp "$se" "$(printf '%064d' 0)"
kx --kho-root "$se" -e
is "$rc" 0 "-e after the state changed: the clean re-check decides"
grep -q 'changed since the image was loaded' "$TMP/err"; ok $? "says the state changed"
stamp "$se" "$(sha256 "$F/root.fdt")"
echo "00000000-0000-0000-0000-000000000000" >"$se/proc/sys/kernel/random/boot_id"
kx --kho-root "$se" -e
is "$rc" 1 "a stamp of another boot does not count"
[ ! -e "$se/run/kexec-kho.stamp" ]; ok $? "the stale stamp is removed"
stamp "$se" "$(sha256 "$F/root.fdt")"
echo 0 >"$se/sys/kernel/kexec_loaded"
kx --kho-root "$se" -e
is "$rc" 1 "a stamp with nothing loaded does not count"
stamp "$se" "$(sha256 "$F/root.fdt")"
kx --kho-root "$se" -e --no-kho-check
is "$rc" 0 "--no-kho-check -e with a current stamp: goes on"
grep -q 'KHO-W' "$TMP/err"; ok $((!$?)) "and checks nothing"

# 5c. --kho-save DIR: the bundle of the state about to be handed over
kx --kho-root "$se" -e --kho-save "$TMP/saved"
is "$rc" 0 "-e --kho-save: exit 0"
cmp -s "$TMP/saved/fdt.dtb" "$F/root.fdt"; ok $? "saved fdt.dtb is root.fdt (recovered from memory)"
is "$(jq -r '.schema + " " + .source + " " + .kernel_release' "$TMP/saved/manifest.json")" \
	"khoctl-capture live 7.2.13" "manifest: a live capture of 7.2.13"
for n in LUO kexec-metadata kho_test memblock; do
	cmp -s "$TMP/saved/blobs/$n" "$F/blobs/$n.bin" || break
done
ok $? "the four blobs equal the fixture's"
"$KHOCTL" verify --capture "$TMP/saved" >/dev/null 2>&1
ok $(($? > 1)) "khoctl verify reads the bundle back"
SOURCE_DATE_EPOCH=7 "$KHOCTL" capture --sysroot "$se" --live "$TMP/cap-ref" >/dev/null 2>&1
SOURCE_DATE_EPOCH=7 "$KEXEC_BIN" --kho-root "$se" -e --kho-save "$TMP/saved2" 2>/dev/null
diff -r "$TMP/cap-ref" "$TMP/saved2" >/dev/null; ok $? "byte-identical to khoctl capture --live"
kx --kho-root "$se" -e --kho-save "$TMP/saved"
is "$rc" 1 "--kho-save into an existing directory: the reboot is refused"

# 5d. --kho-dump prints the outgoing state
kx --kho-root "$k1" --kho-dump
is "$rc" 0 "--kho-dump: exit 0"
grep -q 'compatible: *kho-v4' "$TMP/out"; ok $? "names the kho-v4 compatible"
grep -q "totalsize: *$(wc -c <"$F/root.fdt" | tr -d ' ')\$" "$TMP/out"; ok $? "full FDT size (recovered)"
n=0; for s in LUO kexec-metadata kho_test memblock; do grep -q "^  $s " "$TMP/out" && n=$((n + 1)); done
is "$n" 4 "lists the four subtrees"

# 5e. will the new kernel read the handover (issue 17)? Synthetic images of
# the real kernels' strings (tests/cli/compat.sh): 7.3.4 reads all of the
# 7.2.13 state; the luo-bump kernel (luo-v99) would drop LUO and its memfds
IMGS=$TESTS_SRCDIR/fixtures/images
"$MKIMAGE" wrap bzimage xz "$IMGS/linux-7.3.4.strings" "$TMP/i73"
"$MKIMAGE" wrap bzimage xz "$IMGS/linux-7.2.13-luo-bump.strings" "$TMP/ibump"
kx --kho-root "$k1" --kho-check -s -l "$TMP/ibump" --command-line="kho=on"
is "$rc" 1 "-s -l of the luo-bump kernel: refused"
grep -q 'LUO.*writes luo-v5, the new kernel reads luo-v99: lost: every LUO session' "$TMP/err"
ok $? "names LUO: luo-v5 written, luo-v99 read, every session lost"
grep -q 'memfd-v2.*lost: 4 preserved files (3159824 bytes)' "$TMP/err"
ok $? "names the 4 memfds (3159824 bytes) lost with it"
grep -q 'refusing to load (--kho-force overrides)' "$TMP/err"; ok $? "says it refuses to load"
kx --kho-root "$k1" --kho-check --kho-force -s -l "$TMP/ibump" --command-line="kho=on"
grep -q 'WARNING: --kho-force: going on with the load' "$TMP/err"; ok $? "--kho-force: goes on past the image check"
kx --kho-root "$k1" --kho-check -s -l "$TMP/i73" --command-line="kho=on"
grep -q 'reads every part of the handover' "$TMP/err"; ok $? "-s -l of a 7.3.4 image: accepted"
grep -q 'refusing' "$TMP/err"; ok $((!$?)) "and not refused by the image check"
random_bytes 4096 3 "$TMP/inoise"
kx --kho-root "$k1" --kho-check -s -l "$TMP/inoise"
is "$rc" 1 "an image that cannot be read: refused (fails closed)"
grep -q 'cannot tell whether' "$TMP/err"; ok $? "says the image cannot be read"
# the stamp carries the check; -e checks the stamped image again
cs=$TMP/k1compat
cp -a "$k1" "$cs"
cstamp() { # ROOT IMAGE SHA COMPAT
	stamp "$1" "$(sha256 "$F/root.fdt")"
	printf 'compat=%s\ncompat_lost=2\nimage_sha256=%s\nimage=%s\n' "$4" "$3" "$2" >>"$1/run/kexec-kho.stamp"
}
cstamp "$cs" "$TMP/ibump" "$(sha256 "$TMP/ibump")" loses
kx --kho-root "$cs" -e
is "$rc" 1 "-e of a loaded luo-bump image: refused again"
grep -q 'writes luo-v5, the new kernel reads luo-v99' "$TMP/err"; ok $? "-e: lists what would be lost"
grep -q 'refusing to reboot' "$TMP/err"; ok $? "-e: refuses to reboot"
cstamp "$cs" "$TMP/ibump" "$(sha256 "$TMP/ibump")" loses
kx --kho-root "$cs" -e --kho-force
is "$rc" 0 "-e --kho-force: goes on despite the loss"
cstamp "$cs" "$TMP/i73" "$(sha256 "$TMP/i73")" accepted
kx --kho-root "$cs" -e
is "$rc" 0 "-e of a loaded 7.3.4 image: goes on"
cstamp "$cs" "$TMP/i73" "$(printf '%064d' 0)" accepted
kx --kho-root "$cs" -e
is "$rc" 1 "-e when the image file changed since the load: refused"
grep -q 'changed since it was loaded' "$TMP/err"; ok $? "says the image changed"

# 6. KHO not active: upstream behaviour, --kho-check says so
off=$TMP/nokho
mkdir -p "$off/proc" && echo "console=ttyS0" >"$off/proc/cmdline"
kx --kho-root "$off" --kho-check
is "$rc" 0 "no KHO: --kho-check exit 0"
grep -q 'not active' "$TMP/err"; ok $? "says KHO is not active"

done_testing
