#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Text tables through libsmartcols: -o/--output, --raw, --noheadings,
# --list-columns as in lsblk; the streaming lists of ranges take the same
# -o; verify --metrics writes node_exporter's textfile format. The oracle
# is the JSON document of the same run (jq), not the text code.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
F=$FIXTURES
IN="--fdt $F/root.fdt --mem $F/slim-kexec.elf"

# shellcheck disable=SC2086
"$KHOCTL" verify $IN --json >"$TMP/v.json"
# shellcheck disable=SC2086
expect_exit 0 "verify -o rule,severity,address --raw" verify $IN -o rule,severity,address --raw
is "$(head -n 1 "$TMP/out")" "RULE SEVERITY ADDRESS" "--raw: the header, one space apart"
want=$(jq -r '.findings | sort_by(if .severity == "error" then 0 elif .severity == "warning" then 1 else 2 end) | .[] | "\(.rule) \(.severity) -"' "$TMP/v.json")
is "$(tail -n +2 "$TMP/out")" "$want" "--raw rows = the JSON findings (errors, warnings, info), nothing else"
# shellcheck disable=SC2086
expect_exit 0 "verify -o +title -n" verify $IN -o +title --noheadings
is "$(awk '{ print $1 }' "$TMP/out" | sort | tr '\n' ' ')" \
	"$(jq -r '.findings[].rule' "$TMP/v.json" | sort | tr '\n' ' ')" "--noheadings: the finding rows only"
grep -q "aligned runs" "$TMP/out" && grep -q "$(jq -r '.findings[0].title' "$TMP/v.json")" "$TMP/out"
ok $? "+title adds TITLE to the default columns"
# shellcheck disable=SC2086
expect_exit 64 "unknown column" verify $IN -o rule,nosuch
grep -q "unknown column 'nosuch'" "$TMP/err"; ok $? "the message names the column"

# stat: the order table's rows = JSON per order
# shellcheck disable=SC2086
"$KHOCTL" stat $IN --json >"$TMP/s.json"
# shellcheck disable=SC2086
expect_exit 0 "stat --noheadings" stat $IN --noheadings
want=$(jq -r '.orders[] | "\(.order) \(.count)"' "$TMP/s.json"; jq -r '.tracker.levels[] | "\(.level) \(.pages)"' "$TMP/s.json")
is "$(awk '{ print $1, $2 }' "$TMP/out")" "$want" "stat --noheadings: order and level rows only"
# shellcheck disable=SC2086
expect_exit 0 "stat --list-columns" stat $IN --list-columns
is "$(tr '\n' ' ' <"$TMP/out")" "orders:   ORDER   COUNT   BYTES levels:   LEVEL   PAGES " "--list-columns names each table's columns"

# ranges -o: the streaming writer with the selected columns
# shellcheck disable=SC2086
"$KHOCTL" ranges $IN --json >"$TMP/r.json"
# shellcheck disable=SC2086
expect_exit 0 "ranges -o start,end" ranges $IN -o start,end --noheadings
want=$(jq -r '.ranges[] | "\(.start) \(.start + .size - 1)"' "$TMP/r.json")
is "$(awk '{ printf "%d %d\n", $1, $2 }' "$TMP/out")" "$want" "ranges -o start,end: START and END (inclusive) of every range"
# shellcheck disable=SC2086
expect_exit 0 "ranges --folios -o order --raw" ranges --folios $IN -o order --raw
is "$(sed 1d "$TMP/out" | sort -n | uniq -c | awk '{ print $2, $1 }' | tr '\n' ' ')" \
	"$(jq -r '.orders[] | "\(.order) \(.count)"' "$TMP/s.json" | tr '\n' ' ')" "ranges --folios -o order: the orders of every folio"
# shellcheck disable=SC2086
expect_exit 0 "ranges --json ignores -o" ranges $IN --json -o start
cmp -s "$TMP/out" "$TMP/r.json"; ok $? "--json output unchanged by -o"

# rules ID, and options that do not apply to rules
expect_exit 0 "rules KHO-E020" rules KHO-E020
grep -q "^explanation: " "$TMP/out" && grep -q "khoctl-rules" "$TMP/out"; ok $? "one rule, its explanation and where to read more"
expect_exit 0 "rules KHO-E020 --json" rules KHO-E020 --json
is "$(jq -r '[.rules[].id] | join(",")' "$TMP/out")" "KHO-E020" "rules ID --json: that rule only"
expect_exit 64 "rules KHO-E999" rules KHO-E999
expect_exit 64 "rules --page-shift (does not apply)" rules --page-shift 12

# verify --metrics: the textfile-collector format, every rule, atomic
mkdir "$TMP/prom"
# shellcheck disable=SC2086
expect_exit 0 "verify --metrics" verify $IN --metrics "$TMP/prom/kho.prom"
m=$TMP/prom/kho.prom
is "$(ls "$TMP/prom")" "kho.prom" "only the metrics file is left (the temporary one was renamed)"
is "$(grep -c '^khoctl_verify_rule_findings{' "$m")" "$("$KHOCTL" rules --json | jq '.rules | length')" "one rule gauge per rule"
for s in error warning info; do
	is "$(awk -v s="$s" '$1 == "khoctl_verify_findings{severity=\"" s "\"}" { print $2 }' "$m")" \
		"$(jq --arg s "$s" '[.findings[] | select(.severity == $s)] | length' "$TMP/v.json")" "$s gauge = JSON count"
done
is "$(grep '^khoctl_verify_rule_findings{rule="KHO-W043",' "$m" | awk '{ print $2 }')" "1" "KHO-W043 fired once"
is "$(grep -c '^# TYPE khoctl_verify_[a-z_]* gauge$' "$m")" 5 "five gauges, each typed"
grep -v '^#' "$m" | grep -qvE '^[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? [0-9]+$'
ok $((1 - $?)) "every sample line is NAME{LABELS} VALUE"
# --strict with rules skipped for want of an input exits 1: not clean
expect_exit 1 "verify --strict --metrics, no memory (rules skipped)" verify \
	--fdt "$F/root.fdt" --strict --metrics "$m"
is "$(awk '$1 == "khoctl_verify_clean" { print $2 }' "$m")" 0 \
	"clean 0 when --strict exits 1 for skipped rules"
expect_exit 2 "verify --metrics of an unreadable state" verify --fdt "$TMP/nonexistent" --metrics "$m"
is "$(awk '$1 == "khoctl_verify_success" { print $2 }' "$m")" 0 "success 0 when the state could not be read"

# one meaning per short option across commands (synth's --output PREFIX has
# no short form: -o is the columns of a table everywhere)
for c in $("$KHOCTL" --help | awk '/^  [a-z]+ / { print $1 }'); do
	[ "$c" = help ] && continue
	"$KHOCTL" "$c" --help 2>/dev/null | sed -n "s/^ *\(-[a-zA-Z]\), \(--[a-z-]*\).*/$c \1 \2/p"
done | awk '{ print $2, $3 }' | sort -u >"$TMP/shorts"
is "$(awk '{ print $1 }' "$TMP/shorts" | uniq -d | tr '\n' ' ')" "" "no short option names two long options"
grep -q '^-r --raw$' "$TMP/shorts"; ok $? "-r is --raw (as in lsblk)"

# --list-columns needs no input (as lsblk's): the same list as with one
for c in verify stat ranges; do
	# shellcheck disable=SC2086
	"$KHOCTL" $c --list-columns $IN >"$TMP/lc.in" 2>/dev/null
	"$KHOCTL" $c --list-columns >"$TMP/lc.none" 2>"$TMP/lc.err"
	is "$?" 0 "$c --list-columns without an input: exit 0"
	cmp -s "$TMP/lc.in" "$TMP/lc.none"; ok $? "$c --list-columns: the same columns with and without an input"
done
is "$("$KHOCTL" verify --list-columns | sed -n 2p)" "  RULE" "verify's first column is RULE"
expect_exit 64 "verify without an input (no --list-columns)" verify

# --json=pretty: the document of --json indented; the oracle is jq's
# --indent 2 of the compact document; --json itself stays one line
is "$(wc -l <"$TMP/v.json")" 1 "--json: compact, one line"
for c in verify stat ranges; do
	# shellcheck disable=SC2086
	expect_exit 0 "$c --json=pretty" $c $IN --json=pretty
	# shellcheck disable=SC2086
	"$KHOCTL" $c $IN --json | jq --indent 2 . | cmp -s - "$TMP/out"
	ok $? "$c --json=pretty = jq --indent 2 of $c --json"
done
expect_exit 0 "rules KHO-E020 -jpretty" rules KHO-E020 -jpretty
"$KHOCTL" rules KHO-E020 --json | jq --indent 2 . | cmp -s - "$TMP/out"
ok $? "rules -jpretty = jq --indent 2 of rules --json"
# shellcheck disable=SC2086
expect_exit 64 "--json=yaml" verify $IN --json=yaml
grep -q "json=yaml: the format is pretty" "$TMP/err"; ok $? "--json=yaml: the message names the one format"
done_testing
