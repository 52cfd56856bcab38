#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# kdump-compressed dumps read through libkdumpfile (issue 18). The dumps are
# written by tests/gen/mkkdump from khoctl synth's ELF cores in
# makedumpfile's diskdump layout (zlib and plain pages), with pages left out
# as makedumpfile -d 31 leaves them out. Oracle: the same state read from
# the ELF core, and the page counts mkkdump put in.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

[ -n "${MKKDUMP:-}" ] || bail_out "MKKDUMP is not set"

# ---- a 4 KiB state with the 7.2.13-shaped schemas
kho "$TMP/o" "$TMP/e" synth --output "$TMP/s" --schemas --gen random0 --count 300 --ram 64M --seed 7
is "$rc" 0 "synth a kho-v4 state" || head -c 1000 "$TMP/e" | comment
is "$("$MKKDUMP" "$TMP/s.elf" "$TMP/s.kdump")" "absent 0" "mkkdump: every page in the dump"
# the same with synth's RAM window (0x100000000 + 64 MiB: the folios) as RAM
# whose pages were left out, like makedumpfile -d 31 leaves out user pages
# (and --schemas' data area 0x20000000 + 32 MiB)
ABS=$("$MKKDUMP" --ram-extra 0x100000000+0x4000000 --ram-extra 0x20000000+0x2000000 \
	"$TMP/s.elf" "$TMP/r.kdump" | sed -n 's/^absent //p')
ok "$([ "${ABS:-0}" -ge 16384 ]; echo $?)" "mkkdump: $ABS RAM pages left out (the RAM window's 16384 and more)"

# What legitimately differs between the two runs: where the page size came
# from (VMCOREINFO, the tracker, an option), and the rules that need the root
# FDT address, which a root found in memory gives and --fdt FILE does not.
norm() {
	sed -E '/page.size.(basis|reason)/d; /root FDT address unknown/d; /^ *skipped: /d' "$1" |
		sed -E 's/"page_size_(basis|reason)":"[^"]*",?//g' >"$1.n"
}
same() {
	local desc=$1 a=$2 b=$3
	shift 3
	# shellcheck disable=SC2086
	kho "$TMP/a" "$TMP/ea" "$@" $a
	ra=$rc
	# shellcheck disable=SC2086
	kho "$TMP/b" "$TMP/eb" "$@" $b
	diff "$TMP/a" "$TMP/b" | head -n 6 | comment
	is "$ra $(norm "$TMP/a"; norm "$TMP/b"; cmp -s "$TMP/a.n" "$TMP/b.n" && echo same)" "$rc same" "$desc: $*: same output, exit $rc"
	crashy "$TMP/ea" && ok 1 "$desc: no crash" && head -c 2000 "$TMP/ea" | comment
}
for cmd in dump stat "ranges --folios"; do
	# shellcheck disable=SC2086
	same "kdump vs ELF" "--fdt $TMP/s.fdt --mem $TMP/s.kdump" "--fdt $TMP/s.fdt --mem $TMP/s.elf" $cmd
	# shellcheck disable=SC2086
	same "kdump alone" "--mem $TMP/s.kdump" "--fdt $TMP/s.fdt --mem $TMP/s.elf" $cmd
done
expect_exit 0 "dump --mem s.kdump" dump --mem "$TMP/s.kdump"
ok "$(grep -qi 'kdump' "$TMP/err" && grep -q 'machine x86_64' "$TMP/err"; echo $?)" \
	"the format and machine of the kdump header are shown"
ok "$(grep -q 'VMCOREINFO (kdump header): PAGESIZE=4096 -> page shift 12' "$TMP/err"; echo $?)" \
	"VMCOREINFO from the kdump header"
ok "$(grep -q 'using the KHO root at' "$TMP/err"; echo $?)" "the root is found in the kdump file"
expect_exit 0 "verify --mem r.kdump (no RAM map given)" verify --mem "$TMP/r.kdump"
ok "$(grep -q 'RAM the dump describes (its page bitmap)' "$TMP/out"; echo $?)" \
	"verify uses the RAM of the kdump page bitmap and says so"
ok "$(grep -q "$ABS pages of RAM are not in the dump" "$TMP/err"; echo $?)" \
	"the count of RAM pages not in the dump is the one mkkdump left out ($ABS)"

# ---- filtered pages: RAM left out of the dump is "not in the dump"
is "$("$MKKDUMP" --ram-extra 0x30000000+0x100000 "$TMP/s.elf" "$TMP/f.kdump")" "absent 256" \
	"mkkdump: 256 RAM pages left out"
same "filtered, KHO pages present" "--mem $TMP/f.kdump" "--fdt $TMP/s.fdt --mem $TMP/s.elf" dump
expect_exit 0 "dump of a filtered kdump" dump --mem "$TMP/f.kdump"
ok "$(grep -q '256 pages of RAM are not in the dump' "$TMP/err"; echo $?)" "filtered: the count of pages not in the dump"

if command -v fdtget >/dev/null 2>&1; then
	# The tracker root page, from the FDT itself (doc/ABI.md: u64 LE in two cells).
	set -- $(fdtget -t x "$TMP/s.fdt" / preserved-memory-map)
	MAP=$(cells_to_u64 "0x$1" "0x$2")
	MAPX=$(printf '0x%x' "$MAP")
	is "$("$MKKDUMP" --drop "$MAPX" --ram-extra 0x30000000+0x100000 "$TMP/s.elf" "$TMP/t.kdump")" "absent 257" \
		"mkkdump: the tracker root page $MAPX left out too"
	expect_exit 2 "tracker root page not in the dump" stat --fdt "$TMP/s.fdt" --mem "$TMP/t.kdump"
	ok "$(grep -q "radix root $MAPX (preserved-memory-map) is not in the dump (RAM the dump tool left out)" "$TMP/err" &&
		grep -q '257 pages of RAM are not in the dump' "$TMP/err"; echo $?)" \
		"missing tracker page: named, said to be not in the dump, never corruption"
	ok "$(grep -qi 'corrupt\|malformed' "$TMP/err"; [ $? -ne 0 ]; echo $?)" "no corruption reported"
else
	skip "fdtget not installed (device-tree-compiler)"
fi

# ---- page size from VMCOREINFO: 16 KiB and 64 KiB producers
for ps in 16384 65536; do
	shift_=$([ "$ps" = 16384 ] && echo 14 || echo 16)
	kho "$TMP/o" "$TMP/e" synth --output "$TMP/p$ps" --page-shift "$shift_" --gen random0 --count 50 --ram 256M --seed 3
	is "$rc" 0 "synth a $ps-byte-page state"
	"$MKKDUMP" --page-size "$ps" "$TMP/p$ps.elf" "$TMP/p$ps.kdump" >/dev/null
	"$MKKDUMP" --elf --page-size "$ps" "$TMP/p$ps.elf" "$TMP/p$ps.vi.elf" >/dev/null
	for f in kdump vi.elf; do
		same "PAGESIZE=$ps ($f)" "--mem $TMP/p$ps.$f" "--fdt $TMP/p$ps.fdt --mem $TMP/p$ps.elf --page-shift $shift_" stat --json
		expect_exit 0 "stat --mem p$ps.$f" stat --mem "$TMP/p$ps.$f"
		ok "$(grep -q "PAGESIZE=$ps -> page shift $shift_\$" "$TMP/err"; echo $?)" "$f: page shift $shift_ from VMCOREINFO"
		is "$(jq .page_size "$TMP/out" 2>/dev/null || "$KHOCTL" stat --mem "$TMP/p$ps.$f" --json 2>/dev/null | jq .page_size)" "$ps" "$f: stat decodes with $ps-byte pages"
	done
	kho "$TMP/o" "$TMP/e" stat --mem "$TMP/p$ps.kdump" --fdt "$TMP/p$ps.fdt" --page-shift 12
	ok "$(grep -q '(--page-shift wins)' "$TMP/e"; echo $?)" "PAGESIZE=$ps: an explicit --page-shift still wins, and says so"
done

done_testing
