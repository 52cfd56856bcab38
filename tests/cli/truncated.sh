#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl on truncated files exits 2 (could not read), with a message and no
# crash: every prefix of both root FDTs, and prefixes of the ELF cores
# (headers byte by byte at a stride, the data page by page at a stride).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

F=$FIXTURES

# sweep_fdt FDT MEM: every proper prefix of FDT, `dump` alone and `stat`
sweep_fdt() {
	local fdt=$1 mem=$2 n len bad=0 badstat=0
	len=$(wc -c <"$F/$fdt")
	n=0
	while [ "$n" -lt "$len" ]; do
		head -c "$n" "$F/$fdt" >"$TMP/cut.fdt"
		"$KHOCTL" dump --fdt "$TMP/cut.fdt" >"$TMP/out" 2>"$TMP/err"
		rc=$?
		if [ "$rc" -ne 2 ] || [ ! -s "$TMP/err" ] || crashy "$TMP/err"; then
			[ "$bad" -lt 3 ] && diag "$fdt cut to $n bytes: dump exit $rc" && head -n 3 "$TMP/err" | comment
			bad=$((bad + 1))
		fi
		# with the memory source too, every 16th prefix (and the last)
		if [ $((n % 16)) -eq 0 ] || [ "$n" -eq $((len - 1)) ]; then
			"$KHOCTL" stat --json --fdt "$TMP/cut.fdt" --mem "$F/$mem" >"$TMP/out" 2>"$TMP/err"
			rc=$?
			if [ "$rc" -ne 2 ] || crashy "$TMP/err"; then
				[ "$badstat" -lt 3 ] && diag "$fdt cut to $n bytes: stat exit $rc"
				badstat=$((badstat + 1))
			fi
		fi
		n=$((n + 1))
	done
	is "$bad" 0 "$fdt: dump exits 2 with a message on all $len proper prefixes"
	is "$badstat" 0 "$fdt: stat --mem $mem exits 2 on the sampled prefixes"
}
sweep_fdt root.fdt slim-kexec.elf
sweep_fdt root-k2.fdt slim-post.elf

# sweep_elf ELF FDT: prefixes of the core, with its FDT
sweep_elf() {
	local elf=$1 fdt=$2 len n bad=0 cnt=0
	len=$(wc -c <"$F/$elf")
	for n in 0 1 4 16 63 64 65 120 $(seq 200 397 8000) $(seq 12288 131072 "$len") $((len - 4096)) $((len - 1)); do
		[ "$n" -lt "$len" ] || continue
		head -c "$n" "$F/$elf" >"$TMP/cut.elf"
		"$KHOCTL" stat --fdt "$F/$fdt" --mem "$TMP/cut.elf" >"$TMP/out" 2>"$TMP/err"
		rc=$?
		cnt=$((cnt + 1))
		if [ "$rc" -ne 2 ] || [ ! -s "$TMP/err" ] || crashy "$TMP/err"; then
			[ "$bad" -lt 3 ] && diag "$elf cut to $n bytes: stat exit $rc" && head -n 3 "$TMP/err" | comment
			bad=$((bad + 1))
		fi
	done
	is "$bad" 0 "$elf: stat exits 2 with a message on $cnt prefixes"
}
sweep_elf slim-kexec.elf root.fdt
sweep_elf slim-post.elf root-k2.fdt

done_testing
