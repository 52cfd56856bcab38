#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl on the real Linux 7.2.13 capture. Expected facts come from the
# fixture's README.md and serial.log, and from dtc's view of the FDTs.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

F=$FIXTURES
IN="--fdt $F/root.fdt --mem $F/slim-kexec.elf"

# covered START SIZE < ranges.json: is [START, START+SIZE) inside one range?
covered() {
	jq -e --argjson s "$1" --argjson n "$2" \
		'any(.ranges[]; .start <= $s and $s + $n <= .start + .size)' \
		"$TMP/ranges.json" >/dev/null
}

# ---- stat
expect_exit 0 "stat --json" stat $IN --json
cp "$TMP/out" "$TMP/stat.json"
is "$(jq -r '[.schema, .version, .abi, .page_size] | map(tostring) | join(" ")' "$TMP/stat.json")" \
	"khoctl-stat 1 kho-v4 4096" "stat: schema, version, abi kho-v4, 4 KiB pages"
FOLIOS=$(jq .folios "$TMP/stat.json")
ok "$([ "$FOLIOS" -gt 0 ]; echo $?)" "stat: $FOLIOS folios"
is "$(jq '(.orders | map(.count) | add) == .folios and (.orders | map(.bytes) | add) == .bytes
	and .bytes == .pages * 4096 and all(.orders[]; .bytes == .count * 4096 * pow(2; .order))' \
	"$TMP/stat.json")" true "stat: orders, pages and bytes consistent"
expect_exit 0 "stat (text)" stat $IN

# ---- ranges
expect_exit 0 "ranges --json" ranges $IN --json
cp "$TMP/out" "$TMP/ranges.json"
is "$(jq -r '.schema + " " + (.version | tostring)' "$TMP/ranges.json")" "khoctl-ranges 1" \
	"ranges: schema khoctl-ranges version 1"
is "$(jq '.count == (.ranges | length) and .bytes == (.ranges | map(.size) | add)' \
	"$TMP/ranges.json")" true "ranges: count and bytes"
is "$(jq '[.ranges as $r | range(1; $r | length) |
	select($r[.].start <= $r[. - 1].start + $r[. - 1].size)] | length' "$TMP/ranges.json")" 0 \
	"ranges: ascending, disjoint, not touching"
is "$(jq '.bytes <= '"$(jq .bytes "$TMP/stat.json")" "$TMP/ranges.json")" true \
	"ranges: bytes <= stat bytes"
# the text rows (START END SIZE, END inclusive, hex right-aligned to 18)
# say what the JSON says: parsed back with the shell's own arithmetic
expect_exit 0 "ranges -n --bytes" ranges $IN --noheadings --bytes
while read -r s e n; do
	printf '%d %d\n' "$s" "$((e - s + 1))"
	[ "$((e - s + 1))" = "$n" ] || echo "size column $n"
done <"$TMP/out" >"$TMP/ranges.txt"
jq -r '.ranges[] | "\(.start) \(.size)"' "$TMP/ranges.json" >"$TMP/ranges.want"
cmp -s "$TMP/ranges.txt" "$TMP/ranges.want"
ok $? "ranges: text rows = JSON ranges ($(wc -l <"$TMP/ranges.want" | tr -d ' '))"
is "$(awk 'length($0) != 48 || substr($0, 19, 2) != "  " { n++ } END { print n + 0 }' "$TMP/out")" 0 \
	"ranges: text rows laid out as 18 + 2 + 18 + 2 + 8 columns"
expect_exit 0 "ranges --folios -n" ranges $IN --folios --noheadings
is "$(grep -c . "$TMP/out")" "$FOLIOS" "ranges --folios: one row per folio of stat"

# memfd PFN runs printed by the guest (serial.log), first kernel only
awk '/^LUOX [^(]* pfn-runs:/ {
	for (i = 1; i <= NF; i++) if ($i ~ /^0x[0-9a-f]+\+[0-9]+$/) print $i
}' "$F/serial.log" >"$TMP/runs"
NRUNS=$(wc -l <"$TMP/runs" | tr -d ' ')
ok "$([ "$NRUNS" -ge 8 ]; echo $?)" "serial.log: $NRUNS memfd pfn runs"
grep -qx '0x14c7+3' "$TMP/runs" && grep -qx '0x14ca+1' "$TMP/runs" && grep -qx '0xdcc+1' "$TMP/runs"
ok $? "serial.log: runs 0x14c7+3 (0x2b), 0x14ca+1 (999), 0xdcc+1 (0x1a)"
while IFS=+ read -r pfn n; do
	covered $((pfn * 4096)) $((n * 4096))
	ok $? "memfd pfn run $pfn+$n preserved"
done <"$TMP/runs"

if [ -n "${DTC:-}" ] && [ -x "$DTC" ]; then
	# reserve_mem "sample" (1028 KiB) from the memblock sub-FDT
	"$DTC" -I dtb -O dts "$F/blobs/memblock.bin" >"$TMP/mb.dts" 2>/dev/null
	set -- $(sed -n '/sample {/,/};/s/^[[:space:]]*start = <\(.*\)>;$/\1/p' "$TMP/mb.dts") 0 0
	START=$(cells_to_u64 "$1" "$2")
	set -- $(sed -n '/sample {/,/};/s/^[[:space:]]*size = <\(.*\)>;$/\1/p' "$TMP/mb.dts") 0 0
	SIZE=$(cells_to_u64 "$1" "$2")
	is "$SIZE" $((1028 * 1024)) "memblock.bin (dtc): sample is 1028 KiB"
	covered "$START" "$SIZE"
	ok $? "reserve_mem sample [$(printf '0x%x' "$START"), +1028K) preserved"

	# every blob's pages, addresses and sizes as dtc shows them
	"$DTC" -I dtb -O dts "$F/root.fdt" >"$TMP/root.dts" 2>/dev/null
	expect_exit 0 "dump --json" dump $IN --json
	cp "$TMP/out" "$TMP/dump.json"
	is "$(jq -r .schema "$TMP/dump.json")" khoctl-dump "dump: schema khoctl-dump"
	is "$(jq -c '[.subnodes[].name] | sort' "$TMP/dump.json")" \
		'["LUO","kexec-metadata","kho_test","memblock"]' "dump: the 4 subnodes"
	for n in LUO kexec-metadata kho_test memblock; do
		set -- $(sed -n "/^[[:space:]]*$n {/,/};/s/^[[:space:]]*preserved-data = <\(.*\)>;\$/\1/p" \
			"$TMP/root.dts") 0 0
		PA=$(cells_to_u64 "$1" "$2")
		set -- $(sed -n "/^[[:space:]]*$n {/,/};/s/^[[:space:]]*blob-size = <\(.*\)>;\$/\1/p" \
			"$TMP/root.dts") 0 0
		BS=$(cells_to_u64 "$1" "$2")
		is "$BS" "$(wc -c <"$F/blobs/$n.bin" | tr -d ' ')" "$n: blob-size = size of blobs/$n.bin"
		is "$(jq -c --arg n "$n" '.subnodes[] | select(.name == $n) |
			[.preserved_data, .blob_size]' "$TMP/dump.json")" "[$PA,$BS]" \
			"$n: dump shows dtc's preserved-data and blob-size"
		P0=$((PA / 4096 * 4096))
		covered "$P0" $(((PA + BS + 4095) / 4096 * 4096 - P0))
		ok $? "$n: blob pages preserved"
	done
else
	skip "dtc not found"
fi
expect_exit 0 "dump (text)" dump $IN
for n in LUO kexec-metadata kho_test memblock; do
	grep -q "$n" "$TMP/out"
	ok $? "dump text names $n"
done

# ---- the second kernel's state; mismatched and truncated inputs
expect_exit 0 "root-k2.fdt + slim-post.elf: stat" stat --fdt "$F/root-k2.fdt" \
	--mem "$F/slim-post.elf" --json
ok "$([ "$(jq .folios "$TMP/out")" -gt 0 ]; echo $?)" "k2: $(jq .folios "$TMP/out") folios"
expect_exit 0 "root-k2.fdt + slim-post.elf: dump" dump --fdt "$F/root-k2.fdt" \
	--mem "$F/slim-post.elf" --json
is "$(jq -c '[.subnodes[].name] | sort' "$TMP/out")" '["LUO","kexec-metadata","memblock"]' \
	"k2: subnodes LUO, kexec-metadata, memblock"
expect_exit 2 "root.fdt + slim-post.elf (README: must fail)" stat --fdt "$F/root.fdt" \
	--mem "$F/slim-post.elf"
expect_exit 2 "debugfs k1-out_fdt.bin (cut short)" stat \
	--fdt "$F/blobs/debugfs/k1-out_fdt.bin" --mem "$F/slim-kexec.elf"
kho "$TMP/out" "$TMP/err" stat --fdt "$F/root.fdt" --mem "$F/slim-pre.elf" --json
diag "root.fdt + slim-pre.elf: exit $rc, $(head -c 300 "$TMP/err")"
ok "$({ [ "$rc" = 0 ] || [ "$rc" = 2 ]; } && ! crashy "$TMP/err"; echo $?)" \
	"root.fdt + slim-pre.elf: clean decode or clean error"

done_testing
