#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# End-to-end test on a real KHO kernel (make check-vm): build or reuse the
# kernel, boot it under qemu (TCG), preserve state (test_kho, a LUO memfd
# session, reserve_mem), dump the first kernel's memory, kexec, check the
# second kernel, and decode the first kernel's state on the host with khoctl.
# Prints TAP. Expected values come from the guest (dmesg, the helpers'
# PFN lists, the debugfs blobs as dtc/fdtget read them, the kho_test folio
# list read straight from the memory dump) — never from khoctl itself.
#
# Environment: KHOCTL (host khoctl), VM_BIN (dir with the static khoctl,
# kexec-load, luo-memfd), VMDUMP (host reader), VM_OUT (work dir), KERNEL.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib-vm.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
KERNEL=${KERNEL:-7.2}
: "${VM_BIN:?}" "${VMDUMP:?}" "${VM_OUT:?}"
mkdir -p "$VM_OUT"
D=$VM_OUT
for t in fdtget dtc od qemu-system-x86_64 cpio; do
	command -v $t >/dev/null 2>&1 || bail_out "$t is required (Debian: device-tree-compiler, coreutils, qemu-system-x86, cpio)"
done
t0=$(date +%s)

# ---- kernel, initramfs, round trip
bz=$("$HERE/build-kernel.sh" "$KERNEL" 2>"$D/build-kernel.log")
if ! ok $? "kernel $KERNEL built or taken from the cache"; then
	tail -n 40 "$D/build-kernel.log" | comment
	bail_out "no kernel"
fi
diag "bzImage: $bz ($(cat "$(dirname "$bz")/version"))"
"$HERE/mkinitrd.sh" "$D/initrd.gz" "$bz" "$VM_BIN" 2>"$D/mkinitrd.log"
ok $? "initramfs built" || { comment <"$D/mkinitrd.log"; bail_out "no initramfs"; }
"$HERE/run-vm.sh" "$bz" "$D/initrd.gz" "$D" 2>"$D/run-vm.log"
rc=$?
comment <"$D/run-vm.log"
if ! ok $rc "two-boot kexec round trip under qemu TCG"; then
	diag "serial console (last 150 lines):"
	tr -d '\r' <"$D/serial.log" | tail -n 150 | comment
	bail_out "round trip failed"
fi
tr -d '\r' <"$D/serial.log" >"$D/serial.txt"
S=$D/serial.txt

# ---- blobs out of the console: base64 between "=== BLOB name" and "=== END sha256"
rm -rf "$D/blobs"
mkdir -p "$D/blobs"
awk -v dir="$D/blobs" '
	/^=== BLOB / { name = $3; f = dir "/" name ".b64"; printf "" > f; on = 1; next }
	on && /^=== END/ { print $3 > (dir "/" name ".sha256"); on = 0; next }
	on { print > f }' "$S"
bad=0 n=0
for b in "$D"/blobs/*.b64; do
	base=${b%.b64}
	base64 -d "$b" >"$base.bin" 2>/dev/null || bad=1
	[ "$(sha256sum <"$base.bin" | cut -d' ' -f1)" = "$(cat "$base.sha256")" ] || { bad=1; diag "bad blob $(basename "$base")"; }
	n=$((n + 1))
done
ok $bad "$n debugfs blobs received intact (sha256 as the guest computed)"
B=$D/blobs

# ---- our patched kexec (make kexec-static before make check-vm)
if grep -q '^=== KEXECX' "$S"; then
	grep -q '^=== KEXECX check rc=0' "$S"; ok $? "kexec --kho-check passes on the live first kernel"
	grep -q '^=== KEXECX -c rc=1' "$S"; ok $? "kexec -c refused while KHO is active"
	grep -q 'only kexec_file_load carries the handover' "$S"; ok $? "the refusal says why"
	grep -q '^=== KEXECX load rc=0' "$S"; ok $? "kexec -s -l loaded the second kernel after the check"
	is "$(sed -n '/^=== KEXECX load rc=0/,/^Linux version/p' "$S" | grep -c '^kexec: KHO warning KHO-W043')" 1 \
		"kexec -e checked the state once more before the reboot"
else
	skip "patched kexec not in the initramfs (make kexec-static)"
fi

# ---- what the second kernel says (dmesg, independent of khoctl)
dmesg2() { sed -n '/^=== DMESG2/,/^=== END DMESG2/p' "$S"; }
dmesg2 | grep -q 'test_kho: KHO restore succeeded'
ok $? "second kernel: test_kho: KHO restore succeeded"
kver=$(sed -n 's/^Linux version \([^ ]*\) .*/\1/p' "$S" | head -n 1)
dmesg2 | grep -q "KHO: exec from: $kver (count 1)"
ok $? "second kernel: KHO: exec from: $kver (count 1) (kexec-metadata)"
dmesg2 | grep -q "Revived memory reservation 'sample' from KHO"
ok $? "second kernel: reserve_mem 'sample' revived"
grep -q '^LUOX VERIFY OK' "$S"
ok $? "luo-memfd: both memfds retrieved, size, position and every byte right"
grep '^LUOX' "$S" | grep -v pfn-runs | comment

# memfd PFNs seen through /proc/self/pagemap before and after the kexec
pages() { # STAGE(1|2) TAG -> one PFN per line, sorted (any awk: hex by hand)
	awk -v st="$1" -v tag="$2" '
		function hex(s,   i, v) {
			v = 0; s = tolower(s); sub(/^0x/, "", s)
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		/^=== KEXEC NOW/ { stage = 2 }
		stage + 0 == 0 { stage = 1 }
		stage == st && $1 == "LUOX" && $2 == tag && $3 == "pfn-runs:" {
			for (i = 4; i <= NF; i++) {
				split($i, r, "+"); p = hex(r[1])
				for (k = 0; k < r[2]; k++) printf "%d\n", p + k
			}
		}' "$S" | sort -n
}
for tag in 0x1a 0x2b; do
	pages 1 $tag >"$D/pfn1-$tag"
	pages 2 $tag >"$D/pfn2-$tag"
done
is "$(wc -l <"$D/pfn1-0x1a" | tr -d ' ')" 1024 "memfd 0x1a: 1024 pages (4 MiB) before kexec"
is "$(wc -l <"$D/pfn1-0x2b" | tr -d ' ')" 3 "memfd 0x2b: 3 pages (10000 bytes) before kexec"
cmp -s "$D/pfn1-0x1a" "$D/pfn2-0x1a" && cmp -s "$D/pfn1-0x2b" "$D/pfn2-0x2b"
ok $? "memfd pages are the same physical pages after kexec (handed over in place)"

# the incoming root FDT is the first kernel's, found in the first kernel's memory
loc=$("$VMDUMP" find-fdt "$D/k1.elf" "$B/k1-out-fdt.bin" "$D/k1-root.fdt")
ok $? "first kernel's root FDT found in its memory dump at ${loc% *} (debugfs out/fdt is a prefix)"
cmp -s "$D/k1-root.fdt" "$B/k2-in-fdt.bin"
ok $? "second kernel's kho/in/fdt == first kernel's root FDT"
[ "$(stat -c %s "$B/k1-out-fdt.bin")" -lt "$(stat -c %s "$D/k1-root.fdt")" ] &&
	diag "kernel quirk Q2: debugfs out/fdt is $(stat -c %s "$B/k1-out-fdt.bin") bytes of a $(stat -c %s "$D/k1-root.fdt")-byte FDT"
for n in kho_test memblock kexec-metadata; do
	cmp -s "$B/k1-out-sub-$n.bin" "$B/k2-in-sub-$n.bin"
	ok $? "sub-blob $n: k1 out == k2 in"
done

# ---- the first kernel's state decoded on the host by khoctl
IN="--fdt $D/k1-root.fdt --mem $D/k1.elf"
expect_exit 0 "khoctl stat (k1 dump)" stat $IN --json
cp "$TMP/out" "$D/stat.json"
is "$(jq -r .abi "$D/stat.json")" "$(fdtget -t s "$D/k1-root.fdt" / compatible)" \
	"stat: abi is the root FDT's compatible (fdtget)"
expect_exit 0 "khoctl ranges (k1 dump)" ranges $IN --json
cp "$TMP/out" "$D/ranges.json"
expect_exit 0 "khoctl ranges --folios (k1 dump)" ranges $IN --folios --json
cp "$TMP/out" "$D/folios.json"
expect_exit 0 "khoctl dump (k1 dump)" dump $IN --json
cp "$TMP/out" "$D/dump.json"
is "$(jq '.folios' "$D/stat.json")" "$(jq '.folios | length' "$D/folios.json")" \
	"stat folios == ranges --folios rows"

covered() { # START SIZE: inside one preserved range?
	jq -e --argjson s "$1" --argjson n "$2" \
		'any(.ranges[]; .start <= $s and $s + $n <= .start + .size)' "$D/ranges.json" >/dev/null
}

# every sub-blob of the root FDT (fdtget) lies in preserved memory
root_nodes=$(fdtget -l "$D/k1-root.fdt" /)
for n in $root_nodes; do
	pa=$(prop64 "$D/k1-root.fdt" "/$n" preserved-data)
	sz=$(prop64 "$D/k1-root.fdt" "/$n" blob-size)
	covered "$pa" "$sz"
	ok $? "blob $n [$(printf 0x%x "$pa"), +$sz) preserved"
done
is "$(jq -c '[.subnodes[].name] | sort' "$D/dump.json")" \
	"$(printf '%s\n' $root_nodes | jq -R . | jq -s -c 'sort')" "dump: subnodes as fdtget lists them"

# Scenario 1: the kho_test folios, read from guest memory without khoctl:
# kho_test blob -> folios_info (kho_vmalloc) -> chunk page -> data page ->
# nr_folios entries "phys | order" (lib/test_kho.c)
KT=$B/k1-out-sub-kho_test.bin
nr=$(prople 4 "$KT" /data nr_folios)
[ "$nr" -ge 1 ] && [ "$nr" -le 511 ] || bail_out "kho_test nr_folios $nr out of range"
first=$(prop64 "$KT" /data folios_info)
"$VMDUMP" read "$D/k1.elf" "$first" 4096 "$D/kt-chunk.bin" &&
	data=$(le64 "$D/kt-chunk.bin" 8) &&
	"$VMDUMP" read "$D/k1.elf" "$data" 4096 "$D/kt-data.bin"
ok $? "kho_test: $nr folios, folio list read from the dump (chunk $(printf 0x%x "$first"))"
covered "$first" 4096 && covered "${data:-0}" 4096
ok $? "kho_test: vmalloc chunk and data page preserved"
pages_kt=0
: >"$D/kt-folios"
for ((i = 0; i < nr; i++)); do
	e=$(le64 "$D/kt-data.bin" $((i * 8)))
	o=$((e & 0xfff)) p=$((e & ~0xfff))
	pages_kt=$((pages_kt + (1 << o)))
	echo "$p $o" >>"$D/kt-folios"
done
# FILE of "PHYS ORDER" lines -> those not listed by khoctl ranges --folios
unlisted() {
	jq -R 'split(" ") | map(tonumber)' "$1" | jq -s -c . >"$D/want.json"
	jq -r --slurpfile w "$D/want.json" '
		(reduce .folios[] as $f ({}; .["\($f.phys) \($f.order)"] = true)) as $have
		| $w[0][] | select($have["\(.[0]) \(.[1])"] | not)
		| "folio \(.[0]) order \(.[1]) not listed"' "$D/folios.json"
}
unlisted "$D/kt-folios" >"$D/kt-missing"
is "$(wc -l <"$D/kt-missing" | tr -d ' ')" 0 \
	"kho_test: all $nr folios ($pages_kt pages) listed by khoctl with their order"
head -n 20 "$D/kt-missing" | comment
# lib/test_kho.c allocates until max_mem = 2 * (PAGE_SIZE << MAX_PAGE_ORDER)
# (x86: 2 * 4 MiB) is reached exactly
is "$pages_kt" 2048 "kho_test: folios add up to max_mem = 8 MiB (2048 pages)"
[ "$(jq .pages "$D/stat.json")" -ge "$pages_kt" ]
ok $? "stat pages ($(jq .pages "$D/stat.json")) >= kho_test pages ($pages_kt)"

# Scenario 2: the memfd pages (pagemap, before kexec) are preserved folios
cat "$D/pfn1-0x1a" "$D/pfn1-0x2b" | awk '{ printf "%d 0\n", $1 * 4096 }' >"$D/memfd-folios"
unlisted "$D/memfd-folios" >"$D/memfd-missing"
is "$(wc -l <"$D/memfd-missing" | tr -d ' ')" 0 \
	"memfd: all $(wc -l <"$D/memfd-folios" | tr -d ' ') pagemap pages are preserved order-0 folios"
head -n 20 "$D/memfd-missing" | comment

# reserve_mem "sample" from the memblock sub-FDT
MB=$B/k1-out-sub-memblock.bin
ms=$(prop64 "$MB" /sample start)
mz=$(prop64 "$MB" /sample size)
is "$mz" $((1028 * 1024)) "memblock: reserve_mem sample is 1028 KiB (command line)"
covered "$ms" "$mz"
ok $? "reserve_mem sample [$(printf 0x%x "$ms"), +1028K) preserved"

# the radix tree walked by vmdump (kho-abi.md 4.1, no libkhofmt) and a slim
# core of it: tree pages, sub-blobs, the kho_test list pages, memfd 0x2b
root_pa=$(prop64 "$D/k1-root.fdt" / preserved-memory-map)
slim_args=
for n in $root_nodes; do
	slim_args="$slim_args $(prop64 "$D/k1-root.fdt" "/$n" preserved-data) $(prop64 "$D/k1-root.fdt" "/$n" blob-size)"
done
slim_args="$slim_args $first 4096 ${data:-0} 4096"
while read -r pfn; do slim_args="$slim_args $((pfn * 4096)) 4096"; done <"$D/pfn1-0x2b"
tree=$("$VMDUMP" slim "$D/k1.elf" "$root_pa" "$D/slim-k1.elf" $slim_args)
ok $? "slim core of the first kernel written ($(stat -c %s "$D/slim-k1.elf" 2>/dev/null) bytes)"
is "$(jq .tracker.pages "$D/stat.json")" "$tree" "stat: tracker pages == radix tree pages walked by vmdump ($tree)"
expect_exit 0 "khoctl stat (slim core)" stat --fdt "$D/k1-root.fdt" --mem "$D/slim-k1.elf" --json
is "$(jq -c '[.folios, .pages]' "$TMP/out")" "$(jq -c '[.folios, .pages]' "$D/stat.json")" \
	"stat on the slim core == stat on the full dump"

# in-guest static khoctl on the incoming root FDT
sed -n '/^=== KHOCTL dump/,/^=== END KHOCTL/p' "$S" | sed '1d;$d' >"$D/guest-dump.json"
grep -q '^=== END KHOCTL rc=0' "$S"
ok $? "guest: khoctl dump --fdt kho/in/fdt exit 0"
is "$(jq -c '[.subnodes[] | [.name, .preserved_data]] | sort' "$D/guest-dump.json")" \
	"$(for n in $root_nodes; do printf '%s %s\n' "$n" "$(prop64 "$B/k2-in-fdt.bin" "/$n" preserved-data)"; done |
		jq -R 'split(" ") | [.[0], (.[1] | tonumber)]' | jq -s -c sort)" \
	"guest: khoctl dump subnodes and addresses as fdtget reads kho/in/fdt"

# KHO_VM_FIXTURE=DIR: keep this run as a small fixture
if [ -n "${KHO_VM_FIXTURE:-}" ]; then
	mkdir -p "$KHO_VM_FIXTURE/blobs"
	cp "$D/k1-root.fdt" "$KHO_VM_FIXTURE/root.fdt"
	cp "$D/slim-k1.elf" "$KHO_VM_FIXTURE/slim-k1.elf"
	cp "$S" "$KHO_VM_FIXTURE/serial.log"
	for b in "$B"/*.bin; do cp "$b" "$KHO_VM_FIXTURE/blobs/"; done
	diag "fixture written to $KHO_VM_FIXTURE"
fi

diag "wall time $(($(date +%s) - t0)) s"
done_testing
