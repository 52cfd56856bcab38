#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl compat: the real 7.2.13 state against kernel images.
#
# Images: the string literals of real kernels (tests/fixtures/images/*.strings,
# derived by derive.sh from the 7.2.13, 7.3.4 and 7.2.13-luo-bump builds
# with strings(1)) wrapped by tests/gen/mkimage into every container and
# compression the kernel and Debian use; the cached real bzImages too when
# tests/vm/build-kernel.sh has built them. Expected verdicts are hand-derived
# from the kernel sources: 7.2.13 and 7.3.4 read kho-v4, luo-v5, memfd-v2,
# memblock-v1, reserve-mem-v1, kho-test-v1; the luo-bump kernel (luo-v5 ->
# luo-v99 in include/linux/kho/abi/luo.h) drops the LUO sessions and with
# them the 4 memfds (README of the fixture: 2 sessions, 4 files).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

[ -n "${MKIMAGE:-}" ] && [ -x "$MKIMAGE" ] || bail_out "MKIMAGE is not set (run through make check)"
F=$FIXTURES
IMGS=$TESTS_SRCDIR/fixtures/images
IN="--fdt $F/root.fdt --mem $F/slim-kexec.elf"

# row FILE SUBNODE KIND FIELD: that field of the first such row
row() { jq -r --arg s "$2" --arg k "$3" '[.rows[] | select((.subnode // "") == $s and .kind == $k) | .'"$4"'][0]' "$1"; }

# The verdicts of one image in one line (one jq run: CI's two cores are busy):
# format/compression release | kind:subnode=verdict... | summary
SIG='"\(.image.format)/\(.image.compression) \(.image.release) | " +
	([.rows[] | "\(.kind):\(.subnode // "")=\(.verdict)"] | join(" ")) + " | " +
	"\(.summary.verdict) lost \(.summary.lost)"'
ALL_READ="root:=reads subnode:memblock=reads region:memblock=reads subnode:LUO=reads luo-file:LUO=reads subnode:kho_test=reads subnode:kexec-metadata=reads"
BUMP="root:=reads subnode:memblock=reads region:memblock=reads subnode:LUO=lost luo-file:LUO=lost subnode:kho_test=reads subnode:kexec-metadata=reads"

# check_image NAME FILE WANT-EXIT FORMAT/COMP DESC
check_image() {
	local name=$1 file=$2 want=$3 fc=$4 desc=$5 rel rows sum
	expect_exit "$want" "$desc" compat $IN --image "$file" --json
	cp "$TMP/out" "$TMP/j"
	rel=$(tr '\0' '\n' <"$IMGS/$name.strings" | sed -n 's/^Linux version \([^ ]*\).*/\1/p' | head -n 1)
	if [ "$want" = 0 ]; then rows=$ALL_READ sum="accepted lost 0"; else rows=$BUMP sum="loses-state lost 2"; fi
	is "$(jq -r "$SIG" "$TMP/j")" "$fc $rel | $rows | $sum" \
		"$desc: container, release (as strings(1) read it), every row's verdict"
}

for name in linux-7.2.13 linux-7.3.4 linux-7.2.13-luo-bump; do
	want=0
	case $name in *bump*) want=1 ;; esac
	for spec in bzimage:gzip bzimage:xz bzimage:lzma bzimage:zstd bzimage:lz4 bzimage:bzip2 \
		zboot:gzip zboot:zstd zboot:xz arm64:none arm64:gzip plain:xz plain:none; do
		fmt=${spec%:*} comp=${spec#*:}
		"$MKIMAGE" wrap "$fmt" "$comp" "$IMGS/$name.strings" "$TMP/img" ||
			bail_out "mkimage wrap $fmt $comp"
		case $fmt in
		bzimage) f=bzImage ;; zboot) f=zboot ;; arm64) [ "$comp" = none ] && f=arm64-Image || f=compressed ;;
		*) [ "$comp" = none ] && f=raw || f=compressed ;;
		esac
		check_image "$name" "$TMP/img" "$want" "$f/$comp" "$name as $fmt/$comp"
	done
	if [ "$want" = 1 ]; then
		is "$(row "$TMP/j" LUO subnode writes)/$(row "$TMP/j" LUO subnode image_has)" "luo-v5/luo-v99" \
			"$name: LUO writes luo-v5, the image reads luo-v99"
		is "$(row "$TMP/j" LUO luo-file writes)/$(row "$TMP/j" LUO luo-file count)/$(row "$TMP/j" LUO luo-file bytes)" \
			"memfd-v2/4/3159824" "$name: the 4 memfds (3145728+10000+0+4096 bytes) lost with LUO"
	fi
done
# Image.gz: the arm64 header is what was inside
is "$(jq -r .image.inner "$TMP/j")" raw "plain: inner is raw"
"$MKIMAGE" wrap arm64 gzip "$IMGS/linux-7.3.4.strings" "$TMP/Image.gz"
expect_exit 0 "Image.gz" compat $IN --image "$TMP/Image.gz" --json
is "$(jq -r .image.inner "$TMP/out")" arm64-Image "Image.gz: an arm64 Image inside"

# The arm64 Image header's page-size flags (0x18, bits 1-2: booting.rst):
# the 4 KiB state against 4 KiB, unspecified and 64 KiB images
"$MKIMAGE" wrap arm64 none "$IMGS/linux-7.3.4.strings" "$TMP/a64"
for f in 2:4096:0 0:null:0 6:65536:1 4:16384:1; do
	IFS=: read -r flags ps want <<EOF2
$f
EOF2
	printf "\\$(printf %o "$flags")" | dd of="$TMP/a64" bs=1 seek=24 conv=notrunc 2>/dev/null
	expect_exit "$want" "arm64 Image, header flags $flags" compat $IN --image "$TMP/a64" --json
	is "$(jq -r '"\(.image.machine) \(.image.page_size) \(.summary.verdict)"' "$TMP/out")" \
		"arm64 $ps $([ "$want" = 0 ] && echo accepted || echo loses-state)" \
		"arm64 Image, flags $flags: page size $ps; $([ "$want" = 0 ] && echo read || echo 'the root is lost (4 KiB state)')"
done

# Text output names what is lost
"$MKIMAGE" wrap bzimage xz "$IMGS/linux-7.2.13-luo-bump.strings" "$TMP/bump"
expect_exit 1 "text, bumped" compat $IN --image "$TMP/bump"
grep -q 'every LUO session' "$TMP/out"
ok $? "text: the LUO row says every session is lost"

# Other inputs: a capture bundle of the same state
"$KHOCTL" capture $IN "$TMP/cap" >/dev/null 2>&1 || bail_out "capture"
expect_exit 1 "capture input" compat --capture "$TMP/cap" --image "$TMP/bump" --json
is "$(row "$TMP/out" LUO subnode verdict)" lost "capture input: LUO lost"
# FDT alone: the LUO files are unknown (exit 2), the root is still judged
expect_exit 2 "FDT without memory" compat --fdt "$F/root.fdt" --image "$TMP/bump" --json
is "$(row "$TMP/out" LUO subnode verdict)" unknown "FDT alone: LUO unknown (needs the memory)"

# Modules: kho-test-v1 only in SYSROOT/lib/modules/7.2.13/.../test_kho.ko.xz
tr '\0' '\n' <"$IMGS/linux-7.2.13.strings" | grep -v '^kho-test-v1$' | tr '\n' '\0' >"$TMP/nokt.strings"
"$MKIMAGE" wrap bzimage xz "$TMP/nokt.strings" "$TMP/nokt"
mkdir -p "$TMP/sys/lib/modules/7.2.13/kernel/lib"
printf '\177ELF\0\0\0kho-test-v1\0kho_test\0' >"$TMP/ko"
"$MKIMAGE" wrap plain xz "$TMP/ko" "$TMP/sys/lib/modules/7.2.13/kernel/lib/test_kho.ko.xz"
expect_exit 0 "module .ko.xz" compat $IN --image "$TMP/nokt" --sysroot "$TMP/sys" --json
is "$(row "$TMP/out" kho_test subnode found_in)/$(row "$TMP/out" kho_test subnode module)" \
	"module//lib/modules/7.2.13/kernel/lib/test_kho.ko.xz" "kho_test: found in test_kho.ko.xz"
rm "$TMP/sys/lib/modules/7.2.13/kernel/lib/test_kho.ko.xz"
"$MKIMAGE" wrap plain zstd "$TMP/ko" "$TMP/sys/lib/modules/7.2.13/kernel/lib/test_kho.ko.zst"
expect_exit 0 "module .ko.zst" compat $IN --image "$TMP/nokt" --sysroot "$TMP/sys" --json
is "$(row "$TMP/out" kho_test subnode module)" "/lib/modules/7.2.13/kernel/lib/test_kho.ko.zst" "kho_test: found in test_kho.ko.zst"
expect_exit 1 "--no-modules" compat $IN --image "$TMP/nokt" --sysroot "$TMP/sys" --no-modules --json
is "$(row "$TMP/out" kho_test subnode verdict)/$(row "$TMP/out" kho_test subnode found_in)" lost/absent \
	"--no-modules: kho_test lost"

# Hostile and truncated images: exit 2, a message, bounded
"$MKIMAGE" wrap bzimage xz "$IMGS/linux-7.3.4.strings" "$TMP/good"
size=$(wc -c <"$TMP/good")
head -c $((size / 2)) "$TMP/good" >"$TMP/half"
expect_exit 2 "bzImage cut in half" compat $IN --image "$TMP/half"
grep -q 'outside' "$TMP/err"; ok $? "cut bzImage: the payload lies outside the file"
# payload_length intact, compressed stream cut: keep the header, zero the tail
cp "$TMP/good" "$TMP/short"
dd if=/dev/zero of="$TMP/short" bs=1 seek=$((1024 + 512 + 40)) count=$((size - 1024 - 512 - 40)) conv=notrunc 2>/dev/null
expect_exit 2 "xz stream zeroed" compat $IN --image "$TMP/short"
grep -Eq 'corrupt|truncated' "$TMP/err"; ok $? "zeroed stream: corrupt"
for c in gzip zstd lz4 bzip2 lzma; do
	"$MKIMAGE" wrap plain "$c" "$IMGS/linux-7.3.4.strings" "$TMP/p.$c"
	n=$(wc -c <"$TMP/p.$c")
	head -c $((n - 30)) "$TMP/p.$c" >"$TMP/t.$c"
	expect_exit 2 "$c stream cut 30 bytes short" compat $IN --image "$TMP/t.$c"
	grep -Eq 'truncated|corrupt' "$TMP/err"; ok $? "$c cut: truncated or corrupt"
done
: >"$TMP/empty"
expect_exit 2 "empty file" compat $IN --image "$TMP/empty"
random_bytes 4096 7 "$TMP/random"
expect_exit 2 "random bytes" compat $IN --image "$TMP/random"
grep -q 'not a Linux kernel' "$TMP/err"; ok $? "random bytes: not a Linux kernel"
expect_exit 2 "a directory" compat $IN --image "$TMP"
expect_exit 2 "bound: --max-size 100 (bytes)" compat $IN --image "$TMP/good" --max-size 100
grep -q 'bound' "$TMP/err"; ok $? "--max-size: the message names the bound"
# a zboot header that lies about its compression
"$MKIMAGE" wrap zboot gzip "$IMGS/linux-7.3.4.strings" "$TMP/zb"
printf 'zstd\0' | dd of="$TMP/zb" bs=1 seek=24 conv=notrunc 2>/dev/null
expect_exit 2 "zboot says zstd, payload is gzip" compat $IN --image "$TMP/zb"
# zboot payload offset beyond the file
"$MKIMAGE" wrap zboot gzip "$IMGS/linux-7.3.4.strings" "$TMP/zb2"
printf '\377\377\377\177' | dd of="$TMP/zb2" bs=1 seek=8 conv=notrunc 2>/dev/null
expect_exit 2 "zboot payload offset beyond the file" compat $IN --image "$TMP/zb2"
# a gzip bomb: 64 MiB of zeros is a 64 KiB file; the bound stops it
head -c $((64 << 20)) /dev/zero >"$TMP/zeros"
"$MKIMAGE" wrap bzimage gzip "$TMP/zeros" "$TMP/bomb"
expect_exit 2 "gzip bomb over --max-size 16M" compat $IN --image "$TMP/bomb" --max-size 16M
expect_exit 64 "no --image: usage error" compat $IN

# The real images, when the kernel build cache has them (check-vm builds them)
CACHE=${KHO_VM_CACHE:-/var/cache/kho-tools}
real() { for d in "$CACHE"/kernel/*; do [ -f "$d/version" ] && [ "$(cat "$d/version")" = "$1" ] && [ -s "$d/bzImage" ] && echo "$d/bzImage" && return; done; true; }
R73=$(real "7.3.4-1~bpo13+1")
RBUMP=$(real "7.2.13-1 luo-bump")
R72=$(real "7.2.13-1")
if [ -n "$R72" ]; then
	expect_exit 0 "real 7.2.13 bzImage" compat $IN --image "$R72" --json
	is "$(jq -r '"\(.image.format)/\(.image.compression)/\(.image.release)/\(.image.machine)/\(.image.page_size)/\(.summary.verdict)"' "$TMP/out")" \
		"bzImage/xz/7.2.13/x86_64/4096/accepted" "real 7.2.13: xz bzImage (tinyconfig), release 7.2.13, reads its own state"
else
	skip "no cached 7.2.13 bzImage (tests/vm/build-kernel.sh 7.2)"
fi
# arm64 Image (ARCH=arm64 build-kernel.sh 7.2: 64 KiB pages, uncompressed)
RA64=
for d in "$CACHE"/kernel/*-arm64-*; do
	[ -s "$d/Image" ] && [ "$(cat "$d/version")" = "7.2.13-1" ] && RA64=$d/Image && break
done
if [ -n "$RA64" ]; then
	# it carries every string, but is built for 64 KiB pages (its header's
	# flags; kho-lean-arm64.config ARM64_64K_PAGES): the 4 KiB state's
	# tracker would be misread, so the root and everything with it is lost
	expect_exit 1 "real arm64 7.2.13 Image (64 KiB pages)" compat $IN --image "$RA64" --json
	is "$(jq -r '"\(.image.format)/\(.image.compression)/\(.image.release)/\(.image.machine)/\(.image.page_size)/\(.summary.verdict)"' "$TMP/out")" \
		"arm64-Image/none/7.2.13/arm64/65536/loses-state" "real arm64 7.2.13 Image: arm64, 64 KiB pages from its header, release 7.2.13"
	is "$(row "$TMP/out" "" root verdict)/$(row "$TMP/out" "" root found_in)/$(jq '[.rows[] | select(.verdict == "lost")] | length' "$TMP/out")" \
		"lost/kernel/7" "real arm64 Image: kho-v4 is in it, the root is lost for the page size, and all 7 rows with it"
	row "$TMP/out" "" root lost | grep -q 'built for 64 KiB pages, the state was written with 4 KiB pages'
	ok $? "real arm64 Image: the root row says why (64 KiB image, 4 KiB state)"
else
	skip "no cached arm64 7.2.13 Image (ARCH=arm64 tests/vm/build-kernel.sh 7.2)"
fi
# The same arm64 images against the real arm64 64 KiB-page state
# (tests/fixtures/linux-7.2.13-arm64-64k): the 7.2.13 Image reads it, the
# luo-bump Image loses LUO only, 7.3.4 reads it (kho-v4, luo-v5 in both)
F64=${TESTS_SRCDIR:-$(dirname "$0")/..}/fixtures/linux-7.2.13-arm64-64k
IN64="--fdt $F64/root.fdt --mem $F64/slim-k1.elf"
real64() { for d in "$CACHE"/kernel/*-arm64-*; do [ -f "$d/version" ] && [ "$(cat "$d/version")" = "$1" ] && [ -s "$d/Image" ] && echo "$d/Image" && return; done; true; }
if [ -n "$RA64" ]; then
	expect_exit 0 "real arm64 7.2.13 Image, arm64 64 KiB state" compat $IN64 --image "$RA64" --json
	is "$(jq -r '"\(.image.page_size)/\(.summary.verdict)"' "$TMP/out")/$(jq '[.rows[] | select(.verdict == "lost")] | length' "$TMP/out")" \
		"65536/accepted/0" "real arm64 7.2.13 Image reads the real arm64 state: accepted, nothing lost"
else
	skip "no cached arm64 7.2.13 Image"
fi
RA64B=$(real64 "7.2.13-1 luo-bump")
if [ -n "$RA64B" ]; then
	expect_exit 1 "real arm64 luo-bump Image, arm64 64 KiB state" compat $IN64 --image "$RA64B" --json
	is "$(row "$TMP/out" LUO subnode verdict)/$(row "$TMP/out" LUO subnode image_has)/$(jq -c '[.rows[] | select(.verdict == "lost") | .subnode // .kind] | unique' "$TMP/out")" \
		'lost/luo-v99/["LUO"]' "real arm64 luo-bump: only LUO lost, the image reads luo-v99"
else
	skip "no cached arm64 luo-bump Image (ARCH=arm64 tests/vm/build-kernel.sh 7.2 luo-bump)"
fi
RA73=$(real64 "7.3.4-1~bpo13+1")
if [ -n "$RA73" ]; then
	expect_exit 0 "real arm64 7.3.4 Image, arm64 64 KiB state" compat $IN64 --image "$RA73" --json
	is "$(jq -r '"\(.image.release)/\(.image.page_size)/\(.summary.verdict)"' "$TMP/out")" \
		"7.3.4/65536/accepted" "real arm64 7.3.4 Image reads the 7.2.13 arm64 state: accepted"
else
	skip "no cached arm64 7.3.4 Image (ARCH=arm64 tests/vm/build-kernel.sh 7.3)"
fi
if [ -n "$R73" ]; then
	expect_exit 0 "real 7.3.4 bzImage" compat $IN --image "$R73" --json
	is "$(jq -r '"\(.image.format)/\(.image.compression)/\(.image.release)/\(.summary.verdict)"' "$TMP/out")" \
		"bzImage/xz/7.3.4/accepted" "real 7.3.4: xz bzImage (tinyconfig), release 7.3.4, accepted"
else
	skip "no cached 7.3.4 bzImage (tests/vm/build-kernel.sh 7.3)"
fi
if [ -n "$RBUMP" ]; then
	expect_exit 1 "real luo-bump bzImage" compat $IN --image "$RBUMP" --json
	is "$(row "$TMP/out" LUO subnode verdict)/$(row "$TMP/out" LUO subnode image_has)" "lost/luo-v99" \
		"real luo-bump: LUO lost, the image reads luo-v99"
else
	skip "no cached luo-bump bzImage (tests/vm/build-kernel.sh 7.2 luo-bump)"
fi

done_testing
