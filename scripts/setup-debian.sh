#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Set up a fresh Debian (12 or later) machine for kho-tools and build it.
# Run as root from the top of a clone. Idempotent.
#   sh scripts/setup-debian.sh          what building and running need
#   sh scripts/setup-debian.sh --tests  also what `make check` needs
set -eu
cd "$(dirname "$0")/.."

PKGS="build-essential autoconf automake libtool pkg-config bash-completion libfdt-dev libelf-dev
      nettle-dev libjson-c-dev libarchive-dev libsmartcols-dev
      libkdumpfile-dev zlib1g-dev liblzma-dev libzstd-dev liblz4-dev libbz2-dev"
# only the test suite: reference tools, sanitizer runtime, valgrind, strace
TEST_PKGS="elfutils device-tree-compiler jq valgrind binutils clang libclang-rt-14-dev strace libxml2-utils"
[ "${1:-}" != --tests ] || PKGS="$PKGS $TEST_PKGS"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ -x configure ] || autoreconf -fi >/dev/null
[ -f Makefile ] || ./configure --enable-werror ${CONFIGURE_FLAGS:-} >/dev/null
make -j"$(nproc)" >/dev/null
echo "kho-tools built: ./khoctl/khoctl"
