#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The producer's page size comes from the data (issue 16 item 1, issue 19
# item 2): synthetic 4, 16 and 64 KiB-page states of every generation
# decode, verify clean and stat exactly without --page-shift; the oracle
# is the list of folios given to synth (summed here with awk), not khoctl.
# --page-shift stays an override; where the data cannot tell, exit 2 names
# --page-shift.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

# folios: order-0 .. order-4 entries, aligned for the largest page size
# (64 KiB << 4), inside a 1 GiB window at 4 GiB
awk 'BEGIN {
	base = 4294967296
	for (i = 0; i < 40; i++) {
		o = i % 5
		printf "%.0f %d\n", base + i * 4194304, o
	}
}' >"$TMP/folios"

# expected: entries, bytes = sum of page << (shift + order) over the list
# and the root FDT page synth preserves (order 0, where its summary says)
want() { # SHIFT
	awk -v s="$1" '{ n++; b += 2 ^ (s + $2) } END { printf "%d %.0f\n", n + 1, b + 2 ^ s }' "$TMP/folios"
}
fdt_entry() { # synth's summary line -> "PA 0" in decimal
	pa=$(sed -n 's/.*fdt pa: \(0x[0-9a-f]*\),.*/\1/p' "$TMP/out")
	printf '%d 0\n' "$pa"
}

# kho-v2 at 16 KiB: the first kho-v2 depth formula (4 levels) has no room
# for the order-0 bit (bit 50 lies above the top table, doc/ABI.md 4.1.1):
# the encoder refuses such an entry (the root FDT page is one) instead of
# writing a tree that decodes to something else. 5 levels (--radix-depth 5)
# hold every key, and the reader finds the depth from the top table.
expect_exit 2 "kho-v2 16 KiB, first-commit depth: synth refuses order-0 entries" \
	synth --output "$TMP/v2early" --abi kho-v2 --page-shift 14 --folios "$TMP/folios"
grep -q "does not fit the 4-level tree.*--radix-depth 5" "$TMP/err"
ok $? "kho-v2 16 KiB: the refusal names the tree and --radix-depth 5"
[ ! -e "$TMP/v2early.fdt" ]; ok $? "kho-v2 16 KiB: no state written"

# every generation with page geometry (not the RFC's byte ranges), from the
# registry (khoctl stat --abi help), so a new one is checked here unchanged
gens=$("$KHOCTL" stat --abi help | awk -F '\t' '$2 != "rfc-mem" { print $1 }' | sort -r)
r=0
for abi in kho-v4 kho-v3 kho-v2 kho-v1; do
	case " $(echo $gens) " in *" $abi "*) ;; *) r=1 ;; esac
done
ok $r "the generations with page geometry include kho-v1 .. kho-v4 (got: $(echo $gens))"

for abi in $gens; do
	for ps in 12 14 16; do
		k=$(( (1 << ps) / 1024 ))
		p=$TMP/$abi-$ps
		depth=
		[ "$abi$ps" = kho-v214 ] && depth="--radix-depth 5"
		# shellcheck disable=SC2086
		expect_exit 0 "$abi ${k} KiB: synth" synth --output "$p" --abi "$abi" --page-shift "$ps" \
			$depth --folios "$TMP/folios"
		{ cat "$TMP/folios"; fdt_entry; } | sort -n >"$TMP/want-folios"
		expect_exit 0 "$abi ${k} KiB: stat without --page-shift" stat --json \
			--fdt "$p.fdt" --mem "$p.elf"
		is "$(jq -r '"\(.folios) \(.bytes)"' "$TMP/out")" "$(want "$ps")" \
			"$abi ${k} KiB: entries and bytes exact"
		is "$(jq -r '"\(.page_size) \(.generation.page_size_basis)"' "$TMP/out")" \
			"$((1 << ps)) tracker" "$abi ${k} KiB: page size from the tracker"
		expect_exit 0 "$abi ${k} KiB: verify without --page-shift" verify --json \
			--fdt "$p.fdt" --mem "$p.elf"
		is "$(jq -c '[.summary.errors, .summary.warnings, .inputs.page_size]' "$TMP/out")" \
			"[0,0,$((1 << ps))]" "$abi ${k} KiB: verify clean with the page size found"
		kho "$TMP/out" "$TMP/err" ranges --json --folios --fdt "$p.fdt" --mem "$p.elf"
		is "$(jq -r '.folios[] | "\(.phys) \(.order)"' "$TMP/out" | sort -n | md5sum)" \
			"$(md5sum <"$TMP/want-folios")" \
			"$abi ${k} KiB: ranges --folios = the list given"
	done
done

# the default kho-v4 at 16 and 64 KiB with demo sub-schemas: the LUO memfds
# and blobs decode too (dump exit 0, no fatal problem)
for ps in 14 16; do
	p=$TMP/luo-$ps
	expect_exit 0 "synth LUO $ps" synth --output "$p" --page-shift "$ps" --folios "$TMP/folios" \
		--luo 's1:0x1a=300K'
	expect_exit 0 "dump LUO $ps without --page-shift" dump --json --fdt "$p.fdt" --mem "$p.elf"
	is "$(jq -c '[.tracker.page_size, (.subnodes[] | select(.name == "LUO") | .sessions[0].files[0].memfd.size)]' "$TMP/out")" \
		"[$((1 << ps)),307200]" "LUO $ps: memfd size 300 KiB under the page size found"
	expect_exit 0 "verify LUO $ps without --page-shift" verify --fdt "$p.fdt" --mem "$p.elf"
done

# the option still wins: a 64 KiB state read as 4 KiB is what the user
# asked for (and fails)
expect_exit 2 "stat --page-shift 12 on a 64 KiB state" stat --page-shift 12 \
	--fdt "$TMP/kho-v4-16.fdt" --mem "$TMP/kho-v4-16.elf"

# the data cannot tell: a 64 KiB kho-v1 chunk list of two entries (the one
# given and the root FDT page) reads consistently under every page size,
# with different entries, and has too few pages for alignment to decide:
# exit 2 naming --page-shift; with it, exact
echo "4294967296 0" >"$TMP/one"
expect_exit 0 "synth two kho-v1 entries, 64 KiB" synth --output "$TMP/one" --abi kho-v1 \
	--page-shift 16 --folios "$TMP/one"
expect_exit 2 "kho-v1 64 KiB, two entries: ambiguous" stat --fdt "$TMP/one.fdt" --mem "$TMP/one.elf"
grep -q -- 'give --page-shift' "$TMP/err"; ok $? "the message names --page-shift"
expect_exit 0 "... with --page-shift 16" stat --json --page-shift 16 --fdt "$TMP/one.fdt" \
	--mem "$TMP/one.elf"
is "$(jq -r '"\(.folios) \(.bytes) \(.generation.page_size_basis)"' "$TMP/out")" "2 131072 option" \
	"--page-shift 16: two 64 KiB entries"

done_testing
