#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run one libFuzzer target for a bounded time and report it as TAP.
#
#   run-fuzz.sh TARGET SECONDS BUILDDIR SRCDIR
#
# Corpus: the seeds (BUILDDIR/tests/fuzz/seeds/TARGET, from gen_seeds) and
# the regression inputs (SRCDIR/tests/fuzz/regress/TARGET) are copied into a
# fresh working corpus. Limits: -rss_limit_mb=1024 -timeout=5 (a hang or an
# out-of-memory is a finding too). Dictionaries and -max_len come from the
# "fuzz-dict:" and "fuzz-max-len:" comment lines of the target's source.
# A crash is left in BUILDDIR/tests/fuzz/artifacts/TARGET/: add it to
# tests/fuzz/regress/TARGET/ (with the fix) so that `make check` replays it.
set -u
t=$1 secs=$2 build=$3 src=$4
bin=$build/tests/fuzz/bin/$t
work=$build/tests/fuzz/work/$t
art=$build/tests/fuzz/artifacts/$t
seeds=$build/tests/fuzz/seeds/$t
regress=$src/tests/fuzz/regress/$t
srcfile=$src/tests/fuzz/$t.c

echo "1..1"
if [ ! -x "$bin" ]; then
	echo "not ok 1 - $t: $bin was not built"
	exit 0
fi
rm -rf "$work"
mkdir -p "$work/corpus" "$art"
for d in "$seeds" "$regress"; do
	[ -d "$d" ] && find "$d" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$work/corpus/" \;
done

dict=$work/merged.dict
: >"$dict"
for n in $(sed -n 's/.*fuzz-dict:\(.*\)$/\1/p' "$srcfile"); do
	cat "$src/tests/fuzz/dict/$n.dict" >>"$dict"
done
maxlen=$(sed -n 's/.*fuzz-max-len: *\([0-9]*\).*/\1/p' "$srcfile" | head -n 1)
set -- -max_total_time="$secs" -rss_limit_mb=1024 -timeout=5 \
	-artifact_prefix="$art/" -print_final_stats=1 -seed=1 \
	-max_len="${maxlen:-65536}"
[ -s "$dict" ] && set -- "$@" -dict="$dict"

"$bin" "$@" "$work/corpus" >"$work/fuzz.log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$work/fuzz.log" | tail -n 1)
ncorp=$(find "$work/corpus" -type f | wc -l)
if [ "$rc" -eq 0 ]; then
	echo "ok 1 - $t: ${execs:-?} executions in ${secs} s, no crash ($cov; corpus $ncorp files)"
else
	echo "not ok 1 - $t: libFuzzer exit $rc after ${execs:-?} executions"
	grep -E 'ERROR|SUMMARY|invariant failed|Test unit written|==[0-9]+==' "$work/fuzz.log" |
		head -n 30 | sed 's/^/# /'
	echo "# crash inputs: $(ls "$art" 2>/dev/null | tr '\n' ' ')"
	echo "# copy them into tests/fuzz/regress/$t/ with the fix"
fi
echo "# executions: ${execs:-?}"
exit 0
