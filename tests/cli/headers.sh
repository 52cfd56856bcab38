#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The library's surface (issue 16 item 9): every installed header compiles
# on its own (C11, and C++ when a compiler is there), as a user's first
# #include does; every global symbol of libkhofmt.a carries the khofmt_
# prefix (a static link must not collide with a program's own vfind() or
# pageset_add()); the shared library exports nothing else.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
TOP=$TESTS_SRCDIR/..
LIBDIR=${KHOFMT_LIBDIR:-$(dirname "$KHOCTL")/../libkhofmt}
CC=${CC:-cc}
CXX=${CXX:-c++}

hdrs=$(sed -n 's|^include_HEADERS *+\{0,1\}= *libkhofmt/\(.*\.h\)$|\1|p' "$TOP/libkhofmt/Makemodule.am")
[ "$(echo "$hdrs" | wc -w)" -ge 10 ]; ok $? "libkhofmt/Makemodule.am installs $(echo "$hdrs" | wc -w) headers"
for h in $hdrs; do
	printf '#include <%s>\nint main(void) { return 0; }\n' "$h" >"$TMP/one.c"
	"$CC" -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only \
		-I"$TOP/libkhofmt" "$TMP/one.c" >"$TMP/cc.err" 2>&1
	ok $? "$h compiles alone (C11)"
	comment <"$TMP/cc.err"
	if command -v "$CXX" >/dev/null 2>&1; then
		"$CXX" -x c++ -Wall -Wextra -Werror -fsyntax-only \
			-I"$TOP/libkhofmt" "$TMP/one.c" >"$TMP/cc.err" 2>&1
		ok $? "$h compiles alone (C++)"
		comment <"$TMP/cc.err"
	fi
done

if ! command -v nm >/dev/null 2>&1; then
	skip "no nm: libkhofmt.a symbols"
	skip "no nm: libkhofmt.a prefix"
	skip "no nm: libkhofmt.so exports"
	done_testing
	exit 0
fi
a=$LIBDIR/.libs/libkhofmt.a
so=$LIBDIR/.libs/libkhofmt.so
if [ -f "$a" ]; then
	nm -g --defined-only "$a" | awk 'NF == 3 { print $3 }' | sort -u >"$TMP/syms"
	[ -s "$TMP/syms" ]; ok $? "libkhofmt.a defines $(wc -l <"$TMP/syms") global symbols"
	# __*: the compiler's own (ASan's __odr_asan.*, coverage counters)
	bad=$(grep -v -e '^khofmt_' -e '^__' "$TMP/syms" | tr '\n' ' ')
	is "$bad" "" "every global symbol of libkhofmt.a starts with khofmt_"
else
	skip "no static library built ($a)"
	skip "no static library built: prefix"
fi
if [ -f "$so" ]; then
	bad=$(nm -D --defined-only "$so" | awk 'NF == 3 && $3 !~ /^khofmt_/ && $3 !~ /^KHOFMT_/ { print $3 }' | tr '\n' ' ')
	is "$bad" "" "libkhofmt.so exports only khofmt_ symbols"
else
	skip "no shared library built"
fi
done_testing
