#!/bin/sh
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"
skip_all "todo"
