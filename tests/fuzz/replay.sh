#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check: every fuzz target, built with the normal compiler as a corpus
# replayer (tests/fuzz/replay-<target>), runs over freshly generated seeds
# and over its committed regression inputs (tests/fuzz/regress/<target>/).
# Targets are found by their source files tests/fuzz/fuzz_*.c.
set -u
srcdir=${TESTS_SRCDIR:?}/fuzz
top_build=${KHOCTL%/khoctl/khoctl}
build=$top_build/tests/fuzz
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kho-replay.XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
n=0
out() { n=$((n + 1)); echo "$1 $n - $2"; }

if "$build/gen_seeds" "$TMP/seeds" "$FIXTURES" >"$TMP/gen.log" 2>&1; then
	out ok "gen_seeds wrote the seed corpora"
else
	out "not ok" "gen_seeds wrote the seed corpora"
	sed 's/^/# /' "$TMP/gen.log"
fi
for f in "$srcdir"/fuzz_*.c; do
	t=$(basename "$f" .c)
	r=$build/replay-$t
	if [ ! -x "$r" ]; then
		out "not ok" "$t: replayer $r not built (FUZZ_TARGETS += $t in tests/fuzz/Makemodule.am?)"
		continue
	fi
	for d in "$TMP/seeds/$t" "$srcdir/regress/$t"; do
		[ -d "$d" ] || continue
		cnt=$(find "$d" -maxdepth 1 -type f ! -name '.*' | wc -l)
		[ "$cnt" -gt 0 ] || continue
		"$r" "$d" >"$TMP/log" 2>&1
		rc=$?
		if [ "$rc" -eq 0 ]; then
			out ok "$t: $cnt inputs of ${d#"$TMP"/} replayed cleanly"
		else
			out "not ok" "$t: replaying ${d#"$TMP"/} (exit $rc)"
			tail -n 30 "$TMP/log" | sed 's/^/# /'
		fi
	done
done
echo "1..$n"
