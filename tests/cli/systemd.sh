#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# khoctl on systemd's FD store (LUO session "systemd"): the mapping at
# token 0 is written here by hand, in systemd 262's format (compact JSON,
# tokens from 1), and put into a synthetic state with `synth --luo
# TOKEN=@FILE`; dump names every unit and fd with its token and memfd size,
# verify gives the rule of each fault, diff compares by unit and fd name.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

map() { printf '%s' "$2" >"$TMP/$1.json"; }
state() {
	"$KHOCTL" synth --output "$TMP/$1" --luo "$2" >/dev/null 2>"$TMP/synth.err" ||
		bail_out "synth $1: $(cat "$TMP/synth.err")"
}
S() { echo "--fdt $TMP/$1.fdt --mem $TMP/$1.elf"; }

# 1. what systemd-shutdown writes for two services, one with its own session
map good '{"version":1,"state":{"kexecsCount":2},"units":{"db.service":{"fdstore":[{"type":"fd","name":"wal","token":1},{"type":"fd","name":"cache","token":2}]},"vm@1.service":{"fdstore":[{"type":"fd","name":"guest-ram","token":3},{"type":"luo_session","name":"vfio","sessionName":"vm@1.service/vfio"}]}}}'
state good "systemd:0=@$TMP/good.json,1=12345,2=4K,3=1M;vm@1.service/vfio:1=4K"
expect_exit 0 "dump of a systemd session" dump --json $(S good)
FS='.subnodes[] | select(.name == "LUO") | .sessions[] | select(.name == "systemd") | .fd_store'
is "$(jq -c "$FS | [.parsed, .version, .mapping_size]" "$TMP/out")" \
	"[true,1,$(wc -c <"$TMP/good.json")]" "mapping parsed: version 1, its size in bytes"
is "$(jq -c "[$FS | .units[] | .unit as \$u | .fds[] | [\$u, .name, .type, .token, .size, .restorable]]" "$TMP/out")" \
	'[["db.service","wal","fd","0x1",12345,true],["db.service","cache","fd","0x2",4096,true],["vm@1.service","guest-ram","fd","0x3",1048576,true],["vm@1.service","vfio","luo_session",null,null,true]]' \
	"every unit and fd name with its token, type and memfd size"
is "$(jq -c "$FS | .units[1].fds[1].session_name" "$TMP/out")" '"vm@1.service/vfio"' "the luo_session entry names its session"
kho "$TMP/out" "$TMP/err" dump $(S good)
grep -q 'guest-ram  *fd  *0x3' "$TMP/out"; ok $? "text dump: a row per fd"
expect_exit 0 "verify of a systemd session" verify $(S good)

# 2. faults, each with its rule
map lost '{"version":1,"units":{"db.service":{"fdstore":[{"type":"fd","name":"wal","token":1},{"type":"fd","name":"cache","token":2}]}}}'
state lost "systemd:0=@$TMP/lost.json,1=100"
expect_exit 1 "verify: a token named but not preserved" verify --json $(S lost)
is "$(jq -c '[.findings[] | select(.severity != "info") | .rule]' "$TMP/out")" '["KHO-E224"]' "KHO-E224 only"
jq -r '.findings[] | select(.rule == "KHO-E224") | .message' "$TMP/out" | grep -q 'db.service fd cache: token 2'
ok $? "KHO-E224 names the unit, the fd and the token"
state unnamed "systemd:0=@$TMP/lost.json,1=100,2=100,7=5"
expect_exit 0 "verify: a preserved token the mapping does not name (warning)" verify --json $(S unnamed)
is "$(jq -c '[.findings[] | select(.severity != "info") | .rule]' "$TMP/out")" '["KHO-W226"]' "KHO-W226 only"
map cut '{"version":1,"units":{"db.service":{"fdstore":[{"type":"fd","na'
state cut "systemd:0=@$TMP/cut.json,1=100"
expect_exit 1 "verify: a truncated mapping" verify --json $(S cut)
is "$(jq -c '[.findings[] | select(.severity != "info") | .rule]' "$TMP/out")" '["KHO-E221"]' "KHO-E221 only"
state nomap "systemd:1=100"
expect_exit 1 "verify: no token 0" verify --json $(S nomap)
is "$(jq -c '[.findings[] | select(.severity != "info") | .rule]' "$TMP/out")" '["KHO-E220"]' "KHO-E220 only"
expect_exit 0 "dump without a mapping" dump --json $(S nomap)
is "$(jq -c "$FS | [.mapping, .parsed, [.unnamed[].token]]" "$TMP/out")" '[null,false,["0x1"]]' "no mapping: the token listed as unnamed"

# 3. diff by unit and fd name: the outgoing state against one that lost a fd
expect_diff 1 "diff good lost" --json "$TMP/good.fdt:$TMP/good.elf" "$TMP/lost.fdt:$TMP/lost.elf"
is "$(jq -c '[.blobs[] | select(.name == "LUO") | .changes[] | select(.field == "fd-store unit db.service fd cache restorable") | .old, .new]' "$TMP/out")" \
	'["yes","no"]' "db.service fd cache: restorable yes -> no"
is "$(jq -c '[.blobs[] | select(.name == "LUO") | .changes[] | select(.field == "fd-store unit vm@1.service fd guest-ram size") | .old, .new]' "$TMP/out")" \
	'["1048576",null]' "vm@1.service fd guest-ram gone"
expect_diff 0 "diff good good" --json "$TMP/good.fdt:$TMP/good.elf" "$TMP/good.fdt:$TMP/good.elf"

done_testing
