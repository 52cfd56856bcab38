#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the kernel's own live-update selftests (tools/testing/selftests/liveupdate:
# the `liveupdate` harness and the two-stage luo_kexec_simple, luo_multi_session,
# luo_stress_files, luo_stress_sessions) static, against the UAPI headers of the
# kernel under test, for the check-vm guest (issue 19).
#
# usage: build-selftests.sh KDIR OUTDIR [CC]
#   KDIR: the cached kernel directory of build-kernel.sh (holds headers/ and
#         selftests/); OUTDIR receives the five programs; CC defaults to gcc
#         (arm64: aarch64-linux-gnu-gcc, whose static glibc comes with
#         Debian's libc6-dev-arm64-cross).
set -eu
kdir=$1 out=$2 cc=${3:-gcc}
die() { echo "build-selftests: ERROR: $*" >&2; exit 1; }
src=$kdir/selftests/liveupdate
[ -f "$src/luo_test_utils.c" ] || die "no selftest sources in $kdir/selftests (rebuild the kernel cache entry)"
[ -f "$kdir/headers/include/linux/liveupdate.h" ] || die "no UAPI headers in $kdir/headers"
mkdir -p "$out"
# -I the kernel's UAPI headers first (linux/liveupdate.h is newer than the
# build machine's), as the selftests' Makefile does with KHDR_INCLUDES
flags="-static -O2 -Wall -Wno-unused-function -D_GNU_SOURCE -isystem $kdir/headers/include -I$src"
"$cc" $flags -c "$src/luo_test_utils.c" -o "$out/luo_test_utils.o"
for t in liveupdate luo_kexec_simple luo_multi_session luo_stress_files luo_stress_sessions; do
	"$cc" $flags "$src/$t.c" "$out/luo_test_utils.o" -o "$out/$t" || die "cannot build $t"
done
rm -f "$out/luo_test_utils.o"
