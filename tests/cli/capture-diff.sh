#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl capture and --capture DIR, khoctl diff: bundles of the real 7.2.13
# capture read back identically and are deterministic; blob digests match
# sha256sum of the fixture files; diffs of identical, reordered, lossy
# and blob-changed synthetic states give the counts this script computes
# from the folio lists itself; the real outgoing state against what the
# second kernel received.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/sysroot.sh"

FM="--fdt $F/root.fdt --mem $F/slim-kexec.elf"

export SOURCE_DATE_EPOCH=1700000000

# ---- capture of files, read back
# shellcheck disable=SC2086
expect_exit 0 "capture" capture $FM "$TMP/c1"
# shellcheck disable=SC2086
expect_exit 0 "capture again" capture $FM "$TMP/c2"
diff -r "$TMP/c1" "$TMP/c2" >/dev/null; ok $? "two captures are byte-identical (SOURCE_DATE_EPOCH)"
m=$TMP/c1/manifest.json
is "$(jq -r '.schema + " " + (.version | tostring)' "$m")" "khoctl-capture 1" "manifest schema and version"
is "$(jq '.time' "$m")" 1700000000 "time = SOURCE_DATE_EPOCH"
cmp -s "$TMP/c1/fdt.dtb" "$F/root.fdt"; ok $? "fdt.dtb = root.fdt"
is "$(jq -r '.fdt.sha256' "$m")" "$(sha256sum <"$F/root.fdt" | cut -d' ' -f1)" "fdt sha256 = sha256sum"
for n in LUO kexec-metadata kho_test memblock; do
	cmp -s "$TMP/c1/blobs/$n" "$F/blobs/$n.bin"; ok $? "blobs/$n = fixture blobs/$n.bin"
	is "$(jq -r --arg n "$n" '.blobs[] | select(.name == $n) | .sha256' "$m")" \
		"$(sha256sum <"$F/blobs/$n.bin" | cut -d' ' -f1)" "$n sha256 = sha256sum"
done
# how the page size was settled differs (tracker / capture manifest)
NOBASIS='walk(if type == "object" then del(.page_size_basis, .page_size_reason) else . end)'
for cmd in dump stat ranges "ranges --folios"; do
	# shellcheck disable=SC2086
	"$KHOCTL" $cmd --json $FM 2>&1 | jq "$NOBASIS" >"$TMP/want"
	# shellcheck disable=SC2086
	"$KHOCTL" $cmd --json --capture "$TMP/c1" 2>&1 | jq "$NOBASIS" >"$TMP/got"
	cmp -s "$TMP/want" "$TMP/got"; ok $? "$cmd --capture = $cmd on the original"
done
# the page size: inferred from the tracker, then written in the manifest
is "$("$KHOCTL" stat --json $FM | jq -r '.generation.page_size_basis')" tracker \
	"files: page size from the tracker"
is "$("$KHOCTL" stat --json --capture "$TMP/c1" | jq -r '[.generation.page_size, .generation.page_size_basis] | join(" ")')" \
	"4096 capture manifest" "capture: page size from the manifest"
# memory.elf: tracker pages + the distinct pages of the four blobs + the root
# FDT page (doc/ABI.md 9 FDT-6: a preserved order-0 entry) + the pages that blob
# structures point at (LUO blocks, memfd records, vmalloc chunks and folio
# arrays, the kho_test folio list) -- the dump equality above shows those are
# all there; here: nothing else, and no preserved data.
tp=$("$KHOCTL" stat --json --capture "$TMP/c1" | jq '.tracker.pages')
bp=$("$KHOCTL" dump --json $FM | jq '[.subnodes[] | range(.preserved_data / 4096 | floor; (.preserved_data + .blob_size + 4095) / 4096 | floor)] | unique | length')
mp=$(jq '.memory.pages' "$m")
extra=$((mp - tp - bp - 1))
ok "$([ "$extra" -gt 0 ] && [ "$extra" -le 64 ]; echo $?)" \
	"slim core = $tp tracker + $bp blob pages + the FDT page + $extra structure pages"
sz=$(du -sb "$TMP/c1" | cut -f1)
ok "$([ "$sz" -lt 1048576 ]; echo $?)" "bundle is small ($sz bytes)"
if [ -n "${READELF:-}" ]; then
	is "$(( ($("$READELF" -lW "$TMP/c1/memory.elf" | awk '$1 == "LOAD" { printf "+%s", $5 }')) / 4096 ))" \
		"$mp" "readelf: PT_LOAD bytes = those pages"
	# memfd data pages (serial.log: LUOX 0x2b pfn-runs 0x14c7+3, 0x1a 0xdcc+1)
	# are preserved data, not structure: not in the slim core
	for pa in 0x14c7000 0xdcc000; do
		absent=1
		while read -r ps sz; do
			[ $((pa)) -ge $((ps)) ] && [ $((pa)) -lt $((ps + sz)) ] && absent=0
		done <<EOF2
$("$READELF" -lW "$TMP/c1/memory.elf" | awk '$1 == "LOAD" { print $4, $5 }')
EOF2
		ok $((1 - absent)) "memfd data page $pa is not in the slim core"
	done
else
	skip "no readelf"; skip "no readelf"; skip "no readelf"
fi

# --with-data: also the preserved memory the core holds
# shellcheck disable=SC2086
expect_exit 0 "capture --with-data" capture --with-data $FM "$TMP/cd"
ok "$([ "$(jq '.memory.pages' "$TMP/cd/manifest.json")" -gt "$((tp + bp + 1))" ]; echo $?)" \
	"--with-data holds more pages"
"$KHOCTL" ranges --json --capture "$TMP/cd" | jq "$NOBASIS" >"$TMP/got"
# shellcheck disable=SC2086
"$KHOCTL" ranges --json $FM | jq "$NOBASIS" >"$TMP/want"
cmp -s "$TMP/want" "$TMP/got"; ok $? "--with-data bundle: same ranges"

# --tar: same members, readable after extraction
# shellcheck disable=SC2086
expect_exit 0 "capture --tar" capture $FM --tar "$TMP/bundle.tar"
is "$(tar tf "$TMP/bundle.tar" | sort | tr '\n' ' ')" \
	"bundle/ bundle/blobs/ bundle/blobs/LUO bundle/blobs/kexec-metadata bundle/blobs/kho_test bundle/blobs/memblock bundle/fdt.dtb bundle/manifest.json bundle/memory.elf " \
	"tar members"
mkdir "$TMP/x" && (cd "$TMP/x" && tar xf "$TMP/bundle.tar")
diff -r "$TMP/c1" "$TMP/x/bundle" >/dev/null; ok $? "extracted tar = directory bundle"
left=$(ls -d "$TMP"/bundle.tar.tmp* 2>/dev/null)
is "$left" "" "no temporary directory left"

# archives round-trip (libarchive): every form reads back as the directory
# does; the oracle for the compressed forms is GNU tar + zstd/xz/gzip
mkdir "$TMP/t"
for x in tar tar.zst tar.xz tar.gz; do
	# shellcheck disable=SC2086
	expect_exit 0 "capture --tar bundle.$x" capture $FM --tar "$TMP/rt.$x"
	for cmd in dump stat "ranges --folios" verify; do
		# shellcheck disable=SC2086
		"$KHOCTL" $cmd --json --capture "$TMP/c1" >"$TMP/want" 2>&1
		# shellcheck disable=SC2086
		TMPDIR=$TMP/t "$KHOCTL" $cmd --json --capture "$TMP/rt.$x" 2>&1 |
			sed "s|$TMP/rt\.$x/|$TMP/c1/|g" >"$TMP/got"
		cmp -s "$TMP/want" "$TMP/got"; ok $? "$cmd --capture bundle.$x = --capture DIR"
	done
	rm -rf "$TMP/x" && mkdir "$TMP/x" && (cd "$TMP/x" && tar -xaf "$TMP/rt.$x")
	diff -r "$TMP/c1" "$TMP/x/rt" >/dev/null; ok $? "GNU tar extracts bundle.$x = directory bundle"
done
is "$(ls -A "$TMP/t")" "" "reading archives leaves no temporary directory"
# shellcheck disable=SC2086
mkdir "$TMP/again" && "$KHOCTL" capture $FM --tar "$TMP/again/rt.tar.zst" >/dev/null
cmp -s "$TMP/rt.tar.zst" "$TMP/again/rt.tar.zst"; ok $? "two .tar.zst captures are byte-identical"
# written by GNU tar, without a top directory: read the same
(cd "$TMP/c1" && tar -cf "$TMP/gnu.tar" --zstd manifest.json fdt.dtb memory.elf blobs)
"$KHOCTL" ranges --folios --json --capture "$TMP/gnu.tar" 2>&1 | sed "s|$TMP/gnu\.tar/|$TMP/c1/|g" >"$TMP/got"
"$KHOCTL" ranges --folios --json --capture "$TMP/c1" >"$TMP/want" 2>&1
cmp -s "$TMP/want" "$TMP/got"; ok $? "a GNU tar (zstd, no top directory) reads back"
# an existing archive is refused unless --force; --force replaces it
echo keep >"$TMP/exists.tar"
# shellcheck disable=SC2086
expect_exit 2 "capture --tar onto an existing file" capture $FM --tar "$TMP/exists.tar"
is "$(cat "$TMP/exists.tar")" "keep" "the existing file is left alone"
grep -q "already exists (--force replaces it)" "$TMP/err"; ok $? "the message says --force replaces it"
# shellcheck disable=SC2086
expect_exit 0 "capture --tar --force" capture $FM --force --tar "$TMP/exists.tar"
"$KHOCTL" capture $FM --tar "$TMP/again/exists.tar" >/dev/null
cmp -s "$TMP/exists.tar" "$TMP/again/exists.tar"; ok $? "--force replaced it with the bundle"
# shellcheck disable=SC2086
expect_exit 64 "--force without --tar" capture $FM --force "$TMP/nodir"
# shellcheck disable=SC2086
expect_exit 64 "--tar FILE without an archive suffix" capture $FM --tar "$TMP/x.zip"
# hostile archives: names outside the bundle, links, a member twice
mkdir -p "$TMP/h/b/blobs" && cp -r "$TMP/c1/." "$TMP/h/b/"
ln -s /etc/passwd "$TMP/h/b/blobs/LUO.link"
echo evil >"$TMP/h/b/evil"
(cd "$TMP/h" && tar -P -cf "$TMP/h1.tar" b --transform 's,^b/evil$,../escape,')
TMPDIR=$TMP/t "$KHOCTL" stat --json --capture "$TMP/h1.tar" >/dev/null 2>&1; ok $? "archive with ../ names and a link: read, the extra members skipped"
ok "$([ ! -e "$TMP/escape" ] && [ -z "$(ls -A "$TMP/t")" ]; echo $?)" "nothing written outside the temporary directory, which is gone"
(cd "$TMP/h" && tar -cf "$TMP/h2.tar" b/manifest.json b/fdt.dtb && tar -rf "$TMP/h2.tar" b/fdt.dtb)
expect_exit 2 "archive with a member twice" stat --capture "$TMP/h2.tar"
grep -q "given twice" "$TMP/err"; ok $? "the message says a member is given twice"
head -c 3000 "$TMP/rt.tar.zst" >"$TMP/cut.tar.zst"
expect_exit 2 "truncated .tar.zst" stat --capture "$TMP/cut.tar.zst"
is "$(ls -A "$TMP/t")" "" "failed reads leave no temporary directory either"
# manifests are read by a JSON parser (json-c)
mkdir "$TMP/m1" && cp -r "$TMP/c1/." "$TMP/m1/"
printf '{"schema":"khoctl-capture","version":1,"page_shift":"12"}' >"$TMP/m1/manifest.json"
expect_exit 2 "manifest member of the wrong type" stat --capture "$TMP/m1"
grep -q '"page_shift" is not a non-negative integer' "$TMP/err"; ok $? "the message names the member"
printf '{"version":1,"schema":"khoctl-capture" ,\n "fdt":{"fdt_pa":2912256}}' >"$TMP/m1/manifest.json"
expect_exit 0 "manifest with other member order and spacing" stat --capture "$TMP/m1"
printf '{"schema":"khoctl-capture","version":1} {}' >"$TMP/m1/manifest.json"
expect_exit 2 "manifest with data after the document" stat --capture "$TMP/m1"
printf '{"schema":"khoctl-capture","version":2}' >"$TMP/m1/manifest.json"
expect_exit 2 "manifest version 2" stat --capture "$TMP/m1"

# errors
# shellcheck disable=SC2086
expect_exit 2 "capture into an existing directory" capture $FM "$TMP/c1"
expect_exit 2 "--capture of a directory without a manifest" stat --capture "$TMP"
mkdir "$TMP/bad"; echo '{"schema": "khoctl-dump", "version": 1}' >"$TMP/bad/manifest.json"
expect_exit 2 "--capture with another schema" stat --capture "$TMP/bad"
expect_exit 64 "capture without DIR" capture $FM

# ---- diff: identical
expect_diff 0 "diff capture vs files" --json "$TMP/c1" "$F/root.fdt:$F/slim-kexec.elf"
is "$(jq -c '[.differences, .folios.compared, .folios.lost, .folios.added]' "$TMP/out")" \
	"[false,true,0,0]" "identical states: no differences"
is "$(jq -r '.schema' "$TMP/out")" khoctl-diff "diff schema"

# ---- diff: the real handover, outgoing (first kernel at kexec) vs incoming
# (second kernel after boot). The second kernel has reused the first one's
# tracker pages, so folios cannot be compared there; the root FDT and the
# blobs it exposes can.
expect_diff 0 "diff outgoing vs incoming (7.2.13)" --json --sysroot "$k2" \
	"$F/root.fdt:$F/slim-kexec.elf" incoming
is "$(jq -c '[.root.differs, .folios.compared, .folios.side]' "$TMP/out")" \
	'[false,false,"new"]' "same root; folios not comparable on the incoming side"
want=""
for n in $(jq -r '.blobs[].name' "$TMP/out"); do
	a=$(sha256sum <"$F/blobs/$n.bin" | cut -d' ' -f1)
	b=$(sha256sum <"$D/k2-in_sub_fdts_$n.bin" | cut -d' ' -f1)
	[ "$a" = "$b" ] && s=same || s=changed
	want="$want$n=$s "
done
is "$(jq -r '[.blobs[] | .name + "=" + .status] | join(" ")' "$TMP/out") " "$want" \
	"blob status = sha256sum of fixture blobs vs kho/in/sub_fdts files"
# the same through bundles: before the kexec (live, k1) and after (incoming, k2)
expect_exit 0 "capture --live (k1)" capture --live --sysroot "$k1" "$TMP/before"
expect_exit 0 "capture --incoming (k2, tracker gone)" capture --incoming --sysroot "$k2" "$TMP/after"
is "$(jq -c '[.source, .memory.tracker]' "$TMP/after/manifest.json")" '["incoming",false]' \
	"incoming bundle: no tracker"
expect_diff 0 "diff of the two bundles" --json "$TMP/before" "$TMP/after"
is "$(jq -c '[.folios.compared, ([.blobs[].status] | unique)]' "$TMP/out")" \
	'[false,["same"]]' "bundles: blobs compared, folios not"
expect_exit 2 "diff with an unreadable side" diff "$TMP/nonexistent.fdt" "$TMP/c1"
expect_exit 64 "diff with one state" diff "$TMP/c1"

# ---- diff: synthetic states with known differences
awk 'BEGIN {
	P = 4096; G = 1073741824
	for (i = 0; i < 300; i++) printf "%.0f 0\n", 4 * G + i * 3 * P
	for (i = 0; i < 40; i++) printf "%.0f 4\n", 5 * G + i * 2 * 16 * P
	for (i = 0; i < 10; i++) printf "%.0f 9\n", 6 * G + i * 4 * 512 * P
	for (i = 0; i < 64; i++) printf "%.0f 0\n", 7 * G + i * P   # one run
}' >"$TMP/A"
# B: every 7th line of A dropped, and new entries
awk 'NR % 7 != 3' "$TMP/A" >"$TMP/B"
awk 'BEGIN { P = 4096; G = 1073741824
	for (i = 0; i < 25; i++) printf "%.0f 0\n", 4 * G + i * 3 * P + P
	for (i = 0; i < 3; i++) printf "%.0f 10\n", 8 * G + i * 1024 * P }' >>"$TMP/B"
awk 'NR % 2' "$TMP/A" >"$TMP/Aodd"; awk 'NR % 2 == 0' "$TMP/A" >"$TMP/Aeven"
cat "$TMP/Aeven" "$TMP/Aodd" >"$TMP/Ar"    # A reordered
"$KHOCTL" synth --json --folios "$TMP/A" --output "$TMP/sA" >"$TMP/sA.json" &&
"$KHOCTL" synth --json --folios "$TMP/B" --output "$TMP/sB" >"$TMP/sB.json" &&
"$KHOCTL" synth --folios "$TMP/Ar" --output "$TMP/sAr" >/dev/null || bail_out "synth"
# the encoder preserves its root FDT page as an order-0 entry, like the
# kernel: it belongs to each state (and may sit elsewhere in B)
{ cat "$TMP/A"; echo "$(jq .fdt_pa "$TMP/sA.json") 0"; } >"$TMP/A+"
{ cat "$TMP/B"; echo "$(jq .fdt_pa "$TMP/sB.json") 0"; } >"$TMP/B+"
expect_diff 0 "diff A vs A reordered" "$TMP/sA.fdt:$TMP/sA.elf" "$TMP/sAr.fdt:$TMP/sAr.elf"
expect_diff 1 "diff A vs B" --json --list "$TMP/sA.fdt:$TMP/sA.elf" "$TMP/sB.fdt:$TMP/sB.elf"
# expected per order, from the lists alone
sort -u "$TMP/A+" >"$TMP/As"; sort -u "$TMP/B+" >"$TMP/Bs"
lost=$(comm -23 "$TMP/As" "$TMP/Bs" | awk '{ c[$2]++ } END { for (o in c) printf "%d:%d ", o, c[o] }' | tr ' ' '\n' | sort -n | tr '\n' ' ')
added=$(comm -13 "$TMP/As" "$TMP/Bs" | awk '{ c[$2]++ } END { for (o in c) printf "%d:%d ", o, c[o] }' | tr ' ' '\n' | sort -n | tr '\n' ' ')
is "$(jq -r '[.folios.orders[] | select(.lost > 0) | "\(.order):\(.lost)"] | join("\n")' "$TMP/out" | sort -n | tr '\n' ' ')" \
	"$lost" "lost per order = comm -23 of the lists"
is "$(jq -r '[.folios.orders[] | select(.added > 0) | "\(.order):\(.added)"] | join("\n")' "$TMP/out" | sort -n | tr '\n' ' ')" \
	"$added" "added per order = comm -13 of the lists"
is "$(jq '[.folios.runs[] | select(.change == "lost") | .count] | add' "$TMP/out")" \
	"$(comm -23 "$TMP/As" "$TMP/Bs" | wc -l | tr -d ' ')" "listed lost runs add up"
# every listed lost entry is in A and not in B
jq -r '.folios.runs[] | select(.change == "lost") | "\(.phys) \(.order) \(.count)"' "$TMP/out" |
	awk '{ for (i = 0; i < $3; i++) printf "%.0f %d\n", $1 + i * 4096 * 2 ^ $2, $2 }' | sort -u >"$TMP/gotlost"
comm -23 "$TMP/As" "$TMP/Bs" >"$TMP/wantlost"
cmp -s "$TMP/gotlost" "$TMP/wantlost"; ok $? "listed lost entries = A minus B"

# blobs: changed, missing, added
printf 'one' >"$TMP/b1"; printf 'two' >"$TMP/b2"; printf 'onf' >"$TMP/b1x"
"$KHOCTL" synth --folios "$TMP/A" --blob "x=$TMP/b1" --blob "y=$TMP/b2" --blob "s=$TMP/b2" --output "$TMP/bA" >/dev/null &&
"$KHOCTL" synth --folios "$TMP/A" --blob "x=$TMP/b1x" --blob "z=$TMP/b1" --blob "s=$TMP/b2" --output "$TMP/bB" >/dev/null || bail_out "synth"
expect_diff 1 "diff of blobs" --json "$TMP/bA.fdt:$TMP/bA.elf" "$TMP/bB.fdt:$TMP/bB.elf"
is "$(jq -r '[.blobs[] | .name + "=" + .status] | sort | join(" ")' "$TMP/out")" \
	"s=same x=changed y=missing z=added" "blob statuses"
is "$(jq -r '.blobs[] | select(.name == "x") | .new.sha256' "$TMP/out")" \
	"$(sha256sum <"$TMP/b1x" | cut -d' ' -f1)" "blob digest = sha256sum"

# root compatible/generation
if [ -n "${DTC:-}" ]; then
	"$DTC" -I dtb -O dts "$F/root.fdt" 2>/dev/null | sed 's/"kho-v4"/"kho-v3"/' |
		"$DTC" -I dts -O dtb -o "$TMP/v3.fdt" 2>/dev/null
	expect_diff 1 "diff kho-v4 vs kho-v3 root" --json "$F/root.fdt" "$TMP/v3.fdt"
	is "$(jq -c '[.root.old_abi, .root.new_abi, .root.differs]' "$TMP/out")" \
		'["kho-v4","kho-v3",true]' "generation difference"
else
	skip "no dtc"; skip "no dtc"; skip "no dtc"; skip "no dtc"
fi

# ---- the size note: the README's "16 GiB case" (4,194,304 random order-0
# pages in 32 GiB, seed 1): random bitmaps, so about 256 leaves of 4 KiB
if [ -z "${KHO_TEST_SMALL:-}" ]; then
	"$KHOCTL" synth --gen random0 --count 4194304 --ram 32G --seed 1 --output "$TMP/g16" >/dev/null ||
		bail_out "synth 16G"
	expect_exit 0 "capture of the 16 GiB order-0 case" capture --fdt "$TMP/g16.fdt" --mem "$TMP/g16.elf" "$TMP/c16"
	sz=$(du -sb "$TMP/c16" | cut -f1)
	tp=$("$KHOCTL" stat --json --fdt "$TMP/g16.fdt" --mem "$TMP/g16.elf" | jq '.tracker.pages')
	diag "16 GiB order-0 bundle: $sz bytes ($tp tracker pages)"
	is "$(jq '.memory.pages' "$TMP/c16/manifest.json")" "$((tp + 1))" "slim core = the tracker pages + the FDT page"
	ok "$([ "$sz" -lt $((2 * 1048576)) ]; echo $?)" "16 GiB order-0 bundle under 2 MiB"
fi

# diff operands: a path with ':' in it is one path; FDT:MEM splits where
# both parts exist; a bundle archive is a capture
mkdir "$TMP/a:b"
cp "$F/root.fdt" "$F/slim-kexec.elf" "$TMP/a:b/"
expect_exit 0 "diff FDT:MEM with ':' in both paths" diff "$TMP/a:b/root.fdt:$TMP/a:b/slim-kexec.elf" "$F/root.fdt:$F/slim-kexec.elf"
cp "$F/slim-kexec.elf" "$TMP/x:y.elf"
expect_exit 0 "diff a dump whose name has a ':'" diff --json "$TMP/x:y.elf" "$F/slim-kexec.elf"
is "$(jq -r '.root.differs' "$TMP/out")" "false" "the ':' dump read as one file: same root"
expect_exit 0 "diff a .tar.zst bundle against its directory" diff "$TMP/rt.tar.zst" "$TMP/c1"
expect_exit 2 "diff FDT:MEM, MEM missing" diff "$F/root.fdt:$TMP/nope.elf" "$TMP/c1"
grep -q "nope.elf" "$TMP/err"; ok $? "the missing part is named"

done_testing
