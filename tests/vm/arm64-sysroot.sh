#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The arm64 pieces the cross-built static guest binaries need that the cross
# compiler does not bring: Debian bookworm's arm64 libfdt.a, libelf.a, libz.a, liblzma.a,
# liblz4.a, libbz2.a, libzstd.a (with their headers) and the static busybox for the initramfs.
#
# usage: arm64-sysroot.sh      prints the sysroot directory on stdout
#
# The .debs come through a PRIVATE apt configuration for arm64
# (scripts/private-apt.sh with APT::Architecture=arm64: own lists and archives
# under the cache). The machine's dpkg is not touched: no foreign architecture
# is added (libfdt-dev is not Multi-Arch: same, so libfdt-dev:arm64 could not
# be installed beside the amd64 one anyway) and nothing is installed; the
# packages are only unpacked (dpkg-deb -x) into
# $KHO_VM_CACHE/sysroot-arm64-<hash of the package list>/. Link with
#   -I$SR/usr/include -L$SR/usr/lib/aarch64-linux-gnu
# Needs: gcc-aarch64-linux-gnu (the compiler and its libc), dpkg-deb.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${KHO_VM_CACHE:-/var/cache/kho-tools}
SUITE=${KHO_VM_ARM64_SUITE:-bookworm}
PKGS="libfdt-dev libelf-dev zlib1g-dev libzstd-dev liblzma-dev liblz4-dev libbz2-dev nettle-dev libjson-c-dev busybox-static"
die() { echo "arm64-sysroot: ERROR: $*" >&2; exit 1; }

key=$(echo "$SUITE $PKGS" | sha256sum | cut -c1-12)
SR=$CACHE/sysroot-arm64-$key
if [ -x "$SR/bin/busybox" ]; then
	echo "$SR"
	exit 0
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.sysroot-arm64.lock"
flock -w 1200 9 || die "cannot lock $CACHE/.sysroot-arm64.lock"
if [ -x "$SR/bin/busybox" ]; then
	echo "$SR"
	exit 0
fi
APT=$CACHE/apt/$SUITE-arm64-sysroot
papt() { timeout 600 "$HERE/../../scripts/private-apt.sh" deb "$SUITE" "$APT" \
	-o APT::Architecture=arm64 -o APT::Architectures=arm64 "$@"; }
echo "arm64-sysroot: apt-get update ($SUITE arm64, private lists in $APT)" >&2
papt -q update >&2 || die "apt-get update ($SUITE, arm64) failed"
dl=$CACHE/sysroot-arm64.dl$$
rm -rf "$dl" "$SR.tmp"
mkdir -p "$dl" "$SR.tmp"
# shellcheck disable=SC2086
(cd "$dl" && papt -q download $PKGS >&2) || die "cannot download $PKGS (arm64)"
for d in "$dl"/*.deb; do
	dpkg-deb -x "$d" "$SR.tmp" || die "cannot unpack $d"
done
rm -rf "$dl"
for f in usr/lib/aarch64-linux-gnu/libfdt.a usr/lib/aarch64-linux-gnu/libelf.a \
	usr/lib/aarch64-linux-gnu/libz.a usr/lib/aarch64-linux-gnu/libzstd.a \
	usr/lib/aarch64-linux-gnu/liblzma.a usr/lib/aarch64-linux-gnu/liblz4.a usr/lib/aarch64-linux-gnu/libbz2.a \
	usr/lib/aarch64-linux-gnu/libnettle.a usr/lib/aarch64-linux-gnu/libjson-c.a \
	usr/include/libfdt.h usr/include/gelf.h usr/include/zlib.h bin/busybox; do
	[ -e "$SR.tmp/$f" ] || die "no $f in the arm64 packages"
done
rm -rf "$SR"
mv "$SR.tmp" "$SR"
echo "$SR"
