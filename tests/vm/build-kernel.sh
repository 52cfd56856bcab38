#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build (or reuse) a lean KHO test kernel from Debian's linux-source-<KERNEL> package.
#
# usage: [ARCH=arm64] build-kernel.sh [KERNEL [VARIANT]]   (KERNEL: 7.2 (default) or 7.3)
# Prints the path of the cached bzImage (arm64: Image) on stdout; everything else goes to stderr.
# ARCH (or KHO_VM_ARCH) x86_64 (default) or arm64: arm64 cross-builds with aarch64-linux-gnu-
# (Debian's gcc-aarch64-linux-gnu) from kho-lean-arm64.config (64 KiB pages).
# VARIANT (see variant_edit below) is the same kernel with one ABI string changed, built
# incrementally in the kept tree of the plain build (a minute or two, not a second full
# build) and cached beside it as <key>-VARIANT/.
#
# Sources come through a PRIVATE apt configuration (the system's sources are never touched):
# the URIs of /etc/apt/sources.list.d/debian.sources with the suite that carries the package.
# The result is cached outside the work tree in $KHO_VM_CACHE (default /var/cache/kho-tools),
# keyed by the package version and the hash of the config fragment, so a rebuild happens only
# when either changes.
set -eu

KERNEL=${1:-${KERNEL:-7.2}}
HERE=$(cd "$(dirname "$0")" && pwd)
KARCH=${KHO_VM_ARCH:-${ARCH:-x86_64}}
case $KARCH in
x86_64 | x86 | amd64) KARCH=x86_64 IMG=bzImage FRAG0=kho-lean.config XTAG= ;;
arm64 | aarch64)
	KARCH=arm64 IMG=Image FRAG0=kho-lean-arm64.config XTAG=-arm64
	export ARCH=arm64 CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}
	;;
*) echo "build-kernel: ERROR: unsupported ARCH $KARCH" >&2; exit 1 ;;
esac
FRAG=${KHO_VM_FRAGMENT:-$HERE/$FRAG0}
CACHE=${KHO_VM_CACHE:-/var/cache/kho-tools}
JOBS=${KHO_VM_JOBS:-2}

case $KERNEL in
7.2) SUITE=sid ;;
7.3) SUITE=trixie-backports ;;
*) SUITE=${KHO_VM_SUITE:-sid} ;;
esac
PKG=linux-source-$KERNEL
VARIANT=${2:-}
# variant_edit DIR [revert]: one string changed in the ABI headers/sources; fails if absent.
variant_edit() {
	case $VARIANT in
	luo-bump) old='"luo-v5"' new='"luo-v99"' ;;	# LUO's blob compatible (7.2: luo-v5)
	*) die "unknown variant '$VARIANT' (known: luo-bump)" ;;
	esac
	[ "${2:-}" = revert ] && { t=$old; old=$new; new=$t; }
	files=$(grep -rlF "$old" "$1/include/linux" "$1/kernel" "$1/mm" "$1/lib" || true)
	[ -n "$files" ] || die "variant $VARIANT: $old not found in the source"
	for f in $files; do sed -i "s/$old/$new/g" "$f"; done
	say "variant $VARIANT: $old -> $new in$(echo " $files" | sed "s|$1/||g" | tr '\n' ' ')"
}
sfx=${VARIANT:+-$VARIANT}

say() { echo "build-kernel: $*" >&2; }
die() { echo "build-kernel: ERROR: $*" >&2; exit 1; }
case $VARIANT in ""|luo-bump) ;; *) die "unknown variant '$VARIANT' (known: luo-bump)" ;; esac
# selftest_extras KSRC DIR: the UAPI headers (DIR/headers) and the sources of
# tools/testing/selftests/liveupdate with the kselftest headers (DIR/selftests)
selftest_extras() {
	command -v rsync >/dev/null || die "rsync is needed for headers_install (Debian: rsync)"
	(cd "$1" && make -s headers_install INSTALL_HDR_PATH="$2/headers.tmp" >&2) || die "headers_install failed"
	rm -rf "$2/headers" && mv "$2/headers.tmp" "$2/headers"
	rm -rf "$2/selftests.tmp" && mkdir -p "$2/selftests.tmp"
	cp -r "$1/tools/testing/selftests/liveupdate" "$1/tools/testing/selftests/kselftest.h" \
		"$1/tools/testing/selftests/kselftest_harness.h" "$2/selftests.tmp/" || die "no liveupdate selftests in $1"
	rm -rf "$2/selftests" && mv "$2/selftests.tmp" "$2/selftests"
}

APT=$CACHE/apt/$SUITE$XTAG
mkdir -p "$APT/lists/partial" "$APT/archives/partial" "$CACHE/src" "$CACHE/kernel" "$CACHE/build"

# Fast path, no lock: package present and kernel already built for it.
latest_deb() { ls -1 "$CACHE/src/${PKG}_"*_all.deb 2>/dev/null | sort -V | tail -n 1 || true; }
fraghash=$(sha256sum "$FRAG" | cut -c1-16)
deb=$(latest_deb)
if [ -n "$deb" ]; then
	debver=$(basename "$deb" | sed "s/^${PKG}_//; s/_all\.deb\$//")
	if [ -s "$CACHE/kernel/$debver$XTAG-$fraghash$sfx/$IMG" ]; then
		kd=$CACHE/kernel/$debver$XTAG-$fraghash$sfx
		# a kernel cached before the selftests were kept: add them from the kept tree
		if { [ ! -d "$kd/selftests" ] || [ ! -s "$kd/System.map" ]; } &&
			ks=$(ls -d "$CACHE/build/$debver$XTAG-$fraghash"/linux-source-* 2>/dev/null) && [ -n "$ks" ]; then
			selftest_extras "$ks" "$kd"
			[ -z "$sfx" ] && cp "$ks/System.map" "$kd/"
		fi
		say "cached: $CACHE/kernel/$debver$XTAG-$fraghash$sfx/$IMG"
		echo "$CACHE/kernel/$debver$XTAG-$fraghash$sfx/$IMG"
		exit 0
	fi
fi

# One builder at a time per kernel series and architecture.
exec 9>"$CACHE/.build-$PKG$XTAG.lock"
flock -w 3600 9 || die "cannot lock $CACHE/.build-$PKG$XTAG.lock"

deb=$(latest_deb)
if [ -z "$deb" ]; then
	papt=$HERE/../../scripts/private-apt.sh
	say "apt-get update ($SUITE, private lists in $APT)"
	timeout 600 "$papt" deb "$SUITE" "$APT" update >&2 || die "apt-get update for $SUITE failed"
	say "apt-get download $PKG"
	# into a private directory, then renamed: a build of the other architecture may be
	# downloading the same package right now
	dl=$CACHE/src/.dl$$
	rm -rf "$dl" && mkdir -p "$dl"
	(cd "$dl" && timeout 1200 "$papt" deb "$SUITE" "$APT" download "$PKG" >&2) ||
		die "cannot download $PKG"
	mv "$dl"/*.deb "$CACHE/src/" && rmdir "$dl"
	deb=$(latest_deb)
	[ -n "$deb" ] || die "no $PKG package after download"
fi
debver=$(basename "$deb" | sed "s/^${PKG}_//; s/_all\.deb\$//")
key=$debver$XTAG-$fraghash
out=$CACHE/kernel/$key$sfx
if [ -s "$out/$IMG" ]; then
	say "cached: $out/$IMG"
	echo "$out/$IMG"
	exit 0
fi

bdir=$CACHE/build/$key
# The plain build's tree is kept (objects included) so that a variant is an incremental make.
ksrc=$(ls -d "$bdir"/linux-source-* 2>/dev/null | head -n 1 || true)
if [ -n "$ksrc" ] && [ -s "$ksrc/arch/${KARCH%_64}/boot/$IMG" ] && [ -n "$VARIANT" ]; then
	cd "$ksrc"
	variant_edit "$ksrc"
	say "make -j$JOBS $IMG (incremental, variant $VARIANT)"
	start=$(date +%s)
	make -j"$JOBS" $IMG >"$bdir/build$sfx.log" 2>&1 ||
		{ variant_edit "$ksrc" revert; tail -n 40 "$bdir/build$sfx.log" >&2; die "variant build failed"; }
	say "built in $(( $(date +%s) - start )) s"
	mkdir -p "$out.tmp"
	cp arch/${KARCH%_64}/boot/$IMG .config System.map "$out.tmp/"
	echo "$debver $VARIANT" >"$out.tmp/version"
	variant_edit "$ksrc" revert
	rm -rf "$out"
	mv "$out.tmp" "$out"
	echo "$out/$IMG"
	exit 0
fi
rm -rf "$bdir"
mkdir -p "$bdir"
say "extracting $deb"
(cd "$bdir" && dpkg-deb --fsys-tarfile "$deb" | tar -x ./usr/src/) || die "cannot unpack $deb"
tarball=$(ls "$bdir"/usr/src/linux-source-*.tar.xz 2>/dev/null | head -n 1)
[ -n "$tarball" ] || die "no source tarball in $deb"
tar -C "$bdir" -xJf "$tarball" || die "cannot extract $tarball"
rm -rf "$bdir/usr"
ksrc=$(ls -d "$bdir"/linux-source-* | head -n 1)

cd "$ksrc"
say "configuring: tinyconfig + $(basename "$FRAG")"
make -s tinyconfig >&2
./scripts/kconfig/merge_config.sh -m .config "$FRAG" >&2
make -s olddefconfig >&2
# Every option the fragment asks for must have survived olddefconfig.
missing=
while IFS= read -r line; do
	case $line in CONFIG_*=*) grep -qx "$line" .config || missing="$missing $line" ;; esac
done <"$FRAG"
[ -z "$missing" ] || die "options dropped by olddefconfig (unmet dependencies?):$missing"

[ -z "$VARIANT" ] || variant_edit "$ksrc"
say "make -j$JOBS $IMG (x86_64: about 7.5 minutes on 2 cores; arm64: about 40)"
start=$(date +%s)
make -j"$JOBS" $IMG >"$bdir/build.log" 2>&1 || { tail -n 40 "$bdir/build.log" >&2; die "kernel build failed (log: $bdir/build.log)"; }
say "built in $(( $(date +%s) - start )) s"

mkdir -p "$out.tmp"
cp arch/${KARCH%_64}/boot/$IMG .config System.map "$out.tmp/"
echo "$debver${VARIANT:+ $VARIANT}" >"$out.tmp/version"
[ -z "$VARIANT" ] || variant_edit "$ksrc" revert
# the UAPI headers and the kernel's own live-update selftests (issue 19), built against them by
# tests/vm/build-selftests.sh (headers_install needs rsync)
selftest_extras "$ksrc" "$out.tmp"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out/$IMG"
