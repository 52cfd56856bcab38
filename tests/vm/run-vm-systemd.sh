#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot the check-vm-systemd guest (systemd on a virtio-blk ext4 disk) under
# qemu TCG, let it `systemctl kexec` into the same kernel, and dump the guest
# memory at the moment of the kexec: when the console says "kexec_core:
# Starting new kernel" the VM is stopped and dumped (dump-guest-memory,
# non-paging ELF), then continued. The second kernel's LUO consumes its
# handover blob within its first second, before any userspace, so this dump
# is where the LUO session "systemd" can be decoded from outside.
#
# usage: run-vm-systemd.sh BZIMAGE DISK OUTDIR
# Writes OUTDIR/serial.txt, OUTDIR/monitor.log, OUTDIR/kexec.elf. Exit 0 when
# the second boot printed "KHOTEST boot 2: done" and the guest powered off;
# 1 otherwise (every wait is bounded: KHO_VM_TIMEOUT, default 600 s).
set -u
bz=$1 disk=$2 D=$3
TIMEOUT=${KHO_VM_TIMEOUT:-600}
QEMU=${QEMU:-qemu-system-x86_64}
APPEND="console=ttyS0 kho=on liveupdate=on panic=-1 root=/dev/vda rw rootfstype=ext4"
APPEND="$APPEND init=/usr/local/lib/khotest/preinit printk.devkmsg=on systemd.firstboot=off systemd.getty_auto=0"
mkdir -p "$D"
rm -f "$D"/mon.in "$D"/mon.out "$D"/serial.txt "$D"/monitor.log "$D"/kexec.elf
mkfifo "$D/mon.in" "$D/mon.out"
: >"$D/serial.txt"
: >"$D/monitor.log"
cat "$D/mon.out" >>"$D/monitor.log" &
cat_mon=$!
exec 8<>"$D/mon.in"
say() { echo "run-vm-systemd: $*" >&2; }
. "$(dirname "$0")/lib-vm.sh"
start=$(date +%s)
timeout -k 5 "$TIMEOUT" "$QEMU" -accel tcg -m 768 -smp 2 -display none -nodefaults -no-reboot \
	-chardev file,id=ser0,path="$D/serial.txt" -serial chardev:ser0 \
	-chardev pipe,id=mon0,path="$D/mon" -mon chardev=mon0,mode=readline \
	-drive file="$disk",format=raw,if=virtio \
	-kernel "$bz" -append "$APPEND" </dev/null >"$D/qemu.out" 2>&1 &
qpid=$!

# wait_for REGEX: until the console matches, the guest panics or qemu ends
wait_for() {
	while :; do
		grep -a -q -E "$1" "$D/serial.txt" && return 0
		grep -a -q 'Kernel panic' "$D/serial.txt" && { say "kernel panic while waiting for '$1'"; return 1; }
		kill -0 "$qpid" 2>/dev/null || { say "qemu ended while waiting for '$1'"; return 1; }
		[ $(($(date +%s) - start)) -ge "$TIMEOUT" ] && { say "timeout (${TIMEOUT}s) waiting for '$1'"; return 1; }
		sleep 0.05
	done
}
status=0
if wait_for 'kexec_core: Starting new kernel'; then
	echo stop >&8
	say "kexec after $(($(date +%s) - start)) s: VM stopped, dumping guest memory"
	mon_dump "$D/kexec.elf" || status=1
	echo cont >&8
	wait_for 'KHOTEST boot 2: done' || status=1
else
	status=1
fi
# the guest powers off by itself (-no-reboot); bounded wait
vm_wait_gone 300 || { say "guest did not power off"; status=1; }
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
kill "$cat_mon" 2>/dev/null
exec 8>&-
rm -f "$D"/mon.in "$D"/mon.out
say "total $(($(date +%s) - start)) s"
exit $status
