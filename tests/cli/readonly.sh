#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Read-only: khoctl opens nothing for writing except the output paths it
# was given (synth --output PREFIX), and never writes below /proc, /sys or /dev.
# Every command runs under strace -f -e trace=open,openat,openat2,creat;
# the real binary is traced (libtool --mode=execute), not the wrapper.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

command -v strace >/dev/null 2>&1 || skip_all "strace not found (Debian: strace)"
LIBTOOL=${KHOCTL%/khoctl/khoctl}/libtool
[ -x "$LIBTOOL" ] || skip_all "libtool script not found next to the build"
strace -f -o /dev/null true >/dev/null 2>&1 || skip_all "strace cannot trace here (ptrace refused)"
F=$FIXTURES

# traced OUTPUT-PREFIX DESC ARGS...: run khoctl under strace; every open
# with O_WRONLY, O_RDWR, O_CREAT or O_TRUNC must name a path that starts
# with OUTPUT-PREFIX (none allowed when it is "-").
traced() {
	local allow=$1 desc=$2 bad
	shift 2
	# LeakSanitizer cannot run under ptrace: off in a sanitizer build
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	"$LIBTOOL" --mode=execute strace -f -qq -o "$TMP/trace" \
		-e trace=open,openat,openat2,creat "$KHOCTL" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	# the path is the first quoted string of each open call
	bad=$(grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|creat\(' "$TMP/trace" |
		sed -n 's/^[^"]*"\([^"]*\)".*/\1/p' |
		while read -r p; do
			case $allow in
			-) echo "$p" ;;
			*) case $p in "$allow"*) ;; *) echo "$p" ;; esac ;;
			esac
		done)
	if [ -z "$bad" ] && [ -s "$TMP/trace" ]; then
		if [ "$allow" = - ]; then
			ok 0 "$desc: no open for writing (exit $rc)"
		else
			ok 0 "$desc: no open for writing outside $allow* (exit $rc)"
		fi
	else
		ok 1 "$desc: no open for writing outside the output"
		printf '%s\n' "$bad" | head -n 10 | comment
	fi
	grep -E '"/(proc|sys|dev)/' "$TMP/trace" | grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC' >"$TMP/sys" || :
	ok "$([ -s "$TMP/sys" ]; [ $? -ne 0 ]; echo $?)" "$desc: nothing below /proc, /sys, /dev opened for writing"
}

for c in dump stat ranges; do
	traced - "$c (real capture)" $c --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf"
	traced - "$c --json" $c --json --fdt "$F/root-k2.fdt" --mem "$F/slim-post.elf"
done
traced - "ranges --folios" ranges --folios --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf"
traced - "dump, FDT only" dump --fdt "$F/root.fdt"
traced - "dump of a raw image" dump --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf@0x0"
traced - "stat that fails (mismatched pair)" stat --fdt "$F/root.fdt" --mem "$F/slim-post.elf"
traced - "--help" --help
printf '0x200000000 9\n0x100000000 0\n' >"$TMP/folios"
traced "$TMP/syn" "synth -o" synth --output "$TMP/syn" --folios "$TMP/folios"
[ -s "$TMP/syn.fdt" ] && [ -s "$TMP/syn.elf" ]
ok $? "synth wrote its two outputs under strace"

done_testing
