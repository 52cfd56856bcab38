#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl analyze on a synthetic set whose encodings can be sized by hand:
# 64 isolated order-0 pages, 64 pages apart (256 KiB), in one 128 MiB span.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

command -v jq >/dev/null || skip_all "jq not found"

i=0
: >"$TMP/folios"
while [ $i -lt 64 ]; do
	printf '0x%x 0\n' $((0x200000000 + i * 64 * 4096)) >>"$TMP/folios"
	i=$((i + 1))
done
expect_exit 0 "synth 64 isolated pages" synth --output "$TMP/s" --folios "$TMP/folios"
expect_exit 0 "analyze --json" analyze --fdt "$TMP/s.fdt" --mem "$TMP/s.elf" --json --runs 2
J=$TMP/out
is "$(jq -r .schema "$J")" "khoctl-analyze" "schema"
is "$(jq .version "$J")" 1 "version"
# + the root FDT page, which the encoder preserves (order 0, isolated)
is "$(jq .folios "$J")" 65 "65 folios (64 + the FDT page)"
is "$(jq .ranges "$J")" 65 "65 ranges: none touch"
is "$(jq '[.encodings[] | select(.match)] | length' "$J")" 6 "all six decoders give back the ranges"
enc() { jq ".encodings[] | select(.encoding == \"$1\") | .$2" "$J"; }
is "$(enc pairs bytes)" $((65 * 16)) "pairs: 16 B a range"
is "$(enc packed bytes)" $((65 * 8)) "packed: 8 B a range"
# E1b: one 128 MiB bitmap for the 64 pages, one for the FDT page, one chunk page
is "$(enc chunk-e1b bytes)" $((4096 + 2 * 4096)) "chunk-e1b: 1 chunk page + 2 page bitmaps"
# E1a: 16 MiB bitmaps: the 64 pages (256 KiB apart = 16 MiB) fill one; + FDT
is "$(enc chunk-e1a records)" 2 "chunk-e1a: 2 bitmaps of 512 B"
is "$(enc chunk-e1a bytes)" $((4096 + 2 * 512)) "chunk-e1a: 1 chunk page + 2 x 512 B"
# slices: one bit every 64 entries = one per word, no gaps: 1 slice of 64 words
is "$(enc slices records)" 2 "slices: the 64 pages in one slice, the FDT page in another"
is "$(enc slices bytes)" $((16 + 64 * 8 + 16 + 8)) "slices: headers + 65 words"
is "$(jq .seed.order0_bitmap_bytes_per_16g "$J")" 524288 "seed: 512 KiB of order-0 bitmap per 16 GiB"
is "$(jq .seed.packed_ranges_per_16g_bitmap "$J")" 65536 "seed: 65,536 packed ranges per 512 KiB"
is "$(jq .seed.pairs_per_folio_bytes "$J")" $((65 * 16)) "seed: one pair per folio"
expect_exit 0 "analyze text" analyze --fdt "$TMP/s.fdt" --mem "$TMP/s.elf" --runs 1
grep -q '^  slices ' "$TMP/out"
ok $? "text table lists slices"
expect_exit 64 "analyze --runs 0" analyze --fdt "$TMP/s.fdt" --mem "$TMP/s.elf" --runs 0
done_testing
