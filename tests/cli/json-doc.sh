#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# khoctl's JSON output against its documentation, khoctl-json(7), which is
# the source of truth: the page's field paragraphs (.BI "PATH " "TYPE[,
# UNIT], PRESENCE" inside .SS "khoctl\-NAME", format described at the top
# of the page) are extracted, then every document khoctl writes over the
# real 7.2.13 capture, a verify with findings, diffs with differences and
# synthetic states of every generation is checked:
#  (a) every field written is documented at its path, with its type
#      (and the "0x hex" / "SHA-256 hex" forms where the unit says so);
#  (b) every field documented as "always" is there whenever the object
#      that holds it is.
# Every documented document must be exercised here, and every command
# whose --help offers --json must have its document in the page, unless it
# is listed in UNDOCUMENTED_OK below (for the lead to fill at a merge, and
# to empty again by documenting the command).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

UNDOCUMENTED_OK=""

MAN7=$TESTS_SRCDIR/../man/khoctl-json.7
F=$FIXTURES
IN="--fdt $F/root.fdt --mem $F/slim-kexec.elf"
DOCS=$TMP/docs
mkdir -p "$DOCS"

# ---- the documentation, as a table: SCHEMA PATH TYPES UNIT PRESENCE
awk -v OFS='\t' '
	/^\.S[SH][ \t]/ {
		sec = ""
		if ($0 ~ /^\.SS[ \t]+"?khoctl\\-/) {
			s = $0
			sub(/^\.SS[ \t]+"?/, "", s); sub(/"[ \t]*$/, "", s)
			gsub(/\\-/, "-", s)
			sec = s
		}
		prev = $0
		next
	}
	sec != "" && prev == ".TP" {
		line = $0
		gsub(/\\-/, "-", line)
		if (line !~ /^\.BI "[^" ]+ " "[^"]+"$/) {
			print "BAD", sec, $0
			prev = $0
			next
		}
		split(line, q, "\"")
		path = q[2]; sub(/ $/, "", path)
		m = split(q[4], part, ", ")
		unit = ""
		for (i = 2; i < m; i++)
			unit = unit (i > 2 ? ", " : "") part[i]
		print sec, path, part[1], unit, part[m]
	}
	{ prev = $0 }
' "$MAN7" >"$TMP/doc.tsv"
ok $? "extract the field tables of khoctl-json(7)"
bad=$(awk -F'\t' '$1 == "BAD" || ($5 != "always" && $5 != "optional") ||
	$3 !~ /^(string|integer|boolean|object|array|null)(\|(string|integer|boolean|object|array|null))*$/' \
	"$TMP/doc.tsv")
is "$bad" "" "every field paragraph has a path, known types and always/optional"
schemas=$(cut -f1 "$TMP/doc.tsv" | sort -u)
nschemas=$(echo "$schemas" | wc -l)
[ "$nschemas" -ge 10 ]; ok $? "$nschemas documents, $(wc -l <"$TMP/doc.tsv") fields documented"
dups=$(cut -f1,2 "$TMP/doc.tsv" | sort | uniq -d)
is "$dups" "" "no field is documented twice"
for s in $schemas; do
	is "$(awk -F'\t' -v s="$s" '$1 == s && ($2 == "schema" || $2 == "version") && $5 == "always" { print $2 ":" $3 }' \
		"$TMP/doc.tsv" | sort | tr '\n' ' ')" "schema:string version:integer " \
		"$s documents schema and version as always there"
done
# As JSON: { SCHEMA: { PATH: { types: [...], unit, presence } } }
jq -R -s '
	split("\n") | map(select(length > 0) | split("\t")) |
	reduce .[] as $f ({}; .[$f[0]][$f[1]] = { types: ($f[2] | split("|")),
		unit: $f[3], presence: $f[4] })' "$TMP/doc.tsv" >"$TMP/doc.json"
ok $? "field table as JSON"

# ---- the checks of one document: one line per problem
cat >"$TMP/check.jq" <<'EOF'
def pathname: reduce .[] as $s (""; if ($s | type) == "number" then . + "[]"
	elif . == "" then $s else . + "." + $s end);
def jtype: if type == "number" then (if . == floor then "integer" else "number" end)
	else type end;
def at($segs): if ($segs | length) == 0 then .
	else $segs[0] as $s |
		(if ($s | endswith("[]")) then (.[$s[:-2]]? | if type == "array" then .[] else empty end)
		 else (if type == "object" then .[$s] else empty end) end) | at($segs[1:]) end;
. as $doc | ($doc.schema // "(none)") as $schema |
if ($doc | type) != "object" then "\($name): not a JSON object"
elif ($docs[$schema] | not) then "\($name): schema \"\($schema)\" is not documented in khoctl-json(7)"
else $docs[$schema] as $spec |
	(([paths as $p | [($p | pathname), ($doc | getpath($p) | jtype), ($doc | getpath($p))]]
	  | unique_by(.[0], .[1], (if .[1] == "string" then .[2] else null end)))[] as [$p, $t, $v] |
		if $spec[$p] == null then "\($name): \($schema): field \"\($p)\" (\($t)) is not documented"
		elif ($spec[$p].types | index($t)) == null then
			"\($name): \($schema): field \"\($p)\" is \($t), documented as \($spec[$p].types | join("|"))"
		elif $t == "string" and $spec[$p].unit == "0x hex" and ($v | test("^0x[0-9a-f]+$") | not) then
			"\($name): \($schema): field \"\($p)\" = \"\($v)\" is not 0x hex"
		elif $t == "string" and $spec[$p].unit == "SHA-256 hex" and ($v | test("^[0-9a-f]{64}$") | not) then
			"\($name): \($schema): field \"\($p)\" = \"\($v)\" is not a SHA-256 in hex"
		else empty end),
	($spec | to_entries[] | select(.value.presence == "always" and (.key | endswith("[]") | not)) |
		.key as $p | ($p | split(".")) as $segs |
		[$doc | at($segs[:-1]) | select(type == "object") | select(has($segs[-1]) | not)] |
		select(length > 0) |
		"\($name): \($schema): field \"\($p)\", documented as always there, is missing (\(length) times)")
end
EOF

# run WANT NAME ARGS...: khoctl ARGS (--json among them) exits WANT; its
# document is kept as $DOCS/NAME.json for the checks below.
run() {
	local want=$1 name=$2
	shift 2
	kho "$DOCS/$name.json" "$TMP/err" "$@"
	if [ "$rc" -ne "$want" ]; then
		ok 1 "$name: khoctl exits $want"
		diag "command: khoctl $*" "exit $rc, stderr:"
		head -c 1000 "$TMP/err" | comment
		rm -f "$DOCS/$name.json"
	fi
}

# ---- the real capture (README.md: kho-v4 with LUO, memfd, memblock,
# kho_test and kexec-metadata subnodes)
run 0 dump dump --json $IN
run 0 dump-data dump --json --data $IN
run 0 dump-fdt-only dump --json --fdt "$F/root.fdt"
# README.md: the first kernel's radix pages are reused in the post dump,
# so the tracker is not decoded (exit 2) but the document is complete
run 2 dump-reused dump --json --fdt "$F/root.fdt" --mem "$F/slim-post.elf"
run 0 dump-k2 dump --json --fdt "$F/root-k2.fdt" --mem "$F/slim-post.elf"
run 0 stat stat --json $IN
run 0 ranges ranges --json $IN
run 0 ranges-folios ranges --json --folios $IN
run 0 verify verify --json $IN
run 1 verify-strict verify --json --strict $IN
# findings with an address: a scratch area over memfd 0x2b's pages
# (serial.log: PFN 0x14c7), as in verify.sh
run 1 verify-scratch verify --json $IN --scratch 0x1400000+0x400000
# findings without an address: the root FDT cut short
head -c 200 "$F/root.fdt" >"$TMP/cut.fdt"
run 1 verify-cut verify --json --fdt "$TMP/cut.fdt" --mem "$F/slim-kexec.elf"
run 0 rules rules --json
# map: without a RAM map, with RAM and scratch (holes, conflicts), zoomed
run 0 map map --json $IN --width 32 --rows 8
run 0 map-ram map --json $IN --width 32 --rows 8 --ram 0x1000-0x9fbff \
	--ram 0x100000-0x1ffdffff --scratch 0x1c000000+0x3000000 --scratch 0x1400000+0x400000
run 0 map-zoom map --json $IN --to 32M --rows 8 --width 16
run 0 analyze analyze --json --runs 1 $IN
# differences: the first kernel's outgoing state against the second's
run 1 diff diff --json "$F/root.fdt:$F/slim-kexec.elf" "$F/root-k2.fdt:$F/slim-post.elf"
run 1 diff-list diff --json --list "$F/root.fdt:$F/slim-kexec.elf" "$F/root-k2.fdt:$F/slim-post.elf"
run 0 diff-same diff --json "$F/root.fdt:$F/slim-kexec.elf" "$F/root.fdt:$F/slim-kexec.elf"
run 0 diff-fdt-only diff --json "$F/root.fdt" "$F/root.fdt:$F/slim-kexec.elf"
run 0 capture-result capture --json $IN "$TMP/cap"
cp "$TMP/cap/manifest.json" "$DOCS/capture-manifest.json"
run 0 capture-tar capture --json $IN --tar "$TMP/cap.tar"
run 0 dump-capture dump --json --capture "$TMP/cap"

# compat: the capture against synthetic images of real kernels' strings
# (tests/cli/compat.sh): 7.3.4 reads everything, luo-bump loses LUO; a
# module carries kho-test-v1; without memory the LUO files are unknown
IMGS=$TESTS_SRCDIR/fixtures/images
"$MKIMAGE" wrap bzimage xz "$IMGS/linux-7.3.4.strings" "$TMP/img73"
"$MKIMAGE" wrap zboot zstd "$IMGS/linux-7.2.13-luo-bump.strings" "$TMP/imgbump"
run 0 compat compat --json $IN --image "$TMP/img73"
run 1 compat-bump compat --json $IN --image "$TMP/imgbump"
run 2 compat-fdt-only compat --json --fdt "$F/root.fdt" --image "$TMP/img73"
tr '\0' '\n' <"$IMGS/linux-7.2.13.strings" | grep -v '^kho-test-v1$' | tr '\n' '\0' >"$TMP/nokt.strings"
"$MKIMAGE" wrap bzimage gzip "$TMP/nokt.strings" "$TMP/imgnokt"
mkdir -p "$TMP/sys/lib/modules/7.2.13/kernel/lib"
printf 'kho-test-v1\0kho_test\0' >"$TMP/sys/lib/modules/7.2.13/kernel/lib/test_kho.ko"
run 0 compat-module compat --json $IN --image "$TMP/imgnokt" --sysroot "$TMP/sys"

# ---- the same capture as a running system shows it (--sysroot trees of
# sysroot.sh): debugfs cut the first kernel's root FDT short (recovered
# from memory), RAM and scratch come from the system; in the second
# kernel the first kernel's tracker pages are reused (README.md)
. "$TESTS_SRCDIR/cli/sysroot.sh"
run 0 dump-live dump --json --live --sysroot "$k1"
run 0 verify-live verify --json --live --sysroot "$k1"
run 0 capture-live capture --json --live --sysroot "$k1" "$TMP/capl"
cp "$TMP/capl/manifest.json" "$DOCS/capture-live-manifest.json"
run 0 dump-incoming dump --json --incoming --sysroot "$k2"
run 0 verify-incoming verify --json --incoming --sysroot "$k2"
run 0 diff-incoming diff --json --sysroot "$k2" "$TMP/capl" incoming

# ---- synthetic states of every generation, with the demo sub-schemas
for g in kho-v1 kho-v2 kho-v3 kho-v4 rfc; do
	run 0 "synth-$g" synth --json --abi "$g" --gen mixed --ram 1G --density 0.05 \
		--seed 7 --schemas --output "$TMP/s-$g"
	S="--fdt $TMP/s-$g.fdt --mem $TMP/s-$g.elf"
	run 0 "dump-$g" dump --json --data $S
	run 0 "stat-$g" stat --json $S
	run 0 "ranges-$g" ranges --json $S
	run 0 "folios-$g" ranges --json --folios $S
	run 0 "verify-$g" verify --json $S
	run 0 "analyze-$g" analyze --json --runs 1 $S
done
run 0 synth-v1-e1a synth --json --abi kho-v1 --producer 6.16 --gen random0 --ram 64M \
	--count 100 --output "$TMP/s-e1a"
run 0 stat-v1-e1a stat --json --fdt "$TMP/s-e1a.fdt" --mem "$TMP/s-e1a.elf"
run 1 diff-generations diff --json --list "$TMP/s-kho-v2.fdt:$TMP/s-kho-v2.elf" \
	"$TMP/s-kho-v4.fdt:$TMP/s-kho-v4.elf"

# systemd's FD store: a mapping at token 0 of session "systemd" naming a
# preserved fd, a missing token and a luo_session; token 3 unnamed
printf '%s' '{"version":1,"state":{},"units":{"a.service":{"fdstore":[{"type":"fd","name":"x","token":1},{"type":"fd","name":"gone","token":2},{"type":"luo_session","name":"s","sessionName":"own"}]}}}' >"$TMP/sdmap.json"
run 0 synth-systemd synth --json --gen random0 --count 10 --ram 64M --output "$TMP/sd" \
	--luo "systemd:0=@$TMP/sdmap.json,1=100,3=5;own:9=1"
run 0 dump-systemd dump --json --fdt "$TMP/sd.fdt" --mem "$TMP/sd.elf"
run 1 verify-systemd verify --json --fdt "$TMP/sd.fdt" --mem "$TMP/sd.elf"

# blobs that do not decode: a kexec-metadata version 1 blob of 7 bytes
# (doc/ABI.md 6.1: 73), and LUO and an unknown node holding 'x' bytes
printf '\001\000\000\000abc' >"$TMP/km.bin"
awk 'BEGIN { for (i = 0; i < 100; i++) printf "x" }' >"$TMP/junk.bin"
run 0 synth-badblobs synth --json --gen random0 --count 10 --ram 64M --output "$TMP/bad" \
	--blob kexec-metadata="$TMP/km.bin" --blob LUO="$TMP/junk.bin" --blob other="$TMP/junk.bin"
run 0 dump-badblobs dump --json --fdt "$TMP/bad.fdt" --mem "$TMP/bad.elf"

# ---- check every document against the page
n=0
: >"$TMP/seen"
for f in "$DOCS"/*.json; do
	name=$(basename "$f" .json)
	if ! jq -e . "$f" >/dev/null 2>&1; then
		ok 1 "$name: one valid JSON document"
		continue
	fi
	n=$((n + 1))
	jq -r .schema "$f" >>"$TMP/seen"
	jq -r --arg name "$name" --slurpfile d "$TMP/doc.json" '$d[0] as $docs | '"$(cat "$TMP/check.jq")" \
		"$f" >"$TMP/problems" 2>&1
	st=$?
	[ "$st" -eq 0 ] && [ ! -s "$TMP/problems" ]
	ok $? "$name: $(jq -r '.schema + " version " + (.version | tostring)' "$f") as documented"
	head -n 20 "$TMP/problems" | comment
done
[ "$n" -ge 40 ]; ok $? "$n documents checked"

# every documented document was produced above
missing=""
for s in $schemas; do
	grep -qx "$s" "$TMP/seen" || missing="$missing $s"
done
is "$missing" "" "every document of khoctl-json(7) is exercised (else add a run here)"

# every command that offers --json has its document in the page
cmds=$("$KHOCTL" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
[ -n "$cmds" ]; ok $? "khoctl --help lists commands"
for c in $cmds; do
	[ "$c" = help ] && continue
	"$KHOCTL" "$c" --help 2>/dev/null | grep -q -- '--json' || continue
	if echo "$schemas" | grep -q "^khoctl-$c\(-.*\)\?\$"; then
		ok 0 "'khoctl $c --json' is documented in khoctl-json(7)"
	elif echo " $UNDOCUMENTED_OK " | grep -q " $c "; then
		skip "'khoctl $c --json' not documented yet (UNDOCUMENTED_OK in json-doc.sh)"
	else
		ok 1 "'khoctl $c --json' is documented in khoctl-json(7)"
		diag "khoctl $c offers --json but khoctl-json(7) has no .SS \"khoctl\\-$c\" section:" \
			"document its fields there (and add a run to tests/cli/json-doc.sh)," \
			"or list '$c' in UNDOCUMENTED_OK in tests/cli/json-doc.sh for now"
	fi
done

done_testing
