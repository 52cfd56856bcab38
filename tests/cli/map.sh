#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl map: golden pictures of small synthetic states (derived by hand
# from the layout asked of synth, see the comments), the real 7.2.13
# capture (totals against khoctl stat and facts of README.md/serial.log,
# the SVG validated as XML with the regions it must show), every input
# kind, the 16 GiB W1 state and a 4 TiB state, determinism and hostile
# options.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/sysroot.sh"

if command -v xmllint >/dev/null 2>&1; then XMLLINT=xmllint; else XMLLINT=; fi

# ---------------------------------------------------------------------
# Golden 1. Folios (synth --folios): a 2 MiB folio (order 9) at 2 MiB, a
# 4 KiB page at 6 MiB, a 4 MiB folio (order 10) at 12 MiB. synth puts its
# own pages (tracker, root FDT page) at the start of its meta area,
# 0x1000000 (16 MiB; khoctl synth --help). RAM [1 MiB, 28 MiB), scratch
# [8 MiB, 10 MiB). View [0, 32 MiB) in 2 rows of 16 cells: 1 MiB a cell.
#
# Row 0x00000000, cells 0..15 = MiB 0..15:
#   0      hole (RAM starts at 1 MiB)                         ' '
#   1      RAM                                                '·'
#   2, 3   the 2 MiB folio fills both                         '██'
#   4, 5   RAM                                                '··'
#   6      one 4 KiB page: 4 KiB of 1 MiB rounds up to 1/8   '▁'
#   7      RAM                                                '·'
#   8, 9   scratch                                            '░░'
#   10, 11 RAM                                                '··'
#   12..15 the 4 MiB folio                                    '████'
# Row 0x01000000, cells 16..31:
#   16     tracker pages + root FDT page (first bytes of the meta area) 'T'
#   17..27 RAM (ends at 28 MiB)                               11 x '·'
#   28..31 hole                                               4 blanks
#
# Tracker size, from the key layout (doc/ABI.md 4.1.3, PS 12, depth 6;
# root index = key bits 51.., L4 42..50, L3 33..41, L2 24..32, L1 15..23):
#   (0x200000, 9):  key 2^43 | 1      -> root 0, L4 2
#   (0x600000, 0):  key 2^52 | 0x600  -> root 2, L4 0, leaf bit 0x600
#   (0xc00000, 10): key 2^42 | 3      -> root 0, L4 1
#   root FDT page (order 0, ~0x1000000): key 2^52 | 0x10xx -> the same
#   path as the 6 MiB page down to the same leaf.
# So 1 root + 2 L4 tables (root 0, 2) + 3 L3 + 3 L2 + 3 L1 + 3 leaves
# = 15 pages, plus the root FDT page: 16 pages = 64 KiB in cell 16.
# Preserved: order 0 = the page + the root FDT page = 8 KiB, 2 folios;
# orders 9-17 = 2 + 4 MiB = 6291456, 2 folios; all = 6299648, 4 folios.
# RAM in view 27 MiB, hole 1 + 4 = 5 MiB, scratch 2 MiB.
printf '0x200000 9\n0x600000 0\n0xc00000 10\n' >"$TMP/g.folios"
expect_exit 0 "synth the golden state" synth --output "$TMP/g" --folios "$TMP/g.folios"
G="--fdt $TMP/g.fdt --mem $TMP/g.elf"
is "$("$KHOCTL" stat $G --json | jq '.tracker.pages')" 15 \
	"stat agrees: 15 tracker pages"

cat >"$TMP/want1" <<'EOF'
KHO memory map 0x0-0x1ffffff (32 MiB): 2 rows of 16 cells
scale: one cell = 1 MiB, one row = 16 MiB
0x00000000 │ ·██··▁·░░··████│
0x01000000 │T···········    │
EOF
# the legend, spaces squeezed (the picture rows above are compared exactly)
cat >"$TMP/want1l" <<'EOF'
legend (a cell shows the first of these it holds):
 ! in a scratch area: preserved or tracker bytes 0 B (0)
 T tracker pages and the root FDT page 64 KiB (65536), 15 tracker pages + the root FDT page
 B blobs (subnode preserved-data, blob-size bytes) 0 B (0), 0 blobs
 █ preserved, order 0 8 KiB (8192), 2 folios
 █ preserved, orders 1-8 0 B (0), 0 folios
 █ preserved, orders 9-17 6 MiB (6291456), 2 folios
 █ preserved, orders 18 and up 0 B (0), 0 folios
 preserved, all orders (▁..█: share of the cell) 6 MiB (6299648), 4 folios
 ░ scratch areas 2 MiB (2097152)
 · RAM 27 MiB (28311552)
 hole (not RAM) 5 MiB (5242880)
RAM map: --ram options
scratch areas: --scratch options
span: RAM, preserved memory, tracker, blobs and scratch
EOF
# shellcheck disable=SC2086
expect_exit 0 "golden 1" map $G --ram 0x100000-0x1bfffff --scratch 0x800000+2M \
	--from 0 --to 32M --width 16 --rows 2 --color=never
head -n 4 "$TMP/out" >"$TMP/got1"
diff -u "$TMP/want1" "$TMP/got1" >"$TMP/d" ; ok $? "golden 1: picture"
comment <"$TMP/d"
tail -n +5 "$TMP/out" | tr -s ' ' >"$TMP/got1l"
diff -u "$TMP/want1l" "$TMP/got1l" >"$TMP/d"; ok $? "golden 1: legend"
comment <"$TMP/d"
cp "$TMP/out" "$TMP/g1.txt"

# Golden 2: no RAM map, zoomed on [2 MiB, 6 MiB) in one row of 16: 256 KiB a
# cell. The 2 MiB folio fills cells 0..7; cells 8..15 hold nothing and,
# without a RAM map, nothing is known there (blank). The page at 6 MiB
# starts at --to: outside. Only the order-9 folio is in view.
cat >"$TMP/want2" <<'EOF'
KHO memory map 0x200000-0x5fffff (4 MiB): 1 row of 16 cells
scale: one cell = 256 KiB, one row = 4 MiB
0x00200000 │████████        │
EOF
# shellcheck disable=SC2086
expect_exit 0 "golden 2 (no RAM map, zoom)" map $G --from 2M --to 0x600000 \
	--width 16 --rows 1 --color=never
head -n 3 "$TMP/out" >"$TMP/got2"
diff -u "$TMP/want2" "$TMP/got2" >"$TMP/d"; ok $? "golden 2: picture"
comment <"$TMP/d"
is "$(grep -c 'nothing known (no RAM map)' "$TMP/out")" 1 "golden 2: legend says there is no RAM map"
is "$(grep 'orders 9-17' "$TMP/out" | tr -s ' ')" \
	" █ preserved, orders 9-17 2 MiB (2097152), 1 folio" "golden 2: only the order-9 folio in view"
is "$(grep -c '^span: no RAM map' "$TMP/out")" 1 "golden 2: span from what is drawn"

# Golden 3: scratch over the 6 MiB page and over the meta area's first MiB
# (the tracker): both cells turn '!', which outranks T. Conflict bytes =
# the page (4 KiB) + the root FDT page (a preserved order-0 folio, 4 KiB)
# + the 15 tracker pages (60 KiB) = 68 KiB.
cat >"$TMP/want3" <<'EOF'
0x00000000 │ ·██··!·····████│
0x01000000 │!···········    │
EOF
# shellcheck disable=SC2086
expect_exit 0 "golden 3 (conflicts)" map $G --ram 0x100000-0x1bfffff \
	--scratch 0x600000+1M --scratch 0x1000000+1M --from 0 --to 32M \
	--width 16 --rows 2 --color=never
sed -n 3,4p "$TMP/out" >"$TMP/got3"
diff -u "$TMP/want3" "$TMP/got3" >"$TMP/d"; ok $? "golden 3: picture"
comment <"$TMP/d"
is "$(grep 'in a scratch area' "$TMP/out" | tr -s ' ')" \
	" ! in a scratch area: preserved or tracker bytes 68 KiB (69632)" "golden 3: conflict bytes"

# Determinism and colour
# shellcheck disable=SC2086
"$KHOCTL" map $G --ram 0x100000-0x1bfffff --scratch 0x800000+2M --from 0 --to 32M \
	--width 16 --rows 2 --color=never >"$TMP/again" 2>&1
cmp -s "$TMP/g1.txt" "$TMP/again"; ok $? "same input, byte-identical text"
# shellcheck disable=SC2086
"$KHOCTL" map $G --from 0 --to 32M --width 16 --rows 2 --color=always >"$TMP/col"
ok "$(grep -q "$(printf '\033')\[" "$TMP/col"; echo $?)" "--color=always: ANSI colours"
# shellcheck disable=SC2086
"$KHOCTL" map $G --from 0 --to 32M --width 16 --rows 2 >"$TMP/auto"
ok "$(grep -q "$(printf '\033')" "$TMP/auto"; echo $((1 - $?)))" "--color=auto, not a terminal: none"

# ---------------------------------------------------------------------
# The real 7.2.13 capture. RAM from the first kernel's /proc/iomem and
# scratch from its debugfs files, both in serial.log (sysroot.sh).
iomem_k1 >"$TMP/iomem"
scratch_phys >"$TMP/sp"
scratch_len >"$TMP/sl"
R="--fdt $F/root.fdt --mem $F/slim-kexec.elf --iomem $TMP/iomem --scratch-phys $TMP/sp --scratch-len $TMP/sl"
# shellcheck disable=SC2086
expect_exit 0 "map of the real capture" map $R --color=never
cp "$TMP/out" "$TMP/real.txt"
diag "$(cat "$TMP/real.txt")"
"$KHOCTL" stat --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf" --json >"$TMP/stat.json"
# shellcheck disable=SC2086
expect_exit 0 "map --json of the real capture" map $R --json
cp "$TMP/out" "$TMP/real.json"
is "$(jq -r '.schema + " " + (.version | tostring)' "$TMP/real.json")" "khoctl-map 1" "JSON schema and version"
# totals: the whole RAM is in view, so they are the state's
t() { jq "$1" "$TMP/real.json"; }
is "$(t '[.totals.preserved_0, .totals.preserved_1_8, .totals.preserved_9_17, .totals.preserved_18] | add')" \
	"$(jq '.bytes' "$TMP/stat.json")" "preserved bytes = stat"
is "$(t '[.folios[]] | add')" "$(jq '.folios' "$TMP/stat.json")" "folios = stat"
for cls in '0 0 preserved_0' '1 8 preserved_1_8' '9 17 preserved_9_17' '18 63 preserved_18'; do
	set -- $cls
	is "$(t ".totals.$3")" \
		"$(jq "[.orders[] | select(.order >= $1 and .order <= $2) | .bytes] | add // 0" "$TMP/stat.json")" \
		"orders $1-$2: bytes = stat"
done
is "$(t '.totals.tracker')" "$(($(jq '.tracker.bytes' "$TMP/stat.json") + 4096))" \
	"tracker bytes = stat's tracker + the root FDT page"
is "$(t '.totals.tracker_pages')" "$(jq '.tracker.pages' "$TMP/stat.json")" "tracker pages = stat"
# blob sizes: the debugfs sub_fdts files of the first kernel (serial.log:
# "=== BLOB .../kho/out/sub_fdts/NAME" then "[base64 elided: N bytes";
# the first kernel's come first, the second kernel's repeat the names)
want_blobs=$(awk '/^=== BLOB \/sys\/kernel\/debug\/kho\/out\/sub_fdts\// {
	n = $3; getline; sub(/.*elided: /, ""); if (!(n in seen)) sum += $1; seen[n] = 1 } END { print sum }' "$F/serial.log")
is "$(t '.totals.blob')" "$want_blobs" "blob bytes = the debugfs sub_fdts sizes in serial.log ($want_blobs)"
ram=0
while read -r range colon name; do
	case "$range $colon $name" in
	*" : System RAM") ram=$((ram + 0x${range#*-} - 0x${range%-*} + 1)) ;;
	esac
done <"$TMP/iomem"
is "$(t '.totals.ram')" "$ram" "RAM bytes = the System RAM lines ($ram)"
is "$(t '.totals.scratch')" "$(( $(sed -n 1p "$TMP/sl") + $(sed -n 2p "$TMP/sl") + $(sed -n 3p "$TMP/sl") ))" \
	"scratch bytes = the scratch_len lines"
is "$(t '.totals.conflict')" 0 "no preserved or tracker byte in scratch (verify agrees: clean)"
# the text legend says the same
is "$(grep 'preserved, all orders' "$TMP/real.txt" | sed 's/.*(\([0-9]*\)).*/\1/')" \
	"$(jq '.bytes' "$TMP/stat.json")" "text legend: preserved bytes = stat"

# SVG: XML, every rect titled, the regions README.md and serial.log name
# shellcheck disable=SC2086
expect_exit 0 "map --svg" map $R --svg "$TMP/real.svg"
# shellcheck disable=SC2086
"$KHOCTL" map $R --svg "$TMP/real2.svg"
cmp -s "$TMP/real.svg" "$TMP/real2.svg"; ok $? "same input, byte-identical SVG"
ok "$(grep -Eq '[0-9]{4}-[0-9]{2}-[0-9]{2}' "$TMP/real.svg"; echo $((1 - $?)))" "SVG: no date in it"

# svg_titles FILE CLASS-PREFIX: the titles of the rects of that class
svg_titles() {
	if [ -n "$XMLLINT" ]; then
		$XMLLINT --xpath "//*[local-name()=\"rect\"][starts-with(@class,\"$2\")]/*[local-name()=\"title\"]/text()" "$1" 2>/dev/null
	else
		sed -n "s|^<rect class=\"$2[^\"]*\".*<title>\(.*\)</title></rect>\$|\1|p" "$1"
	fi
}
# title_range TITLE: "START END" (decimal) of "0xS-0xE (...): ..."
title_range() {
	local r=${1%% *}
	echo $((${r%-*})) $((${r#*-}))
}
# covered FILE ADDR: is ADDR inside a preserved rect's title range?
covered() {
	local a=$(($2)) s e
	svg_titles "$1" preserved >"$TMP/titles"
	while read -r line; do
		set -- $(title_range "$line")
		[ "$a" -ge "$1" ] && [ "$a" -le "$2" ] && return 0
	done <"$TMP/titles"
	return 1
}
if [ -n "$XMLLINT" ]; then
	$XMLLINT --noout "$TMP/real.svg"; ok $? "SVG is well-formed XML (xmllint)"
	is "$($XMLLINT --xpath 'count(//*[local-name()="rect"][not(*[local-name()="title"])])' "$TMP/real.svg")" 0 \
		"every rect has a <title>"
	is "$($XMLLINT --xpath 'name(/*)' "$TMP/real.svg")" svg "root element svg"
else
	skip "no xmllint (Debian: libxml2-utils)"; skip "no xmllint"; skip "no xmllint"
fi
ok "$(svg_titles "$TMP/real.svg" tracker | grep -c '^0x' | awk '{ exit !($1 > 0) }'; echo $?)" "SVG: tracker regions"
ok "$(svg_titles "$TMP/real.svg" scratch | grep -q '^0xec00000-'; echo $?)" \
	"SVG: a scratch region starts at 0xec00000 (serial.log scratch_phys)"

# a file name with XML specials in the legend stays well-formed
cp "$TMP/iomem" "$TMP/a&b<c>.iomem"
expect_exit 0 "map --svg, --iomem named with & < >" map --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf" \
	--iomem "$TMP/a&b<c>.iomem" --svg "$TMP/amp.svg"
if [ -n "$XMLLINT" ]; then
	$XMLLINT --noout "$TMP/amp.svg"; ok $? "... well-formed (escaped)"
else
	skip "no xmllint"
fi

# reserve_mem=1028K:16K:sample (README.md): zoomed to 4 KiB cells, the
# preserved rects of [0x1f000000, 0x1f200000) are exactly 0x1f0fc000 +
# 1028 KiB (memblock says start 0x1f0fc000; ranges ends it at 0x1f1fcfff).
# shellcheck disable=SC2086
expect_exit 0 "map --svg zoomed on reserve_mem 'sample'" map $R --from 0x1f000000 --to 0x1f200000 \
	--svg "$TMP/sample.svg"
is "$(svg_titles "$TMP/sample.svg" cell | wc -l | tr -d ' ')" 0 "4 KiB cells: no partial cells"
svg_titles "$TMP/sample.svg" preserved >"$TMP/titles"
lo= hi=0 sum=0
while read -r line; do
	set -- $(title_range "$line")
	[ -z "$lo" ] || [ "$1" -lt "$lo" ] && lo=$1
	[ "$2" -gt "$hi" ] && hi=$2
	sum=$((sum + $2 - $1 + 1))
done <"$TMP/titles"
printf '0x%x 0x%x %d\n' "${lo:-0}" "$hi" "$sum" >"$TMP/sample"
is "$(cat "$TMP/sample")" "0x1f0fc000 0x1f1fcfff $((1028 * 1024))" \
	"SVG: preserved = [0x1f0fc000, +1028 KiB) and nothing else"
# memfds (serial.log LUOX pfn-runs): 0x2b = pfn 0x14c7+3, 999 = 0x14ca+1,
# 0x1a starts 0xdcc+1 0x185bf+2 0x185eb+1 0x185ba+1 0x185d5+1 0x185ca+1
# shellcheck disable=SC2086
"$KHOCTL" map $R --from 0x1400000 --to 0x1500000 --svg "$TMP/m1.svg"
# shellcheck disable=SC2086
"$KHOCTL" map $R --from 0x18500000 --to 0x18600000 --svg "$TMP/m2.svg"
# shellcheck disable=SC2086
"$KHOCTL" map $R --from 0xd00000 --to 0xe00000 --svg "$TMP/m3.svg"
for pa in 0x14c7000 0x14c8000 0x14c9000 0x14ca000; do
	covered "$TMP/m1.svg" $pa; ok $? "SVG: memfd page $pa is in a preserved region"
done
for pa in 0x185ba000 0x185bf000 0x185c0000 0x185ca000 0x185d5000 0x185eb000; do
	covered "$TMP/m2.svg" $pa; ok $? "SVG: memfd 0x1a page $pa is in a preserved region"
done
covered "$TMP/m3.svg" 0xdcc000; ok $? "SVG: memfd 0x1a page 0xdcc000 is in a preserved region"
covered "$TMP/m2.svg" 0x185bb000; ok $((1 - $?)) "SVG: 0x185bb000 (between memfd runs) is not"

# ---------------------------------------------------------------------
# Other inputs: --live (k1 sysroot: RAM and scratch from the system),
# a capture bundle of it, --incoming (k2: the tracker pages were reused,
# README.md: blobs and RAM drawn, exit 2).
expect_exit 0 "map --live --sysroot k1" map --live --sysroot "$k1" --color=never
sed -n '3,34p' "$TMP/out" >"$TMP/live.rows"
sed -n '3,34p' "$TMP/real.txt" >"$TMP/real.rows"
cmp -s "$TMP/live.rows" "$TMP/real.rows"; ok $? "--live: same picture as files + iomem + scratch"
is "$(grep '^RAM map' "$TMP/out")" "RAM map: System RAM of the input (/proc/iomem)" "--live: RAM map origin"
expect_exit 0 "capture --live k1" capture --live --sysroot "$k1" "$TMP/cap"
expect_exit 0 "map --capture" map --capture "$TMP/cap" --color=never
sed -n '3,34p' "$TMP/out" >"$TMP/cap.rows"
cmp -s "$TMP/cap.rows" "$TMP/real.rows"; ok $? "--capture: same picture"
expect_exit 2 "map --incoming --sysroot k2 (tracker reused)" map --incoming --sysroot "$k2" --color=never
ok "$(grep -q 'B' "$TMP/out" && grep -q '^tracker: not decoded' "$TMP/out"; echo $?)" \
	"--incoming: blobs drawn, the legend says the tracker was not decoded"

# ---------------------------------------------------------------------
# Scale: W1 (4,194,304 order-0 folios in 32 GiB, tests/cli/w1.sh) and 1000
# 1 GiB folios in 4 TiB: both finish fast; totals = stat.
expect_exit 0 "synth W1" synth --output "$TMP/w1" --gen random0 --count 4194304 --ram 32G --seed 7
W="--fdt $TMP/w1.fdt --mem $TMP/w1.elf"
t0=$(date +%s)
# shellcheck disable=SC2086
expect_exit 0 "map W1" map $W --ram 0x100000000+32G --json
t1=$(date +%s)
diag "map W1: $((t1 - t0)) s"
ok "$([ $((t1 - t0)) -lt 60 ]; echo $?)" "map W1 in under a minute"
# shellcheck disable=SC2086
"$KHOCTL" stat $W --json >"$TMP/ws.json"
is "$(jq '.totals.preserved_0' "$TMP/out")" "$(jq '.bytes' "$TMP/ws.json")" "W1: preserved bytes = stat"
is "$(jq '.folios.preserved_0' "$TMP/out")" "$(jq '.folios' "$TMP/ws.json")" "W1: folios = stat"
is "$(jq '.totals.ram' "$TMP/out")" $((32 << 30)) "W1: RAM 32 GiB"

expect_exit 0 "synth 4 TiB" synth --output "$TMP/tb" --gen huge --count 1000 --ram 4T --seed 3
T="--fdt $TMP/tb.fdt --mem $TMP/tb.elf"
t0=$(date +%s)
# shellcheck disable=SC2086
expect_exit 0 "map 4 TiB" map $T --ram 0x100000000+4T --json
t1=$(date +%s)
ok "$([ $((t1 - t0)) -lt 30 ]; echo $?)" "map 4 TiB in under 30 s ($((t1 - t0)) s)"
# shellcheck disable=SC2086
"$KHOCTL" stat $T --json >"$TMP/ts.json"
is "$(jq '.totals.preserved_18' "$TMP/out")" $((1000 << 30)) "4 TiB: 1000 GiB of order-18 folios"
is "$(jq '.folios.preserved_18' "$TMP/out")" "$(jq '[.orders[] | select(.order >= 18) | .count] | add' "$TMP/ts.json")" \
	"4 TiB: 1 GiB folios = stat"
is "$(jq '[.totals.preserved_0, .totals.preserved_1_8, .totals.preserved_9_17, .totals.preserved_18] | add' "$TMP/out")" \
	"$(jq '.bytes' "$TMP/ts.json")" "4 TiB: preserved bytes = stat"
# shellcheck disable=SC2086
expect_exit 0 "map --svg 4 TiB" map $T --ram 0x100000000+4T --svg "$TMP/tb.svg"
if [ -n "$XMLLINT" ]; then
	$XMLLINT --noout "$TMP/tb.svg"; ok $? "4 TiB SVG is well-formed"
else
	skip "no xmllint"
fi
n=$(grep -c '<rect' "$TMP/tb.svg")
ok "$([ "$n" -le $((64 * 32 + 64 * 33 + 40)) ]; echo $?)" "4 TiB SVG: at most a rect (+ background) per cell ($n)"

# Every generation: preserved bytes and tracker bytes = stat (kho-v1 with
# 512-byte bitmaps counts 512 bytes a bitmap, as stat does; the RFC form
# has no tracker pages: its ranges live in the FDT).
for g in "kho-v1 --producer 6.16" kho-v1 kho-v2 kho-v3 rfc; do
	# shellcheck disable=SC2086
	expect_exit 0 "synth mixed, $g" synth --output "$TMP/gen" --gen mixed --ram 8G --density 0.3 --seed 5 --abi $g
	case $g in *--producer*) p="--producer ${g##* }" ;; *) p= ;; esac
	# shellcheck disable=SC2086
	"$KHOCTL" stat --fdt "$TMP/gen.fdt" --mem "$TMP/gen.elf" --json $p >"$TMP/gs.json"
	# shellcheck disable=SC2086
	expect_exit 0 "map, $g" map --fdt "$TMP/gen.fdt" --mem "$TMP/gen.elf" --json $p
	cp "$TMP/out" "$TMP/gm.json"
	ok "$(jq -e '.bytes > 0' "$TMP/gs.json" >/dev/null; echo $?)" "$g: stat read it"
	is "$(jq '[.totals.preserved_0, .totals.preserved_1_8, .totals.preserved_9_17, .totals.preserved_18] | add' "$TMP/gm.json") $(jq '.totals.tracker - (if .totals.root_fdt_page then 4096 else 0 end)' "$TMP/gm.json")" \
		"$(jq '.bytes' "$TMP/gs.json") $(jq '.tracker.bytes' "$TMP/gs.json")" \
		"$g: preserved and tracker bytes = stat"
done

# ---------------------------------------------------------------------
# Hostile options: usage errors (exit 64) with a message.
expect_exit 64 "--width 0" map $G --width 0
expect_exit 64 "--width 5000" map $G --width 5000
expect_exit 64 "--rows 0" map $G --rows 0
expect_exit 64 "--width x --rows too large" map $G --width 1024 --rows 4096
expect_exit 64 "--from above --to" map $G --from 0x2000000 --to 0x1000000
expect_exit 64 "--from = --to" map $G --from 1M --to 1M
expect_exit 64 "--to 0" map $G --to 0
expect_exit 64 "--from beyond everything" map $G --from 1P
expect_exit 64 "--from not a number" map $G --from banana
expect_exit 64 "--color=maybe" map $G --color=maybe
expect_exit 64 "--svg and --json" map $G --svg "$TMP/x.svg" --json
expect_exit 2 "--svg into a missing directory" map $G --svg "$TMP/no/such/x.svg"
expect_exit 64 "no input" map

# Hostile inputs: exit 2 (with the picture of what could be read where
# there is one), never a crash; output that cannot be written is exit 2.
head -c 100 "$F/root.fdt" >"$TMP/trunc.fdt"
expect_exit 2 "FDT cut to 100 bytes" map --fdt "$TMP/trunc.fdt" --mem "$F/slim-kexec.elf"
expect_exit 2 "root.fdt + slim-post.elf (tree pages reused, README)" \
	map --fdt "$F/root.fdt" --mem "$F/slim-post.elf"
for o in --color=never --json "--svg -"; do
	# shellcheck disable=SC2086
	"$KHOCTL" map $R $o >/dev/full 2>"$TMP/err"
	is "$?" 2 "map $o > /dev/full: exit 2"
	ok "$([ -s "$TMP/err" ] && ! crashy "$TMP/err"; echo $?)" "map $o > /dev/full: a clean message"
done
GEN=${KHOCTL%/khoctl/khoctl}/tests/gen/genhostile
if [ -x "$GEN" ]; then
	"$GEN" fanout "$TMP/fan.fdt" "$TMP/fan.img" 6000 >/dev/null || bail_out "genhostile fanout"
	expect_exit 0 "wide radix tree (6000 pages)" map --fdt "$TMP/fan.fdt" --mem "$TMP/fan.img@0x1000000" --json
	is "$(jq '.totals.tracker_pages' "$TMP/out")" \
		"$("$KHOCTL" stat --json --fdt "$TMP/fan.fdt" --mem "$TMP/fan.img@0x1000000" | jq '.tracker.pages')" \
		"wide radix tree: tracker pages = stat"
	"$GEN" samepage "$TMP/same.fdt" "$TMP/same.img" || bail_out "genhostile samepage"
	expect_exit 2 "a page that points at itself" map --fdt "$TMP/same.fdt" --mem "$TMP/same.img@0x1000000"
	"$GEN" selfroot "$TMP/self.fdt" "$TMP/self.img" || bail_out "genhostile selfroot"
	expect_exit 2 "root entries -> the root" map --fdt "$TMP/self.fdt" --mem "$TMP/self.img@0x1000000"
else
	skip "genhostile not built"; skip "genhostile not built"; skip "genhostile not built"
	skip "genhostile not built"; skip "genhostile not built"
fi

done_testing
