#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# W1: 4,194,304 random order-0 folios in 32 GiB round-trip exactly through
# khoctl synth -> ELF + FDT -> khoctl stat / ranges.
#
# khoctl synth cannot print the list its generator chose, so the intended
# set comes from tests/gen/genfolios (seeded, independent of khoctl) and
# goes in through --folios; `synth --gen random0` with the same shape is
# checked for count, bounds and uniqueness. Nothing per-folio is printed
# to the log; everything is counted with wc/jq and compared with cmp.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

[ -x "${GENFOLIOS:-}" ] || bail_out "genfolios not built: ${GENFOLIOS:-unset}"

N=4194304
META_LO=16777216     # 0x1000000
META_HI=285212672    # 0x11000000

# ---- the intended set: distinct pages of [0, 32 GiB) outside the meta
# area (and one page either side of it, so the root FDT page stays alone).
# "list" is in the order drawn (synth input), "want" the same set sorted
# by address (genfolios --sorted).
GEN="--count $N --ram 32G --seed 7 --avoid 0xfff000:0x10002000"
"$GENFOLIOS" $GEN >"$TMP/list" && "$GENFOLIOS" $GEN --sorted >"$TMP/want" ||
	bail_out "genfolios failed"
is "$(wc -l <"$TMP/list" | tr -d ' ')" $N "genfolios: $N folios"
is "$(wc -l <"$TMP/want" | tr -d ' ')" $N "genfolios --sorted: $N folios"

S=$TMP/w1
expect_exit 0 "synth --folios ($N folios)" synth --output "$S" --folios "$TMP/list"
diag "$(cat "$TMP/out")"
IN="--fdt $S.fdt --mem $S.elf"

expect_exit 0 "stat --json" stat $IN --json
is "$(jq -c '[.folios, .pages, .bytes]' "$TMP/out")" "[$((N + 1)),$((N + 1)),$(((N + 1) * 4096))]" \
	"stat: $N folios + the root FDT page; pages; bytes"
is "$(jq -c '.orders' "$TMP/out")" "[{\"order\":0,\"count\":$((N + 1)),\"bytes\":$(((N + 1) * 4096))}]" \
	"stat: all order 0"
# the count without POPCNT/AVX2 (libkhofmt/cpu.c's generic kernel)
KHOFMT_CPU=generic "$KHOCTL" stat $IN --json >"$TMP/generic" 2>&1
cmp -s "$TMP/out" "$TMP/generic"
ok $? "stat --json with KHOFMT_CPU=generic: the same document"

# ranges --folios: the exact set back. Order-0 entries come in key order,
# which is address order, so the rows line up with "want" (normalised to
# "0x%x 0"); diff must show exactly one extra row: the root FDT page.
"$KHOCTL" ranges $IN --folios --noheadings 2>"$TMP/err" | awk '{ print $1, $2 }' >"$TMP/got"
is "$(wc -l <"$TMP/got" | tr -d ' ')" $((N + 1)) "ranges --folios: $((N + 1)) rows (wc)"
diff "$TMP/want" "$TMP/got" >"$TMP/diff"
is "$(grep -c '^<' "$TMP/diff")" 0 "no intended folio missing"
grep '^<' "$TMP/diff" | head -n 5 | comment
is "$(grep -c '^>' "$TMP/diff")" 1 "exactly one entry not in the list"
set -- $(sed -n 's/^> //p' "$TMP/diff" | head -n 1) 0 x
ok "$([ "$2" = 0 ] && [ $(($1)) -ge $META_LO ] && [ $(($1)) -lt $META_HI ]; echo $?)" \
	"... the root FDT page ($1 order $2) in the meta area"

# ranges: count = runs of consecutive pages in the sorted list + 1
RUNS=$("$GENFOLIOS" $GEN --sorted --decimal |
	awk 'BEGIN { prev = -2 } { if ($1 != prev + 4096) runs++; prev = $1 } END { print runs }')
"$KHOCTL" ranges $IN --noheadings 2>"$TMP/err" >"$TMP/ranges"
is "$?" 0 "ranges: exit 0"
is "$(wc -l <"$TMP/ranges" | tr -d ' ')" $((RUNS + 1)) \
	"ranges: $((RUNS + 1)) merged ranges (runs of the list + the FDT page)"
# the fallback kernels (generic bit scan, SSE2 rows) give the same bytes
KHOFMT_CPU=generic "$KHOCTL" ranges $IN --noheadings 2>"$TMP/err" >"$TMP/ranges-generic"
cmp -s "$TMP/ranges" "$TMP/ranges-generic"
ok $? "ranges with KHOFMT_CPU=generic: the same rows"
KHOFMT_CPU=avx2 "$KHOCTL" ranges $IN --noheadings 2>"$TMP/err" >"$TMP/ranges-avx2"
cmp -s "$TMP/ranges" "$TMP/ranges-avx2"
ok $? "ranges with KHOFMT_CPU=avx2 (AVX2 rows, not AVX-512): the same rows"
# the rows leave in full buffers through write(2): a failed write is reported
"$KHOCTL" ranges $IN --noheadings >/dev/full 2>"$TMP/err"
is "$?" 2 "ranges > /dev/full: exit 2"
grep -q '^khoctl: standard output: write error: No space left on device$' "$TMP/err"
ok $? "ranges > /dev/full: says so, once" || head -c 500 "$TMP/err" | comment
is "$(wc -l <"$TMP/err" | tr -d ' ')" 1 "ranges > /dev/full: one line on stderr"

# ---- the built-in generator, same shape
G=$TMP/gen
expect_exit 0 "synth --gen random0 --count $N --ram 32G --seed 7" \
	synth --output "$G" --gen random0 --count $N --ram 32G --seed 7
expect_exit 0 "stat --json (generator)" stat --fdt "$G.fdt" --mem "$G.elf" --json
is "$(jq -c '[.folios, .orders[0].order, (.orders | length)]' "$TMP/out")" "[$((N + 1)),0,1]" \
	"generator: $N order-0 folios + the root FDT page"
# rows strictly ascending (so distinct), all in the default RAM window
# [4 GiB, 36 GiB) = 0x1_0000_0000 .. 0x8_ffff_f000 (khoctl synth --help)
# except one; compared as unpadded hex strings (length, then text).
"$KHOCTL" ranges --fdt "$G.fdt" --mem "$G.elf" --folios --noheadings 2>"$TMP/err" |
	awk 'BEGIN { pl = 0; p = "" }
	{ a = $1; l = length(a)
	  if (l > pl || (l == pl && a > p)) up++
	  if (l == 11 && substr(a, 3, 1) ~ /[1-8]/ && a ~ /000$/) inside++
	  else other = a
	  p = a; pl = l; n++ }
	END { printf "%d %d %d %s\n", n, up, inside, other }' >"$TMP/where"
set -- $(cat "$TMP/where") 0 0 0 0
is "$1 $2 $3" "$((N + 1)) $((N + 1)) $N" \
	"generator: $((N + 1)) rows, strictly ascending, $N page-aligned in [4 GiB, 36 GiB)"
ok "$([ $(($4)) -ge $META_LO ] && [ $(($4)) -lt $META_HI ]; echo $?)" \
	"generator: the other row ($4) is the root FDT page in the meta area"
expect_exit 0 "synth --gen random0 again (seed 7)" \
	synth --output "$TMP/gen2" --gen random0 --count $N --ram 32G --seed 7
cmp -s "$G.elf" "$TMP/gen2.elf"
ok $? "generator: same seed, byte-identical ELF"

done_testing
