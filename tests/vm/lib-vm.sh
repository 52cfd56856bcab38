# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by tests/vm/check-vm.sh and tests/cli/vm-fixture.sh (after
# tests/cli/lib.sh): readers that do not use libkhofmt.

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
