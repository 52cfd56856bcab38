#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl diff names the decoded fields that changed inside a changed blob:
# kexec-metadata count, LUO number, sessions and files, memfd sizes.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
F=$FIXTURES

# byte-level facts of the fixture blobs, read without khoctl
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
k1_count=$(u8 "$F/blobs/kexec-metadata.bin" 69)
k2_count=$(u8 "$F/blobs/k2-out/kexec-metadata.bin" 69)
k1_num=$(u8 "$F/blobs/LUO.bin" 8)
k2_num=$(u8 "$F/blobs/k2-out/LUO.bin" 8)

# 1. the first kernel's outgoing state against the second kernel's
expect_diff 1 "diff k1-out k2-out" --json "$F/root.fdt:$F/slim-kexec.elf" "$F/root-k2.fdt:$F/slim-post.elf"
is "$(jq -c '.blobs[] | select(.name == "kexec-metadata") | [.status, (.changes[] | select(.field == "kexec_count") | .old, .new)]' "$TMP/out")" \
	"[\"changed\",\"$k1_count\",\"$k2_count\"]" "kexec_count $k1_count -> $k2_count (bytes 69 of the blobs)"
is "$(jq -c '.blobs[] | select(.name == "LUO") | [.changes[] | select(.field == "liveupdate_num") | .old, .new]' "$TMP/out")" \
	"[\"$k1_num\",\"$k2_num\"]" "LUO liveupdate number $k1_num -> $k2_num"
# README: session holdout-main held 3 files (0x1a, 0x2b, 0x4d); the second
# kernel has consumed its sessions
is "$(jq -c '.blobs[] | select(.name == "LUO") | [.changes[] | select(.field == "session holdout-main file_count") | .old, .new]' "$TMP/out")" \
	'["3",null]' "session holdout-main (3 files) gone"
is "$(jq -r '.blobs[] | select(.name == "LUO") | .changes[] | select(.field == "session holdout-main file 0x2b size") | .old' "$TMP/out")" \
	10000 "memfd 0x2b size 10000 (README) reported as gone"
is "$(jq -r '.blobs[] | select(.name == "memblock") | .status' "$TMP/out")" same "memblock unchanged"

# 2. synthetic: one memfd grows, one file is added, one session is dropped
"$KHOCTL" synth --output "$TMP/a" --luo 's1:0x10=8192,0x11=4096;s2:0x20=4096' >/dev/null || bail_out "synth a"
"$KHOCTL" synth --output "$TMP/b" --luo 's1:0x10=12288,0x11=4096,0x12=4096' >/dev/null || bail_out "synth b"
expect_diff 1 "diff synthetic LUO" --json "$TMP/a.fdt:$TMP/a.elf" "$TMP/b.fdt:$TMP/b.elf"
is "$(jq -c '[.blobs[] | select(.name == "LUO") | .changes[] | select(.field == "session s1 file 0x10 size") | .old, .new]' "$TMP/out")" \
	'["8192","12288"]' "memfd 0x10 size 8192 -> 12288"
is "$(jq -c '[.blobs[] | select(.name == "LUO") | .changes[] | select(.field == "session s1 file 0x12 size") | .old, .new]' "$TMP/out")" \
	'[null,"4096"]' "memfd 0x12 added"
is "$(jq -c '[.blobs[] | select(.name == "LUO") | .changes[] | select(.field == "session s2 file_count") | .old, .new]' "$TMP/out")" \
	'["1",null]' "session s2 dropped"
is "$(jq '[.blobs[] | select(.name == "LUO") | .changes[] | select(.field | test("0x11"))] | length' "$TMP/out")" \
	0 "unchanged memfd 0x11 not reported"

# 3. the same state twice: no changes listed, exit 0
expect_diff 0 "diff a a" --json "$TMP/a.fdt:$TMP/a.elf" "$TMP/a.fdt:$TMP/a.elf"
is "$(jq '[.blobs[] | select(.changes)] | length' "$TMP/out")" 0 "no field changes"

done_testing
