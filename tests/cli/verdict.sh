#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Verdicts that fail closed (issue 16 item 6) and both sides of the kexec
# told truthfully (item 7). Each class expects its exit status and message:
#  - verify --live with /proc/kcore unreadable (unprivileged user): exit 2;
#  - a RAM map that cannot be one (/proc/iomem read without root, an empty
#    or unsorted --iomem, overlapping --ram): refused, exit 2;
#  - a file that is no FDT: exit 2 in every command;
#  - diff: a side that cannot be decoded is exit 2 and named (old/new);
#  - an outgoing LUO whose session table is not written yet says so;
#  - an incoming tracker consumed by the new kernel is a state: dump exit 0
#    (tracker_state consumed), stat exit 2 saying so, verify "partial"
#    exit 0 without the tracker/blob "corruption";
#  - a kernel virtual pointer met where a physical address belongs is
#    never an address: null + KEY_kva hex string.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/sysroot.sh"

V=${TESTS_SRCDIR:-$(dirname "$0")/..}/fixtures/linux-7.2.13-vm-e2e
IN="--fdt $F/root.fdt --mem $F/slim-kexec.elf"

# ---- physical memory unreadable: never clean
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 &&
	setpriv --reuid=65534 --regid=65534 --clear-groups "$KHOCTL" --version >/dev/null 2>&1; then
	e=$TMP/e-perm; cp -r "$k1" "$e"; chmod -R a+rX "$TMP"; chmod 0400 "$e/proc/kcore"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$KHOCTL" verify --live \
		--sysroot "$e" >"$TMP/out" 2>"$TMP/err"
	is "$?" 2 "verify --live as nobody, kcore unreadable: exit 2"
	grep -q '/proc/kcore.*needs root' "$TMP/err"; ok $? "says /proc/kcore needs root"
	grep -q 'clean' "$TMP/out"; ok $((1 - $?)) "no 'clean' verdict"
else
	skip "not root, no setpriv, or nobody cannot run khoctl here"
	skip "not root or no setpriv"
	skip "not root or no setpriv"
fi
e=$TMP/e-nokcore; cp -r "$k1" "$e"; rm "$e/proc/kcore"
expect_exit 2 "verify --live without /proc/kcore" verify --live --sysroot "$e"
grep -q 'CONFIG_PROC_KCORE' "$TMP/err"; ok $? "says kcore is absent"

# ---- RAM maps that cannot be one
e=$TMP/e-hidden; cp -r "$k1" "$e"
sed 's/[0-9a-f]*-[0-9a-f]* :/00000000-00000000 :/' "$k1/proc/iomem" >"$e/proc/iomem"
expect_exit 2 "verify --live, /proc/iomem read without root" verify --live --sysroot "$e"
grep -q 'not a RAM map' "$TMP/err"; ok $? "says the hidden iomem is not a RAM map"
grep -q 'KHO-E013' "$TMP/out"; ok $((1 - $?)) "no false KHO-E013"
expect_exit 0 "... an explicit --ram wins" verify --live --sysroot "$e" \
	--ram 0x1000-0x9fbff --ram 0x100000-0x1ffdffff
expect_exit 2 "verify --iomem (hidden copy)" verify $IN --iomem "$e/proc/iomem"
grep -q 'reads as 0' "$TMP/err"; ok $? "says every address reads as 0"
: >"$TMP/empty"
expect_exit 2 "verify --iomem (empty file)" verify $IN --iomem "$TMP/empty"
grep -q 'no System RAM' "$TMP/err"; ok $? "says there is no System RAM range"
printf '00100000-1ffdffff : System RAM\n00001000-0009fbff : System RAM\n' >"$TMP/unsorted"
expect_exit 2 "verify --iomem (unsorted)" verify $IN --iomem "$TMP/unsorted"
grep -q 'not a RAM map' "$TMP/err"; ok $? "unsorted: not a RAM map"
printf '00001000-0009fbff : System RAM\n00080000-1ffdffff : System RAM\n' >"$TMP/overlap"
expect_exit 2 "verify --iomem (overlapping)" verify $IN --iomem "$TMP/overlap"
grep -q 'overlaps' "$TMP/err"; ok $? "says which ranges overlap"
expect_exit 2 "verify --ram (overlapping)" verify $IN --ram 0x1000+0x10000 --ram 0x2000+0x1000
expect_exit 0 "verify --ram in any order" verify $IN --ram 0x100000-0x1ffdffff --ram 0x1000-0x9fbff

# ---- not an FDT: exit 2 everywhere
head -c 4096 /dev/zero | tr '\0' 'x' >"$TMP/junk"
for cmd in verify dump stat ranges map; do
	expect_exit 2 "$cmd on a file that is no FDT" $cmd --fdt "$TMP/junk" --mem "$F/slim-kexec.elf"
done
expect_exit 2 "analyze on a file that is no FDT" analyze --fdt "$TMP/junk" --mem "$F/slim-kexec.elf"
expect_exit 2 "capture of a file that is no FDT" capture --fdt "$TMP/junk" \
	--mem "$F/slim-kexec.elf" "$TMP/cap-junk"
expect_exit 2 "compat on a file that is no FDT" compat --fdt "$TMP/junk" \
	--mem "$F/slim-kexec.elf" --image "${TESTS_SRCDIR:-$(dirname "$0")/..}/fixtures/images/linux-7.2.13.strings"
grep -q 'FDT' "$TMP/err"; ok $? "compat: the message names the FDT"
expect_exit 2 "verify on a file that is no FDT (no --mem)" verify --fdt "$TMP/junk"
grep -q 'not a flattened device tree' "$TMP/err"; ok $? "says it is no FDT"

# ---- diff: a side that cannot be decoded
expect_diff 2 "diff, old side no FDT" "$TMP/junk" "$F/root.fdt:$F/slim-kexec.elf"
grep -q 'the old state' "$TMP/err"; ok $? "names the old side"
expect_diff 2 "diff, new side no FDT" "$F/root.fdt:$F/slim-kexec.elf" "$TMP/junk"
grep -q 'the new state' "$TMP/err"; ok $? "names the new side"
# the tracker read from memory that does not hold it (a synthetic core):
# exit 2, not "same"
expect_exit 0 "synth an unrelated core" synth --output "$TMP/other" --count 4 --gen random0 --ram 64M
expect_diff 2 "diff, new side's tracker does not decode" \
	"$F/root.fdt:$F/slim-kexec.elf" "$F/root.fdt:$TMP/other.elf"
grep -q 'the new state.*tracker cannot be decoded' "$TMP/err"; ok $? "says the new side's tracker"

# ---- before the kexec: the LUO session table is not written yet
expect_exit 0 "dump of the state before the kexec (vm-e2e)" dump --json \
	--fdt "$V/root.fdt" --mem "$V/slim-k1.elf"
is "$(jq -c '.subnodes[] | select(.name == "LUO") | [.sessions_written, (.sessions_note | test("not written yet")), .sessions]' "$TMP/out")" \
	'[false,true,[]]' "LUO: session table not written yet, said so"
expect_exit 0 "dump of the lean-luo state (sessions written)" dump --json $IN
is "$(jq -c '.subnodes[] | select(.name == "LUO") | [.sessions_written, has("sessions_note")]' "$TMP/out")" \
	'[true,false]' "LUO: session table written"

# ---- after the kexec: the incoming tracker consumed by the new kernel
expect_exit 0 "dump --incoming, tracker consumed" dump --json --incoming --sysroot "$k2"
is "$(jq -c '[.tracker, .tracker_state]' "$TMP/out")" '[null,"consumed"]' "dump: tracker_state consumed"
grep -q 'consumed by this kernel' "$TMP/err"; ok $? "dump: says the kernel consumed it"
expect_exit 2 "stat --incoming, tracker consumed" stat --incoming --sysroot "$k2"
grep -q 'incoming tracker was consumed' "$TMP/err"; ok $? "stat: says so (no silent folios: 0)"
expect_exit 0 "verify --incoming, tracker consumed" verify --json --incoming --sysroot "$k2"
is "$(jq -c '[.inputs.tracker, .summary.result, .summary.errors]' "$TMP/out")" \
	'["consumed","partial",0]' "verify: partial, no error"
is "$(jq '[.findings[] | select(.message | test("not in preserved memory|is not luo-v5"))] | length' "$TMP/out")" \
	0 "verify: no 'not preserved' nor 'not luo-v5' corruption"

# a blob its owner consumed while the tracker is still intact: an incoming
# bundle whose LUO page was reused (its compatible overwritten in the core)
expect_exit 0 "capture --live (k1)" capture --live --sysroot "$k1" "$TMP/cin"
sed 's/"source": *"live"/"source": "incoming"/' "$TMP/cin/manifest.json" >"$TMP/m" &&
	mv "$TMP/m" "$TMP/cin/manifest.json"
luo=$("$KHOCTL" dump --json --capture "$TMP/cin" 2>/dev/null |
	jq '.subnodes[] | select(.name == "LUO") | .preserved_data')
RE=${READELF:-$(command -v readelf || true)}
if [ -n "$RE" ] && [ -n "$luo" ]; then
	off=$("$RE" -lW "$TMP/cin/memory.elf" | while read -r t o v p fs rest; do
		[ "$t" = LOAD ] || continue
		if [ "$luo" -ge $((p)) ] && [ "$luo" -lt $((p + fs)) ]; then echo $((o + luo - p)); break; fi
	done)
	printf 'reused!!' | dd of="$TMP/cin/memory.elf" bs=1 seek="$off" conv=notrunc 2>/dev/null
	expect_exit 0 "verify an incoming state whose LUO blob was consumed" verify --json \
		--capture "$TMP/cin"
	is "$(jq -c '[.summary.errors, ([.findings[] | select(.object == "LUO")] | all(.severity == "info"))]' "$TMP/out")" \
		'[0,true]' "consumed LUO blob: info, not 'not luo-v5 (kernel panics)' as an error"
	grep -q 'LUO: the blob fails its own compatible' "$TMP/err"; ok $? "says the LUO blob was consumed"
	# --metrics tells what the exit code tells: a consumed blob is no error
	expect_exit 0 "verify --metrics of that state" verify --capture "$TMP/cin" \
		--metrics "$TMP/cin.prom"
	is "$(awk '$1 == "khoctl_verify_findings{severity=\"error\"}" || $1 == "khoctl_verify_clean" { printf "%s ", $2 }' "$TMP/cin.prom")" \
		"1 0 " "--metrics: clean 1, 0 errors (the consumed LUO blob's findings are info)"
	is "$(grep -c '^khoctl_verify_rule_findings{[^}]*severity="error"} [1-9]' "$TMP/cin.prom")" 0 \
		"--metrics: no error rule gauge above 0"
else
	skip "no readelf"; skip "no readelf"; skip "no readelf"; skip "no readelf"
	skip "no readelf"; skip "no readelf"; skip "no readelf"
fi

# ---- a kernel virtual pointer is never an address
printf 'luo-v5\000\000\001\000\000\000\000\000\000\000\000\120\064\022\200\210\377\377\000\000\000\000\000\000\000\000' \
	>"$TMP/luo.bin"
is "$(wc -c <"$TMP/luo.bin" | tr -d ' ')" 32 "a 32-byte luo-v5 root"
expect_exit 0 "synth with a LUO whose sessions pointer is a kernel pointer" synth \
	--output "$TMP/kva" --count 4 --gen random0 --ram 64M --blob "LUO=$TMP/luo.bin"
kho "$TMP/out" "$TMP/err" dump --json --fdt "$TMP/kva.fdt" --mem "$TMP/kva.elf"
is "$(jq -c '.subnodes[] | select(.name == "LUO") | [.sessions_pa, .sessions_pa_kva]' "$TMP/out")" \
	'[null,"0xffff888012345000"]' "sessions_pa null, sessions_pa_kva a hex string"
is "$(jq '[.. | numbers | select(. > 9007199254740992)] | length' "$TMP/out")" 0 \
	"no JSON number above 2^53"
"$KHOCTL" dump --fdt "$TMP/kva.fdt" --mem "$TMP/kva.elf" >"$TMP/txt" 2>&1
grep -Eq '(pa|sessions pa): +0xffff' "$TMP/txt"; ok $((1 - $?)) "text: never printed as an address"

done_testing
