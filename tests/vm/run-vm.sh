#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot the test guest under qemu (TCG), dump its memory when the first kernel
# asks for it, let it kexec, and collect the serial console.
#
# usage: run-vm.sh BZIMAGE INITRD OUTDIR
# Writes OUTDIR/serial.log, OUTDIR/monitor.log and OUTDIR/k1.elf (a
# non-paging dump-guest-memory of the first kernel: PT_LOAD p_paddr = guest
# physical address). Exit 0 when the guest printed "=== DONE" and powered
# off; 1 on a guest failure or a timeout (every wait is bounded).
set -u
bz=$1 initrd=$2 D=$3
TIMEOUT=${KHO_VM_TIMEOUT:-300}
QEMU=${QEMU:-qemu-system-x86_64}
ACCEL=${KHO_VM_ACCEL:-tcg} # kvm was seen to hang here: opt-in only
APPEND=${KHO_VM_APPEND:-console=ttyS0 kho=on panic=-1 liveupdate=on reserve_mem=1028K:16K:sample nokaslr}
MACHINE=${KHO_VM_MACHINE:--m 512 -smp 2} # arm64: tests/vm/arm64.env
mkdir -p "$D"
rm -f "$D"/ser.in "$D"/ser.out "$D"/mon.in "$D"/mon.out "$D"/serial.log "$D"/monitor.log "$D"/k1.elf "$D"/k1.kdump "$D"/k2.elf "$D"/k1s.elf
mkfifo "$D/ser.in" "$D/ser.out" "$D/mon.in" "$D/mon.out"
: >"$D/serial.log"
: >"$D/monitor.log"
cat "$D/ser.out" >>"$D/serial.log" &
cat_ser=$!
cat "$D/mon.out" >>"$D/monitor.log" &
cat_mon=$!
exec 7<>"$D/ser.in" 8<>"$D/mon.in"

say() { echo "run-vm: $*" >&2; }
. "$(dirname "$0")/lib-vm.sh"
# KHO_VM_SYSMAP=System.map of the kernel (and gdb): a third dump of the first
# kernel, stopped by qemu's gdbstub at machine_kexec, i.e. after LUO has
# serialized its sessions into the handover (liveupdate_reboot runs before it
# in kernel_kexec). The kernel runs with nokaslr, so System.map's address is
# the one to break at.
GDBSTUB= GDB_ADDR= GDB_PORT=
if [ -n "${KHO_VM_SYSMAP:-}" ]; then
	GDB_ADDR=$(awk '$3 == "machine_kexec" { print $1; exit }' "$KHO_VM_SYSMAP")
	GDB=${KHO_VM_GDB:-gdb}
	if [ -n "$GDB_ADDR" ] && command -v "$GDB" >/dev/null; then
		GDB_PORT=$((20000 + $$ % 20000))
		GDBSTUB="-gdb tcp:127.0.0.1:$GDB_PORT"
	else
		say "no machine_kexec in $KHO_VM_SYSMAP or no $GDB: no dump after serialization"
		GDB_ADDR=
	fi
fi
rm -f "$D/k1s.elf" "$D/k1s.kdump" "$D/gdb.log" "$D/gdb.armed" "$D/gdb.hit" "$D/gdb.go"
start=$(date +%s)
timeout -k 5 "$TIMEOUT" "$QEMU" -accel "$ACCEL" $MACHINE -display none -nodefaults -no-reboot \
	-chardev pipe,id=ser0,path="$D/ser" -serial chardev:ser0 \
	-chardev pipe,id=mon0,path="$D/mon" -mon chardev=mon0,mode=readline \
	-device vmcoreinfo $GDBSTUB \
	-kernel "$bz" -initrd "$initrd" -append "$APPEND" \
	</dev/null >"$D/qemu.out" 2>&1 &
qpid=$!

cleanup() {
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	kill "$cat_ser" "$cat_mon" 2>/dev/null
	exec 7>&- 8>&-
	rm -f "$D"/ser.in "$D"/ser.out "$D"/mon.in "$D"/mon.out
}

# wait_for REGEX: until the serial log matches, the guest fails or qemu ends.
wait_for() {
	while :; do
		grep -q -E "$1" "$D/serial.log" && return 0
		if grep -q -E '^=== FAIL|Kernel panic' "$D/serial.log"; then
			say "guest failed while waiting for '$1'"
			return 1
		fi
		if ! kill -0 "$qpid" 2>/dev/null; then
			say "qemu ended while waiting for '$1'"
			return 1
		fi
		if [ $(($(date +%s) - start)) -ge "$TIMEOUT" ]; then
			say "timeout (${TIMEOUT}s) waiting for '$1'"
			return 1
		fi
		sleep 0.2
	done
}

status=0
if wait_for '^=== WAIT dump1'; then
	say "first kernel ready after $(($(date +%s) - start)) s: dumping guest memory"
	mon_dump "$D/k1.elf" || status=1
	# issue 18: the same state kdump-compressed (zlib, VMCOREINFO from -device vmcoreinfo)
	mon_dump -z "$D/k1.kdump" || status=1
	gdb_pid=
	if [ -n "$GDB_ADDR" ]; then
		# break at machine_kexec; gdb holds the VM there until gdb.go exists
		# (gdb.hit only when the breakpoint stopped it, not when qemu ended)
		cat >"$D/gdb.cmd" <<-EOF
		set pagination off
		set confirm off
		target remote 127.0.0.1:$GDB_PORT
		hbreak *0x$GDB_ADDR
		shell touch '$D/gdb.armed'
		continue
		if \$_isvoid(\$_exitcode)
		  shell touch '$D/gdb.hit'; n=0; while [ ! -e '$D/gdb.go' ] && [ \$n -lt 3000 ]; do sleep 0.2; n=\$((n+1)); done
		  delete
		  detach
		end
		EOF
		"$GDB" -q -nx -batch -x "$D/gdb.cmd" </dev/null >"$D/gdb.log" 2>&1 &
		gdb_pid=$!
		n=0
		until [ -e "$D/gdb.armed" ]; do
			n=$((n + 1))
			[ $n -gt 300 ] && { say "gdb did not attach: $(tail -n 3 "$D/gdb.log")"; break; }
			kill -0 $gdb_pid 2>/dev/null || { say "gdb ended: $(tail -n 3 "$D/gdb.log")"; break; }
			sleep 0.2
		done
	fi
	echo go >&7
	if [ -n "$gdb_pid" ]; then
		n=0
		until [ -e "$D/gdb.hit" ]; do
			n=$((n + 1))
			if [ $n -gt $((${KHO_VM_DUMP_WAIT:-120} * 5)) ] || ! kill -0 $gdb_pid 2>/dev/null; then
				say "machine_kexec was not reached under gdb: $(tail -n 3 "$D/gdb.log")"
				break
			fi
			sleep 0.2
		done
		if [ -e "$D/gdb.hit" ]; then
			say "stopped at machine_kexec after $(($(date +%s) - start)) s: dumping the serialized state"
			mon_dump "$D/k1s.elf" || status=1
			# the same moment kdump-compressed (issue 18: a kdump of the
			# first kernel after LUO has serialized)
			mon_dump -z "$D/k1s.kdump" || status=1
		fi
		touch "$D/gdb.go"
		wait $gdb_pid 2>/dev/null
	fi
	# issue 18: an ELF dump of the second kernel (its boot_params name the incoming root)
	if [ $status = 0 ] && wait_for '^=== WAIT dump2'; then
		mon_dump "$D/k2.elf" || status=1
		echo go >&7
	else
		status=1
	fi
	if [ $status = 0 ] && wait_for '^=== DONE'; then
		say "second kernel done after $(($(date +%s) - start)) s"
	else
		status=1
	fi
else
	status=1
fi
# the guest powers off by itself; bounded wait
vm_wait_gone 50
cleanup
say "total $(($(date +%s) - start)) s"
exit $status
