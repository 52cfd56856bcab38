#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl synth --folios FILE, then stat / ranges / ranges --folios: every
# number is compared with what this script computes from FILE itself
# (awk for the list, jq for sums, sorting and coalescing).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

[ -x "${GENFOLIOS:-}" ] || bail_out "genfolios not built: ${GENFOLIOS:-unset}"

META_LO=16777216     # 0x1000000: the encoder's default meta area (khofmt.h)
META_HI=285212672    # 0x11000000
AVOID=0:0x11002000   # random folios stay above the meta area (+ a gap)

# ---- the folio list: hand-placed edge cases + seeded random sets
awk 'BEGIN {
	P = 4096; M = 1048576; G = 1073741824
	b = 4 * G + 128 * M          # an order-0 leaf boundary (128 MiB)
	for (i = -20; i < 20; i++) printf "%.0f 0\n", b + i * P
	printf "%.0f 9\n", 8 * G     # 2 MiB folio with pages inside it
	printf "%.0f 0\n", 8 * G + 5 * P
	printf "%.0f 0\n", 8 * G + 511 * P
	printf "%.0f 0\n", 16 * G    # orders 0..20 back to back: one range
	for (k = 0; k <= 20; k++) printf "%.0f %d\n", 16 * G + 2 ^ (12 + k), k
	printf "%.0f 18\n", 32 * G   # 1 GiB with both 512 MiB halves
	printf "%.0f 17\n", 32 * G
	printf "%.0f 17\n", 32 * G + 2 ^ 29
	printf "%.0f 30\n", 2 ^ 42   # 4 TiB folio
	printf "%.0f 0\n", 2 ^ 52 - P        # last page of 2^52
	printf "%.0f 10\n", 2 ^ 52 - 2 ^ 22  # and a 4 MiB folio around it
	printf "%.0f 0\n", 272 * M + 2 * P   # just above the meta area
}' >"$TMP/fixed"
"$GENFOLIOS" --count 1500 --ram 64G --seed 11 --avoid "$AVOID" --decimal >"$TMP/r0" &&
"$GENFOLIOS" --count 200 --order 4 --ram 64G --seed 12 --avoid "$AVOID" --decimal >"$TMP/r4" &&
"$GENFOLIOS" --count 30 --order 9 --ram 64G --seed 13 --avoid "$AVOID" --decimal >"$TMP/r9" ||
	bail_out "genfolios failed"
sort -u "$TMP/fixed" "$TMP/r0" "$TMP/r4" "$TMP/r9" >"$TMP/entries"
N=$(wc -l <"$TMP/entries" | tr -d ' ')
diag "$N distinct folios"

# The synth input: the same list, every 7th line in hex, comments, blanks.
{
	echo "# folio list for synth-folios.sh"
	echo
	n=0
	while read -r p o; do
		if [ $((n % 7)) -eq 0 ]; then
			printf '0x%x %s\n' "$p" "$o"
		else
			printf '%s %s\n' "$p" "$o"
		fi
		n=$((n + 1))
		[ $((n % 500)) -eq 0 ] && echo "# line $n"
	done <"$TMP/entries"
} >"$TMP/folios.txt"

# The list as JSON, for jq.
jq -R -s 'split("\n") | map(select(length > 0) | split(" ") |
	{phys: (.[0] | tonumber), order: (.[1] | tonumber)})' \
	"$TMP/entries" >"$TMP/entries.json"
is "$(jq length "$TMP/entries.json")" "$N" "reference list parsed"

# ---- synth
S=$TMP/s
expect_exit 0 "synth --folios" synth --output "$S" --folios "$TMP/folios.txt"
ok "$([ -s "$S.fdt" ] && [ -s "$S.elf" ]; echo $?)" "synth wrote PREFIX.fdt and PREFIX.elf"
diag "$(cat "$TMP/out")"

expect_exit 0 "synth --folios - (stdin)" synth --output "$TMP/s2" --folios - <"$TMP/folios.txt"
cmp -s "$S.fdt" "$TMP/s2.fdt" && cmp -s "$S.elf" "$TMP/s2.elf"
ok $? "same list from stdin gives byte-identical files"

IN="--fdt $S.fdt --mem $S.elf"

# ---- stat: counts per order, pages, bytes (+ the root FDT page, order 0)
expect_exit 0 "stat --json" stat $IN --json
cp "$TMP/out" "$TMP/stat.json"
is "$(jq -r '.schema + " " + (.version | tostring)' "$TMP/stat.json")" \
	"khoctl-stat 1" "stat: schema khoctl-stat version 1"
jq -S --slurpfile e "$TMP/entries.json" -n '
	($e[0] + [{phys: -1, order: 0}]) as $all |    # the root FDT page
	{
		folios: ($all | length),
		pages: ($all | map(pow(2; .order)) | add),
		bytes: ($all | map(4096 * pow(2; .order)) | add),
		orders: ($all | group_by(.order) | map({order: .[0].order,
			count: length, bytes: (length * 4096 * pow(2; .[0].order))}))
	}' >"$TMP/stat.want"
jq -S '{folios, pages, bytes, orders}' "$TMP/stat.json" >"$TMP/stat.got"
if cmp -s "$TMP/stat.want" "$TMP/stat.got"; then
	ok 0 "stat: folios, pages, bytes and per-order counts = the list + 1 FDT page"
else
	ok 1 "stat: folios, pages, bytes and per-order counts = the list + 1 FDT page"
	diff "$TMP/stat.want" "$TMP/stat.got" | head -n 40 | comment
fi
expect_exit 0 "stat (text)" stat $IN
grep -Eq "^folios:[[:space:]]+$((N + 1))\$" "$TMP/out"
ok $? "stat text: folios $((N + 1))"

# ---- ranges: the list coalesced, plus one 4 KiB range in the meta area
expect_exit 0 "ranges --json" ranges $IN --json
cp "$TMP/out" "$TMP/ranges.json"
is "$(jq -r '.schema + " " + (.version | tostring)' "$TMP/ranges.json")" \
	"khoctl-ranges 1" "ranges: schema khoctl-ranges version 1"
is "$(jq '(.count == (.ranges | length)) and (.bytes == (.ranges | map(.size) | add))' \
	"$TMP/ranges.json")" true "ranges: count and bytes match the list"
is "$(jq '[.ranges[] | select(.start >= '$META_LO' and .start < '$META_HI')] |
	map(.size)' -c "$TMP/ranges.json")" "[4096]" \
	"ranges: exactly one range in the meta area, one page (the root FDT)"
jq -c --slurpfile e "$TMP/entries.json" -n '
	$e[0] | map({start: .phys, size: (4096 * pow(2; .order))}) | sort_by(.start) |
	reduce .[] as $r ([];
		if length > 0 and $r.start <= (.[-1].start + .[-1].size) then
			.[-1].size = ([.[-1].start + .[-1].size, $r.start + $r.size] | max)
				- .[-1].start
		else . + [$r] end)' >"$TMP/ranges.want"
jq -c '[.ranges[] | select(.start < '$META_LO' or .start >= '$META_HI')]' \
	"$TMP/ranges.json" >"$TMP/ranges.got"
if cmp -s "$TMP/ranges.want" "$TMP/ranges.got"; then
	ok 0 "ranges = the list sorted and coalesced ($(jq length "$TMP/ranges.want") ranges)"
else
	ok 1 "ranges = the list sorted and coalesced"
	jq -c '.[]' "$TMP/ranges.want" >"$TMP/w" && jq -c '.[]' "$TMP/ranges.got" >"$TMP/g"
	diff "$TMP/w" "$TMP/g" | head -n 20 | comment
fi
is "$(jq -c '[.ranges[] | select(.start == 16 * pow(2; 30))] | map(.size)' "$TMP/ranges.json")" \
	"[8589934592]" "orders 0..20 back to back from 16 GiB: one 8 GiB range"
is "$(jq -c '[.ranges[] | select(.start == pow(2; 52) - pow(2; 22))] | map(.size)' "$TMP/ranges.json")" \
	"[4194304]" "the top 4 MiB of 2^52 is one range"

# ---- ranges --folios: the entries themselves
expect_exit 0 "ranges --folios --json" ranges $IN --folios --json
cp "$TMP/out" "$TMP/folios.json"
is "$(jq '.count == (.folios | length)' "$TMP/folios.json")" true "folios: count = rows"
jq -c '.folios | map({phys, order}) |
	map(select(.phys < '$META_LO' or .phys >= '$META_HI')) | sort_by(.phys, .order)' \
	"$TMP/folios.json" >"$TMP/folios.got"
jq -c 'sort_by(.phys, .order)' "$TMP/entries.json" >"$TMP/folios.want"
cmp -s "$TMP/folios.want" "$TMP/folios.got"
ok $? "folios outside the meta area = the list"
is "$(jq -c '[.folios[] | select(.phys >= '$META_LO' and .phys < '$META_HI') | .order]' \
	"$TMP/folios.json")" "[0]" "one more entry: the root FDT page, order 0"

# text rows carry the same entries as JSON
expect_exit 0 "ranges --folios (text)" ranges $IN --folios --noheadings
awk 'NF >= 2 { print $1, $2 }' "$TMP/out" | while read -r p o; do
	printf '%d %d\n' "$p" "$o"
done | sort >"$TMP/text.rows"
jq -r '.folios[] | "\(.phys) \(.order)"' "$TMP/folios.json" | sort >"$TMP/json.rows"
cmp -s "$TMP/text.rows" "$TMP/json.rows"
ok $? "ranges --folios text rows = JSON rows ($(wc -l <"$TMP/text.rows" | tr -d ' '))"

# ---- edge lists
expect_exit 0 "synth from an empty list" synth --output "$TMP/e" --folios /dev/null
expect_exit 0 "stat of the empty list" stat --fdt "$TMP/e.fdt" --mem "$TMP/e.elf" --json
is "$(jq -c '[.folios, .orders]' "$TMP/out")" '[1,[{"order":0,"count":1,"bytes":4096}]]' \
	"empty list: only the root FDT page is preserved"

# ---- 64 KiB pages: the producer's page size is not in the FDT
printf '0x200000000 0\n0x200010000 0\n0x300000000 4\n0x10000000000 20\n' >"$TMP/f64"
expect_exit 0 "synth --page-shift 16" synth --output "$TMP/p16" --page-shift 16 --folios "$TMP/f64"
expect_exit 0 "stat --page-shift 16" stat --page-shift 16 --fdt "$TMP/p16.fdt" \
	--mem "$TMP/p16.elf" --json
is "$(jq -c '[.page_size, .folios, .pages, .bytes]' "$TMP/out")" \
	"[65536,5,$((1 + 1 + 1 + 16 + 1048576)),$(((1 + 1 + 1 + 16 + 1048576) * 65536))]" \
	"PS16: page size, 4 folios + FDT page, pages, bytes"
expect_exit 0 "ranges --page-shift 16" ranges --page-shift 16 --fdt "$TMP/p16.fdt" \
	--mem "$TMP/p16.elf" --json
is "$(jq -c '[.ranges[] | select(.start >= 4294967296)]' "$TMP/out")" \
	'[{"start":8589934592,"size":131072},{"start":12884901888,"size":1048576},{"start":1099511627776,"size":68719476736}]' \
	"PS16: ranges (two adjacent 64 KiB pages merged)"
kho "$TMP/out" "$TMP/err" stat --fdt "$TMP/p16.fdt" --mem "$TMP/p16.elf" --json
ok "$({ [ "$rc" = 0 ] || [ "$rc" = 2 ]; } && ! crashy "$TMP/err"; echo $?)" \
	"PS16 tree read as 4 KiB pages: clean result (exit $rc)"

done_testing
