# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by tests/vm/check-vm.sh and tests/cli/vm-fixture.sh (after
# tests/cli/lib.sh): readers that do not use libkhofmt; and by the qemu
# runners (run-vm.sh, run-vm-systemd.sh) for the monitor helpers below.

# The qemu helpers expect: $D (the run directory, with monitor.log written by
# the HMP monitor), fd 8 open on the monitor's input, $qpid (qemu) and say().

# mon_dump ARGS...: dump-guest-memory ARGS, bounded wait for it to finish
# (HMP runs commands in order: the next "info status" answers after it).
mon_dump() {
	local n=0 before
	before=$(grep -c 'VM status' "$D/monitor.log")
	echo "dump-guest-memory $*" >&8
	echo "info status" >&8
	until [ "$(grep -c 'VM status' "$D/monitor.log")" -gt "$before" ]; do
		n=$((n + 1))
		[ $n -gt $((${KHO_VM_DUMP_WAIT:-120} * 5)) ] && { say "monitor: dump $* did not finish"; return 1; }
		sleep 0.2
	done
}

# vm_wait_gone TENTHS: wait up to TENTHS/5 s for qemu to end by itself
# (the guests power off with -no-reboot); 1 if it is still running.
vm_wait_gone() {
	local n=0
	while kill -0 "$qpid" 2>/dev/null && [ $n -lt "$1" ]; do
		sleep 0.2
		n=$((n + 1))
	done
	! kill -0 "$qpid" 2>/dev/null
}

le64() { # FILE OFFSET -> u64 little-endian, decimal
	od -An -v -t u8 --endian=little -j "$2" -N 8 "$1" | tr -d ' '
}
prople() { # BYTES FDT NODE PROP -> the first BYTES bytes as a little-endian
	# number (KHO properties are native-endian, doc/ABI.md 3.3), decimal
	local n=$1 b v=0 i=0
	for b in $(fdtget -t bx "$2" "$3" "$4"); do
		[ $i -lt "$n" ] && v=$((v | (0x$b << (8 * i))))
		i=$((i + 1))
	done
	echo $v
}
prop64() { prople 8 "$@"; }

# CORE PA -> file offset of guest physical address PA in an ELF core whose
# PT_LOAD p_paddr are physical addresses (readelf), or nothing
core_offset() {
	"${READELF:-readelf}" -lW "$1" | awk -v pa="$2" '
		function hex(s,   i, v) {
			v = 0; s = tolower(s); sub(/^0x/, "", s)
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		$1 == "LOAD" {
			off = hex($2); p = hex($4); n = hex($5)
			if (pa >= p && pa < p + n) { printf "%d\n", off + pa - p; exit }
		}'
}

# kho_test_folios CORE BLOB OUT: the kho_test folio list read from an ELF core
# without libkhofmt (lib/test_kho.c: blob /data nr_folios and folios_info ->
# kho_vmalloc -> chunk page -> data page of "phys | order" u64 entries).
# Writes "PHYS ORDER" lines to OUT; sets kt_nr (entries), kt_pages (pages in
# all) and kt_ok (0 when the list pages were in the core).
kho_test_folios() {
	local core=$1 kt=$2 out=$3 first coff data doff i e o
	kt_nr=$(prople 4 "$kt" /data nr_folios)
	first=$(prop64 "$kt" /data folios_info)
	coff=$(core_offset "$core" "$first")
	data=$(le64 "$core" $((coff + 8)))
	doff=$(core_offset "$core" "$data")
	kt_ok=1
	[ -n "$coff" ] && [ -n "$doff" ] && [ "$kt_nr" -ge 1 ] && [ "$kt_nr" -le 511 ] && kt_ok=0
	kt_pages=0
	: >"$out"
	i=0
	while [ "$kt_ok" = 0 ] && [ "$i" -lt "$kt_nr" ]; do
		e=$(le64 "$core" $((doff + i * 8)))
		o=$((e & 0xfff))
		kt_pages=$((kt_pages + (1 << o)))
		echo "$((e & ~0xfff)) $o" >>"$out"
		i=$((i + 1))
	done
}
