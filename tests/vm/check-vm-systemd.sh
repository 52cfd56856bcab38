#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-vm-systemd (issue 22): Debian sid's systemd on our KHO kernel
# under qemu TCG. A service keeps a memfd with known bytes in its fd store
# (FileDescriptorStorePreserve=yes); kexec-kho-load.service loads the kernel
# through our checked kexec; `systemctl kexec`; systemd-shutdown hands the fd
# store to the next boot in the LUO session "systemd". Prints TAP.
#
# Oracles, never khoctl's own output: the payload's size and sha256 computed
# here; what systemd itself says (systemd-analyze fdstore, its journal and
# console); the mapping memfd read from the memory dump by host/vmdump and
# parsed by jq; the memfd's bytes read by vmdump and compared with the
# payload.
#
# Environment: KHOCTL (host khoctl), VM_BIN (static khoctl, kexec,
# fdstore-memfd), VMDUMP (host reader), VM_OUT (work dir), KERNEL.
. "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
KERNEL=${KERNEL:-7.2}
: "${VM_BIN:?}" "${VMDUMP:?}" "${VM_OUT:?}"
D=$VM_OUT
mkdir -p "$D"
for t in "${QEMU:=qemu-system-x86_64}" mke2fs jq sha256sum; do
	command -v "$t" >/dev/null 2>&1 || bail_out "$t is required (Debian: qemu-system-x86, e2fsprogs, jq)"
done
[ -x "$VM_BIN/kexec" ] || bail_out "no $VM_BIN/kexec: run 'make kexec-static' first (configure --enable-kexec)"
t0=$(date +%s)
S=$D/serial.txt
UNIT=kho-fdstore-test.service FDNAME=khotest

# ---- kernel (kho-lean.config + kho-systemd.config), rootfs, run
cat "$HERE/kho-lean.config" "$HERE/kho-systemd.config" >"$D/kho-systemd-full.config"
t=$(date +%s)
bz=$(KHO_VM_FRAGMENT=$D/kho-systemd-full.config "$HERE/build-kernel.sh" "$KERNEL" 2>"$D/build-kernel.log")
ok $? "kernel $KERNEL with kho-systemd.config built or taken from the cache" ||
	{ tail -n 40 "$D/build-kernel.log" | comment; bail_out "no kernel"; }
diag "bzImage: $bz ($(cat "$(dirname "$bz")/version")), $(( $(date +%s) - t )) s"
head -c 45679 /dev/urandom >"$D/payload.bin"	# an odd size: not a page multiple
psize=$(stat -c %s "$D/payload.bin")
psha=$(sha256sum <"$D/payload.bin" | cut -d' ' -f1)
t=$(date +%s)
"$HERE/mkrootfs-systemd.sh" "$D/disk.img" "$bz" "$VM_BIN" "$D/payload.bin" 2>"$D/mkrootfs.log"
ok $? "sid rootfs with systemd and the test built (mmdebstrap tarball cached)" ||
	{ comment <"$D/mkrootfs.log"; bail_out "no rootfs"; }
comment <"$D/mkrootfs.log"
sdver=$(cat "$D/disk.img.systemd-version")
diag "rootfs: $(( $(date +%s) - t )) s"
t=$(date +%s)
"$HERE/run-vm-systemd.sh" "$bz" "$D/disk.img" "$D" 2>"$D/run-vm.log"
rc=$?
comment <"$D/run-vm.log"
diag "VM run: $(( $(date +%s) - t )) s"
ok $rc "boot, systemctl kexec, second boot, power off (qemu TCG)" || {
	diag "serial console (last 120 lines):"
	tr -d '\r' <"$S" | grep -a -v '^\s*$' | tail -n 120 | comment
}
tr -d '\r' <"$S" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' >"$D/console.txt"
C=$D/console.txt
# the console split at the kexec: the first boot, the second boot
awk '/kexec_core: Starting new kernel/ { exit } { print }' "$C" >"$D/boot1.txt"
awk 'f { print } /kexec_core: Starting new kernel/ { f = 1 }' "$C" >"$D/boot2.txt"
B1=$D/boot1.txt B2=$D/boot2.txt
k() { sed -n "s/^.*KHOTEST $1: //p" "$2"; }	# the guest's KHOTEST lines with a tag

# ---- systemd
case $sdver in 262.* | 26[3-9].* | 2[7-9][0-9].*) r=0 ;; *) r=1 ;; esac
ok $r "systemd in the rootfs is 262 or later (FileDescriptorStorePreserve= across LUO): $sdver"
grep -q "KHOTEST boot 1: systemd 26[2-9]" "$B1"
ok $? "PID 1 of the first boot is that systemd ($(k 'boot 1' "$B1" | sed -n 's/^systemd //p' | head -n 1))"
is "$(k 'boot 1' "$B1" | sed -n "s/^$UNIT FileDescriptorStorePreserve=//p")" yes \
	"$UNIT has FileDescriptorStorePreserve=yes"

# ---- boot 1: the service stored the memfd
is "$(sed -n 's/.*KHOTEST service: storing memfd khotest: \(.*\)$/\1/p' "$B1")" \
	"size $psize sha256 $psha" "boot 1: the service put a memfd with the payload in its fd store"
grep -E -q "^$FDNAME +reg .*/memfd:$FDNAME " <<<"$(k fdstore1 "$B1")"
ok $? "boot 1: systemd-analyze fdstore lists fd '$FDNAME' of $UNIT as the memfd" || k fdstore1 "$B1" | comment
is "$(k 'boot 1' "$B1" | sed -n 's/^khoctl verify --live exit //p')" 0 \
	"boot 1: khoctl verify --live (static, in the guest): clean"

# ---- the systemctl kexec path
k systemctl0 "$B1" | grep -q 'No kexec kernel loaded and autodetection failed'
r=$?
is "$(k 'boot 1' "$B1" | sed -n 's/^systemctl kexec (nothing loaded) exit \([0-9]*\) kexec_loaded \([0-9]*\)$/\1 \2/p')" "1 0" \
	"systemctl kexec with nothing loaded (BIOS boot): refused, nothing loaded, kexec.target not started"
ok $r "  ... saying 'No kexec kernel loaded and autodetection failed'"
is "$(k 'boot 1' "$B1" | sed -n 's/^systemctl start kexec-kho-load.service exit \([0-9]*\) kexec_loaded \([0-9]*\)$/\1 \2/p')" "0 1" \
	"systemctl start kexec-kho-load.service: exit 0, an image is loaded"
grep -q 'kexec-kho-load: loaded and stamped' <<<"$(k loadlog "$B1")"
ok $? "kexec-kho-load loaded /boot/vmlinuz through khoctl kexec and stamped it"
grep -q 'khoctl kexec: KHO handover check: 0 error(s), 0 warning(s)' <<<"$(k loadlog "$B1")"
ok $? "  ... our patched kexec checked the handover: 0 errors, 0 warnings"
boot1=$(k stamp "$B1" | sed -n 's/^boot_id=//p')
is "$(k stamp "$B1" | grep -E '^(checked|file_load|kho_active)=' | tr '\n' ' ')" \
	"file_load=1 kho_active=1 checked=1 " "the load stamp: kexec_file_load, KHO active, checked"
grep -q 'Reached target kexec.target' "$B1"
ok $? "systemctl kexec then reached kexec.target"
grep -E -q 'Stopped kho-fdstore-test.service' "$B1"
ok $? "  ... and stopped $UNIT (its fd store stays: FileDescriptorStorePreserve=yes)"

# ---- the system-shutdown hook's record (console, from /dev/kmsg)
grep -q "kexec-kho: final check before kexec, boot $boot1\$" "$B1"
ok $? "shutdown hook: its record of boot $boot1 is on the console before the kexec"
grep -q 'kexec-kho: verify exit 0 (clean)' "$B1"
ok $? "  ... final khoctl verify --live: exit 0 (clean)"
grep -q 'kexec-kho: subnode LUO' "$B1"
ok $? "  ... it lists the LUO subnode"
h=$(grep -n 'kexec-kho: final check' "$B1" | head -n 1 | cut -d: -f1)
p=$(grep -n "Preserved fd stores in LUO session 'systemd' for kexec" "$B1" | head -n 1 | cut -d: -f1)
[ -n "$h" ] && [ -n "$p" ] && [ "$h" -lt "$p" ]
ok $? "systemd-shutdown preserved the fd stores in LUO session 'systemd', after the hooks ran"

# ---- at the kexec: the state handed to the second kernel, from the memory dump
if [ -s "$D/kexec.elf" ]; then
	kho "$D/kd.json" "$D/kd.err" dump --mem "$D/kexec.elf" --json --data
	comment <"$D/kd.err"
	is "$rc" 0 "khoctl dump --mem kexec.elf (dumped at 'Starting new kernel'): exit 0"
	grep -q 'boot_params setup_data type 10 (the root this kernel received)' "$D/kd.err"
	ok $? "  ... the root found through the second kernel's boot_params (the incoming root)"
	fs=$(jq -c '[.subnodes[] | select(.name == "LUO") | .sessions[]? | select(.name == "systemd") | .fd_store][0]' "$D/kd.json")
	is "$(jq -r '.parsed' <<<"$fs")" true "session 'systemd': the mapping (token 0) parsed"
	is "$(jq -r '[.units[] | .unit as $u | .fds[] | "\($u) \(.name) \(.type) \(.token) \(.compatible) \(.size) \(.preserved) \(.restorable)"] | join(",")' <<<"$fs")" \
		"$UNIT $FDNAME fd 0x1 memfd-v2 $psize true true" \
		"khoctl names unit $UNIT, fd $FDNAME, token 1, memfd of $psize bytes, preserved, restorable"
	is "$(jq -r '.unnamed | length' <<<"$fs")" 0 "  ... no preserved token the mapping does not name"
	# oracle 1: the mapping's bytes, read by vmdump at token 0's folio, parsed by jq
	m=$(jq -c '[.subnodes[] | select(.name == "LUO") | .sessions[] | select(.name == "systemd") | .files[] | select(.token == "0x0")][0].memfd' "$D/kd.json")
	"$VMDUMP" read "$D/kexec.elf" "$(jq -r '.folios[0].phys' <<<"$m")" "$(jq -r '.size' <<<"$m")" "$D/mapping.json" 2>"$D/vmdump.err"
	is "$(jq -r '[.units | to_entries[] | .key as $u | .value.fdstore[] | "\($u) \(.name) \(.type) \(.token)"] | join(",")' "$D/mapping.json" 2>&1)" \
		"$UNIT $FDNAME fd 1" "  ... = the mapping memfd as jq reads it from the dump (vmdump)"
	diag "mapping: $(head -c 600 "$D/mapping.json")"
	# oracle 2: the memfd's pages in the dump hold the payload
	f=$(jq -c '[.subnodes[] | select(.name == "LUO") | .sessions[] | select(.name == "systemd") | .files[] | select(.token == "0x1")][0].memfd' "$D/kd.json")
	: >"$D/memfd.bin"
	for pa in $(jq -r '.folios | sort_by(.index) | .[].phys' <<<"$f"); do
		"$VMDUMP" read "$D/kexec.elf" "$pa" 4096 "$D/page.bin" 2>>"$D/vmdump.err" && cat "$D/page.bin" >>"$D/memfd.bin"
	done
	head -c "$psize" "$D/memfd.bin" | cmp -s - "$D/payload.bin"
	ok $? "  ... its $(jq -r '.nr_folios' <<<"$f") pages in the dump hold the payload's $psize bytes"
	kho "$D/kv.txt" "$D/kv.err" verify --mem "$D/kexec.elf"
	is "$rc" 0 "khoctl verify --mem kexec.elf: exit 0" || head -n 40 "$D/kv.txt" | comment
	! grep -E -q 'KHO-[EW]22[0-9]' "$D/kv.txt"
	ok $? "  ... no systemd FD-store finding (KHO-E220..W226)"
	rm -f "$D/kexec.elf" "$D/page.bin"
else
	ok 1 "memory dumped at the kexec"
fi

# ---- boot 2
grep -q "luo: Retrieved live update data" "$B2"
ok $? "second kernel: LUO retrieved the live update data"
is "$(sed -n 's/.*KHOTEST service: got fd khotest back: size \([0-9]*\) sha256 \([0-9a-f]*\) .*/\1 \2/p' "$B2")" \
	"$psize $psha" "boot 2: $UNIT got fd $FDNAME back with the same $psize bytes (sha256)"
grep -E -q "^$FDNAME +reg " <<<"$(k fdstore2 "$B2")"
ok $? "boot 2: systemd-analyze fdstore lists fd '$FDNAME' of $UNIT again"
is "$(k preinit "$B2" | sed -n 's/^khoctl verify --incoming exit //p')" 0 \
	"boot 2, before systemd (init=preinit): khoctl verify --incoming exits 0"
# LUO's blob of the incoming root is consumed by the kernel during boot
# (luo: Retrieved ... at well under a second): khoctl must say so, not guess
k dump0 "$B2" | grep -q -E '^ +consumed: +yes'
ok $? "boot 2, before systemd: khoctl dump --incoming says the LUO blob was consumed by the kernel"
is "$(k 'boot 2' "$B2" | sed -n 's/^khoctl dump --incoming exit //p')" 0 "boot 2: khoctl dump --incoming exits 0"
grep -q 'KHOTEST boot 2: done' "$B2" && grep -q 'reboot: Power down' "$B2"
ok $? "boot 2 finished and powered off"
diag "systemd $sdver; total $(( $(date +%s) - t0 )) s"
done_testing
