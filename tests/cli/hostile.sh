#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile and unreadable inputs: khoctl exits 2 with a message on stderr,
# never crashes; output it cannot write is an error too.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

F=$FIXTURES
S=$TMP/s
printf '0x200000000 9\n0x200200000 0\n0x100000000 3\n' >"$TMP/folios"
"$KHOCTL" synth --output "$S" --folios "$TMP/folios" >/dev/null 2>&1 ||
	bail_out "khoctl synth failed"

# every reading command, text and JSON, must refuse the input with 2
refuse() {
	local desc=$1 fdt=$2 mem=$3 c j
	for c in dump stat ranges; do
		for j in "" --json; do
			expect_exit 2 "$desc: $c $j" $c --fdt "$fdt" --mem "$mem" $j
		done
	done
}

# ---- broken root FDTs
head -c 100 "$F/root.fdt" >"$TMP/trunc.fdt"
refuse "FDT cut to 100 bytes (head -c)" "$TMP/trunc.fdt" "$F/slim-kexec.elf"
grep -qi 'trunc' "$TMP/err"
ok $? "truncated FDT: the message says truncated"
head -c 20 "$F/root.fdt" >"$TMP/tiny.fdt"
expect_exit 2 "FDT cut to 20 bytes" stat --fdt "$TMP/tiny.fdt" --mem "$F/slim-kexec.elf"
: >"$TMP/empty.fdt"
expect_exit 2 "empty FDT file" stat --fdt "$TMP/empty.fdt" --mem "$F/slim-kexec.elf"
random_bytes 4096 12345 "$TMP/random.fdt"
refuse "FDT of 4096 random bytes" "$TMP/random.fdt" "$F/slim-kexec.elf"
# random bytes behind a valid magic
{ printf '\320\015\376\355'; tail -c +5 "$TMP/random.fdt"; } >"$TMP/magic.fdt"
expect_exit 2 "FDT magic + random bytes" stat --fdt "$TMP/magic.fdt" --mem "$F/slim-kexec.elf"
expect_exit 2 "FDT is a directory" stat --fdt "$TMP" --mem "$F/slim-kexec.elf"
expect_exit 2 "FDT file missing" stat --fdt "$TMP/nope.fdt" --mem "$F/slim-kexec.elf"
grep -q "nope.fdt" "$TMP/err"
ok $? "missing FDT: the message names the file"

# ---- broken memory sources
refuse "--mem file missing" "$S.fdt" "$TMP/missing.elf"
grep -q "missing.elf" "$TMP/err"
ok $? "missing --mem: the message names the file"
head -c 1000 "$S.elf" >"$TMP/trunc.elf"
refuse "ELF cut to 1000 bytes" "$S.fdt" "$TMP/trunc.elf"
random_bytes 8192 777 "$TMP/random.elf"
expect_exit 2 "ELF of random bytes" stat --fdt "$S.fdt" --mem "$TMP/random.elf"
expect_exit 2 "--mem is the FDT file" stat --fdt "$S.fdt" --mem "$S.fdt"
expect_exit 2 "raw image that misses the tree" stat --fdt "$S.fdt" --mem "$TMP/random.elf@0x40000000"

# ---- one wording per condition, whichever option names the file
expect_exit 2 "--mem is a directory" stat --fdt "$S.fdt" --mem "$TMP"
is "$(cat "$TMP/err")" "khoctl: $TMP: is a directory" "--mem DIR: 'is a directory'"
expect_exit 2 "--fdt is a directory" stat --fdt "$TMP" --mem "$S.elf"
is "$(cat "$TMP/err")" "khoctl: $TMP: is a directory" "--fdt DIR: the same words"
expect_exit 2 "--mem missing" stat --fdt "$S.fdt" --mem "$TMP/nope"
is "$(cat "$TMP/err")" "khoctl: $TMP/nope: cannot open: No such file or directory" "--mem missing: 'cannot open: ...'"
expect_exit 2 "--fdt missing" stat --fdt "$TMP/nope" --mem "$S.elf"
is "$(cat "$TMP/err")" "khoctl: $TMP/nope: cannot open: No such file or directory" "--fdt missing: the same words"
expect_exit 2 "--mem FILE@zz" stat --fdt "$S.fdt" --mem "$S.elf@zz"
grep -q "cannot open: No such file or directory (a raw image is FILE@BASE, and 'zz' is no address)" "$TMP/err"
ok $? "--mem FILE@zz: says the @ part is no address"

# ---- FDTs written with dtc: wrong map, wrong compatible
if [ -n "${DTC:-}" ] && [ -x "$DTC" ]; then
	mk() { # NAME COMPATIBLE MAP-PROPERTY-LINE
		printf '/dts-v1/;\n/ {\n\tcompatible = "%s";\n%s\n};\n' "$2" "$3" >"$TMP/$1.dts"
		"$DTC" -I dts -O dtb -o "$TMP/$1.fdt" "$TMP/$1.dts" 2>/dev/null
	}
	mk outside kho-v4 "	preserved-memory-map = $(u64_to_cells 0x7f0000000);"
	refuse "map pointing outside the memory source" "$TMP/outside.fdt" "$S.elf"
	mk unaligned kho-v4 "	preserved-memory-map = $(u64_to_cells 0x1000008);"
	expect_exit 2 "map not page-aligned" stat --fdt "$TMP/unaligned.fdt" --mem "$S.elf"
	mk zero kho-v4 "	preserved-memory-map = $(u64_to_cells 0);"
	expect_exit 2 "map = 0" stat --fdt "$TMP/zero.fdt" --mem "$S.elf"
	mk nomap kho-v4 ""
	expect_exit 2 "no preserved-memory-map" stat --fdt "$TMP/nomap.fdt" --mem "$S.elf"
	mk short kho-v4 "	preserved-memory-map = <0x1000000>;"
	expect_exit 2 "4-byte preserved-memory-map" stat --fdt "$TMP/short.fdt" --mem "$S.elf"
	mk v9 kho-v9 "	preserved-memory-map = $(u64_to_cells 0x1000000);"
	expect_exit 2 "unknown compatible kho-v9" stat --fdt "$TMP/v9.fdt" --mem "$S.elf"
	grep -q 'kho-v9' "$TMP/err"
	ok $? "unknown compatible: the message names it"
	# the same map, written by dtc, decodes: the errors above are the edits
	mk good kho-v4 "	preserved-memory-map = $(u64_to_cells 0x1000000);"
	expect_exit 0 "dtc-written FDT with the right map decodes" stat --fdt "$TMP/good.fdt" --mem "$S.elf"
else
	skip "dtc not found"
fi

# ---- a real mismatch: the first kernel's FDT over the second kernel's memory
refuse "root.fdt + slim-post.elf (tree pages reused, README)" "$F/root.fdt" "$F/slim-post.elf"

# ---- output that cannot be written
for c in dump stat ranges; do
	for j in "" --json; do
		"$KHOCTL" $c --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf" $j >/dev/full 2>"$TMP/err"
		is "$?" 2 "$c $j > /dev/full: exit 2"
		ok "$([ -s "$TMP/err" ] && ! crashy "$TMP/err"; echo $?)" \
			"$c $j > /dev/full: a clean message"
	done
done
"$KHOCTL" ranges --folios --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf" >/dev/full 2>"$TMP/err"
is "$?" 2 "ranges --folios > /dev/full: exit 2"
"$KHOCTL" synth --output "$TMP/nodir/x" --folios "$TMP/folios" >"$TMP/out" 2>"$TMP/err"
is "$?" 2 "synth --output into a missing directory: exit 2"

done_testing
