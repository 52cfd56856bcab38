#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl on a real arm64 64 KiB-page 7.2.13 handover (issue 19), made by
# `make check-vm ARCH=arm64` (tests/fixtures/linux-7.2.13-arm64-64k).
# Expected facts: facts.txt, the guest's own lines of its serial console (check-vm)
# (memfd PFN runs from pagemap, the LUO session luo-memfd printed, the
# scratch areas from debugfs, reserve_mem from the command line); test_kho's
# folio list read from the slim core with readelf/od/fdtget (no libkhofmt);
# the reserve_mem loss worked out from mm/memblock.c (it preserves
# phys_to_page(start) and size >> PAGE_SHIFT pages: 16 x 64 KiB from the page
# holding the 16 KiB-aligned start, so the region's tail is not preserved).
# Every command runs with no geometry option (the data says 64 KiB), and
# once more with --page-shift 16 given: both must agree with the facts.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/vm/lib-vm.sh"

F=${TESTS_SRCDIR:-$(dirname "$0")/..}/fixtures/linux-7.2.13-arm64-64k
command -v fdtget >/dev/null 2>&1 || skip_all "fdtget (device-tree-compiler) not installed"
command -v "${READELF:-readelf}" >/dev/null 2>&1 || skip_all "readelf not installed"
PS=65536
MEM="--fdt $F/root.fdt --mem $F/slim-k1.elf"

# ---- the facts, without khoctl
# kho_test: blob -> kho_vmalloc -> chunk page -> data page -> "phys | order"
KT=$F/blobs/k1-out-sub-kho_test.bin
kho_test_folios "$F/slim-k1.elf" "$KT" "$TMP/kt"
nr=$kt_nr pages=$kt_pages
ok "$kt_ok" "kho_test: $nr folios, list pages in the slim core"
# test_kho.max_mem=67108864 on the command line (facts.txt)
is "$pages" $((67108864 / PS)) "kho_test: folios add up to max_mem = 64 MiB (1024 pages of 64 KiB)"
# memfd pages (pagemap PFNs of the first kernel) as order-0 entries
pfns() { # TOKEN -> one PFN per line
	awk -v tag="$1" '/^=== BOOT / { boot++ } boot == 1 && $1 == "LUOX" && $2 == tag && $3 == "pfn-runs:" {
		for (i = 4; i <= NF; i++) { split($i, r, "+"); p = r[1]; v = 0; p = tolower(p); sub(/^0x/, "", p)
			for (k = 1; k <= length(p); k++) v = v * 16 + index("0123456789abcdef", substr(p, k, 1)) - 1
			for (k = 0; k < r[2]; k++) print v + k } }' "$F/facts.txt"
}
pfns 0x1a >"$TMP/pfn-1a"
pfns 0x2b >"$TMP/pfn-2b"
is "$(wc -l <"$TMP/pfn-1a" | tr -d ' ') $(wc -l <"$TMP/pfn-2b" | tr -d ' ')" "64 1" \
	"facts: memfd 0x1a is 64 pages (4 MiB), 0x2b one page (10000 bytes)"
awk -v ps=$PS '{ printf "%d 0\n", $1 * ps }' "$TMP/pfn-1a" "$TMP/pfn-2b" >"$TMP/memfd"
cat "$TMP/kt" "$TMP/memfd" >"$TMP/want"
jq -R 'split(" ") | map(tonumber)' "$TMP/want" | jq -s -c . >"$TMP/want.json"
ms=$(prop64 "$F/blobs/k1-out-sub-memblock.bin" /sample start)
mz=$(prop64 "$F/blobs/k1-out-sub-memblock.bin" /sample size)
is "$mz" $((1028 * 1024)) "reserve_mem sample: 1028 KiB (command line)"
# mm/memblock.c preserves phys_to_page(start) and size >> PAGE_SHIFT pages
pstart=$((ms / PS * PS)) pend=$((ms / PS * PS + mz / PS * PS)) rend=$((ms + mz))
read -r sname t1 z1 p1 t2 z2 <<EOF
$(sed -n 's/^LUOX preserved: session \([^ ]*\) {\(0x[0-9a-f]*\) size \([0-9]*\) pos \([0-9]*\), \(0x[0-9a-f]*\) size \([0-9]*\)}.*/\1 \2 \3 \4 \5 \6/p' "$F/facts.txt")
EOF
is "$sname $z1 $z2" "vm-main 4194304 10000" "facts: LUO session vm-main with the two memfds"

# check WHAT ARGS...: every command on the fixture, geometry ARGS
check() {
	what=$1
	shift
	expect_exit 0 "$what: stat" stat $MEM "$@" --json
	is "$(jq -r '[.abi, .page_size] | join(" ")' "$TMP/out")" \
		"$(fdtget -t s "$F/root.fdt" / compatible) $PS" "$what: stat: root compatible, 64 KiB pages"
	expect_exit 0 "$what: ranges --folios" ranges $MEM "$@" --folios --json
	miss=$(jq -r --slurpfile w "$TMP/want.json" '
		(reduce .folios[] as $f ({}; .["\($f.phys) \($f.order)"] = true)) as $have
		| [$w[0][] | select($have["\(.[0]) \(.[1])"] | not)] | length' "$TMP/out")
	is "$miss" 0 "$what: ranges --folios: all $nr kho_test folios and 65 memfd pages, with their order"
	expect_exit 0 "$what: ranges" ranges $MEM "$@" --json
	jq -e --argjson s "$pstart" --argjson n $((pend - pstart)) --argjson t "$pend" --argjson e "$rend" '
		any(.ranges[]; .start <= $s and $s + $n <= .start + .size) and
		all(.ranges[]; .start + .size <= $t or .start >= $e)' "$TMP/out" >/dev/null
	ok $? "$what: ranges: reserve_mem's pages [$pstart, $pend) preserved, its last $(((rend - pend) / 1024)) KiB not"
	expect_exit 0 "$what: dump" dump $MEM "$@" --json
	is "$(jq -c '[.subnodes[].name] | sort' "$TMP/out")" \
		"$(fdtget -l "$F/root.fdt" / | jq -R . | jq -s -c sort)" "$what: dump: subnodes as fdtget lists them"
	jq -r '.subnodes[] | select(.name == "kho_test") | .folios[] | "\(.phys) \(.order)"' "$TMP/out" |
		sort >"$TMP/kt-dump"
	sort "$TMP/kt" | cmp -s - "$TMP/kt-dump"
	ok $? "$what: dump: kho_test folio list == the one read with od"
	# the one real finding: reserve_mem's tail (KHO-E101); no other error
	kho "$TMP/v.json" "$TMP/v.err" verify $MEM "$@" --json
	is "$rc $(jq -c '[.findings[] | select(.severity == "error") | .rule]' "$TMP/v.json")" \
		'1 ["KHO-E101"]' "$what: verify: exactly one error, KHO-E101 (reserve_mem loses its tail)"
	jq -r '.findings[] | "\(.rule) \(.message)"' "$TMP/v.json" | comment
	# the second kernel's capture bundle: the LUO session as luo-memfd printed
	expect_exit 0 "$what: dump --capture (incoming bundle)" dump --capture "$F/cap-in" "$@" --json
	# 7.2.13's LUO frees its sub-FDT in an early initcall (luo_early_startup:
	# kho_restore_free), before any userspace: the capture holds the session
	# only if that page was not reused yet, else khoctl must say consumed
	if jq -e '.subnodes[] | select(.name == "LUO") | .consumed == true' "$TMP/out" >/dev/null; then
		ok 0 "$what: dump --capture: the LUO sub-FDT was freed and reused by the second kernel: khoctl says consumed"
	else
		got=$(jq -r '.subnodes[] | select(.name == "LUO") | .sessions[] |
			[.name, (.files[] | .token, .memfd.size, .memfd.pos)] | map(tostring) | join(" ")' "$TMP/out" |
			grep "^$sname ")
		is "$got" "$sname $t1 $z1 $p1 $t2 $z2 $z2" "$what: dump --capture: LUO session $sname, memfds as printed"
	fi
}

check "no hint"
check "--page-shift 16" --page-shift 16
done_testing
