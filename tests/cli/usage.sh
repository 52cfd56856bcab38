#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl command line: help, exact subcommand matching, usage errors (64).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

F=$FIXTURES

# help and version
expect_exit 0 "khoctl --help" --help
for c in dump stat ranges synth; do
	grep -q "^ *$c " "$TMP/out"
	ok $? "--help lists $c"
done
for c in dump stat ranges synth; do
	expect_exit 0 "khoctl $c --help" "$c" --help
	grep -q -- "--json" "$TMP/out" || [ "$c" = synth ]
	ok $? "khoctl $c --help mentions --json (synth: common options)"
done
expect_exit 0 "khoctl --version" --version
grep -q '[0-9]\.[0-9]' "$TMP/out"
ok $? "--version prints a version number"

# usage errors: exit 64, message on stderr, nothing on stdout
usage_named() {
	local desc=$1
	shift
	expect_exit 64 "$desc" "$@"
	is "$(wc -c <"$TMP/out" | tr -d ' ')" 0 "$desc: nothing on stdout"
}
usage_named "no command"
usage_named "unknown command" bogus
usage_named "prefix of a command (no prefix matching)" sta
usage_named "prefix of a command (no prefix matching)" rang --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf"
usage_named "unknown option" stat --bogus --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf"
usage_named "unknown global option" --bogus stat
usage_named "stat without input" stat
usage_named "ranges without --mem" ranges --fdt "$F/root.fdt"
usage_named "option missing its argument" stat --fdt
usage_named "stray argument" stat --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf" extra
usage_named "synth without -o" synth --gen random0 --ram 1G --count 1
usage_named "synth unknown generator" synth --output "$TMP/x" --gen nope --ram 1G --count 1
usage_named "synth --count and --density together" synth --output "$TMP/x" --gen random0 --ram 1G --count 1 --density 0.5
usage_named "synth --gen without --ram" synth --output "$TMP/x" --gen random0 --count 1
usage_named "synth --density out of range" synth --output "$TMP/x" --gen random0 --ram 1G --density 1.5
usage_named "synth --count larger than the RAM" synth --output "$TMP/x" --gen random0 --ram 1M --count 1000
usage_named "synth --gen and --folios together" synth --output "$TMP/x" --gen random0 --ram 1G --count 1 --folios /dev/null
usage_named "synth bad --ram" synth --output "$TMP/x" --gen random0 --ram 12Q --count 1

# folio files: errors name FILE:LINE, exit 64 (khoctl synth --help)
printf '0x200000000 0\nnot-a-number 3\n' >"$TMP/bad1"
usage_named "folio file with a bad line" synth --output "$TMP/x" --folios "$TMP/bad1"
grep -q "bad1:2" "$TMP/err"
ok $? "folio file error names FILE:LINE"
printf '0x200001000 1\n' >"$TMP/bad2"
usage_named "folio not aligned to its order" synth --output "$TMP/x" --folios "$TMP/bad2"
printf '0x200000000 41\n' >"$TMP/bad3"
usage_named "folio order beyond 2^52" synth --output "$TMP/x" --folios "$TMP/bad3"
printf '0x10000000000000 0\n' >"$TMP/bad4"
usage_named "folio at 2^52" synth --output "$TMP/x" --folios "$TMP/bad4"
printf '0x1000000 0\n' >"$TMP/bad5"
usage_named "folio inside the encoder's meta area" synth --output "$TMP/x" --folios "$TMP/bad5"
printf '0x200000000\n' >"$TMP/bad6"
usage_named "folio line without an order" synth --output "$TMP/x" --folios "$TMP/bad6"
printf '0x200000000 0 7\n' >"$TMP/bad7"
usage_named "folio line with a third field" synth --output "$TMP/x" --folios "$TMP/bad7"
ok "$([ ! -e "$TMP/x.fdt" ] && [ ! -e "$TMP/x.elf" ]; echo $?)" \
	"no output files after usage errors"

# FILE@BASE with a base that is not a number: either a usage error or
# (file names may contain '@') a file that does not exist
kho "$TMP/out" "$TMP/err" stat --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf@zzz"
ok "$([ "$rc" = 64 ] || [ "$rc" = 2 ]; echo $?)" "--mem FILE@zzz: exit 64 or 2 (got $rc)"
ok "$([ -s "$TMP/err" ] && ! crashy "$TMP/err"; echo $?)" "--mem FILE@zzz: a clean message"

# a missing folio file cannot be read: 2, not 64
expect_exit 2 "synth --folios of a missing file" synth --output "$TMP/x" --folios "$TMP/missing"

done_testing
