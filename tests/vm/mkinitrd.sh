#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the test guest's initramfs (busybox-static + static khoctl + helpers).
#
# usage: mkinitrd.sh OUT.gz BZIMAGE BINDIR [INIT]
#   BINDIR holds the static khoctl, kexec-load and luo-memfd; INIT is the
#   guest's /init (default guest/init; check-compat.sh: guest/init-compat).
# OUT.gz is two concatenated gzip'd cpio archives: the "inner" one (what the
# second kernel boots with) and one that adds /kexec/bzImage and
# /kexec/initrd.gz (= the inner archive) for the kexec from the first kernel.
set -eu
out=$1 bzimage=$2 bindir=$3
init=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
bb=${BUSYBOX:-/bin/busybox}
die() { echo "mkinitrd: ERROR: $*" >&2; exit 1; }
[ -x "$bb" ] || die "no $bb (Debian: apt-get install busybox-static)"
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || die "$bb is not statically linked (install busybox-static)"
command -v cpio >/dev/null || die "no cpio"
for b in khoctl kexec-load luo-memfd; do
	[ -x "$bindir/$b" ] || die "no $bindir/$b"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r=$work/inner
mkdir -p "$r/bin" "$r/dev" "$r/proc" "$r/sys" "$r/tmp" "$r/kexec"
cp "$bb" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"
cp "$bindir/khoctl" "$bindir/kexec-load" "$bindir/luo-memfd" "$r/bin/"
# our patched kexec (make kexec-static), when built: the init uses it instead of kexec-load
[ ! -x "$bindir/kexec" ] || cp "$bindir/kexec" "$r/bin/"
# the kernel's own live-update selftests (build-selftests.sh), when built
if [ -d "$bindir/lu" ]; then
	mkdir -p "$r/lu"
	cp "$bindir/lu"/* "$r/lu/"
	chmod 755 "$r/lu"/*
fi
cp "${init:-$here/guest/init}" "$r/init"
chmod 755 "$r/init" "$r/bin/"*
mkcpio() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9 -n); }
mkcpio "$r" >"$work/inner.gz"
x=$work/extra
mkdir -p "$x/kexec"
cp "$bzimage" "$x/kexec/bzImage"
cp "$work/inner.gz" "$x/kexec/initrd.gz"
mkcpio "$x" >"$work/extra.gz"
cat "$work/inner.gz" "$work/extra.gz" >"$out"
