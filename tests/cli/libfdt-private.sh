#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# libkhofmt.so carries a private libfdt (configure: --enable-private-libfdt,
# the default): no fdt_* symbol in its dynamic symbol table, no libfdt in its
# NEEDED list, so that a program with another libfdt (kexec-tools bundles one
# on arm/arm64) can neither interpose on it nor load a second one. The
# patched kexec links the same way (kexec/build-kexec.sh).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

[ "${KHOFMT_PRIVATE_FDT:-}" != "" ] || skip_all "configure found no libfdt.a (--disable-private-libfdt)"
so=$LIBKHOFMT_SO
[ -f "$so" ] || skip_all "no shared libkhofmt built ($so)"
command -v readelf >/dev/null || skip_all "no readelf (binutils)"

readelf --dyn-syms -W "$so" >"$TMP/dyn" || bail_out "readelf --dyn-syms $so"
n=$(awk '$8 ~ /^fdt_/' "$TMP/dyn" | wc -l)
is "$n" 0 "no fdt_* symbol in libkhofmt.so's dynamic symbol table"
n=$(awk '$8 ~ /^khofmt_(kexec_decide|verify_run|fdt_open)(@|$)/ && $5 == "GLOBAL" && $7 != "UND"' "$TMP/dyn" | wc -l)
is "$n" 3 "khofmt_* still exported (kexec_decide, verify_run, fdt_open)"
n=$(awk '$5 == "GLOBAL" && $7 != "UND" && $8 !~ /^khofmt_/ && $8 !~ /^KHOFMT_/' "$TMP/dyn" | wc -l)
is "$n" 0 "nothing else is exported"
readelf -d "$so" >"$TMP/dynamic" || bail_out "readelf -d $so"
grep -q 'NEEDED.*libfdt' "$TMP/dynamic"; ok $((!$?)) "no libfdt in libkhofmt.so's NEEDED list"
readelf -s -W "$so" | awk '$8 == "fdt_check_full" && $5 == "LOCAL"' | grep -q .
ok $? "libfdt is inside, local (fdt_check_full)"

if [ "${KEXEC_ENABLED:-0}" = 1 ] && [ -x "${KEXEC_BIN:-}" ]; then
	readelf -d "$KEXEC_BIN" | grep -q 'NEEDED.*libfdt'
	ok $((!$?)) "the patched kexec has no libfdt in its NEEDED list"
	a=$(dirname "$KEXEC_BIN")/../../../lib/libkhofmt.a
	n=$(nm "$a" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[TDBRCW]$/ && $3 !~ /^khofmt_/' | wc -l)
	is "$n" 0 "kexec's libkhofmt.a defines no global symbol but khofmt_*"
	nm "$a" | grep -q ' t fdt_check_full$'; ok $? "and carries libfdt locally"
else
	skip "kexec not built (configure --enable-kexec)"
	skip "kexec not built"
	skip "kexec not built"
fi

done_testing
