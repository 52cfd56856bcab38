# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the khoctl CLI tests: a small TAP producer plus helpers.
#
# Environment (set by tests/Makemodule.am's AM_TESTS_ENVIRONMENT):
#   KHOCTL     the khoctl binary (libtool wrapper) under test
#   FIXTURES   tests/fixtures/linux-7.2.13-lean-luo
#   GENFOLIOS  tests/gen/genfolios
#   DTC READELF EU_READELF   optional cross-check tools (may be empty)

set -u
LC_ALL=C
export LC_ALL

tap_n=0
tap_failed=0

# Standard input as TAP comment lines (always newline-terminated, so a
# cut-off last line cannot swallow the next result line).
comment() {
	awk '{ print "# " $0 }'
}

diag() {
	printf '%s\n' "$@" | comment
}

# ok STATUS DESCRIPTION: STATUS 0 is a pass.
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$tap_n" "$2"
	else
		tap_failed=$((tap_failed + 1))
		printf 'not ok %d - %s\n' "$tap_n" "$2"
	fi
	return "$1"
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "     got: '$1'" "expected: '$2'"
		return 1
	fi
}

skip() {
	tap_n=$((tap_n + 1))
	printf 'ok %d # SKIP %s\n' "$tap_n" "$1"
}

skip_all() {
	printf '1..0 # SKIP %s\n' "$1"
	exit 0
}

bail_out() {
	printf 'Bail out! %s\n' "$1"
	exit 99
}

# Failures are in the TAP stream; exit 0 so that tap-driver.sh does not
# count them twice (a non-zero status would add an ERROR).
done_testing() {
	printf '1..%d\n' "$tap_n"
	[ "$tap_failed" -eq 0 ] || diag "failed $tap_failed of $tap_n tests"
	exit 0
}

[ -n "${KHOCTL:-}" ] || bail_out "KHOCTL is not set (run through make check)"
[ -x "$KHOCTL" ] || bail_out "khoctl not built: $KHOCTL"
command -v jq >/dev/null 2>&1 || bail_out "jq is required (Debian: jq)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/khoctl-test.XXXXXX") || bail_out "mktemp"
trap 'rm -rf "$TMP"' EXIT

# kho OUT ERR ARGS...: run khoctl with stdout to OUT and stderr to ERR;
# the exit status lands in $rc.
kho() {
	local out=$1 err=$2
	shift 2
	"$KHOCTL" "$@" >"$out" 2>"$err"
	rc=$?
}

# expect_diff WANT DESCRIPTION ARGS...: khoctl diff exits WANT (0 same,
# 1 differences: no message needed on stderr for those), output in $TMP/out.
expect_diff() {
	local want=$1 desc=$2
	shift 2
	kho "$TMP/out" "$TMP/err" diff "$@"
	is "$rc" "$want" "$desc: exit $want" || head -c 2000 "$TMP/err" | comment
	if crashy "$TMP/err"; then ok 1 "$desc: no crash"; else ok 0 "$desc: no crash"; fi
}
# Signs of a crash or a sanitizer report in a file.
crashy() {
	grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:|Segmentation fault|Aborted|core dumped|stack smashing|double free|malloc\(\)' "$1"
}

# expect_exit WANT DESCRIPTION ARGS...: khoctl exits WANT (so not killed
# by a signal) and prints nothing crash-like. On exit 2 and 64 it must
# explain itself on stderr. Leaves stdout/stderr in $TMP/out, $TMP/err.
expect_exit() {
	local want=$1 desc=$2
	shift 2
	kho "$TMP/out" "$TMP/err" "$@"
	if ! is "$rc" "$want" "$desc: exit $want"; then
		diag "command: khoctl $*" "stderr:"
		head -c 2000 "$TMP/err" | comment
	fi
	if [ "$want" -ne 0 ]; then
		ok "$([ -s "$TMP/err" ]; echo $?)" "$desc: message on stderr"
		diag "$(head -n 2 "$TMP/err")"
	fi
	if crashy "$TMP/err" || crashy "$TMP/out"; then
		ok 1 "$desc: no crash or sanitizer report"
		head -c 3000 "$TMP/err" | comment
	else
		ok 0 "$desc: no crash or sanitizer report"
	fi
}

# Two 32-bit FDT cells (as dtc prints a native little-endian u64) -> the
# u64 value, in decimal. doc/ABI.md 3.3: bytes on the wire are the cells
# big-endian, the value is those 8 bytes read little-endian.
cells_to_u64() {
	local a=$(($1)) b=$(($2))
	local sa=$(( ((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >> 8) & 0xff00) | ((a >> 24) & 0xff) ))
	local sb=$(( ((b & 0xff) << 24) | ((b & 0xff00) << 8) | ((b >> 8) & 0xff00) | ((b >> 24) & 0xff) ))
	echo $(( sa | (sb << 32) ))
}

# The inverse: "<0x... 0x...>" cells for a u64 value.
u64_to_cells() {
	local v=$(($1))
	local lo=$(( v & 0xffffffff )) hi=$(( (v >> 32) & 0xffffffff ))
	local ca=$(( ((lo & 0xff) << 24) | ((lo & 0xff00) << 8) | ((lo >> 8) & 0xff00) | ((lo >> 24) & 0xff) ))
	local cb=$(( ((hi & 0xff) << 24) | ((hi & 0xff00) << 8) | ((hi >> 8) & 0xff00) | ((hi >> 24) & 0xff) ))
	printf '<0x%x 0x%x>' "$ca" "$cb"
}

# N deterministic pseudo-random bytes (seed S) to a file, no extra tools.
random_bytes() {
	local n=$1 seed=$2 file=$3
	printf "$(awk -v n="$n" -v s="$seed" 'BEGIN {
		x = s % 2147483647; if (x <= 0) x += 2147483646
		for (i = 0; i < n; i++) {
			x = (x * 16807) % 2147483647
			printf "\\%03o", int(x / 8388608) % 256
		}
	}')" >"$file"
}

# A property of the root node of an FDT file, as dtc prints it.
dts_prop() {
	"$DTC" -I dtb -O dts "$1" 2>/dev/null | sed -n "s/^[[:space:]]*$2 = \(.*\);\$/\1/p" | head -n 1
}
