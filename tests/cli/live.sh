#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# --live / --incoming through --sysroot trees built from the real 7.2.13
# capture: blobs/debugfs/* are the debugfs files both kernels showed,
# serial.log has scratch_phys/scratch_len and /proc/iomem, and /proc/kcore
# is a kcore-shaped ELF made from the slim cores by tests/gen/mkkcore.
# Every failure the live path knows gets its own tree and its own message.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/sysroot.sh"

# ---- k1 --live: Q2 detected, the full FDT recovered from memory
expect_exit 0 "dump --live (truncated fdt)" dump --json --live --sysroot "$k1"
grep -q 'truncated' "$TMP/err"; ok $? "says the debugfs fdt is truncated"
grep -q 'recovered the root FDT (405 bytes)' "$TMP/err"; ok $? "says it recovered 405 bytes"
is "$(jq '.fdt.totalsize' "$TMP/out")" 405 "recovered totalsize = root.fdt size"
is "$(jq -r '[.subnodes[].name] | sort | join(",")' "$TMP/out")" \
	"LUO,kexec-metadata,kho_test,memblock" "all four subnodes (only 2 fit the prefix)"
is "$(jq '.tracker.folios' "$TMP/out")" \
	"$("$KHOCTL" stat --json --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf" | jq .folios)" \
	"tracker through kcore = tracker through the ELF core"
# ranges read with pread (kcore is not mapped) = ranges from the mapped ELF
expect_exit 0 "ranges --live" ranges --json --live --sysroot "$k1"
jq -c .ranges "$TMP/out" >"$TMP/ranges-kcore"
"$KHOCTL" ranges --json --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf" | jq -c .ranges >"$TMP/ranges-elf"
cmp -s "$TMP/ranges-kcore" "$TMP/ranges-elf" && [ -s "$TMP/ranges-elf" ]
ok $? "ranges through kcore (pread) = ranges through the ELF core (mapped)"
expect_exit 0 "capture --live" capture --live --sysroot "$k1" "$TMP/cap-k1"
cmp -s "$TMP/cap-k1/fdt.dtb" "$F/root.fdt"; ok $? "captured FDT is byte-identical to root.fdt"
is "$(jq -r '.kernel_release' "$TMP/cap-k1/manifest.json")" 7.2.13 "release from osrelease"
is "$(jq -c '[.scratch[] | [.start, .size]]' "$TMP/cap-k1/manifest.json")" \
	"[[$((0x1c000000)),$((0x3000000))],[$((0x1fc00000)),0],[$((0xec00000)),$((0x9000000))]]" \
	"scratch areas from scratch_phys/scratch_len"
is "$(jq -c '[.ram[] | [.start, .size]]' "$TMP/cap-k1/manifest.json")" \
	"[[4096,$((0x9fc00 - 0x1000))],[$((0x100000)),$((0x1ffe0000 - 0x100000))]]" \
	"System RAM from iomem"
is "$(jq '.fdt.recovered' "$TMP/cap-k1/manifest.json")" true "manifest: recovered"

# recovery through the scan: kcore without the tracker pages but with the
# root FDT page (moved to another address: only a scan can find it)
fdtpa=$(jq '.fdt.fdt_pa' "$TMP/cap-k1/manifest.json")
head -c 4096 /dev/zero >"$TMP/page"
dd if="$F/root.fdt" of="$TMP/page" conv=notrunc 2>/dev/null
k1s=$TMP/k1s
cp -r "$k1" "$k1s"
"$KHOCTL" synth --folios /dev/null --blob "x=$TMP/page" --output "$TMP/onepage" >/dev/null 2>&1 &&
	"$MKKCORE" "$TMP/onepage.elf" "$k1s/proc/kcore" || bail_out "synth"
# the tracker pages are not in that kcore: dump shows the FDT, exits 2
expect_exit 2 "dump --live: recovery by scan" dump --json --live --sysroot "$k1s"
grep -q 'memory scan' "$TMP/err"; ok $? "says it used the memory scan"
is "$(jq '.fdt.totalsize' "$TMP/out")" 405 "scan finds the 405-byte FDT"
diag "root FDT page in the real capture at $fdtpa"

# ---- k2 --incoming: the state received; --live there: Q1
# the tracker pages were reused by the second kernel: FDT and blobs shown,
# the tracker said to be consumed (a state, not a failure: exit 0)
expect_exit 0 "dump --incoming" dump --json --incoming --sysroot "$k2"
is "$(jq '.fdt.totalsize' "$TMP/out")" "$(wc -c <"$F/root.fdt" | tr -d ' ')" "incoming fdt = root.fdt size"
expect_exit 2 "stat --incoming (tracker pages reused after boot)" stat --incoming --sysroot "$k2"
expect_exit 2 "dump --live on a KHO-booted kernel" dump --live --sysroot "$k2"
grep -q 'booted' "$TMP/err" && grep -q -- '--incoming' "$TMP/err"
ok $? "Q1: says the kernel was KHO-booted and suggests --incoming"

# ---- the errors, one tree each
e=$TMP/e-nodebugfs; mkdir -p "$e/sys/kernel/debug"
expect_exit 2 "debugfs not mounted" dump --live --sysroot "$e"
grep -q 'mount -t debugfs none /sys/kernel/debug' "$TMP/err"; ok $? "says how to mount debugfs"

e=$TMP/e-nokho; mkdir -p "$e/sys/kernel/debug/tracing"
expect_exit 2 "no kho in debugfs" dump --live --sysroot "$e"
grep -q 'kho=on' "$TMP/err" && grep -q 'CONFIG_KEXEC_HANDOVER' "$TMP/err"
ok $? "says KHO is not built or not enabled (kho=on)"

e=$TMP/e-noin; cp -r "$k1" "$e"
expect_exit 2 "--incoming after a cold boot" dump --incoming --sysroot "$e"
grep -q 'not booted through KHO' "$TMP/err"; ok $? "says nothing was handed over"

e=$TMP/e-final; mkdir -p "$e/sys/kernel/debug/kho/out/sub_fdts"
: >"$e/sys/kernel/debug/kho/out/finalize"
expect_exit 2 "not finalized (6.16-7.0 layout)" dump --live --sysroot "$e"
grep -q 'not finalized' "$TMP/err"; ok $? "says the state is not finalized"

e=$TMP/e-layout; mkdir -p "$e/sys/kernel/debug/kho/out"
: >"$e/sys/kernel/debug/kho/out/blob0"; : >"$e/sys/kernel/debug/kho/out/zzz"
expect_exit 2 "unknown debugfs layout" dump --live --sysroot "$e"
grep -q 'unknown KHO debugfs layout' "$TMP/err" && grep -q 'found: blob0, zzz' "$TMP/err"
ok $? "names the files found"

e=$TMP/e-layout2; mkdir -p "$e/sys/kernel/debug/kho/future"
expect_exit 2 "unknown debugfs layout (no out/)" dump --live --sysroot "$e"
grep -q 'found: future' "$TMP/err"; ok $? "names the directories found"

e=$TMP/e-nokcore; cp -r "$k1" "$e"; rm "$e/proc/kcore"
expect_exit 2 "no /proc/kcore (stat needs memory)" stat --live --sysroot "$e"
grep -q 'CONFIG_PROC_KCORE' "$TMP/err"; ok $? "says kcore is absent"

e=$TMP/e-badkcore; cp -r "$k1" "$e"; cp "$F/root.fdt" "$e/proc/kcore"
expect_exit 2 "kcore not an ELF core" stat --live --sysroot "$e"

e=$TMP/e-hidden; cp -r "$k1" "$e"; sed 's/[0-9a-f]*-[0-9a-f]* :/00000000-00000000 :/' "$k1/proc/iomem" >"$e/proc/iomem"
expect_exit 0 "iomem read without root" dump --live --sysroot "$e"
grep -q 'needs root' "$TMP/err"; ok $? "says iomem addresses are hidden"

# not root: kcore and debugfs unreadable for an unprivileged user
# (the user must be able to run khoctl at all: not so in a build tree below
# a private directory)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 &&
	setpriv --reuid=65534 --regid=65534 --clear-groups "$KHOCTL" --version >/dev/null 2>&1; then
	e=$TMP/e-perm; cp -r "$k1" "$e"; chmod -R a+rX "$TMP"; chmod 0400 "$e/proc/kcore"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$KHOCTL" stat --live --sysroot "$e" >"$TMP/out" 2>"$TMP/err"
	is "$?" 2 "unprivileged: exit 2"
	grep -q 'needs root' "$TMP/err" && grep -q '/proc/kcore' "$TMP/err"
	ok $? "unprivileged: says /proc/kcore needs root"
	diag "$(cat "$TMP/err")"
	chmod 0700 "$e/sys/kernel/debug"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$KHOCTL" dump --live --sysroot "$e" >"$TMP/out" 2>"$TMP/err"
	is "$?" 2 "unprivileged, debugfs 0700: exit 2"
	grep -q 'root' "$TMP/err"; ok $? "unprivileged: says debugfs needs root"
	diag "$(cat "$TMP/err")"
else
	skip "not root, no setpriv, or nobody cannot run khoctl here: permission errors"
	skip "not root or no setpriv"
	skip "not root or no setpriv"
	skip "not root or no setpriv"
fi

expect_exit 64 "--sysroot without --live" dump --fdt "$F/root.fdt" --sysroot "$k1"
expect_exit 64 "--live with --fdt" dump --live --fdt "$F/root.fdt"

done_testing
