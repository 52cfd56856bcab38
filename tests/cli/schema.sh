#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl dump's decoded sub-schemas on the real Linux 7.2.13 capture.
# Expected facts come from the fixture's README.md and serial.log.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

F=$FIXTURES
IN="--fdt $F/root.fdt --mem $F/slim-kexec.elf"

expect_exit 0 "dump --json --data" dump $IN --json --data
cp "$TMP/out" "$TMP/d.json"
sub() { jq -c ".subnodes[] | select(.name == \"$1\")" "$TMP/d.json"; }

is "$(jq -r '[.subnodes[] | .name + "=" + .schema] | sort | join(" ")' "$TMP/d.json")" \
	"LUO=luo-v5 kexec-metadata=kexec-metadata-v1 kho_test=kho-test-v1 memblock=memblock-v1" \
	"every subnode has its schema"
is "$(jq '[.subnodes[] | .problems | length] | add' "$TMP/d.json")" 0 "no problems on the capture"

# kexec-metadata: serial.log "KHO: exec from: 7.2.13 (count 1)"
LINE=$(grep -m1 'KHO: exec from:' "$F/serial.log")
REL=$(echo "$LINE" | sed 's/.*exec from: \([^ ]*\) (count \([0-9]*\)).*/\1/')
CNT=$(echo "$LINE" | sed 's/.*exec from: \([^ ]*\) (count \([0-9]*\)).*/\2/')
is "$(sub kexec-metadata | jq -r '"\(.version) \(.previous_release) \(.kexec_count)"')" \
	"1 $REL $CNT" "kexec-metadata: version 1, release and count as in serial.log"

# LUO: "luo: Retrieved live update data, liveupdate number: N" in kernel 2
LU=$(sed -n 's/.*liveupdate number: \([0-9]*\).*/\1/p' "$F/serial.log" | head -n1)
is "$(sub LUO | jq .liveupdate_num)" "$LU" "LUO: liveupdate_num as retrieved by kernel 2"
is "$(sub LUO | jq -r '[.sessions[] | .name + ":" + ([.files[].token] | join(","))] | join(" ")')" \
	"holdout-main:0x1a,0x2b,0x4d holdout-state:0x3e7" "LUO: sessions and tokens (README)"
is "$(sub LUO | jq -r '[.sessions[].files[] | "\(.token)=\(.memfd.size)/\(.memfd.pos)"] | join(" ")')" \
	"0x1a=3145728/12345 0x2b=10000/0 0x4d=0/0 0x3e7=4096/0" "LUO: memfd sizes and positions (README)"
is "$(sub LUO | jq '.sessions[].files[] | select(.token == "0x2b") | .memfd.seals')" 6 \
	"LUO: memfd 0x2b seals 0x6"
is "$(sub LUO | jq '[.sessions[].files[].memfd | .nr_folios == (.folios | length) and
	.data.readable and .data.pages == ((.size + 4095) / 4096 | floor)] | all')" true \
	"LUO: folios listed, data pages all present in slim-kexec.elf"
# serial.log "LUOX 0x2b pfn-runs: 0x14c7+3" -> phys of the three folios
RUN=$(sed -n 's/^LUOX 0x2b pfn-runs: \(0x[0-9a-f]*\)+\([0-9]*\).*/\1 \2/p' "$F/serial.log")
set -- $RUN
WANT=$(i=0; while [ $i -lt "$2" ]; do printf '%d ' $(( ($1 + i) * 4096 )); i=$((i + 1)); done)
is "$(sub LUO | jq -r '[.sessions[].files[] | select(.token == "0x2b") | .memfd.folios[].phys | tostring] | join(" ")') " \
	"$WANT" "LUO: memfd 0x2b folio addresses = serial.log pfn-runs"

is "$(sub LUO | jq -r '.sessions[0].files[0] | [(.token | type), (.data | type), (.memfd.size | type)] | join(" ")')" \
	"string number number" "JSON: tokens are \"0x...\" strings, addresses and sizes integers"
is "$(jq -r '.schema + " " + (.version | tostring)' "$TMP/d.json")" "khoctl-dump 1" "JSON: schema khoctl-dump 1"

# memblock: reserve_mem=1028K:16K:sample
is "$(sub memblock | jq -r '.regions[] | "\(.name) \(.size) \(.start % 16384)"')" \
	"sample $((1028 * 1024)) 0" "memblock: region sample, 1028 KiB, 16 KiB aligned"

# kho_test: every folio is preserved with its order (ranges cover it)
is "$(sub kho_test | jq '.nr_folios == (.folios | length) and .magic == "0x4b484f21"')" true \
	"kho_test: magic and nr_folios words"

# text output and the pre-serialization state
expect_exit 0 "dump (text)" dump $IN
ok "$(grep -q 'schema: *luo-v5' "$TMP/out"; echo $?)" "text: schema luo-v5"
ok "$(grep -q 'previous release: *7.2.13' "$TMP/out"; echo $?)" "text: previous release"
expect_exit 0 "dump pre-reboot" dump --fdt "$F/root.fdt" --mem "$F/slim-pre.elf" --json
is "$(jq -c '.subnodes[] | select(.name == "LUO") | [.schema, (.sessions | length)]' "$TMP/out")" \
	'["luo-v5",0]' "pre-reboot: LUO has no sessions yet"
expect_exit 0 "dump without memory" dump --fdt "$F/root.fdt" --json
is "$(jq -r '[.subnodes[] | .schema] | unique | join(" ")' "$TMP/out")" "unknown" \
	"no memory source: schema unknown"

# synth --schemas writes the README's memfd contents from their
# definitions: the data hashes must equal those of the real kernel's pages.
expect_exit 0 "synth --schemas" synth --output "$TMP/demo" --schemas
expect_exit 0 "dump of the synthetic schemas" dump --fdt "$TMP/demo.fdt" --mem "$TMP/demo.elf" --json --data
cp "$TMP/out" "$TMP/demo.json"
hashes() {
	jq -r '[.subnodes[] | .sessions[]?.files[]? | select(.token == "0x1a" or .token == "0x2b") |
		.token + "=" + .memfd.data.fnv1a64] | join(" ")' "$1"
}
H=$(hashes "$TMP/d.json")
ok "$([ -n "$H" ] && [ "$H" != "${H#*0x1a=0x}" ] && [ "$H" != "${H#*0x2b=0x}" ]; echo $?)" \
	"capture: memfd 0x1a and 0x2b hashed ($H)"
is "$(hashes "$TMP/demo.json")" "$H" "synthetic README patterns hash like the kernel's pages"
is "$(jq -r '[.subnodes[] | .name + "=" + .schema + "/" + (.problems | length | tostring)] | sort | join(" ")' "$TMP/demo.json")" \
	"LUO=luo-v5/0 kexec-metadata=kexec-metadata-v1/0 kho_test=kho-test-v1/0 memblock=memblock-v1/0" \
	"synthetic: four schemas, no problems"
is "$(jq -r '.subnodes[] | select(.name == "LUO") | [.sessions[].files[] | "\(.token)=\(.memfd.size)/\(.memfd.pos)/\(.memfd.seals)"] | join(" ")' "$TMP/demo.json")" \
	"0x1a=3145728/12345/1 0x2b=10000/0/6 0x4d=0/0/1 0x3e7=4096/0/1" "synthetic: memfds as requested"

# synth --luo SPEC
expect_exit 0 "synth --luo" synth --output "$TMP/luo" --luo 'a:1=10K+5/6,2=0;b:0xffffffffffffffff=1M;c:'
expect_exit 0 "dump of --luo" dump --fdt "$TMP/luo.fdt" --mem "$TMP/luo.elf" --json --data
is "$(jq -c '.subnodes[] | select(.name == "LUO") | [.sessions[] | [.name, [.files[] |
	[.token, .memfd.size, .memfd.pos, .memfd.seals, .memfd.nr_folios, .memfd.data.pages]]]]' "$TMP/out")" \
	'[["a",[["0x1",10240,5,6,3,3],["0x2",0,0,0,0,0]]],["b",[["0xffffffffffffffff",1048576,0,0,256,256]]],["c",[]]]' \
	"--luo: sessions, tokens, sizes, positions, seals, folios as specified"
expect_exit 64 "--luo without a session name" synth --output "$TMP/x" --luo ':1=1'
expect_exit 64 "--luo with a bad file" synth --output "$TMP/x" --luo 'a:1=zz'
ok "$(grep -q "bad file '1=zz'" "$TMP/err"; echo $?)" "--luo: the bad file is named"
expect_exit 0 "--luo with duplicate session names" synth --output "$TMP/dup" --luo 'x:1=1;x:1=1,1=2'
expect_exit 0 "dump of duplicates" dump --fdt "$TMP/dup.fdt" --mem "$TMP/dup.elf" --json
is "$(jq -r '[.subnodes[] | select(.name == "LUO") | .problems[].rule] | join(" ")' "$TMP/out")" \
	"LUO-3 LUO-4" "duplicate session name (LUO-3) and token (LUO-4) reported"

done_testing
