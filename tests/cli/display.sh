#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every command's terminal behaviour, as git's: a pager when standard
# output is a terminal (KHOCTL_PAGER, PAGER, less -FRX; --no-pager), and
# --color=auto|always|never before or after the command name. The terminal
# is script(1)'s pseudo-terminal; the pager a sed that marks its lines.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

F=$FIXTURES
IN="--fdt $F/root.fdt --mem $F/slim-kexec.elf"
ESC=$(printf '\033')

if command -v script >/dev/null 2>&1; then
	tty_run() { # ENV-ASSIGNMENTS... -- khoctl ARGS (run on a pseudo-terminal)
		# a terminal that can page: TERM=xterm whatever the caller's is
		script -qec "TERM=xterm $*" /dev/null </dev/null | tr -d '\r'
	}
	tty_run "PAGER='sed s/^/P:/'" "$KHOCTL" rules >"$TMP/paged"
	is "$(grep -c '^P:KHO-' "$TMP/paged")" "$("$KHOCTL" rules --json | jq '.rules | length')" \
		"on a terminal: every line goes through PAGER"
	tty_run "KHOCTL_PAGER='sed s/^/K:/' PAGER='sed s/^/P:/'" "$KHOCTL" rules >"$TMP/paged"
	grep -q '^K:KHO-E001 ' "$TMP/paged" && ! grep -q '^P:' "$TMP/paged"
	ok $? "KHOCTL_PAGER before PAGER"
	tty_run "PAGER='sed s/^/P:/'" "$KHOCTL" rules --no-pager >"$TMP/plain"
	grep -q '^KHO-E001 ' "$TMP/plain" && ! grep -q '^P:' "$TMP/plain"
	ok $? "--no-pager (after the command): not paged"
	tty_run "PAGER='sed s/^/P:/'" "$KHOCTL" --no-pager rules >"$TMP/plain"
	! grep -q '^P:' "$TMP/plain"; ok $? "--no-pager (before the command): not paged"
	tty_run "TERM=dumb PAGER='sed s/^/P:/'" "$KHOCTL" rules >"$TMP/plain"
	grep -q '^KHO-E001 ' "$TMP/plain" && ! grep -q '^P:' "$TMP/plain"
	ok $? "TERM=dumb (a serial console, an init script): not paged"
	tty_run "PAGER=cat LESS=" "$KHOCTL" rules >"$TMP/plain"
	grep -q '^KHO-E001 ' "$TMP/plain"; ok $? "PAGER=cat: written directly"
	tty_run "PAGER='sed s/^/P:/'" "$KHOCTL" verify $IN >"$TMP/paged"
	grep -q "^P:  ${ESC}\[[0-9;]*mKHO-W043 " "$TMP/paged"
	ok $? "--color=auto on a terminal: the warning row coloured, through the pager"
	tty_run "PAGER='sed s/^/P:/'" "$KHOCTL" capture $IN "$TMP/cap" >"$TMP/cap.out"
	! grep -q '^P:' "$TMP/cap.out"; ok $? "capture writes files: not paged"
	# progress: a command silent for over a second says so on the terminal's
	# stderr, then clears the line before its output
	t0=$(date +%s%N)
	tty_run "" "$KHOCTL" synth --gen random0 --count 30000000 --ram 256G --output "$TMP/big" >"$TMP/prog"
	t1=$(date +%s%N)
	if [ $(((t1 - t0) / 1000000)) -ge 1500 ]; then
		grep -q "khoctl synth: working (1 s)" "$TMP/prog"; ok $? "synth over a second: 'working (1 s)' on the terminal"
		grep -q "$(printf '\033')\[K.*folios: 30000000" "$TMP/prog"; ok $? "the progress line cleared before the result"
	else
		skip "synth took under 1.5 s here: no progress to see"
		skip "synth took under 1.5 s here: no progress to see"
	fi
	rm -f "$TMP/big.elf" "$TMP/big.fdt"
	"$KHOCTL" synth --gen random0 --count 30000000 --ram 256G --output "$TMP/big" 2>"$TMP/prog.err" >/dev/null
	! grep -q working "$TMP/prog.err"; ok $? "stderr not a terminal: no progress"
	rm -f "$TMP/big.elf" "$TMP/big.fdt"
else
	skip "no script(1) for a pseudo-terminal"
fi

# not a terminal: no pager, whatever PAGER says
PAGER='sed s/^/P:/' "$KHOCTL" rules >"$TMP/pipe"
! grep -q '^P:' "$TMP/pipe"; ok $? "standard output a pipe: no pager"

# --color on every command, before or after its name
expect_exit 0 "verify --color=always" verify $IN --color=always
grep -q "^  ${ESC}\[[0-9;]*mKHO-W043 " "$TMP/out"; ok $? "--color=always: the warning row in colour (SGR)"
! grep -q "${ESC}\[[0-9;]*mKHO-I" "$TMP/out"; ok $? "--color=always: info rows plain"
expect_exit 0 "--color never before the command" --color never verify $IN
! grep -q "$ESC" "$TMP/out"; ok $? "--color never: no escape"
expect_exit 0 "verify, not a terminal" verify $IN
! grep -q "$ESC" "$TMP/out"; ok $? "--color=auto, not a terminal: no escape"
for c in dump stat ranges rules analyze diff map compat capture synth verify kexec; do
	"$KHOCTL" "$c" --color=never --help >/dev/null 2>&1
	ok $? "$c accepts --color"
done
expect_exit 64 "--color=sometimes" verify $IN --color=sometimes
grep -q "'sometimes' is not auto, always or never" "$TMP/err"; ok $? "--color: the bad value named"


done_testing
