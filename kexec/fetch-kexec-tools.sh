#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch kexec-tools' orig tarball from Debian sid (private apt configuration with a
# deb-src line, cached under $KHO_VM_CACHE), verify it against the .dsc, unpack it
# into DEST, apply our series (kexec/patches/*.patch for 2.0.32, the default;
# kexec/patches-VERSION/*.patch for another version, e.g. bookworm's 2.0.25:
# KHO_KEXEC_SUITE=bookworm KHO_KEXEC_VERSION=2.0.25), add our kho.c/kho.h and
# regenerate configure.
#
# usage: fetch-kexec-tools.sh DEST
# Prints the path of the patched source tree on stdout; progress goes to stderr.
set -eu

DEST=${1:?usage: fetch-kexec-tools.sh DEST}
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${KHO_VM_CACHE:-/var/cache/kho-tools}
SUITE=${KHO_KEXEC_SUITE:-sid}
VERSION=${KHO_KEXEC_VERSION:-2.0.32}
PKG=kexec-tools

say() { echo "fetch-kexec-tools: $*" >&2; }
die() { echo "fetch-kexec-tools: ERROR: $*" >&2; exit 1; }

APT=$CACHE/apt/$SUITE-src
SRC=$CACHE/src/$PKG
mkdir -p "$APT/lists/partial" "$APT/archives/partial" "$SRC"

dsc() { ls -1 "$SRC/${PKG}_$VERSION"-*.dsc 2>/dev/null | sort -V | tail -n 1 || true; }

exec 9>"$CACHE/.fetch-$PKG.lock"
flock -w 600 9 || die "cannot lock $CACHE/.fetch-$PKG.lock"

d=$(dsc)
if [ -z "$d" ] || ! ls "$SRC/${PKG}_$VERSION.orig.tar."* >/dev/null 2>&1; then
	say "apt-get update ($SUITE deb-src, private lists in $APT)"
	timeout 600 "$HERE/../scripts/private-apt.sh" deb-src "$SUITE" "$APT" update >&2 ||
		die "apt-get update for $SUITE failed"
	say "apt-get source --download-only $PKG"
	# The Debian packaging tarball may be missing from the archive: not needed.
	(cd "$SRC" && timeout 600 "$HERE/../scripts/private-apt.sh" deb-src "$SUITE" "$APT" \
		source --download-only "$PKG" >&2) || true
	d=$(dsc)
	[ -n "$d" ] || die "no ${PKG}_$VERSION .dsc after apt-get source (suite $SUITE)"
fi

# Checksums-Sha256 lines of the .dsc: " HASH SIZE NAME".
orig=
for f in $(awk '/^Checksums-Sha256:/ { s = 1; next } /^[^ ]/ { s = 0 } s && $3 ~ /orig\.tar\./ { print $3 }' "$d"); do
	want=$(awk -v f="$f" '/^Checksums-Sha256:/ { s = 1; next } /^[^ ]/ { s = 0 } s && $3 == f { print $1 }' "$d")
	[ -f "$SRC/$f" ] || die "$f named by $(basename "$d") is missing"
	got=$(sha256sum "$SRC/$f" | cut -d' ' -f1)
	[ "$got" = "$want" ] || die "$f: sha256 $got does not match $(basename "$d") ($want)"
	say "$f: sha256 matches $(basename "$d")"
	orig=$SRC/$f
done
[ -n "$orig" ] || die "$(basename "$d") names no orig tarball"

rm -rf "$DEST.tmp"
mkdir -p "$DEST.tmp"
tar -C "$DEST.tmp" -xf "$orig" || die "cannot unpack $orig"
top=$(ls -d "$DEST.tmp"/*/ | head -n 1)
PATCHES=$HERE/patches
[ "$VERSION" = 2.0.32 ] || PATCHES=$HERE/patches-$VERSION
[ -d "$PATCHES" ] || die "no patch series for kexec-tools $VERSION ($PATCHES)"
for p in "$PATCHES"/*.patch; do
	[ -f "$p" ] || continue
	say "applying $(basename "$p")"
	patch -d "$top" -p1 -s --no-backup-if-mismatch <"$p" >&2 || die "$(basename "$p") does not apply"
done
cp "$HERE/kho.c" "$HERE/kho.h" "$top/kexec/"
(cd "$top" && autoreconf -fi >&2) || die "autoreconf failed"
rm -rf "$DEST"
mv "$top" "$DEST"
rm -rf "$DEST.tmp"
echo "$DEST"
