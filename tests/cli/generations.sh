#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every KHO generation through the CLI: synth --abi writes it, dump / stat /
# ranges read it back and say which generation and variant they assumed;
# the RFC worked example of doc/ABI.md 4.3; unknown compatibles; option
# errors. Expected values come from the folio list (awk) and the spec.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

[ -x "${GENFOLIOS:-}" ] || bail_out "genfolios not built: ${GENFOLIOS:-unset}"

META_LO=16777216     # 0x1000000: synth's meta area
META_HI=285212672    # 0x11000000
"$GENFOLIOS" --count 300 --ram 16G --seed 21 --avoid 0:0x11002000 --decimal >"$TMP/r0" &&
"$GENFOLIOS" --count 40 --order 9 --ram 16G --seed 22 --avoid 0:0x11002000 --decimal >"$TMP/r9" ||
	bail_out "genfolios failed"
# orders 0 and 9 may collide: keep order-0 pages outside every 2 MiB folio
awk 'NR == FNR { big[int($1 / 2097152)] = 1; print; next }
     !(int($1 / 2097152) in big)' "$TMP/r9" "$TMP/r0" | sort -n -u >"$TMP/list"
N=$(wc -l <"$TMP/list" | tr -d ' ')
diag "$N folios"
# the folio list as sorted "phys order" lines (decimal)
awk '{ print $1, $2 }' "$TMP/list" | sort >"$TMP/want"

for abi in kho-v1 kho-v2 kho-v3 kho-v4 rfc; do
	expect_exit 0 "synth --abi $abi" synth --output "$TMP/$abi" --folios "$TMP/list" --abi "$abi"
	expect_exit 0 "$abi: ranges --folios --json" ranges --folios --json \
		--fdt "$TMP/$abi.fdt" --mem "$TMP/$abi.elf"
	jq -r --argjson lo $META_LO --argjson hi $META_HI \
		'.folios[] | select(.phys < $lo or .phys >= $hi) | "\(.phys) \(.order)"' \
		"$TMP/out" | sort >"$TMP/got"
	cmp -s "$TMP/got" "$TMP/want"
	ok $? "$abi: the $N folios decode back (outside the meta area)"
	want_abi=$abi
	[ "$abi" = rfc ] && want_abi=kho-rfc
	is "$(jq -r '.generation.abi' "$TMP/out")" "$want_abi" "$abi: ranges JSON names the generation"
	expect_exit 0 "$abi: stat --json" stat --json --fdt "$TMP/$abi.fdt" --mem "$TMP/$abi.elf"
	is "$(jq -r '.folios' "$TMP/out")" \
		"$(jq -r '.generation.name as $n | if $n == "E0" then 0 else 1 end' "$TMP/out" | awk -v n=$N '{ print n + $1 }')" \
		"$abi: stat counts the folios (+ the root FDT page unless RFC)"
	expect_exit 0 "$abi: dump --json" dump --json --fdt "$TMP/$abi.fdt" --mem "$TMP/$abi.elf"
	is "$(jq -r '.fdt.abi' "$TMP/out")" "$want_abi" "$abi: dump shows the generation"
	jq -e '.fdt.abi_reason | length > 0' "$TMP/out" >/dev/null
	ok $? "$abi: dump says how the generation was decided"
done
is "$(jq -r '.tracker.generation.name' "$TMP/out")" "E0" "rfc: dump's tracker generation is E0"

# ---- kho-v1: 512-byte bitmaps (6.16) versus one page (6.18)
expect_exit 0 "synth kho-v1 --producer 6.16" synth --output "$TMP/e1a" --folios "$TMP/list" \
	--abi kho-v1 --producer 6.16 --json
is "$(jq -r .variant "$TMP/out")" "E1a" "synth --producer 6.16 writes E1a"
expect_exit 0 "E1a, no producer: stat --json" stat --json --fdt "$TMP/e1a.fdt" --mem "$TMP/e1a.elf"
is "$(jq -r '[.generation.name, .generation.basis, .generation.bitmap_bytes] | join(" ")' "$TMP/out")" \
	"E1a evidence 512" "E1a data without --producer: E1a from evidence (4.2.5 rule 2)"
expect_exit 0 "E1a with --producer 6.16" stat --json --producer 6.16 --fdt "$TMP/e1a.fdt" --mem "$TMP/e1a.elf"
is "$(jq -r '[.generation.name, .generation.basis] | join(" ")' "$TMP/out")" \
	"E1a producer" "--producer 6.16: E1a from the producer"
expect_exit 2 "E1a data read with --producer 6.18" stat --producer 6.18 --fdt "$TMP/e1a.fdt" --mem "$TMP/e1a.elf"
grep -q 'not page-aligned' "$TMP/err"
ok $? "... the wrong-variant hazard is reported"
expect_exit 0 "E1b data, no producer" stat --json --fdt "$TMP/kho-v1.fdt" --mem "$TMP/kho-v1.elf"
is "$(jq -r '[.generation.name, .generation.basis, .generation.bitmap_bytes] | join(" ")' "$TMP/out")" \
	"E1b assumed 4096" "E1b data without --producer: E1b, assumed (4.2.5 rule 4)"

# ---- option errors
expect_exit 64 "--abi kho-v9" stat --abi kho-v9 --fdt "$TMP/kho-v4.fdt" --mem "$TMP/kho-v4.elf"
expect_exit 64 "--producer banana" stat --producer banana --fdt "$TMP/kho-v1.fdt" --mem "$TMP/kho-v1.elf"
expect_exit 2 "--radix-depth 4 with 4 KiB pages" stat --radix-depth 4 --fdt "$TMP/kho-v4.fdt" --mem "$TMP/kho-v4.elf"
expect_exit 2 "--abi kho-v4 on a kho-v1 handover" stat --abi kho-v4 --fdt "$TMP/kho-v1.fdt" --mem "$TMP/kho-v1.elf"

if [ -n "${DTC:-}" ] && [ -x "$DTC" ]; then
	# ---- RFC worked example (doc/ABI.md 4.3)
	printf '/dts-v1/;\n/ {\n\tcompatible = "kho-v1";\n\treserve-mem {\n\t\tsample {\n\t\t\tmem = <0xc07a 0x4000000 0x01 0x00>;\n\t\t};\n\t};\n};\n' >"$TMP/rfc.dts"
	"$DTC" -I dts -O dtb -o "$TMP/rfc.fdt" "$TMP/rfc.dts" 2>/dev/null
	expect_exit 0 "RFC worked example: ranges --json" ranges --json --fdt "$TMP/rfc.fdt" --mem "$TMP/kho-v4.elf"
	is "$(jq -c '[.ranges[] | [.start, .size]]' "$TMP/out")" "[[$((0x47ac00000)),$((16 << 20))]]" \
		"RFC mem <0xc07a 0x4000000 0x01 0x00>: addr 0x4_7ac0_0000, 16 MiB"
	expect_exit 0 "RFC worked example: dump --json" dump --json --fdt "$TMP/rfc.fdt"
	jq -e '.fdt.abi == "kho-rfc" and (.fdt.abi_reason | test("/reserve-mem/sample"))' "$TMP/out" >/dev/null
	ok $? "RFC: dump says why (a mem property at /reserve-mem/sample)"

	# ---- unknown compatible: exit 2 naming it; --abi overrides
	map=$(jq -r '.fdt.preserved_memory_map' <"$("$KHOCTL" dump --json --fdt "$TMP/kho-v4.fdt" >"$TMP/d.json"; echo "$TMP/d.json")")
	printf '/dts-v1/;\n/ {\n\tcompatible = "kho-v77";\n\tpreserved-memory-map = %s;\n};\n' \
		"$(u64_to_cells "$map")" >"$TMP/v77.dts"
	"$DTC" -I dts -O dtb -o "$TMP/v77.fdt" "$TMP/v77.dts" 2>/dev/null
	for c in dump stat ranges; do
		expect_exit 2 "compatible kho-v77: $c" $c --fdt "$TMP/v77.fdt" --mem "$TMP/kho-v4.elf"
		grep -q '"kho-v77"' "$TMP/err"
		ok $? "compatible kho-v77: $c names the string"
	done
	expect_exit 0 "compatible kho-v77 with --abi kho-v4" stat --json --abi kho-v4 \
		--fdt "$TMP/v77.fdt" --mem "$TMP/kho-v4.elf"
	is "$(jq -r '.folios' "$TMP/out")" "$((N + 1))" "--abi kho-v4 decodes the tree anyway"
else
	skip "dtc not found"
fi

done_testing
