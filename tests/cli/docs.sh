#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Documentation stays in sync with the program: every command of
# `khoctl --help` has its place in khoctl(8), every rule of `khoctl rules`
# is documented in khoctl-rules(7), and the pages render.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
MAN8=$TESTS_SRCDIR/../man/khoctl.8

cmds=$("$KHOCTL" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
[ -n "$cmds" ]; ok $? "khoctl --help lists commands"
for c in $cmds; do
	[ "$c" = help ] && continue
	grep -Eq "^\.B khoctl $c\b|^\.SS .*\b$c\b|^\.TP.*\n\.B $c|^\.B $c\b" "$MAN8"
	ok $? "khoctl(8) documents '$c'"
done

# every long option of every command is in khoctl(8) (argp's --usage aside)
missing=""
for c in $cmds; do
	[ "$c" = help ] && continue
	for o in $("$KHOCTL" "$c" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		[ "$o" = --usage ] && continue
		grep -q -- "$(echo "$o" | sed 's/-/\\\\-/g')" "$MAN8" || missing="$missing $c:$o"
	done
done
is "$missing" "" "khoctl(8) documents every option of every command"

"$KHOCTL" rules --man >"$TMP/rules.7"; ok $? "khoctl rules --man"
ids=$("$KHOCTL" rules --json | jq -r '.rules[].id')
n=0; missing=""
for id in $ids; do
	n=$((n + 1))
	grep -q "^\.B $(echo "$id" | sed 's/-/\\\\-/')" "$TMP/rules.7" || missing="$missing $id"
done
[ "$n" -gt 40 ]; ok $? "$n rules in the table"
is "$missing" "" "every rule ID has an entry in khoctl-rules(7)"

if command -v groff >/dev/null; then
	groff -man -Tutf8 -P-cbou -ww "$TMP/rules.7" >"$TMP/rules.txt" 2>"$TMP/groff.err"
	ok $? "khoctl-rules(7) renders"
	is "$(cat "$TMP/groff.err")" "" "groff has no warnings for khoctl-rules(7)"
	groff -man -Tutf8 -ww "$MAN8" >/dev/null 2>"$TMP/groff8.err"
	is "$(cat "$TMP/groff8.err")" "" "groff has no warnings for khoctl(8)"
	# the rendered page carries an explanation per rule, not only IDs
	grep -q "KHO.*E001" "$TMP/rules.txt"; ok $? "rendered page shows KHO-E001"
else
	skip "no groff"; skip "no groff"; skip "no groff"; skip "no groff"
fi

# Every page renders through man(1) without a warning (as a user reads
# it), and the rendered khoctl(8) names every command.
if command -v man >/dev/null 2>&1; then
	for page in "$TESTS_SRCDIR"/../man/*.[1-9] "$TMP/rules.7"; do
		LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -l "$page" \
			2>&1 >/dev/null | head -n 5 >"$TMP/man.err"
		is "$(cat "$TMP/man.err")" "" "man -l $(basename "$page"): no warnings"
	done
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$MAN8" 2>/dev/null | col -b >"$TMP/khoctl.txt" 2>/dev/null ||
		LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$MAN8" 2>/dev/null >"$TMP/khoctl.txt"
	missing=""
	for c in $cmds; do
		[ "$c" = help ] && continue
		grep -Eq "khoctl +$c\b" "$TMP/khoctl.txt" || missing="$missing $c"
	done
	is "$missing" "" "man -l khoctl.8 shows every command of khoctl --help"
else
	skip "no man(1)"
fi

# The examples of README.md's "What the output looks like" are real: each
# "    $ khoctl ARGS" block is run ($F = the bundled capture) and its lines
# must be khoctl's, in order; "..." stands for lines left out; the
# encode/decode times of analyze and runs of spaces are not compared.
README=$TESTS_SRCDIR/../README.md
F=$FIXTURES
awk -v dir="$TMP" '
	/^## / { on = ($0 ~ /^## What the output looks like/); next }
	!on { next }
	/^    \$ khoctl / { n++; sub(/^    \$ khoctl /, ""); print > (dir "/ex" n ".cmd"); blk = 1; next }
	blk && /^    / { sub(/^    /, ""); print > (dir "/ex" n ".want"); next }
	{ blk = 0 }
' "$README"
nex=0
for cmd in "$TMP"/ex*.cmd; do
	[ -f "$cmd" ] || continue
	nex=$((nex + 1))
	args=$(cat "$cmd")
	# shellcheck disable=SC2086
	eval "set -- $args"
	"$KHOCTL" "$@" >"$TMP/ex.got" 2>&1
	awk '
		function norm(l,  f, n, i, o) {
			# column widths follow the widest cell (libsmartcols)
			gsub(/  +/, " ", l)
			if (l !~ /^ *(pairs|packed|chunk-e1a|chunk-e1b|radix|slices) /)
				return l
			n = split(l, f, " "); o = ""
			for (i = 1; i <= n; i++)
				if (i != 5 && i != 6)
					o = o " " f[i]
			return o
		}
		NR == FNR { got[++ng] = norm($0); next }
		{ want[++nw] = $0 }
		END {
			g = 1; skip = 0
			for (w = 1; w <= nw; w++) {
				if (want[w] == "...") { skip = 1; continue }
				l = norm(want[w])
				while (skip && g <= ng && got[g] != l)
					g++
				if (g > ng || got[g] != l) {
					printf "README line not in the output (or out of order): %s\n", want[w]
					exit 1
				}
				g++; skip = 0
			}
			if (!skip && g <= ng) {
				printf "output goes on after the README example: %s\n", got[g]
				exit 1
			}
		}
	' "$TMP/ex.got" "${cmd%.cmd}.want" >"$TMP/ex.err"
	ok $? "README example is real: khoctl $(echo "$args" | cut -c1-60)"
	comment <"$TMP/ex.err"
done
[ "$nex" -ge 3 ]; ok $? "README shows $nex khoctl examples (dump, verify, analyze)"

# doc/ABI.md is the reference the sources cite: no citation of a file the
# repository does not have, and every "doc/ABI.md N[.M[.K]]" names a heading there.
TOP=$TESTS_SRCDIR/..
stale=$(cd "$TOP" && grep -rln 'kho-abi\.md' libkhofmt khoctl kexec man tests doc README.md 2>/dev/null | grep -v '^tests/cli/docs\.sh$')
is "$stale" "" "no source cites kho-abi.md (doc/ABI.md is the reference)"
heads=$(sed -n 's/^#\{2,4\} \([0-9][0-9.]*\) .*/\1/p' "$TOP/doc/ABI.md" | sed 's/\.$//')
[ "$(echo "$heads" | wc -l)" -ge 40 ]; ok $? "doc/ABI.md has its numbered sections"
cited=$(cd "$TOP" && grep -rhoE 'doc/ABI\.md( section)? [0-9]+(\.[0-9]+)*' libkhofmt khoctl kexec man tests doc 2>/dev/null |
	sed -E 's/.* ([0-9.]+)$/\1/; s/\.$//' | sort -u)
bad=""
for c in $cited; do
	echo "$heads" | grep -qx "$c" || bad="$bad $c"
done
is "$bad" "" "every doc/ABI.md section cited in the sources exists ($(echo "$cited" | wc -w) cited)"

# The README's first command (after setup-debian.sh) is what a new admin
# runs first: it must fit a screen (under 60 lines) and be the dump the
# README shows in full under "What the output looks like" (checked above).
first=$(awk '/^    sh scripts\/setup-debian.sh && / { sub(/^.*&& \.\/khoctl\/khoctl /, ""); print; exit }' "$README")
case $first in
dump\ --fdt\ tests/fixtures/linux-7.2.13-lean-luo/*) ok 0 "README's first command is a dump of the bundled capture" ;;
*) ok 1 "README's first command is a dump of the bundled capture (got: $first)" ;;
esac
# shellcheck disable=SC2086
set -- $first
shift
# the README gives paths from the top of the tree
(cd "$TESTS_SRCDIR/.." && "$KHOCTL" dump "$@") >"$TMP/first.out" 2>"$TMP/first.err"
ok $? "README's first command: exit 0"
lines=$(wc -l <"$TMP/first.out")
[ "$lines" -gt 20 ] && [ "$lines" -lt 60 ]; ok $? "README's first command prints $lines lines (a screen: 20 < n < 60)"
ex=$(grep -l '^dump --fdt \$F/root.fdt --mem \$F/slim-kexec.elf$' "$TMP"/ex*.cmd | head -n 1)
cmp -s "$TMP/first.out" "${ex%.cmd}.want"; ok $? "README's first command prints, line for line, the dump example the README shows"
grep -Eq '^ +memfd: +3 MiB, 768 folios, 768 pages \(order 0: 768\), ' "$TMP/first.out"
ok $? "memfd 0x1a summarised in one line: 3 MiB, 768 order-0 folios (what the capture's kernel preserved)"
! grep -q 'INDEX' "$TMP/first.out"; ok $? "no per-folio table by default"

# libkhofmt(3)'s EXAMPLE is a complete first program: it compiles warning
# free against the built library and prints what the page says it prints
# on the bundled capture (818 entries and 12701696 bytes, as stat counts;
# one entry of order 9 or more: the order-10 one).
awk '
	/^\.SH / { on = ($0 ~ /^\.SH EXAMPLE/); next }
	on && /^\.nf/ { blk = ""; inb = 1; next }
	on && /^\.fi/ { if (blk ~ /#include/) { printf "%s", blk; exit } inb = 0; next }
	on && inb { sub(/^\\&/, ""); gsub(/\\e/, "\\"); blk = blk $0 "\n" }
' "$TESTS_SRCDIR/../man/libkhofmt.3" >"$TMP/first.c"
grep -q '^int main' "$TMP/first.c"; ok $? "libkhofmt(3) EXAMPLE holds a whole program (main)"
libdir=$(dirname "${LIBKHOFMT_SO:-/nonexistent/x}")
if [ -f "$libdir/libkhofmt.so" ] && command -v "${CC:-cc}" >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	"${CC:-cc}" -std=c11 -Wall -Wextra -Werror ${SAN_CFLAGS:-} -I"$TESTS_SRCDIR/../libkhofmt" \
		-o "$TMP/first" "$TMP/first.c" -L"$libdir" -lkhofmt 2>"$TMP/first.cc"
	ok $? "the EXAMPLE compiles with -Wall -Wextra -Werror against the built libkhofmt"
	comment <"$TMP/first.cc"
	got=$(LD_LIBRARY_PATH=$libdir "$TMP/first" "$F/root.fdt" "$F/slim-kexec.elf")
	is "$got" "kho-v4: 818 entries, 12701696 bytes, 1 of order 9 or more" "the EXAMPLE prints what the page says"
	is "$("$KHOCTL" stat --json --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf" | jq -r '"\(.folios) \(.bytes)"')" "818 12701696" "khoctl stat counts the same"
	grep -q '^\.B "cc first.c $(pkg\\-config' "$TESTS_SRCDIR/../man/libkhofmt.3"; ok $? "the page builds it through pkg-config"
	LD_LIBRARY_PATH=$libdir "$TMP/first" "$F/root.fdt" >/dev/null 2>&1
	is "$?" 64 "the EXAMPLE's usage error"
else
	skip "no built libkhofmt.so or no C compiler"
fi

done_testing
