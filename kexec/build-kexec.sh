#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the patched kexec against the in-tree static libkhofmt.
#
# usage: build-kexec.sh SRCDIR LIBKHOFMT_A OUTDIR [static]
#   SRCDIR       kho-tools source tree (for libkhofmt/ headers and kexec/)
#   LIBKHOFMT_A  the built libkhofmt.a
#   OUTDIR       work dir; the binary ends up in OUTDIR/src/build/sbin/kexec
#   static       link everything statically (for the VM initramfs)
# Cross builds (tests/vm/arm64.am): CC, LD, OBJCOPY, AR of the cross toolchain,
# KEXEC_HOST=aarch64-linux-gnu (configure --host), KEXEC_LIBFDT_A (the target's
# libfdt.a), KEXEC_LDFLAGS (-L of the target's static libraries).
set -eu
SRC=$1 LIBA=$2 OUT=$3 MODE=${4:-}
mkdir -p "$OUT/lib"
rm -f "$OUT/lib/"*
# libkhofmt.a with its own libfdt folded in and every symbol but khofmt_*
# made local: kexec needs no -lfdt, and the libfdt kexec-tools bundles on
# arm/arm64 cannot clash with (or interpose on) libkhofmt's.
fdt_a=${KEXEC_LIBFDT_A:-$(${CC:-cc} -print-file-name=libfdt.a)}
[ -f "$fdt_a" ] || { echo "build-kexec: no libfdt.a (Debian: libfdt-dev)" >&2; exit 1; }
${LD:-ld} -r -o "$OUT/lib/khofmt-all.o" --whole-archive "$LIBA" --no-whole-archive "$fdt_a"
${OBJCOPY:-objcopy} --wildcard --keep-global-symbol='khofmt_*' "$OUT/lib/khofmt-all.o"
${AR:-ar} rcs "$OUT/lib/libkhofmt.a" "$OUT/lib/khofmt-all.o"
"$SRC/kexec/fetch-kexec-tools.sh" "$OUT/src" >/dev/null
# KEXEC_LDFLAGS: what libkhofmt.a was built with that the link needs (sanitizers)
# KEXEC_LIBS: the libraries libkhofmt itself links (decompressors, nettle;
# libkdumpfile and libarchive are dlopen()ed)
set -- CPPFLAGS="-I$SRC/libkhofmt" LDFLAGS="-L$OUT/lib ${KEXEC_LDFLAGS:-}" LIBS="${KEXEC_LIBS:-}"
# libelf.a needs zlib and zstd
[ "$MODE" != static ] || set -- CPPFLAGS="-I$SRC/libkhofmt" LDFLAGS="-static -L$OUT/lib ${KEXEC_LDFLAGS:-}" LIBS="${KEXEC_LIBS:-} -lzstd -lz"
(cd "$OUT/src" && ./configure --without-xen ${KEXEC_HOST:+--host=$KEXEC_HOST} "$@" >../configure.log 2>&1) ||
	{ tail -n 30 "$OUT/configure.log" >&2; exit 1; }
grep -q 'define HAVE_LIBKHOFMT 1' "$OUT/src/include/config.h" ||
	{ echo "build-kexec: configure did not find libkhofmt (see $OUT/configure.log)" >&2; exit 1; }
make -C "$OUT/src" build/sbin/kexec >"$OUT/make.log" 2>&1 ||
	{ tail -n 30 "$OUT/make.log" >&2; exit 1; }
echo "$OUT/src/build/sbin/kexec"
