#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for khoctl: subcommands, options, option values, and that
# every command khoctl lists is offered (so completion and --help agree).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

BC=/usr/share/bash-completion/bash_completion
[ -r "$BC" ] || bail_out "bash-completion is not installed ($BC)"
command -v bash >/dev/null || bail_out "bash not found"
COMP="$TESTS_SRCDIR/../bash-completion/khoctl"

# complete WORDS...: the completions bash offers for the last word.
complete_words() {
	bash -c '
		. "$1"; . "$2"; shift 2
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_khoctl khoctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' sh "$BC" "$COMP" "$@" 2>&1
}

echo "1..17"

got=$(complete_words "$KHOCTL" st | sort | tr '\n' ' ')
is "$got" "stat " "'khoctl st<TAB>' completes to stat"

# Every command in the --help command list is offered for an empty word.
want=$("$KHOCTL" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' | sort)
got=$(complete_words "$KHOCTL" "" | grep -v '^--' | sort)
is "$got" "$want" "every command of 'khoctl --help' is offered"
[ -n "$want" ]; ok $? "the command list is not empty"

got=$(complete_words "$KHOCTL" ranges --fo | tr '\n' ' ')
case $got in *--folios*) r=0 ;; *) r=1 ;; esac
ok $r "'khoctl ranges --fo<TAB>' offers --folios (got: $got)"

got=$(complete_words "$KHOCTL" stat --j | tr '\n' ' ')
is "$got" "--json " "'khoctl stat --j<TAB>' completes to --json"

got=$(complete_words "$KHOCTL" stat --page-shift "" | sort | tr '\n' ' ')
is "$got" "12 14 16 " "--page-shift values"

got=$(complete_words "$KHOCTL" stat --page-shift=1 | sort | tr '\n' ' ')
is "$got" "12 14 16 " "--page-shift=1<TAB>: the values after the '='"
got=$(complete_words "$KHOCTL" verify --rule=KHO-E00 | sort | tr '\n' ' ')
want=$("$KHOCTL" rules --json | jq -r '.rules[].id | select(startswith("KHO-E00"))' | sort | tr '\n' ' ')
is "$got" "$want" "--rule=KHO-E00<TAB>: rule IDs after the '='"

got=$(complete_words "$KHOCTL" dump --col 2>/dev/null | tr '\n' ' ')
is "$got" "--color= " "every command offers --color (dump --col<TAB>)"
got=$(complete_words "$KHOCTL" verify --color=a | sort | tr '\n' ' ')
is "$got" "always auto " "--color=a<TAB>: the values after the '='"
got=$(complete_words "$KHOCTL" verify --json=p | tr '\n' ' ')
is "$got" "pretty " "--json=p<TAB>: pretty"
got=$(complete_words "$KHOCTL" stat --no-p | tr '\n' ' ')
is "$got" "--no-pager " "every command offers --no-pager"

# --abi: the generations of the registry (khoctl stat --abi help), which
# hold at least the five this test knows
got=$(complete_words "$KHOCTL" stat --abi "" | sort | tr '\n' ' ')
want=$("$KHOCTL" stat --abi help | cut -f1 | sort | tr '\n' ' ')
is "$got" "$want" "--abi values: the generations 'khoctl stat --abi help' lists"
r=0
for g in kho-v1 kho-v2 kho-v3 kho-v4 rfc; do
	case " $got" in *" $g "*) ;; *) r=1 ;; esac
done
ok $r "--abi values include kho-v1 .. kho-v4 and rfc (got: $got)"

got=$(complete_words "$KHOCTL" synth --gen r | tr '\n' ' ')
is "$got" "random0 " "--gen values"

# rule IDs for --rule and --skip, from the rule table
got=$(complete_words "$KHOCTL" verify --rule KHO-E00 | sort | tr '\n' ' ')
want=$("$KHOCTL" rules --json | jq -r '.rules[].id | select(startswith("KHO-E00"))' | sort | tr '\n' ' ')
is "$got" "$want" "'khoctl verify --rule KHO-E00<TAB>' offers the KHO-E00x rules"
[ -n "$want" ]; ok $? "there are KHO-E00x rules ($want)"

