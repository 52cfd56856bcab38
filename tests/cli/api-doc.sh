#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every function libkhofmt exports (the dynamic symbols khofmt_* of the
# built libkhofmt.so) is documented in a section 3 page of man/: its
# prototype in the page's SYNOPSIS and its name again in the text. A new
# function in libkhofmt/khofmt-AREA.h belongs in man/khofmt-AREA.3 (the
# core API of khofmt.h in man/libkhofmt.3).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

SRC=$TESTS_SRCDIR/..
BUILD=$(dirname "$(dirname "$KHOCTL")")
SO=$BUILD/libkhofmt/.libs/libkhofmt.so
A=$BUILD/libkhofmt/.libs/libkhofmt.a
NM=${NM:-nm}

command -v "$NM" >/dev/null 2>&1 || skip_all "no nm"
if [ -f "$SO" ]; then
	"$NM" -D --defined-only "$SO" >"$TMP/nm" 2>/dev/null
	what="libkhofmt.so"
elif [ -f "$A" ]; then
	"$NM" -g --defined-only "$A" >"$TMP/nm" 2>/dev/null
	what="libkhofmt.a"
else
	skip_all "libkhofmt not built as .so or .a under $BUILD/libkhofmt/.libs"
fi
awk '$2 ~ /^[TW]$/ && $3 ~ /^khofmt_/ { sub(/@.*/, "", $3); print $3 }' "$TMP/nm" |
	sort -u >"$TMP/syms"
n=$(wc -l <"$TMP/syms")
[ "$n" -ge 100 ]; ok $? "$what exports $n khofmt_* functions"

# SYNOPSIS and the rest of every section 3 page, as plain text lines
for p in "$SRC"/man/*.3; do
	awk '/^\.SH/ { syn = ($0 ~ /SYNOPSIS/) } syn' "$p" >>"$TMP/synopsis"
	awk '/^\.SH/ { syn = ($0 ~ /SYNOPSIS/) } !syn' "$p" >>"$TMP/text"
done
nsyn=0; ntext=0
while read -r f; do
	hdr=$(grep -l "\\b$f *(" "$SRC"/libkhofmt/khofmt*.h 2>/dev/null | head -n 1)
	hdr=${hdr#"$SRC"/}
	case $hdr in
	libkhofmt/khofmt-*.h) page=man/$(basename "$hdr" .h).3 ;;
	*) page=man/libkhofmt.3 ;;
	esac
	if ! grep -q "\\b$f(" "$TMP/synopsis"; then
		nsyn=$((nsyn + 1))
		diag "$f (declared in ${hdr:-no public header}) has no prototype in a man page SYNOPSIS: add it to $page"
	fi
	if ! grep -q "\\b$f\\b" "$TMP/text"; then
		ntext=$((ntext + 1))
		diag "$f (declared in ${hdr:-no public header}) is not described in any man page: say what it does in $page"
	fi
done <"$TMP/syms"
is "$nsyn" 0 "every exported function has its prototype in a section 3 SYNOPSIS"
is "$ntext" 0 "every exported function is described in a section 3 page"

# and every section 3 page is installed
for p in "$SRC"/man/*.3; do
	b=$(basename "$p")
	grep -q "man/$b" "$SRC/man/Makemodule.am"; ok $? "man/Makemodule.am installs $b"
done

done_testing
