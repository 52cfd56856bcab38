#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The disk of `make check-vm-systemd`: a minimal Debian sid with systemd
# (mmdebstrap from Debian's archive, cached as a tarball) plus the test's
# files, as an ext4 image (mke2fs -d: no loop mount).
#
# usage: mkrootfs-systemd.sh OUT.img BZIMAGE BINDIR PAYLOAD
#   BINDIR holds the static khoctl, kexec (make kexec-static) and fdstore-memfd;
#   PAYLOAD is the file the test service stores in a memfd.
# The tarball is $KHO_VM_CACHE/systemd-rootfs/sid-systemd.tar (default cache
# /var/cache/kho-tools); delete it to take a newer sid. Its systemd version
# is printed.
set -eu
out=$1 bzimage=$2 bindir=$3 payload=$4
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
CACHE=${KHO_VM_CACHE:-/var/cache/kho-tools}
tar=$CACHE/systemd-rootfs/sid-systemd.tar
say() { echo "mkrootfs-systemd: $*" >&2; }
die() { echo "mkrootfs-systemd: ERROR: $*" >&2; exit 1; }
for b in khoctl kexec fdstore-memfd; do
	[ -x "$bindir/$b" ] || die "no $bindir/$b (kexec: make kexec-static)"
done
command -v mke2fs >/dev/null || die "no mke2fs (Debian: e2fsprogs)"

if [ ! -s "$tar" ]; then
	command -v mmdebstrap >/dev/null || die "no mmdebstrap (Debian: apt-get install mmdebstrap)"
	mkdir -p "$(dirname "$tar")"
	uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
	[ -n "$uri" ] || uri=http://deb.debian.org/debian
	say "mmdebstrap sid (minbase + systemd) from $uri"
	start=$(date +%s)
	# Check-Valid-Until: this machine's clock may be past the Release file's Valid-Until
	mmdebstrap --mode=root --variant=minbase --include=systemd,systemd-sysv \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		sid "$tar.tmp.tar" "deb $uri sid main" >&2 || die "mmdebstrap failed"
	mv "$tar.tmp.tar" "$tar"
	say "rootfs built in $(( $(date +%s) - start )) s"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r=$work/root
mkdir "$r"
tar -C "$r" -xf "$tar"
ver=$(awk '/^Package: systemd$/ { p = 1 } p && /^Version:/ { print $2; exit }' "$r/var/lib/dpkg/status")
say "systemd $ver"

# kho-tools as installed (Debian paths), plus our patched static kexec
install -m 755 "$bindir/khoctl" "$r/usr/bin/khoctl"
install -m 755 "$bindir/kexec" "$r/usr/sbin/kexec"
install -D -m 755 "$top/systemd/kexec-kho-load" "$r/usr/libexec/kho-tools/kexec-kho-load"
sed 's|@libexecdir[@]|/usr/libexec|g' "$top/systemd/kexec-kho-load.service.in" \
	>"$r/usr/lib/systemd/system/kexec-kho-load.service"
install -D -m 755 "$top/systemd/kexec-kho.shutdown" "$r/usr/lib/systemd/system-shutdown/kexec-kho"
mkdir -p "$r/etc/systemd/system/kexec.target.wants"
ln -s /usr/lib/systemd/system/kexec-kho-load.service "$r/etc/systemd/system/kexec.target.wants/"
echo "KEXEC_KHO_KERNEL=/boot/vmlinuz" >"$r/etc/default/kexec-kho"
install -D -m 644 "$bzimage" "$r/boot/vmlinuz"

# the test
lib=$r/usr/local/lib/khotest
install -D -m 755 "$bindir/fdstore-memfd" "$lib/fdstore-memfd"
install -m 755 "$here/systemd/fdstore-test" "$here/systemd/driver" "$here/systemd/preinit" "$lib/"
install -m 644 "$payload" "$lib/payload.bin"
for u in kho-fdstore-test.service kho-test-driver.service; do
	install -m 644 "$here/systemd/$u" "$r/etc/systemd/system/$u"
	mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
	ln -s "../$u" "$r/etc/systemd/system/multi-user.target.wants/$u"
done

# a configured system: not a first boot (systemd-firstboot would ask on the
# console), no getty on the console, no udev (not in minbase): nothing waits
# for device units
echo 4b686f746f6f6c7374657374766d3232 >"$r/etc/machine-id"
echo khotest >"$r/etc/hostname"
echo "/dev/vda / ext4 rw 0 1" >"$r/etc/fstab"
for u in serial-getty@ttyS0.service getty@tty1.service console-getty.service; do
	ln -sf /dev/null "$r/etc/systemd/system/$u"
done

rm -f "$out"
mke2fs -q -t ext4 -L khotest -d "$r" "$out" 1G || die "mke2fs failed"
echo "$ver" >"$out.systemd-version"
