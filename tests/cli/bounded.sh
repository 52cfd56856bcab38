#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bounded resources: khoctl on hostile inputs (tests/gen/genhostile) under a
# 512 MiB address-space limit (ulimit -v; an ASan build, which reserves far
# more address space, gets ASAN_OPTIONS=hard_rss_limit_mb=512 instead) and
# a time limit. Each run must end in time with the expected exit status.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

GEN=${KHOCTL%/khoctl/khoctl}/tests/gen/genhostile
[ -x "$GEN" ] || bail_out "genhostile not built: $GEN"
command -v timeout >/dev/null 2>&1 || skip_all "timeout (coreutils) not found"
F=$FIXTURES
LIMIT_KB=524288
SECS=${KHO_BOUNDED_SECS:-120}

if (ulimit -v $LIMIT_KB && "$KHOCTL" --version) >/dev/null 2>&1; then
	how="ulimit -v $LIMIT_KB"
	limited() { (ulimit -v $LIMIT_KB; exec timeout "$SECS" "$KHOCTL" "$@"); }
else
	how="ASAN_OPTIONS=hard_rss_limit_mb=512 (sanitizer build)"
	limited() {
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=512" \
			timeout "$SECS" "$KHOCTL" "$@"
	}
fi
diag "limits: $how, timeout ${SECS} s"

# bounded WANT DESC ARGS...: exit WANT (124 = timeout, never expected)
bounded() {
	local want=$1 desc=$2 t0 t1
	shift 2
	t0=$(date +%s)
	limited "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	t1=$(date +%s)
	if ! is "$rc" "$want" "$desc: exit $want within the limits ($((t1 - t0)) s)"; then
		diag "command: khoctl $*"
		head -c 1500 "$TMP/err" | comment
	fi
	if crashy "$TMP/err"; then
		ok 1 "$desc: no crash or sanitizer report"
		head -c 2000 "$TMP/err" | comment
	else
		ok 0 "$desc: no crash or sanitizer report"
	fi
}

# ---- a wide radix tree: every valid-key entry -> a distinct page, 6000 pages
bits=$("$GEN" fanout "$TMP/fan.fdt" "$TMP/fan.img" 6000) || bail_out "genhostile fanout"
M=$TMP/fan.img@0x1000000
bounded 0 "fan-out tree (6000 pages, $bits entries): stat" stat --json --fdt "$TMP/fan.fdt" --mem "$M"
is "$(jq -r '.folios // .tracker.folios // empty' "$TMP/out" 2>/dev/null | head -n 1)" "$bits" \
	"fan-out tree: stat counts every leaf bit"
bounded 0 "fan-out tree: ranges" ranges --fdt "$TMP/fan.fdt" --mem "$M"
bounded 0 "fan-out tree: dump" dump --fdt "$TMP/fan.fdt" --mem "$M"

# ---- shared pages and cycles
"$GEN" samepage "$TMP/same.fdt" "$TMP/same.img" || bail_out "genhostile samepage"
for c in stat ranges dump; do
	bounded 2 "every entry -> one page that points at itself: $c" $c --fdt "$TMP/same.fdt" --mem "$TMP/same.img@0x1000000"
done
grep -qi 'already part of the tree\|cycle' "$TMP/err"
ok $? "shared page: the message names the cycle"
"$GEN" selfroot "$TMP/self.fdt" "$TMP/self.img" || bail_out "genhostile selfroot"
bounded 2 "every root entry -> the root: stat" stat --fdt "$TMP/self.fdt" --mem "$TMP/self.img@0x1000000"

# ---- 65535 tiny PT_LOADs: the real capture cut into pieces decodes the same
"$GEN" manyloads "$F/slim-post.elf" "$TMP/many.elf" 65535 || bail_out "genhostile manyloads"
bounded 0 "slim-post.elf as 65535 PT_LOADs: stat" stat --json --fdt "$F/root-k2.fdt" --mem "$TMP/many.elf"
cp "$TMP/out" "$TMP/many.json"
"$KHOCTL" stat --json --fdt "$F/root-k2.fdt" --mem "$F/slim-post.elf" >"$TMP/orig.json" 2>/dev/null
is "$(jq -S . "$TMP/many.json" 2>&1 | md5sum)" "$(jq -S . "$TMP/orig.json" 2>&1 | md5sum)" \
	"65535 PT_LOADs: the same stat as the original core"
bounded 0 "65535 PT_LOADs: ranges" ranges --fdt "$F/root-k2.fdt" --mem "$TMP/many.elf"
bounded 2 "65535 PT_LOADs under the wrong FDT" stat --fdt "$F/root.fdt" --mem "$TMP/many.elf"

# ---- root FDTs with thousands of subnodes
"$GEN" subnodes "$TMP/sub4000.fdt" 4000 || bail_out "genhostile subnodes"
bounded 0 "FDT with 4000 subnodes: dump" dump --json --fdt "$TMP/sub4000.fdt"
is "$(jq '.subnodes | length' "$TMP/out" 2>/dev/null)" 4000 "4000 subnodes listed"
"$GEN" subnodes "$TMP/sub20000.fdt" 20000 || bail_out "genhostile subnodes"
bounded 2 "FDT with 20000 subnodes: refused (limit)" dump --fdt "$TMP/sub20000.fdt"
grep -qi 'subnodes' "$TMP/err"
ok $? "too many subnodes: the message says so"

# An entry of an impossible order in a tiny tracker: the work follows the
# tracker (a few pages), not the 2^49 / 2^51 bytes the entry claims (the
# packed encoding of analyze used to take 2^25 words). 64 MiB of address
# space where ulimit works; the sanitizer build keeps the 512 MiB RSS cap.
if (ulimit -v 65536 && "$KHOCTL" --version) >/dev/null 2>&1; then
	limited() { (ulimit -v 65536; exec timeout "$SECS" "$KHOCTL" "$@"); }
	diag "impossible orders: ulimit -v 65536"
fi
for e in "0x2000000000000 37" "0x8000000000000 39"; do
	o=${e#* }
	printf '%s\n0x100000000 0\n' "$e" >"$TMP/huge$o.txt"
	"$KHOCTL" synth --folios "$TMP/huge$o.txt" --output "$TMP/huge$o" >/dev/null ||
		bail_out "synth order $o"
	bounded 0 "analyze, one order-$o entry" analyze --fdt "$TMP/huge$o.fdt" --mem "$TMP/huge$o.elf" --json
	is "$(jq -r '[.encodings[] | select(.match == true)] | length' "$TMP/out")" \
		"$(jq -r '.encodings | length' "$TMP/out")" "analyze order $o: every encoding gives the ranges back"
	bounded 1 "verify, one order-$o entry" verify --fdt "$TMP/huge$o.fdt" --mem "$TMP/huge$o.elf" --json
	is "$(jq -r '[.findings[] | select(.rule == "KHO-E028")] | length' "$TMP/out")" 1 \
		"verify order $o: KHO-E028 names the impossible order"
	bounded 0 "dump, one order-$o entry" dump --fdt "$TMP/huge$o.fdt" --mem "$TMP/huge$o.elf"
	bounded 0 "stat, one order-$o entry" stat --fdt "$TMP/huge$o.fdt" --mem "$TMP/huge$o.elf"
done

done_testing
