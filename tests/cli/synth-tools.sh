#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# What khoctl synth writes, read back with other people's tools: dtc for
# the root FDT, readelf / eu-readelf for the ELF core, dd for raw bytes.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

[ -n "${DTC:-}" ] && [ -x "$DTC" ] || skip_all "dtc not found (Debian: device-tree-compiler)"
[ -n "${READELF:-}" ] && [ -x "$READELF" ] || skip_all "readelf not found (Debian: binutils)"

S=$TMP/s
printf '0x200000000 9\n0x200200000 0\n0x100000000 3\n0x7ffff000 0\n' >"$TMP/folios"
# a blob with known bytes (the fixture's kexec-metadata, 73 bytes)
cp "$FIXTURES/blobs/kexec-metadata.bin" "$TMP/meta.bin"
expect_exit 0 "synth with a blob" synth --output "$S" --folios "$TMP/folios" \
	--blob "kexec-metadata=$TMP/meta.bin"

# ---- dtc view of the root FDT
"$DTC" -I dtb -O dts "$S.fdt" >"$TMP/dts" 2>"$TMP/dtc.err"
ok $? "dtc decompiles the root FDT"
grep -q 'compatible = "kho-v4";' "$TMP/dts"
ok $? 'dtc: compatible = "kho-v4"'
cells=$(sed -n 's/^[[:space:]]*preserved-memory-map = <\(.*\)>;$/\1/p' "$TMP/dts")
ok "$([ -n "$cells" ]; echo $?)" "dtc: preserved-memory-map = <$cells>"
set -- $cells
[ $# -eq 2 ] || set -- 0 0
MAP=$(cells_to_u64 "$1" "$2")
ok "$([ "$MAP" -gt 0 ] && [ $((MAP % 4096)) -eq 0 ]; echo $?)" \
	"map (two cells read as a little-endian u64) = $(printf '0x%x' "$MAP"), page-aligned"
expect_exit 0 "dump --json" dump --fdt "$S.fdt" --mem "$S.elf" --json
is "$(jq .fdt.preserved_memory_map "$TMP/out")" "$MAP" "khoctl dump agrees with dtc on the map"
grep -q 'kexec-metadata {' "$TMP/dts"
ok $? "dtc: subnode kexec-metadata"
bcells=$(sed -n '/kexec-metadata {/,/};/s/^[[:space:]]*preserved-data = <\(.*\)>;$/\1/p' "$TMP/dts")
scells=$(sed -n '/kexec-metadata {/,/};/s/^[[:space:]]*blob-size = <\(.*\)>;$/\1/p' "$TMP/dts")
set -- $bcells 0 0
BLOB=$(cells_to_u64 "$1" "$2")
set -- $scells 0 0
is "$(cells_to_u64 "$1" "$2")" 73 "dtc: blob-size is 73 (little-endian u64)"

# ---- readelf view of the ELF core
"$READELF" -hW "$S.elf" >"$TMP/eh" 2>&1
grep -Eq 'Type:[[:space:]]+CORE' "$TMP/eh"
ok $? "readelf: ELF type CORE"
grep -Eq 'Class:[[:space:]]+ELF64' "$TMP/eh" && grep -q 'little endian' "$TMP/eh"
ok $? "readelf: ELF64 little endian"
"$READELF" -lW "$S.elf" >"$TMP/ph" 2>&1
ok $? "readelf -l"
awk '$1 == "LOAD" { print $2, $3, $4, $5, $6 }' "$TMP/ph" >"$TMP/loads"
NLOAD=$(wc -l <"$TMP/loads" | tr -d ' ')
ok "$([ "$NLOAD" -ge 1 ]; echo $?)" "readelf: $NLOAD PT_LOAD segment(s)"

# covering: which PT_LOAD holds [pa, pa+len)? prints "offset paddr" or nothing
seg_of() {
	local pa=$1 len=$2 off va pa0 fs ms
	while read -r off va pa0 fs ms; do
		if [ "$pa" -ge $((pa0)) ] && [ $((pa + len)) -le $((pa0 + fs)) ]; then
			echo "$((off)) $((pa0))"
			return 0
		fi
	done <"$TMP/loads"
	return 1
}
bad=0
prev_end=-1
while read -r off va pa0 fs ms; do
	[ $((off % 4096)) -eq 0 ] && [ $((va)) -eq 0 ] && [ $((fs)) -eq $((ms)) ] &&
		[ $((pa0)) -gt "$prev_end" ] || bad=1
	prev_end=$((pa0 + fs))
done <"$TMP/loads"
ok $bad "PT_LOADs: page-aligned offsets, p_vaddr 0, filesz = memsz, ascending, disjoint"
seg_of "$MAP" 4096 >/dev/null
ok $? "a PT_LOAD covers the radix root page at the map address"
# the blob's bytes, cut out of the ELF with dd at the dtc-reported address
if set -- $(seg_of "$BLOB" 73); then
	dd if="$S.elf" of="$TMP/blob.out" bs=1 skip=$(($1 + BLOB - $2)) count=73 2>/dev/null
	cmp -s "$TMP/blob.out" "$TMP/meta.bin"
	ok $? "the ELF holds the blob bytes at preserved-data (dd + cmp)"
else
	ok 1 "a PT_LOAD covers the blob at $(printf '0x%x' "$BLOB")"
fi
if [ -n "${EU_READELF:-}" ] && [ -x "$EU_READELF" ]; then
	"$EU_READELF" -h "$S.elf" | grep -Eq 'Type:[[:space:]]+CORE'
	ok $? "eu-readelf: ELF type CORE"
	is "$("$EU_READELF" -l "$S.elf" | awk '$1 == "LOAD"' | wc -l | tr -d ' ')" "$NLOAD" \
		"eu-readelf: same PT_LOAD count"
	"$EU_READELF" -l "$S.elf" | awk '$1 == "LOAD" { print $4 }' >"$TMP/eu.pa"
	awk '{ print $3 }' "$TMP/loads" | while read -r a; do printf '%d\n' "$a"; done >"$TMP/re.pa"
	while read -r a; do printf '%d\n' "$a"; done <"$TMP/eu.pa" | cmp -s - "$TMP/re.pa"
	ok $? "eu-readelf: same physical addresses"
else
	skip "eu-readelf not found"
	skip "eu-readelf not found"
	skip "eu-readelf not found"
fi

# ---- the same memory as a raw image: --mem FILE@BASE
expect_exit 0 "stat --json (ELF)" stat --fdt "$S.fdt" --mem "$S.elf" --json
cp "$TMP/out" "$TMP/stat.elf"
if [ "$NLOAD" -eq 1 ]; then
	read -r off va pa0 fs ms <"$TMP/loads"
	dd if="$S.elf" of="$TMP/raw.img" bs=4096 skip=$((off / 4096)) count=$((fs / 4096)) 2>/dev/null
	is "$(wc -c <"$TMP/raw.img" | tr -d ' ')" "$((fs))" "raw image cut out of the ELF"
	expect_exit 0 "stat --mem raw@$pa0" stat --fdt "$S.fdt" --mem "$TMP/raw.img@$pa0" --json
	cmp -s "$TMP/out" "$TMP/stat.elf"
	ok $? "raw image at its base decodes like the ELF (same stat JSON)"
	expect_exit 2 "raw image at a wrong base" stat --fdt "$S.fdt" \
		--mem "$TMP/raw.img@$((pa0 + 0x100000))"
else
	skip "synth wrote $NLOAD PT_LOADs; raw test needs one"
fi

# ---- a bigger synthetic state: many PT_LOADs? still covered
expect_exit 0 "synth --gen mixed" synth --output "$TMP/m" --gen mixed --ram 4G --density 0.3 --seed 5
set -- $(dts_prop "$TMP/m.fdt" preserved-memory-map | tr -d '<>')
[ $# -eq 2 ] || set -- 0 0
"$READELF" -lW "$TMP/m.elf" | awk '$1 == "LOAD" { print $2, $3, $4, $5, $6 }' >"$TMP/loads"
seg_of "$(cells_to_u64 "$1" "$2")" 4096 >/dev/null
ok $? "mixed: a PT_LOAD covers the map address"
expect_exit 0 "mixed: stat" stat --fdt "$TMP/m.fdt" --mem "$TMP/m.elf" --json
is "$(jq '(.orders | map(.count) | add) == .folios' "$TMP/out")" \
	true "mixed: per-order counts add up to folios"
is "$(jq '(.orders | map(.bytes) | add) == .bytes and .bytes == .pages * 4096' "$TMP/out")" \
	true "mixed: per-order bytes add up; bytes = pages * 4096"
# same seed, same files; another seed, another state
expect_exit 0 "synth mixed again" synth --output "$TMP/m2" --gen mixed --ram 4G --density 0.3 --seed 5
cmp -s "$TMP/m.elf" "$TMP/m2.elf" && cmp -s "$TMP/m.fdt" "$TMP/m2.fdt"
ok $? "same seed: byte-identical output"
expect_exit 0 "synth mixed seed 6" synth --output "$TMP/m3" --gen mixed --ram 4G --density 0.3 --seed 6
cmp -s "$TMP/m.elf" "$TMP/m3.elf"
ok "$([ $? -ne 0 ]; echo $?)" "another seed: different output"

done_testing
