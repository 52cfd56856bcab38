#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl verify / rules on the real Linux 7.2.13 capture and on synthetic
# states. Inputs come from the fixture's serial.log (the /proc/iomem and
# debugfs scratch_phys/scratch_len the first kernel printed) and README.md
# (the truncated debugfs copy of the root FDT); expected addresses come
# from serial.log's memfd PFNs, not from khoctl.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

F=$FIXTURES
IN="--fdt $F/root.fdt --mem $F/slim-kexec.elf"

# The first kernel's /proc/iomem (the first block of "START-END : name"
# lines) and its debugfs scratch files (the 6 lines after "=== scratch":
# 3 addresses, then 3 lengths).
awk '/^[0-9a-f]+-[0-9a-f]+ : / { on = 1 } on && !/^ *[0-9a-f]+-[0-9a-f]+ : / { exit }
	on { print }' "$F/serial.log" >"$TMP/iomem"
awk '/^=== scratch/ { n = 1; next } n >= 1 && n <= 6 { print; n++ } n > 6 { exit }' \
	"$F/serial.log" >"$TMP/scratch"
head -n 3 "$TMP/scratch" >"$TMP/scratch_phys"
tail -n 3 "$TMP/scratch" >"$TMP/scratch_len"
is "$(grep -c 'System RAM' "$TMP/iomem")" 2 "serial.log: two System RAM lines"
is "$(tr '\n' ' ' <"$TMP/scratch")" "0x1c000000 0x1fc00000 0xec00000 0x3000000 0x0 0x9000000 " \
	"serial.log: scratch_phys and scratch_len"
CTX="--iomem $TMP/iomem --scratch-phys $TMP/scratch_phys --scratch-len $TMP/scratch_len"

# findings RULE: "address size" of each finding of RULE in $TMP/out (JSON)
findings() {
	jq -r --arg r "$1" '.findings[] | select(.rule == $r) | "\(.address) \(.size)"' "$TMP/out"
}
# errors_other RULE: error rules other than RULE
errors_other() {
	jq -r --arg r "$1" '[.findings[] | select(.severity == "error" and .rule != $r) | .rule] | unique | join(",")' "$TMP/out"
}
# contains ADDR: some finding range (address size) on stdin holds ADDR
contains() {
	awk -v a="$(($1))" '$1 <= a && a < $1 + $2 { f = 1 } END { exit !f }'
}

# ---- the real capture, as it was: clean
expect_exit 0 "verify real capture (iomem + debugfs scratch)" verify $IN $CTX --json
cp "$TMP/out" "$TMP/clean.json"
is "$(jq -r '.schema + " " + (.version | tostring)' "$TMP/out")" "khoctl-verify 1" \
	"schema khoctl-verify version 1"
is "$(jq '.summary.errors' "$TMP/out")" 0 "real capture: no errors"
is "$(jq -r '.summary.result' "$TMP/out")" clean "real capture: result clean"
is "$(jq '.summary.errors + .summary.warnings + .summary.infos == (.findings | length)' "$TMP/out")" \
	true "summary counts match the findings"
# the zero-length global scratch area (0x1fc00000 + 0) is reported as info
is "$(findings KHO-I083)" "$((0x1fc00000)) 0" "zero-length scratch area: KHO-I083 at 0x1fc00000"
ok "$(jq -e '.inputs.ram_map | test("iomem")' "$TMP/out" >/dev/null; echo $?)" \
	"the RAM map's origin is named (--iomem)"
ok "$(jq -e '[.findings[].rule] | index("KHO-I046")' "$TMP/out" >/dev/null; echo $?)" \
	"KHO-I046 says which RAM map was used"
expect_exit 0 "verify real capture (text)" verify $IN $CTX
ok "$(grep -q '^summary:' "$TMP/out"; echo $?)" "text: summary block"

# --strict: warnings count as errors, skipped rules fail (exit 1 iff any)
W=$(jq '.summary.warnings' "$TMP/clean.json")
SK=$(jq '.summary.skipped' "$TMP/clean.json")
is "$(jq -r '[.skipped[] | .rule + " " + .reason] | join(",")' "$TMP/clean.json")" \
	"KHO-W044 root FDT address unknown" "real capture from files: only the root FDT page rule is skipped (no --fdt-pa)"
expect_exit "$([ "$W" -gt 0 ] || [ "$SK" -gt 0 ] && echo 1 || echo 0)" "--strict ($W warnings, $SK skipped)" verify $IN $CTX --strict --json
is "$(jq '.summary.errors' "$TMP/out")" "$W" "--strict: warnings reported as errors"

# without RAM map / scratch: rules skipped with an info finding
expect_exit 0 "verify without RAM map and scratch" verify $IN --json
is "$(jq -r '[.findings[].rule | select(. == "KHO-I045" or . == "KHO-I084")] | join(",")' "$TMP/out")" \
	"KHO-I045,KHO-I084" "skipped rules are announced (I045 RAM, I084 scratch)"
is "$(jq -r '[.skipped[] | select(.reason == "no RAM map") | .rule] | join(",")' "$TMP/out")" \
	"KHO-E013,KHO-E024,KHO-E041,KHO-E081" "skipped: the RAM rules, reason no RAM map"
is "$(jq -r '[.skipped[] | select(.reason == "no scratch areas") | .rule] | join(",")' "$TMP/out")" \
	"KHO-E025,KHO-E042" "skipped: the scratch rules, reason no scratch areas"
is "$(jq -r '.summary.result' "$TMP/out")" clean "without --strict, skipped rules do not fail"
# (the capture's one warning, W043, left out: --strict would count it)
expect_exit 1 "verify --strict without RAM map and scratch" verify $IN --strict --skip KHO-W043 --json
is "$(jq -r '.summary.result + " " + (.summary.errors | tostring)' "$TMP/out")" \
	"incomplete 0" "--strict: skipped rules make the result incomplete (no errors)"
expect_exit 1 "verify --strict without RAM map (text)" verify $IN --strict --skip KHO-W043
ok "$(grep -q 'KHO-E041 .*(no RAM map)' "$TMP/out"; echo $?)" "text: skipped rules listed with the missing input"
ok "$(grep -q 'rules skipped' "$TMP/err"; echo $?)" "text: the error message says rules were skipped"
expect_exit 1 "verify --strict without memory" verify --fdt $F/root.fdt $CTX --strict --json
ok "$(jq -e '[.skipped[] | select(.reason == "no memory source")] | length > 20' "$TMP/out" >/dev/null; echo $?)" \
	"no memory source: tracker, blob and schema rules skipped"

# ---- faults injected through the inputs. memfd 0x2b's pages are PFN
# 0x14c7..0x14c9 (serial.log "LUOX 0x2b pfn-runs: 0x14c7+3"): preserved.
MFD=0x14c7000
expect_exit 1 "scratch area over memfd 0x2b" verify $IN --iomem "$TMP/iomem" \
	--scratch 0x1400000+0x400000 --json
ok "$(findings KHO-E042 | contains $MFD; echo $?)" "KHO-E042 names the range holding 0x14c7000"
is "$(errors_other KHO-E042)" "" "... and no other error"

expect_exit 1 "RAM map without memfd 0x2b's pages" verify $IN \
	--scratch-phys "$TMP/scratch_phys" --scratch-len "$TMP/scratch_len" \
	--ram 0x1000-0x9fbff --ram 0x100000-0x14c6fff --ram 0x14ca000-0x1ffdffff --json
is "$(findings KHO-E041 | awk '{ printf "0x%x %d\n", $1, $2 }')" "0x14c7000 12288" \
	"KHO-E041 at 0x14c7000, 3 pages"
is "$(errors_other KHO-E041)" "" "... and no other error"

# the truncated debugfs copy of kho/out/fdt (README: cut short)
expect_exit 1 "debugfs k1-out_fdt.bin (truncated)" verify \
	--fdt "$F/blobs/debugfs/k1-out_fdt.bin" --mem "$F/slim-kexec.elf" $CTX --json
is "$(errors_other none)" "KHO-E002" "truncated root FDT: KHO-E002 only"

# an unknown compatible (kho-v4 -> kho-v9, same length)
sed 's/kho-v4/kho-v9/' "$F/root.fdt" >"$TMP/v9.fdt"
expect_exit 1 "compatible kho-v9" verify --fdt "$TMP/v9.fdt" --mem "$F/slim-kexec.elf" $CTX --json
is "$(errors_other none)" "KHO-E003" "unknown compatible: KHO-E003 only"

# --rule / --skip
expect_exit 1 "--rule KHO-E042" verify $IN --scratch 0x1400000+0x400000 --rule KHO-E042 --json
is "$(jq -r '[.findings[].rule] | unique | join(",")' "$TMP/out")" KHO-E042 "--rule: only that rule"
expect_exit 0 "--skip KHO-E042" verify $IN --scratch 0x1400000+0x400000 --skip KHO-E042 --json
is "$(findings KHO-E042)" "" "--skip: rule silent"

# could not read / usage
expect_exit 2 "missing memory file" verify --fdt "$F/root.fdt" --mem "$TMP/nonexistent.elf"
expect_exit 2 "missing iomem file" verify $IN --iomem "$TMP/nonexistent"
expect_exit 64 "unknown rule ID" verify $IN --rule KHO-E999
expect_exit 64 "two RAM maps" verify $IN --ram 0-0xfff --iomem "$TMP/iomem"
expect_exit 64 "--scratch-phys without --scratch-len" verify $IN --scratch-phys "$TMP/scratch_phys"

# --ram-from-core: the slim core holds only the pages KHO metadata points at
# and the memfd data pages (README), so as a RAM map it leaves other
# preserved memory out, but not memfd 0x2b's pages
expect_exit 1 "--ram-from-core on a slim dump" verify $IN --ram-from-core --json
ok "$(jq -e '.inputs.ram_map | test("PT_LOAD")' "$TMP/out" >/dev/null; echo $?)" \
	"the RAM map's origin says PT_LOAD segments"
ok "$([ -n "$(findings KHO-E041)" ]; echo $?)" "KHO-E041: preserved memory missing from the slim core"
ok "$(! findings KHO-E041 | contains $MFD; echo $?)" "... but not memfd 0x2b's 0x14c7000 (in the core)"
expect_exit 64 "--ram-from-core with --iomem" verify $IN --ram-from-core --iomem "$TMP/iomem"

# ---- rules
expect_exit 0 "rules --json" rules --json
cp "$TMP/out" "$TMP/rules.json"
is "$(jq -r '.schema + " " + (.version | tostring)' "$TMP/rules.json")" "khoctl-rules 1" \
	"schema khoctl-rules version 1"
is "$(jq '[.rules[].id] | length == (unique | length)' "$TMP/rules.json")" true "rule IDs unique"
is "$(jq '[.rules[] | select((.id[4:5] == "E" and .severity == "error") or
	(.id[4:5] == "W" and .severity == "warning") or (.id[4:5] == "I" and .severity == "info"))] |
	length == ('"$(jq '.rules | length' "$TMP/rules.json")"')' "$TMP/rules.json")" true \
	"the ID letter matches the severity"
is "$(jq -r '.rules[] | select(.id == "KHO-E040") | .spec' "$TMP/rules.json")" MAP-6 \
	"KHO-E040 cross-references MAP-6"
is "$(jq '[.rules[] | select(.explanation == "" or .title == "")] | length' "$TMP/rules.json")" 0 \
	"every rule has a title and an explanation"
expect_exit 0 "rules (text)" rules
is "$(grep -c '^KHO-[EWI][0-9]* ' "$TMP/out")" "$(jq '.rules | length' "$TMP/rules.json")" \
	"text: every rule listed"

# ---- a 16 GiB order-0 state (4,194,304 folios): clean, and how long it takes
S=$TMP/s16
expect_exit 0 "synth 16 GiB of order-0 folios" synth --output "$S" --gen random0 --density 1 --ram 16G
T0=$(date +%s.%N)
expect_exit 0 "verify 16 GiB order-0" verify --fdt "$S.fdt" --mem "$S.elf" \
	--ram 0x1000000-0x4ffffffff --scratch 0x20000000+0x4000000 --json
T1=$(date +%s.%N)
is "$(jq '.summary.errors' "$TMP/out")" 0 "16 GiB order-0: no errors"
diag "verify of 4194304 order-0 folios: $(echo "$T1 $T0" | awk '{ printf "%.2f", $1 - $2 }') s"

# ---- a subnode no sub-schema reads: the blob rules ran, its contents did not
head -c 300 /dev/urandom >"$TMP/unk.bin"
"$KHOCTL" synth --gen random0 --ram 1G --count 100 --blob foo=$TMP/unk.bin \
	--output "$TMP/unk" >/dev/null || bail_out "synth --blob foo"
"$KHOCTL" verify --json --fdt "$TMP/unk.fdt" --mem "$TMP/unk.elf" >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "unknown subnode foo: no errors (exit 0)"
is "$(jq -r '[.findings[] | select(.rule == "KHO-I071") | .object] | join(",")' "$TMP/out")" foo \
	"unknown subnode foo: KHO-I071 says its contents were not checked"
"$KHOCTL" verify --json --fdt "$F/root.fdt" --mem "$F/slim-kexec.elf" >"$TMP/out" 2>/dev/null
is "$(findings KHO-I071 | wc -l)" 0 "the real capture: every subnode has a sub-schema (no KHO-I071)"


# W1: 4,194,304 random order-0 folios in 32 GiB (about 2 million separate
# ranges): verifies cleanly; the time is reported, not asserted (timings
# belong to bench/, not to tests)
S=$TMP/w1
expect_exit 0 "synth W1" synth --output "$S" --gen random0 --count 4194304 --ram 32G --seed 7
T0=$(date +%s.%N)
expect_exit 0 "verify W1" verify --fdt "$S.fdt" --mem "$S.elf" \
	--ram 0x1000000-0x8ffffffff --scratch 0x20000000+0x4000000 --json
T1=$(date +%s.%N)
is "$(jq '.summary.errors' "$TMP/out")" 0 "W1: no errors"
DT=$(echo "$T1 $T0" | awk '{ printf "%.2f", $1 - $2 }')
diag "verify of W1 (4194304 random order-0 folios): $DT s"
rm -f "$S.fdt" "$S.elf"

done_testing
