# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the live/capture/diff CLI tests (after lib.sh): builds two
# --sysroot trees from the real 7.2.13 capture.
#   $k1  first kernel, cold boot: kho/out with the truncated fdt (Q2),
#        scratch files, /proc/iomem, osrelease, kcore from slim-kexec.elf
#   $k2  second kernel, KHO boot: kho/in, kho/out without fdt (Q1),
#        kcore from slim-post.elf
# blobs/debugfs/* are the files debugfs showed in each kernel; serial.log
# holds the scratch lines and /proc/iomem; /proc/kcore is a kcore-shaped
# ELF made by tests/gen/mkkcore.

[ -x "${MKKCORE:-}" ] || bail_out "mkkcore not built: ${MKKCORE:-unset}"
F=$FIXTURES
D=$F/blobs/debugfs

# serial.log: "=== scratch" is followed by the 3 scratch_phys then the 3
# scratch_len lines; the first kernel's iomem runs from its first line to
# the "fd00000000" line.
scratch_phys() { awk '/^=== scratch/ { n = 1; next } n >= 1 && n <= 3 { print; n++ }' "$F/serial.log" | head -n 3; }
scratch_len() { awk '/^=== scratch/ { n = 1; next } n >= 1 && n <= 6 { if (n > 3) print; n++ }' "$F/serial.log" | head -n 3; }
iomem_k1() { awk '/^00000000-00000fff : Reserved/ { p = 1 } p { print } p && /^fd00000000-/ { exit }' "$F/serial.log"; }

# k1: first kernel, cold boot: kho/out with the truncated fdt (Q2)
k1=$TMP/k1
mkdir -p "$k1/sys/kernel/debug/kho/out/sub_fdts" "$k1/proc/sys/kernel"
cp "$D/k1-out_fdt.bin" "$k1/sys/kernel/debug/kho/out/fdt"
for n in LUO kexec-metadata kho_test memblock; do
	cp "$D/k1-out_sub_fdts_$n.bin" "$k1/sys/kernel/debug/kho/out/sub_fdts/$n"
done
scratch_phys >"$k1/sys/kernel/debug/kho/out/scratch_phys"
scratch_len >"$k1/sys/kernel/debug/kho/out/scratch_len"
iomem_k1 >"$k1/proc/iomem"
echo 7.2.13 >"$k1/proc/sys/kernel/osrelease"
"$MKKCORE" "$F/slim-kexec.elf" "$k1/proc/kcore" || bail_out "mkkcore"

# k2: second kernel, KHO boot: kho/in complete, kho/out without fdt (Q1)
k2=$TMP/k2
mkdir -p "$k2/sys/kernel/debug/kho/in/sub_fdts" "$k2/sys/kernel/debug/kho/out/sub_fdts" "$k2/proc"
cp "$D/k2-in_fdt.bin" "$k2/sys/kernel/debug/kho/in/fdt"
for n in LUO kexec-metadata kho_test memblock; do
	cp "$D/k2-in_sub_fdts_$n.bin" "$k2/sys/kernel/debug/kho/in/sub_fdts/$n"
done
for n in LUO kexec-metadata memblock; do
	cp "$D/k2-out_sub_fdts_$n.bin" "$k2/sys/kernel/debug/kho/out/sub_fdts/$n"
done
scratch_phys >"$k2/sys/kernel/debug/kho/out/scratch_phys"
scratch_len >"$k2/sys/kernel/debug/kho/out/scratch_len"
"$MKKCORE" "$F/slim-post.elf" "$k2/proc/kcore" || bail_out "mkkcore"

