#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# libkdumpfile is loaded when a kdump file is opened, libarchive when a
# bundle archive is written or read, liblzma, libzstd, liblz4 and libbz2
# when a kernel image compressed with them is read; never at start-up
# (issue 20: through libsnappy and libxml2 they brought libstdc++ and ICU
# into every run). Checked on the built files (no NEEDED entry, no
# undefined symbol of theirs) and by running khoctl with copies the dynamic
# loader cannot load first on LD_LIBRARY_PATH: an ELF core, a bundle
# directory and a gzip image are read as usual, a kdump file, a .tar bundle
# and an xz image fail with exit 2 and the loader's words.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

BUILD=$(dirname "$(dirname "$KHOCTL")")
X=$TESTS_SRCDIR/fixtures/linux-7.2.13-dumps
SONAME=$(sed -n 's/^#define KHOFMT_KDUMPFILE_SONAME "\(.*\)"$/\1/p' "$BUILD/config.h")
ARNAME=$(sed -n 's/^#define KHOFMT_LIBARCHIVE_SONAME "\(.*\)"$/\1/p' "$BUILD/config.h")
[ -n "$SONAME" ] || skip_all "built without libkdumpfile (configure --without-libkdumpfile)"
[ -n "$ARNAME" ] || bail_out "no KHOFMT_LIBARCHIVE_SONAME in $BUILD/config.h"
XZNAME=$(sed -n 's/^#define KHOFMT_LZMA_SONAME "\(.*\)"$/\1/p' "$BUILD/config.h")
[ -n "$XZNAME" ] || bail_out "no KHOFMT_LZMA_SONAME in $BUILD/config.h"
so=${LIBKHOFMT_SO:-$BUILD/libkhofmt/.libs/libkhofmt.so}

if [ -f "$so" ] && command -v readelf >/dev/null; then
	readelf -d "$so" >"$TMP/dynamic" || bail_out "readelf -d $so"
	grep -q 'NEEDED.*libkdumpfile' "$TMP/dynamic"
	ok $((!$?)) "libkhofmt.so does not need libkdumpfile ($SONAME is dlopen()ed)"
	grep -q 'NEEDED.*libarchive' "$TMP/dynamic"
	ok $((!$?)) "libkhofmt.so does not need libarchive ($ARNAME is dlopen()ed)"
	n=$(readelf --dyn-syms -W "$so" | awk '$7 == "UND" && $8 ~ /^(kdump_|archive_|lzma_|ZSTD_|LZ4_|BZ2_)/' | wc -l)
	is "$n" 0 "no kdump_, archive_, lzma_, ZSTD_, LZ4_, BZ2_ symbol left for the dynamic loader in libkhofmt.so"
	n=$(grep -c 'NEEDED.*\(liblzma\|libzstd\|liblz4\|libbz2\)' "$TMP/dynamic")
	is "$n" 0 "libkhofmt.so needs none of liblzma, libzstd, liblz4, libbz2"
else
	skip "no shared libkhofmt or no readelf"
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
echo "not a library" >"$TMP/badlib/$XZNAME"
if [ -n "${MKIMAGE:-}" ] && [ -x "$MKIMAGE" ]; then
	IMGS=$TESTS_SRCDIR/fixtures/images
	"$MKIMAGE" wrap bzimage gzip "$IMGS/linux-7.2.13.strings" "$TMP/img-gz" &&
		"$MKIMAGE" wrap bzimage xz "$IMGS/linux-7.2.13.strings" "$TMP/img-xz" ||
		bail_out "mkimage"
fi
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

if [ -n "${MKIMAGE:-}" ] && [ -x "$MKIMAGE" ]; then
	expect_exit 0 "a gzip image with $XZNAME unloadable" compat --fdt "$TMP/s.fdt" --mem "$TMP/s.elf" --image "$TMP/img-gz"
	expect_exit 2 "an xz image with $XZNAME unloadable" compat --fdt "$TMP/s.fdt" --mem "$TMP/s.elf" --image "$TMP/img-xz"
	grep -q "xz image: $XZNAME cannot be loaded: .*$TMP/badlib/$XZNAME" "$TMP/err"
	ok $? "the message names $XZNAME, with the loader's words" || head -c 500 "$TMP/err" | comment
else
	for i in 1 2 3 4 5 6; do skip "MKIMAGE not set"; done
fi

LD_LIBRARY_PATH=$saved
expect_exit 0 "the same kdump file with the real $SONAME" stat --mem "$X/k1-slim.kdump"
expect_exit 0 "the same .tar bundle with the real $ARNAME" capture --fdt "$TMP/s.fdt" --mem "$TMP/s.elf" --tar "$TMP/b.tar"
if [ -n "${MKIMAGE:-}" ] && [ -x "$MKIMAGE" ]; then
	expect_exit 0 "the same xz image with the real $XZNAME" compat --fdt "$TMP/s.fdt" --mem "$TMP/s.elf" --image "$TMP/img-xz"
else
	skip "MKIMAGE not set"
	skip "MKIMAGE not set"
fi

done_testing
