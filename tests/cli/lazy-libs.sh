#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# libkdumpfile is loaded when a kdump file is opened and libarchive when a
# bundle archive is written or read, never at start-up (issue 20: through
# libsnappy and libxml2 they brought libstdc++ and ICU into every run).
# Checked on the built files (no NEEDED entry, no undefined kdump_* or
# archive_* symbol) and by running khoctl with a "libkdumpfile" and a
# "libarchive" the dynamic loader cannot load first on LD_LIBRARY_PATH: an
# ELF core is read as usual, a kdump file and a .tar bundle fail with exit 2
# and the loader's words.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

BUILD=$(dirname "$(dirname "$KHOCTL")")
X=$TESTS_SRCDIR/fixtures/linux-7.2.13-dumps
SONAME=$(sed -n 's/^#define KHOFMT_KDUMPFILE_SONAME "\(.*\)"$/\1/p' "$BUILD/config.h")
ARNAME=$(sed -n 's/^#define KHOFMT_LIBARCHIVE_SONAME "\(.*\)"$/\1/p' "$BUILD/config.h")
[ -n "$SONAME" ] || skip_all "built without libkdumpfile (configure --without-libkdumpfile)"
[ -n "$ARNAME" ] || bail_out "no KHOFMT_LIBARCHIVE_SONAME in $BUILD/config.h"
so=${LIBKHOFMT_SO:-$BUILD/libkhofmt/.libs/libkhofmt.so}

if [ -f "$so" ] && command -v readelf >/dev/null; then
	readelf -d "$so" >"$TMP/dynamic" || bail_out "readelf -d $so"
	grep -q 'NEEDED.*libkdumpfile' "$TMP/dynamic"
	ok $((!$?)) "libkhofmt.so does not need libkdumpfile ($SONAME is dlopen()ed)"
	grep -q 'NEEDED.*libarchive' "$TMP/dynamic"
	ok $((!$?)) "libkhofmt.so does not need libarchive ($ARNAME is dlopen()ed)"
	n=$(readelf --dyn-syms -W "$so" | awk '$7 == "UND" && $8 ~ /^(kdump|archive)_/' | wc -l)
	is "$n" 0 "no kdump_* or archive_* symbol left for the dynamic loader in libkhofmt.so"
else
	skip "no shared libkhofmt or no readelf"
	skip "no shared libkhofmt or no readelf"
	skip "no shared libkhofmt or no readelf"
fi

kho "$TMP/o" "$TMP/e" synth --output "$TMP/s" --gen random0 --count 300 --ram 64M --seed 7
is "$rc" 0 "synth an ELF core" || head -c 1000 "$TMP/e" | comment

# A file the loader finds first and cannot load (not an ELF object).
mkdir -p "$TMP/badlib" || bail_out "mkdir"
echo "not a library" >"$TMP/badlib/$SONAME"
echo "not a library" >"$TMP/badlib/$ARNAME"
saved=${LD_LIBRARY_PATH-}
LD_LIBRARY_PATH=$TMP/badlib${saved:+:$saved}
export LD_LIBRARY_PATH

expect_exit 0 "an ELF core with $SONAME unloadable" stat --fdt "$TMP/s.fdt" --mem "$TMP/s.elf"
expect_exit 2 "a kdump file with $SONAME unloadable" stat --mem "$X/k1-slim.kdump"
grep -q "k1-slim.kdump: .*a kdump file, and libkdumpfile cannot be loaded (.*$SONAME" "$TMP/err"
ok $? "the message says libkdumpfile cannot be loaded and names $SONAME"
grep -q "$TMP/badlib/$SONAME" "$TMP/err"
ok $? "with the loader's words (the file it tried)"

expect_exit 0 "a bundle directory with $ARNAME unloadable" capture --fdt "$TMP/s.fdt" --mem "$TMP/s.elf" "$TMP/b1"
expect_exit 2 "a .tar bundle with $ARNAME unloadable" capture --fdt "$TMP/s.fdt" --mem "$TMP/s.elf" --tar "$TMP/b.tar"
grep -q "libarchive cannot be loaded (.*$TMP/badlib/$ARNAME" "$TMP/err"
ok $? "the message says libarchive cannot be loaded, with the loader's words"
[ ! -e "$TMP/b.tar" ]; ok $? "no archive left behind"

LD_LIBRARY_PATH=$saved
expect_exit 0 "the same kdump file with the real $SONAME" stat --mem "$X/k1-slim.kdump"
expect_exit 0 "the same .tar bundle with the real $ARNAME" capture --fdt "$TMP/s.fdt" --mem "$TMP/s.elf" --tar "$TMP/b.tar"

done_testing
