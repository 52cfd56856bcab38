#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# --mem DUMP without --fdt: the root is found in memory (issue 18). On the
# real 7.2.13 slim cores every command must print exactly what it prints
# with the root FDT given; which page the root is on is checked against the
# fixture's own bytes (dd of the PT_LOAD readelf shows, compared with
# root.fdt), not against khoctl.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

F=$FIXTURES
E2E=$(dirname "$F")/linux-7.2.13-vm-e2e

# The root FDT page of the first kernel: slim-kexec.elf has PT_LOAD
# p_paddr 0x2c7000 at file offset 0x2000 (readelf -l); its first 405 bytes
# are root.fdt.
dd if="$F/slim-kexec.elf" bs=4096 skip=2 count=1 2>/dev/null | head -c "$(wc -c <"$F/root.fdt")" >"$TMP/page"
ok "$(cmp -s "$TMP/page" "$F/root.fdt"; echo $?)" "oracle: root.fdt is the page at 0x2c7000 of slim-kexec.elf"

# same CMD... : output with --mem alone == output with --fdt ROOT
# What legitimately differs between the two runs: where the page size came
# from (VMCOREINFO, the tracker, an option), and the rules that need the root
# FDT address, which a root found in memory gives and --fdt FILE does not.
norm() {
	sed -E '/page.size.(basis|reason)/d; /root FDT address unknown/d; /^ *skipped: /d' "$1" |
		sed -E 's/"page_size_(basis|reason)":"[^"]*",?//g' >"$1.n"
}
same() {
	local root=$1 core=$2 desc=$3
	shift 3
	kho "$TMP/a" "$TMP/ea" "$@" --mem "$core"
	ra=$rc
	kho "$TMP/b" "$TMP/eb" "$@" --fdt "$root" --mem "$core"
	diff "$TMP/a" "$TMP/b" | head -n 6 | comment
	is "$ra $(norm "$TMP/a"; norm "$TMP/b"; cmp -s "$TMP/a.n" "$TMP/b.n" && echo same)" "$rc same" "$desc: $*: same output and exit ($rc) as with --fdt"
	crashy "$TMP/ea" && ok 1 "$desc: no crash" && head -c 2000 "$TMP/ea" | comment
}

for c in pre kexec; do
	for cmd in dump stat ranges "ranges --folios" "dump --json" verify map "map --json"; do
		# shellcheck disable=SC2086
		same "$F/root.fdt" "$F/slim-$c.elf" "slim-$c" $cmd
	done
done
for cmd in dump stat "ranges --folios" verify; do
	# shellcheck disable=SC2086
	same "$F/root-k2.fdt" "$F/slim-post.elf" "slim-post" $cmd
done

# ---- what it says about the choice
expect_exit 0 "dump --mem slim-kexec.elf" dump --mem "$F/slim-kexec.elf"
ok "$(grep -q 'using the KHO root at 0x2c7000 (the only candidate' "$TMP/err"; echo $?)" \
	"slim-kexec: root at 0x2c7000, the only candidate"
ok "$(grep -q 'candidate at 0x2c7000 (kho-v4): page scan.*tracker consistent, 818 folios' "$TMP/err"; echo $?)" \
	"slim-kexec: found by the page scan, tracker consistent"
ok "$(grep -q 'kho-test' "$TMP/err"; [ $? -ne 0 ]; echo $?)" "kho-test-v1 sub-FDTs are not roots"

# slim-post: the second kernel's own outgoing root (root-k2.fdt) and the
# first kernel's root, whose tracker pages were reused (README).
expect_exit 0 "dump --mem slim-post.elf" dump --mem "$F/slim-post.elf"
is "$(grep -c 'KHO root candidate at' "$TMP/err")" 2 "slim-post: two candidates listed"
ok "$(grep -q 'candidate at 0x2c7000 (kho-v4).*tracker not readable' "$TMP/err"; echo $?)" \
	"slim-post: the first kernel's root is listed with an unreadable tracker"
ok "$(grep -q 'using the KHO root at 0x1a8000 (first candidate with a consistent tracker' "$TMP/err"; echo $?)" \
	"slim-post: default is the root whose tracker is consistent, and says why"
kho "$TMP/a" "$TMP/ea" dump --mem "$F/slim-post.elf" --root-pa 0x2c7000
kho "$TMP/b" "$TMP/eb" dump --fdt "$F/root.fdt" --mem "$F/slim-post.elf"
is "$rc $(cmp -s "$TMP/a" "$TMP/b" && echo same)" "2 same" \
	"--root-pa 0x2c7000 picks the stale root: fails like --fdt root.fdt (exit 2)"
expect_exit 2 "--root-pa where no root is" dump --mem "$F/slim-post.elf" --root-pa 0x1000
ok "$(grep -q 'no KHO root found there' "$TMP/err"; echo $?)" "--root-pa 0x1000: says no root there"
expect_exit 64 "--root-pa with --fdt" dump --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf" --root-pa 0x2c7000

# ---- no root in the dump: exit 2, bounded
expect_exit 2 "slim-k1.elf holds no root page" dump --mem "$E2E/slim-k1.elf"
ok "$(grep -q 'no KHO root in this dump' "$TMP/err"; echo $?)" "slim-k1: says there is no KHO root"
truncate -s 64M "$TMP/zero.raw"
expect_exit 2 "64 MiB of zeros (raw@0x100000000)" stat --mem "$TMP/zero.raw@0x100000000"
ok "$(grep -q 'no KHO root in this dump' "$TMP/err"; echo $?)" "zeros: says there is no KHO root"

# ---- capture and diff from the dump alone
kho "$TMP/o" "$TMP/e" capture --mem "$F/slim-kexec.elf" "$TMP/cap-a"
kho "$TMP/o" "$TMP/e" capture --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf" "$TMP/cap-b"
is "$(cd "$TMP/cap-a" && find . -type f ! -name manifest.json -exec sha256sum {} + | sort)" \
	"$(cd "$TMP/cap-b" && find . -type f ! -name manifest.json -exec sha256sum {} + | sort)" \
	"capture --mem alone: the same bundle files as with --fdt"
expect_diff 0 "diff DUMP FDT:DUMP" "$F/slim-kexec.elf" "$F/root.fdt:$F/slim-kexec.elf"
expect_diff 0 "diff :DUMP DUMP" ":$F/slim-pre.elf" "$F/slim-pre.elf"

# ---- a dump with VMCOREINFO that describes its RAM (mkkdump --elf)
"$MKKDUMP" --elf --release 7.2.13 "$F/slim-kexec.elf" "$TMP/vi.elf" >/dev/null ||
	bail_out "mkkdump --elf failed"
# Its PT_LOADs (slim: the KHO pages only) are taken as the RAM map, so the
# preserved folios outside them are "not System RAM" (KHO-E041): proof that
# the dump's RAM was used.
expect_exit 1 "verify an ELF with VMCOREINFO, no RAM map given" verify --mem "$TMP/vi.elf"
ok "$(grep -q 'KHO-E041' "$TMP/out"; echo $?)" "verify checked RAM rules against the dump's PT_LOADs"
ok "$(grep -q 'VMCOREINFO (ELF note VMCOREINFO): PAGESIZE=4096 -> page shift 12' "$TMP/err"; echo $?)" \
	"VMCOREINFO note: PAGESIZE read, shown with where it came from"
ok "$(grep -q 'OSRELEASE=7.2.13 -> producer 7.2.13' "$TMP/err"; echo $?)" "VMCOREINFO note: OSRELEASE -> producer"
ok "$(grep -q 'RAM the dump describes' "$TMP/out"; echo $?)" "verify says its RAM map is the RAM the dump describes"

done_testing
