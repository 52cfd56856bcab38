#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl verify on --live, --incoming and --capture inputs: the RAM map and
# the scratch areas come from the system (/proc/iomem, debugfs
# scratch_phys/scratch_len) unless options say otherwise; the same state
# verifies the same way from the files and from the system.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/sysroot.sh"

# 1. --live on the first kernel (truncated debugfs fdt, recovered): clean,
#    with RAM and scratch taken from the system
expect_exit 0 "verify --live (k1)" verify --json --live --sysroot "$k1"
is "$(jq -r '.inputs.ram_map' "$TMP/out")" "System RAM of the input (/proc/iomem)" "RAM map from /proc/iomem"
is "$(jq -r '.inputs.scratch' "$TMP/out")" "scratch areas of the input (debugfs kho/out)" "scratch from debugfs"
is "$(jq '.summary.errors' "$TMP/out")" 0 "no errors"
# the scratch and RAM rules really ran: no "skipped for lack of input" info
is "$(jq '[.findings[] | select(.message | test("no RAM map|no scratch"; "i"))] | length' "$TMP/out")" 0 \
	"no rule skipped for lack of a RAM map or scratch areas"

# 2. the same verdict as the file input with the same RAM and scratch
#    given by hand (values from serial.log, independent of the live path)
expect_exit 0 "verify --fdt/--mem with --ram/--scratch" verify --json \
	--fdt "$F/root.fdt" --mem "$F/slim-kexec.elf" \
	--ram 0x1000-0x9fbff --ram 0x100000-0x1ffdffff \
	--scratch 0x1c000000+0x3000000 --scratch 0x1fc00000+0 --scratch 0xec00000+0x9000000
jq -c '[.findings[] | .rule] | sort' "$TMP/out" >"$TMP/files.rules"
"$KHOCTL" verify --json --live --sysroot "$k1" | jq -c '[.findings[] | .rule] | sort' >"$TMP/live.rules"
cmp -s "$TMP/files.rules" "$TMP/live.rules"; ok $? "same rules fire from files and from --live"

# 3. an option still wins over the system: a scratch area over preserved
#    memory (memfd 0x2b, PFN 0x14c7 in serial.log) is reported
expect_exit 1 "verify --live --scratch over memfd 0x2b" verify --json --live --sysroot "$k1" \
	--scratch 0x14c7000+0x1000
is "$(jq -r '.inputs.scratch' "$TMP/out")" "--scratch options" "--scratch overrides debugfs"
is "$(jq '[.findings[] | select(.severity == "error" and .address == 21786624)] | length > 0' "$TMP/out")" \
	true "an error at 0x14c7000"

# 4. a capture bundle carries RAM and scratch: verify --capture = --live
expect_exit 0 "capture --live" capture --live --sysroot "$k1" "$TMP/cap"
expect_exit 0 "verify --capture" verify --json --capture "$TMP/cap"
jq -c '[.findings[] | .rule] | sort' "$TMP/out" >"$TMP/cap.rules"
cmp -s "$TMP/cap.rules" "$TMP/live.rules"; ok $? "same rules fire from the capture"

# 5. --incoming on the second kernel: its tracker pages were reused by the
#    second kernel (fixture README): the tracker was consumed, which is the
#    state after a kexec, not corruption: result "partial", exit 0, said so
"$KHOCTL" verify --json --incoming --sysroot "$k2" >"$TMP/out" 2>"$TMP/err"
rc=$?
is "$rc" 0 "verify --incoming (k2): exit 0 (tracker consumed, no finding)"
is "$(jq -c '[.inputs.tracker, .summary.result]' "$TMP/out")" '["consumed","partial"]' \
	"verify --incoming (k2): tracker consumed, result partial"
grep -qiE 'sanitizer|segmentation|core dumped' "$TMP/err"; ok $((1 - $?)) "no crash"

done_testing
