# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by tests/vm/check-vm.sh (issue 18): the dumps alone, no root FDT
# given. k1.kdump: kdump-compressed (dump-guest-memory -z, VMCOREINFO from
# -device vmcoreinfo: the lean kernel has FW_CFG_SYSFS) of the first kernel;
# k2.elf: ELF dump of the second; filtered dumps made from k1 by the real
# makedumpfile; the slim fixtures of tests/fixtures/linux-7.2.13-dumps.
#
# Oracles, none of them khoctl: the root page vmdump found (${loc%% *}) and
# the root FDT's own properties (fdtget), what the guest printed (release,
# page size, the kho_test folio list read from the dump by vmdump, the memfd
# pagemap PFNs, the setup_data of the second kernel from its sysfs
# /sys/kernel/boot_params/setup_data, debugfs kho/in/fdt), the ranges and
# folios decoded from the ELF dump with the root FDT given.
#
# Uses check-vm.sh's D B S PS VM_PAGE_SHIFT kver loc root_pa slim_args
# root_nodes and its ranges.json/folios.json/kt-folios/memfd-folios.
# KHO_VM_DUMP_FIXTURE=DIR keeps the slim dumps and the facts there.
k1pa=${loc%% *}
XARCH=${KHO_VM_ARCH:-x86_64}
norm_disc() { # FILE -> FILE.n: less what differs between --mem alone and --fdt
	sed -E '/page.size.(basis|reason)/d; /root FDT address unknown/d; /^ *skipped: /d' "$1" |
		sed -E 's/"page_size_(basis|reason)":"[^"]*",?//g' >"$1.n"
}
folio_pairs() { jq -c '[.folios[] | [.phys, .order]] | sort' "$1" 2>/dev/null; }

# bookworm's QEMU 7.2 writes makedumpfile's *flattened* form (for pipes),
# which libkdumpfile 0.5.1 does not read: makedumpfile -R reassembles it
# into the ordinary kdump-compressed file, as an admin would.
if [ "$(head -c 12 "$D/k1.kdump")" = makedumpfile ]; then
	makedumpfile -R "$D/k1.kdump.r" <"$D/k1.kdump" >/dev/null 2>&1 &&
		mv "$D/k1.kdump.r" "$D/k1.kdump"
	ok $? "k1.kdump: flattened dump reassembled (makedumpfile -R)"
fi
t_scan=$(date +%s.%N)
expect_exit 0 "dump --mem k1.kdump (no --fdt)" dump --mem "$D/k1.kdump"
diag "k1.kdump ($(($(stat -c %s "$D/k1.kdump") >> 20)) MiB, $(($(stat -c %s "$D/k1.elf") >> 20)) MiB of guest memory): found and decoded in $(echo "$(date +%s.%N) - $t_scan" | bc | cut -c1-5) s"
grep -q "using the KHO root at $k1pa " "$TMP/err"
ok $? "k1.kdump: the outgoing root found at $k1pa (page scan)"
# QEMU fills the header's VMCOREINFO from the note the guest hands it
# through fw_cfg (CONFIG_FW_CFG_SYSFS in kho-lean*.config)
if [ "$XARCH" = arm64 ]; then
	# FW_CFG_SYSFS needs PCI on arm64, which the lean arm64 kernel leaves out
	grep -q 'no VMCOREINFO: the page size comes from the tracker' "$TMP/err"
	ok $? "k1.kdump (arm64, no fw_cfg): no VMCOREINFO, said so; the page size from the tracker"
else
	grep -q "VMCOREINFO (kdump header): PAGESIZE=$PS -> page shift $VM_PAGE_SHIFT\$" "$TMP/err" &&
		grep -q "VMCOREINFO: OSRELEASE=$kver -> producer $kver\$" "$TMP/err"
	ok $? "k1.kdump: PAGESIZE=$PS and OSRELEASE=$kver (as the guest booted) from the kdump header's VMCOREINFO"
fi
grep 'VMCOREINFO' "$TMP/err" | comment
expect_exit 0 "ranges --mem k1.kdump" ranges --mem "$D/k1.kdump" --json
jq -S .ranges "$TMP/out" >"$D/ranges-kdump.json"
jq -S .ranges "$D/ranges.json" >"$D/ranges-elf.json"
cmp -s "$D/ranges-kdump.json" "$D/ranges-elf.json"
ok $? "k1.kdump alone: the same ranges as the ELF dump with the root FDT"
expect_exit 0 "ranges --folios --mem k1.kdump" ranges --folios --mem "$D/k1.kdump" --json
is "$(folio_pairs "$TMP/out")" "$(folio_pairs "$D/folios.json")" \
	"k1.kdump alone: the same $(jq '.folios | length' "$D/folios.json") folios (phys, order) as the ELF dump with the root FDT"
unlisted "$D/s1-want" "$TMP/out" >"$D/kdump-missing"
is "$(wc -l <"$D/kdump-missing" | tr -d ' ')" 0 "k1.kdump alone: every kho_test folio and memfd page the guest listed"

# ---- the real makedumpfile on the first kernel's memory (x86: it needs the
# kernel's page tables and phys_base from VMCOREINFO). QEMU's ELF headers
# (e_phoff 192, p_align 0) are not what it reads: vmdump keep rewrites them.
if [ "$XARCH" = x86_64 ] && command -v makedumpfile >/dev/null 2>&1; then
	"$VMDUMP" keep "$D/k1.elf" "$D/k1-full.elf" all >/dev/null
	rm -f "$D/k1-d23.kdump" "$D/k1-d31.kdump"
	makedumpfile -c -d 23 "$D/k1-full.elf" "$D/k1-d23.kdump" >"$D/makedumpfile.log" 2>&1 &&
		makedumpfile -c -d 31 "$D/k1-full.elf" "$D/k1-d31.kdump" >>"$D/makedumpfile.log" 2>&1
	ok $? "makedumpfile -c -d 23 and -d 31 of the first kernel ($(($(stat -c %s "$D/k1-d23.kdump") >> 20)) and $(($(stat -c %s "$D/k1-d31.kdump") >> 20)) MiB)" ||
		comment <"$D/makedumpfile.log"
	rm -f "$D/k1-full.elf"
	# -d 23 (zero, cache, private cache, free pages left out; user pages kept)
	expect_exit 0 "ranges --mem k1-d23.kdump (makedumpfile -d 23)" ranges --mem "$D/k1-d23.kdump" --json
	jq -S .ranges "$TMP/out" | cmp -s - "$D/ranges-elf.json"
	ok $? "-d 23: the KHO metadata pages are in the dump: the same ranges as the ELF dump"
	n23=$(sed -n 's/.*: \([0-9]*\) pages of RAM are not in the dump.*/\1/p' "$TMP/err")
	[ "${n23:-0}" -gt 0 ]
	ok $? "-d 23: the pages makedumpfile left out are counted ($n23), not reported as corruption"
	! grep -Eqi 'corrupt|malformed' "$TMP/err"
	ok $? "-d 23: no corruption reported"
	# -d 31: bookworm's makedumpfile 1.7.2 (older than Linux 7) counts the
	# 7.2.13 KHO radix tree pages (get_zeroed_page) among the user pages it
	# leaves out (bit 8; seen with -d 8 alone too)
	expect_exit 2 "stat --mem k1-d31.kdump (makedumpfile -d 31)" stat --mem "$D/k1-d31.kdump"
	rmap=$(printf 0x%x "$root_pa")
	grep -q "using the KHO root at $k1pa " "$TMP/err" &&
		grep -q "radix root $rmap (preserved-memory-map) is not in the dump (RAM the dump tool left out)" "$TMP/err"
	ok $? "-d 31: the root is found, and the missing tracker page $rmap (the root FDT's preserved-memory-map) is named as not in the dump"
	! grep -Eqi 'corrupt|malformed' "$TMP/err"
	ok $? "-d 31: not reported as corruption"
	grep -E 'not in the dump' "$TMP/err" | comment
else
	skip "makedumpfile -d 23/-d 31 of the first kernel (x86 with makedumpfile only)"
fi

# ---- k2.elf: the second kernel, its boot_params setup_data type 10
# The guest's sysfs setup_data (type, then the 32 bytes of struct kho_data)
sd=$(sed -n 's/^=== SETUP_DATA 0x0*a \(.*\)$/\1/p' "$S" | head -n 1)
if [ "$XARCH" = x86_64 ] && [ -n "$sd" ]; then
	kd=$(echo "$sd" | awk '{ for (w = 0; w < 4; w++) { v = ""; for (b = 7; b >= 0; b--) v = v $(w * 8 + b + 1); printf "0x%s ", v } }')
	read -r g_fdt g_fsz g_scr g_ssz <<<"$kd"
	g_fdt=$(printf 0x%x "$g_fdt") g_fsz=$((g_fsz)) g_scr=$(printf 0x%x "$g_scr") g_ssz=$((g_ssz))
	diag "guest sysfs setup_data type 10: fdt $g_fdt size $g_fsz scratch $g_scr size $g_ssz"
	is "$g_fdt" "$k1pa" "guest: the second kernel's setup_data names the first kernel's root $k1pa"
	# the same record, found in the dump by vmdump (boot_params signature,
	# hdr.setup_data chain; no libkhofmt)
	is "$("$VMDUMP" boot-params "$D/k2.elf" | sed -n 's/^kho //p' | sort -u | tr '\n' ' ')" "$g_fdt $g_fsz $g_scr $g_ssz " \
		"k2.elf: vmdump finds that setup_data record in the dump (boot_params hdr.setup_data)"
	"$VMDUMP" read "$D/k2.elf" "$g_fdt" "$(stat -c %s "$B/k2-in-fdt.bin")" "$D/k2-fdt-at.bin" &&
		cmp -s "$D/k2-fdt-at.bin" "$B/k2-in-fdt.bin"
	ok $? "k2.elf: the FDT at $g_fdt is debugfs kho/in/fdt"
	expect_exit 0 "dump --mem k2.elf (no --fdt)" dump --mem "$D/k2.elf"
	grep -q "candidate at $g_fdt (kho-v4): boot_params setup_data type 10" "$TMP/err"
	ok $? "k2.elf: the incoming root at $g_fdt listed as found through boot_params setup_data"
	grep 'candidate at\|using the' "$TMP/err" | comment
	# the incoming root chosen: the same as with the FDT file (7.2.13 frees
	# the incoming radix tree during boot, so both may fail to walk it)
	kho "$D/k2a.txt" "$D/k2a.err" dump --mem "$D/k2.elf" --root-pa "$g_fdt"
	ra=$rc
	kho "$D/k2b.txt" "$D/k2b.err" dump --fdt "$B/k2-in-fdt.bin" --mem "$D/k2.elf"
	norm_disc "$D/k2a.txt"
	norm_disc "$D/k2b.txt"
	is "$ra $(cmp -s "$D/k2a.txt.n" "$D/k2b.txt.n" && echo same)" "$rc same" \
		"k2.elf --root-pa $g_fdt: the same output and exit ($rc) as --fdt kho/in/fdt"
	! crashy "$D/k2a.err"
	ok $? "k2.elf --root-pa: no crash"
elif [ "$XARCH" = arm64 ]; then
	# arm64: the second kernel's boot DT names the root in /chosen
	kho "$TMP/out" "$TMP/err" dump --mem "$D/k2.elf" --root-pa "$k1pa"
	! crashy "$TMP/err"
	ok $? "dump --mem k2.elf: no crash (exit $rc)"
	grep -q "candidate at $k1pa (kho-v4): boot DT /chosen linux,kho-fdt" "$TMP/err"
	ok $? "k2.elf: the incoming root at $k1pa found through the boot DT's /chosen linux,kho-fdt"
	grep 'candidate at\|using the' "$TMP/err" | comment
	g_fdt=
else
	skip "k2.elf: x86 setup_data (the guest printed none)"
	g_fdt=
fi

# ---- the slim fixtures (x86: mkkdump writes an x86_64 header)
if [ "$XARCH" = x86_64 ] && [ -x "${MKKDUMP:-}" ]; then
	"$VMDUMP" vmcoreinfo "$D/k1.elf" "$D/k1.vmcoreinfo"
	ok $? "the guest's VMCOREINFO note taken from the ELF dump ($(wc -c <"$D/k1.vmcoreinfo") bytes)"
	# k1: what slim-k1.elf holds, the root FDT page and the notes
	"$VMDUMP" slim "$D/k1.elf" "$root_pa" "$D/k1-slim.elf" $slim_args "$k1pa" "$PS" >/dev/null
	ramsz=$(readelf -lW "$D/k1.elf" | awk '$1 == "LOAD" && $4 ~ /^0x0+$/ { print $5 }')
	ramsz=$((${ramsz:-0}))
	"$MKKDUMP" --vmcoreinfo "$D/k1.vmcoreinfo" --ram-extra "0+${ramsz:-0}" "$D/k1-slim.elf" "$D/k1-slim.kdump" >"$D/k1-slim.absent"
	ok $? "k1-slim.kdump written: $(stat -c %s "$D/k1-slim.kdump") bytes, the first kernel's VMCOREINFO, $(cut -d' ' -f2 "$D/k1-slim.absent") RAM pages left out"
	"$MKKDUMP" --vmcoreinfo "$D/k1.vmcoreinfo" --ram-extra "0+${ramsz:-0}" --drop "$root_pa" \
		"$D/k1-slim.elf" "$D/k1-notracker.kdump" >/dev/null
	expect_exit 0 "ranges --folios --mem k1-slim.kdump" ranges --folios --mem "$D/k1-slim.kdump" --json
	is "$(folio_pairs "$TMP/out")" "$(folio_pairs "$D/folios.json")" "k1-slim.kdump: the folios of the full dump"
	# k2: boot_params (the signature's page), setup_data, incoming root,
	# its scratch array, its sub-blobs and the (freed) tracker root page
	if [ -n "$g_fdt" ]; then
		k2args="$g_fdt $g_fsz $g_scr $g_ssz"
		for l in $("$VMDUMP" boot-params "$D/k2.elf" | awk '$1 == "sd" || ($1 == "bp") { print $2 }'); do
			k2args="$k2args $l 600"
		done
		for n in $(fdtget -l "$B/k2-in-fdt.bin" /); do
			k2args="$k2args $(prop64 "$B/k2-in-fdt.bin" "/$n" preserved-data) $(prop64 "$B/k2-in-fdt.bin" "/$n" blob-size)"
		done
		k2args="$k2args $(prop64 "$B/k2-in-fdt.bin" / preserved-memory-map) $PS"
		"$VMDUMP" slim "$D/k2.elf" 0 "$D/k2-slim.elf" $k2args >/dev/null
		ok $? "k2-slim.elf written ($(stat -c %s "$D/k2-slim.elf") bytes)"
		expect_exit 2 "dump --mem k2-slim.elf" dump --mem "$D/k2-slim.elf"
		grep -q "using the KHO root at $g_fdt (the only candidate" "$TMP/err" &&
			grep -q "candidate at $g_fdt (kho-v4): boot_params setup_data type 10" "$TMP/err"
		ok $? "k2-slim.elf: the incoming root, the only candidate, through setup_data"
	fi
	if [ -n "${KHO_VM_DUMP_FIXTURE:-}" ]; then
		X=$KHO_VM_DUMP_FIXTURE
		mkdir -p "$X"
		cp "$D/k1-slim.kdump" "$D/k1-notracker.kdump" "$X/"
		[ -s "$D/k2-slim.elf" ] && cp "$D/k2-slim.elf" "$X/"
		cp "$D/k1-root.fdt" "$X/root.fdt"
		cp "$B/k2-in-fdt.bin" "$X/k2-in-fdt.bin"
		cp "$B/k1-out-sub-memblock.bin" "$X/memblock.fdt"
		# facts: what the guest printed or vmdump read, never khoctl
		{
			echo "# tests/vm/check-dumps.sh, $(date -u +%F): from the guest and vmdump, not khoctl"
			echo "release $kver"
			echo "page_size $PS"
			echo "k1_root $k1pa"
			echo "k1_tracker $(printf 0x%x "$root_pa")"
			[ -n "$g_fdt" ] && echo "k2_setup_data $g_fdt $g_fsz $g_scr $g_ssz"
			echo "ram_pages $(cut -d' ' -f2 "$D/k1-slim.absent")"
			echo "reserve_mem sample $(printf 0x%x "$ms") $mz"
			awk '{ printf "kho_test %s %s\n", $1, $2 }' "$D/kt-folios"
			while read -r pfn; do echo "memfd_0x2b $((pfn * PS)) 0"; done <"$D/pfn1-0x2b"
			while read -r pfn; do echo "memfd_0x1a $((pfn * PS)) 0"; done <"$D/pfn1-0x1a"
		} >"$X/facts.txt"
		diag "dump fixtures written to $X"
	fi
else
	skip "slim dump fixtures (x86, MKKDUMP)"
fi
