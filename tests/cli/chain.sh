#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Chains through khoctl (issue 16 item 3): a loop or a wild next pointer in
# the kho-v1 chunk list, a LUO session-block chain and a memfd's vmalloc
# chunk list, with 4 KiB and 64 KiB pages. verify must exit 1 with the
# chain's rule (never "clean"), the finding naming the node that holds the
# bad pointer; stat refuses a broken tracker (exit 2).
#
# The chains are found and edited here from doc/ABI.md alone: a pointer is
# a native (little-endian) u64; kho-v1 chunk {next 0/8, ...} from
# preserved-memory-map (4.2.1); luo_ser {.., sessions_pa 16/8, ..} (6.2.1),
# block {next 0/8, count 8/8} (6.3); memfd_luo_ser {.., folios 32/16} with
# kho_vmalloc {first 0/8, ..} (6.4, 6.5), chunk {next 0/8, ...}.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

command -v jq >/dev/null 2>&1 || skip_all "jq not found"
RE=${READELF:-$(command -v readelf || true)}
[ -n "$RE" ] || skip_all "readelf not found"
command -v od >/dev/null 2>&1 || skip_all "od not found"

# off ELF PA: file offset of physical address PA in ELF's LOAD segments
off() {
	"$RE" -lW "$1" | while read -r t o v p fs rest; do
		[ "$t" = LOAD ] || continue
		if [ "$(($2))" -ge $((p)) ] && [ "$(($2))" -lt $((p + fs)) ]; then
			echo $((o + $2 - p))
			break
		fi
	done
}

# get64 ELF PA: the u64 at PA, decimal
get64() {
	o=$(off "$1" "$2")
	[ -n "$o" ] || bail_out "0x$(printf %x "$2") not in $1"
	set -- $(od -An -v -tu1 -j "$o" -N 8 "$1")
	echo $(($1 | $2 << 8 | $3 << 16 | $4 << 24 | $5 << 32 | $6 << 40 | $7 << 48 | $8 << 56))
}

# put64 ELF PA VALUE
put64() {
	o=$(off "$1" "$2")
	[ -n "$o" ] || bail_out "0x$(printf %x "$2") not in $1"
	v=$3 s=
	for i in 0 1 2 3 4 5 6 7; do
		s="$s\\$(printf %03o $(((v >> (8 * i)) & 255)))"
	done
	printf "$s" | dd of="$1" bs=1 seek="$o" conv=notrunc 2>/dev/null
}

WILD=$((0x7f0000000000))

for ps in 12 16; do
	k=$((1 << (ps - 10)))
	P=$((1 << ps))
	# ---- kho-v1: three chunks (orders 0, 1, 2)
	printf '0x100000000 0\n0x100100000 0\n0x140000000 1\n0x180000000 2\n' >"$TMP/list"
	b=$TMP/v1-$ps
	expect_exit 0 "${k} KiB kho-v1: synth" synth --output "$b" --abi kho-v1 \
		--page-shift "$ps" --folios "$TMP/list"
	expect_exit 0 "${k} KiB kho-v1: verify clean" verify --page-shift "$ps" \
		--fdt "$b.fdt" --mem "$b.elf"
	expect_exit 0 "${k} KiB kho-v1: dump" dump --json --page-shift "$ps" --fdt "$b.fdt" --mem "$b.elf"
	c0=$(jq '.fdt.preserved_memory_map' "$TMP/out")
	c1=$(get64 "$b.elf" "$c0")
	c2=$(get64 "$b.elf" "$c1")
	ok "$([ "$c1" -ne 0 ] && [ "$c2" -ne 0 ] && [ "$(get64 "$b.elf" "$c2")" -eq 0 ]; echo $?)" \
		"${k} KiB kho-v1: three chunks $c0 -> $c1 -> $c2"
	cp "$b.elf" "$b-loop.elf"
	put64 "$b-loop.elf" "$c2" "$c0"
	expect_exit 1 "${k} KiB kho-v1, last chunk back to the first: verify" verify --json \
		--page-shift "$ps" --fdt "$b.fdt" --mem "$b-loop.elf"
	is "$(jq -c "[.summary.result, ([.findings[] | select(.rule == \"KHO-E022\" and (.message | test(\"chunk 0x$(printf %x "$c2"): next 0x$(printf %x "$c0")\")))] | length)]" "$TMP/out")" \
		'["errors",1]' "${k} KiB kho-v1 loop: KHO-E022 once, at the last chunk, naming the first"
	expect_exit 2 "${k} KiB kho-v1 loop: stat refuses" stat --page-shift "$ps" \
		--fdt "$b.fdt" --mem "$b-loop.elf"
	cp "$b.elf" "$b-wild.elf"
	put64 "$b-wild.elf" "$c1" "$WILD"
	expect_exit 1 "${k} KiB kho-v1, wild next: verify" verify --json \
		--page-shift "$ps" --fdt "$b.fdt" --mem "$b-wild.elf"
	is "$(jq -c "[.summary.result, ([.findings[] | select(.severity == \"error\" and (.message | test(\"chunk 0x$(printf %x "$c1"): next 0x7f0000000000 is not in the memory source\")))] | length)]" "$TMP/out")" \
		'["errors",1]' "${k} KiB kho-v1 wild next: one error at chunk 1"

	# ---- LUO: 60 sessions (two session blocks at 4 KiB), one memfd
	b=$TMP/luo-$ps
	luo=
	i=0
	while [ $i -lt 60 ]; do
		luo="$luo --luo s$i:0x$((i + 16))=1K"
		i=$((i + 1))
	done
	luo="$luo --luo big:0x1=$((600 * k))K"
	# shellcheck disable=SC2086
	expect_exit 0 "${k} KiB LUO: synth" synth --output "$b" --page-shift "$ps" \
		--folios "$TMP/list" $luo
	expect_exit 0 "${k} KiB LUO: verify clean" verify --page-shift "$ps" --fdt "$b.fdt" --mem "$b.elf"
	expect_exit 0 "${k} KiB LUO: dump" dump --json --details --page-shift "$ps" \
		--fdt "$b.fdt" --mem "$b.elf"
	root=$(jq '.subnodes[] | select(.name == "LUO") | .preserved_data' "$TMP/out")
	s0=$(get64 "$b.elf" $((root + 16)))
	cp "$b.elf" "$b-loop.elf"
	put64 "$b-loop.elf" "$s0" "$s0"
	expect_exit 1 "${k} KiB LUO session block pointing at itself: verify" verify --json \
		--page-shift "$ps" --fdt "$b.fdt" --mem "$b-loop.elf"
	is "$(jq -c "[.summary.result, ([.findings[] | select(.rule == \"KHO-E141\" and .address == $s0 and (.message | test(\"LUO sessions: block\")))] | length)]" "$TMP/out")" \
		'["errors",1]' "${k} KiB LUO loop: KHO-E141 at the block, naming the LUO sessions"
	expect_exit 0 "${k} KiB LUO loop: dump shows the error" dump --json --page-shift "$ps" \
		--fdt "$b.fdt" --mem "$b-loop.elf"
	ok "$(jq -e '.subnodes[] | select(.name == "LUO") | .sessions_error' "$TMP/out" >/dev/null; echo $?)" \
		"${k} KiB LUO loop: dump names sessions_error"

	# the memfd of session "big": its folio array's first chunk -> wild
	expect_exit 0 "${k} KiB LUO: dump again" dump --json --details --page-shift "$ps" \
		--fdt "$b.fdt" --mem "$b.elf"
	rec=$(jq '.subnodes[] | select(.name == "LUO") | .sessions[] | select(.name == "big") | .files[0].data' "$TMP/out")
	ch=$(get64 "$b.elf" $((rec + 32)))
	cp "$b.elf" "$b-wild.elf"
	put64 "$b-wild.elf" "$ch" "$WILD"
	expect_exit 1 "${k} KiB memfd folio array chunk, wild next: verify" verify --json \
		--page-shift "$ps" --fdt "$b.fdt" --mem "$b-wild.elf"
	is "$(jq -c "[.summary.result, ([.findings[] | select(.rule == \"KHO-E183\" and .address == $ch and (.message | test(\"memfd 0x$(printf %x "$rec") folio array\")))] | length)]" "$TMP/out")" \
		'["errors",1]' "${k} KiB memfd wild next: KHO-E183 at the chunk, naming the memfd"
	cp "$b.elf" "$b-mloop.elf"
	put64 "$b-mloop.elf" "$ch" "$ch"
	expect_exit 1 "${k} KiB memfd folio array chunk loop: verify" verify --json \
		--page-shift "$ps" --fdt "$b.fdt" --mem "$b-mloop.elf"
	is "$(jq -c "[.summary.result, ([.findings[] | select(.rule == \"KHO-E183\" and .address == $ch)] | length)]" "$TMP/out")" \
		'["errors",1]' "${k} KiB memfd chunk loop: KHO-E183 at the chunk"
done

done_testing
