#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl compat on Debian's own distribution kernels (issue 17): the current
# linux-image-amd64 and linux-image-arm64 of sid, downloaded through a
# private apt configuration (scripts/private-apt.sh: own lists and archives
# under the cache, the system's sources untouched) and cached. What khoctl
# must read from each vmlinuz, against oracles that are not khoctl:
#  - the release: the package name (linux-binary-RELEASE);
#  - the container and compression: the package's own config file
#    (CONFIG_KERNEL_ZSTD/XZ/GZIP/..., CONFIG_EFI_ZBOOT), and for x86 the
#    payload decompressed by the zstd/xz/gzip CLI at the bzImage header's
#    payload_offset (setup_sects from the header, not from khoctl);
#  - the verdict: when the config says "# CONFIG_KEXEC_HANDOVER is not set"
#    (Debian's 7.2.13), the decompressed image holds no "kho-v4" (grep -c
#    on the CLI's output) and khoctl must say the whole handover is lost
#    (exit 1, every row lost); with KHO built in it must find kho-v4.
#  - modules: --sysroot at the unpacked packages, modules searched below
#    SYSROOT/lib/modules/RELEASE (Debian: /usr/lib/modules, usrmerge; the
#    linux-modules package holds the .ko.xz files).
# Prints TAP. Environment: KHOCTL, FIXTURES (the 7.2.13 capture), KHO_VM_CACHE.
. "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${KHO_VM_CACHE:-/var/cache/kho-tools}
SUITE=${KHO_DIST_SUITE:-sid}
F=${FIXTURES:-$HERE/../fixtures/linux-7.2.13-lean-luo}
IN="--fdt $F/root.fdt --mem $F/slim-kexec.elf"
t0=$(date +%s)
for t in dpkg-deb jq zstd xz gzip; do
	command -v $t >/dev/null 2>&1 || bail_out "$t is required"
done
DK=$CACHE/dist-kernels
mkdir -p "$DK"

papt() { # ARCH ARGS...: apt-get on SUITE for ARCH, private lists under the cache
	local a=$1
	shift
	timeout 600 "$HERE/../../scripts/private-apt.sh" deb "$SUITE" "$CACHE/apt-dist/$a" \
		-o APT::Architecture="$a" -o APT::Architectures="$a" "$@"
}
pcache() { # ARCH ARGS...: apt-cache on the same lists
	local a=$1
	shift
	apt-cache -o Dir::State::Lists="$CACHE/apt-dist/$a/lists" \
		-o Dir::Etc::SourceList="$CACHE/apt-dist/$a/$SUITE-deb.sources" -o Dir::Etc::SourceParts=/dev/null \
		-o APT::Architecture="$a" -o APT::Architectures="$a" "$@"
}

for arch in amd64 arm64; do
	# lists older than a day are refreshed (one apt-get update per arch)
	if [ -z "$(find "$CACHE/apt-dist/$arch/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
		papt "$arch" -q update >"$DK/update-$arch.log" 2>&1 ||
			{ skip "apt-get update for $SUITE/$arch failed (offline?)"; continue; }
	fi
	# linux-image-ARCH -> linux-image-RELEASE -> linux-binary-RELEASE (vmlinuz), linux-base-RELEASE (config)
	img=$(pcache "$arch" show linux-image-"$arch" 2>/dev/null | sed -n 's/^Depends:.*\(linux-image-[^ ,]*-'"$arch"'\) .*/\1/p' | head -n 1)
	rel=${img#linux-image-}
	if [ -z "$rel" ]; then
		skip "no linux-image-$arch in $SUITE"
		continue
	fi
	X=$DK/$rel
	if [ ! -f "$X/.done" ]; then
		rm -rf "$X" && mkdir -p "$X/dl" &&
			(cd "$X/dl" && papt "$arch" -q download "linux-binary-$rel" "linux-base-$rel" "linux-modules-$rel") \
				>"$DK/download-$rel.log" 2>&1 &&
			for d in "$X"/dl/*.deb; do dpkg-deb -x "$d" "$X/root" || exit 1; done && touch "$X/.done" ||
			{ skip "download of linux-binary/base/modules-$rel failed"; continue; }
	fi
	M=$X/root/usr/lib/modules/$rel
	vmlinuz=$M/vmlinuz
	[ -s "$vmlinuz" ] && [ -s "$M/config" ]
	ok $? "$arch: $rel: vmlinuz and config unpacked ($(du -sh "$X/dl" | cut -f1) of packages, cached)" || continue

	# the oracles
	case $arch in amd64) want_fmt=bzImage ;; arm64) want_fmt=arm64-Image ;; esac
	grep -qx 'CONFIG_EFI_ZBOOT=y' "$M/config" && want_fmt=zboot
	want_comp=none
	for c in ZSTD:zstd XZ:xz GZIP:gzip LZMA:lzma LZ4:lz4 BZIP2:bzip2 LZO:lzo; do
		if [ "$arch" = amd64 ] && grep -qx "CONFIG_KERNEL_${c%%:*}=y" "$M/config"; then want_comp=${c#*:}; fi
		if [ "$want_fmt" = zboot ] && grep -qx "CONFIG_EFI_ZBOOT_${c%%:*}=y" "$M/config" 2>/dev/null; then want_comp=${c#*:}; fi
	done
	raw=$TMP/$arch.raw
	if [ "$want_fmt" = bzImage ]; then
		# setup_sects at 0x1f1 (0 means 4), payload_offset at 0x248 of the setup header
		ss=$(od -An -tu1 -j $((0x1f1)) -N1 "$vmlinuz" | tr -d ' ')
		[ "$ss" = 0 ] && ss=4
		po=$(od -An -tu4 -j $((0x248)) -N4 "$vmlinuz" | tr -d ' ')
		case $want_comp in zstd) dec="zstd -dc" ;; xz) dec="xz -dc" ;; gzip) dec="gzip -dc" ;; *) dec= ;; esac
		if [ -n "$dec" ]; then
			tail -c +$(((ss + 1) * 512 + po + 1)) "$vmlinuz" | $dec >"$raw" 2>/dev/null
			[ -s "$raw" ]
			ok $? "$arch: the payload decompressed by the $want_comp CLI ($(stat -c %s "$raw") bytes)"
		else
			skip "$arch: no CLI oracle for $want_comp"
			: >"$raw"
		fi
	else
		cp "$vmlinuz" "$raw"
	fi
	want_ps=4096
	grep -qx 'CONFIG_ARM64_16K_PAGES=y' "$M/config" && want_ps=16384
	grep -qx 'CONFIG_ARM64_64K_PAGES=y' "$M/config" && want_ps=65536
	kho_cfg=$(grep -c '^CONFIG_KEXEC_HANDOVER=y' "$M/config")
	kho_str=$(grep -a -c 'kho-v4' "$raw")

	expect_exit "$([ "$kho_cfg" = 1 ] && echo 0 || echo 1)" "$arch: compat --image $rel/vmlinuz (CONFIG_KEXEC_HANDOVER $([ "$kho_cfg" = 1 ] && echo y || echo 'not set'))" \
		compat $IN --image "$vmlinuz" --sysroot "$X/root" --json
	cp "$TMP/out" "$TMP/$arch.json"
	is "$(jq -r '"\(.image.format)/\(.image.compression)/\(.image.release)/\(.image.page_size)"' "$TMP/$arch.json")" \
		"$want_fmt/$want_comp/$rel/$want_ps" "$arch: container/compression and page size from the config, release from the package name"
	if [ "$want_fmt" = bzImage ] && [ -s "$raw" ]; then
		is "$(jq .image.scanned "$TMP/$arch.json")" "$(stat -c %s "$raw")" \
			"$arch: khoctl decompressed as many bytes as the $want_comp CLI"
	fi
	if [ "$kho_cfg" = 0 ]; then
		is "$kho_str" 0 "$arch: oracle: no kho-v4 string in the decompressed image (KHO not built)"
		is "$(jq -r '([.rows[] | .verdict] | unique | join(",")) + " " + .summary.verdict' "$TMP/$arch.json")" \
			"lost loses-state" "$arch: every row lost: this kernel ignores the handover"
		is "$(jq -r '.rows[] | select(.kind == "root") | .found_in' "$TMP/$arch.json")" absent \
			"$arch: kho-v4 neither in the image nor in its modules"
	else
		[ "$kho_str" -ge 1 ]
		ok $? "$arch: oracle: kho-v4 in the decompressed image"
		is "$(jq -r '.rows[] | select(.kind == "root") | .verdict' "$TMP/$arch.json")" reads "$arch: the root is read"
	fi
	nko=$(find "$M/kernel" -name '*.ko.xz' -o -name '*.ko.zst' 2>/dev/null | wc -l)
	diag "$arch: $rel: $nko compressed modules below $M/kernel searched"
done
diag "wall time $(($(date +%s) - t0)) s"
done_testing
