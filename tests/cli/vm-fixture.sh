#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl on the capture made by `make check-vm` (tests/fixtures/linux-7.2.13-vm-e2e).
# Expected facts: the guest's serial.log (memfd PFNs from pagemap, reserve_mem
# size from the command line), test_kho's folio list read from the slim core
# with readelf/od/fdtget (no libkhofmt), lib/test_kho.c's max_mem.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/vm/lib-vm.sh"

F=${TESTS_SRCDIR:-$(dirname "$0")/..}/fixtures/linux-7.2.13-vm-e2e
command -v fdtget >/dev/null 2>&1 || skip_all "fdtget (device-tree-compiler) not installed"
command -v "${READELF:-readelf}" >/dev/null 2>&1 || skip_all "readelf not installed"
IN="--fdt $F/root.fdt --mem $F/slim-k1.elf"

expect_exit 0 "stat" stat $IN --json
is "$(jq -r .abi "$TMP/out")" "$(fdtget -t s "$F/root.fdt" / compatible)" "stat: abi = root compatible"
expect_exit 0 "ranges --folios" ranges $IN --folios --json
cp "$TMP/out" "$TMP/folios.json"
expect_exit 0 "ranges" ranges $IN --json
cp "$TMP/out" "$TMP/ranges.json"
cmp -s "$F/root.fdt" "$F/blobs/k2-in-fdt.bin"
ok $? "root.fdt == the second kernel's kho/in/fdt"

# kho_test: blob -> kho_vmalloc -> chunk page -> data page -> "phys | order"
KT=$F/blobs/k1-out-sub-kho_test.bin
kho_test_folios "$F/slim-k1.elf" "$KT" "$TMP/want"
nr=$kt_nr pages=$kt_pages
ok "$kt_ok" "kho_test: $nr folios, list pages in the slim core"
is "$pages" 2048 "kho_test: folios add up to max_mem = 8 MiB"
miss=$(jq -R 'split(" ") | map(tonumber)' "$TMP/want" | jq -s -c . >"$TMP/want.json" &&
	jq -r --slurpfile w "$TMP/want.json" '
		(reduce .folios[] as $f ({}; .["\($f.phys) \($f.order)"] = true)) as $have
		| [$w[0][] | select($have["\(.[0]) \(.[1])"] | not)] | length' "$TMP/folios.json")
is "$miss" 0 "kho_test: every folio listed by khoctl with its order"

# memfd PFNs (pagemap, first kernel) are preserved; same PFNs after kexec
for tag in 0x1a 0x2b; do
	awk -v tag="$tag" '/^=== KEXEC NOW/ { exit } $1 == "LUOX" && $2 == tag && $3 == "pfn-runs:" {
		for (i = 4; i <= NF; i++) print $i }' "$F/serial.log" >"$TMP/k1-$tag"
	awk -v tag="$tag" '/^=== KEXEC NOW/ { on = 1 } on && $1 == "LUOX" && $2 == tag && $3 == "pfn-runs:" {
		for (i = 4; i <= NF; i++) print $i }' "$F/serial.log" >"$TMP/k2-$tag"
	cmp -s "$TMP/k1-$tag" "$TMP/k2-$tag"
	ok $? "memfd $tag: same PFN runs before and after kexec"
done
bad=0 n=0
while IFS=+ read -r pfn cnt; do
	jq -e --argjson s $((pfn * 4096)) --argjson n $((cnt * 4096)) \
		'any(.ranges[]; .start <= $s and $s + $n <= .start + .size)' "$TMP/ranges.json" >/dev/null ||
		bad=$((bad + 1))
	n=$((n + 1))
done <"$TMP/k1-0x2b"
is "$bad" 0 "memfd 0x2b: its $n pfn runs preserved"

ms=$(prop64 "$F/blobs/k1-out-sub-memblock.bin" /sample start)
mz=$(prop64 "$F/blobs/k1-out-sub-memblock.bin" /sample size)
is "$mz" $((1028 * 1024)) "reserve_mem sample: 1028 KiB"
jq -e --argjson s "$ms" --argjson n "$mz" \
	'any(.ranges[]; .start <= $s and $s + $n <= .start + .size)' "$TMP/ranges.json" >/dev/null
ok $? "reserve_mem sample preserved"
grep -q 'test_kho: KHO restore succeeded' "$F/serial.log"
ok $? "serial.log: test_kho restore succeeded"
done_testing
