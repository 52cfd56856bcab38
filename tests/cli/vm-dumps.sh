#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The real 7.2.13 dumps of `make check-vm`, slimmed (issue 18): khoctl with
# only the dump (no --fdt) against facts.txt, which tests/vm/check-dumps.sh
# wrote from what the guest printed and what vmdump (tests/vm/host, no
# libkhofmt) read from the full dumps -- never from khoctl. README.md of the
# fixture says how each file was made.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/vm/lib-vm.sh"

X=$TESTS_SRCDIR/fixtures/linux-7.2.13-dumps
fact() { sed -n "s/^$1 //p" "$X/facts.txt" | head -n 1; }
REL=$(fact release) PS=$(fact page_size) K1=$(fact k1_root) TR=$(fact k1_tracker) RAMP=$(fact ram_pages)
# shellcheck disable=SC2046
set -- $(fact k2_setup_data)
K2=$1 K2SCR=$3
[ -n "$REL" ] && [ -n "$K1" ] && [ -n "$K2" ] || bail_out "facts.txt incomplete"

# same DESC ROOT CORE CMD...: --mem CORE alone prints what --fdt ROOT --mem
# CORE prints, less what legitimately differs (where the page size came
# from; rules that need the root's address, which only a found root has)
norm() {
	sed -E '/page.size.(basis|reason)/d; /root FDT address unknown/d; /^ *skipped: /d' "$1" |
		sed -E 's/"page_size_(basis|reason)":"[^"]*",?//g' >"$1.n"
}
same() {
	desc=$1 root=$2 core=$3
	shift 3
	kho "$TMP/a" "$TMP/ea" "$@" --mem "$core"
	ra=$rc
	kho "$TMP/b" "$TMP/eb" "$@" --fdt "$root" --mem "$core"
	norm "$TMP/a"
	norm "$TMP/b"
	diff "$TMP/a.n" "$TMP/b.n" | head -n 6 | comment
	is "$ra $(cmp -s "$TMP/a.n" "$TMP/b.n" && echo same)" "$rc same" "$desc: $*: the same output and exit ($rc) as with --fdt"
	crashy "$TMP/ea" && ok 1 "$desc: no crash" && head -c 2000 "$TMP/ea" | comment
	true
}

# ---- oracles on the fixture itself
if command -v fdtget >/dev/null 2>&1; then
	is "$(printf 0x%x "$(prop64 "$X/root.fdt" / preserved-memory-map)")" "$TR" \
		"oracle: root.fdt's preserved-memory-map is the tracker page the facts name"
else
	skip "fdtget not installed (device-tree-compiler)"
fi
off=$(core_offset "$X/k2-slim.elf" "$((K2))")
dd if="$X/k2-slim.elf" bs=1 skip="${off:-0}" count="$(wc -c <"$X/k2-in-fdt.bin")" 2>/dev/null >"$TMP/k2fdt"
ok "$(cmp -s "$TMP/k2fdt" "$X/k2-in-fdt.bin"; echo $?)" \
	"oracle: k2-slim.elf holds debugfs kho/in/fdt at $K2, where the guest's setup_data points"

# ---- k1-slim.kdump: the first kernel, kdump-compressed, its own VMCOREINFO
expect_exit 0 "dump --mem k1-slim.kdump" dump --mem "$X/k1-slim.kdump"
ok "$(grep -q 'kdump-compressed' "$TMP/err" && grep -q 'machine x86_64' "$TMP/err"; echo $?)" \
	"k1-slim: the format and machine of the kdump header are shown"
ok "$(grep -q "VMCOREINFO (kdump header): PAGESIZE=$PS -> page shift 12\$" "$TMP/err" &&
	grep -q "VMCOREINFO: OSRELEASE=$REL -> producer $REL\$" "$TMP/err"; echo $?)" \
	"k1-slim: PAGESIZE=$PS and OSRELEASE=$REL from the real kernel's VMCOREINFO"
ok "$(grep -q "candidate at $K1 (kho-v4): page scan" "$TMP/err" &&
	grep -q "using the KHO root at $K1 (the only candidate" "$TMP/err"; echo $?)" \
	"k1-slim: the outgoing root at $K1 (where vmdump found debugfs kho/out/fdt), by the page scan, named and used"
ok "$(grep -q "$RAMP pages of RAM are not in the dump" "$TMP/err"; echo $?)" \
	"k1-slim: the $RAMP RAM pages left out of the dump are counted"
for cmd in dump stat ranges "ranges --folios" "dump --json" verify; do
	# shellcheck disable=SC2086
	same "k1-slim.kdump" "$X/root.fdt" "$X/k1-slim.kdump" $cmd
done
expect_exit 0 "ranges --folios --mem k1-slim.kdump" ranges --folios --mem "$X/k1-slim.kdump" --json
cp "$TMP/out" "$TMP/folios.json"
# the guest's folios (kho_test's own list, read from the dump by vmdump;
# the memfd pages from /proc/self/pagemap) against what khoctl lists
missing() { # TAG -> the facts of TAG that khoctl does not list
	sed -n "s/^$1 //p" "$X/facts.txt" | jq -R 'split(" ") | map(tonumber)' | jq -s -c . >"$TMP/want.json"
	jq -r --slurpfile w "$TMP/want.json" '
		(reduce .folios[] as $f ({}; .["\($f.phys) \($f.order)"] = true)) as $have
		| $w[0][] | select($have["\(.[0]) \(.[1])"] | not) | "\(.[0]) \(.[1])"' "$TMP/folios.json"
}
for tag in kho_test memfd_0x1a memfd_0x2b; do
	n=$(grep -c "^$tag " "$X/facts.txt")
	is "$(missing "$tag" | wc -l | tr -d ' ')" 0 "k1-slim.kdump alone: all $n $tag folios the guest listed, with their order"
done
# shellcheck disable=SC2046
set -- $(fact "reserve_mem sample")
"$KHOCTL" ranges --mem "$X/k1-slim.kdump" --json 2>/dev/null |
	jq -e --argjson s "$(($1))" --argjson n "$2" 'any(.ranges[]; .start <= $s and $s + $n <= .start + .size)' >/dev/null
ok $? "k1-slim.kdump alone: reserve_mem sample [$1, +$2) preserved"

# ---- k1-notracker.kdump: the same with the tracker root page left out
# (as makedumpfile -d 31 leaves it out in 7.2.13, tests/vm/check-dumps.sh)
expect_exit 2 "stat --mem k1-notracker.kdump" stat --mem "$X/k1-notracker.kdump"
ok "$(grep -q "radix root $TR (preserved-memory-map) is not in the dump (RAM the dump tool left out)" "$TMP/err"; echo $?)" \
	"k1-notracker: the missing page $TR named, said to be left out of the dump"
ok "$(grep -q "$((RAMP + 1)) pages of RAM are not in the dump" "$TMP/err"; echo $?)" \
	"k1-notracker: $((RAMP + 1)) RAM pages not in the dump (one more than k1-slim)"
ok "$(grep -Eqi 'corrupt|malformed' "$TMP/err"; [ $? -ne 0 ]; echo $?)" "k1-notracker: no corruption reported"

# ---- k2-slim.elf: the second kernel: the incoming root through setup_data
expect_exit 2 "dump --mem k2-slim.elf (7.2.13 freed the incoming radix tree)" dump --mem "$X/k2-slim.elf"
ok "$(grep -q "candidate at $K2 (kho-v4): boot_params setup_data type 10 (the root this kernel received)" "$TMP/err" &&
	grep -q "using the KHO root at $K2 (the only candidate" "$TMP/err"; echo $?)" \
	"k2-slim: the incoming root $K2 (the guest's sysfs setup_data) found through boot_params and used"
ok "$(grep -q "VMCOREINFO (ELF note VMCOREINFO): PAGESIZE=$PS" "$TMP/err"; echo $?)" "k2-slim: VMCOREINFO from the ELF note"
for cmd in dump "dump --json" stat; do
	# shellcheck disable=SC2086
	same "k2-slim.elf" "$X/k2-in-fdt.bin" "$X/k2-slim.elf" $cmd
done
expect_exit 0 "k2-slim: capture --mem (the blobs decode)" capture --mem "$X/k2-slim.elf" "$TMP/cap2"
for n in $(fdtget -l "$X/k2-in-fdt.bin" / 2>/dev/null); do
	pa=$(prop64 "$X/k2-in-fdt.bin" "/$n" preserved-data)
	sz=$(prop64 "$X/k2-in-fdt.bin" "/$n" blob-size)
	off=$(core_offset "$X/k2-slim.elf" "$pa")
	dd if="$X/k2-slim.elf" bs=1 skip="${off:-0}" count="$sz" 2>/dev/null | cmp -s - "$TMP/cap2/blobs/$n"
	ok $? "k2-slim: blob $n in the capture == its bytes in the dump at the address kho/in/fdt gives"
done

done_testing
